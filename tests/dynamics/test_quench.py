"""Quench observables against independent full-ED evolution and the free-fermion imbalance."""

import numpy as np
import pytest
from scipy.special import j0

from mblkit.dynamics import (
    floquet_quench,
    log_times,
    neel_configuration,
    product_state,
    quench,
    random_configuration,
    term_operator,
)
from mblkit.models import BrickworkCircuit, XXZChain
from mblkit.observables import half_chain_entropy


def test_quench_observables_against_ed(rng):
    L = 10
    model = XXZChain(L, 2.5)
    h = model.sample(rng)
    basis = model.basis(L // 2)
    config = random_configuration(basis, rng)
    times = log_times(100.0, 0.1, 5)
    q = quench(term_operator(model, h, L // 2), basis, config, times, tol=1e-12)
    e, v = np.linalg.eigh(model.hamiltonian(h, L // 2).toarray())
    psi0 = np.zeros(basis.dim)
    psi0[np.searchsorted(basis.states, config)] = 1.0
    states = np.stack([v @ (np.exp(-1j * e * t) * (v.T @ psi0)) for t in times], axis=1)
    probs = np.abs(states) ** 2
    mag = probs.T @ basis.sigma_z                   # (times, L), sigma^z = +-1
    s0 = basis.sigma_z[np.searchsorted(basis.states, config)]
    np.testing.assert_allclose(q.magnetisation, mag, atol=1e-10)
    np.testing.assert_allclose(q.imbalance, mag @ s0 / L, atol=1e-10)
    np.testing.assert_allclose(q.entropy, half_chain_entropy(states, basis), atol=1e-9)
    np.testing.assert_allclose(q.return_probability, np.abs(psi0 @ states) ** 2, atol=1e-10)
    assert q.imbalance[0] == 1.0 and q.entropy[0] == 0.0 and q.return_probability[0] == 1.0
    assert q.configuration == config and bin(config).count("1") == L // 2


def test_neel_imbalance_of_free_fermions():
    """XX chain, no disorder: free fermions with hopping J/2, I(t) = J_0(2 J t) until the
    signal crosses the ring (Flesch et al., PRA 78, 033608 (2008), with hopping J/2)."""
    L = 14
    model = XXZChain(L, 0.0, J=1.0, delta=0.0, boundary="periodic")
    basis = model.basis(L // 2)
    times = np.linspace(0.0, 3.0, 13)
    q = quench(term_operator(model, np.zeros(L), L // 2), basis, neel_configuration(L), times)
    np.testing.assert_allclose(q.imbalance, j0(2.0 * times), atol=5e-4)  # measured 6e-5
    # a planted factor 2 in the time or the hopping would miss by far more:
    assert np.max(np.abs(j0(4.0 * times) - j0(2.0 * times))) > 0.3


def test_product_state_refuses_the_wrong_sector():
    basis = XXZChain(8, 1.0).basis(4)
    with pytest.raises(ValueError, match="n_up=4"):
        product_state(basis, 0b111)
    with pytest.raises(ValueError, match="bit string"):
        product_state(basis, 1 << 9)
    psi = product_state(basis, neel_configuration(8))
    assert psi[np.searchsorted(basis.states, 0b01010101)] == 1.0 and np.sum(np.abs(psi)) == 1


def test_floquet_quench_gates_equal_dense(rng):
    circuit = BrickworkCircuit(8, 0.2)
    r = circuit.sample(rng)
    basis = XXZChain(8, 1.0).basis(None)
    periods = np.array([0, 1, 3, 10, 30])
    a = floquet_quench(lambda s: circuit.apply(r, s), basis, neel_configuration(8), periods)
    b = floquet_quench(circuit.unitary(r), basis, neel_configuration(8), periods)
    np.testing.assert_allclose(a.imbalance, b.imbalance, atol=1e-12)
    np.testing.assert_allclose(a.entropy, b.entropy, atol=1e-10)
    assert np.all(a.entropy[1:] > 0) and np.all(a.norm_error < 1e-12)


def test_the_recorder_keeps_no_state_of_the_snapshots_it_measured():
    """Memory flat in the number of outputs: while record() runs, the states of the snapshots
    it has measured are released (it kept every state until the end before, 0.75 MiB per
    output at L = 18)."""
    import gc
    import weakref

    from mblkit.dynamics.evolve import Snapshot
    from mblkit.dynamics.quench import QuenchRecorder
    from mblkit.spins import SpinBasis

    basis = SpinBasis(6, 3)
    recorder = QuenchRecorder(basis, 0b010101)
    refs: list = []
    alive: list[int] = []

    def snapshots():
        for k in range(5):
            gc.collect()
            alive.append(sum(r() is not None for r in refs))
            state = recorder.initial.copy()
            refs.append(weakref.ref(state))
            yield Snapshot(float(k), state, 0.0, 0.0, 0.0, k)
            del state

    result = recorder.record(snapshots())
    assert max(alive) <= 1          # at most the one being measured (before: 0, 1, 2, 3, 4)
    assert result.matvecs == 4 and np.allclose(result.return_probability, 1.0)
