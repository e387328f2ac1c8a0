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
