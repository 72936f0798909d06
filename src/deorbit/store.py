"""The run directory: manifest, one file per finished block, summaries; and loading it back.

Layout::

    RUN_DIR/
      manifest.json                  scenarios (text, sha256), seed, block size, versions,
                                     backend, data provenance; blocks used once finished
      blocks/SCENARIO/block-000012.<sha256 prefix>.npz
                                     per-sample arrays of one block; the name carries the
                                     hash of the content, so a truncated or corrupt file is
                                     detected (and recomputed), never used
      summary.json, summary.csv      per-scenario figures with Monte Carlo standard errors

Blocks are written to a temporary name and renamed into place (atomic on POSIX), so a run
killed at any moment leaves only whole blocks, and ``--resume`` continues where it stopped.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import warnings
from pathlib import Path

import numpy as np

FORMAT_VERSION = 1
_BLOCK = re.compile(r"^block-(\d{6})\.([0-9a-f]{16})\.npz$")


def encode_block(arrays: dict) -> bytes:
    """A block's arrays as the bytes of its file: a compressed ``.npz``."""
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def decode_block(data: bytes, keys=None) -> dict:
    """The arrays of a block file's bytes (only those of ``keys`` that it has, if given)."""
    with np.load(io.BytesIO(data)) as z:
        return {k: z[k] for k in z.files if keys is None or k in keys}


class RunStoreError(RuntimeError):
    """A run directory cannot be used (e.g. resumed with a different scenario or version)."""


def _atomic_write(path: Path, data: bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class RunStore:
    """Read and write one run directory."""

    def __init__(self, path):
        self.path = Path(path)

    # -- manifest -----------------------------------------------------------------------
    @property
    def manifest_path(self):
        return self.path / "manifest.json"

    def read_manifest(self) -> dict:
        try:
            return json.loads(self.manifest_path.read_text())
        except FileNotFoundError:
            raise RunStoreError(f"{self.path} is not a run directory (no manifest.json)") from None
        except json.JSONDecodeError as exc:
            raise RunStoreError(f"{self.manifest_path}: corrupt manifest ({exc})") from None

    def write_manifest(self, manifest: dict):
        _atomic_write(self.manifest_path, (json.dumps(manifest, indent=1) + "\n").encode())

    # -- blocks -------------------------------------------------------------------------
    def block_dir(self, scenario_name):
        return self.path / "blocks" / scenario_name

    def write_block(self, scenario_name, block_index, arrays: dict):
        """Write a block's arrays (see :func:`encode_block`)."""
        self.write_encoded_block(scenario_name, block_index, encode_block(arrays))

    def write_encoded_block(self, scenario_name, block_index, data: bytes):
        """Write a block already encoded by :func:`encode_block` (e.g. on a worker), named
        by its content hash, atomically; an older file of the same block is replaced."""
        digest = hashlib.sha256(data).hexdigest()[:16]
        name = f"block-{block_index:06d}.{digest}.npz"
        for old in self.block_dir(scenario_name).glob(f"block-{block_index:06d}.*.npz"):
            old.unlink()
        _atomic_write(self.block_dir(scenario_name) / name, data)

    def _block_files(self, scenario_name):
        """Block index -> path, for files whose name parses (content not yet checked)."""
        files = {}
        d = self.block_dir(scenario_name)
        if d.is_dir():
            for p in sorted(d.iterdir()):
                m = _BLOCK.match(p.name)
                if m:
                    files[int(m.group(1))] = p
        return files

    def read_block(self, scenario_name, block_index, keys=None):
        """The arrays of a block (only those of ``keys`` that it has, if given), or None if
        it is missing or fails its hash check (over the whole file, always)."""
        path = self._block_files(scenario_name).get(block_index)
        if path is None:
            return None
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest()[:16] != _BLOCK.match(path.name).group(2):
            warnings.warn(f"{path}: content does not match its hash (truncated or corrupt); "
                          "the block will be recomputed", RuntimeWarning, stacklevel=2)
            path.unlink()
            return None
        return decode_block(data, keys)

    def valid_blocks(self, scenario_name):
        """Indices of the blocks present whose content matches their hash (bad ones removed)."""
        return sorted(b for b in self._block_files(scenario_name)  # hash only, no arrays
                      if self.read_block(scenario_name, b, keys=()) is not None)

    def concat_blocks(self, scenario_name, block_indices, keys=None):
        """Concatenate blocks in block order (the order sums are taken in); only ``keys``
        if given."""
        parts = []
        for b in sorted(block_indices):
            arrays = self.read_block(scenario_name, b, keys)
            if arrays is None:
                raise RunStoreError(f"{self.block_dir(scenario_name)}: block {b} is missing")
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

    Parameters
    ----------
    path : str or Path
        The run directory.
    as_xarray : bool
        Return an ``xarray.Dataset`` (dimensions ``sample`` and ``history_day``) instead of
        a pandas DataFrame; needs xarray installed.

    Returns
    -------
    pandas.DataFrame
        Columns: ``scenario``, ``sample`` and every per-sample scalar of
        :func:`deorbit.engine.run_block` (units in the names); the per-sample arrays (altitude
        history, fragment impacts) are left out of the DataFrame (use ``as_xarray=True``).
    """
    import pandas as pd

    store = RunStore(path)
    manifest = store.read_manifest()
    frames, datasets = [], []
    for sc in manifest["scenarios"]:
        blocks = sc.get("blocks_used") or store.valid_blocks(sc["name"])
        arrays = store.concat_blocks(sc["name"], blocks)
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
    import xarray as xr

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
