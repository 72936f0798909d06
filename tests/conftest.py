"""Shared fixtures: both kernel backends, and the ISS-F200 benchmark workload."""
import json
from pathlib import Path

import numpy as np
import pytest

from deorbit import _reference, kernel
from deorbit.atmosphere import DensityTable

DATA = Path(__file__).parent / "data"

try:
    from deorbit import _kernel
except ImportError:  # built without the compiled kernel
    _kernel = None

BACKENDS = {"compiled": _kernel, "reference": _reference}


@pytest.fixture(params=["compiled", "reference"])
def backend(request, monkeypatch):
    """Run the test once per kernel backend (the compiled one is skipped if not built)."""
    module = BACKENDS[request.param]
    if module is None:
        pytest.skip("compiled kernel not built")
    monkeypatch.setattr(kernel, "_backend", module)
    return request.param


@pytest.fixture(scope="session")
def f200():
    """The ISS-F200 workload (tests/data/iss_f200.json) as a dict plus ready-made inputs."""
    w = json.loads((DATA / "iss_f200.json").read_text())
    w["table"] = DensityTable(w["density"]["alt_km"], w["density"]["rho_kg_m3"],
                              source="ISS-F200")
    mu, re = w["constants"]["mu_m3_s2"], w["constants"]["earth_radius_m"]
    r0 = re + 410e3
    vc = np.sqrt(mu / r0)
    inc = np.radians(51.64)
    w["state0"] = np.array([r0, 0.0, 0.0, 0.0, vc * np.cos(inc), vc * np.sin(inc)])
    w["bc_kg_m2"] = 1.0 / w["object"]["cd_area_over_mass_m2_per_kg"]
    # The benchmark's dynamics: J2 only, spherical altitude.
    w["options"] = dict(zonal_degree=2, altitude="sphere")
    return w


@pytest.fixture(scope="module")
def client():
    """A Dask client on an in-process LocalCluster (one worker thread, loopback, no
    dashboard), shared by a test module."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp://",
                      host="127.0.0.1", dashboard_address=None) as cluster, \
            Client(cluster) as c:
        yield c
