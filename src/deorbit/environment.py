"""The atmosphere a block's station flies through: density, daily indices, solar window.

:func:`environment` builds it once per block, as one of two kinds chosen from the scenario:

:class:`Environment` (static)
    A fixed density profile: the scenario's table (``atmosphere.model = "table"``), or the
    density model's orbit profile at the scenario's constant solar indices. No daily indices.
:class:`DailyEnvironment`
    The density model's orbit table driven day by day by each sample's sampled solar indices
    (:mod:`deorbit.solar`), first over a solar window of :data:`SOLAR_WINDOW_DAYS`, then, for
    the samples that outlive it, to the horizon (:meth:`DailyEnvironment.beyond_window`).

With the density model drawn per sample, ``table`` is a tuple (one table per model, on the
same axes) and :func:`density_models` gives each sample's index and BC factor. Both give the
flight what it asks of the atmosphere (:meth:`~Environment.take` for the
kernel's ``space_weather``, :meth:`~Environment.beyond_window`,
:meth:`~Environment.solar_history`), so nothing else tests the scenario's solar model.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .constants import (
    DAYS_PER_YEAR,
    EARTH_RADIUS_M,
    EARTH_ROTATION_RAD_S,
    FLATTENING,
    MU_M3_S2,
    SECONDS_PER_DAY,
)
from .kernel import DailyIndices
from .time import utc_days_spanned

__all__ = ["DailyEnvironment", "Environment", "GUESS_INDICES", "LONG_LIVED_SHARE",
           "SOLAR_WINDOW_DAYS", "daily_indices", "density_models", "density_table",
           "environment", "expected_lifetime_days"]

#: Days of daily solar paths sampled at first, from a block's earliest start. Samples whose
#: breakup comes later than the flight's ``margin`` days before the window's end (or never)
#: are flown again from the start with paths to the horizon; the others never read a day past
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


def density_table(scenario):
    """The station's density model: a DensityTable or an OrbitDensityTable, or a tuple of
    either, one per density model flown (each sample's picked by its ``atmosphere.model``
    draw, :func:`density_models`).

    ``atmosphere.model = "table"``: the scenario's table. ``"msis"`` (or a model's name)
    with constant solar indices: the model's annual-mean profile at them; with a
    solar-activity model: the model's orbit table, driven day by day by the sampled
    indices. Both are averaged over the latitudes an orbit of the scenario's (fixed)
    inclination visits, from the packaged table or the scenario's own (``atmosphere.path``).
    """
    atm = scenario.atmosphere
    if atm.model == "table":
        return atm.table
    s = scenario.solar
    inc = float(scenario.orbit.inclination_deg.p["value"])
    orbits = tuple(t.orbit(inc) for t in atm.msis_tables())
    if s.model == "constant":
        orbits = tuple(_msis_profile(o, s.f107a_sfu, s.f107_sfu - s.f107a_sfu, s.ap)
                       for o in orbits)
    return orbits[0] if len(orbits) == 1 else orbits


def density_models(scenario, x):
    """Each sample's density model, an index into :func:`density_table`'s tuple (None with
    one model), and the factor on its ballistic coefficient that carries the scenario's
    BC over to that model (:meth:`deorbit.scenario.Atmosphere.bc_scales`)."""
    atm = scenario.atmosphere
    scales = atm.bc_scales()
    if atm.model_choice is None:
        return None, scales[0]
    row = x["atmosphere.model"].astype(np.int64)
    return row, scales[row]


@lru_cache(maxsize=16)
def _msis_profile(orbit, f107a, df, ap):
    return orbit.profile(f107a, df, ap)


def daily_indices(scenario, first_sample, start, horizon, n_days=None, rows=None):
    """Sampled daily solar indices of samples ``first_sample ...``.

    One stream per global sample index (:func:`deorbit.solar.sample_streams`): the same
    path for sample j in every scenario with the same seed (common random numbers) and
    whatever the blocks are. ``n_days`` (default: all of
    :func:`deorbit.time.utc_days_spanned`) samples only the first days, the same as with all
    of them; the propagations may still run to the horizon, on the last day sampled
    (``held_to_days``). ``rows`` (block positions) samples only those samples. With "solar"
    in ``monte_carlo.hold_fixed``, every sample gets the path of the block's first.
    """
    from . import solar

    first_day, all_days = utc_days_spanned(start, horizon)
    n_days = all_days if n_days is None else min(int(n_days), all_days)
    seed = scenario.monte_carlo.seed
    if "solar" in scenario.monte_carlo.hold_fixed:  # the block's first sample's path for all
        streams = [solar.sample_streams(seed, first_sample, first_sample + 1)[0]
                   for _ in (range(start.size) if rows is None else rows)]
    elif rows is None:
        streams = solar.sample_streams(seed, first_sample, first_sample + start.size)
    else:
        streams = [solar.sample_streams(seed, first_sample + i, first_sample + i + 1)[0]
                   for i in rows]
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
    profile = _msis_profile(scenario.atmosphere.msis_tables()[0].orbit(inc), f107a,
                            f107 - f107a, ap)
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


class Environment:
    """A fixed density profile for the whole block (no daily indices).

    Attributes
    ----------
    table : DensityTable
        The station's density profile.
    lower : DensityTable
        The lower atmosphere of the fall (:func:`deorbit.fall.fall_table`).
    """

    def __init__(self, table, lower, f107a_sfu):
        self.table, self.lower, self._f107a = table, lower, f107a_sfu

    def take(self, idx):
        """The kernel's ``space_weather`` for samples idx: none."""
        return None

    def beyond_window(self, brk_epoch):
        """The samples to fly again with solar paths to the horizon: none."""
        return np.zeros(0, dtype=np.int64)

    def solar_history(self, idx, start, end, days):
        """The 81-day mean F10.7 each sample saw at its history times ``start + days``
        while in orbit, sfu (n, H): the constant value (NaN with a table that has no
        indices), NaN after ``end`` (breakup; NaN = none)."""
        out = np.full((start.size, days.size), self._f107a)
        out[start[:, None] + days[None, :] > end[:, None]] = np.nan
        return out


class DailyEnvironment(Environment):
    """The density model's orbit table (or tables) driven by each sample's sampled daily
    indices.

    The paths cover the first :data:`SOLAR_WINDOW_DAYS` from the block's earliest start
    (all of them to the horizon when most samples are expected to outlive that,
    :data:`LONG_LIVED_SHARE`); ``margin`` is the most days a sample's propagations read
    after its breakup (see the flight).
    """

    def __init__(self, table, lower, scenario, x, first_sample, horizon, margin):
        super().__init__(table, lower, np.nan)
        self.scenario, self.first_sample, self.margin = scenario, first_sample, margin
        self.start, self.horizon = x["start.epoch_utc"], horizon
        first_day, days = utc_days_spanned(self.start, horizon)
        window = min(days, int(np.ceil(SOLAR_WINDOW_DAYS)))
        if window < days and scenario.atmosphere.model == "msis":
            end = first_day - 0.5 + window - margin
            outlive = self.start + expected_lifetime_days(scenario, x) > end
            if np.mean(outlive) > LONG_LIVED_SHARE:
                window = days
        self.sw = daily_indices(scenario, first_sample, self.start, horizon, n_days=window)
        self.sw_row = np.arange(self.start.size)
        self.sw_end = first_day - 0.5 + window if window < days else np.inf

    def take(self, idx):
        """Daily indices of samples idx (the kernel's ``space_weather``)."""
        return self.sw.take(self.sw_row[idx])

    def beyond_window(self, brk_epoch):
        """The samples that may have read solar paths past the sampled window (no breakup
        ``margin`` days before its end); their paths now run to the horizon."""
        if not np.isfinite(self.sw_end):
            return np.zeros(0, dtype=np.int64)
        again = np.flatnonzero(~(brk_epoch + self.margin <= self.sw_end))
        if again.size:
            self.sw = daily_indices(self.scenario, self.first_sample, self.start,
                                    self.horizon, rows=again)
            self.sw_row[again] = np.arange(again.size)
            self.sw_end = np.inf
        return again

    def solar_history(self, idx, start, end, days):
        """As :meth:`Environment.solar_history`, from the samples' daily paths."""
        sw = self.take(idx)
        col = np.floor(start[:, None] + days[None, :] + 0.5
                       - (sw.first_day_utc_days[:, None] + 0.5)).astype(np.int64)
        col = np.clip(col, 0, sw.f107a_sfu.shape[1] - 1)
        out = np.take_along_axis(sw.f107a_sfu, col, axis=1)
        out[start[:, None] + days[None, :] > end[:, None]] = np.nan
        return out


def environment(scenario, x, first_sample, horizon, margin, lower) -> Environment:
    """The block's environment: daily indices when solar activity varies, else static.

    Parameters
    ----------
    scenario : deorbit.scenario.Scenario
    x : dict of ndarray
        The block's draws.
    first_sample : int
        Global index of the block's first sample (its solar streams).
    horizon : ndarray
        Each sample's horizon, UTC days since J2000.
    margin : float
        Most days a sample's propagations read after its breakup.
    lower : DensityTable
        The lower atmosphere (:func:`deorbit.fall.fall_table`).
    """
    table = density_table(scenario)
    if scenario.solar.model == "constant":
        f107a = (scenario.solar.f107a_sfu if scenario.atmosphere.model == "msis"
                 else None)
        return Environment(table, lower, np.nan if f107a is None else f107a)
    return DailyEnvironment(table, lower, scenario, x, first_sample, horizon, margin)
