"""The journal: one file per finished (or failed) realisation, written atomically.

``<store>.journal/p{p:05d}_r{i:07d}.npz`` holds a record: a JSON ``header`` (point,
realisation, seed, the sorted names), the ``scalars`` as one float64 vector, and arrays
``a<k>`` / histograms ``h<k>`` in the order of the sorted names.
``p{p:05d}_r{i:07d}.failed.json`` holds a failure message. Both are internal to the store.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np

from mblkit.campaign.store.errors import StoreError
from mblkit.campaign.store.records import Row

JOURNAL_FORMAT = "mblkit-journal"
RECORD_RE = re.compile(r"^p(\d{5,})_r(\d{7,})\.npz$")
FAILURE_RE = re.compile(r"^p(\d{5,})_r(\d{7,})\.failed\.json$")


def record_name(p: int, i: int) -> str:
    return f"p{p:05d}_r{i:07d}.npz"


def failure_name(p: int, i: int) -> str:
    return f"p{p:05d}_r{i:07d}.failed.json"


def encode_row(p: int, i: int, row: Row) -> bytes:
    s_names, a_names, h_names = sorted(row.scalars), sorted(row.arrays), sorted(row.histograms)
    header = {"format": JOURNAL_FORMAT, "version": 1, "point": p, "realisation": i,
              "seed": row.seed, "scalars": s_names, "arrays": a_names, "histograms": h_names}
    content: dict[str, np.ndarray] = {
        "header": np.array(json.dumps(header)),
        "scalars": np.array([row.scalars[n] for n in s_names], dtype=np.float64),
    }
    content.update({f"a{k}": row.arrays[n] for k, n in enumerate(a_names)})
    content.update({f"h{k}": row.histograms[n] for k, n in enumerate(h_names)})
    buffer = io.BytesIO()
    np.savez(buffer, **content)
    return buffer.getvalue()


def decode_row(path: Path, p: int, i: int) -> Row:
    """Read one journal record; FileNotFoundError passes through, anything else is StoreError."""
    try:
        with np.load(path, allow_pickle=False) as z:
            header = json.loads(str(z["header"][()]))
            if (header.get("format") != JOURNAL_FORMAT or header.get("point") != p
                    or header.get("realisation") != i):
                raise ValueError("header does not match the file name")
            values = z["scalars"]
            scalars = {n: float(values[k]) for k, n in enumerate(header["scalars"])}
            arrays = {n: z[f"a{k}"] for k, n in enumerate(header["arrays"])}
            histograms = {n: z[f"h{k}"].astype(np.int64, copy=False)
                          for k, n in enumerate(header["histograms"])}
            return Row(str(header["seed"]), scalars, arrays, histograms)
    except FileNotFoundError:
        raise
    except Exception as exc:
        raise StoreError(f"journal record {path} is damaged ({exc}); move it away to recompute "
                         "that realisation") from None


def read_failure(path: Path) -> str:
    try:
        return str(json.loads(path.read_text(encoding="utf-8"))["message"])
    except FileNotFoundError:
        raise
    except Exception as exc:
        raise StoreError(f"journal failure file {path} is damaged ({exc}); delete it") from None
