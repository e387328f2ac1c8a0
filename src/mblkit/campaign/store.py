"""Crash-safe campaign store: one HDF5 file plus a journal, written only by the driver process.

A campaign is a list of parameter points ``p = 0..P-1`` times realisations ``i``. Every finished
realisation gives a *record*: named scalars, small fixed-shape arrays, int64 histogram counts and
the description of its seed. Workers never write; the driver hands each record to
:meth:`CampaignStore.commit`.

Nothing lost, nothing doubled (DESIGN.md)
-----------------------------------------
* :meth:`~CampaignStore.commit` writes the record as one journal file
  ``<path>.journal/p{p:05d}_r{i:07d}.npz``: written to a temporary file in the journal directory,
  flushed and fsync'ed, renamed onto its final name (``os.replace``, atomic) and the directory
  fsync'ed. A SIGKILL at any moment leaves either no record or a complete one; a leftover temporary
  file (``.tmp-*``) is ignored, and removed when the store is next opened for writing.
  :meth:`~CampaignStore.record_failure` does the same with ``p{p:05d}_r{i:07d}.failed.json``.
* :meth:`~CampaignStore.consolidate` reads the HDF5 file and every journal file, writes a complete
  new HDF5 file ``<path>.tmp`` (fsync'ed), renames it over ``<path>`` and only then deletes the
  journal files it merged. A kill before the rename leaves the old file and the journal; a kill
  after it leaves journal files whose realisations are already stored, and those are skipped (a
  histogram is never counted twice, a row never duplicated) and deleted by the next consolidation.
* The HDF5 file is opened only inside each operation and is never modified in place.
* The content depends only on the set of records, not on the order of the commits nor on how many
  consolidations happened: rows are sorted by realisation index and histogram counts are int64.

HDF5 layout (``format_version = 1``)
------------------------------------
::

    /                       attrs: format = "mblkit-campaign", format_version = 1 (int64),
                                   config_hash (str), config (str, the config text),
                                   metadata (JSON str: mblkit, Python, NumPy, h5py and HDF5
                                   versions, plus everything passed to ``open`` at creation)
    /points                 attr n_points (int64); one group per point, including points with no
                            finished realisation
    /points/p00000          attr params (JSON str, keys sorted)
        realisations        int64 (n,), the realisation indices, strictly increasing
        seeds               variable-length UTF-8 str (n,), row k the JSON text (keys sorted) of
                            the seed description of realisation realisations[k]
        scalars/<name>      float64 (n,)
        arrays/<name>       (n, *shape), the record's dtype (fixed per name)
        histograms/<name>   int64 (*shape), counts summed over the n realisations
    /failures               realisations that failed and have not succeeded since, sorted by
                            (point, realisation)
        point               int64 (m,)
        realisation         int64 (m,)
        message             variable-length UTF-8 str (m,)

Journal files are internal: an ``.npz`` with a JSON ``header`` (point, realisation, seed, the
sorted names), the ``scalars`` as one float64 vector, and arrays ``a<k>`` / histograms ``h<k>``
in the order of the sorted names.
"""

from __future__ import annotations

import errno
import io
import json
import os
import platform
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import h5py
import numpy as np

from mblkit import __version__

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "CampaignStore",
    "PointResults",
    "Record",
    "StoreError",
    "StoreMismatchError",
]

FORMAT = "mblkit-campaign"
FORMAT_VERSION = 1

_JOURNAL_FORMAT = "mblkit-journal"
_RECORD_RE = re.compile(r"^p(\d{5,})_r(\d{7,})\.npz$")
_FAILURE_RE = re.compile(r"^p(\d{5,})_r(\d{7,})\.failed\.json$")
_TMP_PREFIX = ".tmp-"
_CATEGORIES = ("scalars", "arrays", "histograms")
_INT64_MAX = np.iinfo(np.int64).max

_T = TypeVar("_T")


class StoreError(Exception):
    """The campaign store cannot be opened, read or written; the message says what to do."""


class StoreMismatchError(StoreError):
    """The existing store was made from another config than the one given."""


@dataclass(frozen=True)
class Record:
    """What one realisation produced.

    ``scalars``: name -> real number; ``arrays``: name -> small numeric array (same shape and
    dtype for every realisation of a point); ``histograms``: name -> integer counts (same shape
    for every realisation of a point, summed over realisations); ``seed``: JSON-able description
    of the realisation's seed, e.g. ``{"entropy": 1234, "spawn_key": [p, i]}``.
    """

    scalars: Mapping[str, float] = field(default_factory=dict)
    arrays: Mapping[str, np.ndarray] = field(default_factory=dict)
    histograms: Mapping[str, np.ndarray] = field(default_factory=dict)
    seed: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PointResults:
    """Everything stored for one parameter point, rows sorted by realisation index.

    ``scalars[name]`` has shape (n,), ``arrays[name]`` (n, *shape), ``histograms[name]`` the int64
    counts summed over the n realisations, ``seeds[k]`` the seed description of row k.
    """

    params: dict[str, Any]
    realisations: np.ndarray
    scalars: dict[str, np.ndarray]
    arrays: dict[str, np.ndarray]
    histograms: dict[str, np.ndarray]
    seeds: list[dict[str, Any]]

    @property
    def n_realisations(self) -> int:
        """Number of finished realisations."""
        return int(self.realisations.size)


# --------------------------------------------------------------------------- internal data


@dataclass(frozen=True)
class _Row:
    """One validated record: seed as canonical JSON, scalars as floats, arrays native-endian."""

    seed: str
    scalars: dict[str, float]
    arrays: dict[str, np.ndarray]
    histograms: dict[str, np.ndarray]


@dataclass(frozen=True)
class _Schema:
    """Names, shapes and dtypes that every realisation of one point must share."""

    scalars: tuple[str, ...]
    arrays: tuple[tuple[str, tuple[int, ...], str], ...]
    histograms: tuple[tuple[str, tuple[int, ...]], ...]

    @classmethod
    def of_row(cls, row: _Row) -> _Schema:
        return cls(
            scalars=tuple(sorted(row.scalars)),
            arrays=tuple((n, row.arrays[n].shape, row.arrays[n].dtype.str)
                         for n in sorted(row.arrays)),
            histograms=tuple((n, row.histograms[n].shape) for n in sorted(row.histograms)),
        )

    def difference(self, other: _Schema) -> str:
        """Human-readable description of how ``other`` differs from ``self``."""
        parts = []
        for name, mine, theirs in (("scalars", self.scalars, other.scalars),
                                   ("arrays (name, shape, dtype)", self.arrays, other.arrays),
                                   ("histograms (name, shape)", self.histograms,
                                    other.histograms)):
            if mine != theirs:
                parts.append(f"{name} {list(theirs)} instead of {list(mine)}")
        return "; ".join(parts)


@dataclass
class _PointData:
    """All stored rows of one point (as in the HDF5 file)."""

    params: str
    realisations: np.ndarray
    seeds: list[str]
    scalars: dict[str, np.ndarray]
    arrays: dict[str, np.ndarray]
    histograms: dict[str, np.ndarray]

    @classmethod
    def empty(cls, params: str) -> _PointData:
        return cls(params, np.empty(0, dtype=np.int64), [], {}, {}, {})

    def schema(self) -> _Schema | None:
        if self.realisations.size == 0:
            return None
        return _Schema(
            scalars=tuple(sorted(self.scalars)),
            arrays=tuple((n, self.arrays[n].shape[1:], self.arrays[n].dtype.str)
                         for n in sorted(self.arrays)),
            histograms=tuple((n, self.histograms[n].shape) for n in sorted(self.histograms)),
        )


@dataclass(frozen=True)
class _Header:
    config_hash: str
    config_text: str
    metadata: str
    params: tuple[str, ...]


@dataclass
class _Index:
    """Which realisations are where: HDF5 rows and failures, journal files."""

    stored: list[set[int]]
    stored_failures: dict[tuple[int, int], str]
    records: dict[tuple[int, int], Path] = field(default_factory=dict)
    failures: dict[tuple[int, int], tuple[Path, str]] = field(default_factory=dict)

    def completed(self, p: int) -> set[int]:
        return self.stored[p] | {i for (q, i) in self.records if q == p}

    def is_completed(self, p: int, i: int) -> bool:
        return i in self.stored[p] or (p, i) in self.records

    def open_failures(self) -> list[tuple[int, int, str]]:
        merged = dict(self.stored_failures)
        merged.update({key: msg for key, (_, msg) in self.failures.items()})
        return [(p, i, merged[(p, i)]) for (p, i) in sorted(merged)
                if not self.is_completed(p, i)]


# --------------------------------------------------------------------------- helpers


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def _canonical_json(obj: Any, what: str) -> str:
    try:
        return json.dumps(obj, sort_keys=True, default=_json_default)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be JSON-able: {exc}") from None


def _as_index(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{what} must be an integer, got {value!r}")
    if value < 0:
        raise ValueError(f"{what} must be >= 0, got {value}")
    return int(value)


def _check_name(name: Any, category: str) -> str:
    if not isinstance(name, str) or not name or "/" in name or name in (".", ".."):
        raise ValueError(f"{category} name {name!r} is not allowed: use a non-empty string "
                         "without '/'")
    return name


def _normalise_record(record: Record | Mapping[str, Any], where: str) -> _Row:
    """Validate a record and convert it to plain NumPy data."""
    if isinstance(record, Record):
        parts = {"scalars": record.scalars, "arrays": record.arrays,
                 "histograms": record.histograms, "seed": record.seed}
    elif isinstance(record, Mapping):
        unknown = set(record) - {*_CATEGORIES, "seed"}
        if unknown:
            raise ValueError(f"record {where} has unknown fields {sorted(unknown)}; allowed: "
                             "scalars, arrays, histograms, seed")
        parts = {key: record.get(key, {}) for key in (*_CATEGORIES, "seed")}
    else:
        raise ValueError(f"record {where} must be a Record or a mapping, got "
                         f"{type(record).__name__}")
    for key, value in parts.items():
        if not isinstance(value, Mapping):
            raise ValueError(f"record {where}: {key} must be a mapping, got "
                             f"{type(value).__name__}")
    scalars: dict[str, float] = {}
    for name, value in parts["scalars"].items():
        arr = np.asarray(value)
        if arr.ndim != 0 or arr.dtype.kind not in "biuf":
            raise ValueError(f"record {where}: scalar {name!r} must be a real number, got "
                             f"{value!r}")
        scalars[_check_name(name, "scalar")] = float(arr)
    arrays: dict[str, np.ndarray] = {}
    for name, value in parts["arrays"].items():
        arr = np.ascontiguousarray(np.asarray(value))
        if arr.dtype.kind not in "biufc":
            raise ValueError(f"record {where}: array {name!r} must be numeric, got dtype "
                             f"{arr.dtype}")
        if not arr.dtype.isnative:
            arr = arr.astype(arr.dtype.newbyteorder("="))
        arrays[_check_name(name, "array")] = arr
    histograms: dict[str, np.ndarray] = {}
    for name, value in parts["histograms"].items():
        arr = np.asarray(value)
        if arr.dtype.kind not in "iu":
            raise ValueError(f"record {where}: histogram {name!r} must hold integer counts, got "
                             f"dtype {arr.dtype}")
        if arr.size and (arr.min() < 0 or (arr.dtype.kind == "u" and arr.max() > _INT64_MAX)):
            raise ValueError(f"record {where}: histogram {name!r} has counts outside "
                             "0..2**63-1")
        histograms[_check_name(name, "histogram")] = np.ascontiguousarray(arr, dtype=np.int64)
    seed = _canonical_json(dict(parts["seed"]), f"record {where}: seed")
    return _Row(seed, scalars, arrays, histograms)


def _encode_row(p: int, i: int, row: _Row) -> bytes:
    s_names, a_names, h_names = sorted(row.scalars), sorted(row.arrays), sorted(row.histograms)
    header = {"format": _JOURNAL_FORMAT, "version": 1, "point": p, "realisation": i,
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


def _decode_row(path: Path, p: int, i: int) -> _Row:
    """Read one journal record; FileNotFoundError passes through, anything else is StoreError."""
    try:
        with np.load(path, allow_pickle=False) as z:
            header = json.loads(str(z["header"][()]))
            if (header.get("format") != _JOURNAL_FORMAT or header.get("point") != p
                    or header.get("realisation") != i):
                raise ValueError("header does not match the file name")
            values = z["scalars"]
            scalars = {n: float(values[k]) for k, n in enumerate(header["scalars"])}
            arrays = {n: z[f"a{k}"] for k, n in enumerate(header["arrays"])}
            histograms = {n: z[f"h{k}"].astype(np.int64, copy=False)
                          for k, n in enumerate(header["histograms"])}
            return _Row(str(header["seed"]), scalars, arrays, histograms)
    except FileNotFoundError:
        raise
    except Exception as exc:
        raise StoreError(f"journal record {path} is damaged ({exc}); move it away to recompute "
                         "that realisation") from None


def _read_failure(path: Path) -> str:
    try:
        return str(json.loads(path.read_text(encoding="utf-8"))["message"])
    except FileNotFoundError:
        raise
    except Exception as exc:
        raise StoreError(f"journal failure file {path} is damaged ({exc}); delete it") from None


def _h5(path: Path, mode: str) -> h5py.File:
    return h5py.File(path, mode, locking=False)


def _attr_str(value: Any) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return _attr_str(value[()])
    return None


def _point_name(p: int) -> str:
    return f"p{p:05d}"


def _record_name(p: int, i: int) -> str:
    return f"p{p:05d}_r{i:07d}.npz"


def _failure_name(p: int, i: int) -> str:
    return f"p{p:05d}_r{i:07d}.failed.json"


def _is_disk_full(exc: OSError) -> bool:
    text = str(exc)
    return (exc.errno in (errno.ENOSPC, errno.EDQUOT) or "No space left on device" in text
            or f"errno = {errno.ENOSPC}," in text)


@contextmanager
def _disk_errors(action: str) -> Iterator[None]:
    """Turn OSErrors of a write into StoreErrors a user can act on."""
    try:
        yield
    except OSError as exc:
        if _is_disk_full(exc):
            raise StoreError(f"the disk is full: could not {action}. Everything committed before "
                             "is kept; free some space and run again to resume.") from None
        raise StoreError(f"could not {action}: {exc}") from None


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:  # directories cannot be opened on some platforms; nothing to sync then
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _unlink_if_present(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _atomic_write(directory: Path, name: str, data: bytes) -> None:
    """Write ``data`` to ``directory/name`` so that a kill leaves no file or the whole file."""
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=_TMP_PREFIX, suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, directory / name)
    except BaseException:
        _remove_quietly(tmp)
        raise
    _fsync_dir(directory)


def _check_writable_dir(directory: Path, path: Path) -> None:
    """Raise StoreError unless a file can be created in ``directory``."""
    if not directory.exists():
        raise StoreError(f"cannot write the campaign store {path}: directory {directory} does "
                         "not exist; create it or choose another output path")
    if not directory.is_dir():
        raise StoreError(f"cannot write the campaign store {path}: {directory} is not a "
                         "directory; choose another output path")
    try:
        fd, probe = tempfile.mkstemp(dir=directory, prefix=".mblkit-write-test-")
    except OSError as exc:
        raise StoreError(f"cannot write the campaign store {path}: directory {directory} is not "
                         f"writable ({exc.strerror or exc}); fix its permissions or choose "
                         "another output path") from None
    os.close(fd)
    _remove_quietly(Path(probe))


def _not_a_store(path: Path, reason: str) -> StoreError:
    return StoreError(f"{path} is not an mblkit campaign store ({reason}); it was left untouched. "
                      "Choose another output path.")


def _read_header(path: Path) -> _Header:
    """Read and check the root attributes; never modifies the file."""
    if path.is_dir():
        raise _not_a_store(path, "it is a directory")
    try:
        if not h5py.is_hdf5(path):
            raise _not_a_store(path, "it is not an HDF5 file")
        with _h5(path, "r") as f:
            fmt = _attr_str(f.attrs.get("format"))
            if fmt != FORMAT:
                raise _not_a_store(path, f"an HDF5 file without the format mark {FORMAT!r}")
            version = int(f.attrs["format_version"])
            if version > FORMAT_VERSION:
                raise StoreError(f"{path} has campaign format version {version}, newer than this "
                                 f"mblkit {__version__} reads ({FORMAT_VERSION}); upgrade mblkit")
            points = f["points"]
            n = int(points.attrs["n_points"])
            params = tuple(str(_attr_str(points[_point_name(p)].attrs["params"]))
                           for p in range(n))
            return _Header(
                config_hash=str(_attr_str(f.attrs["config_hash"])),
                config_text=str(_attr_str(f.attrs["config"])),
                metadata=str(_attr_str(f.attrs["metadata"])),
                params=params,
            )
    except StoreError:
        raise
    except PermissionError as exc:
        raise StoreError(f"cannot read the campaign store {path}: {exc.strerror or exc}; fix its "
                         "permissions") from None
    except Exception as exc:
        reason = str(exc).split("\n")[0] or type(exc).__name__
        raise _not_a_store(path, f"unreadable or truncated HDF5 file: {reason}") from None


@contextmanager
def _reading(path: Path) -> Iterator[h5py.File]:
    """Open the store read-only; any failure becomes a StoreError naming the file."""
    try:
        with _h5(path, "r") as f:
            yield f
    except StoreError:
        raise
    except Exception as exc:
        raise StoreError(f"cannot read the campaign store {path}: {exc}") from None


def _read_failures(f: h5py.File) -> dict[tuple[int, int], str]:
    g = f["failures"]
    points = g["point"][()]
    reals = g["realisation"][()]
    messages = g["message"].asstr()[()]
    return {(int(p), int(i)): str(m) for p, i, m in zip(points, reals, messages, strict=True)}


def _read_point(f: h5py.File, p: int) -> _PointData:
    g = f["points"][_point_name(p)]
    return _PointData(
        params=str(_attr_str(g.attrs["params"])),
        realisations=g["realisations"][()].astype(np.int64, copy=False),
        seeds=[str(s) for s in g["seeds"].asstr()[()]],
        scalars={n: d[()] for n, d in g["scalars"].items()},
        arrays={n: d[()] for n, d in g["arrays"].items()},
        histograms={n: d[()] for n, d in g["histograms"].items()},
    )


def _write_h5(path: Path, header: _Header, points: Sequence[_PointData],
              failures: Mapping[tuple[int, int], str]) -> None:
    str_dtype = h5py.string_dtype()
    with _h5(path, "w") as f:
        f.attrs["format"] = FORMAT
        f.attrs["format_version"] = np.int64(FORMAT_VERSION)
        f.attrs["config_hash"] = header.config_hash
        f.attrs["config"] = header.config_text
        f.attrs["metadata"] = header.metadata
        group = f.create_group("points")
        group.attrs["n_points"] = np.int64(len(points))
        for p, data in enumerate(points):
            g = group.create_group(_point_name(p))
            g.attrs["params"] = data.params
            g.create_dataset("realisations", data=data.realisations.astype(np.int64))
            g.create_dataset("seeds", data=np.array(data.seeds, dtype=object), dtype=str_dtype,
                             shape=(len(data.seeds),))
            for category in _CATEGORIES:
                sub = g.create_group(category)
                values = getattr(data, category)
                for name in sorted(values):
                    sub.create_dataset(name, data=values[name])
        keys = sorted(failures)
        g = f.create_group("failures")
        g.create_dataset("point", data=np.array([k[0] for k in keys], dtype=np.int64))
        g.create_dataset("realisation", data=np.array([k[1] for k in keys], dtype=np.int64))
        g.create_dataset("message", data=np.array([failures[k] for k in keys], dtype=object),
                         dtype=str_dtype, shape=(len(keys),))
    _fsync_file(path)


def _merge_rows(data: _PointData, rows: Mapping[int, _Row], p: int) -> _PointData:
    """``data`` plus ``rows`` (realisations not in ``data``), rows sorted by realisation."""
    if not rows:
        return data
    new = sorted(rows)
    ordered = [rows[i] for i in new]
    schema = data.schema() or _Schema.of_row(ordered[0])
    for i, row in zip(new, ordered, strict=True):
        other = _Schema.of_row(row)
        if other != schema:
            raise StoreError(f"realisation {i} of point {p} has {schema.difference(other)} "
                             "unlike the point's other realisations")
    realisations = np.concatenate([data.realisations, np.array(new, dtype=np.int64)])
    order = np.argsort(realisations, kind="stable")
    seeds = data.seeds + [row.seed for row in ordered]
    scalars = {}
    for name in schema.scalars:
        old = data.scalars.get(name, np.empty(0, dtype=np.float64))
        scalars[name] = np.concatenate(
            [old, np.array([row.scalars[name] for row in ordered], dtype=np.float64)])[order]
    arrays = {}
    for name, shape, dtype in schema.arrays:
        old = data.arrays.get(name, np.empty((0, *shape), dtype=np.dtype(dtype)))
        arrays[name] = np.concatenate([old, np.stack([row.arrays[name] for row in ordered])])[
            order]
    histograms = {}
    for name, shape in schema.histograms:
        total = np.sum([row.histograms[name] for row in ordered], axis=0, dtype=np.int64)
        old = data.histograms.get(name)
        histograms[name] = total if old is None else old.astype(np.int64) + total
        histograms[name] = histograms[name].reshape(shape)
    return _PointData(data.params, realisations[order], [seeds[k] for k in order], scalars,
                      arrays, histograms)


def _default_metadata() -> dict[str, Any]:
    return {
        "mblkit_version": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "h5py": h5py.version.version,
        "hdf5": h5py.version.hdf5_version,
    }


# --------------------------------------------------------------------------- the store


class CampaignStore:
    """Crash-safe store of a campaign's results: an HDF5 file plus a journal (module docstring).

    Make one with :meth:`open` (the driver, for writing) or :meth:`read` (read-only, e.g. for
    ``status`` and ``summary``). Used as a context manager, leaving it consolidates the journal.
    """

    def __init__(self, path: Path, header: _Header, *, writable: bool) -> None:
        """Internal: use :meth:`open` or :meth:`read`."""
        self._path = path
        self._journal = Path(str(path) + ".journal")
        self._tmp = Path(str(path) + ".tmp")
        self._header = header
        self._writable = writable
        self._closed = False
        self._schemas: dict[int, _Schema] = {}
        self._cache: _Index | None = None

    # ------------------------------------------------------------------ construction

    @classmethod
    def open(cls, path: str | os.PathLike[str], config_text: str, config_hash: str,
             points: Sequence[Mapping[str, Any]], metadata: Mapping[str, Any]) -> Self:
        """Open the store at ``path`` for writing, creating it if it does not exist.

        An existing file must be a campaign store (else :class:`StoreError`, the file untouched)
        made from the same config: same ``config_hash`` and same point parameters (else
        :class:`StoreMismatchError`). If the hash matches but ``config_text`` differs (the hash
        leaves out what does not change results, such as the number of realisations), the
        stored text is replaced by ``config_text`` atomically. The directory must be writable
        (else :class:`StoreError`).
        ``metadata`` (JSON-able) is stored, with library versions, when the store is created.
        """
        path = Path(path)
        param_texts = tuple(_canonical_json(dict(params), f"parameters of point {p}")
                            for p, params in enumerate(points))
        if os.path.lexists(path):
            header = _read_header(path)
            if header.config_hash != config_hash:
                raise StoreMismatchError(
                    f"the campaign store {path} was made from another config (config hash "
                    f"{header.config_hash}, this config has {config_hash}); restore the config "
                    "it was made from, or choose another output path")
            if header.params != param_texts:
                raise StoreMismatchError(
                    f"the campaign store {path} was made with other parameter points "
                    f"({len(header.params)} points stored, {len(param_texts)} given) although "
                    "the config hash matches; restore the config it was made from, or choose "
                    "another output path")
            _check_writable_dir(path.parent, path)
            text_changed = header.config_text != str(config_text)
            if text_changed:  # same hash: e.g. more realisations, or comments edited
                header = replace(header, config_text=str(config_text))
            store = cls(path, header, writable=True)
            store._prepare_journal()
            _remove_quietly(store._tmp)
            if text_changed:
                with _disk_errors(f"update the config text of {path}"), _reading(path) as f:
                    points = [_read_point(f, p) for p in range(len(param_texts))]
                    failures = _read_failures(f)
                with _disk_errors(f"update the config text of {path}"):
                    store._replace_h5(points, failures)
        else:
            _check_writable_dir(path.parent, path)
            journal = Path(str(path) + ".journal")
            if journal.is_dir() and any(_RECORD_RE.match(n) or _FAILURE_RE.match(n)
                                        for n in os.listdir(journal)):
                raise StoreError(f"found the journal {journal} but not its store {path}; move "
                                 "the journal away or choose another output path")
            meta = {**_default_metadata(), **dict(metadata)}
            header = _Header(config_hash=str(config_hash), config_text=str(config_text),
                             metadata=_canonical_json(meta, "metadata"), params=param_texts)
            store = cls(path, header, writable=True)
            with _disk_errors(f"create the campaign store {path}"):
                store._replace_h5([_PointData.empty(t) for t in param_texts], {})
            store._prepare_journal()
        store._cache = store._scan()
        return store

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> Self:
        """Open an existing store read-only; queries include the journal, nothing is moved."""
        path = Path(path)
        if not os.path.lexists(path):
            raise StoreError(f"there is no campaign store at {path}")
        return cls(path, _read_header(path), writable=False)

    def _prepare_journal(self) -> None:
        """Create the journal directory and remove temporary files left by a kill."""
        with _disk_errors(f"create the journal directory {self._journal}"):
            if os.path.lexists(self._journal) and not self._journal.is_dir():
                raise StoreError(f"{self._journal} should be the store's journal directory but is "
                                 "a file; move it away or choose another output path")
            self._journal.mkdir(exist_ok=True)
            for name in os.listdir(self._journal):
                if name.startswith(_TMP_PREFIX):
                    _remove_quietly(self._journal / name)
            _check_writable_dir(self._journal, self._path)

    # ------------------------------------------------------------------ properties

    @property
    def path(self) -> Path:
        """The HDF5 file."""
        return self._path

    @property
    def journal_dir(self) -> Path:
        """The journal directory, ``<path>.journal``."""
        return self._journal

    @property
    def writable(self) -> bool:
        """True when opened with :meth:`open` and not closed."""
        return self._writable and not self._closed

    @property
    def config_text(self) -> str:
        """The text of the config the store was made from."""
        return self._header.config_text

    @property
    def config_hash(self) -> str:
        """The hash of the config the store was made from."""
        return self._header.config_hash

    @property
    def metadata(self) -> dict[str, Any]:
        """Versions and whatever was passed to :meth:`open` when the store was created."""
        return json.loads(self._header.metadata)

    @property
    def n_points(self) -> int:
        """Number of parameter points."""
        return len(self._header.params)

    def point_params(self, p: int) -> dict[str, Any]:
        """The parameters of point ``p``."""
        return json.loads(self._header.params[self._check_point(p)])

    # ------------------------------------------------------------------ queries

    def completed(self, p: int) -> set[int]:
        """Realisation indices of point ``p`` that are stored (HDF5 file or journal)."""
        p = self._check_point(p)
        return self._query(lambda index: index.completed(p))

    def failures(self) -> list[tuple[int, int, str]]:
        """(point, realisation, message) of failed realisations that have not succeeded since."""
        return self._query(lambda index: index.open_failures())

    def load_point(self, p: int) -> PointResults:
        """Everything stored for point ``p`` (HDF5 file and journal), without writing."""
        p = self._check_point(p)

        def load(index: _Index) -> PointResults:
            with _reading(self._path) as f:
                data = _read_point(f, p)
            stored = set(data.realisations.tolist())
            rows = {i: _decode_row(file, p, i) for (q, i), file in sorted(index.records.items())
                    if q == p and i not in stored}
            data = _merge_rows(data, rows, p)
            return PointResults(
                params=json.loads(data.params), realisations=data.realisations,
                scalars=data.scalars, arrays=data.arrays, histograms=data.histograms,
                seeds=[json.loads(s) for s in data.seeds])

        return self._query(load)

    # ------------------------------------------------------------------ writing

    def commit(self, p: int, i: int, record: Record | Mapping[str, Any]) -> None:
        """Store the record of realisation ``i`` of point ``p`` durably (in the journal).

        Raises ValueError for a malformed record or one whose names, shapes or dtypes differ from
        the point's other realisations, and StoreError if the realisation is already stored or
        the write fails (a full disk included; what was committed before is kept).
        """
        self._require_writable()
        p = self._check_point(p)
        i = _as_index(i, "realisation index")
        index = self._index()
        if index.is_completed(p, i):
            raise StoreError(f"realisation {i} of point {p} is already stored in {self._path}")
        row = _normalise_record(record, f"(point {p}, realisation {i})")
        schema = _Schema.of_row(row)
        expected = self._schema(p, index)
        if expected is not None and expected != schema:
            raise ValueError(f"record (point {p}, realisation {i}) has "
                             f"{expected.difference(schema)} unlike the point's other "
                             "realisations")
        name = _record_name(p, i)
        with _disk_errors(f"commit realisation {i} of point {p} to {self._journal}"):
            _atomic_write(self._journal, name, _encode_row(p, i, row))
        index.records[(p, i)] = self._journal / name
        self._schemas[p] = schema

    def record_failure(self, p: int, i: int, message: str) -> None:
        """Record that realisation ``i`` of point ``p`` failed (until it succeeds)."""
        self._require_writable()
        p = self._check_point(p)
        i = _as_index(i, "realisation index")
        index = self._index()
        if index.is_completed(p, i):
            raise StoreError(f"realisation {i} of point {p} is already stored in {self._path}; "
                             "it cannot be recorded as failed")
        message = str(message)
        name = _failure_name(p, i)
        data = json.dumps({"format": _JOURNAL_FORMAT, "version": 1, "point": p,
                           "realisation": i, "message": message}).encode("utf-8")
        with _disk_errors(f"record the failure of realisation {i} of point {p} in "
                          f"{self._journal}"):
            _atomic_write(self._journal, name, data)
        index.failures[(p, i)] = (self._journal / name, message)

    def consolidate(self) -> None:
        """Merge the journal into the HDF5 file (atomically replaced), then empty the journal."""
        self._require_writable()
        index = self._index()
        records, failures = dict(index.records), dict(index.failures)
        if not records and not failures:
            return
        with _reading(self._path) as f:
            points = [_read_point(f, p) for p in range(self.n_points)]
            merged_failures = _read_failures(f)
        by_point: dict[int, dict[int, _Row]] = {}
        for (p, i), file in sorted(records.items()):
            if i not in index.stored[p]:
                by_point.setdefault(p, {})[i] = _decode_row(file, p, i)
        points = [_merge_rows(points[p], by_point.get(p, {}), p) for p in range(self.n_points)]
        stored = [set(data.realisations.tolist()) for data in points]
        merged_failures.update({key: msg for key, (_, msg) in failures.items()})
        merged_failures = {(p, i): msg for (p, i), msg in merged_failures.items()
                           if i not in stored[p]}
        with _disk_errors(f"consolidate the journal into {self._path}"):
            self._replace_h5(points, merged_failures)
            index.stored = stored
            index.stored_failures = merged_failures
            for key, file in records.items():
                _unlink_if_present(file)
                del index.records[key]
            for key, (file, _) in failures.items():
                _unlink_if_present(file)
                del index.failures[key]
            _fsync_dir(self._journal)

    def close(self) -> None:
        """Consolidate (when opened for writing); afterwards the store no longer writes."""
        if self._writable and not self._closed:
            self.consolidate()
        self._closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is None:
            self.close()
            return
        try:
            self.close()
        except StoreError as error:  # keep the original exception; note why closing failed
            exc.add_note(f"closing the campaign store failed too: {error}")

    def __repr__(self) -> str:
        mode = "writable" if self.writable else "read-only"
        return f"CampaignStore({str(self._path)!r}, {self.n_points} points, {mode})"

    # ------------------------------------------------------------------ internals

    def _check_point(self, p: int) -> int:
        p = _as_index(p, "point index")
        if p >= self.n_points:
            raise ValueError(f"point index {p} is out of range: the campaign has "
                             f"{self.n_points} points")
        return p

    def _require_writable(self) -> None:
        if not self._writable:
            raise StoreError(f"the campaign store {self._path} was opened read-only")
        if self._closed:
            raise StoreError(f"the campaign store {self._path} is closed")

    def _replace_h5(self, points: Sequence[_PointData],
                    failures: Mapping[tuple[int, int], str]) -> None:
        """Write a complete new file next to the store and rename it over the store."""
        try:
            _write_h5(self._tmp, self._header, points, failures)
            os.replace(self._tmp, self._path)
        except BaseException:
            _remove_quietly(self._tmp)
            raise
        _fsync_dir(self._path.parent)

    def _scan(self) -> _Index:
        """Read the current state from disk: journal listing first, then the HDF5 index."""
        records: dict[tuple[int, int], Path] = {}
        failure_files: dict[tuple[int, int], Path] = {}
        try:
            names = sorted(os.listdir(self._journal))
        except FileNotFoundError:
            names = []
        except OSError as exc:
            raise StoreError(f"cannot read the journal {self._journal}: {exc}") from None
        for name in names:
            if match := _RECORD_RE.match(name):
                records[(int(match[1]), int(match[2]))] = self._journal / name
            elif match := _FAILURE_RE.match(name):
                failure_files[(int(match[1]), int(match[2]))] = self._journal / name
        outside = sorted({p for p, _ in [*records, *failure_files] if p >= self.n_points})
        if outside:
            raise StoreError(f"journal files for points {outside} in {self._journal}, but the "
                             f"campaign has {self.n_points} points; move them away")
        with _reading(self._path) as f:
            stored = [set(f["points"][_point_name(p)]["realisations"][()].tolist())
                      for p in range(self.n_points)]
            stored_failures = _read_failures(f)
        failures = {key: (file, _read_failure(file)) for key, file in failure_files.items()}
        return _Index(stored, stored_failures, records, failures)

    def _index(self) -> _Index:
        """The writer's cached index (it is the only writer), or a fresh scan when read-only."""
        if self._writable:
            if self._cache is None:
                self._cache = self._scan()
            return self._cache
        return self._scan()

    def _query(self, fn: Callable[[_Index], _T]) -> _T:
        """Run a query; read-only stores retry when a concurrent consolidation moved files."""
        attempts = 1 if self._writable else 5
        for attempt in range(attempts):
            try:
                return fn(self._index())
            except FileNotFoundError:
                if attempt + 1 == attempts:
                    break
                time.sleep(0.05)
        raise StoreError(f"the campaign store {self._path} or its journal changed or vanished "
                         "while being read; try again")

    def _schema(self, p: int, index: _Index) -> _Schema | None:
        """Names, shapes and dtypes of point ``p``'s stored realisations, if it has any."""
        if p in self._schemas:
            return self._schemas[p]
        schema = None
        if index.stored[p]:
            with _reading(self._path) as f:
                schema = _read_point(f, p).schema()
        else:
            keys = sorted(key for key in index.records if key[0] == p)
            if keys:
                schema = _Schema.of_row(_decode_row(index.records[keys[0]], *keys[0]))
        if schema is not None:
            self._schemas[p] = schema
        return schema
