"""Memory available to this process, and the refusal of dense work that would not fit."""

from __future__ import annotations

import os
from pathlib import Path


class InsufficientMemoryError(MemoryError):
    """A dense allocation was refused before it started because it would not fit."""


def _read_int(path: str) -> int | None:
    try:
        text = Path(path).read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def available_memory() -> int:
    """Bytes this process can still allocate: MemAvailable, capped by a cgroup v2/v1 limit."""
    limits = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                limits.append(int(line.split()[1]) * 1024)
    except OSError:
        pass
    for limit_file, usage_file in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                   ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                    "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        limit, usage = _read_int(limit_file), _read_int(usage_file)
        if limit is not None and usage is not None and limit < 1 << 60:
            limits.append(max(limit - usage, 0))
    if not limits:
        try:
            limits.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError):
            return 1 << 62
    return min(limits)


HERMITIAN_ADVICE = ("use a smaller L, a U(1) sector, or interior eigenpairs "
                    "(mblkit.solvers.eigh_interior)")


def require_memory(nbytes: int, what: str, advice: str = HERMITIAN_ADVICE) -> None:
    """Raise :class:`InsufficientMemoryError` if ``nbytes`` exceed the memory available."""
    free = available_memory()
    if nbytes > free:
        raise InsufficientMemoryError(
            f"{what} needs about {nbytes / 2**30:.2f} GiB but only {free / 2**30:.2f} GiB are "
            f"available; {advice}")
