"""Benchmark of issue 15: a chain written as terms in the config costs what the built-in model
costs.

The random-field XXZ chain (Delta = 1, open) as ``XXZChain`` (baseline) and as the ``spin-chain``
model with the terms of ``tests/models/test_spin_chain.py::xxz_terms``, at L = 14 and 16, in the
half-filling sector and (L = 14) the full space; interleaved, repeated, min and median:

* ``assemble``: ``hamiltonian(realisation, n_up)`` alone - the target is a ratio <= 1.05;
* ``point``: what a campaign worker does per realisation before the solver - construct the
  model from the point's parameters (for ``spin-chain``: resolve and check the terms, about
  0.3 ms), sample, assemble.

The ratios are reported three ways: of the minima, of the medians, and the median (with the
quartiles) of the ratio within each interleaved round, which a slow spell of the machine
affects least.

Both produce the same matrix bit for bit (checked here as well). Usage:
``python benchmarks/bench_models.py [repeats] [--tiny]`` (default 30 repeats; ``--tiny``: L = 8,
10, three repeats, for CI).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import interleaved, save_results, summarise
from mblkit.models import SpinChain, XXZChain

TERMS = [
    {"op": "+-", "on": "nearest", "coeff": "J", "factor": 0.5, "hc": True},
    {"op": "zz", "on": "nearest", "coeff": "J", "factor": 0.25},
    {"op": "z", "on": "site", "coeff": {"dist": "uniform", "W": "W"}, "factor": 0.5},
]
W = 3.0


def cases(L: int, n_up: int | None) -> dict:
    chain = SpinChain.from_params(L=L, terms=TERMS, W=W, J=1.0)
    ref = XXZChain(L, W)
    r = chain.sample(np.random.default_rng(L))
    h = r["coeff_2"]
    if (chain.hamiltonian(r, n_up) != ref.hamiltonian(h, n_up)).nnz:
        raise AssertionError("the config-written chain differs from XXZChain")

    def point_builtin() -> None:
        model = XXZChain(L, W)
        model.hamiltonian(model.sample(np.random.default_rng(1)), n_up)

    def point_config() -> None:
        model = SpinChain.from_params(L=L, terms=TERMS, W=W, J=1.0)
        model.hamiltonian(model.sample(np.random.default_rng(1)), n_up)

    return {"assemble": {"built-in": lambda: ref.hamiltonian(h, n_up),
                         "spin-chain": lambda: chain.hamiltonian(r, n_up)},
            "point": {"built-in": point_builtin, "spin-chain": point_config}}


def main() -> None:
    tiny = "--tiny" in sys.argv
    sizes = [(8, 4), (10, 5)] if tiny else [(14, 7), (16, 8), (14, None)]
    numbers = [int(a) for a in sys.argv[1:] if a.isdigit()]
    repeats = 3 if tiny else (numbers[0] if numbers else 30)
    results = []
    for L, n_up in sizes:
        for step, candidates in cases(L, n_up).items():
            times = interleaved(candidates, repeats)
            base, cand = summarise(times["built-in"]), summarise(times["spin-chain"])
            paired = np.array(times["spin-chain"]) / np.array(times["built-in"])
            q1, q2, q3 = np.percentile(paired, [25, 50, 75])
            row = {"L": L, "n_up": n_up, "step": step, "built-in": base, "spin-chain": cand,
                   "ratio_min": cand["min"] / base["min"],
                   "ratio_median": cand["median"] / base["median"],
                   "paired_ratio_median": q2, "paired_ratio_iqr": [q1, q3]}
            results.append(row)
            print(f"L = {L:2d} n_up = {n_up!s:4} {step:8s} built-in {base['min'] * 1e3:8.2f} ms"
                  f" (median {base['median'] * 1e3:8.2f})  spin-chain {cand['min'] * 1e3:8.2f}"
                  f" ms (median {cand['median'] * 1e3:8.2f})  ratio min {row['ratio_min']:.3f}"
                  f" median {row['ratio_median']:.3f}; paired {q2:.3f} [{q1:.3f}, {q3:.3f}]",
                  flush=True)
    save_results("bench_models_tiny" if tiny else "bench_models", {"rows": results})


if __name__ == "__main__":
    main()
