"""Two threads against one: the compiled kernel releases the GIL (issue 3).

Propagates N ISS-F200 samples for one day (Cowell, rtol 1e-7) in one call, then as two
threads on the halves, and prints the speed-up (best of --repeats) and whether the results
are bit-identical. A baseline line shows how much two independent CPU-bound processes get
on this machine together.

    python benchmarks/thread_scaling.py --samples 512 --repeats 5
"""
import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from deorbit.atmosphere import DensityTable
from deorbit.kernel import circular_state, propagate

HERE = Path(__file__).parent


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=512, help="block size (default 512)")
    ap.add_argument("--repeats", type=int, default=5, help="best of N (default 5)")
    args = ap.parse_args()
    w = json.loads((HERE / "iss_f200.json").read_text())
    table = DensityTable(w["density"]["alt_km"], w["density"]["rho_kg_m3"])
    bc = w["object"]["mass_kg"] / (w["object"]["cd"] * w["object"]["area_m2"])
    y0 = np.tile(circular_state(410.0, 51.64), (args.samples, 1))
    half = args.samples // 2
    out = {}

    def work(key, sl):
        out[key] = propagate(0.0, y0[sl], bc, table, 1.0, method="cowell", rtol=1e-7,
                             zonal_degree=2, altitude="sphere").end_state_eci

    work("warm", slice(0, 4))
    one = two = np.inf
    for _ in range(args.repeats):
        t = time.perf_counter()
        work("one", slice(None))
        one = min(one, time.perf_counter() - t)
        threads = [threading.Thread(target=work, args=(k, s))
                   for k, s in (("a", slice(0, half)), ("b", slice(half, None)))]
        t = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        two = min(two, time.perf_counter() - t)
    same = np.array_equal(out["one"], np.concatenate([out["a"], out["b"]]))
    print(f"{args.samples} samples x 1 day: 1 thread {one * 1e3:.1f} ms, 2 threads "
          f"{two * 1e3:.1f} ms, speed-up {one / two:.2f}x, bit-identical {same}")
    loop = ("import time\nt=time.perf_counter()\nfor i in range(10**7): pass\n"
            "print(time.perf_counter()-t)")
    solo = float(subprocess.run([sys.executable, "-c", loop], capture_output=True, text=True,
                                check=True).stdout)
    procs = [subprocess.Popen([sys.executable, "-c", loop], stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    pair = [float(p.communicate()[0]) for p in procs]
    print(f"baseline: two independent CPU-bound processes together run at "
          f"{2 * solo / max(pair):.2f}x the throughput of one")


if __name__ == "__main__":
    main()
