"""Breakup and fragments: what survives to the ground, and where it lands.

A fragment model is a list of classes; each class stands for ``count`` similar pieces of
``mass_kg`` and mean cross-section ``area_m2`` whose ballistic coefficients are spread
log-normally about ``bc_median_kg_m2`` (``bc_sigma_ln``: standard deviation of ln BC). In a
sample, each class falls once, with a ballistic coefficient drawn from its spread, from the
breakup state to the ground; all its pieces are counted at that impact point. The counts are
scaled so that the model's total mass equals the sampled surviving mass.

The default ISS model (:data:`ISS_DEFAULT`) is an assumption, not a published breakup
analysis: classes and sizes are chosen to resemble what survives large-spacecraft entries
(dense mechanisms, truss and tank pieces, module shell, boxes, small hardware); its total
mass, ~63.5 t (15 % of 420 t), is rescaled to the sampled 10-40 % surviving fraction
(DESIGN section 4). Every number is here to be read and replaced with a fragment file.

Fragment file format (CSV, ``#`` comments allowed)::

    name,count,mass_kg,area_m2,bc_median_kg_m2,bc_sigma_ln
    truss segments,60,400,4.0,100,0.4
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._messages import decode_utf8, shown
from .constants import EARTH_RADIUS_M, MU_M3_S2
from .frames import eci_to_geodetic, ground_relative_velocity

COLUMNS = ("name", "count", "mass_kg", "area_m2", "bc_median_kg_m2", "bc_sigma_ln")
#: Fragments fall by integration down to this altitude, km, and below it in their terminal
#: descent (:func:`terminal_descent`) if they are near their terminal speed by then.
TERMINAL_ALT_KM = 10.0
#: Near terminal speed: at most this times it through the air. Faster (heavy) fragments
#: still glide far on their horizontal speed, and are integrated to the ground.
TERMINAL_SPEED_RATIO = 1.15


@dataclass(frozen=True)
class FragmentClass:
    name: str
    count: float
    mass_kg: float
    area_m2: float
    bc_median_kg_m2: float
    bc_sigma_ln: float


@dataclass(frozen=True)
class FragmentModel:
    classes: tuple
    source: str

    @property
    def mass_kg(self):
        """Total mass of the model, kg."""
        return float(sum(c.count * c.mass_kg for c in self.classes))

    def arrays(self):
        """(count, mass_kg, area_m2, bc_median, bc_sigma) as float arrays, one per class."""
        cols = COLUMNS[1:]
        return tuple(np.array([getattr(c, k) for c in self.classes], dtype=np.float64)
                     for k in cols)


ISS_DEFAULT = FragmentModel(classes=(
    FragmentClass("dense mechanisms (CMG rotors, docking rings)", 20, 300.0, 0.5, 500.0, 0.3),
    FragmentClass("truss and structural segments", 60, 400.0, 4.0, 100.0, 0.4),
    FragmentClass("module shell pieces", 150, 150.0, 3.0, 50.0, 0.4),
    FragmentClass("tanks (titanium, composite overwrapped)", 40, 50.0, 0.5, 100.0, 0.3),
    FragmentClass("batteries and avionics boxes", 150, 40.0, 0.3, 130.0, 0.3),
    FragmentClass("small dense hardware (fasteners, bearings)", 2000, 0.5, 0.005, 100.0, 0.5),
    FragmentClass("light large panels (radiators, thermal)", 100, 20.0, 2.0, 10.0, 0.5),
), source="deorbit default ISS fragment model (assumption; see deorbit.fragments)")


class FragmentFileError(ValueError):
    """A fragment file is unreadable or malformed; the message names the file and line."""


def load_fragment_model(path) -> FragmentModel:
    """Read a fragment CSV (see the module docstring): UTF-8, a byte-order mark allowed.

    Raises
    ------
    FragmentFileError
        Naming the file, the 1-based line (``path:line:``) and what is wrong.
    """
    path = Path(path)

    def fail(lineno, message):
        return FragmentFileError(f"{path}:{lineno}: {message}")

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FragmentFileError(f"{path}: cannot read the fragment file ({exc})") from None
    rows = [(i + 1, line) for i, line in enumerate(decode_utf8(raw, fail).splitlines())
            if line.strip() and not line.lstrip().startswith("#")]
    if not rows:
        raise fail(1, f"no header line; expected {','.join(COLUMNS)}")
    lineno, header = rows[0]
    if [h.strip() for h in _csv_fields(header, lineno, fail)] != list(COLUMNS):
        raise fail(lineno, f"header must be {','.join(COLUMNS)}, got {shown(header)}")
    classes = []
    for lineno, line in rows[1:]:
        fields = [f.strip() for f in _csv_fields(line, lineno, fail)]
        if len(fields) != len(COLUMNS):
            raise fail(lineno, f"expected {len(COLUMNS)} fields, got {len(fields)}: "
                               f"{shown(line)}")
        values = []
        for col, text in zip(COLUMNS[1:], fields[1:]):
            try:
                v = float(text)
            except ValueError:
                raise fail(lineno, f"{col} = {shown(text)} is not a number") from None
            ok = v >= 0 if col == "bc_sigma_ln" else v > 0
            if not np.isfinite(v) or not ok:
                raise fail(lineno, f"{col} = {shown(text)}; allowed "
                                   f"{'>= 0' if col == 'bc_sigma_ln' else '> 0'}")
            values.append(v)
        classes.append(FragmentClass(fields[0], *values))
    if not classes:
        raise fail(rows[-1][0], "no fragment classes after the header")
    return FragmentModel(tuple(classes), source=str(path))


def _csv_fields(line, lineno, fail):
    """The fields of one CSV line; a line the csv module refuses (a field over its size
    limit, a NUL byte) raises ``fail(lineno, ...)``."""
    try:
        return next(csv.reader([line]))
    except csv.Error as exc:
        raise fail(lineno, f"not a CSV line ({exc}): {shown(line)}") from None


def sample_classes(model: FragmentModel, rng: np.random.Generator, n: int):
    """Per-sample ballistic coefficients, (n, K) kg/m^2, log-normal about each class median."""
    _, _, _, median, sigma = model.arrays()
    z = np.clip(rng.standard_normal((n, median.size)), -6.0, 6.0)
    return median * np.exp(sigma * z)


def terminal_descent(state_eci, epoch_utc_days, bc_kg_m2, table):
    """Impact point and speed of fragments from their states at :data:`TERMINAL_ALT_KM`.

    Low in the atmosphere a fragment falls at about its terminal speed
    ``v_t(h) = sqrt(2 g BC / rho(h))`` (drag = weight), and the drag, ``rho |v| v / 2 BC``,
    damps its horizontal motion relative to the air (the rotating Earth) at the rate
    ``k = rho |v| / 2 BC``: it drifts ``v_h / k`` further, along ``v_h``, and meets the
    ground at ``v_t(0)``. Integrating these last kilometres costs half of the fall (the
    steps shrink to the drag time, seconds, for minutes).

    Only for fragments near their terminal speed (:data:`TERMINAL_SPEED_RATIO`); checked
    against the fall integrated to the ground at rtol 1e-9 for BC 3-3000 kg/m^2
    (tests/test_operations.py): impact points within 0.35 km, speeds within 5 %.

    Parameters
    ----------
    state_eci : ndarray (n, 6)
        ECI states at the terminal altitude, m and m/s.
    epoch_utc_days : ndarray (n,)
        Their epochs, UTC days since J2000.
    bc_kg_m2 : ndarray (n,)
        Ballistic coefficients m / (Cd A), kg/m^2.
    table : deorbit.atmosphere.DensityTable
        Density near the ground (the fall table).

    Returns
    -------
    lat_deg, lon_deg, speed_m_s : ndarray (n,)
        Geodetic impact point and the speed relative to the ground.
    terminal : ndarray of bool (n,)
        Near terminal speed (the others' values are not meaningful).
    """
    r = state_eci[:, :3]
    lat, lon, alt = eci_to_geodetic(r, epoch_utc_days)
    v_air = ground_relative_velocity(state_eci)
    speed_air = np.linalg.norm(v_air, axis=1)
    # east and north in ECI at the fragment: the ECEF axes turned by the sidereal angle are
    # the same rotation about z as from r's longitude in ECI
    lam = np.arctan2(r[:, 1], r[:, 0])
    phi = np.radians(lat)
    east = np.stack([-np.sin(lam), np.cos(lam), np.zeros_like(lam)], axis=1)
    north = np.stack([-np.sin(phi) * np.cos(lam), -np.sin(phi) * np.sin(lam), np.cos(phi)],
                     axis=1)
    v_e = np.einsum("ij,ij->i", v_air, east)
    v_n = np.einsum("ij,ij->i", v_air, north)
    g = MU_M3_S2 / np.einsum("ij,ij->i", r, r)
    rho = table.density(alt)
    k = rho * speed_air / (2.0 * bc_kg_m2)
    lat_out = lat + np.degrees(v_n / k / EARTH_RADIUS_M)
    lon_out = lon + np.degrees(v_e / k / (EARTH_RADIUS_M * np.cos(phi)))
    speed = np.sqrt(2.0 * g * bc_kg_m2 / table.density(np.zeros_like(alt)))
    terminal = speed_air <= TERMINAL_SPEED_RATIO * np.sqrt(2.0 * g * bc_kg_m2 / rho)
    return lat_out, (lon_out + 180.0) % 360.0 - 180.0, speed, terminal
