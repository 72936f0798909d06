"""The density's exponential (det_exp): the compiled lanes equal the reference bit for bit,
and it is within 2 ulp of e^x."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deorbit import _reference
from deorbit._kernel_params import EXP_MAX_X, EXP_MIN_X

from .conftest import BACKENDS

EDGES = [0.0, -0.0, 1e-300, -1e-300, 0.5 * math.log(2), -0.5 * math.log(2), EXP_MIN_X,
         EXP_MAX_X, EXP_MIN_X - 1e-9, EXP_MAX_X + 1e-9, -745.2, 710.0, -1e308, 1e308,
         -math.inf, math.inf, math.nan]


def _reference_exp(x):
    return np.array([_reference.det_exp(float(v)) for v in x])


def _ulps(a, b):
    """|a - b| in units in the last place of b (finite, normal b)."""
    return np.abs(a - b) / np.spacing(np.abs(b))


@pytest.mark.skipif(BACKENDS["compiled"] is None, reason="compiled kernel not built")
@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 50))
def test_the_lanes_equal_the_reference(seed, n):
    """Any count (a lane remainder), ln rho values, the ends of the range: the same bytes."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.uniform(-60.0, 5.0, n), rng.uniform(-800.0, 800.0, n), EDGES])
    out = np.empty_like(x)
    BACKENDS["compiled"].density_exp(x, out)
    assert out.tobytes() == _reference_exp(x).tobytes()


def test_within_two_ulp_of_exp():
    """Against math.exp (glibc's: < 1 ulp) over the densities' range and the whole normal
    range; the ends as documented."""
    rng = np.random.default_rng(1)
    for lo, hi in ((-60.0, 0.0), (EXP_MIN_X, EXP_MAX_X), (-1e-6, 1e-6)):
        x = rng.uniform(lo, hi, 20000)
        got = _reference_exp(x)
        assert np.max(_ulps(got, np.exp(x))) <= 2.0
    assert _reference.det_exp(0.0) == 1.0 and _reference.det_exp(1.0) == math.e
    assert _reference.det_exp(EXP_MIN_X - 1e-9) == 0.0
    assert _reference.det_exp(EXP_MAX_X + 1e-9) == math.inf
    assert math.isnan(_reference.det_exp(math.nan))
