"""Chebyshev and Krylov evolution against full-ED evolution, each other, and their bounds."""

import numpy as np
import pytest
import scipy.linalg as sla

from mblkit.dynamics import evolve, floquet_propagate, log_times, spectral_bounds, term_operator
from mblkit.dynamics.chebyshev import bessel_tail, chebyshev_order
from mblkit.models import BrickworkCircuit, O3HeisenbergChain, XXZChain
from mblkit.solvers import VerificationError


def _ed_evolution(H, psi, times):
    e, v = np.linalg.eigh(H)
    c = v.conj().T @ psi
    return np.stack([v @ (np.exp(-1j * e * t) * c) for t in times])


@pytest.fixture(scope="module")
def xxz12():
    rng = np.random.default_rng(7)
    model = XXZChain(12, 2.0)
    h = model.sample(rng)
    psi = np.zeros(924, dtype=complex)
    psi[123] = 1.0
    H = model.hamiltonian(h, 6).toarray()
    return term_operator(model, h, 6), H, psi


@pytest.mark.parametrize("method", ["chebyshev", "krylov"])
def test_against_full_ed_L12(xxz12, method):
    op, H, psi = xxz12
    times = log_times(100.0, 0.1, 8)
    ev = evolve(op, psi, times, method=method, tol=1e-12)
    exact = _ed_evolution(H, psi, times)
    assert np.max(np.abs(ev.states - exact)) < 1e-10
    assert np.max(ev.error_bound) <= 1e-12 * (1 + 1e-9)
    assert np.max(ev.norm_error) < 1e-11 and np.max(ev.energy_error) < 1e-11
    np.testing.assert_array_equal(ev.times, times)


def test_methods_agree_complex_full_space(rng):
    model = O3HeisenbergChain(8, 1.5)
    v = model.sample(rng)
    op = term_operator(model, v)
    psi = rng.standard_normal(256) + 1j * rng.standard_normal(256)
    times = np.array([0.0, 0.3, 2.0, 7.5, 40.0])
    a = evolve(op, psi, times, method="chebyshev", tol=1e-12)
    b = evolve(op, psi, times, method="krylov", tol=1e-12)
    exact = _ed_evolution(model.hamiltonian(v).toarray(), psi, times)
    assert np.max(np.abs(a.states - b.states)) < 1e-10 * np.linalg.norm(psi)
    assert np.max(np.abs(a.states - exact)) < 1e-10 * np.linalg.norm(psi)


def test_error_bound_is_honest(xxz12):
    """At a loose tol the truncation error is visible, and stays below the stated bound."""
    op, H, psi = xxz12
    times = np.array([0.5, 3.0, 20.0])
    exact = _ed_evolution(H, psi, times)
    for tol in (1e-3, 1e-6):
        ev = evolve(op, psi, times, tol=tol, batch=1)
        err = np.linalg.norm(ev.states - exact, axis=1)
        assert np.all(err <= ev.error_bound + 1e-13)
        assert err[-1] > 1e-3 * tol  # the bound is not vacuous: the error is of its order
    assert np.all(np.diff(ev.error_bound) >= 0)


def test_chebyshev_order_minimal():
    for x, tol in ((0.3, 1e-12), (25.0, 1e-10), (800.0, 1e-14)):
        K, bound = chebyshev_order(x, tol)
        j = bessel_tail(x)
        assert bound <= tol
        assert 2 * np.sum(j[K - 1:]) > tol  # one term fewer would not do
        assert x < K < x + 40 * max(x, 1) ** (1 / 3) + 40


def test_block_equals_columns(xxz12, rng):
    op, _H, _psi = xxz12
    block = rng.standard_normal((924, 2)) + 1j * rng.standard_normal((924, 2))
    times = np.array([1.0, 10.0])
    ev = evolve(op, block, times)
    for c in range(2):
        np.testing.assert_allclose(ev.states[:, :, c], evolve(op, block[:, c], times).states,
                                   atol=1e-12 * np.linalg.norm(block[:, c]))


def test_bounds_that_miss_the_spectrum_are_caught(xxz12):
    op, _H, psi = xxz12
    lo, hi = spectral_bounds(op)
    squeezed = (lo, lo + 0.6 * (hi - lo))
    with pytest.raises(VerificationError, match="norm drift"):
        evolve(op, psi, np.array([50.0]), bounds=squeezed)


def test_sparse_matrix_input(xxz12):
    op, H, psi = xxz12
    import scipy.sparse as sp

    times = np.array([2.0, 9.0])
    a = evolve(sp.csr_matrix(H), psi, times)
    b = evolve(op, psi, times)
    np.testing.assert_allclose(a.states, b.states, atol=1e-12)


def test_floquet_gates_equal_dense_power(rng):
    circuit = BrickworkCircuit(6, 0.3)
    r = circuit.sample(rng)
    U = circuit.unitary(r)
    psi = rng.standard_normal(64) + 1j * rng.standard_normal(64)
    periods = np.array([0, 1, 5, 17])
    gates = list(floquet_propagate(lambda s: circuit.apply(r, s), psi, periods))
    dense = list(floquet_propagate(U, psi, periods))
    for n, g, d in zip(periods, gates, dense, strict=True):
        expected = np.linalg.matrix_power(U, int(n)) @ psi
        np.testing.assert_allclose(g.state, expected, atol=1e-12)
        np.testing.assert_allclose(d.state, expected, atol=1e-12)
        assert g.norm_error < 1e-12


def test_floquet_refuses_non_unitary(rng):
    U = sla.expm(-1j * np.diag([0.1, 0.2])) * 1.01
    with pytest.raises(VerificationError, match="unitary"):
        list(floquet_propagate(U, np.array([1.0, 0.0]), np.array([10])))
