"""The matrix-free TermOperator equals the CSR assembly of the same term list."""

import numpy as np
import pytest

from mblkit.dynamics import AuxPart, TermOperator, term_operator
from mblkit.dynamics.operator import affine
from mblkit.models import BubbleChain, O3HeisenbergChain, ProbeStaticChain, SpinChain, XXZChain
from mblkit.spins import SpinBasis, assemble


def _block(rng, dim, m=3, complex_=True):
    x = rng.standard_normal((dim, m))
    return x + 1j * rng.standard_normal((dim, m)) if complex_ else x


@pytest.mark.parametrize("boundary", ["open", "periodic"])
@pytest.mark.parametrize("n_up", [None, 0, 1, 4, 5, 9, 10])
def test_xxz_equals_csr(rng, boundary, n_up):
    model = XXZChain(10, 3.0, delta=0.7, boundary=boundary)
    h = model.sample(rng)
    H = model.hamiltonian(h, n_up)
    op = term_operator(model, h, n_up)
    for complex_ in (False, True):
        v = _block(rng, H.shape[0], 3, complex_)
        np.testing.assert_allclose(op @ v, H @ v, rtol=0, atol=1e-13)
        np.testing.assert_allclose(op @ v[:, 0], H @ v[:, 0], rtol=0, atol=1e-13)
    assert op.dtype == np.float64


def test_complex_models_equal_csr(rng):
    o3 = O3HeisenbergChain(8, 2.0)
    v = o3.sample(rng)
    probe = ProbeStaticChain(7, 2.0)
    w = probe.sample(rng)
    for model, r in ((o3, v), (probe, w)):
        H = model.hamiltonian(r)
        op = term_operator(model, r)
        assert op.dtype == np.complex128
        x = _block(rng, H.shape[0])
        np.testing.assert_allclose(op @ x, H @ x, rtol=0, atol=1e-13)


@pytest.mark.parametrize("n_goe", [2, 3])
def test_bubble_equals_csr(rng, n_goe):
    model = BubbleChain(8, 2.0, n_goe=n_goe, g=0.7, beta=0.5)
    r = model.sample(rng)
    H = model.hamiltonian(r)
    op = term_operator(model, r)
    x = _block(rng, H.shape[0])
    np.testing.assert_allclose(op @ x, H @ x, rtol=0, atol=1e-13)


def test_random_strings_equal_csr(rng):
    """Every letter, repeated sites, complex coefficients: full space and a sector."""
    L = 6
    letters = "xyz+-I"
    terms = []
    for _ in range(25):
        n = int(rng.integers(1, 4))
        op = "".join(rng.choice(list(letters), n))
        sites = [int(s) for s in rng.integers(0, L, n)]
        terms.append((op, [(complex(rng.normal(), rng.normal()), *sites)]))
    basis = SpinBasis(L)
    H = assemble(terms, basis)
    x = _block(rng, basis.dim)
    np.testing.assert_allclose(TermOperator(terms, basis) @ x, H @ x, rtol=0, atol=1e-12)
    conserving = [("+-", [(0.3, 1, 4), (0.2, 2, 2)]), ("-+z", [(0.5j, 0, 3, 5)]),
                  ("+-+-", [(0.4, 0, 1, 2, 3)]), ("z+z-", [(1.1, 3, 3, 4, 1)]),
                  ("-+", [(0.7, 5, 0)]), ("zz", [(0.25, 0, 0)])]
    sector = SpinBasis(L, 3)
    H = assemble(conserving, sector)
    x = _block(rng, sector.dim)
    np.testing.assert_allclose(TermOperator(conserving, sector) @ x, H @ x, rtol=0,
                               atol=1e-12)


def test_fused_affine_and_in_place(rng):
    model = XXZChain(9, 1.0)
    h = model.sample(rng)
    H = model.hamiltonian(h, 4)
    op = term_operator(model, h, 4)
    v, w = _block(rng, H.shape[0], 2), _block(rng, H.shape[0], 2)
    expected = 0.3 * (H @ v) - 1.5 * v + 2.0j * w
    np.testing.assert_allclose(affine(op, v, 0.3, -1.5, w, 2.0j), expected, atol=1e-13)
    out = w.copy()
    op.apply(v, out=out, alpha=0.3, beta=-1.5, w=out, gamma=2.0j)  # out aliases w
    np.testing.assert_allclose(out, expected, atol=1e-13)
    with pytest.raises(ValueError, match="share memory"):
        op.apply(v, out=v)


def test_norm_bound_and_hermiticity(rng):
    model = XXZChain(10, 4.0)
    h = model.sample(rng)
    op = term_operator(model, h, 5)
    e = np.linalg.eigvalsh(model.hamiltonian(h, 5).toarray())
    assert np.max(np.abs(e)) <= op.norm_bound()
    assert op.hermiticity_error() < 1e-14
    lopsided = TermOperator([("+-", [(1.0, 0, 1)])], SpinBasis(4, 2))
    assert lopsided.hermiticity_error() > 1e-3


@pytest.mark.parametrize("n_up", [None, 4])
def test_config_written_spin_chain_equals_csr(rng, n_up):
    terms = [{"op": "xx", "on": "nearest", "factor": 0.25},
             {"op": "yy", "on": "nearest", "factor": 0.25},
             {"op": "zz", "on": "next-nearest", "coeff": "J2", "factor": 0.25},
             {"op": "z", "on": "site", "factor": 0.5, "coeff": {"dist": "uniform", "W": "W"}}]
    model = SpinChain.from_params(L=9, terms=terms, boundary="periodic", J2=0.5, W=3.0)
    r = model.sample(rng)
    H = model.hamiltonian(r, n_up)
    x = _block(rng, H.shape[0])
    np.testing.assert_allclose(term_operator(model, r, n_up) @ x, H @ x, rtol=0, atol=1e-13)


def test_aux_parts_non_symmetric(rng):
    """A general chain (x) aux operator: non-symmetric aux matrices, diagonal and hopping
    strings (the bubble's R_l are symmetric, which would hide a transposed aux)."""
    basis = SpinBasis(6, 3, aux_dim=3)
    A, B = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    chain = [("zz", [(0.3, 0, 1)]), ("+-", [(0.5, 2, 3)]), ("-+", [(0.5, 2, 3)])]
    parts = [AuxPart([("+-", [(0.7, 0, 5)])], A), AuxPart([("-+", [(0.7, 0, 5)])], A.T),
             AuxPart([("z", [(1.1, 4)])], B + B.T)]
    H = assemble(chain, basis)
    for p in parts:
        H = H + assemble(p.terms, basis, p.aux)
    x = _block(rng, basis.dim)
    np.testing.assert_allclose(TermOperator(chain, basis, parts) @ x, H @ x, atol=1e-13)
