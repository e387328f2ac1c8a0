"""Two-step O(3) Floquet drive (resonance-model-crossover.txt Eqs. 4-5)."""

import itertools

import numpy as np
import pytest
import scipy.linalg

from mblkit.models import O3FloquetChain, O3HeisenbergChain
from mblkit.spins import assemble


def test_j_zero_is_a_product_of_single_site_rotations(rng):
    """J = 0: U_F = prod_n exp(-i (T/2) W v_n . sigma_n), eigenphases -(T/2) W sum_n +-|v_n|."""
    model = O3FloquetChain(5, W=1.3, Omega=2.0, J=0.0)
    v = model.sample(rng)
    U = model.unitary(v)
    half = 0.5 * model.period * model.W * np.linalg.norm(v, axis=1)
    expected = [np.angle(np.exp(-1j * np.dot(s, half)))
                for s in itertools.product((1, -1), repeat=5)]
    assert np.allclose(np.sort(np.angle(np.linalg.eigvals(U))), np.sort(expected), atol=1e-10)


def test_no_field_is_the_exchange_propagator(rng):
    model = O3FloquetChain(6, W=0.0, Omega=3.0, J=0.7)
    H_J = 2 * assemble(model.static.exchange_terms(), model.static.basis()).toarray()
    expected = scipy.linalg.expm(-0.5j * model.period * H_J)  # H_J = J sum sigma . sigma
    assert np.allclose(model.unitary(model.sample(rng)), expected, atol=1e-12)


def test_fast_drive_approaches_the_static_chain_of_eq_61_as_t_squared(rng):
    """U_F - exp(-i T H_61) = O(T^2) (Trotter): halving T divides the error by ~4."""
    v = O3HeisenbergChain(6, W=2.0, J=1.0).sample(rng)
    H = O3HeisenbergChain(6, W=2.0, J=1.0).hamiltonian(v).toarray()
    errors = []
    for Omega in (40.0, 80.0):
        model = O3FloquetChain(6, W=2.0, Omega=Omega, J=1.0)
        U = model.unitary(v)
        assert np.allclose(U.conj().T @ U, np.eye(64), atol=1e-12)
        errors.append(np.linalg.norm(U - scipy.linalg.expm(-1j * model.period * H), 2))
    assert 3.6 < errors[0] / errors[1] < 4.4


@pytest.mark.parametrize("kwargs, message", [({"Omega": 0.0}, "Omega"), ({"Omega": -1.0}, "Omega"),
                                             ({"Omega": 1.0, "W": -1.0}, "W="),
                                             ({"Omega": 1.0, "boundary": "twisted"}, "boundary")])
def test_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        O3FloquetChain(**{"L": 6, "W": 1.0, **kwargs})
