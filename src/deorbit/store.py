"""The run directory: manifest, one Parquet file per finished block, summaries; loading it.

Layout::

    RUN_DIR/
      manifest.json                  scenarios (text, sha256), seed, block size, versions,
                                     backend, data provenance; blocks used once finished
      samples/scenario=SCENARIO/block-000012.<sha256 prefix>.parquet
                                     per-sample columns of one block, and its identity
                                     (:meth:`RunStore.block_identity`, in the file's
                                     key-value metadata); the name carries the hash of the
                                     content, so a truncated or corrupt file is detected
                                     (and recomputed), never used
      summary.json, summary.csv      per-scenario figures with Monte Carlo standard errors

``samples/`` is a Parquet dataset partitioned by scenario (Hive style), readable as it is:
``pandas.read_parquet("RUN_DIR/samples")``, ``pyarrow.dataset.dataset("RUN_DIR/samples",
partitioning="hive")``, ``dask.dataframe.read_parquet("RUN_DIR/samples")`` give one row per
sample with a ``scenario`` column. One column per per-sample array of
:func:`deorbit.engine.run_block` (units in the names); the arrays of several values per
sample (altitude history, per-fragment-class impacts) are fixed-size lists. Once a run has
finished, the dataset holds exactly the samples its summary used (blocks that finished after
a scenario converged are removed); while it runs, or if it was killed, it holds the blocks
done so far.

Blocks are written to a temporary name (``.tmp-<16 hex digits>.parquet``: readers of the
dataset skip names that start with a dot) and renamed into place (atomic on POSIX), so a run
killed at any moment leaves only whole blocks, and ``--resume`` continues where it stopped
(and removes the temporaries of the writes that the kill cut).

A block file is used only if it is a regular file inside the run directory whose content
matches its hash and whose identity is the one the manifest gives that block: a file copied
in from another block, seed, scenario or run, a symbolic link, or a file that is not a
block at all is reported in one line and computed again by a resumed run.
"""
from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import re
import secrets
import stat
import warnings
from pathlib import Path

import numpy as np

from .scenario import NAME_RULE, valid_name

#: Run-directory format. 2: each block file carries its identity; 3: the blocks are Parquet
#: files under samples/scenario=NAME/ (earlier formats are not read).
FORMAT_VERSION = 3
#: The key of a block file's Parquet metadata that holds its identity (a JSON string).
IDENTITY_KEY = b"deorbit.block_identity"
#: The folder of the per-sample Parquet dataset in a run directory.
SAMPLES_DIR = "samples"
_BLOCK = re.compile(r"block-(\d{6})\.([0-9a-f]{16})\.parquet")
_TMP_PREFIX = ".tmp-"
_TMP_BLOCK = re.compile(re.escape(_TMP_PREFIX) + r"[0-9a-f]{16}\.parquet")


class RunStoreError(RuntimeError):
    """A run directory cannot be used (e.g. resumed with a different scenario or version)."""


class BlockError(ValueError):
    """A block file is not the block it should be; the message says why, in one line."""


def encode_block(arrays: dict, identity: dict) -> bytes:
    """A block's arrays as the bytes of its file: Parquet (zstd), one column per array.

    Parameters
    ----------
    arrays : dict of ndarray
        Per-sample arrays, each with one row per sample of the block; an (n, K) array
        becomes a column of fixed-size lists of K values.
    identity : dict
        :meth:`RunStore.block_identity` of the block; stored (with the names of the arrays)
        as a JSON string in the file's metadata under ``deorbit.block_identity``, and
        checked by :func:`decode_block`.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = identity["samples"]
    wrong = {k: np.shape(v) for k, v in arrays.items()
             if np.shape(v)[:1] != (n,) or np.ndim(v) > 2}
    if wrong:
        raise ValueError(f"block {identity['block_index']} has {n} samples; arrays with "
                         f"other shapes: {wrong}")
    columns = {}
    for key, value in arrays.items():
        value = np.ascontiguousarray(value)
        if value.ndim == 2:
            columns[key] = pa.FixedSizeListArray.from_arrays(pa.array(value.ravel()),
                                                             value.shape[1])
        else:
            columns[key] = pa.array(value)
    tag = json.dumps(identity | {"arrays": sorted(arrays)}, sort_keys=True)
    table = pa.table(columns, metadata={IDENTITY_KEY: tag.encode()})
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    return buf.getvalue()


def decode_block(data: bytes, identity: dict, keys=None, multi=True) -> dict:
    """The arrays of a block file's bytes (only those of ``keys`` that it has, if given;
    without the arrays of several values per sample unless ``multi``).

    Raises
    ------
    BlockError
        If the bytes are not a Parquet file (nothing is ever unpickled), have no identity or
        another one than ``identity`` (:meth:`RunStore.block_identity`), or lack an array
        their identity lists, or an array does not have one row per sample.
    """
    try:
        return _decode_block(data, identity, keys, multi)
    except BlockError:
        raise
    except Exception as exc:  # whatever parsing bytes of unknown origin raises: not a block
        raise BlockError(f"not a readable block file ({type(exc).__name__}: "
                         f"{one_line(exc, 80)})") from None


def _decode_block(data, identity, keys, multi):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(pa.BufferReader(data))
    schema = pf.schema_arrow
    tag = (schema.metadata or {}).get(IDENTITY_KEY)
    if tag is None:
        raise BlockError("no block identity (not a deorbit block of run-directory format "
                         f"{FORMAT_VERSION})")
    found = json.loads(tag.decode())
    if not isinstance(found, dict):
        raise BlockError(f"its identity is not a JSON object: {one_line(found, 60)}")
    wrong = [f"{key} {found.get(key)!r}, expected {value!r}"
             for key, value in identity.items() if found.get(key) != value]
    if wrong:
        raise BlockError(f"another block's file: {'; '.join(wrong)}")
    missing = sorted(set(found.get("arrays", ())) - set(schema.names))
    if missing:
        raise BlockError(f"arrays missing: {', '.join(missing)}")
    if pf.metadata.num_rows != identity["samples"]:
        raise BlockError(f"{pf.metadata.num_rows} rows, not one per sample "
                         f"({identity['samples']})")
    wanted = [f.name for f in schema
              if (keys is None or f.name in keys)
              and (multi or not pa.types.is_fixed_size_list(f.type))]
    table = pf.read(columns=wanted)
    arrays = {}
    for name, column in zip(table.column_names, table.columns):
        column = column.combine_chunks()
        if pa.types.is_fixed_size_list(column.type):
            arrays[name] = column.flatten().to_numpy(zero_copy_only=False).reshape(
                len(column), column.type.list_size)
        else:
            arrays[name] = column.to_numpy(zero_copy_only=False)
    return arrays


def one_line(value, width=60) -> str:
    """``str(value)`` on one line, cut to ``width`` characters."""
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[:width - 3] + "..."


def _warn(message):
    warnings.warn(message, RuntimeWarning, stacklevel=4)


def _read_block_file(path: Path) -> bytes:
    """The bytes of a block file, if it is a regular file (not a symbolic link: not
    followed) whose content matches the hash in its name; else BlockError."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise BlockError("a symbolic link; blocks are read only from regular files in "
                             "the run directory") from None
        raise BlockError(f"cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise BlockError("not a regular file")
    with os.fdopen(fd, "rb") as f:
        data = f.read()
    if hashlib.sha256(data).hexdigest()[:16] != _BLOCK.fullmatch(path.name).group(2):
        raise BlockError("content does not match its hash (truncated or corrupt)")
    return data


def _atomic_write(path: Path, data: bytes):
    """Write ``path`` through a temporary beside it, renamed into place; the file gets the
    mode ``open()`` would give it (0666 less the umask; ``mkstemp``'s would be 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f"{_TMP_PREFIX}{secrets.token_hex(8)}{path.suffix}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class RunStore:
    """Read and write one run directory.

    Parameters
    ----------
    path : str or Path
        The run directory.
    notice : callable, optional
        Takes the one-line notice about each block file that is not used (default: a
        ``RuntimeWarning``).
    """

    def __init__(self, path, notice=None):
        self.path = Path(path)
        self.notice = notice or _warn
        self._manifest = None

    # -- manifest -----------------------------------------------------------------------
    @property
    def manifest_path(self):
        return self.path / "manifest.json"

    def read_manifest(self) -> dict:
        """The manifest, checked: this run-directory format, and scenario names that obey
        the scenario name rule (they name folders of the run directory)."""
        if not self.path.is_dir():
            raise RunStoreError(f"{self.path}: no such run directory")
        try:
            manifest = json.loads(self.manifest_path.read_text())
        except FileNotFoundError:
            raise RunStoreError(f"{self.path} is not a run directory (no manifest.json)") from None
        except json.JSONDecodeError as exc:
            raise RunStoreError(f"{self.manifest_path}: corrupt manifest ({exc})") from None
        if not (isinstance(manifest, dict) and isinstance(manifest.get("scenarios"), list)
                and all(isinstance(s, dict) for s in manifest["scenarios"])):
            raise RunStoreError(f"{self.manifest_path}: corrupt manifest (expected an object "
                                "with a list of scenario objects under 'scenarios')")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise RunStoreError(
                f"{self.manifest_path}: run-directory format {manifest.get('format_version')}; "
                f"this deorbit reads format {FORMAT_VERSION} (block files carry their identity "
                "since format 2): run it again, or read it with the deorbit that wrote it")
        for i, entry in enumerate(manifest["scenarios"]):
            if not valid_name(entry.get("name")):
                raise RunStoreError(f"{self.manifest_path}: scenarios[{i}].name = "
                                    f"{entry.get('name')!r}: {NAME_RULE}")
        self._manifest = manifest
        return manifest

    def write_manifest(self, manifest: dict):
        _atomic_write(self.manifest_path, (json.dumps(manifest, indent=1) + "\n").encode())
        self._manifest = manifest

    # -- blocks -------------------------------------------------------------------------
    def block_identity(self, scenario_name, block_index) -> dict:
        """What a block's file must say it is, from the manifest.

        Returns
        -------
        dict
            ``format`` (:data:`FORMAT_VERSION`), ``scenario_sha256`` (of the scenario
            text), ``seed`` (root seed), ``block_index`` and ``samples`` (in this block).
        """
        manifest = self._manifest if self._manifest is not None else self.read_manifest()
        entry = next((s for s in manifest["scenarios"] if s["name"] == scenario_name), None)
        if entry is None:
            raise RunStoreError(f"{self.manifest_path}: no scenario {scenario_name!r}")
        first = block_index * entry["block_size"]
        return {"format": FORMAT_VERSION, "scenario_sha256": entry["sha256"],
                "seed": entry["seed"], "block_index": block_index,
                "samples": min(entry["block_size"], entry["samples"] - first)}

    def block_dir(self, scenario_name) -> Path:
        """``samples/scenario=SCENARIO``, if the name obeys the scenario name rule and the
        folder does not lead out of the run directory (a symbolic link)."""
        if not valid_name(scenario_name):
            raise RunStoreError(f"{self.path}: scenario name {scenario_name!r}: {NAME_RULE}")
        d = self.path / SAMPLES_DIR / f"scenario={scenario_name}"
        if not d.resolve().is_relative_to(self.path.resolve()):
            raise RunStoreError(f"{d} leads out of the run directory (to {d.resolve()}); "
                                "blocks are read and written only inside it")
        return d

    def write_block(self, scenario_name, block_index, arrays: dict):
        """Write a block's arrays (see :func:`encode_block`)."""
        self.write_encoded_block(scenario_name, block_index, encode_block(
            arrays, self.block_identity(scenario_name, block_index)))

    def write_encoded_block(self, scenario_name, block_index, data: bytes):
        """Write a block already encoded by :func:`encode_block` (e.g. on a worker), named
        by its content hash, atomically; other files of the same block are removed."""
        digest = hashlib.sha256(data).hexdigest()[:16]
        name = f"block-{block_index:06d}.{digest}.parquet"
        for old in self.block_dir(scenario_name).glob(f"block-{block_index:06d}.*.parquet"):
            old.unlink()
        _atomic_write(self.block_dir(scenario_name) / name, data)

    def remove_blocks_from(self, scenario_name, first):
        """Remove the block files of blocks ``first`` and later (a scenario that converged
        before them), so that the dataset holds only the samples its summary used."""
        for b, paths in self._block_files(scenario_name).items():
            if b >= first:
                for path in paths:
                    path.unlink()

    def remove_temporaries(self, scenario_name):
        """Remove what killed block writes left in ``blocks/SCENARIO`` (temporaries named
        as this module names them, nothing else)."""
        d = self.block_dir(scenario_name)
        for p in (d.iterdir() if d.is_dir() else ()):
            if _TMP_BLOCK.fullmatch(p.name):
                p.unlink()

    def _block_files(self, scenario_name):
        """Block index -> paths, for files whose name parses (content not yet checked)."""
        files = {}
        d = self.block_dir(scenario_name)
        if d.is_dir():
            for p in sorted(d.iterdir()):
                m = _BLOCK.fullmatch(p.name)
                if m:
                    files.setdefault(int(m.group(1)), []).append(p)
        return files

    def _read(self, scenario_name, block_index, paths, keys, multi=True):
        identity = self.block_identity(scenario_name, block_index)
        for path in paths:
            try:
                return decode_block(_read_block_file(path), identity, keys, multi)
            except BlockError as exc:
                self.notice(f"{path}: {exc}; not used (a resumed run computes it again)")
        return None

    def read_block(self, scenario_name, block_index, keys=None, multi=True):
        """The arrays of a block (only those of ``keys`` that it has, if given; not those of
        several values per sample unless ``multi``), or None if it is missing or no file of
        it passes the checks (hash over the whole file, always; identity; a notice for each
        file that fails)."""
        return self._read(scenario_name, block_index,
                          self._block_files(scenario_name).get(block_index, ()), keys, multi)

    def valid_blocks(self, scenario_name):
        """Indices of the blocks present that pass the checks of :meth:`read_block`."""
        return sorted(b for b, paths in self._block_files(scenario_name).items()
                      if self._read(scenario_name, b, paths, keys=()) is not None)

    def concat_blocks(self, scenario_name, block_indices, keys=None, multi=True):
        """Concatenate blocks in block order (the order sums are taken in); only ``keys``
        if given, and the arrays of several values per sample only if ``multi``."""
        parts = []
        for b in sorted(block_indices):
            arrays = self.read_block(scenario_name, b, keys, multi)
            if arrays is None:
                raise RunStoreError(f"{self.block_dir(scenario_name)}: block {b} is missing "
                                    "or not usable")
            parts.append(arrays)
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]} if parts else {}

    # -- summaries ----------------------------------------------------------------------
    def write_summary(self, summary: dict):
        _atomic_write(self.path / "summary.json",
                      (json.dumps(summary, indent=1, allow_nan=True) + "\n").encode())
        lines = ["scenario,metric,value,standard_error,unit"]
        for name, figures in summary["scenarios"].items():
            for metric, f in figures["metrics"].items():
                se = "" if f.get("standard_error") is None else repr(f["standard_error"])
                value = f["value"]
                lines.append(f"{name},{metric},{value if isinstance(value, str) else repr(value)}"
                             f",{se},{f.get('unit', '')}")
        _atomic_write(self.path / "summary.csv", ("\n".join(lines) + "\n").encode())


def load_run(path, as_xarray=False):
    """Load a run's samples: one row per sample, all scenarios, in block order.

    Reads the blocks of ``samples/`` the manifest says the summary used (of a run that did
    not finish: every block that passes the checks), each checked as a resumed run checks
    it (hash, identity). The same dataset is readable without deorbit by pandas, pyarrow and
    dask (module docstring).

    Parameters
    ----------
    path : str or Path
        The run directory.
    as_xarray : bool
        Return an ``xarray.Dataset`` (dimensions ``sample`` and ``history_day``) instead of
        a pandas DataFrame; needs xarray (``pip install "deorbit[xarray]"``).

    Returns
    -------
    pandas.DataFrame
        Columns: ``scenario``, ``sample`` and every per-sample scalar of
        :func:`deorbit.engine.run_block` (units in the names); the per-sample arrays (altitude
        history, fragment impacts) are left out of the DataFrame (use ``as_xarray=True``).
    """
    import pandas as pd

    if as_xarray:
        try:
            import xarray as xr
        except ModuleNotFoundError:
            raise ModuleNotFoundError('load_run(..., as_xarray=True) needs xarray: pip install '
                                      '"deorbit[xarray]"', name="xarray") from None
    store = RunStore(path)
    manifest = store.read_manifest()
    frames, datasets = [], []
    for sc in manifest["scenarios"]:
        blocks = sc.get("blocks_used") or store.valid_blocks(sc["name"])
        arrays = store.concat_blocks(sc["name"], blocks, multi=as_xarray)
        if not arrays:
            continue
        multi = {k: arrays.pop(k) for k in list(arrays) if arrays[k].ndim > 1}
        df = pd.DataFrame(arrays)
        df.insert(0, "scenario", sc["name"])
        frames.append(df)
        if as_xarray:
            datasets.append((sc["name"], arrays, multi))
    if not as_xarray:
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    out = []
    for name, arrays, multi in datasets:
        ds = xr.Dataset({k: ("sample", v) for k, v in arrays.items() if k != "sample"},
                        coords={"sample": arrays["sample"]})
        for key, value in multi.items():
            dim = "history_day" if key.startswith("history_") else "fragment_class"
            ds[key] = (("sample", dim), value)
        hist = multi["history_sma_alt_km"]
        ds = ds.assign_coords(
            history_day=np.arange(hist.shape[1]) * manifest["history_step_days"],
            scenario=("sample", [name] * hist.shape[0]))
        out.append(ds)
    return xr.concat(out, dim="sample")
