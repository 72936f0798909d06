"""CCSDS Orbit Ephemeris (OEM) and Orbit Parameter (OPM) Messages, KVN and XML; an OEM writer.

The syntax of both encodings is read by :mod:`._ndm`; this module checks and converts the
values: epochs (UTC, or TAI/TT/GPS converted to UTC with ERFA's leap seconds; anything else
is refused), km and km/s to m and m/s, covariances from km², km²/s, km²/s² to m², m²/s,
m²/s². Frames are kept as written (REF_FRAME, COV_REF_FRAME); CENTER_NAME must be EARTH.

Why a parser of our own
-----------------------
Two PyPI packages were evaluated (November 2026) on NASA's ISS OEM (XML), a KVN OEM and
broken files. ``ccsds-ndm`` 3.1.1 reads the ISS XML (5,524 states, 33 comments, 0.8 s) and
KVN, OPM and covariance, but is GPL-3.0 (deorbit is MIT), pulls lxml (13 MB) and xsdata,
keeps epochs as unchecked strings (``2022-13-01T12:04:00`` passes) and reports a bad number
as a bare ``could not convert string to float`` and a truncated XML as "Data type could not
be identified", with no file or line. ``oem`` 0.4.5 needs astropy (61 MB) and lxml, fails on
the ISS file (``KeyError: 'version'``: it does not accept the ``<ndm>`` wrapper), drops
COMMENT lines (so NASA's MASS/DRAG_AREA/DRAG_COEFF are lost), reads OEM only, and gives a
line but no file name. Neither gives errors a user can act on, so deorbit has this small
strict parser on the standard library (``xml.etree.ElementTree``) and pyerfa.

References
----------
CCSDS 502.0-B-3, *Orbit Data Messages*, Blue Book, April 2023: section 3 (OPM), section 5
(OEM), section 6 (covariance), section 7 (KVN).
CCSDS 505.0-B-2, *XML Specification for Navigation Data Messages*.
"""
from __future__ import annotations

import os
import re
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np

from ._common import TIME_SYSTEMS, fail, format_epoch, parse_epoch, parse_float, quote
from ._ndm import COVARIANCE_KEYS, STATE_KEYS, Field, Message, Segment
from .results import Ephemeris, StateVector

__all__ = ["ephemerides_from_message", "state_vector_from_message", "write_oem"]

_KM = 1e3  # m per km
_OEM_METADATA = {
    "required": ("OBJECT_NAME", "OBJECT_ID", "CENTER_NAME", "REF_FRAME", "TIME_SYSTEM",
                 "START_TIME", "STOP_TIME"),
    "optional": ("REF_FRAME_EPOCH", "USEABLE_START_TIME", "USEABLE_STOP_TIME",
                 "INTERPOLATION", "INTERPOLATION_DEGREE"),
}
_OPM_METADATA = {
    "required": ("OBJECT_NAME", "OBJECT_ID", "CENTER_NAME", "REF_FRAME", "TIME_SYSTEM"),
    "optional": ("REF_FRAME_EPOCH",),
}
_SPACECRAFT_KEYS = ("MASS", "SOLAR_RAD_AREA", "SOLAR_RAD_COEFF", "DRAG_AREA", "DRAG_COEFF")
_KEPLERIAN_KEYS = ("SEMI_MAJOR_AXIS", "ECCENTRICITY", "INCLINATION", "RA_OF_ASC_NODE",
                   "ARG_OF_PERICENTER", "TRUE_ANOMALY", "MEAN_ANOMALY", "GM")
# NASA's ISS OEM writes spacecraft parameters as comments: "MASS=445386.00".
_COMMENT_PARAMETER = re.compile(r"\s*(MASS|DRAG_AREA|DRAG_COEFF)\s*=\s*(\S+)\s*")


def _metadata(segment: Segment, allowed: dict, name: str) -> dict[str, Field]:
    """Checked metadata: required keys present, nothing unknown, EARTH, a known TIME_SYSTEM."""
    metadata = segment.metadata
    for key, value in metadata.items():
        if key not in allowed["required"] + allowed["optional"]:
            raise fail(name, value.line, f"metadata keyword {key}: expected one of "
                       f"{', '.join(allowed['required'] + allowed['optional'])}")
    for key in allowed["required"]:
        if key not in metadata:
            raise fail(name, segment.line, f"metadata keyword {key} missing: expected "
                       f"{', '.join(allowed['required'])}")
    center = metadata["CENTER_NAME"]
    if center.value.upper() != "EARTH":
        raise fail(name, center.line, f"CENTER_NAME {quote(center.value)}: expected EARTH")
    system = metadata["TIME_SYSTEM"]
    if system.value not in TIME_SYSTEMS:
        raise fail(name, system.line, f"TIME_SYSTEM {quote(system.value)}: expected one of "
                   f"{', '.join(TIME_SYSTEMS)}")
    return metadata


def _epoch(value: Field, name: str, time_system: str, what: str = "EPOCH") -> float:
    return parse_epoch(value.value, name, value.line, what, time_system)


def _vector(record: dict[str, Field], keys: Sequence[str], scale: float, name: str,
            line: int) -> np.ndarray:
    """The values of ``keys`` in ``record`` as floats times ``scale``; all must be present."""
    out = np.empty(len(keys))
    for i, key in enumerate(keys):
        if key not in record:
            raise fail(name, line, f"{key} missing: expected {', '.join(keys)}")
        out[i] = parse_float(record[key].value, name, record[key].line, key) * scale
    return out


def _covariance(record: dict[str, Field], name: str, line: int) -> np.ndarray:
    """Symmetric (6, 6) covariance in m², m²/s, m²/s² from the 21 km-based CCSDS elements."""
    lower = _vector(record, COVARIANCE_KEYS, _KM * _KM, name, line)
    matrix = np.zeros((6, 6))
    matrix[np.tril_indices(6)] = lower  # row by row, as COVARIANCE_KEYS
    return matrix + np.tril(matrix, -1).T


def _only(table: dict[str, Field], allowed: Sequence[str], name: str, what: str) -> None:
    """Refuse keywords of ``table`` that are not ``allowed``."""
    for key, value in table.items():
        if key not in allowed:
            raise fail(name, value.line, f"keyword {key} in {what}: expected one of "
                       f"{', '.join(allowed)}")


def _comment_parameters(comments: list[str], name: str, line: int) -> dict[str, float]:
    """MASS, DRAG_AREA and DRAG_COEFF written as ``KEY=value`` comments (NASA's ISS OEM)."""
    found: dict[str, float] = {}
    for comment in comments:
        match = _COMMENT_PARAMETER.fullmatch(comment)
        if match:
            key, value = match.groups()
            number = parse_float(value, name, line, f"COMMENT {key}")
            if found.get(key, number) != number:
                raise fail(name, line, f"COMMENT {key}={value} contradicts {key}="
                           f"{found[key]} in another comment: expected one value")
            found[key] = number
    return found


def _object(metadata, system, parameters) -> dict:
    """The fields an OEM segment and an OPM share: the object, the time system, and the
    spacecraft's mass, drag area and drag coefficient where given."""
    return dict(object_name=metadata["OBJECT_NAME"].value,
                object_id=metadata["OBJECT_ID"].value, time_system=system,
                mass_kg=parameters.get("MASS"), drag_area_m2=parameters.get("DRAG_AREA"),
                drag_coeff=parameters.get("DRAG_COEFF"))


def ephemerides_from_message(message: Message) -> tuple[Ephemeris, ...]:
    """One :class:`Ephemeris` per segment of a parsed OEM.

    Raises
    ------
    TrackingDataError
        Missing or unknown metadata, CENTER_NAME other than EARTH, an unsupported
        TIME_SYSTEM, a segment without states, a bad epoch or number, epochs that do not
        increase strictly or fall outside START_TIME..STOP_TIME, or a covariance block
        without its 21 elements.
    """
    name = message.name
    result = []
    for segment in message.segments:
        metadata = _metadata(segment, _OEM_METADATA, name)
        system = metadata["TIME_SYSTEM"].value
        for key, value in segment.keywords.items():
            raise fail(name, value.line, f"keyword {key} in the data of an OEM: expected "
                       "data lines, COMMENT and covariance blocks only")
        if not segment.states:
            raise fail(name, segment.line, "segment without data lines: expected at least "
                       "one 'EPOCH X Y Z X_DOT Y_DOT Z_DOT'")
        n = len(segment.states)
        epochs, states = np.empty(n), np.empty((n, 6))
        lines = np.empty(n, dtype=np.int64)
        for i, record in enumerate(segment.states):
            line = record["EPOCH"].line  # every record has one (see _ndm)
            _only(record, STATE_KEYS, name, "a state vector")
            epochs[i] = _epoch(record["EPOCH"], name, system)
            states[i] = _vector(record, STATE_KEYS[1:7], _KM, name, line)
            _vector(record, [k for k in STATE_KEYS[7:] if k in record], _KM, name, line)
            lines[i] = line
            if i and epochs[i] <= epochs[i - 1]:
                raise fail(name, line, f"EPOCH {record['EPOCH'].value} is not after the "
                           f"previous state's (line {lines[i - 1]}): expected increasing time")
        start = _epoch(metadata["START_TIME"], name, system, "START_TIME")
        stop = _epoch(metadata["STOP_TIME"], name, system, "STOP_TIME")
        outside = (epochs < start) | (epochs > stop)
        if outside.any():
            i = int(np.argmax(outside))
            raise fail(name, int(lines[i]), f"EPOCH {segment.states[i]['EPOCH'].value} "
                       f"outside START_TIME..STOP_TIME ({metadata['START_TIME'].value} .. "
                       f"{metadata['STOP_TIME'].value})")
        frame = metadata["REF_FRAME"].value
        cov_epochs, covariances, cov_frames = [], [], []
        for record in segment.covariances:
            line = record["EPOCH"].line
            _only(record, ("EPOCH", "COV_REF_FRAME", *COVARIANCE_KEYS), name,
                  "a covariance matrix")
            cov_epochs.append(_epoch(record["EPOCH"], name, system))
            covariances.append(_covariance(record, name, line))
            cov_frames.append(record.get("COV_REF_FRAME", Field(frame, line)).value)
        comments = message.comments + segment.comments
        parameters = _comment_parameters(segment.comments, name, segment.line)
        result.append(Ephemeris(
            epoch_utc_days=epochs,
            state_m=states,
            frame=frame,
            **_object(metadata, system, parameters),
            covariance_epoch_utc_days=np.array(cov_epochs, dtype=np.float64),
            covariance_m_s=np.array(covariances, dtype=np.float64).reshape(-1, 6, 6),
            covariance_frames=tuple(cov_frames),
            comments=tuple(comments),
            source=name,
            lines=lines,
        ))
    return tuple(result)


def state_vector_from_message(message: Message) -> StateVector:
    """The :class:`StateVector` of a parsed OPM.

    Raises
    ------
    TrackingDataError
        Missing or unknown metadata, more than one segment, CENTER_NAME other than EARTH,
        an unsupported TIME_SYSTEM, a missing EPOCH or state component, a bad number, an
        unknown keyword, or a partial covariance.
    """
    name = message.name
    if len(message.segments) != 1:
        raise fail(name, message.segments[1].line, "an OPM has one segment: found "
                   f"{len(message.segments)}")
    segment = message.segments[0]
    metadata = _metadata(segment, _OPM_METADATA, name)
    system = metadata["TIME_SYSTEM"].value
    keywords = segment.keywords
    allowed = (*STATE_KEYS[:7], *_SPACECRAFT_KEYS, *_KEPLERIAN_KEYS, "COV_REF_FRAME",
               *COVARIANCE_KEYS)
    _only(keywords, allowed, name, "an OPM")
    if "EPOCH" not in keywords:
        raise fail(name, segment.line, "EPOCH missing: expected the state vector's EPOCH")
    line = keywords["EPOCH"].line
    epoch = _epoch(keywords["EPOCH"], name, system)
    state = _vector(keywords, STATE_KEYS[1:7], _KM, name, line)
    spacecraft = {key: parse_float(keywords[key].value, name, keywords[key].line, key)
                  for key in _SPACECRAFT_KEYS if key in keywords}
    covariance = frame = None
    if any(key in keywords for key in COVARIANCE_KEYS):
        first = min(keywords[k].line for k in COVARIANCE_KEYS if k in keywords)
        covariance = _covariance(keywords, name, first)
        frame = keywords.get("COV_REF_FRAME", metadata["REF_FRAME"]).value
    other = [(key, keywords[key].value, keywords[key].line) for key in _KEPLERIAN_KEYS
             if key in keywords]
    other += [(key, value.value, value.line) for key, value in segment.repeated]
    return StateVector(
        epoch_utc_days=epoch,
        state_m=state,
        frame=metadata["REF_FRAME"].value,
        **_object(metadata, system, spacecraft),
        solar_rad_area_m2=spacecraft.get("SOLAR_RAD_AREA"),
        solar_rad_coeff=spacecraft.get("SOLAR_RAD_COEFF"),
        covariance_m_s=covariance,
        covariance_frame=frame,
        other_keywords=tuple(other),
        comments=tuple(message.comments + segment.comments),
        source=name,
        line=line,
    )


def write_oem(path, ephemerides: Ephemeris | Sequence[Ephemeris], *,
              originator: str = "deorbit", creation_date: str | None = None) -> None:
    """Write ephemerides as a KVN OEM, version 2.0 (one segment each), in UTC.

    Epochs are written as ``YYYY-MM-DDThh:mm:ss.ffffff`` (1 µs; an epoch on a whole
    microsecond, such as every epoch read from a file with ≤ 6 decimals, reads back
    bit-identical), positions and velocities in km and km/s with 17 significant digits (a
    float64 reads back exactly; the m -> km -> m scaling may move the last bit, < 1e-15
    relative), covariances in km units with 17 digits. Comments are written as they are;
    mass, drag area and Cd not already in a ``KEY=value`` comment are added as such
    comments (NASA's convention), so that reading the file back gives them again.

    Parameters
    ----------
    path : str or os.PathLike
        File to write (overwritten).
    ephemerides : Ephemeris or sequence of Ephemeris
        One segment each.
    originator : str
        ORIGINATOR of the header.
    creation_date : str, optional
        CREATION_DATE; defaults to the current UTC time.
    """
    if isinstance(ephemerides, Ephemeris):
        ephemerides = [ephemerides]
    created = creation_date or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    out = ["CCSDS_OEM_VERS = 2.0", f"CREATION_DATE = {created}", f"ORIGINATOR = {originator}"]
    for eph in ephemerides:
        out += ["", "META_START", f"OBJECT_NAME = {eph.object_name}",
                f"OBJECT_ID = {eph.object_id}", "CENTER_NAME = EARTH",
                f"REF_FRAME = {eph.frame}", "TIME_SYSTEM = UTC",
                f"START_TIME = {format_epoch(eph.epoch_utc_days[0])}",
                f"STOP_TIME = {format_epoch(eph.epoch_utc_days[-1])}", "META_STOP", ""]
        out += [f"COMMENT {c}" for c in eph.comments]
        present = _comment_parameters(list(eph.comments), os.fspath(path), 0)
        for key, value in (("MASS", eph.mass_kg), ("DRAG_AREA", eph.drag_area_m2),
                           ("DRAG_COEFF", eph.drag_coeff)):
            if value is not None and key not in present:
                out.append(f"COMMENT {key}={value!r}")
        for epoch, state in zip(eph.epoch_utc_days, eph.state_m / _KM):
            out.append(" ".join([format_epoch(epoch), *(f"{v:.17g}" for v in state)]))
        if len(eph.covariance_m_s):
            out.append("COVARIANCE_START")
            for epoch, frame, cov in zip(eph.covariance_epoch_utc_days,
                                         eph.covariance_frames, eph.covariance_m_s / _KM**2):
                out += [f"EPOCH = {format_epoch(epoch)}", f"COV_REF_FRAME = {frame}"]
                out += [" ".join(f"{v:.17g}" for v in cov[i, :i + 1]) for i in range(6)]
            out.append("COVARIANCE_STOP")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(out) + "\n")
