"""The bubble analysis (``ergodic-bubble-inclusions.txt`` Figs. 2-9) on synthetic points with
known answers, and end to end on two tiny campaigns through ``mblkit plot --reference``."""

import numpy as np
import pytest
from typer.testing import CliRunner

from mblkit.campaign.config import load_config
from mblkit.campaign.runner import output_path, run_campaign
from mblkit.cli import app
from mblkit.figures import bubble_data as bd


def point(model, L, purity=None, products=None, **params):
    n = 0 if purity is None else len(purity)
    return bd.BubblePoint(model, {"L": L, "W": 3.0, **params}, n, None, purity, products, None)


def test_distances_close_the_chain_through_the_bubble():
    assert bd.distances(7).tolist() == [0, 1, 2, 3, 2, 1, 0]
    assert bd.distances(8).tolist() == [0, 1, 2, 3, 3, 2, 1, 0]


def test_purity_vs_distance_averages_mirror_sites_within_each_realisation(rng):
    purity = 0.5 + 0.5 * rng.random((6, 7))
    d, mean, sem = bd.purity_vs_distance(point("bubble", 7, purity))
    assert d.tolist() == [0, 1, 2, 3]
    folded = (purity[:, 1] + purity[:, 5]) / 2
    assert mean[1] == pytest.approx(folded.mean())
    assert sem[1] == pytest.approx(folded.std(ddof=1) / np.sqrt(6))
    assert mean[3] == pytest.approx(purity[:, 3].mean())


def test_correlation_pairs_follow_the_geometry():
    assert bd.correlation_pairs(point("bubble", 8), 2) == [(0, 2), (7, 5)]
    assert bd.correlation_pairs(point("xxz", 6, boundary="periodic"), 2) == [
        (0, 2), (1, 3), (2, 4), (3, 5), (4, 0), (5, 1)]
    assert bd.correlation_pairs(point("xxz", 10, boundary="open"), 3) == [(1, 4), (8, 5)]
    assert bd.reference_sites(point("xxz", 10, boundary="open")).tolist() == list(range(1, 9))


def test_distance_fit_recovers_gamma0_of_a_synthetic_profile(rng):
    L, n = 15, 400
    d = bd.distances(L)
    g_xxz, gamma0, amplitude, xi = 0.9, 0.02, 0.15, 1.7
    chain = g_xxz - (gamma0 + amplitude * np.exp(-d / xi)) + 0.02 * rng.standard_normal((n, L))
    reference = 0.9 + 0.02 * rng.standard_normal((n, L + 2))
    fit = bd.fit_distance_decay(point("bubble", L, chain),
                                point("xxz", L + 2, reference, boundary="periodic"))
    assert abs(fit.gamma0 - gamma0) < 3 * fit.gamma0_error
    assert abs(fit.fit.length - xi) < 3 * fit.fit.length_error
    assert fit.gamma0_error > fit.fit.offset_error   # the reference's error is included


CHAIN = """
name = "tiny-bubble"
seed = 3
realisations = 4
output = "chain.h5"
[model]
name = "bubble"
params = { n_goe = 2, beta = 0.6 }
grid = { L = [7, 8], W = [1.0, 6.0] }
[solver]
method = "interior"
k = 20
[[observables]]
name = "gap_ratio"
fraction = 1.0
[[observables]]
name = "purity"
fraction = 1.0
[[observables]]
name = "magnetisation"
fraction = 1.0
bins = 10
"""


def test_plot_with_reference_draws_figures_2_to_9(tmp_path):
    """Smoke test: `mblkit plot` writes Figs. 2-9 from two tiny campaigns (the correlation at
    r = 0 is 1 by definition), and refuses a non-bubble store; the independent checks are, in
    tests/figures/test_bubble_analysis.py,
    ::test_purity_vs_distance_averages_mirror_sites_within_each_realisation and
    ::test_distance_fit_recovers_gamma0_of_a_synthetic_profile."""
    reference = (CHAIN.replace('"bubble"', '"xxz"').replace("n_goe = 2, beta = 0.6",
                                                            'boundary = "periodic"')
                 .replace("[7, 8]", "[7, 8, 9, 10]").replace("chain.h5", "ref.h5"))
    for name, text in (("chain", CHAIN), ("ref", reference)):
        path = tmp_path / f"{name}.toml"
        path.write_text(text)
        cfg, raw = load_config(path)
        run_campaign(cfg, raw, output_path(cfg, path), workers=1)
    alone = CliRunner().invoke(app, ["plot", str(tmp_path / "chain.h5"), "--out",
                                     str(tmp_path / "alone")])
    assert alone.exit_code == 0, alone.output
    for fig in (2, 3, 4, 5, 7):   # Fig. 9 needs the reference
        assert list((tmp_path / "alone").glob(f"fig{fig}_*.png")), fig
    result = CliRunner().invoke(app, ["plot", str(tmp_path / "chain.h5"), "--reference",
                                      str(tmp_path / "ref.h5"), "--out", str(tmp_path / "f")])
    assert result.exit_code == 0, result.output
    for fig in (2, 3, 4, 5, 7, 9):
        assert list((tmp_path / "f").glob(f"fig{fig}_*.png")), fig
    chain = bd.load_points(tmp_path / "chain.h5")
    r, corr = bd.purity_correlation(bd.only(chain, L=8, W=6.0))
    assert r.tolist() == [0, 1, 2, 3, 4]
    assert corr[0].value == pytest.approx(1.0)
    # the reference store cannot be plotted as if it were a bubble campaign
    wrong = CliRunner().invoke(app, ["plot", str(tmp_path / "ref.h5"), "--reference",
                                     str(tmp_path / "ref.h5"), "--out", str(tmp_path / "g")])
    assert wrong.exit_code != 0 and "bubble" in wrong.output
