"""A task's status in one read (what the admin's pollers and the task list show): the same
title, state, progress, summary and log as the per-field API, as stored at the moment of the
call."""
from __future__ import annotations

import sqlite3
import time
from datetime import datetime, timedelta

import pytest
from conftest import ENGINE, statements_of, whole_table_reads
from tasker_support import make_task, run

from cms.tasker import TaskState
from cms.tasker.sql import STATUS_COLUMNS, STATUS_OF_MANY

pytest_plugins = ("tasker_fixtures",)      # fixtures: shared_site, tasker


def test_get_status_reads_what_the_field_api_reads(tasker):
    task = make_task(tasker, "chatty", title="Chatty", errors=1, warnings=2)
    run(tasker, task)
    status = tasker.get_status(task.id)
    page = tasker.get_task_by_id(task.id)
    assert status.id == task.id and status.title == "Chatty"
    assert status.state == int(page.get("task_state")) == TaskState.ACTIVE
    assert status.running is False and status.progress == int(page.get("progress")) == 35
    assert status.summary == tasker.get_log_summary(task) == "35% 1 error(s) 2 warning(s)"
    assert status.log == tasker.get_log(task) and len(status.log) == 4
    assert tasker.get_status(task.id, log=False).log == []


def test_a_status_s_modified_is_the_page_s_datetime_on_every_engine(tasker):
    """It was the engine's raw value: text on SQLite, a naive datetime on the servers, so code
    that compared it with page.modified or a datetime worked on one engine only."""
    task = make_task(tasker, "chatty", title="Chatty")
    page = tasker.get_task_by_id(task.id)
    for status in (tasker.get_status(task.id), tasker.get_statuses([task.id])[task.id]):
        assert isinstance(status.modified, datetime) and status.modified.utcoffset() == timedelta(0)
        assert status.modified == page.modified


def test_get_status_sees_each_change_at_once(tasker):
    task = make_task(tasker, "chatty", activate=False)
    assert tasker.get_status(task.id).state == TaskState.WAITING
    tasker.activate_task(task)
    assert tasker.get_status(task.id).state == TaskState.ACTIVE
    run(tasker, task)
    assert tasker.get_status(task.id).progress == 35
    tasker.stop_task(task, kill=True)
    assert tasker.get_status(task.id).state == TaskState.KILLED


def test_no_status_for_a_page_that_is_no_task_or_a_trashed_task(tasker):
    task = make_task(tasker, "chatty")
    assert tasker.get_status(1) is None
    assert tasker.get_status(987654321) is None
    tasker.stop_task(task)
    tasker.trash_task(task)
    assert tasker.get_status(task.id) is None
    assert tasker.get_statuses([task.id, 1]) == {}


def test_get_statuses_reads_many_tasks_in_one_query(tasker):
    tasks = [make_task(tasker, "chatty", title=f"Job {n}", activate=n % 2 == 0) for n in range(5)]
    run(tasker, tasks[0])
    found = tasker.get_statuses(task.id for task in tasks)
    assert sorted(found) == sorted(task.id for task in tasks)
    for task in tasks:
        one = tasker.get_status(task.id, log=False)
        assert found[task.id] == one
    assert found[tasks[0].id].progress == 35 and found[tasks[1].id].state == TaskState.WAITING


def test_count_by_state(tasker):
    before = tasker.count_by_state()
    tasks = [make_task(tasker, "chatty", activate=n < 2) for n in range(5)]
    tasker.stop_task(tasks[0], kill=True)
    after = tasker.count_by_state()
    assert after.get(TaskState.ACTIVE, 0) - before.get(TaskState.ACTIVE, 0) == 1
    assert after.get(TaskState.KILLED, 0) - before.get(TaskState.KILLED, 0) == 1
    assert after.get(TaskState.WAITING, 0) - before.get(TaskState.WAITING, 0) == 3
    assert sum(after.values()) == tasker.site.pages.count("template=tasker-task, include=hidden")


@pytest.mark.skipif(ENGINE != "sqlite", reason="SQLite's change stamp (cms/db/walstamp.py)")
def test_a_status_asked_again_with_nothing_committed_is_answered_without_a_statement(tasker):
    task = make_task(tasker, "chatty")
    run(tasker, task)
    first = tasker.get_status(task.id)
    again, seen = statements_of(tasker.site, lambda: tasker.get_status(task.id))
    assert seen == [] and again == first and len(first.log) == 1
    first.log.append("changed by a caller")                 # no caller spoils the next answer
    again.log.append("changed by a caller")
    assert len(tasker.get_status(task.id).log) == 1
    other = sqlite3.connect(tasker.site.db.path)             # another process's commit
    with other:
        other.execute("UPDATE tasker_tasks SET progress = 77 WHERE pages_id = ?", (task.id,))
    other.close()
    changed, seen = statements_of(tasker.site, lambda: tasker.get_status(task.id))
    assert changed.progress == 77 and len(seen) == 1


def test_inside_a_transaction_the_status_is_read_with_its_changes(tasker):
    task = make_task(tasker, "chatty")
    assert tasker.get_status(task.id).progress == 0
    db = tasker.site.db
    with pytest.raises(RuntimeError), db.transaction():
        db.execute("UPDATE tasker_tasks SET progress = 60 WHERE pages_id = ?", (task.id,))
        assert tasker.get_status(task.id).progress == 60     # not yet committed, but ours
        raise RuntimeError("rolled back")
    assert tasker.get_status(task.id).progress == 0


@pytest.mark.skipif(ENGINE != "sqlite", reason="SQLite's change stamp (cms/db/walstamp.py)")
def test_kept_answers_of_two_databases_never_mix(tmp_path):
    """Two sites whose URLs read alike (relative paths from two working directories) keep
    their own answers: the stamp names the file."""
    from tasker_jobs import Jobs

    import cms
    answers = []
    for name in ("one", "two"):
        folder = tmp_path / name
        folder.mkdir()
        site = cms.boot(f"sqlite:///{folder}/site.db", site_dir=folder)
        site.db.url = "sqlite:///site.db"              # as both would read, booted relative
        site.modules.register(Jobs)
        tasker = site.modules.get("Tasker")
        task = tasker.create_task("Jobs", "noop", site.pages.get(1), f"Task of {name}")
        answers.append((task.id, tasker.get_status(task.id).title, tasker, site))
    (first_id, _, first_tasker, _), (second_id, second_title, _, _) = answers
    assert first_id == second_id                          # the same id in both databases
    assert first_tasker.get_status(first_id).title == "Task of one"
    assert answers[1][2].get_status(second_id).title == second_title == "Task of two"
    for *_, site in answers:
        site.close()


def test_a_task_list_page_s_statuses_are_read_by_index_on_every_engine(tasker):
    """The task list's 50 statuses on a site of thousands of tasks: each task's page and title
    looked up by index. PostgreSQL, at its default random_page_cost (4: a lookup priced as a
    disk seek), hashed all of `pages` and `field_title` for them (1.27 ms against 0.21 ms for
    50 of 3,000 tasks); its sessions now set 1.1."""
    site = tasker.site
    with site.transaction():
        page = site.pages.add("basic-page", 1, title="Jobs target")
        for i in range(2500):                        # (pages and titles are what it joins)
            site.pages.add("basic-page", page, f"p{i}", title=f"Page {i}")
        ids = [tasker.create_task("Jobs", "count", page, f"Task {i}").id for i in range(50)]
    sql = STATUS_OF_MANY.format(columns=site.db.packed_sql(STATUS_COLUMNS), marks=", ".join("?" * 50))
    assert whole_table_reads(site, sql, ids, ("p", "ti")) == []
    statuses = tasker.get_statuses(ids)
    assert [statuses[i].title for i in ids[-2:]] == ["Task 48", "Task 49"]


def test_a_status_reads_awkward_titles_logs_and_run_times_as_the_field_api_on_every_engine(tasker):
    """SQLite and MariaDB read a status's columns as one JSON array (`Database.packed_sql`):
    quotes, backslashes, tags and characters outside the BMP come back as stored, a missing
    title and run time as such, and a run time to within 10 microseconds (a JSON number's 15
    digits), both through get_status and the task list's get_statuses."""
    site = tasker.site
    title = 'Say "hi" \\ back </script> Москва 😀 ' + "x" * 200
    at = time.time() + 3600.123456
    task = tasker.create_task("Jobs", "chatty", 1, title, task_data={"errors": 1, "warnings": 0},
                              not_before=at)
    untitled = make_task(tasker, "chatty", title="Untitled")
    site.db.execute("DELETE FROM field_title WHERE pages_id = ?", (untitled.id,))
    tasker.append_log(task, [("message", 'a "quoted" \\ line')])
    page = tasker.get_task_by_id(task.id)
    for status in (tasker.get_status(task.id), tasker.get_statuses([task.id])[task.id]):
        assert status.title == page.title == title
        assert status.state == TaskState.WAITING and status.running is False
        assert abs(status.not_before - at) < 1e-5
        assert status.modified == page.modified
    assert tasker.get_status(task.id).log == tasker.get_log(task)
    assert 'a "quoted" \\ line' in tasker.get_status(task.id).log[-1]
    assert tasker.get_status(untitled.id).title == "" and tasker.get_status(untitled.id).not_before is None
    assert tasker.get_statuses([untitled.id])[untitled.id].title == ""


@pytest.mark.skipif(ENGINE != "sqlite", reason="reads SQLite's statement trace")
def test_a_status_is_read_as_one_column_and_the_log_on_sqlite(tasker):
    """Python 3.11's sqlite3 hands the GIL to another request thread for each column it reads:
    eleven columns were ten more hand-overs per answer in a busy server than one column."""
    task = make_task(tasker, "chatty", title="Chatty")
    status, seen = statements_of(tasker.site, lambda: tasker.get_status(task.id))
    (statement,) = [text for text in seen if "tasker_tasks" in text]   # as run, values in place
    columns = tasker.site.db.pw.connection().execute(statement).description
    assert len(columns) == 2 and columns[1][0] == "data"       # the packed columns, the log
    assert status.title == "Chatty" and status.log == tasker.get_log(task)
