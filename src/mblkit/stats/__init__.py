"""Statistics on campaign results: mergeable log-binned histograms and fits with errors."""

from mblkit.stats.fits import PowerLawFit, fit_power_law
from mblkit.stats.histograms import LogBins, density, merge

__all__ = ["LogBins", "PowerLawFit", "density", "fit_power_law", "merge"]
