"""The command line as an operator meets it: signals, refusals and what they leave behind.

Each test runs the real `python run.py ...` as a subprocess, as terminals, scripts, systemd
and `timeout` do.
"""
from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import PYTHON, ROOT
from tasker_support import stored_data, stubborn_under_cron, wait_for

from cms.tasker import TaskState


def start_slow_import(tasker, site, total=400):
    """An active task that adds `total` rows, a milestone every 5, 20 ms a row: seconds of
    work whose progress is committed as it goes."""
    page = site.pages.add("counter", 1, "c", title="C")
    task = tasker.create_task("Counter", "import_rows", page, "Import rows",
                              {"total": total, "every": 5, "delay": 0.02})
    tasker.activate_task(task)
    return task


@pytest.mark.slow
def test_sigterm_stops_tasks_run_after_its_step_and_leaves_the_task_claimable(run_env, counter_site):
    """`tasks run` let Ctrl-C stop its step at the next save, but SIGTERM (systemd, `timeout`,
    `kill`) killed it mid-step: the task stayed "running" on a dead runner until its lease ran
    out (30 s, nobody could run it meanwhile), and that counted as a runner death towards
    max_attempts, so a task stopped this way three times failed. SIGTERM is the polite stop,
    as it is for cron and the worker: the step ends at its next save, the task stays active and
    unclaimed, and the command exits 143 (128 + SIGTERM), as the shell reports it."""
    tasker = counter_site.modules.get("Tasker")
    task = start_slow_import(tasker, counter_site)
    command = subprocess.Popen([PYTHON, str(ROOT / "run.py"), "tasks", "run", str(task.id)],
                               env=run_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: stored_data(tasker, task)["records_processed"] >= 10, 60)
        command.send_signal(signal.SIGTERM)
        out, err = command.communicate(timeout=60)
    finally:
        if command.poll() is None:
            command.kill()
    assert command.returncode == 128 + signal.SIGTERM, (out, err)
    assert "Traceback" not in err
    assert "stays active" in out
    details = tasker.get_details(task.id)
    assert tasker.get_state(task.id) == TaskState.ACTIVE
    assert not details["running"] and details["attempts"] == 0
    saved = stored_data(tasker, task)["records_processed"]
    assert 10 <= saved < 400
    assert counter_site.pages.count(f"parent={task.parent.id}, template=row, include=all") == saved
    assert tasker.execute_task(task.id, {"invoker": "cron"})      # claimable at once


def run(env, *args, timeout=120):
    return subprocess.run([PYTHON, str(ROOT / "run.py"), *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=timeout)


def one_error_line(result) -> str:
    """The stderr of a command that failed cleanly: one `cms: error:` line, no traceback."""
    lines = [line for line in result.stderr.strip().splitlines() if " INFO " not in line]
    assert len(lines) == 1 and lines[0].startswith("cms: error:"), result.stderr
    return lines[0]


def test_check_in_a_folder_without_a_site_says_so_and_creates_nothing(tmp_path):
    """`check` in the wrong folder (a crontab or a health probe without `cd SITE`) created an
    empty `site.db` there and said "the database schema is at version 0 ... run `python run.py
    migrate`", advice that would build a new, empty site. The stray file also defeated cron's
    and the worker's guard, which refuse a folder without a site database. `check` looks at an
    existing site, as cron does: it names the missing database and leaves the folder alone."""
    from conftest import site_env
    empty = tmp_path / "not-a-site"
    empty.mkdir()
    env = site_env(empty, "")
    env.pop("CMS_DATABASE_URL")
    for args in (["check"], ["check", "--json"], ["check", "--repair"]):
        result = run(env, *args)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        line = one_error_line(result)
        assert "there is no site database at" in line and "migrate" not in line, line
        assert list(empty.iterdir()) == [], args
    assert run(env, "cron").returncode == 1         # still no site for cron to run


@pytest.mark.slow
def test_tasks_run_of_a_task_another_runner_holds_is_one_error_line(run_env, counter_site, tmp_path):
    """`tasks run ID` while cron or a worker runs that task printed Tasker's warning "task N
    was not run: task N is already running (runner ...)" and then the same reason again as the
    command's error line: two lines for one error. The error line says it once."""
    task, cron = stubborn_under_cron(counter_site, run_env, tmp_path)
    try:
        result = run(run_env, "tasks", "run", task.id)
    finally:
        cron.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        cron.send_signal(signal.SIGTERM)        # the second stops the stubborn step at once
        try:
            cron.communicate(timeout=30)
        finally:
            if cron.poll() is None:
                cron.kill()
    assert result.returncode == 1, (result.stdout, result.stderr)
    line = one_error_line(result)
    assert f"task {task.id} is already running" in line, line


def test_a_worker_memory_limit_past_any_machine_is_bad_usage(run_env):
    """`worker --max-memory 1e308` (a finite number of MB, so the argument was taken) became
    infinitely many bytes and the worker failed with "cms: error: cannot convert float infinity
    to integer", exit 1: a message that names neither the option nor what to give."""
    result = run(run_env, "worker", "--until-idle", "--max-memory", "1e308")
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "--max-memory" in result.stderr and "infinity" not in result.stderr, result.stderr


@pytest.mark.parametrize("module", ["cms.sanitizer", "cms.selectors"])
def test_ctrl_c_while_the_command_starts_is_no_traceback(run_env, module):
    """Ctrl-C in the first third of a second printed a KeyboardInterrupt traceback through
    importlib's frames: while `run.py` imports the CMS (`cms.sanitizer`), and while main()
    builds its parser, which imports the command modules (`cms.selectors`), outside the
    `try` that catches it. Stopped that early, the command says it was interrupted and exits
    130. The process sends itself the SIGINT as it imports `module`, so it lands then."""
    run_py = str(ROOT / "run.py")
    starter = f"""
import os, runpy, signal, sys

# as in a terminal: a process started in the background by a shell without job control (CI)
# inherits SIGINT ignored, and Python leaves it ignored
signal.signal(signal.SIGINT, signal.default_int_handler)

class CtrlC:
    def find_spec(self, name, path=None, target=None):
        if name == {module!r}:
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, CtrlC())
sys.argv = [{run_py!r}, "tasks", "list"]
runpy.run_path({run_py!r}, run_name="__main__")
"""
    result = subprocess.run([PYTHON, "-c", starter], env=run_env, capture_output=True, text=True,
                            timeout=60)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 130 and result.stderr == "cms: interrupted\n", result


REFUSE_ACTIVATION = '''
import cms


class RefuseActivation(cms.Module):
    """Refuses every activation, as a site's policy module (or a database gone away between
    two statements) might."""
    info = {"title": "Refuse activation", "version": "1.0.0", "summary": "for the CLI tests"}

    def init(self):
        def refuse(event):
            raise cms.CmsError("activations are closed for maintenance")
        self.site.add_hook_before("Tasker::activate_task", refuse)
'''


@pytest.mark.slow
def test_a_refused_activation_leaves_no_task_from_tasks_create(run_env, counter_site):
    """`tasks create ... --activate` created the task, then failed to activate it and exited 1
    with the error: the operator, told it failed, runs it again and has two waiting tasks (and
    a duplicate warning). A `tasks create` that fails creates nothing, as DESIGN.md has it for
    create_task: the task and its activation commit together."""
    (Path(counter_site.site_dir) / "modules" / "refuse.py").write_text(REFUSE_ACTIVATION)
    counter_site.modules.install("RefuseActivation")      # installed: every process loads it
    page = counter_site.pages.add("counter", 1, "c", title="C")
    result = run(run_env, "tasks", "create", "Counter", "bump", page.id, "Count", "--activate")
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "activations are closed" in one_error_line(result)
    tasker = counter_site.modules.get("Tasker")
    assert not tasker.get_tasks(f"parent={page.id}, include=all")
    result = run(run_env, "tasks", "create", "Counter", "bump", page.id, "Count")
    assert result.returncode == 0, result.stderr          # without --activate: created
    assert len(tasker.get_tasks(f"parent={page.id}, include=all")) == 1


def test_a_priority_past_what_a_task_can_hold_is_bad_usage(run_env, counter_site):
    """`--priority 99999999999999999999` was read as a number and then refused by create_task,
    exit 1, where every other option of `tasks create` that create_task would refuse (`--every`,
    `--retry`, `--not-before`, `--data`) is bad usage, exit 2, with argparse's usage line. It is
    bad usage too, and nothing is created."""
    page = counter_site.pages.add("counter", 1, "c", title="C")
    for value in ("99999999999999999999", str(2**31), str(-2**31 - 1)):
        result = run(run_env, "tasks", "create", "Counter", "bump", page.id, "Count",
                     "--priority", value)
        assert result.returncode == 2, (value, result.stdout, result.stderr)
        assert "--priority" in result.stderr and "2147483647" in result.stderr, result.stderr
    assert not counter_site.modules.get("Tasker").get_tasks(f"parent={page.id}, include=all")
    result = run(run_env, "tasks", "create", "Counter", "bump", page.id, "Count",
                 "--priority", str(2**31 - 1))
    assert result.returncode == 0, result.stderr
