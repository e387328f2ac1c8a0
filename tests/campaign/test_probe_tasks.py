"""Probe task kind (models "probe-floquet" / "probe-static", observables "spectral" and
"matrix_elements"): engine guarantees, record contents, bad configs, and the ED-vs-RM figures."""

import io
from pathlib import Path

import numpy as np
import pytest
from store_compare import assert_same_store

from mblkit.campaign.config import ConfigError, load_config, parse_config
from mblkit.campaign.runner import output_path, run_campaign
from mblkit.campaign.seeding import realisation_rng
from mblkit.campaign.tasks import run_realisation, validate
from mblkit.figures import resonance_model_ed as ed
from mblkit.models.probe import ProbeFloquetChain, ProbeStaticChain
from mblkit.observables.spectral import autocorrelation, time_grid
from mblkit.solvers import eigh
from mblkit.stats import LogBins

TINY_PROBE = """
name = "tiny-probe"
seed = 17
realisations = {realisations}
output = "{output}"

[model]
name = "probe-static"
params = {{ J = 1.0 }}
grid = {{ L = [4, 5], W = [1.0, 12.0] }}

[[observables]]
name = "spectral"
log_bins = {{ omega = [1e-8, 1e2, 40], time = [1e-1, 1e6, 14] }}

[[observables]]
name = "matrix_elements"
fraction = 0.2
log_bins = {{ v = [1e-8, 1e1, 36] }}
"""

TINY_PROBE_FLOQUET = TINY_PROBE.replace('name = "probe-static"\nparams = {{ J = 1.0 }}',
                                        'name = "probe-floquet"\n'
                                        'params = {{ J = 1.0, Omega = 40.0 }}')


def make_config(tmp_path: Path, name: str, realisations: int, template: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(template.format(realisations=realisations, output=f"{name}.h5"))
    return path


def run_file(path, **kwargs):
    cfg, text = load_config(path)
    return run_campaign(cfg, text, output_path(cfg, path), **kwargs)


@pytest.mark.parametrize("template", [TINY_PROBE, TINY_PROBE_FLOQUET], ids=["static", "floquet"])
def test_one_and_two_workers_agree_and_resume_computes_nothing(tmp_path, template):
    """Bitwise equal stores. (At dimension >= 128 LAPACK's zheevd rounds differently with one
    and two BLAS threads, ~1e-16, so the set-ups here stay at 2^(L+1) <= 64.)"""
    one, two = (make_config(tmp_path, n, 2, template) for n in ("one", "two"))
    assert run_file(one, workers=1).computed == 8
    assert run_file(one, workers=1).computed == 0
    assert run_file(two, workers=2).computed == 8
    assert_same_store(one.with_suffix(".h5"), two.with_suffix(".h5"))


@pytest.mark.parametrize("template, cls", [(TINY_PROBE, ProbeStaticChain),
                                           (TINY_PROBE_FLOQUET, ProbeFloquetChain)],
                         ids=["static", "floquet"])
def test_record_is_the_probe_of_its_seed(tmp_path, template, cls):
    """C_zz(0) = 1, the sum rule, the disorder of the seed; the window counts add up."""
    cfg, _ = load_config(make_config(tmp_path, "r", 1, template))
    record = run_realisation(cfg, 3, 0)  # L = 5, W = 12
    params = {"L": 5, "W": 12.0, "J": 1.0} | ({"Omega": 40.0} if cls is ProbeFloquetChain
                                               else {})
    model = cls(**params)
    v = model.sample(realisation_rng(cfg.seed, key_of(model), 0))
    assert np.array_equal(record["arrays"]["disorder"], v)
    s = record["scalars"]
    assert s["czz_0"] == pytest.approx(1.0, abs=1e-12)
    assert s["sum_rule_error"] < 1e-12 and s["row_norm_error"] < 1e-12
    assert 0.0 <= s["czz_inf"] <= 1.0
    period = getattr(model, "period", None)
    times = time_grid(LogBins(1e-1, 1e6, 14), period)
    assert np.array_equal(record["arrays"]["czz_times"], times)
    assert record["arrays"]["czz"].shape == times.shape
    weights = record["arrays"]["s_weights"]
    assert weights.shape == (42,) and weights.sum() + s["czz_inf"] == pytest.approx(1.0)
    v_counts = record["histograms"]["v"]
    assert v_counts.dtype == np.int64 and v_counts.sum() == s["pairs"]
    assert s["reference_width"] == pytest.approx(2 * s["reference_states"] * s["window_width"])


def test_static_record_matches_a_direct_computation(tmp_path):
    """The stored [C_zz] and C_zz(t) equal sigma^z_P's autocorrelation recomputed here."""
    cfg, _ = load_config(make_config(tmp_path, "d", 1, TINY_PROBE))
    record = run_realisation(cfg, 1, 0)  # L = 4, W = 12
    model = ProbeStaticChain(4, W=12.0)
    s = eigh(model.hamiltonian(record["arrays"]["disorder"]))
    sz = np.where(np.arange(32) >= 16, 1.0, -1.0)[:, None]  # probe = bit 4
    times = record["arrays"]["czz_times"]
    direct = autocorrelation(s.energies, s.vectors, sz * s.vectors, times)
    assert record["scalars"]["czz_inf"] == pytest.approx(direct.infinite_time, abs=1e-10)
    assert np.allclose(record["arrays"]["czz"], direct.correlator, atol=1e-10)


@pytest.mark.parametrize("edit, message", [
    (('name = "spectral"\n', 'name = "spectral"\nsites = [0]\n'), "sites"),
    (('name = "spectral"\n', 'name = "spectral"\nwindows = [0.0, 1.0]\n'), "windows"),
    (("omega = [1e-8", "omeg = [1e-8"), "log_bins"),
    (("v = [1e-8, 1e1, 36]", "v = [1e1, 1e-8, 36]"), "empty or invalid"),
    (("fraction = 0.2", "fraction = 0.5"), "must be small"),
    (("fraction = 0.2", "fraction = 0.1"), "states per window"),
    (('name = "matrix_elements"', 'name = "spectral"'), "more than once"),
    (('name = "matrix_elements"', 'name = "gap_ratio"'), "not allowed for model"),
    (('[[observables]]\nname = "spectral"',
      '[solver]\nsector = "half"\n\n[[observables]]\nname = "spectral"'), "sector"),
    (('[[observables]]\nname = "spectral"',
      '[solver]\nmethod = "interior"\n\n[[observables]]\nname = "spectral"'), "method"),
    (("grid = {{ L = [4, 5]", "grid = {{ L = [4, 24]"), "L=24"),
    (("params = {{ J = 1.0 }}", "params = {{ J = 1.0, coupling = nan }}"), "coupling="),
])
def test_bad_probe_configs_fail_before_work(edit, message):
    assert edit[0] in TINY_PROBE
    text = TINY_PROBE.replace(*edit).format(realisations=2, output="x.h5")
    with pytest.raises(ConfigError, match=message):
        validate(parse_config(text))


def _render(fig) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    assert buf.getbuffer().nbytes > 1000


def test_figures_from_a_probe_store(tmp_path):
    """Smoke test: a probe store loads, its varrho, model weights and rho vbar are assembled and
    the three figures draw (the rho vbar mean is compared with a copy of its own sum); the
    independent checks are, in tests/campaign/test_probe_tasks.py,
    ::test_static_record_matches_a_direct_computation, and, in
    tests/phenomenology/test_resonance_generalised.py, ::test_histogram_input_equals_sample_input
    and ::test_rho_vbar_from_raw_matrix_elements_eq130."""
    path = make_config(tmp_path, "fig", 3, TINY_PROBE)
    run_file(path, workers=1)
    store = path.with_suffix(".h5")
    data = ed.load_probe(store)
    assert data.model == "probe-static" and len(data.points) == 4
    assert set(data.groups()) == {"W = 1.0", "W = 12.0"}
    point = data.groups()["W = 12.0"][-1]
    assert point.L == 5 and point.czz.shape == (3, 15) and point.s_weights.shape == (3, 42)
    # varrho: its integral is the in-range pairs per unit reference width, and the model
    # weights with F(0) exhaust the sum rule
    varrho = ed.measured_varrho(point.v_counts, data.v_bins, float(point.reference_width.sum()))
    integral = np.sum(varrho.density * np.diff(varrho.edges))
    assert integral == pytest.approx(point.v_counts[1:-1].sum() / point.reference_width.sum())
    F0, weights = ed.model_weights(varrho, data.omega_bins)
    assert F0 + weights.sum() == pytest.approx(1.0, abs=1e-12) and 0 < F0 < 1
    mean, error = ed.pooled_rho_vbar(point.v_sum, point.reference_width)
    assert mean == pytest.approx(point.v_sum.sum() / point.reference_width.sum())
    assert error > 0
    overlay = ed.figure_spectral_overlay(data)
    assert len(overlay.axes) == 2
    model_line = overlay.axes[1].lines[-1]  # the RM at L = 5, W = 12
    assert np.allclose(model_line.get_ydata(),
                       (weights[1:-1] / (2 * np.diff(data.omega_bins.edges)))[weights[1:-1] > 0])
    written = ed.draw_all(store, tmp_path / "figs", formats=(".png",))  # renders all three
    assert [p.name for p in written] == ["probe_czz_t.png", "probe_s_omega_vs_rm.png",
                                         "rho_vbar.png"]
    assert all(p.stat().st_size > 1000 for p in written)


def test_figure_inputs_are_checked(tmp_path):
    with pytest.raises(ValueError, match="reference_width"):
        ed.measured_varrho(np.ones(5, np.int64), LogBins(1e-3, 1.0, 3), 0.0)
    with pytest.raises(ValueError, match="shape"):
        ed.measured_varrho(np.ones(4, np.int64), LogBins(1e-3, 1.0, 3), 1.0)
    with pytest.raises(ValueError, match="equal-length"):
        ed.pooled_rho_vbar(np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="sums to zero"):
        ed.pooled_rho_vbar(np.zeros(2), np.zeros(2))
    # an empty reference window (width 0) adds nothing to either sum
    assert ed.pooled_rho_vbar(np.array([1.0, 0.0]), np.array([4.0, 0.0]))[0] == 0.25
    only_spectral = TINY_PROBE[:TINY_PROBE.index('[[observables]]\nname = "matrix_elements"')]
    path = make_config(tmp_path, "only", 1, only_spectral)
    run_file(path, workers=1)
    data = ed.load_probe(path.with_suffix(".h5"))
    _render(ed.figure_correlator(data))
    with pytest.raises(ValueError, match="matrix_elements"):
        ed.figure_spectral_overlay(data)


def key_of(model):
    """The seeding key of a point of this model (mblkit.campaign.seeding)."""
    from mblkit.campaign.seeding import point_key
    from mblkit.campaign.tasks import Point, resolved_params

    return point_key(resolved_params(Point(model)))
