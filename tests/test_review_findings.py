"""Defects found by a fresh-eyes review of the session's changes (selectors, runners on the
server engines, admin forms), each stated with what a user would see."""
from __future__ import annotations

import os
import threading

import pytest
from conftest import ENGINE
from tasker_support import prepare_counter_site
from test_runners import add_task, output, start, stop_process, wait_for

from cms.tasker import TaskState

TASKER_SETTINGS = {"lease_seconds": 3, "max_attempts": 20}
pytest_plugins = ("tasker_fixtures",)      # fixtures: shared_site, tasker, worker_env

server_only = pytest.mark.skipif(
    ENGINE == "sqlite", reason="SQLite's lock waits are bounded by its lock timeout already; "
                               "these are the server engines' row locks")


def prepare_shared_site(folder, url):
    return prepare_counter_site(folder, url)


# -- a step's wait for a row lock another session holds --------------------------------------
# Loaded by every Python process of the worker (sitecustomize): the bound on a runner's wait
# for a row lock, made short so the test need not wait MariaDB's default 50 s for it.
SHORT_LOCK_WAIT = '''
import cms.db.mariadb, cms.tasker.storage

cms.tasker.storage.PostgresqlStorage.lock_wait_seconds = 2

def connect(self, _connect=cms.db.mariadb._Peewee._connect):
    conn = _connect(self)
    cursor = conn.cursor()
    cursor.execute("SET SESSION innodb_lock_wait_timeout = 2")
    cursor.close()
    return conn
cms.db.mariadb._Peewee._connect = connect
'''


@server_only
@pytest.mark.slow
def test_a_step_waiting_for_a_row_lock_held_for_long_frees_the_worker(tasker, worker_env, tmp_path):
    """Another session (a psql left in a transaction, a stuck script) holds a running task's
    row for good. Its step, past its time, is not killed as overrunning any more (it waits for
    another's lock), so its wait must end some other way, as SQLite's lock timeout and
    MariaDB's innodb_lock_wait_timeout end it: on PostgreSQL nothing bounded it, and the
    worker's process stayed in that step for as long as the lock was held, running no other
    task. On MariaDB the wait ended, but the step's giving back of its task then waited for the
    same row unwatched, and the step was killed and its task failed with "ran past its
    timeout". The step's wait must end as a lock timeout (the task given back), the worker run
    the other tasks meanwhile, and the task finish once the row is free."""
    site = tasker.site
    (tmp_path / "sitecustomize.py").write_text(SHORT_LOCK_WAIT)
    env = dict(worker_env, PYTHONPATH=f"{tmp_path}{os.pathsep}{worker_env['PYTHONPATH']}")
    target = site.pages.add("counter", 1, title="Import")
    held = add_task(tasker, "import_rows", "Import", {"total": 150, "delay": 0.02, "every": 5},
                    page=target)
    worker = start(env, tmp_path, "worker", "--processes", "1", "--step-time", "1.5",
                   "--grace", "1", "--poll", "0.2")
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:            # another session: the task's row, locked until told
        from cms.db import connect
        db = connect(site.db.url)
        try:
            with db.transaction():
                db.execute("SELECT pages_id FROM tasker_tasks WHERE pages_id = ? FOR UPDATE",
                           (held.id,))
                holding.set()
                release.wait(90)
        finally:
            db.close()

    holder = threading.Thread(target=hold, daemon=True)
    try:
        assert wait_for(lambda: (site.db.scalar(
            "SELECT progress FROM tasker_tasks WHERE pages_id = ?", (held.id,)) or 0) >= 2, 30), \
            output(tmp_path)
        holder.start()
        assert holding.wait(10)
        other = add_task(tasker, "bump", "Other", {"delay": 0.1})
        ran = wait_for(lambda: tasker.get_state(other) == TaskState.FINISHED, 40)
        still_held = not release.is_set()
        release.set()
        holder.join(10)
        assert ran and still_held, (output(tmp_path), tasker.get_log(held))
        wait_for(lambda: tasker.get_state(held) != TaskState.ACTIVE, 60)
    finally:
        release.set()
        stop_process(worker)
    log = "\n".join(tasker.get_log(held))
    assert tasker.get_state(held) == TaskState.FINISHED, (log, output(tmp_path))
    assert "past its timeout" not in log and "killed" not in output(tmp_path), log
