"""Summaries physicists report: typical values, medians and finite-size data collapses.

* :func:`typical_value`: the geometric mean exp(<log x>) (the "typical" value of a broadly
  distributed positive quantity: matrix elements, level spacings, rates, localisation lengths),
  with its delta-method error: exp is smooth, so sigma_typ = typ * sigma_<log x>.
* :func:`median_value`: the median with a bootstrap error over realisations.
* :func:`data_collapse`: the finite-size collapse of a dimensionless scalar y(W, L) (mean gap
  ratio, entanglement density, ...) onto one curve of x = (W - W_c) L^{1/nu}, with W_c and nu
  fitted and their errors. ``resonance-model-crossover.txt`` Sec. VI A (Eq. 106) discusses the
  nu = 0.77 ... 1.02 such collapses give at accessible sizes, far from the Harris bound nu >= 2:
  the fitted nu is a property of the sizes used, and the collapse quality says how well one
  scaling variable describes them.

Samples are arranged as (realisations, ...): axis 0 runs over independent disorder realisations,
any further axes over values of one realisation (eigenstates, sites), which share the disorder
and are correlated. Errors treat realisations as the independent units (as
:func:`mblkit.stats.pooled_pearson` does), so a realisation's many eigenstates do not count as
independent samples.

The collapse quality is Houdayer and Hartmann's (Phys. Rev. B 70, 014418 (2004)),

    S = (1 / N) sum_i (y_i - Y_i)^2 / (dy_i^2 + dY_i^2),

summed over the N points (x_i, y_i, dy_i) that some other size brackets, where Y_i +- dY_i is
the other sizes' estimate of the master curve at x_i. Houdayer and Hartmann fit one straight
line through the bracketing points of all other sizes; here each other size m is interpolated
linearly between its two bracketing points, y_m(x_i) = (1 - t) y_a + t y_b with variance
(1 - t)^2 dy_a^2 + t^2 dy_b^2, and Y_i is the inverse-variance weighted mean over m, with
dY_i^2 = 1 / sum_m var_m^-1. Where the sizes overlap on straight pieces the two agree; the
departure makes S continuous in (W_c, nu): HH's joint line jumps when a bracket switches, and on
a regular W grid that traps the optimiser wherever points of different sizes coincide in x
(measured: a W grid of step 0.25 pinned W_c at the grid value 3.75 for 2 of 20 noisy data sets
generated at W_c = 3.7). With independent errors and linear pieces, E[(y_i - Y_i)^2] =
dy_i^2 + dY_i^2, so S is about 1 for a collapse within the errors and grows with any misfit.

W_c and nu minimise S (a grid over the allowed ranges, then Nelder-Mead); their errors are the
standard deviations over ``n_boot`` refits of redrawn data y -> y + dy * N(0, 1) (the disorder
means at different points come from independent realisations, so this is the bootstrap over
realisations at the level of the means). When S_min is well above 1, one scaling variable does
not describe the sizes used (corrections to scaling) and the bootstrap errors do not cover that
systematic error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Collapse", "Estimate", "collapse_quality", "data_collapse", "median_value",
           "typical_value"]


@dataclass(frozen=True)
class Estimate:
    """A value, its standard error, and the number of independent realisations behind it."""

    value: float
    error: float
    realisations: int


def _samples(samples, name: str) -> np.ndarray:
    x = np.asarray(samples, dtype=float)
    if x.ndim == 0 or x.shape[0] == 0 or x.size == 0:
        raise ValueError(f"{name} must hold at least one realisation along axis 0, got shape "
                         f"{x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} holds {int(np.sum(~np.isfinite(x)))} non-finite values; "
                         f"only finite values are allowed")
    return x.reshape(x.shape[0], -1)


def typical_value(samples) -> Estimate:
    """Geometric mean exp(<log x>) of positive ``samples`` and its delta-method error.

    ``samples``: shape (realisations,) or (realisations, ...) (see the module docstring). With
    g_k the mean of log x over realisation k's values and n realisations, the typical value is
    exp(mean_k g_k) and its error typ * std_k(g_k) / sqrt(n) (first order in the fluctuation
    of <log x>; the bias of exp, typ * var / (2 n), is second order). NaN error with one
    realisation.
    """
    x = _samples(samples, "samples")
    if np.any(x <= 0):
        raise ValueError(f"samples holds {int(np.sum(x <= 0))} values <= 0; the typical value "
                         f"(geometric mean) needs x > 0")
    g = np.log(x).mean(axis=1)
    n = len(g)
    typ = float(np.exp(g.mean()))
    error = typ * float(np.std(g, ddof=1)) / np.sqrt(n) if n > 1 else float("nan")
    return Estimate(typ, error, n)


def median_value(samples, n_boot: int = 1000, seed: int = 0) -> Estimate:
    """Median of all ``samples`` with a bootstrap error over realisations.

    ``samples``: shape (realisations,) or (realisations, ...); the median is over every value.
    The error is the standard deviation of the median over ``n_boot`` resamplings of the
    realisations (rows) with replacement, which keeps a realisation's correlated values
    together. NaN error with one realisation or ``n_boot`` < 2.
    """
    x = _samples(samples, "samples")
    if n_boot < 0:
        raise ValueError(f"n_boot={n_boot} is not allowed: need n_boot >= 0")
    n = x.shape[0]
    value = float(np.median(x))
    if n < 2 or n_boot < 2:
        return Estimate(value, float("nan"), n)
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, n, size=(n_boot, n))
    chunk = max(1, int(1e7 // x.size))  # resampled copies held at once (~80 MB)
    boot = np.concatenate([np.median(x[rows[k:k + chunk]].reshape(len(rows[k:k + chunk]), -1),
                                     axis=1) for k in range(0, n_boot, chunk)])
    return Estimate(value, float(np.std(boot, ddof=1)), n)


@dataclass(frozen=True)
class Collapse:
    """Fitted collapse y(W, L) = f((W - critical) L^{1/nu}).

    ``quality``: the collapse quality S at the optimum (about 1 for a collapse within the errors);
    ``points``: the N points it sums over; errors: bootstrap standard deviations over
    ``n_boot`` redraws (NaN if ``n_boot`` < 2); ``grid``: the (critical, nu, S) grid the
    optimiser started from, to look at the landscape.
    """

    critical: float
    critical_error: float
    nu: float
    nu_error: float
    quality: float
    points: int
    n_boot: int
    grid: tuple[np.ndarray, np.ndarray, np.ndarray]

    def scaled(self, W, L) -> np.ndarray:
        """The scaling variable x = (W - critical) L^{1/nu}."""
        return (np.asarray(W, dtype=float) - self.critical) * np.asarray(L, float) ** (1 / self.nu)


def _curves(sizes, W, y, dy) -> list[tuple[float, np.ndarray, np.ndarray, np.ndarray]]:
    """Validated per-size (L, W, y, dy), NaN points dropped, W ascending."""
    sizes = np.asarray(sizes, dtype=float)
    if sizes.ndim != 1 or len(sizes) < 2 or np.any(sizes <= 0) or len(set(sizes)) != len(sizes):
        raise ValueError(f"sizes={sizes.tolist()!r} is not allowed: need at least two distinct "
                         f"positive sizes")
    k = len(sizes)
    shared = len(W) > 0 and np.ndim(W[0]) == 0
    Ws = [np.asarray(W, dtype=float)] * k if shared else [np.asarray(w, float) for w in W]
    ys = [np.asarray(v, dtype=float) for v in y]
    dys = [np.asarray(v, dtype=float) for v in dy]
    if not len(Ws) == len(ys) == len(dys) == k:
        raise ValueError(f"y and dy (and W, if given per size) need one row per size ({k}); "
                         f"got {len(ys)}, {len(dys)} and {len(Ws)}")
    out = []
    for L, w, v, e in zip(sizes, Ws, ys, dys, strict=True):
        if not w.shape == v.shape == e.shape or w.ndim != 1:
            raise ValueError(f"L = {L:g}: W, y and dy must be 1-d of one length, got "
                             f"{w.shape}, {v.shape}, {e.shape}")
        keep = np.isfinite(w) & np.isfinite(v) & np.isfinite(e)
        if np.any(e[keep] <= 0):
            raise ValueError(f"L = {L:g}: dy must be > 0 at every point (a standard error)")
        order = np.argsort(w[keep])
        w, v, e = w[keep][order], v[keep][order], e[keep][order]
        if len(w) < 2 or np.any(np.diff(w) == 0):
            raise ValueError(f"L = {L:g}: need at least two distinct finite W points")
        out.append((float(L), w, v, e))
    return out


def _quality(curves, critical: float, nu: float, y_override=None,
             min_fraction: float = 0.5) -> tuple[float, int]:
    """Collapse quality S and its number of terms; inf when fewer than ``min_fraction`` of
    the points are bracketed by another size (a collapse that only spreads the curves apart
    must not look good)."""
    xs = [(w - critical) * L ** (1.0 / nu) for L, w, _, _ in curves]
    ys = y_override if y_override is not None else [c[2] for c in curves]
    x_all = np.concatenate(xs)
    owner = np.concatenate([np.full(len(x), j) for j, x in enumerate(xs)])
    inv_var = np.zeros(len(x_all))
    weighted_y = np.zeros(len(x_all))
    for m, (xm, ym, (_, _, _, em)) in enumerate(zip(xs, ys, curves, strict=True)):
        idx = np.searchsorted(xm, x_all)
        inside = (idx > 0) & (idx < len(xm)) & (owner != m)
        b = np.clip(idx, 1, len(xm) - 1)
        a = b - 1
        t = np.where(inside, (x_all - xm[a]) / (xm[b] - xm[a]), 0.0)
        interpolated = (1 - t) * ym[a] + t * ym[b]
        var = (1 - t) ** 2 * em[a] ** 2 + t**2 * em[b] ** 2
        inv_var += np.where(inside, 1.0 / var, 0.0)
        weighted_y += np.where(inside, interpolated / var, 0.0)
    use = inv_var > 0
    terms = int(use.sum())
    if terms == 0 or terms < min_fraction * len(x_all):
        return float("inf"), terms
    y_all = np.concatenate(ys)[use]
    e_all = np.concatenate([c[3] for c in curves])[use]
    Y = weighted_y[use] / inv_var[use]
    dY2 = 1.0 / inv_var[use]
    return float(np.mean((y_all - Y) ** 2 / (e_all**2 + dY2))), terms


def collapse_quality(sizes, W, y, dy, critical: float, nu: float) -> float:
    """Collapse quality S (module docstring) of y(W, L) at (``critical``, ``nu``); arguments as
    in :func:`data_collapse`."""
    if not nu > 0:
        raise ValueError(f"nu={nu!r} is not allowed: need nu > 0")
    return _quality(_curves(sizes, W, y, dy), float(critical), float(nu))[0]


def _minimise(curves, critical_range, nu_range, grid_size: int, start=None, y_override=None):
    from scipy.optimize import minimize

    lo, hi = critical_range
    nlo, nhi = nu_range

    def cost(p):
        wc, lognu = p
        if not (lo <= wc <= hi and np.log(nlo) <= lognu <= np.log(nhi)):
            return 1e300
        return _quality(curves, wc, np.exp(lognu), y_override)[0]

    grid = None
    if start is None:
        wcs = np.linspace(lo, hi, grid_size)
        nus = np.geomspace(nlo, nhi, grid_size)
        S = np.array([[cost((wc, np.log(nu))) for nu in nus] for wc in wcs])
        i, k = np.unravel_index(np.argmin(S), S.shape)
        start = (wcs[i], np.log(nus[k]))
        grid = (wcs, nus, S)
        if not np.isfinite(S[i, k]):
            raise ValueError("no (critical, nu) in the allowed ranges lets the sizes overlap; "
                             "widen critical_range or nu_range")
    span = (hi - lo) / max(grid_size - 1, 1)
    simplex = np.array([start, (start[0] + span, start[1]), (start[0], start[1] + 0.1)])
    res = minimize(cost, start, method="Nelder-Mead",
                   options={"initial_simplex": simplex, "xatol": 1e-6, "fatol": 1e-9,
                            "maxiter": 2000})
    return float(res.x[0]), float(np.exp(res.x[1])), float(res.fun), grid


def data_collapse(sizes, W, y, dy, *, critical_range: tuple[float, float] | None = None,
                  nu_range: tuple[float, float] = (0.2, 10.0), grid_size: int = 15,
                  n_boot: int = 100, seed: int = 0) -> Collapse:
    """Fit y(W, L) = f((W - W_c) L^{1/nu}) by minimising the collapse quality S.

    ``sizes``: the k system sizes L; ``W``: the disorder values, one 1-d array shared by all
    sizes or one per size; ``y``, ``dy``: per size, the disorder means and their standard
    errors at those W (NaN marks a missing point). ``critical_range`` (default: the W range
    of the data) and ``nu_range`` bound the search; the optimiser starts from the best point
    of a ``grid_size`` x ``grid_size`` grid (W_c linear, nu logarithmic) and the redraws of the
    bootstrap from the optimum. See the module docstring for the cost and the errors; an
    optimum on the edge of a range means the range, not the data, set it.
    """
    curves = _curves(sizes, W, y, dy)
    if critical_range is None:
        critical_range = (min(c[1][0] for c in curves), max(c[1][-1] for c in curves))
    lo, hi = (float(v) for v in critical_range)
    if not lo < hi:
        raise ValueError(f"critical_range={critical_range!r} is not allowed: need lo < hi")
    if not 0 < nu_range[0] < nu_range[1]:
        raise ValueError(f"nu_range={nu_range!r} is not allowed: need 0 < lo < hi")
    if grid_size < 3:
        raise ValueError(f"grid_size={grid_size} is not allowed: need grid_size >= 3")
    if n_boot < 0:
        raise ValueError(f"n_boot={n_boot} is not allowed: need n_boot >= 0")
    wc, nu, S, grid = _minimise(curves, (lo, hi), nu_range, grid_size)
    points = _quality(curves, wc, nu)[1]
    wc_err = nu_err = float("nan")
    if n_boot >= 2:
        rng = np.random.default_rng(seed)
        fits: list[tuple[float, float]] = []
        for _ in range(n_boot):
            redrawn = [c[2] + c[3] * rng.standard_normal(len(c[2])) for c in curves]
            b_wc, b_nu, b_S, _ = _minimise(curves, (lo, hi), nu_range, grid_size,
                                           start=(wc, np.log(nu)), y_override=redrawn)
            if np.isfinite(b_S):
                fits.append((b_wc, b_nu))
        if len(fits) > 1:
            wc_err, nu_err = (float(v) for v in np.std(np.asarray(fits), axis=0, ddof=1))
    return Collapse(wc, wc_err, nu, nu_err, S, points, n_boot, grid)
