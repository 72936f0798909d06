"""Two- and three-line element sets (TLE / 3LE), read through python-sgp4.

Every line is checked against the fixed-column format (Vallado et al. 2006, appendix B;
CelesTrak, "NORAD Two-Line Element Set Format") before ``sgp4.api.Satrec.twoline2rv`` sees
it, because that parser silently reads garbage as zeros: line numbers 1 and 2, 69 columns,
the blank separator columns, each field's digits, the modulo-10 checksum (digits, plus 1 per
minus sign) and the same catalogue number on both lines. The state at epoch is SGP4's own
(``Satrec.sgp4`` at ``jdsatepoch, jdsatepochF``, WGS-72, improved mode 'i'), in TEME.

References
----------
Vallado, Crawford, Hujsak, Kelso, "Revisiting Spacetrack Report #3", AIAA 2006-6753 (2006).
"""
from __future__ import annotations

import math
import re

import numpy as np
from sgp4.api import Satrec

from ._common import fail, quote
from .results import ElementSeries, ElementSet

__all__ = ["element_set", "element_series", "parse_tle"]

_JD_J2000 = 2451545.0
_TLE_COLUMNS = 69
_DECIMAL = r" *[+-]?\d*\.\d+"
_IMPLIED = r"[ +-]\d{5}[+-]\d"  # implied leading decimal point and exponent: -11606-4
_CATALOGUE = r"(?: *\d+|[A-HJ-NP-Z]\d{4})"  # digits, or Alpha-5 (letters without I and O)
# (first column, last column, field name, pattern) for each line, 1-based inclusive columns.
_FIELDS = {
    "1": (
        (3, 7, "catalogue number", _CATALOGUE),
        (8, 8, "classification", r"[UCS ]"),
        (10, 17, "international designator", r"[ -~]{8}"),
        (19, 32, "epoch (YYDDD.DDDDDDDD)", r"\d{5}\.\d{8}"),
        (34, 43, "first derivative of mean motion", _DECIMAL),
        (45, 52, "second derivative of mean motion", _IMPLIED),
        (54, 61, "B*", _IMPLIED),
        (63, 63, "ephemeris type", r"[0-9 ]"),
        (65, 68, "element set number", r" *\d*"),
    ),
    "2": (
        (3, 7, "catalogue number", _CATALOGUE),
        (9, 16, "inclination (deg)", _DECIMAL),
        (18, 25, "right ascension of the ascending node (deg)", _DECIMAL),
        (27, 33, "eccentricity (implied leading decimal point)", r" *\d+"),
        (35, 42, "argument of perigee (deg)", _DECIMAL),
        (44, 51, "mean anomaly (deg)", _DECIMAL),
        (53, 63, "mean motion (rev/day)", _DECIMAL),
        (64, 68, "revolution number", r" *\d*"),
    ),
}
_BLANKS = {"1": (2, 9, 18, 33, 44, 53, 62, 64), "2": (2, 8, 17, 26, 34, 43, 52)}
_RANGES_DEG = {9: (0.0, 180.0), 18: (0.0, 360.0), 35: (0.0, 360.0), 44: (0.0, 360.0)}


def checksum(line: str) -> int:
    """TLE checksum of columns 1-68: the sum of the digits plus 1 per minus sign, mod 10."""
    return sum(int(c) if c.isdigit() else c == "-" for c in line[:68]) % 10


def _check_line(text: str, number: str, name: str, line: int) -> None:
    """Raise a :class:`TrackingDataError` unless ``text`` is a valid TLE line ``number``."""
    where = f"TLE line {number}"
    if len(text) != _TLE_COLUMNS:
        raise fail(name, line, f"{where} has {len(text)} columns, expected {_TLE_COLUMNS}: "
                   f"{quote(text)}")
    if not text.isascii():
        raise fail(name, line, f"{where} has a non-ASCII character: {quote(text)}")
    for column in _BLANKS[number]:
        if text[column - 1] != " ":
            raise fail(name, line, f"{where}: column {column} must be blank, got "
                       f"{text[column - 1]!r} in {quote(text)}")
    for first, last, what, pattern in _FIELDS[number]:
        value = text[first - 1:last]
        if not re.fullmatch(pattern, value):
            raise fail(name, line, f"{where}: {what} (columns {first}-{last}) is "
                       f"{value!r}, not in the TLE format")
        if first in _RANGES_DEG and number == "2":
            low, high = _RANGES_DEG[first]
            if not low <= float(value) <= high:
                raise fail(name, line, f"{where}: {what} is {value.strip()}, expected "
                           f"{low:g} to {high:g}")
    if number == "1" and not 1 <= int(text[20:23]) <= 366:
        raise fail(name, line, f"TLE line 1: epoch day of year {text[20:23]!r}, expected "
                   "001-366")
    if number == "2" and float(text[52:63]) <= 0.0:
        raise fail(name, line, f"TLE line 2: mean motion {text[52:63].strip()!r} rev/day, "
                   "expected > 0")
    if not text[68].isdigit() or int(text[68]) != checksum(text):
        raise fail(name, line, f"{where}: checksum {text[68]!r} (column 69) does not match "
                   f"{checksum(text)} computed from columns 1-68")


def element_set(sat: Satrec, object_name: str, object_id: str, name: str,
                line: int) -> ElementSet:
    """The :class:`ElementSet` of an initialised ``Satrec``, with SGP4's TEME state at epoch.

    Raises
    ------
    TrackingDataError
        If SGP4 reports an error code at initialisation or at epoch, or a non-finite state.
    """
    error, r_km, v_km_s = sat.sgp4(sat.jdsatepoch, sat.jdsatepochF)
    state_m = np.array([*r_km, *v_km_s], dtype=np.float64) * 1e3
    error = error or sat.error
    if error or not np.all(np.isfinite(state_m)):
        raise fail(name, line, f"SGP4 cannot propagate this element set to its epoch "
                   f"(error code {error}; see sgp4.api.SGP4_ERRORS): expected elements of a "
                   "bound orbit above the Earth's surface")
    to_deg = 180.0 / math.pi
    return ElementSet(
        epoch_utc_days=(sat.jdsatepoch - _JD_J2000) + sat.jdsatepochF,
        state_teme_m=state_m,
        name=object_name,
        norad_id=int(sat.satnum),
        object_id=object_id,
        mean_motion_rev_per_day=sat.no_kozai * 1440.0 / (2.0 * math.pi),
        eccentricity=sat.ecco,
        inclination_deg=sat.inclo * to_deg,
        raan_deg=sat.nodeo * to_deg,
        arg_perigee_deg=sat.argpo * to_deg,
        mean_anomaly_deg=sat.mo * to_deg,
        bstar_per_earth_radius=sat.bstar,
        semi_major_axis_m=sat.a * sat.radiusearthkm * 1e3,  # sat.a is in earth radii
        satrec=sat,
        source=name,
        line=line,
    )


def element_series(sets: list[ElementSet], name: str) -> ElementSeries:
    """Sort element sets by (catalogue number, epoch) and drop repeated epochs."""
    ordered = sorted(enumerate(sets), key=lambda p: (p[1].norad_id, p[1].epoch_utc_days, p[0]))
    kept: list[ElementSet] = []
    for _, item in ordered:
        if kept and (kept[-1].norad_id, kept[-1].epoch_utc_days) == (item.norad_id,
                                                                     item.epoch_utc_days):
            continue
        kept.append(item)
    return ElementSeries(tuple(kept), len(sets) - len(kept), name)


def parse_tle(text: str, name: str = "<string>") -> ElementSeries:
    """Read the TLEs or 3LEs of ``text``.

    Parameters
    ----------
    text : str
        Element sets, each as two 69-column lines ``1 ...`` and ``2 ...``, optionally after
        a name line (line 0 of a 3LE, with or without CelesTrak's ``'0 '`` prefix). Blank
        lines and trailing spaces are ignored.
    name : str
        File name for error messages.

    Returns
    -------
    ElementSeries
        Sorted by (catalogue number, epoch); element sets repeating an epoch are dropped
        and counted in ``duplicates_removed``.

    Raises
    ------
    TrackingDataError
        ``'<name>:<line>: ...'`` for a malformed line, a bad checksum, mismatched catalogue
        numbers, a name line not followed by line 1, or an SGP4 error at epoch.
    """
    rows = [(i + 1, s.rstrip()) for i, s in enumerate(text.splitlines()) if s.strip()]
    sets: list[ElementSet] = []
    k = 0
    while k < len(rows):
        object_name = ""
        if not rows[k][1].startswith("1 "):
            object_name = rows[k][1].removeprefix("0 ").strip()
            k += 1
            if k == len(rows) or not rows[k][1].startswith("1 "):
                lineno = rows[k][0] if k < len(rows) else rows[k - 1][0]
                found = quote(rows[k][1]) if k < len(rows) else "end of file"
                raise fail(name, lineno, f"expected TLE line 1 ('1 NNNNNC ...') after the "
                           f"name line {quote(object_name)}, found {found}")
        line1_no, line1 = rows[k]
        if k + 1 == len(rows) or not rows[k + 1][1].startswith("2 "):
            lineno = rows[k + 1][0] if k + 1 < len(rows) else line1_no
            raise fail(name, lineno, "expected TLE line 2 ('2 NNNNN ...') after line 1")
        line2_no, line2 = rows[k + 1]
        _check_line(line1, "1", name, line1_no)
        _check_line(line2, "2", name, line2_no)
        if line1[2:7] != line2[2:7]:
            raise fail(name, line2_no, f"catalogue number {line2[2:7]!r} of line 2 differs "
                       f"from {line1[2:7]!r} of line 1")
        sat = Satrec.twoline2rv(line1, line2)
        sets.append(element_set(sat, object_name, line1[9:17].strip(), name, line1_no))
        k += 2
    return element_series(sets, name)
