"""Tracking-data readers (deorbit.tracking): TLE/OMM through sgp4, OEM/OPM, errors, fuzzing."""
from __future__ import annotations

import gzip
import hashlib
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sgp4 import omm as sgp4_omm

from deorbit._data import data_bytes
from deorbit.time import epoch_from_datetime
from deorbit.tracking import (
    ISS_ARC_2022_FILE,
    ElementSeries,
    TrackingDataError,
    iss_arc_2022,
    parse_tracking,
    read_elements,
    read_oem,
    read_opm,
    read_tracking,
    write_oem,
)
from deorbit.tracking._ndm import parse_xml
from deorbit.tracking.tle import checksum

DATA = Path(__file__).parent / "data" / "tracking"
MARIO_FILES = ["mario.tle", "mario.omm.kvn", "mario.omm.xml", "mario.omm.csv", "mario.omm.json"]


def _line_of(exc: TrackingDataError, name: str) -> int:
    """The line number a TrackingDataError gives for file ``name``."""
    match = re.match(rf"{re.escape(name)}:(\d+): ", str(exc))
    assert match, f"message does not start with '{name}:<line>: ': {exc}"
    return int(match.group(1))


# ------------------------------------------------------------------------------------------
# TLE against the published SGP4 verification output
# ------------------------------------------------------------------------------------------
def _verification_pairs():
    """(line 1, line 2) of Vallado's SGP4-VER.TLE, cut to 69 columns, checksums recomputed.

    Line 2 of that file carries the test's start/stop/step after column 69; the three
    deliberate error cases (33333-33335) have wrong checksums. The checksum is not part of
    the element set, so recomputing it does not change what SGP4 computes.
    """
    text = (resources.files("sgp4") / "SGP4-VER.TLE").read_text()
    rows = [s[:68] for s in text.splitlines() if s[:2] in ("1 ", "2 ")]
    rows = [s + str(checksum(s)) for s in rows]
    return list(zip(rows[::2], rows[1::2]))


def _tcppver_epoch_rows():
    """NORAD number -> (x, y, z km, vx, vy, vz km/s) of the tsince = 0 row of tcppver.out."""
    lines = (resources.files("sgp4") / "tcppver.out").read_text().splitlines()
    rows = {}
    for i, line in enumerate(lines[:-1]):
        if line.endswith(" xx"):
            values = [float(v) for v in lines[i + 1].split()[:7]]
            assert values[0] == 0.0
            rows[int(line.split()[0])] = np.array(values[1:])
    return rows


def test_tle_state_at_epoch_matches_vallado_reference_output():
    # tcppver.out prints positions with 8 decimals (km) and velocities with 9 (km/s): our
    # state must agree to half a unit of the last printed digit (5e-9 km, 5e-10 km/s).
    reference = _tcppver_epoch_rows()
    pairs = _verification_pairs()
    assert len(pairs) == 33
    compared, refused = 0, []
    for line1, line2 in pairs:
        try:
            (element,) = parse_tracking(f"{line1}\n{line2}\n", "tle").element_sets
        except TrackingDataError as exc:
            refused.append((int(line1[2:7]), str(exc)))
            continue
        state_km = element.state_teme_m / 1e3
        expected = reference[element.norad_id]
        np.testing.assert_allclose(state_km[:3], expected[:3], rtol=0, atol=5e-9)
        np.testing.assert_allclose(state_km[3:], expected[3:], rtol=0, atol=5e-10)
        compared += 1
    # 33334 (mean motion 1e-5 rev/day) is Vallado's case that SGP4 must refuse (error 3).
    assert compared == 32
    assert [n for n, _ in refused] == [33334]
    assert "<string>:1: SGP4 cannot propagate" in refused[0][1]


def test_tle_mean_elements_and_epoch():
    series = read_tracking(DATA / "mario.tle")
    assert isinstance(series, ElementSeries) and series.duplicates_removed == 0
    (e,) = series.element_sets
    assert (e.name, e.norad_id, e.object_id, e.line) == ("MARIO", 55123, "98067UQ", 2)
    # 2023 day 115.44827133 = 2023-04-25T10:45:30.642912 UTC
    assert e.epoch_utc_days == pytest.approx(
        epoch_from_datetime("2023-04-25T10:45:30.642912"), abs=1e-11)
    assert e.mean_motion_rev_per_day == pytest.approx(15.99081912, rel=1e-15)
    assert (e.eccentricity, e.inclination_deg) == pytest.approx((0.0014649, 51.6242))
    assert e.bstar_per_earth_radius == pytest.approx(0.1568e-2)
    # Brouwer a from SGP4 in earth radii (WGS-72, 6378.135 km): slightly above the Kozai a.
    kozai_a_m = (398600.8e9 / (15.99081912 * 2 * np.pi / 86400) ** 2) ** (1 / 3)
    assert e.semi_major_axis_m == pytest.approx(e.satrec.a * 6378135.0)
    assert 0 < e.semi_major_axis_m - kozai_a_m < 5e3
    r_m = np.linalg.norm(e.state_teme_m[:3])
    assert 6.5e6 < r_m < 6.8e6


def test_tle_series_sorted_and_deduplicated():
    l1, l2 = (DATA / "mario.tle").read_text().splitlines()[1:]
    other1 = l1[:22] + "4" + l1[23:68]  # one day earlier (day 114)
    other1 += str(checksum(other1))
    text = "\n".join([l1, l2, "0 MARIO", other1, l2, l1, l2]) + "\n"
    series = parse_tracking(text, "tle")
    assert series.duplicates_removed == 1
    assert np.diff(series.epoch_utc_days).tolist() == pytest.approx([1.0])
    assert [e.line for e in series.element_sets] == [4, 1]
    assert series.state_teme_m.shape == (2, 6)


# ------------------------------------------------------------------------------------------
# OMM: four encodings of one element set
# ------------------------------------------------------------------------------------------
def test_omm_all_encodings_give_the_tle_state():
    # The OMM epoch is the TLE's day fraction written to the microsecond, and sgp4 computes
    # the Julian date differently for the two (decimal day vs. datetime): the epochs agree to
    # 1e-10 day (9 µs) and the states to 0.1 m and 0.1 mm/s.
    (tle,) = read_elements(DATA / "mario.tle").element_sets
    for name in MARIO_FILES[1:]:
        (omm,) = read_tracking(DATA / name).element_sets
        assert (omm.norad_id, omm.name, omm.object_id) == (55123, "MARIO", "1998-067UQ"), name
        assert omm.epoch_utc_days == pytest.approx(tle.epoch_utc_days, abs=1e-10), name
        np.testing.assert_allclose(omm.state_teme_m[:3], tle.state_teme_m[:3], atol=0.1)
        np.testing.assert_allclose(omm.state_teme_m[3:], tle.state_teme_m[3:], atol=1e-4)
        assert omm.bstar_per_earth_radius == tle.bstar_per_earth_radius, name
        assert omm.semi_major_axis_m == pytest.approx(tle.semi_major_axis_m, rel=1e-12)


def test_omm_xml_fields_are_those_of_sgp4_parse_xml():
    text = (DATA / "mario.omm.xml").read_text()
    (theirs,) = list(sgp4_omm.parse_xml(str(DATA / "mario.omm.xml")))
    segment = parse_xml(text, "mario.omm.xml").segments[0]
    ours = {k: f.value for k, f in {**segment.metadata, **segment.keywords}.items()}
    assert ours == theirs


def test_read_tracking_accepts_gzip(tmp_path):
    path = tmp_path / "mario.omm.json.gz"
    path.write_bytes(gzip.compress((DATA / "mario.omm.json").read_bytes()))
    (e,) = read_tracking(path).element_sets
    assert e.norad_id == 55123 and e.source == str(path)


# ------------------------------------------------------------------------------------------
# OEM: the packaged ISS arc, fixtures, round trip
# ------------------------------------------------------------------------------------------
def test_packaged_iss_arc_is_nasas_file():
    xml = gzip.decompress(data_bytes(ISS_ARC_2022_FILE))
    assert hashlib.sha256(xml).hexdigest() == (
        "139584e6204ea7bdbe28ebb824a3b3c0b0abb9d0d9a7b92a217ec5175e40cfe1")


def test_iss_arc_2022():
    arc = iss_arc_2022()
    assert arc.state_m.shape == (5524, 6) and arc.lines.shape == (5524,)
    assert arc.epoch_utc_days[0] == epoch_from_datetime("2022-02-11T12:00:00")
    assert arc.epoch_utc_days[-1] == epoch_from_datetime("2022-02-26T12:00:00")
    assert np.all(np.diff(arc.epoch_utc_days) > 0)
    assert (arc.frame, arc.time_system, arc.object_name, arc.object_id) == (
        "EME2000", "UTC", "ISS", "1998-067-A")
    assert (arc.mass_kg, arc.drag_area_m2, arc.drag_coeff) == (445386.0, 1439.70, 3.40)
    assert arc.bc_kg_m2 == pytest.approx(445386.0 / (3.40 * 1439.70)) and round(arc.bc_kg_m2) == 91
    radius_km = np.linalg.norm(arc.state_m[:, :3], axis=1) / 1e3
    assert np.all((radius_km > 6700) & (radius_km < 6850))
    assert "MASS=445386.00" in arc.comments and len(arc.comments) == 33
    # first state, line 54 of the XML: <X units="km">-4945.2048874258298</X> is on line 55
    assert arc.lines[0] == 54 and arc.state_m[0, 0] == -4945.2048874258298e3
    assert arc.covariance_m_s.shape == (0, 6, 6)


def test_oem_round_trip_through_the_writer(tmp_path):
    # Epochs are written to 1 µs and NASA's are on whole ms: they read back bit-identical;
    # states are written with 17 significant digits: bit-identical too (measured; the
    # writer's docstring allows one last-bit change from the m -> km -> m scaling).
    arc = iss_arc_2022()
    write_oem(tmp_path / "iss.oem", arc, creation_date="2026-01-01T00:00:00")
    (back,) = read_oem(tmp_path / "iss.oem")
    np.testing.assert_array_equal(back.epoch_utc_days, arc.epoch_utc_days)
    np.testing.assert_array_equal(back.state_m, arc.state_m)
    assert back.comments == arc.comments and back.bc_kg_m2 == arc.bc_kg_m2
    assert back.frame == arc.frame and back.object_id == arc.object_id
    # a file with covariance and two segments, in KVN
    segments = read_oem(DATA / "iss_short.oem")
    write_oem(tmp_path / "short.oem", segments, creation_date="2026-01-01T00:00:00")
    again = read_oem(tmp_path / "short.oem")
    for a, b in zip(segments, again, strict=True):
        np.testing.assert_array_equal(a.epoch_utc_days, b.epoch_utc_days)
        np.testing.assert_array_equal(a.state_m, b.state_m)
        np.testing.assert_allclose(a.covariance_m_s, b.covariance_m_s, rtol=1e-15, atol=0)
        assert a.covariance_frames == b.covariance_frames and a.mass_kg == b.mass_kg


def test_oem_kvn_segments_epochs_time_systems_and_covariance():
    first, second = read_oem(DATA / "iss_short.oem")
    arc = iss_arc_2022()
    # day-of-year and calendar epochs, with and without Z, give NASA's epochs exactly
    np.testing.assert_array_equal(first.epoch_utc_days, arc.epoch_utc_days[:3])
    np.testing.assert_array_equal(first.state_m, arc.state_m[:3])
    assert first.lines.tolist() == [20, 21, 22] and first.bc_kg_m2 == arc.bc_kg_m2
    # 12:12:37 TAI is 12:12:00 UTC in 2022 (TAI - UTC = 37 s)
    assert second.time_system == "TAI" and second.mass_kg is None
    assert second.epoch_utc_days[0] == pytest.approx(
        epoch_from_datetime("2022-02-11T12:12:00"), abs=1e-11)
    (cov,) = first.covariance_m_s
    assert first.covariance_frames == ("RTN",)
    assert cov[0, 0] == pytest.approx(1.0e-3 * 1e6) and cov[1, 0] == cov[0, 1]
    assert cov[5, 3] == pytest.approx(-1.0e-11 * 1e6) and cov[3, 5] == cov[5, 3]
    xml = read_oem(DATA / "iss_short.oem.xml")[0]
    np.testing.assert_array_equal(xml.covariance_m_s, first.covariance_m_s)
    assert xml.covariance_frames == ("EME2000",)  # COV_REF_FRAME absent: the segment's


# ------------------------------------------------------------------------------------------
# OPM
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["godzilla.opm", "godzilla.opm.xml"])
def test_opm_spacecraft_parameters_and_covariance(name):
    opm = read_opm(DATA / name)
    assert (opm.object_name, opm.frame, opm.covariance_frame) == ("GODZILLA 5", "ITRF-97",
                                                                  "ITRF-97")
    assert opm.epoch_utc_days == pytest.approx(
        epoch_from_datetime("1998-12-18T14:28:15.1172"), abs=1e-11)
    np.testing.assert_array_equal(opm.state_m, np.array(
        [6503.514, 1239.647, -717.490, -0.873160, 8.740420, -4.191076]) * 1e3)
    assert (opm.mass_kg, opm.drag_area_m2, opm.drag_coeff) == (3000.0, 18.77, 2.5)
    assert (opm.solar_rad_area_m2, opm.solar_rad_coeff) == (18.77, 1.0)
    assert opm.bc_kg_m2 == pytest.approx(3000.0 / (2.5 * 18.77))
    cov = opm.covariance_m_s
    assert cov[0, 0] == pytest.approx(3.331349476038534e-04 * 1e6)
    assert cov[2, 1] == cov[1, 2] == pytest.approx(-4.221234189514228e-04 * 1e6)
    assert cov[5, 5] == pytest.approx(6.224444338635500e-10 * 1e6)
    assert np.all(np.linalg.eigvalsh(cov) > -1e-12 * np.abs(cov).max())
    assert opm.comments == ("GEOCENTRIC, CARTESIAN, EARTH FIXED",)


# ------------------------------------------------------------------------------------------
# Errors name the file and line
# ------------------------------------------------------------------------------------------
def _write(tmp_path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_tle_bad_checksum_on_line_2(tmp_path):
    lines = (DATA / "mario.tle").read_text().splitlines()[1:]
    lines[1] = lines[1][:68] + str((checksum(lines[1]) + 1) % 10)
    path = _write(tmp_path, "bad.tle", "\n".join(lines) + "\n")
    with pytest.raises(TrackingDataError, match="checksum") as info:
        read_tracking(path)
    assert _line_of(info.value, str(path)) == 2


def test_tle_wrong_length_and_mismatched_catalogue_number(tmp_path):
    name, l1, l2 = (DATA / "mario.tle").read_text().splitlines()
    path = _write(tmp_path, "short.tle", f"{name}\n{l1[:60]}\n{l2}\n")
    with pytest.raises(TrackingDataError, match="60 columns, expected 69") as info:
        read_tracking(path, "tle")
    assert _line_of(info.value, str(path)) == 2
    l2x = l2[:2] + "55124" + l2[7:68]
    path = _write(tmp_path, "mismatch.tle", f"{l1}\n{l2x}{checksum(l2x)}\n")
    with pytest.raises(TrackingDataError, match="catalogue number") as info:
        read_tracking(path)
    assert _line_of(info.value, str(path)) == 2


def test_oem_malformed_epoch_names_its_line(tmp_path):
    lines = (DATA / "iss_short.oem").read_text().splitlines()
    lines[20] = lines[20].replace("2022-02-11T12:04:00.000", "2022-13-01T00:00:00")
    path = _write(tmp_path, "iss.oem", "\n".join(lines))
    with pytest.raises(TrackingDataError) as info:
        read_tracking(path)
    assert str(info.value) == (f"{path}:21: EPOCH '2022-13-01T00:00:00': invalid date "
                               "(month must be in 1..12)")


def test_truncated_xml_names_the_parser_line(tmp_path):
    text = (DATA / "iss_short.oem.xml").read_text()
    cut = text[:text.index("<Y_DOT", text.index("12:04:00"))]
    path = _write(tmp_path, "cut.xml", cut)
    with pytest.raises(TrackingDataError, match="XML syntax error") as info:
        read_tracking(path)
    assert _line_of(info.value, str(path)) == cut.count("\n") + 1


@pytest.mark.parametrize("content, line, words", [
    (b"", 1, "empty file"),
    (b"CCSDS_OEM_VERS = 2.0\n\xff\xfe\n", 2, "not UTF-8"),
    (b"hello\n", 1, "cannot tell the format"),
    (b"CCSDS_OEM_VERS = 9.0\n", 1, "expected one of"),
    (b"[{\"NORAD_CAT_ID\": 5,\n", 2, "JSON syntax error"),
])
def test_unreadable_content(tmp_path, content, line, words):
    path = tmp_path / "x.dat"
    path.write_bytes(content)
    with pytest.raises(TrackingDataError, match=words) as info:
        read_tracking(path)
    assert _line_of(info.value, str(path)) == line


def test_unsupported_time_system_and_long_values_truncated(tmp_path):
    text = (DATA / "iss_short.oem").read_text()
    path = _write(tmp_path, "ut1.oem", text.replace("TIME_SYSTEM = TAI", "TIME_SYSTEM = UT1"))
    with pytest.raises(TrackingDataError, match="TIME_SYSTEM 'UT1': expected one of") as info:
        read_tracking(path)
    assert _line_of(info.value, str(path)) == 40
    path = _write(tmp_path, "long.opm", (DATA / "godzilla.opm").read_text().replace(
        "X = 6503.514000", "X = 6503.514000" + "9" * 500 + "x"))
    with pytest.raises(TrackingDataError, match=r"\.\.\. \(512 characters\)") as info:
        read_tracking(path)
    assert len(str(info.value)) < 250 and _line_of(info.value, str(path)) == 11


def test_missing_omm_keyword(tmp_path):
    text = (DATA / "mario.omm.kvn").read_text()
    path = _write(tmp_path, "m.kvn", re.sub(r"BSTAR = .*\n", "", text))
    with pytest.raises(TrackingDataError, match="OMM keyword BSTAR missing"):
        read_tracking(path)


# ------------------------------------------------------------------------------------------
# Fuzzing: any mutation of a valid file reads, or fails with a file:line TrackingDataError
# ------------------------------------------------------------------------------------------
_FUZZ_FILES = ["mario.tle", "mario.omm.kvn", "mario.omm.xml", "mario.omm.csv",
               "mario.omm.json", "iss_short.oem", "iss_short.oem.xml", "godzilla.opm",
               "godzilla.opm.xml"]
_NUMBER = re.compile(rb"-?\d+\.\d+(?:[eE][+-]?\d+)?|\b\d+\b")
_REPLACEMENTS = [b"", b"NaN", b"nan", b"inf", b"-inf", b"1e999", b"9" * 400, b"1e-320",
                 b"-0", b"0", b"x", b"  ", b"1,5", b"\x00"]


@st.composite
def _mutated(draw, original: bytes) -> bytes:
    lines = original.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "flip", "truncate",
                                   "insert", "number"]))
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "flip" and lines[i]:
            k = draw(st.integers(0, len(lines[i]) - 1))
            lines[i] = lines[i][:k] + bytes([draw(st.integers(0, 255))]) + lines[i][k + 1:]
        elif op == "truncate":
            joined = b"".join(lines)
            lines = joined[:draw(st.integers(0, len(joined)))].splitlines(keepends=True)
        elif op == "insert":
            lines.insert(i, draw(st.binary(max_size=40) | st.text(max_size=40).map(
                lambda s: s.encode("utf-8", "surrogatepass"))))
        else:
            numbers = list(_NUMBER.finditer(lines[i]))
            if numbers:
                m = draw(st.sampled_from(numbers))
                new = draw(st.sampled_from(_REPLACEMENTS))
                lines[i] = lines[i][:m.start()] + new + lines[i][m.end():]
    return b"".join(lines)


@pytest.mark.parametrize("name", _FUZZ_FILES)
def test_fuzzed_files_fail_only_with_file_and_line(name):
    original = (DATA / name).read_bytes()
    label = f"fuzz/{name}"

    @settings(max_examples=150, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(_mutated(original))
    def check(content):
        try:
            parse_tracking(content, None, label)
        except TrackingDataError as exc:
            assert re.match(rf"{re.escape(label)}:\d+: ", str(exc)), str(exc)

    check()


def test_unmutated_fuzz_inputs_read():
    for name in _FUZZ_FILES:
        assert parse_tracking((DATA / name).read_bytes(), None, name) is not None
