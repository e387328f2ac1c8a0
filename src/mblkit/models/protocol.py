"""What a model or an observable must provide to run in a campaign, and how a name in a config
is resolved to one (plugins).

Hamiltonian models
------------------
A *class* whose instances are the parameters of one point, as a frozen dataclass, with

* ``L`` : int, the number of chain sites (what observables' ``sites`` refer to);
* ``conserves_sz`` : bool (a class attribute, a field or a property), True when H keeps the
  number of up spins, so that ``solver.sector = "half"`` or an integer ``n_up`` is allowed;
* ``sample(rng) -> realisation`` : all the randomness of one realisation, drawn from the given
  ``numpy.random.Generator`` only; the realisation is plain data (see *Realisations*);
* ``hamiltonian(realisation, n_up=None) -> scipy.sparse matrix`` : Hermitian, in the full space
  (``n_up=None``) or the sector of ``n_up`` up spins; float64 where H is real;
* ``basis(n_up=None) -> mblkit.spins.SpinBasis`` : the space that matrix acts on (its ``dim``
  equals the matrix size; observables such as purities use it).

Floquet models
--------------
The same, with ``unitary(realisation) -> numpy.ndarray`` (the dense one-period operator of
dimension ``dim``) and a ``dim`` attribute, instead of ``hamiltonian``, ``basis`` and
``conserves_sz``.

Realisations
------------
A realisation is a ``numpy.ndarray``, a mapping of names to arrays, or a dataclass whose fields
are arrays: :func:`realisation_arrays` turns it into named arrays for the store (an ndarray is
stored as ``disorder``), :func:`realisation_from_arrays` reads them back.

Observables
-----------
One signature for every task kind::

    def my_observable(spec, spectrum, point, realisation) -> dict

``spec`` is the config's observable table (``spec.options`` holds plugin options), ``spectrum``
the solver's result (``mblkit.solvers.Spectrum``: ``energies``, ``vectors``; or
``FloquetSpectrum``: ``quasienergies``, ``vectors``), ``point`` the campaign point (``point.model``,
``point.n_up``) and ``realisation`` what ``point.model.sample`` drew. It returns a *record
fragment* ``{"scalars": {name: float}, "arrays": {name: ndarray}, "histograms": {name: int
counts}}`` (any of the three may be left out); histograms use bins fixed by ``spec``, so they
merge by adding counts. :func:`check_fragment` checks one.

Names
-----
``"package.module:Name"`` imports ``package.module`` and takes its attribute ``Name``; a name
without a colon is looked up among the entry points of the group ``mblkit.models`` (or
``mblkit.observables``) of the installed packages. **Importing a module runs its code**: name
only modules you trust, as with any plugin system. On a Dask cluster or a process pool the
module must be importable by the workers too (installed in their environment, or on their
``PYTHONPATH``), because every worker resolves the name again.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Protocol, runtime_checkable

import numpy as np
import scipy.sparse as sp

from mblkit.spins import SpinBasis

MODEL_GROUP = "mblkit.models"
OBSERVABLE_GROUP = "mblkit.observables"
FRAGMENT_KEYS = ("scalars", "arrays", "histograms")
OBSERVABLE_PARAMETERS = ("spec", "spectrum", "point", "realisation")


class PluginError(ValueError):
    """A model or observable named in a config cannot be used; the message says why."""


@runtime_checkable
class HamiltonianModel(Protocol):
    """The parameters of a Hamiltonian model (see the module docstring)."""

    L: int

    @property
    def conserves_sz(self) -> bool: ...

    def sample(self, rng: np.random.Generator) -> Any: ...

    def hamiltonian(self, realisation: Any, n_up: int | None = None) -> sp.spmatrix: ...

    def basis(self, n_up: int | None = None) -> SpinBasis: ...


@runtime_checkable
class FloquetModel(Protocol):
    """The parameters of a Floquet model (see the module docstring)."""

    L: int

    @property
    def dim(self) -> int: ...

    def sample(self, rng: np.random.Generator) -> Any: ...

    def unitary(self, realisation: Any) -> np.ndarray: ...


@dataclass(frozen=True)
class ModelClass:
    """A resolved model class and its kind, ``"hamiltonian"`` or ``"floquet"``."""

    cls: type
    kind: str


# ---- resolving names ---------------------------------------------------------------------------


def _import(name: str, group: str, what: str) -> Any:
    if not isinstance(name, str) or not name:
        raise PluginError(f"{what} = {name!r} is not allowed: give 'package.module:Name' or "
                          f"the name of an entry point in the group {group!r}")
    if ":" not in name:
        found = entry_points(group=group, name=name)
        if not found:
            known = sorted(ep.name for ep in entry_points(group=group))
            raise PluginError(f"{what} = {name!r} is not allowed: it is not 'package.module:Name' "
                              f"and no installed package has an entry point {name!r} in the "
                              f"group {group!r} (entry points there: {known or 'none'})")
        try:
            return next(iter(found)).load()
        except Exception as err:  # the plugin's own import error, reported with its name
            raise PluginError(f"{what} = {name!r}: loading the entry point failed: "
                              f"{type(err).__name__}: {err}") from err
    module_name, _, attr = name.partition(":")
    if not module_name or not attr or ":" in attr:
        raise PluginError(f"{what} = {name!r} is not allowed: write 'package.module:Name' "
                          f"(one colon)")
    try:
        module = importlib.import_module(module_name)
    except Exception as err:
        raise PluginError(f"{what} = {name!r}: module {module_name!r} does not import: "
                          f"{type(err).__name__}: {err} (it must be importable here and on "
                          f"every worker)") from err
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            public = sorted(n for n in dir(module) if not n.startswith("_"))
            raise PluginError(f"{what} = {name!r}: module {module_name!r} has no attribute "
                              f"{attr!r}; it defines {public}")
        obj = getattr(obj, part)
    return obj


def _accepts(fn: Any, n_args: int) -> bool:
    """True when ``fn`` (an unbound method) can be called with self and ``n_args`` arguments."""
    try:
        inspect.signature(fn).bind(*([None] * (n_args + 1)))
    except TypeError:
        return False
    except ValueError:  # no signature (a builtin): do not refuse it
        return True
    return True


def _method(cls: type, name: str, n_args: int) -> bool:
    """``cls`` has a method ``name`` that takes ``n_args`` arguments besides self."""
    fn = getattr(cls, name, None)
    return callable(fn) and _accepts(fn, n_args)


def _has_attribute(cls: type, name: str) -> bool:
    fields = {f.name for f in dataclasses.fields(cls)}
    return name in fields or hasattr(cls, name)


def check_model_class(cls: Any, name: str = "model.name") -> ModelClass:
    """Check that ``cls`` satisfies the Hamiltonian or the Floquet protocol; returns its kind.

    The error lists everything that is missing, for the kind the class looks closest to.
    """
    if not inspect.isclass(cls):
        raise PluginError(f"{name} names {cls!r}, which is not a class: a model is a frozen "
                          f"dataclass of parameters")
    label = f"{name} = {cls.__module__}:{cls.__qualname__}"
    if not dataclasses.is_dataclass(cls):
        raise PluginError(f"{label} is not a dataclass: declare it with "
                          f"@dataclass(frozen=True)")
    if not cls.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        raise PluginError(f"{label} is a dataclass but not frozen: declare it with "
                          f"@dataclass(frozen=True) (parameters must not change)")
    floquet = callable(getattr(cls, "unitary", None))
    kind = "floquet" if floquet and not callable(getattr(cls, "hamiltonian", None)) \
        else "hamiltonian"
    missing = []
    if "L" not in {f.name for f in dataclasses.fields(cls)}:
        missing.append("a field L (the number of chain sites)")
    if not _method(cls, "sample", 1):
        missing.append("a method sample(rng)")
    if kind == "hamiltonian":
        if not _method(cls, "hamiltonian", 2):
            missing.append("a method hamiltonian(realisation, n_up)")
        if not _method(cls, "basis", 1):
            missing.append("a method basis(n_up)")
        if not _has_attribute(cls, "conserves_sz"):
            missing.append("conserves_sz (a bool: class attribute, field or property)")
    else:
        if not _method(cls, "unitary", 1):
            missing.append("a method unitary(realisation)")
        if not _has_attribute(cls, "dim"):
            missing.append("dim (the dimension of the unitary)")
    if missing:
        raise PluginError(f"{label} does not satisfy the {kind} model protocol "
                          f"(mblkit.models.protocol): it lacks " + "; ".join(missing))
    return ModelClass(cls, kind)


def check_model(model: Any, name: str = "model") -> None:
    """Check a model instance: L an integer, conserves_sz a bool (Hamiltonian models)."""
    L = getattr(model, "L", None)
    if not isinstance(L, int | np.integer) or isinstance(L, bool) or L < 1:
        raise PluginError(f"{name}.L = {L!r} is not allowed: it must be an integer >= 1")
    if isinstance(model, FloquetModel) and not callable(getattr(model, "hamiltonian", None)):
        return
    flag = getattr(model, "conserves_sz", None)
    if not isinstance(flag, bool | np.bool_):
        raise PluginError(f"{name}.conserves_sz = {flag!r} is not allowed: it must be a bool")


def construct(cls: type, params: Mapping[str, Any]) -> Any:
    """The model of one campaign point: ``cls.from_params(**params)`` where the class has it
    (models whose parameters are open-ended, like :class:`~mblkit.models.SpinChain`), else
    ``cls(**params)``; then :func:`check_model`. Errors are ValueError/TypeError naming the key."""
    factory = getattr(cls, "from_params", None)
    model = factory(**dict(params)) if callable(factory) else cls(**dict(params))
    check_model(model)
    return model


def resolve_model(name: str) -> ModelClass:
    """The model class named ``"package.module:Name"`` or by an entry point of the group
    ``mblkit.models``, checked against the protocol (:func:`check_model_class`)."""
    return check_model_class(_import(name, MODEL_GROUP, "model.name"))


def resolve_observable(name: str) -> Callable[..., Mapping[str, Any]]:
    """The observable function named ``"package.module:function"`` or by an entry point of the
    group ``mblkit.observables``, checked to accept ``(spec, spectrum, point, realisation)``."""
    fn = _import(name, OBSERVABLE_GROUP, "observables.name")
    if not callable(fn) or inspect.isclass(fn):
        raise PluginError(f"observables.name = {name!r} names {fn!r}, which is not a function")
    try:
        inspect.signature(fn).bind(*OBSERVABLE_PARAMETERS)
    except TypeError as err:
        raise PluginError(f"observables.name = {name!r}: the function must accept the four "
                          f"arguments {OBSERVABLE_PARAMETERS} ({err})") from err
    except ValueError:
        pass
    return fn


def check_fragment(fragment: Any, name: str) -> dict[str, dict[str, Any]]:
    """Check what an observable returned: only scalars (finite or NaN floats), arrays (numeric)
    and histograms (integer counts); returns it with the three keys present."""
    if not isinstance(fragment, Mapping):
        raise PluginError(f"observable {name!r} returned {type(fragment).__name__}; it must "
                          f"return a dict with keys among {FRAGMENT_KEYS}")
    unknown = sorted(set(fragment) - set(FRAGMENT_KEYS))
    if unknown:
        raise PluginError(f"observable {name!r} returned keys {unknown}: allowed are "
                          f"{FRAGMENT_KEYS}")
    out: dict[str, dict[str, Any]] = {k: dict(fragment.get(k, {})) for k in FRAGMENT_KEYS}
    for key, value in out["scalars"].items():
        if not isinstance(value, int | float | np.integer | np.floating) or isinstance(
                value, bool) or math.isinf(value):
            raise PluginError(f"observable {name!r}: scalars[{key!r}] = {value!r} is not a "
                              f"real number")
    for key, value in out["arrays"].items():
        arr = np.asarray(value)
        if arr.dtype.kind not in "biufc":
            raise PluginError(f"observable {name!r}: arrays[{key!r}] has dtype {arr.dtype}; "
                              f"store numbers only")
    for key, value in out["histograms"].items():
        arr = np.asarray(value)
        if arr.dtype.kind not in "iu" or (arr.size and arr.min() < 0):
            raise PluginError(f"observable {name!r}: histograms[{key!r}] must hold "
                              f"non-negative integer counts, got dtype {arr.dtype}")
    return out


# ---- realisations as plain arrays --------------------------------------------------------------


def realisation_arrays(realisation: Any) -> dict[str, np.ndarray]:
    """Named numeric arrays of a realisation, for the store: an ndarray becomes ``disorder``,
    a mapping keeps its keys, a dataclass gives one array per field."""
    if isinstance(realisation, np.ndarray):
        items: dict[str, Any] = {"disorder": realisation}
    elif isinstance(realisation, Mapping):
        items = dict(realisation)
    elif dataclasses.is_dataclass(realisation) and not isinstance(realisation, type):
        items = {f.name: getattr(realisation, f.name) for f in dataclasses.fields(realisation)}
    else:
        raise PluginError(f"a realisation of type {type(realisation).__name__} cannot be "
                          f"stored: return an ndarray, a dict of arrays or a dataclass of "
                          f"arrays from sample()")
    out = {}
    for key, value in items.items():
        arr = np.asarray(value)
        if not isinstance(key, str) or not key.isidentifier():
            raise PluginError(f"realisation key {key!r} is not allowed: use identifiers")
        if arr.dtype.kind not in "biufc":
            raise PluginError(f"realisation[{key!r}] has dtype {arr.dtype}; store numbers only")
        out[key] = arr
    return out


def realisation_from_arrays(arrays: Mapping[str, np.ndarray], like: Any) -> Any:
    """The inverse of :func:`realisation_arrays`; ``like`` is a realisation of the same model
    or its type (``numpy.ndarray``, ``dict`` or the dataclass)."""
    kind = like if isinstance(like, type) else type(like)
    if issubclass(kind, np.ndarray):
        return np.asarray(arrays["disorder"])
    if issubclass(kind, Mapping):
        return {k: np.asarray(v) for k, v in arrays.items()}
    if dataclasses.is_dataclass(kind):
        names = [f.name for f in dataclasses.fields(kind)]
        missing = [n for n in names if n not in arrays]
        if missing:
            raise PluginError(f"stored realisation lacks {missing} for {kind.__name__}")
        return kind(**{n: np.asarray(arrays[n]) for n in names})
    raise PluginError(f"cannot rebuild a realisation of type {kind.__name__}")
