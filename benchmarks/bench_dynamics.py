"""Dynamics benchmarks (issue 17): Neel quench in the random-field XXZ chain, S^z = 0.

1. ``compare``: mblkit's Chebyshev propagation (with the CSR matrix and with the matrix-free
   TermOperator) against ``scipy.sparse.linalg.expm_multiply`` on the same H, state and log
   time grid (0 and 0.1 .. t_max, 10 per decade; expm_multiply steps from one output time to
   the next), interleaved and repeated; each result's error against a reference (Chebyshev at
   tol = 1e-15, checked against Krylov at tol = 1e-14 unless --no-krylov-check) is reported,
   so the ratio is at a stated accuracy. If QuSpin is importable (it is optional: not a
   dependency of the project; without it its candidates are skipped with a message), also
   QuSpin's ``expm_multiply_parallel`` stepped output to output and its
   ``hamiltonian.evolve`` (SciPy's dop853 at atol = rtol = each ``--quspin-rtol``), after a
   check that QuSpin's matrix (S = sigma / 2 operators) equals mblkit's entry by entry.
2. ``quench``: one realisation to t_max with the imbalance and the half-chain entropy measured
   at every output time, in a fresh process each, for its time and peak resident memory;
   ``--progress SECONDS`` logs products done / planned and the memory to stderr while it runs.

Usage::

    python benchmarks/bench_dynamics.py --tiny              # seconds, for CI
    python benchmarks/bench_dynamics.py compare --L 16 18 --repeats 3
    python benchmarks/bench_dynamics.py compare --L 16 --quspin-rtol 1e-14 1e-16 --extra-tol 1e-14
    python benchmarks/bench_dynamics.py quench --L 20 --t-max 100 --operator csr matrix-free
    python benchmarks/bench_dynamics.py _one 22 1000 csr 1e-12 60   # one run, progress / 60 s

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
    TermOperator,
    evolve,
    log_times,
    neel_configuration,
    product_state,
    propagate,
    spectral_bounds,
    term_operator,
)
from mblkit.dynamics.chebyshev import chebyshev_order
from mblkit.dynamics.quench import QuenchRecorder
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


def quspin_available() -> bool:
    try:
        import quspin  # noqa: F401
    except ImportError:
        return False
    return True


def quspin_setup(model, h: np.ndarray, basis, H) -> tuple[object, np.ndarray, dict]:
    """QuSpin's Hamiltonian of the same chain (S = sigma / 2 operators, as in
    ``bench_full_ed.quspin_pipeline``) and ``perm``, QuSpin's basis order in mblkit's indices
    (QuSpin's site i is bit L - 1 - i; mblkit's is bit i), so psi_mblkit[perm] = psi_quspin.
    Refused unless its matrix equals mblkit's ``H`` entry by entry to 1e-12."""
    from quspin.basis import spin_basis_1d
    from quspin.operators import hamiltonian

    L = model.L
    qb = spin_basis_1d(L, Nup=L // 2, pauli=0)
    bonds = [[model.J / 2, i, i + 1] for i in range(L - 1)]
    static = [["+-", bonds], ["-+", bonds],
              ["zz", [[model.J * model.delta, i, i + 1] for i in range(L - 1)]],
              ["z", [[h[i], i] for i in range(L)]]]
    Hq = hamiltonian(static, [], basis=qb, dtype=np.float64, check_symm=False,
                     check_herm=False, check_pcon=False)
    qstates = np.asarray(qb.states, dtype=np.int64)
    reversed_bits = np.zeros_like(qstates)
    for i in range(L):
        reversed_bits |= ((qstates >> (L - 1 - i)) & 1) << i
    perm = np.asarray(basis.index(reversed_bits), dtype=np.int64)
    Hm = H.tocsr()[perm][:, perm]
    matrix_diff = float(abs(Hq.tocsr() - Hm).max())
    rng = np.random.default_rng(1)
    v = rng.standard_normal(basis.dim) + 1j * rng.standard_normal(basis.dim)
    v /= np.linalg.norm(v)
    e_m = float(np.real(np.vdot(v, H @ v)))
    e_q = float(np.real(np.vdot(v[perm], Hq.dot(v[perm]))))
    check = {"matrix_max_abs_diff": matrix_diff, "random_state_energy_diff": abs(e_m - e_q)}
    if not (matrix_diff <= 1e-12 and abs(e_m - e_q) <= 1e-12):
        raise AssertionError(f"QuSpin's H differs from mblkit's: {check}")
    return Hq, perm, check


def quspin_evolve(Hq, psi_q: np.ndarray, perm: np.ndarray, times: np.ndarray,
                  rtol: float) -> np.ndarray:
    """QuSpin's ``hamiltonian.evolve`` (SciPy's dop853 ODE solver, atol = rtol), in mblkit's
    basis order."""
    out = Hq.evolve(psi_q, 0.0, times, solver_name="dop853", atol=rtol, rtol=rtol,
                    nsteps=2**31 - 1)
    states = np.empty((times.size, psi_q.size), dtype=complex)
    states[:, perm] = np.asarray(out).T
    return states


def quspin_expm_steps(Hq, psi_q: np.ndarray, perm: np.ndarray, times: np.ndarray
                      ) -> np.ndarray:
    """QuSpin's ``expm_multiply_parallel`` from one output time to the next (its Taylor
    truncation at double-precision eps / 2), in mblkit's basis order."""
    from quspin.tools.evolution import expm_multiply_parallel

    U = expm_multiply_parallel(Hq.tocsr(), a=-1j * 0.1, dtype=np.complex128)
    work = np.zeros(2 * psi_q.size, dtype=np.complex128)
    states = np.empty((times.size, psi_q.size), dtype=complex)
    state, t_prev = psi_q.astype(complex), 0.0
    for i, t in enumerate(times):
        if t > t_prev:
            U.set_a(-1j * (t - t_prev))
            state = U.dot(state, work_array=work, overwrite_v=True)
        states[i, perm] = state
        t_prev = t
    return states


CANDIDATES = ("expm_multiply", "chebyshev-csr", "chebyshev-matrix-free", "quspin-expm",
              "quspin-evolve")


def compare(L: int, t_max: float, repeats: int, tol: float, check_krylov: bool = True,
            names=CANDIDATES, quspin_rtols=(1e-16,), extra_tols=()) -> dict:
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

    every = {
        "expm_multiply": lambda: expm_multiply_steps(H, psi, times),
        "chebyshev-csr": lambda: evolve(H, psi, times, tol=tol).states,
        "chebyshev-matrix-free": lambda: evolve(op, psi, times, tol=tol).states,
    }
    for extra in extra_tols:  # the CSR Chebyshev at other tolerances (to match an accuracy)
        every[f"chebyshev-csr-{extra:g}"] = (
            lambda extra=extra: evolve(H, psi, times, tol=extra).states)
    quspin_check = None
    if {"quspin-expm", "quspin-evolve"} & set(names):
        if quspin_available():
            Hq, perm, quspin_check = quspin_setup(model, h, basis, H)
            psi_q = psi[perm]
            every["quspin-expm"] = lambda: quspin_expm_steps(Hq, psi_q, perm, times)
            for rtol in quspin_rtols:
                every[f"quspin-evolve-{rtol:g}"] = (
                    lambda rtol=rtol: quspin_evolve(Hq, psi_q, perm, times, rtol))
        else:
            print("  QuSpin is not importable: its candidates are skipped", flush=True)
    chosen = ["expm_multiply", *[n for n in every if n != "expm_multiply" and
                                 (n in names or any(n.startswith(f"{m}-") for m in names
                                                    if m in ("chebyshev-csr",
                                                             "quspin-evolve")))]]
    candidates = {name: run(name, every[name]) for name in chosen}
    timings = interleaved(candidates, repeats)
    errors = {name: float(np.max(np.linalg.norm(results[name] - reference, axis=1)))
              for name in candidates}
    base = summarise(timings["expm_multiply"])
    row = {"L": L, "dim": basis.dim, "t_max": t_max, "outputs": int(times.size), "tol": tol,
           "reference_vs_krylov": (float(np.max(np.linalg.norm(krylov - reference, axis=1)))
                                   if krylov is not None else None),
           "bounds": bounds, "quspin_check": quspin_check, "timings": timings,
           "errors": errors,
           "summary": {name: summarise(t) for name, t in timings.items()}}
    row["ratio_to_expm_multiply"] = {
        name: {k: row["summary"][name][k] / base[k] for k in ("min", "median")}
        for name in candidates}
    return row


def _vm_kib(field: str) -> int:
    """``field`` (VmRSS, VmHWM) of /proc/self/status in KiB (0 where there is no /proc)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def planned_products(bounds: tuple[float, float], times: np.ndarray, tol: float,
                     batch: int = 8) -> int:
    """Chebyshev products the propagation will make: the orders of
    :func:`mblkit.dynamics.chebyshev.chebyshev_propagate`'s plan, K_max - 1 per group of
    ``batch`` outputs (the energy checks and the spectral bounds come on top)."""
    a = 0.5 * (bounds[1] - bounds[0])
    t_max, t_c, total = float(times[-1]), 0.0, 0
    rest = times[times > 0]
    for i in range(0, rest.size, batch):
        group = rest[i: i + batch]
        K = max(chebyshev_order(a * tau, max(tol * tau / t_max, 1e-17))[0]
                for tau in group - t_c)
        total += K - 1 if K > 1 else 0
        t_c = float(group[-1])
    return total


class Progress:
    """Counts the products with H and logs (to stderr) every ``every`` seconds: wall and CPU
    seconds, products done and planned, the last output time reached, VmRSS / VmHWM."""

    def __init__(self, every: float, planned: int):
        self.every, self.planned, self.count, self.t_reached = every, planned, 0, 0.0
        self.start, self.cpu0 = time.perf_counter(), time.process_time()
        self.last = self.start

    def tick(self, force: bool = False) -> None:
        self.count += 1
        now = time.perf_counter()
        if self.every > 0 and (force or now - self.last >= self.every):
            self.last = now
            cpu = time.process_time() - self.cpu0
            print(f"progress wall {now - self.start:9.1f} s  cpu {cpu:9.1f} s  products "
                  f"{self.count:6d} / ~{self.planned}  t reached {self.t_reached:8.3f}  "
                  f"cpu/product {cpu / max(self.count, 1):.4f} s  VmRSS "
                  f"{_vm_kib('VmRSS') / 1024:.0f} MiB  VmHWM {_vm_kib('VmHWM') / 1024:.0f} MiB",
                  file=sys.stderr, flush=True)

    def counted(self, H):
        """H with every product counted (CSR: a wrapper with ``@``; TermOperator: its
        ``apply``, so the fused kernel is kept)."""
        if isinstance(H, TermOperator):
            apply = H.apply

            def counted_apply(*args, **kwargs):
                self.tick()
                return apply(*args, **kwargs)

            H.apply = counted_apply  # type: ignore[method-assign]
            return H
        progress = self

        class Counted:
            shape, dtype = H.shape, H.dtype

            def __matmul__(self, v):
                progress.tick()
                return H @ v

        return Counted()


def one_quench(L: int, t_max: float, operator: str, tol: float, every: float = 0.0) -> dict:
    """One Neel quench to t_max (run in its own process by :func:`quench_rows`); with
    ``every`` > 0 the progress is logged to stderr every ``every`` seconds."""
    import resource

    start, cpu_start = time.perf_counter(), time.process_time()
    model, h = _model(L)
    n_up = L // 2
    basis = model.basis(n_up)
    H = model.hamiltonian(h, n_up) if operator == "csr" else term_operator(model, h, n_up)
    built = time.perf_counter() - start
    times = log_times(t_max, 0.1, 10)
    bounds = spectral_bounds(H)
    progress = Progress(every, planned_products(bounds, times, tol))
    recorder = QuenchRecorder(basis, neel_configuration(L))

    def logged(snapshots):
        for snap in snapshots:
            progress.t_reached = snap.time
            if every > 0:
                print(f"output t = {snap.time:10.4f}  chebyshev products {snap.matvecs}  "
                      f"wall {time.perf_counter() - start:.1f} s  cpu "
                      f"{time.process_time() - cpu_start:.1f} s", file=sys.stderr, flush=True)
            yield snap

    q = recorder.record(logged(propagate(progress.counted(H), recorder.initial, times,
                                         tol=tol, bounds=bounds)))
    total = time.perf_counter() - start
    return {"L": L, "dim": basis.dim, "operator": operator, "t_max": t_max, "tol": tol,
            "seconds": total, "cpu_seconds": time.process_time() - cpu_start,
            "build_seconds": built, "matvecs": q.matvecs, "products_total": progress.count,
            "planned_products": progress.planned, "bounds": bounds,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "vm_hwm_mib": _vm_kib("VmHWM") / 1024,
            "imbalance_final": float(q.imbalance[-1]), "entropy_final": float(q.entropy[-1]),
            "max_norm_error": float(q.norm_error.max()),
            "max_energy_error": float(q.energy_error.max()),
            "error_bound": float(q.error_bound[-1]),
            "times": q.times.tolist(), "imbalance": q.imbalance.tolist(),
            "entropy": q.entropy.tolist()}


def quench_rows(Ls, t_maxes, operators, tol: float, every: float = 0.0) -> list[dict]:
    rows = []
    for L in Ls:
        for t_max in t_maxes:
            for operator in operators:
                cmd = [sys.executable, __file__, "_one", str(L), str(t_max), operator, str(tol),
                       str(every)]
                out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True)
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
          f"(reference vs Krylov {row['reference_vs_krylov']}; QuSpin's H vs mblkit's "
          f"{row['quspin_check']})")
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
        every = float(argv[5]) if len(argv) > 5 else 0.0
        print(json.dumps(one_quench(L, t_max, operator, tol, every)))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", nargs="?", choices=("compare", "quench", "all"), default="all")
    parser.add_argument("--tiny", action="store_true", help="L = 8/10 in seconds (CI)")
    parser.add_argument("--L", type=int, nargs="+")
    parser.add_argument("--t-max", type=float, nargs="+", default=[100.0])
    parser.add_argument("--operator", nargs="+", default=["csr", "matrix-free"],
                        choices=("csr", "matrix-free"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--candidates", nargs="+", default=list(CANDIDATES), choices=CANDIDATES,
                        help="compare: candidates besides expm_multiply (QuSpin's if importable)")
    parser.add_argument("--quspin-rtol", type=float, nargs="+", default=[1e-16],
                        help="compare: atol = rtol of QuSpin's dop853 evolve (one candidate each)")
    parser.add_argument("--tol", type=float, default=1e-12)
    parser.add_argument("--extra-tol", type=float, nargs="*", default=[],
                        help="compare: also the CSR Chebyshev at these tolerances")
    parser.add_argument("--name", default="dynamics")
    parser.add_argument("--progress", type=float, default=0.0, metavar="SECONDS",
                        help="quench: log progress to stderr every SECONDS (0: off)")
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
            row = compare(L, args.t_max[0], args.repeats, args.tol, not args.no_krylov_check,
                          args.candidates, args.quspin_rtol, args.extra_tol)
            print_compare(row)
            payload["compare"].append(row)
    if args.part in ("quench", "all"):
        payload["quench"] = quench_rows(args.L or [20], args.t_max, args.operator, args.tol,
                                        args.progress)
    payload["environment"] = environment()
    save_results(args.name, payload)


if __name__ == "__main__":
    main()
