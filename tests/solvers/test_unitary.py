"""Unitary eigensolver: every route verified, agreeing, and refusing bad input."""

import numpy as np
import pytest

import mblkit.memory as memory_module
from mblkit.models.brickwork import BrickworkCircuit, haar_unitaries
from mblkit.observables.levels import R_CUE_LARGE_N, R_POISSON, quasienergy_gap_ratio
from mblkit.solvers import InsufficientMemoryError, VerificationError
from mblkit.solvers.unitary import METHODS, eigu

ROUTES = [m for m in METHODS if m != "auto"]


def haar(rng, n):
    return haar_unitaries(rng, 1, n)[0]


@pytest.mark.parametrize("method", ROUTES)
def test_routes_reconstruct_a_haar_unitary(method, rng):
    U = haar(rng, 300)
    s = eigu(U, method=method)
    assert np.all(np.diff(s.quasienergies) >= 0)
    assert np.all((s.quasienergies >= -np.pi) & (s.quasienergies < np.pi))
    assert np.allclose((s.vectors * s.eigenvalues) @ s.vectors.conj().T, U, atol=1e-11)
    assert s.max_residual < 1e-10 and s.orthonormality_error < 1e-10


def test_routes_agree_on_a_floquet_circuit(rng):
    model = BrickworkCircuit(8, 0.02)
    W = model.unitary(model.sample(rng))
    ref = eigu(W, method="schur")
    for method in ("hermitian", "auto"):
        s = eigu(W, method=method)
        assert np.allclose(s.quasienergies, ref.quasienergies, atol=1e-11)
        # eigenvectors agree up to phases: |<ref_n|v_n>| = 1 for non-degenerate levels
        overlap = np.abs(np.einsum("ij,ij->j", ref.vectors.conj(), s.vectors))
        assert np.allclose(overlap, 1.0, atol=1e-8)


@pytest.mark.parametrize("method", ROUTES)
def test_degenerate_spectra_are_resolved_with_orthonormal_vectors(method, rng):
    """Massive exact degeneracies (three eigenvalues, one of them at theta and one at the
    partner 2a - theta of the Hermitian route's rotation) in a random basis."""
    n = 120
    Q = haar(rng, n)
    from mblkit.solvers.unitary import ROTATION
    phases = np.repeat([0.4, 2 * ROTATION - 0.4, -2.5], n // 3)
    U = (Q * np.exp(1j * phases)) @ Q.conj().T
    if method == "geev":  # the general solver's vectors are not orthogonal in clusters
        with pytest.raises(VerificationError, match="orthonormality"):
            eigu(U, method=method)
        return
    s = eigu(U, method=method)
    assert np.allclose(np.sort(s.quasienergies), np.sort(phases), atol=1e-12)
    assert s.orthonormality_error < 1e-12


def test_eigenvalues_only_obey_the_trace_sum_rule(rng):
    U = haar(rng, 200)
    s = eigu(U, vectors=False)
    assert s.vectors is None
    assert np.allclose(s.quasienergies, eigu(U).quasienergies, atol=1e-11)


def test_gap_ratio_poisson_near_j_zero_and_cue_when_chaotic():
    """J -> 0: uncorrelated quasienergies, r -> 2 ln 2 - 1; J = 0.25 is deep in the ergodic
    phase of a circuit without time-reversal symmetry, r -> CUE 0.5996 (Atas et al. 2013).
    L = 8, 10 realisations: the standard error of the mean is ~0.007 (measured), the bound 3.5x."""
    rng = np.random.default_rng(7)
    for J, expected in ((0.01, R_POISSON), (0.25, R_CUE_LARGE_N)):
        model = BrickworkCircuit(8, J)
        r = [quasienergy_gap_ratio(eigu(model.unitary(model.sample(rng)),
                                        vectors=False).quasienergies).mean() for _ in range(10)]
        assert abs(np.mean(r) - expected) < 0.025, (J, r)


def test_non_unitary_input_fails_verification(rng):
    U = haar(rng, 50)
    U[0, 0] += 1e-3
    with pytest.raises(VerificationError):
        eigu(U)


def test_bad_input_is_refused(monkeypatch):
    with pytest.raises(ValueError, match="square"):
        eigu(np.ones((3, 4)))
    with pytest.raises(ValueError, match="method='qr'"):
        eigu(np.eye(3), method="qr")
    monkeypatch.setattr(memory_module, "available_memory", lambda: 10_000)
    with pytest.raises(InsufficientMemoryError, match="GiB"):
        eigu(np.eye(256, dtype=complex))


def test_hermitian_route_with_the_mrrr_driver_of_large_sizes(rng, monkeypatch):
    """Above EVD_MAX_DIM the Hermitian route uses zheevr (less memory); same eigenpairs."""
    import mblkit.solvers.dense as dense_module

    U = haar(rng, 300)
    ref = eigu(U, method="schur")
    monkeypatch.setattr(dense_module, "EVD_MAX_DIM", 100)
    s = eigu(U, method="hermitian")
    assert np.allclose(s.quasienergies, ref.quasienergies, atol=1e-11)
    assert s.max_residual < 1e-10
