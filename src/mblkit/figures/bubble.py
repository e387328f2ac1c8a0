"""Figures 2-9 of ``ergodic-bubble-inclusions.txt`` from a bubble campaign and its bubble-less
reference (analysis in :mod:`mblkit.figures.bubble_data`)::

    from mblkit.figures import bubble, bubble_data as bd
    chain = bd.load_points("out/bubble-chain.h5")          # model "bubble"
    ref = bd.load_points("out/bubble-reference.h5")        # model "xxz", the same W grid
    bubble.figure_2(chain, ref).savefig("fig2.pdf")        # gap ratio, L vs L + 2 crossings
    bubble.figure_3(chain, ref).savefig("fig3.pdf")        # purity vs distance (+ Eq. 6)
    bubble.figure_5(chain, ref).savefig("fig5.pdf")        # Pearson C(r), Eq. 7

``mblkit plot out/bubble-chain.h5 --reference out/bubble-reference.h5`` draws every figure
the two stores hold data for. Energies in units of J = 1; purity gamma = Tr rho_i^2 in [1/2, 1];
the magnetisation axis is <S^z> = <sigma^z> / 2.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from mblkit.figures import bubble_data as bd
from mblkit.models.bubble import PAPER_BETA
from mblkit.observables.levels import R_GOE_LARGE_N, R_POISSON

Points = list[bd.BubblePoint]


def _colours(n: int, cmap: str = "viridis") -> list:
    return list(matplotlib.colormaps[cmap](np.linspace(0.0, 0.9, n)))


def _panels(n: int, width: float, height: float, **kw):
    """n panels in rows of at most four; returns the figure and the first n axes."""
    cols = min(n, 4)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False,
                             constrained_layout=True, **kw)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, list(axes.ravel()[:n])


def _sizes(points: Points) -> list[int]:
    return sorted({p.L for p in points})


def _disorders(points: Points) -> list[float]:
    return sorted({p.W for p in points})


def _reference_for(reference: Points, L: int, W: float, offset: int = 2
                   ) -> bd.BubblePoint | None:
    found = bd.select(reference, L=L + offset, W=W)
    return found[0] if found and found[0].purity is not None else None


def _gap_panel(ax, points: Points, label: str) -> None:
    if not points:
        ax.set(title=f"{label}: no data")
        return
    sizes = _sizes(points)
    for L, c in zip(sizes, _colours(len(sizes)), strict=True):
        w, r, e = bd.gap_ratio_curve(points, L=L)
        ax.errorbar(w, r, e, marker="o", ms=3, capsize=2, color=c, label=f"L = {L}")
    for value, text in ((R_GOE_LARGE_N, "GOE"), (R_POISSON, "Poisson")):
        ax.axhline(value, color="0.5", ls="--", lw=0.8)
        ax.text(ax.get_xlim()[0], value, f" {text}", va="bottom", fontsize=7, color="0.4")
    ax.set(xlabel="W", ylabel=r"$\bar r$", title=label)
    ax.legend(fontsize=7)


def figure_2(chain: Points, reference: Points) -> Figure:
    """Fig. 2: mean gap ratio vs W with the bubble (left, sizes L) and without (right, the
    reference sizes); inset: W where the L and L + 2 curves cross, against 1/L."""
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), constrained_layout=True)
    _gap_panel(axes[0], [p for p in chain if p.gap_ratio is not None],
               f"chain + bubble ($n_{{GOE}}$ = {chain[0].n_goe})")
    _gap_panel(axes[1], [p for p in reference if p.gap_ratio is not None], "chain alone")
    ax = axes[2]
    for points, text, marker in ((chain, "with bubble (L)", "o"),
                                 (reference, "without (L + 2)", "s")):
        found = bd.gap_ratio_crossings([p for p in points if p.gap_ratio is not None])
        pairs = [(k, f) for k, f in found.items() if np.isfinite(f.x)]
        if pairs:
            inv = [1 / k[0] for k, _ in pairs]
            ax.errorbar(inv, [f.x for _, f in pairs], [f.error for _, f in pairs],
                        marker=marker, capsize=2, label=text)
    ax.set(xlabel="1/L (smaller size of the pair)", ylabel=r"crossing $W$ of L, L + 2",
           title="apparent critical disorder")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)
    return fig


def figure_3(chain: Points, reference: Points, overlay: bool = True) -> Figure:
    """Fig. 3: purity vs distance from the bubble, one panel per L, one curve per W; shaded:
    gamma_XXZ +- sem of the reference at L + 2; dashed: Eq. 6 with (p, xi) fitted per curve
    (:func:`mblkit.figures.bubble_data.fit_avalanche`), its ergodic term the random-matrix
    1/(d_eff + 2) rather than the printed d_eff^(-1/2)."""
    points = [p for p in chain if p.purity is not None]
    sizes = _sizes(points)
    fig, axes = plt.subplots(1, len(sizes), figsize=(4.2 * len(sizes), 3.6), squeeze=False,
                             constrained_layout=True)
    for ax, L in zip(axes[0], sizes, strict=True):
        disorders = _disorders(bd.select(points, L=L))
        for W, c in zip(disorders, _colours(len(disorders)), strict=True):
            point = bd.only(points, L=L, W=W)
            d, g, e = bd.purity_vs_distance(point)
            ax.errorbar(d, g, e, marker="o", ms=3, capsize=2, color=c, label=f"W = {W:g}")
            ref = _reference_for(reference, L, W)
            if ref is None:
                continue
            g_xxz, g_err = bd.reference_purity(ref)
            ax.axhspan(g_xxz - g_err, g_xxz + g_err, color=c, alpha=0.25, lw=0)
            if overlay and len(d) >= 3 and np.all(e > 0) and 0.5 < g_xxz <= 1.0:
                fit = bd.fit_avalanche(point, ref)
                ax.plot(fit.d, fit.model, color=c, ls="--", lw=0.9)
        ax.set(xlabel="distance d to the bubble", ylabel=r"$\bar\gamma_d$",
               title=f"L = {L}, $n_{{GOE}}$ = {points[0].n_goe}")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    return fig


def figure_4(chain: Points, reference: Points, distance: int | None = None) -> Figure:
    """Fig. 4: purity at a fixed distance (default: the largest present at every L; the paper
    uses 5) vs L, one curve per W, with the bubble (left) and for the reference chain of L
    sites, site-averaged (right)."""
    points = [p for p in chain if p.purity is not None]
    sizes = _sizes(points)
    distance = (min(sizes) - 1) // 2 if distance is None else distance
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), constrained_layout=True)
    disorders = _disorders(points)
    for W, c in zip(disorders, _colours(len(disorders)), strict=True):
        rows = []
        for L in sizes:
            found = bd.select(points, L=L, W=W)
            if found and distance <= (L - 1) // 2:
                _, g, e = bd.purity_vs_distance(found[0])
                rows.append((L, g[distance], e[distance]))
        if rows:
            axes[0].errorbar(*zip(*rows, strict=True), marker="o", capsize=2, color=c,
                             label=f"W = {W:g}")
        ref_rows = [(p.L, *bd.reference_purity(p)) for p in sorted(
            bd.select(reference, W=W), key=lambda p: p.L) if p.purity is not None]
        if ref_rows:
            axes[1].errorbar(*zip(*ref_rows, strict=True), marker="s", capsize=2, color=c,
                             label=f"W = {W:g}")
    axes[0].set(xlabel="L", ylabel=rf"$\bar\gamma_{{d={distance}}}$", title="chain + bubble",
                xticks=sizes)
    axes[1].set(xlabel="L", ylabel=r"$\bar\gamma_{XXZ}$", title="chain alone (L sites)")
    for ax in axes:
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    return fig


def figure_5(chain: Points, reference: Points) -> Figure:
    """Fig. 5: Pearson purity correlation C(r) of Eq. 7 vs r, one panel per W; solid: chain +
    bubble at each L, dashed: the reference at L + 2."""
    points = [p for p in chain if p.products is not None]
    disorders, sizes = _disorders(points), _sizes(points)
    fig, axes = _panels(len(disorders), 3.4, 3.2, sharey=True)
    for ax, W in zip(axes, disorders, strict=True):
        for L, c in zip(sizes, _colours(len(sizes), "plasma"), strict=True):
            found = bd.select(points, L=L, W=W)
            if found:
                r, corr = bd.purity_correlation(found[0])
                ax.errorbar(r, [x.value for x in corr], [x.error for x in corr], color=c,
                            marker="o", ms=3, capsize=2, label=f"L = {L}")
            ref = _reference_for(reference, L, W)
            if ref is not None and ref.products is not None:
                r, corr = bd.purity_correlation(ref)
                ax.errorbar(r, [x.value for x in corr], [x.error for x in corr], color=c,
                            ls="--", marker="s", ms=2, capsize=2, label=f"no bubble, {L + 2}")
        ax.axhline(0, color="0.5", lw=0.6)
        ax.set(xlabel="r", title=f"W = {W:g}")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=6)
    axes[0].set_ylabel("C(r)")
    return fig


def figure_6(scan: Points) -> Figure:
    """Fig. 6 (SM A): mean gap ratio vs bubble band width beta, one panel per n_GOE, one curve
    per W; dashed: the paper's beta; markers on top: the fitted maximum with its error."""
    sizes = sorted({p.n_goe for p in scan})
    fig, axes = plt.subplots(1, len(sizes), figsize=(3.6 * len(sizes), 3.4), squeeze=False,
                             constrained_layout=True, sharey=True)
    for ax, n in zip(axes[0], sizes, strict=True):
        here = bd.select(scan, n_goe=n)
        disorders = _disorders(here)
        for W, c in zip(disorders, _colours(len(disorders)), strict=True):
            rows = sorted(bd.select(here, W=W), key=lambda p: p.beta)
            beta = [p.beta for p in rows]
            ratios = []
            for p in rows:
                if p.gap_ratio is None:
                    raise ValueError(f"the point L = {p.L}, W = {p.W}, beta = {p.beta} has no "
                                     "stored gap_ratio: add the observable to the campaign")
                ratios.append(p.gap_ratio)
            r = [g.mean() for g in ratios]
            e = [g.std(ddof=1) / np.sqrt(p.n) if p.n > 1 else np.nan
                 for p, g in zip(rows, ratios, strict=True)]
            ax.errorbar(beta, r, e, marker="o", ms=3, capsize=2, color=c, label=f"W = {W:g}")
            if len(rows) >= 3:
                best = bd.best_beta(here, W=W)
                ax.errorbar([best.x], [max(r)], xerr=[best.error], color=c, marker="v")
        if n in PAPER_BETA:
            ax.axvline(PAPER_BETA[n], color="k", ls="--", lw=0.8)
        ax.set(xlabel=r"$\beta$", title=f"$n_{{GOE}}$ = {n}")
        ax.legend(fontsize=7)
    axes[0][0].set_ylabel(r"$\langle r\rangle$")
    return fig


def figure_7(chain: Points, reference: Points, L: int | None = None) -> Figure:
    """Fig. 7 (SM B): distribution of <S^z_i> by distance from the bubble (colours) at size L
    (default: the largest), with the reference at L + 2 site-averaged (black), one panel per W."""
    points = [p for p in chain if p.magnetisation is not None]
    L = max(_sizes(points)) if L is None else L
    disorders = _disorders(bd.select(points, L=L))
    fig, axes = _panels(len(disorders), 3.4, 3.0)
    for ax, W in zip(axes, disorders, strict=True):
        x, groups = bd.magnetisation_by_distance(bd.only(points, L=L, W=W))
        for (d, density), c in zip(groups.items(), _colours(len(groups), "plasma"),
                                   strict=True):
            ax.plot(x, density, color=c, lw=1, label=f"d = {d}")
        ref = bd.select(reference, L=L + 2, W=W)
        if ref and ref[0].magnetisation is not None:
            x_ref, ref_groups = bd.magnetisation_by_distance(ref[0])
            ax.plot(x_ref, ref_groups[-1], color="k", lw=1.2, label=f"no bubble, {L + 2}")
        ax.set(xlabel=r"$\langle S^z_i\rangle$", yscale="log", title=f"L = {L}, W = {W:g}")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=6)
    axes[0].set_ylabel("probability density")
    return fig


def figure_8(scan: Points, reference: Points) -> Figure:
    """Fig. 8 (SM C): purity vs n_GOE at fixed L, one panel per W, one curve per distance;
    black: gamma_XXZ of the reference chain of the same L."""
    points = [p for p in scan if p.purity is not None]
    L = max(_sizes(points))
    disorders = _disorders(bd.select(points, L=L))
    fig, axes = _panels(len(disorders), 3.4, 3.2)
    for ax, W in zip(axes, disorders, strict=True):
        rows = sorted(bd.select(points, L=L, W=W), key=lambda p: p.n_goe)
        profiles = [bd.purity_vs_distance(p) for p in rows]
        n_goe = [p.n_goe for p in rows]
        n_d = len(profiles[0][0])
        for k, c in zip(range(n_d), _colours(n_d, "plasma"), strict=True):
            ax.errorbar(n_goe, [g[k] for _, g, _ in profiles], [e[k] for _, _, e in profiles],
                        marker="o", ms=3, capsize=2, color=c, label=f"d = {k}")
        ref = _reference_for(reference, L, W, offset=0)
        if ref is not None:
            g_xxz, g_err = bd.reference_purity(ref)
            ax.axhspan(g_xxz - g_err, g_xxz + g_err, color="k", alpha=0.3, lw=0)
            ax.axhline(g_xxz, color="k", lw=1, label=f"no bubble, L = {L}")
        ax.set(xlabel=r"$n_{GOE}$", title=f"L = {L}, W = {W:g}")
        ax.legend(fontsize=6)
    axes[0].set_ylabel(r"$\bar\gamma_d$")
    return fig


#: A gamma_0 whose error exceeds this (the whole range of gamma - 1/2) is not constrained by the
#: data (a flat or straight profile over few distances) and is left out of Fig. 9's lower panel.
UNCONSTRAINED = 0.5


def figure_9(chain: Points, reference: Points, L: int | None = None, overlay: bool = True
             ) -> Figure:
    """Fig. 9 (SM C): (top) gamma_XXZ(L + 2) - gamma_d vs d at size L (default: the largest)
    with the fits gamma_0 + A e^{-d/xi} (dashed) and Eq. 6 fitted (dotted; ergodic term
    1/(d_eff + 2), as in :func:`figure_3`); (bottom) gamma_0
    vs W for every L, leaving out fits with an error above :data:`UNCONSTRAINED`."""
    points = [p for p in chain if p.purity is not None]
    sizes = _sizes(points)
    L = max(sizes) if L is None else L
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(5, 6.4), constrained_layout=True)
    disorders = _disorders(bd.select(points, L=L))
    for W, c in zip(disorders, _colours(len(disorders)), strict=True):
        ref = _reference_for(reference, L, W)
        if ref is None or (L - 1) // 2 < 3:
            continue
        fit = bd.fit_distance_decay(bd.only(points, L=L, W=W), ref)
        top.errorbar(fit.d, fit.difference, fit.sigma, marker="o", ms=3, capsize=2, color=c,
                     label=f"W = {W:g}")
        dd = np.linspace(0, fit.d.max(), 60)
        top.plot(dd, fit.fit(dd), color=c, ls="--", lw=0.9)
        if overlay:
            avalanche = bd.fit_avalanche(bd.only(points, L=L, W=W), ref)
            top.plot(avalanche.d, avalanche.gamma_xxz - avalanche.model, color=c, ls=":",
                     lw=0.9)
    top.axhline(0, color="0.5", lw=0.6)
    top.set(xlabel="distance d", ylabel=r"$\bar\gamma_{XXZ} - \bar\gamma_d$",
            title=f"L = {L}; dashed: $\\gamma_0 + A e^{{-d/\\xi}}$, dotted: Eq. 6")
    top.legend(fontsize=7)
    for size, c in zip(sizes, _colours(len(sizes), "plasma"), strict=True):
        rows = []
        for W in _disorders(bd.select(points, L=size)):
            ref = _reference_for(reference, size, W)
            if ref is not None and (size - 1) // 2 >= 3:
                fit = bd.fit_distance_decay(bd.only(points, L=size, W=W), ref)
                if fit.gamma0_error <= UNCONSTRAINED:
                    rows.append((W, fit.gamma0, fit.gamma0_error))
        if rows:
            bottom.errorbar(*zip(*rows, strict=True), marker="o", capsize=2, color=c,
                            label=f"L = {size}")
    bottom.axhline(0, color="0.5", lw=0.6)
    bottom.set(xlabel="W", ylabel=r"$\gamma_0$")
    if bottom.get_legend_handles_labels()[0]:
        bottom.legend(fontsize=7)
    return fig


def draw_all(store: Path, folder: Path, reference: Path | None = None) -> list[Path]:
    """Every figure the bubble store (and the reference store, if given) hold data for."""
    chain = bd.load_points(store)
    ref = bd.load_points(reference) if reference is not None else []
    if not chain or chain[0].model != "bubble":
        return []
    has = {what: any(getattr(p, what) is not None for p in chain)
           for what in ("gap_ratio", "purity", "products", "magnetisation")}
    figures: dict[str, Figure] = {}
    if len({p.beta for p in chain}) >= 3 and has["gap_ratio"]:
        figures["fig6_beta_scan"] = figure_6(chain)
    if len({p.n_goe for p in chain}) >= 2 and has["purity"]:
        figures["fig8_purity_vs_n_goe"] = figure_8(chain, ref)
    if len({p.n_goe for p in chain}) == 1 and len({p.beta for p in chain}) == 1:
        if has["gap_ratio"]:
            figures["fig2_gap_ratio"] = figure_2(chain, ref)
        if has["purity"]:
            figures["fig3_purity_vs_distance"] = figure_3(chain, ref)
            figures["fig4_purity_vs_L"] = figure_4(chain, ref)
            if ref:
                figures["fig9_gamma0"] = figure_9(chain, ref)
        if has["products"]:
            figures["fig5_purity_correlation"] = figure_5(chain, ref)
        if has["magnetisation"]:
            figures["fig7_magnetisation"] = figure_7(chain, ref)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, fig in figures.items():
        for suffix in (".png", ".pdf"):
            path = folder / f"{name}{suffix}"
            fig.savefig(path, dpi=150)
            written.append(path)
        plt.close(fig)
    return written
