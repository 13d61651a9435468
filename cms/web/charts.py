"""Small charts drawn on the server as SVG: a task's progress over time and its rate per step.

The figures come from the steps Tasker records (`get_step_figures`); a task with 100,000 steps
stays readable because the latest `CHART_STEPS` are folded into at most `MAX_POINTS` points
(each bucket's rate is its records over its seconds, not an average of rates). The task
list's activity chart stacks the tasks finished, failed and sent to waiting in each minute.
"""
from __future__ import annotations

from typing import Any, NamedTuple

CHART_STEPS = 2000
MAX_POINTS = 120
WIDTH, HEIGHT, PAD = 600, 140, 4
MIN_BAR_SLOTS = 24           # a bar is at most 1/24 of the box wide: one step is no blue block


class Chart(NamedTuple):
    """What the SVG template draws: a polyline or bars in a WIDTH x HEIGHT box, and labels."""
    points: str                                  # "x,y x,y ..." for a line ("" when bars)
    bars: list[tuple[float, float, float, float]]  # x, y, width, height
    top: str                                     # the value at the top of the box
    left: float                                  # epoch seconds at the left edge
    right: float                                 # and at the right edge
    steps: int


def buckets(steps: list[dict[str, Any]]) -> list[tuple[float, float, float]]:
    """Oldest first, folded: (end time, records, seconds) per bucket."""
    ordered = sorted(steps, key=lambda s: s["started"])
    size = max(1, -(-len(ordered) // MAX_POINTS))
    folded = []
    for start in range(0, len(ordered), size):
        part = ordered[start:start + size]
        folded.append((part[-1]["started"] + part[-1]["seconds"],
                       sum(s["records"] for s in part), sum(s["seconds"] for s in part)))
    return folded


def progress_chart(steps: list[dict[str, Any]], done_now: int, total: int) -> Chart | None:
    """Records done (or percent of `total`) at the end of each step; None when no step counted
    a record (a flat line captioned "top 1 records" showed a count nothing reached)."""
    if len(steps) < 2 or not (done_now or any(step["records"] for step in steps)):
        return None
    folded = buckets(steps)
    first_start = min(s["started"] for s in steps)
    done = done_now - sum(records for _, records, _ in folded)
    values = [(first_start, max(done, 0))]
    for end, records, _ in folded:
        done += records
        values.append((end, done))
    top = total or max(v for _, v in values) or 1
    left = values[0][0]
    right = values[-1][0] if values[-1][0] > left else left + 1     # the line spans the box
    points = " ".join(f"{x_of(t, left, right):.1f},{y_of(v, top):.1f}" for t, v in values)
    label = "100%" if total else f"{top:,} records"
    return Chart(points, [], label, left, right, len(steps))


def rate_chart(steps: list[dict[str, Any]]) -> Chart | None:
    """Records per second of each step (or bucket of steps), as bars; None when no step
    counted a record (an empty box captioned "top 1/s" showed a rate nothing reached)."""
    if not steps:
        return None
    folded = buckets(steps)
    rates = [records / seconds if seconds > 0 else 0.0 for _, records, seconds in folded]
    top = max(rates)
    if not top:
        return None
    width = (WIDTH - 2 * PAD) / max(len(rates), MIN_BAR_SLOTS)
    bars = [(PAD + i * width, y_of(rate, top), max(width - 1, 1), HEIGHT - PAD - y_of(rate, top))
            for i, rate in enumerate(rates)]
    left = min(s["started"] for s in steps)
    return Chart("", bars, f"{top:,.0f}/s", left, folded[-1][0], len(steps))


def x_of(t: float, left: float, right: float) -> float:
    return PAD + (t - left) / (right - left) * (WIDTH - 2 * PAD)


def y_of(value: float, top: float) -> float:
    return HEIGHT - PAD - min(value / top, 1.0) * (HEIGHT - 2 * PAD)


class Activity(NamedTuple):
    """Stacked bars per minute: (x, width, [(y, height, kind), ...]) and the scale's top."""
    columns: list[tuple[float, float, list[tuple[float, float, str]]]]
    top: int
    totals: dict[str, int]
    left: float
    right: float


ACTIVITY_KINDS = ("finished", "failed", "waited")


def activity_chart(minutes: list[dict[str, Any]]) -> Activity | None:
    """The task list's per-minute chart (None when nothing happened in the hour)."""
    totals = {kind: sum(m[kind] for m in minutes) for kind in ACTIVITY_KINDS}
    if not minutes or not any(totals.values()):
        return None
    top = max(sum(m[kind] for kind in ACTIVITY_KINDS) for m in minutes)
    width = (WIDTH - 2 * PAD) / len(minutes)
    columns = []
    for index, minute in enumerate(minutes):
        stacked, floor = [], HEIGHT - PAD
        for kind in ACTIVITY_KINDS:
            height = minute[kind] / top * (HEIGHT - 2 * PAD)
            if height:
                floor -= height
                stacked.append((floor, height, kind))
        columns.append((PAD + index * width, max(width - 1, 1), stacked))
    return Activity(columns, top, totals, minutes[0]["minute"], minutes[-1]["minute"] + 60)
