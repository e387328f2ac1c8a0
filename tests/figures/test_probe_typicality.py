"""Static probe spin by typicality and KPM (mblkit.figures.probe_typicality;
resonance-model-crossover.txt Eq. 68, C_zz of Eqs. 21/72, S of Eq. 73).

References: full ED of the same realisation (mblkit.solvers.eigh and
mblkit.observables.spectral.autocorrelation, the path of the campaign's probe task), within the
typicality error the module reports; the ED cumulative weight of S for the KPM; the disorder
average recomputed by hand; the save/load round trip.
"""

import io

import numpy as np
import pytest

from mblkit.figures import probe_typicality as pt
from mblkit.figures import resonance_model_ed as ed
from mblkit.models.probe import ProbeFloquetChain, ProbeStaticChain
from mblkit.observables.spectral import autocorrelation
from mblkit.solvers import eigh
from mblkit.stats import LogBins


def _ed(model, v, times, bins=None):
    spectrum = eigh(model.hamiltonian(v))
    applied = model.apply_sigma_z(spectrum.vectors.copy())
    extra = {} if bins is None else {"bins": bins}
    return autocorrelation(spectrum.energies, spectrum.vectors, applied, times, **extra)


@pytest.mark.parametrize("L, W", [(6, 12.0), (8, 1.0), (8, 12.0)])
def test_typicality_matches_full_ed_within_its_error(L, W):
    """C_zz(t) of one realisation: |typicality - ED| < 5 standard errors at every time (12
    states), the error is small (~ 2^-(L+1)/2 / sqrt(12)), and C(0) = 1 exactly."""
    model = ProbeStaticChain(L, W=W)
    v = model.sample(np.random.default_rng(L))
    times = np.concatenate(([0.0], np.logspace(-2, 1.5, 12)))
    czz, err, _, _ = pt.realisation_probe(model, v, times, samples=12, n_moments=16,
                                          omega=np.linspace(0, 10, 5),
                                          rng=np.random.default_rng(7))
    exact = _ed(model, v, times).correlator
    assert czz[0] == pytest.approx(1.0, abs=1e-10)
    assert np.all(err[1:] > 0) and err.max() < 2.5 * 2.0 ** (-(L + 1) / 2)
    assert np.max(np.abs(czz - exact)[1:] / err[1:]) < 5.0


def test_kpm_spectral_function_matches_the_ed_weights():
    """2 int_0^Omega S_sym = C_inf + ED slot weight below Omega within 0.03 (resolution pi a/N
    and 8 random vectors at D = 128), for Omega well above the resolution; sum rule ~ 1."""
    model = ProbeStaticChain(6, W=1.0)
    v = model.sample(np.random.default_rng(3))
    omega = np.linspace(0.0, 20.0, 4001)
    _, _, s, res = pt.realisation_probe(model, v, [0.0, 1.0], samples=2, n_moments=160,
                                        omega=omega, rng=np.random.default_rng(5),
                                        kpm_samples=8)
    bins = LogBins(1e-6, 40.0, 300)
    exact = _ed(model, v, np.array([0.0]), bins)
    cumulative = np.concatenate(([0.0], np.cumsum(0.5 * (s[1:] + s[:-1]) * np.diff(omega))))
    assert 2 * cumulative[-1] == pytest.approx(1.0, abs=0.01)
    for target in (4 * res, 2.0, 4.0, 8.0):
        cut = bins.edges[np.searchsorted(bins.edges, target)]  # on an ED bin edge
        below = exact.infinite_time + exact.weights[0] + exact.weights[1:-1][
            bins.edges[1:] <= cut].sum()
        assert 2 * np.interp(cut, omega, cumulative) == pytest.approx(below, abs=0.02)


def test_disorder_average_errors_and_round_trip(tmp_path):
    """[C_zz(t)] is the mean over realisations with the standard error of the mean; the
    plateau is the per-realisation time average; one realisation keeps the typicality error;
    the fields are those of the documented seed; save/load keeps every array."""
    times = np.logspace(-1, 1, 6)
    point = pt.typical_probe(4, 12.0, realisations=3, samples=2, times=times, n_moments=8,
                             seed=5)
    mean, err = point.correlator()
    np.testing.assert_allclose(mean, point.czz.mean(axis=0))
    np.testing.assert_allclose(err, point.czz.std(axis=0, ddof=1) / np.sqrt(3))
    plateau, perr = point.plateau(3.0)
    per = point.czz[:, times >= 3.0].mean(axis=1)
    assert plateau == pytest.approx(per.mean()) and perr == pytest.approx(per.std(ddof=1) / 3**.5)
    # realisation 1 is the model on its documented generator: recompute its C(t) by ED
    model = ProbeStaticChain(4, W=12.0)
    v1 = model.sample(np.random.default_rng([5, 4, 1, 12000]))
    exact = _ed(model, v1, times).correlator
    assert np.max(np.abs(point.czz[1] - exact) / point.czz_error[1]) < 6.0
    one = pt.typical_probe(4, 12.0, realisations=1, samples=2, times=times, n_moments=8, seed=5)
    np.testing.assert_array_equal(one.czz[0], point.czz[0])
    np.testing.assert_array_equal(one.correlator()[1], one.czz_error[0])
    back = pt.load_typical(pt.save_typical(tmp_path / "t.npz", [point, one]))
    assert [p.n for p in back] == [3, 1] and back[0].L == 4 and back[0].W == 12.0
    np.testing.assert_array_equal(back[0].s_omega, point.s_omega)
    np.testing.assert_array_equal(back[0].czz_error, point.czz_error)


def test_bad_inputs_name_the_argument():
    model = ProbeStaticChain(3, W=1.0)
    v = model.sample(np.random.default_rng(0))
    with pytest.raises(ValueError, match="realisations=0"):
        pt.typical_probe(3, 1.0, realisations=0, times=[0.0, 1.0])
    with pytest.raises(ValueError, match="times="):
        pt.realisation_probe(model, v, [1.0, 0.5], samples=2, n_moments=4,
                             omega=np.zeros(2), rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="ProbeStaticChain"):
        pt.realisation_probe(ProbeFloquetChain(3, W=1.0, Omega=40.0), v, [0.0], samples=2,
                             n_moments=4, omega=np.zeros(2), rng=np.random.default_rng(0))
    point = pt.typical_probe(3, 1.0, realisations=1, times=[0.0, 1.0], n_moments=4)
    with pytest.raises(ValueError, match="t_from=5"):
        point.plateau(5.0)


def test_size_figure_draws_ed_typicality_and_model():
    """Smoke test (the numbers drawn are checked above and in tests/campaign/test_probe_tasks.py):
    ED points with measured varrho, a typicality point, the Hamiltonian RM at every L."""
    bins, v_bins = LogBins(1e-8, 1e2, 40), LogBins(1e-8, 1e1, 36)
    times = np.logspace(-1, 2, 10)
    model = ProbeStaticChain(4, W=12.0)
    rows = [_ed(model, model.sample(np.random.default_rng(i)), times, bins) for i in range(2)]
    counts = np.zeros(v_bins.size, np.int64)
    counts[20:36] = np.arange(16) + 1  # a made-up varrho between 1e-3 and 1
    point = ed.ProbePoint({"L": 4, "W": 12.0, "J": 1.0}, 2, "W = 12.0", times,
                          np.array([r.correlator for r in rows]),
                          np.array([r.infinite_time for r in rows]),
                          np.array([r.weights for r in rows]), counts, np.ones(2),
                          np.full(2, 5000.0))
    data = ed.ProbeData("probe-static", bins, v_bins, [point])
    typ = pt.typical_probe(5, 12.0, realisations=2, times=times, n_moments=16)
    fig = pt.figure_probe_sizes(data, [typ], model_L=(4, 5, 6))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    assert buf.getbuffer().nbytes > 1000
    bottom = fig.axes[2]
    model_line = next(ln for ln in bottom.lines if ln.get_label() == "Ham. RM F(0)")
    assert list(model_line.get_xdata()) == [4, 5, 6]


@pytest.mark.parametrize("boundary", ["periodic", "open"])
def test_energy_bound_is_the_mazur_ratio_of_the_dense_hamiltonian(boundary):
    """<sigma^z_P H>^2 / <H^2> from the dense H of Eq. 68 (traces), for given fields; with
    v=None the fields enter through their mean [|v_n|^2] = 1."""
    model = ProbeStaticChain(5, W=3.0, J=0.7, coupling=0.4, boundary=boundary)
    v = model.sample(np.random.default_rng(11))
    H = model.hamiltonian(v).toarray()
    D = H.shape[0]
    sz = np.where(np.arange(D) >= D // 2, 1.0, -1.0)  # the probe is bit L
    ratio = (np.sum(np.diag(H).real * sz) / D) ** 2 / (np.trace(H @ H).real / D)
    assert pt.energy_bound(model, v) == pytest.approx(ratio, rel=1e-12)
    unit = v / np.linalg.norm(v, axis=1, keepdims=True)  # |v_n| = 1 at every site
    assert pt.energy_bound(model) == pytest.approx(pt.energy_bound(model, unit), rel=1e-12)
