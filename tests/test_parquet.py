"""Per-sample results as a Parquet dataset partitioned by scenario, and a summary built a few
columns at a time.

- ``RUN/samples`` is read as it is by pandas, pyarrow and dask.dataframe: the same rows and
  values as ``deorbit.load_run``, a ``scenario`` column from the partitions, the arrays of
  several values per sample as fixed-size lists; a converged scenario's dataset holds
  exactly the samples its summary used.
- The summary from the column files (:class:`deorbit.aggregate.ColumnSpill`, appended block
  by block) is the summary of the whole table, bit for bit, however the blocks are cut; it
  never reads more than one group of columns at a time.

Runs are small (ISS-F200 density table) on the in-process LocalCluster of conftest.
"""
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import deorbit
from deorbit import aggregate, runner
from deorbit.metrics import REGISTRY
from deorbit.scenario import load_scenario
from deorbit.store import RunStore

from .scenario_fixtures import write_scenario

CONVERGE = 'convergence = { metric = "reentry_epoch_p50_days", half_width = 4.0 }'


def _quiet(*_args):
    pass


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, f200, client):
    """A finished run of two scenarios: 'a' (5 blocks of 8) and 'b', which converges
    before its cap of 25 blocks of 16."""
    where = tmp_path_factory.mktemp("parquet")
    a = load_scenario(write_scenario(where, f200, name="a", samples=40, block=8))
    b = load_scenario(write_scenario(where, f200, name="b", samples=400, block=16,
                                     extra=CONVERGE))
    runner.run([a, b], where / "run", client=client, progress=False, log=_quiet)
    return where / "run"


def _by_sample(df):
    return df.sort_values(["scenario", "sample"]).reset_index(drop=True)


def test_pandas_pyarrow_and_dask_read_the_samples_as_load_run_does(run_dir):
    import dask.dataframe as dd
    import pyarrow.dataset as ds

    expected = _by_sample(deorbit.load_run(run_dir))
    assert set(expected.scenario) == {"a", "b"}
    readers = {
        "pandas": lambda: pd.read_parquet(run_dir / "samples"),
        "pyarrow": lambda: ds.dataset(run_dir / "samples", partitioning="hive")
        .to_table().to_pandas(),
        "dask": lambda: dd.read_parquet(run_dir / "samples").compute(),
    }
    for name, read in readers.items():
        df = read()
        df["scenario"] = df["scenario"].astype(str)
        df = _by_sample(df)[list(expected.columns)]
        pd.testing.assert_frame_equal(df, expected, check_dtype=True, obj=name)


def test_several_values_per_sample_are_fixed_size_lists(run_dir):
    import pyarrow.dataset as ds

    table = ds.dataset(run_dir / "samples" / "scenario=a").to_table()
    store = RunStore(run_dir)
    arrays = store.concat_blocks("a", range(5))
    history = arrays["history_sma_alt_km"]
    column = table.column("history_sma_alt_km").combine_chunks()
    assert column.type.list_size == history.shape[1]
    order = np.argsort(table.column("sample").to_numpy())
    np.testing.assert_array_equal(
        column.flatten().to_numpy().reshape(history.shape)[order], history)


def test_a_converged_scenario_keeps_only_the_samples_it_used(run_dir):
    manifest = json.loads((run_dir / "manifest.json").read_text())
    summary = json.loads((run_dir / "summary.json").read_text())
    df = pd.read_parquet(run_dir / "samples")
    for entry in manifest["scenarios"]:
        name = entry["name"]
        used = summary["scenarios"][name]["metrics"]["samples"]["value"]
        assert (df.scenario == name).sum() == used
        files = sorted(p.name[:12] for p in (run_dir / "samples" / f"scenario={name}").iterdir())
        assert files == [f"block-{b:06d}" for b in entry["blocks_used"]]
    assert summary["scenarios"]["b"]["stopped_by"].startswith("converged")
    assert len(manifest["scenarios"][1]["blocks_used"]) < 25


def _table(seed, n):
    """A per-sample summary table of n samples with every kind of value the metrics meet:
    outcomes of each code, NaN (no value) and +inf-free finite values, ties."""
    rng = np.random.default_rng(seed)
    table = {"outcome": rng.integers(0, 4, n).astype(np.int8)}
    for key in aggregate.SUMMARY_COLUMNS:
        if key == "outcome":
            continue
        x = np.round(rng.lognormal(2.0, 1.0, n), 1)
        x[rng.random(n) < 0.2] = np.nan
        table[key] = x
    table["fragments_outside_zone"] = np.where(np.isnan(table["fragments_total"]), np.nan,
                                               np.floor(table["fragments_outside_zone"] / 5))
    table["ec"] = table["ec"] * 1e-4
    return table


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 300), cuts=st.lists(
    st.integers(1, 299), max_size=8), confidence=st.sampled_from([0.9, 0.95]))
def test_summary_from_column_files_is_the_whole_tables_bit_for_bit(tmp_path_factory, seed, n,
                                                                   cuts, confidence):
    table = _table(seed, n)
    spill = aggregate.ColumnSpill(tmp_path_factory.mktemp("spill"))
    bounds = [0, *sorted({c for c in cuts if c < n}), n]
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        spill.append({k: v[lo:hi] for k, v in table.items()})
    assert spill.samples == n
    reads = []

    def read(keys):
        reads.append(keys)
        return spill.read(keys)

    whole = aggregate.summarize(table, confidence)
    assert json.dumps(aggregate.summarize_columns(read, spill.keys(), confidence)) == \
        json.dumps(whole)
    assert list(whole) == [m.key for m in REGISTRY if m.key in whole]
    # One group of columns at a time, each group once: never the whole table.
    assert max(len(keys) for keys in reads) < len(aggregate.SUMMARY_COLUMNS)
    assert len(reads) == len(set(reads))
