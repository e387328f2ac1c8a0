"""Lanczos (Krylov) exponentiation of a Hermitian operator, and spectral bounds from Lanczos.

e^{-i H tau} psi ~ ||psi|| V_m e^{-i tau T_m} e_1 with V_m the orthonormal Lanczos basis of the
Krylov space {psi, H psi, ..., H^{m-1} psi} (full re-orthogonalisation) and T_m = V_m^dagger H V_m
tridiagonal (Park & Light, J. Chem. Phys. 85, 5870 (1986); Hochbruck & Lubich, SIAM J. Numer.
Anal. 34, 1911 (1997)). Error estimate of a step of length tau (Saad, SIAM J. Numer. Anal. 29,
209 (1992), the first term of the error expansion):

    err(tau) / ||psi|| ~ beta_m |[e^{-i tau T_m}]_{m-1, 0}|,

with beta_m the next Lanczos coefficient. It is an *estimate*, not a bound (the Chebyshev
propagator has the bound); tests hold the two methods and full ED equal to 1e-10. Below about
tol = 1e-12 it is rounding-limited and optimistic (measured: tol = 1e-14 gave 4.9e-12 at L = 16,
t = 100, benchmarks/RESULTS.md), and it needs about twice the products of Chebyshev.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from mblkit.dynamics.operator import affine

#: Relative size of beta_j below which the Krylov space is invariant (exact result).
BREAKDOWN_RTOL = 1e-13


@dataclass(frozen=True)
class LanczosBasis:
    """V (rows: orthonormal basis vectors, k x dim), T's diagonal alpha (k,) and off-diagonal
    beta (k-1,), the next coefficient ``beta_next`` (0 after an invariant subspace) and the
    number of operator applications."""

    vectors: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    beta_next: float
    matvecs: int


def lanczos(H, psi: np.ndarray, steps: int, scale: float | None = None) -> LanczosBasis:
    """``steps`` Lanczos steps from ``psi`` (1-D, non-zero), with full re-orthogonalisation
    (classical Gram-Schmidt twice). Stops early on an invariant subspace."""
    dim = psi.shape[0]
    steps = min(int(steps), dim)
    V = np.zeros((steps, dim), dtype=np.complex128)
    alpha = np.zeros(steps)
    beta = np.zeros(steps)
    V[0] = psi / np.linalg.norm(psi)
    matvecs = 0
    tiny = None
    k = 0
    for k in range(steps):
        w = affine(H, V[k], 1.0)
        matvecs += 1
        alpha[k] = float(np.vdot(V[k], w).real)
        basis = V[: k + 1]
        for _ in range(2):  # (basis @ conj(w))^* = basis^* w without a copy of the basis
            w -= (basis @ w.conj()).conj() @ basis
        b = float(np.linalg.norm(w))
        if tiny is None:
            tiny = BREAKDOWN_RTOL * max(abs(alpha[0]), b, 1e-300 if scale is None else scale)
        beta[k] = b
        if b <= tiny:
            return LanczosBasis(V[: k + 1], alpha[: k + 1], beta[:k], 0.0, matvecs)
        if k + 1 < steps:
            V[k + 1] = w / b
    return LanczosBasis(V, alpha, beta[: steps - 1], float(beta[steps - 1]), matvecs)


def _lanczos_coefficients(H, psi: np.ndarray, steps: int):
    """alpha, beta and the next beta of plain Lanczos (no re-orthogonalisation, three vectors
    in memory). Lost orthogonality only adds copies ("ghosts") of converged Ritz values,
    which does not move the extreme ones outwards; enough for spectral bounds."""
    steps = min(int(steps), psi.shape[0])
    alpha, beta = np.zeros(steps), np.zeros(steps)
    prev = np.zeros_like(psi, dtype=np.complex128)
    cur = np.asarray(psi, dtype=np.complex128) / np.linalg.norm(psi)
    b_prev = 0.0
    for k in range(steps):
        w = affine(H, cur, 1.0, 0.0, prev, -b_prev)
        alpha[k] = float(np.vdot(cur, w).real)
        w -= alpha[k] * cur
        beta[k] = float(np.linalg.norm(w))
        if beta[k] <= BREAKDOWN_RTOL * max(abs(alpha[0]), beta[k], 1e-300):
            return alpha[: k + 1], beta[:k], 0.0
        prev, cur, b_prev = cur, w / beta[k], beta[k]
    return alpha, beta[: steps - 1], float(beta[steps - 1])


def spectral_bounds(H, rng: np.random.Generator | None = None, steps: int = 80,
                    margin: float = 0.01) -> tuple[float, float]:
    """Interval containing the spectrum of H, from the extreme Ritz values of ``steps``
    Lanczos steps on a random vector (memory: three vectors), widened on each side by the
    Ritz residual beta_m |s_{m-1}| plus ``margin`` times the width (Ritz values lie inside
    the spectrum; the margin covers extremes not yet converged). The Chebyshev propagator
    verifies the bounds afterwards through norm conservation; with a :class:`TermOperator`
    they are also clipped to its rigorous :meth:`~TermOperator.norm_bound`."""
    rng = np.random.default_rng(0) if rng is None else rng
    dim = H.shape[0]
    start = rng.standard_normal(dim) + 1j * rng.standard_normal(dim)
    alpha, beta, beta_next = _lanczos_coefficients(H, start, steps)
    T = np.diag(alpha) + np.diag(beta, 1) + np.diag(beta, -1)
    theta, s = np.linalg.eigh(T)
    resid = beta_next * np.abs(s[-1])
    width = max(theta[-1] - theta[0], 1e-12)
    lo = theta[0] - resid[0] - margin * width
    hi = theta[-1] + resid[-1] + margin * width
    bound = getattr(H, "norm_bound", None)
    if bound is not None:
        r = bound()
        lo, hi = max(lo, -r), min(hi, r)
    return float(lo), float(hi)


def krylov_propagate(H, psi: np.ndarray, times: np.ndarray, tol: float, krylov_dim: int = 40
                     ) -> Iterator[tuple[float, np.ndarray, float, int]]:
    """Yield ``(t, psi(t), error estimate relative to ||psi||, matvecs so far)`` for each of
    ``times`` (1-D psi).

    From the current state a Lanczos basis of ``krylov_dim`` vectors is built; every remaining
    output time whose step tau has err(tau) <= tol tau / t_max is produced from it; then the
    state is advanced by the longest step tau with that property (bisection) and a new basis
    is built. The estimates of the steps taken add up to at most ``tol``.
    """
    t_max = float(times[-1])
    state = psi.copy()
    nrm = float(np.linalg.norm(psi))
    t_c = 0.0
    estimate = 0.0
    matvecs = 0
    i = 0
    n = times.size
    while i < n and times[i] == t_c:
        yield float(times[i]), state.copy(), estimate, matvecs
        i += 1
    while i < n:
        step = _KrylovStep(lanczos(H, state, krylov_dim), nrm)
        matvecs += step.basis.matvecs

        def budget(tau: float) -> float:
            # a sliver left by rounding of the sub-steps is always accepted
            return tol * tau / t_max if tau > 1e-12 * t_max else np.inf

        advanced = 0.0
        while i < n and step.error(times[i] - t_c) <= budget(times[i] - t_c):
            tau = float(times[i] - t_c)
            yield float(times[i]), step.state(tau), estimate + step.error(tau), matvecs
            advanced = tau
            i += 1
        if i == n:
            break
        lo, hi = advanced, float(times[i] - t_c)
        for _ in range(60):  # the longest step inside the budget, below the next output
            mid = 0.5 * (lo + hi)
            if step.error(mid) <= budget(mid):
                lo = mid
            else:
                hi = mid
        if lo == 0.0:
            raise ArithmeticError(f"the Krylov step from t = {t_c:.6g} cannot meet tol={tol:g} "
                                  f"(estimate limited by rounding): raise tol or krylov_dim")
        if advanced == 0.0:  # equal sub-steps to the next output: no sliver left at the end
            remaining = float(times[i] - t_c)
            lo = remaining / np.ceil(remaining / lo * (1 - 1e-12))
        estimate += step.error(lo)
        state = step.state(lo)
        nrm = float(np.linalg.norm(state))
        t_c += lo


class _KrylovStep:
    """e^{-i tau T_m} e_1 of one Lanczos basis, for any tau, and the error estimate."""

    def __init__(self, basis: LanczosBasis, norm: float):
        self.basis = basis
        self.norm = norm
        T = np.diag(basis.alpha) + np.diag(basis.beta, 1) + np.diag(basis.beta, -1)
        self.theta, self.s = np.linalg.eigh(T)
        self.first = self.s[0].copy()

    def coefficients(self, tau: float) -> np.ndarray:
        return self.s @ (np.exp(-1j * tau * self.theta) * self.first)

    def error(self, tau: float) -> float:
        """The estimate relative to ||psi||."""
        return self.basis.beta_next * float(abs(self.coefficients(tau)[-1]))

    def state(self, tau: float) -> np.ndarray:
        return self.norm * (self.coefficients(tau) @ self.basis.vectors)
