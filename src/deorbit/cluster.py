"""Where a run's Dask workers come from: batch jobs of a job queue, or a scheduler file.

- :class:`JobQueue` describes ``--cluster slurm|pbs|sge|lsf --jobs N --cores C --memory M
  --walltime HH:MM:SS [--queue Q] [--account A]``; :func:`start_job_queue` submits the jobs
  through ``dask-jobqueue`` (one code path for the four systems: only the class and the name
  of the account option differ) and :class:`JobWatch` submits a replacement for each job
  whose workers all left (``scancel``, walltime, a node lost) while the run goes on.
  Each job runs ``C`` single-threaded worker processes (as deorbit's LocalCluster does) that
  share its memory ``M``; the options not given here (network interface, log and local
  directories, extra directives, scheduler options) come from Dask's jobqueue configuration
  (``~/.config/dask/jobqueue.yaml``, key ``jobqueue.<system>``), as dask-jobqueue reads them.
- :func:`connect_scheduler_file` joins a scheduler started inside an allocation by
  ``dask scheduler --scheduler-file PATH`` (or dask-mpi), waiting for the file to appear.

Nothing here decides what is computed: the worker count and where the workers run never
change a result (the runner's blocks are pure and summed in block order).
"""
from __future__ import annotations

import contextlib
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

from .store import one_line

#: The job-queue systems of ``--cluster``: dask-jobqueue's class and the name it gives the
#: option that charges an account (``#SBATCH -A``, ``#PBS -A``, ``#$ -P``, ``#BSUB -P``).
SYSTEMS = {"slurm": ("SLURMCluster", "account"), "pbs": ("PBSCluster", "account"),
           "sge": ("SGECluster", "project"), "lsf": ("LSFCluster", "project")}
#: How long ``--scheduler-file`` waits for the file to appear (the scheduler of the
#: allocation may still be starting), s.
SCHEDULER_FILE_WAIT_S = 60.0
_WALLTIME = re.compile(r"(\d+):([0-5]\d):([0-5]\d)")


class ClusterError(RuntimeError):
    """The workers cannot be had (no scheduler file, a job not submitted); one line."""


def walltime_seconds(text: str) -> int:
    """Seconds of a walltime ``HH:MM:SS`` (hours may exceed 24); ValueError otherwise."""
    m = _WALLTIME.fullmatch(text.strip())
    if not m:
        raise ValueError(f"{text!r}: allowed HH:MM:SS, e.g. 01:30:00")
    seconds = 3600 * int(m.group(1)) + 60 * int(m.group(2)) + int(m.group(3))
    if seconds == 0:
        raise ValueError(f"{text!r}: allowed a walltime > 00:00:00")
    return seconds


def memory_bytes(text: str) -> int:
    """Bytes of a job memory such as ``16GB`` or ``4GiB`` (Dask's units); ValueError."""
    from dask.utils import parse_bytes

    try:
        n = parse_bytes(text)
    except (ValueError, TypeError):
        n = None
    if not n or n <= 0:
        raise ValueError(f"{text!r}: allowed a size such as 16GB or 4GiB")
    return int(n)


@dataclass(frozen=True)
class JobQueue:
    """Batch jobs that run a run's Dask workers.

    Attributes
    ----------
    system : str
        One of :data:`SYSTEMS`.
    jobs : int
        Jobs kept running (a lost one is replaced).
    cores : int, optional
        Cores per job, one single-threaded worker process each (default: Dask's jobqueue
        configuration of the system).
    memory : str, optional
        Memory per job, e.g. ``"16GB"``, shared by its worker processes (default: as cores).
    walltime : str, optional
        ``HH:MM:SS`` per job (default: the configuration's, else the queue's).
    queue, account : str, optional
        Queue (partition) and account (project) the jobs are submitted to.
    """

    system: str
    jobs: int
    cores: int | None = None
    memory: str | None = None
    walltime: str | None = None
    queue: str | None = None
    account: str | None = None

    def check(self):
        """ValueError, one line naming the option, if a value is wrong or missing (cores and
        memory may come from Dask's jobqueue configuration instead)."""
        import dask

        if self.system not in SYSTEMS:
            raise ValueError(f"--cluster {self.system!r}: allowed {', '.join(SYSTEMS)}")
        if not (isinstance(self.jobs, int) and self.jobs >= 1):
            raise ValueError(f"--jobs {self.jobs}: allowed an integer >= 1")
        if self.cores is not None and self.cores < 1:
            raise ValueError(f"--cores {self.cores}: allowed an integer >= 1")
        for option, value, parse in (("--memory", self.memory, memory_bytes),
                                     ("--walltime", self.walltime, walltime_seconds)):
            if value is not None:
                try:
                    parse(value)
                except ValueError as exc:
                    raise ValueError(f"{option} {exc}") from None
        for option, value in (("--cores", self.cores), ("--memory", self.memory)):
            key = f"jobqueue.{self.system}.{option[2:]}"
            if value is None and dask.config.get(key, None) is None:
                raise ValueError(f"--cluster {self.system} needs {option} (or {key} in the "
                                 "Dask configuration)")

    def describe(self) -> str:
        """``2 SLURM jobs (4 cores, 8GB, 01:00:00 each)``."""
        each = ", ".join(str(v) for v in (
            f"{self.cores} cores" if self.cores else None, self.memory, self.walltime)
            if v)
        return (f"{self.jobs} {self.system.upper()} job{'s' * (self.jobs > 1)}"
                + (f" ({each} each)" if each else ""))


def _job_script_prologue(system, environ):
    """The configured prologue of the system's job script, then the exports that give the
    jobs' worker processes ``environ`` (None: unset) through Dask's configuration."""
    import dask

    configured = list(dask.config.get(f"jobqueue.{system}.job-script-prologue", None) or [])
    value = "{" + ", ".join(f"{k!r}: {v!r}" for k, v in environ.items()) + "}"
    return [*configured, f'export DASK_DISTRIBUTED__NANNY__PRE_SPAWN_ENVIRON="{value}"']


def start_job_queue(spec: JobQueue, environ: dict):
    """:func:`job_queue_cluster` with its jobs submitted (they may still wait in the queue
    when this returns).

    Raises
    ------
    ClusterError
        dask-jobqueue is not installed, or the submission failed (its command's message).
    """
    cluster = job_queue_cluster(spec, environ)
    try:
        _submit(cluster, spec.jobs)
    except ClusterError as exc:
        with contextlib.suppress(Exception):
            cluster.close()
        raise ClusterError(f"--cluster {spec.system}: the jobs were not submitted: "
                           f"{exc}") from None
    return cluster


def job_queue_cluster(spec: JobQueue, environ: dict):
    """The dask-jobqueue cluster of ``spec``, no job submitted yet (``job_script()`` shows
    what each job will run).

    The scheduler runs in this process; its dashboard is on a free port of 127.0.0.1 unless
    the configuration's ``scheduler-options`` say otherwise. ``environ`` is set (a None
    value: unset) in the jobs' worker processes.
    """
    try:
        import dask_jobqueue
    except ModuleNotFoundError:
        raise ClusterError(f"--cluster {spec.system} needs dask-jobqueue: "
                           'pip install "deorbit[cluster]"') from None
    import dask

    class_name, account_option = SYSTEMS[spec.system]
    cores = spec.cores or dask.config.get(f"jobqueue.{spec.system}.cores")
    kwargs = {"cores": cores, "processes": cores,  # one single-threaded process per core
              "memory": spec.memory, "walltime": spec.walltime, "queue": spec.queue,
              account_option: spec.account}
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    if spec.system == "lsf" and spec.walltime:  # LSF's -W is [hours:]minutes
        minutes = -(-walltime_seconds(spec.walltime) // 60)
        kwargs["walltime"] = f"{minutes // 60:02d}:{minutes % 60:02d}"
    scheduler_options = dask.config.get(f"jobqueue.{spec.system}.scheduler-options", None)
    kwargs["scheduler_options"] = {"dashboard_address": "127.0.0.1:0",
                                   **(scheduler_options or {})}
    kwargs["job_script_prologue"] = _job_script_prologue(spec.system, environ)
    try:
        return getattr(dask_jobqueue, class_name)(**kwargs)
    except (ValueError, TypeError) as exc:
        raise ClusterError(f"--cluster {spec.system}: {one_line(exc, 100)}") from None


def _submit(cluster, jobs):
    """Submit the jobs that ``cluster`` lacks to have ``jobs``, and wait for the submit
    commands (not for the jobs to start); ClusterError with the command's last line of
    error (e.g. ``sbatch: error: Batch job submission failed: Invalid account``).

    (dask-jobqueue's ``scale`` submits in the background, where a refused submission is
    only logged and the run would wait for workers that never come.)
    """
    while len(cluster.worker_spec) < jobs:
        cluster.worker_spec.update(cluster.new_worker_spec())
    try:
        cluster.sync(cluster._correct_state)
    except RuntimeError as exc:
        failed = [n for n, job in cluster.workers.items() if getattr(job, "job_id", 1) is None]
        for name in failed:  # never submitted: neither a job to cancel nor one to wait for
            del cluster.workers[name]
        lines = [line for line in str(exc).splitlines() if line.strip()]
        raise ClusterError(lines[-1] if lines else one_line(exc, 100)) from None


class JobWatch:
    """Replaces the jobs of a job-queue cluster whose workers have all left.

    A job counts as lost once it has had a worker and none of its workers is connected
    any more (``scancel``, the walltime, a lost node; Dask takes its tasks back and gives
    them to the other workers). Its job is cancelled (in case a part of it lives on) and a
    new one submitted under the same name. A job still waiting in the queue is never
    counted lost. Call :meth:`check` now and then while the run goes on.
    """

    def __init__(self, cluster, log):
        self.cluster, self.log = cluster, log
        self.seen = set()          # names of the jobs that have had a worker
        self.replaced = 0

    def _job_of(self, worker_name):
        """The cluster's job a worker belongs to (workers are named JOB-i), or None."""
        name = str(worker_name)
        for job in self.cluster.worker_spec:
            if name == job or name.startswith(f"{job}-"):
                return job
        return None

    def check(self, worker_names):
        """Replace the lost jobs, given the names of the workers connected now."""
        alive = {self._job_of(w) for w in worker_names} - {None}
        self.seen |= alive
        lost = sorted(self.seen - alive)
        for name in lost:
            self.seen.discard(name)
            job = self.cluster.workers.pop(name, None)  # (Dask may have dropped it already)
            if job is not None:
                try:
                    self.cluster.sync(job.close)
                except Exception:  # already gone from the queue: nothing to cancel
                    pass
            self.replaced += 1
            self.log(f"job {getattr(job, 'job_id', None) or name} lost all its workers; "
                     "submitting a replacement")
        if lost:  # the jobs the cluster should have but does not: submitted again
            try:
                _submit(self.cluster, len(self.cluster.worker_spec))
            except ClusterError as exc:
                self.log(f"a replacement job was not submitted: {exc}")


def connect_scheduler_file(path, timeout_s, wait_s=None):
    """A ``distributed.Client`` of the scheduler that wrote ``path``
    (``dask scheduler --scheduler-file PATH``), once the file exists (up to ``wait_s``,
    default :data:`SCHEDULER_FILE_WAIT_S`) and the scheduler answers (within ``timeout_s``).

    Raises
    ------
    ClusterError
        No such file after ``wait_s``, a file that is not a scheduler file, or no answer.
    """
    from distributed import Client

    path = Path(path)
    wait_s = SCHEDULER_FILE_WAIT_S if wait_s is None else wait_s
    deadline = time.monotonic() + wait_s
    while True:
        try:
            info = json.loads(path.read_text())
            address = info["address"]
            break
        except FileNotFoundError:
            if time.monotonic() > deadline:
                raise ClusterError(f"--scheduler-file {path}: no such file after {wait_s:g} s "
                                   "(start the scheduler with dask scheduler "
                                   "--scheduler-file PATH)") from None
        except (json.JSONDecodeError, KeyError, TypeError):
            if time.monotonic() > deadline:  # it may be half-written: read it again
                raise ClusterError(f"--scheduler-file {path}: not a Dask scheduler file "
                                   "(JSON with an 'address')") from None
        except OSError as exc:
            raise ClusterError(f"--scheduler-file {path}: cannot be read "
                               f"({exc.strerror})") from None
        time.sleep(0.5)
    try:
        return Client(address, timeout=timeout_s)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"--scheduler-file {path}: cannot connect to the Dask scheduler "
                           f"at {address} within {timeout_s:g} s ({one_line(exc, 100)})") from None
