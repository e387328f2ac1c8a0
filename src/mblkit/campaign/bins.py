"""The bins of every histogram a campaign stores, described from the config and the point.

A worker fills each histogram on bins that the config (and the observable's defaults) fix; this
module says which, in one plain description per histogram, which the runner writes into the
store (``/about/histogram_bins``, docs/store-format.md) so that an analysis reads the bins the
worker used instead of rebuilding them from today's defaults. A description is a JSON object::

    {"kind": "linear" | "log" | "edges", "lo": float, "hi": float, "bins": int,
     "edges": [bins + 1 floats], "flow": bool, "rows": null | {"name": str, "values": [...]},
     ...observable options}

``flow``: the counts carry an underflow first and an overflow last (``bins + 2`` entries,
:class:`mblkit.histograms.LogBins`); ``rows``: a leading axis of the counts (e.g. one row per
measured site). ``edges`` are those the worker's ``np.histogram`` / ``LogBins`` used
(``np.linspace(lo, hi, bins + 1)`` or ``np.logspace``), so centres and densities follow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mblkit.campaign.config import CampaignConfig
from mblkit.campaign.tasks import Point, kind_of, sites_of


def linear(lo: float, hi: float, bins: int, **extra: Any) -> dict[str, Any]:
    """``np.histogram(values, bins=bins, range=(lo, hi))``: no under/overflow."""
    edges = np.linspace(lo, hi, bins + 1)
    return {"kind": "linear", "lo": float(lo), "hi": float(hi), "bins": int(bins),
            "edges": edges.tolist(), "flow": False, "rows": None, **extra}


def log(bins: Any, **extra: Any) -> dict[str, Any]:
    """A :class:`~mblkit.histograms.LogBins`: log-spaced edges, underflow and overflow."""
    return {"kind": "log", "lo": float(bins.lo), "hi": float(bins.hi), "bins": int(bins.bins),
            "edges": np.asarray(bins.edges).tolist(), "flow": True, "rows": None, **extra}


def explicit(edges: Any, **extra: Any) -> dict[str, Any]:
    """Fixed edges given as an array (``np.histogram(values, bins=edges)``)."""
    e = np.asarray(edges, dtype=float)
    return {"kind": "edges", "lo": float(e[0]), "hi": float(e[-1]), "bins": int(e.size - 1),
            "edges": e.tolist(), "flow": False, "rows": None, **extra}


def _hamiltonian(config: CampaignConfig, point: Point) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for spec in config.observables:
        opts = {"observable": spec.name, "fraction": spec.fraction}
        if spec.name == "gap_ratio":
            out["gap_ratio"] = linear(0.0, 1.0, spec.bins, **opts)
        elif spec.name == "purity":
            out["purity"] = linear(0.5, 1.0, spec.bins, sites=sites_of(spec, point.model.L),
                                   **opts)
        elif spec.name == "magnetisation":
            sites = sites_of(spec, point.model.L)
            out["magnetisation"] = {**linear(-0.5, 0.5, spec.bins, sites=sites, **opts),
                                    "rows": {"name": "site", "values": sites}}
    return out


def _floquet(config: CampaignConfig, point: Point) -> dict[str, dict]:
    from mblkit.campaign.floquet_tasks import resonance_bins

    out: dict[str, dict] = {}
    for spec in config.observables:
        if spec.name == "gap_ratio":
            out["gap_ratio"] = linear(0.0, 1.0, spec.bins, observable="gap_ratio")
        elif spec.name == "resonances":
            rb = resonance_bins(spec)
            opts = {"observable": "resonances", "sites": sites_of(spec, point.model.L)}
            for name in ("omega", "z", "depolarisation", "x", "chi", "kappa"):
                out[f"res_{name}"] = log(getattr(rb, name), **opts)
            w = [float(x) for x in rb.windows]
            for k in range(len(w) - 1):
                out[f"res_omega_window{k}"] = log(rb.omega, window=[w[k], w[k + 1]], **opts)
    return out


def _probe(config: CampaignConfig, point: Point) -> dict[str, dict]:
    from mblkit.campaign.probe_tasks import log_bins

    out: dict[str, dict] = {}
    for spec in config.observables:
        if spec.name == "matrix_elements":
            out["v"] = log(log_bins(spec)["v"], observable=spec.name, fraction=spec.fraction)
        elif spec.name == "spectral":  # an array per realisation on |omega| bins
            out["s_weights"] = log(log_bins(spec)["omega"], observable=spec.name,
                                   stored_as="array")
    return out


def _scheme(config: CampaignConfig, point: Point) -> dict[str, dict]:
    from mblkit.phenomenology.avalanche_scheme import SPOT_SIZE_EDGES

    return {"spot_size": explicit(SPOT_SIZE_EDGES, observable="spot_size")}


def _dynamics(config: CampaignConfig, point: Point) -> dict[str, dict]:
    from mblkit.campaign.dynamics_tasks import measured_sites, omega_bins

    out: dict[str, dict] = {}
    for spec in config.observables:
        if spec.name == "spectral_function":  # an array per realisation on |omega| bins
            sites = measured_sites(spec, point)
            out["s_weights"] = {**log(omega_bins(spec), observable=spec.name,
                                      stored_as="array", sites=sites),
                                "rows": {"name": "site", "values": sites}}
    return out


_KINDS = {"hamiltonian": _hamiltonian, "floquet": _floquet, "probe": _probe,
          "avalanche-scheme": _scheme, "dynamics": _dynamics}


def histogram_bins(config: CampaignConfig, point: Point) -> dict[str, dict]:
    """The bins of every histogram one realisation of ``point`` records (module docstring).
    A task kind without a description here gives {} (its histograms are stored without bins)."""
    describe = _KINDS.get(kind_of(config).name)
    return describe(config, point) if describe else {}


def counts_shape(description: dict) -> tuple[int, ...]:
    """The shape of the counts on these bins (rows, then bins plus any under/overflow)."""
    n = int(description["bins"]) + (2 if description["flow"] else 0)
    rows = description.get("rows")
    return (len(rows["values"]), n) if rows else (n,)


def stored(store: Any, name: str) -> dict | None:
    """The bins of histogram (or binned array) ``name`` as the store recorded them, shared by
    every point; None for a store written before format 3 (which records none). Points on
    different bins are a ValueError (no single set of bins describes them)."""
    descriptions = [b[name] for b in store.histogram_bins if name in b]
    if not descriptions:
        return None
    first = descriptions[0]
    if any(d["edges"] != first["edges"] or d["flow"] != first["flow"] for d in descriptions):
        raise ValueError(f"{store.path}: histogram {name!r} has different bins at different "
                         "points; read it point by point (CampaignStore.histogram_bins)")
    return first


def stored_log_bins(store: Any, name: str, fallback: Callable[[], Any] | None = None) -> Any:
    """The :class:`~mblkit.histograms.LogBins` of ``name`` the worker used, from the store;
    ``fallback()`` (bins rebuilt from the config) is called only for stores before format 3."""
    from mblkit.histograms import LogBins

    d = stored(store, name)
    if d is None:
        return fallback() if fallback is not None else None
    if d["kind"] != "log":
        raise ValueError(f"{store.path}: histogram {name!r} has {d['kind']} bins, not log bins")
    bins = LogBins(d["lo"], d["hi"], d["bins"])
    if not np.array_equal(bins.edges, np.asarray(d["edges"])):
        raise ValueError(f"{store.path}: the stored edges of {name!r} are not LogBins("
                         f"{d['lo']}, {d['hi']}, {d['bins']})'s")
    return bins


def stored_resonance_bins(store: Any, fallback: Callable[[], Any]) -> Any:
    """The :class:`~mblkit.observables.resonances.ResonanceBins` of a Floquet store's
    "resonances" observable, from the store (``fallback()`` for stores before format 3)."""
    from mblkit.observables.resonances import ResonanceBins

    names = ("omega", "z", "depolarisation", "x", "chi", "kappa")
    if stored(store, "res_omega") is None:
        return fallback()
    windows: list[float] = []
    k = 0
    while (d := stored(store, f"res_omega_window{k}")) is not None:
        windows = windows[:-1] + list(d["window"]) if windows else list(d["window"])
        k += 1
    return ResonanceBins(**{n: stored_log_bins(store, f"res_{n}") for n in names},
                         windows=tuple(windows))
