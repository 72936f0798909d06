"""DTM2000 through Orekit: what the DTM2000 table is made from (build time and tests only).

DTM2000 (Bruinsma, Thuillier & Barlier 2003) is evaluated by Orekit's Java implementation
(``org.orekit.models.earth.atmosphere.DTM2000``, through ``orekit-jpype``; needs a Java
runtime). Only the table builder (``python -m deorbit.tools.msis_table --model dtm2000``) and
the table's accuracy test call it: the runtime reads the table and never needs Java. Orekit's
low-level entry point ``getDensity(day, alti, lon, lat, hl, f, fbar, akp3, akp24)`` is used,
so no Orekit data (ephemerides, Earth orientation, space-weather files) are needed either: the
coefficients ship inside the Orekit jar.

Inputs, mapped onto the axes of deorbit's tables (:mod:`deorbit.atmosphere.msis`):

- ``f`` (DTM2000's "instantaneous" flux, the previous day's F10.7) = F10.7a + dF, and
  ``fbar`` (81-day mean F10.7) = F10.7a, as NRLMSISE-00's F107 and F107A;
- ``akp3`` (3-hourly Kp, lagged 3 h) = ``akp24`` (mean Kp of the last 24 h) = the Kp of the
  daily Ap (:func:`ap_to_kp`): steady activity, as the NRLMSISE-00 table's steady Ap;
- ``hl``, the local solar time: the mean solar time UT + longitude / 15 h (Orekit's
  high-level ``getDensity`` uses the true Sun, which differs by the equation of time, at
  most 16 minutes; the tables average over local time);
- ``day``: the day of the year (DTM2000 takes its seasonal terms from it; there is no year);
- latitude geodetic, altitude geodetic (WGS-84), as Orekit's high-level call.

Below 120 km DTM2000 is not defined (Orekit refuses). There the table joins NRLMSISE-00:
``rho = rho_NRLMSISE-00(h) * rho_DTM2000(120 km) / rho_NRLMSISE-00(120 km)``, the ratio taken
on the same sample (day, UT, longitude, latitude, indices), so the density is continuous at
120 km and below it has NRLMSISE-00's shape. The reentry date depends on the density above
~150 km; the join only matters for the last minutes of the fall.
"""
from __future__ import annotations

import numpy as np

from .pymsis_means import dates_of_year, msis_options, orbit_mean_samples

__all__ = ["DTM2000_FLOOR_KM", "ap_to_kp", "dtm2000_density", "dtm2000_orbit_mean_density",
           "start_dtm2000"]

#: Lowest altitude DTM2000 is defined at (Orekit's threshold), km.
DTM2000_FLOOR_KM = 120.0

#: The standard conversion between the 3-hourly ap and Kp (Bartels' table, as NOAA/GFZ
#: publish it): Kp 0o, 0+, 1-, 1o, ..., 9- , 9o, i.e. k/3 for k = 0..27.
_AP_OF_KP = np.array([0, 2, 3, 4, 5, 6, 7, 9, 12, 15, 18, 22, 27, 32, 39, 48, 56, 67, 80, 94,
                      111, 132, 154, 179, 207, 236, 300, 400], dtype=np.float64)
_KP = np.arange(_AP_OF_KP.size) / 3.0

_MODEL = []


def ap_to_kp(ap):
    """Kp (0-9, decimal thirds) of a steady ap (or daily Ap): the standard ap-Kp table,
    interpolated linearly between its 28 steps (ap 0, 2, 3, 4, ..., 300, 400); ap above
    400 gives 9.

    Parameters
    ----------
    ap : array_like
        ap or daily Ap (dimensionless, >= 0).

    Returns
    -------
    numpy.ndarray
        Kp, dimensionless.
    """
    return np.interp(np.asarray(ap, dtype=np.float64), _AP_OF_KP, _KP)


def start_dtm2000():
    """Orekit's DTM2000 (a Java object; the JVM is started once).

    Raises
    ------
    ImportError
        If ``orekit-jpype`` or a Java runtime is missing, with what to install.
    """
    if _MODEL:
        return _MODEL[0]
    try:
        import orekit_jpype

        orekit_jpype.initVM()
        from org.orekit.models.earth.atmosphere import DTM2000
    except Exception as exc:  # ImportError, jpype.JVMNotFoundException, ...
        raise ImportError(
            f"DTM2000 is evaluated by Orekit (Java) when the table is built: pip install "
            f"'orekit-jpype>=13,<14' and a Java runtime >= 11 ({type(exc).__name__}: "
            f"{exc})") from exc
    # The four-argument constructor: no space-weather provider, Sun, Earth or UTC scale
    # (the low-level getDensity takes all its inputs explicitly), hence no Orekit data.
    _MODEL.append(DTM2000(None, None, None, None))
    return _MODEL[0]


def _dtm2000_points(day, alt_km, lon_deg, lat_deg, lt_h, f107, f107a, kp):
    """DTM2000 at paired points (1-D arrays of one length, altitudes >= 120 km), kg/m^3."""
    density = start_dtm2000().getDensity
    lon = np.radians(lon_deg).tolist()
    lat = np.radians(lat_deg).tolist()
    hl = (np.mod(lt_h, 24.0) * (np.pi / 12.0)).tolist()
    alt_m = (np.asarray(alt_km, dtype=np.float64) * 1e3).tolist()
    return np.array([density(int(d), h, lo, la, t, f, fa, k, k) for d, h, lo, la, t, f, fa, k
                     in zip(np.asarray(day).tolist(), alt_m, lon, lat, hl,
                            np.asarray(f107, dtype=np.float64).tolist(),
                            np.asarray(f107a, dtype=np.float64).tolist(),
                            np.asarray(kp, dtype=np.float64).tolist())])


def dtm2000_density(day_of_year, ut_h, lon_deg, lat_deg, alt_km, f107_prev_sfu, f107a_sfu,
                    ap):
    """DTM2000 mass density at paired points, joined to NRLMSISE-00 below 120 km.

    All arguments broadcast to one shape; see the module docstring for the inputs and the
    join.

    Parameters
    ----------
    day_of_year : array_like of int
        Day of the year, 1 = 1 January.
    ut_h : array_like
        Universal time, hours.
    lon_deg, lat_deg : array_like
        Longitude and geodetic latitude, deg.
    alt_km : array_like
        Geodetic altitude (WGS-84), km.
    f107_prev_sfu, f107a_sfu : array_like
        Previous day's F10.7 and its 81-day centred mean, sfu.
    ap : array_like
        Daily Ap (steady; converted to Kp by :func:`ap_to_kp`).

    Returns
    -------
    numpy.ndarray
        Mass density, kg/m^3, of the broadcast shape.
    """
    day, ut, lon, lat, alt, f, fa, a = (np.ravel(v) for v in np.broadcast_arrays(
        *(np.asarray(v) for v in (day_of_year, ut_h, lon_deg, lat_deg, alt_km,
                                  f107_prev_sfu, f107a_sfu, ap))))
    shape = np.broadcast_shapes(*(np.shape(v) for v in (
        day_of_year, ut_h, lon_deg, lat_deg, alt_km, f107_prev_sfu, f107a_sfu, ap)))
    alt = alt.astype(np.float64)
    lt = ut + lon / 15.0
    kp = ap_to_kp(a)
    low = alt < DTM2000_FLOOR_KM
    at = np.maximum(alt, DTM2000_FLOOR_KM)
    rho = _dtm2000_points(day, at, lon, lat, lt, f, fa, kp)
    if np.any(low):
        import pymsis

        idx = np.flatnonzero(low)
        dates = dates_of_year(day[idx], ut[idx])
        ap7 = np.repeat(a[idx, None].astype(np.float64), 7, axis=1)
        both = [pymsis.calculate(dates, lon[idx], lat[idx], h, f[idx], fa[idx], ap7,
                                 version=0, options=msis_options(1))[
                    ..., pymsis.Variable.MASS_DENSITY]
                for h in (alt[idx], np.full(idx.size, DTM2000_FLOOR_KM))]
        rho[idx] = rho[idx] * both[0] / both[1]
    return rho.reshape(shape)



def dtm2000_orbit_mean_density(alt_km, f107a_sfu, f107_prev_sfu, ap, inc_deg, n_lon=6, n_lt=8,
                               n_u=24, *, day_of_year=None, n_doy=12):
    """Orbit-mean DTM2000 density straight from Orekit: the yardstick of the DTM2000 table.

    The arithmetic mean of :func:`dtm2000_density` over the samples of
    :func:`~deorbit.atmosphere.pymsis_means.orbit_mean_samples`, the same as the NRLMSISE-00
    yardstick :func:`~deorbit.atmosphere.pymsis_means.pymsis_orbit_mean_density` (arguments
    as there; ``ap`` a daily Ap). Returns the mean density, kg/m^3 (NaN if a sample below
    120 km has no valid NRLMSISE-00 density).
    """
    day, ut, lon, lat = orbit_mean_samples(alt_km, inc_deg, n_lon, n_lt, n_u,
                                           day_of_year=day_of_year, n_doy=n_doy)
    rho = dtm2000_density(day, ut, lon, lat, float(alt_km), float(f107_prev_sfu),
                          float(f107a_sfu), float(ap))
    if not np.all(np.isfinite(rho) & (rho > 0)):
        return float("nan")
    return float(rho.mean())
