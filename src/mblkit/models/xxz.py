"""Random-field XXZ chain.

``ergodic-bubble-inclusions.txt`` Eq. 2 (with an optional periodic bond):

    H = J sum_i [ (S^+_i S^-_{i+1} + S^-_i S^+_{i+1}) / 2 + Delta S^z_i S^z_{i+1} ]
        + sum_i h_i S^z_i,        h_i ~ Uniform[-W, W] independently,

with spin operators S = sigma / 2 (so J = Delta = 1 is the Heisenberg chain S_i . S_{i+1}).
Energies are in the units of J and h. The total S^z is conserved; sectors are labelled by the
number of up spins ``n_up`` (S^z_total = n_up - L/2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from mblkit.models._checks import (
    bonds,
    check_array,
    check_boundary,
    check_finite,
    check_nonnegative,
)
from mblkit.spins import SpinBasis, assemble
from mblkit.spins.basis import check_sites
from mblkit.spins.operators import TermList


@dataclass(frozen=True)
class XXZChain:
    """Parameters of the random-field XXZ chain (see the module docstring for H).

    L : sites (1..24); W : disorder strength, h_i uniform in [-W, W]; J : exchange;
    delta : anisotropy Delta; boundary : "open" or "periodic".
    """

    L: int
    W: float
    J: float = 1.0
    delta: float = 1.0
    boundary: str = "open"

    def __post_init__(self) -> None:
        check_sites(self.L)
        check_nonnegative("W", self.W)
        check_finite("J", self.J)
        check_finite("delta", self.delta)
        check_boundary(self.boundary, self.L)

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        """One disorder realisation: the fields h_i, shape (L,), uniform in [-W, W]."""
        return rng.uniform(-self.W, self.W, size=self.L)

    def terms(self, h: np.ndarray) -> TermList:
        """Term list of H for fields ``h`` (Pauli-letter convention of :mod:`mblkit.spins`)."""
        h = check_array("h", h, (self.L,))
        pairs = bonds(self.L, self.boundary)
        return [
            ("+-", [(self.J / 2, i, j) for i, j in pairs]),
            ("-+", [(self.J / 2, i, j) for i, j in pairs]),
            ("zz", [(self.J * self.delta / 4, i, j) for i, j in pairs]),
            ("z", [(h[i] / 2, i) for i in range(self.L)]),
        ]

    def basis(self, n_up: int | None = None) -> SpinBasis:
        """The full space (``n_up=None``) or the sector with ``n_up`` up spins."""
        return SpinBasis(self.L, n_up)

    def hamiltonian(self, h: np.ndarray, n_up: int | None = None) -> sp.csr_matrix:
        """Real symmetric CSR matrix of H in the full space or the sector ``n_up``.

        States are ordered by the integer value of their bit strings, site i is bit i.
        """
        return assemble(self.terms(h), self.basis(n_up))
