"""Heisenberg chain in random O(3) fields.

``resonance-model-crossover.txt`` Eq. 61 (the Omega -> infinity limit of the drive of Eq. 4):

    H = (J / 2) sum_n sigma_n . sigma_{n+1} + (W / 2) sum_n v_n . sigma_n,

with Pauli matrices sigma, periodic boundaries by default (sigma_{L+1} = sigma_1, as in Eq. 4),
and v_n i.i.d. random vectors with [v_n] = 0 and [v_n . v_n] = 1 (Eq. 4's text): by default
Gaussian entries of variance 1/3 ("gaussian"), or uniform on the unit sphere ("sphere").
No U(1) symmetry: the matrix lives in the full 2^L space and is complex Hermitian.

:meth:`O3HeisenbergChain.exchange_terms` and :meth:`O3HeisenbergChain.field_terms` are the
exchange and field parts of H, kept apart for the two-step Floquet drive of Eqs. 4-5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from mblkit.memory import require_memory
from mblkit.models._checks import (
    bonds,
    check_array,
    check_boundary,
    check_finite,
    check_nonnegative,
)
from mblkit.spins import SpinBasis, assemble
from mblkit.spins.basis import check_sites
from mblkit.spins.gates import PAULI_LOCAL, apply_one_site, identity_states
from mblkit.spins.operators import TermList

FIELD_DISTRIBUTIONS = ("gaussian", "sphere")


@dataclass(frozen=True)
class O3HeisenbergChain:
    """Parameters of the O(3)-field Heisenberg chain (see the module docstring for H)."""

    L: int
    W: float
    J: float = 1.0
    boundary: str = "periodic"
    fields: str = "gaussian"

    def __post_init__(self) -> None:
        check_sites(self.L)
        check_nonnegative("W", self.W)
        check_finite("J", self.J)
        check_boundary(self.boundary, self.L)
        if self.fields not in FIELD_DISTRIBUTIONS:
            raise ValueError(f"fields={self.fields!r} is not allowed: use one of "
                             f"{FIELD_DISTRIBUTIONS}")

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        """One realisation: the field vectors v_n, shape (L, 3), with [v_n . v_n] = 1."""
        v = rng.normal(size=(self.L, 3))
        if self.fields == "sphere":
            return v / np.linalg.norm(v, axis=1, keepdims=True)
        return v / np.sqrt(3.0)

    def exchange_terms(self) -> TermList:
        """(J/2) sum_n sigma_n . sigma_{n+1}, using x x + y y = 2 (S^+ S^- + S^- S^+)."""
        pairs = bonds(self.L, self.boundary)
        return [("+-", [(self.J, i, j) for i, j in pairs]),
                ("-+", [(self.J, i, j) for i, j in pairs]),
                ("zz", [(self.J / 2, i, j) for i, j in pairs])]

    def field_terms(self, v: np.ndarray) -> TermList:
        """(W/2) sum_n v_n . sigma_n for field vectors ``v`` of shape (L, 3)."""
        v = check_array("v", v, (self.L, 3))
        return [(axis, [(self.W / 2 * v[n, a], n) for n in range(self.L)])
                for a, axis in enumerate("xyz")]

    def basis(self) -> SpinBasis:
        """The full 2^L space (the model has no U(1) symmetry)."""
        return SpinBasis(self.L)

    def hamiltonian(self, v: np.ndarray) -> sp.csr_matrix:
        """Complex Hermitian CSR matrix of H in the full space (site i is bit i)."""
        return assemble([*self.exchange_terms(), *self.field_terms(v)], self.basis())


@dataclass(frozen=True)
class O3FloquetChain:
    """The two-step drive of ``resonance-model-crossover.txt`` Eqs. 4-5, periodic by default:

        U_F = exp(-i H_J T/2) exp(-i H_W T/2),   T = 2 pi / Omega,
        H_W = W sum_n v_n . sigma_n,   H_J = J sum_n sigma_n . sigma_{n+1},

    with the fields v_n of :class:`O3HeisenbergChain`. Since H_J T/2 and H_W T/2 are T times the
    exchange and field parts of Eq. 61's H, U_F -> exp(-i T H_61) for Omega -> infinity (the
    limit the paper takes for Eq. 61). Quasienergies: U_F |e> = e^{-i e T} |e>, so e = -theta/T
    for the eigenphases theta of :func:`mblkit.solvers.eigu`. No conservation law.
    """

    L: int
    W: float
    Omega: float
    J: float = 1.0
    boundary: str = "periodic"
    fields: str = "gaussian"

    def __post_init__(self) -> None:
        if not isinstance(self.Omega, int | float) or not math.isfinite(self.Omega) or \
                self.Omega <= 0:
            raise ValueError(f"Omega={self.Omega!r} is not allowed: it must be a finite number "
                             f"> 0")
        O3HeisenbergChain(self.L, self.W, self.J, self.boundary, self.fields)  # validates

    @property
    def static(self) -> O3HeisenbergChain:
        """Eq. 61's chain with the same W, J, boundary and field distribution."""
        return O3HeisenbergChain(self.L, self.W, self.J, self.boundary, self.fields)

    @property
    def period(self) -> float:
        return 2 * math.pi / self.Omega

    @property
    def dim(self) -> int:
        return 1 << self.L

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        """The field vectors v_n, shape (L, 3), as for the static chain."""
        return self.static.sample(rng)

    def unitary(self, v: np.ndarray) -> np.ndarray:
        """The dense 2^L x 2^L U_F (site i is bit i): single-site gates for the field step, then
        the exchange step exp(-i T H_exchange) block by block in the S^z sectors it conserves."""
        static = self.static
        v = check_array("v", v, (self.L, 3))
        require_memory(self.dim**2 * 16 * 2, f"the Floquet operator of L = {self.L}",
                       "use a smaller L (a dense Floquet operator holds 4^L complex numbers)")
        T = self.period
        states = identity_states(self.L)
        for n in range(self.L):
            field = 0.5 * self.W * v[n]  # (W/2) v_n . sigma_n, the field part of Eq. 61
            norm = float(np.linalg.norm(field))
            if norm == 0.0:
                continue
            axis = sum(c * PAULI_LOCAL[a] for c, a in zip(field / norm, "xyz", strict=True))
            gate = math.cos(T * norm) * np.eye(2) - 1j * math.sin(T * norm) * axis
            apply_one_site(states, gate, n)
        exchange = static.exchange_terms()
        for n_up in range(self.L + 1):
            basis = SpinBasis(self.L, n_up)
            block = assemble(exchange, basis).toarray()
            energies, vectors = np.linalg.eigh(block)
            propagator = (vectors * np.exp(-1j * T * energies)) @ vectors.T
            rows = basis.states
            states[rows, :] = propagator @ states[rows, :]
        return states
