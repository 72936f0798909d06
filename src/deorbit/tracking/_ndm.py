"""KVN and XML syntax of CCSDS Navigation Data Messages (OEM, OPM, OMM) into one structure.

Both encodings become a :class:`Message` of :class:`Segment` objects whose values are the
file's strings with their 1-based line numbers, so that the OEM, OPM and OMM readers
(:mod:`.ccsds`, :mod:`.omm`) interpret KVN and XML with the same code. Only syntax is
checked here (keywords, block markers, nesting, repeated keywords, units); values are
checked by the readers.

XML is read with :class:`xml.etree.ElementTree.XMLPullParser` fed one line at a time, which
gives each element the line on which its start tag ends; a syntax error is reported at the
line of ``ParseError.position``. Namespaces are ignored.

References
----------
CCSDS 502.0-B-3, *Orbit Data Messages* (2023): sections 3-5 and 7 (KVN), and
CCSDS 505.0-B-2, *XML Specification for Navigation Data Messages*.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from ._common import fail, quote

KINDS = ("OEM", "OPM", "OMM")
VERSIONS = ("1.0", "2.0", "3.0")
#: Header keywords of the three messages (after ``CCSDS_xxx_VERS``).
HEADER_KEYS = frozenset({"CREATION_DATE", "ORIGINATOR", "MESSAGE_ID", "CLASSIFICATION"})
#: Metadata keywords of OPM and OMM (which, in KVN, have no META_START/META_STOP).
METADATA_KEYS = frozenset({"OBJECT_NAME", "OBJECT_ID", "CENTER_NAME", "REF_FRAME",
                           "REF_FRAME_EPOCH", "TIME_SYSTEM", "MEAN_ELEMENT_THEORY"})
#: Keyword prefixes that may repeat (one set per maneuver; user-defined parameters).
REPEATABLE_PREFIXES = ("MAN_", "USER_DEFINED_")
#: Lower triangle of a 6x6 covariance, row by row, as CCSDS names its elements.
_AXES = ("X", "Y", "Z", "X_DOT", "Y_DOT", "Z_DOT")
COVARIANCE_KEYS = tuple(f"C{_AXES[i]}_{_AXES[j]}" for i in range(6) for j in range(i + 1))
#: Names of the columns of an OEM KVN data line.
STATE_KEYS = ("EPOCH", "X", "Y", "Z", "X_DOT", "Y_DOT", "Z_DOT", "X_DDOT", "Y_DDOT", "Z_DDOT")
#: Units a value may carry (KVN ``[unit]``, XML ``units="..."``); others carry none.
UNITS = {
    **dict.fromkeys(("X", "Y", "Z", "SEMI_MAJOR_AXIS"), "km"),
    **dict.fromkeys(("X_DOT", "Y_DOT", "Z_DOT"), "km/s"),
    **dict.fromkeys(("X_DDOT", "Y_DDOT", "Z_DDOT"), "km/s**2"),
    **dict.fromkeys(("MASS", "MAN_MASS"), "kg"),
    **dict.fromkeys(("DRAG_AREA", "SOLAR_RAD_AREA"), "m**2"),
    **dict.fromkeys(("INCLINATION", "RA_OF_ASC_NODE", "ARG_OF_PERICENTER", "TRUE_ANOMALY",
                     "MEAN_ANOMALY"), "deg"),
    "MEAN_MOTION": "rev/day", "MEAN_MOTION_DOT": "rev/day**2",
    "MEAN_MOTION_DDOT": "rev/day**3", "BSTAR": "1/ER", "GM": "km**3/s**2",
}
# How the same unit is also written (CCSDS examples use both).
_UNIT_SPELLINGS = {"m2": "m**2", "m^2": "m**2", "km/s2": "km/s**2", "km/s^2": "km/s**2",
                   "km3/s2": "km**3/s**2", "km**3/s2": "km**3/s**2", "rev/day2": "rev/day**2",
                   "rev/day3": "rev/day**3", "1/er": "1/ER", "degrees": "deg"}


@dataclass(frozen=True)
class Field:
    """A value as written, and the 1-based line it is on."""

    value: str
    line: int


@dataclass
class Segment:
    """Metadata and data of one segment (OPM and OMM have exactly one)."""

    line: int
    metadata: dict[str, Field] = field(default_factory=dict)
    keywords: dict[str, Field] = field(default_factory=dict)
    repeated: list[tuple[str, Field]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    states: list[dict[str, Field]] = field(default_factory=list)
    covariances: list[dict[str, Field]] = field(default_factory=list)


@dataclass
class Message:
    """A parsed OEM, OPM or OMM: its kind, version, header and segments."""

    kind: str
    version: Field
    header: dict[str, Field]
    comments: list[str]
    segments: list[Segment]
    name: str


def _store(table: dict[str, Field], key: str, value: Field, name: str, repeated=None) -> None:
    """Add ``key`` to ``table``, or to ``repeated`` if it may repeat; refuse a repetition."""
    if repeated is not None and key.startswith(REPEATABLE_PREFIXES):
        repeated.append((key, value))
        return
    if key in table:
        raise fail(name, value.line, f"keyword {key} repeated (first on line "
                   f"{table[key].line}): expected each keyword once per block")
    table[key] = value


def _check_units(key: str, units: str, name: str, line: int) -> None:
    """Refuse units other than the CCSDS unit of ``key``."""
    expected = UNITS.get(key)
    if key.startswith("C") and key in COVARIANCE_KEYS:
        expected = None  # covariance units vary by element; CCSDS fixes them (km, km/s)
    written = _UNIT_SPELLINGS.get(units.lower(), units)
    if expected is None or written.lower() != expected.lower():
        raise fail(name, line, f"{key} in units {quote(units)}: expected "
                   f"{expected or 'no units'}")


# ----------------------------------------------------------------------------------------
# KVN
# ----------------------------------------------------------------------------------------
_KVN_LINE = re.compile(r"(?P<key>[A-Z][A-Z0-9_]*)\s*=\s*(?P<value>.*?)"
                       r"(?:\s*\[(?P<units>[^\]]*)\])?\s*")


def kvn_kind(first_key: str) -> str | None:
    """``'OEM'``, ``'OPM'`` or ``'OMM'`` from a ``CCSDS_xxx_VERS`` keyword, else None."""
    match = re.fullmatch(r"CCSDS_(OEM|OPM|OMM)_VERS", first_key)
    return match.group(1) if match else None


def parse_kvn(text: str, name: str) -> Message:
    """Parse a KVN OEM, OPM or OMM (CCSDS 502.0-B-3, section 7).

    Raises
    ------
    TrackingDataError
        For a first line that is not ``CCSDS_xxx_VERS = v``, an unsupported version, a line
        that is neither ``KEY = value``, ``COMMENT ...``, a block marker nor (in an OEM) a
        data line, misplaced or unbalanced ``META_START``/``META_STOP``/
        ``COVARIANCE_START``/``COVARIANCE_STOP``, or a repeated keyword.
    """
    rows = [(i + 1, s.strip()) for i, s in enumerate(text.splitlines()) if s.strip()]
    first_line, first = rows[0]
    match = _KVN_LINE.fullmatch(first)
    kind = kvn_kind(match.group("key")) if match else None
    if kind is None:
        raise fail(name, first_line, f"found {quote(first)}: expected 'CCSDS_OEM_VERS = "
                   "2.0' (or OPM, OMM) on the first line of a KVN message")
    version = Field(match.group("value"), first_line)
    if version.value not in VERSIONS:
        raise fail(name, first_line, f"{match.group('key')} = {quote(version.value)}: "
                   f"expected one of {', '.join(VERSIONS)}")
    message = Message(kind, version, {}, [], [], name)
    if kind == "OEM":
        _kvn_oem(rows[1:], message)
    else:
        _kvn_single_segment(rows[1:], message)
    return message


def _kvn_pair(text: str, line: int, name: str) -> tuple[str, Field]:
    """``(KEY, Field(value))`` of a ``KEY = value [units]`` line."""
    match = _KVN_LINE.fullmatch(text)
    if match is None or not match.group("value"):
        raise fail(name, line, f"found {quote(text)}: expected 'KEYWORD = value'")
    key = match.group("key")
    if match.group("units") is not None:
        _check_units(key, match.group("units"), name, line)
    return key, Field(match.group("value"), line)


def _comment(text: str) -> str | None:
    """The text of a ``COMMENT`` line, or None if the line is not a comment."""
    if text == "COMMENT" or text.startswith(("COMMENT ", "COMMENT\t")):
        return text[len("COMMENT"):].strip()
    return None


def _kvn_single_segment(rows: list[tuple[int, str]], message: Message) -> None:
    """Header, metadata and data keywords of a KVN OPM or OMM (no block markers)."""
    name = message.name
    segment = Segment(rows[0][0] if rows else message.version.line)
    message.segments.append(segment)
    comments = message.comments
    for line, text in rows:
        comment = _comment(text)
        if comment is not None:
            comments.append(comment)
            continue
        key, value = _kvn_pair(text, line, name)
        if key in HEADER_KEYS:
            _store(message.header, key, value, name)
        elif key in METADATA_KEYS:
            _store(segment.metadata, key, value, name)
            comments = segment.comments
        else:
            _store(segment.keywords, key, value, name, segment.repeated)
            comments = segment.comments


def _kvn_oem(rows: list[tuple[int, str]], message: Message) -> None:
    """Header, segments (``META_START``...``META_STOP`` then data) of a KVN OEM."""
    name = message.name
    where = "header"  # header | metadata | data | covariance
    segment: Segment | None = None
    matrix: dict[str, Field] | None = None  # the covariance matrix being read
    row = 0  # rows read of that matrix (0-6)
    for line, text in rows:
        comment = _comment(text)
        if comment is not None:
            (message.comments if segment is None else segment.comments).append(comment)
            continue
        if text == "META_START":
            if where not in ("header", "data"):
                raise fail(name, line, f"META_START inside the {where} block: expected "
                           f"{'META_STOP' if where == 'metadata' else 'COVARIANCE_STOP'}")
            segment = Segment(line)
            message.segments.append(segment)
            where = "metadata"
        elif text == "META_STOP":
            if where != "metadata":
                raise fail(name, line, "META_STOP without META_START")
            where = "data"
        elif text == "COVARIANCE_START":
            if where != "data":
                raise fail(name, line, f"COVARIANCE_START in the {where} block: expected "
                           "it after the data lines of a segment")
            where, matrix = "covariance", None
        elif text == "COVARIANCE_STOP":
            if where != "covariance":
                raise fail(name, line, "COVARIANCE_STOP without COVARIANCE_START")
            _end_matrix(matrix, row, line, name)
            where = "data"
        elif where == "header":
            key, value = _kvn_pair(text, line, name)
            if key not in HEADER_KEYS:
                raise fail(name, line, f"keyword {key} in the header: expected "
                           f"{', '.join(sorted(HEADER_KEYS))} or META_START")
            _store(message.header, key, value, name)
        elif where == "metadata":
            key, value = _kvn_pair(text, line, name)
            _store(segment.metadata, key, value, name)
        elif where == "data":
            tokens = text.split()
            if "=" in text or len(tokens) not in (7, 10):
                raise fail(name, line, f"found {quote(text)}: expected a data line 'EPOCH X "
                           "Y Z X_DOT Y_DOT Z_DOT [X_DDOT Y_DDOT Z_DDOT]' (7 or 10 values)")
            segment.states.append({k: Field(t, line) for k, t in zip(STATE_KEYS, tokens)})
        elif "=" in text:
            key, value = _kvn_pair(text, line, name)
            if key == "EPOCH":
                _end_matrix(matrix, row, line, name)
                matrix, row = {}, 0
                segment.covariances.append(matrix)
            elif key != "COV_REF_FRAME" or matrix is None or row:
                raise fail(name, line, f"keyword {key} in a covariance block: expected "
                           "'EPOCH = ...', then optionally 'COV_REF_FRAME = ...', then 6 rows")
            _store(matrix, key, value, name)
        else:
            tokens = text.split()
            row += 1
            if matrix is None or row > 6 or len(tokens) != row:
                raise fail(name, line, f"found {quote(text)}: expected row {min(row, 6)} of "
                           "the lower triangle of a 6x6 covariance after 'EPOCH = ...'")
            start = row * (row - 1) // 2
            for key, token in zip(COVARIANCE_KEYS[start:start + row], tokens):
                matrix[key] = Field(token, line)
    if where != "data":
        last = rows[-1][0] if rows else message.version.line
        expected = {"header": "META_START", "metadata": "META_STOP",
                    "covariance": "COVARIANCE_STOP"}[where]
        raise fail(name, last, f"end of file in the {where} block: expected {expected}")


def _end_matrix(matrix: dict[str, Field] | None, rows: int, line: int, name: str) -> None:
    """Refuse a covariance matrix left with fewer than 6 rows."""
    if matrix is not None and rows != 6:
        raise fail(name, line, f"covariance matrix (EPOCH on line {matrix['EPOCH'].line}) "
                   f"has {rows} rows: expected 6")


# ----------------------------------------------------------------------------------------
# XML
# ----------------------------------------------------------------------------------------
def _local(tag: str) -> str:
    """Tag without its ``{namespace}``."""
    return tag.rpartition("}")[2]


def parse_xml(text: str, name: str) -> Message:
    """Parse an XML OEM, OPM or OMM, alone or inside ``<ndm>`` (CCSDS 505.0-B-2).

    Raises
    ------
    TrackingDataError
        For an XML syntax error (at the parser's line), a root that is not ``ndm``,
        ``oem``, ``opm`` or ``omm``, messages of different kinds in one ``ndm``, a missing
        ``header``/``body``/``segment``/``metadata``/``data``, an unsupported version,
        unexpected nesting, or a repeated keyword.
    """
    parser = ET.XMLPullParser(events=("start",))
    lines: dict[ET.Element, int] = {}
    line = 0
    try:
        for line, text_line in enumerate(text.splitlines(keepends=True), start=1):
            parser.feed(text_line)
            for _, element in parser.read_events():
                lines[element] = line
        parser.close()
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position[0] > 0 else line
        raise fail(name, line, f"XML syntax error ({exc}): expected a well-formed CCSDS "
                   "NDM XML document") from None
    root = next(iter(lines))  # the first element started (dicts keep insertion order)
    tag = _local(root.tag)
    messages = list(root) if tag == "ndm" else [root]
    kinds = {_local(m.tag).upper() for m in messages}
    if tag not in ("ndm", "oem", "opm", "omm") or len(kinds) != 1 or not kinds <= set(KINDS):
        found = f"<{tag}>" if tag != "ndm" else f"<ndm> holding {sorted(kinds) or 'nothing'}"
        raise fail(name, lines[root], f"found {found}: expected <oem>, <opm> or <omm>, "
                   "alone or (of one kind) inside <ndm>")
    result: Message | None = None
    for element in messages:
        kind = _local(element.tag).upper()
        version = Field(element.get("version", ""), lines[element])
        if version.value not in VERSIONS:
            raise fail(name, version.line, f"<{_local(element.tag)}> version="
                       f"{quote(version.value)}: expected one of {', '.join(VERSIONS)}")
        if result is None:
            result = Message(kind, version, {}, [], [], name)
        header = _child(element, "header", lines, name)
        _flatten(header, result.header, result.comments, None, lines, name)
        body = _child(element, "body", lines, name)
        segments = [c for c in body if _local(c.tag) == "segment"]
        if not segments or len(segments) != len(body):
            raise fail(name, lines[body], "expected <body> to hold one or more <segment>")
        for xml_segment in segments:
            result.segments.append(_xml_segment(xml_segment, kind, lines, name))
    return result


def _child(parent: ET.Element, tag: str, lines, name: str) -> ET.Element:
    """The one child ``tag`` of ``parent``."""
    found = [c for c in parent if _local(c.tag) == tag]
    if len(found) != 1:
        raise fail(name, lines[parent], f"<{_local(parent.tag)}> has {len(found)} <{tag}>: "
                   "expected one")
    return found[0]


def _xml_segment(element: ET.Element, kind: str, lines, name: str) -> Segment:
    """Metadata, keywords, state records and covariance records of one ``<segment>``."""
    segment = Segment(lines[element])
    metadata = _child(element, "metadata", lines, name)
    _flatten(metadata, segment.metadata, segment.comments, None, lines, name)
    data = _child(element, "data", lines, name)
    for child in data:
        tag = _local(child.tag)
        if kind == "OEM" and tag in ("stateVector", "covarianceMatrix"):
            record: dict[str, Field] = {}
            _flatten(child, record, segment.comments, None, lines, name)
            if "EPOCH" not in record:
                raise fail(name, lines[child], f"<{tag}> without <EPOCH>: expected the "
                           "epoch of the state or covariance")
            (segment.states if tag == "stateVector" else segment.covariances).append(record)
        elif kind != "OEM" and len(child):
            _flatten(child, segment.keywords, segment.comments, segment.repeated, lines, name)
        else:
            _flatten_leaf(child, segment.keywords, segment.comments, None, lines, name)
    return segment


def _flatten(element: ET.Element, table: dict[str, Field], comments: list[str], repeated,
             lines, name: str) -> None:
    """Put the leaf children of ``element`` into ``table`` (COMMENTs into ``comments``)."""
    for child in element:
        if len(child):
            raise fail(name, lines[child], f"<{_local(child.tag)}> inside "
                       f"<{_local(element.tag)}> has child elements: expected a value")
        _flatten_leaf(child, table, comments, repeated, lines, name)


def _flatten_leaf(child: ET.Element, table: dict[str, Field], comments: list[str], repeated,
                  lines, name: str) -> None:
    """One leaf element: a COMMENT, a USER_DEFINED parameter or a keyword.

    An empty element (CelesTrak writes ``<CREATION_DATE/>``) is kept as ``''``; the readers
    refuse it where a value is needed.
    """
    tag, value = _local(child.tag), (child.text or "").strip()
    if len(child):
        raise fail(name, lines[child], f"<{tag}> has child elements: expected a value")
    if tag == "COMMENT":
        comments.append(value)
        return
    if tag == "USER_DEFINED":
        tag = f"USER_DEFINED_{child.get('parameter', '')}"
    if child.get("units") is not None:
        _check_units(tag, child.get("units"), name, lines[child])
    _store(table, tag, Field(value, lines[child]), name, repeated)
