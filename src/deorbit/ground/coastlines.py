"""Coastlines for maps: simplified Natural Earth 1:10m coastline polylines (public domain).

The packaged ``deorbit/data/coastlines.npz`` (made by :mod:`deorbit.tools.ground_data`;
provenance in ``deorbit/data/README.md`` and in its ``metadata_json``) holds every polyline
one after another with NaN between them, so a map draws them with one call::

    lon, lat = load_coastlines()
    ax.plot(lon, lat, lw=0.4, color="0.3")       # NaN breaks the line between polylines

Lines are already split at the antimeridian (no segment jumps from +180 to -180).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

from .._data import data_path

#: File name of the packaged coastlines inside ``deorbit/data``.
COASTLINES_NAME = "coastlines.npz"


def coastlines_path():
    """Path of the packaged ``deorbit/data/coastlines.npz``."""
    return data_path(COASTLINES_NAME)


@functools.lru_cache(maxsize=1)
def _load_packaged():
    return _load(coastlines_path())


def _load(path):
    try:
        with np.load(path, allow_pickle=False) as z:
            lon = np.array(z["lon_deg"], dtype=np.float64)
            lat = np.array(z["lat_deg"], dtype=np.float64)
            meta = json.loads(str(z["metadata_json"])) if "metadata_json" in z.files else {}
    except FileNotFoundError:
        raise
    except Exception as exc:  # any corruption: say which file
        raise ValueError(f"{path}: not a valid coastlines .npz with arrays lon_deg, lat_deg "
                         f"({type(exc).__name__}: {exc})") from exc
    if lon.shape != lat.shape or lon.ndim != 1:
        raise ValueError(f"{path}: lon_deg and lat_deg must be 1-D of equal length")
    lon.setflags(write=False)
    lat.setflags(write=False)
    return lon, lat, meta


def load_coastlines(path=None):
    """Coastline polylines ``(lon_deg, lat_deg)``: float arrays, NaN between polylines.

    ``path=None`` gives the packaged copy (cached, read-only arrays).
    """
    lon, lat, _ = _load_packaged() if path is None else _load(Path(path))
    return lon, lat


def coastlines_metadata(path=None):
    """Provenance dictionary stored in the coastlines file."""
    return dict((_load_packaged() if path is None else _load(Path(path)))[2])
