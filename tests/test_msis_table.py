"""The density tables (deorbit.atmosphere.msis) against their models, the NRLMSISE-00
table's physical properties, the February 2022 storm, and the file checks.

The yardstick is :func:`deorbit.atmosphere.pymsis_means.pymsis_orbit_mean_density`: NRLMSISE-00
(or NRLMSIS 2.1) straight from pymsis (indices passed explicitly, nothing downloaded), averaged
over 24 latitudes of the circular orbit uniform in time, 6 longitudes x 8 local times and
(annual mean) 12 days of the year - a sampling independent of the table's own; for DTM2000
the same average of Orekit's DTM2000
(:func:`deorbit.atmosphere.dtm2000_orekit.dtm2000_orbit_mean_density`). The yardstick itself
is converged to 0.04 % (measured at 16 random points against 12 longitudes x 16 local times x
48 orbit latitudes x 48 days).
"""
from __future__ import annotations

import functools
import hashlib
import zipfile

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from deorbit._data import data_bytes
from deorbit.atmosphere import DensityTable, load_msis_table, msis
from deorbit.atmosphere.models import DEFAULT_MODEL, DENSITY_MODELS, density_model
from deorbit.atmosphere.msis import orbit_latitude_weights, utc_day_of_year
from deorbit.atmosphere.pymsis_means import pymsis_day_mean_density, pymsis_orbit_mean_density
from deorbit.tools import msis_table

#: sha256 of the packaged tables, also in src/deorbit/data/README.md.
PACKAGED_SHA256 = {
    "nrlmsise00": "c5e8f0975b2b7891d6c4eb19c67202fa7dc0903150cc711f2b5bc4d132c2d787",
    "nrlmsis21": "695c51539def796b1ff46204e721e945d82cfa169a911368427fd306067735c4",
    "dtm2000": "0fdcfd68871606486fa6b5b501fc0fd47bc4d3c63f3705458cfccff48ca8cc64",
}

INCLINATIONS = (0.0, 28.5, 51.64, 53.0, 97.5)


@functools.lru_cache(maxsize=1)
def _packaged():
    return load_msis_table()


@pytest.fixture(scope="module")
def table():
    return _packaged()


def _random_points(n, seed):
    """n points of the validation domain: alt 100-900 km, F10.7a 65-290 sfu, daily F10.7 at
    least 60 sfu (the quiet-Sun floor; the record's minimum is 53.5) with df in -60..120 sfu,
    Ap 0-300 (uniform: storms are over-represented on purpose), inclination from
    INCLINATIONS, day of year 1-365."""
    rng = np.random.default_rng(seed)
    alt = rng.uniform(100.0, 900.0, n)
    fa = rng.uniform(65.0, 290.0, n)
    df = rng.uniform(np.maximum(-60.0, 60.0 - fa), 120.0)
    ap = rng.uniform(0.0, 300.0, n)
    inc = rng.choice(INCLINATIONS, n)
    doy = rng.integers(1, 366, n)
    return alt, fa, df, ap, inc, doy


def _summary(alt, err, edges=(100, 150, 300, 600, 900)):
    lines = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        e = err[(alt >= lo) & (alt < hi)]
        if e.size:
            lines.append(f"{lo}-{hi} km: n={e.size} rms={np.sqrt(np.mean(e**2)):.4f} "
                         f"worst={np.max(np.abs(e)):.4f}")
    lines.append(f"all: n={err.size} rms={np.sqrt(np.mean(err**2)):.4f} "
                 f"worst={np.max(np.abs(err)):.4f}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# (a) each packaged table vs its own model at random points
# --------------------------------------------------------------------------------------------
def _yardstick(model):
    """The model itself, averaged as a table value is: pymsis (NRLMSISE-00, NRLMSIS 2.1) or
    Orekit (DTM2000; skipped, saying why, without orekit-jpype or Java)."""
    entry = density_model(model)
    if entry.evaluator == "pymsis":
        return functools.partial(pymsis_orbit_mean_density, version=entry.pymsis_version)
    from deorbit.atmosphere.dtm2000_orekit import dtm2000_orbit_mean_density, start_dtm2000

    try:
        start_dtm2000()
    except ImportError as exc:
        pytest.skip(f"the DTM2000 table's yardstick is Orekit's DTM2000: {exc}")
    return dtm2000_orbit_mean_density


#: Measured annual-mean errors (table / its model - 1 at the 200 points of
#: test_table_matches_its_model: RMS, worst) and the median of NRLMSISE-00's table over the
#: model at the same points (the model-form spread: why a test against NRLMSISE-00 would fail).
MEASURED_ANNUAL = {
    "nrlmsise00": "RMS 0.45 %, worst 1.6 % (at 536 km, Ap 17)",
    "nrlmsis21": "RMS 0.45 %, worst 1.6 %; NRLMSISE-00 / NRLMSIS 2.1 median 1.135",
    "dtm2000": "RMS 0.75 %, worst 3.6 % (880 km, Ap 236); NRLMSISE-00 / DTM2000 median 0.68 "
               "(5-95 %: 0.36-0.97; these points are storm-heavy, Ap uniform in 0-300)",
}
#: Range of the median of NRLMSISE-00's table over each other model's own density.
OTHER_MODEL_MEDIAN = {"nrlmsis21": (1.05, 1.25), "dtm2000": (0.55, 0.80)}
#: Worst annual-mean error allowed. DTM2000 takes Kp, which the standard ap-Kp table makes
#: piecewise linear in Ap with a kink at every step (207, 236, 300 between the Ap nodes 200,
#: 250, 300), and its density is exponential in Kp: at 880 km, Ap 236 (a kink) linear
#: interpolation between the Ap nodes 200 and 250 is 3.6 % below the model. The RMS
#: tolerance is the same for all.
WORST_ANNUAL = {"nrlmsise00": 0.03, "nrlmsis21": 0.03, "dtm2000": 0.045}


@pytest.mark.slow  # 10-25 s each: 200 x 13824 model calls
@pytest.mark.parametrize("model", list(DENSITY_MODELS))
def test_table_matches_its_model(model):
    """Annual-mean table vs its model's orbit mean at 200 random points of the domain
    (measured, pymsis 0.13.0 / orekit-jpype 13.1: :data:`MEASURED_ANNUAL`).

    Tolerance RMS 1 %, worst 3 % (same recipe and axes; DTM2000 4.5 %,
    :data:`WORST_ANNUAL`): the per-axis interpolation errors, measured one axis at a time on
    NRLMSISE-00's orbit mean (F10.7a <= 1.1 %, Ap <= 1.8 % at 600-1000 km, df <= 1.3 %,
    altitude <= 0.7 %, latitude nodes <= 0.5 %, the table's 36-sample average <= 0.45 %, the
    yardstick's own sampling 0.04 %) can add up to about 3 % where their worst cases meet.
    Each table is its own model's: at the same points the other models differ from
    NRLMSISE-00 by more than that.
    """
    yardstick = _yardstick(model)
    raw = data_bytes(density_model(model).table_file)
    assert hashlib.sha256(raw).hexdigest() == PACKAGED_SHA256[model]
    table = load_msis_table(model=model)
    assert table.provenance["model"].startswith(density_model(model).display_name + " via ")
    alt, fa, df, ap, inc, _ = _random_points(200, seed=20260401)
    ref = np.array([yardstick(*p) for p in zip(alt, fa, fa + df, ap, inc)])
    ok = np.isfinite(ref)
    # NRLMSISE-00 has no valid density at some 105-120 km high-latitude points for Ap >~ 250
    assert np.sum(~ok) <= 2, f"{np.sum(~ok)} points without a valid density"
    err = table.density(alt, fa, df, ap, inc)[ok] / ref[ok] - 1.0
    report = _summary(alt[ok], err)
    print(f"\n{model} annual mean, table / model - 1:\n" + report)
    assert np.sqrt(np.mean(err**2)) < 0.01, report
    assert np.max(np.abs(err)) < WORST_ANNUAL[model], report
    if model != DEFAULT_MODEL:
        other = np.median(load_msis_table().density(alt, fa, df, ap, inc)[ok] / ref[ok])
        print(f"NRLMSISE-00 table / {model}: median {other:.3f}")
        lo, hi = OTHER_MODEL_MEDIAN[model]
        assert lo < other < hi, f"NRLMSISE-00 / {model} at these points: {other:.3f}"


#: Measured errors with the season correction on the day (test_day_of_year_matches_model).
MEASURED_DAY = {
    "nrlmsise00": "Ap <= 50 (31 points): RMS 0.9 %, worst 2.9 %; all Ap 0-300: RMS 2.2 %, "
                  "worst 13 % (600-900 km, Ap > 200; by Ap range the RMS is 0.9 / 1.1 / "
                  "1.6 / 3.2 % for Ap 0-50 / 50-100 / 100-200 / 200-300); without the season "
                  "factor RMS 13 %, worst 40 %",
    "nrlmsis21": "Ap <= 50: RMS 0.9 %, worst 2.4 %; all Ap: RMS 2.5 %, worst 14 % (600-900 km); "
                 "without the season factor RMS 15 %, worst 49 %",
    "dtm2000": "Ap <= 50: RMS 1.3 %, worst 3.5 %; all Ap: RMS 2.8 %, worst 8.4 % (RMS 1.3 / "
               "1.6 / 1.9 / 3.9 % for Ap 0-50 / 50-100 / 100-200 / 200-300); without the "
               "season factor RMS 14 %, worst 49 %",
}


@pytest.mark.parametrize("model", list(DENSITY_MODELS))
def test_day_of_year_matches_model(model):
    """Table with the seasonal correction vs its model on a given day, 200 random points
    (measured: :data:`MEASURED_DAY`).

    The season factor is computed at Ap = 15, df = 0 and applied to all indices (separable),
    and the seasonal swing depends on Ap: the error grows with Ap and altitude. Tolerance:
    Ap <= 50 RMS 1.5 %, worst 5 % (the annual-mean budget plus the 24-node season
    interpolation, <= 0.9 %); all Ap RMS 4 %, worst 20 % (the separable approximation in
    storms, not interpolation).
    """
    yardstick = _yardstick(model)
    table = load_msis_table(model=model)
    alt, fa, df, ap, inc, doy = _random_points(200, seed=20260402)
    ref = np.array([
        yardstick(*p, day_of_year=int(d)) for *p, d in zip(alt, fa, fa + df, ap, inc, doy)
    ])
    ok = np.isfinite(ref)
    assert np.sum(~ok) <= 2
    got = table.density(alt, fa, df, ap, inc, day_of_year=doy - 0.5)  # middle of the day
    err = got[ok] / ref[ok] - 1.0
    annual = table.density(alt, fa, df, ap, inc)[ok] / ref[ok] - 1.0
    quiet = ap[ok] <= 50
    report = (f"all Ap:\n{_summary(alt[ok], err)}\nAp <= 50:\n"
              f"{_summary(alt[ok][quiet], err[quiet])}\n"
              f"annual mean instead (no season):\n{_summary(alt[ok], annual)}")
    print(f"\n{model} day of year, table / model - 1:\n" + report)
    assert np.sqrt(np.mean(err[quiet] ** 2)) < 0.015, report
    assert np.max(np.abs(err[quiet])) < 0.05, report
    assert np.sqrt(np.mean(err**2)) < 0.04, report
    assert np.max(np.abs(err)) < 0.20, report


# --------------------------------------------------------------------------------------------
# orbit weights and interpolation contract
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("inc", [0.0, 0.5, 28.5, 51.64, 89.0, 90.0, 97.5, 180.0])
def test_orbit_weights_match_time_average(inc):
    """The closed-form weights equal the time average of the hat functions along the orbit
    (quadrature over 200000 points uniform in argument of latitude; 1e-4 is its error)."""
    lat = msis_table.LAT_DEG
    w = orbit_latitude_weights(lat, inc)
    assert np.all(w >= 0) and w.sum() == pytest.approx(1.0, abs=1e-12)
    u = (np.arange(200_000) + 0.5) * 2 * np.pi / 200_000
    s = np.sin(np.radians(inc)) * np.sin(u)
    nodes = np.sin(np.radians(lat))
    w_quad = np.array([np.mean(np.interp(s, nodes, e)) for e in np.eye(lat.size)])
    np.testing.assert_allclose(w, w_quad, atol=1e-4)
    np.testing.assert_allclose(w, orbit_latitude_weights(lat, 180.0 - inc), atol=1e-12)


def test_bad_inclination_rejected():
    with pytest.raises(ValueError, match="inc_deg"):
        orbit_latitude_weights(msis_table.LAT_DEG, 181.0)


def test_interpolant_hits_nodes_and_profile_agrees(table):
    """At a node the interpolant returns the orbit table value; profile() is the same
    function of altitude (also between nodes and extrapolated)."""
    orbit = table.orbit(51.64)
    a, f, d, p = 30, 5, 3, 4
    got = orbit.log_density(table.alt_km[a], table.f107a_sfu[f], table.df_sfu[d], table.ap[p])
    assert got == pytest.approx(orbit.log_rho[a, f, d, p], abs=1e-12)
    for doy in (None, 100.25):
        prof = table.profile(51.64, 137.0, 12.0, 33.0, day_of_year=doy)
        assert isinstance(prof, DensityTable)
        h = np.array([60.0, 212.3, 555.0, 1100.0])
        np.testing.assert_allclose(
            np.log(prof.density(h)), table.log_density(h, 137.0, 12.0, 33.0, 51.64, doy),
            rtol=0, atol=1e-9)


def _scalar_log_density(orbit, h, f, d, a, t=None):
    """The interpolation contract written the way a compiled kernel would (scalar, loops)."""

    def bracket(x, v, clamp):
        if clamp:
            v = min(max(v, x[0]), x[-1])
        j = 0
        while j < len(x) - 2 and v >= x[j + 1]:
            j += 1
        return j, (v - x[j]) / (x[j + 1] - x[j])

    axes = [bracket(orbit.alt_km, h, False), bracket(orbit.f107a_sfu, f, True),
            bracket(orbit.df_sfu, d, True), bracket(orbit.ap, a, True)]
    out = 0.0
    for corner in range(16):
        w, idx = 1.0, []
        for k, (j, u) in enumerate(axes):
            bit = corner >> k & 1
            w *= u if bit else 1.0 - u
            idx.append(j + bit)
        out += w * orbit.log_rho[tuple(idx)]
    if t is not None:
        period = orbit.season_period_days
        x = [orbit.season_day[-1] - period, *orbit.season_day, orbit.season_day[0] + period]
        js, us = bracket(x, t % period, True)
        n = orbit.season_day.size
        for corner in range(8):
            bits = [corner & 1, corner >> 1 & 1, corner >> 2 & 1]
            (ja, ua), (jf, uf) = axes[0], axes[1]
            w = ((ua if bits[0] else 1 - ua) * (uf if bits[1] else 1 - uf)
                 * (us if bits[2] else 1 - us))
            s_index = (js + bits[2] - 1) % n  # extended index -> node index
            out += w * orbit.season_log[ja + bits[0], jf + bits[1], s_index]
    return out


def test_scalar_kernel_contract(table):
    """A straightforward scalar implementation of the documented interpolation (what the
    kernel will do) agrees with the vectorised one, in and out of the node ranges."""
    rng = np.random.default_rng(7)
    orbit = table.orbit(51.64)
    for _ in range(300):
        h, f, d, a = rng.uniform(60, 1100), rng.uniform(40, 320), rng.uniform(-80, 140), \
            rng.uniform(-5, 450)
        t = rng.uniform(-10, 400) if rng.random() < 0.5 else None
        assert _scalar_log_density(orbit, h, f, d, a, t) == pytest.approx(
            float(orbit.log_density(h, f, d, a, t)), abs=1e-10)


def test_indices_clamped_altitude_extrapolated(table):
    orbit = table.orbit(28.5)
    assert orbit.log_density(400, 350, 0, 15) == orbit.log_density(400, 300, 0, 15)
    assert orbit.log_density(400, 150, 0, 999) == orbit.log_density(400, 150, 0, 400)
    lo = orbit.log_density([960, 975, 1000, 1100], 150, 0, 15)
    assert np.allclose(np.diff(lo)[1:] / [25, 100], (lo[2] - lo[1]) / 25)


def test_season_is_periodic_and_averages_out(table):
    orbit = table.orbit(51.64)
    x = np.linspace(0, 365.25, 2001)[:-1]
    s = orbit.log_density(400, 150, 0, 15, day_of_year=x)
    assert orbit.log_density(400, 150, 0, 15, 0.0) == pytest.approx(
        orbit.log_density(400, 150, 0, 15, 365.25), abs=1e-12)
    # the annual mean of the seasonal density is the annual-mean table (0.5 %: trapezoid vs
    # the table's 12-day annual mean)
    base = orbit.density(400, 150, 0, 15)
    assert np.mean(np.exp(s)) == pytest.approx(base, rel=0.005)
    # and the swing is large: why the season is kept
    assert np.exp(s.max() - s.min()) > 1.3


def test_utc_day_of_year():
    # epochs are UTC days since 2000-01-01 12:00; 2000 is a leap year; 8067.5 is 2022-02-02
    np.testing.assert_allclose(utc_day_of_year([-0.5, 0.0, 365.5, 366.0, 8067.5]),
                               [0.0, 0.5, 0.0, 0.5, 32.0])


# --------------------------------------------------------------------------------------------
# (b) monotonicity on the interpolant
# --------------------------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(
    inc=st.sampled_from(INCLINATIONS),
    h1=st.floats(110.0, 1000.0), dh=st.floats(0.1, 300.0),
    f=st.floats(60.0, 300.0), df=st.floats(-60.0, 120.0), ap=st.floats(0.0, 400.0),
    doy=st.one_of(st.none(), st.floats(0.0, 365.25)),
)
def test_density_falls_with_altitude(inc, h1, dh, f, df, ap, doy):
    """Above 110 km, for every inclination, index and season. Below, NRLMSISE-00 itself is
    not monotone at very high Ap: at the equator with Ap = 400 its density rises from 102.5 to
    105 km (the table's equatorial orbit inherits that). At single high latitudes it is worse
    (at 85 deg, Ap = 200, density rises from 113 to 121 km) but the orbit average smooths it."""
    h2 = min(h1 + dh, 1000.0)
    assume(h2 - h1 >= 0.05)
    lo, hi = _packaged().log_density([h1, h2], f, df, ap, inc, doy)
    assert hi < lo


@settings(max_examples=300, deadline=None)
@given(
    inc=st.sampled_from(INCLINATIONS),
    h=st.floats(140.0, 1000.0), f1=st.floats(60.0, 300.0), d_f=st.floats(0.5, 200.0),
    df=st.floats(-60.0, 120.0), ap=st.floats(0.0, 400.0),
    doy=st.one_of(st.none(), st.floats(0.0, 365.25)),
)
def test_density_rises_with_f107a(inc, h, f1, d_f, df, ap, doy):
    """Above 140 km, for Ap <= 300; with the season factor, for Ap <= 200.

    Exceptions found: (1) below ~135 km NRLMSISE-00's density falls with F10.7 (table nodes
    from 80 to 135 km); (2) NRLMSISE-00 itself, for Ap >= 350 at 750-1000 km and
    inclinations <= ~10 deg, falls slightly with F10.7a at 60-90 sfu (pymsis, i = 0, Ap = 400,
    900 km: 2.217e-13, 2.203e-13, 2.193e-13 kg/m^3 for F10.7a = 60, 75, 90); (3) with the
    season factor, which is computed at Ap = 15, the sum can fall with F10.7a at 60-135 sfu
    for Ap >= 250 at low inclinations, where storm-time density barely depends on F10.7a:
    an artefact of the separable season factor.
    """
    assume(ap <= 300.0 and (doy is None or ap <= 200.0))
    f2 = min(f1 + d_f, 300.0)
    assume(f2 - f1 >= 0.5)
    lo, hi = _packaged().log_density(h, [f1, f2], df, ap, inc, doy)
    assert hi > lo


@settings(max_examples=300, deadline=None)
@given(
    inc=st.sampled_from(INCLINATIONS),
    h=st.floats(125.0, 1000.0), a1=st.floats(0.0, 400.0), d_a=st.floats(0.5, 200.0),
    f=st.floats(60.0, 300.0), df=st.floats(-60.0, 120.0),
    doy=st.one_of(st.none(), st.floats(0.0, 365.25)),
)
def test_density_rises_with_ap(inc, h, a1, d_a, f, df, doy):
    """Above 125 km. Below, NRLMSISE-00's density falls with Ap at some nodes (80-120 km):
    storm heating expands the thermosphere upward at the expense of the lower levels."""
    a2 = min(a1 + d_a, 400.0)
    assume(a2 - a1 >= 0.5)
    lo, hi = _packaged().log_density(h, f, df, [a1, a2], inc, doy)
    assert hi > lo


# --------------------------------------------------------------------------------------------
# (c) the February 2022 Starlink storm
# --------------------------------------------------------------------------------------------
def _day(date):
    """day_j2000 (days since 2000-01-01 00:00 UTC) of a date."""
    return float((np.datetime64(date, "D") - np.datetime64("2000-01-01", "D")).astype(int))


@pytest.fixture(scope="module")
def storm(table):
    """Orbit-mean density at 210 km, i = 53 deg, on 2022-02-01, 02-02 and 02-04 from observed
    space weather (packaged CelesTrak file): the table (daily indices: previous day's F10.7,
    centred 81-day mean, daily Ap), and pymsis directly over each day (8 three-hour intervals
    x 12 longitudes x 24 orbit latitudes) in daily-Ap mode and in storm-time mode with the
    full 7-element ap history of each interval. Returns ({name: rise}, report) where rise is
    rho(02-04) / mean(rho(02-01), rho(02-02)) - 1."""
    from deorbit.spaceweather import load_space_weather

    sw = load_space_weather()
    days = ["2022-02-01", "2022-02-02", "2022-02-04"]
    noon = np.array([_day(d) + 0.5 for d in days])
    mi = sw.msis_inputs(noon)
    df = mi.f107_prev_day_sfu - mi.f107_ctr81_sfu
    doy = utc_day_of_year(noon - 0.5)  # utc_day_of_year takes days since J2000 noon

    def direct(mode, version=0):
        return np.array([pymsis_day_mean_density(sw, d, 210.0, 53.0, n_lon=12, n_u=24,
                                                 geomagnetic_activity=mode, version=version)
                         for d in days])

    rows = {
        "table, annual mean": table.density(210.0, mi.f107_ctr81_sfu, df, mi.ap_daily, 53.0),
        "table, with season": table.density(210.0, mi.f107_ctr81_sfu, df, mi.ap_daily, 53.0,
                                            day_of_year=doy),
        "pymsis daily-Ap mode": direct(1),
        "pymsis storm-time mode (3-h ap history)": direct(-1),
        # the successor model, for the record (not the table's model)
        "pymsis NRLMSIS 2.1, daily-Ap mode": direct(1, 2.1),
        "pymsis NRLMSIS 2.1, storm-time mode": direct(-1, 2.1),
    }
    lines = [f"inputs: F10.7(prev)={mi.f107_prev_day_sfu}, F10.7a={mi.f107_ctr81_sfu}, "
             f"Ap={mi.ap_daily}"]
    rises = {}
    for name, rho in rows.items():
        rises[name] = rho[2] / (0.5 * (rho[0] + rho[1])) - 1.0
        lines.append(f"{name}: rho = {np.array2string(rho, precision=4)} kg/m^3, "
                     f"02-04 vs 02-01/02: {100 * rises[name]:+.1f} %")
    report = "\n".join(lines)
    print("\n" + report)
    return rises, report


def test_storm_february_2022_table_follows_pymsis(storm):
    """The table's storm response equals NRLMSISE-00's: within 1.5 percentage points of
    pymsis in the table's own convention (daily-Ap mode), within 3 of storm-time mode with
    the 3-hourly history (which the table cannot see). Measured: table +9.4 % (annual mean)
    and +9.7 % (with season); pymsis +9.6 % (daily Ap) and +10.5 % (storm-time)."""
    rises, report = storm
    ref = rises["pymsis daily-Ap mode"]
    assert ref > 0.05, report
    for name in ("table, annual mean", "table, with season"):
        assert abs(rises[name] - ref) < 0.015, report
        assert abs(rises[name] - rises["pymsis storm-time mode (3-h ap history)"]) < 0.03, report


def test_storm_february_2022_measured_response(storm):
    """Issue 21's decision on issue 4's storm target: NRLMSISE-00's own response is
    accepted, and this holds the table to it. Measured at 210 km, i = 53 deg, 2022-02-04 vs
    02-01/02 (daily Ap 6, 10 -> 32): table +9.4 % (annual mean) / +9.7 % (with season),
    pymsis +9.6 % (daily-Ap mode) / +10.5 % (storm-time mode). Satellite drag showed 20-60 %
    (SpaceX: up to 50 %), beyond every empirical model (NRLMSIS 2.1 +9-10 %, JB2008 +11 %,
    DTM2000 +19 %: benchmarks/storm_models.py); README's known limits say so."""
    rises, report = storm
    for name in ("table, annual mean", "table, with season", "pymsis daily-Ap mode"):
        assert 0.085 <= rises[name] <= 0.11, report
    assert 0.09 <= rises["pymsis storm-time mode (3-h ap history)"] <= 0.12, report
    assert rises["table, with season"] < 0.20, report  # the accepted limit, stated


# --------------------------------------------------------------------------------------------
# (d) file checks
# --------------------------------------------------------------------------------------------
def test_packaged_table_hash_and_provenance(table):
    raw = data_bytes("msis_table.npz")
    assert hashlib.sha256(raw).hexdigest() == PACKAGED_SHA256["nrlmsise00"]
    assert len(raw) < 5_000_000
    prov = table.provenance
    assert prov["generator_version"] == msis.GENERATOR_VERSION
    assert prov["pymsis_version"] and prov["generated_utc"]
    assert table.has_season


def test_save_load_round_trip(table, tmp_path):
    path = tmp_path / "copy.npz"
    sha1 = table.save(path)
    again = load_msis_table(path)
    assert sha1 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert table.save(tmp_path / "copy2.npz") == sha1  # byte-reproducible
    np.testing.assert_allclose(again.log_rho, table.log_rho, rtol=0, atol=2e-4)
    np.testing.assert_allclose(again.season_log_ratio, table.season_log_ratio, rtol=0,
                               atol=2e-4)


def _small_table():
    """A tiny valid table (float log_rho, no season) written by hand."""
    axes = dict(alt_km=np.array([100.0, 200.0]), f107a_sfu=np.array([70.0, 150.0]),
                df_sfu=np.array([-20.0, 20.0]), ap=np.array([0.0, 50.0]),
                lat_deg=np.array([-90.0, 0.0, 90.0]))
    log_rho = np.broadcast_to(np.array([-20.0, -25.0])[:, None, None, None, None],
                              (2, 2, 2, 2, 3)).copy()
    return dict(format=np.array(msis.FORMAT), format_version=np.array(msis.FORMAT_VERSION),
                log_rho=log_rho, **axes)


def test_user_table_accepted(tmp_path):
    path = tmp_path / "user.npz"
    np.savez(path, **_small_table())
    t = load_msis_table(path)
    assert not t.has_season
    assert t.density(150.0, 100.0, 0.0, 10.0, 51.6) == pytest.approx(np.exp(-22.5))
    with pytest.raises(ValueError, match="no season axis"):
        t.log_density(150.0, 100.0, 0.0, 10.0, 51.6, day_of_year=10.0)


@pytest.mark.parametrize("corrupt, message", [
    ("garbage", "not a readable .npz"),
    ("truncated", "not a readable .npz"),
    ("missing", "missing arrays"),
    ("shape", "log_rho has shape"),
    ("axis", "strictly increasing"),
    ("nan", "non-finite"),
    ("format", "format is"),
])
def test_corrupt_table_file_names_file(tmp_path, table, corrupt, message):
    path = tmp_path / f"broken_{corrupt}.npz"
    data = _small_table()
    if corrupt == "garbage":
        path.write_bytes(b"this is not a zip file\n" * 10)
    elif corrupt == "truncated":
        table.save(path)
        path.write_bytes(path.read_bytes()[:5000])
    else:
        if corrupt == "missing":
            del data["ap"]
        elif corrupt == "shape":
            data["log_rho"] = data["log_rho"][:, :, :, :, :2]
        elif corrupt == "axis":
            data["alt_km"] = np.array([200.0, 100.0])
        elif corrupt == "nan":
            data["log_rho"][0, 0, 0, 0, 0] = np.nan
        elif corrupt == "format":
            data["format"] = np.array("something-else")
        np.savez(path, **data)
    with pytest.raises(ValueError, match=message) as info:
        load_msis_table(path)
    assert str(path) in str(info.value)
    if corrupt == "truncated":
        assert isinstance(info.value.__cause__, (zipfile.BadZipFile, ValueError, OSError,
                                                 EOFError))


def test_unknown_packaged_model_is_refused():
    with pytest.raises(ValueError, match="'nrlmsise00', 'nrlmsis21', 'dtm2000'"):
        load_msis_table(model="jb2008")
