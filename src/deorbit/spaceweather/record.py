"""The daily space-weather record (:class:`SpaceWeather`) and its queries: the regime of a
day, the NRLMSISE-00 inputs at any epochs (:class:`MsisInputs`); the ``day_j2000``
conversions. :mod:`deorbit.spaceweather.celestrak` builds the record from CelesTrak's file.

Conventions used throughout
---------------------------
- ``day_j2000``: UTC calendar days since 2000-01-01T00:00 UTC. The integer ``day_j2000`` of a
  row is its date (2000-01-01 -> 0, 1957-10-01 -> -15432); a float ``day_j2000`` is an instant,
  whose UTC date is ``floor(day_j2000)`` (so 2000-01-01T03:00 UTC -> 0.125). Leap seconds are
  ignored, as in the file. Note the 0.5-day offset from days counted from the J2000 epoch itself
  (2000-01-01T12:00): ``day_j2000 = days_since_j2000_noon + 0.5``.
- F10.7 in sfu (solar flux unit, 1 sfu = 1e-22 W m^-2 Hz^-1). "obs" is the flux measured at the
  actual Sun-Earth distance (what NRLMSISE-00 wants); "adj" is scaled to 1 AU.
- Ap and ap are the dimensionless planetary amplitude indices (one unit ~ 2 nT); Kp values are
  stored as Kp proper (the file writes Kp x 10).
- Missing values are NaN, never filled.

References
----------
- Picone, Hedin, Drob, Aikin, "NRLMSISE-00 empirical model of the atmosphere", J. Geophys. Res.
  107(A12), 1468 (2002), doi:10.1029/2002JA009430.
- pymsis 0.13 ``pymsis.utils.get_f107_ap`` (SWxTrec/pymsis), whose F10.7/Ap conventions
  :meth:`SpaceWeather.msis_inputs` follows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "LONG_FORECAST",
    "MODELLED",
    "OBSERVED",
    "REGIME_NAMES",
    "SHORT_FORECAST",
    "MsisInputs",
    "SpaceWeather",
    "SpaceWeatherError",
    "datetime64_to_day_j2000",
    "day_j2000_to_datetime64",
]

#: Regime code: the day's values were measured (``OBSERVED`` section of the file).
OBSERVED = 0
#: Regime code: the file's daily prediction (``DAILY_PREDICTED``, NOAA SWPC 45-day forecast).
SHORT_FORECAST = 1
#: Regime code: the file's monthly prediction (``MONTHLY_PREDICTED``) expanded to days.
LONG_FORECAST = 2
#: Regime code: values produced by a solar-activity model of deorbit beyond the file's last day.
MODELLED = 3
#: Human-readable name of each regime code.
REGIME_NAMES = {
    OBSERVED: "observed",
    SHORT_FORECAST: "short forecast",
    LONG_FORECAST: "long forecast",
    MODELLED: "modelled",
}

_DATETIME64_DAY0 = np.datetime64("2000-01-01T00:00:00", "s")
_SECONDS_PER_DAY = 86400


class SpaceWeatherError(ValueError):
    """A space-weather file is malformed, or a date lies outside the data it covers."""


# --------------------------------------------------------------------------------------------
# Time helpers
# --------------------------------------------------------------------------------------------
def datetime64_to_day_j2000(t: npt.ArrayLike) -> np.ndarray:
    """Convert UTC ``numpy.datetime64`` values to float ``day_j2000``.

    Parameters
    ----------
    t : array_like of datetime64
        UTC instants (leap seconds ignored).

    Returns
    -------
    numpy.ndarray of float64
        Days since 2000-01-01T00:00 UTC (2000-01-01T06:00 -> 0.25).
    """
    t = np.asarray(t, dtype="datetime64[us]")
    microseconds = (t - _DATETIME64_DAY0.astype("datetime64[us]")).astype(np.int64)
    return microseconds / (_SECONDS_PER_DAY * 1e6)


def day_j2000_to_datetime64(day_j2000: npt.ArrayLike) -> np.ndarray:
    """Convert ``day_j2000`` (days since 2000-01-01T00:00 UTC) to ``datetime64[s]``.

    Parameters
    ----------
    day_j2000 : array_like of float
        Days since 2000-01-01T00:00 UTC.

    Returns
    -------
    numpy.ndarray of datetime64[s]
        The UTC instants, rounded to the second.
    """
    seconds = np.rint(np.asarray(day_j2000, dtype=np.float64) * _SECONDS_PER_DAY)
    return _DATETIME64_DAY0 + seconds.astype(np.int64).astype("timedelta64[s]")


def _iso(day_j2000: float) -> str:
    """Render one ``day_j2000`` as ISO 8601 UTC text (date only when it is a whole day)."""
    if float(day_j2000) == np.floor(day_j2000):
        return str(np.datetime64("2000-01-01", "D") + np.timedelta64(int(day_j2000), "D"))
    return str(day_j2000_to_datetime64(day_j2000)) + "Z"


# --------------------------------------------------------------------------------------------
# Data classes
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MsisInputs:
    """Space-weather inputs of NRLMSISE-00 at a set of epochs (:meth:`SpaceWeather.msis_inputs`).

    Every array has the shape of the epochs passed in (``ap_vector`` has one more axis of 7).

    Attributes
    ----------
    f107_prev_day_sfu : numpy.ndarray of float64
        Observed (not 1-AU adjusted) F10.7 of the previous UTC day, sfu (1e-22 W m^-2 Hz^-1):
        NRLMSISE-00's ``F107``.
    f107_ctr81_sfu : numpy.ndarray of float64
        Centred 81-day mean of observed F10.7 for the epoch's UTC day, sfu: NRLMSISE-00's
        ``F107A``.
    ap_daily : numpy.ndarray of float64
        Daily Ap of the epoch's UTC day (dimensionless); NaN in the long-forecast regime.
    ap_vector : numpy.ndarray of float64, shape (..., 7)
        NRLMSISE-00's ``AP`` array: daily Ap, 3-hour ap of the current interval, of 3 h, 6 h and
        9 h before, mean of the eight 3-hour ap 12-33 h before, mean 36-57 h before. NaN where
        a needed value is missing (long-forecast regime).
    regime : numpy.ndarray of int8
        Regime code (:data:`OBSERVED`, :data:`SHORT_FORECAST`, :data:`LONG_FORECAST`) of the
        epoch's UTC day. The regime is monotone in time, so this is also the least certain
        regime of every value used except ``f107_ctr81_sfu``, whose centred window reaches
        40 days ahead (see :meth:`SpaceWeather.msis_inputs`).
    f107_substituted : numpy.ndarray of bool
        True where the previous day's observed F10.7 exceeded the burst threshold and was
        replaced by that day's centred 81-day mean (pymsis's convention).
    f107_interpolated : numpy.ndarray of bool
        True where the previous day's F10.7 carries flux qualifier Q = 4 in the file
        ("CelesTrak interpolation of missing data", pymsis's ``INT``), i.e. was not measured.
    """

    f107_prev_day_sfu: np.ndarray
    f107_ctr81_sfu: np.ndarray
    ap_daily: np.ndarray
    ap_vector: np.ndarray
    regime: np.ndarray
    f107_substituted: np.ndarray
    f107_interpolated: np.ndarray


@dataclass(frozen=True, eq=False)
class SpaceWeather:
    """Daily space-weather record, one row per UTC day, contiguous in time.

    Build it with :func:`load_space_weather` or :func:`parse_sw_all`. The arrays are read-only.

    Row ``i`` is the UTC day ``day_j2000[i]``; ``day_j2000`` runs without gaps from the first
    observed day to the date of the last monthly-predicted row.

    **Long-forecast expansion.** Each ``MONTHLY_PREDICTED`` row is dated the 1st of its month.
    Its values are taken as the value *on that date* and interpolated linearly in time between
    consecutive rows (and, for the days between the last daily-predicted row and the first
    monthly row, between those two rows); the series ends on the last row's date, never
    extrapolated. Linear interpolation rather than a value held constant over each month,
    because the monthly predictions are a smooth trend (derived from smoothed sunspot-number
    predictions, 50th percentile): holding them constant would insert artificial steps of a
    few sfu at each month boundary, i.e. density jumps at 1 UTC midnight a month that no real
    Sun produces, and would leave the days between the daily forecast and the first monthly
    row, and the end of the last month, undefined. Day-to-day variability in that regime is
    not represented; a later solar-activity model adds it. The monthly rows carry no Kp or Ap
    (blank, or -1 in some files): ``ap_daily``, ``ap_3h``, ``kp_3h`` and ``kp_sum`` are NaN
    throughout the long-forecast regime and nothing here fills them.

    Attributes
    ----------
    day_j2000 : numpy.ndarray of int64, shape (n,)
        UTC date of each row as days since 2000-01-01 (2000-01-01 -> 0).
    f107_obs_sfu : numpy.ndarray of float64, shape (n,)
        Observed F10.7 (at the actual Sun-Earth distance), sfu = 1e-22 W m^-2 Hz^-1. Measured
        at Ottawa at 17:00 UT until 1991-05-31, at Penticton at 20:00 UT since.
    f107_adj_sfu : numpy.ndarray of float64, shape (n,)
        F10.7 adjusted to 1 AU, sfu.
    f107_obs_ctr81_sfu, f107_obs_lst81_sfu : numpy.ndarray of float64, shape (n,)
        Centred and trailing ("last") 81-day arithmetic means of observed F10.7, sfu, as the
        file gives them (CelesTrak completes the centred window of the last 40 observed days
        with its predictions).
    f107_adj_ctr81_sfu, f107_adj_lst81_sfu : numpy.ndarray of float64, shape (n,)
        The same means of adjusted F10.7, sfu.
    f107_qualifier : numpy.ndarray of float64, shape (n,)
        Flux qualifier Q: 0 no adjustment needed, 1 adjusted for a burst in progress,
        2 interpolated/extrapolated, 3 no observation, 4 CelesTrak interpolation of missing
        data. NaN where blank (all predicted rows).
    ap_daily : numpy.ndarray of float64, shape (n,)
        Daily Ap (mean of the eight 3-hour ap), dimensionless; NaN in the long forecast.
    ap_3h : numpy.ndarray of float64, shape (n, 8)
        3-hour ap for 00-03, 03-06, ..., 21-24 UTC; NaN in the long forecast.
    kp_3h : numpy.ndarray of float64, shape (n, 8)
        3-hour Kp (the file's tenths divided by 10: 4.3 means 4+); NaN in the long forecast.
    kp_sum : numpy.ndarray of float64, shape (n,)
        Sum of the eight Kp of the day (file value / 10); NaN in the long forecast.
    sunspot_number : numpy.ndarray of float64, shape (n,)
        International sunspot number (ISN), dimensionless.
    regime : numpy.ndarray of int8, shape (n,)
        :data:`OBSERVED`, :data:`SHORT_FORECAST` or :data:`LONG_FORECAST` per day (days between
        the daily and the monthly predictions count as long forecast).
    source : str
        ``'package data'`` for the file shipped with deorbit, otherwise the path read.
    updated_utc : str
        The file's ``UPDATED`` header, e.g. ``'2026 Oct 16 05:48:20 UTC'``.
    sha256 : str
        SHA-256 (hex) of the uncompressed text.
    last_observed_day_j2000 : int
        Date of the last ``OBSERVED`` row.
    n_rows_observed, n_rows_daily_predicted, n_rows_monthly_predicted : int
        Number of data rows in each section of the file.
    """

    day_j2000: np.ndarray
    f107_obs_sfu: np.ndarray
    f107_adj_sfu: np.ndarray
    f107_obs_ctr81_sfu: np.ndarray
    f107_obs_lst81_sfu: np.ndarray
    f107_adj_ctr81_sfu: np.ndarray
    f107_adj_lst81_sfu: np.ndarray
    f107_qualifier: np.ndarray
    ap_daily: np.ndarray
    ap_3h: np.ndarray
    kp_3h: np.ndarray
    kp_sum: np.ndarray
    sunspot_number: np.ndarray
    regime: np.ndarray
    source: str
    updated_utc: str
    sha256: str
    last_observed_day_j2000: int
    n_rows_observed: int
    n_rows_daily_predicted: int
    n_rows_monthly_predicted: int

    def __post_init__(self) -> None:
        day = np.asarray(self.day_j2000)
        if day.ndim != 1 or day.size == 0 or day.dtype != np.int64:
            raise ValueError("day_j2000 must be a non-empty 1-D int64 array")
        if np.any(np.diff(day) != 1):
            raise ValueError("day_j2000 must run over consecutive days without gaps")
        n = day.size
        for name in (
            "f107_obs_sfu", "f107_adj_sfu", "f107_obs_ctr81_sfu", "f107_obs_lst81_sfu",
            "f107_adj_ctr81_sfu", "f107_adj_lst81_sfu", "f107_qualifier", "ap_daily",
            "kp_sum", "sunspot_number", "regime", "ap_3h", "kp_3h",
        ):
            arr = getattr(self, name)
            expected = (n, 8) if name in ("ap_3h", "kp_3h") else (n,)
            if arr.shape != expected:
                raise ValueError(f"{name} has shape {arr.shape}, expected {expected}")
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, np.ndarray):  # read-only views; the caller's arrays untouched
                view = value.view()
                view.flags.writeable = False
                object.__setattr__(self, name, view)

    # ---------------------------------------------------------------- coverage
    @property
    def first_day_j2000(self) -> int:
        """First UTC date covered, days since 2000-01-01."""
        return int(self.day_j2000[0])

    @property
    def last_day_j2000(self) -> int:
        """Last UTC date covered, days since 2000-01-01 (the data end at its 24:00)."""
        return int(self.day_j2000[-1])

    def _coverage_text(self) -> str:
        return (
            f"{self.source} covers {_iso(self.first_day_j2000)} to {_iso(self.last_day_j2000)}"
            f" (day_j2000 {self.first_day_j2000} to {self.last_day_j2000}) inclusive"
        )

    def _row_index(self, day_j2000: npt.ArrayLike, what: str) -> np.ndarray:
        """Row index of the UTC day containing each instant; raise outside the coverage."""
        t = np.asarray(day_j2000, dtype=np.float64)
        if not np.all(np.isfinite(t)):
            bad_value = t[~np.isfinite(t)][0]
            raise SpaceWeatherError(f"{what}: day_j2000 must be finite, got {bad_value}")
        index = np.floor(t).astype(np.int64) - self.first_day_j2000
        bad = (index < 0) | (index >= self.day_j2000.size)
        if np.any(bad):
            first_bad = float(t[bad].flat[0])
            raise SpaceWeatherError(
                f"{what}: date {_iso(first_bad)} (day_j2000 {first_bad!r}) is outside the "
                f"space-weather data; {self._coverage_text()}"
                + (f"; {int(bad.sum())} of {bad.size} epochs are outside" if bad.size > 1 else "")
            )
        return index

    def regime_of(self, day_j2000: npt.ArrayLike) -> np.ndarray:
        """Regime code of the UTC day containing each instant.

        Parameters
        ----------
        day_j2000 : array_like of float
            Instants as days since 2000-01-01T00:00 UTC (integers name whole days).

        Returns
        -------
        numpy.ndarray of int8
            :data:`OBSERVED`, :data:`SHORT_FORECAST` or :data:`LONG_FORECAST`, same shape.

        Raises
        ------
        SpaceWeatherError
            If a date lies before the first or after the last day of the data.
        """
        return self.regime[self._row_index(day_j2000, "regime_of")]

    def msis_inputs(
        self, day_j2000: npt.ArrayLike, *, f107_burst_threshold_sfu: float | None = 400.0
    ) -> MsisInputs:
        """F10.7, F10.7A and Ap inputs of NRLMSISE-00 at each epoch (vectorised).

        Follows pymsis 0.13 (``pymsis.utils.get_f107_ap`` with ``interpolate=False``), which
        follows the NRLMSISE-00 definitions (Picone et al. 2002):

        - ``F107`` = observed (not adjusted) F10.7 of the previous UTC day;
        - ``F107A`` = centred 81-day mean of observed F10.7 for the epoch's UTC day. The file's
          ``Ctr81 Obs`` column is used in every regime, never recomputed: in the observed
          regime up to 40 days before the last observed day it is a mean of measurements; in
          the last 40 observed days and in the daily predictions its window reaches into
          CelesTrak's predicted fluxes (for the last observed day of the packaged file it
          equals the mean over observed, daily-predicted and interpolated monthly values to
          0.05 sfu); in the long forecast it is the monthly rows' value, interpolated in time
          like all monthly values (see :class:`SpaceWeather`);
        - ``AP[0]`` = daily Ap of the epoch's UTC day; ``AP[1]`` = 3-hour ap of the interval
          containing the epoch; ``AP[2..4]`` = ap 3, 6 and 9 h earlier (previous intervals);
          ``AP[5]`` = mean of the eight 3-hour ap of intervals 4 to 11 before the current one
          (12-33 h prior); ``AP[6]`` = mean of intervals 12 to 19 before (36-57 h prior).
          Intervals start at 00, 03, ..., 21 UTC and may reach into earlier days.

        Values change in steps at 00 UTC (F10.7, F10.7A, daily Ap) and at each 3-hour
        boundary (ap). In the long-forecast regime Ap is NaN: the file has none and nothing is
        invented here (a later model decides).

        Parameters
        ----------
        day_j2000 : array_like of float
            Epochs as days since 2000-01-01T00:00 UTC (NOT since the J2000 epoch at noon: add
            0.5 to days counted from 2000-01-01T12:00). Any shape.
        f107_burst_threshold_sfu : float or None, optional
            pymsis replaces a daily observed F10.7 above 400 sfu (contaminated by a solar
            radio burst; the packaged file has 7 such days, up to 938.6 sfu on 2011-03-07) by that
            day's centred 81-day mean; so does this method, flagging each replacement in
            ``f107_substituted``. ``None`` passes the file's value unchanged.

        Returns
        -------
        MsisInputs
            Arrays of the shape of ``day_j2000``; see :class:`MsisInputs`.

        Raises
        ------
        SpaceWeatherError
            If an epoch is not finite or lies outside ``[first day + 57 h, last day + 24 h)``:
            the 3-hour ap history reaches 57 h (19 intervals) back, the previous-day F10.7 one
            day back; the message names the epoch and the covered range.
        """
        t = np.asarray(day_j2000, dtype=np.float64)
        if not np.all(np.isfinite(t)):
            raise SpaceWeatherError(
                f"msis_inputs: day_j2000 must be finite, got {t[~np.isfinite(t)][0]}"
            )
        # 3-hour interval index counted from 00 UTC of the first day.
        slot = np.floor((t - self.first_day_j2000) * 8.0).astype(np.int64)
        n_slots = 8 * self.day_j2000.size
        bad = (slot < 19) | (slot >= n_slots)
        if np.any(bad):
            first_bad = float(t[bad].flat[0])
            lo = self.first_day_j2000 + 19 / 8
            hi = self.last_day_j2000 + 1
            raise SpaceWeatherError(
                f"msis_inputs: epoch {_iso(first_bad)} (day_j2000 {first_bad!r}) is outside "
                f"the space-weather data usable for NRLMSISE-00: {self.source} gives inputs "
                f"from {_iso(lo)} to before {_iso(hi)} UTC (day_j2000 {lo} <= t < {hi}; the "
                f"file covers {_iso(self.first_day_j2000)} to {_iso(self.last_day_j2000)} "
                "and the ap history needs 57 h)"
                + (f"; {int(bad.sum())} of {bad.size} epochs are outside" if bad.size > 1 else "")
            )
        row = slot // 8
        prev = row - 1
        f107 = self.f107_obs_sfu[prev]
        substituted = np.zeros(t.shape, dtype=bool)
        if f107_burst_threshold_sfu is not None:
            substituted = (f107 > f107_burst_threshold_sfu) | (f107 <= 0.0)
            f107 = np.where(substituted, self.f107_obs_ctr81_sfu[prev], f107)
        ap_flat = self.ap_3h.reshape(-1)
        ap_vector = np.empty(t.shape + (7,), dtype=np.float64)
        ap_vector[..., 0] = self.ap_daily[row]
        for k in range(4):
            ap_vector[..., 1 + k] = ap_flat[slot - k]
        ap_vector[..., 5] = ap_flat[slot[..., None] - np.arange(4, 12)].mean(axis=-1)
        ap_vector[..., 6] = ap_flat[slot[..., None] - np.arange(12, 20)].mean(axis=-1)
        return MsisInputs(
            f107_prev_day_sfu=np.asarray(f107, dtype=np.float64),
            f107_ctr81_sfu=self.f107_obs_ctr81_sfu[row],
            ap_daily=self.ap_daily[row],
            ap_vector=ap_vector,
            regime=self.regime[row],
            f107_substituted=substituted,
            f107_interpolated=self.f107_qualifier[prev] == 4,
        )
