"""Helpers for campaign tests: a tiny config and a full dump of a store for comparisons."""

from pathlib import Path

import h5py
import numpy as np

TINY = """
name = "tiny"
seed = 11
realisations = {realisations}
output = "{output}"

[model]
name = "xxz"
params = {{ J = 1.0, delta = 1.0 }}
grid = {{ L = [6, 8], W = [1.0, 5.0] }}

[solver]
method = "full"
sector = "half"

[[observables]]
name = "gap_ratio"
bins = 20

[[observables]]
name = "purity"
sites = "middle"
"""


def dump_store(path: Path) -> dict:
    """Every dataset and attribute of an HDF5 file, keyed by path, for exact comparison."""
    out: dict = {}

    def visit(name, obj):
        for key, value in obj.attrs.items():
            out[f"{name}@{key}"] = value
        if isinstance(obj, h5py.Dataset):
            out[name] = obj[()]

    with h5py.File(path, "r") as f:
        for key, value in f.attrs.items():
            out[f"@{key}"] = value
        f.visititems(visit)
    return out


def assert_same_store(a: Path, b: Path,
                      ignore: tuple[str, ...] = ("@config", "@header_sha256",
                                                 "about/resolved_config",
                                                 "about/resolved_config@sha256",
                                                 "about/provenance", "about/provenance@sha256")
                      ) -> None:
    """Every number equal; by default the config text (which names the output file), its
    resolved form, the header checksum that covers it and the runs' provenance (times, hosts,
    workers) may differ, its hash of everything that determines the results may not."""
    da, db = dump_store(a), dump_store(b)
    keys = sorted(k for k in set(da) | set(db) if not any(k.endswith(i) for i in ignore))
    assert sorted(k for k in da if k in keys) == sorted(k for k in db if k in keys)
    for key in keys:
        va, vb = da[key], db[key]
        if isinstance(va, np.ndarray) and va.dtype.kind in "fc":
            np.testing.assert_array_equal(va, vb, err_msg=key)
        else:
            assert np.array_equal(np.asarray(va), np.asarray(vb)), key


TINY_FLOQUET = """
name = "tiny-floquet"
seed = 5
realisations = {realisations}
output = "{output}"

[model]
name = "brickwork"
grid = {{ L = [4, 8], J = [0.02, 0.2] }}

[[observables]]
name = "gap_ratio"

[[observables]]
name = "resonances"
sites = [0, 1]
log_bins = {{ omega = [1e-12, 10.0, 65] }}
"""

TINY_SCHEME = """
name = "tiny-scheme"
seed = 9
realisations = {realisations}
output = "{output}"

[model]
name = "avalanche-scheme"
grid = {{ L = [20, 60], eps = [0.1, 0.6] }}
"""
