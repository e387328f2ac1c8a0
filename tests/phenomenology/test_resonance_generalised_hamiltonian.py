"""Generalised Hamiltonian resonance model (resonance-model-crossover.txt Secs. III B and IV A).

References: the closed-form Hamiltonian RM (Eqs. 76-93, :mod:`resonance_hamiltonian`, which
evaluates F_1 by Erf/Erfi) against the generalised route of Eqs. 100-102 fed with the model's
own varrho (quadrature of v varrho); the energy average against a quadrature over the
reference's local energy; and "measured" pairs (|V_ba|, E_b - E_a) sampled from the model's
ranges and local energies against the analytic F within their Monte-Carlo error.
"""

import math

import numpy as np
import pytest
from scipy import integrate

from mblkit.phenomenology import resonance_floquet as rf
from mblkit.phenomenology import resonance_generalised as rg
from mblkit.phenomenology import resonance_generalised_hamiltonian as rgh
from mblkit.phenomenology import resonance_hamiltonian as rh

J, W = 1.0, 8.0


@pytest.mark.parametrize("zeta", [0.9, 1.25, rf.ZETA_C, 1.6])
@pytest.mark.parametrize("form", ["derived", "printed"])
def test_model_varrho_reproduces_the_closed_form_hamiltonian_model(zeta, form):
    """F(v) = F_1(r_v) (Eq. 91), p(v) dv = p(r) dr, [S(omega)] = Eq. 93, [C_zz] = F_1(L/2)."""
    L = 30
    varrho = rgh.model_density(zeta=zeta, J=J, W=W, L=L, form=form)
    k = rf.matrix_element_decay_rate(zeta)
    v = np.logspace(math.log10(varrho.v_min) + 1e-6, -1e-6, 9)
    r_v = np.log(J / v) / k
    np.testing.assert_allclose(rg.no_resonance_fraction(v, varrho),
                               rh.no_resonance_fraction(r_v, zeta=zeta, J=J, W=W, form=form),
                               rtol=1e-8)
    np.testing.assert_allclose(rg.strongest_resonance_density(v, varrho) * k * v,
                               rh.strongest_resonance_density(r_v, zeta=zeta, J=J, W=W,
                                                              form=form), rtol=1e-8)
    np.testing.assert_allclose(rg.spectral_function(-v, varrho),
                               rh.spectral_function(v, zeta=zeta, J=J, W=W, L=L, form=form),
                               rtol=1e-8)
    assert rg.time_averaged_correlator(varrho) == pytest.approx(
        rh.time_averaged_correlator(L, zeta=zeta, J=J, W=W, form=form), rel=1e-8)


def test_model_varrho_is_eq80_times_eq77_and_not_the_printed_lambda():
    """2 v varrho(v) k v = q(r_v) = 2 rho v of Eqs. 76, 77 and 80, written out here."""
    zeta, L = 1.1, 40
    varrho = rgh.model_density(zeta=zeta, J=J, W=W, L=L)
    k = rf.matrix_element_decay_rate(zeta)
    r = np.array([0.5, 3.0, 12.0])
    v = J * np.exp(-k * r)
    s_e = W * np.sqrt(2 * r)
    rho80 = 4 / (rf.ZETA_C * s_e * math.sqrt(2 * math.pi)) * np.exp(2 * r / rf.ZETA_C)
    np.testing.assert_allclose(varrho(v) * k * v, rho80, rtol=1e-12)
    # the printed Eq. 83 would need half of that density: F differs at L/2
    assert rg.time_averaged_correlator(varrho) < rh.time_averaged_correlator(
        L, zeta=zeta, J=J, W=W) - 0.05


def test_energy_averaged_varrho_is_the_quadrature_over_the_reference_energy():
    """model_density_averaged = int de N(e; h, s_e^2) model_density(offset = e) at each v, and
    at h = 0 it gives F_1 with twice the resonance length (energy="averaged")."""
    zeta, L, h = 1.3, 30, 0.7 * W
    avg = rgh.model_density_averaged(zeta=zeta, J=J, W=W, L=L, h=h)
    k = rf.matrix_element_decay_rate(zeta)
    for r in (0.4, 4.0, 14.0):
        v = J * math.exp(-k * r)
        s = W * math.sqrt(2 * r)

        def integrand(e, v=v, s=s):
            dens = rgh.model_density(zeta=zeta, J=J, W=W, L=L, offset=e)
            return float(dens(np.array([v]))[0]) * math.exp(-(e - h) ** 2 / (2 * s * s)) \
                / (s * math.sqrt(2 * math.pi))

        val, _ = integrate.quad(integrand, h - 12 * s, h + 12 * s, epsabs=0, epsrel=1e-11,
                                limit=200)
        assert float(avg(np.array([v]))[0]) == pytest.approx(val, rel=1e-8)
    at0 = rgh.model_density_averaged(zeta=zeta, J=J, W=W, L=L, h=0.0)
    v = np.logspace(math.log10(at0.v_min) + 1e-6, -1e-6, 7)
    np.testing.assert_allclose(
        rg.no_resonance_fraction(v, at0),
        rh.no_resonance_fraction(np.log(J / v) / k, zeta=zeta, J=J, W=W, form="derived",
                                 energy="averaged"), rtol=1e-8)


def _sampled_pairs(zeta, L, h, n, rng):
    """Pairs (|V_ba|, E_b - E_a) of one reference state, sampled from the model: ranges r with
    density 1/(2 sqrt(r R)) on [0, R = L/2] (matching the r^(-1/2) of the pair density at
    E_b = E_a), weighted by the partner count (4/zeta_c) e^(2r/zeta_c) per unit range (Eq. 80
    integrated over e) over that density; reference and partner local energies independent
    Gaussians of variance 2 W^2 r about h (reference's sector) and 0 (partner sector)."""
    R = L / 2
    r = R * rng.random(n) ** 2
    weights = 4 / rf.ZETA_C * np.exp(2 * r / rf.ZETA_C) * 2 * np.sqrt(r * R) / n
    s = W * np.sqrt(2 * r)
    e_a = h + s * rng.standard_normal(n)
    e_b = s * rng.standard_normal(n)
    v = J * np.exp(-rf.matrix_element_decay_rate(zeta) * r)
    return v, e_b - e_a, weights


@pytest.mark.parametrize("h", [0.0, 1.0 * W])
def test_measured_pairs_at_fixed_energy_difference_reproduce_the_model(h):
    """varrho from sampled pairs at omega = 0 +- window/2 gives the resonance count
    N(v) = -log F(v) of the energy-averaged model within 4 Monte-Carlo standard errors plus
    the window's bias. At h = 0 the pair density at E_b = E_a diverges as r^(-1/2) at r -> 0
    (s_e = W sqrt(2r) of Eq. 82), which no finite window resolves, so there the count is
    compared between r = 1 and r_v, where the bias is < window^2 / (96 W^2) = 0.07%; it is
    also the closed form of Eq. 91 with Lambda -> 2 Lambda' (energy="averaged")."""
    zeta, L = rf.ZETA_C, 20
    k = rf.matrix_element_decay_rate(zeta)
    rng = np.random.default_rng(1212)
    v, omega, w = _sampled_pairs(zeta, L, h, 400_000, rng)
    window = 0.25 * W
    measured = rgh.density_at_energy_difference(v, omega, omega_0=0.0, window=window,
                                                n_reference=1, weights=w, bins_per_decade=40)
    model = rgh.model_density_averaged(zeta=zeta, J=J, W=W, L=L, h=h)
    v_top = J * math.exp(-k) if h == 0 else J  # r >= 1 at h = 0
    v_test = J * np.exp(-k * np.array([2.0, 4.0, 7.0, 9.5]))
    v_test = measured.edges[np.searchsorted(measured.edges, v_test)]  # on bin edges: exact

    def count(dens, x):  # 2 int_x^v_top v' varrho dv'
        return 2 * (dens.first_moment_above(np.asarray(x)) - dens.first_moment_above(
            np.array(v_top)))

    inside = np.abs(omega) <= window / 2
    for x in v_test:
        terms = np.where(inside & (v >= x) & (v < v_top), 2 * w * v / window, 0.0)
        err = terms.std() * math.sqrt(terms.size)
        nm, nt = float(count(measured, x)), float(count(model, x))
        assert abs(nm - nt) < 4 * err + 0.001 * nt
        assert err < 0.03 * nt  # the check resolves N(v) to a few per cent
        if h == 0:
            r_x = np.log(J / np.array([x, v_top])) / k
            closed = -np.log(rh.no_resonance_fraction(r_x, zeta=zeta, J=J, W=W, form="derived",
                                                      energy="averaged"))
            assert nt == pytest.approx(closed[0] - closed[1], rel=1e-7)


def test_density_at_energy_difference_normalisation_and_window():
    """Every pair in the window counts once per reference state and unit energy; pairs outside
    the window do not; the bin integral is the partner density of states in the window."""
    rng = np.random.default_rng(3)
    n_ref, n_pairs = 5, 20_000
    v = 10 ** rng.uniform(-4, 0, n_pairs)
    omega = rng.uniform(-2.0, 2.0, n_pairs)  # flat density of states: n_pairs / 4 per unit
    dens = rgh.density_at_energy_difference(v, omega, omega_0=0.5, window=0.2,
                                            n_reference=n_ref)
    in_window = np.count_nonzero(np.abs(omega - 0.5) <= 0.1)
    rho = np.sum(dens.density * np.diff(dens.edges))
    assert rho == pytest.approx(in_window / (n_ref * 0.2), rel=1e-12)
    assert rho == pytest.approx(n_pairs / 4 / n_ref, rel=0.1)
    # the first moment: exact up to the flat density inside each bin (10 per decade)
    first = float(dens.first_moment_above(np.array(0.0)))
    assert first == pytest.approx(v[np.abs(omega - 0.5) <= 0.1].sum() / (n_ref * 0.2),
                                  rel=0.01)


@pytest.mark.parametrize(("call", "name"), [
    (lambda: rgh.model_density(zeta=1.0, J=J, W=W, L=10, form="eq83"), "form"),
    (lambda: rgh.model_density(zeta=1.0, J=J, W=0.0, L=10), "W"),
    (lambda: rgh.model_density_averaged(zeta=1.0, J=J, W=W, L=0.5, h=0.0), "L"),
    (lambda: rgh.density_at_energy_difference(np.ones(3), np.ones(2), omega_0=0.0,
                                              window=1.0, n_reference=1), "omega"),
    (lambda: rgh.density_at_energy_difference(np.ones(3), np.ones(3), omega_0=0.0,
                                              window=0.0, n_reference=1), "window"),
    (lambda: rgh.density_at_energy_difference(np.ones(3), 5 * np.ones(3), omega_0=0.0,
                                              window=1.0, n_reference=1), "window"),
    (lambda: rgh.density_at_energy_difference(np.ones(3), np.zeros(3), omega_0=0.0,
                                              window=1.0, n_reference=0), "n_reference"),
    (lambda: rgh.density_at_energy_difference(np.ones(3), np.zeros(3), omega_0=0.0,
                                              window=1.0, n_reference=1,
                                              weights=-np.ones(3)), "weights"),
])
def test_bad_input_raises(call, name):
    with pytest.raises(ValueError, match=name):
        call()
