"""Generalised resonance model: F(v), p(v) and [S(omega)] from any distribution varrho(v).

Implements Sec. IV A of ``shared/papers/resonance-model-crossover.txt`` (Eqs. 94-102) and the
stability parameter rho * vbar of Sec. V J (Eqs. 129-130).

Normalisation (Eq. 97, made explicit): varrho(v) dv is the number of partner states per unit
energy (quasienergy) whose off-diagonal matrix element |V_ba| with a reference state lies in
[v, v + dv], averaged over reference states a in a narrow mid-spectrum window. Hence
int varrho dv = rho (the density of states of the partner window) and int v varrho dv = rho vbar
(Eqs. 129-130). A partner couples resonantly when its energy lies within +-v of the reference
(Eq. 41), so the expected number of resonances with matrix element in [v, v + dv] is
2 v varrho(v) dv, and

    F(v) = exp(-2 int_v^inf v' varrho(v') dv')          (Eq. 100)
    p(v) = dF/dv = 2 v varrho(v) F(v)                   (Eq. 101)
    [S(omega)] = p(|omega|) / 2 + F(0) delta(omega)     (Eq. 102).

The factor 2 is that of q = 2 v rho (Eq. 41); Eqs. 99-101 as printed omit it, but only with it
does the Floquet varrho of Eq. 98 give back Eqs. 45-46 and 53, as the paper states (this is
tested). F(v) is the fraction of states with no resonance through a matrix element >= v.

A distribution is either measured (:class:`BinnedMatrixElementDensity`, built from samples of
|V_ba| or from a histogram, e.g. read from a campaign store) or analytic
(:class:`AnalyticMatrixElementDensity`, a callable with its support, or
:class:`RangeMatrixElementDensity`, single-valued v(r) = J e^(-k r) with a density of partners
per unit range, as in the Hamiltonian RM of
:mod:`mblkit.phenomenology.resonance_generalised_hamiltonian`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import integrate

from mblkit.phenomenology import _resonance_checks as chk
from mblkit.phenomenology import resonance_floquet as floquet


@dataclass(frozen=True)
class BinnedMatrixElementDensity:
    """varrho(v) constant on bins: ``edges`` (n+1, increasing, >= 0) and ``density`` (n, >= 0).

    ``density[j]`` is varrho in [edges[j], edges[j+1]) in states per unit energy per unit v;
    zero outside the bins. Integrals of v varrho over the bins are exact.
    """

    edges: np.ndarray
    density: np.ndarray

    def __post_init__(self) -> None:
        edges = chk.nonnegative_array("edges", self.edges)
        density = chk.nonnegative_array("density", self.density)
        if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
            raise ValueError("edges must be a 1-D strictly increasing array of >= 2 bin edges")
        if density.shape != (edges.size - 1,):
            raise ValueError(f"density has shape {density.shape}, expected ({edges.size - 1},) "
                             f"for {edges.size} edges")
        object.__setattr__(self, "edges", edges)
        object.__setattr__(self, "density", density)

    @property
    def v_max(self) -> float:
        return float(self.edges[-1])

    def __call__(self, v: np.ndarray) -> np.ndarray:
        """varrho(v) (the bin value; 0 outside the bins)."""
        v = np.asarray(v, dtype=np.float64)
        j = np.searchsorted(self.edges, v, side="right") - 1
        inside = (j >= 0) & (j < self.density.size)
        return np.where(inside, self.density[np.clip(j, 0, self.density.size - 1)], 0.0)

    def first_moment_above(self, v: np.ndarray) -> np.ndarray:
        """int_v^inf v' varrho(v') dv', exactly for the piecewise-constant density."""
        v = np.asarray(v, dtype=np.float64)
        e, n = self.edges, self.density.size
        per_bin = self.density * (e[1:] ** 2 - e[:-1] ** 2) / 2.0
        at_edge = np.concatenate((np.cumsum(per_bin[::-1])[::-1], [0.0]))  # moment above e[j]
        j = np.clip(np.searchsorted(e, v, side="right") - 1, 0, n - 1)  # bin holding v
        inside = at_edge[j + 1] + self.density[j] * (e[j + 1] ** 2 - v ** 2) / 2.0
        return np.where(v <= e[0], at_edge[0], np.where(v >= e[-1], 0.0, inside))


@dataclass(frozen=True)
class AnalyticMatrixElementDensity:
    """varrho(v) given by a vectorised callable ``func`` on its support [v_min, v_max].

    ``func`` must return finite values >= 0; varrho is taken as zero outside the support. The
    integrals of Eqs. 100-101 are done by adaptive quadrature in log v.
    """

    func: Callable[[np.ndarray], np.ndarray]
    v_min: float
    v_max: float

    def __post_init__(self) -> None:
        chk.positive("v_min", self.v_min)
        chk.positive("v_max", self.v_max)
        if not self.v_min < self.v_max:
            raise ValueError(f"v_min={self.v_min!r} must be smaller than v_max={self.v_max!r}")
        if not callable(self.func):
            raise ValueError(f"func={self.func!r} is not allowed: it must be a callable")

    def __call__(self, v: np.ndarray) -> np.ndarray:
        v = np.asarray(v, dtype=np.float64)
        inside = (v >= self.v_min) & (v <= self.v_max)
        out = np.zeros(v.shape)
        out[inside] = np.asarray(self.func(v[inside]), dtype=np.float64)
        return out

    def first_moment_above(self, v: np.ndarray) -> np.ndarray:
        """int_v^inf v' varrho(v') dv' = int v'^2 varrho(v') d(log v') by adaptive quadrature."""
        v = np.asarray(v, dtype=np.float64)
        out = np.empty(v.shape)
        log_top = math.log(self.v_max)

        def integrand(t: float) -> float:
            x = math.exp(t)
            return x * x * float(self.func(np.array([x]))[0])

        for idx, vv in np.ndenumerate(v):
            lo = max(float(vv), self.v_min)
            if lo >= self.v_max:
                out[idx] = 0.0
                continue
            val, _ = integrate.quad(integrand, math.log(lo), log_top, limit=200,
                                    epsabs=0.0, epsrel=1e-11)
            out[idx] = val
        return out


@dataclass(frozen=True)
class RangeMatrixElementDensity:
    """varrho(v) of single-valued elements v(r) = J exp(-k r) on ranges 0 <= r <= ``r_max``.

    ``rho`` is a vectorised callable: partner states per unit energy and unit range at range r
    (finite for r > 0; an integrable r^(-1/2) at r -> 0 is allowed, as in Eq. 80). Then
    varrho(v) dv = rho(r) dr, varrho(v) = rho(r_v) / (k v) with r_v = log(J/v) / k (Eq. 98's
    coarse graining), and int_v^inf v' varrho dv' = int_0^(r_v) J e^(-k r) rho(r) dr, done by
    adaptive quadrature in u = sqrt(r), where the integrand is regular.
    """

    rho: Callable[[np.ndarray], np.ndarray]
    J: float
    k: float
    r_max: float

    def __post_init__(self) -> None:
        chk.positive("J", self.J)
        chk.positive("k", self.k)
        chk.positive("r_max", self.r_max)
        if not callable(self.rho):
            raise ValueError(f"rho={self.rho!r} is not allowed: it must be a callable")

    @property
    def v_min(self) -> float:
        return float(self.J * math.exp(-self.k * self.r_max))

    @property
    def v_max(self) -> float:
        return float(self.J)

    def __call__(self, v: np.ndarray) -> np.ndarray:
        v = np.asarray(v, dtype=np.float64)
        inside = (v >= self.v_min) & (v < self.J)
        out = np.zeros(v.shape)
        r_v = np.log(self.J / v[inside]) / self.k
        out[inside] = np.asarray(self.rho(r_v), dtype=np.float64) / (self.k * v[inside])
        return out

    def first_moment_above(self, v: np.ndarray) -> np.ndarray:
        v = np.asarray(v, dtype=np.float64)
        out = np.empty(v.shape)

        def integrand(u: float) -> float:  # 2u J e^(-k u^2) rho(u^2), from r = u^2
            if u == 0.0:
                u = 1e-300
            return 2.0 * u * self.J * math.exp(-self.k * u * u) * float(
                np.asarray(self.rho(np.array([u * u])))[0])

        for idx, vv in np.ndenumerate(v):
            if vv >= self.J:
                out[idx] = 0.0
                continue
            r_v = self.r_max if vv <= self.v_min else math.log(self.J / vv) / self.k
            val, _ = integrate.quad(integrand, 0.0, math.sqrt(r_v), limit=200, epsabs=0.0,
                                    epsrel=1e-11)
            out[idx] = val
        return out


MatrixElementDensity = (BinnedMatrixElementDensity | AnalyticMatrixElementDensity
                        | RangeMatrixElementDensity)


def _check_density(varrho: MatrixElementDensity) -> None:
    if not isinstance(varrho, BinnedMatrixElementDensity | AnalyticMatrixElementDensity
                      | RangeMatrixElementDensity):
        raise ValueError(f"varrho={varrho!r} is not allowed: pass a BinnedMatrixElementDensity, "
                         f"an AnalyticMatrixElementDensity or a RangeMatrixElementDensity")


def log_edges(values: np.ndarray, bins_per_decade: int) -> np.ndarray:
    """Log-spaced bin edges, ``bins_per_decade`` per decade, spanning the positive ``values``
    (the last edge nudged up so the largest value is inside)."""
    if isinstance(bins_per_decade, bool) or not isinstance(bins_per_decade, int) \
            or bins_per_decade < 1:
        raise ValueError(f"bins_per_decade={bins_per_decade!r} is not allowed: it must be "
                         f"an integer >= 1")
    lo, hi = math.log10(values.min()), math.log10(values.max())
    n = max(1, math.ceil((hi - lo) * bins_per_decade))
    edges = np.logspace(lo, hi, n + 1)
    edges[0], edges[-1] = values.min(), values.max() * (1 + 1e-12)
    return edges


def density_from_samples(v: np.ndarray, *, density_of_states: float,
                         edges: np.ndarray | None = None,
                         bins_per_decade: int = 10) -> BinnedMatrixElementDensity:
    """varrho(v) from samples of |V_ba| (Eq. 97): rho times their normalised histogram.

    ``v``: magnitudes |V_ba| >= 0 (any shape; pairs sampled uniformly from the two windows);
    ``density_of_states``: rho, partner states per unit energy in the window. Default bins are
    log-spaced, ``bins_per_decade`` per decade, spanning the non-zero samples (varrho is a power
    law over many decades, Eq. 98); or give ``edges``. Every sample counts in the normalisation,
    also exact zeros (e.g. symmetry-forbidden elements) and samples outside ``edges``: they
    carry density of states but no resonance.
    """
    v = chk.nonnegative_array("v", v).ravel()
    rho = chk.positive("density_of_states", density_of_states)
    nonzero = v[v > 0]
    if nonzero.size == 0:
        raise ValueError("v has no non-zero matrix element: at least one is needed")
    if edges is None:
        edges = log_edges(nonzero, bins_per_decade)
    counts, _ = np.histogram(nonzero, bins=np.asarray(edges, dtype=np.float64))
    return density_from_histogram(edges, counts, density_of_states=rho, total_count=v.size)


def density_from_histogram(edges: np.ndarray, counts: np.ndarray, *, density_of_states: float,
                           total_count: float | None = None) -> BinnedMatrixElementDensity:
    """varrho(v) from a histogram of |V_ba| (bin ``edges``, ``counts``), e.g. a stored one.

    varrho = rho * counts / (total_count * bin width): the counts are normalised to a
    probability density of |V_ba| and scaled by the partner density of states rho.
    ``total_count`` is the number of sampled elements the histogram was filled from, including
    those that fell outside the bins (under/overflow, exact zeros); default ``sum(counts)``.
    """
    edges = chk.nonnegative_array("edges", edges)
    counts = chk.nonnegative_array("counts", counts)
    rho = chk.positive("density_of_states", density_of_states)
    if edges.ndim != 1 or counts.shape != (edges.size - 1,):
        raise ValueError(f"counts has shape {counts.shape}, expected ({edges.size - 1},) "
                         f"for {edges.size} edges")
    total = counts.sum() if total_count is None else chk.positive("total_count", total_count)
    if counts.sum() <= 0:
        raise ValueError("counts sum to zero: the histogram is empty")
    if total < counts.sum():
        raise ValueError(f"total_count={total_count!r} is not allowed: it must be at least "
                         f"sum(counts) = {counts.sum()!r}")
    return BinnedMatrixElementDensity(edges=edges,
                                      density=rho * counts / (total * np.diff(edges)))


def floquet_density(*, zeta: float, J: float, Omega: float,
                    L: float) -> AnalyticMatrixElementDensity:
    """Coarse-grained varrho(v) of the Floquet RM (Eq. 98): rho(r) dr = varrho(v) dv.

    varrho(v) = rho(r_v) / (k v), r_v = log(J/v)/k (Eqs. 38, 40), on [v(L/2), J]; it behaves as
    (v/J)^(-2+theta_0) (Eq. 98). Fed to :func:`no_resonance_fraction` it reproduces Eq. 45.
    """
    k = floquet.matrix_element_decay_rate(zeta)
    J = chk.positive("J", J)
    Omega = chk.positive("Omega", Omega)
    L = chk.system_size(L)
    v_min = floquet.cutoff_frequency(zeta=zeta, J=J, L=L)

    def func(v: np.ndarray) -> np.ndarray:
        r_v = np.log(J / v) / k
        return 4.0 * np.exp(2.0 * r_v / floquet.ZETA_C) / (floquet.ZETA_C * Omega * k * v)

    return AnalyticMatrixElementDensity(func=func, v_min=v_min, v_max=J)


def no_resonance_fraction(v: np.ndarray, varrho: MatrixElementDensity) -> np.ndarray:
    """F(v) = exp(-2 int_v^inf v' varrho(v') dv') (Eq. 100, with the factor 2 of Eq. 41), v >= 0.

    The fraction of reference states with no resonance through a matrix element >= v; F -> 1
    above the largest matrix element and F(0) = [C_zz].
    """
    _check_density(varrho)
    v = chk.nonnegative_array("v", v)
    return np.exp(-2.0 * varrho.first_moment_above(v))


def strongest_resonance_density(v: np.ndarray, varrho: MatrixElementDensity) -> np.ndarray:
    """p(v) = dF/dv = 2 v varrho(v) F(v) (Eq. 101): density of the strongest resonant element."""
    _check_density(varrho)
    v = chk.nonnegative_array("v", v)
    return 2.0 * v * varrho(v) * no_resonance_fraction(v, varrho)


def time_averaged_correlator(varrho: MatrixElementDensity) -> float:
    """[C_zz] = F(v = 0) (Eq. 102): the weight of delta(omega) in [S(omega)]."""
    return float(no_resonance_fraction(np.array(0.0), varrho))


def spectral_function(omega: np.ndarray, varrho: MatrixElementDensity) -> np.ndarray:
    """Continuous part of [S(omega)] = p(|omega|) / 2 (Eq. 102); even in omega, units 1/[v]."""
    _check_density(varrho)
    omega = chk.real_array("omega", omega)
    return 0.5 * strongest_resonance_density(np.abs(omega), varrho)


def rho_vbar(varrho: MatrixElementDensity) -> float:
    """rho vbar = int_0^inf v varrho(v) dv (Eq. 129); MBL needs rho vbar << 1 (Eqs. 128-131).

    The expected number of first-order resonances of a reference state is 2 rho vbar
    (= int q dr of Eq. 128 for the Floquet RM).
    """
    _check_density(varrho)
    return float(varrho.first_moment_above(np.array(0.0)))


def rho_vbar_from_matrix_elements(v: np.ndarray, *, window_width: float,
                                  n_reference_states: int) -> float:
    """rho vbar = sum_b |V_ba| / delta, averaged over reference states a (Eq. 130).

    ``v``: all |V_ba| with a among ``n_reference_states`` states of one window and b in a partner
    window of width ``window_width`` = delta (energy units). Equals :func:`rho_vbar` of the
    density built from the same numbers.
    """
    v = chk.nonnegative_array("v", v)
    delta = chk.positive("window_width", window_width)
    if isinstance(n_reference_states, bool) or not isinstance(n_reference_states,
                                                              int | np.integer) \
            or n_reference_states < 1:
        raise ValueError(f"n_reference_states={n_reference_states!r} is not allowed: it must be "
                         f"an integer >= 1")
    return float(v.sum() / (delta * n_reference_states))


def fit_theta0(varrho: BinnedMatrixElementDensity, *, v_low: float,
               v_high: float) -> float:
    """theta_0 from the small-v power law varrho ~ v^(-2+theta_0) (Eqs. 2, 98; Fig. 2c).

    Least-squares slope of log varrho vs log v over the non-empty bins whose centres (geometric)
    lie in [v_low, v_high]; theta_0 = slope + 2.
    """
    if not isinstance(varrho, BinnedMatrixElementDensity):
        raise ValueError("fit_theta0 needs a BinnedMatrixElementDensity")
    v_low = chk.positive("v_low", v_low)
    v_high = chk.positive("v_high", v_high)
    centres = np.sqrt(np.maximum(varrho.edges[:-1], 1e-300) * varrho.edges[1:])
    use = (centres >= v_low) & (centres <= v_high) & (varrho.density > 0)
    if use.sum() < 2:
        raise ValueError(f"fewer than 2 non-empty bins in [v_low, v_high] = [{v_low!r}, "
                         f"{v_high!r}]: widen the range")
    slope = np.polyfit(np.log(centres[use]), np.log(varrho.density[use]), 1)[0]
    return float(slope + 2.0)
