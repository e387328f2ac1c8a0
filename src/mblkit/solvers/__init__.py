"""Eigensolvers: full ED (:func:`eigh`), interior eigenpairs (:func:`eigh_interior`) and
full ED of unitaries (:func:`eigu`)."""

from mblkit.memory import InsufficientMemoryError, available_memory
from mblkit.solvers.dense import dense_memory, eigh
from mblkit.solvers.interior import eigh_interior, spectral_centre, spectral_extremes
from mblkit.solvers.pardiso import pardiso_available
from mblkit.solvers.spectrum import Spectrum, VerificationError
from mblkit.solvers.unitary import FloquetSpectrum, eigu

__all__ = ["FloquetSpectrum", "InsufficientMemoryError", "Spectrum", "VerificationError",
           "available_memory", "dense_memory", "eigh", "eigh_interior", "eigu", "pardiso_available",
           "spectral_centre", "spectral_extremes"]
