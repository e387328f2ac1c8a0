"""Campaign configuration: a TOML file validated by pydantic before any work starts.

Example (``examples/demo.toml``)::

    name = "xxz-demo"
    seed = 2026                 # SeedSequence(seed, spawn_key=(point key, realisation))
    realisations = 30           # per parameter point
    output = "out/xxz-demo.h5"  # relative paths are relative to the config file

    [model]
    name = "xxz"                # a built-in model, "spin-chain", or "package.module:Name"
    params = { J = 1.0, delta = 1.0, boundary = "open" }
    grid = { L = [8, 10, 12], W = [0.5, 1.0, 2.0, 4.0] }   # Cartesian product, L varies slowest

    [solver]
    method = "full"             # "full" (all eigenpairs), "interior" (k pairs at the centre)
                                # or "dynamics" (matrix-free time evolution, table [dynamics])
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
import json
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)


class ConfigError(ValueError):
    """A campaign configuration is invalid; the message names the key and the allowed values."""


def _no_bool(value: Any) -> Any:
    """Refuse true/false where a number is expected (pydantic would read true as 1)."""
    if isinstance(value, bool):
        raise ValueError("a number is expected, not a boolean")
    return value


Int = Annotated[int, BeforeValidator(_no_bool)]
Float = Annotated[float, BeforeValidator(_no_bool), Field(allow_inf_nan=False)]


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
            if len(set(map(repr, values))) != len(values):
                raise ValueError(f"grid.{key} = {values!r} repeats a value: give each once")
        return grid

    @model_validator(mode="after")
    def _params_or_grid(self) -> ModelSpec:
        both = sorted(set(self.params) & set(self.grid))
        if both:
            raise ValueError(f"{both} appear in both model.params and model.grid: give each "
                             "parameter in one of them")
        return self


class EnergyDensity(_Strict):
    """``solver.target = { energy_density = eps }``: eps = (E - E_min) / (E_max - E_min) in
    [0, 1], resolved per realisation (:func:`mblkit.models.targets.energy_at_density`)."""

    energy_density: Float

    @field_validator("energy_density")
    @classmethod
    def _in_unit_interval(cls, value: float) -> float:
        from mblkit.models.targets import check_energy_density

        return check_energy_density(value, "solver.target.energy_density")


def _target_kind(value: Any) -> str:
    return "density" if isinstance(value, dict | EnergyDensity) else "absolute"


#: solver.target: an absolute energy (a number), or { energy_density = eps }
Target = Annotated[Annotated[Float, Tag("absolute")] | Annotated[EnergyDensity, Tag("density")],
                   Discriminator(_target_kind)]


class SolverSpec(_Strict):
    method: Literal["full", "interior", "dynamics"] = "full"
    sector: Literal["half", "full"] | Int | None = None
    k: Int = Field(default=50, ge=1)
    #: an absolute energy, or { energy_density = eps } resolved per realisation
    target: Target | None = None
    #: keep each realisation's solved energies as the array "energies" (off: they are reduced)
    store_energies: StrictBool = False

    @model_validator(mode="after")
    def _interior_options(self) -> SolverSpec:
        unused = sorted({"k", "target"} & self.model_fields_set)
        if self.method != "interior" and unused:
            raise ValueError(f"{unused} apply to method = 'interior' only: leave them out for "
                             f"method = {self.method!r}")
        return self


class LogTimes(_Strict):
    """``dynamics.times = { t_max = 1000 }``: t = 0, then t_min .. t_max with ``per_decade``
    log-spaced times per decade (:func:`mblkit.dynamics.log_times`)."""

    t_max: Float = Field(gt=0)
    t_min: Float = Field(default=0.1, gt=0)
    per_decade: Int = Field(default=10, ge=1, le=1000)

    @model_validator(mode="after")
    def _ordered(self) -> LogTimes:
        if not self.t_min < self.t_max:
            raise ValueError(f"t_min = {self.t_min} must be below t_max = {self.t_max}")
        return self


def _times_kind(value: Any) -> str:
    return "list" if isinstance(value, list | tuple) else "log"


#: dynamics.times: an explicit list of times, or { t_max, t_min, per_decade } (a log grid)
Times = Annotated[Annotated[list[Float], Tag("list")] | Annotated[LogTimes, Tag("log")],
                  Discriminator(_times_kind)]


class DynamicsSpec(_Strict):
    """The ``[dynamics]`` table of ``solver.method = "dynamics"``
    (:mod:`mblkit.campaign.dynamics_tasks` documents each key)."""

    times: Times = LogTimes(t_max=100.0)
    propagator: Literal["chebyshev", "krylov"] = "chebyshev"
    tolerance: Float = Field(default=1e-10, ge=1e-15, le=1e-2)
    operator: Literal["csr", "matrix-free"] = "csr"
    initial_state: Literal["neel", "random-product"] = "neel"
    random_vectors: Int = Field(default=8, ge=2, le=10_000)
    moments: Int = Field(default=128, ge=8, le=4096)

    @field_validator("times")
    @classmethod
    def _increasing(cls, times: Any) -> Any:
        if isinstance(times, list):
            if not times:
                raise ValueError("times is empty: give at least one time")
            if times[0] < 0:
                raise ValueError(f"times[0] = {times[0]} is negative: times are measured from "
                                 "the initial state at t = 0 and must be >= 0")
            for i in range(len(times) - 1):
                if not times[i] < times[i + 1]:
                    raise ValueError(f"times must be strictly increasing, but times[{i}] = "
                                     f"{times[i]} and times[{i + 1}] = {times[i + 1]}")
        return times


class ObservableSpec(_Strict):
    name: str
    fraction: Float = Field(default=0.5, gt=0, le=1)
    sites: Literal["all", "middle"] | Annotated[list[Int], Field(min_length=1)] = "all"
    bins: Int = Field(default=50, ge=1)
    # resonance statistics (Floquet models): log bins [lo, hi, bins] per histogram, the |omega|
    # windows of p(Omega | omega), and whether to compute the three-level average
    log_bins: dict[str, tuple[Float, Float, Int]] = Field(default_factory=dict)
    windows: list[Float] | None = None
    three_level: StrictBool = True
    # plugin observables ("package.module:function"): their own options, passed as spec.options
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("sites")
    @classmethod
    def _distinct_sites(cls, sites: Any) -> Any:
        if isinstance(sites, list) and len(set(sites)) != len(sites):
            raise ValueError(f"sites = {sites} repeats a site: give each once")
        return sites


class CampaignConfig(_Strict):
    name: str = "campaign"
    seed: Int = Field(ge=0)
    realisations: Int = Field(ge=1)
    output: str
    model: ModelSpec
    solver: SolverSpec = SolverSpec()
    #: time evolution (solver.method = "dynamics" only; left out: the defaults)
    dynamics: DynamicsSpec | None = None
    observables: list[ObservableSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _dynamics_table(self) -> CampaignConfig:
        if self.dynamics is not None and self.solver.method != "dynamics":
            raise ValueError(f"the [dynamics] table applies to solver.method = 'dynamics' only "
                             f"(here {self.solver.method!r}): set the method or leave it out")
        return self

    @property
    def evolution(self) -> DynamicsSpec:
        """The [dynamics] settings, defaults filled in."""
        return self.dynamics if self.dynamics is not None else DynamicsSpec()

    @field_validator("observables")
    @classmethod
    def _distinct_names(cls, specs: list[ObservableSpec]) -> list[ObservableSpec]:
        names = [spec.name for spec in specs]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"observables {twice} appear more than once: give each observable "
                             "once (their results would overwrite each other)")
        return specs

    def points(self) -> list[dict[str, Any]]:
        """The parameter points: fixed params merged with each grid combination, in order."""
        keys = list(self.model.grid)
        combos = itertools.product(*(self.model.grid[k] for k in keys))
        return [{**self.model.params, **dict(zip(keys, c, strict=True))} for c in combos]


def _allowed_at(loc: tuple) -> list[str]:
    """The keys allowed in the table holding ``loc[-1]`` (for unknown-key errors)."""
    model: Any = CampaignConfig
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if field is None:
            return []
        annotation = field.annotation
        args = [a for a in getattr(annotation, "__args__", ()) if isinstance(a, type)]
        model = next((a for a in (annotation, *args) if isinstance(a, type)
                      and issubclass(a, BaseModel)), None)
        if model is None:
            return []
    return list(model.model_fields) if hasattr(model, "model_fields") else []


def _describe(error: ValidationError) -> str:
    from mblkit.campaign.suggest import did_you_mean

    lines = []
    for e in error.errors():
        key = ".".join(str(x) for x in e["loc"]) or "(top level)"
        value = e.get("input")
        if e["type"] == "extra_forbidden" and e["loc"]:
            allowed = _allowed_at(tuple(e["loc"]))
            hint = did_you_mean(str(e["loc"][-1]), allowed)
            lines.append(f"  {key} = {value!r}: unknown key{hint}"
                         + (f"; allowed here: {sorted(allowed)}" if allowed else ""))
            continue
        if e["type"] == "missing":
            lines.append(f"  {key}: required, but missing")
            continue
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


def identity_hash(payload: Any) -> str:
    """SHA-256 of the canonical JSON of ``payload`` (what determines every realisation's
    result; built by :func:`mblkit.campaign.tasks.campaign_identity`)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()
