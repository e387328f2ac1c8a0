"""Task kind of the multi-scale avalanche scheme on finite chains (no ED):
``multiscale-avalanche-scheme.txt`` Fig. 2, :func:`mblkit.phenomenology.avalanche_scheme.
sample_chain`. A realisation is one chain; its record holds the thermal density, whether the
chain is thermal, and the histogram of thermal-region sizes, so a campaign over (L, eps) gives
p(eps, L) as the point average of ``thermal``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mblkit.campaign.config import CampaignConfig, ConfigError
from mblkit.campaign.registry import Point, TaskKind, register
from mblkit.phenomenology.avalanche_scheme import DEFAULT_K, sample_chain


@dataclass(frozen=True)
class AvalancheChain:
    """Parameters of one finite chain of the full scheme: L sites, resonance probability eps
    per bond, bare-coupling constant K, local dimension d_s, joint or one-sided collar tests."""

    L: int
    eps: float
    K: float = DEFAULT_K
    d_s: float = 2.0
    joint_sides: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.L, bool) or not isinstance(self.L, int) or self.L < 2:
            raise ValueError(f"L={self.L!r} is not allowed: an integer >= 2")
        if not isinstance(self.eps, int | float) or not 0 <= self.eps <= 1:
            raise ValueError(f"eps={self.eps!r} is not allowed: it must lie in [0, 1]")
        if not isinstance(self.K, int | float) or not self.K > 0:
            raise ValueError(f"K={self.K!r} is not allowed: it must be > 0")
        if not isinstance(self.d_s, int | float) or not self.d_s > 1:
            raise ValueError(f"d_s={self.d_s!r} is not allowed: it must be > 1")


MODELS: dict[str, type] = {"avalanche-scheme": AvalancheChain}


def prepare(config: CampaignConfig, model: AvalancheChain, index: int) -> Point:
    if config.solver.sector not in (None, "full"):
        raise ConfigError(f"solver.sector = {config.solver.sector!r} is not allowed for model "
                          f"'avalanche-scheme' (no ED): leave [solver] out")
    return Point(model)


def check(config: CampaignConfig, point: Point, index: int) -> None:
    """Nothing beyond the parameter checks of :class:`AvalancheChain`."""


def memory(config: CampaignConfig, point: Point) -> int:
    return 64 * point.model.L + (1 << 20)


def run(config: CampaignConfig, point: Point, rng: np.random.Generator) -> dict:
    m = point.model
    return sample_chain(m.L, float(m.eps), rng, K=float(m.K), d_s=float(m.d_s),
                        joint_sides=m.joint_sides)


KIND = register(TaskKind("avalanche-scheme", MODELS, {}, False, prepare, check, memory, run))
