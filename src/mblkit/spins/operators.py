"""Operators on spin-1/2 chains: term lists, sparse assembly, and action on blocks of vectors.

An operator is described by a *term list* (the QuSpin "static list" convention):

    [("zz", [(c_0, 0, 1), (c_1, 1, 2), ...]),
     ("+-", [(J / 2, 0, 1), ...]),
     ("z",  [(h_0 / 2, 0), (h_1 / 2, 1), ...])]

Each entry is an operator string and a list of ``(coefficient, site, site, ...)`` tuples; the
operator is sum over entries and tuples of ``coefficient * prod_f op_f(site_f)``. Letters:
``x``, ``y``, ``z`` are Pauli matrices sigma (eigenvalues +-1), ``+`` and ``-`` are S^+ and S^-
(unit matrix elements), ``I`` is the identity. Spin operators S = sigma / 2 are obtained through
the coefficients: S^z_i S^z_j = ("zz", 1/4), S^z_i = ("z", 1/2). The last letter acts first.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from mblkit.spins import kernels
from mblkit.spins.basis import SpinBasis

TermList = Sequence[tuple[str, Sequence[tuple]]]

OP_CODES = {"I": kernels.OP_IDENTITY, "x": kernels.OP_X, "y": kernels.OP_Y, "z": kernels.OP_Z,
            "+": kernels.OP_PLUS, "-": kernels.OP_MINUS}


def _check_opstring(opstr: str, sites: Sequence[int], L: int) -> None:
    unknown = sorted(set(opstr) - set(OP_CODES))
    if unknown:
        raise ValueError(f"operator string {opstr!r} has unknown letters {unknown}; allowed are "
                         f"{sorted(OP_CODES)}")
    if len(sites) != len(opstr):
        raise ValueError(f"operator string {opstr!r} needs {len(opstr)} sites, got {sites!r}")
    for s in sites:
        if not 0 <= int(s) < L:
            raise ValueError(f"site {s!r} in term {opstr!r} is outside the chain 0..{L - 1}")


def conserves_u1(opstr: str) -> bool:
    """True when an operator string conserves the number of up spins."""
    return "x" not in opstr and "y" not in opstr and opstr.count("+") == opstr.count("-")


def is_real_opstring(opstr: str) -> bool:
    """True when the string has real matrix elements (an even number of sigma^y)."""
    return opstr.count("y") % 2 == 0


def encode_terms(terms: TermList, basis: SpinBasis):
    """Convert a term list to kernel arrays ``(ops, sites, coeffs, is_real)``, checking it."""
    rows = []
    for opstr, couplings in terms:
        for coupling in couplings:
            coeff, *sites = coupling
            _check_opstring(opstr, sites, basis.L)
            if basis.in_sector and not conserves_u1(opstr):
                raise ValueError(f"term {opstr!r} changes the number of up spins, so it does not "
                                 f"act inside the sector n_up={basis.n_up}; use the full space "
                                 f"(n_up=None) or write sigma^x sigma^x + sigma^y sigma^y as "
                                 f"2 (+- plus -+)")
            rows.append((opstr, sites, complex(coeff)))
    width = max((len(op) for op, _, _ in rows), default=1)
    ops = np.zeros((len(rows), width), dtype=np.int64)
    sites_arr = np.zeros((len(rows), width), dtype=np.int64)
    coeffs = np.empty(len(rows), dtype=np.complex128)
    is_real = True
    for t, (opstr, sites, coeff) in enumerate(rows):
        ops[t, : len(opstr)] = [OP_CODES[c] for c in opstr]
        sites_arr[t, : len(opstr)] = sites
        coeffs[t] = coeff
        is_real &= coeff.imag == 0 and is_real_opstring(opstr)
    return ops, sites_arr, coeffs, is_real


def assemble(terms: TermList, basis: SpinBasis, aux: np.ndarray | sp.spmatrix | None = None,
             dtype: type | None = None) -> sp.csr_matrix:
    """Sparse CSR matrix of a term list in ``basis``.

    With a tensor factor (``basis.aux_dim > 1``) the chain operator is tensored with ``aux``
    (identity when None): returns ``kron(chain operator, aux)``.
    The matrix is float64 when every matrix element is real (no odd power of sigma^y and real
    coefficients), complex128 otherwise, unless ``dtype`` is given.
    """
    ops, sites, coeffs, is_real = encode_terms(terms, basis)
    n = basis.chain_dim
    rows, cols, vals = kernels.assemble_coo(basis.states, basis.in_sector, basis.binom, ops,
                                            sites, coeffs)
    if dtype is None:
        dtype = np.float64 if is_real else np.complex128
    if np.dtype(dtype).kind != "c":
        vals = vals.real
    chain_op = sp.coo_matrix((vals.astype(dtype, copy=False), (rows, cols)), shape=(n, n)).tocsr()
    if basis.aux_dim == 1:
        if aux is not None:
            raise ValueError("aux was given but the basis has no tensor factor (aux_dim=1)")
        return chain_op
    aux_op = sp.identity(basis.aux_dim, format="csr") if aux is None else sp.csr_matrix(aux)
    if aux_op.shape != (basis.aux_dim, basis.aux_dim):
        raise ValueError(f"aux has shape {aux_op.shape}, expected ({basis.aux_dim}, "
                         f"{basis.aux_dim}) to match basis.aux_dim")
    return sp.kron(chain_op, aux_op, format="csr")


def opstring_map(opstr: str, sites: Sequence[int], basis: SpinBasis):
    """One operator string as ``(targets, amplitudes)`` over the chain basis (see kernels)."""
    _check_opstring(opstr, sites, basis.L)
    if basis.in_sector and not conserves_u1(opstr):
        raise ValueError(f"operator {opstr!r} leaves the sector n_up={basis.n_up}; use the full "
                         f"space (n_up=None)")
    ops = np.array([OP_CODES[c] for c in opstr], dtype=np.int64)
    return kernels.opstring_map(basis.states, basis.in_sector, basis.binom, ops,
                                np.asarray(sites, dtype=np.int64))


def _as_chain_blocks(vectors: np.ndarray, basis: SpinBasis) -> np.ndarray:
    """View vectors of shape (dim,) or (dim, m) as (chain_dim, aux_dim * m)."""
    v = np.asarray(vectors)
    if v.shape[0] != basis.dim:
        raise ValueError(f"vectors have leading dimension {v.shape[0]}, but {basis!r} has "
                         f"dimension {basis.dim}")
    return v.reshape(basis.chain_dim, -1)


def apply(opstr: str, sites: Sequence[int], vectors: np.ndarray, basis: SpinBasis,
          coeff: complex = 1.0) -> np.ndarray:
    """``coeff * O |v>`` for an operator string O and a vector or a block of column vectors.

    No matrix is built: the string's monomial map is applied in one pass, O(dim * columns).
    """
    targets, amps = opstring_map(opstr, sites, basis)
    v = _as_chain_blocks(vectors, basis)
    real = is_real_opstring(opstr) and np.isrealobj(v) and complex(coeff).imag == 0
    dtype = np.result_type(v.dtype, np.float64 if real else np.complex128)
    out = np.zeros(v.shape, dtype=dtype)
    hit = targets >= 0
    factor = (coeff * amps[hit]).real if real else coeff * amps[hit]
    out[targets[hit]] = factor[:, None] * v[hit]
    return out.reshape(np.shape(vectors))


def expectation(opstr: str, sites: Sequence[int], vectors: np.ndarray,
                basis: SpinBasis) -> np.ndarray:
    """<v| O |v> for each column v (a scalar for a single vector); complex for general O."""
    targets, amps = opstring_map(opstr, sites, basis)
    v = np.asarray(vectors)
    single = v.ndim == 1
    v = _as_chain_blocks(v, basis).reshape(basis.chain_dim, basis.aux_dim, -1)
    hit = targets >= 0
    values = np.einsum("kam,k,kam->m", v[targets[hit]].conj(), amps[hit], v[hit])
    return values[0] if single else values


def dense_operator(opstr: str, sites: Sequence[int], L: int) -> np.ndarray:
    """Dense 2^L matrix of an operator string by Kronecker products (reference implementation).

    Independent of the kernels: used by the tests to check the assembly. Site i is bit i, so
    site 0 is the rightmost Kronecker factor.
    """
    _check_opstring(opstr, sites, L)
    single = {"I": np.eye(2), "x": np.array([[0, 1], [1, 0]]),
              "y": np.array([[0, 1j], [-1j, 0]]), "z": np.array([[-1, 0], [0, 1]]),
              "+": np.array([[0, 0], [1, 0]]), "-": np.array([[0, 1], [0, 0]])}
    # single-site matrices in the order (|down>, |up>) = (bit 0, bit 1)
    result = np.eye(1 << L, dtype=complex)
    for letter, site in zip(opstr, sites, strict=True):
        factors: list[np.ndarray] = [np.eye(2)] * L
        factors[L - 1 - site] = single[letter]
        full = factors[0]
        for f in factors[1:]:
            full = np.kron(full, f)
        result = result @ full
    return result
