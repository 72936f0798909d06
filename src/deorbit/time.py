"""UTC epochs as days since J2000, and Greenwich mean sidereal time.

Epochs are float64 UTC days since J2000 (JD 2451545.0 = 2000-01-01 12:00 UTC). UT1 is
taken equal to UTC (|UT1 - UTC| < 0.9 s moves a longitude by < 0.004 deg) and TT - UTC is
ignored: drag propagation over months does not resolve them.
"""
from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from .constants import JD_J2000, SECONDS_PER_DAY

_J2000_UTC = datetime(2000, 1, 1, 12, 0, 0, tzinfo=UTC)


def epoch_from_datetime(when) -> float:
    """UTC days since J2000 of a timezone-aware ``datetime`` or an ISO 8601 string.

    A naive datetime or a string without an offset is taken as UTC.
    """
    if isinstance(when, str):
        when = datetime.fromisoformat(when.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - _J2000_UTC).total_seconds() / SECONDS_PER_DAY


def datetime_from_epoch(epoch_utc_days: float) -> datetime:
    """Timezone-aware UTC ``datetime`` of an epoch in UTC days since J2000."""
    from datetime import timedelta

    return _J2000_UTC + timedelta(days=float(epoch_utc_days))


def utc_day_index(epoch_utc_days):
    """Integer calendar day of an epoch: days since 2000-01-01 (00:00 UTC), floor."""
    return np.floor(np.asarray(epoch_utc_days, dtype=np.float64) + 0.5).astype(np.int64)


def utc_days_spanned(start_epoch_utc_days, stop_epoch_utc_days):
    """(first day, days): the calendar days from the day of the earliest start to the day
    after the latest stop, as a day index since 2000-01-01 (:func:`utc_day_index`) and a
    count: the days a propagation over those epochs reads daily indices of (its last step
    may end on the day boundary after the stop)."""
    first_day = int(utc_day_index(np.min(start_epoch_utc_days)))
    return first_day, int(np.ceil(np.max(stop_epoch_utc_days) + 0.5 - first_day)) + 1


def gmst_rad(epoch_utc_days):
    """Greenwich mean sidereal time, rad in [0, 2 pi), IAU-82 (Aoki et al. 1982).

    Parameters
    ----------
    epoch_utc_days : float or ndarray
        UTC (taken as UT1) days since J2000.

    References
    ----------
    Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed., eq. 3-45.
    """
    d = np.asarray(epoch_utc_days, dtype=np.float64)
    t = d / 36525.0
    # Seconds of sidereal time; the 876600 h term is the whole turns per century.
    sec = (67310.54841 + (876600.0 * 3600.0 + 8640184.812866) * t + 0.093104 * t**2
           - 6.2e-6 * t**3)
    return np.mod(sec % SECONDS_PER_DAY / SECONDS_PER_DAY * 2.0 * np.pi, 2.0 * np.pi)


__all__ = ["JD_J2000", "datetime_from_epoch", "epoch_from_datetime", "gmst_rad",
           "utc_day_index", "utc_days_spanned"]
