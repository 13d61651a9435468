"""How the runner and task commands end: stopped by a signal, cut off by their reader, given
bad input; and LazyCron's turn that met another process's write lock.

Each test runs the real `python run.py ...` as a subprocess (or, for LazyCron, a real second
process that holds the write lock), as terminals, pipes, scripts and systemd do.
"""
from __future__ import annotations

import logging
import signal
import subprocess
import time
from types import SimpleNamespace

import pytest
from conftest import ENGINE, PYTHON, ROOT
from tasker_support import stored_data, wait_for
from test_lockwait_findings import hold_lock

from cms.lazycron import LazyCron
from cms.tasker import TaskState


def slow_import(site, total=400):
    """An active task that adds `total` rows, a milestone every 5, 20 ms a row."""
    tasker = site.modules.get("Tasker")
    page = site.pages.add("counter", 1, "c", title="C")
    task = tasker.create_task("Counter", "import_rows", page, "Import rows",
                              {"total": total, "every": 5, "delay": 0.02})
    tasker.activate_task(task)
    return task


RUNS = {"cron": ("cron", "--time-limit", "50"),
        "worker --until-idle": ("worker", "--until-idle", "--poll", "0.2"),
        "worker": ("worker", "--poll", "0.2")}


@pytest.mark.slow
@pytest.mark.parametrize("command, signum, code", [
    ("cron", signal.SIGTERM, 143), ("cron", signal.SIGINT, 130),
    ("worker --until-idle", signal.SIGTERM, 143), ("worker", signal.SIGTERM, 0)])
def test_a_run_stopped_by_a_signal_says_so_in_its_exit_code(run_env, counter_site, command, signum,
                                                            code):
    """`cron` stopped by SIGTERM (systemd, `timeout`) or Ctrl-C finished its step at the next
    save and left the task active, as it should, but exited 0, so `cron && publish` went on as
    if the run had done its work. It exits 143 (128 + SIGTERM) or 130 (128 + SIGINT), as `tasks
    run` does, and so does `worker --until-idle`, a run with an end of its own. A plain worker
    has no end but a signal: SIGTERM is how it is stopped, and it exits 0 (systemd, supervisord
    and Docker count anything else a failure)."""
    tasker = counter_site.modules.get("Tasker")
    task = slow_import(counter_site)
    process = subprocess.Popen([PYTHON, str(ROOT / "run.py"), *RUNS[command]], env=run_env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: stored_data(tasker, task)["records_processed"] >= 10, 60)
        process.send_signal(signum)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == code, (out, err)
    assert "Traceback" not in err and "cms: error" not in err, err
    assert out.strip().splitlines()[-1].endswith(f"; stopped by {signum.name}"), out
    details = tasker.get_details(task.id)
    assert tasker.get_state(task.id) == TaskState.ACTIVE
    assert not details["running"] and details["attempts"] == 0
    assert 10 <= stored_data(tasker, task)["records_processed"] < 400


def run(env, *args, timeout=120):
    return subprocess.run([PYTHON, str(ROOT / "run.py"), *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_a_worker_until_idle_says_it_ended_for_want_of_work(run_env, counter_site):
    """`worker --until-idle` closed with "...; stopped" whether no task was left or a signal
    stopped it: its closing line says which, as cron's does."""
    result = run(run_env, "worker", "--until-idle", "--poll", "0.2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].endswith("; no task is ready"), result.stdout


def test_every_that_is_no_whole_number_of_seconds_is_bad_usage(run_env, counter_site):
    """`tasks create ... --every 1.5` was taken (a task every 1.5 s) where the help says
    seconds and `--every` reads whole ones, as `--priority` does; `--every 1e3` and `--every
    nan` were refused as cron expressions of the wrong length. Each is bad usage (exit 2) with
    one error line that names the option and what it takes, and nothing is created."""
    page = counter_site.pages.add("counter", 1, "c", title="C")
    for value in ("1.5", "1e3", "nan", "-1.5", "0.0"):
        result = run(run_env, "tasks", "create", "Counter", "bump", page.id, "Count", f"--every={value}")
        assert result.returncode == 2, (value, result.stdout, result.stderr)
        errors = [line for line in result.stderr.splitlines() if "error" in line]
        assert len(errors) == 1 and "--every" in errors[0] and "whole" in errors[0], result.stderr
        assert "cron expression" in errors[0] and "fields" not in errors[0], result.stderr
    assert not counter_site.modules.get("Tasker").get_tasks(f"parent={page.id}, include=all")
    result = run(run_env, "tasks", "create", "Counter", "bump", page.id, "Count", "--every", "90")
    assert result.returncode == 0, result.stderr


def read_one_line_and_go(env, *args, lines=1, buffered=False) -> tuple[int, str, str]:
    """`python run.py ARGS | head -1`: (exit code, the line read, stderr). The reader closes the
    pipe after one line (or `lines`), as `head -1` does, while the command has more to write.
    `buffered`: without the suite's PYTHONUNBUFFERED, as in a user's shell, stdout is written in
    8 KB blocks, the last as Python exits."""
    if buffered:
        env = {name: value for name, value in env.items() if name != "PYTHONUNBUFFERED"}
    process = subprocess.Popen([PYTHON, str(ROOT / "run.py"), *map(str, args)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline() if lines else ""
        process.stdout.close()
        err = process.stderr.read()
        return process.wait(timeout=60), line, err
    finally:
        if process.poll() is None:
            process.kill()


def test_a_command_whose_reader_goes_away_ends_as_sigpipe_ends_a_unix_tool(run_env, counter_site):
    """`tasks list --json | head -1` (more than a pipe holds) exited 1, the code of an error
    with a line on stderr, though none was wrong. It ends quietly with 141 (128 + SIGPIPE), the
    status the shell shows for `cat`, `grep` or `ls` cut off the same way. In a user's shell
    (stdout written in blocks) `tasks show ID | head -0` wrote its one block as Python exited,
    after `head` had gone: "Exception ignored ... BrokenPipeError" on stderr and exit 120."""
    tasker = counter_site.modules.get("Tasker")
    page = counter_site.pages.add("counter", 1, "c", title="C")
    with counter_site.transaction():
        for n in range(200):       # 110 KB of JSON: more than a pipe holds (64 KB)
            tasker.create_task("Counter", "bump", page, f"Count {n} " + "x" * 230, {"n": n})
    code, line, err = read_one_line_and_go(run_env, "tasks", "list", "--json")
    assert line == "{\n"
    assert (code, err) == (141, ""), (code, err)
    last = tasker.get_tasks(f"parent={page.id}, sort=-id, limit=1")[0]
    code, _, err = read_one_line_and_go(run_env, "tasks", "show", last.id, lines=0, buffered=True)
    assert (code, err) == (141, ""), (code, err)


@pytest.mark.slow
def test_cron_whose_reader_goes_away_stops_cleanly_and_loses_nothing(run_env, counter_site):
    """`cron | head -1`: each step process printed "stopped on an unexpected error:
    BrokenPipeError" as it wrote its next line and was started again, three times, then the
    run said "cms: error: [Errno 32] Broken pipe" and exited 1. With nobody reading, the run
    stops as a signal stops it: the running step ends at its next save, no task is left
    claimed, nothing is said on stderr, and the exit code is 141 (128 + SIGPIPE)."""
    tasker = counter_site.modules.get("Tasker")
    page = counter_site.pages.add("counter", 1, "c", title="C")
    tasks = []
    for n in range(30):
        tasks.append(tasker.create_task("Counter", "bump", page, f"Count {n}", {"delay": 0.05}))
        tasker.activate_task(tasks[-1])
    code, line, err = read_one_line_and_go(run_env, "cron", "--time-limit", "50")
    assert line.startswith("cron: task "), line
    assert (code, err) == (141, ""), (code, err)
    states = [tasker.get_state(task.id) for task in tasks]
    assert set(states) == {TaskState.FINISHED, TaskState.ACTIVE}, states   # stopped early
    assert not any(tasker.get_details(task.id)["running"] for task in tasks)
    assert counter_site.pages.get(page.id).get("hits") == states.count(TaskState.FINISHED)


@pytest.mark.skipif(ENGINE != "sqlite", reason="SQLite's one write lock, held by another process")
def test_a_lazycron_turn_that_met_the_write_lock_logs_one_line_and_the_next_runs(site, run_env,
                                                                                   caplog):
    """A LazyCron turn whose write waited out the lock timeout, while another process (a
    script, a `sqlite3` shell, a task step between saves) held SQLite's write lock, logged
    "cms-lazycron: a turn failed" and a whole traceback, ERROR, for the database's passing
    trouble. It says so in one line that names the lock; the next turn fires the event."""
    fired = []
    site.add_hook_after("LazyCron::every_30_seconds", lambda event: fired.append(event))
    lazycron = LazyCron(site, signal_interval=0)
    lazycron.run_due()                       # the events' clocks start now
    site.db.execute("UPDATE lazycron SET last_run = last_run - 40 WHERE name = 'every_30_seconds'")
    site.db.pw.lock_timeout = 1.0            # the least; a site's is 10 s
    holder = hold_lock(SimpleNamespace(site=site), run_env, 1.6)
    try:
        with caplog.at_level(logging.INFO):
            lazycron.signal()
            wait_for(lambda: [r for r in caplog.records if r.name.startswith("cms.")], 10)
            holder.wait(10)
            lazycron.signal()
            wait_for(lambda: fired, 10)
    finally:
        lazycron.stop()
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    records = [r for r in caplog.records if r.name.startswith("cms.")]
    assert len(records) == 1, [r.getMessage() for r in records]
    said = records[0]
    assert said.levelno == logging.WARNING and said.exc_info is None, said.getMessage()
    assert "\n" not in said.getMessage() and "write lock" in said.getMessage(), said.getMessage()
    assert len(fired) == 1


@pytest.mark.slow
def test_tasks_run_stopped_at_once_by_a_second_sigterm_exits_143(run_env, counter_site):
    """A second SIGTERM stops `tasks run` at once (its step cannot wait for a save), as a
    second Ctrl-C does, but it said "cms: interrupted" and exited 130, Ctrl-C's code, where
    the first SIGTERM's stop exits 143. A SIGTERM stop is 143 either way; the task is given
    back, active and unclaimed."""
    tasker = counter_site.modules.get("Tasker")
    page = counter_site.pages.add("counter", 1, "c", title="C")
    task = tasker.create_task("Counter", "wait", page, "Wait", {"seconds": 30})
    tasker.activate_task(task)
    process = subprocess.Popen([PYTHON, str(ROOT / "run.py"), "tasks", "run", str(task.id)],
                               env=run_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: tasker.get_details(task.id)["running"], 30)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.5)         # two signals at once are one: the second must come after
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 143, (out, err)
    assert err.strip().splitlines() == ["cms: stopped by SIGTERM"], err
    assert tasker.get_state(task.id) == TaskState.ACTIVE
    assert not tasker.get_details(task.id)["running"]
