"""Per-scenario figures from per-sample arrays, each with its Monte Carlo standard error.

Which figures, under which keys, from which per-sample values: :mod:`deorbit.metrics`. Here,
how each kind of figure is estimated:

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

A run's client holds per sample only the columns of the figures being computed: the summary
columns of each block go to a :class:`ColumnSpill` (one file per column, appended in block
order) as the leading blocks come in, and :func:`summarize_columns` reads them back a few at
a time, the figures that read the same columns together (the figures are those of the whole
table: exact quantiles, and sums in the same order, so the same bytes).
"""
from __future__ import annotations

from pathlib import Path
from statistics import NormalDist

import numpy as np

from .metrics import (
    COUNT,
    DATE_QUANTILE,
    MEAN,
    METRICS,
    PROBABILITY,
    PRODUCT,
    QUANTILE,
    REGISTRY,
    SUBSET_MEAN,
    summary_columns,
)
from .time import datetime_from_epoch


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
SUMMARY_COLUMNS = summary_columns()
#: The scenario's name of a convergence metric (scenario.CONVERGENCE_METRICS) that is not
#: its summary key.
_CONVERGENCE_ALIASES = {"reentry_epoch_p50_days": "reentry_epoch_p50_utc_days"}


def _convergence_metric(metric):
    m = METRICS.get(_CONVERGENCE_ALIASES.get(metric, metric))
    if m is None or m.kind not in (PROBABILITY, QUANTILE, DATE_QUANTILE):
        raise ValueError(f"unknown convergence metric {metric!r}")
    return m


def convergence_columns(metric):
    """The per-sample columns a convergence metric reads."""
    return _convergence_metric(metric).columns


def convergence_half_width(arrays, metric, confidence):
    """Confidence-interval half-width of a convergence metric (see scenario.Convergence)."""
    m = _convergence_metric(metric)
    x = m.values(arrays)
    if m.kind == PROBABILITY:
        _, se = probability(x)
        return _z(confidence) * se
    _, lo, hi = quantile_interval(x[~np.isnan(x)], m.q, confidence)
    return 0.5 * (hi - lo) if np.isfinite([lo, hi]).all() else np.inf


def figure(metric, arrays, confidence=0.95, done=None):
    """The summary figure of one :class:`~deorbit.metrics.Metric`, or None (left out).

    ``arrays``: the per-sample table; ``done``: the figures already computed (a product
    reads its factors there). The estimator and its standard error follow ``metric.kind``.
    """
    kind, unit = metric.kind, metric.unit
    if kind == COUNT:
        return {"value": int(arrays["outcome"].size), "standard_error": None, "unit": unit}
    if kind == PRODUCT:  # delta method for a product of independent estimates
        p, mean = ((done or {}).get(f) for f in metric.factors)
        if p is None or mean is None or mean["value"] is None:
            return None
        se = np.hypot(p["standard_error"] * mean["value"],
                      p["value"] * (mean["standard_error"] or 0.0))
        return {"value": p["value"] * mean["value"], "standard_error": float(se), "unit": unit}
    x = metric.values(arrays)
    if kind == PROBABILITY:
        p, se = probability(x)
        return {"value": p, "standard_error": se, "unit": unit}
    if kind in (QUANTILE, DATE_QUANTILE):
        v = x[~np.isnan(x)]  # NaN: no value (e.g. no footprint); +inf: after the horizon
        if not v.size:
            return {"value": None, "standard_error": None, "unit": unit}
        return _quantile_figure(v, metric.q, confidence, unit, as_date=kind == DATE_QUANTILE)
    if kind in (MEAN, SUBSET_MEAN):
        fig = _mean_figure(x, metric.confidence or confidence, unit, metric.interval)
        return None if metric.omit_when_empty and fig["value"] is None else fig
    raise ValueError(f"{metric.key}: unknown kind {kind!r}")


def summarize(arrays, confidence=0.95):
    """Figures of one scenario: a dict metric -> {value, standard_error, unit[, date_utc]}.

    One figure per metric of :data:`deorbit.metrics.REGISTRY` whose per-sample columns the
    table has, in registry order.
    """
    return summarize_columns(lambda keys: {k: arrays[k] for k in keys}, arrays.keys(),
                             confidence)


def summarize_columns(read, available, confidence=0.95):
    """:func:`summarize` of a table read a few columns at a time.

    Parameters
    ----------
    read : callable
        ``read(keys)``: the per-sample arrays of those columns (whole, in sample order).
    available : collection of str
        The columns there are.
    confidence : float

    The figures that read the same columns are computed from one ``read``, then their
    columns are let go; products (which read other figures) come last; the result is in
    registry order.
    """
    groups, done = {}, {}
    for m in REGISTRY:
        if m.kind != PRODUCT and m.computable(available):
            groups.setdefault(tuple(sorted(m.columns)), []).append(m)
    for keys, metrics in groups.items():
        arrays = read(keys)
        for m in metrics:
            fig = figure(m, arrays, confidence)
            if fig is not None:
                done[m.key] = fig
        del arrays
    for m in REGISTRY:
        if m.kind == PRODUCT and m.computable(available):
            fig = figure(m, {}, confidence, done)
            if fig is not None:
                done[m.key] = fig
    return {m.key: done[m.key] for m in REGISTRY if m.key in done}


class ColumnSpill:
    """Per-sample columns appended block by block (in block order) to files in ``folder``,
    one file per column, read back whole a few columns at a time.

    Parameters
    ----------
    folder : str or Path
        An empty folder of its own (e.g. a temporary one).
    """

    def __init__(self, folder):
        self.folder = Path(folder)
        self.dtypes = {}      # column -> dtype, in the order first seen
        self.samples = 0

    def append(self, columns: dict):
        """Append one block's columns (each one value per sample of the block)."""
        n = {np.shape(v)[0] for v in columns.values()}
        if len(n) != 1 or (self.dtypes and set(columns) != set(self.dtypes)):
            raise ValueError(f"a block's columns {sorted(columns)} do not match "
                             f"{sorted(self.dtypes)} or differ in length")
        for key, value in columns.items():
            value = np.ascontiguousarray(value)
            self.dtypes.setdefault(key, value.dtype)
            with open(self._file(key), "ab") as f:
                f.write(value.astype(self.dtypes[key], copy=False).tobytes())
        self.samples += n.pop()

    def _file(self, key):
        return self.folder / f"column-{list(self.dtypes).index(key)}.bin"

    def keys(self):
        return self.dtypes.keys()

    def read(self, keys):
        """The columns of ``keys`` (those there are), whole."""
        return {k: np.fromfile(self._file(k), dtype=self.dtypes[k])
                for k in keys if k in self.dtypes}


def _mean_figure(values, confidence, unit, interval=True):
    """Mean of the finite values with its standard error and (``interval``) a normal
    (1 - alpha) interval of the mean."""
    v = values[np.isfinite(values)]
    if v.size == 0:
        return {"value": None, "standard_error": None, "unit": unit}
    se = float(np.std(v, ddof=1) / np.sqrt(v.size)) if v.size > 1 else None
    fig = {"value": float(np.mean(v)), "standard_error": se, "unit": unit}
    if se is not None and interval:
        z = _z(confidence)
        low = fig["value"] - z * se
        # A mean of non-negative values is non-negative: the interval stops at 0.
        fig["ci_low"] = max(low, 0.0) if np.all(v >= 0) else low
        fig["ci_high"] = fig["value"] + z * se
        fig["confidence"] = confidence
    return fig
