"""Task kind ``dynamics``: matrix-free time evolution of Hamiltonian models, chosen by
``solver.method = "dynamics"`` (the model's own kind is "hamiltonian" or "probe").

No spectrum is computed: each realisation builds H (CSR, or the matrix-free
:class:`mblkit.dynamics.TermOperator` with ``operator = "matrix-free"``), finds its spectral
bounds once (Lanczos) and propagates with :func:`mblkit.dynamics.propagate`. The ``[dynamics]``
table (all keys optional)::

    [solver]
    method = "dynamics"
    sector = "half"              # as for ED: "half", "full" or n_up

    [dynamics]
    times = { t_max = 1000.0 }   # t = 0, then 0.1 .. t_max, 10 per decade; or a list [0, 1, 10]
    propagator = "chebyshev"     # or "krylov" (Lanczos exponentiation, the second method)
    tolerance = 1e-10            # error target of every output, in [1e-15, 1e-2]
    operator = "csr"             # or "matrix-free" (memory O(dim); 3-4x slower per product)
    initial_state = "neel"       # or "random-product" (a random basis state of the sector)
    random_vectors = 8           # typicality samples of "autocorrelation", "spectral_function"
    moments = 128                # Chebyshev moments of "spectral_function" (KPM)

Observables (time in units of 1 / (the model's energy unit), hbar = 1):

* "imbalance", "entanglement", "return_probability", "magnetisation" (``sites``): one quench
  from the initial state, measured at every time (:func:`mblkit.dynamics.quench`): arrays
  "imbalance" I(t) = sum_j s_j <sigma^z_j(t)> / L with s_j = +-1 the initial pattern,
  "entropy" (half-chain von Neumann entropy, sites 0 .. L/2 - 1, natural log), "return_probability"
  |<psi_0|psi(t)>|^2, "magnetisation" <sigma^z_j(t)> (times x sites); "initial_configuration"
  (the bit string, bit j = site j up). Neel is up on the even sites, so it lies in the sector
  n_up = ceil(L/2) (the half sector for even L) or the full space; "random-product" draws the
  configuration from the realisation's generator after the disorder.
* "autocorrelation" (``sites``): C_j(t) = D^-1 Tr[sigma^z_j(t) sigma^z_j] by typicality
  (:func:`mblkit.dynamics.typical_autocorrelation`, ``random_vectors`` random states of the
  sector or the full space; statistical error ~ D^-1/2, estimated from the samples): arrays
  "czz" and "czz_error" (sites x times).
* "spectral_function" (``sites``; ``log_bins`` "omega" = [lo, hi, bins] of |omega|, default
  :data:`~mblkit.observables.spectral.DEFAULT_OMEGA_BINS`): S_j(omega), the Fourier transform of
  C_j(t), from ``moments`` Chebyshev moments with the Jackson kernel
  (:func:`mblkit.dynamics.kpm_spectral_function`), binned as the probe kind bins the full-ED
  S(omega): array "s_weights" (sites x (underflow, bins, overflow)), the weight of S in each
  |omega| slot (both signs of omega); scalars "kpm_resolution" (pi a / N) and
  "kpm_sum_rule_error" |sum S d omega - C_j(0)| (C_j(0) = 1).

Floquet circuits ("brickwork", and plugin Floquet classes with ``apply(realisation, states)``
applying one period to a block of vectors in place): stroboscopic evolution U^n psi, gate by gate
(:func:`mblkit.dynamics.floquet_propagate`; no 4^L matrix, memory O(2^L)), in the full space;
``times`` are then numbers of periods (a list of integers, or the log grid rounded to distinct
integers), ``propagator`` and ``operator`` do not apply, the observables are the quench ones and
"autocorrelation" (C_j(n) = 2^-L Tr[U^-n sigma^z_j U^n sigma^z_j] by typicality);
"spectral_function" is not available (no Hamiltonian to expand in). "max_energy_error" is 0
(no conserved energy); "max_norm_error" checks unitarity.

For the probe-spin model ("probe-static", ``resonance-model-crossover.txt`` Eq. 68)
"autocorrelation" and "spectral_function" measure the probe spin sigma^z_P (site L of the L + 1
spins; ``sites`` is then not allowed), the quantity of that paper's Secs. IV-V.

Every record also holds the arrays "times", the scalars "E_min", "E_max" (the Chebyshev
interval), "max_error_bound" (Chebyshev: the rigorous truncation bound; Krylov: its estimate),
"max_norm_error", "max_energy_error" (drift of <H> over the quench) and "matvecs" (products
of H with a vector in the quench), and the
disorder as the ED kind stores it. A drift above :func:`mblkit.dynamics.conservation_limit`
fails the realisation (the propagator raises), so a stored series has passed its checks.
"""

from __future__ import annotations

import itertools

import numpy as np

from mblkit.campaign.config import CampaignConfig, ConfigError, DynamicsSpec, ObservableSpec
from mblkit.campaign.ed_tasks import MODELS as ED_MODELS
from mblkit.campaign.ed_tasks import _stored_disorder
from mblkit.campaign.ed_tasks import prepare as ed_prepare
from mblkit.campaign.plugins import disorder_arrays
from mblkit.campaign.registry import Point, TaskKind, register, sites_of
from mblkit.dynamics import (
    TypicalAutocorrelation,
    correlation_moments,
    floquet_propagate,
    floquet_quench,
    kpm_spectral_function,
    log_times,
    neel_configuration,
    quench,
    random_configuration,
    random_state,
    spectral_bounds,
    term_operator,
    typical_autocorrelation,
)
from mblkit.dynamics.operator import prepared
from mblkit.models import BrickworkCircuit, BubbleChain, O3HeisenbergChain, SpinChain, XXZChain
from mblkit.models.probe import ProbeStaticChain
from mblkit.models.protocol import PluginError, check_model_class
from mblkit.observables.spectral import DEFAULT_OMEGA_BINS
from mblkit.spins import SpinBasis, apply
from mblkit.stats import LogBins

QUENCH = ("imbalance", "entanglement", "return_probability", "magnetisation")
TYPICAL = ("autocorrelation", "spectral_function")
#: The models term_operator renders matrix-free (others: operator = "csr" only).
MATRIX_FREE = (XXZChain, SpinChain, O3HeisenbergChain, ProbeStaticChain, BubbleChain)
#: Chebyshev outputs per recurrence (:func:`mblkit.dynamics.propagate`'s batch).
BATCH = 8


def accepts(cls: type) -> bool:
    """The built-in Hamiltonian models, the static probe chain, Hamiltonian plugins, and
    Floquet models that apply one period to vectors (``apply``)."""
    if issubclass(cls, (*ED_MODELS.values(), ProbeStaticChain, BrickworkCircuit)):
        return True
    try:
        kind = check_model_class(cls).kind
    except PluginError:
        return False
    return kind == "hamiltonian" or callable(getattr(cls, "apply", None))


def is_probe(point: Point) -> bool:
    return isinstance(point.model, ProbeStaticChain)


def is_floquet(model) -> bool:
    """A Floquet model (applied period by period), not a Hamiltonian."""
    return isinstance(model, BrickworkCircuit) or (
        callable(getattr(model, "apply", None)) and not callable(getattr(model, "hamiltonian",
                                                                          None)))


def basis_of(point: Point) -> SpinBasis:
    """The space of the evolution: the probe chain's L + 1 spins, a Floquet model's full
    space, else as for ED."""
    model = point.model
    if isinstance(model, ProbeStaticChain):
        return model.basis()
    if is_floquet(model):
        return SpinBasis(model.L)
    if isinstance(model, XXZChain | O3HeisenbergChain):
        return SpinBasis(model.L, point.n_up)
    return model.basis(point.n_up)


def times_of(spec: DynamicsSpec, floquet: bool = False) -> np.ndarray:
    """The output times of the config: the explicit list, or the log grid with t = 0 first;
    for a Floquet model the log grid rounded to distinct integers (numbers of periods)."""
    if isinstance(spec.times, list):
        return np.asarray(spec.times, dtype=np.float64)
    t = log_times(spec.times.t_max, spec.times.t_min, spec.times.per_decade)
    return np.unique(np.rint(t)) if floquet else t


def periods_of(spec: DynamicsSpec) -> np.ndarray:
    return times_of(spec, floquet=True).astype(np.int64)


def omega_bins(spec: ObservableSpec) -> LogBins:
    if "omega" in spec.log_bins:
        lo, hi, n = spec.log_bins["omega"]
        return LogBins(lo, hi, n)
    return DEFAULT_OMEGA_BINS


def prepare(config: CampaignConfig, model, index: int) -> Point:
    if isinstance(model, ProbeStaticChain) or is_floquet(model):
        if config.solver.sector not in (None, "full"):
            raise ConfigError(f"solver.sector = {config.solver.sector!r} is not allowed for "
                              f"model {config.model.name!r} (no conservation law): use 'full' "
                              f"or leave it out")
        return Point(model, None)
    return ed_prepare(config, model, index)


def measured_sites(spec: ObservableSpec, point: Point) -> list[int]:
    """The sites an observable measures; the probe spin (site L) for the probe chain."""
    if is_probe(point) and spec.name in TYPICAL:
        return [point.model.L]
    return sites_of(spec, point.model.L)


def check(config: CampaignConfig, point: Point, index: int) -> None:
    dyn = config.evolution
    model = point.model
    if is_floquet(model):
        _check_floquet(config, index)
    if isinstance(model, BubbleChain) and point.n_up is None:
        raise ConfigError(f"solver.sector = 'full' is not allowed for model 'bubble' (point "
                          f"{index}): it is built in one S^z sector of the chain; use 'half' "
                          f"or an integer n_up")
    if dyn.operator == "matrix-free" and not isinstance(model, MATRIX_FREE):
        raise ConfigError(f"dynamics.operator = 'matrix-free' is not allowed for model "
                          f"{config.model.name!r}: its term list is not known to "
                          f"mblkit.dynamics.term_operator; use 'csr' (its hamiltonian matrix)")
    names = {spec.name for spec in config.observables}
    basis = basis_of(point)
    if names & set(QUENCH) and dyn.initial_state == "neel" and basis.in_sector:
        ups = (basis.L + 1) // 2
        if basis.n_up != ups:
            raise ConfigError(f"dynamics.initial_state = 'neel' is not allowed at point "
                              f"{index} (L = {basis.L}, solver.sector n_up = {basis.n_up}): the "
                              f"Neel state has {ups} up spins; use solver.sector = 'half' "
                              f"(even L), {ups}, 'full', or initial_state = 'random-product'")
    for spec in config.observables:
        unknown = sorted(set(spec.log_bins) - {"omega"})
        if unknown:
            raise ConfigError(f"observables {spec.name}: log_bins {unknown} are not allowed: "
                              f"'omega' = [lo, hi, bins] of |omega| is the only one")
        if spec.log_bins:
            try:
                omega_bins(spec)
            except ValueError as err:
                raise ConfigError(f"observables {spec.name}: log_bins.omega = "
                                  f"{list(spec.log_bins['omega'])}: {err}") from err
        if is_probe(point) and spec.name in TYPICAL and "sites" in spec.model_fields_set:
            raise ConfigError(f"observables {spec.name}: sites is not allowed for model "
                              f"{config.model.name!r}: it measures the probe spin (site "
                              f"{model.L})")
    times = times_of(dyn)
    if times.size > 100_000:
        raise ConfigError(f"dynamics.times has {times.size} times: at most 100000")


def _check_floquet(config: CampaignConfig, index: int) -> None:
    dyn = config.evolution
    name = config.model.name
    given = dyn.model_fields_set if config.dynamics is not None else set()
    for key in sorted({"propagator", "operator", "moments"} & given):
        raise ConfigError(f"dynamics.{key} does not apply to the Floquet model {name!r}: it is "
                          f"evolved period by period (leave {key} out)")
    if isinstance(dyn.times, list):
        bad = [t for t in dyn.times if t != int(t)]
        if bad:
            raise ConfigError(f"dynamics.times = {dyn.times}: {bad} are not whole numbers of "
                              f"periods, which the Floquet model {name!r} needs")
    if any(s.name == "spectral_function" for s in config.observables):
        raise ConfigError(f"observables spectral_function is not allowed for the Floquet model "
                          f"{name!r}: there is no Hamiltonian to expand in Chebyshev moments")


def evolutions(config: CampaignConfig, point: Point) -> float:
    """Evolutions of one realisation, in units of one vector to the last time: the quench and
    two vectors per random state per site of "autocorrelation" (the KPM moments, whose cost
    does not grow with t_max, are left out)."""
    dyn = config.evolution
    total = 0.0
    for spec in config.observables:
        sites = len(measured_sites(spec, point))
        if spec.name == "autocorrelation":
            total += 2.0 * dyn.random_vectors * sites
    names = {spec.name for spec in config.observables}
    return total + (1.0 if names & set(QUENCH) else 0.0)


def _columns(config: CampaignConfig) -> int:
    """Complex vectors of the basis dimension alive at the peak of one realisation."""
    dyn = config.evolution
    names = {spec.name for spec in config.observables}
    per_column = BATCH + 4 if dyn.propagator == "chebyshev" else 40 + 4
    need = 6                                  # Lanczos bounds, state, result, scratch
    if names & set(QUENCH):
        need += per_column + 2
    if "autocorrelation" in names:
        need += 2 * per_column + 2
    if "spectral_function" in names:
        need += 3 * dyn.moments + 2           # KPM, one random vector at a time
    return need


def memory(config: CampaignConfig, point: Point) -> int:
    """Peak bytes: the vectors (:func:`_columns`), the basis (states and the lookup, 3 int64
    per state) and H: CSR with at most 2 L + 1 stored entries per row and its COO assembly
    (about 2 x 16 bytes per entry), or the matrix-free operator (its monomial tables); a
    Floquet model's gates take nothing of the dimension's size."""
    basis = basis_of(point)
    dim = basis.dim
    L = basis.L
    operator = (0 if is_floquet(point.model)
                else 2 * (2 * L + 1) * 16 * dim if config.evolution.operator == "csr"
                else 64 * L * L + 16 * dim)
    return int(16 * dim * _columns(config) + 24 * basis.chain_dim + operator)


def _operator(config: CampaignConfig, point: Point, disorder):
    if config.evolution.operator == "matrix-free":
        return term_operator(point.model, disorder, point.n_up)
    if is_probe(point) or point.n_up is None:
        return prepared(point.model.hamiltonian(disorder))
    return prepared(point.model.hamiltonian(disorder, point.n_up))


def _quench(config, point, basis, H, bounds, disorder, rng, record, names) -> None:
    dyn = config.evolution
    configuration = (neel_configuration(basis.L) if dyn.initial_state == "neel"
                     else random_configuration(basis, rng))
    if is_floquet(point.model):
        result = floquet_quench(H, basis, configuration, periods_of(dyn), tol=dyn.tolerance)
    else:
        result = quench(H, basis, configuration, times_of(dyn), method=dyn.propagator,
                        tol=dyn.tolerance, bounds=bounds, batch=BATCH)
    arrays = record["arrays"]
    arrays["initial_configuration"] = np.array([configuration], dtype=np.int64)
    if "imbalance" in names:
        arrays["imbalance"] = result.imbalance
    if "entanglement" in names:
        arrays["entropy"] = result.entropy
    if "return_probability" in names:
        arrays["return_probability"] = result.return_probability
    spec = next((s for s in config.observables if s.name == "magnetisation"), None)
    if spec is not None:
        arrays["magnetisation"] = result.magnetisation[:, measured_sites(spec, point)]
    _worst(record, float(result.error_bound.max()), float(result.norm_error.max()),
           float(result.energy_error.max()), result.matvecs)


def _worst(record: dict, bound: float, norm: float, energy: float, matvecs: int) -> None:
    s = record["scalars"]
    s["max_error_bound"] = max(s.get("max_error_bound", 0.0), bound)
    s["max_norm_error"] = max(s.get("max_norm_error", 0.0), norm)
    s["max_energy_error"] = max(s.get("max_energy_error", 0.0), energy)
    s["matvecs"] = s.get("matvecs", 0.0) + float(matvecs)


def _autocorrelation(config, spec, point, basis, H, bounds, rng, record) -> None:
    dyn = config.evolution
    czz, err = [], []
    imaginary = 0.0
    for site in measured_sites(spec, point):
        if is_floquet(point.model):
            c = floquet_autocorrelation(H, basis, site, periods_of(dyn), dyn.random_vectors,
                                        rng, dyn.tolerance)
        else:
            c = typical_autocorrelation(H, basis, "z", [site], times_of(dyn),
                                        samples=dyn.random_vectors, rng=rng,
                                        method=dyn.propagator, tol=dyn.tolerance, bounds=bounds)
        czz.append(c.correlator)
        err.append(c.error)
        imaginary = max(imaginary, c.imaginary)
        _worst(record, c.max_error_bound, c.max_norm_error, 0.0, 0)
    record["arrays"]["czz"] = np.stack(czz)
    record["arrays"]["czz_error"] = np.stack(err)
    record["scalars"]["czz_imaginary"] = imaginary


def _spectral(config, spec, point, basis, H, bounds, rng, record) -> None:
    dyn = config.evolution
    bins = omega_bins(spec)
    edges = bins.edges
    rows, worst_sum, resolution = [], 0.0, 0.0
    for site in measured_sites(spec, point):
        mu = correlation_moments(H, basis, "z", [site], dyn.moments, samples=dyn.random_vectors,
                                 rng=rng, bounds=bounds, chunk=1)
        s = kpm_spectral_function(mu)
        weights = [s.window_weight(0.0, edges[0])]
        weights += [s.window_weight(lo, hi) for lo, hi in itertools.pairwise(edges)]
        weights.append(s.window_weight(edges[-1], np.inf))
        rows.append(weights)
        worst_sum = max(worst_sum, abs(s.sum_rule - 1.0))
        resolution = s.resolution
    record["arrays"]["s_weights"] = np.asarray(rows, dtype=np.float64)
    record["scalars"]["kpm_resolution"] = resolution
    record["scalars"]["kpm_sum_rule_error"] = worst_sum


def floquet_autocorrelation(period, basis: SpinBasis, site: int, periods: np.ndarray,
                            samples: int, rng: np.random.Generator, tol: float
                            ) -> TypicalAutocorrelation:
    """C_j(n) = D^-1 Tr[U^-n sigma^z_j U^n sigma^z_j] from ``samples`` random states r:
    <r(n)| sigma^z_j |(sigma^z_j r)(n)>, both evolved by ``period`` (one block of two)."""
    values = np.empty((samples, periods.size), dtype=np.complex128)
    worst = 0.0
    for k in range(samples):
        psi = random_state(basis.dim, rng)
        block = np.stack([psi, apply("z", [site], psi, basis)], axis=1)
        for i, snap in enumerate(floquet_propagate(period, block, periods, tol=tol)):
            values[k, i] = np.vdot(snap.state[:, 0], apply("z", [site], snap.state[:, 1],
                                                             basis))
            worst = max(worst, snap.norm_error)
    real = values.real
    return TypicalAutocorrelation(
        times=periods.astype(np.float64), correlator=real.mean(axis=0),
        error=real.std(axis=0, ddof=1) / np.sqrt(samples), samples=real,
        imaginary=float(np.max(np.abs(values.imag.mean(axis=0)))), max_error_bound=0.0,
        max_norm_error=worst)


def _floquet_disorder(model, realisation) -> dict[str, np.ndarray]:
    if isinstance(model, BrickworkCircuit):
        return {"u": realisation.u, "v": realisation.v, "fields": model.fields(realisation)}
    return disorder_arrays(realisation)


def run(config: CampaignConfig, point: Point, rng: np.random.Generator) -> dict:
    disorder = point.model.sample(rng)
    basis = basis_of(point)
    record: dict = {"scalars": {}, "arrays": {}, "histograms": {}}
    if is_floquet(point.model):
        model = point.model

        def H(states: np.ndarray) -> np.ndarray:
            return model.apply(disorder, states)

        bounds = None
        record["arrays"].update(_floquet_disorder(model, disorder))
        record["arrays"]["times"] = times_of(config.evolution, floquet=True)
    else:
        H = _operator(config, point, disorder)
        bounds = spectral_bounds(H, rng=np.random.default_rng(0))
        record["scalars"].update({"E_min": bounds[0], "E_max": bounds[1]})
        record["arrays"].update(_stored_disorder(point.model, disorder))
        record["arrays"]["times"] = times_of(config.evolution)
    names = {spec.name for spec in config.observables}
    if names & set(QUENCH):
        _quench(config, point, basis, H, bounds, disorder, rng, record, names)
    for spec in config.observables:
        if spec.name == "autocorrelation":
            _autocorrelation(config, spec, point, basis, H, bounds, rng, record)
        elif spec.name == "spectral_function":
            _spectral(config, spec, point, basis, H, bounds, rng, record)
    return record


OBSERVABLES = {name: run for name in (*QUENCH, *TYPICAL)}
#: The [[observables]] options each observable uses.
OPTIONS = {"imbalance": frozenset(), "entanglement": frozenset(),
           "return_probability": frozenset(), "magnetisation": frozenset({"sites"}),
           "autocorrelation": frozenset({"sites"}),
           "spectral_function": frozenset({"sites", "log_bins"})}

KIND = register(TaskKind("dynamics", {}, OBSERVABLES, True, prepare, check, memory, run,
                         options=OPTIONS, method="dynamics", accepts=accepts))

__all__ = ["KIND", "accepts", "basis_of", "evolutions", "times_of"]
