"""Interior (mid-spectrum) eigenpairs of a sparse Hermitian matrix by shift-invert Lanczos.

k eigenpairs nearest a target energy sigma: ARPACK's Lanczos on (H - sigma)^-1, with the
sparse LU factorisation of H - sigma from SuperLU (settings below). Faster factorisations for
L >= 18 (PARDISO, polynomial filters) are the subject of a later issue. The default target
is the spectral centre (E_min + E_max) / 2 (``ergodic-bubble-inclusions.txt``, the paragraph
after Eq. 4), with the extremes from Lanczos. Every pair is verified like full ED.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from mblkit.solvers.spectrum import (
    DEFAULT_RTOL,
    Spectrum,
    VerificationError,
    orthonormality_error,
    residuals,
    verify,
)


def spectral_extremes(H: sp.spmatrix, tol: float = 1e-10) -> tuple[float, float]:
    """(E_min, E_max) by Lanczos (ARPACK)."""
    rng = np.random.default_rng(2024)
    v0 = rng.standard_normal(H.shape[0])
    low = spla.eigsh(H, k=1, which="SA", tol=tol, v0=v0, return_eigenvectors=False)[0]
    high = spla.eigsh(H, k=1, which="LA", tol=tol, v0=v0, return_eigenvectors=False)[0]
    return float(low), float(high)


def spectral_centre(H: sp.spmatrix) -> float:
    """(E_min + E_max) / 2, the target of mid-spectrum studies."""
    low, high = spectral_extremes(H)
    return 0.5 * (low + high)


# SuperLU settings, measured on the XXZ S^z = 0 sector at L = 16 (N = 12870, 50 pairs, see
# benchmarks/RESULTS.md): symmetric mode with minimum degree on A^T + A and no pivoting keeps
# the factor symmetric and small: 3.7 s / 351 MB against 8.7 s / 421 MB for eigsh's default
# (COLAMD with partial pivoting); with pivoting, the same ordering took 22 s. Without pivoting
# the solves are less accurate (residuals 1e-11 at L = 16, 3e-10 at L = 18, still far inside
# the verification), so a failed verification is retried once with the pivoting default.
FAST_LU = {"permc_spec": "MMD_AT_PLUS_A",
           "options": {"SymmetricMode": True}, "diag_pivot_thresh": 0.0}
SAFE_LU: dict = {}


def shift_invert_operator(H: sp.spmatrix, sigma: float, lu_options: dict | None = None
                          ) -> spla.LinearOperator:
    """x -> (H - sigma)^-1 x via one SuperLU factorisation (``FAST_LU`` settings by default)."""
    shifted = (H - sigma * sp.identity(H.shape[0], dtype=H.dtype, format="csr")).tocsc()
    lu = spla.splu(shifted, **(FAST_LU if lu_options is None else lu_options))
    return spla.LinearOperator(H.shape, matvec=lu.solve, dtype=H.dtype)


def _shift_invert_pairs(H: sp.csr_matrix, k: int, target: float, scale: float,
                        lu_options: dict, rtol: float) -> Spectrum:
    op_inv = shift_invert_operator(H, target, lu_options)
    energies, vecs = spla.eigsh(H, k=k, sigma=target, which="LM", OPinv=op_inv,
                                v0=np.random.default_rng(7).standard_normal(H.shape[0]))
    order = np.argsort(energies)
    energies, vecs = energies[order], vecs[:, order]
    scale = max(scale, float(np.max(np.abs(energies))))
    name = "fast" if lu_options is FAST_LU else "pivoting"
    spectrum = Spectrum(energies, vecs, float(np.max(residuals(H, energies, vecs))),
                        orthonormality_error(vecs), f"shift-invert(superlu-{name})", target)
    return verify(spectrum, scale, rtol)


def eigh_interior(H: sp.spmatrix, k: int = 50, target: float | None = None,
                  rtol: float = DEFAULT_RTOL) -> Spectrum:
    """The ``k`` eigenpairs of sparse Hermitian ``H`` nearest ``target`` (default: centre).

    Returns a :class:`Spectrum` with ascending energies and the target it used; raises
    VerificationError if a residual or the orthonormality fails the check.
    """
    if not sp.issparse(H) or H.ndim != 2 or H.shape[0] != H.shape[1]:
        raise ValueError("H must be a square scipy.sparse matrix")
    dim = H.shape[0]
    if not isinstance(k, int | np.integer) or not 1 <= k < dim - 1:
        raise ValueError(f"k={k!r} is not allowed: it must be an integer in 1..{dim - 2} "
                         f"(dim - 2); for more pairs use full ED (mblkit.solvers.eigh)")
    H = sp.csr_matrix(H)
    if target is None:
        low, high = spectral_extremes(H)
        target = 0.5 * (low + high)
        scale = max(abs(low), abs(high))
    else:
        scale = abs(float(target))
    try:
        return _shift_invert_pairs(H, k, float(target), scale, FAST_LU, rtol)
    except VerificationError:
        return _shift_invert_pairs(H, k, float(target), scale, SAFE_LU, rtol)
