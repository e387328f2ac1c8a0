"""Cost of verification against the solve it checks (issue 14), interleaved in one process.

* dense ``eigh`` of a GOE matrix of dimension N: LAPACK ?syevd alone, against the checks
  ``eigh`` adds (Hutchinson probes of the residual and orthonormality, Davis-Kahan bounds);
* ``eigu`` of a Haar-like unitary (QR of a Ginibre matrix): the same for the orthonormality
  probes and the bounds (the residual U V is part of the Hermitian route itself);
* ``eigh_interior`` on the XXZ chain (W = 5, n_up = L // 2): with and without ``certify``
  (two more sparse factorisations for the Sylvester inertia count).

Usage: python benchmarks/bench_verification.py [--dense N] [--L L] [--k K] [--repeats R]
                                               [--methods superlu,pardiso]
Prints min and median of R interleaved repeats and their ratios.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.linalg

from mblkit.models import XXZChain
from mblkit.solvers import eigh_interior, pardiso_available
from mblkit.solvers.spectrum import (
    orthonormality_error,
    probe_residual,
    vector_error_bounds,
)
from mblkit.solvers.unitary import circle_vector_error_bounds


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def report(name, base, cand):
    base, cand = np.array(base), np.array(cand)
    print(f"{name}: solve min {base.min():.3f} s median {np.median(base):.3f} s; "
          f"checks min {cand.min():.4f} s median {np.median(cand):.4f} s; "
          f"ratio (median) {np.median(cand) / np.median(base):.4f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dense", type=int, default=2048)
    ap.add_argument("--L", type=int, default=14)
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--methods", default="superlu,pardiso")
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    n = args.dense
    a = rng.standard_normal((n, n))
    a = (a + a.T) / np.sqrt(2 * n)
    z = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    q, _ = np.linalg.qr(z)
    solve, check, usolve, ucheck = [], [], [], []
    for _ in range(args.repeats):
        t, (e, v) = timed(lambda: scipy.linalg.eigh(a, driver="evd"))
        solve.append(t)
        check.append(timed(lambda e=e, v=v: (probe_residual(a, e, v), orthonormality_error(v),
                                             vector_error_bounds(e, 1e-14)))[0])
        t, (mu, w) = timed(lambda: scipy.linalg.eig(q))
        usolve.append(t)
        ucheck.append(timed(lambda mu=mu, w=w: (
            orthonormality_error(w),
            circle_vector_error_bounds(np.sort(np.angle(mu)), np.full(n, 1e-14))))[0])
    report(f"eigh N={n}", solve, check)
    report(f"eigu probes N={n} (against zgeev)", usolve, ucheck)
    model = XXZChain(L=args.L, W=5.0)
    H = model.hamiltonian(model.sample(rng), args.L // 2)
    target = 0.0
    for method in args.methods.split(","):
        if method == "pardiso" and not pardiso_available():
            continue
        plain, certified = [], []
        for _ in range(args.repeats):
            plain.append(timed(lambda m=method: eigh_interior(H, args.k, target, method=m,
                                                              certify=False))[0])
            certified.append(timed(lambda m=method: eigh_interior(H, args.k, target, method=m))[0])
        extra = [c - p for c, p in zip(certified, plain, strict=True)]
        report(f"eigh_interior {method} L={args.L} dim={H.shape[0]} k={args.k} "
               f"(checks = certified - uncertified)", plain, extra)


if __name__ == "__main__":
    main()
