"""Brute-force references for the mergeable histograms and their density (issue 14)."""

import numpy as np
import pytest

from mblkit.histograms import LogBins, density, merge


def brute_slots(values, edges):
    """Slot of each value by explicit comparison with the edges: 0 below edges[0] (and <= 0),
    i for edges[i-1] <= v < edges[i], len(edges) for v >= edges[-1]."""
    out = []
    for v in values:
        if not v >= edges[0]:
            out.append(0)
            continue
        slot = len(edges)
        for i in range(1, len(edges)):
            if v < edges[i]:
                slot = i
                break
        out.append(slot)
    return np.array(out)


def away_from_edges(rng, bins, n):
    """Values spread over [lo / 100, hi * 100), none within 1e-9 (relative) of an edge."""
    v = 10 ** rng.uniform(np.log10(bins.lo) - 2, np.log10(bins.hi) + 2, n)
    rel = np.min(np.abs(v[:, None] / bins.edges[None, :] - 1), axis=1)
    return v[rel > 1e-9]


@pytest.mark.parametrize("lo, hi, n", [(1e-3, 10.0, 8), (2.5e-7, 3.0, 13), (1.0, 1e6, 1)])
def test_counts_match_a_brute_force_slot_search(rng, lo, hi, n):
    bins = LogBins(lo, hi, n)
    v = np.concatenate([away_from_edges(rng, bins, 3000), [0.0, -1.0, np.inf, hi, hi * 10]])
    expected = np.bincount(brute_slots(v, bins.edges), minlength=bins.size)
    assert np.array_equal(bins.count(v), expected)
    assert bins.count(v).sum() == v.size                      # nothing lost
    assert bins.count(np.array([hi]))[-1] == 1                 # hi itself is overflow
    assert bins.count(np.array([lo]))[1] == 1                  # lo itself is in the first bin


def test_density_normalises_by_every_count_including_under_and_overflow(rng):
    """With 10 % of the values below lo and 15 % above hi, the density integrates to 0.75:
    a density normalised by the in-range counts only would integrate to 1."""
    bins = LogBins(1e-2, 1.0, 6)
    inside = 10 ** rng.uniform(-2, 0, 750)
    values = np.concatenate([inside, np.full(100, 1e-5), np.zeros(0), np.full(150, 30.0)])
    counts = bins.count(values)
    d = density(counts, bins)
    widths = np.diff(bins.edges)
    expected = np.bincount(brute_slots(values, bins.edges), minlength=bins.size)[1:-1] / (
        values.size * widths)
    np.testing.assert_allclose(d, expected, rtol=1e-14)
    assert np.sum(d * widths) == pytest.approx(0.75, abs=1e-12)
    # an explicit total overrides, e.g. the number of pairs counted elsewhere
    np.testing.assert_allclose(density(counts, bins, total=2000.0), expected * values.size
                               / 2000.0, rtol=1e-14)


def test_two_dimensional_density_normalises_each_column_by_its_own_total(rng):
    bins = LogBins(1e-2, 1.0, 4)
    a = np.concatenate([10 ** rng.uniform(-2, 0, 300), np.full(100, 5.0)])   # 1/4 overflow
    b = np.concatenate([10 ** rng.uniform(-2, 0, 50), np.zeros(150)])          # 3/4 underflow
    counts = np.stack([bins.count(a), bins.count(b)], axis=1)
    d = density(counts, bins)
    widths = np.diff(bins.edges)
    assert np.sum(d[:, 0] * widths) == pytest.approx(0.75)
    assert np.sum(d[:, 1] * widths) == pytest.approx(0.25)
    np.testing.assert_allclose(d[:, 1], bins.count(b)[1:-1] / (200 * widths))
    assert np.all(density(np.zeros((bins.size, 2)), bins) == 0)   # empty: 0, not NaN


def test_merge_is_addition_in_any_order(rng):
    bins = LogBins(1e-3, 1.0, 9)
    parts = [bins.count(10 ** rng.uniform(-4, 1, n)) for n in (10, 200, 37)]
    assert np.array_equal(merge(*parts), parts[0] + parts[1] + parts[2])
    assert np.array_equal(merge(*parts[::-1]), merge(*parts))


def test_nan_is_refused():
    with pytest.raises(ValueError, match="NaN"):
        LogBins(1e-3, 1.0, 3).count(np.array([0.5, np.nan]))
