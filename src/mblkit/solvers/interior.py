"""Interior (mid-spectrum) eigenpairs of a sparse Hermitian matrix.

k eigenpairs nearest a target energy sigma, by one of (``method=``):

* ``"pardiso"``: ARPACK's Lanczos on (H - sigma)^-1 with MKL PARDISO's symmetric-indefinite
  LDL^T factorisation (optional extra ``mblkit[fast]``; real H only);
* ``"superlu"``: the same with SciPy's SuperLU (always there; settings below), and a retry with
  partial pivoting if the fast settings fail verification;
* ``"polyfilter"``: Lanczos on a Chebyshev-Jackson delta filter p(H), sparse products only
  (:mod:`mblkit.solvers.polyfilter`);
* ``"auto"`` (default): PARDISO where it is installed, H is real and dim >= ``PARDISO_MIN_DIM``,
  with SuperLU as the fallback if it is not or if PARDISO's pairs fail verification; SuperLU
  otherwise.

Measured for 50 pairs at W = 5 (benchmarks/bench_interior.py, 2 cores shared with other jobs,
min of 2-3 runs; time / peak memory of the whole process):

    XXZ L = 16 (dim 12 870):        eigsh default 20.5 s / 516 MB, SuperLU fast 6.7 s / 320 MB,
                                    PARDISO 3.3 s / 250 MB, polynomial filter 69 s / 254 MB;
    bubble L = 14, n_GOE = 4 (13 728): 63 s / 726 MB, 23 s / 540 MB, 8.0 s / 294 MB, 121 s / 259 MB;
    bubble L = 15 (25 740):          SuperLU fast 87 s / 1.7 GB, PARDISO 14 s / 470 MB;

and on an idle machine XXZ L = 18 (48 620): SuperLU fast 128 s / 4.2 GB, PARDISO 22.5 s /
531 MB. PARDISO's residuals are ~1e-15 against SuperLU-fast's 1e-12 to 3e-10. Below dim ~5000
SuperLU is as fast or faster (dim 3432: 0.84 s against 1.0 s; 6435: 4.7 s against 3.8 s). The
polynomial filter needs 20-30 dim products of H (degree K x Lanczos steps) and is never chosen
automatically: 7x PARDISO's time at dim 3432, 21x at 12 870, growing with dim.

The default target is the spectral centre (E_min + E_max) / 2 (``ergodic-bubble-inclusions.txt``,
the paragraph after Eq. 4), with the extremes from Lanczos. Every pair is verified like full ED
(residuals, orthonormality), and with ``certify=True`` (default) Sylvester inertia at the edges
of the window the pairs span certifies that they are the k nearest the target
(:mod:`mblkit.solvers.inertia`; two more sparse factorisations: PARDISO's LDL^T where it is
installed, H is real and dim >= PARDISO_MIN_DIM, SuperLU's symmetric LDL^dagger otherwise).
Measured at XXZ L = 16 (dim 12 870, W = 5, k = 50, loaded machine): one count 1.3-2.3 s with
PARDISO against a solve of 8-11 s (PARDISO) or 17 s (SuperLU); one SuperLU count 8.5-9.6 s,
so a SuperLU-only certificate doubles the cost of a SuperLU solve. Two pairs beyond the k are
computed to place the window's edges halfway to the next level. A failure raises
VerificationError; a missing pair is one.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from mblkit.solvers.inertia import certify_nearest
from mblkit.solvers.pardiso import PARDISO_MIN_DIM, PardisoLDL, pardiso_available
from mblkit.solvers.polyfilter import eigh_polyfilter
from mblkit.solvers.spectrum import (
    DEFAULT_RTOL,
    Spectrum,
    VerificationError,
    orthonormality_error,
    residuals,
    vector_error_bounds,
    verify,
)


def spectral_extremes(H: sp.spmatrix, tol: float = 1e-10) -> tuple[float, float]:
    """(E_min, E_max) by Lanczos (ARPACK)."""
    rng = np.random.default_rng(2024)
    v0 = rng.standard_normal(H.shape[0])
    low = spla.eigsh(H, k=1, which="SA", tol=tol, v0=v0, return_eigenvectors=False)[0]
    high = spla.eigsh(H, k=1, which="LA", tol=tol, v0=v0, return_eigenvectors=False)[0]
    return float(low), float(high)


def spectral_centre(H: sp.spmatrix) -> float:
    """(E_min + E_max) / 2, the target of mid-spectrum studies."""
    low, high = spectral_extremes(H)
    return 0.5 * (low + high)


# SuperLU settings, measured on the XXZ S^z = 0 sector at L = 16 (N = 12870, 50 pairs, see
# benchmarks/RESULTS.md): symmetric mode with minimum degree on A^T + A and no pivoting keeps
# the factor symmetric and small: 3.7 s / 351 MB against 8.7 s / 421 MB for eigsh's default
# (COLAMD with partial pivoting); with pivoting, the same ordering took 22 s. Without pivoting
# the solves are less accurate (residuals 1e-11 at L = 16, 3e-10 at L = 18, still far inside
# the verification), so a failed verification is retried once with the pivoting default.
FAST_LU = {"permc_spec": "MMD_AT_PLUS_A",
           "options": {"SymmetricMode": True}, "diag_pivot_thresh": 0.0}
SAFE_LU: dict = {}


def shift_invert_operator(H: sp.spmatrix, sigma: float, lu_options: dict | None = None
                          ) -> spla.LinearOperator:
    """x -> (H - sigma)^-1 x via one SuperLU factorisation (``FAST_LU`` settings by default)."""
    shifted = (H - sigma * sp.identity(H.shape[0], dtype=H.dtype, format="csr")).tocsc()
    lu = spla.splu(shifted, **(FAST_LU if lu_options is None else lu_options))
    return spla.LinearOperator(H.shape, matvec=lu.solve, dtype=H.dtype)


#: Methods of :func:`eigh_interior`. (Below :data:`PARDISO_MIN_DIM` "auto" takes SuperLU.)
METHODS = ("auto", "superlu", "pardiso", "polyfilter")


#: Pairs computed beyond the k asked for, to place the certified window's edges.
EXTRA_PAIRS = 2


def finish_interior(H: sp.csr_matrix, energies: np.ndarray, vecs: np.ndarray, k: int,
                    target: float, scale: float, method: str, rtol: float, certify: bool,
                    pardiso: bool | None = None) -> Spectrum:
    """Keep the k computed pairs nearest ``target`` (of possibly more), verify them, certify
    them by inertia (if ``certify``) and attach Davis-Kahan bounds."""
    order = np.argsort(np.abs(energies - target), kind="stable")[:k]
    order = order[np.argsort(energies[order], kind="stable")]
    kept, kept_vecs = energies[order], vecs[:, order]
    per_pair = residuals(H, kept, kept_vecs)
    residual = float(np.max(per_pair))
    scale = max(scale, float(np.max(np.abs(kept))))
    spectrum = verify(Spectrum(kept, kept_vecs, residual, orthonormality_error(kept_vecs),
                               method if certify else f"{method}, not certified", target),
                      scale, rtol)
    window = None
    if certify:
        _, window = certify_nearest(H, energies, target, k, residual, method, pardiso)
    return replace(spectrum, window=window,
                   vector_errors=vector_error_bounds(kept, per_pair, window))


def _shift_invert_eigsh(H: sp.csr_matrix, k: int, target: float,
                        op_inv: spla.LinearOperator, certify: bool
                        ) -> tuple[np.ndarray, np.ndarray]:
    """ARPACK on (H - target)^-1: k pairs, plus EXTRA_PAIRS for the certificate."""
    wanted = min(k + EXTRA_PAIRS, H.shape[0] - 2) if certify else k
    return spla.eigsh(H, k=wanted, sigma=target, which="LM", OPinv=op_inv,
                      v0=np.random.default_rng(7).standard_normal(H.shape[0]))


def _superlu_pairs(H: sp.csr_matrix, k: int, target: float, scale: float, lu_options: dict,
                   rtol: float, certify: bool) -> Spectrum:
    name = "superlu-fast" if lu_options is FAST_LU else "superlu-pivoting"
    op_inv = shift_invert_operator(H, target, lu_options)
    pairs = _shift_invert_eigsh(H, k, target, op_inv, certify)
    del op_inv  # the factorisation is freed before the certificate's (one at a time)
    return finish_interior(H, *pairs, k, target, scale, f"shift-invert({name})", rtol,
                           certify)  # counts by PARDISO where it is there (4-6x cheaper)


def _superlu(H: sp.csr_matrix, k: int, target: float, scale: float, rtol: float,
             certify: bool = True) -> Spectrum:
    """SuperLU with the fast settings, retried once with partial pivoting."""
    try:
        return _superlu_pairs(H, k, target, scale, FAST_LU, rtol, certify)
    except VerificationError:
        return _superlu_pairs(H, k, target, scale, SAFE_LU, rtol, certify)


def _pardiso(H: sp.csr_matrix, k: int, target: float, scale: float, rtol: float,
             certify: bool = True) -> Spectrum:
    with PardisoLDL(H, target) as ldl:
        op_inv = spla.LinearOperator(H.shape, matvec=ldl.solve, dtype=H.dtype)
        pairs = _shift_invert_eigsh(H, k, target, op_inv, certify)
    return finish_interior(H, *pairs, k, target, scale, "shift-invert(pardiso-ldl)", rtol,
                           certify)


def choose_method(H: sp.spmatrix) -> str:
    """The method "auto" starts with: "pardiso" if installed, H real and dim >= PARDISO_MIN_DIM,
    else "superlu"."""
    real = not np.iscomplexobj(H.data if sp.issparse(H) else H)
    if real and H.shape[0] >= PARDISO_MIN_DIM and pardiso_available():
        return "pardiso"
    return "superlu"


def eigh_interior(H: sp.spmatrix, k: int = 50, target: float | None = None,
                  rtol: float = DEFAULT_RTOL, method: str = "auto", certify: bool = True
                  ) -> Spectrum:
    """The ``k`` eigenpairs of sparse Hermitian ``H`` nearest ``target`` (default: centre).

    ``method`` is one of :data:`METHODS` (see the module docstring). Returns a
    :class:`Spectrum` with ascending energies, the target it used, and in ``method`` the route
    that produced it (after any fallback). Raises VerificationError if a residual, the
    orthonormality (or, for the filter, completeness) fails the check; "auto" first falls
    back from PARDISO to SuperLU. ``certify``: Sylvester inertia at the window's edges
    (module docstring) proves the pairs are the k nearest and fills ``Spectrum.window``;
    without it the method string says "not certified". With ``certify``, a k that splits a
    degenerate multiplet, or two levels equally far from the target (a spectrum symmetric
    about it with odd k), raises VerificationError: the k nearest are not defined there.
    Raises ImportError for "pardiso" without pypardiso.
    """
    if method not in METHODS:
        raise ValueError(f"method={method!r} is not allowed: use one of {METHODS}")
    if not sp.issparse(H) or H.ndim != 2 or H.shape[0] != H.shape[1]:
        raise ValueError("H must be a square scipy.sparse matrix")
    dim = H.shape[0]
    if not isinstance(k, int | np.integer) or not 1 <= k < dim - 1:
        raise ValueError(f"k={k!r} is not allowed: it must be an integer in 1..{dim - 2} "
                         f"(dim - 2); for more pairs use full ED (mblkit.solvers.eigh)")
    if target is not None:
        try:
            finite = not isinstance(target, bool) and bool(np.isfinite(float(target)))
        except (TypeError, ValueError):
            finite = False
        if not finite:
            raise ValueError(f"target={target!r} is not allowed: it must be a finite energy "
                             f"(or None for the spectral centre)")
    H = sp.csr_matrix(H)
    if method == "pardiso" and np.iscomplexobj(H.data):
        raise ValueError("method='pardiso' is not allowed for a complex H (pypardiso takes "
                         "real matrices only): use 'superlu', 'polyfilter' or 'auto'")
    extremes = None
    if target is None:
        extremes = spectral_extremes(H)
        target = 0.5 * (extremes[0] + extremes[1])
        scale = max(abs(extremes[0]), abs(extremes[1]))
    else:
        scale = abs(float(target))
    target = float(target)
    if method == "polyfilter":
        return eigh_polyfilter(H, k, target, extremes or spectral_extremes(H), rtol,
                               certify=certify)
    if method == "superlu":
        return _superlu(H, k, target, scale, rtol, certify)
    if method == "pardiso":
        return _pardiso(H, k, target, scale, rtol, certify)
    if choose_method(H) == "pardiso":
        try:
            return _pardiso(H, k, target, scale, rtol, certify)
        except VerificationError as err:
            spectrum = _superlu(H, k, target, scale, rtol, certify)
            return replace(spectrum, method=f"{spectrum.method}, after pardiso failed: {err}")
    return _superlu(H, k, target, scale, rtol, certify)
