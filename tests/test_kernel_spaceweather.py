"""The kernel driven day by day by the NRLMSISE-00 orbit table and daily indices."""
import dataclasses

import numpy as np
import pytest

from deorbit import _reference, kernel
from deorbit.atmosphere import load_msis_table
from deorbit.kernel import DailyIndices, Status, mean_circular_elements, propagate

from .conftest import BACKENDS

START = 9800.25   # 2026-10-30 18:00 UTC: the first day is entered a quarter-day in


@pytest.fixture(scope="module")
def orbit_table():
    return load_msis_table().orbit(51.64)


def _indices(n, days, f107a=150.0, df=0.0, ap=15.0):
    first = np.floor(START + 0.5) - 0.5
    full = np.full((n, days), 1.0)
    return DailyIndices(np.full(n, first), f107a * full, df * full, ap * full)


def test_daily_profile_equals_the_table_interpolation(orbit_table):
    """The reference kernel's day profile is OrbitDensityTable.log_density on that day."""
    d = kernel._density_arrays(orbit_table, _indices(1, 3, 143.0, 17.0, 33.0),
                               np.array([START]), np.array([START + 2.0]))
    table = _reference.Table(d.table_alt_km, d.table_log_rho[0], d.axis_f107a, d.axis_df,
                             d.axis_ap, d.season_log[0], d.season_nodes, d.season_period_days)
    daily, rows, offset = d.daily, d.daily_row, START - d.daily_first_days
    m = _reference.Model(0.0, 2, True, table, [tuple(r) for r in daily[rows[0]]], offset[0])
    doy = daily[rows[0], m.day, 3]
    expected = orbit_table.log_density(orbit_table.alt_km, 143.0, 17.0, 33.0, doy)
    # Same multilinear formula, other summation order: 1e-12 in ln rho.
    np.testing.assert_allclose(m.prof, expected, rtol=0, atol=1e-12)


def test_constant_indices_match_the_static_profile(orbit_table):
    """Without season, constant daily indices are the static profile at those indices."""
    flat = dataclasses.replace(orbit_table, season_log=None, season_day=None)
    mean = mean_circular_elements([300.0, 330.0], 51.64, [0.0, 90.0], [0.0, 45.0])
    daily = propagate(START, None, 104.0, flat, START + 199.0, mean_elements=mean,
                      space_weather=_indices(2, 201))
    static = propagate(START, None, 104.0, flat.profile(150.0, 0.0, 15.0), START + 199.0,
                       mean_elements=mean)
    assert np.all(daily.status == Status.ENTERED)
    # The daily run also cuts its steps at day boundaries: 1e-4 covers that.
    np.testing.assert_allclose(daily.lifetime_days, static.lifetime_days, rtol=1e-4)


def test_indices_held_past_their_columns_only_when_asked(orbit_table):
    """A propagation past the last column is refused, unless held_to_days says how far the
    last day may be held; it then runs as with that day repeated, season included (to the
    step sequence: a held day has no day boundaries to end Cowell steps on)."""
    orbit_table = dataclasses.replace(orbit_table, season_log=None, season_day=None)
    mean = mean_circular_elements([300.0, 330.0], 51.64, [0.0, 90.0], [0.0, 45.0])
    rng = np.random.default_rng(5)
    short = DailyIndices(np.full(2, np.floor(START + 0.5) - 0.5), *(
        rng.uniform(lo, hi, (2, 60)) for lo, hi in ((100, 180), (-20, 20), (3, 40))))
    with pytest.raises(ValueError, match="sample 0 runs from .* but its 60 days start"):
        propagate(START, None, 104.0, orbit_table, START + 199.0, mean_elements=mean,
                  space_weather=short)
    held = propagate(START, None, 104.0, orbit_table, START + 199.0, mean_elements=mean,
                     space_weather=DailyIndices(short.first_day_utc_days, short.f107a_sfu,
                                                  short.df_sfu, short.ap, held_to_days=201))
    padded = DailyIndices(short.first_day_utc_days, *(
        np.pad(a, ((0, 0), (0, 141)), mode="edge") for a in (short.f107a_sfu, short.df_sfu,
                                                            short.ap)))
    full = propagate(START, None, 104.0, orbit_table, START + 199.0, mean_elements=mean,
                     space_weather=padded)
    assert np.all(held.status == Status.ENTERED) and held.lifetime_days.max() > 70.0
    np.testing.assert_allclose(held.lifetime_days, full.lifetime_days, rtol=1e-6)


def test_results_do_not_depend_on_the_daily_value_cache(orbit_table):
    """The compiled kernel caches each daily row's ln rho at the altitude nodes per sample,
    unless days x altitude nodes exceed 2^22 (a user table with a fine grid over decades):
    both paths give bit-identical results."""
    alt = np.linspace(orbit_table.alt_km[0], orbit_table.alt_km[-1], 700)
    fine = dataclasses.replace(orbit_table, alt_km=alt, season_log=None, season_day=None,
                               log_rho=orbit_table.log_density(
                                   alt[:, None, None, None], orbit_table.f107a_sfu[:, None, None],
                                   orbit_table.df_sfu[:, None], orbit_table.ap))
    mean = mean_circular_elements([250.0, 265.0], 51.64, [0.0, 90.0], [0.0, 45.0])
    rng = np.random.default_rng(11)
    days = [rng.uniform(lo, hi, (2, 6000)) for lo, hi in ((100, 180), (-20, 20), (3, 40))]
    first = np.full(2, np.floor(START + 0.5) - 0.5)
    runs = [propagate(START, None, 104.0, fine, START + 90.0, mean_elements=mean,
                      space_weather=DailyIndices(first, *(d[:, :n] for d in days)))
            for n in (100, 6000)]   # 100 x 700 entries are cached, 6000 x 700 > 2^22 are not
    assert np.all(runs[0].status == Status.ENTERED)
    for a, b in zip(dataclasses.astuple(runs[0]), dataclasses.astuple(runs[1])):
        np.testing.assert_array_equal(a, b)


def test_a_storm_day_shortens_the_lifetime(orbit_table):
    mean = mean_circular_elements([250.0, 250.0], 51.64, 0.0, 0.0)
    sw = _indices(2, 120)
    sw.ap[1, 5] = 150.0    # sample 1: one storm day
    res = propagate(START, None, 104.0, orbit_table, START + 119.0, mean_elements=mean,
                    space_weather=sw)
    assert np.all(res.status == Status.ENTERED)
    assert res.lifetime_days[1] < res.lifetime_days[0]


def test_hybrid_agrees_with_cowell_under_daily_space_weather(orbit_table):
    """Day-to-day indices (27-day rotation, daily noise, log-normal Ap with storm days): the
    mean phase against Cowell, 0.1 % of the lifetime, handed over at the kernel's 180 km
    and at the scenarios' 160 km."""
    rng = np.random.default_rng(7)
    n, days = 4, 1500
    t = np.arange(days)
    f107a = 140.0 + 20.0 * np.sin(2 * np.pi * t / 27.0) + rng.normal(0.0, 3.0, (n, days))
    df = rng.normal(0.0, 25.0, (n, days))
    ap = np.clip(10.0 * rng.lognormal(0.0, 0.9, (n, days)), 0.0, 300.0)
    first = np.floor(START + 0.5) - 0.5
    sw = DailyIndices(np.full(n, first), f107a, df, ap)
    mean = mean_circular_elements([400.0, 410.0, 420.0, 400.0], 51.64, [0.0, 90.0, 180.0, 270.0],
                                  [0.0, 100.0, 200.0, 300.0])
    def lifetime(method, **kw):
        return propagate(START, None, [104.0, 104.0, 150.0, 70.0], orbit_table,
                         START + days - 2, method=method, mean_elements=mean,
                         space_weather=sw, **kw).lifetime_days

    cowell = lifetime("cowell")
    assert np.all(np.isfinite(cowell))
    # one step per day, and steps of up to 8 days seeing the mean of their days' densities
    for max_step_days, handover in ((1.0, 180.0), (8.0, 180.0), (8.0, 160.0)):
        np.testing.assert_allclose(lifetime("hybrid", mean_max_step_days=max_step_days,
                                            handover_alt_km=handover), cowell, rtol=1e-3)


@pytest.mark.skipif(BACKENDS["compiled"] is None, reason="compiled kernel not built")
@pytest.mark.parametrize("method, days, max_step_days", [
    ("cowell", 1.5, 1.0), ("hybrid", 6.0, 1.0), ("hybrid", 8.0, 3.0), ("hybrid", 8.0, 0.4)])
def test_compiled_equals_reference_with_daily_indices(orbit_table, method, days, max_step_days,
                                                      monkeypatch):
    """Mean-phase steps of one day, of several days (the time-mean of the daily densities)
    and of parts of days; then Cowell below the hand-over, one day at a time."""
    rng = np.random.default_rng(3)
    n = 3
    sw = DailyIndices(np.full(n, np.floor(START + 0.5) - 0.5), rng.uniform(70, 250, (n, 9)),
                      rng.uniform(-30, 60, (n, 9)), rng.uniform(0, 120, (n, 9)))
    mean = mean_circular_elements([200.0, 260.0, 330.0], 51.64, [0, 120, 240], [0, 60, 300])
    out = []
    for module in (BACKENDS["compiled"], _reference):
        monkeypatch.setattr(kernel, "_backend", module)
        out.append(propagate(START, None, 80.0, orbit_table, START + days, method=method,
                             mean_elements=mean, space_weather=sw,
                             mean_max_step_days=max_step_days,
                             handover_alt_km=150.0, history_days=[0.0, 1.0, 2.0]))
    a, b = out
    np.testing.assert_array_equal(a.status, b.status)
    np.testing.assert_allclose(a.end_state_eci, b.end_state_eci, rtol=1e-9, atol=1e-3)
    np.testing.assert_allclose(a.end_epoch_utc_days, b.end_epoch_utc_days, rtol=1e-12)


def test_taken_indices_share_the_packed_rows(orbit_table):
    """``take`` hands the kernel the parent's checked rows (no copy, no second check) and a
    propagation with them equals one with a new DailyIndices of the same values, bit for
    bit, for an index array and a boolean mask."""
    rng = np.random.default_rng(8)
    n, days = 5, 12
    first = np.floor(START + 0.5) - 0.5 + np.array([0.0, 0.0, 1.0, 0.0, 2.0])
    cols = (rng.uniform(70, 250, (n, days)), rng.uniform(-30, 60, (n, days)),
            rng.uniform(0, 120, (n, days)))
    sw = DailyIndices(first, *cols)
    daily, rows = sw.packed()
    assert daily.shape == (n, days, 4) and sw.packed()[0] is daily
    mean = mean_circular_elements([300.0, 330.0, 360.0, 390.0, 420.0], 51.64)
    for idx in (np.array([4, 1, 3]), np.array([True, False, True, False, True])):
        taken = sw.take(idx)
        assert taken.packed()[0] is daily
        np.testing.assert_array_equal(taken.packed()[1], rows[idx])
        for name, col in zip(("f107a_sfu", "df_sfu", "ap"), cols):  # read from the rows
            np.testing.assert_array_equal(getattr(taken, name), col[idx])
        np.testing.assert_array_equal(taken.take(np.array([1, 0])).ap, cols[2][idx][[1, 0]])
        fresh = DailyIndices(first[idx], *(c[idx] for c in cols))
        a, b = (propagate(first[idx] + 0.7, None, 60.0, orbit_table, first[idx] + 9.0,
                          mean_elements=mean[idx], space_weather=s) for s in (taken, fresh))
        for f in dataclasses.fields(a):
            np.testing.assert_array_equal(getattr(a, f.name), getattr(b, f.name))


@pytest.mark.parametrize("change, message", [
    (dict(days=3), "runs from .* but its 3 days start"),
    (dict(nan=True), r"space_weather.ap\[0, 1\] = nan: allowed finite values"),
])
def test_bad_daily_indices(orbit_table, change, message):
    sw = _indices(1, change.get("days", 10))
    if change.get("nan"):
        sw.ap[0, 1] = np.nan
    with pytest.raises(ValueError, match=message):
        propagate(START, None, 100.0, orbit_table, START + 5.0,
                  mean_elements=mean_circular_elements(400.0, 51.64), space_weather=sw)


def test_orbit_table_needs_indices(orbit_table):
    with pytest.raises(ValueError, match="needs DailyIndices"):
        propagate(START, None, 100.0, orbit_table, START + 5.0,
                  mean_elements=mean_circular_elements(400.0, 51.64))
