"""Pooled Pearson correlation from stored moments, curve crossings and peaks, offset
exponential fits: each against an independent computation or a known answer."""

import numpy as np
import pytest

from mblkit.stats import crossing, fit_offset_exponential, peak, pooled_pearson
from mblkit.stats.curves import first_crossing, parabola_peak


def moments(samples):
    """Per-realisation state averages <g_a> and <g_a g_b> of samples (n, states, m)."""
    means = samples.mean(axis=1)
    products = np.einsum("ksa,ksb->kab", samples, samples) / samples.shape[1]
    return means, products


def test_pooled_pearson_equals_corrcoef_of_all_states_stacked(rng):
    n, states, m = 30, 17, 4
    # realisation-dependent offsets make pooling different from averaging per realisation
    samples = rng.standard_normal((n, states, m)) + rng.standard_normal((n, 1, m))
    samples[..., 2] += 0.7 * samples[..., 0]
    means, products = moments(samples)
    stacked = samples.reshape(-1, m)
    expected = np.corrcoef(stacked.T)
    for a, b in [(0, 2), (1, 3), (0, 0)]:
        assert pooled_pearson(means, products, [(a, b)]).value == pytest.approx(
            expected[a, b], abs=1e-12)
    pair_mean = pooled_pearson(means, products, [(0, 2), (1, 3)]).value
    assert pair_mean == pytest.approx((expected[0, 2] + expected[1, 3]) / 2, abs=1e-12)


def test_jackknife_error_matches_the_scatter_of_independent_data_sets(rng):
    rho, values, errors = 0.4, [], []
    cov = [[1.0, rho], [rho, 1.0]]
    for _ in range(40):
        samples = rng.multivariate_normal([0, 0], cov, size=(50, 5))
        c = pooled_pearson(*moments(samples), [(0, 1)])
        values.append(c.value)
        errors.append(c.error)
    values = np.array(values)
    assert abs(values.mean() - rho) < 4 * values.std(ddof=1) / np.sqrt(len(values))
    assert 0.7 < np.mean(errors) / values.std(ddof=1) < 1.4


def test_pooled_pearson_refuses_bad_shapes_and_pairs():
    means, products = np.zeros((3, 2)), np.zeros((3, 2, 2))
    with pytest.raises(ValueError, match="products"):
        pooled_pearson(means, products[:, :1], [(0, 1)])
    with pytest.raises(ValueError, match="pairs"):
        pooled_pearson(means, products, [(0, 2)])


def test_first_crossing_of_two_lines_is_exact():
    x = np.linspace(0, 10, 11)
    assert first_crossing(x, 0.5 * x, 3.0 - 0.25 * x) == pytest.approx(4.0)
    assert np.isnan(first_crossing(x, x, x + 1))


def test_crossing_error_follows_the_curve_errors():
    x = np.linspace(0, 10, 11)
    y1, y2 = 0.5 * x, 3.375 - 0.25 * x               # cross half-way between grid points
    small = crossing(x, y1, 0.01 + 0 * x, y2, 0.01 + 0 * x, seed=1)
    large = crossing(x, y1, 0.04 + 0 * x, y2, 0.04 + 0 * x, seed=1)
    assert small.x == pytest.approx(4.5)
    # interpolating half-way, y1 - y2 has variance 2 sigma^2 (1/4 + 1/4) = sigma^2 and slope
    # 0.75, so sigma_x = sigma / 0.75 to first order
    assert small.error == pytest.approx(0.01 / 0.75, rel=0.1)
    assert large.error == pytest.approx(4 * small.error, rel=0.1)
    assert small.found_fraction == 1.0


def test_parabola_peak_finds_the_vertex_between_grid_points():
    x = np.linspace(0.0, 2.0, 9)
    assert parabola_peak(x, 1 - (x - 0.61) ** 2) == pytest.approx(0.61, abs=1e-12)
    assert parabola_peak(x, x) == 2.0                     # maximum at the end of the range
    f = peak(x, 1 - (x - 0.61) ** 2, 1e-3 + 0 * x, seed=2)
    assert f.x == pytest.approx(0.61) and 0 < f.error < 0.05


def test_offset_exponential_fit_recovers_parameters_with_honest_errors(rng):
    x = np.arange(8.0)
    sigma = np.full(8, 0.004)
    true = (0.03, 0.2, 1.5)
    pulls = []
    for _ in range(60):
        y = true[0] + true[1] * np.exp(-x / true[2]) + sigma * rng.standard_normal(8)
        fit = fit_offset_exponential(x, y, sigma)
        pulls.append([(fit.offset - true[0]) / fit.offset_error,
                      (fit.length - true[2]) / fit.length_error])
    pulls = np.array(pulls)
    assert np.all(np.abs(pulls.mean(axis=0)) < 0.5)
    assert np.all((0.7 < pulls.std(axis=0)) & (pulls.std(axis=0) < 1.4))
    assert fit(np.array([0.0]))[0] == pytest.approx(fit.offset + fit.amplitude)


def test_offset_exponential_fit_refuses_too_few_points():
    with pytest.raises(ValueError, match="too few"):
        fit_offset_exponential(np.arange(3.0), np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="sigma"):
        fit_offset_exponential(np.arange(5.0), np.ones(5), np.zeros(5))
