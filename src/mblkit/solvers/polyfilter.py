"""Interior eigenpairs by a Chebyshev-Jackson polynomial filter and Lanczos: matrix-vector
products only, no factorisation.

The spectrum of H is mapped into [-1, 1] by x = (H - c) / e with c, e from Lanczos extremes. The
filter is the Jackson-damped Chebyshev expansion of a delta function at the target t,

    p(x) = sum_{n=0}^{K} (2 - delta_{n0}) g_n T_n(t) T_n(x) / normalisation,   p(t) = 1,

g_n the Jackson kernel (Weisse, Wellein, Alvermann, Fehske, Rev. Mod. Phys. 78, 275 (2006),
Eq. 71), a positive, nearly Gaussian peak of width ~ pi / K in theta = arccos(x). The
``n_sub`` largest eigenvalues of p(H) belong to the eigenvalues of H nearest the target; they are
found by ARPACK's implicitly restarted Lanczos on the operator p(H) (K sparse products per
application, three-term recurrence in a numba kernel), and the eigenvectors are refined by
Rayleigh-Ritz with H itself. This is the scheme of POLFED (Sierant, Lewenstein, Zakrzewski,
PRL 125, 156601 (2020)) with single-vector instead of block Lanczos.

The degree K is set from a Gaussian density of states with the exact first two moments,
Tr H / N and Tr H^2 / N (cheap: the diagonal and the Frobenius norm), so that the filter falls
to ``edge`` at the border of a window expected to hold ``n_sub`` eigenvalues. Completeness is
checked from the filter's known shape: every eigenvalue not found has p below the smallest p
found, so the k pairs are the k nearest if p stays above that value over the window they span.
That argument assumes Lanczos found the n_sub largest eigenvalues of p(H), which a single-vector
Lanczos can violate (a degenerate pair is seen once); with ``certify=True`` (default) Sylvester
inertia at the window's edges proves it (:mod:`mblkit.solvers.inertia`), at the cost of two
sparse factorisations, which is what the filter otherwise avoids: pass ``certify=False`` where
their memory is not available, and the result says "not certified".
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numba import njit

from mblkit.solvers.inertia import certify_nearest
from mblkit.solvers.spectrum import (
    DEFAULT_RTOL,
    Spectrum,
    VerificationError,
    orthonormality_error,
    residuals,
    vector_error_bounds,
    verify,
)

#: Filter value at the border of the window expected to hold n_sub eigenvalues.
EDGE = 0.5
#: Degree cap: beyond it the filter costs more than any factorisation we would compare with.
MAX_DEGREE = 500_000


def jackson_kernel(K: int) -> np.ndarray:
    """Jackson damping factors g_n, n = 0..K (Weisse et al. 2006, Eq. 71 with N = K + 1)."""
    N = K + 1
    n = np.arange(N)
    q = np.pi / N
    return ((N - n) * np.cos(q * n) + np.sin(q * n) / np.tan(q)) / N


def delta_filter_coefficients(K: int, t: float) -> np.ndarray:
    """Chebyshev coefficients of the Jackson-damped delta filter at t in (-1, 1), p(t) = 1."""
    n = np.arange(K + 1)
    tn = np.cos(n * np.arccos(t))
    coeffs = np.where(n == 0, 1.0, 2.0) * jackson_kernel(K) * tn
    return coeffs / np.dot(coeffs, tn)


def filter_values(coeffs: np.ndarray, x: np.ndarray) -> np.ndarray:
    """p(x) = sum_n coeffs[n] T_n(x) for x in [-1, 1] (T_n(x) = cos(n arccos x))."""
    theta = np.arccos(np.clip(np.asarray(x, dtype=np.float64), -1.0, 1.0))
    return np.cos(np.outer(theta, np.arange(coeffs.shape[0]))) @ coeffs


@njit(cache=True, nogil=True)
def chebyshev_apply(indptr, indices, data, scale, shift, coeffs, v):
    """sum_n coeffs[n] T_n(A) v with A = scale * H + shift, H in CSR.

    Serial: a numba prange per recurrence step cost ~2 ms of thread start-up on the 2-core
    machine (K steps per product), more than the step itself up to N ~ 10^5.
    """
    n = v.shape[0]
    zero = v[0] * 0
    t_prev = v.copy()
    t_cur = np.empty_like(v)
    out = np.empty_like(v)
    for i in range(n):
        acc = zero
        for p in range(indptr[i], indptr[i + 1]):
            acc += data[p] * v[indices[p]]
        t_cur[i] = scale * acc + shift * v[i]
        out[i] = coeffs[0] * v[i] + coeffs[1] * t_cur[i]
    for m in range(2, coeffs.shape[0]):
        c = coeffs[m]
        for i in range(n):  # T_{m} = 2 A T_{m-1} - T_{m-2}, written over T_{m-2} row by row
            acc = zero
            for p in range(indptr[i], indptr[i + 1]):
                acc += data[p] * t_cur[indices[p]]
            nxt = 2.0 * (scale * acc + shift * t_cur[i]) - t_prev[i]
            t_prev[i] = nxt
            out[i] += c * nxt
        t_prev, t_cur = t_cur, t_prev
    return out


def gaussian_density(H: sp.csr_matrix, energy: float) -> float:
    """Density of states at ``energy`` of a Gaussian with H's exact mean and variance."""
    n = H.shape[0]
    mean = float(np.real(H.diagonal().sum())) / n
    var = float(np.sum(np.abs(H.data) ** 2)) / n - mean**2
    sigma = math.sqrt(max(var, 1e-300))
    return n / (math.sqrt(2 * math.pi) * sigma) * math.exp(-0.5 * ((energy - mean) / sigma) ** 2)


def filter_degree(H: sp.csr_matrix, target: float, half_width: float, centre: float,
                  n_sub: int, edge: float = EDGE) -> int:
    """Degree K such that p falls to ``edge`` at the border of a window holding ~n_sub levels."""
    window = 0.5 * n_sub / gaussian_density(H, target) / half_width   # half-width in x
    t = (target - centre) / half_width
    dtheta = window / math.sqrt(max(1.0 - t * t, 1e-12))
    sigma_theta = dtheta / math.sqrt(2.0 * math.log(1.0 / edge))
    return max(16, math.ceil(math.pi / sigma_theta))


def eigh_polyfilter(H: sp.spmatrix, k: int, target: float, extremes: tuple[float, float],
                    rtol: float = DEFAULT_RTOL, n_sub: int | None = None,
                    edge: float = EDGE, ncv: int | None = None, certify: bool = True
                    ) -> Spectrum:
    """The k eigenpairs of Hermitian sparse H nearest ``target``, by the filter above.

    ``extremes`` = (E_min, E_max) from Lanczos. ``n_sub`` (default k + max(10, k // 2)) Ritz pairs
    of p(H) are computed; raises VerificationError if the residuals, orthonormality or the
    completeness check fail.
    """
    H = sp.csr_matrix(H)
    dim = H.shape[0]
    low, high = extremes
    centre, half_width = 0.5 * (low + high), 0.5 * (high - low) * 1.01 + 1e-12
    if not low <= target <= high:
        raise ValueError(f"target={target!r} is outside the spectrum [{low:.6g}, {high:.6g}]")
    n_sub = min(n_sub or k + max(10, k // 2), dim - 2)
    K = filter_degree(H, target, half_width, centre, n_sub, edge)
    if K > MAX_DEGREE:
        raise VerificationError(f"polyfilter: the filter would need degree {K} > {MAX_DEGREE} "
                                f"(a very dense spectrum): use a factorisation method")
    t = (target - centre) / half_width
    coeffs = delta_filter_coefficients(K, t)
    dtype = np.result_type(H.dtype, np.float64)
    data = H.data.astype(dtype, copy=False)
    scale, shift = 1.0 / half_width, -centre / half_width
    applications = [0]

    def matvec(v: np.ndarray) -> np.ndarray:
        applications[0] += 1
        return chebyshev_apply(H.indptr, H.indices, data, scale, shift, coeffs,
                               np.ascontiguousarray(v, dtype=dtype).ravel())

    op = spla.LinearOperator(H.shape, matvec=matvec, dtype=dtype)
    ncv = min(dim - 1, ncv or max(2 * n_sub + 1, 20))
    try:
        _, vecs = spla.eigsh(op, k=n_sub, which="LA", ncv=ncv, tol=1e-12,
                             v0=np.random.default_rng(7).standard_normal(dim).astype(dtype))
    except spla.ArpackNoConvergence as err:
        raise VerificationError(f"polyfilter: Lanczos on the filter did not converge "
                                f"(K={K}, n_sub={n_sub}): {err}") from err
    vecs, _ = np.linalg.qr(vecs)                      # Rayleigh-Ritz with H on the Ritz space
    ritz, rot = np.linalg.eigh(vecs.conj().T @ (H @ vecs))
    vecs = vecs @ rot
    nearest = np.sort(np.argsort(np.abs(ritz - target), kind="stable")[:k])
    energies, vecs = ritz[nearest], vecs[:, nearest]
    method = f"polyfilter(chebyshev-jackson, K={K}, n_sub={n_sub}, {applications[0]} products)"
    found_p = filter_values(coeffs, (ritz - centre) / half_width)
    radius = float(np.max(np.abs(energies - target)))
    grid = np.linspace(target - radius, target + radius, 2049)
    window_p = filter_values(coeffs, (grid - centre) / half_width)
    if float(np.min(window_p)) <= float(np.min(found_p)):
        raise VerificationError(f"{method}: cannot certify that the {k} pairs are the nearest "
                                f"(the filter drops to {np.min(window_p):.3g} inside their "
                                f"window, below the smallest value found, "
                                f"{np.min(found_p):.3g})")
    per_pair = residuals(H, energies, vecs)
    residual = float(np.max(per_pair))
    spectrum = verify(Spectrum(energies, vecs, residual, orthonormality_error(vecs),
                               method if certify else f"{method}, not certified", float(target)),
                      max(abs(low), abs(high)), rtol)
    window = None
    if certify:
        _, window = certify_nearest(H, ritz, float(target), k, residual, method)
    return replace(spectrum, window=window,
                   vector_errors=vector_error_bounds(energies, per_pair, window))
