"""Faults found in review, second round: runners under real faults (steps killed past their
time, several runners sharing one database).

Real `python run.py worker` processes against the engine under test, on the runner tests'
Counter module (`runner_jobs.py`); those are marked slow.
"""
from __future__ import annotations

import pytest
from tasker_support import prepare_counter_site
from test_runners import add_task, cms

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
