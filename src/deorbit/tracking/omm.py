"""Orbit Mean-Elements Messages (OMM) in KVN, XML, CSV and CelesTrak JSON, through python-sgp4.

All four encodings become the same ``{OMM keyword: text}`` mapping, each value with its line,
which is checked here and handed to ``sgp4.omm.initialize`` (WGS-72, as for TLEs). CSV rows
come from ``sgp4.omm.parse_csv`` (a ``csv.DictReader``, whose ``line_num`` gives the line).
XML is read by :func:`._ndm.parse_xml` rather than ``sgp4.omm.parse_xml``, which yields the
same keyword mapping (a test checks this) but no line numbers, and raises ``AttributeError``
on a missing block. JSON (CelesTrak's ``FORMAT=json``, a list of objects) is decoded one
object at a time with ``json.JSONDecoder.raw_decode`` so that each element set has a line.

Only SGP4 mean elements are accepted: MEAN_ELEMENT_THEORY SGP4 (or SGP/SGP4), REF_FRAME
TEME, CENTER_NAME EARTH, TIME_SYSTEM UTC, EPHEMERIS_TYPE 0 or 2, and MEAN_MOTION (not
SEMI_MAJOR_AXIS). ``sgp4.omm.initialize`` wants every one of :data:`REQUIRED_KEYS`.

References
----------
CCSDS 502.0-B-3, *Orbit Data Messages*, section 4 (OMM).
Vallado, Crawford, Hujsak, Kelso, "Revisiting Spacetrack Report #3", AIAA 2006-6753.
"""
from __future__ import annotations

import csv
import io
import json

from sgp4 import omm as sgp4_omm
from sgp4.api import Satrec

from ._common import fail, format_epoch, parse_epoch, parse_float, parse_int, quote
from ._ndm import Field, Message
from .results import ElementSeries, ElementSet
from .tle import element_series, element_set

__all__ = ["REQUIRED_KEYS", "parse_omm_csv", "parse_omm_json", "series_from_message"]

#: The keywords ``sgp4.omm.initialize`` reads.
REQUIRED_KEYS = ("OBJECT_ID", "EPOCH", "MEAN_MOTION", "ECCENTRICITY", "INCLINATION",
                 "RA_OF_ASC_NODE", "ARG_OF_PERICENTER", "MEAN_ANOMALY", "EPHEMERIS_TYPE",
                 "CLASSIFICATION_TYPE", "NORAD_CAT_ID", "ELEMENT_SET_NO", "REV_AT_EPOCH",
                 "BSTAR", "MEAN_MOTION_DOT", "MEAN_MOTION_DDOT")
_INTEGERS = ("EPHEMERIS_TYPE", "NORAD_CAT_ID", "ELEMENT_SET_NO", "REV_AT_EPOCH")
_FLOATS = ("MEAN_MOTION", "ECCENTRICITY", "INCLINATION", "RA_OF_ASC_NODE",
           "ARG_OF_PERICENTER", "MEAN_ANOMALY", "BSTAR", "MEAN_MOTION_DOT",
           "MEAN_MOTION_DDOT")
# Constraints a value must meet: (low, high, what is expected).
_BOUNDS = {"ECCENTRICITY": (0.0, 0.999999, "0 <= e < 1"),
           "INCLINATION": (0.0, 180.0, "0 to 180 deg"),
           "MEAN_MOTION": (1e-6, 1e3, "a positive mean motion, rev/day"),
           "NORAD_CAT_ID": (0, 339_999, "0 to 339999 (the Alpha-5 range)")}
# Keyword: the values it may take (compared in upper case).
_FIXED = {"CENTER_NAME": ("EARTH",), "REF_FRAME": ("TEME",), "TIME_SYSTEM": ("UTC",),
          "MEAN_ELEMENT_THEORY": ("SGP4", "SGP/SGP4"), "EPHEMERIS_TYPE": ("0", "2")}


def _element_set(fields: dict[str, Field], name: str, line: int) -> ElementSet:
    """Check one OMM's keywords, initialise SGP4 with them and take the state at epoch."""
    if "SEMI_MAJOR_AXIS" in fields and "MEAN_MOTION" not in fields:
        raise fail(name, fields["SEMI_MAJOR_AXIS"].line, "SEMI_MAJOR_AXIS given: expected "
                   "MEAN_MOTION (SGP4 elements)")
    for key in REQUIRED_KEYS:
        if key not in fields:
            raise fail(name, line, f"OMM keyword {key} missing: sgp4.omm.initialize needs "
                       f"{', '.join(REQUIRED_KEYS)}")
    for key, allowed in _FIXED.items():
        if key in fields and fields[key].value.strip().upper() not in allowed:
            raise fail(name, fields[key].line, f"{key} {quote(fields[key].value)}: expected "
                       f"{' or '.join(allowed)}")
    values: dict[str, float] = {}
    for key in _INTEGERS + _FLOATS:
        parse = parse_int if key in _INTEGERS else parse_float
        values[key] = parse(fields[key].value, name, fields[key].line, key)
        low, high, expected = _BOUNDS.get(key, (-float("inf"), float("inf"), ""))
        if not low <= values[key] <= high:
            raise fail(name, fields[key].line, f"{key} {quote(fields[key].value)}: "
                       f"expected {expected}")
    classification = fields["CLASSIFICATION_TYPE"].value.strip()
    if len(classification) != 1:
        raise fail(name, fields["CLASSIFICATION_TYPE"].line, f"CLASSIFICATION_TYPE "
                   f"{quote(classification)}: expected one character (U, C or S)")
    epoch = fields["EPOCH"]
    # sgp4.omm.initialize reads EPOCH with strptime('%Y-%m-%dT%H:%M:%S.%f'): normalise the
    # CCSDS forms (day of year, no fraction, trailing Z) to that, to the microsecond.
    epoch_text = format_epoch(parse_epoch(epoch.value, name, epoch.line))
    text = {key: field.value.strip() for key, field in fields.items()}
    text.update({key: repr(value) for key, value in values.items()})
    text.update(EPOCH=epoch_text, CLASSIFICATION_TYPE=classification)
    sat = Satrec()
    sgp4_omm.initialize(sat, text)
    object_name = fields.get("OBJECT_NAME", Field("", line)).value.strip()
    return element_set(sat, object_name, text["OBJECT_ID"], name, line)


def series_from_message(message: Message) -> ElementSeries:
    """The element sets of a KVN or XML OMM (one per segment)."""
    sets = []
    for segment in message.segments:
        fields = {**segment.metadata, **segment.keywords}
        sets.append(_element_set(fields, message.name, segment.line))
    return element_series(sets, message.name)


def parse_omm_csv(text: str, name: str = "<string>") -> ElementSeries:
    """Element sets of an OMM CSV (CelesTrak ``FORMAT=csv``: a header row of keywords).

    Raises
    ------
    TrackingDataError
        For a row with more or fewer cells than the header, a missing or bad value, or an
        SGP4 error at epoch; ``'<name>:<line>: ...'``.
    """
    reader = sgp4_omm.parse_csv(io.StringIO(text, newline=""))
    sets = []
    try:
        header = reader.fieldnames or []
        if "NORAD_CAT_ID" not in header:
            raise fail(name, 1, f"CSV header {quote(','.join(header))}: expected OMM "
                       "keywords (OBJECT_NAME,OBJECT_ID,EPOCH,MEAN_MOTION,...,NORAD_CAT_ID)")
        for row in reader:
            line = reader.line_num
            if None in row or None in row.values():
                raise fail(name, line, f"CSV row with a different number of cells from the "
                           f"header: expected {len(header)}")
            sets.append(_element_set({k: Field(v, line) for k, v in row.items()}, name, line))
    except csv.Error as exc:
        raise fail(name, reader.line_num, f"CSV syntax error ({exc})") from None
    if not sets:
        raise fail(name, 1, "no element sets: expected a header row and one row per object")
    return element_series(sets, name)


def parse_omm_json(text: str, name: str = "<string>") -> ElementSeries:
    """Element sets of an OMM JSON list (CelesTrak ``FORMAT=json``), or of one object.

    Values may be JSON strings or numbers (numbers are passed on as their shortest
    round-trip text).

    Raises
    ------
    TrackingDataError
        For a JSON syntax error (at its line), an entry that is not an object of OMM
        keywords, a value that is neither a string nor a number, or a bad element set.
    """
    decoder = json.JSONDecoder()
    position = len(text) - len(text.lstrip())
    single = text.startswith("{", position)
    if not single:
        if not text.startswith("[", position):
            raise fail(name, _line(text, position), "expected a JSON list '[' of OMM objects")
        position += 1
    sets = []
    while True:
        position = _skip(text, position)
        if not single and text.startswith("]", position):
            break
        line = _line(text, position)
        try:
            entry, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise fail(name, exc.lineno, f"JSON syntax error ({exc.msg}): expected a list of "
                       "OMM objects") from None
        except RecursionError:
            raise fail(name, line, "JSON nested too deeply: expected OMM objects") from None
        if not isinstance(entry, dict):
            raise fail(name, line, f"JSON {type(entry).__name__}: expected an object of OMM "
                       "keywords")
        fields = {}
        for key, value in entry.items():
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise fail(name, line, f"JSON value of {quote(key)} is "
                           f"{type(value).__name__}: expected a string or a number")
            fields[key] = Field(value if isinstance(value, str) else repr(value), line)
        sets.append(_element_set(fields, name, line))
        if single:
            break
        position = _skip(text, position)
        if text.startswith(",", position):
            position += 1
        elif not text.startswith("]", position):
            raise fail(name, _line(text, position), "expected ',' or ']' after an OMM object")
    if text[position + (0 if single else 1):].strip():
        raise fail(name, _line(text, position), "text after the end of the JSON: expected "
                   "one list")
    if not sets:
        raise fail(name, 1, "empty JSON list: expected OMM objects")
    return element_series(sets, name)


def _skip(text: str, position: int) -> int:
    """Index of the next non-whitespace character at or after ``position``."""
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _line(text: str, position: int) -> int:
    """1-based line of character ``position``."""
    return text.count("\n", 0, position) + 1
