"""Hamiltonian resonance model: resonance probability with local energies, F_1(r) and [S(omega)].

Implements Sec. III B of ``shared/papers/resonance-model-crossover.txt`` (Eqs. 67, 77, 82-83,
89-93). The full loss-diffusion equation (Eqs. 84-88) is solved in
:mod:`mblkit.phenomenology.loss_diffusion`.

Conventions (those of the paper): lengths in lattice units; ``J`` the probe-chain coupling norm,
``W`` the disorder strength (local energies e have units of W, s_e(r) = W sqrt(2r+1), Eq. 67),
``h`` the field on the probe spin (the probe states sigma = +-1 carry e_sigma = sigma h/2,
Eq. 79); frequencies in units of J. ``zeta`` and xi are as in the Floquet model,
1/xi = 1/zeta - 1/zeta_c with zeta_c = 1/log 2 (Eq. 39); the matrix elements are those of Eq. 77
(= Eq. 38, energy independent), v(r) = J exp(-k r) with k = 1/zeta + 1/zeta_c.

Two departures from the printed formulas are offered as options; the defaults reproduce the
paper's Figs. 2 and 9 (Eq. 83 as printed, the typical-energy rate of Eq. 89):

* ``form``: the resonance length. ``"printed"`` is Eq. 83, Lambda = pi (zeta_c W / 4J)^2.
  ``"derived"`` is what Eqs. 76, 77 and 80 give when composed: q = 2 rho v with
  rho(e_sigmabar, r) = 4 exp(2r/zeta_c) / (zeta_c s_e sqrt(2 pi)), s_e = W sqrt(2r) and
  v = J exp(-r/xi - 2r/zeta_c) is 4 J exp(-r/xi) / (zeta_c W sqrt(pi r)) = exp(-r/xi) /
  sqrt(4 Lambda' r) with Lambda' = pi (zeta_c W / 8J)^2 = Lambda / 4, i.e. twice the printed
  rate (:func:`resonance_length`; tested against a numerical derivative of Eq. 78).
* ``energy``: the rate seen by the unhybridised states. ``"typical"`` is Eq. 89, the paper's
  replacement q(e, r) -> q(e_sigmabar, r) in Eq. 88. ``"averaged"`` averages the Gaussian
  energy factor of Eq. 82, exp(-(e - e_sigmabar)^2 / (2 s^2)) with s^2 = 2 W^2 r, over the
  loss-free f(e, r) = N(e; e_sigma, s^2) (Eq. 86 without loss; Eq. 66): the average is
  exp(-h^2 / (4 s^2)) / sqrt(2), which is 1/sqrt(2) for r >> h^2/W^2. So where the depletion of
  f is negligible (r << Lambda) the mean rate is exp(-r/xi) / sqrt(4 (2 Lambda) r): Eq. 89
  overstates it by sqrt(2), and the true F of Eqs. 86-88 at 1 << r <~ Lambda is F_1 with
  Lambda -> 2 Lambda (:func:`effective_resonance_length`; tested against a quadrature over
  f ~ N(0, s^2) and against the deterministic solution of Eq. 86). This is why the small-r decay
  of Fig. 11 is exp(-sqrt(r / 2 Lambda)), not the exp(-sqrt(r/Lambda)) the paper draws. At
  r >> Lambda neither form holds: f is depleted at typical energies (App. B, Fig. 12) and only
  the loss-diffusion solution applies.

With both options the effective length is Lambda / 2 (derived Lambda / 4, times 2), so the
default curves (F_1, [C_zz] = F_1(L/2), p(r), [S(omega)] of Eq. 93, [S_P] and W_delta of Fig. 9)
use a mean resonance rate sqrt(2) below the model's own counting.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from mblkit.phenomenology import _resonance_checks as chk
from mblkit.phenomenology.resonance_floquet import (
    ZETA_C,
    inverse_correlation_length,
    matrix_element,
    matrix_element_decay_rate,
)

_EXP_MAX = 700.0


def local_energy_width(r: np.ndarray, *, W: float) -> np.ndarray:
    """s_e(r) = W sqrt(2r + 1) (Eq. 67): width of the local energies of the states within range r.

    Also the width reached by the growth-diffusion equation (Eq. 81) from a delta function at
    r = -1/2, since d(s_e^2)/dr = 2 W^2.
    """
    r = chk.real_array("r", r)
    if np.any(r < -0.5):
        raise ValueError(f"r contains values < -1/2 (min {r.min()!r}); s_e(r) of Eq. 67 needs "
                         f"r >= -1/2")
    return chk.positive("W", W) * np.sqrt(2.0 * r + 1.0)


LAMBDA_FORMS = ("printed", "derived")
"""Resonance-length forms: Eq. 83 as printed, or derived from Eqs. 76, 77 and 80 (1/4 of it)."""

ENERGY_FORMS = ("typical", "averaged")
"""Resonance rates: at the typical energy (Eq. 89), or averaged over the loss-free f (/ sqrt 2)."""


def _check_form(form: str) -> str:
    if form not in LAMBDA_FORMS:
        raise ValueError(f"form={form!r} is not allowed: choose one of {LAMBDA_FORMS}")
    return form


def _check_energy(energy: str) -> str:
    if energy not in ENERGY_FORMS:
        raise ValueError(f"energy={energy!r} is not allowed: choose one of {ENERGY_FORMS}")
    return energy


def resonance_length(*, W: float, J: float, form: str = "printed") -> float:
    """Hamiltonian resonance length Lambda (Eq. 83, or derived from Eqs. 76-80).

    ``form="printed"``: Lambda = pi (zeta_c W / (4 J))^2 ~ 0.41 W^2/J^2, Eq. 83 as printed (used
    for the paper's Fig. 9). ``form="derived"``: composing Eqs. 76, 77 and 80 (q = 2 rho v) with
    s_e = W sqrt(2r) gives the prefactor 1/sqrt(4 Lambda' r), Lambda' = pi (zeta_c W / (8 J))^2
    = Lambda / 4 (module docstring), i.e. a resonance rate twice the printed one.
    """
    base = math.pi * (ZETA_C * chk.positive("W", W) / (4.0 * chk.positive("J", J))) ** 2
    return base if _check_form(form) == "printed" else base / 4.0


def effective_resonance_length(*, W: float, J: float, form: str = "printed",
                               energy: str = "typical") -> float:
    """The Lambda in F_1, p(r), [C_zz] and [S(omega)]: :func:`resonance_length`, times 2 for
    ``energy="averaged"`` (the Gaussian energy factor of Eq. 82 averaged over the loss-free
    f ~ N(e_sigma, s_e^2) gives 1/sqrt(2) at r >> h^2/W^2; module docstring)."""
    lam = resonance_length(W=W, J=J, form=form)
    return 2.0 * lam if _check_energy(energy) == "averaged" else lam


def resonance_probability(e: np.ndarray, r: np.ndarray, *, zeta: float, J: float, W: float,
                          h: float, sigma: int = 1, form: str = "printed") -> np.ndarray:
    """q_sigma(e, r) of Eq. 82, per unit range, for a state of local energy e at range r > 0.

    q_sigma(e, r) = exp(-r/xi - (e - e_sigmabar)^2 / (4 W^2 r)) / sqrt(4 Lambda r), where
    e_sigmabar = -sigma h/2 is the centre of the opposite probe sector (Eq. 79) and Lambda is
    :func:`resonance_length` of ``form`` (Eq. 83 by default). ``e`` and ``r`` broadcast.
    """
    e = chk.real_array("e", e)
    r = chk.real_array("r", r)
    if np.any(r <= 0):
        raise ValueError(f"r contains values <= 0 (min {r.min()!r}); q(e, r) of Eq. 82 is "
                         f"defined for r > 0 (it diverges as r^-1/2 at r = 0)")
    if sigma not in (1, -1):
        raise ValueError(f"sigma={sigma!r} is not allowed: the probe spin sector is +1 or -1")
    h = chk.real("h", h)
    W = chk.positive("W", W)
    a = inverse_correlation_length(zeta)
    Lambda = resonance_length(W=W, J=J, form=form)
    e_opp = -sigma * h / 2.0
    expo = np.minimum(-a * r - (e - e_opp) ** 2 / (4.0 * W ** 2 * r), _EXP_MAX)
    return np.exp(expo) / np.sqrt(4.0 * Lambda * r)


def mean_resonance_probability(r: np.ndarray, *, zeta: float, J: float, W: float, h: float,
                               form: str = "printed") -> np.ndarray:
    """<q>(r) = int de N(e; e_sigma, 2 W^2 r) q_sigma(e, r): Eq. 82 averaged over the loss-free f.

    The unhybridised local energies without loss are Gaussian about e_sigma = sigma h/2 with the
    variance s^2 = 2 W^2 r that Eq. 82 uses for the opposite sector (its large-r s_e^2, Eq. 67),
    so the Gaussian integral gives exp(-r/xi) exp(-h^2 / (8 W^2 r)) / (sqrt(2) sqrt(4 Lambda r)),
    the same for sigma = +-1. It tends to Eq. 89 / sqrt(2) at r >> h^2/W^2: the rate of
    ``energy="averaged"`` (module docstring). r > 0.
    """
    r = chk.real_array("r", r)
    if np.any(r <= 0):
        raise ValueError(f"r contains values <= 0 (min {r.min()!r}); <q>(r) is defined for r > 0")
    h = chk.real("h", h)
    W = chk.positive("W", W)
    a = inverse_correlation_length(zeta)
    Lambda = resonance_length(W=W, J=J, form=form)
    expo = np.minimum(-a * r - h ** 2 / (8.0 * W ** 2 * r), _EXP_MAX)
    return np.exp(expo) / np.sqrt(2.0 * 4.0 * Lambda * r)


def _sqrt_decay_integral(r: np.ndarray, a: float, Lambda: float) -> np.ndarray:
    """G(r) = int_0^r exp(-a s) / sqrt(4 Lambda s) ds = sqrt(r/Lambda) D(a r).

    D(y) = int_0^1 exp(-y u^2) du = sqrt(pi) erf(sqrt y) / (2 sqrt y) for y > 0 and
    exp(x^2) Dawson(x) / x with x = sqrt(-y) for y < 0 (= sqrt(pi) Erfi(x) / (2x)); D(0) = 1.
    Capped so that the thermal side never overflows (F_1 then underflows to 0, as it should).
    """
    r = np.asarray(r, dtype=np.float64)
    y = a * r
    d = np.ones_like(y)
    pos, neg = y > 0, y < 0
    xp = np.sqrt(y[pos])
    d[pos] = math.sqrt(math.pi) * special.erf(xp) / (2.0 * xp)
    xn = np.sqrt(-y[neg])
    log_d = np.minimum(xn ** 2, _EXP_MAX - 50.0) + np.log(special.dawsn(xn) / xn)
    d[neg] = np.exp(log_d)
    return np.sqrt(r / Lambda) * d


def no_resonance_fraction_f1(r: np.ndarray, *, inv_xi: float, Lambda: float) -> np.ndarray:
    """F_1(r) of Eq. 91, the solution of dF_1/dr = -exp(-r/xi) F_1 / sqrt(4 Lambda r) (Eq. 90).

    F_1 = exp(-sqrt(pi xi / (4 Lambda)) Erf(sqrt(r/xi))) for xi > 0,
    exp(-sqrt(-pi xi / (4 Lambda)) Erfi(sqrt(-r/xi))) for xi < 0 and exp(-sqrt(r/Lambda)) at
    1/xi = 0 (Eq. B1). In terms of the lengths themselves (1/xi = ``inv_xi``, any real, and
    Lambda > 0), so that Sec. V can use xi(W) = 1/log(W/W_c); see :func:`no_resonance_fraction`
    for the (zeta, J, W) form.
    """
    r = chk.nonnegative_array("r", r)
    inv_xi = chk.real("inv_xi", inv_xi)
    Lambda = chk.positive("Lambda", Lambda)
    return np.exp(-_sqrt_decay_integral(r, inv_xi, Lambda))


def no_resonance_fraction(r: np.ndarray, *, zeta: float, J: float, W: float,
                          form: str = "printed", energy: str = "typical") -> np.ndarray:
    """F_1(r) of Eq. 91 with 1/xi from zeta (Eq. 39) and Lambda from (W, J).

    Lambda = :func:`effective_resonance_length` (Eq. 83 at the typical energy by default; with
    ``energy="averaged"`` the approximation of Eqs. 89-90 uses the energy-averaged rate, which
    is what the true F of Eqs. 86-88 follows at 1 << r <~ Lambda; module docstring).
    """
    return no_resonance_fraction_f1(
        r, inv_xi=inverse_correlation_length(zeta),
        Lambda=effective_resonance_length(W=W, J=J, form=form, energy=energy))


def typical_resonance_probability(r: np.ndarray, *, zeta: float, J: float, W: float,
                                  form: str = "printed") -> np.ndarray:
    """q(r) = exp(-r/xi) / sqrt(4 Lambda r) (Eq. 89): Eq. 82 at the typical energy e_sigmabar.

    Overstates the mean rate of the loss-free states by sqrt(2)
    (:func:`mean_resonance_probability`).
    """
    r = chk.real_array("r", r)
    if np.any(r <= 0):
        raise ValueError(f"r contains values <= 0 (min {r.min()!r}); q(r) of Eq. 89 is defined "
                         f"for r > 0")
    a = inverse_correlation_length(zeta)
    lam = resonance_length(W=W, J=J, form=form)
    return np.exp(np.minimum(-a * r, _EXP_MAX)) / np.sqrt(4.0 * lam * r)


def strongest_resonance_density(r: np.ndarray, *, zeta: float, J: float, W: float,
                                form: str = "printed", energy: str = "typical") -> np.ndarray:
    """p(r) = -dF_1/dr = q(r) F_1(r) (Eqs. 88-90 in the approximation of Eq. 89), r > 0.

    Lambda = :func:`effective_resonance_length` of ``form`` and ``energy``.
    """
    r = chk.real_array("r", r)
    if np.any(r <= 0):
        raise ValueError(f"r contains values <= 0 (min {r.min()!r}); p(r) is defined for r > 0")
    a = inverse_correlation_length(zeta)
    Lambda = effective_resonance_length(W=W, J=J, form=form, energy=energy)
    log_p = (np.minimum(-a * r, _EXP_MAX) - 0.5 * np.log(4.0 * Lambda * r)
             - _sqrt_decay_integral(r, a, Lambda))
    return np.exp(log_p)


def time_averaged_correlator(L: float, *, zeta: float, J: float, W: float,
                             form: str = "printed", energy: str = "typical") -> float:
    """[C_zz] = F_1(L/2) (Eqs. 48, 92): the fraction of states with no resonance.

    With the defaults the rate of Eq. 89 at the printed Lambda (Eq. 83), as in the paper;
    ``form``/``energy`` as in :func:`effective_resonance_length`.
    """
    L = chk.system_size(L)
    return float(no_resonance_fraction(np.array(L / 2.0), zeta=zeta, J=J, W=W, form=form,
                                       energy=energy))


def spectral_function(omega: np.ndarray, *, zeta: float, J: float, W: float,
                      L: float, form: str = "printed", energy: str = "typical") -> np.ndarray:
    """Continuous part of [S(omega)] in the Hamiltonian RM (Eq. 93), units of 1/J.

    [S(omega)] = p(r_omega) / (2 k |omega|) for omega_c = v(L/2) <= |omega| <= J (Eq. 52 with
    p of Eq. 88-90), r_omega = log(J/|omega|)/k. In the MBL phase this is the first line of
    Eq. 93, (1/4J) sqrt(zeta_c (1-theta_0) / (2 Lambda log|J/omega|)) |omega/J|^(-1+theta_0)
    exp(-sqrt(pi xi/4Lambda) Erf(sqrt(theta_0 log|J/omega|))) (the printed "log|4J/omega|"
    inside Erf is read as log|J/omega|: r_omega / xi = theta_0 log|J/omega|). On the thermal side
    (xi < 0, theta_0 < 0) the same p(r_omega) is used, which gives |omega/J|^(-1+theta_0); the
    second line of Eq. 93 prints |theta_0| instead. The weight [C_zz] = F_1(L/2) at omega = 0 is
    :func:`time_averaged_correlator`. Even in omega. Above omega_xi only on the thermal side
    (Sec. II C); the function does not enforce it.
    """
    omega = chk.real_array("omega", omega)
    J = chk.positive("J", J)
    L = chk.system_size(L)
    k = matrix_element_decay_rate(zeta)
    w = np.abs(omega)
    omega_c = float(matrix_element(np.array(L / 2.0), zeta=zeta, J=J))
    inside = (w >= omega_c) & (w < J) & (w > 0)
    out = np.zeros(w.shape)
    r_w = np.clip(np.log(J / w[inside]) / k, np.finfo(float).tiny, L / 2.0)
    out[inside] = strongest_resonance_density(r_w, zeta=zeta, J=J, W=W, form=form,
                                              energy=energy) / (2.0 * k * w[inside])
    return out
