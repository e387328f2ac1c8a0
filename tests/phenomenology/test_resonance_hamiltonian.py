"""Hamiltonian resonance model (resonance-model-crossover.txt Sec. III, Eqs. 67, 76-93, B1).

References: Eq. 91 against a SciPy ODE integration of Eq. 90; the closed form of Eq. 93 against
the implementation through p(r); the spectral sum rule; the composition of Eqs. 76, 77 and 80.
"""

import math

import numpy as np
import pytest
from scipy import integrate

from mblkit.phenomenology import loss_diffusion as ld
from mblkit.phenomenology import resonance_floquet as rf
from mblkit.phenomenology import resonance_hamiltonian as rh

J, W = 1.0, 8.0
LAMBDA = rh.resonance_length(W=W, J=J)


def test_resonance_length_eq83():
    assert LAMBDA == pytest.approx(math.pi * (rf.ZETA_C * W / (4 * J)) ** 2, rel=1e-14)
    # "Lambda ~ W^2/J^2 up to pi / (4 log 2)^2 ~ 0.41"
    assert LAMBDA / (W / J) ** 2 == pytest.approx(math.pi / (4 * math.log(2)) ** 2, rel=1e-14)


def test_local_energy_width_is_reached_by_diffusion_from_r_minus_half():
    """s_e^2 = W^2 (2r + 1): the variance of diffusion with constant W^2 from r = -1/2 (Eq. 81)."""
    r = np.array([-0.5, 0.0, 3.0, 100.0])
    assert np.allclose(rh.local_energy_width(r, W=W) ** 2, 2 * W ** 2 * (r + 0.5), rtol=1e-14)


@pytest.mark.parametrize("inv_xi", [0.4, 0.02, 0.0, -0.02, -0.3])
def test_f1_closed_form_eq91_against_ode_eq90(inv_xi):
    """Eq. 91 (Erf / Erfi / exp(-sqrt(r/Lambda))) against solve_ivp of Eq. 90 in u = sqrt(r).

    Integrated for log F_1 (dF/dr = -q F), so that the thermal side, where F_1 falls to
    exp(-1e10), is compared in relative terms.
    """
    lam = 30.0
    r = np.array([1e-4, 0.1, 1.0, 10.0, 40.0, 90.0])
    # d log F/dr = -exp(-r/xi) / sqrt(4 lam r)  <=>  d log F/du = -exp(-u^2/xi) / sqrt(lam)
    sol = integrate.solve_ivp(lambda u, y: [-math.exp(-inv_xi * u * u) / math.sqrt(lam)],
                              (0.0, math.sqrt(r[-1])), [0.0], t_eval=np.sqrt(r), rtol=1e-12,
                              atol=1e-14)
    with np.errstate(divide="ignore"):
        log_f = np.log(rh.no_resonance_fraction_f1(r, inv_xi=inv_xi, Lambda=lam))
    finite = np.isfinite(log_f)
    assert finite.sum() >= 4
    assert np.allclose(log_f[finite], sol.y[0][finite], rtol=1e-9)
    assert np.all(sol.y[0][~finite] < -745)  # F_1 underflows only where it must
    assert rh.no_resonance_fraction_f1(np.array([0.0]), inv_xi=inv_xi, Lambda=lam)[0] == 1.0


def test_f1_printed_forms_and_limits():
    r = np.linspace(0.5, 80, 12)
    lam = 25.0
    xi = 7.0
    erf_form = np.exp(-math.sqrt(math.pi * xi / (4 * lam)) * np.vectorize(math.erf)(
        np.sqrt(r / xi)))
    assert np.allclose(rh.no_resonance_fraction_f1(r, inv_xi=1 / xi, Lambda=lam), erf_form,
                       rtol=1e-13)
    # B1: at 1/xi = 0, F_1 = exp(-sqrt(r / Lambda)); Eq. 114: [C_zz] = exp(-sqrt(L / 2Lambda))
    assert np.allclose(rh.no_resonance_fraction_f1(r, inv_xi=0.0, Lambda=lam),
                       np.exp(-np.sqrt(r / lam)), rtol=1e-14)
    L = 30
    assert rh.time_averaged_correlator(L, zeta=rf.ZETA_C, J=J, W=W) == pytest.approx(
        math.exp(-math.sqrt(L / (2 * LAMBDA))), rel=1e-13)
    # continuity through the transition and no overflow deep on the thermal side
    near = [rh.no_resonance_fraction_f1(r, inv_xi=s * 1e-10, Lambda=lam) for s in (-1, 0, 1)]
    assert np.allclose(near[0], near[1], rtol=1e-8) and np.allclose(near[2], near[1], rtol=1e-8)
    assert rh.no_resonance_fraction_f1(np.array([1e4]), inv_xi=-0.5, Lambda=lam)[0] == 0.0


def test_resonance_probability_eq82():
    zeta, h = 1.0, W
    r = np.array([0.5, 4.0, 30.0])
    # at the centre of the opposite sector e = -h/2 it is the typical q of Eq. 89
    q_mid = rh.resonance_probability(-h / 2, r, zeta=zeta, J=J, W=W, h=h)
    assert np.allclose(q_mid, rh.typical_resonance_probability(r, zeta=zeta, J=J, W=W),
                       rtol=1e-14)
    # the symmetry (e, sigma) -> (-e, -sigma) of Eq. 87
    e = np.linspace(-40, 40, 9)[:, None]
    up = rh.resonance_probability(e, r, zeta=zeta, J=J, W=W, h=h, sigma=1)
    down = rh.resonance_probability(-e, r, zeta=zeta, J=J, W=W, h=h, sigma=-1)
    assert np.allclose(up, down, rtol=1e-14)
    # the e dependence is a Gaussian of variance 2 W^2 r
    ratio = rh.resonance_probability(-h / 2 + W, r, zeta=zeta, J=J, W=W, h=h) / q_mid
    assert np.allclose(ratio, np.exp(-1 / (4 * r)), rtol=1e-14)


def test_eq82_against_composition_of_eqs_76_77_80():
    """q = 2 rho v with Eqs. 77 and 80 (s_e -> W sqrt(2r)) is 2 x Eq. 82 with Lambda of Eq. 83.

    This pins the paper's convention: Eq. 83 is 4 times the Lambda that the composition gives.
    """
    zeta, h = 1.1, 2.0
    r = np.array([3.0, 20.0, 200.0])
    e = np.array([[-1.0], [0.5], [7.0]])
    s_e = W * np.sqrt(2 * r)
    e_opp = -h / 2
    rho = 4 / (rf.ZETA_C * s_e * math.sqrt(2 * math.pi)) * np.exp(
        2 * r / rf.ZETA_C - 0.5 * ((e - e_opp) / s_e) ** 2)
    v = J * np.exp(-r * rf.inverse_correlation_length(zeta) - 2 * r / rf.ZETA_C)
    q82 = rh.resonance_probability(e, r, zeta=zeta, J=J, W=W, h=h)
    assert np.allclose(2 * rho * v, 2 * q82, rtol=1e-12)


def test_derived_lambda_against_a_numerical_derivative_of_eq78():
    """q = 2 rho v with rho = d/dr of the state count of Eq. 78, differentiated numerically with
    the exact s_e = W sqrt(2r + 1) of Eq. 67, and v of Eq. 77: tends to Eq. 82 with the derived
    Lambda (= Eq. 83 / 4), i.e. twice the printed rate, with O(1/r) corrections."""
    h = 2.0
    e_opp = -h / 2
    assert rh.resonance_length(W=W, J=J, form="derived") == pytest.approx(
        math.pi * (rf.ZETA_C * W / (8 * J)) ** 2, rel=1e-14)

    def log_count(e, r):  # log of Eq. 78: 2^(2r+1) N(e; e_opp, s_e^2)
        s_e = W * np.sqrt(2 * r + 1)
        return ((2 * r + 1) * math.log(2) - np.log(s_e * math.sqrt(2 * math.pi))
                - 0.5 * ((e - e_opp) / s_e) ** 2)

    for r in (30.0, 300.0, 3000.0):
        for e in (e_opp, e_opp + 0.3 * W * math.sqrt(2 * r)):
            dr = 1e-4 * r
            slope = (log_count(e, r + dr) - log_count(e, r - dr)) / (2 * dr)
            log_v = math.log(J) - 2 * r / rf.ZETA_C  # Eq. 77 at zeta = zeta_c (1/xi = 0)
            q_counted = 2 * math.exp(log_count(e, r) + log_v) * slope
            q_derived = rh.resonance_probability(e, np.array(r), zeta=rf.ZETA_C, J=J, W=W, h=h,
                                                 form="derived")[()]
            q_printed = rh.resonance_probability(e, np.array(r), zeta=rf.ZETA_C, J=J, W=W, h=h)
            assert abs(q_counted / q_derived - 1) < 1.0 / r
            assert q_printed / q_counted == pytest.approx(0.5, abs=0.5 / r)


def test_energy_averaged_rate_against_quadrature_over_gaussian_f():
    """Eq. 82 averaged over f ~ N(0, s^2) at h = 0 (s^2 = 2 W^2 r) is Eq. 89 / sqrt(2), by
    quadrature; over N(h/2, s^2) at h != 0 it is mean_resonance_probability."""
    zeta = 1.2

    def averaged(r, h):  # f about e_up = h/2, variance s^2: N(0, s^2) at h = 0
        s = W * math.sqrt(2 * r)

        def integrand(e):
            q = rh.resonance_probability(e, np.array(r), zeta=zeta, J=J, W=W, h=h)[()]
            return q * math.exp(-(e - h / 2) ** 2 / (2 * s * s)) / (s * math.sqrt(2 * math.pi))

        return integrate.quad(integrand, h / 2 - 12 * s, h / 2 + 12 * s, epsabs=0,
                              epsrel=1e-12, limit=200)[0]

    for h in (0.0, 2.0 * W):
        for r in (0.3, 5.0, 80.0):
            mean = rh.mean_resonance_probability(np.array(r), zeta=zeta, J=J, W=W, h=h)[()]
            assert averaged(r, h) == pytest.approx(mean, rel=1e-9)
            typical = rh.typical_resonance_probability(np.array(r), zeta=zeta, J=J, W=W)[()]
            if h == 0:
                assert mean / typical == pytest.approx(1 / math.sqrt(2), rel=1e-12)
            else:  # exp(-h^2 / (8 W^2 r)) / sqrt(2) -> 1/sqrt(2) at r >> h^2 / W^2
                assert mean / typical < 1 / math.sqrt(2)
    assert rh.effective_resonance_length(W=W, J=J, energy="averaged") == pytest.approx(
        2 * LAMBDA, rel=1e-14)
    assert rh.effective_resonance_length(W=W, J=J, form="derived",
                                         energy="averaged") == pytest.approx(LAMBDA / 2, rel=1e-14)


def test_true_f_at_r_below_lambda_is_f1_with_twice_lambda():
    """The deterministic solution of Eq. 86 (loss of Eq. C3, h = 0) at 1 << r <~ Lambda follows
    F_1 with Lambda -> 2 Lambda (energy="averaged"), not Eq. 91 at Lambda (Fig. 11's small r)."""
    lam = 1000.0
    r = np.array([10.0, 30.0, 100.0, 300.0, 1000.0])
    true = ld.solve_loss_diffusion(ld.ResonanceLossDiffusion(Lambda=lam, h=0.0), r,
                                   n_cells=201).F
    avg = rh.no_resonance_fraction_f1(r, inv_xi=0.0, Lambda=2 * lam)
    typ = rh.no_resonance_fraction_f1(r, inv_xi=0.0, Lambda=lam)
    gap_avg, gap_typ = np.abs(true - avg), np.abs(true - typ)
    assert np.all(gap_avg[:4] < 0.05 * gap_typ[:4]) and gap_avg[4] < 0.1 * gap_typ[4]
    assert np.all(true >= avg - 1e-9)  # depletion only slows the decay (Jensen)
    # the same through the (zeta, J, W) interface at zeta = zeta_c
    lam_w = rh.resonance_length(W=W, J=J)
    np.testing.assert_allclose(
        rh.no_resonance_fraction(r * lam_w / lam, zeta=rf.ZETA_C, J=J, W=W, energy="averaged"),
        avg, rtol=1e-12)


def test_options_propagate_to_c_zz_and_spectral_function():
    zeta, L = 1.2, 30
    for form, energy in (("derived", "typical"), ("printed", "averaged"),
                         ("derived", "averaged")):
        lam = rh.effective_resonance_length(W=W, J=J, form=form, energy=energy)
        inv_xi = rf.inverse_correlation_length(zeta)
        c = rh.time_averaged_correlator(L, zeta=zeta, J=J, W=W, form=form, energy=energy)
        assert c == pytest.approx(float(rh.no_resonance_fraction_f1(
            np.array(L / 2), inv_xi=inv_xi, Lambda=lam)), rel=1e-13)
        w_c = rf.cutoff_frequency(zeta=zeta, J=J, L=L)
        val, _ = integrate.quad(
            lambda lw, f=form, en=energy: math.exp(lw) * rh.spectral_function(
                np.array(math.exp(lw)), zeta=zeta, J=J, W=W, L=L, form=f, energy=en)[()],
            math.log(w_c), 0.0, limit=200, epsabs=1e-14)
        assert 2 * val + c == pytest.approx(1.0, abs=1e-10)
    # a larger resonance rate leaves fewer states without a resonance
    cs = [rh.time_averaged_correlator(L, zeta=zeta, J=J, W=W, form=f)
          for f in ("printed", "derived")]
    assert cs[1] < cs[0]


@pytest.mark.parametrize("zeta", [0.9, 1.3, rf.ZETA_C, 1.6])
def test_spectral_sum_rule(zeta):
    L = 30
    w_c = rf.cutoff_frequency(zeta=zeta, J=J, L=L)
    val, _ = integrate.quad(
        lambda lw: math.exp(lw) * rh.spectral_function(np.array(math.exp(lw)), zeta=zeta, J=J,
                                                        W=W, L=L)[()],
        math.log(w_c), 0.0, limit=200, epsabs=1e-14)
    assert 2 * val + rh.time_averaged_correlator(L, zeta=zeta, J=J, W=W) == pytest.approx(
        1.0, abs=1e-10)


def test_spectral_function_equals_first_line_of_eq93():
    zeta, L = 1.0, 40
    th, xi = rf.theta0(zeta), rf.correlation_length(zeta)
    w_c = rf.cutoff_frequency(zeta=zeta, J=J, L=L)
    w = np.logspace(math.log10(w_c) + 0.01, -0.05, 40)
    lg = np.log(J / w)
    eq93 = (1 / (4 * J) * np.sqrt(rf.ZETA_C * (1 - th) / (2 * LAMBDA * lg)) * (w / J) ** (-1 + th)
            * np.exp(-math.sqrt(math.pi * xi / (4 * LAMBDA))
                     * np.vectorize(math.erf)(np.sqrt(th * lg))))
    assert np.allclose(rh.spectral_function(w, zeta=zeta, J=J, W=W, L=L), eq93, rtol=1e-11)
    assert np.all(rh.spectral_function(np.array([0.0, 0.3 * w_c, 2 * J]), zeta=zeta, J=J, W=W,
                                       L=L) == 0)


def test_log_corrected_one_over_omega_at_the_transition_eq111():
    """At zeta = zeta_c, [S] = F_1(r_omega) / (4 omega sqrt(2 Lambda log(J/omega) / zeta_c)):

    theta = 0+ with the 1/sqrt(log) correction of Eq. 111 once F_1 ~ 1 (L << Lambda).
    """
    L = 20
    w = np.logspace(-6, -1, 6)
    s = rh.spectral_function(w, zeta=rf.ZETA_C, J=J, W=W, L=L)
    r_w = np.log(J / w) / rf.matrix_element_decay_rate(rf.ZETA_C)
    f1 = rh.no_resonance_fraction_f1(r_w, inv_xi=0.0, Lambda=LAMBDA)
    pred = f1 / (4 * w * np.sqrt(2 * LAMBDA * np.log(J / w) / rf.ZETA_C))
    assert np.allclose(s, pred, rtol=1e-12)


@pytest.mark.parametrize("call", [
    lambda: rh.resonance_length(W=0.0, J=J),
    lambda: rh.resonance_probability(0.0, np.array([0.0]), zeta=1.0, J=J, W=W, h=1.0),
    lambda: rh.resonance_probability(0.0, np.array([1.0]), zeta=1.0, J=J, W=W, h=1.0, sigma=0),
    lambda: rh.no_resonance_fraction_f1(np.array([1.0]), inv_xi=0.0, Lambda=-1.0),
    lambda: rh.no_resonance_fraction_f1(np.array([-1.0]), inv_xi=0.0, Lambda=1.0),
    lambda: rh.local_energy_width(np.array([-1.0]), W=W),
    lambda: rh.time_averaged_correlator(0.0, zeta=1.0, J=J, W=W),
    lambda: rh.spectral_function(np.array([0.1]), zeta=0.0, J=J, W=W, L=10),
    lambda: rh.resonance_length(W=W, J=J, form="eq76"),
    lambda: rh.effective_resonance_length(W=W, J=J, energy="mean"),
    lambda: rh.time_averaged_correlator(10, zeta=1.0, J=J, W=W, form="Derived"),
    lambda: rh.mean_resonance_probability(np.array([0.0]), zeta=1.0, J=J, W=W, h=1.0),
])
def test_bad_input_raises(call):
    with pytest.raises(ValueError):
        call()
