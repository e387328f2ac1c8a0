"""Finite-size predictions of the resonance model (Sec. V).

Implements Eqs. 116-131 and App. D of ``shared/papers/resonance-model-crossover.txt``: the probe
entropy [S_P] of Fig. 9 (Eq. 120), the drift W_delta(L) of the crossover (Eq. 116 solved
numerically, Eq. 117 / D1 its closed form), the Thouless frequency (Eq. 122), the mean log
fidelity susceptibility (Eq. 126) and the expected number of resonances behind the rho*vbar
criterion (Eqs. 128-131; the matrix-element form is in
:mod:`mblkit.phenomenology.resonance_generalised`).

Conventions: as in Fig. 9, the Hamiltonian RM with 1/xi = log(W/W_c) (Eq. D4) and the resonance
length of Eq. 83 at the running disorder, Lambda(W) = pi (zeta_c W / 4J)^2 = (W/W_c)^2
Lambda(W_c); [C_zz] = F_1(L/2) of Eq. 91. Lengths in lattice units, frequencies in units of J.
The [C_zz]-based functions take ``form`` and ``energy`` of
:func:`mblkit.phenomenology.resonance_hamiltonian.effective_resonance_length`: the defaults
("printed", "typical") reproduce Fig. 9; ("derived", "averaged") use the model's own counting
(Eqs. 76-80) and the energy-averaged rate, an effective Lambda of half Eq. 83's.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import integrate, optimize

from mblkit.phenomenology import _resonance_checks as chk
from mblkit.phenomenology import resonance_floquet as floquet
from mblkit.phenomenology import resonance_hamiltonian as hamiltonian


def inverse_correlation_length_from_disorder(W: np.ndarray, *, W_c: float) -> np.ndarray:
    """1/xi = log(W / W_c) (Eq. D4, Fig. 9): positive (MBL) above W_c, negative below."""
    W = chk.positive_array("W", W)
    return np.log(W / chk.positive("W_c", W_c))


def time_averaged_correlator(W: np.ndarray, *, L: float, W_c: float, J: float,
                             form: str = "printed", energy: str = "typical") -> np.ndarray:
    """[C_zz](W) = F_1(L/2) (Eqs. 91-92) with 1/xi = log(W/W_c) and Lambda(W) of Eq. 83.

    Lambda(W) = effective_resonance_length(W, J, form, energy) (Eq. 83 by default).
    """
    W = chk.positive_array("W", W)
    L = chk.system_size(L)
    lam1 = hamiltonian.effective_resonance_length(W=1.0, J=J, form=form, energy=energy)
    out = np.empty(W.shape)
    for idx, w in np.ndenumerate(W):
        out[idx] = float(hamiltonian.no_resonance_fraction_f1(
            np.array(L / 2.0), inv_xi=math.log(w / W_c), Lambda=lam1 * float(w) ** 2))
    return out


def probe_entropy(W: np.ndarray, *, L: float, W_c: float, J: float, form: str = "printed",
                  energy: str = "typical") -> np.ndarray:
    """[S_P] = log 2 (1 - [C_zz]) (Eq. 120): eigenstate-averaged probe entanglement entropy.

    Maximal (log 2) in the cat states, zero in the fraction [C_zz] = F_1(L/2) of states with no
    resonance. Vectorised over W (Fig. 9 main panel, x axis W / W_c).
    """
    return math.log(2.0) * (1.0 - time_averaged_correlator(W, L=L, W_c=W_c, J=J, form=form,
                                                           energy=energy))


def probe_entropy_infinite_size(W: np.ndarray, *, W_c: float, J: float, form: str = "printed",
                                energy: str = "typical") -> np.ndarray:
    """The L -> infinity limit of Eq. 120 (dashed line of Fig. 9).

    F_1(inf) = exp(-sqrt(pi xi / (4 Lambda))) for W > W_c (xi > 0) and 0 for W <= W_c, so
    [S_P] = log 2 on the thermal side.
    """
    inv_xi = inverse_correlation_length_from_disorder(W, W_c=W_c)
    lam = (hamiltonian.effective_resonance_length(W=1.0, J=J, form=form, energy=energy)
           * np.asarray(W, dtype=np.float64) ** 2)
    safe = np.where(inv_xi > 0, inv_xi, 1.0)
    f_inf = np.where(inv_xi > 0, np.exp(-np.sqrt(math.pi / (4.0 * lam * safe))), 0.0)
    return math.log(2.0) * (1.0 - f_inf)


def w_delta(L: np.ndarray, *, delta: float, W_c: float, J: float, form: str = "printed",
            energy: str = "typical") -> np.ndarray:
    """W_delta(L): the disorder at which [C_zz] = delta (Eq. 116), solved numerically (Brent).

    [C_zz](W) = F_1(L/2) increases monotonically from 0 (W -> 0) to 1 (W -> inf), so the root is
    unique. Vectorised over L (>= 1); Fig. 9 inset uses delta = 0.01, W_c = 10, J = 1.
    """
    L = np.asarray(L, dtype=np.float64)
    delta = chk.positive("delta", delta)
    if delta >= 1:
        raise ValueError(f"delta={delta!r} is not allowed: it must lie in (0, 1)")
    W_c = chk.positive("W_c", W_c)
    J = chk.positive("J", J)
    hamiltonian.effective_resonance_length(W=1.0, J=J, form=form, energy=energy)  # checks
    out = np.empty(L.shape)
    for idx, ell in np.ndenumerate(L):
        ell = chk.system_size(float(ell))

        def gap(log_w: float, ell: float = ell) -> float:
            return math.log(float(time_averaged_correlator(
                np.array(math.exp(log_w)), L=ell, W_c=W_c, J=J, form=form, energy=energy))
                + 1e-300) \
                - math.log(delta)

        lo, hi = math.log(W_c) - 1.0, math.log(W_c) + 1.0
        while gap(lo) > 0:
            lo -= 1.0
        while gap(hi) < 0:
            hi += 1.0
        out[idx] = math.exp(optimize.brentq(gap, lo, hi, xtol=1e-14, rtol=1e-13))
    return out


def w_delta_closed_form(L: np.ndarray, *, W_c: float, ell_delta: float) -> np.ndarray:
    """W_delta(L) ~ W_c exp(-ell_delta / (L + 1)) (Eq. 117 / D1) for a delta-dependent ell_delta.

    As printed. Approximately linear in L around its inflection point L = ell_delta/2 - 1.
    Redoing App. D with Lambda(W) = (W/W_c)^2 Lambda(W_c) inside sqrt(2 L Lambda) gives
    (L + 2)/|xi| = 2 log(|log delta| sqrt(2 L Lambda(W_c)) / |xi|) in place of Eq. D6, i.e.
    L + 2 instead of L + 1; the solution of that equation converges to :func:`w_delta` as
    delta -> 0 (tested), the printed one does not.
    """
    L = chk.positive_array("L", L)
    return chk.positive("W_c", W_c) * np.exp(-chk.real("ell_delta", ell_delta) / (L + 1.0))


def fit_ell_delta(L: np.ndarray, W_delta: np.ndarray, *, W_c: float) -> float:
    """Least-squares ell_delta of Eq. 117 from W_delta(L): log(W_delta / W_c) = -ell / (L + 1)."""
    L = chk.positive_array("L", L)
    y = np.log(chk.positive_array("W_delta", W_delta) / chk.positive("W_c", W_c))
    if L.shape != y.shape:
        raise ValueError(f"L has shape {L.shape} but W_delta has shape {y.shape}")
    x = 1.0 / (L + 1.0)
    return float(-np.dot(x, y) / np.dot(x, x))


def thouless_frequency(xi: np.ndarray, *, L: float, J: float) -> np.ndarray:
    """omega_Th = J xi^2 / L^2 exp(-2|xi|/zeta_c) (Eq. 122), thermal side (any xi; uses |xi|).

    omega_Th = D / L^2 with D = omega_xi xi^2 and omega_xi = v(|xi|) (Eq. 59) up to an O(1)
    factor (e on the thermal side), which Eq. 122 drops. Vectorised over xi (lattice units).
    """
    xi = chk.real_array("xi", xi)
    if np.any(xi == 0):
        raise ValueError("xi contains 0: the correlation length must be non-zero")
    L = chk.system_size(L)
    return chk.positive("J", J) * xi ** 2 / L ** 2 * np.exp(-2.0 * np.abs(xi) / floquet.ZETA_C)


def mean_log_fidelity_susceptibility(L: float, *, zeta: float, J: float, Omega: float,
                                     U: float) -> float:
    """[log chi] = int_0^(L/2) dr s(r) log(|U|^2 rho(r)^2) of the Floquet RM (Eq. 126).

    s(r) = q(r) exp(-int_r^(L/2) q) is the probability that a state's longest-range resonance
    is at r, rho(r) of Eq. 40 the inverse level spacing at range r (so log(|U|^2 rho^2) =
    2 log(4|U| / (zeta_c Omega)) + 4 r / zeta_c) and |U| the norm of the perturbation. The
    L-independent contribution of non-resonant states is omitted, as in Eq. 126. In regions I-II
    (xi -> inf) [log chi] = L (2 log 2 + O(Lambda/L)), the "maximal chaos" of Eq. 125.
    The integrand's r-dependence is in closed form; the integral is adaptive quadrature.
    """
    L = chk.system_size(L)
    U = chk.positive("U", U)
    Omega = chk.positive("Omega", Omega)
    a = floquet.inverse_correlation_length(zeta)
    Lambda = floquet.resonance_length(J, Omega)
    half = L / 2.0
    const = 2.0 * math.log(4.0 * U / (floquet.ZETA_C * Omega))

    def cum_q(r: float) -> float:  # int_0^r q
        return r / Lambda if a == 0 else -math.expm1(-a * r) / (a * Lambda)

    total_q = cum_q(half)

    def integrand(r: float) -> float:
        s = math.exp(min(-a * r, 700.0) - math.log(Lambda) - (total_q - cum_q(r)))
        return s * (const + 4.0 * r / floquet.ZETA_C)

    val, _ = integrate.quad(integrand, 0.0, half, limit=200, epsabs=1e-13, epsrel=1e-11)
    return val


def expected_resonance_number(L: float, *, zeta: float, J: float, Omega: float) -> float:
    """int_0^(L/2) q(r) dr = (xi/Lambda)(1 - exp(-L/(2 xi))) for the Floquet RM (Eq. 128).

    The expected number of first-order resonances induced by one local perturbation; MBL in
    the RM needs it << 1. It saturates at xi/Lambda in the MBL phase, grows as L/(2 Lambda) at
    the transition and exponentially in L on the thermal side (the analogue of Eq. 131's
    rho vbar ~ 2^(L/2)); it equals 2 rho vbar of Eq. 129 with the Floquet varrho of Eq. 98.
    """
    L = chk.system_size(L)
    a = floquet.inverse_correlation_length(zeta)
    Lambda = floquet.resonance_length(J, Omega)
    if a == 0:
        return L / (2.0 * Lambda)
    return float(-math.expm1(min(-a * L / 2.0, 700.0)) / (a * Lambda))
