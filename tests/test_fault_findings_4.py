"""Faults found in review, fourth round: Tasker steps and editors on the same pages, under
real processes (`python run.py worker`, the runner tests' Counter module).

Checked and found sound on PostgreSQL, MariaDB and SQLite (scripts, not kept as tests): a
worker importing under a parent while an editor's script or the admin over HTTP saved,
renamed, moved, sorted or deleted rows of it; two workers importing under one parent; Run now
from the admin beside a worker; an editor holding the parent's row lock for ten seconds past
a step's time (the step was not killed, the worker's other process ran other tasks). Every
row was imported exactly once and `run.py check` found nothing.
"""
from __future__ import annotations

import subprocess

from conftest import PYTHON
from tasker_support import prepare_counter_site
from test_runners import ROOT, add_task, output, row, start, stop_process, wait_for

from cms.tasker import TaskState

prepare_shared_site = prepare_counter_site
TASKER_SETTINGS = {"lease_seconds": 3, "max_attempts": 20}
pytest_plugins = ("tasker_fixtures",)      # fixtures: shared_site, tasker, worker_env


def test_an_import_whose_page_an_editor_deletes_mid_step_is_gone_not_failed(tasker, worker_env,
                                                                           tmp_path):
    """An editor deletes the page a worker is importing under (its branch, the task's page
    with it) while the step runs. The delete waits for the step's rows and takes them along;
    the step, whose next add finds no parent, is rolled back. The worker said "ERROR task ''
    failed: PageError: parent N does not exist" (no title: the page was gone) and counted a
    failed step in its summary, blaming a task nobody can find for an editor's delete."""
    site = tasker.site
    target = site.pages.add("counter", 1, title="Import target")
    task = add_task(tasker, "import_rows", "Import", {"total": 3000, "delay": 0.003, "every": 5},
                    page=target)
    after = add_task(tasker, "bump", "Runs after", activate=False)
    worker = start(worker_env, tmp_path, "worker", "--processes", "1", "--poll", "0.2")
    try:
        assert wait_for(lambda: (row(tasker, task) or (0, 0, 0))[2] >= 5, 30), output(tmp_path)
        assert site.pages.delete(site.pages.get(target.id), recursive=True) > 5
        assert tasker.activate_task(after)
        assert wait_for(lambda: tasker.get_state(after) == TaskState.FINISHED, 30), output(tmp_path)
    finally:
        stop_process(worker)
    said = output(tmp_path)
    assert f"task {task.id}: step ran" in said and "the task is gone" in said, said
    assert "failed" not in said and "ERROR" not in said, said
    assert site.db.scalar("SELECT COUNT(*) FROM pages WHERE parent_id = ?", (target.id,)) == 0
    check = subprocess.run([PYTHON, "run.py", "check"], cwd=ROOT, env=worker_env,
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
