"""One writer per store: an exclusive OS lock on ``<store>.lock``, held while the store is open
for writing.

The lock is :func:`fcntl.flock` on a small file beside the store. The kernel releases it when the
holder's last descriptor closes, so a run that crashed or was killed (SIGKILL included) leaves no
stale lock: the next run takes it at once. The file itself stays (removing a lock file races with
a process that has just opened it); it holds, as JSON, who holds or last held the lock (pid, host,
start time, command), which the refusal message of a second writer quotes.

Descriptors are closed in forked children (:func:`os.register_at_fork`), so pool workers never
hold the driver's lock; flock locks belong to the open file description, so a worker closing its
copy leaves the driver's lock in place. Readers never lock: ``status``, ``summary``, ``plot`` and
``mblkit.open`` work alongside a running campaign. On a network filesystem flock works where the
filesystem supports locks (NFSv4 does); where it does not, opening for writing is refused.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import stat
import sys
import time
from pathlib import Path

from mblkit.campaign.store.errors import StoreError

#: fd -> (st_dev, st_ino) of every lock this process holds.
_HELD: dict[int, tuple[int, int]] = {}


def _close_inherited() -> None:
    for fd in list(_HELD):
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD.clear()


os.register_at_fork(after_in_child=_close_inherited)


class StoreLockedError(StoreError):
    """Another process (or another open store in this process) is writing the store."""


def _holder_text(raw: bytes) -> str:
    try:
        info = json.loads(raw.decode("utf-8"))
        started = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(float(info["started"])))
        text = f"pid {int(info['pid'])} on host {info['host']}, started {started}"
        if info.get("command"):
            text += f" ({info['command']})"
        return text
    except Exception:
        return "a process that left no readable description"


class WriterLock:
    """The exclusive lock of one store; :meth:`release` (or garbage collection) frees it."""

    def __init__(self, store: Path) -> None:
        self._fd: int | None = None
        self.path = Path(str(store) + ".lock")
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(self.path, flags, 0o644)
        except OSError as exc:
            why = ("it is a symbolic link" if exc.errno == errno.ELOOP
                   else exc.strerror or str(exc))
            raise StoreError(f"cannot create the lock file {self.path} of the campaign store "
                             f"{store}: {why}; remove it or choose another output path") from None
        self._fd = fd
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise StoreError(f"the lock file {self.path} is not a regular file; remove it "
                                 "or choose another output path")
            key = (info.st_dev, info.st_ino)
            if key in _HELD.values():
                raise StoreLockedError(f"the campaign store {store} is already open for writing "
                                       f"in this process (pid {os.getpid()}); close it first")
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder_text(os.pread(fd, 65536, 0))
                raise StoreLockedError(
                    f"another mblkit run is writing the campaign store {store}: {holder}. "
                    "Only one run may write a store: wait for that one to finish (or stop it), "
                    "then run again to resume. status, summary and plot work meanwhile."
                ) from None
            except OSError as exc:
                raise StoreError(f"cannot lock {self.path}: {exc.strerror or exc} (the "
                                 "filesystem may not support file locks); put the store on a "
                                 "filesystem that does") from None
            self.previous = _holder_text(os.pread(fd, 65536, 0)) if info.st_size else None
            me = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time(),
                  "command": " ".join(sys.argv)[:500]}
            try:  # informative only: a full disk must not stop a run that holds the lock
                os.ftruncate(fd, 0)
                os.pwrite(fd, json.dumps(me).encode("utf-8"), 0)
            except OSError:
                pass
            _HELD[fd] = key
        except BaseException:
            self._fd = None
            os.close(fd)
            raise

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Free the lock (closing its descriptor); the lock file stays."""
        fd, self._fd = getattr(self, "_fd", None), None
        if fd is not None and _HELD.pop(fd, None) is not None:  # not in a forked child
            try:
                os.close(fd)
            except OSError:
                pass

    def __del__(self) -> None:
        self.release()
