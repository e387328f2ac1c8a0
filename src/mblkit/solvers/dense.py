"""Full exact diagonalisation of Hermitian operators by LAPACK.

Driver choice, measured on XXZ sector matrices with OpenBLAS on 2 cores (``benchmarks/RESULTS.md``):
with eigenvectors, divide and conquer (``evd``, ?syevd / ?heevd) is the fastest up to a few
thousand states (N = 924: 0.067 s vs 0.127 s for SciPy's default ``evr``; N = 3432: 2.85 s vs
3.53 s), while at N = 12870 ``evr`` (MRRR) was faster (195 s vs 215 s) and needs half the
memory (evd's workspace is 2 N^2). ``ev`` and ``evx`` are 8-15x slower. Eigenvalues alone take
the same time with every driver (the tridiagonal reduction dominates). Hence ``driver="auto"``:
``evd`` for N <= 6000, ``evr`` above.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from mblkit.memory import require_memory
from mblkit.solvers.spectrum import (
    DEFAULT_RTOL,
    Spectrum,
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


def choose_driver(dim: int, driver: str = DEFAULT_DRIVER) -> str:
    """The LAPACK driver ``eigh`` uses: ``driver`` itself, or the measured rule for "auto"."""
    if driver not in DRIVERS:
        raise ValueError(f"driver={driver!r} is not allowed: use one of {DRIVERS}")
    if driver != "auto":
        return driver
    return "evd" if dim <= EVD_MAX_DIM else "evr"


def dense_memory(dim: int, dtype: np.dtype, vectors: bool = True, driver: str = DEFAULT_DRIVER
                 ) -> int:
    """Estimated peak bytes of :func:`eigh` on a ``dim``-dimensional matrix of ``dtype``."""
    driver = choose_driver(dim, driver)
    factor = _WORK_MATRICES[driver] if vectors else 1.2
    return int(factor * dim * dim * np.dtype(dtype).itemsize)


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


def eigh(H: sp.spmatrix | np.ndarray, vectors: bool = True, driver: str = DEFAULT_DRIVER,
         rtol: float = DEFAULT_RTOL) -> Spectrum:
    """All eigenpairs of a Hermitian matrix (sparse or dense), verified.

    H is checked to be Hermitian (:func:`check_hermitian`) and the memory before the dense copy
    is made; residuals ||H v - E v|| are computed for every pair from the sparse H (O(nnz N),
    no second cubic pass), or estimated by Gaussian probes of ||H V - V E||_F for a dense
    input; orthonormality as in :func:`mblkit.solvers.spectrum.orthonormality_error`. Without
    vectors, the eigenvalues are checked against the moment sum rules Tr H and Tr H^2. A failed
    check raises VerificationError. The result carries a Davis-Kahan bound per eigenvector.
    """
    _check_square(H)
    check_hermitian(H)
    dim = H.shape[0]
    driver = choose_driver(dim, driver)
    dtype = np.result_type(H.dtype, np.float64)
    require_memory(dense_memory(dim, dtype, vectors, driver), f"full ED of a {dim} x {dim} "
                   f"{np.dtype(dtype).name} matrix")
    if sp.issparse(H):
        dense = sp.csr_matrix(H).toarray().astype(dtype, copy=False)
    else:
        dense = np.array(H, dtype=dtype, copy=True)
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
    per_pair: np.ndarray | float
    if sp.issparse(H):
        per_pair = residuals(H, energies, vecs)
        residual = float(np.max(per_pair, initial=0.0))
    else:
        residual = probe_residual(np.asarray(H), energies, vecs)
        per_pair = residual
    spectrum = Spectrum(energies, vecs, residual, orthonormality_error(vecs), method,
                        vector_errors=vector_error_bounds(energies, per_pair))
    return verify(spectrum, scale, rtol)
