"""Run a campaign: validate, open the store, run the missing realisations, commit each one.

The only layer that knows about executors and files. Resuming is running again: realisations
already in the store are skipped, failed ones are retried, and the finished store is identical
in every stored number to an uninterrupted run (records depend only on (seed, point,
realisation); the store sorts rows and adds integer histogram counts). One run writes a store
at a time (the store's lock); the BLAS thread count is part of the store's identity.
"""

from __future__ import annotations

import os
import platform
import re
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mblkit import __version__
from mblkit.campaign.config import CampaignConfig, ConfigError, parse_config
from mblkit.campaign.executors import (
    DaskExecutor,
    LocalPoolExecutor,
    Notice,
    SerialExecutor,
    plan_workers,
)
from mblkit.campaign.store import CampaignStore, StoreError, StoreMismatchError
from mblkit.campaign.tasks import (
    Point,
    campaign_identity,
    grid_identity,
    point_memory,
    run_realisation,
    storage_note,
    validate,
)
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
    lost: int = 0
    repeated: tuple[tuple[int, int, int, str], ...] = ()  # (point, realisation, times, message)
    """Realisations that failed again in this run after failing in an earlier one."""


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


def _missing(completed: list[set[int]], realisations: int,
             failed_before: Collection[tuple[int, int]] = ()) -> Iterator[tuple[int, int]]:
    """(point, realisation) not yet stored, in order, generated lazily (never a list of all);
    those that failed in an earlier run come last, so a realisation that fails every time never
    holds up the others."""
    for p, done in enumerate(completed):
        for i in range(realisations):
            if i not in done and (p, i) not in failed_before:
                yield p, i
    yield from sorted((p, i) for p, i in failed_before
                      if p < len(completed) and i < realisations and i not in completed[p])


_TIMES = re.compile(r"^\[failed (\d+) times\] ")


def failure_count(message: str) -> int:
    """How many runs a recorded failure message says the realisation has failed in (>= 1)."""
    m = _TIMES.match(message)
    return int(m.group(1)) if m else 1


def _again(previous: str, message: str) -> tuple[int, str]:
    """A failure after an earlier one: the count goes up by one and leads the message."""
    times = failure_count(previous) + 1
    return times, f"[failed {times} times] {_TIMES.sub('', message)}"


def grow_store(config: CampaignConfig, config_text: str, store_path: Path, chash: str,
               points: list[Point], blas_threads: int) -> list[int]:
    """Grow the store at ``store_path`` to the grid of ``config`` when the two configs differ
    only in their grid and every stored point is in the new one (more W or L values): the stored
    results stay, bitwise, and only the new points are computed (realisations are seeded by the
    point's parameters, :mod:`mblkit.campaign.seeding`). Returns the new points' indices; [] when
    nothing is to grow (same config, or another config: :meth:`CampaignStore.open` then refuses
    it, naming the difference)."""
    stored = CampaignStore.read(store_path)
    if stored.config_hash == chash:
        return []
    try:
        old = parse_config(stored.config_text, str(store_path))
    except ConfigError:
        return []
    if grid_identity(old) != grid_identity(config):
        return []
    most = max((max(stored.completed(p), default=-1) for p in range(stored.n_points)),
               default=-1)
    if most >= config.realisations:  # refused before the store is rewritten
        raise StoreMismatchError(
            f"realisations = {config.realisations} is below what the campaign store "
            f"{store_path} holds (realisation {most}): a store never drops results; set "
            f"realisations >= {most + 1}, or choose another output path")
    from mblkit.campaign.bins import histogram_bins

    _, params = campaign_identity(config, points)
    return CampaignStore.grow(store_path, config_text, chash, params,
                              numerics={"blas_threads": blas_threads},
                              bins=[histogram_bins(config, pt) for pt in points])


def run_campaign(config: CampaignConfig, config_text: str, store_path: Path,
                 executor: str = "local", workers: int | None = None,
                 scheduler: str | None = None,
                 progress: Callable[[int, int, int], None] | None = None,
                 consolidate_seconds: float = 20.0, blas_threads: int = 1, *,
                 security: Any = None, dashboard: str | None = None,
                 notice: Notice | None = None) -> RunReport:
    """Run every missing realisation of ``config`` into the store at ``store_path``.

    ``progress(done, total, failures)`` is called at the start and after each realisation;
    ``notice(message)`` with what the user should know while it runs (e.g. a Dask scheduler
    without workers). Every realisation runs with ``blas_threads`` BLAS threads whatever the
    executor and the number of workers, so the stored numbers do not depend on either (LAPACK's
    rounding depends on its thread count); a store computed with another value is refused.
    ``security`` (Dask TLS) and ``dashboard`` (an address) apply to ``executor="dask"``.
    Bad input (config, memory, store, a second writer) raises before any realisation runs.
    """
    if executor not in EXECUTORS:
        raise ValueError(f"executor={executor!r} is not allowed: use one of {EXECUTORS}")
    if workers is not None and (isinstance(workers, bool) or workers < 1):
        raise ValueError(f"workers={workers} is not allowed: it must be >= 1")
    if isinstance(blas_threads, bool) or blas_threads < 1:
        raise ValueError(f"blas_threads={blas_threads} is not allowed: it must be >= 1")
    points = validate(config)
    chash, params = campaign_identity(config, points)
    note = storage_note(config, points)
    if note is not None and notice is not None:
        notice(note)
    if os.path.lexists(store_path):
        grow_store(config, config_text, store_path, chash, points, blas_threads)
    try:
        store_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StoreError(f"cannot create the folder {store_path.parent} for the campaign "
                         f"store: {err.strerror}") from err
    start = time.perf_counter()
    n_points, n_real = len(params), config.realisations
    biggest = max(point_memory(config, pt) for pt in points)
    from mblkit.campaign.bins import histogram_bins
    from mblkit.campaign.provenance import now, run_entry

    resolved = {**config.model_dump(mode="json"),
                "points": [{"params": pr, "n_up": pt.n_up} for pr, pt in zip(params, points,
                                                                           strict=True)]}
    with CampaignStore.open(store_path, config_text, chash, params,
                            {"versions": library_versions(), "name": config.name},
                            numerics={"blas_threads": blas_threads},
                            realisations=n_real,
                            bins=[histogram_bins(config, pt) for pt in points],
                            resolved_config=resolved,
                            run=run_entry(executor, blas_threads)) as store:
        completed = [store.completed(p) for p in range(n_points)]
        total = n_points * n_real
        n_todo = total - sum(len(done) for done in completed)
        done = total - n_todo
        failed_now = 0
        failed_before = {(p, i): msg for p, i, msg in store.failures()}
        still_failed = set(failed_before)
        repeated: list[tuple[int, int, int, str]] = []
        if progress is not None:
            progress(done, total, len(still_failed))
        n_workers = plan_workers(workers, biggest, available_memory(), blas_threads)
        n_workers = min(n_workers, max(1, n_todo))
        store.note_run(workers=n_workers, to_compute=n_todo)
        if executor == "dask":
            pool: Any = DaskExecutor(scheduler, n_workers, blas_threads, security=security,
                                     dashboard=dashboard, notice=notice)
        elif n_workers == 1:
            pool = SerialExecutor(blas_threads)
        else:
            pool = LocalPoolExecutor(n_workers, blas_threads)
        last = time.monotonic()
        try:
            if executor == "dask":
                pool.check_workers(biggest)
            tasks = ((config, p, i) for p, i in _missing(completed, n_real, failed_before))
            for (_, p, i), (status, payload) in pool.run(run_realisation, tasks):
                if status == "ok":
                    store.commit(p, i, payload)
                    still_failed.discard((p, i))
                    done += 1
                else:
                    if (p, i) in failed_before:
                        times, payload = _again(failed_before[(p, i)], str(payload))
                        repeated.append((p, i, times, payload))
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
            store.note_run(ended=now(), computed=done - (total - n_todo), failed=failed_now)
    return RunReport(n_todo - failed_now, failed_now, total - n_todo, n_workers,
                     time.perf_counter() - start, len(store.lost), tuple(repeated))
