"""One Monte Carlo block: draw the inputs, fly them, return per-sample arrays.

:func:`run_block` is pure: no Dask, no files, no global state. The same (scenario, block)
always gives the same arrays, so a block may be retried or recomputed anywhere. The stages:
the draws (:mod:`deorbit.sampling`), the flight to breakup (:mod:`deorbit.flight`, in the
block's :mod:`deorbit.environment`), the fragments' fall (:mod:`deorbit.fall`) and the
ground risk (:mod:`deorbit.ground.risk`).
"""
from __future__ import annotations

import numpy as np

from . import fall, frames, sampling
from .flight import HISTORY_STEP_DAYS, FlightBlock, Outcome, fly
from .ground.risk import ground_risk

__all__ = ["HISTORY_STEP_DAYS", "Outcome", "block_samples", "n_blocks", "run_block"]


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


def run_block(scenario, block_index: int, samples: int | None = None) -> dict[str, np.ndarray]:
    """Propagate one block of a scenario: decay, operations, breakup, fragments.

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
        their key paths, ``outcome`` (:class:`Outcome`), ``reentry_epoch_utc_days`` (the
        120 km entry-interface crossing that led to breakup; NaN if none),
        ``lifetime_days`` (from the start), ``breakup_lat_deg``/``breakup_lon_deg``,
        ``final_burn_epoch_utc_days`` and ``targeting_miss_km`` (controlled attempts),
        per fragment class (n, K): ``impact_lat_deg``, ``impact_lon_deg``,
        ``impact_speed_m_s``, ``fragment_count``; and, every ``HISTORY_STEP_DAYS`` after the
        start (n, H): ``history_sma_alt_km``, the mean altitude along the whole flight (the
        deorbit sequence included; NaN after breakup), and ``history_f107a_sfu``, the
        81-day mean F10.7 the sample saw while in orbit (NaN after its breakup).
    """
    first, n = block_samples(scenario, block_index, samples)
    x = sampling.draw_block(scenario, block_index, n)
    blk = FlightBlock(scenario, x, n, first)
    fly(blk, np.arange(n), block_index)
    again = blk.beyond_window()
    if again.size:  # from the start again, with solar paths to the horizon
        fly(blk, again, block_index)
    start = x["start.epoch_utc"]
    out = {"sample": np.arange(first, first + n, dtype=np.int64)}
    out.update(x)
    lat, lon, _ = frames.eci_to_geodetic(blk.brk_state[:, :3], blk.brk_epoch)
    out.update(outcome=blk.outcome, reentry_epoch_utc_days=blk.reentry,
               lifetime_days=blk.reentry - start, breakup_lat_deg=lat, breakup_lon_deg=lon,
               final_burn_epoch_utc_days=blk.burn_epoch, targeting_miss_km=blk.miss,
               history_sma_alt_km=blk.history, history_f107a_sfu=blk.solar_history)
    if blk.maintenance is not None:  # [operations.altitude_maintenance]: deorbit.maintenance
        out.update(blk.maintenance.arrays())
    out.update(fall.fragment_impacts(scenario, blk.brk_epoch, blk.brk_state, x, block_index, n,
                          blk.lower))
    out.update(ground_risk(scenario, out))
    return out


