"""The registry of density models (deorbit.atmosphere.models): one list read by the table
loader, ``deorbit fit-bc --model`` and the table builder; each model's packaged table with its
provenance; the DTM2000 evaluator's inputs (Kp from Ap, the join below 120 km); and each
model's BC scale, recorded as data and refitted here (issue 21).

Each table against its own model (RMS and worst error) is in tests/test_msis_table.py.
"""
from __future__ import annotations

import hashlib
import re

import numpy as np
import pymsis
import pytest
from hypothesis import given
from hypothesis import strategies as st

from deorbit._data import data_bytes, data_path
from deorbit.atmosphere import dtm2000_orekit as dtm
from deorbit.atmosphere import load_msis_table
from deorbit.atmosphere.models import DEFAULT_MODEL, DENSITY_MODELS, density_model
from deorbit.cli import build_parser, main
from deorbit.tools import bc_scale, msis_table


def _orekit():
    """Start Orekit's DTM2000, or skip saying why (orekit-jpype or Java missing)."""
    try:
        dtm.start_dtm2000()
    except ImportError as exc:
        pytest.skip(f"needs Orekit's DTM2000: {exc}")


def _subparser(name):
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return action.choices[name]


# --------------------------------------------------------------------------------------------
# one registry
# --------------------------------------------------------------------------------------------
def test_the_registry_lists_the_three_models():
    assert list(DENSITY_MODELS) == ["nrlmsise00", "nrlmsis21", "dtm2000"]
    assert DEFAULT_MODEL == "nrlmsise00"
    assert {m.evaluator for m in DENSITY_MODELS.values()} == {"pymsis", "orekit"}


def test_fit_bc_and_the_builder_offer_the_registry(capsys):
    fit = _subparser("fit-bc")
    model = next(a for a in fit._actions if a.dest == "model")
    assert list(model.choices) == list(DENSITY_MODELS)
    assert model.default == DEFAULT_MODEL
    with pytest.raises(SystemExit):
        msis_table.main(["--out", "x.npz", "--model", "jb2008"])
    err = capsys.readouterr().err
    assert "'nrlmsise00', 'nrlmsis21', 'dtm2000'" in err


def test_unknown_model_is_one_line(capsys):
    assert main_code(["fit-bc", "iss-tle-2026-05", "--model", "jb2008"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "jb2008" in err and "dtm2000" in err
    with pytest.raises(ValueError, match="model = 'jb2008': allowed 'nrlmsise00'"):
        density_model("jb2008")


def main_code(argv):
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


@pytest.mark.parametrize("name", list(DENSITY_MODELS))
def test_each_packaged_table_loads_with_its_provenance(name):
    """Same axes and format as NRLMSISE-00's, its own model key, and the sha256 that
    deorbit/data/README.md gives for the file (the README's section of the file)."""
    entry = density_model(name)
    table = load_msis_table(model=name)
    default = load_msis_table()
    assert table.provenance["model"].startswith(entry.display_name + " via ")
    assert table.has_season
    for axis in ("alt_km", "f107a_sfu", "df_sfu", "ap", "lat_deg", "season_day"):
        np.testing.assert_array_equal(getattr(table, axis), getattr(default, axis))
    readme = data_path("README.md").read_text()
    section = readme.split(f"## `{entry.table_file}`", 1)[1].split("\n## ", 1)[0]
    sha = re.search(r"\| sha256 \| `([0-9a-f]{64})` \|", section).group(1)
    assert hashlib.sha256(data_bytes(entry.table_file)).hexdigest() == sha
    assert entry.display_name in section
    assert len(data_bytes(entry.table_file)) < 5_000_000


# --------------------------------------------------------------------------------------------
# DTM2000's inputs
# --------------------------------------------------------------------------------------------
def test_ap_to_kp_standard_table():
    """The standard ap-Kp pairs: 0o -> 0, 1- -> 3, 3o -> 15, 5o -> 48, 9o -> 400."""
    np.testing.assert_allclose(dtm.ap_to_kp([0, 3, 15, 48, 400, 1000]),
                               [0, 2 / 3, 3, 5, 9, 9], atol=1e-12)
    assert dtm.ap_to_kp(10.5) == pytest.approx(7 / 3 + 0.5 / 3)  # between 2- (9) and 2o (12)


@given(a=st.floats(0, 500), b=st.floats(0, 500))
def test_ap_to_kp_is_monotone(a, b):
    lo, hi = sorted((a, b))
    assert dtm.ap_to_kp(lo) <= dtm.ap_to_kp(hi)


def test_dtm2000_is_continuous_at_its_floor():
    """Below 120 km the DTM2000 table joins NRLMSISE-00 scaled to DTM2000 at 120 km: the
    density is continuous there (a step of 1 m changes it by the local scale height's
    0.01 %), and below it falls off as NRLMSISE-00's does."""
    _orekit()
    h = np.array([119.999, 120.0, 120.001, 100.0])
    rho = dtm.dtm2000_density(100, 10.0, 30.0, 45.0, h, 150.0, 140.0, 15.0)
    assert rho[0] == pytest.approx(rho[1], rel=3e-4)
    assert rho[2] == pytest.approx(rho[1], rel=3e-4)
    msis = pymsis.calculate(np.datetime64("2001-04-10T10:00"), 30.0, 45.0, [100.0, 120.0],
                            150.0, 140.0, [[15.0] * 7], version=0)[..., 0].ravel()
    assert rho[3] / rho[1] == pytest.approx(msis[0] / msis[1], rel=1e-6)  # pymsis: float32


def test_builder_says_what_is_missing_without_orekit(monkeypatch, tmp_path, capsys):
    """Without orekit-jpype the DTM2000 build stops with one line naming what to install."""
    monkeypatch.setattr(dtm, "_MODEL", [])
    monkeypatch.setitem(__import__("sys").modules, "orekit_jpype", None)
    code = msis_table.main(["--out", str(tmp_path / "t.npz"), "--model", "dtm2000",
                            "--keep-fortran-output"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert "pip install 'orekit-jpype" in err[-1] and "Java" in err[-1]
    assert not (tmp_path / "t.npz").exists()


# --------------------------------------------------------------------------------------------
# each model's BC scale
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(DENSITY_MODELS))
def test_bc_scale_is_recorded_with_provenance(name):
    """The recorded value is the geometric mean of the recorded ratios and its sigma at least
    their sample sd in ln (bc_scale.measure_bc_scale's rule), to the recorded 3 decimals."""
    scale = density_model(name).bc_scale
    assert scale.provenance
    if name == DEFAULT_MODEL:
        assert (scale.value, scale.sigma_ln) == (1.0, 0.0)
        return
    assert [d for d, _ in scale.ratios] == list(bc_scale.DATA_SETS)
    ln = np.log([r for _, r in scale.ratios])
    assert scale.value == pytest.approx(np.exp(ln.mean()), abs=6e-4)
    assert scale.sigma_ln >= np.std(ln, ddof=1) - 6e-4
    assert 0.5 < scale.value < 2.0 and 0.0 < scale.sigma_ln < 0.3


@pytest.mark.slow  # ~20 s: the ISS fits (OEM arc and TLEs) with each of the three tables
def test_bc_scale_refit_matches_the_registry():
    """Refit the ISS with each table (python -m deorbit.tools.bc_scale): every recorded ratio
    within 0.002 of the refit (the registry keeps 3 decimals), and each model's fit follows
    the decay (residual within 5 %: the BC absorbs the model's density level)."""
    fits = {m: bc_scale.fit_bcs(m) for m in DENSITY_MODELS}
    for name, entry in DENSITY_MODELS.items():
        for f in fits[name].values():
            assert abs(f.decay_residual) < 0.05, (name, f.source, f.decay_residual)
        if name == DEFAULT_MODEL:
            continue
        got = bc_scale.measure_bc_scale(name, fits[DEFAULT_MODEL], fits[name])
        recorded = dict(entry.bc_scale.ratios)
        for data_set, ratio in got.ratios:
            assert ratio == pytest.approx(recorded[data_set], abs=0.002), (name, data_set)
        assert got.value == pytest.approx(entry.bc_scale.value, abs=0.002), name
        assert got.sigma_ln == pytest.approx(entry.bc_scale.sigma_ln, abs=0.002), name
