"""Epochs, the three time scales the package uses, and Greenwich mean sidereal time.

Epochs are float64 **UTC** days since J2000: ``epoch_utc_days = JD(UTC) - 2451545.0``
(2000-01-01 12:00 UTC), counted as 86,400 s per day (ERFA's quasi-JD convention for UTC).
Three time scales enter, each where it matters:

- **UTC** labels every epoch: inputs, outputs, space-weather days.
- **UT1** turns the Earth (GMST, IAU-82; see :func:`gmst_rad`). UT1 is *taken equal to UTC*:
  no Earth-orientation data are read. ``|UT1 - UTC| < 0.9 s`` by the IERS's leap-second
  rule, i.e. an Earth-rotation angle ``< 7.292e-5 rad/s x 0.9 s = 6.6e-5 rad``: < 0.42 km
  along the equator at the surface, < 0.45 km for an object at 400 km (< 0.53 km at
  1,700 km) in its Earth-fixed position, and < 0.004 deg in longitude. It does not touch
  the inertial-frame conversions of :mod:`deorbit.frames` (TEME, EME2000, GCRF: their
  ``GMST82(UT1)`` terms cancel), only Earth-fixed ones (ITRF, latitude/longitude).
- **TT** = UTC + (TAI - UTC) + 32.184 s dates precession-nutation (IAU-76/80 and
  IAU-2006/2000A models in :mod:`deorbit.frames`). TAI - UTC (the leap seconds) comes from
  ERFA's built-in table (``erfa.dat``, no download): 32 s in 2004, 37 s since 2017-01-01.
  See :func:`tai_minus_utc_s` for epochs past the table's last entry (held at its value).
  Precession-nutation turns by < 1.1e-11 rad/s, so TT matters at the millimetre: even
  ignoring TT - UTC (69.184 s today) would move a LEO position by < 6 mm.

References
----------
Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed. (2013), sec. 3.5 (time
scales), eq. 3-45 (GMST); IERS Conventions (2010), ch. 5; SOFA/ERFA ``dat``, ``gmst82``.
"""
from __future__ import annotations

from datetime import UTC, datetime

import erfa
import numpy as np

from .constants import JD_J2000, SECONDS_PER_DAY

#: TT - TAI, s (exact, by definition of TT).
TT_MINUS_TAI_S = 32.184

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


def _first_epoch_of_month(year, month):
    """UTC days since J2000 of 00:00 UTC on the first of a month."""
    mjd0, mjd = erfa.cal2jd(year, month, 1)
    return float(mjd0 + mjd - JD_J2000)


def tai_minus_utc_s(epoch_utc_days):
    """TAI - UTC (leap seconds, and the 1960-1971 rubber-second offsets), s.

    From ERFA's built-in table (``erfa.dat`` through ``erfa.leap_seconds``): no download.
    After the table's last entry (2017-01-01, 37 s, in pyerfa 2.0.1.5) the last value is
    held, explicitly: ``erfa.dat`` would return the same value but flags the years after
    its release year + 5 (2029 on, for pyerfa 2.0.1.5) as "dubious year" (an ErfaWarning),
    because a leap second announced later would be missing from the table. Such a miss
    shifts TT by 1 s, which moves precession-nutation by < 1.1e-11 rad (< 0.1 mm in LEO).
    The table cannot be checked offline against the IERS's latest Bulletin C; a newer one
    installed with ``erfa.leap_seconds.set`` (astropy does this) is used if present.

    Parameters
    ----------
    epoch_utc_days : float or array_like
        UTC days since J2000, on or after 1960-01-01.

    Returns
    -------
    ndarray
        TAI - UTC, s, shaped like the input.

    Raises
    ------
    ValueError
        For epochs before 1960-01-01, where UTC (and ERFA's table) is not defined.
    """
    d = np.asarray(epoch_utc_days, dtype=np.float64)
    if np.any(d < _first_epoch_of_month(1960, 1)):
        raise ValueError("TAI - UTC is not defined before 1960-01-01 (UTC epochs from "
                         f"{_first_epoch_of_month(1960, 1)} days since J2000)")
    table = erfa.leap_seconds.get()  # built-in unless a caller installed a newer one
    last = table[-1]
    held = d >= _first_epoch_of_month(int(last["year"]), int(last["month"]))
    out = np.full(d.shape, float(last["tai_utc"]))
    if not np.all(held):
        iy, im, iday, fd = erfa.jd2cal(JD_J2000, d[~held])
        out[~held] = erfa.dat(iy, im, iday, fd)
    return out


def tt_minus_utc_s(epoch_utc_days):
    """TT - UTC = (TAI - UTC) + 32.184 s, s (64.184 s in 2004, 69.184 s since 2017).

    See :func:`tai_minus_utc_s` for the source of the leap seconds and epochs past it.
    """
    return tai_minus_utc_s(epoch_utc_days) + TT_MINUS_TAI_S


def tt_jd(epoch_utc_days):
    """Two-part Julian date in TT for ERFA, ``(jd1, jd2)`` with ``jd1 = 2451545.0``.

    ``jd2 = epoch + (TT - UTC) / 86400``: days since J2000 stay small, so the pair keeps
    float64's ~1e-11 day (~1 us) resolution that a single JD near 2.45e6 would lose.
    """
    d = np.asarray(epoch_utc_days, dtype=np.float64)
    return np.full(d.shape, JD_J2000), d + tt_minus_utc_s(d) / SECONDS_PER_DAY


def ut1_jd(epoch_utc_days):
    """Two-part Julian date in UT1 for ERFA, ``(jd1, jd2)``, with UT1 taken equal to UTC.

    See the module docstring for what ``|UT1 - UTC| < 0.9 s`` can move.
    """
    d = np.asarray(epoch_utc_days, dtype=np.float64)
    return np.full(d.shape, JD_J2000), d.copy()


__all__ = ["JD_J2000", "TT_MINUS_TAI_S", "datetime_from_epoch", "epoch_from_datetime",
           "gmst_rad", "tai_minus_utc_s", "tt_jd", "tt_minus_utc_s", "ut1_jd", "utc_day_index",
           "utc_days_spanned"]
