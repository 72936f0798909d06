"""Command-line interface: ``deorbit run``, ``report``, ``compare``, ``fit-bc``,
``validate``, ``scenarios``, ``sweep``."""
from __future__ import annotations

import argparse
import dataclasses
import math
import re
import shlex
import sys
from pathlib import Path

DEFAULT_SCENARIOS = ("iss-early", "iss-2028", "iss-2030", "iss-uncontrolled")


class _Parser(argparse.ArgumentParser):
    """argparse with its errors on one line (what is wrong, where to read more), exit 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _number(kind, low, *, low_open=False, high=None):
    """An argparse ``type``: a finite ``kind`` (int or float) >= low (> low if
    ``low_open``) and <= high, else a one-line error saying what is allowed."""
    allowed = (f"{'an integer' if kind is int else 'a number'} "
               f"{'>' if low_open else '>='} {low:g}"
               + (f" and <= {high}" if high is not None else ""))

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: allowed {allowed}") from None
        if not (math.isfinite(value) and (value > low if low_open else value >= low)
                and (high is None or value <= high)):
            raise argparse.ArgumentTypeError(f"{text}: allowed {allowed}")
        return value
    return parse


def build_parser() -> argparse.ArgumentParser:
    from . import BACKEND, __version__
    from .atmosphere.models import DEFAULT_MODEL, DENSITY_MODELS

    parser = _Parser(
        prog="deorbit",
        description="Monte Carlo reentry engine: when a decaying spacecraft comes down, and "
                    "with what spread. Scenarios (TOML) in, risk distributions out, on a local "
                    "Dask cluster or an existing one.",
        epilog="Examples:\n"
               "  deorbit run                          built-in ISS scenarios, local cluster\n"
               "  deorbit run smallsat-lifetime --samples 5000 --workers 2\n"
               "  deorbit run my.toml --scheduler tcp://10.0.0.5:8786 --out runs/my\n"
               "  deorbit run my.toml --cluster slurm --jobs 4 --cores 8 --memory 16GB "
               "--walltime 01:00:00\n"
               "  deorbit run my.toml --out runs/my --resume     continue after a crash\n"
               "  deorbit scenarios list | deorbit scenarios show iss-uncontrolled\n"
               "  deorbit report runs/my                        HTML report of a run\n"
               "  deorbit compare runs/a runs/b                 differences with errors\n"
               "  deorbit sweep iss-early-maintained --set "
               "operations.altitude_maintenance.dv_budget_m_s=0,20,80\n"
               "  deorbit fit-bc iss-tle-2026-05                BC fitted to tracking data\n"
               "  deorbit validate                              hindcasts of real reentries",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version",
                        version=f"deorbit {__version__} (kernel backend: {BACKEND})")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser(
        "run", help="run scenarios and print the summary table",
        description="Run Monte Carlo scenarios on Dask and write a run directory: "
                    "manifest.json (scenarios, seed, versions), samples/ (per-sample Parquet "
                    "dataset partitioned by scenario, one file per finished block), "
                    "summary.json and summary.csv (figures with "
                    "Monte Carlo standard errors), report/report.html. Each sample: decay "
                    "under sampled solar activity, deorbit operations if the scenario has a "
                    "deorbit vehicle, breakup, fragments to the ground, casualty expectation.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                     default=list(DEFAULT_SCENARIOS),
                     help="built-in scenario names (deorbit scenarios list) or paths to .toml "
                          "files (default: iss-early iss-2028 iss-2030 iss-uncontrolled)")
    run.add_argument("--samples", type=_number(int, 1), metavar="N",
                     help="sample cap per scenario (default: each scenario's "
                          "monte_carlo.samples)")
    _run_dir_options(run)
    _cluster_options(run)
    run.add_argument("--seed", type=_number(int, 0, high=2**63 - 1), metavar="S",
                     help="root random seed for every scenario (default: each scenario's "
                          "monte_carlo.seed)")
    run.add_argument("--resume", action="store_true",
                     help="continue the interrupted run in --out (start it if --out is "
                          "absent or empty); block files that are not its blocks are computed "
                          "again; refused if its scenarios, seeds, the files they read, or "
                          "deorbit's version or code differ")
    run.add_argument("--no-convergence", action="store_true",
                     help="run every sample asked for, even where a scenario's "
                          "monte_carlo.convergence target is met earlier")
    _output_options(run)
    run.add_argument("--set", dest="overrides", action="append", type=_override, default=[],
                     metavar="KEY.PATH=VALUE",
                     help="set a key of every scenario before the run (repeatable); VALUE is a "
                          "TOML value, e.g. --set 'atmosphere.model={ dist = \"choice\", values "
                          "= [\"nrlmsise00\", \"nrlmsis21\", \"dtm2000\"] }' or --set "
                          "vehicle.ballistic_coefficient_kg_m2=110 (a bare word is a string); "
                          "the scenario's own checks apply")
    run.add_argument("--decompose", action="store_true",
                     help="also run each scenario once per uncertain factor (solar activity, "
                          "ballistic coefficient, density model, density scale) held fixed "
                          "within each block, as scenarios NAME.hold-FACTOR, and write "
                          "RUN_DIR/decomposition.csv: each factor's share of the variance of "
                          "the reentry date and of P(uncontrolled), and each variant's Ec in "
                          "the report (costs 1 + factors times the run)")

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

    fit = sub.add_parser(
        "fit-bc", help="fit the ballistic coefficient m/(Cd A) to tracking data",
        description="Fit the ballistic coefficient that deorbit's own density model (the "
                    "NRLMSISE-00 orbit table with the observed daily space weather) needs to "
                    "follow a tracking arc: an OEM (least squares on positions: initial state "
                    "and BC) or a series of TLE/OMM element sets of one object (the decay of "
                    "the mean semi-major axis between sets, Saunders et al. 2012). Prints the "
                    "estimate with its 1-sigma, the residuals and a [vehicle] TOML snippet.",
        epilog="Examples:\n"
               "  deorbit fit-bc iss-oem-2022-02 --until 2022-02-26T01:30   (packaged NASA arc,"
               "\n                                            stopped before its reboost)\n"
               "  deorbit fit-bc iss-tle-2026-05 --json\n"
               "  deorbit fit-bc my.oem --fit density-scale --bc 91   calibrate a header BC\n"
               "Packaged data: iss-oem-2022-02 (NASA ISS ephemeris, Feb 2022), "
               "iss-tle-2026-05 (21 ISS TLEs, May 2026).",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    fit.add_argument("file", metavar="FILE",
                     help="OEM/OPM (KVN or XML), TLE/3LE or OMM (KVN, XML, JSON, CSV) file, "
                          "plain or gzip, or a packaged name (see below)")
    fit.add_argument("--fit", choices=("bc", "density-scale"), default="bc",
                     help="what to fit: the BC (default), or a density scale with the BC held "
                          "at --bc (OEM only)")
    fit.add_argument("--bc", type=_number(float, 0, low_open=True), metavar="KG_M2",
                     help="starting (or, with --fit density-scale, held) BC, kg/m^2 "
                          "(default: the file's header mass/(Cd A), else 100)")
    fit.add_argument("--since", metavar="UTC", help="use data from this ISO 8601 epoch on")
    fit.add_argument("--until", metavar="UTC",
                     help="use data up to this ISO 8601 epoch (e.g. before a manoeuvre)")
    fit.add_argument("--min-gap", type=_number(float, 0, low_open=True), default=1.0,
                     metavar="DAYS",
                     help="element sets: shortest time between the two sets of a pair "
                          "(default 1 day)")
    fit.add_argument("--model", choices=tuple(DENSITY_MODELS), default=DEFAULT_MODEL,
                     help="the density model the BC is fitted for (default nrlmsise00, the "
                          "scenarios' model; a BC does not carry over between models)")
    fit.add_argument("--json", action="store_true",
                     help="print one JSON object (bc_kg_m2, bc_sigma_kg_m2, residuals, ...)")

    val = sub.add_parser(
        "validate", help="hindcast real reentries and the ISS arc (takes ~15 s)",
        description="Run the packaged registry of real uncontrolled reentries: fit the BC "
                    "to the element sets before each cut-off (0.5, 1, 2 and 4 days before "
                    "the official reentry epoch, where there are data), predict the 90 %% "
                    "window of the epoch at 80 km with the observed space weather, and "
                    "compare with the official epoch. Then fit NASA's Feb-2022 ISS arc and "
                    "report its decay residual and in-track errors.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    val.add_argument("--json", action="store_true", help="print the rows as JSON")

    sc = sub.add_parser("scenarios", help="list or show the built-in scenarios",
                        description="List the built-in scenarios, or print one as TOML.")
    sc.add_argument("action", choices=("list", "show"), nargs="?", default="list")
    sc.add_argument("name", nargs="?", help="scenario to show (with 'show')")
    _sweep_parser(sub)
    return parser


def _run_dir_options(p):
    """The options of ``run`` and ``sweep`` that say where the run directory goes and where
    the workers are (a local cluster, or an existing scheduler)."""
    p.add_argument("--out", metavar="DIR",
                   help="run directory (default: deorbit-runs/run-YYYYmmdd-HHMMSS)")
    p.add_argument("--workers", type=_number(int, 1), metavar="N",
                   help="worker processes of the local cluster (default: number of CPUs)")
    p.add_argument("--scheduler", metavar="ADDR",
                   help="address of an existing Dask scheduler, e.g. tcp://host:8786 "
                        "(default: start a LocalCluster on 127.0.0.1)")


def _output_options(p):
    """The options of ``run`` and ``sweep`` for what is shown and written besides the run:
    the progress bar and the report."""
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar with samples/s and ETA (default: a bar on a "
                        "terminal; else a line every 10 s and at each quarter)")
    p.add_argument("--no-report", action="store_true",
                   help="do not write the HTML report (RUN_DIR/report/report.html)")


def _write_report(args, out):
    """The HTML report of the run in ``out``, unless ``--no-report``."""
    if not args.no_report:
        from .report import write_report

        print("writing the report ...", file=sys.stderr, flush=True)
        print(f"report: {write_report(out)}")


def _sweep_parser(sub):
    """``deorbit sweep``: a scenario at several values of its keys (:mod:`deorbit.sweep`)."""
    from .sweep import parse_set

    def setting(text):
        try:
            return parse_set(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    sw = sub.add_parser(
        "sweep", help="run a scenario at several values of its keys (paired differences)",
        description="Run one scenario at each value of one or more of its keys (numbers or "
                    "dates of the scenario file, e.g. a reboost budget or a ready date), with "
                    "common random numbers across values: the differences between values "
                    "get paired standard errors. Writes a run directory (as deorbit run) "
                    "plus sweep.csv, sweep.json and a figure per headline metric "
                    "(sweep-*.png); the report shows the sweep.",
        epilog="Examples:\n"
               "  deorbit sweep iss-early-maintained --set "
               "operations.altitude_maintenance.dv_budget_m_s=0,10,20,40,80\n"
               "  deorbit sweep iss-early --set "
               "operations.deorbit_vehicle.ready_utc.mode=2028-01-01,2029-01-01 "
               "--samples 500\n"
               "  deorbit sweep iss-early-maintained --set "
               "operations.altitude_maintenance.dv_budget_m_s=0,10,20,40,80 --samples 20000 "
               "\\\n"
               "      --out runs/sweep --cluster slurm --jobs 4 --cores 8 --memory 16GB "
               "--walltime 01:00:00\n"
               "      the workers as 4 SLURM batch jobs (8 single-threaded workers each); "
               "after an error\n"
               "      or Ctrl-C, one line gives the whole command that continues the sweep "
               "(the same\n"
               "      words, then --out runs/sweep --resume)",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sw.add_argument("scenario", metavar="SCENARIO",
                    help="a built-in scenario name or the path of a .toml file")
    sw.add_argument("--set", dest="settings", action="append", type=setting, required=True,
                    metavar="KEY.PATH=V1,V2,...",
                    help="a key path of the scenario file and its values (numbers or ISO "
                         "dates); several --set make a grid, the first on the figures' x axis")
    sw.add_argument("--samples", type=_number(int, 1), metavar="N",
                    help="samples per value (default: the scenario's monte_carlo.samples)")
    sw.add_argument("--resume", action="store_true",
                    help="continue the interrupted sweep in --out (same scenario, --set and "
                         "--samples; the workers may be elsewhere)")
    _run_dir_options(sw)
    _cluster_options(sw)
    _output_options(sw)


def _sweep(args) -> int:
    from .runner import RunError, default_out_dir
    from .sweep import format_sweep, run_sweep

    if args.resume and not args.out:
        print("deorbit sweep: --resume needs --out DIR (the run directory to continue)",
              file=sys.stderr)
        return 2
    try:
        where = _worker_options(args)
    except ValueError as exc:
        print(f"deorbit sweep: {exc}", file=sys.stderr)
        return 2
    out = args.out or str(default_out_dir())
    try:
        result = run_sweep(args.scenario, args.settings, out, samples=args.samples,
                           resume=args.resume, progress=args.progress, **where)
    except (RunError, KeyboardInterrupt) as exc:
        return _stopped(args, out, exc)
    print(format_sweep(result))
    print(f"\nrun directory: {out}  (sweep.csv, sweep.json, sweep-*.png)")
    _write_report(args, out)
    return 0


def _override(text):
    """``KEY.PATH=VALUE`` of ``run --set``: the key path, the TOML value (a bare word that
    is not TOML: that string) and the text as given."""
    import tomllib

    path, sep, value = text.partition("=")
    path, value = path.strip(), value.strip()
    if not sep or not path or not value or not all(p.strip() for p in path.split(".")):
        raise argparse.ArgumentTypeError(f"{text!r}: expected KEY.PATH=VALUE, e.g. "
                                         "vehicle.ballistic_coefficient_kg_m2=110")
    try:
        return path, tomllib.loads(f"v = {value}")["v"], text
    except tomllib.TOMLDecodeError:
        if re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]*", value):
            return path, value, text
        raise argparse.ArgumentTypeError(f"{path}: {value!r} is not a TOML value "
                                         "(quote strings, e.g. '\"nrlmsis21\"')") from None


def _with_overrides(scenario, overrides):
    """The scenario with ``run --set``'s values (the same name: a run of the changed
    scenario pairs with a run of the original in ``deorbit compare``)."""
    from .scenario import with_values

    if not overrides:
        return scenario
    sets = shlex.join(w for _, _, text in overrides for w in ("--set", text))
    return with_values(scenario, {p: v for p, v, _ in overrides}, name=scenario.name,
                       source=f"{scenario.source} {sets}",
                       comment=f"deorbit run {scenario.source} {sets}")


def _checked(parse):
    """An argparse ``type`` from a parser that raises ValueError with its one-line reason."""
    def check(text):
        try:
            parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        return text
    return check


def _cluster_options(p):
    """The options of ``run`` and ``sweep`` for batch jobs (dask-jobqueue), for a scheduler
    file, and for how long to wait without a live worker (checked by :func:`_job_queue`)."""
    from .cluster import SYSTEMS, memory_bytes, walltime_seconds

    jq = p.add_argument_group(
        "batch jobs", "Run the Dask workers as batch jobs of a job queue (needs dask-jobqueue: "
        'pip install "deorbit[cluster]"), from a login node or a batch job; the options not '
        "given here (network interface, directories, extra directives) come from Dask's "
        "jobqueue configuration. A job whose workers all left (scancel, walltime) is "
        "replaced; the jobs are cancelled when the run ends.")
    jq.add_argument("--cluster", choices=tuple(SYSTEMS),
                    help="the job queue: slurm, pbs, sge or lsf (needs --jobs)")
    jq.add_argument("--jobs", type=_number(int, 1), metavar="N",
                    help="batch jobs kept running")
    jq.add_argument("--cores", type=_number(int, 1), metavar="C",
                    help="cores per job: one single-threaded worker process each")
    jq.add_argument("--memory", type=_checked(memory_bytes), metavar="M",
                    help="memory per job, shared by its workers (e.g. 16GB)")
    jq.add_argument("--walltime", type=_checked(walltime_seconds), metavar="HH:MM:SS",
                    help="time limit of each job")
    jq.add_argument("--queue", metavar="Q", help="queue (SLURM partition) of the jobs")
    jq.add_argument("--account", metavar="A",
                    help="account (SGE and LSF: project) the jobs are charged to")
    p.add_argument("--scheduler-file", metavar="PATH",
                   help="connect to the scheduler that wrote PATH (dask scheduler "
                        "--scheduler-file PATH, e.g. inside a SLURM allocation with dask "
                        "worker --scheduler-file PATH under srun); waits up to 60 s for it")
    p.add_argument("--worker-timeout", type=_number(float, 0, low_open=True),
                   default=None, metavar="SECONDS",
                   help="give up after this long without a live Dask worker (default "
                        "60 s; with --cluster 600 s, for jobs waiting in the queue); the "
                        "finished blocks stay for --resume")


#: The options of ``deorbit run`` and ``sweep`` that only --cluster takes.
_JOB_OPTIONS = ("jobs", "cores", "memory", "walltime", "queue", "account")


def _job_queue(args):
    """The :class:`deorbit.cluster.JobQueue` of the options, None without --cluster; a
    one-line ValueError for options that do not go together."""
    from .cluster import JobQueue

    where = [o for o, v in (("--workers", args.workers), ("--scheduler", args.scheduler),
                            ("--scheduler-file", args.scheduler_file),
                            ("--cluster", args.cluster)) if v is not None]
    if len(where) > 1:
        raise ValueError(f"{' and '.join(where)}: give one of them (where the workers are)")
    given = [f"--{o}" for o in _JOB_OPTIONS if getattr(args, o) is not None]
    if args.cluster is None:
        if given:
            raise ValueError(f"{', '.join(given)}: only with --cluster slurm|pbs|sge|lsf")
        return None
    if args.jobs is None:
        raise ValueError(f"--cluster {args.cluster} needs --jobs N (the batch jobs to run)")
    spec = JobQueue(args.cluster, args.jobs, args.cores, args.memory, args.walltime,
                    args.queue, args.account)
    spec.check()
    return spec


def _worker_options(args) -> dict:
    """The keyword arguments of :func:`deorbit.runner.run` that say where the workers are
    and how long to wait without one, from the options of ``run`` or ``sweep``.

    Raises
    ------
    ValueError
        One line (from :func:`_job_queue`): options that do not go together, or a job
        queue option that is wrong or missing.
    """
    return {"workers": args.workers, "scheduler": args.scheduler,
            "scheduler_file": args.scheduler_file, "job_queue": _job_queue(args),
            "no_worker_timeout_s": args.worker_timeout}


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
    from .ground import EC_LIMIT
    from .metrics import EC_LIMIT_TEXT

    if fig is None or fig.get("value") is None:
        return "not computed"
    flag = f" > {EC_LIMIT_TEXT}!" if fig.get("ci_high", fig["value"]) > EC_LIMIT else ""
    if "ci_low" not in fig:
        return f"{fig['value']:.2g}{flag}"
    return f"{fig['value']:.2g} ({fig['ci_low']:.2g}-{fig['ci_high']:.2g}){flag}"


def _cell(metric, fig) -> str:
    """One cell of the run table, written as the metric's style asks."""
    from .metrics import style

    kind = style(metric)
    if kind == "count":
        return "not computed" if fig is None else str(fig["value"])
    if kind == "casualties":
        return _fmt_ec(fig)
    return _fmt(fig, pct=kind == "probability")


def format_table(summary) -> str:
    """The per-scenario summary as a plain-text table (standard errors after ±); the columns
    are :data:`deorbit.metrics.CLI_TABLE`."""
    from .metrics import CLI_TABLE, METRICS, column_label

    shown = [METRICS[k] for k in CLI_TABLE]
    cols = ["scenario", *(column_label(m) for m in shown)]
    rows = [[name, *(_cell(m, s["metrics"].get(m.key)) for m in shown)]
            for name, s in summary["scenarios"].items()]
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
    line = "  ".join(c.ljust(w) for c, w in zip(cols, widths))
    out = [line, "-" * len(line)]
    out += ["  ".join(v.ljust(w) for v, w in zip(r, widths)) for r in rows]
    return "\n".join(out)


def _run(args) -> int:
    from .runner import RunError, default_out_dir, run
    from .scenario import load_scenario

    if args.resume and not args.out:
        print("deorbit run: --resume needs --out DIR (the run directory to continue)",
              file=sys.stderr)
        return 2
    try:
        where = _worker_options(args)
    except ValueError as exc:
        print(f"deorbit run: {exc}", file=sys.stderr)
        return 2
    scenarios = [_with_overrides(load_scenario(s), args.overrides) for s in args.scenarios]
    if args.seed is not None or args.no_convergence:
        scenarios = [dataclasses.replace(s, monte_carlo=dataclasses.replace(
            s.monte_carlo, seed=s.monte_carlo.seed if args.seed is None else args.seed,
            convergence=None if args.no_convergence else s.monte_carlo.convergence))
            for s in scenarios]
    if args.decompose:
        from .decompose import with_variants

        scenarios = with_variants(scenarios)
    out = args.out or str(default_out_dir())
    try:
        summary = run(scenarios, out, samples=args.samples, resume=args.resume,
                      progress=args.progress, **where)
    except (RunError, KeyboardInterrupt) as exc:
        return _stopped(args, out, exc)
    print(format_table(summary))
    if args.decompose:
        from . import decompose

        path = decompose.write(out)
        if path is not None:
            print(f"\nwhere the spread comes from ({path.name}: share of the variance each "
                  "factor explains alone, ± standard error):")
            print(decompose.format_table(decompose.read(out)))
            print("\nwith each factor held fixed within blocks (Ec: mean, 90 % interval):")
            print(decompose.format_ec_table(decompose.ec_table(summary)))
    print(f"\nrun directory: {out}  (summary.json, summary.csv; "
          "load with deorbit.load_run)")
    _write_report(args, out)
    return 0


def _stopped(args, out, exc) -> int:
    """Say in one line why the run (or sweep) in ``out`` stopped, with the command that
    continues it where it has blocks to keep; returns the exit code.

    Parameters
    ----------
    args : argparse.Namespace
        The options of ``deorbit run`` or ``deorbit sweep``.
    out : str
        The run directory.
    exc : deorbit.runner.RunError or KeyboardInterrupt
        No scheduler, jobs not submitted, or no live worker (exit code 1; the command
        only if the run directory was started); or Ctrl-C (exit code 130).
    """
    if isinstance(exc, KeyboardInterrupt):
        print(f"deorbit: interrupted; the finished blocks are kept in {out}: continue with: "
              f"{_resume_command(args, out)}", file=sys.stderr)
        return 130
    started = (Path(out) / "manifest.json").exists()
    print(f"deorbit: {exc}" + (f"; continue with: {_resume_command(args, out)}"
                               if started else ""), file=sys.stderr)
    return 1


#: The options with a value that a resume command repeats when given (those of ``run``;
#: ``sweep`` has all but --seed), in this order.
_RESUMED_OPTIONS = ("samples", "seed", "workers", "scheduler", "scheduler_file", "cluster",
                    *_JOB_OPTIONS, "worker_timeout")
#: The flags that a resume command repeats when given (``sweep`` has only --no-report).
_RESUMED_FLAGS = ("no_convergence", "no_report", "decompose")


def _resume_command(args, out) -> str:
    """The command that continues this run (or sweep) in ``out``, shell-quoted.

    Parameters
    ----------
    args : argparse.Namespace
        The options of ``deorbit run`` or ``deorbit sweep``.
    out : str or Path
        The run directory.

    Returns
    -------
    str
        ``deorbit run SCENARIO...`` or ``deorbit sweep SCENARIO``, every option given that
        shapes the run or says where its workers are (:data:`_RESUMED_OPTIONS`), every
        ``--set`` (run's as given; sweep's key paths with their values), the flags given
        (:data:`_RESUMED_FLAGS`), then ``--out OUT --resume``.
    """
    if args.command == "sweep":
        words = ["deorbit", "sweep", args.scenario]
        sets = [s.text for s in args.settings]
    else:
        words = ["deorbit", "run", *args.scenarios]
        sets = [text for _, _, text in args.overrides]
    for option in _RESUMED_OPTIONS:
        value = getattr(args, option, None)
        if value is not None:
            words += [f"--{option.replace('_', '-')}", str(value)]
    words += [w for text in sets for w in ("--set", text)]
    words += [f"--{flag.replace('_', '-')}" for flag in _RESUMED_FLAGS
              if getattr(args, flag, False)]
    return shlex.join([*words, "--out", str(out), "--resume"])


def _report(args) -> int:
    from .report import write_report

    print(write_report(args.run_dir, args.out))
    return 0


def _compare(args) -> int:
    from .report import compare_runs, format_comparison

    try:
        comparison = compare_runs(args.run_a, args.run_b, scenario_a=args.scenario_a,
                                  scenario_b=args.scenario_b)
    except ValueError as exc:  # a scenario not in a run, no scenario in common, ...
        print(f"deorbit compare: {exc}", file=sys.stderr)
        return 2
    print(format_comparison(comparison))
    return 0


def _fit_bc(args) -> int:
    import json

    from ._data import data_path
    from .time import epoch_from_datetime
    from .tracking import PACKAGED, read_tracking
    from .tracking.fit import fit_tracking

    path = data_path(PACKAGED[args.file]) if args.file in PACKAGED else args.file
    bounds = {}
    for key in ("since", "until"):
        value = getattr(args, key)
        if value is not None:
            try:
                bounds[f"{key}_utc_days"] = epoch_from_datetime(value)
            except ValueError:
                print(f"deorbit fit-bc: --{key} {value!r}: expected an ISO 8601 UTC epoch "
                      "such as 2022-02-26T01:30", file=sys.stderr)
                return 2
    data = read_tracking(path)
    try:
        result = fit_tracking(data, fitted=args.fit.replace("-", "_"), bc_kg_m2=args.bc,
                              min_gap_days=args.min_gap, model=args.model, **bounds)
    except ValueError as exc:  # too few data, a manoeuvre-free arc that enters, ...
        print(f"deorbit fit-bc: {path}: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.to_dict()))
        return 0
    print(_fit_text(result))
    return 0


def _fit_text(f) -> str:
    from .time import datetime_from_epoch

    span = " to ".join(datetime_from_epoch(t).strftime("%Y-%m-%d %H:%M")
                       for t in (f.start_epoch_utc_days, f.end_epoch_utc_days))
    lines = [f"{f.source}: {f.n_observations} "
             f"{'states' if f.method == 'states' else 'element-set pairs'}, {span} UTC",
             f"density model: {f.density_model}"]
    if f.fitted == "bc":
        lines.append(f"ballistic coefficient m/(Cd A) = {f.bc_kg_m2:.2f} +- "
                     f"{f.bc_sigma_kg_m2:.2f} kg/m^2 (1 sigma)")
    else:
        lines.append(f"density scale = {f.density_scale:.4f} +- {f.density_scale_sigma:.4f} "
                     f"(1 sigma) with m/(Cd A) = {f.bc_kg_m2:.2f} kg/m^2 held")
    lines.append(f"decay of the mean semi-major axis: {f.decay_m_per_day:.1f} m/day in the "
                 f"data; the fit's residual {f.decay_residual:+.2%}")
    if f.method == "states":
        lines.append(f"position residuals: RMS {f.rms_position_m / 1e3:.3f} km, largest "
                     f"in-track {f.max_in_track_m / 1e3:.3f} km")
    lines.append("")
    lines.append(f.toml_snippet().rstrip())
    return "\n".join(lines)


def _validate(args) -> int:
    import json

    from .tracking.hindcast import iss_arc_check, run_hindcasts

    print("hindcasting the packaged reentries ...", file=sys.stderr)
    rows = run_hindcasts()
    print("fitting the ISS arc ...", file=sys.stderr)
    iss = iss_arc_check()
    if args.json:
        print(json.dumps({"reentries": [r.as_dict() for r in rows],
                          "iss_arc": {"fit": iss.fit.to_dict(),
                                      "header_bc_kg_m2": iss.header_bc_kg_m2,
                                      "header_decay_residual": iss.header_decay_residual,
                                      "prediction_bc_kg_m2": iss.prediction_fit.bc_kg_m2,
                                      "in_track_error_m": iss.in_track_error_m}}))
        return 0
    print(format_hindcasts(rows, iss))
    return 0


def _sigma_text(sigma) -> str:
    """'+- s', or why there is none (a BC from a single pair of element sets)."""
    return f"+- {sigma:.1f}" if sigma == sigma else "(one pair: no scatter)"


def format_hindcasts(rows, iss) -> str:
    """The ``deorbit validate`` tables as text (Markdown, as in VALIDATION.md)."""
    out = ["| object | data used | lead (d) | BC (kg/m^2) | predicted 90 % window (UTC) | "
           "median | actual (UTC) | error (h) | width (h) | inside |",
           "|---|---|---:|---:|---|---|---|---:|---:|---|"]
    for r in rows:
        d = r.as_dict()
        out.append(f"| {r.title} | {r.sets_used} TLEs over {r.fit_span_days:.1f} d | "
                   f"{r.lead_days:.2f} | {r.bc_kg_m2:.1f} "
                   f"{_sigma_text(r.bc_sigma_kg_m2)} | "
                   f"{d['window_p5']} to {d['window_p95']} | {d['median']} | {d['actual']} | "
                   f"{r.error_hours:+.1f} | {r.width_hours:.1f} | "
                   f"{'yes' if r.inside else 'NO'} |")
    n_in = sum(r.inside for r in rows)
    out.append(f"\n{n_in} of {len(rows)} predictions hold the actual epoch in their 90 % "
               "window.")
    f = iss.fit
    out += ["", "ISS, NASA ephemeris of 2022-02-11 to the reboost of 2022-02-26 "
                f"({f.n_observations} states):",
            f"- fitted m/(Cd A) = {f.bc_kg_m2:.1f} +- {f.bc_sigma_kg_m2:.1f} kg/m^2; decay "
            f"{f.decay_m_per_day:.1f} m/day, residual after the fit {f.decay_residual:+.2%}; "
            f"position RMS {f.rms_position_m / 1e3:.2f} km, largest in-track "
            f"{f.max_in_track_m / 1e3:.2f} km",
            f"- NASA's header BC {iss.header_bc_kg_m2:.1f} kg/m^2 in deorbit's model: decay "
            f"residual {iss.header_decay_residual:+.2%}",
            f"- fitted on the first 3 days (m/(Cd A) = {iss.prediction_fit.bc_kg_m2:.1f} +- "
            f"{iss.prediction_fit.bc_sigma_kg_m2:.1f}), predicted in-track error: "
            + ", ".join(f"{d:g} d {e / 1e3:+.2f} km" for d, e in iss.in_track_error_m.items())]
    return "\n".join(out)


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
    from .report import CompareError
    from .runner import RunStoreError
    from .scenario import ScenarioError
    from .sweep import SweepError
    from .tracking import TrackingDataError

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
        if args.command == "fit-bc":
            return _fit_bc(args)
        if args.command == "validate":
            return _validate(args)
        if args.command == "sweep":
            return _sweep(args)
    except (ScenarioError, RunStoreError, TrackingDataError, CompareError, SweepError) as exc:
        print(f"deorbit: {exc}", file=sys.stderr)
        return 2
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
