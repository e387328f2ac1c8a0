"""Task kind of Floquet models: the dense unitary, its verified eigendecomposition, then the
quasienergy gap ratio and the resonance statistics of local field operators
(``resonant-energy-scales-floquet.txt``, :mod:`mblkit.observables.resonances`).

Plugin classes that satisfy the Floquet protocol of :mod:`mblkit.models.protocol` run here too;
their realisations are stored as the arrays ``disorder.<name>``, and plugin observables
(``"package.module:function"``) take the same four arguments as the built-in ones."""

from __future__ import annotations

import numpy as np

from mblkit.campaign.config import CampaignConfig, ConfigError, ObservableSpec
from mblkit.campaign.plugins import disorder_arrays, measure, observable_function
from mblkit.campaign.registry import Point, TaskKind, register, sites_of
from mblkit.models import BrickworkCircuit, O3FloquetChain
from mblkit.observables.levels import quasienergy_gap_ratio
from mblkit.observables.resonances import DEFAULT_BINS, OMEGA_WINDOWS, ResonanceBins
from mblkit.observables.resonances import resonance_statistics as _resonances
from mblkit.solvers.unitary import FloquetSpectrum, eigu, unitary_memory
from mblkit.stats import LogBins

MODELS: dict[str, type] = {"brickwork": BrickworkCircuit, "o3-floquet": O3FloquetChain}


def prepare(config: CampaignConfig, model, index: int) -> Point:
    if config.solver.sector not in (None, "full"):
        raise ConfigError(f"solver.sector = {config.solver.sector!r} is not allowed for model "
                          f"{config.model.name!r} (no conservation law): use 'full' or leave "
                          f"it out")
    if config.solver.method != "full":
        raise ConfigError(f"solver.method = {config.solver.method!r} is not allowed for model "
                          f"{config.model.name!r}: Floquet operators are diagonalised in full "
                          f"('full')")
    return Point(model)


def resonance_bins(spec: ObservableSpec) -> ResonanceBins:
    """The bins of a "resonances" observable: defaults overridden by ``log_bins`` and
    ``windows``; unknown histogram names and empty ranges are ConfigErrors."""
    unknown = set(spec.log_bins) - set(DEFAULT_BINS)
    if unknown:
        raise ConfigError(f"observables resonances: log_bins {sorted(unknown)} are not "
                          f"allowed: use any of {sorted(DEFAULT_BINS)}")
    try:
        bins = {name: LogBins(float(lo), float(hi), int(n))
                for name, (lo, hi, n) in spec.log_bins.items()}
        windows = tuple(spec.windows) if spec.windows is not None else OMEGA_WINDOWS
        return ResonanceBins(**bins, windows=windows)
    except ValueError as err:
        raise ConfigError(f"observables resonances: {err}") from err


def check(config: CampaignConfig, point: Point, index: int) -> None:
    for spec in config.observables:
        if spec.name == "gap_ratio" and point.model.dim < 3:
            raise ConfigError(f"observables gap_ratio at point {index} (L = {point.model.L}): "
                              f"{point.model.dim} quasienergies, the gap ratio needs at least "
                              "3; raise L")
        if spec.name == "resonances":
            if not hasattr(point.model, "apply_field_operator"):
                raise ConfigError(f"observables.name = 'resonances' is not allowed for model "
                                  f"{config.model.name!r}: it has no local field operator "
                                  f"sigma_j (use 'brickwork')")
            resonance_bins(spec)


def memory(config: CampaignConfig, point: Point) -> int:
    """The eigensolver's peak (the resonance pass needs less: V, sigma V and the real Z)."""
    return unitary_memory(point.model.dim)


def obs_gap_ratio(spec: ObservableSpec, spectrum: FloquetSpectrum, point: Point,
                  realisation) -> dict:
    """Mean quasienergy gap ratio over the whole circle, and a histogram of r on [0, 1]."""
    r = quasienergy_gap_ratio(spectrum.quasienergies)
    counts, _ = np.histogram(r, bins=spec.bins, range=(0.0, 1.0))
    return {"scalars": {"gap_ratio": float(r.mean())},
            "histograms": {"gap_ratio": counts.astype(np.int64)}}


def obs_resonances(spec: ObservableSpec, spectrum: FloquetSpectrum, point: Point,
                   realisation) -> dict:
    """Resonance statistics of sigma_j for every site j of the spec: histograms summed over
    the sites (they merge by addition), scalars averaged over them. The 2-D p(Omega | omega)
    histogram is stored as one 1-D histogram per |omega| window, ``omega_window<k>``. The
    counts of the :data:`FITTED` histograms are also kept per realisation, as arrays
    ``res_<name>_counts``, for bootstrap errors of tail fits."""
    bins = resonance_bins(spec)
    if spectrum.vectors is None:
        raise ValueError("the resonance statistics need eigenvectors, the spectrum has none")
    hist: dict[str, np.ndarray] = {}
    scalars: dict[str, list[float]] = {}
    for j in sites_of(spec, point.model.L):
        sigma_v = point.model.apply_field_operator(realisation, j, spectrum.vectors.copy())
        out = _resonances(spectrum.quasienergies, spectrum.vectors, sigma_v, bins,
                          three_level=spec.three_level)
        del sigma_v
        for name, counts in out["histograms"].items():
            hist[name] = hist.get(name, 0) + counts
        for name, value in out["scalars"].items():
            scalars.setdefault(name, []).append(value)
    windowed = hist.pop("omega_window")
    for k in range(windowed.shape[1]):
        hist[f"omega_window{k}"] = np.ascontiguousarray(windowed[:, k])
    return {"histograms": {f"res_{k}": v for k, v in hist.items()},
            "arrays": {f"res_{k}_counts": hist[k] for k in FITTED},
            "scalars": {k: float(np.max(v)) if k == "sum_rule_error" else float(np.mean(v))
                        for k, v in scalars.items()}}


#: Histograms also kept per realisation (as arrays), for tail fits with bootstrap errors.
FITTED = ("omega", "z", "depolarisation", "chi")

OBSERVABLES = {"gap_ratio": obs_gap_ratio, "resonances": obs_resonances}


def run(config: CampaignConfig, point: Point, rng: np.random.Generator) -> dict:
    model = point.model
    realisation = model.sample(rng)
    U = model.unitary(realisation)
    spectrum = eigu(U)
    del U
    if isinstance(model, BrickworkCircuit):
        disorder = {"u": realisation.u, "v": realisation.v, "fields": model.fields(realisation)}
    elif isinstance(model, O3FloquetChain):
        disorder = {"disorder": np.asarray(realisation)}
    else:
        disorder = disorder_arrays(realisation)
    record: dict = {"scalars": {"max_residual": spectrum.max_residual}, "arrays": disorder,
                    "histograms": {}}
    for spec in config.observables:
        fn = observable_function(spec, OBSERVABLES, config.model.name)
        measure(record, spec, fn, spectrum, point, realisation, spec.name not in OBSERVABLES)
    return record


#: The [[observables]] options each observable uses.
OPTIONS = {"gap_ratio": frozenset({"bins"}),
           "resonances": frozenset({"sites", "log_bins", "windows", "three_level"})}

KIND = register(TaskKind("floquet", MODELS, OBSERVABLES, True, prepare, check, memory, run,
                         options=OPTIONS, protocol="floquet", plugin_observables=True))
