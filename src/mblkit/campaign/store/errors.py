"""Errors of the campaign store, and the translation of disk errors into messages."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager


class StoreError(Exception):
    """The campaign store cannot be opened, read or written; the message says what to do."""


class StoreMismatchError(StoreError):
    """The existing store was made from another config than the one given."""


def is_disk_full(exc: OSError) -> bool:
    text = str(exc)
    return (exc.errno in (errno.ENOSPC, errno.EDQUOT) or "No space left on device" in text
            or f"errno = {errno.ENOSPC}," in text)


@contextmanager
def disk_errors(action: str) -> Iterator[None]:
    """Turn OSErrors of a write into StoreErrors a user can act on."""
    try:
        yield
    except OSError as exc:
        if is_disk_full(exc):
            raise StoreError(f"the disk is full: could not {action}. Everything committed before "
                             "is kept; free some space and run again to resume.") from None
        raise StoreError(f"could not {action}: {exc}") from None
