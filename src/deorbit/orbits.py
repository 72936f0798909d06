"""Orbit helpers on blocks of ECI states, vectorised: one definition of each, used by the
engine, the operations, the kernel wrapper and the tracking-data code.

The kernel's backends have their own scalar versions inside the integrator
(:mod:`deorbit._reference`: ``semi_major_axis_m``, ``_node_frame``, ``state_to_elements``,
the J2 rates of ``mean_rates``); ``tests/test_orbits.py`` holds these to them.

States are (n, 6) arrays in the kernel's inertial frame, m and m/s; angles are radians.
"""
from __future__ import annotations

import numpy as np

from .constants import EARTH_RADIUS_M, J2, MU_M3_S2

__all__ = ["circular_j2_rates", "node_frame", "plane_angles", "rtn_basis",
           "semi_major_axis_m"]


def semi_major_axis_m(state):
    """Osculating semi-major axis of states (n, 6) by vis-viva, m."""
    r = np.linalg.norm(state[:, :3], axis=1)
    v2 = np.einsum("ij,ij->i", state[:, 3:], state[:, 3:])
    return 1.0 / (2.0 / r - v2 / MU_M3_S2)


def node_frame(inc, raan):
    """Unit vectors to the ascending node (n), 90 deg ahead in the orbit plane (m), and the
    orbit normal (h) of inclinations and RAANs (rad, broadcast): three arrays (..., 3)."""
    co, so, ci, si = np.cos(raan), np.sin(raan), np.cos(inc), np.sin(inc)
    n_hat = np.stack([co, so, np.zeros_like(co)], -1)
    m_hat = np.stack([-so * ci, co * ci, si], -1)
    h_hat = np.stack([so * si, -co * si, ci], -1)
    return n_hat, m_hat, h_hat


def plane_angles(state):
    """Inclination, RAAN and argument of latitude (rad, (n,) each) of states (n, 6)."""
    r, v = state[:, :3], state[:, 3:]
    h = np.cross(r, v)
    w_hat = h / np.linalg.norm(h, axis=1, keepdims=True)
    inc = np.arccos(np.clip(w_hat[:, 2], -1.0, 1.0))
    raan = np.arctan2(w_hat[:, 0], -w_hat[:, 1])
    n_hat = np.stack([np.cos(raan), np.sin(raan), np.zeros_like(raan)], 1)
    m_hat = np.cross(w_hat, n_hat)
    u = np.arctan2(np.einsum("ij,ij->i", r, m_hat), np.einsum("ij,ij->i", r, n_hat))
    return inc, raan, u


def circular_j2_rates(a_m, inc):
    """J2 secular rates of a circular orbit, rad/s: the argument of latitude's (mean motion
    plus the perigee and mean-anomaly terms) and the node's.

    Parameters
    ----------
    a_m : ndarray
        Semi-major axis, m.
    inc : ndarray
        Inclination, rad.

    Returns
    -------
    udot, raan_dot : ndarray
        ``n (1 + 3/4 k (3 cos^2 i - 1)) + 3/4 n k (5 cos^2 i - 1)`` and ``-3/2 n k cos i``,
        ``k = J2 (R_e / a)^2`` (Vallado, 4th ed., eqs. 9-41 and 9-42 with e = 0).
    """
    n = np.sqrt(MU_M3_S2 / a_m**3)
    k = J2 * (EARTH_RADIUS_M / a_m) ** 2
    ci = np.cos(inc)
    udot = n * (1.0 + 0.75 * k * (3 * ci**2 - 1)) + 0.75 * n * k * (5 * ci**2 - 1)
    return udot, -1.5 * n * k * ci


def rtn_basis(state):
    """Radial, in-track and cross-track unit vectors of states (n, 6): (n, 3, 3), rows in
    that order (``basis @ d`` gives the RTN components of a vector d)."""
    r, v = state[:, :3], state[:, 3:]
    rad = r / np.linalg.norm(r, axis=1, keepdims=True)
    nrm = np.cross(r, v)
    nrm /= np.linalg.norm(nrm, axis=1, keepdims=True)
    return np.stack([rad, np.cross(nrm, rad), nrm], axis=1)
