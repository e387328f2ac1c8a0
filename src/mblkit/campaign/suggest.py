"""Config errors a user can act on: the allowed names, the near miss that was probably meant
(difflib), and the keys in which a config differs from the one its store was made from."""

from __future__ import annotations

import dataclasses
import difflib
import inspect
import json
from collections.abc import Iterable, Mapping
from typing import Any


def did_you_mean(word: str, allowed: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest allowed name, or ``""`` if none is close."""
    close = difflib.get_close_matches(str(word), [str(a) for a in allowed], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def parameter_names(cls: type) -> list[str] | None:
    """The keyword parameters a model class takes (its dataclass init fields or the
    signature of ``from_params``/``__init__``); None when it takes ``**kwargs``."""
    if dataclasses.is_dataclass(cls) and not hasattr(cls, "from_params"):
        return [f.name for f in dataclasses.fields(cls) if f.init]
    target = getattr(cls, "from_params", cls)
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()):
        return None
    return [n for n, p in signature.parameters.items()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and n not in ("self", "cls")]


def unknown_parameters_message(model: str, cls: type, params: Mapping[str, Any]) -> str | None:
    """The error for parameters the model does not take: each with its near miss, and the
    allowed ones; None when every parameter is known (or the model takes any)."""
    allowed = parameter_names(cls)
    if allowed is None:
        return None
    unknown = [k for k in params if k not in allowed]
    if not unknown:
        return None
    named = ", ".join(f"{k!r}{did_you_mean(k, allowed)}" for k in unknown)
    return (f"model {model!r} has no parameter {named} (in model.params or model.grid): its "
            f"parameters are {sorted(allowed)}")


def _flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(obj, dict):
        out: dict[str, Any] = {}
        for k, v in obj.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(obj, list) and obj and all(isinstance(v, dict) and "name" in v for v in obj):
        out = {}
        for v in obj:  # [[observables]] by name
            out.update(_flatten({k: x for k, x in v.items() if k != "name"},
                                f"{prefix}.{v['name']}"))
            out.setdefault(f"{prefix}.{v['name']}", "(present)")
        return out
    return {prefix: obj}


def config_difference(stored_text: str, config: Any) -> list[str]:
    """The keys in which ``config`` differs from the config text a store was made from, as
    ``key: stored -> now`` lines (defaults filled in on both sides; ``output`` and
    ``realisations``, which do not change results, left out)."""
    from mblkit.campaign.config import ConfigError, parse_config

    try:
        old = parse_config(stored_text).model_dump(mode="json")
    except ConfigError as err:
        return [f"(the stored config no longer parses: {str(err).splitlines()[0]})"]
    new = config.model_dump(mode="json")
    a, b = _flatten(old), _flatten(new)
    lines = []
    for key in sorted(set(a) | set(b)):
        if key.split(".")[0] in ("output", "realisations", "name"):
            continue
        if a.get(key, "(absent)") != b.get(key, "(absent)"):
            lines.append(f"{key}: {json.dumps(a.get(key, '(absent)'))} -> "
                         f"{json.dumps(b.get(key, '(absent)'))}")
    return lines
