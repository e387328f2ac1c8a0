import numpy as np
import pytest
from scipy.stats import entropy as shannon

from mblkit.models import XXZChain
from mblkit.observables import (
    connected_correlation,
    entanglement_entropies,
    half_chain_entropy,
    magnetisation,
    single_site_purity,
)
from mblkit.solvers import eigh
from mblkit.spins import SpinBasis, dense_operator, reduced_density_matrix


def test_bell_pair_by_hand():
    b = SpinBasis(2, 1)
    psi = np.array([1.0, 1.0]) / np.sqrt(2)  # (|01> + |10>)/sqrt 2
    s_vn, s_2 = entanglement_entropies(psi, b, [0])
    np.testing.assert_allclose([s_vn[0], s_2[0]], [np.log(2), np.log(2)])
    np.testing.assert_allclose(single_site_purity(psi, b), [[0.5, 0.5]])
    assert connected_correlation(psi, b, 0, 1) == pytest.approx(1.0)  # <zz> = -1, <z> = 0
    full = np.zeros(4)
    full[[1, 2]] = psi
    assert connected_correlation(full, SpinBasis(2), 0, 1, "x", "x") == pytest.approx(1.0)


def test_w_state_by_hand():
    b = SpinBasis(3, 1)
    psi = np.ones(3) / np.sqrt(3)
    p = [2 / 3, 1 / 3]
    s_vn, s_2 = entanglement_entropies(psi, b, [1])
    np.testing.assert_allclose(s_vn, shannon(p))
    np.testing.assert_allclose(s_2, -np.log(5 / 9))
    np.testing.assert_allclose(single_site_purity(psi, b), [[5 / 9] * 3])
    np.testing.assert_allclose(magnetisation(psi, b), [[-1 / 6] * 3])
    # sites (0, 1) hold (1/3)|00><00| + (2/3)|Bell><Bell|: S = H(1/3, 2/3) as well
    np.testing.assert_allclose(entanglement_entropies(psi, b, [0, 1])[0], shannon(p))
    # Cor(z0, z1) = |<z0 z1> - <z0><z1>| = |-1/3 - 1/9|
    assert connected_correlation(psi, b, 0, 1) == pytest.approx(4 / 9)


def test_full_space_purity_uses_transverse_components():
    # |+x> on each of two sites: <sigma^z> = 0 but the state is a product, purity 1
    b = SpinBasis(2)
    psi = np.full(4, 0.5)
    np.testing.assert_allclose(single_site_purity(psi, b), [[1.0, 1.0]])
    np.testing.assert_allclose(entanglement_entropies(psi, b, [0])[0], [0.0], atol=1e-12)


def test_purity_shortcut_equals_rdm_purity(rng):
    model = XXZChain(L=8, W=1.0)
    b = model.basis(4)
    vecs = eigh(model.hamiltonian(model.sample(rng), 4)).vectors[:, ::17]
    gamma = single_site_purity(vecs, b)
    for n in range(vecs.shape[1]):
        for i in (0, 3, 7):
            rho = reduced_density_matrix(vecs[:, n], b, [i])
            assert gamma[n, i] == pytest.approx(np.trace(rho @ rho).real, abs=1e-12)


def test_full_space_purity_equals_rdm_purity(rng):
    L = 6
    psi = rng.normal(size=2**L) + 1j * rng.normal(size=2**L)
    psi /= np.linalg.norm(psi)
    gamma = single_site_purity(psi, SpinBasis(L))[0]
    for i in range(L):
        rho = reduced_density_matrix(psi, SpinBasis(L), [i])
        assert gamma[i] == pytest.approx(np.trace(rho @ rho).real, abs=1e-12)


def test_uncoupled_chain_has_product_eigenstates(rng):
    # J = 0: eigenstates are basis states: purity 1, no entanglement, no correlations
    model = XXZChain(L=8, W=2.0, J=0.0)
    b = model.basis(4)
    vecs = eigh(model.hamiltonian(model.sample(rng), 4)).vectors
    np.testing.assert_allclose(single_site_purity(vecs, b), 1.0, atol=1e-12)
    np.testing.assert_allclose(half_chain_entropy(vecs, b), 0.0, atol=1e-10)
    np.testing.assert_allclose(connected_correlation(vecs, b, 0, 5), 0.0, atol=1e-12)


def test_magnetisation_sums_to_sector_charge(rng):
    model = XXZChain(L=9, W=1.5)
    b = model.basis(3)
    vecs = eigh(model.hamiltonian(model.sample(rng), 3)).vectors
    np.testing.assert_allclose(magnetisation(vecs, b).sum(axis=1), 3 - 9 / 2, atol=1e-12)


def test_correlation_matches_dense_reference(rng):
    L = 5
    psi = rng.normal(size=2**L) + 1j * rng.normal(size=2**L)
    psi /= np.linalg.norm(psi)
    x0, y3 = dense_operator("x", (0,), L), dense_operator("y", (3,), L)

    def ev(o):
        return psi.conj() @ o @ psi

    expected = abs(ev(x0 @ y3) - ev(x0) * ev(y3))
    got = connected_correlation(psi, SpinBasis(L), 0, 3, "x", "y")
    assert got == pytest.approx(expected, abs=1e-13)
    with pytest.raises(ValueError, match=r"op_a='\+'"):
        connected_correlation(psi, SpinBasis(L), 0, 3, "+", "z")
