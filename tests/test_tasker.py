"""Tasker: installing, creating tasks, their lifecycle, dependencies and follow-ups, finding them,
and the seed's example (a dictionary purged page by page, resumed step after step)."""
from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest
from tasker_support import install_jobs, make_task, run, runtime, stored_data

import cms
from cms.tasker import TaskError, TaskState
from cms.tasker.state import state_info

pytest_plugins = ("tasker_fixtures",)      # fixtures: shared_site, tasker, worker_env


def page_count(site) -> int:
    return site.db.scalar("SELECT COUNT(*) FROM pages")


# -- install (on brand-new sites) --------------------------------------------------------------
# These come first: on the server engines a new site empties the database that the later tests
# share (see tasker_support.shared_site).
def test_first_use_installs_the_task_template_and_its_fields(site):
    tasker = site.modules.get("Tasker")
    template = site.templates.get("tasker-task")
    for name in ("title", "task_data", "task_state", "task_running", "progress", "signature",
                 "log_messages", "task_runner", "task_lease", "task_attempts", "task_admin_run"):
        assert template.has_field(name), name
    assert template.settings["no_children"] and template.settings["locked"]
    assert site.fields["task_state"].settings == {"min": 0, "max": 10}
    assert site.fields["progress"].settings == {"min": 0, "max": 100}
    assert site.modules.is_installed("Tasker")
    assert tasker.settings()["lease_seconds"] == 30


def test_uninstall_keeps_everything_while_task_pages_remain(site):
    tasker = install_jobs(site)
    task = make_task(tasker, "noop", activate=False)
    site.modules.uninstall("Tasker")
    assert site.templates.get("tasker-task") is not None
    assert "kept" in str(site.notices.warnings()[-1])
    site.pages.delete(task)
    site.modules.install("Tasker")
    site.modules.uninstall("Tasker")
    assert site.templates.get("tasker-task") is None
    assert site.fields.get("task_state") is None and site.fields.get("task_data") is None
    assert not site.db.table_exists("tasker_tasks")
    site.modules.get("Tasker")              # and back again
    assert site.templates.get("tasker-task").has_field("task_state")


def test_the_current_user_is_who_acts_by_default(site):
    tasker = install_jobs(site)
    user = tasker.site.users.add("editor", "a long passphrase 1", roles=("superuser",))
    tasker.site.users.login_as(user)
    task = make_task(tasker, "noop")
    assert [h["who"] for h in tasker.get_history(task)] == ["editor", "editor"]


# -- create -----------------------------------------------------------------------------------
def test_a_page_trashed_after_tasker_is_uninstalled_goes_to_the_trash(site):
    """The Pages::trashed hook that kills trashed tasks stays with the loaded module after an
    uninstall (in this process, and in every other that loaded Tasker): its find of the task
    template, gone, raised SelectorError and every trash of a page failed."""
    site.modules.get("Tasker")
    site.modules.uninstall("Tasker")
    page = site.pages.add("basic-page", 1, title="Kept")
    site.pages.trash(page)
    assert site.pages.get(page.id).is_trash()


def test_a_page_trashed_after_another_process_uninstalled_tasker_goes_to_the_trash(site, db_url):
    """The check that the task template is gone read this process's templates as loaded, and
    the hook's find then reloaded them (another process had uninstalled Tasker): SelectorError."""
    site.modules.get("Tasker")
    other = cms.boot(db_url, site_dir=site.site_dir)           # another process, Tasker loaded
    other.modules.get("Tasker")
    page = other.pages.add("basic-page", 1, title="Kept")
    site.modules.uninstall("Tasker")
    time.sleep(1.1)                                            # past other's schema check
    try:
        other.pages.trash(other.pages.get(page.id))
        assert other.pages.get(page.id).is_trash()
    finally:
        other.close()


def test_create_task_makes_a_hidden_waiting_child_page(tasker):
    site = tasker.site
    dictionary = site.pages.add("basic-page", 1, "dictionary", title="Dictionary")
    task = tasker.create_task("Jobs", "count", dictionary, "Import words", {"total": 5})
    assert task.parent == dictionary and task.is_hidden()
    assert task.template.name == "tasker-task"
    assert task.title == "Import words"
    fresh = site.pages.get(task.id)
    assert fresh.task_state == TaskState.WAITING and fresh.task_running == 0 and fresh.progress == 0
    assert stored_data(tasker, task) == {"module": "Jobs", "method": "count", "pageid": dictionary.id,
                                         "records_processed": 0, "max_records": 0, "task_done": 0,
                                         "total": 5}
    assert len(fresh.signature) == 40
    assert tasker.get_history(task)[0]["new"] == TaskState.WAITING


def test_the_module_may_be_a_class_an_instance_or_a_name(tasker):
    site = tasker.site
    jobs = site.modules.get("Jobs")
    page = site.pages.add("basic-page", 1, title="target")
    for given in (type(jobs), jobs, "Jobs"):
        task = tasker.create_task(given, "noop", page, "Nothing")
        assert stored_data(tasker, task)["module"] == "Jobs"


@pytest.mark.parametrize("module, method, page, data, words", [
    ("NoSuchModule", "count", 1, None, "NoSuchModule"),
    ("Jobs", "no_such_method", 1, None, "no method 'no_such_method'"),
    ("Jobs", "_private", 1, None, "public method"),
    ("Jobs", "count", 999999, None, "must exist"),
    ("Jobs", "count", 1, {"when": datetime.now()}, "JSON cannot hold"),
    ("Jobs", "count", 1, {"ratio": float("nan")}, "JSON cannot hold"),
    ("Jobs", "count", 1, {"records_processed": 5}, "may not set 'records_processed'"),
    ("Jobs", "count", 1, ["not", "a", "dict"], "must be a dict"),
    ("Jobs", "count", 1, {1: "a"}, "has the key 1: JSON keeps only text keys"),
    ("Jobs", "count", 1, {"rows": [{"id": 1, 2: "b"}]}, r"task_data\['rows'\]\[0\] has the key 2"),
    ("Jobs", "count", 7, {}, "cannot be added in the trash"),
])
def test_invalid_input_raises_task_error_and_creates_nothing(tasker, module, method, page, data, words):
    before = page_count(tasker.site)
    with pytest.raises(TaskError, match=words):
        tasker.create_task(module, method, page, "Bad", data)
    assert page_count(tasker.site) == before


def test_save_progress_of_no_dict_is_a_task_error_and_saves_nothing(tasker):
    task = tasker.create_task("Jobs", "count", 1, "Count", {"total": 3})
    for bad in ([1, 2], "text", None):
        with pytest.raises(TaskError, match="task_data must be a dict"):
            tasker.save_progress(task, bad)
        with pytest.raises(TaskError, match="task_data must be a dict"):
            tasker.save_progress_at_milestone(task, bad)
    assert stored_data(tasker, task)["total"] == 3


def test_a_milestone_or_record_count_that_is_no_number_is_a_task_error(tasker):
    """`task_data["milestone"] = "10"` (read from a form, a CSV) failed the step with
    "TypeError: '>=' not supported between instances of 'int' and 'str'", naming neither."""
    task = tasker.create_task("Jobs", "count", 1, "Count", {"total": 3})
    for data in ({"records_processed": 1, "milestone": "10"},
                 {"records_processed": "1", "milestone": 10}):
        with pytest.raises(TaskError, match="milestone"):
            tasker.save_progress_at_milestone(task, data)
    assert stored_data(tasker, task)["total"] == 3


def test_invalid_scheduling_options_are_refused(tasker):
    for options in ({"retry": {"attempts": -1}}, {"retry": {"tries": 3}}, {"every": "61 * * * *"},
                    {"every": -5}, {"not_before": "tomorrow"}, {"priority": "high"}):
        with pytest.raises(TaskError):
            tasker.create_task("Jobs", "noop", 1, "Bad", **options)


@pytest.mark.parametrize("options", [
    {"not_before": 10**400}, {"not_before": 1e300}, {"not_before": -1e300},
    {"not_before": datetime.max}, {"every": 10**400},
    {"retry": {"attempts": 1, "backoff": 10**400}}, {"retry": {"attempts": 1, "backoff": 1e300}},
    {"retry": {"attempts": 100, "backoff": 60}},
])
def test_scheduling_options_no_date_can_hold_are_task_errors(tasker, options):
    """A huge number raised OverflowError; a start or retry past the year 9999 was stored,
    and `tasks show` of the task then failed with a traceback (60 s doubled 99 times is
    1.9e31 s)."""
    before = page_count(tasker.site)
    with pytest.raises(TaskError, match="9999"):
        tasker.create_task("Jobs", "noop", 1, "Bad", **options)
    assert page_count(tasker.site) == before


def test_task_data_that_holds_itself_or_nests_too_deeply_is_a_task_error(tasker):
    """check_json_keys recursed for ever: RecursionError, not TaskError."""
    looped: dict = {"total": 1}
    looped["self"] = looped
    deep: dict = {}
    inner = deep
    for _ in range(5000):
        inner["a"] = {}
        inner = inner["a"]
    before = page_count(tasker.site)
    for data in (looped, {"rows": [looped]}, deep):
        with pytest.raises(TaskError, match="JSON cannot hold"):
            tasker.create_task("Jobs", "count", 1, "Bad", data)
    assert page_count(tasker.site) == before


def test_an_identical_live_task_gets_a_warning(tasker):
    page = tasker.site.pages.add("basic-page", 1, title="target")
    first = tasker.create_task("Jobs", "count", page, "Import", {"total": 1})
    second = tasker.create_task("Jobs", "count", page, "Import", {"total": 1})
    assert second.id != first.id
    assert f"task {first.id}" in str(tasker.site.notices.warnings()[-1])
    other_data = tasker.create_task("Jobs", "count", page, "Import", {"total": 2})
    assert other_data.signature != first.signature


def test_unique_refuses_an_identical_live_task_by_the_database(tasker):
    site = tasker.site
    page = site.pages.add("basic-page", 1, title="target")
    first = tasker.create_task("Jobs", "noop", page, "Once", unique=True)
    before = page_count(site)
    with pytest.raises(TaskError, match="already waiting or active"):
        tasker.create_task("Jobs", "noop", page, "Once", unique=True)
    assert page_count(site) == before
    # a duplicate made without unique=True inherits the key when the first stops being live
    shadow = tasker.create_task("Jobs", "noop", page, "Once")
    tasker.stop_task(first, kill=True)
    with pytest.raises(TaskError, match=f"task {shadow.id}"):
        tasker.create_task("Jobs", "noop", page, "Once", unique=True)
    tasker.trash_task(shadow)
    assert tasker.create_task("Jobs", "noop", page, "Once", unique=True)


def test_a_finished_task_hands_its_live_key_to_an_identical_waiting_one(tasker):
    page = tasker.site.pages.add("basic-page", 1, title="target")
    first = tasker.create_task("Jobs", "noop", page, "Once", unique=True)
    shadow = tasker.create_task("Jobs", "noop", page, "Once")
    assert tasker.activate_task(first)
    assert run(tasker, first)                     # the step's end passes the key on
    assert tasker.get_state(first) == TaskState.FINISHED
    with pytest.raises(TaskError, match=f"task {shadow.id}"):
        tasker.create_task("Jobs", "noop", page, "Once", unique=True)


def test_scheduling_options_are_stored_for_the_runners(tasker):
    start = datetime.now(timezone.utc) + timedelta(hours=1)
    task = tasker.create_task("Jobs", "noop", 1, "Later", priority=5, not_before=start,
                              retry={"attempts": 3, "backoff": 60}, every="*/5 * * * *")
    priority, not_before, every, retry = runtime(tasker, task, "priority", "not_before", "every", "retry")
    assert (priority, every) == (5, "*/5 * * * *")
    assert abs(not_before - start.timestamp()) < 1
    assert retry == '{"attempts": 3, "backoff": 60}'
    assert tasker.site.pages.get(task.id).task_priority == 5


def test_create_task_is_hookable(tasker):
    seen = []
    tasker.site.add_hook_after("Tasker::create_task", lambda event: seen.append(event.return_value))
    task = tasker.create_task("Jobs", "noop", 1, "Hooked")
    assert seen == [task]


# -- lifecycle --------------------------------------------------------------------------------
def test_activate_then_suspend_then_kill(tasker):
    task = make_task(tasker, "count", total=3, activate=False)
    assert tasker.activate_task(task, activate_anyway=False)
    assert tasker.is_active(task)
    assert tasker.stop_task(task)
    assert tasker.get_state(task) == TaskState.WAITING
    assert tasker.stop_task(task, kill=True)
    assert tasker.get_state(task) == TaskState.KILLED
    assert not tasker.activate_task(task, activate_anyway=False)    # only WAITING then
    assert tasker.get_state(task) == TaskState.KILLED
    assert tasker.activate_task(task)                                 # anyway
    assert tasker.is_active(task)


def test_state_changes_record_who_and_when(tasker):
    task = make_task(tasker, "noop", activate=False)
    before = time.time()
    tasker.activate_task(task, by="cron")
    tasker.stop_task(task, by="admin")
    history = tasker.get_history(task)
    assert [(h["new"], h["who"]) for h in history[1:]] == [(TaskState.ACTIVE, "cron"),
                                                            (TaskState.WAITING, "admin")]
    assert history[-1]["at"] >= before - 1


def test_kill_and_reset_restore_the_data_given_at_creation(tasker):
    task = make_task(tasker, "half", flag="x")
    assert run(tasker, task)
    assert stored_data(tasker, task)["records_processed"] == 1
    assert tasker.site.pages.get(task.id).progress == 50
    tasker.reset_progress(task)
    data = stored_data(tasker, task)
    assert data["records_processed"] == 0 and data["flag"] == "x"
    assert tasker.site.pages.get(task.id).progress == 0
    assert tasker.get_log(task) == []
    assert tasker.get_state(task) == TaskState.WAITING       # reset: back to waiting
    tasker.activate_task(task)
    run(tasker, task)
    tasker.stop_task(task, kill=True)
    assert stored_data(tasker, task)["records_processed"] == 0
    assert tasker.get_state(task) == TaskState.KILLED


@pytest.mark.parametrize("method, state", [("half", TaskState.ACTIVE), ("noop", TaskState.FINISHED),
                                           ("refuse", TaskState.FAILED), ("half", TaskState.KILLED)])
def test_reset_sends_a_task_back_to_waiting_at_zero_from_any_state(tasker, method, state):
    task = make_task(tasker, method, flag="x")
    run(tasker, task)
    if state == TaskState.KILLED:
        tasker.stop_task(task, kill=True)
    assert tasker.get_state(task) == state
    tasker.reset_progress(task, by="admin")
    assert tasker.get_state(task) == TaskState.WAITING
    assert runtime(tasker, task, "progress", "failures", "attempts") == (0, 0, 0)
    assert stored_data(tasker, task)["records_processed"] == 0
    assert stored_data(tasker, task)["flag"] == "x"
    assert tasker.get_step_figures(task)["steps"] == []
    last = tasker.get_history(task)[-1]
    assert (last["old"], last["new"], last["who"], last["note"]) == (
        state, TaskState.WAITING, "admin", "reset to 0%")
    assert tasker.activate_task(task)
    run(tasker, task)                                            # and it runs again
    assert len(tasker.get_step_figures(task)["steps"]) == 1


def test_a_reset_asked_while_a_step_runs_ends_it_waiting_at_zero(tasker):
    task = make_task(tasker, "count", total=5, act_at=2, act="reset")
    run(tasker, task)
    assert tasker.get_state(task) == TaskState.WAITING
    assert runtime(tasker, task, "progress", "running", "reset_pending") == (0, 0, 0)
    assert stored_data(tasker, task)["records_processed"] == 0
    notes = [h["note"] for h in tasker.get_history(task)]
    assert notes[-1] == "reset to 0% (applied when the running step stops)"


def step_rows(tasker, task) -> int:
    return tasker.site.db.scalar("SELECT COUNT(*) FROM tasker_steps WHERE pages_id = ?", (task.id,))


def test_the_step_totals_agree_with_the_steps_table_after_suspend_activate_reset(tasker):
    task = make_task(tasker, "half")
    run(tasker, task)
    tasker.stop_task(task)
    assert runtime(tasker, task, "steps")[0] == step_rows(tasker, task) == 1
    tasker.activate_task(task)
    assert runtime(tasker, task, "steps")[0] == step_rows(tasker, task) == 1
    tasker.reset_progress(task)
    assert runtime(tasker, task, "steps", "run_seconds") == (0, 0)
    assert step_rows(tasker, task) == 0


@pytest.mark.parametrize("act, state", [("kill", TaskState.KILLED), ("reset", TaskState.WAITING)])
def test_a_step_reset_while_it_runs_leaves_no_figures_of_the_undone_run(tasker, act, state):
    task = make_task(tasker, "count", total=6, every=1, act_at=4, act=act)
    run(tasker, task)
    assert tasker.get_state(task) == state
    assert runtime(tasker, task, "steps", "run_seconds", "progress") == (0, 0, 0)
    assert step_rows(tasker, task) == 0
    assert stored_data(tasker, task)["records_processed"] == 0


def test_restart_resets_and_activates(tasker):
    task = make_task(tasker, "half")
    run(tasker, task)
    run(tasker, task)
    assert tasker.get_state(task) == TaskState.FINISHED
    assert tasker.restart_task(task)
    assert tasker.is_active(task) and stored_data(tasker, task)["records_processed"] == 0


def test_trash_task_kills_it_and_moves_it_to_the_trash(tasker):
    task = make_task(tasker, "noop")
    tasker.trash_task(task)
    page = tasker.site.pages.get(task.id)
    assert page.is_trash()
    assert tasker.get_state(task) == TaskState.KILLED


def test_a_task_in_the_trash_is_not_activated_restarted_or_run(tasker):
    """It would run unseen: the task list, get_tasks and the status API leave the trash out."""
    from cms.tasker import claim_next
    task = make_task(tasker, "count", total=3)
    run(tasker, task)
    progress = runtime(tasker, task, "progress")
    tasker.trash_task(task)
    for change in (tasker.activate_task, tasker.restart_task):
        with pytest.raises(TaskError, match="in the trash"):
            change(task)
    with pytest.raises(TaskError, match="in the trash"):
        tasker.activate_task_set([task])
    assert tasker.get_state(task) == TaskState.KILLED
    assert runtime(tasker, task, "progress") == progress          # restart reset nothing
    tasker.site.pages.restore(tasker.site.pages.get(task.id))
    assert tasker.activate_task(task)
    # a task page trashed by page code while the task is active is killed (kill_trashed), and
    # not claimed
    tasker.site.pages.trash(tasker.site.pages.get(task.id))
    assert tasker.get_state(task) == TaskState.KILLED
    assert claim_next(tasker) is None
    assert run(tasker, task) is False


def test_tasks_trashed_with_a_page_by_page_code_are_killed_as_trash_task_kills_them(tasker):
    """They stayed active, and is_active() said so, though no runner claims a task in the
    trash; the tasks waiting for them waited for ever."""
    site = tasker.site
    target = site.pages.add("basic-page", 1, title="Dictionary")
    first = make_task(tasker, "count", page=target, total=3)
    run(tasker, first)
    data = stored_data(tasker, first)
    second = make_task(tasker, "noop", page=target, title="Second")
    elsewhere = make_task(tasker, "noop", title="Elsewhere")
    tasker.add_dependency(elsewhere, second)
    site.pages.trash(site.pages.get(target.id))                 # the page the tasks work on
    for task in (first, second):
        assert tasker.get_state(task) == TaskState.KILLED and not tasker.is_active(task)
        assert tasker.get_history(task)[-1]["note"] == "trashed"
    assert stored_data(tasker, first) == data                     # its data kept, as trash_task
    assert tasker.get_dependencies(elsewhere) == []               # no longer waits for it
    assert tasker.is_active(elsewhere)
    site.pages.trash(site.pages.get(elsewhere.id))                # a task page itself
    assert tasker.get_state(elsewhere) == TaskState.KILLED


def test_a_task_whose_own_step_trashes_its_page_finishes_or_is_killed_as_its_step_ends(tasker):
    """The Pages::trashed hook killed the task whose step called trash() (an archiving job's
    last act): the step's "done" came too late, the task ended killed, not finished, and the
    task waiting for it to finish stayed waiting for ever. A step that goes on after trashing
    its page leaves the task killed, as any trashed task."""
    site = tasker.site
    target = site.pages.add("basic-page", 1, title="Old news")
    archive = make_task(tasker, "archive", page=target, title="Archive")
    then = make_task(tasker, "noop", title="Then", activate=False)
    tasker.add_next_task(archive, then)
    assert run(tasker, archive) is True
    assert tasker.get_state(archive) == TaskState.FINISHED
    assert tasker.get_state(then) == TaskState.ACTIVE                 # its follow-up starts
    other = site.pages.add("basic-page", 1, title="Older news")
    going_on = make_task(tasker, "archive", page=other, title="Archive, go on", done=0)
    run(tasker, going_on)
    assert tasker.get_state(going_on) == TaskState.KILLED
    assert tasker.get_history(going_on)[-1]["note"] == "trashed"


def test_bad_execute_task_params_are_refused_before_the_claim(tasker):
    """A value found bad after the claim left the task held ("already running") until its
    lease ran out, and the reaper counted an attempt."""
    task = make_task(tasker, "count", total=3)
    for params, named in ((5, "must be a dict"), ({"memory_limit": "lots"}, "memory_limit"),
                          ({"memory_limit": 1.5}, "memory_limit"), ({"timeout": "soon"}, "timeout"),
                          ({"timeout": -1}, "timeout"), ({"timeout": float("nan")}, "timeout"),
                          ({"timeout": True}, "timeout"), ({"invoker": 7}, "invoker")):
        with pytest.raises(TaskError, match=named):
            tasker.execute_task(task, params)
    assert runtime(tasker, task, "running", "steps", "attempts") == (0, 0, 0)
    assert tasker.execute_task(task, {"timeout": time.time() + 30, "memory_limit": 0,
                                      "invoker": "me", "mine": [1]})
    assert runtime(tasker, task, "running", "steps") == (0, 1)


def test_a_save_outside_a_step_keeps_what_names_the_work(tasker):
    """A save of a task that is not running wrote task_data whole: without `pageid` (or with
    another module) its next step failed or ran something else."""
    task = make_task(tasker, "count", total=3)
    before = stored_data(tasker, task)
    data = {"records_processed": 1, "total": 3}
    assert tasker.save_progress(task, data)
    assert {key: data[key] for key in ("module", "method", "pageid")} == \
        {key: before[key] for key in ("module", "method", "pageid")}
    assert stored_data(tasker, task) == data
    with pytest.raises(TaskError, match="'module' is 'Jobs'; a save may not change it"):
        tasker.save_progress(task, {**data, "module": "Evil"})
    assert stored_data(tasker, task) == data
    assert run(tasker, task)
    assert tasker.get_state(task) == TaskState.FINISHED
    assert stored_data(tasker, task)["records_processed"] == 3


def test_a_suspend_of_a_task_that_has_ended_changes_nothing(tasker):
    """Sent back to waiting, a finished task ran its work again once activated."""
    task = make_task(tasker, "noop")
    assert run(tasker, task)
    assert tasker.get_state(task) == TaskState.FINISHED
    assert tasker.stop_task(task) is False
    assert tasker.get_state(task) == TaskState.FINISHED
    assert tasker.get_history(task)[-1]["note"] != "suspended"
    failed = make_task(tasker, "boom")
    run(tasker, failed)
    assert tasker.stop_task(failed) is False and tasker.get_state(failed) == TaskState.FAILED
    waiting = make_task(tasker, "noop", activate=False)
    assert tasker.stop_task(waiting) is True and tasker.get_state(waiting) == TaskState.WAITING


def test_lifecycle_calls_refuse_a_page_that_is_not_a_task(tasker):
    with pytest.raises(TaskError, match="not a task"):
        tasker.activate_task(1)
    with pytest.raises(TaskError, match="NullPage"):
        tasker.stop_task(tasker.site.pages.get(424242))


@pytest.mark.parametrize("task", [10**20, -(10**20), str(10**20)])
def test_an_id_past_64_bits_is_no_task_not_an_overflow(tasker, task):
    """activate_task(10**20) (a pasted number, a typo) raised SQLite's OverflowError, where
    an id no page has (999999) is "page 999999 is not a task"; the status reads gave it too."""
    for call in (tasker.activate_task, tasker.stop_task, tasker.reset_progress, tasker.is_active,
                 tasker.get_state, tasker.get_log_summary, tasker.execute_task):
        with pytest.raises(TaskError, match="not a task"):
            call(task)
    assert tasker.get_status(int(task)) is None
    assert tasker.get_statuses([int(task)]) == {}


def test_state_info_reads_running_changes_as_in_progress():
    assert state_info(TaskState.WAITING, running=1) == "suspending"
    assert state_info(TaskState.KILLED, running=1) == "killing"
    assert state_info(TaskState.ACTIVE, running=0) == "active"


# -- dependencies and follow-ups -------------------------------------------------------------
def test_a_dependency_holds_activation_and_runs_until_it_finished(tasker):
    first = make_task(tasker, "noop", title="first", activate=False)
    second = make_task(tasker, "noop", title="second", activate=False)
    tasker.add_dependency(second, first)
    assert tasker.get_dependencies(second) == [first.id]
    assert not tasker.activate_task(second)
    assert tasker.get_state(second) == TaskState.WAITING
    assert "waits for" in str(tasker.site.notices.warnings()[-1])
    tasker.activate_task(first)
    assert run(tasker, first)
    assert tasker.activate_task(second)
    assert run(tasker, second)
    assert tasker.get_state(second) == TaskState.FINISHED


def test_task_data_dep_makes_the_dependencies_as_the_original_tasker_reads_it(tasker):
    """The original Tasker's createTask reads task_data's `dep` (a task, its id, or a list)
    as the tasks the new one waits for; it was kept as plain data here, and the task ran at
    once. A dep naming no task, or a trashed one, creates nothing."""
    first = make_task(tasker, "noop", title="first", activate=False)
    other = make_task(tasker, "noop", title="other", activate=False)
    target = tasker.site.pages.add("basic-page", 1, title="dep target")
    second = tasker.create_task("Jobs", "noop", target, "second", {"dep": [first, str(other.id)]})
    third = tasker.create_task("Jobs", "noop", target, "third", {"dep": first.id})
    assert tasker.get_dependencies(second) == sorted([first.id, other.id])
    assert tasker.get_dependencies(third) == [first.id]
    assert json.loads(second.get("task_data"))["dep"] == [first.id, other.id]
    assert not tasker.activate_task(second) and not tasker.activate_task(third)
    tasker.activate_task(first)
    assert run(tasker, first)
    assert tasker.activate_task(third) and not tasker.activate_task(second)
    pages = tasker.site.pages.count(f"parent={target.id}, include=all")
    tasker.trash_task(other)
    for dep in (other.id, target.id, 987654321, "x"):
        with pytest.raises(TaskError):
            tasker.create_task("Jobs", "noop", target, "refused", {"dep": dep})
    assert tasker.site.pages.count(f"parent={target.id}, include=all") == pages


def test_a_trashed_dependency_no_longer_holds_anyone(tasker):
    first = make_task(tasker, "noop", activate=False)
    second = make_task(tasker, "noop", activate=False)
    tasker.add_dependency(second, first)
    tasker.trash_task(first)
    assert tasker.activate_task(second)


def test_dependency_cycles_and_self_dependencies_are_refused(tasker):
    a = make_task(tasker, "noop", activate=False)
    b = make_task(tasker, "noop", activate=False)
    c = make_task(tasker, "noop", activate=False)
    tasker.add_dependency(b, a)
    tasker.add_dependency(c, b)
    with pytest.raises(TaskError, match="wait for ever"):
        tasker.add_dependency(a, c)
    with pytest.raises(TaskError, match="itself"):
        tasker.add_dependency(a, a)


def test_follow_up_tasks_are_activated_when_a_task_finishes(tasker):
    first = make_task(tasker, "half")
    then = make_task(tasker, "noop", activate=False)
    tasker.add_next_task(first, then)
    run(tasker, first)
    assert tasker.get_state(then) == TaskState.WAITING       # not finished yet
    run(tasker, first)
    assert tasker.get_state(first) == TaskState.FINISHED
    assert tasker.get_state(then) == TaskState.ACTIVE
    later = make_task(tasker, "noop", activate=False)
    tasker.add_next_task(first, later)                         # already finished: at once
    assert tasker.get_state(later) == TaskState.ACTIVE


# -- finding ----------------------------------------------------------------------------------
def test_get_tasks_by_state_or_selector_includes_hidden_pages(tasker):
    waiting = make_task(tasker, "noop", activate=False)
    active = make_task(tasker, "noop")
    assert tasker.get_tasks(TaskState.ACTIVE).ids() == [active.id]
    assert tasker.get_tasks(2).ids() == [waiting.id]
    assert tasker.get_tasks("active").ids() == [active.id]       # as `tasks list --state` reads
    assert tasker.get_tasks("Waiting").ids() == [waiting.id]
    assert set(tasker.get_tasks().ids()) == {waiting.id, active.id}
    assert tasker.get_tasks(f"parent={active.parent_id}").ids() == [active.id]
    assert tasker.get_tasks("task_running=0, progress<100").count() == 2
    assert tasker.site.pages.find("template=tasker-task").count() == 0     # hidden by default


def test_get_task_by_id_returns_only_task_pages(tasker):
    task = make_task(tasker, "noop", activate=False)
    assert tasker.get_task_by_id(task.id) == task
    assert not tasker.get_task_by_id(1)
    assert not tasker.get_task_by_id(999999)


def test_task_pages_refuse_children_and_generic_state_edits(tasker):
    task = make_task(tasker, "noop", activate=False)
    with pytest.raises(cms.PageError, match="may not have children"):
        tasker.site.pages.add("basic-page", task, title="child")
    page = tasker.site.pages.get(task.id)
    with pytest.raises(cms.PageError, match="task_state.*kept by its module"):
        page.task_state = 1
    page.title = "Renamed"                   # its own fields still save
    page.save()
    assert tasker.get_state(task) == TaskState.WAITING and page.task_state == TaskState.WAITING


# -- the seed's example -----------------------------------------------------------------------
def test_the_seed_example_purges_a_dictionary_in_timed_steps(tasker):
    site = tasker.site
    dictionary = site.pages.add("basic-page", 1, "dictionary", title="Dictionary")
    with site.transaction():
        for n in range(60):
            site.pages.add("basic-page", dictionary, f"word-{n}", title=f"word {n}")
    task = tasker.create_task("Jobs", "purge_dictionary", dictionary, "Purge the dictionary",
                              {"pause": 0.01})
    tasker.activate_task(task)
    steps = 0
    while tasker.is_active(task):
        assert tasker.execute_task(task, {"timeout": time.time() + 0.25, "invoker": "cron"})
        steps += 1
        progress = site.pages.get(task.id).progress
        assert 0 <= progress <= 100
    assert steps >= 2
    assert tasker.get_state(task) == TaskState.FINISHED
    assert dictionary.num_children == 1        # only the task itself is left
    assert stored_data(tasker, task)["records_processed"] == 60
    assert tasker.get_log_summary(task) == "100% No error(s)"


def test_a_page_save_changing_a_running_tasks_data_is_refused(tasker):
    """The step writes its task_data at its saves and its end: an edit saved meanwhile was
    accepted and then lost without a word. Its title may still change; a task no step runs
    takes the edit."""
    import json
    task = make_task(tasker, "count", total=5)
    db = tasker.site.db
    db.execute("UPDATE tasker_tasks SET running = 1 WHERE pages_id = ?", (task.id,))
    page = tasker.site.pages.get(task.id)
    data = json.loads(page.task_data)
    page.task_data = json.dumps({**data, "note": "edited"})
    with pytest.raises(TaskError, match=f"task {task.id} is running in a step.*suspend it"):
        page.save()
    assert "note" not in stored_data(tasker, task)
    renamed = tasker.site.pages.get(task.id)
    renamed.title = "Renamed while running"
    renamed.save()
    db.execute("UPDATE tasker_tasks SET running = 0 WHERE pages_id = ?", (task.id,))
    page.save()
    assert stored_data(tasker, task)["note"] == "edited"


def test_a_step_that_changes_what_names_its_work_keeps_it_as_created(tasker):
    """A method that changed task_data's pageid had it saved: the next step failed ("page
    None ... is missing") or worked on another page. A save outside a step refuses it."""
    target = tasker.site.pages.add("basic-page", 1, title="Worked on")
    task = make_task(tasker, "move_away", page=target)
    assert run(tasker, task) is True
    stored = stored_data(tasker, task)
    assert (stored["pageid"], stored["module"]) == (target.id, "Jobs")
    assert run(tasker, task) is True
    assert tasker.get_state(task) == TaskState.FINISHED
    assert stored_data(tasker, task)["seen_page"] == target.id
    log = "\n".join(tasker.get_log(task))
    assert "changed task_data's 'pageid'" in log and "keeps it as created" in log
