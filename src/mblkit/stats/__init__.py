"""Statistics on campaign results: mergeable log-binned histograms, fits with errors, pooled
correlations and features (crossings, peaks) of measured curves."""

from mblkit.stats.correlation import Correlation, pooled_pearson
from mblkit.stats.curves import Feature, crossing, peak
from mblkit.stats.fits import (
    OffsetExponentialFit,
    PowerLawFit,
    fit_offset_exponential,
    fit_power_law,
)
from mblkit.stats.histograms import LogBins, density, merge
from mblkit.stats.summaries import (
    Collapse,
    Estimate,
    collapse_quality,
    data_collapse,
    median_value,
    typical_value,
)

__all__ = ["Correlation", "Feature", "LogBins", "OffsetExponentialFit", "PowerLawFit",
           "crossing", "density", "fit_offset_exponential", "fit_power_law", "merge", "peak",
           "pooled_pearson"]
__all__ += ["Collapse", "Estimate", "collapse_quality", "data_collapse", "median_value",
            "typical_value"]
