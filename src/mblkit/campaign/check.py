"""``mblkit check CONFIG``: what a campaign will do, before it does it.

The points with their dimensions, the memory of one realisation, the worker plan, and an
estimated run time per point: a quick calibration on this machine (:func:`calibrate`: one or
two realisations, nothing stored, one dense LAPACK ``eigh``; :class:`Calibration`), with the
cost of each point from the solver's cost law (:func:`cost_law`). The same law weighs the progress
ETA of ``mblkit run`` (:mod:`mblkit.campaign.progress`).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from mblkit.campaign.config import CampaignConfig
from mblkit.campaign.tasks import (
    Point,
    histogram_memory,
    kind_of,
    point_memory,
    run_realisation,
    sites_of,
    validate,
)

#: Interior (shift-invert) cost exponent: PARDISO, XXZ, 50 pairs, measured L = 18 -> 20
#: (dim 48 620 -> 184 756): 16 s -> 154 s, ln(154 / 16) / ln(184 756 / 48 620) = 1.69.
INTERIOR_EXPONENT = 1.7
#: One site's resonance pass relative to the Floquet eigensolver (measured at L = 12).
RESONANCE_SITE_COST = 0.19
#: Largest dimension whose realisation is run as the calibration (dense; interior).
CALIBRATE_DENSE_DIM = 1500
CALIBRATE_INTERIOR_DIM = 13_000
#: Size of the fallback LAPACK calibration (dense real symmetric eigh).
FALLBACK_N = 800


def dimension(config: CampaignConfig, point: Point) -> int:
    """The size of the problem one realisation solves: the (sector) Hilbert-space dimension
    for ED kinds, the number of sites for the avalanche scheme."""
    kind = kind_of(config).name
    if kind == "hamiltonian":
        from mblkit.campaign.ed_tasks import basis_of

        return int(basis_of(point).dim)
    if kind == "dynamics":
        from mblkit.campaign import dynamics_tasks

        return int(dynamics_tasks.basis_of(point).dim)
    dim = getattr(point.model, "dim", None)
    return int(dim) if dim is not None else int(point.model.L)


def cost_law(config: CampaignConfig, point: Point) -> tuple[float, str]:
    """Relative cost of one realisation and the law used (a description).

    Dense ED (full Hamiltonian, Floquet, probe): dim^3, LAPACK's; Floquet resonances add one
    pass over the eigenvectors per measured site (sigma_j V and |V^+ sigma_j V|^2, cubic too),
    measured at L = 12 as 0.19 of the eigensolver (examples/floquet-resonances.toml), so
    dim^3 (1 + RESONANCE_SITE_COST sites). Interior: dim^INTERIOR_EXPONENT (measured). Scheme:
    L. Dynamics: products of H with a vector, dim L each (L terms per row), their number the
    spectral half-width (~ L) times the last time, times the evolutions one realisation runs
    (one quench, 2 random_vectors per site of "autocorrelation").
    """
    kind = kind_of(config).name
    d = float(dimension(config, point))
    if kind == "avalanche-scheme":
        return d, "L"
    if kind == "dynamics":
        from mblkit.campaign.dynamics_tasks import evolutions, times_of

        L = float(point.model.L)
        t_max = float(times_of(config.evolution)[-1])
        return d * L * L * (1.0 + t_max) * evolutions(config, point), "dim L^2 t_max evolutions"
    if kind == "hamiltonian" and config.solver.method == "interior":
        return d ** INTERIOR_EXPONENT, f"dim^{INTERIOR_EXPONENT}"
    sites = sum(len(sites_of(s, point.model.L)) for s in config.observables
                if s.name == "resonances")
    return (d**3 * (1 + RESONANCE_SITE_COST * sites),
            "dim^3" + (f" (1 + {RESONANCE_SITE_COST} resonance sites)" if sites else ""))


@dataclass(frozen=True)
class PointPlan:
    index: int
    params: dict[str, Any]
    dim: int
    memory: int
    cost: float
    seconds: float


@dataclass(frozen=True)
class CheckReport:
    name: str
    kind: str
    points: list[PointPlan]
    realisations: int
    workers: int
    blas_threads: int
    cores: int
    available_memory: int
    law: str
    calibration: str

    @property
    def total_seconds(self) -> float:
        """Wall time of the whole campaign: every realisation, spread over the workers."""
        serial = sum(p.seconds for p in self.points) * self.realisations
        return serial / max(self.workers, 1)


def _time(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


@dataclass(frozen=True)
class Calibration:
    """Seconds of one realisation: ``max(t0 (cost / cost0)^beta, b cost)`` (beta None:
    ``t0 + b (cost - cost0)``). t0 is timed at the cheapest point; beta is fitted through a
    second, larger point when one runs in about a second (small sizes are not yet cubic:
    building, observables and Python dominate); b, the cubic work alone, from one LAPACK eigh,
    is a lower bound that takes over at large sizes."""

    t0: float
    cost0: float
    beta: float | None
    b: float
    how: str

    def seconds(self, cost: float) -> float:
        if self.beta is None:
            return self.t0 + self.b * max(cost - self.cost0, 0.0)
        return max(self.t0 * (cost / self.cost0) ** self.beta, self.b * cost)


def calibrate(config: CampaignConfig, points: list[Point], costs: list[float]) -> Calibration:
    """Time this machine (:class:`Calibration`); nothing is stored."""
    order = np.argsort(costs)
    cheapest = int(order[0])
    if kind_of(config).name == "dynamics":
        return calibrate_dynamics(config, points[cheapest], costs[cheapest])
    dim = dimension(config, points[cheapest])
    scheme = kind_of(config).name == "avalanche-scheme"
    interior = kind_of(config).name == "hamiltonian" and config.solver.method == "interior"
    limit = CALIBRATE_INTERIOR_DIM if interior else CALIBRATE_DENSE_DIM
    rng = np.random.default_rng(0)
    m = rng.standard_normal((FALLBACK_N, FALLBACK_N))
    m = m + m.T
    np.linalg.eigh(m)
    b = 0.0 if scheme else _time(lambda: np.linalg.eigh(m)) / FALLBACK_N**3
    if interior:  # no dense bound for shift-invert
        b = 0.0
    if not scheme and dim > limit:
        factor = float(dim) ** 3 / costs[cheapest] if interior else 1.0
        return Calibration(0.0, costs[cheapest], None, b * factor,
                           f"LAPACK eigh {FALLBACK_N}x{FALLBACK_N} only (the cheapest point, "
                           f"dimension {dim}, is too large to run; a rough estimate)")
    run_realisation(config, cheapest, 0)  # warm-up: imports, numba compilation
    t0 = _time(lambda: run_realisation(config, cheapest, 0))
    how = f"one realisation of point {cheapest} (dimension {dim}): {t0:.3g} s"
    if scheme:
        return Calibration(t0, costs[cheapest], 1.0, 0.0, how + ", scaled by L")
    second = [int(p) for p in order[1:] if costs[p] > 4 * costs[cheapest]
              and max(t0, b * costs[p]) * (costs[p] / costs[cheapest]) ** 0.4 < 1.5]
    if not second:
        return Calibration(t0, costs[cheapest], None, b,
                           how + f"; cubic work from LAPACK eigh {FALLBACK_N}x{FALLBACK_N}")
    p1 = second[-1]
    t1 = _time(lambda: run_realisation(config, p1, 0))
    beta = float(np.clip(np.log(t1 / t0) / np.log(costs[p1] / costs[cheapest]), 0.0, 1.0))
    how += (f"; point {p1} (dimension {dimension(config, points[p1])}): {t1:.3g} s, so "
            f"time ~ cost^{beta:.2f} here, at least LAPACK's cubic work")
    return Calibration(t0, costs[cheapest], beta, b, how)


#: Products of H with a vector timed by the dynamics calibration.
CALIBRATE_PRODUCTS = 20
#: Below this estimate (s) the dynamics calibration runs the cheapest realisation itself.
CALIBRATE_DYNAMICS_SECONDS = 10.0


def calibrate_dynamics(config: CampaignConfig, point: Point, cost: float) -> Calibration:
    """A dynamics realisation is products of H with vectors: build H of one realisation of the
    cheapest point, time :data:`CALIBRATE_PRODUCTS` products and find its spectral half-width
    a; the Chebyshev propagation to t_max needs about a t_max products per evolution (plus a
    few per output time), times the evolutions of the observables. Other points scale by the
    cost law (linear in it). Floquet models: one period per product, t_max periods."""
    from mblkit.campaign import dynamics_tasks as dt
    from mblkit.dynamics import spectral_bounds

    rng = np.random.default_rng(0)
    disorder = point.model.sample(rng)
    basis = dt.basis_of(point)
    v = np.ascontiguousarray(rng.standard_normal(basis.dim) + 0j)
    floquet = dt.is_floquet(point.model)
    if floquet:
        block = v[:, None].copy()

        def product() -> None:
            point.model.apply(disorder, block)

        a = 1.0
    else:
        H = dt._operator(config, point, disorder)

        def product() -> None:
            H @ v

        lo, hi = spectral_bounds(H, rng=rng)
        a = 0.5 * (hi - lo)
    product()
    def products_run() -> None:
        for _ in range(CALIBRATE_PRODUCTS):
            product()

    per = _time(products_run) / CALIBRATE_PRODUCTS
    times = dt.times_of(config.evolution, floquet)
    products = dt.evolutions(config, point) * (a * float(times[-1]) + 4.0 * times.size)
    spectral = [s for s in config.observables if s.name == "spectral_function"]
    products += sum(4.0 * config.evolution.moments * config.evolution.random_vectors
                    * len(dt.measured_sites(s, point)) for s in spectral)
    t0 = per * products
    how = (f"dimension {basis.dim}: one product {per * 1e3:.3g} ms, spectral half-width "
           f"{a:.3g}, about {products:.3g} products per realisation (a t_max per evolution)")
    if t0 < CALIBRATE_DYNAMICS_SECONDS:   # cheap enough: time the realisation itself
        index = _index_of(config, point)
        t0 = _time(lambda: run_realisation(config, index, 0))
        how += f"; one realisation of point {index} run: {t0:.3g} s"
    else:
        how += f": {t0:.3g} s (products only: the propagator's own work comes on top)"
    return Calibration(t0, cost, 1.0, 0.0, how + "; other points by the cost law")


def _index_of(config: CampaignConfig, point: Point) -> int:
    from mblkit.campaign.tasks import resolved_params

    target = resolved_params(point)
    for p, params in enumerate(config.points()):
        if all(params[k] == target.get(k, params[k]) for k in params):
            return p
    raise ValueError("the point is not in the config")


def lapack_floor(config: CampaignConfig, n: int = 400) -> float:
    """LAPACK's seconds per unit of cost here (dense eigh of n x n, the cubic work alone): a
    lower bound of a dense realisation's time; 0 for interior ED and the scheme."""
    kind = kind_of(config).name
    if kind in ("avalanche-scheme", "dynamics") or (kind == "hamiltonian"
                                                    and config.solver.method == "interior"):
        return 0.0
    m = np.random.default_rng(0).standard_normal((n, n))
    m = m + m.T
    np.linalg.eigh(m)
    return min(_time(lambda: np.linalg.eigh(m)) for _ in range(2)) / n**3


def check_config(config: CampaignConfig, workers: int | None = None, blas_threads: int = 1,
                 measure: bool = True) -> CheckReport:
    """Validate ``config`` and plan it (module docstring); nothing is stored."""
    from mblkit.campaign.executors import plan_workers
    from mblkit.memory import available_memory

    points = validate(config)
    laws = [cost_law(config, pt) for pt in points]
    costs = [c for c, _ in laws]
    memory = [point_memory(config, pt) + histogram_memory(config, pt) for pt in points]
    free = available_memory()
    n_workers = plan_workers(workers, max(memory), free, blas_threads)
    cal = (calibrate(config, points, costs) if measure
           else Calibration(float("nan"), 1.0, None, float("nan"),
                            "not measured (--no-calibrate)"))
    grid = list(config.model.grid)
    plans = [PointPlan(p, {k: params[k] for k in grid}, dimension(config, pt), memory[p],
                       costs[p], cal.seconds(costs[p]))
             for p, (pt, params) in enumerate(zip(points, config.points(), strict=True))]
    return CheckReport(config.name, kind_of(config).name, plans, config.realisations,
                       n_workers, blas_threads, os.cpu_count() or 1, free, laws[0][1], cal.how)


def human_seconds(seconds: float) -> str:
    if not np.isfinite(seconds):
        return "?"
    if seconds < 1:
        return f"{seconds * 1e3:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def human_bytes(n: float) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n:.0f} B"
