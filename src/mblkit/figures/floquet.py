"""Figures of ``resonant-energy-scales-floquet.txt`` drawn from a campaign store.

The store is one made from ``examples/floquet-resonances.toml`` (model "brickwork", grid over L
and J, observable "resonances"). Each figure is a function of :class:`ResonanceData`::

    from mblkit.figures.floquet import load_resonances, figure_2, figure_3, figure_4, figure_5
    data = load_resonances("out/floquet-resonances.h5")
    figure_2(data).savefig("fig2.pdf")   # p_Omega with power-law fits, the local exponent,
                                         # 2^L p_Omega, p_{Omega|omega}
    figure_3(data).savefig("fig3.pdf")   # p_Z and p_D, with the Z^{-3/2} of Eq. 8
    figure_4(data).savefig("fig4.pdf")   # 2^L p_x and p_chi, with chi^{-3/2}
    figure_5(data).savefig("fig5.pdf")   # <Z_mn> and <Z_np Z_pm Z_mn> vs J
    print(format_zeta_table(*zeta_estimates(data)))   # zeta/zeta_c, windows, errors

``mblkit plot STORE`` draws all four and writes (and prints) the zeta/zeta_c table. Densities
follow the normalisations of :mod:`mblkit.observables.resonances`.

zeta/zeta_c from the p_Omega tail (Eq. 5, Fig. 2). Eq. 5, p_Omega = a Omega_0^a Omega^-(1+a)
with a = zeta/zeta_c, holds for Omega_0 < Omega < e^{-1/zeta}, where the floor Omega_0 ~
e^{-L/zeta} makes Omega_0^a ~ 2^-L. Omega_0 is not the maximum of the measured p_Omega: the
density per unit Omega peaks where d ln p / d ln Omega = 0, i.e. where the local exponent
a(Omega) = -d ln p / d ln Omega - 1 is -1, at the bottom of a finite-size crossover in which
a(Omega) climbs through 0 to its power-law value over three to four decades (measured at L = 8,
J = 0.02: maximum at 3.5e-8, a = 0 at 2.5e-6, power law from ~1e-4). A window starting a fixed
factor (formerly 30) above that maximum starts inside the crossover, and its count-weighted fit
is dominated by the crossover's bins. The window is therefore chosen from the data of the
campaign's sizes by :func:`mblkit.stats.fits.select_power_law_window`: at each (L, J) the
widest range where the local exponent is flat within its error and where 2^L p_Omega agrees
with 2^L' p_Omega of the next smaller size L' at the same J (the next larger one for the
smallest L): the paper's "for fixed Omega the distribution scales as p_Omega ~ 2^-L". The
error of zeta/zeta_c is the bootstrap over realisations at that window combined with the
spread from moving both edges by up to :data:`OMEGA_EDGE_DECADES`
(:func:`mblkit.stats.fits.fit_power_law_with_edges`). Fig. 2 draws a(Omega) and 2^L p_Omega
with the chosen windows, so the choice can be seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from mblkit.campaign.config import parse_config
from mblkit.campaign.floquet_tasks import resonance_bins
from mblkit.campaign.store import CampaignStore
from mblkit.observables.resonances import ResonanceBins
from mblkit.stats import PowerLawFit, density, fit_power_law
from mblkit.stats.fits import (
    PowerLawWindow,
    WindowedPowerLawFit,
    fit_power_law_with_edges,
    local_exponents,
    select_power_law_window,
)

#: The rule of the p_Omega window (:func:`mblkit.stats.fits.select_power_law_window`): blocks
#: of one decade, a window of at least two, both tests at the 5 % level, bins with at least 20
#: counts in both sizes, no tolerance beyond the statistical errors. Why a decade: at small J
#: the local exponent is modulated with a period of about 1.5 decades (maxima near Omega ~ J/2
#: and J^2 at J = 0.02: successive orders of the short-range perturbation theory behind Eq. 5),
#: with an amplitude of ~0.1-0.15; at half-decade resolution no range is flat within errors of
#: 0.01 (L = 8, 120 realisations), while one-decade blocks average most of a period. The
#: sliding half-decade exponent is drawn in Fig. 2 so the modulation can be seen.
OMEGA_WINDOW_RULE = {"block_decades": 1.0, "min_decades": 2.0, "alpha": 0.05, "min_count": 20,
                     "flatness_tolerance": 0.0, "collapse_tolerance": 0.0}
#: Each window edge is moved by up to this many decades for the systematic error.
OMEGA_EDGE_DECADES = 0.5
#: zeta/zeta_c of the paper at L = 14 (Fig. 2 caption), drawn for comparison.
PAPER_ZETA_RATIO = {0.02: (0.39, 0.01), 0.04: (0.61, 0.04)}


@dataclass(frozen=True)
class ResonancePoint:
    """One (L, J) point: merged histograms, per-realisation counts, scalar means and errors."""

    L: int
    J: float
    n: int
    histograms: dict[str, np.ndarray]
    counts: dict[str, np.ndarray]
    mean: dict[str, float]
    sem: dict[str, float]


@dataclass(frozen=True)
class ResonanceData:
    bins: ResonanceBins
    points: list[ResonancePoint]

    @property
    def couplings(self) -> list[float]:
        return sorted({p.J for p in self.points})

    @property
    def sizes(self) -> list[int]:
        return sorted({p.L for p in self.points})

    def at(self, J: float) -> list[ResonancePoint]:
        """The points at coupling J with realisations, ascending in L."""
        return sorted((p for p in self.points if p.J == J and p.n), key=lambda p: p.L)


def load_resonances(path: str | Path) -> ResonanceData:
    """Read a brickwork campaign store with a "resonances" observable."""
    store = CampaignStore.read(Path(path))
    config = parse_config(store.config_text)
    specs = [s for s in config.observables if s.name == "resonances"]
    if config.model.name != "brickwork" or not specs:
        raise ValueError(f"{path} is not a brickwork campaign with a 'resonances' observable")
    points = []
    for p in range(store.n_points):
        res = store.load_point(p)
        hist = {k[4:]: v for k, v in res.histograms.items() if k.startswith("res_")}
        counts = {k[4:-7]: v for k, v in res.arrays.items()
                  if k.startswith("res_") and k.endswith("_counts")}
        n = res.n_realisations
        mean = {k: float(np.mean(v)) for k, v in res.scalars.items() if n}
        sem = {k: float(np.std(v, ddof=1) / np.sqrt(n)) if n > 1 else np.nan
               for k, v in res.scalars.items()}
        points.append(ResonancePoint(int(res.params["L"]), float(res.params["J"]), n, hist,
                                     counts, mean, sem))
    from mblkit.campaign.bins import stored_resonance_bins  # the worker's, not today's

    return ResonanceData(stored_resonance_bins(store, lambda: resonance_bins(specs[0])), points)


def zeta_ratio_from_slope(slope: float) -> float:
    """zeta / zeta_c from the p_Omega exponent: p_Omega ~ Omega^{-(1 + zeta/zeta_c)} (Eq. 5)."""
    return -slope - 1.0


def partner_of(data: ResonanceData, point: ResonancePoint) -> ResonancePoint:
    """The size whose 2^L p_Omega is compared with ``point``'s: the next smaller L at the same
    J with at least two realisations, else the next larger one."""
    others = [p for p in data.at(point.J) if p.L != point.L and p.n > 1]
    smaller = [p for p in others if p.L < point.L]
    if smaller:
        return smaller[-1]
    larger = [p for p in others if p.L > point.L]
    if larger:
        return larger[0]
    raise ValueError(f"the p_Omega window needs a second size with at least two realisations "
                     f"at J = {point.J} (sizes there: {[p.L for p in data.at(point.J)]})")


def omega_fit_window(data: ResonanceData, point: ResonancePoint, **rule) -> PowerLawWindow:
    """The p_Omega power-law window of ``point`` chosen from the data of its own and the
    partner size (:func:`partner_of`), by :data:`OMEGA_WINDOW_RULE` (entries overridden by
    ``rule``); ValueError if no window passes."""
    partner = partner_of(data, point)
    return select_power_law_window(point.counts["omega"], data.bins.omega,
                                   partner.counts["omega"], 2.0**point.L, 2.0**partner.L,
                                   **{**OMEGA_WINDOW_RULE, **rule})


@dataclass(frozen=True)
class ZetaEstimate:
    """zeta/zeta_c (Eq. 5) at one (L, J): the chosen window with the evidence for it (None for
    a window given by hand), the fit there, the bootstrap (``statistical``) and window
    (``systematic``) errors and their quadrature sum."""

    L: int
    J: float
    realisations: int
    partner_L: int
    window: PowerLawWindow | None
    fit: WindowedPowerLawFit

    @property
    def zeta_ratio(self) -> float:
        return zeta_ratio_from_slope(self.fit.slope)

    @property
    def statistical(self) -> float:
        return self.fit.statistical

    @property
    def systematic(self) -> float:
        return self.fit.systematic

    @property
    def error(self) -> float:
        return self.fit.error

    @property
    def omega_0(self) -> float:
        """The floor of Eq. 5 implied by the fit: amplitude = a Omega_0^a, a = zeta/zeta_c."""
        a = self.zeta_ratio
        return float((self.fit.fit.amplitude / a) ** (1 / a)) if a > 0 else np.nan


def estimate_zeta(data: ResonanceData, point: ResonancePoint,
                  window: tuple[float, float] | None = None) -> ZetaEstimate:
    """zeta/zeta_c at ``point`` from the p_Omega tail, in the window :func:`omega_fit_window`
    chooses, or in ``window`` if given (then ``.window``, the evidence, is None)."""
    chosen = None
    if window is None:
        chosen = omega_fit_window(data, point)
        window = (chosen.lo, chosen.hi)
    lo, hi = window
    fit = fit_power_law_with_edges(point.counts["omega"], data.bins.omega, (lo, hi),
                                   edge_decades=OMEGA_EDGE_DECADES)
    return ZetaEstimate(point.L, point.J, point.n, partner_of(data, point).L, chosen, fit)


def zeta_estimates(data: ResonanceData) -> tuple[list[ZetaEstimate], list[str]]:
    """:func:`estimate_zeta` at every (L, J) with realisations; the second list says, for each
    point where no window passes the rule, why."""
    estimates, failures = [], []
    for J in data.couplings:
        for point in data.at(J):
            try:
                estimates.append(estimate_zeta(data, point))
            except ValueError as err:
                failures.append(f"L = {point.L}, J = {J}: {err}")
    return estimates, failures


def format_zeta_table(estimates: list[ZetaEstimate], failures: tuple[str, ...] | list[str] = ()
                      ) -> str:
    """The zeta/zeta_c table: window, value, statistical and systematic errors, the tests."""
    lines = ["zeta/zeta_c from the p_Omega tail (resonant-energy-scales-floquet.txt Eq. 5); "
             f"window rule {OMEGA_WINDOW_RULE}, edges moved by +-{OMEGA_EDGE_DECADES} decades",
             f"{'J':>6} {'L':>3} {'n':>4} {'vs L':>4}  {'window':>21}  {'zeta/zeta_c':>11} "
             f"{'stat':>6} {'syst':>6} {'total':>6}  p(flat) p(2^L)"]
    for e in estimates:
        tests = (f"{e.window.flatness_p:>7.2f} {e.window.collapse_p:>6.2f}" if e.window
                 else "  (window given)")
        lines.append(f"{e.J:>6g} {e.L:>3d} {e.realisations:>4d} {e.partner_L:>4d}  "
                     f"[{e.fit.fit.lo:.2e}, {e.fit.fit.hi:.2e}]  {e.zeta_ratio:>11.3f} "
                     f"{e.statistical:>6.3f} {e.systematic:>6.3f} {e.error:>6.3f}  {tests}")
    for J, (value, error) in sorted(PAPER_ZETA_RATIO.items()):
        lines.append(f"{J:>6g}  14  paper (Fig. 2 caption)               {value:>11.2f} "
                     f"{error:>6.2f}")
    lines += [f"no window: {f}" for f in failures]
    return "\n".join(lines)


def fit_omega_tail(data: ResonanceData, point: ResonancePoint,
                   window: tuple[float, float] | None = None) -> PowerLawFit:
    """Power-law fit of p_Omega at one point in ``window`` (default: the chosen one, as
    :func:`estimate_zeta`), bootstrap error over its realisations; zeta/zeta_c by
    :func:`zeta_ratio_from_slope`. :func:`estimate_zeta` adds the window systematics."""
    if window is None:
        w = omega_fit_window(data, point)
        window = (w.lo, w.hi)
    return fit_tail(point, data.bins, "omega", window)


def fit_tail(point: ResonancePoint, bins: ResonanceBins, name: str,
             window: tuple[float, float]) -> PowerLawFit:
    """Power-law fit of the tail of p_Omega ("omega"), p_Z ("z"), p_D ("depolarisation") or
    p_chi ("chi") inside ``window``, bootstrap error over the point's realisations. Expected
    slopes: -(1 + zeta/zeta_c) (Eq. 5), -3/2 (Eqs. 8, 9), -(3 - zeta/zeta_c)/2 (Eq. 14)."""
    if name not in point.counts:
        raise ValueError(f"name={name!r} is not allowed: per-realisation counts exist for "
                         f"{sorted(point.counts)}")
    return fit_power_law(point.counts[name], getattr(bins, name), window)


def _shades(n: int, cmap: str):
    import matplotlib

    colours = matplotlib.colormaps[cmap](np.linspace(0.35, 0.95, max(n, 1)))
    return list(colours)


def _loglog(ax, x, y, **kw) -> None:
    keep = y > 0
    ax.loglog(x[keep], y[keep], **kw)


def figure_2(data: ResonanceData) -> Figure:
    """Fig. 2 with the evidence for the fit windows, one column per J: (a) p_Omega for every L
    with the power-law fit of every L that has a window, labelled by zeta/zeta_c (Eq. 5);
    (b) the local exponent -d ln p / d ln Omega - 1 over sliding half decades with its
    bootstrap error, the window (shaded) and zeta/zeta_c with its total error (band) of the
    largest L with a window, and the paper's L = 14 value (dotted) where it has one; the title
    names the sizes without a window; (c) 2^L p_Omega,
    which collapses in the power-law range; (d) p_{Omega|omega} in the |omega| windows at the
    largest L."""
    couplings = data.couplings
    fig = Figure(figsize=(4.2 * len(couplings), 13), constrained_layout=True)
    axes = fig.subplots(4, len(couplings), squeeze=False)
    b = data.bins
    for c, J in enumerate(couplings):
        pts = data.at(J)
        shades = _shades(len(pts), "Blues")
        estimates = {}
        for pt in pts:
            if pt.n > 1:
                try:
                    estimates[pt.L] = estimate_zeta(data, pt)
                except ValueError:
                    pass
        estimate = estimates[max(estimates)] if estimates else None
        for colour, pt in zip(shades, pts, strict=True):
            p = density(pt.histograms["omega"], b.omega)
            _loglog(axes[0, c], b.omega.centres, p, color=colour, label=f"L = {pt.L}")
            _loglog(axes[2, c], b.omega.centres, 2.0**pt.L * p, color=colour,
                    label=f"L = {pt.L}")
            if pt.n > 1:
                le = local_exponents(pt.counts["omega"], b.omega, block_decades=0.5, n_boot=100)
                a = -le.slope - 1
                keep = np.isfinite(a) & np.isfinite(le.error) & (le.error < 0.5)
                axes[1, c].plot(le.centre[keep], a[keep], color=colour, label=f"L = {pt.L}")
                axes[1, c].fill_between(le.centre[keep], (a - le.error)[keep],
                                        (a + le.error)[keep], color=colour, alpha=0.3, lw=0)
        title = f"J = {J}"
        for L, e in sorted(estimates.items()):
            fit = e.fit.fit
            x = np.geomspace(fit.lo, fit.hi, 20)
            axes[0, c].loglog(x, fit.amplitude * x**fit.slope, "k--", lw=1,
                              label=rf"$\zeta/\zeta_c$ = {e.zeta_ratio:.2f}"
                                    rf"({100 * e.error:.0f}), L = {L}")
        if estimate is not None:
            fit = estimate.fit.fit
            axes[1, c].axhspan(estimate.zeta_ratio - estimate.error,
                               estimate.zeta_ratio + estimate.error, color="k", alpha=0.15,
                               lw=0, label=rf"fit at L = {estimate.L}")
            for ax in axes[:3, c]:
                ax.axvspan(fit.lo, fit.hi, color="0.85", zorder=0)
            title += f", window [{fit.lo:.1e}, {fit.hi:.1e}] at L = {estimate.L}"
        missing = [pt.L for pt in pts if pt.L not in estimates]
        if missing:
            title += f"; no power-law window at L = {', '.join(map(str, missing))}"
        if J in PAPER_ZETA_RATIO:
            axes[1, c].axhline(PAPER_ZETA_RATIO[J][0], color="k", ls=":", lw=1,
                               label="paper, L = 14")
        axes[0, c].set(xlabel=r"$\Omega$", ylabel=r"$p_\Omega$")
        axes[0, c].set_title(title, fontsize=8)
        axes[1, c].set(xscale="log", ylim=(-1.0, 1.5), xlabel=r"$\Omega$",
                       ylabel=r"$-d\ln p_\Omega / d\ln\Omega - 1$")
        axes[2, c].set(xlabel=r"$\Omega$", ylabel=r"$2^L p_\Omega$")
        for ax in axes[:3, c]:
            ax.legend(fontsize=7)
        ax = axes[3, c]
        if pts:
            pt = pts[-1]
            windows = b.windows
            for k, colour in enumerate(_shades(len(windows) - 1, "Greys")):
                counts = pt.histograms.get(f"omega_window{k}")
                if counts is None or counts.sum() == 0:
                    continue
                label = (rf"$|\omega| < 10^{{{np.log10(windows[1]):.0f}}}$" if windows[k] == 0
                         else rf"$|\omega| \in [{windows[k]:.0e}, {windows[k + 1]:.0e})$")
                _loglog(ax, b.omega.centres, density(counts, b.omega), color=colour,
                        label=label)
            ax.set(xlabel=r"$\Omega$", ylabel=r"$p_{\Omega|\omega}$", title=f"L = {pt.L}")
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=7)
    return fig


def figure_3(data: ResonanceData) -> Figure:
    """Fig. 3: p_Z of Z = |z_nm|^2 (oranges) and p_D of the depolarisation (greens), with the
    Z^{-3/2} decay of Eqs. 8-9 (dashed)."""
    couplings = data.couplings
    fig = Figure(figsize=(4.2 * len(couplings), 3.6), constrained_layout=True)
    axes = fig.subplots(1, len(couplings), squeeze=False)[0]
    b = data.bins
    for ax, J in zip(axes, couplings, strict=True):
        pts = data.at(J)
        for o, g, pt in zip(_shades(len(pts), "Oranges"), _shades(len(pts), "Greens"), pts,
                            strict=True):
            _loglog(ax, b.z.centres, density(pt.histograms["z"], b.z), color=o,
                    label=f"$p_Z$, L = {pt.L}")
            _loglog(ax, b.depolarisation.centres,
                    density(pt.histograms["depolarisation"], b.depolarisation), color=g,
                    label=f"$p_D$, L = {pt.L}")
        x = np.geomspace(1e-6, 1, 10)
        ax.loglog(x, 1e-2 * x**-1.5, "k--", lw=1, label=r"$\propto Z^{-3/2}$")
        ax.set(xlabel=r"$Z,\ D$", ylabel="density", title=f"J = {J}")
        ax.legend(fontsize=6)
    return fig


def figure_4(data: ResonanceData) -> Figure:
    """Fig. 4: 2^L p_x (oranges) and p_chi (greens) with the Poisson chi^{-3/2} (dashed)."""
    couplings = data.couplings
    fig = Figure(figsize=(4.2 * len(couplings), 3.6), constrained_layout=True)
    axes = fig.subplots(1, len(couplings), squeeze=False)[0]
    b = data.bins
    for ax, J in zip(axes, couplings, strict=True):
        pts = data.at(J)
        for o, g, pt in zip(_shades(len(pts), "Oranges"), _shades(len(pts), "Greens"), pts,
                            strict=True):
            _loglog(ax, b.x.centres, 2.0**pt.L * density(pt.histograms["x"], b.x), color=o,
                    label=f"$2^L p_x$, L = {pt.L}")
            _loglog(ax, b.chi.centres, density(pt.histograms["chi"], b.chi), color=g,
                    label=rf"$p_\chi$, L = {pt.L}")
        x = np.geomspace(1e2, 1e10, 10)
        ax.loglog(x, x**-1.5, "k--", lw=1, label=r"$\propto \chi^{-3/2}$")
        ax.set(xlabel=r"$x,\ \chi$", ylabel="density", title=f"J = {J}")
        ax.legend(fontsize=6)
    return fig


def figure_5(data: ResonanceData) -> Figure:
    """Fig. 5 (right): the two-level <Z_mn> (greens) and three-level <Z_np Z_pm Z_mn>
    (oranges) against J for every L, with lines growing like J and J^2 (dashed)."""
    fig = Figure(figsize=(4.5, 3.6), constrained_layout=True)
    ax = fig.subplots()
    sizes = data.sizes
    for g, o, L in zip(_shades(len(sizes), "Greens"), _shades(len(sizes), "Oranges"), sizes,
                       strict=True):
        pts = sorted((p for p in data.points if p.L == L and p.n), key=lambda p: p.J)
        J = np.array([p.J for p in pts])
        for name, colour, label in (("mean_z", g, r"$\langle Z\rangle$"),
                                    ("mean_z3", o, r"$\langle ZZZ\rangle$")):
            y = np.array([p.mean.get(name, np.nan) for p in pts])
            e = np.array([p.sem.get(name, np.nan) for p in pts])
            ax.errorbar(J, y, e, color=colour, marker="o", ms=3, capsize=2,
                        label=f"{label}, L = {L}")
    if data.couplings:
        J = np.array(data.couplings)
        for power, text in ((1, "J"), (2, "J^2")):
            ref = [p for p in data.points if p.n and p.J == J[0]]
            if ref:
                y0 = ref[0].mean.get("mean_z" if power == 1 else "mean_z3", np.nan)
                ax.plot(J, y0 * (J / J[0]) ** power, "k--", lw=0.8, label=f"$\\propto {text}$")
    ax.set(xscale="log", yscale="log", xlabel="J", ylabel="average")
    ax.legend(fontsize=6)
    return fig


def draw_all(path: str | Path, folder: Path) -> list[Path]:
    """Figs. 2-5 of the store at ``path`` as PNG and PDF in ``folder``, and the zeta/zeta_c
    table (:func:`format_zeta_table`) as ``fig2_zeta_windows.txt``, also printed."""
    data = load_resonances(path)
    folder.mkdir(parents=True, exist_ok=True)
    table = format_zeta_table(*zeta_estimates(data))
    print(table)
    out = folder / "fig2_zeta_windows.txt"
    out.write_text(table + "\n")
    from mblkit.figures._save import save_figures

    return [out, *save_figures({"fig2_omega": figure_2, "fig3_z_depolarisation": figure_3,
                                "fig4_x_chi": figure_4, "fig5_two_three_level": figure_5},
                               data, folder)]
