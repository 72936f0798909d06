"""A scenario's initial state from tracking data: the state, its epoch and its dispersion.

``[orbit]`` of a scenario may start from a file (TLE/OMM series, OEM, OPM) or from a state
vector with its epoch and frame instead of mean elements (:mod:`deorbit.scenario`). This
module turns either into an :class:`InitialState`: the state in the kernel's frame at the
data's epoch, and the lower-triangular factor ``L`` of its covariance in the kernel frame, so
that sample ``i`` starts from ``state_m + L @ z_i`` with ``z_i`` six standard normal draws
(the scenario's ``orbit.dispersion.z1`` ... ``z6``, common random numbers like every draw).

The covariance is either given as 1-sigma values in the radial / in-track / cross-track
(RTN) frame of the state (``sigma_rtn_m``, ``sigma_rtn_m_s``: uncorrelated), or taken from
the file (an OEM's covariance block at the chosen state's epoch, an OPM's covariance), in
an inertial frame or RTN (``COV_REF_FRAME`` RTN/RSW/RIC).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import orbits
from ..constants import EARTH_RADIUS_M
from ..frames import kernel_from_frame_matrix, to_kernel_frame
from .results import ElementSeries, Ephemeris, StateVector

__all__ = ["InitialState", "from_state_vector", "from_tracking"]

#: Names of a covariance frame that is the state's own radial / in-track / cross-track frame.
RTN_FRAMES = ("RTN", "RSW", "RIC", "LVLH_RTN", "QSW")
#: Largest gap between a chosen OEM state and the covariance used for it, days (1 minute).
COVARIANCE_GAP_DAYS = 1.0 / 1440.0


@dataclass(frozen=True, eq=False)
class InitialState:
    """Where and when every sample starts, before its dispersion.

    Attributes
    ----------
    epoch_utc_days : float
        The data's epoch, UTC days since J2000.
    state_m : ndarray, shape (6,)
        State in the kernel's frame, m and m/s.
    dispersion_m : ndarray, shape (6, 6)
        Lower-triangular factor of the state's covariance in the kernel frame (m, m/s):
        ``state_m + dispersion_m @ z`` for standard normal ``z``; zeros for none.
    source : str
        What the state came from (file and line, or "orbit.state").
    """

    epoch_utc_days: float
    state_m: np.ndarray
    dispersion_m: np.ndarray
    source: str

    def states(self, z):
        """Dispersed states (n, 6) for standard normal draws ``z`` of shape (n, 6)."""
        return self.state_m[None, :] + np.asarray(z, dtype=np.float64) @ self.dispersion_m.T

    def elements(self):
        """(semi-major axis minus the equatorial radius km, inclination deg, RAAN deg,
        argument of latitude deg) of the nominal state: osculating, for the scenario's
        planning (the density table's inclination, the lifetime guess)."""
        state = self.state_m[None, :]
        inc, raan, u = (float(np.degrees(v[0])) for v in orbits.plane_angles(state))
        alt = float((orbits.semi_major_axis_m(state)[0] - EARTH_RADIUS_M) * 1e-3)
        return alt, inc, raan % 360.0, u % 360.0


def _factor(cov_kernel):
    """Lower-triangular factor of a 6x6 covariance (positive semi-definite allowed)."""
    cov = 0.5 * (cov_kernel + cov_kernel.T)
    w, vecs = np.linalg.eigh(cov)
    if w.min() < -1e-9 * max(w.max(), 1e-300):
        raise ValueError(f"the covariance is not positive semi-definite (eigenvalue "
                         f"{w.min():.3g})")
    # QR of sqrt(cov)^T gives a triangular factor with L L^T = cov, also when singular
    root = vecs * np.sqrt(np.clip(w, 0.0, None))
    r = np.linalg.qr(root.T, mode="r")
    low = r.T
    return low * np.where(np.diag(low) < 0, -1.0, 1.0)[None, :]


def _covariance_rtn(state_m, sigma_rtn_m, sigma_rtn_m_s):
    """Kernel-frame covariance of uncorrelated RTN 1-sigma values."""
    basis = orbits.rtn_basis(state_m[None, :])[0]
    rot = np.zeros((6, 6))
    rot[:3, :3] = rot[3:, 3:] = basis.T          # RTN components -> kernel frame
    diag = np.diag(np.concatenate([sigma_rtn_m, sigma_rtn_m_s]) ** 2)
    return rot @ diag @ rot.T


def _file_covariance(cov, cov_frame, state_kernel_m, epoch):
    """A file's covariance (m, m/s units) in its frame -> kernel frame."""
    if cov_frame.upper() in RTN_FRAMES:
        m3 = orbits.rtn_basis(state_kernel_m[None, :])[0].T
    else:
        m3 = kernel_from_frame_matrix(epoch, cov_frame)
    rot = np.zeros((6, 6))
    rot[:3, :3] = rot[3:, 3:] = m3
    return rot @ cov @ rot.T


def _dispersion(state_kernel_m, sigma_rtn_m, sigma_rtn_m_s, file_cov):
    if file_cov is not None:
        return _factor(file_cov)
    if sigma_rtn_m is None and sigma_rtn_m_s is None:
        return np.zeros((6, 6))
    return _factor(_covariance_rtn(state_kernel_m,
                                   np.zeros(3) if sigma_rtn_m is None else sigma_rtn_m,
                                   np.zeros(3) if sigma_rtn_m_s is None else sigma_rtn_m_s))


def from_tracking(data, *, use="last", sigma_rtn_m=None, sigma_rtn_m_s=None,
                  covariance=False) -> InitialState:
    """The initial state from what :func:`deorbit.tracking.read_tracking` returned.

    Parameters
    ----------
    data : ElementSeries, tuple of Ephemeris or StateVector
        An element-set series (SGP4's TEME state of the chosen set), an OEM (the chosen
        state of its longest segment) or an OPM.
    use : {"last", "first"}
        Which state of a series or an ephemeris.
    sigma_rtn_m, sigma_rtn_m_s : array_like of 3, optional
        1-sigma dispersion in the state's radial / in-track / cross-track frame, m and m/s.
    covariance : bool
        Use the file's covariance instead (OEM or OPM; an error if it has none at the
        chosen state's epoch).

    Raises
    ------
    ValueError
        For an unknown ``use``, a missing covariance, or a frame that cannot be converted.
    """
    if use not in ("last", "first"):
        raise ValueError(f"use = {use!r}: allowed 'last' or 'first'")
    k = -1 if use == "last" else 0
    file_cov, cov_frame = None, None
    if isinstance(data, ElementSeries):
        if not data.element_sets:
            raise ValueError(f"{data.source}: no element set")
        norads = {e.norad_id for e in data.element_sets}
        if len(norads) > 1:
            raise ValueError(f"{data.source}: element sets of {len(norads)} objects; give one "
                             "object's")
        chosen = data.element_sets[k]
        epoch, state, frame = chosen.epoch_utc_days, chosen.state_teme_m, "TEME"
        where = f"{chosen.source}:{chosen.line}"
    elif isinstance(data, StateVector):
        epoch, state, frame = data.epoch_utc_days, data.state_m, data.frame
        where = f"{data.source}:{data.line}"
        if data.covariance_m_s is not None:
            file_cov, cov_frame = data.covariance_m_s, data.covariance_frame or data.frame
    elif isinstance(data, tuple) and data and all(isinstance(d, Ephemeris) for d in data):
        eph = max(data, key=lambda d: d.epoch_utc_days.size)
        epoch, state, frame = eph.epoch_utc_days[k], eph.state_m[k], eph.frame
        where = f"{eph.source}:{int(eph.lines[k])}"
        if eph.covariance_epoch_utc_days.size:
            gap = np.abs(eph.covariance_epoch_utc_days - epoch)
            j = int(np.argmin(gap))
            if gap[j] <= COVARIANCE_GAP_DAYS:
                file_cov, cov_frame = eph.covariance_m_s[j], eph.covariance_frames[j]
    else:
        raise ValueError(f"expected an element-set series, an OEM or an OPM, got "
                         f"{type(data).__name__}")
    if covariance and file_cov is None:
        raise ValueError(f"{where}: covariance = true, but the file has no covariance at "
                         "this state's epoch")
    kernel_state = to_kernel_frame(np.asarray(state, dtype=np.float64), epoch, frame)
    cov = (_file_covariance(np.asarray(file_cov, dtype=np.float64), cov_frame, kernel_state,
                            epoch) if covariance else None)
    return InitialState(float(epoch), kernel_state,
                        _dispersion(kernel_state, sigma_rtn_m, sigma_rtn_m_s, cov), where)


def from_state_vector(epoch_utc_days, frame, position_km, velocity_km_s, *, sigma_rtn_m=None,
                      sigma_rtn_m_s=None, source="orbit.state") -> InitialState:
    """The initial state from a state vector written in a scenario (km, km/s, any frame of
    :func:`deorbit.frames.to_kernel_frame`)."""
    state = np.concatenate([np.asarray(position_km, dtype=np.float64),
                            np.asarray(velocity_km_s, dtype=np.float64)]) * 1e3
    kernel_state = to_kernel_frame(state, float(epoch_utc_days), frame)
    return InitialState(float(epoch_utc_days), kernel_state,
                        _dispersion(kernel_state, sigma_rtn_m, sigma_rtn_m_s, None), source)
