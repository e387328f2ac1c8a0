"""Observables: pure functions of eigenvalues and eigenvectors."""

from mblkit.observables.correlations import connected_correlation
from mblkit.observables.entanglement import (
    entanglement_entropies,
    half_chain_entropy,
    renyi2_entropy,
    von_neumann_entropy,
)
from mblkit.observables.levels import R_GOE_LARGE_N, R_POISSON, gap_ratio, mean_gap_ratio
from mblkit.observables.local import magnetisation, purity_from_magnetisation, single_site_purity

__all__ = ["R_GOE_LARGE_N", "R_POISSON", "connected_correlation", "entanglement_entropies",
           "gap_ratio", "half_chain_entropy", "magnetisation", "mean_gap_ratio",
           "purity_from_magnetisation", "renyi2_entropy", "single_site_purity",
           "von_neumann_entropy"]
