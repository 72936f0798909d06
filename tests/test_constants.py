"""The compiled kernel's C macros and tableaux equal the Python sources of truth."""
import re
from pathlib import Path

import numpy as np
import pytest

from deorbit import _tableaux, constants

EXT = Path(__file__).resolve().parents[1] / "ext"


def test_c_macros_equal_python_constants():
    text = (EXT / "deorbit_constants.h").read_text()
    macros = dict(re.findall(r"#define (\w+) (.+)", text))
    names = ["MU_M3_S2", "EARTH_RADIUS_M", "FLATTENING", "ECCENTRICITY_SQ",
             "EARTH_ROTATION_RAD_S", "J2", "J3", "J4", "SECONDS_PER_DAY"]
    values = {}
    for name in names:
        assert name in macros, f"{name} missing from deorbit_constants.h"
        # Evaluate the macro with the previously defined ones in scope (C and Python agree
        # on these simple arithmetic expressions).
        values[name] = eval(macros[name], {}, dict(values))  # noqa: S307
        assert values[name] == getattr(constants, name), name


def test_tableaux_header_is_current():
    assert (EXT / "tableaux.h").read_text() == _tableaux.c_header(), (
        "ext/tableaux.h is stale: regenerate with python -m deorbit._tableaux > ext/tableaux.h")


@pytest.mark.parametrize("e", [0.0, 1e-4, 0.001, 0.0035, 0.005, 0.02, 0.05, 0.1, 0.15])
def test_orbit_averaging_rule_resolves_the_density_along_the_orbit(e):
    """The trapezoidal rule the mean phase uses, with the node count chosen from e, averages
    exp(x cos E), x = a e / H (the density along an orbit of scale height H), to 1e-6 of
    the exact I_0(x); half as many nodes would not be enough at the upper end of each band."""
    from deorbit import _reference as ref

    a = 6.78e6
    x = a * e / ref.QUAD_SCALE_M
    stride = ref.quadrature_stride(a, e)
    exact = float(np.i0(x))

    def rule(step):
        k = np.arange(0, ref.N_QUAD_MAX, step)
        return np.mean(np.exp(x * np.cos(2.0 * np.pi * k / ref.N_QUAD_MAX)))

    if e <= 0.1:
        assert rule(stride) == pytest.approx(exact, rel=1e-6)
    if stride < ref.N_QUAD_MAX // 8 and x > 1.0:  # fewer nodes than chosen
        assert rule(2 * stride) != pytest.approx(exact, rel=1e-6)


def test_dop853_weights_are_consistent():
    # Each stage's A row sums to its node C (stage consistency), and B sums to 1.
    for s in range(1, 16):
        assert sum(_tableaux.A[s]) == pytest.approx(_tableaux.C[s], abs=1e-14), s
    assert sum(_tableaux.B) == pytest.approx(1.0, abs=1e-14)


def test_kernel_params_header_is_current():
    from deorbit import _kernel_params

    assert (EXT / "kernel_params.h").read_text() == _kernel_params.c_header(), (
        "ext/kernel_params.h is stale: regenerate with "
        "python -m deorbit._kernel_params > ext/kernel_params.h")


def test_reference_backend_uses_the_kernel_params():
    """The pure-Python backend reads the same constants (no copy of its own)."""
    from deorbit import _kernel_params, _reference

    for name in _kernel_params.NAMES:
        assert getattr(_reference, name, getattr(_kernel_params, name)) is getattr(
            _kernel_params, name), name
