"""mblkit: many-body resonances and avalanches in disordered quantum spin chains.

Layers (see DESIGN.md): :mod:`mblkit.histograms` (mergeable histograms, the bottom),
:mod:`mblkit.spins` (Hilbert spaces, operators), :mod:`mblkit.models`, :mod:`mblkit.solvers`,
:mod:`mblkit.observables` and :mod:`mblkit.parametric` (level tracking), :mod:`mblkit.stats`,
:mod:`mblkit.campaign`, :mod:`mblkit.figures`.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mblkit")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = ["__version__", "open"]


def open(store, per_realisation: bool = False):
    """The campaign store at ``store`` as a tidy xarray Dataset: grid parameters as
    coordinates, means and standard errors, per-site arrays, histograms with their stored bins;
    ``per_realisation=True``: every realisation along a ``realisation`` dimension
    (:func:`mblkit.campaign.results.open_results`)."""
    from mblkit.campaign.results import open_results

    return open_results(store, per_realisation=per_realisation)
