"""When a recurring task runs next, and checks of the scheduling options of `create_task`.

`every` is a number of seconds or a five-field cron expression in UTC (the parser lives with
the runners: `runners/cronexpr.py`).
"""
from __future__ import annotations

import json
import math
import time
from datetime import datetime, timezone
from typing import Any

from .errors import TaskError
from .state import TaskState

# The times a date can hold (epoch seconds, UTC): the runners, `tasks show` and the admin write
# a start or a retry's next try as a date, so a time outside them is refused at creation.
EARLIEST = datetime(1, 1, 1, tzinfo=timezone.utc).timestamp()
LATEST = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc).timestamp()


def next_run(every: str | int | float, after: float) -> float:
    """Epoch seconds of the next run of a task recurring `every`, after epoch `after`."""
    from .runners.cronexpr import next_time
    return next_time(every, after)


# What the admin, `tasks list --state` and `Tasker.get_tasks` call an active task whose time
# is ahead: a view of ACTIVE (the task_state numbers stay as DESIGN.md has them), not a state.
SCHEDULED = "scheduled"


def scheduled_for(state: int, running: bool, not_before: Any,
                  now: float | None = None) -> float | None:
    """When an active task that no runner holds waits to run (epoch seconds): a start time
    given at creation, a failed step's retry, a recurring task's next run. None when it is due
    now, running, or not active (a waiting task keeps its time for when it is activated).

    The admin and `tasks list` call such a task "scheduled": "ready to run" said a runner
    would take it now."""
    if state != TaskState.ACTIVE or running or not_before is None:
        return None
    at = float(not_before)
    return at if at > (time.time() if now is None else now) else None


def scheduled_selector(now: float | None = None) -> str:
    """The selector part of the tasks `scheduled_for` names: the admin's "scheduled" filter,
    `tasks list --state scheduled` and `Tasker.get_tasks("scheduled")`."""
    return (f"task_state={int(TaskState.ACTIVE)}, task_running=0, "
            f"task_not_before>{time.time() if now is None else now:.6f}")


def check_every(every: Any) -> str | None:
    """`every` as stored (text), or TaskError when it is neither seconds nor a cron expression."""
    if every is None:
        return None
    if isinstance(every, bool) or not isinstance(every, (int, float, str)):
        raise TaskError(f"every must be seconds or a cron expression, not {every!r}")
    if isinstance(every, float):
        if not math.isfinite(every) or every < 1e-6:
            raise TaskError(f"every must be seconds (at least 0.000001), not {every!r}")
        # in digits, as next_run reads seconds back: str() would store 1e-05 or 1e+16,
        # which read back as a cron expression and failed the task at its first step's end
        every = f"{every:.6f}".rstrip("0").rstrip(".")
    from .runners.cronexpr import validate_every
    validate_every(every)
    text = str(every).strip()
    if len(text) > 128:
        raise TaskError(f"every is too long ({len(text)} characters; at most 128)")
    return text


def check_retry(retry: Any) -> str | None:
    """A retry policy {"attempts": n, "backoff": seconds} as stored (JSON), or TaskError."""
    if retry is None:
        return None
    if not isinstance(retry, dict) or set(retry) - {"attempts", "backoff"}:
        raise TaskError(f"retry must be a dict with 'attempts' and optionally 'backoff' "
                        f"(seconds), e.g. {{'attempts': 3, 'backoff': 60}}; not {retry!r}")
    attempts, backoff = retry.get("attempts", 0), retry.get("backoff", 0)
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 0:
        raise TaskError(f"retry attempts must be a whole number >= 0, not {attempts!r}")
    if isinstance(backoff, bool) or not isinstance(backoff, (int, float)) or backoff < 0 \
            or (isinstance(backoff, float) and not math.isfinite(backoff)):
        raise TaskError(f"retry backoff must be seconds >= 0, not {backoff!r}")
    # The last retry waits backoff * 2**(attempts - 1) seconds; compared in logarithms, since
    # that number may have more digits than memory holds.
    if backoff and attempts and \
            math.log2(backoff) + attempts - 1 > math.log2(LATEST - time.time()):
        raise TaskError(f"retry {retry!r} waits too long: its last retry (the backoff doubled "
                        f"{attempts - 1} times) would fall past the year 9999; give fewer "
                        "attempts or a shorter backoff")
    return json.dumps({"attempts": attempts, "backoff": backoff})


def check_not_before(not_before: Any) -> float | None:
    """A start time (aware or UTC-naive datetime, or epoch seconds) as epoch seconds; one in
    the years 1 to 9999, as a date holds it."""
    if not_before is None:
        return None
    if isinstance(not_before, datetime):
        if not_before.tzinfo is None:
            not_before = not_before.replace(tzinfo=timezone.utc)
        seconds = not_before.timestamp()
    elif isinstance(not_before, (int, float)) and not isinstance(not_before, bool):
        seconds = not_before
    else:
        raise TaskError(f"not_before must be a datetime or epoch seconds, not {not_before!r}")
    if not EARLIEST <= seconds <= LATEST:       # NaN too
        raise TaskError(f"not_before {not_before!r} falls outside the years 1 to 9999, the times "
                        "a date holds")
    return float(seconds)
