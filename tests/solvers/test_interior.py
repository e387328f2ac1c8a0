import numpy as np
import pytest

from mblkit.models import O3HeisenbergChain, XXZChain
from mblkit.solvers import eigh, eigh_interior, spectral_extremes


def test_interior_pairs_are_the_nearest_to_the_centre(rng):
    model = XXZChain(L=12, W=3.0)
    H = model.hamiltonian(model.sample(rng), n_up=6)
    full = eigh(H, vectors=False).energies
    s = eigh_interior(H, k=20)
    centre = 0.5 * (full[0] + full[-1])
    assert s.target == pytest.approx(centre, abs=1e-8)
    nearest = np.sort(full[np.argsort(np.abs(full - centre))[:20]])
    np.testing.assert_allclose(s.energies, nearest, atol=1e-10)
    assert s.vectors.shape == (924, 20) and s.max_residual < 1e-9


def test_interior_complex_hamiltonian_with_explicit_target(rng):
    model = O3HeisenbergChain(L=8, W=2.0)
    H = model.hamiltonian(model.sample(rng))
    full = eigh(H, vectors=False).energies
    s = eigh_interior(H, k=6, target=1.0)
    np.testing.assert_allclose(s.energies, np.sort(full[np.argsort(np.abs(full - 1.0))[:6]]),
                               atol=1e-10)
    assert s.orthonormality_error < 1e-10


def test_spectral_extremes(rng):
    model = XXZChain(L=10, W=1.0)
    H = model.hamiltonian(model.sample(rng), n_up=5)
    full = eigh(H, vectors=False).energies
    np.testing.assert_allclose(spectral_extremes(H), (full[0], full[-1]), atol=1e-9)


def test_bad_k(rng):
    H = XXZChain(L=6, W=1.0).hamiltonian(np.zeros(6), n_up=3)
    with pytest.raises(ValueError, match="k=19"):
        eigh_interior(H, k=19)
    with pytest.raises(ValueError, match="sparse"):
        eigh_interior(H.toarray(), k=2)


def test_inaccurate_fast_factorisation_falls_back_to_pivoting(rng, monkeypatch):
    import mblkit.solvers.interior as interior

    original = interior.shift_invert_operator
    used = []

    def sabotaged(H, sigma, lu_options=None):
        used.append(lu_options is interior.FAST_LU)
        shift = 0.37 if lu_options is interior.FAST_LU else 0.0  # wrong inverse on purpose
        return original(H, sigma + shift, lu_options)

    monkeypatch.setattr(interior, "shift_invert_operator", sabotaged)
    model = XXZChain(L=10, W=3.0)
    H = model.hamiltonian(model.sample(rng), n_up=5)
    s = eigh_interior(H, k=8, target=0.1)
    full = eigh(H, vectors=False).energies
    np.testing.assert_allclose(s.energies, np.sort(full[np.argsort(np.abs(full - 0.1))[:8]]),
                               atol=1e-10)
    assert used == [True, False] and "pivoting" in s.method


@pytest.mark.parametrize("target", [float("nan"), float("inf"), -float("inf"), "centre", True])
def test_non_finite_target_is_refused_by_name(rng, target):
    H = XXZChain(L=8, W=1.0).hamiltonian(np.zeros(8), n_up=4)
    with pytest.raises(ValueError, match=r"target=.* is not allowed: it must be a finite energy"):
        eigh_interior(H, k=4, target=target)
