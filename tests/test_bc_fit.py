"""Ballistic-coefficient fits to tracking data, the ISS arc and the real-reentry hindcasts."""
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deorbit import trajectory
from deorbit.atmosphere import load_msis_table
from deorbit.cli import format_hindcasts, main
from deorbit.kernel import circular_state
from deorbit.solar import observed_daily_indices
from deorbit.time import epoch_from_datetime
from deorbit.tracking.fit import fit_element_sets, fit_states
from deorbit.tracking.hindcast import iss_arc_check, run_hindcasts

START = epoch_from_datetime("2022-02-11T12:00:00")


def _synthetic(alt_km, bc_kg_m2, days, step_days, scale=1.0):
    """An arc deorbit generated with the fit's own model (NRLMSISE-00 table, observed
    indices), to be recovered."""
    y0 = circular_state(alt_km, 51.64, 30.0, 0.0)
    y0[4] *= 1.0005  # slightly eccentric
    epochs = START + np.arange(0.0, days + 1e-9, step_days)
    res = trajectory(START, y0, epochs, bc_kg_m2, load_msis_table().orbit(51.64),
                     density_scale=scale, space_weather=observed_daily_indices(START, epochs[-1]),
                     rtol=1e-11)
    return epochs, res.ephemeris_state_eci[0]


def test_state_fit_recovers_a_known_bc_from_a_noisy_arc():
    """Positions with 30 m and velocities with 3 cm/s of Gaussian noise, 6 days of states
    every 10 minutes at 380 km, started 25 % off: the BC comes back within 1 % (the issue's
    bound), inside 3 of its own sigmas; the decay residual (of the noisy data's one-orbit
    means: ~50 m of semi-major axis each) stays under the issue's 5 %."""
    epochs, states = _synthetic(380.0, 123.4, 6.0, 10.0 / 1440.0)
    rng = np.random.default_rng(7)
    noisy = states + np.hstack([rng.normal(0, 30.0, (epochs.size, 3)),
                                rng.normal(0, 0.03, (epochs.size, 3))])
    fit = fit_states(epochs, noisy, bc_kg_m2=92.0)
    assert abs(fit.bc_kg_m2 / 123.4 - 1.0) < 0.01
    assert abs(fit.bc_kg_m2 - 123.4) < 3.0 * fit.bc_sigma_kg_m2
    assert abs(fit.decay_residual) < 0.05
    assert 20.0 < fit.rms_position_m < 60.0  # the noise, not a model error


def test_density_scale_fit_with_the_bc_held():
    epochs, states = _synthetic(350.0, 100.0, 3.0, 15.0 / 1440.0, scale=1.12)
    fit = fit_states(epochs, states, fitted="density_scale", bc_kg_m2=100.0)
    assert fit.fitted == "density_scale" and fit.bc_kg_m2 == 100.0
    assert abs(fit.density_scale / 1.12 - 1.0) < 0.005


def test_element_set_fit_recovers_a_known_bc():
    """Daily states at 260 km with 15 m / 1.5 cm/s noise (a few times better than a TLE's,
    to test the method, not the data): the pairs' mean-semi-major-axis drops give the BC
    within 2 %."""
    epochs, states = _synthetic(260.0, 80.0, 8.0, 1.0)
    rng = np.random.default_rng(3)
    noisy = states + np.hstack([rng.normal(0, 15.0, (epochs.size, 3)),
                                rng.normal(0, 0.015, (epochs.size, 3))])
    fit = fit_element_sets(epochs, noisy, bc_kg_m2=150.0)
    assert fit.method == "sma-decay" and fit.n_observations == 8
    assert abs(fit.bc_kg_m2 / 80.0 - 1.0) < 0.02
    assert np.all(fit.residuals["decay_m"] > 0)


def test_fits_reject_unusable_input():
    with pytest.raises(ValueError, match="K >= 10"):
        fit_states([START, START + 1], np.zeros((2, 6)))
    with pytest.raises(ValueError, match="ascending"):
        fit_element_sets([START + 1, START], np.zeros((2, 6)))
    with pytest.raises(ValueError, match="no two sets"):
        fit_element_sets([START, START + 0.2], np.tile(circular_state(400, 51.6), (2, 1)))


@pytest.fixture(scope="module")
def iss():
    return iss_arc_check()


def test_iss_arc_fit(iss):
    """NASA's Feb-2022 ISS ephemeris (packaged): the fitted BC, its decay residual under the
    issue's 5 %, and NASA's header BC (91 kg/m^2, its own density model's) decaying faster
    in deorbit's model (DESIGN: about 2.5 %; measured +1.9 %)."""
    f = iss.fit
    assert f.n_observations > 5000
    assert 85.0 < f.bc_kg_m2 < 105.0 and 0.0 < f.bc_sigma_kg_m2 < 15.0
    assert abs(f.decay_residual) < 0.05
    assert 0.0 < iss.header_decay_residual < 0.05
    assert 50.0 < f.decay_m_per_day < 70.0
    assert f.rms_position_m < 5_000.0
    assert set(iss.in_track_error_m) == {1.0, 7.0, 14.0}
    assert abs(iss.in_track_error_m[1.0]) < 2_000.0


def test_hindcasts_cover_the_actual_reentries(iss):
    """The registry's real reentries: every case predicted at some lead, and the official
    epoch inside the 90 % window in at least 80 % of the predictions (the issue's bound)."""
    rows = run_hindcasts(samples=200)
    assert {r.case for r in rows} == {"cz5b-y1-2020", "cz5b-y2-2021", "cz5b-y4-2022",
                                      "ers2-2024", "kosmos482-2025"}
    assert sum(r.inside for r in rows) >= 0.8 * len(rows)
    for r in rows:
        assert r.window_p5 < r.median < r.window_p95
        assert 0.3 < r.lead_days < 5.0
        assert abs(r.error_hours) < 24.0 * r.lead_days  # never off by more than the lead
    text = format_hindcasts(rows, iss)
    assert "predictions hold the actual epoch" in text and "Long March 5B" in text


def test_fit_bc_cli_json(capsys):
    assert main(["fit-bc", "iss-tle-2026-05", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"bc_kg_m2", "bc_sigma_kg_m2", "decay_residual", "residuals"} <= set(out)
    assert 100.0 < out["bc_kg_m2"] < 140.0
    assert out["method"] == "sma-decay"


def test_fit_bc_cli_errors(tmp_path, capsys):
    bad = tmp_path / "bad.tle"
    bad.write_text("1 25544U 98067A   26143.80969005  .00010591  00000+0  19598-3 0  9990\n"
                   "not a line two\n")
    assert main(["fit-bc", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.tle:" in err and "Traceback" not in err
    assert main(["fit-bc", "iss-tle-2026-05", "--until", "yesterday"]) == 2
    assert "--until" in capsys.readouterr().err


@settings(max_examples=40, deadline=None, derandomize=True)
@given(drop=st.sets(st.integers(0, 41), max_size=30), digit=st.integers(0, 41),
       column=st.integers(18, 67), swap=st.booleans())
def test_fuzzed_tle_series_give_a_fit_or_one_line(tmp_path_factory, drop, digit, column, swap):
    """fit-bc on mutated copies of the packaged ISS series (sets dropped, a digit changed,
    lines swapped): a fit, or exit 2 with one line naming the file — never a traceback."""
    from deorbit._data import data_path

    lines = data_path("tracking/iss-25544-2026-05.tle").read_text().splitlines()
    line = lines[digit]
    if line[column].isdigit():
        lines[digit] = line[:column] + str((int(line[column]) + 3) % 10) + line[column + 1:]
    if swap:
        lines[0], lines[1] = lines[1], lines[0]
    kept = [ln for i, ln in enumerate(lines) if i // 2 not in {d // 2 for d in drop}]
    path = tmp_path_factory.mktemp("fuzz") / "iss.tle"
    path.write_text("\n".join(kept) + "\n")
    code = main(["fit-bc", str(path), "--json"])
    assert code in (0, 2)


def test_each_density_model_has_its_own_bc(capsys):
    """A BC belongs to its density model (issue 21): on the same ISS element sets the
    NRLMSIS 2.1 table needs a smaller BC than NRLMSISE-00's (measured 106.9 against 120.7
    kg/m^2: NRLMSIS 2.1 is less dense), and each fit follows the decay equally well."""
    fits = {}
    for model in ("nrlmsise00", "nrlmsis21"):
        assert main(["fit-bc", "iss-tle-2026-05", "--json", "--model", model]) == 0
        fits[model] = json.loads(capsys.readouterr().out)
    ratio = fits["nrlmsis21"]["bc_kg_m2"] / fits["nrlmsise00"]["bc_kg_m2"]
    assert 0.8 < ratio < 0.95
    assert "NRLMSIS 2.1" in fits["nrlmsis21"]["density_model"]
    for f in fits.values():
        assert abs(f["decay_residual"]) < 0.05
