import itertools

import numpy as np
import pytest

from mblkit.models import O3HeisenbergChain
from mblkit.solvers import eigh
from mblkit.spins import dense_operator


def test_matches_kronecker_construction(rng):
    L = 4
    model = O3HeisenbergChain(L=L, W=2.0, J=0.7)
    v = model.sample(rng)
    s = {(c, i): dense_operator(c, (i,), L) for c in "xyz" for i in range(L)}
    ref = sum(0.7 / 2 * s[c, i] @ s[c, (i + 1) % L] for c in "xyz" for i in range(L))
    ref = ref + sum(2.0 / 2 * v[i, a] * s[c, i] for a, c in enumerate("xyz") for i in range(L))
    H = model.hamiltonian(v)
    assert H.dtype == np.complex128
    np.testing.assert_allclose(H.toarray(), ref, atol=1e-14)


def test_decoupled_spins_exact_spectrum(rng):
    # J = 0: each spin has energies +-(W/2)|v_n|
    model = O3HeisenbergChain(L=6, W=1.5, J=0.0)
    v = model.sample(rng)
    half = 0.75 * np.linalg.norm(v, axis=1)
    exact = sorted(sum(s * e for s, e in zip(signs, half, strict=True))
                   for signs in itertools.product((-1, 1), repeat=6))
    np.testing.assert_allclose(eigh(model.hamiltonian(v), vectors=False).energies, exact,
                               atol=1e-12)


def test_clean_chain_is_su2_symmetric():
    L = 5
    H = O3HeisenbergChain(L=L, W=0.0).hamiltonian(np.zeros((L, 3))).toarray()
    total = [sum(dense_operator(c, (i,), L) for i in range(L)) / 2 for c in "xyz"]
    s2 = sum(t @ t for t in total)
    np.testing.assert_allclose(H @ s2 - s2 @ H, 0, atol=1e-12)


@pytest.mark.parametrize("fields", ["gaussian", "sphere"])
def test_field_vectors_have_unit_variance(rng, fields):
    v = O3HeisenbergChain(L=20, W=1.0, fields=fields).sample(rng)
    assert v.shape == (20, 3)
    many = np.concatenate([O3HeisenbergChain(L=20, W=1.0, fields=fields).sample(rng)
                           for _ in range(500)])
    assert abs(np.mean(np.sum(many**2, axis=1)) - 1) < 0.03  # [v.v] = 1, 1e4 samples
    assert np.all(np.abs(many.mean(axis=0)) < 0.03)


def test_bad_field_distribution():
    with pytest.raises(ValueError, match="fields='cauchy'"):
        O3HeisenbergChain(L=4, W=1.0, fields="cauchy")
