"""Figures of ``shared/papers/resonance-model-crossover.txt`` (resonance model), drawn from
:mod:`mblkit.phenomenology`.

Each function returns a :class:`matplotlib.figure.Figure` built without pyplot (safe under any
backend, nothing global is touched); save it with ``fig.savefig(path)``. The defaults redraw the
paper's figure; the exact call is in each docstring:

* Fig. 2  (theta vs 1/zeta, [S(omega)] regimes, varrho(v), [C_zz]): ``figure_2()``
* Fig. 9  ([S_P] vs W/W_c for L = 5 ... 60, W_delta(L) inset):          ``figure_9()``
* Fig. 11 (Lambda |dF/dr| vs r/Lambda, loss-diffusion):                 ``figure_11()``
* Fig. 12 (f(e, r) at log-spaced r):                                     ``figure_12()``

The Hamiltonian curves of Figs. 2 and 9 use F_1 of Eqs. 89-91 with the printed Lambda of Eq. 83,
as the paper does. Both are departures from the model's own counting
(:mod:`mblkit.phenomenology.resonance_hamiltonian`): Eqs. 76-80 give Lambda / 4, and replacing
q(e, r) by q(e_sigmabar, r) (Eq. 89) overstates the mean rate by sqrt(2) (at 1 << r <~ Lambda
the true F is F_1 with Lambda -> 2 Lambda, the small-r decay exp(-sqrt(r / 2 Lambda)) of Fig. 11).
``figure_9(form=..., energy=...)`` redraws Fig. 9 with either choice.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from mblkit.phenomenology import loss_diffusion as ld
from mblkit.phenomenology import resonance_finite_size as fs
from mblkit.phenomenology import resonance_floquet as rf
from mblkit.phenomenology import resonance_generalised as rg
from mblkit.phenomenology import resonance_hamiltonian as rh
from mblkit.phenomenology.loss_diffusion_sampling import sample_loss_diffusion


def _hamiltonian_w_for(Lambda: float, J: float) -> float:
    """The disorder W with Hamiltonian resonance length Lambda (inverse of Eq. 83)."""
    return 4.0 * J / rf.ZETA_C * math.sqrt(Lambda / math.pi)


def figure_2(*, Lambda: float = 20.0, L: float = 40.0, J: float = 1.0,
             zetas: tuple[float, ...] = (0.8, 1.2, 1.35, rf.ZETA_C, 1.7),
             n_zeta: int = 300) -> Figure:
    """Fig. 2: the exponent theta, [S(omega)] regimes, varrho(v) and [C_zz], Floquet and
    Hamiltonian RM.

    Redraw with ``figure_2()``. The paper's Fig. 2 is schematic and states no parameters; here
    both models share the resonance length ``Lambda`` (Floquet Omega = 8 J Lambda / zeta_c,
    Eq. 43; Hamiltonian W from Eq. 83) and chain length ``L``; ``zetas`` are the localisation
    lengths of the [S(omega)] and varrho(v) curves.

    Panels: (a) Floquet theta vs 1/zeta (Eq. 57): theta_0 on the MBL side, the jump to theta_c =
    zeta_c / (2 Lambda) at 1/zeta_c (point), and the region-I exponent at omega_c for this L
    (dashed, :func:`~mblkit.phenomenology.resonance_floquet.theta_effective`); (b) Floquet
    [S(omega)] (Eq. 53) with omega_c (Eq. 54) marked; (c) varrho(v) of Eq. 98 ~ v^(-2+theta_0);
    (d) Hamiltonian theta = theta_0 (theta_c = 0+ with log corrections, Eq. 93); (e) Hamiltonian
    [S(omega)] (Eq. 93); (f) [C_zz] vs 1/zeta (Eqs. 48, 91) at this L and for L -> infinity.
    """
    Omega = 8.0 * J * Lambda / rf.ZETA_C
    W = _hamiltonian_w_for(Lambda, J)
    fig = Figure(figsize=(12, 7), layout="constrained")
    ax = fig.subplots(2, 3).ravel()
    inv_c = 1.0 / rf.ZETA_C
    inv_z = np.linspace(inv_c * 1.0005, 3.0, n_zeta)

    # (a) Floquet theta
    th0 = np.array([rf.theta0(1.0 / x) for x in inv_z])
    th_i = np.array([rf.theta_effective(np.array([rf.cutoff_frequency(zeta=1 / x, J=J, L=L)]),
                                        zeta=1 / x, J=J, Omega=Omega)[0] for x in inv_z])
    ax[0].plot(inv_z, th0, color="C0", label=r"$\theta_0$ (region II, Eq. 57)")
    ax[0].plot(inv_z, th_i, "--", color="C2", label=fr"$\theta(\omega_c)$, $L={L:g}$ (region I)")
    ax[0].plot([inv_c], [rf.theta_c(Lambda)], "o", color="C1",
               label=r"$\theta_c=\zeta_c/2\Lambda$")
    ax[0].axvline(inv_c, color="0.6", lw=0.8)
    ax[0].set(xlabel=r"$1/\zeta$", ylabel=r"$\theta$", title="(a) Floquet", ylim=(0, 1))
    ax[0].legend(fontsize=7)

    # (b), (e) spectral functions; (c) varrho
    for i, zeta in enumerate(zetas):
        label = fr"$\zeta={zeta:.3g}$" + (r" $=\zeta_c$" if zeta == rf.ZETA_C else "")
        w_c = rf.cutoff_frequency(zeta=zeta, J=J, L=L)
        w = np.logspace(math.log10(w_c), math.log10(J) - 1e-6, 300)
        ax[1].loglog(w, w * rf.spectral_function(w, zeta=zeta, J=J, Omega=Omega, L=L),
                     color=f"C{i}", label=label)
        ax[1].axvline(w_c, color=f"C{i}", lw=0.6, ls=":")
        ax[4].loglog(w, w * rh.spectral_function(w, zeta=zeta, J=J, W=W, L=L), color=f"C{i}",
                     label=label)
        varrho = rg.floquet_density(zeta=zeta, J=J, Omega=Omega, L=L)
        ax[2].loglog(w, varrho(w), color=f"C{i}", label=label)
    ax[1].set(xlabel=r"$\omega/J$", ylabel=r"$\omega\,[S(\omega)]$",
              title=r"(b) Floquet, dotted: $\omega_c$")
    ax[4].set(xlabel=r"$\omega/J$", ylabel=r"$\omega\,[S(\omega)]$", title="(e) Hamiltonian")
    ax[2].set(xlabel=r"$v/J$", ylabel=r"$\varrho(v)$", title=r"(c) $\varrho\sim v^{-2+\theta_0}$")
    for a in (ax[1], ax[2], ax[4]):
        a.legend(fontsize=7)

    # (d) Hamiltonian theta
    ax[3].plot(inv_z, th0, color="C0", label=r"$\theta_0$")
    ax[3].plot([inv_c], [0.0], "o", color="C1", label=r"$\theta_c=0^+$ (log corrections)")
    ax[3].axvline(inv_c, color="0.6", lw=0.8)
    ax[3].set(xlabel=r"$1/\zeta$", ylabel=r"$\theta$", title="(d) Hamiltonian", ylim=(-0.02, 1))
    ax[3].legend(fontsize=7)

    # (f) [C_zz]
    c_f = [rf.time_averaged_correlator(L, zeta=1 / x, J=J, Omega=Omega) for x in inv_z]
    c_h = [rh.time_averaged_correlator(L, zeta=1 / x, J=J, W=W) for x in inv_z]
    xi = 1.0 / np.array([rf.inverse_correlation_length(1 / x) for x in inv_z])
    ax[5].plot(inv_z, c_f, color="C0", label=fr"Floquet, $L={L:g}$")
    ax[5].plot(inv_z, c_h, color="C3", label=fr"Hamiltonian, $L={L:g}$")
    ax[5].plot(inv_z, np.exp(-xi / Lambda), "--", color="C0", label=r"Floquet, $L\to\infty$")
    ax[5].plot(inv_z, np.exp(-np.sqrt(math.pi * xi / (4 * Lambda))), "--", color="C3",
               label=r"Hamiltonian, $L\to\infty$")
    ax[5].axvline(inv_c, color="0.6", lw=0.8)
    ax[5].set(xlabel=r"$1/\zeta$", ylabel=r"$[C_{zz}]$", title="(f) order parameter",
              ylim=(0, 1))
    ax[5].legend(fontsize=7)
    fig.suptitle(fr"Resonance model, $\Lambda={Lambda:g}$ (Fig. 2)")
    return fig


def figure_9(*, W_c: float = 10.0, J: float = 1.0,
             L_values: tuple[float, ...] = tuple(range(5, 61, 5)), delta: float = 0.01,
             w_over_wc: np.ndarray | None = None, n_linear: int = 3, form: str = "printed",
             energy: str = "typical") -> Figure:
    """Fig. 9: [S_P] (Eq. 120) vs W/W_c for L = 5 ... 60 and L -> infinity; inset W_delta(L).

    Redraw with ``figure_9()`` (the paper's parameters: 1/xi = log(W/W_c), W_c = 10, Lambda of
    Eq. 83, J = 1, delta = 0.01). Inset: W_delta from Eq. 116 solved numerically (green), Eq. 117
    with ell_delta fitted to it (black dotted) and a straight line through the first
    ``n_linear`` sizes (red dotted).

    [S_P] = log 2 (1 - F_1(L/2)) uses the typical-energy rate of Eq. 89 (q(e, r) -> q(0, r))
    and Eq. 83's Lambda: the paper's curves, at a mean resonance rate sqrt(2) below the model's
    own counting (module docstring). ``form="derived"`` (Lambda / 4, Eqs. 76-80) and
    ``energy="averaged"`` (Lambda -> 2 Lambda) redraw it with
    :func:`mblkit.phenomenology.resonance_hamiltonian.effective_resonance_length`.
    """
    opts = {"form": form, "energy": energy}
    x = np.linspace(0.2, 2.0, 400) if w_over_wc is None else np.asarray(w_over_wc, float)
    W = W_c * x
    fig = Figure(figsize=(7, 5), layout="constrained")
    ax = fig.subplots()
    colours = [f"C{i % 10}" for i in range(len(L_values))]
    for L, c in zip(L_values, colours, strict=True):
        ax.plot(x, fs.probe_entropy(W, L=L, W_c=W_c, J=J, **opts), color=c, label=f"L = {L:g}")
    ax.plot(x, fs.probe_entropy_infinite_size(W, W_c=W_c, J=J, **opts), "k--",
            label=r"$L\to\infty$")
    ax.set(xlabel=r"$W/W_c$", ylabel=r"$[S_P]$", title="Hamiltonian RM probe entropy (Fig. 9)")
    ax.legend(fontsize=7, ncol=2, loc="lower left")

    L_arr = np.asarray(L_values, dtype=float)
    wd = fs.w_delta(L_arr, delta=delta, W_c=W_c, J=J, **opts)
    ell = fs.fit_ell_delta(L_arr, wd, W_c=W_c)
    ins = ax.inset_axes((0.55, 0.5, 0.42, 0.42))
    L_fine = np.linspace(L_arr.min(), L_arr.max(), 200)
    ins.plot(L_arr, wd, "-", color="green", label=r"$W_\delta$, Eq. 116")
    ins.plot(L_fine, fs.w_delta_closed_form(L_fine, W_c=W_c, ell_delta=ell), "k:",
             label=fr"Eq. 117, $\ell_\delta={ell:.2f}$")
    k = max(2, min(n_linear, L_arr.size))
    slope, icpt = np.polyfit(L_arr[:k], wd[:k], 1)
    ins.plot(L_fine, slope * L_fine + icpt, "r:", label="linear, small L")
    ins.set(xlabel="L", ylabel=fr"$W_\delta$ ($\delta={delta:g}$)", ylim=(0, 1.1 * W_c))
    ins.legend(fontsize=6)
    return fig


def figure_11(*, Lambdas: tuple[float, ...] = (1.0, 10.0, 100.0),
              r_over_lambda: np.ndarray | None = None, n_cells: int = 801,
              n_paths: int = 0, rng: np.random.Generator | None = None) -> Figure:
    """Fig. 11: Lambda |dF/dr| vs r/Lambda for energy-independent matrix elements (Eqs. C2-C4).

    Redraw with ``figure_11()``; add the stochastic-trajectory estimates the paper plotted with
    ``figure_11(n_paths=20000, rng=numpy.random.default_rng(0))`` (error bars; the sampler
    resolves F only down to ~1/sqrt(n_paths)). Curves: the deterministic solution of Eq. C2 with
    the loss of Eq. C3 (h = W, 1/xi = 0) for each Lambda; dotted, the paper's
    exp(-sqrt(r/Lambda)); dash-dotted, the mean-field F = exp(-int <q>) (exact for r << Lambda,
    Lambda-independent in these units at large Lambda); dashed, F ~ (Lambda/r)^2 matched at
    r = 300 Lambda. The Lambda values of the paper's legend are not legible in the text; the
    curves depend on Lambda only through the offset h/2 = W/2 at r < 1. The paper's dotted
    exp(-sqrt(r/Lambda)) is F_1 of Eq. 91 at the typical energy (Eq. 89); the solution follows
    the mean field, i.e. F_1 with Lambda -> 2 Lambda (exp(-sqrt(r / 2 Lambda)) up to the offset
    h), because the Gaussian energy factor of Eq. C3 averages to 1/sqrt(2) over the loss-free f
    (:func:`mblkit.phenomenology.resonance_hamiltonian.mean_resonance_probability`).
    """
    x = np.logspace(-2, 3, 61) if r_over_lambda is None else np.asarray(r_over_lambda, float)
    fig = Figure(figsize=(6.5, 4.8), layout="constrained")
    ax = fig.subplots()
    for i, lam in enumerate(Lambdas):
        problem = ld.ResonanceLossDiffusion(Lambda=lam)
        sol = ld.solve_loss_diffusion(problem, lam * x, n_cells=n_cells)
        ax.loglog(x, lam * sol.p, color=f"C{i}", label=fr"$\Lambda={lam:g}$")
        if n_paths:
            if rng is None:
                raise ValueError("rng=None is not allowed with n_paths > 0: pass a seeded "
                                 "numpy.random.Generator")
            xs = x[:: max(1, x.size // 12)]
            est = sample_loss_diffusion(problem, lam * xs, n_paths=n_paths, rng=rng)
            if est.p_stderr is None:
                raise RuntimeError("sample_loss_diffusion returned no Monte-Carlo error bars "
                                   "(p_stderr=None)")
            ax.errorbar(xs, lam * est.p, lam * est.p_stderr, fmt="o", ms=3, color=f"C{i}",
                        capsize=2)
    ax.loglog(x, 0.5 / np.sqrt(x) * np.exp(-np.sqrt(x)), "k:",
              label=r"$F=e^{-\sqrt{r/\Lambda}}$ (paper)")
    lam0 = Lambdas[-1]
    problem = ld.ResonanceLossDiffusion(Lambda=lam0)
    small = x[x <= 3.0]
    f_mf = ld.mean_field_survival(problem, lam0 * small)
    ax.loglog(small[1:-1], -lam0 * np.gradient(f_mf, lam0 * small)[1:-1], "k-.",
              label=r"mean field $e^{-\int\langle q\rangle}$")
    anchor = 300.0
    if x.min() <= anchor <= x.max():
        sol = ld.solve_loss_diffusion(ld.ResonanceLossDiffusion(Lambda=Lambdas[0]),
                                      np.array([Lambdas[0] * anchor]), n_cells=n_cells)
        amp = Lambdas[0] * sol.p[0] * anchor ** 3
        tail = x[x >= 10]
        ax.loglog(tail, amp * tail ** -3.0, "k--", label=r"$F\propto(\Lambda/r)^2$")
    ax.axvline(1.0, color="0.6", lw=0.8)
    ax.set(xlabel=r"$r/\Lambda$", ylabel=r"$\Lambda\,|dF/dr|$",
           title="Loss-diffusion, energy-independent matrix elements (Fig. 11)")
    ax.legend(fontsize=7)
    return fig


def figure_12(*, Lambda: float = 1.0, r_values: np.ndarray | None = None,
              n_cells: int = 801) -> Figure:
    """Fig. 12: f(e, r) vs e/s_e(r) at log-spaced ranges r (same solutions as Fig. 11).

    Redraw with ``figure_12()``. Plotted is s_e(r) f(e, r), which would be the same unit
    Gaussian (dashed) at every r without loss; at r >> Lambda the centre e ~ 0 is depleted
    and the surviving states sit at atypical local energies.
    """
    r = np.logspace(-1, 3, 9) * Lambda if r_values is None else np.asarray(r_values, float)
    problem = ld.ResonanceLossDiffusion(Lambda=Lambda)
    sol = ld.solve_loss_diffusion(problem, r, snapshot_r=r, n_cells=n_cells)
    fig = Figure(figsize=(6.5, 4.8), layout="constrained")
    ax = fig.subplots()
    for i, rr in enumerate(sol.snapshot_r):
        ax.semilogy(sol.x, sol.phi[i], color=f"C{i % 10}", label=fr"$r={rr:.3g}$")
    ax.semilogy(sol.x, np.exp(-sol.x ** 2 / 2) / math.sqrt(2 * math.pi), "k--", label="no loss")
    ax.set(xlabel=r"$e/s_e(r)$", ylabel=r"$s_e(r)\,f(e,r)$", ylim=(1e-8, 1), xlim=(-7, 7),
           title=fr"Unhybridised local energies, $\Lambda={Lambda:g}$ (Fig. 12)")
    ax.legend(fontsize=7, ncol=2)
    return fig
