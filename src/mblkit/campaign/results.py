"""Reading a finished (or running) campaign: point averages and tidy xarray Datasets.

:func:`open_results` (``mblkit.open``) gives the disorder averages, one coordinate per grid
parameter; ``per_realisation=True`` gives every realisation's numbers along a ``realisation``
dimension, from which typical values and medians are one line
(:mod:`mblkit.stats.summaries`). Averages are over realisations, with the standard error of
the mean (ddof = 1). Histograms carry the bins the worker used, read from the store (format
3, docs/store-format.md), never rebuilt from today's defaults.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from mblkit.campaign.store import CampaignStore
from mblkit.campaign.variables import describe

#: Arrays whose leading axis (after the realisation) is one entry per measured site.
SITE_ARRAYS = {"purity_sites": ("purity_site",),
               "purity_products": ("purity_site", "purity_site_j")}


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
            row["sem"][name] = _sem(np.asarray(values, dtype=float))
        rows.append(row)
    return rows


def _sem(values: np.ndarray, axis: int = 0) -> Any:
    n = values.shape[axis]
    if n < 2:
        return np.full(values.shape[:axis] + values.shape[axis + 1:], np.nan)[()]
    return np.std(values, axis=axis, ddof=1) / np.sqrt(n)


def _pad(arrays: list[np.ndarray | None], fill: Any) -> np.ndarray | None:
    """Stack per-point arrays, padding each axis to the largest size with ``fill``."""
    present = [a for a in arrays if a is not None]
    if not present:
        return None
    ndim = max(a.ndim for a in present)
    if any(a.ndim != ndim for a in present):
        return None
    shape = tuple(max(a.shape[k] for a in present) for k in range(ndim))
    dtype = np.result_type(*present, np.asarray(fill))
    out = np.full((len(arrays), *shape), fill, dtype=dtype)
    for p, a in enumerate(arrays):
        if a is not None:
            index: tuple[int | slice, ...] = (p, *[slice(0, s) for s in a.shape])
            out[index] = a
    return out


def _observable_options(config: Any) -> dict[str, dict[str, Any]]:
    out = {}
    for spec in config.observables:
        opts = spec.model_dump(mode="json")
        out[spec.name] = {k: (json.dumps(v) if isinstance(v, dict) else v)
                          for k, v in opts.items() if v is not None}
    return out


def _attrs(name: str, options: dict[str, dict[str, Any]], **extra: Any) -> dict[str, Any]:
    var = describe(name)
    attrs: dict[str, Any] = {"long_name": var.long_name, "units": var.units}
    if var.observable and var.observable in options:
        attrs.update({k: v for k, v in options[var.observable].items() if k != "name"})
        attrs["observable"] = var.observable
    if var.diagnostic:
        attrs["diagnostic"] = 1
    attrs.update(extra)
    return attrs


def _array_dims(name: str, ndim: int) -> list[str]:
    named = list(SITE_ARRAYS.get(name, ()))[:ndim]
    return named + [f"{name}_{k}" for k in range(len(named), ndim)]


class _Loaded:
    """Everything the Datasets are made of, read once."""

    def __init__(self, path: Path) -> None:
        from mblkit.campaign.config import parse_config

        self.store = CampaignStore.read(path)
        self.config = parse_config(self.store.config_text)
        self.grid = self.config.model.grid
        self.axes = list(self.grid)
        self.shape = tuple(len(self.grid[a]) for a in self.axes)
        self.points = [self.store.load_point(p) for p in range(self.store.n_points)]
        self.bins = self.store.histogram_bins
        self.options = _observable_options(self.config)

    def coords(self) -> dict[str, Any]:
        return {a: (a, np.asarray(self.grid[a]), _attrs(a, {})) for a in self.axes}

    def names(self, category: str) -> list[str]:
        return sorted({n for res in self.points for n in getattr(res, category)})

    def attrs(self) -> dict[str, Any]:
        fixed = {k: v for k, v in self.config.model.params.items()}
        return {"name": self.config.name, "model": self.config.model.name,
                "model_params": json.dumps(fixed, sort_keys=True),
                "realisations_per_point": self.config.realisations,
                "config": self.store.config_text, "config_hash": self.store.config_hash,
                "resolved_config": json.dumps(self.store.resolved_config),
                "provenance": json.dumps(self.store.provenance),
                "metadata": json.dumps(self.store.metadata),
                "format_version": self.store.format_version,
                "store": str(self.store.path)}


def open_results(path: str | Path, per_realisation: bool = False):
    """The campaign at ``path`` as a tidy xarray Dataset (``mblkit.open``).

    Coordinates: every grid parameter (in the config's order). Data variables, each with
    attributes ``long_name``, ``units`` and the options of the observable that produced it
    (``fraction``, ``sites``, ``bins``, ...):

    * ``n_realisations``; ``<scalar>`` (mean over realisations) and ``<scalar>_sem``;
    * ``<array>`` and ``<array>_sem``: per-realisation arrays averaged, e.g. ``purity_sites``
      with a ``site`` dimension (position in the measured sites: the site index for
      ``sites = "all"``; points with fewer sites are padded with NaN);
    * ``hist_<name>``: the merged int64 counts, dims ``(*grid, [<rows>], <name>_bin)``, with
      coordinates ``<name>_lower``, ``<name>_upper`` and ``<name>_centre`` (geometric for log
      bins) on ``<name>_bin``: the bins the worker used, read from the store. Log bins keep
      their underflow (lower 0) and overflow (upper inf) entries. :func:`density` normalises.
      Stores before format 3 carry no bins: the counts come with an index ``<name>_bin`` only.

    ``per_realisation=True``: the scalars and arrays of every realisation, with a
    ``realisation`` dimension (the realisation index; NaN where a point lacks it), so that
    ``ds.gap_ratio.mean("realisation")`` is the stored mean and
    :func:`mblkit.stats.summaries.typical_value` works along it.
    """
    loaded = _Loaded(Path(path))
    build = _per_realisation if per_realisation else _averages
    import xarray as xr

    data, coords = build(loaded)
    ds = xr.Dataset(data, coords={**loaded.coords(), **coords}, attrs=loaded.attrs())
    for dim in [d for d in ds.dims if str(d).endswith(("_site", "_site_j"))]:
        base = str(dim).removesuffix("_j").removesuffix("_site")
        sites = {json.dumps(b.get(base, {}).get("sites")) for b in loaded.bins}
        n = ds.sizes[dim]
        values = json.loads(sites.pop()) if len(sites) == 1 else None
        if isinstance(values, list) and len(values) == n:
            ds = ds.assign_coords({dim: (dim, np.asarray(values), {
                "long_name": f"site of {base}", "units": ""})})
        else:  # sites differ between points (e.g. "all" with L on the grid)
            ds = ds.assign_coords({dim: (dim, np.arange(n), {
                "long_name": f"position in the sites of {base} (the site for sites = 'all')",
                "units": ""})})
    return ds


def open_realisations(path: str | Path):
    """``open_results(path, per_realisation=True)``."""
    return open_results(path, per_realisation=True)


def _averages(ld: _Loaded) -> tuple[dict, dict]:
    axes, shape = ld.axes, ld.shape
    data: dict = {"n_realisations": (axes, np.array([len(r.realisations) for r in ld.points]
                                                    ).reshape(shape),
                                     {"long_name": "number of realisations", "units": ""})}
    for name in ld.names("scalars"):
        per: list[np.ndarray] = [np.asarray(r.scalars[name], float) if name in r.scalars
                                 else np.empty(0) for r in ld.points]
        mean = np.array([v.mean() if v.size else np.nan for v in per]).reshape(shape)
        sem = np.array([_sem(v) for v in per], dtype=float).reshape(shape)
        data[name] = (axes, mean, _attrs(name, ld.options))
        data[f"{name}_sem"] = (axes, sem, _attrs(name, ld.options, quantity="standard error"))
    for name in ld.names("arrays"):
        arrays: list[np.ndarray | None] = [np.asarray(r.arrays[name]) if name in r.arrays
                                           and len(r.realisations) else None
                                           for r in ld.points]
        if any(a is not None and not np.issubdtype(a.dtype, np.number) for a in arrays):
            continue
        means = _pad([a.mean(axis=0) if a is not None else None for a in arrays], np.nan)
        sems = _pad([_sem(a if np.iscomplexobj(a) else a.astype(float)) if a is not None
                     else None for a in arrays], np.nan)
        if means is None or sems is None:
            continue
        dims = [*axes, *_array_dims(name, means.ndim - 1)]
        data[name] = (dims, means.reshape(*shape, *means.shape[1:]), _attrs(name, ld.options))
        data[f"{name}_sem"] = (dims, sems.reshape(*shape, *sems.shape[1:]),
                               _attrs(name, ld.options, quantity="standard error"))
    coords: dict = {}
    for name in ld.names("histograms"):
        _histogram(ld, name, data, coords)
    return data, coords


def _histogram(ld: _Loaded, name: str, data: dict, coords: dict) -> None:
    per = [r.histograms.get(name) for r in ld.points]
    first = next(c for c in per if c is not None)
    descriptions: list[Any] = [b.get(name) for b in ld.bins] if ld.bins else []
    bin_dim = f"{name}_bin"
    extra: dict[str, Any] = {}
    described = [d for d in descriptions if d is not None]
    if descriptions and len(described) == len(descriptions):
        descriptions = described
        d0: dict[str, Any] = described[0]
        if any(d["edges"] != d0["edges"] or d["flow"] != d0["flow"] for d in descriptions):
            return  # bins differ between points: no shared coordinate (read per point)
        edges = np.asarray(d0["edges"], dtype=np.float64)
        lower, upper = edges[:-1], edges[1:]
        centre = np.sqrt(lower * upper) if d0["kind"] == "log" else (lower + upper) / 2
        if d0["flow"]:
            lower = np.concatenate(([0.0], lower, [edges[-1]]))
            upper = np.concatenate(([edges[0]], upper, [np.inf]))
            centre = np.concatenate(([np.nan], centre, [np.nan]))
        var = describe(name)
        for key, values in (("lower", lower), ("upper", upper), ("centre", centre)):
            coords[f"{name}_{key}"] = (bin_dim, values, {
                "long_name": f"{key} {'edge' if key != 'centre' else ''} of the bin of "
                             f"{var.long_name}".replace("  ", " "), "units": var.units})
        rows = d0.get("rows")
        extra = {k: v for k, v in d0.items() if k not in ("edges", "rows", "observable")}
        extra["flow"] = int(bool(d0["flow"]))
        if isinstance(extra.get("sites"), list) and len({json.dumps(d.get("sites"))
                                                         for d in descriptions}) > 1:
            extra.pop("sites")  # per point (e.g. "all" with L on the grid)
        row_dims = [f"{name}_{rows['name']}"] if rows else []
    else:
        row_dims = [f"{name}_row"] if first.ndim == 2 else []
        extra = {"bins": "not recorded (store format < 3)"}
    stacked = _pad(per, 0)
    if stacked is None or stacked.ndim - 1 != len(row_dims) + 1:
        return
    dims = [*ld.axes, *row_dims, bin_dim]
    data[f"hist_{name}"] = (dims, stacked.reshape(*ld.shape, *stacked.shape[1:]),
                            _attrs(name, ld.options, quantity="counts", **extra))


def _per_realisation(ld: _Loaded) -> tuple[dict, dict]:
    axes, shape = ld.axes, ld.shape
    index = sorted({int(i) for r in ld.points for i in r.realisations})
    where = {i: k for k, i in enumerate(index)}
    data: dict = {}
    for category in ("scalars", "arrays"):
        for name in ld.names(category):
            per = [np.asarray(getattr(r, category)[name]) if name in getattr(r, category)
                   else None for r in ld.points]
            present = [a for a in per if a is not None and a.size]
            if not present or not all(np.issubdtype(a.dtype, np.number) for a in present):
                continue
            tail = _pad([a[0] for a in present], np.nan)
            if tail is None:
                continue
            fill = np.nan if not np.iscomplexobj(tail) else complex(np.nan, np.nan)
            out = np.full((len(per), len(index), *tail.shape[1:]), fill,
                          dtype=np.result_type(tail, float))
            for p, (a, res) in enumerate(zip(per, ld.points, strict=True)):
                for row, i in zip(a if a is not None else (), res.realisations, strict=False):
                    at: tuple[int | slice, ...] = (p, where[int(i)],
                                                   *[slice(0, s) for s in np.shape(row)])
                    out[at] = row
            dims = [*axes, "realisation", *_array_dims(name, out.ndim - 2)]
            data[name] = (dims, out.reshape(*shape, *out.shape[1:]), _attrs(name, ld.options))
    coords = {"realisation": ("realisation", np.asarray(index, dtype=np.int64),
                              {"long_name": "realisation index", "units": ""})}
    return data, coords


def density(ds, name: str):
    """The normalised density of histogram ``name`` (``hist_<name>`` of :func:`open_results`):
    counts / (total counts x bin width), so that the in-range integral plus the fraction in
    the underflow and overflow entries (log bins) is 1; the flow entries are NaN."""
    counts = ds[f"hist_{name}"]
    width = ds[f"{name}_upper"] - ds[f"{name}_lower"]
    finite = np.isfinite(ds[f"{name}_centre"])
    total = counts.sum(f"{name}_bin")
    out = (counts / (total * width)).where(finite)
    out.attrs = {"long_name": f"probability density of {describe(name).long_name}",
                 "units": f"1/{describe(name).units}" if describe(name).units else ""}
    return out


def over_realisations(per, name: str, statistic: Any):
    """``statistic`` (e.g. :func:`mblkit.stats.summaries.typical_value` or ``median_value``)
    of variable ``name`` of the per-realisation view ``per`` at every grid point, as a Dataset
    with ``value`` and ``error`` on the grid coordinates: typical values and medians of the
    whole campaign in one line. Realisations a point lacks (NaN rows) are left out."""
    import xarray as xr

    da = per[name]
    grid = list(da.dims[:da.dims.index("realisation")])  # (*grid, realisation, ...)
    stacked = da.stack(_point=grid) if grid else da.expand_dims(_point=[0])
    values, errors = [], []
    for k in range(stacked.sizes["_point"]):
        samples = np.moveaxis(stacked.isel(_point=k).values,
                              stacked.isel(_point=k).dims.index("realisation"), 0)
        keep = ~np.all(np.isnan(samples.reshape(len(samples), -1)), axis=1)
        est = statistic(samples[keep])
        values.append(est.value)
        errors.append(est.error)
    attrs = {**da.attrs, "statistic": getattr(statistic, "__name__", str(statistic))}
    out = xr.Dataset({"value": ("_point", np.asarray(values), attrs),
                      "error": ("_point", np.asarray(errors), attrs)},
                     coords={"_point": stacked["_point"]} if grid else {"_point": [0]})
    return out.unstack("_point") if grid else out.isel(_point=0, drop=True)
