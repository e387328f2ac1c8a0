"""Loss-diffusion equation of the Hamiltonian resonance model: problems, closed forms, and a
deterministic solver in (e, r).

Implements Eqs. 84-88 and App. C (Eqs. C1-C7, C17-C19) of
``shared/papers/resonance-model-crossover.txt``. The distribution f(e, r) of the local energies
e of the states that have not yet resonated by range r obeys (Eq. 86 / C1)

    df/dr = W^2 d^2f/de^2 - q(e, r) f,    f(e, r_0) = delta(e - e_0),

and F(r) = int f de (Eq. 87) is the fraction of states with no resonance up to range r,
p(r) = -dF/dr = int f q de (Eq. 88). Two problems are provided:

* :class:`ResonanceLossDiffusion`: the probe-spin problem, diffusion from delta(e - h/2) at
  r_0 = -1/2 (so that the unhybridised width is s_e(r) = W sqrt(2r + 1), Eq. 67), loss q_up(e, r)
  of Eq. C3 (energy-independent matrix elements, ``mu=None``) or Eq. C5 (energy-dependent ones,
  Eq. B3-B5), switched on at r = 0, optionally with the factor exp(-r/xi) of Eq. 82.
* :class:`PointLossDiffusion`: the reduced problem of Eq. C7, loss gamma delta(e) and
  f(e, 0) = delta(e), whose exact solution is Eq. C17.

Every loss is a Gaussian in e (a delta function for the point loss): q(e, r) = Q(r) N(e; m(r),
w(r)^2), with N the normal density. A problem exposes ``loss_profile(r) -> (sqrt(r) Q(r), m(r),
w(r))``; the factor sqrt(r) removes the integrable r^(-1/2) singularity of Eq. C3 at r = 0.

The stochastic-trajectory solver (the method the paper uses, App. C 1) is
:mod:`mblkit.phenomenology.loss_diffusion_sampling`; both return a
:class:`LossDiffusionSolution`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import integrate, sparse, special

from mblkit.phenomenology import _resonance_checks as chk
from mblkit.phenomenology.resonance_floquet import ZETA_C

# ---------------------------------------------------------------------------------------------
# Problems
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResonanceLossDiffusion:
    """The loss-diffusion problem of the probe spin in the up sector (Eqs. 84-87, C2-C5).

    f(e, -1/2) = delta(e - h/2); for r > 0 the loss is

        q(e, r) = exp(-r/xi) / sqrt(4 Lambda r) * exp(-(e + h/2)^2 / (2 s_e(r)^2))
                  * exp(-e^2 / (zeta r mu^2))          [last factor only if mu is given]

    which is Eq. C3 (``inv_xi=0``, ``mu=None``, ``h=W``), Eq. C5 (``mu`` given; zeta = zeta_c at
    ``inv_xi=0``, Eq. B5 otherwise, with 1/zeta = 1/xi + 1/zeta_c) and Eq. 82 up to the exact width
    s_e(r) = W sqrt(2r + 1) (Eq. 82 writes its large-r form 2 s_e^2 ~ 4 W^2 r). By the symmetry
    (e, sigma) -> (-e, -sigma) F(r) is the same in the down sector (Eq. 87).

    Parameters: ``Lambda`` the resonance length (Eq. 83; only the ratio r/Lambda and e/W matter
    when h is proportional to W); ``W`` the disorder strength (diffusion constant W^2 of Eq. 81);
    ``h`` the probe field (default W, as in App. C); ``inv_xi`` = 1/xi (0 at the transition,
    > -1/zeta_c); ``mu`` the energy density scale of Eq. B4 (``None``: energy-independent
    matrix elements).
    """

    Lambda: float
    W: float = 1.0
    h: float | None = None
    inv_xi: float = 0.0
    mu: float | None = None
    r_diffusion_start: float = field(default=-0.5, init=False)

    def __post_init__(self) -> None:
        chk.positive("Lambda", self.Lambda)
        chk.positive("W", self.W)
        if self.h is not None:
            chk.real("h", self.h)
        chk.real("inv_xi", self.inv_xi)
        if self.inv_xi <= -1.0 / ZETA_C:
            raise ValueError(f"inv_xi={self.inv_xi!r} is not allowed: 1/xi = 1/zeta - 1/zeta_c "
                             f"must exceed -1/zeta_c = {-1.0 / ZETA_C!r} (zeta > 0)")
        if self.mu is not None:
            chk.positive("mu", self.mu)

    @property
    def probe_field(self) -> float:
        """The probe field h (W when not given)."""
        return self.W if self.h is None else float(self.h)

    @property
    def e_start(self) -> float:
        """Centre e_up = h/2 of the initial delta function (Eq. 86)."""
        return self.probe_field / 2.0

    def loss_profile(self, r: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(sqrt(r) Q(r), m(r), w(r)) with q(e, r) = Q(r) N(e; m, w^2), for r >= 0."""
        r = np.asarray(r, dtype=np.float64)
        s2 = self.W ** 2 * (2.0 * r + 1.0)
        e_opp = -self.probe_field / 2.0
        if self.mu is None:
            w2 = s2
            shift = np.zeros_like(r)
        else:  # product of two Gaussians; written so that r = 0 is regular
            zeta = 1.0 / (self.inv_xi + 1.0 / ZETA_C)
            b = zeta * r * self.mu ** 2  # exp(-e^2 / b)
            w2 = b * s2 / (2.0 * s2 + b)
            shift = e_opp ** 2 / (2.0 * s2 + b)
        centre = e_opp * w2 / s2
        w = np.sqrt(w2)
        sqrt_r_q = (np.exp(np.minimum(-self.inv_xi * r, 700.0) - shift) * w
                    * math.sqrt(2.0 * math.pi) / (2.0 * math.sqrt(self.Lambda)))
        return sqrt_r_q, centre, w


@dataclass(frozen=True)
class PointLossDiffusion:
    """The reduced problem of Eq. C7: df/dr = W^2 f'' - gamma delta(e) f, f(e, 0) = delta(e).

    Its exact solution is F(r) = exp(r/l) erfc(sqrt(r/l)) (Eq. C17, :func:`point_loss_survival`).
    ``gamma`` is the integrated loss of Eq. C6 (:func:`point_loss_weight`), ``W`` sets the
    diffusion constant W^2.
    """

    gamma: float
    W: float = 1.0
    r_diffusion_start: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        chk.positive("gamma", self.gamma)
        chk.positive("W", self.W)

    @property
    def e_start(self) -> float:
        """The initial delta function sits at e = 0 (the offset is neglected in Eq. C7)."""
        return 0.0

    def loss_profile(self, r: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(sqrt(r) gamma, 0, 0): a delta function of weight gamma at e = 0."""
        r = np.asarray(r, dtype=np.float64)
        return self.gamma * np.sqrt(r), np.zeros_like(r), np.zeros_like(r)


LossDiffusionProblem = ResonanceLossDiffusion | PointLossDiffusion


def diffusion_width(problem: LossDiffusionProblem, r: np.ndarray) -> np.ndarray:
    """Width s(r) = sqrt(2 W^2 (r - r_0)) of the loss-free f (s_e(r) of Eq. 67 for r_0 = -1/2)."""
    r = np.asarray(r, dtype=np.float64)
    return np.sqrt(2.0 * problem.W ** 2 * (r - problem.r_diffusion_start))


# ---------------------------------------------------------------------------------------------
# Closed forms
# ---------------------------------------------------------------------------------------------


def point_loss_length(*, gamma: float, W: float) -> float:
    """l = 4 W^2 / gamma^2, the crossover range of Eq. C17.

    Derived here from Eqs. C11-C15 (f_0(0, r) = 1/sqrt(4 pi W^2 r) fixes gamma sqrt(l) = 2W, and
    the first-order term of Eq. C14, 1 - gamma sqrt(r) / (W sqrt(pi)), must equal that of
    e^(r/l) erfc(sqrt(r/l)), 1 - 2 sqrt(r/(pi l))). The paper prints l = 4 W^2 / (pi gamma^2),
    which contradicts its own Eq. C15; with it Eq. C17 fails the exact solution by a factor
    sqrt(pi) in sqrt(r/l).
    """
    return 4.0 * chk.positive("W", W) ** 2 / chk.positive("gamma", gamma) ** 2


def point_loss_survival(r: np.ndarray, *, gamma: float, W: float) -> np.ndarray:
    """F(r) = exp(r/l) erfc(sqrt(r/l)) (Eq. C17), l from :func:`point_loss_length`.

    Evaluated as erfcx(sqrt(r/l)); F ~ sqrt(l/(pi r)) = 2W / (gamma sqrt(pi r)) at r >> l
    (Eq. C19 with the corrected l; the paper prints 2W/(pi gamma sqrt(r))).
    """
    r = chk.nonnegative_array("r", r)
    return special.erfcx(np.sqrt(r / point_loss_length(gamma=gamma, W=W)))


def point_loss_weight(*, Lambda: float, W: float, mu: float) -> float:
    """gamma = int de q_up(e, r) = W mu sqrt(pi zeta_c / (Lambda (4 W^2 + zeta_c mu^2))) (Eq. C6).

    The large-r, r-independent weight of the energy-dependent loss of Eq. C5 (Gaussian integral
    of exp(-e^2/(zeta_c r mu^2) - e^2/(4 W^2 r)) / sqrt(4 Lambda r)).
    """
    Lambda = chk.positive("Lambda", Lambda)
    W = chk.positive("W", W)
    mu = chk.positive("mu", mu)
    return W * mu * math.sqrt(math.pi * ZETA_C / (Lambda * (4.0 * W ** 2 + ZETA_C * mu ** 2)))


def mean_field_survival(problem: LossDiffusionProblem, r: np.ndarray) -> np.ndarray:
    """F_mf(r) = exp(-int_0^r <q>_0(s) ds), <q>_0 the loss averaged over the loss-free f.

    With no depletion of f this is exact to first order in the loss; it is the regime r << Lambda
    of Fig. 11. Rigorously (Jensen, and e^-X <= 1 - X + X^2/2) F_mf <= F <= F_mf + <X^2>/2,
    X = int_0^r q along a trajectory; for :class:`ResonanceLossDiffusion` X <= sqrt(r/Lambda), so
    F - F_mf <= r / (2 Lambda). For Eq. C3 with h = 0 it is exp(-sqrt(r / (2 Lambda))): the
    "exp(-sqrt(r/Lambda))" of the paper's Fig. 11 up to the factor 2 in Lambda, which comes from
    averaging the Gaussian loss over the Gaussian density of states. ``r`` must be >= 0.
    """
    r = chk.nonnegative_array("r", r)
    e0 = problem.e_start

    def rate_du(u: float) -> float:  # 2 u <q>_0 at r = u^2 (ds = 2u du)
        rr = u * u
        g, m, w = (float(x) for x in problem.loss_profile(np.array(rr)))
        var = float(diffusion_width(problem, np.array(rr))) ** 2 + w * w
        if var == 0.0:
            return 0.0
        return 2.0 * g * math.exp(-(e0 - m) ** 2 / (2 * var)) / math.sqrt(2 * math.pi * var)

    flat = r.ravel()
    order = np.argsort(flat)
    out = np.empty(flat.shape)
    acc, u_prev = 0.0, 0.0
    for i in order:
        u = math.sqrt(flat[i])
        if u > u_prev:
            val, _ = integrate.quad(rate_du, u_prev, u, limit=200, epsabs=1e-14, epsrel=1e-11)
            acc += val
            u_prev = u
        out[i] = math.exp(-acc)
    return out.reshape(r.shape)


# ---------------------------------------------------------------------------------------------
# Solutions
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LossDiffusionSolution:
    """F(r), p(r) and snapshots of f(e, r), from either solver.

    ``r``, ``F`` and ``p`` are aligned 1-D arrays (``F_stderr``/``p_stderr`` are Monte-Carlo
    standard errors, ``None`` for the deterministic solver). The snapshots are stored in the
    scaled energy x = e / s(r), s(r) = sqrt(2 W^2 (r - r_0)) (s_e(r) of Eq. 67 for the probe
    problem): ``phi[i, j]`` = s(r_i) f(x_j s(r_i), r_i) at ``snapshot_r[i]``, so that
    int phi dx = F and the loss-free solution is a unit Gaussian in x (Fig. 12).
    """

    r: np.ndarray
    F: np.ndarray
    p: np.ndarray
    F_stderr: np.ndarray | None
    p_stderr: np.ndarray | None
    x: np.ndarray
    snapshot_r: np.ndarray
    snapshot_width: np.ndarray
    phi: np.ndarray

    def energy_density(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """(e, f(e, r)) of snapshot ``index``, with e = x s(r) and f = phi / s(r)."""
        s = float(self.snapshot_width[index])
        return self.x * s, self.phi[index] / s


def _check_ranges(name: str, r: np.ndarray) -> np.ndarray:
    r = chk.positive_array(name, r)
    if r.ndim != 1 or (r.size > 1 and np.any(np.diff(r) <= 0)):
        raise ValueError(f"{name} must be a 1-D array of strictly increasing ranges > 0, "
                         f"got {r!r}")
    return r


# ---------------------------------------------------------------------------------------------
# Deterministic solver
# ---------------------------------------------------------------------------------------------

_POINT_START = 1e-12  # first range of problems that diffuse from r_0 = 0 (loss before ~ 1e-6)


def _drift_diffusion_matrix(x: np.ndarray, dx: float) -> sparse.csr_matrix:
    """Finite-volume d/dx (x phi + dphi/dx) with exponential fitting and zero-flux boundaries.

    Face flux J = -(phi_(i+1) e^kappa - phi_i e^-kappa) / dx, kappa = (x_(i+1)^2 - x_i^2)/4: second
    order, mass conserving, and the sampled unit Gaussian is its exact null vector.
    """
    kappa = (x[1:] ** 2 - x[:-1] ** 2) / 4.0
    up, down = np.exp(kappa), np.exp(-kappa)  # coefficients of phi_(i+1) and phi_i in -J dx
    n = x.size
    main = np.zeros(n)
    main[:-1] -= down
    main[1:] -= up
    return sparse.diags([main, up, down], [0, 1, -1], shape=(n, n), format="csr") / dx ** 2


def _cell_fractions(x_lo: np.ndarray, x_hi: np.ndarray, s: float, m: float,
                    w: float) -> np.ndarray:
    """Fraction of N(e; m, w^2) in each cell [x_lo s, x_hi s) (an indicator for w = 0)."""
    if w == 0.0:
        frac = ((x_lo * s <= m) & (m < x_hi * s)).astype(np.float64)
        return frac
    a = (x_lo * s - m) / w
    b = (x_hi * s - m) / w
    # difference of normal CDFs, taken in the tail where it does not cancel
    return np.where(a > 0, special.ndtr(-a) - special.ndtr(-b), special.ndtr(b) - special.ndtr(a))


def solve_loss_diffusion(problem: LossDiffusionProblem, r: np.ndarray, *,
                         snapshot_r: np.ndarray | tuple[float, ...] = (), n_cells: int = 801,
                         x_max: float | None = None, rtol: float = 1e-8,
                         atol: float = 1e-12) -> LossDiffusionSolution:
    """Solve the loss-diffusion equation (Eq. 86 / C1 / C7) deterministically at ranges ``r``.

    Method: in the scaled energy x = e / s(r) (s(r) the loss-free width) and u = sqrt(r) the
    equation reads d phi/du = (2u W^2/s^2) d/dx (x phi + d phi/dx) - 2u q(x s, r) phi, with
    phi = s f: the grid follows the sqrt(r) spreading of f (so r can run over many decades) and
    the r^(-1/2) singularity of the loss at r = 0 disappears. Method of lines: ``n_cells``
    finite volumes on [-x_max, x_max] (odd, so that e = 0 is a cell centre), cell-averaged
    loss (exact Gaussian integrals; the point loss is gamma / (s dx) on the central cell), and
    SciPy's adaptive BDF integrator with a sparse Jacobian. What is integrated is log F and the
    normalised density psi = phi / F (sum psi dx = 1): d psi/du = (2u W^2/s^2) d/dx (x psi +
    d psi/dx) - 2u (q - <q>) psi, d log F/du = -2u <q>, with <q> = int q psi dx = p / F. So
    ``rtol`` and ``atol`` (on psi and log F) are tolerances relative to F however small F gets.
    (With phi itself and a fixed absolute tolerance of 1e-13, comparable to F once F <~ 1e-11,
    the local exponent d log F / d log r at r = 1e6 Lambda of Fig. 11 came out between -2.7
    and -3.2 depending on the grid, against the converged -3.10; tested.)
    Problems that start at r_0 = -1/2 begin at r = 0 from the exact Gaussian; the point problem
    (r_0 = 0) begins at r = 1e-12 (the loss before, gamma sqrt(1e-12)/(W sqrt(pi)), is dropped).

    ``r``: strictly increasing ranges > 0 at which F and p are returned; ``snapshot_r``: ranges
    (each also in ``r`` or not) at which phi(x) is stored. Returns a :class:`LossDiffusionSolution`.
    """
    r = _check_ranges("r", r)
    snaps = np.sort(chk.positive_array("snapshot_r", np.atleast_1d(snapshot_r)))
    if isinstance(n_cells, bool) or not isinstance(n_cells, int | np.integer) or n_cells < 51:
        raise ValueError(f"n_cells={n_cells!r} is not allowed: it must be an integer >= 51")
    n_cells = int(n_cells) | 1  # odd
    r_begin = 0.0 if problem.r_diffusion_start < 0 else _POINT_START
    s_begin = float(diffusion_width(problem, np.array(r_begin)))
    x0 = problem.e_start / s_begin
    if x_max is None:
        x_max = 10.0 + abs(x0)
    x_max = chk.positive("x_max", x_max)
    if abs(x0) > x_max - 6.0:
        raise ValueError(f"x_max={x_max!r} is too small: the initial distribution is centred "
                         f"at x = {x0!r}; use x_max >= |x0| + 6")
    rtol = chk.positive("rtol", rtol)
    atol = chk.positive("atol", atol)

    dx = 2.0 * x_max / n_cells
    x = -x_max + dx * (np.arange(n_cells) + 0.5)
    x[n_cells // 2] = 0.0
    x_lo, x_hi = x - dx / 2, x + dx / 2
    mdd = _drift_diffusion_matrix(x, dx)
    W2 = problem.W ** 2
    r0 = problem.r_diffusion_start

    def coefficients(u: float) -> tuple[float, np.ndarray, float]:
        """(2u W^2/s^2, 2u q_cell, s) at u = sqrt(r)."""
        rr = u * u
        s2 = 2.0 * W2 * (rr - r0)
        s = math.sqrt(s2)
        g, m, w = (float(v) for v in problem.loss_profile(np.array(rr)))
        loss = 2.0 * g * _cell_fractions(x_lo, x_hi, s, m, w) / (s * dx)
        return 2.0 * u * W2 / s2, loss, s

    n = n_cells

    def rhs(u: float, y: np.ndarray) -> np.ndarray:
        """y = (psi, log F) with phi = F psi, sum(psi) dx = 1."""
        c, loss, _ = coefficients(u)
        psi = y[:n]
        rate = float(np.dot(loss, psi) * dx)  # p / F, times du/dr
        out = np.empty_like(y)
        out[:n] = c * (mdd @ psi) - loss * psi + rate * psi
        out[n] = -rate
        return out

    def jac(u: float, y: np.ndarray) -> sparse.csc_matrix:
        # the rank-one part psi (loss dx)^T of d(rate psi)/d psi and the log F row are left out:
        # an inexact Newton matrix, which BDF tolerates (its error control is unaffected)
        c, loss, _ = coefficients(u)
        rate = float(np.dot(loss, y[:n]) * dx)
        block = c * mdd - sparse.diags(loss - rate)
        return sparse.block_diag([block, sparse.csr_matrix((1, 1))], format="csc")

    phi0 = np.exp(-(x - x0) ** 2 / 2.0)
    phi0 /= phi0.sum() * dx
    u_eval = np.sqrt(np.union1d(r, snaps))
    u_begin = math.sqrt(r_begin)
    if u_eval[0] <= u_begin:
        raise ValueError(f"r and snapshot_r must exceed the first range {r_begin!r} of this "
                         f"problem")
    sol = integrate.solve_ivp(rhs, (u_begin, float(u_eval[-1])), np.append(phi0, 0.0),
                              method="BDF", t_eval=u_eval, jac=jac, rtol=rtol, atol=atol)
    if not sol.success:
        raise RuntimeError(f"loss-diffusion integration failed: {sol.message}")
    phis = sol.y[:n].T * np.exp(sol.y[n])[:, None]  # (len(u_eval), n_cells)
    r_eval = u_eval ** 2
    F_all = phis.sum(axis=1) * dx
    p_all = np.empty_like(F_all)
    for i, u in enumerate(u_eval):
        _, loss, _ = coefficients(float(u))
        p_all[i] = np.dot(loss, phis[i]) * dx / (2.0 * u)
    # r_eval holds squares of square roots: match each request to the nearest stored range
    idx_r = _nearest(r_eval, r)
    idx_s = _nearest(r_eval, snaps)
    return LossDiffusionSolution(
        r=r, F=F_all[idx_r], p=p_all[idx_r], F_stderr=None, p_stderr=None, x=x,
        snapshot_r=snaps, snapshot_width=diffusion_width(problem, snaps),
        phi=phis[idx_s] if snaps.size else np.zeros((0, n_cells)))


def _nearest(grid: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Index of the grid point nearest to each value (grid sorted)."""
    if values.size == 0:
        return np.zeros(0, dtype=int)
    idx = np.clip(np.searchsorted(grid, values), 1, grid.size - 1)
    left = grid[idx - 1]
    return np.where(np.abs(values - left) <= np.abs(grid[idx] - values), idx - 1, idx)
