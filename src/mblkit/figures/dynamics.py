"""Figures of a dynamics campaign (:mod:`mblkit.campaign.dynamics_tasks`): the disorder
averages of I(t), S(t), the return probability, C_zz(t) and S(omega), one curve per point.

Averages are over realisations, with the standard error of the mean over realisations as the
error bar (for typicality observables each realisation's value already carries its sampling
noise, so the bar covers both). Times on a log axis (t = 0 is drawn at the first positive
time's left, as a marker only). S(omega) is drawn as the weight of each |omega| slot divided by
twice its width (both signs of omega), as for the full-ED probe figures
(:mod:`mblkit.figures.resonance_model_ed`), with the KPM resolution pi a / N marked: structure
below it is the kernel's, not the system's.

In Python::

    from mblkit.figures.dynamics import load_dynamics, figure_quench, figure_correlations
    data = load_dynamics("out/quench.h5")
    figure_quench(data).savefig("quench.pdf")
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from mblkit.campaign.config import parse_config
from mblkit.campaign.store import CampaignStore
from mblkit.histograms import LogBins

#: The per-realisation arrays drawn against time, with their axis labels.
TIME_SERIES = {"imbalance": "imbalance I(t)", "entropy": "half-chain entropy S(t)",
               "return_probability": "return probability", "czz": "C_zz(t)"}


@dataclass(frozen=True)
class DynamicsPoint:
    """One point: ``label`` (its grid values), ``n`` realisations, ``arrays`` name ->
    (n, ...) per-realisation values, ``resolution`` the mean KPM resolution (or nan)."""

    label: str
    n: int
    times: np.ndarray
    arrays: dict[str, np.ndarray]
    resolution: float

    def mean(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Mean over realisations and its standard error (nan for one realisation)."""
        a = self.arrays[name]
        m = a.mean(axis=0)
        e = a.std(axis=0, ddof=1) / np.sqrt(self.n) if self.n > 1 else np.full_like(m, np.nan)
        return m, e


@dataclass(frozen=True)
class DynamicsData:
    points: list[DynamicsPoint]
    omega_bins: LogBins | None


def load_dynamics(path: str | Path) -> DynamicsData:
    """Read a store of the dynamics task kind (``solver.method = "dynamics"``)."""
    store = CampaignStore.read(Path(path))
    config = parse_config(store.config_text)
    if config.solver.method != "dynamics":
        raise ValueError(f"{path} is not a dynamics campaign (solver.method = "
                         f"{config.solver.method!r})")
    from mblkit.campaign.bins import stored_log_bins
    from mblkit.campaign.dynamics_tasks import omega_bins

    specs = {s.name: s for s in config.observables}
    bins = (stored_log_bins(store, "s_weights", lambda: omega_bins(specs["spectral_function"]))
            if "spectral_function" in specs else None)
    axes = list(config.model.grid)
    points = []
    for p in range(store.n_points):
        res = store.load_point(p)
        if not res.n_realisations:
            continue
        label = ", ".join(f"{k} = {res.params[k]}" for k in axes) or config.model.name
        arrays = {k: np.asarray(v, dtype=np.float64) for k, v in res.arrays.items()
                  if k in (*TIME_SERIES, "magnetisation", "s_weights")}
        resolution = (float(np.mean(res.scalars["kpm_resolution"]))
                      if "kpm_resolution" in res.scalars else float("nan"))
        points.append(DynamicsPoint(label, res.n_realisations, res.arrays["times"][0], arrays,
                                    resolution))
    return DynamicsData(points, bins)


def _log_time_axis(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positive times and their indices (a log axis cannot show t = 0)."""
    keep = np.flatnonzero(t > 0)
    return t[keep], keep


def figure_quench(data: DynamicsData) -> Figure:
    """I(t), S(t) and the return probability (those stored), averaged over realisations."""
    names = [n for n in ("imbalance", "entropy", "return_probability")
             if any(n in p.arrays for p in data.points)]
    if not names:
        raise ValueError("the store holds no quench observable (imbalance, entanglement, "
                         "return_probability)")
    fig = Figure(figsize=(4.2 * len(names), 3.4), layout="constrained")
    axes = fig.subplots(1, len(names), squeeze=False)[0]
    colours = _colours(len(data.points))
    for ax, name in zip(axes, names, strict=True):
        for point, colour in zip(data.points, colours, strict=True):
            if name not in point.arrays:
                continue
            t, keep = _log_time_axis(point.times)
            m, e = point.mean(name)
            ax.plot(t, m[keep], color=colour, label=f"{point.label} ({point.n})")
            ax.fill_between(t, (m - e)[keep], (m + e)[keep], color=colour, alpha=0.25, lw=0)
        ax.set_xscale("log")
        if name == "return_probability":
            ax.set_yscale("log")
        ax.set_xlabel("t")
        ax.set_ylabel(TIME_SERIES[name])
    axes[0].legend(fontsize=7, title="point (realisations)", title_fontsize=7)
    return fig


def figure_correlations(data: DynamicsData) -> Figure:
    """C_zz(t) (typicality) and S(omega) (KPM), averaged over realisations and sites."""
    has_c = any("czz" in p.arrays for p in data.points)
    has_s = data.omega_bins is not None and any("s_weights" in p.arrays for p in data.points)
    if not (has_c or has_s):
        raise ValueError("the store holds neither autocorrelation nor spectral_function")
    fig = Figure(figsize=(4.4 * (has_c + has_s), 3.4), layout="constrained")
    axes = list(fig.subplots(1, has_c + has_s, squeeze=False)[0])
    colours = _colours(len(data.points))
    if has_c:
        ax = axes.pop(0)
        for point, colour in zip(data.points, colours, strict=True):
            if "czz" not in point.arrays:
                continue
            t, keep = _log_time_axis(point.times)
            site_mean = point.arrays["czz"].mean(axis=1)          # (n, times)
            m = site_mean.mean(axis=0)
            e = (site_mean.std(axis=0, ddof=1) / np.sqrt(point.n) if point.n > 1
                 else np.zeros_like(m))
            ax.plot(t, m[keep], color=colour, label=f"{point.label} ({point.n})")
            ax.fill_between(t, (m - e)[keep], (m + e)[keep], color=colour, alpha=0.25, lw=0)
        ax.set_xscale("log")
        ax.set_xlabel("t")
        ax.set_ylabel("[C_zz(t)] (typicality)")
        ax.axhline(0.0, color="0.6", lw=0.6)
        ax.legend(fontsize=7)
    if has_s:
        ax = axes.pop(0)
        bins = data.omega_bins
        assert bins is not None
        edges = bins.edges
        centres = np.sqrt(edges[:-1] * edges[1:])
        widths = np.diff(edges)
        for point, colour in zip(data.points, colours, strict=True):
            if "s_weights" not in point.arrays:
                continue
            w = point.arrays["s_weights"].mean(axis=1)[:, 1:-1]   # (n, bins), site mean
            s = w.mean(axis=0) / (2 * widths)
            show = s > 0
            ax.plot(centres[show], s[show], color=colour, label=point.label)
            if np.isfinite(point.resolution):
                ax.axvline(point.resolution, color=colour, ls=":", lw=0.8)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("|omega|")
        ax.set_ylabel("[S(omega)] (KPM; dotted: resolution)")
        ax.legend(fontsize=7)
    return fig


def _colours(n: int) -> list:
    from mblkit.figures.campaign import curve_colours

    return curve_colours(n)


def draw_all(path: str | Path, folder: Path, formats: tuple[str, ...] = (".png", ".pdf")
             ) -> list[Path]:
    """Every figure the store supports, in ``folder``: dynamics_quench, dynamics_correlations."""
    from mblkit.figures._save import save_figures

    data = load_dynamics(path)
    makers = {}
    if any(k in p.arrays for p in data.points for k in ("imbalance", "entropy",
                                                          "return_probability")):
        makers["dynamics_quench"] = figure_quench
    if any(k in p.arrays for p in data.points for k in ("czz", "s_weights")):
        makers["dynamics_correlations"] = figure_correlations
    return save_figures(makers, data, folder, formats)


__all__ = ["DynamicsData", "DynamicsPoint", "draw_all", "figure_correlations",
           "figure_quench", "load_dynamics"]
