"""Altitude maintenance (``[operations.altitude_maintenance]``, deorbit.maintenance).

- a zero budget gives the scenario without the section, bit for bit (every array but the
  maintenance outputs and the budget's own draw);
- an unlimited budget until docking leaves natural decay before the vehicle only to the
  reboost failures (none without failures);
- delta-v accounting: each sample's ``maintenance_dv_m_s`` is the sum of the reboosts in the
  block's log, within the budget (or the propellant's rocket-equation delta-v), and each
  reboost raises the mean altitude by what vis-viva gives for its two burns (impulsive and
  finite);
- while maintained, the mean altitude stays in its band; resupply comes at its dates;
- the section's errors name their key path.
"""
import hashlib

import numpy as np
import pytest

from deorbit import engine, flight, maintenance, sampling
from deorbit.constants import EARTH_RADIUS_M, MU_M3_S2
from deorbit.flight import Outcome
from deorbit.maintenance import EndReason
from deorbit.scenario import ScenarioError, load_scenario, parse_scenario
from deorbit.time import epoch_from_datetime

MAINTAINED = load_scenario("iss-early-maintained")
BUDGET_LINE = 'dv_budget_m_s = { dist = "uniform", low = 10.0, high = 40.0 }'
N = 24


def _variant(**replace):
    """iss-early-maintained with lines of its maintenance section replaced (key -> line)."""
    text = MAINTAINED.text
    lines = {"dv_budget_m_s": BUDGET_LINE}
    for key, line in replace.items():
        old = lines.get(key) or next(s for s in text.splitlines() if s.startswith(f"{key} ="))
        text = text.replace(old, line) if old in text else text.replace(
            "[operations.altitude_maintenance]\n", f"[operations.altitude_maintenance]\n{line}\n")
    return parse_scenario(text, source="test")


def _digest(out, skip):
    h = hashlib.sha256()
    for key in sorted(k for k in out if not any(k.startswith(s) for s in skip)):
        a = np.ascontiguousarray(out[key])
        h.update(f"{key}{a.dtype}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _flown(scenario, n=N):
    """A block flown to breakup (its FlightBlock, with the maintenance ledger)."""
    x = sampling.draw_block(scenario, 0, n)
    blk = flight.FlightBlock(scenario, x, n, 0)
    flight.fly(blk, np.arange(n), 0)
    return blk


def _vis_viva_alt_km(alt_km, dv_m_s):
    """Mean altitude after two prograde burns of dv/2 half an orbit apart from a circular
    orbit (vis-viva at each burn), km."""
    a1 = EARTH_RADIUS_M + 1e3 * np.asarray(alt_km)
    v = np.sqrt(MU_M3_S2 / a1) + 0.5 * dv_m_s
    a_mid = 1.0 / (2.0 / a1 - v * v / MU_M3_S2)
    r_apo = 2.0 * a_mid - a1
    v_apo = np.sqrt(MU_M3_S2 * (2.0 / r_apo - 1.0 / a_mid)) + 0.5 * dv_m_s
    return (1.0 / (2.0 / r_apo - v_apo * v_apo / MU_M3_S2) - EARTH_RADIUS_M) * 1e-3


def test_zero_budget_is_the_scenario_without_the_section_bit_for_bit():
    zero = engine.run_block(_variant(dv_budget_m_s="dv_budget_m_s = 0.0"), 0, N)
    plain = engine.run_block(load_scenario("iss-early"), 0, N)
    skip = ("maintenance_", "operations.altitude_maintenance.")
    assert set(plain) == {k for k in zero if not k.startswith(skip)}
    assert _digest(zero, skip) == _digest(plain, skip)
    np.testing.assert_array_equal(zero["history_sma_alt_km"], plain["history_sma_alt_km"])
    assert (zero["maintenance_dv_m_s"] == 0).all()
    assert (zero["maintenance_end_reason"] == EndReason.NO_VEHICLE).all()
    np.testing.assert_array_equal(zero["maintenance_end_epoch_utc_days"],
                                  zero["start.epoch_utc"])


def test_the_section_adds_outputs_only_where_it_is():
    assert not any(k.startswith("maintenance_") for k in
                   engine.run_block(load_scenario("iss-early"), 0, 2))
    assert "operations.altitude_maintenance.dv_budget_m_s" in MAINTAINED.uncertain()


@pytest.mark.parametrize("p_fail", [0.0, 0.05])
def test_unlimited_budget_leaves_natural_decay_to_the_failure_floor(p_fail):
    s = _variant(dv_budget_m_s="dv_budget_m_s = 1e5", dv_per_reboost_m_s=(
        "dv_per_reboost_m_s = 50.0"), failure_probability=f"failure_probability = {p_fail}")
    out = engine.run_block(s, 0, N)
    natural = out["outcome"] == Outcome.UNCONTROLLED_NATURAL
    failed = out["maintenance_end_reason"] == EndReason.FAILURE
    assert not (natural & ~failed).any()   # natural decay before the vehicle: failures only
    if p_fail == 0.0:
        assert not natural.any() and not failed.any()
        assert (out["maintenance_end_reason"] == EndReason.READY).all()
    # the same samples without maintenance: some came down naturally before the vehicle
    plain = engine.run_block(load_scenario("iss-early"), 0, N)
    assert (plain["outcome"] == Outcome.UNCONTROLLED_NATURAL).sum() >= 3


@pytest.mark.parametrize("thrust", [None, "thrust_n = 2000.0"])
def test_dv_accounting_and_vis_viva(thrust):
    """Spent = the sum of the reboosts flown, within the budget; each reboost's rise of the
    mean altitude matches vis-viva for its burns within 1 % + 20 m (J2 in the mean
    elements, the finite burns' arcs: measured <= 0.15 % impulsive; and the drag over the
    half orbit between the burns, <= ~10 m at 385 km)."""
    s = MAINTAINED if thrust is None else _variant(thrust_n=thrust)
    blk = _flown(s)
    led = blk.maintenance
    assert led.log, "no reboost flown"
    total = np.zeros(N)
    for e in led.log:
        total[e["sample"]] += e["dv_m_s"]
        rise = e["alt_after_km"] - e["alt_before_km"]
        expected = _vis_viva_alt_km(e["alt_before_km"], e["dv_m_s"]) - e["alt_before_km"]
        assert abs(rise - expected) <= 0.01 * expected + 0.02, e
        assert 0 < e["dv_m_s"] <= s.operations.altitude_maintenance.dv_per_reboost_m_s
    np.testing.assert_allclose(led.dv_m_s, total, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(led.reboosts, np.bincount(
        [e["sample"] for e in led.log], minlength=N))
    budget = blk.x["operations.altitude_maintenance.dv_budget_m_s"]
    assert (led.dv_m_s <= budget + 1e-9).all()
    spent = led.end_reason == EndReason.BUDGET_SPENT
    np.testing.assert_allclose(led.dv_m_s[spent], budget[spent], rtol=1e-12)


def test_the_mean_altitude_stays_in_the_band_while_maintained():
    """Until maintenance ends, no stored mean altitude is below the trigger by more than a
    day's decay, none above the target by more than a burn's eccentricity."""
    out = engine.run_block(MAINTAINED, 0, N)
    m = MAINTAINED.operations.altitude_maintenance
    t = out["start.epoch_utc"][:, None] + flight.history_days(MAINTAINED)[None, :]
    kept = t < out["maintenance_end_epoch_utc_days"][:, None]
    hist = out["history_sma_alt_km"][kept]
    assert kept.sum() > N
    assert hist.min() >= m.trigger_altitude_km - 1.0
    assert hist.max() <= max(m.target_altitude_km, out["orbit.mean_altitude_km"].max()) + 1.0


def test_propellant_budget_is_the_rocket_equation():
    s = _variant(dv_budget_m_s="propellant_kg = 1500.0\nisp_s = 300.0")
    blk = _flown(s, 12)
    mass = blk.x["vehicle.mass_kg"]
    budget = 300.0 * maintenance.STANDARD_GRAVITY_M_S2 * np.log(mass / (mass - 1500.0))
    led = blk.maintenance
    assert (led.dv_m_s <= budget + 1e-9).all()
    spent = led.end_reason == EndReason.BUDGET_SPENT
    assert spent.any()
    np.testing.assert_allclose(led.dv_m_s[spent], budget[spent], rtol=1e-12)


def test_resupply_at_its_dates():
    """No delta-v at the start; a vehicle with 8 m/s arrives on 2027-10-01: no reboost
    before it, at most 8 m/s spent."""
    s = _variant(dv_budget_m_s='dv_budget_m_s = 0.0\nresupply_utc = ["2027-10-01"]\n'
                               "resupply_dv_m_s = 8.0")
    blk = _flown(s)
    arrival = epoch_from_datetime("2027-10-01")
    led = blk.maintenance
    assert led.log and min(e["epoch_utc_days"] for e in led.log) >= arrival
    assert (led.dv_m_s <= 8.0 + 1e-9).all()
    # samples whose vehicle was ready before the arrival ended "no vehicle" at the start
    ready = blk.x["operations.deorbit_vehicle.ready_utc"]
    early = ready <= arrival
    assert (led.end_reason[early] == EndReason.NO_VEHICLE).all()


@pytest.mark.parametrize("edit, key, allowed", [
    ({"dv_budget_m_s": "dv_budget_m_s = -1.0"}, "operations.altitude_maintenance.dv_budget_m_s",
     "draws must lie in"),
    ({"dv_budget_m_s": "propellant_kg = 10.0\ndv_budget_m_s = 1.0"},
     "operations.altitude_maintenance.dv_budget_m_s", "one of them"),
    ({"target_altitude_km": "target_altitude_km = 380.0"},
     "operations.altitude_maintenance.target_altitude_km", "allowed > 385"),
    ({"dv_budget_m_s": "dv_budget_m_s = 5.0\nresupply_dv_m_s = 3.0"},
     "operations.altitude_maintenance.resupply_dv_m_s", "only with resupply"),
    ({"dv_budget_m_s": 'dv_budget_m_s = 5.0\nresupply_utc = ["2027-13-01"]\n'
                       "resupply_dv_m_s = 3.0"},
     "operations.altitude_maintenance.resupply_utc.0", "ISO 8601"),
    ({"dv_budget_m_s": "dv_budget_m_s = 5.0\nreboost_dv = 3.0"},
     "operations.altitude_maintenance.reboost_dv", "unknown key"),
])
def test_errors_name_the_key(edit, key, allowed):
    with pytest.raises(ScenarioError) as err:
        _variant(**edit)
    assert f"{key} " in str(err.value) and allowed in str(err.value)
    assert "\n" not in str(err.value)


def test_until_utc_is_required_without_a_deorbit_vehicle():
    text = load_scenario("iss-uncontrolled").text + (
        "\n[operations.altitude_maintenance]\ntrigger_altitude_km = 385.0\n"
        "target_altitude_km = 410.0\ndv_budget_m_s = 10.0\ndv_per_reboost_m_s = 5.0\n")
    if "[operations]" in text:
        pytest.skip("iss-uncontrolled has an [operations] table")
    with pytest.raises(ScenarioError, match=r"operations.altitude_maintenance.until_utc is "
                                            "required"):
        parse_scenario(text, source="test")
    s = parse_scenario(text.replace("dv_budget_m_s = 10.0", 'dv_budget_m_s = 10.0\n'
                                    'until_utc = "2031-06-01"'), source="test")
    out = engine.run_block(s, 0, 4)
    until = np.maximum(epoch_from_datetime("2031-06-01"), out["start.epoch_utc"])
    assert (out["maintenance_end_epoch_utc_days"] <= until).all()
    assert (out["maintenance_end_reason"] != EndReason.NO_VEHICLE).all()


def test_a_block_split_gives_the_same_samples():
    """The maintenance's draws (budget, failures per reboost) are per block and key path:
    the first samples of a block are the same whatever its length."""
    s = _variant(failure_probability="failure_probability = 0.2")
    long, short = engine.run_block(s, 0, 16), engine.run_block(s, 0, 6)
    for key in ("maintenance_dv_m_s", "maintenance_end_reason", "outcome",
                "maintenance_end_epoch_utc_days"):
        np.testing.assert_array_equal(long[key][:6], short[key])


def test_resupply_at_a_rate():
    """iss-2028-maintained with nothing on hand and a band just below the start: every
    reboost waits for a Dragon of the Poisson process (none at the start epoch), and the
    draws of the arrivals are the block's, whatever its length."""
    text = load_scenario("iss-2028-maintained").text
    text = text.replace('dv_budget_m_s = { dist = "uniform", low = 0.0, high = 9.0 }',
                        "dv_budget_m_s = 0.0").replace(
        "trigger_altitude_km = 385.0", "trigger_altitude_km = 405.0").replace(
        "target_altitude_km = 410.0", "target_altitude_km = 415.0")
    s = parse_scenario(text, source="test")
    blk = _flown(s, 12)
    led = blk.maintenance
    assert led.log
    start = blk.x["start.epoch_utc"]
    assert all(e["epoch_utc_days"] > start[e["sample"]] for e in led.log)
    assert {int(r) for r in led.end_reason} <= {EndReason.READY, EndReason.BUDGET_SPENT,
                                                EndReason.NO_VEHICLE, EndReason.FAILURE}
    short = engine.run_block(s, 0, 5)
    np.testing.assert_array_equal(short["maintenance_dv_m_s"], led.dv_m_s[:5])
