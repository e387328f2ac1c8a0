"""One realisation of one parameter point: model -> solver -> observables -> a plain record.

This is the function the executors run on workers. It is a pure function of
(config, point index, realisation index): its random numbers come from
``SeedSequence(config.seed, spawn_key=(point, realisation))``.

Records are plain dictionaries ``{"scalars": {...}, "arrays": {...}, "histograms": {...},
"seed": {...}}``; histograms are int64 counts on bins fixed by the config, so they merge by
addition in any order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mblkit.campaign.config import CampaignConfig, ConfigError, ObservableSpec
from mblkit.campaign.seeding import realisation_rng
from mblkit.memory import available_memory
from mblkit.models import O3HeisenbergChain, XXZChain
from mblkit.observables import (
    gap_ratio,
    half_chain_entropy,
    mean_gap_ratio,
    single_site_purity,
)
from mblkit.solvers import Spectrum, dense_memory, eigh, eigh_interior
from mblkit.spins import SpinBasis

MODELS: dict[str, type] = {"xxz": XXZChain, "o3": O3HeisenbergChain}


@dataclass(frozen=True)
class Point:
    """A validated parameter point: the model, the basis it is solved in, the solver."""

    model: Any
    n_up: int | None

    @property
    def basis(self) -> SpinBasis:
        return SpinBasis(self.model.L, self.n_up)


def build_point(config: CampaignConfig, params: dict[str, Any], index: int) -> Point:
    """Construct and check the model of one point; errors name the point and the key."""
    name = config.model.name
    if name not in MODELS:
        raise ConfigError(f"model.name = {name!r} is not allowed: use one of {sorted(MODELS)}")
    try:
        model = MODELS[name](**params)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"point {index} {params}: {err}") from err
    sector = config.solver.sector
    if sector == "full":
        n_up = None
    elif name == "o3":
        raise ConfigError(f"solver.sector = {sector!r} is not allowed for model 'o3' (no U(1) "
                          f"symmetry): use 'full'")
    elif sector == "half":
        n_up = model.L // 2
    elif not 0 <= sector <= model.L:
        raise ConfigError(f"solver.sector = {sector} is not allowed at point {index} (L = "
                          f"{model.L}): n_up must lie in 0..L")
    else:
        n_up = int(sector)
    return Point(model, n_up)


def validate(config: CampaignConfig) -> list[Point]:
    """Build every point and check observables and memory, before any work starts."""
    points = [build_point(config, params, p) for p, params in enumerate(config.points())]
    for spec in config.observables:
        if spec.name not in OBSERVABLES:
            raise ConfigError(f"observables.name = {spec.name!r} is not allowed: use one of "
                              f"{sorted(OBSERVABLES)}")
        if isinstance(spec.sites, list):
            for point in points:
                bad = [s for s in spec.sites if not 0 <= s < point.model.L]
                if bad:
                    raise ConfigError(f"observables {spec.name}: sites {bad} are outside the "
                                      f"chain 0..{point.model.L - 1}")
    if config.solver.method == "full":
        free = available_memory()
        for p, point in enumerate(points):
            dtype = np.complex128 if isinstance(point.model, O3HeisenbergChain) else np.float64
            need = dense_memory(point.basis.dim, np.dtype(dtype))
            if need > free:
                raise ConfigError(f"point {p} (L = {point.model.L}, dimension "
                                  f"{point.basis.dim}) needs about {need / 2**30:.1f} GiB for "
                                  f"full ED but {free / 2**30:.1f} GiB are available: use "
                                  f"solver.method = 'interior' or smaller L")
    elif config.solver.method == "interior":
        for p, point in enumerate(points):
            if config.solver.k > point.basis.dim - 2:
                raise ConfigError(f"solver.k = {config.solver.k} is too large at point {p} "
                                  f"(dimension {point.basis.dim}): at most dim - 2")
    return points


def _central(n: int, fraction: float) -> slice:
    return slice(int(n * (1 - fraction) / 2), int(np.ceil(n * (1 + fraction) / 2)))


def _sites(spec: ObservableSpec, L: int) -> list[int]:
    if spec.sites == "all":
        return list(range(L))
    if spec.sites == "middle":
        return [L // 2]
    return list(spec.sites)


def obs_gap_ratio(spec: ObservableSpec, spectrum: Spectrum, point: Point) -> dict:
    """Mean gap ratio over the central fraction, and a histogram of r on [0, 1]."""
    window = spectrum.energies[_central(len(spectrum), spec.fraction)]
    counts, _ = np.histogram(gap_ratio(window), bins=spec.bins, range=(0.0, 1.0))
    return {"scalars": {"gap_ratio": mean_gap_ratio(spectrum.energies, spec.fraction)},
            "histograms": {"gap_ratio": counts.astype(np.int64)}}


def obs_purity(spec: ObservableSpec, spectrum: Spectrum, point: Point) -> dict:
    """Single-site purity averaged over the central fraction of eigenstates, per site."""
    vectors = spectrum.vectors[:, _central(len(spectrum), spec.fraction)]
    gamma = single_site_purity(vectors, point.basis)[:, _sites(spec, point.model.L)]
    counts, _ = np.histogram(gamma, bins=spec.bins, range=(0.5, 1.0))
    return {"scalars": {"purity": float(gamma.mean())},
            "arrays": {"purity_sites": gamma.mean(axis=0)},
            "histograms": {"purity": counts.astype(np.int64)}}


def obs_entanglement(spec: ObservableSpec, spectrum: Spectrum, point: Point) -> dict:
    """Half-chain von Neumann entropy averaged over the central fraction of eigenstates."""
    vectors = spectrum.vectors[:, _central(len(spectrum), spec.fraction)]
    return {"scalars": {"half_chain_entropy": float(half_chain_entropy(vectors,
                                                                       point.basis).mean())}}


OBSERVABLES: dict[str, Callable[[ObservableSpec, Spectrum, Point], dict]] = {
    "gap_ratio": obs_gap_ratio, "purity": obs_purity, "entanglement": obs_entanglement,
}


def run_realisation(config: CampaignConfig, point_index: int, realisation_index: int) -> dict:
    """Sample, build, solve and measure one realisation; returns its record."""
    point = build_point(config, config.points()[point_index], point_index)
    rng = realisation_rng(config.seed, point_index, realisation_index)
    disorder = point.model.sample(rng)
    H = (point.model.hamiltonian(disorder, point.n_up) if point.n_up is not None
         else point.model.hamiltonian(disorder))
    if config.solver.method == "full":
        spectrum = eigh(H)
    else:
        spectrum = eigh_interior(H, k=config.solver.k, target=config.solver.target)
    record: dict = {"scalars": {}, "arrays": {"disorder": np.asarray(disorder)},
                    "histograms": {},
                    "seed": {"entropy": config.seed, "spawn_key": [point_index,
                                                                   realisation_index]}}
    for spec in config.observables:
        for kind, values in OBSERVABLES[spec.name](spec, spectrum, point).items():
            record[kind].update(values)
    record["scalars"]["max_residual"] = spectrum.max_residual
    return record
