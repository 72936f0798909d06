"""Atmospheric density models fed to the kernel.

Today: :class:`DensityTable`, a piecewise-exponential density profile in altitude (log rho
linear between nodes), the form of the ISS-F200 benchmark table; and :class:`MsisTable`
(:mod:`deorbit.atmosphere.msis`), the NRLMSISE-00 derived table over altitude, F10.7, Ap and
latitude, whose :meth:`MsisTable.orbit` reduces it to one inclination for the kernel and whose
:meth:`MsisTable.profile` gives a :class:`DensityTable` at fixed indices; and
:class:`MsisAlongTrajectory` (:mod:`deorbit.atmosphere.reference`), NRLMSISE-00 called at every
point of a trajectory on the reference backend, the yardstick of the table.
:mod:`deorbit.atmosphere.pymsis_means` averages pymsis as the table does (the tests'
yardstick); :mod:`deorbit.tools.msis_table` makes the table (an offline tool). The same table
exists for several density models, listed once in :mod:`deorbit.atmosphere.models`
(:data:`DENSITY_MODELS`: NRLMSISE-00, NRLMSIS 2.1, DTM2000, each with its BC scale);
:mod:`deorbit.atmosphere.dtm2000_orekit` evaluates DTM2000 through Orekit for the builder and
the tests only.
"""
from .models import DEFAULT_MODEL, DENSITY_MODELS, density_model
from .msis import (
    MsisTable,
    OrbitDensityTable,
    load_msis_table,
    orbit_latitude_weights,
    utc_day_of_year,
)
from .pymsis_means import pymsis_orbit_mean_density
from .reference import MsisAlongTrajectory
from .table import DensityTable

__all__ = [
    "DEFAULT_MODEL",
    "DENSITY_MODELS",
    "DensityTable",
    "MsisAlongTrajectory",
    "MsisTable",
    "OrbitDensityTable",
    "density_model",
    "load_msis_table",
    "orbit_latitude_weights",
    "pymsis_orbit_mean_density",
    "utc_day_of_year",
]
