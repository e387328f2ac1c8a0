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

import dataclasses
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mblkit.campaign.config import CampaignConfig, ConfigError, ObservableSpec, identity_hash
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
    without its seed. ``options``: observable name -> the options of ``[[observables]]`` it
    uses (an option given for an observable that does not use it is refused);
    ``n_levels(config, point)`` -> the number of eigenvalues solved (None: no spectrum).
    """

    name: str
    models: Mapping[str, type]
    observables: Mapping[str, Callable]
    needs_observables: bool
    prepare: Callable[[CampaignConfig, Any, int], Point]
    check: Callable[[CampaignConfig, Point, int], None]
    memory: Callable[[CampaignConfig, Point], int]
    run: Callable[[CampaignConfig, Point, np.random.Generator], dict]
    options: Mapping[str, frozenset[str]] = field(default_factory=dict)


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


def _hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls)
    except Exception:  # a plugin's annotations that do not resolve: no normalisation
        return {}


def normalise_params(cls: type, params: dict[str, Any], index: int) -> dict[str, Any]:
    """The parameters as the model's dataclass types them: a boolean where a number is expected
    is refused; an integer where a float is expected becomes that float (W = 1 and W = 1.0 are
    one model)."""
    hints = _hints(cls)
    out = dict(params)
    for key, value in params.items():
        hint = hints.get(key)
        if hint is None:
            continue
        allowed = set(typing.get_args(hint)) or {hint}
        if isinstance(value, bool) and bool not in allowed:
            raise ConfigError(f"point {index}: model parameter {key} = {value!r} is not "
                              f"allowed: a number is expected, not a boolean")
        if (isinstance(value, int) and not isinstance(value, bool) and float in allowed
                and int not in allowed):
            out[key] = float(value)
    return out


def build_point(config: CampaignConfig, params: dict[str, Any], index: int) -> Point:
    """Construct and check the model of one point; errors name the point and the key."""
    kind = kind_of(config)
    cls = kind.models[config.model.name]
    params = normalise_params(cls, params, index)
    try:
        model = cls(**params)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"point {index} {params}: {err}") from err
    return kind.prepare(config, model, index)


def resolved_params(point: Point) -> dict[str, Any]:
    """Every parameter of the point's model, defaults included, as the model holds them."""
    if not dataclasses.is_dataclass(point.model):
        return {}
    return {f.name: getattr(point.model, f.name) for f in dataclasses.fields(point.model)
            if f.init}


def campaign_identity(config: CampaignConfig, points: list[Point]) -> tuple[str, list[dict]]:
    """The config hash and the points' resolved parameters.

    The hash covers what determines each realisation's result, normalised so that physically
    identical configs are equal: every point's parameters with the model's defaults filled in
    and numbers typed as the model types them (``W = 1`` is ``W = 1.0``), the solved sector per
    point (``sector`` left out is ``"half"`` for a U(1) model), the solver and the observables
    with their defaults. Left out: ``output`` (where results go) and ``realisations`` (realisation
    i of point p is the same whatever the total, so a campaign grows by raising it).
    """
    params = [resolved_params(point) for point in points]
    payload = config.model_dump(mode="json", exclude={"output", "realisations", "model",
                                                      "solver"})
    solver = config.solver.model_dump(mode="json", exclude={"sector"})
    payload["solver"] = {**solver, "n_up": [point.n_up for point in points]}
    payload["model"] = {"name": config.model.name, "points": params}
    try:
        return identity_hash(payload), params
    except (TypeError, ValueError) as err:
        raise ConfigError(f"model parameters must be numbers, strings or booleans: {err}"
                          ) from err


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


def histogram_memory(config: CampaignConfig, point: Point) -> int:
    """Bytes the histograms of one realisation take while being filled: counts (int64), edges
    and np.histogram's work arrays, about three arrays of the number of bins, per row."""
    total = 0
    for spec in config.observables:
        rows = len(sites_of(spec, point.model.L)) if spec.name == "magnetisation" else 1
        if spec.name in ("gap_ratio", "purity", "magnetisation"):
            total += 3 * 8 * (spec.bins + 1) * rows
        total += sum(3 * 8 * (int(n) + 1) for _, _, n in spec.log_bins.values())
    return total


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
        allowed = kind.options.get(spec.name)
        unused = sorted(spec.model_fields_set - {"name"} - set(allowed or ()))
        if allowed is not None and unused:
            raise ConfigError(f"observables {spec.name}: {', '.join(unused)} do(es) not apply "
                              f"to {spec.name!r} of model {config.model.name!r}: its options "
                              f"are {sorted(allowed) or 'none'}")
        if isinstance(spec.sites, list):
            for point in points:
                bad = [s for s in spec.sites if not 0 <= s < point.model.L]
                if bad:
                    raise ConfigError(f"observables {spec.name}: sites {bad} are outside the "
                                      f"chain 0..{point.model.L - 1}")
    free = available_memory()
    for p, point in enumerate(points):
        kind.check(config, point, p)
        need = kind.memory(config, point) + histogram_memory(config, point)
        if need > free:
            raise ConfigError(f"point {p} (L = {point.model.L}) needs about "
                              f"{need / 2**30:.1f} GiB per realisation but "
                              f"{free / 2**30:.1f} GiB are available: use smaller L"
                              + (" or solver.method = 'interior'"
                                 if kind.name == "hamiltonian" else "")
                              + (" or fewer histogram bins" if histogram_memory(config, point)
                                 > need / 2 else ""))
    return points


def _point_params(config: CampaignConfig, index: int) -> dict[str, Any]:
    """The parameters of point ``index`` without building the whole list."""
    keys = list(config.model.grid)
    sizes = [len(config.model.grid[k]) for k in keys]
    values = {}
    for key, size in zip(reversed(keys), reversed(sizes), strict=True):
        index, k = divmod(index, size)
        values[key] = config.model.grid[key][k]
    return {**config.model.params, **{k: values[k] for k in keys}}


def run_realisation(config: CampaignConfig, point_index: int, realisation_index: int) -> dict:
    """Sample, build, solve and measure one realisation; returns its record."""
    point = build_point(config, _point_params(config, point_index), point_index)
    rng = realisation_rng(config.seed, point_index, realisation_index)
    record = kind_of(config).run(config, point, rng)
    for key in ("scalars", "arrays", "histograms"):
        record.setdefault(key, {})
    record["seed"] = {"entropy": config.seed, "spawn_key": [point_index, realisation_index]}
    return record
