"""Errors of the campaign store, and the translation of disk errors into messages."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager


class StoreError(Exception):
    """The campaign store cannot be opened, read or written; the message says what to do."""


class StoreMismatchError(StoreError):
    """The existing store was made from another config (or other numerics) than the one given."""


def is_disk_full(exc: BaseException) -> bool:
    """True for ENOSPC/EDQUOT, whether raised by Python (OSError) or inside HDF5 (h5py raises
    OSError or RuntimeError with the errno in the text)."""
    text = str(exc)
    return (getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT)
            or "No space left on device" in text or "Disk quota exceeded" in text
            or f"errno = {errno.ENOSPC}," in text or f"errno = {errno.EDQUOT}," in text)


@contextmanager
def disk_errors(action: str) -> Iterator[None]:
    """Turn the errors of a write (OSError, and h5py's RuntimeError) into StoreErrors a user
    can act on: one line, no traceback."""
    try:
        yield
    except StoreError:
        raise
    except (OSError, RuntimeError) as exc:
        if is_disk_full(exc):
            raise StoreError(f"the disk is full: could not {action}. Everything committed before "
                             "is kept; free some space and run again to resume.") from None
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreError(f"could not {action}: {first}") from None
