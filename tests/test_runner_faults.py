"""Runners under faults found in review: clocks that disagree, claims held ahead of a long step,
a runner frozen (SIGSTOP, a paused VM) past its lease.

Real `python run.py cron|worker` processes against the engine under test, on the runner tests'
Counter module (`runner_jobs.py`), so they are marked slow.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from conftest import ENGINE, PYTHON
from tasker_support import prepare_counter_site
from test_runners import ROOT, add_task, cms, output, row, start, stop_process, wait_for

from cms.tasker import TaskState

pytestmark = pytest.mark.slow

SETTINGS = {"lease_seconds": 3, "max_attempts": 20}
prepare_shared_site = prepare_counter_site
TASKER_SETTINGS = SETTINGS
pytest_plugins = ("tasker_fixtures",)      # fixtures: shared_site, tasker, worker_env

# `python run.py ...` on a machine whose clock is two minutes behind the database server's.
SKEWED = ("import sys, time; real = time.time; time.time = lambda: real() - 120; "
          "from cms.cli import main; sys.exit(main())")


@pytest.mark.parametrize("kind", ["every", "retry"])
def test_a_runner_whose_clock_is_behind_waits_for_the_next_run_by_the_database_clock(
        tasker, worker_env, kind):
    """Leases are timed by the database's clock "so machines with skewed clocks agree"; the
    next run of a recurring task and a retry's back-off must be too. A cron run on a machine
    two minutes behind ran a task recurring every 60 s back to back (hundreds of times in a
    few seconds) and spent a retry policy's back-off of 60 s at once."""
    if kind == "every":
        task = add_task(tasker, "bump", "Every minute", every=60)
    else:
        task = add_task(tasker, "fail", "Retried", retry={"attempts": 3, "backoff": 60})
    done = subprocess.run([PYTHON, "-c", SKEWED, "cron", "--time-limit", "4"], cwd=ROOT,
                          env=worker_env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    steps = tasker.site.db.scalar("SELECT steps FROM tasker_tasks WHERE pages_id = ?", (task.id,))
    assert (tasker.get_state(task), steps) == (TaskState.ACTIVE, 1), done.stdout[-600:]
    not_before = tasker.site.db.scalar("SELECT not_before FROM tasker_tasks WHERE pages_id = ?",
                                       (task.id,))
    assert not_before > tasker.site.db.db_time() + 50


def test_claims_held_ahead_of_a_long_step_are_not_reaped_as_dead_runners(tasker, worker_env):
    """After short steps a runner claims the next tasks with its commit (ClaimAhead) and runs
    them in turn. When one of them runs long without saving (a one-step task waiting on I/O),
    nobody renewed the claims queued behind it: at their lease's end the worker's own reaper
    took them for a dead runner's ("stopped answering"), counted an attempt, and at
    max_attempts failed tasks that never ran. The claims must be renewed or given back. (A
    lease of 2 s, not 1: at a load of 15 a heartbeat a second late failed a task.)"""
    tasker.site.modules.save_config("Tasker", lease_seconds=2, max_attempts=1)
    short = [add_task(tasker, "bump", f"Short {i}", priority=10) for i in range(8)]
    long = add_task(tasker, "wait", "Long", {"seconds": 6}, priority=9)
    behind = [add_task(tasker, "bump", f"Behind {i}", priority=8) for i in range(3)]
    done = cms(worker_env, "worker", "--processes", "1", "--until-idle", "--poll", "0.2")
    assert done.returncode == 0, done.stderr
    assert row(tasker, long)[:2] == (TaskState.FINISHED, 0)
    logs = {t.title: tasker.get_log(t) for t in short + behind}
    assert [row(tasker, t)[:2] for t in short + behind] == [(TaskState.FINISHED, 0)] * 11, \
        (done.stdout[-1500:], logs)
    assert not any("stopped answering" in line or "runner died" in line
                   for lines in logs.values() for line in lines), logs
    assert [tasker.site.pages.get(t.parent.id).get("hits") for t in behind] == [1] * 3


@pytest.mark.skipif(ENGINE == "sqlite", reason="a runner frozen mid-step holds SQLite's write lock: "
                    "nobody reaps its task before it wakes")
def test_a_runner_frozen_past_its_lease_leaves_the_task_the_reaper_handed_on(tasker, worker_env,
                                                                             tmp_path):
    """A worker frozen mid-step (SIGSTOP, a paused VM) past its lease: the reaper hands the
    task on with its last saved data ("attempt 1 of 20"). When the worker wakes, its step's
    deadline has passed during the freeze, and its supervisor killed the step as overrunning
    and failed the task it no longer held: a runner that lost its claim must leave the task
    alone (DESIGN.md), and a task that is merely paused did not ignore its timeout."""
    from cms.tasker import reap_expired
    site = tasker.site
    site.modules.save_config("Tasker", lease_seconds=1, max_attempts=20)
    target = site.pages.add("counter", 1, title="Import")
    task = add_task(tasker, "import_rows", "Import", {"total": 400, "delay": 0.02, "every": 5},
                    page=target)
    worker = start(worker_env, tmp_path, "worker", "--processes", "1", "--poll", "0.2",
                   "--step-time", "2", "--grace", "1")
    try:
        assert wait_for(lambda: row(tasker, task)[2] >= 3, 30), output(tmp_path)
        os.killpg(worker.pid, signal.SIGSTOP)         # the whole runner freezes
        time.sleep(4)                                 # past its lease, and past its deadline
        assert reap_expired(tasker) == [task.id]      # another machine's reaper hands it on
        assert row(tasker, task)[:2] == (TaskState.ACTIVE, 0)
        os.killpg(worker.pid, signal.SIGCONT)
        time.sleep(2)
        log = "\n".join(tasker.get_log(task))
        assert tasker.get_state(task) == TaskState.ACTIVE, (log, output(tmp_path))
        assert "ran past its timeout" not in log
    finally:
        os.killpg(worker.pid, signal.SIGCONT)
        stop_process(worker)


def test_claims_the_heartbeat_could_not_give_back_after_the_runner_stopped_are_not_queued():
    """The heartbeat drains the queue behind a long step and gives the claims back; one it
    could not give back (SQLite's lock held) went back in the queue even when the runner had
    stopped meanwhile and read it no more, so its lease ran out and an attempt was counted
    for a task that never ran. After close() such claims are returned, to be given back."""
    from cms.tasker.claim import Claim, ClaimAhead
    claims = [Claim(task_id, "token", "host:1", "worker", 30.0, 0) for task_id in (1, 2, 3)]
    ahead = ClaimAhead(lambda count: claims[:count])
    ahead.take(3)
    ahead.keep()
    drained = ahead.hand_back()                  # the heartbeat's, while the runner still runs
    assert ahead.requeue(drained[1:]) == [] and ahead.queued() == 2
    assert ahead.pop() is claims[1]
    held = ahead.hand_back()
    assert ahead.close() == []                   # the runner stops: nothing left for it
    assert ahead.requeue(held) == held and ahead.queued() == 0


def test_a_step_s_commit_gives_back_the_claims_the_heartbeat_is_giving_back(tasker):
    """The heartbeat took the queue behind a long step to give it back, and its release waited
    for SQLite's write lock, which the step held: the step's commit, finding the queue empty,
    gave nothing back, and the lock it freed went as often to the supervisor's reaper, which
    took those claims' expired leases for a dead runner's and, at max_attempts=1, failed tasks
    that never ran (test_claims_held_ahead_of_a_long_step_are_not_reaped_as_dead_runners
    failed so in CI). The step's give_back takes the claims in flight too, and the heartbeat
    does not queue again those it gave back."""
    from cms.tasker.claim import ClaimAhead, claim_several
    tasks = [add_task(tasker, "bump", f"Queued {i}") for i in range(3)]
    ahead = ClaimAhead(lambda count: claim_several(tasker, count, lease_seconds=30))
    ahead.take(3)
    ahead.keep()
    in_flight = ahead.hand_back()                # the heartbeat's, waiting for the lock
    assert len(in_flight) == 3 and ahead.queued() == 0 and ahead.out()
    running = "SELECT running FROM tasker_tasks WHERE pages_id = ?"
    assert [tasker.site.db.scalar(running, (task.id,)) for task in tasks] == [1, 1, 1]
    with tasker.site.transaction():              # the step's last commit
        assert ahead.give_back(tasker) == in_flight
    assert [tasker.site.db.scalar(running, (task.id,)) for task in tasks] == [0, 0, 0]
    assert ahead.requeue(in_flight[1:]) == [] and ahead.queued() == 0    # not run: given back
    ahead.handed_back()
    assert not ahead.out() and not ahead.giving_back(ahead.hand_backs())
