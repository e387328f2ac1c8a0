"""Durable file operations: fsync, atomic replacement, safe removal, writability probes."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from mblkit.campaign.store.errors import StoreError

TMP_PREFIX = ".tmp-"


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:  # directories cannot be opened on some platforms; nothing to sync then
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def unlink_if_present(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def atomic_write(directory: Path, name: str, data: bytes) -> None:
    """Write ``data`` to ``directory/name`` so that a kill leaves no file or the whole file."""
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=TMP_PREFIX, suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, directory / name)
    except BaseException:
        remove_quietly(tmp)
        raise
    fsync_dir(directory)


def temporary_prefix(path: Path) -> str:
    """Names of the temporaries of ``path``: ``<name>.tmp-<random>`` in the same directory."""
    return path.name + ".tmp-"


def _umask() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def _mode_of(path: Path) -> int:
    """The permissions the file keeps (its own if it exists, else what the umask gives)."""
    try:
        return os.stat(path, follow_symlinks=False).st_mode & 0o777
    except OSError:
        return 0o666 & ~_umask()


def replace_file(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Replace ``path`` atomically by what ``write(handle)`` writes.

    The temporary file is created with :func:`tempfile.mkstemp` in ``path``'s directory
    (exclusive creation, an unpredictable name, never a symbolic link followed; then given the
    permissions of the file it replaces, or the umask's) and written through that descriptor
    only, so nobody can redirect the write by planting a link.
    It is flushed and fsync'ed, renamed over ``path`` and the directory fsync'ed; on any error
    (a full disk included) it is removed and ``path`` is left as it was.
    """
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=temporary_prefix(path))
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, _mode_of(path))
        with os.fdopen(fd, "w+b") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        remove_quietly(tmp)
        raise
    fsync_dir(path.parent)


def remove_temporaries(path: Path) -> None:
    """Remove the temporaries a killed writer of ``path`` left (call with the lock held).
    ``os.unlink`` removes a symbolic link itself, never its target."""
    prefix = temporary_prefix(path)
    for name in os.listdir(path.parent):
        if name.startswith(prefix) or name == path.name + ".tmp":  # .tmp: mblkit < 0.2
            remove_quietly(path.parent / name)


def check_writable_dir(directory: Path, path: Path) -> None:
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
    remove_quietly(Path(probe))
