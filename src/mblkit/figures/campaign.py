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


def plot_campaign(store: Path, folder: Path, reference: Path | None = None) -> list[Path]:
    """Every figure that fits a campaign store: its scalars, and the paper's figures where the
    stored observables make them (Floquet resonance statistics: Figs. 2-5; a bubble campaign,
    with its bubble-less ``reference`` store if given: ergodic-bubble Figs. 2-9)."""
    from mblkit.campaign.config import parse_config
    from mblkit.campaign.results import open_results
    from mblkit.campaign.store import CampaignStore
    from mblkit.campaign.tasks import kind_of

    config = parse_config(CampaignStore.read(store).config_text)
    floquet = kind_of(config).name == "floquet"
    written = plot_scalars(open_results(store), folder,
                           FLOQUET_REFERENCE_LINES if floquet else REFERENCE_LINES)
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
    return written


def plot_scalars(ds, folder: Path, references: dict | None = None) -> list[Path]:
    """One figure per scalar of the xarray Dataset ``ds``; returns the files written."""
    references = REFERENCE_LINES if references is None else references
    axes = [a for a in ds.dims if not str(a).startswith("bin_")]
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    names = [v for v in ds.data_vars if not v.endswith("_sem") and not v.startswith("hist_")
             and v not in ("n_realisations", "max_residual")]
    for name in names:
        fig, ax = plt.subplots(figsize=(5, 3.6), constrained_layout=True)
        x_axis = axes[-1] if axes else None
        others = axes[:-1]
        for combo in itertools.product(*(range(ds.sizes[a]) for a in others)):
            sel = dict(zip(others, combo, strict=True))
            mean, sem = ds[name].isel(sel), ds[f"{name}_sem"].isel(sel)
            label = ", ".join(f"{a} = {ds[a].values[i]}" for a, i in sel.items()) or None
            x = ds[x_axis].values if x_axis else [0]
            ax.errorbar(x, mean.values.ravel(), sem.values.ravel(), marker="o", ms=4,
                        capsize=2, label=label)
        for value, text in references.get(name, ()):
            ax.axhline(value, color="0.4", ls="--", lw=1, label=text)
        ax.set(xlabel=x_axis or "", ylabel=name)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
        for suffix in (".png", ".pdf"):
            path = folder / f"{name}{suffix}"
            fig.savefig(path, dpi=150)
            written.append(path)
        plt.close(fig)
    return written
