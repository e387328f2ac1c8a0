"""Observables and realisations of any model in a record: plugin observables, the one observable
signature, and the stored disorder.

Every observable, built-in or a plugin, is called as ``f(spec, spectrum, point, realisation)``
and returns a record fragment ``{"scalars": ..., "arrays": ..., "histograms": ...}``
(:mod:`mblkit.models.protocol`). A plugin observable is named ``"package.module:function"`` (or
by an entry point of the group ``mblkit.observables``); its options are the table
``[observables.options]``, in ``spec.options``. Its fragment is checked by
:func:`~mblkit.models.protocol.check_fragment`, and no name may be given twice in one record
(a plugin cannot overwrite a built-in result or the stored disorder).

The disorder of a protocol model (``"spin-chain"``, plugins) is stored per realisation as the
arrays ``disorder.<name>`` of :func:`~mblkit.models.protocol.realisation_arrays` (an ndarray
realisation is the one array ``disorder``), so it cannot collide with an observable's arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import numpy as np

from mblkit.campaign.config import ConfigError, ObservableSpec
from mblkit.models.protocol import (
    PluginError,
    check_fragment,
    realisation_arrays,
    resolve_observable,
)

#: Prefix of the stored disorder arrays of protocol models.
DISORDER_PREFIX = "disorder."


@lru_cache(maxsize=64)
def plugin_observable(name: str) -> Callable[..., Mapping[str, Any]]:
    """The plugin observable ``name``, checked to take (spec, spectrum, point, realisation)."""
    return resolve_observable(name)


def observable_function(spec: ObservableSpec, builtins: Mapping[str, Callable],
                        model_name: str) -> Callable[..., Mapping[str, Any]]:
    """The built-in observable of that name, else the plugin; ConfigError naming both."""
    if spec.name in builtins:
        return builtins[spec.name]
    try:
        return plugin_observable(spec.name)
    except PluginError as err:
        raise ConfigError(f"observables.name = {spec.name!r} is not allowed for model "
                          f"{model_name!r}: use one of {sorted(builtins)} or a plugin "
                          f"'package.module:function' ({err})") from err


def measure(record: dict, spec: ObservableSpec, fn: Callable[..., Mapping[str, Any]],
            spectrum: Any, point: Any, realisation: Any, plugin: bool) -> None:
    """Add what ``fn`` returns to ``record``; a plugin's fragment is checked, and a name
    already in the record is refused."""
    fragment = fn(spec, spectrum, point, realisation)
    if plugin:
        fragment = check_fragment(fragment, spec.name)
    for kind, values in fragment.items():
        target = record.setdefault(kind, {})
        twice = sorted(set(target) & set(values))
        if twice:
            raise PluginError(f"observable {spec.name!r} returned {kind} {twice}, which the "
                              f"record already holds (from the disorder or another observable)"
                              f": rename them")
        target.update(values)


def disorder_arrays(realisation: Any) -> dict[str, np.ndarray]:
    """The stored disorder of a protocol model's realisation (names ``disorder.<name>``)."""
    return {name if name == "disorder" else DISORDER_PREFIX + name: value
            for name, value in realisation_arrays(realisation).items()}
