"""Faults found in review, third round: the Tasker under real faults (a runner SIGKILLed or
frozen mid-step, a stop asked meanwhile, database connections killed).

Real `python run.py worker|cron` processes against the engine under test, on the runner tests'
Counter module (`runner_jobs.py`).
"""
from __future__ import annotations

import json
import os
import signal

import pytest
from conftest import ENGINE
from tasker_support import prepare_counter_site
from test_runners import add_task, in_process, output, row, start, step_pid, stop_process, wait_for

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
