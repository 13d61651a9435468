"""`python run.py tasks ...`: list, show, steer and run tasks from a terminal.

Most calls go through `cms.cli.main` in this process (what the console script runs); one runs
the real `python run.py tasks run` to see the progress bar a terminal user sees.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from conftest import PYTHON
from tasker_support import prepare_counter_site

from cms.tasker import TaskState

ROOT = Path(__file__).resolve().parent.parent


prepare_shared_site = prepare_counter_site
pytest_plugins = ("tasker_fixtures",)      # fixtures: shared_site, tasker, worker_env, cli


def add_task(tasker, method, title, data=None, activate=False, **options):
    page = tasker.site.pages.add("counter", 1, title=title)
    task = tasker.create_task("Counter", method, page, title, data, **options)
    if activate:
        tasker.activate_task(task)
    return task


def test_list_shows_tasks_newest_first_and_filters_by_state(tasker, cli):
    first = add_task(tasker, "bump", "Count the words")
    second = add_task(tasker, "bump", "Import the dictionary", activate=True)
    code, out, err = cli("tasks", "list")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "STATE", "DONE", "TITLE", "PAGE"]
    assert str(second.id) in lines[1] and "active" in lines[1] and "Import the dictionary" in lines[1]
    assert str(first.id) in lines[2] and "waiting" in lines[2]
    code, out, _ = cli("tasks", "list", "--state", "waiting")
    assert "Count the words" in out and "Import the dictionary" not in out
    code, out, _ = cli("tasks", "list", "--state", "1", "--json")
    listed = json.loads(out)
    assert [t["id"] for t in listed["tasks"]] == [second.id]
    assert listed["tasks"][0]["state_info"] == "active"
    assert listed["tasks"][0]["page_path"] == second.parent.path


def test_list_with_no_task_and_a_bad_state(tasker, cli):
    assert cli("tasks", "list") == (0, "no tasks\n", "")
    code, _, err = cli("tasks", "list", "--state", "sleeping")
    assert code == 2 and "unknown state 'sleeping'" in err
    code, _, err = cli("tasks", "list", "--limit", "99999999999999999999")    # "all of them"
    assert code == 2 and "--limit must be from 1 to 999999999999" in err, err


def test_show_gives_state_data_and_log_as_text_and_json(tasker, cli):
    task = add_task(tasker, "fail", "Broken import", {"source": "words.txt"}, activate=True,
                    retry={"attempts": 1, "backoff": 60})
    tasker.execute_task(task, {"invoker": "cron"})
    code, out, err = cli("tasks", "show", task.id)
    assert code == 0, err
    assert out.startswith(f"task {task.id}: Broken import")
    assert "Counter.fail" in out and '"source": "words.txt"' in out
    assert "the source file is missing" in out
    state_line = next(line for line in out.splitlines() if line.strip().startswith("state"))
    assert state_line.count("%") == 1 and "error(s)" in state_line      # the percent once
    code, out, _ = cli("tasks", "show", task.id, "--json")
    shown = json.loads(out)
    assert shown["module"] == "Counter" and shown["method"] == "fail"
    assert shown["task_data"]["source"] == "words.txt"
    assert shown["retry"] == {"attempts": 1, "backoff": 60}
    assert shown["not_before"]                  # waiting for its retry
    assert any("the source file is missing" in line for line in shown["log"])


@pytest.mark.parametrize("bad, says", [("999999", "there is no task with id 999999"),
                                       ("1", "page 1 (/) is not a task")])
@pytest.mark.parametrize("action", ["show", "activate", "suspend", "kill", "reset", "trash", "run"])
def test_a_missing_task_is_one_clear_line_and_exit_1(tasker, cli, action, bad, says):
    code, out, err = cli("tasks", action, bad)
    assert code == 1
    assert err == f"cms: error: {says}" + ("; `python run.py tasks list` shows the tasks\n"
                                           if bad == "999999" else "\n")


@pytest.mark.parametrize("action", ["show", "activate", "kill", "run"])
def test_a_malformed_id_is_bad_usage_and_exit_2(tasker, cli, action):
    code, out, err = cli("tasks", action, "abc")
    assert code == 2 and out == ""
    assert err.endswith("error: argument ID: a task id is a positive whole number, not 'abc'\n")


def test_a_suspend_of_a_running_task_names_its_runner_and_its_leases_end(tasker, cli):
    """A worker killed mid-step left its task running: the suspend said "the running step
    stops at its next save", which no step would ever reach; it names the runner and when
    the lease's end applies it if that runner is gone."""
    import time
    task = add_task(tasker, "import_rows", "Import", {"total": 5})
    tasker.activate_task(task)
    until = time.time() + 30
    tasker.site.db.execute("UPDATE tasker_tasks SET running = 1, runner = ?, lease_until = ? "
                           "WHERE pages_id = ?", ("gone-host:4242", until, task.id))
    code, out, _ = cli("tasks", "suspend", task.id)
    assert code == 0
    assert f"task {task.id} suspended: now suspending (the running step, on gone-host:4242" in out
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(until))
    assert f"if that runner is gone, at its lease's end, {stamp})" in out


def test_actions_change_the_state_and_say_what_happened(tasker, cli):
    task = add_task(tasker, "import_rows", "Import", {"total": 5})
    assert cli("tasks", "activate", task.id)[1] == f"task {task.id} activated: now active\n"
    assert tasker.get_state(task) == TaskState.ACTIVE
    assert cli("tasks", "suspend", task.id)[1] == f"task {task.id} suspended: now waiting\n"
    tasker.activate_task(task)
    tasker.execute_task(task, {"invoker": "cron", "timeout": 0})
    assert tasker.get_state(task) == TaskState.FINISHED
    assert cli("tasks", "reset", task.id)[0] == 0
    assert tasker.site.pages.get(task.id).get("progress") == 0
    assert cli("tasks", "kill", task.id)[1] == f"task {task.id} killed and reset to 0%: now killed\n"
    assert cli("tasks", "trash", task.id)[0] == 0
    assert tasker.site.pages.get(task.id).is_trash()
    history = [(h["new"], h["who"]) for h in tasker.get_history(task)]
    assert (TaskState.ACTIVE, "cli") in history and (TaskState.KILLED, "cli") in history


def test_activate_refuses_while_a_dependency_has_not_finished(tasker, cli):
    first = add_task(tasker, "bump", "First")
    second = add_task(tasker, "bump", "Second")
    tasker.add_dependency(second, first)
    code, _, err = cli("tasks", "activate", second.id)
    assert code == 1
    assert err == (f"cms: error: task {second.id} was not activated: it waits for task "
                   f"{first.id} (waiting) to finish; activate it again then (it does not start by "
                   "itself)\n")
    code, _, err = cli("tasks", "run", second.id)
    assert code == 1
    assert err == (f"cms: error: task {second.id} cannot run: it waits for task {first.id} "
                   "(waiting) to finish\n")


@pytest.mark.slow
def test_run_runs_a_task_to_its_end_step_after_step(tasker, cli):
    target = tasker.site.pages.add("counter", 1, title="Import")
    task = tasker.create_task("Counter", "import_rows", target, "Import", {"total": 30, "delay": 0.01})
    code, out, err = cli("tasks", "run", task.id, "--step-time", "0.1")
    assert code == 0, err
    bars = [line for line in out.splitlines() if line.startswith("[")]
    assert len(bars) >= 2                       # one line per step when not on a terminal
    assert bars[-1].startswith("[" + "#" * 30 + "] 100% finished")
    assert out.splitlines()[-1] == f"task {task.id} finished"
    assert len(tasker.site.pages.find(f"parent={target.id}, template=row")) == 30
    code, out, _ = cli("tasks", "run", task.id)
    assert code == 0 and "has finished already" in out


def test_run_exits_1_with_the_error_when_the_task_fails(tasker, cli):
    task = add_task(tasker, "fail", "Broken import")
    code, _, err = cli("tasks", "run", task.id)
    assert code == 1
    assert err.splitlines() == [f"cms: error: task {task.id} ended failed: the source file is missing "
                                f"(`python run.py tasks activate {task.id}` tries it again)"]
    code, _, err = cli("tasks", "run", task.id)
    assert code == 1 and "is failed" in err and "activate" in err


def test_run_ends_a_recurring_task_s_run_and_leaves_the_next_one_scheduled(tasker, cli):
    """Each run of a recurring task ends active, due again later: `tasks run` looped over the
    next occurrences at once, for ever."""
    task = add_task(tasker, "import_rows", "Nightly", {"total": 3}, every=3600)
    code, out, err = cli("tasks", "run", task.id)
    assert code == 0, err
    assert "ran to the end of this run; its next run is due at" in out.splitlines()[-1]
    assert tasker.get_state(task) == TaskState.ACTIVE
    assert tasker.get_details(task)["steps"] == 1
    assert tasker.get_details(task)["not_before"] > time.time() + 3000
    failing = add_task(tasker, "fail", "Flaky", retry={"attempts": 3, "backoff": 600})
    code, _, err = cli("tasks", "run", failing.id)
    assert code == 1 and "step failed; it is retried at" in err
    assert tasker.get_details(failing)["steps"] == 1
    assert "not before" in cli("tasks", "show", failing.id)[1]       # when it is retried
    cli("tasks", "kill", failing.id)
    assert "not before" not in cli("tasks", "show", failing.id)[1]   # a time given up on


@pytest.mark.slow
def test_run_runs_a_task_scheduled_for_later_to_its_end(tasker, cli):
    """A task created with `not_before` an hour ahead, run now from the terminal: `tasks run`
    ran its first step, then stopped saying "ran to the end of this run; its next run is due
    at" that hour, though the run had only begun (the step kept the time it was created with;
    only a run's end or a failed step sets a new one)."""
    target = tasker.site.pages.add("counter", 1, title="Import")
    task = tasker.create_task("Counter", "import_rows", target, "Import later",
                              {"total": 30, "delay": 0.01}, not_before=time.time() + 3600)
    code, out, err = cli("tasks", "run", task.id, "--step-time", "0.1")
    assert code == 0, err
    assert out.splitlines()[-1] == f"task {task.id} finished"
    assert len(tasker.site.pages.find(f"parent={target.id}, template=row")) == 30


def test_create_makes_a_task_from_the_command_line(tasker, cli):
    """Creating a task needed Python."""
    target = tasker.site.pages.add("counter", 1, title="Import")
    code, out, err = cli("tasks", "create", "Counter", "import_rows", target.path, "From the shell",
                         "--data", '{"total": 2}', "--activate", "--priority", "5")
    assert code == 0, err
    task_id = int(out.split()[1])
    assert out == f"task {task_id} created on {target.path}: now active\n"
    task = tasker.get_task_by_id(task_id)
    assert task.parent_id == target.id and task.title == "From the shell"
    assert tasker.get_details(task)["priority"] == 5
    assert cli("tasks", "run", task_id)[0] == 0
    assert len(tasker.site.pages.find(f"parent={target.id}, template=row")) == 2
    before = len(tasker.get_tasks())
    for args, says in ((("Nope", "import_rows", str(target.id), "x"), "Nope"),
                       (("Counter", "import_rows", "/nowhere/", "x"), "there is no page")):
        code, _, err = cli("tasks", "create", *args)
        assert code == 1 and says in err and len(err.strip().splitlines()) == 1, (args, err)
    for data, says in (("{bad", "not valid JSON"), ("[1]", "JSON object"),      # bad usage
                       ('{"a": ' + "[" * 5000 + "]" * 5000 + "}", "nests too deeply")):
        code, _, err = cli("tasks", "create", "Counter", "import_rows", target.id, "x", "--data", data)
        assert code == 2 and says in err, (data, err)
    assert len(tasker.get_tasks()) == before


def test_reset_then_run_runs_a_finished_task_again(tasker, cli):
    target = tasker.site.pages.add("counter", 1, title="Import")
    task = tasker.create_task("Counter", "import_rows", target, "Import", {"total": 3})
    assert cli("tasks", "run", task.id)[0] == 0
    code, out, _ = cli("tasks", "run", task.id)
    assert code == 0 and f"`tasks reset {task.id}`" in out
    assert cli("tasks", "reset", task.id)[1] == f"task {task.id} reset: now waiting\n"
    assert tasker.site.pages.get(task.id).get("progress") == 0
    assert tasker.get_history(task)[-1]["note"] == "reset to 0%"
    code, out, err = cli("tasks", "run", task.id)          # the hint led here, not in a circle
    assert code == 0, err
    assert out.splitlines()[-1] == f"task {task.id} finished"


def test_reset_sends_a_failed_task_back_to_waiting(tasker, cli):
    task = add_task(tasker, "fail", "Broken import")
    assert cli("tasks", "run", task.id)[0] == 1
    assert cli("tasks", "reset", task.id)[1] == f"task {task.id} reset: now waiting\n"
    assert tasker.get_state(task) == TaskState.WAITING


def test_show_names_the_page_a_trashed_task_worked_on(tasker, cli):
    task = add_task(tasker, "import_rows", "Import", {"total": 2})
    page = tasker.get_page(task)
    assert cli("tasks", "trash", task.id)[0] == 0
    code, out, err = cli("tasks", "show", task.id)
    assert code == 0, err
    assert f"on page {page.id} ({page.path})" in out


def test_show_says_a_trashed_task_is_in_the_trash(tasker, cli):
    """`tasks show` of a trashed task said "state killed (4), 0% done" and nothing more, where
    the admin's page says it is in the trash; `tasks activate` then refused it "in the trash"."""
    task = add_task(tasker, "import_rows", "Import", {"total": 2})
    assert cli("tasks", "trash", task.id)[0] == 0
    out = cli("tasks", "show", task.id)[1]
    assert "in the trash" in out.splitlines()[1], out
    assert json.loads(cli("tasks", "show", task.id, "--json")[1])["trashed"] is True
    other = add_task(tasker, "import_rows", "Kept", {"total": 2})
    assert json.loads(cli("tasks", "show", other.id, "--json")[1])["trashed"] is False


def test_tasks_without_an_action_is_bad_usage(cli):
    code, _, err = cli("tasks")
    assert code == 2 and "name an action" in err
    code, _, err = cli("tasks", "launch", "3")
    assert code == 2


@pytest.mark.slow
def test_run_in_a_real_terminal_process_draws_a_progress_bar(tasker, shared_site):
    site, url, _ = shared_site
    task = add_task(tasker, "import_rows", "Import", {"total": 10})
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([PYTHON, "run.py", "--site", site.site_dir, "--db", url, "tasks", "run",
                           str(task.id)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "] 100% finished  Import" in done.stdout
    assert tasker.get_state(task) == TaskState.FINISHED
