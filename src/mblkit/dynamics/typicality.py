"""Infinite-temperature autocorrelation by quantum typicality.

C(t) = D^-1 Tr(O(t) O), O(t) = e^{iHt} O e^{-iHt} (``resonance-model-crossover.txt`` Eqs. 21
and 72, the quantity :func:`mblkit.observables.autocorrelation` computes from a full spectrum)
is estimated with random states |r> (complex Gaussian entries, normalised; Haar-distributed):

    C(t) ~ <r| e^{iHt} O e^{-iHt} O |r> = <r(t)| O |phi(t)>,
    |r(t)> = e^{-iHt} |r>,  |phi(t)> = e^{-iHt} O |r>,

two evolutions of one block of two columns. For a Haar random |r> the estimate is unbiased
(E |r><r| = 1/D) and its standard deviation is ~ D^{-1/2} (Hams & De Raedt, PRE 62, 4365
(2000); Bartsch & Gemmer, PRL 102, 110403 (2009)). We report the mean over R independent
samples and its standard error s / sqrt(R) from the sample scatter (ddof = 1), and the largest
|Im| of the mean (C(t) is real for Hermitian O, so |Im| is also noise).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mblkit.dynamics._checks import check_positive_int, check_times
from mblkit.dynamics.evolve import propagate
from mblkit.spins import SpinBasis, apply


@dataclass(frozen=True)
class TypicalAutocorrelation:
    """C(t) by typicality: ``correlator`` (mean of the real parts), ``error`` (standard error),
    ``samples`` (R, len(times)) real parts, ``imaginary`` max |Im mean|, ``samples_used`` R."""

    times: np.ndarray
    correlator: np.ndarray
    error: np.ndarray
    samples: np.ndarray
    imaginary: float
    max_error_bound: float
    max_norm_error: float


def random_state(dim: int, rng: np.random.Generator) -> np.ndarray:
    """A Haar-random unit vector of dimension ``dim`` (normalised complex Gaussian)."""
    z = rng.standard_normal(dim) + 1j * rng.standard_normal(dim)
    return z / np.linalg.norm(z)


def typical_autocorrelation(H, basis: SpinBasis, opstr: str, sites: Sequence[int], times, *,
                            samples: int, rng: np.random.Generator, method: str = "chebyshev",
                            tol: float = 1e-10,
                            bounds: tuple[float, float] | None = None) -> TypicalAutocorrelation:
    """C(t) = D^-1 Tr(O(t) O) of the operator string O = (``opstr``, ``sites``) in ``basis``
    (a sector or the full space; D = basis.dim) from ``samples`` >= 2 random states.

    E.g. O = sigma^z_j: ``("z", [j])``; the probe spin of :class:`mblkit.models.ProbeStaticChain`
    is ``("z", [L])``. Cost per sample: one evolution of two vectors.
    """
    t = check_times(times)
    R = check_positive_int(samples, "samples", 2)
    if H.shape[0] != basis.dim:
        raise ValueError(f"H has dimension {H.shape[0]}, but {basis!r} has {basis.dim}")
    apply(opstr, sites, np.zeros(basis.dim), basis)  # checks the operator string early
    if bounds is None and method == "chebyshev":
        from mblkit.dynamics.krylov import spectral_bounds
        bounds = spectral_bounds(H)
    values = np.empty((R, t.size), dtype=np.complex128)
    worst_bound, worst_norm = 0.0, 0.0
    for r in range(R):
        psi = random_state(basis.dim, rng)
        block = np.stack([psi, apply(opstr, sites, psi, basis)], axis=1)
        for i, snap in enumerate(propagate(H, block, t, method=method, tol=tol, bounds=bounds)):
            left, right = snap.state[:, 0], snap.state[:, 1]
            values[r, i] = np.vdot(left, apply(opstr, sites, right, basis))
            worst_bound = max(worst_bound, snap.error_bound)
            worst_norm = max(worst_norm, snap.norm_error)
    real = values.real
    return TypicalAutocorrelation(
        times=t, correlator=real.mean(axis=0), error=real.std(axis=0, ddof=1) / np.sqrt(R),
        samples=real, imaginary=float(np.max(np.abs(values.imag.mean(axis=0)))),
        max_error_bound=worst_bound, max_norm_error=worst_norm)
