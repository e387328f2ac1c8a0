"""Full multi-scale avalanche scheme on finite chains (``multiscale-avalanche-scheme.txt``,
Fig. 2, Eq. 6, SM A-B): hand-worked chains, the paper's properties (i) and (ii), limits, and
agreement with the mean field on which side of eps_c a large chain falls."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mblkit.phenomenology.avalanche_finite_size import thermal_probability
from mblkit.phenomenology.avalanche_flow import critical_eps, is_localised
from mblkit.phenomenology.avalanche_scheme import (
    SPOT_SIZE_EDGES,
    apparent_critical_eps,
    run_scheme,
    sample_chain,
    scan_thermal_probability,
    spot_size_histogram,
    spot_size_pdf,
)

S = math.log(2.0)


def bonds(L: int, *runs: tuple[int, int]) -> np.ndarray:
    """Bool bonds of an L-site chain with resonant runs (first bond, order k)."""
    out = np.zeros(L - 1, dtype=bool)
    for start, k in runs:
        out[start:start + k] = True
    return out


def region_of(result, site: int) -> tuple[int, int]:
    r = result.region[site]
    return int(result.region_lo[r]), int(result.region_hi[r])


@pytest.mark.parametrize(("eps", "K", "k"), [(0.2, 1.0, 3), (0.2, 1.0, 12), (0.1, 1.0, 20),
                                             (0.3, 10.0, 15)])
def test_isolated_spot_collar_is_eq6_with_the_bare_length(eps, K, k):
    # Eq. 6 with zeta_k -> zeta_1 (clean surroundings): the symmetric collar melts while
    # s (k + 2 l) / 2 >= l / zeta_1, so l = floor((s k / 2) / (1 / zeta_1 - s)).
    cost = math.log(K / eps)
    m = math.floor((S * k / 2) / (cost - S))
    L, b = 200, 90
    result = run_scheme(bonds(L, (b, k)), eps, K=K)
    assert region_of(result, b) == (b - m, b + k + m)
    assert result.region_lo.size == 1 and not result.thermal
    # at a chain end the collar grows on one side only: s (k + l) / 2 >= l / zeta_1
    end = run_scheme(bonds(L, (0, k)), eps, K=K)
    assert region_of(end, 0) == (0, k + math.floor((S * k / 2) / (cost - S / 2)))
    # each side tested alone (joint_sides=False): s (k + 2 l - 1) / 2 >= l / zeta_1
    alone = run_scheme(bonds(L, (b, k)), eps, K=K, joint_sides=False)
    m1 = math.floor((S * (k - 1) / 2) / (cost - S))
    assert region_of(alone, b) == (b - m1, b + k + m1)


def test_fusion_and_halted_decay_by_hand():
    # K = 1, eps = 0.2: 1/zeta_1 = log 5 = 1.6094, s/2 = 0.34657.
    # A: order 3 on sites 10..13, treated first: round 1 s(3+2)/2 = 1.733 >= 1.609 melts 9
    #    and 14; round 2 s(7)/2 = 2.426 < 2 x 1.609: A = [9, 14].
    # B: order 12 on sites 19..31: rounds j = 1..4 pass (s(12+2j)/2 >= 1.609 j for j <= 4.54),
    #    B = [15, 35], debts 4. Round 5: left is A (adds 1 + 5), right a plain site:
    #    s(20+6+1)/2 = 9.357 >= 5 x 1.609 = 8.047: fuse and melt, B = [9, 36], debts 5.
    #    Round 6: s(29)/2 = 10.05 >= 6 x 1.609 = 9.657: [8, 37]. Round 7: 10.74 < 11.27: stop.
    # Had A's collar bonds counted (no halted decay), the left debt would be 7 after the
    # fusion and the final region [9, 37]; without A, B would stop at [15, 35].
    eps, K, L = 0.2, 1.0, 50
    both = run_scheme(bonds(L, (10, 3), (19, 12)), eps, K=K)
    assert region_of(both, 20) == (8, 37) and both.region_lo.size == 1
    only_b = run_scheme(bonds(L, (19, 12)), eps, K=K)
    assert region_of(only_b, 20) == (15, 35)
    only_a = run_scheme(bonds(L, (10, 3)), eps, K=K)
    assert region_of(only_a, 10) == (9, 14)


def test_blocking_by_an_untreated_spot_by_hand():
    # K = 2: eps = 0.65, 1/zeta_1 = log(2/0.65) = 1.1239. Bonds .RR.RR (L = 7): two order-2
    # spots, the left one first. Its right neighbour is the untreated spot (blocked), its left
    # site alone fails (s 3/2 = 1.040 < 1.124). The right spot then fuses with it
    # (s (2+3)/2 = 1.733 >= 1.124) but site 0 needs debt 2: s 6/2 = 2.079 < 2.248.
    blocked = run_scheme(np.array([0, 1, 1, 0, 1, 1], dtype=bool), 0.65, K=2.0)
    np.testing.assert_array_equal(blocked.thermal_sites, [0, 1, 1, 1, 1, 1, 1])
    # at eps = 0.625 the bonds are .RR... and the single spot melts both sides jointly:
    # s (2+2)/2 = 1.386 >= log(2/0.625) = 1.163, then s 6/2 = 2.08 < 2 x 1.163.
    free = run_scheme(np.array([0, 1, 1, 0, 0, 0], dtype=bool), 0.625, K=2.0)
    np.testing.assert_array_equal(free.thermal_sites, [1, 1, 1, 1, 1, 0, 0])
    # so property (i) does not hold chain by chain: site 0 is thermal at the smaller eps only


def test_limits_eps_zero_and_one():
    rng = np.random.default_rng(3)
    for _ in range(5):
        zero = sample_chain(300, 0.0, rng)
        assert zero["scalars"]["thermal_density"] == 0 and zero["scalars"]["thermal"] == 0
        assert zero["histograms"]["spot_size"].sum() == 0
        hot = sample_chain(300, 0.97, rng)
        assert hot["scalars"]["thermal_density"] == 1 and hot["scalars"]["thermal"] == 1
        assert hot["scalars"]["largest_region"] == 299
    assert sample_chain(40, 1.0, rng)["scalars"]["thermal"] == 1


def test_property_ii_sites_stay_thermal_when_the_chain_grows():
    # paper property (ii): adding sites at one or both ends never unthermalises a site
    violations = 0
    for eps in (0.2, 0.24, 0.3):
        for j in range(60):
            u = np.random.default_rng(1000 + j).random(999)
            inner = run_scheme(u[300:599] < eps, eps).thermal_sites
            right = run_scheme(u[300:] < eps, eps).thermal_sites[:300]
            both = run_scheme(u < eps, eps).thermal_sites[300:600]
            violations += np.count_nonzero(inner & ~right) + np.count_nonzero(inner & ~both)
    assert violations == 0


def test_property_i_mean_thermal_density_grows_with_eps():
    eps = np.linspace(0.02, 0.4, 20)
    scan = scan_thermal_probability(eps, [400], n_samples=60, seed=5)
    rho = scan.rho[0]
    assert np.all(np.diff(rho) >= 0)
    assert np.all(np.diff(rho[rho < 0.99]) > 0)
    # bare spots alone cover 1 - (1 - eps)^2 of the sites (open-chain ends aside)
    np.testing.assert_allclose(rho[:3], 1 - (1 - eps[:3]) ** 2, rtol=0.15)


def test_mean_field_and_scheme_agree_on_the_side_of_eps_c():
    K, L = 1.0, 2000
    eps_c = float(critical_eps(K))
    low, high = 0.5 * eps_c, 1.8 * eps_c
    assert is_localised(low, K) and not is_localised(high, K)
    assert thermal_probability(low, L, K) < 1e-6 and thermal_probability(high, L, K) > 0.99
    scan = scan_thermal_probability([low, high], [L], n_samples=30, seed=9, K=K)
    assert scan.p[0, 0] == 0 and scan.p[0, 1] == 1
    assert scan.rho[0, 0] < 0.3


def test_record_shape_and_randomness_only_from_rng():
    rng = np.random.default_rng(42)
    record = sample_chain(500, 0.23, rng)
    assert set(record) == {"scalars", "arrays", "histograms"}
    sc, ar, hi = record["scalars"], record["arrays"], record["histograms"]
    assert set(sc) == {"thermal_density", "thermal", "n_regions", "n_spots", "largest_region"}
    assert ar["resonant"].shape == (499,) and ar["resonant"].dtype == np.uint8
    assert ar["thermal_sites"].shape == (500,) and ar["thermal_sites"].dtype == np.uint8
    assert hi["spot_size"].dtype == np.int64 and hi["spot_size"].size == SPOT_SIZE_EDGES.size - 1
    assert hi["spot_size"].sum() == sc["n_regions"]
    assert sc["thermal_density"] == pytest.approx(ar["thermal_sites"].mean())
    # the only random numbers: rng.random(L - 1), resonant where u < eps
    u = np.random.default_rng(42).random(499)
    np.testing.assert_array_equal(ar["resonant"], u < 0.23)
    assert rng.random() == np.random.default_rng(42).random(500)[-1]
    again = sample_chain(500, 0.23, np.random.default_rng(42))
    np.testing.assert_array_equal(again["arrays"]["thermal_sites"], ar["thermal_sites"])


def test_spot_size_histogram_and_pdf():
    counts = spot_size_histogram(np.array([1, 1, 2, 3, 4, 1000]))
    assert counts[:3].tolist() == [2, 2, 1] and counts.sum() == 6
    pdf = spot_size_pdf(counts, n_sites=100)
    np.testing.assert_allclose(pdf[:3], [2 / 100, 2 / 200, 1 / 400])


def test_apparent_critical_eps_interpolates():
    eps = np.array([0.1, 0.2, 0.3, 0.4])
    assert apparent_critical_eps(eps, np.array([0.0, 0.2, 0.6, 1.0])) == pytest.approx(0.275)
    assert math.isnan(apparent_critical_eps(eps, np.zeros(4)))
    with pytest.raises(ValueError, match="level"):
        apparent_critical_eps(eps, np.zeros(4), level=1.0)


def test_bad_input_raises():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="L=0"):
        sample_chain(0, 0.1, rng)
    with pytest.raises(ValueError, match="eps"):
        sample_chain(10, 1.2, rng)
    with pytest.raises(ValueError, match="K"):
        sample_chain(10, 0.1, rng, K=0.0)
    with pytest.raises(ValueError, match="resonant"):
        run_scheme(np.zeros(5), 0.1)
    with pytest.raises(ValueError, match="n_samples"):
        scan_thermal_probability([0.1], [10], n_samples=0, seed=1)
