"""One Monte Carlo block: draw the inputs, propagate, return per-sample arrays.

:func:`run_block` is pure: no Dask, no files, no global state. The same (scenario, block)
always gives the same arrays, so a block may be retried or recomputed anywhere.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import fragments, frames, operations, sampling
from .atmosphere import DensityTable
from .constants import (
    EARTH_RADIUS_M,
    EARTH_ROTATION_RAD_S,
    FLATTENING,
    MU_M3_S2,
    SECONDS_PER_DAY,
)
from .kernel import DailyIndices, Status, mean_circular_elements, propagate
from .time import utc_days_spanned

#: Spacing of the stored altitude history (days after each sample's start epoch).
HISTORY_STEP_DAYS = 30.0
#: Top of the density table used for the fragments' fall, km.
FALL_TABLE_TOP_KM = 200.0
#: (F10.7a, F10.7, Ap) of the fall table when solar activity varies: a mid-cycle level.
FALL_TABLE_INDICES = (120.0, 120.0, 15.0)
#: DOP853 tolerance of the fragments' fall from breakup to fragments.TERMINAL_ALT_KM (the
#: terminal descent below is analytic). Against the whole fall at 1e-9, on a block of
#: iss-uncontrolled (700 falls): impact points move by 59 m (median), 0.65 km at most, and
#: impact speeds by 4.3 % at most, at a tenth of the cost (benchmarks/fall_accuracy.py);
#: population cells are ~25 km.
FRAGMENT_RTOL = 1e-4
#: DOP853 tolerance of the heavy fragments' last 10 km (still too fast for the terminal
#: descent): at FRAGMENT_RTOL their impact speeds erred by up to 70 % (its error control
#: watches the ECI position, ~6400 km); a few steps more make them exact to 1 %.
GLIDE_RTOL = 1e-7
#: Longest mean-element step, days (steps are also limited to 2 km of decay). With daily
#: indices a step sees the time-mean of the daily densities it spans: on a block of
#: iss-uncontrolled, hybrid lifetimes exceed Cowell's by 0.014-0.079 % with 1-day steps and
#: 0.018-0.085 % with 8-day steps, at 0.6 times the cost (benchmarks/hybrid_accuracy.py,
#: VALIDATION.md).
MEAN_MAX_STEP_DAYS = 8.0
DAYS_PER_YEAR = 365.25
#: Days of daily solar paths sampled at first, from a block's earliest start. Samples whose
#: breakup comes later than ``_Block.margin`` days before the window's end (or never) are
#: flown again from the start with paths to the horizon; the others never read a day past
#: the window, so every sample's result is the same, bit for bit, as with paths to the
#: horizon for all (the solar models' ``stream_days``). On iss-uncontrolled (15-year
#: horizon) ~1 % of samples fly twice, and sampling costs about half (BENCHMARKS.md).
SOLAR_WINDOW_DAYS = 8 * DAYS_PER_YEAR
#: A block has no solar window (its paths run to the horizon at once) when more than this
#: share of its samples is expected to outlive the window (:func:`expected_lifetime_days`):
#: flying most of a block twice costs more than the shorter paths save (smallsat-lifetime,
#: 500 km, ~13-year lifetimes: 88 % flew twice and a block took 1.3 s, 0.93 s without).
LONG_LIVED_SHARE = 0.5
#: (F10.7a, F10.7, Ap) of the solar window's lifetime guess: a mid-cycle level.
GUESS_INDICES = (120.0, 120.0, 15.0)


def n_blocks(scenario, samples=None):
    """Number of blocks for ``samples`` (default: the scenario's) samples."""
    samples = scenario.monte_carlo.samples if samples is None else samples
    return -(-samples // scenario.monte_carlo.block_size)


def block_samples(scenario, block_index, samples=None):
    """(first global sample index, number of samples) of a block."""
    samples = scenario.monte_carlo.samples if samples is None else samples
    size = scenario.monte_carlo.block_size
    first = block_index * size
    if not 0 <= first < samples:
        raise ValueError(f"block {block_index} is outside 0..{n_blocks(scenario, samples) - 1}")
    return first, min(size, samples - first)


def density_table(scenario):
    """The station's density model: a DensityTable, or an OrbitDensityTable.

    ``atmosphere.model = "table"``: the scenario's table. ``"msis"`` with constant solar
    indices: the NRLMSISE-00 annual-mean profile at them; with a solar-activity model: the
    NRLMSISE-00 orbit table, driven day by day by the sampled indices. Both are averaged
    over the latitudes an orbit of the scenario's (fixed) inclination visits, from the
    packaged table or the scenario's own (``atmosphere.path``).
    """
    atm = scenario.atmosphere
    if atm.model == "table":
        return atm.table
    s = scenario.solar
    orbit = atm.msis_table().orbit(float(scenario.orbit.inclination_deg.p["value"]))
    if s.model == "constant":
        return _msis_profile(orbit, s.f107a_sfu, s.f107_sfu - s.f107a_sfu, s.ap)
    return orbit


@lru_cache(maxsize=16)
def _msis_profile(orbit, f107a, df, ap):
    return orbit.profile(f107a, df, ap)


def daily_indices(scenario, first_sample, start, horizon, n_days=None, rows=None):
    """Sampled daily solar indices of samples ``first_sample ...`` (None if constant).

    One stream per global sample index (:func:`deorbit.solar.sample_streams`): the same
    path for sample j in every scenario with the same seed (common random numbers) and
    whatever the blocks are. ``n_days`` (default: all of
    :func:`deorbit.time.utc_days_spanned`) samples only
    the first days, the same as with all of them; the propagations may still run to the
    horizon, on the last day sampled (``held_to_days``). ``rows`` (block positions) samples
    only those samples.
    """
    if scenario.solar.model == "constant":
        return None
    from . import solar

    first_day, all_days = utc_days_spanned(start, horizon)
    n_days = all_days if n_days is None else min(int(n_days), all_days)
    seed = scenario.monte_carlo.seed
    streams = (solar.sample_streams(seed, first_sample, first_sample + start.size)
               if rows is None else
               [solar.sample_streams(seed, first_sample + i, first_sample + i + 1)[0]
                for i in rows])
    paths = scenario.solar.make_model().sample(streams, first_day, n_days, len(streams),
                                               stream_days=all_days)
    return DailyIndices.from_paths(paths, held_to_days=all_days)


def expected_lifetime_days(scenario, x):
    """A rough natural lifetime of each sample, days, to plan its block's solar window.

    The decay of a circular orbit in an atmosphere turning with the Earth,
    da/dt = -sqrt(mu a) F s rho(h) / BC with F = (1 - w a cos i / v)^2 (King-Hele 1987,
    "Satellite Orbits in an Atmosphere"), s the sampled density scale and BC the
    ballistic coefficient, integrated from the sample's mean altitude down to the entry
    interface through the station's NRLMSISE-00 orbit profile at :data:`GUESS_INDICES`,
    at the orbit's mean height above the ellipsoid (a - R_e (1 - f sin^2 i / 2)). The solar
    cycle can make the true lifetime several times shorter or longer; a wrong guess costs
    time, never changes a result (see :data:`LONG_LIVED_SHARE`).

    Parameters
    ----------
    scenario : deorbit.scenario.Scenario
        With ``atmosphere.model = "msis"``.
    x : dict of ndarray
        The block's draws (:func:`deorbit.sampling.draw_block`).
    """
    f107a, f107, ap = GUESS_INDICES
    inc = float(scenario.orbit.inclination_deg.p["value"])
    profile = _msis_profile(scenario.atmosphere.msis_table().orbit(inc), f107a, f107 - f107a,
                            ap)
    entry = scenario.propagation.entry_alt_km
    sma_alt = x["orbit.mean_altitude_km"]
    h = np.linspace(entry, max(float(sma_alt.max()), entry + 1.0), 2000)   # a - R_e, km
    a = EARTH_RADIUS_M + 1e3 * h
    cos_i = np.cos(np.radians(inc))
    rotation = (1.0 - EARTH_ROTATION_RAD_S * a * cos_i / np.sqrt(MU_M3_S2 / a)) ** 2
    lift = 1e-3 * EARTH_RADIUS_M * FLATTENING * (1.0 - cos_i**2) / 2.0
    # time = BC / s * integral of da / (sqrt(mu a) F rho)
    f = 1.0 / (np.sqrt(MU_M3_S2 * a) * rotation * profile.density(h + lift))
    g = np.concatenate([[0.0], np.cumsum(0.5 * (f[1:] + f[:-1]) * np.diff(a))])
    bc, scale = x["vehicle.ballistic_coefficient_kg_m2"], x["atmosphere.density_scale"]
    with np.errstate(divide="ignore"):
        return bc / scale * np.interp(sma_alt, h, g) / SECONDS_PER_DAY


def history_days(scenario):
    """Times of the stored altitude history, days after each sample's start."""
    horizon = scenario.start.horizon_years * DAYS_PER_YEAR
    return np.arange(0.0, horizon + 0.5 * HISTORY_STEP_DAYS, HISTORY_STEP_DAYS)


@lru_cache(maxsize=16)
def _fall_profile(inc_deg, f107a, f107, ap):
    from .atmosphere import pymsis_orbit_mean_density

    alt = np.arange(0.0, FALL_TABLE_TOP_KM + 1.0, 2.0)
    rho = [pymsis_orbit_mean_density(h, f107a, f107, ap, inc_deg, n_lon=4, n_lt=4, n_u=12,
                                     day_of_year=80) for h in alt]
    return DensityTable(alt, rho, source="NRLMSISE-00 (pymsis) orbit-mean, 0-200 km")


def fall_table(scenario) -> DensityTable:
    """Density for the station's last minutes and the fragments' fall, 0-200 km.

    NRLMSISE-00 straight from pymsis (computed once per process) at the scenario's constant
    solar indices (else at ``FALL_TABLE_INDICES``), averaged over the latitudes of its orbit,
    four longitudes and local times, at the March equinox; below ~90 km solar activity
    hardly matters, and the station spends only minutes there.
    """
    s = scenario.solar
    inc = scenario.orbit.inclination_deg.support()[0]
    if s.model == "constant":
        return _fall_profile(float(inc), s.f107a_sfu, s.f107_sfu, s.ap)
    return _fall_profile(float(inc), *FALL_TABLE_INDICES)


class Outcome:
    """Per-sample outcome classes (int8 codes)."""

    CONTROLLED = 0              #: the final burn was made and the debris fell after it
    UNCONTROLLED_FAILURE = 1    #: a burn failed, or the station entered during the sequence
    UNCONTROLLED_NATURAL = 2    #: no deorbit vehicle, or it came too late
    IN_ORBIT = 3                #: still in orbit at the horizon
    NUMERICAL_FAILURE = 4       #: the integrator failed
    NAMES = ("controlled", "uncontrolled after failure", "uncontrolled natural decay",
             "in orbit at horizon", "numerical failure")


def run_block(scenario, block_index: int, samples: int | None = None) -> dict[str, np.ndarray]:
    """Propagate one block of a scenario: decay, operations, breakup, fragments.

    Parameters
    ----------
    scenario : deorbit.scenario.Scenario
    block_index : int
        Block number, 0-based; block b holds samples b*block_size ... (see :func:`block_samples`).
    samples : int, optional
        Total samples of the run (default: the scenario's); only the last block is short.

    Returns
    -------
    dict of ndarray
        Per-sample arrays (length n): ``sample`` (global index), the drawn inputs under
        their key paths, ``outcome`` (:class:`Outcome`), ``reentry_epoch_utc_days`` (the
        120 km entry-interface crossing that led to breakup; NaN if none),
        ``lifetime_days`` (from the start), ``breakup_lat_deg``/``breakup_lon_deg``,
        ``final_burn_epoch_utc_days`` and ``targeting_miss_km`` (controlled attempts),
        per fragment class (n, K): ``impact_lat_deg``, ``impact_lon_deg``,
        ``impact_speed_m_s``, ``fragment_count``; and, every ``HISTORY_STEP_DAYS`` after the
        start (n, H): ``history_sma_alt_km``, the mean altitude, and ``history_f107a_sfu``,
        the 81-day mean F10.7 the sample saw while in orbit (NaN after its breakup).
    """
    first, n = block_samples(scenario, block_index, samples)
    x = sampling.draw_block(scenario, block_index, n)
    blk = _Block(scenario, x, n, first)
    _fly(blk, np.arange(n), block_index)
    again = blk.beyond_window()
    if again.size:  # from the start again, with solar paths to the horizon
        _fly(blk, again, block_index)
    start = x["start.epoch_utc"]
    out = {"sample": np.arange(first, first + n, dtype=np.int64)}
    out.update(x)
    lat, lon, _ = frames.eci_to_geodetic(blk.brk_state[:, :3], blk.brk_epoch)
    out.update(outcome=blk.outcome, reentry_epoch_utc_days=blk.reentry,
               lifetime_days=blk.reentry - start, breakup_lat_deg=lat, breakup_lon_deg=lon,
               final_burn_epoch_utc_days=blk.burn_epoch, targeting_miss_km=blk.miss,
               history_sma_alt_km=blk.history, history_f107a_sfu=blk.solar_history)
    out.update(_fragments(scenario, blk.brk_epoch, blk.brk_state, x, block_index, n,
                          blk.lower))
    out.update(_ground_risk(scenario, out))
    return out


def _fly(blk, idx, block_index):
    """Samples idx from their start to breakup (or the horizon): natural decay, then the
    deorbit vehicle's sequence if it comes in time; results into blk."""
    scenario, x = blk.scenario, blk.x
    blk.reset(idx)
    start = x["start.epoch_utc"][idx]
    mean0 = mean_circular_elements(x["orbit.mean_altitude_km"][idx],
                                   x["orbit.inclination_deg"][idx], x["orbit.raan_deg"][idx],
                                   x["orbit.arg_latitude_deg"][idx])
    dv = scenario.operations.deorbit_vehicle
    horizon = blk.horizon[idx]
    # Natural decay from the end of station keeping (until the deorbit vehicle is ready).
    stop = horizon if dv is None else np.minimum(
        np.maximum(x["operations.deorbit_vehicle.ready_utc"][idx], start), horizon)
    res = blk.decay(idx, start, stop, mean=mean0, hist=history_days(scenario))
    blk.history[idx] = res.history_sma_alt_km
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
    blk.solar_history[idx] = _solar_history(scenario, blk.take_sw(idx), start,
                                            blk.brk_epoch[idx])


class _Block:
    """The per-sample result arrays of one block and the propagation settings they share."""

    def __init__(self, scenario, x, n, first_sample):
        self.scenario, self.x, self.first_sample = scenario, x, first_sample
        prop = scenario.propagation
        self.table, self.lower = density_table(scenario), fall_table(scenario)
        self.bc = x["vehicle.ballistic_coefficient_kg_m2"]
        self.scale = x["atmosphere.density_scale"]
        self.breakup_alt = x["breakup.altitude_km"]
        self.horizon = x["start.epoch_utc"] + scenario.start.horizon_years * DAYS_PER_YEAR
        # the latest day a sample's propagations read, at most, after its breakup: a mean
        # step's span, the final-burn targeting's trial shots (window plus their flight)
        dv = scenario.operations.deorbit_vehicle
        self.margin = 1.0 + max(MEAN_MAX_STEP_DAYS, 0.0 if dv is None else
                                dv.final_window_h / 24.0 + operations.SHOT_DAYS)
        # daily solar paths: the first SOLAR_WINDOW_DAYS (see beyond_window), unless most
        # of the block is expected to live longer
        first_day, days = utc_days_spanned(x["start.epoch_utc"], self.horizon)
        window = min(days, int(np.ceil(SOLAR_WINDOW_DAYS)))
        if (window < days and scenario.atmosphere.model == "msis"
                and scenario.solar.model != "constant"):
            end = first_day - 0.5 + window - self.margin
            outlive = x["start.epoch_utc"] + expected_lifetime_days(scenario, x) > end
            if np.mean(outlive) > LONG_LIVED_SHARE:
                window = days
        self.sw = daily_indices(scenario, first_sample, x["start.epoch_utc"], self.horizon,
                                n_days=window)
        self.sw_row = np.arange(n)
        # without daily paths (constant activity, a fixed table) there is no window
        windowed = self.sw is not None and window < days
        self.sw_end = first_day - 0.5 + window if windowed else np.inf
        self.common = dict(entry_alt_km=prop.entry_alt_km, rtol=prop.rtol)
        self.hybrid = dict(handover_alt_km=prop.handover_alt_km,
                           mean_max_step_days=MEAN_MAX_STEP_DAYS)
        self.outcome = np.empty(n, dtype=np.int8)
        self.reentry, self.brk_epoch = np.empty(n), np.empty(n)
        self.brk_state = np.empty((n, 6))
        self.burn_epoch, self.miss = np.empty(n), np.empty(n)
        self.history = np.empty((n, history_days(scenario).size))
        self.solar_history = np.empty_like(self.history)

    def reset(self, idx):
        """Samples idx back to no result."""
        self.outcome[idx] = Outcome.UNCONTROLLED_NATURAL
        for a in (self.reentry, self.brk_epoch, self.brk_state, self.burn_epoch, self.miss,
                  self.history, self.solar_history):
            a[idx] = np.nan

    def beyond_window(self):
        """The samples that may have read solar paths past the sampled window (no breakup
        ``margin`` days before its end); their paths now run to the horizon."""
        if not np.isfinite(self.sw_end):
            return np.zeros(0, dtype=np.int64)
        again = np.flatnonzero(~(self.brk_epoch + self.margin <= self.sw_end))
        if again.size:
            start = self.x["start.epoch_utc"]
            self.sw = daily_indices(self.scenario, self.first_sample, start, self.horizon,
                                    rows=again)
            self.sw_row[again] = np.arange(again.size)
            self.sw_end = np.inf
        return again

    def record(self, idx, res):
        """Store entry and breakup of the samples idx whose propagation res reached breakup."""
        entered = res.status == Status.ENTERED
        j = idx[entered]
        self.reentry[j] = res.entry_epoch_utc_days[entered]
        self.brk_epoch[j] = res.end_epoch_utc_days[entered]
        self.brk_state[j] = res.end_state_eci[entered]
        self.outcome[idx[res.status == Status.NUMERICAL_FAILURE]] = Outcome.NUMERICAL_FAILURE

    def propagate(self, idx, epoch, stop_epoch, state=None, mean=None, hist=None,
                  method="cowell", **kw):
        """Propagate samples idx down to their breakup altitude or stop_epoch; record."""
        opts = {**self.common, **(self.hybrid if method == "hybrid" else {}), **kw}
        res = propagate(epoch, state, self.bc[idx], self.table, stop_epoch, method=method,
                        mean_elements=mean, density_scale=self.scale[idx], history_days=hist,
                        stop_alt_km=self.breakup_alt[idx], space_weather=self.take_sw(idx),
                        **opts)
        self.record(idx, res)
        return res

    def take_sw(self, idx):
        """Daily indices of samples idx (None with a static atmosphere)."""
        return None if self.sw is None else self.sw.take(self.sw_row[idx])

    def decay(self, idx, epoch, stop_epoch, state=None, mean=None, hist=None):
        """Natural decay of samples idx to breakup or stop_epoch, by the scenario's
        ``propagation.method`` ("hybrid" or "cowell")."""
        return self.propagate(idx, epoch, stop_epoch, state, mean, hist,
                              method=self.scenario.propagation.method)

    def settle(self, idx, res, entered_outcome):
        """Outcome of samples idx after their last propagation res."""
        self.outcome[idx] = np.where(
            res.status == Status.ENTERED, entered_outcome,
            np.where(res.status == Status.HORIZON, Outcome.IN_ORBIT, Outcome.NUMERICAL_FAILURE))


def _solar_history(scenario, sw, start, end):
    """The 81-day mean F10.7 each sample saw at its history times while in orbit, sfu
    (n, H): NaN after ``end`` (its breakup epoch; NaN = none).

    The sampled daily paths ``sw`` when solar activity varies; the constant value
    otherwise; NaN with a fixed density table (no indices).
    """
    days = history_days(scenario)
    n = start.size
    if sw is None:
        value = scenario.solar.f107a_sfu if scenario.atmosphere.model == "msis" else np.nan
        out = np.full((n, days.size), np.nan if value is None else value)
    else:
        col = np.floor(start[:, None] + days[None, :] + 0.5
                       - (sw.first_day_utc_days[:, None] + 0.5)).astype(np.int64)
        col = np.clip(col, 0, sw.f107a_sfu.shape[1] - 1)
        out = np.take_along_axis(sw.f107a_sfu, col, axis=1)
    out[start[:, None] + days[None, :] > end[:, None]] = np.nan
    return out


def _sma_alt_km(state):
    """Semi-major axis minus R_e of ECI states, km."""
    r = np.linalg.norm(state[:, :3], axis=1)
    v2 = np.einsum("ij,ij->i", state[:, 3:], state[:, 3:])
    return (1.0 / (2.0 / r - v2 / MU_M3_S2) - EARTH_RADIUS_M) * 1e-3


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
        r = propagate(epoch[above], state[above], blk.bc[j], blk.table, blk.horizon[j],
                      method=scenario.propagation.method, density_scale=blk.scale[j],
                      entry_alt_km=low, handover_alt_km=low + 10.0,
                      rtol=blk.common["rtol"], mean_max_step_days=MEAN_MAX_STEP_DAYS,
                      space_weather=blk.take_sw(j))
        lost = r.status != Status.ENTERED    # still above at the horizon, or a failure
        blk.outcome[j[r.status == Status.HORIZON]] = Outcome.IN_ORBIT
        blk.outcome[j[r.status == Status.NUMERICAL_FAILURE]] = Outcome.NUMERICAL_FAILURE
        epoch, state = epoch.copy(), state.copy()
        epoch[above] = r.end_epoch_utc_days
        state[above] = r.end_state_eci
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
            t_burn, blk.miss[idx] = operations.target_final_burn(
                epoch, state, dv.final_window_h * 3600.0,
                x["operations.deorbit_vehicle.final_burn_dv_m_s"][idx], blk.bc[idx],
                blk.breakup_alt[idx], _reference_fragment_bc(scenario), blk.table, blk.lower,
                scenario.ground.target_lat_deg, scenario.ground.target_lon_deg,
                density_scale=blk.scale[idx], space_weather=blk.take_sw(idx),
                duration_s=_burn_duration_s(
                    dv, x, idx, x["operations.deorbit_vehicle.final_burn_dv_m_s"][idx]),
                entry_alt_km=blk.common["entry_alt_km"])
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
            _burn_duration_s(dv, x, idx, size), _block_coast(blk, idx))
        if at_breakup.any():   # the station entered during the burn (finite burns)
            blk.outcome[idx[at_breakup]] = (Outcome.CONTROLLED if final
                                            else Outcome.UNCONTROLLED_FAILURE)
            keep = ~at_breakup
            idx, epoch, state = idx[keep], epoch[keep], state[keep]
    # 3. after the final burn: down to breakup
    if idx.size:
        blk.settle(idx, blk.propagate(idx, epoch, blk.horizon[idx], state), Outcome.CONTROLLED)


def _burn_duration_s(dv, x, idx, size_m_s):
    """Burn durations m dv / thrust, s (0 for impulsive burns)."""
    if dv.thrust_n == 0.0:
        return 0.0
    return x["vehicle.mass_kg"][idx] * size_m_s / dv.thrust_n


def _block_coast(blk, idx):
    """A ``coast`` for :func:`operations.fire` over the samples idx (records breakups)."""
    def fly(rows, epoch, state, until, entry_alt_km):
        return blk.propagate(idx[rows], epoch, until, state, entry_alt_km=entry_alt_km)

    def coast(rows, epoch, state, until):
        res = fly(rows, epoch, state, until, blk.common["entry_alt_km"])
        status, t, y, entry = operations.finish_entries(rows, res, fly)
        crossed = np.isfinite(entry) & (status == Status.ENTERED)
        blk.reentry[idx[rows][crossed]] = entry[crossed]   # the real 120 km crossing
        return status, t, y
    return coast


def _coast(blk, idx, epoch, state, until, with_mask=False):
    """Cowell from epoch to until; samples that enter on the way are uncontrolled.

    The coast stops at the breakup altitude, so an entry is recorded with its breakup; a
    sample that crossed the entry interface but is still above breakup at ``until`` flies
    on to breakup too (:func:`operations.finish_entries`): no burn is made inside the
    atmosphere. Returns the samples still in orbit with their states at ``until`` (and the
    mask).
    """
    status, t, y = _block_coast(blk, idx)(np.arange(idx.size), epoch, state, until)
    blk.outcome[idx[status == Status.ENTERED]] = Outcome.UNCONTROLLED_FAILURE
    alive = status == Status.HORIZON
    out = idx[alive], t[alive], y[alive]
    return (*out, alive) if with_mask else out


def _reference_fragment_bc(scenario):
    """Ballistic coefficient aimed at: the mass-weighted geometric mean of the class medians."""
    count, mass, _, median, _ = scenario.breakup.fragments.arrays()
    w = count * mass
    return float(np.exp(np.sum(w * np.log(median)) / np.sum(w)))


def fragment_bc(scenario, block_index, n):
    """Ballistic coefficients (n, K) of the fragment classes for the first n samples of a
    block, kg/m^2 (a stream of their own, so the other draws do not move them)."""
    return fragments.sample_classes(scenario.breakup.fragments, sampling.stream(
        scenario.monte_carlo.seed, block_index, "breakup.fragment_bc"),
        scenario.monte_carlo.block_size)[:n]


def _fragments(scenario, brk_epoch, brk_state, x, block_index, n, lower):
    """Every fragment class falls once per sample from the breakup state to the ground.

    Returns per-sample (n, K) arrays: ``impact_lat_deg``, ``impact_lon_deg``,
    ``impact_speed_m_s`` (relative to the rotating Earth), ``fragment_count`` (pieces the
    class stands for: the model's counts scaled to the sampled surviving mass) and
    ``fragment_bc_kg_m2`` (the drawn ballistic coefficient).
    """
    model = scenario.breakup.fragments
    count, mass, _, _, _ = model.arrays()
    k = count.size
    bc = fragment_bc(scenario, block_index, n)
    surviving = x["vehicle.mass_kg"] * x["breakup.surviving_mass_fraction"]
    scale = surviving / model.mass_kg
    out = {"impact_lat_deg": np.full((n, k), np.nan), "impact_lon_deg": np.full((n, k), np.nan),
           "impact_speed_m_s": np.full((n, k), np.nan),
           "fragment_count": scale[:, None] * count[None, :], "fragment_bc_kg_m2": bc}
    broke = np.flatnonzero(np.isfinite(brk_epoch))
    if broke.size == 0:
        return out
    ep = np.repeat(brk_epoch[broke], k)
    st = np.repeat(brk_state[broke], k, axis=0)
    landed, lat, lon, speed = (a.reshape(-1, k) for a in _fall(ep, st, bc[broke].ravel(),
                                                               lower))
    out["impact_lat_deg"][broke] = np.where(landed, lat, np.nan)
    out["impact_lon_deg"][broke] = np.where(landed, lon, np.nan)
    out["impact_speed_m_s"][broke] = np.where(landed, speed, np.nan)
    return out


def _fall(epoch, state, bc, lower, rtol=FRAGMENT_RTOL):
    """Fragments from breakup to the ground: integrated to fragments.TERMINAL_ALT_KM (at
    ``rtol``), then the terminal descent, or integrated on for those still too fast for it.
    Returns (landed, impact lat deg, impact lon deg, impact speed m/s relative to the
    ground)."""
    res = propagate(epoch, state, bc, lower, epoch + 1.0, method="cowell",
                    entry_alt_km=fragments.TERMINAL_ALT_KM, rtol=rtol)
    landed = res.status == Status.ENTERED
    lat, lon, speed, terminal = fragments.terminal_descent(
        res.end_state_eci, res.end_epoch_utc_days, bc, lower)
    on = np.flatnonzero(landed & ~terminal)
    if on.size:
        t, y = res.end_epoch_utc_days[on], res.end_state_eci[on]
        more = propagate(t, y, bc[on], lower, t + 1.0, method="cowell", entry_alt_km=0.0,
                         rtol=GLIDE_RTOL)
        landed[on] = more.status == Status.ENTERED
        lat[on], lon[on] = more.end_lat_deg, more.end_lon_deg
        speed[on] = np.linalg.norm(frames.ground_relative_velocity(more.end_state_eci),
                                   axis=1)
    return landed, lat, lon, speed


def _ground_risk(scenario, out):
    """Per-sample ground figures from the fragment impacts (NaN when nothing landed).

    ``ec`` (expected casualties: sum over classes of count x casualty area x population
    density, NASA DAS / NASA-STD-8719.14), ``fragments_total``,
    ``fragments_outside_zone`` (pieces landing outside the scenario's target zone),
    ``fragments_on_land``
    and ``fragments_near_land`` (pieces >= 15 J on land, and on land or within 370 km of it),
    ``footprint_length_km`` / ``footprint_width_km`` of the class impact points.
    """
    from .ground import casualty, footprint_km

    count, mass, area, _, _ = scenario.breakup.fragments.arrays()
    lat, lon = out["impact_lat_deg"], out["impact_lon_deg"]
    n, k = lat.shape
    landed = np.isfinite(lat).all(axis=1)
    nan = np.full(n, np.nan)
    res = {"ec": nan.copy(), "fragments_total": nan.copy(), "fragments_outside_zone": nan.copy(),
           "fragments_on_land": nan.copy(), "fragments_near_land": nan.copy(),
           "footprint_length_km": nan.copy(), "footprint_width_km": nan.copy()}
    if not landed.any():
        return res
    la, lo = lat[landed], lon[landed]
    pieces = out["fragment_count"][landed]
    energy = casualty.kinetic_energy_j(mass[None, :], out["impact_speed_m_s"][landed])
    grid = _grid(scenario.ground.population_grid_file)
    per = casualty.casualty_expectation_per_fragment(la, lo, np.broadcast_to(area, la.shape),
                                                     grid, kinetic_energy_j=energy)
    res["ec"][landed] = (per * pieces).sum(axis=1)
    res["fragments_total"][landed] = pieces.sum(axis=1)
    inside = scenario.ground.target_zone.contains(la, lo)
    res["fragments_outside_zone"][landed] = (pieces * ~inside).sum(axis=1)
    hazardous = casualty.is_hazardous(energy)
    on_land = grid.is_land(la, lo)
    res["fragments_on_land"][landed] = (pieces * (on_land & hazardous)).sum(axis=1)
    if grid.distance_grid_km is not None:   # a user grid may have no distance field
        near = on_land | (grid.distance_to_land_km(la, lo) <= casualty.KEEPOUT_KM)
        res["fragments_near_land"][landed] = (pieces * (near & hazardous)).sum(axis=1)
    length, width = footprint_km(la, lo)
    res["footprint_length_km"][landed] = length
    res["footprint_width_km"][landed] = width
    return res


@lru_cache(maxsize=2)
def _grid(path=None):
    """The population grid: packaged (None) or a user file, loaded once per process."""
    from .ground import load_grid

    return load_grid(path)
