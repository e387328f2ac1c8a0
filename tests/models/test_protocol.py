"""Resolving model and observable names (plugins) and checking them against the protocol; storing
realisations as plain arrays; energy-density targets."""

from dataclasses import dataclass
from importlib.metadata import EntryPoint

import numpy as np
import pytest
import scipy.sparse as sp

from mblkit.models import (
    BrickworkCircuit,
    O3HeisenbergChain,
    QuantumSun,
    SpinChain,
    XXZChain,
    protocol,
)
from mblkit.models.protocol import (
    PluginError,
    check_fragment,
    check_model,
    realisation_arrays,
    realisation_from_arrays,
    resolve_model,
    resolve_observable,
)
from mblkit.models.targets import (
    check_energy_density,
    energy_at_density,
    energy_density,
    extremal_energies,
)

# ---- models -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kind"), [
    ("plugin_models:RandomIsingChain", "hamiltonian"),
    ("plugin_models:KickedIsing", "floquet"),
    ("mblkit.models.quantum_sun:QuantumSun", "hamiltonian"),
    ("mblkit.models:SpinChain", "hamiltonian"),
    ("mblkit.models:BrickworkCircuit", "floquet"),
])
def test_resolve_model_by_module_path(name, kind):
    resolved = resolve_model(name)
    assert resolved.kind == kind
    assert resolved.cls.__name__ == name.rsplit(":", 1)[1]


def _fake_entry_points(monkeypatch, *eps):
    def entry_points(group, name=None):
        return [e for e in eps if e.group == group and (name is None or e.name == name)]
    monkeypatch.setattr(protocol, "entry_points", entry_points)


def test_resolve_model_by_entry_point(monkeypatch):
    _fake_entry_points(monkeypatch, EntryPoint("ising", "plugin_models:RandomIsingChain",
                                               "mblkit.models"))
    assert resolve_model("ising").cls.__name__ == "RandomIsingChain"
    with pytest.raises(PluginError, match=r"an entry point 'isng'.*entry points there: "
                                          r"\['ising'\]"):
        resolve_model("isng")


def test_entry_point_that_fails_to_load(monkeypatch):
    _fake_entry_points(monkeypatch, EntryPoint("broken", "no_such_module_xyz:Model",
                                               "mblkit.models"))
    with pytest.raises(PluginError, match="loading the entry point failed: "
                                          "ModuleNotFoundError"):
        resolve_model("broken")


def not_a_class():
    return None


@dataclass
class NotFrozen:
    L: int


class NotADataclass:
    L = 3


@dataclass(frozen=True)
class NoL:
    n: int
    conserves_sz = True

    def sample(self, rng):
        return None

    def hamiltonian(self, r, n_up=None):
        return None

    def basis(self, n_up=None):
        return None


@pytest.mark.parametrize(("name", "message"), [
    ("no_such_module_xyz:Model", "module 'no_such_module_xyz' does not import: "
                                 "ModuleNotFoundError"),
    ("plugin_models:NoSuchModel", r"has no attribute 'NoSuchModel'; it defines \[.*"
                                  r"'RandomIsingChain'"),
    ("test_protocol:not_a_class", "which is not a class"),
    ("test_protocol:NotADataclass", "is not a dataclass"),
    ("test_protocol:NotFrozen", "is a dataclass but not frozen"),
    ("test_protocol:NoL", r"lacks a field L \(the number of chain sites\)"),
    ("mblkit.models:XXZChain", r"lacks conserves_sz \(a bool"),
    ("mblkit.models:O3HeisenbergChain", r"lacks a method hamiltonian\(realisation, n_up\); "
                                        r"a method basis\(n_up\); conserves_sz"),
    ("a:b:c", "write 'package.module:Name' \\(one colon\\)"),
    ("", "is not allowed"),
])
def test_bad_model_names_say_what_is_missing(name, message):
    with pytest.raises(PluginError, match=message):
        resolve_model(name)


def test_plugin_error_is_a_value_error():
    """The campaign's ConfigError handling (ValueError) catches it."""
    assert issubclass(PluginError, ValueError)


def test_check_model_instance():
    check_model(SpinChain(4, [{"op": "zz", "on": "nearest"}]))
    check_model(BrickworkCircuit(4, 0.1))

    @dataclass(frozen=True)
    class Bad:
        L: int
        conserves_sz: object = "yes"

    with pytest.raises(PluginError, match="conserves_sz = 'yes' is not allowed"):
        check_model(Bad(3))
    with pytest.raises(PluginError, match="L = 0"):
        check_model(Bad(0))


# ---- observables ------------------------------------------------------------------------------


def test_resolve_observable_and_check_its_fragment():
    fn = resolve_observable("plugin_models:mean_energy")

    @dataclass
    class Spectrum:
        energies: np.ndarray

    out = check_fragment(fn(None, Spectrum(np.linspace(-3, 3, 7)), None, None), "mean_energy")
    assert out["scalars"] == {"mean_energy": 0.0} and out["arrays"] == {}
    assert out["histograms"]["energy"].sum() == 7


@pytest.mark.parametrize(("name", "message"), [
    ("plugin_models:wrong_arity", r"must accept the four arguments \('spec', 'spectrum', "
                                  r"'point', 'realisation'\)"),
    ("plugin_models:RandomIsingChain", "which is not a function"),
    ("no_such_module_xyz:f", "does not import"),
])
def test_bad_observables(name, message):
    with pytest.raises(PluginError, match=message):
        resolve_observable(name)


@pytest.mark.parametrize(("fragment", "message"), [
    ([], "returned list"),
    ({"scalar": {}}, r"keys \['scalar'\]"),
    ({"scalars": {"x": "1"}}, "is not a real number"),
    ({"scalars": {"x": float("inf")}}, "is not a real number"),
    ({"histograms": {"h": np.ones(3)}}, "non-negative integer counts"),
    ({"histograms": {"h": -np.ones(3, dtype=int)}}, "non-negative integer counts"),
    ({"arrays": {"a": np.array(["x"])}}, "store numbers only"),
])
def test_bad_fragments(fragment, message):
    with pytest.raises(PluginError, match=message):
        check_fragment(fragment, "obs")


# ---- realisations ------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [XXZChain(5, 1.0), QuantumSun(3, 0.5, N=2),
                                   SpinChain(5, [{"op": "z", "on": "site", "coeff": {
                                       "dist": "normal", "sigma": 1.0}}]),
                                   BrickworkCircuit(4, 0.1), O3HeisenbergChain(4, 1.0)])
def test_realisation_round_trip_through_npz(tmp_path, model):
    r = model.sample(np.random.default_rng(9))
    arrays = realisation_arrays(r)
    np.savez(tmp_path / "r.npz", **arrays)
    with np.load(tmp_path / "r.npz") as stored:
        back = realisation_from_arrays(dict(stored), r)
    again = realisation_arrays(back)
    assert set(again) == set(arrays)
    for k in arrays:
        assert np.array_equal(again[k], arrays[k]) and again[k].dtype == arrays[k].dtype


def test_unstorable_realisations_are_refused():
    with pytest.raises(PluginError, match="cannot be stored"):
        realisation_arrays([1.0, 2.0])
    with pytest.raises(PluginError, match="store numbers only"):
        realisation_arrays({"a": np.array([object()])})
    with pytest.raises(PluginError, match="use identifiers"):
        realisation_arrays({"a b": np.zeros(2)})


# ---- energy-density targets ---------------------------------------------------------------------


@pytest.mark.parametrize(("L", "n_up"), [(6, 3), (12, 6)])   # dense route, then Lanczos
def test_energy_density_resolves_against_the_full_spectrum(L, n_up):
    model = XXZChain(L, 2.0)
    H = model.hamiltonian(model.sample(np.random.default_rng(L)), n_up)
    e = np.linalg.eigvalsh(H.toarray())
    lo, hi = extremal_energies(H)
    assert abs(lo - e[0]) < 1e-10 and abs(hi - e[-1]) < 1e-10
    for eps in (0.0, 0.25, 0.5, 1.0):
        assert energy_at_density(H, eps) == pytest.approx(e[0] + eps * (e[-1] - e[0]),
                                                          abs=1e-10)
    np.testing.assert_allclose(energy_density(e, (lo, hi))[[0, -1]], [0.0, 1.0], atol=1e-12)


def test_energy_density_of_a_complex_operator():
    model = O3HeisenbergChain(9, 1.0)
    H = model.hamiltonian(model.sample(np.random.default_rng(1)))
    e = np.linalg.eigvalsh(H.toarray())
    assert H.dtype == np.complex128 and H.shape[0] > 400
    np.testing.assert_allclose(extremal_energies(H), (e[0], e[-1]), atol=1e-10)


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan"), True, "0.5", None])
def test_bad_energy_densities(bad):
    with pytest.raises(ValueError, match=r"solver.target = .* is not allowed: .* in \[0, 1\]"):
        check_energy_density(bad)
    with pytest.raises(ValueError, match="epsilon"):
        energy_at_density(sp.identity(3, format="csr"), bad, bounds=(0.0, 1.0))


def test_construct_uses_from_params_where_the_class_has_it():
    chain = protocol.construct(SpinChain, {"L": 4, "terms": [{"op": "zz", "on": "nearest",
                                                                "coeff": "J"}], "J": 0.5})
    assert chain.parameters == (("J", 0.5),)
    sun = protocol.construct(QuantumSun, {"L": 3, "alpha": 0.5})
    assert sun.dim == 64
    with pytest.raises(TypeError, match="unexpected keyword argument 'beta'"):
        protocol.construct(QuantumSun, {"L": 3, "alpha": 0.5, "beta": 1.0})
