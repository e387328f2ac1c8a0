"""Task kind of the multi-scale avalanche scheme on finite chains (no ED):
``multiscale-avalanche-scheme.txt`` Fig. 2, :func:`mblkit.phenomenology.avalanche_scheme.
sample_chain`. A realisation is one chain; its record holds the thermal density, whether the
chain is thermal, and the histogram of thermal-region sizes, so a campaign over (L, eps) gives
p(eps, L) as the point average of ``thermal``."""

from __future__ import annotations

import numpy as np

from mblkit.campaign.config import CampaignConfig, ConfigError
from mblkit.campaign.registry import Point, TaskKind, register
from mblkit.phenomenology.avalanche_scheme import AvalancheChain, sample_chain

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
