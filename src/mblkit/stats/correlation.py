"""Pearson correlation pooled over eigenstates and disorder realisations, from stored moments.

``ergodic-bubble-inclusions.txt`` Eq. 7 correlates the purities of two sites,

    C = overline{(g_a - mean_a)(g_b - mean_b)} / (sigma_a sigma_b),

where the overline averages over eigenstates *and* realisations together. A campaign stores,
per realisation, the state averages m_a = <g_a> and P_ab = <g_a g_b> over the same number of
states each, so the pooled moments are plain means over realisations, E[g_a] = mean_k m_a(k),
E[g_a g_b] = mean_k P_ab(k), and the pooled coefficient is exact (identical to
``np.corrcoef`` of all states stacked). The error is the jackknife over realisations, which
treats the states of one realisation as correlated (they share the disorder).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Correlation:
    """Pooled Pearson coefficient ``value`` (averaged over the given site pairs) and its
    jackknife standard error over ``realisations`` (NaN with fewer than two)."""

    value: float
    error: float
    realisations: int


def _pearson(means: np.ndarray, products: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Coefficient per pair from moments; leading axes of ``means`` (..., m) broadcast."""
    a, b = pairs[:, 0], pairs[:, 1]
    var = np.diagonal(products, axis1=-2, axis2=-1) - means**2
    cov = products[..., a, b] - means[..., a] * means[..., b]
    return cov / np.sqrt(var[..., a] * var[..., b])


def pooled_pearson(means: np.ndarray, products: np.ndarray,
                   pairs: Sequence[tuple[int, int]]) -> Correlation:
    """Pearson coefficient between sites a and b, averaged over ``pairs`` [(a, b), ...].

    means: (n, m) per-realisation state averages of g_a; products: (n, m, m) per-realisation
    state averages of g_a g_b. Every realisation must hold the same number of states.
    """
    means = np.asarray(means, dtype=float)
    products = np.asarray(products, dtype=float)
    if means.ndim != 2 or products.shape != (*means.shape, means.shape[1]):
        raise ValueError(f"means must be (n, m) and products (n, m, m); got {means.shape} and "
                         f"{products.shape}")
    n, m = means.shape
    pair_array = np.asarray(pairs, dtype=int).reshape(-1, 2)
    if pair_array.size == 0 or pair_array.min() < 0 or pair_array.max() >= m:
        raise ValueError(f"pairs={list(pairs)!r} is not allowed: need at least one pair of "
                         f"site indices in 0..{m - 1}")
    if n == 0:
        return Correlation(float("nan"), float("nan"), 0)
    value = float(_pearson(means.mean(0), products.mean(0), pair_array).mean())
    error = float("nan")
    if n > 1:
        loo_means = (means.sum(0) - means) / (n - 1)
        loo_products = (products.sum(0) - products) / (n - 1)
        loo = _pearson(loo_means, loo_products, pair_array).mean(axis=1)
        error = float(np.sqrt((n - 1) / n * np.sum((loo - loo.mean()) ** 2)))
    return Correlation(value, error, n)
