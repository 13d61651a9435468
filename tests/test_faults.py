"""The fault suite: a worker pool SIGKILLed mid-run, with misbehaving steps among normal ones.

Only the misbehaving tasks fail, each with its own reason (a step returning None, one that
ignores its timeout, one that raises, one that leaks memory); every other task finishes with
exactly its pages, none lost or doubled, on every engine. Real `python run.py worker`
processes, so it is marked slow (CI runs it).
"""
from __future__ import annotations

import os
import signal

import pytest
from conftest import engine_url
from tasker_support import prepare_counter_site
from test_runners import add_task, output, rows_of, start, stop_process, wait_for

from cms.tasker import TaskState

pytestmark = pytest.mark.slow

TOTAL = 80
WORKER = ("worker", "--processes", "2", "--step-time", "2", "--grace", "1", "--max-memory", "200",
          "--poll", "0.2")
# method, task_data, what its log must say
ODD = {
    "shrug": ({}, "returned None, not True or False"),
    "stubborn": ({"seconds": 3600}, "ran past its timeout"),
    "explode": ({}, "RuntimeError: the parser choked"),
    "leak": ({"mb": 400, "seconds": 30}, "over the runner's --max-memory of 200 MB"),
}


@pytest.fixture
def faulty(tmp_path):
    folder = tmp_path / "site"
    folder.mkdir()
    url = engine_url(folder)
    site = prepare_counter_site(folder, url)
    site.modules.save_config("Tasker", lease_seconds=3, max_attempts=20)
    env = dict(os.environ, CMS_SITE_DIR=str(folder), CMS_DATABASE_URL=url)
    yield site.modules.get("Tasker"), env
    site.close()


def test_a_killed_pool_with_odd_steps_fails_only_the_odd_tasks(faulty, tmp_path):
    tasker, env = faulty
    site = tasker.site
    imports = []
    for n in range(6):
        target = site.pages.add("counter", 1, title=f"Import {n}")
        imports.append((add_task(tasker, "import_rows", f"Import {n}",
                                 {"total": TOTAL, "delay": 0.005, "every": 10}, page=target),
                        target))
    odd = {method: add_task(tasker, method, f"Odd {method}", data)
           for method, (data, _) in ODD.items()}
    progress = "SELECT MAX(progress) FROM tasker_tasks WHERE module = 'Counter' AND method = ?"
    worker = start(env, tmp_path, *WORKER)
    try:
        assert wait_for(lambda: (site.db.scalar(progress, ("import_rows",)) or 0) >= 20, 30), \
            output(tmp_path)
        os.killpg(worker.pid, signal.SIGKILL)           # the pool and its step processes
        worker.wait(10)
        held = "SELECT COUNT(*) FROM tasker_tasks WHERE running = 1"
        assert site.db.scalar(held) >= 1                 # it died mid-step: claims left held
        worker = start(env, tmp_path, *WORKER, name="again")
        live = "SELECT COUNT(*) FROM tasker_tasks WHERE state = 1"
        assert wait_for(lambda: site.db.scalar(live) == 0, 45), output(tmp_path, "again")
    finally:
        stop_process(worker)
    for task, target in imports:
        log = "\n".join(tasker.get_log(task))
        assert tasker.get_state(task) == TaskState.FINISHED, log
        assert rows_of(site, target) == sorted(f"row-{n}" for n in range(TOTAL))
        assert "ran past its timeout" not in log and "failed" not in log
    for method, task in odd.items():
        log = "\n".join(tasker.get_log(task))
        assert tasker.get_state(task) == TaskState.FAILED, (method, log)
        assert ODD[method][1] in log, (method, log)
