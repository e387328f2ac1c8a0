"""A user's own model and observables in a campaign: "spin-chain" written as terms, plugin
classes and functions by name, energy-density targets, stored spectra, and a grid that grows."""

import os
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from store_compare import TINY, assert_same_store, dump_store

from mblkit.campaign.config import ConfigError, parse_config
from mblkit.campaign.ed_tasks import memory
from mblkit.campaign.registry import models
from mblkit.campaign.runner import run_campaign
from mblkit.campaign.store import CampaignStore, StoreError, StoreMismatchError
from mblkit.campaign.tasks import run_realisation, storage_note, validate
from mblkit.models import QuantumSun, XXZChain
from mblkit.models.protocol import PluginError, realisation_from_arrays
from mblkit.models.quantum_sun import QuantumSunRealisation

HERE = Path(__file__).parent

CHAIN = """
seed = 3
realisations = 2
output = "chain.h5"
[model]
name = "spin-chain"
grid = {{ L = [6], W = [2.0] }}
[[model.params.terms]]
op = "+-"
on = "nearest"
hc = true
factor = 0.5
[[model.params.terms]]
op = "zz"
on = "nearest"
factor = 0.25
[[model.params.terms]]
op = "{field}"
on = "site"
factor = 0.5
coeff = {{ dist = "uniform", W = "W" }}
{solver}
[[observables]]
name = "gap_ratio"
{observables}
"""


def chain(field="z", solver="", observables=""):
    return parse_config(CHAIN.format(field=field, solver=solver, observables=observables))


def test_the_sector_is_half_exactly_when_the_terms_conserve_sz():
    assert [p.n_up for p in validate(chain("z"))] == [3]
    assert [p.n_up for p in validate(chain("x"))] == [None]
    with pytest.raises(ConfigError, match=r"sector = 'half' is not allowed.*no U\(1\)"):
        validate(chain("x", solver='[solver]\nsector = "half"'))


def test_memory_follows_is_real():
    """A sigma^y field makes H complex: twice the dense bytes of the real chain."""
    real, = validate(chain("x"))
    complex_, = validate(chain("y"))
    assert real.model.is_real and not complex_.model.is_real
    ratio = memory(chain("y"), complex_) / memory(chain("x"), real)
    assert ratio == pytest.approx(2.0, rel=0.01)


def test_the_xxz_chain_written_as_terms_stores_its_fields_and_matches_xxzchain():
    """The drawn fields of the stored record re-build, through XXZChain, the stored spectrum."""
    cfg = chain(solver="[solver]\nstore_energies = true")
    record = run_realisation(cfg, 0, 1)
    fields = record["arrays"]["disorder.coeff_2"]  # the draw, before factor = 1/2
    assert fields.shape == (6,) and np.all(np.abs(fields) <= 2.0)
    # XXZChain (J = 1, Delta = 1) uses h_i S^z_i with h_i in [-W, W]: the same H for these h
    H = XXZChain(6, 2.0).hamiltonian(fields, 3).toarray()
    np.testing.assert_allclose(record["arrays"]["energies"], np.linalg.eigvalsh(H), atol=1e-12)


def test_a_plugin_observable_gets_its_options_and_its_fragment_is_stored(tmp_path):
    obs = ('[[observables]]\nname = "plugin_observables:level_count"\n'
           '[observables.options]\nrange = [-5.0, 5.0]\nbins = 4')
    text = CHAIN.format(field="z", solver="", observables=obs)
    report = run_campaign(parse_config(text), text, tmp_path / "p.h5", workers=2)
    assert report.computed == 2 and report.failed == 0
    data = CampaignStore.read(tmp_path / "p.h5").load_point(0)
    assert data.scalars["levels"].tolist() == [20.0, 20.0]  # C(6, 3)
    assert data.histograms["energy"].shape == (4,) and data.histograms["energy"].sum() == 40
    assert data.arrays["lowest"].shape == (2, 1)


@pytest.mark.parametrize("name, error, message", [
    ("plugin_observables:float_histogram", PluginError, "non-negative integer counts"),
    ("plugin_observables:overwrites_disorder", PluginError, "already holds"),
])
def test_a_bad_plugin_fragment_is_refused(name, error, message):
    cfg = parse_config(CHAIN.format(field="z", solver="", observables="").replace(
        '"gap_ratio"', f'"{name}"'))
    validate(cfg)
    with pytest.raises(error, match=message):
        run_realisation(cfg, 0, 0)


@pytest.mark.parametrize("edit, message", [
    (('name = "spin-chain"', 'name = "no_such_module_h15:Model"'), "does not import"),
    (('name = "spin-chain"', 'name = "plugin_observables:NoHamiltonian"'),
     "lacks a method hamiltonian"),
    (('name = "spin-chain"', 'name = "plugin_observables:nothing_here"'), "has no attribute"),
    (('name = "gap_ratio"', 'name = "plugin_observables:wrong_arity"'), "four arguments"),
    (('name = "gap_ratio"', 'name = "gap_ratoi"'), "use one of"),
    (('op = "zz"', 'op = "zq"'), "terms\\[1\\].op"),
    (('W = "W"', 'W = "W2"'), "W2"),
    (('W = "W"', 'W = -1.0'), "terms\\[2\\].coeff.W"),
    (('name = "gap_ratio"', 'name = "gap_ratio"\n[observables.options]\nx = 1'),
     "options apply to plugin observables"),
    (('[[observables]]', '[solver]\nmethod = "interior"\nk = 4\n'
      'target = { energy_density = 1.5 }\n[[observables]]'), "energy_density = 1.5 is not allowed"),
])
def test_bad_input_is_refused_before_work(edit, message):
    text = CHAIN.format(field="z", solver="", observables="")
    assert edit[0] in text
    with pytest.raises(ConfigError, match=message):
        validate(parse_config(text.replace(edit[0], edit[1], 1)))


def test_store_energies_is_refused_where_no_spectrum_is_solved_and_sized_where_it_is():
    from store_compare import TINY_SCHEME

    text = TINY_SCHEME.format(realisations=2, output="s.h5") + "\n[solver]\nstore_energies = true\n"
    with pytest.raises(ConfigError, match="store_energies = true is not allowed"):
        validate(parse_config(text))
    cfg = chain(solver="[solver]\nstore_energies = true")
    note = storage_note(cfg, validate(cfg))
    assert "20 energies per realisation" in note and f"{20 * 8 * 2 / 2**20:.1f} MiB" in note
    assert storage_note(chain(), validate(chain())) is None


def test_an_energy_density_target_is_resolved_per_realisation():
    """E_min, E_max against a dense diagonalisation of the stored realisation; the solved
    levels are the k nearest E_min + eps (E_max - E_min)."""
    text = TINY.format(realisations=2, output="t.h5").replace(
        'method = "full"', 'method = "interior"\nk = 6\ntarget = { energy_density = 0.25 }\n'
                           'store_energies = true')
    cfg = parse_config(text)
    validate(cfg)
    record = run_realisation(cfg, 2, 1)  # L = 8, W = 1
    energies = np.linalg.eigvalsh(XXZChain(8, 1.0).hamiltonian(record["arrays"]["disorder"],
                                                              4).toarray())
    s = record["scalars"]
    assert s["E_min"] == pytest.approx(energies[0], abs=1e-9)
    assert s["E_max"] == pytest.approx(energies[-1], abs=1e-9)
    target = energies[0] + 0.25 * (energies[-1] - energies[0])
    assert s["target_energy"] == pytest.approx(target, abs=1e-9)
    nearest = np.sort(energies[np.argsort(np.abs(energies - target))[:6]])
    np.testing.assert_allclose(np.sort(record["arrays"]["energies"]), nearest, atol=1e-9)


def quantum_sun_config(output):
    return f"""
seed = 8
realisations = 2
output = "{output}"
[model]
name = "mblkit.models.quantum_sun:QuantumSun"
params = {{ N = 2 }}
grid = {{ L = [3], alpha = [0.5, 0.9] }}
[[observables]]
name = "gap_ratio"
[[observables]]
name = "plugin_observables:level_count"
"""


def test_a_plugin_model_and_observable_run_alike_on_the_pool_and_on_dask(tmp_path, monkeypatch):
    """Dask workers import the plugin module again: PYTHONPATH names its folder."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(HERE), *filter(None, [os.environ.get("PYTHONPATH")])]))
    a, b = quantum_sun_config("a.h5"), quantum_sun_config("b.h5")
    run_campaign(parse_config(a), a, tmp_path / "a.h5", workers=2)
    run_campaign(parse_config(b), b, tmp_path / "b.h5", executor="dask", workers=1)
    assert_same_store(tmp_path / "a.h5", tmp_path / "b.h5")
    store = CampaignStore.read(tmp_path / "a.h5")
    data, params = store.load_point(1), store.point_params(1)
    model = QuantumSun(**params)
    assert data.scalars["levels"].tolist() == [32.0, 32.0]  # 2^(N + L)
    r = realisation_from_arrays({k.removeprefix("disorder."): v[0] for k, v in data.arrays.items()
                                 if k.startswith("disorder.")}, QuantumSunRealisation)
    H = model.hamiltonian(r)
    assert sp.issparse(H) and H.shape == (32, 32)
    assert data.arrays["lowest"][0, 0] == pytest.approx(np.linalg.eigvalsh(H.toarray())[0],
                                                        abs=1e-10)


def grid_config(tmp_path, name, W):
    text = TINY.format(realisations=3, output="grown.h5").replace(
        "grid = { L = [6, 8], W = [1.0, 5.0] }", f"grid = {{ L = [6], W = {W} }}")
    path = tmp_path / name
    path.write_text(text)
    return parse_config(text), text


def test_adding_a_grid_value_computes_only_the_new_point_and_keeps_the_old_bitwise(tmp_path):
    cfg, text = grid_config(tmp_path, "a.toml", "[1.0, 5.0]")
    assert run_campaign(cfg, text, tmp_path / "grown.h5").computed == 6
    before = dump_store(tmp_path / "grown.h5")
    cfg, text = grid_config(tmp_path, "b.toml", "[1.0, 3.0, 5.0]")
    fewer = text.replace("realisations = 3", "realisations = 2")
    with pytest.raises(StoreMismatchError, match="realisations = 2 is below"):
        run_campaign(parse_config(fewer), fewer, tmp_path / "grown.h5")
    untouched = dump_store(tmp_path / "grown.h5")
    assert set(untouched) == set(before)
    assert all(np.array_equal(untouched[k], before[k]) for k in before)
    report = run_campaign(cfg, text, tmp_path / "grown.h5")
    assert (report.computed, report.skipped) == (3, 6)
    after = dump_store(tmp_path / "grown.h5")
    for old, new in (("p00000", "p00000"), ("p00001", "p00002")):
        keys = [k for k in before if k.startswith(f"points/{old}")]
        assert keys
        for key in keys:
            np.testing.assert_array_equal(after[key.replace(old, new)], before[key])
    # the grown store is the store a fresh run of the grown config makes
    run_campaign(cfg, text, tmp_path / "fresh.h5")
    assert_same_store(tmp_path / "grown.h5", tmp_path / "fresh.h5")
    # dropping a stored value is refused; another solver is another campaign
    cfg, text = grid_config(tmp_path, "c.toml", "[1.0, 3.0]")
    with pytest.raises(StoreMismatchError, match="never drops results"):
        run_campaign(cfg, text, tmp_path / "grown.h5")
    text = text.replace("W = [1.0, 3.0]", "W = [1.0, 3.0, 5.0, 7.0]").replace(
        "bins = 20", "bins = 21")
    with pytest.raises(StoreMismatchError, match="another config"):
        run_campaign(parse_config(text), text, tmp_path / "grown.h5")


def test_a_store_seeded_by_grid_index_is_read_but_not_resumed(tmp_path):
    import shutil

    fixture = HERE.parent / "fixtures" / "store_format2.h5"
    shutil.copy(fixture, tmp_path / "old.h5")
    old = CampaignStore.read(tmp_path / "old.h5")
    assert old.format_version == 2
    with pytest.raises(StoreError, match="seeded by the point's position in the grid"):
        CampaignStore.open(tmp_path / "old.h5", old.config_text, old.config_hash,
                           [old.point_params(p) for p in range(old.n_points)], {})


def test_every_kind_registers_itself_and_plugins_join_by_protocol():
    registry = models()
    assert {"xxz", "spin-chain", "brickwork", "avalanche-scheme", "probe-static"} <= set(
        registry)
    assert registry["spin-chain"].name == "hamiltonian"
    import mblkit.campaign.tasks as tasks

    source = Path(tasks.__file__).read_text()
    assert "ed_tasks" not in source.split('"""', 2)[2]  # tasks.py imports no kind


def test_a_floquet_plugin_runs_as_a_floquet_kind_with_a_plugin_observable():
    """Its quasienergy gap ratio against an independent eigvals of the rebuilt unitary."""
    from plugin_observables import KickedChain

    from mblkit.campaign.registry import model_class

    text = """
seed = 4
realisations = 1
output = "k.h5"
[model]
name = "plugin_observables:KickedChain"
grid = { L = [5], W = [2.0] }
[[observables]]
name = "gap_ratio"
[[observables]]
name = "plugin_observables:quasienergy_count"
"""
    cfg = parse_config(text)
    assert model_class(cfg.model.name)[0].name == "floquet"
    validate(cfg)
    record = run_realisation(cfg, 0, 0)
    h = record["arrays"]["disorder.h"]
    assert record["scalars"]["quasienergies"] == 32.0
    assert record["scalars"]["h_sum"] == pytest.approx(h.sum(), abs=1e-14)
    theta = np.sort(np.angle(np.linalg.eigvals(KickedChain(5, 2.0).unitary({"h": h}))))
    gaps = np.diff(np.concatenate([theta, [theta[0] + 2 * np.pi]]))
    r = np.minimum(gaps, np.roll(gaps, -1)) / np.maximum(gaps, np.roll(gaps, -1))
    assert record["scalars"]["gap_ratio"] == pytest.approx(r.mean(), abs=1e-9)
    with pytest.raises(ConfigError, match="sector = 'half' is not allowed"):
        validate(parse_config(text.replace("[[observables]]", '[solver]\nsector = "half"\n'
                                           "[[observables]]", 1)))
