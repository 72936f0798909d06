"""Per-sample ground risk of a block: expected casualties, debris outside the target zone,
on and near land, and the footprint, from the fragments' impact points."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import casualty
from .footprint import footprint_km
from .grid import load_grid

__all__ = ["ground_risk"]


def ground_risk(scenario, out):
    """Per-sample ground figures from the fragment impacts (NaN when nothing landed).

    ``ec`` (expected casualties: sum over classes of count x casualty area x population
    density, NASA DAS / NASA-STD-8719.14), ``fragments_total``,
    ``fragments_outside_zone`` (pieces landing outside the scenario's target zone),
    ``fragments_on_land``
    and ``fragments_near_land`` (pieces >= 15 J on land, and on land or within 370 km of it),
    ``footprint_length_km`` / ``footprint_width_km`` of the class impact points.
    """
    count, mass, area, _, _ = scenario.breakup.fragments.arrays()
    lat, lon = out["impact_lat_deg"], out["impact_lon_deg"]
    n, k = lat.shape
    landed = np.isfinite(lat).all(axis=1)
    nan = np.full(n, np.nan)
    res = {"ec": nan.copy(), "fragments_total": nan.copy(), "fragments_outside_zone": nan.copy(),
           "fragments_on_land": nan.copy(), "fragments_near_land": nan.copy(),
           "footprint_length_km": nan.copy(), "footprint_width_km": nan.copy()}
    if not landed.any():
        return res
    la, lo = lat[landed], lon[landed]
    pieces = out["fragment_count"][landed]
    energy = casualty.kinetic_energy_j(mass[None, :], out["impact_speed_m_s"][landed])
    grid = _grid(scenario.ground.population_grid_file)
    per = casualty.casualty_expectation_per_fragment(la, lo, np.broadcast_to(area, la.shape),
                                                     grid, kinetic_energy_j=energy)
    res["ec"][landed] = (per * pieces).sum(axis=1)
    res["fragments_total"][landed] = pieces.sum(axis=1)
    inside = scenario.ground.target_zone.contains(la, lo)
    res["fragments_outside_zone"][landed] = (pieces * ~inside).sum(axis=1)
    hazardous = casualty.is_hazardous(energy)
    on_land = grid.is_land(la, lo)
    res["fragments_on_land"][landed] = (pieces * (on_land & hazardous)).sum(axis=1)
    if grid.distance_grid_km is not None:   # a user grid may have no distance field
        near = on_land | (grid.distance_to_land_km(la, lo) <= casualty.KEEPOUT_KM)
        res["fragments_near_land"][landed] = (pieces * (near & hazardous)).sum(axis=1)
    length, width = footprint_km(la, lo)
    res["footprint_length_km"][landed] = length
    res["footprint_width_km"][landed] = width
    return res


@lru_cache(maxsize=2)
def _grid(path=None):
    """The population grid: packaged (None) or a user file, loaded once per process."""
    return load_grid(path)
