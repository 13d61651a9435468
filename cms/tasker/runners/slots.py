"""What a runner's child process tells its supervisor, through shared memory: no syscall per step.

Each child has one `Slot`: the task it runs now (0 = none), that step's deadline and claim
token, whether it waits for SQLite's write lock (and since when), and counters. The child
writes it around every step; the supervisor reads it about ten times a second to heartbeat the
claim, kill a step that overran its deadline, and hand on the task of a child that died.

Its times are `time.monotonic()` readings, one clock for every process of the machine: a wall
clock set forward (an NTP step, an admin's `date -s`) must not make every running step look an
hour past its deadline, and be killed for it. A step's deadline comes as epoch seconds (the
`timeout` a method gets) and is stored as the monotonic reading it corresponds to at its start.
"""
from __future__ import annotations

import multiprocessing
import time
from dataclasses import dataclass
from typing import Any

TASK, DEADLINE, STARTED, STEPS, FAILED, FIRST, LAST, LEASE, SEQ, WAITING, WAITED, CUT = range(12)
TOKEN_SIZE = 64


@dataclass
class Busy:
    """A consistent copy of what a child is running (`deadline`, `started`: monotonic)."""

    task_id: int
    token: str
    deadline: float
    started: float
    lease_seconds: float
    seq: int


class Slot:
    """Shared counters of one child (created by the supervisor, passed to the child at spawn)."""

    def __init__(self, ctx: Any = None):
        ctx = ctx or multiprocessing.get_context("spawn")
        self.values = ctx.RawArray("d", 12)
        self.token = ctx.RawArray("c", TOKEN_SIZE)

    # -- the child's side ---------------------------------------------------------------------
    def start(self, task_id: int, token: str, deadline: float, lease_seconds: float) -> None:
        """A step of `task_id` starts now; `deadline` in epoch seconds (0 = none)."""
        values = self.values
        values[SEQ] += 1
        self.token.value = token.encode()[:TOKEN_SIZE - 1]
        started = time.monotonic()
        values[DEADLINE] = monotonic_of(deadline) if deadline else 0.0
        values[STARTED] = started
        values[LEASE] = lease_seconds
        values[WAITING] = 0.0             # a wait told of the step before is over
        if not values[FIRST]:
            values[FIRST] = started
        values[TASK] = task_id            # written last: the step is visible once complete

    def end(self, failed: bool, cut: bool = False) -> None:
        """The step ended: `failed` by its own fault, or `cut` off by a database outage."""
        values = self.values
        values[TASK] = 0                  # written first: the supervisor stops acting on it
        values[STEPS] += 1
        if failed:
            values[FAILED] += 1
        if cut:
            values[CUT] += 1
        values[LAST] = time.monotonic()

    def waiting(self, since: float) -> None:
        """The child waits for SQLite's write lock, or its step for a row lock another
        session holds, since `since` (time.monotonic(); 0 = no more). A step waiting for
        another's lock is not overrunning its own time."""
        values = self.values
        if not since:
            values[WAITED] = time.monotonic()
        values[WAITING] = since

    # -- the supervisor's side ----------------------------------------------------------------
    def busy(self) -> Busy | None:
        """What the child runs now, or None (read twice so a half-written step is not taken)."""
        values = self.values
        for _ in range(3):
            task_id, seq = int(values[TASK]), values[SEQ]
            if not task_id:
                return None
            busy = Busy(task_id, self.token.value.decode(), values[DEADLINE], values[STARTED],
                        values[LEASE], int(seq))
            if int(values[TASK]) == task_id and values[SEQ] == seq:
                return busy
        return None

    def clear(self) -> None:
        """Forget the running step (after the supervisor handed its task on)."""
        self.values[TASK] = 0

    @property
    def waiting_since(self) -> float:
        """Since when the child waits for the write lock (0 = it does not)."""
        return self.values[WAITING]

    @property
    def waited_until(self) -> float:
        """When the child's last wait for the write lock ended (0 = never)."""
        return self.values[WAITED]

    @property
    def steps(self) -> int:
        return int(self.values[STEPS])

    @property
    def failed(self) -> int:
        return int(self.values[FAILED])

    @property
    def cut(self) -> int:
        return int(self.values[CUT])

    @property
    def first(self) -> float:
        return self.values[FIRST]

    @property
    def last(self) -> float:
        return self.values[LAST]


def monotonic_of(epoch: float) -> float:
    """The `time.monotonic()` reading that epoch second `epoch` is, as the clocks stand now."""
    return time.monotonic() + (epoch - time.time())


def epoch_of(monotonic: float) -> float:
    """The epoch second that `time.monotonic()` reading `monotonic` is, as the clocks stand now."""
    return time.time() - (time.monotonic() - monotonic)
