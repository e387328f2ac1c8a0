"""Argument checks of the dynamics layer: each error names the argument, its value and what is
allowed, and is raised before any work starts."""

from __future__ import annotations

import math

import numpy as np

#: Allowed range of the accuracy targets ``tol``: below 1e-15 rounding (~1e-16 per step)
#: dominates any truncation, above 1e-2 the result is not a time evolution worth the name.
TOL_RANGE = (1e-15, 1e-2)


def check_times(times, name: str = "times") -> np.ndarray:
    """A 1-D array of finite times >= 0, strictly increasing, at least one."""
    t = np.asarray(times, dtype=np.float64)
    if t.ndim != 1 or t.size < 1:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {t.shape}")
    if not np.all(np.isfinite(t)):
        bad = t[~np.isfinite(t)][0]
        raise ValueError(f"{name} contains the non-finite value {bad!r}: times must be finite")
    if t[0] < 0:
        raise ValueError(f"{name}[0] = {t[0]!r} is negative: times are measured from the "
                         f"initial state at t = 0 and must be >= 0")
    steps = np.diff(t)
    if np.any(steps <= 0):
        i = int(np.flatnonzero(steps <= 0)[0])
        raise ValueError(f"{name} must be strictly increasing, but {name}[{i}] = {t[i]!r} and "
                         f"{name}[{i + 1}] = {t[i + 1]!r}")
    return t


def check_periods(periods, name: str = "periods") -> np.ndarray:
    """A 1-D array of integer period counts >= 0, strictly increasing."""
    p = np.asarray(periods)
    if p.ndim != 1 or p.size < 1 or not np.issubdtype(p.dtype, np.integer):
        raise ValueError(f"{name} must be a non-empty 1-D array of integers (numbers of "
                         f"periods), got {p.dtype} with shape {p.shape}")
    check_times(p.astype(np.float64), name)
    return p.astype(np.int64)


def check_tol(tol, name: str = "tol") -> float:
    lo, hi = TOL_RANGE
    if isinstance(tol, bool) or not isinstance(tol, int | float | np.floating) or \
            not math.isfinite(tol) or not lo <= tol <= hi:
        raise ValueError(f"{name}={tol!r} is not allowed: it must be a number in "
                         f"[{lo:g}, {hi:g}]")
    return float(tol)


def check_state(psi, dim: int, name: str = "psi", what: str = "the operator") -> np.ndarray:
    """A finite non-zero vector (dim,) or block (dim, m) as C-contiguous complex128."""
    v = np.asarray(psi)
    if v.ndim not in (1, 2) or v.shape[0] != dim or (v.ndim == 2 and v.shape[1] < 1):
        raise ValueError(f"{name} has shape {v.shape}, but {what} acts on dimension {dim}: "
                         f"pass a vector ({dim},) or a block ({dim}, m) in the same basis "
                         f"(full space or the same U(1) sector)")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} contains non-finite values")
    norms = np.linalg.norm(v.reshape(dim, -1), axis=0)
    if np.any(norms == 0):
        raise ValueError(f"{name} has a column of norm 0: a state must be non-zero")
    return np.ascontiguousarray(v, dtype=np.complex128)


def check_positive_int(value, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name}={value!r} is not allowed: it must be an integer >= {minimum}")
    return int(value)
