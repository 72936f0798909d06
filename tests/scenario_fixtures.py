"""Small scenario files for engine and runner tests (ISS-F200 density table, short runs)."""
import json

from deorbit._toml import dumps

SCENARIO = '''
name = "{name}"
title = "test scenario"
[start]
epoch_utc = {{ dist = "uniform", low = "2030-01-01", high = "2030-02-01" }}
horizon_years = {horizon}
[vehicle]
ballistic_coefficient_kg_m2 = {{ dist = "lognormal", median = {bc}, sigma = 0.3 }}
mass_kg = 420000.0
[orbit]
mean_altitude_km = {{ dist = "uniform", low = {alt_low}, high = {alt_high} }}
inclination_deg = 51.64
[solar]
model = "constant"
f107_sfu = 200.0
f107a_sfu = 200.0
ap = 15.0
[atmosphere]
model = "table"
path = "f200.json"
density_scale = {{ dist = "lognormal", median = 1.0, sigma = 0.15 }}
[breakup]
altitude_km = {{ dist = "uniform", low = 75.0, high = 80.0 }}
surviving_mass_fraction = {{ dist = "uniform", low = 0.1, high = 0.4 }}
[monte_carlo]
samples = {samples}
block_size = {block}
seed = 7
{extra}
'''


DEORBIT = '''
[operations.deorbit_vehicle]
ready_utc = "2030-01-01"
min_altitude_km = 221.0
start_lowering_altitude_km = 220.0
lowering_burns = 2
lowering_burn_dv_m_s = 4.0
burn_spacing_h = 12.0
final_burn_dv_m_s = 55.0
final_window_h = 24.0
failure_probability = {p_fail}
dv_error_frac = {dv_err}
pointing_error_deg = {point_err}
timing_error_s = {time_err}
'''


def write_table(tmp_path, f200, profile=None):
    """The F200 table (or one of its other profiles) as a DensityTable JSON in tmp_path."""
    if profile is None:
        data = {"alt_km": f200["density"]["alt_km"], "rho_kg_m3": f200["density"]["rho_kg_m3"]}
    else:
        p = f200["other_profiles_same_method"][profile]
        data = {"alt_km": p["alt_km"], "rho_kg_m3": p["rho"]}
    path = tmp_path / "f200.json"
    path.write_text(json.dumps(data))
    return path


def write_scenario(tmp_path, f200, name="t", horizon=0.1, bc=60.0, samples=40, block=8,
                   extra="", profile=None):
    """Write the F200 table and a scenario file into tmp_path; return the scenario path."""
    table = tmp_path / "f200.json"
    if not table.exists():
        write_table(tmp_path, f200, profile)
    path = tmp_path / f"{name}.toml"
    alt = (240.0, 250.0) if "deorbit_vehicle" in extra else (200.0, 260.0)
    path.write_text(SCENARIO.format(name=name, horizon=horizon, bc=bc, samples=samples,
                                    block=block, extra=extra, alt_low=alt[0], alt_high=alt[1]))
    return path


def toml_text(data):
    """TOML text of a dict, for the fuzz tests (:func:`deorbit._toml.dumps`; None as the
    string "__none__", which TOML has no value for)."""

    def marked(v):
        if v is None:
            return "__none__"
        if isinstance(v, dict):
            return {k: marked(x) for k, x in v.items()}
        if isinstance(v, list):
            return [marked(x) for x in v]
        return v

    return dumps(marked(data))
