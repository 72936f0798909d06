"""Two threads against one: the compiled kernel releases the GIL (issue 3).

Propagates N ISS-F200 samples for one day (Cowell, rtol 1e-7): in one call on one thread,
then as two threads on the halves, then as two separate processes on the halves (the most
this machine can give two CPU-bound workers, with no shared interpreter at all). The three
configurations are interleaved and repeated; the script prints the median speed-ups and
whether the threaded results are bit-identical to the one-call results, and how much of
the wall time the two threads spent on a CPU (a thread waiting for the GIL does not).

On a virtual machine a single busy core often runs faster than two busy cores (host boost,
steal time), so the process pair is the yardstick: threads at the same speed-up as
processes mean the GIL is not in the way.

    python benchmarks/thread_scaling.py --samples 4096 --repeats 7
"""
import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from deorbit.atmosphere import DensityTable
from deorbit.kernel import circular_state, propagate

HERE = Path(__file__).parent


def make_work(n_samples):
    """The workload: ``work(slice)`` propagates those samples of the block for one day."""
    w = json.loads((HERE / "iss_f200.json").read_text())
    table = DensityTable(w["density"]["alt_km"], w["density"]["rho_kg_m3"])
    bc = w["object"]["mass_kg"] / (w["object"]["cd"] * w["object"]["area_m2"])
    y0 = np.tile(circular_state(410.0, 51.64), (n_samples, 1))

    def work(sl):
        return propagate(0.0, y0[sl], bc, table, 1.0, method="cowell", rtol=1e-7,
                         zonal_degree=2, altitude="sphere").end_state_eci
    return work


def child(n_samples, start, stop):
    """Process mode: wait for a line on stdin, run the half, print its wall time."""
    work = make_work(n_samples)
    work(slice(0, 4))
    sys.stdin.readline()
    t = time.perf_counter()
    work(slice(start, stop))
    print(time.perf_counter() - t, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=4096, help="block size (default 4096)")
    ap.add_argument("--repeats", type=int, default=7, help="median of N (default 7)")
    ap.add_argument("--child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    n, half = args.samples, args.samples // 2
    if args.child:
        return child(n, *args.child)
    work = make_work(n)
    work(slice(0, 4))
    out, busy = {}, {}

    def run(key, sl):
        c = time.thread_time()
        out[key] = work(sl)
        busy[key] = time.thread_time() - c

    one, threads, procs, cpu_share = [], [], [], []
    for _ in range(args.repeats):
        t = time.perf_counter()
        run("one", slice(None))
        one.append(time.perf_counter() - t)
        pair = [threading.Thread(target=run, args=(k, s))
                for k, s in (("a", slice(0, half)), ("b", slice(half, None)))]
        t = time.perf_counter()
        for th in pair:
            th.start()
        for th in pair:
            th.join()
        threads.append(time.perf_counter() - t)
        cpu_share.append((busy["a"] + busy["b"]) / (2 * threads[-1]))
        kids = [subprocess.Popen([sys.executable, __file__, "--samples", str(n), "--child",
                                  str(a), str(b)], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True)
                for a, b in ((0, half), (half, n))]
        times = [float(k.communicate("go\n")[0]) for k in kids]
        procs.append(max(times))
    same = np.array_equal(out["one"], np.concatenate([out["a"], out["b"]]))
    t1, t2, tp = (statistics.median(x) for x in (one, threads, procs))
    print(f"{n} samples x 1 day, median of {args.repeats}: 1 thread {t1 * 1e3:.1f} ms, "
          f"2 threads {t2 * 1e3:.1f} ms, 2 processes {tp * 1e3:.1f} ms")
    print(f"speed-up: 2 threads {t1 / t2:.2f}x, 2 processes {t1 / tp:.2f}x "
          f"(threads reach {tp / t2:.0%} of the process pair); bit-identical {same}")
    print(f"the two threads were on a CPU {statistics.median(cpu_share):.0%} of the wall time "
          f"(100% = never waiting for the GIL)")


if __name__ == "__main__":
    main()
