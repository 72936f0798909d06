"""Differences of headline figures between two runs, or two scenarios, with standard errors.

For each compared pair (scenario A, scenario B) and each headline figure present in both
summaries, the difference B − A (taken from the two ``summary.json`` values) and its
standard error:

- **paired** when the two scenarios used the same root seed, the same block size and the
  same sample indices: sample i of A and sample i of B then share their random draws (common
  random numbers, :mod:`deorbit.sampling`), so the per-sample differences d_i carry the
  correlation and the standard error is sharp. Probabilities and means: sd(d) / √n.
  Quantiles: a paired bootstrap (the same resampled indices for A and B; fixed seed, so the
  result is reproducible). A figure is paired only if its per-sample definition reproduces
  both summary values exactly; otherwise (e.g. a metric this module does not know) it falls
  back to the independent formula and says so.
- **independent** otherwise: √(se_A² + se_B²), from the two summaries.

Each figure says which was used (``se_method``), and each pair why (``method``).
"""
from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np

from ..engine import Outcome

#: Headline figures compared: (summary metric, label, kind).
HEADLINE = (
    ("p_controlled", "P(controlled entry)", "probability"),
    ("p_uncontrolled", "P(uncontrolled entry)", "probability"),
    ("p_in_orbit_at_horizon", "P(in orbit at the horizon)", "probability"),
    ("ec_mean", "Ec (mean)", "ec"),
    ("p_ec_above_1e-4", "P(Ec > 1e-4)", "probability"),
    ("p_debris_outside_zone", "P(debris outside the zone)", "probability"),
    ("reentry_epoch_p05_utc_days", "reentry date P5", "epoch"),
    ("reentry_epoch_p50_utc_days", "reentry date P50", "epoch"),
    ("reentry_epoch_p95_utc_days", "reentry date P95", "epoch"),
    ("lifetime_p50_days", "lifetime P50", "days"),
    ("footprint_length_p50_km", "footprint length P50", "km"),
)
#: Bootstrap resamples for the paired standard error of a quantile difference.
BOOTSTRAP_RESAMPLES = 1000
_BOOTSTRAP_SEED = 20261125
_OUTCOMES = {
    "p_controlled": (Outcome.CONTROLLED,),
    "p_uncontrolled": (Outcome.UNCONTROLLED_FAILURE, Outcome.UNCONTROLLED_NATURAL),
    "p_in_orbit_at_horizon": (Outcome.IN_ORBIT,),
}
_QUANTILE = {"p05": 0.05, "p25": 0.25, "p50": 0.5, "p75": 0.75, "p95": 0.95, "p99": 0.99}


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
            self._arrays[name] = self.store.concat_blocks(name, blocks)
        return self._arrays[name]


def _per_sample(metric, arrays):
    """("mean", x) or ("quantile", x, q): the per-sample form of a summary metric, or None."""
    if metric in _OUTCOMES and "outcome" in arrays:
        return "mean", np.isin(arrays["outcome"], _OUTCOMES[metric]).astype(np.float64)
    if "ec" in arrays:  # samples without an impact (in orbit, failed) count 0
        ec = np.asarray(arrays["ec"], dtype=np.float64)
        ec = np.where(np.isfinite(ec), ec, 0.0)
        if metric == "ec_mean":
            return "mean", ec
        if metric == "p_ec_above_1e-4":
            return "mean", (ec > 1e-4).astype(np.float64)
    if metric == "p_debris_outside_zone" and "fragments_outside_zone" in arrays:
        outside = np.nan_to_num(np.asarray(arrays["fragments_outside_zone"], dtype=np.float64))
        return "mean", (outside > 0).astype(np.float64)
    for prefix, key, missing in (("reentry_epoch_", "reentry_epoch_utc_days", np.inf),
                                 ("lifetime_", "lifetime_days", np.inf),
                                 ("footprint_length_", "footprint_length_km", np.nan)):
        if metric.startswith(prefix) and key in arrays:
            tag = metric[len(prefix):].split("_")[0]
            if tag in _QUANTILE:
                # NaN: no value (after the horizon: +inf; no footprint: left out)
                x = np.asarray(arrays[key], dtype=np.float64)
                return "quantile", np.where(np.isfinite(x), x, missing), _QUANTILE[tag]
    return None


def _statistic(form):
    if form[0] == "mean":
        return float(np.mean(form[1]))
    return float(_quantile(form[1], form[2]))


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


def _compare_pair(run_a, name_a, run_b, name_b, resamples):
    paired, method = _crn(run_a, name_a, run_b, name_b)
    ma, mb = run_a.metrics(name_a), run_b.metrics(name_b)
    out = {"scenario_a": name_a, "scenario_b": name_b, "paired": paired, "method": method,
           "samples": [ma.get("samples", {}).get("value"), mb.get("samples", {}).get("value")],
           "metrics": {}, "not_in_both": []}
    for metric, label, kind in HEADLINE:
        fa, fb = ma.get(metric), mb.get(metric)
        if fa is None or fb is None:
            out["not_in_both"].append(metric)
            continue
        va, vb = fa.get("value"), fb.get("value")
        row = {"label": label, "kind": kind, "a": va, "b": vb,
               "unit": "days" if kind == "epoch" else fa.get("unit", ""),
               "difference": None, "standard_error": None, "se_method": "independent"}
        if "date_utc" in fa:
            row["a_date_utc"] = fa["date_utc"]
        if "date_utc" in fb:
            row["b_date_utc"] = fb["date_utc"]
        if va is None or vb is None:  # a quantile after the horizon: no finite difference
            row["se_method"] = "undefined (a value is after the horizon)"
            out["metrics"][metric] = row
            continue
        row["difference"] = float(vb) - float(va)
        row["standard_error"] = _independent_se(fa, fb)
        if paired:
            pa = _per_sample(metric, run_a.arrays(name_a))
            pb = _per_sample(metric, run_b.arrays(name_b))
            if pa is None or pb is None:
                row["se_method"] = "independent (no per-sample data for this figure)"
            elif not (_same(_statistic(pa), va) and _same(_statistic(pb), vb)):
                row["se_method"] = ("independent (the per-sample definition does not "
                                    "reproduce summary.json)")
            elif pa[0] == "mean":
                d = pb[1] - pa[1]
                row["standard_error"] = (float(np.std(d, ddof=1) / math.sqrt(d.size))
                                         if d.size > 1 else None)
                row["se_method"] = "paired"
            else:
                se = _bootstrap_se(pa[1], pb[1], pa[2], resamples)
                if se is None:
                    row["se_method"] = ("independent (the quantile falls after the horizon "
                                        "in some bootstrap resamples)")
                else:
                    row["standard_error"] = se
                    row["se_method"] = f"paired bootstrap ({resamples} resamples)"
        out["metrics"][metric] = row
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
    """
    a = _Run(run_a)
    b = a if run_b is None or Path(run_b).resolve() == a.path.resolve() else _Run(run_b)
    if scenario_a or scenario_b:
        pairs = [(scenario_a or scenario_b, scenario_b or scenario_a)]
        for run, name, which in ((a, pairs[0][0], "A"), (b, pairs[0][1], "B")):
            if name not in run.entries:
                raise ValueError(f"scenario {name!r} is not in run {which} ({run.path}); it "
                                 f"has {', '.join(run.entries) or 'none'}")
        only_a = only_b = []
    elif b is a:
        names = list(a.entries)
        if len(names) < 2:
            raise ValueError(f"{a.path} has one scenario; give a second run to compare with")
        pairs = [(names[0], n) for n in names[1:]]
        only_a = only_b = []
    else:
        pairs = [(n, n) for n in a.entries if n in b.entries]
        only_a = [n for n in a.entries if n not in b.entries]
        only_b = [n for n in b.entries if n not in a.entries]
        if not pairs:
            raise ValueError(f"{a.path} and {b.path} have no scenario in common "
                             f"({', '.join(a.entries)} vs {', '.join(b.entries)}); name the "
                             "two scenarios to compare")
    return {"run_a": str(a.path), "run_b": str(b.path),
            "comparisons": [_compare_pair(a, x, b, y, bootstrap_resamples) for x, y in pairs],
            "only_in_a": only_a, "only_in_b": only_b}


# -- text -----------------------------------------------------------------------------------
def _fmt(kind, v, signed=False):
    if v is None:
        return "after horizon"
    sign = "+" if signed and v > 0 else ""
    if kind == "probability":
        return f"{sign}{100 * v:.2f} %" if abs(100 * v) >= 0.01 or v == 0 else \
            f"{sign}{100 * v:.2g} %"
    if kind == "ec":
        return f"{sign}{v:.2e}"
    if kind in ("epoch", "days"):
        return f"{sign}{v:,.0f} d"
    if kind == "km":
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
        for m in c["metrics"].values():
            kind = m["kind"]
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
