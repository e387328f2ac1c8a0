"""Eigensolvers: full ED (:func:`eigh`) and interior eigenpairs (:func:`eigh_interior`)."""

from mblkit.memory import InsufficientMemoryError, available_memory
from mblkit.solvers.dense import dense_memory, eigh
from mblkit.solvers.interior import eigh_interior, spectral_centre, spectral_extremes
from mblkit.solvers.pardiso import pardiso_available
from mblkit.solvers.spectrum import Spectrum, VerificationError

__all__ = ["InsufficientMemoryError", "Spectrum", "VerificationError", "available_memory",
           "dense_memory", "eigh", "eigh_interior", "pardiso_available", "spectral_centre",
           "spectral_extremes"]
