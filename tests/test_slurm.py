"""Runs through a real SLURM cluster: batch jobs from the CLI (dask-jobqueue), lost jobs, and
the README's sbatch scripts.

The cluster is Debian's slurm-wlm with munge, one node on this machine, loopback only,
started for the session by ``tests/slurm/cluster.sh`` in a temporary directory (a fresh
munge key, its own slurm.conf and ports: nothing in /etc is used) and stopped at the end.
The tests are skipped, with the reason, where the packages are not installed (``.ci/run``
installs them: ``apt-get install slurm-wlm munge``) or the daemons cannot start (they need
root). Every run is compared byte for byte (``summary.csv``) with a LocalCluster run of the
same scenario and seed: where the workers are, and how many of them there are or were,
never changes a result.

The runs are ``iss-2030``, 4,000 samples (40 blocks of 100: ~8 s of work on 2 cores, long
enough to cancel jobs while they compute).
"""
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "slurm" / "cluster.sh"
SAMPLES = 4000
#: A deorbit-vehicle scenario: its blocks are slow enough (~0.2 s each on one core) that a
#: job cancelled after the first blocks finds most of the run still to do.
SCENARIO = "iss-2030"
#: The batch jobs of the --cluster runs: 1 core each, so that two run side by side here.
JOBS = ["--cluster", "slurm", "--jobs", "2", "--cores", "1", "--memory", "1GB",
        "--walltime", "00:10:00"]
#: Seconds any one run or job may take before the test fails (they take ~10-30 s).
DEADLINE_S = 300


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def slurm(tmp_path_factory):
    """The environment (dict) that reaches the test cluster: SLURM_CONF, Dask's jobqueue
    configuration for it (loopback interface, job logs in a temporary folder), and a PATH
    whose ``deorbit`` and ``dask`` are this Python's."""
    missing = [exe for exe in ("munged", "slurmctld", "slurmd", "sbatch")
               if shutil.which(exe) is None]
    if missing:
        pytest.skip(f"SLURM tests need Debian's slurm-wlm and munge ({', '.join(missing)} not "
                    "found): apt-get install slurm-wlm munge (.ci/run does)")
    base = tmp_path_factory.mktemp("slurm")
    state = base / "cluster"
    state.mkdir()
    started = subprocess.run(["bash", str(SCRIPT), "start", str(state), str(_free_port()),
                              str(_free_port())], capture_output=True, text=True, timeout=60)
    if started.returncode != 0:
        pytest.skip("the test SLURM cluster did not start (slurmctld and slurmd need root): "
                    + " ".join((started.stdout + started.stderr).split())[-300:])
    bin_dir = base / "bin"
    bin_dir.mkdir()
    for name, module in (("deorbit", "deorbit.cli"), ("dask", "dask")):
        shim = bin_dir / name
        shim.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m {module} \"$@\"\n")
        shim.chmod(0o755)
    env = dict(os.environ)
    env.update({
        "SLURM_CONF": started.stdout.strip().splitlines()[-1],
        "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        "DASK_JOBQUEUE__SLURM__INTERFACE": "lo",
        "DASK_JOBQUEUE__SLURM__LOG_DIRECTORY": str(base / "job-logs"),
    })
    try:
        yield env
    finally:
        subprocess.run(["scancel", "--user", str(os.getuid())], env=env, capture_output=True)
        subprocess.run(["bash", str(SCRIPT), "stop", str(state)], capture_output=True,
                       timeout=60)


def _run(env, out, *options, check=True):
    """``deorbit run SCENARIO --samples SAMPLES ... --out OUT`` as a subprocess; its result."""
    done = subprocess.run([sys.executable, "-m", "deorbit.cli", "run", SCENARIO, "--samples",
                           str(SAMPLES), "--no-report", "--no-progress", "--out", str(out),
                           *options], env=env, capture_output=True, text=True,
                          timeout=DEADLINE_S)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def _start(env, out, *options):
    return subprocess.Popen([sys.executable, "-m", "deorbit.cli", "run", SCENARIO, "--samples",
                             str(SAMPLES), "--no-report", "--no-progress", "--out", str(out),
                             *options], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _squeue(env, *options):
    """Job ids of squeue's listing with ``options``."""
    out = subprocess.run(["squeue", "-h", "-o", "%i", *options], env=env, capture_output=True,
                         text=True, check=True).stdout
    return out.split()


def _blocks_written(run):
    return len([p for p in (run / "samples").rglob("block-*") if p.is_file()]) \
        if (run / "samples").is_dir() else 0


def _wait(what, timeout=DEADLINE_S, every=0.2, proc=None):
    """Poll ``what()`` until true; fail at the timeout, or at once if ``proc`` ended."""
    deadline = time.monotonic() + timeout
    while not what():
        assert time.monotonic() < deadline, f"timed out waiting for {what.__doc__}"
        if proc is not None and proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the run ended while waiting for {what.__doc__}:\n{out}\n{err}")
        time.sleep(every)


@pytest.fixture(scope="module")
def reference(tmp_path_factory, slurm):
    """The run on deorbit's own LocalCluster (2 workers)."""
    out = tmp_path_factory.mktemp("local") / "run"
    _run(slurm, out, "--workers", "2")
    return (out / "summary.csv").read_bytes()


@pytest.mark.slow
def test_4000_samples_through_slurm_jobs_identical_to_a_local_cluster(tmp_path, slurm,
                                                                     reference):
    done = _run(slurm, tmp_path / "run", *JOBS)
    assert done.stdout.startswith("submitting 2 SLURM jobs (1 cores, 1GB, 00:10:00 each)")
    assert f"{SAMPLES} samples in" in done.stdout
    assert (tmp_path / "run" / "summary.csv").read_bytes() == reference
    assert _squeue(slurm) == []   # the jobs were cancelled at the end


def _computing(env, proc, run):
    """Wait until both worker jobs run, their workers joined the run (their job logs say so)
    and 3 blocks are written; then one poll of the runner more (it has seen both jobs)."""
    logs = Path(env["DASK_JOBQUEUE__SLURM__LOG_DIRECTORY"])

    def ready():
        """both jobs' workers computing"""
        running = _squeue(env, "-t", "R")
        joined = [j for j in running if (logs / f"dask-worker-{j}.err").is_file()
                  and "Registered to" in (logs / f"dask-worker-{j}.err").read_text()]
        return len(joined) == 2 and _blocks_written(run) >= 3
    _wait(ready, proc=proc)
    time.sleep(1.5)   # > runner._POLL_S


@pytest.mark.slow
def test_a_worker_job_cancelled_mid_run_changes_nothing(tmp_path, slurm, reference):
    run = tmp_path / "run"
    proc = _start(slurm, run, *JOBS)
    try:
        _computing(slurm, proc, run)
        victim = _squeue(slurm, "-t", "R")[0]
        subprocess.run(["scancel", victim], env=slurm, check=True)
        out, err = proc.communicate(timeout=DEADLINE_S)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert _blocks_written(run) > 3
    assert f"job {victim} lost all its workers; submitting a replacement" in out
    assert (run / "summary.csv").read_bytes() == reference


@pytest.mark.slow
def test_all_jobs_lost_gives_the_resume_command_and_a_local_resume_finishes(tmp_path, slurm,
                                                                           reference):
    """Every worker job cancelled and the node drained, so that the replacements wait in the
    queue: one line after --worker-timeout, with the --resume command; that command, on a
    LocalCluster instead of the jobs, finishes the run to the same bytes."""
    run = tmp_path / "run"
    proc = _start(slurm, run, *JOBS, "--worker-timeout", "5")
    node = ["scontrol", "update", "NodeName=localhost"]
    try:
        _computing(slurm, proc, run)
        subprocess.run([*node, "State=DRAIN", "Reason=deorbit-test"], env=slurm, check=True)
        subprocess.run(["scancel", *_squeue(slurm)], env=slurm, check=True)
        out, err = proc.communicate(timeout=DEADLINE_S)
    finally:
        proc.kill()
        subprocess.run([*node, "State=RESUME"], env=slurm, check=True)
    assert proc.returncode == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("deorbit: no Dask worker alive for 5 s"), err
    assert _squeue(slurm) == []   # the replacements waiting in the queue were cancelled
    command = shlex.split(lines[0].split("; continue with: ")[1])
    assert command[:2] == ["deorbit", "run"] and command[-1] == "--resume"
    assert " ".join(JOBS) in " ".join(command)
    i = command.index("--cluster")     # the same run, on a LocalCluster
    local = command[:i] + ["--workers", "2"] + command[i + len(JOBS):]
    done = subprocess.run([sys.executable, "-m", "deorbit.cli", *local[1:]], env=slurm,
                          capture_output=True, text=True, timeout=DEADLINE_S)
    assert done.returncode == 0, done.stderr
    assert (run / "summary.csv").read_bytes() == reference


@pytest.mark.slow
def test_a_sweep_through_slurm_jobs_identical_to_a_local_sweep(tmp_path, slurm):
    """deorbit sweep takes the same job options: its variants run as the work of the batch
    jobs, and sweep.csv (values, paired differences) is the local sweep's, byte for byte."""
    sweep = [sys.executable, "-m", "deorbit.cli", "sweep", SCENARIO, "--set",
             "start.horizon_years=8,9", "--samples", "200", "--no-report", "--no-progress"]
    said = {}
    for where, options in (("jobs", JOBS), ("local", ["--workers", "2"])):
        done = subprocess.run([*sweep, *options, "--out", str(tmp_path / where)], env=slurm,
                              capture_output=True, text=True, timeout=DEADLINE_S)
        assert done.returncode == 0, done.stderr
        said[where] = done.stdout
    assert "submitting 2 SLURM jobs" in said["jobs"], said["jobs"]
    assert (tmp_path / "jobs" / "sweep.csv").read_bytes() == \
        (tmp_path / "local" / "sweep.csv").read_bytes()
    assert _squeue(slurm) == []


def test_a_refused_submission_is_one_line_and_writes_nothing(tmp_path, slurm):
    done = _run(slurm, tmp_path / "run", *JOBS, "--queue", "no-such-partition", check=False)
    assert done.returncode == 1
    assert done.stderr == ("deorbit: --cluster slurm: the jobs were not submitted: sbatch: "
                           "error: Batch job submission failed: Invalid partition name "
                           "specified\n")
    assert not (tmp_path / "run").exists()
    assert _squeue(slurm) == []


# -- the README's sbatch scripts -------------------------------------------------------------
#: What the test changes in each README script to fit this machine (2 cores, one node) and
#: its loopback-only cluster; each must occur in the script exactly once.
README_EDITS = {
    "--cluster slurm": {"--samples 100000": "--samples 200",
                        "--jobs 10 --cores 8 --memory 16GB": "--jobs 2 --cores 1 --memory 1GB"},
    "--scheduler-file": {"--samples 100000": "--samples 200",
                         "--nodes=4": "--nodes=1", "--ntasks-per-node=8": "--ntasks-per-node=2",
                         "dask scheduler ": "dask scheduler --host 127.0.0.1 ",
                         "dask worker ": "dask worker --host 127.0.0.1 "},
}


def readme_sbatch_scripts():
    """The README's sbatch scripts (```bash blocks that start with #!/bin/bash and hold
    #SBATCH lines), by the option that tells them apart."""
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(#!/bin/bash\n.*?)```", text, flags=re.S)
    scripts = {key: [b for b in blocks if "#SBATCH" in b and key in b] for key in README_EDITS}
    assert all(len(found) == 1 for found in scripts.values()), scripts
    return {key: found[0] for key, found in scripts.items()}


def _job_state(env, job_id):
    out = subprocess.run(["scontrol", "show", "job", "-o", job_id], env=env,
                         capture_output=True, text=True, check=True).stdout
    return dict(re.findall(r"(\w+)=(\S+)", out))


@pytest.mark.slow
def test_readme_sbatch_scripts_run(tmp_path, slurm):
    """Both scripts submitted as they are in README.md (but for README_EDITS), side by side;
    they write the same summary as a LocalCluster run."""
    jobs = {}
    for key, script in readme_sbatch_scripts().items():
        for old, new in README_EDITS[key].items():
            assert script.count(old) == 1, (key, old)
            script = script.replace(old, new)
        path = tmp_path / f"{key.strip('-').replace('-', '_')}.sh"
        path.write_text(script)
        submitted = subprocess.run(["sbatch", "--parsable", str(path)], cwd=tmp_path, env=slurm,
                                   capture_output=True, text=True, check=True)
        jobs[key] = submitted.stdout.strip().split(";")[0]
    local = subprocess.run([sys.executable, "-m", "deorbit.cli", "run", "iss-2030", "--samples",
                            "200", "--workers", "2", "--no-report", "--no-progress", "--out",
                            str(tmp_path / "local")], env=slurm, capture_output=True, text=True,
                           timeout=DEADLINE_S)
    assert local.returncode == 0, local.stderr

    def finished():
        """the README's jobs to end"""
        return all(_job_state(slurm, j)["JobState"] not in ("PENDING", "RUNNING", "COMPLETING")
                   for j in jobs.values())
    _wait(finished, every=1.0)
    for key, job in jobs.items():
        state = _job_state(slurm, job)
        log = (tmp_path / f"deorbit-{job}.out").read_text()
        assert state["JobState"] == "COMPLETED" and state["ExitCode"] == "0:0", (key, log)
        runs = [p for p in (tmp_path / "runs").iterdir() if p.name.endswith(f"-{job}")]
        assert len(runs) == 1, (key, log)
        assert (runs[0] / "summary.csv").read_bytes() == \
            (tmp_path / "local" / "summary.csv").read_bytes(), (key, log)
    assert _squeue(slurm) == []

    def stopped():
        """the allocation's scheduler and workers to stop"""
        return subprocess.run(["pgrep", "-f", f"scheduler-{jobs['--scheduler-file']}.json"],
                              capture_output=True).returncode == 1
    _wait(stopped, timeout=30)


# -- the options, without a cluster --------------------------------------------------------
#: The two commands that take the options (deorbit sweep with a small --set).
COMMANDS = {"run": ["run", SCENARIO],
            "sweep": ["sweep", SCENARIO, "--set", "start.horizon_years=8,9"]}


@pytest.mark.parametrize("command", tuple(COMMANDS))
@pytest.mark.parametrize("options, says", [
    (["--cluster", "slurm"], "deorbit {command}: --cluster slurm needs --jobs N"),
    (["--cluster", "slurm", "--jobs", "0"], "argument --jobs: 0: allowed an integer >= 1"),
    (["--cluster", "pbs", "--jobs", "2", "--walltime", "1:00"],
     "argument --walltime: '1:00': allowed HH:MM:SS"),
    (["--cluster", "pbs", "--jobs", "2", "--walltime", "00:00:00"],
     "allowed a walltime > 00:00:00"),
    (["--cluster", "sge", "--jobs", "2", "--memory", "16XB"],
     "argument --memory: '16XB': allowed a size such as 16GB"),
    (["--cluster", "lsf", "--jobs", "2", "--memory", "1GB"], "--cluster lsf needs --cores"),
    (["--cluster", "slurm", "--jobs", "2", "--cores", "2"], "--cluster slurm needs --memory"),
    (["--cluster", "htcondor", "--jobs", "2"], "argument --cluster: invalid choice"),
    (["--jobs", "2", "--queue", "q"], "--jobs, --queue: only with --cluster"),
    (["--workers", "2", "--scheduler-file", "s.json"],
     "--workers and --scheduler-file: give one of them"),
    (["--scheduler", "tcp://h:1", "--cluster", "slurm", "--jobs", "1"],
     "--scheduler and --cluster: give one of them"),
])
def test_job_options_refused_in_one_line_before_anything_is_written(tmp_path, capsys, command,
                                                                    options, says):
    """The same checks and the same words for deorbit run and deorbit sweep."""
    from deorbit.cli import main

    try:
        code = main([*COMMANDS[command], *options, "--out", str(tmp_path / "out")])
    except SystemExit as exc:   # argparse's own refusals
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    says = says.format(command=command)
    assert err.count("\n") == 1 and "Traceback" not in err and says in err, err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", tuple(COMMANDS))
def test_missing_scheduler_file_one_line_nothing_written(tmp_path, capsys, monkeypatch,
                                                          command):
    from deorbit import cluster
    from deorbit.cli import main

    monkeypatch.setattr(cluster, "SCHEDULER_FILE_WAIT_S", 1.0)
    code = main([*COMMANDS[command], "--scheduler-file", str(tmp_path / "s.json"), "--out",
                 str(tmp_path / "out")])
    assert code == 1
    err = capsys.readouterr().err
    assert err == (f"deorbit: --scheduler-file {tmp_path / 's.json'}: no such file after 1 s "
                   "(start the scheduler with dask scheduler --scheduler-file PATH)\n")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("system, directives", [
    ("slurm", ["#SBATCH -A acct", "#SBATCH -p q", "#SBATCH -t 01:30:20",
               "#SBATCH --cpus-per-task=4", "#SBATCH --mem=8G"]),
    ("pbs", ["#PBS -A acct", "#PBS -q q", "#PBS -l walltime=01:30:20", "ncpus=4:mem=7630MB"]),
    ("sge", ["#$ -P acct", "#$ -q q", "#$ -l h_rt=01:30:20"]),
    ("lsf", ['#BSUB -P "acct"', "#BSUB -q q", "#BSUB -W 01:31", "#BSUB -n 4"]),
])
def test_one_code_path_for_the_four_job_queues(system, directives):
    """The job script each system's jobs would run (nothing submitted): its account (or
    project), queue, walltime (LSF's in minutes, rounded up), cores and memory; 4
    single-threaded worker processes; the workers' allocator set through Dask's config."""
    pytest.importorskip("dask_jobqueue")
    from deorbit.cluster import JobQueue, job_queue_cluster
    from deorbit.runner import WORKER_ENVIRON

    spec = JobQueue(system, 2, cores=4, memory="8GB", walltime="01:30:20", queue="q",
                    account="acct")
    spec.check()
    cluster = job_queue_cluster(spec, WORKER_ENVIRON)
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    for line in directives:
        assert line in script, (line, script)
    assert "--nthreads 1" in script and "--nworkers 4" in script, script
    assert ("export DASK_DISTRIBUTED__NANNY__PRE_SPAWN_ENVIRON=\"{'MALLOC_TRIM_THRESHOLD_': "
            "None, 'MALLOC_ARENA_MAX': '1'}\"") in script, script
