"""Fixtures of the campaign tests."""

from pathlib import Path

import pytest
from store_compare import TINY


@pytest.fixture
def tiny_config(tmp_path):
    def make(name: str = "run", realisations: int = 6, template: str = TINY) -> Path:
        path = tmp_path / f"{name}.toml"
        path.write_text(template.format(realisations=realisations, output=f"{name}.h5"))
        return path
    return make
