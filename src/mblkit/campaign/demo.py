"""The demo study: mean gap ratio and mid-chain purity of the random-field XXZ chain vs W.

For each (L, W) point and each disorder realisation: the Hamiltonian in the S^z = 0 sector
(n_up = L/2, L even), full ED, then over the central ``fraction`` of eigenstates (by index) the
mean gap ratio <r> and the mean single-site purity gamma_{L/2} of
``ergodic-bubble-inclusions.txt`` Eq. 5. Point averages carry the standard error over
realisations. This is a fixed study; configurable campaigns come with ``mblkit run``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from mblkit.campaign.seeding import realisation_rng
from mblkit.models import XXZChain
from mblkit.observables import mean_gap_ratio, single_site_purity
from mblkit.solvers import eigh


@dataclass(frozen=True)
class DemoStudy:
    """Grid and sample sizes of the demo study."""

    sizes: tuple[int, ...] = (8, 10, 12)
    disorders: tuple[float, ...] = (0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 10.0)
    realisations: int = 30
    seed: int = 2026
    fraction: float = 0.5

    def __post_init__(self) -> None:
        for L in self.sizes:
            if L % 2 or not 4 <= L <= 16:
                raise ValueError(f"sizes contains L={L}: the demo needs even L in 4..16")
        if self.realisations < 2:
            raise ValueError(f"realisations={self.realisations} is not allowed: need >= 2 "
                             f"for an error bar")
        for W in self.disorders:
            if W < 0:
                raise ValueError(f"disorders contains W={W}: disorder must be >= 0")

    def points(self) -> list[tuple[int, float]]:
        """The (L, W) grid in a fixed order; its position is the point index of the seeding."""
        return [(L, W) for L in self.sizes for W in self.disorders]


@dataclass(frozen=True)
class DemoResult:
    """Point averages, arrays of shape (len(sizes), len(disorders))."""

    study: DemoStudy
    gap_ratio: np.ndarray
    gap_ratio_err: np.ndarray
    purity: np.ndarray
    purity_err: np.ndarray


def measure_realisation(model: XXZChain, h: np.ndarray, fraction: float) -> tuple[float, float]:
    """(<r>, <gamma_{L/2}>) over the central ``fraction`` of eigenstates of one realisation."""
    n_up = model.L // 2
    spectrum = eigh(model.hamiltonian(h, n_up))
    n = len(spectrum)
    lo, hi = int(n * (1 - fraction) / 2), int(np.ceil(n * (1 + fraction) / 2))
    purity = single_site_purity(spectrum.vectors[:, lo:hi], model.basis(n_up))[:, model.L // 2]
    return mean_gap_ratio(spectrum.energies, fraction), float(purity.mean())


def run_demo_study(study: DemoStudy, progress: Callable[[], None] | None = None) -> DemoResult:
    """Run every realisation of every point, serially; ``progress()`` is called after each."""
    shape = (len(study.sizes), len(study.disorders))
    samples = np.empty((*shape, study.realisations, 2))
    for p, (L, W) in enumerate(study.points()):
        model = XXZChain(L=L, W=W)
        index = np.unravel_index(p, shape)
        for i in range(study.realisations):
            h = model.sample(realisation_rng(study.seed, p, i))
            samples[(*index, i)] = measure_realisation(model, h, study.fraction)
            if progress is not None:
                progress()
    mean = samples.mean(axis=2)
    sem = samples.std(axis=2, ddof=1) / np.sqrt(study.realisations)
    return DemoResult(study, mean[..., 0], sem[..., 0], mean[..., 1], sem[..., 1])


def summary_rows(result: DemoResult) -> Sequence[tuple[int, float, float, float, float, float]]:
    """(L, W, <r>, err, <gamma>, err) per point, for tables."""
    s = result.study
    return [(L, W, result.gap_ratio[a, b], result.gap_ratio_err[a, b], result.purity[a, b],
             result.purity_err[a, b])
            for a, L in enumerate(s.sizes) for b, W in enumerate(s.disorders)]
