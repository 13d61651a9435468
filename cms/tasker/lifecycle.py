"""A task's lifecycle: activate, suspend, kill, reset, restart, trash; dependencies and follow-ups.

Every change runs in one short transaction that locks the task's row first, and records who
made it and when in `tasker_history` (`get_history`). A change made while a step runs lands at
the step's next save: the task shows as suspending / killing until the step stops. A reset of a
running task (also the one a kill implies) is applied when the step stops, so the step cannot
write its old cursor over the reset data.

"Live" tasks (waiting or active) hold a key in a unique index: the first of identical tasks
(same page, same signature) holds "<page id>:<signature>", any other "<page id>:<signature>:<its
id>"; tasks that are not live hold none. `create_task(..., unique=True)` inserts with the plain
key, so the database itself refuses a second one. When the holder stops being live, the plain key
passes to another identical live task, found by a range scan of the same index.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import peewee

from ..fieldtypes import fold
from ..page import NullPage, Page
from . import sql
from .after_step import after_step
from .errors import HOW_TO_RESTORE, TaskError
from .refs import acting_name, task_id_of
from .state import LIVE_STATES, TaskState, as_state, state_info

ENDED_STATES = (TaskState.FINISHED, TaskState.FAILED, TaskState.KILLED)
# Ended without finishing: a task waiting for one waits until it is tried again and finishes.
UNFINISHED_ENDS = (TaskState.FAILED, TaskState.KILLED)

if TYPE_CHECKING:
    from .tasker import Tasker


@dataclass(frozen=True)
class StepFigures:
    """A step's row in tasker_steps but its result: when it began (epoch seconds), how long it
    ran, the records its saves committed, its peak memory (bytes), who ran it and where."""

    started: float
    seconds: float
    records: int
    peak_memory: int
    invoker: str
    runner: str

    def row(self, task_id: int, result: str) -> tuple:
        """The values of sql.ADD_STEP for this step of task `task_id`, ended with `result`."""
        return (task_id, self.started, self.seconds, self.records, self.peak_memory,
                self.invoker[:128], result, self.runner[:128])


class Lifecycle:
    """State changes of tasks, as the admin and module code make them, and the bookkeeping
    that goes with one (history, the live key, follow-ups). Tasker's facade calls the public
    methods; the step runner and the reaper call `state_changed`, `activate_followups` and
    `release_reaped` inside their own transactions."""

    def __init__(self, tasker: Tasker):
        self.tasker = tasker
        self.site = tasker.site

    @property
    def storage(self) -> Any:
        return self.tasker.storage

    # -- state changes ------------------------------------------------------------------------
    def activate_task(self, task: Page | int, activate_anyway: bool = True, *,
                      by: str | None = None, for_browser: bool = False) -> bool:
        """Make a task ready to run (ACTIVE). False, and nothing changes, while a dependency
        has not finished; with `activate_anyway=False` only a WAITING task is activated.
        Activating a failed or killed task clears its attempt and failure counts ("Try
        again"), and a task the browser kept for its next "Run now" step is released to every
        runner. A task in the trash is refused (TaskError): restore its page first. A FINISHED
        task is not activated (False, nothing changes, a warning), as `stop_task` leaves one:
        activated, it ran its method again from the data its last step left, without a word;
        `restart_task` (or `reset_progress`, then this) runs it again on purpose, from its
        initial data.

        `for_browser` (the admin's Run now): the task is kept for the browser's first step in
        the same transaction, as a browser step keeps it for the next one (admin_run with a
        lease of `lease_seconds`, see sql.STEP_END), so no other runner claims it between the
        activation and the page's first `run` call.
        """
        task_id, who = task_id_of(task), self.who(by)
        hold = ""
        if for_browser:
            lease = max(1.0, float(self.tasker.settings()["lease_seconds"]))
            hold = self.storage.sql(
                f"admin_run = CASE WHEN running = 1 THEN admin_run ELSE 1 END, lease_until = "
                f"CASE WHEN running = 1 THEN lease_until ELSE {{now}} + {lease:.3f} END")

        def activate() -> bool:
            with self.storage.write_transaction():
                state, _ = self.lock(task_id)
                self.refuse_trashed(task_id, "activated")
                if not activate_anyway and state != TaskState.WAITING:
                    return False
                if state == TaskState.FINISHED:
                    self.tasker.warning(f"task {task_id} was not activated: it has finished, and "
                                        "activating it would run its work again; restart it (a "
                                        "reset to its initial data, then an activation) to run "
                                        "it again")
                    return False
                if state == TaskState.ACTIVE:
                    if hold:
                        self.site.db.execute(sql.SET_COLUMNS.format(columns=hold), (task_id,))
                    return True
                waiting = self.waits_for_text(task_id)
                if waiting:
                    self.tasker.warning(f"task {task_id} was not activated: it waits for "
                                        f"{waiting} to finish (it is not activated by itself "
                                        "then: activate it again, or make it a follow-up with "
                                        "add_next_task)")
                    return False
                self.set_state(task_id, state, TaskState.ACTIVE, who, "activated",
                                extra="attempts = 0, failures = 0, " + (hold or
                                "admin_run = CASE WHEN running = 1 THEN admin_run ELSE 0 END"))
                return True
        return self.site.db.retry(activate)

    def stop_task(self, task: Page | int, kill: bool = False, reset: bool = False, *,
                  by: str | None = None) -> bool:
        """Suspend a task (back to WAITING) or kill it (KILLED, with its progress reset to 0%).

        A running step stops at its next save and keeps what it did so far; a reset asked for
        a running task is applied when it stops. With `reset` (and no kill) this is
        `reset_progress`. A kill records one history entry, "killed and reset to 0%", so no
        screen shows the figure the task had reached as if it were still there. A suspend of a
        task that has ended (finished, failed, killed) changes nothing and answers False: sent
        back to waiting, a finished task would run its work again once activated. A task in
        the trash is refused (TaskError), as by `activate_task`: suspended or killed there, it
        would lose the data `trash_task` keeps for a restore.
        """
        if reset and not kill:
            return self.tasker.reset_progress(task, by=by)     # as hooked
        task_id, who = task_id_of(task), self.who(by)
        new = TaskState.KILLED if kill else TaskState.WAITING

        def stop() -> bool:
            with self.storage.write_transaction():
                state, running = self.lock(task_id)
                self.refuse_trashed(task_id, "killed" if kill else "suspended")
                if kill:
                    self.reset_now(task_id, state, running, new, who, "killed and reset to 0%")
                elif state in ENDED_STATES and not running:
                    return False
                elif state != new:
                    self.set_state(task_id, state, new, who, "suspended")
                return True
        return self.site.db.retry(stop)

    def reset_progress(self, task: Page | int, *, by: str | None = None) -> bool:
        """Back to WAITING at 0% with the task_data given at creation, log and steps cleared,
        from any state (finished, failed, killed, active): the one meaning of "reset" for the
        CLI, the admin and the API. Recorded as one "reset" entry in the history.

        A running task stops at its next save (it shows as suspending) and is reset then. A
        task in the trash is refused (TaskError): reset there, it would be a waiting task that
        no runner ever claims, yet counted as live by the duplicate check of `create_task`.
        """
        task_id, who = task_id_of(task), self.who(by)

        def reset() -> bool:
            with self.storage.write_transaction():
                state, running = self.lock(task_id)
                self.refuse_trashed(task_id, "reset")
                self.reset_now(task_id, state, running, TaskState.WAITING, who, "reset to 0%")
                return True
        return self.site.db.retry(reset)

    def trash_task(self, task: Page | int, *, by: str | None = None) -> bool:
        """Kill the task (its data is kept) and move its page to the trash.

        Tasks that depended on it no longer wait for it, as in the original Tasker.
        """
        task_id, who = task_id_of(task), self.who(by)
        page = self.site.pages.get(task_id)

        def trash() -> bool:
            with self.storage.write_transaction():
                self._kill_as_trashed(task_id, who)    # here, to record `who` (kill_trashed: the user)
                with self.site.trusted():
                    self.site.pages.trash(page)
                return True
        return self.site.db.retry(trash)

    def kill_trashed(self, page: Page) -> None:
        """After `Pages::trashed`: the tasks that went to the trash with `page` (it, or pages
        below it: a task is a child of the page it works on) are killed as `trash_task` kills
        them, their data kept and the tasks waiting for them released. Trashed from the tree
        or by `site.pages.trash()`, they stayed active, and `is_active()` said so, though no
        runner claims a task in the trash. A task whose own step trashed it (an archiving job's
        last act) is left to that step's end: finished if the step finished it, else killed so.
        Inside the trash's transaction."""
        from .install import TEMPLATE
        self.site.refresh_schema()      # as the find below would: another process may have uninstalled it
        if self.site.templates.get(TEMPLATE) is None:
            return      # uninstalled: the hook stays with the loaded module, but no task is left
        ids = self.site.pages.find_ids(f"template={TEMPLATE}, has_parent={page.id}, include=all",
                                       enforce_access=False)
        if page.template.name == TEMPLATE:
            ids.insert(0, page.id)
        who = self.who(None)
        steps = self.tasker.runner.steps
        for task_id in ids:
            step = steps.get(task_id)
            if step is not None and step.thread == threading.get_ident():
                step.trashed = True     # its own step trashed it: the step's end decides (StepRunner)
                continue
            self._kill_as_trashed(task_id, who)

    def _kill_as_trashed(self, task_id: int, who: str) -> None:
        """Kill a task going to the trash, its data kept, and release the tasks waiting for it:
        none runs in the trash, and none waits for ever on one that does not."""
        state, _ = self.lock(task_id)
        self.site.db.execute(sql.FORGET_DEPENDENTS, (task_id,))     # first: none is told it was killed
        if state != TaskState.KILLED:
            self.set_state(task_id, state, TaskState.KILLED, who, "trashed")

    # -- dependencies and follow-ups ----------------------------------------------------------
    def add_dependency(self, task: Page | int, other: Page | int) -> bool:
        """`task` runs only after `other` finished (its claim and activation wait for it).

        Neither may be in the trash (TaskError): a trashed task never finishes, so a task
        waiting for one would wait for ever (`trash_task` releases those waiting at that time).
        Nor may `other` recur (`refuse_recurring`). An `other` that failed or was killed is
        allowed (tried again, it may finish), and `task`'s log says so (`tell_waiting`)."""
        task_id, other_id = task_id_of(task), task_id_of(other)
        if task_id == other_id:
            raise TaskError(f"task {task_id} cannot depend on itself")
        db = self.site.db

        def add() -> bool:
            with self.storage.write_transaction():
                self.lock(task_id)
                other_state, _ = self.lock(other_id)
                self.refuse_trashed(task_id, "given a dependency")
                self.refuse_trashed(other_id, "depended on")
                self.refuse_recurring(other_id, "waited for")
                if self._depends_on(other_id, task_id):
                    raise TaskError(f"task {other_id} already depends on task {task_id}: making "
                                    f"{task_id} depend on {other_id} would wait for ever")
                if not db.one(sql.HAS_DEPENDENCY, (task_id, other_id)):
                    db.execute(sql.ADD_DEPENDENCY, (task_id, other_id))
                    self.tell_waiting([task_id], other_id, other_state)
                return True
        return db.retry(add)

    def add_next_task(self, task: Page | int, nxt: Page | int) -> bool:
        """Activate `nxt` (if it is waiting) when `task` finishes; at once if it has finished.

        Neither may be in the trash (TaskError): a trashed task never finishes, and a trashed
        follow-up is never activated. Nor may `task` recur (`refuse_recurring`)."""
        task_id, next_id = task_id_of(task), task_id_of(nxt)
        if task_id == next_id:
            raise TaskError(f"task {task_id} cannot follow itself")
        db = self.site.db
        who = self.who(None)

        def add() -> bool:
            with self.storage.write_transaction():
                state, _ = self.lock(task_id)
                self.lock(next_id)
                self.refuse_trashed(task_id, "given a follow-up")
                self.refuse_trashed(next_id, "a follow-up")
                self.refuse_recurring(task_id, "followed")
                if not db.one(sql.HAS_FOLLOWUP, (task_id, next_id)):
                    db.execute(sql.ADD_FOLLOWUP, (task_id, next_id))
                    db.execute(sql.COUNT_FOLLOWUP, (task_id,))
                if state == TaskState.FINISHED:
                    self.activate_followups(task_id, who)
                return True
        return db.retry(add)

    def get_dependencies(self, task: Page | int) -> list[int]:
        """Ids of the tasks `task` waits for (TaskError for a page that is no task)."""
        return self._ids_of(sql.DEPENDENCIES, task_id_of(task))

    def get_next_tasks(self, task: Page | int) -> list[int]:
        """Ids of the tasks activated when `task` finishes (TaskError for no task)."""
        return self._ids_of(sql.FOLLOWUPS, task_id_of(task))

    def get_unfinished_dependencies(self, task: Page | int) -> list[int]:
        """Ids of the tasks `task` waits for that have not finished (TaskError for no task)."""
        return self._ids_of(sql.UNFINISHED_DEPS, task_id_of(task))

    def _ids_of(self, statement: str, task_id: int) -> list[int]:
        """The ids a statement lists for a task; an empty list only for a task (an empty
        answer for a page that is no task would read as a task linked to nothing)."""
        ids = [r[0] for r in self.site.db.all(statement, (task_id,))]
        if not ids:
            self.get_state(task_id)
        return ids

    # -- reading ------------------------------------------------------------------------------
    def get_page(self, task: Page | int) -> Page | NullPage:
        """The page the task works on (the one it was created for, `tasker_tasks.parent_id`):
        still that page once the task's own page is in the trash, where its parent is the
        trash. A NullPage when that page is gone."""
        task_id = task_id_of(task)
        parent_id = self.site.db.scalar(sql.READ_PARENT, (task_id,))
        if parent_id is None:
            raise TaskError(f"page {task_id} is not a task")
        return self.site.pages.get(int(parent_id))

    def get_state(self, task: Page | int) -> TaskState:
        """The task's stored state, read now."""
        task_id = task_id_of(task)
        state = self.site.db.scalar(sql.READ_STATE, (task_id,))
        if state is None:
            raise TaskError(f"page {task_id} is not a task")
        return as_state(state)

    def who(self, by: str | None) -> str:
        return acting_name(self.site, by)

    # -- inside a caller's transaction ------------------------------------------------------
    def refuse_trashed(self, task_id: int, what: str) -> None:
        """TaskError for a task whose page is in the trash: it is never claimed there."""
        if (self.site.db.scalar(sql.PAGE_STATUS, (task_id,)) or 0) >= Page.STATUS_TRASH:
            raise TaskError(f"task {task_id} is in the trash and cannot be {what}: restore its "
                            f"page first ({HOW_TO_RESTORE})")

    def refuse_recurring(self, task_id: int, what: str) -> None:
        """TaskError for a recurring task (`every`) as one to wait for or to follow: each run's
        end starts it over (after_step), it never finishes, so a task waiting for it, or
        following it, would wait for ever without a word."""
        if self.site.db.scalar(sql.EVERY, (task_id,)):
            raise TaskError(f"task {task_id} recurs, so it never finishes and cannot be {what}: "
                            "start the other task from its method (create_task and "
                            "activate_task), or give it a schedule of its own")

    def lock(self, task_id: int) -> tuple[int, int]:
        row = self.site.db.one(sql.LOCK_STATE + self.storage.for_update, (task_id,))
        if row is None:
            raise TaskError(f"page {task_id} is not a task")
        return row[0], row[1]

    def set_state(self, task_id: int, old: int, new: TaskState, who: str, note: str,
                   extra: str = "") -> None:
        self.site.db.execute(sql.SET_STATE.format(extra=", " + extra if extra else ""),
                             (int(new), task_id))
        self.state_changed(task_id, as_state(old), new, who, note)

    def state_changed(self, task_id: int, old: TaskState, new: TaskState, who: str,
                       note: str, live: tuple | None = None) -> None:
        """History, the task page's `modified` (it follows the task's activity, as ProcessWire's
        Tasker saves the task page), and the live key for the duplicate check, after a state
        change.

        `live` is (live_key, parent_id, signature) as they were before the change, when the
        caller read them already and cleared live_key itself if the task is no longer live.
        """
        db = self.site.db
        db.defer(sql.HISTORY, (task_id, time.time(), int(old), int(new), who[:128], note[:700]))
        self.site.pages.touch(task_id)
        if new in UNFINISHED_ENDS and old not in UNFINISHED_ENDS:
            self.tell_dependents(task_id, new)
        was_live, is_live = old in LIVE_STATES, new in LIVE_STATES
        if was_live == is_live:
            return
        key, parent_id, signature = live or db.one(sql.LIVE_ROW, (task_id,))
        base = f"{parent_id}:{signature}"
        if was_live:
            if key is None:
                return
            if live is None:
                db.defer(sql.CLEAR_LIVE_KEY, (task_id,))
            if key == base:         # the holder leaves: an identical live task takes the key
                self.tasker.storage.pass_live_key(base)
            return
        try:
            with db.pw.atomic():      # an identical task may take it at this very moment
                db.execute(sql.SET_LIVE_KEY, (base, task_id))
        except peewee.IntegrityError:
            db.execute(sql.SET_LIVE_KEY, (f"{base}:{task_id}", task_id))

    def reset_now(self, task_id: int, state: int, running: int, new: TaskState, who: str,
               note: str) -> None:
        """Reset the task's data, progress, log and steps (a running task's when its step
        stops: reset_pending) and move it to `new`, as one history entry."""
        db = self.site.db
        if running:
            db.execute(sql.MARK_RESET, (task_id,))
            note += " (applied when the running step stops)"
        else:
            self.forget_run(task_id)
        if state != new:
            self.set_state(task_id, state, new, who, note)
        else:
            db.execute(sql.HISTORY, (task_id, time.time(), state, state, who[:128], note))
            self.site.pages.touch(task_id)

    def apply_pending_reset(self, task_id: int) -> bool:
        """After a claim on the task was given back unrun or cut off (its runner died, was
        stopped at once, lost its connection; a claim queued ahead of a step), inside the
        caller's transaction: a reset (or kill) asked while the claim was held is applied now,
        as the step's end would have applied it. The state it set stays, and so does its one
        history entry, written when it was asked. True when there was one: the task's log is
        cleared, so a note of the release has no place there."""
        if not self.site.db.scalar(sql.RESET_PENDING, (task_id,)):
            return False
        self.forget_run(task_id)
        self.site.pages.touch(task_id)
        return True

    def forget_run(self, task_id: int) -> None:
        """The reset itself: the task_data given at creation, progress and counts at 0, log and
        step figures cleared (reset_pending with them)."""
        db = self.site.db
        initial = db.scalar(sql.INITIAL_DATA, (task_id,))
        db.execute(sql.SAVE_DATA, (initial, fold(initial), task_id))
        db.execute(sql.RESET_FIGURES, (task_id,))
        self.tasker.logs.clear(task_id)
        db.execute(sql.DROP_STEPS, (task_id,))

    def waits_for_text(self, task_id: int) -> str:
        """What a task waits for, in words for a refusal, `tasks show` or a JSON answer: "task
        12 (failed), task 14 (running)"; "" when every task it depends on has finished. A
        failed or killed one finishes only if it is tried again, which the words let a user
        see (a bare "waits for task 12 to finish" read as if task 12 were on its way)."""
        rows = self.site.db.all(sql.UNFINISHED_DEP_STATES, (task_id,))
        return ", ".join(f"task {dep} ({state_info(state, bool(running))})"
                         for dep, state, running in rows)

    def tell_dependents(self, task_id: int, state: TaskState) -> None:
        """`task_id` ended without finishing (failed, killed): the live tasks waiting for it
        are told in their logs (inside the caller's transaction). Else they waited for ever,
        "waiting" or "ready to run", with no word of why: a claim passes them by in silence.
        One indexed read when none waits; called only on such an end (state_changed)."""
        waiting = [row[0] for row in self.site.db.all(sql.LIVE_DEPENDENTS, (task_id,))]
        self.tell_waiting(waiting, task_id, state)

    def tell_waiting(self, task_ids: list[int], dep: int, state: int) -> None:
        """A warning in the logs of `task_ids`, which wait for `dep`, when `dep` has ended
        without finishing (failed or killed): they run only once it is tried again."""
        if not task_ids or state not in UNFINISHED_ENDS:
            return
        how = "failed" if state == TaskState.FAILED else "was killed"
        line = (f"task {dep}, which this task waits for, {how}: this task runs only once task "
                f"{dep} is tried again (activated) and finishes; trashing task {dep} releases it")
        cap = int(self.tasker.settings()["log_max_lines"])
        for task_id in task_ids:
            self.tasker.logs.append(task_id, [("warning", line)], cap)

    def unfinished_deps(self, task_id: int) -> list[int]:
        """`get_unfinished_dependencies` for callers that know `task_id` is a task: an empty
        answer costs no second read to tell a task from a page."""
        return [r[0] for r in self.site.db.all(sql.UNFINISHED_DEPS, (task_id,))]

    def _depends_on(self, task_id: int, target: int) -> bool:
        """Whether `task_id` waits, directly or through others, for `target`."""
        seen, frontier = {task_id}, [task_id]
        db = self.site.db
        while frontier:
            marks = ", ".join("?" * len(frontier))
            found = [r[0] for r in db.all(sql.DEPENDENCIES_OF_MANY.format(marks=marks), frontier)]
            if target in found:
                return True
            frontier = [t for t in found if t not in seen]
            seen.update(frontier)
        return False

    def activate_followups(self, task_id: int, who: str) -> None:
        """Activate the waiting follow-ups of a task that finished (inside its transaction)."""
        db = self.site.db
        for (next_id,) in db.all(sql.FOLLOWUPS, (task_id,)):
            row = db.one(sql.READ_STATE + self.storage.for_update, (next_id,))
            if row is None or row[0] != TaskState.WAITING or self.unfinished_deps(next_id):
                continue
            self.set_state(next_id, row[0], TaskState.ACTIVE, who,
                            f"activated: follow-up of task {task_id}", extra="attempts = 0, failures = 0")

    def record_dead_step(self, task_id: int, result: str, claim: tuple | None = None,
                         figures: StepFigures | None = None) -> None:
        """A step that was killed or died never reached its end, which writes a step's row:
        write it here, for the reaper ("lost") and for a runner that killed its step
        ("killed"), before the claim is released (inside their transaction); the task's step
        count and run time count it. A reset pending drops it with the run it undoes.

        `figures`: the step's own, when it was stopped in the process that ran it (Ctrl-C in
        `tasks run`), whose runner knows them. Else, for a process that is gone, from the claim
        to now by the database's clock, or to its lease's end if that came first: a live step
        renews its lease, so it was dead by then, and a reaper that came an hour later (a
        machine down) must not count that hour as running, which the task's rate and ETA would
        take as work; no records, the claim's invoker and runner. `claim`: the row of
        sql.DEAD_STEP_READ when the caller read it already (the reaper reads it with the
        expired leases), else it is read here."""
        db = self.site.db
        figures = figures or self._claim_figures(task_id, claim)
        db.defer(sql.ADD_STEP, figures.row(task_id, result))
        db.defer(sql.COUNT_DEAD_STEP, (figures.seconds, task_id))

    def _claim_figures(self, task_id: int, claim: tuple | None) -> StepFigures:
        """What the claim says of a step whose process is gone (see record_dead_step)."""
        claimed_at, invoker, runner, lease_until, now = claim or self.site.db.one(
            self.storage.sql(sql.DEAD_STEP_READ), (task_id,))
        ended = float(now) if lease_until is None else min(float(now), float(lease_until))
        started = ended if claimed_at is None else float(claimed_at)     # claimed before 1.5
        return StepFigures(started, max(0.0, ended - started), 0, 0, invoker or "", runner or "")

    def release_reaped(self, task_id: int, attempts: int, new_state: TaskState | None,
                       kind: str, text: str) -> None:
        """Free a task whose runner died (inside the reaper's transaction). One that fails so
        (its runner died `max_attempts` times, its step was killed past its time or memory)
        keeps to its retry policy and schedule as a step that failed does (`_fail_again`)."""
        db = self.site.db
        state, reset_pending = db.one(sql.REAP_READ, (task_id,))
        if reset_pending:
            # The run the reset undoes is forgotten, this death (its attempt, its log line) with
            # it; a second history entry, the reaper's, told of one action twice.
            db.execute(self.storage.sql(sql.RELEASE_REAPED), (0, state, task_id))
            self.apply_pending_reset(task_id)
            return
        target = state if new_state is None else int(new_state)
        if (target == TaskState.FAILED and state == TaskState.ACTIVE and not reset_pending
                and self._fail_again(task_id, kind, text)):
            return
        db.execute(self.storage.sql(sql.RELEASE_REAPED), (attempts, target, task_id))
        if target != state:
            self.state_changed(task_id, as_state(state), as_state(target), "reaper", text)
        self.tasker.logs.append(task_id, [(kind, text)], int(self.tasker.settings()["log_max_lines"]))

    def _fail_again(self, task_id: int, kind: str, text: str) -> bool:
        """Release an active task that fails with `text` as its retry policy or schedule says
        (after_step): True when it goes on, active, not before its retry's back-off, or from
        its initial data at its next run when it recurs. Written directly as FAILED, the very
        failures a retry is for (a step that overran, a runner that kept dying) ended the task
        for good, and a nightly task whose step once overran never ran again."""
        db = self.site.db
        every, retry, failures, not_before, initial, now = db.one(
            self.storage.sql(sql.FAILURE_POLICY), (task_id,))
        if not every and not retry:
            return False
        end = after_step(TaskState.ACTIVE, "failed", every=every,
                         retry=json.loads(retry) if retry else None, failures=failures,
                         not_before=not_before, now=float(now))
        if end.state != TaskState.ACTIVE:
            return False
        db.execute(self.storage.sql(sql.RELEASE_TO_RUN_AGAIN), (end.failures, end.not_before, task_id))
        if end.restart:
            db.execute(sql.SAVE_DATA, (initial, fold(initial), task_id))
            db.execute(sql.SET_PROGRESS, (0, task_id))
        self.state_changed(task_id, TaskState.ACTIVE, TaskState.ACTIVE, "reaper", end.note)
        self.tasker.logs.append(task_id, [(kind, text), *end.log],
                                int(self.tasker.settings()["log_max_lines"]))
        return True
