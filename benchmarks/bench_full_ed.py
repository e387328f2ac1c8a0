"""Benchmark 1 and 2 of issue 2: full ED pipeline at L = 12, 14, 16 (n_up = L/2).

Candidates, interleaved and repeated on identical disorder:
* ``scipy-eigh``: bare ``scipy.linalg.eigh`` (default driver) of the prebuilt dense matrix -
  the baseline;
* ``scipy-eigh-evd``: the same with the driver mblkit uses, to expose our own overhead;
* ``mblkit``: assembly + verified ``eigh`` + mean gap ratio + all L single-site purities;
* ``mblkit-measured``: what a campaign with the default ``fraction = 0.5`` computes (issue 17):
  assembly + verified ``eigh(H, subset=central_window(N, 0.5))`` (all eigenvalues, the central
  half of the eigenvectors) + mean gap ratio + the purities of those states;
* ``scipy-eigh-subset-evr``: bare ``scipy.linalg.eigh(..., subset_by_index=..., driver="evr")``
  of the central half (LAPACK's bisection + inverse iteration for a window), for comparison;
* ``quspin``: QuSpin's basis + Hamiltonian construction + ``H.eigh()`` (if QuSpin is installed).

Each call's time is printed as it ends. The results are checked against each other after the
timing: gap ratios equal the bare call's, the measured purities mblkit's central ones.

Usage: python benchmarks/bench_full_ed.py [L ...] [--only NAME,NAME] [--repeats R]
(default L = 12 14 16, every candidate). Writes benchmarks/results/full_ed[_L...].json and prints
a Markdown table of ratios.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import scipy.linalg

sys.path.insert(0, str(Path(__file__).parent))
from common import save_results, summarise
from mblkit.models import XXZChain
from mblkit.observables import central_window, mean_gap_ratio, single_site_purity
from mblkit.solvers import eigh

REPEATS = {12: 5, 14: 3, 16: 2}


def mblkit_pipeline(model: XXZChain, h: np.ndarray) -> tuple[float, np.ndarray]:
    n_up = model.L // 2
    spec = eigh(model.hamiltonian(h, n_up))
    return mean_gap_ratio(spec.energies), single_site_purity(spec.vectors, model.basis(n_up))


def measured_pipeline(model: XXZChain, h: np.ndarray) -> tuple[float, np.ndarray]:
    n_up = model.L // 2
    H = model.hamiltonian(h, n_up)
    window = central_window(H.shape[0], 0.5)
    spec = eigh(H, subset=(window.start, window.stop))
    return (mean_gap_ratio(spec.energies),
            single_site_purity(spec.columns(window), model.basis(n_up)))


def timed_rounds(candidates: dict, repeats: int) -> tuple[dict[str, list[float]], dict]:
    """Interleaved rounds as ``common.interleaved``, printing each time; also the last result
    of each candidate (small: the bare calls return their eigenvalues only)."""
    times: dict[str, list[float]] = {name: [] for name in candidates}
    last: dict = {}
    for round_ in range(repeats):
        for name, fn in candidates.items():
            start = time.perf_counter()
            last[name] = fn()
            times[name].append(time.perf_counter() - start)
            if isinstance(fn, Bare):
                last[name], times[name][-1] = last[name]
            print(f"round {round_}: {name} {times[name][-1]:.3f} s", flush=True)
    return times, last


class Bare:
    """A bare SciPy call on the prebuilt dense matrix, timed alone. The matrix is built
    (Fortran-ordered, so that LAPACK overwrites it in place) before
    each call and handed over (``overwrite_a``), so that no second N x N copy is held while
    the other candidates run (L = 16: 1.3 GB each)."""

    def __init__(self, model: XXZChain, h: np.ndarray, **kwargs) -> None:
        self.model, self.h, self.kwargs = model, h, kwargs

    def __call__(self) -> tuple[np.ndarray, float]:
        dense = self.model.hamiltonian(self.h, self.model.L // 2).toarray(order="F")
        start = time.perf_counter()
        out = scipy.linalg.eigh(dense, overwrite_a=True, check_finite=False, **self.kwargs)
        seconds = time.perf_counter() - start
        return (out[0] if isinstance(out, tuple) else out), seconds


def check(last: dict, dim: int) -> None:
    """The candidates computed the same spectrum and observables."""
    reference = last.get("scipy-eigh")
    for name in ("mblkit", "mblkit-measured"):
        if name in last and reference is not None:
            assert np.isclose(last[name][0], mean_gap_ratio(reference), rtol=0, atol=1e-12), name
    if "mblkit" in last and "mblkit-measured" in last:
        # per state: an eigenvector of a near-degenerate pair is fixed only to residual / gap
        # (the Davis-Kahan bound), so evr's and the window's may differ there (L = 16)
        central = last["mblkit"][1][central_window(dim, 0.5)]
        diff = np.abs(last["mblkit-measured"][1] - central).max(axis=1)
        print(f"purities, measured vs mblkit: max {diff.max():.1e}, median {np.median(diff):.1e}"
              f", {int(np.sum(diff > 1e-10))} of {diff.size} states differ by more than 1e-10")
        assert np.median(diff) < 1e-10, "mblkit-measured purities differ"
    if "scipy-eigh-subset-evr" in last and reference is not None:
        assert np.allclose(last["scipy-eigh-subset-evr"],
                           reference[central_window(dim, 0.5)], rtol=0, atol=1e-9)


def quspin_pipeline(model: XXZChain, h: np.ndarray):
    from quspin.basis import spin_basis_1d
    from quspin.operators import hamiltonian

    L = model.L
    basis = spin_basis_1d(L, Nup=L // 2, pauli=0)  # spin operators S = sigma / 2
    bonds = [[model.J / 2, i, i + 1] for i in range(L - 1)]
    static = [["+-", bonds], ["-+", bonds],
              ["zz", [[model.J * model.delta, i, i + 1] for i in range(L - 1)]],
              ["z", [[h[i], i] for i in range(L)]]]
    H = hamiltonian(static, [], basis=basis, dtype=np.float64, check_symm=False,
                    check_herm=False, check_pcon=False)
    return H.eigh()


def quspin_available() -> bool:
    try:
        import quspin  # noqa: F401
    except ImportError:
        return False
    return True


def run(L: int, only: set[str] | None = None, repeats: int | None = None) -> dict:
    model = XXZChain(L=L, W=5.0)
    h = model.sample(np.random.default_rng(1000 + L))
    dim = model.hamiltonian(h, L // 2).shape[0]
    window = central_window(dim, 0.5)
    candidates = {
        "scipy-eigh": Bare(model, h),
        "scipy-eigh-evd": Bare(model, h, driver="evd"),
        "mblkit": lambda: mblkit_pipeline(model, h),
        "mblkit-measured": lambda: measured_pipeline(model, h),
        "scipy-eigh-subset-evr": Bare(model, h, driver="evr",
                                      subset_by_index=[window.start, window.stop - 1]),
    }
    if quspin_available():
        candidates["quspin"] = lambda: quspin_pipeline(model, h)[0]
    if only:
        candidates = {k: v for k, v in candidates.items() if k in only}
    times, last = timed_rounds(candidates, repeats or REPEATS.get(L, 2))
    check(last, dim)
    if "quspin" in last and "scipy-eigh" in last:
        assert np.allclose(last["quspin"], last["scipy-eigh"], atol=1e-9), "QuSpin differs"
    return {"L": L, "dim": dim, "times": times,
            "summary": {k: summarise(v) for k, v in times.items()}}


def table(rows: list[dict]) -> str:
    names = list(rows[0]["summary"])
    head = "| L | dim | " + " | ".join(f"{n} (s, min / median)" for n in names)
    pairs = [(a, b) for a, b in (("mblkit", "scipy-eigh"), ("mblkit", "scipy-eigh-evd"),
                                  ("mblkit", "quspin"), ("mblkit-measured", "scipy-eigh"),
                                  ("mblkit-measured", "mblkit")) if a in names and b in names]
    head += " | " + " | ".join(f"{a} / {b} (min)" for a, b in pairs) + " |"
    lines = [head, "|" + " --- |" * (head.count("|") - 1)]
    for row in rows:
        s = row["summary"]
        cells = [f"{s[n]['min']:.3f} / {s[n]['median']:.3f}" for n in names]
        ratios = [s[a]["min"] / s[b]["min"] for a, b in pairs]
        lines.append(f"| {row['L']} | {row['dim']} | " + " | ".join(cells) + " | "
                     + " | ".join(f"{x:.2f}" for x in ratios) + " |")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    only = set(argv[argv.index("--only") + 1].split(",")) if "--only" in argv else None
    repeats = int(argv[argv.index("--repeats") + 1]) if "--repeats" in argv else None
    sizes = [int(a) for k, a in enumerate(argv)
             if a.isdigit() and (k == 0 or argv[k - 1] not in ("--only", "--repeats"))]
    rows = [run(L, only, repeats) for L in sizes or [12, 14, 16]]
    save_results("full_ed" + "".join(f"_L{L}" for L in sizes), {"rows": rows})
    print(table(rows))


if __name__ == "__main__":
    main(sys.argv[1:])
