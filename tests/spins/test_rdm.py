import numpy as np
import pytest

from mblkit.spins import Bipartition, SpinBasis, reduced_density_matrix


def dense_rdm(psi, L, sites):
    """Reference: reshape the full state into L binary axes and trace out the rest."""
    t = psi.reshape([2] * L)  # axis 0 is site L-1 (most significant bit)
    keep = [L - 1 - s for s in sorted(sites)][::-1]  # RDM bit m = sites[m]: last axis is A[0]
    rest = [a for a in range(L) if a not in keep]
    m = np.transpose(t, keep + rest).reshape(2 ** len(sites), -1)
    return m @ m.conj().T


def embed(psi_sector, basis):
    full = np.zeros(2**basis.L, dtype=psi_sector.dtype)
    full[basis.states] = psi_sector
    return full


@pytest.mark.parametrize("sites", [(0,), (2,), (1, 3), (3, 0, 4), (0, 1, 2, 3, 4, 5)])
def test_rdm_full_and_sector_agree_with_reference(rng, sites):
    L = 6
    b = SpinBasis(L, 3)
    psi = rng.normal(size=b.dim) + 1j * rng.normal(size=b.dim)
    psi /= np.linalg.norm(psi)
    full_psi = embed(psi, b)
    ref = dense_rdm(full_psi, L, sites)
    np.testing.assert_allclose(reduced_density_matrix(psi, b, sites), ref, atol=1e-14)
    np.testing.assert_allclose(reduced_density_matrix(full_psi, SpinBasis(L), sites), ref,
                               atol=1e-14)


def test_bell_pair_rdm_by_hand():
    # (|01> + |10>)/sqrt 2 on two sites: each spin is maximally mixed
    b = SpinBasis(2, 1)
    psi = np.array([1.0, 1.0]) / np.sqrt(2)
    np.testing.assert_allclose(reduced_density_matrix(psi, b, [0]), np.eye(2) / 2)
    split = Bipartition.of(b, [1])
    np.testing.assert_allclose(split.schmidt_probabilities(psi), [0.5, 0.5])


def test_w_state_rdm_by_hand():
    # W state (|001> + |010> + |100>)/sqrt 3: rho_0 = diag(2/3, 1/3) in (down, up)
    b = SpinBasis(3, 1)
    psi = np.ones(3) / np.sqrt(3)
    np.testing.assert_allclose(reduced_density_matrix(psi, b, [0]), np.diag([2 / 3, 1 / 3]))
    # two sites (0, 1): |00> with weight 1/3, (|01> + |10>)/sqrt 2 with weight 2/3
    rho01 = np.zeros((4, 4))
    rho01[0, 0] = 1 / 3
    rho01[1:3, 1:3] = 1 / 3
    np.testing.assert_allclose(reduced_density_matrix(psi, b, [0, 1]), rho01, atol=1e-15)


def test_aux_factor_is_traced_out(rng):
    # chain (2 sites, n_up=1) (x) aux(2): maximally entangled chain-aux state
    b = SpinBasis(2, 1, aux_dim=2)
    psi = np.zeros(4)
    psi[0 * 2 + 0] = psi[1 * 2 + 1] = 1 / np.sqrt(2)  # |01>|a0> + |10>|a1>
    rho = reduced_density_matrix(psi, b, [0, 1])
    np.testing.assert_allclose(np.diag(rho), [0, 0.5, 0.5, 0])
    assert abs(rho[1, 2]) < 1e-15


def test_bad_subsystem():
    with pytest.raises(ValueError, match="distinct sites"):
        Bipartition.of(SpinBasis(4), [0, 0])
    with pytest.raises(ValueError, match="distinct sites"):
        Bipartition.of(SpinBasis(4), [4])
