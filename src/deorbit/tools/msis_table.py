"""Build deorbit's density tables (an offline tool, not used at run time).

``python -m deorbit.tools.msis_table --out PATH`` (about 5 minutes on one core) writes the
table that :mod:`deorbit.atmosphere.msis` defines and reads: NRLMSISE-00 through pymsis,
averaged as that module's docstring says, on the default axes below, with the seasonal
correction. ``--model nrlmsis21`` (pymsis) and ``--model dtm2000`` (Orekit's DTM2000, which
needs ``orekit-jpype`` and Java here and nowhere else: :mod:`deorbit.atmosphere.dtm2000_orekit`)
make the other packaged tables with the same recipe (:mod:`deorbit.atmosphere.models`). The
packaged ``deorbit/data/*_table.npz`` were made by it (provenance in
``deorbit/data/README.md``).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from ..atmosphere.models import DENSITY_MODELS, density_model
from ..atmosphere.msis import (
    GENERATOR_VERSION,
    N_SEASON,
    SEASON_PERIOD_DAYS,
    SEASON_REF_AP,
    SEASON_REF_DF_SFU,
    MsisTable,
    _periodic_nodes,
)
from ..atmosphere.pymsis_means import (
    YEAR,
    dates_of_year,
    geocentric_to_geodetic_lat,
    msis_options,
)

__all__ = ["build_table", "main"]

#: Default altitude nodes, km: 5 km to 100 km, 2.5 km to 130 km (lower-thermosphere
#: curvature), 5 km to 200 km, 10 km to 300 km, 20 km to 500 km, 25 km to 1000 km.
ALT_KM = np.concatenate([
    np.arange(80.0, 100.0, 5.0),
    np.arange(100.0, 130.0, 2.5),
    np.arange(130.0, 200.0, 5.0),
    np.arange(200.0, 300.0, 10.0),
    np.arange(300.0, 500.0, 20.0),
    np.arange(500.0, 1000.0 + 1e-9, 25.0),
])
#: Default F10.7 81-day-mean nodes, sfu.
F107A_SFU = np.arange(60.0, 300.0 + 1e-9, 15.0)
#: Default nodes of the daily departure (previous day's F10.7 minus the 81-day mean), sfu.
DF_SFU = np.array([-60.0, -40.0, -20.0, 0.0, 20.0, 45.0, 80.0, 120.0])
#: Default daily Ap nodes (interpolated linearly in Ap).
AP = np.array([0.0, 4, 8, 15, 27, 48, 80, 120, 160, 200, 250, 300, 350, 400])
#: Default geocentric latitude nodes, deg.
LAT_DEG = np.arange(-90.0, 90.0 + 1e-9, 15.0)

# Sampling design of the annual mean: 12 (day of year, UT) pairs x 3 longitudes.
_BASE_DAYS = 15 + np.round(np.arange(12) * 365.25 / 12).astype(np.int64)
_BASE_UT_H = (10 * np.arange(12)) % 24
_BASE_LON_DEG = np.array([0.0, 120.0, 240.0])
# Sampling of each season node: 4 UT x 6 longitudes.
_SEASON_UT_H = np.array([0, 6, 12, 18])
_SEASON_LON_DEG = np.arange(0.0, 360.0, 60.0)



def _fill_invalid(rho, alt_km):
    """Fill invalid samples (<= 0 or NaN) by linear interpolation of ln rho in altitude,
    and beyond the highest or lowest valid node by linear extrapolation of ln rho from the
    two nearest valid nodes (the local scale height). NRLMSISE-00 never needs the
    extrapolation on the default axes; NRLMSIS 2.1 does at 1000 km for F10.7 = 0 and Ap = 0
    (a corner of the axes no real day reaches).

    ``rho``: array with altitude on axis 0, modified in place. Returns the number filled.
    """
    valid = np.isfinite(rho) & (rho > 0)
    if valid.all():
        return 0
    flat = rho.reshape(rho.shape[0], -1)
    vflat = valid.reshape(valid.shape[0], -1)
    columns = np.flatnonzero(~vflat.all(axis=0))
    for c in columns:
        ok = vflat[:, c]
        if ok.sum() < 2:
            raise RuntimeError("the model returned fewer than two valid densities in a "
                               "column of the table; cannot fill it")
        h, ln = alt_km[ok], np.log(flat[ok, c])
        filled = np.interp(alt_km[~ok], h, ln)
        below, above = alt_km[~ok] < h[0], alt_km[~ok] > h[-1]
        filled[below] = ln[0] + (alt_km[~ok][below] - h[0]) * (ln[1] - ln[0]) / (h[1] - h[0])
        filled[above] = ln[-1] + (alt_km[~ok][above] - h[-1]) * (ln[-1] - ln[-2]) / (
            h[-1] - h[-2])
        flat[~ok, c] = np.exp(filled)
    return int((~valid).sum())


def _season_nodes(n_season, period):
    """Integer days of year of the season nodes and their positions (day centres, days since
    1 January 00:00)."""
    days = np.rint((np.arange(n_season) + 0.5) * period / n_season + 0.5).astype(np.int64)
    return days, days - 0.5


def _progress(enabled, message):
    if enabled:
        print(message, file=sys.stderr, flush=True)


def _sampler(model):
    """The model's density on the builder's grid: a function of (alt_km (A,), lat_gd_deg
    (A, K) per altitude, day (n,), ut_h (n,), lon_deg (L,), f107 (n,), f107a (n,), ap (n,))
    returning rho (A, n, L, K), kg/m^3; a text saying how the model was called; and the
    provenance entries of its versions and input conventions.

    Raises ImportError (with what to install) if the model's evaluator is missing."""
    entry = density_model(model)
    if entry.evaluator == "pymsis":
        import pymsis

        version, options = entry.pymsis_version, msis_options(1)

        def sample(alt, lat_gd, day, ut, lon, f107, f107a, ap):
            dates = dates_of_year(day, ut)
            ap7 = np.repeat(np.asarray(ap, dtype=np.float64)[:, None], 7, axis=1)
            rho = np.empty((alt.size, day.size, lon.size, lat_gd.shape[1]))
            for a, h in enumerate(alt):
                res = pymsis.calculate(dates, lon, lat_gd[a], [h], f107, f107a, ap7,
                                       version=version, options=options)
                rho[a] = res[:, :, :, 0, pymsis.Variable.MASS_DENSITY]
            return rho

        text = (f"{entry.display_name} via pymsis.calculate(version={version}), default "
                "switches (daily-Ap mode), F10.7/F10.7a/Ap passed explicitly")
        return sample, text, {
            "pymsis_version": pymsis.__version__,
            "ap_convention": "daily Ap in all 7 slots of the NRLMSISE-00 Ap array (steady Ap); "
                             "daily-Ap mode reads only the first",
            "f107_convention": "F107 = f107a_sfu + df_sfu (previous day's observed F10.7), "
                               "F107A = f107a_sfu (81-day centred mean of observed F10.7)",
        }
    from importlib.metadata import version as dist_version

    from ..atmosphere.dtm2000_orekit import dtm2000_density, start_dtm2000

    start_dtm2000()

    def sample(alt, lat_gd, day, ut, lon, f107, f107a, ap):
        per_date = (None, slice(None), None, None)
        return dtm2000_density(day[per_date], ut[per_date], lon[None, None, :, None],
                               lat_gd[:, None, None, :], alt[:, None, None, None],
                               f107[per_date], f107a[per_date], ap[per_date])

    text = ("DTM2000 via Orekit's DTM2000.getDensity(day, alti, lon, lat, hl, f, fbar, akp3, "
            "akp24) (orekit-jpype, deorbit.atmosphere.dtm2000_orekit); below 120 km, where "
            "DTM2000 is not defined, NRLMSISE-00 (pymsis version=0) times the "
            "DTM2000/NRLMSISE-00 ratio at 120 km of the same sample")
    return sample, text, {
        "orekit_jpype_version": dist_version("orekit-jpype"),
        "ap_convention": "akp3 (3-hourly Kp, lagged 3 h) = akp24 (24-hour mean Kp) = Kp of the "
                         "daily Ap (steady activity; the standard ap-Kp table interpolated "
                         "linearly, deorbit.atmosphere.dtm2000_orekit.ap_to_kp)",
        "f107_convention": "f = f107a_sfu + df_sfu (previous day's observed F10.7), fbar = "
                           "f107a_sfu (81-day centred mean of observed F10.7)",
        "local_time": "hl = mean solar time UT + longitude / 15 h; day = day of the year",
    }


def build_table(out=None, *, alt_km=ALT_KM, f107a_sfu=F107A_SFU, df_sfu=DF_SFU, ap=AP,
                lat_deg=LAT_DEG, n_season=N_SEASON, season=True, progress=False,
                model="nrlmsise00") -> MsisTable:
    """Generate the table of a density model (``model``, a name of
    :data:`~deorbit.atmosphere.models.DENSITY_MODELS`; NRLMSISE-00 by default); optionally
    write it.

    With the default axes this makes 71 x 17 x 8 x 14 x 13 = 1.76 million values from 63
    million NRLMSISE-00 evaluations plus 9 million for the season (about 5 minutes on one
    core; DTM2000 through Orekit about 15). NRLMSISE-00 prints "DNET LOG ERROR" on stdout
    (from Fortran) for the samples it cannot evaluate; they are filled (module docstring)
    and counted in the provenance.

    Parameters
    ----------
    out : path or None
        Where to write the table (:meth:`MsisTable.save`); None keeps it in memory.
    alt_km, f107a_sfu, df_sfu, ap, lat_deg : array_like
        Axes (defaults: the module constants). ``df_sfu`` must contain 0 and ``ap`` 15 if
        ``season`` is true.
    n_season : int
        Season nodes.
    season : bool
        Compute the seasonal correction.
    progress : bool
        Print progress to stderr.
    model : str
        ``"nrlmsise00"`` (the default), ``"nrlmsis21"`` (both through pymsis) or
        ``"dtm2000"`` (through Orekit, which needs ``orekit-jpype`` and Java: ImportError
        saying so otherwise; :mod:`deorbit.atmosphere.dtm2000_orekit`).
    """
    sample, model_text, conventions = _sampler(model)
    started = time.perf_counter()
    alt = np.asarray(alt_km, dtype=np.float64)
    fa = np.asarray(f107a_sfu, dtype=np.float64)
    dfs = np.asarray(df_sfu, dtype=np.float64)
    aps = np.asarray(ap, dtype=np.float64)
    lat = np.asarray(lat_deg, dtype=np.float64)
    lat_gd = np.array([geocentric_to_geodetic_lat(lat, h) for h in alt])

    n_samples = _BASE_DAYS.size * _BASE_LON_DEG.size
    day = np.tile(_BASE_DAYS, aps.size)
    ut = np.tile(_BASE_UT_H.astype(np.float64), aps.size)
    ap_per = np.repeat(aps, _BASE_DAYS.size)
    log_rho = np.empty((alt.size, fa.size, dfs.size, aps.size, lat.size))
    filled = 0
    evaluations = 0
    for i, f in enumerate(fa):
        for j, d in enumerate(dfs):
            rho = sample(alt, lat_gd, day, ut, _BASE_LON_DEG, np.full(day.size, f + d),
                         np.full(day.size, f), ap_per)
            evaluations += rho.size
            filled += _fill_invalid(rho, alt)
            rho = rho.reshape(alt.size, aps.size, n_samples, lat.size)
            log_rho[:, i, j] = np.log(rho.mean(axis=2))
        _progress(progress, f"  F10.7a = {f:g} sfu done ({i + 1}/{fa.size}, "
                            f"{time.perf_counter() - started:.0f} s)")

    season_day = season_log_ratio = None
    if season:
        if not (np.any(dfs == SEASON_REF_DF_SFU) and np.any(aps == SEASON_REF_AP)):
            raise ValueError(f"build_table: df_sfu must contain {SEASON_REF_DF_SFU} and ap "
                             f"{SEASON_REF_AP} for the season correction")
        days, season_day = _season_nodes(n_season, SEASON_PERIOD_DAYS)
        s_day = np.repeat(days, _SEASON_UT_H.size)
        s_ut = np.tile(_SEASON_UT_H.astype(np.float64), days.size)
        n = s_day.size
        season_log_ratio = np.empty((alt.size, fa.size, lat.size, days.size))
        # trapezoid weights of the periodic piecewise-linear season interpolant
        ext = _periodic_nodes(season_day, SEASON_PERIOD_DAYS)
        tw = 0.5 * (ext[2:] - ext[:-2]) / SEASON_PERIOD_DAYS
        for i, f in enumerate(fa):
            rho = sample(alt, lat_gd, s_day, s_ut, _SEASON_LON_DEG,
                         np.full(n, f + SEASON_REF_DF_SFU), np.full(n, f),
                         np.full(n, SEASON_REF_AP))
            evaluations += rho.size
            filled += _fill_invalid(rho, alt)
            by_day = rho.reshape(alt.size, days.size, -1, lat.size).mean(axis=2)
            annual = np.einsum("s,ask->ak", tw, by_day)
            season_log_ratio[:, i] = np.log(by_day / annual[:, None, :]).transpose(0, 2, 1)
        _progress(progress, f"  season done ({time.perf_counter() - started:.0f} s)")

    elapsed = time.perf_counter() - started
    provenance = {
        "generator": "deorbit.tools.msis_table.build_table",
        "generator_version": GENERATOR_VERSION,
        "model": model_text,
        "model_key": model,
        **conventions,
        "numpy_version": np.__version__,
        "python_version": sys.version.split()[0],
        "generated_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "generation_seconds": round(elapsed, 1),
        "msis_evaluations": int(evaluations),
        "invalid_samples_filled": int(filled),
        "latitude": "geocentric nodes, evaluated at the geodetic latitude of the same point "
                    "at each node altitude; altitude geodetic (WGS-84)",
        "annual_mean_sampling": {
            "day_of_year": _BASE_DAYS.tolist(), "ut_hours": _BASE_UT_H.tolist(),
            "longitudes_deg": _BASE_LON_DEG.tolist(), "year": YEAR,
            "average": "arithmetic mean of rho over the 36 (day, UT, longitude) samples"},
        "season": None if not season else {
            "node_day_of_year": _season_nodes(n_season, SEASON_PERIOD_DAYS)[0].tolist(),
            "ut_hours": _SEASON_UT_H.tolist(), "longitudes_deg": _SEASON_LON_DEG.tolist(),
            "ref_df_sfu": SEASON_REF_DF_SFU, "ref_ap": SEASON_REF_AP,
            "ratio": "mean rho on the day / trapezoid annual mean of the daily means"},
        "invalid_fill": "samples with rho <= 0 or NaN: ln rho interpolated linearly in "
                        "altitude between the nearest valid nodes of the same sample "
                        "(extrapolated from the two nearest beyond the last valid one)",
        "storage": "log_rho and season_log_ratio as int16 codes with per-altitude float64 "
                   "offset and step",
    }
    table = MsisTable(alt_km=alt, f107a_sfu=fa, df_sfu=dfs, ap=aps, lat_deg=lat,
                      log_rho=log_rho, season_day=season_day,
                      season_log_ratio=season_log_ratio, provenance=provenance,
                      source="build_table")
    if out is not None:
        sha = table.save(out)
        _progress(progress, f"wrote {out} ({Path(out).stat().st_size} bytes, sha256 {sha})")
    return table


def main(argv=None) -> int:
    """Command line: ``python -m deorbit.tools.msis_table --out PATH``."""
    parser = argparse.ArgumentParser(
        prog="python -m deorbit.tools.msis_table",
        description="Generate one of deorbit's density tables (log density over "
                    "altitude, F10.7 81-day mean, daily F10.7 departure, Ap and latitude, "
                    "averaged over longitude, local time and season, plus the seasonal "
                    "correction) and write it as .npz. Takes 5-15 minutes on one core.",
    )
    parser.add_argument("--out", required=True, help="output .npz path")
    parser.add_argument("--model", choices=tuple(DENSITY_MODELS), default="nrlmsise00",
                        help="the model tabulated (default nrlmsise00; dtm2000 needs "
                             "orekit-jpype and Java)")
    parser.add_argument("--no-season", action="store_true",
                        help="omit the seasonal correction")
    parser.add_argument("--keep-fortran-output", action="store_true",
                        help="do not discard NRLMSISE-00's 'DNET LOG ERROR' lines on stdout")
    args = parser.parse_args(argv)
    if not args.keep_fortran_output:
        # The Fortran runtime buffers its own stdout; send the whole process's fd 1 to
        # /dev/null (messages go to stderr) so nothing leaks at exit.
        sys.stdout.flush()
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)
    try:
        build_table(args.out, season=not args.no_season, progress=True, model=args.model)
    except ImportError as exc:
        print(f"python -m deorbit.tools.msis_table: --model {args.model}: {exc}",
              file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
