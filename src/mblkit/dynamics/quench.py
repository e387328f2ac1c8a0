"""Quenches from product states: imbalance, local magnetisations, half-chain entanglement and
return probability, measured on the fly along a (log) time grid.

Initial states are computational-basis product states |s> (a bit string s; bit i = site i,
1 = up), which lie in one U(1) sector: the Neel state (:func:`neel_configuration`, up on the
even sites) or random configurations with a given number of up spins
(:func:`random_configuration`). Observables at time t, with sigma^z Pauli (+-1):

* local magnetisations m_i(t) = <sigma^z_i(t)>;
* imbalance I(t) = L^-1 sum_i s_i m_i(t), s_i = sigma^z_i of the initial configuration; for the
  Neel state at half filling this is (N_e - N_o) / (N_e + N_o) of the occupations
  n_i = (1 + sigma^z_i) / 2 on even and odd sites (Schreiber et al., Science 349, 842 (2015);
  N_e + N_o = L/2 and N_e - N_o = sum_i (-1)^i n_i = (1/2) sum_i (-1)^i sigma^z_i), I(0) = 1;
* half-chain entanglement entropy S(t) of sites 0 .. floor(L/2) - 1 (natural logarithm,
  :func:`mblkit.observables.von_neumann_entropy` of the Schmidt spectrum), whose slow growth
  S ~ log t is the signature of MBL (Bardarson, Pollmann & Moore, PRL 109, 017202 (2012));
* return probability |<psi(0)|psi(t)>|^2.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from mblkit.dynamics.evolve import Snapshot, floquet_propagate, propagate
from mblkit.observables import von_neumann_entropy
from mblkit.observables.spectral import time_grid
from mblkit.spins import Bipartition, SpinBasis
from mblkit.spins.matvec_kernels import z_magnetisations
from mblkit.stats.histograms import LogBins


def log_times(t_max: float, t_min: float = 0.1, per_decade: int = 10,
              include_zero: bool = True) -> np.ndarray:
    """Log-spaced times t_min .. t_max, ``per_decade`` per decade (the edges of
    :class:`LogBins`, as :func:`mblkit.observables.time_grid`), with t = 0 first if asked."""
    if not (np.isfinite(t_min) and np.isfinite(t_max) and 0 < t_min < t_max):
        raise ValueError(f"t_min={t_min!r}, t_max={t_max!r} are not allowed: need "
                         f"0 < t_min < t_max, both finite")
    if isinstance(per_decade, bool) or not isinstance(per_decade, int) or per_decade < 1:
        raise ValueError(f"per_decade={per_decade!r} is not allowed: it must be an integer >= 1")
    bins = max(1, round(per_decade * float(np.log10(t_max / t_min))))
    t = time_grid(LogBins(float(t_min), float(t_max), bins))
    return np.concatenate([[0.0], t]) if include_zero else t


def neel_configuration(L: int) -> int:
    """The Neel bit string: up (bit 1) on the even sites 0, 2, 4, ..."""
    return sum(1 << i for i in range(0, L, 2))


def random_configuration(basis: SpinBasis, rng: np.random.Generator) -> int:
    """A uniformly random basis configuration of ``basis`` (its sector, or the full space)."""
    return int(basis.states[rng.integers(basis.chain_dim)])


def product_state(basis: SpinBasis, configuration: int) -> np.ndarray:
    """|configuration> (x) |aux 0> as a complex vector of ``basis`` (refused if the
    configuration is not in the basis, e.g. has the wrong number of up spins)."""
    c = int(configuration)
    if not 0 <= c < (1 << basis.L):
        raise ValueError(f"configuration={configuration!r} is not a bit string of L={basis.L} "
                         f"sites")
    ups = bin(c).count("1")
    if basis.in_sector and ups != basis.n_up:
        raise ValueError(f"configuration={configuration:#b} has {ups} up spins, but the basis "
                         f"is the sector n_up={basis.n_up}")
    psi = np.zeros(basis.dim, dtype=np.complex128)
    psi[int(basis.index(c)[0]) * basis.aux_dim] = 1.0
    return psi


@dataclass(frozen=True)
class QuenchResult:
    """Time series of one quench (module docstring); arrays indexed by time.

    magnetisation has shape (len(times), L); error_bound, norm_error, energy_error are those of
    :class:`mblkit.dynamics.Snapshot`; matvecs: operator applications (periods for Floquet).
    """

    times: np.ndarray
    configuration: int
    imbalance: np.ndarray
    magnetisation: np.ndarray
    entropy: np.ndarray
    return_probability: np.ndarray
    error_bound: np.ndarray
    norm_error: np.ndarray
    energy_error: np.ndarray
    matvecs: int


class QuenchRecorder:
    """Measures the quench observables of states of ``basis`` (built once per basis)."""

    def __init__(self, basis: SpinBasis, configuration: int):
        self.basis = basis
        self.configuration = int(configuration)
        self.initial = product_state(basis, configuration)
        self.pattern = np.array([1.0 if (self.configuration >> i) & 1 else -1.0
                                 for i in range(basis.L)])
        self.split = Bipartition.of(basis, range(basis.L // 2))

    def measure(self, state: np.ndarray) -> tuple[float, np.ndarray, float, float]:
        """(imbalance, magnetisations, half-chain entropy, return probability) of one state."""
        p = (state.real**2 + state.imag**2).reshape(self.basis.chain_dim, self.basis.aux_dim)
        m = z_magnetisations(self.basis.states, p, self.basis.L)
        entropy = von_neumann_entropy(self.split.schmidt_probabilities(state))
        overlap = np.vdot(self.initial, state)
        return (float(self.pattern @ m / self.basis.L), m, entropy,
                float(abs(overlap) ** 2))

    def record(self, snapshots: Iterable[Snapshot]) -> QuenchResult:
        """Measure each snapshot as it comes; only its numbers are kept, not its state (the
        memory does not grow with the number of times)."""
        rows = []
        for snap in snapshots:
            rows.append((snap.time, snap.error_bound, snap.norm_error, snap.energy_error,
                         snap.matvecs, *self.measure(snap.state)))
        if not rows:
            raise ValueError("no snapshots to record")
        column = list(zip(*rows, strict=True))
        return QuenchResult(
            times=np.array(column[0]), configuration=self.configuration,
            imbalance=np.array(column[5]), magnetisation=np.stack(column[6]),
            entropy=np.array(column[7]), return_probability=np.array(column[8]),
            error_bound=np.array(column[1]), norm_error=np.array(column[2]),
            energy_error=np.array(column[3]), matvecs=int(column[4][-1]))


def quench(H, basis: SpinBasis, configuration: int, times, *, method: str = "chebyshev",
           tol: float = 1e-10, bounds: tuple[float, float] | None = None,
           batch: int = 8) -> QuenchResult:
    """Evolve |configuration> with H (in ``basis``) and measure at each of ``times``
    (:func:`mblkit.dynamics.propagate`; memory: a few states, nothing stored per time but the
    observables)."""
    if H.shape[0] != basis.dim:
        raise ValueError(f"H has dimension {H.shape[0]}, but {basis!r} has {basis.dim}")
    recorder = QuenchRecorder(basis, configuration)
    return recorder.record(propagate(H, recorder.initial, times, method=method, tol=tol,
                                     bounds=bounds, batch=batch))


def floquet_quench(period: Callable[[np.ndarray], np.ndarray] | np.ndarray, basis: SpinBasis,
                   configuration: int, periods, *, tol: float = 1e-10) -> QuenchResult:
    """As :func:`quench` for a Floquet operator (:func:`mblkit.dynamics.floquet_propagate`);
    ``times`` of the result are numbers of periods."""
    recorder = QuenchRecorder(basis, configuration)
    v = recorder.initial[:, None]
    snaps = (Snapshot(s.time, s.state[:, 0], s.error_bound, s.norm_error, s.energy_error,
                      s.matvecs) for s in floquet_propagate(period, v, periods, tol=tol))
    return recorder.record(snaps)
