"""Progress of a run: an ETA that weighs each task by its expected cost, and plain lines for
logs when stdout is not a terminal (batch jobs, nohup).

Counting tasks alone misleads: with L the slowest grid axis the last points cost most (dense
ED: dim^3), so an ETA from the rate of the first tasks is several times too short. Here each
remaining task weighs its point's cost (:func:`mblkit.campaign.check.cost_law`); tasks run
in order (the executors take them lazily, in order), so the first k finished are close to the
first k submitted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np


class CostWeightedETA:
    """ETA from the cost done so far: ``remaining cost x elapsed / cost done``.

    ``costs``: the expected cost of each task still to run at the start, in run order.
    """

    def __init__(self, costs: Sequence[float], clock: Callable[[], float] = time.monotonic
                 ) -> None:
        self._cumulative = np.concatenate(([0.0], np.cumsum(np.asarray(costs, float))))
        self._clock = clock
        self._start = clock()
        self._first_done: int | None = None

    @property
    def total_cost(self) -> float:
        return float(self._cumulative[-1])

    def fraction(self, finished: int) -> float:
        """The fraction of this run's expected cost done after ``finished`` tasks."""
        k = min(max(finished, 0), len(self._cumulative) - 1)
        return float(self._cumulative[k] / self.total_cost) if self.total_cost > 0 else 1.0

    def remaining(self, finished: int) -> float | None:
        """Seconds left after ``finished`` tasks of this run (None before the first)."""
        f = self.fraction(finished)
        if finished <= 0 or f <= 0:
            return None
        elapsed = self._clock() - self._start
        return elapsed * (1 - f) / f


def format_seconds(seconds: float | None) -> str:
    if seconds is None or not np.isfinite(seconds):
        return "?"
    seconds = round(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}"


class PlainProgress:
    """One plain line every ``every`` seconds (and at the end), for logs::

        [12:00:05] 120/840 stored (14.3 %), 0 failed, elapsed 0:01:40, ETA 0:40:12
    """

    def __init__(self, write: Callable[[str], None], eta: CostWeightedETA, every: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._write = write
        self._eta = eta
        self._every = every
        self._clock = clock
        self._start = clock()
        self._last: float | None = None
        self._first: int | None = None
        self.lines = 0

    def __call__(self, done: int, total: int, failures: int, force: bool = False) -> None:
        if self._first is None:
            self._first = done
        self._pending: tuple[int, int, int] | None = (done, total, failures)
        now = self._clock()
        if not force and self._last is not None and now - self._last < self._every:
            return
        self._last = now
        self._pending = None
        percent = 100.0 * done / total if total else 100.0
        eta = 0.0 if done >= total else self._eta.remaining(done - self._first)
        self._write(f"[{time.strftime('%H:%M:%S')}] {done}/{total} stored ({percent:.1f} %), "
                    f"{failures} failed, elapsed {format_seconds(now - self._start)}, "
                    f"ETA {format_seconds(eta)}")
        self.lines += 1

    def finish(self) -> None:
        """Write the last state if it was not written (the end of the run)."""
        pending = getattr(self, "_pending", None)
        if pending is not None:
            done, total, failures = pending
            self(done, total, failures, force=True)
