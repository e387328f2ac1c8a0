"""Mean-field flow of the multi-scale avalanche scheme and its finite-size consequences.

Checks are against the paper's closed forms and limits (``multiscale-avalanche-scheme.txt``
Eqs. 5-8, 15-24, main text "Finite-size scaling"), hand computations, brute-force enumeration and
Feller's exact asymptotics for the longest run of successes, not against the code's own output.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.optimize import brentq

from mblkit.phenomenology.avalanche_finite_size import (
    critical_spot_sizes,
    log_thermal_probability,
    log_thermalisation_time,
    mean_entanglement,
    resistance_exponent,
    sample_log_resistance,
    spot_size_density,
    spot_sizes,
    thermal_probability,
)
from mblkit.phenomenology.avalanche_flow import (
    bare_localisation_length,
    collar_slope,
    correlation_length,
    critical_alpha_excess_continuum,
    critical_alpha_excess_discrete,
    critical_collar,
    critical_eps,
    critical_eps_bracket,
    critical_order,
    crossover_length_minus,
    crossover_length_plus,
    discrete_exponents,
    entropy_density,
    is_localised,
    localisation_length,
    mean_field_flow,
    measure_nu_minus,
    measure_nu_plus,
)

S = math.log(2.0)


def critical_window(K: float):
    """Flow at the localised end of a 1e-15 bracket of eps_c, cut where the two ends still agree
    to 1e-6: there the flow is on the critical trajectory to that accuracy."""
    lo, hi = (float(x) for x in critical_eps_bracket(K, tol=1e-15))
    below, above = mean_field_flow(lo, K), mean_field_flow(hi, K)
    n = min(below.collar.size, above.collar.size)
    gap = np.abs(below.alpha[:n] - above.alpha[:n]) / (below.alpha[:n] - S)
    top = int(np.flatnonzero(gap < 1e-6).max()) + 1
    return lo, below, top


# --- the flow ------------------------------------------------------------------------------------


def test_flow_matches_hand_computation():
    # eps = 0.2, K = 1, s = log 2, by hand: alpha_1 = log 5; l_1 = (s/2)/(log 5 - s) = 0.378235;
    # rho_1 = 0.2 (1 + 2 l_1) = 0.351294; alpha_2 = (1 - rho_1) log 5 = 1.044052;
    # l_2 = s/(alpha_2 - s) = 1.975315; rho_2 = 0.04 (2 + 2 l_2) = 0.238025;
    # alpha_3 = 0.795541; l_3 = 1.5 s/(alpha_3 - s) = 10.15412; rho_3 = 0.186466;
    # alpha_4 = 0.647200 < s: thermal with k* = 4.
    flow = mean_field_flow(0.2, 1.0)
    np.testing.assert_allclose(flow.alpha, [1.609438, 1.044052, 0.795541, 0.647200], rtol=1e-5)
    np.testing.assert_allclose(flow.collar, [0.378235, 1.975315, 10.15412], rtol=1e-5)
    np.testing.assert_allclose(flow.rho, [0.351294, 0.238025, 0.186466], rtol=1e-5)
    assert flow.k_star == 4 and not flow.localised
    assert critical_order(0.2, 1.0) == 4


def test_bare_length_and_entropy_density():
    assert entropy_density() == pytest.approx(math.log(2))
    assert entropy_density(3, a=2.0) == pytest.approx(math.log(3) / 2)
    np.testing.assert_allclose(bare_localisation_length([0.0, 0.1, 0.5], 1.0),
                               [0.0, 1 / math.log(10), 1 / math.log(2)])


def test_eps_zero_nothing_thermal_and_eps_one_everything():
    for K in (0.5, 1.0, 3.0, 1e3):
        zero = mean_field_flow(0.0, K)
        assert zero.localised
        assert localisation_length(0.0, K) == 0 and collar_slope(0.0, K) == 0
        assert thermal_probability(0.0, 50, K) == 0
        one = mean_field_flow(1.0, K)
        assert not one.localised and one.k_star <= 2  # rho_1 = 1 + 2 l_1 >= 1 at eps = 1
        assert thermal_probability(1.0, 50, K) == 1


def test_fixed_points_of_the_flow():
    K = 10.0
    eps_c = float(critical_eps(K))
    # localised: alpha_k decreases to alpha_inf > s = alpha_c, and zeta < zeta_c (Eq. 7)
    loc = mean_field_flow(0.8 * eps_c, K)
    assert loc.localised and loc.alpha_inf > S
    assert np.all(np.diff(loc.alpha) <= 0)
    assert localisation_length(0.8 * eps_c, K) < 1 / S
    # ... with rho_k -> 0 geometrically at rate eps (the collar grows linearly, Eq. 17)
    ratio = loc.rho[-5:] / loc.rho[-6:-1]
    k = loc.k[-5:]
    np.testing.assert_allclose(ratio, 0.8 * eps_c * k / (k - 1), rtol=1e-6)
    # thermal: alpha reaches s at a finite k*, just above alpha_c one step before
    hot = mean_field_flow(1.2 * eps_c, K)
    assert not hot.localised and hot.alpha[-1] <= S < hot.alpha[-2]
    # critical: alpha_k -> alpha_c = s along the critical trajectory (regime (ii))
    _, crit, top = critical_window(K)
    excess = crit.alpha[:top] - S
    assert np.all(np.diff(excess) < 0) and excess[-1] < 1e-4 * excess[0]


def test_classification_is_monotone_in_eps():
    # property (i) of the paper for the mean field: one switch from localised to thermal
    for K in (0.5, 3.0, 100.0):
        eps = np.linspace(0.0, 1.0, 2001)
        loc = is_localised(eps, K)
        switches = np.flatnonzero(np.diff(loc.astype(int)))
        assert loc[0] and not loc[-1] and switches.size == 1
        alpha_inf = 1 / localisation_length(eps[1:][loc[1:]], K)
        assert np.all(np.diff(alpha_inf) < 0)
        k_star = critical_order(eps[~loc], K)
        assert np.all(np.diff(k_star) <= 0)


def test_eps_c_grows_with_K_and_bracket_is_tight():
    Ks = np.array([0.5, 1.0, 3.0, 10.0, 100.0, 1e3])
    lo, hi = critical_eps_bracket(Ks, tol=1e-12)
    assert np.all(hi - lo <= 1e-12)
    assert np.all(is_localised(lo[0], Ks[0])) and not is_localised(hi[0], Ks[0])
    for K, a, b in zip(Ks, lo, hi, strict=True):
        assert is_localised(a, K) and not is_localised(b, K)
    assert np.all(np.diff(lo) > 0)
    assert 0 < lo[0] and hi[-1] < 1


def test_critical_scaling_eq18():
    # Eq. 18: delta_k (delta_{k+1} - delta_k) ~ -s^2 k eps_c^k; leading correction 2 delta_k / s
    for K in (1.0, 10.0):
        eps_c, crit, top = critical_window(K)
        d = crit.alpha[:top] - S
        k = np.arange(1, top)
        ratio = d[:-1] * (d[1:] - d[:-1]) / (-(S**2) * k * eps_c**k)
        tail = slice(top // 2, None)
        assert np.all(np.abs(ratio[tail] - 1) <= 3 * d[:-1][tail] / S)


def test_critical_scaling_eq19_eq20():
    for K in (1.0, 10.0):
        eps_c, crit, top = critical_window(K)
        k = np.arange(1, top + 1)
        d = crit.alpha[:top] - S
        # discrete solution of Eq. 18 to O(1/k): the residual is well below the 1/k term kept
        c = math.sqrt(eps_c) / (4 * (1 - math.sqrt(eps_c)))
        rel = np.abs(d / critical_alpha_excess_discrete(k, eps_c) - 1)
        assert np.all(rel[-4:] < 0.5 * c / k[-4:])
        rel_l = np.abs(crit.collar[:top] / critical_collar(k, eps_c) - 1)
        assert np.all(rel_l[-4:] < 0.5 * c / k[-4:])
        # the continuum prefactor of Eq. 19 is off by sqrt(|log eps_c| / (2 (1 - sqrt eps_c)))
        off = d[-1] / critical_alpha_excess_continuum(k[-1], eps_c)
        expected = math.sqrt(-math.log(eps_c) / (2 * (1 - math.sqrt(eps_c))))
        assert off > 1.1 and off == pytest.approx(expected * (1 + c / k[-1]), rel=1e-3)
        # Eq. 20 as printed, (a/2) sqrt(|log eps_c| / 2) sqrt(k eps_c^{-k}): same growth, and
        # the flow's collar is smaller by the inverse of the same prefactor ratio
        eq20 = 0.5 * math.sqrt(-math.log(eps_c) / 2) * np.sqrt(k * eps_c ** -k.astype(float))
        assert crit.collar[top - 1] / eq20[-1] == pytest.approx(
            1 / (expected * (1 + c / k[-1])), rel=1e-3)
        # collars grow like sqrt(k eps_c^{-k}) = sqrt(k) eps_c^{-k/2} (Eq. 20; regime (ii))
        growth = crit.collar[1:top] / crit.collar[:top - 1]
        np.testing.assert_allclose(growth[-4:], eps_c**-0.5 * np.sqrt(k[-4:] / k[-5:-1]),
                                   rtol=0.5 * c / k[-5])


def test_exponents_nu_minus_nu_plus():
    # SM C.2 d: 1/2 < nu_- < 1 < nu_+ < 2, both approach 1/2 and 1 as K grows; against the
    # linearisation of the discrete Eq. 18 (discrete_exponents), whose finite-k corrections at
    # the reachable k ~ 10-40 are O(1/(k log lambda)): ~0.6% for nu_-, ~3.5% for nu_+.
    minus, plus = [], []
    for K in (1.0, 100.0, 1e6):
        nu_m = measure_nu_minus(K)
        nu_p = measure_nu_plus(K)
        pred_m, pred_p = discrete_exponents(nu_m.eps_c)
        assert 0.5 < nu_m.value < 1 and 1 < nu_p.value < 2
        assert nu_m.value == pytest.approx(float(pred_m), rel=0.015)
        assert nu_p.value == pytest.approx(float(pred_p), rel=0.05)
        # nu_+ depends on the window: the slope falls towards 2 nu_- as the window nears eps_c;
        # the reported value is the innermost window's, the systematic the spread of the others
        assert nu_p.windows[0, 0] < 2e-14 and nu_p.windows[-1, 1] > 5e-5
        assert pred_p < nu_p.value < nu_p.window_values[-1]
        if K == 1e6:  # the case: one window over all offsets gives 1.199
            full = measure_nu_plus(K, offsets=nu_p.offsets / nu_p.eps_c, window_decades=20.0)
            assert full.systematic == 0 and full.window_values.size == 1
            assert nu_p.value < full.value == pytest.approx(1.199, abs=1e-3)
        assert nu_p.systematic == pytest.approx(np.max(np.abs(nu_p.window_values - nu_p.value)))
        assert 0.01 < nu_p.systematic < 0.05
        assert abs(nu_p.value - pred_p) < 1.5 * nu_p.systematic
        minus.append(nu_m.value)
        plus.append(nu_p.value)
    assert minus[0] > minus[1] > minus[2] and plus[0] > plus[2]
    # the linearised exponents span exactly the paper's ranges: 1/2 (eps_c -> 1, the continuum
    # limit) to 1 (eps_c -> 0, approached like 1 - 2 log 2 / |log eps_c|)
    nm, np_ = discrete_exponents(np.logspace(-300, -1e-4, 200))
    assert np.all((nm > 0.5) & (nm < 1)) and np.all(np.diff(nm) < 0)
    np.testing.assert_allclose(np_, 2 * nm)
    np.testing.assert_allclose(discrete_exponents(np.array([1e-300, 1 - 1e-9]))[0], [1.0, 0.5],
                               atol=3e-3)


def test_lengths_diverge_at_eps_c_from_the_right_side():
    K = 1.0
    eps_c = float(critical_eps(K))
    below = eps_c * (1 - np.logspace(-2, -8, 4))
    above = eps_c * (1 + np.logspace(-2, -8, 4))
    for f in (collar_slope, correlation_length, crossover_length_minus):
        y = f(below, K)
        assert np.all(np.diff(y) > 0) and np.all(np.isinf(f(above, K)))
    lp = crossover_length_plus(above, K)
    assert np.all(np.diff(lp) > 0) and np.all(np.isinf(crossover_length_plus(below, K)))
    np.testing.assert_allclose(lp, above ** -critical_order(above, K))
    # zeta < zeta_c below, approaching it (Eq. 7)
    z = localisation_length(below, K)
    assert np.all(z < 1 / S) and 1 / S - z[-1] < 1e-3


def test_bad_input_raises():
    with pytest.raises(ValueError, match="eps"):
        mean_field_flow(1.5, 1.0)
    with pytest.raises(ValueError, match="eps"):
        is_localised([0.1, -0.1], 1.0)
    with pytest.raises(ValueError, match="K"):
        critical_eps(0.0)
    with pytest.raises(ValueError, match="K"):
        mean_field_flow(0.1, -2.0)
    with pytest.raises(ValueError, match="d_s"):
        entropy_density(1)
    with pytest.raises(ValueError, match="L"):
        log_thermal_probability(0.1, 0, 1.0)
    with pytest.raises(ValueError, match="tol"):
        critical_eps_bracket(1.0, tol=0.0)
    with pytest.raises(ValueError, match="eps"):
        mean_entanglement(0.5, 100, 1.0)  # thermal flow


# --- finite size ---------------------------------------------------------------------------------


def brute_force_probability(eps: float, L: int, K: float) -> float:
    """Sum over all 2^(L-1) bond patterns of the covering rule, written out directly."""
    flow = mean_field_flow(eps, K)
    n = L - 1
    total = 0.0
    for bits in itertools.product((0, 1), repeat=n):
        covered = False
        b = 0
        while b < n:
            if bits[b]:
                start = b
                while b < n and bits[b]:
                    b += 1
                k = b - start
                m = math.floor(float(flow.collar_at(k))) if k < flow.k_star else n  # avalanche
                if start - m <= 0 and start + k + m >= n:
                    covered = True
            else:
                b += 1
        if covered:
            r = sum(bits)
            total += eps**r * (1 - eps) ** (n - r)
    return total


@pytest.mark.parametrize(("eps", "K"), [(0.18, 1.0), (0.25, 1.0), (0.32, 10.0)])
def test_thermal_probability_equals_enumeration(eps, K):
    for L in (2, 5, 9, 12):
        exact = brute_force_probability(eps, L, K)
        assert float(thermal_probability(eps, L, K)) == pytest.approx(exact, rel=1e-12)


def feller_no_run(eps: float, r: int, n: int) -> float:
    """P(no run of r successes in n Bernoulli(eps) trials), Feller vol. 1, XIII.7 (7.11)."""
    q = 1 - eps

    def f(x):
        return 1 - x + q * eps**r * x ** (r + 1)

    xs = np.linspace(1 + 1e-12, 1 / eps - 1e-9, 200_001)
    sign = np.flatnonzero(np.diff(np.sign(f(xs))))
    x = brentq(f, xs[sign[0]], xs[sign[0] + 1], xtol=1e-15)
    return (1 - eps * x) / ((r + 1 - r * x) * q) / x ** (n + 1)


def test_thermal_side_is_the_absence_of_explosive_spots():
    # eps > eps_c, L beyond the reach of every finite spot: 1 - p = P(no run of k* resonant
    # bonds) ~ exp(-L / L_+), exactly Feller's longest-run law.
    K = 10.0
    for eps in (0.34, 0.36):
        k_star = int(critical_order(eps, K))
        for L in (500, 1000, 2000):
            q = 1 - float(thermal_probability(eps, L, K))
            assert q == pytest.approx(feller_no_run(eps, k_star, L - 1), rel=1e-9)


def test_localised_side_decays_as_eps_to_the_L_over_L_minus():
    # main text: p(eps, L) ~ eps^{L / L_-} with L_- = 1 + 2 l* (Eq. 17)
    K = 10.0
    for eps in (0.1, 0.3, 0.32):
        slope = (log_thermal_probability(eps, 2000, K)
                 - log_thermal_probability(eps, 1000, K)) / 1000
        expected = math.log(eps) / float(crossover_length_minus(eps, K))
        assert slope == pytest.approx(expected, rel=3e-3)


def test_critical_fan_decays_as_log_L_over_L():
    # p ~ L int_L p(l) dl with p(l) ~ log(l) l^-3 (the sqrt(k) of Eq. 20): p ~ log(L) / L,
    # i.e. beta = 1 (main text) up to the logarithm. p(L) oscillates log-periodically (period
    # |log eps_c| / 2 in log L, one collar order), so fit over two decades, several periods.
    for K in (1.0, 10.0):
        lo, _ = critical_eps_bracket(K, tol=1e-15)
        Ls = np.unique(np.round(np.logspace(2, 4, 41)).astype(int))
        p = thermal_probability(float(lo), Ls, K)
        x = np.log(Ls)
        assert abs(np.polyfit(x, np.log(p * Ls / x), 1)[0]) < 0.03
        assert np.polyfit(x, np.log(p), 1)[0] > -0.9  # a pure power law would read beta < 1


def test_non_monotonic_in_L_just_above_eps_c():
    K = 1.0
    eps = float(critical_eps(K)) * 1.003
    L_plus = float(crossover_length_plus(eps, K))
    Ls = np.array([10, 100, int(L_plus)])
    p = thermal_probability(eps, Ls, K)
    assert p[1] < p[0] and p[2] > 2 * p[1]
    assert p[2] == pytest.approx(1 - math.exp(-(1 - eps) * (L_plus - 1) / L_plus), rel=0.2)


def test_spot_size_distribution_at_criticality_is_l_minus_3():
    # regime (ii): p(l) ~ l^-tau, tau = 3; the sqrt(k) of Eq. 20 gives the local exponent
    # 1 + 2 / (1 + 1 / (k |log eps_c|)) -> 3 from below.
    for K in (1.0, 10.0):
        lengths, densities, eps_c = critical_spot_sizes(K)
        p = densities[:-1] / np.diff(lengths)
        tau = -np.diff(np.log(p)) / np.diff(np.log(lengths[:-1]))
        k = np.arange(1, tau.size + 1) + 0.5
        expected = 1 + 2 / (1 + 1 / (k * abs(math.log(eps_c))))
        tail = slice(tau.size - 6, tau.size - 1)
        assert np.all((tau[tail] > 2.9) & (tau[tail] < 3))
        assert np.all(np.abs(tau[tail] - expected[tail]) < 0.5 * (3 - expected[tail]))
    # below eps_c the distribution is cut off exponentially at xi-bar (SM C.2 e)
    eps = 0.8 * float(critical_eps(1.0))
    lengths, densities = spot_sizes(eps, 1.0)
    decay = np.diff(np.log(densities))[-5:] / np.diff(lengths)[-5:]
    np.testing.assert_allclose(-1 / decay, correlation_length(eps, 1.0), rtol=1e-3)
    # binning keeps the total density
    edges = np.array([1.0, 2.0, 4.0, 1e12])
    binned = spot_size_density(lengths, densities, edges)
    assert np.sum(binned * np.diff(edges)) == pytest.approx(densities[lengths >= 1].sum())


def test_mean_entanglement_grows_like_log_L_squared_at_criticality():
    # S ~ int^L l^2 p(l) dl: the paper's log L for p ~ l^-3, but the mean field's p(l) ~
    # log(l) l^-3 gives S ~ (s/2)(1 - eps)^2 (1 - sqrt(eps)) (log L / log eps)^2.
    for K in (1.0, 10.0):
        lo, _ = critical_eps_bracket(K, tol=1e-15)
        eps = float(lo)
        Ls = np.logspace(3, 7, 17)
        S_L = mean_entanglement(eps, Ls, K)
        curvature = np.polyfit(np.log(Ls), S_L, 2)[0]
        expected = (S / 2) * (1 - eps) ** 2 * (1 - math.sqrt(eps)) / math.log(eps) ** 2
        assert curvature == pytest.approx(expected, rel=0.1)
        below = mean_entanglement(0.9 * eps, Ls, K)
        assert np.ptp(below) < 1e-9 and np.all(np.diff(S_L) > 0)


def test_thermalisation_time_and_resistance_exponent():
    K = 1.0
    eps = float(critical_eps(K)) * (1 + np.array([0.3, 0.05, 1e-3]))
    log_t = log_thermalisation_time(eps, K)
    np.testing.assert_allclose(log_t, 2 * S * crossover_length_plus(eps, K))
    assert np.all(np.diff(log_t) > 0)
    assert np.isinf(log_thermalisation_time(0.1, K))
    z = resistance_exponent(eps, K)
    assert np.all(z >= 1) and np.all(np.diff(z) > 0)
    assert float(resistance_exponent(0.9, K, zeta=100.0)) == 1.0  # 2 L_+ < zeta: diffusive


@pytest.mark.parametrize(("L_plus", "zeta", "z"), [(3.0, 2.0, 3.0), (0.5, 2.0, 1.0)])
def test_sampled_resistance_follows_the_exponent(L_plus, zeta, z):
    # SM E b: R ~ L^{2 L_+ / zeta} when dominated by the longest stretch, else R ~ L
    rng = np.random.default_rng(11)
    Ls = np.array([1e3, 1e4, 1e5])
    med = [np.median(sample_log_resistance(L, L_plus, zeta, rng, 200)) for L in Ls]
    slope = np.polyfit(np.log(Ls), med, 1)[0]
    assert slope == pytest.approx(z, rel=0.1)
