"""An operator's audit of the command line: bad input gets one line and the right exit code,
summaries say what happened, and nothing is left half done.

Each test runs the real `python run.py ...` as a subprocess, as cron, scripts and terminals do.
"""
from __future__ import annotations

import subprocess

import pytest
from conftest import PYTHON, ROOT


def run(env, *args, timeout=120):
    return subprocess.run([PYTHON, str(ROOT / "run.py"), *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=timeout)


def one_error_line(result) -> str:
    """The stderr of a command that failed cleanly: one `cms: error:` line, no traceback."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if " INFO " not in line]
    assert len(lines) == 1 and lines[0].startswith("cms: error:"), result.stderr
    return lines[0]


@pytest.mark.slow
def test_a_task_id_past_64_bits_is_one_line_not_a_traceback(run_env, counter_site):
    """`tasks show 99999999999999999999` (a typo, a pasted number) raised OverflowError from
    SQLite with a traceback; it names no task, as `tasks show 9999` says."""
    for command in (["tasks", "show"], ["tasks", "activate"], ["tasks", "run"]):
        result = run(run_env, *command, "99999999999999999999")
        assert result.returncode == 1, (command, result.stderr)
        assert "there is no task with id 99999999999999999999" in one_error_line(result)


@pytest.mark.slow
def test_a_database_url_with_a_bad_port_or_host_is_one_line(run_env):
    """A port out of range or an unclosed IPv6 bracket in --db raised urllib's ValueError with
    a traceback, where every other bad URL is one line naming the URL (no password)."""
    for url in ("postgresql://u:secret@127.0.0.1:99999/db", "mysql://u:secret@127.0.0.1:abc/db",
                "postgresql://u:secret@[::1:5432/db"):
        for command in (["tasks", "list"], ["migrate"], ["cron"]):
            result = run(run_env, "--db", url, *command)
            assert result.returncode == 1, (url, command, result.stderr)
            line = one_error_line(result)
            assert "secret" not in result.stderr, result.stderr
            assert "port" in line or "URL" in line, line


@pytest.mark.slow
def test_serve_on_a_host_that_does_not_resolve_is_one_line(run_env, site):
    """`serve --host nosuchhost.invalid` raised waitress's ValueError("Invalid host/port
    specified.") with two tracebacks; `demo` says it in one line, and so should serve."""
    result = run(run_env, "serve", "--host", "nosuchhost.invalid", "--port", "8388", timeout=60)
    assert result.returncode == 1, result.stderr
    assert "cannot listen on nosuchhost.invalid:8388" in one_error_line(result)


@pytest.mark.slow
def test_serve_on_any_port_of_a_host_that_does_not_resolve_is_one_line(run_env, site):
    """With `--port 0` (any free port) the host was not checked before waitress raised its
    ValueError("Invalid host/port specified.") with a traceback."""
    result = run(run_env, "serve", "--host", "nosuchhost.invalid", "--port", "0", timeout=60)
    assert result.returncode == 1, result.stderr
    assert "cannot listen on nosuchhost.invalid:0" in one_error_line(result)


@pytest.mark.slow
def test_a_database_of_a_newer_schema_is_refused(run_env, counter_site):
    """A database a later release has upgraded (schema_version past this release's last
    upgrade) was used as if it were this release's: `migrate` said "schema is up to date
    (version 11)" and cron ran steps, writing tables whose shape this code does not know.
    Every command should refuse it in one line (exit 1), naming both versions, and write
    nothing."""
    from cms import schema
    ours = len(schema.MIGRATIONS)
    counter_site.db.execute("UPDATE meta SET value = ? WHERE name = 'schema_version'",
                            (str(ours + 1),))
    page = counter_site.pages.add("counter", 1, "c", title="C")
    tasker = counter_site.modules.get("Tasker")
    task = tasker.create_task("Counter", "bump", page, "Bump")
    tasker.activate_task(task)
    for command in (["migrate"], ["tasks", "list"], ["cron", "--time-limit", "5"], ["check"]):
        result = run(run_env, *command)
        assert result.returncode == 1, (command, result.stdout, result.stderr)
        line = one_error_line(result)
        assert str(ours + 1) in line and str(ours) in line, line
    assert tasker.get_state(task).label == "active"
    assert not counter_site.pages.get(page.id).get("hits")      # no step ran


@pytest.mark.slow
def test_numbers_that_are_not_finite_are_bad_usage(run_env, counter_site):
    """`cron --time-limit nan` (or inf), `worker --step-time nan`, `--max-memory nan` and
    `tasks run --step-time nan` passed the checks (`nan <= 0` is False): cron and the worker
    then said "3 step(s) ... 3 failed" though no step ran and exited 1 with "the step process
    could not start"; `tasks run` activated the waiting task before it failed, leaving it
    active. Each is bad usage (exit 2) that changes nothing, as `--time-limit 0` is."""
    page = counter_site.pages.add("counter", 1, "c", title="C")
    tasker = counter_site.modules.get("Tasker")
    ready = tasker.create_task("Counter", "wait", page, "Ready", {"seconds": 0.01})
    tasker.activate_task(ready)
    waiting = tasker.create_task("Counter", "wait", page, "Waiting", {"seconds": 0.02})
    for args in (["cron", "--time-limit", "nan"], ["cron", "--time-limit", "inf"],
                 ["cron", "--grace", "nan"],
                 ["worker", "--until-idle", "--step-time", "nan"],
                 ["worker", "--until-idle", "--step-time", "inf"],
                 ["worker", "--until-idle", "--max-memory", "nan"],
                 ["worker", "--until-idle", "--poll", "inf"],
                 ["tasks", "run", str(waiting.id), "--step-time", "nan"],
                 ["tasks", "run", str(waiting.id), "--step-time", "inf"],
                 ["tasks", "run", str(waiting.id), "--step-time", "-1"]):
        result = run(run_env, *args, timeout=60)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert "step(s)" not in result.stdout, (args, result.stdout)
    assert tasker.get_state(ready).label == "active"
    assert tasker.get_details(ready)["steps"] == 0
    assert tasker.get_state(waiting).label == "waiting"


@pytest.mark.slow
def test_an_interval_too_long_to_schedule_is_refused_at_creation(run_env, counter_site):
    """`tasks create ... --every 99999999999999999999` created the task; its first step did
    the work and then failed the task with "OverflowError: timestamp out of range for platform
    time_t" when it scheduled the next run. Invalid input creates nothing (DESIGN.md)."""
    tasker = counter_site.modules.get("Tasker")
    counter_site.pages.add("counter", 1, "c", title="C")
    result = run(run_env, "tasks", "create", "Counter", "bump", "/c/", "Forever",
                 "--every", "99999999999999999999")
    assert result.returncode == 2, (result.stdout, result.stderr)      # bad usage, as --retry
    assert "--every" in result.stderr and "too long" in result.stderr
    assert not tasker.get_tasks("title=Forever")


@pytest.mark.slow
def test_cron_stopped_by_signals_does_not_say_no_task_is_ready(run_env, counter_site, tmp_path):
    """Ctrl-C (or SIGTERM) twice on a cron run with a step under way ended it with "cron: 0
    step(s) in 2.6 s; no task is ready", where the task it stopped is ready and waiting."""
    import signal
    import time

    from tasker_support import stubborn_under_cron
    tasker = counter_site.modules.get("Tasker")
    task, cron = stubborn_under_cron(counter_site, run_env, tmp_path)
    try:
        cron.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        cron.send_signal(signal.SIGTERM)
        out, err = cron.communicate(timeout=30)
    finally:
        if cron.poll() is None:
            cron.kill()
    last = out.strip().splitlines()[-1]
    assert "stopped" in last and "no task is ready" not in last, (out, err)
    assert tasker.get_state(task).label == "active"


@pytest.mark.slow
def test_task_titles_cannot_send_control_sequences_to_the_terminal(run_env, counter_site):
    """A title keeps ESC and BEL (line breaks become spaces, nothing else is taken out), and a
    task's title comes from whoever created it, also through the web API. `tasks list` and
    `tasks show` printed it raw, so a title could clear the operator's screen, retitle the
    window or hide lines (`\\x1b[2J`, `\\x1b]0;...\\x07`); they should show such characters
    escaped."""
    tasker = counter_site.modules.get("Tasker")
    page = counter_site.pages.add("counter", 1, "c", title="C")
    evil = "Import\x1b]0;owned\x07\x1b[2J\x1b[1Afake line\x9b"
    task = tasker.create_task("Counter", "bump", page, evil)
    for args in (["tasks", "list"], ["tasks", "show", task.id]):
        result = run(run_env, *args)
        assert result.returncode == 0, result.stderr
        assert "Import" in result.stdout
        for control in ("\x1b", "\x07", "\x9b"):
            assert control not in result.stdout, (args, result.stdout)


@pytest.mark.slow
def test_a_missing_site_directory_is_the_same_error_for_every_command(run_env, tmp_path):
    """`--site /srv/sitee` (a typo in a crontab line) exited 2, bad usage, for cron and
    worker, and 1, an error, for tasks, migrate, check and serve: a script or a monitor
    watching for 1 missed it. It is an error (exit 1) with the same line everywhere."""
    missing = tmp_path / "no-such-site"
    for command in (["tasks", "list"], ["check"], ["cron"], ["worker", "--until-idle"],
                    ["migrate"]):
        result = run(run_env, "--site", missing, *command)
        assert result.returncode == 1, (command, result.stderr)
        assert one_error_line(result) == f"cms: error: site directory '{missing}' does not exist"


@pytest.mark.slow
def test_cron_and_worker_in_a_folder_with_no_site_refuse_to_make_one(run_env, tmp_path):
    """A crontab line without `cd SITE` ran cron in the home folder: it made an empty
    site.db there, said "no task is ready" and exited 0, every minute, for ever."""
    import os
    empty = tmp_path / "home"
    empty.mkdir()
    env = {k: v for k, v in run_env.items() if not k.startswith("CMS_")}
    for command in (["cron"], ["worker", "--until-idle"]):
        result = subprocess.run([PYTHON, str(ROOT / "run.py"), *command], env=env, cwd=empty,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 1, (command, result.stderr)
        assert f"there is no site database at {empty / 'site.db'}" in one_error_line(result)
    assert os.listdir(empty) == []                       # nothing made
