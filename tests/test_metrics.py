"""The metrics registry (deorbit.metrics) and the single definition of the Ec limit.

- the registry is consistent: unique keys, views that name registered figures, compared
  figures that can be paired (checked at import; here the check is made to fail);
- the summary keys scripts read are pinned;
- EC_LIMIT is defined once (ground/casualty.py); no other module of the package writes the
  limit as a number or in a string of code (docstrings and comments may quote it).
"""
import ast
import io
import tokenize
from pathlib import Path

import numpy as np
import pytest

import deorbit
from deorbit import aggregate, metrics
from deorbit.ground import EC_LIMIT, casualty

SRC = Path(deorbit.__file__).parent


def _sources():
    return sorted(SRC.rglob("*.py"))


def test_ec_limit_is_defined_once():
    defined = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = (node.targets if isinstance(node, ast.Assign) else
                       [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else [])
            if any(isinstance(t, ast.Name) and t.id == "EC_LIMIT" for t in targets):
                defined.append(path.relative_to(SRC).as_posix())
    assert defined == ["ground/casualty.py"]
    assert casualty.EC_LIMIT == 1e-4 and EC_LIMIT is casualty.EC_LIMIT


def _docstring_lines(tree):
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                lines.add(body[0].lineno)
    return lines


#: Modules that speak of Ec; elsewhere 1e-4 is another quantity (a tolerance, a floor).
EC_MODULES = ("aggregate.py", "metrics.py", "cli.py", "report/html.py", "report/compare.py",
              "report/figures.py", "runner.py", "store.py", "ground/risk.py")


@pytest.mark.parametrize("name", EC_MODULES)
def test_no_other_copy_of_the_limit(name):
    text = (SRC / name).read_text(encoding="utf-8")
    docs = _docstring_lines(ast.parse(text))
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.NUMBER:
            assert ast.literal_eval(tok.string) != EC_LIMIT, (name, tok.start)
        if tok.type == tokenize.STRING and tok.start[0] not in docs:
            assert "1e-4" not in tok.string and "1e-04" not in tok.string, (name, tok.start)


def test_keys_scripts_read_are_pinned():
    assert metrics.EC_ABOVE_LIMIT == "p_ec_above_1e-4"
    assert [m.key for m in metrics.REGISTRY] == [
        "samples", "p_controlled", "p_uncontrolled", "p_uncontrolled_after_failure",
        "p_uncontrolled_natural_decay", "p_in_orbit_at_horizon", "p_numerical_failure",
        *(k for q in ("05", "25", "50", "75", "95")
          for k in (f"reentry_epoch_p{q}_utc_days", f"lifetime_p{q}_days")),
        "ec_mean", "p_ec_above_1e-4", "ec_given_uncontrolled_mean",
        "p_failure_x_ec_uncontrolled", "p_debris_outside_zone", "fragments_near_land_mean",
        "footprint_length_p50_km", "footprint_length_p99_km",
        "lifetime_mean_given_reentry_days",
        "maintenance_dv_mean_m_s", "p_maintenance_ended_ready",
        "p_maintenance_ended_budget_spent", "p_maintenance_ended_no_vehicle",
        "p_maintenance_ended_failure"]
    assert set(aggregate.SUMMARY_COLUMNS) == {
        "outcome", "reentry_epoch_utc_days", "lifetime_days", "ec", "fragments_total",
        "fragments_outside_zone", "fragments_near_land", "footprint_length_km",
        "maintenance_dv_m_s", "maintenance_end_reason"}


def test_every_view_names_registered_metrics_and_compared_ones_pair():
    for m in metrics.REGISTRY:
        assert m.label and m.unit and m.kind and m.group in metrics.GROUPS
    for key in metrics.COMPARED:
        assert metrics.METRICS[key].paired in ("mean difference", "bootstrap"), key
    assert [m.key for m in metrics.report_order()][:2] == ["samples", "p_controlled"]


@pytest.mark.parametrize("view, value, message", [
    ("COMPARED", ("p_controlled", "ec_given_uncontrolled_mean"),
     "COMPARED: ec_given_uncontrolled_mean cannot be paired"),
    ("COMPARED", ("p_controlled", "samples"), "COMPARED: samples cannot be paired"),
    ("DECISION", ("p_controlled", "p_nope"), "DECISION: p_nope not in the registry"),
])
def test_a_broken_view_fails_at_import(monkeypatch, view, value, message):
    monkeypatch.setattr(metrics, view, value)
    with pytest.raises(RuntimeError, match=message):
        metrics._check()


def test_summary_is_the_registry_on_synthetic_samples():
    """Each figure of summarize() is aggregate.figure() of its registry entry."""
    rng = np.random.default_rng(1)
    n = 50
    landed = rng.random(n) < 0.8
    nan = np.where(landed, 0.0, np.nan)
    arrays = {"outcome": rng.integers(0, 4, n).astype(np.int8),
              "reentry_epoch_utc_days": 9000 + 100 * rng.random(n) + nan,
              "lifetime_days": 100 * rng.random(n) + nan,
              "ec": 2e-4 * rng.random(n) + nan,
              "fragments_total": 10.0 + nan,
              "fragments_outside_zone": rng.integers(0, 2, n) + nan,
              "fragments_near_land": rng.integers(0, 3, n) + nan,
              "footprint_length_km": 800 + 100 * rng.random(n) + nan,
              "maintenance_dv_m_s": 20 * rng.random(n),
              "maintenance_end_reason": rng.integers(0, 4, n).astype(np.int8)}
    s = aggregate.summarize(arrays)
    assert list(s) == [m.key for m in metrics.REGISTRY]
    for m in metrics.REGISTRY:
        assert s[m.key] == aggregate.figure(m, arrays, 0.95, s), m.key
    assert s["p_ec_above_1e-4"]["value"] == np.mean(np.nan_to_num(arrays["ec"]) > EC_LIMIT)
    without_ec = {k: v for k, v in arrays.items() if k != "ec"}
    assert not set(aggregate.summarize(without_ec)) & set(metrics.GROUND)
    unmaintained = {k: v for k, v in arrays.items() if not k.startswith("maintenance_")}
    assert not any("maintenance" in k for k in aggregate.summarize(unmaintained))
