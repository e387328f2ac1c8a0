"""mblkit plot: labels from long names and units, model parameters and realisations in the
title, reference lines told apart, distinct colours for many curves, integer ticks on integer
axes, diagnostics only with --all."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from mblkit.cli import app
from mblkit.figures.campaign import (
    REFERENCE_LINES,
    curve_colours,
    plot_scalars,
    scalar_figure,
)


def synthetic(n_L: int = 12, x_name: str = "W"):
    """A Dataset shaped like mblkit.open's: gap_ratio and a diagnostic over (L, W)."""
    L = np.arange(8, 8 + 2 * n_L, 2)
    W = np.array([0.5, 1.0, 2.0, 4.0])
    shape = (len(L), len(W))
    rng = np.random.default_rng(0)
    attrs = {"long_name": "gap ratio r", "units": ""}
    return xr.Dataset(
        {"n_realisations": (("L", "W"), np.full(shape, 30)),
         "gap_ratio": (("L", "W"), rng.uniform(0.38, 0.53, shape), attrs),
         "gap_ratio_sem": (("L", "W"), np.full(shape, 0.01), attrs),
         "max_residual": (("L", "W"), np.full(shape, 1e-14), {"long_name": "residual",
                                                              "units": "J", "diagnostic": 1}),
         "max_residual_sem": (("L", "W"), np.zeros(shape))},
        coords={"L": ("L", L, {"long_name": "chain length L", "units": "sites"}),
                "W": ("W", W, {"long_name": "disorder strength W", "units": "J"})},
        attrs={"model": "xxz", "model_params": '{"J": 1.0, "delta": 1.0}'})


def test_labels_title_references_and_colours():
    ds = synthetic(12)
    combos = [(k,) for k in range(12)]
    fig = scalar_figure(ds, "gap_ratio", REFERENCE_LINES, "W", ["L"], combos,
                        curve_colours(12))
    ax = fig.axes[0]
    assert ax.get_xlabel() == "disorder strength W [J]" and ax.get_ylabel() == "gap ratio r"
    assert "xxz" in ax.get_title() and "delta = 1.0" in ax.get_title()
    assert "30 realisations per point" in ax.get_title()
    handles, labels = ax.get_legend_handles_labels()
    assert "L = 8" in labels and "L = 30" in labels
    refs = {lab: h for h, lab in zip(handles, labels, strict=True) if "(" in lab}
    assert set(refs) == {"GOE (0.5307)", "Poisson (0.3863)"}
    assert refs["GOE (0.5307)"].get_linestyle() != refs["Poisson (0.3863)"].get_linestyle()
    colours = {tuple(np.round(c.lines[0].get_color(), 3)) if not isinstance(
        c.lines[0].get_color(), str) else c.lines[0].get_color() for c in ax.containers}
    assert len(colours) == 12  # every L its own colour
    plt.close(fig)


def test_integer_axes_get_integer_ticks():
    ds = synthetic(3).transpose("W", "L")
    fig = scalar_figure(ds, "gap_ratio", {}, "L", ["W"], [(k,) for k in range(4)],
                        curve_colours(4))
    ax = fig.axes[0]
    fig.canvas.draw()
    ticks = ax.get_xticks()
    assert np.all(ticks == np.round(ticks))
    assert ax.get_xlabel() == "chain length L [sites]"
    plt.close(fig)


def test_diagnostics_only_with_all(tmp_path):
    ds = synthetic(2)
    names = {p.stem for p in plot_scalars(ds, tmp_path / "a")}
    assert names == {"gap_ratio"}
    names = {p.stem for p in plot_scalars(ds, tmp_path / "b", diagnostics=True)}
    assert names == {"gap_ratio", "max_residual"}


@pytest.mark.parametrize("extra", [[], ["--all"]])
def test_cli_plot_all(tiny_config, extra):
    """Smoke test: `mblkit plot` runs on a stored campaign and writes the files, the diagnostic
    only with --all; the independent checks are, in tests/campaign/test_cli_plot.py,
    ::test_labels_title_references_and_colours and ::test_diagnostics_only_with_all."""
    path = tiny_config(f"plot{len(extra)}", 2)
    cli = CliRunner()
    assert cli.invoke(app, ["run", str(path), "--workers", "1"]).exit_code == 0
    store = path.with_suffix(".h5")
    result = cli.invoke(app, ["plot", str(store), *extra])
    assert result.exit_code == 0, result.output
    folder = store.with_suffix("")
    assert (folder / "gap_ratio.png").exists()
    assert (folder / "max_residual.png").exists() == bool(extra)
