"""Level dynamics around one avoided crossing of the brickwork circuit.

``resonant-energy-scales-floquet.txt`` Sec. III (Fig. 1's picture, Eqs. 1-3) and App. B: as the
field of site j is varied, h_j -> h_j + lambda, a pair of levels passes through an avoided
crossing; |z_nm| rises to R while |omega_nm| falls to omega*, and their product Omega_F =
|z_nm| |2 sin(omega_nm / 2)| (the Floquet form of |z omega|) stays at R omega*. Drawn from
:mod:`mblkit.parametric`; the figure is built without pyplot (safe under any
backend). The exact call that draws the default example (L = 6, J = 0.02, seed 1, site 2,
levels 12..21 tracked over lambda* +- 0.06; about a second)::

    from mblkit.figures.floquet_parametric import example_crossing, figure_avoided_crossing
    track, crossing = example_crossing()
    figure_avoided_crossing(track, crossing).savefig("avoided-crossing.pdf")
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from mblkit.models.brickwork import BrickworkCircuit
from mblkit.parametric import (
    AvoidedCrossing,
    ParametricTrack,
    find_avoided_crossings,
    track_levels,
    wrap_difference,
)


def example_crossing(*, L: int = 6, J: float = 0.02, seed: int = 1, site: int = 2,
                     centre: float = -0.0328, half_width: float = 0.06,
                     levels: tuple[int, ...] = tuple(range(12, 22)), points: int = 241
                     ) -> tuple[ParametricTrack, AvoidedCrossing]:
    """Track ``levels`` of one seeded brickwork realisation (``numpy.random.default_rng(seed)``)
    over ``centre +- half_width`` and return the track and its avoided crossing of largest
    |z_nm| (:func:`mblkit.parametric.find_avoided_crossings`). The defaults hold
    the crossing of labels (16, 17) at lambda* = -0.03276, omega* = 2.98e-3, R^2 = 0.982."""
    model = BrickworkCircuit(L, J)
    realisation = model.sample(np.random.default_rng(seed))
    lambdas = np.linspace(centre - half_width, centre + half_width, points)
    track = track_levels(model, realisation, site, lambdas, levels=np.asarray(levels))
    crossings = find_avoided_crossings(track)
    if not crossings:
        raise ValueError(f"no avoided crossing among levels {list(levels)} within "
                         f"{centre} +- {half_width}: choose another centre or levels")
    return track, crossings[0]


def figure_avoided_crossing(track: ParametricTrack, crossing: AvoidedCrossing, *,
                            neighbours: int = 4) -> Figure:
    """Three panels for the crossing of labels (n, m) in ``track``:

    (a) theta(lambda) of the pair (coloured) and of the ``neighbours`` other followed levels
        nearest to it at lambda* (grey), unwrapped;
    (b) theta_n and theta_m relative to their mean: the hyperbola +- omega / 2 of Eq. B2, with
        the fit +- omega_fit / 2 (Floquet form) dashed;
    (c) |z_nm|, |omega_nm| and Omega_F = |z_nm| |2 sin(omega_nm / 2)| against lambda (log
        scale), with Omega = 2 R sin(omega* / 2) ~ R omega* dashed and lambda* dotted.
    """
    n, m = crossing.n, crossing.m
    lam = track.lambdas
    theta_n, theta_m = track.quasienergy(n), track.quasienergy(m)
    mean = 0.5 * (theta_n + theta_m)
    k = crossing.index
    fig = Figure(figsize=(12.0, 3.6), layout="constrained")
    ax_a, ax_b, ax_c = fig.subplots(1, 3)

    others = [int(q) for q in track.levels if q not in (n, m)]
    distance = [abs(wrap_difference(track.quasienergy(q)[k] - mean[k])) for q in others]
    nearest = [others[i] for i in np.argsort(distance)[:neighbours]]
    for q in nearest:
        theta_q = track.quasienergy(q)
        theta_q = theta_q + 2 * np.pi * np.round((mean[k] - theta_q[k]) / (2 * np.pi))
        ax_a.plot(lam, theta_q, color="0.6", lw=1.0)
    ax_a.plot(lam, theta_n, color="C0", lw=1.8, label=f"n = {n}")
    ax_a.plot(lam, theta_m, color="C3", lw=1.8, label=f"m = {m}")
    ax_a.set_xlabel(r"$\lambda$")
    ax_a.set_ylabel(r"$\theta(\lambda)$")
    ax_a.set_title("(a) quasienergies", fontsize=10)
    ax_a.legend(fontsize=8)

    fit = 2.0 * np.arccos(np.clip(np.cos(0.5 * crossing.omega_star)
                                  * np.cos(0.5 * np.sqrt(crossing.r_squared_fit)
                                           * (lam - crossing.lam_star)), -1.0, 1.0))
    ax_b.plot(lam, theta_n - mean, color="C0", lw=1.8)
    ax_b.plot(lam, theta_m - mean, color="C3", lw=1.8)
    ax_b.plot(lam, 0.5 * fit, "k--", lw=0.9, label="Eq. B2 fit")
    ax_b.plot(lam, -0.5 * fit, "k--", lw=0.9)
    ax_b.set_xlabel(r"$\lambda$")
    ax_b.set_ylabel(r"$\theta - (\theta_n + \theta_m)/2$")
    ax_b.set_title(rf"(b) $\omega^* = {crossing.omega_star:.2e}$, "
                   rf"$R^2 = {crossing.r_squared:.3f}$", fontsize=10)
    ax_b.legend(fontsize=8)

    z = np.abs(track.matrix_element(n, m))
    omega = np.abs(track.omega(n, m))
    ax_c.semilogy(lam, z, color="C2", lw=1.5, label=r"$|z_{nm}|$")
    ax_c.semilogy(lam, omega, color="C1", lw=1.5, label=r"$|\omega_{nm}|$")
    ax_c.semilogy(lam, track.resonant_scale(n, m), color="k", lw=1.8,
                  label=r"$|z_{nm}|\,|2\sin(\omega_{nm}/2)|$")
    ax_c.axhline(crossing.Omega, color="k", ls="--", lw=0.9, label=r"$\Omega = R\omega^*$")
    ax_c.axvline(crossing.lam_star, color="0.5", ls=":", lw=0.9)
    ax_c.set_xlabel(r"$\lambda$")
    ax_c.set_title("(c) matrix element, splitting and their product", fontsize=10)
    ax_c.set_ylim(bottom=crossing.Omega / 30)
    ax_c.legend(fontsize=8, loc="lower left", ncol=2)
    return fig
