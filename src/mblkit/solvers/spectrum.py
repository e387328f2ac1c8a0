"""The result type of every Hermitian eigensolver, and its verification.

What each check bounds (N the dimension, k the number of pairs, p = :data:`PROBES`):

* residuals r_n = ||H v_n - E_n v_n||: exact for every pair of a sparse H (O(nnz k)); for a
  dense H, where H V would be a second cubic pass, the Hutchinson estimate
  ||R||_F ~ (mean_x ||R x||^2)^(1/2) over p Gaussian probes x of R = H V - V E (O(p N^2)).
  ||R||_F >= max_n r_n, and a single bad pair with residual r reads as r |u.x| with
  |u.x|^2 ~ chi^2_1: with p = 16 probes it reads below r / 10 with probability
  P(chi^2_16 < 0.16) < 1e-18 (a probe of unit length, as before, read r / sqrt(N)).
* orthonormality: max |V^dagger V - 1| over its entries, exact for thin V or N <= 256; for
  square V the same Hutchinson estimate of ||V^dagger V - 1||_F (>= the largest entry), plus the
  exact column norms. A rank-1 or rank-2 defect (one or two mixed vectors in a cluster) of size
  e reads as e (chi^2_16 / 16)^(1/2), not e / sqrt(N).
* eigenvalues only: the first two moments, |Tr H - sum E| and |Tr H^2 - sum E^2| / (2 max(1,
  ||H||)), not divided by N: a single eigenvalue off by d shows as d in the first.
* eigenvector accuracy (Davis-Kahan): sin angle(v_n, exact) <= r_n / delta_n, delta_n the
  distance from E_n to every other exact eigenvalue, >= (the gap to the nearest other computed
  level, or to the edge of a certified window) - max_m r_m (Weyl). Stored per pair as
  ``vector_errors`` (1 where the bound says nothing).

Cost against the solve, measured at N = 2048 (see ``benchmarks/RESULTS.md`` and the report in
the test module): every check together is O(p N^2) for dense and O(nnz N) for sparse input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from mblkit.solvers.kernels import csr_residual_norms

DEFAULT_RTOL = 1e-8  # relative to the spectral radius; LAPACK gives ~ N * 1e-16
#: Gaussian probes of the Hutchinson estimates (module docstring).
PROBES = 16
#: Below this dimension (or for thin V) the Gram matrix is formed exactly.
EXACT_GRAM_DIM = 256  # the Gram product is a cubic GEMM: 21 % of eigh at N = 512
_SEED = 12345


class VerificationError(ArithmeticError):
    """An eigendecomposition failed its residual, orthonormality or completeness check."""


@dataclass(frozen=True)
class Spectrum:
    """Eigenpairs of a Hermitian operator.

    energies : ascending eigenvalues, shape (k,).
    vectors : orthonormal eigenvectors as columns, shape (dim, k), or None.
    max_residual : max_n ||H v_n - E_n v_n|| (2-norm), exact for sparse input; for dense
        input a probe estimate of ||H V - V E||_F (>= the max); without vectors, the moment
        sum-rule error (module docstring).
    orthonormality_error : max |V^dagger V - 1| over its entries, or a probe estimate of
        ||V^dagger V - 1||_F (module docstring).
    method : how the pairs were computed, e.g. "lapack-evd" or "shift-invert(superlu)".
    target : the energy the pairs are nearest to, for interior solvers (None for full ED).
    vector_errors : per pair, a bound on the sine of the angle between v_n and the exact
        eigenvector (residual over the gap to the nearest other level), or None without vectors.
    window : for interior solvers, the open interval (a, b) that Sylvester inertia certified to
        hold exactly these eigenvalues (None for full ED, or when not certified).
    vector_start : the index into ``energies`` of the level whose eigenvector is
        ``vectors[:, 0]``: 0 unless only a window of eigenvectors was computed
        (``mblkit.solvers.dense.eigh(H, subset=(lo, hi))``), whose columns are the levels
        lo..hi-1; :meth:`columns` takes levels by that index.
    """

    energies: np.ndarray
    vectors: np.ndarray | None
    max_residual: float
    orthonormality_error: float
    method: str
    target: float | None = None
    vector_errors: np.ndarray | None = None
    window: tuple[float, float] | None = None
    vector_start: int = 0

    def __len__(self) -> int:
        return self.energies.shape[0]

    def columns(self, levels: slice) -> np.ndarray:
        """The eigenvectors of ``energies[levels]`` (a slice with step 1 of level indices);
        ValueError when there are none or they were not all computed."""
        start, stop, step = levels.indices(len(self))
        if self.vectors is None:
            raise ValueError("this spectrum has no eigenvectors (computed without vectors)")
        have = (self.vector_start, self.vector_start + self.vectors.shape[1])
        if step != 1 or (stop > start and not have[0] <= start <= stop <= have[1]):
            raise ValueError(f"levels={levels!r} (levels {start}..{stop - 1} of {len(self)}) "
                             f"are not all computed: this spectrum holds the eigenvectors of "
                             f"levels {have[0]}..{have[1] - 1}")
        return self.vectors[:, start - self.vector_start:stop - self.vector_start]


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


def _probes(rows: int, dtype: np.dtype, probes: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((rows, probes)).astype(dtype, copy=False)


def hutchinson_norm(apply, columns: int, dtype: np.dtype, probes: int = PROBES,
                    seed: int = _SEED) -> float:
    """(mean_x ||A x||^2)^(1/2) over Gaussian x: an unbiased estimate of ||A||_F^2, squared.

    ``apply(x)`` returns A x for a block x of ``probes`` columns of length ``columns``.
    """
    x = _probes(columns, dtype, probes, seed)
    return float(np.sqrt(np.mean(np.sum(np.abs(apply(x)) ** 2, axis=0))))


def orthonormality_error(vectors: np.ndarray, probes: int = PROBES) -> float:
    """max |V^dagger V - 1| (exact for thin V or N <= 256); else an estimate of its Frobenius
    norm from ``probes`` Gaussian probes, and never less than the exact max | ||v_n||^2 - 1 |.

    For N x N vectors V^dagger V would be a second cubic pass; the probes cost O(probes N^2)
    and see a rank-r defect of size e as ~ e sqrt(r) (module docstring).
    """
    n, k = vectors.shape
    if k < n // 4 or n <= EXACT_GRAM_DIM:
        gram = vectors.conj().T @ vectors
        gram[np.diag_indices_from(gram)] -= 1
        return float(np.max(np.abs(gram))) if gram.size else 0.0
    norms = np.einsum("ij,ij->j", vectors.conj(), vectors).real
    estimate = hutchinson_norm(lambda x: vectors.conj().T @ (vectors @ x) - x, k,
                               vectors.dtype, probes)
    return max(estimate, float(np.max(np.abs(norms - 1.0))))


def probe_residual(H: np.ndarray, energies: np.ndarray, vectors: np.ndarray,
                   probes: int = PROBES) -> float:
    """Estimate of ||H V - V E||_F (>= max_n ||H v_n - E_n v_n||) from Gaussian probes x:
    ||H (V x) - V (E x)||, O(probes N^2) instead of the cubic H V."""
    return hutchinson_norm(lambda x: H @ (vectors @ x) - vectors @ (energies[:, None] * x),
                           vectors.shape[1], np.result_type(H.dtype, vectors.dtype), probes,
                           seed=54321)


def moment_error(H: sp.spmatrix | np.ndarray, energies: np.ndarray, scale: float) -> float:
    """max(|Tr H - sum E|, |Tr H^2 - sum E^2| / (2 max(1, scale))): eigenvalue sum rules.

    Tr H^2 = ||H||_F^2 for Hermitian H, O(nnz). A single eigenvalue off by d shows as d in the
    first moment (and 2 |E| d / (2 scale) in the second); errors that cancel in both pass.
    """
    if sp.issparse(H):
        frobenius2 = float(np.sum(np.abs(H.data) ** 2))
    else:
        a = np.asarray(H)
        frobenius2 = sum(float(np.sum(np.abs(a[:, s:s + 256]) ** 2))   # no N x N temporary
                         for s in range(0, a.shape[1], 256))
    first = abs(float(np.real(H.diagonal().sum())) - float(np.sum(energies)))
    second = abs(frobenius2 - float(np.sum(energies**2)))
    return max(first, second / (2.0 * max(1.0, scale)))


def vector_error_bounds(energies: np.ndarray, residual: np.ndarray | float,
                        window: tuple[float, float] | None = None) -> np.ndarray:
    """Davis-Kahan bound min(1, r_n / delta_n) per pair (module docstring).

    ``energies`` ascending; ``residual`` per pair or one value for all; ``window``: an interval
    certified to hold no other eigenvalue, whose edges bound the gap of the outermost pairs
    (without one, the returned levels are taken to be the whole spectrum).
    """
    e = np.asarray(energies, dtype=np.float64)
    r = np.broadcast_to(np.asarray(residual, dtype=np.float64), e.shape)
    gap = np.full(e.shape, np.inf)
    if e.size > 1:
        d = np.diff(e)
        gap[:-1] = np.minimum(gap[:-1], d)
        gap[1:] = np.minimum(gap[1:], d)
    if window is not None:
        gap = np.minimum(gap, np.minimum(e - window[0], window[1] - e))
    delta = gap - (float(np.max(r)) if r.size else 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        bound = np.where(delta > 0, r / np.where(delta > 0, delta, 1.0), 1.0)
    return np.minimum(bound, 1.0)


def verify(spectrum: Spectrum, scale: float, rtol: float = DEFAULT_RTOL) -> Spectrum:
    """Raise :class:`VerificationError` unless residual and orthonormality are within tolerance.

    The residual is compared with ``rtol * max(1, scale)``, ``scale`` being the spectral radius;
    the orthonormality error with ``rtol``.
    """
    bound = rtol * max(1.0, scale)
    if not np.isfinite(spectrum.max_residual) or spectrum.max_residual > bound:
        raise VerificationError(f"{spectrum.method}: max residual ||H v - E v|| = "
                                f"{spectrum.max_residual:.3e} exceeds {bound:.1e}")
    if not np.isfinite(spectrum.orthonormality_error) or spectrum.orthonormality_error > rtol:
        raise VerificationError(f"{spectrum.method}: orthonormality error "
                                f"{spectrum.orthonormality_error:.3e} exceeds {rtol:.1e}")
    return spectrum
