"""How a task's life ends when its command's terminal goes away, when its step is stopped at
once in its own process, and what the task list calls a task that waits for another.

The signal tests run the real `python run.py ...` in a session of its own and send SIGHUP to
its whole process group, as the kernel and the shell do when the terminal that started it
closes: the step processes of cron and the worker get it too.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import subprocess
import termios
import threading
import time
from pathlib import Path

import pytest
from conftest import PYTHON, ROOT
from tasker_support import stored_data, wait_for
from test_cli_ends_findings import slow_import
from test_scheduled_findings import row_of
from test_web import stopped_output, wait_for_port
from webclient import make_task

import cms
from cms.tasker import TaskState
from cms.tasker.claim import claim_task

HANGUP_CODE = 128 + signal.SIGHUP  # 129, as the shell reports a command the hang-up ended


def import_and_page(site, total=400):
    """slow_import's active task (`total` rows, a save every 5, 20 ms a row) and the page its
    rows go under."""
    return slow_import(site, total), site.pages.get("/c/")


def as_from_a_terminal() -> None:
    """SIGHUP at its default, as a terminal's shell starts a command (the suite itself may run
    under `nohup`, whose ignored hang-up its children would inherit)."""
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def start_in_own_session(env, *args, command=(PYTHON,)) -> subprocess.Popen:
    """`python run.py ARGS` as a terminal starts it: the leader of a process group of its own.
    `command`: what runs run.py (`nohup python`)."""
    return subprocess.Popen(
        [*command, str(ROOT / "run.py"), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=as_from_a_terminal,
    )


def hang_up(process: subprocess.Popen) -> tuple[str, str]:
    """SIGHUP to the process's group (the terminal closed); its (stdout, stderr) once it ended.
    A group left running after 60 s is killed, so a failure leaves no process behind."""
    os.killpg(process.pid, signal.SIGHUP)
    try:
        return process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def assert_kept_to_its_last_save(site, task, page) -> None:
    """The task is active and free; its rows are those its saves committed, no more, and the
    step that the hang-up ended is in its steps with those records."""
    tasker = site.modules.get("Tasker")
    details = tasker.get_details(task.id)
    assert tasker.get_state(task.id) == TaskState.ACTIVE
    assert not details["running"] and details["attempts"] == 0
    saved = stored_data(tasker, task)["records_processed"]
    assert 10 <= saved < 400 and saved % 5 == 0, saved
    rows = site.db.scalar("SELECT COUNT(*) FROM pages WHERE parent_id = ? AND name LIKE 'row-%'", (page.id,))
    assert rows == saved
    steps = site.db.all("SELECT records, result FROM tasker_steps WHERE pages_id = ?", (task.id,))
    assert sum(records for records, _ in steps) == saved, steps
    assert "lost" not in {result for _, result in steps}, steps


RUNS = {
    "cron": (("cron", "--time-limit", "50"), HANGUP_CODE),
    "worker --until-idle": (("worker", "--until-idle", "--poll", "0.2"), HANGUP_CODE),
    "worker": (("worker", "--poll", "0.2"), 0),
}


@pytest.mark.slow
@pytest.mark.parametrize("command", list(RUNS))
def test_a_run_whose_terminal_closes_finishes_its_step_at_the_next_save(run_env, counter_site, command):
    """The terminal that started `cron` or `worker` closed: SIGHUP, left to Python's default,
    killed the supervisor and its step process mid-step; the step's work since its last save
    was lost without a row in the task's steps, and the task stayed claimed until a reaper
    found it. SIGHUP now stops a run as SIGTERM does: the step ends at its next save, the task
    stays active, and cron and `worker --until-idle` exit 129 (128 + SIGHUP); a plain worker,
    whose one way to end is a signal, exits 0."""
    task, page = import_and_page(counter_site)
    args, code = RUNS[command]
    tasker = counter_site.modules.get("Tasker")
    process = start_in_own_session(run_env, *args)
    wait_for(lambda: stored_data(tasker, task)["records_processed"] >= 10, 60)
    out, err = hang_up(process)
    assert process.returncode == code, (out, err)
    assert "Traceback" not in err and "cms: error" not in err, err
    assert out.strip().splitlines()[-1].endswith("; stopped by SIGHUP"), out
    assert_kept_to_its_last_save(counter_site, task, page)


class Terminal:
    """A real terminal (a pseudo-terminal) whose window can be closed: the command runs as the
    leader of its own session with the terminal as its controlling one, its output read as a
    window shows it. Closing it hangs the terminal up as closing a terminal window does: the
    kernel sends SIGHUP, and every write to the terminal after that fails (EIO)."""

    def __init__(self, env, *args) -> None:
        self.master, terminal = pty.openpty()

        def take_the_terminal() -> None:
            os.setsid()
            fcntl.ioctl(terminal, termios.TIOCSCTTY, 0)
            as_from_a_terminal()

        self.process = subprocess.Popen(
            [PYTHON, str(ROOT / "run.py"), *args],
            env=env,
            stdin=terminal,
            stdout=terminal,
            stderr=terminal,
            preexec_fn=take_the_terminal,
        )
        os.close(terminal)
        self.shown = bytearray()
        self._open = True
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while self._open:
            if select.select([self.master], [], [], 0.05)[0]:
                try:
                    self.shown += os.read(self.master, 65536)
                except OSError:
                    return

    def close(self) -> int:
        """Close the window; the command's exit status (it is killed if it runs on 60 s)."""
        self._open = False
        self._reader.join()
        os.close(self.master)
        try:
            return self.process.wait(60)
        finally:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


IN_A_TERMINAL = {
    "cron": (("cron", "--time-limit", "50"), HANGUP_CODE),
    "worker": (("worker", "--poll", "0.2"), 0),
    "tasks run": (("tasks", "run", "{task}"), HANGUP_CODE),
}


@pytest.mark.slow
@pytest.mark.parametrize("command", list(IN_A_TERMINAL))
def test_a_run_whose_terminal_window_closes_finishes_its_step(run_env, counter_site, command):
    """The terminal window that ran `cron`, `worker` or `tasks run` closed. SIGHUP alone was
    handled, but the line the run then wrote ("finishing the running step(s)") failed, as
    every write to a hung-up terminal does (EIO), and the run fell over: exit 1, the step
    process killed with its supervisor, the task left claimed with no row in its steps until
    its lease ran out. The run now finishes the step at its next save, writing nowhere."""
    task, page = import_and_page(counter_site)
    tasker = counter_site.modules.get("Tasker")
    args, code = IN_A_TERMINAL[command]
    terminal = Terminal(run_env, *(arg.format(task=task.id) for arg in args))
    wait_for(lambda: stored_data(tasker, task)["records_processed"] >= 10, 60)
    status = terminal.close()
    assert status == code, bytes(terminal.shown).decode(errors="replace")
    assert_kept_to_its_last_save(counter_site, task, page)


@pytest.mark.slow
def test_a_run_started_with_nohup_outlives_its_terminal(run_env, counter_site):
    """`nohup python run.py cron` was asked to outlive its terminal: nohup starts it with
    SIGHUP ignored, and the handler that stops a run at the hang-up must not undo that. The
    run goes on through the terminal's SIGHUP, finishes the task and exits 0."""
    task = slow_import(counter_site, total=100)
    tasker = counter_site.modules.get("Tasker")
    process = start_in_own_session(run_env, "cron", "--time-limit", "50", command=("nohup", PYTHON))
    wait_for(lambda: stored_data(tasker, task)["records_processed"] >= 10, 60)
    out, err = hang_up(process)
    assert process.returncode == 0, (out, err)
    assert "SIGHUP" not in out, out
    assert tasker.get_state(task.id) == TaskState.FINISHED
    assert stored_data(tasker, task)["records_processed"] == 100


@pytest.mark.slow
def test_tasks_run_whose_terminal_closes_ends_its_step_at_the_next_save(run_env, counter_site):
    """`tasks run ID` in a terminal that closed died by SIGHUP mid-step. It stops as at Ctrl-C
    or SIGTERM: the step ends at its next save, the task stays active and free, and the exit
    code is 129 (128 + SIGHUP)."""
    task, page = import_and_page(counter_site)
    tasker = counter_site.modules.get("Tasker")
    process = start_in_own_session(run_env, "tasks", "run", str(task.id))
    wait_for(lambda: stored_data(tasker, task)["records_processed"] >= 10, 60)
    out, err = hang_up(process)
    assert process.returncode == HANGUP_CODE, (out, err)
    assert "Traceback" not in err, err
    assert f"task {task.id} stopped at" in out, out
    assert_kept_to_its_last_save(counter_site, task, page)


@pytest.mark.slow
@pytest.mark.parametrize("processes, port", [(1, 18601), (2, 18602)])
def test_serve_whose_terminal_closes_shuts_down_as_at_sigterm(site, run_env, processes, port):
    """`python run.py serve` died by SIGHUP when its terminal closed, its request threads cut
    off mid-answer and its LazyCron steps mid-step. It shuts down as on SIGTERM, exit 0."""
    process = subprocess.Popen(
        [PYTHON, "run.py", "serve", "--port", str(port), "--threads", "2", "--processes", str(processes)],
        cwd=str(ROOT),
        env=run_env,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=as_from_a_terminal,
    )
    try:
        wait_for_port(port, process)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGHUP)
        stderr = stopped_output(process)
    assert process.returncode == 0, stderr


def worker_processes(folder: Path) -> list[int]:
    """The pids of `worker` commands running on the site in `folder`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if entry.name.isdigit() and str(folder).encode() in command and b"worker" in command:
            found.append(int(entry.name))
    return found


@pytest.mark.slow
def test_the_demo_whose_terminal_closes_stops_its_worker(tmp_path):
    """`python run.py` (the demo) died by SIGHUP when its terminal closed, and its worker,
    which runs in a session of its own so that a Ctrl-C reaches it only through the demo's
    stop, was left running the import with nobody to stop it. The demo stops as on SIGTERM:
    the server shuts down, the worker is stopped, exit 0."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CMS_")}
    env["PYTHONPATH"] = str(ROOT)
    process = subprocess.Popen(
        [PYTHON, str(ROOT / "run.py"), "demo", "--port", "18603"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=as_from_a_terminal,
    )
    try:
        wait_for_port(18603, process, 120)
        workers = wait_for(lambda: worker_processes(tmp_path), 30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGHUP)
        stderr = stopped_output(process, 60)
    try:
        assert process.returncode == 0, stderr
        wait_for(lambda: not worker_processes(tmp_path), 30)
    finally:
        for pid in worker_processes(tmp_path):
            os.kill(pid, signal.SIGKILL)
    assert workers


class Importer(cms.Module):
    """A step that processes seven records, saves them, and is stopped at once (Ctrl-C in the
    process that runs it, as in `tasks run` or a script calling execute_task)."""

    def import_then_stop(self, page, data, options):
        data["records_processed"] = data.get("records_processed", 0) + 7
        self.site.modules.get("Tasker").save_progress(options["task"], data)
        raise KeyboardInterrupt


def test_a_step_stopped_at_once_in_its_own_process_keeps_its_own_figures(site):
    """A step stopped at once in the process that runs it (Ctrl-C twice in `tasks run`) got a
    "killed" row written as for a process that is gone: no records, and a start and length
    taken from the claim, though the step's runner had its exact figures. A claim taken ahead
    of its step (a runner's queue) made it a ten-minute step that did nothing, which the rate
    and ETA then counted. The row now holds the step's start, its length and the records its
    save committed."""
    site.modules.register(Importer)
    tasker = site.modules.get("Tasker")
    task = tasker.create_task(Importer, "import_then_stop", site.pages.get(1), "Import", {})
    tasker.activate_task(task)
    claim = claim_task(tasker, task.id, invoker="cli")
    site.db.execute("UPDATE tasker_tasks SET claimed_at = claimed_at - 600 WHERE pages_id = ?", (task.id,))
    began = time.time()
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C, as in a terminal
    try:
        with pytest.raises(KeyboardInterrupt):
            tasker.execute_task(task, {"claim": claim, "timeout": time.time() + 30})
    finally:
        signal.signal(signal.SIGINT, previous)
    ended = time.time()
    [step] = tasker.get_step_figures(task)["steps"]
    assert step["result"] == "killed"
    assert step["records"] == 7
    assert began - 1 <= step["started"] <= ended
    assert step["seconds"] <= ended - began + 1
    assert step["peak_memory"] > 0
    assert tasker.get_details(task.id)["run_seconds"] == pytest.approx(step["seconds"])
    assert tasker.get_state(task.id) == TaskState.ACTIVE
    assert stored_data(tasker, task)["records_processed"] == 7


def status_label(html: str) -> str:
    """The state label of a status row's HTML (the list's row, the poll's status_html)."""
    return re.search(r'<span class="state" title="state \d+">([^<]*)</span>', html).group(1)


def test_a_task_that_waits_for_another_says_so_where_it_said_ready_to_run(site, superuser):
    """An active task whose dependency has not finished is passed by every runner, yet the
    task list, its live poll, the API's status and the task page called it "ready to run",
    as if a runner would take it now (one activated before its dependency was added, or whose
    dependency was reset since). They now say what it waits for; once the dependency
    finishes it is ready to run."""
    tasker = site.modules.get("Tasker")
    first, then = make_task(site, "First", target=1), make_task(site, "Then", target=1)
    assert tasker.activate_task(then)          # then made to wait (activation refuses it after)
    assert tasker.add_dependency(then, first)
    waits = f"waits for task {first.id}"
    listed = superuser.get("/admin/tasks/")
    assert status_label(row_of(listed.text, then.id)) == waits
    polled = superuser.get(f"/admin/tasks/statuses?ids={then.id},{first.id}").json()["tasks"]
    assert status_label(polled[str(then.id)]["status_html"]) == waits
    assert status_label(polled[str(first.id)]["status_html"]) == "waiting"
    api = superuser.get(f"/admin/tasks/api?id={then.id}&cmd=status&log=0").json()
    assert status_label(api["status_html"]) == waits
    assert status_label(superuser.get(f"/admin/tasks/{then.id}/").text) == waits
    assert tasker.activate_task(first)
    assert tasker.execute_task(first, {"invoker": "cron", "timeout": time.time() + 10})
    assert tasker.get_state(first) == TaskState.FINISHED
    polled = superuser.get(f"/admin/tasks/statuses?ids={then.id}").json()["tasks"]
    assert status_label(polled[str(then.id)]["status_html"]) == "ready to run"
    assert status_label(row_of(superuser.get("/admin/tasks/").text, then.id)) == "ready to run"
