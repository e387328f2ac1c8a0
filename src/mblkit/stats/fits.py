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
