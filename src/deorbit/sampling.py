"""Seeded draws of a scenario's uncertain inputs, block by block.

Every uncertain quantity (a key path such as ``vehicle.ballistic_coefficient_kg_m2``) has
its own random stream per block::

    SeedSequence(root_seed, spawn_key=(block_index, key_id(key_path)))

so that

- a block's draws depend only on (seed, block index, key path): results are identical for
  any number of workers and any completion order, and a block recomputed after a crash is
  the same block;
- the same key path in two scenarios gets the same stream (common random numbers): when
  the distribution family is the same, sample i of both scenarios sees the same underlying
  normal/uniform draw, so differences between scenarios are sharp;
- a block always draws ``block_size`` values and the last, partial block keeps the first
  ones, so sample j is the same whatever the total number of samples.

Compatibility: draws use NumPy's PCG64 bit generator; NumPy's policy keeps its streams
stable for a given version of each distribution method.
"""
from __future__ import annotations

import hashlib

import numpy as np


def key_id(key_path: str) -> int:
    """Stable 32-bit identifier of a key path (first 4 bytes of its SHA-256)."""
    return int.from_bytes(hashlib.sha256(key_path.encode()).digest()[:4], "little")


def stream(root_seed: int, block_index: int, key_path: str) -> np.random.Generator:
    """The random stream of one key path in one block."""
    seq = np.random.SeedSequence(root_seed, spawn_key=(block_index, key_id(key_path)))
    return np.random.Generator(np.random.PCG64(seq))


def draw_block(scenario, block_index: int, n: int) -> dict[str, np.ndarray]:
    """Draw the first n samples of block ``block_index`` for every uncertain quantity.

    Returns
    -------
    dict
        Key path -> float64 array of length n (dates as UTC days since J2000).
    """
    size = scenario.monte_carlo.block_size
    if not 0 < n <= size:
        raise ValueError(f"n = {n}: allowed 1..block_size = {size}")
    seed = scenario.monte_carlo.seed
    held = scenario.monte_carlo.hold_fixed
    out = {path: dist.sample(stream(seed, block_index, path), size)[:n]
           for path, dist in scenario.uncertain().items()}
    for path in held:  # the block's first sample's draw for all (monte_carlo.hold_fixed)
        if path in out:
            out[path] = np.full(n, out[path][0])
    return out
