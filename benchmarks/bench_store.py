"""Benchmark of issue 13: what the store's integrity costs at a merge.

A store of P points x N realisations, each record with 4 scalars, a 324-float array (an
L = 18 purity-products matrix) and a 50-bin histogram, all in the journal; interleaved and
repeated:
* ``raw-h5py``: the same rows written once with plain h5py to a named file, no checksums, no
  fsync - the floor of writing the data;
* ``consolidate``: a writer's open and merge of half the rows from the journal into a store
  holding the other half: the HDF5 file read with every checksum verified (once, at open), the
  journal records checked at open and decoded at the merge, a new file written through an
  ``mkstemp`` descriptor with a SHA-256 per dataset, fsync'ed and renamed (plus copying the two
  inputs);
* ``verify``: ``CampaignStore.load_point`` of every point (a reader: every checksum checked).

Usage: python benchmarks/bench_store.py [points] [realisations per point]   (default 8 200)
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import h5py
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import interleaved, save_results, summarise
from mblkit.campaign.store import CampaignStore


def record(p: int, i: int) -> dict:
    rng = np.random.default_rng([p, i])
    return {"scalars": {f"s{k}": rng.uniform() for k in range(4)},
            "arrays": {"purity_products": rng.uniform(size=(18, 18))},
            "histograms": {"gap_ratio": rng.integers(0, 30, size=50)},
            "seed": {"entropy": 1, "spawn_key": [p, i]}}


def main() -> None:
    n_points = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    tmp = Path(tempfile.mkdtemp())
    points = [{"L": 18, "W": float(w)} for w in range(n_points)]
    records = {(p, i): record(p, i) for p in range(n_points) for i in range(n)}
    path = tmp / "s.h5"
    with CampaignStore.open(path, "[c]", "h", points, {}) as store:
        for (p, i), rec in records.items():
            store.commit(p, i, rec)
    journal_copy = tmp / "journal"
    shutil.copytree(str(path) + ".journal", journal_copy)  # empty: merged at close

    def raw() -> None:
        with h5py.File(tmp / "raw.h5", "w") as f:
            for p in range(n_points):
                g = f.create_group(f"p{p:05d}")
                rows = [records[(p, i)] for i in range(n)]
                g["realisations"] = np.arange(n)
                for k in range(4):
                    g[f"scalars/s{k}"] = np.array([r["scalars"][f"s{k}"] for r in rows])
                g["arrays/purity_products"] = np.stack([r["arrays"]["purity_products"]
                                                        for r in rows])
                g["histograms/gap_ratio"] = np.sum([r["histograms"]["gap_ratio"]
                                                    for r in rows], axis=0)

    half = {key: rec for key, rec in records.items() if key[1] % 2 == 0}
    prepared = tmp / "prepared.h5"  # the even half merged, the odd half in the journal
    with CampaignStore.open(prepared, "[c]", "h", points, {}) as store:
        for (p, i), rec in half.items():
            store.commit(p, i, rec)
    store = CampaignStore.open(prepared, "[c]", "h", points, {})
    for (p, i), rec in records.items():
        if i % 2:
            store.commit(p, i, rec)
    store._lock.release()  # as a killed run leaves it: nothing merged
    store._closed = True

    def consolidate() -> None:
        work = tmp / "work.h5"
        shutil.rmtree(str(work) + ".journal", ignore_errors=True)
        shutil.copy(prepared, work)
        shutil.copytree(str(prepared) + ".journal", str(work) + ".journal")
        CampaignStore.open(work, "[c]", "h", points, {}).close()  # verify, merge, replace

    reader = CampaignStore.read(path)

    def verify() -> None:
        for p in range(n_points):
            reader.load_point(p)

    raw()
    times = interleaved({"raw-h5py": raw, "consolidate": consolidate, "verify": verify},
                        repeats=5)
    summary = {k: summarise(v) for k, v in times.items()}
    floor = summary["raw-h5py"]
    size = path.stat().st_size / 2**20
    print(f"{n_points} points x {n} realisations, store {size:.1f} MiB; consolidate merges "
          f"{len(records) - len(half)} journal records into the other {len(half)}")
    print("| candidate | min (s) | median (s) | min / raw-h5py | median / raw-h5py |")
    print("| --- | --- | --- | --- | --- |")
    for name, s in summary.items():
        print(f"| {name} | {s['min']:.3f} | {s['median']:.3f} | {s['min'] / floor['min']:.2f} | "
              f"{s['median'] / floor['median']:.2f} |")
    save_results("store", {"times": times, "points": n_points, "realisations": n})
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
