"""Probe spin coupled to the O(3) chain (resonance-model-crossover.txt Eqs. 14-19 and 68),
checked against Kronecker products and matrix exponentials built independently here."""

import numpy as np
import pytest
import scipy.linalg

from mblkit.models import O3FloquetChain, O3HeisenbergChain
from mblkit.models.probe import ProbeFloquetChain, ProbeStaticChain, apply_probe_sigma_z
from mblkit.spins.operators import dense_operator

SX = np.array([[0, 1], [1, 0]], dtype=complex)
SZ = np.array([[-1, 0], [0, 1]], dtype=complex)  # basis (down, up) = (bit 0, bit 1)


def probe_op(single: np.ndarray, L: int) -> np.ndarray:
    """A one-spin operator on the probe (bit L, the leftmost Kronecker factor)."""
    return np.kron(single, np.eye(1 << L))


def chain_op(matrix: np.ndarray) -> np.ndarray:
    return np.kron(np.eye(2), matrix)


def test_static_hamiltonian_is_eq_68(rng):
    model = ProbeStaticChain(5, W=3.0, J=0.8, h=1.7, coupling=0.6)
    v = model.sample(rng)
    H_chain = O3HeisenbergChain(5, 3.0, 0.8).hamiltonian(v).toarray()
    expected = (chain_op(H_chain) + 0.85 * probe_op(SZ, 5)
                + 0.6 * probe_op(SX, 5) @ chain_op(dense_operator("x", [0], 5)))
    H = model.hamiltonian(v).toarray()
    assert np.allclose(H, expected, atol=1e-13)
    assert np.allclose(H, H.conj().T)


def test_floquet_unitary_is_eqs_17_to_19(rng):
    model = ProbeFloquetChain(4, W=2.0, Omega=5.0, J=0.7, h=1.3, coupling=0.4)
    v = model.sample(rng)
    T = 2 * np.pi / 5.0
    U_chain = O3FloquetChain(4, 2.0, 5.0, 0.7).unitary(v)
    U0 = np.kron(scipy.linalg.expm(-0.5j * 1.3 * T * SZ), U_chain)  # Eq. 18
    coupling = 0.4 * probe_op(SX, 4) @ chain_op(dense_operator("x", [0], 4))
    U1 = scipy.linalg.expm(-1j * T * coupling)  # Eq. 19
    U = model.unitary(v)
    assert np.allclose(U, U1 @ U0, atol=1e-12)
    assert np.allclose(U.conj().T @ U, np.eye(32), atol=1e-12)


def test_fast_drive_tends_to_the_static_probe_as_t_squared(rng):
    """U_1 U_0 - exp(-i T H_68) = O(T^2): halving T divides the error by ~4."""
    v = ProbeStaticChain(4, W=2.0).sample(rng)
    H = ProbeStaticChain(4, W=2.0, h=1.1, coupling=0.5).hamiltonian(v).toarray()
    errors = []
    for Omega in (40.0, 80.0):
        model = ProbeFloquetChain(4, W=2.0, Omega=Omega, h=1.1, coupling=0.5)
        errors.append(np.linalg.norm(model.unitary(v)
                                     - scipy.linalg.expm(-1j * model.period * H), 2))
    assert 3.6 < errors[0] / errors[1] < 4.4


def test_decoupled_probe_conserves_sigma_z(rng):
    for model in (ProbeStaticChain(4, W=1.0, coupling=0.0),
                  ProbeFloquetChain(4, W=1.0, Omega=3.0, coupling=0.0)):
        v = model.sample(rng)
        M = (model.hamiltonian(v).toarray() if isinstance(model, ProbeStaticChain)
             else model.unitary(v))
        Z = probe_op(SZ, 4)
        assert np.allclose(M @ Z, Z @ M, atol=1e-13)
    coupled = ProbeStaticChain(4, W=1.0)
    H = coupled.hamiltonian(coupled.sample(rng)).toarray()
    assert not np.allclose(H @ probe_op(SZ, 4), probe_op(SZ, 4) @ H)


def test_defaults_follow_eq_16_and_eq_18():
    assert ProbeStaticChain(3, W=2.5, J=0.5).probe_field == 2.5
    assert ProbeStaticChain(3, W=2.5, J=0.5).probe_coupling == 0.5
    model = ProbeFloquetChain(3, W=2.5, Omega=4.0, J=0.5, h=0.0, coupling=-1.0)
    assert model.probe_field == 0.0 and model.probe_coupling == -1.0
    assert model.dim == 16 and model.period == pytest.approx(np.pi / 2)
    assert model.chain == O3FloquetChain(3, 2.5, 4.0, 0.5)


def test_operator_applications_match_dense_operators(rng):
    model = ProbeStaticChain(3, W=1.0, coupling=0.3)
    states = rng.normal(size=(16, 5)) + 1j * rng.normal(size=(16, 5))
    expected = dense_operator("z", [3], 4) @ states
    assert np.allclose(model.apply_sigma_z(states.copy()), expected)
    chain_states = rng.normal(size=(8, 4))
    assert np.allclose(model.apply_coupling(chain_states),
                       0.3 * dense_operator("x", [0], 3) @ chain_states)


def test_sample_is_the_chain_realisation():
    a = ProbeStaticChain(6, W=1.0).sample(np.random.default_rng(3))
    b = O3HeisenbergChain(6, W=1.0).sample(np.random.default_rng(3))
    assert a.shape == (6, 3) and np.array_equal(a, b)


@pytest.mark.parametrize("cls, kwargs, message", [
    (ProbeStaticChain, {"L": 0}, "L=0"),
    (ProbeStaticChain, {"L": 24}, "L=24"),
    (ProbeStaticChain, {"h": float("nan")}, "h=nan"),
    (ProbeStaticChain, {"coupling": "strong"}, "coupling="),
    (ProbeStaticChain, {"W": -1.0}, "W="),
    (ProbeStaticChain, {"boundary": "twisted"}, "boundary"),
    (ProbeFloquetChain, {"Omega": 0.0}, "Omega"),
    (ProbeFloquetChain, {"h": float("inf")}, "h=inf"),
])
def test_bad_parameters(cls, kwargs, message):
    base = {"L": 4, "W": 1.0} | ({"Omega": 2.0} if cls is ProbeFloquetChain else {})
    with pytest.raises(ValueError, match=message):
        cls(**(base | kwargs))


def test_bad_arrays():
    model = ProbeFloquetChain(3, W=1.0, Omega=2.0)
    with pytest.raises(ValueError, match="shape"):
        model.unitary(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="16 rows"):
        apply_probe_sigma_z(np.zeros((8, 2)), 3)
    with pytest.raises(ValueError, match="8"):
        model.apply_coupling(np.zeros((16, 2)))
