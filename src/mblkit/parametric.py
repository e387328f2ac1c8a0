"""Parametric level dynamics of a Floquet operator: levels tracked through avoided crossings.

An algorithm that drives the solver (:func:`mblkit.solvers.unitary.eigu`) along a path of
operators W(lambda), adaptively: it sits above solvers and beside observables (it was
``mblkit.observables.parametric`` until issue 14), and is used by the figures.

``resonant-energy-scales-floquet.txt`` Sec. III and Apps. B-C. The field of site j is varied,
h_j(lambda) = h_j + lambda, which for the brickwork circuit is W(lambda) = W e^{i lambda sigma_j/2}
(:meth:`mblkit.models.BrickworkCircuit.shift_field`). With W(lambda) |n> = e^{i theta_n} |n>,
z_nm = <n|sigma_j|m>, omega_nm = theta_n - theta_m wrapped to (-pi, pi] (the conventions of
:mod:`mblkit.observables.resonances`) and y_nm = (z_nn - z_mm) / 2:

* Eq. 1 (exact): d theta_n / d lambda = z_nn / 2, so d omega_nm / d lambda = y_nm.
* First-order perturbation theory of W(lambda) = W e^{i lambda A}, A = sigma_j / 2, gives in
  the parallel-transport gauge <n|dn/d lambda> = 0: <p|dn/d lambda> = A_pn [g(omega_np)
  - i/2], with g(omega) = cot(omega / 2) / 2 the Floquet form of the paper's 1/omega (Eq. 1
  with i[1 - e^{-i omega}]^{-1} = g + i/2 is the same for e^{i lambda A} W). The -i/2 is the
  frame rotation e^{-i lambda A / 2} to the symmetric e^{i lambda A/2} W e^{i lambda A/2},
  which commutes with sigma_j (:func:`mblkit.observables.resonances.floquet_curvature_weight`).
  Then, exactly, d z_nm / d lambda = -[g(omega_nm) + i/2] y_nm z_nm + rest_z, rest_z = (1/2)
  sum_{p != n,m} [g(omega_np) + g(omega_mp)] z_np z_pm, and d y_nm / d lambda =
  g(omega_nm) |z_nm|^2 + rest_y, rest_y = (1/2) sum_{p != n,m} [|z_np|^2 g(omega_np) -
  |z_mp|^2 g(omega_mp)]: Eq. 2 with 1/omega -> g(omega); the i/2 only turns the phase of
  z_nm and drops out of every modulus below.
* Two-level conservation laws (Eq. 3, App. B), exact for Floquet when rest_z = rest_y = 0:
  R^2 = y^2 + |z|^2 and Omega_F = |z_nm| |2 sin(omega_nm / 2)| = |z_nm| |e^{i theta_n} -
  e^{i theta_m}| are constant (d/d lambda [2 sin(omega/2) z] = cos(omega/2) y z - 2 sin(omega/2)
  g(omega) z y = 0). The Floquet form of Eq. B2 is cos(omega / 2) = cos(omega* / 2)
  cos(R (lambda - lambda*) / 2) and of Eq. B3 |z| = R sin(omega*/2) / |sin(omega/2)|, so
  Omega_F = 2 R sin(omega* / 2). For |omega| << 1 these are the paper's omega^2 = R^2
  (lambda - lambda*)^2 + omega*^2 and Omega = |z omega| = R omega*. We use Omega_F because it
  is the exact invariant of a two-level unitary (for the paper's |omega| << 1 the two agree to
  a relative O(omega^2 / 24)) and is unchanged by the 2 pi ambiguity of omega.
* Beyond two levels (App. C, Eq. C1 in Floquet form, exact):
  d Omega_F^2 / d lambda = sum_{p != n,m} f_nmp (z_np z_pm z_mn + c.c.),
  f_nmp = sin^2(omega_nm / 2) [cot(omega_np / 2) + cot(omega_mp / 2)]  (-> the paper's
  (1/2) omega_nm^2 [1/omega_np + 1/omega_mp]); and d R^2 / d lambda = 2 y rest_y
  + 2 Re(z_nm^* rest_z). :func:`track_levels` records both rates along the track, so the
  non-conservation measured along a track can be compared with the couplings that cause it.

Tracking convention. :func:`track_levels` follows each eigenvector *adiabatically*: the label
n at lambda is the eigenvector reached by continuous following of |n(lambda_0)>, found by a
maximum-overlap assignment (Hungarian, ``scipy.optimize.linear_sum_assignment`` on
|<n(lambda_a)|m(lambda_b)>|^2) between consecutive points, and steps are bisected until every
followed level has overlap >= ``min_overlap`` with its predecessor and keeps its cyclic order
on the quasienergy circle relative to every level. Generic levels of W (no symmetry) do not
cross, so adiabatic labels never cross: at a resolved avoided crossing of n and m the labels
keep their quasienergy order and *exchange their diabatic character* (z_nn and z_mm change
sign, omega_nm keeps its sign). Where the bisection reaches ``min_step`` without resolving a
crossing (gaps below ~ R min_step, including exact crossings of levels with z_nm = 0), the
assignment follows the larger overlap, i.e. the diabatic partner, and the passage is recorded
in :attr:`ParametricTrack.passages`.

App. C's convention exchanges the labels at the centres of avoided crossings, so that the
polarisations z_nn keep their sign on both sides and omega_nm changes sign there (omega* ->
-omega*); :func:`exchange_labels` turns an adiabatic track into that convention given the
crossings found by :func:`find_avoided_crossings`. In that convention the quasienergy of a
label jumps by the gap omega* at lambda*.

sigma_j is the field operator of the *unshifted* realisation: W(lambda) = W e^{i lambda sigma_j/2}
keeps it fixed, whereas asking a shifted realisation for sigma_j returns -sigma_j once h_j +
lambda leaves (0, pi] (:func:`mblkit.models.brickwork.su2_axis`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy.optimize import least_squares, linear_sum_assignment

from mblkit.memory import require_memory
from mblkit.solvers.unitary import eigu

#: Steps longer than this are always bisected: it keeps the change of any wrapped
#: quasienergy difference per step (at most |lambda step| for |z_nn| <= 1) far below pi / 2.
MAX_STEP = 0.05
_PAIR_CHUNK = 1 << 20  # pairs x levels per block of the App. C sums


def wrap_difference(delta: np.ndarray) -> np.ndarray:
    """Angles mapped to (-pi, pi], the convention of omega_nm."""
    return np.pi - np.mod(np.pi - np.asarray(delta, dtype=float), 2 * np.pi)


def curvature_weight(omega: np.ndarray) -> np.ndarray:
    """g(omega) = cot(omega / 2) / 2, the Floquet replacement of 1 / omega (module docstring)."""
    return 0.5 / np.tan(0.5 * np.asarray(omega, dtype=float))


def resonant_scale(z: np.ndarray, omega: np.ndarray) -> np.ndarray:
    """Omega_F = |z| |2 sin(omega / 2)|: the Floquet form of Omega = |z omega| (Eqs. 3-4),
    exactly conserved through a two-level avoided crossing (module docstring)."""
    return np.abs(z) * np.abs(2.0 * np.sin(0.5 * np.asarray(omega, dtype=float)))


@dataclass(frozen=True)
class DiabaticPassage:
    """A step of length <= ``min_step`` that the bisection could not resolve.

    Between ``lam_a`` and ``lam_b`` the followed level ``level`` (a label) either had overlap
    ``overlap`` < ``min_overlap`` with its assigned successor or changed its cyclic order with
    ``partner`` (a label if that level is followed, else -1; -1 also when only the overlap
    failed). The assignment there followed the larger overlap (the diabatic partner).
    """

    lam_a: float
    lam_b: float
    level: int
    partner: int
    overlap: float


@dataclass(frozen=True)
class ParametricTrack:
    """Levels of W(lambda) = W e^{i lambda sigma_j / 2} followed along ``lambdas``.

    Every array is indexed first by the point of ``lambdas`` (K points). Labels are eigu
    indices (quasienergy order in [-pi, pi)) at ``lambdas[0]``.

    lambdas : (K,) the requested points (refinement points are not returned).
    site : the site j whose field is varied.
    levels : (F,) the followed labels; column f of the per-level arrays is label levels[f].
    quasienergies : (K, F) theta_n(lambda), unwrapped, continuous along an adiabatic track.
    polarisations : (K, F) z_nn(lambda) = <n|sigma_j|n> (real).
    eigen_index : (K, F) the eigu index (ascending quasienergy in [-pi, pi)) of each label.
    pairs : (P, 2) label pairs (n, m) whose matrix elements are recorded.
    pair_elements : (K, P) complex z_nm, in the discrete parallel-transport gauge
        (<n(lambda_a)|n(lambda_b)> real positive between consecutive points); only |z_nm|
        and gauge-invariant products are physical.
    omega_squared_rates : (K, P) d Omega_F^2 / d lambda from the levels p != n, m (Eq. C1,
        Floquet form, module docstring); zero for an isolated pair.
    r_squared_rates : (K, P) d R^2 / d lambda from the levels p != n, m.
    passages : unresolved steps (:class:`DiabaticPassage`).
    n_solves : eigendecompositions done (K plus the refinement points).
    convention : "adiabatic" (:func:`track_levels`) or "exchanged" (:func:`exchange_labels`).
    """

    lambdas: np.ndarray
    site: int
    levels: np.ndarray
    quasienergies: np.ndarray
    polarisations: np.ndarray
    eigen_index: np.ndarray
    pairs: np.ndarray
    pair_elements: np.ndarray
    omega_squared_rates: np.ndarray
    r_squared_rates: np.ndarray
    passages: tuple[DiabaticPassage, ...]
    n_solves: int
    convention: str = "adiabatic"

    def column(self, n: int) -> int:
        """Column of label ``n`` in the per-level arrays."""
        hits = np.flatnonzero(self.levels == n)
        if hits.size == 0:
            raise ValueError(f"level n={n!r} is not followed by this track: use one of "
                             f"{self.levels.tolist()}")
        return int(hits[0])

    def _pair_column(self, n: int, m: int) -> tuple[int, bool]:
        hit = np.flatnonzero((self.pairs[:, 0] == n) & (self.pairs[:, 1] == m))
        if hit.size:
            return int(hit[0]), False
        hit = np.flatnonzero((self.pairs[:, 0] == m) & (self.pairs[:, 1] == n))
        if hit.size:
            return int(hit[0]), True
        raise ValueError(f"pair (n, m)=({n!r}, {m!r}) is not recorded by this track: pass it "
                         f"in pairs= to track_levels")

    def quasienergy(self, n: int) -> np.ndarray:
        """theta_n(lambda), unwrapped."""
        return self.quasienergies[:, self.column(n)]

    def polarisation(self, n: int) -> np.ndarray:
        """z_nn(lambda)."""
        return self.polarisations[:, self.column(n)]

    def omega(self, n: int, m: int) -> np.ndarray:
        """omega_nm(lambda) = theta_n - theta_m wrapped to (-pi, pi]."""
        return wrap_difference(self.quasienergy(n) - self.quasienergy(m))

    def y(self, n: int, m: int) -> np.ndarray:
        """y_nm(lambda) = (z_nn - z_mm) / 2 = d omega_nm / d lambda (Eq. 1)."""
        return 0.5 * (self.polarisation(n) - self.polarisation(m))

    def matrix_element(self, n: int, m: int) -> np.ndarray:
        """z_nm(lambda) (complex, parallel-transport gauge; z_mn = z_nm^*)."""
        col, flipped = self._pair_column(n, m)
        z = self.pair_elements[:, col]
        return z.conj() if flipped else z.copy()

    def omega_squared_rate(self, n: int, m: int) -> np.ndarray:
        """d Omega_F^2 / d lambda from the other levels (Eq. C1, Floquet form)."""
        return self.omega_squared_rates[:, self._pair_column(n, m)[0]].copy()

    def r_squared_rate(self, n: int, m: int) -> np.ndarray:
        """d R^2 / d lambda from the other levels."""
        return self.r_squared_rates[:, self._pair_column(n, m)[0]].copy()

    def resonant_scale(self, n: int, m: int) -> np.ndarray:
        """Omega_F(lambda) = |z_nm| |2 sin(omega_nm / 2)|."""
        return resonant_scale(self.matrix_element(n, m), self.omega(n, m))

    def r_squared(self, n: int, m: int) -> np.ndarray:
        """R^2(lambda) = y_nm^2 + |z_nm|^2 (App. B)."""
        return self.y(n, m) ** 2 + np.abs(self.matrix_element(n, m)) ** 2


@dataclass
class _Point:
    lam: float
    theta: np.ndarray  # eigu quasienergies, ascending in [-pi, pi)
    vectors: np.ndarray  # columns; followed columns in the parallel-transport gauge


def _check_lambdas(lambdas: Any) -> np.ndarray:
    lam = np.asarray(lambdas, dtype=float)
    if lam.ndim != 1 or lam.size < 2:
        raise ValueError(f"lambdas must be a 1-D array of at least 2 points, got shape "
                         f"{lam.shape}")
    if not np.all(np.isfinite(lam)):
        raise ValueError("lambdas must be finite")
    step = np.diff(lam)
    if not (np.all(step > 0) or np.all(step < 0)):
        raise ValueError("lambdas must be strictly monotonic (increasing or decreasing)")
    return lam


def _check_site(model: Any, site: Any) -> int:
    if not isinstance(site, int | np.integer) or isinstance(site, bool):
        raise ValueError(f"site={site!r} must be an integer")
    n_sites = getattr(model, "L", None)
    if site < 0 or (n_sites is not None and site >= n_sites):
        allowed = "an index >= 0" if n_sites is None else f"0..{n_sites - 1}"
        raise ValueError(f"site={site} is outside the chain: use {allowed}")
    return int(site)


def _check_levels(levels: Any, dim: int) -> np.ndarray:
    if levels is None:
        return np.arange(dim)
    lev = np.asarray(levels)
    if (lev.ndim != 1 or lev.size == 0 or not np.issubdtype(lev.dtype, np.integer)
            or np.any(lev < 0) or np.any(lev >= dim) or np.unique(lev).size != lev.size):
        raise ValueError(f"levels={levels!r} is not allowed: give distinct integer labels in "
                         f"0..{dim - 1}")
    return lev.astype(int)


def _check_pairs(pairs: Any, levels: np.ndarray) -> np.ndarray:
    if pairs is None:
        a, b = np.triu_indices(levels.size, k=1)
        return np.stack([levels[a], levels[b]], axis=1).astype(int)
    pr = np.asarray(pairs)
    if pr.size == 0:
        return np.zeros((0, 2), dtype=int)
    if pr.ndim == 1 and pr.size == 2:
        pr = pr[None, :]
    if (pr.ndim != 2 or pr.shape[1] != 2 or not np.issubdtype(pr.dtype, np.integer)
            or np.any(pr[:, 0] == pr[:, 1]) or not np.all(np.isin(pr, levels))):
        raise ValueError(f"pairs={pairs!r} is not allowed: give (n, m) with n != m, both "
                         f"among the followed levels")
    return pr.astype(int)


def track_levels(model: Any, realisation: Any, site: int, lambdas: Any, *,
                 levels: Any = None, pairs: Any = None, min_overlap: float = 0.9,
                 min_step: float = 1e-9, max_step: float = MAX_STEP,
                 max_solves: int = 20_000) -> ParametricTrack:
    """Follow the levels of W(lambda) = W e^{i lambda sigma_j / 2} along ``lambdas``.

    ``resonant-energy-scales-floquet.txt`` Sec. III, Eqs. 1-3; conventions and the tracking
    rule (adiabatic following, with unresolved passages recorded) in the module docstring.

    ``model`` is anything with ``unitary(realisation)``, ``shift_field(realisation, j, lam)``
    and ``apply_field_operator(realisation, j, states)`` (the
    :class:`mblkit.models.BrickworkCircuit` interface; ``model.L``, if present, bounds
    ``site``). ``lambdas``: strictly monotonic, at least 2 points. ``levels``: labels (eigu
    indices at ``lambdas[0]``) to follow, default all; only they steer the step refinement.
    ``pairs``: (n, m) label pairs whose z_nm and App. C rates are recorded, default every
    pair of followed levels (F (F - 1) / 2 of them: pass explicit pairs for large F). A step
    is bisected while some followed level has overlap below ``min_overlap`` with its
    successor or changes cyclic order with any level, or while it is longer than
    ``max_step``, down to ``min_step``. Raises RuntimeError after ``max_solves``
    eigendecompositions.
    """
    lam = _check_lambdas(lambdas)
    site = _check_site(model, site)
    if not 0.5 < min_overlap < 1:
        raise ValueError(f"min_overlap={min_overlap!r} must lie in (0.5, 1)")
    if not 0 < min_step <= max_step:
        raise ValueError(f"min_step={min_step!r} and max_step={max_step!r} must satisfy "
                         f"0 < min_step <= max_step")
    sigma_source = realisation  # sigma_j of the unshifted realisation (module docstring)

    def solve(x: float) -> _Point:
        spectrum = eigu(model.unitary(model.shift_field(realisation, site, x)))
        return _Point(x, spectrum.quasienergies, np.array(spectrum.vectors, order="F"))

    point = solve(float(lam[0]))
    dim = point.theta.size
    levels = _check_levels(levels, dim)
    pairs = _check_pairs(pairs, levels)
    col_of = {int(n): f for f, n in enumerate(levels)}
    pair_cols = np.array([[col_of[int(n)], col_of[int(m)]] for n, m in pairs],
                         dtype=int).reshape(-1, 2)
    K, F, P = lam.size, levels.size, pairs.shape[0]
    require_memory(K * (3 * F * 8 + P * 32) + 2 * dim * dim * 16,
                   f"a track of {K} points, {F} levels and {P} pairs",
                   "pass fewer levels, explicit pairs= or fewer lambdas")
    out_theta = np.empty((K, F))
    out_z = np.empty((K, F))
    out_index = np.empty((K, F), dtype=int)
    out_pair = np.empty((K, P), dtype=complex)
    out_rate = np.empty((K, P))
    out_r2 = np.empty((K, P))
    index = levels.copy()  # eigu index of each followed level at the current point
    theta_unwrapped = point.theta[index].copy()
    passages: list[DiabaticPassage] = []
    n_solves = 1

    def record(k: int) -> None:
        out_theta[k] = theta_unwrapped
        out_index[k] = index
        z_f, z_diag, rate, r2 = _matrix_elements(model, sigma_source, site, point, index,
                                                 pair_cols)
        out_z[k] = z_diag
        out_pair[k] = z_f
        out_rate[k] = rate
        out_r2[k] = r2

    record(0)
    for k in range(1, K):
        stack: list[tuple[float, _Point | None]] = [(float(lam[k]), None)]
        while stack:
            target, solved = stack[-1]
            width = abs(target - point.lam)
            if width > max_step:
                stack.append((0.5 * (point.lam + target), None))
                continue
            if solved is None:
                if n_solves >= max_solves:
                    raise RuntimeError(
                        f"track_levels needed more than max_solves={max_solves} "
                        f"eigendecompositions; follow fewer levels or raise min_step")
                solved = solve(target)
                n_solves += 1
                stack[-1] = (target, solved)
            perm, overlap, crossed = _assign(point, solved, index)
            bad = (overlap < min_overlap) | crossed.any(axis=1)
            if bad.any() and width > min_step:
                stack.append((0.5 * (point.lam + target), None))
                continue
            for f in np.flatnonzero(bad):
                partners = np.flatnonzero(crossed[f])
                partner = -1
                if partners.size:
                    followed = np.flatnonzero(np.isin(index, partners))
                    partner = int(levels[followed[0]]) if followed.size else -1
                passages.append(DiabaticPassage(point.lam, target, int(levels[f]), partner,
                                                float(overlap[f])))
            new_index = perm[index]
            theta_unwrapped = theta_unwrapped + wrap_difference(solved.theta[new_index]
                                                                - point.theta[index])
            _transport(point.vectors[:, index], solved.vectors, new_index)
            point, index = solved, new_index
            stack.pop()
        record(k)
    return ParametricTrack(lam, site, levels, out_theta, out_z, out_index, pairs, out_pair,
                           out_rate, out_r2, tuple(passages), n_solves)


def _assign(a: _Point, b: _Point, index: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                              np.ndarray]:
    """Maximum-overlap assignment a -> b; overlaps and order changes of the followed levels.

    Returns perm (perm[i] = the eigu index at b of the level at index i at a), the overlap of
    each followed level with its successor, and crossed[f, p]: followed level f and the level
    at index p at a changed their order on the quasienergy circle (their wrapped difference
    changed sign away from the branch cut at pi).
    """
    overlaps = np.abs(a.vectors.conj().T @ b.vectors) ** 2
    rows, cols = linear_sum_assignment(overlaps, maximize=True)
    perm = np.empty_like(cols)
    perm[rows] = cols
    d_a = wrap_difference(a.theta[index][:, None] - a.theta[None, :])
    d_b = wrap_difference(b.theta[perm[index]][:, None] - b.theta[perm][None, :])
    crossed = ((np.sign(d_a) != np.sign(d_b)) & (np.abs(d_a) < np.pi / 2)
               & (np.abs(d_b) < np.pi / 2))
    crossed[np.arange(index.size), index] = False
    return perm, overlaps[index, perm[index]], crossed


def _transport(prev: np.ndarray, vectors: np.ndarray, columns: np.ndarray) -> None:
    """Fix the phases of ``vectors[:, columns]`` so that <prev_f|new_f> is real positive."""
    ov = np.einsum("ij,ij->j", prev.conj(), vectors[:, columns])
    phase = np.ones_like(ov)
    nonzero = np.abs(ov) > 0
    phase[nonzero] = ov[nonzero].conj() / np.abs(ov[nonzero])
    vectors[:, columns] *= phase


def _matrix_elements(model: Any, realisation: Any, site: int, point: _Point,
                     index: np.ndarray, pair_cols: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """z_nm of the recorded pairs, z_nn of the followed levels, and the App. C rates."""
    followed = np.ascontiguousarray(point.vectors[:, index], dtype=np.complex128)
    sigma_followed = model.apply_field_operator(realisation, site, followed)
    rows = sigma_followed.conj().T @ point.vectors  # rows[f, p] = <n_f|sigma_j|p>
    z_diag = rows[np.arange(index.size), index].real
    if pair_cols.shape[0] == 0:
        empty = np.zeros(0)
        return empty.astype(complex), z_diag, empty, empty
    z_nm = rows[pair_cols[:, 0], index[pair_cols[:, 1]]]
    rate = np.empty(pair_cols.shape[0])
    r2_rate = np.empty(pair_cols.shape[0])
    theta = point.theta
    chunk = max(1, _PAIR_CHUNK // theta.size)
    for start in range(0, pair_cols.shape[0], chunk):
        part = slice(start, start + chunk)
        fn, fm = pair_cols[part, 0], pair_cols[part, 1]
        i_n, i_m = index[fn], index[fm]
        z_np, z_mp = rows[fn], rows[fm]  # (pairs, N)
        others = np.ones((fn.size, theta.size), dtype=bool)
        others[np.arange(fn.size), i_n] = False
        others[np.arange(fn.size), i_m] = False
        with np.errstate(divide="ignore", invalid="ignore"):
            g_np = np.where(others, curvature_weight(theta[i_n][:, None] - theta[None, :]), 0.0)
            g_mp = np.where(others, curvature_weight(theta[i_m][:, None] - theta[None, :]), 0.0)
        omega = theta[i_n] - theta[i_m]
        triple = z_np * z_mp.conj() * z_nm[part].conj()[:, None]  # z_np z_pm z_mn
        rate[part] = 4.0 * np.sin(0.5 * omega) ** 2 * np.sum((g_np + g_mp) * triple.real, axis=1)
        y = 0.5 * (z_diag[fn] - z_diag[fm])
        rest_y = 0.5 * np.sum(np.abs(z_np) ** 2 * g_np - np.abs(z_mp) ** 2 * g_mp, axis=1)
        rest_z = 0.5 * np.sum((g_np + g_mp) * z_np * z_mp.conj(), axis=1)
        r2_rate[part] = 2.0 * y * rest_y + 2.0 * (z_nm[part].conj() * rest_z).real
    return z_nm, z_diag, rate, r2_rate


@dataclass(frozen=True)
class AvoidedCrossing:
    """An avoided crossing of labels (n, m) and its App. B constants (Eqs. B2-B3).

    index : the grid point of the minimum of |omega_nm|.
    lam_star, omega_star, r_squared_fit : lambda*, omega* > 0 and R^2 from a least-squares fit
        of the Floquet form of Eq. B2, |omega| = 2 arccos[cos(omega*/2) cos(R (lambda -
        lambda*)/2)], to |omega_nm| on ``window`` (-> omega^2 = R^2 (lambda - lambda*)^2 +
        omega*^2 for small omega).
    r_squared : y^2 + |z|^2 from the matrix elements, averaged over the window.
    Omega : 2 sqrt(r_squared) sin(omega*/2), the Floquet Omega = R omega* (Eq. 3, B3).
    omega_scale : Omega_F = |z| |2 sin(omega/2)| at the grid point of the minimum.
    omega_scale_spread, r_squared_spread : (max - min) / mean of Omega_F and of y^2 + |z|^2
        over the window (zero for an isolated two-level crossing).
    fit_residual : max | |omega| - fit | on the window.
    window : (first, last) grid indices of the fit window (inclusive).
    """

    n: int
    m: int
    index: int
    lam_star: float
    omega_star: float
    r_squared_fit: float
    r_squared: float
    Omega: float
    omega_scale: float
    omega_scale_spread: float
    r_squared_spread: float
    fit_residual: float
    window: tuple[int, int]


def _b2_gap(lam: np.ndarray, lam_star: float, omega_star: float, R: float) -> np.ndarray:
    c = np.cos(0.5 * omega_star) * np.cos(0.5 * R * (lam - lam_star))
    return 2.0 * np.arccos(np.clip(c, -1.0, 1.0))


def fit_avoided_crossing(lambdas: np.ndarray, gap: np.ndarray) -> tuple[float, float, float,
                                                                         float]:
    """Fit (lambda*, omega*, R) of Eq. B2 (Floquet form) to |omega| on a window around its
    minimum; returns (lambda*, omega*, R^2, max residual). Needs at least 3 points."""
    lam = np.asarray(lambdas, dtype=float)
    gap = np.abs(np.asarray(gap, dtype=float))
    if lam.size < 3 or lam.shape != gap.shape:
        raise ValueError("fit_avoided_crossing needs at least 3 (lambda, |omega|) points of "
                         "equal shape")
    k = int(np.argmin(gap))
    origin, scale = lam[k], float(np.ptp(lam))
    x = (lam - origin) / scale
    a, b, c = np.polyfit(x, gap**2, 2)
    if a > 0:
        x_star = -b / (2 * a)
        w2 = c - b * b / (4 * a)
        guess = [x_star, np.sqrt(max(w2, 0.25 * gap[k] ** 2)), np.sqrt(a) / scale]
    else:
        guess = [0.0, gap[k], 1.0]

    def residual(p: np.ndarray) -> np.ndarray:
        return _b2_gap(x, p[0], p[1], p[2] * scale) - gap

    sol = least_squares(residual, guess, method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15,
                        x_scale=[1.0, max(gap[k], 1e-300), max(guess[2], 1e-300)])
    x_star, w_star, R = sol.x
    return (float(origin + x_star * scale), float(abs(w_star)), float(R**2),
            float(np.max(np.abs(residual(sol.x)))))


def find_avoided_crossings(track: ParametricTrack, *, min_coupling: float = 0.5,
                           window: float = 4.0, pairs: Any = None) -> list[AvoidedCrossing]:
    """Avoided crossings of the recorded pairs and their App. B constants (Eqs. B2-B3).

    A crossing is an interior grid point k where |omega_nm| has a local minimum (strictly
    below the previous point, not above the next), |omega_nm| < pi / 2 and |z_nm| >=
    ``min_coupling`` (near the centre |z_nm| ~ R, and R^2 = 1 - O(J) for the pairs of opposite
    polarisation that cross at J = 0). The fit window is the run of points around k with
    |omega| <= ``window`` |omega_k|, at least k - 1 .. k + 1. ``pairs`` restricts the search
    (default: every recorded pair). Sorted by |z_nm| at the minimum, largest first.
    """
    if track.convention != "adiabatic":
        raise ValueError("find_avoided_crossings needs an adiabatic track (from track_levels)")
    if track.lambdas.size < 3:
        raise ValueError("find_avoided_crossings needs a track of at least 3 points")
    if not window > 1:
        raise ValueError(f"window={window!r} must exceed 1")
    candidates = track.pairs if pairs is None else np.asarray(pairs, dtype=int).reshape(-1, 2)
    for n, m in candidates:
        track._pair_column(int(n), int(m))
    found = []
    lam = track.lambdas
    for n, m in candidates:
        n, m = int(n), int(m)
        omega = track.omega(n, m)
        gap = np.abs(omega)
        z = np.abs(track.matrix_element(n, m))
        interior = np.arange(1, lam.size - 1)
        minima = interior[(gap[interior] < gap[interior - 1]) & (gap[interior] <= gap[interior + 1])
                          & (gap[interior] < np.pi / 2) & (z[interior] >= min_coupling)]
        for k in minima:
            lo, hi = k - 1, k + 1
            while lo > 0 and gap[lo - 1] <= window * gap[k] and gap[lo - 1] >= gap[lo]:
                lo -= 1
            while hi < lam.size - 1 and gap[hi + 1] <= window * gap[k] and gap[hi + 1] >= gap[hi]:
                hi += 1
            sl = slice(lo, hi + 1)
            lam_star, omega_star, r2_fit, resid = fit_avoided_crossing(lam[sl], gap[sl])
            r2 = track.r_squared(n, m)[sl]
            scale = resonant_scale(z[sl], omega[sl])
            r2_mean = float(np.mean(r2))
            found.append(AvoidedCrossing(
                n, m, int(k), lam_star, omega_star, r2_fit, r2_mean,
                2.0 * np.sqrt(r2_mean) * np.sin(0.5 * omega_star), float(scale[k - lo]),
                float(np.ptp(scale) / np.mean(scale)), float(np.ptp(r2) / r2_mean), resid,
                (int(lo), int(hi))))
    found.sort(key=lambda c: -abs(track.matrix_element(c.n, c.m)[c.index]))
    return found


def exchange_labels(track: ParametricTrack, crossings: list[AvoidedCrossing]
                    ) -> ParametricTrack:
    """The track in App. C's convention: labels exchanged at the centre of each crossing.

    For every crossing (n, m, lambda*) of an adiabatic ``track``, the labels n and m are
    exchanged at the grid points past lambda* (in the direction of ``lambdas``), in the order
    the crossings are met, so that z_nn keeps its sign through the crossing, omega_nm changes
    sign there, and theta_n jumps by the gap. Pair arrays are re-read from the recorded pair
    of the adiabatic labels (conjugated if recorded the other way round); a pair whose
    adiabatic counterpart was not recorded is NaN.
    """
    if track.convention != "adiabatic":
        raise ValueError("exchange_labels needs an adiabatic track (from track_levels)")
    lam = track.lambdas
    direction = np.sign(lam[-1] - lam[0])
    order = sorted(crossings, key=lambda c: direction * c.lam_star)
    F = track.levels.size
    maps = np.empty((lam.size, F), dtype=int)  # maps[k, f]: adiabatic column of new column f
    for k in range(lam.size):
        current = np.arange(F)
        for c in order:
            if direction * (lam[k] - c.lam_star) <= 0:
                break
            a, b = track.column(c.n), track.column(c.m)
            fa, fb = np.flatnonzero(current == a)[0], np.flatnonzero(current == b)[0]
            current[fa], current[fb] = b, a
        maps[k] = current
    rows = np.arange(lam.size)[:, None]
    pair_z = np.full(track.pair_elements.shape, np.nan, dtype=complex)
    rate = np.full(track.omega_squared_rates.shape, np.nan)
    r2 = np.full(track.r_squared_rates.shape, np.nan)
    lookup = {(int(n), int(m)): (i, False) for i, (n, m) in enumerate(track.pairs)}
    lookup.update({(int(m), int(n)): (i, True) for i, (n, m) in enumerate(track.pairs)})
    for k in range(lam.size):
        for p, (n, m) in enumerate(track.pairs):
            key = (int(track.levels[maps[k, track.column(n)]]),
                   int(track.levels[maps[k, track.column(m)]]))
            if key in lookup:
                i, flipped = lookup[key]
                z = track.pair_elements[k, i]
                pair_z[k, p] = z.conj() if flipped else z
                rate[k, p] = track.omega_squared_rates[k, i]
                r2[k, p] = track.r_squared_rates[k, i]
    return replace(track, quasienergies=track.quasienergies[rows, maps],
                   polarisations=track.polarisations[rows, maps],
                   eigen_index=track.eigen_index[rows, maps], pair_elements=pair_z,
                   omega_squared_rates=rate, r_squared_rates=r2, convention="exchanged")
