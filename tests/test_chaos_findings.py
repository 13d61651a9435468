"""Faults found by a chaos review of the Tasker: real `python run.py worker` processes on one
database, SIGKILLed and SIGSTOPped (the whole pool or one step process) at random moments
while the admin's commands (suspend, kill, reset, activate, in-process and through `python
run.py tasks`) and `tasks run` processes struck the same tasks.

Checked and found sound on SQLite, PostgreSQL and MariaDB (seeded scripts of 40 to 90 s, not
kept as tests): imports whose steps save at milestones (every committed row counted once,
none lost, the rows on disk matching `records_processed` at every step's start), tasks waiting
for others (none ran before what it waits for finished), recurring tasks, 3,000 one-step tasks
run in batches under the same kills (each ran once), history entries chaining state to state
and ending in the stored state, no task left running, a step whose time box is 0.1 s, and a
module whose constructor raises or whose method was removed between steps (the task fails,
saying so).
"""
from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest
from conftest import PYTHON, ROOT, site_env
from tasker_support import make_task
from test_runners import in_process

from cms.tasker import TaskState
from cms.tasker.claim import claim_task

pytest_plugins = ("tasker_fixtures",)      # fixtures: shared_site, tasker

# A site module whose own code calls sys.exit(0) while it loads, where the environment says so
# (as argparse reading the host's command line does, or a library's error path): at import, or
# in its init().
QUITTER = textwrap.dedent('''
    import os
    import sys
    import cms

    if os.environ.get("QUIT_AT") == "import":
        sys.exit(0)


    class Quitter(cms.Module):
        info = {"title": "Quitter", "version": "1.0.0", "summary": "exits while it loads"}

        def init(self):
            if os.environ.get("QUIT_AT") == "init":
                sys.exit(0)

        def work(self, page, data, options):
            data["task_done"] = 1
            return True
''')


@pytest.mark.parametrize("quit_at", ["import", "init"])
def test_a_module_that_exits_while_it_loads_does_not_stop_the_worker(tasker, shared_site, quit_at):
    """A site module whose file, or whose init(), calls sys.exit(0): SystemExit is no
    Exception, so it went past every `except Exception` of the site's boot, and the process
    booting the site ended. `python run.py worker` exited 0 at once, saying nothing, its
    tasks (of every module) left active; a worker already running lost each step process as it
    was replaced (`--max-steps`, a death), until none was left and it stopped, exit 0 (with
    `sys.exit(2)`, argparse's, it started them again and again without a pause). Now the
    module is reported as one that could not be loaded, as one whose code raises is, and the
    worker runs the other modules' tasks; the module's own tasks fail saying why."""
    site, url, _ = shared_site
    module_file = Path(site.site_dir) / "modules" / "quitter.py"
    module_file.write_text(QUITTER)
    site.modules.get("Quitter")               # installed: every process loads it as it boots
    try:
        other = make_task(tasker, "noop", title="Another module's task")
        own = tasker.create_task("Quitter", "work", site.pages.get(1), "The module's own task")
        tasker.activate_task(own)
        env = dict(site_env(site.site_dir, url), QUIT_AT=quit_at)
        ran = subprocess.run([PYTHON, "run.py", "worker", "--until-idle", "--poll", "0.2"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        said = ran.stdout + ran.stderr
        assert tasker.get_state(other) == TaskState.FINISHED, said
        assert "Quitter" in said and "sys.exit(0)" in said, said
        if quit_at == "init":       # the file loads, the module does not: its task fails so
            assert tasker.get_state(own) == TaskState.FAILED, said
            assert "module 'Quitter' called sys.exit(0) as it loaded" in tasker.get_log(own)[-1]
    finally:
        site.modules.uninstall("Quitter")
        module_file.unlink()


@pytest.mark.parametrize("before_its_step", ["suspended", "claim lost"])
def test_a_claim_whose_task_stopped_before_its_step_began_is_no_failed_step(tasker, capsys,
                                                                           before_its_step):
    """A runner's claim whose task was suspended (or whose claim was lost) before its step
    began is given back unrun, as it should be; but the runner counted it as a failed step
    and printed a step line for it: a worker whose queued claim an admin's suspend reached
    closed with "169 step(s) ...; 1 failed" where no task had failed, and said "task 53
    'Import 4' step 17: 0.07 s -> waiting 54%" for a step 17 that had run before."""
    task = make_task(tasker, "noop", title="Stopped in time")
    claim = claim_task(tasker, task.id, invoker="worker")
    if before_its_step == "suspended":
        assert tasker.stop_task(task, by="alice")
    else:           # as if its lease ran out and another runner took it
        tasker.site.db.execute("UPDATE tasker_tasks SET token = 'taken' WHERE pages_id = ?",
                               (task.id,))
    capsys.readouterr()
    executor = in_process(tasker, quiet=False)
    assert not executor.run_claimed(tasker, claim, tasker.settings())
    said = capsys.readouterr().out
    assert f"task {task.id} 'Stopped in time' step" not in said, said
    assert executor.failed == 0
    assert tasker.get_details(task)["steps"] == 0              # it did not run
