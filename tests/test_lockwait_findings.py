"""Runners while another process holds SQLite's write lock for long (a script's long
transaction, a `sqlite3` shell's `BEGIN IMMEDIATE`, a big import): the time limits they
promise, what they say, and what they count.

Each test starts real `python run.py ...` processes and a real second process that holds the
site database's write lock (`BEGIN IMMEDIATE`) for a while. SQLite only: the server engines
lock rows, and a claim there skips a locked row (SKIP LOCKED) instead of waiting.
"""
from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest
from conftest import ENGINE, PYTHON
from test_runners import ROOT, add_task, cms, row
from tasker_support import prepare_counter_site

from cms.db.sqlite import LockWaiters
from cms.tasker import TaskState

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(ENGINE != "sqlite", reason="SQLite's one write lock, held by "
                                 "another process; the server engines lock rows")]

prepare_shared_site = prepare_counter_site
TASKER_SETTINGS = {"lease_seconds": 3, "max_attempts": 20}
pytest_plugins = ("tasker_fixtures",)      # fixtures: shared_site, tasker, worker_env

HOLD = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)
conn.execute("BEGIN IMMEDIATE")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
"""


def hold_lock(tasker, seconds: float) -> subprocess.Popen:
    """Another process that takes the site database's write lock and keeps it `seconds`."""
    holder = subprocess.Popen([PYTHON, "-c", HOLD, tasker.site.db.path, str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def wait_for(condition, timeout=30.0, every=0.02):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


def test_cron_ends_by_its_time_limit_while_another_process_holds_the_write_lock(tasker, worker_env):
    """`cron --time-limit 3` ran 10.6 s: its claim waited SQLite's whole lock timeout (10 s)
    past the run's end, and the run said only "time is up". A crontab line every minute with
    the default 55 s limit then overlapped the next run."""
    task = add_task(tasker, "bump", "Bump")
    holder = hold_lock(tasker, 15)
    try:
        started = time.monotonic()
        done = cms(worker_env, "cron", "--time-limit", "3")
        took = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 0, done.stderr
    assert took < 3 + 2.5, (took, done.stdout, done.stderr)     # the boots take about a second
    assert "write lock" in done.stderr and "another process" in done.stderr, done.stderr
    assert row(tasker, task)[:3] == (TaskState.ACTIVE, 0, 0)      # untouched, not claimed
