"""Ground risk end to end: impact latitudes, Ec against analytic values, footprints."""
import numpy as np
import pytest

from deorbit import engine
from deorbit.atmosphere import DensityTable
from deorbit.fragments import FragmentFileError, load_fragment_model
from deorbit.ground import PopulationGrid, casualty, risk
from deorbit.kernel import Status, mean_circular_elements, propagate
from deorbit.scenario import load_scenario

from .scenario_fixtures import DEORBIT, write_scenario

INC = 51.64


def test_uncontrolled_entry_latitudes_follow_the_dwell_time_density(f200):
    """Entry-interface latitudes of a 51.6 deg orbit: |lat| <= 51.6 deg, and their histogram
    matches the time a circular orbit spends per latitude, 1/(pi sqrt(sin^2 i - sin^2 phi))
    in sin(phi), within sampling error (chi-square, 12 bins of equal expected count)."""
    n = 1200
    rng = np.random.default_rng(11)
    table = DensityTable(f200["density"]["alt_km"], f200["density"]["rho_kg_m3"])
    mean = mean_circular_elements(rng.uniform(200, 230, n), INC, rng.uniform(0, 360, n),
                                  rng.uniform(0, 360, n))
    res = propagate(0.0, None, rng.uniform(60, 150, n), table, 60.0, mean_elements=mean,
                    altitude="sphere", zonal_degree=2)
    assert np.all(res.status == Status.ENTERED)
    # geocentric latitude of the entry points
    r = res.end_state_eci[:, :3]
    s = r[:, 2] / np.linalg.norm(r, axis=1)
    si = np.sin(np.radians(INC))
    assert np.all(np.abs(s) <= si + 1e-3)
    # equal-probability bins: the CDF of s is 1/2 + arcsin(s / sin i) / pi
    edges = si * np.sin(np.pi * (np.linspace(0, 1, 13) - 0.5))
    counts, _ = np.histogram(np.clip(s, -si, si), bins=edges)
    expected = n / 12
    chi2 = np.sum((counts - expected) ** 2 / expected)
    assert chi2 < 31.3   # 99.9 % point of chi-square with 11 degrees of freedom


def _uniform_grid_out(monkeypatch, density):
    grid = PopulationGrid.uniform(density, cell_deg=1.0, land_fraction=1.0)
    monkeypatch.setattr(risk, "_grid", lambda path=None: grid)
    return grid


def test_ec_on_a_uniform_grid_is_analytic(tmp_path, f200, monkeypatch):
    """Everywhere populated at D per km^2: Ec = sum over pieces of A_c x D x 1e-6."""
    _uniform_grid_out(monkeypatch, 100.0)
    s = load_scenario(write_scenario(tmp_path, f200, samples=6, block=6, horizon=1.0))
    out = engine.run_block(s, 0)
    count, mass, area, _, _ = s.breakup.fragments.arrays()
    energy = casualty.kinetic_energy_j(mass, out["impact_speed_m_s"])
    hazardous = energy >= casualty.KE_THRESHOLD_J
    expected = (out["fragment_count"] * casualty.casualty_area_m2(area) * hazardous).sum(1)
    np.testing.assert_allclose(out["ec"], expected * 100.0 * 1e-6, rtol=1e-12)
    assert np.all(out["ec"] > 0)


def test_ec_on_a_band_grid_matches_the_dwell_time_fraction(tmp_path, f200, monkeypatch):
    """Population only between 0 and 20 deg N: the mean Ec is the uniform-grid Ec times the
    fraction of impacts in the band, known analytically from the dwell-time density."""
    grid = PopulationGrid.band(0.0, 20.0, 1000.0, cell_deg=0.25)
    monkeypatch.setattr(risk, "_grid", lambda path=None: grid)
    s = load_scenario(write_scenario(tmp_path, f200, samples=400, block=400, horizon=1.0))
    out = engine.run_block(s, 0)
    count, mass, area, _, _ = s.breakup.fragments.arrays()
    full = (out["fragment_count"] * casualty.casualty_area_m2(area)).sum(1) * 1000.0 * 1e-6
    si = np.sin(np.radians(INC))
    # Geodetic 0..20 deg N is geocentric 0..19.87 deg at the ground.
    lat_gc = np.arctan((1 - 1 / 298.257223563) ** 2 * np.tan(np.radians(20.0)))
    p_band = np.arcsin(np.sin(lat_gc) / si) / np.pi
    expected = np.mean(full) * p_band
    mean, se = np.mean(out["ec"]), np.std(out["ec"], ddof=1) / np.sqrt(out["ec"].size)
    # Fragments of one sample fall together, so samples are the independent units: 4 sigma.
    assert abs(mean - expected) < 4 * se
    assert se < 0.3 * expected


def test_footprint_grows_with_the_ballistic_coefficient_spread(tmp_path, f200):
    lengths = []
    for sigma in (0.05, 0.6):
        frag = tmp_path / f"frag{sigma}.csv"
        frag.write_text("name,count,mass_kg,area_m2,bc_median_kg_m2,bc_sigma_ln\n"
                        + "".join(f"c{k},10,50,0.5,{bc},{sigma}\n" for k, bc in
                                  enumerate((30, 60, 120, 240))))
        extra = DEORBIT.format(p_fail=0.0, dv_err=0.0, point_err=0.0, time_err=0.0)
        path = write_scenario(tmp_path, f200, name=f"s{int(sigma * 100)}", samples=8, block=8,
                              horizon=1.0, bc=104.0, extra=extra, profile="F107_70_Ap_4")
        path.write_text(path.read_text().replace(
            "[breakup]", f'[breakup]\nfragments = "{frag.name}"'))
        out = engine.run_block(load_scenario(path), 0)
        assert np.all(out["outcome"] == engine.Outcome.CONTROLLED)
        lengths.append(np.median(out["footprint_length_km"]))
    assert lengths[1] > lengths[0]


def test_nominal_controlled_entry_keeps_fragments_in_the_zone(tmp_path, f200):
    extra = DEORBIT.format(p_fail=0.0, dv_err=0.0, point_err=0.0, time_err=0.0)
    s = load_scenario(write_scenario(tmp_path, f200, samples=16, block=16, horizon=1.0,
                                     bc=104.0, extra=extra, profile="F107_70_Ap_4"))
    out = engine.run_block(s, 0)
    assert np.all(out["outcome"] == engine.Outcome.CONTROLLED)
    inside = 1.0 - out["fragments_outside_zone"].sum() / out["fragments_total"].sum()
    assert inside >= 0.99
    assert np.all(out["fragments_near_land"] == 0)


@pytest.mark.parametrize("text, message", [
    ("name,count\n", ":1: header must be"),
    ("name,count,mass_kg,area_m2,bc_median_kg_m2,bc_sigma_ln\na,1,2,3\n", ":2: expected 6"),
    ("# c\nname,count,mass_kg,area_m2,bc_median_kg_m2,bc_sigma_ln\na,1,x,3,4,0.1\n",
     ":3: mass_kg = 'x' is not a number"),
    ("name,count,mass_kg,area_m2,bc_median_kg_m2,bc_sigma_ln\na,1,2,-3,4,0.1\n",
     ":2: area_m2 = '-3'; allowed > 0"),
])
def test_bad_fragment_files(tmp_path, text, message):
    p = tmp_path / "f.csv"
    p.write_text(text)
    with pytest.raises(FragmentFileError) as info:
        load_fragment_model(p)
    assert str(info.value).startswith(f"{p}{message}")


def test_user_zone_and_population_files(tmp_path, f200):
    """[ground] target_zone and population_grid: user files replace the packaged ones."""
    PopulationGrid.uniform(50.0, cell_deg=1.0, land_fraction=1.0).save(tmp_path / "pop.npz")
    (tmp_path / "zone.csv").write_text("lat_deg,lon_deg\n-10,-10\n-10,10\n10,10\n10,-10\n")
    path = write_scenario(tmp_path, f200, samples=4, block=4, horizon=1.0)
    path.write_text(path.read_text() + '[ground]\ntarget_zone = "zone.csv"\n'
                    'population_grid = "pop.npz"\n')
    s = load_scenario(path)
    out = engine.run_block(s, 0)
    count, mass, area, _, _ = s.breakup.fragments.arrays()
    energy = casualty.kinetic_energy_j(mass, out["impact_speed_m_s"])
    expected = (out["fragment_count"] * casualty.casualty_area_m2(area)
                * (energy >= casualty.KE_THRESHOLD_J)).sum(1) * 50.0 * 1e-6
    np.testing.assert_allclose(out["ec"], expected, rtol=1e-12)
    inside = s.ground.target_zone.contains(out["impact_lat_deg"], out["impact_lon_deg"])
    np.testing.assert_allclose(out["fragments_outside_zone"],
                               (out["fragment_count"] * ~inside).sum(1), rtol=1e-12)


@pytest.mark.parametrize("key, text, message", [
    ("target_zone", "lat_deg,lon_deg\n-10,x\n", "zone.csv:2: expected 2 numbers"),
    ("population_grid", "not a grid", "pop"),
])
def test_bad_ground_files_name_the_file(tmp_path, f200, key, text, message):
    name = "zone.csv" if key == "target_zone" else "pop.npz"
    (tmp_path / name).write_text(text)
    path = write_scenario(tmp_path, f200, samples=4, block=4)
    path.write_text(path.read_text() + f'[ground]\n{key} = "{name}"\n')
    from deorbit.scenario import ScenarioError

    with pytest.raises(ScenarioError, match=f"ground.{key}.*{message}"):
        load_scenario(path)


def test_summary_needs_only_the_summary_columns(tmp_path, f200):
    """The runner summarises from aggregate.SUMMARY_COLUMNS only: same figures as from
    every array of the block."""
    from deorbit import aggregate

    s = load_scenario(write_scenario(tmp_path, f200, samples=40, block=40, horizon=1.0))
    out = engine.run_block(s, 0)
    assert "ec" in out and "history_sma_alt_km" in out
    subset = {k: v for k, v in out.items() if k in aggregate.SUMMARY_COLUMNS}
    assert aggregate.summarize(subset) == aggregate.summarize(out)
