"""Tasker lifecycle findings: a step that died mid-run, a finished task activated again, a task
that waits for a dependency that failed or went away.

Each test drives what a user reaches: the Python API, `python run.py tasks ...` (the `cli`
fixture) and the admin's task page over HTTP (a server of the test's own, on a port of
18200-18299).
"""
from __future__ import annotations

import contextlib
import os
import re
import signal
import time
from typing import Iterator

import pytest
from tasker_support import make_task, runtime, spawn_step, wait_for
from webclient import PASSWORD, Client

import cms
from cms.tasker import TaskError, TaskState, claim_task, reap_expired
from cms.tasker.runners.supervisor import fail_claimed
from cms.web.server import Server

pytest_plugins = ("tasker_fixtures",)      # fixtures: shared_site, tasker, cli, worker_env

PORTS = range(18200, 18300)


@contextlib.contextmanager
def admin_client(shared_site) -> Iterator[Client]:
    """A superuser logged in to a server of the shared site, on the first free port of PORTS."""
    site, url, _ = shared_site
    site.users.add("admin", PASSWORD)
    for port in PORTS:
        try:
            server = Server(lambda: cms.boot(url, site_dir=site.site_dir), "127.0.0.1", port, 4,
                            lazy_cron=False)
            break
        except OSError:
            continue
    else:
        raise AssertionError(f"no free port in {PORTS}")
    thread = server.start_in_thread()
    client = Client(server)
    try:
        client.login()
        yield client
    finally:
        client.close()
        server.stop()
        thread.join(15)


def steps_table(page: str) -> str:
    """The task page's steps table (empty when the page shows none)."""
    _, found, rest = page.partition('<table class="steps">')
    return found + rest.split("</table>", 1)[0] if found else ""


# -- 1. a step that died mid-run ------------------------------------------------------------------
def test_a_site_of_tasker_1_4_gets_the_columns_that_record_a_dead_step(site, db_url, tmp_path):
    """(First in this file: a brand-new site empties the shared one's server database.)
    Tasker 1.5 records when a claim was taken and which runner ran each step; a site whose
    tables Tasker 1.4 made gets those columns when the module upgrades."""
    site.modules.get("Tasker")
    site.db.ddl("ALTER TABLE tasker_tasks DROP COLUMN claimed_at")
    site.db.ddl("ALTER TABLE tasker_steps DROP COLUMN runner")
    site.db.execute("UPDATE modules SET version = '1.4.0' WHERE class = 'Tasker'")
    upgraded = cms.boot(db_url, site_dir=tmp_path)
    try:
        upgraded.modules.get("Tasker")
        columns = {table: {c.name for c in upgraded.db.pw.get_columns(table)}
                   for table in ("tasker_tasks", "tasker_steps")}
        assert "claimed_at" in columns["tasker_tasks"] and "runner" in columns["tasker_steps"]
        assert upgraded.db.scalar("SELECT version FROM modules WHERE class = 'Tasker'") == "1.5.0"
    finally:
        upgraded.close()


def test_a_step_killed_mid_run_is_in_the_steps_table_once_its_lease_is_reaped(
        tasker, shared_site, worker_env, cli):
    """A worker's step SIGKILLed mid-run left no row in tasker_steps: the task's attempts
    counted the death, but its steps table (API, task page) and `tasks show`'s count of
    steps knew nothing of it. Once the reaper hands the task on, the step is recorded: when
    it was claimed, when it was found dead, "lost", the invoker and the runner."""
    tasker.site.modules.save_config("Tasker", lease_seconds=1)
    task = make_task(tasker, "sleepy", seconds=60)
    before = tasker.site.db.db_time()
    process = spawn_step(worker_env, task.id)
    try:
        runner = wait_for(lambda: (runtime(tasker, task, "running", "runner") or (0, None))[0]
                          and runtime(tasker, task, "runner")[0], 30)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait(10)
    killed = tasker.site.db.db_time()
    assert wait_for(lambda: reap_expired(tasker, task_id=task.id), 10) == [task.id]
    figures = tasker.get_step_figures(task)
    [lost] = figures["steps"]
    assert (lost["result"], lost["invoker"], lost["runner"], lost["records"]) == \
        ("lost", "worker", runner, 0)
    assert before - 0.5 <= lost["started"] <= killed
    assert lost["started"] + lost["seconds"] >= killed - 0.5      # found dead after the kill
    assert figures["step_count"] == 1
    assert runtime(tasker, task, "attempts", "running") == (1, 0)
    code, out, _ = cli("tasks", "show", task.id)
    assert code == 0 and "steps      1 in" in out, out
    with admin_client(shared_site) as client:
        table = steps_table(client.get(f"/admin/tasks/{task.id}/").text)
    assert "<td>lost</td>" in table and runner in table, table


def test_a_step_its_runner_killed_past_its_time_is_recorded_as_killed(tasker):
    """The supervisor kills a step that overran its timeout (or its memory) and fails the
    task (`fail_claimed`): that step, too, left no row; it is recorded as "killed"."""
    task = make_task(tasker, "sleepy", seconds=60)
    claim = claim_task(tasker, task.id, invoker="worker", runner="elsewhere:4242")
    assert claim is not None
    time.sleep(0.05)
    assert fail_claimed(tasker, claim, "the step ran past its timeout", runner=claim.runner)
    [killed] = tasker.get_step_figures(task)["steps"]
    assert (killed["result"], killed["invoker"], killed["runner"]) == \
        ("killed", "worker", "elsewhere:4242")
    assert killed["seconds"] >= 0.04
    assert tasker.get_details(task)["steps"] == 1


def test_a_step_that_ends_records_its_runner(tasker):
    """Every step's row names the runner ("host:pid") beside the invoker, so a lost step's
    row reads like the others."""
    task = make_task(tasker, "noop")
    tasker.execute_task(task, {"invoker": "cron"})
    [step] = tasker.get_step_figures(task)["steps"]
    assert step["invoker"] == "cron" and step["runner"].endswith(f":{os.getpid()}")


# -- 2. a finished task activated again -----------------------------------------------------------
def finished_task(tasker):
    """A Jobs.count task run to its end: one record page, so a second run would show."""
    task = make_task(tasker, "count", total=1)
    assert tasker.execute_task(task) and tasker.get_state(task) == TaskState.FINISHED
    return task


def test_activating_a_finished_task_is_refused_and_runs_nothing_again(tasker):
    """activate_task on a finished task answered True and made it active: the next runner ran
    its method again (DESIGN.md says nothing of it; a suspend of a finished task is refused
    for that very reason: it answers False). It answers False too, nothing changes, and a
    warning says how to run it again on purpose; `activate_anyway=False` answers False, as
    documented."""
    task = finished_task(tasker)
    history = tasker.get_history(task)
    assert tasker.activate_task(task) is False
    assert re.search(r"has finished.*restart", str(tasker.site.notices.warnings()[-1]))
    assert tasker.activate_task_set([task]) is False
    assert tasker.activate_task(task, activate_anyway=False) is False
    assert tasker.get_state(task) == TaskState.FINISHED and tasker.get_history(task) == history
    assert not tasker.execute_task(task)             # nothing to run
    assert tasker.get_step_figures(task)["step_count"] == 1


def test_a_finished_task_runs_again_only_when_restarted(tasker):
    """The explicit way to run it again is the existing one: restart_task (a reset, then an
    activation), or reset_progress and activate_task."""
    task = finished_task(tasker)
    assert tasker.restart_task(task) and tasker.get_state(task) == TaskState.ACTIVE
    assert tasker.execute_task(task) and tasker.get_state(task) == TaskState.FINISHED
    assert tasker.reset_progress(task) and tasker.activate_task(task)


def test_the_cli_refuses_to_activate_a_finished_task_in_one_line(tasker, cli):
    task = finished_task(tasker)
    code, out, err = cli("tasks", "activate", task.id)
    assert code == 1 and out == "", (out, err)
    assert len(err.strip().splitlines()) == 1 and "has finished" in err and \
        f"tasks reset {task.id}" in err, err
    assert tasker.get_state(task) == TaskState.FINISHED


def test_the_admin_offers_no_activate_for_a_finished_task_and_the_api_refuses_it(
        tasker, shared_site):
    task = finished_task(tasker)
    with admin_client(shared_site) as client:
        page = client.get(f"/admin/tasks/{task.id}/").text
        answer = client.api("activate", task.id)
        form = client.post(f"/admin/tasks/{task.id}/action",
                           {"cmd": "activate", "csrf_token": client.token()})
        after = client.get(form.location).text
    assert 'value="activate"' not in page
    assert answer.status == 400 and answer.json()["status"] is False
    assert "has finished" in answer.json()["result"]
    assert "has finished" in after
    assert tasker.get_state(task) == TaskState.FINISHED


# -- 3. a dependency that failed, was deleted, or does not exist -----------------------------------
def pipeline(tasker):
    """(first, then): `then` depends on `first` and is its follow-up, as a pipeline is built;
    `first` is active, `then` waits."""
    first = make_task(tasker, "boom", title="Import")
    then = tasker.create_task("Jobs", "noop", tasker.site.pages.add("basic-page", 1, title="t"),
                              "Index", {"dep": first.id})
    tasker.add_next_task(first, then)
    return first, then


def test_unknown_dependencies_are_refused_when_the_task_is_made(tasker, cli):
    """(Already so; kept here as the third finding's other half.) A `dep` naming no task, or
    add_dependency on one, is a TaskError and nothing is made; the CLI says it in one line."""
    page = tasker.site.pages.add("basic-page", 1, title="p")
    before = tasker.get_task_ids()
    with pytest.raises(TaskError, match="999999.*not a task"):
        tasker.create_task("Jobs", "noop", page, "Orphan", {"dep": 999999})
    task = make_task(tasker, "noop", activate=False)
    with pytest.raises(TaskError, match="999999 is not a task"):
        tasker.add_dependency(task, 999999)
    code, _, err = cli("tasks", "create", "Jobs", "noop", page.id, "Orphan", "--data",
                       '{"dep": 999999}')
    assert code == 1 and "not a task" in err and len(err.strip().splitlines()) == 1, err
    assert tasker.get_task_ids() == before + [task.id]


def test_a_task_whose_dependency_failed_says_so_in_its_log_status_and_page(
        tasker, shared_site, cli):
    """A follow-up whose dependency failed waited for ever, "waiting" (or "ready to run")
    and nothing else: no log line, no warning in its summary, `tasks show` silent about its
    dependencies, and an activation refused with "waits for task(s) N to finish" as if N
    were still on its way. Now the failure is told to the tasks waiting for it: a warning in
    their log (so in the status answer, its summary and the task page), `tasks show` names
    what it waits for and that it failed, and so does a refused activation."""
    first, then = pipeline(tasker)
    assert tasker.execute_task(first) is False and tasker.get_state(first) == TaskState.FAILED
    assert tasker.get_state(then) == TaskState.WAITING
    status = tasker.get_status(then.id)
    said = [line for line in status.log if f"task {first.id}" in line]
    assert said and "failed" in said[0] and "waits for" in said[0], status.log
    assert "1 warning(s)" in status.summary
    code, out, _ = cli("tasks", "show", then.id)
    assert code == 0 and f"waits for  task {first.id} (failed)" in out, out
    assert tasker.activate_task(then) is False
    code, _, err = cli("tasks", "activate", then.id)
    assert code == 1 and f"task {first.id} (failed)" in err, err
    with admin_client(shared_site) as client:
        answer = client.api("status", then.id).json()
        page = client.get(f"/admin/tasks/{then.id}/").text
        refused = client.api("activate", then.id)
    assert any("failed" in line and f"task {first.id}" in line for line in answer["log"]), answer
    assert "Waits for" in page and "(failed)" in page and said[0] in page
    assert refused.status == 400 and f"task {first.id} (failed)" in refused.json()["result"]
    # tried again, the dependency finishes, and the follow-up starts
    tasker.site.db.execute("UPDATE field_task_data SET data = ? WHERE pages_id = ?",
                           ('{"module": "Jobs", "method": "noop", "pageid": 1, '
                            '"records_processed": 0, "max_records": 0, "task_done": 0}', first.id))
    tasker.site.db.execute("UPDATE tasker_tasks SET method = 'noop' WHERE pages_id = ?", (first.id,))
    assert tasker.activate_task(first) and tasker.execute_task(first)
    assert tasker.get_state(then) == TaskState.ACTIVE


def test_an_active_task_whose_dependency_is_killed_is_told(tasker):
    """An active task given a dependency later (or whose dependency was reset after it was
    activated) is passed by every claim while that dependency is unfinished: a kill of the
    dependency is told in its log, and why_not_claimable names it."""
    first = make_task(tasker, "noop", title="First")
    then = make_task(tasker, "noop", title="Then")
    tasker.add_dependency(then, first)
    tasker.stop_task(first, kill=True)
    assert any(f"task {first.id}" in line and "killed" in line for line in tasker.get_log(then))
    from cms.tasker.claim import why_not_claimable
    assert f"task {first.id} (killed)" in why_not_claimable(tasker, then.id)


def test_a_dependency_made_on_a_task_that_failed_is_told_at_once(tasker):
    first = make_task(tasker, "boom", title="Import")
    tasker.execute_task(first)
    then = tasker.create_task("Jobs", "noop", tasker.site.pages.add("basic-page", 1, title="t"),
                              "Index", {"dep": first.id})
    assert any(f"task {first.id}" in line and "failed" in line for line in tasker.get_log(then))


def test_a_deleted_or_trashed_dependency_is_waited_for_no_longer(tasker):
    """A dependency whose page was deleted goes with it (as a trashed one is released, README):
    the task is not left waiting for a task that is gone."""
    for remove in ("delete", "trash"):
        first = make_task(tasker, "noop", title="First", activate=False)
        then = make_task(tasker, "noop", title="Then", activate=False)
        tasker.add_dependency(then, first)
        if remove == "delete":
            tasker.site.pages.delete(first)
        else:
            tasker.trash_task(first)
        assert tasker.get_dependencies(then) == [] and tasker.activate_task(then), remove
        assert not any(f"task {first.id}" in line for line in tasker.get_log(then)), remove
