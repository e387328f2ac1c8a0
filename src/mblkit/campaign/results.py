"""Reading a finished (or running) campaign: point averages and an xarray Dataset.

Averages are over realisations, with the standard error of the mean (ddof = 1).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mblkit.campaign.store import CampaignStore


def grid_of(store: CampaignStore) -> dict[str, list]:
    """The config's grid axes (name -> values, in order) recovered from the stored config."""
    from mblkit.campaign.config import parse_config

    return parse_config(store.config_text).model.grid


def point_averages(store: CampaignStore) -> list[dict]:
    """One row per point: params, number of realisations, and mean / sem of every scalar."""
    rows = []
    for p in range(store.n_points):
        res = store.load_point(p)
        row: dict = {"point": p, "params": res.params, "n": len(res.realisations),
                     "mean": {}, "sem": {}}
        for name, values in res.scalars.items():
            row["mean"][name] = float(np.mean(values)) if len(values) else float("nan")
            row["sem"][name] = (float(np.std(values, ddof=1) / np.sqrt(len(values)))
                                if len(values) > 1 else float("nan"))
        rows.append(row)
    return rows


def open_results(path: str | Path):
    """The campaign at ``path`` as an xarray Dataset with the grid axes as coordinates.

    Data variables: ``<scalar>`` (mean), ``<scalar>_sem``, ``n_realisations``, and the merged
    histogram counts ``hist_<name>`` with a trailing ``bin_<name>`` dimension (``bin_<name>_0``,
    ``bin_<name>_1``, ... for histograms of several dimensions); a histogram whose shape
    differs between points (one row per site, with L on the grid) is left out.
    """
    import xarray as xr

    store = CampaignStore.read(Path(path))
    grid = grid_of(store)
    axes = list(grid)
    shape = tuple(len(grid[a]) for a in axes)
    rows = point_averages(store)
    scalars = sorted({k for r in rows for k in r["mean"]})
    data: dict = {"n_realisations": (axes, np.array([r["n"] for r in rows]).reshape(shape))}
    for name in scalars:
        mean = np.array([r["mean"].get(name, np.nan) for r in rows]).reshape(shape)
        sem = np.array([r["sem"].get(name, np.nan) for r in rows]).reshape(shape)
        data[name] = (axes, mean)
        data[f"{name}_sem"] = (axes, sem)
    hists: dict[str, list] = {}
    for p in range(store.n_points):
        for name, counts in store.load_point(p).histograms.items():
            hists.setdefault(name, [None] * store.n_points)[p] = counts
    for name, per_point in hists.items():
        first = next(c for c in per_point if c is not None)
        if any(c is not None and c.shape != first.shape for c in per_point):
            continue  # bins differ between points (e.g. one row per site at each L)
        stacked = np.array([c if c is not None else np.zeros_like(first)
                            for c in per_point]).reshape(*shape, *first.shape)
        bins = [f"bin_{name}"] if first.ndim == 1 else [f"bin_{name}_{k}"
                                                         for k in range(first.ndim)]
        data[f"hist_{name}"] = ([*axes, *bins], stacked)
    attrs = {"config": store.config_text, "config_hash": store.config_hash,
             "metadata": json.dumps(store.metadata)}
    return xr.Dataset(data, coords={a: grid[a] for a in axes}, attrs=attrs)
