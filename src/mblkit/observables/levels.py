"""Level statistics: the gap ratio and its reference values.

r_n = min(d_n, d_{n+1}) / max(d_n, d_{n+1}) with d_n = E_{n+1} - E_n for ascending energies
(Oganesyan & Huse 2007; the indicator of ``ergodic-bubble-inclusions.txt`` Fig. 2).
"""

from __future__ import annotations

import numpy as np

R_POISSON = 2.0 * np.log(2.0) - 1.0  # 0.38629..., uncorrelated levels (Atas et al. 2013)
R_GOE = 4.0 - 2.0 * np.sqrt(3.0)  # 0.5359..., Wigner-like surmise for 3x3 GOE (Atas et al.)
R_GOE_LARGE_N = 0.5307  # large-N GOE value (Atas et al. 2013, numerics), used in the papers


def _check_finite_levels(name: str, levels: np.ndarray) -> None:
    bad = np.flatnonzero(~np.isfinite(levels))
    if bad.size:
        raise ValueError(f"{name} contain {bad.size} non-finite value(s) (NaN or inf, e.g. "
                         f"{levels[bad[0]]!r}): gap ratios need finite levels")


def gap_ratio(energies: np.ndarray) -> np.ndarray:
    """Gap ratios r_n, n = 0 .. N-3, of a spectrum (sorted here if it is not).

    An exact degeneracy gives a vanishing gap and r_n = 0, also when both neighbouring gaps
    vanish (0 / 0 is defined as 0), so degeneracies never produce NaN.
    """
    e = np.sort(np.asarray(energies, dtype=np.float64))
    if e.ndim != 1 or e.size < 3:
        raise ValueError(f"gap_ratio needs a 1-D spectrum of at least 3 levels, got shape "
                         f"{np.shape(energies)}")
    _check_finite_levels("energies", e)
    gaps = np.diff(e)
    low = np.minimum(gaps[:-1], gaps[1:])
    high = np.maximum(gaps[:-1], gaps[1:])
    return np.divide(low, high, out=np.zeros_like(low), where=high > 0)


def central_window(n: int, fraction: float) -> slice:
    """The level indices [floor(N (1 - fraction) / 2), N - floor(N (1 - fraction) / 2)): the central
    ``fraction`` of N levels, symmetric about the middle.

    N (1 - fraction) / 2 is rounded to 9 decimals before the floor, so that a fraction written
    in decimal (0.9, 0.3) keeps the levels its decimal value means: in binary 20 (1 - 0.9) / 2 is
    0.99999999999999989 and a bare floor would keep 19 of 20 levels instead of 18.
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction={fraction!r} is not allowed: it must lie in (0, 1]")
    lo = int(np.floor(round(n * (1 - fraction) / 2, 9)))
    return slice(lo, n - lo)


def mean_gap_ratio(energies: np.ndarray, fraction: float = 0.5) -> float:
    """<r> over the central ``fraction`` of the spectrum (by level index), default the middle half.

    The levels kept are :func:`central_window` (N, fraction); the ratios averaged are those whose
    three levels all lie in that window.
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction={fraction!r} is not allowed: it must lie in (0, 1]")
    e = np.sort(np.asarray(energies, dtype=np.float64))
    _check_finite_levels("energies", e)
    return float(np.mean(gap_ratio(e[central_window(e.size, fraction)])))


R_CUE_LARGE_N = 0.5996  # large-N CUE value (Atas et al. 2013), for Floquet operators without
# time-reversal symmetry in their ergodic phase


def quasienergy_gap_ratio(quasienergies: np.ndarray) -> np.ndarray:
    """Gap ratios of quasienergies on the circle: N ratios, the gap across +-pi included.

    For a Floquet operator all points of the circle are equivalent (no spectral edges), so
    every level has two neighbouring gaps; the Poisson and CUE values are as for energies.
    """
    theta = np.sort(np.asarray(quasienergies, dtype=np.float64))
    if theta.ndim != 1 or theta.size < 3:
        raise ValueError(f"quasienergy_gap_ratio needs at least 3 quasienergies, got shape "
                         f"{np.shape(quasienergies)}")
    _check_finite_levels("quasienergies", theta)
    gaps = np.diff(np.concatenate((theta, [theta[0] + 2 * np.pi])))
    nxt = np.roll(gaps, -1)
    low, high = np.minimum(gaps, nxt), np.maximum(gaps, nxt)
    return np.divide(low, high, out=np.zeros_like(low), where=high > 0)
