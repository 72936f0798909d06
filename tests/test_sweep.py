"""deorbit sweep: variants of a scenario at several values of its keys, run on a real Dask
LocalCluster with common random numbers.

- P(uncontrolled) does not increase with the reboost budget: a paired test (each step's
  difference <= 2 paired standard errors) over a sweep of iss-early-maintained;
- the sweep writes its table (units in the column names), sweep.json and a figure per
  headline metric, and the report shows it;
- it is reproducible for any worker count, and resumable;
- a date key sweeps; a bad --set names the key in one line, without a traceback;
- the batch-job options (--cluster ...) reach the runner as run's do, and an interrupted or
  failed sweep prints the whole command that continues it.
"""
import csv
import json
import shlex
from pathlib import Path

import pytest

from deorbit import cli
from deorbit.scenario import ScenarioError
from deorbit.sweep import HEADLINE, SweepError, parse_set, run_sweep, variants
from deorbit.time import epoch_from_datetime

BUDGET = "operations.altitude_maintenance.dv_budget_m_s"
SAMPLES = 48


@pytest.fixture(scope="module")
def budget_sweep(client, tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "run"
    result = run_sweep("iss-early-maintained", [parse_set(f"{BUDGET}=0,10,40")], out,
                       samples=SAMPLES, client=client, progress=False, log=lambda m: None)
    return out, result


def test_p_uncontrolled_does_not_increase_with_the_budget(budget_sweep):
    _, result = budget_sweep
    rows = result["variants"]
    assert [r["values"][BUDGET] for r in rows] == [0, 10, 40]
    assert result["paired"].startswith("paired: common random numbers")
    p = [r["metrics"]["p_uncontrolled"]["value"] for r in rows]
    assert p[-1] < p[0]   # reboosts help: 48 samples of iss-early lose several to decay
    for r in rows[1:]:
        d = r["metrics"]["p_uncontrolled"]["minus_previous"]
        assert d["se_method"] == "paired"
        assert d["difference"] <= 2.0 * d["standard_error"], r
    spent = [r["metrics"]["maintenance_dv_mean_m_s"]["value"] for r in rows]
    assert spent[0] == 0.0 and spent[0] <= spent[1] <= spent[2]


def test_the_sweep_writes_its_table_figures_and_report(budget_sweep):
    out, result = budget_sweep
    with open(out / "sweep.csv") as f:
        table = list(csv.DictReader(f))
    assert [row[BUDGET] for row in table] == ["0", "10", "40"]
    for row, r in zip(table, result["variants"]):
        assert float(row["p_uncontrolled"]) == r["metrics"]["p_uncontrolled"]["value"]
    assert {"p_uncontrolled_se", "p_uncontrolled_minus_previous_se", "ec_mean_casualties",
            "reentry_epoch_p50_utc_days", "reentry_epoch_p50_days_minus_first",
            "maintenance_dv_mean_m_s"} <= set(table[0])
    assert json.loads((out / "sweep.json").read_text()) == json.loads(json.dumps(result))
    for _, stem, _ in HEADLINE:
        assert (out / f"sweep-{stem}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from deorbit.report import write_report

    page = write_report(out).read_text()
    assert 'id="sweep"' in page and "sweep-p_uncontrolled.png" in page
    assert page.count('<figure id="sweep-') == len(HEADLINE)
    table = page.split('id="risk-iss-early-maintained.1"')[1].split("</table>")[0]
    assert "<code>maintenance_dv_mean_m_s</code>" in table
    assert "<code>p_maintenance_ended_budget_spent</code>" in table


@pytest.mark.slow
def test_reproducible_for_any_worker_count_and_resumable(budget_sweep, tmp_path):
    """Two local worker processes give the sweep of one in-process worker; a sweep whose
    block was lost resumes to the same figures."""
    out, result = budget_sweep
    other = tmp_path / "two"
    again = run_sweep("iss-early-maintained", [parse_set(f"{BUDGET}=0,10,40")], other,
                      samples=SAMPLES, workers=2, progress=False, log=lambda m: None)
    assert again["variants"] == result["variants"]
    block = next((other / "samples" / "scenario=iss-early-maintained.1").glob("block-*"))
    block.unlink()
    (other / "summary.json").unlink()
    resumed = run_sweep("iss-early-maintained", [parse_set(f"{BUDGET}=0,10,40")], other,
                        samples=SAMPLES, workers=2, resume=True, progress=False,
                        log=lambda m: None)
    assert resumed["variants"] == result["variants"]


def test_a_date_key_sweeps():
    vs = variants("iss-early", [parse_set(
        "operations.deorbit_vehicle.ready_utc.mode=2028-01-01,2029-01-01")])
    modes = [v.scenario.operations.deorbit_vehicle.ready_utc.p["mode"] for v in vs]
    assert modes == [epoch_from_datetime("2028-01-01"), epoch_from_datetime("2029-01-01")]
    assert [v.name for v in vs] == ["iss-early.0", "iss-early.1"]
    assert all(v.scenario.monte_carlo.seed == vs[0].scenario.monte_carlo.seed for v in vs)


def test_a_grid_puts_the_first_key_fastest():
    vs = variants("iss-early-maintained", [parse_set(f"{BUDGET}=0,20"),
                                           parse_set("start.horizon_years=8,9")])
    assert [(v.group, v.position) for v in vs] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert [v.scenario.start.horizon_years for v in vs] == [8, 8, 9, 9]


@pytest.mark.parametrize("args, key, allowed", [
    ([f"--set={BUDGET}=-5"], BUDGET, "draws must lie in"),
    (["--set=operations.altitude_maintenance.dv_budget=5"],
     "operations.altitude_maintenance.dv_budget", "unknown key"),
    (["--set=operations.deorbit_vehicle.lowering_burns=2.5"],
     "operations.deorbit_vehicle.lowering_burns", "expected an integer"),
    ([f"--set={BUDGET}=ten"], BUDGET, "expected a number or an ISO 8601 date"),
    (["--set=start.horizon_years.low=1"], "start.horizon_years", "is a value"),
    ([f"--set={BUDGET}=1,1"], BUDGET, "given twice"),
    ([f"--set={BUDGET}=1", f"--set={BUDGET}=2"], BUDGET, "given twice"),
])
def test_a_bad_set_names_the_key_in_one_line(capsys, tmp_path, args, key, allowed):
    code = None
    try:
        code = cli.main(["sweep", "iss-early-maintained", *args, "--out", str(tmp_path / "x")])
    except SystemExit as exc:   # argparse's own error (a malformed --set)
        code = exc.code
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert key in err and allowed in err, err
    assert "\n" not in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_the_errors_are_the_scenario_parsers():
    with pytest.raises(ScenarioError, match="dv_budget_m_s = -5"):
        variants("iss-early-maintained", [parse_set(f"{BUDGET}=-5")])
    with pytest.raises(SweepError, match="mixes numbers and dates"):
        parse_set(f"{BUDGET}=1,2028-01-01")


# -- the workers' options and the resume command (the runner replaced: nothing is submitted)
JOBS = ["--cluster", "slurm", "--jobs", "4", "--cores", "8", "--memory", "16GB",
        "--walltime", "01:00:00"]
ARGV = {
    "sweep": ["sweep", "iss-early-maintained", "--set", f"{BUDGET}=0,10,40", "--set",
              "start.horizon_years=8,9.5", "--samples", "48"],
    "run": ["run", "iss-early-maintained", "iss-2030", "--set", 'atmosphere.model="nrlmsis21"',
            "--samples", "48", "--seed", "7", "--no-convergence"],
}


def _runner_stopped_by(monkeypatch, exc, *, started=False):
    """deorbit.runner.run replaced by a recorder of its arguments that raises ``exc``, after
    writing the run directory's manifest.json if ``started``; returns the record."""
    from deorbit import runner

    calls = []

    def stopped(scenarios, out_dir, **kwargs):
        calls.append((scenarios, out_dir, kwargs))
        if started:
            Path(out_dir).mkdir(parents=True)
            (Path(out_dir) / "manifest.json").write_text("{}")
        raise exc
    monkeypatch.setattr(runner, "run", stopped)
    return calls


@pytest.mark.parametrize("command", ["sweep", "run"])
def test_the_job_queue_reaches_the_runner_and_ctrl_c_gives_the_whole_command(
        monkeypatch, capsys, tmp_path, command):
    """``deorbit sweep`` (as ``deorbit run``) --cluster ...: the JobQueue of its options and
    its other worker options reach deorbit.runner.run; on Ctrl-C one line gives the command
    that continues it, and that command parsed back is the same sweep with --resume."""
    from deorbit.cluster import JobQueue

    calls = _runner_stopped_by(monkeypatch, KeyboardInterrupt())
    out = tmp_path / "my sweep"   # a space: the command quotes it
    argv = [*ARGV[command], *JOBS, "--worker-timeout", "900", "--no-report", "--no-progress",
            "--out", str(out)]
    assert cli.main(argv) == 130
    [(scenarios, out_dir, kwargs)] = calls
    assert len(scenarios) == (6 if command == "sweep" else 2) and out_dir == str(out)
    assert kwargs["job_queue"] == JobQueue("slurm", 4, 8, "16GB", "01:00:00")
    assert {k: kwargs[k] for k in ("workers", "scheduler", "scheduler_file",
                                   "no_worker_timeout_s", "samples", "resume")} == {
        "workers": None, "scheduler": None, "scheduler_file": None,
        "no_worker_timeout_s": 900.0, "samples": 48, "resume": False}
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    said, command_line = err.strip().split(": continue with: ")
    assert said == f"deorbit: interrupted; the finished blocks are kept in {out}"
    words = shlex.split(command_line)
    assert words[:2] == ["deorbit", command] and words[-3:] == ["--out", str(out), "--resume"]
    again, given = (vars(cli.build_parser().parse_args(a)) for a in (words[1:], argv))
    assert again == {**given, "resume": True, "progress": None}   # all but the display


@pytest.mark.parametrize("started", [True, False])
def test_a_failed_sweep_gives_the_command_once_it_has_a_run_directory(
        monkeypatch, capsys, tmp_path, started):
    """A RunError (no live worker): one line, exit code 1, with the command that continues
    the sweep once the run directory was started (as deorbit run)."""
    from deorbit.runner import RunError

    _runner_stopped_by(monkeypatch, RunError("no Dask worker alive for 5 s"), started=started)
    out = tmp_path / "run"
    argv = [*ARGV["sweep"], "--workers", "2", "--out", str(out)]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    resume = shlex.join(["deorbit", "sweep", "iss-early-maintained", "--samples", "48",
                         "--workers", "2", "--set", f"{BUDGET}=0,10,40", "--set",
                         "start.horizon_years=8,9.5", "--out", str(out), "--resume"])
    assert err == ("deorbit: no Dask worker alive for 5 s"
                   + (f"; continue with: {resume}" if started else "") + "\n")


def test_jobs_without_cluster_is_refused_in_run_s_words(capsys, tmp_path):
    errors = {}
    for command in ("run", "sweep"):
        assert cli.main([*ARGV[command], "--jobs", "2", "--out", str(tmp_path / "x")]) == 2
        errors[command] = capsys.readouterr().err
    assert errors["sweep"] == errors["run"].replace("deorbit run:", "deorbit sweep:") == (
        "deorbit sweep: --jobs: only with --cluster slurm|pbs|sge|lsf\n")
    assert not (tmp_path / "x").exists()
