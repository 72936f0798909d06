"""Several density models in one run (issue 21): each sample flies the model it drew.

The kernel takes a tuple of tables on shared axes and each sample's index into it; a
scenario's ``atmosphere.model = { dist = "choice", values = [...] }`` draws that index per
sample and carries the scenario's BC over to the drawn model (``bc_scale``). Each sample's
result is the one a run of its model alone gives, bit for bit.
"""
from importlib import resources

import numpy as np
import pytest

from deorbit import _reference, kernel
from deorbit.atmosphere import load_msis_table
from deorbit.atmosphere.models import DENSITY_MODELS
from deorbit.engine import run_block
from deorbit.kernel import DailyIndices, mean_circular_elements, propagate
from deorbit.scenario import ScenarioError, parse_scenario

START = 9800.25
MODELS = ("nrlmsise00", "nrlmsis21", "dtm2000")


@pytest.fixture(scope="module")
def tables():
    return tuple(load_msis_table(model=m).orbit(51.64) for m in MODELS)


def _indices(n, days):
    rng = np.random.default_rng(7)
    first = np.full(n, np.floor(START + 0.5) - 0.5)
    return DailyIndices(first, rng.uniform(80, 200, (n, days)), rng.uniform(-20, 20, (n, days)),
                        rng.uniform(3, 80, (n, days)))


def test_each_sample_flies_its_own_table(tables):
    """A tuple call gives each sample what a call with its table alone gives, bit for bit,
    whatever the order of the models in the block (the kernel's caches follow the table)."""
    n = 6
    mean = mean_circular_elements(np.linspace(330, 380, n), 51.64, 0.0, 0.0)
    sw = _indices(n, 400)
    row = np.array([0, 1, 2, 0, 1, 2])
    kw = dict(mean_elements=mean, space_weather=sw, history_days=np.arange(0, 390, 30.0))
    mixed = propagate(START, None, 104.0, tables, START + 390.0, density_model=row, **kw)
    for k, table in enumerate(tables):
        alone = propagate(START, None, 104.0, table, START + 390.0, **kw)
        j = row == k
        for name in ("status", "end_epoch_utc_days", "end_state_eci", "history_sma_alt_km",
                     "n_rhs"):
            np.testing.assert_array_equal(getattr(mixed, name)[j], getattr(alone, name)[j])
    # and the models differ: the same samples enter days apart in them
    alone0 = propagate(START, None, 104.0, tables[0], START + 390.0, **kw)
    j = row > 0
    assert np.all(np.abs(mixed.end_epoch_utc_days[j] - alone0.end_epoch_utc_days[j]) > 1.0)


def test_compiled_equals_reference_with_two_models(tables, monkeypatch):
    if kernel.BACKEND != "compiled":
        pytest.skip("the compiled kernel is not built")
    n = 2
    mean = mean_circular_elements([200.0, 200.0], 51.64, 0.0, 0.0)
    kw = dict(mean_elements=mean, space_weather=_indices(n, 3), density_model=[1, 0],
              method="cowell")
    a = propagate(START, None, 104.0, tables, START + 0.3, **kw)
    monkeypatch.setattr(kernel, "_backend", _reference)
    b = propagate(START, None, 104.0, tables, START + 0.3, **kw)
    np.testing.assert_allclose(a.end_state_eci, b.end_state_eci, rtol=1e-12, atol=1e-6)


@pytest.mark.parametrize("model, match", [
    ([0, 3], r"density_model\[1\] = 3: allowed 0 \.\.\. 2"),
    ([0.5, 0], "integer table indices"),
    ([0, 0, 0], r"shape \(2,\)"),
])
def test_bad_density_model_is_named(tables, model, match):
    mean = mean_circular_elements([300.0, 300.0], 51.64, 0.0, 0.0)
    with pytest.raises(ValueError, match=match):
        propagate(START, None, 104.0, tables, START + 1.0, mean_elements=mean,
                  space_weather=_indices(2, 3), density_model=model)


def test_tables_of_one_call_share_their_axes(tables):
    import dataclasses

    other = dataclasses.replace(tables[1], ap=tables[1].ap + 1.0)
    mean = mean_circular_elements([300.0], 51.64, 0.0, 0.0)
    with pytest.raises(ValueError, match=r"atmosphere\[1\]\.ap: differs"):
        propagate(START, None, 104.0, (tables[0], other), START + 1.0, mean_elements=mean,
                  space_weather=_indices(1, 3))
    with pytest.raises(ValueError, match="a tuple of"):
        propagate(START, None, 104.0, (tables[0], tables[0].profile(150, 0, 15)), START + 1.0,
                  mean_elements=mean, space_weather=_indices(1, 3))


def _scenario(model_line, samples=16):
    text = (resources.files("deorbit") / "scenarios" / "iss-2028.toml").read_text()
    text = text.replace('model = "msis"', model_line).replace("samples = 1000",
                                                              f"samples = {samples}")
    return parse_scenario(text.replace("block_size = 100", f"block_size = {samples}"))


def test_a_sampled_model_gives_each_sample_its_models_run():
    """The controlled-entry path too: a sample that drew model k has the outputs of the run
    with model k alone (its BC carried over by bc_scale), bit for bit."""
    mixed = run_block(_scenario(
        'model = { dist = "choice", values = ["nrlmsise00", "nrlmsis21", "dtm2000"] }'), 0)
    drawn = mixed["atmosphere.model"]
    assert set(np.unique(drawn)) == {0.0, 1.0, 2.0}
    for k, name in enumerate(MODELS):
        alone = run_block(_scenario(f'model = "{name}"'), 0)
        j = drawn == k
        for key, value in alone.items():
            np.testing.assert_array_equal(mixed[key][j], value[j], err_msg=key)


def test_bc_is_carried_over_by_the_fitted_ratio():
    s = _scenario('model = { dist = "choice", values = ["nrlmsis21", "nrlmsise00"] }')
    np.testing.assert_array_equal(
        s.atmosphere.bc_scales(), [DENSITY_MODELS["nrlmsis21"].bc_scale.value, 1.0])
    s = _scenario('model = "nrlmsis21"\nbc_model = "nrlmsis21"')
    np.testing.assert_array_equal(s.atmosphere.bc_scales(), [1.0])
    assert "atmosphere.model" not in s.uncertain()      # one model: nothing drawn


@pytest.mark.parametrize("line, match", [
    ('model = "nrlmsis2"', r"atmosphere.model = 'nrlmsis2'.*did you mean nrlmsis21"),
    ('model = { dist = "choice", values = ["nrlmsise00", "jb2009"] }',
     r"atmosphere.model.values\[1\] = 'jb2009'"),
    ('model = { dist = "choice", values = ["nrlmsise00", "nrlmsise00"] }', "each model once"),
    ('model = { dist = "uniform", low = 0, high = 1 }', "atmosphere.model.dist = 'uniform'"),
    ('model = { dist = "choice", values = ["nrlmsise00", "nrlmsis21"], weights = [1] }',
     "atmosphere.model.weights"),
    ('model = "nrlmsis21"\npath = "x.npz"', "atmosphere.path = 'x.npz'.*packaged table"),
    ('model = "msis"\nbc_model = "jb"', "atmosphere.bc_model = 'jb'"),
])
def test_bad_model_keys_are_named(line, match):
    with pytest.raises(ScenarioError, match=match):
        _scenario(line)


def test_run_set_changes_a_key_of_every_scenario_and_names_a_bad_one(tmp_path, capsys):
    from deorbit.cli import _override, main

    assert _override('atmosphere.model={ dist = "choice", values = ["nrlmsis21"] }')[:2] == (
        "atmosphere.model", {"dist": "choice", "values": ["nrlmsis21"]})
    assert _override("atmosphere.model=dtm2000")[:2] == ("atmosphere.model", "dtm2000")
    assert _override("vehicle.mass_kg=4e5")[1] == 4e5
    assert main(["run", "iss-2028", "--set", "atmosphere.model=nrlmsis2", "--out",
                 str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "--set atmosphere.model=nrlmsis2: atmosphere.model = 'nrlmsis2'" in err
    assert not (tmp_path / "x").exists()


def test_one_table_is_passed_without_a_copy_and_a_tuple_is_stacked_once(tables):
    """The kernel's per-call arguments: one table's arrays are views (no ~1 MB copy per
    propagate call on the hot path); a tuple's stack is built once and reused."""
    from deorbit import kernel

    one = kernel._density_arrays(tables[0], _indices(1, 3), np.array([START]),
                                 np.array([START + 1.0]))
    assert np.shares_memory(one.table_log_rho, tables[0].log_rho)
    assert np.shares_memory(one.season_log, tables[0].season_log)
    a = kernel._density_arrays(tables, _indices(1, 3), np.array([START]),
                               np.array([START + 1.0]))
    b = kernel._density_arrays(tables, _indices(1, 3), np.array([START]),
                               np.array([START + 1.0]))
    assert a.table_log_rho is b.table_log_rho and a.table_log_rho.shape[0] == len(tables)
    np.testing.assert_array_equal(a.table_log_rho[2], tables[2].log_rho.ravel())
