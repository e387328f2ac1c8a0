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
    """Smoke test: every shipped example validates; the independent check that validation refuses
    what it should is tests/campaign/test_runner.py::test_bad_configs_fail_before_work, and one
    example is run end to end by ::test_the_j1j2_example_runs_end_to_end_at_tiny_size."""
    config, _ = load_config(path)
    assert len(validate(config)) == len(config.points()) > 0


@pytest.mark.parametrize("path", CLUSTER, ids=[p.stem for p in CLUSTER])
def test_cluster_config_validates_on_a_64_gib_node(path, monkeypatch):
    """Smoke test: the cluster examples are sized for nodes with 64 GiB (here only the memory is
    faked) and validate; the independent check of the memory refusal is
    tests/campaign/test_runner.py::test_bad_configs_fail_before_work (its "GiB" case), and the
    bytes per point by tests/campaign/test_own_models.py::test_memory_follows_is_real."""
    monkeypatch.setattr("mblkit.campaign.tasks.available_memory", lambda: 64 * 2**30)
    config, _ = load_config(path)
    assert len(validate(config)) == len(config.points()) > 0


def test_the_own_model_examples_are_shipped_and_validate():
    """The config-written chain and the Quantum Sun plugin (README 'Your own model')."""
    names = {p.stem for p in EXAMPLES}
    assert {"j1j2-quasiperiodic", "quantum-sun"} <= names
    j1j2, _ = load_config(ROOT / "j1j2-quasiperiodic.toml")
    points = validate(j1j2)
    assert j1j2.model.name == "spin-chain" and all(p.n_up == p.model.L // 2 for p in points)
    sun, _ = load_config(ROOT / "quantum-sun.toml")
    assert all(p.n_up is None for p in validate(sun))


def test_the_j1j2_example_runs_end_to_end_at_tiny_size(tmp_path):
    """The shipped example, with its grid cut to L = 6 and two W: every realisation stored,
    with its drawn phase, and the stored phase re-builds the stored gap ratio."""
    import numpy as np

    from mblkit.campaign.config import parse_config
    from mblkit.campaign.runner import run_campaign
    from mblkit.campaign.store import CampaignStore
    from mblkit.models import SpinChain
    from mblkit.observables import mean_gap_ratio

    text = (ROOT / "j1j2-quasiperiodic.toml").read_text()
    old = "grid = { L = [8, 10, 12], W = [0.5, 1.0, 2.0, 3.0, 4.0, 6.0] }"
    assert old in text
    text = text.replace(old, "grid = { L = [6], W = [1.0, 6.0] }").replace(
        "realisations = 30", "realisations = 2").replace(
        'output = "../out/j1j2-quasiperiodic.h5"', 'output = "j1j2.h5"')
    cfg = parse_config(text)
    report = run_campaign(cfg, text, tmp_path / "j1j2.h5", workers=2)
    assert report.computed == 4 and report.failed == 0
    store = CampaignStore.read(tmp_path / "j1j2.h5")
    for p in range(2):
        data, params = store.load_point(p), store.point_params(p)
        phases = data.arrays["disorder.phase_4"]
        assert phases.shape == (2, 1) and np.all((0 <= phases) & (phases < 2 * np.pi))
        assert sorted(data.arrays) == ["disorder.coeff_4", "disorder.phase_4",
                                       "purity_products", "purity_sites"]
        model = SpinChain.from_params(**params)
        for i in range(2):
            H = model.hamiltonian({"coeff_4": data.arrays["disorder.coeff_4"][i],
                                   "phase_4": phases[i]}, 3).toarray()
            r = mean_gap_ratio(np.linalg.eigvalsh(H), 0.5)
            assert data.scalars["gap_ratio"][i] == pytest.approx(r, abs=1e-10)
