"""Pure-Python twin of ``ext/_scan.pyx``: the final-burn scan's approximate distances.

The final-burn targeting (:func:`deorbit.operations.target_final_burn`) scans a window of
burn times every ``SCAN_STEP_S`` and picks the pass whose predicted impact comes nearest the
target. Its choice is made on the exact predicted impacts (geodetic coordinates, the
great-circle distance) of a few candidate times only; the candidates are found on these
approximate distances, computed for every scan time at a fraction of the cost.

The approximation, per scan time: the predicted impact direction in the Earth-fixed frame
(argument of latitude ``u`` and node longitude ``lam`` from the target's meridian, both
linear in time: the J2-secular rates, Earth rotation by GMST's rate), its geodetic latitude
as if on the ellipsoid's surface (tan(lat) = z / ((1 - e^2) p); the direction's point lies
up to 21 km above the ellipsoid, which moves the latitude by < 0.1 km), and the great-circle
distance on the mean-radius sphere (:func:`deorbit.ground.sphere.great_circle_distance_km`).
Within ``operations.SCAN_TOLERANCE_KM`` of the exact distance (``tests/test_scan.py``).

The compiled twin steps ``u`` and ``lam`` by rotation (no trigonometric call per time);
both agree to < 1e-6 km.
"""
from __future__ import annotations

import numpy as np

from .constants import ECCENTRICITY_SQ
from .ground.sphere import MEAN_EARTH_RADIUS_KM


def approx_distance_km(u0_rad, udot_rad_s, lam0_rad, lam_rate_rad_s, sin_inc, cos_inc,
                       step_s, n_times, sin_lat_target, cos_lat_target, out_km):
    """Approximate distances from the predicted impacts to the target, km, into out_km.

    Parameters
    ----------
    u0_rad, udot_rad_s : ndarray (n,)
        Argument of latitude of the impact at the first scan time, rad, and its rate, rad/s.
    lam0_rad, lam_rate_rad_s : ndarray (n,)
        Longitude of the ascending node east of the target's meridian at the first scan
        time's impact, rad, and its rate, rad/s.
    sin_inc, cos_inc : ndarray (n,)
        Of the orbit's inclination.
    step_s : float
        Spacing of the scan times, s.
    n_times : int
        Scan times per row, ``k * step_s`` for k < n_times.
    sin_lat_target, cos_lat_target : float
        Of the target's geodetic latitude.
    out_km : ndarray (n, n_times), float64
        Filled with the distances.
    """
    dt = np.arange(n_times) * step_s
    u = u0_rad[:, None] + udot_rad_s[:, None] * dt
    lam = lam0_rad[:, None] + lam_rate_rad_s[:, None] * dt
    su, cu = np.sin(u), np.cos(u)
    z = sin_inc[:, None] * su
    w = np.cos(lam) * cu - cos_inc[:, None] * su * np.sin(lam)
    q = 1.0 - ECCENTRICITY_SQ
    cos_c = (z * sin_lat_target + q * cos_lat_target * w) / np.sqrt(z * z + q * q * (1.0 - z * z))
    out_km[...] = 2.0 * MEAN_EARTH_RADIUS_KM * np.arcsin(
        np.sqrt(np.clip(0.5 * (1.0 - cos_c), 0.0, 1.0)))
