"""Campaign observables of the bubble analysis (``ergodic-bubble-inclusions.txt``): the stored
purity moments give the pooled Pearson correlation of Eq. 7 exactly, and the magnetisation
histograms count every state once per site."""

import numpy as np
import pytest

from mblkit.campaign.config import parse_config
from mblkit.campaign.seeding import realisation_rng
from mblkit.campaign.tasks import run_realisation
from mblkit.models import BubbleChain
from mblkit.observables import magnetisation
from mblkit.solvers import eigh_interior
from mblkit.stats import pooled_pearson

CONFIG = """
name = "bubble-observables"
seed = 5
realisations = 3
output = "unused.h5"
[model]
name = "bubble"
params = { n_goe = 3, g = 1.0 }
grid = { L = [7], W = [3.0] }
[solver]
method = "interior"
k = 24
[[observables]]
name = "purity"
fraction = 1.0
[[observables]]
name = "magnetisation"
fraction = 1.0
bins = 20
"""


def direct_magnetisation(cfg, realisation):
    """<S^z_i> of the k states at the centre, recomputed outside the campaign layer."""
    model = BubbleChain(L=7, W=3.0, n_goe=3, g=1.0)
    disorder = model.sample(realisation_rng(cfg.seed, key_of(model), realisation))
    spectrum = eigh_interior(model.hamiltonian(disorder), k=24)
    return magnetisation(spectrum.vectors, model.basis())


@pytest.fixture(scope="module")
def records():
    cfg = parse_config(CONFIG)
    return cfg, [run_realisation(cfg, 0, i) for i in range(3)]


def test_purity_moments_give_the_pearson_coefficient_of_all_states(records):
    cfg, recs = records
    gamma = np.concatenate([2 * direct_magnetisation(cfg, i) ** 2 + 0.5 for i in range(3)])
    means = np.array([r["arrays"]["purity_sites"] for r in recs])
    products = np.array([r["arrays"]["purity_products"] for r in recs])
    assert products.shape == (3, 7, 7)
    expected = np.corrcoef(gamma.T)
    for r in range(4):
        assert pooled_pearson(means, products, [(0, r)]).value == pytest.approx(
            expected[0, r], abs=1e-9)


def test_magnetisation_histogram_counts_each_state_once_per_site(records):
    cfg, recs = records
    counts = recs[1]["histograms"]["magnetisation"]
    assert counts.shape == (7, 20)
    assert np.all(counts.sum(axis=1) == 24)
    sz = direct_magnetisation(cfg, 1)
    # every state lies in the sector n_up = 3: sum_i <S^z_i> = 3 - 7/2
    assert np.allclose(sz.sum(axis=1), -0.5)
    expected = np.stack([np.histogram(c, bins=20, range=(-0.5, 0.5))[0] for c in sz.T])
    assert np.array_equal(counts, expected)


def key_of(model):
    """The seeding key of a point of this model (mblkit.campaign.seeding)."""
    from mblkit.campaign.seeding import point_key
    from mblkit.campaign.tasks import Point, resolved_params

    return point_key(resolved_params(Point(model)))
