"""Five-field cron expressions (`*/5 * * * *`), as Vixie cron reads them, in UTC.

Fields: minute (0-59), hour (0-23), day of month (1-31), month (1-12 or jan-dec), day of week
(0-7 or sun-sat, 0 and 7 both Sunday). Each field is `*`, a number, a range `a-b`, a step
`*/n` or `a-b/n`, or a comma list of those. When both day fields are restricted a day matches
if either does (as cron does). Also accepted: @hourly, @daily, @weekly, @monthly, @yearly.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ..errors import TaskError

MONTHS = {name: i for i, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
DAYS = {name: i for i, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
ALIASES = {"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
           "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *",
           "@annually": "0 0 1 1 *"}
# (name, low, high, names)
FIELDS = (("minute", 0, 59, {}), ("hour", 0, 23, {}), ("day of month", 1, 31, {}),
          ("month", 1, 12, MONTHS), ("day of week", 0, 7, DAYS))


class CronExpression:
    """A parsed cron expression; `next_after(t)` is the first matching minute after epoch `t`."""

    def __init__(self, text: str):
        self.text = text
        fields = ALIASES.get(text.strip().lower(), text).split()
        if len(fields) != 5:
            raise TaskError(f"cron expression {text!r} must have 5 fields (minute hour day month "
                            f"weekday), it has {len(fields)}")
        sets = [_parse_field(value, *spec, expression=text) for value, spec in zip(fields, FIELDS)]
        self.minutes, self.hours, self.days, self.months, weekdays = sets
        self.weekdays = {d % 7 for d in weekdays}
        self.any_day = fields[2] == "*"
        self.any_weekday = fields[4] == "*"

    def _day_matches(self, when: datetime) -> bool:
        weekday = (when.weekday() + 1) % 7          # Python: Monday 0; cron: Sunday 0
        if self.any_day or self.any_weekday:
            return when.day in self.days and weekday in self.weekdays
        return when.day in self.days or weekday in self.weekdays

    def next_after(self, epoch: float) -> float:
        """Epoch seconds of the first matching minute strictly after `epoch`."""
        when = datetime.fromtimestamp(epoch, timezone.utc).replace(second=0, microsecond=0)
        when += timedelta(minutes=1)
        limit = when.year + 8          # e.g. "0 0 29 2 *" needs up to 8 years
        while when.year <= limit:
            if when.month not in self.months:
                month = when.month % 12 + 1
                when = when.replace(year=when.year + (month == 1), month=month, day=1, hour=0, minute=0)
                continue
            if not self._day_matches(when):
                when = (when + timedelta(days=1)).replace(hour=0, minute=0)
                continue
            if when.hour not in self.hours:
                when = (when + timedelta(hours=1)).replace(minute=0)
                continue
            if when.minute not in self.minutes:
                when += timedelta(minutes=1)
                continue
            return when.timestamp()
        raise TaskError(f"cron expression {self.text!r} never matches")

    def __repr__(self) -> str:
        return f"CronExpression({self.text!r})"


def _parse_field(value: str, name: str, low: int, high: int, names: dict[str, int],
                 expression: str) -> set[int]:
    def number(token: str) -> int:
        token = token.strip().lower()
        if token in names:
            return names[token]
        if not token.isdigit():
            raise TaskError(f"cron expression {expression!r}: {token!r} is not a valid {name}")
        result = int(token)
        if not low <= result <= high:
            raise TaskError(f"cron expression {expression!r}: {name} {result} is outside "
                            f"{low}-{high}")
        return result

    result: set[int] = set()
    for part in value.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            if not step_text.isdigit() or int(step_text) == 0:
                raise TaskError(f"cron expression {expression!r}: step {step_text!r} in the "
                                f"{name} field must be a positive number")
            step = int(step_text)
        if part == "*":
            start, end = low, high
        elif "-" in part:
            first, last = part.split("-", 1)
            start, end = number(first), number(last)
            if start > end:
                raise TaskError(f"cron expression {expression!r}: range {part!r} in the {name} "
                                f"field runs backwards")
        else:
            start = number(part)
            end = high if step > 1 else start
        result.update(range(start, end + 1, step))
    return result


def next_time(every: int | float | str, after: float) -> float:
    """When a recurring task runs next: `every` seconds after `after`, or the cron expression's next match."""
    if isinstance(every, str) and not every.strip().replace(".", "", 1).isdigit():
        return CronExpression(every).next_after(after)
    seconds = float(every)
    if seconds <= 0:
        raise TaskError(f"a recurring task's interval must be positive, not {every!r}")
    return after + seconds


def validate_every(every: int | float | str | None) -> None:
    """Raise TaskError when `every` is neither a positive number of seconds nor a cron expression."""
    if every is not None:
        next_time(every, 0.0)

