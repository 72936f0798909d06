"""Small scenario files for engine and runner tests (ISS-F200 density table, short runs)."""
import json

SCENARIO = '''
name = "{name}"
title = "test scenario"
[start]
epoch_utc = {{ dist = "uniform", low = "2030-01-01", high = "2030-02-01" }}
horizon_years = {horizon}
[vehicle]
ballistic_coefficient_kg_m2 = {{ dist = "lognormal", median = {bc}, sigma = 0.3 }}
[orbit]
mean_altitude_km = {{ dist = "uniform", low = 200.0, high = 260.0 }}
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
[monte_carlo]
samples = {samples}
block_size = {block}
seed = 7
{extra}
'''


def write_scenario(tmp_path, f200, name="t", horizon=0.1, bc=60.0, samples=40, block=8,
                   extra=""):
    """Write the F200 table and a scenario file into tmp_path; return the scenario path."""
    table = tmp_path / "f200.json"
    if not table.exists():
        table.write_text(json.dumps({"alt_km": f200["density"]["alt_km"],
                                     "rho_kg_m3": f200["density"]["rho_kg_m3"]}))
    path = tmp_path / f"{name}.toml"
    path.write_text(SCENARIO.format(name=name, horizon=horizon, bc=bc, samples=samples,
                                    block=block, extra=extra))
    return path
