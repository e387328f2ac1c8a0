"""mblkit.open: every stored variable round-trips, the per-realisation view gives the stored
means, histogram coordinates are the worker's bins; stores describe themselves (bins, resolved
config, provenance); stores of the previous formats (committed fixtures) are read."""

from fractions import Fraction
from pathlib import Path

import h5py
import numpy as np
import pytest

import mblkit
from mblkit.campaign.config import load_config
from mblkit.campaign.results import density
from mblkit.campaign.runner import output_path, run_campaign
from mblkit.campaign.store import CampaignStore, StoreError, StoreMismatchError
from mblkit.models import XXZChain
from mblkit.observables import gap_ratio
from mblkit.solvers import eigh
from mblkit.stats.summaries import typical_value

FIXTURES = Path(__file__).parents[1] / "fixtures"

CONFIG = """
name = "open"
seed = 3
realisations = {realisations}
output = "{output}"

[model]
name = "xxz"
params = {{ J = 1.0, delta = 1.0 }}
grid = {{ L = [6, 8], W = [1.0, 5.0] }}

[[observables]]
name = "gap_ratio"
fraction = 0.9
bins = 7

[[observables]]
name = "purity"
sites = "all"
bins = 5

[[observables]]
name = "magnetisation"
sites = [0, 3]
bins = 4
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("open")
    path = folder / "open.toml"
    path.write_text(CONFIG.format(realisations=3, output="open.h5"))
    cfg, text = load_config(path)
    run_campaign(cfg, text, output_path(cfg, path), workers=1)
    return folder / "open.h5"


def test_every_stored_variable_round_trips(store):
    ds = mblkit.open(store)
    st = CampaignStore.read(store)
    assert ds["gap_ratio"].dims == ("L", "W") and list(ds.L.values) == [6, 8]
    for p in range(st.n_points):
        res = st.load_point(p)
        at = {"L": res.params["L"], "W": res.params["W"]}
        assert int(ds.n_realisations.sel(at)) == len(res.realisations) == 3
        for name, values in res.scalars.items():
            assert float(ds[name].sel(at)) == pytest.approx(np.mean(values), rel=1e-14)
            assert float(ds[f"{name}_sem"].sel(at)) == pytest.approx(
                np.std(values, ddof=1) / np.sqrt(len(values)), rel=1e-12)
        for name, values in res.arrays.items():
            got = ds[name].sel(at).values
            want = values.mean(axis=0)
            np.testing.assert_allclose(got[tuple(slice(0, s) for s in want.shape)], want,
                                       rtol=1e-14)
            assert np.isnan(got).sum() == got.size - want.size  # padding only
        for name, counts in res.histograms.items():
            got = ds[f"hist_{name}"].sel(at).values
            np.testing.assert_array_equal(got[tuple(slice(0, s) for s in counts.shape)], counts)
            assert got.sum() == counts.sum()
    # per-site arrays on a site dimension: L sites at L = 8, L = 6 padded
    assert ds.purity_sites.dims == ("L", "W", "purity_site") and ds.sizes["purity_site"] == 8
    assert np.isnan(ds.purity_sites.sel(L=6).values[:, 6:]).all()
    assert ds.hist_magnetisation.dims == ("L", "W", "magnetisation_site", "magnetisation_bin")
    assert list(ds.magnetisation_site.values) == [0, 3]
    assert list(ds.purity_site.values) == list(range(8))


def test_attributes_name_the_quantity_and_its_options(store):
    ds = mblkit.open(store)
    assert ds.gap_ratio.attrs["long_name"] == "gap ratio r"
    assert ds.gap_ratio.attrs["fraction"] == 0.9 and ds.gap_ratio.attrs["bins"] == 7
    assert ds.purity_sites.attrs["sites"] == "all"
    assert ds.hist_magnetisation.attrs["sites"] == [0, 3]
    assert ds.L.attrs["units"] == "sites" and ds.W.attrs["units"] == "J"
    assert ds.max_residual.attrs["diagnostic"] == 1
    assert ds.attrs["realisations_per_point"] == 3


def test_per_realisation_view_gives_the_stored_means_and_typical_values(store):
    ds = mblkit.open(store)
    per = mblkit.open(store, per_realisation=True)
    assert per.gap_ratio.dims == ("L", "W", "realisation")
    assert list(per.realisation.values) == [0, 1, 2]
    for name in ("gap_ratio", "purity", "max_residual"):
        np.testing.assert_allclose(per[name].mean("realisation"), ds[name], rtol=1e-14)
        np.testing.assert_allclose(per[name].std("realisation", ddof=1) / np.sqrt(3),
                                   ds[f"{name}_sem"], rtol=1e-12)
    np.testing.assert_allclose(per.purity_sites.mean("realisation"), ds.purity_sites,
                               rtol=1e-14)
    # rows are the stored realisations, in order
    st = CampaignStore.read(store)
    res = st.load_point(3)
    np.testing.assert_array_equal(per.disorder.isel(L=1, W=1).values, res.arrays["disorder"])
    # a typical value along the realisations is one line
    tv = typical_value(per.gap_ratio.isel(L=0, W=0).values)
    assert np.isfinite(tv.value)


def test_bin_coordinates_are_the_bins_the_worker_used(store):
    """Recompute realisation 0 of each point independently (its stored disorder, ED, gap
    ratios) and histogram it on the stored edges: the worker's counts come out."""
    ds = mblkit.open(store)
    st = CampaignStore.read(store)
    edges = np.append(ds.gap_ratio_lower.values, ds.gap_ratio_upper.values[-1])
    assert len(edges) == 8 and edges[0] == 0.0 and edges[-1] == 1.0
    np.testing.assert_allclose(ds.gap_ratio_centre, (edges[:-1] + edges[1:]) / 2)
    for p in range(st.n_points):
        res = st.load_point(p)
        L = res.params["L"]
        model = XXZChain(L=L, W=res.params["W"], J=1.0, delta=1.0)
        counts = np.zeros(7, dtype=np.int64)
        for fields in res.arrays["disorder"]:
            e = eigh(model.hamiltonian(fields, L // 2)).energies
            n = len(e)
            lo = int(n * (1 - Fraction("0.9")) / 2)  # the window, in exact rationals
            window = e[lo:n - lo]
            counts += np.histogram(gap_ratio(window), bins=edges)[0]
        np.testing.assert_array_equal(counts, res.histograms["gap_ratio"])
    assert ds.purity_lower.values[0] == 0.5 and ds.purity_upper.values[-1] == 1.0
    assert ds.magnetisation_lower.values[0] == -0.5 and ds.sizes["magnetisation_bin"] == 4


def test_density_is_normalised(store):
    ds = mblkit.open(store)
    d = density(ds, "gap_ratio")
    width = ds.gap_ratio_upper - ds.gap_ratio_lower
    np.testing.assert_allclose((d * width).sum("gap_ratio_bin"), 1.0, rtol=1e-12)
    assert d.attrs["long_name"].startswith("probability density")


def test_store_describes_itself(store):
    st = CampaignStore.read(store)
    bins = st.histogram_bins
    assert len(bins) == 4 and bins[0]["gap_ratio"]["edges"] == np.linspace(0, 1, 8).tolist()
    assert bins[0]["magnetisation"]["rows"] == {"name": "site", "values": [0, 3]}
    resolved = st.resolved_config
    assert resolved["solver"]["method"] == "full"  # a default filled in
    assert resolved["points"][0]["n_up"] == 3 and resolved["points"][0]["params"]["L"] == 6
    (run,) = st.provenance
    assert run["mblkit"] == mblkit.__version__ and run["executor"] == "local"
    assert run["workers"] == 1 and run["blas_threads"] == 1 and run["computed"] == 12
    assert run["started"] <= run["ended"] and run["host"]
    assert isinstance(run["blas"], list) and all("num_threads" in b for b in run["blas"])
    with h5py.File(store) as f:
        assert f.attrs["format_version"] == 4 and "about/histogram_bins" in f


def test_resume_appends_provenance_and_refuses_other_bins(tmp_path, monkeypatch):
    path = tmp_path / "g.toml"
    path.write_text(CONFIG.format(realisations=1, output="g.h5").replace(
        "L = [6, 8]", "L = [6]"))
    cfg, text = load_config(path)
    run_campaign(cfg, text, tmp_path / "g.h5", workers=1)
    text2 = text.replace("realisations = 1", "realisations = 2")
    cfg2, _ = load_config(path)
    path.write_text(text2)
    cfg2, text2 = load_config(path)
    run_campaign(cfg2, text2, tmp_path / "g.h5", workers=1)
    runs = CampaignStore.read(tmp_path / "g.h5").provenance
    assert len(runs) == 2 and [r["computed"] for r in runs] == [2, 2]
    # a default's bins that changed since the store was written: refused, naming the histogram
    import mblkit.campaign.bins as bins_module

    original = bins_module.linear

    def shifted(lo, hi, n, **extra):
        return original(lo, hi + (0.5 if lo == 0.5 else 0.0), n, **extra)

    monkeypatch.setattr(bins_module, "linear", shifted)
    path.write_text(text2.replace("realisations = 2", "realisations = 3"))
    cfg3, text3 = load_config(path)
    with pytest.raises(StoreMismatchError, match=r"\['purity'\]"):
        run_campaign(cfg3, text3, tmp_path / "g.h5", workers=1)


@pytest.mark.parametrize("version", [1, 2])
def test_stores_of_the_previous_formats_are_read(version):
    """Fixtures written by mblkit commits 0f50ddf (format 1) and ea7a01d (format 2) from
    tests/fixtures/old_store.toml (3 realisations of L = 6, W = 1, 4)."""
    path = FIXTURES / f"store_format{version}.h5"
    st = CampaignStore.read(path)
    assert st.format_version == version and st.histogram_bins == []
    ds = mblkit.open(path)
    assert ds.attrs["format_version"] == version
    assert list(ds.W.values) == [1.0, 4.0] and ds.n_realisations.values.tolist() == [[3, 3]]
    assert ds.hist_gap_ratio.shape == (1, 2, 10) and int(ds.hist_gap_ratio.sum()) > 0
    assert ds.hist_gap_ratio.attrs["bins"].startswith("not recorded")
    per = mblkit.open(path, per_realisation=True)
    np.testing.assert_allclose(per.gap_ratio.mean("realisation"), ds.gap_ratio, rtol=1e-14)
    # physics, not just plumbing: the stored gap ratios are those of the stored disorder
    res = st.load_point(0)
    model = XXZChain(L=6, W=1.0, J=1.0, delta=1.0)
    from mblkit.observables import mean_gap_ratio

    for fields, r in zip(res.arrays["disorder"], res.scalars["gap_ratio"], strict=True):
        e = eigh(model.hamiltonian(fields, 3)).energies
        assert mean_gap_ratio(e, 0.5) == pytest.approx(r, abs=1e-12)


def test_floquet_and_scheme_bins_describe_the_stored_counts(tiny_config, monkeypatch):
    """Every histogram a worker writes has its bins in the store, with the stored shape; the
    Floquet figures read the stored bins even when today's defaults differ."""
    from store_compare import TINY_FLOQUET, TINY_SCHEME

    from mblkit.campaign import bins as bins_module
    from mblkit.figures import floquet

    for template in (TINY_FLOQUET, TINY_SCHEME):
        path = tiny_config(f"b{len(template)}", 1, template)
        cfg, text = load_config(path)
        run_campaign(cfg, text, output_path(cfg, path), workers=1)
        st = CampaignStore.read(output_path(cfg, path))
        for p in range(st.n_points):
            described = st.histogram_bins[p]
            stored = st.load_point(p).histograms
            assert set(stored) <= set(described)
            for name, counts in stored.items():
                assert counts.shape == bins_module.counts_shape(described[name]), name
        ds = mblkit.open(st.path)
        if "res_omega" in described:
            assert described["res_omega"]["bins"] == 65 and described["res_omega"]["lo"] == 1e-12
            assert np.isnan(ds.res_omega_centre.values[[0, -1]]).all()  # under/overflow
            np.testing.assert_allclose(ds.res_omega_lower.values[1:-1],
                                       np.logspace(-12, 1, 66)[:-1])
            np.testing.assert_allclose(ds.res_omega_upper.values[1:-1],
                                       np.logspace(-12, 1, 66)[1:])
            assert ds.res_omega_lower.values[0] == 0 and ds.res_omega_upper.values[0] == 1e-12
            assert ds.res_omega_lower.values[-1] == 10.0 and ds.res_omega_upper.values[-1] > 1e300
            wanted = floquet.load_resonances(st.path).bins
            monkeypatch.setattr(floquet, "resonance_bins",
                                lambda spec: pytest.fail("bins rebuilt from the config"))
            got = floquet.load_resonances(st.path).bins
            assert got == wanted and got.omega.bins == 65
        else:
            assert ds.spot_size_lower.values[0] == 1 and ds.sizes["spot_size_bin"] == 30



def test_a_store_of_an_older_format_is_read_but_not_resumed(tmp_path):
    """Formats before the current one seeded realisations otherwise (format < 4: by the
    point's grid position) or lack checksums: resuming one is refused, naming what still works
    on it, and the file is untouched."""
    import shutil

    for version in (1, 2):
        shutil.copy(FIXTURES / f"store_format{version}.h5", tmp_path / "old.h5")
        before = (tmp_path / "old.h5").read_bytes()
        text = (FIXTURES / "old_store.toml").read_text().replace("realisations = 3",
                                                                 "realisations = 4")
        (tmp_path / "old.toml").write_text(text)
        cfg, text = load_config(tmp_path / "old.toml")
        with pytest.raises(StoreError, match=r"mblkit\.open.*choose another output path"):
            run_campaign(cfg, text, tmp_path / "old.h5", workers=1)
        assert (tmp_path / "old.h5").read_bytes() == before


def test_typical_values_and_medians_of_the_whole_grid_in_one_line(store):
    from mblkit.campaign.results import over_realisations
    from mblkit.stats.summaries import median_value

    per = mblkit.open(store, per_realisation=True)
    typical = over_realisations(per, "gap_ratio", typical_value)
    assert typical.value.dims == ("L", "W")
    for L in (6, 8):
        for W in (1.0, 5.0):
            r = per.gap_ratio.sel(L=L, W=W).values
            assert float(typical.value.sel(L=L, W=W)) == pytest.approx(
                np.exp(np.mean(np.log(r))), rel=1e-12)
    median = over_realisations(per, "gap_ratio", median_value)
    np.testing.assert_allclose(median.value, per.gap_ratio.median("realisation"), rtol=1e-12)
    assert np.all(median.error >= 0)
