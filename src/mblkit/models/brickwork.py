"""Floquet brickwork circuit of ``resonant-energy-scales-floquet.txt`` App. A.

One period is

    W = [prod_{j odd} w_{j,j+1}] [prod_{j even} w_{j,j+1}],
    w_{j,j+1} = exp(i pi J SWAP_{j,j+1}) (u_j (x) v_{j+1}),

with sites j = 0..L-1 (site j is bit j of a basis index), periodic boundaries (the odd layer
holds the gate on sites (L-1, 0), so L must be even) and independent Haar-random 2 x 2 unitaries
u_j, v_j. The even layer acts first. W has no conservation law and no time-reversal symmetry;
J in [0, 1] (the paper's MBL regime is J <~ 0.07). Eigenphases: W |n> = e^{i theta_n} |n>.

Along site j's world line the even layer applies u_j then the odd layer v_j (j even), or v_j
then u_j (j odd), so at J = 0

    W = prod_j e^{i phi_j} e^{i h_j sigma_j / 2},   v_j u_j (j even), u_j v_j (j odd)
      = e^{i phi_j} e^{i h_j sigma_j / 2},

which defines the local field operator sigma_j (eigenvalues +-1) and h_j. The representative
with h_j in (0, pi] is taken: e^{i h sigma / 2} and e^{i (2 pi - h)(-sigma) / 2} differ by the
phase -1 only. :meth:`BrickworkCircuit.shift_field` adds lambda to h_j by u_j -> u_j
e^{i lambda sigma_j / 2} (j even) or v_j -> v_j e^{i lambda sigma_j / 2} (j odd), that is
W(lambda) = W e^{i lambda sigma_j / 2}: the parametric dynamics of the paper's Sec. III.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from mblkit.memory import require_memory
from mblkit.spins.basis import check_sites
from mblkit.spins.gates import apply_one_site, apply_two_site, identity_states

DENSE_ADVICE = "use a smaller L (a dense Floquet operator of L sites holds 4^L complex numbers)"

SWAP = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=complex)


def haar_unitaries(rng: np.random.Generator, count: int, dim: int = 2) -> np.ndarray:
    """``count`` independent Haar-random ``dim x dim`` unitaries, shape (count, dim, dim).

    QR of a complex Gaussian (Ginibre) matrix with the phases of R's diagonal moved into Q
    (Mezzadri, Notices AMS 54, 592 (2007)), so the measure is exactly Haar.
    """
    z = (rng.standard_normal((count, dim, dim)) + 1j * rng.standard_normal((count, dim, dim)))
    q, r = np.linalg.qr(z / np.sqrt(2.0))
    d = np.diagonal(r, axis1=1, axis2=2)
    return q * (d / np.abs(d))[:, None, :]


def su2_axis(m: np.ndarray) -> tuple[float, np.ndarray]:
    """Write a 2 x 2 unitary as e^{i phi} e^{i h sigma / 2} with h in [0, pi]; return (h, sigma).

    sigma is Hermitian with eigenvalues +-1. For h = 0 (m proportional to 1) sigma is undefined
    and a ValueError is raised.
    """
    s = m / np.sqrt(np.linalg.det(m))
    if np.trace(s).real < 0:
        s = -s  # the representative with cos(h/2) >= 0
    cos_half = min(1.0, np.trace(s).real / 2)
    a = (s - s.conj().T) / 2j  # = sin(h/2) sigma
    sin_half = float(np.sqrt(max(0.0, -np.linalg.det(a).real)))
    if sin_half < 1e-14:
        raise ValueError("the local unitary is proportional to the identity: sigma_j undefined")
    return 2.0 * float(np.arctan2(sin_half, cos_half)), a / sin_half


@dataclass(frozen=True)
class BrickworkRealisation:
    """One disorder realisation: the Haar unitaries u_j and v_j, each of shape (L, 2, 2)."""

    u: np.ndarray
    v: np.ndarray

    @property
    def L(self) -> int:
        return self.u.shape[0]


@dataclass(frozen=True)
class BrickworkCircuit:
    """Parameters of the brickwork circuit (conventions in the module docstring)."""

    L: int
    J: float

    def __post_init__(self) -> None:
        check_sites(self.L)
        if self.L % 2 or self.L < 4:
            raise ValueError(f"L={self.L} is not allowed: the periodic brickwork needs an even "
                             f"L >= 4")
        if not isinstance(self.J, int | float | np.floating | np.integer) or not 0 <= self.J <= 1:
            raise ValueError(f"J={self.J!r} is not allowed: it must lie in [0, 1]")

    @property
    def dim(self) -> int:
        return 1 << self.L

    def sample(self, rng: np.random.Generator) -> BrickworkRealisation:
        """Independent Haar-random u_j and v_j for j = 0..L-1 (u first, then v)."""
        u = haar_unitaries(rng, self.L)
        v = haar_unitaries(rng, self.L)
        return BrickworkRealisation(u, v)

    def _check(self, realisation: BrickworkRealisation) -> None:
        if realisation.u.shape != (self.L, 2, 2) or realisation.v.shape != (self.L, 2, 2):
            raise ValueError(f"the realisation has u {realisation.u.shape} and v "
                             f"{realisation.v.shape}; this circuit needs ({self.L}, 2, 2)")

    def _check_site(self, j: int) -> int:
        if not isinstance(j, int | np.integer) or not 0 <= j < self.L:
            raise ValueError(f"site j={j!r} is outside the chain: use 0..{self.L - 1}")
        return int(j)

    def gate(self, realisation: BrickworkRealisation, j: int) -> np.ndarray:
        """w_{j,j+1} = exp(i pi J SWAP) (u_j (x) v_{j+1}) as a 4 x 4 on sites (j, j+1 mod L)."""
        j = self._check_site(j)
        c, s = np.cos(np.pi * self.J), np.sin(np.pi * self.J)
        exchange = c * np.eye(4) + 1j * s * SWAP  # SWAP^2 = 1
        return exchange @ np.kron(realisation.u[j], realisation.v[(j + 1) % self.L])

    def apply(self, realisation: BrickworkRealisation, states: np.ndarray) -> np.ndarray:
        """W applied to the columns of ``states`` (complex128, C order, 2^L rows), in place."""
        self._check(realisation)
        for parity in (0, 1):  # the even layer acts first
            for j in range(parity, self.L, 2):
                apply_two_site(states, self.gate(realisation, j), j, (j + 1) % self.L)
        return states

    def unitary(self, realisation: BrickworkRealisation) -> np.ndarray:
        """The dense 2^L x 2^L Floquet operator W, built by applying the gates to columns."""
        self._check(realisation)
        require_memory(self.dim**2 * 16, f"the Floquet operator of L = {self.L}", DENSE_ADVICE)
        return self.apply(realisation, identity_states(self.L))

    def _local_unitary(self, realisation: BrickworkRealisation, j: int) -> np.ndarray:
        u, v = realisation.u[j], realisation.v[j]
        return v @ u if j % 2 == 0 else u @ v

    def field_operator(self, realisation: BrickworkRealisation, j: int) -> np.ndarray:
        """The 2 x 2 Hermitian sigma_j (eigenvalues +-1) of site j, in the (down, up) local basis
        of :mod:`mblkit.spins.gates`, with v_j u_j (j even) or u_j v_j (j odd)
        = e^{i phi} e^{i h_j sigma_j / 2}, h_j in (0, pi]."""
        j = self._check_site(j)
        self._check(realisation)
        return su2_axis(self._local_unitary(realisation, j))[1]

    def fields(self, realisation: BrickworkRealisation) -> np.ndarray:
        """The field strengths h_j in (0, pi], shape (L,)."""
        self._check(realisation)
        return np.array([su2_axis(self._local_unitary(realisation, j))[0]
                         for j in range(self.L)])

    def shift_field(self, realisation: BrickworkRealisation, j: int, lam: float
                    ) -> BrickworkRealisation:
        """The realisation with h_j -> h_j + lam, so that W(lam) = W(0) e^{i lam sigma_j / 2}."""
        j = self._check_site(j)
        sigma = self.field_operator(realisation, j)
        kick = np.cos(lam / 2) * np.eye(2) + 1j * np.sin(lam / 2) * sigma  # e^{i lam sigma / 2}
        if j % 2 == 0:
            u = realisation.u.copy()
            u[j] = u[j] @ kick
            return replace(realisation, u=u)
        v = realisation.v.copy()
        v[j] = v[j] @ kick
        return replace(realisation, v=v)

    def apply_field_operator(self, realisation: BrickworkRealisation, j: int,
                             states: np.ndarray) -> np.ndarray:
        """sigma_j applied to the columns of ``states`` (complex128, C order), in place."""
        return apply_one_site(states, self.field_operator(realisation, j), j)
