"""How much would a stronger storm response change the ISS answers? (issue 4, VALIDATION.md)

deorbit's density follows NRLMSISE-00, whose response to the February 2022 storm at 210 km
is +10 %, where satellite drag and physics-based models show 20-60 % (VALIDATION.md,
``storm_models.py``). This script asks what that shortfall costs the ISS scenarios. It writes
density tables whose storm response is amplified: above the reference Ap (15, a node of the
table) the Ap-driven part of ln rho is multiplied by ``k``,

    ln rho_k(Ap) = ln rho(Ap) + (k - 1) (ln rho(Ap) - ln rho(15))   for Ap > 15,

unchanged at and below Ap 15 (most days: the record's median daily Ap is 8), and reports
for each ``k`` the February 2022 response at 210 km, i = 53 deg (02-04 against the mean of
02-01/02, as ``storm_models.py``), then runs ``iss-uncontrolled`` with each table (the
scenario with ``[atmosphere] path`` set; same seed, so the runs are paired) and prints
``deorbit compare`` of each against the plain table.

The amplified tables are a sensitivity device, not a storm model: the factor is one number
for all altitudes, solar activity and latitudes.

    python benchmarks/storm_sensitivity.py --samples 1000 --k 2 3   # ~1 minute, 2 cores
"""
import argparse
import dataclasses
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from deorbit.atmosphere import load_msis_table
from deorbit.spaceweather import load_space_weather
from storm_models import table_rows  # sibling module (benchmarks/ is not a package)

AP_REF = 15.0
STORM_DAYS = ["2022-02-01", "2022-02-02", "2022-02-04"]


def amplified(table, k):
    """The table with the Ap-driven part of ln rho above Ap 15 multiplied by k."""
    j = int(np.flatnonzero(table.ap == AP_REF)[0])
    ref = table.log_rho[:, :, :, j : j + 1, :]
    log_rho = table.log_rho.copy()
    above = table.ap > AP_REF
    log_rho[:, :, :, above, :] += (k - 1.0) * (log_rho[:, :, :, above, :] - ref)
    provenance = dict(table.provenance, storm_amplification=dict(
        k=k, ap_ref=AP_REF, rule="ln rho += (k - 1) (ln rho - ln rho(Ap 15)) for Ap > 15",
        made_by="benchmarks/storm_sensitivity.py"))
    return dataclasses.replace(table, log_rho=log_rho, provenance=provenance,
                               source=f"amplified k={k:g}")


def storm_rise(table, sw):
    """Orbit-mean density rise at 210 km, i = 53 deg, 2022-02-04 vs 02-01/02 (daily indices,
    as ``storm_models.py``'s table row)."""
    rho = table_rows(sw, table, STORM_DAYS)
    return rho[2] / (0.5 * (rho[0] + rho[1])) - 1.0


def scenario_with_table(text, table_path):
    """The scenario text with ``path = table_path`` in its [atmosphere] table."""
    lines = text.splitlines()
    i = lines.index("[atmosphere]")
    return "\n".join(lines[: i + 1] + [f'path = "{table_path}"'] + lines[i + 1 :]) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=1000, help="samples per run (default 1000)")
    ap.add_argument("--k", type=float, nargs="+", default=[2.0, 3.0],
                    help="amplification factors of the storm response (default 2 3)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scenario", default="iss-uncontrolled")
    args = ap.parse_args()

    sw = load_space_weather()
    table = load_msis_table()
    deorbit = [sys.executable, "-m", "deorbit.cli"]
    text = subprocess.run(deorbit + ["scenarios", "show", args.scenario], check=True,
                          capture_output=True, text=True).stdout
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        runs = {}
        for k in [1.0, *args.k]:
            t = table if k == 1.0 else amplified(table, k)
            print(f"k = {k:g}: February 2022 storm at 210 km, 02-04 vs 02-01/02: "
                  f"{100 * storm_rise(t, sw):+.1f} %")
            path = tmp / f"table-k{k:g}.npz"
            t.save(path)
            scenario = tmp / f"k{k:g}.toml"
            scenario.write_text(scenario_with_table(text, path))
            runs[k] = tmp / f"run-k{k:g}"
            subprocess.run(deorbit + ["run", str(scenario), "--samples", str(args.samples),
                                      "--workers", str(args.workers), "--out", str(runs[k]),
                                      "--no-report", "--no-progress"],
                           check=True, capture_output=True)
        for k in args.k:
            print(f"\n## {args.scenario}: k = {k:g} against the plain table (paired)\n")
            out = subprocess.run(deorbit + ["compare", str(runs[1.0]), str(runs[k])],
                                 check=True, capture_output=True, text=True).stdout
            print(out)


if __name__ == "__main__":
    main()
