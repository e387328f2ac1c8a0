"""Reproducible seeding: every realisation's random numbers from (campaign seed, point, index).

``SeedSequence(campaign_seed, spawn_key=(point_index, realisation_index))`` makes a result
independent of which worker ran it, in which order, and of resumption (DESIGN.md).
"""

from __future__ import annotations

import numpy as np


def realisation_rng(campaign_seed: int, point_index: int, realisation_index: int
                    ) -> np.random.Generator:
    """The random generator of realisation ``realisation_index`` of point ``point_index``."""
    seq = np.random.SeedSequence(campaign_seed, spawn_key=(point_index, realisation_index))
    return np.random.default_rng(seq)
