"""Where the spread comes from (issue 21): factors held fixed within blocks, paired runs,
and the share of the variance each explains alone."""
import numpy as np
import pandas as pd
import pytest

from deorbit import decompose, environment, sampling
from deorbit.cli import main
from deorbit.report import compare_runs
from deorbit.scenario import ScenarioError, load_scenario, parse_scenario

from .scenario_fixtures import write_scenario

BC = "vehicle.ballistic_coefficient_kg_m2"


def _held(scenario, key):
    text = scenario.text.replace("[monte_carlo]", f'[monte_carlo]\nhold_fixed = ["{key}"]')
    return parse_scenario(text, base_dir=scenario.base_dir)


def test_a_held_draw_is_the_blocks_first_and_the_rest_are_unchanged(tmp_path, f200):
    s = load_scenario(write_scenario(tmp_path, f200, samples=16, block=8))
    v = decompose.variant(s, "bc")
    assert v.name == "t.hold-bc" and v.monte_carlo.hold_fixed == (BC,)
    free, held = sampling.draw_block(s, 1, 8), sampling.draw_block(v, 1, 8)
    assert np.all(held[BC] == free[BC][0]) and np.unique(free[BC]).size == 8
    for key in free:
        if key != BC:
            np.testing.assert_array_equal(held[key], free[key])


def test_held_solar_activity_gives_every_sample_the_first_path():
    s = load_scenario("iss-2028")
    held = _held(s, "solar")
    x = sampling.draw_block(s, 0, 5)
    start, horizon = x["start.epoch_utc"], x["start.epoch_utc"] + 400.0
    free = environment.daily_indices(s, 0, start, horizon, n_days=400)
    same = environment.daily_indices(held, 0, start, horizon, n_days=400)
    for name in ("f107a_sfu", "ap"):
        a, b = getattr(free, name), getattr(same, name)
        np.testing.assert_array_equal(b, np.broadcast_to(a[0], a.shape))
        assert not np.array_equal(a[1], a[0])


def test_a_hold_key_must_be_sampled(tmp_path, f200):
    s = load_scenario(write_scenario(tmp_path, f200))
    with pytest.raises(ScenarioError, match=r"monte_carlo.hold_fixed\[0\] = 'solar': allowed"):
        _held(s, "solar")           # constant solar activity: nothing to hold
    with pytest.raises(ScenarioError, match="did you mean"):
        _held(s, "vehicle.ballistic_coefficient")


def test_the_shares_of_a_known_additive_model():
    """Y = 3 A + B + e (unit variances): A explains 9/11 of the variance alone, B 1/11."""
    rng = np.random.default_rng(1)
    n, size = 4000, 40
    a, b, e = rng.standard_normal((3, n))
    block = np.arange(n) // size
    first = block * size

    def frame(aa, bb):
        return pd.DataFrame({"sample": np.arange(n), "reentry_epoch_utc_days": 3 * aa + bb + e,
                             "outcome": np.zeros(n)})

    shares = decompose.decompose(frame(a, b), {"A": frame(a[first], b), "B": frame(a, b[first])},
                                 size)
    got = {s.factor: s for s in shares if s.quantity == "reentry_epoch"}
    for factor, expected in (("A", 9 / 11), ("B", 1 / 11)):
        assert abs(got[factor].share - expected) < 3 * got[factor].share_se + 0.01
        assert 0.0 < got[factor].share_se < 0.1
    # no uncontrolled entry at all: nothing to share
    assert all(s.quantity != "uncontrolled" for s in shares)


def test_run_decompose_writes_the_table_the_report_and_paired_comparisons(tmp_path, f200):
    path = write_scenario(tmp_path, f200, samples=128, block=16, horizon=0.5)
    # one start, one altitude: the reentry date's spread is the drag's, ln BC (sigma 0.3)
    # against ln density scale (0.15): shares of about 0.8 and 0.2
    path.write_text(path.read_text().replace(
        'epoch_utc = { dist = "uniform", low = "2030-01-01", high = "2030-02-01" }',
        'epoch_utc = "2030-01-01"').replace(
        'mean_altitude_km = { dist = "uniform", low = 200.0, high = 260.0 }',
        "mean_altitude_km = 240.0"))
    out = tmp_path / "run"
    assert main(["run", str(path), "--decompose", "--workers", "1", "--out", str(out),
                 "--no-progress"]) == 0
    rows = decompose.read(out)
    assert {r["factor"] for r in rows} == {"bc", "density_scale"}
    bc = next(r for r in rows if r["factor"] == "bc" and r["quantity"] == "reentry_epoch")
    ds = next(r for r in rows if r["factor"] == "density_scale"
              and r["quantity"] == "reentry_epoch")
    assert 0.5 < bc["share"] < 1.0 and 0.0 < ds["share"] < 0.45
    assert bc["p5_p95_width_known"] < ds["p5_p95_width_known"] < bc["p5_p95_width"]
    html = (out / "report" / "report.html").read_text()
    assert 'id="decomposition"' in html and "t.hold-bc" in html
    cmp = compare_runs(out, scenario_a="t", scenario_b="t.hold-bc")
    assert cmp["comparisons"][0]["paired"]
