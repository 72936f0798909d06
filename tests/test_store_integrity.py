"""The run directory trusts no file it did not just check: misplaced, foreign, symlinked,
undecodable and half-written blocks are recomputed; names read back from manifest.json obey
the scenario name rule; files get the usual mode; a killed run resumes to the same bytes.

Each block is compared with a clean run of the same scenario (summary.csv byte for byte). The
runs are small (7 blocks of 8 samples, F200 density table, constant solar activity) on an
in-process LocalCluster on loopback, except the kill tests, which run the CLI as a subprocess.
"""
import dataclasses
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

import deorbit
from deorbit import runner
from deorbit.cli import main
from deorbit.report import write_report
from deorbit.scenario import load_scenario
from deorbit.store import RunStoreError

from .scenario_fixtures import write_scenario

N_BLOCKS = 7
BLOCK = 8


@pytest.fixture(scope="module")
def scen_dir(tmp_path_factory):
    """Where the scenario file and its density table are."""
    return tmp_path_factory.mktemp("scenario")


@pytest.fixture(scope="module")
def scen(scen_dir, f200):
    return load_scenario(write_scenario(scen_dir, f200, samples=N_BLOCKS * BLOCK, block=BLOCK))


@pytest.fixture(scope="module")
def clean(tmp_path_factory, scen, client):
    """A finished run (seed 7) and one of the same scenario with seed 8."""
    base = tmp_path_factory.mktemp("clean")
    seed8 = dataclasses.replace(scen, monte_carlo=dataclasses.replace(scen.monte_carlo, seed=8))
    for name, s in (("seed7", scen), ("seed8", seed8)):
        runner.run([s], base / name, client=client, progress=False, log=_quiet)
    return base


def _quiet(*_args):
    pass


def _copy(clean, tmp_path, name="seed7"):
    shutil.copytree(clean / name, tmp_path / "run")
    return tmp_path / "run"


def _block(run, b):
    """The one file of block b of scenario 't'."""
    (path,) = (run / "samples" / "scenario=t").glob(f"block-{b:06d}.*.parquet")
    return path


def _place(run, b, data):
    """Put bytes in as block b, named by their own sha256 (so the name check passes)."""
    _block(run, b).unlink()
    digest = hashlib.sha256(data).hexdigest()[:16]
    path = run / "samples" / "scenario=t" / f"block-{b:06d}.{digest}.parquet"
    path.write_bytes(data)
    return path


def _resume(scen, run, client):
    """Resume; the messages it logged and the warnings it raised, as strings."""
    messages = []
    with warnings.catch_warnings(record=True) as warned:  # the old code warned
        warnings.simplefilter("always")
        runner.run([scen], run, client=client, resume=True, progress=False,
                   log=messages.append)
    return messages + [str(w.message) for w in warned]


def _recomputed_one(messages, b):
    """One line about block b's file, and exactly one block's samples computed again."""
    about = [m for m in messages if f"block-{b:06d}." in m]
    assert len(about) == 1 and "\n" not in about[0], messages
    assert any(m.startswith(f"{BLOCK} samples in") for m in messages), messages


def _same_summary(run, clean):
    assert (run / "summary.csv").read_bytes() == (clean / "seed7" / "summary.csv").read_bytes()
    a, b = (json.loads((r / "summary.json").read_text()) for r in (run, clean / "seed7"))
    assert a["scenarios"] == b["scenarios"]


# -- defect 1: a misplaced block -------------------------------------------------------------
def test_swapped_block_is_recomputed(tmp_path, scen, clean, client):
    """Block 6's file copied in as block 5 (under its own hash): not block 5."""
    run = _copy(clean, tmp_path)
    _place(run, 5, _block(run, 6).read_bytes())
    messages = _resume(scen, run, client)
    _recomputed_one(messages, 5)
    assert any("block_index" in m and "6" in m for m in messages), messages
    _same_summary(run, clean)


def test_block_of_another_seed_is_recomputed(tmp_path, scen, clean, client):
    """Block 0 of the seed-8 run put into the seed-7 run: same scenario, other draws."""
    run = _copy(clean, tmp_path)
    _place(run, 0, _block(clean / "seed8", 0).read_bytes())
    messages = _resume(scen, run, client)
    _recomputed_one(messages, 0)
    assert any("seed" in m for m in messages), messages
    _same_summary(run, clean)


def test_symlinked_block_is_refused_and_recomputed(tmp_path, scen, clean, client):
    """A symbolic link to a file outside the run directory, even one with the right content,
    is not read; the link is replaced by a regular file and its target is left alone."""
    run = _copy(clean, tmp_path)
    victim = _block(run, 2)
    outside = tmp_path / "elsewhere.parquet"
    shutil.move(victim, outside)
    victim.symlink_to(outside)
    target = outside.read_bytes()
    messages = _resume(scen, run, client)
    _recomputed_one(messages, 2)
    assert not _block(run, 2).is_symlink()
    assert outside.read_bytes() == target
    _same_summary(run, clean)


def test_blocks_folder_leading_out_of_the_run_is_refused(tmp_path, scen, clean, client):
    run = _copy(clean, tmp_path)
    shutil.move(run / "samples" / "scenario=t", tmp_path / "t-outside")
    (run / "samples" / "scenario=t").symlink_to(tmp_path / "t-outside")
    with pytest.raises(RunStoreError, match=r"samples/scenario=t leads out of the run directory"):
        runner.run([scen], run, client=client, resume=True, progress=False, log=_quiet)
    with pytest.raises(RunStoreError, match=r"samples/scenario=t leads out of the run directory"):
        deorbit.load_run(run)


# -- defect 2: a file with the right hash that is no block -----------------------------------
def _npz(**arrays):
    import io

    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def _parquet(table):
    import io

    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


@pytest.mark.parametrize("kind", ["not a Parquet file", "npz (format 2)", "no identity",
                                  "Parquet without its arrays", "fewer rows"])
def test_undecodable_block_is_recomputed(tmp_path, scen, clean, client, kind):
    import pyarrow as pa
    import pyarrow.parquet as pq

    run = _copy(clean, tmp_path)
    own = pq.read_table(_block(run, 3))   # this block's own columns and identity
    data = {"not a Parquet file": lambda: b"deorbit? no: plain text\n" * 3,
            "npz (format 2)": lambda: _npz(sample=np.arange(BLOCK)),
            "no identity": lambda: _parquet(own.replace_schema_metadata(None)),
            "Parquet without its arrays": lambda: _parquet(pa.table(
                {"sample": own["sample"]}, metadata=own.schema.metadata)),
            "fewer rows": lambda: _parquet(own.slice(0, BLOCK - 1))}[kind]()
    _place(run, 3, data)
    messages = _resume(scen, run, client)
    _recomputed_one(messages, 3)
    why = {"not a Parquet file": "not a readable block file", "npz (format 2)":
           "not a readable block file", "no identity": "no block identity",
           "Parquet without its arrays": "arrays missing", "fewer rows": "rows, not one per"}
    assert any(why[kind] in m for m in messages), messages
    _same_summary(run, clean)


# -- defect 3: temporaries of a killed write ---------------------------------------------------
def test_stale_temporaries_are_removed_on_resume(tmp_path, scen, clean, client):
    run = _copy(clean, tmp_path)
    blocks = run / "samples" / "scenario=t"
    stale = blocks / ".tmp-0123456789abcdef.parquet"
    stale.write_bytes(b"half a block")
    kept = [blocks / "notes.txt", blocks / ".tmp-mine.txt", run / ".tmp-0123456789abcdef.parquet"]
    for path in kept:
        path.write_text("not deorbit's")
    messages = _resume(scen, run, client)
    assert messages[0].startswith("nothing to do")
    assert not stale.exists()
    assert all(p.read_text() == "not deorbit's" for p in kept)
    _same_summary(run, clean)


# -- defect 4: names read back from manifest.json --------------------------------------------
@pytest.mark.parametrize("name", ["../../evil", "t\n", "/abs"])
def test_manifest_names_are_checked_on_reading(tmp_path, clean, name, capsys):
    run = _copy(clean, tmp_path / "a" / "b")
    # What a name leading out of the run directory would reach: a copy of the blocks.
    shutil.copytree(run / "samples" / "scenario=t", tmp_path / "a" / "b" / "evil")
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["scenarios"][0]["name"] = name
    (run / "manifest.json").write_text(json.dumps(manifest))
    summary = json.loads((run / "summary.json").read_text())
    summary["scenarios"] = {name: summary["scenarios"]["t"]}
    (run / "summary.json").write_text(json.dumps(summary))
    rule = r"scenarios\[0\]\.name = .*: allowed 1-64 letters, digits"
    with pytest.raises(RunStoreError, match=rule):
        deorbit.load_run(run)
    with pytest.raises(RunStoreError, match=rule):
        write_report(run, tmp_path / "report")
    assert main(["report", str(run), "--out", str(tmp_path / "report")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "allowed 1-64 letters" in err


# -- defect 6: file modes ----------------------------------------------------------------------
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002], ids=lambda u: f"umask-{u:03o}")
def test_files_get_the_usual_mode(tmp_path, scen, client, umask):
    """Every file of a run has the mode open() would give it under the umask."""
    old = os.umask(umask)
    try:
        runner.run([scen], tmp_path / "run", client=client, progress=False, log=_quiet)
        (tmp_path / "plain").write_text("")
    finally:
        os.umask(old)
    usual = (tmp_path / "plain").stat().st_mode & 0o777
    assert usual == 0o666 & ~umask
    files = [p for p in (tmp_path / "run").rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"manifest.json", "summary.json", "summary.csv"}
    assert {p.relative_to(tmp_path): p.stat().st_mode & 0o777 for p in files} == {
        p.relative_to(tmp_path): usual for p in files}


# -- defect 7: a missing run directory ---------------------------------------------------------
@pytest.mark.parametrize("command", ["report", "compare"])
def test_missing_run_directory_is_one_line_and_creates_nothing(tmp_path, command, capsys):
    missing = tmp_path / "runs" / "nope"
    assert main([command, str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(missing) in err and "no such run directory" in err
    assert not (tmp_path / "runs").exists()
    with pytest.raises(RunStoreError, match="no such run directory"):
        deorbit.load_run(missing)


# -- defect 8: a refused resume says what differs ----------------------------------------------
def test_refused_resume_names_each_difference(tmp_path, scen, scen_dir, clean, client):
    run = _copy(clean, tmp_path)
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["versions"]["deorbit_code_sha256"] = "c0de" * 16
    (run / "manifest.json").write_text(json.dumps(manifest))
    text = scen.text.replace("median = 60.0", "median = 61.0").replace("samples = 56",
                                                                       "samples = 64")
    (scen_dir / "other.toml").write_text(text)   # beside the same density table
    other = load_scenario(scen_dir / "other.toml")
    other = dataclasses.replace(other, monte_carlo=dataclasses.replace(other.monte_carlo,
                                                                       seed=9))
    with pytest.raises(RunStoreError) as info:
        runner.run([other], run, client=client, resume=True, progress=False, log=_quiet)
    lines = str(info.value).splitlines()
    assert lines[0].startswith(f"{run}: not resumed: this run differs from the one in it")
    assert all(len(line) <= 120 for line in lines[1:]), lines
    body = "\n".join(lines[1:])
    assert "deorbit code (sha256 of its Python sources): was c0dec0dec0de, now " in body
    assert "scenario 't' seed: was 7, now 9" in body
    assert "scenario 't' samples: was 56, now 64" in body
    assert "scenario 't' text" in body and "median = 60.0" in body and "median = 61.0" in body
    assert "block size" not in body and "atmosphere.path" not in body
    assert len(lines) == 5, lines


# -- a run killed at random moments ------------------------------------------------------------
def test_sigkill_at_random_moments_then_resume_gives_the_same_bytes(tmp_path, f200):
    """SIGKILL (the CLI and its worker) at seeded random moments, --resume each time: every
    run ends with the summary.csv of an uninterrupted run, byte for byte.

    10 blocks of 500 samples. The uninterrupted run tells how long the start-up takes (to
    its first block file: imports, manifest, cluster, block 0) and the rest; each attempt is
    killed at a moment drawn from U(start-up / 2, start-up + 30 % of the rest): about half
    of the kills land in the start-up, the others in block computations and writes. An
    attempt that finishes before its kill is checked, and the next one starts a new run.
    """
    path = write_scenario(tmp_path, f200, samples=5000, block=500, bc=90.0)
    cmd = [sys.executable, "-m", "deorbit.cli", "run", str(path), "--workers", "1",
           "--no-progress", "--no-report"]
    t0 = time.time()
    subprocess.run(cmd + ["--out", str(tmp_path / "whole")], check=True, capture_output=True)
    whole_s = time.time() - t0
    startup_s = _block(tmp_path / "whole", 0).stat().st_mtime - t0
    expected = (tmp_path / "whole" / "summary.csv").read_bytes()

    def finished(out, returncode, err):
        assert returncode == 0, err
        assert (out / "summary.csv").read_bytes() == expected
        assert not list((out / "samples" / "scenario=t").glob(".tmp-*"))

    rng = random.Random(20250611)
    runs, kills, out = 0, 0, None
    while kills < 5:
        assert runs < 4, "attempts kept finishing before their kill"
        if out is None:
            runs += 1
            out = tmp_path / f"cut-{runs}"
        resume = ["--resume"] if out.exists() else []
        proc = subprocess.Popen(cmd + ["--out", str(out), *resume], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            _, err = proc.communicate(timeout=rng.uniform(
                0.5 * startup_s, startup_s + 0.3 * (whole_s - startup_s)))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its nanny and worker
            proc.communicate()
            kills += 1
        else:
            finished(out, proc.returncode, err)
            out = None
    if out is not None:
        res = subprocess.run(cmd + ["--out", str(out), "--resume"], capture_output=True,
                             text=True)
        finished(out, res.returncode, res.stderr)


@pytest.mark.parametrize("made", [False, True])
def test_resume_of_nothing_starts_the_run(tmp_path, scen, clean, client, made):
    """A run killed before its manifest was written leaves no directory or an empty one:
    --resume starts the run there (saying so) rather than refusing."""
    run = tmp_path / "run"
    if made:
        run.mkdir()
    messages = []
    runner.run([scen], run, client=client, resume=True, progress=False, log=messages.append)
    assert messages[0] == f"nothing to resume in {run}: starting the run"
    _same_summary(run, clean)
