"""Batch jobs against a LocalCluster, the client's memory, and reading a big run back (issue 20).

The scenario is bench_engine.py's: the built-in ``iss-uncontrolled`` without its convergence
target (every run computes exactly the samples asked for).

Measured, in this order:

1. Throughput, SLURM jobs against LocalCluster, in the same run: a one-node SLURM cluster
   on this machine (``tests/slurm/cluster.sh``: slurm-wlm and munge, loopback, root) and
   ``runner.run`` through ``--cluster slurm`` (2 jobs of 1 core: 2 single-threaded worker
   processes, as the LocalCluster's 2 workers), alternated ``--rounds`` times with
   ``runner.run`` on deorbit's LocalCluster of 2 workers; each run's wall time from the call
   to the summary, job submission and worker start included (a LocalCluster's start too),
   and the time to the first block file. The two setups must write the same summary.csv.
2. The client's peak memory: ``runner.run`` in a child process connected (``scheduler=``) to a
   Dask scheduler and 2 single-threaded workers started apart (``dask scheduler``, ``dask
   worker``), so that the child is the client alone; it reports its RSS before the run
   (after the imports and the scenario's loading) and its peak RSS during the run (VmHWM,
   reset through ``/proc/self/clear_refs`` once the scenario is loaded: loading it peaks at
   ~140 MB whatever the run, which would hide the run's own growth), at each of
   ``--memory-samples`` sample counts. The growth per sample is the slope of a
   least-squares line through (samples, peak); the peak at 10^6 samples is projected from
   it where 10^6 is not among the counts run (it is said so). ``--compare-src DIR`` runs the
   same with another source tree first (e.g. the code before this change) for a before/after.
3. Reading the largest of those runs back: ``pandas.read_parquet(RUN/samples)`` (every
   column, the per-sample arrays as lists), the same with the scalar columns only, and
   ``deorbit.load_run(RUN)`` (every block's hash and identity checked); median of 3 each.

    python benchmarks/bench_cluster.py --samples 4000 --rounds 3 \
        --memory-samples 10000 30000 100000 --json c.json --markdown c.md
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_engine import machine_info, make_scenario  # noqa: E402  (sibling module)
from compare import emit  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CLUSTER_SCRIPT = ROOT / "tests" / "slurm" / "cluster.sh"


def log(msg: str) -> None:
    print(f"[bench_cluster {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Slurm:
    """The tests' one-node SLURM cluster, started in a temporary directory."""

    def __init__(self, tmp: Path):
        self.state = tmp / "slurm"
        self.state.mkdir()
        started = subprocess.run(["bash", str(CLUSTER_SCRIPT), "start", str(self.state),
                                  str(_free_port()), str(_free_port())],
                                 capture_output=True, text=True, timeout=60)
        if started.returncode != 0:
            raise SystemExit("the SLURM cluster did not start (needs slurm-wlm, munge, root): "
                             + " ".join((started.stdout + started.stderr).split()))
        os.environ["SLURM_CONF"] = started.stdout.strip().splitlines()[-1]
        self.logs = tmp / "job-logs"

    def config(self):
        """Dask's jobqueue configuration for it: loopback, job logs in the temporary folder."""
        return {"jobqueue.slurm.interface": "lo",
                "jobqueue.slurm.log-directory": str(self.logs)}

    def stop(self):
        subprocess.run(["scancel", "--user", str(os.getuid())], capture_output=True)
        subprocess.run(["bash", str(CLUSTER_SCRIPT), "stop", str(self.state)],
                       capture_output=True, timeout=60)


def _first_block_s(out: Path, t0: float) -> float:
    files = [p.stat().st_mtime for p in (out / "samples").rglob("block-*")]
    return min(files) - t0


def throughput(scenario, samples: int, rounds: int, tmp: Path) -> dict:
    """SLURM jobs and the LocalCluster alternated ``rounds`` times; median of each."""
    import dask

    from deorbit import runner
    from deorbit.cluster import JobQueue

    slurm = Slurm(tmp)
    setups = {
        "LocalCluster, 2 workers": {"workers": 2},
        "SLURM, 2 jobs x 1 core": {"job_queue": JobQueue("slurm", jobs=2, cores=1,
                                                         memory="2GB", walltime="01:00:00")},
    }
    runs = {name: [] for name in setups}
    summaries = {}
    try:
        with dask.config.set(slurm.config()):
            for r in range(rounds):
                for name, kwargs in setups.items():
                    out = tmp / f"throughput-{r}-{len(summaries)}-{len(runs[name])}"
                    t0 = time.time()
                    t1 = time.perf_counter()
                    runner.run([scenario], out, samples=samples, progress=False,
                               log=lambda *_: None, **kwargs)
                    wall = time.perf_counter() - t1
                    runs[name].append({"wall_s": wall, "first_block_s": _first_block_s(out, t0),
                                       "samples_per_s": samples / wall})
                    summaries.setdefault(name, (out / "summary.csv").read_bytes())
                    log(f"round {r + 1}: {name}: {samples} samples in {wall:.1f} s")
                    shutil.rmtree(out)
    finally:
        slurm.stop()
    same = len(set(summaries.values())) == 1
    if not same:
        raise SystemExit("SLURM and LocalCluster runs wrote different summaries")
    return {"samples": samples, "rounds": rounds, "identical_summaries": same,
            "setups": {name: {"runs": rs,
                              "median_wall_s": float(np.median([x["wall_s"] for x in rs])),
                              "median_first_block_s": float(np.median(
                                  [x["first_block_s"] for x in rs])),
                              "median_samples_per_s": float(np.median(
                                  [x["samples_per_s"] for x in rs]))}
                       for name, rs in runs.items()}}


def _client_child(scenario_path: str, samples: int, out: str, address: str) -> None:
    """In the child: RSS after the imports, run, then the peak; one JSON line on stdout."""
    from deorbit import runner
    from deorbit.scenario import load_scenario

    scenario = load_scenario(scenario_path)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")   # the peak RSS (VmHWM) starts again from the RSS now
    before_kb = _status_kb("VmRSS")
    t0 = time.perf_counter()
    runner.run([scenario], out, samples=samples, scheduler=address, progress=False,
               log=lambda *_: None)
    wall = time.perf_counter() - t0
    print(json.dumps({"rss_before_run_kb": before_kb, "peak_rss_kb": _status_kb("VmHWM"),
                      "wall_s": wall}))


def _status_kb(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(f"{field}:"))


def _dask_cluster(env, scheduler_file: Path):
    """A scheduler and 2 single-threaded workers (one ``dask worker`` process, allocator as
    deorbit's LocalCluster sets it) on loopback, with ``env``; (address, processes)."""
    from deorbit.runner import WORKER_ENVIRON

    environ = "{" + ", ".join(f"{k!r}: {v!r}" for k, v in WORKER_ENVIRON.items()) + "}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = [subprocess.Popen([sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1",
                               "--no-dashboard", "--scheduler-file", str(scheduler_file)],
                              env=env, **quiet),
             subprocess.Popen([sys.executable, "-m", "dask", "worker", "--host", "127.0.0.1",
                               "--nworkers", "2", "--nthreads", "1", "--no-dashboard",
                               "--scheduler-file", str(scheduler_file)],
                              env=env | {"DASK_DISTRIBUTED__NANNY__PRE_SPAWN_ENVIRON": environ},
                              **quiet)]
    deadline = time.monotonic() + 60
    while not scheduler_file.exists():
        if time.monotonic() > deadline:
            raise SystemExit("the Dask scheduler did not start")
        time.sleep(0.2)
    time.sleep(0.5)
    return json.loads(scheduler_file.read_text())["address"], procs


def _client_run(scenario_path, n, out, address, env, label):
    done = subprocess.run([sys.executable, __file__, "--_client-child", str(scenario_path),
                           str(n), str(out), address], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"client child ({label}, {n} samples) failed:\n{done.stderr}")
    row = json.loads(done.stdout.strip().splitlines()[-1]) | {"samples": n, "run_dir": str(out)}
    log(f"{label}: {n} samples: client peak RSS {row['peak_rss_kb'] / 1024:.1f} MiB "
        f"(before the run {row['rss_before_run_kb'] / 1024:.1f} MiB), {row['wall_s']:.0f} s")
    return row


def client_memory(scenario_path: Path, counts, tmp: Path, src: Path, label: str) -> dict:
    """Peak RSS of the client process at each sample count, with the sources in ``src``."""
    rows = []
    env = dict(os.environ, PYTHONPATH=str(src))
    address, procs = _dask_cluster(env, tmp / f"scheduler-{label.replace(' ', '-')}.json")
    try:
        for n in counts:
            rows.append(_client_run(scenario_path, n, tmp / f"mem-{label}-{n}", address, env,
                                    label))
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=60)
    x = np.array([r["samples"] for r in rows], float)
    y = np.array([r["peak_rss_kb"] for r in rows], float) * 1024
    slope, intercept = np.polyfit(x, y, 1) if len(rows) > 1 else (float("nan"), y[0])
    measured_1e6 = next((r for r in rows if r["samples"] == 10**6), None)
    return {"source": str(src), "rows": rows, "growth_bytes_per_sample": float(slope),
            "intercept_mib": float(intercept / 2**20),
            "peak_1e6_mib": (measured_1e6["peak_rss_kb"] / 1024 if measured_1e6
                             else float((intercept + slope * 1e6) / 2**20)),
            "peak_1e6_projected": measured_1e6 is None}


def read_back(run_dir: Path) -> dict:
    """Seconds to read a run's samples: pandas (all columns, scalars) and load_run."""
    import pandas as pd
    import pyarrow.parquet as pq

    import deorbit

    first = next((run_dir / "samples").rglob("*.parquet"))
    scalars = [f.name for f in pq.read_schema(first) if not str(f.type).startswith("fixed_size")]

    def timed(fn):
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            df = fn()
            times.append(time.perf_counter() - t0)
        return float(np.median(times)), df.shape

    out = {}
    for name, fn in (("pandas.read_parquet, all columns",
                      lambda: pd.read_parquet(run_dir / "samples")),
                     ("pandas.read_parquet, scalar columns",
                      lambda: pd.read_parquet(run_dir / "samples", columns=scalars)),
                     ("deorbit.load_run", lambda: deorbit.load_run(run_dir))):
        s, shape = timed(fn)
        out[name] = {"median_s": s, "rows": shape[0], "columns": shape[1]}
        log(f"read back: {name}: {s:.2f} s ({shape[0]} rows x {shape[1]} columns)")
    size = sum(p.stat().st_size for p in (run_dir / "samples").rglob("*.parquet"))
    files = len(list((run_dir / "samples").rglob("*.parquet")))
    return {"run_dir": str(run_dir), "bytes": size, "files": files, "readers": out}


def markdown(doc: dict) -> str:
    m = doc["machine"]
    lines = [f"{m['date_utc']} · {m['cpu_model']} · {m['cores']} cores · Python {m['python']}, "
             f"dask {m['dask']} · load average at start {m['load_average_1_5_15']}", ""]
    tp = doc.get("throughput")
    if tp:
        lines += [f"Throughput, {tp['samples']} samples of {doc['scenario']}, median of "
                  f"{tp['rounds']} alternated rounds (summaries identical: "
                  f"{tp['identical_summaries']}):", "",
                  "| setup | wall (s) | to first block (s) | samples/s |", "|---|---:|---:|---:|"]
        for name, s in tp["setups"].items():
            lines.append(f"| {name} | {s['median_wall_s']:.1f} | {s['median_first_block_s']:.1f}"
                         f" | {s['median_samples_per_s']:.0f} |")
        names = list(tp["setups"])
        ratio = (tp["setups"][names[1]]["median_samples_per_s"]
                 / tp["setups"][names[0]]["median_samples_per_s"])
        lines += ["", f"{names[1]} / {names[0]}: {ratio:.2f}", ""]
    for key in ("memory_before", "memory"):
        mem = doc.get(key)
        if not mem:
            continue
        lines += [f"Client peak RSS ({'before: ' if key == 'memory_before' else ''}"
                  f"{mem['source']}):", "",
                  "| samples | RSS before the run (MiB) | peak RSS (MiB) | run (s) |",
                  "|---:|---:|---:|---:|"]
        for r in mem["rows"]:
            lines.append(f"| {r['samples']:,} | {r['rss_before_run_kb'] / 1024:.1f} | "
                         f"{r['peak_rss_kb'] / 1024:.1f} | {r['wall_s']:.0f} |")
        lines += ["", f"growth {mem['growth_bytes_per_sample']:.1f} bytes per sample; at 10^6 "
                      f"samples {mem['peak_1e6_mib']:.0f} MiB"
                      + (" (projected from the growth)" if mem["peak_1e6_projected"] else ""),
                  ""]
    rb = doc.get("read_back")
    if rb:
        rows = next(iter(rb["readers"].values()))["rows"]
        lines += [f"Reading a {rows:,}-sample run back ({rb['files']} Parquet files, "
                  f"{rb['bytes'] / 2**20:.0f} MiB), median of 3:", "",
                  "| reader | s | rows x columns |", "|---|---:|---|"]
        for name, r in rb["readers"].items():
            lines.append(f"| {name} | {r['median_s']:.2f} | {r['rows']} x {r['columns']} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--samples", type=int, default=4000, help="samples per throughput run")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--memory-samples", type=int, nargs="*", default=[10_000, 30_000, 100_000])
    p.add_argument("--compare-src", type=Path, help="another source tree for a before/after "
                                                     "of the client memory")
    p.add_argument("--no-slurm", action="store_true", help="skip the throughput comparison")
    p.add_argument("--json")
    p.add_argument("--markdown")
    p.add_argument("--_client-child", nargs=4, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args._client_child:
        path, n, out, address = args._client_child
        _client_child(path, int(n), out, address)
        return 0
    doc = {"machine": machine_info(), "scenario": "iss-uncontrolled (no convergence target)"}
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp_dir:
        tmp = Path(tmp_dir)
        scenario, _ = make_scenario(tmp, profile="F107_70_Ap_4", block_size=None,
                                    force_table=False)
        scenario_path = tmp / f"{scenario.name}.toml"
        if not args.no_slurm:
            doc["throughput"] = throughput(scenario, args.samples, args.rounds, tmp)
        if args.memory_samples:
            if args.compare_src:
                doc["memory_before"] = client_memory(scenario_path, args.memory_samples, tmp,
                                                     args.compare_src.resolve(), "before")
            doc["memory"] = client_memory(scenario_path, args.memory_samples, tmp,
                                          ROOT / "src", "this tree")
            largest = max(doc["memory"]["rows"], key=lambda r: r["samples"])
            doc["read_back"] = read_back(Path(largest["run_dir"]))
    return emit(doc, markdown(doc), args.json, args.markdown, log)


if __name__ == "__main__":
    sys.exit(main())
