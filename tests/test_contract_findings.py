"""The public contract (DESIGN.md), called exactly as written: what an audit found the code did
otherwise.

Bad input gives the error the contract names (`TaskError` for Tasker) and changes nothing: a
task in the trash is not steered until its page is restored, an id that is no task is refused
by every call that takes a task, and a call refused half-way has changed nothing.
"""
from __future__ import annotations

import json

import pytest
from tasker_support import prepare_counter_site

from cms.lazycron import EVENTS, LazyCron
from cms.tasker import TaskError, TaskState

prepare_shared_site = prepare_counter_site
pytest_plugins = ("tasker_fixtures",)      # fixtures: shared_site, tasker, worker_env, cli


def add_task(tasker, title, data=None):
    page = tasker.site.pages.add("counter", 1, title=title)
    return tasker.create_task("Counter", "bump", page, title, data)


def stored(tasker, task) -> tuple:
    """What a steering call could change: state, task_data, history length, dependencies."""
    page = tasker.site.pages.get(task.id)
    return (tasker.get_state(task), page.task_data, len(tasker.get_history(task)),
            tasker.get_dependencies(task), tasker.get_next_tasks(task))


# -- a task in the trash -------------------------------------------------------------------------

def test_a_trashed_task_is_not_reset_or_killed_until_its_page_is_restored(tasker):
    """`trash_task` kills the task and keeps its data; `activate_task` and `restart_task` of a
    trashed task raise TaskError ("restore its page first"). `reset_progress` and
    `stop_task(kill=True)` went ahead: a reset made the task WAITING in the trash, a live task
    that no runner ever claims, which then held the duplicate key, so `create_task(...,
    unique=True)` of the same work on the same page was refused "an identical task is already
    waiting"; a kill wiped the data the trash had kept. A suspend is refused so too (it
    answered False, as for any task that has ended)."""
    data = {"rows": [1, 2, 3]}
    task = add_task(tasker, "Trashed", data)
    tasker.save_progress(task, {**data, "records_processed": 2, "max_records": 4})
    assert tasker.trash_task(task)
    before = stored(tasker, task)
    assert before[0] == TaskState.KILLED and json.loads(before[1])["records_processed"] == 2
    assert tasker.site.pages.get(task.id).progress == 50
    for call in (lambda: tasker.reset_progress(task), lambda: tasker.stop_task(task),
                 lambda: tasker.stop_task(task, kill=True),
                 lambda: tasker.stop_task(task, reset=True), lambda: tasker.stop_task(task, True)):
        with pytest.raises(TaskError, match="in the trash"):
            call()
        assert stored(tasker, task) == before
    again = tasker.create_task("Counter", "bump", tasker.get_page(task), "Again", data, unique=True)
    assert tasker.get_state(again) == TaskState.WAITING


def test_dependencies_and_follow_ups_of_a_trashed_task_are_refused(tasker):
    """A task made to depend on a trashed one waited for ever (a trashed task never finishes,
    and `trash_task` releases only those waiting for it at that moment); a trashed follow-up is
    never activated. Both are refused, naming the trash, and nothing is recorded."""
    live, trashed = add_task(tasker, "Live"), add_task(tasker, "Gone")
    tasker.trash_task(trashed)
    before = stored(tasker, live), stored(tasker, trashed)
    for call in (lambda: tasker.add_dependency(live, trashed), lambda: tasker.add_dependency(trashed, live),
                 lambda: tasker.add_next_task(live, trashed), lambda: tasker.add_next_task(trashed, live)):
        with pytest.raises(TaskError, match="in the trash"):
            call()
    assert (stored(tasker, live), stored(tasker, trashed)) == before
    assert tasker.activate_task(live)


def test_the_cli_refuses_to_reset_or_kill_a_trashed_task_in_one_line(tasker, cli):
    task = add_task(tasker, "Trashed from the CLI")
    tasker.trash_task(task)
    for action in ("reset", "kill", "suspend"):
        code, out, err = cli("tasks", action, task.id)
        assert (code, out) == (1, "")
        assert err.count("\n") == 1 and "in the trash" in err and "restore" in err
    assert tasker.get_state(task) == TaskState.KILLED
    code, out, err = cli("tasks", "run", task.id)
    assert code == 1 and "in the trash" in err, err


# -- an id that is no task -----------------------------------------------------------------------

def test_every_call_that_takes_a_task_refuses_an_id_that_is_no_task(tasker):
    """`get_state`, `get_log_summary`, `activate_task` ... raise TaskError for a page that is
    no task (home) or no page at all; `get_log` answered [] as if the task had an empty log."""
    for not_a_task in (1, 99_999_999):
        with pytest.raises(TaskError, match="is not a task"):
            tasker.get_log(not_a_task)
        with pytest.raises(TaskError, match="is not a task"):
            tasker.get_log_summary(not_a_task)
    assert tasker.get_log(add_task(tasker, "Quiet")) == []


@pytest.mark.parametrize("value", [None, "abc", 2.5, [1]])
def test_a_task_given_as_something_that_is_no_id_is_a_task_error(tasker, value):
    """`get_task_by_id("abc")` raised ValueError, `get_task_by_id(None)` TypeError, and
    `save_progress("abc", {})` ValueError: every other call taking a task says TaskError ("a
    task is a page or a page id")."""
    with pytest.raises(TaskError, match="a task is a page or a page id"):
        tasker.get_task_by_id(value)
    with pytest.raises(TaskError, match="a task is a page or a page id"):
        tasker.save_progress(value, {})


def test_get_task_by_id_takes_an_id_as_text_or_the_page_and_gives_a_null_page_for_no_task(tasker):
    task = add_task(tasker, "Found")
    assert tasker.get_task_by_id(str(task.id)).id == task.id
    assert tasker.get_task_by_id(task).id == task.id
    for no_task in (0, 1, 99_999_999, tasker.site.pages.get(1)):
        found = tasker.get_task_by_id(no_task)
        assert not found and found.id == 0


def test_history_log_appends_and_links_refuse_a_page_that_is_no_task(tasker):
    """`append_log(1, ...)` wrote a log into the home page's `log_messages` row (a find for
    `log_messages%=...` then listed home, and `check` saw nothing wrong); `get_history(1)`
    answered a "created" entry for home as if it were a task; `get_dependencies`,
    `get_next_tasks` and `get_unfinished_dependencies` answered [] for it."""
    site = tasker.site
    with pytest.raises(TaskError, match="page 1 is not a task"):
        tasker.append_log(1, [("message", "written into home")])
    assert site.pages.find_ids("log_messages%=written, include=all") == []
    assert site.db.scalar("SELECT COUNT(*) FROM field_log_messages WHERE pages_id = 1") == 0
    for read in (tasker.get_history, tasker.get_dependencies, tasker.get_next_tasks,
                 tasker.get_unfinished_dependencies):
        with pytest.raises(TaskError, match="is not a task"):
            read(1)
    task = add_task(tasker, "Has a history")
    tasker.append_log(task, [("warning", "said")])
    assert [entry["note"] for entry in tasker.get_history(task)] == ["created"]
    assert tasker.get_log(task)[0].endswith("WARNING said")
    assert tasker.get_dependencies(task) == tasker.get_next_tasks(task) == []


def test_activate_task_set_refused_for_one_task_activates_none(tasker):
    """"Nothing is stored when an error is raised": `activate_task_set([a, 1, b])` activated
    `a` before refusing page 1, which is no task."""
    first, last = add_task(tasker, "First"), add_task(tasker, "Last")
    trashed = add_task(tasker, "Trashed")
    tasker.trash_task(trashed)
    for bad in (1, trashed):
        with pytest.raises(TaskError):
            tasker.activate_task_set([first, bad, last])
        assert (tasker.get_state(first), tasker.get_state(last)) == (TaskState.WAITING,) * 2
    assert tasker.activate_task_set([first, last])
    assert (tasker.get_state(first), tasker.get_state(last)) == (TaskState.ACTIVE,) * 2


# -- create_task's page --------------------------------------------------------------------------

def test_create_task_takes_the_page_as_a_path_or_an_id_in_text_as_the_cli_does(tasker):
    """A path was refused saying the page "does not exist" when it did."""
    page = tasker.site.pages.add("counter", 1, "by-path", title="By path")
    by_path = tasker.create_task("Counter", "bump", page.path, "By path", {"n": 1})
    by_text = tasker.create_task("Counter", "bump", str(page.id), "By id text", {"n": 2})
    assert by_path.parent.id == by_text.parent.id == page.id
    assert json.loads(by_path.task_data)["pageid"] == page.id
    with pytest.raises(TaskError, match="'/no/such/page/' does not"):
        tasker.create_task("Counter", "bump", "/no/such/page/", "Nowhere")


# -- LazyCron's events ---------------------------------------------------------------------------

def test_lazycron_offers_every_event_processwire_has(tasker):
    """DESIGN: `LazyCron::every_30_seconds` ... `LazyCron::every_4_weeks`, ProcessWire's list;
    `every3Minutes`, `every4Minutes` and `every45Minutes` were refused as "not hookable".
    (On the module's shared site: a test taking `site` here booted a new one, which on the
    server engines emptied the database under the tests after it.)"""
    site = tasker.site
    fired = []
    for name in ("every_3_minutes", "LazyCron::every4Minutes", "every_45_minutes"):
        hook = name if "::" in name else f"LazyCron::{name}"
        site.add_hook_after(hook, lambda event, name=name: fired.append((name, event.arguments[0])))
    assert (EVENTS["every_3_minutes"], EVENTS["every_4_minutes"], EVENTS["every_45_minutes"]) == (
        180, 240, 2700)
    cron = LazyCron(site, signal_interval=0)
    cron.run_due(1_000_000.0)
    assert "every_45_minutes" in cron.run_due(1_000_000.0 + 2700)
    assert fired == [("every_3_minutes", 2700.0), ("LazyCron::every4Minutes", 2700.0),
                     ("every_45_minutes", 2700.0)]


# -- CLI exit codes ------------------------------------------------------------------------------

@pytest.mark.parametrize("flag, value", [("--data", "{not json"), ("--data", "[1, 2]"),
                                         ("--every", "every tuesday"), ("--every", "-5")])
def test_a_create_option_that_cannot_be_read_is_bad_usage(tasker, cli, flag, value):
    """DESIGN: exit 2 on bad usage. `--not-before`, `--retry` and `--priority` that cannot be
    read exit 2 (argparse's usage line, then what is wrong); `--data` and `--every` exited 1,
    as if the command had been understood and then failed."""
    page = tasker.site.pages.add("counter", 1, title="Bad usage")
    before = len(tasker.get_tasks(""))
    code, out, err = cli("tasks", "create", "Counter", "bump", page.id, "Bad", flag, value)
    assert (code, out) == (2, "")
    assert err.startswith("usage: ") and flag in err
    assert len(tasker.get_tasks("")) == before
