"""Figure of the demo study: <r> and mid-chain purity vs W for each L, with error bars."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from mblkit.campaign.demo import DemoResult
from mblkit.observables import R_GOE_LARGE_N, R_POISSON


def plot_demo(result: DemoResult, out_stem: Path) -> list[Path]:
    """Draw the two panels and save them as ``out_stem``.png and .pdf; returns the paths."""
    s = result.study
    fig, (ax_r, ax_g) = plt.subplots(1, 2, figsize=(9, 3.6), constrained_layout=True)
    for a, L in enumerate(s.sizes):
        ax_r.errorbar(s.disorders, result.gap_ratio[a], result.gap_ratio_err[a], marker="o",
                      ms=4, capsize=2, label=f"L = {L}")
        ax_g.errorbar(s.disorders, result.purity[a], result.purity_err[a], marker="o", ms=4,
                      capsize=2, label=f"L = {L}")
    ax_r.axhline(R_GOE_LARGE_N, color="0.4", ls="--", lw=1, label="GOE")
    ax_r.axhline(R_POISSON, color="0.4", ls=":", lw=1, label="Poisson")
    ax_r.set(xscale="log", xlabel="disorder W", ylabel=r"mean gap ratio $\langle r\rangle$")
    ax_g.axhline(0.5, color="0.4", ls="--", lw=1, label="thermal")
    ax_g.set(xscale="log", xlabel="disorder W",
             ylabel=r"mid-chain purity $\langle\gamma_{L/2}\rangle$", ylim=(0.45, 1.02))
    ax_r.legend(fontsize=8)
    ax_g.legend(fontsize=8)
    fig.suptitle(r"random-field XXZ chain ($\Delta = 1$, open, $S^z = 0$, middle half of "
                 f"the spectrum, {s.realisations} realisations)", fontsize=9)
    out_stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [out_stem.with_suffix(".png"), out_stem.with_suffix(".pdf")]
    for path in paths:
        fig.savefig(path, dpi=150)
    plt.close(fig)
    return paths
