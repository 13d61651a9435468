"""Runners on the server engines (PostgreSQL, MariaDB) under faults found in review: a runner
frozen while its step holds row locks inside the module's own transaction, a worker idle past
MariaDB's `wait_timeout`, a step waiting for a row lock that another session holds.

Real `python run.py worker` processes (SIGSTOP, SIGKILL) against the engine under test, on the
runner tests' Counter module plus a Holder module of this file's own.
"""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from conftest import ENGINE
from tasker_support import prepare_counter_site, stored_data
from test_runners import add_task, output, row, start, stop_process, wait_for

from cms.tasker import TaskState, reap_expired

TASKER_SETTINGS = {"lease_seconds": 1, "max_attempts": 20}
pytest_plugins = ("tasker_fixtures",)      # fixtures: shared_site, tasker, worker_env

server_only = pytest.mark.skipif(
    ENGINE == "sqlite", reason="SQLite has one write lock, held by a frozen step until it wakes "
                               "(README, Running tasks); these are the server engines' row locks")

HOLDER = '''
import time
from pathlib import Path

import cms


class Holder(cms.Module):
    info = {"title": "Holder", "version": "1.0.0", "summary": "Steps that hold row locks"}
    task_methods = ("hold",)

    def hold(self, page, data, options):
        """Bump the page's hits and save progress inside a transaction of the module's own
        (the task's row and the page's stay locked until it ends), touch `started`, pause for
        `seconds` in it, then finish."""
        tasker, task = self.site.modules.get("Tasker"), options["task"]
        with self.site.transaction():
            page.set_and_save("hits", (page.get("hits") or 0) + 1)
            data["records_processed"] = data.get("records_processed", 0) + 1
            tasker.save_progress(task, data)
            Path(data["started"]).touch()
            time.sleep(data.get("seconds", 0))
        data["task_done"] = 1
        return True
'''


def prepare_shared_site(folder, url):
    (Path(folder) / "modules").mkdir(exist_ok=True)
    (Path(folder) / "modules" / "holder.py").write_text(HOLDER)
    site = prepare_counter_site(folder, url)
    site.modules.get("Holder")
    return site


def hold_task(tasker, tmp_path, seconds):
    site = tasker.site
    page = site.pages.add("counter", 1, title="Held")
    task = tasker.create_task("Holder", "hold", page, "Hold",
                              {"seconds": seconds, "started": str(tmp_path / "started")})
    assert tasker.activate_task(task)
    return task, page


def hits(site, page):
    return site.db.scalar("SELECT data FROM field_hits WHERE pages_id = ?", (page.id,))


# -- (a) a runner frozen inside the module's own transaction -----------------------------------
@server_only
@pytest.mark.slow
def test_a_runner_frozen_inside_its_own_transaction_is_reaped_after_its_time_box(
        tasker, worker_env, tmp_path):
    """A worker frozen (SIGSTOP, a paused VM) while its step pauses inside the module's own
    transaction, after a save: its session sat "idle in transaction" holding the task's row,
    and the reaper (which skips locked rows) never handed the task on, nor could a suspend
    from the admin land, for as long as the machine stayed frozen. The server must end such a
    session once the step's time box plus its lease is over, so the task goes on elsewhere
    from its last commit, with the frozen step's work rolled back."""
    site = tasker.site
    task, page = hold_task(tasker, tmp_path, seconds=60)
    worker = start(worker_env, tmp_path, "worker", "--processes", "1", "--poll", "0.2",
                   "--step-time", "2", "--grace", "1")
    try:
        assert wait_for(lambda: (tmp_path / "started").exists(), 30), output(tmp_path)
        os.killpg(worker.pid, signal.SIGSTOP)           # the whole runner freezes, for good
        frozen = time.monotonic()
        reaped = wait_for(lambda: reap_expired(tasker), 15, every=0.25)
        took = time.monotonic() - frozen
    finally:
        stop_process(worker)                            # SIGKILL: the machine never comes back
    assert reaped == [task.id]
    assert took < 2 + 1 + 4, took                       # time box + lease, and some slack
    assert row(tasker, task)[:2] == (TaskState.ACTIVE, 0)
    assert hits(site, page) is None                     # the frozen step's bump rolled back
    tasker.site.modules.save_config("Tasker", lease_seconds=5)
    again = start(worker_env, tmp_path, "worker", "--processes", "1", "--poll", "0.2",
                  "--until-idle", name="again")
    try:
        (tmp_path / "started").unlink()
        tasker.save_progress(task, {**stored_data(tasker, task), "seconds": 0})
        assert wait_for(lambda: tasker.get_state(task) == TaskState.FINISHED, 30), \
            output(tmp_path, "again")
    finally:
        stop_process(again)
    assert hits(site, page) == 1
    assert any("stopped answering" in line for line in tasker.get_log(task))


@server_only
@pytest.mark.slow
def test_a_frozen_runner_that_wakes_after_its_session_ended_leaves_the_task_to_run_once(
        tasker, worker_env, tmp_path):
    """The same freeze, but the runner wakes (SIGCONT) after the server ended its session and
    the reaper handed the task on: its step finds its connection gone, rolls back and leaves
    the task alone (nothing failed, no overrun), and the task then runs to its end once."""
    site = tasker.site
    task, page = hold_task(tasker, tmp_path, seconds=2)
    worker = start(worker_env, tmp_path, "worker", "--processes", "1", "--poll", "0.2",
                   "--step-time", "3", "--grace", "1")
    try:
        assert wait_for(lambda: (tmp_path / "started").exists(), 30), output(tmp_path)
        os.killpg(worker.pid, signal.SIGSTOP)
        assert wait_for(lambda: reap_expired(tasker), 15, every=0.25) == [task.id]
        os.killpg(worker.pid, signal.SIGCONT)
        wait_for(lambda: tasker.get_state(task) != TaskState.ACTIVE, 30)
    finally:
        os.killpg(worker.pid, signal.SIGCONT)
        stop_process(worker)
    log = "\n".join(tasker.get_log(task))
    assert tasker.get_state(task) == TaskState.FINISHED, (log, output(tmp_path))
    assert hits(site, page) == 1
    assert "stopped answering" in log and "past its timeout" not in log, log


@server_only
@pytest.mark.slow
def test_a_step_pausing_in_its_own_transaction_longer_than_its_lease_finishes(
        tasker, worker_env, tmp_path):
    """The bound on a session idle in its transaction is the step's time box plus its lease,
    not the lease alone: a legitimate step that pauses inside its own transaction for longer
    than the lease (its heartbeat cannot renew a row its step holds) finishes as it did."""
    site = tasker.site
    task, page = hold_task(tasker, tmp_path, seconds=2.5)
    worker = start(worker_env, tmp_path, "worker", "--processes", "1", "--poll", "0.2",
                   "--step-time", "4", "--grace", "1", "--until-idle")
    try:
        assert wait_for(lambda: tasker.get_state(task) == TaskState.FINISHED, 30), output(tmp_path)
    finally:
        stop_process(worker)
    assert hits(site, page) == 1
    log = "\n".join(tasker.get_log(task))
    assert "stopped answering" not in log and "lost" not in log, log


# -- (b) a worker idle past the server's idle-connection timeout --------------------------------
# Loaded by every Python process of the worker (sitecustomize): each connection it opens is
# dropped by the server after 2 s idle, as MariaDB's wait_timeout (PostgreSQL's
# idle_session_timeout) set short by an administrator would do.
SHORT_WAIT = '''
import cms.db.mariadb, cms.db.postgresql

for module, statement in ((cms.db.mariadb, "SET SESSION wait_timeout = 2"),
                          (cms.db.postgresql, "SET idle_session_timeout = 2000")):
    def connect(self, _connect=module._Peewee._connect, statement=statement):
        conn = _connect(self)
        cursor = conn.cursor()
        cursor.execute(statement)
        cursor.close()
        return conn
    module._Peewee._connect = connect
'''


@server_only
@pytest.mark.slow
def test_a_worker_idle_past_the_servers_wait_timeout_runs_the_next_task_once(
        tasker, worker_env, tmp_path):
    """A worker polls every 3 s; the server drops its idle connections after 2 s. The task
    that comes next runs exactly once, with no attempt counted and nothing in its log but its
    step, and the worker says nothing of a lost database: the database never went away."""
    site = tasker.site
    site.modules.save_config("Tasker", lease_seconds=3)
    (tmp_path / "sitecustomize.py").write_text(SHORT_WAIT)
    env = dict(worker_env, PYTHONPATH=f"{tmp_path}{os.pathsep}{worker_env['PYTHONPATH']}")
    first = add_task(tasker, "bump", "First", {"delay": 1.5})   # its heartbeat connects
    worker = start(env, tmp_path, "worker", "--processes", "1", "--poll", "3")
    try:
        assert wait_for(lambda: tasker.get_state(first) == TaskState.FINISHED, 30), output(tmp_path)
        time.sleep(3.5)                                  # every connection of the worker dropped
        later = add_task(tasker, "bump", "Later", {"delay": 1.5})   # heartbeats too
        assert wait_for(lambda: tasker.get_state(later) == TaskState.FINISHED, 15), output(tmp_path)
        time.sleep(3.5)
    finally:
        stop_process(worker)
    assert site.pages.get(later.parent.id).get("hits") == 1
    assert row(tasker, later)[:2] == (TaskState.FINISHED, 0)
    assert site.db.scalar("SELECT attempts FROM tasker_tasks WHERE pages_id = ?", (later.id,)) == 0
    log = "\n".join(tasker.get_log(later))
    assert "error" not in log.lower() and "lost" not in log, log
    said = output(tmp_path)
    assert "lost the connection" not in said and "failed" not in said and "Traceback" not in said, said


# -- (c) a step waiting for a row lock another session holds ------------------------------------
@server_only
@pytest.mark.slow
def test_a_step_waiting_for_a_row_lock_held_elsewhere_is_not_killed_as_overrunning(
        tasker, worker_env, tmp_path):
    """Another session holds the task's row longer than the step's time plus the grace (an
    admin's long transaction, a runner frozen in its own): the step's save waits for it. The
    step is not at fault, as on SQLite a step waiting for the write lock is not: it must not
    be killed and its task failed with "ran past its timeout ... A step must return when
    options['timeout'] has passed"; the task goes on and finishes with every row once."""
    site = tasker.site
    site.modules.save_config("Tasker", lease_seconds=3)
    target = site.pages.add("counter", 1, title="Import")
    task = add_task(tasker, "import_rows", "Import", {"total": 60, "delay": 0.02, "every": 5},
                    page=target)
    worker = start(worker_env, tmp_path, "worker", "--processes", "1", "--step-time", "1.5",
                   "--grace", "1", "--poll", "0.2")
    try:
        assert wait_for(lambda: row(tasker, task)[2] >= 10, 30), output(tmp_path)
        with site.transaction():
            site.db.execute("SELECT pages_id FROM tasker_tasks WHERE pages_id = ? FOR UPDATE",
                            (task.id,))
            time.sleep(4)
        wait_for(lambda: tasker.get_state(task) != TaskState.ACTIVE, 60)
        assert tasker.get_state(task) == TaskState.FINISHED, (output(tmp_path), tasker.get_log(task))
    finally:
        stop_process(worker)
    assert "killed" not in output(tmp_path)
    assert not any("past its timeout" in line for line in tasker.get_log(task))
    assert sorted(p.name for p in site.pages.find(f"parent={target.id}, template=row, include=all")) \
        == sorted(f"row-{n}" for n in range(60))
