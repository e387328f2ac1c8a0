"""The HDF5 layout of a campaign store: whole files written once, read with their checksums
verified (the layout is described in the package docstring).

Integrity: every dataset carries an attribute ``sha256``, the SHA-256 of its dtype, shape and
bytes (variable-length strings: of their JSON list), and the root an attribute
``header_sha256`` over the format version, config hash, config text, metadata, numerics and
every point's parameters. Reading verifies them: a flipped bit anywhere in the stored numbers,
texts or parameters is a :class:`DamagedStoreError` naming the point, never a silent wrong
number. (Damage to HDF5's own structures makes the file unreadable, which is reported too.)
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

import h5py
import numpy as np

from mblkit import __version__
from mblkit.campaign.store.errors import StoreError
from mblkit.campaign.store.records import CATEGORIES, PointData

FORMAT = "mblkit-campaign"
#: 4: realisations seeded by the point's parameters, not its grid index (mblkit.campaign.
#: seeding); 3: /about (histogram bins, resolved config, provenance); 2: checksums, numerics,
#: resolved point parameters; 1: no checksums. Formats < 4 are read, not resumed.
#: docs/store-format.md.
FORMAT_VERSION = 4
#: the first format whose realisations are seeded by the point's parameters
PARAMETER_SEEDING_VERSION = 4


class DamagedStoreError(StoreError):
    """Stored data fail their checksum; ``point`` is the damaged point (None: the header)."""

    def __init__(self, message: str, point: int | None) -> None:
        super().__init__(message)
        self.point = point


@dataclass(frozen=True)
class Header:
    config_hash: str
    config_text: str
    metadata: str
    params: tuple[str, ...]
    numerics: str = "{}"
    version: int = FORMAT_VERSION
    #: format 3, /about: per point the JSON of its histograms' bins (mblkit.campaign.bins),
    #: the resolved config (JSON) and one JSON provenance entry per run
    bins: tuple[str, ...] = ()
    resolved_config: str = ""
    provenance: tuple[str, ...] = ()


def h5file(path: Path | IO[bytes], mode: str) -> h5py.File:
    return h5py.File(path, mode, locking=False)


def attr_str(value: Any) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return attr_str(value[()])
    return None


def point_name(p: int) -> str:
    return f"p{p:05d}"


def not_a_store(path: Path, reason: str) -> StoreError:
    return StoreError(f"{path} is not an mblkit campaign store ({reason}); it was left untouched. "
                      "Choose another output path.")


def digest(values: np.ndarray | Sequence[str]) -> str:
    """SHA-256 of an array's dtype, shape and bytes, or of a list of strings."""
    h = hashlib.sha256()
    if isinstance(values, np.ndarray) and values.dtype != object:
        a = np.ascontiguousarray(values)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    else:
        h.update(json.dumps([str(v) for v in values]).encode("utf-8"))
    return h.hexdigest()


def header_digest(header: Header) -> str:
    return digest([str(header.version), header.config_hash, header.config_text,
                   header.metadata, header.numerics, *header.params])


def _damaged(path: Path, what: str, point: int | None, params: str | None = None
             ) -> DamagedStoreError:
    if point is None:
        return DamagedStoreError(
            f"the campaign store {path} is damaged: {what} fails its checksum. Restore it from "
            "a backup, or move it away and run the config again to recompute everything.", None)
    where = f"point {point}" + (f" ({params})" if params else "")
    return DamagedStoreError(
        f"the campaign store {path} is damaged: {where}, {what} fails its checksum. The other "
        f"points are checked separately. To recompute point {point}: `mblkit repair {path}` "
        "empties the damaged points (keeping every other result), then run the config again.",
        point)


def read_header(path: Path) -> Header:
    """Read and check the root attributes; never modifies the file."""
    if path.is_dir():
        raise not_a_store(path, "it is a directory")
    try:
        if not h5py.is_hdf5(path):
            raise not_a_store(path, "it is not an HDF5 file")
        with h5file(path, "r") as f:
            fmt = attr_str(f.attrs.get("format"))
            if fmt != FORMAT:
                raise not_a_store(path, f"an HDF5 file without the format mark {FORMAT!r}")
            version = int(f.attrs["format_version"])
            if version > FORMAT_VERSION:
                raise StoreError(f"{path} has campaign format version {version}, newer than this "
                                 f"mblkit {__version__} reads ({FORMAT_VERSION}); upgrade mblkit")
            points = f["points"]
            n = int(points.attrs["n_points"])
            params = tuple(str(attr_str(points[point_name(p)].attrs["params"]))
                           for p in range(n))
            header = Header(
                config_hash=str(attr_str(f.attrs["config_hash"])),
                config_text=str(attr_str(f.attrs["config"])),
                metadata=str(attr_str(f.attrs["metadata"])),
                params=params,
                numerics=str(attr_str(f.attrs.get("numerics", "{}"))),
                version=version,
            )
            if version >= 2 and attr_str(f.attrs.get("header_sha256")) != header_digest(header):
                raise _damaged(path, "the header (config, metadata or point parameters)", None)
            if "about" in f:
                header = replace(header, **read_about(path, f["about"]))
            return header
    except StoreError:
        raise
    except PermissionError as exc:
        raise StoreError(f"cannot read the campaign store {path}: {exc.strerror or exc}; fix its "
                         "permissions") from None
    except Exception as exc:
        reason = str(exc).split("\n")[0] or type(exc).__name__
        raise not_a_store(path, f"unreadable or truncated HDF5 file: {reason}") from None


@contextmanager
def reading(path: Path) -> Iterator[h5py.File]:
    """Open the store read-only; any failure becomes a StoreError naming the file."""
    try:
        with h5file(path, "r") as f:
            yield f
    except StoreError:
        raise
    except Exception as exc:
        raise StoreError(f"cannot read the campaign store {path}: {exc}") from None


def _read(path: Path, d: h5py.Dataset, what: str, point: int | None,
          params: str | None = None, strings: bool = False) -> np.ndarray:
    """A dataset's values, its checksum verified (format 2)."""
    try:
        values = d.asstr()[()] if strings else d[()]
    except Exception as exc:  # HDF5 could not decode the data: damage too
        raise _damaged(path, f"{what} (unreadable: {str(exc).splitlines()[0]})", point,
                       params) from None
    stored = d.attrs.get("sha256")
    if stored is not None or int(d.file.attrs["format_version"]) >= 2:
        if attr_str(stored) != digest(values):
            raise _damaged(path, what, point, params)
    return values


def read_about(path: Path, g: h5py.Group) -> dict[str, Any]:
    """The /about group (format 3), checksums verified."""

    def texts(name: str) -> tuple[str, ...]:
        if name not in g:
            return ()
        return tuple(str(t) for t in _read(path, g[name], f"about/{name}", None, strings=True))

    resolved = texts("resolved_config")
    return {"bins": texts("histogram_bins"), "provenance": texts("provenance"),
            "resolved_config": resolved[0] if resolved else ""}


def read_failures(path: Path, f: h5py.File) -> dict[tuple[int, int], str]:
    g = f["failures"]
    points = _read(path, g["point"], "failures/point", None)
    reals = _read(path, g["realisation"], "failures/realisation", None)
    messages = _read(path, g["message"], "failures/message", None, strings=True)
    return {(int(p), int(i)): str(m) for p, i, m in zip(points, reals, messages, strict=True)}


def read_realisations(path: Path, f: h5py.File, p: int) -> np.ndarray:
    g = f["points"][point_name(p)]
    return _read(path, g["realisations"], "realisations", p,
                 attr_str(g.attrs["params"])).astype(np.int64, copy=False)


def read_point(path: Path, f: h5py.File, p: int) -> PointData:
    g = f["points"][point_name(p)]
    params = str(attr_str(g.attrs["params"]))

    def read(d: h5py.Dataset, what: str, strings: bool = False) -> np.ndarray:
        return _read(path, d, what, p, params, strings)

    return PointData(
        params=params,
        realisations=read(g["realisations"], "realisations").astype(np.int64, copy=False),
        seeds=[str(s) for s in read(g["seeds"], "seeds", strings=True)],
        **{c: {n: read(d, f"{c}/{n}") for n, d in g[c].items()} for c in CATEGORIES},
    )


def write_h5(handle: IO[bytes], header: Header, points: Sequence[PointData],
             failures: Mapping[tuple[int, int], str]) -> None:
    """Write a complete store into the open binary file ``handle`` (not flushed to disk)."""
    str_dtype = h5py.string_dtype()
    header = replace(header, version=FORMAT_VERSION)

    def put(group: h5py.Group, name: str, values: np.ndarray | Sequence[str]) -> None:
        if isinstance(values, np.ndarray):
            d = group.create_dataset(name, data=values)
        else:
            d = group.create_dataset(name, data=np.array(list(values), dtype=object),
                                     dtype=str_dtype, shape=(len(values),))
        d.attrs["sha256"] = digest(values)

    with h5file(handle, "w") as f:
        f.attrs["format"] = FORMAT
        f.attrs["format_version"] = np.int64(FORMAT_VERSION)
        f.attrs["config_hash"] = header.config_hash
        f.attrs["config"] = header.config_text
        f.attrs["metadata"] = header.metadata
        f.attrs["numerics"] = header.numerics
        f.attrs["header_sha256"] = header_digest(header)
        group = f.create_group("points")
        group.attrs["n_points"] = np.int64(len(points))
        for p, data in enumerate(points):
            g = group.create_group(point_name(p))
            g.attrs["params"] = data.params
            put(g, "realisations", data.realisations.astype(np.int64))
            put(g, "seeds", list(data.seeds))
            for category in CATEGORIES:
                sub = g.create_group(category)
                values = getattr(data, category)
                for name in sorted(values):
                    put(sub, name, np.asarray(values[name]))
        about = f.create_group("about")
        put(about, "histogram_bins", list(header.bins))
        put(about, "resolved_config", [header.resolved_config])
        put(about, "provenance", list(header.provenance))
        keys = sorted(failures)
        g = f.create_group("failures")
        put(g, "point", np.array([k[0] for k in keys], dtype=np.int64))
        put(g, "realisation", np.array([k[1] for k in keys], dtype=np.int64))
        put(g, "message", [failures[k] for k in keys])


def default_metadata() -> dict[str, Any]:
    return {
        "mblkit_version": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "h5py": h5py.version.version,
        "hdf5": h5py.version.hdf5_version,
    }
