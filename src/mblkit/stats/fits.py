"""Power-law fits of histogram tails with bootstrap errors over disorder realisations.

The tail of a log-binned density p(x) ~ A x^slope is fitted by weighted least squares of
log p against log x over the bins inside a window [lo, hi] chosen by the caller (each
observable documents its default window): the weight of a bin is its count (the variance of
log p from Poisson counts is 1/count), and bins with no count are left out. The error is the
standard deviation of the slope over ``n_boot`` bootstrap resamplings of the realisations:
realisations are drawn with replacement, their counts summed and the fit repeated, so the
error includes the realisation-to-realisation fluctuations the paper's error bars refer to.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mblkit.stats.histograms import LogBins


@dataclass(frozen=True)
class PowerLawFit:
    """p(x) = amplitude * x^slope inside [lo, hi]; ``error`` is the bootstrap standard
    deviation of the slope (NaN with fewer than two realisations)."""

    slope: float
    error: float
    amplitude: float
    lo: float
    hi: float
    bins_used: int
    realisations: int


def _fit(counts: np.ndarray, total: float, bins: LogBins, inside: np.ndarray
         ) -> tuple[float, float, int]:
    used = inside & (counts[1:-1] > 0)
    if used.sum() < 2:
        return np.nan, np.nan, int(used.sum())
    x = np.log(bins.centres[used])
    y = np.log(counts[1:-1][used] / (total * np.diff(bins.edges)[used]))
    w = counts[1:-1][used].astype(float)
    slope, intercept = np.polyfit(x, y, 1, w=np.sqrt(w))
    return float(slope), float(np.exp(intercept)), int(used.sum())


def fit_power_law(counts: np.ndarray, bins: LogBins, window: tuple[float, float],
                  n_boot: int = 200, seed: int = 0) -> PowerLawFit:
    """Fit the tail of the density whose per-realisation counts are ``counts`` (shape
    (realisations, bins.size), slots as in :class:`LogBins`), inside ``window``.

    The density is normalised over everything counted (under/overflow included), as
    :func:`mblkit.stats.density` does.
    """
    counts = np.atleast_2d(np.asarray(counts, dtype=np.int64))
    if counts.shape[1] != bins.size:
        raise ValueError(f"counts has {counts.shape[1]} slots per realisation, the bins need "
                         f"{bins.size}")
    lo, hi = window
    if not 0 < lo < hi:
        raise ValueError(f"window={window!r} is not allowed: need 0 < lo < hi")
    edges = bins.edges
    inside = (edges[:-1] >= lo * (1 - 1e-12)) & (edges[1:] <= hi * (1 + 1e-12))
    if inside.sum() < 2:
        raise ValueError(f"window={window!r} holds fewer than two bins of [{bins.lo}, "
                         f"{bins.hi}) with {bins.bins} bins")
    merged = counts.sum(axis=0)
    slope, amplitude, used = _fit(merged, merged.sum(), bins, inside)
    if not np.isfinite(slope):
        raise ValueError(f"window={window!r}: fewer than two bins with counts; widen the "
                         f"window or add realisations")
    n = counts.shape[0]
    error = np.nan
    if n > 1 and n_boot > 1:
        rng = np.random.default_rng(seed)
        boot = []
        for _ in range(n_boot):
            resampled = counts[rng.integers(0, n, n)].sum(axis=0)
            boot.append(_fit(resampled, resampled.sum(), bins, inside)[0])
        boot = np.asarray(boot)
        error = float(np.std(boot[np.isfinite(boot)], ddof=1))
    return PowerLawFit(slope, error, amplitude, float(lo), float(hi), used, n)


@dataclass(frozen=True)
class OffsetExponentialFit:
    """y = offset + amplitude e^{-x / length}, weighted least squares; errors are the square
    roots of the covariance diagonal for the given (absolute) sigmas; ``chi2`` / ``dof``
    measures whether those sigmas describe the scatter."""

    offset: float
    offset_error: float
    amplitude: float
    amplitude_error: float
    length: float
    length_error: float
    chi2: float
    dof: int

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.offset + self.amplitude * np.exp(-np.asarray(x, dtype=float) / self.length)


def fit_offset_exponential(x: np.ndarray, y: np.ndarray, sigma: np.ndarray
                           ) -> OffsetExponentialFit:
    """Fit y = y_0 + A e^{-x / xi} (``ergodic-bubble-inclusions.txt`` SM C, Fig. 9:
    gamma_XXZ - gamma_i = gamma_0 + A e^{-i / xi}) with standard errors ``sigma``.

    Needs at least four points (three parameters and one degree of freedom) and sigma > 0.
    """
    from scipy.optimize import curve_fit

    x, y, sigma = (np.asarray(a, dtype=float) for a in (x, y, sigma))
    if not (x.shape == y.shape == sigma.shape) or x.ndim != 1:
        raise ValueError(f"x, y and sigma must be 1-d of one shape, got {x.shape}, {y.shape}, "
                         f"{sigma.shape}")
    if len(x) < 4:
        raise ValueError(f"{len(x)} points are too few: the fit has three parameters and "
                         f"needs at least four points")
    if not np.all(np.isfinite(sigma) & (sigma > 0)):
        raise ValueError("sigma must be finite and > 0 at every point")

    def model(t, y0, a, xi):
        return y0 + a * np.exp(-t / xi)

    span = float(x.max() - x.min()) or 1.0
    guess = (float(y[np.argmax(x)]), float(y[np.argmin(x)] - y[np.argmax(x)]), span / 3)
    params, cov = curve_fit(model, x, y, p0=guess, sigma=sigma, absolute_sigma=True,
                            bounds=([-np.inf, -np.inf, 1e-3 * span], np.inf), maxfev=20000)
    errors = np.sqrt(np.diag(cov))
    chi2 = float(np.sum(((y - model(x, *params)) / sigma) ** 2))
    return OffsetExponentialFit(float(params[0]), float(errors[0]), float(params[1]),
                                float(errors[1]), float(params[2]), float(errors[2]), chi2,
                                len(x) - 3)
