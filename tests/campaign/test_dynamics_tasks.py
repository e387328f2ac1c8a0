"""Task kind "dynamics" (solver.method = "dynamics"): each stored time series against an
independent full-ED evolution of the same realisation, the typicality and KPM observables
against the exact trace, the probe spin against the probe kind's full ED, and bad configs
refused before any work."""

from pathlib import Path

import numpy as np
import pytest

from mblkit.campaign.check import check_config
from mblkit.campaign.config import ConfigError, load_config, parse_config
from mblkit.campaign.runner import output_path, run_campaign
from mblkit.campaign.tasks import kind_of, run_realisation, validate
from mblkit.figures import dynamics as figs
from mblkit.models import XXZChain
from mblkit.spins import SpinBasis

QUENCH = """
name = "tiny-quench"
seed = 5
realisations = {realisations}
output = "{output}"

[model]
name = "xxz"
params = {{ J = 1.0, delta = 1.0 }}
grid = {{ L = [8], W = [1.0, 6.0] }}

[solver]
method = "dynamics"

[dynamics]
times = {times}
tolerance = 1e-12
{extra}

[[observables]]
name = "imbalance"
[[observables]]
name = "entanglement"
[[observables]]
name = "return_probability"
[[observables]]
name = "magnetisation"
sites = [0, 5]
"""

TIMES = "[0.0, 0.5, 3.0, 17.0, 60.0]"


def config_text(realisations=2, output="q.h5", times=TIMES, extra="", observables=""):
    return QUENCH.format(realisations=realisations, output=output, times=times,
                         extra=extra) + observables


def exact_states(H: np.ndarray, psi0: np.ndarray, times: np.ndarray) -> np.ndarray:
    """psi(t) = V exp(-i E t) V^dagger psi0 by numpy's dense eigh (rows: times)."""
    E, V = np.linalg.eigh(H)
    c = V.conj().T @ psi0
    return np.stack([V @ (np.exp(-1j * E * t) * c) for t in times])


def bits(basis: SpinBasis) -> np.ndarray:
    """(dim, L) array of sigma^z = +-1 of each basis configuration (bit j = site j up)."""
    s = np.asarray(basis.states)
    return np.stack([np.where((s >> j) & 1, 1.0, -1.0) for j in range(basis.L)], axis=1)


def test_quench_series_equal_full_ed_evolution_of_the_stored_realisation():
    """I(t), <sigma^z_j(t)> and the return probability of point 1 (W = 6) from numpy's dense
    eigh of H rebuilt from the stored fields: a time scaled by 2, a site off by one, a wrong
    sign of the imbalance pattern or the wrong initial state fails here."""
    config = parse_config(config_text())
    rec = run_realisation(config, 1, 0)
    model = XXZChain(L=8, J=1.0, delta=1.0, W=6.0)
    basis = SpinBasis(8, 4)
    H = model.hamiltonian(rec["arrays"]["disorder"], 4).toarray()
    t = rec["arrays"]["times"]
    np.testing.assert_array_equal(t, [0.0, 0.5, 3.0, 17.0, 60.0])
    neel = sum(1 << j for j in range(0, 8, 2))
    assert rec["arrays"]["initial_configuration"][0] == neel
    psi0 = np.zeros(basis.dim, complex)
    psi0[int(np.flatnonzero(np.asarray(basis.states) == neel)[0])] = 1.0
    states = exact_states(H, psi0, t)
    z = (np.abs(states) ** 2) @ bits(basis)                       # (times, L)
    pattern = np.where(np.arange(8) % 2 == 0, 1.0, -1.0)
    np.testing.assert_allclose(rec["arrays"]["magnetisation"], z[:, [0, 5]], atol=1e-9)
    np.testing.assert_allclose(rec["arrays"]["imbalance"], z @ pattern / 8, atol=1e-9)
    np.testing.assert_allclose(rec["arrays"]["return_probability"],
                               np.abs(states @ psi0.conj()) ** 2, atol=1e-9)
    assert rec["arrays"]["imbalance"][0] == pytest.approx(1.0)
    assert rec["arrays"]["entropy"][0] == pytest.approx(0.0, abs=1e-12)
    s = rec["scalars"]
    assert s["max_norm_error"] < 1e-9 and s["max_energy_error"] < 1e-9
    assert s["E_min"] <= np.linalg.eigvalsh(H)[0] and s["E_max"] >= np.linalg.eigvalsh(H)[-1]


def test_half_chain_entropy_equals_the_schmidt_values_of_the_exact_state():
    config = parse_config(config_text())
    rec = run_realisation(config, 0, 1)
    model = XXZChain(L=8, J=1.0, delta=1.0, W=1.0)
    basis = SpinBasis(8, 4)
    H = model.hamiltonian(rec["arrays"]["disorder"], 4).toarray()
    psi0 = np.zeros(basis.dim, complex)
    psi0[int(np.flatnonzero(np.asarray(basis.states) == 0b01010101)[0])] = 1.0
    states = exact_states(H, psi0, rec["arrays"]["times"])
    for k, psi in enumerate(states):
        full = np.zeros(256, complex)
        full[np.asarray(basis.states)] = psi
        # sites 0..3 are the low bits: the state as a (right 4 sites) x (left 4 sites) matrix
        p = np.linalg.svd(full.reshape(16, 16), compute_uv=False) ** 2
        p = p[p > 1e-300]
        assert rec["arrays"]["entropy"][k] == pytest.approx(-np.sum(p * np.log(p)), abs=1e-9)


def test_matrix_free_operator_and_krylov_give_the_same_series():
    """Three independent routes to one quench: CSR + Chebyshev, matrix-free + Chebyshev,
    CSR + Krylov."""
    base = run_realisation(parse_config(config_text()), 1, 0)["arrays"]
    for extra in ('operator = "matrix-free"', 'propagator = "krylov"'):
        other = run_realisation(parse_config(config_text(extra=extra)), 1, 0)["arrays"]
        for name in ("imbalance", "entropy", "magnetisation", "return_probability"):
            np.testing.assert_allclose(other[name], base[name], atol=1e-8, err_msg=extra)


def test_random_product_state_is_in_the_sector_and_seeded():
    text = config_text(extra='initial_state = "random-product"')
    a = run_realisation(parse_config(text), 0, 0)["arrays"]
    b = run_realisation(parse_config(text), 0, 1)["arrays"]
    again = run_realisation(parse_config(text), 0, 0)["arrays"]
    for rec in (a, b):
        assert bin(int(rec["initial_configuration"][0])).count("1") == 4
        assert rec["return_probability"][0] == pytest.approx(1.0)
    np.testing.assert_array_equal(a["imbalance"], again["imbalance"])
    assert not np.array_equal(a["disorder"], b["disorder"])


AUTOCORRELATION = """
[[observables]]
name = "autocorrelation"
sites = [2]
[[observables]]
name = "spectral_function"
sites = [2]
log_bins = { omega = [1e-3, 5.0, 25] }
"""


def exact_autocorrelation(H: np.ndarray, basis: SpinBasis, site: int, times: np.ndarray):
    """C(t) = D^-1 sum_mn |<m|sigma^z|n>|^2 e^{i (E_m - E_n) t} and the Lehmann weights."""
    E, V = np.linalg.eigh(H)
    sz = bits(basis)[:, site]
    op = V.conj().T @ (sz[:, None] * V)
    w = np.abs(op) ** 2 / basis.dim
    omega = E[:, None] - E[None, :]
    c = np.array([np.sum(w * np.cos(omega * t)) for t in times])
    return c, np.abs(omega).ravel(), w.ravel()


def test_typicality_autocorrelation_and_kpm_weights_against_the_exact_trace():
    """C_zz(t) within 4 of its estimated errors of the exact trace (the error itself at most
    of the size (D R)^-1/2), and S(omega)'s slot weights: they sum to C(0) = 1, and the weight
    above the edges nearest |omega| = 1 and 3 equals the exact Lehmann weight there within the
    KPM broadening. A site off by one, a frequency scaled by 2 or a dropped overflow slot fails
    here (planted and seen); a time scaled by 2 fails the quench and probe tests."""
    text = config_text(realisations=1, extra="random_vectors = 24\nmoments = 256",
                       times="[0.0, 0.1, 0.2, 0.4, 0.8, 3.0, 60.0]",
                       observables=AUTOCORRELATION)
    config = parse_config(text)
    rec = run_realisation(config, 1, 0)
    basis = SpinBasis(8, 4)
    H = XXZChain(L=8, J=1.0, delta=1.0, W=6.0).hamiltonian(rec["arrays"]["disorder"], 4)
    t = rec["arrays"]["times"]
    exact, omega, weight = exact_autocorrelation(H.toarray(), basis, 2, t)
    czz, err = rec["arrays"]["czz"][0], rec["arrays"]["czz_error"][0]
    assert czz[0] == pytest.approx(1.0, abs=1e-12)             # sigma_z^2 = 1 on every vector
    # at most the standard error of R samples of a D^-1/2 fluctuation (less where C ~ 1)
    scale = 1 / np.sqrt(basis.dim * 24)
    assert np.all(err[1:] > 0) and np.all(err < 3 * scale), (err, scale)
    assert np.all(np.abs(czz - exact) <= 4 * err + 1e-9), (czz, exact, err)
    # C has decayed (to ~0.99 at W = 6) beyond the errors: matching it is not trivial
    assert 1 - exact[-1] > 5 * err.max()
    w = rec["arrays"]["s_weights"][0]
    assert w.shape == (27,)
    assert w.sum() == pytest.approx(1.0, abs=2e-3)
    edges = np.logspace(-3, np.log10(5.0), 26)
    assert w[-1] > 0.004                                         # the overflow holds weight
    for cut in (1.0, 3.0):
        k = int(np.argmin(np.abs(edges - cut)))
        kpm = w[k + 1:].sum()
        above = weight[omega >= edges[k]].sum()
        assert kpm == pytest.approx(above, abs=0.06), (cut, kpm, above)


def test_probe_spin_typicality_agrees_with_the_probe_kinds_full_ed():
    """The static probe chain (resonance-model-crossover.txt Eq. 68): the dynamics kind's
    typicality C_zz(t) of the probe spin (site L) against the probe kind's full-ED [C_zz(t)]
    of the same realisation (same seed, same point, so the same fields)."""
    from mblkit.observables.spectral import time_grid
    from mblkit.stats import LogBins

    probe = parse_config("""
name = "p"
seed = 3
realisations = 1
output = "p.h5"
[model]
name = "probe-static"
params = { J = 1.0, L = 5, W = 2.0 }
[[observables]]
name = "spectral"
log_bins = { omega = [1e-8, 1e2, 40], time = [1e-1, 1e3, 8] }
""")
    grid = time_grid(LogBins(1e-1, 1e3, 8))
    times = "[" + ", ".join(repr(float(x)) for x in grid) + "]"
    dyn = parse_config(f"""
name = "p"
seed = 3
realisations = 1
output = "p.h5"
[model]
name = "probe-static"
params = {{ J = 1.0, L = 5, W = 2.0 }}
[solver]
method = "dynamics"
[dynamics]
times = {times}
random_vectors = 40
[[observables]]
name = "autocorrelation"
""")
    assert kind_of(dyn).name == "dynamics" and kind_of(probe).name == "probe"
    ed = run_realisation(probe, 0, 0)
    typ = run_realisation(dyn, 0, 0)
    np.testing.assert_array_equal(ed["arrays"]["disorder"], typ["arrays"]["disorder"])
    np.testing.assert_allclose(ed["arrays"]["czz_times"], typ["arrays"]["times"])
    c, e = typ["arrays"]["czz"][0], typ["arrays"]["czz_error"][0]
    assert np.all(np.abs(c - ed["arrays"]["czz"]) <= 4 * e + 1e-9), (c, ed["arrays"]["czz"], e)


def test_campaign_runs_resumes_and_draws(tmp_path):
    path = tmp_path / "q.toml"
    path.write_text(config_text(realisations=2, output="q.h5",
                                times="{ t_max = 10.0, per_decade = 4 }",
                                observables=AUTOCORRELATION.replace("[2]", '"middle"')))
    config, text = load_config(path)
    out = output_path(config, path)
    first = run_campaign(config, text, out, workers=1)
    assert first.computed == 4 and first.failed == 0
    assert run_campaign(config, text, out, workers=1).computed == 0
    data = figs.load_dynamics(out)
    assert [p.n for p in data.points] == [2, 2]
    assert data.points[0].times[0] == 0.0 and data.points[0].times[-1] == pytest.approx(10.0)
    one = run_realisation(config, 1, 1)["arrays"]["imbalance"]
    zero = run_realisation(config, 1, 0)["arrays"]["imbalance"]
    np.testing.assert_allclose(data.points[1].mean("imbalance")[0], (one + zero) / 2,
                               atol=1e-12)
    written = figs.draw_all(out, tmp_path / "figs", formats=(".png",))
    assert {p.name for p in written} == {"dynamics_quench.png", "dynamics_correlations.png"}


def test_check_plans_a_dynamics_campaign_with_its_own_cost_law():
    """No dense-LAPACK law for dynamics: the calibration times products of H and, when cheap,
    the realisation itself; other points scale by the cost law (linear in t_max)."""
    report = check_config(parse_config(config_text()), workers=1, measure=False)
    assert report.kind == "dynamics"
    assert "t_max" in report.law
    assert [p.dim for p in report.points] == [70, 70]
    measured = check_config(parse_config(config_text()), workers=1)
    assert "one realisation of point 0 run" in measured.calibration
    assert all(p.seconds > 0 for p in measured.points)
    longer = check_config(parse_config(config_text(times="[0.0, 600.0]")), workers=1,
                          measure=False)
    assert longer.points[0].cost == pytest.approx(measured.points[0].cost * 601 / 61)


@pytest.mark.parametrize("change, message", [
    (('method = "dynamics"', 'method = "full"'), "[dynamics] table applies to solver.method"),
    ((TIMES, "[0.0, 2.0, 1.0]"), "strictly increasing"),
    ((TIMES, "[-1.0, 2.0]"), "negative"),
    ((TIMES, "{ t_max = 0.05 }"), "t_min"),
    ((TIMES, '[0.0, inf]'), "times"),
    (("tolerance = 1e-12", "tolerance = 0.5"), "tolerance"),
    (("tolerance = 1e-12", 'propagator = "rk4"'), "propagator"),
    (("tolerance = 1e-12", "random_vectors = 1"), "random_vectors"),
    (('method = "dynamics"', 'method = "dynamics"\nsector = 3'), "Neel state has 4 up spins"),
    (('method = "dynamics"', 'method = "dynamics"\nk = 10'), "apply to method = 'interior'"),
    (('method = "dynamics"', 'method = "dynamics"\nstore_energies = true'),
     "solves no spectrum"),
    (('sites = [0, 5]', 'sites = [0, 8]'), "outside the chain"),
    (('sites = [0, 5]', 'sites = [0]\nbins = 10'), "do(es) not apply"),
])
def test_bad_dynamics_configs_are_refused_before_work(change, message):
    text = config_text().replace(*change)
    with pytest.raises(ConfigError) as err:
        validate(parse_config(text))
    assert message in str(err.value)


def test_floquet_models_and_unknown_bins_are_refused():
    text = config_text().replace('name = "xxz"\nparams = { J = 1.0, delta = 1.0 }\n'
                                 'grid = { L = [8], W = [1.0, 6.0] }',
                                 'name = "o3-floquet"\ngrid = { L = [6] }')
    with pytest.raises(ConfigError, match=r"solver\.method = 'dynamics' is not allowed for "
                                          r"model 'o3-floquet'"):
        validate(parse_config(text))
    bad_bins = config_text(observables=AUTOCORRELATION.replace("omega = ", "nu = "))
    with pytest.raises(ConfigError, match=r"log_bins \['nu'\] are not allowed"):
        validate(parse_config(bad_bins))


def test_probe_sites_refused_and_identity_unchanged_for_other_stores():
    """A site list for the probe spin's observables is refused; and adding the [dynamics]
    table to the schema left every other config's identity hash as it was (the hash of a
    fixed ED config, computed before the dynamics kind existed, is pinned here)."""
    text = """
name = "p"
seed = 3
realisations = 1
output = "p.h5"
[model]
name = "probe-static"
params = { J = 1.0, L = 4, W = 2.0 }
[solver]
method = "dynamics"
[[observables]]
name = "autocorrelation"
sites = [1]
"""
    with pytest.raises(ConfigError, match="it measures the probe spin"):
        validate(parse_config(text))
    from mblkit.campaign.tasks import grid_identity

    ed = parse_config(QUENCH.split("[solver]")[0].format(realisations=2, output="q.h5")
                      + '[[observables]]\nname = "magnetisation"\nsites = [0, 5]\n')
    assert kind_of(ed).name == "hamiltonian"
    assert grid_identity(ed) == PINNED_ED_IDENTITY


#: grid_identity of the ED config above (magnetisation, sites [0, 5]) at commit ccf243a.
PINNED_ED_IDENTITY = "0bddc9f92be531784af9cada8bc91cbb95bb38d6f51e638279e2e5d36c9b1470"


def test_the_example_config_is_valid(tmp_path):
    root = Path(__file__).resolve().parents[2]
    config, _ = load_config(root / "examples" / "dynamics-quench.toml")
    points = validate(config)
    assert kind_of(config).name == "dynamics" and len(points) >= 2


FLOQUET = """
name = "tiny-floquet"
seed = 11
realisations = 1
output = "f.h5"
[model]
name = "brickwork"
grid = { L = [6], J = [0.1] }
[solver]
method = "dynamics"
[dynamics]
times = [0, 1, 2, 5, 13, 40]
random_vectors = 30
[[observables]]
name = "imbalance"
[[observables]]
name = "magnetisation"
[[observables]]
name = "autocorrelation"
sites = [1]
"""


def test_floquet_circuit_series_equal_powers_of_its_dense_unitary():
    """Brickwork (resonant-energy-scales-floquet.txt): the gate-by-gate stroboscopic quench
    equals W^n psi_0 with the dense W of the same stored realisation, and the typicality
    C_j(n) equals the exact 2^-L Tr[W^-n sigma_j W^n sigma_j] within 4 errors."""
    from mblkit.models import BrickworkCircuit
    from mblkit.models.brickwork import BrickworkRealisation

    config = parse_config(FLOQUET)
    assert kind_of(config).name == "dynamics"
    rec = run_realisation(config, 0, 0)
    model = BrickworkCircuit(L=6, J=0.1)
    W = model.unitary(BrickworkRealisation(rec["arrays"]["u"], rec["arrays"]["v"]))
    basis = SpinBasis(6)
    z = bits(basis)
    psi = np.zeros(64, complex)
    psi[0b010101] = 1.0
    periods = [0, 1, 2, 5, 13, 40]
    np.testing.assert_array_equal(rec["arrays"]["times"], periods)
    exact_m, exact_c = [], []
    for n in periods:
        Wn = np.linalg.matrix_power(W, n)
        exact_m.append((np.abs(Wn @ psi) ** 2) @ z)
        exact_c.append(np.real(np.trace(Wn.conj().T @ (z[:, 1, None] * (Wn * z[None, :, 1]))))
                       / 64)
    np.testing.assert_allclose(rec["arrays"]["magnetisation"], exact_m, atol=1e-9)
    pattern = np.where(np.arange(6) % 2 == 0, 1.0, -1.0)
    np.testing.assert_allclose(rec["arrays"]["imbalance"], np.array(exact_m) @ pattern / 6,
                               atol=1e-9)
    c, e = rec["arrays"]["czz"][0], rec["arrays"]["czz_error"][0]
    assert np.all(np.abs(c - exact_c) <= 4 * e + 1e-9), (c, exact_c, e)
    assert np.max(np.abs(np.diff(exact_c[1:]))) > 5 * e.max()   # n off by one would show
    assert rec["scalars"]["max_norm_error"] < 1e-10


@pytest.mark.parametrize("change, message", [
    (("random_vectors = 30", 'random_vectors = 30\npropagator = "krylov"'),
     "dynamics.propagator does not apply"),
    (("times = [0, 1, 2, 5, 13, 40]", "times = [0, 1.5]"), "not whole numbers of periods"),
    (("sites = [1]", 'sites = [1]\n[[observables]]\nname = "spectral_function"'),
     "no Hamiltonian"),
])
def test_bad_floquet_dynamics_configs_are_refused(change, message):
    with pytest.raises(ConfigError, match=message):
        validate(parse_config(FLOQUET.replace(*change)))
