"""Chain + GOE bubble, ``ergodic-bubble-inclusions.txt`` Eqs. 1-4 (and SM E for large W)."""

from math import comb

import numpy as np
import pytest

from mblkit.models import BubbleChain, BubbleRealisation, XXZChain
from mblkit.observables import mean_gap_ratio, single_site_purity
from mblkit.solvers import eigh, eigh_interior
from mblkit.spins import dense_operator

# ---------------------------------------------------------------------------------------------
# Construction


@pytest.mark.parametrize("L", [4, 9, 16, 18])
def test_sector_dimension_is_n_goe_times_binomial(L):
    model = BubbleChain(L=L, W=1.0, n_goe=4)
    assert model.basis().dim == 4 * comb(L, L // 2)
    assert model.basis().n_up == L // 2
    if L <= 9:
        H = model.hamiltonian(model.sample(np.random.default_rng(L)))
        assert H.shape == (4 * comb(L, L // 2),) * 2


def test_dimensions_quoted_in_the_issue():
    assert BubbleChain(L=16, W=1.0).basis().dim == 51_480
    assert BubbleChain(L=18, W=1.0).basis().dim == 194_480


def test_hamiltonian_is_real_symmetric(rng):
    model = BubbleChain(L=8, W=3.0, n_goe=5, g=0.7)
    H = model.hamiltonian(model.sample(rng))
    assert H.dtype == np.float64
    assert abs(H - H.T).max() == 0.0


def dense_bubble_hamiltonian(model, r):
    """Eq. 1-3 by Kronecker products in the full 2^L (x) n_goe space, from dense_operator."""
    L, n = model.L, model.n_goe
    one = np.eye(n)
    chain = sum(model.J * 0.5 * (dense_operator("+-", (i, i + 1), L)
                                 + dense_operator("-+", (i, i + 1), L))
                + model.J * model.delta * 0.25 * dense_operator("zz", (i, i + 1), L)
                for i in range(L - 1))
    chain = chain + sum(r.h[i] * 0.5 * dense_operator("z", (i,), L) for i in range(L))
    szsz = 0.25 * dense_operator("zz", (0, L - 1), L)
    flip = dense_operator("+-", (0, L - 1), L)  # S^+_0 S^-_{L-1}
    coupling = np.kron(szsz, r.R1) + np.kron(flip, r.R2) + np.kron(flip, r.R2).conj().T
    return (np.kron(chain, one) + np.kron(np.eye(2**L), r.R0) + model.g * coupling).real


@pytest.mark.parametrize(("L", "n_goe", "n_up"), [(5, 3, None), (6, 2, 2), (4, 4, 3)])
def test_hamiltonian_matches_kronecker_construction(rng, L, n_goe, n_up):
    model = BubbleChain(L=L, W=2.0, n_goe=n_goe, g=0.8, beta=0.9, J=1.1, delta=0.6)
    r = model.sample(rng)
    full = dense_bubble_hamiltonian(model, r)
    basis = model.basis(n_up)
    rows = (basis.states[:, None] * n_goe + np.arange(n_goe)).ravel()  # index k * n_goe + a
    np.testing.assert_allclose(model.hamiltonian(r, n_up).toarray(), full[np.ix_(rows, rows)],
                               atol=1e-13)
    # the full dense matrix conserves the chain's S^z: nothing leaves the sector
    others = np.setdiff1d(np.arange(full.shape[0]), rows)
    assert np.all(full[np.ix_(others, rows)] == 0)


def test_sample_follows_eq_4():
    model = BubbleChain(L=6, W=2.5, n_goe=3, beta=0.55)
    r = model.sample(np.random.default_rng(11))
    replay = np.random.default_rng(11)
    np.testing.assert_array_equal(r.h, replay.uniform(-2.5, 2.5, 6))
    for R in (r.R0, r.R1, r.R2):
        a = replay.standard_normal((3, 3))
        np.testing.assert_allclose(R, 0.55 / 2 * (a + a.T), rtol=1e-15)


def test_goe_variances(rng):
    """Eq. 4: off-diagonal variance beta^2 / 2, diagonal beta^2 (the GOE ratio 1 : 2)."""
    beta, n = 0.6, 60
    model = BubbleChain(L=2, W=0.0, n_goe=n, beta=beta)
    mats = np.array([getattr(model.sample(rng), f"R{i}") for _ in range(8) for i in range(3)])
    iu = np.triu_indices(n, 1)
    off = mats[:, iu[0], iu[1]].ravel()          # 42 480 samples: relative error ~0.7 %
    diag = np.diagonal(mats, axis1=1, axis2=2).ravel()  # 1 440 samples: ~3.7 %
    assert np.var(off) == pytest.approx(beta**2 / 2, rel=0.03)
    assert np.var(diag) == pytest.approx(beta**2, rel=0.15)
    assert abs(np.mean(off)) < 0.01


def test_bubble_alone_has_goe_gap_ratio(rng):
    """<r> of R_0 alone, large n_GOE: 0.5307 (Atas et al., PRL 110, 084101 (2013))."""
    model = BubbleChain(L=2, W=0.0, n_goe=200, beta=0.6)
    r = np.mean([mean_gap_ratio(np.linalg.eigvalsh(model.sample(rng).R0)) for _ in range(160)])
    # the mean over one matrix's middle half scatters by 0.031 (measured): standard error 0.0025
    assert r == pytest.approx(0.5307, abs=0.01)    # measured 0.5301


def test_decoupled_spectrum_is_chain_plus_bubble(rng):
    """g = 0: the spectrum is {E_n + r_a}, chain levels plus bubble levels."""
    model = BubbleChain(L=6, W=2.0, n_goe=3, g=0.0)
    r = model.sample(rng)
    chain = np.linalg.eigvalsh(model.chain.hamiltonian(r.h, 3).toarray())
    bubble = np.linalg.eigvalsh(r.R0)
    expected = np.sort((chain[:, None] + bubble[None, :]).ravel())
    np.testing.assert_allclose(eigh(model.hamiltonian(r), vectors=False).energies, expected,
                               atol=1e-12)


def test_g_zero_reproduces_the_chain_purities(rng):
    """Interior eigenpairs of the bubble system at g = 0 are |n> (x) |a>: each purity profile
    equals that of the isolated chain's eigenstate |n> (full ED of the chain alone)."""
    model = BubbleChain(L=10, W=2.0, n_goe=4, g=0.0)
    r = model.sample(rng)
    spec = eigh_interior(model.hamiltonian(r), k=30)
    chain = eigh(model.chain.hamiltonian(r.h, 5))
    chain_purity = single_site_purity(chain.vectors, model.chain.basis(5))
    bubble = np.linalg.eigvalsh(r.R0)
    sums = chain.energies[:, None] + bubble[None, :]
    purity = single_site_purity(spec.vectors, model.basis())
    for E, gamma in zip(spec.energies, purity, strict=True):
        gap = np.sort(np.abs(sums - E).ravel())
        assert gap[0] < 1e-9 and gap[1] > 1e-7      # one product level, not a near-degeneracy
        n, _ = np.unravel_index(np.argmin(np.abs(sums - E)), sums.shape)
        np.testing.assert_allclose(gamma, chain_purity[n], atol=1e-10)


# ---------------------------------------------------------------------------------------------
# Large W: second-order perturbation theory (SM E)


def second_order_purity(eta, h, J=1.0, delta=1.0):
    """gamma_i to order (J/W)^2 for the configuration eta (sigma^z = +-1) of the open chain
    H = sum_i h_i S^z_i + J sum_i [(S^+_i S^-_{i+1} + h.c.)/2 + delta S^z_i S^z_{i+1}].

    Rederived (SM E, Eqs. 10-19): a flippable bond (i, j = i+1), eta_i != eta_j, is admixed
    with probability p = (J/2)^2 / dE^2, dE = h_j - h_i + (J delta / 2)(eta_{j+1} - eta_{i-1})
    (missing neighbours count 0); <sigma^z_i> = eta_i (1 - 2 sum_{bonds at i} p), so
    gamma_i = 1 - 2 sum_{bonds at i} p. In the paper's Pauli form (h' = h/2, J' = J/2,
    J_z' = J delta/4) this is P_i = 1 - sum [J'(eta_i - eta_j)]^2 / (4 [h'_j - h'_i
    + J_z'(eta_{j+1} - eta_{i-1})]^2): Eq. 19 as printed has 2 for 1/4 and 2 J_z for J_z.
    """
    L = len(eta)
    at = lambda j: eta[j] if 0 <= j < L else 0.0  # noqa: E731
    gamma, p_max = np.ones(L), np.zeros(L)
    for i in range(L - 1):
        j = i + 1
        if eta[i] == eta[j]:
            continue
        p = J**2 / (4 * (h[j] - h[i] + 0.5 * J * delta * (at(j + 1) - at(i - 1))) ** 2)
        for s in (i, j):
            gamma[s] -= 2 * p
            p_max[s] = max(p_max[s], p)
    return gamma, p_max


def relative_errors(model, realisations, rng, sites):
    """(1 - gamma_exact) / (1 - gamma_2nd order) - 1 over non-resonant sites of all states."""
    errors = []
    for _ in range(realisations):
        r = model.sample(rng)
        h = r.h if isinstance(r, BubbleRealisation) else r
        H = model.hamiltonian(r, model.L // 2)
        basis = model.basis(model.L // 2)
        spec = eigh(H)
        gamma = single_site_purity(spec.vectors, basis)
        weights = (spec.vectors**2).reshape(basis.chain_dim, basis.aux_dim, -1).sum(axis=1)
        for n, k in enumerate(np.argmax(weights, axis=0)):  # dominant configuration
            pert, p_max = second_order_purity(basis.sigma_z[k], h, model.J, model.delta)
            keep = (p_max > 0) & (p_max < 2.5e-3)                  # J / (2 dE) < 0.05
            keep &= np.isin(np.arange(model.L), sites)
            errors.append((1 - gamma[n][keep]) / (1 - pert[keep]) - 1)
    return np.abs(np.concatenate(errors))


def test_purity_at_large_disorder_is_second_order_perturbation_theory():
    rng = np.random.default_rng(5)
    err20 = relative_errors(XXZChain(L=8, W=20.0), 6, rng, range(8))
    err80 = relative_errors(XXZChain(L=8, W=80.0), 6, rng, range(8))
    assert err20.size > 500 and err80.size > 500
    # measured medians 0.008 (W = 20) and 0.0009 (W = 80): the next order is (J/W)^2 smaller
    assert np.median(err20) < 0.02
    assert np.median(err80) < 0.003
    assert np.median(err80) < np.median(err20) / 4


def test_bubble_does_not_enter_second_order_purity_away_from_it():
    """Sites 2..L-3 are two bonds from the bubble: their purity to order (J/W)^2 is the chain's
    formula with the bubble's R_1, R_2 at g = 1 playing no part."""
    rng = np.random.default_rng(6)
    model = BubbleChain(L=8, W=40.0, n_goe=4)
    err = relative_errors(model, 3, rng, range(2, 6))
    assert err.size > 500
    assert np.median(err) < 0.01   # measured 0.004


# ---------------------------------------------------------------------------------------------
# Reference chain, realisation, errors


def test_reference_chain_has_two_more_sites():
    model = BubbleChain(L=12, W=3.0, J=0.9, delta=0.8)
    ref = model.reference_chain("periodic")
    assert ref == XXZChain(L=14, W=3.0, J=0.9, delta=0.8, boundary="periodic")
    assert model.reference_chain().boundary == "open"
    assert BubbleChain(L=22, W=1.0).reference_chain().L == 24
    with pytest.raises(ValueError, match="L \\+ 2 = 25"):
        BubbleChain(L=23, W=1.0).reference_chain()


def test_default_beta_is_the_papers():
    assert [BubbleChain(L=4, W=1.0, n_goe=n).beta for n in (3, 4, 5, 6, 8)] == [
        0.55, 0.6, 0.58, 0.55, 0.5]
    assert BubbleChain(L=4, W=1.0, n_goe=7, beta=0.4).beta == 0.4


def test_realisation_arrays():
    """Smoke test: the realisation's arrays have the expected names and shapes; the independent
    checks are, in tests/models/test_model_interface.py,
    ::test_realisation_round_trips_through_an_hdf5_group (the stored arrays re-build the same
    operator) and
    tests/models/test_bubble.py::test_sample_follows_eq_4."""
    model = BubbleChain(L=5, W=1.0, n_goe=3)
    arrays = model.sample(np.random.default_rng(1)).arrays()
    assert {k: v.shape for k, v in arrays.items()} == {"fields": (5,), "R0": (3, 3),
                                                       "R1": (3, 3), "R2": (3, 3)}


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"n_goe": 0}, "n_goe=0"), ({"n_goe": 2.5}, "n_goe=2.5"), ({"W": -1.0}, "W=-1.0"),
    ({"beta": 0.0}, "beta=0.0"), ({"beta": -0.3}, "beta=-0.3"),
    ({"beta": float("nan")}, "beta=nan"), ({"n_goe": 7}, "beta=None .* n_goe=7"),
    ({"L": 1}, "L=1"), ({"g": float("inf")}, "g=inf"),
])
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BubbleChain(**{"L": 6, "W": 1.0, **kwargs})


def test_bad_realisation(rng):
    model = BubbleChain(L=5, W=1.0, n_goe=3)
    r = model.sample(rng)
    with pytest.raises(ValueError, match="R1 is not symmetric"):
        model.hamiltonian(BubbleRealisation(r.h, r.R0, r.R1 + np.triu(r.R1, 1), r.R2))
    with pytest.raises(ValueError, match="R2 has shape"):
        model.hamiltonian(BubbleRealisation(r.h, r.R0, r.R1, np.eye(4)))
    with pytest.raises(ValueError, match="h has shape"):
        model.hamiltonian(BubbleRealisation(r.h[:4], r.R0, r.R1, r.R2))


# ---------------------------------------------------------------------------------------------
# As a campaign model

BUBBLE_CAMPAIGN = """
name = "bubble"
seed = 3
realisations = 2
output = "{output}"

[model]
name = "bubble"
params = {{ n_goe = 3, g = 1.0 }}
grid = {{ L = [8], W = [2.0] }}

[solver]
method = "interior"
k = 12
{sector}

[[observables]]
name = "purity"
sites = "all"
"""


def test_bubble_campaign_stores_the_realisation_and_purities(tmp_path):
    from mblkit.campaign.config import parse_config
    from mblkit.campaign.runner import run_campaign
    from mblkit.campaign.seeding import point_key, realisation_rng
    from mblkit.campaign.store import CampaignStore
    from mblkit.campaign.tasks import Point, resolved_params, run_realisation

    text = BUBBLE_CAMPAIGN.format(output="b.h5", sector="")
    cfg = parse_config(text)
    record = run_realisation(cfg, 0, 1)
    model = BubbleChain(L=8, W=2.0, n_goe=3, g=1.0)
    r = model.sample(realisation_rng(3, point_key(resolved_params(Point(model))), 1))
    assert all(np.array_equal(record["arrays"][key], value)
               for key, value in r.arrays().items())
    spec = eigh_interior(model.hamiltonian(r), k=12)
    expected = single_site_purity(spec.vectors[:, 3:9], model.basis()).mean(axis=0)
    np.testing.assert_allclose(record["arrays"]["purity_sites"], expected, atol=1e-10)
    report = run_campaign(cfg, text, tmp_path / "b.h5", executor="local", workers=1)
    assert report.computed == 2
    stored = CampaignStore.read(tmp_path / "b.h5").load_point(0)
    assert stored.arrays["R0"].shape == (2, 3, 3)


def test_bubble_campaign_refuses_the_full_space():
    from mblkit.campaign.config import ConfigError, parse_config
    from mblkit.campaign.tasks import validate

    cfg = parse_config(BUBBLE_CAMPAIGN.format(output="b.h5", sector='sector = "full"'))
    with pytest.raises(ConfigError, match="sector = 'full' is not allowed for model 'bubble'"):
        validate(cfg)
