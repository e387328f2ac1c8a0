"""Shared benchmark helpers: interleaved repeated timing, peak memory, environment record.

Speed is reported as ratios against a baseline timed in the same run, interleaved with the
candidates, repeated; min and median are both kept (these machines have slow spells).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy


def environment() -> dict:
    """Machine, versions, BLAS build and the OPENBLAS_* / OMP_* variables in effect."""
    try:
        from threadpoolctl import threadpool_info

        blas = [{k: i.get(k) for k in ("internal_api", "version", "num_threads", "filepath")}
                for i in threadpool_info()]
    except ImportError:
        blas = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
    return {
        "python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__,
        "machine": platform.machine(), "cpus": os.cpu_count(), "blas": blas,
        "env": {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS", "OMP", "MKL"))},
    }


def interleaved(candidates: dict[str, Callable[[], object]], repeats: int
                ) -> dict[str, list[float]]:
    """Time each candidate ``repeats`` times, interleaving them round by round."""
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, fn in candidates.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times


def summarise(times: list[float]) -> dict[str, float]:
    return {"min": min(times), "median": statistics.median(times)}


def peak_memory_of(code: str) -> float:
    """Peak resident memory (MiB) of a fresh Python process running ``code``."""
    wrapper = (f"{code}\nimport resource\n"
               "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True,
                         check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def self_peak_memory() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def save_results(name: str, payload: dict) -> None:
    """Write ``payload`` and the environment to benchmarks/results/<name>.json (or to the folder
    in MBLKIT_BENCH_RESULTS: `make bench-tiny` writes there, so it never replaces real results)."""
    folder = Path(os.environ.get("MBLKIT_BENCH_RESULTS") or Path(__file__).parent / "results")
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{name}.json", "w") as f:
        json.dump({"environment": environment(), **payload}, f, indent=2, default=float)
