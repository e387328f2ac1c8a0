"""Dynamics benchmarks (issue 17): Neel quench in the random-field XXZ chain, S^z = 0.

1. ``compare``: mblkit's Chebyshev propagation (with the CSR matrix and with the matrix-free
   TermOperator) against ``scipy.sparse.linalg.expm_multiply`` on the same H, state and log
   time grid (0 and 0.1 .. t_max, 10 per decade; expm_multiply steps from one output time to
   the next), interleaved and repeated; each result's error against a reference (Chebyshev at
   tol = 1e-15, checked against Krylov at tol = 1e-14 unless --no-krylov-check) is reported,
   so the ratio is at a stated accuracy.
2. ``quench``: one realisation to t_max with the imbalance and the half-chain entropy measured
   at every output time, in a fresh process each, for its time and peak resident memory.

Usage::

    python benchmarks/bench_dynamics.py --tiny              # seconds, for CI
    python benchmarks/bench_dynamics.py compare --L 16 18 --repeats 3
    python benchmarks/bench_dynamics.py quench --L 20 --t-max 100 --operator csr matrix-free

Threads: run with OMP/OPENBLAS/NUMBA_NUM_THREADS set (they are recorded in the results).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse.linalg as spla

sys.path.insert(0, str(Path(__file__).parent))
from common import environment, interleaved, save_results, summarise
from mblkit.dynamics import (
    evolve,
    log_times,
    neel_configuration,
    product_state,
    quench,
    spectral_bounds,
    term_operator,
)
from mblkit.models import XXZChain

W = 5.0
SEED = 20261202


def _model(L: int):
    model = XXZChain(L, W)
    h = model.sample(np.random.default_rng([SEED, L]))
    return model, h


def expm_multiply_steps(H, psi: np.ndarray, times: np.ndarray) -> np.ndarray:
    """psi(t) at every time by expm_multiply from one output time to the next."""
    out = np.empty((times.size, psi.size), dtype=complex)
    state, t_prev = psi.astype(complex), 0.0
    A = -1j * H
    for i, t in enumerate(times):
        if t > t_prev:
            state = spla.expm_multiply(A * (t - t_prev), state)
        out[i] = state
        t_prev = t
    return out


def compare(L: int, t_max: float, repeats: int, tol: float, check_krylov: bool = True) -> dict:
    model, h = _model(L)
    n_up = L // 2
    H = model.hamiltonian(h, n_up)
    op = term_operator(model, h, n_up)
    basis = model.basis(n_up)
    psi = product_state(basis, neel_configuration(L))
    times = log_times(t_max, 0.1, 10)
    bounds = spectral_bounds(op)
    reference = evolve(H, psi, times, tol=1e-15, bounds=bounds).states
    krylov = evolve(H, psi, times, method="krylov", tol=1e-14).states if check_krylov else None
    results: dict[str, np.ndarray] = {}

    def run(name, fn):
        def call():
            results[name] = fn()
        return call

    candidates = {
        "expm_multiply": run("expm_multiply", lambda: expm_multiply_steps(H, psi, times)),
        "chebyshev-csr": run("chebyshev-csr", lambda: evolve(H, psi, times, tol=tol).states),
        "chebyshev-matrix-free": run("chebyshev-matrix-free",
                                     lambda: evolve(op, psi, times, tol=tol).states),
    }
    timings = interleaved(candidates, repeats)
    errors = {name: float(np.max(np.linalg.norm(results[name] - reference, axis=1)))
              for name in candidates}
    base = summarise(timings["expm_multiply"])
    row = {"L": L, "dim": basis.dim, "t_max": t_max, "outputs": int(times.size), "tol": tol,
           "reference_vs_krylov": (float(np.max(np.linalg.norm(krylov - reference, axis=1)))
                                   if krylov is not None else None),
           "bounds": bounds, "timings": timings, "errors": errors,
           "summary": {name: summarise(t) for name, t in timings.items()}}
    row["ratio_to_expm_multiply"] = {
        name: {k: row["summary"][name][k] / base[k] for k in ("min", "median")}
        for name in candidates}
    return row


def one_quench(L: int, t_max: float, operator: str, tol: float) -> dict:
    """One Neel quench to t_max (run in its own process by :func:`quench_rows`)."""
    import resource

    start, cpu_start = time.perf_counter(), time.process_time()
    model, h = _model(L)
    n_up = L // 2
    basis = model.basis(n_up)
    H = model.hamiltonian(h, n_up) if operator == "csr" else term_operator(model, h, n_up)
    built = time.perf_counter() - start
    times = log_times(t_max, 0.1, 10)
    q = quench(H, basis, neel_configuration(L), times, tol=tol)
    total = time.perf_counter() - start
    return {"L": L, "dim": basis.dim, "operator": operator, "t_max": t_max, "tol": tol,
            "seconds": total, "cpu_seconds": time.process_time() - cpu_start,
            "build_seconds": built, "matvecs": q.matvecs,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "imbalance_final": float(q.imbalance[-1]), "entropy_final": float(q.entropy[-1]),
            "max_norm_error": float(q.norm_error.max()),
            "max_energy_error": float(q.energy_error.max()),
            "error_bound": float(q.error_bound[-1]),
            "times": q.times.tolist(), "imbalance": q.imbalance.tolist(),
            "entropy": q.entropy.tolist()}


def quench_rows(Ls, t_maxes, operators, tol: float) -> list[dict]:
    rows = []
    for L in Ls:
        for t_max in t_maxes:
            for operator in operators:
                cmd = [sys.executable, __file__, "_one", str(L), str(t_max), operator, str(tol)]
                out = subprocess.run(cmd, capture_output=True, text=True, check=True)
                row = json.loads(out.stdout.strip().splitlines()[-1])
                rows.append(row)
                print(f"quench L={L} t_max={t_max} {operator}: {row['seconds']:.1f} s "
                      f"(CPU {row.get('cpu_seconds', float('nan')):.1f} s), "
                      f"peak {row['peak_rss_mib']:.0f} MiB, {row['matvecs']} matvecs, "
                      f"I={row['imbalance_final']:.3f} S={row['entropy_final']:.3f}",
                      flush=True)
    return rows


def print_compare(row: dict) -> None:
    print(f"compare L={row['L']} dim={row['dim']} t_max={row['t_max']} "
          f"(reference vs Krylov {row['reference_vs_krylov']})")
    for name, s in row["summary"].items():
        r = row["ratio_to_expm_multiply"][name]
        print(f"  {name:24s} min {s['min']:8.2f} s  median {s['median']:8.2f} s  "
              f"ratio {r['min']:.2f} / {r['median']:.2f}  error {row['errors'][name]:.1e}",
              flush=True)


def main(argv=None) -> None:
    if argv is None:
        argv = sys.argv[1:]
    if argv and argv[0] == "_one":
        L, t_max, operator, tol = int(argv[1]), float(argv[2]), argv[3], float(argv[4])
        print(json.dumps(one_quench(L, t_max, operator, tol)))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", nargs="?", choices=("compare", "quench", "all"), default="all")
    parser.add_argument("--tiny", action="store_true", help="L = 8/10 in seconds (CI)")
    parser.add_argument("--L", type=int, nargs="+")
    parser.add_argument("--t-max", type=float, nargs="+", default=[100.0])
    parser.add_argument("--operator", nargs="+", default=["csr", "matrix-free"],
                        choices=("csr", "matrix-free"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tol", type=float, default=1e-12)
    parser.add_argument("--name", default="dynamics")
    parser.add_argument("--no-krylov-check", action="store_true",
                        help="skip the Krylov (tol 1e-14) check of the reference (slow)")
    args = parser.parse_args(argv)
    payload: dict = {"threads": {k: os.environ.get(k) for k in
                                 ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                  "NUMBA_NUM_THREADS")}}
    if args.tiny:
        row = compare(8, 10.0, 1, args.tol)
        print_compare(row)
        assert max(row["errors"].values()) < 1e-9, row["errors"]
        quench_rows([10], [10.0], ["csr", "matrix-free"], args.tol)
        return
    if args.part in ("compare", "all"):
        payload["compare"] = []
        for L in args.L or [16]:
            row = compare(L, args.t_max[0], args.repeats, args.tol, not args.no_krylov_check)
            print_compare(row)
            payload["compare"].append(row)
    if args.part in ("quench", "all"):
        payload["quench"] = quench_rows(args.L or [20], args.t_max, args.operator, args.tol)
    payload["environment"] = environment()
    save_results(args.name, payload)


if __name__ == "__main__":
    main()
