"""Where the spread comes from: the reentry date's spread and the outcome, factor by factor.

For each uncertain factor F (solar activity, the ballistic coefficient, the density model,
the density scale), the scenario is run again with F held fixed within each block
(``monte_carlo.hold_fixed``: every sample of a block takes the block's first sample's draw
of F and keeps its own draws of everything else, so the runs are paired sample by sample).
Within a block the spread left is the spread *with F known*; pooled over the blocks it
estimates the expected conditional variance E[Var(Y | F)], and

    S_F = 1 - E[Var(Y | F)] / Var(Y)

is the share of the variance of Y that F explains alone (its first-order Sobol index;
Saltelli et al. 2008, "Global Sensitivity Analysis: The Primer", ch. 4). The shares of
independent factors sum to at most 1; the rest is the other inputs' (start epoch, vehicle
readiness, breakup, ...) and the factors' interactions. Standard errors: bootstrap over
blocks, the full run's and the variant's blocks resampled together (paired).

Y is each sample's reentry epoch (days; samples still in orbit at the horizon left out),
and whether it came down uncontrolled (0 or 1: the share is then of the variance of the
outcome). The P5-P95 width "with F known" is the median over the blocks of the within-block
P5-P95 width (blocks of 10 samples or more). Ec per sample is not decomposed this way: it
is 0 for most samples and its few large values dominate any variance (measured: shares of
-180 % to -11,000 % with
standard errors as large on 400 samples of iss-2028); the Ec of each variant (its summary's
mean and 90 % interval, held factor by factor) is shown beside the shares instead
(:func:`ec_table`).

    deorbit run iss-2028 --decompose --samples 2000   # decomposition.csv, the report

The variants are scenarios of the run like the others (``iss-2028.hold-solar``, ...), so
``deorbit compare RUN --scenario-a iss-2028 --scenario-b iss-2028.hold-solar`` gives their
paired differences.
"""
from __future__ import annotations

import csv
import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .metrics import UNCONTROLLED
from .scenario import Scenario, with_values

__all__ = ["FACTORS", "FILE", "QUANTITIES", "Share", "decompose", "ec_table", "factors_of",
           "format_ec_table", "format_table", "read", "variant", "with_variants", "write"]

#: The factors decomposed: name -> (label, the ``monte_carlo.hold_fixed`` entry).
FACTORS = {
    "solar": ("solar activity (daily F10.7, Ap paths)", "solar"),
    "bc": ("ballistic coefficient", "vehicle.ballistic_coefficient_kg_m2"),
    "density_model": ("density model (NRLMSISE-00, NRLMSIS 2.1, ...)", "atmosphere.model"),
    "density_scale": ("density scale (the model's own error)", "atmosphere.density_scale"),
}
#: The quantities whose spread is decomposed: name -> (label, unit).
QUANTITIES = {
    "reentry_epoch": ("reentry date", "days"),
    "uncontrolled": ("uncontrolled entry", "probability"),
}
#: Bootstrap resamples of the standard errors.
N_BOOTSTRAP = 400
#: The table a run directory keeps the decomposition in.
FILE = "decomposition.csv"
#: What joins a scenario's name and the factor it holds, in a variant's name.
HOLD = ".hold-"


def factors_of(scenario: Scenario) -> list[str]:
    """The factors of :data:`FACTORS` that vary in ``scenario``."""
    uncertain = scenario.uncertain()
    out = []
    for name, (_, key) in FACTORS.items():
        if key == "solar":
            varies = scenario.solar.model != "constant"
        else:
            varies = key in uncertain and uncertain[key].kind != "fixed"
        if varies:
            out.append(name)
    return out


def variant(scenario: Scenario, factor: str) -> Scenario:
    """``scenario`` with ``factor`` held fixed within each block
    (``monte_carlo.hold_fixed``), named ``NAME.hold-FACTOR``."""
    key = FACTORS[factor][1]
    held = with_values(scenario, {"monte_carlo.hold_fixed": [key]},
                       name=f"{scenario.name}{HOLD}{factor}",
                       source=f"{scenario.source} (hold {factor})",
                       comment=f"deorbit run --decompose: {scenario.name} with {factor} held "
                               "fixed within each block")
    # the scenario's own Monte Carlo settings as run (a --seed given on the command line)
    return dataclasses.replace(held, monte_carlo=dataclasses.replace(
        scenario.monte_carlo, hold_fixed=(key,)))


def with_variants(scenarios) -> list[Scenario]:
    """Each scenario followed by its variants, one per factor that varies in it."""
    return [v for s in scenarios for v in (s, *(variant(s, f) for f in factors_of(s)))]


@dataclass(frozen=True)
class Share:
    """One factor's part of one quantity's spread.

    Attributes
    ----------
    factor, quantity : str
        Keys of :data:`FACTORS` and :data:`QUANTITIES`.
    share, share_se : float
        S_F, the share of the variance F explains alone, and its bootstrap standard error.
    p5_p95_width, p5_p95_width_known : float
        The full run's P5-P95 width of the quantity, and the median within-block width with
        F known (the quantity's unit).
    n_samples : int
        Samples compared (finite in both runs).
    """

    factor: str
    quantity: str
    share: float
    share_se: float
    p5_p95_width: float
    p5_p95_width_known: float
    n_samples: int


def _values(df, quantity):
    if quantity == "reentry_epoch":
        return df["reentry_epoch_utc_days"].to_numpy(dtype=float)
    outcome = df["outcome"].to_numpy(dtype=float)
    return np.where(np.isnan(outcome), np.nan, np.isin(outcome, UNCONTROLLED).astype(float))


def _block_sums(y, block):
    """Per block of ``block`` (ascending ids): the count, sum, sum of squares and within-block
    sum of squared deviations of y."""
    _, inverse = np.unique(block, return_inverse=True)
    count = np.bincount(inverse).astype(float)
    total = np.bincount(inverse, y)
    squares = np.bincount(inverse, y * y)
    return count, total, squares, squares - total**2 / np.maximum(count, 1.0)


def _pooled(sums, rows=None):
    """Pooled within-block variance (ddof 1 per block) and the total variance, over the
    blocks ``rows`` of :func:`_block_sums` (with repeats: a bootstrap resample)."""
    c, t, s, w = sums if rows is None else (a[rows] for a in sums)
    n = c.sum()
    return w.sum() / (n - np.count_nonzero(c)), (s.sum() - t.sum()**2 / n) / (n - 1.0)


def _width(y):
    return float(np.subtract(*np.percentile(y, [95, 5])))


def decompose(full, variants, block_size, seed=0) -> list[Share]:
    """The shares of each factor in each quantity's spread.

    Parameters
    ----------
    full : pandas.DataFrame
        The scenario's samples (:func:`deorbit.load_run` rows of one scenario).
    variants : dict of str -> pandas.DataFrame
        Factor -> the samples of the scenario with that factor held fixed (:func:`variant`),
        the same sample indices as ``full``.
    block_size : int
        The scenario's ``monte_carlo.block_size`` (the blocks are the groups).
    seed : int
        Seed of the bootstrap.
    """
    rng = np.random.default_rng(seed)
    base = full.set_index("sample")
    out = []
    for factor, df in variants.items():
        held = df.set_index("sample").reindex(base.index)
        block = base.index.to_numpy() // block_size
        for quantity in QUANTITIES:
            y, z = _values(base, quantity), _values(held, quantity)
            ok = np.isfinite(y) & np.isfinite(z)
            b = block[ok]
            n_blocks = np.unique(b).size
            if ok.sum() < 2 * n_blocks + 2 or n_blocks < 2:
                continue
            full_sums, held_sums = _block_sums(y[ok], b), _block_sums(z[ok], b)
            _, total = _pooled(full_sums)
            if not total > 0:   # no spread to share (e.g. no uncontrolled entry at all)
                continue
            known, _ = _pooled(held_sums)
            boot = []
            for _ in range(N_BOOTSTRAP):
                rows = rng.integers(0, n_blocks, n_blocks)
                k, _ = _pooled(held_sums, rows)
                _, v = _pooled(full_sums, rows)
                boot.append(1.0 - k / v if v > 0 else np.nan)
            widths = [_width(z[ok][b == g]) for g in np.unique(b) if np.sum(b == g) >= 10]
            out.append(Share(
                factor=factor, quantity=quantity,
                share=float(1.0 - known / total),
                share_se=float(np.nanstd(boot, ddof=1)),
                p5_p95_width=_width(y[ok]),
                p5_p95_width_known=float(np.median(widths)) if widths else float("nan"),
                n_samples=int(ok.sum())))
    return out


_COLUMNS = ("scenario", "factor", "quantity", "unit", "share", "share_se", "p5_p95_width",
            "p5_p95_width_known", "n_samples")


def write(run_dir) -> Path | None:
    """Decompose every scenario of a run that has variants (``NAME.hold-FACTOR``) and write
    :data:`FILE` in the run directory; None if the run has no variants."""
    from .store import RunStore, load_run

    manifest = RunStore(run_dir).read_manifest()
    entries = {e["name"]: e for e in manifest["scenarios"]}
    rows = []
    samples = None
    for name, entry in entries.items():
        held = {v.split(HOLD, 1)[1]: v for v in entries if v.startswith(name + HOLD)}
        if HOLD in name or not held:
            continue
        if samples is None:
            samples = load_run(run_dir)
        by = {k: samples[samples["scenario"] == v] for k, v in held.items()}
        for sh in decompose(samples[samples["scenario"] == name], by, entry["block_size"]):
            rows.append({"scenario": name, "unit": QUANTITIES[sh.quantity][1],
                         **dataclasses.asdict(sh)})
    if not rows:
        return None
    path = Path(run_dir) / FILE
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=_COLUMNS, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{r[k]:.6g}" if isinstance(r[k], float) else r[k])
                        for k in _COLUMNS})
    return path


def read(run_dir) -> list[dict] | None:
    """The rows of a run's :data:`FILE` (numbers as floats), or None without one."""
    path = Path(run_dir) / FILE
    if not path.exists():
        return None
    with open(path, newline="") as f:
        return [{k: (v if k in ("scenario", "factor", "quantity", "unit") else float(v))
                 for k, v in r.items()} for r in csv.DictReader(f)]


def format_table(rows) -> str:
    """The decomposition as plain text: per scenario and quantity, each factor's share of
    the variance (± its standard error) and the P5-P95 width with the factor known."""
    out = []
    for r in rows:
        label, unit = QUANTITIES[r["quantity"]][0], r["unit"]
        width = ("" if unit == "probability" else f"   P5-P95 {r['p5_p95_width']:.4g} -> "
                 f"{r['p5_p95_width_known']:.4g} {unit} with it known")
        out.append(f"{r['scenario']:<18} {label:<18} {FACTORS[r['factor']][0]:<46} "
                   f"{100 * r['share']:6.1f} ± {100 * r['share_se']:4.1f} %{width}")
    return "\n".join(out)


def ec_table(summary) -> list[dict]:
    """Per scenario with variants, and per variant: the reentry date's P5 and P95 (UTC
    dates) and Ec's mean with its 90 % interval, from a run's summary (``summary.json``).
    ``held`` is the factor held fixed ("" for the scenario itself)."""
    names = summary["scenarios"]
    out = []
    for name in names:
        held = [v for v in names if v.startswith(name + HOLD)]
        if HOLD in name or not held:
            continue
        for v in (name, *held):
            m = names[v]["metrics"]
            ec = m.get("ec_mean") or {}
            out.append({"scenario": name, "held": v.split(HOLD, 1)[1] if HOLD in v else "",
                        "reentry_p5": (m.get("reentry_epoch_p05_utc_days") or {}).get("date_utc"),
                        "reentry_p95": (m.get("reentry_epoch_p95_utc_days") or {}).get(
                            "date_utc"),
                        "ec_mean": ec.get("value"), "ec_ci_low": ec.get("ci_low"),
                        "ec_ci_high": ec.get("ci_high")})
    return out


def format_ec_table(rows) -> str:
    """:func:`ec_table` as plain text."""
    out = []
    for r in rows:
        held = FACTORS[r["held"]][0] if r["held"] else "nothing (all factors vary)"
        ec = ("not computed" if r["ec_mean"] is None else
              f"{r['ec_mean']:.2g} ({r['ec_ci_low']:.2g}-{r['ec_ci_high']:.2g})")
        out.append(f"{r['scenario']:<18} held: {held:<46} reentry P5-P95 {r['reentry_p5']} .. "
                   f"{r['reentry_p95']}   Ec {ec}")
    return "\n".join(out)
