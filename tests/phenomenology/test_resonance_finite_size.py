"""Finite-size predictions of the resonance model (resonance-model-crossover.txt Sec. V, App. D)."""

import math

import numpy as np
import pytest
from scipy import optimize

from mblkit.phenomenology import resonance_finite_size as fs
from mblkit.phenomenology import resonance_floquet as rf
from mblkit.phenomenology import resonance_hamiltonian as rh

W_C, J = 10.0, 1.0  # Fig. 9
L_FIG9 = np.arange(5, 61, 5, dtype=float)


def test_w_delta_solves_eq116_and_drifts_up_with_L():
    delta = 0.01
    wd = fs.w_delta(L_FIG9, delta=delta, W_c=W_C, J=J)
    for L, w in zip(L_FIG9, wd, strict=True):
        assert fs.time_averaged_correlator(np.array(w), L=L, W_c=W_C, J=J) == pytest.approx(
            delta, rel=1e-9)
    assert np.all(np.diff(wd) > 0)
    assert np.all(wd < W_C)  # the crossover sits on the thermal side of W_c at these sizes
    far = fs.w_delta(np.array([1000.0]), delta=delta, W_c=W_C, J=J)[0]
    assert abs(far / W_C - 1) < 0.01


def test_lambda_options_reach_c_zz_s_p_and_w_delta():
    """form/energy set Lambda(W) = effective_resonance_length(W) everywhere in Sec. V."""
    L, delta = 20.0, 0.01
    W = np.array([6.0, 10.0, 15.0])
    results = {}
    for form, energy in (("printed", "typical"), ("derived", "typical"),
                         ("printed", "averaged"), ("derived", "averaged")):
        lam = np.array([rh.effective_resonance_length(W=w, J=J, form=form, energy=energy)
                        for w in W])
        c = fs.time_averaged_correlator(W, L=L, W_c=W_C, J=J, form=form, energy=energy)
        ref = [rh.no_resonance_fraction_f1(np.array(L / 2), inv_xi=math.log(w / W_C),
                                           Lambda=la)[()] for w, la in zip(W, lam, strict=True)]
        np.testing.assert_allclose(c, ref, rtol=1e-13)
        np.testing.assert_allclose(fs.probe_entropy(W, L=L, W_c=W_C, J=J, form=form,
                                                    energy=energy), math.log(2) * (1 - c))
        big = fs.probe_entropy(np.array([15.0]), L=1e6, W_c=W_C, J=J, form=form, energy=energy)
        assert big == pytest.approx(fs.probe_entropy_infinite_size(
            np.array([15.0]), W_c=W_C, J=J, form=form, energy=energy), rel=1e-6)
        wd = fs.w_delta(np.array([L]), delta=delta, W_c=W_C, J=J, form=form, energy=energy)[0]
        assert fs.time_averaged_correlator(np.array(wd), L=L, W_c=W_C, J=J, form=form,
                                           energy=energy) == pytest.approx(delta, rel=1e-9)
        results[form, energy] = wd
    # a larger resonance rate (smaller Lambda) needs stronger disorder to keep [C_zz] = delta
    order = [("printed", "averaged"), ("printed", "typical"), ("derived", "averaged"),
             ("derived", "typical")]  # effective Lambda / Eq. 83 = 2, 1, 1/2, 1/4
    assert np.all(np.diff([results[k] for k in order]) > 0)
    with pytest.raises(ValueError, match="form"):
        fs.w_delta(np.array([L]), delta=delta, W_c=W_C, J=J, form="eq80")


def test_w_delta_against_eq117():
    """Eq. 117 with a fitted ell_delta follows the numerical root within 2.1% for L = 5 ... 60."""
    wd = fs.w_delta(L_FIG9, delta=0.01, W_c=W_C, J=J)
    ell = fs.fit_ell_delta(L_FIG9, wd, W_c=W_C)
    closed = fs.w_delta_closed_form(L_FIG9, W_c=W_C, ell_delta=ell)
    assert np.max(np.abs(closed / wd - 1)) < 0.025
    assert 5 < ell < 10


def test_w_delta_approaches_the_asymptotics_of_app_d():
    """For delta -> 0 (x = L / 2|xi| >> 1, Eq. D5) the root obeys Eq. D6.

    Redone with Lambda(W) = (W/W_c)^2 Lambda(W_c) and log(W/W_c) = -1/|xi|, Eq. D6 reads
    (L + 2) / (2|xi|) = log(|log delta| sqrt(2 L Lambda(W_c)) / |xi|); its solution must approach
    the numerical root as delta decreases, the error falling like 1/x^2.
    """
    lam_c = rh.resonance_length(W=W_C, J=J)
    L = 20.0
    errors = []
    for delta in (1e-4, 1e-12, 1e-40):
        a_num = -math.log(fs.w_delta(np.array([L]), delta=delta, W_c=W_C, J=J)[0] / W_C)

        def d6(a, delta=delta):
            return (L + 2) * a / 2 - math.log(abs(math.log(delta)) * math.sqrt(2 * L * lam_c) * a)

        a_asym = optimize.brentq(d6, 2 / (L + 2), 50.0)
        errors.append(abs(a_asym / a_num - 1))
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.015


def test_probe_entropy_eq120():
    W = np.array([2.0, 5.0, 8.0, 10.0, 12.0, 20.0, 50.0])
    s20 = fs.probe_entropy(W, L=20, W_c=W_C, J=J)
    s40 = fs.probe_entropy(W, L=40, W_c=W_C, J=J)
    assert np.all((s20 >= 0) & (s20 <= math.log(2)))
    assert np.all(np.diff(s20) <= 0)  # less entangled at stronger disorder ...
    assert np.all(np.diff(s20[2:]) < 0)  # ... strictly once off the thermal value log 2
    assert np.all(s40 >= s20)  # more resonances in longer chains
    # [S_P] = log 2 (1 - F_1(L/2)) with Eq. 91 directly
    w = 12.0
    f1 = rh.no_resonance_fraction_f1(np.array(10.0), inv_xi=math.log(w / W_C),
                                     Lambda=rh.resonance_length(W=w, J=J))
    assert fs.probe_entropy(np.array([w]), L=20, W_c=W_C, J=J)[0] == pytest.approx(
        math.log(2) * (1 - f1), rel=1e-14)
    # large L converges to the dashed L -> infinity curve of Fig. 9
    inf = fs.probe_entropy_infinite_size(W, W_c=W_C, J=J)
    assert np.allclose(fs.probe_entropy(W, L=1e7, W_c=W_C, J=J), inf, atol=1e-3)
    assert np.all(inf[W <= W_C] == math.log(2))


def test_thouless_frequency_eq122():
    """omega_Th = omega_xi xi^2 / L^2 up to the factor e dropped in Eq. 122 (thermal side)."""
    L = 16
    for zeta in (1.6, 2.0, 4.0):
        xi = rf.correlation_length(zeta)
        w_xi = rf.crossover_frequency(zeta, J=J)
        assert fs.thouless_frequency(np.array(xi), L=L, J=J) == pytest.approx(
            w_xi * xi ** 2 / (math.e * L ** 2), rel=1e-12)
    # exponentially small in |xi|, i.e. in the distance to the transition (Eq. 121)
    xi = -np.array([5.0, 10.0, 20.0])
    w = fs.thouless_frequency(xi, L=L, J=J) * L ** 2 / xi ** 2
    assert np.allclose(np.diff(np.log(w)) / np.diff(np.abs(xi)), -2 / rf.ZETA_C)


def test_mean_log_fidelity_susceptibility_eq126():
    lam, U = 20.0, 1.0
    omega = 8 * lam * J / rf.ZETA_C
    c = 2 * math.log(4 * U / (rf.ZETA_C * omega))
    for L in (10.0, 40.0, 400.0):
        h = L / 2
        # at zeta = zeta_c, s(r) = e^(-(L/2 - r)/Lambda) / Lambda: integrate by hand
        frac = -math.expm1(-h / lam)
        closed = c * frac + 4 / rf.ZETA_C * (h - lam * frac)
        val = fs.mean_log_fidelity_susceptibility(L, zeta=rf.ZETA_C, J=J, Omega=omega, U=U)
        assert val == pytest.approx(closed, rel=1e-10)
    # "maximal chaos" (Eq. 125): [log chi] / L -> 2 log 2 as L / Lambda grows
    per_site = [fs.mean_log_fidelity_susceptibility(L, zeta=rf.ZETA_C, J=J, Omega=omega, U=U) / L
                for L in (400.0, 4000.0, 40000.0)]
    gaps = [abs(p - 2 * math.log(2)) for p in per_site]
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 0.01
    # in the MBL phase it does not grow with L
    mbl = [fs.mean_log_fidelity_susceptibility(L, zeta=0.5, J=J, Omega=omega, U=U)
           for L in (40.0, 80.0)]
    assert mbl[1] == pytest.approx(mbl[0], rel=1e-6)


def test_expected_resonance_number_eq128():
    omega = 8 * 20.0 * J / rf.ZETA_C
    lam = 20.0
    for zeta in (0.7, rf.ZETA_C, 1.8):
        for L in (10.0, 30.0):
            n = fs.expected_resonance_number(L, zeta=zeta, J=J, Omega=omega)
            assert n == pytest.approx(
                -math.log(rf.time_averaged_correlator(L, zeta=zeta, J=J, Omega=omega)),
                rel=1e-12)
    xi = rf.correlation_length(0.7)
    assert fs.expected_resonance_number(1e4, zeta=0.7, J=J, Omega=omega) == pytest.approx(
        xi / lam, rel=1e-12)  # saturates in the MBL phase (Eq. 131)
    assert fs.expected_resonance_number(30.0, zeta=rf.ZETA_C, J=J, Omega=omega) == \
        pytest.approx(15 / lam)
    # thermal side: grows as exp(L / 2|xi|)
    xi = abs(rf.correlation_length(1.8))
    grow = [fs.expected_resonance_number(L, zeta=1.8, J=J, Omega=omega) for L in (300, 400)]
    assert math.log(grow[1] / grow[0]) / 100 == pytest.approx(1 / (2 * xi), rel=1e-6)


@pytest.mark.parametrize("call", [
    lambda: fs.w_delta(np.array([10.0]), delta=1.5, W_c=W_C, J=J),
    lambda: fs.w_delta(np.array([0.5]), delta=0.01, W_c=W_C, J=J),
    lambda: fs.w_delta(np.array([10.0]), delta=0.01, W_c=-1.0, J=J),
    lambda: fs.probe_entropy(np.array([-1.0]), L=10, W_c=W_C, J=J),
    lambda: fs.probe_entropy(np.array([1.0]), L=0, W_c=W_C, J=J),
    lambda: fs.thouless_frequency(np.array([0.0]), L=10, J=J),
    lambda: fs.fit_ell_delta(np.array([5.0, 10.0]), np.array([1.0]), W_c=W_C),
    lambda: fs.mean_log_fidelity_susceptibility(10.0, zeta=1.0, J=J, Omega=10.0, U=0.0),
])
def test_bad_input_raises(call):
    with pytest.raises(ValueError):
        call()
