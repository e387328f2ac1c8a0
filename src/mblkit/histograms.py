"""Mergeable log-binned histograms.

A histogram is a plain int64 array of counts over :class:`LogBins`: ``bins`` equal intervals of
log10(x) between ``lo`` and ``hi``, with one underflow slot in front (x < lo, including x = 0) and
one overflow slot at the end (x >= hi, including inf). Counts from different realisations, workers
or runs merge by addition in any order, and the under/overflow slots keep the total, so a density
normalised over everything that was counted stays exact whatever range was binned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit


@dataclass(frozen=True)
class LogBins:
    """``bins`` logarithmic bins on [lo, hi), plus underflow and overflow (``size = bins + 2``)."""

    lo: float
    hi: float
    bins: int

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lo) and math.isfinite(self.hi)) or not 0 < self.lo < self.hi:
            raise ValueError(f"histogram range [{self.lo!r}, {self.hi!r}) is empty or invalid: "
                             f"need 0 < lo < hi, both finite")
        if not isinstance(self.bins, int) or self.bins < 1:
            raise ValueError(f"bins={self.bins!r} is not allowed: it must be an integer >= 1")

    @property
    def size(self) -> int:
        """Length of a counts array: the bins plus underflow and overflow."""
        return self.bins + 2

    @property
    def edges(self) -> np.ndarray:
        """The ``bins + 1`` bin edges, logarithmically spaced."""
        return np.logspace(np.log10(self.lo), np.log10(self.hi), self.bins + 1)

    @property
    def centres(self) -> np.ndarray:
        """Geometric centres of the bins."""
        e = self.edges
        return np.sqrt(e[:-1] * e[1:])

    @property
    def params(self) -> np.ndarray:
        """(log10 lo, bins per decade, bins) as floats, the form the numba kernels take."""
        log_lo = math.log10(self.lo)
        return np.array([log_lo, self.bins / (math.log10(self.hi) - log_lo), self.bins])

    def empty(self, *shape: int) -> np.ndarray:
        """Zero counts of shape ``(size, *shape)``."""
        return np.zeros((self.size, *shape), dtype=np.int64)

    def count(self, values: np.ndarray) -> np.ndarray:
        """Counts of ``values`` (any shape); NaN is an error."""
        values = np.asarray(values, dtype=np.float64).ravel()
        if np.isnan(values).any():
            raise ValueError("cannot histogram NaN values")
        out = self.empty()
        count_into(out, values, self.params)
        return out


@njit(cache=True, nogil=True, inline="always")
def bin_index(value: float, params: np.ndarray) -> int:
    """Slot of ``value`` in a counts array of :class:`LogBins` with ``params``: 0 underflow,
    1..bins the bins, bins + 1 overflow. Non-positive values go to underflow."""
    bins = int(params[2])
    if not value > 0.0:
        return 0
    position = (math.log10(value) - params[0]) * params[1]
    if position < 0.0:
        return 0
    if position >= bins:
        return bins + 1
    return int(position) + 1


@njit(cache=True, nogil=True)
def count_into(counts: np.ndarray, values: np.ndarray, params: np.ndarray) -> None:
    """Add the histogram of ``values`` to ``counts`` in place."""
    for v in values:
        counts[bin_index(v, params)] += 1


def merge(*counts: np.ndarray) -> np.ndarray:
    """The merged histogram: counts add."""
    return np.sum(np.stack(counts), axis=0)


def density(counts: np.ndarray, bins: LogBins, total: float | None = None) -> np.ndarray:
    """Probability density on the bins: counts / (total * bin width).

    ``total`` defaults to every count including under- and overflow, so the density integrates
    to the fraction of values inside [lo, hi). For a 2-D histogram (slots along axis 0) each
    column is normalised by its own total.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.shape[0] != bins.size:
        raise ValueError(f"counts has {counts.shape[0]} slots, the bins need {bins.size}")
    if total is None:
        total = counts.sum(axis=0)
    widths = np.diff(bins.edges).reshape((-1,) + (1,) * (counts.ndim - 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(np.asarray(total) > 0, counts[1:-1] / (np.asarray(total) * widths), 0.0)
