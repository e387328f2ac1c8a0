"""Power-law tail fits with bootstrap errors, on samples of known exponent."""

import numpy as np
import pytest

from mblkit.stats import LogBins, fit_power_law


def pareto_counts(rng, bins, exponent, realisations, per_realisation):
    """Counts of x with density ~ x^exponent on [1e-8, 1] (inverse CDF), per realisation."""
    a = exponent + 1
    lo = 1e-8
    out = []
    for _ in range(realisations):
        u = rng.random(per_realisation)
        x = (lo**a + u * (1 - lo**a)) ** (1 / a)
        out.append(bins.count(x))
    return np.array(out)


def test_slope_is_recovered_and_bootstrap_error_matches_the_scatter():
    bins = LogBins(1e-10, 10.0, 110)
    rng = np.random.default_rng(11)
    fits = [fit_power_law(pareto_counts(rng, bins, -1.4, 20, 500), bins, (1e-6, 1e-1),
                          n_boot=100, seed=k) for k in range(12)]
    slopes = np.array([f.slope for f in fits])
    errors = np.array([f.error for f in fits])
    assert abs(slopes.mean() + 1.4) < 3 * slopes.std(ddof=1) / np.sqrt(len(fits)) + 0.01
    # the bootstrap error estimates the scatter of independent data sets (within a factor 2)
    assert 0.5 < errors.mean() / slopes.std(ddof=1) < 2.0


def test_bad_windows_and_shapes_are_refused():
    bins = LogBins(1e-4, 1.0, 8)
    counts = np.ones((3, bins.size), dtype=np.int64)
    with pytest.raises(ValueError, match="slots"):
        fit_power_law(counts[:, 1:], bins, (1e-3, 1e-1))
    with pytest.raises(ValueError, match="window"):
        fit_power_law(counts, bins, (1e-1, 1e-3))
    with pytest.raises(ValueError, match="fewer than two bins"):
        fit_power_law(counts, bins, (0.5, 0.9))
