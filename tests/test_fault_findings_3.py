"""Faults found in review, third round: the Tasker under real faults (a runner SIGKILLed or
frozen mid-step, a stop asked meanwhile, database connections killed).

Real `python run.py worker|cron` processes against the engine under test, on the runner tests'
Counter module (`runner_jobs.py`).
"""
from __future__ import annotations

import os
import signal

import pytest
from tasker_support import prepare_counter_site
from test_runners import add_task, output, row, start, step_pid, stop_process, wait_for

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


def die(tasker, task, worker, death: str) -> None:
    """The step's process is SIGKILLed (its supervisor hands the task on), or the whole runner
    is (the lease runs out and a reaper elsewhere hands it on)."""
    if death == "step":
        os.kill(step_pid(tasker, task), signal.SIGKILL)
        assert wait_for(lambda: row(tasker, task)[1] == 0, 15)
    else:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
        assert wait_for(lambda: reap_expired(tasker) == [task.id], 15)


@pytest.mark.slow
@pytest.mark.parametrize("death", ["step", "runner"])
@pytest.mark.parametrize("action", ["kill", "reset"])
def test_a_stop_asked_while_the_step_runs_then_its_runner_dies_is_one_history_entry(
        tasker, worker_env, tmp_path, action, death):
    """A kill (or reset) asked while a step runs is applied when the step stops. When its
    runner died first, the reaper applied the reset and wrote a second history entry ("reset
    to 0% (applied when the runner's lease ran out)" by "reaper") for the one action: the
    task page said the task was reset twice, the second time by nobody who asked."""
    task, worker = started_step(tasker, worker_env, tmp_path, "Stopped, then its runner dies")
    try:
        if action == "kill":
            assert tasker.stop_task(task, kill=True, by="alice")
        else:
            assert tasker.reset_progress(task, by="alice")
        die(tasker, task, worker, death)
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
