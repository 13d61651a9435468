"""Runners while another process holds SQLite's write lock for long (a script's long
transaction, a `sqlite3` shell's `BEGIN IMMEDIATE`, a big import): the time limits they
promise, what they say, and what they count.

Each test starts real `python run.py ...` processes and a real second process that holds the
site database's write lock (`BEGIN IMMEDIATE`) for a while. SQLite only: the server engines
lock rows, and a claim there skips a locked row (SKIP LOCKED) instead of waiting.
"""
from __future__ import annotations

import signal
import subprocess
import time

import pytest
from conftest import ENGINE, PYTHON
from tasker_support import prepare_counter_site, wait_for
from test_runners import ROOT, add_task, cms, row

from cms.db.sqlite import LockWaiters
from cms.tasker import TaskState

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(ENGINE != "sqlite", reason="SQLite's one write lock, held by "
                                 "another process; the server engines lock rows")]

prepare_shared_site = prepare_counter_site
TASKER_SETTINGS = {"lease_seconds": 3, "max_attempts": 20}
pytest_plugins = ("tasker_fixtures",)      # fixtures: shared_site, tasker, worker_env

# As a script of the site's takes the lock (its transactions poll for it, saying so, so a
# runner between two saves lets it in), then keeps it.
HOLD = """
import sqlite3, sys, time
from cms.db.sqlite import LockWaiters
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=0)
with LockWaiters(sys.argv[1]).waiting():
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            break
        except sqlite3.OperationalError:
            time.sleep(0.001)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
"""


def hold_lock(tasker, env, seconds: float) -> subprocess.Popen:
    """Another process that takes the site database's write lock and keeps it `seconds`."""
    holder = subprocess.Popen([PYTHON, "-c", HOLD, tasker.site.db.path, str(seconds)], env=env,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_cron_ends_by_its_time_limit_while_another_process_holds_the_write_lock(tasker, worker_env):
    """`cron --time-limit 3` ran 10.6 s: its claim waited SQLite's whole lock timeout (10 s)
    past the run's end, and the run said only "time is up". A crontab line every minute with
    the default 55 s limit then overlapped the next run."""
    task = add_task(tasker, "bump", "Bump")
    holder = hold_lock(tasker, worker_env, 15)
    try:
        started = time.monotonic()
        done = cms(worker_env, "cron", "--time-limit", "3")
        took = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 0, done.stderr
    # the lock's 10 s wait ran it to 10.5 s; the boots take a second, more on a busy machine
    assert took < 3 + 5, (took, done.stdout, done.stderr)
    assert "write lock" in done.stderr and "another process" in done.stderr, done.stderr
    assert row(tasker, task)[:3] == (TaskState.ACTIVE, 0, 0)      # untouched, not claimed


def task_figures(tasker, task):
    """(steps, progress, attempts) as the task's row counts them, and its step rows' results."""
    db = tasker.site.db
    counts = db.one("SELECT steps, progress, attempts FROM tasker_tasks WHERE pages_id = ?",
                    (task.id,))
    results = [result for result, in db.all(
        "SELECT result FROM tasker_steps WHERE pages_id = ? ORDER BY id", (task.id,))]
    return counts, results


def test_tasks_run_names_the_lock_that_cut_its_step_and_counts_that_step(tasker, worker_env):
    """With another process holding the write lock past the lock timeout mid-step, `tasks
    run` ended with "task N could not be claimed; try again" (nothing was refused a claim: the
    step's save waited 10 s for the lock), and `tasks show` said "steps 0" beside the 20% and
    more that step had saved."""
    page = tasker.site.pages.add("counter", 1, title="Import")
    task = add_task(tasker, "import_rows", "Import", {"total": 200, "every": 5, "delay": 0.05},
                    page=page)
    run = subprocess.Popen([PYTHON, "run.py", "tasks", "run", str(task.id), "--step-time", "60"],
                           cwd=ROOT, env=worker_env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    holder = None
    try:
        assert wait_for(lambda: row(tasker, task)[2] >= 20, 30)
        holder = hold_lock(tasker, worker_env, 13)          # taken at the step's next commit
        out, err = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
        if holder is not None:
            holder.kill()
            holder.wait()
    assert run.returncode == 1, (out, err)
    assert "could not be claimed" not in err, err
    assert "write lock" in err and "another process" in err, err
    (steps, progress, attempts), results = task_figures(tasker, task)
    assert results == ["transient"]                   # one step ran, and the lock cut it off
    assert progress >= 20 and attempts == 0
    assert steps == 1                                 # the step that ran, as its figure row says
    assert tasker.get_state(task) == TaskState.ACTIVE


def test_ctrl_c_during_the_claim_of_tasks_run_stops_the_step_at_its_first_save(tasker, worker_env):
    """Ctrl-C landing while `tasks run` waited for the write lock to claim its next step
    reached no step (`Tasker.interrupt` asks the steps running then): the step it claimed next
    ran its whole time box (up to 55 s, here the whole 10 s import) before the command
    stopped."""
    page = tasker.site.pages.add("counter", 1, title="Import")
    task = add_task(tasker, "import_rows", "Import", {"total": 200, "every": 5, "delay": 0.05},
                    page=page)
    holder = hold_lock(tasker, worker_env, 30)
    run = subprocess.Popen([PYTHON, "run.py", "tasks", "run", str(task.id), "--step-time", "60"],
                           cwd=ROOT, env=worker_env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        waiters = LockWaiters(tasker.site.db.path)
        assert wait_for(waiters.any, 30)              # its claim polls for the lock
        run.send_signal(signal.SIGINT)
        time.sleep(0.3)
        holder.kill()                                 # the lock comes free: the claim goes on
        holder.wait()
        out, err = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    assert run.returncode == 130, (out, err)
    assert tasker.get_state(task) == TaskState.ACTIVE
    progress = row(tasker, task)[2]
    assert progress < 20, (progress, out)            # stopped at its first save, not at 100%
    assert "stays active" in out


def test_a_worker_step_the_write_lock_cut_off_is_no_failed_step(tasker, worker_env):
    """A worker's step whose save waited out the lock timeout is the database's passing
    trouble, not the task's: the task stays active, no attempt counted. The worker counted it
    a failed step ("1 failed" in its closing line), and when the lock was still held as the
    step gave its task back, its log said only "the step ended on a database error"."""
    # a lease that outlasts the waits (the default 30 s; a lease that runs out meanwhile is
    # reaped as a dead runner's once the lock comes free, which no heartbeat can prevent)
    tasker.site.modules.save_config("Tasker", lease_seconds=60)
    page = tasker.site.pages.add("counter", 1, title="Import")
    task = add_task(tasker, "import_rows", "Import", {"total": 200, "every": 5, "delay": 0.05},
                    page=page)
    worker = subprocess.Popen([PYTHON, "run.py", "worker", "--until-idle", "--poll", "0.2",
                               "--step-time", "60"], cwd=ROOT, env=worker_env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    holder = None
    try:
        assert wait_for(lambda: row(tasker, task)[2] >= 20, 30)
        holder = hold_lock(tasker, worker_env, 22)   # past the step's wait and its release's
        out, err = worker.communicate(timeout=90)
    finally:
        if worker.poll() is None:
            worker.kill()
        if holder is not None:
            holder.kill()
            holder.wait()
    assert worker.returncode == 0, (out, err)
    closing = out.strip().splitlines()[-1]
    assert "failed" not in closing and "1 step(s) cut off" in closing, out
    assert tasker.get_state(task) == TaskState.FINISHED
    assert row(tasker, task)[3] == 0                          # no attempt counted
    log = "\n".join(tasker.get_log(task))
    assert "write lock" in log and "another process" in log, log
