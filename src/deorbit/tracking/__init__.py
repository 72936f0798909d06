"""Tracking-data input: TLE/3LE, CCSDS OMM, OEM and OPM, read strictly, with file:line errors.

Formats and what they become
----------------------------
=====================================  =================================================
TLE / 3LE (text)                       :class:`ElementSeries` of :class:`ElementSet`
OMM: KVN, XML, CSV, CelesTrak JSON     :class:`ElementSeries` of :class:`ElementSet`
OEM: KVN, XML (alone or in ``<ndm>``)  tuple of :class:`Ephemeris`, one per segment
OPM: KVN, XML                          :class:`StateVector`
=====================================  =================================================

TLEs and OMMs go through python-sgp4 (``Satrec.twoline2rv``, ``sgp4.omm``), and the state of
an element set at its epoch is SGP4's own, in TEME. OEM and OPM are read by deorbit's own
strict parser: the PyPI packages ``ccsds-ndm`` 3.1.1 and ``oem`` 0.4.5 were evaluated and
rejected (GPL-3.0 licence and unchecked epochs with no file or line in errors; astropy
dependency, no ``<ndm>`` wrapper, comments dropped) -- see :mod:`deorbit.tracking.ccsds`.

TIME_SYSTEM UTC is read as is; TAI, TT and GPS are converted to UTC with ERFA's leap
seconds; any other is refused. Frames are kept as the file names them: nothing here
converts EME2000/GCRF/TEME/ITRF.

Every failure of a reader -- bad number, missing keyword, wrong TLE line length or checksum,
unsupported time system, empty file, bytes that are not UTF-8, XML or JSON syntax -- is a
:class:`TrackingDataError` (a ``ValueError``) whose message starts ``'<file>:<line>: '``.

Examples
--------
>>> from deorbit.tracking import iss_arc_2022
>>> arc = iss_arc_2022()
>>> len(arc.epoch_utc_days), arc.frame, round(arc.bc_kg_m2, 1)
(5524, 'EME2000', 91.0)
"""
from __future__ import annotations

import re

from .._data import data_bytes, data_label
from ._common import TrackingDataError, decode, load_text
from ._ndm import kvn_kind, parse_kvn, parse_xml
from .ccsds import ephemerides_from_message, state_vector_from_message, write_oem
from .omm import parse_omm_csv, parse_omm_json, series_from_message
from .results import ElementSeries, ElementSet, Ephemeris, StateVector
from .tle import parse_tle

__all__ = [
    "FORMATS",
    "ISS_ARC_2022_FILE",
    "PACKAGED",
    "ElementSeries",
    "ElementSet",
    "Ephemeris",
    "StateVector",
    "TrackingDataError",
    "detect_format",
    "iss_arc_2022",
    "parse_tracking",
    "read_elements",
    "read_oem",
    "read_opm",
    "read_tracking",
    "write_oem",
]

#: Format names of :func:`read_tracking`: the message, then its encoding.
FORMATS = ("tle", "omm-kvn", "omm-xml", "omm-csv", "omm-json", "oem-kvn", "oem-xml",
           "opm-kvn", "opm-xml")
#: NASA's ISS OEM of 2022-02-11..26 in ``deorbit/data`` (provenance in its README.md).
ISS_ARC_2022_FILE = "ISS.OEM_J2K_EPH_2022-042.xml.gz"
#: Tracking data shipped with deorbit, by the names ``deorbit fit-bc`` and a scenario's
#: ``orbit.file`` accept: name -> path under ``deorbit/data``.
PACKAGED = {"iss-oem-2022-02": ISS_ARC_2022_FILE,
            "iss-tle-2026-05": "tracking/iss-25544-2026-05.tle"}

_XML_ROOT = re.compile(r"<\s*(?:[\w.-]+:)?(ndm|oem|opm|omm)\b")


def detect_format(text: str, name: str = "<string>") -> str:
    """The format (one of :data:`FORMATS`) of tracking data, from its content alone.

    XML is told by its root element (``<oem>``, ``<opm>``, ``<omm>``, or the first message
    inside ``<ndm>``), KVN by ``CCSDS_OEM_VERS``/``CCSDS_OPM_VERS``/``CCSDS_OMM_VERS`` on
    its first line, JSON by a leading ``[`` or ``{``, CSV by a header holding
    ``NORAD_CAT_ID`` and commas, TLE by a ``1 NNNNN`` line among the first three.

    Raises
    ------
    TrackingDataError
        If the content is none of these.
    """
    lines = [(i + 1, s.strip()) for i, s in enumerate(text.splitlines()) if s.strip()]
    if not lines:
        raise TrackingDataError(f"{name}:1: empty file: expected tracking data")
    first_line, first = lines[0]
    if first.startswith("<"):
        match = _XML_ROOT.search(re.sub(r"<!--.*?-->", "", text, flags=re.S))
        if match and match.group(1) != "ndm":
            return f"{match.group(1)}-xml"
        inner = _XML_ROOT.search(text, match.end()) if match else None
        if inner:
            return f"{inner.group(1)}-xml"
        return "oem-xml"  # the XML reader names what it finds instead
    kind = kvn_kind(first.split("=")[0].strip())
    if kind:
        return f"{kind.lower()}-kvn"
    if first.startswith(("[", "{")):
        return "omm-json"
    if "," in first and "NORAD_CAT_ID" in first:
        return "omm-csv"
    if any(re.match(r"1 [ 0-9A-Z]{5}", s) for _, s in lines[:3]):
        return "tle"
    raise TrackingDataError(
        f"{name}:{first_line}: cannot tell the format from {first[:80]!r}: expected TLE lines, "
        "'CCSDS_OEM_VERS'/'CCSDS_OPM_VERS'/'CCSDS_OMM_VERS', XML <ndm>/<oem>/<opm>/<omm>, "
        "a JSON list or a CSV header of OMM keywords")


def parse_tracking(text: str | bytes, format: str | None = None, name: str = "<string>"):
    """Read tracking data from text (or bytes, possibly gzip); see :func:`read_tracking`."""
    if isinstance(text, bytes):
        text = decode(text, name)
    elif not text.strip():
        raise TrackingDataError(f"{name}:1: empty file: expected tracking data")
    detected = detect_format(text, name)
    if format is not None:
        if format not in FORMATS:
            raise ValueError(f"format {format!r}: expected one of {', '.join(FORMATS)}")
        if format != detected:
            raise TrackingDataError(f"{name}:1: format {format!r} requested, but the content "
                                    f"is {detected!r}")
    if detected == "tle":
        return parse_tle(text, name)
    if detected == "omm-csv":
        return parse_omm_csv(text, name)
    if detected == "omm-json":
        return parse_omm_json(text, name)
    message = parse_xml(text, name) if detected.endswith("xml") else parse_kvn(text, name)
    if message.kind == "OEM":
        return ephemerides_from_message(message)
    if message.kind == "OPM":
        return state_vector_from_message(message)
    return series_from_message(message)


def read_tracking(path, format: str | None = None):
    """Read a tracking-data file of any supported format (plain or gzip).

    Parameters
    ----------
    path : str or os.PathLike
        The file. Gzip is recognised by its magic bytes, whatever the name.
    format : str, optional
        One of :data:`FORMATS`; by default told from the content (:func:`detect_format`).
        When given, the content must agree.

    Returns
    -------
    ElementSeries or tuple of Ephemeris or StateVector
        :class:`ElementSeries` for TLE and OMM, a tuple of :class:`Ephemeris` (one per
        segment) for OEM, a :class:`StateVector` for OPM.

    Raises
    ------
    TrackingDataError
        ``'<file>:<line>: ...'`` for anything malformed or unsupported in the file.
    OSError
        If the file cannot be read.
    """
    text, name = load_text(path)
    return parse_tracking(text, format, name)


def _read_kind(path, prefix: str, expected: str):
    """:func:`read_tracking`, refusing content that is not a ``prefix`` message."""
    text, name = load_text(path)
    detected = detect_format(text, name)
    if not detected.startswith(prefix):
        raise TrackingDataError(f"{name}:1: content is {detected!r}: expected {expected}")
    return parse_tracking(text, detected, name)


def read_oem(path) -> tuple[Ephemeris, ...]:
    """The segments of an OEM file (KVN or XML, plain or gzip) as :class:`Ephemeris`."""
    return _read_kind(path, "oem", "an OEM (KVN or XML)")


def read_opm(path) -> StateVector:
    """The state of an OPM file (KVN or XML, plain or gzip)."""
    return _read_kind(path, "opm", "an OPM (KVN or XML)")


def read_elements(path) -> ElementSeries:
    """The element sets of a TLE/3LE or OMM file (any encoding, plain or gzip)."""
    return _read_kind(path, ("tle", "omm"), "TLEs or an OMM")


def iss_arc_2022() -> Ephemeris:
    """NASA's predicted ISS trajectory, 2022-02-11 12:00 to 2022-02-26 12:00 UTC.

    The packaged ``ISS.OEM_J2K_EPH_2022-042.xml.gz`` (CCSDS OEM 2.0 XML by NASA JSC,
    5,524 EME2000 states; mass 445,386 kg, drag area 1,439.70 m², Cd 3.40 in its comments).
    Provenance: ``deorbit/data/README.md``.
    """
    name = data_label(ISS_ARC_2022_FILE)
    (arc,) = parse_tracking(data_bytes(ISS_ARC_2022_FILE), "oem-xml", name)
    return arc

