"""Bad input is refused before any work, with the argument named."""

import numpy as np
import pytest
import scipy.sparse.linalg as spla

import mblkit.memory
from mblkit.dynamics import (
    TermOperator,
    correlation_moments,
    evolve,
    floquet_propagate,
    log_times,
    propagate,
    term_operator,
    typical_autocorrelation,
)
from mblkit.memory import InsufficientMemoryError
from mblkit.models import XXZChain
from mblkit.spins import SpinBasis


class Counting(spla.LinearOperator):
    """A Hermitian operator that counts its applications."""

    def __init__(self, H):
        super().__init__(dtype=np.float64, shape=H.shape)
        self.matrix, self.calls = H, 0

    def _matmat(self, X):
        self.calls += 1
        return self.matrix @ X

    def __matmul__(self, X):
        self.calls += 1
        return self.matrix @ X


@pytest.fixture
def setup(rng):
    model = XXZChain(8, 1.0)
    h = model.sample(rng)
    H = Counting(model.hamiltonian(h, 4))
    psi = np.zeros(70, dtype=complex)
    psi[3] = 1.0
    return model, h, H, psi


@pytest.mark.parametrize(("times", "message"), [
    ([0.0, 1.0, 1.0], "strictly increasing"),
    ([0.0, 2.0, 1.0], "strictly increasing"),
    ([0.0, np.nan], "non-finite"),
    ([0.0, np.inf], "non-finite"),
    ([-1.0, 1.0], "negative"),
    ([[0.0, 1.0]], "1-D"),
    ([], "non-empty"),
])
def test_times(setup, times, message):
    _, _, H, psi = setup
    with pytest.raises(ValueError, match=message):
        propagate(H, psi, times)
    with pytest.raises(ValueError, match=message):
        evolve(H, psi, times)
    assert H.calls == 0


@pytest.mark.parametrize("tol", [0.0, 1.0, 1e-20, np.nan, True, "1e-8"])
def test_tol(setup, tol):
    _, _, H, psi = setup
    with pytest.raises(ValueError, match="tol="):
        propagate(H, psi, [1.0], tol=tol)
    assert H.calls == 0


def test_state_of_the_wrong_space(setup):
    model, h, H, _ = setup
    full = np.zeros(256, dtype=complex)
    full[0b00001111] = 1.0
    with pytest.raises(ValueError, match=r"psi has shape \(256,\).*U\(1\) sector"):
        propagate(term_operator(model, h, 4), full, [1.0])
    with pytest.raises(ValueError, match=r"psi.*non-finite"):
        propagate(H, np.full(70, np.nan), [1.0])
    with pytest.raises(ValueError, match=r"psi.*norm 0"):
        propagate(H, np.zeros(70), [1.0])
    assert H.calls == 0


def test_memory_need_above_available(setup, monkeypatch):
    _, _, H, psi = setup
    monkeypatch.setattr(mblkit.memory, "available_memory", lambda: 10_000)
    with pytest.raises(InsufficientMemoryError, match="Chebyshev propagation needs"):
        propagate(H, psi, [1.0, 2.0])
    with pytest.raises(InsufficientMemoryError, match="evolved states"):
        evolve(H, psi, np.arange(1.0, 50.0))
    assert H.calls == 0


def test_other_arguments(setup, rng):
    model, _, H, psi = setup
    with pytest.raises(ValueError, match="method='rk4'"):
        propagate(H, psi, [1.0], method="rk4")
    with pytest.raises(ValueError, match="bounds="):
        propagate(H, psi, [1.0], bounds=(2.0, 1.0))
    with pytest.raises(ValueError, match="batch=0"):
        propagate(H, psi, [1.0], batch=0)
    with pytest.raises(ValueError, match="krylov_dim=1"):
        propagate(H, psi, [1.0], method="krylov", krylov_dim=1)
    basis = model.basis(4)
    with pytest.raises(ValueError, match="samples=1"):
        typical_autocorrelation(H, basis, "z", [0], [1.0], samples=1, rng=rng)
    with pytest.raises(ValueError, match="n_moments=1"):
        correlation_moments(H, basis, "z", [0], 1, samples=4, rng=rng)
    with pytest.raises(ValueError, match="exactly one"):
        correlation_moments(H, basis, "z", [0], 8, samples=4, rng=rng, vectors=np.eye(70))
    with pytest.raises(ValueError, match="unknown letters"):
        typical_autocorrelation(H, basis, "q", [0], [1.0], samples=4, rng=rng)
    with pytest.raises(ValueError, match="periods"):
        list(floquet_propagate(np.eye(2), np.ones(2), [0.5, 1.5]))
    with pytest.raises(ValueError, match="t_min"):
        log_times(10.0, 20.0)
    assert H.calls == 0


def test_non_hermitian_operator_refused():
    op = TermOperator([("+-", [(1.0, 0, 1)])], SpinBasis(4, 2))
    with pytest.raises(ValueError, match="not Hermitian"):
        propagate(op, np.ones(6), [1.0])
