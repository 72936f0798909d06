"""Backend selection and the validating wrapper around the drag-propagation kernel.

Two backends share one signature (``propagate_block``): the compiled Cython kernel
``deorbit._kernel`` and its readable pure-Python twin ``deorbit._reference``. The compiled
one is used when it was built, unless ``DEORBIT_PUREPYTHON=1`` is set before import;
``deorbit.accelerated`` tells which is in use. :func:`propagate` validates and coerces the
inputs (contiguous float64), allocates the outputs and calls the backend.

Frames and conventions
----------------------
- State vectors are Cartesian in an Earth-centred inertial frame (ECI), in m and m/s. It
  is TEME-like (true equator, mean equinox of date: SGP4's frame), not true-of-date: the
  Earth is turned about +z by GMST alone (IAU-82, of UTC taken as UT1; the co-rotating air
  at ``EARTH_ROTATION_RAD_S``), with no precession, nutation or polar motion, so
  Earth-fixed = ``R3(GMST82) . r``, which is how TEME is defined. Bring EME2000, GCRF or
  ITRF states in with :func:`deorbit.frames.to_kernel_frame` (TEME as is); EME2000 fed
  in unrotated is 0.31 deg off in 2022. Epochs are UTC days since J2000 (JD 2451545.0,
  2000-01-01 12:00 UTC); see :mod:`deorbit.frames` and :mod:`deorbit.time`.
- Altitude is above the WGS-84 ellipsoid (``altitude="ellipsoid"``) or ``|r| - R_e``
  (``altitude="sphere"``, the ISS-F200 benchmark convention).
- The ballistic coefficient is ``bc_kg_m2 = m / (Cd * A)``.
"""
from __future__ import annotations

import enum
import math
import os
import threading
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np

from . import frames, orbits
from .atmosphere import DensityTable, MsisAlongTrajectory, OrbitDensityTable, utc_day_of_year
from .constants import EARTH_RADIUS_M, MU_M3_S2, SECONDS_PER_DAY

if os.environ.get("DEORBIT_PUREPYTHON", "") not in ("", "0"):
    from . import _reference as _backend
else:
    try:
        from . import _kernel as _backend
    except ImportError:  # built with DEORBIT_COMPILE=never, or compilation failed
        from . import _reference as _backend

#: Name of the backend in use: ``"compiled"`` or ``"reference"``.
BACKEND = "reference" if _backend.__name__.endswith("_reference") else "compiled"
#: True when the compiled Cython kernel is in use.
accelerated = BACKEND == "compiled"

#: Entry-interface altitude, km: the default of :func:`propagate` and of a scenario's
#: ``propagation.entry_alt_km``.
ENTRY_ALT_KM = 120.0
#: Hybrid hand-over altitude, km (mean elements down to this lowest altitude, then Cowell):
#: the default of :func:`propagate` and of a scenario's ``propagation.handover_alt_km``
#: (``deorbit validate``'s hindcasts use it). The built-in scenarios set 160 km: lifetimes
#: within 0.005 % of 180 km's, both 0.01-0.08 % from pure Cowell, for 0.89x the block's
#: time (VALIDATION.md, "Hand-over altitude").
HANDOVER_ALT_KM = 180.0


class BlockInputs(NamedTuple):
    """The per-sample inputs and settings of ``propagate_block`` (by keyword: both backends
    name their parameters alike, ``tests/test_kernel_inputs.py``)."""

    start_epoch_days: np.ndarray
    state0: np.ndarray
    drag_m2_kg: np.ndarray
    density_scale: np.ndarray
    stop_epoch_days: np.ndarray
    stop_alt_km: np.ndarray
    entry_alt_km: float
    handover_alt_km: float
    hybrid: bool
    stop_at_handover: bool
    mean_input: bool
    mean_max_step_days: float
    rtol: float
    zonal_degree: int
    ellipsoid: bool
    history_days: np.ndarray
    history_origin_days: np.ndarray
    ephemeris_days: np.ndarray


class DensityArgs(NamedTuple):
    """The density model as ``propagate_block`` reads it: the log-density tables on their
    shared axes (one row per density model, each altitude x F10.7a x dF10.7 x Ap, row-major)
    and each sample's table row, the seasonal corrections on their periodic nodes (one row
    per model, or none), and the daily indices (rows of (F10.7a, dF10.7, Ap, day of year)
    per day, each sample's row and the epoch of the row's first day)."""

    table_alt_km: np.ndarray
    table_log_rho: np.ndarray
    table_row: np.ndarray
    axis_f107a: np.ndarray
    axis_df: np.ndarray
    axis_ap: np.ndarray
    season_log: np.ndarray
    season_nodes: np.ndarray
    season_period_days: float
    daily: np.ndarray
    daily_row: np.ndarray
    daily_first_days: np.ndarray


class BlockOutputs(NamedTuple):
    """The preallocated outputs ``propagate_block`` fills (see :class:`PropagationResult`)."""

    status: np.ndarray
    end_epoch_days: np.ndarray
    entry_epoch_days: np.ndarray
    handover_epoch_days: np.ndarray
    end_state: np.ndarray
    history_sma_alt_km: np.ndarray
    ephemeris_state: np.ndarray
    n_steps: np.ndarray
    n_rhs: np.ndarray

    @classmethod
    def allocate(cls, n, n_history, n_ephemeris):
        """Outputs for n samples: NaN-filled values, zero status and counters."""
        return cls(status=np.zeros(n, dtype=np.int8), end_epoch_days=np.full(n, np.nan),
                   entry_epoch_days=np.full(n, np.nan), handover_epoch_days=np.full(n, np.nan),
                   end_state=np.full((n, 6), np.nan),
                   history_sma_alt_km=np.full((n, n_history), np.nan),
                   ephemeris_state=np.full((n, n_ephemeris, 6), np.nan),
                   n_steps=np.zeros(n, dtype=np.int64), n_rhs=np.zeros(n, dtype=np.int64))


def backend_for(atmosphere):
    """The backend that propagates with this atmosphere: ``(name, module, extra keyword
    arguments)``.

    Three backends: the compiled kernel (``"compiled"``, when built), its pure-Python twin
    (``"reference"``, with ``DEORBIT_PUREPYTHON=1`` or without a build), and the reference
    density mode (``"reference-along-trajectory"``: the pure-Python kernel calling
    NRLMSISE-00 at every point, for a :class:`MsisAlongTrajectory` atmosphere, whatever
    the build).
    """
    if isinstance(atmosphere, MsisAlongTrajectory):
        from . import _reference

        return "reference-along-trajectory", _reference, {"along": atmosphere}
    return BACKEND, _backend, {}


class Status(enum.IntEnum):
    """Per-sample outcome of a propagation."""

    #: Reached the stop altitude (entry interface, breakup, ...).
    ENTERED = 1
    #: Still above the stop altitude at the stop epoch (horizon or requested epoch).
    HORIZON = 2
    #: The integrator failed (step size underflow, too many steps, non-finite state).
    NUMERICAL_FAILURE = 3
    #: Hybrid with ``stop_at_handover``: the mean orbit's lowest altitude reached the
    #: hand-over altitude; the end state is the osculating state Cowell would start from.
    HANDED_OVER = 4


class DailyIndices:
    """Per-sample daily solar and geomagnetic indices for an :class:`OrbitDensityTable`.

    Parameters and attributes
    -------------------------
    first_day_utc_days : ndarray, shape (N,)
        Epoch of 00:00 UTC of the day in column 0, UTC days since J2000 (``k - 0.5`` for
        the calendar day k since 2000-01-01).
    f107a_sfu, df_sfu, ap : ndarray, shape (N, D)
        Per day: 81-day centred mean F10.7 (sfu), previous day's F10.7 minus it (sfu), and
        daily Ap. The density is held for the whole UTC day (NRLMSISE-00's daily inputs).
    held_to_days : int, optional
        Days from column 0 a propagation may run, D by default. More than D holds the last
        column's indices (and its day of year) for the days after it: for a caller that
        knows which samples read those days and discards them (the engine's solar window).

    The columns are checked and packed into the kernel's form once (:meth:`packed`); the
    objects :meth:`take` makes share that form and read their columns from it only when
    asked (a deorbit block takes its samples' indices at every ``propagate`` call: copying
    the columns, N x D x 3 values, cost ~10 % of a block).
    """

    def __init__(self, first_day_utc_days, f107a_sfu, df_sfu, ap, held_to_days=None):
        self.first_day_utc_days = first_day_utc_days
        self.held_to_days = held_to_days
        self._columns = (f107a_sfu, df_sfu, ap)
        self._packed = None   # (daily rows (M, D, 4), row of each sample (N,)): packed()

    @property
    def f107a_sfu(self):
        return self._column(0)

    @property
    def df_sfu(self):
        return self._column(1)

    @property
    def ap(self):
        return self._column(2)

    def _column(self, k):
        if self._columns is None:        # made by take(): the rows of the packed form
            daily, rows = self._packed
            return daily[rows, :, k]
        return self._columns[k]

    @classmethod
    def _taken(cls, first_day_utc_days, packed, held_to_days):
        out = cls.__new__(cls)
        out.first_day_utc_days, out.held_to_days = first_day_utc_days, held_to_days
        out._columns, out._packed = None, packed
        return out

    @classmethod
    def from_paths(cls, paths, held_to_days=None):
        """The indices of daily solar paths (:class:`deorbit.solar.SolarPaths`): column 0 is
        the paths' ``first_day`` (a day index since 2000-01-01, so it starts at epoch
        ``first_day - 0.5``), with NRLMSISE-00's daily inputs
        (:meth:`~deorbit.solar.SolarPaths.msis_inputs`)."""
        f107a, f107_prev, ap = paths.msis_inputs()
        return cls(np.full(f107a.shape[0], paths.first_day - 0.5), f107a, f107_prev - f107a,
                   ap, held_to_days=held_to_days)

    def packed(self):
        """The kernel's form of the indices, checked and built once per object and shared
        by the objects :meth:`take` makes from it.

        Returns
        -------
        daily : ndarray, shape (M, D, 4)
            Per row and day: F10.7a, dF10.7, Ap and the day of year at noon.
        rows : ndarray of int64, shape (N,)
            The row of ``daily`` holding each sample's days.

        Raises
        ------
        ValueError
            For a column of the wrong shape or a missing (non-finite) value, naming it.
        """
        if self._packed is None:
            cols = [np.asarray(a, dtype=np.float64) for a in self._columns]
            first = np.asarray(self.first_day_utc_days, dtype=np.float64)
            n = first.shape[0] if first.ndim else (cols[0].shape[0] if cols[0].ndim else 0)
            first = np.broadcast_to(first, (n,))
            for name, a in zip(("f107a_sfu", "df_sfu", "ap"), cols):
                if a.ndim != 2 or a.shape[0] != n or a.shape[1] < 1 or (
                        a.shape != cols[0].shape):
                    raise ValueError(f"space_weather.{name}: expected shape ({n}, D), got "
                                     f"{a.shape}")
                if not np.all(np.isfinite(a)):
                    i, j = np.argwhere(~np.isfinite(a))[0]
                    raise ValueError(f"space_weather.{name}[{i}, {j}] = {float(a[i, j])!r}: "
                                     "allowed finite values (no missing index is filled in "
                                     "silently)")
            # Day of year at noon of each day; rows share a few first days: once per unique.
            starts, which = np.unique(first, return_inverse=True)
            doy = utc_day_of_year(starts[:, None] + np.arange(cols[0].shape[1])[None, :]
                                  + 0.5)[which]
            daily = np.ascontiguousarray(np.stack([*cols, doy], axis=-1))
            self._packed = (daily, np.arange(n, dtype=np.int64))
        return self._packed

    def take(self, idx):
        """The indices of samples ``idx`` (an index array or a boolean mask); the same
        object if that is every sample in order. The new object shares this one's
        :meth:`packed` rows; its columns are read from them when asked."""
        n = self.first_day_utc_days.shape[0]
        if isinstance(idx, np.ndarray) and idx.dtype.kind in "iu" and idx.shape == (n,) and (
                n == 0 or (idx[0] == 0 and np.all(np.diff(idx) == 1))):
            return self
        daily, rows = self.packed()
        return self._taken(self.first_day_utc_days[idx], (daily, rows[idx]),
                           self.held_to_days)


_MIN, _MAX = np.minimum.reduce, np.maximum.reduce
#: The empty times of a propagation without history or ephemeris (shared, read-only).
_NO_TIMES = np.zeros(0)
_NO_TIMES.flags.writeable = False
_ENTERED = int(Status.ENTERED)   # without the enum's attribute lookup per call

#: Smallest start radius :func:`propagate` accepts, km: half the equatorial radius (closer
#: to the centre the geodetic altitude is not defined, and no orbit starts there).
_MIN_RADIUS_KM = 0.5e-3 * EARTH_RADIUS_M
_METHODS = ("hybrid", "cowell")
_TABLES = (DensityTable, OrbitDensityTable, MsisAlongTrajectory)
_ALTITUDES = ("ellipsoid", "sphere")


@dataclass(frozen=True)
class PropagationResult:
    """Per-sample outputs of :func:`propagate` (arrays of length N unless stated).

    Attributes
    ----------
    status : ndarray of int8
        :class:`Status` codes.
    end_epoch_utc_days : ndarray
        Epoch where the propagation stopped (stop altitude, stop epoch, or the hand-over with
        ``stop_at_handover``), UTC days since J2000.
    entry_epoch_utc_days : ndarray
        Epoch of the first downward crossing of ``entry_alt_km``; NaN if not reached.
    handover_epoch_utc_days : ndarray
        Hybrid method: epoch of the hand-over from mean elements to Cowell; NaN if none.
    end_state_eci : ndarray, shape (N, 6)
        ECI state at the end epoch, m and m/s (osculating).
    end_lat_deg, end_lon_deg, end_alt_km : ndarray
        Geodetic latitude, longitude (east, -180..180) and altitude of ``end_state_eci``
        above the WGS-84 ellipsoid, degrees and km.
    history_days : ndarray, shape (H,)
        Times of the altitude history, days after each sample's start epoch (or the
        ``history_origin_utc_days`` asked for).
    history_sma_alt_km : ndarray, shape (N, H)
        Semi-major axis minus R_e, km (mean elements in the mean phase, osculating in the
        Cowell phase), taken at the first integrator step ending at or after each history
        time; NaN after the stop.
    ephemeris_days : ndarray, shape (K,)
        Times of the ephemeris, days after each sample's start epoch (empty if none asked).
    ephemeris_state_eci : ndarray, shape (N, K, 6)
        Cowell method: the osculating ECI state (m, m/s) at each ephemeris time, from the
        integrator's 7th-order dense output along the one trajectory (no restarts); NaN after
        the stop.
    n_steps, n_rhs : ndarray of int64
        Integrator steps (mean-phase midpoint steps plus Cowell steps, rejected ones included)
        and Cowell right-hand-side evaluations.
    lifetime_days : ndarray
        End epoch minus start epoch for samples that reached the stop altitude, days; NaN
        for the others.
    backend : str
        The backend that ran (:func:`backend_for`): ``"compiled"``, ``"reference"`` or
        ``"reference-along-trajectory"``.
    """

    status: np.ndarray
    end_epoch_utc_days: np.ndarray
    entry_epoch_utc_days: np.ndarray
    handover_epoch_utc_days: np.ndarray
    end_state_eci: np.ndarray
    history_days: np.ndarray
    history_sma_alt_km: np.ndarray
    ephemeris_days: np.ndarray
    ephemeris_state_eci: np.ndarray
    n_steps: np.ndarray
    n_rhs: np.ndarray
    lifetime_days: np.ndarray
    backend: str = BACKEND

    @cached_property
    def _end_geodetic(self):
        return frames.eci_to_geodetic(self.end_state_eci[:, :3], self.end_epoch_utc_days)

    @property
    def end_lat_deg(self) -> np.ndarray:
        """Geodetic latitude of ``end_state_eci``, deg (computed on first use)."""
        return self._end_geodetic[0]

    @property
    def end_lon_deg(self) -> np.ndarray:
        """East longitude of ``end_state_eci``, deg, -180..180 (computed on first use)."""
        return self._end_geodetic[1]

    @property
    def end_alt_km(self) -> np.ndarray:
        """Altitude of ``end_state_eci`` above the WGS-84 ellipsoid, km (computed on first
        use)."""
        return self._end_geodetic[2]


def _per_sample(name, value, n, lo=-np.inf, hi=np.inf, lo_open=False, what=""):
    """Broadcast a scalar or (N,) input to contiguous float64 and check its range."""
    if isinstance(value, (float, int)) and not isinstance(value, bool):  # the common case
        v = float(value)
        if (v > lo if lo_open else v >= lo) and v <= hi and math.isfinite(v):
            return np.full(n, v)
    elif (type(value) is np.ndarray and value.dtype == np.float64 and value.shape == (n,)
          and value.flags.c_contiguous and n):  # the block's case: two reductions
        v_lo, v_hi = float(_MIN(value)), float(_MAX(value))   # NaN if any is NaN
        if ((v_lo > lo if lo_open else v_lo >= lo) and v_hi <= hi and math.isfinite(v_lo)
                and math.isfinite(v_hi)):
            return value
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiu" or arr.dtype.kind == "c":
        raise ValueError(f"{name}: expected real numbers, got dtype {arr.dtype}")
    if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] != n):
        raise ValueError(f"{name}: expected a scalar or shape ({n},), got shape {arr.shape}")
    arr = np.ascontiguousarray(np.broadcast_to(arr.astype(np.float64, copy=False), (n,)))
    bad = ~np.isfinite(arr) | (arr <= lo if lo_open else arr < lo) | (arr > hi)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        allowed = f"{'>' if lo_open else '>='} {lo} and <= {hi}" if np.isfinite(hi) else (
            f"finite and {'>' if lo_open else '>='} {lo}")
        raise ValueError(f"{name}[{i}] = {float(arr[i])!r}: allowed {what or allowed}")
    return arr


def propagate(
    epoch_utc_days,
    state_eci,
    bc_kg_m2,
    atmosphere,
    stop_epoch_utc_days,
    *,
    method: str = "hybrid",
    entry_alt_km: float = ENTRY_ALT_KM,
    stop_alt_km=None,
    handover_alt_km: float = HANDOVER_ALT_KM,
    stop_at_handover: bool = False,
    density_scale=1.0,
    rtol: float = 1e-9,
    zonal_degree: int = 4,
    altitude: str = "ellipsoid",
    history_days=None,
    history_origin_utc_days=None,
    mean_elements=None,
    mean_max_step_days: float = 1.0,
    space_weather: DailyIndices | None = None,
    ephemeris_days=None,
    density_model=None,
    burn: FiniteBurn | None = None,
) -> PropagationResult:
    """Propagate a block of N decaying orbits down to the stop altitude or the stop epoch.

    Parameters
    ----------
    epoch_utc_days : float or array_like, shape (N,)
        Start epoch of each sample, UTC days since J2000.
    state_eci : array_like, shape (N, 6), or None
        Osculating ECI state at the start epoch: position (m) and velocity (m/s). None when
        ``mean_elements`` is given instead.
    bc_kg_m2 : float or array_like, shape (N,)
        Ballistic coefficient m/(Cd A), kg/m^2, > 0.
    atmosphere : DensityTable, OrbitDensityTable, tuple of either, or MsisAlongTrajectory
        A fixed density profile (kg/m^3 against altitude, km); a density model's orbit
        table of the orbit's inclination driven day by day by ``space_weather``; a tuple of
        profiles, or of orbit tables, on the same axes (several density models, each
        sample's picked by ``density_model``); or the reference density mode,
        NRLMSISE-00 at every point of the trajectory with the same daily indices (always on
        the pure-Python backend, ~1000x slower; see :mod:`deorbit.atmosphere.reference`).
    stop_epoch_utc_days : float or array_like, shape (N,)
        Horizon or requested epoch (e.g. of a burn), UTC days since J2000, >= start epoch.
    method : {"hybrid", "cowell"}
        ``"cowell"`` integrates the Cartesian state throughout (DOP853). ``"hybrid"`` first
        integrates orbit-averaged mean elements (J2 secular rates, drag averaged over one
        orbit) with midpoint-rule steps of at most ``mean_max_step_days``, and hands over to Cowell
        when the lowest altitude of the mean orbit falls below ``handover_alt_km``; if the
        stop epoch comes first the returned state is the osculating state converted from the
        mean elements.
    entry_alt_km : float
        Entry-interface altitude whose crossing epoch is recorded, km (default
        :data:`ENTRY_ALT_KM`, 120).
    stop_alt_km : float or array_like, shape (N,), optional
        Altitude at which each sample stops (e.g. a sampled breakup altitude), km,
        0 <= stop_alt_km <= entry_alt_km. Default: ``entry_alt_km``.
    handover_alt_km : float
        Hybrid hand-over altitude, km, >= entry_alt_km + 10 (default :data:`HANDOVER_ALT_KM`,
        180); not used by Cowell.
    stop_at_handover : bool
        Hybrid method only: stop at the hand-over instead of flying on with Cowell (status
        HANDED_OVER, the end state the osculating state Cowell would start from; a sample
        whose mean orbit starts below ``handover_alt_km`` stops at its start epoch), e.g.
        to start an operation when the mean orbit's lowest altitude reaches an altitude.
        The hand-over is checked at the mean phase's steps (at most ``mean_max_step_days``
        and 2 km of decay apart).
    density_scale : float or array_like, shape (N,)
        Multiplier on the table density (>= 0; 0 switches drag off), e.g. a sampled
        density-model error.
    rtol : float
        Relative error tolerance of DOP853 (positions scaled by max(|r|, R_e), velocities by
        max(|v|, 1 km/s)), in [1e-14, 1e-3].
    zonal_degree : {0, 2, 3, 4}
        Highest zonal harmonic of the gravity field (0: point mass).
    altitude : {"ellipsoid", "sphere"}
        Altitude used by the density model and the events.
    history_days : array_like, shape (H,), optional
        Ascending times after the start epoch (or ``history_origin_utc_days``), days, at
        which to record the altitude history.
    history_origin_utc_days : float or array_like, shape (N,), optional
        The epoch ``history_days`` count from, UTC days since J2000 (default: the start
        epoch), e.g. a sample's first epoch when its flight is propagated piece by piece:
        history times before the start epoch then get the start value (the first state at
        or after them), so a caller joining the pieces keeps the earlier pieces' values.
    mean_elements : array_like, shape (N, 6), optional
        Start from mean elements instead of an osculating state (see
        :func:`mean_circular_elements`): semi-major axis (m), eccentricity vector (ex, ey)
        in the node frame, inclination, RAAN and mean argument of latitude (rad). The hybrid
        method integrates them directly; Cowell starts from the osculating state whose
        numerical orbit mean they are.
    mean_max_step_days : float
        Hybrid method: longest step of the mean-element phase, days, in [0.01, 100]
        (steps are also limited to 2 km of decay). With daily indices the steps end on UTC
        day boundaries and a step's drag sees the time-mean of the daily densities it
        spans, taken at its midpoint state; 8-day steps moved ISS-like lifetimes by at most
        0.06 % against 1-day steps (VALIDATION.md).
    space_weather : DailyIndices, optional
        Required with an ``OrbitDensityTable``: the daily indices, covering every day from
        each sample's start epoch to its stop epoch. Cowell steps end at UTC day
        boundaries, so each step sees one day's density.

    ephemeris_days : array_like, shape (K,), optional
        Ascending times after the start epoch, days, at which to return the state
        (``PropagationResult.ephemeris_state_eci``), method ``"cowell"`` only: the states
        come from the integrator's dense output, so asking for them does not change the
        trajectory. See :func:`trajectory` for absolute epochs.
    density_model : int or array_like of int, shape (N,), optional
        With a tuple ``atmosphere``: each sample's table, an index into the tuple
        (default 0, the first).
    burn : FiniteBurn, optional
        Method ``"cowell"``: a finite retrograde burn flown from the start epoch (each
        sample's own), then a coast to the stop epoch (at or after the burn's end): the
        orbit is flown leg by leg between the burn's impulses, each leg exactly as a
        propagation of its own from the leg's start; a leg that crosses the entry interface
        but ends above the stop altitude flies on to the stop altitude (at most a day). The
        result is the state after the burn and coast (status HORIZON) or at the stop
        altitude (ENTERED); ``entry_epoch_utc_days`` is the entry-interface crossing.

    Returns
    -------
    PropagationResult

    Raises
    ------
    ValueError
        Naming the argument, the offending value and the allowed range, for NaN or
        infinite inputs, a non-positive ballistic coefficient, a start below the stop
        altitude or below the surface (a state within half an Earth radius of the centre, or
        whose altitude is not finite, names the sample and its radius), a wrong shape or
        dtype.
    """
    _check_options(method, altitude, atmosphere, zonal_degree)
    name, state = _checked_state(state_eci, mean_elements)
    n = state.shape[0]
    epoch = _per_sample("epoch_utc_days", epoch_utc_days, n, -1e6, 1e6)
    stop_epoch = _per_sample("stop_epoch_utc_days", stop_epoch_utc_days, n, -1e6, 1e6)
    if np.any(stop_epoch < epoch):
        i = int(np.flatnonzero(stop_epoch < epoch)[0])
        raise ValueError(f"stop_epoch_utc_days[{i}] = {float(stop_epoch[i])!r}: allowed >= "
                         f"epoch_utc_days[{i}] = {float(epoch[i])!r}")
    bc = _per_sample("bc_kg_m2", bc_kg_m2, n, 0.0, 1e7, lo_open=True)
    scale = _per_sample("density_scale", density_scale, n, 0.0, 1e6)
    entry = float(_per_sample("entry_alt_km", entry_alt_km, 1, 0.0, 1000.0)[0])
    stop_alt = _per_sample("stop_alt_km", entry if stop_alt_km is None else stop_alt_km, n,
                           0.0, entry, what=f">= 0 and <= entry_alt_km = {entry}")
    handover = float(_per_sample("handover_alt_km", handover_alt_km, 1, entry + 10.0, 2000.0,
                                 what=f">= entry_alt_km + 10 = {entry + 10} and <= 2000")[0]
                     ) if method == "hybrid" else math.inf   # Cowell: not used
    rtol = float(_per_sample("rtol", rtol, 1, 1e-14, 1e-3)[0])
    max_step = float(_per_sample("mean_max_step_days", mean_max_step_days, 1, 0.01, 100.0)[0])
    _check_start_altitude(name, state, altitude, entry)
    hist = _times("history_days", history_days)
    hist_origin = epoch if history_origin_utc_days is None else _per_sample(
        "history_origin_utc_days", history_origin_utc_days, n, -1e6, 1e6)
    eph = _times("ephemeris_days", ephemeris_days)
    if stop_at_handover and method != "hybrid":
        raise ValueError(f"stop_at_handover: needs method = 'hybrid' (got {method!r}: only the "
                         "hybrid method hands over from mean elements to Cowell)")
    if eph.size and method != "cowell":
        raise ValueError("ephemeris_days: states along the trajectory need method = 'cowell' "
                         f"(got {method!r}: the mean-element phase has no osculating state "
                         "between its steps)")

    arc = _burn_arrays(burn, n, epoch, stop_epoch, method, eph.size)
    # a leg that ends inside the atmosphere flies on for up to a day: its days are read too
    reach = stop_epoch if burn is None else stop_epoch + 1.0
    density = _density_arrays(atmosphere, space_weather, epoch, reach, density_model)

    inputs = BlockInputs(
        start_epoch_days=epoch, state0=state, drag_m2_kg=1.0 / bc, density_scale=scale,
        stop_epoch_days=stop_epoch, stop_alt_km=stop_alt, entry_alt_km=entry,
        handover_alt_km=handover, hybrid=method == "hybrid",
        stop_at_handover=bool(stop_at_handover),
        mean_input=name == "mean_elements", mean_max_step_days=max_step, rtol=rtol,
        zonal_degree=int(zonal_degree), ellipsoid=altitude == "ellipsoid", history_days=hist,
        history_origin_days=hist_origin, ephemeris_days=eph)
    out = BlockOutputs.allocate(n, hist.size, eph.size)
    backend, module, extra = backend_for(atmosphere)
    module.propagate_block(**inputs._asdict(), **density._asdict(), **arc._asdict(),
                           **out._asdict(), **extra)
    return PropagationResult(
        status=out.status, end_epoch_utc_days=out.end_epoch_days,
        entry_epoch_utc_days=out.entry_epoch_days,
        handover_epoch_utc_days=out.handover_epoch_days, end_state_eci=out.end_state,
        history_days=hist,
        history_sma_alt_km=out.history_sma_alt_km, ephemeris_days=eph,
        ephemeris_state_eci=out.ephemeris_state, n_steps=out.n_steps, n_rhs=out.n_rhs,
        backend=backend, lifetime_days=np.where(out.status == _ENTERED,
                                                out.end_epoch_days - epoch, np.nan))


class FiniteBurn(NamedTuple):
    """A finite retrograde burn for :func:`propagate`, per sample: ``segments`` (>= 1)
    impulses of ``dv_m_s / segments`` at the middles of as many equal segments of
    ``duration_s`` (s, >= 0) from the start epoch, each along the then current -v turned
    by the execution errors (:func:`deorbit.operations.burn`: ``errors`` (N, 3) standard
    normal draws for the magnitude, the in-plane normal and the orbit normal; the 1-sigma
    ``dv_error_frac`` and ``pointing_error_deg``)."""

    segments: np.ndarray
    duration_s: np.ndarray
    dv_m_s: np.ndarray
    errors: np.ndarray
    dv_error_frac: float = 0.0
    pointing_error_deg: float = 0.0


class ArcArgs(NamedTuple):
    """``propagate_block``'s finite-burn arguments (see :class:`FiniteBurn`; no burn:
    ``arc_segments`` 0)."""

    arc_segments: np.ndarray
    arc_duration_s: np.ndarray
    arc_dv_m_s: np.ndarray
    arc_errors: np.ndarray
    arc_dv_error_frac: float
    arc_pointing_rad: float


def _burn_arrays(burn, n, epoch, stop_epoch, method, n_eph):
    """The kernel's ``arc_*`` arguments of ``burn`` (a :class:`FiniteBurn` or None)."""
    if burn is None:
        return ArcArgs(np.zeros(n, dtype=np.int64), np.zeros(n), np.zeros(n),
                       np.zeros((n, 3)), 0.0, 0.0)
    if not isinstance(burn, FiniteBurn):
        raise ValueError(f"burn: expected a FiniteBurn, got {type(burn).__name__}")
    if method != "cowell" or n_eph:
        raise ValueError("burn: a finite burn is flown with method = 'cowell' and no "
                         "ephemeris_days")
    seg = np.asarray(burn.segments)
    if seg.dtype.kind not in "iu" or seg.shape not in ((), (n,)) or np.any(seg < 1):
        raise ValueError(f"burn.segments: expected integers >= 1, one or {n}, got {seg!r}")
    dur = _per_sample("burn.duration_s", burn.duration_s, n, 0.0, 1e6)
    dv = _per_sample("burn.dv_m_s", burn.dv_m_s, n, -1e4, 1e4)
    err = np.ascontiguousarray(np.broadcast_to(np.asarray(burn.errors, dtype=np.float64),
                                               (n, 3)))
    if not np.all(np.isfinite(err)):
        raise ValueError("burn.errors: expected finite values")
    frac = float(_per_sample("burn.dv_error_frac", burn.dv_error_frac, 1, 0.0, 1.0)[0])
    pointing = float(_per_sample("burn.pointing_error_deg", burn.pointing_error_deg, 1, 0.0,
                                 90.0)[0])
    end = epoch + dur / SECONDS_PER_DAY
    if np.any(stop_epoch < end):
        i = int(np.flatnonzero(stop_epoch < end)[0])
        raise ValueError(f"stop_epoch_utc_days[{i}] = {float(stop_epoch[i])!r}: allowed >= "
                         f"the burn's end, {float(end[i])!r}")
    return ArcArgs(np.ascontiguousarray(np.broadcast_to(seg.astype(np.int64), (n,))), dur, dv,
                   err, frac, float(np.radians(pointing)))


def _check_options(method, altitude, atmosphere, zonal_degree):
    """The choices of :func:`propagate`: method, altitude convention, atmosphere, gravity."""
    if method not in _METHODS:
        raise ValueError(f"method = {method!r}: allowed {', '.join(map(repr, _METHODS))}")
    if altitude not in _ALTITUDES:
        raise ValueError(f"altitude = {altitude!r}: allowed {', '.join(map(repr, _ALTITUDES))}")
    tables = atmosphere if isinstance(atmosphere, tuple) else (atmosphere,)
    kinds = {type(t) for t in tables}
    if (not tables or len(kinds) != 1 or not issubclass(kinds.pop(), _TABLES)
            or (len(tables) > 1 and isinstance(tables[0], MsisAlongTrajectory))):
        raise ValueError("atmosphere: expected a DensityTable, an OrbitDensityTable, a tuple "
                         "of DensityTables or of OrbitDensityTables, or an "
                         f"MsisAlongTrajectory, got {_describe_atmosphere(atmosphere)}")
    if zonal_degree not in (0, 2, 3, 4):
        raise ValueError(f"zonal_degree = {zonal_degree!r}: allowed 0, 2, 3 or 4")


def _checked_state(state_eci, mean_elements):
    """(name, (N, 6) contiguous float64) of the one start given: finite values, and an
    eccentricity < 0.5 for mean elements."""
    if (state_eci is None) == (mean_elements is None):
        raise ValueError("give exactly one of state_eci and mean_elements")
    name = "state_eci" if mean_elements is None else "mean_elements"
    state = np.asarray(state_eci if mean_elements is None else mean_elements)
    if state.dtype.kind not in "fiu":
        raise ValueError(f"{name}: expected real numbers, got dtype {state.dtype}")
    if state.ndim == 1:
        state = state[None, :]
    if state.ndim != 2 or state.shape[1] != 6:
        raise ValueError(f"{name}: expected shape (N, 6), got {np.shape(state)}")
    state = np.ascontiguousarray(state, dtype=np.float64)
    if not math.isfinite(float(np.add.reduce(state, axis=None))) and not np.all(
            np.isfinite(state)):  # (a finite sum: every value finite)
        i, j = np.argwhere(~np.isfinite(state))[0]
        raise ValueError(f"{name}[{i}, {j}] = {float(state[i, j])!r}: allowed finite values")
    if mean_elements is not None:
        ecc = np.hypot(state[:, 1], state[:, 2])
        if np.any(ecc >= 0.5):
            i = int(np.flatnonzero(ecc >= 0.5)[0])
            raise ValueError(f"mean_elements[{i}]: eccentricity {ecc[i]:.3g}; allowed < 0.5")
    return name, state


def _check_start_altitude(name, state, altitude, entry):
    """Every start above the entry interface (and a state not near the Earth's centre)."""
    if name == "state_eci":
        radius_km = np.linalg.norm(state[:, :3], axis=1) * 1e-3
        inside = radius_km < _MIN_RADIUS_KM
        if inside.any():
            i = int(np.flatnonzero(inside)[0])
            raise ValueError(f"state_eci[{i}]: radius {radius_km[i]:.3f} km; allowed a radius "
                             f">= {_MIN_RADIUS_KM:.3f} km (half the equatorial radius)")
        if altitude == "sphere":
            start_alt = frames.altitude_km(state[:, :3], ellipsoid=False)
        else:  # h >= |r| - a: only rows near the interface need Bowring's iteration
            start_alt = radius_km - EARTH_RADIUS_M * 1e-3
            near = start_alt <= entry + 1.0
            if near.any():
                start_alt[near] = frames.altitude_km(state[near, :3], ellipsoid=True)
    else:  # perigee radius of the mean orbit above the equatorial radius
        ecc = np.hypot(state[:, 1], state[:, 2])
        start_alt = (state[:, 0] * (1.0 - ecc) - EARTH_RADIUS_M) * 1e-3
    if not np.all(np.isfinite(start_alt)):
        i = int(np.flatnonzero(~np.isfinite(start_alt))[0])
        raise ValueError(f"{name}[{i}]: start altitude {start_alt[i]!r} km; allowed a finite "
                         "altitude")
    below = start_alt <= entry
    if below.any():
        i = int(np.flatnonzero(below)[0])
        raise ValueError(f"{name}[{i}]: start altitude {start_alt[i]:.3f} km is at or below "
                         f"entry_alt_km = {entry} km; allowed: above it")


def trajectory(epoch_utc_days, state_eci, epochs_utc_days, bc_kg_m2, atmosphere,
               **options) -> PropagationResult:
    """The states of one Cowell trajectory (or of N from the same start epoch) at the
    requested epochs: an ephemeris to compare with tracking data, with no restarts.

    Parameters
    ----------
    epoch_utc_days : float
        Start epoch, UTC days since J2000.
    state_eci : array_like, shape (6,) or (N, 6)
        State at the start epoch in the kernel's inertial frame, m and m/s
        (:func:`deorbit.frames.to_kernel_frame` brings tracking data into it).
    epochs_utc_days : array_like, shape (K,)
        Ascending epochs >= the start epoch, UTC days since J2000; the propagation stops at
        the last (or at the stop altitude).
    bc_kg_m2 : float or array_like, shape (N,)
        Ballistic coefficient m/(Cd A), kg/m^2.
    atmosphere : DensityTable, OrbitDensityTable or MsisAlongTrajectory
        As :func:`propagate` (with ``space_weather=`` for a table driven by daily indices:
        :func:`deorbit.solar.observed_daily_indices` gives the record's).
    **options
        Any other keyword argument of :func:`propagate` but ``method`` (always ``"cowell"``)
        and ``ephemeris_days``.

    Returns
    -------
    PropagationResult
        ``ephemeris_state_eci[i, k]`` is sample i's state at ``epochs_utc_days[k]`` (NaN
        after its stop).
    """
    start = float(_per_sample("epoch_utc_days", epoch_utc_days, 1, -1e6, 1e6)[0])
    epochs = np.asarray(epochs_utc_days, dtype=np.float64)
    if (epochs.ndim != 1 or epochs.size == 0 or not np.all(np.isfinite(epochs))
            or np.any(np.diff(epochs) < 0) or epochs[0] < start):
        raise ValueError(f"epochs_utc_days: expected a 1-D ascending array of finite epochs "
                         f">= epoch_utc_days = {start!r}, got {np.array2string(epochs[:5])}"
                         f"{' ...' if epochs.size > 5 else ''} (shape {epochs.shape})")
    return propagate(start, state_eci, bc_kg_m2, atmosphere, float(epochs[-1]),
                     method="cowell", ephemeris_days=epochs - start, **options)


def _times(name, days):
    """A 1-D ascending contiguous float64 array of finite times >= 0 (days), empty if None."""
    if days is None:
        return _NO_TIMES
    t = np.asarray(days, dtype=np.float64)
    if t.ndim != 1 or not np.all(np.isfinite(t)) or np.any(np.diff(t) < 0) or (
            t.size and t[0] < 0):
        raise ValueError(f"{name}: expected a 1-D ascending array of finite times >= 0 days")
    return np.ascontiguousarray(t)


def _describe_atmosphere(atmosphere):
    """The type of an atmosphere argument, for messages (a tuple's element types too)."""
    if isinstance(atmosphere, tuple):
        kinds = ", ".join(sorted({type(t).__name__ for t in atmosphere}))
        return f"a tuple of {kinds or 'nothing'}"
    return type(atmosphere).__name__


def _density_arrays(atmosphere, space_weather, epoch, stop_epoch,
                    density_model=None) -> DensityArgs:
    """The kernel's density arguments: tables, axes, each sample's table, season, daily
    rows, each sample's row and day offsets."""
    n = epoch.size
    tables = atmosphere if isinstance(atmosphere, tuple) else (atmosphere,)
    row = _table_rows(density_model, len(tables), n)
    one = np.zeros(1)
    first = tables[0]
    if isinstance(first, DensityTable):
        if space_weather is not None:
            raise ValueError("space_weather: only used with an OrbitDensityTable atmosphere")
        _same_axes(tables, ("alt_km",))
        return DensityArgs(first.alt_km, _stacked(tables, "log_rho"), row, one, one, one,
                           np.zeros((len(tables), 0)), np.zeros(0), 365.25, np.zeros((1, 1, 4)),
                           np.zeros(n, dtype=np.int64), epoch)
    if not isinstance(space_weather, DailyIndices):
        raise ValueError(f"space_weather: an {type(first).__name__} needs DailyIndices")
    sw = space_weather
    start = _per_sample("space_weather.first_day_utc_days", sw.first_day_utc_days, n,
                        -1e6, 1e6)
    daily, rows = sw.packed()
    if rows.shape[0] != n:
        raise ValueError(f"space_weather: {rows.shape[0]} samples' indices for {n} samples")
    days = daily.shape[1]
    covered = days if sw.held_to_days is None else max(days, int(sw.held_to_days))
    offset = epoch - start
    short = (offset < 0) | (stop_epoch - start > covered)
    if short.any():
        i = int(np.flatnonzero(short)[0])
        raise ValueError(f"space_weather: sample {i} runs from {epoch[i]!r} to "
                         f"{stop_epoch[i]!r} but its {covered} days start at {start[i]!r}")
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    if isinstance(first, MsisAlongTrajectory):  # no table: the reference backend's model
        return DensityArgs(np.zeros(0), np.zeros((1, 0)), row, *(np.zeros(0),) * 3,
                           np.zeros((1, 0)), np.zeros(0), 365.25, daily, rows,
                           np.ascontiguousarray(start))
    _same_axes(tables, ("alt_km", "f107a_sfu", "df_sfu", "ap", "season_day",
                        "season_period_days"))
    if first.season_log is None:
        season, nodes = np.zeros((len(tables), 0)), np.zeros(0)
    else:
        season = _stacked(tables, "season_log")
        nodes = np.concatenate([[first.season_day[-1] - first.season_period_days],
                                first.season_day,
                                [first.season_day[0] + first.season_period_days]])
    return DensityArgs(np.ascontiguousarray(first.alt_km, dtype=np.float64),
                       _stacked(tables, "log_rho"), row,
                       *(np.ascontiguousarray(a, dtype=np.float64)
                         for a in (first.f107a_sfu, first.df_sfu, first.ap)),
                       season, np.ascontiguousarray(nodes, dtype=np.float64),
                       float(first.season_period_days), daily, rows,
                       np.ascontiguousarray(start))


def _table_rows(density_model, n_tables, n):
    """Each sample's table: ``density_model`` (default 0) as contiguous int64, checked."""
    if density_model is None:
        return np.zeros(n, dtype=np.int64)
    arr = np.asarray(density_model)
    if arr.dtype.kind not in "iu" and not (arr.dtype.kind == "f"
                                          and np.all(np.isfinite(arr) & (arr == np.round(arr)))):
        raise ValueError(f"density_model: expected integer table indices, got {arr!r}")
    if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] != n):
        raise ValueError(f"density_model: expected a scalar or shape ({n},), got shape "
                         f"{arr.shape}")
    row = np.ascontiguousarray(np.broadcast_to(arr, (n,)), dtype=np.int64)
    bad = (row < 0) | (row >= n_tables)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"density_model[{i}] = {int(row[i])}: allowed 0 ... {n_tables - 1} "
                         f"(an index into the {n_tables} tables of atmosphere)")
    return row


def _same_axes(tables, names):
    """The tables of one call share their axes (the kernel interpolates them alike)."""
    for k, t in enumerate(tables[1:], start=1):
        for name in names:
            a, b = getattr(tables[0], name), getattr(t, name)
            if (a is None) != (b is None) or (a is not None and not np.array_equal(a, b)):
                raise ValueError(f"atmosphere[{k}].{name}: differs from atmosphere[0]'s; the "
                                 "tables of one call must share their axes")


def _stacked(tables, name):
    """(n_tables, size) contiguous float64: each table's array ``name``, flattened. One
    table: a view of its array (no copy on the hot path). Several: stacked once per tuple
    of tables (:data:`_STACKS`: the engine flies a block's calls with one tuple)."""
    if len(tables) == 1:
        return np.ascontiguousarray(getattr(tables[0], name), dtype=np.float64).reshape(1, -1)
    key = (name, *map(id, tables))
    with _STACKS_LOCK:   # a Dask worker may run blocks in threads
        hit = _STACKS.get(key)
        if hit is None or any(a is not b for a, b in zip(hit[0], tables)):
            hit = (tables, np.ascontiguousarray(np.stack(
                [np.asarray(getattr(t, name), dtype=np.float64).ravel() for t in tables])))
            _STACKS[key] = hit
            while len(_STACKS) > _STACKS_MAX:
                _STACKS.pop(next(iter(_STACKS)))
    return hit[1]


#: Stacked arrays of recent tuples of tables, by (array name, the tables' ids); the tables
#: are kept beside them, so an id is never reused while its entry lives.
_STACKS: dict = {}
_STACKS_MAX = 8
_STACKS_LOCK = threading.Lock()


def circular_state(alt_km, inc_deg, raan_deg=0.0, arg_lat_deg=0.0):
    """ECI state (m, m/s) of a circular Keplerian orbit at radius R_e + alt_km.

    Vectorised over its arguments; returns shape (..., 6).
    """
    alt, inc, raan, u = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (
        alt_km, np.radians(inc_deg), np.radians(raan_deg), np.radians(arg_lat_deg))))
    r = EARTH_RADIUS_M + alt * 1e3
    v = np.sqrt(MU_M3_S2 / r)
    cu, su = np.cos(u), np.sin(u)
    n_hat, m_hat, _ = orbits.node_frame(inc, raan)
    pos = r[..., None] * (cu[..., None] * n_hat + su[..., None] * m_hat)
    vel = v[..., None] * (-su[..., None] * n_hat + cu[..., None] * m_hat)
    return np.concatenate([pos, vel], -1)


def mean_circular_elements(alt_km, inc_deg, raan_deg=0.0, arg_lat_deg=0.0):
    """Mean elements (see :func:`propagate`) of a circular orbit with a = R_e + alt_km.

    ``alt_km`` is the mean semi-major axis minus the equatorial radius, the "mean altitude"
    of decay plots. Vectorised over its arguments; returns shape (..., 6).
    """
    alt, inc, raan, u = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (
        alt_km, np.radians(inc_deg), np.radians(raan_deg), np.radians(arg_lat_deg))))
    zero = np.zeros_like(alt)
    return np.stack([EARTH_RADIUS_M + alt * 1e3, zero, zero, inc, raan, u], axis=-1)
