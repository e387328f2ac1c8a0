"""Benchmark 1 and 2 of issue 2: full ED pipeline at L = 12, 14, 16 (n_up = L/2).

Candidates, interleaved and repeated on identical disorder:
* ``scipy-eigh``: bare ``scipy.linalg.eigh`` (default driver) of the prebuilt dense matrix -
  the baseline;
* ``scipy-eigh-evd``: the same with the driver mblkit uses, to expose our own overhead;
* ``mblkit``: assembly + verified ``eigh`` + mean gap ratio + all L single-site purities;
* ``quspin``: QuSpin's basis + Hamiltonian construction + ``H.eigh()`` (if QuSpin is installed).

Usage: python benchmarks/bench_full_ed.py [L ...] [--only NAME,NAME] [--repeats R]
(default L = 12 14 16, every candidate). Writes benchmarks/results/full_ed[_L...].json and prints
a Markdown table of ratios.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import scipy.linalg

sys.path.insert(0, str(Path(__file__).parent))
from common import interleaved, save_results, summarise
from mblkit.models import XXZChain
from mblkit.observables import mean_gap_ratio, single_site_purity
from mblkit.solvers import eigh

REPEATS = {12: 5, 14: 3, 16: 2}


def mblkit_pipeline(model: XXZChain, h: np.ndarray) -> tuple[float, np.ndarray]:
    n_up = model.L // 2
    spec = eigh(model.hamiltonian(h, n_up))
    return mean_gap_ratio(spec.energies), single_site_purity(spec.vectors, model.basis(n_up))


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
    dense = model.hamiltonian(h, L // 2).toarray()
    reference = np.linalg.eigvalsh(dense)
    candidates = {
        "scipy-eigh": lambda: scipy.linalg.eigh(dense),
        "scipy-eigh-evd": lambda: scipy.linalg.eigh(dense, driver="evd"),
        "mblkit": lambda: mblkit_pipeline(model, h),
    }
    if quspin_available():
        e_qs, _ = quspin_pipeline(model, h)
        assert np.allclose(e_qs, reference, atol=1e-9), "QuSpin spectrum differs"
        candidates["quspin"] = lambda: quspin_pipeline(model, h)
    r, _ = mblkit_pipeline(model, h)
    assert np.isclose(r, mean_gap_ratio(reference)), "mblkit spectrum differs"
    if only:
        candidates = {k: v for k, v in candidates.items() if k in only}
    times = interleaved(candidates, repeats or REPEATS.get(L, 2))
    return {"L": L, "dim": dense.shape[0], "times": times,
            "summary": {k: summarise(v) for k, v in times.items()}}


def table(rows: list[dict]) -> str:
    names = list(rows[0]["summary"])
    head = "| L | dim | " + " | ".join(f"{n} (s, min / median)" for n in names)
    head += " | mblkit / scipy-eigh | mblkit / scipy-eigh-evd | mblkit / quspin |"
    lines = [head, "|" + " --- |" * (head.count("|") - 1)]
    for row in rows:
        s = row["summary"]
        cells = [f"{s[n]['min']:.3f} / {s[n]['median']:.3f}" for n in names]
        ratios = [s["mblkit"]["min"] / s[b]["min"] if b in s else float("nan")
                  for b in ("scipy-eigh", "scipy-eigh-evd", "quspin")]
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
