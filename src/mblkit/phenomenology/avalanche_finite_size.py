"""Finite-size consequences of the mean-field avalanche flow: p(eps, L), p(l), S(L), t_+, R(L).

Paper: ``shared/papers/multiscale-avalanche-scheme.txt``, main text "Finite-size scaling",
regime (ii) of "Discussion", "Critical slowing down", and SM C.2 e and E. The flow itself
(alpha_k, l_k, k*, L_+) is :mod:`mblkit.phenomenology.avalanche_flow`.

The finite chain of the mean field: L sites with spacing a, L - 1 bonds, each resonant with
probability eps independently (the bimodal couplings of the main text, "Resonances and
scales"). A maximal run of k resonant bonds is a bare spot of order k; it melts
m_k = floor(l_k / a) sites on each side, l_k from the infinite-chain flow (Eq. 16), and
m_k = inf for k >= k* (an avalanche). Spots are independent: the mean field neglects spots
invading one another (SM C.1). Lengths are in units of a.
"""

from __future__ import annotations

import math

import numpy as np

from mblkit.phenomenology.avalanche_flow import (
    DEFAULT_K_MAX,
    FlowResult,
    check_eps,
    check_positive,
    critical_eps_bracket,
    crossover_length_plus,
    entropy_density,
    mean_field_flow,
)


def check_length(name: str, value: int, minimum: int = 1) -> int:
    """An integer >= minimum, else ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name}={value!r} is not allowed: it must be an integer >= {minimum}")
    return int(value)


def _melted_sites(flow: FlowResult, n: int) -> np.ndarray:
    """m_k = floor(l_k / a) for k = 1 .. n, capped at n (covers any chain of n bonds)."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    collar = flow.collar_at(np.arange(1, n + 1)) / flow.a
    return np.minimum(np.floor(np.minimum(collar, 2.0 * n + 2)), n).astype(np.int64)


def log_thermal_probability(eps: float, L: int, K: float, *, d_s: float = 2.0, a: float = 1.0
                            ) -> float:
    """log p(eps, L): log-probability that the mean-field chain of L sites is thermal.

    Main text "Finite-size scaling": the chain is thermal when the melted region of one bare
    spot covers all of it. A spot of order k on bonds b .. b+k-1 (sites b .. b+k) melts sites
    b - m_k .. b + k + m_k, so it covers the chain when m_k >= b and b + k + m_k >= L - 1.
    Both conditions are monotone in k (l_k grows with k), so from each start b the covering
    orders are k >= k_c(b), and the probability is computed exactly for i.i.d. bonds by a
    first-covering-run recursion over the chain (no sampling): with q_i the probability that
    bond i - 1 is not resonant and no run before it covers,

        p = sum_b q_b eps^{k_c(b)},   q_{b+k+1} += q_b eps^k (1 - eps)  for k < k_c(b).

    Terms with eps^k < 1e-20 are dropped from the q recursion only (relative error below
    L 1e-20); the covering sum is accumulated in logs, so p ~ eps^{L / L_-} deep in the
    localised phase does not underflow. Its three regimes: p ~ eps^{L / L_-} (eps < eps_c),
    p ~ L^{-1} up to logarithms at eps_c, and 1 - p = P(no run of k* resonant bonds) ->
    exp(-L / L_+) (eps > eps_c, L >> L_+), non-monotonic in L just above eps_c.
    eps in [0, 1], L >= 1 sites, K > 0.
    """
    e = float(check_eps(eps))
    L = check_length("L", L)
    n = L - 1
    if e == 0.0 or n == 0:
        return -math.inf  # no resonant bond: nothing is thermal
    if e == 1.0:
        return 0.0  # every bond resonant: one spot spans the chain
    flow = mean_field_flow(e, K, d_s=d_s, a=a, k_max=DEFAULT_K_MAX)
    m = _melted_sites(flow, n)
    orders = np.arange(1, n + 1)
    reach = orders + m  # strictly increasing
    b = np.arange(n)
    k1 = np.searchsorted(m, b, side="left") + 1  # first k with m_k >= b
    k2 = np.searchsorted(reach, n - b, side="left") + 1  # first k with k + m_k >= n - b
    kc = np.maximum(k1, k2)
    covers = b + kc <= n
    k_trunc = max(1, math.ceil(math.log(1e-20) / math.log(e)))
    powers = (1.0 - e) * e ** np.arange(k_trunc)
    q = np.zeros(n + 1)
    q[0] = 1.0
    log_terms = np.full(n, -np.inf)
    log_e = math.log(e)
    for i in range(n):
        qi = q[i]
        if qi == 0.0:
            continue
        if covers[i]:
            log_terms[i] = math.log(qi) + kc[i] * log_e
        count = min(int(kc[i]), n - i, k_trunc)
        q[i + 1:i + 1 + count] += qi * powers[:count]
    top = log_terms.max()
    if not math.isfinite(top):
        return -math.inf
    return float(top + math.log(np.exp(log_terms - top).sum()))


def thermal_probability(eps: float, L: int | np.ndarray, K: float, *, d_s: float = 2.0,
                        a: float = 1.0) -> np.ndarray:
    """p(eps, L) (main text "Finite-size scaling") of :func:`log_thermal_probability`, for one
    eps and one or more chain lengths L.

    ``thermal_probability(eps, [10, 100, 1000], K=10.0)``; returns an array shaped like L.
    """
    Ls = np.asarray(L)
    out = np.array([math.exp(log_thermal_probability(eps, int(x), K, d_s=d_s, a=a))
                    for x in Ls.ravel()])
    return out.reshape(Ls.shape)


def spot_sizes(eps: float, K: float, *, d_s: float = 2.0, a: float = 1.0,
               max_order: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(lengths, densities) of the mean-field thermal regions, one entry per order k < k*.

    A bare spot of order k with its two collars is a thermal region of length a k + 2 l_k
    (Eq. 16; units of a); maximal runs of exactly k resonant bonds have density
    n_k = (1 - eps)^2 eps^k / a per unit length (the paper's eps^k / a to leading order). Orders
    run from 1 to max_order (default: the flow's last iterated order), and stop before k*.
    """
    e = float(check_eps(eps))
    flow = mean_field_flow(e, K, d_s=d_s, a=a)
    top = flow.collar.size if max_order is None else check_length("max_order", max_order)
    if math.isfinite(flow.k_star):
        top = min(top, int(flow.k_star) - 1)
    k = np.arange(1, top + 1)
    lengths = a * k + 2.0 * flow.collar_at(k) if top else np.zeros(0)
    return lengths, (1.0 - e) ** 2 * e**k / a


def critical_spot_sizes(K: float, *, d_s: float = 2.0, a: float = 1.0, rtol: float = 1e-2
                        ) -> tuple[np.ndarray, np.ndarray, float]:
    """(lengths, densities, eps_c) of thermal regions on the critical trajectory (regime (ii)).

    Exactly at eps_c the flow cannot be iterated in floating point; the two ends of a 1e-15
    bracket of eps_c follow the critical trajectory until they separate. Orders are kept while
    their collars l_k agree to ``rtol`` (relative), so every length returned is critical to
    that accuracy. Then p(l) ~ l^{-3} up to a logarithm (main text regime (ii)).
    """
    lo, hi = critical_eps_bracket(K, d_s=d_s, a=a, tol=1e-15)
    below = mean_field_flow(float(lo), K, d_s=d_s, a=a)
    above = mean_field_flow(float(hi), K, d_s=d_s, a=a)
    n = min(below.collar.size, above.collar.size)
    gap = np.abs(below.collar[:n] - above.collar[:n]) / below.collar[:n]
    bad = np.flatnonzero(gap > rtol)
    top = int(bad[0]) if bad.size else n
    lengths, densities = spot_sizes(float(lo), K, d_s=d_s, a=a, max_order=max(top, 1))
    return lengths[:top], densities[:top], float(lo)


def spot_size_density(lengths: np.ndarray, densities: np.ndarray, edges: np.ndarray
                      ) -> np.ndarray:
    """p(l) per unit length on bins [edges[j], edges[j+1]): sum of densities / bin width.

    p(l) dl is the number of thermal regions per unit chain length with length in [l, l + dl]
    (main text regime (ii), "probability of a thermal region of size l centred on a given
    site"), the normalisation of :func:`mblkit.phenomenology.avalanche_scheme.spot_size_pdf`.
    """
    edges = np.asarray(edges, dtype=np.float64)
    counts, _ = np.histogram(lengths, bins=edges, weights=densities)
    return counts / np.diff(edges)


def mean_entanglement(eps: float, L: int | np.ndarray, K: float, *, d_s: float = 2.0,
                      a: float = 1.0) -> np.ndarray:
    """Sample-averaged half-chain entanglement S(L) from thermal regions (regime (ii)), nats.

    S(L) = s sum_k n_k A(l_k, L) with n_k, l_k of :func:`spot_sizes` and
    A(l, L) = integral_0^l min(x, l - x, L / 2) dx: a cut at distance x inside a region of
    length l carries the volume-law entropy s min(x, l - x), capped by the half chain, and the
    cut falls inside one of the regions of order k with density n_k. This is the paper's
    S ~ integral^L l^2 p(l) dl. Only for eps where the flow is localised (eps <= eps_c):
    above eps_c infinite regions make S extensive.
    """
    if math.isfinite(mean_field_flow(float(check_eps(eps)), K, d_s=d_s, a=a).k_star):
        raise ValueError(f"eps={eps!r} is not allowed: the flow is thermal there (eps > eps_c"
                         f"(K={K})), use eps <= eps_c")
    lengths, densities = spot_sizes(eps, K, d_s=d_s, a=a)
    s = entropy_density(d_s, a)
    Ls = np.asarray(L, dtype=np.float64)
    if np.any(Ls < 1):
        raise ValueError(f"L={L!r} is not allowed: lengths must be >= 1")
    ell = lengths[:, None]
    half = Ls.ravel()[None, :] / 2.0
    area = np.where(ell <= 2 * half, ell**2 / 4.0, half**2 + (ell - 2 * half) * half)
    return (s * densities @ area).reshape(Ls.shape)


def _zeta_or_critical(zeta: float | None, d_s: float, a: float) -> float:
    if zeta is None:
        return 1.0 / entropy_density(d_s, a)
    return check_positive("zeta", zeta)


def log_thermalisation_time(eps: float | np.ndarray, K: float, *, zeta: float | None = None,
                            d_s: float = 2.0, a: float = 1.0) -> np.ndarray:
    """log(Gamma_0 t_+) = 2 L_+ / zeta ("Critical slowing down"; SM E a), inf if localised.

    A typical spin is thermalised by an explosive spot at distance ~ L_+, at the Fermi-golden-
    rule rate Gamma_0 e^{-2 L_+ / zeta}. zeta defaults to zeta_c = 1 / s, its value at the
    transition (Eq. 7), so that t_+ ~ exp(C (eps - eps_c)^{-nu_+}) with C = 2 s.
    Returned as a logarithm because t_+ overflows floats near eps_c; time in units of 1/Gamma_0.
    """
    z = _zeta_or_critical(zeta, d_s, a)
    return 2.0 * crossover_length_plus(eps, K, d_s=d_s, a=a) / z


def resistance_exponent(eps: float | np.ndarray, K: float, *, zeta: float | None = None,
                        d_s: float = 2.0, a: float = 1.0) -> np.ndarray:
    """z in R(L) ~ L^z (SM E b): z = 2 L_+ / zeta when 2 L_+ >= zeta, else 1 (diffusive).

    Stretches free of explosive spots have lengths exponentially distributed with mean L_+ and
    resistance e^{2 l / zeta}; their sum is dominated by the longest when 2 L_+ >= zeta, giving
    R ~ L^{2 L_+ / zeta} = L^{C (eps - eps_c)^{-nu_+}}. zeta defaults to 1 / s (see
    :func:`log_thermalisation_time`); inf if localised.
    """
    z = _zeta_or_critical(zeta, d_s, a)
    return np.maximum(1.0, 2.0 * crossover_length_plus(eps, K, d_s=d_s, a=a) / z)


def sample_log_resistance(L: float, L_plus: float, zeta: float, rng: np.random.Generator,
                          n_samples: int = 1) -> np.ndarray:
    """log R of n_samples chains of length L in the model of SM E b (Monte Carlo).

    Explosive spots form a Poisson process of density 1 / L_+ (a stretch of length l is free of
    them with probability e^{-l / L_+}); each free stretch of length l contributes e^{2 l / zeta}
    and R is the sum (resistances in series), the last stretch cut at L. Units of a and of the
    microscopic resistance. Random numbers from ``rng`` only.
    """
    length = check_positive("L", L)
    lp = check_positive("L_plus", L_plus)
    z = check_positive("zeta", zeta)
    n_samples = check_length("n_samples", n_samples)
    mean_count = length / lp
    draws = int(mean_count + 10.0 * math.sqrt(mean_count) + 10)
    out = np.empty(n_samples)
    for j in range(n_samples):
        gaps = rng.exponential(lp, size=draws)
        ends = np.cumsum(gaps)
        while ends[-1] < length:  # rare: draw more stretches
            ends = np.concatenate([ends, ends[-1] + np.cumsum(rng.exponential(lp, size=draws))])
        last = int(np.searchsorted(ends, length))
        stretches = np.diff(np.concatenate([[0.0], ends[:last], [length]]))
        x = 2.0 * stretches / z
        top = x.max()
        out[j] = top + math.log(np.exp(x - top).sum())
    return out
