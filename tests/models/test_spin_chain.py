"""The spin chain written as terms (``mblkit.models.spin_chain``): against XXZChain bit for bit,
against an independent dense Kronecker construction, detection of U(1) and reality, and bad
input refused with the key, the value and what is allowed."""

from functools import reduce

import numpy as np
import pytest

from mblkit.models import SpinChain, XXZChain
from mblkit.solvers import eigh

# ---- an independent dense construction: 2 x 2 matrices in the (down, up) = (bit 0, bit 1) basis

PAULI = {"x": np.array([[0, 1], [1, 0]], dtype=complex),
         "y": np.array([[0, 1j], [-1j, 0]], dtype=complex),   # sigma^y |up> = i |down>
         "z": np.diag([-1.0, 1.0]).astype(complex),
         "+": np.array([[0, 0], [1, 0]], dtype=complex),     # |up><down|
         "-": np.array([[0, 1], [0, 0]], dtype=complex)}


def site_op(letter, i, L):
    """One-site operator on site i (bit i, so site 0 is the rightmost Kronecker factor)."""
    factors = [np.eye(2)] * L
    factors[L - 1 - i] = PAULI[letter]
    return reduce(np.kron, factors)


def heisenberg(i, j, L):
    """S_i . S_j with S = sigma / 2."""
    return sum(site_op(a, i, L) @ site_op(a, j, L) for a in "xyz") / 4


def xxz_terms(boundary="open"):
    """ergodic-bubble-inclusions Eq. 2 (XXZChain) written as terms."""
    return [
        {"op": "+-", "on": "nearest", "coeff": "J", "factor": 0.5, "hc": True},
        {"op": "zz", "on": "nearest", "coeff": "J", "factor": 0.25},
        {"op": "z", "on": "site", "coeff": {"dist": "uniform", "W": "W"}, "factor": 0.5},
    ]


J1J2_QP = [
    {"op": "+-", "on": "nearest", "coeff": "J1", "factor": 0.5, "hc": True},
    {"op": "zz", "on": "nearest", "coeff": "J1", "factor": 0.25},
    {"op": "+-", "on": "next-nearest", "coeff": "J2", "factor": 0.5, "hc": True},
    {"op": "zz", "on": "next-nearest", "coeff": "J2", "factor": 0.25},
    {"op": "z", "on": "site", "factor": 0.5,
     "coeff": {"dist": "quasiperiodic", "A": "W", "beta": 0.6180339887498949}},
]


# ---- the random-field XXZ chain, bit for bit --------------------------------------------------


@pytest.mark.parametrize("boundary", ["open", "periodic"])
@pytest.mark.parametrize("J", [1.0, 1.3])
def test_xxz_written_as_terms_is_bitwise_xxzchain(boundary, J):
    L, W = 8, 2.5
    chain = SpinChain.from_params(L=L, terms=xxz_terms(), boundary=boundary, W=W, J=J)
    ref = XXZChain(L, W, J=J, delta=1.0, boundary=boundary)
    r = chain.sample(np.random.default_rng(7))
    h = ref.sample(np.random.default_rng(7))
    np.testing.assert_array_equal(r["coeff_2"], h)           # the same fields from one seed
    assert chain.conserves_sz and chain.is_real
    for n_up in (None, 0, 3, 4):
        A, B = chain.hamiltonian(r, n_up), ref.hamiltonian(h, n_up)
        assert A.dtype == B.dtype == np.float64
        assert A.shape == B.shape
        assert (A != B).nnz == 0


def test_anisotropy_through_factor_and_name():
    chain = SpinChain.from_params(
        L=6, W=1.0, delta=0.7,
        terms=[{"op": "+-", "on": "nearest", "factor": 0.5, "hc": True},
               {"op": "zz", "on": "nearest", "coeff": "delta", "factor": 0.25},
               {"op": "z", "on": "site", "coeff": {"dist": "uniform", "W": "W"},
                "factor": 0.5}])
    ref = XXZChain(6, 1.0, delta=0.7)
    r = chain.sample(np.random.default_rng(3))
    assert (chain.hamiltonian(r, 3) != ref.hamiltonian(r["coeff_2"], 3)).nnz == 0


# ---- J1-J2 with a quasi-periodic field, against Kronecker products ---------------------------


@pytest.mark.parametrize("boundary", ["open", "periodic"])
def test_j1j2_quasiperiodic_matches_kronecker_construction(boundary):
    L, J1, J2, W, beta = 7, 1.0, 0.45, 1.7, 0.6180339887498949
    chain = SpinChain.from_params(L=L, terms=J1J2_QP, boundary=boundary, J1=J1, J2=J2, W=W)
    r = chain.sample(np.random.default_rng(11))
    phase = float(r["phase_4"][0])
    assert 0 <= phase < 2 * np.pi
    h = W * np.cos(2 * np.pi * beta * np.arange(L) + phase)
    np.testing.assert_allclose(r["coeff_4"], h, rtol=0, atol=1e-15)
    ref = sum(h[i] * site_op("z", i, L) / 2 for i in range(L))
    for d, J in ((1, J1), (2, J2)):
        for i in range(L if boundary == "periodic" else L - d):
            ref = ref + J * heisenberg(i, (i + d) % L, L)
    H = chain.hamiltonian(r)
    assert H.dtype == np.float64
    np.testing.assert_allclose(H.toarray(), ref.real, atol=1e-14)
    assert np.abs(ref.imag).max() == 0
    # sectors: the rows and columns of the full matrix that hold n_up up spins
    for n_up in (2, 3):
        basis = chain.basis(n_up)
        np.testing.assert_allclose(chain.hamiltonian(r, n_up).toarray(),
                                   ref.real[np.ix_(basis.states, basis.states)], atol=1e-14)


def test_quasiperiodic_phase_is_fresh_per_realisation_and_field_follows_first_site():
    chain = SpinChain.from_params(
        L=6, A=1.0, terms=[{"op": "zz", "on": "nearest", "factor": 0.25,
                            "coeff": {"dist": "quasiperiodic", "A": "A", "beta": 0.3}}])
    rng = np.random.default_rng(5)
    a, b = chain.sample(rng), chain.sample(rng)
    assert a["phase_0"][0] != b["phase_0"][0]
    np.testing.assert_allclose(a["coeff_0"], np.cos(2 * np.pi * 0.3 * np.arange(5)
                                                    + a["phase_0"][0]), atol=1e-15)


# ---- distributions ----------------------------------------------------------------------------


def test_distributions_draw_what_they_say():
    L = 24
    terms = [{"op": "z", "on": "site", "coeff": {"dist": "uniform", "W": 2.0, "center": 1.0}},
             {"op": "z", "on": "site", "coeff": {"dist": "normal", "sigma": "s"}},
             {"op": "zz", "on": "nearest", "coeff": {"dist": "bimodal", "W": 0.5}}]
    chain = SpinChain.from_params(L=L, terms=terms, s=3.0)
    rng = np.random.default_rng(1)
    draws = [chain.sample(rng) for _ in range(400)]
    u = np.concatenate([d["coeff_0"] for d in draws])
    g = np.concatenate([d["coeff_1"] for d in draws])
    b = np.concatenate([d["coeff_2"] for d in draws])
    assert u.min() >= -1.0 and u.max() <= 3.0 and abs(u.mean() - 1.0) < 0.05
    assert abs(u.var() - 4.0 / 3.0) < 0.05                 # box of half-width 2: W^2 / 3
    assert abs(g.mean()) < 0.1 and abs(g.std() - 3.0) < 0.05
    assert set(np.unique(b)) == {-0.5, 0.5} and abs(b.mean()) < 0.03
    assert draws[0]["coeff_2"].shape == (L - 1,)             # one coupling per open bond


def test_random_bond_couplings_on_a_ring_have_one_value_per_bond():
    terms = [{"op": "+-", "on": "nearest", "hc": True, "factor": 0.5,
              "coeff": {"dist": "uniform", "W": 0.5, "center": 1.0}}]
    chain = SpinChain(5, terms, boundary="periodic")
    r = chain.sample(np.random.default_rng(2))
    J = r["coeff_0"]
    assert J.shape == (5,)
    ref = sum(J[i] * (heisenberg(i, (i + 1) % 5, 5) - site_op("z", i, 5)
                      @ site_op("z", (i + 1) % 5, 5) / 4) for i in range(5))
    np.testing.assert_allclose(chain.hamiltonian(r).toarray(), ref.real, atol=1e-14)


def test_explicit_tuples_and_range():
    terms = [{"op": "zz", "on": [[0, 3], [1, 5]], "coeff": [0.3, -0.8]},
             {"op": "x", "on": [2, 4]},
             {"op": "xx", "on": "range", "r": 3, "coeff": 0.2}]
    chain = SpinChain(6, terms)
    ref = (0.3 * site_op("z", 0, 6) @ site_op("z", 3, 6)
           - 0.8 * site_op("z", 1, 6) @ site_op("z", 5, 6)
           + site_op("x", 2, 6) + site_op("x", 4, 6)
           + 0.2 * sum(site_op("x", i, 6) @ site_op("x", i + 3, 6) for i in range(3)))
    np.testing.assert_allclose(chain.hamiltonian({}).toarray(), ref.real, atol=1e-14)
    assert not chain.conserves_sz


# ---- detection of U(1) and of real arithmetic -------------------------------------------------


def test_xx_plus_yy_conserves_sz_and_acts_in_a_sector():
    L = 7
    terms = [{"op": "xx", "on": "nearest", "factor": 0.25},
             {"op": "yy", "on": "nearest", "factor": 0.25},
             {"op": "z", "on": "site", "factor": 0.5, "coeff": {"dist": "normal", "sigma": 1.0}}]
    chain = SpinChain(L, terms)
    ref_chain = SpinChain(L, [{"op": "+-", "on": "nearest", "factor": 0.5, "hc": True},
                              terms[2]])
    assert chain.conserves_sz and chain.is_real
    r = chain.sample(np.random.default_rng(4))
    full = chain.hamiltonian(r)
    np.testing.assert_allclose(full.toarray(),
                               ref_chain.hamiltonian({"coeff_1": r["coeff_2"]}).toarray(),
                               atol=1e-14)
    spectra = [eigh(chain.hamiltonian(r, n), vectors=False).energies for n in range(L + 1)]
    np.testing.assert_allclose(np.sort(np.concatenate(spectra)),
                               eigh(full, vectors=False).energies, atol=1e-11)
    assert chain.hamiltonian(r, 3).dtype == np.float64


@pytest.mark.parametrize(("terms", "conserves", "real"), [
    ([{"op": "zz", "on": "nearest"}], True, True),
    ([{"op": "x", "on": "site"}], False, True),
    ([{"op": "xx", "on": "nearest"}], False, True),
    ([{"op": "xx", "on": "nearest"}, {"op": "yy", "on": "nearest", "coeff": 0.9}], False, True),
    ([{"op": "y", "on": "site"}], False, False),
    ([{"op": "yy", "on": "nearest"}], False, True),
    ([{"op": "+-", "on": "nearest", "coeff": 1j, "hc": True}], True, False),
    ([{"op": "zzz", "on": "nearest", "coeff": {"dist": "normal", "sigma": 1}}], True, True),
    ([{"op": "+", "on": "site", "hc": True}], False, True),
])
def test_detection_from_terms(terms, conserves, real):
    chain = SpinChain(5, terms)
    assert chain.conserves_sz is conserves
    assert chain.is_real is real
    H = chain.hamiltonian(chain.sample(np.random.default_rng(0)))
    assert H.dtype == (np.float64 if real else np.complex128)
    assert abs(H - H.conj().T).max() < 1e-14
    if not conserves:
        with pytest.raises(ValueError, match="n_up = 2 is not allowed"):
            chain.hamiltonian({}, 2)


def test_complex_hopping_against_kronecker():
    L, t = 5, 0.3 + 0.4j
    chain = SpinChain(L, [{"op": "+-", "on": "nearest", "coeff": t, "hc": True}])
    ref = sum(t * site_op("+", i, L) @ site_op("-", i + 1, L) for i in range(L - 1))
    ref = ref + ref.conj().T
    np.testing.assert_allclose(chain.hamiltonian({}).toarray(), ref, atol=1e-15)
    np.testing.assert_allclose(chain.hamiltonian({}, 2).toarray(),
                               ref[np.ix_(chain.basis(2).states, chain.basis(2).states)],
                               atol=1e-15)


# ---- Hermiticity --------------------------------------------------------------------------------


def test_separately_written_conjugates_are_hermitian():
    """Accepted, and the flip-flop it builds is the Kronecker one (not only: it does not raise)."""
    L = 4
    chain = SpinChain(L, [{"op": "+-", "on": "nearest", "coeff": 0.5},
                          {"op": "-+", "on": "nearest", "coeff": 0.5}])
    ref = sum(0.5 * (site_op("+", i, L) @ site_op("-", i + 1, L)
                     + site_op("-", i, L) @ site_op("+", i + 1, L)) for i in range(L - 1))
    np.testing.assert_allclose(chain.hamiltonian({}).toarray(), ref, atol=1e-15)


@pytest.mark.parametrize(("terms", "message"), [
    ([{"op": "+-", "on": "nearest"}], r"terms\[0\] gives \+- on sites \(0, 1\)"),
    ([{"op": "+-", "on": "nearest", "coeff": 0.5}, {"op": "-+", "on": "nearest", "coeff": 0.4}],
     "not Hermitian"),
    ([{"op": "zz", "on": "nearest"}, {"op": "z", "on": "site", "coeff": 1j}],
     r"terms\[1\] gives z on sites \(0,\)"),
    ([{"op": "+-", "on": "nearest", "coeff": {"dist": "uniform", "W": 1}}],
     r"terms\[0\] \(op '\+-'\) has a random coefficient"),
    ([{"op": "x", "on": "site", "factor": 1j, "coeff": {"dist": "normal", "sigma": 1}}],
     r"terms\[0\] \(op 'x'\) has a random coefficient"),
])
def test_non_hermitian_term_lists_are_refused_naming_the_term(terms, message):
    with pytest.raises(ValueError, match=message):
        SpinChain(4, terms)


# ---- bad input --------------------------------------------------------------------------------

GOOD = {"op": "zz", "on": "nearest"}


@pytest.mark.parametrize(("L", "terms", "params", "message"), [
    (6, [{"op": "zq", "on": "nearest"}], {}, r"terms\[0\]\.op = 'zq' has unknown letters \['q'\]"
     r": allowed are \['x', 'y', 'z', '\+', '-'\]"),
    (6, [GOOD, {"op": "z", "on": [[2], [6]]}], {},
     r"terms\[1\]\.on has sites \[6\] outside the chain: allowed are 0\.\.5"),
    (6, [{"op": "zz", "on": [[0, 0]]}], {}, "repeated site"),
    (6, [{"op": "zz", "on": [[0, 1, 2]]}], {}, "needs tuples of 2 integer sites"),
    (6, [{"op": "z", "on": "site", "coeff": {"dist": "uniform"}}], {},
     r"terms\[0\]\.coeff \(dist = 'uniform'\) is missing \['W'\]"),
    (6, [{"op": "z", "on": "site", "coeff": {"dist": "quasiperiodic", "A": 1}}], {},
     r"is missing \['beta'\]"),
    (6, [{"op": "z", "on": "site", "coeff": {"dist": "normal", "sigma": -0.1}}], {},
     r"terms\[0\]\.coeff\.sigma = -0\.1 is not allowed: it must be >= 0"),
    (6, [{"op": "z", "on": "site", "coeff": {"dist": "uniform", "W": "W"}}], {"W": -2.0},
     r"terms\[0\]\.coeff\.W = 'W' \(= -2\.0\) is not allowed: it must be >= 0"),
    (6, [{"op": "z", "on": "site", "coeff": "J3"}], {"J2": 1.0},
     r"terms\[0\]\.coeff = 'J3' is not allowed: it names no model parameter; the parameters "
     r"are \['J2'\]"),
    (6, [{"op": "z", "on": "site", "coeff": {"dist": "uniform", "W": "Wx"}}], {"W": 1.0},
     r"terms\[0\]\.coeff\.W = 'Wx' is not allowed: it names no model parameter"),
    (6, [{"op": "z", "on": "site", "coeff": {"dist": "cauchy", "W": 1}}], {},
     r"dist = 'cauchy' is not allowed: use one of \['bimodal', 'normal', 'quasiperiodic', "
     r"'uniform'\]"),
    (6, [{"op": "z", "on": "site", "coeff": {"dist": "uniform", "W": 1, "sigma": 1}}], {},
     r"unknown keys \['sigma'\] for dist = 'uniform'"),
    (6, [{"op": "z", "on": "site", "coef": 1.0}], {}, r"terms\[0\] has unknown keys \['coef'\]"),
    (6, [{"op": "zz", "on": "site"}], {}, "on = 'site' is not allowed for op 'zz'"),
    (6, [{"op": "zz", "on": "bonds"}], {}, r"terms\[0\]\.on = 'bonds' is not allowed"),
    (6, [{"op": "zz", "on": "range"}], {}, r"terms\[0\]\.r = None is not allowed"),
    (6, [{"op": "zz", "on": "nearest", "r": 2}], {}, "r belongs to on = 'range'"),
    (6, [{"op": "zz", "on": "nearest", "coeff": [1.0, 2.0]}], {},
     "one finite number per site tuple, 5 here"),
    (6, [{"op": "zz", "on": "nearest", "coeff": float("nan")}], {}, "coeff = nan"),
    (6, [{"op": "zz", "on": "nearest", "coeff": True}], {}, "coeff = True"),
    (6, [{"op": "zz", "on": "nearest", "hc": "yes"}], {}, r"hc = 'yes' is not allowed"),
    (6, [{"op": "zz", "on": "nearest", "boundary": "ring"}], {}, "boundary = 'ring'"),
    (4, [{"op": "zz", "on": "range", "r": 4, "boundary": "periodic"}], {},
     "does not fit a ring of L = 4"),
    (4, [{"op": "zzz", "on": "next-nearest"}], {}, "more than the open chain of L = 4"),
    (6, [GOOD], {"W": 1.0}, r"parameters \['W'\] are not used by any term"),
    (6, [GOOD], {"W": "big"}, "W = 'big' is not allowed: a model parameter must be a finite"),
    (6, [], {}, r"terms = \[\] is not allowed"),
    (6, [GOOD, "zz"], {}, r"terms\[1\] = 'zz' is not allowed: a term is a table"),
    (30, [GOOD], {}, "L=30 is not allowed"),
    (6, [{"on": "nearest"}], {}, r"terms\[0\]\.op = None is not allowed"),
    (6, [{"op": "zz"}], {}, r"terms\[0\]\.on is missing"),
])
def test_bad_input_is_refused_naming_key_value_and_what_is_allowed(L, terms, params, message):
    with pytest.raises(ValueError, match=message):
        SpinChain.from_params(L=L, terms=terms, **params)


def test_from_params_needs_l_and_terms():
    with pytest.raises(ValueError, match=r"needs \['terms'\]"):
        SpinChain.from_params(L=4)


def test_realisation_must_come_from_this_model():
    chain = SpinChain.from_params(L=6, terms=xxz_terms(), W=1.0, J=1.0)
    with pytest.raises(ValueError, match="has no 'coeff_2'"):
        chain.hamiltonian({})
    with pytest.raises(ValueError, match=r"shape \(5,\), expected \(6,\)"):
        chain.hamiltonian({"coeff_2": np.zeros(5)})


def test_dzyaloshinskii_moriya_term_in_a_sector_against_kronecker():
    """D (sigma^x_i sigma^y_j - sigma^y_i sigma^x_j) keeps S^z although neither string does: the
    sector rendering goes through the z, +, - expansion, where the sign of sigma^y matters."""
    L, D = 6, 0.7
    chain = SpinChain(L, [{"op": "xy", "on": "nearest", "coeff": D},
                          {"op": "yx", "on": "nearest", "coeff": -D},
                          {"op": "zz", "on": "nearest", "factor": 0.25}])
    assert chain.conserves_sz and not chain.is_real
    ref = sum(D * (site_op("x", i, L) @ site_op("y", i + 1, L)
                   - site_op("y", i, L) @ site_op("x", i + 1, L))
              + site_op("z", i, L) @ site_op("z", i + 1, L) / 4 for i in range(L - 1))
    np.testing.assert_allclose(chain.hamiltonian({}).toarray(), ref, atol=1e-14)
    for n_up in (2, 3):
        states = chain.basis(n_up).states
        H = chain.hamiltonian({}, n_up)
        assert H.dtype == np.complex128
        np.testing.assert_allclose(H.toarray(), ref[np.ix_(states, states)], atol=1e-14)


def test_equal_models_are_equal_and_hash_alike():
    a = SpinChain.from_params(L=6, terms=xxz_terms(), W=1.0, J=1.0)
    b = SpinChain.from_params(L=6, terms=xxz_terms(), J=1.0, W=1.0)
    c = SpinChain.from_params(L=6, terms=xxz_terms(), W=2.0, J=1.0)
    assert a == b and hash(a) == hash(b) and a != c
    assert len({a, b, c}) == 2
