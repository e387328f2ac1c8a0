"""The interior-eigenpair methods (SuperLU, PARDISO, polynomial filter) and the "auto" rule."""

import pickle
import threading
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp

import mblkit.solvers.interior as interior
import mblkit.solvers.pardiso as pardiso_module
from mblkit.models import BubbleChain, O3HeisenbergChain, XXZChain
from mblkit.solvers import VerificationError, eigh, eigh_interior
from mblkit.solvers.polyfilter import (
    chebyshev_apply,
    delta_filter_coefficients,
    eigh_polyfilter,
    filter_values,
    jackson_kernel,
)


def nearest(energies, target, k):
    return np.sort(energies[np.argsort(np.abs(energies - target))[:k]])


def xxz(rng, L=12, W=3.0):
    model = XXZChain(L=L, W=W)
    return model.hamiltonian(model.sample(rng), L // 2)


def bubble(rng, L=8, W=2.0):
    model = BubbleChain(L=L, W=W)
    return model.hamiltonian(model.sample(rng))


def check_pairs(spec, H, k, target=None):
    full = np.linalg.eigvalsh(H.toarray())
    centre = 0.5 * (full[0] + full[-1]) if target is None else target
    assert spec.target == pytest.approx(centre, abs=1e-8)
    np.testing.assert_allclose(spec.energies, nearest(full, centre, k), atol=1e-10)
    assert spec.vectors.shape == (H.shape[0], k)
    assert spec.max_residual < 1e-9 and spec.orthonormality_error < 1e-10
    # the vectors are eigenvectors (an independent residual, dense)
    Hv = H.toarray() @ spec.vectors
    assert np.max(np.linalg.norm(Hv - spec.vectors * spec.energies, axis=0)) < 1e-9


@pytest.mark.parametrize("method", ["superlu", "polyfilter", "auto"])
@pytest.mark.parametrize("system", ["xxz", "bubble"])
def test_methods_find_the_nearest_pairs(rng, method, system):
    H = xxz(rng) if system == "xxz" else bubble(rng)
    spec = eigh_interior(H, k=20, method=method)
    check_pairs(spec, H, 20)


@pytest.mark.parametrize("system", ["xxz", "bubble"])
def test_pardiso_finds_the_nearest_pairs(pardiso, rng, system):
    H = xxz(rng) if system == "xxz" else bubble(rng)
    spec = eigh_interior(H, k=20, method="pardiso")
    assert spec.method == "shift-invert(pardiso-ldl)"
    check_pairs(spec, H, 20)


def test_polyfilter_complex_hamiltonian_with_explicit_target(rng):
    model = O3HeisenbergChain(L=8, W=2.0)
    H = model.hamiltonian(model.sample(rng))
    spec = eigh_interior(H, k=6, target=1.0, method="polyfilter")
    check_pairs(spec, H, 6, target=1.0)
    assert spec.method.startswith("polyfilter(chebyshev-jackson")


# ---------------------------------------------------------------------------------------------
# "auto" and its fallbacks


def test_auto_rule(monkeypatch, rng):
    H = xxz(rng, L=10)
    monkeypatch.setattr(interior, "pardiso_available", lambda: True)
    assert interior.choose_method(H) == "superlu"                  # dim 252 < PARDISO_MIN_DIM
    monkeypatch.setattr(interior, "PARDISO_MIN_DIM", 100)
    assert interior.choose_method(H) == "pardiso"
    assert interior.choose_method(H.astype(complex)) == "superlu"  # pypardiso: real only
    monkeypatch.setattr(interior, "pardiso_available", lambda: False)
    assert interior.choose_method(H) == "superlu"


def test_auto_uses_pardiso_above_the_threshold(pardiso, monkeypatch, rng):
    monkeypatch.setattr(interior, "PARDISO_MIN_DIM", 100)
    H = xxz(rng, L=10)
    spec = eigh_interior(H, k=10)
    assert spec.method == "shift-invert(pardiso-ldl)"
    check_pairs(spec, H, 10)


def test_auto_falls_back_to_superlu_when_pardiso_fails_verification(monkeypatch, rng):
    monkeypatch.setattr(interior, "PARDISO_MIN_DIM", 100)
    monkeypatch.setattr(interior, "pardiso_available", lambda: True)

    class WrongInverse:  # stands in for PardisoLDL: the inverse of H - sigma - 0.37
        def __init__(self, H, sigma):
            self.op = interior.shift_invert_operator(H, sigma + 0.37, interior.SAFE_LU)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            pass

        def solve(self, b):
            return self.op.matvec(b)

    monkeypatch.setattr(interior, "PardisoLDL", WrongInverse)
    H = xxz(rng, L=10)
    with pytest.raises(VerificationError, match="pardiso-ldl"):
        eigh_interior(H, k=8, method="pardiso")         # explicit: no fallback
    spec = eigh_interior(H, k=8)                          # auto: SuperLU, recorded
    assert spec.method.startswith("shift-invert(superlu-fast), after pardiso failed")
    check_pairs(spec, H, 8)


def test_without_pypardiso(monkeypatch, rng):
    monkeypatch.setattr(pardiso_module, "pardiso_available", lambda: False)
    monkeypatch.setattr(interior, "pardiso_available", lambda: False)
    monkeypatch.setattr(interior, "PARDISO_MIN_DIM", 100)
    H = xxz(rng, L=10)
    assert "superlu" in eigh_interior(H, k=5).method
    with pytest.raises(ImportError, match=r"mblkit\[fast\]"):
        eigh_interior(H, k=5, method="pardiso")


def test_bad_method_and_complex_pardiso(rng):
    H = xxz(rng, L=8)
    with pytest.raises(ValueError, match=r"method='lu'.*'auto', 'superlu', 'pardiso'"):
        eigh_interior(H, k=5, method="lu")
    with pytest.raises(ValueError, match="method='pardiso' is not allowed for a complex H"):
        eigh_interior(H.astype(complex), k=5, method="pardiso")
    with pytest.raises(ValueError, match="k=69"):
        eigh_interior(H, k=69, method="polyfilter")


# ---------------------------------------------------------------------------------------------
# PARDISO


def test_pardiso_inertia_counts_eigenvalues_below_the_shift(pardiso, rng):
    H = bubble(rng, L=6)
    full = np.linalg.eigvalsh(H.toarray())
    sigma = 0.5 * (full[40] + full[41])
    with pardiso_module.PardisoLDL(H, sigma) as ldl:
        positive, negative, perturbed = ldl.inertia
        b = np.random.default_rng(1).standard_normal((H.shape[0], 3))
        x = ldl.solve(b)
    assert perturbed == 0 and (positive, negative) == (H.shape[0] - 41, 41)
    shifted = H.toarray() - sigma * np.eye(H.shape[0])
    np.testing.assert_allclose(shifted @ x, b, atol=1e-10)
    with pytest.raises(RuntimeError, match="freed"):
        ldl.solve(b)


def test_shifted_upper_keeps_zero_diagonal():
    H = sp.csr_matrix(np.array([[1.0, 2.0, 0.0], [2.0, 0.5, 3.0], [0.0, 3.0, 4.0]]))
    upper = pardiso_module.shifted_upper(H, 0.5)   # diagonal entry (1, 1) becomes exactly 0
    assert upper.has_sorted_indices and 1 in upper.indices[upper.indptr[1]:upper.indptr[2]]
    np.testing.assert_array_equal(upper.diagonal(), [0.5, 0.0, 3.5])
    full = upper + sp.triu(upper, 1).T
    np.testing.assert_array_equal(full.toarray(), H.toarray() - 0.5 * np.eye(3))


def test_pardiso_factorisation_refuses_pickling(pardiso, rng):
    with pardiso_module.PardisoLDL(xxz(rng, L=8), 0.1) as ldl, \
            pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(ldl)


def test_pardiso_in_threads(pardiso, rng):
    """Two factorisations solved concurrently from two threads: each its own handle."""
    mats = [xxz(rng, L=10) for _ in range(2)]
    b = np.random.default_rng(2).standard_normal(mats[0].shape[0])
    out = [None, None]

    def work(i):
        with pardiso_module.PardisoLDL(mats[i], 0.3) as ldl:
            out[i] = [ldl.solve(b) for _ in range(50)][-1]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for H, x in zip(mats, out, strict=True):
        np.testing.assert_allclose((H - 0.3 * sp.identity(H.shape[0])) @ x, b, atol=1e-10)


def _worker_energies(seed):
    model = XXZChain(L=10, W=3.0)
    H = model.hamiltonian(model.sample(np.random.default_rng(seed)), 5)
    return eigh_interior(H, k=6, method="pardiso").energies


def test_pardiso_in_a_process_pool_after_the_parent_used_it(pardiso, rng):
    """Campaigns fork workers from a parent that may have run PARDISO (Intel OpenMP started)."""
    serial = [_worker_energies(s) for s in (1, 2, 3)]
    with ProcessPoolExecutor(2) as pool:
        parallel = list(pool.map(_worker_energies, (1, 2, 3)))
    np.testing.assert_allclose(np.array(parallel), np.array(serial), atol=1e-12)


# ---------------------------------------------------------------------------------------------
# Polynomial filter


def test_jackson_delta_filter():
    g = jackson_kernel(200)
    assert g[0] == pytest.approx(1.0) and np.all(np.diff(g) < 0) and g[-1] > 0
    coeffs = delta_filter_coefficients(200, 0.1)
    x = np.linspace(-1, 1, 4001)
    p = filter_values(coeffs, x)
    assert filter_values(coeffs, np.array([0.1]))[0] == pytest.approx(1.0)
    assert p.max() == pytest.approx(1.0, abs=1e-3) and abs(x[np.argmax(p)] - 0.1) < 2e-3
    assert p.min() > -1e-12                                  # Jackson: a positive kernel
    assert np.all(p[np.abs(x - 0.1) > 0.1] < 1e-3)           # width ~ pi / K = 0.016


def test_chebyshev_apply_is_the_polynomial_of_h(rng):
    """p(A) v from the recurrence against V p(lambda) V^T v from a dense eigendecomposition."""
    H = xxz(rng, L=8)
    scale, shift = 1 / 20.0, 0.05
    coeffs = delta_filter_coefficients(60, -0.2)
    v = rng.standard_normal(H.shape[0])
    lam, V = np.linalg.eigh(H.toarray())
    expected = V @ (filter_values(coeffs, scale * lam + shift) * (V.T @ v))
    got = chebyshev_apply(H.indptr, H.indices, H.data, scale, shift, coeffs, v)
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_polyfilter_refuses_to_certify_an_exhausted_subspace(rng):
    """With as many Ritz pairs as wanted, the k-th pair sits where the filter is lowest: the
    completeness check cannot pass."""
    H = xxz(rng, L=10)
    full = eigh(H, vectors=False).energies
    extremes = (full[0], full[-1])
    with pytest.raises(VerificationError, match="cannot certify"):
        eigh_polyfilter(H, 10, 0.5 * sum(extremes), extremes, n_sub=10)
    spec = eigh_polyfilter(H, 10, 0.5 * sum(extremes), extremes, n_sub=20)
    np.testing.assert_allclose(spec.energies, nearest(full, 0.5 * sum(extremes), 10),
                               atol=1e-10)


def test_polyfilter_target_outside_spectrum(rng):
    H = xxz(rng, L=8)
    with pytest.raises(ValueError, match="outside the spectrum"):
        eigh_polyfilter(H, 5, 100.0, (-10.0, 10.0))


def test_pardiso_threads_follow_the_blas_limit(pardiso, rng):
    """Campaign workers limit BLAS threads (threadpoolctl); PARDISO's MKL threads follow."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1), pardiso_module.PardisoLDL(xxz(rng, L=8), 0.1) as ldl:
        assert ldl._threads.threads == 1
