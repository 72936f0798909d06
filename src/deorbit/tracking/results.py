"""What the tracking readers return: frozen dataclasses with units in their field names.

Frames are kept as the file names them (``'EME2000'``, ``'GCRF'``, ``'TEME'``, ...); nothing
here converts frames. Epochs are float64 UTC days since J2000 (JD 2451545.0), as in
:mod:`deorbit.time`. States are ``[x, y, z, vx, vy, vz]`` in m and m/s.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["ElementSeries", "ElementSet", "Ephemeris", "StateVector"]


def ballistic_coefficient(mass_kg, drag_coeff, drag_area_m2) -> float | None:
    """m / (Cd A) in kg/m², or None when a factor is missing or Cd A is not positive."""
    if mass_kg is None or drag_coeff is None or drag_area_m2 is None:
        return None
    cd_area_m2 = drag_coeff * drag_area_m2
    return mass_kg / cd_area_m2 if cd_area_m2 > 0.0 else None


class _Spacecraft:
    """The ballistic coefficient of a message with ``mass_kg``, ``drag_coeff`` and
    ``drag_area_m2`` fields (OEM comments, OPM spacecraft parameters)."""

    __slots__ = ()

    @property
    def bc_kg_m2(self) -> float | None:
        """Ballistic coefficient m / (Cd A), kg/m², or None if mass, Cd or area is absent."""
        return ballistic_coefficient(self.mass_kg, self.drag_coeff, self.drag_area_m2)


@dataclass(frozen=True, eq=False)
class Ephemeris(_Spacecraft):
    """One segment of a CCSDS Orbit Ephemeris Message (OEM).

    Attributes
    ----------
    epoch_utc_days : ndarray, shape (N,)
        UTC days since J2000 of each state, strictly increasing.
    state_m : ndarray, shape (N, 6)
        Position (m) and velocity (m/s) in ``frame``, centred on the Earth.
    frame : str
        REF_FRAME as written (e.g. ``'EME2000'``, ``'GCRF'``, ``'TEME'``, ``'ITRF'``).
    object_name, object_id : str
        OBJECT_NAME and OBJECT_ID (international designator, e.g. ``'1998-067A'``).
    time_system : str
        TIME_SYSTEM of the file (epochs here are always UTC).
    mass_kg, drag_area_m2, drag_coeff : float or None
        Spacecraft mass (kg), drag area (m²) and drag coefficient. The OEM standard has no
        place for them; NASA's ISS product writes them as ``COMMENT MASS=...``,
        ``COMMENT DRAG_AREA=...``, ``COMMENT DRAG_COEFF=...``, which are read. None if absent.
    covariance_epoch_utc_days : ndarray, shape (K,)
        UTC days since J2000 of each covariance matrix (K = 0 when there are none).
    covariance_m_s : ndarray, shape (K, 6, 6)
        Symmetric position/velocity covariances in m², m²/s and m²/s².
    covariance_frames : tuple of str, length K
        COV_REF_FRAME of each matrix (the segment's REF_FRAME when not given).
    comments : tuple of str
        Every COMMENT of the header, metadata and data, in file order.
    source : str
        The file read (or ``'<string>'``).
    lines : ndarray of int, shape (N,)
        1-based line of each state in ``source``.

    Notes
    -----
    Optional accelerations (``X_DDOT Y_DDOT Z_DDOT``) are checked as numbers and not kept.

    References
    ----------
    CCSDS 502.0-B-3, *Orbit Data Messages*, Blue Book (2023), section 5 (OEM).
    """

    epoch_utc_days: np.ndarray
    state_m: np.ndarray
    frame: str
    object_name: str
    object_id: str
    time_system: str
    mass_kg: float | None
    drag_area_m2: float | None
    drag_coeff: float | None
    covariance_epoch_utc_days: np.ndarray
    covariance_m_s: np.ndarray
    covariance_frames: tuple[str, ...]
    comments: tuple[str, ...]
    source: str
    lines: np.ndarray


@dataclass(frozen=True, eq=False)
class StateVector(_Spacecraft):
    """A CCSDS Orbit Parameter Message (OPM): one state, spacecraft parameters, covariance.

    Attributes
    ----------
    epoch_utc_days : float
        UTC days since J2000 of the state.
    state_m : ndarray, shape (6,)
        Position (m) and velocity (m/s) in ``frame``, centred on the Earth.
    frame, object_name, object_id, time_system : str
        As in :class:`Ephemeris`.
    mass_kg, drag_area_m2, drag_coeff : float or None
        MASS (kg), DRAG_AREA (m²), DRAG_COEFF of the spacecraft parameters block.
    solar_rad_area_m2, solar_rad_coeff : float or None
        SOLAR_RAD_AREA (m²) and SOLAR_RAD_COEFF.
    covariance_m_s : ndarray, shape (6, 6), or None
        Position/velocity covariance in m², m²/s, m²/s².
    covariance_frame : str or None
        COV_REF_FRAME (default REF_FRAME), None without covariance.
    other_keywords : tuple of (str, str, int)
        Keywords read but not interpreted (Keplerian elements, maneuvers, user-defined
        parameters): ``(keyword, value, line)``.
    comments : tuple of str
        Every COMMENT, in file order.
    source : str
        The file read.
    line : int
        1-based line of the EPOCH.

    References
    ----------
    CCSDS 502.0-B-3, *Orbit Data Messages*, section 3 (OPM).
    """

    epoch_utc_days: float
    state_m: np.ndarray
    frame: str
    object_name: str
    object_id: str
    time_system: str
    mass_kg: float | None
    drag_area_m2: float | None
    drag_coeff: float | None
    solar_rad_area_m2: float | None
    solar_rad_coeff: float | None
    covariance_m_s: np.ndarray | None
    covariance_frame: str | None
    other_keywords: tuple[tuple[str, str, int], ...]
    comments: tuple[str, ...]
    source: str
    line: int


@dataclass(frozen=True, eq=False)
class ElementSet:
    """One SGP4 element set (a TLE or an OMM) and its TEME state at epoch from SGP4.

    Attributes
    ----------
    epoch_utc_days : float
        UTC days since J2000 of the element set (``jdsatepoch - 2451545 + jdsatepochF``).
    state_teme_m : ndarray, shape (6,)
        SGP4's position (m) and velocity (m/s) at epoch, in TEME (true equator, mean
        equinox of the epoch; Vallado et al. 2006, section "Coordinate frames").
    name : str
        Line 0 of a 3LE or OBJECT_NAME; ``''`` for a bare TLE.
    norad_id : int
        NORAD catalogue number (Alpha-5 numbers decoded).
    object_id : str
        International designator as written (``'98067A'`` in a TLE, ``'1998-067A'`` in OMM).
    mean_motion_rev_per_day : float
        Kozai mean motion as written, rev/day.
    eccentricity : float
        Mean eccentricity.
    inclination_deg, raan_deg, arg_perigee_deg, mean_anomaly_deg : float
        Mean angles, degrees.
    bstar_per_earth_radius : float
        B* drag term, 1/earth radii (WGS-72 radius, 6378.135 km).
    semi_major_axis_m : float
        SGP4's Brouwer mean semi-major axis (un-Kozai'd), m: ``satrec.a * radiusearthkm``.
    satrec : sgp4.api.Satrec
        The initialised SGP4 satellite, to propagate further.
    source : str
        The file read.
    line : int
        1-based line of TLE line 1, or of the OMM element set.

    References
    ----------
    Vallado, Crawford, Hujsak, Kelso, "Revisiting Spacetrack Report #3", AIAA 2006-6753.
    CCSDS 502.0-B-3, section 4 (OMM).
    """

    epoch_utc_days: float
    state_teme_m: np.ndarray
    name: str
    norad_id: int
    object_id: str
    mean_motion_rev_per_day: float
    eccentricity: float
    inclination_deg: float
    raan_deg: float
    arg_perigee_deg: float
    mean_anomaly_deg: float
    bstar_per_earth_radius: float
    semi_major_axis_m: float
    satrec: object = field(repr=False)
    source: str
    line: int


@dataclass(frozen=True, eq=False)
class ElementSeries:
    """The element sets of one file, sorted by (NORAD number, epoch), duplicates removed.

    Attributes
    ----------
    element_sets : tuple of ElementSet
        Sorted by catalogue number, then epoch.
    duplicates_removed : int
        Element sets dropped because an earlier one in the file had the same catalogue
        number and epoch (the first one read is kept).
    source : str
        The file read.
    """

    element_sets: tuple[ElementSet, ...]
    duplicates_removed: int
    source: str

    @property
    def epoch_utc_days(self) -> np.ndarray:
        """(N,) UTC days since J2000 of the element sets."""
        return np.array([e.epoch_utc_days for e in self.element_sets], dtype=np.float64)

    @property
    def state_teme_m(self) -> np.ndarray:
        """(N, 6) TEME states at epoch, m and m/s."""
        return np.array([e.state_teme_m for e in self.element_sets],
                        dtype=np.float64).reshape(-1, 6)
