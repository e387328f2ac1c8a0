"""Entanglement of eigenstates: von Neumann and Renyi-2 entropies of any subsystem.

Entropies use the natural logarithm (a maximally entangled spin pair has S = ln 2).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mblkit.spins import Bipartition, SpinBasis


def von_neumann_entropy(probabilities: np.ndarray) -> float:
    """S = -sum_k p_k ln p_k of a spectrum of a density matrix (zeros contribute 0)."""
    p = np.asarray(probabilities, dtype=np.float64)
    p = p[p > 0]
    return float(-np.sum(p * np.log(p)))


def renyi2_entropy(probabilities: np.ndarray) -> float:
    """S_2 = -ln sum_k p_k^2 = -ln Tr rho^2."""
    p = np.asarray(probabilities, dtype=np.float64)
    return float(-np.log(np.sum(p**2)))


def entanglement_entropies(vectors: np.ndarray, basis: SpinBasis, subsystem: Sequence[int]
                           ) -> tuple[np.ndarray, np.ndarray]:
    """(von Neumann, Renyi-2) entropies of ``subsystem`` for each state (column) of ``vectors``.

    Works in the full space and in U(1) sectors (block-wise Schmidt decomposition); a tensor
    factor (``basis.aux_dim``) counts as part of the complement.
    """
    split = Bipartition.of(basis, subsystem)
    v = np.asarray(vectors)
    v = v[:, None] if v.ndim == 1 else v
    s_vn = np.empty(v.shape[1])
    s_2 = np.empty(v.shape[1])
    for n in range(v.shape[1]):
        p = split.schmidt_probabilities(v[:, n])
        s_vn[n] = von_neumann_entropy(p)
        s_2[n] = renyi2_entropy(p)
    return s_vn, s_2


def half_chain_entropy(vectors: np.ndarray, basis: SpinBasis) -> np.ndarray:
    """von Neumann entropy of the left half, sites 0 .. floor(L/2) - 1, for each state."""
    return entanglement_entropies(vectors, basis, range(basis.L // 2))[0]
