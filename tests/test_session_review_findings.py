"""Findings of the review of the session's merges (Tasker 1.5's records of dead steps, the
two-tab forms, the CLI's exit codes), each a behaviour a user would see go wrong."""
from __future__ import annotations

import signal
import subprocess
import sys
import time

from tasker_support import ROOT, make_task, runtime, wait_for

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


def test_a_step_stopped_at_once_by_a_second_sigterm_is_in_its_steps(tasker, worker_env, cli):
    """A worker's second SIGTERM kills the running step's process and gives its task back:
    the step ran (its saves stay), but its task's steps said "0 in 0.0 s" and its steps table
    had no row of it, as for a step that died before Tasker 1.5. It is recorded as a step its
    runner killed, from its claim to its release."""
    task = make_task(tasker, "sleepy", seconds=60)
    worker = subprocess.Popen([sys.executable, "run.py", "worker"], cwd=ROOT, env=worker_env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: runtime(tasker, task, "running")[0] == 1, 30)
        time.sleep(0.5)                          # the step is under way, not only claimed
        worker.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        worker.send_signal(signal.SIGTERM)
        out, _ = worker.communicate(timeout=15)
    finally:
        worker.kill()
        worker.wait(10)
    assert "stopped at once" in out, out
    assert runtime(tasker, task, "running", "state") == (0, 1)
    figures = tasker.get_step_figures(task)
    [killed] = figures["steps"]
    assert (killed["result"], killed["invoker"], killed["records"]) == ("killed", "worker", 0)
    assert killed["runner"] and killed["seconds"] >= 0.7, killed
    assert figures["step_count"] == 1
    code, shown, _ = cli("tasks", "show", task.id)
    assert code == 0 and "steps      1 in" in shown, shown
