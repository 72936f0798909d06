"""A finite burn flown by the kernel in one call (``kernel.FiniteBurn``, issue 19) is, bit for
bit on both backends, the burn flown leg by leg as ``operations.fire`` flew it before: each
leg between two impulses a propagation of its own, ``operations.burn`` between them, a leg
that crosses the entry interface but ends above breakup carried on to breakup."""
import functools
import types

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deorbit import frames, kernel, operations
from deorbit.atmosphere import load_msis_table
from deorbit.kernel import DailyIndices, FiniteBurn, Status, circular_state, propagate

try:
    from deorbit import _kernel
except ImportError:  # built without the compiled kernel
    _kernel = None

START = 9800.3
HISTORY_DAYS = np.arange(0.0, 3.0, 0.01)


@pytest.fixture(scope="module")
def orbit_table():
    return load_msis_table().orbit(51.64)


def _indices(n, rng):
    first = np.floor(START + 0.5) - 0.5
    return DailyIndices(np.full(n, first), rng.uniform(70, 250, (n, 9)),
                        rng.uniform(-30, 60, (n, 9)), rng.uniform(0, 120, (n, 9)))


def _random_arcs(rng, n, frac, pointing_deg):
    """(epoch, state, burn, stop epoch) of n finite burns, some starting just above the
    entry interface (they enter during or after the burn), some followed by a coast."""
    state = circular_state(rng.uniform(121.0, 230.0, n), 51.64, rng.uniform(0, 360, n),
                           rng.uniform(0, 360, n))
    epoch = START + rng.uniform(0.0, 1.5, n)
    burn = FiniteBurn(rng.integers(1, 12, n), rng.uniform(0.0, 1500.0, n),
                      rng.uniform(-20.0, 150.0, n), rng.standard_normal((n, 3)), frac,
                      pointing_deg)
    return epoch, state, burn, epoch + 1.0 * burn.duration_s / 86400.0 + rng.choice(
        [0.0, 0.02], n)


def _leg_by_leg(epoch, state, bc, table, stop, burn, sw, origin, stop_alt):
    """The definition: one ``propagate`` per leg (and per carry-on to breakup), history
    joined as the engine joins its pieces (a time keeps its first value)."""
    n = epoch.size
    out = dict(status=np.zeros(n, np.int8), end=np.full(n, np.nan), state=np.full((n, 6), np.nan),
               entry=np.full(n, np.nan), history=np.full((n, HISTORY_DAYS.size), np.nan))
    for i in range(n):
        one = np.array([i])

        def fly(e, y, until, entry_alt_km=120.0, i=i, one=one):
            r = propagate(e, y, bc[one], table, np.array([until]), method="cowell",
                          entry_alt_km=entry_alt_km, stop_alt_km=stop_alt[one],
                          space_weather=sw.take(one), history_days=HISTORY_DAYS,
                          history_origin_utc_days=origin[one])
            old = out["history"][i]
            out["history"][i] = np.where(np.isnan(old), r.history_sma_alt_km[0], old)
            return r

        e, y, k_n = epoch[one], state[one], int(burn.segments[i])
        for k in range(k_n + 1):
            until = (epoch[i] + (k + 0.5) / k_n * burn.duration_s[i] / 86400.0 if k < k_n
                     else stop[i])
            r = fly(e, y, until)
            s, e, y = r.status[0], r.end_epoch_utc_days, r.end_state_eci
            if np.isfinite(r.entry_epoch_utc_days[0]):
                out["entry"][i] = r.entry_epoch_utc_days[0]
                if s == Status.HORIZON:   # inside the atmosphere: on to breakup
                    alt = float(frames.altitude_km(y[:, :3])[0])
                    r = fly(e, y, e[0] + 1.0, alt - operations.INSIDE_MARGIN_KM)
                    s, e, y = r.status[0], r.end_epoch_utc_days, r.end_state_eci
            if s != Status.HORIZON:
                break
            if k < k_n:
                y = operations.burn(y, burn.dv_m_s[one] / k_n, burn.errors[one],
                                    burn.dv_error_frac, burn.pointing_error_deg)
        out["status"][i], out["end"][i], out["state"][i] = s, e[0], y[0]
    return out


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), frac=st.floats(0.0, 0.05),
       pointing_deg=st.floats(0.0, 3.0))
def test_arc_is_its_legs(backend, orbit_table, seed, frac, pointing_deg):
    rng = np.random.default_rng(seed)
    n = 4
    epoch, state, burn, stop = _random_arcs(rng, n, frac, pointing_deg)
    bc, stop_alt = rng.uniform(80.0, 160.0, n), rng.uniform(70.0, 90.0, n)
    sw, origin = _indices(n, rng), epoch - rng.uniform(0.0, 1.0, n)
    got = propagate(epoch, state, bc, orbit_table, stop, method="cowell", stop_alt_km=stop_alt,
                    space_weather=sw, history_days=HISTORY_DAYS,
                    history_origin_utc_days=origin, burn=burn)
    want = _leg_by_leg(epoch, state, bc, orbit_table, stop, burn, sw, origin, stop_alt)
    assert got.status.tobytes() == want["status"].tobytes()
    for name, mine in (("end", got.end_epoch_utc_days), ("state", got.end_state_eci),
                       ("entry", got.entry_epoch_utc_days), ("history", got.history_sma_alt_km)):
        assert mine.tobytes() == want[name].tobytes(), name


def test_bad_burns_are_named(orbit_table):
    rng = np.random.default_rng(1)
    state = circular_state(np.full(2, 200.0), 51.64)
    epoch = np.full(2, START)
    sw = _indices(2, rng)
    good = FiniteBurn(np.array([3, 3]), np.full(2, 600.0), np.full(2, 10.0), np.zeros((2, 3)))
    cases = [
        (good, epoch + 0.001, "stop_epoch_utc_days\\[0\\] = .*: allowed >= the burn's end"),
        (good._replace(segments=np.array([0, 3])), epoch + 1.0, "burn.segments: expected "
         "integers >= 1"),
        (good._replace(duration_s=np.array([600.0, np.nan])), epoch + 1.0,
         "burn.duration_s\\[1\\] = nan"),
        (good._replace(errors=np.full((2, 3), np.inf)), epoch + 1.0, "burn.errors"),
    ]
    for burn, stop, message in cases:
        with pytest.raises(ValueError, match=message):
            propagate(epoch, state, 100.0, orbit_table, stop, method="cowell",
                      space_weather=sw, burn=burn)
    with pytest.raises(ValueError, match="method = 'cowell'"):
        propagate(epoch, state, 100.0, orbit_table, epoch + 1.0, space_weather=sw, burn=good)


@pytest.mark.skipif(_kernel is None, reason="compiled kernel not built")
@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 7))
def test_arcs_in_lanes(monkeypatch, orbit_table, seed, k):
    """The compiled kernel flies finite burns in its lanes (a lane's next leg starts where
    its last ended, beside other samples' steps): any lane count gives the same bytes."""
    rng = np.random.default_rng(seed)
    n = 11
    epoch, state, burn, stop = _random_arcs(rng, n, 0.01, 1.0)
    args = (epoch, state, rng.uniform(80.0, 160.0, n), orbit_table, stop)
    kw = dict(method="cowell", stop_alt_km=rng.uniform(70.0, 90.0, n),
              space_weather=_indices(n, rng), history_days=HISTORY_DAYS,
              history_origin_utc_days=epoch - 0.5, burn=burn)
    runs = []
    for lanes in (None, 1, k):
        module = _kernel if lanes is None else types.SimpleNamespace(
            propagate_block=functools.partial(_kernel.propagate_block, lanes=lanes))
        monkeypatch.setattr(kernel, "_backend", module)
        runs.append(propagate(*args, **kw))
    for r in runs[1:]:
        for f in ("status", "end_epoch_utc_days", "entry_epoch_utc_days", "end_state_eci",
                  "history_sma_alt_km", "n_steps", "n_rhs"):
            assert getattr(r, f).tobytes() == getattr(runs[0], f).tobytes(), f
