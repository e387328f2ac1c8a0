"""Full exact diagonalisation of Hermitian operators by LAPACK.

Driver choice, measured on XXZ sector matrices with OpenBLAS on 2 cores (``benchmarks/RESULTS.md``):
with eigenvectors, divide and conquer (``evd``, ?syevd / ?heevd) is the fastest up to a few
thousand states (N = 924: 0.067 s vs 0.127 s for SciPy's default ``evr``; N = 3432: 2.85 s vs
3.53 s), while at N = 12870 ``evr`` (MRRR) was faster (195 s vs 215 s) and needs half the
memory (evd's workspace is 2 N^2). ``ev`` and ``evx`` are 8-15x slower. Eigenvalues alone take
the same time with every driver (the tridiagonal reduction dominates). Hence ``driver="auto"``:
``evd`` for N <= 6000, ``evr`` above.

A window of eigenvectors (``eigh(H, subset=(lo, hi))``, issue 17): Householder reduction to a
tridiagonal T (?sytrd / ?hetrd, the O(N^3) part every driver shares), all eigenpairs of the
real T (dstevd or dstemr, O(N^2) in practice), and the back-transformation Q Z of the k wanted
columns alone (2 N^2 k flops instead of 2 N^3, compact WY blocks). SciPy's
``eigh(..., subset_by_index=..., driver="evr")`` is not MRRR for a window: LAPACK's ?syevr calls
dstemr only for the whole spectrum and otherwise bisection and inverse iteration (dstebz +
dstein, as ?syevx). Where the window wins is :func:`subset_wins`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.linalg
import scipy.linalg.lapack as lapack
import scipy.sparse as sp

from mblkit.memory import require_memory
from mblkit.solvers.spectrum import (
    DEFAULT_RTOL,
    Spectrum,
    VerificationError,
    moment_error,
    orthonormality_error,
    probe_residual,
    residuals,
    vector_error_bounds,
    verify,
)

DEFAULT_DRIVER = "auto"
DRIVERS = ("auto", "ev", "evd", "evr", "evx")
EVD_MAX_DIM = 6000
# Bytes per matrix element held at once: the dense copy that LAPACK overwrites with the
# eigenvectors plus ?syevd's workspace of 2 N^2 (plus 1 + 6N), with a margin for the residual
# check's column chunks.
_WORK_MATRICES = {"evd": 3.2, "ev": 2.2, "evr": 2.2, "evx": 2.2}
#: Householder reflectors per compact-WY block of the back-transformation, and the columns of Z
#: updated per GEMM (the size of its one reused buffer).
WY_BLOCK = 128
_COLUMN_CHUNK = 512
#: where a window of eigenvectors is solved apart (:func:`subset_wins`)
SUBSET_MIN_DIM = 900
SUBSET_MAX_FRACTION = 0.75


def choose_driver(dim: int, driver: str = DEFAULT_DRIVER) -> str:
    """The LAPACK driver ``eigh`` uses: ``driver`` itself, or the measured rule for "auto"."""
    if driver not in DRIVERS:
        raise ValueError(f"driver={driver!r} is not allowed: use one of {DRIVERS}")
    if driver != "auto":
        return driver
    return "evd" if dim <= EVD_MAX_DIM else "evr"


def dense_memory(dim: int, dtype: np.dtype, vectors: bool = True, driver: str = DEFAULT_DRIVER,
                 subset: tuple[int, int] | None = None) -> int:
    """Estimated peak bytes of :func:`eigh` on a ``dim``-dimensional matrix of ``dtype``.

    With ``subset`` (k = hi - lo eigenvectors, :func:`subset_pairs`): the reduced matrix holding
    the reflectors, T's N x N float64 eigenvectors (plus dstevd's workspace of N^2 up to
    :data:`EVD_MAX_DIM`), the k back-transformed columns (complex only: a real T's vectors are
    transformed in place), and 0.2 N^2 for the residual check's chunks.
    """
    itemsize = np.dtype(dtype).itemsize
    if subset is not None and vectors:
        k = _check_subset(dim, subset)
        tridiagonal = 16 if dim <= EVD_MAX_DIM else 8
        extra = k * itemsize if np.dtype(dtype).kind == "c" else 0
        return int((1.2 * itemsize + tridiagonal) * dim * dim + extra * dim)
    driver = choose_driver(dim, driver)
    factor = _WORK_MATRICES[driver] if vectors else 1.2
    return int(factor * dim * dim * itemsize)


def subset_wins(dim: int, k: int) -> bool:
    """Whether ``eigh(H, subset=...)`` of k levels was measured faster than full ``eigh`` at
    dimension ``dim`` (``benchmarks/RESULTS.md`` section 1): from :data:`SUBSET_MIN_DIM` on, for
    windows of at most :data:`SUBSET_MAX_FRACTION` of the levels.

    Measured (XXZ, W = 5, one thread, loaded machine), min time of the window over full eigh
    for k / N = 0.5, 0.75, 0.9, 0.99: N = 924 0.83, 0.96, 1.02, 1.04; N = 3432 0.83, 0.92,
    0.96, 1.03; at N = 252 the times (10-20 ms) were within the noise.
    """
    return dim >= SUBSET_MIN_DIM and k <= SUBSET_MAX_FRACTION * dim


def _check_subset(dim: int, subset: tuple[int, int]) -> int:
    """The number of levels in ``subset`` = (lo, hi), ValueError unless 0 <= lo < hi <= dim."""
    try:
        lo, hi = (int(x) for x in subset)
    except (TypeError, ValueError):
        raise ValueError(f"subset={subset!r} is not allowed: give (lo, hi), the levels "
                         f"lo..hi-1 in ascending order") from None
    if not 0 <= lo < hi <= dim:
        raise ValueError(f"subset={subset!r} is not allowed for dimension {dim}: it must "
                         f"satisfy 0 <= lo < hi <= {dim} (levels lo..hi-1)")
    return hi - lo


def _check_square(H) -> None:
    if H.ndim != 2 or H.shape[0] != H.shape[1]:
        raise ValueError(f"H must be a square matrix, got shape {H.shape}")


def check_hermitian(H: sp.spmatrix | np.ndarray, rtol: float = DEFAULT_RTOL) -> None:
    """Raise ValueError unless max |H - H^dagger| <= rtol max(1, max |H_ij|) (O(nnz) or N^2).

    LAPACK's Hermitian drivers read one triangle only: a non-Hermitian H would give the
    eigenvalues of another matrix with no error.
    """
    if sp.issparse(H):
        diff = sp.csr_matrix(H - H.conj().T)
        big = float(np.max(np.abs(diff.data), initial=0.0))
        size = float(np.max(np.abs(H.data), initial=0.0))
    else:
        a = np.asarray(H)
        bigs, sizes = [0.0], [0.0]
        for start in range(0, a.shape[0], 256):  # column blocks: no N x N temporary
            cols = slice(start, start + 256)
            bigs.append(float(np.max(np.abs(a[:, cols] - a[cols, :].conj().T), initial=0.0)))
            sizes.append(float(np.max(np.abs(a[:, cols]), initial=0.0)))
        big, size = float(np.max(bigs)), float(np.max(sizes))  # NaN propagates
    if not np.isfinite(size) or not big <= rtol * max(1.0, size):
        raise ValueError(f"H is not Hermitian (or not finite): max |H - H^dagger| = {big:.3e} "
                         f"against max |H_ij| = {size:.3e}; eigh takes Hermitian matrices only "
                         f"(for a unitary use mblkit.solvers.unitary.eigu)")


def tridiagonalise(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A = Q T Q^dagger by ?sytrd / ?hetrd (lower triangle), in place in the Fortran-ordered
    float64 or complex128 ``a``.

    Returns (reduced, d, e, tau): ``a`` overwritten (below its subdiagonal, the Householder
    vectors of Q = H(0) H(1) ... H(N-2), H(i) = I - tau_i v_i v_i^dagger), T's real diagonal
    and off-diagonal, and the tau_i.
    """
    real = a.dtype == np.float64
    reduce, query = (lapack.dsytrd, lapack.dsytrd_lwork) if real else (lapack.zhetrd,
                                                                          lapack.zhetrd_lwork)
    work, info = query(a.shape[0], lower=1)
    reduced, d, e, tau, info = reduce(a, lower=1, lwork=max(1, int(np.real(work))),
                                      overwrite_a=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"?sytrd / ?hetrd failed with info = {info}")
    return reduced, d, e, tau


def back_transform(reduced: np.ndarray, tau: np.ndarray, z: np.ndarray,
                   block: int = WY_BLOCK) -> None:
    """z <- Q z in place for Q of :func:`tridiagonalise` (the job of ?ormtr, which SciPy does
    not wrap), 2 N^2 k flops for k columns, in GEMMs.

    Each block of b reflectors is I - V S V^dagger with S^-1 = diag(1 / tau) + striu(V^dagger V)
    (the compact WY "UT transform", Joffrain et al., ACM Trans. Math. Softw. 32, 169 (2006),
    Eq. 3; for b = 2 it is the product written out), applied last block first.
    """
    n, k = z.shape
    chunk = min(k, _COLUMN_CHUNK)
    buffer = np.empty((n, chunk), dtype=z.dtype, order="F")
    for j in range(((n - 2) // block) * block, -1, -block) if n > 1 else ():
        b = min(block, n - 1 - j)
        v = np.tril(reduced[j + 1:, j:j + b], -1)
        v[np.arange(b), np.arange(b)] = 1.0
        t = tau[j:j + b]
        identity = t == 0  # H(i) = I: drop its vector
        v[:, identity] = 0.0
        s_inverse = np.triu(v.conj().T @ v, 1)
        s_inverse[np.diag_indices(b)] = 1.0 / np.where(identity, 1.0, t)
        rows = z[j + 1:]
        w = scipy.linalg.solve_triangular(s_inverse, v.conj().T @ rows, check_finite=False)
        for start in range(0, k, chunk):
            stop = min(k, start + chunk)
            product = buffer[:n - j - 1, :stop - start]
            np.matmul(v, w[:, start:stop], out=product)
            rows[:, start:stop] -= product


#: how :func:`subset_pairs` solves T: divide and conquer (all pairs), MRRR (all pairs), MRRR with
#: the index range (the k pairs only; with dsterf for all eigenvalues)
TRIDIAGONAL_SOLVERS = ("auto", "stevd", "stemr", "stemr-index")


def subset_pairs(a: np.ndarray, lo: int, hi: int, solver: str = "auto"
                 ) -> tuple[np.ndarray, np.ndarray, str]:
    """(every eigenvalue, the eigenvectors of levels lo..hi-1, the method) of the Hermitian
    Fortran-ordered ``a`` (overwritten), unverified.

    :func:`tridiagonalise`; the eigenpairs of the real T by ``solver``: "auto" is dstevd
    (divide and conquer) for N <= :data:`EVD_MAX_DIM` and dstemr (MRRR) above, as
    :func:`choose_driver`; both solve all of T (O(N^2) of the O(N^3) whole), because dstemr with
    an index range ("stemr-index") measured slower than for all pairs (N = 3432, half the
    levels: 3.5 s against 2.9 s; dstevd 2.2 s); then :func:`back_transform` of the k columns
    alone, where the saving is (2 N^2 k flops instead of 2 N^3). The eigenvectors are a
    Fortran-ordered N x k array.
    """
    if solver not in TRIDIAGONAL_SOLVERS:
        raise ValueError(f"solver={solver!r} is not allowed: use one of {TRIDIAGONAL_SOLVERS}")
    n = a.shape[0]
    if n == 1:  # no reflectors, and the wrappers refuse an empty e
        return a.real.diagonal().copy(), np.ones((1, 1), a.dtype), "lapack-trivial"
    if solver == "auto":
        solver = "stevd" if n <= EVD_MAX_DIM else "stemr"
    reduced, d, e, tau = tridiagonalise(a)
    if solver == "stevd":
        energies, z, info = lapack.dstevd(d, e)
        columns = slice(lo, hi)
    else:
        index = solver == "stemr-index"
        bounds = (2, 0.0, 0.0, lo + 1, hi) if index else (0, 0.0, 0.0, 1, n)
        e_padded = np.append(e, 0.0)  # length N (workspace, overwritten)
        lwork, liwork, info = lapack.dstemr_lwork(d, e_padded.copy(), *bounds)
        count, energies, z, info = lapack.dstemr(d, e_padded, *bounds, compute_v=1,
                                                 lwork=int(lwork), liwork=int(liwork))
        if info == 0 and count != (hi - lo if index else n):
            info = -999
        columns = slice(0, hi - lo) if index else slice(lo, hi)
        if index and info == 0:
            energies, info = lapack.dsterf(d, e)
    if info != 0:
        raise np.linalg.LinAlgError(f"{solver} failed with info = {info} on T of dimension {n}")
    # the wrappers allocate N x N whatever k is; a real T's vectors are transformed in place
    vectors = z[:, columns] if a.dtype == np.float64 else z[:, columns].astype(a.dtype,
                                                                                order="F")
    del z
    back_transform(reduced, tau, vectors)
    return energies, vectors, f"lapack-sytrd-{solver}"


def _dense_copy(H: sp.spmatrix | np.ndarray, dtype: np.dtype, order: Literal["C", "F"] = "C"
                ) -> np.ndarray:
    if sp.issparse(H):
        return sp.csr_matrix(H).toarray(order=order).astype(dtype, order=order, copy=False)
    return np.array(H, dtype=dtype, order=order, copy=True)


def eigh(H: sp.spmatrix | np.ndarray, vectors: bool = True, driver: str = DEFAULT_DRIVER,
         rtol: float = DEFAULT_RTOL, subset: tuple[int, int] | None = None) -> Spectrum:
    """All eigenpairs of a Hermitian matrix (sparse or dense), verified.

    H is checked to be Hermitian (:func:`check_hermitian`) and the memory before the dense copy
    is made; residuals ||H v - E v|| are computed for every pair from the sparse H (O(nnz N),
    no second cubic pass), or estimated by Gaussian probes of ||H V - V E||_F for a dense
    input; orthonormality as in :func:`mblkit.solvers.spectrum.orthonormality_error`. Without
    vectors, the eigenvalues are checked against the moment sum rules Tr H and Tr H^2. A failed
    check raises VerificationError. The result carries a Davis-Kahan bound per eigenvector.

    ``subset = (lo, hi)``: every eigenvalue, but the eigenvectors of the levels lo..hi-1 only
    (:func:`subset_pairs`; ``driver`` must be "auto"; ``method`` "lapack-sytrd-stevd" or
    "lapack-sytrd-stemr"); ``Spectrum.vector_start`` is lo and
    ``Spectrum.columns`` picks levels by their global index. Those k pairs are verified as
    above (residual of each against its level in ``energies``, orthonormality), and all the
    eigenvalues by the sum rules.
    """
    _check_square(H)
    check_hermitian(H)
    dim = H.shape[0]
    if subset is not None:
        if driver != "auto":
            raise ValueError(f"driver={driver!r} is not allowed with subset={subset!r}: a "
                             f"window of eigenvectors is computed by MRRR (dstemr) alone; use "
                             f"driver='auto'")
        if not vectors:
            raise ValueError(f"subset={subset!r} is not allowed with vectors=False: without "
                             f"eigenvectors every eigenvalue is computed at the same cost")
        _check_subset(dim, subset)
        return _eigh_subset(H, (int(subset[0]), int(subset[1])), rtol)
    driver = choose_driver(dim, driver)
    dtype = np.result_type(H.dtype, np.float64)
    require_memory(dense_memory(dim, dtype, vectors, driver), f"full ED of a {dim} x {dim} "
                   f"{np.dtype(dtype).name} matrix")
    dense = _dense_copy(H, dtype, order="F")  # LAPACK overwrites it: no second copy
    method = f"lapack-{driver}"
    if not vectors:
        energies = scipy.linalg.eigh(dense, eigvals_only=True, driver=driver, overwrite_a=True,
                                     check_finite=False)
        scale = float(np.max(np.abs(energies))) if dim else 0.0
        return verify(Spectrum(energies, None, moment_error(H, energies, scale), 0.0, method),
                      scale, rtol)
    energies, vecs = scipy.linalg.eigh(dense, driver=driver, overwrite_a=True,
                                       check_finite=False)
    del dense
    scale = float(np.max(np.abs(energies))) if dim else 0.0
    residual, per_pair = _pair_residuals(H, energies, vecs)
    spectrum = Spectrum(energies, vecs, residual, orthonormality_error(vecs), method,
                        vector_errors=vector_error_bounds(energies, per_pair))
    return verify(spectrum, scale, rtol)


def _pair_residuals(H: sp.spmatrix | np.ndarray, energies: np.ndarray, vecs: np.ndarray
                    ) -> tuple[float, np.ndarray | float]:
    """The largest residual ||H v - E v|| and the per-pair residuals: every pair exactly for a
    sparse H, a random-probe estimate (one number for all pairs) for a dense one."""
    if sp.issparse(H):
        per_pair = residuals(H, energies, vecs)
        return float(np.max(per_pair, initial=0.0)), per_pair
    residual = probe_residual(np.asarray(H), energies, vecs)
    return residual, residual


def _eigh_subset(H: sp.spmatrix | np.ndarray, subset: tuple[int, int], rtol: float) -> Spectrum:
    lo, hi = subset
    dim = H.shape[0]
    dtype = np.result_type(H.dtype, np.float64)
    require_memory(dense_memory(dim, dtype, True, subset=subset),
                   f"ED of levels {lo}..{hi - 1} of a {dim} x {dim} {np.dtype(dtype).name} "
                   f"matrix")
    energies, vecs, method = subset_pairs(_dense_copy(H, dtype, order="F"), lo, hi)
    scale = float(np.max(np.abs(energies)))
    paired = energies[lo:hi]
    residual, per_pair = _pair_residuals(H, paired, vecs)
    neighbours = (float(energies[lo - 1]) if lo > 0 else -np.inf,
                  float(energies[hi]) if hi < dim else np.inf)
    spectrum = verify(Spectrum(energies, vecs, residual, orthonormality_error(vecs),
                               method,
                               vector_errors=vector_error_bounds(paired, per_pair, neighbours),
                               vector_start=lo), scale, rtol)
    bound = rtol * max(1.0, scale)
    moments = moment_error(H, energies, scale)
    if not moments <= bound:
        raise VerificationError(f"{method}: the eigenvalues miss the sum rules Tr H, Tr H^2 by "
                                f"{moments:.3e}, more than {bound:.1e}")
    return spectrum
