"""The example configs of examples/your-own-model/ build a valid model at every grid point,
model-side (the campaign validates them once "spin-chain" and plugin names are wired)."""

from pathlib import Path

import numpy as np
import pytest

from mblkit.campaign.config import load_config
from mblkit.models import SpinChain
from mblkit.models.protocol import check_model, realisation_arrays, resolve_model

ROOT = Path(__file__).parents[2] / "examples" / "your-own-model"
EXAMPLES = sorted(ROOT.glob("*.toml"))


def build(name, params):
    if name == "spin-chain":
        return SpinChain.from_params(**params)
    return resolve_model(name).cls(**params)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_point_builds_a_model(path):
    config, _ = load_config(path)
    assert len(EXAMPLES) == 2
    for params in config.points():
        model = build(config.model.name, dict(params))
        check_model(model)
        if config.solver.sector == "half":
            assert model.conserves_sz
    smallest = build(config.model.name, dict(config.points()[0]))
    r = smallest.sample(np.random.default_rng(0))
    n_up = smallest.L // 2 if config.solver.sector == "half" else None
    H = smallest.hamiltonian(r, n_up)
    assert H.shape == (smallest.basis(n_up).dim,) * 2 and H.dtype == np.float64
    assert realisation_arrays(r)
