"""Shared pieces of the solar-activity models: :class:`SolarPaths`, per-sample random streams,
the centred 81-day mean and the Sun-Earth distance factor of F10.7.

Conventions (as in :mod:`deorbit.spaceweather`): a day index is ``day_j2000``, the UTC date as
days since 2000-01-01 (2000-01-01 -> 0); F10.7 is in sfu (1 sfu = 1e-22 W m^-2 Hz^-1); Ap is
the dimensionless daily planetary amplitude.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from .._messages import shown
from ..spaceweather import REGIME_NAMES, SpaceWeather

__all__ = [
    "SolarActivityModel",
    "SolarPaths",
    "centred_mean_81",
    "distance_factor",
    "per_sample_generators",
    "sample_streams",
]

#: Half-width of the centred 81-day mean, days.
HALF_WINDOW = 40
#: Daily F10.7 above which NRLMSISE-00 users (pymsis) substitute the 81-day mean (a radio burst).
BURST_THRESHOLD_SFU = 400.0


@dataclass(frozen=True, eq=False)
class SolarPaths:
    """Daily solar-activity paths for a block of samples.

    Row ``i`` is sample ``i``; column ``j`` is the UTC day ``first_day + j``.

    Attributes
    ----------
    first_day : int
        Day index (UTC days since 2000-01-01) of column 0.
    f107_sfu : numpy.ndarray of float64, shape (n_samples, n_days)
        Daily F10.7 at the actual Sun-Earth distance ("observed" flux, not adjusted to 1 AU),
        sfu. Bursts above 400 sfu are kept as given (see :meth:`msis_inputs`).
    f107_81d_sfu : numpy.ndarray of float64, shape (n_samples, n_days)
        Centred 81-day arithmetic mean of the daily observed F10.7 (the day itself and 40 days
        either side), sfu: NRLMSISE-00's ``F107A``.
    ap : numpy.ndarray of float64, shape (n_samples, n_days)
        Daily Ap (dimensionless).
    regime : numpy.ndarray of int8, shape (n_samples, n_days)
        Regime code of each value (:data:`deorbit.spaceweather.OBSERVED`, ``SHORT_FORECAST``,
        ``LONG_FORECAST`` or ``MODELLED``).
    f107_day_before_sfu : numpy.ndarray of float64, shape (n_samples,)
        Daily observed F10.7 of the day ``first_day - 1``, sfu. An addition to the minimal
        interface: NRLMSISE-00 takes the *previous* day's F10.7, so column 0 needs it.
    """

    first_day: int
    f107_sfu: np.ndarray
    f107_81d_sfu: np.ndarray
    ap: np.ndarray
    regime: np.ndarray
    f107_day_before_sfu: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "first_day", int(self.first_day))
        shape = np.shape(self.f107_sfu)
        if len(shape) != 2:
            raise ValueError(f"f107_sfu must be 2-D (n_samples, n_days), got shape {shape}")
        for name in ("f107_sfu", "f107_81d_sfu", "ap"):
            arr = np.asarray(getattr(self, name), dtype=np.float64)
            if arr.shape != shape:
                raise ValueError(f"{name} has shape {arr.shape}, expected {shape}")
            object.__setattr__(self, name, arr)
        regime = np.asarray(self.regime)
        if regime.shape != shape or regime.dtype != np.int8:
            raise ValueError(
                f"regime must be int8 of shape {shape}, got {regime.dtype} {regime.shape}"
            )
        bad = ~np.isin(regime, list(REGIME_NAMES))
        if np.any(bad):
            raise ValueError(f"unknown regime code {regime[bad][0]}; allowed {REGIME_NAMES}")
        before = np.asarray(self.f107_day_before_sfu, dtype=np.float64)
        if before.shape != shape[:1]:
            raise ValueError(
                f"f107_day_before_sfu has shape {before.shape}, expected {shape[:1]}"
            )
        object.__setattr__(self, "f107_day_before_sfu", before)

    @property
    def n_samples(self) -> int:
        """Number of sample paths (rows)."""
        return self.f107_sfu.shape[0]

    @property
    def n_days(self) -> int:
        """Number of days (columns)."""
        return self.f107_sfu.shape[1]

    @property
    def days(self) -> np.ndarray:
        """Day index (UTC days since 2000-01-01) of each column, int64."""
        return np.arange(self.first_day, self.first_day + self.n_days, dtype=np.int64)

    def msis_inputs(
        self, *, f107_burst_threshold_sfu: float | None = BURST_THRESHOLD_SFU
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """NRLMSISE-00 daily inputs per sample and day.

        Parameters
        ----------
        f107_burst_threshold_sfu : float or None, optional
            As pymsis and :meth:`deorbit.spaceweather.SpaceWeather.msis_inputs`: a previous-day
            F10.7 above this (a solar radio burst) is replaced by the 81-day mean. For column 0
            the 81-day mean of ``first_day`` stands in for that of ``first_day - 1`` (they
            differ by < 2 %). ``None`` keeps the values unchanged.

        Returns
        -------
        f107a : numpy.ndarray, shape (n_samples, n_days)
            Centred 81-day mean of observed F10.7 of each day, sfu (``F107A``).
        f107_prev_day : numpy.ndarray, shape (n_samples, n_days)
            Observed F10.7 of the previous day, sfu (``F107``). The kernel's daily departure
            is ``f107_prev_day - f107a``.
        ap : numpy.ndarray, shape (n_samples, n_days)
            Daily Ap of each day (``AP[0]``).
        """
        prev = np.empty_like(self.f107_sfu)
        prev[:, 0] = self.f107_day_before_sfu
        prev[:, 1:] = self.f107_sfu[:, :-1]
        if f107_burst_threshold_sfu is not None:
            mean_prev = np.empty_like(self.f107_81d_sfu)
            mean_prev[:, 0] = self.f107_81d_sfu[:, 0]
            mean_prev[:, 1:] = self.f107_81d_sfu[:, :-1]
            prev = np.where(prev > f107_burst_threshold_sfu, mean_prev, prev)
        return self.f107_81d_sfu.copy(), prev, self.ap.copy()


@runtime_checkable
class SolarActivityModel(Protocol):
    """What the Monte Carlo engine needs from a solar-activity model.

    ``sample(rng, first_day, n_days, n_samples, *, stream_days=None)`` returns
    :class:`SolarPaths` for the days ``first_day .. first_day + n_days - 1``. ``rng`` is the
    block's generator, or one generator (or ``SeedSequence``) per sample; see
    :func:`per_sample_generators`. ``stream_days`` (>= ``n_days``, default ``n_days``) is the
    window the random numbers are laid out for: ``sample(rng, d, n, k, stream_days=m)``
    equals the first ``n`` days of ``sample(rng, d, m, k)`` with equal streams, bit for bit
    (the engine samples a block's first years, and the rare samples that live longer again,
    to the horizon).
    """

    name: str

    def sample(
        self,
        rng: np.random.Generator | Sequence[np.random.Generator | np.random.SeedSequence],
        first_day: int,
        n_days: int,
        n_samples: int,
        *,
        stream_days: int | None = None,
    ) -> SolarPaths:  # pragma: no cover - protocol
        ...


def per_sample_generators(
    rng: np.random.Generator | Sequence[np.random.Generator | np.random.SeedSequence],
    n_samples: int,
) -> list[np.random.Generator]:
    """Turn the ``rng`` argument of ``sample`` into one independent generator per sample.

    Design: every random number of sample ``i`` comes from its own stream, drawn in a fixed
    order whose length depends only on the requested days, never on ``n_samples``. Hence
    a sample's path depends only on its stream, and

    - given a block ``Generator``, the streams are ``rng.spawn(n_samples)`` (NumPy's
      ``SeedSequence.spawn``: child ``i`` is ``SeedSequence(entropy, spawn_key=parent_key +
      (k + i,))`` where ``k`` counts the children spawned before). From equal generator
      states, the first ``n`` rows of a draw of ``m >= n`` samples equal a draw of ``n``.
      (``spawn`` advances the parent's child counter, so calling ``sample`` twice with the
      same generator object gives different, independent paths.)
    - given a sequence of per-sample ``Generator`` or ``SeedSequence`` objects, they are
      used as they are: a driver that gives sample ``j`` (global index) the stream
      ``sample_streams(seed, j, j + 1)[0]`` gets the same paths however it splits the
      samples into blocks.

    Parameters
    ----------
    rng : numpy.random.Generator or sequence of Generator/SeedSequence
        Block generator, or one stream per sample.
    n_samples : int
        Number of samples.

    Returns
    -------
    list of numpy.random.Generator
    """
    if isinstance(rng, np.random.Generator):
        return list(rng.spawn(n_samples))
    if isinstance(rng, (np.random.SeedSequence, np.random.BitGenerator)) or not isinstance(
        rng, Sequence
    ):
        raise TypeError(
            "rng must be a numpy.random.Generator (the block's) or a sequence of one "
            f"Generator or SeedSequence per sample; got {type(rng).__name__}"
        )
    if len(rng) != n_samples:
        raise ValueError(f"rng: {len(rng)} per-sample streams given for n_samples = {n_samples}")
    out = []
    for i, g in enumerate(rng):
        if isinstance(g, np.random.Generator):
            out.append(g)
        elif isinstance(g, np.random.SeedSequence):
            out.append(np.random.default_rng(g))
        else:
            raise TypeError(f"rng[{i}] is a {type(g).__name__}, not a Generator or SeedSequence")
    return out


def sample_streams(seed: int, start: int, stop: int) -> list[np.random.SeedSequence]:
    """Per-sample streams for the global sample indices ``start .. stop - 1``.

    ``SeedSequence(seed, spawn_key=(j,))`` for sample ``j``: identical to
    ``SeedSequence(seed).spawn(stop)[j]``, so any split of the samples into blocks gives the
    same streams.
    """
    return [np.random.SeedSequence(seed, spawn_key=(j,)) for j in range(start, stop)]


def check_setting(name: str, value, lo, hi, *, integer: bool = True,
                  lo_open: bool = False):
    """A model setting, checked: a real number (not a bool) in its range.

    Parameters
    ----------
    name : str
        The setting's name, for the message.
    value : object
        What was given (a scenario value may be of any TOML type).
    lo, hi : int or float
        The allowed range, ``[lo, hi]`` (``(lo, hi]`` with ``lo_open``).
    integer : bool
        Whether the value must be a whole number (``162.0`` reads as ``162``).

    Returns
    -------
    int or float

    Raises
    ------
    ValueError
        Naming the setting, its value and the allowed range.
    """
    real = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value,
                                                                                         bool)
    if (real and (lo < value if lo_open else lo <= value) and value <= hi
            and (not integer or float(value).is_integer())):
        return int(value) if integer else float(value)
    allowed = (f"an integer in [{lo}, {hi}]" if integer else
               f"{'(' if lo_open else '['}{lo}, {hi}]")
    raise ValueError(f"{name} = {shown(value)}: allowed {allowed}")


def check_window(first_day: int, n_days: int, n_samples: int,
                 stream_days: int | None = None) -> tuple[int, int, int, int]:
    """Validate the ``sample`` arguments; return them as ints (``stream_days`` defaults to
    ``n_days``)."""
    if stream_days is None:
        stream_days = n_days
    for name, value, low in (("n_days", n_days, 1), ("n_samples", n_samples, 1),
                             ("stream_days", stream_days, n_days)):
        if int(value) != value or value < low:
            raise ValueError(f"{name} = {value!r}: allowed an integer >= {low}")
    if int(first_day) != first_day:
        raise ValueError(f"first_day = {first_day!r}: allowed an integer day index")
    return int(first_day), int(n_days), int(n_samples), int(stream_days)


def record_window(sw: SpaceWeather, first_covered: int, last_covered: int, first_day: int,
                  n_days: int, n_samples: int, stream_days: int | None, refusal) -> SolarPaths:
    """The record's paths for a window the file must cover, with the day before it (whose
    F10.7 NRLMSISE-00 needs): checked :func:`check_window` arguments, then
    ``ValueError(refusal(first_day, last_day))`` unless ``first_covered <= first_day - 1``
    and ``last_day <= last_covered``, then :func:`file_paths`."""
    first_day, n_days, n_samples, _ = check_window(first_day, n_days, n_samples, stream_days)
    last = first_day + n_days - 1
    if first_day - 1 < first_covered or last > last_covered:
        raise ValueError(refusal(first_day, last))
    return file_paths(sw, first_day - first_covered, n_days, n_samples)


def file_paths(sw: SpaceWeather, index: int, n_days: int, n_samples: int) -> SolarPaths:
    """The space-weather file's own daily values for a window, one identical row per sample.

    Parameters
    ----------
    sw : deorbit.spaceweather.SpaceWeather
        The file.
    index : int
        Row of the window's first day (>= 1: the row before gives the previous-day F10.7).
    n_days, n_samples : int
        Window length (days) and number of paths.

    The arrays are the caller's to fill in (the forecast model replaces the Ap of the
    monthly predictions, which is -1).
    """
    sl = slice(index, index + n_days)
    shape = (n_samples, n_days)

    def rows(a, dtype=np.float64):
        return np.broadcast_to(np.asarray(a[sl], dtype=dtype), shape).copy()

    return SolarPaths(
        first_day=int(sw.day_j2000[index]),
        f107_sfu=rows(sw.f107_obs_sfu),
        f107_81d_sfu=rows(sw.f107_obs_ctr81_sfu),
        ap=rows(sw.ap_daily),
        regime=rows(sw.regime, np.int8),
        f107_day_before_sfu=np.full(n_samples, float(sw.f107_obs_sfu[index - 1])),
    )


def iso_day(day: int) -> str:
    """ISO date of a day index."""
    return str(np.datetime64("2000-01-01", "D") + np.timedelta64(int(day), "D"))


def centred_mean_81(values: np.ndarray) -> np.ndarray:
    """Centred 81-day means along the last axis (valid part only: 80 columns shorter).

    Parameters
    ----------
    values : numpy.ndarray, shape (..., n)
        Daily values, n >= 81.

    Returns
    -------
    numpy.ndarray, shape (..., n - 80)
        Column ``j`` is the mean of columns ``j .. j + 80`` of the input, i.e. the centred
        mean of input column ``j + 40``.
    """
    c = np.cumsum(values, axis=-1, dtype=np.float64)
    zero = np.zeros(values.shape[:-1] + (1,))
    c = np.concatenate([zero, c], axis=-1)
    return (c[..., 2 * HALF_WINDOW + 1 :] - c[..., : -(2 * HALF_WINDOW + 1)]) / (
        2 * HALF_WINDOW + 1
    )


def distance_factor(day: np.ndarray) -> np.ndarray:
    """(1 AU / r)^2 for the Sun-Earth distance r on each day: observed F10.7 / adjusted F10.7.

    Keplerian orbit, eccentricity 0.016709, perihelion on day 2.5 of the year (about
    January 3), second order in e (r/a = 1 - e cos M + e^2/2 (1 - cos 2M)). Against the
    ratio of the file's observed and adjusted F10.7 (days with adjusted flux > 150 sfu,
    where the 0.1 sfu rounding matters least) it agrees within 1e-3, the rounding.

    Parameters
    ----------
    day : array_like
        Day index (days since 2000-01-01), any shape.

    Returns
    -------
    numpy.ndarray
        Dimensionless factor, between 0.967 and 1.034.
    """
    m = 2.0 * np.pi * (np.asarray(day, dtype=np.float64) - 2.5) / 365.2596
    e = 0.016709
    r = 1.0 - e * np.cos(m) + 0.5 * e * e * (1.0 - np.cos(2.0 * m))
    return 1.0 / (r * r)


def observed_arrays(sw: SpaceWeather) -> dict[str, np.ndarray]:
    """The observed part of a space-weather record (days, F10.7 obs/adj, Ap)."""
    n = sw.n_rows_observed
    return dict(
        day=np.asarray(sw.day_j2000[:n]),
        f107_obs=np.asarray(sw.f107_obs_sfu[:n]),
        f107_adj=np.asarray(sw.f107_adj_sfu[:n]),
        ap=np.asarray(sw.ap_daily[:n]),
    )
