"""Date values in selectors: ISO text, epoch seconds, and words such as "today" or "-1 week".

ProcessWire hands date values to PHP's strtotime(); this is the part of it selectors use:

    2026-11-27, 2026-11-27 14:30, 2026-11-27T14:30:00+01:00   ISO 8601 (no zone = UTC); also
    2026-1-5 9:05, 2026-W48 (the Monday of that week)        unpadded, and ISO weeks
    January 5 2023, Jan 5th, 2023, 5 January 2023, 2023/01/05   written dates, as strtotime reads
    01/05/2023, 1/5/23 (month first), 05-01-2023, 05.01.2023,   them; any may end in a time
    5-Jan-2023 (day first)                                    (14:30, 14:30:59, 3pm, 11:59 pm)
    January 2023, 2023-01 (its first day)
    Dec 25, 25 December, 12/25 (this year)
    14:30, 9am (today at that time)
    1764201600, @1764201600                                  epoch seconds
    2026-11-27 14:30 UTC, January 5 2023 GMT                 a date in UTC, said so
    now, today, midnight, noon, yesterday, tomorrow          today = 00:00 UTC of this day
    monday, this monday, next friday, last sun, monday noon  days, at 00:00 (as strtotime);
    tomorrow 9am, friday 14:30                               a time after a day sets it
    first day of next month, last day of this month          at the time it is now
    first day of january 2024, last day of february          that day, at 00:00
    -1 week, +2 days, 3 hours ago, last month, next year     relative to now (or to a base word
    yesterday -2 hours, today +1 month                       given first)
    this week, next week, last week                          the Monday of that week (weeks
    friday last week, sunday this week                       start on Monday), at the time it
                                                             is now; a day of it at 00:00

Times are UTC, as the tables store them. Adding months keeps the day of the month where it
exists and otherwise takes the month's last day (strtotime would run into the next month).
As strtotime, the relative parts are summed and applied together whatever order they are
written in: the day named first, then the months, then "first/last day of" (which drops a
day offset beside it), then the days and the time ("+1 week +1 month" is "+1 month +1
week"). "ago" turns back the amounts before it; after yesterday, tomorrow, a day, a week or
"first/last day of ... month", which strtotime turns back too ("yesterday 2 hours ago" is
today at 22:00 there), it is refused.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

SECONDS = {
    "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "hour": 3600, "hours": 3600,
    "day": 86400, "days": 86400,
    "week": 7 * 86400, "weeks": 7 * 86400,
    "fortnight": 14 * 86400, "fortnights": 14 * 86400,
}
MONTHS = {"month": 1, "months": 1, "year": 12, "years": 12}
BASES = ("now", "today", "midnight", "noon", "yesterday", "tomorrow")
WEEKDAYS = {name: number for number, names in enumerate(
    (("monday", "mon"), ("tuesday", "tue"), ("wednesday", "wed"), ("thursday", "thu"),
     ("friday", "fri"), ("saturday", "sat"), ("sunday", "sun"))) for name in names}
MONTH_STEPS = {"this": 0, "next": 1, "last": -1, "previous": -1}
_AMOUNT = re.compile(r"^([+-]?)(\d{1,9})([a-z]*)$")
_EPOCH = re.compile(r"^@?-?\d{1,12}$", re.ASCII)   # strtotime's "@1764201600" too
# from the first space of a run only: tried at each of its spaces, a run no zone ended was read
# again from each (the time grew as its square: 20,000 spaces typed in a date took 13 s)
_UTC = re.compile(r"(?<!\s)\s+(utc|gmt|z)$", re.IGNORECASE)
_ISO = re.compile(r"^\d{4}-W?\d")
# strtotime's dates with unpadded parts ("2024-1-5 9:05"), where fromisoformat wants two digits
_LOOSE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]+(.+))?$")
# A time of day: "14:30", "14:30:59", "3pm", "11:59 p.m." (a bare number is an amount, not a time)
_CLOCK = re.compile(r"^(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*([ap])\.?m\.?$|^(\d{1,2}):(\d{2})(?::(\d{2}))?$",
                    re.IGNORECASE)
_CLOCK_AT_END = re.compile(r"^(.*?)\s+(\d{1,2}(?::\d{2}){0,2}\s*[ap]\.?m\.?|\d{1,2}:\d{2}(?::\d{2})?)$",
                           re.IGNORECASE)
_MONTH_NAMES = {name.lower(): number for names in (calendar.month_name, calendar.month_abbr)
                for number, name in enumerate(names) if name}
_YEAR_MONTH = re.compile(r"^\d{4}-\d{2}$")
# The written forms strtotime reads (PHP's "Date Formats": slashes are month first, dashes
# and dots day first), tried in turn; %B and %b read month names in any case.
_WRITTEN = ("%B %d %Y", "%b %d %Y", "%d %B %Y", "%d %b %Y", "%Y/%m/%d", "%m/%d/%Y", "%m/%d/%y",
            "%d-%m-%Y", "%d.%m.%Y", "%d-%b-%Y", "%d-%B-%Y", "%B %Y", "%b %Y")
# The same without a year: strtotime takes the current one ("Dec 25", "12/25")
_WRITTEN_THIS_YEAR = ("%B %d", "%b %d", "%d %B", "%d %b", "%m/%d")
_ORDINAL = re.compile(r"\b(\d{1,2})(st|nd|rd|th)\b", re.IGNORECASE)


class DateValueError(ValueError):
    """A date value that cannot be read; the message says what forms are understood."""


def is_relative(text: str) -> bool:
    """Whether the moment `text` names depends on when it is read ("today", "-1 week")."""
    value = text.strip()
    return not (_EPOCH.match(value) or _ISO.match(value) or _written(value))


def _written(value: str, forms: tuple[str, ...] = _WRITTEN) -> datetime | None:
    """A date written as people write it ("January 5, 2023", "2024/01/01", "Dec 31 2023
    11:59pm"), or None."""
    text = " ".join(_ORDINAL.sub(r"\1", value).replace(",", " ").split())   # "5th" -> "5"
    if not text or not text[0].isalnum():
        return None
    clock = None
    at_end = _CLOCK_AT_END.match(text)
    if at_end:
        text, clock = at_end.group(1), _clock(at_end.group(2))
        if clock is None:
            return None
    for form in forms:
        try:
            moment = datetime.strptime(text, form).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
        return moment if clock is None else moment.replace(hour=clock[0], minute=clock[1],
                                                           second=clock[2])
    return None


def _clock(text: str) -> tuple[int, int, int] | None:
    """(hour, minute, second) of "14:30", "14:30:59", "3pm" or "11:59 p.m.", else None."""
    match = _CLOCK.match(text.strip())
    if not match:
        return None
    hour, minute, second, half, hour24, minute24, second24 = match.groups()
    if half:
        hour_value = int(hour)
        if not 1 <= hour_value <= 12:
            return None
        hour_value = hour_value % 12 + (12 if half.lower() == "p" else 0)
    else:
        hour_value, minute, second = int(hour24), minute24, second24
    clock = (hour_value, int(minute or 0), int(second or 0))
    return clock if clock[0] < 24 and clock[1] < 60 and clock[2] < 60 else None


def parse_date(text: str, now: datetime) -> datetime:
    """`text` as an aware UTC datetime, to the second; `now` anchors relative words."""
    value = text.strip()
    value = _UTC.sub("", value) or value        # every date here is UTC: saying so changes nothing
    if _EPOCH.match(value):
        try:
            moment = datetime.fromtimestamp(int(value.lstrip("@")), timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise DateValueError(f"{text!r} is not a valid timestamp") from None
        return _checked(moment, text)
    if _ISO.match(value):
        if _YEAR_MONTH.match(value):           # strtotime reads 2024-01 as its first day
            value += "-01"
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = _loose_iso(value, text)
        return _checked(moment, text)
    written = _written(value)
    if written is not None:
        return _checked(written, text)
    now = now.astimezone(timezone.utc)
    this_year = _written(value, _WRITTEN_THIS_YEAR)
    if this_year is not None:
        try:
            return _checked(this_year.replace(year=now.year), text)
        except ValueError:               # February 29 in a year without one
            raise _not_understood(text) from None
    return _checked(_relative(value.lower(), text, now), text)


def _loose_iso(value: str, text: str) -> datetime:
    """strtotime's reading of an ISO date fromisoformat refuses: unpadded parts ("2024-1-5"),
    a time after it in any form `_clock` reads ("2024-01-05 3:04pm")."""
    match = _LOOSE_ISO.match(value)
    clock = _clock(match.group(4)) if match and match.group(4) else (0, 0, 0)
    if not match or clock is None:
        raise DateValueError(f"{text!r} is not a date; use ISO 8601 such as 2026-11-27 "
                             "or 2026-11-27 14:30")
    try:
        return datetime(int(match.group(1)), int(match.group(2)), int(match.group(3)), *clock,
                        tzinfo=timezone.utc)
    except ValueError:
        raise DateValueError(f"{text!r} is not a date: no such day") from None


@dataclass
class _Parts:
    """The relative parts of a date text, summed as strtotime (timelib) sums them, to be
    applied together whatever order they were written in (`_apply`)."""
    months: int = 0
    days: int = 0
    seconds: int = 0
    clock: tuple[int, int, int] | None = None   # a time of day set ("today", "9am", a weekday)
    weekday: int | None = None                   # Monday 0 .. Sunday 6
    behavior: int = 1        # timelib's weekday_behavior: 0 next/last day, 1 this day, 2 of a week
    day_of: str = ""         # "first" or "last": that day of the month the months give
    turned: str = ""         # what "ago" would turn back otherwise than the words say

    def add(self, amount: int, unit: str) -> None:
        if unit in MONTHS:
            self.months += amount * MONTHS[unit]
        elif SECONDS[unit] % 86400:
            self.seconds += amount * SECONDS[unit]
        else:
            self.days += amount * SECONDS[unit] // 86400

    def week(self, step: int) -> None:
        """"last week", "friday next week": the Monday (or the day named) of that week."""
        self.days += 7 * step
        self.behavior = 2
        if self.weekday is None:
            self.weekday = 0
        self.turned = self.turned or "a week"


def _relative(value: str, text: str, now: datetime) -> datetime:
    words = re.sub(r"(\d)\s+([ap]\.?m\.?)(?=\s|$)", r"\1\2", value).split()
    if not words:
        raise DateValueError("an empty date value")
    start = now.replace(microsecond=0)
    parts = _Parts()
    if words[0] in BASES:
        if words[0] != "now":
            parts.clock = (12, 0, 0) if words[0] == "noon" else (0, 0, 0)
        if words[0] in ("yesterday", "tomorrow"):      # a day back or on, as a relative part
            parts.days = -1 if words[0] == "yesterday" else 1
            parts.turned = words[0]
        words = words[1:]
    elif words[0] in WEEKDAYS and len(words) > 2 and words[1] in MONTH_STEPS and words[2] == "week":
        # "friday last week": that day of the week named, at 00:00 (weeks start on Monday)
        parts.weekday, parts.clock = WEEKDAYS[words[0]], (0, 0, 0)
        parts.week(MONTH_STEPS[words[1]])
        words = words[3:]
    elif words[0] in WEEKDAYS or (words[0] in ("this", "next", "last") and len(words) > 1
                                  and words[1] in WEEKDAYS):
        # "monday" (or "this monday") is today or the next Monday, "next monday" the first
        # after today, "last monday" the last before it; at 00:00 (see _weekday_shift)
        how = "" if words[0] in WEEKDAYS else words[0]
        parts.weekday, parts.clock = WEEKDAYS[words[1] if how else words[0]], (0, 0, 0)
        parts.behavior = 0 if how in ("next", "last") else 1
        parts.days = -7 if how == "last" else 0
        parts.turned = "a day of the week"
        words = words[2 if how else 1:]
    elif words[:3] in (["first", "day", "of"], ["last", "day", "of"]) and len(words) > 4 \
            and words[3] in MONTH_STEPS and words[4] == "month":
        # "first day of next month": that day, at the time it is now
        parts.day_of, parts.months = words[0], MONTH_STEPS[words[3]]
        parts.turned = f"{words[0]} day of"
        words = words[5:]
    elif words[:3] in (["first", "day", "of"], ["last", "day", "of"]) and len(words) > 3 \
            and words[3] in _MONTH_NAMES:
        # "first day of january 2024", "last day of february": that day at 00:00
        has_year = len(words) > 4 and words[4].isdecimal() and len(words[4]) == 4
        year = int(words[4]) if has_year else start.year
        if not year:        # 0000: no datetime holds it, and its ValueError reached no caller
            raise DateValueError(f"{text!r} is outside the years 1000..9999")
        start = start.replace(year=year, month=_MONTH_NAMES[words[3]], day=1, hour=0, minute=0,
                              second=0)
        parts.day_of = words[0]
        words = words[5 if has_year else 4:]
    ago = bool(words) and words[-1] == "ago"
    if ago:
        words = words[:-1]
    index = 0
    while index < len(words):
        word = words[index]
        if word in ("noon", "midnight"):     # "tomorrow noon", "monday midnight": a time set
            parts.clock = (12, 0, 0) if word == "noon" else (0, 0, 0)
            index += 1
            continue
        clock = _clock(word) if ":" in word or word[-1:] in "m." else None
        if clock is not None:               # "tomorrow 9am", "friday 14:30", "14:30" (today)
            parts.clock = clock
            index += 1
            continue
        if word in MONTH_STEPS and index + 1 < len(words):
            unit = words[index + 1]
            if unit == "week":
                parts.week(MONTH_STEPS[word])
            else:
                parts.add(MONTH_STEPS[word], _unit(unit, text))
            index += 2
            continue
        match = _AMOUNT.match(word)
        if not match:
            raise _not_understood(text)
        sign, digits, unit = match.groups()
        if not unit:
            if index + 1 >= len(words):
                raise _not_understood(text)
            index += 1
            unit = words[index]
        parts.add(int(digits) * (-1 if sign == "-" else 1), _unit(unit, text))
        index += 1
    if ago:
        if parts.turned:
            # strtotime's "ago" turns back every relative part before it: "yesterday 2 hours
            # ago" is today at 22:00 there, "monday 1 hour ago" a Sunday eight days back
            raise DateValueError(f"{text!r}: strtotime's 'ago' turns {parts.turned} back too, "
                                 "which is seldom what is meant; write the offset with a sign "
                                 "('yesterday -2 hours')")
        parts.months, parts.days, parts.seconds = -parts.months, -parts.days, -parts.seconds
    try:
        return _apply(parts, start)
    except OverflowError:
        raise DateValueError(f"{text!r} is too far away") from None


def _apply(parts: _Parts, start: datetime) -> datetime:
    """The date `parts` give from `start`, in timelib's order (do_adjust_relative): the time
    set, the weekday found, then the months added (keeping the day where the month has it, as
    README says), then "first/last day of" set, which drops a day offset, then the days and
    the time added: so "+1 week +1 month" is "+1 month +1 week"."""
    moment = start if parts.clock is None else start.replace(
        hour=parts.clock[0], minute=parts.clock[1], second=parts.clock[2])
    if parts.weekday is not None:
        moment += timedelta(days=_weekday_shift(parts, moment))
    if parts.day_of:
        moment = _add_months(moment.replace(day=1), parts.months)
        if parts.day_of == "last":
            moment = moment.replace(day=calendar.monthrange(moment.year, moment.month)[1])
    else:
        moment = _add_months(moment, parts.months) + timedelta(days=parts.days)
    return moment + timedelta(seconds=parts.seconds)


def _weekday_shift(parts: _Parts, moment: datetime) -> int:
    """Days from `moment` to the day `parts` name, as timelib's do_adjust_for_weekday finds it
    before the other relative parts apply: the day of that week for "friday next week"; else
    the next such day, today counted for "monday" unless the day offset is negative, and for
    "next monday" too when it is negative ("next monday -1 week" on a Monday is a week back)."""
    assert parts.weekday is not None
    today, day = (moment.weekday() + 1) % 7, (parts.weekday + 1) % 7     # Sunday 0, as PHP's
    if parts.behavior == 2:
        if today == 0 and day != 0:
            day -= 7
        if day == 0 and today != 0:
            day = 7
        return day - today
    shift = day - today
    if (parts.days < 0 and shift < 0) or (parts.days >= 0 and shift <= -parts.behavior):
        shift += 7
    return shift


def _unit(word: str, text: str) -> str:
    if word in SECONDS or word in MONTHS:
        return word
    raise _not_understood(text)


def _not_understood(text: str) -> DateValueError:
    return DateValueError(f"{text!r} is not a date; use ISO 8601 (2026-11-27), a written date "
                          "('January 5 2023', '2023/01/05'), epoch seconds, "
                          "today/yesterday/tomorrow/now/noon, a day ('monday', 'next friday', "
                          "'last sunday'), 'first day of next month', or a relative time such as "
                          "'-1 week', '+2 days', '3 hours ago', 'last month'")


def _add_months(moment: datetime, months: int) -> datetime:
    total = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(total, 12)
    if not 1 <= year <= 9999:
        raise OverflowError
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def as_stored(moment: datetime) -> datetime | None:
    """`moment` as the tables store a date: in UTC (a naive one read as UTC), to the second;
    None when that falls outside the years 1000..9999 (a zone's offset may carry a date past
    them, or past what a datetime holds)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        moment = moment.astimezone(timezone.utc)
    except OverflowError:       # past the year 1 or 9999 in UTC
        return None
    return moment.replace(microsecond=0) if 1000 <= moment.year <= 9999 else None


def _checked(moment: datetime, text: str) -> datetime:
    stored = as_stored(moment)
    if stored is None:
        raise DateValueError(f"{text!r} is outside the years 1000..9999")
    return stored
