"""Defects found reading the earlier sessions' notes again."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import PYTHON
from tasker_support import prepare_counter_site, wait_for

from cms.tasker import TaskState

ROOT = Path(__file__).resolve().parent.parent
prepare_shared_site = prepare_counter_site
pytest_plugins = ("tasker_fixtures",)      # fixtures: shared_site, tasker


@pytest.mark.slow
def test_tasks_run_stopped_by_ctrl_c_exits_130_and_leaves_the_task_active(tasker, shared_site):
    # Ctrl-C ended `tasks run` after its step with "stopped at N%" and exit status 0, the status
    # of a task run to its end: `tasks run 5 && publish` went on to publish a half-done import.
    # A run the user interrupted exits 130 (128 + SIGINT, as the shell and `cms: interrupted`
    # say), the task kept active for a runner, as the line says.
    site, url, _ = shared_site
    page = site.pages.add("counter", 1, title="Import")
    task = tasker.create_task("Counter", "import_rows", page, "Import",
                              {"total": 400, "every": 1, "delay": 0.05})
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen([PYTHON, "run.py", "--site", site.site_dir, "--db", url, "tasks",
                                "run", str(task.id), "--step-time", "0.5"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: (tasker.get_status(task.id, log=False).progress or 0) >= 1, 30)
        time.sleep(0.6)                   # past its first step: the bar has been drawn
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, (out, err)
    assert f"task {task.id} stopped at" in out and "it stays active" in out, out
    assert tasker.get_state(task) == TaskState.ACTIVE
    assert 0 < tasker.get_status(task.id, log=False).progress < 100


def test_a_recurring_task_cannot_be_waited_for_or_followed(tasker):
    # A recurring task never finishes: each run's end starts it over (after_step), so a task
    # made to wait for it waited for ever, and a follow-up was never activated, without a
    # word; the chaos review found dependents of a nightly task left waiting. They are refused
    # as a trashed task is, saying why and what to do instead.
    from cms.tasker import TaskError
    site = tasker.site
    nightly = tasker.create_task("Counter", "bump", site.pages.add("counter", 1, title="Nightly"),
                                 "Nightly", every=86400)
    report = tasker.create_task("Counter", "bump", site.pages.add("counter", 1, title="Report"),
                                "Report")
    with pytest.raises(TaskError, match=f"task {nightly.id} recurs"):
        tasker.add_dependency(report, nightly)
    with pytest.raises(TaskError, match=f"task {nightly.id} recurs"):
        tasker.add_next_task(nightly, report)
    assert tasker.get_dependencies(report) == [] and tasker.get_next_tasks(nightly) == []
    before = tasker.get_tasks("include=all").count()
    with pytest.raises(TaskError, match=f"task {nightly.id} recurs"):
        tasker.create_task("Counter", "bump", report.parent, "Waits", {"dep": nightly.id})
    assert tasker.get_tasks("include=all").count() == before
    # the other way round stays: a recurring task may wait for a one-off task, and follow one
    tasker.add_dependency(nightly, report)
    tasker.add_next_task(report, nightly)
    assert tasker.get_dependencies(nightly) == [report.id]


STARTER = '''
import cms

class Starter(cms.Module):
    info = {"title": "Starter", "version": "1.0.0", "summary": "Needs its key"}

    def install(self):
        self.site.fields.add("starter_seen", "Checkbox")

    def init(self):
        raise RuntimeError("no API key is set")
'''


@pytest.fixture
def starter(tmp_path):
    """A module whose install() works and whose init() raises, in the site's modules/ folder
    before the server starts."""
    (tmp_path / "modules").mkdir(exist_ok=True)
    (tmp_path / "modules" / "starter.py").write_text(STARTER)


def test_installing_a_module_whose_init_raises_says_so_on_the_modules_screen(site, starter, superuser):
    # The Install button answered 500 ("the server failed to answer this request"): the route
    # caught CmsError only, and a module's own init() raised a RuntimeError after its install()
    # had run. The screen now says what happened: installed, its init() failing and why.
    answer = superuser.post("/admin/modules/Starter/install", {"csrf_token": superuser.token()})
    assert answer.status == 303, answer.text[:300]
    shown = superuser.get(answer.location)
    assert "Starter is installed, but its init() failed: RuntimeError: no API key is set" in shown.text
    assert site.modules.is_installed("Starter") and "starter_seen" in site.fields
