"""Executors: where realisations run. Serial, a local process pool, or Dask distributed.

All share one signature, ``run(fn, tasks) -> iterator of (task, outcome)``, yielding in
completion order; ``outcome`` is ``("ok", record)`` or ``("error", message)``. Workers return
reduced records only; the driver alone writes the store. ``tasks`` is consumed lazily, with a
bounded number in flight, so a campaign of any size never lists its tasks in memory.

Lost workers are failures of the task they ran, never of the run:

* local pool: a worker that dies (SIGKILL, the out-of-memory killer, a crash in a C library)
  breaks the whole :class:`~concurrent.futures.ProcessPoolExecutor`. The pool is recreated and
  the tasks that were in flight are rerun *one at a time*; a task that breaks the pool while
  running alone is the culprit and its outcome is an error naming the signal. Innocent tasks are
  never blamed, and each culprit costs one isolated attempt, so a task is never retried forever.
  Workers die with the driver (``PR_SET_PDEATHSIG`` on Linux): killing the driver leaves no
  orphaned worker computing for nobody.
* Dask: a task whose worker died (``KilledWorker`` after the scheduler's ``allowed-failures``
  restarts, 1 on the local cluster) is rerun alone, as in the local pool, and if its worker dies
  again it is the culprit and its outcome an error; losing the scheduler ends the run with
  :class:`ExecutorError` (everything committed is kept); a scheduler without workers is reported
  through ``notice`` once a minute instead of waiting silently.

Bitwise reproducibility: every task runs with exactly ``blas_threads`` BLAS and numba threads,
and at most one task runs at a time in a worker process (a process-wide lock), because the BLAS
thread count is process-wide: two tasks in threads of one Dask worker (``SLURMCluster(cores=4,
processes=1)`` gives four) would otherwise change each other's count mid-computation.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

Outcome = tuple[str, Any]
Notice = Callable[[str], None]

#: A run ends when this many tasks in a row have each killed their worker (running alone).
MAX_CONSECUTIVE_LOST = 5
#: Seconds between notices while a Dask scheduler has no worker.
NO_WORKER_NOTICE_SECONDS = 60.0

_TASK_LOCK = threading.Lock()


class ExecutorError(RuntimeError):
    """The executor cannot go on (scheduler lost, workers dying at start); the message says why
    and that everything committed is kept."""


def _guarded(fn: Callable, *args: Any) -> Outcome:
    """Run ``fn`` and turn an exception into a recorded failure (type, message, last frame)."""
    try:
        return "ok", fn(*args)
    except Exception as err:
        where = traceback.extract_tb(err.__traceback__)[-1]
        return "error", f"{type(err).__name__}: {err} ({where.filename}:{where.lineno})"


def _set_numba_threads(threads: int) -> None:
    """numba's thread count for the calling thread (``NUMBA_NUM_THREADS`` is read once, at
    import, so setting the variable later does nothing)."""
    try:
        import numba
    except ImportError:  # pragma: no cover - numba is a dependency
        return
    most = int(getattr(numba.config, "NUMBA_NUM_THREADS", threads))
    numba.set_num_threads(max(1, min(threads, most)))


def die_with_parent(parent: int) -> None:
    """Linux: ask the kernel to SIGKILL this process when its parent dies (prctl
    PR_SET_PDEATHSIG); exit at once if the parent is already gone. Elsewhere: nothing."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - no prctl: keep running
        return
    if os.getppid() != parent:
        os._exit(1)


def _worker_init(blas_threads: int, parent: int | None) -> None:
    """Initializer of local pool workers (and, via ``client.run``, of Dask workers)."""
    if parent is not None:
        die_with_parent(parent)
    from threadpoolctl import threadpool_limits

    threadpool_limits(blas_threads)
    _set_numba_threads(blas_threads)


def _limited(blas_threads: int, fn: Callable, *args: Any) -> Outcome:
    """Run one task with exactly ``blas_threads`` BLAS and numba threads, alone in its process:
    LAPACK rounds differently with different thread counts, so fixing it per task makes the
    results bitwise independent of the number of workers, their threads and the executor."""
    from threadpoolctl import threadpool_limits

    with _TASK_LOCK, threadpool_limits(blas_threads):
        _set_numba_threads(blas_threads)
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


#: How long a broken pool's dead worker is waited for, to read its exit status.
REAP_SECONDS = 5.0


def _signal_text(code: int | None) -> str:
    if code is None or code >= 0:
        return f"exit status {code}" if code is not None else "an unknown cause"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = f"signal {-code}"
    hint = " (the out-of-memory killer, or someone, killed it)" if -code == signal.SIGKILL else ""
    return f"{name}{hint}"


class LocalPoolExecutor:
    """A local process pool with a bounded number of tasks in flight; survives lost workers."""

    def __init__(self, workers: int, blas_threads: int) -> None:
        self.workers = workers
        self.blas_threads = blas_threads
        self.restarts = 0
        self._processes: list[Any] = []
        self.pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.workers, initializer=_worker_init,
                                   initargs=(self.blas_threads, os.getpid()))

    def _dead_worker(self) -> str:
        """How the pool's dead worker ended: the exit status of its processes (seen at the last
        submit), preferring one that is not the SIGTERM the broken pool sends the others. The
        pool can report itself broken before the dead process is reaped (its exit status is
        still None, seen on a loaded machine), so it waits up to :data:`REAP_SECONDS` for one."""
        deadline = time.monotonic() + REAP_SECONDS
        while True:
            codes = [p.exitcode for p in self._processes if p.exitcode not in (None, 0)]
            if codes or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        codes.sort(key=lambda code: code == -signal.SIGTERM)
        return _signal_text(codes[0] if codes else None)

    def _restart(self) -> str:
        how = self._dead_worker()
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool = self._new_pool()
        self.restarts += 1
        return how

    def _broken(self) -> bool:
        return bool(getattr(self.pool, "_broken", False))

    def run(self, fn: Callable, tasks: Iterable[tuple]) -> Iterator[tuple[tuple, Outcome]]:
        queue = iter(tasks)
        unsent: deque[tuple] = deque()  # taken from the queue, refused by a broken pool
        suspects: deque[tuple] = deque()  # in flight when the pool broke: rerun alone
        pending: dict = {}
        lost_in_a_row = 0

        def submit(task: tuple) -> bool:
            try:
                pending[self.pool.submit(_limited, self.blas_threads, fn, *task)] = task
            except BrokenProcessPool:
                unsent.appendleft(task)
                return False
            self._processes = list((getattr(self.pool, "_processes", None) or {}).values())
            return True

        def fill() -> None:
            if suspects:
                if not pending:
                    submit(suspects.popleft())
                return
            while len(pending) < 2 * self.workers:
                task = unsent.popleft() if unsent else next(queue, None)
                if task is None or not submit(task):
                    return

        fill()
        while pending or unsent:
            if not pending:  # the pool broke with nothing in flight: nobody to blame
                self._restart()
                fill()
                continue
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            if self._broken() or any(isinstance(f.exception(), BrokenProcessPool)
                                     for f in done):
                wait(pending)  # a broken pool fails every future it has
                done = set(pending)
            broken: list[tuple] = []
            for future in done:
                task = pending.pop(future)
                if isinstance(future.exception(), BrokenProcessPool):
                    broken.append(task)
                    continue
                lost_in_a_row = 0
                yield task, future.result()
            if broken or self._broken():
                how = self._restart()
                if len(broken) == 1:  # it ran alone: it is the culprit
                    lost_in_a_row += 1
                    yield broken[0], ("error", f"WorkerLost: the worker process computing it "
                                               f"died ({how})")
                    if lost_in_a_row >= MAX_CONSECUTIVE_LOST:
                        raise ExecutorError(
                            f"{lost_in_a_row} tasks in a row killed their worker process "
                            f"(last: {how}); stopping. Everything committed is kept; check "
                            "memory (dmesg, the batch system's limits) and run again.")
                else:
                    suspects.extend(sorted(broken))
            fill()

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)


def dask_security(ca_file: str | None, cert: str | None, key: str | None) -> Any:
    """A ``distributed.security.Security`` requiring TLS, from PEM files (one certificate and
    key for every role: client, scheduler, worker), or None when no file is given (then Dask's
    own config, ``distributed.comm.tls.*``, applies)."""
    given = {"tls_ca_file": ca_file, "tls_cert": cert, "tls_key": key}
    if not any(given.values()):
        return None
    missing = sorted(k for k, v in given.items() if not v)
    if missing:
        raise ValueError(f"{', '.join('--' + m.replace('_', '-') for m in missing)} missing: "
                         "TLS needs a CA file, a certificate and its key")
    for name, value in given.items():
        if not os.path.isfile(str(value)):
            raise ValueError(f"--{name.replace('_', '-')} {value}: no such file")
    from distributed.security import Security

    roles = {f"tls_{role}_{part}": value for role in ("client", "scheduler", "worker")
             for part, value in (("cert", cert), ("key", key))}
    return Security(tls_ca_file=ca_file, require_encryption=True, **roles)


class DaskExecutor:
    """Dask distributed: a new ``LocalCluster`` (``address=None``) or an existing scheduler.

    ``security``: a ``distributed.security.Security`` (TLS) or None (plain TCP unless Dask's
    config sets TLS). The local cluster listens on 127.0.0.1 only and serves no dashboard
    unless ``dashboard`` (an address, e.g. "127.0.0.1:8787") is given.
    """

    def __init__(self, address: str | None, workers: int, blas_threads: int, *,
                 security: Any = None, dashboard: str | None = None,
                 notice: Notice | None = None, threads_per_worker: int = 1) -> None:
        import dask
        from dask.distributed import Client, LocalCluster

        self.cluster = None
        self.notice = notice or (lambda message: None)
        if address is not None and security is not None and address.startswith("tcp://"):
            raise ValueError(f"--scheduler {address} is plain TCP but TLS certificates were "
                             "given: use the scheduler's tls:// address")
        try:
            if address is None:
                settings: dict[str, Any] = {"distributed.scheduler.allowed-failures": 1}
                if dashboard is None:  # no HTTP routes: nothing served on the HTTP ports
                    settings.update({"distributed.scheduler.http.routes": [],
                                     "distributed.worker.http.routes": []})
                with dask.config.set(settings):
                    self.cluster = LocalCluster(
                        n_workers=workers, threads_per_worker=threads_per_worker,
                        processes=True, host="127.0.0.1", dashboard_address=dashboard,
                        security=security, protocol="tls://" if security else None)
                self.client = Client(self.cluster, security=security)
            else:
                self.client = Client(address, security=security, timeout=30)
            self.client.run(_worker_init, blas_threads, None)
        except ValueError:
            self.close()
            raise
        except Exception as exc:
            self.close()
            where = address or "a local Dask cluster"
            raise ExecutorError(f"cannot start or reach {where}: {type(exc).__name__}: "
                                f"{str(exc).splitlines()[0] if str(exc) else ''}") from None
        self.workers = workers
        self.blas_threads = blas_threads

    def worker_info(self) -> dict[str, dict]:
        """The scheduler's view of its workers: address -> {"nthreads", "memory_limit", ...}."""
        return dict(self.client.scheduler_info().get("workers", {}))

    def check_workers(self, bytes_per_task: int) -> None:
        """Refuse workers whose memory limit is below one task's need; say that workers with
        several threads run one mblkit task at a time."""
        info = self.worker_info()
        small = {a: w.get("memory_limit") for a, w in info.items()
                 if w.get("memory_limit") and w["memory_limit"] < bytes_per_task}
        if small:
            addr, limit = next(iter(small.items()))
            limit = int(limit or 0)
            raise ExecutorError(f"Dask worker {addr} has a memory limit of "
                                f"{limit / 2**30:.1f} GiB but one realisation needs about "
                                f"{bytes_per_task / 2**30:.1f} GiB ({len(small)} of "
                                f"{len(info)} workers are too small): give the workers more "
                                "memory or use smaller L")
        multi = sorted(a for a, w in info.items() if w.get("nthreads", 1) > 1)
        if multi:
            self.notice(f"{len(multi)} Dask worker(s) have several threads: each runs one "
                        "mblkit task at a time (the BLAS thread count is per process); start "
                        "workers with one thread each (processes = cores) to use every core")

    def run(self, fn: Callable, tasks: Iterable[tuple]) -> Iterator[tuple[tuple, Outcome]]:
        from distributed import wait as dask_wait
        from distributed.scheduler import KilledWorker

        queue = iter(tasks)
        pending: dict = {}
        suspects: deque[tuple] = deque()  # on a worker that died: rerun alone to find why
        quiet_since = time.monotonic()

        def submit(task: tuple) -> None:
            future = self.client.submit(_limited, self.blas_threads, fn, *task, pure=False)
            pending[future] = task

        def fill() -> None:
            if suspects:
                if not pending:
                    submit(suspects.popleft())
                return
            threads = sum(w.get("nthreads", 1) for w in self.worker_info().values())
            while len(pending) < 2 * max(threads, self.workers) + 8:
                task = next(queue, None)
                if task is None:
                    return
                submit(task)

        fill()
        while pending:
            try:
                done, _ = dask_wait(list(pending), timeout=NO_WORKER_NOTICE_SECONDS,
                                    return_when="FIRST_COMPLETED")
            except TimeoutError:
                done = set()
            except Exception as exc:
                raise self._lost(exc) from None
            if not done:
                if not self.worker_info() and time.monotonic() - quiet_since > 1:
                    self.notice("the Dask scheduler has no worker: waiting for workers to "
                                "connect (Ctrl-C stops; everything committed is kept)")
                continue
            quiet_since = time.monotonic()
            alone = len(pending) == 1
            for future in done:
                task = pending.pop(future)
                try:
                    outcome = self._outcome(future)
                except KilledWorker as exc:
                    if alone:  # it ran alone and its worker died: it is the culprit
                        outcome = ("error", f"WorkerLost: the Dask worker computing it died "
                                            f"(KilledWorker: {exc}); often its memory limit")
                    else:  # innocent tasks share the blame of a dying worker: retry alone
                        suspects.append(task)
                        continue
                finally:
                    future.release()
                yield task, outcome
            fill()

    def _outcome(self, future: Any) -> Outcome:
        from distributed.scheduler import KilledWorker

        try:
            return future.result()
        except KilledWorker:
            raise
        except Exception as exc:
            if self.client.status not in ("running", "connecting"):
                raise self._lost(exc) from None
            return "error", f"{type(exc).__name__}: {exc}"

    def _lost(self, exc: BaseException) -> ExecutorError:
        return ExecutorError(f"lost the Dask scheduler ({type(exc).__name__}: {exc}); "
                             "everything committed is kept: run again to resume")

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            try:
                client.close()
            except Exception:
                pass
        if self.cluster is not None:
            try:
                self.cluster.close()
            except Exception:
                pass
