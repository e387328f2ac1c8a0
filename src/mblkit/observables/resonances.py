"""Resonance statistics of a local operator in Floquet eigenstates, in one streaming pass.

``resonant-energy-scales-floquet.txt``: for the matrix elements z_nm = <n|sigma_j|m> of the local
field operator sigma_j (eigenvalues +-1, so sum_m |z_nm|^2 = 1) between eigenstates of W, with
omega_nm = theta_n - theta_m wrapped to (-pi, pi]:

* Omega_nm = |z_nm omega_nm| (Eq. 4): p_Omega (Fig. 2a,b) and p_{Omega|omega} in windows of
  |omega| (Fig. 2c-f);
* Z_nm = |z_nm|^2, n != m (Eq. 7, Fig. 3) and the depolarisation D_n = 1 - |z_nn|^2 (Eq. 6);
* x_nm = |z_nm|^2 / (2 sin(omega_nm / 2))^2 and the fidelity susceptibility chi_n = sum_{m != n}
  x_nm (Eq. 10 with the Floquet denominator stated below Eq. 14; Fig. 4);
* the level curvature kappa_n = d z_nn / d lambda for h_j -> h_j + lambda, i.e.
  W(lambda) = W e^{i lambda sigma_j / 2} (:meth:`mblkit.models.BrickworkCircuit.shift_field`).
  Floquet perturbation theory (derived in the docstring of :func:`floquet_curvature_weight`)
  gives kappa_n = sum_{m != n} |z_nm|^2 cot(omega_nm / 2) / 2, which tends to Eq. 15's
  |z_nm|^2 / omega_nm for |omega_nm| << 1; histogrammed as |kappa_n|;
* the two- and three-level averages <Z_mn> and <Z_np Z_pm Z_mn> over distinct indices (App. C,
  Fig. 5), the latter as Tr(Z^3) of the off-diagonal Z by matrix products.

Normalisation: every histogram counts all ordered pairs n != m (or all n for D, chi, kappa),
including those outside the binned range (under/overflow slots), so
:func:`mblkit.histograms.density` (also ``mblkit.stats.density``) gives the paper's
normalised densities, e.g. p_Omega with integral 1 over all pairs; the window histograms
are normalised per window, so that int_0^omega p_{Omega|omega} dOmega = 1 (text below
Fig. 2). Fig. 4 plots 2^L p_x.

Nothing of size N^2 leaves :func:`resonance_statistics`; inside it the N x N arrays alive are
the eigenvectors, sigma_j applied to them, and (for the three-level average) the real Z.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mblkit.histograms import LogBins
from mblkit.observables.kernels import resonance_rows
from mblkit.solvers.spectrum import DEFAULT_RTOL, VerificationError

#: Largest max_n |sum_m |z_nm|^2 - 1| accepted. sum_m |z_nm|^2 = ||V^dagger sigma v_n||^2 and
#: sigma^2 = 1, so it deviates from 1 by at most ||V V^dagger - 1|| (plus N eps of rounding):
#: with V verified to orthonormality rtol = 1e-8 (:mod:`mblkit.solvers.spectrum`) that is
#: ~1e-8; 4 rtol leaves a margin for V V^dagger against V^dagger V. Measured: ~4e-15 at L = 8.
SUM_RULE_TOL = 4 * DEFAULT_RTOL

#: Windows of |omega| for p_{Omega|omega} (Fig. 2c-f): |omega| < 1e-4, then decades up to 1.
OMEGA_WINDOWS = (0.0, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)
#: Default bins, ten per decade, wide enough that nothing physical falls outside at L <= 14.
DEFAULT_BINS: dict[str, LogBins] = {
    "omega": LogBins(1e-14, 10.0, 150), "z": LogBins(1e-20, 1.0, 200),
    "depolarisation": LogBins(1e-16, 1.0, 160), "x": LogBins(1e-8, 1e24, 320),
    "chi": LogBins(1e-8, 1e24, 320), "kappa": LogBins(1e-8, 1e16, 240)}


@dataclass(frozen=True)
class ResonanceBins:
    """Log bins of every resonance histogram (ten per decade by default) and the |omega|
    windows of the conditional distribution."""

    omega: LogBins = DEFAULT_BINS["omega"]
    z: LogBins = DEFAULT_BINS["z"]
    depolarisation: LogBins = DEFAULT_BINS["depolarisation"]
    x: LogBins = DEFAULT_BINS["x"]
    chi: LogBins = DEFAULT_BINS["chi"]
    kappa: LogBins = DEFAULT_BINS["kappa"]
    windows: tuple[float, ...] = field(default=OMEGA_WINDOWS)

    def __post_init__(self) -> None:
        w = np.asarray(self.windows, dtype=float)
        if w.ndim != 1 or w.size < 2 or np.any(np.diff(w) <= 0) or w[0] < 0:
            raise ValueError(f"windows={self.windows!r} is not allowed: give at least two "
                             f"ascending edges >= 0 of |omega|")

    def empty_histograms(self) -> dict[str, np.ndarray]:
        """Zero counts for every histogram of :func:`resonance_statistics`."""
        return {"omega": self.omega.empty(), "z": self.z.empty(),
                "omega_window": self.omega.empty(len(self.windows) - 1),
                "depolarisation": self.depolarisation.empty(), "x": self.x.empty(),
                "chi": self.chi.empty(), "kappa": self.kappa.empty()}


def floquet_curvature_weight(omega: np.ndarray) -> np.ndarray:
    """cot(omega / 2) / 2, the Floquet replacement of 1 / omega in the level curvature.

    Derivation: with A = sigma_j / 2, W(lambda) = W e^{i lambda A} has the spectrum of
    W_s = e^{i lambda A / 2} W e^{i lambda A / 2}, whose eigenvectors differ from those of
    W(lambda) by e^{-i lambda A / 2}, which commutes with sigma_j, so z_nn(lambda) is the same
    for both. First order in lambda for W_s: <p|n'> (e^{i theta_n} - e^{i theta_p})
    = (i / 2) A_pn (e^{i theta_n} + e^{i theta_p}), i.e. <p|n'> = A_pn cot(omega_np / 2) / 2.
    Hence d z_nn / d lambda = 2 Re sum_p <p|n'> z_np = sum_p |z_np|^2 cot(omega_np / 2) / 2.
    (Checked against a finite difference in lambda in the tests.)
    """
    return 0.5 / np.tan(0.5 * np.asarray(omega))


def resonance_statistics(quasienergies: np.ndarray, vectors: np.ndarray,
                         sigma_vectors: np.ndarray, bins: ResonanceBins | None = None,
                         three_level: bool = True, block: int = 256,
                         sum_rule_tol: float = SUM_RULE_TOL) -> dict:
    """Histograms and averages of the resonance statistics of one site (module docstring).

    ``vectors`` are the eigenvectors V (columns) of the Floquet operator, ``quasienergies``
    their theta_n, ``sigma_vectors`` = sigma_j V (same shape). Returns a record fragment
    ``{"histograms": {...}, "scalars": {...}}``: histograms "omega", "omega_window" (2-D:
    Omega slots x windows), "z", "depolarisation", "x", "chi", "kappa" (of |kappa|); scalars
    "mean_depolarisation", "mean_z" (<Z_mn>, n != m), "mean_z3" (<Z_np Z_pm Z_mn>, distinct;
    only if ``three_level``), "sum_rule_error" (max_n |sum_m |z_nm|^2 - 1|).

    Raises VerificationError if "sum_rule_error" exceeds ``sum_rule_tol`` (default
    :data:`SUM_RULE_TOL`): the vectors are not an orthonormal basis or ``sigma_vectors`` is not
    sigma_j V for an operator with sigma^2 = 1.
    """
    bins = ResonanceBins() if bins is None else bins
    theta = np.ascontiguousarray(quasienergies, dtype=np.float64)
    dim = theta.shape[0]
    if vectors.shape != (dim, dim) or sigma_vectors.shape != (dim, dim):
        raise ValueError(f"vectors {vectors.shape} and sigma_vectors {sigma_vectors.shape} "
                         f"must both be ({dim}, {dim}) for {dim} quasienergies")
    if dim < 3:
        raise ValueError(f"resonance statistics need at least 3 levels, got {dim}")
    hist = bins.empty_histograms()
    chi = np.empty(dim)
    kappa = np.empty(dim)
    row_norm = np.empty(dim)
    z_off = np.zeros((dim, dim) if three_level else (1, 1))
    windows = np.asarray(bins.windows, dtype=np.float64)
    for start in range(0, dim, block):
        rows = slice(start, min(dim, start + block))
        z = np.ascontiguousarray(vectors[:, rows].conj().T @ sigma_vectors)
        resonance_rows(z, start, theta, windows, bins.omega.params, bins.z.params,
                       bins.x.params, bins.kappa.params, hist["omega"], hist["omega_window"],
                       hist["z"], hist["x"], chi, kappa, row_norm, z_off, three_level)
    z_diag = np.einsum("ij,ij->j", vectors.conj(), sigma_vectors).real
    depolarisation = 1.0 - z_diag**2
    hist["depolarisation"] = bins.depolarisation.count(np.clip(depolarisation, 0.0, None))
    hist["chi"] = bins.chi.count(chi)
    hist["kappa"] = bins.kappa.count(np.abs(kappa))
    sum_rule_error = float(np.max(np.abs(row_norm - 1.0)))
    if not sum_rule_error <= sum_rule_tol:
        raise VerificationError(f"resonance statistics: the sum rule sum_m |z_nm|^2 = 1 fails "
                                f"by {sum_rule_error:.3e} > {sum_rule_tol:.1e} (vectors not "
                                f"orthonormal, or sigma_vectors is not sigma_j V)")
    off_sum = float(np.sum(row_norm - z_diag**2))
    scalars = {"mean_depolarisation": float(depolarisation.mean()),
               "mean_z": off_sum / (dim * (dim - 1)),
               "sum_rule_error": sum_rule_error}
    if three_level:
        total = 0.0
        for start in range(0, dim, block):
            rows = slice(start, min(dim, start + block))
            total += float(np.einsum("ij,ji->", z_off[rows] @ z_off, z_off[:, rows]))
        scalars["mean_z3"] = total / (dim * (dim - 1) * (dim - 2))
    return {"histograms": hist, "scalars": scalars}
