"""Ground side of reentry risk: population, land, target zone, casualty expectation, footprint.

Modules (one job each; nothing is loaded at import time, data files are read on first use):

- :mod:`~deorbit.ground.grid` — :class:`PopulationGrid`: people per km², land fraction and
  distance to land on a global lat/lon grid (packaged 0.25° grid from Natural Earth, or a
  user ``.npz``/GeoTIFF, or synthetic grids for tests).
- :mod:`~deorbit.ground.zone` — :class:`TargetZone` polygons on the sphere, the default zone
  around Point Nemo, zone files, :func:`distance_to_land_km`.
- :mod:`~deorbit.ground.casualty` — casualty area (√0.36 + √A)², Ec = Σ A_c × density,
  the 15 J threshold, counts of fragments on land / within 370 km of land.
- :mod:`~deorbit.ground.footprint` — along-track length and cross-track width of a footprint.
- :mod:`~deorbit.ground.coastlines` — coastline polylines for maps.
- :mod:`~deorbit.ground.sphere` — great-circle helpers (mean Earth radius 6371.0088 km).

The packaged data are made by the offline tool :mod:`deorbit.tools.ground_data`.

Units: degrees for latitude/longitude (geodetic latitude, east longitude), km for distances,
m² for areas of fragments, people per km² for density, J for kinetic energy.
"""

from .casualty import (
    EC_LIMIT,
    KE_THRESHOLD_J,
    KEEPOUT_KM,
    PERSON_AREA_M2,
    LandCounts,
    casualty_area_m2,
    casualty_expectation_per_fragment,
    expected_casualties,
    is_hazardous,
    kinetic_energy_j,
    land_counts,
)
from .coastlines import load_coastlines
from .footprint import Footprint, footprint_km, max_separation_km
from .grid import (
    GroundDataError,
    PopulationGrid,
    density_per_km2,
    is_land,
    land_fraction,
    load_grid,
    packaged_grid,
)
from .sphere import MEAN_EARTH_RADIUS_KM, great_circle_distance_km
from .zone import (
    POINT_NEMO_LAT_DEG,
    POINT_NEMO_LON_DEG,
    TargetZone,
    default_zone,
    distance_to_land_km,
    load_zone,
)

__all__ = [
    "EC_LIMIT",
    "KEEPOUT_KM",
    "KE_THRESHOLD_J",
    "MEAN_EARTH_RADIUS_KM",
    "PERSON_AREA_M2",
    "POINT_NEMO_LAT_DEG",
    "POINT_NEMO_LON_DEG",
    "Footprint",
    "GroundDataError",
    "LandCounts",
    "PopulationGrid",
    "TargetZone",
    "casualty_area_m2",
    "casualty_expectation_per_fragment",
    "default_zone",
    "density_per_km2",
    "distance_to_land_km",
    "expected_casualties",
    "footprint_km",
    "great_circle_distance_km",
    "is_hazardous",
    "is_land",
    "kinetic_energy_j",
    "land_counts",
    "land_fraction",
    "load_coastlines",
    "load_grid",
    "load_zone",
    "max_separation_km",
    "packaged_grid",
]
