"""Argument checks shared by the resonance-model modules.

Every error names the argument, its value and what is allowed.
"""

from __future__ import annotations

import math

import numpy as np

_REAL = (int, float, np.integer, np.floating)


def positive(name: str, value: float) -> float:
    """A finite real number > 0, returned as float."""
    if isinstance(value, bool) or not isinstance(value, _REAL) or not math.isfinite(value) \
            or value <= 0:
        raise ValueError(f"{name}={value!r} is not allowed: it must be a finite number > 0")
    return float(value)


def nonnegative(name: str, value: float) -> float:
    """A finite real number >= 0, returned as float."""
    if isinstance(value, bool) or not isinstance(value, _REAL) or not math.isfinite(value) \
            or value < 0:
        raise ValueError(f"{name}={value!r} is not allowed: it must be a finite number >= 0")
    return float(value)


def real(name: str, value: float) -> float:
    """A finite real number, returned as float."""
    if isinstance(value, bool) or not isinstance(value, _REAL) or not math.isfinite(value):
        raise ValueError(f"{name}={value!r} is not allowed: it must be a finite real number")
    return float(value)


def system_size(L: float) -> float:
    """A chain length L >= 1 (real, so that the continuum model can be drawn at any L)."""
    if isinstance(L, bool) or not isinstance(L, _REAL) or not math.isfinite(L) or L < 1:
        raise ValueError(f"L={L!r} is not allowed: the chain length must be a finite number >= 1")
    return float(L)


def real_array(name: str, values: np.ndarray) -> np.ndarray:
    """A float64 array of finite values."""
    arr = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains non-finite values: {arr[~np.isfinite(arr)][:5]!r}; "
                         f"only finite real numbers are allowed")
    return arr


def nonnegative_array(name: str, values: np.ndarray) -> np.ndarray:
    """A float64 array of finite values >= 0."""
    arr = real_array(name, values)
    if np.any(arr < 0):
        raise ValueError(f"{name} contains negative values (min {arr.min()!r}); "
                         f"only values >= 0 are allowed")
    return arr


def positive_array(name: str, values: np.ndarray) -> np.ndarray:
    """A float64 array of finite values > 0."""
    arr = real_array(name, values)
    if np.any(arr <= 0):
        raise ValueError(f"{name} contains values <= 0 (min {arr.min()!r}); "
                         f"only values > 0 are allowed")
    return arr
