"""Features of curves measured with errors: where two curves cross, where one peaks.

Both return the feature of the mean curves and a parametric-bootstrap error: the curves are
redrawn ``n_boot`` times with independent Gaussian noise of their standard errors and the
feature is recomputed; the error is the standard deviation of the redraws that have one.
Used for the L vs L + 2 gap-ratio crossings (``ergodic-bubble-inclusions.txt`` Fig. 2) and the
band width beta that maximises the gap ratio (SM A, Fig. 6).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Feature:
    """Position of the feature, its bootstrap error, and the fraction of redraws that had
    one (a crossing can disappear inside the errors)."""

    x: float
    error: float
    found_fraction: float


def _arrays(x, *ys) -> tuple[np.ndarray, ...]:
    x = np.asarray(x, dtype=float)
    out = [np.asarray(y, dtype=float) for y in ys]
    if x.ndim != 1 or len(x) < 2 or np.any(np.diff(x) <= 0):
        raise ValueError("x must be a strictly increasing 1-d array of at least two values")
    for y in out:
        if y.shape != x.shape:
            raise ValueError(f"every curve must have the shape of x {x.shape}, got {y.shape}")
    return (x, *out)


def first_crossing(x: np.ndarray, y1: np.ndarray, y2: np.ndarray) -> float:
    """x of the first sign change of y1 - y2 by linear interpolation, NaN if none."""
    d = np.asarray(y1, dtype=float) - np.asarray(y2, dtype=float)
    for k in range(len(d) - 1):
        if d[k] == 0:
            return float(x[k])
        if d[k] * d[k + 1] < 0:
            return float(x[k] + (x[k + 1] - x[k]) * d[k] / (d[k] - d[k + 1]))
    return float(x[-1]) if d[-1] == 0 else float("nan")


def _bootstrap(feature, x, curves, errors, n_boot: int, seed: int) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    draws = np.array([feature(x, *[c + e * rng.standard_normal(len(x))
                                   for c, e in zip(curves, errors, strict=True)])
                      for _ in range(n_boot)])
    ok = draws[np.isfinite(draws)]
    error = float(np.std(ok, ddof=1)) if len(ok) > 1 else float("nan")
    return error, len(ok) / n_boot if n_boot else float("nan")


def crossing(x, y1, err1, y2, err2, n_boot: int = 1000, seed: int = 0) -> Feature:
    """Where curve 1 first crosses curve 2 (e.g. the gap ratio at L and at L + 2 vs W)."""
    x, y1, err1, y2, err2 = _arrays(x, y1, err1, y2, err2)
    error, found = _bootstrap(first_crossing, x, (y1, y2), (np.nan_to_num(err1),
                                                          np.nan_to_num(err2)), n_boot, seed)
    return Feature(first_crossing(x, y1, y2), error, found)


def parabola_peak(x: np.ndarray, y: np.ndarray) -> float:
    """x of the maximum of y: the vertex of the parabola through the largest point and its
    two neighbours (the largest point itself at an end of the range or if the three points
    are not concave)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    k = int(np.argmax(y))
    if k == 0 or k == len(y) - 1:
        return float(x[k])
    a, b, _ = np.polyfit(x[k - 1:k + 2], y[k - 1:k + 2], 2)
    if a >= 0:
        return float(x[k])
    return float(np.clip(-b / (2 * a), x[k - 1], x[k + 1]))


def peak(x, y, err, n_boot: int = 1000, seed: int = 0) -> Feature:
    """Position of the maximum of a measured curve (:func:`parabola_peak`)."""
    x, y, err = _arrays(x, y, err)
    error, found = _bootstrap(parabola_peak, x, (y,), (np.nan_to_num(err),), n_boot, seed)
    return Feature(parabola_peak(x, y), error, found)
