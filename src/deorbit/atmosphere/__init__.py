"""Atmospheric density models fed to the kernel.

Today: :class:`DensityTable`, a piecewise-exponential density profile in altitude (log rho
linear between nodes), the form of the ISS-F200 benchmark table. The NRLMSISE-00 derived
space-weather table plugs into the same kernel interface.
"""
from .table import DensityTable

__all__ = ["DensityTable"]
