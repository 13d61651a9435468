"""Claims: the one way any runner (cron, worker, lazy cron, the browser's Run now) takes a task.

A claim is an atomic compare-and-set on the task's row in `tasker_tasks`: it turns
`running = 0` into `running = 1` and writes a random token, the runner's name (host:pid), the
invoker, and a lease that ends `lease_seconds` (a Tasker setting) from now by the DATABASE's
clock, so machines with skewed clocks agree. Per engine (see storage.py): SQLite with one
`UPDATE ... WHERE pages_id = (SELECT ... LIMIT 1) RETURNING` holding the write lock (taken by
polling, so a busy database does not starve the claim); PostgreSQL with one `UPDATE ... WHERE
pages_id = (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING`; MariaDB with `SELECT ... FOR UPDATE
SKIP LOCKED` then `UPDATE`, in one transaction.

    claim = claim_next(tasker, invoker="worker")      # the next ready task, or None
    if claim:
        tasker.execute_task(claim.task_id, {"claim": claim, "invoker": "worker", "timeout": ...})

`execute_task` without a claim claims the given task itself (`claim_task`). While a step runs,
a background thread renews the lease every `lease_seconds / 3` and every save renews it too;
every save checks the token, so a runner that lost its claim rolls back and stops.
`reap_expired` (call it at every runner tick) sends tasks whose lease ran out back to ACTIVE
with their last saved data, counting `attempts`; after `max_attempts` runner deaths in a row the
task fails with a log line that says so.

The next ready task: state ACTIVE, not running, `not_before` passed, every dependency finished;
highest `priority` first, then the task whose last step ended longest ago (`turn`), so a long
task takes turns with short ones; then the oldest. `max_running` (0 = no limit) is respected
across all processes: SQLite's write lock or a row lock on the server engines serialises the
count with the claim.
"""
from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from ..page import Page
from . import sql
from .errors import HOW_TO_RESTORE
from .state import TaskState

if TYPE_CHECKING:
    from .lifecycle import StepFigures
    from .tasker import Tasker


@dataclass
class Claim:
    """A runner's hold on one task: pass it to `execute_task(task_id, {"claim": claim})`."""

    task_id: int
    token: str
    runner: str
    invoker: str
    lease_seconds: float
    attempts: int         # runner deaths so far (before this claim)
    # What its step needs, read with the claim by a runner that claimed ahead (step.py), and
    # when (time.monotonic()); the step reads it again when it is missing or old.
    loaded: tuple | None = field(default=None, repr=False, compare=False)
    loaded_at: float = field(default=0.0, repr=False, compare=False)


class ClaimAhead:
    """A runner's next claims, taken inside the transaction that ends a step.

    One commit then both ends a step and claims what comes next, where a separate claim would
    cost a transaction of its own (on SQLite a second commit and a second wait for the write
    lock: a quarter of a one-step task's time). Claims hold only if that commit succeeds: the
    step calls `take(count)` just before its commit and `keep()` just after it; the runner
    then runs `pop()`'s claims in order, or gives back the queue (`drain`) when it stops.
    `take` claims fewer (or none) when fewer tasks are ready or the runner is about to stop.

    After a short step a runner may take several (`count` > 1) and run their steps in one
    transaction (see step.py, "Batches"); every claim in the queue is committed, so a step
    never runs on a claim that a crash could roll back.
    """

    def __init__(self, take: Callable[[int], list[Claim]]):
        self._take = take
        self._pending: list[Claim] = []
        self._queue: list[Claim] = []
        # The heartbeat's thread gives the queue back when the step before it runs long
        # (heartbeat.py), while the runner's thread pops and drains it.
        self._lock = threading.Lock()
        self._closed = False              # the runner has stopped reading the queue
        self._since = 0.0                 # when the queue's oldest claim was kept (monotonic)
        self._hand_backs = 0              # hand-backs the heartbeat began (`giving_back`)
        self._out: list[Claim] = []       # the claims of the one under way (`give_back`)

    def take(self, count: int = 1) -> None:
        """Claim up to `count` more tasks (uncommitted until `keep`)."""
        if count > 0:
            self._pending += self._take(count)

    def taken(self) -> list[Claim]:
        """The claims taken since the last `keep` or `drop`, not committed yet."""
        return list(self._pending)

    def keep(self) -> None:
        """The commit that held the taken claims succeeded: queue them."""
        with self._lock:
            if self._pending and not self._queue:
                self._since = time.monotonic()
            self._queue += self._pending
        self._pending = []

    def drop(self) -> None:
        """The commit failed: the taken claims were rolled back with it."""
        self._pending = []

    def queued(self) -> int:
        return len(self._queue)

    def waited(self) -> float:
        """Seconds the queue's oldest claim has waited (0 when none waits). Nothing renews a
        queued claim: the runner gives the queue back once this nears its lease, whatever the
        steps before it took each (heartbeat.py)."""
        with self._lock:
            return time.monotonic() - self._since if self._queue else 0.0

    def held(self) -> int:
        """Claims queued or being taken: steps the runner has yet to run."""
        return len(self._queue) + len(self._pending)

    def pop(self) -> Claim | None:
        with self._lock:
            return self._queue.pop(0) if self._queue else None

    def drain(self) -> list[Claim]:
        """Empty the queue: the claims the runner will not run (to give back)."""
        with self._lock:
            queue, self._queue = self._queue, []
        return queue

    def hand_back(self) -> list[Claim]:
        """Empty the queue for the heartbeat to give back; it calls `handed_back` when done."""
        with self._lock:
            queue, self._queue = self._queue, []
            if queue:
                self._hand_backs += 1
                self._out = list(queue)
        return queue

    def handed_back(self) -> None:
        with self._lock:
            self._out = []

    def hand_backs(self) -> int:
        """A mark for `giving_back`: taken before the runner looks for its next claim."""
        return self._hand_backs

    def giving_back(self, mark: int) -> bool:
        """Whether the heartbeat began giving claims back since `mark`, or still is: their
        tasks, claimed until their release commits, were not there for a claim meanwhile,
        so a runner that stops when it finds nothing to claim looks again first (else it
        ended, and those tasks waited, ready, for the next run). Claims a step's commit gave
        back (`give_back`) leave `_out` with it: that commit made their tasks claimable."""
        with self._lock:
            return bool(self._out) or self._hand_backs != mark

    def close(self) -> list[Claim]:
        """The runner stops: empty the queue for good (the claims to give back); what the
        heartbeat could not give back is not queued again after this (`requeue`)."""
        with self._lock:
            self._closed = True
            queue, self._queue = self._queue, []
        return queue

    def give_back(self, tasker: Tasker) -> list[Claim]:
        """Give back every queued claim in the caller's transaction (they go back with its
        commit): those of a long step, which would outlive their lease unrenewed; with them
        those the heartbeat is giving back now (`out`: again, a no-op for those it gave back
        already), whose release waits for SQLite's write lock that the caller holds: left to
        the heartbeat, the lock freed by this commit went as often to the reaper, which took
        their expired leases for a dead runner's. The claims, for the caller to hold again if
        its commit fails."""
        claims = self.drain()
        with self._lock:
            claims += [claim for claim in self._out if claim not in claims]
            self._out = []                   # given back here: the heartbeat requeues none
        for claim in claims:
            release(tasker, claim)
        return claims

    def out(self) -> bool:
        """Whether the heartbeat is giving claims back now (`give_back` takes them too)."""
        return bool(self._out)

    def requeue(self, claims: list[Claim]) -> list[Claim]:
        """Put drained claims that could not be given back in front of the queue again; once
        the runner has closed it, none: they are returned, to be given back at once."""
        with self._lock:
            if self._closed:
                return claims
            # none that a step's commit gave back meanwhile (give_back): run, they were lost
            self._queue[:0] = [claim for claim in claims if claim in self._out]
        return []


_RUNNER: tuple[int, str] | None = None


def runner_id() -> str:
    """This process as a runner: "host:pid" (recomputed after a fork)."""
    global _RUNNER
    pid = os.getpid()
    if _RUNNER is None or _RUNNER[0] != pid:
        _RUNNER = (pid, f"{socket.gethostname()}:{pid}")
    return _RUNNER[1]


def _settings(tasker: Tasker, lease_seconds: float | None,
              max_running: int | None) -> tuple[float, int]:
    if lease_seconds is not None and max_running is not None:
        return float(lease_seconds), int(max_running)
    config = tasker.settings()
    lease = float(config["lease_seconds"] if lease_seconds is None else lease_seconds)
    limit = int(config["max_running"] if max_running is None else max_running)
    return max(lease, 1.0), limit


def _claim_values(invoker: str, runner: str | None, admin_run: bool,
                  lease: float) -> tuple[str, str, tuple]:
    """A fresh token, the runner's name, and the values that fill the storage's CLAIM_SET."""
    token = secrets.token_hex(8)
    runner = runner or runner_id()
    return token, runner, (token, runner, invoker[:128], int(admin_run), lease)


def claim_next(tasker: Tasker, *, invoker: str = "worker", runner: str | None = None,
               lease_seconds: float | None = None, max_running: int | None = None) -> Claim | None:
    """Claim the next ready task, or None when none is ready (or `max_running` are running).

    `lease_seconds` and `max_running` default to the Tasker settings (read from the database
    at each call unless given).
    """
    lease, limit = _settings(tasker, lease_seconds, max_running)
    token, runner, values = _claim_values(invoker, runner, False, lease)
    found = tasker.site.db.retry(lambda: tasker.storage.claim_next(values, limit))
    if found is None:
        return None
    return Claim(found[0], token, runner, invoker, lease, found[1])


def claim_several(tasker: Tasker, count: int, *, invoker: str = "worker",
                  runner: str | None = None, lease_seconds: float | None = None,
                  max_running: int | None = None) -> list[Claim]:
    """Claim up to `count` ready tasks at once, in the order `claim_next` would take them.

    For a runner's batch of short steps (step.py): on SQLite one statement claims them all.
    They share one token, fresh for this claim (a token is only ever compared on its own
    task's row). Under `max_running` it claims one, so the limit holds exactly.
    """
    lease, limit = _settings(tasker, lease_seconds, max_running)
    if limit > 0 or count <= 1:
        one = claim_next(tasker, invoker=invoker, runner=runner, lease_seconds=lease,
                         max_running=limit) if count > 0 else None
        return [one] if one else []
    token, runner, values = _claim_values(invoker, runner, False, lease)
    found = tasker.site.db.retry(lambda: tasker.storage.claim_several(values, count))
    return [Claim(task_id, token, runner, invoker, lease, attempts) for task_id, attempts in found]


def claim_task(tasker: Tasker, task_id: int, *, invoker: str = "web", runner: str | None = None,
               admin_run: bool = False, lease_seconds: float | None = None,
               max_running: int | None = None) -> Claim | None:
    """Claim one given task if it is ready now (its `not_before` is not waited for).

    None when it is not active, already running, waits for a dependency, or `max_running` are
    running; `why_not_claimable` says which. A task whose runner died (lease over) is reaped
    first, so "Run now" works on it at once.
    """
    lease, limit = _settings(tasker, lease_seconds, max_running)
    token, runner, values = _claim_values(invoker, runner, admin_run, lease)
    db = tasker.site.db
    found = db.retry(lambda: tasker.storage.claim_id(task_id, values, limit))
    if found is None and reap_expired(tasker, task_id=task_id):
        found = db.retry(lambda: tasker.storage.claim_id(task_id, values, limit))
    if found is None:
        return None
    return Claim(found[0], token, runner, invoker, lease, found[1])


def why_not_claimable(tasker: Tasker, task_id: int) -> str:
    """Why `claim_task` refused a task, in words for a notice or a JSON answer."""
    db = tasker.site.db
    row = db.one(sql.WHY_NOT_CLAIMED, (task_id,))
    if row is None:
        return f"page {task_id} is not a task"
    state, running, runner, status = row
    if running:
        return f"task {task_id} is already running (runner {runner})"
    if status >= Page.STATUS_TRASH:
        return f"task {task_id} is in the trash (restore its page to run it: {HOW_TO_RESTORE})"
    if state != TaskState.ACTIVE:
        return f"task {task_id} is {TaskState(state).label}, not active"
    waiting = tasker.lifecycle.waits_for_text(task_id)
    if waiting:
        return f"task {task_id} waits for {waiting} to finish"
    limit = int(tasker.settings()["max_running"])
    if limit:
        return f"{limit} task(s) are running already (max_running)"
    return f"task {task_id} could not be claimed; try again"


def heartbeat(tasker: Tasker, claim: Claim) -> bool:
    """Extend the claim's lease by `lease_seconds` from now (database clock).

    False when the claim is lost (the lease ran out and the task was reaped or claimed by
    another runner): the holder must stop. A busy SQLite write lock counts as alive (True).
    """
    status = tasker.storage.heartbeat(claim.task_id, claim.token, claim.lease_seconds)
    return status != "lost"


def release(tasker: Tasker, claim: Claim, *, note: str = "", timeout: float | None = None,
            killed: bool = False, figures: StepFigures | None = None) -> bool:
    """Give a claimed task back without running it (its state and data stay as they are).

    For a runner that claimed a task and then decided not to run it (shutting down, out of
    slots). False when the claim had already been lost. `timeout`: how long to wait for
    SQLite's write lock (default: the lock timeout). A reset (or kill) asked while the claim
    was held is applied (Lifecycle.apply_pending_reset), and `note` then goes with the log.
    `killed`: the claim's step ran and its runner killed it (stopped at once, a second
    SIGTERM): it is recorded in the task's steps, as a step that died is ("killed"), where
    `tasks show` said "steps 0" beside what its saves had done. `figures`: the killed step's
    own, from the runner that stopped it in its own process (else the claim's: see
    Lifecycle.record_dead_step).
    """
    db = tasker.site.db

    def release_now() -> int:
        with tasker.storage.write_transaction(timeout):
            changed = db.execute(tasker.storage.sql(sql.RELEASE),
                                 (claim.task_id, claim.token)).rowcount
            if changed and killed:
                tasker.lifecycle.record_dead_step(claim.task_id, "killed", figures=figures)
            if changed and not tasker.lifecycle.apply_pending_reset(claim.task_id) and note:
                tasker.append_log(claim.task_id, [("message", note)])
            return changed

    return bool(db.retry(release_now))


def release_runner(tasker: Tasker, runner: str, *, keep: int = 0) -> int:
    """Give back every claim that the runner process `runner` ("host:pid") holds, but the
    task `keep`: for its supervisor, once the process is gone. Those are claims it took ahead
    of its steps; they never ran, so no attempt is counted and their turn is kept.
    Returns how many went back. A reset (or kill) asked for one of them meanwhile is applied."""
    db = tasker.site.db

    def release_now() -> int:
        with tasker.storage.write_transaction():
            resets = [row[0] for row in db.all(sql.RUNNER_RESETS, (runner, keep))]
            released = db.execute(sql.RELEASE_RUNNER, (runner, keep)).rowcount
            for task_id in resets:
                tasker.lifecycle.apply_pending_reset(task_id)
            return released

    return db.retry(release_now)


def reap_expired(tasker: Tasker, *, task_id: int | None = None, limit: int = 100,
                 cause: str = "") -> list[int]:
    """Send tasks whose lease ran out back to ACTIVE with their last saved data.

    Each counts one more attempt; at `max_attempts` an active task fails instead, with a log
    line saying its runner died that many times (or, under a retry policy or a schedule, waits
    for its retry or its next run: Lifecycle.release_reaped). The step that died is recorded
    in its steps ("lost": Lifecycle.record_dead_step). A step that saved progress
    (changed task_data) resets the count, so only deaths in a row with no progress add up. A task suspended or
    killed while its runner died takes that state (and a pending reset is applied). `cause`
    (a supervisor that saw its step's process die) replaces "stopped answering" in the log
    line. Returns the task ids reaped.
    Nothing depends on the dead runner having left anything behind. Cheap when nothing
    expired: one indexed read.
    """
    db = tasker.site.db
    storage = tasker.storage
    one = " AND pages_id = ?" if task_id else ""
    params: tuple = (task_id,) if task_id else ()
    if db.one(storage.sql(sql.EXPIRED + one + " LIMIT 1"), params) is None:
        return []
    max_attempts = max(1, int(tasker.settings()["max_attempts"]))

    def reap() -> list[int]:
        reaped = []
        with storage.write_transaction():
            rows = db.all(storage.sql(sql.EXPIRED_ROWS + one + sql.EXPIRED_ORDER.format(
                limit=int(limit)) + storage.skip_locked), params)
            for pages_id, attempts, state, *dead in rows:
                runner = dead[2]
                if cause:      # its supervisor saw it die just now and ended its lease (EXPIRE_NOW)
                    dead[3] = None
                tasker.lifecycle.record_dead_step(pages_id, "lost", tuple(dead))
                attempts += 1
                why = cause or f"runner {runner} stopped answering (its lease ran out)"
                if state == TaskState.ACTIVE and attempts >= max_attempts:
                    text = (f"the runner died {attempts} time(s) in a row with no progress saved "
                            f"in between (last: {cause or runner}); the task failed after "
                            f"max_attempts={max_attempts}")
                    tasker.lifecycle.release_reaped(pages_id, attempts, TaskState.FAILED, "error", text)
                else:
                    text = (f"{why}; the task was released with its last saved data (attempt "
                            f"{attempts} of {max_attempts})")
                    tasker.lifecycle.release_reaped(pages_id, attempts, None, "warning", text)
                reaped.append(pages_id)
        return reaped

    return db.retry(reap)
