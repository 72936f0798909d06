"""What the user sees when a run cannot go on, is interrupted or stops early: one line that
names what is wrong (and the --resume command where blocks were written), the right exit
code, no traceback, nothing written before it is known to be usable, and none of Dask's own
log lines. Runs are small (ISS-F200 density table); the CLI runs in-process (``main``) where
that is enough, as a subprocess where signals, exit codes or the workers' output matter."""
import os
import resource
import signal
import subprocess
import sys
import time

import pytest

from deorbit import runner
from deorbit.cli import main

from .scenario_fixtures import write_scenario

SLOW_EXTRA = 'convergence = { metric = "reentry_epoch_p50_days", half_width = 4.0 }'


def _cli(*args):
    return [sys.executable, "-m", "deorbit.cli", "run", *map(str, args)]


def _one_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.fixture()
def scen_path(tmp_path, f200):
    return write_scenario(tmp_path, f200, samples=16, block=8)


@pytest.mark.parametrize("option, value, allowed", [
    ("--workers", "-1", "an integer >= 1"), ("--workers", "0", "an integer >= 1"),
    ("--samples", "0", "an integer >= 1"), ("--seed", "-1", "an integer >= 0"),
    ("--samples", "ten", "an integer >= 1"), ("--worker-timeout", "0", "a number > 0"),
])
def test_numeric_options_refused_before_anything_is_written(tmp_path, capsys, scen_path,
                                                            option, value, allowed):
    with pytest.raises(SystemExit) as exit_:
        main(["run", str(scen_path), option, value, "--out", str(tmp_path / "out")])
    assert exit_.value.code == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"deorbit run: error: argument {option}: ")
    assert f"allowed {allowed}" in line
    assert not (tmp_path / "out").exists()


def test_unreachable_scheduler_one_line_nothing_written(tmp_path, capsys, scen_path,
                                                        monkeypatch):
    monkeypatch.setattr(runner, "CONNECT_TIMEOUT_S", 1.0)
    t0 = time.perf_counter()
    code = main(["run", str(scen_path), "--scheduler", "tcp://127.0.0.1:9",
                 "--out", str(tmp_path / "out")])
    assert code == 1 and time.perf_counter() - t0 < 10
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("deorbit: cannot connect to the Dask scheduler at tcp://127.0.0.1:9 "
                           "within 1 s")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", ["file", "parent-file", "read-only"])
def test_unusable_out_dir_one_line(tmp_path, capsys, scen_path, case):
    (tmp_path / "a-file").write_text("not a directory")
    if case == "read-only":
        if os.geteuid() == 0:
            pytest.skip("root writes into a read-only (0o500) directory")
        (tmp_path / "ro").mkdir(mode=0o500)
    out, why = {"file": ("a-file", "not a directory (a file is there)"),
                "parent-file": ("a-file/run", f"{tmp_path / 'a-file'} is a file"),
                "read-only": ("ro/run", f"{tmp_path / 'ro'} is not writable")}[case]
    code = main(["run", str(scen_path), "--out", str(tmp_path / out)])
    assert code == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"deorbit: {tmp_path / out}: ") and why in line, line


def test_write_failure_one_line(tmp_path, scen_path):
    """A full disk, simulated by a file-size limit (RLIMIT_FSIZE, EFBIG instead of ENOSPC;
    the same path through the code): the manifest cannot be written; one line naming the
    run directory and the reason."""
    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (512, 512))

    res = subprocess.run(_cli(scen_path, "--workers", "1", "--out", tmp_path / "out",
                              "--no-progress"),
                         capture_output=True, text=True, preexec_fn=limit, timeout=120)
    assert res.returncode == 2
    line = _one_line(res.stderr)
    assert line == (f"deorbit: {tmp_path / 'out'}: cannot write the run directory: "
                    "File too large"), line


def test_run_status_lines_and_compare_of_a_missing_scenario(tmp_path, capsys, scen_path):
    out = tmp_path / "run"
    assert main(["run", str(scen_path), "--workers", "1", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("starting a local Dask cluster (1 workers) ...\n")
    assert "writing the report ...\n" in captured.err
    assert main(["compare", str(out), "--scenario-b", "missing"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line == (f"deorbit compare: scenario 'missing' is not in run A ({out}); it has t")


def test_early_stop_said_in_one_line_without_dask_noise(tmp_path, f200):
    """A scenario's convergence rule stops the run early: one line says so (metric,
    half-width reached, samples); the cancelled tasks leave no CancelledError line; with
    stderr not a terminal, progress lines come at each quarter; --no-convergence runs every
    sample."""
    path = write_scenario(tmp_path, f200, samples=400, block=20, extra=SLOW_EXTRA)
    res = subprocess.run(_cli(path, "--workers", "2", "--out", tmp_path / "c", "--no-report"),
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    stopped = [s for s in res.stdout.splitlines() if s.startswith("t: stopped early, at ")]
    assert len(stopped) == 1, res.stdout
    assert " of 400 samples: the 95 % half-width of reentry_epoch_p50_days is " in stopped[0]
    assert stopped[0].endswith("<= 4 (monte_carlo.convergence; --no-convergence runs every "
                               "sample)")
    for noise in ("CancelledError", "distributed.", "Traceback", "8787"):
        assert noise not in res.stderr + res.stdout, (noise, res.stderr)
    progress = res.stderr.strip().splitlines()
    assert progress and all(s.startswith("deorbit: ") and "samples/s, ETA" in s
                            for s in progress), res.stderr
    res = subprocess.run(_cli(path, "--workers", "2", "--out", tmp_path / "all", "--no-report",
                              "--no-convergence", "--no-progress"),
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0 and res.stderr == "", res.stderr
    assert "400 samples in" in res.stdout and "stopped early" not in res.stdout


def test_sigint_one_line_with_the_resume_command(tmp_path, f200):
    """Ctrl-C (SIGINT to the whole process group, as a terminal sends it) mid-run."""
    path = write_scenario(tmp_path, f200, samples=4000, block=8, bc=90.0)
    out = tmp_path / "run"
    proc = subprocess.Popen(_cli(path, "--workers", "2", "--out", out, "--no-progress"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    blocks = out / "samples" / "scenario=t"
    deadline = time.time() + 120
    while time.time() < deadline and not (blocks.exists() and any(blocks.glob("*.parquet"))):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    line = _one_line(err)
    assert line == (f"deorbit: interrupted; the finished blocks are kept in {out}: continue "
                    f"with: deorbit run {path} --workers 2 --out {out} --resume")
