"""Hindcasts of real reentries and of the ISS arc: what ``deorbit validate`` prints.

Reentries (the registry ``deorbit/data/reentries/cases.toml``)
    For each case and each lead time in :data:`LEADS_DAYS` for which at least two element
    sets half a day apart precede the cut-off (official reentry epoch minus the lead), the
    BC is fitted to the sets before the cut-off (:func:`~deorbit.tracking.fit.fit_element_sets`),
    and :data:`SAMPLES` samples are flown from the last of them with the observed space
    weather, down to :data:`REENTRY_ALT_KM`. Each sample draws the BC from the fit (log-normal,
    its 1-sigma) and the density scale of the built-in scenarios (log-normal, sigma 0.15: the
    density model's own error, which the fit to the days before does not remove). The
    predicted 90 % window is the samples' 5th to 95th percentile of the epoch at 80 km.
The ISS arc (NASA's Feb-2022 ephemeris, packaged)
    The BC fitted to the whole arc before the reboost (decay residual and position residuals),
    and a prediction: the fit to the first :data:`ISS_FIT_DAYS` days, flown on; its in-track
    error against NASA's trajectory 1, 7 and 14 days after the start.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass

import numpy as np

from .. import _data
from ..atmosphere import load_msis_table
from ..frames import to_kernel_frame
from ..kernel import Status, propagate, trajectory
from ..solar import observed_daily_indices
from ..time import datetime_from_epoch, epoch_from_datetime
from . import iss_arc_2022, read_tracking
from .fit import decay_m, fit_element_sets, fit_states, mean_sma_m, rtn_components_m

__all__ = ["HindcastRow", "IssArcCheck", "hindcast_case", "iss_arc_check", "load_cases",
           "reentry_epochs", "run_hindcasts"]

#: Lead times tried for each case, days before the official reentry epoch.
LEADS_DAYS = (0.5, 1.0, 2.0, 4.0)
#: Shortest gap between two element sets of a fitted pair in the hindcasts, days.
MIN_GAP_DAYS = 0.5
#: Samples per prediction.
SAMPLES = 400
#: The density scale's log-normal sigma (as the built-in scenarios' ``atmosphere.density_scale``).
DENSITY_SIGMA_LN = 0.15
#: Altitude whose crossing is the predicted reentry epoch, km (the breakup region, where
#: tracking loses the object and official "reentry" epochs are placed).
REENTRY_ALT_KM = 80.0
#: ISS arc: days of NASA's ephemeris fitted before predicting.
ISS_FIT_DAYS = 3.0
#: ISS arc: NASA's reboost of 0.4 m/s at this epoch ends the usable arc (file's event table).
ISS_REBOOST_UTC = "2022-02-26T01:37:00Z"


@dataclass(frozen=True)
class Case:
    """One real reentry of the registry: element-set file and the official epoch."""

    name: str
    title: str
    norad: int
    data: str
    reentry_utc: str
    reentry_source: str


@dataclass(frozen=True)
class HindcastRow:
    """One prediction of one case: the data used, the window and how it did.

    Epochs are UTC days since J2000; ``window_*`` and ``median`` are the predicted epoch at
    80 km (5th, 50th, 95th percentile of the samples).
    """

    case: str
    title: str
    sets_used: int
    fit_span_days: float
    bc_kg_m2: float
    bc_sigma_kg_m2: float
    lead_days: float
    window_p5: float
    median: float
    window_p95: float
    actual: float
    reentry_source: str

    @property
    def error_hours(self) -> float:
        """Median minus actual, hours (positive: predicted late)."""
        return (self.median - self.actual) * 24.0

    @property
    def width_hours(self) -> float:
        """Width of the 90 % window, hours."""
        return (self.window_p95 - self.window_p5) * 24.0

    @property
    def inside(self) -> bool:
        """Whether the actual epoch is inside the 90 % window."""
        return bool(self.window_p5 <= self.actual <= self.window_p95)

    def as_dict(self) -> dict:
        """The row with ISO epochs and the derived figures."""
        iso = {k: _iso(getattr(self, k)) for k in ("window_p5", "median", "window_p95",
                                                  "actual")}
        out = dict(self.__dict__, **iso)
        out.update(error_hours=self.error_hours, width_hours=self.width_hours,
                   error_of_lead=self.error_hours / 24.0 / self.lead_days,
                   inside=self.inside)
        return out


def _iso(epoch):
    return datetime_from_epoch(epoch).strftime("%Y-%m-%d %H:%M")


def load_cases() -> list[Case]:
    """The registry of real reentries shipped with deorbit."""
    text = _data.data_path("reentries/cases.toml").read_text(encoding="utf-8")
    return [Case(**c) for c in tomllib.loads(text)["case"]]


def _element_sets(case: Case):
    series = read_tracking(_data.data_path(f"reentries/{case.data}"))
    return series.epoch_utc_days, series.state_teme_m


def hindcast_case(case: Case, lead_days: float, *, samples: int = SAMPLES, seed: int = 0):
    """Predict one case from the element sets at least ``lead_days`` before its reentry.

    Returns
    -------
    HindcastRow or None
        None if fewer than two sets :data:`MIN_GAP_DAYS` apart precede the cut-off.
    """
    actual = epoch_from_datetime(case.reentry_utc)
    epochs, states = _element_sets(case)
    before = epochs <= actual - lead_days
    e, s = epochs[before], to_kernel_frame(states[before], epochs[before], "TEME")
    if e.size < 2 or e[-1] - e[0] < MIN_GAP_DAYS:
        return None
    fit = fit_element_sets(e, s, min_gap_days=MIN_GAP_DAYS, source=case.data)
    start = e[-1]
    down = reentry_epochs(start, s[-1], fit, actual + max(10.0 * lead_days, 5.0),
                          samples=samples,
                          seed=np.random.SeedSequence(seed, spawn_key=(case.norad,
                                                                       int(lead_days * 24))))
    p5, p50, p95 = np.percentile(down, [5, 50, 95])
    return HindcastRow(case=case.name, title=case.title, sets_used=int(e.size),
                       fit_span_days=float(e[-1] - e[0]), bc_kg_m2=fit.bc_kg_m2,
                       bc_sigma_kg_m2=fit.bc_sigma_kg_m2, lead_days=float(actual - start),
                       window_p5=float(p5), median=float(p50), window_p95=float(p95),
                       actual=actual, reentry_source=case.reentry_source)


def reentry_epochs(epoch_utc_days, state_m, fit, horizon_utc_days, *, samples=SAMPLES,
                   seed=0):
    """Sampled epochs at which an object reaches :data:`REENTRY_ALT_KM`, from one state.

    Parameters
    ----------
    epoch_utc_days : float
        Epoch of the state (UTC days since J2000).
    state_m : array_like, shape (6,)
        State in the kernel frame, m and m/s (an element set's TEME state as it is).
    fit : BCFit
        The BC and its 1-sigma (log-normal draws).
    horizon_utc_days : float
        Latest epoch flown; the observed space weather must cover it.
    samples : int
        Samples; each also draws a density scale (log-normal, :data:`DENSITY_SIGMA_LN`).
    seed : int or numpy.random.SeedSequence
        Seed of the draws.

    Returns
    -------
    ndarray, shape (samples,)
        UTC days since J2000; ``inf`` for a sample still up at the horizon.
    """
    rng = np.random.default_rng(seed)
    sigma_ln = fit.bc_sigma_kg_m2 / fit.bc_kg_m2 if np.isfinite(fit.bc_sigma_kg_m2) else 0.0
    bc = fit.bc_kg_m2 * np.exp(sigma_ln * rng.standard_normal(samples))
    scale = np.exp(DENSITY_SIGMA_LN * rng.standard_normal(samples))
    table = load_msis_table().orbit(fit.inclination_deg)
    res = propagate(epoch_utc_days, np.repeat(np.reshape(state_m, (1, 6)), samples, axis=0),
                    bc, table, horizon_utc_days, stop_alt_km=REENTRY_ALT_KM,
                    density_scale=scale,
                    space_weather=observed_daily_indices(epoch_utc_days, horizon_utc_days,
                                                         samples))
    return np.where(res.status == Status.ENTERED, res.end_epoch_utc_days, np.inf)


def run_hindcasts(cases=None, leads_days=LEADS_DAYS, **kw) -> list[HindcastRow]:
    """Every case at every lead time it has data for (see :func:`hindcast_case`)."""
    rows = []
    for case in load_cases() if cases is None else cases:
        for lead in leads_days:
            row = hindcast_case(case, lead, **kw)
            if row is not None:
                rows.append(row)
    return rows


@dataclass(frozen=True)
class IssArcCheck:
    """The ISS arc's fit and prediction (see the module docstring).

    ``in_track_error_m`` maps days after the arc's start (1, 7, 14) to the predicted
    in-track position minus NASA's, m, for the fit to the first :data:`ISS_FIT_DAYS` days.
    """

    fit: object
    header_bc_kg_m2: float
    header_decay_residual: float
    prediction_fit: object
    in_track_error_m: dict


def _iss_arc():
    eph = iss_arc_2022()
    keep = eph.epoch_utc_days < epoch_from_datetime(ISS_REBOOST_UTC)
    e = eph.epoch_utc_days[keep]
    return eph, e, to_kernel_frame(eph.state_m[keep], e, eph.frame)


def iss_arc_check() -> IssArcCheck:
    """Fit NASA's Feb-2022 ISS arc and predict it from its first days."""
    eph, e, s = _iss_arc()
    fit = fit_states(e, s, bc_kg_m2=eph.bc_kg_m2, source=eph.source)
    early = e <= e[0] + ISS_FIT_DAYS
    pred = fit_states(e[early], s[early], bc_kg_m2=eph.bc_kg_m2, source=eph.source)
    days = (1.0, 7.0, 14.0)
    idx = [int(np.argmin(np.abs(e - e[0] - d))) for d in days]
    table = load_msis_table().orbit(pred.inclination_deg)
    res = trajectory(e[0], np.asarray(pred.initial_state_m), e[idx], pred.bc_kg_m2, table,
                     space_weather=observed_daily_indices(e[0], e[idx[-1]]), rtol=1e-10)
    rtn = rtn_components_m(s[idx], res.ephemeris_state_eci[0, :, :3])
    return IssArcCheck(fit=fit, header_bc_kg_m2=float(eph.bc_kg_m2),
                       header_decay_residual=_header_decay(e, s, eph.bc_kg_m2, fit),
                       prediction_fit=pred,
                       in_track_error_m={d: float(rtn[k, 1]) for k, d in enumerate(days)})


def _header_decay(e, s, bc, fit):
    """Decay residual of the trajectory through the fitted initial state with the header BC
    (NASA's density model's BC) instead of the fitted one."""
    table = load_msis_table().orbit(fit.inclination_deg)
    sw = observed_daily_indices(e[0], e[-1], e.size)
    model = trajectory(e[0], np.asarray(fit.initial_state_m), e, bc, table,
                       space_weather=sw.take(np.arange(1)), rtol=1e-10).ephemeris_state_eci[0]
    return float(decay_m(e, mean_sma_m(e, model, table, sw)) /
                 decay_m(e, mean_sma_m(e, s, table, sw)) - 1.0)
