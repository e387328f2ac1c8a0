"""Generic figures of a campaign: each stored scalar vs the last grid axis, one curve per
combination of the other axes, with standard-error bars."""

from __future__ import annotations

import itertools
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from mblkit.observables.levels import R_CUE_LARGE_N, R_GOE_LARGE_N, R_POISSON

REFERENCE_LINES = {"gap_ratio": ((R_GOE_LARGE_N, "GOE"), (R_POISSON, "Poisson")),
                   "purity": ((0.5, "thermal"),)}
FLOQUET_REFERENCE_LINES = {"gap_ratio": ((R_CUE_LARGE_N, "CUE"), (R_POISSON, "Poisson"))}


def plot_campaign(store: Path, folder: Path, reference: Path | None = None,
                  diagnostics: bool = False) -> list[Path]:
    """Every figure that fits a campaign store: its scalars, and the paper's figures where the
    stored observables make them (Floquet resonance statistics: Figs. 2-5; a bubble campaign,
    with its bubble-less ``reference`` store if given: ergodic-bubble Figs. 2-9; a dynamics
    campaign: the averaged time series and S(omega)).
    ``diagnostics``: also the checks of the numerics (residuals, sum-rule errors)."""
    from mblkit.campaign.config import parse_config
    from mblkit.campaign.results import open_results
    from mblkit.campaign.store import CampaignStore
    from mblkit.campaign.tasks import kind_of

    config = parse_config(CampaignStore.read(store).config_text)
    floquet = kind_of(config).name == "floquet"
    written = plot_scalars(open_results(store), folder,
                           FLOQUET_REFERENCE_LINES if floquet else REFERENCE_LINES,
                           diagnostics=diagnostics)
    if floquet and any(s.name == "resonances" for s in config.observables):
        from mblkit.figures.floquet import draw_all

        written += draw_all(store, folder)
    if config.model.name == "bubble":
        from mblkit.figures import bubble

        written += bubble.draw_all(store, folder, reference)
    elif reference is not None:
        raise ValueError(f"--reference is for bubble campaigns; {store} holds model "
                         f"{config.model.name!r}")
    if kind_of(config).name == "probe":
        from mblkit.figures import resonance_model_ed

        written += resonance_model_ed.draw_all(store, folder)
    if kind_of(config).name == "dynamics":
        from mblkit.figures import dynamics

        written += dynamics.draw_all(store, folder)
    return written


#: Reference lines: style and colour by ensemble, so that GOE, Poisson and CUE are told apart.
REFERENCE_STYLES = {"GOE": ("--", "0.25"), "Poisson": (":", "0.25"), "CUE": ("-.", "0.25"),
                    "thermal": ("--", "0.5")}


def axis_label(var) -> str:
    """``long name [units]`` from a variable's attributes (the name if it has none)."""
    name = var.attrs.get("long_name", str(var.name))
    units = var.attrs.get("units", "")
    return f"{name} [{units}]" if units else name


def curve_colours(n: int) -> list:
    """n distinct colours: the tab10 cycle up to 10 curves, evenly spaced viridis beyond."""
    import numpy as np

    if n <= 10:
        return [plt.get_cmap("tab10")(k) for k in range(n)]
    return [plt.get_cmap("viridis")(x) for x in np.linspace(0.0, 0.92, n)]


def _title(ds) -> str:
    import json

    import numpy as np

    parts = [str(ds.attrs.get("model", ""))]
    fixed = json.loads(ds.attrs.get("model_params", "{}"))
    parts += [f"{k} = {v}" for k, v in sorted(fixed.items())]
    n = np.asarray(ds["n_realisations"].values)
    count = f"{n.min()}" if n.min() == n.max() else f"{n.min()}-{n.max()}"
    return ", ".join(p for p in parts if p) + f"; {count} realisations per point"


def plot_scalars(ds, folder: Path, references: dict | None = None,
                 diagnostics: bool = False) -> list[Path]:
    """One figure per scalar of the Dataset ``ds`` (:func:`mblkit.open`) against a grid axis
    (the last one other than L; one curve per combination of the others, L first), with
    standard-error bars; returns the files written. Axis labels are the variables' long names
    and units; the title names the model's fixed parameters and the realisations per point.
    Diagnostics (residuals, sum-rule errors, pair counts: ``attrs["diagnostic"]``) are drawn
    only with ``diagnostics=True`` (``mblkit plot --all``)."""
    references = REFERENCE_LINES if references is None else references
    axes = list(ds["n_realisations"].dims)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    names = [v for v in ds.data_vars if tuple(ds[v].dims) == tuple(axes)
             and not str(v).endswith("_sem") and v != "n_realisations"
             and f"{v}_sem" in ds and (diagnostics or not ds[v].attrs.get("diagnostic"))]
    others_first = [a for a in axes if a != "L"]
    x_axis = others_first[-1] if others_first else (axes[-1] if axes else None)
    curves = [a for a in axes if a != x_axis]
    curves.sort(key=lambda a: a != "L")
    combos = list(itertools.product(*(range(ds.sizes[a]) for a in curves)))
    colours = curve_colours(len(combos))
    for name in names:
        fig = scalar_figure(ds, name, references, x_axis, curves, combos, colours)
        for suffix in (".png", ".pdf"):
            path = folder / f"{name}{suffix}"
            fig.savefig(path, dpi=150)
            written.append(path)
        plt.close(fig)
    return written


def scalar_figure(ds, name: str, references: dict, x_axis, curves: list, combos: list,
                  colours: list):
    """The figure of scalar ``name`` (see :func:`plot_scalars`)."""
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(5.2, 3.8), constrained_layout=True)
    for colour, combo in zip(colours, combos, strict=True):
        sel = dict(zip(curves, combo, strict=True))
        mean, sem = ds[name].isel(sel), ds[f"{name}_sem"].isel(sel)
        label = ", ".join(f"{a} = {ds[a].values[i]}" for a, i in sel.items()) or None
        x = ds[x_axis].values if x_axis else np.array([0])
        ax.errorbar(x, np.ravel(mean.values), np.ravel(sem.values), marker="o", ms=4,
                    capsize=2, color=colour, label=label)
    for value, text in references.get(name, ()):
        style, grey = REFERENCE_STYLES.get(text, ("--", "0.4"))
        ax.axhline(value, color=grey, ls=style, lw=1.2, label=f"{text} ({value:.4g})")
    ax.set(xlabel=axis_label(ds[x_axis]) if x_axis else "", ylabel=axis_label(ds[name]),
           title=_title(ds))
    ax.title.set_fontsize(8)
    if x_axis and np.asarray(ds[x_axis].values).dtype.kind in "iu":
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, ncol=2 if len(combos) > 8 else 1)
    return fig
