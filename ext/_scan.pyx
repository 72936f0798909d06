# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False
"""Compiled twin of ``src/deorbit/_scan_reference.py`` (private; used by
:func:`deorbit.operations.target_final_burn`): the final-burn scan's approximate distances.

The same formulas; ``u`` and ``lam`` advance by a rotation per scan time instead of a
sine and cosine each (the rounding drifts by ~1e-13 rad over a day's scan).
"""
from libc.math cimport sqrt, sin, cos, asin

cdef extern from "deorbit_constants.h":
    double ECCENTRICITY_SQ

#: Mean Earth radius, km (``deorbit.ground.sphere.MEAN_EARTH_RADIUS_KM``; checked by
#: tests/test_scan.py).
MEAN_EARTH_RADIUS_KM = 6371.0088
cdef double R_MEAN_KM = MEAN_EARTH_RADIUS_KM


def approx_distance_km(const double[::1] u0_rad, const double[::1] udot_rad_s,
                       const double[::1] lam0_rad, const double[::1] lam_rate_rad_s,
                       const double[::1] sin_inc, const double[::1] cos_inc, double step_s,
                       Py_ssize_t n_times, double sin_lat_target, double cos_lat_target,
                       double[:, ::1] out_km):
    """Approximate distances from the predicted impacts to the target, km, into out_km
    (see ``deorbit._scan_reference.approx_distance_km``)."""
    cdef Py_ssize_t n = u0_rad.shape[0], i, k
    cdef double q = 1.0 - ECCENTRICITY_SQ
    cdef double cu, su, cl, sl, cru, sru, crl, srl, t, z, w, cos_c, hav, si, ci
    if out_km.shape[0] != n or out_km.shape[1] != n_times:
        raise ValueError(f"out_km: expected shape ({n}, {n_times})")
    with nogil:
        for i in range(n):
            cu = cos(u0_rad[i])
            su = sin(u0_rad[i])
            cl = cos(lam0_rad[i])
            sl = sin(lam0_rad[i])
            cru = cos(udot_rad_s[i] * step_s)
            sru = sin(udot_rad_s[i] * step_s)
            crl = cos(lam_rate_rad_s[i] * step_s)
            srl = sin(lam_rate_rad_s[i] * step_s)
            si = sin_inc[i]
            ci = cos_inc[i]
            for k in range(n_times):
                z = si * su
                w = cl * cu - ci * su * sl
                cos_c = (z * sin_lat_target + q * cos_lat_target * w) / sqrt(
                    z * z + q * q * (1.0 - z * z))
                hav = 0.5 * (1.0 - cos_c)
                hav = 0.0 if hav < 0.0 else (1.0 if hav > 1.0 else hav)
                out_km[i, k] = 2.0 * R_MEAN_KM * asin(sqrt(hav))
                t = cu * cru - su * sru
                su = su * cru + cu * sru
                cu = t
                t = cl * crl - sl * srl
                sl = sl * crl + cl * srl
                cl = t
