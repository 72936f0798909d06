"""Parameter sweeps: one scenario run at several values of one or more of its keys, with the
differences between values given paired standard errors.

``deorbit sweep SCENARIO --set KEY.PATH=v1,v2,... [--set ...]``:

- Each ``--set`` names a key path of the scenario file (a number or a date, e.g.
  ``operations.altitude_maintenance.dv_budget_m_s`` or
  ``operations.deorbit_vehicle.ready_utc.mode``) and its values. Several ``--set`` make a
  grid; the first key is the one the figures put on their x axis (it varies fastest), one
  line per combination of the others.
- Each value makes a *variant*: the scenario's TOML with the key set (and
  ``monte_carlo.convergence`` removed, so that every variant runs the same samples), parsed
  by the scenario's own parser, so a bad value is the parser's one-line error naming the
  key. The variants are named ``SCENARIO.K`` (K = 0, 1, ...).
- The variants run as the scenarios of one run (:func:`deorbit.runner.run`: its store,
  its resume, its workers wherever they are, a LocalCluster, a scheduler or batch jobs
  with ``--cluster``, and its reproducibility for any worker count). They share the seed, the block
  size and the sample indices, so sample i of every variant sees the same random draws
  (common random numbers, :mod:`deorbit.sampling`): the differences between values are
  paired, and their standard errors (:func:`deorbit.report.compare_runs`) are sharp.
- Beside the run's own files, the run directory gets ``sweep.json`` (the definition and
  every figure), ``sweep.csv`` (one row per variant; units in the column names) and a
  figure per headline metric, ``sweep-METRIC.png`` (the value with its standard error
  against the swept value, and the paired difference from the first value); the report
  shows them (:mod:`deorbit.report.html`).
"""
from __future__ import annotations

import csv
import itertools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from .scenario import ScenarioError, load_scenario, with_values
from .time import epoch_from_datetime

#: The headline figures of a sweep: (summary key, column stem of the value, column stem of
#: a difference). Each is in :data:`deorbit.metrics.COMPARED` (it has a paired difference).
HEADLINE = (
    ("p_uncontrolled", "p_uncontrolled", "p_uncontrolled"),
    ("ec_mean", "ec_mean_casualties", "ec_mean_casualties"),
    ("p_debris_outside_zone", "p_debris_outside_zone", "p_debris_outside_zone"),
    ("reentry_epoch_p05_utc_days", "reentry_epoch_p05_utc_days", "reentry_epoch_p05_days"),
    ("reentry_epoch_p50_utc_days", "reentry_epoch_p50_utc_days", "reentry_epoch_p50_days"),
    ("reentry_epoch_p95_utc_days", "reentry_epoch_p95_utc_days", "reentry_epoch_p95_days"),
)
_INTEGER = re.compile(r"[+-]?[0-9]+")


class SweepError(ValueError):
    """A sweep that cannot be made as asked; the message is one line naming the ``--set``."""


@dataclass(frozen=True)
class Setting:
    """One ``--set``: a key path of the scenario file and its values (numbers, or dates as
    ISO 8601 strings)."""

    path: str
    values: tuple
    is_date: bool

    @property
    def text(self):
        return f"{self.path}={','.join(str(v) for v in self.values)}"


@dataclass(frozen=True)
class Variant:
    """One point of the sweep: its values (key path -> value), its place (``group``: the
    combination of the other keys; ``position`` along the first key) and its scenario."""

    name: str
    values: dict
    group: int
    position: int
    scenario: object


def parse_set(text: str) -> Setting:
    """``KEY.PATH=v1,v2,...`` as a :class:`Setting`; :class:`SweepError` if malformed.

    Each value is a number (an integer stays an integer) or an ISO 8601 date; all values of
    one key are numbers, or all are dates.
    """
    path, sep, rest = text.partition("=")
    path = path.strip()
    if not sep or not path or not rest.strip():
        raise SweepError(f"--set {text!r}: expected KEY.PATH=v1,v2,... (e.g. "
                         "operations.altitude_maintenance.dv_budget_m_s=0,10,20)")
    if not all(part.strip() for part in path.split(".")):
        raise SweepError(f"--set {path}: an empty part in the key path")
    values = tuple(_value(path, v.strip()) for v in rest.split(","))
    dates = [isinstance(v, str) for v in values]
    if any(dates) and not all(dates):
        raise SweepError(f"--set {path}: mixes numbers and dates ({rest}); give one kind")
    if len(set(values)) != len(values):
        raise SweepError(f"--set {path}: a value is given twice ({rest})")
    return Setting(path, values, all(dates))


def _value(path, token):
    """A --set value: an int, a finite float, or an ISO 8601 date (kept as its string)."""
    if _INTEGER.fullmatch(token):
        return int(token)
    try:
        number = float(token)
    except ValueError:
        number = None
    if number is not None:
        if not math.isfinite(number):
            raise SweepError(f"--set {path}: {token!r}: expected a finite number")
        return number
    try:
        epoch_from_datetime(token)
    except ValueError:
        raise SweepError(f"--set {path}: {token!r}: expected a number or an ISO 8601 date "
                         "such as 2028-01-01") from None
    return token


def variants(scenario, settings) -> list[Variant]:
    """The sweep's variants of a scenario (a built-in name or a file), each parsed and
    validated; the first setting varies fastest.

    Raises
    ------
    SweepError
        Settings that repeat or nest a key, or a key path through a value.
    deorbit.scenario.ScenarioError
        A value the scenario's parser refuses (the message names the key path).
    """
    if not settings:
        raise SweepError("give at least one --set KEY.PATH=v1,v2,...")
    paths = [s.path for s in settings]
    for a, b in itertools.permutations(paths, 2):
        if a == b or b.startswith(a + "."):
            raise SweepError(f"--set {b}: {'given twice' if a == b else f'inside --set {a}'}")
    base = load_scenario(scenario)
    others = list(itertools.product(*(s.values for s in settings[1:])))
    out = []
    for group, rest in enumerate(others):
        for position, first in enumerate(settings[0].values):
            values = dict(zip(paths, (first, *rest)))
            k = len(out)
            out.append(Variant(_name(base.name, k), values, group, position,
                               _variant_scenario(base, values, k)))
    return out


def _name(base, k):
    suffix = f".{k}"
    return base[: 64 - len(suffix)] + suffix


def _variant_scenario(base, values, k):
    """The scenario of one variant: the base with the values set, without its convergence
    target (every variant runs the same samples)."""
    setting = ", ".join(f"{p} = {v}" for p, v in values.items())
    sets = " ".join(f"--set {p}={v}" for p, v in values.items())
    try:
        return with_values(
            base, {**values, "monte_carlo.convergence": None}, name=_name(base.name, k),
            title=f"{base.title} [{setting}]", source=f"{base.source} {sets}",
            comment=f"deorbit sweep: variant {k} of {base.name} ({base.source}, sha256 "
                    f"{base.sha256[:12]}): {setting}\nmonte_carlo.convergence removed: every "
                    "variant runs the same samples (common random numbers).")
    except ScenarioError as exc:
        through = [p for p in values if p.startswith(f"{exc.path}.")]
        if through:   # a key path through a value of the file
            raise SweepError(f"--set {through[0]}: {exc.path} is a value in {base.source}, "
                             "not a table") from None
        raise


def run_sweep(scenario, settings, out_dir, *, samples=None, workers=None, scheduler=None,
              client=None, resume=False, progress=None, log=print, no_worker_timeout_s=None,
              job_queue=None, scheduler_file=None) -> dict:
    """Run every variant (one :func:`deorbit.runner.run`), then write ``sweep.json``,
    ``sweep.csv`` and the figures into ``out_dir``.

    Parameters
    ----------
    scenario : str or Path
        A built-in scenario name or a scenario file.
    settings : list of Setting
        The swept keys and their values (:func:`parse_set`); the first varies fastest.
    out_dir : str or Path
        Run directory.
    samples, resume, progress, log
        Passed to :func:`deorbit.runner.run`: the sample cap per variant, ``--resume``, the
        progress display and the message sink.
    workers, scheduler, client, job_queue, scheduler_file, no_worker_timeout_s
        Passed to :func:`deorbit.runner.run`: where the workers are (a LocalCluster of
        ``workers``, a ``scheduler`` address, a ``client``, the batch jobs of a
        :class:`deorbit.cluster.JobQueue`, or the scheduler of ``scheduler_file``) and the
        seconds without a live worker before giving up.

    Returns
    -------
    dict
        The sweep (:func:`summarize_sweep`).
    """
    from .runner import run

    vs = variants(scenario, settings)
    run([v.scenario for v in vs], out_dir, samples=samples, workers=workers,
        scheduler=scheduler, client=client, resume=resume, progress=progress, log=log,
        no_worker_timeout_s=no_worker_timeout_s, job_queue=job_queue,
        scheduler_file=scheduler_file)
    result = summarize_sweep(out_dir, scenario, settings, vs)
    write_sweep(out_dir, result)
    return result


def summarize_sweep(run_dir, scenario, settings, vs) -> dict:
    """Every headline figure of every variant, with its standard error and its paired
    differences from the first and from the previous value of the first key (same values
    of the others), from the finished run in ``run_dir``."""
    from .report import compare_runs

    summary = json.loads((Path(run_dir) / "summary.json").read_text())["scenarios"]
    rows, method = [], None
    for v in vs:
        m = summary[v.name]["metrics"]
        row = {"name": v.name, "values": v.values, "group": v.group, "position": v.position,
               "samples": m["samples"]["value"], "metrics": {}}
        first = next(u for u in vs if u.group == v.group and u.position == 0)
        prev = next((u for u in vs if u.group == v.group and u.position == v.position - 1),
                    None)
        diffs = {}
        for tag, ref in (("minus_first", first), ("minus_previous", prev)):
            if ref is None or ref is v:
                continue
            c = compare_runs(run_dir, scenario_a=ref.name, scenario_b=v.name)["comparisons"][0]
            method = c["method"]
            diffs[tag] = c["metrics"]
        for key, _, _ in HEADLINE:
            fig = m.get(key)
            if fig is None:
                continue
            entry = {k: fig.get(k) for k in ("value", "standard_error", "date_utc")
                     if k in fig}
            for tag, d in diffs.items():
                if key in d:
                    entry[tag] = {k: d[key][k] for k in ("difference", "standard_error",
                                                         "se_method")}
            row["metrics"][key] = entry
        if "maintenance_dv_mean_m_s" in m:
            row["metrics"]["maintenance_dv_mean_m_s"] = {
                k: m["maintenance_dv_mean_m_s"].get(k) for k in ("value", "standard_error")}
        rows.append(row)
    base = load_scenario(scenario)
    return {"scenario": base.name, "source": base.source, "sha256": base.sha256,
            "settings": [{"path": s.path, "values": list(s.values), "is_date": s.is_date}
                         for s in settings],
            "paired": method, "variants": rows}


def table_rows(result):
    """The sweep as CSV rows (a header, then one row per variant): the swept values, then
    per headline figure its value, standard error and paired differences (units in the
    column names: probabilities, casualties per reentry, UTC days since J2000 and days)."""
    paths = [s["path"] for s in result["settings"]]
    header = ["variant", *paths, "samples"]
    for _, stem, dstem in HEADLINE:
        header += [stem, f"{stem}_se"]
        if stem.endswith("_utc_days"):
            header.append(stem.replace("_utc_days", "_date_utc"))
        header += [f"{dstem}_minus_first", f"{dstem}_minus_first_se",
                   f"{dstem}_minus_previous", f"{dstem}_minus_previous_se"]
    header += ["maintenance_dv_mean_m_s", "maintenance_dv_mean_m_s_se"]
    out = [header]
    for r in result["variants"]:
        row = [r["name"], *(r["values"][p] for p in paths), r["samples"]]
        for key, stem, _ in HEADLINE:
            f = r["metrics"].get(key, {})
            row += [f.get("value"), f.get("standard_error")]
            if stem.endswith("_utc_days"):
                row.append(f.get("date_utc"))
            for tag in ("minus_first", "minus_previous"):
                d = f.get(tag, {})
                row += [d.get("difference"), d.get("standard_error")]
        dv = r["metrics"].get("maintenance_dv_mean_m_s", {})
        row += [dv.get("value"), dv.get("standard_error")]
        out.append(["" if v is None else v for v in row])
    return out


def write_sweep(run_dir, result):
    """``sweep.json``, ``sweep.csv`` and ``sweep-METRIC.png`` (one per headline figure)."""
    from .report.html import sweep_figures

    run_dir = Path(run_dir)
    (run_dir / "sweep.json").write_text(json.dumps(result, indent=1) + "\n")
    with open(run_dir / "sweep.csv", "w", newline="") as f:
        csv.writer(f).writerows(table_rows(result))
    for key, png in sweep_figures(result):
        (run_dir / f"sweep-{key}.png").write_bytes(png)


def format_sweep(result) -> str:
    """The sweep as a plain-text table: P(uncontrolled), Ec and the median reentry date per
    variant, each ± its standard error, and P(uncontrolled)'s paired difference from the
    previous value."""
    paths = [s["path"] for s in result["settings"]]
    cols = ["variant", *paths, "P(uncontrolled)", "vs previous (paired)", "Ec mean",
            "reentry P50"]
    rows = []
    for r in result["variants"]:
        p = r["metrics"].get("p_uncontrolled", {})
        d = p.get("minus_previous")
        ec = r["metrics"].get("ec_mean", {})
        med = r["metrics"].get("reentry_epoch_p50_utc_days", {})
        rows.append([r["name"], *(str(r["values"][k]) for k in paths),
                     _pct(p.get("value"), p.get("standard_error")),
                     "" if d is None else _pct(d["difference"], d["standard_error"], True),
                     "n/a" if ec.get("value") is None else
                     f"{ec['value']:.2g} ± {ec.get('standard_error') or 0:.1g}",
                     med.get("date_utc") or "after horizon"])
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths))]
    lines.append("-" * len(lines[0]))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in rows]
    lines.append(f"standard errors: {result['paired'] or 'one value: no differences'}")
    return "\n".join(lines)


def _pct(v, se, signed=False):
    if v is None:
        return "n/a"
    sign = "+" if signed and v > 0 else ""
    return f"{sign}{100 * v:.1f} ± {100 * (se or 0):.1f} %"
