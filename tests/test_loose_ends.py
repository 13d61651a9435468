"""Loose ends a review left: Tasker methods that each read a task id their own way, numbers
of more digits than Python reads, a status save that read the stored status twice, a task of
a module that cannot install, and runner options below what a runner can work with."""
from __future__ import annotations

import pytest
from tasker_support import make_task

import cms
from cms.tasker import TaskError

pytest_plugins = ("tasker_fixtures",)      # fixtures: shared_site, tasker, cli

# What no Tasker method may take for a task: not a page, an int nor an id as text (46.0 and
# "46.5" are no page's id, True is no number of a page)
NOT_IDS = [46.0, "46.5", "46.0", True, None, "abc"]
# Ids no page has: past 64 bits, as an int or as text, and past the 4,300 digits int() reads
NO_TASKS = [10**30, "9" * 25, "9" * 5000, 10**5000]


@pytest.mark.parametrize("bad", NOT_IDS, ids=repr)
def test_get_status_refuses_what_is_no_task_id_as_every_tasker_method_does(tasker, bad):
    """get_status read the id by hand (`int(task)`): 46.0 gave task 46's status, True page
    1's (None), "46.5" and "abc" raised ValueError, None TypeError, where get_state, get_log,
    get_task_by_id ... all raise TaskError ("a task is a page or a page id, not ...")."""
    task = make_task(tasker, activate=False)
    bad = float(task.id) if bad == 46.0 else bad
    with pytest.raises(TaskError, match="a task is a page or a page id") as expected:
        tasker.get_state(bad)
    with pytest.raises(TaskError) as raised:
        tasker.get_status(bad)
    assert str(raised.value) == str(expected.value)
    with pytest.raises(TaskError) as raised:
        tasker.get_statuses([task.id, bad])
    assert str(raised.value) == str(expected.value)


@pytest.mark.parametrize("missing", NO_TASKS, ids=["int-30-digits", "25-digits", "5000-digits",
                                                   "int-10**5000"])
def test_an_id_no_page_has_is_no_task_to_every_tasker_method(tasker, missing):
    """An id no page can have is "no task" in each method's own words: get_task_by_id a
    NullPage, get_status None, get_statuses leaves it out, the others TaskError "is not a
    task". get_status raised ValueError for 5,000 digits, get_task_by_id TaskError for 25 (and
    a NullPage for the same number as an int), and for the int 10**5000 every method raised
    ValueError writing its message ("Exceeds the limit (4300 digits) for integer string
    conversion")."""
    task = make_task(tasker, activate=False)
    assert not tasker.get_task_by_id(missing)
    assert tasker.get_status(missing) is None
    assert list(tasker.get_statuses([task.id, missing])) == [task.id]
    for method in (tasker.get_state, tasker.get_log, tasker.stop_task, tasker.get_details):
        with pytest.raises(TaskError, match="is not a task"):
            method(missing)


# -- numbers of thousands of digits ----------------------------------------------------------------
BIG = "9" * 5000
SHOWN = "99999999999999999999... (5,000 digits)"     # how every message shows such a number


def test_get_total_of_thousands_of_digits_counts_as_get_total_1(tasker):
    """find("get_total=999...") (5,000 digits) raised Python's ValueError (int() reads at most
    4,300 digits), where get_total=2, any number but 0, counts."""
    site = tasker.site
    assert site.pages.find("get_total=" + BIG).total == site.pages.find("get_total=2").total > 0


def test_numbers_past_what_python_writes_out_are_refused_naming_the_setting(tasker):
    """save_config(max_running=10**5000) and an Integer field's min=10**5000 raised ValueError
    while writing their messages (str() writes at most 4,300 digits), where 10**30 is
    refused naming the setting; -10**5000 and 10**5000 are numbers, past the range."""
    from cms import ValidationError
    site = tasker.site
    with pytest.raises(ValidationError, match="max_running") as raised:
        site.modules.save_config("Tasker", max_running=10**5000)
    assert "... (5,001 digits)" in str(raised.value)
    with pytest.raises(ValidationError, match="min") as raised:
        site.fields.add("loose_min", "Integer", min=-10**5000)
    assert "-... (5,001 digits)" in str(raised.value)
    assert not site.fields.get("loose_min")


@pytest.mark.parametrize("where", ["task id", "setting", "Integer min", "Integer value",
                                   "Page value", "tasks show"])
def test_a_number_of_thousands_of_digits_is_shown_alike_in_every_message(tasker, cli, where):
    """Each place that refuses a number of thousands of digits wrote it its own way: 40 digits
    and "...", 20 and "...", 30, the whole number, a repr cut at 77 characters, or
    "<a int too long to write>". One style now: its first 20 digits and how many it has."""
    from cms import ValidationError
    site = tasker.site
    if not site.templates.get("loose"):
        site.fields.add("loose_refs", "Page")
        site.fields.add("loose_hits", "Integer")
        site.templates.add("loose", fields=["title", "loose_refs", "loose_hits"])
    if where == "tasks show":
        code, _, err = cli("tasks", "show", BIG)      # as for 20 digits: no such task
        assert code == 1 and f"there is no task with id {SHOWN}" in err, err
        return
    calls = {
        "task id": lambda: tasker.get_state(BIG),
        "setting": lambda: site.modules.save_config("Tasker", max_running=BIG),
        "Integer min": lambda: site.fields.add("loose_low", "Integer", min=BIG),
        "Integer value": lambda: site.pages.add("loose", 1, title="Odd", loose_hits=BIG),
        "Page value": lambda: site.pages.add("loose", 1, title="Odd", loose_refs=BIG),
    }
    with pytest.raises((TaskError, ValidationError)) as raised:
        calls[where]()
    assert SHOWN in str(raised.value), raised.value


@pytest.mark.parametrize("where", ["setting", "Text maxlength", "Integer min"])
def test_a_number_typed_with_two_minus_signs_is_refused_as_no_number(tasker, where):
    """"--5" passed the checks that strip every leading "-" (`lstrip("-")`) and reached int():
    a field's maxlength or min raised ValueError, and a setting was called "at most
    9223372036854775807 either way ... not --5...", where it is no whole number."""
    from cms import ValidationError
    site = tasker.site
    calls = {
        "setting": ("max_running must be a whole number",
                    lambda: site.modules.save_config("Tasker", max_running="--5")),
        "Text maxlength": ("maxlength must be 1..700",
                           lambda: site.fields.add("loose_text", "Text", maxlength="--5")),
        "Integer min": ("min '--5' is not a whole number",
                        lambda: site.fields.add("loose_int", "Integer", min="--5")),
    }
    said, call = calls[where]
    with pytest.raises(ValidationError) as raised:
        call()
    assert said in str(raised.value).replace("'max_running'", "max_running"), raised.value


# -- a status save -------------------------------------------------------------------------------
def test_a_status_change_reads_the_stored_status_once_with_the_same_events(tasker):
    """A save that changes the status read the stored status twice: once for the status hooks
    (`status_previous`), once more to check the trash bits. Once now, and the hooks see what
    they saw: status_change_ready, publish_ready, save_ready, saved, status_changed,
    published, with `status_previous` the stored status (ProcessWire 3.0.256's order)."""
    from conftest import ENGINE, statements_of

    from cms import Page
    site = tasker.site
    page = site.pages.add("basic-page", 1, title="Status once", status=Page.STATUS_UNPUBLISHED)
    seen = []
    for name in ("status_change_ready", "publish_ready", "save_ready", "saved",
                 "status_changed", "published"):
        site.pages.add_hook_before(name, lambda event, name=name: seen.append(
            (name, event.arguments[0].status_previous)))
    was = page.status
    page.remove_status(Page.STATUS_UNPUBLISHED)
    if ENGINE == "sqlite":
        _, statements = statements_of(site, page.save)
        reads = [s for s in statements if s.startswith("SELECT status") and "FROM pages" in s]
        assert len(reads) == 1, statements
    else:
        page.save()
    assert seen == [("status_change_ready", was), ("publish_ready", was), ("save_ready", was),
                    ("saved", was), ("status_changed", was), ("published", was)]
    assert site.pages.get(page.id).status == was & ~Page.STATUS_UNPUBLISHED


# -- a task of a module that cannot install -------------------------------------------------------
class Unlicensed(cms.Module):
    """A module whose install() fails half-way, after adding a field."""
    info = {"title": "Unlicensed", "version": "1.0.0"}

    def install(self):
        self.site.fields.add("unlicensed_key", "Text")
        raise RuntimeError("no licence key")

    def work(self, page, data, options):
        data["task_done"] = 1
        return True


def test_a_task_of_a_module_that_cannot_install_is_refused_leaving_nothing(tasker):
    """create_task(Unlicensed, ...) created the task, and its first step failed ("module
    'Unlicensed' is missing (... failed to install ...)"). DESIGN: invalid input raises
    TaskError and creates nothing. The module is installed as its first step would install
    it (`modules.get`), so its failure is the caller's TaskError: no task page, the module
    not marked installed, its half-made field undone."""
    site = tasker.site
    before = len(tasker.get_tasks("include=all"))
    with pytest.raises(TaskError, match="Unlicensed.*failed to install.*no licence key"):
        tasker.create_task(Unlicensed, "work", 1, "Needs a licence")
    assert len(tasker.get_tasks("include=all")) == before
    assert not site.modules.is_installed("Unlicensed")
    assert not site.fields.get("unlicensed_key")


class SelfStarting(cms.Module):
    """A module whose install() creates its first task (a site's first import, say)."""
    info = {"title": "Self-starting", "version": "1.0.0"}

    def install(self):
        self.site.modules.get("Tasker").create_task(self, "work", 1, "First import")

    def work(self, page, data, options):
        data["task_done"] = 1
        return True


def test_a_module_may_create_a_task_from_its_own_install(tasker):
    """create_task installs a module that is not installed; from that module's own install()
    it must not start a second install of it (which would create the task again, and again)."""
    site = tasker.site
    try:
        site.modules.install(SelfStarting)
        assert site.modules.is_installed("SelfStarting")
        assert [task.title for task in tasker.get_tasks("title=First import")] == ["First import"]
    finally:
        site.modules.uninstall("SelfStarting")


# -- runner options below what a runner can work with ---------------------------------------------
def test_a_worker_whose_max_memory_is_below_its_own_size_says_so_and_runs_nothing(tasker, cli):
    """`worker --max-memory 1` started, and each step process, over 1 MB from its boot, ran
    a step that could do nothing (allowed_to_execute is False at 90% of the limit), recycled
    itself and was started again, step after step, for ever, saying nothing but "active 0%".
    A limit below what a step process holds once booted is an error (exit 1, one line)
    before any process starts or any task is claimed."""
    task = make_task(tasker)
    code, out, err = cli("worker", "--max-memory", "1", "--until-idle")
    assert code == 1, (out, err)
    assert len(err.splitlines()) == 1 and err.startswith("cms: error: --max-memory 1 MB"), err
    assert "no step could do its work" in err and "0 for no limit" in err
    assert tasker.get_details(task)["steps"] == 0


@pytest.mark.parametrize("args, said", [
    (["worker", "--until-idle", "--step-time", "0.01"], "--step-time must be at least 0.1"),
    (["tasks", "run", "{task}", "--step-time", "0.01"], "--step-time must be at least 0.1"),
    (["worker", "--until-idle", "--poll", "0.0001"], "--poll must be at least 0.1"),
    (["cron", "--time-limit", "0.2"], "--time-limit must be at least 1"),
], ids=["worker-step-time", "run-step-time", "worker-poll", "cron-time-limit"])
def test_runner_times_too_short_for_any_work_are_bad_usage(tasker, cli, args, said):
    """A step of 0.01 s stops before it starts (a step ends 0.05 s before its time is up), a
    cron run of 0.2 s claims nothing (no claim is taken in the last half second), and a
    worker polling every 0.0001 s asks the database ten thousand times a second: each ran,
    doing nothing, or hammering the database. Bad usage now (exit 2), before anything runs,
    as `--step-time 0` is."""
    task = make_task(tasker)
    code, _, err = cli(*[arg.format(task=task.id) for arg in args])
    assert code == 2 and said in err, err
    assert tasker.get_details(task)["steps"] == 0
