import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from mblkit.spins import SpinBasis, apply, assemble, dense_operator, expectation

LETTERS = "xyz+-"


def dense_sum(terms, L):
    out = np.zeros((2**L, 2**L), dtype=complex)
    for opstr, couplings in terms:
        for coeff, *sites in couplings:
            out += coeff * dense_operator(opstr, sites, L)
    return out


def test_dense_reference_matches_textbook_paulis():
    # one site, ordering (|down>, |up>)
    np.testing.assert_array_equal(dense_operator("z", (0,), 1), [[-1, 0], [0, 1]])
    sx, sy, sz = (dense_operator(c, (0,), 1) for c in "xyz")
    np.testing.assert_allclose(sx @ sy, 1j * sz)  # Pauli algebra fixes the sign of sigma^y
    np.testing.assert_allclose(dense_operator("+", (0,), 1), (sx + 1j * sy) / 2)


def random_terms(rng, L, letters, n_sites):
    terms = []
    for opstr in itertools.product(letters, repeat=n_sites):
        couplings = []
        for _ in range(2):
            sites = rng.choice(L, size=n_sites, replace=False)
            couplings.append((rng.normal() + 1j * rng.normal(), *sites))
        terms.append(("".join(opstr), couplings))
    return terms


def test_full_space_assembly_matches_kronecker(rng):
    L = 4
    terms = random_terms(rng, L, LETTERS, 1) + random_terms(rng, L, LETTERS, 2)
    H = assemble(terms, SpinBasis(L))
    np.testing.assert_allclose(H.toarray(), dense_sum(terms, L), atol=1e-13)


def test_sector_assembly_is_projection_of_full(rng):
    L = 5
    terms = random_terms(rng, L, "z+-", 2) + random_terms(rng, L, "z", 1)
    terms = [(op, c) for op, c in terms if op.count("+") == op.count("-")]
    full = dense_sum(terms, L)
    for n_up in range(L + 1):
        b = SpinBasis(L, n_up)
        sub = full[np.ix_(b.states, b.states)]
        np.testing.assert_allclose(assemble(terms, b).toarray(), sub, atol=1e-13)


def test_real_terms_give_real_matrix():
    b = SpinBasis(4, 2)
    H = assemble([("+-", [(0.5, 0, 1)]), ("-+", [(0.5, 0, 1)]), ("zz", [(0.25, 1, 2)])], b)
    assert H.dtype == np.float64 and isinstance(H, sp.csr_matrix)
    Hy = assemble([("yy", [(1.0, 0, 1)])], SpinBasis(4))
    assert Hy.dtype == np.float64  # sigma^y sigma^y is real
    assert assemble([("y", [(1.0, 0)])], SpinBasis(4)).dtype == np.complex128


def test_aux_factor_is_kronecker(rng):
    b = SpinBasis(3, 1, aux_dim=2)
    R = rng.normal(size=(2, 2))
    terms = [("zz", [(0.3, 0, 2)])]
    chain = assemble(terms, SpinBasis(3, 1)).toarray()
    np.testing.assert_allclose(assemble(terms, b, aux=R).toarray(), np.kron(chain, R))
    np.testing.assert_allclose(assemble(terms, b).toarray(), np.kron(chain, np.eye(2)))


@pytest.mark.parametrize("opstr,sites", [("x", (1,)), ("y", (3,)), ("+-", (0, 2)), ("zy", (2, 0))])
def test_apply_equals_matrix_product_full_space(rng, opstr, sites):
    L = 5
    v = rng.normal(size=(2**L, 3)) + 1j * rng.normal(size=(2**L, 3))
    np.testing.assert_allclose(apply(opstr, sites, v, SpinBasis(L)),
                               dense_operator(opstr, sites, L) @ v, atol=1e-13)


def test_apply_in_sector_with_aux(rng):
    b = SpinBasis(5, 2, aux_dim=3)
    v = rng.normal(size=(b.dim, 2))
    H = assemble([("+-", [(1.0, 1, 3)])], b)
    np.testing.assert_allclose(apply("+-", (1, 3), v, b), H @ v, atol=1e-13)
    np.testing.assert_allclose(expectation("+-", (1, 3), v, b), np.einsum("km,km->m", v, H @ v))


def test_sector_rejects_non_conserving_terms():
    with pytest.raises(ValueError, match="changes the number of up spins"):
        assemble([("x", [(1.0, 0)])], SpinBasis(4, 2))
    with pytest.raises(ValueError, match="leaves the sector"):
        apply("+", (0,), np.zeros(6), SpinBasis(4, 2))


def test_bad_operator_strings():
    with pytest.raises(ValueError, match="unknown letters"):
        assemble([("q", [(1.0, 0)])], SpinBasis(3))
    with pytest.raises(ValueError, match="outside the chain"):
        assemble([("z", [(1.0, 3)])], SpinBasis(3))
    with pytest.raises(ValueError, match="needs 2 sites"):
        assemble([("zz", [(1.0, 0)])], SpinBasis(3))
