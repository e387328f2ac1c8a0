"""Hilbert spaces and operators of spin-1/2 chains (conventions: :mod:`mblkit.spins.basis`)."""

from mblkit.spins.basis import MAX_SITES, SpinBasis
from mblkit.spins.operators import apply, assemble, dense_operator, expectation
from mblkit.spins.rdm import Bipartition, reduced_density_matrix

__all__ = ["MAX_SITES", "Bipartition", "SpinBasis", "apply", "assemble", "dense_operator",
           "expectation", "reduced_density_matrix"]
