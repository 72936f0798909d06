"""The final-burn scan (issue 19): approximate distances find the exhaustive scan's pass.

``operations._scan_window`` decides on the exact distances of a few candidate scan times;
it must choose what the exhaustive scan of every time (``operations._nearest_pass`` on the
exact distances) chooses, bit for bit, and its approximate distances (compiled
``deorbit._scan`` and the pure-Python ``deorbit._scan_reference``) must stay within the
tolerance its candidate bounds assume.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deorbit import _scan_reference, operations
from deorbit.ground.sphere import MEAN_EARTH_RADIUS_KM, great_circle_distance_km
from deorbit.kernel import circular_state

TARGET = (-48.8767, -123.3933)


def _track(seed, n, inc_deg=None):
    rng = np.random.default_rng(seed)
    inc = rng.uniform(20.0, 100.0, n) if inc_deg is None else np.full(n, inc_deg)
    state = circular_state(rng.uniform(150.0, 300.0, n), inc, rng.uniform(0, 360, n),
                           rng.uniform(0, 360, n))
    return operations._Track.of(state, 9000.0 + rng.uniform(0.0, 4000.0, n),
                                rng.uniform(0.3, 3.0, n), rng.uniform(900.0, 3600.0, n))


def _exhaustive(tr, dt, lat_deg, lon_deg):
    lat, lon = operations._impact_lat_lon(tr.column(), dt)
    dist = great_circle_distance_km(lat, lon, lat_deg, lon_deg)
    return operations._nearest_pass(dist), dist


def _reference_km(tr, n_times, lat_deg, lon_deg):
    """The pure-Python twin's distances, with the arguments operations passes."""
    saved = operations._scan
    operations._scan = _scan_reference
    try:
        return operations._approx_scan_km(tr, n_times, lat_deg, lon_deg)
    finally:
        operations._scan = saved


@pytest.mark.parametrize("seed", [0, 1])
def test_approximate_distances_within_tolerance(seed):
    """Both twins within a tenth of SCAN_TOLERANCE_KM of the exact distances, at every
    scan time of a day (inclinations 20-100 deg, all latitudes they reach)."""
    tr = _track(seed, 40)
    dt = np.arange(0.0, 86400.0 + 10.0, operations.SCAN_STEP_S)
    _, exact = _exhaustive(tr, dt, *TARGET)
    fast = operations._approx_scan_km(tr, dt.size, *TARGET)
    ref = _reference_km(tr, dt.size, *TARGET)
    assert np.abs(fast - exact).max() < 0.1 * operations.SCAN_TOLERANCE_KM
    assert np.abs(ref - exact).max() < 0.1 * operations.SCAN_TOLERANCE_KM
    assert np.abs(fast - ref).max() < 1e-6


def test_compiled_constant_matches():
    scan = pytest.importorskip("deorbit._scan")
    assert scan.MEAN_EARTH_RADIUS_KM == MEAN_EARTH_RADIUS_KM


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), window_h=st.sampled_from([0.1, 1.0, 6.0, 24.0]),
       lat=st.floats(-80.0, 80.0), lon=st.floats(-180.0, 180.0))
def test_scan_chooses_the_exhaustive_pass(seed, window_h, lat, lon):
    """The same scan index as the exhaustive scan, for any target and window (short
    windows often hold no pass: the edge fallback)."""
    tr = _track(seed, 12)
    dt = np.arange(0.0, window_h * 3600.0 + 0.5 * operations.SCAN_STEP_S,
                   operations.SCAN_STEP_S)
    expected, _ = _exhaustive(tr, dt, lat, lon)
    np.testing.assert_array_equal(operations._scan_window(tr, dt, lat, lon), expected)


def test_window_without_a_pass_takes_the_nearest_edge():
    """Rows whose window holds no pass (the distance only falls or rises over 6 minutes)
    find no candidate minimum and are decided on the exhaustive scan: the nearer edge."""
    tr = _track(3, 30)
    dt = np.arange(0.0, 360.0 + 10.0, operations.SCAN_STEP_S)
    expected, _ = _exhaustive(tr, dt, *TARGET)
    edge = (expected == 0) | (expected == dt.size - 1)
    assert edge.sum() >= 10
    np.testing.assert_array_equal(operations._scan_window(tr, dt, *TARGET), expected)


def test_equidistant_track_ties_resolve_as_the_exhaustive_scan():
    """Equatorial orbits and a target at the pole: every scan time is within rounding of
    the same distance, every one a candidate; ties go to the first minimum, as in the
    exhaustive scan."""
    tr = _track(4, 6, inc_deg=0.0)
    dt = np.arange(0.0, 3600.0 + 10.0, operations.SCAN_STEP_S)
    expected, dist = _exhaustive(tr, dt, 90.0, 0.0)
    assert np.ptp(dist, axis=1).max() < 1e-6
    np.testing.assert_array_equal(operations._scan_window(tr, dt, 90.0, 0.0), expected)


def test_ci_uses_the_compiled_scan():
    """On CI (CI=true) the compiled scan must have been built and be in use."""
    import os

    if os.environ.get("CI", "").lower() != "true" or os.environ.get("DEORBIT_PUREPYTHON"):
        pytest.skip("only meaningful on CI")
    assert operations._scan.__name__ == "deorbit._scan"
