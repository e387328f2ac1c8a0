"""Planted defects in every solver path must fail verification (issue 14).

Each defect is made so that it survives the other checks: a rotation inside a pair keeps V
orthonormal (only the residual can see it), mixing a vector into its neighbour at a small gap
keeps the residual tiny (only orthonormality can see it), a dropped pair keeps residuals and
orthonormality perfect (only the Sylvester inertia count can see it). Rank 1 and rank 2, at
N > 512 (the probe estimates are used above N = 256). Sizes are chosen so that the defect would have
passed the checks before issue 14 (probes of unit length, a trace divided by N).
"""

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import mblkit.solvers.dense as dense_module
import mblkit.solvers.interior as interior_module
import mblkit.solvers.polyfilter as polyfilter_module
import mblkit.solvers.unitary as unitary_module
from mblkit.models import XXZChain
from mblkit.solvers import VerificationError, eigh, eigh_interior
from mblkit.solvers.spectrum import vector_error_bounds
from mblkit.solvers.unitary import eigu

N = 640  # > 512, on the probe paths


def goe(rng, n=N):
    a = rng.standard_normal((n, n))
    return (a + a.T) / np.sqrt(2 * n)   # spectrum in about [-2, 2]


def rotate_pairs(w, v, pairs, residual):
    """Rotate (v_i, v_{i+1}) by the angle that gives both the residual ``residual``."""
    v = v.copy()
    for i in pairs:
        t = residual / (w[i + 1] - w[i])
        c, s = np.cos(t), np.sin(t)
        v[:, i], v[:, i + 1] = c * v[:, i] + s * v[:, i + 1], -s * v[:, i] + c * v[:, i + 1]
    return v


def mix_vectors(v, columns, size):
    """v_i += size v_{i+1}, renormalised: an orthonormality defect of ~size, rank 1 each."""
    v = v.copy()
    for i in columns:
        v[:, i] += size * v[:, i + 1]
        v[:, i] /= np.linalg.norm(v[:, i])
    return v


def patch_eigh(monkeypatch, corrupt):
    original = scipy.linalg.eigh

    def corrupted(*args, **kwargs):
        out = original(*args, **kwargs)
        return corrupt(*out) if isinstance(out, tuple) else corrupt(out, None)

    monkeypatch.setattr(dense_module.scipy.linalg, "eigh", corrupted)


@pytest.mark.parametrize("pairs", [[300], [300, 410]], ids=["rank1", "rank2"])
def test_dense_input_residual_defect_is_caught(rng, monkeypatch, pairs):
    """3e-7 per pair: 15x the bound 1e-8 * 2; a unit probe read it as 3e-7 / sqrt(640)."""
    a = goe(rng)
    assert eigh(a).max_residual < 1e-12
    patch_eigh(monkeypatch, lambda w, v: (w, rotate_pairs(w, v, pairs, 3e-7)))
    with pytest.raises(VerificationError, match="residual"):
        eigh(a)


@pytest.mark.parametrize("pairs", [[300], [300, 410]], ids=["rank1", "rank2"])
def test_sparse_input_residual_defect_is_caught(rng, monkeypatch, pairs):
    h = sp.csr_matrix(goe(rng))
    patch_eigh(monkeypatch, lambda w, v: (w, rotate_pairs(w, v, pairs, 3e-7)))
    with pytest.raises(VerificationError, match="residual"):
        eigh(h)


@pytest.mark.parametrize("columns", [[200], [200, 500]], ids=["rank1", "rank2"])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_orthonormality_defect_is_caught(rng, monkeypatch, columns, sparse):
    """1e-7 (10x rtol): the residual it adds, 1e-7 x gap ~ 1e-9, passes; unit probes read
    1e-7 / sqrt(640) = 4e-9 and passed."""
    a = goe(rng)
    patch_eigh(monkeypatch, lambda w, v: (w, mix_vectors(v, columns, 1e-7)))
    with pytest.raises(VerificationError, match="orthonormality"):
        eigh(sp.csr_matrix(a) if sparse else a)


@pytest.mark.parametrize("levels", [[100], [100, 400]], ids=["rank1", "rank2"])
def test_eigenvalue_only_defect_is_caught(rng, monkeypatch, levels):
    """Eigenvalues off by 1e-7 (5x rtol x scale): the trace divided by N read 1.6e-10. (Errors
    that cancel in both Tr H and Tr H^2 pass: the documented limit of two sum rules.)"""
    a = goe(rng)
    patch_eigh(monkeypatch, lambda w, _: w + 1e-7 * np.isin(np.arange(w.size), levels))
    with pytest.raises(VerificationError, match="residual"):
        eigh(a, vectors=False)


def test_vector_error_bounds_hold_for_a_near_degenerate_pair(rng):
    """H = Q diag(lam) Q^T with a pair 1e-9 apart: LAPACK may mix the pair by up to
    eps ||H|| / 1e-9; the stored Davis-Kahan bound must cover the true angle to the exact
    eigenvectors (the columns of Q) for every pair."""
    q, _ = np.linalg.qr(rng.standard_normal((N, N)))
    lam = np.sort(rng.uniform(-2, 2, N))
    lam[301] = lam[300] + 1e-9
    a = (q * lam) @ q.T
    a = 0.5 * (a + a.T)
    s = eigh(a)
    assert np.allclose(s.energies, lam, atol=1e-12)
    angle = np.linalg.norm(s.vectors - q * np.sum(q * s.vectors, axis=0), axis=0)
    assert np.all(angle <= s.vector_errors + 1e-13)
    assert s.vector_errors[300] > 1e-7 > np.median(s.vector_errors)  # the pair is flagged


def test_vector_error_bounds_by_hand():
    e = np.array([0.0, 1.0, 1.1, 3.0])
    np.testing.assert_allclose(vector_error_bounds(e, 1e-3), 1e-3 / (np.array(
        [1.0, 0.1, 0.1, 1.9]) - 1e-3))
    np.testing.assert_allclose(vector_error_bounds(e, 1e-3, window=(-0.5, 3.2)),
                               1e-3 / (np.array([0.5, 0.1, 0.1, 0.2]) - 1e-3))
    assert vector_error_bounds(np.array([0.0, 1e-4]), 1e-3).tolist() == [1.0, 1.0]


# --------------------------------------------------------------------------- unitary


def haar(rng, n=N):
    z = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    q, r = np.linalg.qr(z)
    return q * (np.diagonal(r) / np.abs(np.diagonal(r)))


def mix_closest(mu, V, UV, pairs, size):
    """Mix v_i into v_j for the ``pairs`` closest pairs of eigenvalues mu: residual size x gap."""
    d = np.abs(mu[:, None] - mu[None, :]) + 4 * np.eye(mu.size)
    V, UV = V.copy(), UV.copy()
    for _ in range(pairs):
        i, j = np.unravel_index(np.argmin(d), d.shape)
        d[i, :] = d[:, i] = d[j, :] = d[:, j] = 4
        for a in (V, UV):
            a[:, i] += size * a[:, j]
        norm = np.linalg.norm(V[:, i])
        V[:, i] /= norm
        UV[:, i] /= norm
    return V, UV


@pytest.mark.parametrize("pairs", [1, 2], ids=["rank1", "rank2"])
def test_unitary_orthonormality_defect_is_caught(rng, monkeypatch, pairs):
    u = haar(rng)
    original = unitary_module._eig_hermitian

    def corrupted(U, gap):
        mu, Q, UQ = original(U, gap)
        return (mu, *mix_closest(mu, Q, UQ, pairs, 1e-7))

    monkeypatch.setattr(unitary_module, "_eig_hermitian", corrupted)
    with pytest.raises(VerificationError, match="orthonormality"):
        eigu(u, method="hermitian")


@pytest.mark.parametrize("pairs", [1, 2], ids=["rank1", "rank2"])
def test_unitary_residual_defect_is_caught(rng, monkeypatch, pairs):
    """A rotation by 3e-7 / gap inside the closest pairs keeps V orthonormal; every column's
    residual is exact, so it reads 3e-7 > 1e-8."""
    u = haar(rng)
    original = unitary_module._eig_hermitian

    def corrupted(U, gap):
        mu, Q, UQ = original(U, gap)
        d = np.abs(mu[:, None] - mu[None, :]) + 4 * np.eye(mu.size)
        Q, UQ = Q.copy(), UQ.copy()
        for _ in range(pairs):
            i, j = np.unravel_index(np.argmin(d), d.shape)
            d[i, :] = d[:, i] = d[j, :] = d[:, j] = 4
            t = 3e-7 / abs(mu[i] - mu[j])
            c, s = np.cos(t), np.sin(t)
            for a in (Q, UQ):
                a[:, i], a[:, j] = c * a[:, i] + s * a[:, j], -s * a[:, i] + c * a[:, j]
        return mu, Q, UQ

    monkeypatch.setattr(unitary_module, "_eig_hermitian", corrupted)
    with pytest.raises(VerificationError, match="residual"):
        eigu(u, method="hermitian")


def test_unitary_eigenvalue_only_defect_is_caught(rng, monkeypatch):
    u = haar(rng)
    original = scipy.linalg.eigvals
    monkeypatch.setattr(unitary_module.scipy.linalg, "eigvals",
                        lambda *a, **k: original(*a, **k) * np.exp(1j * 1e-7 * (
                            np.arange(N) == 5)))
    with pytest.raises(VerificationError, match="residual"):
        eigu(u, vectors=False)


def test_unitary_vector_error_bounds(rng):
    s = eigu(haar(rng, 64))
    theta = s.quasienergies
    chord = np.abs(np.exp(1j * theta)[:, None] - np.exp(1j * theta)[None, :]) + 4 * np.eye(64)
    assert np.all(s.vector_errors <= 1e-10 / (chord.min(axis=1) - 1e-10))
    assert np.all(s.vector_errors > 0)


# --------------------------------------------------------------------------- interior


def xxz(rng, L=12):
    model = XXZChain(L=L, W=3.0)
    return model.hamiltonian(model.sample(rng), L // 2)   # dim 924


def drop_nearest(dropped):
    """An eigsh that loses the ``dropped``-th nearest pairs (0 = nearest), computing more."""
    original = spla.eigsh

    def lossy(A, k=6, sigma=None, **kwargs):
        w, v = original(A, k=k + len(dropped), sigma=sigma, **kwargs)
        order = np.argsort(np.abs(w - sigma))
        keep = np.sort(np.delete(order, dropped))
        return w[keep], v[:, keep]

    return lossy


METHODS = ["superlu", "pardiso"]


@pytest.mark.parametrize("dropped", [[1], [0, 3]], ids=["rank1", "rank2"])
@pytest.mark.parametrize("method", METHODS)
def test_interior_missing_pair_is_caught(request, rng, monkeypatch, method, dropped):
    if method == "pardiso":
        request.getfixturevalue("pardiso")
    H = xxz(rng)
    full = np.linalg.eigvalsh(H.toarray())
    s = eigh_interior(H, k=10, target=0.3, method=method)
    np.testing.assert_allclose(s.energies, np.sort(full[np.argsort(np.abs(full - 0.3))[:10]]),
                               atol=1e-10)
    a, b = s.window
    assert np.count_nonzero((full > a) & (full < b)) == 10
    monkeypatch.setattr(interior_module.spla, "eigsh", drop_nearest(dropped))
    with pytest.raises(VerificationError, match=r"inertia counts 1[12] eigenvalues"):
        eigh_interior(H, k=10, target=0.3, method=method)


@pytest.mark.parametrize("dropped", [[0], [0, 1]], ids=["rank1", "rank2"])
def test_polyfilter_missing_pair_is_caught(rng, monkeypatch, dropped):
    H = xxz(rng)
    original = spla.eigsh

    def lossy(op, k=6, **kwargs):   # Lanczos on p(H) that misses its largest eigenvalues
        if not isinstance(op, spla.LinearOperator):   # the Lanczos extremes of H itself
            return original(op, k=k, **kwargs)
        w, v = original(op, k=k + len(dropped), **kwargs)
        keep = np.argsort(w)[::-1][len(dropped):]
        return w[keep], v[:, keep]

    assert eigh_interior(H, k=10, target=0.3, method="polyfilter").window is not None
    monkeypatch.setattr(polyfilter_module.spla, "eigsh", lossy)
    with pytest.raises(VerificationError, match="inertia counts"):
        eigh_interior(H, k=10, target=0.3, method="polyfilter")


def test_uncertified_result_says_so(rng, monkeypatch):
    H = xxz(rng)
    monkeypatch.setattr(interior_module.spla, "eigsh", drop_nearest([1]))
    s = eigh_interior(H, k=10, target=0.3, method="superlu", certify=False)
    assert s.window is None and "not certified" in s.method


def test_interior_vector_error_bounds_cover_the_true_angles(rng):
    H = xxz(rng, L=10)
    e, u = np.linalg.eigh(H.toarray())
    s = eigh_interior(H, k=12, target=0.2, method="superlu")
    idx = np.searchsorted(e, s.energies - 1e-9)
    angle = np.linalg.norm(s.vectors - u[:, idx] * np.sum(u[:, idx] * s.vectors, axis=0),
                           axis=0)
    gaps = np.min(np.abs(e[idx][:, None] - np.delete(e, idx)[None, :]), axis=1)
    reference = 1e-13 / gaps   # the dense reference's own error
    assert np.all(angle <= s.vector_errors + reference)
    assert np.all(s.vector_errors < 1e-6)


def test_inertia_counts_match_a_dense_count(rng):
    from mblkit.models import O3HeisenbergChain
    from mblkit.solvers.inertia import superlu_count_below

    real = xxz(rng, L=10)
    model = O3HeisenbergChain(L=6, W=2.0)
    complex_h = model.hamiltonian(model.sample(rng))
    assert np.iscomplexobj(complex_h.data)
    for H in (real, complex_h):
        full = np.linalg.eigvalsh(H.toarray())
        for x in (full[3] + 1e-3, 0.5 * (full[30] + full[31]), full[-1] + 1.0):
            assert superlu_count_below(H, x) == np.count_nonzero(full < x)


def test_pardiso_inertia_count_matches_a_dense_count(pardiso, rng):
    from mblkit.solvers.inertia import pardiso_count_below

    real = xxz(rng, L=10)
    full = np.linalg.eigvalsh(real.toarray())
    assert pardiso_count_below(real, 0.5 * (full[100] + full[101])) == 101


def test_pardiso_certifies_above_its_threshold(pardiso, rng, monkeypatch):
    import mblkit.solvers.inertia as inertia

    used = []
    original = inertia.pardiso_count_below
    monkeypatch.setattr(inertia, "PARDISO_MIN_DIM", 100)
    monkeypatch.setattr(inertia, "pardiso_count_below",
                        lambda H, x: used.append(x) or original(H, x))
    H = xxz(rng, L=10)
    monkeypatch.setattr(interior_module.spla, "eigsh", drop_nearest([2]))
    with pytest.raises(VerificationError, match="inertia counts 7"):
        eigh_interior(H, k=6, target=0.1, method="pardiso")
    assert len(used) == 2 and used[0] > 0.1 > used[1]   # nu(b) then nu(a), both by PARDISO


def test_a_k_that_splits_equidistant_levels_is_refused():
    """A spectrum symmetric about the target: the 3 nearest are not defined, the 4 are."""
    levels = np.concatenate([-np.arange(1.0, 21.0), np.arange(1.0, 21.0)])
    H = sp.diags(levels).tocsr()
    s = eigh_interior(H, k=4, target=0.0, method="superlu")
    np.testing.assert_allclose(s.energies, [-2, -1, 1, 2], atol=1e-12)
    assert s.window[0] < -2 and s.window[1] > 2
    with pytest.raises(VerificationError, match="nearest are not defined"):
        eigh_interior(H, k=3, target=0.0, method="superlu")


def test_eigenvalue_only_defect_at_the_centre_is_caught_by_the_trace(rng, monkeypatch):
    """The eigenvalue nearest 0 off by 1e-7: Tr H^2 barely sees it (2 |E| d), Tr H must."""
    a = goe(rng)
    centre = int(np.argmin(np.abs(np.linalg.eigvalsh(a))))
    patch_eigh(monkeypatch, lambda w, _: w + 1e-7 * (np.arange(w.size) == centre))
    with pytest.raises(VerificationError, match="residual"):
        eigh(a, vectors=False)
