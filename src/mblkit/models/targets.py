"""Energy-density targets, resolved per realisation: epsilon = (E - E_min) / (E_max - E_min),
the convention of mobility-edge studies (epsilon = 0 the ground state, 1 the top of the
spectrum, 1/2 the centre of the band (E_min + E_max) / 2).

The extremal eigenvalues of the Hermitian operator are found by Lanczos (SciPy's ``eigsh``,
ARPACK, ``which="SA"`` and ``"LA"``) and verified by their residuals ||H v - E v||; small
matrices (dimension <= :data:`DENSE_MAX_DIM`) are diagonalised densely instead. The absolute
target E = E_min + epsilon (E_max - E_min) is what an interior solver then takes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

#: at or below this dimension the extremal energies come from a dense eigvalsh
DENSE_MAX_DIM = 400
#: accepted relative residual ||H v - E v|| / ||H||_estimate of a Lanczos extremal pair
RESIDUAL_RTOL = 1e-8


def check_energy_density(epsilon: Any, name: str = "solver.target") -> float:
    """epsilon as a float in [0, 1], or a ValueError naming ``name``."""
    if (not isinstance(epsilon, int | float | np.integer | np.floating)
            or isinstance(epsilon, bool) or not math.isfinite(epsilon)
            or not 0 <= epsilon <= 1):
        raise ValueError(f"{name} = {epsilon!r} is not allowed: an energy density epsilon = "
                         f"(E - E_min) / (E_max - E_min) is a number in [0, 1]")
    return float(epsilon)


def extremal_energies(H: sp.spmatrix | np.ndarray, seed: int = 0) -> tuple[float, float]:
    """(E_min, E_max) of a Hermitian matrix, verified by residuals.

    ``seed`` fixes ARPACK's starting vector, so the result is reproducible.
    """
    if H.ndim != 2 or H.shape[0] != H.shape[1] or H.shape[0] == 0:
        raise ValueError(f"H has shape {H.shape}: it must be a non-empty square matrix")
    n = H.shape[0]
    if n <= DENSE_MAX_DIM:
        dense = sp.csr_matrix(H).toarray() if sp.issparse(H) else np.asarray(H)
        e = np.linalg.eigvalsh(dense)
        return float(e[0]), float(e[-1])
    v0 = np.random.default_rng(seed).standard_normal(n)
    if np.iscomplexobj(H):
        v0 = v0.astype(np.complex128)
    bound = float(abs(H).sum(axis=1).max())  # the infinity norm, >= the spectral norm
    found = []
    for which in ("SA", "LA"):
        values, vectors = spla.eigsh(H, k=1, which=which, v0=v0, tol=0)
        energy, vector = float(values[0]), vectors[:, 0]
        residual = float(np.linalg.norm(H @ vector - energy * vector))
        if residual > RESIDUAL_RTOL * max(bound, 1e-300):
            raise ArithmeticError(f"Lanczos extremal eigenvalue ({which}) not converged: "
                                  f"residual {residual:.3g} for |H| <= {bound:.3g}")
        found.append(energy)
    return found[0], found[1]


def energy_at_density(H: sp.spmatrix | np.ndarray, epsilon: float,
                      bounds: tuple[float, float] | None = None) -> float:
    """The absolute energy E = E_min + epsilon (E_max - E_min) of a realisation's operator.

    ``bounds`` = (E_min, E_max) skips the Lanczos runs when they are already known.
    """
    eps = check_energy_density(epsilon, "epsilon")
    e_min, e_max = extremal_energies(H) if bounds is None else bounds
    return e_min + eps * (e_max - e_min)


def energy_density(energies: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    """epsilon of each energy for (E_min, E_max) = ``bounds``."""
    e_min, e_max = bounds
    if not e_max > e_min:
        raise ValueError(f"bounds = {bounds!r}: E_max must exceed E_min")
    return (np.asarray(energies, dtype=np.float64) - e_min) / (e_max - e_min)
