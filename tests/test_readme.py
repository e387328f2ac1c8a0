"""The README's Python examples run as written (those reading a campaign store excepted: the
store comes from `make demo`, which the campaign tests cover)."""

import re
from pathlib import Path

import matplotlib
import pytest

README = Path(__file__).parent.parent / "README.md"
BLOCKS = [b for b in re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
          if "out/" not in b]


@pytest.mark.slow
@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{k}" for k in range(len(BLOCKS))])
def test_readme_example_runs(code, tmp_path, monkeypatch):
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, str(README), "exec"), {})
