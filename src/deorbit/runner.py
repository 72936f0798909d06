"""Fan a run's blocks out over Dask ``distributed``, store each as it finishes, summarise.

- Where: a ``LocalCluster`` on loopback (dashboard off) by default; an existing scheduler
  by address; or any ``distributed.Client`` the caller made (e.g. from ``dask-jobqueue``).
- Tasks are :func:`deorbit.engine.run_block` calls, their results encoded for the store on
  the worker (:func:`_block_task`), with explicit, distinct keys; they are pure, so Dask's
  retries are safe. At most ``2 x workers`` blocks are in flight.
- Each finished block is written to the run directory at once (atomic rename); a killed
  run resumes where it stopped and gives the same result.
- Convergence: blocks are counted in block order. A scenario stops at the first number of
  leading blocks k at which its confidence-interval target holds (checked for every k in
  turn), or at its sample cap; later blocks that happened to finish are kept on disk but not
  used, so the answer does not depend on completion order.
"""
from __future__ import annotations

import hashlib
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from . import aggregate, engine
from .kernel import BACKEND
from .store import FORMAT_VERSION, RunStore, RunStoreError, encode_block, one_line


@dataclass
class _Plan:
    """Bookkeeping of one scenario during a run."""

    scenario: object
    samples: int
    n_blocks: int
    done: set
    used: int | None = None      # leading blocks used, once decided
    checked: int = 0             # leading blocks read (and tested against the target)
    parts: list = field(default_factory=list)  # their summary columns, one dict per block
    pending: dict = field(default_factory=dict)  # block -> summary columns, done this run

    def columns(self):
        """The summary columns of the leading blocks read so far, concatenated."""
        return {k: np.concatenate([p[k] for p in self.parts]) for k in self.parts[0]}

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


def make_client(workers, scheduler):
    """(client, cluster): connected to ``scheduler``, else to a new loopback LocalCluster
    of ``workers`` single-threaded worker processes (default: one per CPU), no dashboard."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    with dask.config.set({f"distributed.nanny.pre-spawn-environ.{k}": v
                          for k, v in WORKER_ENVIRON.items()}):
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                               processes=True, host="127.0.0.1", dashboard_address=None)
    return Client(cluster), cluster


class _Progress:
    """A progress bar with samples/s and ETA (tqdm on a terminal or when forced)."""

    def __init__(self, total, enabled):
        self.bar = None
        if enabled and total:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="sample", unit_scale=True, file=sys.stderr,
                            dynamic_ncols=True, desc="deorbit")

    def update(self, n):
        if self.bar is not None:
            self.bar.update(n)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def run(scenarios, out_dir, *, samples=None, workers=None, scheduler=None, client=None,
        resume=False, progress=None, log=print):
    """Run scenarios on Dask and write the run directory; returns the summary dict.

    Parameters
    ----------
    scenarios : list of deorbit.scenario.Scenario
        Names must be distinct.
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
    resume : bool
        Continue an interrupted run in ``out_dir``; refused if its scenarios, the files they
        read (``Scenario.data_files``), the deorbit version or its code
        (:func:`code_digest`) differ. Block files that are not this run's blocks are
        computed again (a notice each); so is everything if ``out_dir`` is absent or empty
        (a run killed before its manifest was written).
    progress : bool, optional
        Show a progress bar (default: when stderr is a terminal).
    log : callable
        Where one-line messages go (and the notices about block files not used).
    """
    from distributed import as_completed

    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise ValueError(f"scenario names must be distinct, got {names}")
    caps = [samples or s.monte_carlo.samples for s in scenarios]
    store = RunStore(out_dir, notice=log)
    manifest = _manifest(scenarios, caps)
    empty = not store.path.exists() or not any(store.path.iterdir())
    if resume and not empty:
        manifest = _check_resumable(store, manifest) | {"versions": manifest["versions"]}
    elif not empty:
        raise RunStoreError(f"{store.path} exists and is not empty; use --resume to continue "
                            "the run in it, or choose another directory")
    elif resume:
        log(f"nothing to resume in {store.path}: starting the run")
    store.path.mkdir(parents=True, exist_ok=True)
    store.write_manifest(manifest)
    for s in scenarios:
        store.remove_temporaries(s.name)

    plans = [_Plan(s, n, engine.n_blocks(s, n), set(store.valid_blocks(s.name)))
             for s, n in zip(scenarios, caps)]
    for plan in plans:
        _advance(plan, store)
    todo_samples = sum(engine.block_samples(p.scenario, b, p.samples)[1]
                       for p in plans if p.used is None for b in p.todo())
    if todo_samples == 0:
        log(f"nothing to do: every block of {', '.join(names)} is already in {store.path}")
    else:
        own_client = client is None
        cluster = None
        if own_client:
            client, cluster = make_client(workers, scheduler)
        try:
            _fan_out(client, plans, store, todo_samples,
                     sys.stderr.isatty() if progress is None else progress, as_completed, log)
        finally:
            if own_client:
                client.close()
                if cluster is not None:
                    cluster.close()
    return _finish(plans, store, manifest)


def _block_task(scenario, block_index, samples, identity):
    """One task: a block computed and encoded into its file's bytes (with its ``identity``,
    :meth:`RunStore.block_identity`), on the worker, so that the client, which serves every
    worker, only writes files. Returns (samples, bytes, the block's summary columns: the
    client would otherwise have to decode them again)."""
    arrays = engine.run_block(scenario, block_index, samples)
    summary = {k: arrays[k] for k in aggregate.SUMMARY_COLUMNS if k in arrays}
    return arrays["sample"].size, encode_block(arrays, identity), summary


def _fan_out(client, plans, store, total, show_progress, as_completed, log):
    n_workers = max(1, len(client.scheduler_info().get("workers", {})) or 1)
    limit = 2 * n_workers
    # Round-robin over scenarios so that all of them progress together.
    queue = []
    todo = [list(p.todo()) if p.used is None else [] for p in plans]
    while any(todo):
        for i, blocks in enumerate(todo):
            if blocks:
                queue.append((i, blocks.pop(0)))
    bar = _Progress(total, show_progress)
    t0 = time.perf_counter()
    done_samples = 0
    ac = as_completed()
    in_flight = {}

    def submit_next():
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
            ac.add(fut)

    submit_next()
    try:
        for fut in ac:
            if fut.key not in in_flight:  # cancelled after its scenario converged
                continue
            i, b, _ = in_flight.pop(fut.key)
            plan = plans[i]
            n, data, summary = fut.result()
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
        plan.parts.append(part if part is not None else store.concat_blocks(
            plan.scenario.name, [plan.checked], aggregate.SUMMARY_COLUMNS))
        plan.checked += 1
        if conv is not None and aggregate.convergence_half_width(
                plan.columns(), conv.metric, conv.confidence) <= conv.half_width:
            plan.used = plan.checked
            return
    if plan.checked == plan.n_blocks:
        plan.used = plan.checked


def _finish(plans, store, manifest):
    summary = {"run_dir": str(store.path), "scenarios": {}}
    for plan, entry in zip(plans, manifest["scenarios"]):
        s = plan.scenario
        if plan.used is None:
            raise RuntimeError(f"scenario {s.name}: blocks missing after the run")
        entry["blocks_used"] = list(range(plan.used))
        arrays = plan.columns()
        conf = s.monte_carlo.convergence.confidence if s.monte_carlo.convergence else 0.95
        stop = "sample cap"
        if s.monte_carlo.convergence and plan.used < plan.n_blocks:
            stop = (f"converged: {s.monte_carlo.convergence.metric} half-width <= "
                    f"{s.monte_carlo.convergence.half_width:g}")
        summary["scenarios"][s.name] = {
            "title": s.title, "confidence": conf, "stopped_by": stop,
            "metrics": aggregate.summarize(arrays, conf)}
    manifest["finished_utc"] = datetime.now(UTC).isoformat(timespec="seconds")
    store.write_manifest(manifest)
    store.write_summary(summary)
    return summary


def default_out_dir():
    """``deorbit-runs/run-YYYYmmdd-HHMMSS`` in the current directory."""
    return Path("deorbit-runs") / datetime.now().strftime("run-%Y%m%d-%H%M%S")
