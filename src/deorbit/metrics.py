"""The summary metrics: one registry read by aggregate, the CLI table, the report and compare.

Each :class:`Metric` says

- ``key``: its name in ``summary.json`` and in the ``metric`` column of ``summary.csv``
  (scripts read these names: never rename one);
- ``label`` (report), ``short`` (``deorbit compare``) and ``column`` (``deorbit run`` table);
- ``unit``: the ``unit`` written beside its value in ``summary.json``;
- ``kind``: how the figure is estimated from the per-sample values, and so how its standard
  error is computed (:mod:`deorbit.aggregate`) and how the paired difference of two runs is
  computed (:mod:`deorbit.report.compare`, ``paired``):

  ============================  ==========================  ================================
  kind                          figure and standard error   paired difference B − A
  ============================  ==========================  ================================
  ``count``                     number of samples, no se    —
  ``probability``               mean of an indicator,       sd(d) / √n of the per-sample
                                √(p (1 − p) / n)            differences d_i
  ``mean``                      mean over every sample,     sd(d) / √n
                                sd / √n and an interval
  ``mean of a subset``          mean over the finite        — (the subsets differ)
                                values, sd / √n
  ``quantile``                  inverted-CDF quantile, se   paired bootstrap
                                from the order-statistic
                                interval
  ``quantile of a date``        as ``quantile``, plus       paired bootstrap
                                ``date_utc``
  ``product``                   product of two figures,     —
                                delta method
  ============================  ==========================  ================================

- ``values``: the per-sample values, one per sample in sample order, from the per-sample
  table (the arrays of a run's blocks): NaN is left out, +inf is "after the horizon";
- ``columns``: the per-sample columns it reads; a metric is computed only when the table has
  all of them.

The views say which metrics each output shows, in its order: :data:`CLI_TABLE`,
:data:`SIDE_BY_SIDE` and :data:`DECISION` (report), :data:`COMPARED` (``deorbit compare``);
the report's full table shows every metric (:func:`report_order`). Registry order is the
order of ``summary.json``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .engine import Outcome
from .ground.casualty import EC_LIMIT
from .maintenance import EndReason

COUNT = "count"
PROBABILITY = "probability"
MEAN = "mean"
SUBSET_MEAN = "mean of a subset"
QUANTILE = "quantile"
DATE_QUANTILE = "quantile of a date"
PRODUCT = "product"

#: How compare takes the paired (common random numbers) difference of each kind; a kind
#: absent here cannot be paired.
PAIRED = {PROBABILITY: "mean difference", MEAN: "mean difference",
          QUANTILE: "bootstrap", DATE_QUANTILE: "bootstrap"}

#: The Ec limit as written in keys and labels ("1e-4").
EC_LIMIT_TEXT = f"{EC_LIMIT:.0e}".replace("e-0", "e-")
#: Summary key of the share of samples above the limit ("p_ec_above_1e-4").
EC_ABOVE_LIMIT = f"p_ec_above_{EC_LIMIT_TEXT}"

#: Groups, in the order of the report's full table.
GROUPS = ("run", "outcome", "ground", "reentry", "lifetime", "maintenance")


@dataclass(frozen=True)
class Metric:
    """One headline figure of a scenario (see the module docstring for the fields)."""

    key: str
    label: str
    unit: str
    kind: str
    group: str
    values: Callable[[dict], np.ndarray] | None = None
    columns: tuple[str, ...] = ()
    q: float | None = None             #: quantile level of a quantile kind
    confidence: float | None = None    #: fixed level of a mean's interval (None: the run's)
    interval: bool = True              #: a mean carries ci_low/ci_high
    omit_when_empty: bool = False      #: no value: left out of summary.json, not null
    factors: tuple[str, ...] = ()      #: the two metrics a product multiplies
    short: str = ""                    #: label in ``deorbit compare`` (default: label)
    column: str = ""                   #: column header in ``deorbit run`` (default: short)
    style: str = ""                    #: how numbers are written (default from the unit)

    @property
    def paired(self) -> str | None:
        """How compare takes its paired difference, or None if it cannot."""
        return PAIRED.get(self.kind)

    def computable(self, arrays) -> bool:
        """True when the per-sample table has every column this metric reads."""
        return all(c in arrays for c in self.columns)


# -- per-sample values ----------------------------------------------------------------------
UNCONTROLLED = (Outcome.UNCONTROLLED_FAILURE, Outcome.UNCONTROLLED_NATURAL)


def _outcome_in(*codes):
    def values(arrays):
        return np.isin(arrays["outcome"], codes)
    return values


def _after_horizon_inf(column):
    """The column with no value (still in orbit, failed) as +inf: after the horizon."""
    def values(arrays):
        x = arrays[column]
        return np.where(np.isfinite(x), x, np.inf)
    return values


def ec_per_sample(arrays):
    """Ec of each sample; samples without an impact (in orbit, failed) count 0."""
    return np.where(np.isfinite(arrays["ec"]), arrays["ec"], 0.0)


def _ec_above_limit(arrays):
    return ec_per_sample(arrays) > EC_LIMIT


def _ec_uncontrolled(arrays):
    return np.where(np.isin(arrays["outcome"], UNCONTROLLED), ec_per_sample(arrays), np.nan)


def _landed(arrays):
    return np.isfinite(arrays["fragments_total"])


def _debris_outside(arrays):
    """Any fragment outside the zone; no sample at all when none landed (value NaN)."""
    landed = _landed(arrays)
    if not landed.any():
        return np.zeros(0, bool)
    return landed & (np.nan_to_num(arrays["fragments_outside_zone"]) > 0)


def _reason_is(code):
    def values(arrays):
        return arrays["maintenance_end_reason"] == code
    return values


def _maintenance():
    """The altitude maintenance's figures (runs of scenarios with the section only)."""
    reasons = (("ready", EndReason.READY), ("budget_spent", EndReason.BUDGET_SPENT),
               ("no_vehicle", EndReason.NO_VEHICLE), ("failure", EndReason.FAILURE))
    return (
        Metric("maintenance_dv_mean_m_s", "reboost delta-v spent (mean over samples)", "m/s",
               MEAN, "maintenance", _column("maintenance_dv_m_s"), ("maintenance_dv_m_s",),
               short="reboost delta-v (mean)"),
        *(Metric(f"p_maintenance_ended_{tag}", f"P(maintenance ended: {EndReason.NAMES[code]})",
                 "probability", PROBABILITY, "maintenance", _reason_is(code),
                 ("maintenance_end_reason",)) for tag, code in reasons),
    )


def _column(name):
    def values(arrays):
        return arrays[name]
    return values


def _footprint(arrays):
    return np.where(_landed(arrays), arrays["footprint_length_km"], np.nan)


# -- the registry ---------------------------------------------------------------------------
def _probability(key, label, short, *codes, column=""):
    return Metric(key, label, "probability", PROBABILITY, "outcome", _outcome_in(*codes),
                  ("outcome",), short=short, column=column)


def _quantiles():
    """The reentry-date and lifetime quantiles, interleaved as in summary.json."""
    out = []
    for q in (0.05, 0.25, 0.5, 0.75, 0.95):
        tag = f"p{round(q * 100):02d}"
        p = f"P{round(q * 100)}"
        out.append(Metric(f"reentry_epoch_{tag}_utc_days", f"reentry date, {p}",
                          "UTC days since J2000", DATE_QUANTILE, "reentry",
                          _after_horizon_inf("reentry_epoch_utc_days"),
                          ("reentry_epoch_utc_days",), q=q, short=f"reentry date {p}",
                          column=f"reentry {p}", style="date"))
        out.append(Metric(f"lifetime_{tag}_days", f"lifetime, {p}", "days", QUANTILE,
                          "lifetime", _after_horizon_inf("lifetime_days"), ("lifetime_days",),
                          q=q, short=f"lifetime {p}"))
    return out


_EC_UNIT = "casualties per reentry"
_GROUND = ("ec",)  # ground figures are computed when the run computed Ec

#: Every summary figure, in summary.json order.
REGISTRY = (
    Metric("samples", "samples used", "count", COUNT, "run", None, ("outcome",),
           short="samples"),
    _probability("p_controlled", "P(controlled entry)", "", Outcome.CONTROLLED,
                 column="P(controlled)"),
    _probability("p_uncontrolled", "P(uncontrolled entry)", "", *UNCONTROLLED,
                 column="P(uncontrolled)"),
    _probability("p_uncontrolled_after_failure", "P(uncontrolled, after a failed burn)", "",
                 Outcome.UNCONTROLLED_FAILURE),
    _probability("p_uncontrolled_natural_decay", "P(uncontrolled, natural decay)", "",
                 Outcome.UNCONTROLLED_NATURAL),
    _probability("p_in_orbit_at_horizon", "P(still in orbit at the horizon)",
                 "P(in orbit at the horizon)", Outcome.IN_ORBIT, column="P(in orbit)"),
    _probability("p_numerical_failure", "P(numerical failure)", "",
                 Outcome.NUMERICAL_FAILURE),
    *_quantiles(),
    Metric("ec_mean", "expected casualties Ec per reentry (mean over samples)", _EC_UNIT,
           MEAN, "ground", ec_per_sample, _GROUND, confidence=0.90, short="Ec (mean)",
           column="Ec mean (90 % CI)"),
    Metric(EC_ABOVE_LIMIT, f"P(Ec > {EC_LIMIT_TEXT})", "probability", PROBABILITY, "ground",
           _ec_above_limit, _GROUND),
    Metric("ec_given_uncontrolled_mean", "Ec of an uncontrolled reentry (mean)", _EC_UNIT,
           SUBSET_MEAN, "ground", _ec_uncontrolled, (*_GROUND, "outcome")),
    Metric("p_failure_x_ec_uncontrolled", "P(uncontrolled after failure) × Ec uncontrolled",
           _EC_UNIT, PRODUCT, "ground", None, _GROUND, omit_when_empty=True,
           factors=("p_uncontrolled_after_failure", "ec_given_uncontrolled_mean")),
    Metric("p_debris_outside_zone", "P(debris outside the target zone)", "probability",
           PROBABILITY, "ground", _debris_outside,
           (*_GROUND, "fragments_total", "fragments_outside_zone"),
           short="P(debris outside the zone)", column="P(debris outside zone)"),
    Metric("fragments_near_land_mean", "hazardous pieces (≥ 15 J) within 370 km of land (mean)",
           "fragments (>= 15 J) within 370 km of land", SUBSET_MEAN, "ground",
           _column("fragments_near_land"), (*_GROUND, "fragments_near_land")),
    *(Metric(f"footprint_length_{tag}_km", label, "km", QUANTILE, "ground", _footprint,
             (*_GROUND, "fragments_total", "footprint_length_km"), q=q, short=short)
      for q, tag, label, short in ((0.5, "p50", "footprint length, median",
                                    "footprint length P50"),
                                   (0.99, "p99", "footprint length, 99th percentile",
                                    "footprint length P99"))),
    Metric("lifetime_mean_given_reentry_days", "lifetime, mean over re-entered samples",
           "days", SUBSET_MEAN, "lifetime", _column("lifetime_days"), ("lifetime_days",),
           interval=False, omit_when_empty=True),
    *_maintenance(),
)

#: The registry by summary key.
METRICS = {m.key: m for m in REGISTRY}

# -- views: which metrics each output shows, in its order ----------------------------------
#: ``deorbit run``'s table (cli.format_table).
CLI_TABLE = ("samples", "p_controlled", "p_uncontrolled", "p_in_orbit_at_horizon",
             "reentry_epoch_p05_utc_days", "reentry_epoch_p50_utc_days",
             "reentry_epoch_p95_utc_days", "ec_mean", "p_debris_outside_zone")
#: The report's scenarios side by side.
SIDE_BY_SIDE = ("samples", "p_controlled", "p_uncontrolled", "p_in_orbit_at_horizon",
                "ec_mean", EC_ABOVE_LIMIT, "p_debris_outside_zone",
                "reentry_epoch_p50_utc_days", "footprint_length_p50_km")
#: The report's per-scenario decision table.
DECISION = ("p_controlled", "p_uncontrolled", "ec_mean", "p_debris_outside_zone",
            "reentry_epoch_p05_utc_days", "reentry_epoch_p50_utc_days",
            "reentry_epoch_p95_utc_days")
#: The figures ``deorbit compare`` differences; each must have a paired difference.
COMPARED = ("p_controlled", "p_uncontrolled", "p_in_orbit_at_horizon", "ec_mean",
            EC_ABOVE_LIMIT, "p_debris_outside_zone", "reentry_epoch_p05_utc_days",
            "reentry_epoch_p50_utc_days", "reentry_epoch_p95_utc_days", "lifetime_p50_days",
            "footprint_length_p50_km")
#: The ground-risk figures (computed when the run computed Ec).
GROUND = tuple(m.key for m in REGISTRY if m.group == "ground")


def report_order():
    """The registry in the order of the report's full table: by group, then registry order."""
    return sorted(REGISTRY, key=lambda m: GROUPS.index(m.group))


def short_label(metric: Metric) -> str:
    return metric.short or metric.label


def column_label(metric: Metric) -> str:
    return metric.column or short_label(metric)


def style(metric: Metric) -> str:
    """How its numbers are written: probability, casualties, date, days, km, count, number."""
    if metric.style:
        return metric.style
    if metric.unit in ("probability", "days", "km", "count"):
        return metric.unit
    return "casualties" if metric.unit == _EC_UNIT else "number"


def summary_columns():
    """The per-sample columns the registry reads, in registry order (each once)."""
    return tuple(dict.fromkeys(c for m in REGISTRY for c in m.columns))


def _check():
    """The registry's own consistency, at import: a broken view fails loudly, never later."""
    if len(METRICS) != len(REGISTRY):
        raise RuntimeError("deorbit.metrics: a summary key is registered twice")
    for view_name, view in (("CLI_TABLE", CLI_TABLE), ("SIDE_BY_SIDE", SIDE_BY_SIDE),
                            ("DECISION", DECISION), ("COMPARED", COMPARED)):
        unknown = [k for k in view if k not in METRICS]
        if unknown:
            raise RuntimeError(f"deorbit.metrics.{view_name}: {', '.join(unknown)} not in the "
                               "registry")
    unpaired = [k for k in COMPARED if METRICS[k].paired is None]
    if unpaired:
        raise RuntimeError(f"deorbit.metrics.COMPARED: {', '.join(unpaired)} cannot be "
                           f"paired (kinds that can: {', '.join(PAIRED)})")
    for m in REGISTRY:
        if m.group not in GROUPS or (m.kind != COUNT and m.kind != PRODUCT
                                     and m.values is None):
            raise RuntimeError(f"deorbit.metrics: {m.key} lacks a group or per-sample values")
        if any(METRICS.get(f) is None or REGISTRY.index(METRICS[f]) > REGISTRY.index(m)
               for f in m.factors):
            raise RuntimeError(f"deorbit.metrics: {m.key}'s factors must come before it")


_check()
