"""How exact the fragments' fall is: impact points and speeds against a tight integration
(VALIDATION.md, "Fragments' fall").

The engine flies one block of a scenario to breakup (its own steps: decay, operations), and
every fragment class falls from each sample's breakup state with the class's drawn
ballistic coefficient, as in a run. Each fall is computed four ways:

- reference: DOP853 at rtol 1e-9 down to the ground;
- whole fall at the engine's ``FRAGMENT_RTOL`` (1e-4) down to the ground (the method used
  before 2026-11-25);
- the engine's fall (``deorbit.fall.fall``): to ``fragments.TERMINAL_ALT_KM`` (10 km) at
  ``FRAGMENT_RTOL``, then the analytic terminal descent, or ``GLIDE_RTOL`` to the ground
  for fragments still too fast for it;
- the same at rtol 1e-9 to 10 km: the terminal descent's own error.

Prints a Markdown table of impact-point distances and impact-speed errors against the
reference, and the cost of each way.

    python benchmarks/fall_accuracy.py          # a few seconds: block 0 of iss-uncontrolled
"""
import argparse
import time

import numpy as np

from deorbit import engine, fall, flight, fragments, frames
from deorbit.ground import great_circle_distance_km
from deorbit.kernel import Status, propagate
from deorbit.sampling import draw_block
from deorbit.scenario import load_scenario


def breakups(scenario, block_index=0):
    """Breakup epochs (n,), states (n, 6) and fragment ballistic coefficients (n, K) of
    the samples of a block that broke up, from the engine's own steps."""
    first, n = engine.block_samples(scenario, block_index)
    x = draw_block(scenario, block_index, n)
    blk = flight.FlightBlock(scenario, x, n, first)
    flight.fly(blk, np.arange(n), block_index)
    broke = np.isfinite(blk.brk_epoch)
    bc = fall.fragment_bc(scenario, block_index, n)[broke]
    return blk.brk_epoch[broke], blk.brk_state[broke], bc, blk.lower


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="iss-uncontrolled",
                    help="built-in scenario name or TOML path (default: iss-uncontrolled)")
    ap.add_argument("--block", type=int, default=0, help="block index (default 0)")
    args = ap.parse_args()
    scenario = load_scenario(args.scenario)
    epoch, state, bc, lower = breakups(scenario, args.block)
    k = bc.shape[1]
    ep, st, bc = np.repeat(epoch, k), np.repeat(state, k, axis=0), bc.ravel()

    def whole(rtol):
        res = propagate(ep, st, bc, lower, ep + 1.0, method="cowell", entry_alt_km=0.0,
                        rtol=rtol)
        assert np.all(res.status == Status.ENTERED)
        speed = np.linalg.norm(frames.ground_relative_velocity(res.end_state_eci), axis=1)
        return res.end_lat_deg, res.end_lon_deg, speed, res.n_steps

    def engine_fall(rtol):
        landed, lat, lon, speed = fall.fall(ep, st, bc, lower, rtol=rtol)
        assert landed.all()
        return lat, lon, speed, None

    (lat0, lon0, v0, steps0), t_ref = _timed(lambda: whole(1e-9))
    print(f"{scenario.name}, block {args.block}: {ep.size} falls ({epoch.size} breakups x "
          f"{k} classes), BC {bc.min():.1f}-{bc.max():.0f} kg/m^2; reference: DOP853 rtol "
          f"1e-9 to the ground, {np.mean(steps0):.0f} steps per fall, {t_ref:.2f} s\n")
    print("| fall | impact point vs reference: median / 99th pct / max | impact speed error: "
          "1st-99th pct / max | time, s |")
    print("|---|---|---|---|")
    ways = (
        (f"whole fall at rtol {fall.FRAGMENT_RTOL:g}", lambda: whole(fall.FRAGMENT_RTOL)),
        (f"to {fragments.TERMINAL_ALT_KM:g} km at rtol {fall.FRAGMENT_RTOL:g}, then "
         "the terminal descent (the engine)", lambda: engine_fall(fall.FRAGMENT_RTOL)),
        (f"to {fragments.TERMINAL_ALT_KM:g} km at rtol 1e-9, then the terminal descent",
         lambda: engine_fall(1e-9)),
    )
    for name, fn in ways:
        (lat, lon, v, _), t = _timed(fn)
        d_m = 1e3 * great_circle_distance_km(lat0, lon0, lat, lon)
        err = 100.0 * (v / v0 - 1.0)
        p1, p99 = np.percentile(err, [1, 99])
        print(f"| {name} | {np.median(d_m):.0f} m / {np.percentile(d_m, 99):.0f} m / "
              f"{d_m.max():.0f} m | {p1:+.1f} to {p99:+.1f} % / {np.abs(err).max():.1f} % "
              f"| {t:.3f} |")


if __name__ == "__main__":
    main()
