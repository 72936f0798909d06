"""Piecewise-exponential density profile in altitude."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class DensityTable:
    """Density as a function of altitude: log(rho) linear in altitude between nodes.

    Below the first node or above the last one the end segment is extrapolated (the kernel
    and :meth:`density` do the same).

    Parameters
    ----------
    alt_km : array_like, shape (K,)
        Node altitudes, km, strictly increasing, K >= 2.
    rho_kg_m3 : array_like, shape (K,)
        Mass density at the nodes, kg/m^3, finite and > 0.
    source : str
        Where the numbers come from (provenance, shown in run manifests).
    """

    alt_km: np.ndarray
    rho_kg_m3: np.ndarray
    source: str = "user"

    def __post_init__(self):
        alt = np.ascontiguousarray(self.alt_km, dtype=np.float64)
        rho = np.ascontiguousarray(self.rho_kg_m3, dtype=np.float64)
        if alt.ndim != 1 or alt.shape != rho.shape or alt.size < 2:
            raise ValueError(
                f"DensityTable: alt_km and rho_kg_m3 must be 1-D of equal length >= 2, got "
                f"shapes {alt.shape} and {rho.shape}")
        if not np.all(np.isfinite(alt)) or np.any(np.diff(alt) <= 0):
            raise ValueError("DensityTable: alt_km must be finite and strictly increasing")
        if not np.all(np.isfinite(rho)) or np.any(rho <= 0):
            bad = int(np.flatnonzero(~(np.isfinite(rho) & (rho > 0)))[0])
            raise ValueError(f"DensityTable: rho_kg_m3[{bad}] = {float(rho[bad])!r}; "
                             "allowed: finite > 0")
        alt.setflags(write=False)
        rho.setflags(write=False)
        object.__setattr__(self, "alt_km", alt)
        object.__setattr__(self, "rho_kg_m3", rho)
        log_rho = np.log(rho)
        log_rho.setflags(write=False)
        object.__setattr__(self, "log_rho", log_rho)

    def density(self, alt_km):
        """Density, kg/m^3, at altitude(s) alt_km (km), with end segments extrapolated."""
        alt = np.asarray(alt_km, dtype=np.float64)
        i = np.clip(np.searchsorted(self.alt_km, alt, side="right") - 1, 0, self.alt_km.size - 2)
        x0, x1 = self.alt_km[i], self.alt_km[i + 1]
        y0, y1 = self.log_rho[i], self.log_rho[i + 1]
        return np.exp(y0 + (y1 - y0) * (alt - x0) / (x1 - x0))

    @classmethod
    def from_json(cls, path, key=None):
        """Read ``{"alt_km": [...], "rho_kg_m3": [...]}`` (optionally under ``key``) from JSON."""
        path = Path(path)
        data = json.loads(path.read_text())
        if key is not None:
            for part in key.split("."):
                data = data[part]
        rho = data.get("rho_kg_m3", data.get("rho"))
        if rho is None or "alt_km" not in data:
            raise ValueError(f"{path}: no 'alt_km' and 'rho_kg_m3' arrays under {key!r}")
        return cls(data["alt_km"], rho, source=f"{path.name}:{key or ''}")
