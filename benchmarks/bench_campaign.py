"""Benchmark of issue 4: overhead of the campaign machinery, and scaling to 2 local workers.

On identical tasks (L = 12 random-field XXZ, S^z = 0, full ED, gap ratio + purity +
entanglement observables), interleaved and repeated:
* ``plain-loop``: ``run_realisation`` for every (point, realisation) in a Python loop - the
  baseline;
* ``campaign-1``: ``run_campaign`` with one worker (in-process executor, journal commits, HDF5
  merges) - the overhead target is <= 5 %;
* ``campaign-2``: ``run_campaign`` with two local worker processes (1 BLAS thread each).

Usage: python benchmarks/bench_campaign.py [realisations per point]   (default 20)
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import interleaved, save_results, summarise
from mblkit.campaign.config import parse_config
from mblkit.campaign.runner import run_campaign
from mblkit.campaign.tasks import run_realisation

CONFIG = """
name = "bench"
seed = 5
realisations = {n}
output = "bench.h5"
[model]
name = "xxz"
grid = {{ L = [12], W = [1.0, 5.0] }}
[[observables]]
name = "gap_ratio"
[[observables]]
name = "purity"
[[observables]]
name = "entanglement"
"""


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    text = CONFIG.format(n=n)
    config = parse_config(text)
    tmp = Path(tempfile.mkdtemp())

    def plain() -> None:
        for p in range(len(config.points())):
            for i in range(config.realisations):
                run_realisation(config, p, i)

    def campaign(workers: int):
        def go() -> None:
            store = tmp / f"w{workers}.h5"
            shutil.rmtree(store.with_name(store.name + ".journal"), ignore_errors=True)
            store.unlink(missing_ok=True)
            run_campaign(config, text, store, workers=workers)
        return go

    plain()  # warm-up: numba compilation, imports
    times = interleaved({"plain-loop": plain, "campaign-1": campaign(1),
                         "campaign-2": campaign(2)}, repeats=3)
    summary = {k: summarise(v) for k, v in times.items()}
    base = summary["plain-loop"]
    print(f"{2 * n} realisations at L = 12 (dimension 924), full ED")
    print("| candidate | min (s) | median (s) | min / plain-loop | median / plain-loop |")
    print("| --- | --- | --- | --- | --- |")
    for name, s in summary.items():
        print(f"| {name} | {s['min']:.2f} | {s['median']:.2f} | {s['min'] / base['min']:.3f} | "
              f"{s['median'] / base['median']:.3f} |")
    save_results("campaign", {"times": times})
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
