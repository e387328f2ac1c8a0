"""Figures of ``resonant-energy-scales-floquet.txt`` drawn from a campaign store.

The store is one made from ``examples/floquet-resonances.toml`` (model "brickwork", grid over L
and J, observable "resonances"). Each figure is a function of :class:`ResonanceData`::

    from mblkit.figures.floquet import load_resonances, figure_2, figure_3, figure_4, figure_5
    data = load_resonances("out/floquet-resonances.h5")
    figure_2(data).savefig("fig2.pdf")   # p_Omega with power-law fits, p_{Omega|omega}
    figure_3(data).savefig("fig3.pdf")   # p_Z and p_D, with the Z^{-3/2} of Eq. 8
    figure_4(data).savefig("fig4.pdf")   # 2^L p_x and p_chi, with chi^{-3/2}
    figure_5(data).savefig("fig5.pdf")   # <Z_mn> and <Z_np Z_pm Z_mn> vs J

``mblkit plot STORE`` draws all four. Densities follow the normalisations of
:mod:`mblkit.observables.resonances`.
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

#: Upper end of the p_Omega fit window, below the cutoff e^{-1/zeta} of Eq. 5 at J <~ 0.05.
OMEGA_FIT_HIGH = 1e-2
#: The lower end sits this factor above the maximum of p_Omega, the finite-size floor
#: Omega_0 ~ e^{-L/zeta} below which Eq. 5 does not hold (Sec. V).
OMEGA_FIT_FLOOR_FACTOR = 30.0


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
    return ResonanceData(resonance_bins(specs[0]), points)


def zeta_ratio_from_slope(slope: float) -> float:
    """zeta / zeta_c from the p_Omega exponent: p_Omega ~ Omega^{-(1 + zeta/zeta_c)} (Eq. 5)."""
    return -slope - 1.0


def omega_fit_window(point: ResonancePoint, bins: ResonanceBins) -> tuple[float, float]:
    """The documented default window of the p_Omega fit: from 30 times the position of the
    maximum of p_Omega (the finite-size floor Omega_0) up to 1e-2."""
    p = density(point.histograms["omega"], bins.omega)
    floor = bins.omega.centres[int(np.argmax(p))]
    return min(OMEGA_FIT_FLOOR_FACTOR * floor, OMEGA_FIT_HIGH / 10), OMEGA_FIT_HIGH


def fit_omega_tail(point: ResonancePoint, bins: ResonanceBins,
                   window: tuple[float, float] | None = None) -> PowerLawFit:
    """Power-law fit of p_Omega at one point (window: :func:`omega_fit_window` by default),
    with the bootstrap error over its realisations; zeta/zeta_c by
    :func:`zeta_ratio_from_slope`."""
    window = omega_fit_window(point, bins) if window is None else window
    return fit_tail(point, bins, "omega", window)


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


def figure_2(data: ResonanceData, window: tuple[float, float] | None = None) -> Figure:
    """Fig. 2: (top) p_Omega for every L at each J with the power-law fit at the largest L,
    labelled by zeta/zeta_c (Eq. 5); (bottom) p_{Omega|omega} in the |omega| windows at the
    largest L of each J."""
    couplings = data.couplings
    fig = Figure(figsize=(4.2 * len(couplings), 7), constrained_layout=True)
    axes = fig.subplots(2, len(couplings), squeeze=False)
    b = data.bins
    for c, J in enumerate(couplings):
        pts = data.at(J)
        ax = axes[0, c]
        for colour, pt in zip(_shades(len(pts), "Blues"), pts, strict=True):
            _loglog(ax, b.omega.centres, density(pt.histograms["omega"], b.omega),
                    color=colour, label=f"L = {pt.L}")
        if pts and pts[-1].n > 1:
            fit = fit_omega_tail(pts[-1], b, window)
            x = np.geomspace(fit.lo, fit.hi, 20)
            ax.loglog(x, fit.amplitude * x**fit.slope, "k--", lw=1,
                      label=rf"$\zeta/\zeta_c$ = {zeta_ratio_from_slope(fit.slope):.2f}"
                            rf"({100 * fit.error:.0f})")
        ax.set(xlabel=r"$\Omega$", ylabel=r"$p_\Omega$", title=f"J = {J}")
        ax.legend(fontsize=7)
        ax = axes[1, c]
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
    """Figs. 2-5 of the store at ``path`` as PNG and PDF in ``folder``."""
    data = load_resonances(path)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in (("fig2_omega", figure_2), ("fig3_z_depolarisation", figure_3),
                       ("fig4_x_chi", figure_4), ("fig5_two_three_level", figure_5)):
        fig = draw(data)
        for suffix in (".png", ".pdf"):
            out = folder / f"{name}{suffix}"
            fig.savefig(out, dpi=150)
            written.append(out)
    return written
