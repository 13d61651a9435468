"""Tasks that wait for a later time, as users of Action Scheduler's "Scheduled" view and of
ProcessWire's Tasker expect to see and make them: the admin's list shows them as scheduled,
with their run time, and filters to them; the list's search finds tasks by module and method;
`tasks create` takes `--not-before` and `--retry`, and `tasks list`/`show` say when a task runs.
"""
from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone

import pytest
from tasker_support import prepare_counter_site, wait_for
from webclient import make_task, prepare_site

import cms
from cms.integrity import check_site
from cms.web.task_view import when

prepare_shared_site = prepare_counter_site
pytest_plugins = ("tasker_fixtures",)      # fixtures: shared_site, tasker, cli


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


# -- the command line ----------------------------------------------------------------------------

def created_id(out: str) -> int:
    return int(out.split()[1])


def test_create_takes_an_iso_time_and_a_retry_policy(tasker, cli):
    target = tasker.site.pages.add("counter", 1, title="Import")
    code, out, err = cli("tasks", "create", "Counter", "import_rows", target.id, "At six",
                         "--not-before", "2031-12-06T18:00:00+01:00", "--retry", "3:60",
                         "--activate")
    assert code == 0, err
    task_id = created_id(out)
    at = datetime(2031, 12, 6, 17, 0, tzinfo=timezone.utc).timestamp()
    details = tasker.get_details(task_id)
    assert details["not_before"] == at
    assert json.loads(details["retry"]) == {"attempts": 3, "backoff": 60}
    assert out == (f"task {task_id} created on {target.path}: now scheduled, runs at "
                   "2031-12-06 17:00:00 UTC\n")
    code, out, err = cli("tasks", "create", "Counter", "import_rows", target.id, "Naive is UTC",
                         "--not-before", "2031-12-06 18:00", "--retry", "2")
    assert code == 0, err
    details = tasker.get_details(created_id(out))
    assert details["not_before"] == datetime(2031, 12, 6, 18, 0, tzinfo=timezone.utc).timestamp()
    assert json.loads(details["retry"]) == {"attempts": 2, "backoff": 0}
    assert out.endswith("now waiting; once activated it runs not before 2031-12-06 18:00:00 UTC\n")


@pytest.mark.parametrize("given, seconds", [("+10m", 600), ("+2h", 7200), ("+1d", 86400),
                                            ("+90s", 90)])
def test_create_takes_a_time_relative_to_now(tasker, cli, given, seconds):
    target = tasker.site.pages.add("counter", 1, title="Import")
    before = time.time()
    code, out, err = cli("tasks", "create", "Counter", "import_rows", target.id, "Later",
                         "--not-before", given, "--activate")
    assert code == 0, err
    not_before = tasker.get_details(created_id(out))["not_before"]
    assert before + seconds <= not_before <= time.time() + seconds


@pytest.mark.parametrize("option, value, says", [
    ("--not-before", "tomorrow", "ISO 8601"),
    ("--not-before", "+10x", "+10m"),
    ("--not-before", "+m", "+10m"),
    ("--not-before", "2031-13-01", "ISO 8601"),
    ("--not-before", "+99999999d", "9999"),
    ("--retry", "x", "ATTEMPTS[:BACKOFF]"),
    ("--retry", "-1", "ATTEMPTS[:BACKOFF]"),
    ("--retry", "3:-5", "backoff"),
    ("--retry", "3:soon", "ATTEMPTS[:BACKOFF]"),
    ("--retry", "3:60:1", "ATTEMPTS[:BACKOFF]"),
    ("--retry", "3:nan", "backoff"),
    ("--retry", "2000:60", "9999"),
])
def test_create_refuses_a_bad_time_or_retry_as_bad_usage_and_creates_nothing(
        tasker, cli, option, value, says):
    target = tasker.site.pages.add("counter", 1, title="Import")
    before = len(tasker.get_tasks())
    code, out, err = cli("tasks", "create", "Counter", "import_rows", target.id, "Bad",
                         option + "=" + value)
    assert code == 2, (out, err)
    said = err.strip().splitlines()[-1]           # after the usage line, which names the forms
    assert said.startswith(f"cms tasks create: error: argument {option}: "), err
    assert says in said and "Traceback" not in err, err
    assert len(tasker.get_tasks()) == before


def test_list_and_show_say_when_a_scheduled_task_runs(tasker, cli):
    target = tasker.site.pages.add("counter", 1, title="Import")
    at = datetime(2031, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    later = tasker.create_task("Counter", "import_rows", target, "Scheduled one", {"total": 1},
                               not_before=at)
    tasker.activate_task(later)
    now = tasker.create_task("Counter", "import_rows", target, "Ready one", {"total": 2})
    tasker.activate_task(now)
    waiting = tasker.create_task("Counter", "import_rows", target, "Waiting one", {"total": 3},
                                 not_before=at)
    code, out, err = cli("tasks", "list")
    assert code == 0, err
    lines = {int(line.split()[0]): line for line in out.splitlines()[1:]}
    assert lines[later.id].split()[1] == "scheduled"
    assert lines[later.id].endswith("runs 2031-01-02 03:04:05 UTC")
    assert lines[now.id].split()[1] == "active" and "runs" not in lines[now.id]
    assert lines[waiting.id].split()[1] == "waiting" and "runs" not in lines[waiting.id]
    listed = {row["id"]: row for row in json.loads(cli("tasks", "list", "--json")[1])["tasks"]}
    assert listed[later.id]["scheduled"] is True and listed[later.id]["state_info"] == "active"
    assert listed[later.id]["not_before"] == "2031-01-02 03:04:05 UTC"
    assert listed[now.id]["scheduled"] is False and listed[now.id]["not_before"] is None
    code, out, _ = cli("tasks", "list", "--state", "scheduled")
    assert code == 0 and {int(line.split()[0]) for line in out.splitlines()[1:]} == {later.id}
    code, out, _ = cli("tasks", "show", later.id)
    assert "  state      scheduled (1), 0% done" in out
    assert "  not before 2031-01-02 03:04:05 UTC" in out
    code, out, _ = cli("tasks", "show", waiting.id)      # a time it keeps once activated
    assert "  state      waiting (2)" in out
    assert "  not before 2031-01-02 03:04:05 UTC" in out
    shown = json.loads(cli("tasks", "show", later.id, "--json")[1])
    assert shown["scheduled"] is True and shown["not_before"] == "2031-01-02 03:04:05 UTC"
