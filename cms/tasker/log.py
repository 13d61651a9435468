"""A task's log, its summary, its state history and its per-step figures.

The log is the task's `log_messages` field: one line per entry, "2026-11-27 12:00:00 ERROR
text" (continuation lines of a multi-line entry, such as a traceback, start with two spaces).
What a module says through `self.message()` / `warning()` / `error()` while its step runs
lands here, with what Tasker says about the step. Lines are appended with one UPDATE (SQL
concatenation), not by rewriting the text. The log is capped at `log_max_lines` (a setting):
the first lines are kept (they say how the task started), then one line saying how many were
dropped, then the latest. Error and warning counts are kept beside it (`tasker_tasks`), so
`get_log_summary` still counts lines that were dropped.
"""
from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..fieldtypes import fold, surrogates_escaped
from . import sql
from .errors import TaskError
from .refs import task_id_of
from .status import summary_text
from .step import is_number

if TYPE_CHECKING:
    from ..db import Database

LEVELS = {"message": "INFO", "warning": "WARNING", "error": "ERROR"}
DROPPED = "... {n} line(s) dropped (log_max_lines) ..."
MAX_ENTRY = 20000      # characters of one entry kept (a runaway message cannot fill the log)

Entry = tuple  # (kind, text) or (kind, text, epoch seconds)


def format_entries(entries: Iterable[Entry]) -> tuple[list[str], int, int]:
    """Log lines for entries, and how many errors and warnings they hold."""
    lines: list[str] = []
    errors = warnings = 0
    for entry in entries:
        kind, text = entry[0], str(entry[1])
        at = entry[2] if len(entry) > 2 else time.time()
        if kind == "error":
            errors += 1
        elif kind == "warning":
            warnings += 1
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(at))
        # no engine stores a lone surrogate: the step's end raised writing one, its task left
        # claimed
        text = surrogates_escaped(text[:MAX_ENTRY])
        parts = text.replace("\x00", "").replace("\r\n", "\n").split("\n")
        lines.append(f"{stamp} {LEVELS.get(kind, 'INFO')} {parts[0]}")
        lines.extend("  " + part for part in parts[1:] if part.strip())
    return lines, errors, warnings


def head_size(cap: int) -> int:
    """How many of the first lines a capped log keeps."""
    return max(1, min(50, cap // 10))


def cap_lines(lines: list[str], dropped: int, cap: int) -> tuple[list[str], int]:
    """Cut a log to `cap` lines: the head, a "dropped" line, the latest. Returns (lines, dropped)."""
    cap = max(3, cap)
    if len(lines) <= cap:
        return lines, dropped
    head = head_size(cap)
    rest = lines[head + 1:] if dropped else lines[head:]
    keep = cap - head - 1
    dropped += len(rest) - keep
    return lines[:head] + [DROPPED.format(n=dropped)] + rest[len(rest) - keep:], dropped


class TaskLog:
    """Tasks' logs, state history and step figures: the writes a step or a state change makes
    (inside the caller's transaction) and the reads the admin, the API and the CLI make. The
    SQL is prebuilt once per site."""

    def __init__(self, db: Database):
        self.db = db
        self.append_sql = (f"UPDATE field_log_messages SET data = {db.concat_sql('data', '?')}, "
                           f"fold = {db.concat_sql('fold', '?')} WHERE pages_id = ?")
        self.insert_sql = "INSERT INTO field_log_messages (pages_id, data, fold) VALUES (?, ?, ?)"

    def append(self, task_id: int, entries: Sequence[Entry], cap: int) -> None:
        """Append entries to a task's log (inside the caller's transaction) and keep the cap."""
        if not entries:
            return
        lines, errors, warnings = format_entries(entries)
        text = "\n".join(lines) + "\n"
        db = self.db
        if not db.execute(self.append_sql, (text, fold(text), task_id)).rowcount:
            db.execute(self.insert_sql, (task_id, text, fold(text)))
        db.execute(sql.COUNT_LOG, (len(lines), errors, warnings, task_id))
        row = db.one(sql.LOG_SIZE, (task_id,))
        if row and row[0] > max(3, cap):
            self.trim(task_id, row[1], cap)

    def trim(self, task_id: int, dropped: int, cap: int) -> None:
        lines = self.read(task_id)
        lines, dropped = cap_lines(lines, dropped, cap)
        text = "\n".join(lines) + "\n" if lines else ""
        self.db.execute("UPDATE field_log_messages SET data = ?, fold = ? WHERE pages_id = ?",
                        (text, fold(text), task_id))
        self.db.execute(sql.SET_LOG_SIZE, (len(lines), dropped, task_id))

    def clear(self, task_id: int) -> None:
        self.db.execute("DELETE FROM field_log_messages WHERE pages_id = ?", (task_id,))
        self.db.execute(sql.CLEAR_LOG_COUNTS, (task_id,))

    def read(self, task_id: int) -> list[str]:
        text = self.db.scalar("SELECT data FROM field_log_messages WHERE pages_id = ?", (task_id,))
        return text.split("\n")[:-1] if text else []

    def get_log(self, task: Any) -> list[str]:
        """The task's log lines, oldest first (capped: see the module docstring). TaskError
        for a page that is no task, as every call taking a task: an empty list would read
        as a task that said nothing."""
        task_id = task_id_of(task)
        lines = self.read(task_id)
        if not lines and self.db.one(sql.LOG_COUNTS, (task_id,)) is None:
            raise TaskError(f"page {task_id} is not a task")
        return lines

    def get_log_summary(self, task: Any) -> str:
        """Progress and counts, as the original Tasker: "35% 1 error(s) 2 warning(s)".

        The progress part is left out at 0%, "No error(s)" is said when there was none, and
        warnings are named only when there were some.
        """
        task_id = task_id_of(task)
        row = self.db.one(sql.LOG_COUNTS, (task_id,))
        if row is None:
            raise TaskError(f"page {task_id} is not a task")
        return summary_text(*row)

    def get_history(self, task: Any) -> list[dict[str, Any]]:
        """Every state change of the task, oldest first: `at` (epoch seconds), `old` and `new`
        (TaskState), `who`, `note`. The first entry is the creation, read from the page itself
        (its `created` time and user), so creating a task writes no history row.
        """
        from .state import TaskState, as_state
        db = self.db
        task_id = task_id_of(task)
        created = db.one(sql.TASK_CREATED, (task_id,))
        if created is None:
            raise TaskError(f"page {task_id} is not a task")
        rows = db.all(sql.HISTORY_OF, (task_id,))
        first = {"at": db.dt_value(created[0]).timestamp(), "old": TaskState.UNKNOWN,
                 "new": TaskState.WAITING, "who": created[1] or "api", "note": "created"}
        return [first] + [{"at": at, "old": as_state(old), "new": as_state(new), "who": who,
                           "note": note} for at, old, new, who, note in rows]

    def get_step_figures(self, task: Any, limit: int = 20) -> dict[str, Any]:
        """Per-step figures for the admin: the latest steps, totals, a rate and an ETA.

        `steps`: the latest `limit` steps, newest first, each with `started` (epoch seconds),
        `seconds`, `records` (records_processed gained), `peak_memory` (bytes, the largest
        resident size seen during the step), `invoker`, `result` and `runner` ("host:pid"; ""
        for a step recorded before Tasker 1.5). A step whose process died is there too, from
        its claim to when it was found dead (at most its lease's end), with no records:
        "lost" (its lease ran out, or its supervisor saw the process die) or "killed" (its
        runner killed it past its time or memory, or at a second SIGTERM). A step stopped at
        once in the process that ran it (a second Ctrl-C in `tasks run`) is "killed" with its
        own start, length and the records its saves committed. `rate` is records
        per second over the kept steps; `eta_seconds` the time the remaining `max_records`
        would take at that rate (None when unknown).
        """
        import json
        task_id = task_id_of(task)
        db = self.db
        total = db.one(sql.STEP_TOTALS, (task_id,))
        if total is None:
            raise TaskError(f"page {task_id} is not a task")
        rows = db.all(sql.LATEST_STEPS, (task_id, limit))
        steps = [{"started": r[0], "seconds": r[1], "records": r[2], "peak_memory": r[3],
                  "invoker": r[4], "result": r[5], "runner": r[6]} for r in rows]
        seconds = sum(s["seconds"] for s in steps)
        records = sum(s["records"] for s in steps)
        rate = records / seconds if seconds > 0 and records > 0 else None
        eta = None
        data_text = db.scalar("SELECT data FROM field_task_data WHERE pages_id = ?", (task_id,))
        if rate and data_text:
            data = json.loads(data_text)
            most, done = data.get("max_records") or 0, data.get("records_processed") or 0
            # counters left as text (a CSV's total) count down to no ETA (the step's log says why)
            if is_number(most) and is_number(done) and most > done and not data.get("task_done"):
                eta = (most - done) / rate
        return {"steps": steps, "step_count": total[0], "run_seconds": total[1],
                "progress": total[2], "rate": rate, "eta_seconds": eta}

    def get_activity(self, minutes: int = 60, newest: int = 5000,
                     now: float | None = None) -> list[dict[str, Any]]:
        """How many tasks finished, failed and went to waiting in each of the last `minutes`
        minutes, oldest first: `minute` (epoch seconds at its start), `finished`, `failed`,
        `waited`. Read from the newest `newest` state changes (by id, so the cost stays
        bounded however long the history is). A recurring task's run, and a run retried, end
        active again: their history notes ("finished; runs again at ...", "failed; retry 1 of
        3 ...") count them as finished and failed runs."""
        from .state import TaskState
        now = time.time() if now is None else now
        first = (int(now) // 60 - minutes + 1) * 60
        counts = {first + 60 * n: {"minute": first + 60 * n, "finished": 0, "failed": 0,
                                   "waited": 0} for n in range(minutes)}
        keys = {TaskState.FINISHED: "finished", TaskState.FAILED: "failed",
                TaskState.WAITING: "waited"}
        for at, new_state, note in self.db.all(sql.NEWEST_CHANGES, (newest,)):
            if at < first:
                break
            key = keys.get(new_state) or next(
                (outcome for outcome in ("finished", "failed") if note.startswith(outcome + ";")), None)
            bucket = counts.get(int(at) // 60 * 60)
            if key and bucket is not None:
                bucket[key] += 1
        return list(counts.values())
