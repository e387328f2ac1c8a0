"""Benchmarks of issue 3: the unitary eigensolver routes and the Floquet resonance pipeline.

1. ``eigu`` routes (hermitian, schur, geev) on brickwork operators at J = 0.02 (deep MBL, many
   near-degenerate quasienergies): time, and whether every realisation passes verification.
2. Per realisation at L = 12, interleaved on the same matrices:
   * ``bare``: the LAPACK call of the default route (zheevd of the rotated Hermitian part) plus
     one complex matrix product - the baseline;
   * ``mblkit``: build W from gates + verified ``eigu`` + sigma_j on the vectors + the streaming
     pass with every histogram, chi, kappa and the two- and three-level averages;
   * ``numpy``: a plain NumPy version - ``np.linalg.eig``, a dense sigma_j matrix, dense
     products and ``np.histogram`` on N x N temporaries.
3. Peak memory of one mblkit realisation (fresh process) at the sizes given with --peak.

Usage: python benchmarks/bench_floquet.py [--peak L ...]   (default: routes at L = 8, 10, 12,
pipeline at L = 12, peak memory at L = 12). Writes benchmarks/results/floquet.json.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import scipy.linalg

sys.path.insert(0, str(Path(__file__).parent))
from common import interleaved, save_results, summarise
from mblkit.models.brickwork import BrickworkCircuit
from mblkit.observables.resonances import ResonanceBins, resonance_statistics
from mblkit.solvers import VerificationError
from mblkit.solvers.unitary import ROTATION, eigu
from mblkit.spins.gates import apply_one_site

J = 0.02
SITE_OF = {L: L // 2 for L in range(4, 24, 2)}


def mblkit_pipeline(model: BrickworkCircuit, real) -> dict:
    spectrum = eigu(model.unitary(real))
    j = SITE_OF[model.L]
    sigma_v = model.apply_field_operator(real, j, spectrum.vectors.copy())
    return resonance_statistics(spectrum.quasienergies, spectrum.vectors, sigma_v)


def bare(W: np.ndarray) -> None:
    rotated = W * np.exp(-1j * ROTATION)
    K = 0.5 * (rotated + rotated.conj().T)
    _, Q = scipy.linalg.eigh(K, driver="evd", overwrite_a=True, check_finite=False)
    W @ Q


def numpy_pipeline(model: BrickworkCircuit, real, bins: ResonanceBins) -> None:
    W = model.unitary(real)
    values, V = np.linalg.eig(W)
    theta = np.angle(values)
    sigma = apply_one_site(np.eye(W.shape[0], dtype=complex), model.field_operator(
        real, SITE_OF[model.L]), SITE_OF[model.L])
    z = V.conj().T @ sigma @ V
    omega = theta[:, None] - theta[None, :]
    omega = (omega + np.pi) % (2 * np.pi) - np.pi
    Z = np.abs(z) ** 2
    off = ~np.eye(len(theta), dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = Z / (2 * np.sin(omega / 2)) ** 2
        k = 0.5 * Z / np.tan(omega / 2)
    for values_, b in ((np.sqrt(Z) * np.abs(omega), bins.omega), (Z, bins.z), (x, bins.x)):
        np.histogram(values_[off], bins=b.edges)
    np.histogram(np.where(off, x, 0).sum(axis=1), bins=bins.chi.edges)
    np.histogram(np.abs(np.where(off, k, 0).sum(axis=1)), bins=bins.kappa.edges)
    np.histogram(1 - np.abs(np.diag(z)) ** 2, bins=bins.depolarisation.edges)
    Zo = np.where(off, Z, 0)
    float(((Zo @ Zo) * Zo).sum())


def routes(sizes=(8, 10, 12), realisations: int = 4) -> dict:
    out = {}
    for L in sizes:
        model = BrickworkCircuit(L, J)
        rng = np.random.default_rng(L)
        mats = [model.unitary(model.sample(rng)) for _ in range(realisations)]
        stats = {m: {"times": [], "failures": 0, "max_residual": 0.0}
                 for m in ("hermitian", "schur", "geev")}
        for W in mats:
            for method, st in stats.items():
                t = time.perf_counter()
                try:
                    s = eigu(W, method=method)
                    st["max_residual"] = max(st["max_residual"], s.max_residual)
                except VerificationError:
                    st["failures"] += 1
                st["times"].append(time.perf_counter() - t)
        out[L] = {m: {**summarise(st["times"]), "failures": st["failures"],
                      "realisations": realisations, "max_residual": st["max_residual"]}
                  for m, st in stats.items()}
        print(L, json.dumps(out[L]), flush=True)
    return out


def pipeline(L: int = 12, repeats: int = 3) -> dict:
    model = BrickworkCircuit(L, J)
    real = model.sample(np.random.default_rng(2026))
    W = model.unitary(real)
    bins = ResonanceBins()
    times = interleaved({"bare": lambda: bare(W),
                         "mblkit": lambda: mblkit_pipeline(model, real),
                         "numpy": lambda: numpy_pipeline(model, real, bins)}, repeats)
    return {k: summarise(v) for k, v in times.items()}


def peak(L: int) -> float:
    code = ("import sys, numpy as np; sys.path.insert(0, 'benchmarks');"
            "from bench_floquet import mblkit_pipeline, BrickworkCircuit, J;"
            f"m = BrickworkCircuit({L}, J); mblkit_pipeline(m, m.sample(np.random.default_rng(1)))"
            ";import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parent.parent)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def main(argv: list[str]) -> None:
    """``[--tiny] [--peak L ...]``: --tiny runs every part at L = 6 (seconds; CI checks that the
    benchmark still runs, its numbers mean nothing)."""
    tiny = "--tiny" in argv
    argv = [a for a in argv if a != "--tiny"]
    peaks = [int(a) for a in argv[argv.index("--peak") + 1:]] if "--peak" in argv else [12]
    if tiny:
        results = {"routes": routes(sizes=(6,), realisations=1),
                   "pipeline_L12": pipeline(L=6, repeats=1)}
        peaks = [6]
    else:
        results = {"routes": routes(), "pipeline_L12": pipeline()}
    print(json.dumps(results["pipeline_L12"]), flush=True)
    results["peak_mib"] = {L: peak(L) for L in peaks}
    save_results("floquet_tiny" if tiny else "floquet", results)
    p = results["pipeline_L12"]
    print("| candidate | min (s) | median (s) | ratio to bare (min) |")
    print("| --- | --- | --- | --- |")
    for name, t in p.items():
        print(f"| {name} | {t['min']:.2f} | {t['median']:.2f} | "
              f"{t['min'] / p['bare']['min']:.2f} |")
    print("peak MiB:", results["peak_mib"])


if __name__ == "__main__":
    main(sys.argv[1:])
