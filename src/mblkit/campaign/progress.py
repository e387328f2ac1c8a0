"""Progress of a run: an ETA that weighs each task by its expected cost, and plain lines for
logs when stdout is not a terminal (batch jobs, nohup).

Counting tasks alone misleads: with L the slowest grid axis the last points cost most (dense
ED: dim^3), so an ETA from the rate of the first tasks is several times too short. Here each
remaining task weighs its point's cost (:func:`mblkit.campaign.check.cost_law`), with the
scaling between sizes learnt from the tasks already finished (:class:`CostWeightedETA`);
tasks run in order (the executors take them lazily, in order), so the first k finished are
close to the first k submitted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

#: Wall time per task ~ cost^beta before two sizes have finished. Measured here between the
#: two smallest sizes (mblkit check): 0.40 (demo, dim 70 -> 252), 0.56 (rho-vbar, 32 -> 256);
#: the LAPACK floor takes over where the cubic work dominates.
BETA_PRIOR = 0.4


class CostWeightedETA:
    """ETA that weighs each remaining task by its expected cost, learning the scaling online.

    ``costs``: the expected cost of each task still to run at the start, in run order (the cost
    law, e.g. dim^3). Small sizes are not yet cubic (building, observables and Python weigh
    in), so the wall time per task of the groups of equal cost already finished is fitted as
    ``w ~ cost^beta`` through the two largest ones (beta in [0.2, 1]); with one group finished,
    beta = :data:`BETA_PRIOR`. Each remaining task is predicted from the largest finished
    group, and never below ``floor x cost``: the cubic work alone (LAPACK's seconds per unit
    of cost on this machine, divided by the workers; 0: no floor), which takes over at large
    sizes. Wall time per task includes the parallelism of the workers.
    """

    def __init__(self, costs: Sequence[float], clock: Callable[[], float] = time.monotonic,
                 floor: float = 0.0) -> None:
        self._floor = float(floor)
        self._costs = np.asarray(costs, float)
        self._cumulative = np.concatenate(([0.0], np.cumsum(self._costs)))
        self._clock = clock
        self._start = clock()
        self._times: list[float] = []  # wall clock when task k finished

    @property
    def total_cost(self) -> float:
        return float(self._cumulative[-1])

    def fraction(self, finished: int) -> float:
        """The fraction of this run's expected cost done after ``finished`` tasks."""
        k = min(max(finished, 0), len(self._cumulative) - 1)
        return float(self._cumulative[k] / self.total_cost) if self.total_cost > 0 else 1.0

    def _observe(self, finished: int) -> None:
        now = self._clock()
        finished = min(finished, len(self._costs))
        while len(self._times) < finished:  # a jump: spread the time evenly
            last = self._times[-1] if self._times else self._start
            missing = finished - len(self._times)
            self._times.append(last + (now - last) / missing)

    def remaining(self, finished: int) -> float | None:
        """Seconds left after ``finished`` tasks of this run (None before the first)."""
        self._observe(finished)
        n = len(self._times)
        if n == 0:
            return None
        if n >= len(self._costs):
            return 0.0
        walls = np.diff(np.concatenate(([self._start], self._times)))
        done_costs = self._costs[:n]
        groups = sorted(set(done_costs.tolist()))
        per_task = {c: float(walls[done_costs == c].mean()) for c in groups}
        top = groups[-1]
        beta = BETA_PRIOR
        if len(groups) >= 2 and per_task[groups[-2]] > 0 and per_task[top] > 0:
            lower = groups[-2]
            beta = float(np.clip(np.log(per_task[top] / per_task[lower]) / np.log(top / lower),
                                 0.2, 1.0))
        rest = self._costs[n:]
        predicted = [per_task[c] if c in per_task
                     else max(per_task[top] * (c / top) ** beta, self._floor * c)
                     for c in rest.tolist()]
        return float(np.sum(predicted))


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
