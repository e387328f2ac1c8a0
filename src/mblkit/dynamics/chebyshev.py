"""Chebyshev propagation of Tal-Ezer & Kosloff, J. Chem. Phys. 81, 3967 (1984).

With the spectrum of H inside [b - a, b + a] and H' = (H - b) / a (spectrum in [-1, 1]),

    e^{-i H tau} = e^{-i b tau} sum_{k >= 0} (2 - delta_k0) (-i)^k J_k(a tau) T_k(H')

(Jacobi-Anger), T_k the Chebyshev polynomials (T_{k+1} = 2 H' T_k - T_{k-1}), J_k Bessel
functions. Truncating after K terms, since ||T_k(H')|| <= 1,

    || e^{-i H tau} psi - (K-term sum) psi || <= 2 sum_{k >= K} |J_k(a tau)| ||psi||,

which is the *stated error bound* (truncation; the rounding of the recurrence, ~1e-16 per
term, comes on top). K is the smallest order with that bound below the step's share of ``tol``
(tol tau / t_max, so the bounds of all steps add up to at most tol); the Bessel tail is summed
with :func:`scipy.special.jv` far into its super-exponential decay (|J_k(x)| ~ (e x / 2k)^k).
K ~ a tau + O((a tau)^{1/3}): long steps are cheapest, and all output times of a batch are
accumulated from one recurrence (the coefficients differ, the vectors T_k(H') psi are shared).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from scipy.special import jv

from mblkit.dynamics.operator import affine
from mblkit.spins.matvec_kernels import axpy


def bessel_tail(x: float) -> np.ndarray:
    """|J_k(x)| for k = 0 .. k_max, with k_max = x + 30 max(x, 1)^(1/3) + 60, beyond which
    the tail is below 1e-60 (the Airy transition region has width ~ (x/2)^(1/3))."""
    k_max = int(x + 30.0 * max(x, 1.0) ** (1.0 / 3.0) + 60)
    return np.abs(jv(np.arange(k_max + 1), x))


def chebyshev_order(x: float, tol: float) -> tuple[int, float]:
    """(K, bound): the fewest terms K >= 1 with 2 sum_{k >= K} |J_k(x)| <= tol, and that sum."""
    j = bessel_tail(x)
    tail = 2.0 * np.cumsum(j[::-1])[::-1]          # tail[k] = 2 sum_{n >= k} |J_n|
    tail = np.append(tail, 0.0)
    ok = np.flatnonzero(tail <= tol)
    K = max(1, int(ok[0]))
    return K, float(tail[K])


def chebyshev_coefficients(x: float, b_tau: float, K: int) -> np.ndarray:
    """e^{-i b tau} (2 - delta_k0) (-i)^k J_k(x), k = 0 .. K-1, for x = a tau."""
    k = np.arange(K)
    c = (2.0 - (k == 0)) * (-1j) ** (k % 4) * jv(k, x)
    return np.exp(-1j * b_tau) * c


def chebyshev_propagate(H, psi: np.ndarray, times: np.ndarray, tol: float,
                        bounds: tuple[float, float], batch: int = 8
                        ) -> Iterator[tuple[float, np.ndarray, float, int]]:
    """Yield ``(t, psi(t), error bound, matvecs so far)`` for each of ``times``; ``psi`` is a
    vector (dim,) or a block (dim, m) (columns evolved together). Up to ``batch`` output times
    share one recurrence from the last output; the bound is the sum of the truncation bounds
    of the steps, relative to ||psi|| (per column)."""
    lo, hi = bounds
    a = 0.5 * (hi - lo)
    b = 0.5 * (hi + lo)
    t_max = float(times[-1])
    state = np.ascontiguousarray(psi, dtype=np.complex128).copy()
    t_c, bound, matvecs, i, n = 0.0, 0.0, 0, 0, times.size
    while i < n and times[i] == t_c:
        yield float(times[i]), state.copy(), bound, matvecs
        i += 1
    while i < n:
        group = times[i: i + batch]
        taus = group - t_c
        plans = [chebyshev_order(a * tau, max(tol * tau / t_max, 1e-17)) for tau in taus]
        orders = [K for K, _ in plans]
        coeffs = [chebyshev_coefficients(a * tau, b * tau, K)
                  for tau, K in zip(taus, orders, strict=True)]
        K_max = max(orders)
        acc = [c[0] * state for c in coeffs]
        prev = state
        if K_max > 1:
            cur = affine(H, state, 1.0 / a, -b / a)
            matvecs += 1
            for j, c in enumerate(coeffs):
                if c.size > 1:
                    axpy(c[1], cur.ravel(), acc[j].ravel())
            prev = prev.copy()  # the recurrence overwrites it; keep ``state`` intact
            for k in range(2, K_max):
                # T_{k} = 2 H' T_{k-1} - T_{k-2}, written over T_{k-2}
                nxt = affine(H, cur, 2.0 / a, -2.0 * b / a, prev, -1.0, out=prev)
                matvecs += 1
                for j, c in enumerate(coeffs):
                    if k < c.size:
                        axpy(c[k], nxt.ravel(), acc[j].ravel())
                prev, cur = cur, nxt
        for j, (t, (_, err)) in enumerate(zip(group, plans, strict=True)):
            yield float(t), acc[j], bound + err, matvecs
        bound += plans[-1][1]
        state = acc[-1]
        t_c = float(group[-1])
        i += group.size
