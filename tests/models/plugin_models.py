"""Models and an observable written by a "user", outside mblkit, against the documented protocol
(``mblkit.models.protocol``); the shared interface test and the plugin tests import them by name
(``"plugin_models:RandomIsingChain"``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from mblkit.spins import SpinBasis, assemble


@dataclass(frozen=True)
class RandomIsingChain:
    """H = sum_i J_i sigma^z_i sigma^z_{i+1} + g sum_i sigma^x_i, J_i uniform in [1 - W, 1 + W],
    open chain: no U(1) symmetry."""

    L: int
    W: float = 0.5
    g: float = 0.7
    conserves_sz: ClassVar[bool] = False

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        return rng.uniform(1 - self.W, 1 + self.W, size=self.L - 1)

    def basis(self, n_up: int | None = None) -> SpinBasis:
        if n_up is not None:
            raise ValueError("n_up is not allowed: no U(1) symmetry")
        return SpinBasis(self.L)

    def terms(self, J: np.ndarray):
        return [("zz", [(J[i], i, i + 1) for i in range(self.L - 1)]),
                ("x", [(self.g, i) for i in range(self.L)])]

    def hamiltonian(self, J: np.ndarray, n_up: int | None = None) -> sp.csr_matrix:
        return assemble(self.terms(J), self.basis(n_up))


@dataclass(frozen=True)
class KickedIsingRealisation:
    h: np.ndarray


@dataclass(frozen=True)
class KickedIsing:
    """U = exp(-i g sum_i sigma^x_i) exp(-i sum_i (J sigma^z_i sigma^z_{i+1} + h_i sigma^z_i)),
    h_i uniform in [-W, W], open chain."""

    L: int
    W: float = 1.0
    J: float = 0.8
    g: float = 0.6

    @property
    def dim(self) -> int:
        return 1 << self.L

    def sample(self, rng: np.random.Generator) -> KickedIsingRealisation:
        return KickedIsingRealisation(rng.uniform(-self.W, self.W, size=self.L))

    def unitary(self, r: KickedIsingRealisation) -> np.ndarray:
        bits = (np.arange(self.dim)[:, None] >> np.arange(self.L)) & 1
        z = 2.0 * bits - 1.0
        phase = self.J * np.sum(z[:, :-1] * z[:, 1:], axis=1) + z @ r.h
        kick = np.array([[np.cos(self.g), -1j * np.sin(self.g)],
                         [-1j * np.sin(self.g), np.cos(self.g)]])
        full = np.ones((1, 1))
        for _ in range(self.L):
            full = np.kron(full, kick)
        return full * np.exp(-1j * phase)[None, :]


def mean_energy(spec, spectrum, point, realisation) -> dict:
    """A user's observable: the mean energy and a histogram of energies on fixed bins."""
    counts, _ = np.histogram(spectrum.energies, bins=10, range=(-20.0, 20.0))
    return {"scalars": {"mean_energy": float(np.mean(spectrum.energies))},
            "histograms": {"energy": counts.astype(np.int64)}}


def wrong_arity(spectrum) -> dict:
    return {}
