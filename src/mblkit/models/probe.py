"""A probe spin coupled to the disordered O(3) chain: the set-ups of
``resonance-model-crossover.txt`` Sec. II A 3 (Floquet, Eqs. 14-19) and Sec. III A 3 (static,
Eq. 68).

Conventions
-----------
* The chain is that of :mod:`mblkit.models.o3` (Eq. 4 / Eq. 61): sites 0..L-1, periodic
  boundaries by default, Pauli matrices sigma, random fields v_n of shape (L, 3) with
  [v_n . v_n] = 1. A realisation is the array v, exactly as for the chain alone.
* The probe spin P is one more spin-1/2, stored as **bit L** of a basis index (the most
  significant bit): the combined space has 2^(L+1) states, index = chain index + 2^L * (probe
  bit), probe bit 1 = up (sigma^z_P = +1). In block form a combined vector is
  (chain part with P down; chain part with P up), i.e. the operator kron(A_P, B_chain).
  Chain site i is bit i, as everywhere in mblkit.
* The probe couples to chain site **0** through V = ``coupling`` * sigma^x_0, the example of
  Eq. 16 (|V| = coupling; the paper takes |V| = J, the default here). The coupling term is
  V (x) sigma^x_P.
* The probe field is h sigma^z_P / 2 (Eqs. 15, 68). Eq. 18 writes the probe's phase per period
  as exp(-i W T sigma^z_P / 2), i.e. h = W; that is the default (``h=None``), for both models.
* hbar = 1: energies, quasienergies and frequencies share the units of J and W; times are in
  1/J. Floquet: T = 2 pi / Omega, quasienergies e with U |e> = e^{-i e T} |e> (Eq. 6), i.e.
  e = -theta / T for the eigenphases theta of :func:`mblkit.solvers.unitary.eigu`.

Floquet (Eqs. 14-19): the combined Floquet operator is

    U = U_1 U_0,    U_0 = U_F (x) exp(-i h T sigma^z_P / 2)    (Eq. 18),
                    U_1 = exp(-i T V (x) sigma^x_P)               (Eq. 19, the kick of Eq. 16),

with U_F the chain's two-step drive of Eq. 5 (:class:`mblkit.models.O3FloquetChain`).

Static (Eq. 68): H = H_61 (x) 1 + (h/2) 1 (x) sigma^z_P + V (x) sigma^x_P, with H_61 the chain of
Eq. 61 (:class:`mblkit.models.O3HeisenbergChain`). The Floquet set-up tends to exp(-i T H) as
Omega -> infinity (both U_F -> exp(-i T H_61) and U_1 U_0 -> exp(-i T H) with error O(T^2)).

The probe's autocorrelation [C_zz(t)] = 2^-(L+1) Tr(sigma^z_P(t) sigma^z_P) (Eqs. 21, 72) is
measured with :meth:`apply_sigma_z` and :mod:`mblkit.observables.spectral`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from mblkit.memory import require_memory
from mblkit.models._checks import check_array, check_finite
from mblkit.models.o3 import O3FloquetChain, O3HeisenbergChain
from mblkit.spins import SpinBasis, assemble
from mblkit.spins.basis import MAX_SITES
from mblkit.spins.gates import PAULI_LOCAL, apply_two_site
from mblkit.spins.operators import TermList

#: The chain site the probe couples to (V acts on it only, Eq. 16).
COUPLED_SITE = 0

_SIGMA_XX = np.kron(PAULI_LOCAL["x"], PAULI_LOCAL["x"])


def _check_probe_length(L: int) -> None:
    if not isinstance(L, int | np.integer) or isinstance(L, bool) or not 1 <= L < MAX_SITES:
        raise ValueError(f"L={L!r} is not allowed: the chain length must be an integer in "
                         f"1..{MAX_SITES - 1} (the probe is one more spin)")


def _check_optional(name: str, value: float | None) -> None:
    if value is not None:
        check_finite(name, value)


def apply_probe_sigma_z(states: np.ndarray, L: int) -> np.ndarray:
    """sigma^z_P applied to the columns of ``states`` (2^(L+1) rows), in place: the rows with
    the probe down (index < 2^L) change sign."""
    if states.ndim not in (1, 2) or states.shape[0] != 2 << L:
        raise ValueError(f"states has shape {states.shape}; a probe set-up of L = {L} needs "
                         f"{2 << L} rows")
    states[: 1 << L] *= -1
    return states


def _apply_coupling(states: np.ndarray, L: int, coupling: float) -> np.ndarray:
    """V = coupling * sigma^x_0 applied to chain states (2^L rows), returning a new array."""
    states = np.asarray(states)
    if states.shape[0] != 1 << L:
        raise ValueError(f"states has {states.shape[0]} rows; the chain of L = {L} needs "
                         f"{1 << L}")
    out = np.empty(states.shape, dtype=np.result_type(states.dtype, np.float64))
    index = np.arange(1 << L) ^ (1 << COUPLED_SITE)  # sigma^x_0 flips bit 0
    out[...] = coupling * states[index]
    return out


@dataclass(frozen=True)
class ProbeFloquetChain:
    """Probe spin coupled to the O(3) Floquet chain, Eqs. 14-19 (conventions: module docstring).

    ``h``: probe field (None: h = W, Eq. 18); ``coupling``: |V| of V = coupling sigma^x_0
    (None: = J, Eq. 16). The other parameters are those of :class:`O3FloquetChain`.
    """

    L: int
    W: float
    Omega: float
    J: float = 1.0
    h: float | None = None
    coupling: float | None = None
    boundary: str = "periodic"
    fields: str = "gaussian"

    def __post_init__(self) -> None:
        _check_probe_length(self.L)
        _check_optional("h", self.h)
        _check_optional("coupling", self.coupling)
        O3FloquetChain(self.L, self.W, self.Omega, self.J, self.boundary, self.fields)

    @property
    def chain(self) -> O3FloquetChain:
        """The disordered chain alone (Eqs. 4-5)."""
        return O3FloquetChain(self.L, self.W, self.Omega, self.J, self.boundary, self.fields)

    @property
    def probe_field(self) -> float:
        """h of Eq. 15: W unless given."""
        return float(self.W if self.h is None else self.h)

    @property
    def probe_coupling(self) -> float:
        """|V| of Eq. 16: J unless given."""
        return float(self.J if self.coupling is None else self.coupling)

    @property
    def period(self) -> float:
        return 2 * math.pi / self.Omega

    @property
    def dim(self) -> int:
        """2^(L+1), chain and probe."""
        return 2 << self.L

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        """The chain's field vectors v_n, shape (L, 3) (:meth:`O3HeisenbergChain.sample`)."""
        return self.chain.sample(rng)

    def unitary(self, v: np.ndarray) -> np.ndarray:
        """The dense 2^(L+1) x 2^(L+1) U = U_1 U_0 of Eqs. 17-19.

        U_0 is block diagonal in the probe bit: U_F e^{+i h T / 2} (probe down) and
        U_F e^{-i h T / 2} (probe up); U_1 = cos(T c) - i sin(T c) sigma^x_0 sigma^x_P
        (c = |V|) is applied as a two-site gate on sites (0, L).
        """
        v = check_array("v", v, (self.L, 3))
        n = 1 << self.L
        require_memory((n * n + 4 * n * n) * 16, f"the probe Floquet operator of L = {self.L}",
                       "use a smaller L (the probe set-up holds 4^(L+1) complex numbers)")
        chain = self.chain.unitary(v)
        T, h = self.period, self.probe_field
        states = np.zeros((2 * n, 2 * n), dtype=np.complex128)
        states[:n, :n] = chain * np.exp(0.5j * h * T)
        states[n:, n:] = chain * np.exp(-0.5j * h * T)
        del chain
        angle = T * self.probe_coupling
        kick = math.cos(angle) * np.eye(4) - 1j * math.sin(angle) * _SIGMA_XX
        return apply_two_site(states, kick, COUPLED_SITE, self.L)

    def apply_sigma_z(self, states: np.ndarray) -> np.ndarray:
        """sigma^z_P applied to the columns of ``states`` (2^(L+1) rows), in place."""
        return apply_probe_sigma_z(states, self.L)

    def apply_coupling(self, chain_states: np.ndarray) -> np.ndarray:
        """V = |V| sigma^x_0 applied to chain states (2^L rows): a new array."""
        return _apply_coupling(chain_states, self.L, self.probe_coupling)


@dataclass(frozen=True)
class ProbeStaticChain:
    """Probe spin coupled to the static O(3) Heisenberg chain, Eq. 68 (conventions: module
    docstring): H = H_61 + (h/2) sigma^z_P + |V| sigma^x_0 sigma^x_P.

    ``h``: probe field (None: h = W, as Eq. 18 for the Floquet set-up); ``coupling``: |V|
    (None: = J). The other parameters are those of :class:`O3HeisenbergChain`.
    """

    L: int
    W: float
    J: float = 1.0
    h: float | None = None
    coupling: float | None = None
    boundary: str = "periodic"
    fields: str = "gaussian"

    def __post_init__(self) -> None:
        _check_probe_length(self.L)
        _check_optional("h", self.h)
        _check_optional("coupling", self.coupling)
        O3HeisenbergChain(self.L, self.W, self.J, self.boundary, self.fields)

    @property
    def chain(self) -> O3HeisenbergChain:
        """The disordered chain alone (Eq. 61)."""
        return O3HeisenbergChain(self.L, self.W, self.J, self.boundary, self.fields)

    @property
    def probe_field(self) -> float:
        """h of Eq. 68: W unless given."""
        return float(self.W if self.h is None else self.h)

    @property
    def probe_coupling(self) -> float:
        """|V| of Eq. 68: J unless given."""
        return float(self.J if self.coupling is None else self.coupling)

    @property
    def dim(self) -> int:
        """2^(L+1), chain and probe."""
        return 2 << self.L

    def basis(self) -> SpinBasis:
        """The full space of L + 1 spins (the probe is site L)."""
        return SpinBasis(self.L + 1)

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        """The chain's field vectors v_n, shape (L, 3) (:meth:`O3HeisenbergChain.sample`)."""
        return self.chain.sample(rng)

    def terms(self, v: np.ndarray) -> TermList:
        """The term list of H on L + 1 sites (probe = site L)."""
        chain = self.chain
        return [*chain.exchange_terms(), *chain.field_terms(v),
                ("z", [(0.5 * self.probe_field, self.L)]),
                ("xx", [(self.probe_coupling, COUPLED_SITE, self.L)])]

    def hamiltonian(self, v: np.ndarray) -> sp.csr_matrix:
        """Complex Hermitian CSR matrix of H in the 2^(L+1) space."""
        return assemble(self.terms(v), self.basis())

    def apply_sigma_z(self, states: np.ndarray) -> np.ndarray:
        """sigma^z_P applied to the columns of ``states`` (2^(L+1) rows), in place."""
        return apply_probe_sigma_z(states, self.L)

    def apply_coupling(self, chain_states: np.ndarray) -> np.ndarray:
        """V = |V| sigma^x_0 applied to chain states (2^L rows): a new array."""
        return _apply_coupling(chain_states, self.L, self.probe_coupling)


ProbeModel = ProbeFloquetChain | ProbeStaticChain

__all__ = ["COUPLED_SITE", "ProbeFloquetChain", "ProbeModel", "ProbeStaticChain",
           "apply_probe_sigma_z"]
