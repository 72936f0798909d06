"""Fuzzing the loaders: mutated scenario files and data files give the project's own errors.

Each test mutates valid inputs (the built-in scenarios, a small excerpt of the packaged
space-weather file, the ISS fragment model, the packaged target zone, a small population
grid) and reads them through the public loaders. Whatever the mutation, a file either loads
or raises the loader's own error class whose message names the key path (scenarios) or the
file and line (text files; the file and the array for a grid), in at most
:data:`MAX_MESSAGE` characters. Hypothesis is derandomized (same examples on every run) and
each test counts the files it generated, so CI checks the stated numbers.
"""
import copy
import csv
import datetime
import gzip
import io
import json
import re
import tomllib
import zipfile
from importlib import resources

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deorbit.fragments import COLUMNS, ISS_DEFAULT, FragmentFileError, load_fragment_model
from deorbit.ground import GroundDataError, PopulationGrid, load_grid, load_zone
from deorbit.ground.zone import default_zone_path
from deorbit.scenario import ScenarioError, builtin_names, load_scenario
from deorbit.spaceweather import SpaceWeatherError, load_space_weather

from .scenario_fixtures import toml_text

#: Longest error message accepted, characters.
MAX_MESSAGE = 1000
#: Generated files per test (scenarios; each kind of data file).
N_SCENARIOS, N_DATA = 1000, 250


def _settings(n):
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


# ------------------------------------------------------------------------- mutations
#: Values of every TOML type, and the troublesome ones of each.
VALUES = [0, 1, -1, -7, 2**63, 10**29, -(10**400), 0.0, -1.5, 1e308, float("inf"),
          float("-inf"), float("nan"), True, "", "x", "iss-default", "constant", "forecast",
          "2030-01-01", "2030-13-45", "x" * 5000, [], [1], ["uniform"], [1, "a"], {},
          {"a": 1}, {"dist": "uniform"}, {"dist": {"x": 1}}, {"dist": ["uniform"]},
          {"dist": "uniform", "low": 10**400, "high": 1},
          {"dist": "choice", "values": [1, 2], "weights": [10**400, 1]},
          {"dist": "normal", "mean": 1.0, "sd": 1e308},
          datetime.date(2030, 1, 1), datetime.datetime(2030, 1, 1, 12, 0),
          datetime.time(12, 0)]
#: Names a key may be renamed to (typos are made from the key itself).
NAMES = ["dist", "model", "mass_kg", "samples", "block_days", "space_weather_file", "path",
         "fragments", "target_zone", "bogus", "ünïcode", "a.b", ""]
#: Bytes inserted into a file.
INSERTS = [b"\xef\xbb\xbf", b"\xff", b"\xc3", b"\x00", b"\r", b"\n", b'"', b"[", b"#",
           b"=", b",", b" ", b"-", b".", b"9", b"\x1f\x8b"]


def _paths(data, prefix=()):
    """Every key path of a nested dict."""
    for k, v in data.items():
        yield (*prefix, k)
        if isinstance(v, dict):
            yield from _paths(v, (*prefix, k))


def _typo(draw, name):
    i = draw(st.integers(0, len(name)))
    return draw(st.sampled_from([name[:i] + name[i + 1:], name[:i] + "x" + name[i:],
                                 name + name[-1:], name.upper()]))


def _mutate_data(draw, data):
    """Delete, rename or replace a key, or add one, anywhere in the document."""
    paths = list(_paths(data))
    path = draw(st.sampled_from(paths))
    parent = data
    for k in path[:-1]:
        parent = parent[k]
    last = path[-1]
    action = draw(st.sampled_from(["delete", "rename", "replace", "replace", "add"]))
    if action == "delete":
        del parent[last]
    elif action == "rename":
        new = _typo(draw, last) if draw(st.booleans()) else draw(st.sampled_from(NAMES))
        parent[new] = parent.pop(last)
    elif action == "replace":
        parent[last] = copy.deepcopy(draw(st.sampled_from(VALUES)))
    else:  # a copy: a later mutation of the document must not change VALUES itself
        parent[draw(st.sampled_from(NAMES))] = copy.deepcopy(draw(st.sampled_from(VALUES)))


def _mutate_bytes(draw, raw):
    """Truncate, insert bytes, or delete, duplicate or swap lines."""
    action = draw(st.sampled_from(["truncate", "insert", "insert", "lines"]))
    if action == "truncate":
        return raw[:draw(st.integers(0, len(raw)))]
    if action == "insert":
        at = draw(st.integers(0, len(raw)))
        return raw[:at] + draw(st.sampled_from(INSERTS)) + raw[at:]
    lines = raw.splitlines(keepends=True) or [b""]
    i, j = (draw(st.integers(0, len(lines) - 1)) for _ in range(2))
    op = draw(st.sampled_from(["delete", "duplicate", "swap"]))
    if op == "delete":
        del lines[i]
    elif op == "duplicate":
        lines.insert(i, lines[i])
    else:
        lines[i], lines[j] = lines[j], lines[i]
    return b"".join(lines)


def _check_error(exc, where, kinds):
    """The error is one of ``kinds``, short, and names ``where`` (a regex)."""
    message = str(exc)
    assert isinstance(exc, kinds), f"{type(exc).__name__}: {message[:300]}"
    assert len(message) <= MAX_MESSAGE, message[:300]
    assert re.match(where, message), message[:300]


# ------------------------------------------------------------------------- scenarios
@pytest.fixture(scope="module")
def builtins():
    return {n: (resources.files("deorbit") / "scenarios" / f"{n}.toml").read_text()
            for n in builtin_names()}


def test_fuzzed_scenarios_give_scenario_errors_naming_a_key_path(builtins, tmp_path):
    count = {"files": 0, "errors": 0}
    path = tmp_path / "fuzz.toml"

    @_settings(N_SCENARIOS)
    @given(st.data())
    def run(data):
        name = data.draw(st.sampled_from(sorted(builtins)))
        doc = tomllib.loads(builtins[name])
        tables = set(doc)
        for _ in range(data.draw(st.integers(1, 3))):
            if doc:
                _mutate_data(data.draw, doc)
        raw = toml_text(doc).encode()
        if data.draw(st.booleans()):
            raw = _mutate_bytes(data.draw, raw)
        path.write_bytes(raw)
        count["files"] += 1
        try:
            load_scenario(path)
        except Exception as exc:  # noqa: BLE001 - the point: which class escapes
            count["errors"] += 1
            _check_error(exc, r"fuzz\.toml: ", ScenarioError)
            if exc.path:  # a key of the file, or a required one of the built-in
                top = tomllib.loads(raw.decode().removeprefix("\ufeff"))
                known = tables | set(top)   # a key of the file may itself hold a dot
                assert exc.path in known or exc.path.split(".")[0] in known, str(exc)[:300]

    run()
    assert count["files"] >= N_SCENARIOS and count["errors"] > N_SCENARIOS // 2


# ------------------------------------------------------------------------- data files
def _sw_excerpt():
    """A valid SW-All file: the packaged header, the last 5 observed days, all 45 daily
    predictions and 2 monthly ones."""
    lines = gzip.decompress(
        (resources.files("deorbit") / "data" / "SW-All.txt.gz").read_bytes()
    ).decode("ascii").splitlines(keepends=True)
    head = lines[:15]
    observed = lines[25229:25234]
    daily = lines[25238:25283]
    monthly = lines[25287:25289]
    assert observed[-1].startswith("2026 10 15") and monthly[0].startswith("2026 12 01")
    out = [*head, "NUM_OBSERVED_POINTS 5\r\n", "BEGIN OBSERVED\r\n", *observed,
           "END OBSERVED\r\n", "\r\n", "NUM_DAILY_PREDICTED_POINTS 45\r\n",
           "BEGIN DAILY_PREDICTED\r\n", *daily, "END DAILY_PREDICTED\r\n", "\r\n",
           "NUM_MONTHLY_PREDICTED_POINTS 2\r\n", "BEGIN MONTHLY_PREDICTED\r\n", *monthly,
           "END MONTHLY_PREDICTED\r\n"]
    return "".join(out).encode("ascii")


def _fragments_csv():
    """The default ISS fragment model as a fragment file."""
    out = io.StringIO()
    out.write("# fragment classes\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows([getattr(c, k) for k in COLUMNS] for c in ISS_DEFAULT.classes)
    return out.getvalue().encode()


#: Cell values written into a CSV.
CELLS = ["", "nan", "inf", "-1", "0", "1e400", "1", "x", '"', '"a,b"', "\x00", "1e-400",
         "x" * 140_000, "lat_deg", "91", "-180.5"]


def _mutate_csv(draw, raw):
    """Replace a cell of a comma-separated line, or mutate the bytes."""
    lines = raw.split(b"\n")
    i = draw(st.integers(0, len(lines) - 1))
    cells = lines[i].split(b",")
    if draw(st.booleans()):
        cells[draw(st.integers(0, len(cells) - 1))] = draw(st.sampled_from(CELLS)).encode()
        lines[i] = b",".join(cells)
        return b"\n".join(lines)
    return _mutate_bytes(draw, raw)


def _data_fuzz(tmp_path, base, suffix, mutate, load, kinds, where):
    """Run ``load`` on N_DATA mutations of ``base``; return how many files it read."""
    count = [0]
    path = tmp_path / f"fuzz{suffix}"
    assert load(_write(path, base)) is not None  # the unmutated file loads

    @_settings(N_DATA)
    @given(st.data())
    def run(data):
        raw = base
        for _ in range(data.draw(st.integers(1, 3))):
            raw = mutate(data.draw, raw)
        _write(path, raw)
        count[0] += 1
        try:
            load(path)
        except Exception as exc:  # noqa: BLE001 - the point: which class escapes
            _check_error(exc, where(path), kinds)

    run()
    return count[0]


def _write(path, raw):
    path.write_bytes(raw)
    return path


def _text_file(path):
    """A text file's error: ``path:line:``, ``path line N:``, or a whole-file problem."""
    return (rf"{re.escape(str(path))}(:\d+: |:\d+ / | line \d+: |: (not a valid gzip file|a zone "
            r"needs at least 3|the vertices have no well-defined centre))")


def test_fuzzed_space_weather_files(tmp_path):
    def mutate(draw, raw):
        raw = _mutate_bytes(draw, raw)
        return gzip.compress(raw, mtime=0) if draw(st.integers(0, 9)) == 0 else raw

    n = _data_fuzz(tmp_path, _sw_excerpt(), ".txt", mutate, load_space_weather,
                   SpaceWeatherError, _text_file)
    assert n >= N_DATA


def test_fuzzed_fragment_files(tmp_path):
    n = _data_fuzz(tmp_path, _fragments_csv(), ".csv", _mutate_csv, load_fragment_model,
                   FragmentFileError, _text_file)
    assert n >= N_DATA


def test_fuzzed_zone_files(tmp_path):
    n = _data_fuzz(tmp_path, default_zone_path().read_bytes(), ".csv", _mutate_csv,
                   load_zone, GroundDataError, _text_file)
    assert n >= N_DATA


# ------------------------------------------------------------------------- grids
def _npy(array=None, header=None, body=b""):
    """An .npy member: an array, or a raw header dict followed by ``body``."""
    buf = io.BytesIO()
    if header is None:
        np.lib.format.write_array(buf, np.asanyarray(array), allow_pickle=False)
    else:
        np.lib.format.write_array_header_1_0(buf, header)
        buf.write(body)
    return buf.getvalue()


GRID_MEMBERS = [
    _npy(np.zeros((18, 36))), _npy(np.full((18, 36), np.nan)), _npy(np.full((18, 36), -1.0)),
    _npy(np.full((18, 36), 2.0)), _npy(np.zeros(8)), _npy(np.zeros((0, 4))),
    _npy(np.zeros((19, 37))), _npy(np.array([["a", "b"]])), _npy(np.array("{}")),
    _npy(np.array("{not json")), _npy(np.array('"a string"')), _npy(np.zeros((2, 3), "c16")),
    _npy(np.zeros((18, 36), np.int8)), _npy(np.zeros((18, 36), bool)),
    _npy(header={"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)}),
    _npy(header={"descr": "<U1000000", "fortran_order": False, "shape": (10**4,)}),
    _npy(header={"descr": "|O", "fortran_order": False, "shape": (2,)}),
    _npy(header={"descr": "<f8", "fortran_order": True, "shape": (18, 36)}, body=bytes(9)),
    b"\x93NUMPY\x03\x00", b"not an npy", b"",
    b"\x93NUMPY\x01\x00\x10\x00{'descr': '<f8',\n",   # a header cut short
]
GRID_NAMES = ["population_density_per_km2", "land_fraction", "distance_to_land_km",
              "metadata_json", "population_density", "extra"]


def _grid_npz():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        g = PopulationGrid.uniform(1.0, cell_deg=10.0)
        zf.writestr("population_density_per_km2.npy", _npy(g.density_grid))
        zf.writestr("land_fraction.npy", _npy(g.land_fraction_grid))
        zf.writestr("metadata_json.npy", _npy(np.array(json.dumps(g.metadata))))
    return buf.getvalue()


def _mutate_npz(draw, raw):
    """Replace, add, rename or drop a member, or mutate the archive's bytes."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            members = {i.filename: zf.read(i) for i in zf.infolist()}
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        members = None
    action = draw(st.sampled_from(["member", "member", "rename", "drop", "bytes"]))
    if members is None or action == "bytes":
        at = draw(st.integers(0, max(len(raw) - 1, 0)))
        cut = draw(st.booleans())
        return raw[:at] if cut else raw[:at] + bytes([draw(st.integers(0, 255))]) + raw[at + 1:]
    names = sorted(members) or ["x.npy"]
    name = draw(st.sampled_from(names))
    if action == "member":
        members[draw(st.sampled_from(GRID_NAMES)) + ".npy"] = draw(
            st.sampled_from(GRID_MEMBERS))
    elif action == "rename" and name in members:
        members[draw(st.sampled_from(GRID_NAMES)) + draw(st.sampled_from([".npy", ""]))] = (
            members.pop(name))
    else:
        members.pop(name, None)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=draw(st.sampled_from(
            [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))) as zf:
        for k, v in members.items():
            zf.writestr(k, v)
    return buf.getvalue()


def test_fuzzed_population_grid_files(tmp_path):
    def where(path):
        return rf"{re.escape(str(path))}: ('[a-z0-9_]+'|array '|unknown array|missing array|" \
               r"not a readable \.npz|a single \.npy)"

    n = _data_fuzz(tmp_path, _grid_npz(), ".npz", _mutate_npz, lambda p: load_grid(str(p)),
                   GroundDataError, where)
    assert n >= N_DATA
