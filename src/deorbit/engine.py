"""One Monte Carlo block: draw the inputs, propagate, return per-sample arrays.

:func:`run_block` is pure: no Dask, no files, no global state. The same (scenario, block)
always gives the same arrays, so a block may be retried or recomputed anywhere.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import sampling
from .atmosphere import DensityTable
from .kernel import mean_circular_elements, propagate

#: Spacing of the stored altitude history (days after each sample's start epoch).
HISTORY_STEP_DAYS = 30.0
#: Longest mean-element step with a density that does not change in time, days (the steps
#: are also limited to 2 km of decay; hybrid vs Cowell agree within 0.1 % with it).
STATIC_MEAN_MAX_STEP_DAYS = 30.0
DAYS_PER_YEAR = 365.25


def n_blocks(scenario, samples=None):
    """Number of blocks for ``samples`` (default: the scenario's) samples."""
    samples = scenario.monte_carlo.samples if samples is None else samples
    return -(-samples // scenario.monte_carlo.block_size)


def block_samples(scenario, block_index, samples=None):
    """(first global sample index, number of samples) of a block."""
    samples = scenario.monte_carlo.samples if samples is None else samples
    size = scenario.monte_carlo.block_size
    first = block_index * size
    if not 0 <= first < samples:
        raise ValueError(f"block {block_index} is outside 0..{n_blocks(scenario, samples) - 1}")
    return first, min(size, samples - first)


@lru_cache(maxsize=16)
def _msis_profile(inc_deg, f107a, df, ap):
    from .atmosphere.msis import load_msis_table

    return load_msis_table().profile(inc_deg, f107a, df, ap)


def density_table(scenario) -> DensityTable:
    """The density profile of a scenario.

    ``atmosphere.model = "table"``: the scenario's table. ``"msis"``: the NRLMSISE-00 table
    at the scenario's constant solar indices, averaged over the latitudes an orbit of the
    scenario's (fixed) inclination visits.
    """
    atm = scenario.atmosphere
    if atm.model == "table":
        return atm.table
    s = scenario.solar
    inc = scenario.orbit.inclination_deg.p["value"]
    return _msis_profile(float(inc), s.f107a_sfu, s.f107_sfu - s.f107a_sfu, s.ap)


def history_days(scenario):
    """Times of the stored altitude history, days after each sample's start."""
    horizon = scenario.start.horizon_years * DAYS_PER_YEAR
    return np.arange(0.0, horizon + 0.5 * HISTORY_STEP_DAYS, HISTORY_STEP_DAYS)


def run_block(scenario, block_index: int, samples: int | None = None) -> dict[str, np.ndarray]:
    """Propagate one block of a scenario.

    Parameters
    ----------
    scenario : deorbit.scenario.Scenario
    block_index : int
        Block number, 0-based; block b holds samples b*block_size ... (see :func:`block_samples`).
    samples : int, optional
        Total samples of the run (default: the scenario's); only the last block is short.

    Returns
    -------
    dict of ndarray
        Per-sample arrays (length n): ``sample`` (global index), the drawn inputs under
        their key paths, ``status`` (:class:`deorbit.Status`), ``reentry_epoch_utc_days``
        (120 km entry-interface crossing, NaN if none), ``lifetime_days`` (entry minus
        start, NaN if none), ``reentry_lat_deg``/``reentry_lon_deg`` (geodetic, at the
        entry interface), ``n_steps``; and ``history_sma_alt_km`` (n, H), the mean altitude
        every ``HISTORY_STEP_DAYS`` after the start.
    """
    first, n = block_samples(scenario, block_index, samples)
    x = sampling.draw_block(scenario, block_index, n)
    start = x["start.epoch_utc"]
    inc = x["orbit.inclination_deg"]
    prop = scenario.propagation
    hist = history_days(scenario)
    res = propagate(
        start, None, x["vehicle.ballistic_coefficient_kg_m2"],
        density_table(scenario),
        start + scenario.start.horizon_years * DAYS_PER_YEAR,
        mean_elements=mean_circular_elements(x["orbit.mean_altitude_km"], inc,
                                             x["orbit.raan_deg"], x["orbit.arg_latitude_deg"]),
        method=prop.method, entry_alt_km=prop.entry_alt_km,
        handover_alt_km=prop.handover_alt_km, rtol=prop.rtol,
        mean_max_step_days=STATIC_MEAN_MAX_STEP_DAYS,
        density_scale=x["atmosphere.density_scale"], history_days=hist)
    out = {"sample": np.arange(first, first + n, dtype=np.int64)}
    out.update(x)
    out.update(status=res.status, reentry_epoch_utc_days=res.entry_epoch_utc_days,
               lifetime_days=res.entry_epoch_utc_days - start,
               reentry_lat_deg=res.end_lat_deg, reentry_lon_deg=res.end_lon_deg,
               n_steps=res.n_steps, history_sma_alt_km=res.history_sma_alt_km)
    entered = np.isfinite(res.entry_epoch_utc_days)
    out["reentry_lat_deg"] = np.where(entered, out["reentry_lat_deg"], np.nan)
    out["reentry_lon_deg"] = np.where(entered, out["reentry_lon_deg"], np.nan)
    return out
