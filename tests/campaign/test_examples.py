"""Every example config validates (models, observables, memory) before anyone runs it."""

from pathlib import Path

import pytest

from mblkit.campaign.config import load_config
from mblkit.campaign.tasks import validate

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.toml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_config_validates(path):
    config, _ = load_config(path)
    assert len(validate(config)) == len(config.points()) > 0
