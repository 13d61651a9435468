"""Runners: cron, the worker pool, the supervisor's limits, lazy cron, retries and schedules.

Most tests start real `python run.py cron|worker` processes against the engine under test and
look at what they left in the database; the test module `runner_jobs.py` is copied into the
site's `modules/` folder so those processes find it by name.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import ENGINE, PYTHON
from tasker_support import prepare_counter_site

from cms import boot
from cms.cli import main
from cms.tasker import TaskError, TaskState, claim_next
from cms.tasker import claim as claim_module
from cms.tasker import step as step_module
from cms.tasker.claim import claim_several
from cms.tasker.runners import LazyRunner, WorkerProcess, run_lazy_step
from cms.tasker.runners.cronexpr import CronExpression, next_time
from cms.tasker.runners.executor import Executor, RunnerConfig
from cms.tasker.runners.lazy import LEASE
from cms.tasker.runners.schedule import cleanup_finished, tick

ROOT = Path(__file__).resolve().parent.parent
ROW = "SELECT state, running, progress, attempts FROM tasker_tasks WHERE pages_id = ?"


# -- helpers ------------------------------------------------------------------------------------
SETTINGS = {"lease_seconds": 3, "max_attempts": 20}


prepare_shared_site = prepare_counter_site
TASKER_SETTINGS = SETTINGS
pytest_plugins = ("tasker_fixtures",)      # fixtures: shared_site, tasker, worker_env


def add_task(tasker, method, title, data=None, page=None, activate=True, **options):
    site = tasker.site
    page = page or site.pages.add("counter", 1, title=title)
    task = tasker.create_task("Counter", method, page, title, data, **options)
    if activate:
        assert tasker.activate_task(task)
    return task


def in_process(tasker, **config):
    """A runner loop in this process (as a cron or worker child runs it)."""
    settings = {"invoker": "worker", "until_idle": True, "quiet": True, **config}
    executor = Executor(RunnerConfig(url=tasker.site.db.url, site_dir=tasker.site.site_dir,
                                     **settings))
    executor.tasker = tasker
    return executor


def drain(tasker):
    """Run steps in this process until no task is ready, as a cron child would; the output."""
    executor = in_process(tasker, invoker="cron", name="cron", quiet=False)
    executor.run()
    return executor


def row(tasker, task):
    return tasker.site.db.one(ROW, (task.id,))


def cms(env, *args, timeout=90):
    return subprocess.run([PYTHON, "run.py", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def start(env, tmp_path, *args, name="worker"):
    """A runner in the background (its own process group), output to a file."""
    out = open(tmp_path / f"{name}.out", "w")
    try:
        return subprocess.Popen([PYTHON, "run.py", *args], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        out.close()


def output(tmp_path, name="worker"):
    return (tmp_path / f"{name}.out").read_text()


def wait_for(condition, timeout=30.0, every=0.05):
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            return result
        time.sleep(every)


def step_pid(tasker, task):
    """The pid of the process running the task's step now (from the claim's runner), or None."""
    found = tasker.site.db.one("SELECT running, runner FROM tasker_tasks WHERE pages_id = ?",
                               (task.id,))
    if found and found[0] and found[1]:
        return int(found[1].rsplit(":", 1)[1])
    return None


def rows_of(site, page):
    return sorted(p.name for p in site.pages.find(f"parent={page.id}, template=row, include=all"))


def stop_process(process, timeout=15):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout)


# -- cron ---------------------------------------------------------------------------------------
@pytest.mark.slow
def test_cron_runs_every_ready_task_with_one_line_per_step(tasker, worker_env):
    tasks = [add_task(tasker, "bump", f"Bump {i}") for i in range(3)]
    waiting = add_task(tasker, "bump", "Not activated", activate=False)
    done = cms(worker_env, "cron", "--time-limit", "20")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert sum(" step 1: " in line for line in lines) == 3
    assert re.match(r"cron: 3 step\(s\) in [\d.]+ s; no task is ready", lines[-1])
    for task in tasks:
        assert row(tasker, task)[:2] == (TaskState.FINISHED, 0)
        assert task.parent.get("hits") == 1
    assert tasker.get_state(waiting) == TaskState.WAITING


@pytest.mark.slow
def test_cron_runs_a_task_that_falls_due_before_its_time_is_up(tasker, worker_env):
    """A retry due in ten seconds, or a task recurring every few seconds, waited for the next
    minute's cron run: cron stopped as soon as nothing was ready at that moment."""
    from datetime import datetime, timedelta, timezone
    soon = add_task(tasker, "bump", "Due in 2 s", activate=False,
                    not_before=datetime.now(timezone.utc) + timedelta(seconds=2))
    later = add_task(tasker, "bump", "Due in an hour", activate=False,
                     not_before=datetime.now(timezone.utc) + timedelta(hours=1))
    tasker.activate_task(soon)
    tasker.activate_task(later)
    started = time.monotonic()
    done = cms(worker_env, "cron", "--time-limit", "20")
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert row(tasker, soon)[:2] == (TaskState.FINISHED, 0)
    assert tasker.get_state(later) == TaskState.ACTIVE          # not due within the run
    assert "no task is ready" in done.stdout.splitlines()[-1] and took < 15


def test_cron_waits_for_a_task_that_fell_due_while_its_claim_found_nothing(tasker):
    """The test above failed now and then on a busy machine: its task fell due between the
    claim that found nothing ready and the look for the next one due, which took only tasks
    due later than that moment, so cron ended without it. A task due since the claim began is
    tried again at once; one due before it (a claim would have taken it, were it ready) ends
    the run, rather than a loop of claims that cannot take it."""
    from datetime import datetime, timedelta, timezone
    add_task(tasker, "bump", "Due in 0.3 s", not_before=datetime.now(timezone.utc) + timedelta(seconds=0.3))
    executor = in_process(tasker, invoker="cron", end=time.time() + 20)
    asked = time.monotonic()             # a claim begins: the task is not due yet
    time.sleep(0.6)                      # ... and falls due before the next look
    assert executor._due_within_time(tasker, asked) == 0.01
    assert executor._due_within_time(tasker, time.monotonic()) is None


@pytest.mark.slow
def test_cron_exits_0_when_a_task_fails_and_says_so(tasker, worker_env):
    task = add_task(tasker, "fail", "Broken import")
    done = cms(worker_env, "cron")
    assert done.returncode == 0, done.stderr
    assert "-> failed 0% (see its log)" in done.stdout
    assert "1 failed" in done.stdout.splitlines()[-1]
    assert tasker.get_state(task) == TaskState.FAILED
    assert any("the source file is missing" in line for line in tasker.get_log(task))


def test_cron_does_nothing_when_disabled(tasker, shared_site, capsys):
    task = add_task(tasker, "bump", "Bump")
    tasker.site.modules.save_config("Tasker", enable_cron=0)
    assert main(["--site", tasker.site.site_dir, "--db", shared_site[1], "cron"]) == 0
    assert "disabled" in capsys.readouterr().out
    assert tasker.get_state(task) == TaskState.ACTIVE


@pytest.mark.parametrize("args", [["worker", "--processes", "0"], ["cron", "--time-limit", "-1"],
                                  ["cron", "--time-limit", "soon"], ["worker", "--poll", "0"],
                                  ["worker", "--max-steps", "-2"], ["cron", "--grace", "-1"]])
def test_runner_usage_errors_exit_2(shared_site, args, capsys):
    with pytest.raises(SystemExit) as exited:
        code = main(["--site", shared_site[0].site_dir, *args])
        raise SystemExit(code)
    assert exited.value.code == 2
    assert "error" in capsys.readouterr().err


def test_worker_processes_are_bounded_by_the_machine_and_help_says_so(shared_site, capsys):
    from cms.tasker.runners.worker import max_processes
    bound = max_processes()
    assert 1 <= bound <= 4 * (os.cpu_count() or 1)
    with pytest.raises(SystemExit) as exited:
        raise SystemExit(main(["--site", shared_site[0].site_dir, "worker", "--processes", "99999"]))
    assert exited.value.code == 2
    assert f"at most {bound} (4 per core" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["worker", "--help"])
    assert f"here {bound})" in " ".join(capsys.readouterr().out.split())


@pytest.mark.slow
def test_sigterm_stops_a_worker_of_the_most_processes_promptly(tasker, worker_env, tmp_path):
    from cms.tasker.runners.worker import max_processes
    worker = start(worker_env, tmp_path, "worker", "--processes", str(max_processes()))
    try:
        # at once: a SIGTERM while the pool starts its processes reaches every one of them
        assert wait_for(lambda: "process(es) on" in output(tmp_path), 30, every=0.01)
        started = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        # 0, or killed by the signal itself when it came before the handlers were set
        assert worker.wait(15) in (0, -signal.SIGTERM), output(tmp_path)
        assert time.monotonic() - started < 10
    finally:
        stop_process(worker)


def test_a_missing_site_directory_is_one_line_on_stderr(tmp_path, capsys):
    assert main(["--site", str(tmp_path / "nowhere"), "cron"]) == 1     # an error, as elsewhere
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0 and "does not exist" in err


# -- many runners at once -----------------------------------------------------------------------
@pytest.mark.slow
def test_four_processes_and_a_cron_run_each_task_exactly_once(tasker, worker_env, tmp_path):
    tasks = [add_task(tasker, "bump", f"Counter {i}", {"delay": 0.05}) for i in range(40)]
    worker = start(worker_env, tmp_path, "worker", "--processes", "4", "--until-idle", "--poll", "0.2")
    assert wait_for(lambda: tasker.site.db.scalar("SELECT COUNT(*) FROM tasker_tasks WHERE state = 3"), 30)
    cron = cms(worker_env, "cron", "--time-limit", "30")
    assert worker.wait(90) == 0, output(tmp_path)
    assert cron.returncode == 0, cron.stderr
    site = tasker.site
    hits = [site.pages.get(task.parent.id).get("hits") for task in tasks]
    assert hits == [1] * len(tasks)
    states = {row(tasker, task)[:2] for task in tasks}
    assert states == {(TaskState.FINISHED, 0)}
    runners = {r[0] for r in site.db.all("SELECT DISTINCT runner FROM tasker_tasks")}
    assert len(runners) >= 3, "the work was not shared_site between processes"


@pytest.mark.slow
def test_worker_recycles_a_process_after_max_steps(tasker, worker_env):
    tasks = [add_task(tasker, "bump", f"Counter {i}") for i in range(4)]
    done = cms(worker_env, "worker", "--max-steps", "2", "--until-idle", "--poll", "0.2")
    assert done.returncode == 0, done.stderr
    runners = {tasker.site.db.scalar("SELECT runner FROM tasker_tasks WHERE pages_id = ?", (t.id,))
               for t in tasks}
    assert len(runners) == 2            # a fresh process every 2 steps
    assert all(tasker.get_state(t) == TaskState.FINISHED for t in tasks)


@pytest.mark.slow
def test_worker_recycles_a_process_past_max_memory(tasker, worker_env):
    """Each step keeps 12 MB in its process (a slow leak): a booted step process (about 50
    MB) passes 120 MB within these 12 steps and is replaced, none of its steps killed. (A
    limit below what a booted process holds is refused: test_loose_ends.) Steps of 0.1 s:
    a process reads its memory at most every 0.2 s."""
    tasks = [add_task(tasker, "hold", f"Holder {i}", {"seconds": 0.1}) for i in range(12)]
    done = cms(worker_env, "worker", "--max-memory", "120", "--until-idle", "--poll", "0.2")
    assert done.returncode == 0, done.stderr
    runners = {tasker.site.db.scalar("SELECT runner FROM tasker_tasks WHERE pages_id = ?", (t.id,))
               for t in tasks}
    assert len(runners) >= 2 and "killed" not in done.stdout, done.stdout
    assert all(tasker.get_state(t) == TaskState.FINISHED for t in tasks)


# -- limits and crashes -------------------------------------------------------------------------
@pytest.mark.slow
def test_a_step_that_ignores_its_timeout_is_killed_and_the_task_fails(tasker, worker_env):
    task = add_task(tasker, "stubborn", "Never stops")
    after = add_task(tasker, "bump", "Next in line")
    started = time.monotonic()
    done = cms(worker_env, "cron", "--time-limit", "3", "--grace", "1")
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert took < 15
    assert "step killed after" in done.stdout
    state, running, _, _ = row(tasker, task)
    assert (state, running) == (TaskState.FAILED, 0)
    log = "\n".join(tasker.get_log(task))
    assert "ran past its timeout" in log and "killed its process" in log
    assert "1 killed past their timeout" in done.stdout.splitlines()[-1]
    # the next cron run is not blocked by it
    assert cms(worker_env, "cron", "--time-limit", "20").returncode == 0
    assert tasker.get_state(after) == TaskState.FINISHED


@pytest.mark.slow
@pytest.mark.skipif(ENGINE != "sqlite", reason="only SQLite has one write lock")
def test_a_step_waiting_for_a_write_lock_held_elsewhere_is_not_killed_as_overrunning(tasker,
                                                                                   worker_env,
                                                                                   tmp_path):
    """Another process holds the write lock longer than the step's time plus the grace: the
    step waits (it is not at fault), then notices its time is over; nothing fails."""
    site = tasker.site
    target = site.pages.add("counter", 1, title="Import")
    task = add_task(tasker, "import_rows", "Import", {"total": 60, "delay": 0.02, "every": 5},
                    page=target)
    worker = start(worker_env, tmp_path, "worker", "--processes", "2", "--step-time", "1.5",
                   "--grace", "1", "--poll", "0.2")
    holder = boot(site.db.url, site_dir=site.site_dir)
    try:
        assert wait_for(lambda: row(tasker, task)[2] >= 10, 30), output(tmp_path)
        holder.db.pw.begin()                       # BEGIN IMMEDIATE, at the step's next commit
        time.sleep(4)
        holder.db.pw.rollback()
        assert wait_for(lambda: tasker.get_state(task) == TaskState.FINISHED, 60), output(tmp_path)
    finally:
        holder.close()
        stop_process(worker)
    assert "killed" not in output(tmp_path)
    assert not any("past its timeout" in line for line in tasker.get_log(task))
    assert rows_of(site, target) == sorted(f"row-{n}" for n in range(60))


@pytest.mark.slow
def test_a_step_that_leaks_past_max_memory_is_killed_with_that_reason(tasker, worker_env):
    leak = add_task(tasker, "leak", "Leaks", {"mb": 500, "seconds": 30})
    after = add_task(tasker, "bump", "Next in line")
    started = time.monotonic()
    done = cms(worker_env, "worker", "--max-memory", "200", "--until-idle", "--poll", "0.2")
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 29        # killed before its 30 s hold ends (22 s at load 15)
    assert row(tasker, leak)[:2] == (TaskState.FAILED, 0)
    log = "\n".join(tasker.get_log(leak))
    assert "over the runner's --max-memory of 200 MB" in log and "timeout" not in log
    assert "1 killed past --max-memory" in done.stdout.splitlines()[-1]
    assert tasker.get_state(after) == TaskState.FINISHED


@pytest.mark.slow
def test_a_killed_step_process_gives_back_what_it_claimed_ahead_at_once(tasker, worker_env):
    """On SQLite the short first step claims the next three with its commit (a batch); the
    supervisor that kills the stubborn one hands the two behind it back at once, uncounted,
    instead of leaving them to the reaper when their lease ends."""
    tasker.site.modules.save_config("Tasker", lease_seconds=30)
    first = add_task(tasker, "bump", "First")
    stubborn = add_task(tasker, "stubborn", "Never stops")
    behind = [add_task(tasker, "bump", f"Behind {i}") for i in range(2)]
    done = cms(worker_env, "cron", "--time-limit", "3", "--grace", "1")
    assert done.returncode == 0, done.stderr
    assert row(tasker, first)[:2] == (TaskState.FINISHED, 0)
    assert row(tasker, stubborn)[:2] == (TaskState.FAILED, 0)
    assert [row(tasker, t) for t in behind] == [(TaskState.ACTIVE, 0, 0, 0)] * 2
    assert list(tasker.site.db.all("SELECT token FROM tasker_tasks WHERE pages_id IN (?, ?)",
                                   tuple(t.id for t in behind))) == [(None,)] * 2
    assert cms(worker_env, "cron", "--time-limit", "20").returncode == 0
    assert [row(tasker, t)[:2] for t in behind] == [(TaskState.FINISHED, 0)] * 2
    assert not any("stopped answering" in line for t in behind for line in tasker.get_log(t))


@pytest.mark.slow
def test_sigterm_finishes_the_step_at_its_next_save_and_leaves_the_task_active(tasker, worker_env, tmp_path):
    target = tasker.site.pages.add("counter", 1, title="Import")
    task = add_task(tasker, "import_rows", "Import", {"total": 200, "delay": 0.01, "every": 10},
                    page=target)
    worker = start(worker_env, tmp_path, "worker")
    assert wait_for(lambda: row(tasker, task)[2] >= 5, 30), output(tmp_path)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(15) == 0, output(tmp_path)
    state, running, progress, attempts = row(tasker, task)
    assert (state, running, attempts) == (TaskState.ACTIVE, 0, 0)
    assert 0 < progress < 100
    data = json.loads(tasker.site.pages.get(task.id).get("task_data"))
    assert len(rows_of(tasker.site, target)) == data["records_processed"]
    assert "SIGTERM" in output(tmp_path)
    # another runner carries on from the saved state
    tasker.site.modules.save_config("Tasker", cron_timeout=60)
    for _ in range(3):
        if tasker.get_state(task) == TaskState.FINISHED:
            break
        assert cms(worker_env, "cron").returncode == 0
    assert tasker.get_state(task) == TaskState.FINISHED
    assert rows_of(tasker.site, target) == sorted(f"row-{n}" for n in range(200))


@pytest.mark.slow
def test_a_second_sigterm_stops_at_once_and_gives_the_task_back(tasker, worker_env, tmp_path):
    started = tmp_path / "step-started"
    task = add_task(tasker, "stubborn", "Deaf to saves", {"seconds": 3600, "started": str(started)})
    worker = start(worker_env, tmp_path, "worker", "--processes", "2")      # one of them idle
    # the step itself, not only the claim (a SIGTERM between the two releases the task at once)
    assert wait_for(started.exists, 30), output(tmp_path)
    worker.send_signal(signal.SIGTERM)
    time.sleep(1.0)
    assert worker.poll() is None                      # the step does not save, so it runs on
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(15) == 0, output(tmp_path)
    assert row(tasker, task)[:2] == (TaskState.ACTIVE, 0)
    assert "stopped at once" in output(tmp_path)
    assert any("second SIGTERM" in line for line in tasker.get_log(task))


@pytest.mark.slow
def test_sigkill_mid_step_again_and_again_loses_and_doubles_no_row(tasker, worker_env, tmp_path):
    """Three deaths, each after new progress: not a poison pill, even with max_attempts=2
    (a death counts only when no progress was saved since the previous one)."""
    site = tasker.site
    site.modules.save_config("Tasker", max_attempts=2)
    target = site.pages.add("counter", 1, title="Import")
    total = 300
    task = add_task(tasker, "import_rows", "Import", {"total": total, "delay": 0.01, "every": 10},
                    page=target)
    worker = start(worker_env, tmp_path, "worker", "--poll", "0.2")
    kills = 0
    try:
        # twice: SIGKILL the step's process (the supervisor hands the task on at once)
        for _ in range(2):
            assert wait_for(lambda: step_pid(tasker, task) and row(tasker, task)[2] >= 10 * (kills + 1),
                            60), output(tmp_path)
            time.sleep(0.13)                        # somewhere between two milestones
            os.kill(step_pid(tasker, task), signal.SIGKILL)
            kills += 1
            assert wait_for(lambda: "\n".join(tasker.get_log(task)).count(
                "was killed by signal SIGKILL") >= kills, 30), output(tmp_path)
            assert row(tasker, task)[3] == 1            # progress since the last death: 1
        # once: SIGKILL the whole worker (the step dies with it; the lease runs out)
        assert wait_for(lambda: step_pid(tasker, task), 30)
        time.sleep(0.27)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
        kills += 1
        worker = start(worker_env, tmp_path, "worker", "--poll", "0.2", name="worker2")
        assert wait_for(lambda: tasker.get_state(task) == TaskState.FINISHED, 90), \
            output(tmp_path, "worker2")
    finally:
        stop_process(worker)
    assert row(tasker, task)[3] == 0                # attempts reset by the finish
    assert rows_of(site, target) == sorted(f"row-{n}" for n in range(total))
    log = "\n".join(tasker.get_log(task))
    assert log.count("stopped answering") >= 1       # the reaper's line for the whole-worker kill
    assert "in a row" not in log


@pytest.mark.slow
def test_a_step_process_that_exits_is_logged_with_its_exit_code(tasker, worker_env):
    """...and, as it saved no progress, two such deaths in a row fail it (max_attempts=2)."""
    tasker.site.modules.save_config("Tasker", max_attempts=2)
    task = add_task(tasker, "exit_now", "Exits", {"code": 3})
    done = cms(worker_env, "cron", "--time-limit", "10")
    assert done.returncode == 0, done.stderr
    assert "exited with code 3" in done.stdout
    log = "\n".join(tasker.get_log(task))
    assert "the step's process exited with code 3" in log and "stopped answering" not in log
    assert "died 2 time(s) in a row with no progress" in log
    assert row(tasker, task)[:2] == (TaskState.FAILED, 0)


def test_runners_back_off_while_the_database_is_down_and_say_so_plainly(tasker, monkeypatch,
                                                                         capsys):
    from cms.errors import DatabaseError
    executor = in_process(tasker)
    downs = iter(range(5))

    def claim(tasker, settings):
        if next(downs, None) is not None:
            raise DatabaseError("(0, '')")           # what pymysql says for a server gone away
        return None                                  # until_idle: nothing ready, done

    waits = []
    monkeypatch.setattr(executor, "_claim", claim)
    monkeypatch.setattr(executor, "_sleep", waits.append)
    executor.run()
    assert waits == [0.5, 1, 2, 4, 8]                # doubling (up to 30 s)
    err = capsys.readouterr().err
    assert "lost the connection to the database, retrying in 0.5 s" in err
    assert "retrying in 8 s" in err and "the database answers again" in err
    assert "(0, '')" not in err


@pytest.mark.slow
def test_the_supervisors_database_thread_backs_off_too(tasker, monkeypatch, caplog):
    from cms.errors import DatabaseError
    from cms.tasker.runners.supervisor import Supervisor

    def down():
        raise DatabaseError("(0, '')")

    supervisor = Supervisor(RunnerConfig(url=tasker.site.db.url, site_dir=tasker.site.site_dir),
                            tick=0.05)
    monkeypatch.setattr(supervisor, "tasker", down)
    caplog.set_level("WARNING", logger="cms.tasker.runners")
    thread = threading.Thread(target=supervisor._db_loop)
    thread.start()
    time.sleep(2.0)
    supervisor.jobs.put(None)
    thread.join(10)
    lines = [r.getMessage() for r in caplog.records]
    assert 2 <= len(lines) <= 3, lines                 # 0.5, 1, 2 s apart; not every tick
    assert lines[0] == "worker: lost the connection to the database, retrying in 0.5 s"
    assert lines[1].endswith("retrying in 1 s")


@pytest.mark.slow
def test_a_step_process_that_cannot_start_is_tried_three_times_with_a_back_off(tmp_path,
                                                                               monkeypatch):
    """Cron's child cannot boot (EXIT_ERROR): it is started again after 0.5 s and 1 s, then
    given up. The supervisor counts each death once, where it counted one per 0.1 s watch
    while the child waited out its back-off (cron gave up after the first start)."""
    from cms.tasker.runners.supervisor import Supervisor
    starts = []
    spawn = Supervisor._spawn
    monkeypatch.setattr(Supervisor, "_spawn",
                        lambda self, child: starts.append(time.monotonic()) or spawn(self, child))
    config = RunnerConfig(url=f"sqlite:///{tmp_path}/no-such-folder/site.db", site_dir=tmp_path,
                          invoker="cron", name="cron", until_idle=True, quiet=True,
                          end=time.time() + 20)
    supervisor = Supervisor(config, processes=1, out=lambda line: None)
    supervisor.run()
    assert len(starts) == 3 and supervisor.children[0].failures == 3
    assert starts[1] - starts[0] >= 0.5 and starts[2] - starts[1] >= 1.0
    assert supervisor.outcome.errors == ["cron: the step process could not start"]
    # A worker asked to stop while its child waits out the back-off (8 s after four failed
    # starts) stops then, starting none; it waited out the back-off and started one more.
    starts.clear()
    worker = Supervisor(replace(config, invoker="worker", name="worker", until_idle=False,
                                end=0.0), processes=1, out=lambda line: None)
    worker.children[0].failures = 4
    stopper = threading.Timer(1.5, worker.request_stop)
    stopper.start()
    began = time.monotonic()
    worker.run()
    assert time.monotonic() - began < 4.0 and len(starts) == 1


def test_steps_cut_off_by_an_outage_are_not_counted_as_failed(tasker, monkeypatch, capsys):
    from cms.errors import DatabaseError
    from cms.tasker.runners.supervisor import Outcome, summary
    task = add_task(tasker, "bump", "Cut off")
    executor = in_process(tasker)

    def outage(*args, **kwargs):
        raise DatabaseError("server closed the connection unexpectedly")

    monkeypatch.setattr(tasker, "execute_task", outage)
    claim = claim_next(tasker)
    assert claim.task_id == task.id
    assert not executor.run_claimed(tasker, claim, tasker.settings())
    assert (executor.steps, executor.failed, executor.cut) == (1, 0, 1)
    assert "lost the connection to the database; the step was cut off" in capsys.readouterr().err
    line = summary("worker", Outcome(steps=6, cut=6))
    assert "6 step(s) cut off by a database outage" in line and "failed" not in line


@pytest.mark.slow
def test_reaper_tick_sends_a_task_with_an_expired_lease_back(tasker):
    task = add_task(tasker, "bump", "Orphan")
    claim = claim_next(tasker, invoker="worker", lease_seconds=1)
    assert claim and claim.task_id == task.id
    assert tick(tasker)["reaped"] == 0
    time.sleep(1.3)
    assert tick(tasker)["reaped"] == 1
    assert row(tasker, task)[:2] == (TaskState.ACTIVE, 0)
    assert row(tasker, task)[3] == 1


def test_a_runner_claims_its_next_task_with_the_end_of_a_step_and_never_leaves_one_held(tasker,
                                                                                       batches):
    """The next claims are taken in the transaction that ends a step; a loop that stops (here
    after max_steps) gives back what it claimed ahead, so no task waits for a lease to end."""
    tasks = [add_task(tasker, "bump", f"Ahead {i}") for i in range(3)]
    seen = []
    executor = in_process(tasker)
    claim_ahead = executor._claim_ahead

    def watched(count):
        claims = claim_ahead(count)
        seen.append(([claim.task_id for claim in claims], tasker.site.db.in_transaction()))
        return claims

    executor.ahead._take = watched
    assert executor.run() == 0
    assert [row(tasker, t)[:2] for t in tasks] == [(TaskState.FINISHED, 0)] * 3
    # Taken inside the step's open transaction: after a short step, as many as a batch holds.
    assert seen[0] == ([tasks[1].id, tasks[2].id], True)

    more = [add_task(tasker, "bump", f"Stop {i}") for i in range(4)]
    stopping = in_process(tasker, max_steps=2, until_idle=False)
    stopping.ahead._take = lambda count: claim_several(tasker, 3)     # claims regardless
    assert stopping.run() == 3                                            # recycled
    states = [row(tasker, t)[:2] for t in more]
    assert states[:2] == [(TaskState.FINISHED, 0)] * 2
    assert states[2:] == [(TaskState.ACTIVE, 0)] * 2      # claimed ahead, then given back
    assert list(tasker.site.db.all("SELECT token, attempts FROM tasker_tasks WHERE pages_id IN "
                                   "(?, ?)", (more[2].id, more[3].id))) == [(None, 0)] * 2


@pytest.fixture
def batches(tasker, monkeypatch):
    """Batches of up to 4 steps on every engine (they are SQLite's default), each recorded."""
    monkeypatch.setattr(tasker.storage, "batch_steps", 4)
    monkeypatch.setattr(tasker.storage, "batch_seconds", 5.0)
    sizes = []
    end_batch = tasker.runner.end_batch

    def recorded(batch=None, commit=True):
        open_batch = batch or tasker.runner.batch
        if open_batch is not None:
            sizes.append((open_batch.steps, commit))
        return end_batch(batch, commit)

    monkeypatch.setattr(tasker.runner, "end_batch", recorded)
    return sizes


def test_steps_claimed_ahead_read_what_they_need_with_their_claims(tasker, batches,
                                                                  monkeypatch):
    """The claims taken ahead are read in one statement with them: their steps send no read of
    their own. A claim that waited in the queue longer than RELOAD_AFTER is read again, so one
    lost meanwhile is not run. (RELOAD_AFTER, 50 ms, is made a minute here: under load the
    fresh claim's step came more than 50 ms after its read, and was read again.)"""
    tasks = [add_task(tasker, "bump", f"Loaded {i}") for i in range(5)]
    db = tasker.site.db
    reads = []
    one_prepared = db.one_prepared
    monkeypatch.setattr(db, "one_prepared", lambda *args: reads.append(args) or one_prepared(*args))
    assert in_process(tasker).run() == 0
    assert [row(tasker, t)[:2] for t in tasks] == [(TaskState.FINISHED, 0)] * 5
    assert [hits(tasker, t) for t in tasks] == [1] * 5
    assert batches == [(4, True)]
    assert len(reads) == 1           # the first step's own; the four claimed ahead were read

    monkeypatch.setattr(step_module, "RELOAD_AFTER", 60.0)
    old, fresh = add_task(tasker, "bump", "Old read"), add_task(tasker, "bump", "Fresh read")
    claims = sorted(claim_several(tasker, 2), key=lambda claim: claim.task_id)
    assert [claim.task_id for claim in claims] == [old.id, fresh.id]
    with db.transaction():
        tasker.runner._load_ahead(claims)
    assert all(claim.loaded is not None for claim in claims)
    claims[0].loaded_at -= 61                             # waited too long ...
    db.execute("UPDATE tasker_tasks SET token = 'another' WHERE pages_id = ?", (old.id,))
    tasker.site.notices.clear()
    reads.clear()
    assert tasker.execute_task(old.id, {"claim": claims[0], "invoker": "worker"}) is False
    assert len(reads) == 1 and "claim expired before the step began" in \
        tasker.site.notices.warnings()[-1].text           # ... so read again: never run
    assert not any("lost its claim" in line for line in tasker.get_log(old))
    assert tasker.execute_task(fresh.id, {"claim": claims[1], "invoker": "worker"}) is True
    assert len(reads) == 1 and hits(tasker, fresh) == 1


def hits(tasker, task):
    """The counter of the page the task works on."""
    return tasker.site.pages.get(json.loads(task.get("task_data"))["pageid"]).get("hits")


def test_short_steps_run_in_batches_and_each_task_runs_once(tasker, batches):
    tasks = [add_task(tasker, "bump", f"Batched {i}") for i in range(9)]
    executor = in_process(tasker)
    assert executor.run() == 0 and executor.steps == 9
    assert [row(tasker, t)[:2] for t in tasks] == [(TaskState.FINISHED, 0)] * 9
    assert [hits(tasker, t) for t in tasks] == [1] * 9
    # The first step claims 4 with its commit; those 4 run in one transaction and claim the
    # last 4 with its commit.
    assert batches == [(4, True), (4, True)]
    assert not tasker.site.db.in_transaction()
    # Each step kept its own history and figures.
    for task in tasks:
        assert tasker.site.db.scalar("SELECT COUNT(*) FROM tasker_steps WHERE pages_id = ?",
                                     (task.id,)) == 1
        assert "finished" in [h["note"] for h in tasker.get_history(task)]


def test_a_runner_claims_ahead_only_as_many_steps_as_fit_in_a_batch(tasker, monkeypatch):
    """Claims held ahead keep their tasks from the machine's other runners: after a step of
    about 20 ms, a runner whose batches last 0.4 s claims 20 at most (fewer when the step took
    longer), not its cap of 100; with batches of 4 s, after a step of a few milliseconds,
    up to the cap."""
    monkeypatch.setattr(tasker.storage, "batch_steps", 100)
    monkeypatch.setattr(tasker.storage, "batch_seconds", 0.4)
    asked = []
    take = claim_module.ClaimAhead.take
    monkeypatch.setattr(claim_module.ClaimAhead, "take",
                        lambda self, count=1: asked.append(count) or take(self, count))
    slow = [add_task(tasker, "bump", f"Slow {i}", {"delay": 0.02}) for i in range(3)]
    in_process(tasker).run()
    assert [row(tasker, t)[0] for t in slow] == [TaskState.FINISHED] * 3
    assert asked and max(asked) <= 20, asked
    asked.clear()
    monkeypatch.setattr(tasker.storage, "batch_seconds", 4.0)     # room for slow CI machines
    fast = [add_task(tasker, "bump", f"Fast {i}") for i in range(30)]
    in_process(tasker).run()
    assert [row(tasker, t)[0] for t in fast] == [TaskState.FINISHED] * 30
    assert max(asked) == 100, asked     # steps under 40 ms: the cap


def test_a_batch_ends_when_another_writer_waits_for_sqlites_write_lock(tasker, batches):
    """A page save polling for SQLite's write lock announces itself (LockWaiters); a runner
    then ends its batch at the next step's end instead of holding the lock for the whole
    batch. Row locks on the server engines keep nobody waiting for the database as a whole."""
    tasks = [add_task(tasker, "bump", f"Waited {i}") for i in range(5)]
    db = tasker.site.db
    if ENGINE != "sqlite":
        assert not tasker.storage.writer_waits()
        return
    with db.pw.waiters.waiting():        # as a page save in another process announces itself
        assert tasker.storage.writer_waits()
        assert in_process(tasker).run() == 0
    assert [row(tasker, t)[:2] for t in tasks] == [(TaskState.FINISHED, 0)] * 5
    assert batches == []                 # each step committed alone
    assert not tasker.storage.writer_waits()


def test_a_step_that_raises_in_a_batch_rolls_back_alone(tasker, batches):
    first = add_task(tasker, "bump", "Before")
    tasks = [add_task(tasker, method, f"In batch {i}")
             for i, method in enumerate(["bump", "explode", "bump", "bump"])]
    executor = in_process(tasker)
    assert executor.run() == 0 and executor.steps == 5
    states = [row(tasker, t)[:2] for t in [first, *tasks]]
    assert states == [(TaskState.FINISHED, 0), (TaskState.FINISHED, 0), (TaskState.FAILED, 0),
                      (TaskState.FINISHED, 0), (TaskState.FINISHED, 0)]
    # The exploding step's bump was rolled back; the steps before and after it kept theirs.
    assert [hits(tasker, t) for t in tasks] == [1, None, 1, 1]
    assert "RuntimeError: the parser choked" in "\n".join(tasker.get_log(tasks[1]))
    # The batch committed the one step before it when it failed; the next two made another.
    assert batches == [(1, True), (2, True)]
    assert not tasker.site.db.in_transaction()


def test_a_batch_rolled_back_by_a_lost_connection_gives_its_claims_back_at_once(tasker, batches,
                                                                                 monkeypatch):
    """The batch's commit fails (the connection went away): its steps were undone, and their
    claims, committed before the batch began, are given back as soon as the database answers,
    with no attempt counted, instead of being held until a reaper hands them on at their
    lease's end, counting one."""
    import peewee
    db = tasker.site.db
    tasks = [add_task(tasker, "bump", f"Cut {i}") for i in range(5)]
    recorded = tasker.runner.end_batch
    failed = []

    def connection_lost(batch=None, commit=True):
        open_batch = batch or tasker.runner.batch
        if commit and open_batch is not None and not failed:
            failed.append(open_batch.steps)
            recorded(batch, commit=False)
            raise peewee.InterfaceError("connection already closed")
        return recorded(batch, commit)

    monkeypatch.setattr(tasker.runner, "end_batch", connection_lost)
    monkeypatch.setattr(db, "is_disconnect", lambda exc: isinstance(exc, peewee.InterfaceError))
    executor = in_process(tasker)
    monkeypatch.setattr(executor, "_sleep", lambda seconds: None)
    assert executor.run() == 0
    assert failed == [4] and batches[0] == (4, False)
    assert [row(tasker, t)[:2] for t in tasks] == [(TaskState.FINISHED, 0)] * 5
    assert [hits(tasker, t) for t in tasks] == [1] * 5        # the undone bumps ran again, once
    assert db.scalar("SELECT MAX(attempts) FROM tasker_tasks") == 0
    for task in tasks[1:4]:
        assert any("rolled back to its last save" in line for line in tasker.get_log(task))
    assert "no attempt counted" in "\n".join(tasker.get_log(tasks[4]))
    assert tasker.runner.rolled_back == [] and executor.pending == []


def test_a_long_step_in_a_batch_commits_it_and_gives_the_queued_claims_back(tasker, batches,
                                                                             monkeypatch):
    first = add_task(tasker, "bump", "Short")
    target = tasker.site.pages.add("counter", 1, title="Long import")
    long = add_task(tasker, "import_rows", "Long", {"total": 3, "every": 1}, page=target)
    queued = [add_task(tasker, "bump", f"Queued {i}") for i in range(2)]
    released = []
    real_release = claim_module.release

    def spy(tasker_, claim, **kwargs):
        released.append((claim.task_id, tasker_.site.db.in_transaction()))
        return real_release(tasker_, claim, **kwargs)

    monkeypatch.setattr(claim_module, "release", spy)
    executor = in_process(tasker)
    assert executor.run() == 0 and executor.steps == 4
    assert [row(tasker, t)[:2] for t in [first, long, *queued]] == [(TaskState.FINISHED, 0)] * 4
    assert len(rows_of(tasker.site, target)) == 3
    # The long step's first save gave the tasks claimed behind it back, in its own commit
    # (no attempt counted); the runner claimed them again afterwards.
    assert released == [(queued[0].id, True), (queued[1].id, True)]
    assert [row(tasker, t)[3] for t in queued] == [0, 0]


@pytest.mark.slow
def test_a_task_run_from_the_browser_stays_the_browsers_between_its_steps(tasker):
    """Run now: between two steps a worker does not take the task over; once the browser has
    been gone for lease_seconds it does."""
    task = add_task(tasker, "import_rows", "Watched", {"total": 40, "every": 1, "delay": 0.02})
    tasker.site.modules.save_config("Tasker", lease_seconds=1)
    assert tasker.execute_task(task, {"timeout": time.time() + 0.15, "admin_run": True,
                                      "invoker": "admin"})
    state, running, progress, _ = row(tasker, task)
    assert (state, running) == (TaskState.ACTIVE, 0) and 0 < progress < 100
    assert claim_next(tasker, invoker="worker") is None          # kept for the browser
    assert tasker.execute_task(task, {"timeout": time.time() + 0.15, "admin_run": True,
                                      "invoker": "admin"})        # its next call runs
    assert claim_next(tasker, invoker="worker") is None
    time.sleep(1.3)                                              # the page was closed
    claim = claim_next(tasker, invoker="worker")
    assert claim is not None and claim.task_id == task.id
    assert tasker.execute_task(task, {"claim": claim, "timeout": time.time() + 0.15})

    # Suspended and activated again (by the list's buttons): every runner may take it at once.
    assert tasker.execute_task(task, {"timeout": time.time() + 0.15, "admin_run": True,
                                      "invoker": "admin"})
    assert claim_next(tasker, invoker="worker") is None
    tasker.stop_task(task)
    assert tasker.activate_task(task)
    claim = claim_next(tasker, invoker="worker")
    assert claim is not None and claim.task_id == task.id


# -- retries, schedules, retention --------------------------------------------------------------
def test_a_failed_task_is_retried_with_backoff_then_fails(tasker, capsys):
    quick = add_task(tasker, "fail", "Flaky", retry={"attempts": 2, "backoff": 0})
    slow = add_task(tasker, "fail", "Flaky later", retry={"attempts": 2, "backoff": 600})
    for _ in range(40):     # a retry due "now" may be a millisecond ahead of the database clock
        drain(tasker)
        if tasker.get_state(quick) == TaskState.FAILED:
            break
        time.sleep(0.02)
    assert tasker.get_state(quick) == TaskState.FAILED
    assert capsys.readouterr().out.count("'Flaky' step") == 3    # the first run and two retries
    assert tasker.get_state(slow) == TaskState.ACTIVE           # waits 600 s for its retry
    not_before = tasker.site.db.scalar("SELECT not_before FROM tasker_tasks WHERE pages_id = ?",
                                       (slow.id,))
    assert not_before > tasker.site.db.db_time() + 500


def test_a_recurring_task_starts_over_and_waits_for_its_next_run(tasker, capsys):
    task = add_task(tasker, "bump", "Hourly", every="0 * * * *")
    assert drain(tasker).steps == 1
    state, running, progress, _ = row(tasker, task)
    assert (state, running, progress) == (TaskState.ACTIVE, 0, 0)
    not_before = tasker.site.db.scalar("SELECT not_before FROM tasker_tasks WHERE pages_id = ?",
                                       (task.id,))
    assert not_before in (CronExpression("0 * * * *").next_after(time.time() - 5),
                          CronExpression("0 * * * *").next_after(time.time()))
    assert drain(tasker).steps == 0                             # not before its time
    assert tasker.site.pages.get(task.parent.id).get("hits") == 1
    said = capsys.readouterr().out           # the step's line says when it runs again
    assert time.strftime("-> active 0% (runs again at %H:%M:%S UTC)",
                         time.gmtime(not_before)) in said, said


def test_retention_deletes_old_finished_tasks_in_batches_and_keeps_the_rest(tasker):
    site = tasker.site
    old = [add_task(tasker, "bump", f"Old {i}") for i in range(7)]
    young = add_task(tasker, "bump", "Young")
    failed = add_task(tasker, "fail", "Old failure")
    for task in old + [young, failed]:
        assert tasker.execute_task(task, {"invoker": "cron"}) == (task is not failed)
    ids = [t.id for t in old + [failed]]
    site.db.execute(f"UPDATE tasker_tasks SET turn = turn - 40 * 86400 WHERE pages_id IN "
                    f"({', '.join('?' * len(ids))})", ids)
    assert cleanup_finished(tasker, 30, batch=3) == 7
    assert all(not site.pages.get(t.id) for t in old)
    assert site.pages.get(young.id) and site.pages.get(failed.id)
    assert cleanup_finished(tasker, 30) == 0


def test_cron_expressions_and_intervals():
    t = 1_795_780_990.0                     # 2026-11-27 12:03:10 UTC, a Friday
    assert next_time("*/5 * * * *", t) == 1_795_781_100.0
    assert next_time(90, t) == t + 90
    assert time.gmtime(next_time("30 9 * * mon-fri", t))[:5] == (2026, 11, 30, 9, 30)
    assert time.gmtime(next_time("0 0 29 2 *", t))[:3] == (2028, 2, 29)
    assert time.gmtime(next_time("@daily", t))[:4] == (2026, 11, 28, 0)
    for bad in ("* * *", "61 * * * *", "*/0 * * * *", "5-1 * * * *", "x * * * *"):
        with pytest.raises(TaskError):
            CronExpression(bad)


def test_cron_day_fields_follow_vixie_cron():
    """Both day fields restricted: either matches. One starts with `*`: both must match."""
    t = 1_796_083_200.0                     # 2026-12-01 00:00 UTC, a Tuesday
    odd_mondays = [time.gmtime(t := next_time("0 0 */2 * 1", t))[:3] for _ in range(3)]
    assert odd_mondays == [(2026, 12, 7), (2026, 12, 21), (2027, 1, 11)]
    t = 1_796_083_200.0
    either = [time.gmtime(t := next_time("0 0 1,15 * 1", t))[:3] for _ in range(3)]
    assert either == [(2026, 12, 7), (2026, 12, 14), (2026, 12, 15)]


def test_create_task_refuses_a_bad_schedule(tasker):
    with pytest.raises(TaskError, match="5 fields"):
        add_task(tasker, "bump", "Bad", every="every day")
    for bad in (float("inf"), float("nan"), 1e-9, -2.0):
        with pytest.raises(TaskError, match="every must be seconds|must be positive"):
            add_task(tasker, "bump", "Bad", every=bad)


def test_an_interval_given_as_a_float_is_stored_in_digits_and_its_task_recurs(tasker):
    """1e-05 was stored as str() wrote it, read back as a cron expression, and failed the
    task at its first step's end; 1e+16 (str()'s other exponent form) is past any date, and
    refused at creation."""
    tiny = add_task(tasker, "bump", "Tiny", every=0.00001)
    assert tasker.site.db.scalar("SELECT every FROM tasker_tasks WHERE pages_id = ?",
                                 (tiny.id,)) == "0.00001"
    assert tasker.execute_task(tiny) is True
    assert row(tasker, tiny)[0] == TaskState.ACTIVE         # recurring: active again
    with pytest.raises(TaskError, match="past the year 9999"):
        add_task(tasker, "bump", "Huge", every=1e16)


# -- Run now -----------------------------------------------------------------------------------
@pytest.mark.slow
def test_run_now_kills_a_step_past_ajax_timeout_and_a_save_meanwhile_succeeds(tasker, shared_site,
                                                                               monkeypatch):
    """The browser's step runs in a watched child: it ends by ajax_timeout + grace, the task
    fails with the supervisor's reason, and another admin's save waits its turn (no 500)."""
    from webclient import PASSWORD, Client, running_server

    from cms.tasker.runners import browser
    monkeypatch.setattr(browser, "GRACE", 1.0)
    site, url, _ = shared_site
    site.users.add("admin", PASSWORD)
    site.modules.save_config("Tasker", ajax_timeout=1)
    task = add_task(tasker, "stubborn", "Deaf to its timeout", {"seconds": 3600})
    page = site.pages.add("counter", 1, "edited", title="Edited meanwhile")
    answers = {}
    with running_server(url, Path(site.site_dir)) as server:
        runner, editor = Client(server), Client(server)
        runner.login()
        editor.login()
        form = editor.get(f"/admin/page/{page.id}/edit")
        thread = threading.Thread(target=lambda: answers.update(run=runner.api("run", task.id)))
        started = time.monotonic()
        thread.start()
        assert wait_for(lambda: row(tasker, task)[1] == 1, 10)
        saved = editor.post(f"/admin/page/{page.id}/edit", {
            "csrf_token": form.csrf(), "title": "Saved meanwhile", "name": "edited", "hits": "1"})
        thread.join(30)
        took = time.monotonic() - started
    assert saved.status == 303, saved
    assert site.pages.get(page.id).title == "Saved meanwhile"
    assert took < 8                                   # 1 s timeout + 1 s grace + a start
    answer = answers["run"].json()
    assert answer["task_state"] == TaskState.FAILED and answer["task_running"] == 0
    assert "ran past its timeout" in "\n".join(tasker.get_log(task))


@pytest.mark.slow
@pytest.mark.skipif(ENGINE != "sqlite", reason="only SQLite has one write lock")
def test_a_save_that_waited_its_bound_for_the_lock_says_busy_and_keeps_the_input(tasker,
                                                                                shared_site):
    from webclient import PASSWORD, Client, running_server
    site, url, _ = shared_site
    site.users.add("admin", PASSWORD)
    page = site.pages.add("counter", 1, "locked-out", title="Locked out")
    task = add_task(tasker, "bump", "Busy")
    with running_server(url, Path(site.site_dir), threads=1) as server:
        editor = Client(server)
        editor.login()
        form = editor.get(f"/admin/page/{page.id}/edit")
        for served in server.web.pool.sites:            # a bound of 0.5 s, not 10 s
            served.db.pw.lock_timeout = 0.5
        holder = boot(url, site_dir=site.site_dir)
        try:
            holder.db.pw.begin()                      # BEGIN IMMEDIATE: the write lock
            saved = editor.post(f"/admin/page/{page.id}/edit", {
                "csrf_token": form.csrf(), "title": "Not saved", "name": "locked-out"})
            suspended = editor.api("suspend", task.id)       # it answered 400 so
        finally:
            holder.db.pw.rollback()
            holder.close()
    # the form comes back saying so, with what was typed in it: nothing is lost
    assert saved.status == 400 and "write lock for more than 0.5 s" in saved.text
    assert "try again" in saved.text and 'value="Not saved"' in saved.text
    assert site.pages.get(page.id).title == "Locked out"
    assert suspended.status == 503 and "busy" in suspended.json()["result"]
    assert tasker.get_state(task) == TaskState.ACTIVE


# -- lazy cron ----------------------------------------------------------------------------------
def test_lazy_step_runs_one_step_and_respects_the_lease_busy_and_the_setting(tasker):
    site = tasker.site
    first, second = add_task(tasker, "bump", "One"), add_task(tasker, "bump", "Two")
    assert run_lazy_step(site, busy=lambda: True) is None
    assert site.leases.take(LEASE, "another-server:1", 30)          # another process holds it
    assert run_lazy_step(site) is None
    site.db.execute("UPDATE leases SET until = 0")                  # its lease ran out
    assert run_lazy_step(site) == first.id
    assert tasker.get_state(first) == TaskState.FINISHED
    assert tasker.get_state(second) == TaskState.ACTIVE
    history = tasker.get_history(first)
    assert history[-1]["who"] == "lazycron"
    site.modules.save_config("Tasker", enable_lazy_cron=0)
    assert run_lazy_step(site) is None
    site.modules.save_config("Tasker", enable_lazy_cron=1)
    assert run_lazy_step(site) == second.id


@pytest.mark.slow
def test_a_lazy_step_deaf_to_its_timeout_is_killed_and_a_save_meanwhile_succeeds(tasker,
                                                                               monkeypatch):
    """It ran in the server's own process, unbounded: a step that ignored lazy_cron_timeout
    held SQLite's write lock, and every writer of the site, for as long as it liked."""
    from cms.tasker.runners import browser
    monkeypatch.setattr(browser, "GRACE", 1.0)
    site = tasker.site
    site.modules.save_config("Tasker", lazy_cron_timeout=1)
    task = add_task(tasker, "stubborn", "Deaf to its timeout", {"seconds": 3600})
    page = site.pages.add("counter", 1, "edited", title="Edited meanwhile")
    done = {}
    started = time.monotonic()
    thread = threading.Thread(target=lambda: done.update(id=run_lazy_step(site)))
    thread.start()
    assert wait_for(lambda: row(tasker, task)[1] == 1, 10)
    page.title = "Saved meanwhile"
    page.save()                                     # waits its turn, as any writer
    thread.join(30)
    assert done["id"] == task.id and time.monotonic() - started < 10
    assert tasker.get_state(task) == TaskState.FAILED
    assert "ran past its timeout" in "\n".join(tasker.get_log(task))
    assert site.pages.get(page.id).title == "Saved meanwhile"


@pytest.mark.slow
def test_a_server_stopping_interrupts_its_lazy_step_in_the_child_at_its_next_save(tasker):
    """The lazy step runs in a child process: the interrupt of the server's own steps reached
    nothing there, and stop() waited out the step's whole time (then the server exited, the
    child died with it, and an attempt was counted)."""
    site = tasker.site
    site.modules.save_config("Tasker", lazy_cron_timeout=30)
    target = site.pages.add("counter", 1, title="Rows")
    task = add_task(tasker, "import_rows", "Interrupted",
                    {"total": 100000, "every": 1, "delay": 0.01}, page=target)
    runner = LazyRunner(site, min_interval=0)
    runner.signal()
    assert wait_for(lambda: stored_records(tasker, task) >= 5, 30)
    started = time.monotonic()
    runner.stop(timeout=25)
    assert time.monotonic() - started < 5
    assert row(tasker, task)[:2] == (TaskState.ACTIVE, 0)      # given back, still active
    assert row(tasker, task)[3] == 0                            # no attempt counted
    saved = stored_records(tasker, task)
    assert saved >= 5 and rows_of(site, target) == sorted(f"row-{n}" for n in range(saved))


def stored_records(tasker, task) -> int:
    text = tasker.site.db.scalar("SELECT data FROM field_task_data WHERE pages_id = ?", (task.id,))
    return json.loads(text or "{}").get("records_processed", 0)


@pytest.mark.slow
def test_lazy_runner_works_in_the_background_one_step_at_a_time(tasker):
    site = tasker.site
    tasks = [add_task(tasker, "wait", f"Wait {i}", {"seconds": 0.2}) for i in range(3)]
    runner = LazyRunner(site, min_interval=0)
    running_at_once = []

    def watch():
        end = time.monotonic() + 5
        while time.monotonic() < end and any(tasker.get_state(t) != TaskState.FINISHED for t in tasks):
            running_at_once.append(site.db.scalar("SELECT COUNT(*) FROM tasker_tasks WHERE running = 1"))
            time.sleep(0.02)
        site.db.close()

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        started = time.monotonic()
        for _ in range(3):
            runner.signal()
            time.sleep(0.01)
        assert time.monotonic() - started < 0.2                  # signal() never waits
        assert wait_for(lambda: runner.steps >= 1, 10)
        for _ in range(3):
            runner.signal()
        assert wait_for(lambda: all(tasker.get_state(t) == TaskState.FINISHED for t in tasks) or
                        (runner.signal() and False), 15)
    finally:
        runner.stop()
        watcher.join()
    assert max(running_at_once) <= 1


# -- the background worker used by `python run.py` -------------------------------------------------
@pytest.mark.slow
def test_worker_process_starts_in_the_background_and_stops_gracefully(tasker, shared_site, tmp_path):
    task = add_task(tasker, "bump", "Counter")
    worker = WorkerProcess(tasker.site.site_dir, shared_site[1], log_path=tmp_path / "worker.log",
                           extra_args=("--poll", "0.2")).start()
    try:
        assert wait_for(lambda: tasker.get_state(task) == TaskState.FINISHED, 30), \
            (tmp_path / "worker.log").read_text()
        assert worker.running
    finally:
        code = worker.stop()
    assert code == 0
    assert not worker.running
    assert "worker: 1 step(s)" in (tmp_path / "worker.log").read_text()


# -- scaling on a server engine -----------------------------------------------------------------
@pytest.mark.skipif(ENGINE != "postgresql", reason="the 4-worker speed-up is a PostgreSQL figure")
def test_four_workers_drain_io_bound_steps_in_parallel(tasker, worker_env):
    """The claim path does not serialise workers. bench/bench_runners.py measures the 3x aim on
    a quiet machine; here 2x leaves room for a loaded test machine."""
    def drain(processes):
        tasks = [add_task(tasker, "wait", f"Wait {i}", {"seconds": 0.02}) for i in range(80)]
        done = cms(worker_env, "worker", "--processes", str(processes), "--until-idle", "-q")
        assert done.returncode == 0, done.stderr
        assert all(tasker.get_state(t) == TaskState.FINISHED for t in tasks)
        rate = re.search(r"(\d+) steps/s while busy", done.stdout)
        assert rate, done.stdout
        return int(rate.group(1))
    one, four = drain(1), drain(4)
    assert four >= 2 * one, f"1 worker: {one}/s, 4 workers: {four}/s"


# -- database servers restarted during a run ----------------------------------------------------
def restart_server():
    if ENGINE == "postgresql":
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "restart"],
                       check=True, capture_output=True, timeout=60)
        ready = ["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"]
    else:
        subprocess.run(["mariadb-admin", "-uroot", "-h127.0.0.1", "shutdown"], check=True,
                       capture_output=True, timeout=60)
        time.sleep(1.0)
        # --pidfile: the server on 3306, though another mariadbd may run on this machine
        subprocess.run(["start-stop-daemon", "--start", "--oknodo", "--background", "--pidfile",
                        "/run/mysqld/mysqld.pid", "--exec", "/usr/sbin/mariadbd"],
                       check=True, capture_output=True, timeout=30)
        ready = ["mariadb-admin", "-uroot", "-h127.0.0.1", "ping"]
    assert wait_for(lambda: subprocess.run(ready, capture_output=True).returncode == 0, 60, 0.5)


@pytest.mark.slow
@pytest.mark.restarts_server
@pytest.mark.skipif(ENGINE == "sqlite", reason="SQLite has no server to restart")
def test_runners_reconnect_after_the_server_restarts_and_lose_nothing(tasker, worker_env, tmp_path):
    site = tasker.site
    target = site.pages.add("counter", 1, title="Import")
    total = 300
    task = add_task(tasker, "import_rows", "Import", {"total": total, "delay": 0.02, "every": 10},
                    page=target)
    counters = [add_task(tasker, "bump", f"Counter {i}") for i in range(10)]
    worker = start(worker_env, tmp_path, "worker", "--processes", "2", "--poll", "0.2")
    try:
        assert wait_for(lambda: row(tasker, task)[2] >= 10, 60), output(tmp_path)
        site.close()
        restart_server()
        site.db.reconnect()
        assert wait_for(lambda: tasker.get_state(task) == TaskState.FINISHED and all(
            tasker.get_state(t) == TaskState.FINISHED for t in counters), 120), output(tmp_path)
        assert worker.poll() is None, output(tmp_path)          # the worker kept running
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(30)
    assert rows_of(site, target) == sorted(f"row-{n}" for n in range(total))
    assert [site.pages.get(t.parent.id).get("hits") for t in counters] == [1] * len(counters)
