"""The power-law window selector and the window systematics (mblkit.stats.fits), on synthetic
samples of a known density: Eq. 5 of resonant-energy-scales-floquet.txt, p = a Omega_0^a
Omega^-(1+a) with Omega_0 = 2^(-L/a) (so that p ~ 2^-L at fixed Omega), a smooth finite-size
crossover below Omega_0 and an exponential cutoff above."""

import numpy as np
import pytest

from mblkit.stats import LogBins, fit_power_law
from mblkit.stats.fits import (
    fit_power_law_with_edges,
    local_exponents,
    select_power_law_window,
)

BINS = LogBins(1e-14, 10.0, 150)
A = 0.4          # zeta / zeta_c
WIDTH = 1.5      # crossover width below Omega_0, in e-folds of Omega
CUTOFF = 1e-2    # exponential cutoff of the tail


def log_density(L, u):
    """ln p(Omega) at u = ln Omega, normalised (numerically) over u: the model above."""
    grid = np.linspace(-L * np.log(2) / A - 40, np.log(50 * CUTOFF), 400001)

    def raw(v):
        t = v + L * np.log(2) / A
        return -A * t - np.exp(v) / CUTOFF - np.logaddexp(0, -t / WIDTH)

    q = np.exp(raw(grid))
    norm = np.sum(0.5 * (q[1:] + q[:-1]) * np.diff(grid))
    return raw(u) - np.log(norm) - u, grid, q / norm


def true_local_exponent(L, omega):
    """-d ln p / d ln Omega - 1 of the model, exactly."""
    t = np.log(omega) + L * np.log(2) / A
    return A + omega / CUTOFF - (1 / WIDTH) / (1 + np.exp(t / WIDTH))


def sample_counts(rng, L, realisations=16, per_realisation=60_000):
    _, grid, q = log_density(L, 0.0)
    cdf = np.concatenate([[0], np.cumsum(0.5 * (q[1:] + q[:-1]) * np.diff(grid))])
    cdf /= cdf[-1]
    return np.array([BINS.count(np.exp(np.interp(rng.random(per_realisation), cdf, grid)))
                     for _ in range(realisations)])


@pytest.fixture(scope="module")
def sizes():
    rng = np.random.default_rng(2024)
    return {L: sample_counts(rng, L) for L in (10, 12)}


def test_selector_finds_the_exponent_past_the_crossover(sizes):
    w = select_power_law_window(sizes[12], BINS, sizes[10], 2.0**12, 2.0**10)
    fit = fit_power_law_with_edges(sizes[12], BINS, (w.lo, w.hi))
    zeta = -fit.slope - 1
    assert fit.error < 0.06
    assert abs(zeta - A) < 2 * fit.error
    assert w.decades >= 2
    # in every block of the window the model is a power law that scales as 2^-L, as far as
    # the block's error can tell: the true local exponent within max(0.1, 3 sigma) of A and
    # the true ln(2^L p_L / 2^L' p_L') within max(0.1, 3 sigma) of zero
    for lo, hi, s_err, r_err in zip(w.block_lo, w.block_hi, w.block_errors,
                                    w.log_ratio_errors, strict=True):
        omega = np.geomspace(lo, hi, 50)
        assert abs(true_local_exponent(12, omega).mean() - A) < max(0.1, 3 * s_err)
        u = np.log(omega)
        ratio = (12 * np.log(2) + log_density(12, u)[0]) - (10 * np.log(2)
                                                            + log_density(10, u)[0])
        assert abs(ratio.mean()) < max(0.1, 3 * r_err)
    # the blocks tile the window and carry the evidence
    assert w.block_lo[0] == w.lo and w.block_hi[-1] == w.hi
    np.testing.assert_array_equal(w.block_hi[:-1], w.block_lo[1:])
    assert w.flatness_p >= 0.05 and w.collapse_p >= 0.05


def test_without_the_collapse_the_window_runs_into_the_partners_crossover(sizes):
    """Where L = 12 is already a power law but L = 10 is not, only the 2^L test objects."""
    with_partner = select_power_law_window(sizes[12], BINS, sizes[10], 2.0**12, 2.0**10)
    alone = select_power_law_window(sizes[12], BINS)
    assert alone.lo < with_partner.lo / 10
    # a wrong scale (2^L missing) leaves no window at all
    with pytest.raises(ValueError, match="no window"):
        select_power_law_window(sizes[12], BINS, sizes[10])


def test_old_rule_of_a_fixed_factor_above_the_maximum_is_biased(sizes):
    """The replaced default (30 x argmax of p up to 1e-2) starts inside the crossover of the
    model: its exponent is off by more than the new rule's error."""
    counts = sizes[12]
    p = counts.sum(axis=0)[1:-1] / np.diff(BINS.edges)
    old = fit_power_law(counts, BINS, (30 * BINS.centres[np.argmax(p)], 1e-2))
    new = select_power_law_window(counts, BINS, sizes[10], 2.0**12, 2.0**10)
    fit = fit_power_law_with_edges(counts, BINS, (new.lo, new.hi))
    assert abs(-old.slope - 1 - A) > 3 * fit.error


def broken_power_law_counts(rng, realisations=12, per_realisation=40_000):
    """p ~ Omega^-1.4 on [1e-6, 1e-2] exactly, ~ Omega^+0.5 below and ~ Omega^-4 above
    (continuous); 1e-6 and 1e-2 are edges of the half-decade block grid of BINS."""
    u = np.linspace(np.log(1e-10), np.log(1.0), 200001)
    lp = np.where(u < np.log(1e-6), 0.5 * (u - np.log(1e-6)) - 1.4 * np.log(1e-6),
                  np.where(u > np.log(1e-2), -4 * (u - np.log(1e-2)) - 1.4 * np.log(1e-2),
                           -1.4 * u))
    q = np.exp(lp + u)
    cdf = np.concatenate([[0], np.cumsum(0.5 * (q[1:] + q[:-1]) * np.diff(u))])
    cdf /= cdf[-1]
    return np.array([BINS.count(np.exp(np.interp(rng.random(per_realisation), cdf, u)))
                     for _ in range(realisations)])


def test_window_edges_are_the_breaks_of_a_broken_power_law():
    counts = broken_power_law_counts(np.random.default_rng(7))
    w = select_power_law_window(counts, BINS)
    assert w.lo == pytest.approx(1e-6, rel=1e-9) and w.hi == pytest.approx(1e-2, rel=1e-9)
    fit = fit_power_law(counts, BINS, (w.lo, w.hi))
    assert fit.bins_used == 40
    assert abs(fit.slope + 1.4) < 3 * fit.error


def test_edge_systematics_cover_the_corner_windows_and_vanish_without_variation(sizes):
    counts = sizes[12]
    window = (1e-6, 1e-3)
    fit = fit_power_law_with_edges(counts, BINS, window, edge_decades=0.5)
    corners = [fit_power_law(counts, BINS, (lo, hi), n_boot=0).slope
               for lo in (window[0] / 10**0.5, window[0] * 10**0.5)
               for hi in (window[1] / 10**0.5, window[1] * 10**0.5)]
    assert fit.systematic >= (max(corners) - min(corners)) / 2 - 1e-12
    assert fit.error == pytest.approx(np.hypot(fit.statistical, fit.systematic))
    assert fit.statistical == pytest.approx(fit_power_law(counts, BINS, window).error)
    assert len(fit.edge_slopes) == 11 * 11
    fixed = fit_power_law_with_edges(counts, BINS, window, edge_decades=0.0)
    assert fixed.systematic == 0 and fixed.error == fixed.statistical


def test_edge_systematics_are_small_inside_a_power_law_and_large_at_a_break():
    counts = broken_power_law_counts(np.random.default_rng(3))
    inside = fit_power_law_with_edges(counts, BINS, (10**-5.5, 10**-2.5))
    at_break = fit_power_law_with_edges(counts, BINS, (1e-6, 10**-2.5))
    assert inside.systematic < 3 * inside.statistical
    assert at_break.systematic > 10 * inside.systematic


def test_local_exponents_follow_the_model(sizes):
    le = local_exponents(sizes[12], BINS)
    keep = (le.centre > 1e-8) & (le.centre < 1e-3)
    true = np.array([true_local_exponent(12, np.geomspace(a, b, 50)).mean()
                     for a, b in zip(le.lo[keep], le.hi[keep], strict=True)])
    pulls = (-le.slope[keep] - 1 - true) / le.error[keep]
    assert np.all(np.abs(pulls) < 4)
    assert np.all(np.diff(le.centre) > 0) and len(le.centre) == BINS.bins - 5 + 1


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"alpha": 1.5}, "alpha"), ({"block_decades": 0}, "block_decades"),
    ({"min_count": 0}, "min_count"), ({"flatness_tolerance": -1}, "flatness_tolerance"),
    ({"scale": -1.0}, "scale")])
def test_bad_arguments_are_refused(sizes, kwargs, message):
    with pytest.raises(ValueError, match=message):
        select_power_law_window(sizes[12], BINS, **kwargs)


def test_one_realisation_is_refused(sizes):
    with pytest.raises(ValueError, match="realisation"):
        select_power_law_window(sizes[12][:1], BINS)
    with pytest.raises(ValueError, match="partner"):
        select_power_law_window(sizes[12], BINS, sizes[10][:1], 2.0**12, 2.0**10)


def test_every_bin_of_the_window_holds_min_count_in_both_sizes(sizes):
    w = select_power_law_window(sizes[12], BINS, sizes[10], 2.0**12, 2.0**10, min_count=100)
    inside = (BINS.edges[:-1] >= w.lo * (1 - 1e-12)) & (BINS.edges[1:] <= w.hi * (1 + 1e-12))
    for counts in (sizes[12], sizes[10]):
        assert counts.sum(axis=0)[1:-1][inside].min() >= 100
    loose = select_power_law_window(sizes[12], BINS, sizes[10], 2.0**12, 2.0**10)
    assert loose.decades > w.decades
