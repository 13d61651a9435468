"""Task charts: drawn from recorded steps, folded so 100,000 steps stay readable, and shown
on the task page."""
from __future__ import annotations

import time

from webclient import make_task

from cms.web import charts


def steps_of(count, records=10, seconds=0.5, start=1_000_000.0):
    """Newest first, as Tasker lists them."""
    return [{"started": start + n, "seconds": seconds, "records": records + n % 3}
            for n in reversed(range(count))]


def test_a_long_task_is_folded_into_a_readable_number_of_points():
    many = steps_of(100_000)
    rate = charts.rate_chart(many)
    progress = charts.progress_chart(many, done_now=sum(s["records"] for s in many), total=0)
    assert len(rate.bars) <= charts.MAX_POINTS and rate.steps == 100_000
    assert len(progress.points.split()) <= charts.MAX_POINTS + 1
    heights = [h for _, _, _, h in rate.bars]
    assert max(heights) <= charts.HEIGHT and min(heights) > 0


def test_progress_rises_to_the_top_when_the_task_is_done():
    few = steps_of(4, records=25)
    done = sum(s["records"] for s in few)
    chart = charts.progress_chart(few, done_now=done, total=done)
    ys = [float(point.split(",")[1]) for point in chart.points.split()]
    assert ys == sorted(ys, reverse=True)            # SVG y grows downwards
    assert ys[-1] == charts.PAD and chart.top == "100%"
    xs = [float(point.split(",")[0]) for point in chart.points.split()]
    assert xs[0] == charts.PAD and xs[-1] == charts.WIDTH - charts.PAD      # edge to edge
    assert charts.progress_chart(few[:1], done, done) is None    # one step draws no line


def test_a_few_steps_draw_narrow_bars_and_many_fill_the_box():
    one = charts.rate_chart(steps_of(1)).bars
    assert len(one) == 1 and one[0][2] < charts.WIDTH / 20       # not one block across the box
    many = charts.rate_chart(steps_of(240)).bars
    x, _, width, _ = many[-1]
    assert abs(x + width + 1 - (charts.WIDTH - charts.PAD)) < 0.01    # the last bar at the edge


def test_the_task_page_draws_its_charts(site, superuser):
    tasker = site.modules.get("Tasker")
    task = make_task(site, title="Charted", target=12, per_step=3)
    tasker.activate_task(task)
    while tasker.is_active(task):
        tasker.execute_task(task, {"timeout": time.time() + 5, "invoker": "test"})
    page = superuser.get(f"/admin/tasks/{task.id}/")
    assert page.status == 200
    assert 'id="chart-line"' in page.text and "<polyline points=" in page.text
    assert page.text.count('class="chart-bar"') == 4
    assert "Rate per step: top" in page.text


def test_the_task_list_shows_the_last_hours_activity(site, superuser):
    tasker = site.modules.get("Tasker")
    assert 'id="task-activity"' not in superuser.get("/admin/tasks/").text   # nothing happened
    task = make_task(site, title="Done soon", target=2)
    tasker.activate_task(task)
    while tasker.is_active(task):
        tasker.execute_task(task, {"timeout": time.time() + 5, "invoker": "test"})
    listed = superuser.get("/admin/tasks/").text
    assert 'id="task-activity"' in listed and "finished 1" in listed
    assert listed.count('class="chart-finished"') == 1


def test_activity_bars_stack_within_the_box():
    minutes = [{"minute": 60 * n, "finished": n % 3, "failed": n % 2, "waited": 1}
               for n in range(60)]
    chart = charts.activity_chart(minutes)
    assert len(chart.columns) == 60 and chart.top == 4
    for _, _, stacked in chart.columns:
        assert all(charts.PAD - 0.01 <= y <= charts.HEIGHT for y, _, _ in stacked)
    assert charts.activity_chart([{"minute": 0, "finished": 0, "failed": 0, "waited": 0}]) is None


def test_steps_that_counted_no_records_draw_no_rate_chart():
    """A task that failed at once, or a re-index that counts no records, showed an empty "Rate
    per step" box captioned "top 1/s": a rate nothing had reached (its steps table said "–")."""
    assert charts.rate_chart([dict(step, records=0) for step in steps_of(3)]) is None


def test_steps_that_counted_no_records_draw_no_progress_line():
    """A re-index that counts no records (or a task that reports only `progress`, as the seed's
    example does) drew a flat line captioned "top 1 records": a count nothing had reached."""
    idle = [dict(step, records=0) for step in steps_of(8)]
    assert charts.progress_chart(idle, done_now=0, total=0) is None
