"""Brickwork Floquet circuit (resonant-energy-scales-floquet.txt App. A)."""

import itertools

import numpy as np
import pytest
from scipy import stats

from mblkit.models.brickwork import SWAP, BrickworkCircuit, haar_unitaries, su2_axis
from mblkit.spins.gates import apply_one_site


def embed(op: np.ndarray, site: int, L: int) -> np.ndarray:
    full = np.eye(2**L, dtype=complex)
    return apply_one_site(full, op, site)


def kron_reference(model: BrickworkCircuit, real) -> np.ndarray:
    """W from explicit Kronecker products and a permutation for the wrap-around gate."""
    L = model.L
    # site i is bit i, so in np.kron order (most significant first) site L-1 comes first
    def on_pair(gate, j):
        k = (j + 1) % L
        if k == j + 1:  # sites j, j+1 adjacent: kron(..., B on j+1, A on j, ...)
            g = gate.reshape(2, 2, 2, 2).transpose(1, 0, 3, 2).reshape(4, 4)  # order (s_k, s_j)
            return np.kron(np.kron(np.eye(2 ** (L - 2 - j)), g), np.eye(2**j))
        # wrap gate on (L-1, 0): conjugate an adjacent gate by the cyclic shift of sites
        P = np.zeros((2**L, 2**L))
        for s in range(2**L):
            t = ((s << 1) | (s >> (L - 1))) & (2**L - 1)  # site i -> site i+1
            P[t, s] = 1
        inner = on_pair(gate, 0) if L > 2 else None  # the same gate on sites (0, 1)
        return P.T @ inner @ P
    W = np.eye(2**L, dtype=complex)
    for parity in (0, 1):
        for j in range(parity, L, 2):
            W = on_pair(model.gate(real, j), j) @ W
    return W


def test_haar_unitaries_are_unitary_and_haar(rng):
    u = haar_unitaries(rng, 4000)
    assert np.allclose(u @ u.conj().transpose(0, 2, 1), np.eye(2), atol=1e-13)
    # Haar on U(2): |u_00|^2 is uniform on [0, 1] and arg det u is uniform on (-pi, pi]
    assert stats.kstest(np.abs(u[:, 0, 0]) ** 2, "uniform").pvalue > 1e-3
    phase = np.angle(np.linalg.det(u))
    assert stats.kstest((phase + np.pi) / (2 * np.pi), "uniform").pvalue > 1e-3


@pytest.mark.parametrize("L", [4, 6])
def test_gate_construction_matches_kronecker_reference(L, rng):
    model = BrickworkCircuit(L, 0.13)
    real = model.sample(rng)
    W = model.unitary(real)
    assert np.allclose(W, kron_reference(model, real), atol=1e-13)
    assert np.allclose(W.conj().T @ W, np.eye(2**L), atol=1e-12)


def test_gate_is_exp_i_pi_j_swap_times_u_kron_v(rng):
    model = BrickworkCircuit(4, 0.3)
    real = model.sample(rng)
    w, V = np.linalg.eigh(SWAP)
    expected = (V * np.exp(1j * np.pi * 0.3 * w)) @ V.conj().T @ np.kron(real.u[1], real.v[2])
    assert np.allclose(model.gate(real, 1), expected, atol=1e-14)


def test_field_operators_at_j_zero(rng):
    """J = 0: sigma_j is Hermitian, squares to 1, commutes with W, and W's spectrum is the
    product of the local e^{i phi_j} e^{+-i h_j / 2}."""
    L = 6
    model = BrickworkCircuit(L, 0.0)
    real = model.sample(rng)
    W = model.unitary(real)
    local_eigs = []
    for j in range(L):
        s = model.field_operator(real, j)
        assert np.allclose(s, s.conj().T) and np.allclose(s @ s, np.eye(2), atol=1e-14)
        S = embed(s, j, L)
        assert np.abs(S @ W - W @ S).max() < 1e-13
        local = real.v[j] @ real.u[j] if j % 2 == 0 else real.u[j] @ real.v[j]
        local_eigs.append(np.linalg.eigvals(local))
    products = [np.prod(c) for c in itertools.product(*local_eigs)]
    expected = np.sort(np.angle(products))
    assert np.allclose(np.sort(np.angle(np.linalg.eigvals(W))), expected, atol=1e-10)


def test_fields_lie_in_zero_pi_and_reproduce_the_local_unitary(rng):
    model = BrickworkCircuit(8, 0.05)
    real = model.sample(rng)
    h = model.fields(real)
    assert np.all((h > 0) & (h <= np.pi))
    for j in (0, 1):
        local = real.v[j] @ real.u[j] if j % 2 == 0 else real.u[j] @ real.v[j]
        s = model.field_operator(real, j)
        rotation = np.cos(h[j] / 2) * np.eye(2) + 1j * np.sin(h[j] / 2) * s
        ratio = local @ np.linalg.inv(rotation)  # must be a pure phase e^{i phi}
        assert np.allclose(ratio, ratio[0, 0] * np.eye(2), atol=1e-13)
        assert abs(abs(ratio[0, 0]) - 1) < 1e-13


@pytest.mark.parametrize("j", [2, 3])
def test_shift_field_is_w_times_local_kick(j, rng):
    L, lam = 6, 0.37
    model = BrickworkCircuit(L, 0.08)
    real = model.sample(rng)
    s = model.field_operator(real, j)
    kick = embed(np.cos(lam / 2) * np.eye(2) + 1j * np.sin(lam / 2) * s, j, L)
    shifted = model.unitary(model.shift_field(real, j, lam))
    assert np.allclose(shifted, model.unitary(real) @ kick, atol=1e-13)


def test_su2_axis_rejects_identity():
    with pytest.raises(ValueError, match="identity"):
        su2_axis(np.exp(0.3j) * np.eye(2))


@pytest.mark.parametrize("kwargs, message", [
    ({"L": 7, "J": 0.1}, "even"), ({"L": 2, "J": 0.1}, "even"), ({"L": 30, "J": 0.1}, "L"),
    ({"L": 6, "J": -0.1}, "J="), ({"L": 6, "J": 1.5}, "J="),
])
def test_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BrickworkCircuit(**kwargs)


def test_bad_site_and_realisation(rng):
    model = BrickworkCircuit(6, 0.1)
    real = model.sample(rng)
    with pytest.raises(ValueError, match="outside the chain"):
        model.field_operator(real, 6)
    with pytest.raises(ValueError, match=r"\(6, 2, 2\)"):
        BrickworkCircuit(4, 0.1).unitary(real)
