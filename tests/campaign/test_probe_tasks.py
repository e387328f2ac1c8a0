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
    # the optional Hamiltonian RM (dashed) is fitted to this point's own measured varrho
    ham = ed.figure_spectral_overlay(data, hamiltonian=True)
    zeta = ed.fit_hamiltonian_zeta(varrho, W=12.0, J=1.0, h=12.0, L=5)
    F0h, wh = ed.hamiltonian_model(zeta, W=12.0, J=1.0, h=12.0, L=5, bins=data.omega_bins)
    dashed = [ln for ln in ham.axes[1].lines if ln.get_linestyle() == "--"][-1]
    density = ed.spectral_density(wh, data.omega_bins)
    assert np.allclose(dashed.get_ydata(), density[density > 0])
    assert f"zeta fit {zeta:.2f}): F(0) = {F0h:.3f}" in dashed.get_label()
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


@pytest.mark.parametrize("zeta0", [0.8, 1.6])
def test_hamiltonian_overlay_fed_the_model_varrho_gives_the_closed_form(zeta0):
    """The Hamiltonian RM overlay fed the model's own varrho (resonance-model-crossover.txt
    Eqs. 77, 80, reference energy averaged, h = 0), binned 40 per decade like a measured one:
    the fit returns its zeta, F(0) is the closed form F_1(L/2) (Eqs. 91-92, Lambda ->
    2 Lambda', energy="averaged", form="derived" of resonance_hamiltonian) and the slot
    densities are Eq. 93 at the bin centres; two zetas, so an overlay that ignored the fed
    varrho could not pass both."""
    from mblkit.phenomenology import resonance_generalised_hamiltonian as rgh
    from mblkit.phenomenology import resonance_hamiltonian as rh
    from mblkit.phenomenology.resonance_generalised import BinnedMatrixElementDensity

    W, J, L = 8.0, 1.0, 20
    model = rgh.model_density_averaged(zeta=zeta0, J=J, W=W, L=L, h=0.0)
    v_bins = LogBins(1e-10, 1.0, 400)
    lo, hi = v_bins.edges[:-1], v_bins.edges[1:]
    # flat on each bin with the bin's exact int v varrho dv (the r^-1/2 at v -> J included)
    moment = -np.diff(model.first_moment_above(v_bins.edges))
    fed = BinnedMatrixElementDensity(v_bins.edges, moment / ((hi**2 - lo**2) / 2))
    zeta = ed.fit_hamiltonian_zeta(fed, W=W, J=J, h=0.0, L=L)
    assert zeta == pytest.approx(zeta0, rel=2e-3)
    bins = LogBins(1e-6, 1.0, 24)
    F0, weights = ed.hamiltonian_model(zeta, W=W, J=J, h=0.0, L=L, bins=bins)
    closed = rh.time_averaged_correlator(L, zeta=zeta0, J=J, W=W, form="derived",
                                         energy="averaged")
    assert F0 == pytest.approx(closed, rel=5e-3)
    slot = ed.spectral_density(weights, bins)
    eq93 = rh.spectral_function(bins.centres, zeta=zeta0, J=J, W=W, L=L, form="derived",
                                energy="averaged")
    # well above v(L/2) for both zetas, and below the r^-1/2 edge at v -> J: S is smooth
    inside = (bins.centres > 1e-3) & (bins.centres < 0.3)
    np.testing.assert_allclose(slot[inside], eq93[inside], rtol=0.05)
    with pytest.raises(ValueError, match="v_range"):
        ed.fit_hamiltonian_zeta(fed, W=W, J=J, h=0.0, L=L, v_range=(1e-3, 1e-4))
    with pytest.raises(ValueError, match="energy='eq89'"):
        ed.hamiltonian_model(zeta, W=W, J=J, h=0.0, L=L, bins=bins, energy="eq89")


def test_model_correlator_is_the_cosine_transform_of_the_slots():
    """C(0) = F(0) + all slot weights = 1, C(t) -> F(0) at t >> 1/lo, and for one bin
    [w1, w2) the flat-S transform (sin w2 t - sin w1 t) / ((w2 - w1) t) (Eqs. 72-73)."""
    bins = LogBins(1e-2, 1e1, 3)
    weights = np.array([0.05, 0.1, 0.2, 0.3, 0.0])  # underflow [0, 1e-2), 3 bins, overflow
    t = np.array([0.0, 0.7, 3.0, 1e6])
    c = ed.model_correlator(0.35, weights, bins, t)
    assert c[0] == pytest.approx(1.0) and c[-1] == pytest.approx(0.35, abs=1e-5)
    e = np.concatenate(([0.0], bins.edges))
    flat = sum(w * (np.sin(b * t[1:3]) - np.sin(a * t[1:3])) / ((b - a) * t[1:3])
               for w, a, b in zip(weights[:-1], e[:-1], e[1:], strict=True))
    np.testing.assert_allclose(c[1:3], 0.35 + flat, rtol=1e-12)


def key_of(model):
    """The seeding key of a point of this model (mblkit.campaign.seeding)."""
    from mblkit.campaign.seeding import point_key
    from mblkit.campaign.tasks import Point, resolved_params

    return point_key(resolved_params(Point(model)))
