"""Generalised resonance model (resonance-model-crossover.txt Sec. IV A, Eqs. 97-102, 129-130).

The varrho(v) of the Floquet RM (Eq. 98) must give back Eqs. 45, 46, 48 and 53 by the
independent route of Eqs. 99-102; measured (sampled) matrix elements must reproduce the
analytic F(v) within their statistical error.
"""

import math

import numpy as np
import pytest

from mblkit.phenomenology import resonance_finite_size as fs
from mblkit.phenomenology import resonance_floquet as rf
from mblkit.phenomenology import resonance_generalised as rg

J = 1.0
OMEGA = 8.0 * 20.0 * J / rf.ZETA_C  # Lambda = 20


@pytest.mark.parametrize("zeta", [0.6, 1.2, rf.ZETA_C, 1.7])
def test_floquet_varrho_reproduces_the_floquet_model(zeta):
    L = 30
    varrho = rg.floquet_density(zeta=zeta, J=J, Omega=OMEGA, L=L)
    k = rf.matrix_element_decay_rate(zeta)
    v = np.logspace(math.log10(varrho.v_min) + 1e-9, -1e-9, 9)
    r_v = np.log(J / v) / k
    assert np.allclose(rg.no_resonance_fraction(v, varrho),
                       rf.no_resonance_fraction(r_v, zeta=zeta, J=J, Omega=OMEGA), rtol=1e-9)
    # p(v) dv = p(r) dr (Eqs. 46 and 101)
    assert np.allclose(rg.strongest_resonance_density(v, varrho) * k * v,
                       rf.strongest_resonance_density(r_v, zeta=zeta, J=J, Omega=OMEGA),
                       rtol=1e-9)
    assert np.allclose(rg.spectral_function(-v, varrho),
                       rf.spectral_function(v, zeta=zeta, J=J, Omega=OMEGA, L=L), rtol=1e-9)
    assert rg.time_averaged_correlator(varrho) == pytest.approx(
        rf.time_averaged_correlator(L, zeta=zeta, J=J, Omega=OMEGA), rel=1e-9)
    assert rg.no_resonance_fraction(np.array([2 * J]), varrho)[0] == 1.0  # F(v > v_max) = 1
    # Eq. 128 vs Eq. 129: int q dr = 2 rho vbar
    assert 2 * rg.rho_vbar(varrho) == pytest.approx(
        fs.expected_resonance_number(L, zeta=zeta, J=J, Omega=OMEGA), rel=1e-9)


def test_floquet_varrho_is_the_power_law_of_eq98():
    zeta = 0.9
    varrho = rg.floquet_density(zeta=zeta, J=J, Omega=OMEGA, L=40)
    v = np.logspace(-10, -1, 10)
    slope = np.diff(np.log(varrho(v))) / np.diff(np.log(v))
    assert np.allclose(slope, -2 + rf.theta0(zeta), rtol=1e-10)


def _floquet_samples(zeta, L, n, rng):
    """|V_ba| of the coarse-grained Floquet RM: ranges r with density rho(r) ~ e^(2r/zeta_c)."""
    a = 2 / rf.ZETA_C
    r = np.log1p(rng.random(n) * np.expm1(a * L / 2)) / a
    total = 4 / (rf.ZETA_C * OMEGA) * np.expm1(a * L / 2) / a  # int rho dr, states / energy
    return J * np.exp(-rf.matrix_element_decay_rate(zeta) * r), total


def test_measured_samples_reproduce_the_analytic_F_and_theta0():
    zeta, L = 0.9, 8
    rng = np.random.default_rng(2024)
    v_s, dos = _floquet_samples(zeta, L, 200_000, rng)
    measured = rg.density_from_samples(v_s, density_of_states=dos, bins_per_decade=20)
    exact = rg.floquet_density(zeta=zeta, J=J, Omega=OMEGA, L=L)
    v = np.logspace(math.log10(exact.v_min) + 0.05, -0.05, 12)
    F_m, F_e = rg.no_resonance_fraction(v, measured), rg.no_resonance_fraction(v, exact)
    # -log F = 2 dos <v 1(v_i > v)> over the samples: its standard error sets the tolerance
    z = 2 * dos * np.where(v_s[None, :] > v[:, None], v_s[None, :], 0.0)
    stderr = z.std(axis=1) / math.sqrt(v_s.size)
    assert np.all(np.abs(np.log(F_m) - np.log(F_e)) < 4 * stderr)
    assert rg.fit_theta0(measured, v_low=1e-3, v_high=1e-1) == pytest.approx(rf.theta0(zeta),
                                                                               abs=0.02)


def test_histogram_input_equals_sample_input():
    rng = np.random.default_rng(7)
    v_s = np.exp(rng.normal(-3, 1.5, 5000))
    edges = np.logspace(-6, 1, 71)
    from_samples = rg.density_from_samples(v_s, density_of_states=3.0, edges=edges)
    counts, _ = np.histogram(v_s, bins=edges)
    from_hist = rg.density_from_histogram(edges, counts, density_of_states=3.0,
                                          total_count=v_s.size)
    assert np.array_equal(from_samples.density, from_hist.density)
    # without total_count the histogram is normalised to its own counts: int varrho dv = rho
    alone = rg.density_from_histogram(edges, counts, density_of_states=3.0)
    assert np.sum(alone.density * np.diff(edges)) == pytest.approx(3.0, rel=1e-12)


def test_zeros_and_overflow_count_in_the_normalisation():
    """A quarter of exact zeros carries a quarter of the density of states but no resonance."""
    rng = np.random.default_rng(8)
    v_s = np.exp(rng.normal(-3, 1.0, 3000))
    with_zeros = np.concatenate((v_s, np.zeros(1000)))
    a = rg.density_from_samples(v_s, density_of_states=3.0)
    b = rg.density_from_samples(with_zeros, density_of_states=4.0)
    assert np.allclose(a.density, b.density, rtol=1e-12)
    edges = np.logspace(-4, 0, 41)  # some samples exceed v = 1
    counts, _ = np.histogram(v_s, bins=edges)
    c = rg.density_from_histogram(edges, counts, density_of_states=3.0, total_count=v_s.size)
    inside = (v_s >= 1e-4) & (v_s < 1.0)
    assert np.sum(c.density * np.diff(edges)) == pytest.approx(3.0 * inside.mean(), rel=1e-12)


def test_binned_first_moment_is_exact_for_piecewise_constant_density():
    edges = np.array([0.0, 1.0, 3.0])
    dens = np.array([2.0, 0.5])
    varrho = rg.BinnedMatrixElementDensity(edges=edges, density=dens)
    v = np.array([-0.0, 0.5, 1.0, 2.0, 3.0, 5.0])
    # by hand: int_v^1 2 x dx + int_1^3 0.5 x dx = (1 - v^2) + 2 for v < 1, etc.
    expected = np.array([3.0, 2.75, 2.0, 0.25 * (9 - 4), 0.0, 0.0])
    assert np.allclose(varrho.first_moment_above(v), expected, rtol=1e-14)
    assert rg.rho_vbar(varrho) == pytest.approx(3.0)
    assert np.allclose(rg.no_resonance_fraction(v, varrho), np.exp(-2 * expected))


def test_rho_vbar_from_raw_matrix_elements_eq130():
    rng = np.random.default_rng(1)
    n_a, n_b, delta = 40, 300, 0.05  # rho = n_b / delta partner states per unit energy
    v = np.abs(rng.standard_cauchy((n_a, n_b))) * 1e-3
    direct = rg.rho_vbar_from_matrix_elements(v, window_width=delta, n_reference_states=n_a)
    assert direct == pytest.approx(v.sum() / (n_a * delta))
    # the density built from the same numbers: equal up to the bin-midpoint error (<~1.2%)
    varrho = rg.density_from_samples(v, density_of_states=n_b / delta, bins_per_decade=100)
    assert rg.rho_vbar(varrho) == pytest.approx(direct, rel=0.012)


@pytest.mark.parametrize("call", [
    lambda: rg.density_from_samples(np.array([0.1, -1.0]), density_of_states=1.0),
    lambda: rg.density_from_samples(np.array([0.1, 1.0]), density_of_states=0.0),
    lambda: rg.density_from_samples(np.array([0.0, 0.0]), density_of_states=1.0),
    lambda: rg.density_from_histogram(np.array([0.0, 1.0]), np.array([5.0]),
                                      density_of_states=1.0, total_count=2),
    lambda: rg.density_from_histogram(np.array([0.0, 1.0]), np.array([1.0, 2.0]),
                                      density_of_states=1.0),
    lambda: rg.density_from_histogram(np.array([0.0, 1.0]), np.array([0.0]),
                                      density_of_states=1.0),
    lambda: rg.BinnedMatrixElementDensity(edges=np.array([1.0, 0.5]), density=np.array([1.0])),
    lambda: rg.AnalyticMatrixElementDensity(func=np.exp, v_min=1.0, v_max=0.5),
    lambda: rg.no_resonance_fraction(np.array([-1.0]),
                                     rg.floquet_density(zeta=1.0, J=J, Omega=OMEGA, L=10)),
    lambda: rg.no_resonance_fraction(np.array([1.0]), lambda v: v),
    lambda: rg.rho_vbar_from_matrix_elements(np.array([1.0]), window_width=0.0,
                                             n_reference_states=1),
])
def test_bad_input_raises(call):
    with pytest.raises(ValueError):
        call()
