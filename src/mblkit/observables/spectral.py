"""Infinite-temperature autocorrelation, spectral function and window matrix elements of a local
operator, from a full spectrum, in one streaming pass.

``resonance-model-crossover.txt`` Eqs. 21-23 (Floquet) and 72-73 (static): for an operator O
on a D-dimensional space with eigenpairs (E_n, |n>) and O_nm = <n|O|m>,

    C(t) = D^-1 Tr(O(t) O) = D^-1 sum_nm |O_nm|^2 e^{i omega_nm t},   omega_nm = E_n - E_m,
    C(t) = int d omega e^{-i omega t} S(omega),
    S(omega) = D^-1 sum_nm |O_nm|^2 delta(omega - omega_nm)
             = C_inf delta(omega) + (continuous part, even in omega),
    C_inf = lim_{tau -> inf} tau^-1 int_0^tau C(t) dt = D^-1 sum_{E_n = E_m} |O_nm|^2.

For the probe spin, O = sigma^z_P, O^2 = 1, so C(0) = 1 (Eq. 21) and the sum rule
int S d omega = C_inf + sum of the binned weights = 1. C(t) is real (|O_nm|^2 is symmetric).

Conventions
-----------
* Static: ``energies`` are the eigenvalues E_n, O(t) = e^{iHt} O e^{-iHt} (Eq. 73).
* Floquet (``period`` = T given): ``energies`` are quasienergies e_n (U |e_n> = e^{-i e_n T}
  |e_n>, Eq. 6; e = -theta / T for :func:`mblkit.solvers.unitary.eigu`), defined modulo
  Omega = 2 pi / T; omega_nm is wrapped into (-Omega/2, Omega/2], and C(t) is meaningful at
  stroboscopic times t = n T only (Eq. 22), which :func:`time_grid` returns.
* hbar = 1: omega in the units of the energies, t in their inverse.
* Degeneracies: levels closer than ``degeneracy_tol`` are chained into clusters; every pair
  (n, m) inside one cluster (not only n = m) counts in C_inf and the delta weight at omega = 0.
  Inside a degenerate eigenspace the eigenvectors are arbitrary, but the cluster sum
  sum_{n,m in cluster} |O_nm|^2 = Tr(P O P O) (P the cluster's projector) is not, so C_inf is
  basis independent. Default tolerance: :data:`DEGENERACY_RTOL` times the largest |E - mean E|
  (or Omega/2), two to three orders above the eigenvalue error of LAPACK; pairs split by less
  would dephase only at t > 1/tol. C(t) itself is exact for every pair.

S(omega) is stored as a *weighted* log-binned histogram over |omega| (:class:`LogBins` slots:
underflow = non-degenerate pairs with |omega| < lo, the bins, overflow |omega| >= hi): slot k
holds D^-1 sum |O_nm|^2 over the ordered pairs n != m (outside degenerate clusters) whose
|omega_nm| falls in it, i.e. int over the bin of S(omega) + S(-omega); so the continuous part of
S at omega > 0 is weight / (2 * bin width) (:meth:`Autocorrelation.spectral_density`). The
weights are float: histograms of different realisations merge by addition like counts, but a
float sum depends on the order of additions at the level of rounding (1e-16 relative), so the
campaign keeps them per realisation (as arrays) and averages over realisations in index order.

Nothing of size N^2 beyond the eigenvectors and O V is formed: the matrix elements are made
block by block of rows (``block`` rows at a time), each block is binned by a numba kernel and
contracted with the phases e^{-i E t} by two real matrix products (BLAS) for C(t).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from mblkit.histograms import LogBins
from mblkit.observables.spectral_kernels import spectral_weight_rows
from mblkit.solvers.spectrum import DEFAULT_RTOL, VerificationError

#: Relative tolerance for treating two levels as degenerate (module docstring).
DEGENERACY_RTOL = 1e-12
#: Default bins of |omega| for S(omega): ten per decade from 1e-14 to 1e2.
DEFAULT_OMEGA_BINS = LogBins(1e-14, 1e2, 160)
#: Default log grid of times: ten points per decade from 1e-2 to 1e10.
DEFAULT_TIMES = LogBins(1e-2, 1e10, 120)


def _as_energies(energies: np.ndarray, period: float | None) -> np.ndarray:
    e = np.ascontiguousarray(energies, dtype=np.float64)
    if e.ndim != 1 or e.size < 1:
        raise ValueError(f"energies must be a non-empty 1-D array, got shape {e.shape}")
    if not np.all(np.isfinite(e)):
        raise ValueError("energies contain non-finite values")
    if period is not None:
        zone = _zone(period)
        if e.max() - e.min() >= zone:
            raise ValueError(f"quasienergies span {e.max() - e.min():.6g} >= 2 pi / period = "
                             f"{zone:.6g}: pass quasienergies of one Floquet zone "
                             f"(-theta / T with theta in [-pi, pi))")
    return e


def _zone(period: float) -> float:
    if isinstance(period, bool) or not isinstance(period, int | float | np.floating) or \
            not math.isfinite(period) or period <= 0:
        raise ValueError(f"period={period!r} is not allowed: give the Floquet period T > 0, or "
                         f"None for a Hamiltonian")
    return 2.0 * math.pi / float(period)


def _spectral_scale(e: np.ndarray, period: float | None) -> float:
    if period is not None:
        return 0.5 * _zone(period)
    return float(np.max(np.abs(e - e.mean())))


def degeneracy_tolerance(energies: np.ndarray, period: float | None = None) -> float:
    """The default ``degeneracy_tol``: :data:`DEGENERACY_RTOL` * max(1, spectral scale), the
    scale being max |E - mean E| (static) or Omega / 2 (Floquet)."""
    e = _as_energies(energies, period)
    return DEGENERACY_RTOL * max(1.0, _spectral_scale(e, period))


def degenerate_clusters(energies: np.ndarray, tol: float, period: float | None = None
                        ) -> np.ndarray:
    """Cluster label of every level: levels are chained into one cluster when consecutive
    (sorted) levels are closer than ``tol``; with a ``period`` the first and last clusters
    merge when they are closer than ``tol`` across the zone boundary. Labels are int64."""
    e = _as_energies(energies, period)
    if not math.isfinite(tol) or tol < 0:
        raise ValueError(f"tol={tol!r} is not allowed: it must be a finite number >= 0")
    order = np.argsort(e, kind="stable")
    sorted_e = e[order]
    new = np.concatenate(([True], np.diff(sorted_e) >= tol)) if tol > 0 else \
        np.concatenate(([True], np.diff(sorted_e) > 0))
    labels_sorted = np.cumsum(new) - 1
    if period is not None and e.size > 1 and labels_sorted[-1] > 0:
        across = sorted_e[0] + _zone(period) - sorted_e[-1]
        if across < tol or (tol == 0 and across == 0):
            labels_sorted[labels_sorted == labels_sorted[-1]] = 0
    labels = np.empty(e.size, dtype=np.int64)
    labels[order] = labels_sorted
    return labels


#: Largest row_norm_error accepted for an involution O (O^2 = 1, e.g. a Pauli operator):
#: sum_m |O_nm|^2 = ||V^dagger O v_n||^2 deviates from 1 by at most ||V V^dagger - 1||, ~1e-8
#: for vectors verified by :mod:`mblkit.solvers`, with a margin of 4 (as
#: :data:`mblkit.observables.resonances.SUM_RULE_TOL`). Measured: ~1e-14.
SUM_RULE_TOL = 4 * DEFAULT_RTOL


def time_grid(times: LogBins = DEFAULT_TIMES, period: float | None = None) -> np.ndarray:
    """The log grid of times: the ``times.bins + 1`` edges of ``times``; with a ``period`` T
    they are rounded to whole periods n T, n >= 1, duplicates removed (stroboscopic, Eq. 22)."""
    t = times.edges
    if period is None:
        return t
    _zone(period)
    n = np.unique(np.maximum(1, np.rint(t / period)))
    return n * float(period)


@dataclass(frozen=True)
class Autocorrelation:
    """C(t) on a grid, C_inf and the binned S(omega) of one operator (module docstring).

    times : the grid t; correlator : C(t) (real); infinite_time : C_inf, the weight of
    delta(omega); bins : the |omega| bins; weights : float (bins.size,), slot weights of the
    non-degenerate pairs (underflow, bins, overflow), each D^-1 sum |O_nm|^2; total_weight :
    C(0) = D^-1 sum_nm |O_nm|^2 = D^-1 Tr(O^dagger O) (= 1 for O^2 = 1); row_norm_error :
    max_n |sum_m |O_nm|^2 - 1|, which vanishes for O^2 = 1 and a complete orthonormal basis.
    """

    times: np.ndarray
    correlator: np.ndarray
    infinite_time: float
    bins: LogBins
    weights: np.ndarray
    total_weight: float
    row_norm_error: float

    @property
    def sum_rule(self) -> float:
        """int S(omega) d omega = C_inf + sum of the slot weights (= C(0))."""
        return float(self.infinite_time + self.weights.sum())

    def spectral_density(self) -> np.ndarray:
        """The continuous part of S(omega) at omega > 0 on the bins: weight / (2 * width)."""
        return spectral_density(self.weights, self.bins)


def spectral_density(weights: np.ndarray, bins: LogBins) -> np.ndarray:
    """S(omega) (continuous part, omega > 0) from slot weights of ``bins`` (any leading
    shape ``(..., bins.size)``, e.g. averaged over realisations): weight / (2 * bin width),
    S being even in omega."""
    w = np.asarray(weights, dtype=np.float64)
    if w.shape[-1] != bins.size:
        raise ValueError(f"weights have {w.shape[-1]} slots, the bins need {bins.size}")
    return w[..., 1:-1] / (2.0 * np.diff(bins.edges))


def autocorrelation(energies: np.ndarray, vectors: np.ndarray, operator_vectors: np.ndarray,
                    times: np.ndarray | None = None, *, period: float | None = None,
                    bins: LogBins = DEFAULT_OMEGA_BINS, degeneracy_tol: float | None = None,
                    block: int = 256, sum_rule_tol: float | None = SUM_RULE_TOL
                    ) -> Autocorrelation:
    """C(t), C_inf and the binned S(omega) of O from a full spectrum (module docstring).

    ``vectors``: the orthonormal eigenvectors V (columns, D x D); ``operator_vectors``: O V;
    ``times``: the grid (default :func:`time_grid` of :data:`DEFAULT_TIMES` with ``period``);
    ``period``: the Floquet period T (None: Hamiltonian); ``degeneracy_tol``: default
    :func:`degeneracy_tolerance`. Cost: the one matrix product V^dagger (O V) (D^3, BLAS, made
    ``block`` rows at a time), D^2 for the kernel and 4 D^2 len(times) (BLAS) for C(t);
    memory beyond V and O V: a block of rows of O_nm and the D x len(times) phases.
    ``sum_rule_tol``: O is taken to be an involution (O^2 = 1) and a row_norm_error above it
    raises VerificationError (vectors not orthonormal, or operator_vectors not O V); pass None
    for another O.
    """
    e = _as_energies(energies, period)
    dim = e.size
    if vectors.shape != (dim, dim) or operator_vectors.shape != (dim, dim):
        raise ValueError(f"vectors {vectors.shape} and operator_vectors "
                         f"{operator_vectors.shape} must both be ({dim}, {dim}) for {dim} "
                         f"energies (a full spectrum)")
    if isinstance(block, bool) or not isinstance(block, int) or block < 1:
        raise ValueError(f"block={block!r} is not allowed: it must be an integer >= 1")
    t = time_grid(period=period) if times is None else np.asarray(times, dtype=np.float64)
    if t.ndim != 1 or not np.all(np.isfinite(t)):
        raise ValueError(f"times must be a 1-D array of finite numbers, got shape {t.shape}")
    tol = degeneracy_tolerance(e, period) if degeneracy_tol is None else float(degeneracy_tol)
    cluster = degenerate_clusters(e, tol, period)
    zone = _zone(period) if period is not None else 0.0
    shifted = e if period is not None else e - e.mean()  # smaller phases E t, same C(t)
    phase = np.multiply.outer(shifted, t)
    cos_t, sin_t = np.cos(phase), np.sin(phase)
    del phase
    weights = np.zeros(bins.size)
    row_norm = np.empty(dim)
    row_degenerate = np.empty(dim)
    correlator = np.zeros(t.size)
    for start in range(0, dim, block):
        rows = slice(start, min(dim, start + block))
        z = np.ascontiguousarray(vectors[:, rows].conj().T @ operator_vectors)
        spectral_weight_rows(z, start, e, cluster, zone, bins.params, weights, row_norm,
                             row_degenerate)
        w = z.real**2 + z.imag**2
        del z
        # sum_nm w_nm e^{i (E_n - E_m) t} = sum_n [cos_n (w cos)_n + sin_n (w sin)_n]
        correlator += np.einsum("at,at->t", cos_t[rows], w @ cos_t)
        correlator += np.einsum("at,at->t", sin_t[rows], w @ sin_t)
    weights /= dim
    row_norm_error = float(np.max(np.abs(row_norm - 1.0)))
    if sum_rule_tol is not None and not row_norm_error <= sum_rule_tol:
        raise VerificationError(f"autocorrelation: the sum rule sum_m |O_nm|^2 = 1 of an "
                                f"involution fails by {row_norm_error:.3e} > "
                                f"{sum_rule_tol:.1e} (vectors not orthonormal, or "
                                f"operator_vectors is not O V; for O^2 != 1 pass "
                                f"sum_rule_tol=None)")
    return Autocorrelation(times=t, correlator=correlator / dim,
                           infinite_time=float(row_degenerate.sum() / dim), bins=bins,
                           weights=weights, total_weight=float(row_norm.sum() / dim),
                           row_norm_error=row_norm_error)


# --------------------------------------------------------------------------- window matrix elements


@dataclass(frozen=True)
class WindowMatrixElements:
    """|V_ba| between a mid-spectrum reference window A and partner windows B (Eq. 97).

    v : 1-D array of |V_ba| over every pair (a in A, b in B, b != a), pooled over the partner
    windows; window_width : delta, the width of every window (energy units); reference_states :
    |A|; partner_windows : number of partner windows (one per shift); reference : the indices
    of A; partners : tuple of index arrays, one per partner window.

    The disorder-average normaliser is ``reference_width`` = |A| delta (number of partner
    windows): varrho(v) = (histogram of v) / (reference_width * bin width) (Eq. 97: partner
    states per unit energy per unit v, averaged over a), and rho vbar = sum(v) /
    reference_width (Eq. 130). Over realisations, histograms and reference widths add.
    """

    v: np.ndarray
    window_width: float
    reference_states: int
    partner_windows: int
    reference: np.ndarray
    partners: tuple[np.ndarray, ...]

    @property
    def reference_width(self) -> float:
        return float(self.reference_states * self.partner_windows * self.window_width)

    @property
    def pairs(self) -> int:
        return int(self.v.size)

    @property
    def density_of_states(self) -> float:
        """rho = partner states per unit energy seen by a reference state: pairs /
        reference_width (the ``density_of_states`` of
        :func:`mblkit.phenomenology.resonance_generalised.density_from_samples`)."""
        return self.pairs / self._checked_width()

    @property
    def rho_vbar(self) -> float:
        """rho vbar = (1 / (delta |A|)) sum_{a, b} |V_ba| (Eqs. 129-130), pooled over the partner
        windows; equals ``rho_vbar_from_matrix_elements(v, window_width=delta,
        n_reference_states=|A| * partner_windows)`` of the phenomenology."""
        return float(self.v.sum() / self._checked_width())

    def _checked_width(self) -> float:
        if self.reference_states == 0:
            raise ValueError("the reference window holds no state: raise fraction")
        return self.reference_width


def window_width(energies: np.ndarray, fraction: float, period: float | None = None) -> float:
    """delta such that a window at the centre holds about ``fraction`` of the D levels:
    fraction * sqrt(2 pi) * std(E) (Gaussian density of states at its maximum, static), or
    fraction * 2 pi / T (flat quasienergy density, Floquet)."""
    e = _as_energies(energies, period)
    if isinstance(fraction, bool) or not isinstance(fraction, int | float | np.floating) or \
            not 0 < fraction <= 1:
        raise ValueError(f"fraction={fraction!r} is not allowed: it must lie in (0, 1]")
    if period is not None:
        return float(fraction) * _zone(period)
    spread = float(np.std(e))
    if spread == 0:
        raise ValueError("the energies are all equal: no window width can be defined")
    return float(fraction) * math.sqrt(2 * math.pi) * spread


def energy_window(energies: np.ndarray, centre: float, width: float,
                  period: float | None = None) -> np.ndarray:
    """Indices (ascending) of the levels in [centre - width/2, centre + width/2); with a
    ``period`` the distance to the centre is taken modulo 2 pi / T into [-Omega/2, Omega/2)."""
    e = _as_energies(energies, period)
    d = e - centre
    if period is not None:
        zone = _zone(period)
        d = (d + 0.5 * zone) % zone - 0.5 * zone
    return np.flatnonzero((d >= -0.5 * width) & (d < 0.5 * width))


def window_matrix_elements(energies: np.ndarray, vectors: np.ndarray,
                           apply_operator: Callable[[np.ndarray], np.ndarray], *,
                           fraction: float, shifts: Sequence[float] = (0.0,),
                           period: float | None = None, centre: float | None = None
                           ) -> WindowMatrixElements:
    """|V_ba| = |<b|V|a>| between a reference window at ``centre`` and partner windows at
    ``centre + shift`` for each shift (Eq. 97), windows of width :func:`window_width`.

    ``centre``: default the mean energy Tr H / D (infinite temperature, the maximum of the
    entropy) or quasienergy 0 (Floquet: the density is flat, every window is equivalent).
    ``apply_operator(states)`` returns V applied to a block of column vectors (it may work in
    place on its argument, which is a copy). Pairs with b == a (overlapping windows) are left
    out: Eq. 97 counts off-diagonal elements. For the probe of Eqs. 16 and 68, V = |V|
    sigma^x_0 and the resonant partners of a reference with probe up (down) sit at shift +h
    (-h) (Eqs. 30, 74), hence ``shifts=(h, -h)``.
    """
    e = _as_energies(energies, period)
    dim = e.size
    if vectors.shape != (dim, dim):
        raise ValueError(f"vectors have shape {vectors.shape}, expected ({dim}, {dim}): the "
                         f"window widths and the centre need the full spectrum")
    shifts = tuple(float(s) for s in shifts)
    if not shifts or not all(math.isfinite(s) for s in shifts):
        raise ValueError(f"shifts={shifts!r} is not allowed: give at least one finite shift")
    width = window_width(e, fraction, period)
    if centre is None:
        centre = 0.0 if period is not None else float(e.mean())
    reference = energy_window(e, centre, width, period)
    partners = tuple(energy_window(e, centre + s, width, period) for s in shifts)
    samples = []
    ref_vectors = vectors[:, reference]
    for partner in partners:
        applied = np.asarray(apply_operator(vectors[:, partner].copy()))
        if applied.shape != (dim, partner.size):
            raise ValueError(f"apply_operator returned shape {applied.shape}, expected "
                             f"{(dim, partner.size)}")
        elements = np.abs(ref_vectors.conj().T @ applied)  # [a, b] = |<a|V|b>| = |V_ba|
        keep = reference[:, None] != partner[None, :]
        samples.append(elements[keep])
    v = np.concatenate(samples) if samples else np.empty(0)
    return WindowMatrixElements(v=v, window_width=width, reference_states=int(reference.size),
                                partner_windows=len(shifts), reference=reference,
                                partners=partners)
