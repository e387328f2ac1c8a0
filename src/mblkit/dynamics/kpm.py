"""Spectral function S(omega) at infinite temperature by the kernel polynomial method (KPM).

S(omega) = D^-1 sum_nm |O_nm|^2 delta(omega - (E_n - E_m)) (``resonance-model-crossover.txt``
Eq. 73; :func:`mblkit.observables.autocorrelation` bins it from a full spectrum) is the
diagonal cut of the two-energy density

    j(x, y) = D^-1 sum_nm |O_nm|^2 delta(x - x_n) delta(y - x_m),   x_n = (E_n - b) / a in [-1, 1],

expanded in Chebyshev polynomials with the moments (Weisse, Wellein, Alvermann & Fehske,
Rev. Mod. Phys. 78, 275 (2006), Sec. IV B, Eqs. 12 and 94-96)

    mu_kl = D^-1 Tr[T_k(H') O T_l(H') O] = D^-1 sum_nm |O_nm|^2 T_k(x_n) T_l(x_m),

estimated with random states, mu_kl ~ <r| T_k O T_l O |r> = (T_k r)^dagger O (T_l O r) (or
exactly with the columns of an orthonormal basis). With the Jackson kernel
g_k = [(N - k + 1) cos(q k) + sin(q k) cot q] / (N + 1), q = pi / (N + 1) (RMP Eq. 71),

    j_KPM(x, y) = sum_kl h_k h_l g_k g_l mu_kl T_k(x) T_l(y) / (pi^2 sqrt(1-x^2) sqrt(1-y^2)),
    h_0 = 1, h_k = 2,

a positive density of resolution ~ pi / N in x (pi a / N in energy), and, since
omega = a (x - y),

    S(omega) = a^-1 int dy j(y + omega / a, y).

We evaluate j on a uniform grid x_i = -1 + (i + 1/2) delta (delta = 2 / M) and sum along the
diagonals: S(omega_p) = (delta / a) sum_i j(x_{i+p}, x_i), omega_p = p a delta; the sum rule
sum_p S(omega_p) a delta = mu_00 = D^-1 Tr O^2 (= 1 for O^2 = 1) holds up to the quadrature.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mblkit.dynamics._checks import check_positive_int
from mblkit.dynamics.krylov import spectral_bounds
from mblkit.dynamics.operator import affine, check_memory, prepared
from mblkit.spins import SpinBasis, apply


@dataclass(frozen=True)
class CorrelationMoments:
    """mu_kl (N x N, mean over the vectors), its standard error (zeros for an exact trace),
    the Chebyshev interval (E_min, E_max) and the number of vectors used."""

    moments: np.ndarray
    error: np.ndarray
    bounds: tuple[float, float]
    vectors: int


def jackson_kernel(n_moments: int) -> np.ndarray:
    """Jackson damping factors g_k, k = 0 .. N-1 (RMP 78, 275, Eq. 71)."""
    N = check_positive_int(n_moments, "n_moments")
    k = np.arange(N)
    q = np.pi / (N + 1)
    return ((N - k + 1) * np.cos(q * k) + np.sin(q * k) / np.tan(q)) / (N + 1)


def correlation_moments(H, basis: SpinBasis, opstr: str, sites: Sequence[int],
                        n_moments: int, *, samples: int | None = None,
                        rng: np.random.Generator | None = None, vectors: np.ndarray | None = None,
                        bounds: tuple[float, float] | None = None, chunk: int = 8
                        ) -> CorrelationMoments:
    """mu_kl = D^-1 Tr[T_k(H') O T_l(H') O] for k, l < ``n_moments``.

    Either ``samples`` random states (``rng`` required; estimate and standard error) or
    explicit ``vectors`` (dim, R), each column normalised and weighted 1/R (the identity gives
    the exact trace). ``chunk`` columns are processed together; memory 3 N chunk dim complex.
    """
    N = check_positive_int(n_moments, "n_moments", 2)
    chunk = check_positive_int(chunk, "chunk")
    dim = basis.dim
    if H.shape[0] != dim:
        raise ValueError(f"H has dimension {H.shape[0]}, but {basis!r} has {dim}")
    if (samples is None) == (vectors is None):
        raise ValueError("give exactly one of samples (random states, with rng) or vectors")
    if vectors is None:
        R = check_positive_int(samples, "samples", 2)
        if rng is None:
            raise ValueError("samples needs rng (a numpy Generator): every random test is seeded")
    else:
        vectors = np.asarray(vectors)
        if vectors.ndim != 2 or vectors.shape[0] != dim:
            raise ValueError(f"vectors has shape {vectors.shape}, expected ({dim}, R)")
        R = vectors.shape[1]
    apply(opstr, sites, np.zeros(dim), basis)  # checks the operator string early
    check_memory(dim, 3 * N * min(chunk, R), "the KPM moments")
    H = prepared(H)
    lo, hi = spectral_bounds(H) if bounds is None else (float(bounds[0]), float(bounds[1]))
    a, b = 0.5 * (hi - lo), 0.5 * (hi + lo)
    per_vector = np.zeros((R, N, N)) if vectors is None else None
    total = np.zeros((N, N))
    done = 0
    while done < R:
        c = min(chunk, R - done)
        if vectors is None:
            assert rng is not None
            z = rng.standard_normal((dim, c)) + 1j * rng.standard_normal((dim, c))
        else:
            z = np.asarray(vectors[:, done: done + c], dtype=np.complex128)
        block = np.ascontiguousarray(z / np.linalg.norm(z, axis=0))
        u = _chebyshev_vectors(H, block, N, a, b)                          # T_k r
        w = _chebyshev_vectors(H, apply(opstr, sites, block, basis), N, a, b)  # T_l O r
        ow = np.stack([apply(opstr, sites, w[k], basis) for k in range(N)])
        # mu_kl(column) = sum_i conj(u[k, i, col]) ow[l, i, col]
        mu = np.einsum("kic,lic->ckl", u.conj(), ow).real
        total += mu.sum(axis=0)
        if per_vector is not None:
            per_vector[done: done + c] = mu
        done += c
    mean = total / R
    if per_vector is None:
        error = np.zeros_like(mean)
    else:
        error = per_vector.std(axis=0, ddof=1) / np.sqrt(R)
    return CorrelationMoments(mean, error, (lo, hi), R)


def _chebyshev_vectors(H, block: np.ndarray, N: int, a: float, b: float) -> np.ndarray:
    """T_k(H') block for k = 0 .. N-1, H' = (H - b) / a, shape (N, dim, m)."""
    out = np.empty((N, *block.shape), dtype=np.complex128)
    out[0] = block
    if N > 1:
        out[1] = affine(H, block, 1.0 / a, -b / a)
    for k in range(2, N):
        out[k] = affine(H, out[k - 1], 2.0 / a, -2.0 * b / a, out[k - 2], -1.0)
    return out


@dataclass(frozen=True)
class KPMSpectral:
    """S(omega) on the grid omega_p = p a delta (p = -(M-1) .. M-1), from N moments with the
    Jackson kernel; ``resolution`` = pi a / N (energy units), ``sum_rule`` = sum S d omega."""

    omega: np.ndarray
    spectral_function: np.ndarray
    resolution: float
    sum_rule: float

    def window_weight(self, lo: float, hi: float) -> float:
        """int of S over lo <= |omega| < hi (grid sum; both signs of omega)."""
        d = self.omega[1] - self.omega[0]
        inside = (np.abs(self.omega) >= lo) & (np.abs(self.omega) < hi)
        return float(self.spectral_function[inside].sum() * d)


def kpm_spectral_function(moments: CorrelationMoments, grid: int | None = None) -> KPMSpectral:
    """S(omega) from :func:`correlation_moments` with the Jackson kernel (module docstring);
    ``grid`` M points in x (default 4 N)."""
    mu = moments.moments
    N = mu.shape[0]
    M = 4 * N if grid is None else check_positive_int(grid, "grid", 2)
    lo, hi = moments.bounds
    a = 0.5 * (hi - lo)
    g = jackson_kernel(N) * np.where(np.arange(N) == 0, 1.0, 2.0)
    delta = 2.0 / M
    x = -1.0 + (np.arange(M) + 0.5) * delta
    T = np.cos(np.outer(np.arccos(x), np.arange(N)))                # T_k(x_i), (M, N)
    weight = 1.0 / (np.pi * np.sqrt(1.0 - x**2))
    j = (T * weight[:, None]) @ (g[:, None] * mu * g[None, :]) @ (T * weight[:, None]).T
    # S(omega_p) = (delta / a) sum_i j(x_{i+p}, x_i)
    offsets = np.arange(-(M - 1), M)
    S = np.array([np.trace(j, offset=-p) for p in offsets]) * delta / a
    omega = offsets * a * delta
    return KPMSpectral(omega, S, float(np.pi * a / N), float(S.sum() * a * delta))
