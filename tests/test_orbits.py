"""The vectorised orbit helpers (deorbit.orbits) agree with the kernel's scalar versions
(deorbit._reference): one definition of each thing, held to its twin inside the integrator."""
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from deorbit import _reference as ref
from deorbit import orbits
from deorbit.constants import EARTH_RADIUS_M, J2, MU_M3_S2

states = st.tuples(
    st.floats(6.5e6, 8.0e6), st.floats(0.0, 0.05), st.floats(0.01, math.pi - 0.01),
    st.floats(0.0, 2 * math.pi), st.floats(0.0, 2 * math.pi), st.floats(0.0, 2 * math.pi))


def _state(el):
    a, e, inc, raan, w, lam = el
    return np.array(ref.elements_to_state([a, e * math.cos(w), e * math.sin(w), inc, raan,
                                           lam]))


@settings(max_examples=60, deadline=None)
@given(el=states)
def test_semi_major_axis_and_angles_match_the_reference(el):
    y = _state(el)
    a_ref, _, _, inc_ref, raan_ref, _ = ref.state_to_elements(list(y))
    np.testing.assert_allclose(orbits.semi_major_axis_m(y[None, :]), [ref.semi_major_axis_m(
        list(y))], rtol=1e-14)
    assert math.isclose(orbits.semi_major_axis_m(y[None, :])[0], a_ref, rel_tol=1e-14)
    inc, raan, u = orbits.plane_angles(y[None, :])
    assert math.isclose(inc[0], inc_ref, abs_tol=1e-12)
    assert math.isclose(math.remainder(raan[0] - raan_ref, 2 * math.pi), 0.0, abs_tol=1e-12)
    n_hat, m_hat, h_hat = orbits.node_frame(inc_ref, raan_ref)
    n_ref, m_ref, h_ref = ref._node_frame(inc_ref, raan_ref)
    np.testing.assert_allclose(n_hat, n_ref, atol=1e-15)
    np.testing.assert_allclose(m_hat, m_ref, atol=1e-15)
    np.testing.assert_allclose(h_hat, h_ref, atol=1e-15)
    r = y[:3]
    assert math.isclose(math.atan2(r @ m_hat, r @ n_hat), u[0], abs_tol=1e-12)


@settings(max_examples=30, deadline=None)
@given(a=st.floats(6.5e6, 8.0e6), inc=st.floats(0.0, math.pi))
def test_circular_j2_rates_match_the_mean_element_rates(a, inc):
    """The reference's orbit-averaged rates of a circular orbit (e = 0, no drag): the same
    node rate and argument-of-latitude rate."""
    udot, odot = orbits.circular_j2_rates(np.array([a]), np.array([inc]))
    n = math.sqrt(MU_M3_S2 / a**3)
    k = J2 * (EARTH_RADIUS_M / a) ** 2
    assert math.isclose(odot[0], -1.5 * n * k * math.cos(inc), rel_tol=1e-14, abs_tol=1e-20)
    wdot = 0.75 * n * k * (5.0 * math.cos(inc) ** 2 - 1.0)
    assert math.isclose(udot[0], wdot + n * (1.0 + 0.75 * k * (3.0 * math.cos(inc) ** 2 - 1.0)),
                        rel_tol=1e-14)


def test_rtn_basis_is_orthonormal_and_radial_first():
    y = np.stack([_state((6.8e6, 0.001, 0.9, 0.3, 0.2, k)) for k in (0.1, 2.0, 4.0)])
    b = orbits.rtn_basis(y)
    np.testing.assert_allclose(b @ b.transpose(0, 2, 1), np.broadcast_to(np.eye(3), b.shape),
                               atol=1e-14)
    np.testing.assert_allclose(b[:, 0], y[:, :3] / np.linalg.norm(y[:, :3], axis=1,
                                                                  keepdims=True), atol=1e-15)
    assert np.all(np.einsum("ij,ij->i", b[:, 1], y[:, 3:]) > 0)  # in-track along the motion
