"""Scenarios that start from tracking data: ``orbit.file`` and ``orbit.state``."""
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deorbit.engine import Outcome, run_block
from deorbit.frames import to_kernel_frame
from deorbit.scenario import ScenarioError, parse_scenario
from deorbit.tracking import iss_arc_2022, read_tracking
from deorbit.tracking.fit import rtn_components_m

DATA = Path(__file__).parent / "data" / "tracking"

REST = """
[vehicle]
ballistic_coefficient_kg_m2 = 120.0
mass_kg = 450000.0
[solar]
model = "constant"
f107_sfu = 150.0
f107a_sfu = 150.0
ap = 12.0
[atmosphere]
model = "msis"
[breakup]
altitude_km = 78.0
surviving_mass_fraction = 0.2
[monte_carlo]
samples = 40
block_size = 40
seed = 3
"""


def _scenario(orbit, start="[start]\nhorizon_years = 5\n", base_dir=DATA):
    text = f'name = "t"\ntitle = "t"\n{start}[orbit]\n{orbit}\n{REST}'
    return parse_scenario(text, "t.toml", base_dir)


def test_orbit_file_takes_the_epoch_and_state_of_the_data():
    """The packaged ISS TLE series: the last set's epoch is the start epoch, SGP4's TEME
    state (the kernel frame) the start, the osculating elements fill the planning fields;
    the file's path is a data file of the scenario (its hash guards --resume)."""
    s = _scenario('file = "iss-tle-2026-05"')
    series = read_tracking(s.orbit.file)
    assert s.start.epoch_utc.p["value"] == series.epoch_utc_days[-1]
    np.testing.assert_array_equal(s.orbit.initial.state_m, series.state_teme_m[-1])
    assert not s.orbit.initial.dispersion_m.any()
    assert 51.5 < s.orbit.inclination_deg.p["value"] < 51.8
    assert 400.0 < s.orbit.mean_altitude_km.p["value"] < 440.0
    assert s.data_files()["orbit.file"] == s.orbit.file
    first = _scenario('file = "iss-tle-2026-05"\nuse = "first"')
    assert first.start.epoch_utc.p["value"] == series.epoch_utc_days[0]


def test_orbit_file_scenario_runs_and_comes_down():
    """A block flies from the data's state: the ISS of May 2026 left to decay under constant
    F10.7 150 comes down within the horizon, every sample, and the dispersion (RTN sigmas)
    spreads the lifetimes."""
    s = _scenario('file = "iss-tle-2026-05"\nsigma_rtn_m = [200.0, 2000.0, 200.0]\n'
                  'sigma_rtn_m_s = [2.0, 0.5, 0.5]')
    out = run_block(s, 0)
    assert np.all(out["outcome"] == Outcome.UNCONTROLLED_NATURAL)
    life = out["lifetime_days"]
    assert np.all((life > 100.0) & (life < 5 * 365.25))
    assert np.ptp(life) > 0.0
    assert np.isclose(out["start.epoch_utc"], s.start.epoch_utc.p["value"]).all()


def test_rtn_dispersion_has_the_given_sigmas():
    """Dispersed states deviate from the nominal one with the RTN 1-sigmas given (20,000
    draws: within 3 %), uncorrelated between position and velocity."""
    s = _scenario('file = "iss-tle-2026-05"\nsigma_rtn_m = [100.0, 1000.0, 50.0]\n'
                  'sigma_rtn_m_s = [0.5, 0.1, 0.2]')
    init = s.orbit.initial
    z = np.random.default_rng(0).standard_normal((20000, 6))
    states = init.states(z)
    pos = rtn_components_m(np.tile(init.state_m, (z.shape[0], 1)), states[:, :3])
    np.testing.assert_allclose(pos.std(axis=0), [100.0, 1000.0, 50.0], rtol=0.03)
    basis = np.stack([rtn_components_m(init.state_m[None, :], init.state_m[None, :3] + e)[0]
                      for e in np.eye(3)])  # kernel axes -> RTN components
    vel = (states[:, 3:] - init.state_m[3:]) @ basis
    np.testing.assert_allclose(vel.std(axis=0), [0.5, 0.1, 0.2], rtol=0.03)


def test_oem_covariance_is_used():
    """An OEM with a covariance (in RTN) at its first state: L L^T is that covariance
    turned into the kernel frame."""
    s = _scenario('file = "iss_short.oem"\nuse = "first"\ncovariance = true')
    init = s.orbit.initial
    eph = read_tracking(DATA / "iss_short.oem")[0]
    cov_rtn = eph.covariance_m_s[0]
    low = init.dispersion_m
    assert np.allclose(low, np.tril(low))
    basis = np.stack([rtn_components_m(init.state_m[None, :], init.state_m[None, :3] + e)[0]
                      for e in np.eye(3)])
    rot = np.zeros((6, 6))
    rot[:3, :3] = rot[3:, 3:] = basis.T  # rows: the radial, in-track, cross-track axes
    np.testing.assert_allclose(rot @ (low @ low.T) @ rot.T, cov_rtn, rtol=1e-9,
                               atol=1e-12 * np.abs(cov_rtn).max())


def test_orbit_state_in_eme2000():
    """A state vector written in the scenario, in EME2000 (NASA's first ISS state): the
    start is its conversion into the kernel frame."""
    eph = iss_arc_2022()
    r, v = eph.state_m[0, :3] / 1e3, eph.state_m[0, 3:] / 1e3
    s = _scenario(f'state = {{ epoch_utc = "2022-02-11T12:00:00Z", frame = "EME2000", '
                  f'position_km = {r.tolist()}, velocity_km_s = {v.tolist()} }}')
    np.testing.assert_allclose(s.orbit.initial.state_m,
                               to_kernel_frame(eph.state_m[0], eph.epoch_utc_days[0],
                                               "EME2000"), rtol=0, atol=1e-6)
    assert s.start.epoch_utc.p["value"] == eph.epoch_utc_days[0]


@pytest.mark.parametrize("orbit, start, key", [
    ('file = "iss-tle-2026-05"', '[start]\nepoch_utc = "2027-01-01"\nhorizon_years = 5\n',
     "start.epoch_utc"),
    ('file = "nope.tle"', None, "orbit.file"),
    ('file = "iss-tle-2026-05"\ncovariance = true', None, "orbit.file"),
    ('file = "iss-tle-2026-05"\nuse = "middle"', None, "orbit.use"),
    ('file = "iss-tle-2026-05"\nsigma_rtn_m = [1.0, 2.0]', None, "orbit.sigma_rtn_m"),
    ('file = "iss_short.oem"\ncovariance = true\nsigma_rtn_m = [1.0, 1.0, 1.0]', None,
     "orbit.covariance"),
    ('file = "iss-tle-2026-05"\nmean_altitude_km = 400.0', None, "orbit.mean_altitude_km"),
    ('state = { epoch_utc = "2022-02-11T12:00:00Z", frame = "MARS", '
     'position_km = [7000.0, 0.0, 0.0], velocity_km_s = [0.0, 7.5, 0.0] }', None,
     "orbit.state.frame"),
    ('state = { epoch_utc = "soon", frame = "TEME", position_km = [7000.0, 0.0, 0.0], '
     'velocity_km_s = [0.0, 7.5, 0.0] }', None, "orbit.state.epoch_utc"),
    ('state = { epoch_utc = "2022-02-11T12:00:00Z", frame = "TEME", position_km = [7000.0], '
     'velocity_km_s = [0.0, 7.5, 0.0] }', None, "orbit.state.position_km"),
])
def test_bad_tracking_orbits_name_their_key(orbit, start, key):
    with pytest.raises(ScenarioError) as err:
        _scenario(orbit, **({} if start is None else {"start": start}))
    assert key in str(err.value)
    assert "Traceback" not in str(err.value)


_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=True),
    st.text(max_size=20), st.sampled_from(["iss-tle-2026-05", "iss_short.oem", "mario.tle",
                                           "godzilla.opm", "last", "first", "TEME", "EME2000",
                                           "2022-02-11T12:00:00Z"]),
    st.lists(st.floats(-1e7, 1e7), max_size=4))
_KEYS = ["file", "use", "covariance", "sigma_rtn_m", "sigma_rtn_m_s", "state",
         "mean_altitude_km", "bogus"]
_STATE_KEYS = ["epoch_utc", "frame", "position_km", "velocity_km_s", "extra"]


def _toml(value):
    """A TOML literal of a generated value (None: the key is left out)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()
                                if v is not None) + " }"
    return "[" + ", ".join(_toml(v) for v in value) + "]"


@settings(max_examples=150, deadline=None, derandomize=True)
@given(orbit=st.dictionaries(st.sampled_from(_KEYS), _VALUES, max_size=5),
       state=st.dictionaries(st.sampled_from(_STATE_KEYS), _VALUES, max_size=5),
       with_state=st.booleans())
def test_fuzzed_tracking_orbits_give_scenario_errors(orbit, state, with_state):
    """Generated [orbit] tables of the tracking forms: either a scenario, or a ScenarioError
    naming a key path under orbit (or start.epoch_utc) — never another exception."""
    if with_state:
        orbit["state"] = state
    body = "\n".join(f"{k} = {_toml(v)}" for k, v in orbit.items() if v is not None)
    if "inf" in body or "nan" in body:
        body = body.replace("inf", "1e400").replace("nan", "0.0")
    try:
        s = _scenario(body)
    except ScenarioError as exc:
        assert "orbit" in str(exc) or "start.epoch_utc" in str(exc) or "TOML" in str(exc)
        assert len(str(exc)) < 2_000
        return
    assert s.orbit.initial is not None or s.orbit.file is None
