"""Campaign configuration: a TOML file validated by pydantic before any work starts.

Example (``examples/demo.toml``)::

    name = "xxz-demo"
    seed = 2026                 # SeedSequence(seed, spawn_key=(point, realisation))
    realisations = 30           # per parameter point
    output = "out/xxz-demo.h5"  # relative paths are relative to the config file

    [model]
    name = "xxz"                # one of mblkit.campaign.tasks.MODELS
    params = { J = 1.0, delta = 1.0, boundary = "open" }
    grid = { L = [8, 10, 12], W = [0.5, 1.0, 2.0, 4.0] }   # Cartesian product, L varies slowest

    [solver]
    method = "full"             # "full" (all eigenpairs) or "interior" (k pairs at the centre)
    sector = "half"             # "half" (n_up = L // 2), "full" (no U(1)), or an integer n_up;
                                # left out: "half" where the model conserves S^z, else "full"

    [[observables]]
    name = "gap_ratio"
    fraction = 0.5

Unknown keys are errors, and every error names the key, the value and what is allowed.
"""

from __future__ import annotations

import hashlib
import itertools
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class ConfigError(ValueError):
    """A campaign configuration is invalid; the message names the key and the allowed values."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelSpec(_Strict):
    name: str
    params: dict[str, Any] = Field(default_factory=dict)
    grid: dict[str, list[Any]] = Field(default_factory=dict)

    @field_validator("grid")
    @classmethod
    def _non_empty(cls, grid: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for key, values in grid.items():
            if not values:
                raise ValueError(f"grid.{key} is empty: give at least one value")
        return grid


class SolverSpec(_Strict):
    method: Literal["full", "interior"] = "full"
    sector: Literal["half", "full"] | int | None = None
    k: int = Field(default=50, ge=1)
    target: float | None = None


class ObservableSpec(_Strict):
    name: str
    fraction: float = Field(default=0.5, gt=0, le=1)
    sites: Literal["all", "middle"] | list[int] = "all"
    bins: int = Field(default=50, ge=1)
    # resonance statistics (Floquet models): log bins [lo, hi, bins] per histogram, the |omega|
    # windows of p(Omega | omega), and whether to compute the three-level average
    log_bins: dict[str, tuple[float, float, int]] = Field(default_factory=dict)
    windows: list[float] | None = None
    three_level: bool = True


class CampaignConfig(_Strict):
    name: str = "campaign"
    seed: int = Field(ge=0)
    realisations: int = Field(ge=1)
    output: str
    model: ModelSpec
    solver: SolverSpec = SolverSpec()
    observables: list[ObservableSpec] = Field(default_factory=list)

    def points(self) -> list[dict[str, Any]]:
        """The parameter points: fixed params merged with each grid combination, in order."""
        keys = list(self.model.grid)
        combos = itertools.product(*(self.model.grid[k] for k in keys))
        return [{**self.model.params, **dict(zip(keys, c, strict=True))} for c in combos]


def _describe(error: ValidationError) -> str:
    lines = []
    for e in error.errors():
        key = ".".join(str(x) for x in e["loc"]) or "(top level)"
        value = e.get("input")
        lines.append(f"  {key} = {value!r}: {e['msg']}")
    return "\n".join(lines)


def parse_config(text: str, source: str = "<config>") -> CampaignConfig:
    """Parse and validate TOML text; raise :class:`ConfigError` with every problem listed."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{source} is not valid TOML: {err}") from err
    try:
        return CampaignConfig.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(f"{source} has invalid settings:\n{_describe(err)}") from err


def load_config(path: str | Path) -> tuple[CampaignConfig, str]:
    """Read and validate a config file; returns the config and its text."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as err:
        raise ConfigError(f"cannot read config {path}: {err.strerror}") from err
    return parse_config(text, str(path)), text


def config_hash(config: CampaignConfig) -> str:
    """SHA-256 of what determines each realisation's result: the validated config with defaults
    filled in, except ``output`` (where results go) and ``realisations`` (how many: realisation
    i of point p is the same whatever the total, so a finished campaign can be extended by
    raising ``realisations`` and running again); independent of TOML formatting."""
    payload = config.model_dump_json(exclude={"output", "realisations"})
    return hashlib.sha256(payload.encode()).hexdigest()
