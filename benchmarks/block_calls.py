"""Where one block's propagation goes: every ``kernel.propagate`` call, by call site (issue 19).

Runs a warm-up block (block 0), then one block of a built-in scenario with every
``propagate`` of ``deorbit.flight``, ``deorbit.operations`` and ``deorbit.fall`` wrapped, and
prints per call site (the chain of calling functions): calls, samples, right-hand-side
evaluations (``n_rhs``: the kernel's work, independent of the machine's load), the wall time
of the calls and the part of it inside the backend's ``propagate_block`` (the rest is the
wrapper's checks and conversions).

    python benchmarks/block_calls.py iss-2030 --block 1
"""
import argparse
import collections
import time
import traceback

from deorbit import engine, environment, fall, flight, kernel, operations
from deorbit.scenario import load_scenario


def profile_block(scenario, block, depth=5):
    """{call site: [calls, samples, rhs, wall s, backend s]} and the block's wall s."""
    stats = collections.defaultdict(lambda: [0, 0, 0, 0.0, 0.0])
    real, real_block = kernel.propagate, kernel._backend.propagate_block
    inside = [0.0]

    def timed_block(**kw):
        t = time.perf_counter()
        real_block(**kw)
        inside[0] += time.perf_counter() - t

    def timed(*args, **kw):
        site = " < ".join(f.name for f in reversed(traceback.extract_stack(limit=depth + 1)[:-1]))
        inside[0] = 0.0
        t = time.perf_counter()
        res = real(*args, **kw)
        e = stats[site]
        e[0] += 1
        e[1] += res.status.size
        e[2] += int(res.n_rhs.sum())
        e[3] += time.perf_counter() - t
        e[4] += inside[0]
        return res

    modules = (flight, operations, fall)
    try:
        kernel._backend.propagate_block = timed_block
        for m in modules:
            m.propagate = timed
        t0 = time.perf_counter()
        engine.run_block(scenario, block)
        wall = time.perf_counter() - t0
    finally:
        kernel._backend.propagate_block = real_block
        for m in modules:
            m.propagate = real
    return stats, wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", help="built-in scenario name or .toml path")
    ap.add_argument("--block", type=int, default=1, help="block to profile (default 1)")
    args = ap.parse_args()
    s = load_scenario(args.scenario)
    environment.density_table(s)
    engine.run_block(s, 0)  # warm-up: imports, tables, the solar model's calibration
    stats, wall = profile_block(s, args.block)
    print(f"{args.scenario} block {args.block}: {1e3 * wall:.0f} ms\n")
    print("| call site | calls | samples | RHS evaluations | ms | in the backend ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for site, (c, n, rhs, t, k) in sorted(stats.items(), key=lambda kv: -kv[1][2]):
        print(f"| {site} | {c} | {n} | {rhs:,} | {1e3 * t:.1f} | {1e3 * k:.1f} |")
    tot = [sum(v[i] for v in stats.values()) for i in range(5)]
    print(f"| all | {tot[0]} | {tot[1]} | {tot[2]:,} | {1e3 * tot[3]:.1f} | {1e3 * tot[4]:.1f} |")


if __name__ == "__main__":
    main()
