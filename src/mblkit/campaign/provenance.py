"""Where and how a campaign run happened, recorded in its store (``/about/provenance``, one
entry per run; docs/store-format.md): mblkit version, git commit when run from a checkout,
host, start and end times (UTC, ISO 8601), the BLAS/LAPACK builds and their thread counts
(threadpoolctl), the thread-count environment variables, the executor and its workers."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mblkit import __version__

#: Environment variables that set thread counts of BLAS, OpenMP and numba.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "BLIS_NUM_THREADS", "NUMBA_NUM_THREADS", "OPENBLAS_CORETYPE")


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def git_commit(start: Path | None = None) -> str | None:
    """The commit of the checkout mblkit runs from (``+dirty`` with uncommitted changes), or
    None when it is installed from a wheel or git is missing."""
    folder = start or Path(__file__).resolve().parent
    try:
        top = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(folder), "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True, text=True,
                               timeout=5, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return top + ("+dirty" if dirty else "") if top else None


def blas_info() -> list[dict[str, Any]]:
    """threadpoolctl's description of every loaded BLAS/OpenMP library: its API, build
    (``internal_api``, ``version``, ``architecture``), file and thread count."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # threadpoolctl missing: say so rather than guess
        return [{"error": "threadpoolctl is not installed"}]
    keep = ("user_api", "internal_api", "prefix", "version", "threading_layer", "architecture",
            "num_threads", "filepath")
    return [{k: info.get(k) for k in keep if k in info} for info in threadpool_info()]


def run_entry(executor: str, blas_threads: int) -> dict[str, Any]:
    """The provenance of a run starting now (workers and end time are added as it goes)."""
    import numpy as np

    return {"mblkit": __version__, "git_commit": git_commit(), "host": socket.gethostname(),
            "platform": platform.platform(), "python": platform.python_version(),
            "numpy": np.__version__, "pid": os.getpid(), "cpu_count": os.cpu_count(),
            "started": now(), "ended": None, "executor": executor, "workers": None,
            "blas_threads": blas_threads, "blas": blas_info(),
            "thread_environment": {k: os.environ[k] for k in THREAD_VARIABLES
                                   if k in os.environ}}
