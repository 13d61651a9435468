"""Five-field cron expressions (`*/5 * * * *`) for recurring tasks, read in UTC by cronsim.

Fields: minute, hour, day of month, month (1-12 or jan-dec), day of week (0-7 or sun-sat).
cronsim follows Vixie cron, the day rule included: when both day fields are restricted (neither
starts with `*`) a day matches if either does, otherwise both must (`0 0 */2 * 1` is an odd day
that is a Monday). Also accepted: @hourly, @daily, @midnight, @weekly, @monthly, @yearly.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone

from cronsim import CronSim, CronSimError

from ..errors import TaskError

ALIASES = {"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
           "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *",
           "@annually": "0 0 1 1 *"}
FIELD_NAMES = "minute hour day-of-month month day-of-week"


class CronExpression:
    """A checked cron expression; `next_after(t)` is the first matching minute after epoch `t`."""

    def __init__(self, text: str):
        self.text = text
        self.fields = ALIASES.get(text.strip().lower(), text.strip())
        count = len(self.fields.split())
        if count != 5:
            raise TaskError(f"cron expression {text!r} must have 5 fields ({FIELD_NAMES}), "
                            f"it has {count}")
        self._iterate(datetime(2000, 1, 1, tzinfo=timezone.utc))    # checks every field now

    def _iterate(self, start: datetime) -> CronSim:
        try:
            return CronSim(self.fields, start)
        except CronSimError as exc:
            raise TaskError(f"cron expression {self.text!r} is not valid: {exc} "
                            f"(fields: {FIELD_NAMES})") from None

    def next_after(self, epoch: float) -> float:
        """Epoch seconds of the first matching minute strictly after `epoch`."""
        start = datetime.fromtimestamp(epoch, timezone.utc)
        try:
            return next(self._iterate(start)).timestamp()
        except StopIteration:
            raise TaskError(f"cron expression {self.text!r} never matches") from None

    def __repr__(self) -> str:
        return f"CronExpression({self.text!r})"


def next_time(every: int | float | str, after: float) -> float:
    """When a recurring task runs next: `every` seconds after `after`, or the cron expression's next match."""
    # A signed number is seconds too, so "-5" is refused as an interval, not as a cron
    # expression of one field.
    if isinstance(every, str):
        number = every.strip()
        number = number[1:] if number.startswith(("+", "-")) else number
        if not number.replace(".", "", 1).isdecimal():
            return CronExpression(every).next_after(after)
    seconds = float(every)
    if seconds <= 0:
        raise TaskError(f"a recurring task's interval must be positive, not {every!r}")
    return after + seconds


def validate_every(every: int | float | str | None) -> None:
    """Raise TaskError when `every` is neither a positive number of seconds nor a cron expression."""
    if every is not None:
        try:           # a next run no date can hold failed the task at its first step's end
            next_time(every, 0.0)           # (seconds beyond a float: OverflowError)
            datetime.fromtimestamp(next_time(every, time.time()), timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise TaskError(f"every {every!r} is too long: its next run would fall past the "
                            "year 9999") from None
