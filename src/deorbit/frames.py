"""Reference frames: the kernel's inertial frame, conversions into and out of it, the
Earth-fixed rotation and geodetic coordinates on the WGS-84 ellipsoid.

The kernel's frame
------------------
The kernel (:mod:`deorbit.kernel`) integrates in an Earth-centred inertial frame whose Earth
turns about +z by Greenwich mean sidereal time alone (:func:`deorbit.time.gmst_rad`, IAU-82,
of UTC taken as UT1; co-rotating air at ``EARTH_ROTATION_RAD_S``), with no precession,
nutation or polar motion: Earth-fixed = ``R3(GMST82) . r``. That is the definition of
**TEME** (true equator, mean equinox of date: the frame SGP4 outputs), in which the
pseudo-Earth-fixed frame is ``PEF = R3(GMST82(UT1)) . r_TEME`` (Vallado et al. 2006,
AIAA 2006-6753; Vallado 4th ed., sec. 3.7). Both frames are therefore
``R3(-GMST82) . PEF``: identical when UT1 = UTC is assumed, which this package does (see
:mod:`deorbit.time`). It is not the true-of-date frame: TOD = ``R3(-EqE) . TEME``, the
equation of the equinoxes EqE reaching 17 arcsec (1.2 s of time; 0.6 km in LEO), and it is
not EME2000 (precession alone moves the equinox by 50.3 arcsec per year: 0.31 deg in 2022).

Frames accepted by :func:`to_kernel_frame` and :func:`from_kernel_frame`
----------------------------------------------------------------------------
``"TEME"``
    Identity (above). A true SGP4 TEME state, tied to UT1, lands ``|UT1 - UTC| < 0.9 s``
    of Earth rotation off in its Earth-fixed position (< 0.45 km at 400 km altitude).
``"EME2000"`` (alias ``"J2000"``)
    Mean equator and equinox of J2000.0 by the IAU-76/FK5 theory, as in Vallado's
    reduction: ``r_TEME = R3(EqE94) . N80 . P76 . r_EME2000`` at TT, with
    ``erfa.pnm80`` (IAU-1976 precession, IAU-1980 nutation, no EOP corrections dPsi, dEps)
    and ``erfa.eqeq94`` (equation of the equinoxes with its 1994 kinematic terms). Sign:
    ``r_TOD = R3(-EqE) . r_TEME``. Reproduces Vallado's Example 3-15 J2000 state to 0.1 mm
    (``tests/test_frames.py``; with EqE's geometric term alone, 7 cm). Note: the IERS 2003
    definition of EME2000 (GCRF turned by the constant frame bias, as in Orekit) differs
    from this one by the errors of IAU-1976 precession and IAU-1980 nutation, 15-52 mas over
    1990-2040 (growing with time): 0.5-1.8 m at 7,000 km. Which one a data set uses is for
    its producer to say; both are far below the 32-78 km of ignoring the frame.
``"GCRF"`` (alias ``"ICRF"``)
    Geocentric celestial reference frame, through the IAU-2006/2000A precession-nutation
    (frame bias included): ``r_TEME = R3(GAST06 - GMST82) . NPB06 . r_GCRF`` with
    ``erfa.pnm06a`` (TT), ``erfa.gst06`` and ``erfa.gmst82`` (UT1). GAST06 - GMST82 is the
    equation of the equinoxes referred to the IAU-82 mean equinox; the UT1 in both terms
    cancels (0.9 s of UT1 - UTC moves it by 6e-12 rad, < 0.1 mm). Without EOP data (the
    celestial pole offsets dX, dY, < 0.5 mas: < 2 cm in LEO) it reproduces Vallado's
    Example 3-15 GCRF (his IAU-76/FK5 reduction *with* the EOP corrections dPsi, dEps) to
    4 mm at 10,200 km; the ``erfa.bp00`` frame bias followed by the uncorrected IAU-76/80
    chain misses it by 0.7 m (the IAU-1980 nutation's error): hence this chain. The
    frame bias between GCRF and EME2000 is 23 mas (0.8 m at 7,000 km); with the models'
    differences, the GCRF and EME2000 conversions differ by 20 mas at J2000.0 and 44 mas
    in 2022 (1.5 m at 7,000 km).
``"ITRF"``
    Earth-fixed, by the kernel's own rotation: ``r_ITRF = R3(GMST82(UTC)) . r`` and
    ``v_ITRF = R3(GMST82) . (v - omega x r)`` with ``omega = EARTH_ROTATION_RAD_S`` (the
    kernel's co-rotating air), i.e. the pseudo-Earth-fixed frame PEF: **no polar motion**
    (|x_p|, |y_p| < 0.6 arcsec: < 20 m in LEO) and UT1 = UTC (< 0.45 km at 400 km).

Velocities of the inertial frames are rotated with the position's matrix: the matrices
turn by < 1.1e-11 rad/s (precession plus nutation), which omits < 1e-4 m/s in LEO.
Epochs are UTC days since J2000, shape (N,) or scalar; states are (N, 6) or (6,), m and
m/s; epochs broadcast against the states' leading shape.

References
----------
- Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed. (2013), sec. 3.7
  (IAU-2006/2000 reductions, IAU-76/FK5 reduction, TEME), Example 3-15; Vallado,
  Crawford, Hujsak, Kelso, *Revisiting Spacetrack Report #3*, AIAA 2006-6753 (TEME, and
  its appendix C example).
- Lieske et al. 1977 (IAU-1976 precession); Seidelmann 1982 (IAU-1980 nutation);
  Aoki et al. 1982 (GMST82); IERS Conventions (2010), ch. 5 (IAU-2006/2000A, frame bias).
- pyerfa (ERFA, from SOFA): ``pnm80``, ``eqeq94``, ``pnm06a``, ``gst06``, ``gmst82``.
"""
from __future__ import annotations

import erfa
import numpy as np

from .constants import EARTH_RADIUS_M, EARTH_ROTATION_RAD_S, ECCENTRICITY_SQ
from .time import gmst_rad, tt_jd, ut1_jd

#: Frames accepted by :func:`to_kernel_frame` and :func:`from_kernel_frame`.
FRAMES = ("TEME", "EME2000", "GCRF", "ITRF")
#: Other names for them.
FRAME_ALIASES = {"J2000": "EME2000", "ICRF": "GCRF"}


# --- Earth-fixed rotation (the kernel's GMST) and geodetic coordinates -----------------------

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


def geodetic_to_eci(lat_deg, lon_deg, alt_km, epoch_utc_days):
    """ECI positions (..., 3), m, of geodetic points (WGS-84; deg, deg, km) at the given
    epochs: the inverse of :func:`eci_to_geodetic`."""
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    h = np.asarray(alt_km, dtype=np.float64) * 1e3
    sin_lat = np.sin(lat)
    n = EARTH_RADIUS_M / np.sqrt(1.0 - ECCENTRICITY_SQ * sin_lat ** 2)
    x = (n + h) * np.cos(lat) * np.cos(lon)
    y = (n + h) * np.cos(lat) * np.sin(lon)
    z = (n * (1.0 - ECCENTRICITY_SQ) + h) * sin_lat
    g = gmst_rad(epoch_utc_days)
    c, s = np.cos(g), np.sin(g)
    return np.stack(np.broadcast_arrays(c * x - s * y, s * x + c * y, z), axis=-1)


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


# --- Inertial frames <-> the kernel's frame ---------------------------------------------------

def frame_name(frame):
    """Canonical name (one of :data:`FRAMES`) of a frame name or alias, case-insensitive.

    Raises
    ------
    ValueError
        For an unknown name; the message names it and the names allowed.
    """
    key = str(frame).strip().upper()
    key = FRAME_ALIASES.get(key, key)
    if key not in FRAMES:
        allowed = ", ".join([*FRAMES, *(f"{a} (= {b})" for a, b in FRAME_ALIASES.items())])
        raise ValueError(f"unknown frame {frame!r}; allowed: {allowed}")
    return key


def _rot3(angle):
    """Matrices (..., 3, 3) of a frame rotation by ``angle`` (rad) about z: Vallado's ROT3,
    ``erfa.rz``: ``[[c, s, 0], [-s, c, 0], [0, 0, 1]]``."""
    a = np.asarray(angle, dtype=np.float64)
    c, s = np.cos(a), np.sin(a)
    m = np.zeros((*a.shape, 3, 3))
    m[..., 0, 0] = c
    m[..., 0, 1] = s
    m[..., 1, 0] = -s
    m[..., 1, 1] = c
    m[..., 2, 2] = 1.0
    return m


def kernel_from_frame_matrix(epoch_utc_days, frame):
    """Rotation matrices M with ``r_kernel = M . r_frame``, shape (..., 3, 3).

    Parameters
    ----------
    epoch_utc_days : float or array_like, shape (...)
        UTC days since J2000 (TT for precession-nutation, UT1 = UTC for sidereal time: see
        :mod:`deorbit.time`).
    frame : str
        One of :data:`FRAMES` or :data:`FRAME_ALIASES` (see the module docstring).

    Returns
    -------
    ndarray, shape (..., 3, 3)
        The positions' rotation. For ``"ITRF"`` velocities also need ``omega x r``
        (:func:`to_kernel_frame` adds it); for the inertial frames the same matrix rotates
        velocities.

    Notes
    -----
    - TEME: the identity.
    - EME2000: ``R3(erfa.eqeq94) . erfa.pnm80`` at TT (Vallado 4th ed., sec. 3.7).
    - GCRF: ``R3(erfa.gst06 - erfa.gmst82) . erfa.pnm06a`` (TT; UT1 = UTC in both sidereal
      times, where it cancels).
    - ITRF: ``R3(-GMST82)``, by :func:`deorbit.time.gmst_rad`, the kernel's own rotation.
    """
    name = frame_name(frame)
    d = np.asarray(epoch_utc_days, dtype=np.float64)
    if name == "TEME":
        return np.broadcast_to(np.eye(3), (*d.shape, 3, 3)).copy()
    if name == "ITRF":
        return _rot3(-gmst_rad(d))
    tt1, tt2 = tt_jd(d)
    if name == "EME2000":
        return _rot3(erfa.eqeq94(tt1, tt2)) @ erfa.pnm80(tt1, tt2)
    # GCRF
    ut1, ut2 = ut1_jd(d)
    npb = erfa.pnm06a(tt1, tt2)
    return _rot3(erfa.gst06(ut1, ut2, tt1, tt2, npb) - erfa.gmst82(ut1, ut2)) @ npb


def _states_and_epochs(state_m, epoch_utc_days):
    y = np.asarray(state_m, dtype=np.float64)
    if y.shape[-1:] != (6,):
        raise ValueError(f"states must have shape (..., 6) (m, m/s), got {y.shape}")
    d = np.broadcast_to(np.asarray(epoch_utc_days, dtype=np.float64), y.shape[:-1])
    return y, d


def _rotate(m, x):
    return np.einsum("...ij,...j->...i", m, x)


def to_kernel_frame(state_m, epoch_utc_days, frame):
    """Convert states given in ``frame`` to the kernel's inertial frame (TEME-like).

    Parameters
    ----------
    state_m : array_like, shape (N, 6) or (6,)
        Position (m) and velocity (m/s) in ``frame``.
    epoch_utc_days : float or array_like, shape (N,)
        Their epochs, UTC days since J2000.
    frame : str
        ``"TEME"``, ``"EME2000"`` (``"J2000"``), ``"GCRF"`` (``"ICRF"``) or ``"ITRF"``
        (case-insensitive); see the module docstring for the models and their accuracy.

    Returns
    -------
    ndarray, shape like ``state_m``
        Position (m) and velocity (m/s) in the kernel's frame, ready for
        :func:`deorbit.kernel.propagate`.

    Raises
    ------
    ValueError
        For an unknown frame (the message lists the allowed names) or a bad state shape.
    """
    y, d = _states_and_epochs(state_m, epoch_utc_days)
    name = frame_name(frame)
    if name == "TEME":
        return y.copy()
    m = kernel_from_frame_matrix(d, name)
    r = _rotate(m, y[..., :3])
    v = _rotate(m, y[..., 3:])
    if name == "ITRF":  # inertial velocity = rotated Earth-fixed one + omega x r
        v = v + np.cross([0.0, 0.0, EARTH_ROTATION_RAD_S], r)
    return np.concatenate([r, v], axis=-1)


def from_kernel_frame(state_m, epoch_utc_days, frame):
    """Convert states in the kernel's inertial frame to ``frame``; inverse of
    :func:`to_kernel_frame` (same parameters, same models)."""
    y, d = _states_and_epochs(state_m, epoch_utc_days)
    name = frame_name(frame)
    if name == "TEME":
        return y.copy()
    mt = np.swapaxes(kernel_from_frame_matrix(d, name), -1, -2)
    v = ground_relative_velocity(y) if name == "ITRF" else y[..., 3:]
    return np.concatenate([_rotate(mt, y[..., :3]), _rotate(mt, v)], axis=-1)
