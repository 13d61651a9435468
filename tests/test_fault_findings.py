"""Faults found in review: a step that ends its process (sys.exit, os._exit with code 0 or
1), and a disk that fills up mid-step on SQLite.

Real `python run.py cron` processes where the fault is the runner's, on the runner tests'
Counter module (`runner_jobs.py`).
"""
from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import ENGINE
from tasker_support import prepare_counter_site
from test_runners import add_task, cms, hits, in_process, row

from cms.tasker import TaskState

SETTINGS = {"lease_seconds": 3, "max_attempts": 20}
prepare_shared_site = prepare_counter_site
TASKER_SETTINGS = SETTINGS
pytest_plugins = ("tasker_fixtures",)      # fixtures: shared_site, tasker, worker_env


@pytest.mark.slow
@pytest.mark.parametrize("method, raised", [("quit", "SystemExit"), ("interrupt", "KeyboardInterrupt")])
def test_a_step_that_exits_or_interrupts_fails_its_task_and_the_runner_goes_on(tasker, worker_env,
                                                                              method, raised):
    """A method that calls sys.exit(0) (module code, a library's error path) raised
    SystemExit through the step: the step gave the task back with no attempt counted and
    re-raised it, so the runner's step process exited with the method's code. Exit code 0
    reads as "nothing left to do": cron ended saying no task was ready, and a worker's
    process was retired (`worker --processes 1` stopped altogether), the task still active
    for the next run to do the same, for ever; any other code respawned the process in a
    loop. A KeyboardInterrupt the method raised did the same with exit 1 (cron: "the step
    process could not start"): a runner's step process ignores Ctrl-C, so it is the method's
    own. Both fail the task as an exception does, with its traceback in the log (DESIGN.md)."""
    quitter = add_task(tasker, method, "Quits", {"code": 0}, priority=1)
    after = add_task(tasker, "bump", "Runs after it")
    done = cms(worker_env, "cron", "--time-limit", "20")
    assert done.returncode == 0, done.stderr
    log = "\n".join(tasker.get_log(quitter))
    assert row(tasker, quitter)[:2] == (TaskState.FAILED, 0), (log, done.stdout)
    assert raised in log
    assert tasker.site.pages.get(quitter.parent.id).get("hits") is None     # rolled back
    assert row(tasker, after)[:2] == (TaskState.FINISHED, 0), done.stdout
    assert tasker.site.pages.get(after.parent.id).get("hits") == 1


def test_ctrl_c_in_a_script_running_a_step_gives_the_task_back(tasker):
    """Where Ctrl-C is not ignored (a script calling execute_task), a KeyboardInterrupt is the
    user's: the task goes back to the runners, with no attempt counted, and the script stops.
    The step is in the task's steps as "killed", as a worker's step stopped at a second
    SIGTERM is (it left no row: `tasks show` said "steps 0" for a step that ran)."""
    import signal
    import time
    task = add_task(tasker, "interrupt", "Interrupted")
    # Ctrl-C as in a terminal: a test run started in the background inherits it ignored
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            tasker.execute_task(task, {"timeout": time.time() + 10})
    finally:
        signal.signal(signal.SIGINT, previous)
    assert row(tasker, task)[:2] == (TaskState.ACTIVE, 0)
    assert "interrupted (KeyboardInterrupt)" in "\n".join(tasker.get_log(task))
    figures = tasker.get_step_figures(task)
    assert [step["result"] for step in figures["steps"]] == ["killed"]
    assert figures["step_count"] == 1


def test_a_stop_handlers_sys_exit_in_a_script_gives_the_task_back_and_ends_the_script(tasker):
    """A script under systemd or Docker stops on SIGTERM with a handler calling sys.exit(): the
    SystemExit came through the step it interrupted, which failed the task as the method's own
    and swallowed the exit, so the script ran on. Where SIGTERM is not ignored (not a runner's
    step process) it gives the task back and ends the script, as Ctrl-C does."""
    import signal
    import time
    task = add_task(tasker, "quit", "Stopped by its script", {"code": 0})
    assert signal.getsignal(signal.SIGTERM) is not signal.SIG_IGN
    with pytest.raises(SystemExit):
        tasker.execute_task(task, {"timeout": time.time() + 10})
    assert row(tasker, task)[:2] == (TaskState.ACTIVE, 0)
    assert "interrupted (SystemExit)" in "\n".join(tasker.get_log(task))


@pytest.mark.skipif(ENGINE != "sqlite", reason="SQLite's own rollback of a transaction on a "
                    "full disk (PRAGMA max_page_count stands in for the disk)")
def test_a_disk_full_mid_step_fails_the_task_saying_so(tasker):
    """SQLite rolls the whole transaction back by itself when the disk is full (SQLITE_FULL,
    also an I/O error): the step's own ROLLBACK then raised "cannot rollback - no
    transaction is active", which escaped execute_task in place of the error, so the
    runner's process stopped "on an unexpected error" (cron: "the step process could not
    start"), the task stayed claimed until its lease ran out, and no log said the disk was
    full."""
    import time
    task = add_task(tasker, "fill_disk", "Fills the disk")
    assert tasker.execute_task(task, {"timeout": time.time() + 20}) is False
    log = "\n".join(tasker.get_log(task))
    assert row(tasker, task)[:2] == (TaskState.FAILED, 0), log
    assert "database or disk is full" in log


@pytest.mark.skipif(ENGINE != "sqlite", reason="SQLite's own rollback of a transaction on a "
                    "full disk (PRAGMA max_page_count stands in for the disk)")
def test_a_disk_full_in_a_batch_fails_only_that_task_and_the_runner_goes_on(tasker, monkeypatch):
    """The same in a runner's batch of short steps: the step's ROLLBACK TO SAVEPOINT raised
    "no such savepoint" (the savepoint went with the transaction SQLite rolled back), which
    escaped the runner's loop: its process stopped, the task stayed claimed, and the steps
    behind it in the queue waited for a reaper."""
    monkeypatch.setattr(tasker.storage, "batch_steps", 4)
    monkeypatch.setattr(tasker.storage, "batch_seconds", 5.0)
    first = add_task(tasker, "bump", "Before")
    tasks = [add_task(tasker, method, f"In batch {i}")
             for i, method in enumerate(["bump", "fill_disk", "bump", "bump"])]
    executor = in_process(tasker)
    assert executor.run() == 0
    log = "\n".join(tasker.get_log(tasks[1]))
    assert row(tasker, tasks[1])[:2] == (TaskState.FAILED, 0), log
    assert "database or disk is full" in log
    others = [first, tasks[0], *tasks[2:]]
    assert [row(tasker, t)[:2] for t in others] == [(TaskState.FINISHED, 0)] * 4
    assert [hits(tasker, t) for t in others] == [1] * 4    # the one SQLite undid ran again
    assert not tasker.site.db.in_transaction()


@pytest.mark.slow
@pytest.mark.parametrize("runner, code", [("worker", 0), ("cron", 1)])
def test_a_step_process_that_exits_mid_step_is_replaced_whatever_its_exit_code(tasker, worker_env,
                                                                               runner, code):
    """A step's process that ended mid-step (os._exit in module code, a C library's exit())
    was judged by its exit code as if it had ended between steps: code 0 as "nothing left to
    do" (the process was retired: `worker --processes 1` stopped at the first such death),
    code 1 as "could not start" (a back-off, and cron gave up after three with "the step
    process could not start"). The task's other runs and every other task waited for the
    next cron run or a restart of the worker."""
    tasker.site.modules.save_config("Tasker", max_attempts=3)
    dying = add_task(tasker, "exit_now", "Exits", {"code": code}, priority=1)
    after = add_task(tasker, "bump", "Runs after it")
    args = (("worker", "--processes", "1", "--until-idle", "--poll", "0.2") if runner == "worker"
            else ("cron", "--time-limit", "20"))
    done = cms(worker_env, *args)
    assert done.returncode == 0, (done.stdout[-1500:], done.stderr[-1500:])
    log = "\n".join(tasker.get_log(dying))
    assert row(tasker, dying)[:2] == (TaskState.FAILED, 0), (log, done.stdout[-1500:])
    assert "died 3 time(s) in a row" in log
    assert row(tasker, after)[:2] == (TaskState.FINISHED, 0), done.stdout[-1500:]


@pytest.mark.slow
@pytest.mark.parametrize("code", [0, 2])
def test_a_run_now_step_process_that_exits_mid_step_hands_the_task_on(tasker, code):
    """Run now's (and lazy cron's) watched child was judged by its exit code alone: one that
    died mid-step with code 0 (os._exit in module code) counted as a step that ran and did
    not fail, its claim left held with no log line (Run now then answered "already running"
    until the lease ran out); with code 2 the task was given back with no attempt counted
    and no log line, so it was run again and again (lazy cron: after every request)."""
    import time

    from cms.tasker.runners.browser import run_supervised_step
    task = add_task(tasker, "exit_now", "Exits", {"code": code})
    assert run_supervised_step(tasker, task.id, {"invoker": "admin", "admin_run": True,
                                                 "timeout": time.time() + 10}) is False
    log = "\n".join(tasker.get_log(task))
    assert f"exited with code {code}" in log
    assert row(tasker, task) == (TaskState.ACTIVE, 0, 0, 1), log      # one attempt counted


def test_a_run_now_step_whose_method_calls_sys_exit_fails_its_task(tasker):
    """Run now's (and lazy cron's) child ignores Ctrl-C and SIGTERM as a runner's does, so a
    sys.exit() there is the method's own: it fails the task, where the child died with the
    method's code and the task was handed on to do the same again."""
    import time

    from cms.tasker.runners.browser import run_supervised_step
    task = add_task(tasker, "quit", "Quits under Run now", {"code": 3})
    assert run_supervised_step(tasker, task.id, {"invoker": "admin", "admin_run": True,
                                                 "timeout": time.time() + 10}) is False
    log = "\n".join(tasker.get_log(task))
    assert row(tasker, task)[:2] == (TaskState.FAILED, 0), log
    assert "SystemExit" in log


def wall_clock_set(monkeypatch, by: float, once: Callable[[], bool]) -> None:
    """This process's wall clock (`time.time()`) moves by `by` seconds once `once()` holds, as
    an NTP step or an admin's `date -s` moves it; the monotonic clock does not move."""
    import time
    real = time.time
    moved = []

    def now() -> float:
        if not moved and once():
            moved.append(True)
        return real() + (by if moved else 0.0)
    monotonic_before = time.monotonic
    monkeypatch.setattr(time, "time", now)
    assert time.monotonic is monotonic_before


@pytest.mark.slow
@pytest.mark.parametrize("runner", ["run now", "worker"])
def test_a_wall_clock_set_forward_mid_step_kills_no_step(tasker, monkeypatch, tmp_path, runner):
    """The runners timed a step by the wall clock: set an hour forward while a step ran (an
    NTP step after a VM resumed, `date -s`), every running step was an hour past its deadline,
    so the runner killed it and failed its task ("ran past its timeout"), though it was
    seconds into a step of ten. They time steps by the monotonic clock now."""
    import time
    started = tmp_path / "started"
    # (a worker took the jump for a freeze of its own, and killed the step only when it ran on
    # for more than the grace after it)
    seconds = 2 if runner == "run now" else 7
    task = add_task(tasker, "stubborn", "Computes for some seconds",
                    {"started": str(started), "seconds": seconds})
    wall_clock_set(monkeypatch, 3600, started.exists)
    if runner == "run now":
        from cms.tasker.runners.browser import run_supervised_step
        assert run_supervised_step(tasker, task.id, {"invoker": "admin", "admin_run": True,
                                                     "timeout": time.time() + 10})
    else:
        from cms.tasker.runners.worker import run_worker
        lines: list[str] = []
        run_worker(tasker.site.db.url, str(tasker.site.site_dir), processes=1, until_idle=True,
                   step_seconds=10, quiet=True, out=lines.append)
        assert not any("killed" in line for line in lines), lines
    log = "\n".join(tasker.get_log(task))
    assert started.exists() and "past its timeout" not in log, log
    assert row(tasker, task)[:2] == (TaskState.FINISHED, 0), log


def test_a_wall_clock_set_back_mid_step_does_not_keep_the_step_running(tasker, monkeypatch):
    """`allowed_to_execute()` compared the wall clock with the step's deadline: set an hour
    back mid-step, it said "go on" for an hour more, and the runner (which times the step by
    the monotonic clock) would kill the step and fail its task past its deadline. The step
    keeps its deadline as a monotonic reading now, as its runner does."""
    import time
    task = add_task(tasker, "import_rows", "Imports for a second",
                    {"total": 1000, "every": 50, "delay": 0.005})
    fifth: list[bool] = []
    tasker.site.pages.add_hook_after("save", lambda event: fifth.append(True)
                                     if event.arguments[0].name == "row-5" else None)
    wall_clock_set(monkeypatch, -3600, lambda: bool(fifth))
    began = time.monotonic()
    assert tasker.execute_task(task, {"timeout": time.time() + 1.5, "invoker": "cron"})
    took = time.monotonic() - began
    assert took < 3.5, f"the step ran {took:.1f} s of a 1.5 s timeout"
    assert 5 < tasker.site.pages.count("template=row, include=all") < 1000
