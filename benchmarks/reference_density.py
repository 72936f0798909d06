"""What the orbit-averaged NRLMSISE-00 table costs in lifetime (issue 4, VALIDATION.md).

The ISS (410 km mean altitude, 51.64 deg, m/(Cd A) = 104 kg/m^2) decays under the observed
space weather of the packaged SW-All file from a date of high and one of low solar
activity, with the hybrid method, once through the kernel's averaged table and once with
NRLMSISE-00 called along the trajectory (:class:`deorbit.atmosphere.MsisAlongTrajectory`,
reference backend). Three right ascensions of the node per date, since the orbit's local
time decides where it meets the diurnal bulge. Prints a Markdown table.

    python benchmarks/reference_density.py            # ~1 minute
"""
import argparse
import time

import numpy as np

from deorbit.atmosphere import MsisAlongTrajectory, load_msis_table
from deorbit.kernel import DailyIndices, mean_circular_elements, propagate
from deorbit.spaceweather import load_space_weather
from deorbit.time import epoch_from_datetime

CASES = (("high (cycle 25 maximum)", "2023-07-01", 1150),
         ("low (cycle 23/24 minimum)", "2007-07-01", 2500))


def observed_indices(start, days, n):
    """The packaged file's observed NRLMSISE-00 inputs for ``days`` days from ``start``."""
    first = np.floor(start + 0.5) - 0.5
    mi = load_space_weather().msis_inputs(first + 0.5 + np.arange(days) + 0.5)
    cols = (mi.f107_ctr81_sfu, mi.f107_prev_day_sfu - mi.f107_ctr81_sfu, mi.ap_daily)
    return DailyIndices(np.full(n, first), *(np.tile(c, (n, 1)) for c in cols))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raan-deg", type=float, nargs="+", default=[0.0, 120.0, 240.0])
    args = ap.parse_args()
    raan = np.asarray(args.raan_deg)
    table = load_msis_table().orbit(51.64)
    print("| activity | start | RAAN deg | table lifetime d | along-trajectory d | "
          "difference | run time table / along s |")
    print("|---|---|---:|---:|---:|---:|---|")
    for label, date, days in CASES:
        start = epoch_from_datetime(date)
        mean = mean_circular_elements(np.full(raan.size, 410.0), 51.64, raan, 0.0)
        sw = observed_indices(start, days, raan.size)
        life, cost = {}, {}
        for name, atm in (("table", table), ("along", MsisAlongTrajectory())):
            t = time.perf_counter()
            life[name] = propagate(start, None, 104.0, atm, start + days - 2,
                                   mean_elements=mean, space_weather=sw).lifetime_days
            cost[name] = time.perf_counter() - t
        for k in range(raan.size):
            d = life["along"][k] / life["table"][k] - 1.0
            print(f"| {label} | {date} | {raan[k]:.0f} | {life['table'][k]:.2f} | "
                  f"{life['along'][k]:.2f} | {100 * d:+.2f} % | "
                  f"{cost['table']:.3f} / {cost['along']:.1f} |")


if __name__ == "__main__":
    main()
