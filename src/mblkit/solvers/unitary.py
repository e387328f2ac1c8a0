"""Full eigendecomposition of a unitary (Floquet) operator, verified.

``eigu(U)`` returns quasienergies theta_n in [-pi, pi), ascending, with U v_n = e^{i theta_n} v_n.

Three LAPACK routes are implemented and measured in ``benchmarks/bench_eigu.py``
(``benchmarks/RESULTS.md``):

* ``"geev"``: the general eigensolver ``zgeev``. Its eigenvectors come from back-substitution
  and are not orthogonal inside clusters of nearly degenerate eigenvalues, which the MBL regime
  produces in abundance (the paper resolves |omega| < 1e-4): it can fail verification.
* ``"schur"``: the complex Schur form ``zgees``; for a normal matrix T is diagonal and the Schur
  vectors are orthonormal eigenvectors by construction.
* ``"hermitian"``: ``zheevd`` (``zheevr`` above N = 6000, as for :func:`mblkit.solvers.eigh`)
  of the rotated Hermitian part K = (e^{-i a} U + h.c.)/2, whose
  eigenvalues are cos(theta - a). Levels theta and 2a - theta share an eigenvalue of K, so U is
  re-diagonalised (complex Schur of a k x k block) inside every cluster of eigenvalues of K closer
  than ``cluster_gap``; elsewhere theta is the phase of the Rayleigh quotient v^dagger U v.

Every result carries max_n ||U v_n - e^{i theta_n} v_n|| for every column (one matrix product
U V, which the Hermitian route needs anyway for its Rayleigh quotients), a probe estimate of
the orthonormality error that sees low-rank defects (:mod:`mblkit.solvers.spectrum`) and a
Davis-Kahan bound per eigenvector; a failed check raises :class:`VerificationError`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from mblkit.memory import require_memory
from mblkit.solvers.dense import choose_driver
from mblkit.solvers.spectrum import DEFAULT_RTOL, VerificationError, orthonormality_error

METHODS = ("auto", "hermitian", "schur", "geev")
DEFAULT_METHOD = "auto"
AUTO_METHOD = "hermitian"  # measured fastest of those that always verify: benchmarks/RESULTS.md
ROTATION = 0.6180339887498949  # the angle a of the rotated Hermitian part (any fixed value works)
CLUSTER_GAP = 1e-6  # eigenvalues of K closer than this are re-diagonalised together
_CHUNK = 256
# Peak N x N complex arrays alive: U, the copy LAPACK overwrites (K for the Hermitian route),
# the vectors, and the Hermitian route's workspace: zheevd's N^2 complex + 2 N^2 real (~2 more);
# zheevr's is O(N). The driver follows the rule of :func:`mblkit.solvers.dense.choose_driver`
# (evd up to 6000, evr above), so the Hermitian route needs ~5 N^2 at L <= 12 and ~3 N^2 at
# L = 14 (13.7 GB). A brickwork realisation at L = 14 (circuit build, then zheevr) was measured
# at 17.0 GB resident, 4.06 N^2 complex, before its solve had finished (2026-12-02, the process
# was stopped there), so the evr route is estimated at 4.5 N^2: on the safe side of what was seen.
_WORK_MATRICES = {"hermitian-evd": 5.2, "hermitian-evr": 4.5, "schur": 3.2, "geev": 4.2}


@dataclass(frozen=True)
class FloquetSpectrum:
    """Eigenpairs of a unitary operator: U v_n = e^{i theta_n} v_n.

    quasienergies : theta_n in [-pi, pi), ascending, shape (N,).
    vectors : orthonormal eigenvectors as columns, shape (N, N), or None.
    max_residual : max_n ||U v_n - e^{i theta_n} v_n|| (2-norm) over every column; without
        vectors, the error of the trace sum rule |Tr U - sum_n e^{i theta_n}| (not divided by
        N: one eigenvalue off by d shows as ~d).
    orthonormality_error : max |V^dagger V - 1| (exact up to N = 256), above a probe estimate
        of ||V^dagger V - 1||_F (:func:`mblkit.solvers.spectrum.orthonormality_error`).
    unitarity_error : max_n ||e^{i theta_n}| - 1| of the raw eigenvalues (geev, schur) or of the
        Rayleigh quotients (hermitian).
    method : e.g. "lapack-hermitian".
    vector_errors : per pair, a bound on the sine of the angle between v_n and the exact
        eigenvector: r_n / (the chord |e^{i theta_n} - e^{i theta_m}| to the nearest other
        level, less max r), Davis-Kahan for a normal matrix; None without vectors.
    """

    quasienergies: np.ndarray
    vectors: np.ndarray | None
    max_residual: float
    orthonormality_error: float
    unitarity_error: float
    method: str
    vector_errors: np.ndarray | None = None

    def __len__(self) -> int:
        return self.quasienergies.shape[0]

    @property
    def eigenvalues(self) -> np.ndarray:
        """e^{i theta_n}."""
        return np.exp(1j * self.quasienergies)


def unitary_memory(dim: int, method: str = DEFAULT_METHOD) -> int:
    """Estimated peak bytes of :func:`eigu` on a ``dim x dim`` complex unitary."""
    method = AUTO_METHOD if method == "auto" else method
    if method == "hermitian":
        method = f"hermitian-{choose_driver(dim)}"
    return int(_WORK_MATRICES[method] * dim * dim * 16)


def wrap_phase(theta: np.ndarray) -> np.ndarray:
    """Map angles to [-pi, pi)."""
    return (np.asarray(theta) + np.pi) % (2 * np.pi) - np.pi


def _column_residuals(U: np.ndarray, vectors: np.ndarray, phases: np.ndarray,
                      UV: np.ndarray | None = None) -> np.ndarray:
    """||U v_n - phase_n v_n|| for every column, by U V in column chunks (no N x N temporary)."""
    out = np.empty(vectors.shape[1])
    for start in range(0, vectors.shape[1], _CHUNK):
        cols = slice(start, start + _CHUNK)
        uv = U @ vectors[:, cols] if UV is None else UV[:, cols]
        out[cols] = np.linalg.norm(uv - vectors[:, cols] * phases[cols], axis=0)
    return out


def _clusters(values: np.ndarray, gap: float) -> list[slice]:
    """Runs of ascending ``values`` whose consecutive differences are below ``gap`` (size >= 2)."""
    breaks = np.flatnonzero(np.diff(values) >= gap) + 1
    edges = np.concatenate(([0], breaks, [len(values)]))
    return [slice(a, b) for a, b in itertools.pairwise(edges) if b - a > 1]


def rotated_hermitian_part(U: np.ndarray, angle: float = ROTATION, block: int = _CHUNK
                           ) -> np.ndarray:
    """K = (e^{-i a} U + e^{i a} U^dagger) / 2, built by column blocks: one new N x N array."""
    K = np.multiply(U, 0.5 * np.exp(-1j * angle))
    phase = 0.5 * np.exp(1j * angle)
    for start in range(0, U.shape[0], block):
        cols = slice(start, start + block)
        K[:, cols] += U[cols, :].conj().T * phase
    return K


def _eig_hermitian(U: np.ndarray, cluster_gap: float) -> tuple[np.ndarray, np.ndarray,
                                                                np.ndarray]:
    K = rotated_hermitian_part(U)
    driver = choose_driver(U.shape[0])
    cosines, Q = scipy.linalg.eigh(K, driver=driver, overwrite_a=True, check_finite=False)
    del K
    UQ = U @ Q
    mu = np.einsum("ij,ij->j", Q.conj(), UQ)
    for block in _clusters(cosines, cluster_gap):
        M = Q[:, block].conj().T @ UQ[:, block]
        T, S = scipy.linalg.schur(M, output="complex")
        Q[:, block] = Q[:, block] @ S
        UQ[:, block] = UQ[:, block] @ S
        mu[block] = np.diag(T)
    return mu, Q, UQ


def eigu(U: np.ndarray, vectors: bool = True, method: str = DEFAULT_METHOD,
         rtol: float = DEFAULT_RTOL, cluster_gap: float = CLUSTER_GAP) -> FloquetSpectrum:
    """All eigenpairs of the dense unitary ``U``, sorted by quasienergy in [-pi, pi), verified.

    ``method``: "auto" (= :data:`AUTO_METHOD`), "hermitian", "schur" or "geev" (module
    docstring). Memory is checked before the work starts. Raises VerificationError if a
    residual, the orthonormality error or | |e^{i theta}| - 1 | exceeds ``rtol``.
    """
    U = np.asarray(U)
    if U.ndim != 2 or U.shape[0] != U.shape[1]:
        raise ValueError(f"U must be a square matrix, got shape {U.shape}")
    if method not in METHODS:
        raise ValueError(f"method={method!r} is not allowed: use one of {METHODS}")
    method = AUTO_METHOD if method == "auto" else method
    dim = U.shape[0]
    require_memory(unitary_memory(dim, method) if vectors else 2 * dim * dim * 16,
                   f"the eigendecomposition of a {dim} x {dim} unitary",
                   "use a smaller L (dense Floquet operators hold 4^L complex numbers)")
    U = U.astype(np.complex128, copy=False)
    name = f"lapack-{method}"
    if not vectors:
        mu = scipy.linalg.eigvals(U, check_finite=False)
        theta = np.sort(wrap_phase(np.angle(mu)))
        trace_error = abs(np.trace(U) - np.exp(1j * theta).sum())
        return _verified(FloquetSpectrum(theta, None, trace_error, 0.0,
                                         float(np.max(np.abs(np.abs(mu) - 1), initial=0.0)),
                                         name), rtol)
    UV = None
    if method == "hermitian":
        mu, V, UV = _eig_hermitian(U, cluster_gap)
    elif method == "schur":
        T, V = scipy.linalg.schur(U, output="complex", check_finite=False)
        mu = np.diag(T).copy()
        del T
    else:
        mu, V = scipy.linalg.eig(U, check_finite=False)
        V /= np.linalg.norm(V, axis=0)
    unitarity = float(np.max(np.abs(np.abs(mu) - 1), initial=0.0))
    theta = wrap_phase(np.angle(mu))
    phases = np.exp(1j * theta)
    per_pair = _column_residuals(U, V, phases, UV)
    residual = float(np.max(per_pair, initial=0.0))
    del UV
    order = np.argsort(theta, kind="stable")
    V = V[:, order]
    spectrum = FloquetSpectrum(theta[order], V, residual, orthonormality_error(V), unitarity,
                               name, circle_vector_error_bounds(theta[order], per_pair[order]))
    return _verified(spectrum, rtol)


def circle_vector_error_bounds(quasienergies: np.ndarray, residual: np.ndarray) -> np.ndarray:
    """min(1, r_n / delta_n) for ascending quasienergies on the circle: delta_n the chord to the
    nearest other eigenvalue (the neighbours across +-pi included) less max_m r_m."""
    theta = np.asarray(quasienergies, dtype=np.float64)
    r = np.asarray(residual, dtype=np.float64)
    if theta.size < 2:
        return np.zeros_like(theta)
    arc = np.diff(np.concatenate((theta, [theta[0] + 2 * np.pi])))
    chord = 2.0 * np.sin(0.5 * np.minimum(arc, np.pi))
    gap = np.minimum(chord, np.roll(chord, 1)) - float(np.max(r))
    with np.errstate(divide="ignore", invalid="ignore"):
        bound = np.where(gap > 0, r / np.where(gap > 0, gap, 1.0), 1.0)
    return np.minimum(bound, 1.0)


def _verified(spectrum: FloquetSpectrum, rtol: float) -> FloquetSpectrum:
    checks = {"max residual ||U v - e^(i theta) v||": spectrum.max_residual,
              "orthonormality error": spectrum.orthonormality_error,
              "unitarity error | |e^(i theta)| - 1 |": spectrum.unitarity_error}
    for what, value in checks.items():
        if not np.isfinite(value) or value > rtol:
            raise VerificationError(f"{spectrum.method}: {what} = {value:.3e} exceeds "
                                    f"{rtol:.1e}")
    return spectrum
