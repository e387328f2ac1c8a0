"""Mergeable log-binned histograms: re-exported from :mod:`mblkit.histograms`, the bottom layer
that observables and stats both use (observables do not import stats)."""

from mblkit.histograms import LogBins, bin_index, count_into, density, merge

__all__ = ["LogBins", "bin_index", "count_into", "density", "merge"]
