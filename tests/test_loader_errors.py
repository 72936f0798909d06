"""Loader and kernel-input errors found by fuzzing: each is the project's own error class,
names the key path (scenarios) or the file and line (data files), and quotes values cut to a
readable length."""
import io
import re
import zipfile
from importlib import resources

import numpy as np
import pytest

from deorbit.fragments import FragmentFileError, load_fragment_model
from deorbit.ground import GroundDataError, load_grid, load_zone
from deorbit.kernel import circular_state, propagate
from deorbit.scenario import ScenarioError, load_scenario, parse_scenario
from deorbit.spaceweather import SpaceWeatherError, load_space_weather

FRAGMENT_HEADER = "name,count,mass_kg,area_m2,bc_median_kg_m2,bc_sigma_ln\n"


@pytest.fixture(scope="module")
def iss():
    """The built-in iss-2030 scenario's text (stochastic solar model, NRLMSISE-00 table)."""
    return (resources.files("deorbit") / "scenarios" / "iss-2030.toml").read_text()


def _error(text, tmp_path=None):
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "s.toml", base_dir=tmp_path)
    return info.value


def _edit(text, old, new):
    assert old in text
    return text.replace(old, new, 1)


MASS = 'mass_kg = { dist = "uniform", low = 435000.0, high = 475000.0 }'


@pytest.mark.parametrize("value", ["100000000000000000000000000000", "1" + "0" * 400,
                                   "-" + "9" * 400])
@pytest.mark.parametrize("where", ["plain", "distribution"])
def test_integers_beyond_float_range_are_scenario_errors(iss, value, where):
    new = (f"mass_kg = {value}" if where == "plain" else
           f'mass_kg = {{ dist = "uniform", low = 1.0, high = {value} }}')
    exc = _error(_edit(iss, MASS, new))
    assert exc.path.startswith("vehicle.mass_kg")
    assert re.search(r"draws must lie in \(0, 1e\+07\]|expected a finite number|"
                     "must be greater than low", exc.allowed)


@pytest.mark.parametrize("value", ["[1]", "{a = 1}", "2020-01-01", "inf", "nan", "-inf",
                                   '"162"', "1" + "0" * 400])
@pytest.mark.parametrize("key", ["block_days", "n_particles", "analog_k", "likelihood_power"])
def test_wrong_types_of_solar_settings_are_scenario_errors(iss, key, value):
    exc = _error(_edit(iss, 'model = "stochastic"', f'model = "stochastic"\n{key} = {value}'))
    assert exc.path == f"solar.{key}"
    assert "allowed" in exc.allowed


@pytest.mark.parametrize("dist", ["{ x = 1 }", '["uniform"]', "2020-01-01", "1.5"])
def test_unhashable_or_non_string_dist_is_a_scenario_error(iss, dist):
    exc = _error(_edit(iss, 'dist = "uniform", low = 435000.0', f"dist = {dist}, low = 435000.0"))
    assert exc.path == "vehicle.mass_kg.dist"
    assert "allowed fixed, uniform" in exc.allowed


def test_misspelt_required_key_names_both_keys(iss):
    exc = _error(_edit(iss, "mass_kg =", "mass_kgg ="))
    assert str(exc) == ("s.toml: vehicle.mass_kg is required; unknown key vehicle.mass_kgg "
                        "(did you mean mass_kg?)")


def test_unknown_key_suggests_the_allowed_one(iss):
    exc = _error(_edit(iss, "seed = 20261125", "seed = 20261125\nblok_size = 3"))
    assert exc.path == "monte_carlo.blok_size"
    assert "(did you mean block_size?)" in str(exc)


def test_space_weather_errors_name_the_key_and_line_1_of_an_empty_file(iss, tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    text = _edit(iss, 'model = "stochastic"',
                 'model = "stochastic"\nspace_weather_file = "empty.txt"')
    exc = _error(text, tmp_path)
    assert exc.path == "solar.space_weather_file" and exc.value == "empty.txt"
    assert "empty.txt line 1: the file is empty" in str(exc)
    with pytest.raises(SpaceWeatherError, match=r"empty.txt line 1: the file is empty"):
        load_space_weather(tmp_path / "empty.txt")


def test_non_utf8_fragment_file_names_file_and_line(iss, tmp_path):
    p = tmp_path / "frag.csv"
    p.write_bytes(FRAGMENT_HEADER.encode() + b"a,1,2,3,4,0.1\nb\xff,1,2,3,4,0.1\n")
    with pytest.raises(FragmentFileError, match=rf"{re.escape(str(p))}:3: not UTF-8 text: "
                       "byte 0xff at column 2"):
        load_fragment_model(p)
    exc = _error(_edit(iss, 'fragments = "iss-default"', 'fragments = "frag.csv"'), tmp_path)
    assert exc.path == "breakup.fragments" and f"{p}:3" in str(exc)


def test_huge_csv_field_names_file_and_line(tmp_path):
    p = tmp_path / "frag.csv"
    p.write_text(FRAGMENT_HEADER + '"' + "x" * 131073 + '",1,2,3,4,0.1\n')
    with pytest.raises(FragmentFileError) as info:
        load_fragment_model(p)
    assert str(info.value).startswith(f"{p}:2: ")
    assert len(str(info.value)) < 400


def _npz_claiming(path, shape, dtype="<f8"):
    """An .npz whose population array's header claims ``shape`` but holds 8 bytes."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": dtype, "fortran_order": False,
                                               "shape": shape})
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("population_density_per_km2.npy", buf.getvalue() + bytes(8))
    return path


def test_grid_header_claiming_a_huge_array_is_refused_before_allocating(tmp_path):
    p = _npz_claiming(tmp_path / "huge.npz", (10**6, 10**6))
    with pytest.raises(GroundDataError) as info:
        load_grid(str(p))
    message = str(info.value)
    assert message.startswith(f"{p}: 'population_density_per_km2' header: shape "
                              "(1000000, 1000000)")
    assert "allowed" in message


def test_grid_header_with_an_object_dtype_is_refused(tmp_path):
    p = _npz_claiming(tmp_path / "obj.npz", (2, 4), dtype="|O")
    with pytest.raises(GroundDataError, match=r"obj.npz: 'population_density_per_km2' header"):
        load_grid(str(p))


@pytest.mark.parametrize("header", [b"{'descr': '<f8', 'fortran_order': False, 'shape': (2",
                                    b"\x00\xff(", b"{'descr': 'zz', 'shape': (2, 4), }"])
def test_grid_header_that_is_not_a_header_is_corrupt(tmp_path, header):
    """numpy reads a .npy header as Python literals: a cut or garbled one is no crash."""
    p = tmp_path / "bad.npz"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("population_density_per_km2.npy", b"\x93NUMPY\x01\x00"
                    + len(header).to_bytes(2, "little") + header)
    with pytest.raises(GroundDataError, match=r"bad.npz: array 'population_density_per_km2' "
                                              "is corrupt"):
        load_grid(str(p))


def test_scenario_with_a_byte_order_mark_parses(iss, tmp_path):
    plain = parse_scenario(iss, "s.toml")
    p = tmp_path / "bom.toml"
    p.write_bytes(b"\xef\xbb\xbf" + iss.encode())
    with_bom = load_scenario(p)
    assert with_bom.vehicle == plain.vehicle and with_bom.solar == plain.solar
    assert parse_scenario("\ufeff" + iss, "s.toml").orbit == plain.orbit


def test_invalid_utf8_scenario_file_names_the_line(iss, tmp_path):
    p = tmp_path / "bad.toml"
    p.write_bytes(iss.encode().replace(b"[orbit]", b"[orb\xc3it]"))
    line = iss[:iss.index("[orbit]")].count("\n") + 1
    with pytest.raises(ScenarioError, match=rf"^bad.toml: line {line}: not UTF-8 text"):
        load_scenario(p)


HUGE = "x" * 10**6


@pytest.mark.parametrize("edit", [
    ('name = "iss-2030"', f'name = "{HUGE}"'),
    ('title = "ISS', f'title = ["{HUGE}"]\ntitel = "ISS'),
    (MASS, f'mass_kg = {{ dist = "uniform", low = "{HUGE}", high = 2.0 }}'),
    ("seed = 20261125", f'seed = "{HUGE}"'),
])
def test_scenario_errors_cut_huge_values(iss, edit):
    exc = _error(_edit(iss, *edit))
    assert len(str(exc)) < 300
    assert re.search(r"\.\.\. \(100000\d characters\)", str(exc))


def test_data_file_errors_cut_huge_lines(tmp_path):
    zone = tmp_path / "zone.csv"
    zone.write_text("lat_deg,lon_deg\n-40,-150\n" + HUGE + "\n")
    frag = tmp_path / "frag.csv"
    frag.write_text(FRAGMENT_HEADER + "a,1," + HUGE + ",3,4,0.1\n")
    sw = tmp_path / "sw.txt"
    sw.write_text(HUGE + "\n")
    for load, path in ((load_zone, zone), (load_fragment_model, frag),
                       (load_space_weather, sw)):
        with pytest.raises(ValueError) as info:
            load(path)
        assert len(str(info.value)) < 400
        assert re.search(r"\.\.\. \(10000\d\d characters\)", str(info.value))


@pytest.mark.parametrize("position", [[0.0, 0.0, 0.0], [1.0, -2.0, 3.0], [3e6, 0.0, 0.0]])
@pytest.mark.parametrize("altitude", ["ellipsoid", "sphere"])
def test_state_near_the_earths_centre_is_refused(f200, position, altitude):
    with pytest.raises(ValueError, match=r"state_eci\[1\]: radius .* km; allowed a radius "
                                         r">= 3189\.\d+ km"):
        propagate(0.0, np.array([circular_state(400.0, 51.6), [*position, 0.0, 7.5e3, 0.0]]),
                  100.0, f200["table"], 1.0, altitude=altitude)
