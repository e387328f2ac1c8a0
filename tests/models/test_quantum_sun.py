"""The Quantum Sun model (Suntajs and Vidmar, PRL 129, 060602 (2022), Eq. 1): against an
independent Kronecker-product construction, the exactly solvable alpha = 0 limit, the GOE
normalisation, and the gap ratio on both sides of alpha_c = 1/sqrt(2)."""

import itertools
from functools import reduce

import numpy as np
import pytest

from mblkit.models import QuantumSun, QuantumSunRealisation
from mblkit.models.protocol import check_model_class
from mblkit.models.quantum_sun import ALPHA_C
from mblkit.observables import mean_gap_ratio, single_site_purity
from mblkit.observables.levels import R_GOE_LARGE_N, R_POISSON
from mblkit.solvers import eigh

SX = np.array([[0.0, 1.0], [1.0, 0.0]])
SZ = np.diag([-1.0, 1.0])          # (down, up) = (bit 0, bit 1)


def op_on(single, bit, n_bits):
    """A one-spin matrix on ``bit`` of an n_bits index (bit 0 = rightmost Kronecker factor)."""
    factors = [np.eye(2)] * n_bits
    factors[n_bits - 1 - bit] = single
    return reduce(np.kron, factors)


def dense_quantum_sun(model, r):
    """Eq. 1 with all N + L spins as bits of one index: dot spin m is bit m, outer spin j is bit
    N + j, and R acts on the N low bits (np.kron(1_outer, R))."""
    N, L = model.N, model.L
    n = N + L
    H = np.kron(np.eye(2**L), r.R)
    for j in range(L):
        H = H + 0.5 * r.h[j] * op_on(SZ, N + j, n)
        coupling = model.g0 * model.alpha ** r.u[j]
        H = H + coupling * 0.25 * op_on(SX, int(r.neighbours[j]), n) @ op_on(SX, N + j, n)
    return H


@pytest.mark.parametrize(("N", "L", "alpha"), [(3, 4, 0.75), (2, 3, 0.4), (1, 2, 1.0)])
def test_hamiltonian_matches_kronecker_construction(rng, N, L, alpha):
    model = QuantumSun(L=L, alpha=alpha, N=N, g0=1.3, gamma=0.8)
    r = model.sample(rng)
    H = model.hamiltonian(r)
    assert H.dtype == np.float64 and H.shape == (2 ** (N + L),) * 2
    np.testing.assert_allclose(H.toarray(), dense_quantum_sun(model, r), atol=1e-14)
    assert model.basis().dim == 2 ** (N + L)


def test_disorder_is_drawn_as_defined(rng):
    model = QuantumSun(L=6, alpha=0.7)
    draws = [model.sample(rng) for _ in range(300)]
    h = np.concatenate([d.h for d in draws])
    u = np.stack([d.u for d in draws])
    n = np.concatenate([d.neighbours for d in draws])
    assert h.min() >= 0.5 and h.max() <= 1.5 and abs(h.mean() - 1.0) < 0.02
    assert np.all(u[:, 0] == 0.0)                                 # u_0 = 0: coupling alpha^0
    shifts = u[:, 1:] - np.arange(1, 6)
    assert np.abs(shifts).max() <= 0.2 and shifts.std() > 0.1     # uniform in [-0.2, 0.2]
    assert set(np.unique(n)) == {0, 1, 2}
    np.testing.assert_allclose(model.couplings(draws[0]), 0.7 ** draws[0].u)


@pytest.mark.parametrize("N", [1, 2, 3])
def test_goe_normalisation_gives_unit_hilbert_schmidt_norm(N):
    """[Tr R^2] / 2^N = gamma^2 exactly in the mean: (A + A^T)/sqrt(2) has diagonal variance 2
    and off-diagonal variance 1, so E Tr R^2 = gamma^2 (2 D + D (D - 1)) / (D + 1) = gamma^2 D."""
    gamma = 1.7
    model = QuantumSun(L=1, alpha=0.5, N=N, gamma=gamma)
    rng = np.random.default_rng(N)
    norms = np.array([np.sum(model.sample(rng).R ** 2) / 2**N for _ in range(4000)])
    sem = norms.std() / np.sqrt(norms.size)
    assert abs(norms.mean() - gamma**2) < 4 * sem
    R = model.sample(rng).R
    assert np.array_equal(R, R.T)


def test_alpha_zero_spectrum_is_the_dot_with_one_spin_plus_free_fields(rng):
    """At alpha = 0 only the first outer spin couples (alpha^0 = 1); the others are frozen, so
    the spectrum is that of dot + spin 0 shifted by sum_{j >= 1} +- h_j / 2."""
    N, L = 2, 4
    model = QuantumSun(L=L, alpha=0.0, N=N)
    r = model.sample(rng)
    small = (np.kron(np.eye(2), r.R) + 0.5 * r.h[0] * op_on(SZ, N, N + 1)
             + 0.25 * model.g0 * op_on(SX, int(r.neighbours[0]), N + 1) @ op_on(SX, N, N + 1))
    core = np.linalg.eigvalsh(small)
    shifts = [0.5 * np.dot(s, r.h[1:]) for s in itertools.product((-1, 1), repeat=L - 1)]
    expected = np.sort((core[:, None] + np.array(shifts)[None, :]).ravel())
    np.testing.assert_allclose(eigh(model.hamiltonian(r), vectors=False).energies, expected,
                               atol=1e-12)


def mean_r(model, realisations, seed):
    rng = np.random.default_rng(seed)
    return np.mean([mean_gap_ratio(eigh(model.hamiltonian(model.sample(rng)),
                                        vectors=False).energies, 0.5)
                    for _ in range(realisations)])


def test_gap_ratio_goe_at_strong_coupling_and_poisson_at_weak():
    """N = 3, L = 6 (dimension 512), 20 realisations, the middle half of each spectrum.
    Measured with these seeds: <r> = 0.531 at alpha = 0.9 (GOE 0.5307) and 0.399 at alpha =
    0.1 (Poisson 0.386); with 30 realisations 0.535(4) at 0.9 and 0.512(5) at alpha = 1, where
    all couplings equal g0. The bounds are about 3 standard errors (0.006 each) plus the
    finite-size offset."""
    ergodic = mean_r(QuantumSun(L=6, alpha=0.9), 20, seed=1)
    localised = mean_r(QuantumSun(L=6, alpha=0.1), 20, seed=2)
    assert abs(ergodic - R_GOE_LARGE_N) < 0.03
    assert abs(localised - R_POISSON) < 0.03
    assert ergodic - localised > 0.1
    assert ALPHA_C == pytest.approx(2**-0.5)


def test_outer_spin_purities_from_the_basis(rng):
    """The basis is the outer chain (x) the dot, so purities are those of the outer spins: at
    alpha = 0 spins 1..L-1 are frozen in S^z eigenstates (purity 1), spin 0 is not."""
    model = QuantumSun(L=3, alpha=0.0, N=2)
    spectrum = eigh(model.hamiltonian(model.sample(rng)))
    gamma = single_site_purity(spectrum.vectors, model.basis())
    assert gamma.shape == (model.dim, 3)
    np.testing.assert_allclose(gamma[:, 1:], 1.0, atol=1e-10)
    assert gamma[:, 0].mean() < 0.9


def test_satisfies_the_protocol():
    assert check_model_class(QuantumSun).kind == "hamiltonian"
    assert QuantumSun.conserves_sz is False


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"L": 0, "alpha": 0.5}, "L = 0"), ({"L": 3, "alpha": 1.2}, r"alpha = 1.2 .* \[0, 1\]"),
    ({"L": 3, "alpha": 0.5, "N": 0}, "N = 0"), ({"L": 22, "alpha": 0.5}, "N \\+ L = 25"),
    ({"L": 3, "alpha": 0.5, "W": -1.0}, "W=-1.0"), ({"L": 3, "alpha": True}, "alpha = True"),
])
def test_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        QuantumSun(**kwargs)


def test_bad_realisation_and_sector(rng):
    model = QuantumSun(L=3, alpha=0.5, N=2)
    r = model.sample(rng)
    with pytest.raises(ValueError, match="n_up = 1 is not allowed"):
        model.hamiltonian(r, 1)
    bad = QuantumSunRealisation(r.R, r.h, r.u, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="neighbours"):
        model.hamiltonian(bad)
    with pytest.raises(ValueError, match="not symmetric"):
        model.hamiltonian(QuantumSunRealisation(r.R + np.triu(r.R, 1), r.h, r.u, r.neighbours))
