"""A runner that stops when no task is ready (`worker --until-idle`, cron) stopped while its
heartbeat was still giving back the claims queued behind a long step: the queue was empty,
the claim that followed found nothing (those tasks were still claimed, their release not yet
committed), so the runner ended, and the tasks given back a moment later waited, ready, for
the next run. Seen under load in a real worker (test_fault_findings_2's queued claims: six
tasks left active after `--until-idle` ended); here the heartbeat's release is slowed in
process, as a loaded machine slows it."""
from __future__ import annotations

import time

from tasker_support import prepare_counter_site
from test_runners import add_task, in_process, row

import cms.tasker.heartbeat as heartbeat
from cms.tasker import TaskState
from cms.tasker.step import StepRunner

prepare_shared_site = prepare_counter_site
TASKER_SETTINGS = {"lease_seconds": 3, "max_attempts": 20}
pytest_plugins = ("tasker_fixtures",)      # fixtures: shared_site, tasker, worker_env


def test_a_runner_until_idle_does_not_stop_while_claims_go_back(tasker, monkeypatch):
    quick = [add_task(tasker, "wait", f"Quick {i}", {"seconds": 0}, priority=5) for i in range(20)]
    slower = [add_task(tasker, "bump", f"Slower {i}", {"delay": 1.0}) for i in range(3)]
    given_back = []

    def slow_release(tasker_, claim, *args, **kwargs):
        # a loaded machine's commit: the long step (1 s) ends while its queue, taken by the
        # heartbeat half a second in, is still being given back
        time.sleep(1.2)
        given_back.append(claim.task_id)
        return release(tasker_, claim, *args, **kwargs)

    release = heartbeat.release
    monkeypatch.setattr(heartbeat, "release", slow_release)
    # several claims queued behind each step, whatever its speed (a loaded machine's quick
    # steps took one at a time, and nothing waited behind a long step to be given back)
    monkeypatch.setattr(StepRunner, "_claims_ahead", lambda self, step, ahead: 0 if ahead.queued() else 4)
    executor = in_process(tasker)
    executor.run()
    assert given_back, "no claim was given back: the test did not make the race it is about"
    states = [row(tasker, t)[0] for t in quick + slower]
    assert states == [TaskState.FINISHED] * len(states), states
