"""Observables: pure functions of eigenvalues and eigenvectors.

The parametric level tracking (which drives a solver along a path of operators) is an
algorithm, not an observable: it lives in :mod:`mblkit.parametric`. The mergeable histograms
the observables fill come from the bottom module :mod:`mblkit.histograms`, not from stats."""

from mblkit.observables.correlations import connected_correlation
from mblkit.observables.entanglement import (
    entanglement_entropies,
    half_chain_entropy,
    renyi2_entropy,
    von_neumann_entropy,
)
from mblkit.observables.levels import (
    R_CUE_LARGE_N,
    R_GOE_LARGE_N,
    R_POISSON,
    central_window,
    gap_ratio,
    mean_gap_ratio,
    quasienergy_gap_ratio,
)
from mblkit.observables.local import magnetisation, purity_from_magnetisation, single_site_purity
from mblkit.observables.resonances import ResonanceBins, resonance_statistics
from mblkit.observables.spectral import (
    Autocorrelation,
    WindowMatrixElements,
    autocorrelation,
    spectral_density,
    time_grid,
    window_matrix_elements,
)

__all__ = [
    "R_CUE_LARGE_N",
    "R_GOE_LARGE_N",
    "R_POISSON",
    "Autocorrelation",
    "ResonanceBins",
    "WindowMatrixElements",
    "autocorrelation",
    "central_window",
    "connected_correlation",
    "entanglement_entropies",
    "gap_ratio",
    "half_chain_entropy",
    "magnetisation",
    "mean_gap_ratio",
    "purity_from_magnetisation",
    "quasienergy_gap_ratio",
    "renyi2_entropy",
    "resonance_statistics",
    "single_site_purity",
    "spectral_density",
    "time_grid",
    "von_neumann_entropy",
    "window_matrix_elements",
]
