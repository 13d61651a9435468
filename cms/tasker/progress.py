"""Saving a running task's progress, and asking whether it may go on.

`save_progress` is the one write a running step makes for itself: task_data (only when it
changed), progress, pending log lines, and the lease, with the claim's token and the state
checked by the same UPDATE. At the top level it then commits (and, on SQLite, lets waiting
writers in). `save_progress_at_milestone` is meant to be called once per record: when nothing
is due it costs a dict lookup and a comparison. `allowed_to_execute` runs no query.
"""
from __future__ import annotations

import json
import threading
import time
from typing import TYPE_CHECKING, Any

from ..fieldtypes import fold
from ..page import Page
from . import sql
from .errors import ClaimLost, TaskError
from .refs import task_id_of
from .state import TaskState, as_state
from .step import IDENTITY_KEYS, current_rss, dumps, progress_of

if TYPE_CHECKING:
    from .step import Step
    from .tasker import Tasker

MEMORY_CHECK_EVERY = 0.1     # seconds between two reads of the resident size
MEMORY_SHARE = 0.9           # allowed_to_execute turns False at this share of memory_limit


class Progress:
    """save_progress, save_progress_at_milestone, allowed_to_execute, interrupt: what a task's
    method calls while its step runs, on the steps the runner holds (`StepRunner.steps`)."""

    def __init__(self, tasker: Tasker, steps: dict[int, Step]):
        self.tasker = tasker
        self.site = tasker.site
        self.steps = steps
        storage = tasker.storage
        self.storage = storage
        self._save_checked = storage.sql(sql.SAVE_CHECKED)
        self._save_any = storage.sql(sql.SAVE_ANY_STATE)

    def save_progress(self, task: Page | int, task_data: dict, update_state: bool = True,
                      check_events: bool = True) -> bool:
        """Store progress, task_data and log lines; re-read the state; commit at the top level.

        Returns True while the task may go on. After a suspend or kill made elsewhere (seen
        because `update_state` re-reads the state), or an `interrupt()` of this process (seen
        when `check_events`), it returns False, `allowed_to_execute` turns False and the
        method's `options["timeout"]` becomes now: the method should return soon, and what it
        did so far is saved. If this runner lost its
        claim, `ClaimLost` is raised and the step's work since its last commit is rolled back.
        Outside a running step it just stores task_data and progress of a task that is not
        running.
        """
        if not isinstance(task_data, dict):
            raise TaskError(f"task_data must be a dict, not {type(task_data).__name__}")
        task_id = task_id_of(task)
        step = self.steps.get(task_id)
        if step is None or step.thread != threading.get_ident():
            self._save_outside_step(task_id, task_data)
            return True
        if step.lost:
            raise ClaimLost(f"task {task_id}: this runner lost its claim; stop the step")
        if check_events and step.interrupted:
            step.stop(step.interrupted)
        db = self.site.db
        # Inside the module's own transaction, which it may yet roll back, task_data, progress
        # and the log lines wait for a save at the top or the step's end: written now, a
        # rollback would undo them while Tasker believed them stored (the end wrote nothing
        # again, and a failed step kept a progress its data never reached).
        at_top = step.at_top()
        step.keep_identity(task_data)
        text = dumps(task_data)
        advanced = text != step.data_text
        if advanced and at_top:
            db.execute(sql.SAVE_DATA, (text, fold(text), task_id))
            step.data_text = text
            step.task.stored(task_data=text)
        progress = step.progress_of(task_data)
        if step.lines and at_top:
            self.tasker.logs.append(task_id, step.lines, step.log_cap)
            step.flushed += step.lines
            step.lines = []
        claim = step.claim
        params = (progress, claim.lease_seconds, int(not advanced), task_id, claim.token)
        if not db.execute(self._save_checked if update_state else self._save_any, params).rowcount:
            row = db.one(sql.SAVE_CHECK, (task_id,))
            if row is None or row[0] != claim.token:
                step.lost = True
                step.stop("its claim was lost: another runner took the task over")
                raise ClaimLost(f"task {task_id}: this runner lost its claim (its lease ran out); "
                                "the step's work since its last save is rolled back")
            db.execute(self._save_any, params)
            reason = ("a reset was asked for" if row[2] and row[1] == TaskState.ACTIVE
                      else f"the task was set to {as_state(row[1]).label} while the step ran")
            if not step.stopped:
                step.log("message", f"the step stops: {reason}")
            step.stop(reason)
        step.last_heartbeat = step.last_save = time.monotonic()
        if at_top:
            step.progress = progress
            step.task.stored(progress=progress)
            step.commit()
        else:
            step.due = False
        return not step.stopped

    def save_progress_at_milestone(self, task: Page | int, task_data: dict,
                                   update_state: bool = True, check_events: bool = True) -> bool:
        """Save once `records_processed` reaches `task_data["milestone"]`, then return True
        (the caller sets the next milestone).

        About every half second it also saves and commits without a milestone (and returns
        False), so a long stretch between milestones is neither lost in a crash nor keeps
        others waiting. Otherwise it costs a lookup and a comparison.
        """
        try:
            milestone = task_data.get("milestone")
        except AttributeError:
            raise TaskError(f"task_data must be a dict, not {type(task_data).__name__}") from None
        try:         # a try costs nothing here, where a type check per record would
            reached = milestone is not None and task_data.get("records_processed", 0) >= milestone
        except TypeError:
            raise TaskError(f"task_data's records_processed and milestone must be numbers, not "
                            f"{task_data.get('records_processed')!r} and {milestone!r}") from None
        if reached:
            self.save_progress(task, task_data, update_state, check_events)
            return True
        step = self.steps.get(task.id if isinstance(task, Page) else task)
        if step is not None and step.due:
            self.save_progress(task, task_data, update_state, check_events)
        return False

    def allowed_to_execute(self, task: Page | int, options: dict[str, Any]) -> bool:
        """False once the task is no longer active (suspended, killed, its claim lost), its
        time is nearly over (`options["timeout"]` minus a margin of up to 2 s), or memory is
        near `options["memory_limit"]` (90%). No query: state changes are seen by saves.
        """
        step = self.steps.get(task.id if isinstance(task, Page) else task)
        if step is None:
            if isinstance(task, Page) and as_state(task.get("task_state")) != TaskState.ACTIVE:
                return False
            timeout = float(options.get("timeout") or 0)
            limit = int(options.get("memory_limit") or 0)
            if timeout and time.time() >= timeout - 2.0:
                return False
            return not (limit and current_rss() >= MEMORY_SHARE * limit)
        if step.stopped:
            return False
        now = time.monotonic()                   # the step's deadline is a monotonic reading
        if step.deadline and now >= step.deadline - step.margin:
            return False
        if step.memory_limit and now >= step.next_memory_check:
            step.next_memory_check = now + MEMORY_CHECK_EVERY
            if step.sample_memory() >= MEMORY_SHARE * step.memory_limit:
                if not step.stopped:
                    step.log("warning", "the step stops: memory is near its limit "
                                        f"({step.memory_limit} bytes)")
                step.stop("memory is near its limit")
                return False
        return True

    def interrupt(self, reason: str = "the runner is shutting down") -> None:
        """Ask every step running in this process to stop at its next save (signal-safe).

        The task stays in its state (active), so another runner continues it. For a runner's
        SIGTERM handler.
        """
        for step in list(self.steps.values()):
            step.interrupted = reason

    def _save_outside_step(self, task_id: int, task_data: dict) -> None:
        """Store the data of a task that is not running. What names the work (`module`,
        `method`, `pageid`) stays as created: missing keys are filled in from what is stored
        (in the caller's dict too), and a different value is refused, since the next step
        would run something else or fail."""
        db = self.site.db

        def save() -> None:
            with self.storage.write_transaction():
                row = db.one(sql.LOCK_RUNNING + self.storage.for_update, (task_id,))
                if row is None:
                    raise TaskError(f"page {task_id} is not a task")
                if row[0]:
                    raise TaskError(f"task {task_id} is running in another step; only that step "
                                    "saves its progress")
                stored = json.loads(db.scalar(sql.READ_DATA, (task_id,)) or "{}")
                for key in IDENTITY_KEYS:
                    if key not in stored:
                        continue
                    if key not in task_data:
                        task_data[key] = stored[key]
                    elif task_data[key] != stored[key]:
                        raise TaskError(f"task {task_id}'s task_data {key!r} is {stored[key]!r}; "
                                        f"a save may not change it (to {task_data[key]!r})")
                text = dumps(task_data)
                progress = progress_of(task_data, row[1])
                db.execute(sql.SAVE_DATA, (text, fold(text), task_id))
                db.execute(sql.SET_PROGRESS, (progress, task_id))
        db.retry(save)

