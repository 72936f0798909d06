"""deorbit: a Monte Carlo reentry engine.

A compiled drag-propagation kernel (Cython, ``nogil``) with a pure-Python twin, fanned out
over Dask workers to turn uncertain solar activity, vehicle parameters and deorbit
operations into reentry-risk distributions.

``deorbit.accelerated`` tells whether the compiled kernel is in use; set the environment
variable ``DEORBIT_PUREPYTHON=1`` before import to force the pure-Python reference.
"""
from importlib.metadata import PackageNotFoundError, version

from .kernel import BACKEND, Status, accelerated, propagate, trajectory
from .scenario import ScenarioError, load_scenario
from .store import load_run

try:
    __version__ = version("deorbit")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"

__all__ = ["BACKEND", "ScenarioError", "Status", "accelerated", "load_run", "load_scenario",
           "propagate", "trajectory", "__version__"]
