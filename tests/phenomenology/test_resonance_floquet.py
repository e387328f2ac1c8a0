"""Floquet resonance model (resonance-model-crossover.txt Sec. II, Eqs. 36-59).

Checks against independent references: closed forms re-derived here, SciPy ODE and quadrature
of the defining equations, a brute-force trapezoid of Eq. 47, the Mellin asymptotics of Eq. 47
(Eq. 58), sum rules, and the limits the paper states.
"""

import math

import numpy as np
import pytest
from scipy import integrate
from scipy.special import gamma

from mblkit.phenomenology import resonance_floquet as rf

J = 1.0
LAMBDA = 20.0
OMEGA = 8.0 * LAMBDA * J / rf.ZETA_C  # so that Lambda = zeta_c Omega / (8J) = 20 (Eq. 43)
MBL, THERMAL = 0.8, 1.8  # zeta on either side of zeta_c = 1.4427


def test_resonance_length_and_critical_point():
    assert rf.resonance_length(J, OMEGA) == pytest.approx(LAMBDA, rel=1e-14)
    assert rf.ZETA_C == pytest.approx(1 / math.log(2), rel=1e-15)
    assert rf.inverse_correlation_length(rf.ZETA_C) == 0.0  # exactly at the transition
    assert rf.correlation_length(rf.ZETA_C) == math.inf
    assert rf.correlation_length(MBL) > 0 > rf.correlation_length(THERMAL)


def test_theta0_limits_stated_by_the_paper():
    """theta_0 -> 1 deep in the MBL phase and -> 0 at zeta -> zeta_c (Eq. 51, Fig. 2a)."""
    assert rf.theta0(1e-4) == pytest.approx(1.0, abs=2e-4)
    assert rf.theta0(rf.ZETA_C * (1 - 1e-6)) == pytest.approx(0.0, abs=1e-6)
    # theta_0 = zeta_c / (2 xi + zeta_c) written with xi itself
    xi = rf.correlation_length(MBL)
    assert rf.theta0(MBL) == pytest.approx(rf.ZETA_C / (2 * xi + rf.ZETA_C), rel=1e-13)
    # and v(r) = J exp(-r / (theta_0 xi)) (text below Eq. 51)
    r = np.linspace(0, 10, 11)
    assert np.allclose(rf.matrix_element(r, zeta=MBL, J=J), J * np.exp(-r / (rf.theta0(MBL) * xi)),
                       rtol=1e-13)


def test_matrix_element_from_operator_norm_and_state_count():
    """Eq. 37: N_r v(r)^2 = |V_r|^2 with |V_r| = J e^(-r/zeta), up to the dropped 3/2 (Eq. 38)."""
    r = np.arange(1, 12)
    n_r = rf.states_at_range(r)
    total_within = 1 + np.cumsum(n_r)  # N_0 + ... + N_r
    assert np.allclose(total_within, 2 * 4.0 ** r - 1)  # 2^(2r+1) states, less the reference
    v = rf.matrix_element(r, zeta=MBL, J=J)
    assert np.allclose(n_r * v ** 2 / (J * np.exp(-r / MBL)) ** 2, 1.5, rtol=1e-12)
    assert rf.states_at_range(np.array([0]))[0] == 1.0


def test_density_of_states_counts_all_states_within_range():
    """Omega int_0^r rho = 2^(2r+1) - 2^1 (Eq. 40, coarse-grained count)."""
    for r in (0.5, 3.0, 7.25):
        val, _ = integrate.quad(lambda s: rf.density_of_states_at_range(np.array(s),
                                                                        Omega=OMEGA)[()], 0, r)
        assert OMEGA * val == pytest.approx(2 ** (2 * r + 1) - 2, rel=1e-10)


def test_resonance_probability_is_twice_v_rho_and_first_order_of_eq41():
    r = np.linspace(0, 12, 25)
    for zeta in (MBL, rf.ZETA_C, THERMAL):
        q = rf.resonance_probability(r, zeta=zeta, J=J, Omega=OMEGA)
        v = rf.matrix_element(r, zeta=zeta, J=J)
        rho = rf.density_of_states_at_range(r, Omega=OMEGA)
        assert np.allclose(q, 2 * v * rho, rtol=1e-12)
        # Eq. 41 before expansion: -Omega rho log(1 - 2v/Omega) per unit range
        exact = -OMEGA * rho * np.log1p(-2 * v / OMEGA)
        assert np.allclose(q, exact, rtol=2 * J / OMEGA)


@pytest.mark.parametrize("zeta", [0.3, MBL, rf.ZETA_C, THERMAL])
def test_no_resonance_fraction_solves_eq44(zeta):
    r = np.linspace(0, 30, 16)
    sol = integrate.solve_ivp(
        lambda s, y: -rf.resonance_probability(np.array(s), zeta=zeta, J=J, Omega=OMEGA) * y,
        (0, 30), [1.0], t_eval=r, rtol=1e-12, atol=1e-15)
    F = rf.no_resonance_fraction(r, zeta=zeta, J=J, Omega=OMEGA)
    assert F[0] == 1.0  # F(0) = 1
    assert np.allclose(F, sol.y[0], rtol=1e-9, atol=1e-14)


def test_no_resonance_fraction_at_the_transition_and_eq114():
    r = np.linspace(0, 50, 11)
    F = rf.no_resonance_fraction(r, zeta=rf.ZETA_C, J=J, Omega=OMEGA)
    assert np.allclose(F, np.exp(-r / LAMBDA), rtol=1e-14)
    L = 40
    assert rf.time_averaged_correlator(L, zeta=rf.ZETA_C, J=J, Omega=OMEGA) == pytest.approx(
        math.exp(-L / (2 * LAMBDA)), rel=1e-14)  # Eq. 114, Floquet


@pytest.mark.parametrize("zeta", [MBL, rf.ZETA_C, THERMAL])
def test_p_is_normalised_with_F_at_half_the_chain(zeta):
    """int_0^(L/2) p dr = 1 - F(L/2) (Eqs. 26, 46, 48)."""
    L = 40
    val, _ = integrate.quad(
        lambda r: rf.strongest_resonance_density(np.array(r), zeta=zeta, J=J,
                                                 Omega=OMEGA)[()], 0, L / 2, epsabs=1e-14)
    assert val + rf.time_averaged_correlator(L, zeta=zeta, J=J, Omega=OMEGA) == pytest.approx(
        1.0, abs=1e-12)


def test_time_averaged_correlator_vanishes_smoothly_towards_the_transition():
    """Fig. 2f: [C_zz] -> 0 as zeta -> zeta_c from the MBL side at large L."""
    L = 2000
    values = [rf.time_averaged_correlator(L, zeta=z, J=J, Omega=OMEGA)
              for z in (0.5, 1.0, 1.3, 1.4, 1.44)]
    assert np.all(np.diff(values) < 0)
    assert values[-1] < 1e-3 < values[0]


def test_correlator_quadrature_against_brute_force_trapezoid():
    L = 30
    t = np.array([0.0, 0.3, 3.0, 30.0, 300.0, 3000.0])
    c = rf.correlator(t, zeta=MBL, J=J, Omega=OMEGA, L=L)
    assert c[0] == pytest.approx(1.0, abs=1e-13)  # [C_zz(0)] = 1
    r = np.linspace(0, L / 2, 1_000_001)
    p = rf.strongest_resonance_density(r, zeta=MBL, J=J, Omega=OMEGA)
    v = rf.matrix_element(r, zeta=MBL, J=J)
    base = rf.time_averaged_correlator(L, zeta=MBL, J=J, Omega=OMEGA)
    brute = np.array([base + integrate.trapezoid(p * np.cos(v * tt), r) for tt in t])
    assert np.allclose(c, brute, atol=2e-8)
    assert np.allclose(rf.correlator(-t, zeta=MBL, J=J, Omega=OMEGA, L=L), c, atol=1e-14)


def test_correlator_power_law_tail_eq58_with_its_mellin_prefactor():
    """[C_zz(t)] - [C_zz] -> F(inf) (xi/Lambda) Gamma(1+theta_0) cos(pi theta_0/2) (Jt)^-theta_0.

    The Mellin asymptotics of Eq. 47 for omega_c << 1/t << J (Eq. 58); L is large enough that
    omega_c plays no role.
    """
    L = 400
    th, xi = rf.theta0(MBL), rf.correlation_length(MBL)
    f_inf = rf.time_averaged_correlator(L, zeta=MBL, J=J, Omega=OMEGA)
    t = np.array([1e8, 1e10, 1e12])
    tail = rf.correlator(t, zeta=MBL, J=J, Omega=OMEGA, L=L) - f_inf
    pred = f_inf * xi / LAMBDA * gamma(1 + th) * math.cos(math.pi * th / 2) * (J * t) ** -th
    # corrections are O((Jt)^-theta_0) relative: 1e-3 at Jt = 1e10
    assert np.allclose(tail / pred, 1.0, atol=2e-3)
    # the light-cone approximation has the same exponent, and prefactor F(inf) xi / Lambda
    lc = rf.correlator_light_cone(t, zeta=MBL, J=J, Omega=OMEGA, L=L) - f_inf
    assert np.allclose(lc / (f_inf * xi / LAMBDA * (J * t) ** -th), 1.0, atol=2e-3)


def test_light_cone_front_solves_v_t_equals_one():
    L = 40
    t = np.logspace(0.5, 12, 9)
    r_t = rf.light_cone_front(t, zeta=MBL, J=J, L=L)
    inside = r_t < L / 2
    assert np.allclose(rf.matrix_element(r_t[inside], zeta=MBL, J=J) * t[inside], 1.0, rtol=1e-12)
    assert np.all(r_t[~inside] == L / 2)
    # Eq. 50 as printed: (1/2) zeta_c (1 - theta_0) log(Jt)
    th = rf.theta0(MBL)
    assert np.allclose(r_t[inside], 0.5 * rf.ZETA_C * (1 - th) * np.log(J * t[inside]),
                       rtol=1e-12)
    assert rf.light_cone_front(np.array([0.0, 0.5]), zeta=MBL, J=J, L=L).tolist() == [0, 0]
    # after the cutoff time the light-cone correlator has reached [C_zz] (Eq. 48)
    t_c = 10 / rf.cutoff_frequency(zeta=MBL, J=J, L=L)
    assert rf.correlator_light_cone(np.array([t_c]), zeta=MBL, J=J, Omega=OMEGA, L=L)[0] == \
        pytest.approx(rf.time_averaged_correlator(L, zeta=MBL, J=J, Omega=OMEGA), rel=1e-14)


def test_spectral_function_equals_closed_form_eq53():
    L = 40
    th, xi = rf.theta0(MBL), rf.correlation_length(MBL)
    w_c = rf.cutoff_frequency(zeta=MBL, J=J, L=L)
    w = np.logspace(math.log10(w_c) + 0.01, -0.01, 50)
    x = w / J
    eq53 = (rf.ZETA_C * (1 - th) / (4 * J * LAMBDA) * x ** (-1 + th)
            * np.exp(-xi / LAMBDA * (1 - x ** th)))
    assert np.allclose(rf.spectral_function(w, zeta=MBL, J=J, Omega=OMEGA, L=L), eq53,
                       rtol=1e-12)
    assert np.allclose(rf.spectral_function(-w, zeta=MBL, J=J, Omega=OMEGA, L=L), eq53,
                       rtol=1e-12)
    outside = np.array([0.0, 0.5 * w_c, 1.5 * J])
    assert np.all(rf.spectral_function(outside, zeta=MBL, J=J, Omega=OMEGA, L=L) == 0)


@pytest.mark.parametrize("zeta", [MBL, rf.ZETA_C, THERMAL])
def test_spectral_sum_rule(zeta):
    """int [S] d omega over both signs + [C_zz] = [C_zz(0)] = 1 (Eq. 23 at t = 0)."""
    L = 24
    w_c = rf.cutoff_frequency(zeta=zeta, J=J, L=L)
    val, _ = integrate.quad(
        lambda lw: math.exp(lw) * rf.spectral_function(np.array(math.exp(lw)), zeta=zeta, J=J,
                                                        Omega=OMEGA, L=L)[()],
        math.log(w_c), math.log(J), epsabs=1e-14, limit=200)
    total = 2 * val + rf.time_averaged_correlator(L, zeta=zeta, J=J, Omega=OMEGA)
    assert total == pytest.approx(1.0, abs=1e-10)


def test_cutoff_and_heisenberg_frequencies():
    L = 20
    xi = rf.correlation_length(MBL)
    w_c = rf.cutoff_frequency(zeta=MBL, J=J, L=L)
    assert w_c == pytest.approx(J * math.exp(-L / (2 * xi) - L / rf.ZETA_C), rel=1e-13)
    w_h = rf.heisenberg_frequency(Omega=OMEGA, L=L)
    assert w_h == pytest.approx(OMEGA * 2.0 ** -L, rel=1e-15)
    # Eq. 55 holds up to the O(1) factor 8/zeta_c dropped in the paper
    assert (w_h / LAMBDA) * math.exp(-L / (2 * xi)) / w_c == pytest.approx(8 / rf.ZETA_C,
                                                                           rel=1e-12)


def _log_slope(zeta, w1, w2, L):
    s = rf.spectral_function(np.array([w1, w2]), zeta=zeta, J=J, Omega=OMEGA, L=L)
    return math.log(s[1] / s[0]) / math.log(w2 / w1)


def test_theta_from_the_spectral_slope_in_region_II():
    """Eq. 57 for L >> Lambda: slope of log [S] vs log omega is -1 + theta at low omega."""
    L = 4000
    # deep MBL: theta -> 1 (Fig. 2a)
    deep = 0.05
    slope = _log_slope(deep, 1e-100, 1e-90, L)
    assert slope + 1 == pytest.approx(rf.theta_exponent(deep, J=J, Omega=OMEGA), abs=1e-9)
    assert rf.theta_exponent(deep, J=J, Omega=OMEGA) > 0.93
    # closer to zeta_c the low-frequency exponent theta_0 is smaller ...
    near = rf.ZETA_C * 0.95
    slope = _log_slope(near, 1e-250, 1e-240, L)
    assert slope + 1 == pytest.approx(rf.theta0(near), abs=1e-5)
    assert rf.theta0(near) < 0.03
    # ... but exactly at zeta_c it jumps to theta_c = zeta_c / (2 Lambda) (Eq. 57)
    slope = _log_slope(rf.ZETA_C, 1e-250, 1e-240, L)
    assert slope + 1 == pytest.approx(rf.ZETA_C / (2 * LAMBDA), rel=1e-9)
    assert rf.theta_exponent(rf.ZETA_C, J=J, Omega=OMEGA) == pytest.approx(
        rf.ZETA_C / (2 * LAMBDA), rel=1e-14)
    assert rf.theta_exponent(MBL, J=J, Omega=OMEGA) == rf.theta0(MBL)


def test_theta_effective_is_the_local_slope_and_region_I_value():
    L = 40
    w = np.logspace(-8, -1, 8)
    for zeta in (MBL, rf.ZETA_C, THERMAL):
        th = rf.theta_effective(w, zeta=zeta, J=J, Omega=OMEGA)
        num = np.array([_log_slope(zeta, x * (1 - 1e-6), x * (1 + 1e-6), L) + 1 for x in w])
        assert np.allclose(th, num, atol=1e-6)
    # region I, L << xi: at omega_c the exponent is theta_c + O(theta_0) (Sec. II B 5)
    zeta = rf.ZETA_C * 0.99
    w_c = rf.cutoff_frequency(zeta=zeta, J=J, L=L)
    th = rf.theta_effective(np.array([w_c]), zeta=zeta, J=J, Omega=OMEGA)[0]
    t0 = rf.theta0(zeta)
    assert th == pytest.approx(rf.theta_c(LAMBDA), abs=2 * t0)


def test_crossover_frequency_is_v_at_abs_xi():
    for zeta in (MBL, THERMAL):
        xi = abs(rf.correlation_length(zeta))
        assert rf.crossover_frequency(zeta, J=J) == pytest.approx(
            rf.matrix_element(np.array(xi), zeta=zeta, J=J)[()], rel=1e-12)
    assert rf.crossover_frequency(rf.ZETA_C, J=J) == 0.0


@pytest.mark.parametrize("call", [
    lambda: rf.theta0(0.0),
    lambda: rf.theta0(-1.0),
    lambda: rf.resonance_length(0.0, OMEGA),
    lambda: rf.resonance_length(J, -2.0),
    lambda: rf.no_resonance_fraction(np.array([-1.0]), zeta=MBL, J=J, Omega=OMEGA),
    lambda: rf.time_averaged_correlator(0.5, zeta=MBL, J=J, Omega=OMEGA),
    lambda: rf.correlator(np.array([np.nan]), zeta=MBL, J=J, Omega=OMEGA, L=10),
    lambda: rf.states_at_range(np.array([1.5])),
    lambda: rf.theta_exponent(THERMAL, J=J, Omega=OMEGA),
    lambda: rf.theta_effective(np.array([0.0]), zeta=MBL, J=J, Omega=OMEGA),
    lambda: rf.spectral_function(np.array([0.1]), zeta=MBL, J=J, Omega=OMEGA, L=0),
])
def test_bad_input_raises(call):
    with pytest.raises(ValueError, match=r"not allowed|contains|defined"):
        call()


def test_error_names_argument_and_value():
    with pytest.raises(ValueError, match=r"zeta=-0\.5 .*> 0"):
        rf.theta0(-0.5)
    with pytest.raises(ValueError, match=r"L=0\.5 .*>= 1"):
        rf.cutoff_frequency(zeta=MBL, J=J, L=0.5)
