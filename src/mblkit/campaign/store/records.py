"""What a realisation produces (a record), its validation, and the rows of a point.

Plain data shared by the journal, the HDF5 layout and the consolidation: :class:`Record` (what
a caller commits), :class:`Row` (a validated record), :class:`Schema` (names, shapes, dtypes
every realisation of a point shares), :class:`PointData` (all stored rows of a point) and
:func:`merge_rows` (rows added to a point, sorted by realisation index, histograms summed).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mblkit.campaign.store.errors import StoreError

CATEGORIES = ("scalars", "arrays", "histograms")
_INT64_MAX = np.iinfo(np.int64).max


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


@dataclass(frozen=True)
class Row:
    """One validated record: seed as canonical JSON, scalars as floats, arrays native-endian."""

    seed: str
    scalars: dict[str, float]
    arrays: dict[str, np.ndarray]
    histograms: dict[str, np.ndarray]


@dataclass(frozen=True)
class Schema:
    """Names, shapes and dtypes that every realisation of one point must share."""

    scalars: tuple[str, ...]
    arrays: tuple[tuple[str, tuple[int, ...], str], ...]
    histograms: tuple[tuple[str, tuple[int, ...]], ...]

    @classmethod
    def of_row(cls, row: Row) -> Schema:
        return cls(
            scalars=tuple(sorted(row.scalars)),
            arrays=tuple((n, row.arrays[n].shape, row.arrays[n].dtype.str)
                         for n in sorted(row.arrays)),
            histograms=tuple((n, row.histograms[n].shape) for n in sorted(row.histograms)),
        )

    def difference(self, other: Schema) -> str:
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
class PointData:
    """All stored rows of one point (as in the HDF5 file)."""

    params: str
    realisations: np.ndarray
    seeds: list[str]
    scalars: dict[str, np.ndarray]
    arrays: dict[str, np.ndarray]
    histograms: dict[str, np.ndarray]

    @classmethod
    def empty(cls, params: str) -> PointData:
        return cls(params, np.empty(0, dtype=np.int64), [], {}, {}, {})

    def schema(self) -> Schema | None:
        if self.realisations.size == 0:
            return None
        return Schema(
            scalars=tuple(sorted(self.scalars)),
            arrays=tuple((n, self.arrays[n].shape[1:], self.arrays[n].dtype.str)
                         for n in sorted(self.arrays)),
            histograms=tuple((n, self.histograms[n].shape) for n in sorted(self.histograms)),
        )


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


def canonical_json(obj: Any, what: str) -> str:
    try:
        return json.dumps(obj, sort_keys=True, default=_json_default)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be JSON-able: {exc}") from None


def as_index(value: Any, what: str) -> int:
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


def normalise_record(record: Record | Mapping[str, Any], where: str) -> Row:
    """Validate a record and convert it to plain NumPy data."""
    if isinstance(record, Record):
        parts = {"scalars": record.scalars, "arrays": record.arrays,
                 "histograms": record.histograms, "seed": record.seed}
    elif isinstance(record, Mapping):
        unknown = set(record) - {*CATEGORIES, "seed"}
        if unknown:
            raise ValueError(f"record {where} has unknown fields {sorted(unknown)}; allowed: "
                             "scalars, arrays, histograms, seed")
        parts = {key: record.get(key, {}) for key in (*CATEGORIES, "seed")}
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
    seed = canonical_json(dict(parts["seed"]), f"record {where}: seed")
    return Row(seed, scalars, arrays, histograms)


def merge_rows(data: PointData, rows: Mapping[int, Row], p: int) -> PointData:
    """``data`` plus ``rows`` (realisations not in ``data``), rows sorted by realisation."""
    if not rows:
        return data
    new = sorted(rows)
    ordered = [rows[i] for i in new]
    schema = data.schema() or Schema.of_row(ordered[0])
    for i, row in zip(new, ordered, strict=True):
        other = Schema.of_row(row)
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
    histograms: dict[str, np.ndarray] = {}
    for name, shape in schema.histograms:
        total = np.asarray(np.sum([row.histograms[name] for row in ordered], axis=0,
                                  dtype=np.int64))
        previous = data.histograms.get(name)
        merged = total if previous is None else previous.astype(np.int64) + total
        histograms[name] = merged.reshape(shape)
    return PointData(data.params, realisations[order], [seeds[k] for k in order], scalars,
                      arrays, histograms)
