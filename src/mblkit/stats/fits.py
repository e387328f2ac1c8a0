"""Power-law fits of histogram tails with bootstrap errors over disorder realisations, and a
data-driven choice of the power-law window with its systematic uncertainty.

The tail of a log-binned density p(x) ~ A x^slope is fitted by weighted least squares of
log p against log x over the bins inside a window [lo, hi]: the weight of a bin is its count
(the variance of log p from Poisson counts is 1/count), and bins with no count are left out.
The statistical error is the standard deviation of the slope over ``n_boot`` bootstrap
resamplings of the realisations: realisations are drawn with replacement, their counts summed
and the fit repeated, so the error includes the realisation-to-realisation fluctuations the
paper's error bars refer to.

Window choice (:func:`select_power_law_window`). A window is a run of consecutive blocks of
``block_decades`` on a fixed grid of the bins; it is a power-law range when

* the local exponent is flat within its error: the block slopes s_k (each a fit over its own
  bins; error sigma_k the bootstrap one, never below the Poisson one) are consistent with one
  constant: chi^2 = sum_k (s_k - s)^2 / sigma_k^2 about their inverse-variance mean s, with
  (blocks - 1) degrees of freedom, has a p-value >= ``alpha``;
* and, if a ``partner`` histogram of another system size is given, the rescaled densities agree:
  ln(scale P_k) - ln(partner_scale P'_k) for the probabilities P_k, P'_k of block k is zero
  within its error (chi^2 with (blocks) degrees of freedom, p-value >= ``alpha``)
  (for the Floquet p_Omega, scale = 2^L: ``resonant-energy-scales-floquet.txt`` Fig. 2,
  "for fixed Omega the distribution scales as p_Omega ~ 2^-L").

Every bin of the window must hold at least ``min_count`` counts in each histogram; the window
spans at least ``min_decades`` and two blocks. The widest window passing every test is chosen
(ties: the larger smallest p-value). The tests use disjoint blocks so that their errors are
independent; a sliding local exponent for plots is :func:`local_exponents`.

Window systematics (:func:`fit_power_law_with_edges`): both edges are moved independently by up
to ``edge_decades`` (one bin steps, keeping at least half the width) and the slope refitted;
half the spread of those slopes is the systematic error, added in quadrature to the bootstrap
error at the chosen window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mblkit.stats.histograms import LogBins


@dataclass(frozen=True)
class PowerLawFit:
    """p(x) = amplitude * x^slope inside [lo, hi]; ``error`` is the bootstrap standard
    deviation of the slope (NaN with fewer than two realisations)."""

    slope: float
    error: float
    amplitude: float
    lo: float
    hi: float
    bins_used: int
    realisations: int


def _fit(counts: np.ndarray, total: float, bins: LogBins, inside: np.ndarray
         ) -> tuple[float, float, int]:
    used = inside & (counts[1:-1] > 0)
    if used.sum() < 2:
        return np.nan, np.nan, int(used.sum())
    x = np.log(bins.centres[used])
    y = np.log(counts[1:-1][used] / (total * np.diff(bins.edges)[used]))
    w = counts[1:-1][used].astype(float)
    slope, intercept = np.polyfit(x, y, 1, w=np.sqrt(w))
    return float(slope), float(np.exp(intercept)), int(used.sum())


def fit_power_law(counts: np.ndarray, bins: LogBins, window: tuple[float, float],
                  n_boot: int = 200, seed: int = 0) -> PowerLawFit:
    """Fit the tail of the density whose per-realisation counts are ``counts`` (shape
    (realisations, bins.size), slots as in :class:`LogBins`), inside ``window``.

    The density is normalised over everything counted (under/overflow included), as
    :func:`mblkit.stats.density` does.
    """
    counts = np.atleast_2d(np.asarray(counts, dtype=np.int64))
    if counts.shape[1] != bins.size:
        raise ValueError(f"counts has {counts.shape[1]} slots per realisation, the bins need "
                         f"{bins.size}")
    lo, hi = window
    if not 0 < lo < hi:
        raise ValueError(f"window={window!r} is not allowed: need 0 < lo < hi")
    edges = bins.edges
    inside = (edges[:-1] >= lo * (1 - 1e-12)) & (edges[1:] <= hi * (1 + 1e-12))
    if inside.sum() < 2:
        raise ValueError(f"window={window!r} holds fewer than two bins of [{bins.lo}, "
                         f"{bins.hi}) with {bins.bins} bins")
    merged = counts.sum(axis=0)
    slope, amplitude, used = _fit(merged, merged.sum(), bins, inside)
    if not np.isfinite(slope):
        raise ValueError(f"window={window!r}: fewer than two bins with counts; widen the "
                         f"window or add realisations")
    n = counts.shape[0]
    error = np.nan
    if n > 1 and n_boot > 1:
        rng = np.random.default_rng(seed)
        slopes = []
        for _ in range(n_boot):
            resampled = counts[rng.integers(0, n, n)].sum(axis=0)
            slopes.append(_fit(resampled, resampled.sum(), bins, inside)[0])
        boot = np.asarray(slopes)
        error = float(np.std(boot[np.isfinite(boot)], ddof=1))
    return PowerLawFit(slope, error, amplitude, float(lo), float(hi), used, n)


def _bootstrap_sums(counts: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """Row 0: the counts summed over realisations; rows 1..n_boot: sums over realisations drawn
    with replacement (float64, exact for counts below 2^53). One row if n < 2 or n_boot < 2."""
    n = counts.shape[0]
    merged = counts.sum(axis=0, dtype=np.float64)[None]
    if n < 2 or n_boot < 2:
        return merged
    draws = np.random.default_rng(seed).integers(0, n, (n_boot, n))
    multiplicity = np.zeros((n_boot, n))
    np.add.at(multiplicity, (np.arange(n_boot)[:, None], draws), 1.0)
    return np.concatenate([merged, multiplicity @ counts.astype(np.float64)])


def _block_slopes(sums: np.ndarray, bins: LogBins, start: int, stop: int) -> np.ndarray:
    """Count-weighted least-squares slope of ln p against ln x over bins [start, stop) for
    every row of ``sums`` (slots as in :class:`LogBins`); NaN where fewer than two bins count.
    The same estimator as :func:`fit_power_law` (the normalisation only shifts ln p)."""
    c = sums[:, 1 + start:1 + stop]
    x = np.log(bins.centres[start:stop])
    x = x - x.mean()
    y = np.log(np.where(c > 0, c, 1.0) / np.diff(bins.edges)[start:stop])
    s, sx, sxx = c.sum(axis=1), c @ x, c @ x**2
    sy, sxy = (c * y).sum(axis=1), (c * y) @ x
    den = s * sxx - sx**2
    ok = ((c > 0).sum(axis=1) >= 2) & (den > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, (s * sxy - sx * sy) / np.where(ok, den, 1.0), np.nan)


def _poisson_slope_error(c: np.ndarray, bins: LogBins, start: int, stop: int) -> float:
    """Standard error of the count-weighted slope over bins [start, stop) from Poisson counts
    ``c`` (bins.size slots): var(ln c) = 1/c, so var(slope) = 1 / sum c (x - <x>_c)^2."""
    c = c[1 + start:1 + stop]
    x = np.log(bins.centres[start:stop])
    total = c.sum()
    if total <= 0:
        return np.nan
    mean = (c @ x) / total
    spread = c @ (x - mean) ** 2
    return float(1 / np.sqrt(spread)) if spread > 0 else np.nan


def _spread(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    return float(np.std(values, ddof=1)) if len(values) > 1 else np.nan


def _edge_indices(bins: LogBins, window: tuple[float, float]) -> tuple[int, int]:
    """[start, stop) of the bins lying inside ``window`` (as :func:`fit_power_law` takes them)."""
    lo, hi = window
    edges = bins.edges
    inside = np.flatnonzero((edges[:-1] >= lo * (1 - 1e-12)) & (edges[1:] <= hi * (1 + 1e-12)))
    if len(inside) < 2:
        raise ValueError(f"window={window!r} holds fewer than two bins of [{bins.lo}, "
                         f"{bins.hi}) with {bins.bins} bins")
    return int(inside[0]), int(inside[-1]) + 1


def _bins_per_decade(bins: LogBins) -> float:
    return float(bins.bins / np.log10(bins.hi / bins.lo))


@dataclass(frozen=True)
class LocalExponents:
    """Sliding local exponent d ln p / d ln x of a log-binned density: the count-weighted slope
    over ``width`` consecutive bins [lo, hi) around ``centre`` (geometric), with its bootstrap
    error over realisations (NaN where a block has fewer than two bins with counts)."""

    centre: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    slope: np.ndarray
    error: np.ndarray


def local_exponents(counts: np.ndarray, bins: LogBins, block_decades: float = 0.5,
                    n_boot: int = 200, seed: int = 0) -> LocalExponents:
    """Local exponents of the density of per-realisation ``counts`` (realisations, bins.size)
    over sliding blocks of ``block_decades`` (at least three bins), in steps of one bin."""
    counts = _check_counts(counts, bins)
    width = max(3, round(block_decades * _bins_per_decade(bins)))
    sums = _bootstrap_sums(counts, n_boot, seed)
    starts = np.arange(0, bins.bins - width + 1)
    slopes = np.array([_block_slopes(sums, bins, int(i), int(i) + width) for i in starts])
    edges = bins.edges
    lo, hi = edges[starts], edges[starts + width]
    error = np.array([_spread(row[1:]) for row in slopes])
    return LocalExponents(np.sqrt(lo * hi), lo, hi, slopes[:, 0], error)


@dataclass(frozen=True)
class PowerLawWindow:
    """A window [lo, hi) chosen by :func:`select_power_law_window`, with the evidence: the
    disjoint blocks (edges ``block_lo``, ``block_hi``), their slopes and bootstrap errors, the
    block log-ratios of the rescaled densities (NaN without a partner) and both chi^2 tests."""

    lo: float
    hi: float
    block_lo: np.ndarray
    block_hi: np.ndarray
    block_slopes: np.ndarray
    block_errors: np.ndarray
    log_ratios: np.ndarray
    log_ratio_errors: np.ndarray
    flatness_chi2: float
    flatness_dof: int
    flatness_p: float
    collapse_chi2: float
    collapse_dof: int
    collapse_p: float

    @property
    def decades(self) -> float:
        return float(np.log10(self.hi / self.lo))


def _check_counts(counts: np.ndarray, bins: LogBins) -> np.ndarray:
    counts = np.atleast_2d(np.asarray(counts, dtype=np.int64))
    if counts.ndim != 2 or counts.shape[1] != bins.size:
        raise ValueError(f"counts has {counts.shape[-1]} slots per realisation, the bins need "
                         f"{bins.size}")
    return counts


def select_power_law_window(counts: np.ndarray, bins: LogBins, partner: np.ndarray | None = None,
                            scale: float = 1.0, partner_scale: float = 1.0, *,
                            block_decades: float = 0.5, min_decades: float = 1.0,
                            min_count: int = 20, alpha: float = 0.05,
                            flatness_tolerance: float = 0.0, collapse_tolerance: float = 0.0,
                            n_boot: int = 200, seed: int = 0) -> PowerLawWindow:
    """The widest window where the density of ``counts`` is a power law (flat local exponent)
    and, with ``partner`` (per-realisation counts of another system size, same bins), where
    ``scale`` p and ``partner_scale`` p' agree; the rule is in the module docstring.

    The blocks lie on a fixed grid of ``block_decades`` (at least three bins) counted from the
    first bin, and a window is a run of whole blocks: the tests never depend on where a window
    happens to start. ``flatness_tolerance`` (in the exponent) and ``collapse_tolerance`` (in
    ln p) are added in quadrature to the block errors of the two tests (0: agreement within
    the statistical error only). Raises ValueError if no window passes."""
    from scipy.special import chdtrc  # chi^2 survival function

    counts = _check_counts(counts, bins)
    if counts.shape[0] < 2:
        raise ValueError(f"{counts.shape[0]} realisation(s): the tests need bootstrap errors "
                         f"over at least two")
    for name, value, allowed in (("block_decades", block_decades, block_decades > 0),
                            ("min_decades", min_decades, min_decades > 0),
                            ("alpha", alpha, 0 < alpha < 1),
                            ("min_count", min_count, min_count >= 1),
                            ("flatness_tolerance", flatness_tolerance, flatness_tolerance >= 0),
                            ("collapse_tolerance", collapse_tolerance, collapse_tolerance >= 0),
                            ("scale", scale, scale > 0),
                            ("partner_scale", partner_scale, partner_scale > 0),
                            ("n_boot", n_boot, n_boot >= 2)):
        if not allowed:
            raise ValueError(f"{name}={value!r} is not allowed")
    per_decade = _bins_per_decade(bins)
    width = max(3, round(block_decades * per_decade))
    min_blocks = max(2, int(np.ceil(min_decades * per_decade / width - 1e-9)))
    sums = _bootstrap_sums(counts, n_boot, seed)
    valid = sums[0, 1:-1] >= min_count
    if partner is not None:
        partner = _check_counts(partner, bins)
        if partner.shape[0] < 2:
            raise ValueError(f"partner has {partner.shape[0]} realisation(s): need at least two")
        psums = _bootstrap_sums(partner, n_boot, seed + 1)
        valid &= psums[0, 1:-1] >= min_count
    nblocks = bins.bins // width
    starts = width * np.arange(nblocks)
    grid = [int(i) for i in starts]
    ok = np.array([valid[i:i + width].all() for i in grid])
    slope = np.array([_block_slopes(sums, bins, i, i + width) for i in grid])
    s_val = slope[:, 0]
    s_err = np.hypot(np.fmax([_spread(row[1:]) for row in slope],
                             [_poisson_slope_error(sums[0], bins, i, i + width) for i in grid]),
                     flatness_tolerance)
    r_val = r_err = np.full(nblocks, np.nan)
    if partner is not None:
        mass = np.add.reduceat(sums[:, 1:1 + nblocks * width], starts, axis=1)
        pmass = np.add.reduceat(psums[:, 1:1 + nblocks * width], starts, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = (np.log(scale * mass / sums.sum(axis=1)[:, None])
                     - np.log(partner_scale * pmass / psums.sum(axis=1)[:, None]))
            poisson = 1 / mass[0] + 1 / pmass[0]
        r_val = ratio[0]
        r_err = np.sqrt(np.fmax(np.array([_spread(col) for col in ratio[1:].T]) ** 2, poisson)
                        + collapse_tolerance**2)
    ok &= np.isfinite(s_val) & (s_err > 0)
    if partner is not None:
        ok &= np.isfinite(r_val) & (r_err > 0)
    best: tuple | None = None
    for first in range(nblocks):
        for last in range(first + min_blocks - 1, nblocks):
            if not ok[last]:
                break
            if not ok[first:last + 1].all():
                continue
            k = slice(first, last + 1)
            m = last + 1 - first
            w = 1.0 / s_err[k] ** 2
            pulls = (s_val[k] - np.sum(w * s_val[k]) / np.sum(w)) / s_err[k]
            flat_chi2 = float(np.sum(pulls**2))
            flat_p = float(chdtrc(m - 1, flat_chi2))
            col_chi2, col_p = np.nan, np.nan
            if partner is not None:
                pulls = r_val[k] / r_err[k]
                col_chi2 = float(np.sum(pulls**2))
                col_p = float(chdtrc(m, col_chi2))
            worst = flat_p if partner is None else min(flat_p, col_p)
            if worst < alpha:
                continue
            key = (m, worst)
            if best is None or key > best[0]:
                best = (key, first, last, flat_chi2, flat_p, col_chi2, col_p)
    if best is None:
        both = " and the rescaled densities agree" if partner is not None else ""
        raise ValueError(f"no window of at least {min_decades} decade(s) where the local "
                         f"exponent is flat{both} (alpha={alpha}, min_count={min_count}); add "
                         f"realisations or sizes")
    _, first, last, flat_chi2, flat_p, col_chi2, col_p = best
    k = slice(first, last + 1)
    m = last + 1 - first
    edges = bins.edges
    return PowerLawWindow(float(edges[starts[first]]), float(edges[starts[last] + width]),
                          edges[starts[k]], edges[starts[k] + width], s_val[k], s_err[k],
                          r_val[k], r_err[k], flat_chi2, m - 1, flat_p, col_chi2,
                          m if partner is not None else 0, col_p)


@dataclass(frozen=True)
class WindowedPowerLawFit:
    """The fit at a chosen window, its bootstrap (``statistical``) error, the ``systematic``
    error from moving both window edges (half the spread of ``edge_slopes``) and their
    quadrature sum ``error``."""

    fit: PowerLawFit
    statistical: float
    systematic: float
    error: float
    edge_decades: float
    edge_slopes: np.ndarray

    @property
    def slope(self) -> float:
        return self.fit.slope


def fit_power_law_with_edges(counts: np.ndarray, bins: LogBins, window: tuple[float, float],
                             edge_decades: float = 0.5, n_boot: int = 200, seed: int = 0
                             ) -> WindowedPowerLawFit:
    """:func:`fit_power_law` at ``window`` plus the window systematics: each edge moved by
    -edge_decades..+edge_decades in steps of one bin (within the binned range, keeping at least
    half the window's bins), the slope refitted on the merged counts; systematic = (max - min)
    / 2 of those slopes."""
    if not edge_decades >= 0:
        raise ValueError(f"edge_decades={edge_decades!r} is not allowed: need >= 0")
    counts = _check_counts(counts, bins)
    fit = fit_power_law(counts, bins, window, n_boot=n_boot, seed=seed)
    i0, j0 = _edge_indices(bins, window)
    shift = round(edge_decades * _bins_per_decade(bins))
    merged = counts.sum(axis=0, dtype=np.float64)[None]
    keep = max(2, int(np.ceil((j0 - i0) / 2)))
    slopes = []
    for di in range(-shift, shift + 1):
        for dj in range(-shift, shift + 1):
            i, j = i0 + di, j0 + dj
            if i < 0 or j > bins.bins or j - i < keep:
                continue
            slopes.append(_block_slopes(merged, bins, i, j)[0])
    edge_slopes = np.array(slopes)
    finite = edge_slopes[np.isfinite(edge_slopes)]
    systematic = float((finite.max() - finite.min()) / 2) if len(finite) else 0.0
    statistical = fit.error
    return WindowedPowerLawFit(fit, statistical, systematic,
                               float(np.hypot(statistical, systematic)), float(edge_decades),
                               edge_slopes)


@dataclass(frozen=True)
class OffsetExponentialFit:
    """y = offset + amplitude e^{-x / length}, weighted least squares; errors are the square
    roots of the covariance diagonal for the given (absolute) sigmas; ``chi2`` / ``dof``
    measures whether those sigmas describe the scatter."""

    offset: float
    offset_error: float
    amplitude: float
    amplitude_error: float
    length: float
    length_error: float
    chi2: float
    dof: int

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.offset + self.amplitude * np.exp(-np.asarray(x, dtype=float) / self.length)


def fit_offset_exponential(x: np.ndarray, y: np.ndarray, sigma: np.ndarray
                           ) -> OffsetExponentialFit:
    """Fit y = y_0 + A e^{-x / xi} (``ergodic-bubble-inclusions.txt`` SM C, Fig. 9:
    gamma_XXZ - gamma_i = gamma_0 + A e^{-i / xi}) with standard errors ``sigma``.

    Needs at least four points (three parameters and one degree of freedom) and sigma > 0.
    """
    from scipy.optimize import curve_fit

    x, y, sigma = (np.asarray(a, dtype=float) for a in (x, y, sigma))
    if not (x.shape == y.shape == sigma.shape) or x.ndim != 1:
        raise ValueError(f"x, y and sigma must be 1-d of one shape, got {x.shape}, {y.shape}, "
                         f"{sigma.shape}")
    if len(x) < 4:
        raise ValueError(f"{len(x)} points are too few: the fit has three parameters and "
                         f"needs at least four points")
    if not np.all(np.isfinite(sigma) & (sigma > 0)):
        raise ValueError("sigma must be finite and > 0 at every point")

    def model(t, y0, a, xi):
        return y0 + a * np.exp(-t / xi)

    span = float(x.max() - x.min()) or 1.0
    guess = (float(y[np.argmax(x)]), float(y[np.argmin(x)] - y[np.argmax(x)]), span / 3)
    params, cov = curve_fit(model, x, y, p0=guess, sigma=sigma, absolute_sigma=True,
                            bounds=([-np.inf, -np.inf, 1e-3 * span], np.inf), maxfev=20000)
    errors = np.sqrt(np.diag(cov))
    chi2 = float(np.sum(((y - model(x, *params)) / sigma) ** 2))
    return OffsetExponentialFit(float(params[0]), float(errors[0]), float(params[1]),
                                float(errors[1]), float(params[2]), float(errors[2]), chi2,
                                len(x) - 3)
