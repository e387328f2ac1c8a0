"""Hilbert spaces of spin-1/2 chains: the full 2^L space, U(1) sectors, an optional tensor factor.

Ordering conventions
--------------------
* Chain basis states are integers; bit ``i`` is site ``i``, bit 1 = spin up (sigma^z = +1).
* The full space is ordered by the integer value ``0 .. 2^L - 1``.
* The sector with ``n_up`` up spins holds the integers of popcount ``n_up`` in increasing order;
  the index of a state is its rank in the combinatorial number system (O(L), see
  :func:`mblkit.spins.kernels.rank_state`).
* With a tensor factor of dimension ``aux_dim`` (e.g. an ergodic bubble) the space is
  chain (x) aux, so the index of (chain state k, aux state a) is ``k * aux_dim + a``, matching
  ``scipy.sparse.kron(H_chain, H_aux)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from mblkit.spins import kernels

MAX_SITES = 24


def check_sites(L: int) -> None:
    """Refuse chain lengths outside 1..MAX_SITES with a message naming the argument."""
    if not isinstance(L, int | np.integer) or isinstance(L, bool) or not 1 <= L <= MAX_SITES:
        raise ValueError(f"L={L!r} is not allowed: the chain length must be an integer in "
                         f"1..{MAX_SITES}")


@dataclass(frozen=True)
class SpinBasis:
    """Basis of L spins-1/2, in the full space (``n_up=None``) or a U(1) sector.

    Parameters
    ----------
    L : number of sites, 1..24.
    n_up : number of up spins (0..L), or None for the full 2^L space.
    aux_dim : dimension of a tensor factor beside the chain (1 = none).
    """

    L: int
    n_up: int | None = None
    aux_dim: int = 1

    def __post_init__(self) -> None:
        check_sites(self.L)
        if self.n_up is not None and (
            not isinstance(self.n_up, int | np.integer) or isinstance(self.n_up, bool)
            or not 0 <= self.n_up <= self.L
        ):
            raise ValueError(f"n_up={self.n_up!r} is not allowed: the number of up spins must "
                             f"be an integer in 0..L={self.L}, or None for the full space")
        if (not isinstance(self.aux_dim, int | np.integer) or isinstance(self.aux_dim, bool)
                or self.aux_dim < 1):
            raise ValueError(f"aux_dim={self.aux_dim!r} is not allowed: it must be an integer >= 1")

    @property
    def in_sector(self) -> bool:
        """True for a U(1) sector, False for the full space."""
        return self.n_up is not None

    @cached_property
    def binom(self) -> np.ndarray:
        """Binomial table used for ranking (int64, indices up to L + 1)."""
        return kernels.binomial_table(self.L)

    @property
    def chain_dim(self) -> int:
        """Dimension of the chain factor alone."""
        if self.n_up is None:
            return 1 << self.L
        return int(self.binom[self.L, self.n_up])

    @property
    def dim(self) -> int:
        """Dimension of the whole space, chain (x) aux."""
        return self.chain_dim * self.aux_dim

    @cached_property
    def states(self) -> np.ndarray:
        """Chain basis states (int64 bit strings) in basis order."""
        if self.n_up is None:
            return np.arange(1 << self.L, dtype=np.int64)
        return kernels.sector_states(self.L, self.n_up, self.binom)

    def index(self, states: np.ndarray | int) -> np.ndarray:
        """Chain index of bit-string states (no check that they belong to the basis)."""
        s = np.atleast_1d(np.asarray(states, dtype=np.int64))
        if self.n_up is None:
            return s.copy()
        return kernels.rank_states(s, self.binom)

    @cached_property
    def sigma_z(self) -> np.ndarray:
        """Table of sigma^z_i (+-1.0) of each chain basis state, shape ``(chain_dim, L)``."""
        bits = (self.states[:, None] >> np.arange(self.L)) & 1
        return (2.0 * bits - 1.0).astype(np.float64)

    def __repr__(self) -> str:
        sector = "full" if self.n_up is None else f"n_up={self.n_up}"
        aux = f", aux_dim={self.aux_dim}" if self.aux_dim > 1 else ""
        return f"SpinBasis(L={self.L}, {sector}{aux}, dim={self.dim})"
