"""One interface test for every model (in the spirit of NetKet's operator tests): the operator
is Hermitian or unitary, its renderings agree, the U(1) sectors join to the full spectrum where
S^z is conserved, the same seed gives the same realisation, and a realisation survives a trip
through an HDF5 group.

A model joins these checks by being listed in :data:`CASES`: the built-in models, the spin
chain written as terms, the Quantum Sun model, and plugins written against
``mblkit.models.protocol`` in ``plugin_models.py``. Built-in models that predate the protocol
(no ``conserves_sz``, no ``n_up`` argument) are reached through the small adapters below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import h5py
import numpy as np
import pytest
import scipy.sparse as sp
from plugin_models import KickedIsing, RandomIsingChain

from mblkit.models import (
    BrickworkCircuit,
    BubbleChain,
    O3FloquetChain,
    O3HeisenbergChain,
    ProbeFloquetChain,
    ProbeStaticChain,
    QuantumSun,
    SpinChain,
    XXZChain,
)
from mblkit.models.protocol import (
    check_model,
    check_model_class,
    realisation_arrays,
    realisation_from_arrays,
    resolve_model,
)
from mblkit.spins import SpinBasis, apply, dense_operator
from mblkit.spins.operators import TermList


@dataclass(frozen=True)
class Case:
    """A model under test and how to reach its pieces.

    ``operator(model, r, n_up)`` the matrix (sparse H or dense U); ``basis(model, n_up)`` the
    space of H; ``terms(model, r)`` a term list in the full chain space where the model has one
    (a second, matrix-free rendering); ``sectors``: S^z conserved and a full space to compare
    with; ``protocol``: the class satisfies mblkit.models.protocol as it stands.
    """

    model: Any
    kind: str = "hamiltonian"
    operator: Callable | None = None
    basis: Callable | None = None
    terms: Callable[[Any, Any], TermList] | None = None
    sectors: bool = False
    protocol: bool = False


J1J2 = [
    {"op": "+-", "on": "nearest", "factor": 0.5, "hc": True},
    {"op": "zz", "on": "nearest", "factor": 0.25},
    {"op": "+-", "on": "next-nearest", "coeff": "J2", "factor": 0.5, "hc": True},
    {"op": "zz", "on": "next-nearest", "coeff": "J2", "factor": 0.25},
    {"op": "z", "on": "site", "factor": 0.5,
     "coeff": {"dist": "quasiperiodic", "A": "W", "beta": 0.6180339887498949}},
    {"op": "zz", "on": "nearest", "coeff": {"dist": "bimodal", "W": 0.2}},
]
RANDOM_XY_FIELD = [
    {"op": "xx", "on": "nearest", "coeff": {"dist": "normal", "sigma": 1.0}},
    {"op": "y", "on": "site", "coeff": {"dist": "uniform", "W": 1.0}},
]


def _full_space_only(model, r, n_up):
    assert n_up is None
    return model.hamiltonian(r)


CASES: dict[str, Case] = {
    "xxz": Case(XXZChain(6, 2.0, delta=0.6, boundary="periodic"),
                terms=lambda m, r: m.terms(r), sectors=True),
    "o3": Case(O3HeisenbergChain(5, 1.5), operator=_full_space_only,
               basis=lambda m, n_up: m.basis(),
               terms=lambda m, r: [*m.exchange_terms(), *m.field_terms(r)]),
    "bubble": Case(BubbleChain(4, 2.0, n_goe=3)),
    "probe-static": Case(ProbeStaticChain(4, 2.0), operator=_full_space_only,
                         basis=lambda m, n_up: m.basis(), terms=lambda m, r: m.terms(r)),
    "spin-chain": Case(SpinChain.from_params(L=6, terms=J1J2, boundary="periodic", J2=0.4,
                                             W=1.5),
                       terms=lambda m, r: m.terms_of(r), sectors=True, protocol=True),
    "spin-chain-xy": Case(SpinChain(5, RANDOM_XY_FIELD), terms=lambda m, r: m.terms_of(r),
                          protocol=True),
    "quantum-sun": Case(QuantumSun(L=3, alpha=0.7, N=2), protocol=True),
    "plugin-ising": Case(RandomIsingChain(5), terms=lambda m, r: m.terms(r), protocol=True),
    "brickwork": Case(BrickworkCircuit(4, 0.2), kind="floquet"),
    "o3-floquet": Case(O3FloquetChain(4, 1.0, Omega=3.0), kind="floquet"),
    "probe-floquet": Case(ProbeFloquetChain(3, 1.0, Omega=3.0), kind="floquet"),
    "plugin-kicked-ising": Case(KickedIsing(4), kind="floquet", protocol=True),
}
HAMILTONIAN = [k for k, c in CASES.items() if c.kind == "hamiltonian"]
FLOQUET = [k for k, c in CASES.items() if c.kind == "floquet"]


def operator(case: Case, r, n_up=None):
    if case.kind == "floquet":
        return case.model.unitary(r)
    if case.operator is not None:
        return case.operator(case.model, r, n_up)
    return case.model.hamiltonian(r, n_up)


def basis(case: Case, n_up=None) -> SpinBasis:
    return case.basis(case.model, n_up) if case.basis else case.model.basis(n_up)


def realisation(case: Case, seed: int = 3):
    return case.model.sample(np.random.default_rng(seed))


def same(a, b) -> bool:
    if sp.issparse(a):
        return a.shape == b.shape and a.dtype == b.dtype and (a != b).nnz == 0
    return a.dtype == b.dtype and np.array_equal(a, b)


# ---- the operator -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", HAMILTONIAN)
def test_hamiltonian_is_hermitian_and_acts_on_its_basis(name):
    case = CASES[name]
    H = operator(case, realisation(case))
    assert sp.issparse(H)
    assert H.shape == (basis(case).dim,) * 2
    scale = abs(H).max()
    assert abs(H - H.conj().T).max() <= 1e-14 * scale
    assert H.dtype in (np.float64, np.complex128)


@pytest.mark.parametrize("name", FLOQUET)
def test_floquet_operator_is_unitary(name):
    case = CASES[name]
    U = operator(case, realisation(case))
    assert U.shape == (case.model.dim,) * 2
    np.testing.assert_allclose(U.conj().T @ U, np.eye(U.shape[0]), atol=1e-12)


def _matrix_free(terms: TermList, b: SpinBasis, vectors: np.ndarray) -> np.ndarray:
    out = np.zeros(vectors.shape, dtype=complex)
    for opstr, couplings in terms:
        for coeff, *sites in couplings:
            out += apply(opstr, sites, vectors, b, coeff)
    return out


@pytest.mark.parametrize("name", HAMILTONIAN)
def test_sparse_matrix_free_and_dense_renderings_agree(name):
    """CSR against the term list applied without a matrix (mblkit.spins.apply) and against the
    Kronecker-product rendering (mblkit.spins.dense_operator), where the model has terms; the
    other models are checked against their own independent constructions in their test files."""
    case = CASES[name]
    if case.terms is None:
        pytest.skip("no term list: the Kronecker reference lives in the model's own tests")
    r = realisation(case)
    H = operator(case, r)
    b = basis(case)
    terms = case.terms(case.model, r)
    block = np.random.default_rng(0).standard_normal((b.dim, 3))
    np.testing.assert_allclose(H @ block, _matrix_free(terms, b, block), atol=1e-12)
    dense = sum(coeff * dense_operator(opstr, sites, b.L)
                for opstr, couplings in terms for coeff, *sites in couplings)
    np.testing.assert_allclose(H.toarray(), dense, atol=1e-12)


@pytest.mark.parametrize("name", [k for k in HAMILTONIAN if CASES[k].sectors])
def test_sectors_join_to_the_full_spectrum(name):
    case = CASES[name]
    r = realisation(case)
    full = operator(case, r)
    L = case.model.L
    states, spectra = [], []
    for n_up in range(L + 1):
        block = operator(case, r, n_up)
        sector = basis(case, n_up)
        # the sector matrix is the full matrix restricted to the sector's states ...
        np.testing.assert_allclose(block.toarray(),
                                   full[sector.states][:, sector.states].toarray(), atol=1e-14)
        states.append(sector.states)
        spectra.append(np.linalg.eigvalsh(block.toarray()))
    # ... the sectors tile the space, and nothing connects two sectors
    order = np.concatenate(states)
    assert np.array_equal(np.sort(order), np.arange(2**L))
    np.testing.assert_allclose(np.sort(np.concatenate(spectra)),
                               np.linalg.eigvalsh(full.toarray()), atol=1e-11)


@pytest.mark.parametrize("name", [k for k in HAMILTONIAN if not CASES[k].sectors
                                  and CASES[k].protocol])
def test_models_without_u1_refuse_a_sector(name):
    case = CASES[name]
    assert case.model.conserves_sz is False
    with pytest.raises(ValueError, match="n_up"):
        operator(case, realisation(case), 1)


# ---- realisations -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CASES))
def test_same_seed_same_realisation_other_seed_other_realisation(name):
    """Smoke test: a seed draws the same realisation again, another seed another one (it compares
    sample with itself); the independent checks of what is drawn are the literal values of
    tests/campaign/test_seeding.py,
    ::test_a_point_draws_the_same_disorder_wherever_it_sits_in_the_grid, and
    tests/models/test_bubble.py::test_sample_follows_eq_4 and
    tests/models/test_spin_chain.py::test_distributions_draw_what_they_say."""
    case = CASES[name]
    saved = np.random.get_state()  # noqa: NPY002
    try:  # the legacy global state must not matter
        np.random.seed(1)  # noqa: NPY002
        a = realisation_arrays(realisation(case, 5))
        np.random.seed(2)  # noqa: NPY002
        b = realisation_arrays(realisation(case, 5))
    finally:
        np.random.set_state(saved)  # noqa: NPY002
    c = realisation_arrays(realisation(case, 6))
    assert set(a) == set(b) and all(np.array_equal(a[k], b[k]) for k in a)
    assert any(not np.array_equal(a[k], c[k]) for k in a)


@pytest.mark.parametrize("name", list(CASES))
def test_realisation_round_trips_through_an_hdf5_group(name, tmp_path):
    case = CASES[name]
    r = realisation(case)
    with h5py.File(tmp_path / "store.h5", "w") as f:
        group = f.create_group("points/p00000/realisation")
        for key, value in realisation_arrays(r).items():
            group.create_dataset(key, data=value)
    with h5py.File(tmp_path / "store.h5", "r") as f:
        stored = {k: v[()] for k, v in f["points/p00000/realisation"].items()}
    back = realisation_from_arrays(stored, r)
    assert same(operator(case, back), operator(case, r))


# ---- the protocol -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", [k for k, c in CASES.items() if c.protocol])
def test_protocol_models_pass_the_checks(name):
    case = CASES[name]
    cls = type(case.model)
    assert check_model_class(cls).kind == case.kind
    assert resolve_model(f"{cls.__module__}:{cls.__name__}").cls is cls
    check_model(case.model)


def test_every_registered_campaign_model_has_a_case():
    """A model a campaign can run joins these checks: every name of the campaign registry
    (mblkit.campaign.registry) is a case here, of the registered class (the avalanche scheme
    builds no operator)."""
    from mblkit.campaign.registry import models

    registry = models()
    missing = sorted(set(registry) - set(CASES) - {"avalanche-scheme"})
    assert not missing, f"registered models without an interface case: {missing}"
    for name, kind in registry.items():
        if name in CASES:
            assert type(CASES[name].model) is kind.models[name], name
            floquet = hasattr(kind.models[name], "unitary")
            assert CASES[name].kind == ("floquet" if floquet else "hamiltonian"), name
