"""Floquet and avalanche-scheme campaigns: same engine guarantees as the Hamiltonian ones."""

import numpy as np
import pytest
from store_compare import TINY_FLOQUET, TINY_SCHEME, assert_same_store
from typer.testing import CliRunner

from mblkit.campaign.config import ConfigError, load_config, parse_config
from mblkit.campaign.runner import output_path, run_campaign
from mblkit.campaign.store import CampaignStore
from mblkit.campaign.tasks import run_realisation, validate
from mblkit.cli import app
from mblkit.figures.floquet import figure_2, load_resonances
from mblkit.models.brickwork import BrickworkCircuit
from mblkit.observables.resonances import DEFAULT_BINS
from mblkit.stats import LogBins


def run_file(path, **kwargs):
    cfg, text = load_config(path)
    return run_campaign(cfg, text, output_path(cfg, path), **kwargs)


@pytest.mark.parametrize("template", [TINY_FLOQUET, TINY_SCHEME], ids=["floquet", "scheme"])
def test_one_and_two_workers_agree_and_resume_computes_nothing(tiny_config, template):
    """Bitwise equal stores although dimension 256 is where LAPACK's rounding depends on
    its thread count: every realisation runs with the same BLAS threads."""
    one, two = tiny_config("one", 3, template), tiny_config("two", 3, template)
    assert run_file(one, workers=1).computed == 12
    assert run_file(one, workers=1).computed == 0
    run_file(two, workers=2)
    assert_same_store(one.with_suffix(".h5"), two.with_suffix(".h5"))


def test_floquet_record_is_the_realisation_of_its_seed(tiny_config):
    """The stored u, v re-build W; the gap ratio and sum rule follow from the record alone."""
    cfg, _ = load_config(tiny_config("f", 2, TINY_FLOQUET))
    record = run_realisation(cfg, 3, 1)  # L = 8, J = 0.2
    model = BrickworkCircuit(8, 0.2)
    from mblkit.campaign.seeding import realisation_rng
    from mblkit.models.brickwork import BrickworkRealisation

    expected = model.sample(realisation_rng(cfg.seed, key_of(model), 1))
    assert np.array_equal(record["arrays"]["u"], expected.u)
    assert np.allclose(record["arrays"]["fields"],
                       model.fields(BrickworkRealisation(record["arrays"]["u"],
                                                         record["arrays"]["v"])))
    assert record["scalars"]["sum_rule_error"] < 1e-12
    omega = record["histograms"]["res_omega"]
    assert omega.shape == (LogBins(1e-12, 10.0, 65).size,)
    assert omega.sum() == 2 * 256 * 255  # two sites, all ordered pairs n != m
    windows = sum(record["histograms"][f"res_omega_window{k}"].sum() for k in range(5))
    assert windows < omega.sum()
    assert record["histograms"]["res_z"].shape == (DEFAULT_BINS["z"].size,)


def test_scheme_campaign_gives_p_thermal_monotonic_in_eps(tiny_config):
    path = tiny_config("s", 30, TINY_SCHEME)
    run_file(path)
    store = CampaignStore.read(path.with_suffix(".h5"))
    params = [store.point_params(k) for k in range(store.n_points)]
    p = {(q["L"], q["eps"]): store.load_point(k).scalars["thermal"].mean()
         for k, q in enumerate(params)}
    assert p[(20, 0.1)] <= p[(20, 0.6)] and p[(60, 0.1)] <= p[(60, 0.6)]
    assert p[(60, 0.6)] > 0.5 and p[(60, 0.1)] == 0.0


@pytest.mark.parametrize("edit, message", [
    (("sites = [0, 1]", "sites = [0, 9]"), "outside the chain"),
    (("omega = [1e-12, 10.0, 65]", "omega = [1.0, 1.0, 65]"), "empty or invalid"),
    (("omega = [1e-12", "omeg = [1e-12"), "log_bins"),
    (('name = "resonances"', 'name = "purity"'), "not allowed for model 'brickwork'"),
    (("L = [4, 8]", "L = [5, 8]"), "even"),
    (("J = [0.02, 0.2]", "J = [0.02, 2.0]"), "J="),
    (('[[observables]]\nname = "gap_ratio"',
      '[solver]\nsector = "half"\n\n[[observables]]\nname = "gap_ratio"'), "sector"),
])
def test_bad_floquet_configs_fail_before_work(edit, message):
    text = TINY_FLOQUET.format(realisations=2, output="x.h5")
    assert edit[0] in text
    with pytest.raises(ConfigError, match=message):
        validate(parse_config(text.replace(*edit)))


def test_o3_floquet_campaign_runs_and_refuses_resonances(tiny_config):
    """Smoke test: an o3-floquet campaign runs (8 records) and one asking for resonances is
    refused; the independent checks of the drive are, in tests/models/test_o3_floquet.py,
    ::test_j_zero_is_a_product_of_single_site_rotations and
    ::test_fast_drive_approaches_the_static_chain_of_eq_61_as_t_squared."""
    text = (TINY_FLOQUET.replace('name = "brickwork"', 'name = "o3-floquet"\nparams = '
                                 '{{ Omega = 4.0 }}').replace("J = [0.02, 0.2]", "W = [1.0, 8.0]"))
    path = tiny_config("o3", 2, text)
    with pytest.raises(ConfigError, match="no local field operator"):
        run_file(path)
    cut = text[:text.index('[[observables]]\nname = "resonances"')]
    path = tiny_config("o3ok", 2, cut)
    assert run_file(path).computed == 8


def test_bad_scheme_config_fails_before_work():
    text = TINY_SCHEME.format(realisations=2, output="x.h5")
    with pytest.raises(ConfigError, match="eps="):
        validate(parse_config(text.replace("eps = [0.1, 0.6]", "eps = [0.1, 1.6]")))


def test_cli_plot_draws_the_floquet_paper_figures(tiny_config):
    """Smoke test: `mblkit plot` draws the Floquet paper's figures from a tiny campaign and writes
    a zeta/zeta_c row or reason for every (L, J); the independent checks are, in
    tests/figures/test_floquet_zeta.py,
    ::test_zeta_is_found_at_both_sizes_and_a_lone_size_is_reported, and
    tests/observables/test_resonances.py::test_streaming_pass_equals_brute_force_loops."""
    path = tiny_config("plot", 3, TINY_FLOQUET)
    run_file(path)
    store = path.with_suffix(".h5")
    result = CliRunner().invoke(app, ["plot", str(store)])
    assert result.exit_code == 0, result.output
    for name in ("gap_ratio", "fig2_omega", "fig3_z_depolarisation", "fig4_x_chi",
                 "fig5_two_three_level"):
        assert (store.with_suffix("") / f"{name}.png").exists(), name
    data = load_resonances(store)
    assert len(data.points) == 4 and all(p.counts["omega"].shape[0] == 3 for p in data.points)
    assert figure_2(data).axes
    # the zeta/zeta_c table is stored and printed, a row or a reason for every (L, J)
    table = (store.with_suffix("") / "fig2_zeta_windows.txt").read_text()
    assert "zeta/zeta_c" in table and table.splitlines()[0] in result.output
    assert sum(f"L = {L}, J = {J}" in table or f"{J:>6g} {L:>3d}" in table
               for L in (4, 8) for J in (0.02, 0.2)) == 4


def key_of(model):
    """The seeding key of a point of this model (mblkit.campaign.seeding)."""
    from mblkit.campaign.seeding import point_key
    from mblkit.campaign.tasks import Point, resolved_params

    return point_key(resolved_params(Point(model)))
