"""Ballistic-coefficient estimation from tracking data, with deorbit's own density model.

A ballistic coefficient m/(Cd A) belongs to the density model it was fitted with: NASA's
ephemeris headers carry the BC of NASA's model, and deorbit decays 2.5 % (Feb 2022) to 15 %
(Feb 2025) too fast with it. These functions fit the BC that deorbit's NRLMSISE-00 orbit
table, driven by the observed daily space weather, needs to follow a tracking arc.

Two methods, one per kind of data:

States (an OEM arc: many precise states of one object)
    Least squares on positions (Gauss-Newton): the initial state (6 parameters) and ln BC
    (or ln density scale with the BC held) so that one Cowell trajectory
    (:func:`deorbit.trajectory`) passes through the arc's positions. The Jacobian comes from
    finite differences flown as one block of 8 samples. The 1-sigma is the larger of the
    formal one (residual variance times (J^T J)^-1, which ignores that the residuals are
    correlated model errors) and the standard error of the BCs fitted on independent
    sub-arcs of about two days (at least three). Residuals are given in the radial /
    in-track / cross-track frame of the tracking state.
Element sets (a TLE/OMM series: one noisy state a day or so)
    The decay of the mean semi-major axis between element sets (Saunders, Swinerd & Lewis
    2012, "Deriving accurate satellite ballistic coefficients from two-line element data",
    J. Spacecraft Rockets 49(1), 175-184; the same principle as Gondelach et al. 2017): for
    each pair of sets at least ``min_gap_days`` apart, propagate SGP4's state at the first
    epoch to the second and solve for the BC whose drop of the mean semi-major axis equals
    the drop between the two sets' own states. Both sides use deorbit's one mean (the
    semi-major axis averaged over one drag-free orbit), so the definition of SGP4's mean
    elements never enters, and the short-period noise of a single set is divided by a drop
    of hundreds of metres to kilometres. The pairs' BCs are combined with weights
    proportional to the squared drop (their errors scale as 1/drop); the 1-sigma is the
    weighted scatter between pairs over sqrt(pairs).

States must be in the kernel's frame (:func:`deorbit.frames.to_kernel_frame`); epochs are
UTC days since J2000.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from .. import orbits
from ..atmosphere import load_msis_table
from ..atmosphere.models import DEFAULT_MODEL
from ..atmosphere.models import density_model as _registry_entry
from ..constants import EARTH_RADIUS_M
from ..kernel import DailyIndices, Status, propagate, trajectory
from ..solar import observed_daily_indices

__all__ = ["BCFit", "fit_element_sets", "fit_states", "fit_tracking", "mean_sma_m",
           "decay_m", "rtn_components_m"]

#: Cowell tolerance of the fits (positions good to ~1 m over two weeks at 420 km).
FIT_RTOL = 1e-10
#: Finite-difference steps of the state fit: position (m), velocity (m/s), ln BC or ln scale.
_FD_STEPS = (10.0, 10.0, 10.0, 0.01, 0.01, 0.01, 1e-3)
#: Length of the sub-arcs whose independent fits give the state fit's scatter, days (at
#: least three sub-arcs, each at least MIN_SUBARC_DAYS long).
SUBARC_DAYS = 2.0
MIN_SUBARC_DAYS = 0.5


def _density_model(model):
    """What a BC fitted with ``model`` belongs to (recorded with every result)."""
    return (f"{_registry_entry(model).display_name} orbit table (deorbit package data), "
            "observed daily indices")


@dataclass(frozen=True)
class BCFit:
    """A fitted ballistic coefficient and how well the fitted trajectory follows the data.

    Attributes
    ----------
    bc_kg_m2, bc_sigma_kg_m2 : float
        Fitted m/(Cd A) and its 1-sigma, kg/m^2 (with ``fitted = "density_scale"``: the
        BC held fixed and 0).
    density_scale, density_scale_sigma : float
        Fitted multiplier on the table density and its 1-sigma (1 and 0 unless fitted).
    fitted : str
        ``"bc"`` or ``"density_scale"``.
    method : str
        ``"states"`` (positions of an ephemeris) or ``"sma-decay"`` (element-set pairs).
    n_observations : int
        States (or element-set pairs) used.
    start_epoch_utc_days, end_epoch_utc_days : float
        The fitted span, UTC days since J2000.
    inclination_deg : float
        Inclination of the orbit table used.
    rms_position_m : float
        States: RMS of the 3-D position residuals after the fit, m (NaN for element sets).
    max_in_track_m : float
        States: largest in-track residual, m (NaN for element sets).
    decay_residual : float
        Relative error of the fitted trajectory's decay over the span: (model drop of the
        mean semi-major axis) / (the data's drop) - 1.
    decay_m_per_day : float
        The data's drop of the mean semi-major axis over the span, m/day.
    bc_formal_sigma_kg_m2, bc_scatter_sigma_kg_m2 : float
        The two estimates behind ``bc_sigma_kg_m2`` (see the module docstring); NaN where
        not available.
    subarc_bc_kg_m2 : tuple of float
        States: the sub-arcs' BCs; element sets: each pair's BC.
    initial_state_m : tuple of float
        States: the fitted initial state in the kernel frame, m and m/s.
    density_model : str
        What the BC belongs to.
    source : str
        The data (file name) or ``"<arrays>"``.
    """

    bc_kg_m2: float
    bc_sigma_kg_m2: float
    density_scale: float
    density_scale_sigma: float
    fitted: str
    method: str
    n_observations: int
    start_epoch_utc_days: float
    end_epoch_utc_days: float
    inclination_deg: float
    rms_position_m: float
    max_in_track_m: float
    decay_residual: float
    decay_m_per_day: float
    bc_formal_sigma_kg_m2: float
    bc_scatter_sigma_kg_m2: float
    subarc_bc_kg_m2: tuple = ()
    initial_state_m: tuple = ()
    density_model: str = _density_model(DEFAULT_MODEL)
    source: str = "<arrays>"
    residuals: dict = field(default_factory=dict, repr=False, compare=False)

    def to_dict(self) -> dict:
        """The result as plain JSON-ready values (residual arrays as lists)."""
        out = asdict(self)
        out["residuals"] = {k: np.asarray(v).tolist() for k, v in self.residuals.items()}
        out["subarc_bc_kg_m2"] = list(self.subarc_bc_kg_m2)
        out["initial_state_m"] = list(self.initial_state_m)
        return out

    def toml_snippet(self) -> str:
        """A ``[vehicle]`` section with the fit as a log-normal distribution."""
        from ..time import datetime_from_epoch

        sigma_ln = self.bc_sigma_kg_m2 / self.bc_kg_m2
        span = " to ".join(datetime_from_epoch(t).strftime("%Y-%m-%d")
                           for t in (self.start_epoch_utc_days, self.end_epoch_utc_days))
        return (f"[vehicle]\n# fitted by deorbit fit-bc ({self.method}) on {self.source}, "
                f"{span}: decay residual {self.decay_residual:+.2%}\n"
                f"# the BC belongs to {self.density_model}\n"
                f"ballistic_coefficient_kg_m2 = {{ dist = \"lognormal\", median = "
                f"{self.bc_kg_m2:.4g}, sigma = {sigma_ln:.3g} }}\n")


def _arc(name, epochs_utc_days, states_m, minimum):
    """Epochs (K,) and states (K, 6) as float64, checked: K >= minimum, strictly ascending."""
    epochs = np.asarray(epochs_utc_days, dtype=np.float64)
    states = np.asarray(states_m, dtype=np.float64)
    if epochs.ndim != 1 or states.shape != (epochs.size, 6) or epochs.size < minimum:
        raise ValueError(f"{name}: expected K >= {minimum} epochs and (K, 6) states, got "
                         f"{epochs.shape} and {states.shape}")
    if np.any(np.diff(epochs) <= 0):
        raise ValueError(f"{name}: epochs must be strictly ascending (one state per epoch)")
    return epochs, states


def _table(model, inc_deg):
    """The orbit table of a packaged density model
    (:data:`~deorbit.atmosphere.models.DENSITY_MODELS`)."""
    return load_msis_table(model=model).orbit(inc_deg)


def _space_weather(start, stop, n, space_weather):
    return observed_daily_indices(start, stop, n, space_weather=space_weather)


def _inclination_deg(state):
    return float(np.degrees(orbits.plane_angles(np.reshape(state, (1, 6)))[0][0]))


def mean_sma_m(epochs_utc_days, states_m, table, space_weather: DailyIndices):
    """deorbit's mean semi-major axis of osculating states: a averaged over one drag-free
    orbit of the kernel's gravity field (the hybrid method's mean element), m.

    ``space_weather`` must have one row per state (only its coverage is checked: the mean is
    taken without drag)."""
    res = propagate(epochs_utc_days, states_m, 100.0, table, epochs_utc_days, method="hybrid",
                    history_days=[0.0], space_weather=space_weather)
    return res.history_sma_alt_km[:, 0] * 1e3 + EARTH_RADIUS_M


def rtn_components_m(reference_state_m, position_m):
    """Radial, in-track and cross-track components (m) of ``position_m - reference`` in
    the frame of each reference state (N, 6); returns (N, 3)."""
    ref = np.atleast_2d(np.asarray(reference_state_m, dtype=np.float64))
    d = np.atleast_2d(np.asarray(position_m, dtype=np.float64)) - ref[:, :3]
    return np.einsum("nij,nj->ni", orbits.rtn_basis(ref), d)


def _fly(p, state0, epochs, bc_kg_m2, scale, fitted, table, sw):
    """Positions (S, K, 3) of the S parameter vectors p (S, 7) at the epochs."""
    s = p.shape[0]
    states = state0[None, :] + p[:, :6]
    bc = np.exp(p[:, 6]) if fitted == "bc" else np.full(s, bc_kg_m2)
    dens = np.exp(p[:, 6]) if fitted == "density_scale" else np.full(s, scale)
    res = trajectory(epochs[0], states, epochs, bc, table, density_scale=dens,
                     space_weather=sw.take(np.arange(s)),
                     rtol=FIT_RTOL)
    if np.any(res.status != Status.HORIZON):
        raise ValueError("the fitted trajectory reached the entry interface before the last "
                         "epoch: fit an arc above 120 km")
    return res.ephemeris_state_eci


def _gauss_newton(state0, epochs, obs, p0, bc_kg_m2, scale, fitted, table, sw, max_iter=15):
    """Least-squares parameters (7,), final model states (K, 6), residuals (K*3,), J."""
    steps = np.array(_FD_STEPS)
    p = p0.copy()
    for _ in range(max_iter):
        trial = np.vstack([p, p + np.diag(steps)])
        out = _fly(trial, state0, epochs, bc_kg_m2, scale, fitted, table, sw)
        pos = out[:, :, :3]
        r = (pos[0] - obs[:, :3]).ravel()
        jac = ((pos[1:] - pos[0]).reshape(7, -1) / steps[:, None]).T
        dp = np.linalg.lstsq(jac, -r, rcond=None)[0]
        p = p + dp
        if np.all(np.abs(dp) < steps * 1e-3):
            break
    final = _fly(p[None, :], state0, epochs, bc_kg_m2, scale, fitted, table, sw)[0]
    r = (final[:, :3] - obs[:, :3]).ravel()
    return p, final, r, jac


def fit_states(epochs_utc_days, states_m, *, fitted="bc", bc_kg_m2=100.0, density_scale=1.0,
               inclination_deg=None, space_weather=None, source="<arrays>",
               model=DEFAULT_MODEL) -> BCFit:
    """Fit the BC (or a density scale) to an arc of precise states of one object.

    Parameters
    ----------
    epochs_utc_days : array_like, shape (K,)
        Ascending epochs, UTC days since J2000 (a day or more, with no manoeuvre inside).
    states_m : array_like, shape (K, 6)
        States in the kernel frame, m and m/s.
    fitted : {"bc", "density_scale"}
        Fit ln BC (``density_scale`` held), or ln density scale (``bc_kg_m2`` held, e.g. a
        header BC whose density model is being calibrated).
    bc_kg_m2, density_scale : float
        Starting value (or held value) of each.
    inclination_deg : float, optional
        Orbit table inclination; default: the first state's.
    space_weather : deorbit.spaceweather.SpaceWeather, optional
        The record (default: the packaged file).

    Returns
    -------
    BCFit
        With ``residuals`` = {"days": (K,), "rtn_m": (K, 3) radial/in-track/cross-track}.
    """
    if fitted not in ("bc", "density_scale"):
        raise ValueError(f"fitted = {fitted!r}: allowed 'bc' or 'density_scale'")
    epochs, obs = _arc("fit_states", epochs_utc_days, states_m, 10)
    inc = _inclination_deg(obs[0]) if inclination_deg is None else float(inclination_deg)
    table = _table(model, inc)
    sw8 = _space_weather(epochs[0], epochs[-1], 8, space_weather)
    held = bc_kg_m2 if fitted == "density_scale" else density_scale
    p0 = np.zeros(7)
    p0[6] = np.log(bc_kg_m2 if fitted == "bc" else density_scale)
    p, fitted_states, r, jac = _gauss_newton(obs[0], epochs, obs, p0, bc_kg_m2,
                                             density_scale, fitted, table, sw8)
    value = float(np.exp(p[6]))
    dof = max(r.size - 7, 1)
    cov = np.linalg.pinv(jac.T @ jac) * float(r @ r) / dof
    formal = value * float(np.sqrt(cov[6, 6]))
    subs = _subarc_values(epochs, obs, p0, bc_kg_m2, density_scale, fitted, table, sw8)
    scatter = (value * float(np.std(np.log(subs), ddof=1)) / np.sqrt(len(subs))
               if len(subs) >= 3 else np.nan)
    sigma = float(np.nanmax([formal, scatter]))
    rtn = rtn_components_m(obs, fitted_states[:, :3])
    sw_all = _space_weather(epochs[0], epochs[-1], epochs.size, space_weather)
    decay_obs = decay_m(epochs, mean_sma_m(epochs, obs, table, sw_all))
    decay_mod = decay_m(epochs, mean_sma_m(epochs, fitted_states, table, sw_all))
    bc = value if fitted == "bc" else float(bc_kg_m2)
    return BCFit(
        bc_kg_m2=bc, bc_sigma_kg_m2=sigma if fitted == "bc" else 0.0,
        density_scale=value if fitted == "density_scale" else float(held),
        density_scale_sigma=sigma if fitted == "density_scale" else 0.0,
        fitted=fitted, method="states", n_observations=int(epochs.size),
        start_epoch_utc_days=float(epochs[0]), end_epoch_utc_days=float(epochs[-1]),
        inclination_deg=inc, rms_position_m=float(np.sqrt(np.mean(np.sum(
            (fitted_states[:, :3] - obs[:, :3]) ** 2, axis=-1)))),
        max_in_track_m=float(np.max(np.abs(rtn[:, 1]))),
        decay_residual=float(decay_mod / decay_obs - 1.0),
        decay_m_per_day=float(decay_obs / (epochs[-1] - epochs[0])),
        bc_formal_sigma_kg_m2=formal, bc_scatter_sigma_kg_m2=scatter,
        subarc_bc_kg_m2=tuple(float(v) for v in subs),
        initial_state_m=tuple(float(v) for v in fitted_states[0]), source=source,
        density_model=_density_model(model),
        residuals={"days": epochs - epochs[0], "rtn_m": rtn})


def decay_m(epochs, sma_m):
    """Drop of the mean semi-major axis over the span, m, from a straight-line fit (which
    averages out the short-period terms that a one-orbit mean leaves)."""
    slope = np.polyfit(epochs - epochs[0], sma_m, 1)[0]
    return -slope * (epochs[-1] - epochs[0])


def _subarc_values(epochs, obs, p0, bc_kg_m2, scale, fitted, table, sw8):
    """The fitted value of each independent sub-arc: about SUBARC_DAYS long, at least
    three of them; none if the arc is shorter than three MIN_SUBARC_DAYS."""
    span = epochs[-1] - epochs[0]
    if span < 3 * MIN_SUBARC_DAYS:
        return []
    n_sub = max(3, int(span // SUBARC_DAYS))
    edges = epochs[0] + (epochs[-1] - epochs[0]) * np.arange(n_sub + 1) / n_sub
    out = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = (epochs >= lo) & (epochs <= hi)
        if sel.sum() < 10:
            continue
        p = _gauss_newton(obs[sel][0], epochs[sel], obs[sel], p0, bc_kg_m2, scale, fitted,
                          table, sw8)[0]
        out.append(float(np.exp(p[6])))
    return out


def fit_element_sets(epochs_utc_days, states_m, *, min_gap_days=1.0, bc_kg_m2=100.0,
                     inclination_deg=None, space_weather=None, source="<arrays>",
                     model=DEFAULT_MODEL) -> BCFit:
    """Fit the BC to a series of element sets of one object by the decay of the mean
    semi-major axis between pairs of sets (see the module docstring).

    Parameters
    ----------
    epochs_utc_days : array_like, shape (K,)
        Ascending epochs of the sets, UTC days since J2000.
    states_m : array_like, shape (K, 6)
        Each set's state at its epoch in the kernel frame (SGP4's TEME state), m, m/s.
    min_gap_days : float
        Shortest time between the two sets of a pair; pairs are consecutive sets at least
        this far apart, each set used once as a start.
    bc_kg_m2 : float
        Starting value of the iteration.

    Returns
    -------
    BCFit
        ``residuals`` = {"start_days", "end_days": (P,) pair epochs after the first set,
        "decay_m": (P,) the data's drop of each pair, "model_decay_m": (P,) the fitted
        BC's drop}.
    """
    epochs, states = _arc("fit_element_sets", epochs_utc_days, states_m, 2)
    pairs = []
    i = 0
    for j in range(1, epochs.size):
        if epochs[j] - epochs[i] >= min_gap_days:
            pairs.append((i, j))
            i = j
    if not pairs:
        raise ValueError(f"fit_element_sets: no two sets are {min_gap_days} days apart")
    a, b = np.array(pairs).T
    inc = (float(np.median([_inclination_deg(s) for s in states]))
           if inclination_deg is None else float(inclination_deg))
    table = _table(model, inc)
    sw_sets = _space_weather(epochs[0], epochs[-1], epochs.size, space_weather)
    sma = mean_sma_m(epochs, states, table, sw_sets)
    drop = sma[a] - sma[b]
    sw = sw_sets.take(a)
    bc = np.full(a.size, float(bc_kg_m2))
    for _ in range(20):  # the drop is nearly proportional to 1/BC: fixed-point on it
        modelled = _pair_drop(epochs, states, sma, a, b, bc, table, sw)
        # a sample that came down before the second set needs a larger BC: double it
        ratio = np.where(np.isnan(modelled), 2.0, np.where(
            (modelled > 0) & (drop > 0), modelled / np.where(drop > 0, drop, 1.0), 1.0))
        bc = bc * ratio
        if np.all(np.abs(ratio - 1.0) < 1e-6):
            break
    good = drop > 0
    w = drop[good] ** 2
    ln_bc = np.log(bc[good])
    mean_ln = float(np.sum(w * ln_bc) / np.sum(w))
    value = float(np.exp(mean_ln))
    scatter = (value * float(np.sqrt(np.sum(w * (ln_bc - mean_ln) ** 2) / np.sum(w)
                                     / max(good.sum() - 1, 1)))
               if good.sum() >= 2 else np.nan)
    final = _pair_drop(epochs, states, sma, a, b, np.full(a.size, value), table, sw)
    total_obs = float(np.sum(drop))
    return BCFit(
        bc_kg_m2=value, bc_sigma_kg_m2=scatter, density_scale=1.0, density_scale_sigma=0.0,
        fitted="bc", method="sma-decay", n_observations=int(a.size),
        start_epoch_utc_days=float(epochs[a[0]]), end_epoch_utc_days=float(epochs[b[-1]]),
        inclination_deg=inc, rms_position_m=np.nan, max_in_track_m=np.nan,
        decay_residual=float(np.sum(final) / total_obs - 1.0),
        decay_m_per_day=float(total_obs / (epochs[b[-1]] - epochs[a[0]])),
        bc_formal_sigma_kg_m2=np.nan, bc_scatter_sigma_kg_m2=scatter,
        subarc_bc_kg_m2=tuple(float(v) for v in bc), source=source,
        density_model=_density_model(model),
        residuals={"start_days": epochs[a] - epochs[0], "end_days": epochs[b] - epochs[0],
                   "decay_m": drop, "model_decay_m": final})


def _pair_drop(epochs, states, sma, a, b, bc, table, sw):
    """Model drop of the mean semi-major axis from set a to set b of each pair, m (NaN
    where the propagation came down before set b)."""
    res = propagate(epochs[a], states[a], bc, table, epochs[b], method="hybrid",
                    space_weather=sw, mean_max_step_days=0.25)
    ok = res.status == Status.HORIZON
    end = np.where(ok[:, None], res.end_state_eci, states[b])
    return np.where(ok, sma[a] - mean_sma_m(epochs[b], end, table, sw), np.nan)


def fit_tracking(data, *, fitted="bc", bc_kg_m2=None, since_utc_days=None,
                 until_utc_days=None, min_gap_days=1.0, model=DEFAULT_MODEL) -> BCFit:
    """Fit the BC to what :func:`deorbit.tracking.read_tracking` returned.

    An OEM (tuple of :class:`~deorbit.tracking.Ephemeris`, one segment used: the longest)
    is fitted by :func:`fit_states` after conversion from its frame into the kernel's; an
    element-set series by :func:`fit_element_sets` (SGP4's TEME states). ``bc_kg_m2``
    defaults to the file's header BC where it has one (OEM), else 100 kg/m^2.
    ``since_utc_days`` / ``until_utc_days`` (UTC days since J2000) keep the data between
    them, e.g. to stop before a manoeuvre. ``model``: the packaged density table the BC
    is fitted for (:data:`~deorbit.atmosphere.models.DENSITY_MODELS`).
    """
    from ..frames import to_kernel_frame
    from .results import ElementSeries, Ephemeris

    if isinstance(data, tuple) and data and all(isinstance(d, Ephemeris) for d in data):
        eph = max(data, key=lambda d: d.epoch_utc_days.size)
        epochs, states = eph.epoch_utc_days, to_kernel_frame(eph.state_m, eph.epoch_utc_days,
                                                             eph.frame)
        header, source = eph.bc_kg_m2, eph.source
    elif isinstance(data, ElementSeries):
        epochs, states = data.epoch_utc_days, data.state_teme_m
        norads = {e.norad_id for e in data.element_sets}
        if len(norads) > 1:
            raise ValueError(f"{data.source}: element sets of {len(norads)} objects "
                             f"({', '.join(map(str, sorted(norads)))}): give one object's")
        header, source = None, data.source
    else:
        raise ValueError(f"fit-bc needs an OEM or a series of element sets (TLE/OMM), got "
                         f"{type(data).__name__}")
    keep = np.ones(epochs.size, dtype=bool)
    if since_utc_days is not None:
        keep &= epochs >= since_utc_days
    if until_utc_days is not None:
        keep &= epochs <= until_utc_days
    epochs, states = epochs[keep], states[keep]
    start = float(bc_kg_m2 if bc_kg_m2 is not None else header or 100.0)
    if isinstance(data, ElementSeries):
        if fitted != "bc":
            raise ValueError("fitted = 'density_scale' needs an ephemeris (OEM)")
        return fit_element_sets(epochs, states, min_gap_days=min_gap_days, bc_kg_m2=start,
                                source=source, model=model)
    return fit_states(epochs, states, fitted=fitted, bc_kg_m2=start, source=source,
                      model=model)
