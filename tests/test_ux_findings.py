"""What a module developer new to Tasker meets: the task API's answers, the task page, the
admin's confirmations, create_task's errors and the charts, found by following the README."""
from __future__ import annotations

import re
import time

import pytest


def test_run_now_on_a_failing_task_with_retries_says_when_it_is_retried(site, superuser):
    """Run now on a task whose step failed with retries left answered "busy: the task could not
    be claimed just now; trying again shortly": the step had been claimed and had failed, and
    the page then called `run` again at once, so every retry ran within a second, none after
    its back-off, and the task failed for good before anyone read why."""
    tasker = site.modules.get("Tasker")
    task = tasker.create_task("WebJobs", "count_to", site.pages.get(1), "Bad target",
                              task_data={"target": "many"}, retry={"attempts": 3, "backoff": 60})
    assert superuser.api("start", task.id).json()["status"] is True
    step = superuser.api("run", task.id).json()
    assert step["task_state"] == 1                      # active: retried later
    assert not step["result"].startswith("busy")
    assert "retried at" in step["result"] and "UTC" in step["result"]


def test_a_task_page_says_when_a_scheduled_task_runs(site, superuser):
    """A nightly task, or one created to start in an hour, showed as READY TO RUN with
    nothing on its page to say it would not run before then (nor that it repeats): the time
    was only in `tasks show` and, once a run had ended, in a log line. Action Scheduler's
    list has a "Scheduled date" for every action."""
    tasker = site.modules.get("Tasker")
    home = site.pages.get(1)
    nightly = tasker.create_task("WebJobs", "count_to", home, "Nightly", task_data={"target": 1},
                                 every="0 3 * * *", retry={"attempts": 2, "backoff": 30})
    tasker.activate_task(nightly)
    tasker.execute_task(nightly, {"invoker": "cron"})          # its first run, now
    later = tasker.create_task("WebJobs", "count_to", home, "Later", task_data={"target": 2},
                               not_before=time.time() + 3600)
    tasker.activate_task(later)
    page = superuser.get(f"/admin/tasks/{nightly.id}/").text
    next_run = time.strftime("%Y-%m-%d 03:00:00 UTC", time.gmtime(tasker.due_at(nightly)))
    assert re.search(r"<dt>Next run</dt>\s*<dd>" + next_run, page), page
    assert re.search(r"<dt>Repeats</dt>\s*<dd>0 3 \* \* \*", page)
    assert re.search(r"<dt>Retries</dt>\s*<dd>2, after 30 s", page)
    page = superuser.get(f"/admin/tasks/{later.id}/").text
    assert re.search(r"<dt>Next run</dt>\s*<dd>" + time.strftime(
        "%Y-%m-%d %H:%M:%S UTC", time.gmtime(tasker.due_at(later))), page)
    assert "<dt>Repeats</dt>" not in page


def test_reset_of_a_failed_task_asks_first_as_it_throws_its_log_away(site, superuser):
    """A failed task's row offers Try again and Reset side by side; Reset, unasked, cleared
    the log with the traceback the developer had come to read, and the steps, in one click.
    The README: what cannot be taken back in one click asks first. A killed task, at 0% with
    an empty log, has nothing to lose and is still reset at once."""
    tasker = site.modules.get("Tasker")
    task = tasker.create_task("WebJobs", "count_to", site.pages.get(1), "Bad target",
                              task_data={"target": "many"})
    tasker.activate_task(task)
    tasker.execute_task(task, {"invoker": "cron"})
    assert tasker.get_state(task) == 5 and tasker.get_log(task)
    listed = superuser.get("/admin/tasks/").text
    reset = re.search(rf'data-task-id="{task.id}".*?(<button[^>]*value="reset"[^>]*>)', listed, re.S)
    assert reset and 'data-confirm="Reset this task? It goes back to its start' in reset.group(1)
    asked = superuser.post(f"/admin/tasks/{task.id}/action",
                           {"cmd": "reset", "csrf_token": superuser.token()})
    assert asked.status == 200 and "Reset the task Bad target?" in asked.text
    assert tasker.get_state(task) == 5 and tasker.get_log(task)      # asked, nothing done yet


def test_create_task_refuses_a_method_that_cannot_take_a_task_s_arguments(site):
    """create_task("CsvImporter", "helper", ...) of a public helper (`def helper(self)`) made a
    task that every runner then failed with "TypeError: helper() takes 1 positional argument
    but 4 were given"; DESIGN.md: an unknown method raises TaskError and creates nothing."""
    import cms
    from cms.tasker import TaskError

    class Importer(cms.Module):
        def import_rows(self, page, task_data, options):
            return True

        def import_more(self, page, *args, **kwargs):
            return True

        def helper(self):
            return 42

        def two_args(self, page, task_data):
            return True

    site.modules.register(Importer)
    tasker = site.modules.get("Tasker")
    home = site.pages.get(1)
    for method in ("import_rows", "import_more"):
        assert tasker.create_task(Importer, method, home, method)
    for method in ("helper", "two_args"):
        with pytest.raises(TaskError, match=rf"{method}.*\(page, task_data, options\)"):
            tasker.create_task(Importer, method, home, method)
    assert len(tasker.get_tasks()) == 2


def test_a_module_not_found_names_the_modules_there_and_a_file_that_failed_to_load(tmp_path, db_url):
    """create_task("CSVImporter", ...) for the class CsvImporter in modules/, or for a module
    whose file has a syntax error, said only "module 'CSVImporter' not found; looked in:
    <site>/modules; ...": the folder it had read, not what it found there nor that a file in it
    did not load, which was a separate log line (on stderr, or nowhere in a web request)."""
    import cms
    from cms.tasker import TaskError

    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "importer.py").write_text(
        "import cms\n\nclass CsvImporter(cms.Module):\n"
        "    def import_rows(self, page, task_data, options):\n        return True\n")
    (tmp_path / "modules" / "broken.py").write_text(
        "import cms\n\nclass Reindexer(cms.Module):\n    def reindex(self, page, task_data, options)\n")
    site = cms.boot(db_url, site_dir=tmp_path)
    tasker = site.modules.get("Tasker")
    with pytest.raises(TaskError, match=r"modules found: CsvImporter, Dictionary, Tasker"):
        tasker.create_task("CSVImporter", "import_rows", site.pages.get(1), "Import")
    with pytest.raises(TaskError, match=r"broken\.py.*syntax error"):
        tasker.create_task("Reindexer", "reindex", site.pages.get(1), "Re-index")


def test_a_task_page_says_which_dependencies_are_done_and_what_starts_next(site, superuser):
    """A task whose dependency had finished still said "Waits for: First" (finished itself,
    too), and a task's follow-ups (add_next_task) were shown nowhere: the chain a developer
    built could not be read from the admin."""
    tasker = site.modules.get("Tasker")
    home = site.pages.get(1)
    first = tasker.create_task("WebJobs", "count_to", home, "First", task_data={"target": 1})
    second = tasker.create_task("WebJobs", "count_to", home, "Second", task_data={"target": 2})
    third = tasker.create_task("WebJobs", "count_to", home, "Third", task_data={"target": 3})
    tasker.add_dependency(second, first)
    tasker.add_next_task(second, third)
    page = superuser.get(f"/admin/tasks/{second.id}/").text
    assert re.search(r"<dt>Waits for</dt>\s*<dd><a [^>]*>First</a> \(waiting\)", page), page
    assert re.search(rf'<dt>Then starts</dt>\s*<dd><a href="/admin/tasks/{third.id}/">Third</a>', page)
    tasker.activate_task(first)
    tasker.execute_task(first, {"invoker": "cron"})
    page = superuser.get(f"/admin/tasks/{second.id}/").text
    assert "<dt>Waits for</dt>" not in page
    assert re.search(r"<dt>Depends on</dt>\s*<dd><a [^>]*>First</a> \(finished\)", page)


def test_a_module_added_to_a_file_already_loaded_says_to_restart_the_process(tmp_path, db_url):
    """A class added to modules/importer.py while the server ran: the task created from a
    fresh script was run by the server's lazy cron, which failed it for good with "module
    'Reindexer' not found; looked in: <site>/modules" though the class was in that folder.
    The README says a changed file needs the process restarted; the error did not."""
    import os

    import cms
    from cms.errors import ModuleError

    source = tmp_path / "modules" / "importer.py"
    source.parent.mkdir()
    source.write_text("import cms\n\nclass Importer(cms.Module):\n    pass\n")
    site = cms.boot(db_url, site_dir=tmp_path)
    assert site.modules.get_class("Importer")
    source.write_text(source.read_text() + "\n\nclass Reindexer(cms.Module):\n    pass\n")
    later = source.stat().st_mtime + 5
    os.utime(source, (later, later))
    with pytest.raises(ModuleError, match=r"importer\.py changed after this process loaded it.*restart"):
        site.modules.get_class("Reindexer")


def test_task_data_json_cannot_hold_is_named_by_its_key(site):
    """A datetime put in task_data (at create_task, or by a step) was refused as "task_data
    holds a value JSON cannot hold: Object of type datetime is not JSON serializable", with no
    word of where: in a task_data of a hundred keys the developer had to guess which."""
    from datetime import datetime

    from cms.tasker import TaskError

    tasker = site.modules.get("Tasker")
    data = {"file": "rows.csv", "batches": [1, {"seen": datetime(2026, 1, 1)}]}
    with pytest.raises(TaskError, match=r"task_data\['batches'\]\[1\]\['seen'\] holds a datetime"):
        tasker.create_task("Dictionary", "import_words", site.pages.get(1), "Import", task_data=data)
    with pytest.raises(TaskError, match=r"task_data\['ratio'\] holds a float \(nan\)"):
        tasker.create_task("Dictionary", "import_words", site.pages.get(1), "Import",
                           task_data={"ratio": float("nan")})


def run_steps(site, module, steps: int):
    """Register `module`, make its `count` a task on the home page and run `steps` steps of
    it as cron would: (tasker, task)."""
    site.modules.register(module)
    tasker = site.modules.get("Tasker")
    task = tasker.create_task(module, "count", site.pages.get(1), "Count")
    tasker.activate_task(task)
    for _ in range(steps):
        tasker.execute_task(task, {"invoker": "cron"})
    return tasker, task


def test_a_counter_that_is_no_number_is_said_in_the_log(site):
    """A CSV import that counted rows as read (`task_data["records_processed"] = row["line"]`,
    text): the bar stood at 0%, the rate at "–", and a hundred steps later the task failed
    "made no progress ... records_processed and progress did not change" with no word that
    the counter was text."""
    import cms

    class TextCounter(cms.Module):
        def count(self, page, task_data, options):
            task_data["max_records"] = "100"
            task_data["records_processed"] = "12"
            return True

    tasker, task = run_steps(site, TextCounter, 1)
    said = [line for line in tasker.get_log(task) if "WARNING" in line]
    assert any("'records_processed' is '12' (a str), not a number" in line for line in said), said
    assert any("'max_records' is '100' (a str)" in line for line in said), said


def test_a_task_page_says_when_visitors_cannot_see_its_public_page(site, superuser):
    """"Public page" linked the task's URL as if visitors could open it, where a site that has
    not opened the tasker-task template to guests (README: Access control) gives them the 404
    page. The link now says so, until the template gives guests view access."""
    tasker = site.modules.get("Tasker")
    task = tasker.create_task("WebJobs", "count_to", site.pages.get(1), "Watched",
                              task_data={"target": 1})
    note = "visitors get the 404 page"
    assert note in superuser.get(f"/admin/tasks/{task.id}/").text
    site.templates["tasker-task"].set_access(view=["guest"])
    assert note not in superuser.get(f"/admin/tasks/{task.id}/").text


def test_a_counter_that_is_no_number_is_said_once_not_at_every_step(site):
    """The warning about a counter that is text was written at the end of every step: a CSV
    import of ten thousand steps wrote ten thousand of them, and pushed the task's other log
    lines (kept up to `log_max_lines`) out of its log. It is said at the step that made it text."""
    import cms

    class TextCounter(cms.Module):
        def count(self, page, task_data, options):
            task_data["rows"] = task_data.get("rows", 0) + 1
            task_data["records_processed"] = str(task_data["rows"])
            return True

    tasker, task = run_steps(site, TextCounter, 5)
    said = [line for line in tasker.get_log(task) if "'records_processed' is" in line]
    assert len(said) == 1, said


def test_the_task_page_of_a_task_whose_counter_is_text_opens(site, superuser):
    """A counter left as text that is no whole number (`"12 rows"`, `"1.5"`, read from a CSV:
    the log now warns of it) made the task's page answer 500: the progress chart was given
    int() of it. The page opens, the chart drawn as for no count."""
    import json
    tasker = site.modules.get("Tasker")
    task = tasker.create_task("WebJobs", "count_to", site.pages.get(1), "Text counter",
                              task_data={"target": 2})
    page = site.pages.get(task.id)
    data = json.loads(page.get("task_data"))
    page.set("task_data", json.dumps({**data, "records_processed": "12 rows", "max_records": "1.5"}))
    page.save("task_data")
    answer = superuser.get(f"/admin/tasks/{task.id}/")
    assert answer.status == 200, answer
    assert "Text counter" in answer.text


def test_step_figures_of_a_task_whose_max_records_is_text(site):
    """A method that counts its rows (a number) but reads the total from a CSV header (text,
    `"100"`): once a step had counted a record, `get_step_figures` subtracted the two for the
    ETA and raised a TypeError, and the task's page, which draws its figures, answered 500.
    The ETA is unknown without a number to count down from."""
    import cms

    class HalfText(cms.Module):
        def count(self, page, task_data, options):
            task_data["max_records"] = "100"
            task_data["records_processed"] += 10
            return True

    tasker, task = run_steps(site, HalfText, 2)
    figures = tasker.get_step_figures(task)
    assert figures["rate"] and figures["eta_seconds"] is None


def test_run_now_that_loses_the_claim_to_a_run_ending_elsewhere_does_not_say_its_step_failed(
        site, superuser, monkeypatch):
    """Run now on a recurring task just as a worker ended its run: the claim failed (the worker
    held the task) and the task's next time moved, so the page said "the step failed; it is
    retried at ..." of a step it never ran, and nothing had failed."""
    from cms.tasker.runners import browser
    tasker = site.modules.get("Tasker")
    task = tasker.create_task("WebJobs", "count_to", site.pages.get(1), "Nightly",
                              task_data={"target": 1}, every="0 3 * * *")
    tasker.activate_task(task)

    def a_worker_ends_the_run_first(tasker, task_id, **_):
        tasker.site.db.execute("UPDATE tasker_tasks SET not_before = ? WHERE pages_id = ?",
                               (time.time() + 3600, task_id))
        return None                                   # so the claim finds it taken

    monkeypatch.setattr(browser, "claim_task", a_worker_ends_the_run_first)
    result = superuser.api("run", task.id).json()["result"]
    assert "failed" not in result, result
    assert result.startswith("later: ") and "another runner" in result, result
    assert not any("failed" in line for line in tasker.get_log(task))
