"""Interior eigenpairs (issues 2 and 5): 50 pairs at the spectral centre, XXZ chain and chain +
GOE bubble (n_GOE = 4), W = 5, sector n_up = L // 2.

Each candidate runs in a fresh process (so its peak memory is its own), interleaved, on the
same Hamiltonian and the same target sigma = (E_min + E_max)/2:

* ``eigsh-default``: plain ``scipy.sparse.linalg.eigsh(H, k=50, sigma=sigma)`` (SuperLU with
  COLAMD ordering and partial pivoting) - the baseline of every ratio;
* ``superlu-fast``: ``eigh_interior(..., method="superlu")`` (MMD on A^T + A, symmetric mode);
* ``pardiso``: ``eigh_interior(..., method="pardiso")`` (MKL PARDISO LDL^T, needs pypardiso);
* ``polyfilter``: ``eigh_interior(..., method="polyfilter")`` (Chebyshev-Jackson filter);
* ``auto``: ``eigh_interior(...)`` as mblkit runs it by default.

A candidate that runs past ``--timeout`` seconds or ``--mem-limit`` GiB of resident memory is
killed and reported as such (a baseline killed so makes that row's ratios lower bounds).

Usage: python benchmarks/bench_interior.py [--models xxz,bubble] [--candidates a,b,...]
                                           [--repeats R] [--timeout S] [--mem-limit G]
                                           [--out NAME] [L ...]
(default L = 16 18). Writes benchmarks/results/NAME.json (default interior) and prints a
Markdown table.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from math import comb
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import save_results, summarise

K = 50
W = 5.0
N_GOE = 4
CANDIDATES = ("eigsh-default", "superlu-fast", "pardiso", "polyfilter", "auto")
METHOD_OF = {"superlu-fast": "superlu", "pardiso": "pardiso", "polyfilter": "polyfilter",
             "auto": "auto"}


def hamiltonian(model: str, L: int):
    from mblkit.models import BubbleChain, XXZChain

    m = BubbleChain(L=L, W=W, n_goe=N_GOE) if model == "bubble" else XXZChain(L=L, W=W)
    return m.hamiltonian(m.sample(np.random.default_rng(2000 + L)), L // 2)


def dimension(model: str, L: int) -> int:
    return comb(L, L // 2) * (N_GOE if model == "bubble" else 1)


def one(candidate: str, model: str, L: int, sigma: float) -> None:
    """Child process: run one candidate, print JSON with time, memory and the energies."""
    import scipy.sparse.linalg as spla

    from mblkit.solvers import eigh_interior
    from mblkit.solvers.spectrum import orthonormality_error, residuals

    H = hamiltonian(model, L)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    method = "eigsh"
    if candidate == "eigsh-default":
        energies, vecs = spla.eigsh(H, k=K, sigma=sigma)
    else:
        spec = eigh_interior(H, k=K, target=sigma, method=METHOD_OF[candidate])
        energies, vecs, method = spec.energies, spec.vectors, spec.method
    elapsed = time.perf_counter() - start
    order = np.argsort(energies)
    energies, vecs = energies[order], vecs[:, order]
    print(json.dumps({"time": elapsed, "energies": energies.tolist(), "method": method,
                      "max_residual": float(np.max(residuals(H, energies, vecs))),
                      "orthonormality_error": orthonormality_error(vecs),
                      "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "before_solve_mib": before}))


def _rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def spawn(candidate: str, model: str, L: int, sigma: float, timeout: float,
          mem_limit_gib: float) -> dict:
    """Run one candidate in a child process, killing it past the time or memory limit."""
    proc = subprocess.Popen([sys.executable, __file__, "--one", candidate, model, str(L),
                             repr(sigma)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    start, peak = time.perf_counter(), 0.0
    while proc.poll() is None:
        peak = max(peak, _rss_mib(proc.pid))
        elapsed = time.perf_counter() - start
        if elapsed > timeout or peak > mem_limit_gib * 1024:
            proc.kill()
            proc.communicate()
            why = "timeout" if elapsed > timeout else "memory"
            return {"killed": why, "time": elapsed, "peak_mib": peak}
        time.sleep(0.2)
    out, err = proc.communicate()
    if proc.returncode != 0:
        return {"failed": err.strip().splitlines()[-1] if err.strip() else str(proc.returncode)}
    return json.loads(out.splitlines()[-1])


def run(model: str, L: int, candidates: list[str], repeats: int, timeout: float,
        mem_limit_gib: float) -> dict:
    from mblkit.solvers import spectral_centre

    sigma = spectral_centre(hamiltonian(model, L))
    results: dict[str, list[dict]] = {name: [] for name in candidates}
    for _ in range(repeats):
        for name in candidates:
            if results[name] and any("killed" in r or "failed" in r for r in results[name]):
                continue  # do not repeat a candidate that was killed or failed
            results[name].append(spawn(name, model, L, sigma, timeout, mem_limit_gib))
            print(f"  {model} L={L} {name}: {results[name][-1].get('time', 0):.1f} s "
                  f"{results[name][-1].get('killed', results[name][-1].get('failed', ''))}",
                  file=sys.stderr, flush=True)
    ok = {n: rs for n, rs in results.items() if rs and "energies" in rs[0]}
    reference = np.array(next(iter(ok.values()))[0]["energies"]) if ok else None
    summary = {}
    for name, rs in results.items():
        if name in ok:
            agree = bool(np.allclose(np.array(rs[0]["energies"]), reference, atol=1e-8))
            summary[name] = {**summarise([r["time"] for r in rs]),
                             "peak_mib": max(r["peak_mib"] for r in rs),
                             "max_residual": max(r["max_residual"] for r in rs),
                             "orthonormality_error": max(r["orthonormality_error"] for r in rs),
                             "method": rs[0]["method"], "agrees": agree}
        else:
            summary[name] = rs[0] if rs else {"failed": "not run"}
    return {"model": model, "L": L, "dim": dimension(model, L), "sigma": sigma,
            "summary": summary}


def table(rows: list[dict]) -> str:
    lines = ["| model | L | dim | candidate | time min (s) | time median (s) | time ratio | "
             "peak MiB | memory ratio | max residual | same pairs |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        base = row["summary"].get("eigsh-default", {})
        for name, s in row["summary"].items():
            head = f"| {row['model']} | {row['L']} | {row['dim']} | {name} |"
            if "min" not in s:
                why = s.get("killed") or s.get("failed")
                lines.append(f"{head} killed ({why}) after {s.get('time', 0):.0f} s | | | "
                             f"{s.get('peak_mib', 0):.0f} | | | |")
                continue
            if "min" in base:
                t_ratio, m_ratio = (f"{s['min'] / base['min']:.2f}",
                                    f"{s['peak_mib'] / base['peak_mib']:.2f}")
            elif "time" in base:  # baseline killed: ratios are upper bounds
                t_ratio, m_ratio = (f"< {s['min'] / base['time']:.2f}",
                                    f"< {s['peak_mib'] / max(base['peak_mib'], 1):.2f}")
            else:
                t_ratio = m_ratio = "n/a"
            lines.append(f"{head} {s['min']:.2f} | {s['median']:.2f} | {t_ratio} | "
                         f"{s['peak_mib']:.0f} | {m_ratio} | {s['max_residual']:.1e} | "
                         f"{'yes' if s['agrees'] else 'NO'} |")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--one":  # the issue-2 form: --one NAME L SIGMA
        legacy = {"mblkit": "superlu-fast"}.get(sys.argv[2], sys.argv[2])
        one(legacy, "xxz", int(sys.argv[3]), float(sys.argv[4]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        one(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[16, 18])
    parser.add_argument("--models", default="xxz,bubble")
    parser.add_argument("--candidates", default=",".join(CANDIDATES))
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--mem-limit", type=float, default=20.0, help="GiB")
    parser.add_argument("--out", default="interior", help="results/<out>.json")
    args = parser.parse_args()
    candidates = args.candidates.split(",")
    unknown = sorted(set(candidates) - set(CANDIDATES))
    if unknown:
        parser.error(f"unknown candidates {unknown}: use some of {CANDIDATES}")
    rows = [run(model, L, candidates, args.repeats, args.timeout, args.mem_limit)
            for L in args.sizes for model in args.models.split(",")]
    save_results(args.out, {"k": K, "W": W, "n_goe": N_GOE, "rows": rows})
    print(table(rows))


if __name__ == "__main__":
    main()
