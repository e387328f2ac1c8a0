"""Task kind of the probe-spin set-ups (``resonance-model-crossover.txt`` Secs. II A 3, III A 3,
IV A, V J): full ED of the chain with its probe, then [C_zz(t)], [C_zz] and [S(omega)] of the
probe spin (observable "spectral"), and the matrix elements of the probe coupling V between two
mid-spectrum windows of the chain alone, for varrho(v) (Eq. 97) and rho vbar (Eqs. 129-130)
(observable "matrix_elements").

Models: "probe-floquet" (:class:`mblkit.models.probe.ProbeFloquetChain`, Eqs. 14-19) and
"probe-static" (:class:`mblkit.models.probe.ProbeStaticChain`, Eq. 68). One realisation is the
chain's field vectors v (stored as the array "disorder"); both observables use the same v.

Observable "spectral" (:func:`mblkit.observables.spectral.autocorrelation` of sigma^z_P on the
2^(L+1)-dimensional spectrum). ``log_bins``: "omega" = [lo, hi, bins] of |omega| (default
:data:`~mblkit.observables.spectral.DEFAULT_OMEGA_BINS`), "time" = [t_lo, t_hi, intervals], the
log grid of t (its edges; default :data:`~mblkit.observables.spectral.DEFAULT_TIMES`; Floquet:
rounded to whole periods). Record, per realisation:

* arrays "czz_times" (the grid), "czz" (C_zz(t)), "s_weights" (float, the slot weights of
  S(omega): underflow, bins, overflow). They are float, so they are kept per realisation and
  the disorder average [.] is the mean over realisations (the store's histograms are integer
  counts only);
* scalars "czz_inf" ([C_zz], the delta weight of S at omega = 0), "czz_0" (C_zz(0), = 1),
  "sum_rule_error" (|C_zz_inf + sum(s_weights) - 1|), "row_norm_error", "max_residual".

Observable "matrix_elements" (:func:`mblkit.observables.spectral.window_matrix_elements` of
V = |V| sigma^x_0 on the chain's spectrum; reference window at the centre, partner windows at
+h and -h, where the probe's resonant partners lie, Eqs. 30, 74). ``fraction``: the share of
the 2^L chain levels a window holds on average (at most :data:`MAX_WINDOW_FRACTION`; the
windows must be small, and hold at least :data:`MIN_WINDOW_STATES` states on average);
``log_bins`` "v" = [lo, hi, bins] of |V_ba| (default :data:`DEFAULT_V_BINS`). Record:

* histogram "v": int64 counts of |V_ba| (merge by addition);
* scalars "v_sum" (sum of |V_ba|), "reference_width" (|A| delta times the number of partner
  windows), "reference_states", "pairs", "window_width" (delta), "max_residual_chain".

The disorder averages are pooled over reference states: [rho vbar] = sum v_sum /
sum reference_width, varrho(v) = merged counts / (sum reference_width * bin width)
(:func:`mblkit.figures.resonance_model_ed.measured_varrho`).
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from mblkit.campaign.config import CampaignConfig, ConfigError, ObservableSpec
from mblkit.campaign.plugins import measure
from mblkit.campaign.registry import Point, TaskKind, register
from mblkit.models.probe import ProbeFloquetChain, ProbeStaticChain
from mblkit.observables.spectral import (
    DEFAULT_OMEGA_BINS,
    DEFAULT_TIMES,
    autocorrelation,
    time_grid,
    window_matrix_elements,
)
from mblkit.solvers import dense_memory, eigh
from mblkit.solvers.unitary import eigu, unitary_memory
from mblkit.stats import LogBins

MODELS: dict[str, type] = {"probe-floquet": ProbeFloquetChain, "probe-static": ProbeStaticChain}

#: Default bins of |V_ba|: ten per decade from 1e-14 to 1e2 (|V_ba| <= |V|).
DEFAULT_V_BINS = LogBins(1e-14, 1e2, 160)
#: The largest window fraction accepted ("small" windows, Eq. 97).
MAX_WINDOW_FRACTION = 0.2
#: The smallest expected number of states in a window, fraction * 2^L.
MIN_WINDOW_STATES = 3
_LOG_BINS = {"spectral": {"omega": DEFAULT_OMEGA_BINS, "time": DEFAULT_TIMES},
             "matrix_elements": {"v": DEFAULT_V_BINS}}


def prepare(config: CampaignConfig, model, index: int) -> Point:
    if config.solver.sector not in (None, "full"):
        raise ConfigError(f"solver.sector = {config.solver.sector!r} is not allowed for model "
                          f"{config.model.name!r} (no conservation law): use 'full' or leave "
                          f"it out")
    if config.solver.method != "full":
        raise ConfigError(f"solver.method = {config.solver.method!r} is not allowed for model "
                          f"{config.model.name!r}: the probe observables need every eigenpair "
                          f"('full')")
    return Point(model)


def log_bins(spec: ObservableSpec) -> dict[str, LogBins]:
    """The bins of an observable: its defaults overridden by ``log_bins``; unknown names and
    empty ranges are ConfigErrors."""
    defaults = _LOG_BINS[spec.name]
    unknown = set(spec.log_bins) - set(defaults)
    if unknown:
        raise ConfigError(f"observables {spec.name}: log_bins {sorted(unknown)} are not "
                          f"allowed: use any of {sorted(defaults)}")
    try:
        given = {name: LogBins(float(lo), float(hi), int(n))
                 for name, (lo, hi, n) in spec.log_bins.items()}
    except ValueError as err:
        raise ConfigError(f"observables {spec.name}: {err}") from err
    return {**defaults, **given}


def check(config: CampaignConfig, point: Point, index: int) -> None:
    names = [spec.name for spec in config.observables]
    for spec in config.observables:
        if names.count(spec.name) > 1:
            raise ConfigError(f"observables.name = {spec.name!r} appears {names.count(spec.name)}"
                              f" times: give each probe observable once")
        if spec.sites != "all":
            raise ConfigError(f"observables {spec.name}: sites = {spec.sites!r} is not allowed: "
                              f"the probe observables measure the probe spin and its coupling "
                              f"at site 0; leave sites out")
        if spec.windows is not None:
            raise ConfigError(f"observables {spec.name}: windows = {spec.windows!r} is not "
                              f"allowed for the probe observables; leave it out")
        log_bins(spec)
        if spec.name == "matrix_elements":
            expected = spec.fraction * (1 << point.model.L)
            if spec.fraction > MAX_WINDOW_FRACTION:
                raise ConfigError(f"observables matrix_elements: fraction = {spec.fraction} is "
                                  f"not allowed: the windows of Eq. 97 must be small, set "
                                  f"fraction <= {MAX_WINDOW_FRACTION}")
            if expected < MIN_WINDOW_STATES:
                raise ConfigError(f"observables matrix_elements: fraction = {spec.fraction} at "
                                  f"point {index} (L = {point.model.L}) gives {expected:.1f} "
                                  f"states per window: need at least {MIN_WINDOW_STATES}, raise "
                                  f"fraction or L")


def memory(config: CampaignConfig, point: Point) -> int:
    """Peak bytes: the eigensolver of the 2^(L+1) set-up plus sigma^z_P V (spectral), or of the
    2^L chain (matrix_elements alone)."""
    model = point.model
    names = {spec.name for spec in config.observables}
    dim = model.dim if "spectral" in names else model.dim // 2
    extra = dim * dim * 16 if "spectral" in names else 0
    if isinstance(model, ProbeFloquetChain):
        return unitary_memory(dim) + extra
    return dense_memory(dim, np.dtype(np.complex128)) + extra


class _Solved:
    """The spectra one realisation needs, each computed once when first asked for.

    ``energies`` are the eigenvalues (static) or the quasienergies e = -theta / T (Floquet,
    Eq. 6), in the order of the vectors; ``period`` is T or None."""

    def __init__(self, model, v: np.ndarray) -> None:
        self.model, self.v = model, v
        self.period = model.period if isinstance(model, ProbeFloquetChain) else None

    def _solve(self, operator_of):
        if self.period is None:
            spectrum = eigh(operator_of().hamiltonian(self.v))
            return spectrum.energies, spectrum.vectors, spectrum.max_residual
        spectrum = eigu(operator_of().unitary(self.v))
        return -spectrum.quasienergies / self.period, spectrum.vectors, spectrum.max_residual

    @cached_property
    def probe(self):
        return self._solve(lambda: self.model)

    @cached_property
    def chain(self):
        return self._solve(lambda: self.model.chain)


def obs_spectral(spec: ObservableSpec, solved: _Solved, point: Point,
                 realisation: object = None) -> dict:
    """[C_zz(t)], [C_zz] and the S(omega) weights of sigma^z_P (module docstring)."""
    bins = log_bins(spec)
    energies, vectors, residual = solved.probe
    applied = solved.model.apply_sigma_z(vectors.copy())
    result = autocorrelation(energies, vectors, applied,
                             time_grid(bins["time"], solved.period), period=solved.period,
                             bins=bins["omega"])
    del applied
    return {"arrays": {"czz_times": result.times, "czz": result.correlator,
                       "s_weights": result.weights},
            "scalars": {"czz_inf": result.infinite_time, "czz_0": result.total_weight,
                        "sum_rule_error": abs(result.sum_rule - 1.0),
                        "row_norm_error": result.row_norm_error, "max_residual": residual}}


def obs_matrix_elements(spec: ObservableSpec, solved: _Solved, point: Point,
                        realisation: object = None) -> dict:
    """|V_ba| between the chain's mid-spectrum windows (module docstring)."""
    bins = log_bins(spec)
    energies, vectors, residual = solved.chain
    h = solved.model.probe_field
    result = window_matrix_elements(energies, vectors, solved.model.apply_coupling,
                                    fraction=spec.fraction, shifts=(h, -h),
                                    period=solved.period)
    return {"histograms": {"v": bins["v"].count(result.v)},
            "scalars": {"v_sum": float(result.v.sum()),
                        "reference_width": result.reference_width,
                        "reference_states": float(result.reference_states),
                        "pairs": float(result.pairs), "window_width": result.window_width,
                        "max_residual_chain": residual}}


#: Observables take the signature shared by every kind, (spec, spectrum, point, realisation);
#: here the "spectrum" is the lazily solved pair of spectra, :class:`_Solved` (``.probe``,
#: ``.chain``), so plugin observables are not offered for this kind.
OBSERVABLES = {"spectral": obs_spectral, "matrix_elements": obs_matrix_elements}


def run(config: CampaignConfig, point: Point, rng: np.random.Generator) -> dict:
    v = point.model.sample(rng)
    solved = _Solved(point.model, v)
    record: dict = {"scalars": {}, "arrays": {"disorder": np.asarray(v)}, "histograms": {}}
    for spec in config.observables:
        measure(record, spec, OBSERVABLES[spec.name], solved, point, v, plugin=False)
    return record


#: The [[observables]] options each observable uses.
OPTIONS = {"spectral": frozenset({"log_bins"}),
           "matrix_elements": frozenset({"fraction", "log_bins"})}

KIND = register(TaskKind("probe", MODELS, OBSERVABLES, True, prepare, check, memory, run,
                         options=OPTIONS))
