"""Sylvester inertia: how many eigenvalues of a sparse Hermitian H lie below a shift, and the
certificate that interior eigenpairs are the k nearest the target.

Sylvester's law of inertia: if P (H - x) P^T = L D L^dagger with L unit lower triangular, D has
as many negative entries as H has eigenvalues below x. Two factorisations give the count in a
window, nu(b) - nu(a). Sources of the factorisation:

* MKL PARDISO's symmetric-indefinite LDL^T (iparm 22/23), trusted when no pivot was perturbed;
* SciPy's SuperLU in symmetric mode with diagonal pivots only (``diag_pivot_thresh = 0``): with
  row and column permutations equal, U = D L^dagger, so the signs of diag(U) are the inertia.
  If SuperLU had to leave the diagonal (a zero pivot), the count is refused.

Cost: one sparse factorisation per edge, the same kind as shift-invert's own (two more in all,
measured in the report of the solver tests).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from mblkit.solvers.pardiso import PARDISO_MIN_DIM, PardisoLDL, pardiso_available
from mblkit.solvers.spectrum import VerificationError

#: SuperLU options that keep the factorisation symmetric (diagonal pivots only).
SYMMETRIC_LU = {"permc_spec": "MMD_AT_PLUS_A", "options": {"SymmetricMode": True},
                "diag_pivot_thresh": 0.0}


def superlu_count_below(H: sp.spmatrix, x: float) -> int:
    """Eigenvalues of H below ``x`` from the signs of SuperLU's symmetric LDL^dagger pivots."""
    n = H.shape[0]
    shifted = (sp.csr_matrix(H) - x * sp.identity(n, dtype=H.dtype, format="csr")).tocsc()
    try:
        lu = spla.splu(shifted, **SYMMETRIC_LU)
    except RuntimeError as err:  # exactly singular
        raise VerificationError(f"inertia at {x!r}: H - x is singular ({err})") from err
    if not np.array_equal(lu.perm_r, lu.perm_c):
        raise VerificationError(f"inertia at {x!r}: SuperLU left the diagonal (a zero pivot), "
                                f"so its pivots do not give the inertia")
    pivots = lu.U.diagonal().real
    if np.any(pivots == 0) or not np.all(np.isfinite(pivots)):
        raise VerificationError(f"inertia at {x!r}: zero or non-finite pivot")
    return int(np.count_nonzero(pivots < 0))


def pardiso_count_below(H: sp.spmatrix, x: float) -> int | None:
    """The same from PARDISO's LDL^T; None if a pivot was perturbed (the count is not exact)."""
    with PardisoLDL(H, x) as ldl:
        positive, negative, perturbed = ldl.inertia
    if perturbed or positive + negative != H.shape[0]:
        return None
    return negative


def count_below(H: sp.spmatrix, x: float, pardiso: bool | None = None) -> int:
    """Eigenvalues of Hermitian sparse H below ``x``: PARDISO where asked for (default: where
    installed, H is real and dim >= PARDISO_MIN_DIM), SuperLU's symmetric LDL^dagger otherwise
    or if PARDISO perturbed a pivot."""
    real = not np.iscomplexobj(H.data)
    if pardiso is None:
        pardiso = real and H.shape[0] >= PARDISO_MIN_DIM and pardiso_available()
    if pardiso and real:
        count = pardiso_count_below(H, x)
        if count is not None:
            return count
    return superlu_count_below(H, x)


def certify_nearest(H: sp.spmatrix, computed: np.ndarray, target: float, k: int,
                    residual: float, method: str, pardiso: bool | None = None
                    ) -> tuple[np.ndarray, tuple[float, float]]:
    """The k of the ``computed`` eigenvalues nearest ``target``, certified to be the k nearest
    eigenvalues of H; returns them ascending and the window (a, b) that holds exactly them.

    ``computed`` may hold more than k values: the nearest left out places the window's edges
    halfway between the k-th and the (k+1)-th distance, where the factorisations are well
    conditioned. Raises VerificationError if H has a different number of eigenvalues in the
    window (a pair is missing, or a spurious one was returned), or if the k-th and (k+1)-th
    distances cannot be told apart within the residuals.
    """
    values = np.asarray(computed, dtype=np.float64)
    dist = np.abs(values - target)
    order = np.argsort(dist, kind="stable")
    kept = np.sort(values[order[:k]])
    radius = float(dist[order[k - 1]])
    margin = 4.0 * residual + 8.0 * np.finfo(float).eps * max(1.0, abs(target), radius)
    if values.size > k:
        beyond = float(dist[order[k]])
        if beyond - radius <= 2.0 * margin:
            raise VerificationError(f"{method}: the {k}-th and {k + 1}-th nearest levels to "
                                    f"{target!r} are {beyond - radius:.2e} apart, within the "
                                    f"residuals: the {k} nearest are not defined; change k")
        half = 0.5 * (radius + beyond)
    else:
        half = radius + margin
    a, b = target - half, target + half
    inside = count_below(H, b, pardiso) - count_below(H, a, pardiso)
    if inside != k:
        why = ("a pair nearer the target is missing" if inside > k
               else "a returned pair is spurious")
        raise VerificationError(f"{method}: Sylvester inertia counts {inside} eigenvalues in "
                                f"({a:.12g}, {b:.12g}) but {k} were returned: {why}")
    return kept, (a, b)
