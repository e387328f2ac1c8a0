"""Every example config validates (models, observables, memory) before anyone runs it."""

from pathlib import Path

import pytest

from mblkit.campaign.config import load_config
from mblkit.campaign.tasks import validate

ROOT = Path(__file__).parents[2] / "examples"
EXAMPLES = sorted(ROOT.glob("*.toml"))
CLUSTER = sorted((ROOT / "cluster").glob("*.toml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_config_validates(path):
    config, _ = load_config(path)
    assert len(validate(config)) == len(config.points()) > 0


@pytest.mark.parametrize("path", CLUSTER, ids=[p.stem for p in CLUSTER])
def test_cluster_config_validates_on_a_64_gib_node(path, monkeypatch):
    """The cluster examples are sized for nodes with 64 GiB; here only the memory is faked."""
    monkeypatch.setattr("mblkit.campaign.tasks.available_memory", lambda: 64 * 2**30)
    config, _ = load_config(path)
    assert len(validate(config)) == len(config.points()) > 0
