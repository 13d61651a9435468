"""Defects found by writing a third-party module from the READMEs alone (a CSV import, a
recurring cleanup, a flaky task, a slow counter) and driving it through the Python API, the
CLI, the worker and the admin in Chromium. Each test says what the module developer saw."""
from __future__ import annotations

import time

import pytest

from cms.tasker import TaskState

pytest_plugins = ("tasker_fixtures",)      # fixtures: shared_site, tasker, cli


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
