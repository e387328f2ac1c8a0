"""Local unitaries (gates) applied to blocks of states in the full 2^L space.

A circuit's 2^L x 2^L matrix is built by applying its gates, one after the other, to the columns
of the identity, in place: the cost is O(L 4^L) per layer and only one 2^L x 2^L array is ever
alive; no Kronecker product of 2^L-dimensional matrices is formed.

Conventions: rows of ``states`` are basis states of the full space (bit ``i`` is site ``i``,
bit value 1 is spin up, as in :mod:`mblkit.spins.basis`). A one-site gate is a 2 x 2 matrix
indexed by the site's bit value, so the local basis is ordered (down, up) and the Pauli matrices
in it are those of :data:`PAULI_LOCAL`. A two-site gate on sites (a, b) is 4 x 4, indexed by
``2 s_a + s_b``: ``numpy.kron(A, B)`` is A on site a and B on site b.
"""

from __future__ import annotations

import numpy as np

from mblkit.spins import kernels

#: Pauli matrices in the local basis ordered by bit value (index 0 = down, 1 = up), so that
#: sigma^z = diag(-1, +1) and sigma^+ = |up><down| has its 1 at [1, 0].
PAULI_LOCAL: dict[str, np.ndarray] = {
    "x": np.array([[0, 1], [1, 0]], dtype=complex),
    "y": np.array([[0, 1j], [-1j, 0]], dtype=complex),
    "z": np.array([[-1, 0], [0, 1]], dtype=complex),
}


def _check_states(states: np.ndarray) -> np.ndarray:
    if states.ndim != 2 or states.dtype != np.complex128 or not states.flags.c_contiguous:
        raise ValueError("states must be a C-contiguous complex128 array of shape (2^L, k); "
                         f"got {states.dtype} with shape {states.shape}")
    n = states.shape[0]
    if n & (n - 1):
        raise ValueError(f"states has {n} rows, which is not a power of 2")
    return states


def _check_site(site: int, n_sites: int) -> int:
    if not 0 <= site < n_sites:
        raise ValueError(f"site={site} is outside the chain: use 0..{n_sites - 1}")
    return int(site)


def apply_one_site(states: np.ndarray, gate: np.ndarray, site: int) -> np.ndarray:
    """Apply the 2 x 2 ``gate`` to ``site`` of every column of ``states``, in place."""
    states = _check_states(states)
    L = states.shape[0].bit_length() - 1
    gate = np.ascontiguousarray(gate, dtype=complex)
    if gate.shape != (2, 2):
        raise ValueError(f"a one-site gate must be 2 x 2, got shape {gate.shape}")
    kernels.apply_one_site_gate(states, gate, _check_site(site, L))
    return states


def apply_two_site(states: np.ndarray, gate: np.ndarray, site_a: int, site_b: int
                   ) -> np.ndarray:
    """Apply the 4 x 4 ``gate`` to sites (``site_a``, ``site_b``) of every column, in place."""
    states = _check_states(states)
    L = states.shape[0].bit_length() - 1
    gate = np.ascontiguousarray(gate, dtype=complex)
    if gate.shape != (4, 4):
        raise ValueError(f"a two-site gate must be 4 x 4, got shape {gate.shape}")
    a, b = _check_site(site_a, L), _check_site(site_b, L)
    if a == b:
        raise ValueError(f"a two-site gate needs two different sites, got {a} twice")
    kernels.apply_two_site_gate(states, gate, a, b)
    return states


def identity_states(L: int) -> np.ndarray:
    """The 2^L x 2^L identity as complex128, the start of a circuit's matrix."""
    return np.eye(1 << L, dtype=np.complex128)
