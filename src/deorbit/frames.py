"""ECI <-> ECEF rotation (GMST only: no precession, nutation or polar motion) and
geodetic coordinates on the WGS-84 ellipsoid."""
from __future__ import annotations

import numpy as np

from .constants import EARTH_RADIUS_M, EARTH_ROTATION_RAD_S, ECCENTRICITY_SQ
from .time import gmst_rad


def _ecef_xyz(r_eci_m, epoch_utc_days):
    """Earth-fixed x, y, z (m) of ECI positions (..., 3) at the given epochs."""
    r = np.asarray(r_eci_m, dtype=np.float64)
    g = gmst_rad(epoch_utc_days)
    c, s = np.cos(g), np.sin(g)
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    return c * x + s * y, -s * x + c * y, z


def eci_to_ecef(r_eci_m, epoch_utc_days):
    """Rotate ECI positions (..., 3), m, into the Earth-fixed frame at the given epochs."""
    return np.stack(_ecef_xyz(r_eci_m, epoch_utc_days), axis=-1)


def _geodetic(x, y, z):
    """Bowring's iteration on Earth-fixed x, y, z (m): (lat rad, lon rad, h m)."""
    p = np.hypot(x, y)
    lon = np.arctan2(y, x)
    lat = np.arctan2(z, p * (1.0 - ECCENTRICITY_SQ))
    for _ in range(3):
        n, h = _normal_and_height(lat, p, z)
        lat = np.arctan2(z, p * (1.0 - ECCENTRICITY_SQ * n / (n + h)))
    return lat, lon, _normal_and_height(lat, p, z)[1]


def _normal_and_height(lat, p, z):
    """Prime-vertical radius of curvature and height (m) at geodetic latitude lat (rad)."""
    n = EARTH_RADIUS_M / np.sqrt(1.0 - ECCENTRICITY_SQ * np.sin(lat) ** 2)
    cos_lat = np.cos(lat)
    h = np.where(np.abs(cos_lat) > 1e-10, p / cos_lat - n,
                 np.abs(z) - n * (1.0 - ECCENTRICITY_SQ))
    return n, h


def ecef_to_geodetic(r_ecef_m):
    """Geodetic latitude (deg), east longitude (deg, -180..180) and altitude (km), WGS-84.

    Bowring's iteration (3 passes: < 1 micrometre in LEO).
    """
    r = np.asarray(r_ecef_m, dtype=np.float64)
    lat, lon, h = _geodetic(r[..., 0], r[..., 1], r[..., 2])
    return np.degrees(lat), np.degrees(lon), h * 1e-3


def eci_to_geodetic(r_eci_m, epoch_utc_days):
    """Geodetic latitude, longitude (deg) and altitude (km) of ECI positions at epochs."""
    lat, lon, h = _geodetic(*_ecef_xyz(r_eci_m, epoch_utc_days))
    return np.degrees(lat), np.degrees(lon), h * 1e-3


def altitude_km(r_m, ellipsoid=True):
    """Altitude (km) above the WGS-84 ellipsoid, or ``|r| - R_e`` with ellipsoid=False.

    Earth rotation does not change the geodetic altitude, so ECI or ECEF input both work.
    """
    r = np.asarray(r_m, dtype=np.float64)
    if ellipsoid:
        return ecef_to_geodetic(r)[2]
    return (np.linalg.norm(r, axis=-1) - EARTH_RADIUS_M) * 1e-3


def ground_relative_velocity(state_eci):
    """Velocity relative to the rotating Earth (and its co-rotating air) of ECI states
    (..., 6), in ECI components, m/s: v - omega x r."""
    y = np.asarray(state_eci, dtype=np.float64)
    return y[..., 3:] - np.cross([0.0, 0.0, EARTH_ROTATION_RAD_S], y[..., :3])
