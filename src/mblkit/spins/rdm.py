"""Reduced density matrices of a subset of sites, from states in the full space or a sector.

For a subset A and its complement B, a state is reshaped into a matrix M[a, b] (a: the bits of
A, b: the bits of B and the tensor factor, if any) and rho_A = M M^dagger. In a U(1) sector
M is block diagonal in the number of up spins inside A, so we keep only the blocks: memory
is the sector dimension, and the Schmidt spectrum is the union of the blocks' singular values.

Convention: the sites of A are sorted ascending and bit m of the RDM index is site A[m]
(so the RDM uses the same "site i is bit i" ordering as the chain, restricted to A).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mblkit.spins import kernels
from mblkit.spins.basis import SpinBasis


@dataclass(frozen=True)
class _Block:
    rdm_index: np.ndarray  # RDM row indices (codes of A) of the block's rows, in row order
    positions: np.ndarray  # chain-basis positions of the block's entries
    rows: np.ndarray
    cols: np.ndarray
    shape: tuple[int, int]


@dataclass(frozen=True)
class Bipartition:
    """Precomputed split of ``basis`` into the sites ``subsystem`` and the rest.

    Build once per (basis, subsystem), then call :meth:`schmidt_matrices` or
    :meth:`reduced_density_matrix` for as many states as needed.
    """

    basis: SpinBasis
    subsystem: tuple[int, ...]
    blocks: tuple[_Block, ...]

    @classmethod
    def of(cls, basis: SpinBasis, subsystem: Sequence[int]) -> Bipartition:
        """Split ``basis`` into ``subsystem`` (any sites, in any order) and its complement."""
        sites = tuple(sorted({int(s) for s in subsystem}))
        if len(sites) != len(subsystem) or any(not 0 <= s < basis.L for s in sites):
            raise ValueError(f"subsystem {tuple(subsystem)!r} must list distinct sites in "
                             f"0..{basis.L - 1}")
        rest = np.array([s for s in range(basis.L) if s not in sites], dtype=np.int64)
        a_code = kernels.compress_bits(basis.states, np.array(sites, dtype=np.int64))
        b_code = kernels.compress_bits(basis.states, rest)
        n_a, n_b = len(sites), len(rest)
        n_up = basis.n_up
        if n_up is None:  # full space: one block
            block = _Block(np.arange(1 << n_a), np.arange(basis.chain_dim), a_code, b_code,
                           (1 << n_a, 1 << n_b))
            return cls(basis, sites, (block,))
        binom = kernels.binomial_table(basis.L)
        ups_a = kernels.popcounts(a_code)
        blocks = []
        for k in range(max(0, n_up - n_b), min(n_a, n_up) + 1):
            pos = np.flatnonzero(ups_a == k)
            shape = (int(binom[n_a, k]), int(binom[n_b, n_up - k]))
            blocks.append(_Block(kernels.sector_states(n_a, k, binom), pos,
                                 kernels.rank_states(a_code[pos], binom),
                                 kernels.rank_states(b_code[pos], binom), shape))
        return cls(basis, sites, tuple(blocks))

    def schmidt_matrices(self, state: np.ndarray) -> list[np.ndarray]:
        """The blocks of M for one normalised state (1-D array of length ``basis.dim``)."""
        psi = np.asarray(state)
        if psi.shape != (self.basis.dim,):
            raise ValueError(f"state has shape {psi.shape}, expected ({self.basis.dim},)")
        aux = self.basis.aux_dim
        psi = psi.reshape(self.basis.chain_dim, aux)
        out = []
        for b in self.blocks:
            m = np.zeros((b.shape[0], b.shape[1], aux), dtype=psi.dtype)
            m[b.rows, b.cols] = psi[b.positions]
            out.append(m.reshape(b.shape[0], b.shape[1] * aux))
        return out

    def reduced_density_matrix(self, state: np.ndarray) -> np.ndarray:
        """rho_A = Tr_B |psi><psi| as a dense 2^|A| x 2^|A| matrix."""
        size = 1 << len(self.subsystem)
        mats = self.schmidt_matrices(state)
        rho = np.zeros((size, size), dtype=np.result_type(mats[0].dtype, np.float64))
        for b, m in zip(self.blocks, mats, strict=True):
            rho[np.ix_(b.rdm_index, b.rdm_index)] = m @ m.conj().T
        return rho

    def schmidt_probabilities(self, state: np.ndarray) -> np.ndarray:
        """Eigenvalues of rho_A (squared Schmidt coefficients), descending."""
        probs = [np.linalg.svd(m, compute_uv=False) ** 2 for m in self.schmidt_matrices(state)
                 if m.size]
        return np.sort(np.concatenate(probs))[::-1]


def reduced_density_matrix(state: np.ndarray, basis: SpinBasis,
                           subsystem: Sequence[int]) -> np.ndarray:
    """rho_A of one state for the sites ``subsystem`` (see :class:`Bipartition`)."""
    return Bipartition.of(basis, subsystem).reduced_density_matrix(state)
