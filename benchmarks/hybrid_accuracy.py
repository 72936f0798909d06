"""How far the hybrid method is from Cowell under sampled space weather (VALIDATION.md).

The hybrid method flies orbit-averaged mean elements down to the hand-over altitude, with
midpoint steps of at most ``mean_max_step_days`` (ending on UTC day boundaries and after
2 km of decay), then Cowell. This script measures what its two settings cost against Cowell
(DOP853, rtol 1e-9) over the whole decay, on the first samples of a scenario's block: their
daily solar paths, ballistic coefficients, density scales, start epochs and circular orbits
(mean elements), as the engine draws them; ``--alt-km`` starts them all at one altitude. It
prints a Markdown table: per setting, the steps and time of the block, and the lifetime to
the entry interface (120 km) and the epoch of its crossing against Cowell's.

    python benchmarks/hybrid_accuracy.py          # ~35 s: block 0 of iss-uncontrolled (100)
    python benchmarks/hybrid_accuracy.py --samples 12 --alt-km 410
"""
import argparse
import time

import numpy as np

from deorbit import environment
from deorbit.constants import DAYS_PER_YEAR
from deorbit.kernel import mean_circular_elements, propagate
from deorbit.sampling import draw_block
from deorbit.scenario import load_scenario

#: (mean_max_step_days, handover_alt_km) of the hybrid runs; the engine uses 8 days and the
#: scenario's hand-over (160 km for the ISS scenarios).
SETTINGS = ((1.0, 180.0), (8.0, 200.0), (8.0, 180.0), (8.0, 160.0), (8.0, 150.0),
            (16.0, 160.0), (30.0, 160.0))


def block_inputs(scenario, n, block_index=0):
    """The first ``n`` samples of a block: start epochs, bc, density scales and daily indices."""
    x = draw_block(scenario, block_index, n)
    start = x["start.epoch_utc"]
    horizon = start + scenario.start.horizon_years * DAYS_PER_YEAR
    first_sample = block_index * scenario.monte_carlo.block_size
    sw = environment.daily_indices(scenario, first_sample, start, horizon)
    return x, start, horizon, sw


def run(scenario, n, alt_km=None, block_index=0):
    """Lifetimes (days to the entry interface), steps and wall time of Cowell and of each
    hybrid setting; returns (cowell, {setting: hybrid}), each a dict."""
    x, start, horizon, sw = block_inputs(scenario, n, block_index)
    alt = x["orbit.mean_altitude_km"] if alt_km is None else alt_km
    mean = mean_circular_elements(alt, x["orbit.inclination_deg"], x["orbit.raan_deg"],
                                  x["orbit.arg_latitude_deg"])
    common = dict(bc_kg_m2=x["vehicle.ballistic_coefficient_kg_m2"],
                  atmosphere=environment.density_table(scenario), stop_epoch_utc_days=horizon,
                  density_scale=x["atmosphere.density_scale"], space_weather=sw,
                  mean_elements=mean, entry_alt_km=scenario.propagation.entry_alt_km,
                  rtol=scenario.propagation.rtol)

    def one(method, **kw):
        t0 = time.perf_counter()
        res = propagate(start, None, method=method, **common, **kw)
        wall = time.perf_counter() - t0
        return dict(life=res.entry_epoch_utc_days - start, entry=res.entry_epoch_utc_days,
                    steps=res.n_steps, wall=wall)

    cowell = one("cowell")
    hybrid = {s: one("hybrid", mean_max_step_days=s[0], handover_alt_km=s[1])
              for s in SETTINGS}
    return cowell, hybrid


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="iss-uncontrolled",
                    help="built-in scenario name or TOML path (default: iss-uncontrolled)")
    ap.add_argument("--samples", type=int, default=None,
                    help="the first samples of block 0 (default: the whole block)")
    ap.add_argument("--alt-km", type=float, default=None,
                    help="start mean altitude, km (default: the samples' own)")
    args = ap.parse_args()
    scenario = load_scenario(args.scenario)
    n = args.samples or scenario.monte_carlo.block_size
    cowell, hybrid = run(scenario, n, args.alt_km)
    if not np.all(np.isfinite(cowell["life"])):
        raise SystemExit("some samples did not reach the entry interface within the horizon")
    life = cowell["life"]
    alt = "their own mean altitudes" if args.alt_km is None else f"{args.alt_km:g} km"
    print(f"{scenario.name}, block 0, {n} samples from {alt}; Cowell "
          f"(rtol {scenario.propagation.rtol:g}) lifetimes "
          f"{life.min():.0f}-{life.max():.0f} d, {cowell['wall']:.1f} s, "
          f"{np.mean(cowell['steps']):.0f} steps per sample\n")
    print("| mean step, d | hand-over, km | steps per sample | block time, s "
          "| lifetime vs Cowell | 120 km crossing vs Cowell: median / max |")
    print("|---|---|---|---|---|---|")
    for (step, handover), h in hybrid.items():
        rel = 100.0 * (h["life"] / life - 1.0)
        dt_h = 24.0 * np.abs(h["entry"] - cowell["entry"])
        print(f"| {step:g} | {handover:g} | {np.mean(h['steps']):.0f} | {h['wall']:.2f} "
              f"| {rel.min():+.3f} to {rel.max():+.3f} % "
              f"| {np.median(dt_h):.1f} h / {dt_h.max():.1f} h |")


if __name__ == "__main__":
    main()
