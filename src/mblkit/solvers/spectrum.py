"""The result type of every Hermitian eigensolver, and its verification."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from mblkit.solvers.kernels import csr_residual_norms

DEFAULT_RTOL = 1e-8  # relative to the spectral radius; LAPACK gives ~ N * 1e-16


class VerificationError(ArithmeticError):
    """An eigendecomposition failed its residual or orthonormality check."""


@dataclass(frozen=True)
class Spectrum:
    """Eigenpairs of a Hermitian operator.

    energies : ascending eigenvalues, shape (k,).
    vectors : orthonormal eigenvectors as columns, shape (dim, k), or None.
    max_residual : max_n ||H v_n - E_n v_n|| (2-norm), or a probe estimate (see ``method``).
    orthonormality_error : max |V^dagger V - 1| over its entries, or a probe estimate.
    method : how the pairs were computed, e.g. "lapack-evd" or "shift-invert(superlu)".
    target : the energy the pairs are nearest to, for interior solvers (None for full ED).
    """

    energies: np.ndarray
    vectors: np.ndarray | None
    max_residual: float
    orthonormality_error: float
    method: str
    target: float | None = None

    def __len__(self) -> int:
        return self.energies.shape[0]


def residuals(H: sp.spmatrix | np.ndarray, energies: np.ndarray, vectors: np.ndarray,
              chunk: int = 256) -> np.ndarray:
    """||H v_n - E_n v_n|| for every column; sparse H costs O(nnz k) with no temporaries."""
    if sp.issparse(H):
        csr = sp.csr_matrix(H)
        dtype = np.result_type(csr.dtype, vectors.dtype)
        out = np.empty(vectors.shape[1])
        for start in range(0, vectors.shape[1], chunk):  # Fortran-ordered chunks: contiguous
            v = np.asfortranarray(vectors[:, start:start + chunk], dtype=dtype)
            out[start:start + chunk] = csr_residual_norms(
                csr.indptr, csr.indices, csr.data.astype(dtype, copy=False), v,
                energies[start:start + chunk])
        return out
    return np.linalg.norm(H @ vectors - vectors * energies, axis=0)


def orthonormality_error(vectors: np.ndarray, rng: np.random.Generator | None = None,
                         probes: int = 4) -> float:
    """max |V^dagger V - 1|: exact for thin V; for square V a probe estimate costing O(N^2).

    For N x N vectors, V^dagger V would be a second cubic pass. Instead, for random unit probes x,
    ||V^dagger (V x) - x|| is measured; it vanishes for all x only if V is unitary and is
    of order ||V^dagger V - 1|| for random x.
    """
    n, k = vectors.shape
    if k < n // 4 or n <= 512:
        gram = vectors.conj().T @ vectors
        gram[np.diag_indices_from(gram)] -= 1
        return float(np.max(np.abs(gram))) if gram.size else 0.0
    rng = np.random.default_rng(12345) if rng is None else rng
    x = rng.standard_normal((k, probes))
    x /= np.linalg.norm(x, axis=0)
    return float(np.max(np.linalg.norm(vectors.conj().T @ (vectors @ x) - x, axis=0)))


def verify(spectrum: Spectrum, scale: float, rtol: float = DEFAULT_RTOL) -> Spectrum:
    """Raise :class:`VerificationError` unless residual and orthonormality are within tolerance.

    The residual is compared with ``rtol * max(1, scale)``, ``scale`` being the spectral radius.
    """
    bound = rtol * max(1.0, scale)
    if not np.isfinite(spectrum.max_residual) or spectrum.max_residual > bound:
        raise VerificationError(f"{spectrum.method}: max residual ||H v - E v|| = "
                                f"{spectrum.max_residual:.3e} exceeds {bound:.1e}")
    if not np.isfinite(spectrum.orthonormality_error) or spectrum.orthonormality_error > rtol:
        raise VerificationError(f"{spectrum.method}: orthonormality error "
                                f"{spectrum.orthonormality_error:.3e} exceeds {rtol:.1e}")
    return spectrum
