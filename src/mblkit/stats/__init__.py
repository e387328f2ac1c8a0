"""Statistics on campaign results: mergeable log-binned histograms and fits with errors."""

from mblkit.stats.histograms import LogBins, density, merge

__all__ = ["LogBins", "density", "merge"]
