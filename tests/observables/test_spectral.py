"""Infinite-temperature autocorrelation, S(omega) and window matrix elements
(mblkit.observables.spectral): closed forms, the probe's C_zz(0) = 1 and sum rule, a brute-force
loop, the long-time average, degeneracies, and rho vbar ~ 2^(L/2) vs saturation."""

import numpy as np
import pytest
import scipy.linalg
from threadpoolctl import threadpool_limits

from mblkit.models.probe import ProbeFloquetChain, ProbeStaticChain
from mblkit.observables.spectral import (
    autocorrelation,
    degenerate_clusters,
    energy_window,
    spectral_density,
    time_grid,
    window_matrix_elements,
    window_width,
)
from mblkit.phenomenology.resonance_generalised import (
    density_from_samples,
    rho_vbar_from_matrix_elements,
)
from mblkit.solvers import eigh
from mblkit.solvers.unitary import eigu
from mblkit.stats import LogBins

SX = np.array([[0, 1], [1, 0]], dtype=complex)
SZ = np.diag([1.0, -1.0]).astype(complex)
BINS = LogBins(1e-6, 1e2, 80)


def spectrum_of(model, v):
    """(energies, vectors, period) of a probe set-up: eigenvalues, or e = -theta / T."""
    if isinstance(model, ProbeStaticChain):
        s = eigh(model.hamiltonian(v))
        return s.energies, s.vectors, None
    s = eigu(model.unitary(v))
    return -s.quasienergies / model.period, s.vectors, model.period


def probe_autocorrelation(model, v, times=None, **kwargs):
    e, vecs, period = spectrum_of(model, v)
    return autocorrelation(e, vecs, model.apply_sigma_z(vecs.copy()), times, period=period,
                           **kwargs)


def test_single_spin_in_a_field_oscillates_as_cos():
    """H = (h/2) sigma^z, O = sigma^x: C(t) = cos(h t), S = (delta(w - h) + delta(w + h)) / 2."""
    h = 0.37
    e, vecs = np.linalg.eigh((h / 2) * SZ)
    t = np.linspace(0.0, 50.0, 201)
    res = autocorrelation(e, vecs, SX @ vecs, t, bins=BINS)
    assert np.allclose(res.correlator, np.cos(h * t), atol=1e-14)
    assert res.infinite_time == 0.0
    slot = int(np.searchsorted(BINS.edges, h, side="right"))  # slot 0 is the underflow
    assert res.weights[slot] == pytest.approx(1.0, abs=1e-15)
    assert res.weights.sum() == pytest.approx(1.0, abs=1e-15)
    density = res.spectral_density()
    width = np.diff(BINS.edges)[slot - 1]
    assert density[slot - 1] == pytest.approx(1.0 / (2 * width))


def test_floquet_spin_wraps_the_frequency_into_the_zone():
    """U = exp(-i h T sigma^z / 2) with h T > pi: stroboscopic C(nT) = cos(h n T) and the
    weight sits at the wrapped |omega| = Omega - h."""
    T, h = 1.0, 4.5  # Omega = 2 pi: h lies beyond Omega / 2
    theta, vecs = np.linalg.eigh(-(h * T / 2) * SZ)  # U = e^{i theta}: theta = -e T
    e = -np.angle(np.exp(1j * theta)) / T
    n = np.arange(0, 40)
    res = autocorrelation(e, vecs, SX @ vecs, n * T, period=T, bins=BINS)
    assert np.allclose(res.correlator, np.cos(h * n * T), atol=1e-13)
    slot = int(np.searchsorted(BINS.edges, 2 * np.pi - h, side="right"))
    assert res.weights[slot] == pytest.approx(1.0, abs=1e-15)


def test_exact_degeneracy_counts_whole_clusters():
    """H = h (sigma^z_0 + sigma^z_1), O = sigma^x_0 sigma^x_1: |01> <-> |10> are degenerate,
    so C(t) = 1/2 + cos(4 h t) / 2 and C_inf = 1/2 in any basis of the degenerate pair."""
    h = 0.8
    H = h * (np.kron(SZ, np.eye(2)) + np.kron(np.eye(2), SZ))
    op = np.kron(SX, SX)
    e = np.diag(H).real
    t = np.linspace(0, 20, 57)
    rotation = scipy.linalg.expm(1j * 0.7 * np.array([[0.3, 1 + 0.5j], [1 - 0.5j, -0.3]]))
    for vecs in (np.eye(4, dtype=complex), scipy.linalg.block_diag(1, rotation, 1)):
        assert np.allclose(vecs.conj().T @ H @ vecs, np.diag(e))
        res = autocorrelation(e, vecs, op @ vecs, t, bins=BINS)
        assert res.infinite_time == pytest.approx(0.5, abs=1e-15)
        assert np.allclose(res.correlator, 0.5 + 0.5 * np.cos(4 * h * t), atol=1e-14)
        assert res.sum_rule == pytest.approx(1.0, abs=1e-15)


@pytest.mark.parametrize("make", [lambda: ProbeStaticChain(4, W=2.0, coupling=0.0),
                                  lambda: ProbeFloquetChain(4, W=2.0, Omega=3.0, coupling=0.0)],
                         ids=["static", "floquet"])
def test_decoupled_probe_never_decays(make, rng):
    model = make()
    res = probe_autocorrelation(model, model.sample(rng))
    assert np.allclose(res.correlator, 1.0, atol=1e-12)
    assert res.infinite_time == pytest.approx(1.0, abs=1e-12)
    assert res.weights.sum() < 1e-24


@pytest.mark.parametrize("make", [lambda W: ProbeStaticChain(5, W=W),
                                  lambda W: ProbeFloquetChain(5, W=W, Omega=12.0)],
                         ids=["static", "floquet"])
@pytest.mark.parametrize("W", [1.0, 12.0])
def test_probe_czz_starts_at_one_and_obeys_the_sum_rule(make, W, rng):
    """[C_zz(0)] = 1 (Eq. 21) and int S d omega = C_inf + sum of weights = 1; 0 <= C_inf <= 1."""
    model = make(W)
    times = np.concatenate(([0.0], time_grid(period=getattr(model, "period", None))))
    res = probe_autocorrelation(model, model.sample(rng), times)
    assert res.correlator[0] == pytest.approx(1.0, abs=1e-12)
    assert res.total_weight == pytest.approx(1.0, abs=1e-12)
    assert res.sum_rule == pytest.approx(1.0, abs=1e-12)
    assert res.row_norm_error < 1e-12
    assert 0.0 <= res.infinite_time <= 1.0
    assert np.all(res.weights >= 0)
    assert np.all(np.abs(res.correlator) <= 1.0 + 1e-12)


def brute_force(e, vecs, op, times, period, bins, tol):
    """Every pair in a Python loop: C(t), C_inf and the slot weights."""
    dim = e.size
    elements = vecs.conj().T @ op @ vecs
    order = np.argsort(e)
    cluster = np.empty(dim, int)
    label = 0
    for k, idx in enumerate(order):
        if k and e[idx] - e[order[k - 1]] >= tol:
            label += 1
        cluster[idx] = label
    C = np.zeros(len(times))
    C_inf = 0.0
    weights = np.zeros(bins.size)
    zone = 2 * np.pi / period if period else None
    for n in range(dim):
        for m in range(dim):
            w = abs(elements[n, m]) ** 2 / dim
            omega = e[n] - e[m]
            C += w * np.cos(omega * times)
            if cluster[n] == cluster[m]:
                C_inf += w
                continue
            if zone is not None:
                omega = (omega + zone / 2) % zone - zone / 2
            slot = int(np.searchsorted(bins.edges, abs(omega), side="right"))
            weights[min(slot, bins.size - 1)] += w
    return C, C_inf, weights


@pytest.mark.parametrize("make", [lambda: ProbeStaticChain(3, W=3.0),
                                  lambda: ProbeFloquetChain(3, W=3.0, Omega=2.5)],
                         ids=["static", "floquet"])
def test_streaming_pass_matches_a_brute_force_loop(make, rng):
    model = make()
    e, vecs, period = spectrum_of(model, model.sample(rng))
    op = np.diag(np.where(np.arange(16) >= 8, 1.0, -1.0))  # sigma^z_P, built by hand
    bins = LogBins(1e-3, 10.0, 12)
    times = np.array([0.0, 0.3, 1.0, 7.0, 120.0]) * (period or 1.0)
    res = autocorrelation(e, vecs, op @ vecs, times, period=period, bins=bins, block=3)
    C, C_inf, weights = brute_force(e, vecs, op, times, period, bins, 1e-12 * 8)
    assert np.allclose(res.correlator, C, atol=1e-13)
    assert res.infinite_time == pytest.approx(C_inf, abs=1e-14)
    assert np.allclose(res.weights, weights, atol=1e-14)


def test_infinite_time_value_is_the_long_time_average(rng):
    """C_inf against the mean of C(t) at 3000 random times in [0, 1e9] (much longer than the
    inverse of the smallest level spacing): within 5 standard errors."""
    model = ProbeStaticChain(4, W=8.0)
    e, vecs, _ = spectrum_of(model, model.sample(rng))
    assert np.min(np.diff(e)) > 1e-7
    times = np.random.default_rng(7).uniform(0, 1e9, 3000)
    res = autocorrelation(e, vecs, model.apply_sigma_z(vecs.copy()), times)
    error = res.correlator.std() / np.sqrt(times.size)
    assert abs(res.correlator.mean() - res.infinite_time) < 5 * error
    assert error < 0.01 and res.infinite_time > 0.3  # a localised probe keeps memory


def test_clusters_merge_across_the_floquet_zone_boundary():
    T = 1.0
    e = np.array([-np.pi + 1e-14, -1.0, 0.5, np.pi - 1e-14])  # first and last 2e-14 apart
    labels = degenerate_clusters(e, 1e-12, period=T)
    assert labels[0] == labels[3] and len(set(labels)) == 3
    assert len(set(degenerate_clusters(e, 1e-12))) == 4  # no period, no wrap
    assert len(set(degenerate_clusters(np.array([1.0, 1.0, 2.0]), 0.0))) == 2


def test_time_grid_is_stroboscopic_for_floquet():
    t = time_grid(LogBins(0.1, 1e3, 40), period=0.5)
    assert t[0] == 0.5 and np.allclose(t / 0.5, np.rint(t / 0.5))
    assert np.all(np.diff(t) > 0)
    assert np.allclose(time_grid(LogBins(0.1, 1e3, 40)), np.logspace(-1, 3, 41))


def test_window_matrix_elements_are_the_windows_of_the_full_matrix(rng):
    model = ProbeStaticChain(6, W=2.0, coupling=0.7)
    v = model.sample(rng)
    s = eigh(model.chain.hamiltonian(v))
    h = model.probe_field
    res = window_matrix_elements(s.energies, s.vectors, model.apply_coupling, fraction=0.1,
                                 shifts=(h, -h))
    full = np.abs(s.vectors.conj().T @ model.apply_coupling(s.vectors))  # |V_nm|
    delta = 0.1 * np.sqrt(2 * np.pi) * s.energies.std()
    centre = s.energies.mean()
    ref = np.flatnonzero((s.energies >= centre - delta / 2) & (s.energies < centre + delta / 2))
    assert np.array_equal(res.reference, ref) and res.window_width == pytest.approx(delta)
    expected = []
    for shift, partner in zip((h, -h), res.partners, strict=True):
        inside = (s.energies >= centre + shift - delta / 2) & \
            (s.energies < centre + shift + delta / 2)
        assert np.array_equal(partner, np.flatnonzero(inside))
        expected.append(full[np.ix_(ref, partner)].ravel())
    expected = np.concatenate(expected)
    assert np.allclose(np.sort(res.v), np.sort(expected), atol=1e-13)
    assert res.rho_vbar == pytest.approx(rho_vbar_from_matrix_elements(
        res.v, window_width=delta, n_reference_states=2 * ref.size))
    varrho = density_from_samples(res.v, density_of_states=res.density_of_states)
    integral = np.sum(varrho.density * np.diff(varrho.edges))
    assert integral == pytest.approx(res.density_of_states * np.mean(res.v > 0), rel=1e-12)


def test_overlapping_windows_leave_out_the_diagonal(rng):
    model = ProbeStaticChain(5, W=1.0)
    s = eigh(model.chain.hamiltonian(model.sample(rng)))
    res = window_matrix_elements(s.energies, s.vectors, model.apply_coupling, fraction=0.2)
    assert res.pairs == res.reference_states * (res.reference_states - 1)


def test_floquet_windows_wrap_around_the_zone():
    e = np.array([-3.1, -1.0, 0.0, 1.0, 3.1])
    assert list(energy_window(e, np.pi, 0.2, period=1.0)) == [0, 4]
    assert window_width(e, 0.1, period=1.0) == pytest.approx(0.2 * np.pi)


def rho_vbar_vs_L(W, sizes, realisations):
    """Pooled [rho vbar] of V = sigma^x_0 of the static chain, windows of 20% of the levels.
    One BLAS thread: these matrices are small, and two threads on a busy machine cost 50x."""
    out = []
    for L in sizes:
        rng = np.random.default_rng(100 + L)
        model = ProbeStaticChain(L, W=W)
        num = den = 0.0
        for _ in range(realisations):
            with threadpool_limits(1):
                s = eigh(model.chain.hamiltonian(model.sample(rng)))
            res = window_matrix_elements(s.energies, s.vectors, model.apply_coupling,
                                         fraction=0.2, shifts=(W, -W))
            num += res.v.sum()
            den += res.reference_width
        out.append(num / den)
    return np.array(out)


@pytest.mark.slow
def test_rho_vbar_grows_as_2_to_the_half_L_when_thermal_and_saturates_when_localised():
    """Eq. 131: rho vbar ~ 2^(L/2) (thermal, W = 1) and constant << 1 (localised, W = 16).

    Measured slopes of log2 [rho vbar] vs L = 4..9 over five seeds: 0.48-0.51 (thermal, 6
    realisations) and 0.006-0.085 (localised, 48 realisations; single realisations are
    heavy-tailed, from rare near-resonant partners), [rho vbar] ~ 0.03 when localised."""
    sizes = np.arange(4, 10)
    thermal = rho_vbar_vs_L(1.0, sizes, 6)
    localised = rho_vbar_vs_L(16.0, sizes, 48)
    slope_thermal = np.polyfit(sizes, np.log2(thermal), 1)[0]
    slope_localised = np.polyfit(sizes, np.log2(localised), 1)[0]
    assert 0.45 < slope_thermal < 0.55
    assert abs(slope_localised) < 0.15 and np.all(localised < 0.1)


@pytest.mark.parametrize("call, message", [
    (lambda: autocorrelation(np.zeros(2), np.eye(3), np.eye(3)), r"\(2, 2\)"),
    (lambda: autocorrelation(np.array([0.0, np.nan]), np.eye(2), np.eye(2)), "non-finite"),
    (lambda: autocorrelation(np.zeros(2), np.eye(2), np.eye(2), period=-1.0), "period=-1.0"),
    (lambda: autocorrelation(np.array([-3.0, 3.5]), np.eye(2), np.eye(2), period=1.0),
     "one Floquet zone"),
    (lambda: autocorrelation(np.zeros(2), np.eye(2), np.eye(2), block=0), "block=0"),
    (lambda: degenerate_clusters(np.zeros(3), -1.0), "tol=-1.0"),
    (lambda: window_width(np.arange(4.0), 0.0), "fraction=0.0"),
    (lambda: window_width(np.ones(4), 0.1), "all equal"),
    (lambda: window_matrix_elements(np.arange(4.0), np.eye(4), lambda x: x, fraction=0.5,
                                    shifts=()), "shifts"),
    (lambda: window_matrix_elements(np.arange(4.0), np.eye(4), lambda x: x[:2], fraction=0.5),
     "apply_operator returned"),
    (lambda: spectral_density(np.zeros(5), BINS), "5 slots"),
    (lambda: window_matrix_elements(np.arange(4.0), np.eye(4)[:, :2], lambda x: x,
                                    fraction=0.5), "full spectrum"),
])
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_empty_reference_window_is_reported():
    e = np.array([-10.0, -9.0, 9.0, 10.0])
    res = window_matrix_elements(e, np.eye(4), lambda x: x, fraction=0.01)
    assert res.reference_states == 0
    with pytest.raises(ValueError, match="no state"):
        _ = res.rho_vbar


def test_sum_rule_is_enforced_not_only_stored(rng):
    """An operator that is not sigma^z V (a column scaled by 1 + 1e-6, or a non-orthonormal V)
    fails the involution sum rule (SUM_RULE_TOL = 4e-8) and raises; None switches it off."""
    from mblkit.observables.spectral import SUM_RULE_TOL
    from mblkit.solvers import VerificationError

    model = ProbeStaticChain(3, W=3.0)
    e, vecs, _ = spectrum_of(model, model.sample(rng))
    good = model.apply_sigma_z(vecs.copy())
    assert autocorrelation(e, vecs, good, np.array([0.0, 1.0])).row_norm_error < 1e-13
    bad = good.copy()
    bad[:, 3] *= 1 + 1e-6
    with pytest.raises(VerificationError, match="sum rule"):
        autocorrelation(e, vecs, bad, np.array([0.0, 1.0]))
    res = autocorrelation(e, vecs, bad, np.array([0.0, 1.0]), sum_rule_tol=None)
    assert SUM_RULE_TOL < res.row_norm_error <= 2.0001e-6   # 2e-6 max_n |O_n3|^2
