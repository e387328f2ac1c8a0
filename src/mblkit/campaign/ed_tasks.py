"""Task kind of Hamiltonian models: full or interior ED, then eigenstate observables.

Models: the built-in ones (:data:`MODELS`: "xxz", "o3", "bubble", and "spin-chain", the chain
written as terms in the config, :class:`mblkit.models.SpinChain`), and any plugin class that
satisfies the Hamiltonian protocol of :mod:`mblkit.models.protocol`. For a protocol model the
sector is "half" by default exactly when ``model.conserves_sz``, the basis is
``model.basis(n_up)``, the arithmetic is float64 where ``model.is_real`` says so (else complex128,
also for the memory estimate), and the realisation is stored as the arrays ``disorder.<name>``
(:func:`mblkit.campaign.plugins.disorder_arrays`).

Solver target: ``solver.target`` is an absolute energy, or ``{ energy_density = eps }``, resolved
per realisation as E_min + eps (E_max - E_min) (:func:`mblkit.models.targets.energy_at_density`;
the record then holds the scalars ``target_energy``, ``E_min`` and ``E_max``).
``solver.store_energies = true`` keeps the solved energies as the array ``energies``.

Full ED computes what the observables measure (:func:`solve_plan`, issue 17): every eigenvalue
always (gap_ratio and ``store_energies`` read them; they cost O(N^2) once H is tridiagonal), the
eigenvectors only of the widest central window the built-in vector observables (purity,
magnetisation, entanglement) use, none when none of them is asked for; a plugin observable gets
every eigenvector. The window is solved apart only where that was measured to be faster
(:func:`mblkit.solvers.dense.subset_wins`); the results equal full ED's to rounding. Without
eigenvectors, ``max_residual`` is the eigenvalue sum-rule error
(:func:`mblkit.solvers.spectrum.moment_error`).
"""

from __future__ import annotations

import numpy as np

from mblkit.campaign.config import CampaignConfig, ConfigError, EnergyDensity, ObservableSpec
from mblkit.campaign.plugins import disorder_arrays, measure, observable_function
from mblkit.campaign.registry import Point, TaskKind, register, sites_of
from mblkit.models import BubbleChain, BubbleRealisation, O3HeisenbergChain, SpinChain, XXZChain
from mblkit.models.targets import energy_at_density, extremal_energies
from mblkit.observables import (
    central_window,
    gap_ratio,
    half_chain_entropy,
    magnetisation,
    mean_gap_ratio,
    single_site_purity,
)
from mblkit.solvers import Spectrum, dense_memory, eigh, eigh_interior, pardiso_available
from mblkit.solvers.dense import subset_wins
from mblkit.solvers.interior import PARDISO_MIN_DIM
from mblkit.spins import SpinBasis

MODELS: dict[str, type] = {"xxz": XXZChain, "o3": O3HeisenbergChain, "bubble": BubbleChain,
                           "spin-chain": SpinChain}
#: built-in models that predate the protocol's conserves_sz
U1_MODELS = (XXZChain, BubbleChain)
_LEGACY = (XXZChain, O3HeisenbergChain)


def conserves_sz(model) -> bool:
    """Whether H keeps the number of up spins: the protocol's ``conserves_sz``, or for the
    built-in models that predate it, membership of :data:`U1_MODELS`."""
    return bool(getattr(model, "conserves_sz", isinstance(model, U1_MODELS)))


def basis_of(point: Point) -> SpinBasis:
    """The space H acts on: the model's own ``basis(n_up)`` (the bubble's chain sector (x)
    bubble, the Quantum Sun's dot (x) outer spins, any protocol model), else the chain's."""
    if isinstance(point.model, _LEGACY):
        return SpinBasis(point.model.L, point.n_up)
    return point.model.basis(point.n_up)


def is_real(model) -> bool:
    """float64 arithmetic: the model's ``is_real`` where it says; the built-ins XXZ and bubble
    are real, O(3) is complex; a plugin that does not say is taken as complex."""
    if isinstance(model, O3HeisenbergChain):
        return False
    if isinstance(model, U1_MODELS):
        return True
    return bool(getattr(model, "is_real", False))


def prepare(config: CampaignConfig, model, index: int) -> Point:
    """Resolve solver.sector: "half" (default for U(1) models), "full", or an integer n_up."""
    sector = config.solver.sector
    if sector is None:
        sector = "half" if conserves_sz(model) else "full"
    if sector == "full":
        return Point(model, None)
    if not conserves_sz(model):
        raise ConfigError(f"solver.sector = {sector!r} is not allowed for model "
                          f"{config.model.name!r} (no U(1) symmetry): use 'full'")
    if sector == "half":
        return Point(model, model.L // 2)
    if not 0 <= sector <= model.L:
        raise ConfigError(f"solver.sector = {sector} is not allowed at point {index} (L = "
                          f"{model.L}): n_up must lie in 0..L")
    return Point(model, int(sector))


def check(config: CampaignConfig, point: Point, index: int) -> None:
    if isinstance(point.model, BubbleChain) and point.n_up is None:
        raise ConfigError(f"solver.sector = 'full' is not allowed for model 'bubble' (point "
                          f"{index}): it is built in one S^z sector of the chain; use 'half' "
                          f"or an integer n_up")
    dim = basis_of(point).dim
    if config.solver.method == "interior" and config.solver.k > dim - 2:
        raise ConfigError(f"solver.k = {config.solver.k} is too large at point {index} "
                          f"(dimension {dim}): at most dim - 2")
    levels = config.solver.k if config.solver.method == "interior" else dim
    solved = (f"solver.k = {levels}" if config.solver.method == "interior"
              else f"dimension {dim}")
    for spec in config.observables:
        window = central_window(levels, spec.fraction)
        states = window.stop - window.start
        need = 3 if spec.name == "gap_ratio" else 1
        if states < need:
            raise ConfigError(
                f"observables {spec.name}: fraction = {spec.fraction} at point {index} (L = "
                f"{point.model.L}, {solved}) keeps {states} level(s); {spec.name} needs at "
                f"least {need}: raise fraction, L" + (", solver.k" if levels != dim else "")
                + " or the sector's dimension")


def memory(config: CampaignConfig, point: Point) -> int:
    """Dense ED: LAPACK's peak. Interior, for the method "auto" will take:

    * PARDISO: 13 dim^1.5 doubles plus 0.3 GB of Python, SciPy and MKL; measured peaks XXZ
      0.25 GB at dim 12 870, 0.53 GB at 48 620, 4.3 GB at 184 756; bubble (n_GOE = 4) 0.29 GB
      at 13 728, 0.47 GB at 25 740, 0.99 GB at 51 480 (L = 16), 8.6 GB at 194 480 (L = 18,
      estimate 9.1 GB; the bubble closes the chain into a ring and the factor fills more);
    * SuperLU: 30 dim^1.5 complex numbers (measured 0.35 GB at 12 870, 4.2 GB at 48 620).
    """
    dim = basis_of(point).dim
    dtype = np.dtype(np.float64 if is_real(point.model) else np.complex128)
    if config.solver.method == "full":
        vectors, subset = solve_plan(config, dim)
        return dense_memory(dim, dtype, vectors, subset=subset)
    if dtype == np.float64 and dim >= PARDISO_MIN_DIM and pardiso_available():
        return int(13 * dim**1.5 * 8 + 3e8)
    return int(30 * dim**1.5 * 16)


#: the built-in observables that read eigenvectors (of their central window only)
VECTOR_OBSERVABLES = ("purity", "magnetisation", "entanglement")


def solve_plan(config: CampaignConfig, dim: int) -> tuple[bool, tuple[int, int] | None]:
    """(vectors, subset) for full ED of dimension ``dim``: which eigenvectors the observables
    read. No vectors when no observable reads any; all of them (subset None) for a plugin
    observable, for windows that cover the spectrum, or where solving the window apart is not
    faster (:func:`mblkit.solvers.dense.subset_wins`); else the levels (lo, hi) of the widest
    :func:`mblkit.observables.central_window` of the vector observables (the windows are
    nested, so it holds them all)."""
    specs = config.observables
    if any(spec.name not in OBSERVABLES for spec in specs):
        return True, None
    windows = [central_window(dim, spec.fraction) for spec in specs
               if spec.name in VECTOR_OBSERVABLES]
    if not windows:
        return False, None
    lo, hi = min(w.start for w in windows), max(w.stop for w in windows)
    if (lo, hi) == (0, dim) or not subset_wins(dim, hi - lo):
        return True, None
    return True, (lo, hi)


def _vectors(spectrum: Spectrum, levels: slice) -> np.ndarray:
    """The eigenvectors of the levels ``levels`` (global indices, whatever window was solved)."""
    if spectrum.vectors is None:
        raise ValueError("this observable needs eigenvectors, the spectrum has none")
    return spectrum.columns(levels)


def obs_gap_ratio(spec: ObservableSpec, spectrum: Spectrum, point: Point,
                  realisation: object = None) -> dict:
    """Mean gap ratio over the central fraction, and a histogram of r on [0, 1]."""
    window = spectrum.energies[central_window(len(spectrum), spec.fraction)]
    counts, _ = np.histogram(gap_ratio(window), bins=spec.bins, range=(0.0, 1.0))
    return {"scalars": {"gap_ratio": mean_gap_ratio(spectrum.energies, spec.fraction)},
            "histograms": {"gap_ratio": counts.astype(np.int64)}}


def obs_purity(spec: ObservableSpec, spectrum: Spectrum, point: Point,
               realisation: object = None) -> dict:
    """Single-site purity gamma_i = Tr rho_i^2 of the central fraction of eigenstates at the
    selected sites; in a U(1) sector 2 <S^z_i>^2 + 1/2 (``ergodic-bubble-inclusions.txt`` Eq. 5).

    Per realisation: ``purity_sites`` (mean over states, one per site) and ``purity_products``
    (mean over states of gamma_i gamma_j, sites x sites) - the moments from which the Pearson
    correlation of Eq. 7, pooled over states and realisations, is exact
    (:func:`mblkit.stats.pooled_pearson`) - and a histogram of gamma on [1/2, 1].
    """
    vectors = _vectors(spectrum, central_window(len(spectrum), spec.fraction))
    gamma = single_site_purity(vectors, basis_of(point))[:, sites_of(spec, point.model.L)]
    counts, _ = np.histogram(gamma, bins=spec.bins, range=(0.5, 1.0))
    return {"scalars": {"purity": float(gamma.mean())},
            "arrays": {"purity_sites": gamma.mean(axis=0),
                       "purity_products": gamma.T @ gamma / len(gamma)},
            "histograms": {"purity": counts.astype(np.int64)}}


def obs_magnetisation(spec: ObservableSpec, spectrum: Spectrum, point: Point,
                      realisation: object = None) -> dict:
    """Histogram of <n|S^z_i|n> (S^z = sigma^z / 2, range [-1/2, 1/2]) over the central
    fraction of eigenstates, one row per selected site: counts of shape (sites, bins)
    (``ergodic-bubble-inclusions.txt`` SM B, Fig. 7, which plots sigma^z = 2 S^z)."""
    vectors = _vectors(spectrum, central_window(len(spectrum), spec.fraction))
    sz = magnetisation(vectors, basis_of(point))[:, sites_of(spec, point.model.L)]
    counts = np.stack([np.histogram(column, bins=spec.bins, range=(-0.5, 0.5))[0]
                       for column in sz.T])
    return {"histograms": {"magnetisation": counts.astype(np.int64)}}


def obs_entanglement(spec: ObservableSpec, spectrum: Spectrum, point: Point,
                     realisation: object = None) -> dict:
    """Half-chain von Neumann entropy averaged over the central fraction of eigenstates."""
    vectors = _vectors(spectrum, central_window(len(spectrum), spec.fraction))
    entropy = half_chain_entropy(vectors, basis_of(point))
    return {"scalars": {"half_chain_entropy": float(entropy.mean())}}


OBSERVABLES = {"gap_ratio": obs_gap_ratio, "purity": obs_purity,
               "magnetisation": obs_magnetisation, "entanglement": obs_entanglement}


def levels(config: CampaignConfig, point: Point) -> int:
    """The number of energies one realisation solves: k (interior) or the dimension."""
    return config.solver.k if config.solver.method == "interior" else basis_of(point).dim


def _stored_disorder(model, disorder) -> dict[str, np.ndarray]:
    """The built-ins' arrays as before ("disorder", the bubble's fields); protocol models'
    realisations as ``disorder.<name>``."""
    if isinstance(disorder, BubbleRealisation):
        return disorder.arrays()
    if isinstance(model, _LEGACY):
        return {"disorder": np.asarray(disorder)}
    return disorder_arrays(disorder)


def run(config: CampaignConfig, point: Point, rng: np.random.Generator) -> dict:
    disorder = point.model.sample(rng)
    H = (point.model.hamiltonian(disorder, point.n_up) if point.n_up is not None
         else point.model.hamiltonian(disorder))
    scalars: dict[str, float] = {}
    if config.solver.method == "full":
        vectors, subset = solve_plan(config, H.shape[0])
        spectrum = eigh(H, vectors=vectors, subset=subset)
    else:
        target = config.solver.target
        if isinstance(target, EnergyDensity):
            e_min, e_max = extremal_energies(H)
            target = energy_at_density(H, target.energy_density, bounds=(e_min, e_max))
            scalars.update({"target_energy": target, "E_min": e_min, "E_max": e_max})
        spectrum = eigh_interior(H, k=config.solver.k, target=target)
    record: dict = {"scalars": scalars, "arrays": _stored_disorder(point.model, disorder),
                    "histograms": {}}
    if config.solver.store_energies:
        record["arrays"]["energies"] = np.asarray(spectrum.energies, dtype=np.float64)
    for spec in config.observables:
        fn = observable_function(spec, OBSERVABLES, config.model.name)
        measure(record, spec, fn, spectrum, point, disorder, spec.name not in OBSERVABLES)
    record["scalars"]["max_residual"] = spectrum.max_residual
    return record


#: The [[observables]] options each observable uses.
OPTIONS = {"gap_ratio": frozenset({"fraction", "bins"}),
           "purity": frozenset({"fraction", "sites", "bins"}),
           "magnetisation": frozenset({"fraction", "sites", "bins"}),
           "entanglement": frozenset({"fraction"})}

KIND = register(TaskKind("hamiltonian", MODELS, OBSERVABLES, True, prepare, check, memory, run,
                         options=OPTIONS, protocol="hamiltonian", plugin_observables=True,
                         levels=levels))
