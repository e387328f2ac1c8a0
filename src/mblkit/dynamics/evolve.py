"""Time evolution psi(t) = e^{-i H t} psi (hbar = 1, t in the inverse units of H) and the
stroboscopic evolution psi(n T) = U^n psi of a Floquet operator, with conservation checks.

Methods (``method=``):

* ``"chebyshev"`` (default): :mod:`mblkit.dynamics.chebyshev`, with a rigorous truncation
  bound (``error_bound``) on || psi(t) - exact ||, relative to || psi ||, at most ``tol``.
* ``"krylov"``: Lanczos exponentiation, :mod:`mblkit.dynamics.krylov`, with an error
  *estimate* (``error_bound`` holds the sum of the step estimates), at most ``tol``.

Every output is checked like the eigensolvers' residuals: the norm drift
| ||psi(t)|| / ||psi(0)|| - 1 | and the energy drift |<H>_t - <H>_0| / max(||H||, 1) (one
more operator application per output) are reported, and a drift above
:func:`conservation_limit` (100 tol, at least 1e-9) raises :class:`VerificationError` (e.g.
spectral bounds that miss part of the spectrum make the Chebyshev recurrence grow).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from mblkit.dynamics._checks import check_periods, check_state, check_times, check_tol
from mblkit.dynamics.chebyshev import chebyshev_propagate
from mblkit.dynamics.krylov import krylov_propagate, spectral_bounds
from mblkit.dynamics.operator import TermOperator, affine, check_memory, prepared
from mblkit.solvers.spectrum import VerificationError

METHODS = ("chebyshev", "krylov")
#: Hermiticity test threshold of a TermOperator (random-vector test, relative to ||H||).
HERMITICITY_RTOL = 1e-12


def conservation_limit(tol: float) -> float:
    """Largest norm / energy drift accepted: 100 tol, at least 1e-9 (rounding of long runs)."""
    return max(100.0 * tol, 1e-9)


@dataclass(frozen=True)
class Snapshot:
    """One output: time t, the state (same shape as psi), the error bound (Chebyshev) or
    estimate (Krylov), norm and energy drift, operator applications so far."""

    time: float
    state: np.ndarray
    error_bound: float
    norm_error: float
    energy_error: float
    matvecs: int


@dataclass(frozen=True)
class Evolution:
    """Collected snapshots: ``states`` has shape (len(times),) + psi.shape."""

    times: np.ndarray
    states: np.ndarray
    error_bound: np.ndarray
    norm_error: np.ndarray
    energy_error: np.ndarray
    matvecs: int
    method: str
    bounds: tuple[float, float] | None


def _check_method(method: str) -> str:
    if method not in METHODS:
        raise ValueError(f"method={method!r} is not allowed: use one of {METHODS}")
    return method


def _check_bounds(bounds) -> tuple[float, float]:
    lo, hi = (float(x) for x in bounds)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"bounds={bounds!r} is not allowed: give finite (E_min, E_max) with "
                         f"E_min < E_max enclosing the spectrum")
    return lo, hi


def _columns_energy(H, v: np.ndarray) -> np.ndarray:
    hv = affine(H, v, 1.0)
    return np.real(np.sum(v.conj() * hv, axis=0))


def propagate(H, psi: np.ndarray, times, *, method: str = "chebyshev", tol: float = 1e-12,
              bounds: tuple[float, float] | None = None, batch: int = 8,
              krylov_dim: int = 40) -> Iterator[Snapshot]:
    """Yield a :class:`Snapshot` at each of ``times`` (strictly increasing, >= 0, from psi at
    t = 0), one at a time (for observables measured on the fly; memory: a few vectors).

    H: a Hermitian :class:`TermOperator`, sparse matrix, dense array or LinearOperator with
    ``@``; psi: a vector (dim,) or block (dim, m) in H's basis; tol in [1e-15, 1e-2];
    bounds: (E_min, E_max) enclosing the spectrum (Chebyshev; default from
    :func:`spectral_bounds`); batch: output times per Chebyshev recurrence; krylov_dim: Lanczos
    vectors per Krylov step. Every argument is checked before any work starts.
    """
    t = check_times(times)
    tol = check_tol(tol)
    method = _check_method(method)
    dim = H.shape[0]
    if H.shape != (dim, dim):
        raise ValueError(f"H has shape {H.shape}: it must be square")
    state = check_state(psi, dim, "psi", "H")
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch={batch!r} is not allowed: it must be an integer >= 1")
    if isinstance(krylov_dim, bool) or not isinstance(krylov_dim, int) or krylov_dim < 2:
        raise ValueError(f"krylov_dim={krylov_dim!r} is not allowed: it must be an integer "
                         f">= 2")
    columns = 1 if state.ndim == 1 else state.shape[1]
    if method == "chebyshev":
        check_memory(dim, columns * (batch + 4), "the Chebyshev propagation")
    else:
        check_memory(dim, columns * (krylov_dim + 4), "the Krylov propagation")
    if bounds is not None:
        bounds = _check_bounds(bounds)
    if isinstance(H, TermOperator):
        herm = H.hermiticity_error()
        if herm > HERMITICITY_RTOL:
            raise ValueError(f"H is not Hermitian (random-vector test {herm:.2e} > "
                             f"{HERMITICITY_RTOL:g}): e^(-iHt) would not be unitary")
    return _checked_stream(prepared(H), state, t, method, tol, bounds, batch, krylov_dim)


def _checked_stream(H, state: np.ndarray, t: np.ndarray, method: str, tol: float,
                    bounds: tuple[float, float] | None, batch: int, krylov_dim: int
                    ) -> Iterator[Snapshot]:
    dim = state.shape[0]
    limit = conservation_limit(tol)
    block = state.reshape(dim, -1)
    norm0 = np.linalg.norm(block, axis=0)
    energy0 = _columns_energy(H, block)
    if method == "chebyshev" and bounds is None:
        bounds = spectral_bounds(H)
    if bounds is not None:
        scale = max(1.0, float(np.max(np.abs(bounds))))
    elif isinstance(H, TermOperator):
        scale = max(1.0, H.norm_bound())
    else:
        scale = max(1.0, float(np.max(np.abs(energy0 / norm0**2))))
    if method == "chebyshev":
        assert bounds is not None
        stream = chebyshev_propagate(H, state, t, tol, bounds, batch)
    elif state.ndim == 1:
        stream = krylov_propagate(H, state, t, tol, krylov_dim)
    else:
        stream = _krylov_block(H, state, t, tol, krylov_dim)
    for time, out, err, matvecs in stream:
        ob = out.reshape(dim, -1)
        with np.errstate(over="ignore", invalid="ignore"):
            norm_error = float(np.max(np.abs(np.linalg.norm(ob, axis=0) / norm0 - 1.0)))
        if norm_error <= limit:  # (a state that blew up is not multiplied by H)
            energy_error = float(np.max(np.abs(_columns_energy(H, ob) - energy0)
                                        / norm0**2)) / scale
        else:
            energy_error = float("nan")
        if not norm_error <= limit or not energy_error <= limit:
            raise VerificationError(
                f"{method} evolution at t = {time:.6g}: norm drift {norm_error:.2e}, energy "
                f"drift {energy_error:.2e} (relative to ||H||) exceed {limit:.1e}; check that H "
                f"is Hermitian and that bounds={bounds} enclose its spectrum")
        yield Snapshot(time, out, float(err), norm_error, energy_error, int(matvecs))


def _krylov_block(H, state: np.ndarray, t: np.ndarray, tol: float, krylov_dim: int):
    """Krylov for a block: each column on its own, outputs regrouped by time."""
    columns = [list(krylov_propagate(H, state[:, c], t, tol, krylov_dim))
               for c in range(state.shape[1])]
    matvecs = 0
    for i in range(t.size):
        parts = [col[i] for col in columns]
        matvecs = sum(p[3] for p in parts)
        yield (float(t[i]), np.stack([p[1] for p in parts], axis=1),
               max(p[2] for p in parts), matvecs)


def evolve(H, psi: np.ndarray, times, *, method: str = "chebyshev", tol: float = 1e-12,
           bounds: tuple[float, float] | None = None, batch: int = 8, krylov_dim: int = 40
           ) -> Evolution:
    """psi(t) = e^{-i H t} psi at each of ``times``, collected (arguments: :func:`propagate`).
    Memory: len(times) states; use :func:`propagate` to measure on the fly instead."""
    t = check_times(times)
    dim = H.shape[0]
    check_state(psi, dim, "psi", "H")
    check_memory(dim, t.size * int(np.prod(np.shape(psi)[1:], dtype=int)),
                 f"the {t.size} evolved states")
    if method == "chebyshev" and bounds is None:
        check_tol(tol)
        bounds = spectral_bounds(H)
    snaps = list(propagate(H, psi, t, method=method, tol=tol, bounds=bounds, batch=batch,
                           krylov_dim=krylov_dim))
    return Evolution(times=t, states=np.stack([s.state for s in snaps]),
                     error_bound=np.array([s.error_bound for s in snaps]),
                     norm_error=np.array([s.norm_error for s in snaps]),
                     energy_error=np.array([s.energy_error for s in snaps]),
                     matvecs=snaps[-1].matvecs, method=method, bounds=bounds)


# --------------------------------------------------------------------------------- Floquet


def floquet_propagate(period: Callable[[np.ndarray], np.ndarray] | np.ndarray,
                      psi: np.ndarray, periods, *, tol: float = 1e-10) -> Iterator[Snapshot]:
    """Yield psi(n T) = U^n psi for each n of ``periods`` (strictly increasing integers >= 0).

    ``period``: the dense unitary U (dim x dim), or a function applying U in place to a
    C-contiguous complex128 block (dim, m) and returning it, e.g.
    ``lambda s: circuit.apply(realisation, s)`` for :class:`mblkit.models.BrickworkCircuit`
    (gates applied to vectors, no 4^L matrix). The norm drift is checked against
    :func:`conservation_limit` (tol); there is no energy (``energy_error`` is 0).
    """
    n_periods = check_periods(periods)
    tol = check_tol(tol)
    if callable(period):
        apply = period
        dim = None
    else:
        U = np.asarray(period)
        if U.ndim != 2 or U.shape[0] != U.shape[1]:
            raise ValueError(f"period has shape {U.shape}: give a square unitary or a function")
        dim = U.shape[0]

        def apply(s: np.ndarray) -> np.ndarray:
            s[...] = U @ s
            return s
    v = np.asarray(psi)
    state = check_state(psi, v.shape[0] if dim is None else dim, "psi", "the Floquet operator")
    block = state.reshape(state.shape[0], -1).copy()
    norm0 = np.linalg.norm(block, axis=0)
    limit = conservation_limit(tol)
    done = 0
    for n in n_periods:
        for _ in range(int(n) - done):
            block = apply(block)
        done = int(n)
        norm_error = float(np.max(np.abs(np.linalg.norm(block, axis=0) / norm0 - 1.0)))
        if norm_error > limit:
            raise VerificationError(f"Floquet evolution after {n} periods: norm drift "
                                    f"{norm_error:.2e} > {limit:.1e}; is the operator unitary?")
        yield Snapshot(float(n), block.reshape(state.shape).copy(), 0.0, norm_error, 0.0,
                       done)
