"""Scenario parsing: built-ins load; bad values raise ScenarioError naming the key path."""
import tomllib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deorbit import sampling
from deorbit.scenario import ScenarioError, builtin_names, load_scenario, parse_scenario

from .scenario_fixtures import toml_text, write_scenario


def test_builtin_scenarios_load():
    names = builtin_names()
    assert {"iss-uncontrolled", "smallsat-lifetime"} <= set(names)
    for name in names:
        s = load_scenario(name)
        assert s.name == name and s.sha256 and s.text


@pytest.mark.parametrize("edit, path, message", [
    (("median = 60.0", "median = -3.0"), "vehicle.ballistic_coefficient_kg_m2.median",
     "must be > 0"),
    (("horizon_years = 0.1", "horizon_years = -1"), "start.horizon_years", "allowed > 0.0"),
    (("inclination_deg = 51.64", "inclination_deg = 200"), "orbit.inclination_deg",
     r"draws must lie in \[0, 180\]"),
    (('low = "2030-01-01"', 'low = "2030-13-01"'), "start.epoch_utc.low", "ISO 8601"),
    (('model = "constant"', 'model = "psychic"'), "solar.model",
     "allowed 'stochastic', 'constant'"),
    (("samples = 40", "samples = 0"), "monte_carlo.samples", "allowed >= 1"),
    (("samples = 40", "samples = 4.5"), "monte_carlo.samples", "expected an integer"),
    (("seed = 7", "seed = 7\ncolour = 3"), "monte_carlo.colour", "unknown key; allowed here"),
    (('dist = "lognormal", median = 60.0', 'dist = "gamma", median = 60.0'),
     "vehicle.ballistic_coefficient_kg_m2.dist", "allowed fixed, uniform"),
    (("low = 200.0, high = 260.0", "low = 260.0, high = 200.0"),
     "orbit.mean_altitude_km.high", "must be greater than low"),
    (("low = 200.0, high = 260.0", "low = 100.0, high = 260.0"), "orbit.mean_altitude_km",
     r"draws must lie in \[130, 2000\]"),
    (('path = "f200.json"', 'path = "missing.json"'), "atmosphere.path", "cannot read"),
    (('path = "f200.json"', 'path = 3'), "atmosphere.path", "expected the path"),
    (('model = "table"', 'model = "msis"'), "atmosphere.path",   # a JSON profile is no
     "f200.json: not a readable .npz table"),                      # NRLMSISE-00 table
    (('[solar]', '[sun]'), "solar", "is required"),
    (('name = "t"', 'name = "t\\n"'), "name", "allowed 1-64 letters"),  # no "$" before "\n"
])
def test_bad_values_name_key_path(tmp_path, f200, edit, path, message):
    p = write_scenario(tmp_path, f200)
    text = p.read_text()
    assert edit[0] in text
    p.write_text(text.replace(edit[0], edit[1], 1))
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    assert info.value.path == path
    assert str(info.value).startswith(f"{p.name}: {path}")
    assert message in str(info.value) or __import__("re").search(message, str(info.value))


def test_not_toml(tmp_path):
    p = tmp_path / "x.toml"
    p.write_text("name = ")
    with pytest.raises(ScenarioError, match="x.toml: not valid TOML"):
        load_scenario(p)


def test_unknown_builtin():
    with pytest.raises(ScenarioError, match="not a built-in scenario"):
        load_scenario("iss-2099")


# Hypothesis: arbitrary values at arbitrary known key paths never escape as anything but a
# ScenarioError (or parse fine), and the error names a key path that exists in the document.
_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF,
                                       exclude_characters="\x7f"), max_size=12)
_values = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=True, allow_infinity=True), _text,
                    st.lists(st.integers(-5, 5), max_size=3),
                    st.dictionaries(st.sampled_from(["dist", "low", "high", "mean", "sd",
                                                     "median", "sigma", "values", "mode"]),
                                    st.one_of(st.floats(-1e3, 1e3), _text,
                                              st.sampled_from(["uniform", "normal", "choice",
                                                               "lognormal", "triangular"])),
                                    max_size=4))


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(section=st.sampled_from(["start", "vehicle", "orbit", "solar", "atmosphere",
                                "monte_carlo"]),
       key=st.sampled_from(["epoch_utc", "horizon_years", "ballistic_coefficient_kg_m2",
                            "mean_altitude_km", "inclination_deg", "model", "f107_sfu", "ap",
                            "density_scale", "samples", "seed", "block_size", "bogus"]),
       value=_values)
def test_fuzzed_values_give_scenario_errors(tmp_path, f200, section, key, value):
    base = tomllib.loads(write_scenario(tmp_path, f200).read_text())
    base[section][key] = value
    text = toml_text(base)
    try:
        parse_scenario(text, "fuzz.toml", base_dir=tmp_path)
    except ScenarioError as exc:
        assert str(exc).startswith("fuzz.toml: ")
        assert exc.path.split(".")[0] in base


def test_draws_are_reproducible_and_common_across_scenarios(tmp_path, f200):
    a = load_scenario(write_scenario(tmp_path, f200, name="a", bc=60.0))
    b = load_scenario(write_scenario(tmp_path, f200, name="b", bc=90.0))
    xa, xb = sampling.draw_block(a, 3, 8), sampling.draw_block(b, 3, 8)
    np.testing.assert_array_equal(xa["orbit.mean_altitude_km"], xb["orbit.mean_altitude_km"])
    # Same family and sigma, other median: the same normal draws (common random numbers).
    np.testing.assert_allclose(xb["vehicle.ballistic_coefficient_kg_m2"] / 90.0,
                               xa["vehicle.ballistic_coefficient_kg_m2"] / 60.0, rtol=1e-12)
    # A partial block keeps the first draws; another block differs.
    np.testing.assert_array_equal(sampling.draw_block(a, 3, 5)["orbit.raan_deg"],
                                  xa["orbit.raan_deg"][:5])
    assert not np.array_equal(sampling.draw_block(a, 4, 8)["orbit.raan_deg"],
                              xa["orbit.raan_deg"])
