import itertools

import numpy as np
import pytest

from mblkit.models import XXZChain
from mblkit.solvers import eigh
from mblkit.spins import dense_operator


def free_fermion_sector_spectrum(h, J, n_up):
    """Open XX chain by Jordan-Wigner: sum (J/2)(c_i^+ c_{i+1} + h.c.) + sum h_i (n_i - 1/2)."""
    L = len(h)
    t = np.diag(h) + np.diag(np.full(L - 1, J / 2), 1) + np.diag(np.full(L - 1, J / 2), -1)
    eps = np.linalg.eigvalsh(t)
    levels = [sum(c) for c in itertools.combinations(eps, n_up)] if n_up else [0.0]
    return np.sort(np.array(levels) - np.sum(h) / 2)


def test_xx_chain_is_free_fermions_in_every_sector(rng):
    model = XXZChain(L=9, W=2.0, J=1.3, delta=0.0)
    h = model.sample(rng)
    for n_up in range(model.L + 1):
        energies = eigh(model.hamiltonian(h, n_up), vectors=False).energies
        np.testing.assert_allclose(energies, free_fermion_sector_spectrum(h, 1.3, n_up),
                                   atol=1e-11)


@pytest.mark.parametrize("boundary", ["open", "periodic"])
def test_full_spectrum_is_union_of_sectors(rng, boundary):
    model = XXZChain(L=8, W=3.0, delta=0.7, boundary=boundary)
    h = model.sample(rng)
    full = eigh(model.hamiltonian(h), vectors=False).energies
    sectors = np.concatenate([eigh(model.hamiltonian(h, n), vectors=False).energies
                              for n in range(9)])
    np.testing.assert_allclose(full, np.sort(sectors), atol=1e-11)


@pytest.mark.parametrize("boundary", ["open", "periodic"])
def test_hamiltonian_matches_kronecker_construction(rng, boundary):
    L = 5
    model = XXZChain(L=L, W=1.0, J=0.8, delta=1.7, boundary=boundary)
    h = model.sample(rng)
    sx, sy, sz = ([0.5 * dense_operator(c, (i,), L) for i in range(L)] for c in "xyz")
    ref = sum(h[i] * sz[i] for i in range(L))
    for i in range(L if boundary == "periodic" else L - 1):
        j = (i + 1) % L
        # (S+S- + S-S+)/2 = S^x S^x + S^y S^y
        ref = ref + 0.8 * (sx[i] @ sx[j] + sy[i] @ sy[j] + 1.7 * sz[i] @ sz[j])
    H = model.hamiltonian(h).toarray()
    assert H.dtype == np.float64
    np.testing.assert_allclose(H, ref.real, atol=1e-14)
    np.testing.assert_allclose(H, H.T)


def test_spectrum_invariant_under_reflection(rng):
    model = XXZChain(L=10, W=4.0, delta=1.0)
    h = model.sample(rng)
    e = eigh(model.hamiltonian(h, 5), vectors=False).energies
    e_reflected = eigh(model.hamiltonian(h[::-1], 5), vectors=False).energies
    np.testing.assert_allclose(e, e_reflected, atol=1e-11)


def test_fields_uniform_in_range(rng):
    h = XXZChain(L=24, W=2.5).sample(rng)
    assert h.shape == (24,) and np.all(np.abs(h) <= 2.5)
    assert np.all(XXZChain(L=3, W=0.0).sample(rng) == 0)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"L": 30, "W": 1.0}, "L=30"), ({"L": 6, "W": -1.0}, "W=-1.0"),
    ({"L": 6, "W": float("nan")}, "W=nan"), ({"L": 6, "W": 1.0, "boundary": "ring"}, "ring"),
    ({"L": 2, "W": 1.0, "boundary": "periodic"}, "L >= 3"),
])
def test_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        XXZChain(**kwargs)


def test_bad_fields_and_sector():
    model = XXZChain(L=6, W=1.0)
    with pytest.raises(ValueError, match="shape"):
        model.hamiltonian(np.zeros(5))
    with pytest.raises(ValueError, match="n_up=7"):
        model.hamiltonian(np.zeros(6), n_up=7)
