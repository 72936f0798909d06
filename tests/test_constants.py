"""The compiled kernel's C macros and tableaux equal the Python sources of truth."""
import re
from pathlib import Path

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


@pytest.mark.parametrize("order", [2, 8, 16, 31])
def test_gauss_legendre_rule_integrates_polynomials(order):
    # 16 nodes integrate x^k exactly on [-1, 1] for k <= 31.
    exact = 0.0 if order % 2 else 2.0 / (order + 1)
    assert sum(w * x**order for x, w in zip(_tableaux.GL_X, _tableaux.GL_W)) == pytest.approx(
        exact, abs=1e-14)


def test_dop853_weights_are_consistent():
    # Each stage's A row sums to its node C (stage consistency), and B sums to 1.
    for s in range(1, 16):
        assert sum(_tableaux.A[s]) == pytest.approx(_tableaux.C[s], abs=1e-14), s
    assert sum(_tableaux.B) == pytest.approx(1.0, abs=1e-14)
