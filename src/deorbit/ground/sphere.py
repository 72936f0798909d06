"""Spherical-Earth geometry for ground-risk bookkeeping: unit vectors, great-circle distances.

Every ground-side distance in :mod:`deorbit.ground` is a great-circle distance on a sphere of
radius :data:`MEAN_EARTH_RADIUS_KM`. Against the WGS-84 ellipsoid this errs by at most ~0.5 %
(less along most paths), which is far below the other uncertainties of a casualty estimate
(population spread, fragment list) and keeps the code vectorised and simple. Latitudes passed
in are geodetic (as the engine's impact points are); the sphere treats them as geocentric,
which moves a point by at most ~21 km (at 45°) and is inside the same budget.

Conventions: angles in degrees, latitude positive north in [-90, 90], longitude positive east,
any real value accepted and wrapped to [-180, 180) where a wrap matters.
"""

from __future__ import annotations

import numpy as np

#: Mean Earth radius R1 = (2a + b)/3 of the WGS-84 ellipsoid, km (IUGG; Moritz, *Geodetic
#: Reference System 1980*, J. Geodesy 74 (2000) 128). Used for all ground great-circle distances.
MEAN_EARTH_RADIUS_KM = 6371.0088


def as_lat_lon(lat_deg, lon_deg, what="points"):
    """Broadcast ``lat_deg`` and ``lon_deg`` to float64 arrays and check them.

    Raises ValueError (naming ``what`` and the first bad index) if a latitude is outside
    [-90, 90] or a value is not finite.
    """
    lat, lon = np.broadcast_arrays(np.asarray(lat_deg, dtype=np.float64),
                                   np.asarray(lon_deg, dtype=np.float64))
    bad = ~(np.isfinite(lat) & np.isfinite(lon))
    if bad.any():
        k = np.unravel_index(int(np.flatnonzero(bad)[0]), lat.shape)
        raise ValueError(f"{what}: {int(bad.sum())} non-finite latitude/longitude value(s), "
                         f"first at index {tuple(int(x) for x in k)} "
                         f"(lat={float(lat[k])!r}, lon={float(lon[k])!r})")
    out = (lat < -90.0) | (lat > 90.0)
    if out.any():
        k = np.unravel_index(int(np.flatnonzero(out)[0]), lat.shape)
        idx = tuple(int(x) for x in k)
        raise ValueError(f"{what}: latitude {float(lat[k])!r} deg at index {idx} "
                         f"is outside [-90, 90]")
    return lat, lon


def wrap_lon_deg(lon_deg):
    """Longitude wrapped to [-180, 180) degrees."""
    return np.mod(np.asarray(lon_deg, dtype=np.float64) + 180.0, 360.0) - 180.0


def unit_vectors(lat_deg, lon_deg):
    """Earth-fixed unit vectors, shape ``(..., 3)``, of points given in degrees."""
    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
    clat = np.cos(lat)
    return np.stack(np.broadcast_arrays(clat * np.cos(lon), clat * np.sin(lon), np.sin(lat)),
                    axis=-1)


def lat_lon_from_vectors(xyz):
    """Latitude and longitude (degrees, lon in [-180, 180]) of vectors ``xyz`` (..., 3)."""
    xyz = np.asarray(xyz, dtype=np.float64)
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    return np.degrees(np.arctan2(z, np.hypot(x, y))), np.degrees(np.arctan2(y, x))


def great_circle_distance_km(lat1_deg, lon1_deg, lat2_deg, lon2_deg):
    """Great-circle distance, km, between points (degrees) on the mean-radius sphere.

    Uses the haversine form (accurate for small and large separations alike short of
    antipodes, where it is still within 1 m).
    """
    p1 = np.radians(np.asarray(lat1_deg, dtype=np.float64))
    p2 = np.radians(np.asarray(lat2_deg, dtype=np.float64))
    dl = np.radians(np.asarray(lon2_deg, dtype=np.float64) - np.asarray(lon1_deg, dtype=np.float64))
    h = np.sin(0.5 * (p2 - p1)) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(0.5 * dl) ** 2
    return 2.0 * MEAN_EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def destination_point(lat_deg, lon_deg, azimuth_deg, distance_km):
    """Point reached from (lat, lon) along the great circle leaving at ``azimuth_deg``.

    Azimuth is measured clockwise from north; ``distance_km`` along the mean-radius sphere.
    Returns ``(lat_deg, lon_deg)`` with longitude wrapped to [-180, 180).
    """
    p1 = np.radians(np.asarray(lat_deg, dtype=np.float64))
    l1 = np.radians(np.asarray(lon_deg, dtype=np.float64))
    az = np.radians(np.asarray(azimuth_deg, dtype=np.float64))
    d = np.asarray(distance_km, dtype=np.float64) / MEAN_EARTH_RADIUS_KM
    sp2 = np.sin(p1) * np.cos(d) + np.cos(p1) * np.sin(d) * np.cos(az)
    p2 = np.arcsin(np.clip(sp2, -1.0, 1.0))
    l2 = l1 + np.arctan2(np.sin(az) * np.sin(d) * np.cos(p1), np.cos(d) - np.sin(p1) * sp2)
    return np.degrees(p2), wrap_lon_deg(np.degrees(l2))
