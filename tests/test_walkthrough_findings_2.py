"""Defects found by writing a third-party module from the READMEs alone (a CSV import, a
recurring cleanup, a flaky task, a slow counter) and driving it through the Python API, the
CLI, the worker and the admin in Chromium. Each test says what the module developer saw."""
from __future__ import annotations

import importlib
import sys
import time

import pytest
from tasker_support import install_jobs, make_task, prepare_counter_site

from cms.tasker import TaskState

pytest_plugins = ("tasker_fixtures",)      # fixtures: shared_site, tasker, cli


def prepare_shared_site(folder, url):
    """A site with both test modules in its modules/ folder: Counter (runner_jobs.py) and
    Jobs (tasker_jobs.py)."""
    site = prepare_counter_site(folder, url)
    install_jobs(site)
    site.modules.get("Jobs")
    return site


def dictionary_of(site, words):
    dictionary = site.pages.add("basic-page", 1, title="Dictionary")
    with site.transaction():
        for n in range(words):
            site.pages.add("basic-page", dictionary, f"word-{n}", title=f"word {n}")
    return dictionary


# -- the seed example and a stop made elsewhere ------------------------------------------------
@pytest.mark.parametrize("kill", [False, True], ids=["suspend", "kill"])
def test_a_suspend_or_kill_stops_the_seed_examples_step_at_its_next_save(tasker, kill):
    """The README's purge_dictionary checks only `options["timeout"]`, as the seed's does, and
    saves with `save_progress` after each batch of ten. Suspended (or killed) from the admin
    while its step ran, it went on deleting until its time box was over (55 s in a worker):
    a suspend ended with the dictionary purged and the task finished, a kill with every word
    deleted and the task reset. DESIGN.md: the save "re-reads the state, so a suspend or kill
    made elsewhere stops the task"; the admin's Kill asks "It stops (a running step at its
    next save)"."""
    site = tasker.site
    dictionary = dictionary_of(site, 100)
    task = tasker.create_task("Jobs", "purge_dictionary", dictionary, "Purge the dictionary")
    tasker.activate_task(task)
    deleted = []

    def stop_at_the_25th_delete(event):
        deleted.append(event.arguments[0].id)
        if len(deleted) == 25:       # what the admin's button does while the step runs
            tasker.stop_task(task, kill=kill, by="admin")

    site.add_hook_after("Pages::deleted", stop_at_the_25th_delete)
    assert tasker.execute_task(task, {"timeout": time.time() + 60, "invoker": "cron"})
    assert len(deleted) == 30          # the batch under way; its save saw the stop
    assert dictionary.num_children == 100 - 30 + 1     # the words left, and the task
    assert tasker.get_state(task) == (TaskState.KILLED if kill else TaskState.WAITING)


# -- a site module's class, imported by a script ---------------------------------------------
@pytest.fixture
def imported_from_the_site_folder(monkeypatch):
    """Import a module from the site's folder through sys.path, as a script run there does
    (`sys.path.insert(0, "."); from modules.jobs import Jobs`); forgotten afterwards."""
    def load(site, dotted):
        monkeypatch.syspath_prepend(site.site_dir)
        return importlib.import_module(dotted)

    yield load
    for name in [name for name in sys.modules if name.partition(".")[0] == "modules"]:
        del sys.modules[name]


def test_a_script_gives_create_task_the_class_of_a_site_module_it_imported(
        tasker, imported_from_the_site_folder):
    """A script beside the site (`sys.path.insert(0, "."); from modules.jobs import Jobs`)
    handed that class to create_task, as DESIGN.md allows ("`cls` is a module class"), and got
    "a module named 'Jobs' is registered already (cms_site_modules.jobs.Jobs): give yours
    another name". It is the same file the site loads by its location (DESIGN.md: "imported
    by file location, not through sys.path"), not another module: renaming the class renames
    both. The site's class serves it, as every worker would load that file."""
    site = tasker.site
    imported = imported_from_the_site_folder(site, "modules.jobs").Jobs
    page = site.pages.add("basic-page", 1, title="Imported")
    task = tasker.create_task(imported, "noop", page, "Imported class")
    assert tasker.get_details(task)["module"] == "Jobs"
    assert site.modules.source("Jobs") == "site"        # still the file in modules/
    assert tasker.activate_task(task)
    assert tasker.execute_task(task, {"invoker": "cron"})
    assert tasker.get_state(task) == TaskState.FINISHED


# -- what the task page says of a failed step ---------------------------------------------------
def test_a_failed_steps_figures_count_the_records_its_saves_kept(tasker):
    """An import that saved 1,203 rows at its milestones, then raised at row 1,234, showed on
    its task page a step of "records 0" (Steps table) and a Rate of "–", beside "Records
    1203 of 3000" and 1,203 pages on disk: the failed step's figures counted nothing, though
    its saves were committed and kept (the README: an exception rolls back to the last
    commit). The Jobs module's `boom` saves 3 records at a milestone, adds 2, then raises."""
    task = make_task(tasker, "boom")
    assert not tasker.execute_task(task, {"invoker": "cron"})
    assert tasker.get_state(task) == TaskState.FAILED
    figures = tasker.get_step_figures(task)
    assert [step["records"] for step in figures["steps"]] == [3]     # rec-0 .. rec-2 are kept
    assert figures["rate"] is not None


# -- a Run now step whose process dies --------------------------------------------------------
@pytest.mark.slow
def test_a_run_now_step_whose_process_dies_is_logged_as_such_not_as_a_dead_runner(tasker):
    """The admin's Run now on an import whose step process was killed (SIGKILL) logged two
    lines: "the step's process was killed by signal SIGKILL; ..." and "runner vm:28708
    stopped answering (its lease ran out)", the second naming the web server, which had
    answered at once, and a lease that had not run out. A worker's step says it in one line:
    "the step's process ... (its runner); the task was released with its last saved data
    (attempt 1 of 3)". Counter's `exit_now` ends its step's process with `os._exit(3)`."""
    from cms.tasker.runners.browser import run_supervised_step
    page = tasker.site.pages.add("counter", 1, title="Exits")
    task = tasker.create_task("Counter", "exit_now", page, "Exits", {"code": 3})
    tasker.activate_task(task)
    assert run_supervised_step(tasker, task.id, {"invoker": "admin", "admin_run": True,
                                                 "timeout": time.time() + 10}) is False
    log = tasker.get_log(task)
    said = [line for line in log if "the step's process exited with code 3" in line]
    assert len(said) == 1 and "(attempt 1 of 3)" in said[0], log
    assert not any("stopped answering" in line for line in log), log
    assert tasker.get_state(task) == TaskState.ACTIVE
