"""The journal: one file per finished (or failed) realisation, written atomically.

``<store>.journal/p{p:05d}_r{i:07d}.npz`` holds a record: a JSON ``header`` (the campaign's
config hash, point, realisation, seed, the sorted names), the ``scalars`` as one float64
vector, and arrays ``a<k>`` / histograms ``h<k>`` in the order of the sorted names.
``p{p:05d}_r{i:07d}.failed.json`` holds a failure message with the same marks. Both are
internal to the store; a file whose marks do not match (copied from another campaign, renamed)
is refused, never merged.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np

from mblkit.campaign.store.errors import StoreError
from mblkit.campaign.store.records import Row


class ForeignRecordError(StoreError):
    """A journal file that belongs to another campaign or another (point, realisation)."""

JOURNAL_FORMAT = "mblkit-journal"
#: 2: every file carries the campaign's config hash.
JOURNAL_VERSION = 2
RECORD_RE = re.compile(r"^p(\d{5,})_r(\d{7,})\.npz$")
FAILURE_RE = re.compile(r"^p(\d{5,})_r(\d{7,})\.failed\.json$")


def record_name(p: int, i: int) -> str:
    return f"p{p:05d}_r{i:07d}.npz"


def failure_name(p: int, i: int) -> str:
    return f"p{p:05d}_r{i:07d}.failed.json"


def encode_row(p: int, i: int, row: Row, config_hash: str) -> bytes:
    s_names, a_names, h_names = sorted(row.scalars), sorted(row.arrays), sorted(row.histograms)
    header = {"format": JOURNAL_FORMAT, "version": JOURNAL_VERSION, "config_hash": config_hash,
              "point": p, "realisation": i, "seed": row.seed, "scalars": s_names,
              "arrays": a_names, "histograms": h_names}
    content: dict[str, np.ndarray] = {
        "header": np.array(json.dumps(header)),
        "scalars": np.array([row.scalars[n] for n in s_names], dtype=np.float64),
    }
    content.update({f"a{k}": row.arrays[n] for k, n in enumerate(a_names)})
    content.update({f"h{k}": row.histograms[n] for k, n in enumerate(h_names)})
    buffer = io.BytesIO()
    np.savez(buffer, **content)  # type: ignore[arg-type]
    return buffer.getvalue()


def _check_header(path: Path, header: dict, p: int, i: int, config_hash: str) -> None:
    """Refuse a journal file of another campaign, of another (point, realisation), or one
    without the campaign mark (written by mblkit < 0.2)."""
    if header.get("format") != JOURNAL_FORMAT:
        raise ValueError("not an mblkit journal file")
    if "config_hash" not in header:
        raise ForeignRecordError(f"journal file {path} has no campaign mark (written by an "
                                 "older mblkit); move it out of the journal to recompute that "
                                 "realisation")
    if header["config_hash"] != config_hash:
        raise ForeignRecordError(
            f"journal file {path} belongs to another campaign (config hash "
            f"{str(header['config_hash'])[:12]}..., this store {config_hash[:12]}...): it was "
            "copied or left here by mistake; move it out of the journal")
    if header.get("point") != p or header.get("realisation") != i:
        raise ForeignRecordError(
            f"journal file {path} holds point {header.get('point')}, realisation "
            f"{header.get('realisation')}, not what its name says (point {p}, realisation {i}); "
            "move it out of the journal")


def decode_row(path: Path, p: int, i: int, config_hash: str) -> Row:
    """Read and verify one journal record (campaign, point, realisation; the zip CRC-32 of
    every member); FileNotFoundError passes through, anything else is a StoreError."""
    try:
        with np.load(path, allow_pickle=False) as z:
            header = json.loads(str(z["header"][()]))
            _check_header(path, header, p, i, config_hash)
            values = z["scalars"]
            scalars = {n: float(values[k]) for k, n in enumerate(header["scalars"])}
            arrays = {n: z[f"a{k}"] for k, n in enumerate(header["arrays"])}
            histograms = {n: z[f"h{k}"].astype(np.int64, copy=False)
                          for k, n in enumerate(header["histograms"])}
            if len(values) != len(header["scalars"]):
                raise ValueError("scalars do not match their names")
            return Row(str(header["seed"]), scalars, arrays, histograms)
    except (FileNotFoundError, StoreError):
        raise
    except Exception as exc:
        raise StoreError(f"journal record {path} is damaged ({exc}); move it out of the journal "
                         "to recompute that realisation") from None


def check_record(path: Path, p: int, i: int, config_hash: str) -> None:
    """Verify a record's header only (cheap: the arrays are not read)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            _check_header(path, json.loads(str(z["header"][()])), p, i, config_hash)
    except (FileNotFoundError, StoreError):
        raise
    except Exception as exc:
        raise StoreError(f"journal record {path} is damaged ({exc}); move it out of the journal "
                         "to recompute that realisation") from None


def encode_failure(p: int, i: int, message: str, config_hash: str) -> bytes:
    return json.dumps({"format": JOURNAL_FORMAT, "version": JOURNAL_VERSION,
                       "config_hash": config_hash, "point": p, "realisation": i,
                       "message": message}).encode("utf-8")


def read_failure(path: Path, p: int, i: int, config_hash: str) -> str:
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
        _check_header(path, content, p, i, config_hash)
        return str(content["message"])
    except (FileNotFoundError, StoreError):
        raise
    except Exception as exc:
        raise StoreError(f"journal failure file {path} is damaged ({exc}); delete it") from None
