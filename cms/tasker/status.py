"""A task's status in one read: what the admin's pollers ask for again and again.

`get_status(task_id)` reads the task's title, state, running flag, progress, log counters and
(unless `log=False`) its log with ONE indexed statement over `tasker_tasks`, its page, its
title and its log, instead of loading the page and then each field on its own (seven queries);
where the driver pays for each column of a row, its columns but the log are read as one
(`Database.packed_sql`).

Every call sees the state as stored now. Where the database says, without a statement, that
nothing was committed since an answer was read (`Database.change_stamp`: SQLite in WAL mode),
the answer is given again from memory, shared by the process's threads; any commit, by anyone,
makes every kept answer read again. Inside a transaction the statement always runs (the
caller may have changed the task and not committed yet).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from ..page import MAX_ID, Page
from . import sql

if TYPE_CHECKING:
    from ..db import Database

MANY_AT_ONCE = 500          # ids per statement (well under every engine's parameter limit)
KEPT_MAX = 20000            # answers kept per process before they are all forgotten


class TaskStatus(NamedTuple):
    """A task as its status answer shows it, read in one statement."""
    id: int
    title: str
    state: int
    running: bool
    progress: int
    summary: str         # "35% 1 error(s)", as get_log_summary
    modified: datetime | None    # the task page's `modified`, an aware UTC datetime on every engine
    not_before: float | None     # the time it may run from (schedule.scheduled_for reads it)
    waits_for: int | None        # an active task's first dependency not finished (no runner takes it)
    log: list[str]       # oldest first; empty when not asked for


# (database url, task id, with the log) -> (change stamp when read, the answer); the stamp
# names the database file too, so two databases behind one URL text never share an answer
_kept: dict[tuple[str, int, bool], tuple[bytes, TaskStatus | None]] = {}


def summary_text(progress: int, errors: int, warnings: int) -> str:
    """"35% 1 error(s) 2 warning(s)": the progress part left out at 0%, warnings only if any."""
    parts = [f"{progress}%"] if progress else []
    parts.append(f"{errors} error(s)" if errors else "No error(s)")
    if warnings:
        parts.append(f"{warnings} warning(s)")
    return " ".join(parts)


def counts_of(summary: str) -> str:
    """A summary's counts alone ("1 error(s) 2 warning(s)"), its progress part left out: for a
    place that shows the progress apart (a bar, "57% done")."""
    head, _, rest = summary.partition(" ")
    return rest if head.endswith("%") else summary


class TaskStatuses:
    """get_status, get_statuses, count_by_state: what the admin shows of tasks, in one query."""

    def __init__(self, db: Database):
        self.db = db
        columns = db.packed_sql(sql.STATUS_COLUMNS)
        self._one = sql.STATUS.format(columns=columns)
        self._one_with_log = sql.STATUS_WITH_LOG.format(columns=columns)
        self._many = sql.STATUS_OF_MANY.format(columns=columns, marks="{marks}")

    def get_status(self, task_id: int, log: bool = True) -> TaskStatus | None:
        """The task's status as stored now, or None when there is no such task (or it is in
        the trash). `log=False` leaves the log unread (the task list's pollers want none)."""
        db, task_id = self.db, int(task_id)
        if not 0 < task_id <= MAX_ID:
            return None
        stamp = None if db.in_transaction() else db.change_stamp()
        if stamp is not None:
            key = (db.url, task_id, log)
            kept = _kept.get(key)
            if kept is not None and kept[0] == stamp:
                return own_copy(kept[1])
        row = db.unpacked(db.one(self._one_with_log if log else self._one, (task_id,)))
        status = as_status(row, row[11] if log and row else None, db.dt_value)
        if stamp is not None:
            if len(_kept) >= KEPT_MAX:
                _kept.clear()
            _kept[key] = (stamp, own_copy(status))
        return status

    def get_statuses(self, task_ids: Iterable[int]) -> dict[int, TaskStatus]:
        """The statuses of many tasks (without their logs), by id: one query for a page of the
        task list. Ids of no task, or of a task in the trash, are left out."""
        ids = sorted(i for i in {int(i) for i in task_ids} if 0 < i <= MAX_ID)
        found: dict[int, TaskStatus] = {}
        for at in range(0, len(ids), MANY_AT_ONCE):
            chunk = ids[at:at + MANY_AT_ONCE]
            statement = self._many.format(marks=", ".join("?" * len(chunk)))
            for row in self.db.all(statement, chunk):
                status = as_status(self.db.unpacked(row), None, self.db.dt_value)
                if status is not None:
                    found[status.id] = status
        return found

    def count_by_state(self, include_hidden: bool = True) -> dict[int, int]:
        """How many tasks are in each state (one GROUP BY; trashed and, unless
        `include_hidden`, hidden tasks left out)."""
        below = Page.STATUS_UNPUBLISHED if include_hidden else Page.STATUS_HIDDEN
        return {int(state): int(count)
                for state, count in self.db.all(sql.COUNT_BY_STATE, (below,))}

    def get_details(self, task_id: int) -> dict[str, Any] | None:
        """The task's runtime row as `tasks show` prints it (module, method, priority, attempts,
        failures, running, runner, invoker, lease_until, not_before, every, retry, steps, run_seconds),
        or None when it is no task."""
        row = self.db.one(sql.DETAILS, (int(task_id),))
        if row is None:
            return None
        return dict(zip(DETAIL_KEYS, row))


DETAIL_KEYS = ("module", "method", "parent_id", "priority", "attempts", "failures", "running", "runner",
               "invoker", "lease_until", "not_before", "every", "retry", "steps", "run_seconds")


def own_copy(status: TaskStatus | None) -> TaskStatus | None:
    """A kept answer as a caller may change it: its log list is its own."""
    return TaskStatus(*status[:-1], list(status.log)) if status is not None and status.log else status


def as_status(row: tuple | None, log_text: str | None,
              dt_value: Callable[[Any], datetime | None]) -> TaskStatus | None:
    """A TaskStatus from a row of the statements above (None for none or a trashed task);
    `dt_value` reads the engine's datetime (SQLite's text, the servers' naive datetimes)."""
    if row is None or (row[5] or 0) & Page.STATUS_TRASH:
        return None
    progress = max(0, min(100, int(row[2] or 0)))
    return TaskStatus(int(row[7]), row[6] or "", int(row[0] or 0), bool(row[1]), progress,
                      summary_text(progress, int(row[3] or 0), int(row[4] or 0)), dt_value(row[8]),
                      None if row[9] is None else float(row[9]),
                      None if row[10] is None else int(row[10]),
                      log_text.split("\n")[:-1] if log_text else [])
