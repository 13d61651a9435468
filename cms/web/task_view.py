"""How a task is shown: the word for its state, the actions it offers, what a visitor may see.

The original TaskerAdmin's rules, kept in one place for the task list, the task page, the JSON
API's `status_html` and the public task page:

- a state set while the task runs shows as what is happening: `running`, `suspending`,
  `killing`; an active task that is not running is `ready to run`, or `waits for task 12`
  while a task it depends on has not finished (no runner takes it before), or `scheduled`
  while its time (`not_before`: a start time, a retry's back-off, a recurring task's next
  run) is ahead, with that time ("runs in 2 h 5 min", the exact time in its title);
- actions by state: waiting -> Activate, Run now; active -> Deactivate, Run now (when not
  running), Kill; failed -> Try again; any other task still running (suspending) -> Kill;
  finished, killed, failed, or any task with progress -> Reset; a task that is not running ->
  Trash; every task -> Details. Kill and Trash ask first, and Reset where it throws progress
  or a log away (`asks_first`).
"""
from __future__ import annotations

import functools
import time
from datetime import UTC, datetime
from typing import Any, NamedTuple

from ..tasker.schedule import SCHEDULED, scheduled_for
from ..tasker.state import TaskState, state_info
from ..tasker.status import counts_of

UNKNOWN, ACTIVE, WAITING, FINISHED, KILLED, FAILED = (int(s) for s in TaskState)
STATE_FILTERS = [TaskState.ACTIVE, TaskState.WAITING, TaskState.FINISHED, TaskState.KILLED,
                 TaskState.FAILED]


DANGEROUS_COMMANDS = frozenset({"kill", "trash"})     # asked "are you sure?" first
# What the question before an action says it throws away (a kill resets the task: DESIGN.md)
START_OVER = "progress 0%, its data as created, its log and steps cleared."
CONSEQUENCES = {
    "kill": f"It stops (a running step at its next save) and goes back to its start: {START_OVER}",
    "reset": f"It goes back to its start: {START_OVER}"}


class Action(NamedTuple):
    command: str      # the API command (`run` opens the Run now page)
    label: str
    danger: bool = False     # asked "are you sure?" first (asks_first)


def asks_first(command: str, state: int, progress: int) -> bool:
    """Whether the admin asks before `command`: a kill or a trash always; a reset when it
    throws something away, progress or a finished or failed task's log and steps (a failed
    task's traceback sat beside Try again), not a killed task's 0% and empty log."""
    return command in DANGEROUS_COMMANDS or (
        command == "reset" and (progress > 0 or state in (FINISHED, FAILED)))


def question(command: str, label: str, title: str = "") -> str:
    """What the admin asks before an action (asks_first): "Kill this task?" (or the task by
    title), and what the action throws away, which its label alone does not tell."""
    asked = f"{label} the task {title}?" if title else f"{label} this task?"
    return f"{asked} {CONSEQUENCES[command]}" if command in CONSEQUENCES else asked


def as_int(value: Any, default: int = 0) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return default


@functools.lru_cache(maxsize=64)
def state_label(state: int, running: bool, at_zero: bool = False, waits_for: int | None = None) -> str:
    """The longer label of the task list and task page (`ready to run` for an active task not
    running; `waits for task 12` for one whose dependency `waits_for` has not finished). A
    kill resets the task (DESIGN.md): the label says so rather than leave a figure to be read
    as the progress kept; a killed task with progress (one restored from the trash, which
    kills without a reset) is just `killed`."""
    if state == ACTIVE and not running:
        return f"waits for task {waits_for}" if waits_for else "ready to run"
    if state == KILLED and running:
        return "killing: reset to 0% when its step stops"
    if state == KILLED and at_zero:
        return "killed, reset to 0%"
    return state_info(state, running)


def actions(state: int, running: bool, progress: int) -> list[Action]:
    """The actions the task list and task page offer for a task in this state."""
    found: list[Action] = []
    if state == WAITING and not running:
        found += [Action("activate", "Activate"), Action("run", "Run now")]
    elif state == ACTIVE:
        found.append(Action("suspend", "Deactivate"))
        if not running:
            found.append(Action("run", "Run now"))
        found.append(Action("kill", "Kill"))
    elif state == FAILED and not running:
        found.append(Action("activate", "Try again"))
    elif running and state != KILLED:           # suspending or finishing: it may still be killed
        found.append(Action("kill", "Kill"))
    if not running and (progress > 0 or state in (FINISHED, KILLED, FAILED)):
        found.append(Action("reset", "Reset"))
    if not running:
        found.append(Action("trash", "Trash"))
    return [action._replace(danger=asks_first(action.command, state, progress)) for action in found]


def task_state(task: Any) -> tuple[int, bool, int]:
    """(state, running, progress) of a task page, as plain ints."""
    return (as_int(task.get("task_state")), bool(as_int(task.get("task_running"))),
            max(0, min(100, as_int(task.get("progress")))))


def public_status(task: Any) -> dict[str, Any]:
    """What a visitor may see of a task: title, state (a word) and progress. Nothing else."""
    state, running, progress = task_state(task)
    return {"title": task.get("title") or "", "state": state_info(state, running),
            "progress": progress}


class Due(NamedTuple):
    """When a scheduled task runs, as its row says it."""
    at: str          # "2026-12-06 18:00:05 UTC": the exact time (the title)
    within: str      # "in 2 h 5 min": what the row shows
    iso: str         # "2026-12-06T18:00:05Z": the <time> element's datetime


def due_of(state: int, running: bool, not_before: Any) -> Due | None:
    """The time a scheduled task runs (schedule.scheduled_for), None for any other task."""
    at = scheduled_for(state, running, not_before)
    if at is None:
        return None
    moment = datetime.fromtimestamp(at, UTC)
    return Due(when(moment), "in " + time_until(at - time.time()), moment.strftime("%Y-%m-%dT%H:%M:%SZ"))


def time_until(seconds: float) -> str:
    """"40 s", "5 min", "2 h 5 min", "3 d 4 h": coarse past a minute, so a row the list
    polls every 2 s changes its text (and is swapped in) once a minute, not at every poll."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} d {seconds % 86400 // 3600} h"


class TaskRow(NamedTuple):
    """A task as the admin shows it (no task_data, no log: the list never loads those)."""
    id: int
    page: Any
    title: str
    state: int
    running: bool
    progress: int
    word: str         # task_state_info: `running`, `suspending` ... or the state's word
    label: str        # the list's label: for an active task not running `ready to run`,
    #                   `scheduled` or `waits for task 12` (row_label)
    summary: str      # "35% 1 error(s)" from the log counters
    actions: list[Action]
    parent: Any
    created: Any
    modified: Any
    not_before: float | None = None     # as stored: the time it may run from
    due: Due | None = None              # when it runs, while it is scheduled
    waits_for: int | None = None        # an active task's first dependency not finished

    @property
    def problems(self) -> str:
        """The summary's errors and warnings alone ("1 error(s) 2 warning(s)"), or "": a row
        shows its progress in its bar, and "No error(s)" on every row said nothing."""
        text = counts_of(self.summary)
        return "" if text.startswith("No error(s)") and "warning" not in text else \
            text.replace("No error(s) ", "")


def task_row(tasker: Any, task: Any, parent: Any = None, not_before: float | None = None) -> TaskRow:
    """A TaskRow from a task page; `not_before` as stored (Tasker.get_details), for a row that
    shows whether the task is scheduled (the task page; steering needs no such read). What an
    active task waits for is read here (one indexed read, for such a task only)."""
    state, running, progress = task_state(task)
    due = due_of(state, running, not_before)
    unfinished = tasker.get_unfinished_dependencies(task) if state == ACTIVE and not running else []
    waits_for = unfinished[0] if unfinished else None
    return TaskRow(task.id, task, task.get("title") or "", state, running, progress,
                   state_info(state, running), row_label(state, running, progress, due, waits_for),
                   tasker.get_log_summary(task), actions(state, running, progress), parent,
                   task.created, task.modified, not_before, due, waits_for)


def status_row(status: Any, page: Any = None, parent: Any = None) -> TaskRow:
    """A TaskRow from Tasker.get_status / get_statuses (or another TaskRow), and the task's
    page when loaded (the JSON API loads none: then `page`, `created` and `modified` are
    None). Whether it is scheduled is judged now, at every call: nothing is written when a
    task's time comes, so a poll must not repeat what an earlier one said."""
    state, running, progress = status.state, status.running, status.progress
    due = due_of(state, running, status.not_before)
    return TaskRow(status.id, page, status.title, state, running, progress,
                   state_info(state, running), row_label(state, running, progress, due, status.waits_for),
                   status.summary, actions(state, running, progress), parent,
                   page.created if page is not None else None,
                   page.modified if page is not None else None, status.not_before, due,
                   status.waits_for)


def row_label(state: int, running: bool, progress: int, due: Due | None, waits_for: int | None) -> str:
    """A row's label: what it waits for before its time (a task scheduled for tonight that
    waits for another runs only once that one finishes), then `scheduled`, then state_label."""
    if due and not waits_for:
        return SCHEDULED
    return state_label(state, running, progress == 0, waits_for)


def when(value: Any) -> str:
    """A datetime or epoch seconds as `2026-11-27 12:00:05 UTC` (empty for none)."""
    if value is None or value == "":
        return ""
    if isinstance(value, (int, float)):
        value = datetime.fromtimestamp(value, UTC)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return str(value)
