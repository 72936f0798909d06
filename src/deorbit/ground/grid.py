"""Population density, land fraction and distance to land on a global latitude/longitude grid.

:class:`PopulationGrid` answers, for impact points given in degrees, three questions:

- :meth:`~PopulationGrid.density_per_km2` — people per km² **of the cell's area** (land and
  sea together) in the cell that holds the point. That is the quantity a casualty estimate
  needs: a fragment that lands uniformly at random inside the cell meets people at that rate.
- :meth:`~PopulationGrid.land_fraction` / :meth:`~PopulationGrid.is_land` — the cell's land
  fraction, and whether it is at least one half.
- :meth:`~PopulationGrid.distance_to_land_km` — great-circle distance to the nearest land
  (0 on land), bilinearly interpolated in a node grid (when the grid carries one).

The packaged grid (``deorbit/data/ground_grid.npz``, made by :mod:`deorbit.tools.ground_data`;
provenance in ``deorbit/data/README.md`` and in :attr:`PopulationGrid.metadata`) is 0.25° and
global. Its population is Natural Earth's 1:110m country estimates (2019) spread uniformly
over each country's area: right on average over a country, not in detail (a city and a desert
in the same country get the same density). Users can bring their own grid:

- a NumPy ``.npz`` with the keys below (see :meth:`PopulationGrid.save`), or
- a GeoTIFF such as GPW v4 (needs the optional package ``rasterio``), see
  :meth:`PopulationGrid.from_geotiff`, or
- arrays in memory, :class:`PopulationGrid` directly.

``.npz`` layout (all arrays in row-major order; row 0 is the southernmost row of cells, column
0 starts at longitude -180°; ``n_lat`` rows of 180/n_lat degrees and ``n_lon`` columns of
360/n_lon degrees cover the whole globe):

``population_density_per_km2``
    (n_lat, n_lon) float: people per km² of cell area, finite, >= 0.
``land_fraction`` (optional)
    (n_lat, n_lon) float: land area / cell area, in [0, 1].
``distance_to_land_km`` (optional)
    (n_lat + 1, n_lon + 1) float: great-circle km from each cell *corner* to the nearest
    land, 0 on land; column n_lon (lon +180) repeats column 0 (lon -180).
``metadata_json`` (optional)
    0-d str array holding a JSON object: provenance.
"""

from __future__ import annotations

import functools
import io
import json
import math
import tokenize
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .._data import data_path
from .._messages import did_you_mean, shown
from .sphere import MEAN_EARTH_RADIUS_KM, as_lat_lon

#: Key of the density array in a grid ``.npz``.
DENSITY_KEY = "population_density_per_km2"
#: Key of the land-fraction array in a grid ``.npz``.
LAND_KEY = "land_fraction"
#: Key of the distance-to-land node array in a grid ``.npz``.
DISTANCE_KEY = "distance_to_land_km"
#: Key of the JSON provenance string in a grid ``.npz``.
METADATA_KEY = "metadata_json"
#: A cell counts as land for :meth:`PopulationGrid.is_land` when its land fraction is >= this.
LAND_THRESHOLD = 0.5
#: File name of the packaged grid inside ``deorbit/data``.
PACKAGED_GRID_NAME = "ground_grid.npz"

_KNOWN_KEYS = (DENSITY_KEY, LAND_KEY, DISTANCE_KEY, METADATA_KEY)
#: Most values a grid array in a ``.npz`` may hold: the corners of a 2.5 arc-minute grid
#: (4320 x 8640 cells, GPW v4's 2.5' product), ~37 million. Checked in the file's header,
#: before anything is allocated.
MAX_GRID_VALUES = 4321 * 8641
#: Largest ``metadata_json`` string, bytes (numpy stores 4 per character).
MAX_METADATA_BYTES = 2**22


class GroundDataError(ValueError):
    """A population grid or target zone (a file, or arrays) is invalid; the message names
    the source and, for text files, the line (``path:line:``)."""


def _check_cell_deg(cell_deg):
    cell_deg = float(cell_deg)
    n = 180.0 / cell_deg if cell_deg > 0 else 0.0
    if not (np.isfinite(n) and n >= 1 and abs(n - round(n)) < 1e-9):
        raise ValueError(f"cell_deg = {cell_deg!r}: must be > 0 and divide 180 degrees evenly")
    return int(round(n)), 2 * int(round(n))


class PopulationGrid:
    """A global regular lat/lon grid of population density, land fraction and distance to land.

    Parameters
    ----------
    population_density_per_km2 : array_like, shape (n_lat, n_lon)
        People per km² of cell area (land and sea together). Row 0 is the southernmost row
        (cells from -90° up), column 0 starts at -180° east. Finite and >= 0.
    land_fraction : array_like, shape (n_lat, n_lon), optional
        Land area / cell area in [0, 1]. Without it :meth:`land_fraction` and :meth:`is_land`
        raise ValueError (never a silent default).
    distance_to_land_km : array_like, shape (n_lat + 1, n_lon + 1), optional
        Great-circle distance, km, from each cell corner (lat -90 + i·Δφ, lon -180 + j·Δλ) to
        the nearest land, 0 on land. Column n_lon (lon +180) must equal column 0.
    metadata : dict, optional
        Provenance (JSON-serialisable), shown in run manifests and stored by :meth:`save`.
    source : str
        Where the grid came from (a file path or a description), used in error messages.
    """

    def __init__(self, population_density_per_km2, land_fraction=None, distance_to_land_km=None,
                 *, metadata=None, source="<arrays>"):
        self.source = str(source)
        dens = np.array(population_density_per_km2, dtype=np.float64, copy=True)
        if dens.ndim != 2 or dens.shape[0] < 1 or dens.shape[1] < 1:
            raise GroundDataError(f"{self.source}: '{DENSITY_KEY}' must be a 2-D array "
                                  f"(n_lat, n_lon), got shape {dens.shape}")
        self._check_values(dens, DENSITY_KEY, lo=0.0)
        self.n_lat, self.n_lon = dens.shape
        self.dlat_deg = 180.0 / self.n_lat
        self.dlon_deg = 360.0 / self.n_lon
        dens.setflags(write=False)
        self.density_grid = dens

        self.land_fraction_grid = None
        if land_fraction is not None:
            lf = np.array(land_fraction, dtype=np.float64, copy=True)
            if lf.shape != dens.shape:
                raise GroundDataError(f"{self.source}: '{LAND_KEY}' has shape {lf.shape}, "
                                      f"expected {dens.shape} like '{DENSITY_KEY}'")
            self._check_values(lf, LAND_KEY, lo=0.0, hi=1.0)
            lf.setflags(write=False)
            self.land_fraction_grid = lf

        self.distance_grid_km = None
        if distance_to_land_km is not None:
            dist = np.array(distance_to_land_km, dtype=np.float64, copy=True)
            want = (self.n_lat + 1, self.n_lon + 1)
            if dist.shape != want:
                raise GroundDataError(f"{self.source}: '{DISTANCE_KEY}' has shape {dist.shape}, "
                                      f"expected {want} (one value per cell corner)")
            self._check_values(dist, DISTANCE_KEY, lo=0.0)
            if not np.array_equal(dist[:, 0], dist[:, -1]):
                raise GroundDataError(f"{self.source}: '{DISTANCE_KEY}' column {self.n_lon} "
                                      f"(lon +180) must repeat column 0 (lon -180)")
            dist.setflags(write=False)
            self.distance_grid_km = dist

        self.metadata = dict(metadata or {})
        lat_edges = np.linspace(-90.0, 90.0, self.n_lat + 1)
        band = np.sin(np.radians(lat_edges[1:])) - np.sin(np.radians(lat_edges[:-1]))
        #: Area of one cell in each row, km², shape (n_lat,) (exact on the sphere).
        self.cell_area_km2 = (MEAN_EARTH_RADIUS_KM ** 2 * np.radians(self.dlon_deg)) * band
        self.cell_area_km2.setflags(write=False)

    def _check_values(self, a, key, lo=None, hi=None):
        bad = ~np.isfinite(a)
        if lo is not None:
            bad |= a < lo
        if hi is not None:
            bad |= a > hi
        if bad.any():
            i, j = np.unravel_index(int(np.flatnonzero(bad)[0]), a.shape)
            allowed = "finite" + (f", >= {lo}" if lo is not None else "") + (
                f", <= {hi}" if hi is not None else "")
            raise GroundDataError(f"{self.source}: '{key}'[{i}, {j}] = {float(a[i, j])!r} "
                                  f"({int(bad.sum())} bad value(s)); allowed: {allowed}")

    # ------------------------------------------------------------------ construction
    @classmethod
    def load(cls, path, **kwargs):
        """Load a grid file: ``.npz`` (see the module docstring) or GeoTIFF (``.tif``/``.tiff``).

        Keyword arguments go to :meth:`from_geotiff` for a GeoTIFF.
        """
        path = Path(path)
        if path.suffix.lower() in (".tif", ".tiff"):
            return cls.from_geotiff(path, **kwargs)
        if kwargs:
            raise TypeError(f"unexpected arguments for a .npz grid: {sorted(kwargs)}")
        return cls.from_npz(path)

    @classmethod
    def from_npz(cls, path):
        """Load a grid ``.npz``; a corrupt or inconsistent file raises
        :class:`GroundDataError` naming it (and the array at fault)."""
        path = Path(path)
        try:
            z = np.load(path, allow_pickle=False, mmap_mode="r")   # a .npy is not read
        except FileNotFoundError:
            raise
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise GroundDataError(f"{path}: not a readable .npz file "
                                  f"({type(exc).__name__}: {exc})") from exc
        if not isinstance(z, np.lib.npyio.NpzFile):
            raise GroundDataError(f"{path}: a single .npy array, not a .npz archive with the "
                                  f"keys {list(_KNOWN_KEYS)}")
        with z:
            keys = list(z.files)
            if DENSITY_KEY not in keys:
                raise GroundDataError(f"{path}: missing array '{DENSITY_KEY}' "
                                      f"(found {shown(keys)}; expected keys: "
                                      f"{list(_KNOWN_KEYS)})")
            unknown = sorted(set(keys) - set(_KNOWN_KEYS))
            if unknown:
                raise GroundDataError(f"{path}: unknown array(s) {shown(unknown)}; "
                                      f"expected keys: {list(_KNOWN_KEYS)}"
                                      + did_you_mean(unknown[0], _KNOWN_KEYS))
            arrays = {}
            for k in keys:
                _check_header(path, z, k)
                try:
                    arrays[k] = z[k]
                except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
                    raise GroundDataError(f"{path}: array '{k}' is corrupt "
                                          f"({type(exc).__name__}: {exc})") from exc
        meta = {}
        if METADATA_KEY in arrays:
            m = arrays[METADATA_KEY]
            try:
                if m.shape != () or m.dtype.kind != "U":
                    raise TypeError(f"expected a 0-d string array, got {m.dtype} {m.shape}")
                meta = json.loads(str(m))
                if not isinstance(meta, dict):
                    raise TypeError("the JSON is not an object")
            except (TypeError, json.JSONDecodeError) as exc:
                raise GroundDataError(f"{path}: '{METADATA_KEY}' is not a JSON object "
                                      f"({exc})") from exc
        return cls(arrays[DENSITY_KEY], arrays.get(LAND_KEY), arrays.get(DISTANCE_KEY),
                   metadata=meta, source=str(path))

    @classmethod
    def from_geotiff(cls, path, *, quantity="count"):
        """Read a north-up geographic GeoTIFF (e.g. GPW v4) into a global grid. Needs ``rasterio``.

        Parameters
        ----------
        path : path-like
            Single-band raster in geographic coordinates (EPSG:4326 or no CRS), north-up,
            whose pixel size divides 180° and 360° evenly and whose pixels line up with a
            global grid starting at (-90°, -180°). Rows or columns it does not cover are set to
            0 people (GPW v4, for instance, stops short of Antarctica); this is recorded in
            :attr:`metadata` under ``"padded_rows"``.
        quantity : {"count", "density_per_km2"}
            ``"count"``: people per pixel (GPW's *population count*; converted here to people
            per km² of cell area). ``"density_per_km2"``: already people per km² **of cell
            area**. Note that GPW's *population density* product is per km² of *land* area;
            use its count product instead.

        No-data pixels are 0 people. The result has no land fraction and no distance field.
        """
        path = Path(path)
        if quantity not in ("count", "density_per_km2"):
            raise ValueError(f"quantity = {quantity!r}; allowed: 'count', 'density_per_km2'")
        try:
            import rasterio
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                f"{path}: reading a GeoTIFF needs the optional package 'rasterio' "
                f"(pip install rasterio), or convert the raster to a .npz with the keys "
                f"{list(_KNOWN_KEYS)[:2]} and load that") from exc
        try:
            with rasterio.open(path) as ds:
                if ds.count < 1:
                    raise GroundDataError(f"{path}: the raster has no band")
                if ds.crs is not None and not ds.crs.is_geographic:
                    raise GroundDataError(f"{path}: CRS {ds.crs} is projected; a geographic "
                                          f"(lat/lon, EPSG:4326) raster is required")
                t = ds.transform
                data = ds.read(1, masked=True)
                width, height = ds.width, ds.height
        except rasterio.errors.RasterioError as exc:
            raise GroundDataError(f"{path}: not a readable GeoTIFF ({exc})") from exc
        if t.b != 0 or t.d != 0 or t.a <= 0 or t.e >= 0:
            raise GroundDataError(f"{path}: the raster must be north-up without rotation "
                                  f"(transform {tuple(t)[:6]})")
        dlon, dlat = t.a, -t.e

        def whole(x, what):
            if not (x > 0 and abs(x - round(x)) < 1e-6 * max(1.0, x)):
                raise GroundDataError(f"{path}: {what} = {x!r} is not a whole number: the "
                                      "pixels do not line up with a global grid")
            return int(round(x))

        n_lon = whole(360.0 / dlon, "360 / pixel width")
        n_lat = whole(180.0 / dlat, "180 / pixel height")
        j0 = whole((t.c + 180.0) / dlon + 1.0, "column offset from -180 deg (+1)") - 1
        top = whole((90.0 - t.f) / dlat + 1.0, "row offset from +90 deg (+1)") - 1
        if top + height > n_lat or width > n_lon:
            raise GroundDataError(f"{path}: the raster ({height} x {width}) extends beyond "
                                  "the globe")
        values = np.ma.filled(data.astype(np.float64), 0.0)
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            i, j = np.unravel_index(int(np.flatnonzero(bad)[0]), values.shape)
            raise GroundDataError(f"{path}: pixel (row {i}, column {j}) = "
                                  f"{float(values[i, j])!r} is negative or not finite and "
                                  "not flagged as no-data")
        north_up = np.zeros((n_lat, n_lon))
        cols = (j0 + np.arange(width)) % n_lon
        north_up[top:top + height][:, cols] = values
        grid = north_up[::-1]
        meta = {"source": str(path), "quantity": quantity, "padded_rows":
                int(n_lat - height), "format": "GeoTIFF via rasterio"}
        if quantity == "count":
            lat_edges = np.linspace(-90.0, 90.0, n_lat + 1)
            area = (MEAN_EARTH_RADIUS_KM ** 2 * np.radians(360.0 / n_lon)) * (
                np.sin(np.radians(lat_edges[1:])) - np.sin(np.radians(lat_edges[:-1])))
            grid = grid / area[:, None]
        return cls(grid, metadata=meta, source=str(path))

    @classmethod
    def uniform(cls, density_per_km2, *, cell_deg=1.0, land_fraction=1.0):
        """Synthetic grid: the same density (people/km²) and land fraction everywhere.

        No distance field. For tests with an analytic answer: Ec = Σ A_c · density.
        """
        n_lat, n_lon = _check_cell_deg(cell_deg)
        return cls(np.full((n_lat, n_lon), float(density_per_km2)),
                   np.full((n_lat, n_lon), float(land_fraction)),
                   metadata={"synthetic": "uniform", "density_per_km2": float(density_per_km2)},
                   source=f"<uniform {density_per_km2} /km2, {cell_deg} deg>")

    @classmethod
    def band(cls, lat_min_deg, lat_max_deg, density_per_km2, *, cell_deg=1.0):
        """Synthetic grid: ``density_per_km2`` (and land) between two latitudes, 0 elsewhere.

        Both latitudes must lie on cell edges (multiples of ``cell_deg`` from -90) so that the
        band is exactly the populated rows. No distance field.
        """
        n_lat, n_lon = _check_cell_deg(cell_deg)
        lo, hi = float(lat_min_deg), float(lat_max_deg)
        edges = []
        for name, x in (("lat_min_deg", lo), ("lat_max_deg", hi)):
            k = (x + 90.0) / float(cell_deg)
            if not (-90.0 <= x <= 90.0 and abs(k - round(k)) < 1e-9):
                raise ValueError(f"{name} = {x!r}: must be in [-90, 90] and on a cell edge "
                                 f"(a multiple of cell_deg = {cell_deg} from -90)")
            edges.append(int(round(k)))
        if edges[1] <= edges[0]:
            raise ValueError(f"lat_max_deg ({hi}) must exceed lat_min_deg ({lo})")
        populated = np.zeros((n_lat, n_lon))
        populated[edges[0]:edges[1]] = 1.0
        return cls(populated * float(density_per_km2), populated,
                   metadata={"synthetic": "band", "lat_min_deg": lo, "lat_max_deg": hi,
                             "density_per_km2": float(density_per_km2)},
                   source=f"<band {lo}..{hi} deg, {density_per_km2} /km2, {cell_deg} deg>")

    # ------------------------------------------------------------------ lookups
    def _cell_index(self, lat_deg, lon_deg):
        lat, lon = as_lat_lon(lat_deg, lon_deg, what=f"{self.source}: lookup")
        i = np.clip(np.floor((lat + 90.0) / self.dlat_deg).astype(np.intp), 0, self.n_lat - 1)
        j = np.floor(np.mod(lon + 180.0, 360.0) / self.dlon_deg).astype(np.intp)
        return i, np.clip(j, 0, self.n_lon - 1)

    def density_per_km2(self, lat_deg, lon_deg):
        """People per km² of cell area in the cell holding each point (degrees); broadcasts."""
        i, j = self._cell_index(lat_deg, lon_deg)
        return self.density_grid[i, j]

    def land_fraction(self, lat_deg, lon_deg):
        """Land fraction (0..1) of the cell holding each point; ValueError if the grid has none."""
        if self.land_fraction_grid is None:
            raise ValueError(f"{self.source}: this grid has no '{LAND_KEY}'; use a grid that "
                             f"has one (the packaged grid does) for land tests")
        i, j = self._cell_index(lat_deg, lon_deg)
        return self.land_fraction_grid[i, j]

    def is_land(self, lat_deg, lon_deg):
        """True where the cell holding the point is at least half land (:data:`LAND_THRESHOLD`)."""
        return self.land_fraction(lat_deg, lon_deg) >= LAND_THRESHOLD

    def distance_to_land_km(self, lat_deg, lon_deg):
        """Great-circle distance, km, to the nearest land (0 on land), bilinear between corners.

        The distance function is 1-Lipschitz, so interpolating it between cell corners errs
        by at most half a cell diagonal right at a coast (~14 km on the 0.25° grid at the
        equator) and by far less in open ocean, where it is smooth.
        """
        if self.distance_grid_km is None:
            raise ValueError(f"{self.source}: this grid has no '{DISTANCE_KEY}' field; use "
                             f"the packaged grid for distances to land")
        lat, lon = as_lat_lon(lat_deg, lon_deg, what=f"{self.source}: distance lookup")
        fi = (lat + 90.0) / self.dlat_deg
        fj = np.mod(lon + 180.0, 360.0) / self.dlon_deg
        i0 = np.clip(np.floor(fi).astype(np.intp), 0, self.n_lat - 1)
        j0 = np.clip(np.floor(fj).astype(np.intp), 0, self.n_lon - 1)
        ti, tj = fi - i0, fj - j0
        d = self.distance_grid_km
        return ((1 - ti) * ((1 - tj) * d[i0, j0] + tj * d[i0, j0 + 1])
                + ti * ((1 - tj) * d[i0 + 1, j0] + tj * d[i0 + 1, j0 + 1]))

    # ------------------------------------------------------------------ summaries
    @property
    def lat_edges_deg(self):
        """Cell edges in latitude, degrees, shape (n_lat + 1,), south to north."""
        return np.linspace(-90.0, 90.0, self.n_lat + 1)

    @property
    def lon_edges_deg(self):
        """Cell edges in longitude, degrees, shape (n_lon + 1,), from -180 to 180."""
        return np.linspace(-180.0, 180.0, self.n_lon + 1)

    def total_population(self):
        """Σ density × cell area: the number of people the grid holds."""
        return float(np.sum(self.density_grid.sum(axis=1) * self.cell_area_km2))

    def land_area_fraction(self):
        """Land area / Earth's area (area-weighted mean land fraction); needs a land fraction."""
        if self.land_fraction_grid is None:
            raise ValueError(f"{self.source}: this grid has no '{LAND_KEY}'")
        return float(np.sum(self.land_fraction_grid.sum(axis=1) * self.cell_area_km2)
                     / (4.0 * np.pi * MEAN_EARTH_RADIUS_KM ** 2))

    def save(self, path):
        """Write the grid as a ``.npz`` that :meth:`load` reads back (deterministic bytes)."""
        arrays = {DENSITY_KEY: self.density_grid.astype(np.float32)}
        if self.land_fraction_grid is not None:
            arrays[LAND_KEY] = self.land_fraction_grid.astype(np.float32)
        if self.distance_grid_km is not None:
            arrays[DISTANCE_KEY] = self.distance_grid_km.astype(np.float32)
        arrays[METADATA_KEY] = np.array(json.dumps(self.metadata, sort_keys=True))
        write_npz(path, arrays)

    def __repr__(self):
        return (f"PopulationGrid({self.n_lat} x {self.n_lon} cells of {self.dlat_deg:g} x "
                f"{self.dlon_deg:g} deg, source={self.source!r})")


def _check_header(path, npz, key):
    """Refuse the array ``key`` of an open ``.npz`` if its ``.npy`` header claims a dtype or
    a size no grid has, before numpy allocates it.

    Parameters
    ----------
    path : Path
        The file, for the message.
    npz : numpy.lib.npyio.NpzFile
        The open archive.
    key : str
        One of its arrays (:data:`_KNOWN_KEYS`).

    Raises
    ------
    GroundDataError
        Naming the file, the array and the header's shape or dtype, and what is allowed.
    """
    fmt = np.lib.format
    try:
        # the member NpzFile reads for ``key``: the exact name first, then with ".npy"
        with npz.zip.open(key if key in npz.zip.namelist() else f"{key}.npy") as f:
            version = fmt.read_magic(f)
            if version not in ((1, 0), (2, 0)):
                raise ValueError(f".npy format version {version}; allowed 1.0 or 2.0")
            read = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
            shape, _, dtype = read(f)
    except (OSError, ValueError, SyntaxError, tokenize.TokenError, EOFError,
            zipfile.BadZipFile, zlib.error) as exc:   # numpy parses the header as Python
        raise GroundDataError(f"{path}: array '{key}' is corrupt "
                              f"({type(exc).__name__}: {shown(str(exc))})") from exc
    where = f"{path}: '{key}' header: shape {shown(shape)}, dtype {dtype}"
    size = math.prod(shape)
    if key == METADATA_KEY:
        if size * dtype.itemsize > MAX_METADATA_BYTES:
            raise GroundDataError(f"{where}; allowed a string of at most "
                                  f"{MAX_METADATA_BYTES} bytes")
    elif dtype.kind not in "fiu":
        raise GroundDataError(f"{where}; allowed a numeric array (float or integer)")
    elif size > MAX_GRID_VALUES:
        raise GroundDataError(f"{where}; allowed at most {MAX_GRID_VALUES} values (a 2.5 "
                              "arc-minute grid, 4320 x 8640 cells)")


def write_npz(path, arrays):
    """Write ``arrays`` (name -> ndarray) as a deflate-compressed ``.npz`` with fixed timestamps.

    Unlike :func:`numpy.savez_compressed` the bytes depend only on the arrays, so a regenerated
    data file has the same sha256.
    """
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asanyarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue(), compresslevel=9)
    tmp.replace(path)


def packaged_grid_path():
    """Path of the packaged grid file ``deorbit/data/ground_grid.npz``."""
    return data_path(PACKAGED_GRID_NAME)


@functools.lru_cache(maxsize=1)
def packaged_grid():
    """The packaged 0.25° grid (loaded once, then cached; arrays are read-only)."""
    return PopulationGrid.from_npz(packaged_grid_path())


def load_grid(path=None, **kwargs):
    """The packaged grid (``path=None``) or a user grid file (``.npz`` or GeoTIFF)."""
    if path is None:
        return packaged_grid()
    return PopulationGrid.load(path, **kwargs)


def _grid(grid):
    return packaged_grid() if grid is None else grid


def density_per_km2(lat_deg, lon_deg, grid=None):
    """People per km² of cell area at each point (degrees); packaged grid by default."""
    return _grid(grid).density_per_km2(lat_deg, lon_deg)


def land_fraction(lat_deg, lon_deg, grid=None):
    """Land fraction of the cell holding each point (degrees); packaged grid by default."""
    return _grid(grid).land_fraction(lat_deg, lon_deg)


def is_land(lat_deg, lon_deg, grid=None):
    """True where the cell holding the point is at least half land; packaged grid by default."""
    return _grid(grid).is_land(lat_deg, lon_deg)
