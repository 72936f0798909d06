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

The runs are ``iss-uncontrolled``, 2,000 samples (20 blocks of 100): ~10 s of work on 2 cores.
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
SAMPLES = 2000
SCENARIO = "iss-uncontrolled"
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
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH"))
                                      if p),
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
    """``deorbit run SCENARIO --samples 2000 ... --out OUT`` as a subprocess; its result."""
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
    return len([p for p in (run / "blocks").rglob("block-*") if p.is_file()]) \
        if (run / "blocks").is_dir() else 0


def _wait(what, timeout=DEADLINE_S, every=0.2):
    deadline = time.monotonic() + timeout
    while not what():
        assert time.monotonic() < deadline, f"timed out waiting for {what.__doc__}"
        time.sleep(every)


@pytest.fixture(scope="module")
def reference(tmp_path_factory, slurm):
    """The run on deorbit's own LocalCluster (2 workers)."""
    out = tmp_path_factory.mktemp("local") / "run"
    _run(slurm, out, "--workers", "2")
    return (out / "summary.csv").read_bytes()


def test_2000_samples_through_slurm_jobs_identical_to_a_local_cluster(tmp_path, slurm,
                                                                     reference):
    done = _run(slurm, tmp_path / "run", *JOBS)
    assert done.stdout.startswith("submitting 2 SLURM jobs (1 cores, 1GB, 00:10:00 each)")
    assert f"{SAMPLES} samples in" in done.stdout
    assert (tmp_path / "run" / "summary.csv").read_bytes() == reference
    assert _squeue(slurm) == []   # the jobs were cancelled at the end


def _two_jobs_running_and_blocks(env, run, n):
    def ready():
        """two running worker jobs and some blocks written"""
        return len(_squeue(env, "-t", "R")) == 2 and _blocks_written(run) >= n
    return ready


def test_a_worker_job_cancelled_mid_run_changes_nothing(tmp_path, slurm, reference):
    run = tmp_path / "run"
    proc = _start(slurm, run, *JOBS)
    try:
        _wait(_two_jobs_running_and_blocks(slurm, run, 3))
        victim = _squeue(slurm, "-t", "R")[0]
        subprocess.run(["scancel", victim], env=slurm, check=True)
        out, err = proc.communicate(timeout=DEADLINE_S)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert _blocks_written(run) > 3
    assert f"job {victim} lost all its workers; submitting a replacement" in out
    assert (run / "summary.csv").read_bytes() == reference


def test_all_jobs_lost_gives_the_resume_command_and_a_local_resume_finishes(tmp_path, slurm,
                                                                           reference):
    """Every worker job cancelled and the node drained, so that the replacements wait in the
    queue: one line after --worker-timeout, with the --resume command; that command, on a
    LocalCluster instead of the jobs, finishes the run to the same bytes."""
    run = tmp_path / "run"
    proc = _start(slurm, run, *JOBS, "--worker-timeout", "5")
    node = ["scontrol", "update", "NodeName=localhost"]
    try:
        _wait(_two_jobs_running_and_blocks(slurm, run, 3))
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
