"""``observed`` solar-activity model: a hindcast with the recorded space weather."""

from __future__ import annotations

from ..kernel import DailyIndices
from ..spaceweather import SpaceWeather, load_space_weather
from ..time import utc_days_spanned
from ._common import SolarPaths, iso_day, record_window

__all__ = ["ObservedModel", "observed_daily_indices"]


class ObservedModel:
    """The recorded daily F10.7, its centred 81-day mean and Ap, the same for every sample.

    Values are the file's ``F10.7 Obs``, ``Ctr81 Obs`` and ``Ap Avg`` columns (CelesTrak
    SW-All, see :mod:`deorbit.spaceweather`). Note that CelesTrak completes the centred
    81-day window of the last 40 observed days with its predictions, so for those days
    ``f107_81d_sfu`` is partly predicted although the file labels them observed.

    Parameters
    ----------
    space_weather : deorbit.spaceweather.SpaceWeather
        The record.

    Raises
    ------
    ValueError
        From :meth:`sample` if any requested day, or the day before the first (whose F10.7
        NRLMSISE-00 needs), is not in the file's ``OBSERVED`` section: the message names
        the requested window and the observed range. There is no fallback.
    """

    name = "observed"

    def __init__(self, space_weather: SpaceWeather) -> None:
        self.space_weather = space_weather
        self.first_observed_day = int(space_weather.day_j2000[0])
        self.last_observed_day = int(space_weather.last_observed_day_j2000)

    def __repr__(self) -> str:
        return (
            f"ObservedModel(observed {iso_day(self.first_observed_day)} to "
            f"{iso_day(self.last_observed_day)})"
        )

    def sample(self, rng, first_day: int, n_days: int, n_samples: int, *,
               stream_days: int | None = None) -> SolarPaths:
        """The observed paths (``rng`` and ``stream_days`` are accepted for the interface
        and not used: any window is a prefix of a longer one)."""
        return record_window(self.space_weather, self.first_observed_day,
                             self.last_observed_day, first_day, n_days, n_samples, stream_days,
                             self._refusal)

    def _refusal(self, first_day, last):
        return (f"observed model: requested days {iso_day(first_day)} to {iso_day(last)} "
                f"(day_j2000 {first_day} to {last}, plus the day before for the previous-day "
                f"F10.7) are not all observed; {self.space_weather.source} has observed data "
                f"from {iso_day(self.first_observed_day)} to {iso_day(self.last_observed_day)}"
                f" (day_j2000 {self.first_observed_day} to {self.last_observed_day}). Use the "
                "'forecast' or 'stochastic' model beyond the observed record.")


def observed_daily_indices(start_epoch_utc_days, stop_epoch_utc_days, n_samples=1,
                           space_weather: SpaceWeather | None = None):
    """The recorded daily indices that a propagation from ``start_epoch_utc_days`` to
    ``stop_epoch_utc_days`` reads, in one call and in the kernel's epoch convention.

    Parameters
    ----------
    start_epoch_utc_days, stop_epoch_utc_days : float or array_like
        Epochs (UTC days since J2000, i.e. from 2000-01-01 12:00 UTC, the kernel's
        convention); the window covers the earliest start to the latest stop.
    n_samples : int
        Rows of the result (the same record for each), to match a block of N samples.
    space_weather : SpaceWeather, optional
        The record; default: the packaged CelesTrak file (:func:`load_space_weather`).

    Returns
    -------
    deorbit.kernel.DailyIndices
        The days from the start's UTC day (00:00) to the day after the stop, each with its
        observed F10.7a, previous-day F10.7 minus F10.7a and daily Ap.

    Raises
    ------
    ValueError
        If a day of the window, or the day before it, is not observed (see
        :class:`ObservedModel`).
    """
    first_day, n_days = utc_days_spanned(start_epoch_utc_days, stop_epoch_utc_days)
    model = ObservedModel(load_space_weather() if space_weather is None else space_weather)
    return DailyIndices.from_paths(model.sample(None, first_day, n_days, int(n_samples)))
