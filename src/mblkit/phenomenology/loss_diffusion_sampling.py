"""Stochastic-trajectory solution of the loss-diffusion equation (App. C 1 of
``shared/papers/resonance-model-crossover.txt``).

By the Feynman-Kac formula the solution of df/dr = W^2 f'' - q f, f(e, r_0) = delta(e - e_0) is

    f(e, r) = E[ delta(e - e(r)) exp(-int_0^r q(e(s), s) ds) ],   F(r) = E[exp(-int_0^r q)],

over Brownian trajectories e(r) with e(r_0) = e_0 and increments of variance 2 W^2 dr. The paper
samples such trajectories (Figs. 11-12); here every trajectory carries its survival weight
(instead of being killed at random), which gives the same expectation with less noise.

Along a time grid 0 = r_0' < r_1' < ... the positions are exact Gaussian increments; the weight
factor of each step is

* for a Gaussian loss (:class:`~mblkit.phenomenology.loss_diffusion.ResonanceLossDiffusion`):
  exp(-(g_a + g_b) (sqrt(b) - sqrt(a))) with g = sqrt(r) q(e, r) at both ends (the trapezoid rule
  after the substitution u = sqrt(r), exact for the r^(-1/2) singularity of Eq. C3); relative
  bias ~ (step ratio - 1)/12 per unit of int q;
* for the point loss (:class:`~mblkit.phenomenology.loss_diffusion.PointLossDiffusion`, Eq. C7):
  the exact conditional expectation E[exp(-gamma l) | e_a, e_b] over the Brownian bridge, l the
  occupation density at e = 0 (law of the bridge local time, Borodin & Salminen, Handbook of
  Brownian Motion; checked against Levy's |B_t| law when integrated over the end point), so the
  point problem is sampled without discretisation error.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy import special

from mblkit.phenomenology import _resonance_checks as chk
from mblkit.phenomenology.loss_diffusion import (
    LossDiffusionProblem,
    LossDiffusionSolution,
    PointLossDiffusion,
    _check_ranges,
    diffusion_width,
)


def _bridge_factor(a: np.ndarray, b: np.ndarray, dt: float, c: float) -> np.ndarray:
    """E[exp(-c L) | B_0 = a, B_dt = b] for a standard Brownian bridge, L its local time at 0.

    P(L > y | a, b) = exp(-((|a| + |b| + y)^2 - (b - a)^2) / (2 dt)) gives
    1 - c sqrt(pi dt / 2) exp(-((|a|+|b|)^2 - (b-a)^2) / (2 dt)) erfcx((|a|+|b| + c dt)/sqrt(2 dt)).
    """
    big_a = np.abs(a) + np.abs(b)
    expo = -(big_a ** 2 - (b - a) ** 2) / (2.0 * dt)
    return 1.0 - c * math.sqrt(math.pi * dt / 2.0) * np.exp(expo) * special.erfcx(
        (big_a + c * dt) / math.sqrt(2.0 * dt))


def _internal_grid(r_out: np.ndarray, rel_step: float) -> np.ndarray:
    """0, then ranges growing by 1 + rel_step from min(1e-3, r_out[0]), merged with r_out."""
    r_first = min(1e-3, float(r_out[0]))
    n = math.ceil(math.log(r_out[-1] / r_first) / math.log1p(rel_step)) + 1
    geo = r_first * (1.0 + rel_step) ** np.arange(n)
    grid = np.union1d(np.concatenate(([0.0], geo[geo < r_out[-1]])), r_out)
    return grid


def sample_loss_diffusion(problem: LossDiffusionProblem, r: np.ndarray, *, n_paths: int,
                          rng: np.random.Generator, snapshot_r: np.ndarray | tuple[float, ...] = (),
                          x_edges: np.ndarray | None = None,
                          rel_step: float = 0.01) -> LossDiffusionSolution:
    """Monte-Carlo solution of the loss-diffusion equation by weighted Brownian trajectories.

    ``problem``: a :class:`ResonanceLossDiffusion` (Eqs. 84-86, C2-C5) or
    :class:`PointLossDiffusion` (Eq. C7); ``r``: strictly increasing ranges > 0 at which F(r)
    (Eq. 87) and p(r) = -dF/dr (Eq. 88) are estimated, with standard errors; ``n_paths``
    trajectories drawn from ``rng`` (a seeded ``numpy.random.Generator``); internal steps grow
    geometrically by ``rel_step`` (from r = 1e-3). ``snapshot_r``: ranges (each must be in ``r``)
    at which the weighted histogram of x = e / s(r) over ``x_edges`` (default 81 bins on
    [-8, 8]) estimates phi = s f (the scaled density of :class:`LossDiffusionSolution`).
    For the point loss p(r) = gamma f(0, r) is estimated by the exact conditional density of a
    path at e = 0 given its previous grid point (including the bridge weight of the last step).
    """
    r = _check_ranges("r", r)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng={rng!r} is not allowed: pass a seeded numpy.random.Generator")
    if isinstance(n_paths, bool) or not isinstance(n_paths, int | np.integer) or n_paths < 2:
        raise ValueError(f"n_paths={n_paths!r} is not allowed: it must be an integer >= 2")
    rel_step = chk.positive("rel_step", rel_step)
    snaps = np.sort(chk.positive_array("snapshot_r", np.atleast_1d(snapshot_r)))
    if not np.all(np.isin(snaps, r)):
        raise ValueError(f"snapshot_r={snaps!r} is not allowed: every snapshot range must also be "
                         f"one of the ranges r")
    edges = np.linspace(-8.0, 8.0, 82) if x_edges is None else chk.real_array("x_edges", x_edges)
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError("x_edges must be a 1-D strictly increasing array of at least 2 edges")

    W = problem.W
    grid = _internal_grid(r, rel_step)
    n = int(n_paths)
    s0 = float(diffusion_width(problem, np.array(0.0)))
    e = problem.e_start + s0 * rng.standard_normal(n)  # free diffusion from r_0 to 0
    log_w = np.zeros(n)
    g_prev = None if isinstance(problem, PointLossDiffusion) else _g_at(problem, e, 0.0)

    F = np.empty(r.size)
    F_err = np.empty(r.size)
    p = np.empty(r.size)
    p_err = np.empty(r.size)
    phi = np.zeros((snaps.size, edges.size - 1))
    out_index = {float(v): i for i, v in enumerate(r)}
    snap_index = {float(v): i for i, v in enumerate(snaps)}
    sqrt2w = math.sqrt(2.0) * W

    for r_a, r_b in itertools.pairwise(grid):
        dt = r_b - r_a
        e_new = e + math.sqrt(2.0 * dt) * W * rng.standard_normal(n)
        if isinstance(problem, PointLossDiffusion):
            c = problem.gamma / sqrt2w  # loss per unit local time of B = e / (sqrt(2) W)
            log_w_prev = log_w
            log_w = log_w + np.log(_bridge_factor(e / sqrt2w, e_new / sqrt2w, dt, c))
        else:
            g_new = _g_at(problem, e_new, r_b)
            log_w = log_w - (g_prev + g_new) * (math.sqrt(r_b) - math.sqrt(r_a))
            g_prev = g_new
        i = out_index.get(float(r_b))
        if i is not None:
            w = np.exp(log_w)
            F[i], F_err[i] = w.mean(), w.std(ddof=1) / math.sqrt(n)
            if isinstance(problem, PointLossDiffusion):
                # E[w_a * gamma * N(0; e_a, 2 W^2 dt) * bridge factor (e_a -> 0)]
                dens = np.exp(-e ** 2 / (4.0 * W ** 2 * dt)) / math.sqrt(4 * math.pi * W ** 2 * dt)
                rate = (np.exp(log_w_prev) * problem.gamma * dens
                        * _bridge_factor(e / sqrt2w, np.zeros(n), dt, c))
            else:
                rate = w * g_prev / math.sqrt(r_b)
            p[i], p_err[i] = rate.mean(), rate.std(ddof=1) / math.sqrt(n)
            j = snap_index.get(float(r_b))
            if j is not None:
                s = float(diffusion_width(problem, np.array(r_b)))
                counts, _ = np.histogram(e_new / s, bins=edges, weights=w)
                phi[j] = counts / (n * np.diff(edges))
        e = e_new

    return LossDiffusionSolution(r=r, F=F, p=p, F_stderr=F_err, p_stderr=p_err,
                                 x=0.5 * (edges[1:] + edges[:-1]), snapshot_r=snaps,
                                 snapshot_width=diffusion_width(problem, snaps), phi=phi)


def _g_at(problem: LossDiffusionProblem, e: np.ndarray, r: float) -> np.ndarray:
    """g = sqrt(r) q(e, r) for every trajectory, from the problem's Gaussian loss profile."""
    g, m, w = (float(v) for v in problem.loss_profile(np.array(r)))
    if w == 0.0:
        return np.zeros_like(e)
    return g * np.exp(-(e - m) ** 2 / (2.0 * w * w)) / (math.sqrt(2.0 * math.pi) * w)
