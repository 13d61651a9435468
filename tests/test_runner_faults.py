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
from conftest import PYTHON
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
