"""numba kernels of the matrix-free action of a term list on a block of vectors.

Each operator string is first written as a sum of *monomials* (see
:func:`mblkit.dynamics.operator.monomials`): a monomial M acts on a basis state |j> as

    M |j> = c (-1)^popcount(j & zmask) |j ^ flip>   if (j & care) == want,   else 0,

so row k of M v has its only entry from the column j = s_k ^ flip (a gather: one read of v per
row and monomial, no write conflicts). The rows are computed independently (parallel over rows
with ``prange``), so the result does not depend on the number of threads. Below
:data:`PARALLEL_MIN_SIZE` entries the serial compilation of the same kernels is used: a
parallel region costs a thread wake-up per call, which at dimension ~10^3 was measured to make
a Chebyshev realisation 10x slower with two threads on a loaded two-core machine than with one.

In a U(1) sector the index of ``j`` is found incrementally from that of ``k``: a
number-conserving monomial changes only the bits of ``flip``, inside the range [lo, hi], and
conserves the number of up spins there, so in the combinatorial number system
(:func:`kernels.rank_state`) only the set bits inside [lo, hi] change their contribution,
``rank(j) = k - partial(k) + partial(j)`` with ``partial`` the sum over the set bits p in
[lo, hi] of ``C(p, m_p)``, m_p = number of set bits at positions <= p. Cost O(hi - lo) instead
of O(L) per term and row.

Memory: the kernels read ``states`` (int64, one per row), a diagonal (one per row) and the
vectors; nothing of the size of the matrix is formed.

Output: ``out = alpha * (H v) + beta * v + gamma * w`` (fused, for three-term recurrences).
Row k of ``w`` is read before row k of ``out`` is written, so ``out`` may be the same array as
``w`` (in-place recurrences); it must not be ``v``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True, inline="always")
def popcount32(x: np.int64) -> np.int64:
    """Number of set bits of a non-negative integer below 2^32 (SWAR)."""
    x = x - ((x >> 1) & 0x55555555)
    x = (x & 0x33333333) + ((x >> 2) & 0x33333333)
    x = (x + (x >> 4)) & 0x0F0F0F0F
    return ((x * 0x01010101) & 0xFFFFFFFF) >> 24


@njit(cache=True, nogil=True, inline="always")
def partial_rank(state: np.int64, lo: np.int64, hi: np.int64, binom: np.ndarray) -> np.int64:
    """Contribution of the set bits in [lo, hi] to the combinatorial rank of ``state``."""
    m = popcount32(state & ((np.int64(1) << lo) - 1))
    rank = np.int64(0)
    for p in range(lo, hi + 1):
        if (state >> p) & 1:
            m += 1
            rank += binom[p, m]
    return rank


@njit(cache=True, nogil=True, inline="always")
def monomial_amplitude(j: np.int64, care: np.int64, want: np.int64, zmask: np.int64) -> float:
    """+-1 when the column state ``j`` passes the monomial's condition, else 0."""
    if (j & care) != want:
        return 0.0
    if zmask and popcount32(j & zmask) & 1:
        return -1.0
    return 1.0


@njit(cache=True, nogil=True)
def monomial_diagonal(states: np.ndarray, care: np.ndarray, want: np.ndarray,
                      zmask: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """sum_t coeffs[t] <k|M_t|k> of diagonal monomials (flip = 0) for each basis state k."""
    n = states.shape[0]
    diag = np.zeros(n, dtype=coeffs.dtype)
    for k in range(n):
        acc = diag[k]
        for t in range(coeffs.shape[0]):
            acc += coeffs[t] * monomial_amplitude(states[k], care[t], want[t], zmask[t])
        diag[k] = acc
    return diag


@njit(cache=True, nogil=True, inline="always")
def column_index(k: np.int64, s: np.int64, j: np.int64, in_sector: bool, lo: np.int64,
                 hi: np.int64, binom: np.ndarray) -> np.int64:
    """Basis index of state ``j`` that differs from state ``s`` (index k) inside [lo, hi]."""
    if in_sector:
        return k - partial_rank(s, lo, hi, binom) + partial_rank(j, lo, hi, binom)
    return j


@njit(cache=True, nogil=True, parallel=True)
def matvec_monomials(states, in_sector, binom, flip, care, want, zmask, lo, hi, coeffs,
                     diagonal, v, w, alpha, beta, gamma, out):
    """``out = alpha H v + beta v + gamma w`` (shapes (n, m)) for H = diag + sum_t coeffs[t]
    M_t with off-diagonal monomials M_t (module docstring of :mod:`mblkit.dynamics.operator`).
    numba compiles one version per dtype combination (real or complex coefficients/vectors)."""
    n, m = v.shape
    n_terms = flip.shape[0]
    for k in prange(n):
        s = states[k]
        d = diagonal[k]
        for c in range(m):
            out[k, c] = gamma * w[k, c] + (beta + alpha * d) * v[k, c]
        for t in range(n_terms):
            j = s ^ flip[t]
            amp = monomial_amplitude(j, care[t], want[t], zmask[t])
            if amp == 0.0:
                continue
            col = column_index(k, s, j, in_sector, lo[t], hi[t], binom)
            f = alpha * (coeffs[t] * amp)
            for c in range(m):
                out[k, c] += f * v[col, c]


@njit(cache=True, nogil=True, parallel=True)
def matvec_monomials_aux(states, in_sector, binom, flip, care, want, zmask, lo, hi, coeffs,
                         aux_index, aux, diagonal, v, w, alpha, beta, gamma, out):
    """As :func:`matvec_monomials` on chain (x) aux: ``v``, ``w``, ``out`` have shape
    (n, a, m); monomial t carries the a x a matrix ``aux[aux_index[t]]`` (the identity when
    the index is -1); ``diagonal`` (chain part only) multiplies the aux identity."""
    n, a, m = v.shape
    n_terms = flip.shape[0]
    for k in prange(n):
        s = states[k]
        d = diagonal[k]
        for b in range(a):
            for c in range(m):
                out[k, b, c] = gamma * w[k, b, c] + (beta + alpha * d) * v[k, b, c]
        for t in range(n_terms):
            j = s ^ flip[t]
            amp = monomial_amplitude(j, care[t], want[t], zmask[t])
            if amp == 0.0:
                continue
            col = column_index(k, s, j, in_sector, lo[t], hi[t], binom)
            f = alpha * (coeffs[t] * amp)
            g = aux_index[t]
            if g < 0:
                for b in range(a):
                    for c in range(m):
                        out[k, b, c] += f * v[col, b, c]
            else:
                for b in range(a):
                    for bb in range(a):
                        r = f * aux[g, b, bb]
                        for c in range(m):
                            out[k, b, c] += r * v[col, bb, c]


def _axpy(alpha, x, y):
    """``y += alpha * x`` in place (flat arrays of equal length)."""
    for i in prange(x.shape[0]):
        y[i] += alpha * x[i]


def _combine(out, hv, alpha, v, beta, w, gamma):
    """``out = alpha hv + beta v + gamma w`` entry by entry (flat arrays; ``out`` may be
    ``hv`` or ``w``: entry i of each is read before entry i of ``out`` is written)."""
    for i in prange(out.shape[0]):
        out[i] = alpha * hv[i] + beta * v[i] + gamma * w[i]


#: Arrays with fewer entries than this run the serial kernels (module docstring).
PARALLEL_MIN_SIZE = 1 << 15

_axpy_parallel = njit(cache=True, nogil=True, parallel=True)(_axpy)
_axpy_serial = njit(cache=True, nogil=True)(_axpy)
_combine_parallel = njit(cache=True, nogil=True, parallel=True)(_combine)
_combine_serial = njit(cache=True, nogil=True)(_combine)
matvec_monomials_serial = njit(cache=True, nogil=True)(matvec_monomials.py_func)
matvec_monomials_aux_serial = njit(cache=True, nogil=True)(matvec_monomials_aux.py_func)


def axpy(alpha, x, y) -> None:
    """``y += alpha * x`` in place (flat arrays of equal length); parallel when large."""
    (_axpy_parallel if x.shape[0] >= PARALLEL_MIN_SIZE else _axpy_serial)(alpha, x, y)


def combine(out, hv, alpha, v, beta, w, gamma) -> None:
    """``out = alpha hv + beta v + gamma w`` in one pass (flat complex arrays of one length),
    no temporaries; parallel when large."""
    (_combine_parallel if out.shape[0] >= PARALLEL_MIN_SIZE else _combine_serial)(
        out, hv, alpha, v, beta, w, gamma)


def matvec(*args) -> None:
    """:func:`matvec_monomials` (arguments as there), serial below PARALLEL_MIN_SIZE."""
    v = args[11]
    (matvec_monomials if v.size >= PARALLEL_MIN_SIZE else matvec_monomials_serial)(*args)


def matvec_aux(*args) -> None:
    """:func:`matvec_monomials_aux` (arguments as there), serial below PARALLEL_MIN_SIZE."""
    v = args[13]
    (matvec_monomials_aux if v.size >= PARALLEL_MIN_SIZE
     else matvec_monomials_aux_serial)(*args)


@njit(cache=True, nogil=True)
def z_magnetisations(states: np.ndarray, probabilities: np.ndarray, n_sites: int) -> np.ndarray:
    """<sigma^z_i> = sum_k p_k (2 bit_i(state_k) - 1) for i < n_sites; ``probabilities`` has
    shape (chain_dim, aux_dim) (summed over the aux factor)."""
    out = np.zeros(n_sites)
    for k in range(states.shape[0]):
        p = 0.0
        for b in range(probabilities.shape[1]):
            p += probabilities[k, b]
        s = states[k]
        for i in range(n_sites):
            if (s >> i) & 1:
                out[i] += p
            else:
                out[i] -= p
    return out
