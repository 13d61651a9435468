"""Faults found in review, third round: the Tasker under real faults (a runner SIGKILLed,
stopped at once or frozen mid-step, a stop asked meanwhile, database connections killed, a
server restarted or killed, a runner whose writes fail as on a full disk).

Real `python run.py worker|serve` processes against the engine under test, on the runner
tests' Counter module (`runner_jobs.py`); the tests after the defects' ones check behaviour
that was found sound under those faults.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time

import pytest
from conftest import ENGINE, PYTHON
from tasker_support import prepare_counter_site
from test_runners import (
    ROOT,
    add_task,
    in_process,
    output,
    row,
    rows_of,
    start,
    step_pid,
    stop_process,
    wait_for,
)

from cms.tasker import TaskState, reap_expired

prepare_shared_site = prepare_counter_site
TASKER_SETTINGS = {"lease_seconds": 1, "max_attempts": 20}
pytest_plugins = ("tasker_fixtures",)      # fixtures: shared_site, tasker, worker_env

ONE_WORKER = ("worker", "--processes", "1", "--poll", "0.2")
STOP_NOTES = {"kill": (TaskState.KILLED, "killed and reset to 0%"),
              "reset": (TaskState.WAITING, "reset to 0%")}


def started_step(tasker, worker_env, tmp_path, title: str):
    """A worker running a step that never saves (`stubborn`): (task, worker), once it runs."""
    started = tmp_path / "started"
    task = add_task(tasker, "stubborn", title, {"seconds": 3600, "started": str(started)})
    worker = start(worker_env, tmp_path, *ONE_WORKER)
    assert wait_for(lambda: started.exists() and step_pid(tasker, task), 30), output(tmp_path)
    return task, worker


def die(tasker, task, worker, tmp_path, death: str) -> None:
    """The step's process is SIGKILLed (its supervisor hands the task on), the runner is
    stopped at once (a second SIGTERM: it gives the claim back), or the whole runner is
    SIGKILLed (the lease runs out and a reaper elsewhere hands the task on)."""
    if death == "step":
        os.kill(step_pid(tasker, task), signal.SIGKILL)
        assert wait_for(lambda: row(tasker, task)[1] == 0, 15)
    elif death == "stopped at once":        # two SIGTERMs: its claim is given back at once
        worker.send_signal(signal.SIGTERM)
        assert wait_for(lambda: "finishing the running" in output(tmp_path), 10), output(tmp_path)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(15) == 0, output(tmp_path)
    else:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
        assert wait_for(lambda: reap_expired(tasker) == [task.id], 15)


@pytest.mark.slow
@pytest.mark.parametrize("death", ["step", "stopped at once", "runner"])
@pytest.mark.parametrize("action", ["kill", "reset"])
def test_a_stop_asked_while_the_step_runs_then_its_runner_dies_is_one_history_entry(
        tasker, worker_env, tmp_path, action, death):
    """A kill (or reset) asked while a step runs is applied when the step stops. When its
    runner died first, the reaper applied the reset and wrote a second history entry ("reset
    to 0% (applied when the runner's lease ran out)" by "reaper") for the one action: the
    task page said the task was reset twice, the second time by nobody who asked. A runner
    stopped at once gave the claim back with the reset left pending: the task kept the data
    and progress of the run the kill had undone."""
    task, worker = started_step(tasker, worker_env, tmp_path, "Stopped, then its runner dies")
    try:
        if action == "kill":
            assert tasker.stop_task(task, kill=True, by="alice")
        else:
            assert tasker.reset_progress(task, by="alice")
        die(tasker, task, worker, tmp_path, death)
    finally:
        stop_process(worker)
    state, note = STOP_NOTES[action]
    history = tasker.get_history(task)
    assert [(h["new"], h["who"]) for h in history[2:]] == [(state, "alice")], history
    assert history[-1]["note"].startswith(note), history
    assert row(tasker, task)[:3] == (state, 0, 0)
    assert tasker.site.db.scalar("SELECT reset_pending FROM tasker_tasks WHERE pages_id = ?",
                                 (task.id,)) == 0


def test_a_reset_then_activated_while_the_step_runs_is_not_failed_by_its_runners_death(tasker):
    """Reset while a step runs, then activated again before it stops (the admin's Reset, then
    Activate): the run the reset undoes is forgotten, its runner's death too. The reaper
    counted that death against the new run, and at `max_attempts` (here 1) failed the task
    ("the runner died 1 time(s) in a row") before it ever ran from 0%."""
    from cms.tasker import claim_task, sql
    tasker.site.modules.save_config("Tasker", max_attempts=1)
    task = add_task(tasker, "bump", "Reset and activated again")
    claim = claim_task(tasker, task.id, invoker="worker")
    assert tasker.reset_progress(task, by="alice") and tasker.activate_task(task, by="alice")
    tasker.site.db.execute(tasker.storage.sql(sql.EXPIRE_NOW), (task.id, claim.token))  # it died
    assert reap_expired(tasker) == [task.id]
    assert row(tasker, task) == (TaskState.ACTIVE, 0, 0, 0), tasker.get_log(task)
    assert [(h["new"], h["who"]) for h in tasker.get_history(task)[2:]] == [
        (TaskState.WAITING, "alice"), (TaskState.ACTIVE, "alice")]


def kill_connections(site) -> int:
    """Kill every other connection to this test's database (its runners'), as a server restart
    or a proxy's idle cut would: PostgreSQL's pg_terminate_backend, MariaDB's KILL."""
    db = site.db
    if db.engine == "postgresql":
        return len(db.all("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                          "datname = current_database() AND pid <> pg_backend_pid()"))
    ids = [r[0] for r in db.all("SELECT id FROM information_schema.processlist WHERE "
                                "db = DATABASE() AND id <> CONNECTION_ID()")]
    for connection in ids:
        db.execute(f"KILL {int(connection)}")
    return len(ids)


@pytest.mark.slow
@pytest.mark.skipif(ENGINE == "sqlite", reason="a connection of a server engine's, killed")
def test_a_kill_asked_while_the_step_runs_then_its_connection_is_killed_is_applied(
        tasker, worker_env, tmp_path):
    """The step's database connection is killed after a kill was asked (a server restart):
    the step is rolled back and its task given back as for any passing trouble of the
    database, but the pending reset was left pending. The task stayed KILLED at the progress
    and task_data of the run the kill had undone; activated again, it resumed from there."""
    tasker.site.modules.save_config("Tasker", lease_seconds=3)
    task = add_task(tasker, "import_rows", "Killed, then cut off",
                    {"total": 1000, "delay": 0.01, "every": 5})
    worker = start(worker_env, tmp_path, *ONE_WORKER)
    try:
        assert wait_for(lambda: row(tasker, task)[2] >= 2, 30), output(tmp_path)
        os.kill(step_pid(tasker, task), signal.SIGSTOP)       # between two saves
        assert tasker.stop_task(task, kill=True, by="alice")
        assert kill_connections(tasker.site) >= 1
        os.kill(step_pid(tasker, task), signal.SIGCONT)
        assert wait_for(lambda: row(tasker, task)[1] == 0, 15), output(tmp_path)
    finally:
        stop_process(worker)
    assert row(tasker, task)[:3] == (TaskState.KILLED, 0, 0), tasker.get_log(task)
    data = json.loads(tasker.site.pages.get(task.id).get("task_data"))
    assert data["records_processed"] == 0
    assert tasker.site.db.scalar("SELECT reset_pending FROM tasker_tasks WHERE pages_id = ?",
                                 (task.id,)) == 0



@pytest.mark.skipif(ENGINE == "sqlite", reason="on SQLite the step ahead holds the write lock: "
                    "a stop lands only once the queue behind it was given back or run")
@pytest.mark.parametrize("ahead_seconds", [0.3, 1.2])
@pytest.mark.parametrize("action", ["kill", "suspend"])
def test_a_task_stopped_while_its_claim_waits_in_a_runners_queue_does_not_run(
        tasker, monkeypatch, action, ahead_seconds):
    """After short steps a runner claims the next tasks with its commit and runs them in
    turn. A task killed or suspended while its claim waited behind a longer step still ran
    its method when its turn came (its row was read with the claim, before the stop): a
    killed task bumped its counter. Given back by the heartbeat instead (the step ahead ran
    past HAND_BACK_AFTER), a killed task kept the data and progress of the run the kill had
    reset ("applied when the running step stops"), its reset pending for ever.
    (A real worker showed both; here a runner loop in a thread, whose first short step
    claims the next ones for certain.)"""
    import threading
    monkeypatch.setattr(tasker.storage, "batch_steps", 4)
    monkeypatch.setattr(tasker.storage, "batch_seconds", 5.0)
    first = add_task(tasker, "bump", "First", priority=10)
    ahead = add_task(tasker, "wait", "Ahead", {"seconds": ahead_seconds}, priority=9)
    queued = add_task(tasker, "bump", "Queued behind", priority=8)
    runner = threading.Thread(target=in_process(tasker).run)
    runner.start()
    try:
        assert wait_for(lambda: row(tasker, queued)[1] == 1 and row(tasker, ahead)[1] == 1, 10,
                        every=0.005)
        assert tasker.stop_task(queued, kill=action == "kill", by="alice")
    finally:
        runner.join(20)
    assert [row(tasker, t)[:2] for t in (first, ahead)] == [(TaskState.FINISHED, 0)] * 2
    assert tasker.site.pages.get(queued.parent.id).get("hits") is None      # never ran
    state = TaskState.KILLED if action == "kill" else TaskState.WAITING
    assert row(tasker, queued) == (state, 0, 0, 0), tasker.get_log(queued)
    assert tasker.site.db.scalar("SELECT reset_pending FROM tasker_tasks WHERE pages_id = ?",
                                 (queued.id,)) == 0
    assert [(h["new"], h["who"]) for h in tasker.get_history(queued)[2:]] == [(state, "alice")]


@pytest.mark.slow
@pytest.mark.skipif(ENGINE == "sqlite", reason="a runner frozen mid-step holds SQLite's write lock: "
                    "no other runner takes its task before it wakes")
def test_a_runner_paused_past_its_lease_does_not_write_over_the_runner_that_took_over(
        tasker, worker_env, tmp_path):
    """Two workers on one database; the one running an import is frozen (SIGSTOP: a paused VM)
    for longer than its lease. The other reaps the task and carries it on from the last save;
    when the first wakes, its claim is lost: its step must roll back what it did since its
    last save and leave the task, its data and its rows to the new owner (fencing)."""
    site = tasker.site
    target = site.pages.add("counter", 1, title="Import")
    total = 120
    task = add_task(tasker, "import_rows", "Import", {"total": total, "delay": 0.02, "every": 5},
                    page=target)
    # steps of 2 s: the server ends a frozen step's session 2 s + the lease after its last
    # statement (step_transaction.py), and with it the locks its open transaction held
    first = start(worker_env, tmp_path, *ONE_WORKER, "--step-time", "2", name="first")
    second = None
    try:
        assert wait_for(lambda: row(tasker, task)[2] >= 5, 30), output(tmp_path, "first")
        frozen = step_pid(tasker, task)
        os.killpg(first.pid, signal.SIGSTOP)
        second = start(worker_env, tmp_path, *ONE_WORKER, "--step-time", "2", name="second")
        assert wait_for(lambda: step_pid(tasker, task) not in (None, frozen)
                        and row(tasker, task)[2] >= 20, 30), output(tmp_path, "second")
        os.killpg(first.pid, signal.SIGCONT)
        assert wait_for(lambda: tasker.get_state(task) == TaskState.FINISHED, 30), \
            (output(tmp_path, "first"), output(tmp_path, "second"))
    finally:
        os.killpg(first.pid, signal.SIGCONT)
        stop_process(first)
        if second is not None:
            stop_process(second)
    log = "\n".join(tasker.get_log(task))
    assert "failed" not in log, log
    assert rows_of(site, target) == sorted(f"row-{n}" for n in range(total))
    data = json.loads(site.pages.get(task.id).get("task_data"))
    assert (data["records_processed"], row(tasker, task)[2]) == (total, 100)


@pytest.mark.slow
@pytest.mark.parametrize("action", ["kill", "reset", "trash"])
def test_a_parent_stopped_mid_run_holds_its_dependents_and_follow_ups_as_it_should(
        tasker, worker_env, tmp_path, action):
    """A task others depend on (and one it activates when it finishes) is killed, reset or
    trashed while a worker runs its step. Killed or reset, it has not finished: the task that
    depends on it does not run and the follow-up stays waiting. Trashed, it never finishes, so
    the task that depended on it no longer waits for it (as in the original Tasker) and runs;
    the follow-up is still not activated. The stopped step keeps its rows consistent with
    the data it saved (trashed: kept for a restore)."""
    site = tasker.site
    target = site.pages.add("counter", 1, title="Import")
    parent = add_task(tasker, "import_rows", "Parent", {"total": 400, "delay": 0.01, "every": 5},
                      page=target)
    dependent = add_task(tasker, "bump", "Depends on it")     # active: its claim waits
    tasker.add_dependency(dependent, parent)
    follow_up = add_task(tasker, "bump", "Follows it", activate=False)
    tasker.add_next_task(parent, follow_up)
    worker = start(worker_env, tmp_path, *ONE_WORKER)
    try:
        assert wait_for(lambda: row(tasker, parent)[2] >= 5, 30), output(tmp_path)
        {"kill": lambda: tasker.stop_task(parent, kill=True, by="alice"),
         "reset": lambda: tasker.reset_progress(parent, by="alice"),
         "trash": lambda: tasker.trash_task(parent, by="alice")}[action]()
        assert wait_for(lambda: row(tasker, parent)[1] == 0, 15), output(tmp_path)
        if action == "trash":
            assert wait_for(lambda: tasker.get_state(dependent) == TaskState.FINISHED, 15), \
                output(tmp_path)
        else:
            time.sleep(1.0)                   # several polls of the worker: nothing may run
    finally:
        stop_process(worker)
    history = tasker.get_history(parent)
    assert [(h["who"], h["note"].split(" (")[0]) for h in history[2:]] == [
        ("alice", {"kill": "killed and reset to 0%", "reset": "reset to 0%", "trash": "trashed"}[action])]
    data = json.loads(site.pages.get(parent.id).get("task_data"))
    if action == "trash":
        assert tasker.get_state(parent) == TaskState.KILLED and 0 < data["records_processed"] < 400
        assert site.pages.get(parent.id).is_trash()
        assert site.pages.get(dependent.parent.id).get("hits") == 1
    else:
        assert row(tasker, parent)[:3] == (
            TaskState.KILLED if action == "kill" else TaskState.WAITING, 0, 0)
        assert data["records_processed"] == 0
        assert tasker.get_state(dependent) == TaskState.ACTIVE
        assert site.pages.get(dependent.parent.id).get("hits") is None
    assert len(rows_of(site, target)) >= 5               # what the stopped steps committed stays
    assert tasker.get_state(follow_up) == TaskState.WAITING
    assert site.pages.get(follow_up.parent.id).get("hits") is None


@pytest.mark.slow
def test_a_recurring_task_whose_runs_overrun_its_period_keeps_it_across_a_worker_killed_mid_run(
        tasker, worker_env, tmp_path):
    """A task recurring every second whose runs take 1.2 s (longer than the period), its
    worker SIGKILLed mid-run and another started: the killed run is resumed once the lease
    runs out, and every run starts a period after the previous one ended (a late run does not
    bring a burst of runs to catch up), none failed."""
    task = add_task(tasker, "wait", "Every second", {"seconds": 1.2}, every=1)
    # the runs' steps, not the row the reaper writes for the step that died ("lost")
    steps = ("SELECT started, seconds FROM tasker_steps WHERE pages_id = ? AND result <> 'lost' "
             "ORDER BY id")

    def count() -> int:
        return len(tasker.site.db.all(steps, (task.id,)))
    worker = start(worker_env, tmp_path, *ONE_WORKER)
    try:
        assert wait_for(lambda: count() >= 2 and step_pid(tasker, task), 30), output(tmp_path)
        os.killpg(worker.pid, signal.SIGKILL)              # mid-run
        worker.wait(10)
        worker = start(worker_env, tmp_path, *ONE_WORKER, name="again")
        assert wait_for(lambda: count() >= 4, 30), output(tmp_path, "again")
    finally:
        stop_process(worker)
    log = "\n".join(tasker.get_log(task))
    assert log.count("stopped answering") == 1 and "failed" not in log, log
    ran = tasker.site.db.all(steps, (task.id,))
    gaps = [later[0] - (started + seconds) for (started, seconds), later in zip(ran, ran[1:])]
    assert all(gap >= 0.9 for gap in gaps), (gaps, log)
    assert row(tasker, task)[0] == TaskState.ACTIVE


@pytest.mark.slow
def test_max_running_holds_while_step_processes_die_and_frees_their_place(tasker, worker_env,
                                                                          tmp_path):
    """max_running=1 with a worker of two processes: while the one step runs, the other
    process claims nothing; when that step's process is SIGKILLed, its place is freed at once
    (its supervisor reaps it) and the next task runs; never two at a time."""
    tasker.site.modules.save_config("Tasker", max_running=1)
    started = tmp_path / "started"
    stubborn = add_task(tasker, "stubborn", "Holds the one place",
                        {"seconds": 3600, "started": str(started)}, priority=5)
    others = [add_task(tasker, "bump", f"Waits for a place {i}") for i in range(3)]
    running = "SELECT COUNT(*) FROM tasker_tasks WHERE running = 1"
    seen: list[int] = []
    worker = start(worker_env, tmp_path, "worker", "--processes", "2", "--poll", "0.2")
    try:
        assert wait_for(started.exists, 30), output(tmp_path)
        assert not wait_for(lambda: seen.append(tasker.site.db.scalar(running)) or
                            tasker.get_state(others[0]) == TaskState.FINISHED, 1.0)
        tasker.site.db.execute("UPDATE tasker_tasks SET priority = 0 WHERE pages_id = ?",
                               (stubborn.id,))            # after the others once it is back
        os.kill(step_pid(tasker, stubborn), signal.SIGKILL)
        assert wait_for(lambda: seen.append(tasker.site.db.scalar(running)) or all(
            tasker.get_state(t) == TaskState.FINISHED for t in others), 20), output(tmp_path)
    finally:
        stop_process(worker)
    assert max(seen) == 1, seen
    assert [tasker.site.pages.get(t.parent.id).get("hits") for t in others] == [1, 1, 1]
    assert "was killed by signal SIGKILL" in "\n".join(tasker.get_log(stubborn))


@pytest.mark.slow
@pytest.mark.skipif(ENGINE == "sqlite", reason="a connection of a server engine's, killed")
def test_connections_killed_again_and_again_mid_import_lose_and_double_no_row(tasker, worker_env,
                                                                             tmp_path):
    """Every runner connection to the database killed three times during an import (as a
    server restart or a proxy's cut would): each step cut off rolls back to its last save
    and the task goes on from there; it finishes with each row exactly once."""
    site = tasker.site
    target = site.pages.add("counter", 1, title="Import")
    total = 150
    task = add_task(tasker, "import_rows", "Import", {"total": total, "delay": 0.01, "every": 5},
                    page=target)
    worker = start(worker_env, tmp_path, *ONE_WORKER)
    try:
        for cut in range(3):
            assert wait_for(lambda: row(tasker, task)[2] >= 20 * (cut + 1), 30), output(tmp_path)
            assert kill_connections(site) >= 1
        assert wait_for(lambda: tasker.get_state(task) == TaskState.FINISHED, 30), output(tmp_path)
        assert worker.poll() is None, output(tmp_path)
    finally:
        stop_process(worker)
    assert rows_of(site, target) == sorted(f"row-{n}" for n in range(total))
    assert "failed" not in "\n".join(tasker.get_log(task))


def serving(worker_env, tmp_path, name: str):
    """`python run.py serve` on a free port, once it answers: (process, a client logged in as
    the superuser alice)."""
    import types

    from webclient import PASSWORD, Client, free_port
    port = free_port()
    server = start(worker_env, tmp_path, "serve", "--host", "127.0.0.1", "--port", str(port),
                   name=name)
    client = Client(types.SimpleNamespace(port=port))

    def answers() -> bool:
        try:
            return client.get("/admin/login").status == 200
        except OSError:
            client.close()
            client.conn = None
            return False
    assert wait_for(answers, 30, every=0.1), output(tmp_path, name)
    client.login("alice", PASSWORD)
    return server, client


@pytest.mark.slow
def test_a_kill_from_the_api_across_a_server_restart_and_a_dead_step_reads_once_on_the_task_page(
        tasker, worker_env, tmp_path):
    """The real thing, through `python run.py serve`: alice kills a running task from the
    task API, the server is restarted, the step's process is SIGKILLed; the task page (from
    the new server) shows the task killed once, by alice, and nothing by the reaper."""
    from webclient import PASSWORD
    tasker.site.users.add("alice", PASSWORD)
    tasker.site.modules.save_config("Tasker", enable_lazy_cron=0)
    task, worker = started_step(tasker, worker_env, tmp_path, "Killed from the API")
    server, client = serving(worker_env, tmp_path, "serve")
    try:
        answer = client.api("kill", task.id)
        assert answer.status == 200 and answer.json()["status"], answer
        client.close()
        stop_process(server)
        server, client = serving(worker_env, tmp_path, "serve-again")
        os.kill(step_pid(tasker, task), signal.SIGKILL)
        assert wait_for(lambda: row(tasker, task)[1] == 0, 15), output(tmp_path)
        page = client.get(f"/admin/tasks/{task.id}/").text
        history = page[page.index('<table class="history">'):]
        history = history[:history.index("</table>")]
    finally:
        client.close()
        stop_process(server)
        stop_process(worker)
    assert history.count("<tr><td>") == 3, history      # created, activated, killed
    assert "reaper" not in history and history.count("<td>alice</td>") == 1, history
    assert row(tasker, task)[:3] == (TaskState.KILLED, 0, 0)


@pytest.mark.slow
def test_a_run_now_step_outlives_no_server_killed_under_it(tasker, worker_env, tmp_path):
    """Run now from the admin (the API's `run`) runs its step in a child the request watches;
    the server is SIGKILLed mid-step. The child dies with it (no step runs on unwatched), and
    the task's claim runs out and is handed on with a log line, one attempt counted."""
    import contextlib
    import http.client
    import threading

    from webclient import PASSWORD
    tasker.site.users.add("alice", PASSWORD)
    tasker.site.modules.save_config("Tasker", enable_lazy_cron=0, ajax_timeout=20)
    started = tmp_path / "started"
    task = add_task(tasker, "stubborn", "Run now", {"seconds": 3600, "started": str(started)})
    server, client = serving(worker_env, tmp_path, "serve")
    token = client.token()

    def run_now() -> None:
        with contextlib.suppress(OSError, http.client.HTTPException):    # its server dies
            client.post(f"/admin/tasks/api?id={task.id}&cmd=run", {}, {"X-CSRF-Token": token})
    caller = threading.Thread(target=run_now)
    try:
        caller.daemon = True
        caller.start()
        assert wait_for(lambda: started.exists() and step_pid(tasker, task), 30), \
            output(tmp_path, "serve")
        child = step_pid(tasker, task)
        os.kill(server.pid, signal.SIGKILL)             # the server only, not its group
        server.wait(10)

        def gone() -> bool:
            try:
                os.kill(child, 0)
            except ProcessLookupError:
                return True
            return open(f"/proc/{child}/stat").read().split()[2] == "Z"
        assert wait_for(gone, 10), f"the Run now step {child} outlived its server"

        def group_gone() -> bool:          # nor its forkserver, nor anything else it started
            try:
                os.killpg(server.pid, 0)
            except ProcessLookupError:
                return True
            return False
        assert wait_for(group_gone, 10), os.popen(f"ps -o pid,stat,args -g {server.pid}").read()
        assert wait_for(lambda: reap_expired(tasker) == [task.id], 15)
    finally:
        stop_process(server)            # and whatever is left in its group
        client.close()
    assert row(tasker, task) == (TaskState.ACTIVE, 0, 0, 1)
    assert "stopped answering" in "\n".join(tasker.get_log(task))


@pytest.mark.slow
@pytest.mark.skipif(ENGINE != "sqlite", reason="the runner's own writes to the SQLite file fail "
                    "(a server engine writes its files itself)")
def test_a_runner_whose_writes_fail_mid_import_keeps_the_data_whole_and_resumes(tasker, worker_env,
                                                                               tmp_path):
    """The worker's writes start failing mid-import as on a full disk: its file-size limit
    (RLIMIT_FSIZE, set for it alone, no root needed) is a little above the database's size,
    so SQLite's writes to its WAL fail with a disk I/O error. The step process stops on the
    error and is started again, with a back-off; the rows on disk always match the saved
    records_processed. Once the limit is lifted (space freed) the import finishes, each row
    exactly once, and the task queued behind it runs."""
    import resource
    site = tasker.site
    target = site.pages.add("counter", 1, title="Import")
    total = 1500
    task = add_task(tasker, "import_rows", "Import", {"total": total, "every": 20}, page=target)
    after = add_task(tasker, "bump", "Queued behind")
    site.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    limit = os.path.getsize(site.db.url.removeprefix("sqlite:///")) + 400_000

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)       # EFBIG from write(), not a signal
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    out = open(tmp_path / "worker.out", "w")
    worker = subprocess.Popen([PYTHON, "run.py", *ONE_WORKER], cwd=ROOT, env=worker_env, stdout=out,
                              stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=limited)
    out.close()
    try:
        assert wait_for(lambda: output(tmp_path).count("disk I/O error") >= 2, 20), output(tmp_path)
        saved = json.loads(site.pages.get(task.id).get("task_data"))["records_processed"]
        assert 0 < saved < total and len(rows_of(site, target)) == saved
        for pid in os.popen(f"pgrep -g {worker.pid}").read().split():      # space freed
            # (a step process may have ended since pgrep saw it; the next one the worker
            # starts takes the worker's lifted limit)
            with contextlib.suppress(ProcessLookupError):
                resource.prlimit(int(pid), resource.RLIMIT_FSIZE,
                                 (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        assert wait_for(lambda: tasker.get_state(after) == TaskState.FINISHED
                        and tasker.get_state(task) == TaskState.FINISHED, 20), output(tmp_path)
    finally:
        stop_process(worker)
    assert rows_of(site, target) == sorted(f"row-{n}" for n in range(total))
    assert site.pages.get(after.parent.id).get("hits") == 1
