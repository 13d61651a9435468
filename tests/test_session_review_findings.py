"""Findings of the review of the session's merges (Tasker 1.5's records of dead steps, the
two-tab forms, the CLI's exit codes), each a behaviour a user would see go wrong."""
from __future__ import annotations

from tasker_support import make_task, runtime

from cms.tasker import claim_task, reap_expired

pytest_plugins = ("tasker_fixtures",)      # fixtures: shared_site, tasker, cli, worker_env


def test_a_step_reaped_long_after_its_lease_ran_out_counts_only_until_then(tasker):
    """A runner SIGKILLed, and no runner about to reap it for an hour (a machine down
    overnight, cron stopped): the lost step was recorded from its claim to when it was found,
    an hour of running with no records, which the task's run time and its rate and ETA (records
    per second over the kept steps) took as work. It was dead by the end of its lease at the
    latest (a live step renews it), so its row ends there."""
    task = make_task(tasker, "count", total=100)
    assert tasker.execute_task(task, {"timeout": 0.0001}) is not None     # a first step, with records
    before = tasker.get_step_figures(task)
    claim = claim_task(tasker, task.id, invoker="worker", runner="gone:4242")
    assert claim is not None
    now = tasker.site.db.db_time()
    tasker.site.db.execute("UPDATE tasker_tasks SET claimed_at = ?, lease_until = ? WHERE pages_id = ?",
                           (now - 3600, now - 3590, task.id))

    assert reap_expired(tasker, task_id=task.id) == [task.id]

    figures = tasker.get_step_figures(task)
    lost = figures["steps"][0]
    assert lost["result"] == "lost" and lost["started"] == now - 3600
    assert 9.5 <= lost["seconds"] <= 10.5, lost
    assert figures["run_seconds"] <= before["run_seconds"] + 10.5
    assert runtime(tasker, task, "run_seconds")[0] == figures["run_seconds"]
