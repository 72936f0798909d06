"""The Dask runner on a real LocalCluster (loopback): reproducible, retry-safe, resumable."""
import json
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from distributed import Client, LocalCluster

import deorbit
from deorbit import engine, runner
from deorbit.scenario import load_scenario
from deorbit.store import RunStore, RunStoreError

from .scenario_fixtures import write_scenario


def _quiet(*_args):
    pass


def _samples(run_dir):
    df = deorbit.load_run(run_dir)
    return df.sort_values(["scenario", "sample"]).reset_index(drop=True)


def _summary(run_dir):
    s = json.loads((run_dir / "summary.json").read_text())
    s.pop("run_dir")
    return s


@pytest.fixture()
def scen(tmp_path, f200):
    return load_scenario(write_scenario(tmp_path, f200, samples=40, block=8))


def test_same_samples_with_1_and_2_workers(tmp_path, scen):
    for n in (1, 2):
        runner.run([scen], tmp_path / f"w{n}", workers=n, progress=False, log=_quiet)
    a, b = _samples(tmp_path / "w1"), _samples(tmp_path / "w2")
    assert len(a) == 40 and a["outcome"].eq(engine.Outcome.UNCONTROLLED_NATURAL).all()
    assert a.equals(b)
    assert _summary(tmp_path / "w1") == _summary(tmp_path / "w2")
    hist = [RunStore(tmp_path / f"w{n}").concat_blocks("t", range(5))["history_sma_alt_km"]
            for n in (1, 2)]
    np.testing.assert_array_equal(*hist)


@pytest.fixture()
def thread_client():
    """An in-process cluster, so that a test can wrap run_block (delays, failures)."""
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp://",
                      host="127.0.0.1", dashboard_address=None) as cluster, \
            Client(cluster) as client:
        yield client


def test_shuffled_completion_order_and_failed_tasks_change_nothing(tmp_path, scen,
                                                                   thread_client, monkeypatch):
    runner.run([scen], tmp_path / "plain", client=thread_client, progress=False, log=_quiet)
    real = engine.run_block
    marks = tmp_path / "marks"
    marks.mkdir()

    def flaky(scenario, block, samples):
        # Dask ships a copy of this function to the workers: state goes through files.
        time.sleep(random.Random(block).uniform(0.0, 0.3))  # completion order shuffled
        mark = marks / f"failed-{block}"
        if block in (1, 3) and not mark.exists():
            mark.touch()
            raise RuntimeError(f"injected failure in block {block}")
        (marks / f"done-{time.perf_counter_ns()}-{block}").touch()
        return real(scenario, block, samples)

    monkeypatch.setattr(engine, "run_block", flaky)
    runner.run([scen], tmp_path / "shuffled", client=thread_client, progress=False,
               log=_quiet)
    assert {p.name for p in marks.glob("failed-*")} == {"failed-1", "failed-3"}
    order = [int(p.name.split("-")[2]) for p in sorted(marks.glob("done-*"),
                                                       key=lambda p: int(p.name.split("-")[1]))]
    assert sorted(order) == list(range(5)) and order != sorted(order)
    assert _samples(tmp_path / "plain").equals(_samples(tmp_path / "shuffled"))
    assert _summary(tmp_path / "plain") == _summary(tmp_path / "shuffled")


def _malloc_environ():
    return os.environ.get("MALLOC_TRIM_THRESHOLD_"), os.environ.get("MALLOC_ARENA_MAX")


def test_cluster_listens_on_loopback_only(monkeypatch):
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    client, cluster = runner.make_client(1, None)
    try:
        addrs = [cluster.scheduler_address, *client.scheduler_info()["workers"]]
        assert all(a.startswith("tcp://127.0.0.1:") for a in addrs), addrs
        assert cluster.dashboard_link is None or "127.0.0.1" in str(cluster.dashboard_link)
        # Dask's default trim threshold would make every large temporary an mmap, and a
        # worker thread's own arena faults its memory back in every block (runner.py)
        assert set(client.run(_malloc_environ).values()) == {(None, "1")}
    finally:
        client.close()
        cluster.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_killed_run_resumes_to_identical_summary(tmp_path, f200, sig):
    path = write_scenario(tmp_path, f200, samples=64, block=4, bc=90.0)
    cmd = [sys.executable, "-m", "deorbit.cli", "run", str(path), "--workers", "1",
           "--no-progress"]
    subprocess.run(cmd + ["--out", str(tmp_path / "whole")], check=True, capture_output=True)
    env = dict(os.environ)
    proc = subprocess.Popen(cmd + ["--out", str(tmp_path / "cut")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True, env=env)
    blocks = tmp_path / "cut" / "samples" / "scenario=t"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(blocks.glob("*.parquet"))
                                         if blocks.exists() else []) < 3:
        time.sleep(0.05)
    os.killpg(proc.pid, sig)  # the whole group: the CLI and its worker processes
    proc.wait(timeout=60)
    done = len(list(blocks.glob("*.parquet")))
    assert 3 <= done < 16, done
    assert not (tmp_path / "cut" / "summary.json").exists()
    res = subprocess.run(cmd + ["--out", str(tmp_path / "cut"), "--resume"], check=True,
                         capture_output=True, text=True)
    assert "samples in" in res.stdout
    assert _summary(tmp_path / "whole") == _summary(tmp_path / "cut")
    assert _samples(tmp_path / "whole").equals(_samples(tmp_path / "cut"))


def test_corrupt_block_is_detected_and_recomputed(tmp_path, scen):
    runner.run([scen], tmp_path / "r", workers=1, progress=False, log=_quiet)
    before = _summary(tmp_path / "r")
    victim = sorted((tmp_path / "r" / "samples" / "scenario=t").glob("block-000002.*.parquet"))[0]
    victim.write_bytes(victim.read_bytes()[:100])  # truncated
    messages = []
    runner.run([scen], tmp_path / "r", workers=1, resume=True, progress=False,
               log=messages.append)
    assert any(m.startswith(f"{victim}: content does not match its hash (truncated or "
                            "corrupt); not used") for m in messages), messages
    assert any("8 samples in" in m for m in messages)  # exactly one block recomputed
    assert _summary(tmp_path / "r") == before


def test_resume_refuses_a_different_scenario(tmp_path, f200, scen):
    runner.run([scen], tmp_path / "r", workers=1, progress=False, log=_quiet)
    other = load_scenario(write_scenario(tmp_path, f200, bc=61.0))
    with pytest.raises(RunStoreError, match=r"differs from the one in it(.|\n)*\n  scenario "
                                            r"'t' text: line "):
        runner.run([other], tmp_path / "r", workers=1, resume=True, progress=False,
                   log=_quiet)
    with pytest.raises(RunStoreError, match="not empty; use --resume"):
        runner.run([scen], tmp_path / "r", workers=1, progress=False, log=_quiet)


def test_resume_refuses_a_changed_data_file(tmp_path, f200, scen):
    """The scenario's text is unchanged but the density table it reads is not: the
    manifest's sha256 of the file tells, and the run is not continued."""
    runner.run([scen], tmp_path / "r", workers=1, progress=False, log=_quiet)
    table = tmp_path / "f200.json"
    entry = json.loads((tmp_path / "r" / "manifest.json").read_text())["scenarios"][0]
    assert entry["data_files"]["atmosphere.path"]["path"] == str(table)
    data = json.loads(table.read_text())
    data["rho_kg_m3"] = [2.0 * r for r in data["rho_kg_m3"]]
    table.write_text(json.dumps(data))
    with pytest.raises(RunStoreError, match=r"\n  scenario 't' atmosphere.path .*f200.json: "
                                            r"sha256 was [0-9a-f]{12}, now [0-9a-f]{12}$"):
        runner.run([load_scenario(tmp_path / "t.toml")], tmp_path / "r", workers=1,
                   resume=True, progress=False, log=_quiet)


def test_resume_refuses_other_code(tmp_path, scen):
    """Same version string, other code (a model changed between two installs): the manifest's
    digest of the package's Python sources tells, and the run is not continued."""
    runner.run([scen], tmp_path / "r", workers=1, progress=False, log=_quiet)
    manifest = tmp_path / "r" / "manifest.json"
    data = json.loads(manifest.read_text())
    assert data["versions"]["deorbit_code_sha256"] == runner.code_digest()
    data["versions"]["deorbit_code_sha256"] = "0" * 64
    manifest.write_text(json.dumps(data))
    with pytest.raises(RunStoreError, match=r"\n  deorbit code \(sha256 of its Python "
                                            r"sources\): was 000000000000, now "):
        runner.run([scen], tmp_path / "r", workers=1, resume=True, progress=False,
                   log=_quiet)


def test_code_digest_follows_every_source_file(tmp_path):
    """One changed byte, or a file moved, gives another digest; the same tree the same."""
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    (tmp_path / "pkg" / "sub" / "b.py").write_text("y = 2\n")
    (tmp_path / "pkg" / "notes.txt").write_text("not code")
    first = runner.code_digest(tmp_path / "pkg")
    assert runner.code_digest(tmp_path / "pkg") == first
    (tmp_path / "pkg" / "notes.txt").write_text("still not code")
    assert runner.code_digest(tmp_path / "pkg") == first
    (tmp_path / "pkg" / "sub" / "b.py").write_text("y = 3\n")
    changed = runner.code_digest(tmp_path / "pkg")
    assert changed != first
    (tmp_path / "pkg" / "sub" / "b.py").rename(tmp_path / "pkg" / "b.py")
    assert runner.code_digest(tmp_path / "pkg") not in (first, changed)


def test_nothing_to_do_says_so(tmp_path, scen):
    runner.run([scen], tmp_path / "r", workers=1, progress=False, log=_quiet)
    messages = []
    runner.run([scen], tmp_path / "r", resume=True, progress=False, log=messages.append)
    assert messages and messages[0].startswith("nothing to do")


def test_convergence_stops_at_first_leading_block_count(tmp_path, f200):
    extra = 'convergence = { metric = "reentry_epoch_p50_days", half_width = 4.0 }'
    s = load_scenario(write_scenario(tmp_path, f200, samples=400, block=20, extra=extra))
    summaries = []
    for n in (1, 2):
        summaries.append(runner.run([s], tmp_path / f"c{n}", workers=n, progress=False,
                                    log=_quiet))
        summaries[-1].pop("run_dir")
    assert summaries[0] == summaries[1]
    m = json.loads((tmp_path / "c1" / "manifest.json").read_text())
    used = len(m["scenarios"][0]["blocks_used"])
    assert 1 <= used < 20
    assert summaries[0]["scenarios"]["t"]["stopped_by"].startswith("converged")
    # The rule: the first leading block count whose half-width meets the target.
    from deorbit.aggregate import convergence_half_width

    store = RunStore(tmp_path / "c1")
    widths = [convergence_half_width(store.concat_blocks("t", range(k)),
                                      "reentry_epoch_p50_days", 0.95) for k in (used - 1, used)]
    assert widths[1] <= 4.0 and (used == 1 or widths[0] > 4.0)


def test_nothing_downloads(tmp_path, scen, thread_client, monkeypatch):
    """A whole run (cluster on loopback, built-in data, report) opens no other connection."""
    import socket

    real_connect = socket.socket.connect
    refused = []

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else str(address)
        if not (host.startswith("127.") or host in ("localhost", "::1")):
            refused.append(address)
            raise OSError(f"test: connection to {address!r} refused (offline)")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    runner.run([scen], tmp_path / "r", client=thread_client, progress=False, log=_quiet)
    from deorbit.report import write_report

    write_report(tmp_path / "r")
    assert refused == []


def test_run_gives_up_without_a_live_worker(tmp_path, scen, monkeypatch):
    """The workers go away mid-run and none comes back: the run ends within its
    no-worker timeout with one line, and the blocks finished so far stay for --resume."""
    import threading

    real = engine.run_block

    def slow(scenario, block, samples):
        time.sleep(0.3)
        return real(scenario, block, samples)

    monkeypatch.setattr(engine, "run_block", slow)
    blocks = tmp_path / "r" / "samples" / "scenario=t"
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp://",
                      host="127.0.0.1", dashboard_address=None) as cluster, \
            Client(cluster) as client:
        def retire_after_first_block():
            while not (blocks.exists() and any(blocks.glob("*.parquet"))):
                time.sleep(0.02)
            cluster.scale(0)

        threading.Thread(target=retire_after_first_block, daemon=True).start()
        t0 = time.perf_counter()
        with pytest.raises(runner.RunError, match=r"^no Dask worker alive for 2 s \(.*\); "
                                                  r"\d+ samples of this run are kept in "):
            runner.run([scen], tmp_path / "r", client=client, progress=False, log=_quiet,
                       no_worker_timeout_s=2.0)
        assert time.perf_counter() - t0 < 30
    assert 1 <= len(list(blocks.glob("*.parquet"))) < 5


def test_scheduler_http_port_is_not_8787(monkeypatch):
    """Dask always opens a scheduler HTTP port; ours is a free one on loopback, so a busy
    8787 gives no "already in use" warning."""
    import logging
    import socket

    busy = socket.socket()
    busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        busy.bind(("127.0.0.1", 8787))
        busy.listen()
    except OSError:
        pass  # held by another process: busy all the same
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("distributed").addHandler(handler)
    try:
        client, cluster = runner.make_client(1, None)
        try:
            ports = [s.getsockname() for s in cluster.scheduler.http_server._sockets.values()]
        finally:
            client.close()
            cluster.close()
    finally:
        logging.getLogger("distributed").removeHandler(handler)
        busy.close()
    assert ports and all(host == "127.0.0.1" and port != 8787 for host, port in ports), ports
    assert not [r for r in records if "8787" in r.getMessage()]


def test_propagation_method_is_honoured(tmp_path, f200):
    """propagation.method = "cowell" propagates the natural decay by Cowell: close to the
    hybrid's reentry epochs (VALIDATION.md: 0.01-0.08 % of the lifetime), not equal."""
    hybrid = load_scenario(write_scenario(tmp_path, f200, samples=4, block=4))
    cowell = load_scenario(write_scenario(tmp_path, f200, name="c", samples=4, block=4,
                                          extra='[propagation]\nmethod = "cowell"'))
    a, b = (engine.run_block(s, 0, 4) for s in (hybrid, cowell))
    assert not np.array_equal(a["reentry_epoch_utc_days"], b["reentry_epoch_utc_days"])
    np.testing.assert_allclose(b["lifetime_days"], a["lifetime_days"], rtol=2e-3)


def test_operations_use_the_scenarios_entry_altitude(tmp_path, f200, monkeypatch):
    """Every station propagation of the deorbit sequence records the entry interface at the
    scenario's propagation.entry_alt_km (fragments fall to the ground: 0 km)."""
    from deorbit import operations

    from .scenario_fixtures import DEORBIT

    extra = DEORBIT.format(p_fail=0.0, dv_err=0.0, point_err=0.0, time_err=0.0)
    s = load_scenario(write_scenario(tmp_path, f200, samples=2, block=2,
                                     extra=extra + "[propagation]\nentry_alt_km = 110.0\n"))
    seen = set()
    real = operations.propagate

    def spy(*args, **kw):
        seen.add(kw.get("entry_alt_km"))
        return real(*args, **kw)

    monkeypatch.setattr(operations, "propagate", spy)
    engine.run_block(s, 0, 2)
    assert 110.0 in seen and seen <= {110.0, 0.0}, seen


def test_one_default_for_the_hand_over_and_entry_altitudes(tmp_path, f200):
    """The kernel's defaults are a scenario's; the built-in scenarios set 160 km."""
    import inspect

    from deorbit import kernel
    from deorbit.scenario import Propagation, builtin_names

    defaults = inspect.signature(kernel.propagate).parameters
    assert defaults["handover_alt_km"].default == kernel.HANDOVER_ALT_KM == 180.0
    assert defaults["entry_alt_km"].default == kernel.ENTRY_ALT_KM == 120.0
    assert (Propagation().handover_alt_km, Propagation().entry_alt_km) == (180.0, 120.0)
    prop = load_scenario(write_scenario(tmp_path, f200)).propagation  # no [propagation]
    assert (prop.handover_alt_km, prop.entry_alt_km) == (180.0, 120.0)
    assert {load_scenario(n).propagation.handover_alt_km for n in builtin_names()} == {160.0}


def test_load_run_without_xarray_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "xarray", None)
    with pytest.raises(ModuleNotFoundError, match=r'pip install "deorbit\[xarray\]"'):
        deorbit.load_run(tmp_path, as_xarray=True)


def test_readme_ec_expression_matches_the_risk_table(tmp_path, f200):
    """README: per-scenario Ec from load_run equals summary's ec_mean once samples with no
    impact (ec NaN: still in orbit at a short horizon) count 0."""
    from pathlib import Path

    scen = load_scenario(write_scenario(tmp_path, f200, horizon=0.05, bc=150.0, samples=16,
                                        block=8))

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    expression = 'df.fillna({"ec": 0.0}).groupby("scenario")["ec"].mean()'
    assert expression in readme
    summary = runner.run([scen], tmp_path / "r", workers=1, progress=False, log=_quiet)
    df = deorbit.load_run(tmp_path / "r")
    assert df["ec"].isna().any()  # else the test shows nothing
    value = eval(expression, {"df": df})["t"]  # noqa: S307
    assert value == pytest.approx(summary["scenarios"]["t"]["metrics"]["ec_mean"]["value"],
                                  rel=1e-12)
