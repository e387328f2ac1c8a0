"""A spin-1/2 chain whose Hamiltonian is a list of terms given as plain data (campaign model
``"spin-chain"``).

Each term is a mapping (what a TOML table parses into) with the keys

``op``
    the operator letters of :mod:`mblkit.spins`: ``x y z`` are Pauli matrices sigma
    (eigenvalues +-1), ``+ -`` are S^+ and S^- (unit matrix elements); ``"zz"``, ``"+-"``,
    ``"x"``, ``"zzz"``. The first letter acts on the first site of each site tuple.
``on``
    where it acts: ``"site"`` (every site, one letter), ``"nearest"`` (consecutive sites
    i, i+1, ..., one per letter), ``"next-nearest"`` (i, i+2, ...), ``"range"`` with ``r``
    (i, i+r, ...), or an explicit list of site tuples (``[[0, 3], [1, 4]]``; for one letter
    also ``[0, 3]``). Sites are 0..L-1 (site i is bit i of a basis state).
``boundary``
    ``"open"`` or ``"periodic"`` for the generated placements (default: the model's
    ``boundary``). Periodic tuples wrap modulo L; i runs over all L sites.
``hc``
    ``true`` adds the Hermitian conjugate of every tuple, conj(c) (O_1 ... O_k)^dagger
    (default ``false``).
``coeff``
    a number; a list with one number per site tuple; the name of a model parameter (a grid or
    ``params`` key, e.g. ``"W"`` or ``"J2"``); or a distribution drawn independently per tuple
    (:data:`DISTRIBUTIONS`), e.g. ``{ dist = "uniform", W = "W" }``, whose parameters are
    numbers or parameter names. Default 1.
``factor``
    a number or a parameter name multiplying ``coeff`` (default 1), so that spin operators
    S = sigma / 2 and couplings J / 2 need no arithmetic in the config: the term is
    ``factor * coeff_t * O_t`` for each tuple t.

Distributions (``i`` is the first site of the tuple; ``center`` defaults to 0):

* ``uniform``: ``center + W * U[-1, 1]``, ``W >= 0`` (the box [center - W, center + W]);
* ``normal``: mean ``center``, standard deviation ``sigma >= 0``;
* ``bimodal``: ``center +- W`` with probability 1/2 each, ``W >= 0``;
* ``quasiperiodic``: ``center + A cos(2 pi beta i + phi)``, ``A >= 0``, any finite ``beta``,
  one phase phi uniform in [0, 2 pi) per term and realisation.

Nothing is evaluated: names are looked up among the model parameters, and every other value
must be a number. Bad input is refused when the model is constructed, naming the key
(``terms[2].coeff.W``), its value and what is allowed; a parameter no term uses is refused too
(it is most likely a typo).

Detected from the terms: :attr:`SpinChain.conserves_sz` (every operator string, expanded in
the basis z, +, - of each site and summed over the terms, keeps the number of up spins; so
``xx + yy`` conserves it) and :attr:`SpinChain.is_real` (no odd power of sigma^y, real
coefficients; real models are assembled in float64). A term list whose sum is not Hermitian
for every draw of its random coefficients is refused, naming a term without its partner.

A realisation is a ``dict`` of plain arrays: ``coeff_<k>`` holds the drawn coefficients of term
k (before ``factor``), one per tuple, and ``phase_<k>`` the phase of a quasi-periodic term.
Random numbers are drawn term by term in list order, tuple by tuple, so the random-field XXZ
chain written as terms draws exactly the fields of :class:`mblkit.models.XXZChain` from the same
generator. The matrix is assembled by :func:`mblkit.spins.assemble`, the path of the built-in
models.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from numbers import Complex, Real
from typing import Any

import numpy as np
import scipy.sparse as sp

from mblkit.models._checks import BOUNDARIES
from mblkit.spins import SpinBasis, assemble
from mblkit.spins.basis import check_sites
from mblkit.spins.operators import TermList, conserves_u1

LETTERS = "xyz+-"
PLACEMENTS = ("site", "nearest", "next-nearest", "range")
TERM_KEYS = ("op", "on", "r", "boundary", "hc", "coeff", "factor")

#: distribution -> (required parameters, parameters that must be >= 0)
DISTRIBUTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "uniform": (("W",), ("W",)),
    "normal": (("sigma",), ("sigma",)),
    "bimodal": (("W",), ("W",)),
    "quasiperiodic": (("A", "beta"), ("A",)),
}
OPTIONAL_DISTRIBUTION_KEYS = ("center",)

_DAGGER = {"x": "x", "y": "y", "z": "z", "+": "-", "-": "+"}
# each letter in the basis (z, +, -) of one site: sigma^x = S^+ + S^-, sigma^y = -i S^+ + i S^-
# (sigma^y |up> = i |down>, the convention of mblkit.spins.kernels)
_EXPANSION: dict[str, tuple[tuple[str, complex], ...]] = {
    "x": (("+", 1.0), ("-", 1.0)),
    "y": (("+", -1.0j), ("-", 1.0j)),
    "z": (("z", 1.0),),
    "+": (("+", 1.0),),
    "-": (("-", 1.0),),
}

Monomial = tuple[tuple[int, str], ...]  # ((site, letter), ...) sorted by site, letters z + -


def _is_number(value: Any) -> bool:
    return isinstance(value, Complex) and not isinstance(value, bool)


def _finite_number(value: Any) -> bool:
    return _is_number(value) and math.isfinite(abs(complex(value)))


@dataclass(frozen=True)
class _Random:
    """A resolved distribution: its kind and numeric parameters."""

    kind: str
    params: tuple[tuple[str, float], ...]

    def get(self, name: str) -> float:
        return dict(self.params).get(name, 0.0)


@dataclass(frozen=True)
class _Term:
    """A resolved term: letters, site tuples (n, k), constant coefficients or a distribution."""

    index: int
    op: str
    sites: np.ndarray
    hc: bool
    factor: complex
    constant: np.ndarray | None  # (n,) complex, or None for a random term
    random: _Random | None

    @property
    def label(self) -> str:
        return f"terms[{self.index}] (op {self.op!r})"

    def conj_op(self) -> str:
        """Letters of (O_1 ... O_k)^dagger on the reversed tuple."""
        return "".join(_DAGGER[c] for c in reversed(self.op))


def _parameters(parameters: Mapping[str, Any] | Sequence[tuple[str, Any]]
                ) -> tuple[tuple[str, float], ...]:
    items = dict(parameters).items()
    out = []
    for name, value in items:
        if not isinstance(name, str):
            raise ValueError(f"parameter name {name!r} is not allowed: names are strings")
        if not isinstance(value, Real) or isinstance(value, bool) or not math.isfinite(value):
            raise ValueError(f"{name} = {value!r} is not allowed: a model parameter must be a "
                             f"finite real number")
        out.append((name, float(value)))
    return tuple(sorted(out))


@dataclass(frozen=True)
class SpinChain:
    """Parameters of a spin chain written as terms (see the module docstring for the keys).

    L : sites (1..24); terms : a sequence of term mappings; boundary : default boundary of the
    generated placements; parameters : the numbers that terms name (grid or params keys).
    Use :meth:`from_params` to build one from a campaign point (L, terms, boundary and the
    other keys as parameters).
    """

    L: int
    terms: tuple[Mapping[str, Any], ...]
    boundary: str = "open"
    parameters: tuple[tuple[str, float], ...] = ()
    _resolved: tuple[_Term, ...] = field(init=False, repr=False, compare=False)
    _conserves: bool = field(init=False, repr=False, compare=False)
    _real: bool = field(init=False, repr=False, compare=False)
    _rendered: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_sites(self.L)
        if self.boundary not in BOUNDARIES:
            raise ValueError(f"boundary = {self.boundary!r} is not allowed: use one of "
                             f"{BOUNDARIES}")
        if isinstance(self.terms, str | bytes | Mapping) or not isinstance(self.terms, Sequence):
            raise ValueError(f"terms = {self.terms!r} is not allowed: give a list of term "
                             f"tables (keys {list(TERM_KEYS)})")
        if len(self.terms) == 0:
            raise ValueError("terms = [] is not allowed: give at least one term")
        object.__setattr__(self, "terms", tuple(self.terms))
        object.__setattr__(self, "parameters", _parameters(self.parameters))
        values = dict(self.parameters)
        used: set[str] = set()
        resolved = tuple(self._resolve(k, spec, values, used) for k, spec in
                         enumerate(self.terms))
        unused = sorted(set(values) - used)
        if unused:
            raise ValueError(f"parameters {unused} are not used by any term: name them in a "
                             f"term's coeff, factor or distribution, or remove them")
        object.__setattr__(self, "_resolved", resolved)
        object.__setattr__(self, "_conserves", _analyse(resolved))
        object.__setattr__(self, "_real", _is_real(resolved))
        # the constant terms rendered once; random ones are rendered per realisation
        object.__setattr__(self, "_rendered", tuple(
            None if t.constant is None else _render(t, t.factor * t.constant, self._real)
            for t in resolved))

    def __hash__(self) -> int:
        return hash((self.L, self.boundary, self.parameters, _freeze(self.terms)))

    @classmethod
    def from_params(cls, **params: Any) -> SpinChain:
        """A model from a campaign point: ``L``, ``terms``, ``boundary`` and, as parameters,
        every other key (each a number that terms may name)."""
        if "L" not in params or "terms" not in params:
            missing = [k for k in ("L", "terms") if k not in params]
            raise ValueError(f"model 'spin-chain' needs {missing}: give them in params or grid")
        L = params.pop("L")
        terms = params.pop("terms")
        boundary = params.pop("boundary", "open")
        return cls(L, terms, boundary, tuple(params.items()))

    # ---- resolution of the plain data -------------------------------------------------------

    def _resolve(self, k: int, spec: Any, values: dict[str, float], used: set[str]) -> _Term:
        key = f"terms[{k}]"
        if not isinstance(spec, Mapping):
            raise ValueError(f"{key} = {spec!r} is not allowed: a term is a table with keys "
                             f"{list(TERM_KEYS)}")
        unknown = sorted(set(spec) - set(TERM_KEYS))
        if unknown:
            raise ValueError(f"{key} has unknown keys {unknown}: allowed are {list(TERM_KEYS)}")
        op = spec.get("op")
        if not isinstance(op, str) or not op:
            raise ValueError(f"{key}.op = {op!r} is not allowed: give the operator letters, a "
                             f"non-empty string of {list(LETTERS)}")
        bad = sorted(set(op) - set(LETTERS))
        if bad:
            raise ValueError(f"{key}.op = {op!r} has unknown letters {bad}: allowed are "
                             f"{list(LETTERS)} (x y z Pauli, + - raising and lowering)")
        sites = self._sites(key, spec, len(op))
        hc = spec.get("hc", False)
        if not isinstance(hc, bool):
            raise ValueError(f"{key}.hc = {hc!r} is not allowed: use true or false")
        factor = _scalar(f"{key}.factor", spec.get("factor", 1.0), values, used)
        coeff = spec.get("coeff", 1.0)
        if isinstance(coeff, Mapping):
            return _Term(k, op, sites, hc, factor, None,
                         _distribution(f"{key}.coeff", coeff, values, used))
        if isinstance(coeff, Sequence) and not isinstance(coeff, str):
            if len(coeff) != len(sites) or not all(_finite_number(c) for c in coeff):
                raise ValueError(f"{key}.coeff = {list(coeff)!r} is not allowed: a list needs "
                                 f"one finite number per site tuple, {len(sites)} here "
                                 f"(on = {spec.get('on')!r}, L = {self.L})")
            constant = np.array([complex(c) for c in coeff], dtype=np.complex128)
        else:
            value = _scalar(f"{key}.coeff", coeff, values, used)
            constant = np.full(len(sites), value, dtype=np.complex128)
        return _Term(k, op, sites, hc, factor, constant, None)

    def _sites(self, key: str, spec: Mapping[str, Any], k: int) -> np.ndarray:
        on = spec.get("on")
        if on is None:
            raise ValueError(f"{key}.on is missing: give one of {list(PLACEMENTS)} or a list "
                             f"of site tuples")
        if "r" in spec and on != "range":
            raise ValueError(f"{key}.r = {spec['r']!r} is not allowed with on = {on!r}: r "
                             f"belongs to on = 'range'")
        if isinstance(on, str):
            return self._placement(key, spec, on, k)
        if "boundary" in spec:
            raise ValueError(f"{key}.boundary is not allowed with explicit site tuples: "
                             f"boundaries apply to the placements {list(PLACEMENTS)}")
        if not isinstance(on, Sequence) or len(on) == 0:
            raise ValueError(f"{key}.on = {on!r} is not allowed: use one of {list(PLACEMENTS)} "
                             f"or a non-empty list of site tuples")
        tuples = [[t] if k == 1 and isinstance(t, int) else t for t in on]
        for t in tuples:
            if (not isinstance(t, Sequence) or len(t) != k
                    or not all(isinstance(s, int) and not isinstance(s, bool) for s in t)):
                raise ValueError(f"{key}.on has the entry {t!r}: op {spec['op']!r} needs tuples "
                                 f"of {k} integer sites")
            outside = [s for s in t if not 0 <= s < self.L]
            if outside:
                raise ValueError(f"{key}.on has sites {outside} outside the chain: allowed "
                                 f"are 0..{self.L - 1} (L = {self.L})")
            if len(set(t)) != k:
                raise ValueError(f"{key}.on has the tuple {list(t)} with a repeated site: the "
                                 f"sites of one tuple must differ")
        return np.array(tuples, dtype=np.int64).reshape(len(tuples), k)

    def _placement(self, key: str, spec: Mapping[str, Any], on: str, k: int) -> np.ndarray:
        if on not in PLACEMENTS:
            raise ValueError(f"{key}.on = {on!r} is not allowed: use one of {list(PLACEMENTS)} "
                             f"or a list of site tuples")
        boundary = spec.get("boundary", self.boundary)
        if boundary not in BOUNDARIES:
            raise ValueError(f"{key}.boundary = {boundary!r} is not allowed: use one of "
                             f"{BOUNDARIES}")
        if on == "site":
            if k != 1:
                raise ValueError(f"{key}.on = 'site' is not allowed for op {spec['op']!r} "
                                 f"({k} letters): use 'nearest', 'next-nearest', 'range' or "
                                 f"site tuples")
            return np.arange(self.L, dtype=np.int64)[:, None]
        if on == "range":
            r = spec.get("r")
            if not isinstance(r, int) or isinstance(r, bool) or r < 1:
                raise ValueError(f"{key}.r = {r!r} is not allowed: on = 'range' needs an "
                                 f"integer r >= 1")
        else:
            r = 1 if on == "nearest" else 2
        span = (k - 1) * r
        if boundary == "periodic":
            if self.L < 3:
                raise ValueError(f"{key}.boundary = 'periodic' needs L >= 3, got L = {self.L}")
            if span >= self.L:
                raise ValueError(f"{key}: op {spec['op']!r} on {on!r} spans {span} sites, which "
                                 f"does not fit a ring of L = {self.L}")
            starts = np.arange(self.L)
        else:
            starts = np.arange(self.L - span)
            if starts.size == 0:
                raise ValueError(f"{key}: op {spec['op']!r} on {on!r} spans {span} sites, "
                                 f"more than the open chain of L = {self.L} holds")
        return (starts[:, None] + r * np.arange(k)[None, :]) % self.L

    # ---- the model protocol ------------------------------------------------------------------

    @property
    def conserves_sz(self) -> bool:
        """True when the summed terms keep the number of up spins (U(1) symmetry)."""
        return self._conserves

    @property
    def is_real(self) -> bool:
        """True when every matrix element is real: no odd power of sigma^y, real coefficients
        and parameters (the matrix is float64)."""
        return self._real

    @property
    def random_terms(self) -> tuple[int, ...]:
        """Indices of the terms with a random coefficient (keys ``coeff_<k>``)."""
        return tuple(t.index for t in self._resolved if t.random is not None)

    def sample(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """One realisation: ``coeff_<k>`` (one value per tuple) for every random term k, in
        term order, and ``phase_<k>`` for quasi-periodic ones."""
        out: dict[str, np.ndarray] = {}
        for t in self._resolved:
            if t.random is None:
                continue
            d, n, c = t.random, len(t.sites), t.random.get("center")
            values: np.ndarray
            if d.kind == "uniform":
                w = d.get("W")
                values = rng.uniform(c - w, c + w, size=n)
            elif d.kind == "normal":
                values = rng.normal(c, d.get("sigma"), size=n)
            elif d.kind == "bimodal":
                values = c + d.get("W") * (2.0 * rng.integers(0, 2, size=n) - 1.0)
            else:  # quasiperiodic
                phase = rng.uniform(0.0, 2.0 * np.pi)
                i = t.sites[:, 0].astype(np.float64)
                values = c + d.get("A") * np.cos(2.0 * np.pi * d.get("beta") * i + phase)
                out[f"phase_{t.index}"] = np.array([phase])
            out[f"coeff_{t.index}"] = np.asarray(values, dtype=np.float64)
        return out

    def basis(self, n_up: int | None = None) -> SpinBasis:
        """The full space (``n_up=None``) or, where S^z is conserved, the sector ``n_up``."""
        if n_up is not None and not self.conserves_sz:
            raise ValueError(f"n_up = {n_up!r} is not allowed: the terms do not conserve S^z, "
                             f"so only the full space (n_up = None) exists")
        return SpinBasis(self.L, n_up)

    def coefficients(self, realisation: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        """factor * coeff per tuple of every term (complex), from a realisation."""
        out = []
        for t in self._resolved:
            if t.constant is not None:
                out.append(t.factor * t.constant)
                continue
            name = f"coeff_{t.index}"
            if name not in realisation:
                raise ValueError(f"the realisation has no {name!r} ({t.label} is random): "
                                 f"use a realisation drawn by this model's sample()")
            values = np.asarray(realisation[name])
            if values.shape != (len(t.sites),) or not np.all(np.isfinite(values)):
                raise ValueError(f"realisation[{name!r}] has shape {values.shape}, expected "
                                 f"({len(t.sites)},) finite numbers")
            out.append(t.factor * values)
        return out

    def terms_of(self, realisation: Mapping[str, np.ndarray], expand: bool = False
                 ) -> TermList:
        """The term list of :mod:`mblkit.spins` for a realisation (the h.c. written out).

        ``expand=True`` writes every string in the letters z, + - and sums equal monomials,
        dropping those whose coefficients cancel: the form that acts inside a U(1) sector when
        a string (``xx``) does not, but the sum (``xx + yy``) does.
        """
        coeffs = self.coefficients(realisation)
        if expand:
            return _expanded_terms(self._resolved, coeffs, self._real)
        out: list[tuple[str, Sequence[tuple]]] = []
        for t, c, rendered in zip(self._resolved, coeffs, self._rendered, strict=True):
            out.extend(rendered if rendered is not None else _render(t, c, self._real))
        return out

    def hamiltonian(self, realisation: Mapping[str, np.ndarray], n_up: int | None = None
                    ) -> sp.csr_matrix:
        """CSR matrix of H in the full space or the sector ``n_up`` (float64 when
        :attr:`is_real`, else complex128); states ordered as in :mod:`mblkit.spins.basis`."""
        basis = self.basis(n_up)
        expand = basis.in_sector and not all(
            conserves_u1(t.op) for t in self._resolved)
        return assemble(self.terms_of(realisation, expand), basis)


def _freeze(value: Any) -> Any:
    """A hashable copy of plain data (mappings and sequences become sorted/plain tuples)."""
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _freeze(v)) for k, v in value.items()))
    if isinstance(value, Sequence) and not isinstance(value, str):
        return tuple(_freeze(v) for v in value)
    return value


def _is_real(terms: Sequence[_Term]) -> bool:
    for t in terms:
        if t.op.count("y") % 2 or complex(t.factor).imag != 0:
            return False
        if t.constant is not None and np.any(t.constant.imag != 0):
            return False
    return True


def _render(t: _Term, c: np.ndarray, real: bool) -> tuple[tuple[str, tuple[tuple, ...]], ...]:
    """The term's entries of a :mod:`mblkit.spins` term list for coefficients ``c`` (with
    factor), its h.c. written out; Python numbers, the fast path of ``assemble``."""
    values = (c.real if real else c).tolist()
    sites = t.sites.tolist()
    out = [(t.op, tuple((v, *s) for v, s in zip(values, sites, strict=True)))]
    if t.hc:
        conj = values if real else np.conj(c).tolist()
        out.append((t.conj_op(), tuple((v, *s[::-1]) for v, s in
                                       zip(conj, sites, strict=True))))
    return tuple(out)


def _scalar(key: str, value: Any, values: dict[str, float], used: set[str]) -> complex:
    if isinstance(value, str):
        if value not in values:
            raise ValueError(f"{key} = {value!r} is not allowed: it names no model parameter; "
                             f"the parameters are {sorted(values) or 'none'} (grid or params "
                             f"keys)")
        used.add(value)
        return complex(values[value])
    if not _finite_number(value):
        raise ValueError(f"{key} = {value!r} is not allowed: give a finite number or the name "
                         f"of a model parameter")
    return complex(value)


def _distribution(key: str, spec: Mapping[str, Any], values: dict[str, float], used: set[str]
                  ) -> _Random:
    kind = spec.get("dist")
    if kind not in DISTRIBUTIONS:
        raise ValueError(f"{key}.dist = {kind!r} is not allowed: use one of "
                         f"{sorted(DISTRIBUTIONS)}")
    required, nonnegative = DISTRIBUTIONS[kind]
    allowed = ("dist", *required, *OPTIONAL_DISTRIBUTION_KEYS)
    unknown = sorted(set(spec) - set(allowed))
    if unknown:
        raise ValueError(f"{key} has unknown keys {unknown} for dist = {kind!r}: allowed are "
                         f"{list(allowed)}")
    missing = [p for p in required if p not in spec]
    if missing:
        raise ValueError(f"{key} (dist = {kind!r}) is missing {missing}: it needs "
                         f"{list(required)}, optionally {list(OPTIONAL_DISTRIBUTION_KEYS)}")
    params = []
    for name in (*required, *OPTIONAL_DISTRIBUTION_KEYS):
        if name not in spec:
            continue
        raw = spec[name]
        value = _scalar(f"{key}.{name}", raw, values, used)
        if value.imag != 0:
            raise ValueError(f"{key}.{name} = {raw!r} is not allowed: it must be real")
        shown = f"{raw!r} (= {value.real!r})" if isinstance(raw, str) else repr(raw)
        if name in nonnegative and value.real < 0:
            raise ValueError(f"{key}.{name} = {shown} is not allowed: it must be >= 0")
        params.append((name, value.real))
    return _Random(kind, tuple(params))


# ---- symbolic checks: Hermiticity and U(1) conservation ----------------------------------------


@lru_cache(maxsize=256)
def _pattern(op: str) -> tuple[tuple[tuple[str, ...], complex], ...]:
    """O_1 ... O_k in the site basis z, +, -: (letters by position, coefficient) pairs."""
    out: dict[tuple[str, ...], complex] = {(): 1.0}
    for letter in op:
        nxt: dict[tuple[str, ...], complex] = {}
        for letters, c in out.items():
            for new, a in _EXPANSION[letter]:
                nxt[(*letters, new)] = nxt.get((*letters, new), 0) + c * a
        out = nxt
    return tuple(out.items())


def _monomials(op: str, sites: Sequence[int], coeff: complex) -> dict[Monomial, complex]:
    """coeff * O_1(s_1) ... O_k(s_k) (distinct sites) in the site basis z, +, -."""
    return {tuple(sorted(zip(sites, letters, strict=True))): coeff * a
            for letters, a in _pattern(op)}


def _tuple_monomials(t: _Term, m: int, coeff: complex) -> dict[Monomial, complex]:
    sites = t.sites[m].tolist()
    out = _monomials(t.op, sites, coeff)
    if t.hc:
        for mono, c in _monomials(t.conj_op(), sites[::-1], np.conj(coeff)).items():
            out[mono] = out.get(mono, 0) + c
    return out


def _adjoint(mono: Monomial) -> Monomial:
    return tuple((s, _DAGGER[c]) for s, c in mono)


def _hermitian_violation(total: dict[Monomial, complex]) -> tuple[Monomial, complex] | None:
    scale = max((abs(c) for c in total.values()), default=0.0)
    for mono, c in total.items():
        if abs(total.get(_adjoint(mono), 0) - np.conj(c)) > 1e-12 * max(scale, 1.0):
            return mono, c
    return None


def _fmt(c: complex) -> str:
    c = complex(c)
    return f"{c.real:.6g}" if c.imag == 0 else f"{c:.6g}"


def _describe(mono: Monomial) -> str:
    return "".join(c for _, c in mono) + " on sites " + str(tuple(s for s, _ in mono))


def _changes_sz(mono: Monomial) -> bool:
    letters = [c for _, c in mono]
    return letters.count("+") != letters.count("-")


def _hermitian_per_tuple(t: _Term) -> bool:
    """Each tuple of the term is Hermitian by itself: its h.c. is added, or it is a string of
    Pauli matrices (on distinct sites) with real coefficients."""
    if t.hc:
        return True
    if set(t.op) - set("xyz") or complex(t.factor).imag != 0:
        return False
    return t.constant is None or bool(np.all(t.constant.imag == 0))


def _analyse(terms: Sequence[_Term]) -> bool:
    """Refuse a term list that is not Hermitian, naming a term without its partner; return
    whether it conserves S^z.

    A random term draws real coefficients independently per tuple, so each of its tuples
    (with its h.c.) must be Hermitian alone, and conserve S^z alone. The constant terms are
    summed monomial by monomial (basis z, +, - per site): the sum must equal its adjoint, and
    conserves S^z when no monomial that changes it survives.
    """
    if all(_hermitian_per_tuple(t) for t in terms) and all(conserves_u1(t.op) for t in terms):
        return True  # the common case, decided term by term without expanding every tuple
    total: dict[Monomial, complex] = {}
    owners: dict[Monomial, int] = {}
    conserves = True
    for t in terms:
        if t.constant is None:
            # one tuple decides: on distinct sites the structure does not depend on which
            monos = _tuple_monomials(t, 0, t.factor)
            bad = _hermitian_violation(monos)
            if bad is not None:
                raise ValueError(
                    f"the term list is not Hermitian: {t.label} has a random coefficient "
                    f"drawn per tuple, so each tuple must be Hermitian by itself, but "
                    f"{_describe(bad[0])} has no conjugate partner; set hc = true, or use "
                    f"letters x y z only")
            conserves &= not any(_changes_sz(mono) and c != 0 for mono, c in monos.items())
            continue
        for m in range(len(t.sites)):
            monos = _tuple_monomials(t, m, t.factor * t.constant[m])
            for mono, c in monos.items():
                total[mono] = total.get(mono, 0) + c
                owners.setdefault(mono, t.index)
    bad = _hermitian_violation(total)
    if bad is not None:
        mono, c = bad
        partner = total.get(_adjoint(mono), 0)
        raise ValueError(
            f"the term list is not Hermitian: terms[{owners[mono]}] gives {_describe(mono)} "
            f"the coefficient {_fmt(c)}, but its conjugate {_describe(_adjoint(mono))} has "
            f"{_fmt(partner)} (expected {_fmt(np.conj(c))}); set hc = true on that term or add "
            f"its conjugate")
    return conserves and not any(_changes_sz(mono) and c != 0 for mono, c in total.items())


def _expanded_terms(terms: Sequence[_Term], coeffs: Sequence[np.ndarray], real: bool
                    ) -> TermList:
    total: dict[Monomial, complex] = {}
    for t, c in zip(terms, coeffs, strict=True):
        for m in range(len(t.sites)):
            for mono, a in _tuple_monomials(t, m, c[m]).items():
                total[mono] = total.get(mono, 0) + a
    grouped: dict[str, list[tuple]] = {}
    for mono, a in total.items():
        if a == 0:
            continue
        if _changes_sz(mono):  # excluded by conserves_sz, which hamiltonian() checks first
            raise AssertionError(f"{_describe(mono)} changes S^z with coefficient {a}")
        letters = "".join(c for _, c in mono)
        grouped.setdefault(letters, []).append((a.real if real else a,
                                                *(s for s, _ in mono)))
    return list(grouped.items())
