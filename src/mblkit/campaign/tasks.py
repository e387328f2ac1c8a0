"""One realisation of one parameter point: model -> solver -> observables -> a plain record.

This is the function the executors run on workers. It is a pure function of
(config, point index, realisation index): its random numbers come from
``SeedSequence(config.seed, spawn_key=(point_key(params), realisation))``, keyed by the point's
parameters, not its index (:mod:`mblkit.campaign.seeding`).

Each model belongs to a *task kind* that knows how to solve and measure it; the kinds register
themselves in :mod:`mblkit.campaign.registry` (built-in: :mod:`~mblkit.campaign.ed_tasks`,
Hamiltonians, full or interior ED; :mod:`~mblkit.campaign.floquet_tasks`, Floquet operators;
:mod:`~mblkit.campaign.scheme_tasks`, the avalanche scheme; :mod:`~mblkit.campaign.probe_tasks`),
and plugin model classes join the kind of their protocol.

Records are plain dictionaries ``{"scalars": {...}, "arrays": {...}, "histograms": {...},
"seed": {...}}``; histograms are int64 counts on bins fixed by the config, so they merge by
addition in any order.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

import numpy as np

from mblkit.campaign.config import CampaignConfig, ConfigError, identity_hash
from mblkit.campaign.plugins import observable_function
from mblkit.campaign.registry import (
    Point,
    TaskKind,
    is_plugin_name,
    kind_for,
    models,
    sites_of,
)
from mblkit.campaign.seeding import point_key, realisation_rng
from mblkit.memory import available_memory
from mblkit.models.protocol import construct
from mblkit.models.spin_chain import SpinChain

__all__ = [
    "Point",
    "TaskKind",
    "build_point",
    "campaign_identity",
    "grid_identity",
    "kind_of",
    "models",
    "point_rng",
    "run_realisation",
    "sites_of",
    "validate",
]


def kind_of(config: CampaignConfig) -> TaskKind:
    """The task kind of the config: the one of its ``solver.method`` where a kind is chosen by
    method ("dynamics"), else that of its model (built-in name or plugin)."""
    return kind_for(config.model.name, config.solver.method)[0]


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
    kind, cls = kind_for(config.model.name, config.solver.method)
    params = normalise_params(cls, params, index)
    builtin = not is_plugin_name(config.model.name) and not hasattr(cls, "from_params")
    from mblkit.campaign.suggest import unknown_parameters_message

    unknown = unknown_parameters_message(config.model.name, cls, params)
    if unknown is not None:
        raise ConfigError(unknown)
    try:
        model = cls(**params) if builtin else construct(cls, params)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"point {index} {params}: {err}") from err
    return kind.prepare(config, model, index)


def resolved_params(point: Point) -> dict[str, Any]:
    """Every parameter of the point's model, defaults included, as the model holds them (a
    :class:`~mblkit.models.SpinChain` as its config keys: L, boundary, terms and the named
    numbers). Their canonical JSON keys the point's random numbers (:mod:`.seeding`)."""
    model = point.model
    if isinstance(model, SpinChain):
        return {"L": model.L, "boundary": model.boundary, "terms": [dict(t) for t in model.terms],
                **dict(model.parameters)}
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
    payload = _shared_payload(config)
    payload["solver"]["n_up"] = [point.n_up for point in points]
    payload["model"]["points"] = params
    try:
        return identity_hash(payload), params
    except (TypeError, ValueError) as err:
        raise ConfigError(f"model parameters must be numbers, strings or booleans: {err}"
                          ) from err


def _shared_payload(config: CampaignConfig) -> dict[str, Any]:
    # [dynamics] enters only where given, so the identities of the other stores stay as they were
    payload = config.model_dump(mode="json", exclude={"output", "realisations", "model",
                                                      "solver", "dynamics"})
    if config.solver.method == "dynamics":
        payload["dynamics"] = config.evolution.model_dump(mode="json")
    payload["solver"] = config.solver.model_dump(mode="json", exclude={"sector"})
    payload["model"] = {"name": config.model.name}
    return payload


def grid_identity(config: CampaignConfig) -> str:
    """The hash of what every point shares (seed, model name, solver, observables), without
    the points: two configs with equal grid identities differ only in their grid, so a store
    of one grows into the other (every point present in both keeps its results)."""
    return identity_hash(_shared_payload(config))


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
    if config.solver.store_energies and kind.levels is None:
        raise ConfigError(f"solver.store_energies = true is not allowed for model "
                          f"{config.model.name!r} (task kind {kind.name!r}): it solves no "
                          f"spectrum to store")
    for spec in config.observables:
        plugin = spec.name not in kind.observables
        if plugin and not kind.plugin_observables:
            raise ConfigError(f"observables.name = {spec.name!r} is not allowed for model "
                              f"{config.model.name!r}: use one of {sorted(kind.observables)}")
        if plugin:
            observable_function(spec, kind.observables, config.model.name)
        elif "options" in spec.model_fields_set:
            raise ConfigError(f"observables {spec.name}: options apply to plugin observables "
                              f"('package.module:function') only; {spec.name!r} is built in")
        allowed = None if plugin else kind.options.get(spec.name)
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


def stored_energy_bytes(config: CampaignConfig, points: list[Point]) -> int:
    """Bytes the stored energies take in the finished store (``solver.store_energies``; 0
    when off): float64 per level, per realisation, per point."""
    kind = kind_of(config)
    if not config.solver.store_energies or kind.levels is None:
        return 0
    return sum(8 * kind.levels(config, point) for point in points) * config.realisations


def storage_note(config: CampaignConfig, points: list[Point]) -> str | None:
    """What ``solver.store_energies`` will add to the store, in words (None when off)."""
    size = stored_energy_bytes(config, points)
    if not config.solver.store_energies:
        return None
    kind = kind_of(config)
    assert kind.levels is not None
    most = max(kind.levels(config, point) for point in points)
    return (f"solver.store_energies = true: up to {most} energies per realisation, about "
            f"{size / 2**20:.1f} MiB in the store for {config.realisations} realisations of "
            f"{len(points)} point(s)")


def _point_params(config: CampaignConfig, index: int) -> dict[str, Any]:
    """The parameters of point ``index`` without building the whole list."""
    keys = list(config.model.grid)
    sizes = [len(config.model.grid[k]) for k in keys]
    values = {}
    for key, size in zip(reversed(keys), reversed(sizes), strict=True):
        index, k = divmod(index, size)
        values[key] = config.model.grid[key][k]
    return {**config.model.params, **{k: values[k] for k in keys}}


def point_rng(config: CampaignConfig, point: Point, realisation_index: int
              ) -> tuple[np.random.Generator, list[int]]:
    """The generator of one realisation of ``point`` and its spawn key (:mod:`.seeding`)."""
    key = point_key(resolved_params(point))
    return realisation_rng(config.seed, key, realisation_index), [key, realisation_index]


def run_realisation(config: CampaignConfig, point_index: int, realisation_index: int) -> dict:
    """Sample, build, solve and measure one realisation; returns its record."""
    point = build_point(config, _point_params(config, point_index), point_index)
    rng, spawn_key = point_rng(config, point, realisation_index)
    record = kind_of(config).run(config, point, rng)
    for key in ("scalars", "arrays", "histograms"):
        record.setdefault(key, {})
    record["seed"] = {"entropy": config.seed, "spawn_key": spawn_key}
    return record
