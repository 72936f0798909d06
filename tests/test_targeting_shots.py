"""The final-burn targeting's trial shots (issue 19): the calibration shot and the Newton
shots let the reference fragment fall as the engine's fragments fall (integrated to 10 km,
then the terminal descent: ``fall``), the model that scores the impacts, so both put the
same burn's impact at the same place; the Newton shots' coasts start from an anchor before
the scan's burn time, which moves their impacts by no more than the integrator's error."""
import numpy as np
import pytest

from deorbit import fall, frames, operations
from deorbit.ground import great_circle_distance_km
from deorbit.kernel import circular_state
from deorbit.scenario import load_scenario


def _stations(alt_km, seed, n=6):
    """(iss-2030, its fall table, states, epochs, Station) of n stations on circular orbits
    at alt_km inside the fall table (0-200 km, static)."""
    s = load_scenario("iss-2030")
    lower = fall.fall_table(s)
    rng = np.random.default_rng(seed)
    state = circular_state(np.full(n, alt_km), 51.64, rng.uniform(0, 360, n),
                           rng.uniform(0, 360, n))
    epoch = 9500.0 + rng.uniform(0.0, 1.0, n)
    return s, lower, state, epoch, operations.Station(np.full(n, 104.0), np.full(n, 78.0),
                                                      np.ones(n), lower)


@pytest.mark.parametrize("duration_s", [0.0, 1200.0])
def test_newton_shot_lands_where_the_calibration_shot_does(duration_s):
    s, lower, state, epoch, station = _stations(190.0, seed=2)
    n = epoch.size
    dv = np.full(n, 60.0)
    dur = np.full(n, duration_s)
    bc_ref = np.full(n, fall.reference_fragment_bc(s))
    imp_t, imp_r = operations._shot(epoch, state, dv, dur, station, bc_ref, lower)
    lat0, lon0, alt0 = frames.eci_to_geodetic(imp_r, imp_t)
    lat1, lon1 = operations._shoot(epoch, state, epoch, dv, dur, station, bc_ref, lower)
    d_km = great_circle_distance_km(lat0, lon0, lat1, lon1)
    assert np.all(np.isfinite(d_km))
    assert d_km.max() < 1e-3             # the same fall, through ECI and back
    np.testing.assert_allclose(alt0, 0.0, atol=1e-6)


def test_anchored_newton_shots():
    """Shots coasting from the anchor land within tens of metres of shots coasting from the
    window start (the same flight, another step sequence, whose millimetres the fragment's
    fall at rtol 1e-4 turns into up to ~20 m; the misses are ~100 km); a burn Newton moved
    before the anchor starts from the window start, bit for bit the direct shot."""
    s, lower, state, e0, station = _stations(200.0, seed=3)
    n = e0.size
    rng = np.random.default_rng(4)           # the scan's burn times
    sub = (np.full(n, 60.0), np.zeros(n), station, np.full(n, fall.reference_fragment_bc(s)),
           lower)
    t_scan = e0 + rng.uniform(0.1, 0.4, n)
    start = operations._Anchored.of(e0, state, t_scan, station)
    anchor_s = (t_scan - start.epoch) * 86400.0
    np.testing.assert_allclose(anchor_s, operations.NEWTON_ANCHOR_S, atol=1e-4)
    for shift_s in (-30.0, 0.0, 90.0):       # Newton's corrections, after the anchor
        t_burn = t_scan + shift_s / 86400.0
        lat0, lon0 = operations._shoot(e0, state, t_burn, *sub)
        lat1, lon1 = operations._shoot(*start.before(t_burn), t_burn, *sub)
        d_km = great_circle_distance_km(lat0, lon0, lat1, lon1)
        assert np.all(np.isfinite(d_km)) and d_km.max() < 0.05
    early = t_scan - 2.0 * operations.NEWTON_ANCHOR_S / 86400.0   # before the anchor
    e, y = start.before(early)
    np.testing.assert_array_equal(e, e0)
    np.testing.assert_array_equal(y, state)
