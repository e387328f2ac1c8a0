"""Random-field XXZ chain coupled at both ends to an ergodic (GOE) bubble.

``ergodic-bubble-inclusions.txt`` Eqs. 1-4:

    H = H_XXZ (x) 1 + 1 (x) R_0 + g H_coupling,                                     (Eq. 1)
    H_XXZ = J sum_{i=0}^{L-2} [ (S^+_i S^-_{i+1} + S^-_i S^+_{i+1}) / 2
                                + Delta S^z_i S^z_{i+1} ] + sum_{i=0}^{L-1} h_i S^z_i,   (Eq. 2)
    H_coupling = S^z_0 S^z_{L-1} (x) R_1 + [ S^+_0 S^-_{L-1} (x) R_2 + h.c. ],           (Eq. 3)
    R_l = (beta / 2) (A_l + A_l^T),  (A_l)_ij ~ Normal(0, 1),  l = 0, 1, 2 independent,   (Eq. 4)

with spin operators S = sigma / 2 (S^+ has unit matrix elements), h_i ~ Uniform[-W, W], and
the first tensor factor the chain, the second the bubble of dimension ``n_goe``. The chain itself
has open boundaries (no bond (L-1, 0)); sites 0 and L-1 are the two that touch the bubble, which
closes the chain into a ring through the bubble, so the site farthest from it is floor(L/2).
R_l is a GOE matrix: off-diagonal variance beta^2 / 2, diagonal variance beta^2.

Every term conserves the chain's total S^z (R_2 is symmetric, so the h.c. is
S^-_0 S^+_{L-1} (x) R_2), and the Hamiltonian is built in one sector of ``n_up`` up spins,
by default n_up = floor(L/2), the largest, of dimension n_goe * binom(L, floor(L/2)) (the paragraph
after Eq. 4). Basis order: chain state k (x) bubble state a has index ``k * n_goe + a`` (see
:mod:`mblkit.spins.basis`). Energies are in units of J = 1 in the paper (Delta = 1 there).

The paper tunes beta to maximise the mean gap ratio (SM Sec. VI A and the caption of Fig. 8):
beta = 0.55, 0.6, 0.58, 0.55, 0.5 for n_goe = 3, 4, 5, 6, 8; that table is the default. The paper
does not state the coupling g; the default here is g = 1 (= J).
The paper's reference, the isolated chain at L + 2 sites (open or periodic), is
:meth:`BubbleChain.reference_chain`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from mblkit.models._checks import check_array, check_finite, check_nonnegative
from mblkit.models.xxz import XXZChain
from mblkit.spins import SpinBasis, assemble
from mblkit.spins.basis import MAX_SITES, check_sites
from mblkit.spins.operators import TermList

#: beta of Eq. 4 tuned by the paper for each bubble size (SM Sec. VI A, Fig. 8 caption).
PAPER_BETA = {3: 0.55, 4: 0.6, 5: 0.58, 6: 0.55, 8: 0.5}


def goe_matrix(rng: np.random.Generator, n: int, beta: float) -> np.ndarray:
    """(beta / 2) (A + A^T) with A_ij independent standard normal (Eq. 4), shape (n, n)."""
    a = rng.standard_normal((n, n))
    return 0.5 * beta * (a + a.T)


@dataclass(frozen=True)
class BubbleRealisation:
    """One disorder realisation: the fields h_i, shape (L,), and R_0, R_1, R_2, (n_goe, n_goe)."""

    h: np.ndarray
    R0: np.ndarray
    R1: np.ndarray
    R2: np.ndarray

    def arrays(self) -> dict[str, np.ndarray]:
        """The realisation as named plain arrays (for storage)."""
        return {"fields": self.h, "R0": self.R0, "R1": self.R1, "R2": self.R2}


@dataclass(frozen=True)
class BubbleChain:
    """Parameters of the chain + GOE bubble of Eqs. 1-4 (see the module docstring for H).

    L : chain sites, 2..24 (the L + 2 reference chain needs L <= 22); W : disorder, h_i in [-W, W];
    n_goe : bubble dimension (>= 1); g : chain-bubble coupling; beta : GOE band-width parameter
    of Eq. 4 (> 0; None takes the paper's value for n_goe in 3, 4, 5, 6, 8);
    J : exchange; delta : anisotropy Delta.
    """

    L: int
    W: float
    n_goe: int = 4
    g: float = 1.0
    beta: float | None = None
    J: float = 1.0
    delta: float = 1.0

    def __post_init__(self) -> None:
        check_sites(self.L)
        if self.L < 2:
            raise ValueError(f"L={self.L!r} is not allowed: the bubble couples sites 0 and L-1, "
                             f"so L must be >= 2")
        check_nonnegative("W", self.W)
        if (not isinstance(self.n_goe, int | np.integer) or isinstance(self.n_goe, bool)
                or self.n_goe < 1):
            raise ValueError(f"n_goe={self.n_goe!r} is not allowed: the bubble dimension must be "
                             f"an integer >= 1")
        check_finite("g", self.g)
        check_finite("J", self.J)
        check_finite("delta", self.delta)
        if self.beta is None:
            if self.n_goe not in PAPER_BETA:
                raise ValueError(f"beta=None is not allowed for n_goe={self.n_goe}: the paper "
                                 f"gives beta only for n_goe in {sorted(PAPER_BETA)}; pass a "
                                 f"number > 0")
            object.__setattr__(self, "beta", PAPER_BETA[self.n_goe])
        if (not isinstance(self.beta, int | float | np.integer | np.floating)
                or not math.isfinite(self.beta) or self.beta <= 0):
            raise ValueError(f"beta={self.beta!r} is not allowed: it must be a finite number > 0")

    @property
    def chain(self) -> XXZChain:
        """The open chain H_XXZ of Eq. 2 alone (L sites)."""
        return XXZChain(self.L, self.W, self.J, self.delta, "open")

    def reference_chain(self, boundary: str = "open") -> XXZChain:
        """The paper's bubble-less reference: the same chain at L + 2 sites (Figs. 2-5)."""
        if self.L + 2 > MAX_SITES:
            raise ValueError(f"the reference chain needs L + 2 = {self.L + 2} sites, more than "
                             f"{MAX_SITES}")
        return XXZChain(self.L + 2, self.W, self.J, self.delta, boundary)

    def sample(self, rng: np.random.Generator) -> BubbleRealisation:
        """Fields h_i uniform in [-W, W] (drawn first), then R_0, R_1, R_2 of Eq. 4 in order."""
        beta = self.beta
        if beta is None:  # __post_init__ replaces None by the paper's value
            raise RuntimeError("beta=None after construction: the paper's value was not filled in")
        h = self.chain.sample(rng)
        R0, R1, R2 = (goe_matrix(rng, self.n_goe, beta) for _ in range(3))
        return BubbleRealisation(h, R0, R1, R2)

    def basis(self, n_up: int | None = None) -> SpinBasis:
        """Sector of ``n_up`` up spins (default floor(L/2)) tensored with the bubble."""
        return SpinBasis(self.L, self.L // 2 if n_up is None else n_up, self.n_goe)

    def coupling_terms(self) -> tuple[TermList, TermList]:
        """Chain parts of Eq. 3: (S^z_0 S^z_{L-1}, S^+_0 S^-_{L-1}) as term lists (Pauli letters:
        S^z S^z = sigma^z sigma^z / 4; ``+``/``-`` are S^+/S^-)."""
        last = self.L - 1
        return [("zz", [(0.25, 0, last)])], [("+-", [(1.0, 0, last)])]

    def _check(self, realisation: BubbleRealisation) -> BubbleRealisation:
        n = (self.n_goe, self.n_goe)
        h = check_array("h", realisation.h, (self.L,))
        mats = [check_array(f"R{i}", getattr(realisation, f"R{i}"), n) for i in range(3)]
        for i, m in enumerate(mats):
            if not np.array_equal(m, m.T):
                raise ValueError(f"R{i} is not symmetric: Eq. 4's matrices are real symmetric")
        return BubbleRealisation(h, *mats)

    def hamiltonian(self, realisation: BubbleRealisation, n_up: int | None = None
                    ) -> sp.csr_matrix:
        """Real symmetric CSR matrix of Eq. 1 in the sector ``n_up`` (default floor(L/2)),
        of dimension n_goe * binom(L, n_up); index of (chain state k, bubble state a) is
        ``k * n_goe + a``."""
        r = self._check(realisation)
        basis = self.basis(n_up)
        H = assemble(self.chain.terms(r.h), basis)                  # H_XXZ (x) 1
        H = H + assemble([("I", [(1.0, 0)])], basis, r.R0)          # 1 (x) R_0
        if self.g != 0:
            zz, flip = self.coupling_terms()
            hc = [("-+", flip[0][1])]                               # S^-_0 S^+_{L-1}
            H = H + self.g * (assemble(zz, basis, r.R1) + assemble(flip, basis, r.R2)
                              + assemble(hc, basis, r.R2.T))
        return sp.csr_matrix(H)
