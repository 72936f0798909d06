"""Casualty expectation of surviving fragments, and their count on or near land.

The rules follow NASA-STD-8719.14 (*Process for Limiting Orbital Debris*) and NASA's Debris
Assessment Software (DAS) as used in US government practice:

- a fragment is hazardous if its impact kinetic energy is at least 15 J
  (:data:`KE_THRESHOLD_J`); lighter blows are not counted;
- its *casualty area* is A_c = (√0.36 m² + √A)², where 0.36 m² is the projected area of a
  standing person (:data:`PERSON_AREA_M2`) and A the fragment's mean cross-section, m²;
- the expected number of casualties is Ec = Σ A_c × population density at the impact
  point; the limit for one reentry is Ec <= 1e-4;
- a controlled entry must keep hazardous debris >= 370 km (200 nautical miles) from
  foreign land (:data:`KEEPOUT_KM`).

Population density comes from a :class:`~deorbit.ground.grid.PopulationGrid` (people per km²
of cell area; the packaged grid by default), so Ec = Σ A_c[m²] · 1e-6 · density[km⁻²].

Arrays broadcast; the fragment axis (``axis``, default the last) is summed, any leading axes
(samples) are kept. Impact points that are NaN (no impact: still in orbit, say) raise
ValueError unless ``nan_policy="omit"``, which counts such fragments as absent.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .grid import packaged_grid
from .sphere import as_lat_lon

#: Projected area of a standing person, m² (NASA-STD-8719.14; DAS).
PERSON_AREA_M2 = 0.36
#: Kinetic energy at or above which a fragment counts as hazardous, J (NASA-STD-8719.14).
KE_THRESHOLD_J = 15.0
#: Keep-out distance from land for hazardous debris of a controlled entry, km (200 nmi).
KEEPOUT_KM = 370.0
#: Ec limit per reentry (NASA-STD-8719.14, US government practice).
EC_LIMIT = 1e-4

_M2_PER_KM2 = 1e6


def casualty_area_m2(area_m2):
    """Casualty area A_c = (√0.36 + √A)², m², of fragments of mean cross-section ``area_m2``."""
    a = np.asarray(area_m2, dtype=np.float64)
    if np.any(~np.isfinite(a) | (a < 0)):
        raise ValueError("area_m2 must be finite and >= 0")
    return (np.sqrt(PERSON_AREA_M2) + np.sqrt(a)) ** 2


def kinetic_energy_j(mass_kg, speed_m_s):
    """Impact kinetic energy ½ m v², J, of fragments of mass ``mass_kg`` at ``speed_m_s``."""
    speed = np.asarray(speed_m_s, dtype=np.float64)
    return 0.5 * np.asarray(mass_kg, dtype=np.float64) * speed ** 2


def is_hazardous(kinetic_energy_j):
    """True where the impact kinetic energy (J) is at least :data:`KE_THRESHOLD_J` (15 J)."""
    return np.asarray(kinetic_energy_j, dtype=np.float64) >= KE_THRESHOLD_J


def _points(lat_deg, lon_deg, nan_policy, what):
    if nan_policy not in ("raise", "omit"):
        raise ValueError(f"nan_policy = {nan_policy!r}; allowed: 'raise', 'omit'")
    lat, lon = np.broadcast_arrays(np.asarray(lat_deg, dtype=np.float64),
                                   np.asarray(lon_deg, dtype=np.float64))
    valid = np.isfinite(lat) & np.isfinite(lon)
    if nan_policy == "omit":
        lat = np.where(valid, lat, 0.0)
        lon = np.where(valid, lon, 0.0)
    lat, lon = as_lat_lon(lat, lon, what=what)
    return lat, lon, valid


def _weights(shape, valid, kinetic_energy_j):
    w = valid.astype(np.float64)
    if kinetic_energy_j is not None:
        w = w * np.broadcast_to(is_hazardous(kinetic_energy_j), shape)
    return w


def casualty_expectation_per_fragment(lat_deg, lon_deg, area_m2, grid=None, *,
                                      kinetic_energy_j=None, nan_policy="raise"):
    """Each fragment's contribution A_c × density (dimensionless expected casualties).

    Fragments below 15 J (when ``kinetic_energy_j`` is given) and omitted NaN impacts give 0.
    """
    g = packaged_grid() if grid is None else grid
    lat, lon, valid = _points(lat_deg, lon_deg, nan_policy, "expected_casualties")
    ac = np.broadcast_to(casualty_area_m2(area_m2), lat.shape)
    dens = g.density_per_km2(lat, lon)
    return _weights(lat.shape, valid, kinetic_energy_j) * ac * dens / _M2_PER_KM2


def expected_casualties(lat_deg, lon_deg, area_m2, grid=None, *, kinetic_energy_j=None,
                        axis=-1, nan_policy="raise"):
    """Expected casualties Ec = Σ A_c × density over the fragment axis.

    Parameters
    ----------
    lat_deg, lon_deg : array_like
        Impact points, degrees (geodetic latitude, east longitude), e.g. shape
        (n_samples, n_fragments).
    area_m2 : array_like
        Mean cross-section of each fragment, m² (broadcast against the points).
    grid : PopulationGrid, optional
        Population density (people per km² of cell area); the packaged grid by default.
    kinetic_energy_j : array_like, optional
        Impact kinetic energy, J; fragments below 15 J are not counted. Without it every
        fragment counts.
    axis : int or None
        Fragment axis to sum over (None: sum everything).
    nan_policy : {"raise", "omit"}
        What to do with NaN impact points.

    Returns
    -------
    float or ndarray
        Ec per sample (the other axes).
    """
    per = casualty_expectation_per_fragment(lat_deg, lon_deg, area_m2, grid,
                                            kinetic_energy_j=kinetic_energy_j,
                                            nan_policy=nan_policy)
    return np.sum(per, axis=axis)


class LandCounts(NamedTuple):
    """Fragment counts summed over the fragment axis (arrays over the remaining axes)."""

    #: Fragments whose impact cell is at least half land.
    on_land: np.ndarray
    #: Fragments within ``keepout_km`` of land, those on land included.
    near_land: np.ndarray


def land_counts(lat_deg, lon_deg, grid=None, *, kinetic_energy_j=None, keepout_km=KEEPOUT_KM,
                axis=-1, nan_policy="raise"):
    """Count fragments on land and within ``keepout_km`` (default 370 km) of land.

    Only hazardous fragments (>= 15 J) count when ``kinetic_energy_j`` is given. "On land"
    is :meth:`PopulationGrid.is_land` (cell land fraction >= 0.5); "near land" is on land or
    :meth:`PopulationGrid.distance_to_land_km` <= ``keepout_km``. The grid needs a land
    fraction and a distance field (the packaged grid has both).
    """
    g = packaged_grid() if grid is None else grid
    lat, lon, valid = _points(lat_deg, lon_deg, nan_policy, "land_counts")
    w = _weights(lat.shape, valid, kinetic_energy_j) > 0
    on = g.is_land(lat, lon)
    near = on | (g.distance_to_land_km(lat, lon) <= keepout_km)
    return LandCounts(np.sum(on & w, axis=axis), np.sum(near & w, axis=axis))
