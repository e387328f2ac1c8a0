"""Executors: where realisations run. Serial, a local process pool, or Dask distributed.

All share one signature, ``run(fn, tasks) -> iterator of (task, outcome)``, yielding in
completion order; ``outcome`` is ``("ok", record)`` or ``("error", message)``. Workers return
reduced records only; the driver alone writes the store.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any

Outcome = tuple[str, Any]


def _guarded(fn: Callable, *args: Any) -> Outcome:
    """Run ``fn`` and turn an exception into a recorded failure (type, message, last frame)."""
    try:
        return "ok", fn(*args)
    except Exception as err:
        where = traceback.extract_tb(err.__traceback__)[-1]
        return "error", f"{type(err).__name__}: {err} ({where.filename}:{where.lineno})"


def _limit_blas(threads: int) -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)
    os.environ["NUMBA_NUM_THREADS"] = str(threads)


def _limited(blas_threads: int, fn: Callable, *args: Any) -> Outcome:
    """Run one task with exactly ``blas_threads`` BLAS threads, whatever the executor: LAPACK
    rounds differently with different thread counts, so fixing it per task makes the results
    bitwise independent of the number of workers and of the executor."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(blas_threads):
        return _guarded(fn, *args)


def plan_workers(requested: int | None, bytes_per_task: int, available: int,
                 blas_threads: int = 1, cores: int | None = None) -> int:
    """Number of workers: workers x ``blas_threads`` <= cores, and their memory fits.

    ``requested`` None means as many as the cores and the memory allow.
    """
    cores = cores or os.cpu_count() or 1
    by_memory = max(1, available // max(bytes_per_task, 1))
    return max(1, min(requested or cores // blas_threads, cores // blas_threads, by_memory))


class SerialExecutor:
    """Run tasks one after another in this process."""

    def __init__(self, blas_threads: int = 1) -> None:
        self.blas_threads = blas_threads

    def run(self, fn: Callable, tasks: Iterable[tuple]) -> Iterator[tuple[tuple, Outcome]]:
        for task in tasks:
            yield task, _limited(self.blas_threads, fn, *task)

    def close(self) -> None:
        pass


class LocalPoolExecutor:
    """A local process pool with a bounded number of tasks in flight."""

    def __init__(self, workers: int, blas_threads: int) -> None:
        self.workers = workers
        self.blas_threads = blas_threads
        self.pool = ProcessPoolExecutor(workers, initializer=_limit_blas,
                                        initargs=(blas_threads,))

    def run(self, fn: Callable, tasks: Iterable[tuple]) -> Iterator[tuple[tuple, Outcome]]:
        pending: dict = {}
        queue = iter(tasks)
        for task in queue:
            pending[self.pool.submit(_limited, self.blas_threads, fn, *task)] = task
            if len(pending) >= 2 * self.workers:
                break
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                task = pending.pop(future)
                yield task, future.result()
                nxt = next(queue, None)
                if nxt is not None:
                    pending[self.pool.submit(_limited, self.blas_threads, fn, *nxt)] = nxt

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)


class DaskExecutor:
    """Dask distributed: a new ``LocalCluster`` (``address=None``) or an existing scheduler."""

    def __init__(self, address: str | None, workers: int, blas_threads: int) -> None:
        from dask.distributed import Client, LocalCluster

        self.cluster = None
        if address is None:
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                                        processes=True, dashboard_address=None)
            self.client = Client(self.cluster)
        else:
            self.client = Client(address)
        self.client.run(_limit_blas, blas_threads)
        self.workers = workers
        self.blas_threads = blas_threads

    def run(self, fn: Callable, tasks: Iterable[tuple]) -> Iterator[tuple[tuple, Outcome]]:
        from dask.distributed import as_completed

        tasks = list(tasks)
        futures = {self.client.submit(_limited, self.blas_threads, fn, *t, pure=False): t
                   for t in tasks}
        for future in as_completed(futures):
            yield futures[future], future.result()
            future.release()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
