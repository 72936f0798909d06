"""CelesTrak space-weather history (``SW-All.txt``): the format, parsed and loaded.

The file is CelesTrak's "CssiSpaceWeather" fixed-width text, version 1.2, described at
https://celestrak.org/SpaceData/SpaceWx-format.php. Each data row is one UTC day written with
``FORMAT(I4,I3,I3,I5,I3,8I3,I4,8I4,I4,F4.1,I2,I4,F6.1,I2,5F6.1)`` (33 fields, 130 columns)::

    yy mm dd BSRN ND Kp*8 Sum Ap*8 Avg Cp C9 ISN F10.7adj Q Ctr81adj Lst81adj
    F10.7obs Ctr81obs Lst81obs

in three sections: ``OBSERVED`` (measured), ``DAILY_PREDICTED`` (NOAA SWPC 45-day forecast:
the flux qualifier Q is blank) and ``MONTHLY_PREDICTED`` (one row on the 1st of each month,
from the monthly sunspot-number predictions: Kp, Ap, Cp, C9 and Q are blank).

The record and its units and conventions: :mod:`deorbit.spaceweather.record`.

References
----------
- CelesTrak, "Space Weather Data Documentation", https://celestrak.org/SpaceData/SpaceWx-format.php
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from collections.abc import Iterable

import numpy as np

from .._data import data_bytes, data_label
from .._messages import shown
from .record import LONG_FORECAST, OBSERVED, SHORT_FORECAST, SpaceWeather, SpaceWeatherError, _iso

__all__ = ["load_space_weather", "parse_sw_all"]

_PACKAGE_FILE = "SW-All.txt.gz"
_PACKAGE_SOURCE = "package data"

# --------------------------------------------------------------------------------------------
# Fixed-width layout
# --------------------------------------------------------------------------------------------
_FORMAT = "FORMAT(I4,I3,I3,I5,I3,8I3,I4,8I4,I4,F4.1,I2,I4,F6.1,I2,5F6.1)"
_LINE_WIDTH = 130
# (label, width, decimals) in file order
_FIELDS: tuple[tuple[str, int, int], ...] = (
    ("yy", 4, 0),
    ("mm", 3, 0),
    ("dd", 3, 0),
    ("BSRN", 5, 0),
    ("ND", 3, 0),
    *((f"Kp{i}", 3, 0) for i in range(1, 9)),
    ("Kp Sum", 4, 0),
    *((f"Ap{i}", 4, 0) for i in range(1, 9)),
    ("Ap Avg", 4, 0),
    ("Cp", 4, 1),
    ("C9", 2, 0),
    ("ISN", 4, 0),
    ("F10.7 Adj", 6, 1),
    ("Q", 2, 0),
    ("Ctr81 Adj", 6, 1),
    ("Lst81 Adj", 6, 1),
    ("F10.7 Obs", 6, 1),
    ("Ctr81 Obs", 6, 1),
    ("Lst81 Obs", 6, 1),
)
_N_FIELDS = len(_FIELDS)
# Longest echo of a line in an error message, characters: a whole data row.
_QUOTE = _LINE_WIDTH + 10
_STARTS = np.concatenate([[0], np.cumsum([w for _, w, _ in _FIELDS])])
assert _STARTS[-1] == _LINE_WIDTH and _N_FIELDS == 33

# column indices
_YY, _MM, _DD = 0, 1, 2
_KP = slice(5, 13)
_KP_SUM = 13
_AP = slice(14, 22)
_AP_AVG = 22
_CP, _C9, _ISN = 23, 24, 25
_F107_ADJ, _Q, _CTR81_ADJ, _LST81_ADJ = 26, 27, 28, 29
_F107_OBS, _CTR81_OBS, _LST81_OBS = 30, 31, 32
_F107_COLS = (_F107_ADJ, _CTR81_ADJ, _LST81_ADJ, _F107_OBS, _CTR81_OBS, _LST81_OBS)

# The geomagnetic block that monthly predictions leave blank (or set to -1).
_GEOMAGNETIC = frozenset([*range(5, 25)])
_SECTIONS = ("OBSERVED", "DAILY_PREDICTED", "MONTHLY_PREDICTED")
# Fields that may be blank in each section; every other field is required.
_OPTIONAL = {
    "OBSERVED": frozenset(),
    "DAILY_PREDICTED": frozenset([_Q]),
    "MONTHLY_PREDICTED": _GEOMAGNETIC | {_Q},
}
# Fields where a negative value is the "missing" sentinel (-1) rather than an error.
_NEGATIVE_MEANS_MISSING = {
    "OBSERVED": frozenset(),
    "DAILY_PREDICTED": frozenset(),
    "MONTHLY_PREDICTED": _GEOMAGNETIC,
}
_SUPPORTED_VERSION = "1.2"


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------
def load_space_weather(path: str | os.PathLike[str] | None = None) -> SpaceWeather:
    """Load a CelesTrak ``SW-All.txt`` space-weather file.

    Parameters
    ----------
    path : str or os.PathLike or None, optional
        ``None`` (default) reads the copy shipped with deorbit (``deorbit/data/SW-All.txt.gz``,
        provenance in ``deorbit/data/README.md``). Otherwise the path of a user file in the same
        format, plain text or gzip-compressed (recognised by its content, not its name): a
        newer download from https://celestrak.org/SpaceData/SW-All.txt can be used directly.

    Returns
    -------
    SpaceWeather

    Raises
    ------
    SpaceWeatherError
        If the file is malformed (the message names the file and line).
    OSError
        If the file cannot be read.
    """
    if path is None:
        raw = data_bytes(_PACKAGE_FILE)
        source = _PACKAGE_SOURCE
        name = data_label(_PACKAGE_FILE)
    else:
        with open(path, "rb") as f:
            raw = f.read()
        source = name = os.fspath(path)
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise SpaceWeatherError(f"{name}: not a valid gzip file: {exc}") from exc
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise SpaceWeatherError(
            f"{name} line {line}: non-ASCII byte {raw[exc.start:exc.start + 1]!r}"
        ) from exc
    sw = parse_sw_all(text.splitlines(keepends=True), name, source=source)
    assert sw.sha256 == hashlib.sha256(raw).hexdigest()
    return sw


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------
def parse_sw_all(
    text_lines: Iterable[str] | str, source_name: str, *, source: str | None = None
) -> SpaceWeather:
    """Parse the text of a CelesTrak ``SW-All.txt`` file, strictly.

    Parameters
    ----------
    text_lines : iterable of str, or str
        The lines of the file, preferably with their line endings
        (``text.splitlines(keepends=True)``) so that :attr:`SpaceWeather.sha256` is the
        file's hash; a single string is split into lines.
    source_name : str
        Name of the file used in error messages (e.g. ``'SW-All.txt'``).
    source : str, optional
        Value of :attr:`SpaceWeather.source`; defaults to ``source_name``.

    Returns
    -------
    SpaceWeather

    Raises
    ------
    SpaceWeatherError
        On any departure from the format, with a message
        ``'<source_name> line <n>: <what is wrong>: <the line>'`` (1-based line number): a
        missing or unsupported header (``DATATYPE CssiSpaceWeather``, ``VERSION 1.2``,
        ``UPDATED``), a missing, repeated or misplaced section or ``END`` marker, a data line
        that is not 33 fixed-width fields in 130 columns, a blank required field, a non-numeric
        or malformed field, a negative value (except the ``-1`` "missing" of monthly-predicted
        Kp/Ap), a non-positive F10.7, an invalid date, dates that are not consecutive days (or
        consecutive months on the 1st, for monthly predictions), a prediction that does not
        follow the previous section, or a ``NUM_..._POINTS`` count that does not match the rows.
    """
    if isinstance(text_lines, str):
        text_lines = text_lines.splitlines(keepends=True)
    lines = list(text_lines)
    sha256 = hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()
    stripped = [line.rstrip("\r\n") for line in lines]

    def fail(lineno: int, message: str) -> SpaceWeatherError:
        return SpaceWeatherError(f"{source_name} line {lineno}: {message}")

    header, counts, rows = _layout(stripped, fail)
    parsed = {s: _parse_rows(stripped, rows[s], s, fail) for s in _SECTIONS}
    days = {s: _check_dates(parsed[s], rows[s], s, fail) for s in _SECTIONS}
    _check_sequence(days, rows, fail)
    for section in _SECTIONS:
        declared, lineno = counts[section]
        if declared != len(rows[section]):
            span = (
                f"lines {rows[section][0] + 1}-{rows[section][-1] + 1}" if rows[section] else
                "no lines"
            )
            raise fail(
                lineno,
                f"NUM_{section}_POINTS says {declared} rows but the {section} section has "
                f"{len(rows[section])} ({span})",
            )
    return _assemble(parsed, days, header["UPDATED"], sha256, source or source_name)


def _layout(stripped: list[str], fail) -> tuple[dict, dict, dict]:
    """The file's structure, checked: the header (key -> value), each section's declared
    count (section -> (count, line number)) and its data rows (section -> 0-based line
    indices; the rows themselves are validated by :func:`_parse_rows`)."""
    header: dict[str, str] = {}
    counts: dict[str, tuple[int, int]] = {}  # section -> (declared count, line number)
    rows: dict[str, list[int]] = {}  # section -> 0-based line indices of its data rows
    current: str | None = None
    section_rows: list[int] = []
    for i, line in enumerate(stripped):
        if current is not None:
            if line[:1].isdigit():  # fast path: a data row (validated field by field later)
                section_rows.append(i)
                continue
            if line.startswith("END "):
                if line.strip() != f"END {current}":
                    raise fail(i + 1, f"expected 'END {current}', got "
                                      f"{shown(line.strip(), _QUOTE)}")
                current = None
                continue
            if line.strip() == "" or line[:1].isalpha() or line.startswith("#"):
                raise fail(
                    i + 1,
                    f"missing 'END {current}': found {shown(line.strip(), _QUOTE)} inside the "
                    f"{current}"
                    " section, where only data rows and 'END' may appear",
                )
            section_rows.append(i)
            continue
        current = _directive(line, i + 1, header, counts, rows, fail)
        if current is not None:
            rows[current] = section_rows = []
    n_lines = len(stripped)
    if not n_lines:
        raise fail(1, "the file is empty; expected a CelesTrak SW-All file (DATATYPE "
                      "CssiSpaceWeather, VERSION 1.2)")
    if current is not None:
        raise fail(n_lines, f"end of file inside the {current} section: 'END {current}' missing")
    for section in _SECTIONS:
        if section not in rows:
            raise fail(n_lines, f"end of file: section {section} missing ('BEGIN {section}')")
    if not rows["OBSERVED"]:
        raise fail(counts["OBSERVED"][1], "the OBSERVED section has no rows")
    return header, counts, rows


def _directive(line: str, lineno: int, header, counts, rows, fail) -> str | None:
    """A line outside the sections: a comment or blank, a header, a count, or a ``BEGIN``
    (whose section it returns, checked against the order and the counts); None otherwise."""
    words = line.split()
    if not words or line.startswith("#"):
        return None
    key = words[0]
    if key in ("DATATYPE", "VERSION", "UPDATED"):
        if key in header:
            raise fail(lineno, f"repeated {key} header")
        if len(words) < 2:
            raise fail(lineno, f"{key} header without a value")
        header[key] = " ".join(words[1:])
        if key == "DATATYPE" and header[key] != "CssiSpaceWeather":
            raise fail(lineno, f"DATATYPE is {shown(header[key], _QUOTE)}, expected "
                               "'CssiSpaceWeather'")
        if key == "VERSION" and header[key] != _SUPPORTED_VERSION:
            raise fail(lineno, f"VERSION is {shown(header[key], _QUOTE)}; this parser reads "
                               f"version {_SUPPORTED_VERSION} only")
        return None
    if key.startswith("NUM_") and key.endswith("_POINTS"):
        section = key[4:-7]
        if section not in _SECTIONS:
            raise fail(lineno, f"unknown count {shown(key, _QUOTE)}")
        if section in counts:
            raise fail(lineno, f"repeated {key}")
        if len(words) != 2 or not words[1].isdigit():
            raise fail(lineno, f"expected '{key} <count>', got {shown(line.strip(), _QUOTE)}")
        counts[section] = (int(words[1]), lineno)
        return None
    if key == "BEGIN":
        section = words[1] if len(words) == 2 else ""
        if section not in _SECTIONS:
            raise fail(lineno, f"unknown section {shown(line.strip(), _QUOTE)}")
        missing_header = [k for k in ("DATATYPE", "VERSION", "UPDATED") if k not in header]
        if missing_header:
            raise fail(lineno, f"header {', '.join(missing_header)} missing before "
                               f"{shown(line, _QUOTE)}")
        if section in rows:
            raise fail(lineno, f"repeated section {section}")
        expected = _SECTIONS[len(rows)]
        if section != expected:
            raise fail(lineno, f"section {section} found where {expected} was expected")
        if section not in counts:
            raise fail(lineno, f"BEGIN {section} without a preceding NUM_{section}_POINTS")
        return section
    if key == "END":
        raise fail(lineno, f"{shown(line.strip(), _QUOTE)} outside any section")
    raise fail(lineno, "unexpected line outside the data sections: "
                       f"{shown(line.strip(), _QUOTE)}")


def _parse_rows(stripped: list[str], indices: list[int], section: str, fail) -> np.ndarray:
    """Parse the data rows of one section into an (n, 33) float64 array (NaN where missing)."""
    n = len(indices)
    if n == 0:
        return np.full((0, _N_FIELDS), np.nan)
    texts = [stripped[i].rstrip() for i in indices]
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    if np.any(lengths != _LINE_WIDTH):
        r = int(np.argmax(lengths != _LINE_WIDTH))
        raise fail(
            indices[r] + 1,
            f"expected {_N_FIELDS} fields in {_LINE_WIDTH} columns ({_FORMAT}), got "
            f"{len(texts[r].split())} fields in {lengths[r]} columns: {shown(texts[r], _QUOTE)}",
        )
    try:
        chars = np.frombuffer("".join(texts).encode("ascii"), dtype=np.uint8)
    except UnicodeEncodeError as exc:
        r = exc.start // _LINE_WIDTH
        raise fail(indices[r] + 1, f"non-ASCII character in {shown(texts[r], _QUOTE)}") from None
    value, blank, malformed = _decode(chars.reshape(n, _LINE_WIDTH))

    required = np.ones(_N_FIELDS, dtype=bool)
    required[list(_OPTIONAL[section])] = False
    sentinel = np.zeros(_N_FIELDS, dtype=bool)
    sentinel[list(_NEGATIVE_MEANS_MISSING[section])] = True
    valid = ~blank & ~malformed
    negative = valid & (value < 0)
    value[blank | (negative & sentinel)] = np.nan
    blank_required = blank & required
    problem = malformed | blank_required | (negative & ~sentinel)
    problem[:, list(_F107_COLS)] |= valid[:, list(_F107_COLS)] & (value[:, list(_F107_COLS)] == 0)
    if not np.any(problem):
        return value
    r = int(np.argmax(problem.any(axis=1)))
    j = int(np.argmax(problem[r]))
    text = texts[r]
    label, width, decimals = _FIELDS[j]
    fmt = f"F{width}.{decimals}" if decimals else f"I{width}"
    where = f"field {label!r} (columns {_STARTS[j] + 1}-{_STARTS[j + 1]}, format {fmt})"
    raw = text[_STARTS[j] : _STARTS[j + 1]]
    if malformed[r, j]:
        message = f"{where} is not a number of that format: {raw!r} in {text!r}"
    elif blank_required[r, j]:
        blanks = [
            f"{_FIELDS[k][0]!r} (columns {_STARTS[k] + 1}-{_STARTS[k + 1]})"
            for k in np.flatnonzero(blank_required[r])
        ]
        expected = int(required.sum())
        message = (
            f"expected {expected} fields in a row of the {section} section, got "
            f"{expected - len(blanks)}: "
            f"blank {', '.join(blanks)} in {text!r}"
        )
    elif negative[r, j]:
        message = f"{where} is negative: {raw!r} in {text!r}"
    else:
        message = f"{where} is zero, not a valid F10.7: {raw!r} in {text!r}"
    raise fail(indices[r] + 1, message)


def _column_tables() -> dict[str, np.ndarray]:
    """Per-column lookup tables of the fixed-width layout, used by :func:`_decode`."""
    widths = np.diff(_STARTS)
    first = np.zeros(_LINE_WIDTH, dtype=bool)
    last = np.zeros(_LINE_WIDTH, dtype=bool)
    point = np.zeros(_LINE_WIDTH, dtype=bool)
    must_digit = np.zeros(_LINE_WIDTH, dtype=bool)
    weight = np.zeros(_LINE_WIDTH, dtype=np.int32)
    for j, (_, width, decimals) in enumerate(_FIELDS):
        a, b = _STARTS[j], _STARTS[j + 1]
        first[a] = True
        last[b - 1] = True
        if decimals:
            p = b - 1 - decimals  # the point's column
            point[p] = True
            must_digit[p - 1] = True
            must_digit[p + 1 : b] = True
            for c in range(a, b):
                if c != p:
                    weight[c] = 10 ** (b - 1 - c - (1 if c < p else 0))
        else:
            must_digit[b - 1] = True
            weight[a:b] = 10 ** np.arange(width - 1, -1, -1)
    divisor = np.array([10.0**d for _, _, d in _FIELDS])
    return dict(
        widths=widths, first=first, last=last, point=point, must_digit=must_digit,
        weight=weight, divisor=divisor,
    )


_COLUMNS = _column_tables()


def _decode(chars: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decode every fixed-width numeric field of a block of data rows at once.

    Parameters
    ----------
    chars : numpy.ndarray of uint8, shape (n, 130)
        ASCII codes of the rows.

    Returns
    -------
    value, blank, malformed : numpy.ndarray, shape (n, 33)
        Values (float64; meaningless where blank or malformed), all-blank mask and malformed
        mask. A valid field is right-justified: optional spaces, an optional '-', digits, and
        for an ``Fw.d`` field the point exactly ``d`` characters from the right with a digit on
        each side, as Fortran writes them.
    """
    t = _COLUMNS
    starts = _STARTS[:-1]
    space = chars == 32
    digit = (chars >= 48) & (chars <= 57)
    minus = chars == 45
    point = chars == 46
    nonspace = ~space
    blank = np.add.reduceat(nonspace, starts, axis=1, dtype=np.int32) == 0
    bad = ~(space | digit | minus | point)
    # a space after the number has begun (not right-justified, or an embedded blank)
    bad[:, :-1] |= nonspace[:, :-1] & space[:, 1:] & ~t["last"][:-1]
    # '-' only as the first character of the number, followed by a digit
    after_space = np.ones_like(space)
    after_space[:, 1:] = space[:, :-1]
    before_digit = np.zeros_like(digit)
    before_digit[:, :-1] = digit[:, 1:]
    bad |= minus & ~((after_space | t["first"]) & before_digit & ~t["last"])
    # '.' only at the place of the point, which an F field must have, digits where required
    bad |= point & ~t["point"]
    filled = np.repeat(~blank, t["widths"], axis=1)
    bad |= filled & ((t["point"] & ~point) | (t["must_digit"] & ~digit))
    malformed = np.add.reduceat(bad, starts, axis=1, dtype=np.int32) > 0
    digits = np.where(digit, chars.astype(np.int32) - 48, 0) * t["weight"]
    integer = np.add.reduceat(digits, starts, axis=1)
    negative = np.add.reduceat(minus, starts, axis=1, dtype=np.int32) > 0
    value = np.where(negative, -integer, integer) / t["divisor"]
    return value, blank, malformed


def _check_dates(values: np.ndarray, indices: list[int], section: str, fail) -> np.ndarray:
    """Validate the calendar dates of one section; return them as int64 ``day_j2000``."""
    if not indices:
        return np.empty(0, dtype=np.int64)
    year = values[:, _YY].astype(np.int64)
    month = values[:, _MM].astype(np.int64)
    day = values[:, _DD].astype(np.int64)
    bad = (month < 1) | (month > 12) | (day < 1)
    months = (year - 1970) * 12 + np.clip(month, 1, 12) - 1
    start = months.astype("datetime64[M]").astype("datetime64[D]")
    length = ((months + 1).astype("datetime64[M]").astype("datetime64[D]") - start).astype(int)
    bad |= day > length
    if np.any(bad):
        r = int(np.argmax(bad))
        raise fail(indices[r] + 1, f"invalid date {year[r]:04d}-{month[r]:02d}-{day[r]:02d}")
    dates = start + (day - 1)
    day_j2000 = (dates - np.datetime64("2000-01-01", "D")).astype(np.int64)
    if section == "MONTHLY_PREDICTED":
        steps = np.diff(months) == 1
        bad_first = day != 1
        if np.any(bad_first):
            r = int(np.argmax(bad_first))
            raise fail(indices[r] + 1, f"monthly-predicted row dated {dates[r]}, not on the 1st")
        what = "the next month"
    else:
        steps = np.diff(day_j2000) == 1
        what = "the next day"
    if not np.all(steps):
        r = int(np.argmin(steps)) + 1
        raise fail(
            indices[r] + 1,
            f"date {dates[r]} does not follow {dates[r - 1]} (line {indices[r - 1] + 1}): "
            f"{section} rows must be consecutive, {what} expected",
        )
    return day_j2000


def _check_sequence(days: dict[str, np.ndarray], rows: dict[str, list[int]], fail) -> None:
    """Check each prediction section starts where the previous section ends."""
    last = days["OBSERVED"][-1]
    daily = days["DAILY_PREDICTED"]
    if daily.size and daily[0] != last + 1:
        raise fail(
            rows["DAILY_PREDICTED"][0] + 1,
            f"first daily-predicted date {_iso(daily[0])} does not follow the last observed "
            f"date {_iso(last)}",
        )
    if daily.size:
        last = daily[-1]
    monthly = days["MONTHLY_PREDICTED"]
    if monthly.size:
        last_date = np.datetime64("2000-01-01", "D") + np.timedelta64(int(last), "D")
        expected = (last_date.astype("datetime64[M]") + 1).astype("datetime64[D]")
        first = np.datetime64("2000-01-01", "D") + np.timedelta64(int(monthly[0]), "D")
        if first != expected:
            raise fail(
                rows["MONTHLY_PREDICTED"][0] + 1,
                f"first monthly-predicted date {first} should be {expected}, the first of the "
                f"month after the previous section's last date {last_date}",
            )


def _assemble(
    parsed: dict[str, np.ndarray],
    days: dict[str, np.ndarray],
    updated_utc: str,
    sha256: str,
    source: str,
) -> SpaceWeather:
    """Join the sections into the contiguous daily record (monthly rows interpolated)."""
    daily_rows = np.concatenate([parsed["OBSERVED"], parsed["DAILY_PREDICTED"]])
    daily_days = np.concatenate([days["OBSERVED"], days["DAILY_PREDICTED"]])
    regime = np.concatenate(
        [
            np.full(days["OBSERVED"].size, OBSERVED, dtype=np.int8),
            np.full(days["DAILY_PREDICTED"].size, SHORT_FORECAST, dtype=np.int8),
        ]
    )
    monthly = parsed["MONTHLY_PREDICTED"]
    if monthly.shape[0]:
        # Anchors: the last daily row, then every monthly row; linear in time between them.
        anchor_days = np.concatenate([daily_days[-1:], days["MONTHLY_PREDICTED"]])
        anchors = np.concatenate([daily_rows[-1:], monthly])
        anchors[:, _Q] = np.nan  # a qualifier is not interpolated
        new_days = np.arange(daily_days[-1] + 1, anchor_days[-1] + 1, dtype=np.int64)
        k = np.searchsorted(anchor_days, new_days, side="right") - 1
        k = np.clip(k, 0, anchor_days.size - 2)
        w = ((new_days - anchor_days[k]) / (anchor_days[k + 1] - anchor_days[k]))[:, None]
        expanded = (1.0 - w) * anchors[k] + w * anchors[k + 1]
        daily_rows = np.concatenate([daily_rows, expanded])
        daily_days = np.concatenate([daily_days, new_days])
        regime = np.concatenate([regime, np.full(new_days.size, LONG_FORECAST, dtype=np.int8)])
    v = daily_rows
    return SpaceWeather(
        day_j2000=daily_days.astype(np.int64),
        f107_obs_sfu=v[:, _F107_OBS].copy(),
        f107_adj_sfu=v[:, _F107_ADJ].copy(),
        f107_obs_ctr81_sfu=v[:, _CTR81_OBS].copy(),
        f107_obs_lst81_sfu=v[:, _LST81_OBS].copy(),
        f107_adj_ctr81_sfu=v[:, _CTR81_ADJ].copy(),
        f107_adj_lst81_sfu=v[:, _LST81_ADJ].copy(),
        f107_qualifier=v[:, _Q].copy(),
        ap_daily=v[:, _AP_AVG].copy(),
        ap_3h=np.ascontiguousarray(v[:, _AP]),
        kp_3h=v[:, _KP] / 10.0,
        kp_sum=v[:, _KP_SUM] / 10.0,
        sunspot_number=v[:, _ISN].copy(),
        regime=regime,
        source=source,
        updated_utc=updated_utc,
        sha256=sha256,
        last_observed_day_j2000=int(days["OBSERVED"][-1]),
        n_rows_observed=parsed["OBSERVED"].shape[0],
        n_rows_daily_predicted=parsed["DAILY_PREDICTED"].shape[0],
        n_rows_monthly_predicted=parsed["MONTHLY_PREDICTED"].shape[0],
    )
