"""States along one trajectory (ephemeris output) and the observed daily indices of a span."""
import numpy as np
import pytest

from deorbit import _reference, kernel, trajectory
from deorbit.atmosphere import load_msis_table
from deorbit.kernel import Status, circular_state, propagate
from deorbit.solar import observed_daily_indices
from deorbit.time import epoch_from_datetime

from .conftest import BACKENDS

START = epoch_from_datetime("2022-02-11T12:00:00")


def test_ephemeris_does_not_change_the_trajectory(backend, f200):
    """Asking for states along the way only reads the dense output: the end state and the
    step count are bit-identical, and the last ephemeris state is the end state."""
    y0 = circular_state([400.0, 250.0], 51.64, [0.0, 40.0], [0.0, 90.0])
    kw = dict(method="cowell", **f200["options"])
    plain = propagate(START, y0, 120.0, f200["table"], START + 2.0, **kw)
    eph = propagate(START, y0, 120.0, f200["table"], START + 2.0,
                    ephemeris_days=np.linspace(0.0, 2.0, 17), **kw)
    np.testing.assert_array_equal(plain.end_state_eci, eph.end_state_eci)
    np.testing.assert_array_equal(plain.n_steps, eph.n_steps)
    np.testing.assert_array_equal(eph.ephemeris_state_eci[:, 0], y0)
    np.testing.assert_array_equal(eph.ephemeris_state_eci[:, -1], eph.end_state_eci)


def test_ephemeris_matches_propagating_to_each_epoch(backend, f200):
    """The dense output (7th order) agrees with integrations stopped at each epoch: the
    difference is the integrators' own error at rtol 1e-11 (< 1 mm over 1.5 days)."""
    y0 = circular_state(350.0, 51.64, 30.0, 10.0)
    times = np.array([0.0, 0.013, 0.5, 0.77, 1.5])
    kw = dict(rtol=1e-11, **f200["options"])
    res = trajectory(START, y0, START + times, 80.0, f200["table"], **kw)
    for k, t in enumerate(times):
        alone = propagate(START, y0, 80.0, f200["table"], START + t, method="cowell", **kw)
        np.testing.assert_allclose(res.ephemeris_state_eci[0, k, :3],
                                   alone.end_state_eci[0, :3], rtol=0, atol=1e-3)
        np.testing.assert_allclose(res.ephemeris_state_eci[0, k, 3:],
                                   alone.end_state_eci[0, 3:], rtol=0, atol=1e-6)


def test_ephemeris_after_entry_is_nan(backend, f200):
    """A sample that enters before some epochs has NaN states there, finite ones before."""
    y0 = circular_state(160.0, 51.64)
    res = trajectory(START, y0, START + np.linspace(0.0, 5.0, 51), 50.0, f200["table"],
                     **f200["options"])
    assert res.status[0] == Status.ENTERED
    t_end = res.end_epoch_utc_days[0] - START
    before = res.ephemeris_days <= t_end
    assert 0 < before.sum() < before.size
    assert np.all(np.isfinite(res.ephemeris_state_eci[0, before]))
    assert np.all(np.isnan(res.ephemeris_state_eci[0, ~before]))


@pytest.mark.skipif(BACKENDS["compiled"] is None, reason="compiled kernel not built")
def test_compiled_ephemeris_equals_reference():
    """Both backends give the same states along a day of NRLMSISE-00 drag with observed
    indices (same operations in the same order: 1e-9 relative, as the block outputs)."""
    table = load_msis_table().orbit(51.64)
    sw = observed_daily_indices(START, START + 1.0)
    y0 = circular_state(300.0, 51.64, 12.0, 3.0)
    out = []
    for module in (BACKENDS["compiled"], _reference):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(kernel, "_backend", module)
            out.append(trajectory(START, y0, START + np.linspace(0, 1.0, 9), 100.0, table,
                                  space_weather=sw).ephemeris_state_eci)
    np.testing.assert_allclose(out[0], out[1], rtol=1e-9, atol=1e-3)


def test_ephemeris_needs_cowell(f200):
    with pytest.raises(ValueError, match="method = 'cowell'"):
        propagate(START, circular_state(400.0, 51.64), 100.0, f200["table"], START + 1.0,
                  ephemeris_days=[0.5])
    with pytest.raises(ValueError, match="epochs_utc_days"):
        trajectory(START, circular_state(400.0, 51.64), [START - 1.0], 100.0, f200["table"])


def test_observed_daily_indices_follow_the_record():
    """The record's days for a span, in the kernel's epoch convention: the day of the start
    (00:00 UTC) to the day after the stop, with the file's values (2022-02-03/04 storm: daily
    Ap 26 and 32, previous-day F10.7 of the 4th = 2022-02-03's observed flux)."""
    from deorbit.spaceweather import load_space_weather

    sw = load_space_weather()
    start = epoch_from_datetime("2022-02-01T18:00:00")
    ind = observed_daily_indices(start, start + 4.0, n_samples=3)
    assert ind.first_day_utc_days.tolist() == [epoch_from_datetime("2022-02-01")] * 3
    assert ind.ap.shape == (3, 6)
    row = int(np.searchsorted(sw.day_j2000, np.floor(start + 0.5)))
    np.testing.assert_array_equal(ind.ap[0], sw.ap_daily[row:row + 6])
    np.testing.assert_array_equal(ind.f107a_sfu[1], sw.f107_obs_ctr81_sfu[row:row + 6])
    np.testing.assert_allclose(ind.df_sfu[2] + ind.f107a_sfu[2],
                               sw.f107_obs_sfu[row - 1:row + 5])
    assert ind.ap[0, 2:4].tolist() == [26.0, 32.0]
    with pytest.raises(ValueError, match="not all observed"):
        observed_daily_indices(epoch_from_datetime("2026-10-10"),
                               epoch_from_datetime("2026-11-10"))
