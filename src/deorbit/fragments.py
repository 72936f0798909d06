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

COLUMNS = ("name", "count", "mass_kg", "area_m2", "bc_median_kg_m2", "bc_sigma_ln")


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


def load_fragment_model(path) -> FragmentModel:
    """Read a fragment CSV (see the module docstring).

    Raises
    ------
    ValueError
        Naming the file, the 1-based line and what is wrong.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the fragment file ({exc})") from None
    rows = [(i + 1, line) for i, line in enumerate(lines)
            if line.strip() and not line.lstrip().startswith("#")]
    if not rows:
        raise ValueError(f"{path}: no header line; expected {','.join(COLUMNS)}")
    lineno, header = rows[0]
    if [h.strip() for h in next(csv.reader([header]))] != list(COLUMNS):
        raise ValueError(f"{path} line {lineno}: header must be {','.join(COLUMNS)}, "
                         f"got {header!r}")
    classes = []
    for lineno, line in rows[1:]:
        fields = [f.strip() for f in next(csv.reader([line]))]
        if len(fields) != len(COLUMNS):
            raise ValueError(f"{path} line {lineno}: expected {len(COLUMNS)} fields, "
                             f"got {len(fields)}: {line!r}")
        values = []
        for col, text in zip(COLUMNS[1:], fields[1:]):
            try:
                v = float(text)
            except ValueError:
                raise ValueError(f"{path} line {lineno}: {col} = {text!r} is not a "
                                 "number") from None
            ok = v >= 0 if col == "bc_sigma_ln" else v > 0
            if not np.isfinite(v) or not ok:
                raise ValueError(f"{path} line {lineno}: {col} = {text!r}; allowed "
                                 f"{'>= 0' if col == 'bc_sigma_ln' else '> 0'}")
            values.append(v)
        classes.append(FragmentClass(fields[0], *values))
    if not classes:
        raise ValueError(f"{path}: no fragment classes after the header")
    return FragmentModel(tuple(classes), source=str(path))


def sample_classes(model: FragmentModel, rng: np.random.Generator, n: int):
    """Per-sample ballistic coefficients, (n, K) kg/m^2, log-normal about each class median."""
    _, _, _, median, sigma = model.arrays()
    z = np.clip(rng.standard_normal((n, median.size)), -6.0, 6.0)
    return median * np.exp(sigma * z)
