import numpy as np
import pytest
import scipy.sparse as sp

import mblkit.memory as memory_module
import mblkit.solvers.dense as dense_module
from mblkit.solvers import InsufficientMemoryError, VerificationError, available_memory, eigh


def random_hermitian(rng, n, density=0.05):
    a = sp.random(n, n, density=density, random_state=rng, dtype=complex)
    a = a + 1j * sp.random(n, n, density=density, random_state=rng)
    return sp.csr_matrix(a + a.conj().T)


@pytest.mark.parametrize("driver", ["ev", "evd", "evr", "evx"])
def test_eigh_matches_numpy_and_is_verified(rng, driver):
    H = random_hermitian(rng, 200)
    s = eigh(H, driver=driver)
    np.testing.assert_allclose(s.energies, np.linalg.eigvalsh(H.toarray()), atol=1e-12)
    assert np.all(np.diff(s.energies) >= 0)
    assert s.max_residual < 1e-12 and s.orthonormality_error < 1e-12
    np.testing.assert_allclose(H @ s.vectors, s.vectors * s.energies, atol=1e-11)


def test_dense_input_and_eigenvalues_only(rng):
    a = rng.normal(size=(900, 900))
    a = a + a.T
    s = eigh(a)
    assert s.vectors.shape == (900, 900) and s.max_residual < 1e-10
    np.testing.assert_allclose(eigh(a, vectors=False).energies, s.energies, atol=1e-10)
    assert eigh(a, vectors=False).vectors is None


def test_failed_verification_raises(rng, monkeypatch):
    H = random_hermitian(rng, 100)
    original = dense_module.scipy.linalg.eigh

    def corrupted(*args, **kwargs):
        w, v = original(*args, **kwargs)
        v[:, 3] = v[:, 4]  # a wrong (and non-orthogonal) eigenvector
        return w, v

    monkeypatch.setattr(dense_module.scipy.linalg, "eigh", corrupted)
    with pytest.raises(VerificationError, match="residual"):
        eigh(H)


def test_memory_is_checked_before_allocation(monkeypatch):
    huge = sp.identity(2**20, format="csr")
    with pytest.raises(InsufficientMemoryError, match=r"1048576 x 1048576.*GiB"):
        eigh(huge)
    monkeypatch.setattr(memory_module, "available_memory", lambda: 10_000)
    with pytest.raises(InsufficientMemoryError, match="available"):
        eigh(sp.identity(100, format="csr"))


def test_available_memory_is_positive():
    """Smoke test (that the probe of the machine runs); the memory checks themselves are tested
    with a planted limit in test_memory_is_checked_before_allocation."""
    assert available_memory() > 2**20


def test_bad_solver_arguments():
    with pytest.raises(ValueError, match="driver='qr'"):
        eigh(np.eye(3), driver="qr")
    with pytest.raises(ValueError, match="square"):
        eigh(np.zeros((3, 4)))


def test_auto_driver_rule():
    from mblkit.solvers.dense import EVD_MAX_DIM, choose_driver

    assert choose_driver(EVD_MAX_DIM) == "evd"
    assert choose_driver(EVD_MAX_DIM + 1) == "evr"
    assert choose_driver(10, "evx") == "evx"
    assert eigh(np.diag([3.0, 1.0, 2.0])).method == "lapack-evd"


@pytest.mark.parametrize("vectors", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
def test_non_hermitian_input_is_refused(rng, vectors, sparse):
    """LAPACK's Hermitian drivers read one triangle: without the check a non-Hermitian A gave
    the eigenvalues of another matrix, silently (issue 13, item 11)."""
    a = rng.normal(size=(30, 30))
    with pytest.raises(ValueError, match="not Hermitian"):
        eigh(sp.csr_matrix(a) if sparse else a, vectors=vectors)
    b = a + a.T
    b[0, 1] += 1e-6 * np.abs(b).max()        # just above rtol = 1e-8 relative
    with pytest.raises(ValueError, match="not Hermitian"):
        eigh(b, vectors=vectors)
    b[0, 1] = b[1, 0] * (1 + 1e-14)          # rounding-level asymmetry is accepted
    assert len(eigh(b, vectors=vectors)) == 30
    with pytest.raises(ValueError, match="not finite"):
        eigh(np.full((3, 3), np.nan), vectors=vectors)
