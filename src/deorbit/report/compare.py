"""Differences of headline figures between two runs, or two scenarios, with standard errors.

For each compared pair (scenario A, scenario B) and each figure of
:data:`deorbit.metrics.COMPARED` present in both summaries, the difference B − A (taken from
the two ``summary.json`` values) and its standard error, in one of two stated modes:

- **paired** when the two scenarios used the same root seed, the same block size and the
  same sample indices: sample i of A and sample i of B then share their random draws (common
  random numbers, :mod:`deorbit.sampling`), so the per-sample differences d_i carry the
  correlation and the standard error is sharp. The registry says how each kind is paired
  (:data:`deorbit.metrics.PAIRED`): probabilities and means, sd(d) / √n; quantiles, a paired
  bootstrap (the same resampled indices for A and B; fixed seed, so the result is
  reproducible). The per-sample values come from the registry, and must reproduce both
  summary values (through :func:`deorbit.aggregate.figure`); a figure that cannot be paired
  (its per-sample columns missing from the blocks, or a summary.json that its definition
  does not reproduce) is a :class:`CompareError` naming it, never a quiet switch to the
  independent formula.
- **independent** otherwise (e.g. two runs with different seeds): √(se_A² + se_B²), from
  the two summaries.

Each figure says which was used (``se_method``), and each pair why (``method``). A
difference or standard error that does not exist (a quantile after the horizon) is
``None``, with ``se_method`` saying why.
"""
from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np

from ..aggregate import SUMMARY_COLUMNS, figure
from ..metrics import COMPARED, DATE_QUANTILE, METRICS, short_label, style

#: Bootstrap resamples for the paired standard error of a quantile difference.
BOOTSTRAP_RESAMPLES = 1000
_BOOTSTRAP_SEED = 20261125


class CompareError(ValueError):
    """Two runs or scenarios that cannot be compared as asked; the message says why."""


class _Run:
    def __init__(self, path):
        from ..store import RunStore, RunStoreError

        self.path = Path(path)
        self.store = RunStore(path)
        self.manifest = self.store.read_manifest()
        try:
            self.summary = json.loads((self.path / "summary.json").read_text())
        except FileNotFoundError:
            raise RunStoreError(f"{self.path}: no summary.json; the run has not finished") \
                from None
        self.entries = {s["name"]: s for s in self.manifest["scenarios"]
                        if s["name"] in self.summary.get("scenarios", {})}
        self._arrays = {}

    def metrics(self, name):
        return self.summary["scenarios"][name]["metrics"]

    def arrays(self, name):
        if name not in self._arrays:
            e = self.entries[name]
            blocks = e.get("blocks_used")
            if blocks is None:
                blocks = self.store.valid_blocks(name)
            self._arrays[name] = self.store.concat_blocks(name, blocks,
                                                          (*SUMMARY_COLUMNS, "sample"))
        return self._arrays[name]

    def confidence(self, name):
        return self.summary["scenarios"][name].get("confidence", 0.95)


def _quantile(x, q, axis=None):
    """Quantile as in deorbit.aggregate (inverted CDF); NaN entries are left out."""
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN resample gives NaN
        return np.nanquantile(x, q, axis=axis, method="inverted_cdf")


def _same(x, y):
    if x is None or y is None:
        return x is None and y is None
    if not (math.isfinite(x) and math.isfinite(y)):
        return x == y
    return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)


def _bootstrap_se(xa, xb, q, resamples):
    rng = np.random.Generator(np.random.PCG64(_BOOTSTRAP_SEED))
    n = xa.size
    diffs = []
    for start in range(0, resamples, 100):
        idx = rng.integers(0, n, size=(min(100, resamples - start), n))
        diffs.append(_quantile(xb[idx], q, axis=1) - _quantile(xa[idx], q, axis=1))
    d = np.concatenate(diffs)
    if not np.all(np.isfinite(d)):
        return None
    return float(np.std(d, ddof=1))


def _crn(run_a, name_a, run_b, name_b):
    """(paired?, reason) for a pair of scenarios."""
    ea, eb = run_a.entries[name_a], run_b.entries[name_b]
    if ea.get("seed") != eb.get("seed"):
        return False, f"independent: the seeds differ ({ea.get('seed')} vs {eb.get('seed')})"
    if ea.get("block_size") != eb.get("block_size"):
        return False, (f"independent: the block sizes differ ({ea.get('block_size')} vs "
                       f"{eb.get('block_size')}), so sample i does not share its draws")
    sa, sb = run_a.arrays(name_a).get("sample"), run_b.arrays(name_b).get("sample")
    if sa is None or sb is None or sa.shape != sb.shape or not np.array_equal(sa, sb):
        na = 0 if sa is None else sa.size
        nb = 0 if sb is None else sb.size
        return False, (f"independent: the sample indices differ ({na} vs {nb} samples used)")
    return True, (f"paired: common random numbers (seed {ea.get('seed')}, block size "
                  f"{ea.get('block_size')}, the same {sa.size} sample indices)")


def _independent_se(fa, fb):
    sa, sb = fa.get("standard_error"), fb.get("standard_error")
    if sa is None or sb is None:
        return None
    return float(math.sqrt(sa ** 2 + sb ** 2))


def _paired_values(metric, run, name, value, which):
    """The per-sample values of ``metric`` in one scenario, checked against summary.json."""
    arrays = run.arrays(name)
    where = f"scenario {name!r} of run {which} ({run.path})"
    missing = [c for c in metric.columns if c not in arrays]
    if missing:
        raise CompareError(f"{metric.key} ({short_label(metric)}): cannot pair it: the blocks "
                           f"of {where} have no {', '.join(missing)}")
    own = figure(metric, arrays, run.confidence(name))["value"]
    if not _same(own, value):
        raise CompareError(
            f"{metric.key} ({short_label(metric)}): cannot pair it: its per-sample "
            f"definition gives {own!r} for {where}, summary.json says {value!r}; the summary "
            "was made by another definition of this figure (re-run, or compare runs made by "
            "the same deorbit)")
    return metric.values(arrays)


def _paired_se(metric, xa, xb, resamples):
    """(standard error, se_method) of the paired difference B − A (registry: metric.paired)."""
    if metric.paired == "mean difference":
        d = np.asarray(xb, dtype=np.float64) - np.asarray(xa, dtype=np.float64)
        return (float(np.std(d, ddof=1) / math.sqrt(d.size)) if d.size > 1 else None), "paired"
    if metric.paired == "bootstrap":
        se = _bootstrap_se(xa, xb, metric.q, resamples)
        if se is None:
            return None, ("undefined (the quantile falls after the horizon in some paired "
                          "bootstrap resamples)")
        return se, f"paired bootstrap ({resamples} resamples)"
    raise CompareError(f"{metric.key} ({short_label(metric)}): cannot pair it: a "
                       f"{metric.kind!r} has no paired difference")


def _undefined(va, vb):
    """Why B − A does not exist, or None."""
    if va is None or vb is None:  # a quantile after the horizon
        return "undefined (a value is after the horizon)"
    if not (math.isfinite(va) and math.isfinite(vb)):
        return "undefined (a value is not a number)"
    return None


def _compare_pair(run_a, name_a, run_b, name_b, resamples):
    paired, method = _crn(run_a, name_a, run_b, name_b)
    ma, mb = run_a.metrics(name_a), run_b.metrics(name_b)
    out = {"scenario_a": name_a, "scenario_b": name_b, "paired": paired, "method": method,
           "samples": [ma.get("samples", {}).get("value"), mb.get("samples", {}).get("value")],
           "metrics": {}, "not_in_both": []}
    for key in COMPARED:
        metric = METRICS[key]
        fa, fb = ma.get(key), mb.get(key)
        if fa is None or fb is None:
            out["not_in_both"].append(key)
            continue
        va, vb = fa.get("value"), fb.get("value")
        row = {"label": short_label(metric), "kind": metric.kind, "a": va, "b": vb,
               "unit": "days" if metric.kind == DATE_QUANTILE else fa.get("unit", ""),
               "difference": None, "standard_error": None, "se_method": "independent"}
        if "date_utc" in fa:
            row["a_date_utc"] = fa["date_utc"]
        if "date_utc" in fb:
            row["b_date_utc"] = fb["date_utc"]
        out["metrics"][key] = row
        why = _undefined(va, vb)
        if why:
            row["se_method"] = why
            continue
        row["difference"] = float(vb) - float(va)
        if paired:
            xa = _paired_values(metric, run_a, name_a, va, "A")
            xb = _paired_values(metric, run_b, name_b, vb, "B")
            row["standard_error"], row["se_method"] = _paired_se(metric, xa, xb, resamples)
        else:
            row["standard_error"] = _independent_se(fa, fb)
    return out


def compare_runs(run_a, run_b=None, *, scenario_a=None, scenario_b=None,
                 bootstrap_resamples=BOOTSTRAP_RESAMPLES) -> dict:
    """Differences B − A of the headline figures, each with its standard error.

    Parameters
    ----------
    run_a, run_b : str or Path
        Finished run directories. ``run_b`` defaults to ``run_a`` (compare scenarios within
        one run).
    scenario_a, scenario_b : str, optional
        Compare only scenario ``scenario_a`` of ``run_a`` with ``scenario_b`` of ``run_b``
        (either defaults to the other). Without them: every scenario name common to the two
        runs; within one run, every other scenario against the first.
    bootstrap_resamples : int
        Resamples of the paired bootstrap for quantile differences.

    Returns
    -------
    dict
        ``run_a``, ``run_b``, ``comparisons`` (a list, one per pair: ``scenario_a``,
        ``scenario_b``, ``paired``, ``method`` (why), ``samples`` [n_a, n_b], ``metrics``
        {metric: {label, a, b, difference, standard_error, se_method, unit[, a_date_utc,
        b_date_utc]}}, ``not_in_both``), ``only_in_a``, ``only_in_b`` (scenario names).
        Reentry-epoch differences are in days.

    Raises
    ------
    CompareError
        A scenario not in its run, nothing in common to compare, or (paired mode) a figure
        that cannot be paired: the message names it.
    """
    a = _Run(run_a)
    b = a if run_b is None or Path(run_b).resolve() == a.path.resolve() else _Run(run_b)
    if scenario_a or scenario_b:
        pairs = [(scenario_a or scenario_b, scenario_b or scenario_a)]
        for run, name, which in ((a, pairs[0][0], "A"), (b, pairs[0][1], "B")):
            if name not in run.entries:
                raise CompareError(f"scenario {name!r} is not in run {which} ({run.path}); it "
                                 f"has {', '.join(run.entries) or 'none'}")
        only_a = only_b = []
    elif b is a:
        names = list(a.entries)
        if len(names) < 2:
            raise CompareError(f"{a.path} has one scenario; give a second run to compare with")
        pairs = [(names[0], n) for n in names[1:]]
        only_a = only_b = []
    else:
        pairs = [(n, n) for n in a.entries if n in b.entries]
        only_a = [n for n in a.entries if n not in b.entries]
        only_b = [n for n in b.entries if n not in a.entries]
        if not pairs:
            raise CompareError(f"{a.path} and {b.path} have no scenario in common "
                             f"({', '.join(a.entries)} vs {', '.join(b.entries)}); name the "
                             "two scenarios to compare")
    return {"run_a": str(a.path), "run_b": str(b.path),
            "comparisons": [_compare_pair(a, x, b, y, bootstrap_resamples) for x, y in pairs],
            "only_in_a": only_a, "only_in_b": only_b}


# -- text -----------------------------------------------------------------------------------
def _fmt(style_, v, signed=False):
    if v is None:
        return "after horizon"
    sign = "+" if signed and v > 0 else ""
    if style_ == "probability":
        return f"{sign}{100 * v:.2f} %" if abs(100 * v) >= 0.01 or v == 0 else \
            f"{sign}{100 * v:.2g} %"
    if style_ == "casualties":
        return f"{sign}{v:.2e}"
    if style_ in ("date", "days"):
        return f"{sign}{v:,.0f} d"
    if style_ == "km":
        return f"{sign}{v:,.0f} km"
    return f"{sign}{v:.4g}"


def format_comparison(result) -> str:
    """The result of :func:`compare_runs` as a plain-text table per pair."""
    lines = ["deorbit compare: differences B − A, ± one standard error",
             f"  A: {result['run_a']}", f"  B: {result['run_b']}"]
    for c in result["comparisons"]:
        lines += ["", f"{c['scenario_a']} (A, {c['samples'][0]} samples) vs "
                      f"{c['scenario_b']} (B, {c['samples'][1]} samples)",
                  f"  standard errors: {c['method']}"]
        rows = [("figure", "A", "B", "B − A", "± se", "|Δ|/se", "se from")]
        for key, m in c["metrics"].items():
            kind = style(METRICS[key])
            a = m.get("a_date_utc") or _fmt(kind, m["a"])
            b = m.get("b_date_utc") or _fmt(kind, m["b"])
            d, se = m["difference"], m["standard_error"]
            ratio = "" if d is None or not se else f"{abs(d) / se:.1f}"
            if d is not None and se == 0 and d != 0:
                ratio = "inf"
            rows.append((m["label"], a, b, "n/a" if d is None else _fmt(kind, d, signed=True),
                         "n/a" if se is None else "± " + _fmt(kind, se), ratio, m["se_method"]))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for i, r in enumerate(rows):
            lines.append("  " + "  ".join(v.ljust(w) if j in (0, 6) else v.rjust(w)
                                          for j, (v, w) in enumerate(zip(r, widths))).rstrip())
            if i == 0:
                lines.append("  " + "-" * (sum(widths) + 2 * (len(widths) - 1)))
        if c["not_in_both"]:
            lines.append(f"  not computed in both: {', '.join(c['not_in_both'])}")
    if result["only_in_a"]:
        lines.append(f"\nonly in A: {', '.join(result['only_in_a'])}")
    if result["only_in_b"]:
        lines.append(f"only in B: {', '.join(result['only_in_b'])}")
    return "\n".join(lines)
