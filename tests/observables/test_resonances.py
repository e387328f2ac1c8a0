"""Resonance statistics of the brickwork circuit (resonant-energy-scales-floquet.txt)."""

import numpy as np
import pytest

from mblkit.models.brickwork import BrickworkCircuit
from mblkit.observables.resonances import (
    ResonanceBins,
    floquet_curvature_weight,
    resonance_statistics,
)
from mblkit.solvers.unitary import eigu
from mblkit.stats import LogBins, density


def solve(model, real, site):
    s = eigu(model.unitary(real))
    sv = np.ascontiguousarray(s.vectors)
    sv = model.apply_field_operator(real, site, sv.copy())
    return s, sv


def brute_force(theta, z, bins):
    """The same statistics with explicit loops over n, m (and n, p, m)."""
    n_lev = len(theta)
    omega, zs, xs = [], [], []
    chi, kappa = np.zeros(n_lev), np.zeros(n_lev)
    for n in range(n_lev):
        for m in range(n_lev):
            if n == m:
                continue
            w = theta[n] - theta[m]
            w = w - 2 * np.pi if w > np.pi else (w + 2 * np.pi if w <= -np.pi else w)
            Z = abs(z[n, m]) ** 2
            omega.append(abs(z[n, m]) * abs(w))
            zs.append(Z)
            xs.append(Z / (2 * np.sin(w / 2)) ** 2)
            chi[n] += xs[-1]
            kappa[n] += 0.5 * Z / np.tan(w / 2)
    windows = bins.windows
    window_counts = bins.omega.empty(len(windows) - 1)
    for n in range(n_lev):
        for m in range(n_lev):
            if n == m:
                continue
            w = theta[n] - theta[m]
            w = w - 2 * np.pi if w > np.pi else (w + 2 * np.pi if w <= -np.pi else w)
            for q in range(len(windows) - 1):
                if windows[q] <= abs(w) < windows[q + 1]:
                    window_counts[:, q] += bins.omega.count(np.array([abs(z[n, m] * w)]))
    Zm = np.abs(z) ** 2
    z3 = sum(Zm[n, p] * Zm[p, m] * Zm[m, n] for n in range(n_lev) for p in range(n_lev)
             for m in range(n_lev) if len({n, p, m}) == 3)
    return {"omega": bins.omega.count(np.array(omega)), "z": bins.z.count(np.array(zs)),
            "x": bins.x.count(np.array(xs)), "chi": bins.chi.count(chi),
            "kappa": bins.kappa.count(np.abs(kappa)),
            "depolarisation": bins.depolarisation.count(1 - np.abs(np.diag(z)) ** 2),
            "omega_window": window_counts,
            "mean_z": float(np.mean(zs)), "mean_z3": z3 / (n_lev * (n_lev - 1) * (n_lev - 2))}


@pytest.mark.parametrize("windows", [None, (0.0, 1e-2, 3e-2, 0.1, 0.3, 1.0, 2.0)],
                         ids=["paper-windows", "all-populated"])
def test_streaming_pass_equals_brute_force_loops(rng, windows):
    model = BrickworkCircuit(6, 0.05)
    real = model.sample(rng)
    s, sv = solve(model, real, 2)
    bins = ResonanceBins() if windows is None else ResonanceBins(windows=windows)
    out = resonance_statistics(s.quasienergies, s.vectors, sv, bins, block=7)
    ref = brute_force(s.quasienergies, s.vectors.conj().T @ sv, bins)
    for name in ("omega", "z", "x", "chi", "kappa", "depolarisation", "omega_window"):
        assert np.array_equal(out["histograms"][name], ref[name]), name
    assert out["scalars"]["mean_z"] == pytest.approx(ref["mean_z"], rel=1e-12)
    assert out["scalars"]["mean_z3"] == pytest.approx(ref["mean_z3"], rel=1e-10)
    window = out["histograms"]["omega_window"]
    assert window.sum() <= out["histograms"]["omega"].sum()  # |omega| >= 1 is in no window
    populated = window.sum(axis=0)   # the reference sees several windows (all, if chosen so)
    assert np.count_nonzero(populated) >= (3 if windows is None else len(windows) - 1)


def test_sum_rule_and_mean_z_identity(rng):
    """sigma_j^2 = 1: sum_m |z_nm|^2 = 1 for every n, so <Z_mn> = <D> / (N - 1)."""
    model = BrickworkCircuit(8, 0.04)
    real = model.sample(rng)
    s, sv = solve(model, real, 5)
    out = resonance_statistics(s.quasienergies, s.vectors, sv, three_level=False)["scalars"]
    assert out["sum_rule_error"] < 1e-12
    assert out["mean_z"] == pytest.approx(out["mean_depolarisation"] / (2**8 - 1), rel=1e-10)


def test_j_zero_gives_perfect_polarisation_and_no_off_diagonal_weight(rng):
    """At J = 0 the eigenstates are product states and sigma_j is diagonal in them; what the
    solver leaves is bounded from its own residuals, not by a fixed number.

    Davis-Kahan for a normal U: a computed pair (v_n, theta_n) with residual r_n lies at an
    angle s_n <= r_n / delta_n from an exact eigenvector, delta_n the distance of e^{i theta_n}
    to the other exact eigenvalues (>= the computed gap minus max_m r_m, Bauer-Fike). With
    sigma u_n = +-u_n this gives D_n = 1 - |z_nn|^2 <= 4 s_n^2 (1 + O(s^2)), and the
    off-diagonal sum sum_{m != n} |z_nm|^2 = D_n up to the orthonormality error of V. The code
    forms it as sum_m |z_nm|^2 - |z_nn|^2, a sum of N terms of size <= 1: rounding adds at
    most (N + 2) eps per row. A sigma applied at the wrong site, a diagonal term counted as
    off-diagonal or mixed eigenvectors give mean_z ~ 1 / N, far above the bound.
    """
    model = BrickworkCircuit(6, 0.0)
    real = model.sample(rng)
    s, sv = solve(model, real, 3)
    U = model.unitary(real)
    dim = len(s)
    phases = np.exp(1j * s.quasienergies)
    r = np.linalg.norm(U @ s.vectors - s.vectors * phases, axis=0)
    dist = np.abs(phases[:, None] - phases[None, :]) + 4 * np.eye(dim)
    delta = dist.min(axis=1) - r.max()
    assert np.all(delta > 0), "levels too close for the Davis-Kahan bound"
    angle = r / delta
    eps = np.finfo(float).eps
    orth = np.max(np.abs(s.vectors.conj().T @ s.vectors - np.eye(dim)))
    depol_bound = 4 * angle**2 * (1 + 4 * angle**2) + 4 * eps + 2 * orth
    z = s.vectors.conj().T @ sv
    assert np.all(1 - np.abs(np.diag(z)) ** 2 <= depol_bound)
    out = resonance_statistics(s.quasienergies, s.vectors, sv)["scalars"]
    off_bound = (np.sum(depol_bound) + dim * (dim + 2) * eps) / (dim * (dim - 1))
    assert 0 <= abs(out["mean_z"]) <= off_bound
    assert out["mean_depolarisation"] <= np.mean(depol_bound)
    # the bound is not vacuous: one level's worth of off-diagonal weight would exceed it
    assert off_bound < 1e-3 / (dim * (dim - 1))


def test_curvature_velocity_and_susceptibility_against_finite_differences(rng):
    """h_j -> h_j + lambda: d theta_n / d lambda = z_nn / 2 (Eq. 1), d z_nn / d lambda =
    kappa_n with the Floquet weight cot(omega / 2) / 2, and 1 - |<n(0)|n(lambda)>|^2 =
    lambda^2 chi_n / 4 with chi_n = sum_m |z_nm|^2 / (2 sin(omega / 2))^2 (Eq. 10)."""
    model = BrickworkCircuit(6, 0.1)
    real = model.sample(rng)
    j, lam = 3, 1e-4
    sigma = model.field_operator(real, j)

    def at(shift):
        s = eigu(model.unitary(model.shift_field(real, j, shift)))
        sv = np.ascontiguousarray(s.vectors.copy())
        from mblkit.spins.gates import apply_one_site
        apply_one_site(sv, sigma, j)  # sigma_j does not change along the shift
        return s, np.einsum("ij,ij->j", s.vectors.conj(), sv).real, sv

    s0, zd0, sv0 = at(0.0)
    sp, zdp, _ = at(lam)
    sm, zdm, _ = at(-lam)
    theta = s0.quasienergies
    w = (theta[:, None] - theta[None, :] + np.pi) % (2 * np.pi) - np.pi
    np.fill_diagonal(w, 1.0)
    Z = np.abs(s0.vectors.conj().T @ sv0) ** 2
    np.fill_diagonal(Z, 0.0)
    kappa = (Z * floquet_curvature_weight(w)).sum(axis=1)
    chi = (Z / (2 * np.sin(w / 2)) ** 2).sum(axis=1)
    isolated = np.min(np.abs(w) + 10 * np.eye(len(theta)), axis=1) > 1e-2
    assert isolated.sum() > 40
    velocity = (sp.quasienergies - sm.quasienergies) / (2 * lam)
    assert np.allclose(velocity[isolated], zd0[isolated] / 2, atol=1e-6)
    assert np.allclose(((zdp - zdm) / (2 * lam))[isolated], kappa[isolated], atol=1e-3)
    fidelity = np.abs(np.einsum("ij,ij->j", s0.vectors.conj(), sp.vectors)) ** 2
    assert np.allclose((4 * (1 - fidelity) / lam**2)[isolated], chi[isolated], rtol=1e-2)


def test_log_bins_count_density_and_merge():
    bins = LogBins(1e-3, 1e1, 4)
    assert np.allclose(bins.edges, [1e-3, 1e-2, 1e-1, 1, 10])
    counts = bins.count(np.array([0.0, 5e-4, 2e-3, 0.5, 0.5, 10.0, np.inf]))
    assert counts.tolist() == [2, 1, 0, 2, 0, 2]
    rng = np.random.default_rng(1)
    values = 10 ** rng.uniform(-3, 1, 100_000)
    d = density(bins.count(values), bins)
    assert np.sum(d * np.diff(bins.edges)) == pytest.approx(1.0)
    # log-uniform over four decades: a quarter of the mass in each decade bin
    assert np.allclose(d * np.diff(bins.edges), 0.25, rtol=0.02)
    a, b = bins.count(values[:500]), bins.count(values[500:])
    assert np.array_equal(a + b, bins.count(values))


@pytest.mark.parametrize("lo, hi, n", [(1.0, 1.0, 5), (0.0, 1.0, 5), (2.0, 1.0, 5),
                                       (1e-3, 1.0, 0)])
def test_empty_or_invalid_ranges_are_refused(lo, hi, n):
    with pytest.raises(ValueError, match=r"range|bins"):
        LogBins(lo, hi, n)


def test_bad_windows_and_shapes_are_refused(rng):
    with pytest.raises(ValueError, match="windows"):
        ResonanceBins(windows=(1e-2, 1e-3))
    with pytest.raises(ValueError, match="must both be"):
        resonance_statistics(np.zeros(4), np.eye(4), np.eye(3))


def test_sum_rule_is_enforced_not_only_stored(rng):
    """sigma_vectors that are not sigma_j V (one column scaled by 1 + 1e-6) or vectors that are
    not orthonormal fail sum_m |z_nm|^2 = 1 by ~2e-6 > SUM_RULE_TOL and raise."""
    from mblkit.observables.resonances import SUM_RULE_TOL
    from mblkit.solvers import VerificationError

    assert SUM_RULE_TOL == pytest.approx(4e-8)
    model = BrickworkCircuit(6, 0.1)
    real = model.sample(rng)
    s, sv = solve(model, real, 2)
    bad = sv.copy()
    bad[:, 7] *= 1 + 1e-6
    with pytest.raises(VerificationError, match="sum rule"):
        resonance_statistics(s.quasienergies, s.vectors, bad, three_level=False)
    mixed = s.vectors.copy()
    mixed[:, 5] += 1e-6 * mixed[:, 6]
    with pytest.raises(VerificationError, match="sum rule"):
        resonance_statistics(s.quasienergies, mixed, model.apply_field_operator(
            real, 2, np.ascontiguousarray(mixed).copy()), three_level=False)
