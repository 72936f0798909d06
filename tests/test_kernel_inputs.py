"""Bad inputs get a ValueError naming the argument and the allowed range."""
import os

import numpy as np
import pytest

import deorbit
from deorbit.atmosphere import DensityTable
from deorbit.kernel import circular_state, propagate


@pytest.fixture()
def good(f200):
    return dict(epoch_utc_days=0.0, state_eci=circular_state(400.0, 51.6)[None, :],
                bc_kg_m2=100.0, atmosphere=f200["table"], stop_epoch_utc_days=1.0)


@pytest.mark.parametrize("change, message", [
    (dict(bc_kg_m2=-5.0), r"bc_kg_m2\[0\] = -5.0: allowed"),
    (dict(bc_kg_m2=0.0), r"bc_kg_m2\[0\] = 0.0: allowed"),
    (dict(bc_kg_m2=np.nan), r"bc_kg_m2\[0\] = nan"),
    (dict(epoch_utc_days=np.inf), r"epoch_utc_days\[0\] = inf"),
    (dict(stop_epoch_utc_days=-1.0), r"stop_epoch_utc_days\[0\] = -1.0: allowed >= "),
    (dict(state_eci=np.array([[7e6, 0, 0, 0, np.nan, 0]])), r"state_eci\[0, 4\] = nan"),
    (dict(state_eci=np.array([[6e6, 0, 0, 0, 7.5e3, 0]])), r"start altitude .* below"),
    (dict(state_eci=np.array([[6.45e6, 0, 0, 0, 7.8e3, 0]])), r"start altitude .* below"),
    (dict(state_eci=np.zeros((2, 5))), r"state_eci: expected shape \(N, 6\)"),
    (dict(state_eci=np.array([["a"] * 6])), r"state_eci: expected real numbers"),
    (dict(bc_kg_m2=[100.0, 100.0]), r"bc_kg_m2: expected a scalar or shape \(1,\)"),
    (dict(bc_kg_m2="100"), r"bc_kg_m2: expected real numbers"),
    (dict(method="rk4"), r"method = 'rk4': allowed 'hybrid', 'cowell'"),
    (dict(altitude="geoid"), r"altitude = 'geoid'"),
    (dict(zonal_degree=5), r"zonal_degree = 5: allowed 0, 2, 3 or 4"),
    (dict(rtol=1.0), r"rtol\[0\] = 1.0: allowed"),
    (dict(stop_alt_km=130.0), r"stop_alt_km\[0\] = 130.0: allowed >= 0 and <= entry_alt_km"),
    (dict(handover_alt_km=125.0), r"handover_alt_km\[0\] = 125.0: allowed >= entry_alt_km"),
    (dict(density_scale=-1.0), r"density_scale\[0\] = -1.0"),
    (dict(history_days=[2.0, 1.0]), r"history_days: expected a 1-D ascending"),
    (dict(atmosphere={"alt_km": [1, 2]}), r"atmosphere: expected a DensityTable"),
])
def test_bad_input_names_argument_and_range(good, change, message):
    with pytest.raises(ValueError, match=message):
        propagate(**{**good, **change})


@pytest.mark.parametrize("alt, rho, message", [
    ([100.0, 90.0], [1e-7, 1e-6], "strictly increasing"),
    ([100.0, 200.0], [1e-7, -1.0], r"rho_kg_m3\[1\] = -1.0"),
    ([100.0], [1e-7], "equal length >= 2"),
])
def test_bad_density_table(alt, rho, message):
    with pytest.raises(ValueError, match=message):
        DensityTable(alt, rho)


def test_ci_uses_the_compiled_kernel():
    """On CI (CI=true) the compiled kernel must have been built and be in use."""
    if os.environ.get("CI", "").lower() != "true" or os.environ.get("DEORBIT_PUREPYTHON"):
        pytest.skip("only meaningful on CI")
    assert deorbit.accelerated


def test_backends_share_the_keyword_contract():
    """Both backends name propagate_block's parameters exactly as the wrapper's argument
    bundles do (BlockInputs, DensityArgs, ArcArgs, BlockOutputs), so every call is by keyword; the
    reference backend adds only ``along`` (the reference density mode), the compiled one
    only ``lanes`` (how many samples its Cowell steps take at a time, a test switch)."""
    import inspect

    from deorbit import _reference, kernel

    from .conftest import BACKENDS

    names = (kernel.BlockInputs._fields + kernel.DensityArgs._fields
             + kernel.ArcArgs._fields + kernel.BlockOutputs._fields)
    assert len(set(names)) == len(names)
    ref = list(inspect.signature(_reference.propagate_block).parameters)
    assert set(ref) == set(names) | {"along"}
    if BACKENDS["compiled"] is not None:
        compiled = list(inspect.signature(BACKENDS["compiled"].propagate_block).parameters)
        assert set(compiled) == set(names) | {"lanes"}


def test_reference_density_mode_is_its_own_backend():
    from deorbit.atmosphere import DensityTable, MsisAlongTrajectory
    from deorbit.kernel import BACKEND, backend_for

    assert backend_for(MsisAlongTrajectory())[0] == "reference-along-trajectory"
    table = DensityTable([100.0, 500.0], [1e-7, 1e-12])
    assert backend_for(table)[0] == BACKEND


@pytest.mark.parametrize("lat_deg", [0.0, 45.0, 89.9])
def test_start_altitude_check_is_geodetic_near_the_interface(lat_deg, f200):
    """The start check bounds the geodetic altitude by |r| - a and runs Bowring's iteration
    only near the interface: a start 0.5 km below 120 km (geodetic) is refused and one
    0.5 km above is flown, at the equator as at the pole (where |r| - a is 21 km less)."""
    from deorbit.constants import EARTH_RADIUS_M, ECCENTRICITY_SQ

    def state(h_km):
        lat = np.radians(lat_deg)
        n = EARTH_RADIUS_M / np.sqrt(1.0 - ECCENTRICITY_SQ * np.sin(lat) ** 2)
        r = np.array([(n + h_km * 1e3) * np.cos(lat), 0.0,
                      (n * (1.0 - ECCENTRICITY_SQ) + h_km * 1e3) * np.sin(lat)])
        v = np.cross([0.0, 0.0, 1.0], r)
        v = v / np.linalg.norm(v) * 7800.0 if np.linalg.norm(v) > 0 else np.array([7800.0, 0, 0])
        return np.concatenate([r, v])[None, :]

    with pytest.raises(ValueError, match="at or below entry_alt_km"):
        propagate(0.0, state(119.5), 100.0, f200["table"], 1e-6, method="cowell")
    res = propagate(0.0, state(120.5), 100.0, f200["table"], 1e-6, method="cowell")
    assert res.end_alt_km[0] == pytest.approx(120.5, abs=0.01)
