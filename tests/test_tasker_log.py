"""A task's log: what the module said while it ran, capped with its first and latest lines kept,
the original's summary line, and the per-step figures that give a rate and an ETA."""
from __future__ import annotations

import re

from tasker_support import make_task, run

from cms.tasker.log import cap_lines

pytest_plugins = ("tasker_fixtures",)      # fixtures: shared_site, tasker

LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (INFO|WARNING|ERROR) ")


def test_a_step_logs_what_the_module_said_with_time_and_level(tasker):
    task = make_task(tasker, "chatty", lines=1, errors=1, warnings=1)
    run(tasker, task)
    log = tasker.get_log(task)
    assert [LINE.sub(r"\1 ", line) for line in log] == [
        "INFO line 0", "ERROR error 0", "WARNING warning 0"]
    assert tasker.site.pages.get(task.id).log_messages.count("\n") == 3


def test_debug_lines_are_logged_only_with_the_debug_setting(tasker):
    tasker.site.modules.save_config("Tasker", debug=1)
    task = make_task(tasker, "chatty")
    run(tasker, task)
    log = "\n".join(tasker.get_log(task))
    assert "INFO debug detail" in log and "step started by" in log


def test_what_other_threads_say_stays_out_of_the_log(tasker):
    task = make_task(tasker, "chatty", elsewhere=True)
    run(tasker, task)
    assert not any("another thread" in line for line in tasker.get_log(task))


def test_the_summary_reads_as_the_original_tasker(tasker):
    task = make_task(tasker, "chatty", errors=1, warnings=2)
    assert tasker.get_log_summary(task) == "No error(s)"
    run(tasker, task)
    assert tasker.get_log_summary(task) == "35% 1 error(s) 2 warning(s)"
    quiet = make_task(tasker, "chatty")
    run(tasker, quiet)
    assert tasker.get_log_summary(quiet) == "35% No error(s)"


def test_the_log_keeps_its_first_and_latest_lines_under_the_cap(tasker):
    tasker.site.modules.save_config("Tasker", log_max_lines=20)
    task = make_task(tasker, "chatty", lines=100, errors=5)
    run(tasker, task)
    log = tasker.get_log(task)
    assert len(log) == 20
    assert log[0].endswith("line 0") and log[1].endswith("line 1")
    assert log[2] == "... 86 line(s) dropped (log_max_lines) ..."
    assert log[-1].endswith("error 4")
    run(tasker, task)                     # the same 105 lines again
    log = tasker.get_log(task)
    assert len(log) == 20 and log[0].endswith("line 0")
    assert log[2] == "... 191 line(s) dropped (log_max_lines) ..."
    assert tasker.get_log_summary(task) == "35% 10 error(s)"      # dropped errors still count


def test_cap_lines_keeps_head_marker_and_tail():
    lines = [f"l{n}" for n in range(30)]
    capped, dropped = cap_lines(lines, 0, 10)
    assert capped == ["l0", "... 21 line(s) dropped (log_max_lines) ...", *[f"l{n}" for n in range(22, 30)]]
    assert dropped == 21
    assert cap_lines(lines[:5], 0, 10) == (lines[:5], 0)


def test_reset_clears_the_log_and_its_counts(tasker):
    task = make_task(tasker, "chatty", errors=2)
    run(tasker, task)
    tasker.reset_progress(task)
    assert tasker.get_log(task) == []
    assert tasker.get_log_summary(task) == "No error(s)"


def test_step_figures_give_a_rate_and_an_eta(tasker):
    task = make_task(tasker, "count", total=40, every=5, pause=0.01)
    run(tasker, task, seconds=0.15)
    figures = tasker.get_step_figures(task)
    assert figures["step_count"] == 1
    step = figures["steps"][0]
    assert step["records"] > 0 and step["seconds"] > 0 and step["peak_memory"] > 10**6
    assert step["result"] == "continue" and step["invoker"] == "api"
    assert figures["rate"] > 0 and figures["eta_seconds"] > 0
    while tasker.is_active(task):
        run(tasker, task)
    figures = tasker.get_step_figures(task)
    assert figures["steps"][0]["result"] == "done" and figures["eta_seconds"] is None
    assert sum(s["records"] for s in figures["steps"]) == 40


def test_activity_counts_state_changes_per_minute(tasker):
    import time as clock
    done = make_task(tasker, "noop")
    while tasker.is_active(done):
        run(tasker, done)
    failed = make_task(tasker, "boom")
    run(tasker, failed)
    waiting = make_task(tasker, "noop", title="Waits")
    tasker.stop_task(waiting)
    minutes = tasker.get_activity(minutes=5)
    assert len(minutes) == 5 and minutes[-1]["minute"] <= clock.time() < minutes[-1]["minute"] + 60
    assert [sum(m[key] for m in minutes) for key in ("finished", "failed", "waited")] == [1, 1, 1]
    # a recurring task's run ends active again, finished or failed: its note counts it
    for method in ("noop", "refuse"):
        recurring = tasker.create_task("Jobs", method, tasker.site.pages.add("basic-page", 1, title=method),
                                       "Nightly", every=3600)
        tasker.activate_task(recurring)
        run(tasker, recurring)
        assert tasker.is_active(recurring)
    minutes = tasker.get_activity(minutes=5)
    assert [sum(m[key] for m in minutes) for key in ("finished", "failed", "waited")] == [2, 2, 1]
    assert tasker.get_activity(minutes=5, now=clock.time() + 3600)[-1]["finished"] == 0
