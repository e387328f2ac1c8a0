"""Run a campaign: validate, open the store, run the missing realisations, commit each one.

The only layer that knows about executors and files. Resuming is running again: realisations
already in the store are skipped, failed ones are retried, and the finished store is identical
in every stored number to an uninterrupted run (records depend only on (seed, point,
realisation); the store sorts rows and adds integer histogram counts).
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mblkit import __version__
from mblkit.campaign.config import CampaignConfig, config_hash
from mblkit.campaign.executors import (
    DaskExecutor,
    LocalPoolExecutor,
    SerialExecutor,
    plan_workers,
)
from mblkit.campaign.store import CampaignStore, StoreError
from mblkit.campaign.tasks import point_memory, run_realisation, validate
from mblkit.memory import available_memory

EXECUTORS = ("local", "dask")


@dataclass(frozen=True)
class RunReport:
    """What a run did: tasks computed now, failures now, and what the store holds."""

    computed: int
    failed: int
    skipped: int
    workers: int
    seconds: float


def library_versions() -> dict[str, str]:
    import h5py
    import numba
    import numpy
    import scipy

    return {"mblkit": __version__, "numpy": numpy.__version__, "scipy": scipy.__version__,
            "numba": numba.__version__, "h5py": h5py.__version__,
            "python": platform.python_version()}


def output_path(config: CampaignConfig, config_file: Path | None) -> Path:
    """The store path: ``config.output``, relative to the config file's folder."""
    out = Path(config.output)
    if not out.is_absolute() and config_file is not None:
        out = Path(config_file).parent / out
    return Path(os.path.normpath(out))


def run_campaign(config: CampaignConfig, config_text: str, store_path: Path,
                 executor: str = "local", workers: int | None = None,
                 scheduler: str | None = None,
                 progress: Callable[[int, int, int], None] | None = None,
                 consolidate_seconds: float = 20.0, blas_threads: int = 1) -> RunReport:
    """Run every missing realisation of ``config`` into the store at ``store_path``.

    ``progress(done, total, failures)`` is called at the start and after each realisation.
    Every realisation runs with ``blas_threads`` BLAS threads whatever the executor and the
    number of workers, so the stored numbers do not depend on either (LAPACK's rounding
    depends on its thread count).
    Bad input (config, memory, store) raises before any realisation runs.
    """
    if executor not in EXECUTORS:
        raise ValueError(f"executor={executor!r} is not allowed: use one of {EXECUTORS}")
    if workers is not None and workers < 1:
        raise ValueError(f"workers={workers} is not allowed: it must be >= 1")
    if blas_threads < 1:
        raise ValueError(f"blas_threads={blas_threads} is not allowed: it must be >= 1")
    points = validate(config)
    params = config.points()
    try:
        store_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StoreError(f"cannot create the folder {store_path.parent} for the campaign "
                         f"store: {err.strerror}") from err
    start = time.perf_counter()
    with CampaignStore.open(store_path, config_text, config_hash(config), params,
                            {"versions": library_versions(), "name": config.name}) as store:
        todo = [(p, i) for p in range(len(params))
                for i in sorted(set(range(config.realisations)) - store.completed(p))]
        total = len(params) * config.realisations
        done = total - len(todo)
        failed_now = 0
        still_failed = {(p, i) for p, i, _ in store.failures()}
        if progress is not None:
            progress(done, total, len(still_failed))
        biggest = max(point_memory(config, pt) for pt in points)
        n_workers = plan_workers(workers, biggest, available_memory(), blas_threads)
        n_workers = min(n_workers, max(1, len(todo)))
        if executor == "dask":
            pool = DaskExecutor(scheduler, n_workers, blas_threads)
        elif n_workers == 1:
            pool = SerialExecutor(blas_threads)
        else:
            pool = LocalPoolExecutor(n_workers, blas_threads)
        last = time.monotonic()
        try:
            for (_, p, i), (status, payload) in pool.run(run_realisation,
                                                      ((config, p, i) for p, i in todo)):
                if status == "ok":
                    store.commit(p, i, payload)
                    still_failed.discard((p, i))
                    done += 1
                else:
                    store.record_failure(p, i, payload)
                    still_failed.add((p, i))
                    failed_now += 1
                if progress is not None:
                    progress(done, total, len(still_failed))
                if time.monotonic() - last > consolidate_seconds:
                    store.consolidate()
                    last = time.monotonic()
        finally:
            pool.close()
    return RunReport(len(todo) - failed_now, failed_now, total - len(todo), n_workers,
                     time.perf_counter() - start)
