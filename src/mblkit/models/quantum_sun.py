"""The Quantum Sun model: an ergodic dot of N spins coupled to L outer spins with couplings
decaying as alpha^{u_j} (J. Suntajs and L. Vidmar, "Ergodicity breaking transition in zero
dimensions", PRL 129, 060602 (2022), Eq. 1; arXiv:2203.08844):

    H = R + g0 sum_{j=0}^{L-1} alpha^{u_j} S^x_{n(j)} S^x_j + sum_{j=0}^{L-1} h_j S^z_j,

with spin operators S = sigma / 2 and

* R = gamma / sqrt(2^N + 1) (A + A^T) / sqrt(2), A a 2^N x 2^N matrix of independent standard
  normal numbers: a GOE matrix acting on the dot alone, normalised so that its Hilbert-Schmidt
  norm is [Tr R^2] / 2^N = gamma^2 (diagonal variance 2 gamma^2 / (2^N + 1), off-diagonal
  gamma^2 / (2^N + 1));
* u_0 = 0 and u_j = j + zeta_j for j = 1 .. L-1 (outer spins counted from 0), zeta_j uniform in
  [-zeta, zeta], zeta = 0.2: the first outer spin couples with alpha^0 = 1, the j-th with about
  alpha^j;
* n(j) a dot spin drawn uniformly from 0 .. N-1 for each outer spin;
* h_j uniform in [h0 - W, h0 + W] = [0.5, 1.5] (h0 = 1, W = 0.5);
* g0 = gamma = 1 and N = 3 by default, the paper's choices. The avalanche picture puts the
  transition at alpha_c = 1/sqrt(2) (PRL, after Eq. 1).

Outer spins 1 .. L-1 (1-based: 2 .. L) carry u_j = j - 1 + zeta_j counted from 1; this is the
convention of the authors' code and of later papers (u_1 = 0 "initiates the avalanche").
The GOE normalisation (A + A^T) / sqrt(2) with 1 / sqrt(2^N + 1) gives the unit Hilbert-Schmidt
norm at gamma = 1 (derived above; tested against the exact mean [Tr R^2] / 2^N = gamma^2).

Hilbert space: the full 2^(N+L) space, no conservation law (S^x S^x flips one outer spin and
one dot spin, and R mixes all dot states); H is real symmetric. As in
:mod:`mblkit.spins.basis`, the outer spins are the chain (outer spin j is chain site j) and the
dot is the tensor factor: basis index = outer state * 2^N + dot state, dot spin m is bit m of
the dot state. So ``basis()`` is ``SpinBasis(L, None, aux_dim=2^N)`` and the purities of
:mod:`mblkit.observables` are those of the outer spins (the dot is traced over).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from mblkit.models._checks import check_array, check_finite, check_nonnegative
from mblkit.spins import SpinBasis, assemble
from mblkit.spins.basis import MAX_SITES

#: alpha_c = 1/sqrt(2): the avalanche estimate of the critical coupling (PRL 129, 060602).
ALPHA_C = 1.0 / math.sqrt(2.0)

_SIGMA_X = np.array([[0.0, 1.0], [1.0, 0.0]])


def dot_sigma_x(N: int, m: int) -> sp.csr_matrix:
    """sigma^x of dot spin m (bit m of the dot state) in the 2^N-dimensional dot space."""
    return sp.kron(sp.kron(sp.identity(1 << (N - 1 - m)), _SIGMA_X), sp.identity(1 << m),
                   format="csr")


@dataclass(frozen=True)
class QuantumSunRealisation:
    """One realisation: the dot matrix R (2^N, 2^N), fields h (L,), exponents u (L,) and the
    dot spin n(j) each outer spin couples to, ``neighbours`` (L,) int64."""

    R: np.ndarray
    h: np.ndarray
    u: np.ndarray
    neighbours: np.ndarray


@dataclass(frozen=True)
class QuantumSun:
    """Parameters of the Quantum Sun model (see the module docstring for H).

    L : outer spins (>= 1; N + L <= 24); alpha : coupling decay, in [0, 1]; N : dot spins
    (>= 1); g0 : coupling scale; gamma : Hilbert-Schmidt norm of R; h0, W : fields uniform in
    [h0 - W, h0 + W]; zeta : exponent shifts uniform in [-zeta, zeta].
    """

    L: int
    alpha: float
    N: int = 3
    g0: float = 1.0
    gamma: float = 1.0
    h0: float = 1.0
    W: float = 0.5
    zeta: float = 0.2
    conserves_sz: ClassVar[bool] = False

    def __post_init__(self) -> None:
        for name in ("L", "N"):
            value = getattr(self, name)
            if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} = {value!r} is not allowed: it must be an integer >= 1")
        if self.N + self.L > MAX_SITES:
            raise ValueError(f"N + L = {self.N + self.L} is not allowed: at most {MAX_SITES} "
                             f"spins in all")
        if (not isinstance(self.alpha, int | float | np.integer | np.floating)
                or isinstance(self.alpha, bool) or not 0 <= self.alpha <= 1):
            raise ValueError(f"alpha = {self.alpha!r} is not allowed: it must lie in [0, 1]")
        check_finite("g0", self.g0)
        check_nonnegative("gamma", self.gamma)
        check_finite("h0", self.h0)
        check_nonnegative("W", self.W)
        check_nonnegative("zeta", self.zeta)

    @property
    def dot_dim(self) -> int:
        return 1 << self.N

    @property
    def dim(self) -> int:
        """2^(N + L)."""
        return self.dot_dim << self.L

    def sample(self, rng: np.random.Generator) -> QuantumSunRealisation:
        """R first, then h, then the shifts zeta_1 .. zeta_{L-1}, then n(j)."""
        d = self.dot_dim
        a = rng.standard_normal((d, d))
        R = self.gamma / math.sqrt(d + 1) * (a + a.T) / math.sqrt(2.0)
        h = rng.uniform(self.h0 - self.W, self.h0 + self.W, size=self.L)
        u = np.arange(self.L, dtype=np.float64)
        u[1:] += rng.uniform(-self.zeta, self.zeta, size=self.L - 1)
        neighbours = rng.integers(0, self.N, size=self.L).astype(np.int64)
        return QuantumSunRealisation(R, h, u, neighbours)

    def couplings(self, realisation: QuantumSunRealisation) -> np.ndarray:
        """g0 alpha^{u_j}, shape (L,) (alpha^0 = 1 also at alpha = 0)."""
        u = check_array("u", realisation.u, (self.L,))
        return self.g0 * np.power(float(self.alpha), u)

    def basis(self, n_up: int | None = None) -> SpinBasis:
        """The full space of the outer spins (chain) tensored with the dot (aux_dim = 2^N)."""
        if n_up is not None:
            raise ValueError(f"n_up = {n_up!r} is not allowed: the Quantum Sun model does not "
                             f"conserve S^z; use the full space (n_up = None)")
        return SpinBasis(self.L, None, self.dot_dim)

    def _check(self, r: QuantumSunRealisation) -> QuantumSunRealisation:
        d = (self.dot_dim, self.dot_dim)
        R = check_array("R", r.R, d)
        if not np.array_equal(R, R.T):
            raise ValueError("R is not symmetric: the dot matrix is a GOE matrix")
        h = check_array("h", r.h, (self.L,))
        u = check_array("u", r.u, (self.L,))
        n = np.asarray(r.neighbours)
        if n.shape != (self.L,) or n.dtype.kind not in "iu" or np.any((n < 0) | (n >= self.N)):
            raise ValueError(f"neighbours must be {self.L} integers in 0..{self.N - 1}")
        return QuantumSunRealisation(R, h, u, n.astype(np.int64))

    def hamiltonian(self, realisation: QuantumSunRealisation, n_up: int | None = None
                    ) -> sp.csr_matrix:
        """Real symmetric CSR matrix of H in the 2^(N+L) space (index = outer * 2^N + dot)."""
        r = self._check(realisation)
        basis = self.basis(n_up)
        H = assemble([("z", [(0.5 * r.h[j], j) for j in range(self.L)])], basis)
        H = H + assemble([("I", [(1.0, 0)])], basis, r.R)                 # 1_outer (x) R
        g = self.couplings(r)
        for m in np.unique(r.neighbours):                                # S^x_m S^x_j
            outer = [(0.25 * g[j], j) for j in np.flatnonzero(r.neighbours == m)]
            H = H + assemble([("x", outer)], basis, dot_sigma_x(self.N, int(m)))
        return sp.csr_matrix(H)
