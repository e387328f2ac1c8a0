"""The HDF5 layout of a campaign store: reading and writing whole files (see the package
docstring for the layout)."""

from __future__ import annotations

import platform
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from mblkit import __version__
from mblkit.campaign.store.errors import StoreError
from mblkit.campaign.store.files import fsync_file
from mblkit.campaign.store.records import CATEGORIES, PointData

FORMAT = "mblkit-campaign"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Header:
    config_hash: str
    config_text: str
    metadata: str
    params: tuple[str, ...]


def h5file(path: Path, mode: str) -> h5py.File:
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
            return Header(
                config_hash=str(attr_str(f.attrs["config_hash"])),
                config_text=str(attr_str(f.attrs["config"])),
                metadata=str(attr_str(f.attrs["metadata"])),
                params=params,
            )
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


def read_failures(f: h5py.File) -> dict[tuple[int, int], str]:
    g = f["failures"]
    points = g["point"][()]
    reals = g["realisation"][()]
    messages = g["message"].asstr()[()]
    return {(int(p), int(i)): str(m) for p, i, m in zip(points, reals, messages, strict=True)}


def read_point(f: h5py.File, p: int) -> PointData:
    g = f["points"][point_name(p)]
    return PointData(
        params=str(attr_str(g.attrs["params"])),
        realisations=g["realisations"][()].astype(np.int64, copy=False),
        seeds=[str(s) for s in g["seeds"].asstr()[()]],
        scalars={n: d[()] for n, d in g["scalars"].items()},
        arrays={n: d[()] for n, d in g["arrays"].items()},
        histograms={n: d[()] for n, d in g["histograms"].items()},
    )


def write_h5(path: Path, header: Header, points: Sequence[PointData],
              failures: Mapping[tuple[int, int], str]) -> None:
    str_dtype = h5py.string_dtype()
    with h5file(path, "w") as f:
        f.attrs["format"] = FORMAT
        f.attrs["format_version"] = np.int64(FORMAT_VERSION)
        f.attrs["config_hash"] = header.config_hash
        f.attrs["config"] = header.config_text
        f.attrs["metadata"] = header.metadata
        group = f.create_group("points")
        group.attrs["n_points"] = np.int64(len(points))
        for p, data in enumerate(points):
            g = group.create_group(point_name(p))
            g.attrs["params"] = data.params
            g.create_dataset("realisations", data=data.realisations.astype(np.int64))
            g.create_dataset("seeds", data=np.array(data.seeds, dtype=object), dtype=str_dtype,
                             shape=(len(data.seeds),))
            for category in CATEGORIES:
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
    fsync_file(path)


def default_metadata() -> dict[str, Any]:
    return {
        "mblkit_version": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "h5py": h5py.version.version,
        "hdf5": h5py.version.hdf5_version,
    }
