"""Altitude maintenance: reboosts that hold the station's mean altitude in a band until the
deorbit vehicle is ready (``[operations.altitude_maintenance]``), while their delta-v lasts.

The policy, per sample, from the start epoch (the last reboost of the scenario without
maintenance) to the end of maintenance (the deorbit vehicle ready, or ``until_utc`` if
earlier):

1. The station decays naturally. Its mean altitude (semi-major axis minus R_e, the kernel's
   orbit-averaged elements) is checked once a day (every :data:`CHECK_STEP_DAYS` after the
   last reboost); a reboost is due at the first check at or below ``trigger_altitude_km``.
2. A reboost raises the mean altitude to ``target_altitude_km``: the Hohmann delta-v for it
   (:func:`hohmann_dv_m_s`), at most ``dv_per_reboost_m_s`` and at most the delta-v on
   hand. It is flown as two equal prograde burns half an orbit apart, by the deorbit
   sequence's burn machinery (:func:`deorbit.operations.fire`: impulsive, or finite with
   ``thrust_n``), nominal (no execution errors).
3. The delta-v on hand is the sampled budget (``dv_budget_m_s``, or ``propellant_kg``
   through the rocket equation on ``vehicle.mass_kg``), plus what each reboost vehicle
   brings (``resupply_dv_m_s``) when it arrives (``resupply_utc``, or a Poisson process of
   ``resupply_per_year`` from the start). A reboost due with nothing on hand waits for the
   next vehicle, if one arrives before the end.
4. A reboost fails with ``failure_probability``; a failure ends maintenance (the station
   stays on its orbit and decays from there on; another vehicle's retry is not modelled).

Each sample records the delta-v it spent (``maintenance_dv_m_s``), its reboosts
(``maintenance_reboosts``), the epoch when maintenance ended
(``maintenance_end_epoch_utc_days``) and why (``maintenance_end_reason``,
:class:`EndReason`). After the end the flight goes on as without maintenance (natural decay
to the deorbit vehicle's readiness, then its sequence; :mod:`deorbit.flight`).

A sample with no delta-v at all (nothing on hand, no vehicle before the end) is flown
exactly as without the section, so a zero budget gives the same results bit for bit. New
random draws have their own streams (:func:`deorbit.sampling.stream`, keyed by path:
``operations.altitude_maintenance.reboost_failures.K`` for the K-th reboost of each sample,
``...resupply_arrivals`` for the Poisson arrivals), so no existing stream moves.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import operations, sampling
from .constants import DAYS_PER_YEAR, EARTH_RADIUS_M, MU_M3_S2, SECONDS_PER_DAY
from .kernel import Status

__all__ = ["CHECK_STEP_DAYS", "EndReason", "Ledger", "STANDARD_GRAVITY_M_S2",
           "hohmann_dv_m_s", "maintained_decay", "mean_altitude_km", "reboost"]

#: Days between two checks of the mean altitude.
CHECK_STEP_DAYS = 1.0
#: Standard gravity g0 of the rocket equation, m/s^2 (CGPM 1901).
STANDARD_GRAVITY_M_S2 = 9.80665
#: Entry altitude of the look-ahead propagations that find the next reboost (km), and the
#: hand-over 10 km above it: a look-ahead that falls this low stays in the cheap
#: mean-element phase (only its first crossing of the trigger, far above, is read).
_PEEK_ENTRY_ALT_KM = 100.0
#: Poisson arrivals drawn per sample: rate x horizon + 8 sqrt(rate x horizon) + 10 (the
#: chance of more arrivals before the horizon is below 1e-12).
_ARRIVALS_SIGMAS = 8.0


class EndReason:
    """Why maintenance ended (int8 codes of ``maintenance_end_reason``)."""

    READY = 0          #: the end came (deorbit vehicle ready, or until_utc) while maintained
    BUDGET_SPENT = 1   #: a reboost was due, the delta-v was spent, and no vehicle was to come
    #: a reboost was due and no delta-v had ever been on hand (none at the start, no vehicle
    #: arrived before the end: then maintenance ends at the start), or the station re-entered
    #: before a reboost could be made (waiting for the next vehicle)
    NO_VEHICLE = 2
    FAILURE = 3        #: a reboost failed (or the station reached breakup during one)
    NAMES = ("deorbit vehicle ready (or until_utc)", "delta-v budget spent",
             "no reboost vehicle", "reboost failure")


class Ledger:
    """A block's maintenance results per sample, and the log of every reboost flown.

    Attributes
    ----------
    dv_m_s, reboosts, end_epoch_utc_days, end_reason : ndarray (n,)
        Delta-v spent (m/s), reboosts flown, end of maintenance (UTC days since J2000) and
        its :class:`EndReason`.
    log : list of dict
        One entry per reboost flown: ``sample`` (index in the block), ``epoch_utc_days``
        (first burn), ``dv_m_s``, ``alt_before_km`` and ``alt_after_km`` (mean altitudes,
        semi-major axis minus R_e, before the first burn and after the second).
    """

    def __init__(self, n):
        self.dv_m_s = np.zeros(n)
        self.reboosts = np.zeros(n, dtype=np.int32)
        self.end_epoch_utc_days = np.full(n, np.nan)
        self.end_reason = np.full(n, EndReason.NO_VEHICLE, dtype=np.int8)
        self.log = []

    def reset(self, idx):
        """Samples idx back to no maintenance (flown again from the start)."""
        self.dv_m_s[idx] = 0.0
        self.reboosts[idx] = 0
        self.end_epoch_utc_days[idx] = np.nan
        self.end_reason[idx] = EndReason.NO_VEHICLE
        gone = set(np.asarray(idx).tolist())
        self.log = [e for e in self.log if e["sample"] not in gone]

    def end(self, idx, epoch, reason):
        self.end_epoch_utc_days[idx] = epoch
        self.end_reason[idx] = reason

    def arrays(self):
        """The per-sample outputs, under their names in a block."""
        return {"maintenance_dv_m_s": self.dv_m_s, "maintenance_reboosts": self.reboosts,
                "maintenance_end_epoch_utc_days": self.end_epoch_utc_days,
                "maintenance_end_reason": self.end_reason}


@dataclass(frozen=True)
class Flown:
    """Where samples are at the end of the maintained natural decay (as the parts of
    :class:`deorbit.kernel.PropagationResult` that the flight reads)."""

    status: np.ndarray
    end_epoch_utc_days: np.ndarray
    end_state_eci: np.ndarray


def hohmann_dv_m_s(from_alt_km, to_alt_km):
    """Total delta-v of a Hohmann transfer between circular orbits, m/s (vis-viva).

    Parameters
    ----------
    from_alt_km, to_alt_km : ndarray
        Semi-major axes minus R_e, km.
    """
    a1 = EARTH_RADIUS_M + 1e3 * np.asarray(from_alt_km, dtype=np.float64)
    a2 = EARTH_RADIUS_M + 1e3 * np.asarray(to_alt_km, dtype=np.float64)
    at = 0.5 * (a1 + a2)
    return (np.abs(np.sqrt(MU_M3_S2 * (2.0 / a1 - 1.0 / at)) - np.sqrt(MU_M3_S2 / a1))
            + np.abs(np.sqrt(MU_M3_S2 / a2) - np.sqrt(MU_M3_S2 * (2.0 / a2 - 1.0 / at))))


def mean_altitude_km(blk, idx, epoch, state):
    """Mean altitude (the kernel's orbit-averaged semi-major axis minus R_e) of samples idx
    at (epoch, osculating ECI state), km."""
    res = blk.unrecorded(idx, epoch, epoch, state, method="hybrid",
                         entry_alt_km=_PEEK_ENTRY_ALT_KM,
                         handover_alt_km=_PEEK_ENTRY_ALT_KM + 10.0, history_days=[0.0])
    return res.history_sma_alt_km[:, 0]


def reboost(station, epoch, state, dv_m_s, duration_s=0.0):
    """A reboost: two equal prograde burns of dv/2, the second half an orbit after the
    first (:func:`deorbit.operations.fire`, nominal; the orbit stays near circular).

    Parameters
    ----------
    station : deorbit.operations.Station
        The rows' station (its coasts carry them between the burns).
    epoch, state : ndarray (n,), (n, 6)
        First burn's start, UTC days since J2000, and the ECI state there (m, m/s).
    dv_m_s : ndarray (n,)
        Total delta-v, m/s.
    duration_s : float or ndarray (n,)
        Duration of each burn, s (0: impulsive).

    Returns
    -------
    epoch, state, at_breakup : ndarray (n,), (n, 6), bool (n,)
        After the second burn; ``at_breakup`` rows reached breakup on the way.
    """
    n = epoch.size
    rows = np.arange(n)
    none = np.zeros((n, 3))
    half = -0.5 * np.asarray(dv_m_s, dtype=np.float64)   # fire burns along -v: negative is prograde
    t, y, at_breakup = operations.fire(epoch, state, half, none, 0.0, 0.0, duration_s, station)
    alive = ~at_breakup
    if alive.any():
        r = rows[alive]
        a = np.linalg.norm(y[r, :3], axis=1)
        period_s = 2.0 * np.pi * np.sqrt(a**3 / MU_M3_S2)
        dur = np.broadcast_to(np.asarray(duration_s, dtype=np.float64), (n,))[r]
        # the second burn centred half an orbit after the first one's centre
        st, t[r], y[r] = station.coast(r, t[r], y[r],
                                       t[r] + (0.5 * period_s - dur) / SECONDS_PER_DAY)
        at_breakup[r[st == Status.ENTERED]] = True
        go = r[st == Status.HORIZON]
        if go.size:
            t[go], y[go], brk = operations.fire(
                t[go], y[go], half[go], none[go], 0.0, 0.0,
                np.broadcast_to(np.asarray(duration_s, dtype=np.float64), (n,))[go],
                _Rows(station, go))
            at_breakup[go[brk]] = True
    return t, y, at_breakup


class _Rows:
    """A station seen through a subset of its rows (so that its recorder keeps the
    block's sample indices): ``coast(rows, ...)`` of the subset is ``coast(go[rows], ...)``."""

    def __init__(self, station, go):
        self.station, self.go = station, go

    def coast(self, rows, epoch, state, until):
        return self.station.coast(self.go[rows], epoch, state, until)


def maintained_decay(blk, idx, start, stop, initial, block_index):
    """The natural decay of samples idx from ``start`` to ``stop`` (the deorbit vehicle
    ready, or the horizon) under the scenario's altitude maintenance.

    Parameters
    ----------
    blk : deorbit.flight.FlightBlock
        The block (its ``maintenance`` :class:`Ledger` receives the results).
    idx : ndarray of int
        The samples (indices in the block).
    start, stop : ndarray (n,)
        UTC days since J2000.
    initial : dict
        The samples' start: ``mean=`` elements or ``state=`` osculating states (n, 6).
    block_index : int
        The block (its random streams).

    Returns
    -------
    Flown
        Status (:class:`deorbit.kernel.Status`), epoch and state of each sample at the end
        of the decay (``stop``, unless it re-entered or failed first).
    """
    m, x = blk.scenario.operations.altitude_maintenance, blk.x
    led = blk.maintenance
    n = idx.size
    end = np.clip(stop if m.until_utc is None
                  else np.minimum(stop, x["operations.altitude_maintenance.until_utc"][idx]),
                  start, stop)
    on_hand = _budget_m_s(blk.scenario, x, idx)
    arrivals = _arrivals(blk, idx, block_index, start)
    arrival_dv = (np.zeros(n) if m.resupply_dv_m_s is None
                  else x["operations.altitude_maintenance.resupply_dv_m_s"][idx])
    status = np.full(n, Status.HORIZON, dtype=np.int8)
    t, y = start.astype(np.float64).copy(), np.full((n, 6), np.nan)
    # No delta-v at all, or nothing to maintain: the natural decay as without the section
    # (bit for bit).
    bare = (on_hand <= 0.0) & ~np.any(arrivals < end[:, None], axis=1)
    plain = bare | (end <= start)
    led.end(idx[plain], start[plain], np.where(bare[plain], EndReason.NO_VEHICLE,
                                               EndReason.READY))
    live = np.flatnonzero(~plain)
    if live.size:
        y[live] = _osculating(blk, idx[live], start[live],
                              {k: v[live] for k, v in initial.items()})
    credited = np.zeros(n, dtype=np.int64)        # arrivals counted into on_hand so far
    wait_until = np.full(n, np.nan)               # waiting for a vehicle arriving then
    failures = _FailureDraws(blk, block_index)
    while live.size:
        # 1. when the next reboost is due (or the vehicle waited for arrives)
        waiting = np.isfinite(wait_until[live])
        due = np.where(waiting, wait_until[live], np.inf)
        look = live[~waiting]
        if look.size:
            due[~waiting] = _next_due(blk, idx[look], t[look], y[look], end[look],
                                      m.trigger_altitude_km)
        # 2. natural decay to then (or to the end)
        until = np.minimum(due, end[live])
        r = blk.decay(idx[live], t[live], until, y[live])
        t[live], y[live] = r.end_epoch_utc_days, r.end_state_eci
        down = r.status != Status.HORIZON
        status[live[down]] = r.status[down]
        led.end(idx[live[down]], t[live[down]], EndReason.NO_VEHICLE)
        done = ~down & (due >= end[live])
        led.end(idx[live[done]], t[live[done]], EndReason.READY)
        j = live[~down & ~done]
        wait_until[j] = np.nan
        # 3. the reboosts due: the delta-v on hand, with the vehicles arrived by now
        arrived = np.sum(arrivals[j] <= t[j, None], axis=1)
        on_hand[j] += (arrived - credited[j]) * arrival_dv[j]
        credited[j] = arrived
        empty = on_hand[j] <= 0.0
        nxt = np.min(np.where(arrivals[j] > t[j, None], arrivals[j], np.inf), axis=1)
        wait = empty & (nxt < end[j])
        wait_until[j[wait]] = nxt[wait]
        out = empty & ~wait
        spent = led.dv_m_s[idx[j]] > 0.0
        led.end(idx[j[out]], t[j[out]],
                np.where(spent[out], EndReason.BUDGET_SPENT, EndReason.NO_VEHICLE))
        go = j[~empty]
        failed = failures.failed(idx[go], led.reboosts[idx[go]], m.failure_probability)
        led.end(idx[go[failed]], t[go[failed]], EndReason.FAILURE)
        go = go[~failed]
        if go.size:
            _fly_reboosts(blk, idx, go, t, y, on_hand, status, m)
        go = go[status[go] == Status.HORIZON]
        over = t[go] >= end[go]       # the end came during the reboost
        led.end(idx[go[over]], t[go[over]], EndReason.READY)
        live = np.sort(np.concatenate([j[wait], go[~over]]))
    # after maintenance: natural decay to stop, from where it ended
    ended = np.flatnonzero(~plain & (status == Status.HORIZON) & (t < stop))
    if ended.size:
        r = blk.decay(idx[ended], t[ended], stop[ended], y[ended])
        status[ended], t[ended], y[ended] = r.status, r.end_epoch_utc_days, r.end_state_eci
    b = np.flatnonzero(plain)
    if b.size:
        r = blk.decay(idx[b], start[b], stop[b], **{k: v[b] for k, v in initial.items()})
        status[b], t[b], y[b] = r.status, r.end_epoch_utc_days, r.end_state_eci
    return Flown(status, t, y)


def _fly_reboosts(blk, idx, go, t, y, on_hand, status, m):
    """Fly the reboosts of samples ``go`` (positions in idx) at (t, y): sized to the target,
    capped by ``dv_per_reboost_m_s`` and the delta-v on hand; the ledger, t, y, on_hand
    and status updated in place."""
    led = blk.maintenance
    k = idx[go]
    before = mean_altitude_km(blk, k, t[go], y[go])
    dv = np.minimum(np.minimum(hohmann_dv_m_s(before, m.target_altitude_km),
                               m.dv_per_reboost_m_s), on_hand[go])
    duration = (0.0 if m.thrust_n == 0.0
                else blk.x["vehicle.mass_kg"][k] * 0.5 * dv / m.thrust_n)
    t0 = t[go].copy()
    t[go], y[go], at_breakup = reboost(blk.station(k), t[go], y[go], dv, duration)
    on_hand[go] -= dv
    led.dv_m_s[k] += dv
    led.reboosts[k] += 1
    status[go[at_breakup]] = Status.ENTERED
    led.end(k[at_breakup], t[go[at_breakup]], EndReason.FAILURE)
    ok = ~at_breakup
    after = np.full(go.size, np.nan)
    if ok.any():
        after[ok] = mean_altitude_km(blk, k[ok], t[go[ok]], y[go[ok]])
    led.log.extend({"sample": int(s), "epoch_utc_days": float(e), "dv_m_s": float(d),
                    "alt_before_km": float(b), "alt_after_km": float(a)}
                   for s, e, d, b, a in zip(k, t0, dv, before, after))


def _next_due(blk, idx, epoch, state, end, trigger_km):
    """Epoch of the first daily check after ``epoch`` at which the mean altitude is at or
    below ``trigger_km`` (inf if none before ``end``): a look-ahead in mean elements with
    steps of at most :data:`CHECK_STEP_DAYS` (a history time records the state at the end
    of its step, so longer steps would see the crossing early), the mean altitude recorded
    every :data:`CHECK_STEP_DAYS`."""
    span = float(np.max(end - epoch))
    days = np.arange(CHECK_STEP_DAYS, span + 0.5 * CHECK_STEP_DAYS, CHECK_STEP_DAYS)
    if days.size == 0:
        return np.full(idx.size, np.inf)
    res = blk.unrecorded(idx, epoch, end, state, method="hybrid",
                         entry_alt_km=_PEEK_ENTRY_ALT_KM,
                         handover_alt_km=_PEEK_ENTRY_ALT_KM + 10.0,
                         mean_max_step_days=CHECK_STEP_DAYS, rtol=blk.common["rtol"],
                         history_days=days)
    check = epoch[:, None] + days[None, :]
    low = (res.history_sma_alt_km <= trigger_km) & (check < end[:, None])
    first = np.argmax(low, axis=1)
    return np.where(low.any(axis=1), epoch + days[first], np.inf)


def _osculating(blk, idx, epoch, initial):
    """Osculating ECI states of the samples' start (``initial``: ``state=`` as is, or
    ``mean=`` elements through the kernel's mean-to-osculating conversion)."""
    if "state" in initial:
        return np.asarray(initial["state"], dtype=np.float64).copy()
    res = blk.unrecorded(idx, epoch, epoch, method="hybrid", mean_elements=initial["mean"],
                         entry_alt_km=_PEEK_ENTRY_ALT_KM,
                         handover_alt_km=_PEEK_ENTRY_ALT_KM + 10.0)
    return res.end_state_eci


def _budget_m_s(scenario, x, idx):
    """Delta-v on hand at the start, m/s: the budget, or the propellant's by the rocket
    equation dv = Isp g0 ln(m / (m - m_p)) on the station's mass."""
    m, key = scenario.operations.altitude_maintenance, "operations.altitude_maintenance"
    if m.dv_budget_m_s is not None:
        return x[f"{key}.dv_budget_m_s"][idx].astype(np.float64).copy()
    mass, prop = x["vehicle.mass_kg"][idx], x[f"{key}.propellant_kg"][idx]
    return m.isp_s * STANDARD_GRAVITY_M_S2 * np.log(mass / (mass - prop))


def _arrivals(blk, idx, block_index, start):
    """Arrival epochs of the reboost vehicles (n, K), UTC days since J2000 (inf: none):
    the sampled dates, or a Poisson process of ``resupply_per_year`` from the start."""
    scenario, x = blk.scenario, blk.x
    m, key = scenario.operations.altitude_maintenance, "operations.altitude_maintenance"
    if m.resupply_utc:
        return np.stack([x[f"{key}.resupply_utc.{i}"][idx]
                         for i in range(len(m.resupply_utc))], axis=1)
    if m.resupply_per_year == 0.0:
        return np.full((idx.size, 1), np.inf)
    mc = scenario.monte_carlo
    lam = m.resupply_per_year * scenario.start.horizon_years
    k = int(np.ceil(lam + _ARRIVALS_SIGMAS * np.sqrt(lam) + 10))
    gaps_yr = sampling.stream(mc.seed, block_index, f"{key}.resupply_arrivals").exponential(
        1.0 / m.resupply_per_year, (mc.block_size, k))[: blk.x["start.epoch_utc"].size]
    return start[:, None] + np.cumsum(gaps_yr[idx], axis=1) * DAYS_PER_YEAR


class _FailureDraws:
    """The uniform draws deciding the reboosts' failures: one stream per reboost number K
    (``operations.altitude_maintenance.reboost_failures.K``), a value per sample of the
    block, so that a sample's K-th reboost sees the same draw whatever the others do."""

    def __init__(self, blk, block_index):
        mc = blk.scenario.monte_carlo
        self.seed, self.block_index, self.size = mc.seed, block_index, mc.block_size
        self.cache = {}

    def failed(self, samples, k, probability):
        """Whether the k-th reboost (k per sample, 0-based) of each sample fails."""
        if probability == 0.0:
            return np.zeros(samples.size, bool)
        u = np.empty(samples.size)
        for kk in np.unique(k):
            if kk not in self.cache:
                self.cache[kk] = sampling.stream(
                    self.seed, self.block_index,
                    f"operations.altitude_maintenance.reboost_failures.{kk}").random(self.size)
            sel = k == kk
            u[sel] = self.cache[kk][samples[sel]]
        return u < probability
