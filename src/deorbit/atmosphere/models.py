"""The density models deorbit ships tables of: one registry, by stable name.

No empirical thermosphere model is right, and they differ by more than the scenarios'
``density_scale`` (issue 21). deorbit tabulates several with the same axes, file format and
kernel interface (:mod:`deorbit.atmosphere.msis`); this module is the one place that lists
them. :func:`~deorbit.atmosphere.load_msis_table` (``model=``), ``deorbit fit-bc --model``
and the table builder (``python -m deorbit.tools.msis_table --model``) read it.

A ballistic coefficient belongs to the density model it was fitted with: a model that is 10 %
less dense needs a BC about 10 % smaller to decay the same way. ``bc_scale`` records, per model,
the BC fitted with that model's table divided by the BC fitted with NRLMSISE-00's on the same
tracking data (the ISS, ``deorbit fit-bc``), so that a BC calibrated with NRLMSISE-00 can be
carried over: ``bc_model = bc_nrlmsise00 * bc_scale``. The figures are measured (VALIDATION.md,
"Per density model"); ``tests/test_density_models.py`` refits them.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_MODEL", "DENSITY_MODELS", "BCScale", "DensityModel", "density_model"]


@dataclass(frozen=True)
class BCScale:
    """A model's BC relative to NRLMSISE-00's, measured on tracking data.

    Attributes
    ----------
    value : float
        BC fitted with the model / BC fitted with NRLMSISE-00 (dimensionless): the value to
        use, the geometric mean of ``ratios``.
    sigma_ln : float
        Its 1-sigma uncertainty in ln (dimensionless): the larger of the sample standard
        deviation of the ln of ``ratios`` (two epochs: a rough figure) and each data set's
        standard error of the ln ratio from its sub-arcs or element-set pairs
        (:func:`deorbit.tools.bc_scale.measure_bc_scale`).
    ratios : tuple of (str, float)
        Each data set (a packaged tracking data name,
        :data:`deorbit.tools.bc_scale.DATA_SETS`) and its measured ratio.
    provenance : str
        The commands and the date of the measurement.
    """

    value: float
    sigma_ln: float
    ratios: tuple = ()
    provenance: str = ""


@dataclass(frozen=True)
class DensityModel:
    """One density model deorbit ships a table of.

    Attributes
    ----------
    name : str
        Stable name (scenario files, ``--model``).
    display_name : str
        The model's own name.
    table_file : str
        The table in ``deorbit/data`` (provenance and sha256 in ``deorbit/data/README.md``).
    evaluator : str
        What the table builder evaluates: ``"pymsis"`` (with ``pymsis_version``) or
        ``"orekit"`` (Orekit's DTM2000, build time only).
    pymsis_version : float or None
        pymsis ``version`` of the model (None if not a pymsis model).
    reference : str
        The model's publication.
    bc_scale : BCScale
        BC with this model / BC with NRLMSISE-00 (see the module docstring).
    """

    name: str
    display_name: str
    table_file: str
    evaluator: str
    pymsis_version: float | None
    reference: str
    bc_scale: BCScale


_MEASURED = ("python -m deorbit.tools.bc_scale: deorbit fit-bc iss-oem-2022-02 --until "
             "2022-02-26T01:30 and deorbit fit-bc iss-tle-2026-05, --model {} and --model "
             "nrlmsise00; {} (VALIDATION.md, 'Per density model')")

#: The registry, by stable name; the first is the default.
DENSITY_MODELS = {m.name: m for m in (
    DensityModel(
        name="nrlmsise00", display_name="NRLMSISE-00", table_file="msis_table.npz",
        evaluator="pymsis", pymsis_version=0,
        reference="Picone, Hedin, Drob, Aikin, J. Geophys. Res. 107(A12), 1468 (2002), "
                  "doi:10.1029/2002JA009430",
        bc_scale=BCScale(1.0, 0.0, (), "the reference model (1 by definition)")),
    DensityModel(
        name="nrlmsis21", display_name="NRLMSIS 2.1", table_file="nrlmsis21_table.npz",
        evaluator="pymsis", pymsis_version=2.1,
        reference="Emmert et al., Earth Space Sci. 8, e2020EA001321 (2021) (NRLMSIS 2.0); "
                  "Emmert et al., Geophys. Res. Lett. 49, e2022GL099654 (2022) (2.1)",
        bc_scale=BCScale(0.910, 0.038,
                         (("iss-oem-2022-02", 0.935), ("iss-tle-2026-05", 0.886)),
                         _MEASURED.format("nrlmsis21", "2026-12-07"))),
    DensityModel(
        name="dtm2000", display_name="DTM2000", table_file="dtm2000_table.npz",
        evaluator="orekit", pymsis_version=None,
        reference="Bruinsma, Thuillier, Barlier, J. Atmos. Sol.-Terr. Phys. 65, 1053-1070 "
                  "(2003), doi:10.1016/S1364-6826(03)00137-8",
        bc_scale=BCScale(0.966, 0.007,
                         (("iss-oem-2022-02", 0.970), ("iss-tle-2026-05", 0.962)),
                         _MEASURED.format("dtm2000", "2026-12-07"))),
)}
#: The default model: the scenarios', and the one ``bc_scale`` is relative to.
DEFAULT_MODEL = "nrlmsise00"


def density_model(name) -> DensityModel:
    """The registry entry of ``name``; ValueError naming the allowed names otherwise."""
    try:
        return DENSITY_MODELS[name]
    except (KeyError, TypeError):
        raise ValueError(f"model = {name!r}: allowed "
                         f"{', '.join(map(repr, DENSITY_MODELS))}") from None
