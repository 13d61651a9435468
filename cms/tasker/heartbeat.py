"""The heartbeat: one daemon thread per process that keeps running steps alive and on time.

Every 50 ms it marks a step "due" once `COMMIT_INTERVAL` has passed since the step's last
save, so the step's next `save_progress_at_milestone` commits (a check that costs the step
one attribute read). On SQLite a step holds the one write lock between its commits, so while
another writer waits for it (an editor's page save, a suspend from the admin) a step is due
after only `YIELD_AFTER`: the waiter gets in within about a tick, not half a second. Once
the waiter is gone, a step that has not saved since is due after `YIELD_AFTER` too, so it
soon sees what the waiter changed (a suspend stops the step in about 0.2 s, not at its next
half-second save). Every `lease_seconds / 3` it renews the step's lease on its own database
connection. If the renewal finds the claim lost, the step is told to stop
(`allowed_to_execute` turns False and its next save raises `ClaimLost`).

On the server engines a step past its deadline may be waiting for a row lock that another
session holds (an admin's long transaction, a runner frozen inside its own): in a runner's
child this thread asks the server every `LOCK_PROBE_EVERY` whether it does, and tells the
supervisor (`storage.on_row_wait`), which then does not kill the step as overrunning, as it
does not for a wait on SQLite's write lock. The step gets the grace again once the wait ends.
It is asked until the step's end is written (`done`): a step whose wait ended as a lock timeout
gives its task back by updating the very row that is still held.

The claims a runner took ahead of a step (claim.ClaimAhead) have no step of their own to renew
them: once they have waited `HAND_BACK_AFTER` in the queue (behind one long step that did not
give them back itself, as a step that saves part way does at that commit, or behind several
shorter ones, none long on its own), this thread gives them back on its own connection, so
they go to other runners instead of expiring and being reaped as a dead runner's (an attempt
counted for a task that never ran).

The thread starts on the first step of a process (again after a fork). It parks only once no
step has run for `PARK_AFTER`: a runner's short steps come and go many times a tick, and
waking a parked thread at each of them cost every step a thread switch and a hand-over of the
GIL. Closing the site (`Tasker.close`) ends it, with its database connection, once no step
runs: a parked thread of a closed site stayed for the life of the process; the next step
starts another.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from typing import TYPE_CHECKING

from ..errors import DatabaseBusy
from .claim import ClaimAhead, heartbeat, release

if TYPE_CHECKING:
    from .step import Step
    from .tasker import Tasker

log = logging.getLogger("cms.tasker")

COMMIT_INTERVAL = 0.5
YIELD_AFTER = 0.05
TICK = 0.05
PARK_AFTER = 1.0
HAND_BACK_AFTER = 0.5     # seconds: claims queued this long behind the steps are given back
LOCK_PROBE_EVERY = 0.2    # seconds between two asks whether a step past its deadline waits


class Heartbeat:
    def __init__(self, tasker: Tasker):
        self.tasker = tasker
        self.steps: set[Step] = set()
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        self.stopping = threading.Event()     # the running thread's: set, it ends once idle
        self.pid = 0
        self.added = 0       # steps added so far: the thread sees steps it never caught running
        self.row_waits: set[Step] = set()   # steps told to the supervisor as waiting for a lock
        # steps whose method returned but whose end is being written (a lock timeout's task
        # given back waits for the same row): still asked whether they wait, until `done`
        self.ending: set[Step] = set()

    def add(self, step: Step) -> None:
        with self.lock:
            self.steps.add(step)
            self.added += 1
        if self.thread is None or self.pid != os.getpid() or not self.thread.is_alive():
            self.pid = os.getpid()
            self.stopping = threading.Event()
            self.thread = threading.Thread(target=self._run, args=(self.stopping,),
                                           name="tasker-heartbeat", daemon=True)
            self.thread.start()
        if not self.wake.is_set():      # set while steps run: setting it again costs a lock
            self.wake.set()

    def remove(self, step: Step) -> None:
        """The step's method returned: no more beats or commits asked; its lock waits are
        still watched while its end is written (`done`)."""
        with self.lock:
            self.steps.discard(step)
            if step.session:
                self.ending.add(step)

    def done(self, step: Step) -> None:
        """The step's end is written: its lock waits are over with it."""
        with self.lock:
            self.ending.discard(step)
            if step in self.row_waits:
                self.row_waits.discard(step)
                self._tell_row_wait(0.0)

    def stop(self, timeout: float = 1.0) -> None:
        """End the thread once no step runs (at once when none does, waiting up to `timeout`
        for it to close its connection); a step after this starts another thread."""
        thread = self.thread
        if thread is None or self.pid != os.getpid() or not thread.is_alive():
            return
        self.stopping.set()
        self.wake.set()
        with self.lock:
            idle = not self.steps
        if idle:
            thread.join(timeout)

    def _run(self, stopping: threading.Event) -> None:
        try:
            self._beat(stopping)
        finally:
            self._drop_connection()

    def _beat(self, stopping: threading.Event) -> None:
        busy, seen = time.monotonic(), -1    # when a step last ran; steps added by then
        someone_waits = self.tasker.storage.waiters_probe()
        waited = gone = 0.0        # when a writer last waited for the lock; when it was gone
        while True:
            now = time.monotonic()
            with self.lock:
                steps = list(self.steps)
                ending = list(self.ending)
                if not steps and stopping.is_set():
                    return
                if steps or ending or self.added != seen:
                    busy, seen = now, self.added
                park = now - busy >= PARK_AFTER
                if park:
                    self.wake.clear()
            if park:
                self.wake.wait()
                continue
            for step in ending:
                if step.session and step.deadline and now >= max(step.deadline, step.next_lock_probe):
                    self._probe_lock_wait(step, now)
            if not steps:
                time.sleep(TICK)
                continue
            waiting = someone_waits is not None and someone_waits()
            if waiting:
                waited, gone = now, 0.0
            elif waited and not gone:
                gone = now
            for step in steps:
                owes = step.last_save < gone          # not saved since the waiter got in
                interval = YIELD_AFTER if waiting or owes else COMMIT_INTERVAL
                if now - step.last_save >= interval:
                    step.due = True
            for step in steps:
                if not step.finished and now - step.last_heartbeat >= step.heartbeat_interval:
                    self._renew(step, now)
                ahead = step.ahead
                if ahead is not None and not step.finished and ahead.waited() >= HAND_BACK_AFTER:
                    self._hand_back(ahead)
                if step.session and step.deadline and now >= max(step.deadline,
                                                                 step.next_lock_probe):
                    self._probe_lock_wait(step, now)
            time.sleep(TICK)

    def _renew(self, step: Step, now: float) -> None:
        try:
            alive = self._beat_once(step)
        except Exception as exc:      # a lost connection: try again at the next tick
            log.warning("heartbeat for task %s failed: %s", step.task_id, exc)
            self._drop_connection()
            return
        step.last_heartbeat = now
        if not alive and not step.finished:
            step.lost = True
            step.stop("its claim was lost: another runner took the task over")

    def _probe_lock_wait(self, step: Step, now: float) -> None:
        """Ask whether the step (past its deadline) waits for a lock; tell the supervisor
        when that changes. A server that will not say (MariaDB without the PROCESS
        privilege) is not asked again for this step: it is blamed as before."""
        step.next_lock_probe = now + LOCK_PROBE_EVERY
        try:
            waiting = self.tasker.storage.waits_for_lock(step.session)
        except Exception as exc:
            log.warning("cannot tell whether task %s's step waits for a lock: %s", step.task_id, exc)
            step.session, waiting = 0, False
            self._drop_connection()
        with self.lock:
            if (step not in self.steps and step not in self.ending) \
                    or waiting == (step in self.row_waits):
                return
            if waiting:
                self.row_waits.add(step)
            else:
                self.row_waits.discard(step)
            self._tell_row_wait(now if waiting else 0.0)

    def _tell_row_wait(self, since: float) -> None:
        tell = self.tasker.storage.on_row_wait
        if tell is not None:
            tell(since)

    def _beat_once(self, step: Step) -> bool:
        """Renew the step's lease; once more on a new connection when the server had closed
        this thread's idle one (its first beat after the runner idled past the server's idle
        limit), without a warning: the database never went away."""
        try:
            return heartbeat(self.tasker, step.claim)
        except Exception as exc:
            if not self.tasker.site.db.reopened(exc):
                raise
        return heartbeat(self.tasker, step.claim)

    def _hand_back(self, ahead: ClaimAhead) -> None:
        """Give back the claims queued behind a long step on this thread's connection. Those
        it cannot give back now (SQLite's write lock held by the step) go back in the queue
        for the next tick, or, if the runner stopped meanwhile, are given back waiting for the
        lock: nobody would read them there."""
        claims = ahead.hand_back()
        if not claims:
            return
        try:
            for n, claim in enumerate(claims):
                try:
                    release(self.tasker, claim, timeout=0.3)
                except Exception as exc:
                    if not isinstance(exc, DatabaseBusy):
                        log.warning("giving back the claim of task %s failed: %s", claim.task_id, exc)
                    for left in ahead.requeue(claims[n:]):
                        try:
                            release(self.tasker, left)
                        except Exception as again:     # the reaper's, at its lease's end
                            log.warning("giving back the claim of task %s failed: %s",
                                        left.task_id, again)
                    return
        finally:
            ahead.handed_back()

    def _drop_connection(self) -> None:
        try:
            self.tasker.site.db.close()      # this thread's connection only
        except Exception:
            pass
