"""One realisation of one parameter point: model -> solver -> observables -> a plain record.

This is the function the executors run on workers. It is a pure function of
(config, point index, realisation index): its random numbers come from
``SeedSequence(config.seed, spawn_key=(point, realisation))``.

Each model belongs to a *task kind* that knows how to solve and measure it:
:mod:`~mblkit.campaign.ed_tasks` (Hamiltonians: full or interior ED),
:mod:`~mblkit.campaign.floquet_tasks` (Floquet operators: full unitary ED) and
:mod:`~mblkit.campaign.scheme_tasks` (the avalanche scheme, no ED).

Records are plain dictionaries ``{"scalars": {...}, "arrays": {...}, "histograms": {...},
"seed": {...}}``; histograms are int64 counts on bins fixed by the config, so they merge by
addition in any order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from mblkit.campaign.config import CampaignConfig, ConfigError, ObservableSpec
from mblkit.campaign.seeding import realisation_rng
from mblkit.memory import available_memory


@dataclass(frozen=True)
class Point:
    """A validated parameter point: the model and, for U(1) models, the sector solved."""

    model: Any
    n_up: int | None = None


@dataclass(frozen=True)
class TaskKind:
    """How the models of one kind are prepared, checked, sized and run.

    prepare(config, model, index) -> Point; check(config, point, index) raises ConfigError;
    memory(config, point) -> peak bytes of one realisation; run(config, point, rng) -> record
    without its seed.
    """

    name: str
    models: Mapping[str, type]
    observables: Mapping[str, Callable]
    needs_observables: bool
    prepare: Callable[[CampaignConfig, Any, int], Point]
    check: Callable[[CampaignConfig, Point, int], None]
    memory: Callable[[CampaignConfig, Point], int]
    run: Callable[[CampaignConfig, Point, np.random.Generator], dict]


def _kinds() -> list[TaskKind]:
    from mblkit.campaign.ed_tasks import KIND as ED
    from mblkit.campaign.floquet_tasks import KIND as FLOQUET
    from mblkit.campaign.probe_tasks import KIND as PROBE
    from mblkit.campaign.scheme_tasks import KIND as SCHEME

    return [ED, FLOQUET, SCHEME, PROBE]


def models() -> dict[str, TaskKind]:
    """Every model name a config may use, with its task kind."""
    return {name: kind for kind in _kinds() for name in kind.models}


def kind_of(config: CampaignConfig) -> TaskKind:
    registry = models()
    name = config.model.name
    if name not in registry:
        raise ConfigError(f"model.name = {name!r} is not allowed: use one of {sorted(registry)}")
    return registry[name]


def build_point(config: CampaignConfig, params: dict[str, Any], index: int) -> Point:
    """Construct and check the model of one point; errors name the point and the key."""
    kind = kind_of(config)
    try:
        model = kind.models[config.model.name](**params)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"point {index} {params}: {err}") from err
    return kind.prepare(config, model, index)


def sites_of(spec: ObservableSpec, L: int) -> list[int]:
    """The sites an observable measures: "all", "middle" (L // 2) or an explicit list."""
    if spec.sites == "all":
        return list(range(L))
    if spec.sites == "middle":
        return [L // 2]
    return list(spec.sites)


def point_memory(config: CampaignConfig, point: Point) -> int:
    """Estimated peak bytes of one realisation of ``point``."""
    return kind_of(config).memory(config, point)


def validate(config: CampaignConfig) -> list[Point]:
    """Build every point and check observables, solver and memory, before any work starts."""
    kind = kind_of(config)
    points = [build_point(config, params, p) for p, params in enumerate(config.points())]
    if kind.needs_observables and not config.observables:
        raise ConfigError(f"observables is empty: model {config.model.name!r} needs at least "
                          f"one of {sorted(kind.observables)}")
    for spec in config.observables:
        if spec.name not in kind.observables:
            raise ConfigError(f"observables.name = {spec.name!r} is not allowed for model "
                              f"{config.model.name!r}: use one of {sorted(kind.observables)}")
        if isinstance(spec.sites, list):
            for point in points:
                bad = [s for s in spec.sites if not 0 <= s < point.model.L]
                if bad:
                    raise ConfigError(f"observables {spec.name}: sites {bad} are outside the "
                                      f"chain 0..{point.model.L - 1}")
    free = available_memory()
    for p, point in enumerate(points):
        kind.check(config, point, p)
        need = kind.memory(config, point)
        if need > free:
            raise ConfigError(f"point {p} (L = {point.model.L}) needs about "
                              f"{need / 2**30:.1f} GiB per realisation but "
                              f"{free / 2**30:.1f} GiB are available: use smaller L"
                              + (" or solver.method = 'interior'"
                                 if kind.name == "hamiltonian" else ""))
    return points


def run_realisation(config: CampaignConfig, point_index: int, realisation_index: int) -> dict:
    """Sample, build, solve and measure one realisation; returns its record."""
    point = build_point(config, config.points()[point_index], point_index)
    rng = realisation_rng(config.seed, point_index, realisation_index)
    record = kind_of(config).run(config, point, rng)
    for key in ("scalars", "arrays", "histograms"):
        record.setdefault(key, {})
    record["seed"] = {"entropy": config.seed, "spawn_key": [point_index, realisation_index]}
    return record
