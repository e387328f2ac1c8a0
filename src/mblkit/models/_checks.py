"""Argument checks shared by the models: errors name the argument, its value, what is allowed."""

from __future__ import annotations

import math

import numpy as np

BOUNDARIES = ("open", "periodic")


def check_boundary(boundary: str, L: int) -> None:
    if boundary not in BOUNDARIES:
        raise ValueError(f"boundary={boundary!r} is not allowed: use one of {BOUNDARIES}")
    if boundary == "periodic" and L < 3:
        raise ValueError(f"boundary='periodic' needs L >= 3, got L={L}")


def _is_real_number(value: object) -> bool:
    """int, float or a NumPy real scalar, but not a bool (True is an int in Python)."""
    return (isinstance(value, int | float | np.floating | np.integer)
            and not isinstance(value, bool | np.bool_))


def check_nonnegative(name: str, value: float) -> None:
    if not _is_real_number(value) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name}={value!r} is not allowed: it must be a finite number >= 0")


def check_finite(name: str, value: float) -> None:
    if not _is_real_number(value) or not math.isfinite(value):
        raise ValueError(f"{name}={value!r} is not allowed: it must be a finite real number")


def check_array(name: str, value: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != shape:
        raise ValueError(f"{name} has shape {arr.shape}, expected {shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains non-finite values")
    return arr


def bonds(L: int, boundary: str) -> list[tuple[int, int]]:
    """Nearest-neighbour bonds (i, i+1), plus (L-1, 0) for periodic boundaries."""
    pairs = [(i, i + 1) for i in range(L - 1)]
    if boundary == "periodic":
        pairs.append((L - 1, 0))
    return pairs
