"""`after_step`: what a task becomes when its step ends, as a table of cases.

Each row: the stored state when the step ended, the step's outcome, the task's options, and
what must follow. No database: the function is pure (cms/tasker/after_step.py).
"""
from __future__ import annotations

import pytest

from cms.tasker.after_step import AfterStep, after_step
from cms.tasker.state import TaskState

A, W, F, K, X = (TaskState.ACTIVE, TaskState.WAITING, TaskState.FINISHED, TaskState.KILLED,
                 TaskState.FAILED)
NOW = 1_000_000.0
RETRY = {"attempts": 2, "backoff": 10}


def next_minute(every: str, now: float) -> float:
    assert every == "60"
    return now + 60


# (case, old state, outcome, options) -> (state, not_before, failures, restart, followups, hold, note)
CASES = [
    ("a step that goes on", A, "continue", {},
     (A, None, 0, False, False, False, "")),
    ("the last step", A, "done", {},
     (F, None, 0, False, True, False, "finished")),
    ("a failing step", A, "failed", {},
     (X, None, 0, False, False, False, "failed")),
    ("suspended while the step ran, which went on", W, "continue", {},
     (W, None, 0, False, False, False, "")),
    ("suspended while the step ran, which finished", W, "done", {},
     (F, None, 0, False, True, False, "finished")),
    ("killed while the step ran, which finished", K, "done", {},
     (K, None, 0, False, False, False, "")),
    ("killed while the step ran, which failed", K, "failed", {"retry": RETRY},
     (K, None, 0, False, False, False, "")),
    ("recurring: starts over later", A, "done", {"every": "60"},
     (A, NOW + 60, 0, True, False, False, "finished; runs again at 1970-01-12 13:47:40 UTC")),
    ("recurring, suspended while its last step ran: starts over, waiting", W, "done",
     {"every": "60"}, (W, NOW + 60, 0, True, False, False,
                       "finished; suspended, so it runs again at 1970-01-12 13:47:40 UTC only once "
                       "activated")),
    ("recurring: a failed run starts over at the next time", A, "failed", {"every": "60"},
     (A, NOW + 60, 0, True, False, False, "failed; runs again at 1970-01-12 13:47:40 UTC")),
    ("recurring: retried first", A, "failed", {"every": "60", "retry": RETRY},
     (A, NOW + 10, 1, False, False, False, "failed; retry 1 of 2 in 10 s")),
    ("recurring: retries used up, starts over with none counted", A, "failed",
     {"every": "60", "retry": RETRY, "failures": 2},
     (A, NOW + 60, 0, True, False, False, "failed; runs again at 1970-01-12 13:47:40 UTC")),
    ("first retry", A, "failed", {"retry": RETRY},
     (A, NOW + 10, 1, False, False, False, "failed; retry 1 of 2 in 10 s")),
    ("second retry backs off twice as long", A, "failed", {"retry": RETRY, "failures": 1},
     (A, NOW + 20, 2, False, False, False, "failed; retry 2 of 2 in 20 s")),
    ("retries used up", A, "failed", {"retry": RETRY, "failures": 2},
     (X, None, 2, False, False, False, "failed")),
    ("no retry for a suspended task", W, "failed", {"retry": RETRY},
     (X, None, 0, False, False, False, "failed")),
    ("reset asked while the step finished", W, "done", {"reset_pending": True, "not_before": 5.0},
     (W, 5.0, 0, True, False, False, "")),
    ("reset asked while a retried step failed", W, "failed",
     {"reset_pending": True, "retry": RETRY, "failures": 1},
     (W, None, 0, True, False, False, "")),
    ("kill (a reset) while a recurring step finished", K, "done",
     {"reset_pending": True, "every": "60"},
     (K, None, 0, True, False, False, "")),
    ("Run now keeps the task for its next step", A, "continue", {"admin_run": True},
     (A, None, 0, False, False, True, "")),
    ("Run now of the last step keeps nothing", A, "done", {"admin_run": True},
     (F, None, 0, False, True, False, "finished")),
    ("Run now of a suspended task keeps nothing", W, "continue", {"admin_run": True},
     (W, None, 0, False, False, False, "")),
]


@pytest.mark.parametrize("case, old, outcome, options, expected", CASES,
                         ids=[case[0] for case in CASES])
def test_after_step(case, old, outcome, options, expected):
    end = after_step(old, outcome, now=NOW, next_run=next_minute, **options)
    state, not_before, failures, restart, followups, hold, note = expected
    assert isinstance(end, AfterStep)
    assert (end.state, end.not_before, end.failures, end.restart, end.followups, end.hold) == (
        state, not_before, failures, restart, followups, hold)
    assert end.history_note(old, outcome) == note
    assert end.forget_run == bool(options.get("reset_pending"))
    # what the task's log is told: the retry or the next run, nothing after a reset
    assert [text for _, text in end.log] == ([f"the task {note}"] if note.startswith(
        ("failed; ", "finished; ")) else [])


def test_an_unknown_outcome_is_refused():
    with pytest.raises(ValueError, match="outcome"):
        after_step(A, "finished", now=NOW)
