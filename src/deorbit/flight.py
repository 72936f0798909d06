"""One block's flight: each sample from its start to breakup (or the horizon).

The natural decay from the end of station keeping; then, if the deorbit vehicle comes in
time, its sequence: decay to the lowering altitude, the lowering burns, the final burn timed
to hit the target (:mod:`deorbit.operations`), and the descent to breakup. A
:class:`FlightBlock` holds the block's per-sample results and flies the samples through the
block's :class:`~deorbit.environment.Environment`; the altitude history is recorded along
every piece of every flight.
"""
from __future__ import annotations

import numpy as np

from . import fall, frames, maintenance, operations, orbits, sampling
from .constants import DAYS_PER_YEAR, EARTH_RADIUS_M, SECONDS_PER_DAY
from .environment import density_models, environment
from .kernel import Status, mean_circular_elements, propagate

__all__ = ["HISTORY_STEP_DAYS", "MEAN_MAX_STEP_DAYS", "FlightBlock", "Outcome", "fly",
           "history_days"]

#: Spacing of the stored altitude history (days after each sample's start epoch).
HISTORY_STEP_DAYS = 30.0
#: Longest mean-element step, days (steps are also limited to 2 km of decay). With daily
#: indices a step sees the time-mean of the daily densities it spans: on a block of
#: iss-uncontrolled, hybrid lifetimes exceed Cowell's by 0.014-0.079 % with 1-day steps and
#: 0.018-0.085 % with 8-day steps, at 0.6 times the cost (benchmarks/hybrid_accuracy.py,
#: VALIDATION.md).
MEAN_MAX_STEP_DAYS = 8.0
#: The decay to the lowering altitude hands over to Cowell when the mean orbit's lowest
#: altitude is this far above it, km (see _decay_to_lowering).
LOWERING_HANDOVER_KM = 3.0

def history_days(scenario):
    """Times of the stored altitude history, days after each sample's start."""
    horizon = scenario.start.horizon_years * DAYS_PER_YEAR
    return np.arange(0.0, horizon + 0.5 * HISTORY_STEP_DAYS, HISTORY_STEP_DAYS)


class Outcome:
    """Per-sample outcome classes (int8 codes)."""

    CONTROLLED = 0              #: the final burn was made and the debris fell after it
    UNCONTROLLED_FAILURE = 1    #: a burn failed, or the station entered during the sequence
    UNCONTROLLED_NATURAL = 2    #: no deorbit vehicle, or it came too late
    IN_ORBIT = 3                #: still in orbit at the horizon
    NUMERICAL_FAILURE = 4       #: the integrator failed
    NAMES = ("controlled", "uncontrolled after failure", "uncontrolled natural decay",
             "in orbit at horizon", "numerical failure")


def fly(blk, idx, block_index):
    """Samples idx from their start to breakup (or the horizon): natural decay, then the
    deorbit vehicle's sequence if it comes in time; results into blk."""
    scenario, x = blk.scenario, blk.x
    blk.reset(idx)
    start = x["start.epoch_utc"][idx]
    dv = scenario.operations.deorbit_vehicle
    horizon = blk.horizon[idx]
    # Natural decay from the end of station keeping, or from the start under the altitude
    # maintenance (until the deorbit vehicle is ready).
    stop = horizon if dv is None else np.minimum(
        np.maximum(x["operations.deorbit_vehicle.ready_utc"][idx], start), horizon)
    if scenario.operations.altitude_maintenance is None:
        res = blk.decay(idx, start, stop, **_initial(scenario, x, idx))
    else:  # reboosts hold the altitude until the vehicle is ready (or while they last)
        res = maintenance.maintained_decay(blk, idx, start, stop, _initial(scenario, x, idx),
                                           block_index)
    waiting = res.status == Status.HORIZON
    if dv is None:
        blk.outcome[idx[waiting]] = Outcome.IN_ORBIT
    else:
        usable = (waiting & (stop < horizon)
                  & (_sma_alt_km(res.end_state_eci) >= dv.min_altitude_km))
        late = waiting & ~usable
        if late.any():  # the vehicle cannot start: natural decay from there on
            j = idx[late]
            blk.settle(j, blk.decay(j, res.end_epoch_utc_days[late], blk.horizon[j],
                                    res.end_state_eci[late]), Outcome.UNCONTROLLED_NATURAL)
        if usable.any():
            _deorbit_sequence(blk, idx[usable], res.end_epoch_utc_days[usable],
                              res.end_state_eci[usable], block_index)
    blk.solar_history[idx] = blk.env.solar_history(idx, start, blk.brk_epoch[idx],
                                                   blk.history_days)


def _initial(scenario, x, idx):
    """The start of samples idx: ``mean=`` elements of the mean-element orbit, or
    ``state=`` the tracking data's state dispersed by the samples' draws."""
    init = scenario.orbit.initial
    if init is None:
        return {"mean": mean_circular_elements(
            x["orbit.mean_altitude_km"][idx], x["orbit.inclination_deg"][idx],
            x["orbit.raan_deg"][idx], x["orbit.arg_latitude_deg"][idx])}
    z = np.stack([x[f"orbit.dispersion.z{k}"][idx] for k in range(1, 7)], axis=-1)
    return {"state": init.states(z)}


class FlightBlock:
    """The per-sample results of one block, the settings its propagations share, and its
    environment (:func:`deorbit.environment.environment`)."""

    def __init__(self, scenario, x, n, first_sample):
        self.scenario, self.x, self.first_sample = scenario, x, first_sample
        prop = scenario.propagation
        # each sample's density model (None: one for all), and its BC carried over to it
        self.model, bc_scale = density_models(scenario, x)
        self.bc = x["vehicle.ballistic_coefficient_kg_m2"] * bc_scale
        self.scale = x["atmosphere.density_scale"]
        self.breakup_alt = x["breakup.altitude_km"]
        self.horizon = x["start.epoch_utc"] + scenario.start.horizon_years * DAYS_PER_YEAR
        # the latest day a sample's propagations read, at most, after its breakup: a mean
        # step's span, the final-burn targeting's trial shots (window plus their flight)
        dv = scenario.operations.deorbit_vehicle
        margin = 1.0 + max(MEAN_MAX_STEP_DAYS, 0.0 if dv is None else
                           dv.final_window_h / 24.0 + operations.SHOT_DAYS)
        self.env = environment(scenario, x, first_sample, self.horizon, margin,
                               fall.fall_table(scenario))
        self.table, self.lower = self.env.table, self.env.lower
        self.common = dict(entry_alt_km=prop.entry_alt_km, rtol=prop.rtol)
        self.hybrid = dict(handover_alt_km=prop.handover_alt_km,
                           mean_max_step_days=MEAN_MAX_STEP_DAYS)
        self.outcome = np.empty(n, dtype=np.int8)
        self.reentry, self.brk_epoch = np.empty(n), np.empty(n)
        self.brk_state = np.empty((n, 6))
        self.burn_epoch, self.miss = np.empty(n), np.empty(n)
        self.history_days = history_days(scenario)
        self.history = np.empty((n, self.history_days.size))
        self.solar_history = np.empty_like(self.history)
        #: The altitude maintenance's results (None without the section).
        self.maintenance = (None if scenario.operations.altitude_maintenance is None
                            else maintenance.Ledger(n))

    def reset(self, idx):
        """Samples idx back to no result."""
        if self.maintenance is not None:
            self.maintenance.reset(idx)
        self.outcome[idx] = Outcome.UNCONTROLLED_NATURAL
        for a in (self.reentry, self.brk_epoch, self.brk_state, self.burn_epoch, self.miss,
                  self.history, self.solar_history):
            a[idx] = np.nan

    def beyond_window(self):
        """The samples whose solar paths must now run to the horizon (the environment's
        window; see :meth:`deorbit.environment.DailyEnvironment.beyond_window`)."""
        return self.env.beyond_window(self.brk_epoch)

    def record(self, idx, res):
        """Store the altitude history of the samples idx along their propagation res, and
        entry and breakup of those that reached breakup."""
        self.keep_history(idx, res)
        entered = res.status == Status.ENTERED
        j = idx[entered]
        self.reentry[j] = res.entry_epoch_utc_days[entered]
        self.brk_epoch[j] = res.end_epoch_utc_days[entered]
        self.brk_state[j] = res.end_state_eci[entered]
        self.outcome[idx[res.status == Status.NUMERICAL_FAILURE]] = Outcome.NUMERICAL_FAILURE

    def propagate(self, idx, epoch, stop_epoch, state=None, mean=None, method="cowell", **kw):
        """Propagate samples idx down to their breakup altitude or stop_epoch; record."""
        opts = {**self.common, **(self.hybrid if method == "hybrid" else {}), **kw}
        res = self.unrecorded(idx, epoch, stop_epoch, state, method=method,
                              mean_elements=mean, stop_alt_km=self.breakup_alt[idx],
                              **self.history_times(idx), **opts)
        self.record(idx, res)
        return res

    def unrecorded(self, idx, epoch, stop_epoch, state=None, **kw):
        """:func:`deorbit.kernel.propagate` of samples idx with their own ballistic
        coefficient, density table and :meth:`density` arguments, nothing recorded (a
        look-ahead, a leg whose history the caller keeps); ``kw``: the other options."""
        return propagate(epoch, state, self.bc[idx], self.table, stop_epoch,
                         **self.density(idx), **kw)

    def history_times(self, idx):
        """The altitude history's ``propagate`` arguments for samples idx: the history
        times, counted from each sample's start epoch, whatever piece of its flight."""
        return dict(history_days=self.history_days,
                    history_origin_utc_days=self.x["start.epoch_utc"][idx])

    def keep_history(self, idx, res):
        """Add the altitude history of the samples idx along their propagation res: the
        times not stored by an earlier piece of their flight."""
        old = self.history[idx]
        self.history[idx] = np.where(np.isnan(old), res.history_sma_alt_km, old)

    def density(self, idx):
        """The per-sample density arguments of ``propagate`` for samples idx: the density
        scale, the daily indices (None with a static atmosphere) and the density model."""
        return dict(density_scale=self.scale[idx], space_weather=self.env.take(idx),
                    density_model=None if self.model is None else self.model[idx])

    def station(self, idx):
        """The samples idx as the burns see them (:class:`deorbit.operations.Station`):
        their Cowell flights are recorded in the block (breakups, the altitude history, the
        true entry-interface crossing)."""
        return operations.Station(
            self.bc[idx], self.breakup_alt[idx], table=self.table, **self.density(idx),
            entry_alt_km=self.common["entry_alt_km"],
            rtol=self.common["rtol"], history_days=self.history_days,
            history_origin_utc_days=self.x["start.epoch_utc"][idx],
            recorder=_Recorder(self, idx))

    def decay(self, idx, epoch, stop_epoch, state=None, mean=None):
        """Natural decay of samples idx to breakup or stop_epoch, by the scenario's
        ``propagation.method`` ("hybrid" or "cowell")."""
        return self.propagate(idx, epoch, stop_epoch, state, mean,
                              method=self.scenario.propagation.method)

    def settle(self, idx, res, entered_outcome):
        """Outcome of samples idx after their last propagation res."""
        self.outcome[idx] = np.where(
            res.status == Status.ENTERED, entered_outcome,
            np.where(res.status == Status.HORIZON, Outcome.IN_ORBIT, Outcome.NUMERICAL_FAILURE))


def _sma_alt_km(state):
    """Semi-major axis minus R_e of ECI states, km."""
    return (orbits.semi_major_axis_m(state) - EARTH_RADIUS_M) * 1e-3


def _decay_to_lowering(blk, idx, epoch, state, low_km):
    """Natural decay of samples idx until their osculating altitude is first below low_km
    (the lowering burns start there): status (ENTERED when it is), epoch and state.

    With the hybrid method the mean elements fly down to a mean orbit whose lowest
    altitude is LOWERING_HANDOVER_KM above low_km, then Cowell finds the crossing (a
    sample whose osculating altitude is at or below low_km there is at it already).
    """
    status = np.empty(idx.size, dtype=np.int8)
    on = np.ones(idx.size, dtype=bool)        # the samples Cowell flies to the crossing
    if blk.scenario.propagation.method == "hybrid":
        r = blk.unrecorded(idx, epoch, blk.horizon[idx], state, method="hybrid",
                           handover_alt_km=low_km + LOWERING_HANDOVER_KM,
                           stop_at_handover=True, mean_max_step_days=MEAN_MAX_STEP_DAYS,
                           rtol=blk.common["rtol"], **blk.history_times(idx))
        blk.keep_history(idx, r)
        status[:], epoch, state = r.status, r.end_epoch_utc_days, r.end_state_eci
        on = status == Status.HANDED_OVER
        at = on.copy()
        at[on] = frames.altitude_km(state[on, :3]) <= low_km
        status[at] = Status.ENTERED
        on &= ~at
    if on.any():
        j = idx[on]
        r = blk.unrecorded(j, epoch[on], blk.horizon[j], state[on], method="cowell",
                           entry_alt_km=low_km, rtol=blk.common["rtol"],
                           **blk.history_times(j))
        blk.keep_history(j, r)
        status[on] = r.status
        epoch, state = epoch.copy(), state.copy()
        epoch[on], state[on] = r.end_epoch_utc_days, r.end_state_eci
    return status, epoch, state


def _deorbit_sequence(blk, idx, epoch, state, block_index):
    """Decay to the lowering altitude, lowering burns, targeted final burn (samples idx)."""
    scenario, x = blk.scenario, blk.x
    dv = scenario.operations.deorbit_vehicle
    seed, size = scenario.monte_carlo.seed, scenario.monte_carlo.block_size
    n = x["start.epoch_utc"].size
    n_burns = dv.lowering_burns + 1
    fail_u = sampling.stream(seed, block_index, "operations.burn_failures").random(
        (size, n_burns))[:n]
    errors = np.clip(sampling.stream(seed, block_index, "operations.burn_errors")
                     .standard_normal((size, n_burns, 4))[:n], -6.0, 6.0)
    # 1. natural decay down to the lowering altitude (unless already below it)
    low = dv.start_lowering_altitude_km
    above = _sma_alt_km(state) > low
    if above.any():
        j = idx[above]
        status, end, y = _decay_to_lowering(blk, j, epoch[above], state[above], low)
        lost = status != Status.ENTERED    # still above at the horizon, or a failure
        blk.outcome[j[status == Status.HORIZON]] = Outcome.IN_ORBIT
        blk.outcome[j[status == Status.NUMERICAL_FAILURE]] = Outcome.NUMERICAL_FAILURE
        epoch, state = epoch.copy(), state.copy()
        epoch[above], state[above] = end, y
        keep = np.ones(idx.size, dtype=bool)
        keep[np.flatnonzero(above)[lost]] = False
        idx, epoch, state = idx[keep], epoch[keep], state[keep]
    # 2. lowering burns, then the targeted final burn
    spacing = dv.burn_spacing_h / 24.0
    for k in range(n_burns):
        if idx.size == 0:
            return
        final = k == n_burns - 1
        t_burn = epoch + (spacing if k > 0 else 0.0)
        if final:  # coast to the window, then solve for the burn time within it
            idx, epoch, state = _coast(blk, idx, epoch, state, t_burn)
            if idx.size == 0:
                return
            final_dv = x["operations.deorbit_vehicle.final_burn_dv_m_s"][idx]
            t_burn, blk.miss[idx] = operations.target_final_burn(
                epoch, state, dv.final_window_h * 3600.0, final_dv,
                operations.Station(blk.bc[idx], blk.breakup_alt[idx], table=blk.table,
                                   **blk.density(idx),
                                   entry_alt_km=blk.common["entry_alt_km"]),
                fall.reference_fragment_bc(scenario), blk.lower,
                scenario.ground.target_lat_deg, scenario.ground.target_lon_deg,
                duration_s=_burn_duration_s(dv, x, idx, final_dv))
            blk.burn_epoch[idx] = t_burn
        t_exec = t_burn + dv.timing_error_s * errors[idx, k, 3] / SECONDS_PER_DAY
        no_solution = ~np.isfinite(t_exec)
        t_exec = np.where(no_solution, epoch, np.maximum(t_exec, epoch))
        failed = (fail_u[idx, k] < dv.failure_probability) | no_solution
        idx, epoch, state, alive = _coast(blk, idx, epoch, state, t_exec, with_mask=True)
        failed = failed[alive]
        if failed.any():  # the station stays on its orbit and decays uncontrolled
            j = idx[failed]
            blk.settle(j, blk.decay(j, epoch[failed], blk.horizon[j], state[failed]),
                       Outcome.UNCONTROLLED_FAILURE)
            idx, epoch, state = idx[~failed], epoch[~failed], state[~failed]
        key = "final_burn_dv_m_s" if final else "lowering_burn_dv_m_s"
        size = x[f"operations.deorbit_vehicle.{key}"][idx]
        epoch, state, at_breakup = operations.fire(
            epoch, state, size, errors[idx, k, :3], dv.dv_error_frac, dv.pointing_error_deg,
            _burn_duration_s(dv, x, idx, size), blk.station(idx))
        if at_breakup.any():   # the station entered during the burn (finite burns)
            blk.outcome[idx[at_breakup]] = (Outcome.CONTROLLED if final
                                            else Outcome.UNCONTROLLED_FAILURE)
            keep = ~at_breakup
            idx, epoch, state = idx[keep], epoch[keep], state[keep]
    # 3. after the final burn: down to breakup
    if idx.size:
        blk.settle(idx, blk.propagate(idx, epoch, blk.horizon[idx], state), Outcome.CONTROLLED)


class _Recorder:
    """What a block's station reports back: each flight, and the entry-interface crossing of
    the rows its coasts carried on to breakup (``rows`` index the samples ``idx``)."""

    def __init__(self, blk, idx):
        self.blk, self.idx = blk, idx

    def flown(self, rows, res):
        self.blk.record(self.idx[rows], res)

    def entered(self, rows, entry_epoch_utc_days):
        self.blk.reentry[self.idx[rows]] = entry_epoch_utc_days   # the real 120 km crossing


def _burn_duration_s(dv, x, idx, size_m_s):
    """Burn durations m dv / thrust, s (0 for impulsive burns)."""
    if dv.thrust_n == 0.0:
        return 0.0
    return x["vehicle.mass_kg"][idx] * size_m_s / dv.thrust_n


def _coast(blk, idx, epoch, state, until, with_mask=False):
    """Cowell from epoch to until; samples that enter on the way are uncontrolled.

    The coast stops at the breakup altitude, so an entry is recorded with its breakup; a
    sample that crossed the entry interface but is still above breakup at ``until`` flies
    on to breakup too (:meth:`operations.Station.coast`): no burn is made inside the
    atmosphere. Returns the samples still in orbit with their states at ``until`` (and the
    mask).
    """
    status, t, y = blk.station(idx).coast(np.arange(idx.size), epoch, state, until)
    blk.outcome[idx[status == Status.ENTERED]] = Outcome.UNCONTROLLED_FAILURE
    alive = status == Status.HORIZON
    out = idx[alive], t[alive], y[alive]
    return (*out, alive) if with_mask else out
