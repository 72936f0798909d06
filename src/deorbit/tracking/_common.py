"""Shared pieces of the tracking readers: the error class, decoding, numbers and epochs.

Epochs are float64 UTC days since J2000 (JD 2451545.0 = 2000-01-01T12:00 UTC), as in
:mod:`deorbit.time`. They are built from an integer day count and a second of the day, never
from float seconds of a large number, so a float64 epoch keeps ~0.1 µs near 2025.
"""
from __future__ import annotations

import gzip
import math
import os
import re
import warnings
from datetime import date

import erfa

__all__ = ["TrackingDataError"]

#: Longest offending value quoted in full in an error message (characters).
MAX_QUOTED = 80
_J2000_ORDINAL = date(2000, 1, 1).toordinal()
_JD_J2000 = 2451545.0
_SECONDS_PER_DAY = 86400.0
#: TAI - GPS time, s (constant since GPS time began, 1980-01-06).
_TAI_MINUS_GPS_S = 19.0
#: Time systems whose epochs are converted to UTC (anything else is rejected).
TIME_SYSTEMS = ("UTC", "TAI", "TT", "GPS")

_EPOCH = re.compile(
    r"(?P<year>\d{4})-(?:(?P<month>\d{2})-(?P<day>\d{2})|(?P<doy>\d{3}))"
    r"T(?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2}(?:\.\d*)?)Z?"
)


class TrackingDataError(ValueError):
    """A tracking-data file (TLE, OMM, OEM, OPM) is malformed or unsupported.

    The message always starts with ``'<file>:<line>: '`` (the file's name, or ``<string>``
    for text passed directly, and the 1-based line number), then says what was found and
    what was expected.
    """


def fail(name: str, line: int, message: str) -> TrackingDataError:
    """The :class:`TrackingDataError` ``'<name>:<line>: <message>'``."""
    return TrackingDataError(f"{name}:{line}: {message}")


def quote(value: str) -> str:
    """``repr`` of a value for an error message, cut to :data:`MAX_QUOTED` characters."""
    if len(value) > MAX_QUOTED:
        return repr(value[:MAX_QUOTED]) + f"... ({len(value)} characters)"
    return repr(value)


def load_text(path) -> tuple[str, str]:
    """Read a file (plain or gzip) as UTF-8 text; return ``(text, name for messages)``."""
    name = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    return decode(raw, name), name


def decode(raw: bytes, name: str) -> str:
    """UTF-8 text of ``raw`` (gunzipped first if it is gzip), without a byte-order mark.

    Raises
    ------
    TrackingDataError
        For a corrupt gzip stream, bytes that are not UTF-8 (naming their line), or no text.
    """
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise fail(name, 1, f"not a valid gzip file: {exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        bad = raw[exc.start:exc.start + 1]
        raise fail(name, line, f"byte {bad!r} is not UTF-8: expected UTF-8 text") from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise fail(name, 1, "empty file: expected tracking data")
    return text


def parse_float(text: str, name: str, line: int, what: str) -> float:
    """A finite float, or a :class:`TrackingDataError` naming ``what``."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not text.strip():
        raise fail(name, line, f"{what} {quote(text)}: expected a finite number")
    return value


def parse_int(text: str, name: str, line: int, what: str) -> int:
    """An integer written in decimal, or a :class:`TrackingDataError` naming ``what``."""
    stripped = text.strip()
    if not re.fullmatch(r"[+-]?\d{1,18}", stripped):
        raise fail(name, line, f"{what} {quote(text)}: expected an integer")
    return int(stripped)


def parse_epoch(text: str, name: str, line: int, what: str = "EPOCH",
                time_system: str = "UTC") -> float:
    """UTC days since J2000 of a CCSDS epoch in the given time system.

    Parameters
    ----------
    text : str
        ``YYYY-MM-DDThh:mm:ss[.d...][Z]`` or day-of-year ``YYYY-DDDThh:mm:ss[.d...][Z]``
        (CCSDS 502.0-B-3, section 7.5.10). A leap second (``ss`` = 60) is rejected: it has
        no place on a scale of 86,400-second days.
    name, line : str, int
        File name and 1-based line number for error messages.
    what : str
        The keyword named in error messages.
    time_system : {'UTC', 'TAI', 'TT', 'GPS'}
        TIME_SYSTEM of the epoch. TAI, TT and GPS (TAI - 19 s) are converted to UTC with the
        leap seconds of ERFA (``erfa.tttai``, ``erfa.taiutc``, two-part Julian dates).

    Returns
    -------
    float
        UTC days since J2000 (JD 2451545.0).
    """
    match = _EPOCH.fullmatch(text.strip())
    problem = None if match else "expected an ISO 8601 UTC epoch (YYYY-MM-DDThh:mm:ss or " \
                                 "YYYY-DDDThh:mm:ss)"
    if match:
        g = match.groupdict()
        year, hour, minute = int(g["year"]), int(g["hour"]), int(g["minute"])
        second = float(g["second"])
        try:
            if g["doy"] is None:
                ordinal = date(year, int(g["month"]), int(g["day"])).toordinal()
            else:
                doy = int(g["doy"])
                last = date(year, 12, 31).timetuple().tm_yday
                if not 1 <= doy <= last:
                    raise ValueError(f"day of year must be 1..{last}")
                ordinal = date(year, 1, 1).toordinal() + doy - 1
        except ValueError as exc:
            ordinal, problem = 0, f"invalid date ({exc})"
        if problem is None and not (hour < 24 and minute < 60 and second < 60.0):
            problem = "time of day out of range (hh < 24, mm < 60, ss < 60)"
    if problem is not None:
        raise fail(name, line, f"{what} {quote(text)}: {problem}")
    day = ordinal - _J2000_ORDINAL  # days since 2000-01-01T00:00
    day_fraction = (hour * 3600.0 + minute * 60.0 + second) / _SECONDS_PER_DAY
    if time_system == "UTC":
        return (day - 0.5) + day_fraction
    return _to_utc(day, day_fraction, time_system, name, line, text, what)


def _to_utc(day: int, day_fraction: float, time_system: str, name: str, line: int,
            text: str, what: str) -> float:
    """UTC days since J2000 of a TAI, TT or GPS epoch (integer day + fraction since 00:00)."""
    jd1, jd2 = _JD_J2000 - 0.5 + day, day_fraction
    with warnings.catch_warnings():
        warnings.simplefilter("error", erfa.ErfaWarning)
        try:
            if time_system == "TT":
                jd1, jd2 = erfa.tttai(jd1, jd2)
            elif time_system == "GPS":
                jd2 = jd2 + _TAI_MINUS_GPS_S / _SECONDS_PER_DAY
            utc1, utc2 = erfa.taiutc(jd1, jd2)
        except (erfa.ErfaWarning, erfa.ErfaError) as exc:
            raise fail(name, line, f"{what} {quote(text)} in {time_system}: cannot convert "
                       f"to UTC with ERFA's leap-second table ({exc})") from None
    return float(utc1 - _JD_J2000) + float(utc2)


def format_epoch(epoch_utc_days: float) -> str:
    """``YYYY-MM-DDThh:mm:ss.ffffff`` (UTC, to 1 µs) of UTC days since J2000."""
    day = math.floor(epoch_utc_days + 0.5)
    # epoch - (day - 0.5) is exact (both within a factor of two of each other or tiny).
    micro = round((epoch_utc_days - (day - 0.5)) * _SECONDS_PER_DAY * 1e6)
    if micro >= 86_400_000_000:
        day, micro = day + 1, micro - 86_400_000_000
    calendar = date.fromordinal(_J2000_ORDINAL + day)
    seconds, micro = divmod(micro, 1_000_000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return f"{calendar.isoformat()}T{hour:02d}:{minute:02d}:{second:02d}.{micro:06d}"
