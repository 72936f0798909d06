"""Sampling the space weather of a block against propagating it (issue 4).

For each built-in scenario with a solar-activity model, and each of its first blocks, inside
one ``engine.run_block`` call: the time of ``environment.daily_indices`` (the solar model's daily
F10.7, F10.7a and Ap paths as NRLMSISE-00 inputs: of every sample for the block's first
``environment.SOLAR_WINDOW_DAYS``, the "days" column, and to the horizon for the few samples that
live longer) against the time of all the block's ``kernel.propagate`` calls (natural decay,
deorbit burns and targeting, the fragments' fall), and the whole block. Prints a Markdown
table with the ratio; the target is sampling < propagating. The last columns are the block's
wall time, its CPU time (``time.process_time``: what a machine shared with other work
disturbs least) and the CPU time per sample against ``iss-uncontrolled``'s (issue 19).

    python benchmarks/bench_solar.py --blocks 8
"""
import argparse
import time

import numpy as np

from deorbit import engine, environment, fall, flight, operations
from deorbit.scenario import builtin_names, load_scenario

#: Every built-in scenario, iss-uncontrolled first (the others' per-sample cost is a ratio to
#: its).
SCENARIOS = ("iss-uncontrolled", *sorted(set(builtin_names()) - {"iss-uncontrolled"}))


def time_block(scenario, block):
    """(sampling s, propagating s, samples, days per sample, samples flown twice, block s,
    block CPU s) of one block: the time of ``environment.daily_indices`` and of every
    ``kernel.propagate`` call (the engine's: decay, the fragments' fall; and the deorbit
    sequence's, from ``operations``), both timed inside one run_block call, how many
    samples the block flew again with paths to the horizon, and the whole call's wall and
    CPU time."""
    spent = {"daily_indices": 0.0, "propagate": 0.0}
    shape, again = [], []

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            out = fn(*args, **kwargs)
            spent[name] += time.perf_counter() - t
            if name == "daily_indices" and not shape:  # the block's first sampling:
                n, days = out.f107a_sfu.shape          # its window, not the held columns
                shape.append((n, min(days, kwargs.get("n_days") or days)))
            elif name == "daily_indices":              # the samples that fly again
                again.append(len(kwargs["rows"]))
            return out
        return wrapper

    patched = [(environment, "daily_indices"), (flight, "propagate"), (operations, "propagate"),
               (fall, "propagate")]
    real = [(module, name, getattr(module, name)) for module, name in patched]
    try:
        for module, name, fn in real:
            setattr(module, name, timed(name, fn))
        c0, t0 = time.process_time(), time.perf_counter()
        engine.run_block(scenario, block)
        block_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    finally:
        for module, name, fn in real:
            setattr(module, name, fn)
    return spent["daily_indices"], spent["propagate"], *shape[0], sum(again), block_s, cpu_s


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--blocks", type=int, default=3,
                    help="blocks per scenario (default 3; fewer if the scenario has fewer)")
    args = ap.parse_args()
    print("| scenario | solar model | samples x days | flown twice, per block | sampling ms | "
          "propagating ms | sampling / propagating | block ms | block CPU ms | "
          "CPU per sample / iss-uncontrolled's |")
    print("|---|---|---|---|---:|---:|---:|---:|---:|---:|")
    base = None
    for name in SCENARIOS:
        s = load_scenario(name)
        if s.solar.model == "constant":
            continue
        environment.density_table(s)  # load the table outside the timing
        time_block(s, 0)         # warm-up: imports, the solar model's calibration
        blocks = min(args.blocks, engine.n_blocks(s))
        rows = [time_block(s, b) for b in range(blocks)]
        ts, tp = np.sum([r[:2] for r in rows], axis=0)
        n, days = rows[0][2:4]
        twice = ", ".join(str(r[4]) for r in rows)
        block_ms = 1e3 * sum(r[5] for r in rows) / blocks
        cpu_ms = 1e3 * sum(r[6] for r in rows) / blocks
        per_sample = cpu_ms / n
        base = per_sample if name == "iss-uncontrolled" else base
        ratio = f"{per_sample / base:.2f}" if base else "–"
        print(f"| {name} | {s.solar.model} | {n} x {days} | {twice} | "
              f"{1e3 * ts / blocks:.0f} | {1e3 * tp / blocks:.0f} | {ts / tp:.2f} | "
              f"{block_ms:.0f} | {cpu_ms:.0f} | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
