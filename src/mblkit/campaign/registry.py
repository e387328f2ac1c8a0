"""The open registry of task kinds: how the models of one kind are prepared, checked, sized and
run, and which model names a config may use.

A task kind is a :class:`TaskKind` that its module registers with :func:`register` when it is
imported. The built-in kinds (:data:`BUILTIN_KINDS`) are imported by name the first time a
model is looked up; a package adds its own kind with an entry point in the group
:data:`KIND_GROUP` (``mblkit.task_kinds``) whose object is the module (or the TaskKind) to
load. Nothing here imports a kind module at import time, and a kind module imports this one, not
:mod:`mblkit.campaign.tasks`.

Model names: a name a kind lists in ``models`` (``"xxz"``, ``"spin-chain"``, ...); or a plugin
class, ``"package.module:Name"`` or an entry point of the group ``mblkit.models``
(:func:`mblkit.models.protocol.resolve_model`), which joins the kind whose ``protocol`` matches
the class (``"hamiltonian"`` or ``"floquet"``). Importing a module named in a config runs its
code; on a process pool or a Dask cluster every worker imports it again, so it must be importable
there (installed, or on the workers' ``PYTHONPATH``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any

import numpy as np

from mblkit.campaign.config import CampaignConfig, ConfigError, ObservableSpec
from mblkit.models.protocol import PluginError, resolve_model

#: Modules of the built-in kinds, imported (and so registered) on first use.
BUILTIN_KINDS = ("mblkit.campaign.ed_tasks", "mblkit.campaign.floquet_tasks",
                 "mblkit.campaign.scheme_tasks", "mblkit.campaign.probe_tasks",
                 "mblkit.campaign.dynamics_tasks")
#: Entry-point group of task kinds added by other packages.
KIND_GROUP = "mblkit.task_kinds"


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
    uses (an option given for an observable that does not use it is refused). ``protocol``:
    plugin model classes of this protocol (``"hamiltonian"``, ``"floquet"``) run as this kind;
    ``plugin_observables``: whether ``observables.name = "package.module:function"`` is allowed;
    ``levels(config, point)``: the number of energies one realisation solves (what
    ``solver.store_energies`` keeps; None: the kind solves no spectrum).

    ``method``: a kind chosen by ``solver.method`` rather than by model name (the
    ``"dynamics"`` kind runs the models of other kinds); it runs a config whose method is
    ``method`` and whose model class ``accepts(cls)`` admits (:func:`kind_for`).
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
    protocol: str | None = None
    plugin_observables: bool = False
    levels: Callable[[CampaignConfig, Point], int] | None = None
    method: str | None = None
    accepts: Callable[[type], bool] | None = None


_KINDS: dict[str, TaskKind] = {}


def register(kind: TaskKind) -> TaskKind:
    """Add a task kind (called by its module at import); a model name may belong to one kind
    only, and a protocol to one kind only."""
    for other in _KINDS.values():
        if other.name == kind.name:
            continue
        twice = sorted(set(other.models) & set(kind.models))
        if twice:
            raise ValueError(f"task kind {kind.name!r}: models {twice} are already registered "
                             f"by kind {other.name!r}")
        if kind.protocol is not None and other.protocol == kind.protocol:
            raise ValueError(f"task kind {kind.name!r}: protocol {kind.protocol!r} is already "
                             f"run by kind {other.name!r}")
        if kind.method is not None and other.method == kind.method:
            raise ValueError(f"task kind {kind.name!r}: solver.method {kind.method!r} is "
                             f"already run by kind {other.name!r}")
    _KINDS[kind.name] = kind
    return kind


@lru_cache(maxsize=1)
def _load() -> None:
    for module in BUILTIN_KINDS:
        importlib.import_module(module)
    for ep in entry_points(group=KIND_GROUP):
        obj = ep.load()
        if isinstance(obj, TaskKind):
            register(obj)


def kinds() -> list[TaskKind]:
    """Every registered task kind (the built-in ones and those of entry points)."""
    _load()
    return list(_KINDS.values())


def models() -> dict[str, TaskKind]:
    """Every model name a config may use without a plugin, with its task kind."""
    return {name: kind for kind in kinds() for name in kind.models}


def is_plugin_name(name: str) -> bool:
    """A name that is not a built-in model: ``package.module:Name`` or an entry point."""
    return name not in models()


@lru_cache(maxsize=64)
def model_class(name: str) -> tuple[TaskKind, type]:
    """The task kind and the class of model ``name``; ConfigError naming what is allowed."""
    registry = models()
    if name in registry:
        return registry[name], registry[name].models[name]
    protocols = {k.protocol: k for k in kinds() if k.protocol is not None}
    try:
        resolved = resolve_model(name)
    except PluginError as err:
        raise ConfigError(f"{err}. Built-in models: {sorted(registry)}") from err
    if resolved.kind not in protocols:
        raise ConfigError(f"model.name = {name!r} is a {resolved.kind} model, which no task "
                          f"kind runs (kinds: {sorted(protocols)})")
    return protocols[resolved.kind], resolved.cls


def kind_for(name: str, method: str) -> tuple[TaskKind, type]:
    """The task kind and model class of a config with model ``name`` and ``solver.method``:
    the kind registered for the method where there is one (it must accept the class), else the
    model's own kind (:func:`model_class`)."""
    kind, cls = model_class(name)
    chosen = next((k for k in kinds() if k.method is not None and k.method == method), None)
    if chosen is None:
        return kind, cls
    if chosen.accepts is None or not chosen.accepts(cls):
        raise ConfigError(f"solver.method = {method!r} is not allowed for model {name!r} "
                          f"(task kind {kind.name!r}): kind {chosen.name!r} runs "
                          f"{_accepted(chosen)}")
    return chosen, cls


def _accepted(kind: TaskKind) -> str:
    names = sorted(n for n, k in models().items() if kind.accepts is not None
                   and kind.accepts(k.models[n]))
    return f"the models {names} and Hamiltonian plugin classes" if names else "no model"


def sites_of(spec: ObservableSpec, L: int) -> list[int]:
    """The sites an observable measures: "all", "middle" (L // 2) or an explicit list."""
    if spec.sites == "all":
        return list(range(L))
    if spec.sites == "middle":
        return [L // 2]
    return list(spec.sites)
