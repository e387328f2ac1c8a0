"""KPM moments and S(omega) against full ED (exact moments, binned weights of
mblkit.observables.autocorrelation) and the sum rule."""

import numpy as np
import pytest

from mblkit.dynamics import (
    correlation_moments,
    jackson_kernel,
    kpm_spectral_function,
    term_operator,
)
from mblkit.models import XXZChain
from mblkit.observables import autocorrelation
from mblkit.spins import apply
from mblkit.stats.histograms import LogBins


@pytest.fixture(scope="module")
def chain8():
    rng = np.random.default_rng(11)
    model = XXZChain(8, 1.0)
    h = model.sample(rng)
    basis = model.basis(4)
    e, v = np.linalg.eigh(model.hamiltonian(h, 4).toarray())
    return term_operator(model, h, 4), basis, e, v


def _exact_moments(e, v, basis, bounds, N):
    lo, hi = bounds
    x = (e - 0.5 * (hi + lo)) / (0.5 * (hi - lo))
    T = np.cos(np.outer(np.arange(N), np.arccos(x)))
    o = v.T @ apply("z", [3], v, basis)
    return T @ (o**2) @ T.T / e.size


def test_exact_trace_moments_equal_ed(chain8):
    op, basis, e, v = chain8
    mom = correlation_moments(op, basis, "z", [3], 64, vectors=np.eye(basis.dim))
    np.testing.assert_allclose(mom.moments, _exact_moments(e, v, basis, mom.bounds, 64),
                               atol=1e-12)
    assert abs(mom.moments[0, 0] - 1.0) < 1e-13


def test_random_moments_within_errors(chain8, rng):
    op, basis, e, v = chain8
    mom = correlation_moments(op, basis, "z", [3], 24, samples=16, rng=rng)
    exact = _exact_moments(e, v, basis, mom.bounds, 24)
    z = np.abs(mom.moments - exact)[1:, 1:] / mom.error[1:, 1:]  # mu_00 = 1 exactly
    # 16 samples: z follows Student's t (15 dof), E z^2 = 15/13; 529 entries
    assert 0.6 < np.mean(z**2) < 2.0 and np.max(z) < 8.0
    assert abs(mom.moments[0, 0] - 1.0) < 1e-12


def test_spectral_weights_against_autocorrelation(chain8):
    """Weights of S(omega) in |omega| windows agree with the ED bins within the smearing of
    the Jackson kernel: two window edges, each ~ resolution x the density there."""
    op, basis, e, v = chain8
    N = 128
    mom = correlation_moments(op, basis, "z", [3], N, vectors=np.eye(basis.dim))
    kpm = kpm_spectral_function(mom)
    assert abs(kpm.sum_rule - 1.0) < 1e-3
    bins = LogBins(0.25, 16.0, 6)
    ed = autocorrelation(e, v, apply("z", [3], v, basis), np.array([0.0]), bins=bins)
    edges = bins.edges
    ed_w = np.concatenate([[ed.infinite_time + ed.weights[0]], ed.weights[1:-1]])
    lows, highs = np.concatenate([[0.0], edges[:-1]]), edges
    kpm_w = np.array([kpm.window_weight(a, b) for a, b in zip(lows, highs, strict=True)])

    def density(w):
        return np.interp(w, kpm.omega, kpm.spectral_function)

    # each edge at |omega| = w moves weight ~ resolution * S(w) on either sign of omega
    smear = 2 * kpm.resolution * (density(lows) * (lows > 0) + density(highs)) + 1e-3
    assert np.all(np.abs(kpm_w - ed_w) <= smear), (kpm_w, ed_w, smear)
    # not vacuous: S off by a factor 1.5, or the windows' omega off by a factor 2, fail
    assert np.any(np.abs(1.5 * kpm_w - ed_w) > smear)
    doubled = np.array([kpm.window_weight(2 * a, 2 * b) for a, b in zip(lows, highs,
                                                                       strict=True)])
    assert np.any(np.abs(doubled - ed_w) > smear)


def test_jackson_kernel():
    g = jackson_kernel(64)
    assert g[0] == pytest.approx(1.0) and np.all(np.diff(g) < 0) and 0 < g[-1] < 1e-2


@pytest.mark.parametrize("N", [1, 2, 5, 64, 257])
def test_jackson_kernel_is_the_autocorrelation_of_the_optimal_sine_window(N):
    """Independent route (RMP 78, 275, Sec. II C 3): g_n = sum_nu a_nu a_(nu+n) / sum_nu a_nu^2
    with a_nu = sin(pi (nu + 1) / (N + 1)), so that the kernel g_0 + 2 sum g_n cos(n phi) =
    |sum_nu a_nu e^(i nu phi)|^2 / |a|^2 is positive: a delta reconstructed with it is >= 0."""
    a = np.sin(np.pi * (np.arange(N) + 1) / (N + 1))
    by_sums = np.array([a[:N - n] @ a[n:] for n in range(N)]) / (a @ a)
    g = jackson_kernel(N)
    np.testing.assert_allclose(g, by_sums, rtol=0, atol=1e-13)
    phi = np.linspace(0, np.pi, 1001)
    kernel = g[0] + 2 * np.cos(np.outer(phi, np.arange(1, N))) @ g[1:]
    assert kernel.min() > -1e-10
