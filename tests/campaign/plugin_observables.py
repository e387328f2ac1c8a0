"""A user's observables and a broken model, outside mblkit, named in configs of the campaign
tests as "plugin_observables:<name>" (pytest puts this folder on sys.path; workers inherit it, and
a Dask test passes it on through PYTHONPATH)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def level_count(spec, spectrum, point, realisation) -> dict:
    """The number of levels, the lowest one, and a histogram of the energies on fixed bins
    [lo, hi] taken from spec.options."""
    lo, hi = spec.options.get("range", [-10.0, 10.0])
    counts, _ = np.histogram(spectrum.energies, bins=int(spec.options.get("bins", 8)),
                             range=(lo, hi))
    return {"scalars": {"levels": float(len(spectrum.energies))},
            "arrays": {"lowest": np.array([spectrum.energies[0]])},
            "histograms": {"energy": counts.astype(np.int64)}}


def float_histogram(spec, spectrum, point, realisation) -> dict:
    return {"histograms": {"energy": np.ones(3)}}


def overwrites_disorder(spec, spectrum, point, realisation) -> dict:
    return {"arrays": {"disorder.coeff_2": np.zeros(3)}}  # the field drawn by term 2


def wrong_arity(spec, spectrum) -> dict:
    return {}


@dataclass(frozen=True)
class NoHamiltonian:
    L: int

    def sample(self, rng):
        return rng.random(self.L)


@dataclass(frozen=True)
class KickedChain:
    """A Floquet plugin: U = K^(x L) diag(exp(-i sum_j h_j z_j)), h_j uniform in [-W, W],
    K = exp(-i g sigma^x) on every site."""

    L: int
    W: float = 1.0
    g: float = 0.4

    @property
    def dim(self) -> int:
        return 1 << self.L

    def sample(self, rng) -> dict:
        return {"h": rng.uniform(-self.W, self.W, size=self.L)}

    def unitary(self, r: dict) -> np.ndarray:
        z = 2.0 * ((np.arange(self.dim)[:, None] >> np.arange(self.L)) & 1) - 1.0
        kick = np.array([[np.cos(self.g), -1j * np.sin(self.g)],
                         [-1j * np.sin(self.g), np.cos(self.g)]])
        full = np.ones((1, 1))
        for _ in range(self.L):
            full = np.kron(full, kick)
        return full * np.exp(-1j * (z @ r["h"]))[None, :]


def quasienergy_count(spec, spectrum, point, realisation) -> dict:
    return {"scalars": {"quasienergies": float(len(spectrum.quasienergies)),
                        "h_sum": float(np.sum(realisation["h"]))}}
