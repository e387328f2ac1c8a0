"""Benchmark 3 of issue 2: 50 interior eigenpairs at L = 16 and 18 (n_up = L/2, W = 5).

Each candidate runs in a fresh process (so its peak memory is its own), interleaved, on the
same Hamiltonian and the same target sigma = (E_min + E_max)/2:
* ``eigsh-default``: plain ``scipy.sparse.linalg.eigsh(H, k=50, sigma=sigma)`` (SuperLU with
  COLAMD ordering) - the baseline;
* ``mblkit``: ``mblkit.solvers.eigh_interior(H, k=50, target=sigma)`` (verified).

Usage: python benchmarks/bench_interior.py [L ...]     (default 16 18)
Writes benchmarks/results/interior.json and prints a Markdown table.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import save_results, summarise

K = 50
REPEATS = {16: 2, 18: 1}


def hamiltonian(L: int):
    from mblkit.models import XXZChain

    model = XXZChain(L=L, W=5.0)
    return model.hamiltonian(model.sample(np.random.default_rng(2000 + L)), L // 2)


def one(candidate: str, L: int, sigma: float) -> None:
    """Child process: run one candidate, print JSON with time, memory and the energies."""
    import scipy.sparse.linalg as spla

    from mblkit.solvers import eigh_interior
    from mblkit.solvers.spectrum import residuals

    H = hamiltonian(L)
    start = time.perf_counter()
    if candidate == "eigsh-default":
        energies, vecs = spla.eigsh(H, k=K, sigma=sigma)
    else:
        spec = eigh_interior(H, k=K, target=sigma)
        energies, vecs = spec.energies, spec.vectors
    elapsed = time.perf_counter() - start
    print(json.dumps({"time": elapsed, "energies": sorted(energies.tolist()),
                      "max_residual": float(np.max(residuals(H, energies, vecs))),
                      "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def run(L: int) -> dict:
    from mblkit.solvers import spectral_centre

    sigma = spectral_centre(hamiltonian(L))
    results: dict[str, list[dict]] = {"eigsh-default": [], "mblkit": []}
    for _ in range(REPEATS.get(L, 1)):
        for name in results:
            out = subprocess.run([sys.executable, __file__, "--one", name, str(L), repr(sigma)],
                                 capture_output=True, text=True, check=True)
            results[name].append(json.loads(out.stdout.splitlines()[-1]))
    e_ref = np.array(results["eigsh-default"][0]["energies"])
    e_ours = np.array(results["mblkit"][0]["energies"])
    assert np.allclose(e_ref, e_ours, atol=1e-8), "candidates found different eigenvalues"
    return {"L": L, "sigma": sigma,
            "summary": {n: {**summarise([r["time"] for r in rs]),
                            "peak_mib": max(r["peak_mib"] for r in rs),
                            "max_residual": max(r["max_residual"] for r in rs)}
                        for n, rs in results.items()}}


def table(rows: list[dict]) -> str:
    lines = ["| L | dim | eigsh-default (s) | mblkit (s) | time ratio | eigsh peak MiB | "
             "mblkit peak MiB | memory ratio | max residual (ours) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        b, m = row["summary"]["eigsh-default"], row["summary"]["mblkit"]
        from math import comb
        lines.append(f"| {row['L']} | {comb(row['L'], row['L'] // 2)} | {b['min']:.1f} | "
                     f"{m['min']:.1f} | {m['min'] / b['min']:.2f} | {b['peak_mib']:.0f} | "
                     f"{m['peak_mib']:.0f} | {m['peak_mib'] / b['peak_mib']:.2f} | "
                     f"{m['max_residual']:.1e} |")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        one(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
        return
    sizes = [int(a) for a in sys.argv[1:]] or [16, 18]
    rows = [run(L) for L in sizes]
    save_results("interior", {"rows": rows})
    print(table(rows))


if __name__ == "__main__":
    main()
