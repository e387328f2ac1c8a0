import os

import numpy as np
import pytest

from mblkit.models import XXZChain
from mblkit.observables import (
    R_GOE_LARGE_N,
    R_POISSON,
    central_window,
    gap_ratio,
    mean_gap_ratio,
)
from mblkit.solvers import eigh


def test_gap_ratio_by_hand():
    np.testing.assert_allclose(gap_ratio([0.0, 1.0, 3.0, 3.5]), [0.5, 0.25])
    np.testing.assert_allclose(gap_ratio([3.0, 0.0, 1.0]), [0.5])  # unsorted input


def test_degeneracies_give_zero_not_nan():
    r = gap_ratio([0.0, 1.0, 1.0, 1.0, 2.0])
    assert not np.any(np.isnan(r))
    np.testing.assert_array_equal(r, [0.0, 0.0, 0.0])


def test_mean_over_central_fraction():
    e = np.concatenate([[0, 1, 3], np.arange(10, 20), [40, 41, 43]]).astype(float)
    assert mean_gap_ratio(e, fraction=0.5) == pytest.approx(1.0)  # equally spaced centre
    with pytest.raises(ValueError, match="fraction=0"):
        mean_gap_ratio(e, fraction=0)


def test_poisson_ratio_of_independent_levels(rng):
    # uncorrelated levels: <r> = 2 ln 2 - 1 (Atas et al. 2013); 1e5 ratios, sigma ~ 1e-3
    r = gap_ratio(rng.uniform(size=100_000))
    assert abs(r.mean() - R_POISSON) < 0.005


def test_goe_ratio_of_random_matrices(rng):
    # large GOE matrices: <r> -> 0.5307; 20 x 400 central ratios, statistical sigma ~ 1.5e-3
    means = []
    for _ in range(20):
        a = rng.normal(size=(800, 800))
        means.append(mean_gap_ratio(np.linalg.eigvalsh(a + a.T)))
    assert abs(np.mean(means) - R_GOE_LARGE_N) < 0.007


def disorder_mean_ratio(L, W, realisations, rng):
    model = XXZChain(L=L, W=W)
    return np.mean([mean_gap_ratio(eigh(model.hamiltonian(model.sample(rng), L // 2),
                                        vectors=False).energies)
                    for _ in range(realisations)])


def test_xxz_is_poissonian_at_strong_disorder(rng):
    # L = 12, W = 20: measured 0.392 +- 0.003 (30 realisations); corrections O(J/W)
    assert abs(disorder_mean_ratio(12, 20.0, 30, rng) - R_POISSON) < 0.012


def test_xxz_is_goe_at_weak_disorder(rng):
    # L = 12, W = 1: measured 0.527 +- 0.003 (30 realisations); finite-size bias ~ 0.004
    assert abs(disorder_mean_ratio(12, 1.0, 30, rng) - R_GOE_LARGE_N) < 0.012


def test_xxz_ratio_drifts_towards_goe_with_size(rng):
    """The fast equivalent of the L = 14 check: at W = 1 the finite-size bias shrinks with L.

    Measured (seed of the fixture): L = 8, 400 realisations 0.5049 +- 0.0027; L = 12, 30
    realisations 0.518-0.527 +- 0.003; R_GOE = 0.5307. The drift (~0.013-0.02) is 3-5 sigma.
    """
    small = disorder_mean_ratio(8, 1.0, 400, rng)
    large = disorder_mean_ratio(12, 1.0, 30, rng)
    assert small < large < R_GOE_LARGE_N + 0.008
    assert R_GOE_LARGE_N - large < R_GOE_LARGE_N - small - 0.004


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("MBLKIT_SLOW") != "1",
                    reason="L = 14 ratios take ~150 s on 2 cores: set MBLKIT_SLOW=1 to run")
def test_xxz_ratios_at_l14(rng):
    assert abs(disorder_mean_ratio(14, 1.0, 20, rng) - R_GOE_LARGE_N) < 0.008
    assert abs(disorder_mean_ratio(14, 20.0, 20, rng) - R_POISSON) < 0.01


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_levels_are_refused(bad):
    from mblkit.observables.levels import quasienergy_gap_ratio

    levels = np.array([0.0, 1.0, bad, 3.0, 4.5])
    for fn in (gap_ratio, mean_gap_ratio, quasienergy_gap_ratio):
        with pytest.raises(ValueError, match="non-finite"):
            fn(levels)


def test_central_window_keeps_what_the_decimal_fraction_means():
    """Reference in exact rational arithmetic: floor(N (1 - f) / 2) levels cut at each end, with
    f read as the decimal the user wrote (20 levels at f = 0.9 keep 18, not 19)."""
    from fractions import Fraction

    for text in ("0.1", "0.25", "0.3", "0.5", "0.6", "0.7", "0.9", "0.95", "1"):
        f = Fraction(text)
        for n in (3, 4, 5, 10, 20, 70, 252, 924, 3432, 12870):
            lo = int(n * (1 - f) / 2)  # exact: a Fraction's int() is its floor for >= 0
            assert central_window(n, float(text)) == slice(lo, n - lo), (n, text)
    assert central_window(20, 0.9) == slice(1, 19)
