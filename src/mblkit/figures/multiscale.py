"""Figures of ``shared/papers/multiscale-avalanche-scheme.txt`` (the multi-scale avalanche scheme).

Each function returns a :class:`matplotlib.figure.Figure` built without pyplot (no global state,
safe on headless machines); save it with ``fig.savefig(path)``. The calls that reproduce the
paper's figures and the ones the issue asks for:

    from mblkit.figures.multiscale import (phase_diagram, thermal_probability_mean_field,
                                           thermal_probability_scheme, spot_size_distribution)
    from mblkit.phenomenology.avalanche_flow import critical_eps
    from mblkit.phenomenology.avalanche_scheme import scan_thermal_probability
    phase_diagram(K=1.0)                                   # Fig. 1: zeta, l*, xi-bar, t_+
    thermal_probability_mean_field(K=1.0)                  # p(eps, L), mean field
    scan = scan_thermal_probability(np.linspace(0.05, 0.4, 36), [32, 100, 316, 1000, 3162],
                                    n_samples=200, seed=1, K=1.0)       # a few seconds
    thermal_probability_scheme(scan, eps_c_mean_field=float(critical_eps(1.0)))  # full scheme
    crit = scan_thermal_probability([0.24], [100_000], n_samples=40, seed=3, K=1.0)
    spot_size_distribution(K=1.0, scan=crit)               # p(l) at criticality, log-log
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from mblkit.phenomenology.avalanche_finite_size import (
    critical_spot_sizes,
    log_thermalisation_time,
    spot_size_density,
    thermal_probability,
)
from mblkit.phenomenology.avalanche_flow import (
    collar_slope,
    correlation_length,
    critical_eps,
    entropy_density,
    localisation_length,
)
from mblkit.phenomenology.avalanche_scheme import (
    SPOT_SIZE_EDGES,
    ThermalScan,
    apparent_critical_eps,
)


def phase_diagram(K: float = 1.0, inv_eps: np.ndarray | None = None, *, d_s: float = 2.0
                  ) -> Figure:
    """Fig. 1 from the mean field: zeta, l*, xi-bar and t_+ against the disorder 1 / eps.

    zeta = 1 / alpha_inf is bounded by zeta_c = 1 / s (dashed) and reaches it at 1 / eps_c;
    l* (Eq. 8) and xi-bar = (1 + 2 l*) / |log eps| diverge there from the localised side
    (1 / eps > 1 / eps_c); log(Gamma_0 t_+) = 2 s L_+ diverges from the thermal side. The
    dotted vertical line is 1 / eps_c(K). Lengths in lattice spacings. Default abscissa: 300
    points of 1 / eps evenly in [1, 3 / eps_c] and 120 clustered at |eps / eps_c - 1| in
    [1e-10, 0.3], where the divergences are.

    Reproduce Fig. 1: ``phase_diagram(K=1.0).savefig("fig1.png")``.
    """
    eps_c = float(critical_eps(K, d_s=d_s))
    if inv_eps is None:
        near = eps_c * (1.0 + np.concatenate([-np.logspace(-10, -0.5, 60),
                                              np.logspace(-10, -0.5, 60)]))
        x = np.sort(np.concatenate([np.linspace(1.0, 3.0 / eps_c, 300), 1.0 / near]))
        x = x[(x >= 1.0) & (x <= 3.0 / eps_c)]
    else:
        x = np.asarray(inv_eps, dtype=float)
    if np.any(x < 1):
        raise ValueError(f"inv_eps={inv_eps!r} is not allowed: 1 / eps must be >= 1")
    eps = 1.0 / x
    s = entropy_density(d_s)
    fig = Figure(figsize=(8, 6), constrained_layout=True)
    axes = fig.subplots(2, 2, sharex=True)
    panels = [
        (axes[0, 0], localisation_length(eps, K, d_s=d_s), r"$\zeta$", False),
        (axes[0, 1], collar_slope(eps, K, d_s=d_s), r"$\ell^*$", True),
        (axes[1, 0], correlation_length(eps, K, d_s=d_s), r"$\bar\xi$", True),
        (axes[1, 1], log_thermalisation_time(eps, K, d_s=d_s), r"$\ln(\Gamma_0 t_+)$", True),
    ]
    for ax, y, label, log in panels:
        finite = np.isfinite(y)
        ax.plot(x[finite], y[finite], ".", ms=2.5)
        ax.axvline(1.0 / eps_c, color="0.5", ls=":", lw=1)
        ax.set_ylabel(label)
        if log:
            ax.set_yscale("log")
    axes[0, 0].axhline(1.0 / s, color="0.3", ls="--", lw=1, label=r"$\zeta_c = 1/s$")
    axes[0, 0].legend(fontsize=8)
    for ax in axes[1]:
        ax.set_xlabel(r"$1/\varepsilon$")
    fig.suptitle(f"mean-field flow, K = {K:g}: 1/eps_c = {1 / eps_c:.3f}", fontsize=10)
    return fig


def thermal_probability_mean_field(K: float = 1.0, eps: np.ndarray | None = None,
                                   L: tuple[int, ...] = (10, 30, 100, 300, 1000), *,
                                   L_max: int = 30_000, d_s: float = 2.0) -> Figure:
    """p(eps, L) of the mean field for several L (left) and against L around eps_c (right).

    Computed exactly by :func:`mblkit.phenomenology.avalanche_finite_size.thermal_probability`
    (main text "Finite-size scaling"). Right panel: eps = eps_c (1 + d) for d = -0.05 (decay
    eps^{L / L_-}), 0 (critical, ~ log(L) / L), +0.003 and +0.05 (non-monotonic in L: down
    like the critical curve, then up to 1 beyond L_+), for 40 L from 3 to L_max. Default eps:
    120 points in [0.3 eps_c, min(1, 1.8 eps_c)]; the steps are those of the integer k* and
    collars.

    Reproduce: ``thermal_probability_mean_field(K=1.0).savefig("p_mean_field.png")``.
    """
    if isinstance(L_max, bool) or not isinstance(L_max, int | np.integer) or L_max < 4:
        raise ValueError(f"L_max={L_max!r} is not allowed: it must be an integer >= 4")
    eps_c = float(critical_eps(K, d_s=d_s))
    grid = (np.linspace(0.3 * eps_c, min(1.0, 1.8 * eps_c), 120) if eps is None
            else np.asarray(eps, dtype=float))
    fig = Figure(figsize=(9, 3.8), constrained_layout=True)
    left, right = fig.subplots(1, 2)
    for length in L:
        p = np.array([float(thermal_probability(float(e), int(length), K, d_s=d_s))
                      for e in grid])
        left.plot(grid, p, label=f"L = {length}")
    left.axvline(eps_c, color="0.5", ls=":", lw=1, label=r"$\varepsilon_c$")
    left.set(xlabel=r"$\varepsilon$", ylabel=r"$p(\varepsilon, L)$", title="mean field")
    left.legend(fontsize=8)
    lengths = np.unique(np.round(np.logspace(0.5, np.log10(L_max), 40)).astype(int))
    for d in (-0.05, 0.0, 0.003, 0.05):
        p = thermal_probability(eps_c * (1 + d), lengths, K, d_s=d_s)
        right.loglog(lengths, p, marker=".", label=rf"$\varepsilon_c(1{d:+g})$")
    right.set(xlabel="L", ylabel=r"$p(\varepsilon, L)$", ylim=(1e-6, 1.5))
    right.legend(fontsize=8)
    return fig


def thermal_probability_scheme(scan: ThermalScan, *, eps_c_mean_field: float | None = None
                               ) -> Figure:
    """p(eps, L) of the full scheme (main text "Finite-size scaling"; left) and the drift of
    the apparent eps_c(L) (right).

    ``scan`` from :func:`mblkit.phenomenology.avalanche_scheme.scan_thermal_probability`;
    error bars are binomial standard errors. The apparent eps_c(L) is where p = 1/2 (linear
    interpolation, :func:`apparent_critical_eps`); the dashed line is the mean-field eps_c
    (pass ``eps_c_mean_field`` to draw it; None draws nothing).

    Reproduce (a few seconds)::

        scan = scan_thermal_probability(np.linspace(0.05, 0.4, 36),
                                        [32, 100, 316, 1000, 3162], n_samples=200, seed=1)
        thermal_probability_scheme(scan, eps_c_mean_field=float(critical_eps(1.0)))
    """
    fig = Figure(figsize=(9, 3.8), constrained_layout=True)
    left, right = fig.subplots(1, 2)
    for i, length in enumerate(scan.L):
        left.errorbar(scan.eps, scan.p[i], scan.p_sem[i], marker=".", ms=3, capsize=1.5,
                      label=f"L = {length}")
    left.set(xlabel=r"$\varepsilon$", ylabel=r"$p(\varepsilon, L)$",
             title=f"full scheme, {scan.n_samples} chains per point")
    drift = np.array([apparent_critical_eps(scan.eps, scan.p[i]) for i in range(scan.L.size)])
    right.semilogx(scan.L, drift, "o-", label=r"apparent $\varepsilon_c(L)$ (p = 1/2)")
    if eps_c_mean_field is not None:
        left.axvline(eps_c_mean_field, color="0.4", ls="--", lw=1, label="mean field")
        right.axhline(eps_c_mean_field, color="0.4", ls="--", lw=1, label="mean field")
    right.set(xlabel="L", ylabel=r"$\varepsilon_c(L)$")
    left.legend(fontsize=8)
    right.legend(fontsize=8)
    return fig


def spot_size_distribution(K: float = 1.0, scan: ThermalScan | None = None, *,
                           d_s: float = 2.0, i_L: int = 0, i_eps: int = 0) -> Figure:
    """p(l) of thermal regions at criticality on log-log axes, with the l^-3 law (regime (ii)).

    Mean field: one point per order k on the critical trajectory
    (:func:`critical_spot_sizes`), p(l_k) = n_k / (dl_k / dk), and the same densities binned
    on powers of two; guide line l^-3 through the largest point. With ``scan`` (a full-scheme
    scan, e.g. at eps near its apparent eps_c), its spot_size histogram at (L[i_L],
    eps[i_eps]) is added, normalised as regions per site per unit length.

    Reproduce (eps = 0.24 is where p(eps, 1e5) ~ 1/2 for K = 1)::

        crit = scan_thermal_probability([0.24], [100_000], n_samples=40, seed=3, K=1.0)
        spot_size_distribution(K=1.0, scan=crit)
    """
    lengths, densities, eps_c = critical_spot_sizes(K, d_s=d_s)
    fig = Figure(figsize=(5, 4), constrained_layout=True)
    ax = fig.subplots()
    if lengths.size >= 2:
        per_length = densities[:-1] / np.diff(lengths)
        ax.loglog(lengths[:-1], per_length, "o", ms=4,
                  label=rf"mean field, $\varepsilon_c$ = {eps_c:.4f}")
        guide = per_length[-1] * (lengths[:-1] / lengths[-2]) ** -3.0
        ax.loglog(lengths[:-1], guide, "k--", lw=1, label=r"$\ell^{-3}$")
    edges = SPOT_SIZE_EDGES.astype(float)
    binned = spot_size_density(lengths, densities, edges)
    centres = np.sqrt(edges[:-1] * edges[1:])
    keep = binned > 0
    ax.loglog(centres[keep], binned[keep], "s", mfc="none", ms=5, label="mean field, binned")
    if scan is not None:
        pdf = scan.spot_pdf(i_L, i_eps)
        keep = pdf > 0
        ax.loglog(centres[keep], pdf[keep], "^-", ms=4,
                  label=(f"full scheme, L = {scan.L[i_L]}, "
                         rf"$\varepsilon$ = {scan.eps[i_eps]:g}"))
    ax.set(xlabel=r"$\ell$", ylabel=r"$p(\ell)$")
    ax.legend(fontsize=7)
    return fig


__all__ = ["phase_diagram", "spot_size_distribution", "thermal_probability_mean_field",
           "thermal_probability_scheme"]
