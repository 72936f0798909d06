"""Command-line interface: ``deorbit run``, ``deorbit scenarios``."""
from __future__ import annotations

import argparse
import dataclasses
import sys

DEFAULT_SCENARIOS = ("iss-early", "iss-2028", "iss-2030", "iss-uncontrolled")


def build_parser() -> argparse.ArgumentParser:
    from . import BACKEND, __version__

    parser = argparse.ArgumentParser(
        prog="deorbit",
        description="Monte Carlo reentry engine: when a decaying spacecraft comes down, and "
                    "with what spread. Scenarios (TOML) in, risk distributions out, on a local "
                    "Dask cluster or an existing one.",
        epilog="Examples:\n"
               "  deorbit run                          built-in ISS scenarios, local cluster\n"
               "  deorbit run smallsat-lifetime --samples 5000 --workers 2\n"
               "  deorbit run my.toml --scheduler tcp://10.0.0.5:8786 --out runs/my\n"
               "  deorbit run my.toml --out runs/my --resume     continue after a crash\n"
               "  deorbit scenarios list | deorbit scenarios show iss-uncontrolled\n"
               "  deorbit report runs/my                        HTML report of a run\n"
               "  deorbit compare runs/a runs/b                 differences with errors",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version",
                        version=f"deorbit {__version__} (kernel backend: {BACKEND})")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser(
        "run", help="run scenarios and print the summary table",
        description="Run Monte Carlo scenarios on Dask and write a run directory: "
                    "manifest.json (scenarios, seed, versions), blocks/ (per-sample arrays, "
                    "one file per finished block), summary.json and summary.csv (figures with "
                    "Monte Carlo standard errors), report/report.html. Each sample: decay "
                    "under sampled solar activity, deorbit operations if the scenario has a "
                    "deorbit vehicle, breakup, fragments to the ground, casualty expectation.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                     default=list(DEFAULT_SCENARIOS),
                     help="built-in scenario names (deorbit scenarios list) or paths to .toml "
                          "files (default: iss-early iss-2028 iss-2030 iss-uncontrolled)")
    run.add_argument("--samples", type=int, metavar="N",
                     help="sample cap per scenario (default: each scenario's "
                          "monte_carlo.samples)")
    run.add_argument("--out", metavar="DIR",
                     help="run directory (default: deorbit-runs/run-YYYYmmdd-HHMMSS)")
    run.add_argument("--workers", type=int, metavar="N",
                     help="worker processes of the local cluster (default: number of CPUs)")
    run.add_argument("--scheduler", metavar="ADDR",
                     help="address of an existing Dask scheduler, e.g. tcp://host:8786 "
                          "(default: start a LocalCluster on 127.0.0.1)")
    run.add_argument("--seed", type=int, metavar="S",
                     help="root random seed for every scenario (default: each scenario's "
                          "monte_carlo.seed)")
    run.add_argument("--resume", action="store_true",
                     help="continue the interrupted run in --out (start it if --out is "
                          "absent or empty); block files that are not its blocks are computed "
                          "again; refused if its scenarios, seeds, the files they read, or "
                          "deorbit's version or code differ")
    run.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                     help="progress bar with samples/s and ETA (default: on a terminal)")
    run.add_argument("--no-report", action="store_true",
                     help="do not write the HTML report (RUN_DIR/report/report.html)")

    rep = sub.add_parser("report", help="write the HTML report of a run directory",
                         description="Write one self-contained HTML report (figures embedded) "
                                     "plus the PNGs of a run directory.",
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    rep.add_argument("run_dir", metavar="RUN_DIR", help="a run directory (deorbit run --out)")
    rep.add_argument("--out", metavar="DIR", help="output directory (default: RUN_DIR/report)")

    cmp_ = sub.add_parser(
        "compare", help="differences between runs or scenarios, with standard errors",
        description="Differences (B - A) of the headline figures of two runs' common "
                    "scenarios, or of two scenarios (--scenario-a/-b) of one run, each with "
                    "its standard error: paired per sample when both used the same seed and "
                    "samples (common random numbers: sharp), else independent.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    cmp_.add_argument("run_a", metavar="RUN_A")
    cmp_.add_argument("run_b", metavar="RUN_B", nargs="?",
                      help="second run (default: compare scenarios within RUN_A)")
    cmp_.add_argument("--scenario-a", metavar="NAME", help="scenario of RUN_A")
    cmp_.add_argument("--scenario-b", metavar="NAME", help="scenario of RUN_B (or of RUN_A)")

    sc = sub.add_parser("scenarios", help="list or show the built-in scenarios",
                        description="List the built-in scenarios, or print one as TOML.")
    sc.add_argument("action", choices=("list", "show"), nargs="?", default="list")
    sc.add_argument("name", nargs="?", help="scenario to show (with 'show')")
    return parser


def _fmt(fig, digits=3, pct=False):
    if fig is None:
        return "not computed"
    if fig.get("value") is None:
        return "after horizon"
    if "date_utc" in fig:
        return fig["date_utc"]
    v, se = fig["value"], fig.get("standard_error")
    if pct:
        return f"{100 * v:.1f} ± {100 * se:.1f} %" if se is not None else f"{100 * v:.1f} %"
    return f"{v:.{digits}g} ± {se:.2g}" if se is not None else f"{v:.{digits}g}"


def _fmt_ec(fig):
    if fig is None or fig.get("value") is None:
        return "not computed"
    flag = " > 1e-4!" if fig.get("ci_high", fig["value"]) > 1e-4 else ""
    if "ci_low" not in fig:
        return f"{fig['value']:.2g}{flag}"
    return f"{fig['value']:.2g} ({fig['ci_low']:.2g}-{fig['ci_high']:.2g}){flag}"


def format_table(summary) -> str:
    """The per-scenario summary as a plain-text table (standard errors after ±)."""
    cols = ["scenario", "samples", "P(controlled)", "P(uncontrolled)", "P(in orbit)",
            "reentry P5", "reentry P50", "reentry P95", "Ec mean (90 % CI)",
            "P(debris outside zone)"]
    rows = []
    for name, s in summary["scenarios"].items():
        m = s["metrics"]
        rows.append([name, str(m["samples"]["value"]), _fmt(m["p_controlled"], pct=True),
                     _fmt(m["p_uncontrolled"], pct=True),
                     _fmt(m["p_in_orbit_at_horizon"], pct=True),
                     _fmt(m["reentry_epoch_p05_utc_days"]), _fmt(m["reentry_epoch_p50_utc_days"]),
                     _fmt(m["reentry_epoch_p95_utc_days"]), _fmt_ec(m.get("ec_mean")),
                     _fmt(m.get("p_debris_outside_zone"), pct=True)])
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
    line = "  ".join(c.ljust(w) for c, w in zip(cols, widths))
    out = [line, "-" * len(line)]
    out += ["  ".join(v.ljust(w) for v, w in zip(r, widths)) for r in rows]
    return "\n".join(out)


def _run(args) -> int:
    from .runner import default_out_dir, run
    from .scenario import load_scenario

    scenarios = [load_scenario(s) for s in args.scenarios]
    if args.seed is not None:
        scenarios = [dataclasses.replace(s, monte_carlo=dataclasses.replace(
            s.monte_carlo, seed=args.seed)) for s in scenarios]
    if args.resume and not args.out:
        print("deorbit run: --resume needs --out DIR (the run directory to continue)",
              file=sys.stderr)
        return 2
    if args.samples is not None and args.samples < 1:
        print(f"deorbit run: --samples = {args.samples}: allowed >= 1", file=sys.stderr)
        return 2
    out = args.out or default_out_dir()
    summary = run(scenarios, out, samples=args.samples, workers=args.workers,
                  scheduler=args.scheduler, resume=args.resume, progress=args.progress)
    print(format_table(summary))
    print(f"\nrun directory: {out}  (summary.json, summary.csv; "
          "load with deorbit.load_run)")
    if not args.no_report:
        from .report import write_report

        print(f"report: {write_report(out)}")
    return 0


def _report(args) -> int:
    from .report import write_report

    print(write_report(args.run_dir, args.out))
    return 0


def _compare(args) -> int:
    from .report import compare_runs, format_comparison

    print(format_comparison(compare_runs(args.run_a, args.run_b, scenario_a=args.scenario_a,
                                         scenario_b=args.scenario_b)))
    return 0


def _scenarios(args) -> int:
    from .scenario import builtin_names, load_scenario

    if args.action == "list":
        for name in builtin_names():
            print(f"{name:24s} {load_scenario(name).title}")
        return 0
    if not args.name:
        print("deorbit scenarios show: give a NAME (see 'deorbit scenarios list')",
              file=sys.stderr)
        return 2
    print(load_scenario(args.name).text, end="")
    return 0


def main(argv=None) -> int:
    from .runner import RunStoreError
    from .scenario import ScenarioError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "scenarios":
            return _scenarios(args)
        if args.command == "report":
            return _report(args)
        if args.command == "compare":
            return _compare(args)
    except (ScenarioError, RunStoreError) as exc:
        print(f"deorbit: {exc}", file=sys.stderr)
        return 2
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
