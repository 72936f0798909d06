"""The final-burn targeting's trial shots (issue 19): the calibration shot integrates the
reference fragment to the ground (it needs the impact's state and time); the Newton shots
let it fall as the engine's fragments fall (``fall.fall``), the model that scores the
impacts. Both must put the same burn's impact at the same place, within the fall model's
error (``test_operations``: < 1 km), far below the targeting's misses (tens of km)."""
import numpy as np
import pytest

from deorbit import fall, frames, operations
from deorbit.ground import great_circle_distance_km
from deorbit.kernel import circular_state
from deorbit.scenario import load_scenario


@pytest.mark.parametrize("duration_s", [0.0, 1200.0])
def test_newton_shot_lands_where_the_calibration_shot_does(duration_s):
    s = load_scenario("iss-2030")
    lower = fall.fall_table(s)    # 0-200 km, static: the station starts inside it
    n = 6
    rng = np.random.default_rng(2)
    state = circular_state(np.full(n, 190.0), 51.64, rng.uniform(0, 360, n),
                           rng.uniform(0, 360, n))
    epoch = 9500.0 + rng.uniform(0.0, 1.0, n)
    station = operations.Station(np.full(n, 104.0), np.full(n, 78.0), np.ones(n), lower)
    dv = np.full(n, 60.0)
    dur = np.full(n, duration_s)
    bc_ref = np.full(n, fall.reference_fragment_bc(s))
    imp_t, imp_y = operations._shot(epoch, state, dv, dur, station, bc_ref, lower)
    lat0, lon0, _ = frames.eci_to_geodetic(imp_y[:, :3], imp_t)
    lat1, lon1 = operations._shoot(epoch, state, epoch, dv, dur, station, bc_ref, lower)
    d_km = great_circle_distance_km(lat0, lon0, lat1, lon1)
    assert np.all(np.isfinite(d_km))
    assert d_km.max() < 1.0
    assert d_km.max() > 0.0   # two fall models, not one path
