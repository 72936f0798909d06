"""Measure each density model's BC scale on the ISS tracking data (an offline tool).

A BC belongs to its density model (:mod:`deorbit.atmosphere.models`). This fits the ISS's
m/(Cd A) with every packaged density table on the same tracking data (``deorbit fit-bc``:
NASA's ephemeris of February 2022 and CelesTrak's element sets of May 2026) and prints, per
model, each fit, its ratio to NRLMSISE-00's and the :class:`~deorbit.atmosphere.models.BCScale`
the registry records. ``tests/test_density_models.py`` reruns it against the registry.

    python -m deorbit.tools.bc_scale          # about 30 s
"""
from __future__ import annotations

import argparse

import numpy as np

from .._data import data_path
from ..atmosphere.models import DEFAULT_MODEL, DENSITY_MODELS, BCScale
from ..time import epoch_from_datetime
from ..tracking import PACKAGED, read_tracking
from ..tracking.fit import fit_tracking

__all__ = ["DATA_SETS", "fit_bcs", "main", "measure_bc_scale"]

#: The tracking data of the scale: packaged data name -> the fit's UTC bounds (the OEM arc
#: stops before NASA's reboost of 2022-02-26 01:37).
DATA_SETS = {"iss-oem-2022-02": {"until": "2022-02-26T01:30"}, "iss-tle-2026-05": {}}
#: Decimals the registry records of a ratio, of the value and of its sigma.
DECIMALS = 3


def command(name, model) -> str:
    """The ``deorbit fit-bc`` command of one fit."""
    bounds = "".join(f" --{k} {v}" for k, v in DATA_SETS[name].items())
    return f"deorbit fit-bc {name}{bounds} --model {model}"


def fit_bcs(model) -> dict:
    """The fits of the ISS data sets with ``model``'s table: {data set name: BCFit}."""
    out = {}
    for name, bounds in DATA_SETS.items():
        data = read_tracking(data_path(PACKAGED[name]))
        kw = {f"{k}_utc_days": epoch_from_datetime(v) for k, v in bounds.items()}
        out[name] = fit_tracking(data, model=model, **kw)
    return out


def measure_bc_scale(model, reference_fits=None, fits=None) -> BCScale:
    """BC of ``model`` / BC of NRLMSISE-00 on each data set, and the value to use.

    The value is the geometric mean of the data sets' ratios. Its ``sigma_ln`` is the larger
    of the sample standard deviation of their ln (how much the ratio moves between epochs)
    and each data set's own standard error of the ln ratio (from the ratios of its sub-arc
    or element-set-pair BCs, which both fits share). All rounded to :data:`DECIMALS`.
    ``reference_fits``/``fits``: precomputed :func:`fit_bcs` results (optional).
    """
    ref = fit_bcs(DEFAULT_MODEL) if reference_fits is None else reference_fits
    own = fit_bcs(model) if fits is None else fits
    ratios = tuple((name, round(own[name].bc_kg_m2 / ref[name].bc_kg_m2, DECIMALS))
                   for name in DATA_SETS)
    ln = np.log([r for _, r in ratios])
    spreads = [float(np.std(ln, ddof=1))] if ln.size > 1 else []
    for name in DATA_SETS:
        parts = np.log(np.divide(own[name].subarc_bc_kg_m2, ref[name].subarc_bc_kg_m2))
        if parts.size > 1:
            spreads.append(float(np.std(parts, ddof=1) / np.sqrt(parts.size)))
    return BCScale(round(float(np.exp(ln.mean())), DECIMALS), round(max(spreads), DECIMALS),
                   ratios, "")


def main(argv=None) -> int:
    """Command line: ``python -m deorbit.tools.bc_scale``."""
    parser = argparse.ArgumentParser(prog="python -m deorbit.tools.bc_scale",
                                     description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    fits = {m: fit_bcs(m) for m in DENSITY_MODELS}
    print("| data | model | m/(Cd A), kg/m^2 (1 sigma) | decay residual | ratio to "
          f"{DENSITY_MODELS[DEFAULT_MODEL].display_name} |")
    print("|---|---|---:|---:|---:|")
    for name in DATA_SETS:
        for m, by_data in fits.items():
            f = by_data[name]
            ratio = f.bc_kg_m2 / fits[DEFAULT_MODEL][name].bc_kg_m2
            print(f"| `{command(name, m)}` | {DENSITY_MODELS[m].display_name} | "
                  f"{f.bc_kg_m2:.1f} +- {f.bc_sigma_kg_m2:.1f} | {f.decay_residual:+.2%} | "
                  f"{ratio:.{DECIMALS}f} |")
    print()
    for m in DENSITY_MODELS:
        if m != DEFAULT_MODEL:
            print(f"{m}: {measure_bc_scale(m, fits[DEFAULT_MODEL], fits[m])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
