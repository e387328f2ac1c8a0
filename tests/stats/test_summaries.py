"""Typical value, median and finite-size data collapse (mblkit.stats.summaries).

References independent of the code: hand-computed values, the lognormal and normal sampling
distributions (Monte Carlo over many data sets, and the median's asymptotic standard deviation
sqrt(pi / 2) sigma / sqrt(n)), synthetic collapse data generated from a known scaling function
with planted W_c and nu, and the crossing of two sizes' curves (stats.crossing), which for a
scalar with no scaling dimension sits at W_c.
"""

import numpy as np
import pytest

from mblkit.stats import (
    collapse_quality,
    crossing,
    data_collapse,
    median_value,
    typical_value,
)

# ---------------------------------------------------------------------------- typical value


def test_typical_value_hand_computed():
    # log 1 = 0, log 4: mean log 2 -> typ 2; std(ddof=1) = log 4 / sqrt 2, error 2 * that / sqrt 2
    est = typical_value([1.0, 4.0])
    assert est.value == pytest.approx(2.0, rel=1e-14)
    assert est.error == pytest.approx(np.log(4.0), rel=1e-14)
    assert est.realisations == 2


def test_typical_value_is_geometric_not_arithmetic_mean():
    est = typical_value([[1.0, 100.0], [10.0, 10.0]])   # log10 mean = 1 in both rows
    assert est.value == pytest.approx(10.0, rel=1e-14)
    assert est.error == pytest.approx(0.0, abs=1e-12)   # the two realisations agree exactly


def test_typical_value_error_counts_realisations_not_states():
    rng = np.random.default_rng(3)
    per_realisation = rng.lognormal(0.0, 1.0, size=30)
    copies = np.repeat(per_realisation[:, None], 50, axis=1)   # 50 identical states each
    one, many = typical_value(per_realisation), typical_value(copies)
    assert many.value == pytest.approx(one.value, rel=1e-12)
    assert many.error == pytest.approx(one.error, rel=1e-12)   # not one.error / sqrt(50)


def test_typical_value_error_against_monte_carlo():
    """Over 4000 lognormal data sets of 40 realisations: the scatter of the estimates equals
    the mean reported error, and about 68 % of the intervals cover the true typical value."""
    mu, sigma, n, sets = 0.3, 1.5, 40, 4000
    rng = np.random.default_rng(11)
    data = rng.lognormal(mu, sigma, size=(sets, n))
    est = [typical_value(row) for row in data]
    values = np.array([e.value for e in est])
    errors = np.array([e.error for e in est])
    true = np.exp(mu)   # the median of a lognormal, exp(<log x>)
    assert np.std(values) / np.mean(errors) == pytest.approx(1.0, abs=0.06)
    coverage = np.mean(np.abs(values - true) < errors)
    assert coverage == pytest.approx(0.683, abs=0.03)
    # the delta-method value sigma e^mu / sqrt(n), from the sampling distribution's width
    assert np.mean(errors) == pytest.approx(sigma * true / np.sqrt(n), rel=0.06)


@pytest.mark.parametrize("bad", [[1.0, 0.0], [1.0, -2.0]])
def test_typical_value_rejects_non_positive(bad):
    with pytest.raises(ValueError, match="<= 0"):
        typical_value(bad)


def test_summaries_reject_non_finite_and_empty():
    with pytest.raises(ValueError, match="non-finite"):
        typical_value([1.0, np.nan])
    with pytest.raises(ValueError, match="at least one realisation"):
        median_value([])
    one = typical_value([2.0])
    assert one.value == 2.0 and np.isnan(one.error)

# ---------------------------------------------------------------------------- median


def test_median_pools_every_value():
    est = median_value([[1.0, 2.0], [3.0, 4.0], [5.0, 100.0]], n_boot=200)
    assert est.value == 3.5 and est.realisations == 3 and est.error > 0


def test_median_error_against_asymptotic_and_monte_carlo():
    """Normal samples, n = 201: sd of the median -> sqrt(pi / 2) / sqrt(n) (= 0.0884); the
    bootstrap errors agree with it and with the scatter of medians over 300 data sets."""
    n, sets = 201, 300
    rng = np.random.default_rng(5)
    data = rng.standard_normal((sets, n))
    est = [median_value(row, n_boot=300, seed=k) for k, row in enumerate(data)]
    values = np.array([e.value for e in est])
    errors = np.array([e.error for e in est])
    asymptotic = np.sqrt(np.pi / 2) / np.sqrt(n)
    assert np.std(values) == pytest.approx(asymptotic, rel=0.12)
    assert np.mean(errors) == pytest.approx(asymptotic, rel=0.12)


def test_median_resamples_realisations_not_values():
    rng = np.random.default_rng(8)
    per_realisation = rng.standard_normal(40)
    copies = np.repeat(per_realisation[:, None], 25, axis=1)
    one = median_value(per_realisation, n_boot=400, seed=1)
    many = median_value(copies, n_boot=400, seed=1)
    assert many.value == pytest.approx(one.value, abs=1e-15)
    assert many.error == pytest.approx(one.error, rel=1e-12)   # same draws of rows
    # larger inputs are resampled in chunks (here 2 of 250 and 150): same draws, same error
    big = np.repeat(per_realisation[:, None], 1000, axis=1)
    assert median_value(big, n_boot=400, seed=1).error == pytest.approx(one.error, rel=1e-12)


def test_median_error_needs_two_realisations():
    assert np.isnan(median_value([[1.0, 2.0, 3.0]]).error)
    with pytest.raises(ValueError, match="n_boot"):
        median_value([1.0, 2.0], n_boot=-1)

# ---------------------------------------------------------------------------- data collapse

R_POISSON, R_GOE = 0.3863, 0.5307
SIZES = [8, 10, 12, 14]
W = np.linspace(2.0, 6.0, 17)
WC, NU = 3.7, 1.1


def scaling_function(x):
    """A gap-ratio-like master curve: GOE for W << W_c, Poisson for W >> W_c."""
    return R_POISSON + (R_GOE - R_POISSON) * 0.5 * (1 - np.tanh(x / 8))


def synthetic(wc=WC, nu=NU, dy=0.001, seed=None):
    ys = [scaling_function((W - wc) * L ** (1 / nu)) for L in SIZES]
    if seed is not None:
        rng = np.random.default_rng(seed)
        ys = [y + dy * rng.standard_normal(len(W)) for y in ys]
    return ys, [np.full(len(W), dy)] * len(SIZES)


def test_collapse_of_exact_data_recovers_planted_parameters():
    y, dy = synthetic()
    fit = data_collapse(SIZES, W, y, dy, n_boot=0)
    # the residual bias is that of linear interpolation along a curved master curve
    assert fit.critical == pytest.approx(WC, abs=0.005)
    assert fit.nu == pytest.approx(NU, rel=0.03)
    assert fit.quality < 0.1
    assert fit.points > 0.8 * len(SIZES) * len(W)


def test_collapse_agrees_with_the_crossing_of_two_sizes():
    """Independent estimator: y has no scaling dimension, so every size passes through f(0)
    at W = W_c; the crossing of L = 8 and L = 14 by interpolation is W_c."""
    y, dy = synthetic()
    cross = crossing(W, y[0], np.zeros(len(W)), y[-1], np.zeros(len(W)), n_boot=0)
    fit = data_collapse(SIZES, W, y, dy, n_boot=0)
    assert cross.x == pytest.approx(WC, abs=0.01)
    assert fit.critical == pytest.approx(cross.x, abs=0.01)


def test_collapse_of_noisy_data_recovers_planted_parameters_within_errors():
    """Planted W_c = 3.7, nu = 1.1, noise 0.001 (a few thousand realisations per point). The
    errors are small enough for the test to mean something: a W_c off by 0.1 is excluded."""
    y, dy = synthetic(seed=21)
    fit = data_collapse(SIZES, W, y, dy, n_boot=20, seed=2)
    assert 0 < fit.critical_error < 0.03 and 0 < fit.nu_error < 0.15
    assert abs(fit.critical - WC) < 3 * fit.critical_error
    assert abs(fit.nu - NU) < 3 * fit.nu_error
    assert 0.5 < fit.quality < 2.0


def test_collapse_distinguishes_a_shifted_critical_point():
    y, dy = synthetic(wc=WC + 0.1, seed=21)
    fit = data_collapse(SIZES, W, y, dy, n_boot=20, seed=2)
    assert abs(fit.critical - WC) > 3 * fit.critical_error
    assert abs(fit.critical - (WC + 0.1)) < 3 * fit.critical_error


def test_collapse_quality_hand_computed():
    """nu = 1, W_c = 0, so x = W L. Size 1: x = 0, 1, 2, y = 0, 1, 4, dy = 0.1; size 2:
    x = 0.5, 1.5, y = 0.5, 2, dy = 0.2. Bracketed: x = 1 by size 2 (t = 1/2: Y = 1.25,
    dY^2 = 0.02), x = 0.5 and 1.5 by size 1 (Y = 0.5 and 2.5, dY^2 = 0.005); x = 0 and 2 are
    outside size 2's range. S = [0.25^2 / 0.03 + 0 + 0.5^2 / 0.045] / 3 = 275 / 108."""
    W = [np.array([0.0, 1.0, 2.0]), np.array([0.25, 0.75])]
    y = [np.array([0.0, 1.0, 4.0]), np.array([0.5, 2.0])]
    dy = [np.full(3, 0.1), np.full(2, 0.2)]
    assert collapse_quality([1, 2], W, y, dy, 0.0, 1.0) == pytest.approx(275 / 108, rel=1e-12)
    # sizes that do not overlap at all (x of size 2 shifted past size 1's range): no collapse
    assert collapse_quality([1, 2], W, y, dy, -5.0, 1.0) == np.inf


def test_collapse_quality_near_one_at_the_truth_and_large_away_from_it():
    y, dy = synthetic(seed=4)
    assert 0.5 < collapse_quality(SIZES, W, y, dy, WC, NU) < 2.0
    assert collapse_quality(SIZES, W, y, dy, WC, 3 * NU) > 5
    assert collapse_quality(SIZES, W, y, dy, WC + 0.3, NU) > 5


def test_collapse_takes_per_size_grids_and_drops_missing_points():
    y, dy = synthetic()
    Ws = [W[1:], W, W[:-2], W]            # ragged grids, one per size
    ys = [y[0][1:], y[1].copy(), y[2][:-2], y[3]]
    dys = [d[: len(w)] for d, w in zip(dy, Ws, strict=True)]
    ys[1][5] = np.nan                      # a missing point
    fit = data_collapse(SIZES, Ws, ys, dys, n_boot=0)
    assert fit.critical == pytest.approx(WC, abs=0.01)
    assert fit.nu == pytest.approx(NU, rel=0.05)


def test_collapse_rejects_bad_input():
    y, dy = synthetic()
    with pytest.raises(ValueError, match="two distinct"):
        data_collapse([8], W, y[:1], dy[:1])
    with pytest.raises(ValueError, match="dy must be > 0"):
        data_collapse(SIZES, W, y, [np.zeros(len(W))] * 4)
    with pytest.raises(ValueError, match="one row per size"):
        data_collapse(SIZES, W, y[:3], dy)
    with pytest.raises(ValueError, match="critical_range"):
        data_collapse(SIZES, W, y, dy, critical_range=(4.0, 3.0))
    with pytest.raises(ValueError, match="nu="):
        collapse_quality(SIZES, W, y, dy, WC, 0.0)


@pytest.mark.slow
def test_collapse_bootstrap_errors_match_the_scatter_over_data_sets():
    """The bootstrap errors of single data sets against the scatter of the fits over data sets
    with independent noise. Measured with 12 data sets and n_boot = 30: scatter 0.0162 (W_c),
    0.0342 (nu); mean bootstrap error 0.0153, 0.0341. Here 8 sets and n_boot = 15 (the scatter
    of 8 is known to about 25 %), so a factor of 2 in the errors fails."""
    fits, errors = [], []
    for seed in range(8):
        y, dy = synthetic(seed=100 + seed)
        fit = data_collapse(SIZES, W, y, dy, n_boot=15, seed=seed)
        fits.append((fit.critical, fit.nu))
        errors.append((fit.critical_error, fit.nu_error))
    ratio = np.std(fits, axis=0, ddof=1) / np.mean(errors, axis=0)
    assert np.all((ratio > 0.55) & (ratio < 1.6)), ratio
