"""Per-scenario figures from per-sample arrays, each with its Monte Carlo standard error.

- Probabilities p: standard error sqrt(p (1 - p) / n).
- Quantiles: distribution-free, from order statistics. The (1 - alpha) confidence interval
  of the p-quantile is [x_(l), x_(u)] with l, u = n p -/+ z sqrt(n p (1 - p)); the standard
  error reported is (x_(u) - x_(l)) / (2 z).
- Means: sample standard deviation / sqrt(n).

Samples still in orbit at the horizon count as re-entering after it (+inf) in the epoch and
lifetime quantiles; a quantile that falls among them is reported as ``null`` ("after the
horizon").

Inputs are concatenated in block order, so every sum is taken in the same order whatever
the number of workers.
"""
from __future__ import annotations

from statistics import NormalDist

import numpy as np

from .engine import Outcome
from .time import datetime_from_epoch

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def _z(confidence):
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def probability(mask):
    """(p, standard error) of a boolean array."""
    n = mask.size
    p = float(np.mean(mask)) if n else float("nan")
    return p, float(np.sqrt(p * (1.0 - p) / n)) if n else float("nan")


def quantile_interval(values, q, confidence=0.95):
    """(estimate, low, high) of the q-quantile of values (+inf allowed), order statistics."""
    x = np.sort(values)
    n = x.size
    z = _z(confidence)
    half = z * np.sqrt(n * q * (1.0 - q))
    lo = int(np.clip(np.floor(n * q - half), 0, n - 1))
    hi = int(np.clip(np.ceil(n * q + half), 0, n - 1))
    est = float(np.quantile(x, q, method="inverted_cdf"))
    return est, float(x[lo]), float(x[hi])


def _quantile_figure(values, q, confidence, unit, as_date=False):
    est, lo, hi = quantile_interval(values, q, confidence)
    finite = np.isfinite([est, lo, hi])
    fig = {"value": est if finite[0] else None,
           "standard_error": (hi - lo) / (2 * _z(confidence)) if finite.all() else None,
           "unit": unit}
    if as_date and finite[0]:
        fig["date_utc"] = datetime_from_epoch(est).strftime("%Y-%m-%d")
    return fig


#: The per-sample arrays :func:`summarize` and :func:`convergence_half_width` read: all a
#: summary needs from the run's blocks (not the altitude histories, 85 % of their bytes).
SUMMARY_COLUMNS = ("outcome", "reentry_epoch_utc_days", "lifetime_days", "ec",
                   "fragments_total", "fragments_outside_zone", "fragments_near_land",
                   "footprint_length_km")


def convergence_half_width(arrays, metric, confidence):
    """Confidence-interval half-width of a convergence metric (see scenario.Convergence)."""
    outcome = arrays["outcome"]
    if metric in _PROBABILITIES:
        _, se = probability(np.isin(outcome, _PROBABILITIES[metric]))
        return _z(confidence) * se
    if metric == "reentry_epoch_p50_days":
        epochs = np.where(np.isfinite(arrays["reentry_epoch_utc_days"]),
                          arrays["reentry_epoch_utc_days"], np.inf)
        _, lo, hi = quantile_interval(epochs, 0.5, confidence)
        return 0.5 * (hi - lo) if np.isfinite([lo, hi]).all() else np.inf
    raise ValueError(f"unknown convergence metric {metric!r}")


#: Probability metrics: the outcome classes each counts.
_PROBABILITIES = {
    "p_controlled": (Outcome.CONTROLLED,),
    "p_uncontrolled": (Outcome.UNCONTROLLED_FAILURE, Outcome.UNCONTROLLED_NATURAL),
    "p_uncontrolled_after_failure": (Outcome.UNCONTROLLED_FAILURE,),
    "p_uncontrolled_natural_decay": (Outcome.UNCONTROLLED_NATURAL,),
    "p_in_orbit_at_horizon": (Outcome.IN_ORBIT,),
    "p_numerical_failure": (Outcome.NUMERICAL_FAILURE,),
}


def summarize(arrays, confidence=0.95):
    """Figures of one scenario: a dict metric -> {value, standard_error, unit[, date_utc]}."""
    outcome = arrays["outcome"]
    n = int(outcome.size)
    metrics = {"samples": {"value": n, "standard_error": None, "unit": "count"}}
    for name, codes in _PROBABILITIES.items():
        p, se = probability(np.isin(outcome, codes))
        metrics[name] = {"value": p, "standard_error": se, "unit": "probability"}
    epochs = np.where(np.isfinite(arrays["reentry_epoch_utc_days"]),
                      arrays["reentry_epoch_utc_days"], np.inf)
    life = np.where(np.isfinite(arrays["lifetime_days"]), arrays["lifetime_days"], np.inf)
    for q in QUANTILES:
        tag = f"p{round(q * 100):02d}"
        metrics[f"reentry_epoch_{tag}_utc_days"] = _quantile_figure(
            epochs, q, confidence, "UTC days since J2000", as_date=True)
        metrics[f"lifetime_{tag}_days"] = _quantile_figure(life, q, confidence, "days")
    if "ec" in arrays:
        metrics.update(ground_metrics(arrays, confidence))
    entered = np.isfinite(arrays["lifetime_days"])
    if entered.any():
        v = arrays["lifetime_days"][entered]
        se = float(np.std(v, ddof=1) / np.sqrt(v.size)) if v.size > 1 else None
        metrics["lifetime_mean_given_reentry_days"] = {"value": float(np.mean(v)),
                                                       "standard_error": se, "unit": "days"}
    return metrics


#: The casualty-expectation limit per reentry (NASA-STD-8719.14, US government practice).
EC_LIMIT = 1e-4


def _mean_figure(values, confidence, unit):
    """Mean with its standard error and a normal (1 - alpha) interval of the mean."""
    v = values[np.isfinite(values)]
    if v.size == 0:
        return {"value": None, "standard_error": None, "unit": unit}
    se = float(np.std(v, ddof=1) / np.sqrt(v.size)) if v.size > 1 else None
    fig = {"value": float(np.mean(v)), "standard_error": se, "unit": unit}
    if se is not None:
        z = _z(confidence)
        low = fig["value"] - z * se
        # A mean of non-negative values is non-negative: the interval stops at 0.
        fig["ci_low"] = max(low, 0.0) if np.all(v >= 0) else low
        fig["ci_high"] = fig["value"] + z * se
        fig["confidence"] = confidence
    return fig


def ground_metrics(arrays, confidence=0.95):
    """Ground-risk figures: casualty expectation, debris outside the zone, footprint.

    - ``ec_mean``: mean expected casualties per reentry over all samples (samples still in
      orbit count 0), with its standard error and a 90 % interval of the mean
      (``ci_low``/``ci_high``, normal approximation);
    - ``p_ec_above_1e-4``: fraction of samples whose reentry exceeds the 1e-4 limit;
    - ``ec_given_uncontrolled_mean`` and ``p_failure_x_ec_uncontrolled`` = P(uncontrolled
      after failure) x mean Ec of uncontrolled reentries (the second NASA test for a
      controlled entry);
    - ``p_debris_outside_zone``: fraction of samples with any fragment outside the zone;
    - ``fragments_near_land_mean``: hazardous pieces (>= 15 J) within 370 km of land;
    - ``footprint_length_p50_km``/``p99``: of the samples whose fragments landed.
    """
    outcome = arrays["outcome"]
    ec = np.where(np.isfinite(arrays["ec"]), arrays["ec"], 0.0)
    out = {}
    ci90 = _mean_figure(ec, 0.90, "casualties per reentry")
    out["ec_mean"] = ci90
    p, se = probability(ec > EC_LIMIT)
    out["p_ec_above_1e-4"] = {"value": p, "standard_error": se, "unit": "probability"}
    unc = np.isin(outcome, _PROBABILITIES["p_uncontrolled"])
    out["ec_given_uncontrolled_mean"] = _mean_figure(np.where(unc, ec, np.nan), confidence,
                                                     "casualties per reentry")
    p_fail, se_fail = probability(np.isin(outcome, _PROBABILITIES[
        "p_uncontrolled_after_failure"]))
    ecu = out["ec_given_uncontrolled_mean"]
    if ecu["value"] is not None:
        value = p_fail * ecu["value"]
        # delta method for a product of independent estimates
        se = np.hypot(se_fail * ecu["value"], p_fail * (ecu["standard_error"] or 0.0))
        out["p_failure_x_ec_uncontrolled"] = {"value": value, "standard_error": float(se),
                                              "unit": "casualties per reentry"}
    landed = np.isfinite(arrays["fragments_total"])
    p, se = probability(landed & (np.nan_to_num(arrays["fragments_outside_zone"]) > 0)
                        if landed.any() else np.zeros(0, bool))
    out["p_debris_outside_zone"] = {"value": p, "standard_error": se, "unit": "probability"}
    out["fragments_near_land_mean"] = _mean_figure(arrays["fragments_near_land"], confidence,
                                                   "fragments (>= 15 J) within 370 km of land")
    length = arrays["footprint_length_km"][landed]
    for q, tag in ((0.5, "p50"), (0.99, "p99")):
        out[f"footprint_length_{tag}_km"] = (
            _quantile_figure(length, q, confidence, "km") if length.size else
            {"value": None, "standard_error": None, "unit": "km"})
    return out
