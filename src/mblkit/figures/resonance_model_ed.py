"""Exact numerics against the resonance model (``resonance-model-crossover.txt`` Secs. II A 3,
III A 3, IV A, V J): the probe spin's [C_zz(t)] and [S(omega)] from full ED, overlaid with the
generalised resonance model (Eqs. 100-102) fed with the *measured* varrho(v) (Eq. 97), and
[rho vbar] (Eqs. 129-131) against L.

The stores come from the campaign task kind :mod:`mblkit.campaign.probe_tasks` (models
"probe-floquet" / "probe-static", observables "spectral" and "matrix_elements"), e.g. the
example configs::

    mblkit run examples/probe-spectral.toml      # Floquet probe, L = 6 .. 9, W = 1, 12
    mblkit run examples/rho-vbar.toml            # static chain, L = 4 .. 10, W = 1, 16

and then, in Python::

    from mblkit.figures.resonance_model_ed import (load_probe, figure_correlator,
                                                   figure_spectral_overlay, figure_rho_vbar)
    data = load_probe("out/probe-spectral.h5")
    figure_correlator(data).savefig("czz_t.pdf")          # [C_zz(t)] and [C_zz]
    figure_spectral_overlay(data).savefig("s_omega.pdf")  # ED [S(omega)] vs generalised RM
    figure_rho_vbar(load_probe("out/rho-vbar.h5")).savefig("rho_vbar.pdf")

or ``draw_all(store, folder)`` for every figure the store supports.

Averages: [.] is the mean over realisations (the per-realisation float arrays of the store);
[rho vbar] and varrho(v) are pooled over every reference state of every realisation
(sum v_sum / sum reference_width), with bootstrap errors over realisations.

The model curve is bin-averaged exactly: over an |omega| bin [w1, w2) the generalised RM puts
the weight int (S(omega) + S(-omega)) d omega = F(w2) - F(w1) (Eqs. 100-102, p = dF/dv), which
is compared with the measured slot weight of the same bin; both are shown as S = weight /
(2 * width). The RM's [C_zz] = F(0) is printed beside the measured [C_zz].

Optional overlay (``figure_spectral_overlay(data, hamiltonian=True)``): the Hamiltonian RM
(Eqs. 77 and 80, generalised as in
:mod:`mblkit.phenomenology.resonance_generalised_hamiltonian`, reference energy averaged with
the probe field h, which is what the store's pooled windows at +-h measure) at the zeta whose
varrho has the first moment of the point's measured varrho (:func:`fit_hamiltonian_zeta`):
it keeps the measured resonance count at that L and adds the model's shape of S(omega) and its
L dependence (:func:`hamiltonian_model` at any L; used for the typicality sizes in
:mod:`mblkit.figures.probe_typicality`). :func:`model_correlator` turns slot weights into the
model's C(t).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from mblkit.campaign.config import parse_config
from mblkit.campaign.probe_tasks import MODELS, log_bins
from mblkit.campaign.store import CampaignStore
from mblkit.observables.spectral import spectral_density
from mblkit.phenomenology import resonance_generalised_hamiltonian as rgh
from mblkit.phenomenology.resonance_generalised import (
    BinnedMatrixElementDensity,
    MatrixElementDensity,
    density_from_histogram,
    no_resonance_fraction,
)
from mblkit.stats import LogBins


@dataclass(frozen=True)
class ProbePoint:
    """One parameter point: per-realisation arrays (rows = realisations) of what was stored;
    ``label`` names its grid values other than L, e.g. "W = 12.0".

    ``czz`` (n, len(times)), ``czz_inf`` (n,), ``s_weights`` (n, omega bins size) for the
    "spectral" observable; ``v_counts`` (merged int64 counts), ``v_sum`` (n,) and
    ``reference_width`` (n,) for "matrix_elements"; None where the observable was not run.
    """

    params: dict[str, Any]
    n: int
    label: str = ""
    times: np.ndarray | None = None
    czz: np.ndarray | None = None
    czz_inf: np.ndarray | None = None
    s_weights: np.ndarray | None = None
    v_counts: np.ndarray | None = None
    v_sum: np.ndarray | None = None
    reference_width: np.ndarray | None = None

    @property
    def L(self) -> int:
        return int(self.params["L"])

    def spectral(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(times, czz, czz_inf, s_weights) of the "spectral" observable; ValueError if absent."""
        if (self.times is None or self.czz is None or self.czz_inf is None
                or self.s_weights is None):
            raise ValueError(f"point {self.params!r} has no 'spectral' arrays: run the store "
                             f"with [[observables]] name = 'spectral'")
        return self.times, self.czz, self.czz_inf, self.s_weights

    def matrix_elements(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(v_counts, v_sum, reference_width) of "matrix_elements"; ValueError if absent."""
        if self.v_counts is None or self.v_sum is None or self.reference_width is None:
            raise ValueError(f"point {self.params!r} has no 'matrix_elements' arrays: run the "
                             f"store with [[observables]] name = 'matrix_elements'")
        return self.v_counts, self.v_sum, self.reference_width


@dataclass(frozen=True)
class ProbeData:
    model: str
    omega_bins: LogBins | None
    v_bins: LogBins | None
    points: list[ProbePoint] = field(default_factory=list)

    def groups(self) -> dict[str, list[ProbePoint]]:
        """Points with realisations grouped by their non-L parameters, ascending in L."""
        out: dict[str, list[ProbePoint]] = {}
        for p in sorted((p for p in self.points if p.n), key=lambda p: (p.label, p.L)):
            out.setdefault(p.label, []).append(p)
        return out


def load_probe(path: str | Path) -> ProbeData:
    """Read a store of the probe task kind (model "probe-floquet" or "probe-static")."""
    store = CampaignStore.read(Path(path))
    config = parse_config(store.config_text)
    if config.model.name not in MODELS:
        raise ValueError(f"{path} holds model {config.model.name!r}, not a probe model "
                         f"{sorted(MODELS)}")
    specs = {s.name: s for s in config.observables}
    from mblkit.campaign.bins import stored_log_bins  # the worker's bins, not today's

    omega_bins = (stored_log_bins(store, "s_weights",
                                  lambda: log_bins(specs["spectral"])["omega"])
                  if "spectral" in specs else None)
    v_bins = (stored_log_bins(store, "v", lambda: log_bins(specs["matrix_elements"])["v"])
              if "matrix_elements" in specs else None)
    axes = [k for k in config.model.grid if k != "L"]
    points = []
    for p in range(store.n_points):
        res = store.load_point(p)
        n = res.n_realisations
        kw: dict[str, Any] = {"label": ", ".join(f"{k} = {res.params[k]}" for k in axes)}
        if n and omega_bins is not None:
            kw.update(times=res.arrays["czz_times"][0], czz=res.arrays["czz"],
                      czz_inf=res.scalars["czz_inf"], s_weights=res.arrays["s_weights"])
        if n and v_bins is not None:
            kw.update(v_counts=res.histograms["v"], v_sum=res.scalars["v_sum"],
                      reference_width=res.scalars["reference_width"])
        points.append(ProbePoint(dict(res.params), n, **kw))
    return ProbeData(config.model.name, omega_bins, v_bins, points)


def measured_varrho(counts: np.ndarray, bins: LogBins, reference_width: float
                    ) -> BinnedMatrixElementDensity:
    """varrho(v) of Eq. 97 from merged |V_ba| counts over ``bins`` (underflow, bins,
    overflow) and the summed normaliser ``reference_width`` = sum over realisations of
    |A| delta (times the number of partner windows): varrho = counts / (reference_width *
    bin width). Under- and overflow count as sampled pairs without density, as in
    :func:`~mblkit.phenomenology.resonance_generalised.density_from_histogram`."""
    counts = np.asarray(counts)
    if counts.shape != (bins.size,):
        raise ValueError(f"counts has shape {counts.shape}, the bins need ({bins.size},)")
    if not reference_width > 0:
        raise ValueError(f"reference_width={reference_width!r} is not allowed: it must be > 0 "
                         f"(no reference state was sampled)")
    total = float(counts.sum())
    return density_from_histogram(bins.edges, counts[1:-1],
                                  density_of_states=total / reference_width, total_count=total)


def pooled_rho_vbar(v_sum: np.ndarray, reference_width: np.ndarray, n_boot: int = 200,
                    seed: int = 0) -> tuple[float, float]:
    """[rho vbar] = sum v_sum / sum reference_width over realisations (Eq. 130 averaged over
    every reference state), and its bootstrap standard error over realisations (NaN for one).
    Realisations whose reference window was empty (width 0) add nothing to either sum;
    bootstrap resamples made of such realisations only are left out."""
    v_sum = np.asarray(v_sum, dtype=float)
    width = np.asarray(reference_width, dtype=float)
    if v_sum.shape != width.shape or v_sum.ndim != 1 or v_sum.size == 0:
        raise ValueError(f"v_sum {v_sum.shape} and reference_width {width.shape} must be "
                         f"equal-length, non-empty 1-D arrays")
    if not width.sum() > 0:
        raise ValueError("reference_width sums to zero: no reference state was sampled")
    mean = float(v_sum.sum() / width.sum())
    if v_sum.size < 2:
        return mean, float("nan")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, v_sum.size, (n_boot, v_sum.size))
    widths = width[idx].sum(axis=1)
    boot = v_sum[idx].sum(axis=1)[widths > 0] / widths[widths > 0]
    return mean, float(np.std(boot, ddof=1)) if boot.size > 1 else float("nan")


def model_weights(varrho: MatrixElementDensity, bins: LogBins) -> tuple[float, np.ndarray]:
    """The generalised RM on the |omega| bins: (F(0) = [C_zz], slot weights F(w2) - F(w1) of
    every bin, shape (bins.size,) with under/overflow: F(lo) - F(0) and 1 - F(hi)).
    ``varrho``: measured (binned) or a model density (e.g. of
    :mod:`~mblkit.phenomenology.resonance_generalised_hamiltonian`)."""
    edges = bins.edges
    F = no_resonance_fraction(np.concatenate(([0.0], edges)), varrho)
    weights = np.concatenate(([F[1] - F[0]], np.diff(F[1:]), [1.0 - F[-1]]))
    return float(F[0]), weights


#: The readings of the Hamiltonian generalised RM offered by :func:`hamiltonian_model`.
HAMILTONIAN_ENERGIES = ("averaged", "typical")
#: v range of the zeta fit of :func:`fit_hamiltonian_zeta`: every resolved |V_ba| up to |V|.
DEFAULT_FIT_RANGE = (1e-12, 1e2)


def hamiltonian_density(zeta: float, *, W: float, J: float, h: float, L: float,
                        energy: str = "averaged", form: str = "derived") -> MatrixElementDensity:
    """varrho(v) of the Hamiltonian RM (Eqs. 77, 80; Sec. IV A generalised in
    :mod:`~mblkit.phenomenology.resonance_generalised_hamiltonian`): ``energy="averaged"`` is
    the reference energy averaged with the probe field ``h`` (what pooling every reference
    state of a window measures, as the store does), ``"typical"`` the reference at the centre
    (Eq. 89)."""
    if energy not in HAMILTONIAN_ENERGIES:
        raise ValueError(f"energy={energy!r} is not allowed: choose one of "
                         f"{HAMILTONIAN_ENERGIES}")
    if energy == "averaged":
        return rgh.model_density_averaged(zeta=zeta, J=J, W=W, L=L, h=h, form=form)
    return rgh.model_density(zeta=zeta, J=J, W=W, L=L, form=form)


def hamiltonian_model(zeta: float, *, W: float, J: float, h: float, L: float, bins: LogBins,
                      energy: str = "averaged", form: str = "derived"
                      ) -> tuple[float, np.ndarray]:
    """The Hamiltonian generalised RM on the |omega| bins, as :func:`model_weights`: Eqs.
    100-102 fed with :func:`hamiltonian_density` (F(0) = [C_zz] of Eq. 92 at L)."""
    return model_weights(hamiltonian_density(zeta, W=W, J=J, h=h, L=L, energy=energy,
                                             form=form), bins)


def fit_hamiltonian_zeta(varrho: BinnedMatrixElementDensity, *, W: float, J: float, h: float,
                         L: float, v_range: tuple[float, float] = DEFAULT_FIT_RANGE,
                         energy: str = "averaged", form: str = "derived") -> float:
    """zeta of the Hamiltonian RM whose varrho (:func:`hamiltonian_density`) has the first
    moment of a measured varrho (Eq. 97, e.g. :func:`measured_varrho`) over ``v_range``:
    int v varrho dv (the resonance count of Eq. 100, rho vbar of Eq. 129 inside the range)
    equal for both, so the model's F(v_low) is the measured one at this L. W, J, h and L fix
    the rest of the model; its first moment grows with zeta (v = J e^(-k r), k = 1/zeta +
    1/zeta_c), and the root is searched in 0.02 <= zeta <= 20 (either side of zeta_c,
    Eq. 39). ValueError (naming the range) if the measured moment lies outside."""
    from scipy.optimize import brentq

    if not isinstance(varrho, BinnedMatrixElementDensity):
        raise ValueError(f"varrho={type(varrho).__name__} is not allowed: fit a measured "
                         f"(binned) density")
    v_lo, v_hi = (float(x) for x in v_range)
    if not 0 < v_lo < v_hi:
        raise ValueError(f"v_range={v_range!r} is not allowed: give 0 < v_low < v_high")
    target = float(varrho.first_moment_above(np.array(v_lo))
                   - varrho.first_moment_above(np.array(v_hi)))
    if not target > 0:
        raise ValueError(f"the measured varrho has no weight inside v_range={v_range!r}")

    def excess(log_zeta: float) -> float:
        model = hamiltonian_density(float(np.exp(log_zeta)), W=W, J=J, h=h, L=L,
                                    energy=energy, form=form)
        moment = model.first_moment_above(np.array([v_lo, v_hi]))
        inside = float(moment[0] - moment[1])
        return float(np.log(inside / target)) if inside > 0 else -np.inf

    a, b = np.log(0.02), np.log(20.0)
    fa, fb = excess(a), excess(b)
    if not (fa < 0 < fb and np.isfinite(fb)):
        raise ValueError(f"no zeta in [0.02, 20] gives the measured first moment {target:.4g} "
                         f"over v_range={v_range!r} (model: {target * np.exp(fa):.4g} .. "
                         f"{target * np.exp(fb):.4g})")
    return float(np.exp(brentq(excess, a, b, xtol=1e-10)))


def model_correlator(F0: float, weights: np.ndarray, bins: LogBins, times: np.ndarray
                     ) -> np.ndarray:
    """C(t) = int S(omega) cos(omega t) d omega of a model given as :func:`model_weights`
    (Eqs. 72-73 with S of Eq. 102): F(0) plus each bin's weight with S flat on the bin,
    weight (sin(w2 t) - sin(w1 t)) / ((w2 - w1) t); the underflow slot is flat on [0, lo),
    the overflow is put at hi."""
    t = np.asarray(times, dtype=float)[:, None]
    edges = np.concatenate(([0.0], bins.edges))
    w1, w2 = edges[:-1][None, :], edges[1:][None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        avg = np.where(t > 0, (np.sin(w2 * t) - np.sin(w1 * t)) / ((w2 - w1) * t), 1.0)
    out = F0 + avg @ weights[:-1] + weights[-1] * np.cos(bins.edges[-1] * t[:, 0])
    return np.asarray(out, dtype=float)


def _shades(n: int, cmap: str) -> list:
    """n colours of a sequential colour map, avoiding its palest end."""
    import matplotlib

    return list(matplotlib.colormaps[cmap](np.linspace(0.3, 0.85, max(n, 1))))


def _distinct(n: int) -> list:
    import matplotlib

    return [matplotlib.colormaps["tab10"](k % 10) for k in range(n)]


def _require(data: ProbeData, what: str) -> LogBins:
    """The bins of observable ``what`` ("spectral": omega, "matrix_elements": v)."""
    bins = data.omega_bins if what == "spectral" else data.v_bins
    if bins is None:
        raise ValueError(f"the store has no {what!r} observable: run it with "
                         f"[[observables]] name = {what!r}")
    return bins


def figure_correlator(data: ProbeData) -> Figure:
    """[C_zz(t)] of the probe (Eqs. 21, 72) against t for every L, one panel per parameter set,
    with the infinite-time [C_zz] (dashed) and the standard error of the mean (band)."""
    _require(data, "spectral")
    groups = data.groups()
    fig = Figure(figsize=(4.2 * max(len(groups), 1), 3.6), constrained_layout=True)
    axes = fig.subplots(1, max(len(groups), 1), squeeze=False)[0]
    for ax, (label, pts) in zip(axes, groups.items(), strict=False):
        for colour, p in zip(_shades(len(pts), "Blues"), pts, strict=True):
            times, czz, czz_inf, _ = p.spectral()
            mean = czz.mean(axis=0)
            sem = czz.std(axis=0, ddof=1) / np.sqrt(p.n) if p.n > 1 else 0 * mean
            ax.semilogx(times, mean, color=colour, label=f"L = {p.L}")
            ax.fill_between(times, mean - sem, mean + sem, color=colour, alpha=0.25, lw=0)
            ax.axhline(czz_inf.mean(), color=colour, ls="--", lw=0.8)
        ax.set(xlabel="t", ylabel=r"$[C_{zz}(t)]$", title=label, ylim=(-0.1, 1.05))
        ax.legend(fontsize=7)
    return fig


def figure_spectral_overlay(data: ProbeData, *, hamiltonian: bool = False,
                            fit_range: tuple[float, float] = DEFAULT_FIT_RANGE,
                            energy: str = "averaged") -> Figure:
    """Measured [S(omega)] (markers) and the generalised RM fed with the measured varrho(v)
    (lines, Eqs. 100-102, bin-averaged), log-log, one panel per parameter set, every L; the
    legend gives the measured [C_zz] and the model's F(0).

    ``hamiltonian=True`` adds the Hamiltonian generalised RM (dashed; :func:`hamiltonian_model`,
    reading ``energy``) at the zeta that :func:`fit_hamiltonian_zeta` fits to the same
    measured varrho over ``fit_range``, with probe field h = W (Eq. 18, the models' default)
    unless the store's parameters give h; its zeta and F(0) are in the legend. Points whose
    varrho cannot be fitted (no weight in ``fit_range``, no zeta) get no dashed line."""
    bins = _require(data, "spectral")
    v_bins = _require(data, "matrix_elements")
    groups = data.groups()
    fig = Figure(figsize=(4.4 * max(len(groups), 1), 3.8), constrained_layout=True)
    axes = fig.subplots(1, max(len(groups), 1), squeeze=False)[0]
    x = bins.centres
    for ax, (label, pts) in zip(axes, groups.items(), strict=False):
        for colour, p in zip(_shades(len(pts), "viridis"), pts, strict=True):
            _, _, czz_inf, s_weights = p.spectral()
            v_counts, _, reference_width = p.matrix_elements()
            measured = spectral_density(s_weights.mean(axis=0), bins)
            keep = measured > 0
            ax.loglog(x[keep], measured[keep], "o", ms=3, color=colour,
                      label=f"ED L = {p.L}: [Czz] = {czz_inf.mean():.3f}")
            varrho = measured_varrho(v_counts, v_bins, float(reference_width.sum()))
            F0, weights = model_weights(varrho, bins)
            model = spectral_density(weights, bins)
            keep = model > 0
            ax.loglog(x[keep], model[keep], "-", color=colour,
                      label=f"RM (measured varrho): F(0) = {F0:.3f}")
            if hamiltonian:
                curve = _hamiltonian_curve(p, varrho, bins, fit_range, energy)
                if curve is not None:
                    zeta, F0h, dens = curve
                    keep = dens > 0
                    ax.loglog(x[keep], dens[keep], "--", color=colour, lw=0.9,
                              label=f"Ham. RM (zeta fit {zeta:.2f}): F(0) = {F0h:.3f}")
        top = max((line.get_ydata().max() for line in ax.lines if len(line.get_ydata())),
                  default=1.0)
        ax.set(xlabel=r"$|\omega|$", ylabel=r"$[S(\omega)]$", title=label,
               ylim=(1e-7 * top, 3 * top))
        ax.legend(fontsize=6)
    return fig


def _hamiltonian_curve(p: ProbePoint, varrho: BinnedMatrixElementDensity, bins: LogBins,
                       fit_range: tuple[float, float], energy: str
                       ) -> tuple[float, float, np.ndarray] | None:
    """(zeta, F(0), S density on ``bins``) of the Hamiltonian RM fitted to a point's measured
    varrho, or None where it cannot be fitted."""
    W = float(p.params["W"])
    J = float(p.params.get("J", 1.0))
    h = p.params.get("h")
    h = W if h is None else float(h)
    try:
        zeta = fit_hamiltonian_zeta(varrho, W=W, J=J, h=h, L=p.L, v_range=fit_range,
                                    energy=energy)
    except ValueError:
        return None
    F0, weights = hamiltonian_model(zeta, W=W, J=J, h=h, L=p.L, bins=bins, energy=energy)
    return zeta, F0, spectral_density(weights, bins)


def figure_rho_vbar(data: ProbeData) -> Figure:
    """[rho vbar] (Eqs. 129-130) against L, one curve per parameter set, with bootstrap errors
    and a 2^(L/2) line (Eq. 131, thermal) through the first point of the curve that grows
    most."""
    _require(data, "matrix_elements")
    fig = Figure(figsize=(4.6, 3.6), constrained_layout=True)
    ax = fig.subplots()
    steepest = None
    for colour, (label, pts) in zip(_distinct(len(data.groups())),
                                    data.groups().items(), strict=True):
        L = np.array([p.L for p in pts])
        values = []
        for p in pts:
            _, v_sum, reference_width = p.matrix_elements()
            values.append(pooled_rho_vbar(v_sum, reference_width))
        y = np.array([v[0] for v in values])
        ax.errorbar(L, y, [v[1] for v in values], marker="o", ms=4, capsize=2, color=colour,
                    label=label)
        if len(L) > 1:
            growth = (np.log2(y[-1]) - np.log2(y[0])) / (L[-1] - L[0])
            if steepest is None or growth > steepest[0]:
                steepest = (growth, L, y[0])
    if steepest is not None:
        _, L, y0 = steepest
        ax.plot(L, y0 * 2.0 ** ((L - L[0]) / 2), "k--", lw=1, label=r"$\propto 2^{L/2}$")
    ax.set(yscale="log", xlabel="L", ylabel=r"$[\rho \bar v]$")
    ax.legend(fontsize=7)
    return fig


def draw_all(path: str | Path, folder: Path, formats: tuple[str, ...] = (".png", ".pdf")
             ) -> list[Path]:
    """Every figure the store at ``path`` supports, in each of ``formats``, in ``folder``:
    probe_czz_t, probe_s_omega_vs_rm, rho_vbar."""
    from mblkit.figures._save import save_figures

    data = load_probe(path)
    figures: dict[str, Any] = {}
    if data.omega_bins is not None:
        figures["probe_czz_t"] = figure_correlator
    if data.omega_bins is not None and data.v_bins is not None:
        figures["probe_s_omega_vs_rm"] = figure_spectral_overlay
    if data.v_bins is not None:
        figures["rho_vbar"] = figure_rho_vbar
    return save_figures(figures, data, folder, formats)


__all__ = ["DEFAULT_FIT_RANGE", "HAMILTONIAN_ENERGIES", "ProbeData", "ProbePoint", "draw_all",
           "figure_correlator", "figure_rho_vbar", "figure_spectral_overlay",
           "fit_hamiltonian_zeta", "hamiltonian_density", "hamiltonian_model", "load_probe",
           "measured_varrho", "model_correlator", "model_weights", "pooled_rho_vbar"]
