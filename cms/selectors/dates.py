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
"""
from __future__ import annotations

import calendar
import re
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
WEEK_MONDAY = "monday of the week"     # the unit of "last week": see _relative
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
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return _checked(moment.astimezone(timezone.utc).replace(microsecond=0), text)
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


def _relative(value: str, text: str, now: datetime) -> datetime:
    words = re.sub(r"(\d)\s+([ap]\.?m\.?)(?=\s|$)", r"\1\2", value).split()
    if not words:
        raise DateValueError("an empty date value")
    now = now.replace(microsecond=0)
    midnight = now.replace(hour=0, minute=0, second=0)
    moment = now
    if words[0] in BASES:
        moment = {"now": now, "today": midnight, "midnight": midnight,
                  "noon": midnight.replace(hour=12),
                  "yesterday": midnight - timedelta(days=1),
                  "tomorrow": midnight + timedelta(days=1)}[words[0]]
        words = words[1:]
    elif words[0] in WEEKDAYS and len(words) > 2 and words[1] in MONTH_STEPS and words[2] == "week":
        # "friday last week": that day of the week named, at 00:00 (weeks start on Monday)
        moment = midnight + timedelta(days=7 * MONTH_STEPS[words[1]] - midnight.weekday()
                                      + WEEKDAYS[words[0]])
        words = words[3:]
    elif words[0] in WEEKDAYS or (words[0] in ("this", "next", "last") and len(words) > 1
                                  and words[1] in WEEKDAYS):
        moment, words = _weekday(words, midnight)
    elif words[:3] in (["first", "day", "of"], ["last", "day", "of"]) and len(words) > 4 \
            and words[3] in MONTH_STEPS and words[4] == "month":
        moment = _day_of_month(now, words[0] == "first", MONTH_STEPS[words[3]])
        words = words[5:]
    elif words[:3] in (["first", "day", "of"], ["last", "day", "of"]) and len(words) > 3 \
            and words[3] in _MONTH_NAMES:
        # "first day of january 2024", "last day of february": that day at 00:00
        has_year = len(words) > 4 and words[4].isdecimal() and len(words[4]) == 4
        year = int(words[4]) if has_year else midnight.year
        moment = midnight.replace(year=year, month=_MONTH_NAMES[words[3]], day=1)
        if words[0] == "last":
            moment = moment.replace(day=calendar.monthrange(year, moment.month)[1])
        words = words[5 if has_year else 4:]
    ago = bool(words) and words[-1] == "ago"
    if ago:
        words = words[:-1]
    index = 0
    steps: list[tuple[int, str]] = []
    hour: tuple[int, int, int] | None = None   # "tomorrow noon", "monday 9am": a time set
    while index < len(words):
        word = words[index]
        if word in ("noon", "midnight"):
            hour = (12, 0, 0) if word == "noon" else (0, 0, 0)
            index += 1
            continue
        clock = _clock(word) if ":" in word or word[-1:] in "m." else None
        if clock is not None:               # "tomorrow 9am", "friday 14:30", "14:30" (today)
            if moment is now:
                moment = midnight
            hour = clock
            index += 1
            continue
        if word in MONTH_STEPS and index + 1 < len(words):
            unit = words[index + 1]
            steps.append((MONTH_STEPS[word], WEEK_MONDAY if unit == "week" else _unit(unit, text)))
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
        amount = int(digits) * (-1 if sign == "-" else 1)
        steps.append((amount, _unit(unit, text)))
        index += 1
    if ago:
        steps = [(-amount, unit) for amount, unit in steps]
    try:
        for amount, unit in steps:
            if unit == WEEK_MONDAY:         # strtotime: the Monday of that week, same time
                moment += timedelta(days=7 * amount - moment.weekday())
            elif unit in MONTHS:
                moment = _add_months(moment, amount * MONTHS[unit])
            else:
                moment += timedelta(seconds=amount * SECONDS[unit])
    except OverflowError:
        raise DateValueError(f"{text!r} is too far away") from None
    return moment if hour is None else moment.replace(hour=hour[0], minute=hour[1], second=hour[2])


def _weekday(words: list[str], midnight: datetime) -> tuple[datetime, list[str]]:
    """strtotime's day names, at 00:00: "monday" (or "this monday") is today or the next
    Monday, "next monday" the first after today, "last monday" the last before it; what
    follows ("+1 day") moves from there."""
    how = "" if words[0] in WEEKDAYS else words[0]
    day = WEEKDAYS[words[1] if how else words[0]]
    ahead = (day - midnight.weekday()) % 7
    if how == "next":
        ahead = ahead or 7
    elif how == "last":
        ahead = -((midnight.weekday() - day) % 7 or 7)
    return midnight + timedelta(days=ahead), words[2 if how else 1:]


def _day_of_month(now: datetime, first: bool, months: int) -> datetime:
    """"first day of next month", "last day of this month": that day, at the time it is now
    (as strtotime keeps it)."""
    moment = _add_months(now.replace(day=1), months)
    return moment if first else moment.replace(day=calendar.monthrange(moment.year, moment.month)[1])


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


def _checked(moment: datetime, text: str) -> datetime:
    if not 1000 <= moment.year <= 9999:
        raise DateValueError(f"{text!r} is outside the years 1000..9999")
    return moment
