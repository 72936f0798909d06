"""Orbit-averaged NRLMSISE-00 density table: file format and reference interpolator.

NRLMSISE-00 (Picone et al. 2002, through ``pymsis`` with ``version=0``) costs microseconds per
point and holds the GIL, so the drag kernel never calls it. It interpolates, in log density, a
table derived from it instead. This module defines that table exactly: what a value is (below),
how it is stored (:func:`load_msis_table`), and the interpolation the compiled kernel must
reproduce (:meth:`OrbitDensityTable.log_density`). How it is made is
:mod:`deorbit.tools.msis_table` (``python -m deorbit.tools.msis_table --out PATH``, an
offline tool); :mod:`deorbit.atmosphere.pymsis_means` computes the same quantity straight from
pymsis, the yardstick of the tests. The other density models deorbit ships (NRLMSIS 2.1,
DTM2000: :mod:`deorbit.atmosphere.models`) are tables of this same format, axes and recipe,
with "NRLMSISE-00" below read as their model (DTM2000's inputs and its join to NRLMSISE-00
below 120 km: :mod:`deorbit.atmosphere.dtm2000_orekit`).

What a table value is
---------------------
``log_rho[a, f, d, p, k]`` is ``ln`` of the mass density (kg/m^3) at geodetic altitude
``alt_km[a]`` and geocentric latitude ``lat_deg[k]``, for the 81-day centred mean F10.7
``f107a_sfu[f]``, the previous day's F10.7 ``f107a_sfu[f] + df_sfu[d]`` and the daily Ap
``ap[p]``, averaged (arithmetic mean of rho, not of ln rho) over longitude, local time and the
day of the year:

- NRLMSISE-00 default switches, i.e. daily-Ap mode (switch 9 = 1), in which the model reads
  only ``AP[0]``. The 7-element Ap array is nevertheless filled with the daily Ap in every
  slot ("steady Ap" convention). Storm-time mode (switch 9 = -1) with the same steady array
  gives densities up to ~12 % different (measured at Ap = 15): the table is daily-Ap
  mode, as pymsis by default.
- Sampling (36 NRLMSISE-00 calls per value): 12 days of the year one month apart (day of year
  ``15 + round(k * 365.25 / 12)``), the k-th at ``UT = 10 k mod 24`` h, each at longitudes 0,
  120 and 240 deg: every even local-time hour three times, on different days, and every
  month once. Measured against a 2304-sample reference (24 days x 8 UT x 12 longitudes):
  <= 0.45 % per latitude node, 80-1000 km.
- Latitude: the table latitude is geocentric; each node is evaluated at the geodetic latitude
  of that geocentric latitude at the node altitude (pymsis wants geodetic coordinates).
- Invalid model output: at Ap >~ 300 NRLMSISE-00 returns zero, negative or NaN densities
  (with a Fortran "DNET LOG ERROR" message on stdout) at 105-120 km at high latitudes. Such
  samples are filled by linear interpolation of ln rho in altitude, along the same sample
  (date, longitude, latitude, indices), between the nearest valid table altitudes; the count
  is in the provenance (53,886 of 72.3 million samples in the packaged table). Elsewhere the
  table is NRLMSISE-00 as it is, including its non-monotone lower-thermosphere profiles at
  very high Ap.

Season
------
The day-of-year average hides a large seasonal (mostly semiannual) variation: the orbit-mean
density swings by a factor up to ~1.8 (max/min) over the year at 400-800 km, +-15 % at 150 km.
A second array stores it as a separable correction, ``season_log_ratio[a, f, k, s]`` =
ln(rho on day ``s`` / annual mean rho), computed at the reference indices
``df = season_ref_df_sfu`` (0) and ``Ap = season_ref_ap`` (15), 24 days of the year, each day
averaged over 6 longitudes x 4 UT. Applied to other indices it is an approximation: against
pymsis on the day, RMS 0.9 % (worst 2.9 %) for Ap <= 50 and RMS 3.2 % (worst 13 %, at
600-900 km) for Ap 200-300, against RMS 13 % (worst 40 %) for the annual mean alone. Pass
``day_of_year=None`` for the annual mean.

Orbit average
-------------
For a circular orbit of inclination ``i`` the fraction of time spent at ``s = sin(latitude)``
(geocentric) has the density ``1 / (pi sqrt(sin^2 i - s^2))`` on ``|s| < |sin i|``. The table
density is taken piecewise linear in ``s`` between latitude nodes, so each node's weight is the
exact integral of its hat function against that density (:func:`orbit_latitude_weights`,
closed form with ``arcsin`` and ``sqrt``). For an inclination the orbit table is

- ``L4[a, f, d, p] = ln sum_k w_k exp(log_rho[a, f, d, p, k])``;
- ``S3[a, f, s] = ln sum_k w_k exp(Lr[a,f,k] + season_log_ratio[a,f,k,s]) - ln sum_k w_k
  exp(Lr[a,f,k])`` with ``Lr = log_rho[:, :, d_ref, p_ref, :]`` at the season reference
  indices.

Interpolation (what the kernel must reproduce)
----------------------------------------------
``ln rho(h, F, dF, Ap[, t]) = multilinear(L4)(h, F, dF, Ap) [+ multilinear(S3)(h, F, t)]``:

- each axis: locate the interval ``j`` with ``x[j] <= v < x[j+1]`` (``j`` clipped to
  ``0..n-2``), ``u = (v - x[j]) / (x[j+1] - x[j])``; the value is the sum over the 2^n
  corners of ``prod(1 - u or u) * table[corner]``;
- altitude ``h`` (km, above the WGS-84 ellipsoid): ``u`` is not clipped, so below the first
  and above the last node the end segment is extrapolated (ln rho linear in h, as
  :class:`~deorbit.atmosphere.DensityTable`);
- ``F`` (F10.7 81-day centred mean, sfu), ``dF`` (previous day's F10.7 minus ``F``, sfu) and
  ``Ap``: clamped to the node range first, never extrapolated;
- season ``t``: days since 1 January 00:00 UTC of the epoch's year (:func:`utc_day_of_year`),
  taken modulo ``season_period_days`` (365.25) and interpolated periodically (the last node
  connects to the first one plus the period).

References
----------
- Picone, Hedin, Drob, Aikin, "NRLMSISE-00 empirical model of the atmosphere: Statistical
  comparisons and scientific issues", J. Geophys. Res. 107(A12), 1468 (2002),
  doi:10.1029/2002JA009430.
- pymsis (SWxTrec/pymsis), ``pymsis.calculate`` and ``pymsis.Variable``.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._data import data_bytes, data_label
from .models import DEFAULT_MODEL, density_model
from .table import DensityTable

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "GENERATOR_VERSION",
    "MsisTable",
    "OrbitDensityTable",
    "load_msis_table",
    "orbit_latitude_weights",
    "utc_day_of_year",
]

#: File-format tag stored in every table file.
FORMAT = "deorbit-msis-table"
#: Version of the file format (bump on any incompatible change).
FORMAT_VERSION = 1
#: Version of :func:`deorbit.tools.msis_table.build_table` (bump when the recipe changes).
GENERATOR_VERSION = "1.0"

#: Period of the season axis, days.
SEASON_PERIOD_DAYS = 365.25
#: Number of season nodes.
N_SEASON = 24
#: Indices at which the seasonal correction is computed.
SEASON_REF_DF_SFU = 0.0
SEASON_REF_AP = 15.0


# --------------------------------------------------------------------------------------------
# Geometry and time
# --------------------------------------------------------------------------------------------
def orbit_latitude_weights(lat_deg, inc_deg):
    """Time fraction a circular orbit of inclination ``inc_deg`` spends at each latitude node.

    The density is taken piecewise linear in ``s = sin(latitude)`` between the nodes (hat
    functions); the orbit's dwell-time density in ``s`` is ``1 / (pi sqrt(a^2 - s^2))`` for
    ``|s| < a = |sin i|`` (geocentric latitude, uniform motion in argument of latitude). Each
    weight is the exact integral of a hat function against it, with the primitives
    ``arcsin(s / a) / pi`` and ``-sqrt(a^2 - s^2) / pi``.

    Parameters
    ----------
    lat_deg : array_like, shape (K,)
        Geocentric latitude nodes, deg, strictly increasing, from -90 to 90.
    inc_deg : float
        Orbit inclination, deg (0-180; 180 - i gives the same weights).

    Returns
    -------
    numpy.ndarray, shape (K,)
        Non-negative weights summing to 1. For ``i = 0`` the hat functions at the equator.
    """
    lat = np.asarray(lat_deg, dtype=np.float64)
    if lat.ndim != 1 or lat.size < 2 or np.any(np.diff(lat) <= 0):
        raise ValueError("orbit_latitude_weights: lat_deg must be 1-D strictly increasing")
    if abs(lat[0] + 90.0) > 1e-9 or abs(lat[-1] - 90.0) > 1e-9:
        raise ValueError("orbit_latitude_weights: lat_deg must run from -90 to 90")
    inc = float(inc_deg)
    if not np.isfinite(inc) or inc < 0.0 or inc > 180.0:
        raise ValueError(f"orbit_latitude_weights: inc_deg = {inc_deg!r}; allowed: 0 to 180")
    s = np.sin(np.radians(lat))
    s[0], s[-1] = -1.0, 1.0
    a = abs(np.sin(np.radians(inc)))
    if a < 1e-9:  # equatorial orbit: all the time at s = 0
        return np.array([np.interp(0.0, s, e) for e in np.eye(s.size)])

    def p0(x):
        return np.arcsin(np.clip(x / a, -1.0, 1.0)) / np.pi

    def p1(x):
        xc = np.clip(x, -a, a)
        return -np.sqrt(np.maximum(a * a - xc * xc, 0.0)) / np.pi

    s0, s1 = s[:-1], s[1:]
    h = s1 - s0
    i0 = p0(s1) - p0(s0)  # integral of the density over the segment
    i1 = p1(s1) - p1(s0)  # integral of s * density
    w = np.zeros(s.size)
    w[1:] += (i1 - s0 * i0) / h  # rising half of node j+1: (s - s0) / h
    w[:-1] += (s1 * i0 - i1) / h  # falling half of node j: (s1 - s) / h
    w = np.maximum(w, 0.0)
    return w / w.sum()


def utc_day_of_year(epoch_utc_days):
    """Days since 1 January 00:00 UTC of the epoch's year (0 <= value < 366), vectorised.

    ``epoch_utc_days`` counts UTC days since J2000 (2000-01-01 12:00 UTC). The integer day
    number since 2000-01-01 is ``n = floor(epoch + 0.5)``; the result is ``epoch + 0.5 - n0``
    where ``n0`` is the day number of 1 January of ``n``'s Gregorian year (a kernel can get it
    with the usual civil-from-days integer algorithm).
    """
    t = np.asarray(epoch_utc_days, dtype=np.float64) + 0.5
    day = np.floor(t).astype(np.int64)
    date = np.datetime64("2000-01-01", "D") + day.astype("timedelta64[D]")
    jan1 = date.astype("datetime64[Y]").astype("datetime64[D]")
    n0 = (jan1 - np.datetime64("2000-01-01", "D")).astype(np.int64)
    return t - n0


# --------------------------------------------------------------------------------------------
# Interpolation
# --------------------------------------------------------------------------------------------
def _locate(nodes, x, clamp):
    """Interval index and fraction along one axis (see the module docstring)."""
    x = np.asarray(x, dtype=np.float64)
    if clamp:
        x = np.clip(x, nodes[0], nodes[-1])
    j = np.clip(np.searchsorted(nodes, x, side="right") - 1, 0, nodes.size - 2)
    u = (x - nodes[j]) / (nodes[j + 1] - nodes[j])
    return j, u


def _multilinear(table, located):
    """Sum over the 2^n corners of the product of the 1-D weights times the table values."""
    ndim = len(located)
    out = 0.0
    for corner in range(1 << ndim):
        weight = 1.0
        index = []
        for axis, (j, u) in enumerate(located):
            if corner >> axis & 1:
                weight = weight * u
                index.append(j + 1)
            else:
                weight = weight * (1.0 - u)
                index.append(j)
        out = out + weight * table[tuple(index)]
    return out


def _periodic_nodes(day_nodes, period):
    """Season nodes extended by one on each side for periodic interpolation."""
    return np.concatenate([[day_nodes[-1] - period], day_nodes, [day_nodes[0] + period]])


def _logsumexp(a, axis, log_w):
    """ln sum_k exp(a[..., k] + log_w[k]) along ``axis`` (last), stable."""
    b = a + log_w
    m = np.max(b, axis=axis, keepdims=True)
    return np.squeeze(m, axis=axis) + np.log(np.sum(np.exp(b - m), axis=axis))


@dataclass(frozen=True, eq=False)
class OrbitDensityTable:
    """NRLMSISE-00 density averaged over a circular orbit of one inclination.

    This is what the drag kernel interpolates; :meth:`log_density` is the reference
    implementation of that interpolation (module docstring, "Interpolation").

    Attributes
    ----------
    inc_deg : float
        Orbit inclination, deg.
    alt_km, f107a_sfu, df_sfu, ap : numpy.ndarray
        Axes (see :class:`MsisTable`).
    log_rho : numpy.ndarray, shape (n_alt, n_f107a, n_df, n_ap)
        ln of the orbit-mean density, kg/m^3 (annual mean).
    season_day : numpy.ndarray or None, shape (n_season,)
        Season nodes, days since 1 January 00:00 UTC.
    season_log : numpy.ndarray or None, shape (n_alt, n_f107a, n_season)
        ln of the seasonal factor of the orbit-mean density (0 in the annual mean).
    season_period_days : float
        Period of the season axis, days.
    source : str
        Provenance text.
    """

    inc_deg: float
    alt_km: np.ndarray
    f107a_sfu: np.ndarray
    df_sfu: np.ndarray
    ap: np.ndarray
    log_rho: np.ndarray
    season_day: np.ndarray | None
    season_log: np.ndarray | None
    season_period_days: float = SEASON_PERIOD_DAYS
    source: str = ""

    def log_density(self, alt_km, f107a_sfu, df_sfu, ap, day_of_year=None):
        """ln of the orbit-mean density (kg/m^3), vectorised with NumPy broadcasting.

        Parameters
        ----------
        alt_km : array_like
            Geodetic altitude, km (end segments extrapolated).
        f107a_sfu, df_sfu, ap : array_like
            81-day centred mean F10.7 (sfu), previous day's F10.7 minus it (sfu), daily Ap;
            each clamped to its node range.
        day_of_year : array_like or None
            Days since 1 January 00:00 UTC (:func:`utc_day_of_year`); None for the annual
            mean.
        """
        alt, f, d, p = np.broadcast_arrays(
            *(np.asarray(v, dtype=np.float64) for v in (alt_km, f107a_sfu, df_sfu, ap)))
        la = _locate(self.alt_km, alt, clamp=False)
        lf = _locate(self.f107a_sfu, f, clamp=True)
        out = _multilinear(self.log_rho, [la, lf, _locate(self.df_sfu, d, clamp=True),
                                          _locate(self.ap, p, clamp=True)])
        if day_of_year is None:
            return np.asarray(out, dtype=np.float64)
        if self.season_log is None:
            raise ValueError(f"{self.source}: the table has no season axis; use day_of_year=None")
        x = np.mod(np.asarray(day_of_year, dtype=np.float64), self.season_period_days)
        nodes = _periodic_nodes(self.season_day, self.season_period_days)
        values = np.concatenate(
            [self.season_log[..., -1:], self.season_log, self.season_log[..., :1]], axis=-1)
        alt, f, x = np.broadcast_arrays(alt, f, x)
        la = _locate(self.alt_km, alt, clamp=False)
        lf = _locate(self.f107a_sfu, f, clamp=True)
        season = _multilinear(values, [la, lf, _locate(nodes, x, clamp=True)])
        return np.asarray(out + season, dtype=np.float64)

    def density(self, alt_km, f107a_sfu, df_sfu, ap, day_of_year=None):
        """Orbit-mean density, kg/m^3: ``exp`` of :meth:`log_density`."""
        return np.exp(self.log_density(alt_km, f107a_sfu, df_sfu, ap, day_of_year))

    def profile(self, f107a_sfu, df_sfu, ap, day_of_year=None) -> DensityTable:
        """Altitude profile at fixed indices, as a :class:`DensityTable` on the table nodes.

        Identical to :meth:`log_density` at every altitude (both are linear in ln rho between
        the same nodes and extrapolate the end segments).
        """
        for name, value in (("f107a_sfu", f107a_sfu), ("df_sfu", df_sfu), ("ap", ap)):
            if np.ndim(value) != 0 or not np.isfinite(value):
                raise ValueError(f"profile: {name} = {value!r}; allowed: a finite scalar")
        if day_of_year is not None and (np.ndim(day_of_year) != 0
                                        or not np.isfinite(day_of_year)):
            raise ValueError(f"profile: day_of_year = {day_of_year!r}; allowed: finite scalar")
        log_rho = self.log_density(self.alt_km, f107a_sfu, df_sfu, ap, day_of_year)
        when = "annual mean" if day_of_year is None else f"day_of_year={float(day_of_year):g}"
        source = (f"{self.source} i={self.inc_deg:g}deg F10.7a={float(f107a_sfu):g} "
                  f"dF={float(df_sfu):g} Ap={float(ap):g} {when}")
        return DensityTable(self.alt_km, np.exp(log_rho), source=source)


@dataclass(frozen=True, eq=False)
class MsisTable:
    """Latitude-resolved NRLMSISE-00 density table (see the module docstring).

    Build with :func:`load_msis_table` (or :func:`build_table`). Arrays are read-only.

    Attributes
    ----------
    alt_km : numpy.ndarray, shape (n_alt,)
        Geodetic altitude nodes (WGS-84), km, strictly increasing.
    f107a_sfu : numpy.ndarray, shape (n_f107a,)
        81-day centred mean F10.7 nodes, sfu (1e-22 W m^-2 Hz^-1).
    df_sfu : numpy.ndarray, shape (n_df,)
        Nodes of the previous day's F10.7 minus the 81-day mean, sfu.
    ap : numpy.ndarray, shape (n_ap,)
        Daily Ap nodes (dimensionless, interpolated linearly in Ap).
    lat_deg : numpy.ndarray, shape (n_lat,)
        Geocentric latitude nodes, deg, from -90 to 90.
    log_rho : numpy.ndarray, shape (n_alt, n_f107a, n_df, n_ap, n_lat)
        ln of the mean density, kg/m^3.
    season_day : numpy.ndarray or None, shape (n_season,)
        Season nodes, days since 1 January 00:00 UTC, strictly increasing in
        ``[0, season_period_days)``.
    season_log_ratio : numpy.ndarray or None, shape (n_alt, n_f107a, n_lat, n_season)
        ln(density on the day / annual mean) at the season reference indices.
    season_ref_df_sfu, season_ref_ap : float
        Reference indices of the season correction (must be nodes).
    season_period_days : float
        Period of the season axis, days.
    provenance : dict
        How the table was made (generator, versions, date, sampling).
    source : str
        Where it was read from.
    """

    alt_km: np.ndarray
    f107a_sfu: np.ndarray
    df_sfu: np.ndarray
    ap: np.ndarray
    lat_deg: np.ndarray
    log_rho: np.ndarray
    season_day: np.ndarray | None = None
    season_log_ratio: np.ndarray | None = None
    season_ref_df_sfu: float = SEASON_REF_DF_SFU
    season_ref_ap: float = SEASON_REF_AP
    season_period_days: float = SEASON_PERIOD_DAYS
    provenance: dict = field(default_factory=dict)
    source: str = "user"

    def __post_init__(self):
        problem = _check_arrays(self)
        if problem:
            raise ValueError(f"{self.source}: {problem}")
        for name in ("alt_km", "f107a_sfu", "df_sfu", "ap", "lat_deg", "log_rho",
                     "season_day", "season_log_ratio"):
            value = getattr(self, name)
            if value is not None:
                value = np.array(value, dtype=np.float64)
                value.setflags(write=False)
                object.__setattr__(self, name, value)
        object.__setattr__(self, "_orbits", {})

    @property
    def has_season(self) -> bool:
        """True if the table carries the seasonal correction."""
        return self.season_log_ratio is not None

    def orbit(self, inc_deg) -> OrbitDensityTable:
        """Orbit-averaged table for one inclination (cached); see the module docstring."""
        inc = float(inc_deg)
        key = round(inc, 9)
        cached = self._orbits.get(key)
        if cached is not None:
            return cached
        w = orbit_latitude_weights(self.lat_deg, inc)
        keep = w > 0.0
        log_w = np.log(w[keep])
        log_rho = _logsumexp(self.log_rho[..., keep], -1, log_w)
        season_log = None
        if self.has_season:
            d0 = int(np.flatnonzero(self.df_sfu == self.season_ref_df_sfu)[0])
            p0 = int(np.flatnonzero(self.ap == self.season_ref_ap)[0])
            ref = self.log_rho[:, :, d0, p0, :][..., keep]  # (alt, f, k)
            mean = _logsumexp(ref, -1, log_w)
            ratio = self.season_log_ratio[:, :, keep, :]  # (alt, f, k, s)
            by_day = _logsumexp(np.moveaxis(ref[..., None] + ratio, 2, -1), -1, log_w)
            season_log = by_day - mean[..., None]
        for a in (log_rho, season_log):
            if a is not None:
                a.setflags(write=False)
        table = OrbitDensityTable(
            inc_deg=inc, alt_km=self.alt_km, f107a_sfu=self.f107a_sfu, df_sfu=self.df_sfu,
            ap=self.ap, log_rho=log_rho,
            season_day=self.season_day if self.has_season else None, season_log=season_log,
            season_period_days=self.season_period_days, source=self.source)
        self._orbits[key] = table
        return table

    def log_density(self, alt_km, f107a_sfu, df_sfu, ap, inc_deg, day_of_year=None):
        """ln of the orbit-mean density (kg/m^3), vectorised (inclination may vary too).

        Parameters
        ----------
        alt_km : array_like
            Geodetic altitude, km.
        f107a_sfu, df_sfu, ap : array_like
            81-day mean F10.7 (sfu), previous day's F10.7 minus it (sfu), daily Ap.
        inc_deg : array_like
            Orbit inclination, deg.
        day_of_year : array_like or None
            Days since 1 January 00:00 UTC; None for the annual mean.
        """
        args = [alt_km, f107a_sfu, df_sfu, ap, inc_deg]
        if day_of_year is not None:
            args.append(day_of_year)
        arrays = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in args))
        inc = arrays[4]
        out = np.empty(inc.shape)
        for value in np.unique(inc):
            sel = inc == value
            doy = arrays[5][sel] if day_of_year is not None else None
            out[sel] = self.orbit(value).log_density(
                arrays[0][sel], arrays[1][sel], arrays[2][sel], arrays[3][sel], doy)
        return out

    def density(self, alt_km, f107a_sfu, df_sfu, ap, inc_deg, day_of_year=None):
        """Orbit-mean density, kg/m^3: ``exp`` of :meth:`log_density`."""
        return np.exp(self.log_density(alt_km, f107a_sfu, df_sfu, ap, inc_deg, day_of_year))

    def profile(self, inc_deg, f107a_sfu, df_sfu, ap, day_of_year=None) -> DensityTable:
        """1-D altitude profile (ln of the orbit-weighted mean density) at fixed indices."""
        return self.orbit(inc_deg).profile(f107a_sfu, df_sfu, ap, day_of_year)

    def save(self, path) -> str:
        """Write the table in the package format (compressed, byte-reproducible .npz).

        ``log_rho`` and ``season_log_ratio`` are stored as int16 with a float64 offset and
        step per altitude (step <= 2e-4 in ln rho, i.e. < 0.01 % in density). Returns the
        sha256 of the file.
        """
        arrays = {
            "format": np.array(FORMAT),
            "format_version": np.array(FORMAT_VERSION),
            "provenance": np.array(json.dumps(self.provenance, sort_keys=True)),
            "alt_km": self.alt_km, "f107a_sfu": self.f107a_sfu, "df_sfu": self.df_sfu,
            "ap": self.ap, "lat_deg": self.lat_deg,
        }
        arrays.update(_quantize("log_rho", self.log_rho))
        if self.has_season:
            arrays.update(_quantize("season_log_ratio", self.season_log_ratio))
            arrays["season_day"] = self.season_day
            arrays["season_ref_df_sfu"] = np.array(self.season_ref_df_sfu)
            arrays["season_ref_ap"] = np.array(self.season_ref_ap)
            arrays["season_period_days"] = np.array(self.season_period_days)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name in sorted(arrays):
                data = io.BytesIO()
                np.lib.format.write_array(data, np.asarray(arrays[name]), allow_pickle=False)
                info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data.getvalue(), compresslevel=9)
        raw = buffer.getvalue()
        Path(path).write_bytes(raw)
        return hashlib.sha256(raw).hexdigest()


def _quantize(name, values):
    """int16 codes, per-altitude offset and step of a float array whose axis 0 is altitude."""
    v = np.asarray(values, dtype=np.float64)
    flat = v.reshape(v.shape[0], -1)
    lo, hi = flat.min(axis=1), flat.max(axis=1)
    offset = 0.5 * (lo + hi)
    step = np.maximum((hi - lo) / 65000.0, 1e-12)
    shape = (-1,) + (1,) * (v.ndim - 1)
    q = np.rint((v - offset.reshape(shape)) / step.reshape(shape)).astype(np.int16)
    return {f"{name}_q": q, f"{name}_offset": offset, f"{name}_step": step}


def _dequantize(data, name, fname):
    q = data[f"{name}_q"]
    offset = np.asarray(data[f"{name}_offset"], dtype=np.float64)
    step = np.asarray(data[f"{name}_step"], dtype=np.float64)
    if q.dtype != np.int16:
        raise ValueError(f"{fname}: {name}_q has dtype {q.dtype}; expected int16")
    if offset.shape != (q.shape[0],) or step.shape != (q.shape[0],):
        raise ValueError(f"{fname}: {name}_offset and {name}_step must have shape "
                         f"({q.shape[0]},), got {offset.shape} and {step.shape}")
    shape = (-1,) + (1,) * (q.ndim - 1)
    return offset.reshape(shape) + step.reshape(shape) * q


def _check_arrays(t) -> str | None:
    """Return what is wrong with a table's arrays, or None."""
    axes = {}
    for name in ("alt_km", "f107a_sfu", "df_sfu", "ap", "lat_deg"):
        a = np.asarray(getattr(t, name), dtype=np.float64)
        if a.ndim != 1 or a.size < 2:
            return f"axis {name} must be 1-D with >= 2 nodes, got shape {a.shape}"
        if not np.all(np.isfinite(a)) or np.any(np.diff(a) <= 0):
            return f"axis {name} must be finite and strictly increasing, got {a.tolist()}"
        axes[name] = a
    lat = axes["lat_deg"]
    if abs(lat[0] + 90) > 1e-9 or abs(lat[-1] - 90) > 1e-9:
        return f"lat_deg must run from -90 to 90, got {lat[0]} to {lat[-1]}"
    if axes["f107a_sfu"][0] <= 0 or axes["ap"][0] < 0:
        return "f107a_sfu must be > 0 and ap >= 0"
    shape = tuple(a.size for a in axes.values())
    log_rho = np.asarray(t.log_rho)
    if log_rho.shape != shape:
        return f"log_rho has shape {log_rho.shape}; the axes give {shape}"
    if not np.all(np.isfinite(log_rho)):
        return f"log_rho has {int(np.sum(~np.isfinite(log_rho)))} non-finite values"
    if (t.season_day is None) != (t.season_log_ratio is None):
        return "season_day and season_log_ratio must be given together"
    if t.season_day is not None:
        day = np.asarray(t.season_day, dtype=np.float64)
        period = float(t.season_period_days)
        if not (np.isfinite(period) and period > 0):
            return f"season_period_days = {period!r}; allowed: > 0"
        if (day.ndim != 1 or day.size < 2 or not np.all(np.isfinite(day))
                or np.any(np.diff(day) <= 0) or day[0] < 0 or day[-1] >= period):
            return "season_day must be 1-D strictly increasing in [0, season_period_days)"
        s_shape = (shape[0], shape[1], shape[4], day.size)
        ratio = np.asarray(t.season_log_ratio)
        if ratio.shape != s_shape:
            return f"season_log_ratio has shape {ratio.shape}; expected {s_shape}"
        if not np.all(np.isfinite(ratio)):
            return "season_log_ratio has non-finite values"
        if not np.any(axes["df_sfu"] == t.season_ref_df_sfu):
            return f"season_ref_df_sfu = {t.season_ref_df_sfu!r} is not a df_sfu node"
        if not np.any(axes["ap"] == t.season_ref_ap):
            return f"season_ref_ap = {t.season_ref_ap!r} is not an ap node"
    return None


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------
_REQUIRED = ("format", "format_version", "alt_km", "f107a_sfu", "df_sfu", "ap", "lat_deg")


def load_msis_table(path=None, *, model=DEFAULT_MODEL) -> MsisTable:
    """Load a density table: a packaged model's (NRLMSISE-00, NRLMSIS 2.1, DTM2000), or a
    file of the same format.

    Parameters
    ----------
    path : str or os.PathLike or None
        None (default) reads the table of ``model`` shipped with deorbit
        (:data:`~deorbit.atmosphere.models.DENSITY_MODELS`, provenance in
        ``deorbit/data/README.md``); otherwise a file
        in the same format (e.g. written by ``python -m deorbit.tools.msis_table --out PATH`` or
        :meth:`MsisTable.save`). ``log_rho`` may be given either quantized (``log_rho_q``,
        ``log_rho_offset``, ``log_rho_step``) or as a float array ``log_rho``; the season
        arrays are optional.
    model : str
        With ``path`` None: a name of :data:`~deorbit.atmosphere.models.DENSITY_MODELS`
        (``"nrlmsise00"``, the default, ``"nrlmsis21"`` or ``"dtm2000"``).

    Raises
    ------
    ValueError
        If the file is not a valid table (the message names the file and the problem).
    FileNotFoundError
        If ``path`` does not exist.
    """
    if path is None:
        table_file = density_model(model).table_file
        raw = data_bytes(table_file)
        name = data_label(table_file)
    else:
        name = os.fspath(path)
        raw = Path(path).read_bytes()
    try:
        npz = np.load(io.BytesIO(raw), allow_pickle=False)
        data = {k: npz[k] for k in npz.files}
    except Exception as exc:  # zipfile.BadZipFile, ValueError, OSError, EOFError, ...
        raise ValueError(f"{name}: not a readable .npz table file ({type(exc).__name__}: "
                         f"{exc})") from exc
    missing = [k for k in _REQUIRED if k not in data]
    if "log_rho" not in data and "log_rho_q" not in data:
        missing.append("log_rho (or log_rho_q/_offset/_step)")
    if missing:
        raise ValueError(f"{name}: missing arrays {missing}; has {sorted(data)}")
    if str(data["format"]) != FORMAT:
        raise ValueError(f"{name}: format is {str(data['format'])!r}, expected {FORMAT!r}")
    if int(data["format_version"]) != FORMAT_VERSION:
        raise ValueError(f"{name}: format_version {int(data['format_version'])} is not "
                         f"supported (this deorbit reads {FORMAT_VERSION})")
    try:
        if "log_rho" in data:
            log_rho = np.asarray(data["log_rho"], dtype=np.float64)
        else:
            log_rho = _dequantize(data, "log_rho", name)
        season_day = season = None
        if "season_day" in data or "season_log_ratio_q" in data or "season_log_ratio" in data:
            season_day = np.asarray(data["season_day"], dtype=np.float64)
            if "season_log_ratio" in data:
                season = np.asarray(data["season_log_ratio"], dtype=np.float64)
            else:
                season = _dequantize(data, "season_log_ratio", name)
        provenance = json.loads(str(data["provenance"])) if "provenance" in data else {}
        kwargs = {}
        for key in ("season_ref_df_sfu", "season_ref_ap", "season_period_days"):
            if key in data:
                kwargs[key] = float(data[key])
    except KeyError as exc:
        raise ValueError(f"{name}: missing array {exc}") from exc
    except (TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{name}: {exc}") from exc
    return MsisTable(
        alt_km=data["alt_km"], f107a_sfu=data["f107a_sfu"], df_sfu=data["df_sfu"],
        ap=data["ap"], lat_deg=data["lat_deg"], log_rho=log_rho, season_day=season_day,
        season_log_ratio=season, provenance=provenance, source=name, **kwargs)
