"""Parametric level dynamics (resonant-energy-scales-floquet.txt Sec. III, Eqs. 1-3, Apps. B-C).

Exact two-level unitaries first (the App. B laws hold to rounding there), then the tracker on
crossings that sorting by quasienergy gets wrong, then one avoided crossing of a seeded L = 6,
J = 0.02 brickwork circuit, where Omega_F = |z_nm| |2 sin(omega_nm / 2)| and R^2 = y^2 + |z|^2
change only by what the couplings to the other levels (Eq. C1) put in.
"""

import io
from dataclasses import dataclass

import numpy as np
import pytest
from scipy.integrate import cumulative_trapezoid
from scipy.linalg import expm

from mblkit.figures.floquet_parametric import example_crossing, figure_avoided_crossing
from mblkit.models.brickwork import BrickworkCircuit
from mblkit.parametric import (
    curvature_weight,
    exchange_labels,
    find_avoided_crossings,
    track_levels,
    wrap_difference,
)
from mblkit.solvers.unitary import eigu

SX = np.array([[0, 1], [1, 0]], dtype=complex)
SY = np.array([[0, -1j], [1j, 0]])
SZ = np.diag([1.0 + 0j, -1.0])


@dataclass(frozen=True)
class MatrixModel:
    """W(lam) = W e^{i lam A / 2} for a fixed Hermitian A: the realisation is the matrix W."""

    A: np.ndarray

    def unitary(self, realisation):
        return realisation

    def shift_field(self, realisation, j, lam):
        return realisation @ expm(0.5j * lam * self.A)

    def apply_field_operator(self, realisation, j, states):
        states[:] = self.A @ states
        return states


def two_level(lam_star, omega_star, R, a0, phi=0.4, chi=1.1, seed=7):
    """A 2 x 2 W and A = a0 + R n.sigma with a known avoided crossing (lambda*, omega*, R):
    W(lam) = e^{i phi + i a0 lam / 2} S(lam) with S(lam) = cos(omega*/2) e^{i R (lam - lam*)
    n.sigma / 2} + i sin(omega*/2) (perpendicular axis), so cos(omega/2) = cos(omega*/2)
    cos(R (lam - lam*)/2); everything is rotated by a random unitary V."""
    c, s = np.cos(omega_star / 2), np.sin(omega_star / 2)
    S0 = (c * expm(-0.5j * R * lam_star * SZ)
          + 1j * s * (np.cos(chi) * SX + np.sin(chi) * SY))
    V = np.linalg.qr(np.random.default_rng(seed).standard_normal((2, 2))
                     + 1j * np.random.default_rng(seed + 1).standard_normal((2, 2)))[0]
    W = V @ (np.exp(1j * phi) * S0) @ V.conj().T
    A = V @ (a0 * np.eye(2) + R * SZ) @ V.conj().T
    return MatrixModel(A), W


def two_level_phases(lam, lam_star, omega_star, R, a0, phi=0.4):
    """The continuous eigenphases phi + a0 lam / 2 +- beta, cos beta = cos(omega*/2)
    cos(R (lam - lam*)/2)."""
    beta = np.arccos(np.cos(omega_star / 2) * np.cos(R * (lam - lam_star) / 2))
    return phi + a0 * lam / 2 + beta, phi + a0 * lam / 2 - beta


def match_curves(track, curves):
    """For each followed label, the analytic curve it equals modulo a constant 2 pi k (or -1)."""
    found = []
    for f in range(track.levels.size):
        hit = -1
        for c, curve in enumerate(curves):
            shift = track.quasienergies[:, f] - curve
            k = np.round(shift[0] / (2 * np.pi))
            if np.max(np.abs(shift - 2 * np.pi * k)) < 1e-10:
                hit = c
        found.append(hit)
    return found


# --------------------------------------------------------------------------- two levels


def test_two_level_unitary_obeys_app_b_exactly():
    """For a 2 x 2 unitary the two-level laws are exact: Omega_F = |z| |2 sin(omega/2)| = 2 R
    sin(omega*/2), y^2 + |z|^2 = R^2, cos(omega/2) = cos(omega*/2) cos(R (lam - lam*)/2)
    (Eq. B2, Floquet form), and the fit recovers (lambda*, omega*, R^2). a0 = 5 drives both
    levels round the quasienergy circle, so the tracking also crosses the branch cut at pi."""
    lam_star, omega_star, R, a0 = 0.137, 0.05, 0.8, 5.0
    model, W = two_level(lam_star, omega_star, R, a0)
    lam = np.linspace(lam_star - 1.0, lam_star + 1.0, 201)
    track = track_levels(model, W, 0, lam)
    assert track.passages == ()
    upper, lower = two_level_phases(lam, lam_star, omega_star, R, a0)
    assert sorted(match_curves(track, [upper, lower])) == [0, 1]
    assert len(set(track.eigen_index[:, 0])) == 2  # the sorted position changes (wraps)

    n, m = track.levels
    omega, z = track.omega(n, m), track.matrix_element(n, m)
    assert np.allclose(track.resonant_scale(n, m), 2 * R * np.sin(omega_star / 2), rtol=1e-11)
    assert np.allclose(track.r_squared(n, m), R**2, rtol=1e-11)
    assert np.allclose(np.abs(np.cos(omega / 2)),
                       np.cos(omega_star / 2) * np.cos(R * (lam - lam_star) / 2), atol=1e-12)
    assert np.abs(z).max() == pytest.approx(R, rel=1e-3)  # the maximum of |z| at lambda*
    assert np.abs(z).min() < 0.2 * R
    assert np.all(track.omega_squared_rates == 0) and np.all(track.r_squared_rates == 0)

    (crossing,) = find_avoided_crossings(track)
    assert crossing.lam_star == pytest.approx(lam_star, abs=1e-9)
    assert crossing.omega_star == pytest.approx(omega_star, rel=1e-8)
    assert crossing.r_squared_fit == pytest.approx(R**2, rel=1e-8)
    assert crossing.r_squared == pytest.approx(R**2, rel=1e-11)
    assert crossing.Omega == pytest.approx(2 * R * np.sin(omega_star / 2), rel=1e-8)
    assert crossing.omega_scale_spread < 1e-10 and crossing.r_squared_spread < 1e-10


def test_two_level_velocity_is_half_the_polarisation():
    """Eq. 1: d theta_n / d lambda = z_nn / 2, by a one-sided three-point difference
    (error delta^2 theta''' / 3 ~ 1e-12 here) at the crossing and away from it."""
    lam_star, omega_star, R, a0 = 0.0, 0.02, 1.0, 0.3
    model, W = two_level(lam_star, omega_star, R, a0)
    delta = 1e-6
    for lam0 in (-0.3, -0.01, 0.0, 0.004):
        track = track_levels(model, W, 0, lam0 + delta * np.arange(3.0))
        th = track.quasienergies
        velocity = (-3 * th[0] + 4 * th[1] - th[2]) / (2 * delta)
        assert np.allclose(velocity, track.polarisations[0] / 2, atol=2e-8)


def test_narrow_crossing_is_resolved_by_refinement_or_passed_diabatically():
    """A crossing of width omega*/R = 1e-4 between grid points 0.01 apart: by default the
    steps are bisected and the levels are followed adiabatically (they keep their order, z_nn
    changes sign, the gap never closes below omega*); without refinement the overlap
    assignment follows the diabatic partner, the two levels exchange order and the passage is
    recorded."""
    lam_star, omega_star, R = 0.0037, 1e-4, 1.0
    model, W = two_level(lam_star, omega_star, R, a0=0.0)
    lam = np.linspace(-0.1, 0.1, 21)
    upper, lower = two_level_phases(lam, lam_star, omega_star, R, 0.0)

    adiabatic = track_levels(model, W, 0, lam)
    n, m = adiabatic.levels
    assert adiabatic.passages == () and adiabatic.n_solves > lam.size
    assert sorted(match_curves(adiabatic, [upper, lower])) == [0, 1]
    assert np.all(np.abs(adiabatic.omega(n, m)) >= omega_star * (1 - 1e-9))
    z = adiabatic.polarisations
    assert np.all(z[0] * z[-1] < 0)  # the diabatic character is exchanged

    diabatic = track_levels(model, W, 0, lam, min_step=0.05, max_step=0.05)
    assert diabatic.n_solves == lam.size
    assert {(p.level, p.partner) for p in diabatic.passages} == {(n, m), (m, n)}
    for p in diabatic.passages:
        assert p.lam_a < lam_star < p.lam_b and p.overlap > 0.99
    z = diabatic.polarisations
    assert np.all(z[0] * z[-1] > 0)  # the polarisations keep their sign
    omega = diabatic.omega(n, m)
    assert omega[0] * omega[-1] < 0  # the levels crossed
    assert match_curves(diabatic, [upper, lower]) == [-1, -1]  # no adiabatic curve followed


def test_exact_crossings_that_sorting_swaps_are_followed():
    """The two-level system times a spectator spin, W (x) diag(1, e^{i delta}), A (x) 1: levels
    of different spectator states have z = 0 and cross exactly. Sorting by quasienergy swaps
    them; the tracker follows the eigenvectors through, recording each crossing as a passage
    within min_step of the exact crossing point, and inside each copy the App. B laws hold."""
    lam_star, omega_star, R, a0, delta = 0.0, 0.05, 1.0, 0.0, 0.5
    model2, W2 = two_level(lam_star, omega_star, R, a0)
    model = MatrixModel(np.kron(model2.A, np.eye(2)))
    W = np.kron(W2, np.diag([1.0, np.exp(1j * delta)]))
    lam = np.linspace(-1.0, 1.0, 81)
    min_step = 1e-9
    track = track_levels(model, W, 0, lam, min_step=min_step)

    upper, lower = two_level_phases(lam, lam_star, omega_star, R, a0)
    curves = [upper, lower, upper + delta, lower + delta]
    assert sorted(match_curves(track, curves)) == [0, 1, 2, 3]
    # exact crossings where 2 beta = delta: upper of copy 0 meets lower of copy 1
    lam_cross = lam_star + np.array([-1.0, 1.0]) * 2 / R * np.arccos(
        np.cos(delta / 2) / np.cos(omega_star / 2))
    by_curve = dict(zip(match_curves(track, curves), track.levels, strict=True))
    a, b = by_curve[0], by_curve[3]
    order = np.sign(wrap_difference(track.quasienergy(a) - track.quasienergy(b)))
    assert np.count_nonzero(np.diff(order)) == 2  # sorting would have swapped them twice
    assert len(track.passages) == 4
    for p in track.passages:
        assert {p.level, p.partner} == {a, b}
        assert abs(p.lam_b - p.lam_a) <= min_step
        assert np.min(np.abs(lam_cross - p.lam_a)) < 2 * min_step
    # each copy is an exact two-level system: its Omega_F is constant through everything
    for n, m in ((by_curve[0], by_curve[1]), (by_curve[2], by_curve[3])):
        assert np.allclose(track.resonant_scale(n, m), 2 * R * np.sin(omega_star / 2),
                           rtol=1e-9)
    assert np.allclose(np.abs(track.matrix_element(a, b)), 0.0, atol=1e-9)


# --------------------------------------------------------------------------- brickwork

SEED, L, J, SITE = 1, 6, 0.02, 2
WINDOW = (-0.0928, 0.0272)  # lambda* +- 0.06 = 20 omega* / R for the crossing below
BAND = np.arange(12, 22)


@pytest.fixture(scope="module")
def brickwork():
    model = BrickworkCircuit(L, J)
    real = model.sample(np.random.default_rng(SEED))
    lam = np.linspace(*WINDOW, 241)
    track = track_levels(model, real, SITE, lam, levels=BAND)
    crossings = find_avoided_crossings(track)
    return model, real, track, crossings


def test_brickwork_crossing_conserves_omega_up_to_the_app_c_couplings(brickwork):
    """Through the crossing |z_nm| falls 20-fold and |omega_nm| rises 20-fold, while Omega_F
    and R^2 change only by the integral of their Eq. C1 rates (the couplings to the other
    levels, recorded along the track): that integral is the stated tolerance, here 2e-3 of
    Omega_F^2 (quadrature of the rates adds < 1e-5)."""
    _, _, track, crossings = brickwork
    assert len(crossings) == 1
    c = crossings[0]
    lam = track.lambdas
    z = np.abs(track.matrix_element(c.n, c.m))
    omega = np.abs(track.omega(c.n, c.m))
    assert z.max() / min(z[0], z[-1]) > 15 and max(omega[0], omega[-1]) / omega.min() > 15

    omega2 = track.resonant_scale(c.n, c.m) ** 2
    predicted = cumulative_trapezoid(track.omega_squared_rate(c.n, c.m), lam, initial=0.0)
    predicted -= predicted[c.index]
    change = omega2 - omega2[c.index]
    scale = omega2[c.index]
    assert np.max(np.abs(change - predicted)) < 1e-5 * scale
    tolerance = np.max(np.abs(predicted)) + 1e-5 * scale
    assert np.max(np.abs(change)) <= tolerance < 5e-3 * scale

    r2 = track.r_squared(c.n, c.m)
    predicted = cumulative_trapezoid(track.r_squared_rate(c.n, c.m), lam, initial=0.0)
    predicted -= predicted[c.index]
    assert np.max(np.abs(r2 - r2[c.index] - predicted)) < 1e-5
    assert np.ptp(r2) <= np.max(np.abs(predicted)) * 2 + 1e-5 < 1e-2
    # R^2 = 1 - O(J) for a pair of opposite polarisation (text below Eq. B1)
    assert 0 < 1 - c.r_squared < 3 * J


def test_brickwork_crossing_follows_eq_b2(brickwork):
    """omega^2 = R^2 (lambda - lambda*)^2 + omega*^2 (Eq. B2) over the whole window, with R^2
    from the fit of the splitting equal to y^2 + |z|^2 from the matrix elements, and
    Omega = R omega* (Eq. 3) equal to |z| |2 sin(omega/2)| at the crossing."""
    _, _, track, (c,) = brickwork
    lam = track.lambdas
    omega = np.abs(track.omega(c.n, c.m))
    b2 = np.sqrt(c.r_squared_fit * (lam - c.lam_star) ** 2 + c.omega_star**2)
    assert np.max(np.abs(omega - b2) / omega) < 1e-3
    assert c.r_squared_fit == pytest.approx(c.r_squared, rel=1e-4)
    assert c.Omega == pytest.approx(c.omega_scale, rel=1e-4)
    assert c.Omega == pytest.approx(np.sqrt(c.r_squared) * c.omega_star, rel=1e-5)
    assert lam[c.index - 1] < c.lam_star < lam[c.index + 1]
    assert c.fit_residual < 1e-3 * c.omega_star


def test_brickwork_velocity_and_app_c_rates_against_finite_differences(brickwork):
    """Eq. 1 (d theta_n / d lambda = z_nn / 2) for every followed level, and the recorded
    d Omega_F^2 / d lambda and d R^2 / d lambda against one-sided three-point differences;
    the rates also against explicit sums over p of the full matrix Z (Eq. C1, Floquet form),
    and d z_nm / d lambda against -(g + i/2) y z + rest_z in the parallel-transport gauge."""
    model, real, track, (c,) = brickwork
    sigma = model.field_operator(real, SITE)
    delta = 1e-6
    for k in (c.index - 30, c.index, c.index + 7):
        labels = track.eigen_index[k]
        n, m = labels[track.column(c.n)], labels[track.column(c.m)]
        fine = track_levels(model, real, SITE, track.lambdas[k] + delta * np.arange(3.0),
                            levels=labels, pairs=[(n, m)])
        th = fine.quasienergies
        assert np.allclose((-3 * th[0] + 4 * th[1] - th[2]) / (2 * delta),
                           fine.polarisations[0] / 2, atol=1e-7)

        def d(x):
            return (-3 * x[0] + 4 * x[1] - x[2]) / (2 * delta)

        rate = fine.omega_squared_rate(n, m)[0]
        assert d(fine.resonant_scale(n, m) ** 2) == pytest.approx(rate, rel=1e-3)
        assert d(fine.r_squared(n, m)) == pytest.approx(fine.r_squared_rate(n, m)[0],
                                                        rel=1e-3, abs=1e-6)

        # explicit sums over the full matrix of sigma_j at this lambda
        spectrum = eigu(model.unitary(model.shift_field(real, SITE, track.lambdas[k])))
        V = spectrum.vectors
        from mblkit.spins.gates import apply_one_site
        Z = V.conj().T @ apply_one_site(np.ascontiguousarray(V.copy()), sigma, SITE)
        theta = spectrum.quasienergies
        i_n, i_m = track.eigen_index[k, track.column(c.n)], track.eigen_index[k, track.column(c.m)]
        w_nm = theta[i_n] - theta[i_m]
        total = rest_y = 0.0
        rest_z = 0j
        for p in range(theta.size):
            if p in (i_n, i_m):
                continue
            g_np, g_mp = curvature_weight(theta[i_n] - theta[p]), curvature_weight(theta[i_m]
                                                                                 - theta[p])
            triple = Z[i_n, p] * Z[p, i_m] * Z[i_m, i_n]
            total += np.sin(w_nm / 2) ** 2 * (2 * g_np + 2 * g_mp) * 2 * triple.real
            rest_y += 0.5 * (abs(Z[i_n, p]) ** 2 * g_np - abs(Z[i_m, p]) ** 2 * g_mp)
            rest_z += 0.5 * (g_np + g_mp) * Z[i_n, p] * Z[p, i_m]
        assert rate == pytest.approx(total, rel=1e-8)
        y = (Z[i_n, i_n].real - Z[i_m, i_m].real) / 2
        r2_rate = 2 * y * rest_y + 2 * (Z[i_n, i_m].conj() * rest_z).real
        assert fine.r_squared_rate(n, m)[0] == pytest.approx(r2_rate, rel=1e-8, abs=1e-12)
        z = fine.matrix_element(n, m)
        dz = d(z)
        expected = -(curvature_weight(w_nm) + 0.5j) * y * z[0] + rest_z * z[0] / Z[i_n, i_m]
        assert abs(dz - expected) < 1e-4 * abs(dz) + 1e-6


def test_app_c_convention_keeps_polarisation_signs(brickwork):
    """Adiabatic labels exchange diabatic character at the crossing (z_nn changes sign, omega
    keeps its sign); with App. C's exchange at lambda* the polarisations keep their sign,
    omega_nm changes sign there, theta_n jumps by omega*, and |z_nm| is unchanged."""
    _, _, track, crossings = brickwork
    c = crossings[0]
    swapped = exchange_labels(track, crossings)
    assert swapped.convention == "exchanged"
    for label in (c.n, c.m):
        z_ad, z_ex = track.polarisation(label), swapped.polarisation(label)
        assert z_ad[0] * z_ad[-1] < 0 and abs(z_ad[0]) > 0.9
        assert z_ex[0] * z_ex[-1] > 0 and abs(z_ex[-1]) > 0.9
    omega_ad, omega_ex = track.omega(c.n, c.m), swapped.omega(c.n, c.m)
    assert np.all(np.sign(omega_ad) == np.sign(omega_ad[0]))
    before, after = track.lambdas < c.lam_star, track.lambdas > c.lam_star
    assert np.all(np.sign(omega_ex[after]) == -np.sign(omega_ex[before][0]))
    assert np.allclose(np.abs(swapped.matrix_element(c.n, c.m)),
                       np.abs(track.matrix_element(c.n, c.m)))
    jump = swapped.quasienergy(c.n)[c.index + 1] - swapped.quasienergy(c.n)[c.index]
    step = track.quasienergy(c.n)[c.index + 1] - track.quasienergy(c.n)[c.index]
    assert abs(jump - step) == pytest.approx(abs(omega_ad[c.index + 1]), rel=1e-12)


def test_sigma_is_that_of_the_unshifted_realisation_past_h_equal_pi():
    """Beyond h_j + lambda = pi a shifted realisation reports -sigma_j (the representative
    h in (0, pi]); the track uses the fixed sigma_j of W(lambda) = W e^{i lambda sigma_j / 2},
    so z_nn stays continuous and equal to 2 d theta_n / d lambda through that point."""
    model = BrickworkCircuit(4, 0.05)
    real = model.sample(np.random.default_rng(5))
    j = 1
    edge = np.pi - model.fields(real)[j]
    past = model.shift_field(real, j, edge + 0.01)
    assert np.allclose(model.field_operator(past, j), -model.field_operator(real, j))
    lam = edge + np.linspace(-0.01, 0.01, 21)
    track = track_levels(model, real, j, lam, pairs=[])
    z, theta = track.polarisations, track.quasienergies
    assert np.max(np.abs(np.diff(z, axis=0))) < 2e-3  # a wrong sigma would jump by 2 |z_nn|
    h = lam[1] - lam[0]
    velocity = (theta[2:] - theta[:-2]) / (2 * h)
    # central-difference error h^2 theta''' / 6 = h^2 z'' / 12 <= 6.4e-7 for this realisation
    assert np.allclose(velocity, z[1:-1] / 2, atol=1e-6)


# --------------------------------------------------------------------------- bad input


def test_bad_input_names_the_argument():
    model = BrickworkCircuit(4, 0.05)
    real = model.sample(np.random.default_rng(3))
    lam = np.linspace(0, 0.1, 5)
    for bad in ([0.1], [0.0, 0.2, 0.1], [[0.0, 0.1]], [0.0, np.nan]):
        with pytest.raises(ValueError, match="lambdas"):
            track_levels(model, real, 0, bad)
    for site in (4, -1, 1.0):
        with pytest.raises(ValueError, match="site"):
            track_levels(model, real, site, lam)
    with pytest.raises(ValueError, match="levels"):
        track_levels(model, real, 0, lam, levels=[0, 16])
    for pairs in ([(0, 16)], [(3, 3)], [(0, 5)]):
        with pytest.raises(ValueError, match="pairs"):
            track_levels(model, real, 0, lam, levels=[0, 1, 2, 3], pairs=pairs)
    track = track_levels(model, real, 0, lam, levels=[0, 1, 2], pairs=[(0, 1)])
    with pytest.raises(ValueError, match="pair"):
        track.matrix_element(0, 2)
    with pytest.raises(ValueError, match="level"):
        track.quasienergy(5)


# --------------------------------------------------------------------------- figure


def test_figure_draws_the_example_crossing():
    """Smoke test: the figure draws what the track holds (it compares the drawn product with
    the track's own resonant_scale, and pins the example's crossing as a regression value).
    The physics of tracks and crossings is checked independently above: the exact two-level
    unitary (App. B), Eq. B2, and finite differences of the App. C rates."""
    track, crossing = example_crossing(points=61)
    assert (crossing.n, crossing.m) == (16, 17)
    assert crossing.lam_star == pytest.approx(-0.03276, abs=1e-4)
    fig = figure_avoided_crossing(track, crossing)
    assert len(fig.axes) == 3
    product = fig.axes[2].lines[2].get_ydata()
    assert np.allclose(product, track.resonant_scale(crossing.n, crossing.m))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    assert buf.getbuffer().nbytes > 1000
