"""Mean-field flow of the multi-scale avalanche scheme and the lengths derived from it.

Paper: ``shared/papers/multiscale-avalanche-scheme.txt`` (main text Eqs. 5-8 and SM C, Eqs.
13-24). With alpha_k = 1 / zeta_k the inverse running localisation length seen by bare resonant
spots of order k (k adjacent resonant bonds),

    alpha_1 = 1 / zeta_1 = -log(eps / K)                      (zeta_1(eps), main text / SM C.1)
    l_k     = k (s a / 2) / (alpha_k - s)                     (Eq. 6 = Eq. 16, the collar)
    rho_k   = eps^k (k + 2 l_k / a)                           (thermal fraction of order k)
    alpha_{k+1} = (1 - rho_k) alpha_k                         (Eq. 5 = Eq. 15)

with s = log(d_s) / a the entropy density (d_s states per site, lattice spacing a) and
alpha_c = s = 1 / zeta_c (Eq. 7). Lengths are in the units of a; eps is the probability that a
nearest-neighbour coupling is resonant (inverse disorder strength); K > 0 is the non-universal
constant of zeta_1(eps).

The flow is *localised* when alpha_k converges to alpha_inf > s, and *thermal* when alpha_k <= s
at a finite k = k*: there l_{k*} is infinite and a bare spot of order k* starts an avalanche.
At eps = 0 there are no resonances (alpha_1 = +inf, zeta_1 = 0): localised, nothing thermal.

Iteration stops, for each eps, at the first k with alpha_k <= s (thermal) or when the update no
longer changes alpha_k in floating point while k > eps / (1 - eps); from there rho_k decreases
at every step (rho_{k+1} / rho_k = eps (k + 1) / k < 1 at fixed alpha), so alpha_k is exactly
converged. Functions of eps accept arrays and iterate all eps values together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

DEFAULT_K_MAX = 100_000


def check_eps(eps: float | np.ndarray, name: str = "eps") -> np.ndarray:
    """eps as a float array; ValueError naming the value unless every entry lies in [0, 1]."""
    arr = np.asarray(eps, dtype=np.float64)
    if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any((arr < 0) | (arr > 1)):
        raise ValueError(f"{name}={eps!r} is not allowed: it must lie in [0, 1] (the "
                         "probability that a bond is resonant)")
    return arr


def check_positive(name: str, value: float) -> float:
    """A finite real number > 0, else ValueError naming it."""
    if (not isinstance(value, int | float | np.integer | np.floating)
            or isinstance(value, bool) or not math.isfinite(value) or value <= 0):
        raise ValueError(f"{name}={value!r} is not allowed: it must be a finite number > 0")
    return float(value)


def entropy_density(d_s: float = 2.0, a: float = 1.0) -> float:
    """Entropy density s = log(d_s) / a (main text, before Eq. 1), in units of 1 / a.

    d_s >= 2 states per site, lattice spacing a > 0. s = 1 / zeta_c (Eq. 7).
    """
    if (not isinstance(d_s, int | float | np.integer | np.floating) or isinstance(d_s, bool)
            or not math.isfinite(d_s) or d_s < 2):
        raise ValueError(f"d_s={d_s!r} is not allowed: it must be a number of states >= 2")
    return math.log(d_s) / check_positive("a", a)


def bare_localisation_length(eps: float | np.ndarray, K: float) -> np.ndarray:
    """zeta_1(eps) = -1 / log(eps / K) (main text before Eq. 5; SM C.1), in units of a.

    eps in [0, 1]; K > 0. zeta_1 = 0 at eps = 0. For eps >= K the formula has no positive value
    (bare couplings are not small); it returns +inf there, i.e. alpha_1 = 1 / zeta_1 <= 0.
    """
    e = check_eps(eps)
    check_positive("K", K)
    with np.errstate(divide="ignore"):
        alpha1 = np.log(K) - np.log(e)
    return np.where(alpha1 > 0, 1.0 / np.where(alpha1 > 0, alpha1, 1.0), np.inf)


def _initial_alpha(eps: np.ndarray, K: float) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(K) - np.log(eps)  # +inf at eps = 0


def _iterate(eps: np.ndarray, K: float, s: float, a: float, k_max: int
             ) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised flow for an array of eps: (final alpha, k*); k* = inf where localised.

    The final alpha is alpha_inf where localised and alpha_{k*} (<= s) where thermal.
    """
    alpha = _initial_alpha(eps, K)
    k_star = np.full(eps.shape, np.inf)
    active = np.isfinite(alpha)  # eps = 0: alpha = inf, localised from the start
    idx = np.flatnonzero(active)
    e = eps[idx]
    al = alpha[idx]
    for k in range(1, k_max + 1):
        if idx.size == 0:
            return alpha, k_star
        hot = al <= s
        if hot.any():
            k_star[idx[hot]] = k
            alpha[idx[hot]] = al[hot]
            keep = ~hot
            idx, e, al = idx[keep], e[keep], al[keep]
        collar = k * (s * a / 2.0) / (al - s)
        rho = e**k * (k + 2.0 * collar / a)
        new = (1.0 - rho) * al
        done = (new == al) & (k * (1.0 - e) > e)
        if done.any():
            alpha[idx[done]] = al[done]
            keep = ~done
            idx, e, new = idx[keep], e[keep], new[keep]
        al = new
    if idx.size:
        raise RuntimeError(f"the flow at eps={eps[idx[:3]]} (K={K}) is undecided after "
                           f"k_max={k_max} steps: raise k_max")
    return alpha, k_star


def _setup(eps, K: float, d_s: float, a: float, k_max: int) -> tuple[np.ndarray, float]:
    e = check_eps(eps)
    check_positive("K", K)
    s = entropy_density(d_s, a)
    if not isinstance(k_max, int | np.integer) or k_max < 1:
        raise ValueError(f"k_max={k_max!r} is not allowed: it must be an integer >= 1")
    return e, s


@dataclass(frozen=True)
class FlowResult:
    """The mean-field flow of one eps (SM C.2, Eqs. 15-16); lengths in units of a.

    alpha : alpha_k for k = 1 .. n (n = k* if thermal, the converged k if localised);
    collar : l_k (Eq. 16) for the k with alpha_k > s (all but the last entry when thermal);
    rho : rho_k = eps^k (k + 2 l_k / a) for the same k;
    k_star : the avalanche order k* (inf when localised); alpha_inf : lim alpha_k (nan when
    thermal); s, a : entropy density and lattice spacing.
    """

    eps: float
    K: float
    s: float
    a: float
    alpha: np.ndarray
    collar: np.ndarray
    rho: np.ndarray
    k_star: float
    alpha_inf: float

    @property
    def localised(self) -> bool:
        """True when alpha_k -> alpha_inf > s (the flow's localised fixed point)."""
        return not math.isfinite(self.k_star)

    @property
    def k(self) -> np.ndarray:
        """Orders k = 1 .. n of the entries of ``alpha``."""
        return np.arange(1, self.alpha.size + 1)

    def collar_at(self, k: np.ndarray | int) -> np.ndarray:
        """l_k (Eq. 16) for any orders k >= 1: inf for k >= k*, linear beyond convergence.

        Beyond the last iterated order of a localised flow alpha_k = alpha_inf exactly, so
        l_k = k (s a / 2) / (alpha_inf - s) (Eq. 17).
        """
        kk = np.asarray(k)
        if np.any(kk < 1):
            raise ValueError(f"k={k!r} is not allowed: orders are integers >= 1")
        out = np.empty(kk.shape, dtype=np.float64)
        n = self.collar.size
        inside = kk <= n
        out[inside] = self.collar[kk[inside].astype(np.int64) - 1]
        if self.localised:
            out[~inside] = kk[~inside] * (self.s * self.a / 2.0) / (self.alpha_inf - self.s)
        else:
            out[~inside] = np.inf
        return out


def mean_field_flow(eps: float, K: float, *, d_s: float = 2.0, a: float = 1.0,
                    k_max: int = DEFAULT_K_MAX) -> FlowResult:
    """Iterate Eqs. 15-16 (SM C.2) for one eps and record alpha_k, l_k, rho_k.

    eps in [0, 1], K > 0, d_s states per site, lattice spacing a (lengths in units of a).
    """
    e_arr, s = _setup(eps, K, d_s, a, k_max)
    if e_arr.ndim != 0:
        raise ValueError(f"eps={eps!r} is not allowed here: pass one number (the vectorised "
                         "functions take arrays)")
    e = float(e_arr)
    alpha = float(_initial_alpha(np.asarray(e), K))
    if not math.isfinite(alpha):  # eps = 0: no resonances at all
        return FlowResult(e, float(K), s, float(a), np.array([np.inf]), np.zeros(1),
                          np.zeros(1), math.inf, math.inf)
    alphas: list[float] = [alpha]
    collars: list[float] = []
    rhos: list[float] = []
    for k in range(1, k_max + 1):
        if alpha <= s:
            return FlowResult(e, float(K), s, float(a), np.array(alphas), np.array(collars),
                              np.array(rhos), float(k), math.nan)
        collar = k * (s * a / 2.0) / (alpha - s)
        rho = e**k * (k + 2.0 * collar / a)
        collars.append(collar)
        rhos.append(rho)
        new = (1.0 - rho) * alpha
        if new == alpha and k * (1.0 - e) > e:
            return FlowResult(e, float(K), s, float(a), np.array(alphas), np.array(collars),
                              np.array(rhos), math.inf, alpha)
        alpha = new
        alphas.append(alpha)
    raise RuntimeError(f"the flow at eps={e} (K={K}) is undecided after k_max={k_max} steps: "
                       "raise k_max")


def is_localised(eps: float | np.ndarray, K: float, *, d_s: float = 2.0, a: float = 1.0,
                 k_max: int = DEFAULT_K_MAX) -> np.ndarray:
    """True where the flow (Eqs. 15-16) reaches alpha_inf > s, False where it reaches s."""
    e, s = _setup(eps, K, d_s, a, k_max)
    _, k_star = _iterate(np.atleast_1d(e), float(K), s, float(a), k_max)
    return np.isinf(k_star).reshape(e.shape)


def critical_eps_bracket(K: float | np.ndarray, *, d_s: float = 2.0, a: float = 1.0,
                         tol: float = 1e-13, k_max: int = DEFAULT_K_MAX
                         ) -> tuple[np.ndarray, np.ndarray]:
    """(eps_lo, eps_hi) with eps_lo localised, eps_hi thermal and eps_hi - eps_lo <= tol.

    Bisection on the flow's classification (main text "Discussion", regimes (i)-(iii)), for all
    K at once. The bracket starts at [0, min(1, K e^{-s})]: at eps >= K e^{-s}, alpha_1 <= s and
    the flow is thermal at k* = 1; at eps = 1, rho_1 >= 1. Property (i) of the paper (the
    classification is monotone in eps) is what makes bisection valid; it is tested separately.
    tol is absolute, in (0, 0.1]; it stops at float resolution if that comes first.
    """
    Ks = np.atleast_1d(np.asarray(K, dtype=np.float64))
    for k_value in Ks.ravel():
        check_positive("K", float(k_value))
    s = entropy_density(d_s, a)
    if not (isinstance(tol, int | float) and 0 < tol <= 0.1):
        raise ValueError(f"tol={tol!r} is not allowed: it must lie in (0, 0.1]")
    lo = np.zeros(Ks.shape)
    hi = np.minimum(1.0, Ks * math.exp(-s))
    for _ in range(200):
        open_ = (hi - lo > tol) & (np.nextafter(lo, 1.0) < hi)
        if not open_.any():
            break
        mid = 0.5 * (lo + hi)
        loc = np.empty(Ks.shape, dtype=bool)
        for value in np.unique(Ks[open_]):  # the flow is vectorised over eps at fixed K
            sel = open_ & (Ks == value)
            _, k_star = _iterate(mid[sel], float(value), s, float(a), k_max)
            loc[sel] = np.isinf(k_star)
        lo = np.where(open_ & loc, mid, lo)
        hi = np.where(open_ & ~loc, mid, hi)
    shape = np.shape(K)
    return lo.reshape(shape), hi.reshape(shape)


def critical_eps(K: float | np.ndarray, *, d_s: float = 2.0, a: float = 1.0,
                 tol: float = 1e-13, k_max: int = DEFAULT_K_MAX) -> np.ndarray:
    """eps_c(K), the midpoint of :func:`critical_eps_bracket` (error <= tol / 2, absolute).

    Measured here (d_s = 2, a = 1): eps_c = 0.1937, 0.3000, 0.3300, 0.3916, 0.4252 for
    K = 1, 5, 10, 100, 1000; eps_c grows with K (main text / SM C.2 d).
    """
    lo, hi = critical_eps_bracket(K, d_s=d_s, a=a, tol=tol, k_max=k_max)
    return 0.5 * (lo + hi)


def _final(eps, K, d_s, a, k_max) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    e, s = _setup(eps, K, d_s, a, k_max)
    alpha, k_star = _iterate(np.atleast_1d(e), float(K), s, float(a), k_max)
    return e, alpha.reshape(e.shape), k_star.reshape(e.shape), s


def localisation_length(eps: float | np.ndarray, K: float, *, d_s: float = 2.0,
                        a: float = 1.0, k_max: int = DEFAULT_K_MAX) -> np.ndarray:
    """Typical localisation length zeta = 1 / alpha_inf (Eqs. 4-5), units of a; inf if thermal.

    zeta < zeta_c = 1 / s in the localised phase and zeta -> zeta_c at eps_c (Eq. 7).
    """
    _, alpha, k_star, _ = _final(eps, K, d_s, a, k_max)
    with np.errstate(divide="ignore"):
        return np.where(np.isinf(k_star), 1.0 / alpha, np.inf)


def collar_slope(eps: float | np.ndarray, K: float, *, d_s: float = 2.0, a: float = 1.0,
                 k_max: int = DEFAULT_K_MAX) -> np.ndarray:
    """l* = lim l_k / k = (s a / 2) / (alpha_inf - s) (Eqs. 8 and 17), units of a.

    The susceptibility to the insertion of a bare thermal spot; 0 at eps = 0, inf if thermal.
    """
    _, alpha, k_star, s = _final(eps, K, d_s, a, k_max)
    with np.errstate(divide="ignore"):
        slope = (s * a / 2.0) / (alpha - s)
    return np.where(np.isinf(k_star), np.where(np.isinf(alpha), 0.0, slope), np.inf)


def critical_order(eps: float | np.ndarray, K: float, *, d_s: float = 2.0, a: float = 1.0,
                   k_max: int = DEFAULT_K_MAX) -> np.ndarray:
    """k*(eps): the first order with alpha_k <= s (regime (iii); SM Eq. 24); inf if localised."""
    return _final(eps, K, d_s, a, k_max)[2]


def crossover_length_plus(eps: float | np.ndarray, K: float, *, d_s: float = 2.0,
                          a: float = 1.0, k_max: int = DEFAULT_K_MAX) -> np.ndarray:
    """L_+ = a eps^{-k*} (main text "Finite-size scaling"; SM C.2 e), inf if localised.

    The mean distance between explosive spots (order >= k*): a thermal-side chain of length
    L >> L_+ is thermal, p = 1 - exp(-L / L_+). L_+ ~ (eps - eps_c)^{-nu_+}.
    """
    e, _, k_star, _ = _final(eps, K, d_s, a, k_max)
    with np.errstate(over="ignore"):
        return np.where(np.isinf(k_star), np.inf, a * e ** (-np.where(np.isinf(k_star), 0,
                                                                       k_star)))


def crossover_length_minus(eps: float | np.ndarray, K: float, *, d_s: float = 2.0,
                           a: float = 1.0, k_max: int = DEFAULT_K_MAX) -> np.ndarray:
    """L_- = a + 2 l*: thermal length per order of a bare spot at large k (Eq. 17), units of a.

    A bare spot of order k melts a k + 2 l_k ~ k L_- / a long region, so covering a chain of
    length L needs k ~ L / L_-, whence p(eps, L) ~ eps^{L / L_-} (main text "Finite-size
    scaling"); L_- ~ (eps_c - eps)^{-nu_-}. inf if thermal.
    """
    return a + 2.0 * collar_slope(eps, K, d_s=d_s, a=a, k_max=k_max)


def correlation_length(eps: float | np.ndarray, K: float, *, d_s: float = 2.0,
                       a: float = 1.0, k_max: int = DEFAULT_K_MAX) -> np.ndarray:
    """Average eigenstate correlation length xi-bar = L_- / |log eps| (Eq. 10), units of a.

    Main text "Correlation lengths" (a): Cor(O_0, O_l) ~ 1 when a thermal region spans [0, l],
    so Cor ~ sum over orders k with k a + 2 l_k > l of eps^k ~ eps^{l / L_-} at large l, i.e.
    xi-bar ~ l* (the text's statement), which is also the scale where the spot-size
    distribution p(l) is cut off below eps_c (SM C.1 and C.2 e). inf if thermal; 0 at eps = 0.
    """
    e = check_eps(eps)
    l_minus = crossover_length_minus(eps, K, d_s=d_s, a=a, k_max=k_max)
    with np.errstate(divide="ignore"):
        return np.where(e == 0, 0.0, l_minus / np.abs(np.log(np.where(e == 0, 0.5, e))))


# --- critical scaling (SM C.2 b-d) -------------------------------------------------------------


def critical_alpha_excess_continuum(k: np.ndarray, eps_c: float, *, d_s: float = 2.0,
                                    a: float = 1.0) -> np.ndarray:
    """delta alpha_k = sqrt(-2 / log eps_c) s sqrt(k eps_c^k) (SM Eq. 19, continuum form).

    The paper's prefactor comes from the continuum approximation (Eq. 21); the discrete flow
    follows :func:`critical_alpha_excess_discrete` instead (SM C.2 d says the continuum
    approximation is not exact). Units of 1 / a.
    """
    s = entropy_density(d_s, a)
    kk = np.asarray(k, dtype=np.float64)
    return math.sqrt(-2.0 / math.log(eps_c)) * s * np.sqrt(kk * eps_c**kk)


def critical_alpha_excess_discrete(k: np.ndarray, eps_c: float, *, d_s: float = 2.0,
                                   a: float = 1.0) -> np.ndarray:
    """delta alpha_k on the critical trajectory of the *discrete* Eq. 18, to O(1/k).

    Derived here, not printed in the paper: Eq. 18, delta_k (delta_{k+1} - delta_k) =
    -s^2 k eps^k (no a: rho_k alpha_k ~ eps^k (2 l_k / a) s), is solved by
    delta_k = u_k sqrt(k eps^k) with u_k = u* (1 + c / k + ...), u* = s / sqrt(1 - sqrt(eps)),
    c = sqrt(eps) / (4 (1 - sqrt(eps))). The continuum form (Eq. 19) has
    u* = s sqrt(2 / |log eps|) instead; the two agree as eps -> 1. Units of 1 / a.
    """
    s = entropy_density(d_s, a)
    kk = np.asarray(k, dtype=np.float64)
    r = math.sqrt(eps_c)
    u_star = s / math.sqrt(1.0 - r)
    c = r / (4.0 * (1.0 - r))
    return u_star * (1.0 + c / kk) * np.sqrt(kk * eps_c**kk)


def critical_collar(k: np.ndarray, eps_c: float, *, d_s: float = 2.0, a: float = 1.0
                    ) -> np.ndarray:
    """l_k = (s a / 2) k / delta alpha_k at eps_c (SM Eq. 20), with the discrete delta alpha_k.

    l_k = (a / 2) sqrt(k (1 - sqrt(eps_c))) eps_c^{-k/2} / (1 + c / k): collars grow like
    sqrt(k) eps_c^{-k/2} (main text regime (ii)). This is the growth Eq. 20 prints:
    sqrt(k eps_c^{-k}) = sqrt(k) eps_c^{-k/2} (the exponent -k sits under the square root; there
    is no misprint in the k dependence). The code departs from Eq. 20 only in the prefactor:
    Eq. 20 inserts the continuum delta alpha_k of Eq. 19 into Eq. 16, l_k = (s a / 2) k /
    delta alpha_k = (a / 2) sqrt(|log eps_c| / 2) sqrt(k eps_c^{-k}), while the discrete flow
    (Eqs. 15-16, which the iteration solves) has delta alpha_k of
    :func:`critical_alpha_excess_discrete`; the ratio of the two prefactors is
    sqrt(|log eps_c| / (2 (1 - sqrt eps_c))) (tested). Units of a.
    """
    s = entropy_density(d_s, a)
    kk = np.asarray(k, dtype=np.float64)
    return (s * a / 2.0) * kk / critical_alpha_excess_discrete(kk, eps_c, d_s=d_s, a=a)


def discrete_exponents(eps_c: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(nu_-, nu_+) of the discrete flow from linearising Eq. 18 about its critical trajectory.

    Derived here (SM C.2 d reports them only numerically): with u_k = delta alpha_k /
    sqrt(k eps^k), Eq. 18 reads u_{k+1} sqrt(eps) = u_k - s^2 / u_k at large k, whose fixed
    point u* (the critical trajectory) is unstable with multiplier
    lambda = (2 - sqrt(eps_c)) / sqrt(eps_c). A deviation eps - eps_c grows as lambda^k, so
    alpha_inf - s ~ eps_c^{k_-/2} with lambda^{k_-} |eps - eps_c| ~ 1 and k* log lambda ~
    -log(eps - eps_c), giving

        nu_- = |log eps_c| / (2 log lambda),   nu_+ = |log eps_c| / log lambda = 2 nu_-.

    As eps_c -> 1 (K -> inf), nu_- -> 1/2 and nu_+ -> 1, the continuum values of SM Eqs. 23-24;
    as eps_c -> 0, nu_- -> 1 and nu_+ -> 2, the bounds 1/2 < nu_- < 1 < nu_+ < 2 of SM C.2 d.
    """
    e = np.asarray(eps_c, dtype=np.float64)
    if np.any((e <= 0) | (e >= 1)):
        raise ValueError(f"eps_c={eps_c!r} is not allowed: it must lie in (0, 1)")
    r = np.sqrt(e)
    lam = np.log((2.0 - r) / r)
    nu_minus = -np.log(e) / (2.0 * lam)
    return nu_minus, 2.0 * nu_minus


@dataclass(frozen=True)
class ExponentFit:
    """A measured exponent of SM Eqs. 23-24: value, offsets |eps - eps_c| used, fitted data.

    ``value`` is the fit over the window nearest eps_c (the exponent is a limit eps -> eps_c).
    Where the fit is repeated over sub-windows (:func:`measure_nu_plus`), ``windows`` holds their
    (lower, upper) relative offsets, ``window_values`` the exponent fitted in each, and
    ``systematic`` = max |window_values - value|, the window's systematic uncertainty (0 and
    empty arrays when a single window is used).
    """

    value: float
    offsets: np.ndarray
    data: np.ndarray
    eps_c: float
    windows: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    window_values: np.ndarray = field(default_factory=lambda: np.zeros(0))
    systematic: float = 0.0


def measure_nu_minus(K: float, *, offsets: np.ndarray | None = None, d_s: float = 2.0,
                     a: float = 1.0) -> ExponentFit:
    """nu_- from zeta_c - zeta ~ (eps_c - eps)^{nu_-} (SM Eq. 23), measured on the flow.

    Fits log(alpha_inf - s) against log(eps_c - eps) by least squares at eps = eps_lo - offset,
    with eps_lo the localised end of a 1e-15 bracket of eps_c (zeta_c - zeta =
    (alpha_inf - s) / (s alpha_inf), the same exponent). Default offsets: 20 points
    logarithmically spaced in [1e-12, 1e-6] (relative to eps_c). ``data`` holds alpha_inf - s.
    """
    lo_bracket, _ = critical_eps_bracket(K, d_s=d_s, a=a, tol=1e-15)
    lo = float(lo_bracket)
    rel = np.logspace(-12, -6, 20) if offsets is None else np.asarray(offsets, dtype=float)
    if np.any(rel <= 0) or np.any(rel >= 1):
        raise ValueError(f"offsets={offsets!r} are not allowed: relative offsets lie in (0, 1)")
    eps = lo * (1.0 - rel)
    e, alpha, k_star, s = _final(eps, K, d_s, a, DEFAULT_K_MAX)
    if not np.all(np.isinf(k_star)):
        raise RuntimeError("a point below eps_c was classified thermal: the bracket is wrong")
    excess = alpha - s
    slope = np.polyfit(np.log(lo - e), np.log(excess), 1)[0]
    return ExponentFit(float(slope), lo - e, excess, lo)


def measure_nu_plus(K: float, *, offsets: np.ndarray | None = None, d_s: float = 2.0,
                    a: float = 1.0, window_decades: float = 4.0) -> ExponentFit:
    """nu_+ from L_+ = eps^{-k*} ~ (eps - eps_c)^{-nu_+} (SM Eq. 24), with its window dependence.

    k*(eps) is an integer staircase, so nu_+ = -log(eps_c) * (slope of k* against
    -log(eps - eps_c)) is fitted over many points: default 200 relative offsets
    logarithmically spaced in [1e-14, 1e-4] above eps_hi, the thermal end of a 1e-15 bracket
    (offsets much below 1e-14 are not resolved in float64). The slope drifts with the window:
    at K = 1e6 it is 1.18 over [1e-14, 1e-10], 1.20 over the whole range and 1.21 over
    [1e-8, 1e-4], falling towards the linearised 2 nu_- (:func:`discrete_exponents`) as the
    window approaches eps_c. So the fit is repeated over sub-windows ``window_decades`` wide,
    slid in steps of one decade across the offsets (the last one ends at the largest offset);
    ``value`` is the sub-window nearest eps_c,
    ``systematic`` the largest departure of the others from it, ``window_values`` all of them
    (one window, systematic 0, when the offsets span less than ``window_decades``).
    ``data`` holds k*.
    """
    _, hi_bracket = critical_eps_bracket(K, d_s=d_s, a=a, tol=1e-15)
    hi = float(hi_bracket)
    rel = np.logspace(-14, -4, 200) if offsets is None else np.asarray(offsets, dtype=float)
    if np.any(rel <= 0) or np.any(rel >= 1):
        raise ValueError(f"offsets={offsets!r} are not allowed: relative offsets lie in (0, 1)")
    window_decades = check_positive("window_decades", window_decades)
    eps = hi * (1.0 + rel)
    e, _, k_star, _ = _final(eps, K, d_s, a, DEFAULT_K_MAX)
    if np.any(np.isinf(k_star)):
        raise RuntimeError("a point above eps_c was classified localised: the bracket is wrong")
    x = -np.log(e - hi)
    log10_off = np.log10(e - hi) - math.log10(hi)
    lo_edge, top = float(log10_off.min()), float(log10_off.max())
    last = max(top - window_decades, lo_edge)
    starts = np.arange(lo_edge, last + 1e-9, 1.0)
    if last - starts[-1] > 1e-6:
        starts = np.append(starts, last)  # the last window ends at the largest offset
    windows, values = [], []
    for start in starts:
        stop = min(start + window_decades, top)
        use = (log10_off >= start - 1e-9) & (log10_off <= stop + 1e-9)
        if np.unique(k_star[use]).size < 2:
            continue  # k* constant over the window: no slope
        slope = np.polyfit(x[use], k_star[use], 1)[0]
        windows.append((10.0 ** start, 10.0 ** stop))
        values.append(-math.log(hi) * slope)
    if not values:
        raise ValueError(f"offsets={offsets!r} are not allowed: k* does not change over them, "
                         f"so no slope can be fitted; widen the range")
    vals = np.array(values)
    return ExponentFit(float(vals[0]), e - hi, k_star, hi, windows=np.array(windows),
                       window_values=vals, systematic=float(np.max(np.abs(vals - vals[0]))))
