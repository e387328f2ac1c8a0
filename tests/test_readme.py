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
    """Smoke test: each README Python block runs as written; the independent checks of what
    the blocks compute are, among others,
    tests/models/test_spin_chain.py::test_j1j2_quasiperiodic_matches_kronecker_construction,
    tests/dynamics/test_quench.py::test_quench_observables_against_ed,
    tests/observables/test_levels.py::test_goe_ratio_of_random_matrices,
    tests/phenomenology/test_resonance_floquet.py::test_spectral_function_equals_closed_form_eq53
    and tests/phenomenology/test_avalanche_flow.py::test_thermal_probability_equals_enumeration."""
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, str(README), "exec"), {})
