"""Fan a run's blocks out over Dask ``distributed``, store each as it finishes, summarise.

- Where: a ``LocalCluster`` on loopback (dashboard off) by default; an existing scheduler
  by address or by scheduler file (connected to, within :data:`CONNECT_TIMEOUT_S`, before
  anything is written); batch jobs of a job queue (:mod:`deorbit.cluster`: SLURM, PBS, SGE,
  LSF through dask-jobqueue, lost jobs replaced); or any ``distributed.Client`` the caller
  made.
- Tasks are :func:`deorbit.engine.run_block` calls, their results encoded for the store on
  the worker (:func:`_block_task`), with explicit, distinct keys; they are pure, so Dask's
  retries are safe. At most ``2 x workers`` blocks are in flight.
- Each finished block is written to the run directory at once (atomic rename); a killed
  run resumes where it stopped and gives the same result. A run with no live worker for
  ``no_worker_timeout_s`` gives up (:class:`RunError`); its blocks stay for ``--resume``.
- Dask's own log lines (cancelled tasks, worker restarts, ports) are kept out of the user's
  output while a run goes on: only errors pass.
- The client keeps no per-sample table: the summary columns of the leading blocks go to
  files (:class:`deorbit.aggregate.ColumnSpill`) and the summary reads them back a few
  columns at a time.
- Convergence: blocks are counted in block order. A scenario stops at the first number of
  leading blocks k at which its confidence-interval target holds (checked for every k in
  turn), or at its sample cap; later blocks that happened to finish are not used (and are
  removed when the run finishes), so the answer does not depend on completion order.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from . import aggregate, engine
from .kernel import BACKEND
from .store import FORMAT_VERSION, RunStore, RunStoreError, encode_block, one_line

#: Seconds without a live Dask worker after which a run gives up (default of ``run``).
NO_WORKER_TIMEOUT_S = 60.0
#: The same with a job queue, whose jobs (and their replacements) may wait in the queue, s.
JOB_QUEUE_WORKER_TIMEOUT_S = 600.0
#: Seconds to connect to a scheduler given by address.
CONNECT_TIMEOUT_S = 10.0
#: Without a terminal, a progress line at most this often, s (and at 25, 50, 75, 100 %).
PROGRESS_INTERVAL_S = 10.0
#: How often the runner looks at the cluster while it waits for blocks, s.
_POLL_S = 1.0


class RunError(RuntimeError):
    """A run cannot go on (no scheduler, no live worker); the message is one line."""


@dataclass
class _Plan:
    """Bookkeeping of one scenario during a run."""

    scenario: object
    samples: int
    n_blocks: int
    done: set
    spill: aggregate.ColumnSpill  # the summary columns of the leading blocks read so far
    used: int | None = None      # leading blocks used, once decided
    half_width: float | None = None  # of the convergence metric over the blocks used
    checked: int = 0             # leading blocks read (and tested against the target)
    pending: dict = field(default_factory=dict)  # block -> summary columns, done this run

    def todo(self):
        return [b for b in range(self.n_blocks) if b not in self.done]


def _versions():
    import dask
    import distributed

    from . import __version__

    return {"deorbit": __version__, "deorbit_code_sha256": code_digest(),
            "kernel_backend": BACKEND, "python": platform.python_version(),
            "numpy": np.__version__, "dask": dask.__version__,
            "distributed": distributed.__version__}


def code_digest(root: Path = Path(__file__).parent) -> str:
    """sha256 over the package's Python sources (relative paths and contents, in path order).

    A resumed run must be finished by the code that began it, whatever the version string
    says (a model change between two installs of the same version would otherwise mix two
    models' samples). The compiled kernel is identified by its backend only.
    """
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _manifest(scenarios, samples):
    return {
        "format_version": FORMAT_VERSION,
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": _versions(),
        "history_step_days": engine.HISTORY_STEP_DAYS,
        "scenarios": [{
            "name": s.name, "title": s.title, "source": s.source, "sha256": s.sha256,
            "text": s.text, "seed": s.monte_carlo.seed, "block_size": s.monte_carlo.block_size,
            "samples": n, "density_table": s.atmosphere.source,
            "data_files": {key: {"path": path, "sha256": _file_sha256(path)}
                           for key, path in s.data_files().items()},
        } for s, n in zip(scenarios, samples)],
    }


def _file_sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _check_resumable(store, manifest):
    """The manifest of the run in ``store``, if the run of ``manifest`` may continue it;
    else RunStoreError that says, one line each, what differs."""
    old = store.read_manifest()
    differences = _differences(old, manifest)
    if differences:
        raise RunStoreError(f"{store.path}: not resumed: this run differs from the one in it, "
                            "and so could its results (start a new run directory):\n"
                            + "\n".join(f"  {d}" for d in differences))
    return old


def _differences(old, new):
    """What a run (manifest ``new``) does differently from ``old``, one line per field:
    deorbit's version and code, the scenarios, and each one's text, seed, block size, sample
    cap and data files (values cut to a line)."""
    out = []
    then, now = old.get("versions", {}), new["versions"]
    if then.get("deorbit") != now["deorbit"]:
        out.append(f"deorbit version: was {one_line(then.get('deorbit'))}, "
                   f"now {now['deorbit']}")
    code_then, code_now = str(then.get("deorbit_code_sha256")), now["deorbit_code_sha256"]
    if code_then != code_now:
        out.append(f"deorbit code (sha256 of its Python sources): was {code_then[:12]}, "
                   f"now {code_now[:12]}")
    was = {s["name"]: s for s in old["scenarios"]}
    names = [s["name"] for s in new["scenarios"]]
    if list(was) != names:
        out.append(f"scenarios: was {one_line(', '.join(was))}; now {one_line(', '.join(names))}")
    for b in new["scenarios"]:
        a = was.get(b["name"])
        if a is None:
            continue
        where = f"scenario {b['name']!r}"
        if a.get("sha256") != b["sha256"]:
            out.append(f"{where} text: {_first_difference(str(a.get('text')), b['text'])}")
        for key, what in (("seed", "seed"), ("block_size", "block size"),
                          ("samples", "samples")):
            if a.get(key) != b[key]:
                out.append(f"{where} {what}: was {one_line(a.get(key))}, now {one_line(b[key])}")
        files_then, files_now = a.get("data_files", {}), b["data_files"]
        for key in sorted(files_then.keys() | files_now.keys()):
            f_then, f_now = files_then.get(key), files_now.get(key)
            if f_then == f_now:
                continue
            if f_then and f_now and f_then.get("path") == f_now["path"]:
                out.append(f"{where} {key} {f_now['path']}: sha256 was "
                           f"{str(f_then.get('sha256'))[:12]}, now {f_now['sha256'][:12]}")
            else:
                out.append(f"{where} {key}: was {_describe(f_then)}, now {_describe(f_now)}")
    return out


def _first_difference(text_then, text_now):
    """Where two texts first differ: the line number and both lines around that place."""
    lines_then, lines_now = text_then.splitlines(), text_now.splitlines()
    k = next((i for i, (x, y) in enumerate(zip(lines_then, lines_now)) if x != y),
             min(len(lines_then), len(lines_now)))
    x, y = (lines[k] if k < len(lines) else "" for lines in (lines_then, lines_now))
    col = next((i for i, (p, q) in enumerate(zip(x, y)) if p != q), min(len(x), len(y)))
    cut = max(0, col - 16)
    lead = "..." if cut else ""
    return (f"line {k + 1} was {lead + one_line(x[cut:], 40)!r}, "
            f"now {lead + one_line(y[cut:], 40)!r}")


def _describe(entry):
    return "not set" if entry is None else f"{entry['path']} (sha256 {entry['sha256'][:12]})"


#: Environment of the LocalCluster's worker processes, over Dask's defaults (measured with
#: benchmarks/bench_engine.py; BENCHMARKS.md). Dask sets MALLOC_TRIM_THRESHOLD_=65536, which
#: also fixes glibc's mmap threshold at 128 KiB: every multi-MB temporary of a block (the
#: daily solar paths) is then mapped and unmapped anew, 11x the page faults and ~15 % of a
#: worker's time. And a task runs in a worker thread, whose own glibc arena (mmap'd heaps,
#: shrunk as they empty) faulted ~6,000 pages per block and cost 4-14 % against the same
#: blocks in a main thread: MALLOC_ARENA_MAX=1 keeps every thread on the main heap.
WORKER_ENVIRON = {"MALLOC_TRIM_THRESHOLD_": None, "MALLOC_ARENA_MAX": "1"}


def make_client(workers, scheduler, job_queue=None, scheduler_file=None):
    """(client, cluster): connected to ``scheduler`` (within :data:`CONNECT_TIMEOUT_S`, else
    :class:`RunError`), or to the scheduler of ``scheduler_file``, or to a new
    dask-jobqueue cluster of ``job_queue`` (a :class:`deorbit.cluster.JobQueue`: its jobs
    submitted, their single-threaded workers with :data:`WORKER_ENVIRON`), else to a new
    loopback LocalCluster of ``workers`` single-threaded worker processes (default: one per
    CPU) that ignore SIGINT and log nothing below CRITICAL (their errors reach the client as
    the errors of their tasks).

    No dashboard: a Dask scheduler always opens an HTTP port (health and metrics routes),
    here a free one on 127.0.0.1 instead of 8787 (no "port in use" warning, no clash).
    """
    import dask
    from distributed import Client, LocalCluster

    from .cluster import ClusterError, connect_scheduler_file, start_job_queue

    try:
        if scheduler_file:
            return connect_scheduler_file(scheduler_file, CONNECT_TIMEOUT_S), None
        if job_queue is not None:
            cluster = start_job_queue(job_queue, WORKER_ENVIRON)
            return Client(cluster), cluster
    except ClusterError as exc:
        raise RunError(str(exc)) from None
    if scheduler:
        try:
            return Client(scheduler, timeout=CONNECT_TIMEOUT_S), None
        except (OSError, TimeoutError, ValueError) as exc:
            raise RunError(f"cannot connect to the Dask scheduler at {scheduler} within "
                           f"{CONNECT_TIMEOUT_S:g} s ({one_line(exc, 100)})") from None
    config = {f"distributed.nanny.pre-spawn-environ.{k}": v for k, v in WORKER_ENVIRON.items()}
    config["distributed.worker.preload"] = ["deorbit._dask_worker"]
    with dask.config.set(config):
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                               processes=True, host="127.0.0.1", dashboard_address=None,
                               scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                               silence_logs=logging.CRITICAL)
    return Client(cluster), cluster


@contextlib.contextmanager
def _dask_errors_only():
    """Dask's loggers in this process at ERROR while a run goes on (restored after)."""
    logger = logging.getLogger("distributed")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


@contextlib.contextmanager
def _writing(path):
    """An OSError writing the run directory as one line (RunStoreError) naming the file."""
    try:
        yield
    except OSError as exc:
        raise RunStoreError(f"{exc.filename or path}: cannot write the run directory: "
                            f"{exc.strerror or one_line(exc)}") from None


def check_out_dir(path):
    """RunStoreError, one line, if ``path`` cannot become a run directory: it is a file,
    a folder above it is a file, or the nearest existing folder is not writable."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise RunStoreError(f"{path}: not a directory (a file is there); give a directory")
    existing = next(p for p in (path, *path.absolute().parents) if p.exists())
    if not existing.is_dir():
        raise RunStoreError(f"{path}: cannot be a run directory: {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise RunStoreError(f"{path}: cannot be a run directory: {existing} is not writable "
                            "(permission denied or a read-only file system)")


class _Progress:
    """Progress with samples/s and ETA: a tqdm bar on a terminal (or when forced), else
    (``mode="lines"``) a line on stderr at most every :data:`PROGRESS_INTERVAL_S` and at
    each quarter, for batch jobs whose output goes to a file."""

    def __init__(self, total, mode):
        self.bar, self.total, self.mode = None, total, mode if total else None
        self.done, self.t0, self.last = 0, time.perf_counter(), -np.inf
        self.quarter = 0
        if self.mode == "bar":
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="sample", unit_scale=True, file=sys.stderr,
                            dynamic_ncols=True, desc="deorbit")

    def update(self, n):
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.mode == "lines":
            now = time.perf_counter()
            quarter = 4 * self.done // self.total
            if quarter > self.quarter or now - self.last >= PROGRESS_INTERVAL_S:
                self.quarter, self.last = quarter, now
                rate = self.done / max(now - self.t0, 1e-9)
                eta = (self.total - self.done) / rate if rate > 0 else float("inf")
                print(f"deorbit: {self.done:,}/{self.total:,} samples "
                      f"({100 * self.done / self.total:.0f} %), {rate:.0f} samples/s, "
                      f"ETA {eta:.0f} s", file=sys.stderr, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def run(scenarios, out_dir, *, samples=None, workers=None, scheduler=None, client=None,
        resume=False, progress=None, log=print, no_worker_timeout_s=None, job_queue=None,
        scheduler_file=None):
    """Run scenarios on Dask and write the run directory; returns the summary dict.

    Nothing is written before the directory is known to be usable and, if there is work to
    do, the cluster is up (or the scheduler answered).

    Parameters
    ----------
    scenarios : list of deorbit.scenario.Scenario
        Names must be distinct. A scenario without ``monte_carlo.convergence`` runs every
        sample of its cap.
    out_dir : str or Path
        Run directory (created; must be empty or absent unless ``resume``).
    samples : int, optional
        Sample cap for every scenario (default: each scenario's ``monte_carlo.samples``).
    workers : int, optional
        Worker processes of the default LocalCluster (default: CPU count).
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``).
    client : distributed.Client, optional
        Use this client (e.g. connected to a dask-jobqueue cluster); overrides the above.
    job_queue : deorbit.cluster.JobQueue, optional
        Run the workers as batch jobs of a job queue (SLURM, PBS, SGE, LSF) through
        dask-jobqueue; a job whose workers all left is replaced (:class:`deorbit.cluster.
        JobWatch`). The jobs are cancelled when the run ends.
    scheduler_file : str or Path, optional
        Connect to the scheduler that wrote this file (``dask scheduler --scheduler-file``),
        e.g. inside an allocation; waited for up to
        :data:`deorbit.cluster.SCHEDULER_FILE_WAIT_S`.
    resume : bool
        Continue an interrupted run in ``out_dir``; refused if its scenarios, the files they
        read (``Scenario.data_files``), the deorbit version or its code
        (:func:`code_digest`) differ. Block files that are not this run's blocks are
        computed again (a notice each); so is everything if ``out_dir`` is absent or empty
        (a run killed before its manifest was written).
    progress : bool, optional
        True: a progress bar; False: none; None (default): a bar when stderr is a
        terminal, else a progress line at most every :data:`PROGRESS_INTERVAL_S`.
    log : callable
        Where one-line messages go (status, early stops, and the notices about block files
        not used).
    no_worker_timeout_s : float, optional
        Give up (:class:`RunError`) after this long without a live Dask worker, s (default
        :data:`NO_WORKER_TIMEOUT_S`; with ``job_queue``, :data:`JOB_QUEUE_WORKER_TIMEOUT_S`).

    Raises
    ------
    RunStoreError
        The run directory cannot be used or written (one line: the path and why).
    RunError
        No scheduler at ``scheduler`` (or ``scheduler_file``), jobs not submitted, or no
        live worker for ``no_worker_timeout_s``.
    """
    if no_worker_timeout_s is None:
        no_worker_timeout_s = (NO_WORKER_TIMEOUT_S if job_queue is None
                               else JOB_QUEUE_WORKER_TIMEOUT_S)
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise ValueError(f"scenario names must be distinct, got {names}")
    caps = [samples or s.monte_carlo.samples for s in scenarios]
    store = RunStore(out_dir, notice=log)
    check_out_dir(store.path)
    manifest = _manifest(scenarios, caps)
    empty = not store.path.exists() or not any(store.path.iterdir())
    if resume and not empty:
        manifest = _check_resumable(store, manifest) | {"versions": manifest["versions"]}
    elif not empty:
        raise RunStoreError(f"{store.path} exists and is not empty; use --resume to continue "
                            "the run in it, or choose another directory")
    elif resume:
        log(f"nothing to resume in {store.path}: starting the run")
    # The summary columns of the blocks used, in files: the client keeps no per-sample table.
    with tempfile.TemporaryDirectory(prefix="deorbit-columns-") as spill_dir:
        spill = Path(spill_dir)
        # Read only: the blocks already there (a resumed run) and what they decide.
        plans = []
        for i, (s, n) in enumerate(zip(scenarios, caps)):
            (spill / str(i)).mkdir()
            plans.append(_Plan(s, n, engine.n_blocks(s, n), set(store.valid_blocks(s.name)),
                               aggregate.ColumnSpill(spill / str(i))))
        for plan in plans:
            _advance(plan, store)
        todo_samples = sum(engine.block_samples(p.scenario, b, p.samples)[1]
                           for p in plans if p.used is None for b in p.todo())
        if todo_samples == 0:
            log(f"nothing to do: every block of {', '.join(names)} is already in {store.path}")
            _start(store, manifest, scenarios)
            return _finish(plans, store, manifest, log)
        if progress is None:
            mode = "bar" if sys.stderr.isatty() else "lines"
        else:
            mode = "bar" if progress else None
        with _dask_errors_only():
            own_client = client is None
            cluster = None
            if own_client:
                if job_queue is not None:
                    log(f"submitting {job_queue.describe()} ...")
                elif not (scheduler or scheduler_file):
                    log(f"starting a local Dask cluster ({workers or os.cpu_count() or 1} "
                        "workers) ...")
                client, cluster = make_client(workers, scheduler, job_queue, scheduler_file)
            try:
                _start(store, manifest, scenarios)
                watch = None
                if own_client and job_queue is not None:
                    from .cluster import JobWatch

                    watch = JobWatch(cluster, log)
                _fan_out(client, plans, store, todo_samples, mode, log, no_worker_timeout_s,
                         watch)
            finally:
                if own_client:
                    client.close()
                    if cluster is not None:
                        cluster.close()
        return _finish(plans, store, manifest, log)


def _start(store, manifest, scenarios):
    """Create the run directory, write its manifest, remove cut writes' temporaries."""
    with _writing(store.path):
        store.path.mkdir(parents=True, exist_ok=True)
        store.write_manifest(manifest)
        for s in scenarios:
            store.remove_temporaries(s.name)


def _block_task(scenario, block_index, samples, identity):
    """One task: a block computed and encoded into its file's bytes (with its ``identity``,
    :meth:`RunStore.block_identity`), on the worker, so that the client, which serves every
    worker, only writes files. Returns (samples, bytes, the block's summary columns: the
    client would otherwise have to decode them again)."""
    arrays = engine.run_block(scenario, block_index, samples)
    summary = {k: arrays[k] for k in aggregate.SUMMARY_COLUMNS if k in arrays}
    return arrays["sample"].size, encode_block(arrays, identity), summary


def _fan_out(client, plans, store, total, mode, log, no_worker_timeout_s, watch=None):
    """Submit the blocks, at most 2 per worker thread in flight (counted again as workers
    come and go), write each as it finishes; ``watch`` (a :class:`deorbit.cluster.JobWatch`)
    replaces lost jobs."""
    from distributed import wait
    from distributed.scheduler import KilledWorker

    threads = client.nthreads()
    # Round-robin over scenarios so that all of them progress together.
    queue = []
    todo = [list(p.todo()) if p.used is None else [] for p in plans]
    while any(todo):
        for i, blocks in enumerate(todo):
            if blocks:
                queue.append((i, blocks.pop(0)))
    bar = _Progress(total, mode)
    t0 = seen = time.perf_counter()
    done_samples = 0
    in_flight = {}

    def submit_next():
        limit = 2 * max(1, sum(threads.values()))
        while queue and len(in_flight) < limit:
            i, b = queue.pop(0)
            plan = plans[i]
            if plan.used is not None:
                continue
            fut = client.submit(_block_task, plan.scenario, b, plan.samples,
                                store.block_identity(plan.scenario.name, b),
                                key=f"deorbit-{plan.scenario.name}-{plan.scenario.sha256[:12]}"
                                    f"-{plan.samples}-block-{b}",
                                retries=2, pure=False)
            in_flight[fut.key] = (i, b, fut)

    submit_next()
    try:
        while in_flight:
            try:
                done = wait([f for _, _, f in in_flight.values()], timeout=_POLL_S,
                            return_when="FIRST_COMPLETED").done
            except TimeoutError:
                done = ()
            now = time.perf_counter()
            threads = client.nthreads()
            if watch is not None:
                watch.check(w["name"] for w in client.scheduler_info()["workers"].values())
            if done or threads:
                seen = now
            elif now - seen > no_worker_timeout_s:
                raise RunError(f"no Dask worker alive for {no_worker_timeout_s:g} s (they "
                               "died and were not restarted: out of memory, killed?); "
                               f"{done_samples} samples of this run are kept in {store.path}")
            for fut in sorted(done, key=lambda f: in_flight[f.key][:2]):
                if fut.key not in in_flight:  # cancelled: its scenario converged meanwhile
                    continue
                i, b, _ = in_flight.pop(fut.key)
                plan = plans[i]
                try:
                    n, data, summary = fut.result()
                except KilledWorker as exc:
                    raise RunError(f"block {b} of scenario {plan.scenario.name}: {exc}; "
                                   f"{done_samples} samples of this run are kept in "
                                   f"{store.path}") from None
                with _writing(store.path):
                    store.write_encoded_block(plan.scenario.name, b, data)
                plan.done.add(b)
                done_samples += n
                bar.update(n)
                if plan.used is None:
                    plan.pending[b] = summary
                    _advance(plan, store)
                    if plan.used is not None:
                        plan.pending.clear()
                        for key, (j, _, f) in list(in_flight.items()):
                            if j == i:
                                f.cancel()
                                in_flight.pop(key)
            submit_next()
    finally:
        bar.close()
    dt = time.perf_counter() - t0
    log(f"{done_samples} samples in {dt:.1f} s ({done_samples / max(dt, 1e-9):.0f} samples/s)")


def _advance(plan, store):
    """Decide how many leading blocks a scenario uses, if that can be decided yet.

    Each leading block's summary columns are taken once, as soon as it and every block
    before it are done: as its task returned them if this run computed it, else read from
    its file (a resumed run); :func:`_finish` summarises from the same columns.
    """
    conv = plan.scenario.monte_carlo.convergence
    while plan.checked < plan.n_blocks and plan.checked in plan.done:
        part = plan.pending.pop(plan.checked, None)
        plan.spill.append(part if part is not None else store.concat_blocks(
            plan.scenario.name, [plan.checked], aggregate.SUMMARY_COLUMNS))
        plan.checked += 1
        if conv is None:
            continue
        plan.half_width = aggregate.convergence_half_width(
            plan.spill.read(aggregate.convergence_columns(conv.metric)), conv.metric,
            conv.confidence)
        if plan.half_width <= conv.half_width:
            plan.used = plan.checked
            return
    if plan.checked == plan.n_blocks:
        plan.used = plan.checked


def _finish(plans, store, manifest, log):
    """Summarise the blocks used, write the summaries and the final manifest; one line
    each for the scenarios that stopped before their sample cap, whose later blocks (done
    meanwhile) are removed."""
    summary = {"run_dir": str(store.path), "scenarios": {}}
    for plan, entry in zip(plans, manifest["scenarios"]):
        s = plan.scenario
        if plan.used is None:
            raise RuntimeError(f"scenario {s.name}: blocks missing after the run")
        entry["blocks_used"] = list(range(plan.used))
        conv = s.monte_carlo.convergence
        conf = conv.confidence if conv else 0.95
        stop = "sample cap"
        if conv and plan.used < plan.n_blocks:
            stop = f"converged: {conv.metric} half-width <= {conv.half_width:g}"
            log(f"{s.name}: stopped early, at {plan.spill.samples:,} of {plan.samples:,} "
                f"samples: the {100 * conf:g} % half-width of {conv.metric} is "
                f"{plan.half_width:.3g} <= {conv.half_width:g} (monte_carlo.convergence; "
                "--no-convergence runs every sample)")
        summary["scenarios"][s.name] = {
            "title": s.title, "confidence": conf, "stopped_by": stop,
            "metrics": aggregate.summarize_columns(plan.spill.read, plan.spill.keys(), conf)}
    manifest["finished_utc"] = datetime.now(UTC).isoformat(timespec="seconds")
    with _writing(store.path):
        for plan in plans:
            store.remove_blocks_from(plan.scenario.name, plan.used)
        store.write_manifest(manifest)
        store.write_summary(summary)
    return summary


def default_out_dir():
    """``deorbit-runs/run-YYYYmmdd-HHMMSS`` in the current directory."""
    return Path("deorbit-runs") / datetime.now().strftime("run-%Y%m%d-%H%M%S")
