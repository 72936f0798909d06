"""Side-by-side ISS-F200 benchmark: deorbit's kernel and its peers, in one run.

Workloads (``benchmarks/iss_f200.json``; dynamics: two-body + J2 + drag in an atmosphere
co-rotating with the Earth, spherical altitude, piecewise-exponential density table):

W1  1 sample, 1 simulated day: wall time, steps, RHS evaluations and the position error after
    one day against ``peers.reference_one_day`` (SciPy DOP853 rtol 1e-13 on the same table).
W2  256 samples (areas uniform in 1500..2500 m^2, ``peers.w2_areas``), 1 day each: sample-days
    per second. Ours: one ``propagate`` call with all samples on 1 thread, and two Python
    threads each propagating half of the block (the compiled kernel releases the GIL); the
    two-thread results must be bit-identical to the one-thread results.
W3  64 (``--quick``) or 1000 (``--full``) samples (``peers.w3_areas``) down to 120 km:
    lifetime mean/P5/P95 and ms per sample. A separate single nominal sample (2000 m^2) must
    reach 120 km after 228.4 d +- 0.5 % (the benchmark's reference lifetime).

Contenders (ours)::

    deorbit_cowell        method="cowell" (DOP853), rtol 1e-9, on W1, W2, W3
    deorbit_cowell_loose  method="cowell" at the loosest rtol of RTOL_CANDIDATES whose W1
                          one-day position error is <= 100 m (W1, W2, W3)
    deorbit_hybrid        method="hybrid" (orbit-averaged mean elements, Cowell below
                          180 km), W3 only: on W1/W2 the hybrid would be mean elements only

all with ``zonal_degree=2, altitude="sphere"`` and ballistic coefficient m/(Cd A) (the
benchmark's dynamics, as in ``tests/conftest.py``). Peers come from ``peers.py`` in the same
run: SciPy DOP853 (Python RHS), heyoka scalar and SIMD batch (smooth density fit), brahe native
(one exponential: not the same dynamics), brahe with the Python RHS, and Orekit (Java,
DormandPrince853, the table as a bulge-free Harris-Priester atmosphere; needs a Java runtime).
The slow ones run on a subset of the W2/W3 samples (``max_samples``, marked ``subset`` in the
rows and tables).

Timing: ``time.perf_counter`` wall clock. W1 (about a millisecond per call for the fast
contenders, so noisy) takes the best of 10 (``--quick``) or 20 (``--full``) calls for every
contender. W2 runs the fast contenders (ours, heyoka) in N interleaved rounds (N = 3
``--quick``, 5 ``--full``; each round runs each of them once, in the same order) and takes
each one's best round, so that a drift of the machine's speed between minutes falls on all
of them alike; W3 the best of N repeats for the fast contenders; the slow peers and our
Cowell W3 run once. W1 rows of ours
also give ``call_overhead_ms``, the same call over 1e-9 days (the wrapper's per-call cost:
the mean of 200 calls, best of 7 rounds).
One-off setup (heyoka's LLVM compilation, the JVM start and Orekit's 24 warm-up propagations,
our warm-up call) is excluded from ``wall_s`` and
reported as ``setup_s``. Ratios are peer time / our time in ms per
simulated sample-day (> 1: deorbit is faster).

Output: Markdown (ratio table, results, checks, machine) on stdout or ``--markdown OUT``; the
JSON document ``{"machine", "settings", "rows", "ratios", "checks"}`` with ``--json OUT``.

``--instructions`` instead counts the CPU instructions of one W1 ``propagate`` call under
``valgrind --tool=callgrind`` (repeatable on a loaded machine, unlike wall time).

    python benchmarks/compare.py --quick                      # a few minutes
    python benchmarks/compare.py --full --json out.json --markdown out.md
    python benchmarks/compare.py --instructions
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402  (sibling module, benchmarks/ is not a package)

#: Looser DOP853 tolerances tried for the fast Cowell contender, loosest first.
RTOL_CANDIDATES = (1e-7, 3e-8, 1e-8)
#: Issue 3: the one-day position error a Cowell contender may have.
W1_ERROR_LIMIT_M = 100.0
TIGHT_RTOL = 1e-9
#: Calls per timed round of the per-call cost (W1 over 1e-9 days).
OVERHEAD_CALLS = 200
#: Benchmark reference lifetime 410 -> 120 km at the nominal area, and its tolerance (issue 3).
REF_LIFETIME_DAYS = 228.4
REF_LIFETIME_REL_TOL = 0.005
#: Issue 3 speed targets.
TARGET_COWELL_MS_PER_SAMPLE_DAY = 0.10
TARGET_HYBRID_MS_PER_SAMPLE = 2.0
TARGET_TWO_THREAD_SPEEDUP = 1.8
#: The benchmark's dynamics in deorbit's terms (J2 only, spherical altitude).
DYNAMICS = dict(zonal_degree=2, altitude="sphere")
#: Samples the slow peers run on W2/W3 (None: all); heyoka always runs every sample.
SLOW_PEER_SAMPLES = {
    "quick": {"W2": {"scipy_dop853": 16, "brahe_pyrhs": 16, "brahe": 64, "orekit": 32},
              "W3": {"scipy_dop853": 1, "brahe_pyrhs": 1, "brahe": 1, "orekit": 1}},
    "full": {"W2": {"scipy_dop853": None, "brahe_pyrhs": None, "brahe": None, "orekit": None},
             "W3": {"scipy_dop853": 8, "brahe_pyrhs": 4, "brahe": 16, "orekit": 8}},
}
#: Peers whose W2/W3 run once (their cost is seconds to minutes); the others take best-of-N.
SLOW_PEERS = ("scipy_dop853", "brahe_pyrhs", "brahe", "orekit")
OURS = ("deorbit_cowell", "deorbit_cowell_loose", "deorbit_hybrid")


def log(msg: str) -> None:
    print(f"[compare {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Machine description
# ---------------------------------------------------------------------------

def _version(module: str) -> str | None:
    try:
        mod = __import__(module)
    except Exception:  # noqa: BLE001 - a missing or broken peer is reported, not fatal
        return None
    return str(getattr(mod, "__version__", "unknown"))


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (platform.processor() elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def kernel_build() -> str:
    """Which kernel runs: ``"compiled kernel, lanes 8, avx512f (target_clones)"`` (the Cowell
    phase's lane count and the instruction set of its lane loops), or the pure-Python one."""
    import deorbit

    if not deorbit.accelerated:
        return "pure-Python kernel"
    from deorbit import _kernel

    return f"compiled kernel, lanes {_kernel.LANES}, {_kernel.SIMD}"


def machine_info() -> dict:
    """CPU model, cores, load, library versions, the kernel build and the date (UTC)."""
    import deorbit

    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = None
    return {
        "date_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_model": cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": affinity,
        "load_average_1_5_15": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": _version("scipy"),
        "heyoka": _version("heyoka"),
        "brahe": _version("brahe"),
        "orekit_jpype": peers._dist_version("orekit-jpype"),
        "deorbit": deorbit.__version__,
        "deorbit_accelerated": bool(deorbit.accelerated),
        "deorbit_kernel": kernel_build(),
    }


# ---------------------------------------------------------------------------
# Our contenders
# ---------------------------------------------------------------------------

@dataclasses.dataclass
class Inputs:
    """The ISS-F200 inputs in deorbit's terms."""

    workload: dict
    table: object  # deorbit.atmosphere.DensityTable
    state0: np.ndarray  # (6,) m, m/s
    mass_kg: float
    cd: float
    area_m2: float
    reference_pos_m: np.ndarray  # (3,) one-day position of the tight SciPy solution
    hybrid_kw: dict

    def bc_kg_m2(self, areas_m2) -> np.ndarray:
        """Ballistic coefficient m/(Cd A), kg/m^2, for areas in m^2."""
        return self.mass_kg / (self.cd * np.asarray(areas_m2, dtype=float))


def load_inputs(hybrid_kw: dict | None = None, reference: bool = True) -> Inputs:
    """The ISS-F200 inputs; reference=False skips the tight SciPy solution (NaN position)."""
    from deorbit.atmosphere import DensityTable

    w = peers.load_workload()
    d = w["density"]
    table = DensityTable(d["alt_km"], d["rho_kg_m3"], source="ISS-F200 (benchmarks/iss_f200.json)")
    o = w["object"]
    return Inputs(workload=w, table=table, state0=peers.initial_state(w),
                  mass_kg=float(o["mass_kg"]), cd=float(o["cd"]), area_m2=float(o["area_m2"]),
                  reference_pos_m=peers.reference_one_day(w) if reference else np.full(3, np.nan),
                  hybrid_kw=dict(hybrid_kw or {}))


def _propagate(inp: Inputs, areas_m2, days: float, method: str, rtol: float):
    """One ``propagate`` call for len(areas_m2) samples from the ISS-F200 initial state."""
    from deorbit.kernel import propagate

    areas = np.atleast_1d(np.asarray(areas_m2, dtype=float))
    n = len(areas)
    kw = dict(DYNAMICS)
    if method == "hybrid":
        kw.update(inp.hybrid_kw)
    return propagate(np.zeros(n), np.repeat(inp.state0[None, :], n, axis=0), inp.bc_kg_m2(areas),
                     inp.table, np.full(n, float(days)), method=method, rtol=rtol,
                     entry_alt_km=peers.ALT_STOP_M / 1e3, **kw)


def _best_of(fn, repeats: int):
    """Run fn() repeats times; (best wall s, all wall s, result of the best run)."""
    walls, best, best_res = [], math.inf, None
    for _ in range(max(1, int(repeats))):
        t0 = time.perf_counter()
        res = fn()
        dt = time.perf_counter() - t0
        walls.append(dt)
        if dt < best:
            best, best_res = dt, res
    return best, walls, best_res


def _row(contender, peer, wl, n, wall, setup_s, sample_days, **extra) -> dict:
    """A result row with the same core keys as peers.py rows."""
    row = {"contender": contender, "peer": peer, "workload": wl, "samples": int(n),
           "wall_s": float(wall), "setup_s": float(setup_s), "sample_days": float(sample_days),
           "ms_per_sample_day": float(wall * 1e3 / sample_days) if sample_days > 0 else None,
           "ms_per_sample": float(wall * 1e3 / n) if n else None}
    row.update(extra)
    return row


def _common(method: str, rtol: float | None, inp: Inputs) -> dict:
    import deorbit

    integ = ("deorbit.kernel.propagate method='cowell' (DOP853, compiled)" if method == "cowell"
             else "deorbit.kernel.propagate method='hybrid' (mean elements, Cowell < 180 km)")
    if not deorbit.accelerated:
        integ = integ.replace("compiled", "pure-Python reference backend")
    out = {"integrator": integ, "method": method, "rtol": rtol, "density": "table",
           "dynamics_note": "exact ISS-F200 dynamics (zonal_degree=2, altitude='sphere', "
                            "bc = m/(Cd A)); deorbit's own mu/R/J2/omega constants"}
    if method == "hybrid" and inp.hybrid_kw:
        out["hybrid_options"] = dict(inp.hybrid_kw)
    return out


def _w1_error(inp: Inputs, rtol: float) -> tuple[float, object]:
    res = _propagate(inp, [inp.area_m2], 1.0, "cowell", rtol)
    return float(np.linalg.norm(res.end_state_eci[0, :3] - inp.reference_pos_m)), res


def choose_loose_rtol(inp: Inputs, candidates=RTOL_CANDIDATES,
                      limit_m: float = W1_ERROR_LIMIT_M) -> tuple[float, list[dict]]:
    """The loosest rtol among ``candidates`` (tried in order) with W1 error <= limit_m.

    Falls back to TIGHT_RTOL if none qualifies. Returns (rtol, scan rows)."""
    scan = []
    chosen = None
    for rtol in candidates:
        err, res = _w1_error(inp, rtol)
        scan.append({"rtol": rtol, "position_error_m": err, "steps": int(res.n_steps[0]),
                     "rhs_evals": int(res.n_rhs[0]), "ok": err <= limit_m})
        log(f"  rtol {rtol:g}: W1 error {err:.2f} m")
        if chosen is None and err <= limit_m:
            chosen = rtol
    return (chosen if chosen is not None else TIGHT_RTOL), scan


def ours_w1(inp: Inputs, contender: str, rtol: float, repeats: int, **extra) -> dict:
    t0 = time.perf_counter()
    _propagate(inp, [inp.area_m2], 1.0, "cowell", rtol)  # warm-up (page-in, first-call costs)
    setup = time.perf_counter() - t0
    wall, walls, res = _best_of(lambda: _propagate(inp, [inp.area_m2], 1.0, "cowell", rtol),
                                repeats)
    # The same call over 1e-9 days: what one propagate() call costs besides integrating
    # (~0.1 ms: the mean of 200 calls, the best of 7 such rounds).
    round_s, _, _ = _best_of(lambda: [_propagate(inp, [inp.area_m2], 1e-9, "cowell", rtol)
                                      for _ in range(OVERHEAD_CALLS)], 7)
    overhead = round_s / OVERHEAD_CALLS
    err = float(np.linalg.norm(res.end_state_eci[0, :3] - inp.reference_pos_m))
    return _row(contender, "deorbit", "W1", 1, wall, setup, 1.0, **_common("cowell", rtol, inp),
                position_error_m=err, steps=int(res.n_steps[0]), rhs_evals=int(res.n_rhs[0]),
                call_overhead_ms=overhead * 1e3, repeats=len(walls), wall_s_all=walls, **extra)


#: PropagationResult fields that are not per sample (compared as a whole by _identical).
_PER_SAMPLE_SKIP = ("history_days", "ephemeris_days", "backend")


def _concat_results(parts) -> dict:
    out = {}
    for f in dataclasses.fields(parts[0]):
        if f.name in _PER_SAMPLE_SKIP:
            continue
        out[f.name] = np.concatenate([np.asarray(getattr(p, f.name)) for p in parts], axis=0)
    return out


def _identical(a, parts) -> bool:
    """True if the per-sample fields of result a equal those of the concatenated parts, bit
    for bit (compared as raw bytes, so NaN payloads and signed zeros count)."""
    for name, vb in _concat_results(parts).items():
        va = np.asarray(getattr(a, name))
        if va.shape != vb.shape or va.dtype != vb.dtype:
            return False
        if np.ascontiguousarray(va).tobytes() != np.ascontiguousarray(vb).tobytes():
            return False
    return True


def ours_w2(inp: Inputs, contender: str, rtol: float, areas, repeats: int) -> dict:
    """One call with all samples on one thread; then two threads with half the block each."""
    areas = np.asarray(areas, dtype=float)
    n = len(areas)
    half = n // 2
    t0 = time.perf_counter()
    _propagate(inp, areas[:4], 1.0, "cowell", rtol)  # warm-up
    setup = time.perf_counter() - t0
    wall1, walls1, res1 = _best_of(lambda: _propagate(inp, areas, 1.0, "cowell", rtol), repeats)
    identical = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda k: k, range(2)))  # start both threads before timing

        def two_threads():
            futs = [pool.submit(_propagate, inp, areas[:half], 1.0, "cowell", rtol),
                    pool.submit(_propagate, inp, areas[half:], 1.0, "cowell", rtol)]
            return [f.result() for f in futs]

        walls2 = []
        for _ in range(max(1, int(repeats))):
            t1 = time.perf_counter()
            parts = two_threads()
            walls2.append(time.perf_counter() - t1)
            identical.append(_identical(res1, parts))
    wall2 = min(walls2)
    return _row(contender, "deorbit", "W2", n, wall1, setup, float(n),
                **_common("cowell", rtol, inp),
                sample_days_per_s_1thread=n / wall1, sample_days_per_s_2threads=n / wall2,
                wall_s_2threads=wall2, speedup_2threads=wall1 / wall2,
                two_thread_bit_identical=bool(all(identical)),
                steps_total=int(res1.n_steps.sum()), rhs_evals_total=int(res1.n_rhs.sum()),
                repeats=len(walls1), wall_s_all=walls1, wall_s_2threads_all=walls2)


def nominal_lifetime(inp: Inputs, method: str, rtol: float) -> dict:
    """Lifetime of the single nominal sample (2000 m^2) against the reference 228.4 d."""
    res = _propagate(inp, [inp.area_m2], peers.W3_T_MAX_S / peers.ONE_DAY_S, method, rtol)
    life = float(res.lifetime_days[0])
    rel = (life - REF_LIFETIME_DAYS) / REF_LIFETIME_DAYS
    return {"nominal_lifetime_days": life, "nominal_lifetime_rel_err": rel,
            "nominal_lifetime_ok": bool(abs(rel) <= REF_LIFETIME_REL_TOL)}


def ours_w3(inp: Inputs, contender: str, method: str, rtol: float, areas, repeats: int,
            **extra) -> dict:
    areas = np.asarray(areas, dtype=float)
    n = len(areas)
    days = peers.W3_T_MAX_S / peers.ONE_DAY_S
    t0 = time.perf_counter()
    nominal = nominal_lifetime(inp, method, rtol)  # doubles as the warm-up call
    setup = time.perf_counter() - t0
    wall, walls, res = _best_of(lambda: _propagate(inp, areas, days, method, rtol), repeats)
    life = [None if not np.isfinite(v) else float(v) for v in res.lifetime_days]
    sd = sum(v if v is not None else days for v in life)
    stats = peers._lifetime_stats(life)  # same P5/P95 definition as the peers' rows
    return _row(contender, "deorbit", "W3", n, wall, setup, sd, **_common(method, rtol, inp),
                **nominal, steps_total=int(res.n_steps.sum()),
                rhs_evals_total=int(res.n_rhs.sum()),
                event="entry_alt_km=120 crossing located on the DOP853 dense output",
                repeats=len(walls), wall_s_all=walls, **stats, **extra)


# ---------------------------------------------------------------------------
# Peers
# ---------------------------------------------------------------------------

def run_peer(peer: str, wl: str, areas, *, max_samples, repeats, workload) -> dict:
    """peers.run(...) with failures turned into a row that says what went wrong."""
    t0 = time.perf_counter()
    try:
        row = peers.run(peer, wl, areas, workload=workload, max_samples=max_samples,
                        repeats=repeats)
    except ImportError as exc:
        log(f"  {peer} {wl}: skipped ({exc})")
        return {"contender": peer, "peer": peer, "workload": wl, "skipped": True,
                "error": f"not installed: {exc} (pip install -e '.[bench]')"}
    except Exception as exc:  # noqa: BLE001 - one broken peer must not lose the whole run
        log(f"  {peer} {wl}: FAILED {type(exc).__name__}: {exc}")
        return {"contender": peer, "peer": peer, "workload": wl, "skipped": True,
                "error": f"{type(exc).__name__}: {exc}"}
    row["contender"] = peer
    row.setdefault("repeats", 1)
    row["elapsed_incl_setup_s"] = time.perf_counter() - t0
    log(f"  {peer} {wl}: {row['ms_per_sample_day']:.4g} ms/sample-day"
        + (f" (subset {row['subset']} of {row['samples_requested']})" if "subset" in row else ""))
    return row


# ---------------------------------------------------------------------------
# Ratios, checks, Markdown
# ---------------------------------------------------------------------------

#: (column title, workload, our contender) of the ratio table.
RATIO_COLUMNS = (
    ("W1 / cowell 1e-9", "W1", "deorbit_cowell"),
    ("W1 / cowell loose", "W1", "deorbit_cowell_loose"),
    ("W2 / cowell 1e-9", "W2", "deorbit_cowell"),
    ("W2 / cowell loose", "W2", "deorbit_cowell_loose"),
    ("W3 / hybrid", "W3", "deorbit_hybrid"),
    ("W3 / cowell 1e-9", "W3", "deorbit_cowell"),
)


def _find(rows, contender, wl):
    for r in rows:
        if r.get("contender") == contender and r.get("workload") == wl and not r.get("skipped"):
            return r
    return None


def ratios(rows, peer_names) -> list[dict]:
    """Peer ms per sample-day / ours, per column of RATIO_COLUMNS (> 1: deorbit faster)."""
    out = []
    for peer in peer_names:
        entry = {"peer": peer}
        for title, wl, ours in RATIO_COLUMNS:
            p, o = _find(rows, peer, wl), _find(rows, ours, wl)
            if p is None or o is None or not p.get("ms_per_sample_day") \
                    or not o.get("ms_per_sample_day"):
                entry[title] = None
                continue
            entry[title] = p["ms_per_sample_day"] / o["ms_per_sample_day"]
            if "subset" in p:
                entry[title + " subset"] = p["subset"]
        out.append(entry)
    return out


def checks(rows) -> list[dict]:
    """Issue 3 targets and must-shows that this run can judge."""
    out = []

    def add(what, target, value, ok, note=""):
        out.append({"check": what, "target": target, "value": value, "ok": ok, "note": note})

    for c in ("deorbit_cowell", "deorbit_cowell_loose"):
        w1, w2 = _find(rows, c, "W1"), _find(rows, c, "W2")
        if w1:
            add(f"{c} (rtol {w1['rtol']:g}) W1 one-day position error", "<= 100 m",
                f"{w1['position_error_m']:.2f} m", w1["position_error_m"] <= W1_ERROR_LIMIT_M)
            add(f"{c} W1 ms per sample-day (1 sample, 1 core)", "<= 0.10 ms",
                f"{w1['ms_per_sample_day']:.4f} ms",
                w1["ms_per_sample_day"] <= TARGET_COWELL_MS_PER_SAMPLE_DAY,
                "single-sample call: includes the Python wrapper's per-call cost")
        if w2:
            add(f"{c} W2 ms per sample-day (256 samples, 1 thread)", "<= 0.10 ms",
                f"{w2['ms_per_sample_day']:.4f} ms",
                w2["ms_per_sample_day"] <= TARGET_COWELL_MS_PER_SAMPLE_DAY)
            add(f"{c} W2 two-thread speed-up", ">= 1.8x on 2 cores",
                f"{w2['speedup_2threads']:.2f}x",
                w2["speedup_2threads"] >= TARGET_TWO_THREAD_SPEEDUP,
                "wall-clock, 256 samples (~20 ms per half); benchmarks/thread_scaling.py "
                "measures 4096 samples against a two-process yardstick")
            add(f"{c} W2 two-thread results bit-identical to one thread", "identical",
                str(w2["two_thread_bit_identical"]), w2["two_thread_bit_identical"])
    w2, hb = _find(rows, "deorbit_cowell", "W2"), _find(rows, "heyoka_taylor_batch", "W2")
    if w2 and hb:
        ours, theirs = w2["ms_per_sample_day"], hb["ms_per_sample_day"]
        add(f"deorbit_cowell (rtol {w2['rtol']:g}) W2 against heyoka's SIMD batch",
            "<= heyoka batch's ms per sample-day", f"{ours:.4f} vs {theirs:.4f} ms "
            f"({theirs / ours:.2f}x)", ours <= theirs, "issue 19; same run, 1 thread each")
    for c in OURS:
        w3 = _find(rows, c, "W3")
        if w3:
            add(f"{c} nominal 410 -> 120 km lifetime", "228.4 d +- 0.5 %",
                f"{w3['nominal_lifetime_days']:.2f} d "
                f"({100 * w3['nominal_lifetime_rel_err']:+.2f} %)", w3["nominal_lifetime_ok"])
    hy = _find(rows, "deorbit_hybrid", "W3")
    if hy:
        add("deorbit_hybrid W3 ms per sample (whole lifetime)", "<= 2 ms",
            f"{hy['ms_per_sample']:.3f} ms", hy["ms_per_sample"] <= TARGET_HYBRID_MS_PER_SAMPLE)
    return out


def _fmt(v, digits=3):
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 10 ** digits else f"{v:.{digits}g}"
    return str(v)


def _label(r) -> str:
    c = r["contender"]
    if c.startswith("deorbit_cowell"):
        return f"{c} (rtol {r['rtol']:g})"
    return c


def markdown(doc: dict) -> str:
    m, s, rows = doc["machine"], doc["settings"], doc["rows"]
    L = []
    L.append(f"# ISS-F200 side by side ({s['mode']} run)")
    L.append("")
    L.append(f"{m['date_utc']} · {m['cpu_model']} · {m['cores']} cores "
             f"(load average at start {', '.join(f'{x:.2f}' for x in m['load_average_1_5_15'])}"
             f"; at end {', '.join(f'{x:.2f}' for x in s['load_average_at_end'])}) · "
             f"Python {m['python']} · NumPy {m['numpy']} · SciPy {m['scipy']} · heyoka "
             f"{m['heyoka']} · brahe {m['brahe']} · orekit-jpype {m.get('orekit_jpype')} · "
             f"deorbit {m['deorbit']} ({m['deorbit_kernel']})")
    L.append("")
    L.append(f"Wall clock (`time.perf_counter`): W1 best of {s['w1_repeats']} for everyone; "
             f"W2 the best of {s['repeats']} interleaved rounds for the fast contenders (ours, "
             "heyoka: each round runs each once, so a drift of the machine's speed falls on "
             f"all alike), W3 best of {s['repeats']} for them; one run for "
             "the slow peers (SciPy, brahe, Orekit) and for our Cowell W3. One-off setup "
             "(heyoka compilation, the JVM and Orekit's warm-up, our warm-up calls) is "
             "excluded (column 'setup s'). Timings vary on a "
             "shared machine; compare ratios within one run.")
    L.append("")
    L.append("## Ratios: peer time / deorbit time, per simulated sample-day (> 1: deorbit faster)")
    L.append("")
    loose = _find(rows, "deorbit_cowell_loose", "W1")
    if loose:
        L.append(f"\"cowell loose\" = rtol {loose['rtol']:g}, the loosest of "
                 f"{', '.join(f'{x:g}' for x in RTOL_CANDIDATES)} with a W1 error <= 100 m "
                 f"({loose['position_error_m']:.1f} m). W2 ratios use our 1-thread time. "
                 "(s = peer ran on a subset of the samples, given in brackets.)")
        L.append("")
    titles = [t for t, _, _ in RATIO_COLUMNS]
    L.append("| peer | " + " | ".join(titles) + " |")
    L.append("|---|" + "---:|" * len(titles))
    for e in doc["ratios"]:
        cells = []
        for t in titles:
            v = e.get(t)
            cell = _fmt(v) if v is not None else "–"
            if t + " subset" in e:
                cell += f" (s {e[t + ' subset']})"
            cells.append(cell)
        L.append(f"| {e['peer']} | " + " | ".join(cells) + " |")
    L.append("")
    L.append("## Results")
    L.append("")
    L.append("| contender | workload | samples | ms/sample-day | ms/sample | setup s | "
             "W1 error m | lifetime mean / P5 / P95 d | notes |")
    L.append("|---|---|---:|---:|---:|---:|---:|---|---|")
    for r in rows:
        if r.get("skipped"):
            L.append(f"| {r['contender']} | {r['workload']} | – | – | – | – | – | – | "
                     f"{r['error']} |")
            continue
        n = f"{r['samples']}"
        if "subset" in r:
            n = f"{r['subset']} of {r['samples_requested']} (subset)"
        life = "–"
        if r.get("lifetime_mean_days") is not None:
            life = (f"{r['lifetime_mean_days']:.1f} / {r['lifetime_p5_days']:.1f} / "
                    f"{r['lifetime_p95_days']:.1f}")
        notes = []
        if "speedup_2threads" in r:
            notes.append(f"2 threads: {r['speedup_2threads']:.2f}x, "
                         f"{r['sample_days_per_s_2threads']:,.0f} vs "
                         f"{r['sample_days_per_s_1thread']:,.0f} sample-days/s, "
                         f"bit-identical: {_fmt(r['two_thread_bit_identical'])}")
        if "nominal_lifetime_days" in r:
            notes.append(f"nominal {r['nominal_lifetime_days']:.2f} d")
        if r.get("not_decayed"):
            notes.append(f"{r['not_decayed']} not decayed in 5 y")
        if r.get("call_overhead_ms") is not None:
            notes.append(f"per-call cost {r['call_overhead_ms']:.2f} ms")
        if r.get("position_error_vs_smooth_ref_m") is not None:
            notes.append(f"{r['position_error_vs_smooth_ref_m']:.2f} m vs smooth-fit ref")
        if r.get("steps") is not None:
            notes.append(f"{r['steps']} steps" + (f", {r['rhs_evals']} RHS"
                                                    if r.get("rhs_evals") else ""))
        elif r.get("rhs_evals"):
            notes.append(f"{r['rhs_evals']} RHS")
        if r["peer"] == "brahe":
            notes.append("single-exponential density: not the same dynamics")
        if r["peer"].startswith("heyoka"):
            notes.append("smooth density fit")
        if r.get("batch_size"):
            notes.append(f"batch {r['batch_size']}")
        L.append(f"| {_label(r)} | {r['workload']} | {n} | {_fmt(r['ms_per_sample_day'], 3)} | "
                 f"{_fmt(r['ms_per_sample'], 3)} | {_fmt(r['setup_s'], 2)} | "
                 f"{_fmt(r.get('position_error_m'), 3)} | {life} | {'; '.join(notes)} |")
    L.append("")
    L.append("## Checks (issue 3)")
    L.append("")
    L.append("| check | target | value | met |")
    L.append("|---|---|---|---|")
    for c in doc["checks"]:
        note = f" ({c['note']})" if c["note"] else ""
        L.append(f"| {c['check']}{note} | {c['target']} | {c['value']} | "
                 f"{'yes' if c['ok'] else '**no**'} |")
    L.append("")
    scan = s.get("rtol_scan") or []
    if scan:
        L.append("Cowell rtol scan (W1 one-day position error): " + "; ".join(
            f"{x['rtol']:g}: {x['position_error_m']:.2f} m" for x in scan) + ".")
        L.append("")
    L.append("Dynamics: every row integrates two-body + J2 + co-rotating drag on the ISS-F200 "
             "table with spherical altitude, except heyoka (smooth polynomial fit of the table, "
             "<= 7 % off) and brahe native (one exponential through the 400/410 km nodes, "
             "brahe's own constants: W3 lifetimes ~10 % longer). See each JSON row's "
             "`dynamics_note`.")
    L.append("")
    return "\n".join(L)


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------

def _best_round(rows: list[dict]) -> dict:
    """The fastest of one contender's rounds, with every round's wall time; for ours the
    two-thread figures from the fastest two-thread round."""
    if any(r.get("skipped") for r in rows):
        return next(r for r in rows if r.get("skipped"))
    best = dict(min(rows, key=lambda r: r["wall_s"]))
    best.update(repeats=len(rows), wall_s_all=[r["wall_s"] for r in rows])
    if "wall_s_2threads" in best:
        walls2 = [r["wall_s_2threads"] for r in rows]
        n = best["samples"]
        best.update(wall_s_2threads=min(walls2), wall_s_2threads_all=walls2,
                    sample_days_per_s_2threads=n / min(walls2),
                    speedup_2threads=best["wall_s"] / min(walls2),
                    two_thread_bit_identical=all(r["two_thread_bit_identical"] for r in rows))
    return best


def interleaved_w2(inp: Inputs, loose: float, areas, rounds: int, peer_names,
                   workload) -> dict:
    """W2 rows of our two Cowell contenders and of the fast peers (heyoka), timed in
    ``rounds`` interleaved rounds: each round runs each contender once (a peer with its own
    setup, excluded from its time), and each contender's row is its fastest round."""
    jobs = {"deorbit_cowell": lambda: ours_w2(inp, "deorbit_cowell", TIGHT_RTOL, areas, 1),
            "deorbit_cowell_loose": lambda: ours_w2(inp, "deorbit_cowell_loose", loose,
                                                    areas, 1)}
    for peer in peer_names:
        if peer not in SLOW_PEERS:
            jobs[peer] = (lambda peer=peer: run_peer(peer, "W2", areas, max_samples=None,
                                                     repeats=1, workload=workload))
    runs = {name: [] for name in jobs}
    for k in range(max(1, int(rounds))):
        log(f"W2 round {k + 1} of {rounds}: {', '.join(jobs)}")
        for name, job in jobs.items():
            runs[name].append(job())
    return {name: _best_round(rows) for name, rows in runs.items()}


def run_all(mode: str, *, peer_names, repeats: int, w1_repeats: int, hybrid_kw: dict,
            cowell_w3: bool = True) -> dict:
    machine = machine_info()
    log(f"mode {mode}, best of {repeats}; machine: {machine['cpu_model']}, "
        f"{machine['cores']} cores, load {machine['load_average_1_5_15']}")
    t_start = time.perf_counter()
    inp = load_inputs(hybrid_kw)
    w = inp.workload
    w2 = peers.w2_areas(w)
    w3 = peers.w3_areas(w, mode)
    rows = []

    log("deorbit: choosing the loose Cowell rtol (W1 error <= 100 m)")
    loose, scan = choose_loose_rtol(inp)
    log(f"  chosen rtol {loose:g}")
    for contender, rtol in (("deorbit_cowell", TIGHT_RTOL), ("deorbit_cowell_loose", loose)):
        extra = {"rtol_scan": scan} if contender == "deorbit_cowell_loose" else {}
        rows.append(ours_w1(inp, contender, rtol, w1_repeats, **extra))
        log(f"  {contender} W1: {rows[-1]['ms_per_sample_day']:.4f} ms, "
            f"error {rows[-1]['position_error_m']:.2f} m")
    fast_w2 = interleaved_w2(inp, loose, w2, repeats, peer_names, w)
    for contender in ("deorbit_cowell", "deorbit_cowell_loose"):
        rows.append(r := fast_w2.pop(contender))
        log(f"  {contender} W2: {r['ms_per_sample_day']:.4f} ms/sample-day, 2 threads "
            f"{r['speedup_2threads']:.2f}x, identical {r['two_thread_bit_identical']}")
    log(f"deorbit: W3 ({len(w3)} samples)")
    rows.append(ours_w3(inp, "deorbit_hybrid", "hybrid", TIGHT_RTOL, w3, repeats))
    log(f"  deorbit_hybrid W3: {rows[-1]['ms_per_sample']:.3f} ms/sample, nominal "
        f"{rows[-1]['nominal_lifetime_days']:.2f} d")
    if cowell_w3:
        for contender, rtol in (("deorbit_cowell", TIGHT_RTOL), ("deorbit_cowell_loose", loose)):
            rows.append(ours_w3(inp, contender, "cowell", rtol, w3, 1))
            log(f"  {contender} W3: {rows[-1]['ms_per_sample']:.3f} ms/sample, nominal "
                f"{rows[-1]['nominal_lifetime_days']:.2f} d")

    for peer in peer_names:
        log(f"peer {peer}")
        for wl, areas in (("W1", None), ("W2", w2), ("W3", w3)):
            if wl == "W2" and peer in fast_w2:  # timed in the interleaved rounds
                rows.append(fast_w2[peer])
                continue
            k = SLOW_PEER_SAMPLES[mode].get(wl, {}).get(peer) if wl != "W1" else None
            reps = w1_repeats if wl == "W1" else (1 if peer in SLOW_PEERS else repeats)
            rows.append(run_peer(peer, wl, areas, max_samples=k, repeats=reps, workload=w))

    doc = {
        "machine": machine,
        "settings": {
            "mode": mode, "repeats": repeats, "w1_repeats": w1_repeats,
            "w2_samples": len(w2), "w3_samples": len(w3),
            "loose_rtol": loose, "rtol_candidates": list(RTOL_CANDIDATES), "rtol_scan": scan,
            "slow_peer_samples": SLOW_PEER_SAMPLES[mode], "peers": list(peer_names),
            "hybrid_options": hybrid_kw, "dynamics": DYNAMICS,
            "elapsed_s": time.perf_counter() - t_start,
            "load_average_at_end": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
            "command": " ".join([os.path.basename(sys.executable)] + sys.argv),
        },
        "rows": rows,
    }
    doc["ratios"] = ratios(rows, peer_names)
    doc["checks"] = checks(rows)
    return doc


# ---------------------------------------------------------------------------
# --instructions: callgrind instruction counts of one W1 call
# ---------------------------------------------------------------------------

def _callgrind_child(calls: int, rtol: float, days: float) -> None:
    """Set up W1, make one warm-up call, then ``calls`` more (run under valgrind)."""
    inp = load_inputs(reference=False)
    _propagate(inp, [inp.area_m2], days, "cowell", rtol)
    for _ in range(calls):
        _propagate(inp, [inp.area_m2], days, "cowell", rtol)


#: Cython's Python-level entry of the compiled kernel (argument unpacking + the nogil loop).
KERNEL_SYMBOL = "__pyx_pw_*_kernel_*propagate_block"


def _callgrind_instructions(calls: int, rtol: float, days: float, tmp: str,
                            toggle: str | None = None) -> int:
    """Instructions callgrind collected in a child doing setup, 1 warm-up call and ``calls``
    more; with ``toggle`` only those inside that function (--toggle-collect)."""
    out = os.path.join(tmp, f"callgrind.{calls}.{rtol:g}.{days:g}.{bool(toggle)}.out")
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
    if toggle:
        cmd.append(f"--toggle-collect={toggle}")
    cmd += [sys.executable, os.path.abspath(__file__), "--_callgrind-child", str(calls),
            "--rtol", repr(rtol), "--_callgrind-days", repr(days)]
    env = dict(os.environ, PYTHONHASHSEED="0")  # same hashing, fewer run-to-run differences
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"valgrind failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    m = re.search(r"Collected\s*:\s*(\d+)", proc.stderr)
    if not m:
        raise RuntimeError(f"no 'Collected' line in valgrind's output:\n{proc.stderr[-2000:]}")
    return int(m.group(1))


def instructions(rtols, calls: int = 50) -> dict:
    """Instructions of one W1 ``propagate`` call under callgrind.

    - kernel: only inside the compiled ``propagate_block`` (``--toggle-collect``), total over
      the warm-up and ``calls`` calls divided by ``calls + 1``: exact and repeatable;
    - whole call (Python wrapper included): a child with setup + warm-up only is subtracted
      from one with ``calls`` more calls, divided by ``calls``. Interpreter start-up differs by
      ~0.3 % (a few million instructions) between runs even with PYTHONHASHSEED=0, so this
      figure is good to ~1 % with 50 calls;
    - per-call cost: the same for calls over 1e-9 days (what a call costs besides
      integrating: validation, conversions, allocation).
    """
    if subprocess.run(["which", "valgrind"], capture_output=True).returncode != 0:
        raise SystemExit("--instructions needs valgrind (apt-get install valgrind)")
    out = {"machine": machine_info(), "calls": calls, "kernel_symbol": KERNEL_SYMBOL,
           "rows": []}
    with tempfile.TemporaryDirectory() as tmp:
        log("callgrind: baseline and per-call cost (each run under valgrind takes ~30 s)")
        base = _callgrind_instructions(0, TIGHT_RTOL, 1.0, tmp)
        overhead = (_callgrind_instructions(calls, TIGHT_RTOL, 1e-9, tmp) - base) / calls
        log(f"  per-call cost (1e-9 days): {overhead:,.0f} instructions")
        for rtol in rtols:
            whole = (_callgrind_instructions(calls, rtol, 1.0, tmp) - base) / calls
            kernel = _callgrind_instructions(calls, rtol, 1.0, tmp, KERNEL_SYMBOL) / (calls + 1)
            out["rows"].append({"contender": "deorbit_cowell", "workload": "W1", "rtol": rtol,
                                "instructions_per_call": whole,
                                "instructions_kernel": kernel,
                                "instructions_per_call_overhead": overhead,
                                "instructions_setup_and_warmup": base})
            log(f"  rtol {rtol:g}: {whole:,.0f} instructions per W1 call, {kernel:,.0f} in "
                "the kernel")
    return out


def _instructions_markdown(doc) -> str:
    L = [f"# W1 instruction counts (callgrind), {doc['machine']['date_utc']}", "",
         "One `propagate` call, 1 sample, 1 day. Kernel: inside the compiled `propagate_block` "
         "(exact). Whole call: wrapper included (+-1 %). Per-call cost: the same call over "
         "1e-9 days.", "",
         "| contender | rtol | whole W1 call | kernel | per-call cost |",
         "|---|---:|---:|---:|---:|"]
    for r in doc["rows"]:
        L.append(f"| {r['contender']} | {r['rtol']:g} | {r['instructions_per_call']:,.0f} | "
                 f"{r['instructions_kernel']:,.0f} | "
                 f"{r['instructions_per_call_overhead']:,.0f} |")
    return "\n".join(L) + "\n"


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

def _parse_args(argv):
    ap = argparse.ArgumentParser(
        description="ISS-F200: deorbit's kernel and its peers side by side (ratio table).")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true",
                   help="W3 on 64 samples, best of 3, slow peers on small subsets (default)")
    g.add_argument("--full", action="store_true",
                   help="W3 on 1000 samples, best of 5, slow peers on larger subsets")
    g.add_argument("--instructions", action="store_true",
                   help="count instructions of our W1 call under valgrind callgrind instead")
    ap.add_argument("--json", metavar="OUT", help="write the JSON document here")
    ap.add_argument("--markdown", metavar="OUT", help="write the Markdown report here "
                    "(default: print it on stdout)")
    ap.add_argument("--repeats", type=int, default=None,
                    help="best-of-N repeats (default 3 quick, 5 full)")
    ap.add_argument("--w1-repeats", type=int, default=None,
                    help="best-of-N for W1 (1 ms calls: noisy; default 10 quick, 20 full)")
    ap.add_argument("--peers", default=",".join(peers.PEERS),
                    help="comma-separated peers to run, or 'none' (default: all of "
                         f"{','.join(peers.PEERS)})")
    ap.add_argument("--no-cowell-w3", action="store_true",
                    help="skip our Cowell contenders on W3 (tens of ms per sample)")
    ap.add_argument("--hybrid-max-step-days", type=float, default=None,
                    help="pass mean_max_step_days to propagate for the hybrid "
                         "(default: the kernel's default)")
    ap.add_argument("--rtol", type=float, default=None,
                    help="--instructions: only this rtol (default: 1e-9 and the candidates)")
    ap.add_argument("--_callgrind-child", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--_callgrind-days", type=float, default=1.0, help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def _write(path, text, log=log):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    log(f"wrote {path}")


def emit(doc, md, json_path=None, markdown_path=None, log=log):
    """Write a benchmark's JSON document and Markdown report where asked (else print the
    Markdown); returns the exit status 0."""
    if json_path:
        _write(json_path, json.dumps(doc, indent=1, default=float) + "\n", log)
    if markdown_path:
        _write(markdown_path, md, log)
    else:
        print(md)
    return 0


def main(argv=None) -> int:
    args = _parse_args(argv)
    if args._callgrind_child is not None:
        _callgrind_child(args._callgrind_child, args.rtol or TIGHT_RTOL, args._callgrind_days)
        return 0
    if args.instructions:
        rtols = [args.rtol] if args.rtol else [TIGHT_RTOL, *RTOL_CANDIDATES]
        doc = instructions(rtols)
        md = _instructions_markdown(doc)
    else:
        mode = "full" if args.full else "quick"
        repeats = args.repeats or (5 if mode == "full" else 3)
        w1_repeats = args.w1_repeats or (20 if mode == "full" else 10)
        names = [] if args.peers.strip() == "none" else \
            [p.strip() for p in args.peers.split(",") if p.strip()]
        unknown = [p for p in names if p not in peers.PEERS]
        if unknown:
            raise SystemExit(f"--peers: unknown {unknown}; known: {', '.join(peers.PEERS)}")
        hybrid_kw = {}
        if args.hybrid_max_step_days is not None:
            import inspect

            from deorbit.kernel import propagate
            if "mean_max_step_days" not in inspect.signature(propagate).parameters:
                raise SystemExit("--hybrid-max-step-days: this deorbit's propagate() has no "
                                 "mean_max_step_days parameter")
            hybrid_kw["mean_max_step_days"] = args.hybrid_max_step_days
        doc = run_all(mode, peer_names=names, repeats=repeats, w1_repeats=w1_repeats,
                      hybrid_kw=hybrid_kw,
                      cowell_w3=not args.no_cowell_w3)
        md = markdown(doc)
    return emit(doc, md, args.json, args.markdown)


if __name__ == "__main__":
    raise SystemExit(main())
