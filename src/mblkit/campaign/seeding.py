"""Reproducible seeding: every realisation's random numbers from (campaign seed, the point's
parameters, realisation index).

The contract (store format 3)::

    key = int(sha256(canonical JSON of the point's resolved parameters)[:16 hex digits], 16)
    rng = numpy.random.default_rng(SeedSequence(campaign_seed, spawn_key=(key, realisation)))

The canonical JSON is ``json.dumps(params, sort_keys=True, separators=(",", ":"),
allow_nan=False)`` of the parameters as the model holds them, defaults filled in and numbers
typed as the model types them (:func:`mblkit.campaign.tasks.resolved_params`: ``W = 1`` is
``W = 1.0``). So a result depends on which worker ran it, in which order, whether the run was
resumed, and *which other points exist* not at all: a grid grows (more W or L values) and the
stored points keep their disorder. Store formats 1 and 2 keyed the point by its grid index; they
are read but not resumed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import numpy as np


def canonical_params(params: Mapping[str, Any]) -> str:
    """The canonical JSON text of a point's parameters (keys sorted, no spaces)."""
    return json.dumps(dict(params), sort_keys=True, separators=(",", ":"), allow_nan=False)


def point_key(params: Mapping[str, Any]) -> int:
    """The 64-bit spawn-key entry of a point: the first 16 hex digits of the SHA-256 of its
    canonical parameters."""
    return int(hashlib.sha256(canonical_params(params).encode()).hexdigest()[:16], 16)


def realisation_rng(campaign_seed: int, key: int, realisation_index: int
                    ) -> np.random.Generator:
    """The random generator of realisation ``realisation_index`` of the point whose
    :func:`point_key` is ``key``."""
    seq = np.random.SeedSequence(campaign_seed, spawn_key=(key, realisation_index))
    return np.random.default_rng(seq)
