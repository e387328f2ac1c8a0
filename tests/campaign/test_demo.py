import numpy as np
import pytest
from typer.testing import CliRunner

from mblkit.campaign import realisation_rng
from mblkit.campaign.demo import DemoStudy, run_demo_study
from mblkit.cli import app


def test_realisation_streams_are_reproducible_and_distinct():
    a = realisation_rng(7, 1, 2).uniform(size=4)
    np.testing.assert_array_equal(a, realisation_rng(7, 1, 2).uniform(size=4))
    assert not np.allclose(a, realisation_rng(7, 2, 1).uniform(size=4))
    assert not np.allclose(a, realisation_rng(8, 1, 2).uniform(size=4))


def test_demo_study_is_reproducible_and_physical():
    study = DemoStudy(sizes=(6, 8), disorders=(0.5, 1000.0), realisations=4, seed=3)
    calls = []
    first = run_demo_study(study, progress=lambda: calls.append(1))
    assert len(calls) == 16
    np.testing.assert_array_equal(first.gap_ratio, run_demo_study(study).gap_ratio)
    # W = 1000: eigenstates are nearly product states, except for rare resonant pairs
    # (|h_i - h_{i+1}| ~ J, here one sample with |dh| = 2 lowers its mean purity to ~0.92);
    # weak disorder: purity near 1/2
    assert np.all(first.purity[:, 1] > 0.95) and np.all(first.purity[:, 0] < 0.65)
    assert np.all(first.gap_ratio_err > 0)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"sizes": (7,)}, "L=7"), ({"realisations": 1}, "realisations=1"),
    ({"disorders": (-1.0,)}, "W=-1.0"),
])
def test_demo_study_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DemoStudy(**kwargs)


def test_demo_command_prints_table_and_saves_plot(tmp_path):
    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path), "--sizes", "6",
                                      "--disorders", "1,8", "--realisations", "3"])
    assert result.exit_code == 0, result.output
    assert "<r>" in result.output and "±" in result.output
    assert (tmp_path / "xxz_demo.png").stat().st_size > 0
    assert (tmp_path / "xxz_demo.pdf").stat().st_size > 0


def test_demo_command_rejects_bad_sizes(tmp_path):
    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path), "--sizes", "5"])
    assert result.exit_code != 0 and "L=5" in result.output
