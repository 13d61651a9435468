"""Tasks that wait for a later time, as users of Action Scheduler's "Scheduled" view and of
ProcessWire's Tasker expect to see and make them: the admin's list shows them as scheduled,
with their run time, and filters to them; the list's search finds tasks by module and method;
`tasks create` takes `--not-before` and `--retry`, and `tasks list`/`show` say when a task runs.
"""
from __future__ import annotations

import re
import time
from datetime import datetime, timezone

from tasker_support import wait_for
from webclient import make_task, prepare_site

import cms
from cms.integrity import check_site
from cms.web.task_view import when


def row_of(text: str, task_id: int) -> str:
    """The task list's row of one task (its status form and the cells beside it)."""
    found = re.search(rf'<tr data-task-id="{task_id}">(.*?)</tr>', text, re.S)
    assert found, f"no row for task {task_id}"
    return found.group(1)


def listed_ids(text: str) -> set[int]:
    return {int(i) for i in re.findall(r'<tr data-task-id="(\d+)"', text)}


def filter_count(text: str, key: str) -> int:
    return int(re.search(rf'data-count-state="{key}">(\d+)<', text).group(1))


# -- the admin's task list -------------------------------------------------------------------

def test_an_active_task_due_later_shows_as_scheduled_with_its_run_time(site, superuser):
    """It showed "ready to run" with no time, like a task a runner would take now."""
    tasker = site.modules.get("Tasker")
    later = time.time() + 2 * 3600 + 300
    scheduled = tasker.create_task("WebJobs", "count_to", site.pages.get(1), "Nightly report",
                                   not_before=later)
    tasker.activate_task(scheduled)
    due_now = make_task(site, "Due now")
    tasker.activate_task(due_now)
    page = superuser.get("/admin/tasks/")
    assert page.status == 200
    row = row_of(page.text, scheduled.id)
    assert '<span class="state" title="state 1">scheduled</span>' in row
    assert 'data-scheduled="1"' in row
    found = re.search(r'<time class="due" datetime="([^"]+)" title="([^"]+)">runs ([^<]+)</time>', row)
    assert found, row
    assert found.group(1) == datetime.fromtimestamp(later, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert found.group(2) == when(later)
    assert found.group(3) in ("in 2 h 5 min", "in 2 h 4 min")
    assert "Run now" in row                       # an explicit run does not wait for the time
    ready = row_of(page.text, due_now.id)
    assert ">ready to run</span>" in ready and "data-scheduled" not in ready and "<time" not in ready


def test_a_recurring_task_between_its_runs_counts_as_scheduled(site, superuser):
    tasker = site.modules.get("Tasker")
    task = tasker.create_task("WebJobs", "count_to", site.pages.get(1), "Every hour",
                              {"target": 1}, every=3600)
    tasker.activate_task(task)
    assert tasker.execute_task(task.id, {"invoker": "cron", "timeout": time.time() + 10})
    assert tasker.due_at(task) is not None        # its run ended; the next is an hour ahead
    row = row_of(superuser.get("/admin/tasks/").text, task.id)
    assert ">scheduled</span>" in row
    assert "runs in 59 min<" in row or "runs in 1 h 0 min<" in row


def test_the_list_filters_to_scheduled_tasks_and_counts_them(site, superuser):
    tasker = site.modules.get("Tasker")
    home = site.pages.get(1)
    scheduled = tasker.create_task("WebJobs", "count_to", home, "Later",
                                   not_before=time.time() + 3600)
    tasker.activate_task(scheduled)
    waiting_later = tasker.create_task("WebJobs", "count_to", home, "Later, not activated",
                                       not_before=time.time() + 3600)
    ready = make_task(site, "Now")
    tasker.activate_task(ready)
    page = superuser.get("/admin/tasks/")
    assert filter_count(page.text, "scheduled") == 1
    assert filter_count(page.text, "1") == 2              # scheduled tasks are active ones
    assert '<a href="/admin/tasks/?state=scheduled">scheduled' in page.text
    only = superuser.get("/admin/tasks/?state=scheduled")
    assert only.status == 200
    assert listed_ids(only.text) == {scheduled.id}
    assert 'href="/admin/tasks/?state=scheduled" class="current"' in only.text
    assert waiting_later.id in listed_ids(superuser.get("/admin/tasks/?state=2").text)
    searched = superuser.get("/admin/tasks/?state=scheduled&q=Now")
    assert listed_ids(searched.text) == set() and "No tasks" in searched.text
    assert filter_count(superuser.get("/admin/tasks/?q=Later").text, "scheduled") == 1


def test_a_task_that_falls_due_stops_showing_as_scheduled_in_the_live_poll(site, superuser):
    """Nothing is written when a task's time comes, so the poll's answer must not be one kept
    from before that time (status answers are kept until the next commit on SQLite)."""
    tasker = site.modules.get("Tasker")
    task = tasker.create_task("WebJobs", "count_to", site.pages.get(1), "Soon",
                              not_before=time.time() + 1.0)
    tasker.activate_task(task)

    def polled() -> dict:
        answer = superuser.get(f"/admin/tasks/statuses?ids={task.id}")
        assert answer.status == 200
        return answer.json()["tasks"][str(task.id)]

    first = polled()
    assert 'data-scheduled="1"' in first["status_html"] and ">scheduled</span>" in first["status_html"]
    assert first["task_state"] == 1
    became = wait_for(lambda: (lambda found: found if "scheduled" not in found["status_html"]
                               else None)(polled()), seconds=10, every=0.1)
    assert ">ready to run</span>" in became["status_html"] and "<time" not in became["status_html"]
    status = superuser.get(f"/admin/tasks/api?id={task.id}&cmd=status&log=0").json()
    assert ">ready to run</span>" in status["status_html"]


def test_a_scheduled_row_and_a_due_one_never_share_a_rendered_shape(site, superuser):
    """Rows of one shape are rendered once and filled in: the run time is filled in per row."""
    tasker = site.modules.get("Tasker")
    home = site.pages.get(1)
    first = tasker.create_task("WebJobs", "count_to", home, "A", not_before=time.time() + 3 * 86400)
    second = tasker.create_task("WebJobs", "count_to", home, "B", not_before=time.time() + 600)
    tasker.activate_task_set([first, second])
    answer = superuser.get(f"/admin/tasks/statuses?ids={first.id},{second.id}").json()["tasks"]
    assert "runs in 3 d 0 h" in answer[str(first.id)]["status_html"] or \
        "runs in 2 d 23 h" in answer[str(first.id)]["status_html"]
    assert re.search(r"runs in (10|9) min<", answer[str(second.id)]["status_html"])
    assert "\x00" not in answer[str(first.id)]["status_html"]


def test_a_site_from_tasker_1_3_gets_the_fields_the_list_reads(site, tmp_path, db_url):
    tasker = site.modules.get("Tasker")
    task = tasker.create_task("Dictionary", "purge_dictionary", site.pages.get(1), "Later",
                              not_before=time.time() + 600)
    tasker.activate_task(task)
    for name in ("task_not_before", "task_module", "task_method"):     # new in Tasker 1.4
        field_id = site.fields[name].id
        site.db.execute("DELETE FROM fieldgroups_fields WHERE fields_id = ?", (field_id,))
        site.db.execute("DELETE FROM fields WHERE id = ?", (field_id,))
        site.db.ddl(f"DROP VIEW field_{name}")
    site.db.execute("UPDATE modules SET version = '1.3.0' WHERE class = 'Tasker'")
    site.close()
    upgraded = cms.boot(db_url, site_dir=tmp_path)
    try:
        assert [t.id for t in upgraded.modules.get("Tasker").get_tasks("scheduled")] == [task.id]
        found = upgraded.modules.get("Tasker").get_tasks("task_method=purge_dictionary")
        assert [t.id for t in found] == [task.id]
        assert check_site(upgraded) == []
    finally:
        upgraded.close()


# -- the list's search ---------------------------------------------------------------------------

def test_the_search_finds_tasks_by_their_module_and_method(site, superuser):
    """Typing a module's or a method's name found nothing unless a title held it."""
    tasker = site.modules.get("Tasker")
    home = site.pages.get(1)
    counting = tasker.create_task("WebJobs", "count_to", home, "Alpha")
    other = tasker.create_task("WebJobs", "not_offered", home, "Beta")

    def found(q: str) -> set[int]:
        answer = superuser.get("/admin/tasks/?q=" + q)
        assert answer.status == 200
        return listed_ids(answer.text)

    assert found("not_offered") == {other.id}
    assert found("count") == {counting.id}                  # part of a method's name
    assert found("webjobs") == {counting.id, other.id}      # a module's, in any case
    assert found("Alpha") == {counting.id}                  # titles still
    assert found("x%27%20OR%20%271%27%3D%271") == set()     # x' OR '1'='1: searched as text
    assert found("%25") == set()                            # "%" is looked for, no wildcard
    page = superuser.get("/admin/tasks/?q=WebJobs")
    assert filter_count(page.text, "2") == 2                 # the counts are the matches'
    assert "Title, module or method contains" in page.text


def test_tasks_are_found_by_module_and_method_from_code(site, tmp_path):
    prepare_site(site, tmp_path)
    tasker = site.modules.get("Tasker")
    task = tasker.create_task("WebJobs", "not_offered", site.pages.get(1), "Gamma")
    make_task(site, "Delta")
    assert [t.id for t in tasker.get_tasks("task_method=not_offered")] == [task.id]
    assert len(tasker.get_tasks("task_module=WebJobs")) == 2
