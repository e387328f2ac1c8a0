"""The static probe spin beyond full ED: [C_zz(t)] by quantum typicality and [S(omega)] by KPM
(``resonance-model-crossover.txt`` Sec. III A 3, Eq. 68; C_zz of Eqs. 21 and 72, S of Eq. 73),
overlaid on the full-ED sizes of :mod:`mblkit.figures.resonance_model_ed` and on the resonance
model.

Per realisation v of :class:`mblkit.models.ProbeStaticChain` (the full 2^(L+1) space):

* C_zz(t) = 2^-(L+1) Tr(sigma^z_P(t) sigma^z_P) from ``samples`` Haar-random states
  (:func:`mblkit.dynamics.typical_autocorrelation`, operator ("z", [L]), Chebyshev propagation);
  its typicality error (the standard error over the states, ~ 2^-(L+1)/2 per state) is kept;
* S(omega) from ``n_moments`` Chebyshev moments with the Jackson kernel
  (:func:`mblkit.dynamics.correlation_moments`, :func:`mblkit.dynamics.kpm_spectral_function`),
  resolution pi a / N (a the half-width of the spectrum); it is symmetrised,
  S_sym(|omega|) = (S(omega) + S(-omega)) / 2, which is what the ED figure plots
  (weight / (2 * bin width)), and interpolated onto a common |omega| grid.

Disorder averages [.] are means over realisations; their errors are the standard error of the
mean from the realisation scatter (which contains the typicality noise), or, for a single
realisation, the typicality error alone.

The model curves of the overlay are the Hamiltonian resonance model through the generalised
route (:func:`mblkit.figures.resonance_model_ed.hamiltonian_model`): varrho(v) of the model
(:func:`mblkit.phenomenology.resonance_generalised_hamiltonian.model_density_averaged`, Eqs. 77
and 80 with the reference energy averaged) at the zeta fitted to the measured ED varrho of the
largest ED size (:func:`~mblkit.figures.resonance_model_ed.fit_hamiltonian_zeta`), evaluated at
every L: [C_zz] = F(0) (Eq. 102) and the model's C(t) = int S(omega) cos(omega t) d omega
(:func:`~mblkit.figures.resonance_model_ed.model_correlator`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from mblkit.dynamics import (
    correlation_moments,
    kpm_spectral_function,
    spectral_bounds,
    term_operator,
    typical_autocorrelation,
)
from mblkit.models.probe import ProbeStaticChain
from mblkit.phenomenology.resonance_generalised import time_averaged_correlator

#: Above this L the matrix-free TermOperator is used (the CSR matrix of L = 17 needs ~1 GB).
CSR_MAX_L = 16


@dataclass(frozen=True)
class TypicalProbe:
    """Typicality results of one (L, W) point: rows are realisations.

    ``czz`` (n, len(times)) the typicality estimates of C_zz(t), ``czz_error`` their standard
    errors over the random states; ``omega`` the common |omega| grid, ``s_omega`` (n,
    len(omega)) S_sym(|omega|) by KPM, ``resolution`` (n,) the KPM resolution pi a / N.
    """

    L: int
    W: float
    J: float
    times: np.ndarray
    czz: np.ndarray
    czz_error: np.ndarray
    omega: np.ndarray
    s_omega: np.ndarray
    resolution: np.ndarray
    samples: int
    n_moments: int

    @property
    def n(self) -> int:
        return int(self.czz.shape[0])

    @property
    def label(self) -> str:
        """The group label of :meth:`mblkit.figures.resonance_model_ed.ProbeData.groups`."""
        return f"W = {self.W}"

    def correlator(self) -> tuple[np.ndarray, np.ndarray]:
        """[C_zz(t)] and its error (module docstring)."""
        return _mean_error(self.czz, self.czz_error)

    def plateau(self, t_from: float) -> tuple[float, float]:
        """[C_zz] estimated as the time average of C_zz(t) over the grid times >= ``t_from``
        (one number per realisation, then mean and error as in :meth:`correlator`)."""
        use = self.times >= t_from
        if not np.any(use):
            raise ValueError(f"t_from={t_from!r} is not allowed: it exceeds the last time "
                             f"{self.times[-1]!r}")
        per = self.czz[:, use].mean(axis=1)
        err = self.czz_error[:, use].mean(axis=1)  # correlated in t: not reduced by averaging
        mean, error = _mean_error(per[:, None], err[:, None])
        return float(mean[0]), float(error[0])

    def spectral(self) -> tuple[np.ndarray, np.ndarray]:
        """[S_sym(|omega|)] by KPM and its standard error over realisations (NaN for one)."""
        mean = self.s_omega.mean(axis=0)
        if self.n < 2:
            return mean, np.full_like(mean, np.nan)
        return mean, self.s_omega.std(axis=0, ddof=1) / np.sqrt(self.n)


def _mean_error(values: np.ndarray, errors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if values.shape[0] == 1:
        return values[0], errors[0]
    return values.mean(axis=0), values.std(axis=0, ddof=1) / np.sqrt(values.shape[0])


def probe_operator(model: ProbeStaticChain, v: np.ndarray):
    """H of Eq. 68 for realisation ``v``: the CSR matrix up to :data:`CSR_MAX_L` (fastest per
    product), the matrix-free :func:`~mblkit.dynamics.term_operator` above (memory O(dim))."""
    if model.L <= CSR_MAX_L:
        return model.hamiltonian(v)
    return term_operator(model, v)


def energy_bound(model: ProbeStaticChain, v: np.ndarray | None = None) -> float:
    """Mazur bound on [C_zz] from energy conservation: C_zz(inf) >= <sigma^z_P H>^2 / <H^2>
    (infinite temperature, <A> = D^-1 Tr A; Tr H = 0), for H of Eq. 68 with the chain of
    Eq. 61: <sigma^z_P H> = h/2 and <H^2> = (3/4) J^2 n_bonds + (W/2)^2 sum_n |v_n|^2 +
    (h/2)^2 + |V|^2 (the Pauli strings of H are orthonormal under <.>). ``v=None``: the
    disorder mean [|v_n|^2] = 1 (Eq. 4's text). The resonance model has no such floor: it
    counts resonances only (Eqs. 100-102)."""
    from mblkit.models._checks import bonds

    L, W, J = model.L, float(model.W), float(model.J)
    fields = float(L) if v is None else float(np.sum(np.asarray(v, dtype=float) ** 2))
    h, c = model.probe_field, model.probe_coupling
    n_bonds = len(bonds(L, model.boundary))
    return (h / 2) ** 2 / (0.75 * J**2 * n_bonds + (W / 2) ** 2 * fields + (h / 2) ** 2 + c**2)


def _check_times(times) -> np.ndarray:
    t = np.asarray(times, dtype=float)
    if t.ndim != 1 or t.size < 1 or not np.all(np.isfinite(t)) or t[0] < 0 \
            or np.any(np.diff(t) <= 0):
        raise ValueError(f"times={times!r} is not allowed: give a strictly increasing 1-D "
                         f"array of finite times >= 0")
    return t


def realisation_probe(model: ProbeStaticChain, v: np.ndarray, times, *, samples: int,
                      n_moments: int, omega: np.ndarray, rng: np.random.Generator,
                      kpm_samples: int | None = None, tol: float = 1e-10
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """One realisation: (C_zz(t), its typicality error, S_sym on ``omega``, KPM resolution).

    ``kpm_samples`` random vectors for the moments (default ``samples``).
    """
    if not isinstance(model, ProbeStaticChain):
        raise ValueError(f"model={model!r} is not allowed: the typicality path is for the "
                         f"static probe of Eq. 68 (ProbeStaticChain)")
    t = _check_times(times)
    H = probe_operator(model, v)
    basis = model.basis()
    bounds = spectral_bounds(H)
    op = ("z", [model.L])  # sigma^z_P: the probe is site L
    typ = typical_autocorrelation(H, basis, *op, t, samples=samples, rng=rng, tol=tol,
                                  bounds=bounds)
    moments = correlation_moments(H, basis, *op, n_moments,
                                  samples=samples if kpm_samples is None else kpm_samples,
                                  rng=rng, bounds=bounds, chunk=1)
    kpm = kpm_spectral_function(moments)
    # S_sym(|omega|) = (S(omega) + S(-omega)) / 2 on the KPM grid (symmetric about 0)
    s_sym = 0.5 * (kpm.spectral_function + kpm.spectral_function[::-1])
    positive = kpm.omega >= 0
    s_on_grid = np.interp(omega, kpm.omega[positive], s_sym[positive], right=0.0)
    return typ.correlator, typ.error, s_on_grid, kpm.resolution


def typical_probe(L: int, W: float, *, J: float = 1.0, realisations: int, samples: int = 2,
                  times, n_moments: int = 128, omega: np.ndarray | None = None, seed: int = 0,
                  tol: float = 1e-10, progress=None) -> TypicalProbe:
    """[C_zz(t)] and [S(omega)] of the static probe (Eq. 68; h = W, |V| = J, the defaults of
    :class:`ProbeStaticChain`) at chain length ``L`` over ``realisations`` disorder draws.

    Realisation i draws its fields from ``default_rng([seed, L, i, round(1000 W)])`` and its
    random states from the same generator afterwards. ``omega``: the |omega| grid of
    S_sym (default 0 .. 2 W + 8 J, 400 points). ``progress(i, result)``, if given, is called
    after every realisation (e.g. to save partial results).
    """
    if isinstance(realisations, bool) or not isinstance(realisations, int) or realisations < 1:
        raise ValueError(f"realisations={realisations!r} is not allowed: it must be an "
                         f"integer >= 1")
    model = ProbeStaticChain(L, W=W, J=J)
    t = _check_times(times)
    grid = (np.linspace(0.0, 2.0 * W + 8.0 * J, 400) if omega is None
            else np.asarray(omega, dtype=float))
    rows: list[tuple[np.ndarray, np.ndarray, np.ndarray, float]] = []
    result = None
    for i in range(realisations):
        rng = np.random.default_rng([seed, L, i, round(1000 * W)])
        v = model.sample(rng)
        rows.append(realisation_probe(model, v, t, samples=samples, n_moments=n_moments,
                                      omega=grid, rng=rng, tol=tol))
        result = TypicalProbe(L, float(W), float(J), t, np.array([r[0] for r in rows]),
                              np.array([r[1] for r in rows]), grid,
                              np.array([r[2] for r in rows]), np.array([r[3] for r in rows]),
                              samples, n_moments)
        if progress is not None:
            progress(i, result)
    assert result is not None
    return result


def save_typical(path: str | Path, points: Sequence[TypicalProbe]) -> Path:
    """All points in one .npz (keys ``p{k}_{field}``)."""
    arrays: dict[str, np.ndarray] = {"n_points": np.array(len(points))}
    for k, p in enumerate(points):
        for name in ("L", "W", "J", "times", "czz", "czz_error", "omega", "s_omega",
                     "resolution", "samples", "n_moments"):
            arrays[f"p{k}_{name}"] = np.asarray(getattr(p, name))
    path = Path(path)
    np.savez_compressed(path, **arrays)  # type: ignore[arg-type]
    return path


def load_typical(path: str | Path) -> list[TypicalProbe]:
    """The points written by :func:`save_typical`."""
    with np.load(path) as f:
        out = []
        for k in range(int(f["n_points"])):
            g = {name: f[f"p{k}_{name}"] for name in
                 ("L", "W", "J", "times", "czz", "czz_error", "omega", "s_omega",
                  "resolution", "samples", "n_moments")}
            out.append(TypicalProbe(int(g["L"]), float(g["W"]), float(g["J"]), g["times"],
                                    g["czz"], g["czz_error"], g["omega"], g["s_omega"],
                                    g["resolution"], int(g["samples"]), int(g["n_moments"])))
    return out


def figure_probe_sizes(data, typical: Sequence[TypicalProbe], *, model_L: Sequence[int] = (),
                       t_plateau: float | None = None,
                       fit_range: tuple[float, float] | None = None) -> Figure:
    """[C_zz(t)] (top), [S(omega)] (middle) and [C_zz] against L (bottom), one column per W.

    ED sizes (``data``, a :class:`~mblkit.figures.resonance_model_ed.ProbeData` or None) in
    blues with the generalised RM fed with their measured varrho (Eqs. 100-102); typicality
    sizes (``typical``) in oranges with KPM S(omega); the Hamiltonian RM at the zeta fitted to
    the largest ED size's varrho (:func:`~mblkit.figures.resonance_model_ed.fit_hamiltonian_zeta`
    over ``fit_range`` of v, default its own) in black: its C(t) at the largest typical
    L (top, dotted), its S at that L (middle), its F(0) = [C_zz] at every L (bottom, line). The
    bottom panel also gives the ED [C_zz] (infinite time), the ED C_zz averaged over t >=
    ``t_plateau`` (same window as the typicality) and the typicality plateau over t >=
    ``t_plateau`` (default: the last decade of the typicality times).
    """
    from mblkit.figures import resonance_model_ed as ed

    labels: list[str] = []
    groups = data.groups() if data is not None else {}
    for label in [*groups, *(p.label for p in typical)]:
        if label not in labels:
            labels.append(label)
    fig = Figure(figsize=(4.6 * max(len(labels), 1), 10.5), constrained_layout=True)
    axes = fig.subplots(3, max(len(labels), 1), squeeze=False)
    for col, label in enumerate(labels):
        ax_t, ax_s, ax_l = axes[:, col]
        ed_pts = groups.get(label, [])
        typ_pts = sorted((p for p in typical if p.label == label), key=lambda p: p.L)
        t_from = t_plateau
        if t_from is None and typ_pts:
            t_from = float(typ_pts[0].times[-1]) / 10.0
        summary: dict[str, list[tuple[int, float, float]]] = {"ed_inf": [], "ed_window": [],
                                                              "typ": []}
        zeta = None
        for colour, p in zip(_shades(len(ed_pts), "Blues"), ed_pts, strict=True):
            times, czz, czz_inf, _ = p.spectral()
            mean = czz.mean(axis=0)
            sem = czz.std(axis=0, ddof=1) / np.sqrt(p.n) if p.n > 1 else 0 * mean
            ax_t.semilogx(times, mean, color=colour, label=f"ED L = {p.L} ({p.n})")
            ax_t.fill_between(times, mean - sem, mean + sem, color=colour, alpha=0.2, lw=0)
            inf_err = czz_inf.std(ddof=1) / np.sqrt(p.n) if p.n > 1 else float("nan")
            summary["ed_inf"].append((p.L, float(czz_inf.mean()), float(inf_err)))
            if t_from is not None and typ_pts:
                t_hi = float(typ_pts[0].times[-1])
                use = (times >= t_from) & (times <= t_hi)
                if np.any(use):
                    per = czz[:, use].mean(axis=1)
                    summary["ed_window"].append(
                        (p.L, float(per.mean()),
                         float(per.std(ddof=1) / np.sqrt(p.n)) if p.n > 1 else float("nan")))
            x, dens = _ed_spectral(p, data.omega_bins)
            ax_s.loglog(x, dens, "o", ms=2.5, color=colour, label=f"ED L = {p.L}")
            if p.v_counts is not None:
                v_counts, _, width = p.matrix_elements()
                varrho = ed.measured_varrho(v_counts, data.v_bins, float(width.sum()))
                F0, weights = ed.model_weights(varrho, data.omega_bins)
                model = ed.spectral_density(weights, data.omega_bins)
                keep = model > 0
                ax_s.loglog(data.omega_bins.centres[keep], model[keep], "-", lw=0.8,
                            color=colour)
        if ed_pts and ed_pts[-1].v_counts is not None:
            top = ed_pts[-1]
            v_counts, _, width = top.matrix_elements()
            varrho = ed.measured_varrho(v_counts, data.v_bins, float(width.sum()))
            W = float(top.params["W"])
            J = float(top.params.get("J", 1.0))
            try:
                zeta = ed.fit_hamiltonian_zeta(varrho, W=W, J=J, h=W, L=top.L,
                                               v_range=fit_range or ed.DEFAULT_FIT_RANGE)
            except ValueError:
                zeta = None
        for colour, p in zip(_shades(len(typ_pts), "Oranges"), typ_pts, strict=True):
            mean, err = p.correlator()
            ax_t.semilogx(p.times, mean, color=colour, lw=1.6, label=f"typ. L = {p.L} ({p.n})")
            ax_t.fill_between(p.times, mean - err, mean + err, color=colour, alpha=0.25, lw=0)
            s_mean, _ = p.spectral()
            keep = (p.omega > p.resolution.max()) & (s_mean > 0)
            ax_s.loglog(p.omega[keep], s_mean[keep], "-", lw=1.6, color=colour,
                        label=f"KPM L = {p.L} (res. {p.resolution.mean():.2g})")
            if t_from is not None:
                summary["typ"].append((p.L, *p.plateau(t_from)))
        if zeta is not None:
            W = float(ed_pts[-1].params["W"])
            J = float(ed_pts[-1].params.get("J", 1.0))
            sizes = sorted({*model_L, *(p.L for p in ed_pts), *(p.L for p in typ_pts)})
            L_big = sizes[-1]
            fine = ed.LogBins(1e-10, 1e1, 110)
            F0, weights = ed.hamiltonian_model(zeta, W=W, J=J, h=W, L=L_big, bins=fine)
            t_model = np.logspace(-2, np.log10(max(ax_t.get_xlim()[1], 10.0)), 200)
            ax_t.semilogx(t_model, ed.model_correlator(F0, weights, fine, t_model), "k:",
                          lw=1, label=f"Ham. RM L = {L_big}, zeta = {zeta:.2f}")
            dens = ed.spectral_density(weights, fine)
            keep = dens > 0
            ax_s.loglog(fine.centres[keep], dens[keep], "k:", lw=1,
                        label=f"Ham. RM L = {L_big}")
            F0s = [time_averaged_correlator(ed.hamiltonian_density(zeta, W=W, J=J, h=W, L=L))
                   for L in sizes]
            ax_l.plot(sizes, F0s, "k-", lw=1, label="Ham. RM F(0)")
        sizes_all = sorted({*model_L, *(p.L for p in ed_pts), *(p.L for p in typ_pts)})
        W_col = float(ed_pts[0].params["W"]) if ed_pts else (typ_pts[0].W if typ_pts else None)
        if sizes_all and W_col is not None:
            J_col = float(ed_pts[0].params.get("J", 1.0)) if ed_pts else typ_pts[0].J
            bound = [energy_bound(ProbeStaticChain(L, W=W_col, J=J_col)) for L in sizes_all]
            ax_l.plot(sizes_all, bound, color="0.5", ls="--", lw=1,
                      label=r"energy (Mazur) bound $(h/2)^2/\langle H^2\rangle$")
        window = (f"t in [{t_from:.3g}, {typ_pts[0].times[-1]:.3g}]" if t_from and typ_pts
                  else "")
        series = [("ed_inf", "o", "C0", "ED [C_zz] (t = inf)", 0.0),
                  ("ed_window", "s", "C2", f"ED C_zz(t), {window}", 0.15),
                  ("typ", "D", "C1", f"typ. C_zz(t), {window}", 0.0)]
        for key, marker, colour, name, dx in series:
            rows = summary[key]
            if rows:
                Ls, ys, es = (np.array(c) for c in zip(*rows, strict=True))
                ax_l.errorbar(Ls + dx, ys, es, marker=marker, ms=4, ls="none", capsize=2,
                              color=colour, label=name)
        ax_t.set(xlabel="t", ylabel=r"$[C_{zz}(t)]$", title=label, ylim=(-0.05, 1.05))
        ax_s.set(xlabel=r"$|\omega|$", ylabel=r"$[S(\omega)]$")
        lines = [ln.get_ydata() for ln in ax_s.lines if len(ln.get_ydata())]
        top_s = max((float(np.max(y)) for y in lines), default=1.0)
        ax_s.set_ylim(1e-6 * top_s, 3 * top_s)
        values = [float(y) for ln in ax_l.lines for y in np.atleast_1d(ln.get_ydata())
                  if float(y) > 0]
        spread = max(values) / min(values) if values else 1.0
        ax_l.set(xlabel="L", ylabel=r"$[C_{zz}]$", yscale="log" if spread > 10 else "linear")
        for ax in (ax_t, ax_s, ax_l):
            ax.legend(fontsize=6)
    return fig


def _ed_spectral(p, bins) -> tuple[np.ndarray, np.ndarray]:
    from mblkit.observables.spectral import spectral_density

    _, _, _, s_weights = p.spectral()
    measured = spectral_density(s_weights.mean(axis=0), bins)
    keep = measured > 0
    return bins.centres[keep], measured[keep]


def _shades(n: int, cmap: str) -> list:
    import matplotlib

    return list(matplotlib.colormaps[cmap](np.linspace(0.35, 0.9, max(n, 1))))


__all__ = ["CSR_MAX_L", "TypicalProbe", "energy_bound", "figure_probe_sizes", "load_typical",
           "probe_operator", "realisation_probe", "save_typical", "typical_probe"]
