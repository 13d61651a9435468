"""What happens to a task after a step: a pure function of the step's outcome and the task's row.

The step runner reads the task's row (locked) when the step ends and asks `after_step` what to
write; nothing here touches the database or the clock, so every rule is tested as a table
(tests/test_after_step.py):

- "done": FINISHED at 100%, and the follow-up tasks are activated; a recurring task (`every`)
  starts over instead: ACTIVE, from its initial data at 0%, not before its next run. A suspend
  made while that last step ran came too late: the work is done, and the task finishes (sent
  back to waiting, it would run its work again once activated); a recurring one starts over
  and waits (its next run comes once it is activated).
- "failed": FAILED; with a retry policy, an ACTIVE task that has retries left stays ACTIVE, not
  before now + backoff * 2^(failures - 1), and counts one more failure. A recurring task with
  no retry left starts over at its next run, as a finished one does, the failure in its log
  and history: one failed night stopped a nightly task for good.
- "continue": the state is left as it is (a suspend or kill made elsewhere while the step ran
  is what the row says, and stays).
- A task killed while the step ran stays KILLED whatever the step says.
- A reset asked while the step ran (`reset_pending`) wins over all of the above: the task keeps
  the state the reset gave it and its stored `not_before`, back at its initial data, and the
  step's run is forgotten.
- A step run by the browser's "Run now" that leaves its task ACTIVE (and not finished) keeps the
  task for the browser's next step (`hold`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from .state import TaskState

OUTCOMES = ("done", "failed", "continue")
OUTCOME_NOTES = {"done": "finished", "failed": "failed", "continue": "step ended"}


@dataclass(frozen=True)
class AfterStep:
    """What to write for a task whose step ended."""

    state: TaskState
    note: str                      # for the history ("" = nothing to record beyond the usual)
    not_before: float | None       # when it may run next (the row's value when unchanged)
    failures: int                  # failures counted against its retry policy
    restart: bool                  # start over from the initial task_data at 0%
    forget_run: bool               # a reset was pending: log, step figures and counts go
    hold: bool                     # keep it for the browser's next Run-now step
    followups: bool                # activate the tasks that wait for it to finish
    log: tuple[tuple[str, str], ...] = field(default=())   # (kind, text) lines for its log

    def history_note(self, old: TaskState, outcome: str) -> str:
        """The history entry to record, or "" when the state did not change and nothing is said."""
        if self.state == old and not self.note:
            return ""
        return self.note or OUTCOME_NOTES[outcome]


def after_step(old: TaskState, outcome: str, *, every: str | None = None,
               retry: dict[str, Any] | None = None, failures: int = 0,
               not_before: float | None = None, reset_pending: bool = False,
               admin_run: bool = False, now: float = 0.0,
               next_run: Callable[[str, float], float] | None = None) -> AfterStep:
    """The decision for a step that ended with `outcome` on a task whose stored state is `old`.

    `every`, `retry` (the parsed policy), `failures` and `not_before` are the task's row;
    `next_run(every, now)` gives a recurring task's next start (schedule.next_run).
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"a step's outcome is one of {OUTCOMES}, not {outcome!r}")
    new, note, restart = old, "", False
    stored_not_before = not_before
    log: list[tuple[str, str]] = []
    if outcome == "done" and old != TaskState.KILLED:
        new = TaskState.FINISHED
        if every:
            new, not_before, note = _again(old, every, now, next_run, "finished")
            restart = True
            log.append(("message", f"the task {note}"))
    elif outcome == "failed" and old != TaskState.KILLED:
        new = TaskState.FAILED
        attempts = int((retry or {}).get("attempts", 0))
        if old == TaskState.ACTIVE and failures < attempts:
            failures += 1
            delay = float((retry or {}).get("backoff", 0)) * 2 ** (failures - 1)
            new, not_before = TaskState.ACTIVE, now + delay
            note = f"failed; retry {failures} of {attempts} in {delay:.0f} s"
            log.append(("warning", f"the task {note}"))
        elif every and old == TaskState.ACTIVE:
            new, not_before, note = _again(old, every, now, next_run, "failed")
            restart, failures = True, 0
            log.append(("error", f"the task {note}"))
    if reset_pending:          # the reset set the state already; the run is undone
        new, note, not_before, failures, restart, log = old, "", stored_not_before, 0, True, []
    hold = admin_run and new == TaskState.ACTIVE and outcome == "continue"
    return AfterStep(new, note, not_before, failures, restart, reset_pending, hold,
                     new == TaskState.FINISHED, tuple(log))


def _again(old: TaskState, every: str, now: float,
           next_run: Callable[[str, float], float] | None, how: str) -> tuple[TaskState, float, str]:
    """A recurring task's run that ended: it starts over at its next time, in the state it
    has (a suspend made while the run's last step ran holds: it waits, where it became
    active again and ran on), and says when. (state, not_before, history note)"""
    if next_run is None:
        from .schedule import next_run
    at = next_run(every, now)
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(at))
    if old == TaskState.ACTIVE:
        return TaskState.ACTIVE, at, f"{how}; runs again at {when} UTC"
    return old, at, f"{how}; suspended, so it runs again at {when} UTC only once activated"
