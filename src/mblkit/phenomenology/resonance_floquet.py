"""Floquet resonance model (RM): resonances induced by a probe spin, [C_zz(t)] and [S(omega)].

Implements Sec. II of ``shared/papers/resonance-model-crossover.txt`` (Eqs. 36-59).

Conventions (those of the paper):

* Lengths in lattice units; the range r of a pair of l-bit states is the distance from the probe
  site n = 0 of the furthest flipped l-bit (Eq. 10), treated as continuous, 0 <= r <= L/2.
* ``J`` is the norm of the probe-chain coupling V (|V| = J, Eq. 16); ``Omega`` the drive
  frequency (quasienergies live in [0, Omega)); frequencies and matrix elements are in the units of
  J and Omega; time t in units of 1/J (stroboscopic times t in T*N in the paper; the formulas are
  used for any real t).
* ``zeta`` is the bare localisation length (Eq. 12), ``zeta_c = 1/log 2`` (Eq. 39); the
  correlation length xi (Eq. 39) is negative on the thermal side zeta > zeta_c and infinite at
  zeta = zeta_c. Internally every formula uses 1/xi = (zeta_c - zeta) / (zeta zeta_c), which is
  finite everywhere and exactly 0 for ``zeta == ZETA_C``.
* The probe operator is the Pauli sigma^z_P, so [C_zz(0)] = 1 (Eq. 21).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy import integrate

from mblkit.phenomenology import _resonance_checks as chk

ZETA_C = 1.0 / math.log(2.0)  # critical localisation length of the RM, Eq. 39
_EXP_MAX = 700.0  # exponents beyond this over/underflow float64


# --------------------------------------------------------------------------------------------
# Length scales and exponents
# --------------------------------------------------------------------------------------------

def inverse_correlation_length(zeta: float) -> float:
    """1/xi = 1/zeta - 1/zeta_c, zeta_c = 1/log 2 (Eq. 39), in inverse lattice units.

    Positive in the RM MBL phase (zeta < zeta_c), zero at the transition, negative on the
    thermal side. Computed as (zeta_c - zeta) / (zeta zeta_c), so ``zeta=ZETA_C`` gives exactly 0.
    """
    zeta = chk.positive("zeta", zeta)
    return (ZETA_C - zeta) / (zeta * ZETA_C)


def correlation_length(zeta: float) -> float:
    """xi of Eq. 39 (lattice units): +inf at zeta = zeta_c, negative for zeta > zeta_c."""
    a = inverse_correlation_length(zeta)
    return math.inf if a == 0 else 1.0 / a


def theta0(zeta: float) -> float:
    """theta_0 = zeta_c / (2 xi + zeta_c) of Eq. 51, written as zeta_c a / (2 + zeta_c a), a = 1/xi.

    theta_0 -> 1 deep in the MBL phase (zeta -> 0), theta_0 = 0 at zeta = zeta_c, and
    -1 < theta_0 < 0 on the thermal side (where the paper uses |theta_0|, Eq. 59).
    """
    a = inverse_correlation_length(zeta)
    return ZETA_C * a / (2.0 + ZETA_C * a)


def matrix_element_decay_rate(zeta: float) -> float:
    """k = 1/zeta + 1/zeta_c = 1/xi + 2/zeta_c = 1/(theta_0 xi) > 0: v(r) = J exp(-k r) (Eq. 38)."""
    zeta = chk.positive("zeta", zeta)
    return 1.0 / zeta + 1.0 / ZETA_C


def resonance_length(J: float, Omega: float) -> float:
    """Floquet resonance length Lambda = zeta_c Omega / (8 J) (Eq. 43), lattice units."""
    return ZETA_C * chk.positive("Omega", Omega) / (8.0 * chk.positive("J", J))


def theta_c(Lambda: float) -> float:
    """theta_c = zeta_c / (2 Lambda), the exponent at the Floquet RM transition (Eq. 57)."""
    return ZETA_C / (2.0 * chk.positive("Lambda", Lambda))


def theta_exponent(zeta: float, *, J: float, Omega: float) -> float:
    """Low-frequency exponent theta of [S(omega)] ~ omega^(-1+theta) for L >> Lambda (Eq. 57).

    theta = theta_0 (Eq. 51) in the RM MBL phase zeta < zeta_c and theta = theta_c =
    zeta_c/(2 Lambda) exactly at the transition (the jump of Fig. 2a). On the thermal side the
    RM gives no low-frequency exponent (Sec. II C): a ValueError is raised; use
    :func:`theta_effective` above omega_xi (Eq. 59) there. Pass ``zeta=ZETA_C`` for the
    transition itself.
    """
    a = inverse_correlation_length(zeta)
    Lambda = resonance_length(J, Omega)
    if a < 0:
        raise ValueError(f"zeta={zeta!r} is not allowed: theta of Eq. 57 is defined for "
                         f"zeta <= zeta_c = {ZETA_C!r} (use theta_effective on the thermal side)")
    return theta_c(Lambda) if a == 0 else theta0(zeta)


# --------------------------------------------------------------------------------------------
# Counting of states and resonances, Eqs. 36-46
# --------------------------------------------------------------------------------------------

def states_at_range(r: np.ndarray) -> np.ndarray:
    """N_r, the number of l-bit states at range exactly r from a reference state (Eq. 36).

    N_0 = 1 and N_r = (3/2) 4^r for integer r >= 1 (all 2^(2r+1) states within range r, minus
    those within range r - 1). ``r`` must hold non-negative integers.
    """
    r = chk.nonnegative_array("r", r)
    if np.any(r != np.round(r)):
        raise ValueError("r contains non-integer values; N_r of Eq. 36 is defined for integer "
                         "ranges r >= 0")
    return np.where(r == 0, 1.0, 1.5 * 4.0 ** r)


def matrix_element(r: np.ndarray, *, zeta: float, J: float) -> np.ndarray:
    """v(r) = J exp(-r/xi - 2r/zeta_c) = J exp(-r/zeta - r/zeta_c) (Eq. 38), units of J.

    The characteristic off-diagonal matrix element at range r; the prefactor sqrt(2/3) of
    |V_r| / sqrt(N_r) is dropped, as in the paper.
    """
    r = chk.nonnegative_array("r", r)
    return chk.positive("J", J) * np.exp(-matrix_element_decay_rate(zeta) * r)


def density_of_states_at_range(r: np.ndarray, *, Omega: float) -> np.ndarray:
    """rho(r) = 4 exp(2r/zeta_c) / (zeta_c Omega) (Eq. 40): states per unit quasienergy and range.

    The derivative in r of the 2^(2r+1) states within range r spread uniformly over [0, Omega).
    """
    r = chk.nonnegative_array("r", r)
    return 4.0 * np.exp(np.minimum(2.0 * r / ZETA_C, _EXP_MAX)) / (ZETA_C
                                                                   * chk.positive("Omega", Omega))


def resonance_probability(r: np.ndarray, *, zeta: float, J: float, Omega: float) -> np.ndarray:
    """q(r) = exp(-r/xi) / Lambda (Eq. 42) = 2 v(r) rho(r) (Eq. 41 to first order).

    Probability per unit range that a reference state finds a resonance at range r.
    """
    r = chk.nonnegative_array("r", r)
    a = inverse_correlation_length(zeta)
    return np.exp(np.minimum(-a * r, _EXP_MAX)) / resonance_length(J, Omega)


def _decay_integral(r: np.ndarray, a: float) -> np.ndarray:
    """int_0^r exp(-a s) ds = (1 - exp(-a r)) / a, and r for a = 0 (capped against overflow)."""
    if a == 0:
        return np.asarray(r, dtype=np.float64)
    return -np.expm1(np.minimum(-a * r, _EXP_MAX)) / a


def no_resonance_fraction(r: np.ndarray, *, zeta: float, J: float, Omega: float) -> np.ndarray:
    """F(r) = exp(-(xi/Lambda) (1 - exp(-r/xi))) (Eq. 45): fraction with no resonance up to r.

    Solution of dF/dr = -q(r) F (Eq. 44) with F(0) = 1; at zeta = zeta_c it is exp(-r/Lambda).
    """
    r = chk.nonnegative_array("r", r)
    a = inverse_correlation_length(zeta)
    return np.exp(-_decay_integral(r, a) / resonance_length(J, Omega))


def strongest_resonance_density(r: np.ndarray, *, zeta: float, J: float,
                                Omega: float) -> np.ndarray:
    """p(r) = -dF/dr = q(r) F(r) (Eq. 46): density of the range of the strongest resonance.

    int_0^(L/2) p dr = 1 - F(L/2); evaluated in logarithms so that the thermal side
    (xi < 0, q growing) never overflows.
    """
    r = chk.nonnegative_array("r", r)
    a = inverse_correlation_length(zeta)
    Lambda = resonance_length(J, Omega)
    log_p = np.minimum(-a * r, _EXP_MAX) - math.log(Lambda) - _decay_integral(r, a) / Lambda
    return np.exp(log_p)


def time_averaged_correlator(L: float, *, zeta: float, J: float, Omega: float) -> float:
    """[C_zz] = F(L/2) (Eq. 48): infinite-time memory of the probe spin, the order parameter."""
    L = chk.system_size(L)
    return float(no_resonance_fraction(np.array(L / 2), zeta=zeta, J=J, Omega=Omega))


# --------------------------------------------------------------------------------------------
# Time domain, Eqs. 47-50
# --------------------------------------------------------------------------------------------

def _oscillating_part(t: float, zeta: float, J: float, Omega: float, L: float) -> float:
    """int_0^(L/2) p(r) cos(v(r) t) dr of Eq. 47 by adaptive quadrature (QUADPACK).

    With u = v(r)|t| = J|t| e^(-k r), the part of the range where u > 1 oscillates; it is
    integrated in u with the cosine weight (QAWO), the rest directly in r.
    """
    k = matrix_element_decay_rate(zeta)
    half = L / 2.0
    jt = J * abs(t)

    a = inverse_correlation_length(zeta)
    Lambda = resonance_length(J, Omega)
    log_lambda = math.log(Lambda)

    def p_of_r(r: float) -> float:  # Eq. 46, scalar and unchecked for speed
        decay = r if a == 0 else -math.expm1(min(-a * r, _EXP_MAX)) / a
        return math.exp(min(-a * r, _EXP_MAX) - log_lambda - decay / Lambda)

    total = 0.0
    r_star = math.log(jt) / k if jt > 1.0 else 0.0  # v(r_star) |t| = 1
    if r_star < half:  # non-oscillating tail, v t <= 1
        val, _ = integrate.quad(lambda r: p_of_r(r) * math.cos(jt * math.exp(-k * r)),
                                r_star, half, limit=200, epsabs=1e-13, epsrel=1e-10)
        total += val
    if jt > 1.0:  # oscillating part, u from max(1, jt e^{-k L/2}) to jt
        u_lo = max(1.0, jt * math.exp(-k * half))

        def f_of_u(u: float) -> float:
            return p_of_r(math.log(jt / u) / k) / (k * u)

        # octaves [u, 2u]: f is smooth on each, so QAWO's Chebyshev moments stay accurate
        # however many periods an octave holds
        edges = u_lo * 2.0 ** np.arange(0, math.ceil(math.log2(jt / u_lo)) + 1)
        edges[-1] = jt
        for lo, hi in itertools.pairwise(edges):
            val, _ = integrate.quad(f_of_u, lo, hi, weight="cos", wvar=1.0, limit=200,
                                    epsabs=1e-15, epsrel=1e-10)
            total += val
    return total


def correlator(t: np.ndarray, *, zeta: float, J: float, Omega: float, L: float) -> np.ndarray:
    """[C_zz(t)] = F(L/2) + int_0^(L/2) dr p(r) cos(v(r) t) (Eq. 47) by accurate quadrature.

    Vectorised over t (any real t; the correlator is even in t); [C_zz(0)] = 1 and the time
    average is F(L/2) (Eq. 48). Each t costs one adaptive quadrature (QAWO for the oscillating
    part), accurate to ~1e-10 absolute.
    """
    t = chk.real_array("t", t)
    J = chk.positive("J", J)
    L = chk.system_size(L)
    base = time_averaged_correlator(L, zeta=zeta, J=J, Omega=Omega)
    out = np.empty(t.shape)
    for idx, tv in np.ndenumerate(t):
        out[idx] = base + _oscillating_part(float(tv), zeta, J, Omega, L)
    return out


def light_cone_front(t: np.ndarray, *, zeta: float, J: float, L: float) -> np.ndarray:
    """r(t) = (1/2) min(zeta_c (1 - theta_0) log(J t), L) (Eq. 50), the solution of v(r) t = 1.

    (zeta_c (1 - theta_0)/2 = 1/k with v(r) = J e^(-k r).) For J|t| <= 1 every range has
    v(r)|t| <= 1, no cat state has dephased yet, and r(t) = 0 is returned (so F(r(t)) = 1).
    """
    t = chk.real_array("t", t)
    J = chk.positive("J", J)
    L = chk.system_size(L)
    k = matrix_element_decay_rate(zeta)
    return np.minimum(np.log(np.maximum(J * np.abs(t), 1.0)) / k, L / 2.0)


def correlator_light_cone(t: np.ndarray, *, zeta: float, J: float, Omega: float,
                          L: float) -> np.ndarray:
    """[C_zz(t)] ~ F(r(t)) (Eq. 49): Eq. 47 with cos(v t) replaced by the Iverson [[v t < 1]]."""
    r_t = light_cone_front(t, zeta=zeta, J=J, L=L)
    return no_resonance_fraction(r_t, zeta=zeta, J=J, Omega=Omega)


# --------------------------------------------------------------------------------------------
# Frequency domain, Eqs. 52-59
# --------------------------------------------------------------------------------------------

def cutoff_frequency(*, zeta: float, J: float, L: float) -> float:
    """omega_c = v(L/2) = J exp(-L/(2 xi) - L/zeta_c) (Eq. 54), the smallest matrix element.

    Eq. 55 writes this as (omega_H / Lambda) exp(-L/(2 xi)); that form equals Eq. 54 times
    8/zeta_c = 8 log 2 ~ 5.5 (an O(1) factor dropped in the paper). Eq. 54 is used.
    """
    L = chk.system_size(L)
    return float(matrix_element(np.array(L / 2), zeta=zeta, J=J))


def heisenberg_frequency(*, Omega: float, L: float) -> float:
    """omega_H = Omega 2^(-L) (Eq. 55): the many-body level spacing of the chain."""
    return chk.positive("Omega", Omega) * 2.0 ** (-chk.system_size(L))


def crossover_frequency(zeta: float, *, J: float) -> float:
    """omega_xi = v(|xi|) = J exp(-1/|theta_0|) (Eq. 59); 0 at the transition.

    Above omega_xi the thermal side still shows the critical RM power law (Sec. II C).
    """
    th = theta0(zeta)
    J = chk.positive("J", J)
    return 0.0 if th == 0 else J * math.exp(-1.0 / abs(th))


def spectral_function(omega: np.ndarray, *, zeta: float, J: float, Omega: float,
                      L: float) -> np.ndarray:
    """Continuous part of [S(omega)] (Eqs. 52-53), units of 1/J.

    [S(omega)] = (1/2) int dr delta(|omega| - v(r)) p(r) = p(r_omega) / (2 k |omega|) for
    omega_c <= |omega| <= J, with r_omega = log(J/|omega|)/k, k = 1/(theta_0 xi); zero outside.
    This equals the closed form of Eq. 53 in the MBL phase and continues it to the thermal side.
    The remaining weight [C_zz] sits in a delta function at omega = 0
    (:func:`time_averaged_correlator`), so int [S] d omega over both signs = 1 - [C_zz].
    Even in omega.
    """
    omega = chk.real_array("omega", omega)
    J = chk.positive("J", J)
    L = chk.system_size(L)
    k = matrix_element_decay_rate(zeta)
    w = np.abs(omega)
    inside = (w >= cutoff_frequency(zeta=zeta, J=J, L=L)) & (w <= J) & (w > 0)
    out = np.zeros(w.shape)
    r_w = np.log(J / w[inside]) / k
    r_w = np.clip(r_w, 0.0, L / 2.0)  # rounding at the two ends
    out[inside] = strongest_resonance_density(r_w, zeta=zeta, J=J, Omega=Omega) / (2 * k
                                                                                 * w[inside])
    return out


def theta_effective(omega: np.ndarray, *, zeta: float, J: float, Omega: float) -> np.ndarray:
    """Local exponent theta(omega) = 1 + d log[S] / d log|omega| of Eq. 53, 0 < |omega| <= J.

    theta(omega) = theta_0 + (theta_0 xi / Lambda) |omega/J|^theta_0 (from Eq. 53; exactly
    (1/xi + q(r_omega)) / k). It tends to theta_0 for omega -> 0 in the MBL phase, equals
    theta_c = zeta_c/(2 Lambda) at every omega at the transition, and gives the continuously
    varying exponent theta_c + O(theta_0) of region I at omega ~ omega_c (Sec. II B 5).
    """
    omega = chk.real_array("omega", omega)
    J = chk.positive("J", J)
    w = np.abs(omega)
    if np.any((w == 0) | (w > J)):
        raise ValueError("omega contains values with |omega| = 0 or |omega| > J; the exponent "
                         "is defined for 0 < |omega| <= J")
    k = matrix_element_decay_rate(zeta)
    a = inverse_correlation_length(zeta)
    r_w = np.log(J / w) / k
    return (a + resonance_probability(r_w, zeta=zeta, J=J, Omega=Omega)) / k
