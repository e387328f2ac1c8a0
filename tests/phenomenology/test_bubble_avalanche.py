"""Avalanche overlay of ergodic-bubble-inclusions.txt (Eq. 6, SM D Eq. 8, SM E.2)."""

import itertools
import math

import numpy as np
import pytest
from scipy import optimize

from mblkit.phenomenology import bubble_avalanche as ba

N_GOE, L, GAMMA_XXZ = 4, 16, 0.9  # Fig. 3, left panel
DIST = np.arange(8, dtype=float)


@pytest.mark.parametrize("xi", [0.3, 0.9, 1.3, 1.44])
@pytest.mark.parametrize("n_goe", [3, 4, 8])
def test_thermalised_length_is_the_root_of_eq8(xi, n_goe):
    def log_ratio(ell):  # log of e^(-ell/xi) (n_GOE 4^ell)^(1/2)
        return -ell / xi + 0.5 * (math.log(n_goe) + ell * math.log(4.0))

    root = optimize.brentq(log_ratio, 0.0, 1e6, xtol=1e-12, rtol=1e-14)
    assert float(ba.thermalised_length(xi, n_goe)) == pytest.approx(root, rel=1e-10)
    printed = (1 / xi - 1 / ba.XI_STAR) ** -0.5 * math.log(n_goe)  # SM D as printed
    assert abs(log_ratio(printed)) > 1e-3


def test_thermal_dimension_identity_and_finite_size():
    xi = np.array([0.4, 0.8, 1.0, 1.2])
    ell = ba.thermalised_length(xi, N_GOE)
    assert np.all(ell < 100 / 2)
    assert ba.thermal_dimension(xi, N_GOE, 100) == pytest.approx(
        N_GOE ** (1 / (1 - xi / ba.XI_STAR)), rel=1e-12)
    assert ba.thermal_dimension(xi, N_GOE, 100) == pytest.approx(N_GOE * 4.0 ** ell, rel=1e-12)
    big = np.array([ba.XI_STAR, 1.5, 3.0, 10.0])
    assert np.all(np.isinf(ba.thermalised_length(big, N_GOE)))
    assert ba.thermal_dimension(big, N_GOE, L) == pytest.approx(N_GOE * 2.0 ** L, rel=1e-12)
    # just below xi_* the avalanche is cut by the chain: min(ell_c, L/2)
    assert float(ba.thermal_dimension(1.4, N_GOE, L)) == pytest.approx(N_GOE * 2.0 ** L)


def test_thermalised_length_diverges_at_xi_star():
    eps = np.array([1e-1, 1e-2, 1e-3, 1e-4])
    ell = ba.thermalised_length(ba.XI_STAR - eps, N_GOE)
    assert np.all(np.diff(ell) > 0)
    # ell_c ~ log(n) xi_*^2 / (2 eps)
    assert ell[-1] * eps[-1] == pytest.approx(math.log(N_GOE) * ba.XI_STAR ** 2 / 2, rel=1e-3)
    assert float(ba.thermalised_length(0.5, 1)) == 0.0


def test_effective_dimension_main_text_sign():
    d = ba.effective_dimension(DIST, 1.0, N_GOE, L)
    assert d[0] == pytest.approx(float(ba.thermal_dimension(1.0, N_GOE, L)))
    assert d == pytest.approx(d[0] * np.exp(-2 * DIST))
    assert np.all(d <= N_GOE * 2.0 ** L)


@pytest.mark.parametrize("xi", [0.5, 1.0, 3.0])
def test_purity_limits_and_monotonicity(xi):
    p0 = ba.purity_model(DIST, xi, 0.0, GAMMA_XXZ, N_GOE, L)
    assert p0 == pytest.approx(0.5 + (1 - np.exp(-DIST / xi)) * (GAMMA_XXZ - 0.5), rel=1e-14)
    d = ba.effective_dimension(DIST, xi, N_GOE, L)
    for exponent in (0.5, 1.0):
        p1 = ba.purity_model(DIST, xi, 1.0, GAMMA_XXZ, N_GOE, L, exponent=exponent)
        assert p1 == pytest.approx(0.5 + np.minimum(d ** -exponent, 0.5), rel=1e-12)
    # default ergodic term: the random-matrix mean 1/(d_eff + 2)
    p1 = ba.purity_model(DIST, xi, 1.0, GAMMA_XXZ, N_GOE, L)
    assert p1 == pytest.approx(0.5 + 1 / (d + 2), rel=1e-12)
    assert p1 == pytest.approx(0.5 + ba.ergodic_excess_purity(d), rel=1e-14)
    fine = np.linspace(0, 12, 241)
    for p in (0.0, 1.0):
        g = ba.purity_model(fine, xi, p, GAMMA_XXZ, N_GOE, L)
        assert np.all(np.diff(g) >= -1e-15)
    for p in (0.0, 0.3, 1.0):
        g = ba.purity_model(fine, xi, p, GAMMA_XXZ, N_GOE, L)
        assert np.all((g >= 0.5) & (g <= 1.0))


def test_regime_one_shift_persists_at_large_distance():
    """xi > xi_*: gamma_xxz - gamma_i tends to p (gamma_xxz - 1/2) - small (regime DIST)."""
    far = ba.purity_model(np.array([60.0]), 3.0, 0.2, GAMMA_XXZ, N_GOE, 200)[0]
    assert GAMMA_XXZ - far == pytest.approx(0.2 * (GAMMA_XXZ - 0.5), rel=1e-3)


@pytest.mark.parametrize(("d", "n_mat"), [(20, 2000), (70, 200)])
def test_goe_eigenvector_excess_purity_is_one_over_d_plus_two(d, n_mat):
    rng = np.random.default_rng(20240611 + d)
    a = rng.standard_normal((n_mat, d, d))
    _, vecs = np.linalg.eigh(a + a.transpose(0, 2, 1))
    s = np.repeat([1.0, -1.0], d // 2)  # S^z_i = +-1/2 on half the sector's basis states each
    sz = 0.5 * np.einsum("k,mkn->mn", s, vecs ** 2)
    per_matrix = (2 * sz ** 2).mean(axis=1)  # eigenvectors of one matrix are not independent
    mean = per_matrix.mean()
    err = per_matrix.std(ddof=1) / math.sqrt(n_mat)
    assert abs(mean - ba.goe_mean_excess_purity(d)) < 4 * err
    assert abs(mean - d ** -0.5) > 20 * err  # the paper's d^(-1/2) is not the RMT mean
    if d == 20:  # resolved well enough to tell 1/(d+2) from 1/d
        assert abs(mean - 1 / d) > 6 * err


def test_default_ergodic_term_is_the_sampled_goe_mean_at_the_thermal_dimension():
    """p = 1, xi > xi_*: the whole chain is thermal, d_eff(0) = n_GOE 2^L, an even sector
    dimension; the default Eq. 6 gives 2 E[<S^z>^2] of GOE eigenvectors of that dimension."""
    n_goe, size = 4, 4
    d = n_goe * 2 ** size
    gamma0 = ba.purity_model(np.array([0.0]), 2.0, 1.0, GAMMA_XXZ, n_goe, size)[0]
    assert gamma0 - 0.5 == pytest.approx(ba.goe_mean_excess_purity(d), rel=1e-12)
    rng = np.random.default_rng(64)
    a = rng.standard_normal((300, d, d))
    _, vecs = np.linalg.eigh(a + a.transpose(0, 2, 1))
    sz = 0.5 * np.einsum("k,mkn->mn", np.repeat([1.0, -1.0], d // 2), vecs ** 2)
    per_matrix = (2 * sz ** 2).mean(axis=1)
    err = per_matrix.std(ddof=1) / math.sqrt(per_matrix.size)
    assert abs(per_matrix.mean() - (gamma0 - 0.5)) < 4 * err
    printed = ba.purity_model(np.array([0.0]), 2.0, 1.0, GAMMA_XXZ, n_goe, size,
                              exponent=0.5)[0]
    assert abs(per_matrix.mean() - (printed - 0.5)) > 50 * err  # d^(-1/2): 8x too large
    assert ba.ergodic_excess_purity(np.array([0.0, 1.0]), 0.5) == pytest.approx([0.5, 0.5])


def test_fit_with_the_printed_exponent_misreads_random_matrix_data():
    """Profiles made with the random-matrix ergodic term, fitted with Eq. 6 as printed: the
    d^(-1/2) term is too large, so the fit moves xi (1.0 -> 1.12, > 20 standard errors) and
    fits worse (chi^2 47 against 16 for 14 dof); the default recovers (p, xi)."""
    sigma = 0.004
    rng = np.random.default_rng(5)
    x = np.concatenate([DIST, DIST])
    y = ba.purity_model(x, 1.0, 0.3, GAMMA_XXZ, N_GOE, L) + sigma * rng.standard_normal(x.size)
    rmt = ba.fit_avalanche_model(x, y, sigma, GAMMA_XXZ, N_GOE, L)
    paper = ba.fit_avalanche_model(x, y, sigma, GAMMA_XXZ, N_GOE, L, exponent=0.5)
    assert abs(rmt.p - 0.3) < 4 * rmt.p_err and abs(rmt.xi - 1.0) < 4 * rmt.xi_err
    assert paper.chi2 > rmt.chi2
    assert abs(paper.p - 0.3) > 4 * paper.p_err or abs(paper.xi - 1.0) > 4 * paper.xi_err


def _synthetic(p, xi, sigma, seed):
    rng = np.random.default_rng(seed)
    x = np.concatenate([DIST, DIST])  # both sides of the ring
    y = ba.purity_model(x, xi, p, GAMMA_XXZ, N_GOE, L) + sigma * rng.standard_normal(x.size)
    return x, y


@pytest.mark.parametrize(("p", "xi"), [(0.3, 1.0), (0.2, 3.0)])
def test_fit_recovers_known_parameters(p, xi):
    sigma = 0.004
    x, y = _synthetic(p, xi, sigma, seed=7)
    fit = ba.fit_avalanche_model(x, y, sigma, GAMMA_XXZ, N_GOE, L)
    assert fit.dof == x.size - 2
    assert 0 < fit.p_err < 0.1 and 0 < fit.xi_err < xi
    assert abs(fit.p - p) < 4 * fit.p_err
    assert abs(fit.xi - xi) < 4 * fit.xi_err
    assert fit.chi2 < fit.dof + 5 * math.sqrt(2 * fit.dof)
    assert fit.errors_scaled == (fit.chi2 > fit.dof)


def test_fit_exact_data_and_input_checks():
    y = ba.purity_model(DIST, 0.8, 0.5, GAMMA_XXZ, N_GOE, L)
    fit = ba.fit_avalanche_model(DIST, y, 0.01, GAMMA_XXZ, N_GOE, L)
    assert (fit.p, fit.xi) == pytest.approx((0.5, 0.8), rel=1e-6)
    with pytest.raises(ValueError, match="shape"):
        ba.fit_avalanche_model(DIST, y[:-1], 0.01, GAMMA_XXZ, N_GOE, L)
    with pytest.raises(ValueError, match="at least 3"):
        ba.fit_avalanche_model(DIST[:2], y[:2], 0.01, GAMMA_XXZ, N_GOE, L)
    with pytest.raises(ValueError, match="sigma"):
        ba.fit_avalanche_model(DIST, y, 0.0, GAMMA_XXZ, N_GOE, L)


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"xi": 0.0}, "xi"), ({"xi": -1.0}, "xi"), ({"p": -0.1}, "p="), ({"p": 1.5}, "p="),
    ({"n_goe": 0.5}, "n_goe"), ({"L": 0}, "L="), ({"gamma_xxz": 0.4}, "gamma_xxz"),
    ({"gamma_xxz": 1.1}, "gamma_xxz"), ({"i": np.array([-1.0, 2.0])}, "i "),
    ({"exponent": 0.0}, "exponent"),
])
def test_purity_model_rejects_bad_arguments(kwargs, name):
    args = {"i": DIST, "xi": 1.0, "p": 0.5, "gamma_xxz": GAMMA_XXZ, "n_goe": N_GOE, "L": L} | kwargs
    with pytest.raises(ValueError, match=name):
        ba.purity_model(**args)


def test_other_functions_reject_bad_arguments():
    with pytest.raises(ValueError, match="xi"):
        ba.thermalised_length(0.0, N_GOE)
    with pytest.raises(ValueError, match="n_goe"):
        ba.thermal_dimension(1.0, 0, L)
    with pytest.raises(ValueError, match="L="):
        ba.effective_dimension(DIST, 1.0, N_GOE, 0.5)
    for bad in (7, 2, True):
        with pytest.raises(ValueError, match="N="):
            ba.zero_magnetisation_bracket(bad)
    with pytest.raises(ValueError, match="d="):
        ba.goe_mean_excess_purity(21)


@pytest.mark.parametrize("N", [6, 8, 10])
def test_zero_magnetisation_bracket_brute_force(N):
    confs = np.array([c for c in itertools.product((1, -1), repeat=N) if sum(c) == 0])
    i, j = 0, N // 2
    a = confs[:, i] * confs[:, i + 1]
    b = confs[:, j] * confs[:, j + 1]
    brute = (a * b).mean() - a.mean() * b.mean()
    assert ba.zero_magnetisation_bracket(N) == pytest.approx(brute, rel=1e-12)


def test_zero_magnetisation_bracket_large_n():
    for N in (1000, 10000):
        assert ba.zero_magnetisation_bracket(N) * N ** 2 / 2 == pytest.approx(1, abs=6 / N)
