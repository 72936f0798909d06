"""NRLMSISE-00 through pymsis, averaged as deorbit's table averages it: the yardstick.

:func:`pymsis_orbit_mean_density` is the quantity a value of the density table
(:mod:`deorbit.atmosphere.msis`) stands for, computed straight from pymsis (the tests' and the
table builder's reference); :func:`pymsis_orbit_mean_density_at` and
:func:`pymsis_day_mean_density` average over given instants or one UTC day of a space-weather
record. pymsis is always given F10.7, F10.7a and Ap explicitly, so it never downloads
anything. Slow (microseconds per point, holds the GIL): never on the propagation path.
"""
from __future__ import annotations

import numpy as np

from ..constants import EARTH_RADIUS_M, ECCENTRICITY_SQ

__all__ = ["dates_of_year", "geocentric_to_geodetic_lat", "msis_options",
           "orbit_mean_samples", "pymsis_day_mean_density",
           "pymsis_orbit_mean_density", "pymsis_orbit_mean_density_at"]

#: NRLMSISE-00 ignores the year; a non-leap year keeps day numbers simple.
YEAR = 2001


def geocentric_to_geodetic_lat(lat_gc_deg, alt_km):
    """Geodetic latitude (deg) of the point at geodetic altitude ``alt_km`` (km, WGS-84) whose
    geocentric latitude is ``lat_gc_deg`` (deg). Differs by at most 0.19 deg."""
    phic = np.radians(np.asarray(lat_gc_deg, dtype=np.float64))
    h = np.asarray(alt_km, dtype=np.float64)
    re_km = EARTH_RADIUS_M / 1e3
    tan_c = np.tan(np.clip(phic, -np.pi / 2 + 1e-12, np.pi / 2 - 1e-12))
    phid = phic.copy()
    for _ in range(8):  # fixed point, converges to 1e-15 rad in < 6 iterations
        n = re_km / np.sqrt(1.0 - ECCENTRICITY_SQ * np.sin(phid) ** 2)
        phid = np.arctan(tan_c * (n + h) / (n * (1.0 - ECCENTRICITY_SQ) + h))
    return np.degrees(np.where(np.abs(phic) >= np.pi / 2 - 1e-12, phic, phid))


def dates_of_year(day_of_year, ut_hours):
    """datetime64[s] of a day of year (1-based, year 2001) plus UT hours (arrays, broadcast)."""
    base = np.datetime64(f"{YEAR}-01-01T00:00:00", "s")
    seconds = (np.asarray(day_of_year) - 1) * 86400 + np.rint(np.asarray(ut_hours) * 3600.0)
    return base + seconds.astype(np.int64).astype("timedelta64[s]")


def _ap7(ap, n):
    """(n, 7) NRLMSISE-00 Ap arrays from a daily Ap (steady: all 7 slots) or 7-vectors."""
    a = np.asarray(ap, dtype=np.float64)
    if a.ndim == 0 or a.shape[-1] != 7:
        return np.repeat(np.broadcast_to(a, (n,))[:, None], 7, axis=1)
    return np.broadcast_to(a, (n, 7)).copy()


def msis_options(geomagnetic_activity):
    import pymsis

    return pymsis.msis.create_options(geomagnetic_activity=geomagnetic_activity)


def _orbit_latitudes(inc_deg, n_u):
    """Geocentric latitudes (deg) of a circular orbit at n_u points uniform in time (half an
    orbit suffices: latitude at argument of latitude u and pi - u is the same)."""
    u = -0.5 * np.pi + (np.arange(n_u) + 0.5) * np.pi / n_u
    return np.degrees(np.arcsin(np.sin(np.radians(inc_deg)) * np.sin(u)))


def pymsis_orbit_mean_density_at(dates, f107_prev_sfu, f107a_sfu, ap, alt_km, inc_deg, *,
                                 n_lon=6, n_u=24, geomagnetic_activity=1, version=0):
    """Direct pymsis mean density over given instants, longitudes and an orbit's latitudes.

    The mean (of rho) over ``dates`` (each with its own indices), ``n_lon`` longitudes
    ``(j + 0.5) * 360 / n_lon`` and ``n_u`` latitudes of a circular orbit uniform in time.

    Parameters
    ----------
    dates : array_like of datetime64, shape (n,)
        UTC instants.
    f107_prev_sfu, f107a_sfu : array_like, shape (n,) or scalar
        Previous day's observed F10.7 and its 81-day centred mean, sfu.
    ap : array_like, shape (n,), (n, 7) or scalar
        Daily Ap (copied to all 7 slots) or NRLMSISE-00's 7-element Ap arrays.
    alt_km : float
        Geodetic altitude, km.
    inc_deg : float
        Orbit inclination, deg.
    n_lon, n_u : int
        Longitudes and orbit latitudes sampled.
    geomagnetic_activity : {1, -1}
        NRLMSISE-00 switch 9: 1 = daily Ap mode (default), -1 = storm-time mode using the
        3-hourly history in ``ap[..., 1:]``.
    version : {0, 2.0, 2.1}
        pymsis model version: 0 = NRLMSISE-00 (default, the table's model); 2.0 and 2.1
        = NRLMSIS 2.0 / 2.1 (Emmert et al. 2021, 2022), for comparisons only.

    Returns
    -------
    float
        Mean density, kg/m^3; NaN if NRLMSISE-00 returned an invalid (<= 0 or NaN) density
        at any sample.
    """
    import pymsis

    dates = np.atleast_1d(np.asarray(dates, dtype="datetime64[s]"))
    n = dates.size
    f107 = np.broadcast_to(np.asarray(f107_prev_sfu, dtype=np.float64), (n,))
    f107a = np.broadcast_to(np.asarray(f107a_sfu, dtype=np.float64), (n,))
    lons = (np.arange(n_lon) + 0.5) * 360.0 / n_lon
    lats = geocentric_to_geodetic_lat(_orbit_latitudes(inc_deg, n_u), alt_km)
    out = pymsis.calculate(dates, lons, lats, [float(alt_km)], f107, f107a, _ap7(ap, n),
                           version=version, options=msis_options(geomagnetic_activity))
    rho = np.asarray(out[..., pymsis.Variable.MASS_DENSITY], dtype=np.float64)
    if not np.all(np.isfinite(rho) & (rho > 0)):
        return float("nan")
    return float(rho.mean())


def pymsis_day_mean_density(space_weather, date, alt_km, inc_deg, *, n_lon=12, n_u=24,
                            geomagnetic_activity=1, version=0):
    """Direct pymsis mean density over one UTC day of a space-weather record.

    :func:`pymsis_orbit_mean_density_at` at the middles of the day's eight 3-hour ap
    intervals, each with the record's NRLMSISE-00 inputs at that instant (the previous
    day's F10.7, the centred 81-day mean and the 7-element ap history:
    :meth:`deorbit.spaceweather.SpaceWeather.msis_inputs`).

    Parameters
    ----------
    space_weather : deorbit.spaceweather.SpaceWeather
        The record.
    date : str or numpy.datetime64
        The UTC day, e.g. ``"2022-02-04"``.
    alt_km, inc_deg, n_lon, n_u, geomagnetic_activity, version
        As :func:`pymsis_orbit_mean_density_at`.

    Returns
    -------
    float
        Mean density, kg/m^3 (NaN as :func:`pymsis_orbit_mean_density_at`).
    """
    day = (np.datetime64(date, "D") - np.datetime64("2000-01-01", "D")).astype(np.int64)
    t = float(day) + (np.arange(8) + 0.5) / 8        # days since 2000-01-01 00:00 UTC
    x = space_weather.msis_inputs(t)
    dates = np.datetime64("2000-01-01T00:00:00", "s") + np.rint(t * 86400).astype(
        "timedelta64[s]")
    return pymsis_orbit_mean_density_at(
        dates, x.f107_prev_day_sfu, x.f107_ctr81_sfu, x.ap_vector, alt_km, inc_deg,
        n_lon=n_lon, n_u=n_u, geomagnetic_activity=geomagnetic_activity, version=version)


def pymsis_orbit_mean_density(alt_km, f107a_sfu, f107_prev_sfu, ap, inc_deg, n_lon=6, n_lt=8,
                              n_u=24, *, day_of_year=None, n_doy=12, geomagnetic_activity=1,
                              version=0):
    """Orbit-mean NRLMSISE-00 density straight from pymsis: the yardstick of the table.

    The arithmetic mean of rho over the samples of :func:`orbit_mean_samples` (latitudes of
    the orbit, longitudes, local times, days of the year). Indices are steady, as in the
    table.

    Parameters
    ----------
    alt_km : float
        Geodetic altitude, km.
    f107a_sfu, f107_prev_sfu : float
        81-day centred mean F10.7 and previous day's F10.7, sfu.
    ap : float or array_like, shape (7,)
        Daily Ap (in all 7 slots) or a 7-element NRLMSISE-00 Ap array.
    inc_deg : float
        Orbit inclination, deg.
    n_lon, n_lt, n_u : int
        Longitudes, local times and orbit latitudes sampled.
    day_of_year : int or None
        Day of the year (1 = 1 January); None averages over ``n_doy`` days.
    geomagnetic_activity : {1, -1}
        NRLMSISE-00 switch 9 (see :func:`pymsis_orbit_mean_density_at`).

    Returns
    -------
    float
        Mean density, kg/m^3; NaN if NRLMSISE-00 returned an invalid density at any sample.
    """
    import pymsis

    day, ut, lon, lat = orbit_mean_samples(alt_km, inc_deg, n_lon, n_lt, n_u,
                                           day_of_year=day_of_year, n_doy=n_doy)
    n = day.size
    out = pymsis.calculate(
        dates_of_year(day, ut), lon, lat, np.full(n, float(alt_km)),
        np.full(n, float(f107_prev_sfu)), np.full(n, float(f107a_sfu)), _ap7(ap, n),
        version=version,
        options=msis_options(geomagnetic_activity))
    rho = np.asarray(out[..., pymsis.Variable.MASS_DENSITY], dtype=np.float64)
    if not np.all(np.isfinite(rho) & (rho > 0)):
        return float("nan")
    return float(rho.mean())


def orbit_mean_samples(alt_km, inc_deg, n_lon=6, n_lt=8, n_u=24, *, day_of_year=None,
                       n_doy=12):
    """The samples of the yardstick's orbit mean (:func:`pymsis_orbit_mean_density`).

    ``n_u`` geocentric latitudes of a circular orbit uniform in time (converted to geodetic
    at ``alt_km``), ``n_lon`` longitudes ``(j + 0.5) * 360 / n_lon``, ``n_lt`` local solar
    times ``(m + 0.5) * 24 / n_lt`` h at each longitude, and the days of the year:
    ``day_of_year`` alone, or if None ``n_doy`` days ``1 + floor((j + 0.5) * 365 / n_doy)``.

    Returns
    -------
    day, ut_h, lon_deg, lat_deg : numpy.ndarray, shape (n,)
        Day of the year (1 = 1 January), UT (h), longitude (deg) and geodetic latitude (deg)
        of each sample.
    """
    if day_of_year is None:
        days = 1 + np.floor((np.arange(n_doy) + 0.5) * 365.0 / n_doy).astype(np.int64)
    else:
        days = np.array([int(day_of_year)])
    lons = (np.arange(n_lon) + 0.5) * 360.0 / n_lon
    lts = (np.arange(n_lt) + 0.5) * 24.0 / n_lt
    lats = geocentric_to_geodetic_lat(_orbit_latitudes(inc_deg, n_u), alt_km)
    d, lt, lon, lat = np.meshgrid(days, lts, lons, lats, indexing="ij")
    ut = np.mod(lt - lon / 15.0, 24.0)
    return d.ravel(), ut.ravel(), lon.ravel(), lat.ravel()
