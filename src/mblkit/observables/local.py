"""Local observables of eigenstates: magnetisation and single-site purity.

Conventions: S^z = sigma^z / 2; site i is bit i of the basis state (see :mod:`mblkit.spins`).
"""

from __future__ import annotations

import numpy as np

from mblkit.spins import SpinBasis
from mblkit.spins.operators import expectation


def _columns(vectors: np.ndarray, basis: SpinBasis) -> np.ndarray:
    v = np.asarray(vectors)
    v = v[:, None] if v.ndim == 1 else v
    if v.shape[0] != basis.dim:
        raise ValueError(f"vectors have {v.shape[0]} rows but {basis!r} has dimension "
                         f"{basis.dim}")
    return v


def magnetisation(vectors: np.ndarray, basis: SpinBasis, chunk: int = 1024) -> np.ndarray:
    """<n| S^z_i |n> for every state (columns of ``vectors``) and site: shape (n_states, L).

    One pass over |v|^2 in column chunks: O(dim * n_states * L), never a dim^2 temporary.
    A tensor factor (``basis.aux_dim``) is traced over.
    """
    v = _columns(vectors, basis)
    sz = basis.sigma_z
    out = np.empty((v.shape[1], basis.L))
    for start in range(0, v.shape[1], chunk):
        block = v[:, start:start + chunk]
        weights = (block.real**2 + block.imag**2) if np.iscomplexobj(block) else block**2
        weights = weights.reshape(basis.chain_dim, basis.aux_dim, -1).sum(axis=1)
        out[start:start + chunk] = 0.5 * (weights.T @ sz)
    return out


def purity_from_magnetisation(sz: np.ndarray) -> np.ndarray:
    """gamma_i = 2 <S^z_i>^2 + 1/2, ``ergodic-bubble-inclusions.txt`` Eq. 5.

    Valid when rho_i is diagonal, i.e. <S^+_i> = 0, which U(1) symmetry guarantees for
    eigenstates inside a sector. 1/2 for a maximally mixed spin, 1 for a product state.
    """
    return 2.0 * np.asarray(sz) ** 2 + 0.5


def single_site_purity(vectors: np.ndarray, basis: SpinBasis) -> np.ndarray:
    """gamma_i = Tr rho_i^2 for every state and site, shape (n_states, L).

    In a U(1) sector this is Eq. 5 of ``ergodic-bubble-inclusions.txt`` (rho_i diagonal). In
    the full space it is the general Bloch-vector form (1 + <sigma>^2) / 2 with
    <sigma^x>^2 + <sigma^y>^2 = 4 |<S^+>|^2.
    """
    v = _columns(vectors, basis)
    sz = magnetisation(v, basis)
    if basis.in_sector:
        return purity_from_magnetisation(sz)
    plus = np.stack([expectation("+", (i,), v, basis) for i in range(basis.L)], axis=1)
    return 0.5 * (1.0 + 4.0 * sz**2 + 4.0 * np.abs(plus) ** 2)
