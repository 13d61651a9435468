"""Faults found in review, second round: runners under real faults (steps killed past their
time or waiting for a lock, claims queued behind a run of steps, several runners sharing one
database).

Real `python run.py worker` processes against the engine under test, on the runner tests'
Counter module (`runner_jobs.py`); those are marked slow.
"""
from __future__ import annotations

import pytest
from conftest import ENGINE
from tasker_support import prepare_counter_site
from test_runners import add_task, cms, row

from cms.tasker import TaskState

prepare_shared_site = prepare_counter_site
TASKER_SETTINGS = {"lease_seconds": 3, "max_attempts": 20}
pytest_plugins = ("tasker_fixtures",)      # fixtures: shared_site, tasker, worker_env

# One worker process whose steps get 1 s and are killed half a second past it.
STRICT_WORKER = ("worker", "--processes", "1", "--step-time", "1", "--grace", "0.5",
                 "--until-idle", "--poll", "0.2")


@pytest.mark.slow
@pytest.mark.parametrize("policy", [{"retry": {"attempts": 2, "backoff": 600}}, {"every": 3600}])
def test_a_step_killed_past_its_timeout_keeps_to_its_retry_policy_and_schedule(tasker, worker_env,
                                                                              policy):
    """A step that raises is a failed step: a task with retries left is retried after its
    back-off, and a recurring task starts over at its next run ("one failed night stopped a
    nightly task for good", after_step.py). A step the worker killed for running past its
    time (or memory) failed its task for good instead, retries and schedule ignored, as did a
    runner that died max_attempts times: the failures a retry policy is there for."""
    task = add_task(tasker, "stubborn", "Overruns", {"seconds": 30}, **policy)
    done = cms(worker_env, *STRICT_WORKER)
    assert done.returncode == 0, done.stderr
    assert "killed" in done.stdout, done.stdout
    log = "\n".join(tasker.get_log(task))
    assert "ran past its timeout" in log, log
    assert tasker.get_state(task) == TaskState.ACTIVE, log
    failures, not_before, attempts = tasker.site.db.one(
        "SELECT failures, not_before, attempts FROM tasker_tasks WHERE pages_id = ?", (task.id,))
    wait = 600 if "retry" in policy else 3600
    assert tasker.site.db.db_time() + wait - 60 < not_before, not_before   # not run again now
    if "retry" in policy:
        assert (failures, attempts) == (1, 0)
        assert "retry 1 of 2 in 600 s" in log
    else:
        assert "failed; runs again at" in log and failures == 0


@pytest.mark.slow
def test_claims_queued_behind_a_run_of_short_but_not_tiny_steps_are_not_reaped(tasker, worker_env):
    """After a step of a millisecond a runner claims, with its commit, as many tasks as such
    steps fit in 20 ms, and runs them in turn; nothing renews the claims waiting in its queue.
    When the steps behind turn out to take 0.4 s each (none long enough, 0.5 s, to give the
    queue back by itself), the last claims waited for longer than their lease: the runner's own
    reaper took them for a dead runner's, counted an attempt, and with max_attempts=1 failed
    tasks that never ran ("the runner died 1 time(s) in a row"). (A lease of 2 s, not 1 (the
    eight slower steps still outlast it): with three suites on two slow cores a renewal a second
    late failed a task on both server engines in one run.)"""
    tasker.site.modules.save_config("Tasker", lease_seconds=2, max_attempts=1)
    quick = [add_task(tasker, "wait", f"Quick {i}", {"seconds": 0}, priority=5) for i in range(30)]
    slower = [add_task(tasker, "bump", f"Slower {i}", {"delay": 0.4}) for i in range(8)]
    done = cms(worker_env, "worker", "--processes", "1", "--until-idle", "--poll", "0.2")
    assert done.returncode == 0, done.stderr
    logs = {t.title: tasker.get_log(t) for t in quick + slower}
    assert [row(tasker, t)[:2] for t in quick + slower] == [(TaskState.FINISHED, 0)] * 38, \
        (done.stdout[-1500:], {title: log for title, log in logs.items() if log})
    assert not any("stopped answering" in line or "runner died" in line
                   for lines in logs.values() for line in lines), logs
    assert [tasker.site.pages.get(t.parent.id).get("hits") for t in slower] == [1] * 8


def test_claim_several_claims_no_more_tasks_than_asked(tasker):
    """`claim_several(tasker, 2)` with six tasks ready claims two. On PostgreSQL its UPDATE
    ... WHERE pages_id IN (SELECT ... LIMIT 2 FOR UPDATE SKIP LOCKED) ran the subquery again
    for every row of a nested-loop semi join, each time skipping the rows the statement had
    just updated, and claimed every ready task: one runner held the whole queue, the other
    machines' runners idled, and the claims behind outlived their lease."""
    from cms.tasker.claim import claim_several
    tasks = [add_task(tasker, "bump", f"Ready {i}") for i in range(6)]
    claims = claim_several(tasker, 2)
    assert len(claims) == 2
    running = tasker.site.db.all("SELECT pages_id FROM tasker_tasks WHERE running = 1")
    assert sorted(r[0] for r in running) == sorted(claim.task_id for claim in claims)
    assert sorted(claim.task_id for claim in claims) == [tasks[0].id, tasks[1].id]


@pytest.mark.slow
@pytest.mark.skipif(ENGINE == "sqlite", reason="a row lock another session holds (on SQLite a wait "
                    "for the write lock is not counted already)")
def test_a_run_now_step_waiting_for_a_row_lock_held_elsewhere_is_not_killed_as_overrunning(tasker):
    """Another session holds the row of the page a Run now (or lazy cron) step writes, for
    longer than the step's time plus the grace (an admin's long transaction, a runner frozen
    in its own). A worker's step that waits so is not blamed (its supervisor asks the server),
    as no step is for a wait on SQLite's write lock; Run now's and lazy cron's child told its
    watcher of the latter only, so it was killed "past its timeout" and the task failed. It
    waits, as a worker's step does, and the task finishes with its page bumped once."""
    import threading
    import time

    import cms
    from cms.tasker.runners.browser import GRACE, run_supervised_step
    site = tasker.site
    task = add_task(tasker, "bump", "Waits for a row")
    other = cms.boot(site.db.url, site_dir=site.site_dir)
    held = threading.Event()

    def hold() -> None:
        with other.transaction():
            other.db.execute("SELECT id FROM pages WHERE id = ? FOR UPDATE", (task.parent.id,))
            held.set()
            time.sleep(GRACE + 2)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        ran = run_supervised_step(tasker, task.id, {"invoker": "admin", "admin_run": True,
                                                    "timeout": time.time() + 0.5})
    finally:
        holder.join(30)
        other.close()
    log = "\n".join(tasker.get_log(task))
    assert "past its timeout" not in log, log
    assert ran is True and row(tasker, task)[:2] == (TaskState.FINISHED, 0), log
    assert site.pages.get(task.parent.id).get("hits") == 1
