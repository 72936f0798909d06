"""``forecast`` solar-activity model: the file's own observations and predictions (nominal)."""

from __future__ import annotations

import numpy as np

from ..spaceweather import LONG_FORECAST, SpaceWeather
from ._common import (
    HALF_WINDOW,
    SolarPaths,
    check_setting,
    iso_day,
    per_sample_generators,
    record_window,
)

__all__ = ["ForecastModel"]


class ForecastModel:
    """CelesTrak's record and predictions as they are: nominal F10.7, stochastic Ap fill.

    Days up to the file's last observed day are its observations; then NOAA SWPC's 45-day
    daily prediction (regime ``SHORT_FORECAST``), then the monthly predictions, interpolated
    linearly to days by :mod:`deorbit.spaceweather` (regime ``LONG_FORECAST``, to the last
    monthly row, 2041 in the packaged file). F10.7 and its 81-day mean are the file's
    ``F10.7 Obs`` and ``Ctr81 Obs`` columns, the same for every sample.

    **No F10.7 uncertainty.** The file gives only a nominal (50th percentile) prediction and
    no band. Past predictions could not be measured offline (no archive of earlier files is
    at hand), so this model does not invent a spread: it is deterministic in F10.7. Such
    forecasts have been far too confident: the May-2023 official forecast put the 2024 mean
    F10.7 at 130 sfu against 191 observed, and observed months fell inside its band 9 times
    in 36. Use the default ``stochastic`` model, whose bands are calibrated by backtests
    (VALIDATION.md), for uncertainty; use this one to reproduce the official nominal case.
    In the long-forecast regime the daily F10.7 is the smooth monthly trend: it has no
    day-to-day or 27-day variability, so ``f107 - f107a`` is close to zero there.

    **Ap in the long forecast.** The monthly predictions carry no Ap. It is filled, per
    sample, by a block bootstrap of the observed daily Ap record: blocks of ``block_days``
    (81) consecutive observed days, each drawn uniformly from the historical days whose
    centred 81-day mean F10.7 (file ``Ctr81 Obs``) is within 10 % of the forecast 81-day mean
    at the block's start (the nearest 365 days if fewer). This keeps the storm statistics
    (persistence, 27-day recurrence, heavy tail) of the record at that activity level; it
    is random, drawn from the sample's stream. The regime label of those days stays
    ``LONG_FORECAST``. Observed and daily-predicted Ap are the file's.

    Parameters
    ----------
    space_weather : deorbit.spaceweather.SpaceWeather
        The file.
    block_days : int, optional
        Bootstrap block length for the Ap fill, days (27..365, default 81).

    Raises
    ------
    ValueError
        From :meth:`sample` if the window (with the day before it) is not inside the file,
        naming the window and the range covered. There is no extrapolation.
    """

    name = "forecast"

    def __init__(self, space_weather: SpaceWeather, *, block_days: int = 81) -> None:
        self.space_weather = space_weather
        self.block_days = check_setting("block_days", block_days, 27, 365)
        sw = space_weather
        n_obs = sw.n_rows_observed
        self._first = int(sw.day_j2000[0])
        self._last = int(sw.day_j2000[-1])
        # Ap pool: observed block starts with a complete block, keyed by the 81-day mean.
        starts = np.arange(HALF_WINDOW, n_obs - self.block_days - HALF_WINDOW)
        self._pool_starts = starts
        self._pool_key = np.log(np.asarray(sw.f107_obs_ctr81_sfu)[starts])
        self._ap_obs = np.asarray(sw.ap_daily[:n_obs], dtype=np.float64)

    def __repr__(self) -> str:
        return f"ForecastModel({self.space_weather.source}, to {iso_day(self._last)})"

    def _refusal(self, first_day, last):
        return (f"forecast model: requested days {iso_day(first_day)} to {iso_day(last)} "
                f"(day_j2000 {first_day} to {last}, plus the day before) are outside "
                f"{self.space_weather.source}, which covers {iso_day(self._first)} to "
                f"{iso_day(self._last)} (day_j2000 {self._first} to {self._last}); use the "
                "'stochastic' model beyond the file's predictions")

    def sample(self, rng, first_day: int, n_days: int, n_samples: int, *,
               stream_days: int | None = None) -> SolarPaths:
        """Paths for ``first_day .. first_day + n_days - 1`` (see the class docstring).

        ``rng`` (block generator or per-sample streams, see
        :func:`deorbit.solar.per_sample_generators`) is used only for the Ap fill: each
        sample draws one uniform per 81-day block of long-forecast days, in order from the
        window's first such day, so any window is a prefix of a longer one and
        ``stream_days`` (checked, see :class:`SolarActivityModel`) is not needed.
        """
        paths = record_window(self.space_weather, self._first, self._last, first_day, n_days,
                              n_samples, stream_days, self._refusal)
        gens = per_sample_generators(rng, n_samples)
        long = np.flatnonzero(paths.regime[0] == LONG_FORECAST)
        if long.size:
            L = self.block_days
            n_blocks = -(-long.size // L)
            key = np.log(paths.f107_81d_sfu[0, long[::L]])
            U = np.stack([g.random(n_blocks) for g in gens])
            ap_long = np.empty((n_samples, n_blocks * L))
            for j, kj in enumerate(key):
                dist = np.abs(self._pool_key - kj)
                cand = self._pool_starts[dist <= np.log(1.1)]
                if cand.size < 365:
                    cand = self._pool_starts[np.argsort(dist, kind="stable")[:365]]
                src = cand[np.minimum((U[:, j] * cand.size).astype(int), cand.size - 1)]
                ap_long[:, j * L : (j + 1) * L] = self._ap_obs[src[:, None] + np.arange(L)]
            paths.ap[:, long] = ap_long[:, : long.size]  # the file's Ap there is -1
        return paths
