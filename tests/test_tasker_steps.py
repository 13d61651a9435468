"""Running tasks: execute_task, its outcomes and failure paths, claims and leases, and crash
consistency with real processes (a worker SIGKILLed between milestones, a suspend from another
process landing within a second)."""
from __future__ import annotations

import os
import random
import signal
import time
from datetime import datetime, timezone

import pytest
from conftest import ENGINE
from tasker_support import child_names, make_task, run, runtime, spawn_step, stored_data, wait_for

import cms
from cms.tasker import TaskError, TaskState, claim_next, claim_task, reap_expired, release

pytest_plugins = ("tasker_fixtures",)      # fixtures: shared_site, tasker, worker_env


def records_match_pages(tasker, task, target) -> int:
    """The committed records_processed equals the pages on disk, named rec-0 ... rec-(n-1)."""
    done = stored_data(tasker, task)["records_processed"]
    names = sorted(n for n in child_names(tasker.site, target) if n.startswith("rec-"))
    assert names == sorted(f"rec-{n}" for n in range(done)), (done, len(names))
    return done


# -- outcomes ---------------------------------------------------------------------------------
def test_a_step_runs_the_method_and_finishes_the_task(tasker):
    task = make_task(tasker, "count", total=250, every=100)
    assert run(tasker, task, invoker="cron")
    page = tasker.site.pages.get(task.id)
    assert page.task_state == TaskState.FINISHED and page.task_running == 0 and page.progress == 100
    assert records_match_pages(tasker, task, page.parent) == 250
    assert stored_data(tasker, task)["task_done"] == 1
    assert tasker.get_history(task)[-1]["who"] == "cron"


def test_a_step_that_runs_out_of_time_is_resumed_by_the_next(tasker):
    task = make_task(tasker, "count", total=60, every=7, pause=0.01)
    progress, steps = [], 0
    while tasker.is_active(task):
        assert run(tasker, task, seconds=0.2)
        steps += 1
        progress.append(tasker.site.pages.get(task.id).progress)
    assert steps >= 3
    assert progress == sorted(progress) and progress[-1] == 100
    assert records_match_pages(tasker, task, task.parent) == 60


def test_returning_false_fails_the_task_and_keeps_what_it_did(tasker):
    task = make_task(tasker, "refuse")
    assert not run(tasker, task)
    assert tasker.get_state(task) == TaskState.FAILED
    assert "refused" in child_names(tasker.site, task.parent)
    assert stored_data(tasker, task)["records_processed"] == 1
    log = tasker.get_log(task)
    assert "WARNING the input looks wrong" in log[0]
    assert "returned False" in log[1]


@pytest.mark.parametrize("returns, said", [(None, "returned None"),
                                           ({"task_done": 0}, "returned dict {'task_done': 0}"),
                                           ("yes", "returned str 'yes'"), (1, "returned int 1")])
def test_a_result_other_than_true_or_false_fails_the_task_and_says_what_came_back(tasker, returns,
                                                                                  said):
    task = make_task(tasker, "odd", returns=returns)
    assert not run(tasker, task)
    assert tasker.get_state(task) == TaskState.FAILED
    assert "odd" in child_names(tasker.site, task.parent)      # what it did is kept, as for False
    line = tasker.get_log(task)[-1]
    assert said in line and "not True or False" in line


def test_a_task_whose_steps_change_nothing_fails_after_max_idle_steps(tasker):
    tasker.site.modules.save_config("Tasker", max_idle_steps=5)
    task = make_task(tasker, "stand_still")
    for _ in range(4):
        assert run(tasker, task)
    assert tasker.get_state(task) == TaskState.ACTIVE
    assert not run(tasker, task)
    assert tasker.get_state(task) == TaskState.FAILED
    assert "no progress in 5 steps in a row" in tasker.get_log(task)[-1]
    # steps that change task_data do not count
    moving = make_task(tasker, "stand_still", moves=4)
    for _ in range(4 + 4):
        assert run(tasker, moving)
    assert tasker.get_state(moving) == TaskState.ACTIVE
    assert not run(tasker, moving)
    assert tasker.get_state(moving) == TaskState.FAILED


def test_a_transient_database_error_gives_the_task_back_without_an_attempt(tasker):
    task = make_task(tasker, "lock_trouble")
    assert not run(tasker, task)
    assert runtime(tasker, task, "state", "running", "attempts") == (TaskState.ACTIVE, 0, 0)
    assert "trouble" not in child_names(tasker.site, task.parent)        # rolled back
    assert stored_data(tasker, task)["records_processed"] == 0
    line = tasker.get_log(task)[-1]
    assert "could not get the database" in line and "no attempt counted" in line
    # only repeated ones count: the second in a row counts one, the third fails (max 2)
    tasker.site.modules.save_config("Tasker", max_attempts=2)
    assert not run(tasker, task)
    assert runtime(tasker, task, "state", "attempts") == (TaskState.ACTIVE, 1)
    assert "one more attempt counted" in tasker.get_log(task)[-1]
    assert not run(tasker, task)
    assert tasker.get_state(task) == TaskState.FAILED
    assert "database errors 3 times in a row" in tasker.get_log(task)[-1]


@pytest.mark.skipif(ENGINE == "sqlite", reason="row locks: a server engine's lock wait timeout")
def test_a_lock_wait_that_runs_out_gives_the_task_back_on_a_server_engine(tasker, shared_site):
    site, url, _ = shared_site
    task = make_task(tasker, "touch_locked")
    holder = cms.boot(url, site_dir=site.site_dir)
    try:
        with holder.transaction():            # another connection holds the page's row
            holder.db.execute("SELECT id FROM pages WHERE id = ? FOR UPDATE", (task.parent.id,))
            assert not run(tasker, task)
    finally:
        holder.close()
    assert runtime(tasker, task, "state", "running", "attempts") == (TaskState.ACTIVE, 0, 0)
    line = tasker.get_log(task)[-1]
    assert "transient database error" in line and "no attempt counted" in line
    assert run(tasker, task)                  # the lock is free: the next try finishes
    assert tasker.get_state(task) == TaskState.FINISHED


def test_a_claim_during_a_page_save_of_the_tasks_data_does_not_run_the_data_it_replaces(tasker, shared_site):
    """The page save that refuses to change a running task's data reads `running` under a
    row lock: a claim in another process in that instant passes the task by (the server
    engines skip a locked row) or waits for the save's commit (SQLite), so no step reads the
    data the edit replaces. Read without the lock, the claim won and its step overwrote the
    edit at its end."""
    import json
    import threading
    site, url, _ = shared_site
    task = make_task(tasker, "count", total=5)
    page = site.pages.get(task.id)
    page.task_data = json.dumps({**json.loads(page.task_data), "note": "edited"})
    read, order, checked = site.db.one, [], threading.Event()

    def slow_read(text, params=()):
        row = read(text, params)
        if text.startswith("SELECT running, progress FROM tasker_tasks"):
            checked.set()
            time.sleep(0.4)                 # the other process's claim comes in here
        return row

    def save():
        page.save()
        order.append("saved")

    other = cms.boot(url, site_dir=site.site_dir)
    site.db.one = slow_read
    try:
        saving = threading.Thread(target=save)
        saving.start()
        assert checked.wait(10)
        claim = claim_task(other.modules.get("Tasker"), task.id)
        order.append("claimed" if claim else "passed by")
        saving.join(10)
        if claim:
            release(other.modules.get("Tasker"), claim)
    finally:
        site.db.one = read
        other.close()
    assert order in (["saved", "claimed"], ["passed by", "saved"])
    assert stored_data(tasker, task)["note"] == "edited"
    assert run(tasker, task)
    assert stored_data(tasker, task)["note"] == "edited"          # the step read the edit


def test_max_idle_steps_0_lets_a_task_stand_still(tasker):
    tasker.site.modules.save_config("Tasker", max_idle_steps=0)
    task = make_task(tasker, "stand_still")
    for _ in range(6):
        assert run(tasker, task)
    assert tasker.get_state(task) == TaskState.ACTIVE


def test_an_exception_rolls_back_to_the_last_save_and_fails_with_the_traceback(tasker):
    task = make_task(tasker, "boom")
    assert not run(tasker, task)
    assert tasker.get_state(task) == TaskState.FAILED
    assert records_match_pages(tasker, task, task.parent) == 3      # rec-3 and rec-4 rolled back
    log = "\n".join(tasker.get_log(task))
    assert "INFO about to break" in log                             # said before the failure
    assert "RuntimeError: the import file is corrupt" in log
    assert "Traceback (most recent call last)" in log
    assert tasker.site.pages.get(task.id).task_running == 0


def test_a_missing_method_module_or_page_fails_with_a_line_that_names_it(tasker):
    site = tasker.site
    for column, value, words in (("method", "gone", "method 'gone'"),
                                 ("module", "Gone", "module 'Gone' is missing")):
        task = make_task(tasker, "noop")
        site.db.execute(f"UPDATE tasker_tasks SET {column} = ? WHERE pages_id = ?", (value, task.id))
        assert not run(tasker, task)
        assert tasker.get_state(task) == TaskState.FAILED
        assert words in tasker.get_log(task)[-1]
    task = make_task(tasker, "noop")
    target_id = task.parent_id
    site.db.execute("DELETE FROM pages WHERE id = ?", (target_id,))   # behind Tasker's back
    assert not run(tasker, task)
    assert f"page {target_id} (the page the task works on) is missing" in tasker.get_log(task)[-1]


def test_a_module_that_raises_as_it_loads_fails_its_task_with_a_line_that_says_why(tasker):
    """A module whose init() (or upgrade()) raises, as a worker loads it: the task fails saying
    so, where the error escaped the step with the claim held, the worker's process died, and
    its supervisor gave the task back to the next process to die on it, for ever."""
    site = tasker.site

    class Fragile(cms.Module):
        info = {"title": "Fragile", "version": "1"}
        broken = False
        inits = 0

        def init(self):
            self.site.add_hook_after("Pages::saved", lambda event: None)
            if Fragile.broken:
                raise RuntimeError("the settings file is gone")
            Fragile.inits += 1

        def work(self, page, data, options):
            data["task_done"] = 1
            return True

    site.modules.register(Fragile)
    other = cms.boot(site.db.url, site_dir=site.site_dir)   # another process installs it
    other.modules.install(Fragile)                           # (create_task would, loading it)
    other.close()
    Fragile.inits = 0                                        # counted in this process only
    task = tasker.create_task("Fragile", "work", site.pages.get(1), "Fragile work")
    tasker.activate_task(task)
    assert site.modules.loaded("Fragile") is None     # as in a worker: loaded by the step
    Fragile.broken = True
    hooks_before = site.hooks.ids()
    assert not run(tasker, task)
    assert tasker.get_state(task) == TaskState.FAILED
    assert ("module 'Fragile' could not be loaded: RuntimeError: the settings file is gone"
            in tasker.get_log(task)[-1])
    assert site.db.scalar("SELECT token FROM tasker_tasks WHERE pages_id = ?", (task.id,)) is None
    Fragile.broken = False                            # fixed: the next load runs init()
    assert site.modules.get("Fragile") and Fragile.inits == 1
    assert len(site.hooks.ids() - hooks_before) == 1  # the failed init's hook was taken back


def test_the_task_pages_modified_follows_its_steps_and_state_changes(tasker):
    """Sorting the task list by `modified` shows what happened last, as in ProcessWire."""
    task = make_task(tasker, "count", total=5, every=1)
    db = tasker.site.db
    long_ago = db.dt_param(datetime(2020, 1, 1, tzinfo=timezone.utc))
    modified = lambda: tasker.site.pages.get(task.id).modified.year   # noqa: E731

    db.execute("UPDATE pages SET modified = ? WHERE id = ?", (long_ago, task.id))
    tasker.stop_task(task)                                        # a state change
    assert modified() >= 2026
    db.execute("UPDATE pages SET modified = ? WHERE id = ?", (long_ago, task.id))
    assert tasker.activate_task(task)
    db.execute("UPDATE pages SET modified = ? WHERE id = ?", (long_ago, task.id))
    assert run(tasker, task, seconds=0.0001)                      # a step that does not finish
    assert tasker.get_state(task) == TaskState.ACTIVE
    assert modified() >= 2026


def test_progress_never_goes_backwards(tasker):
    task = make_task(tasker, "progress_down")
    run(tasker, task)
    assert tasker.site.pages.get(task.id).progress == 60


def test_progress_counts_the_seed_readmes_camel_case_counters():
    from cms.tasker.step import progress_of
    assert progress_of({"recordsProcessed": 35, "maxRecordNumber": 100}, 0) == 35
    assert progress_of({"records_processed": 1, "max_records": 4}, 0) == 25
    assert progress_of({"progress": 70, "recordsProcessed": 1, "maxRecordNumber": 2}, 0) == 70


def test_a_milestone_inside_the_modules_own_transaction_commits_with_it(tasker):
    task = make_task(tasker, "nested")
    assert run(tasker, task)
    names = child_names(tasker.site, task.parent)
    assert "outer" in names and "inner" not in names
    assert stored_data(tasker, task)["records_processed"] == 1
    assert tasker.get_state(task) == TaskState.FINISHED


def test_a_save_the_modules_own_transaction_rolls_back_is_written_at_the_steps_end(tasker):
    """The save inside the block wrote nothing Tasker then believed stored: the step's end
    writes the method's last task_data and the log line said before the save, where it
    compared with the rolled-back text, saw no change, and both were lost."""
    task = make_task(tasker, "skip_a_record", cursor="A")
    assert run(tasker, task)
    assert stored_data(tasker, task)["cursor"] == "B"
    log = "\n".join(tasker.get_log(task))
    assert "cursor moved to B" in log and "record B skipped" in log
    failed = make_task(tasker, "fail_in_block")
    assert not run(tasker, failed)
    assert tasker.get_state(failed) == TaskState.FAILED
    assert tasker.site.pages.get(failed.id).progress == 0       # not the 50% rolled back
    assert stored_data(tasker, failed).get("records_processed", 0) == 0


def test_a_step_waiting_without_the_database_keeps_no_writer_waiting(tasker, monkeypatch):
    """SQLite: the step's transaction begins at its first statement, and again after each save
    at the next one, so while the method waits for an answer another writer takes the write
    lock at once; the step had taken it as it began (DESIGN.md: a running step must not starve
    other writers). Checked with a writer that does not wait at all (busy timeout 0)."""
    import queue
    import sqlite3
    import threading

    Jobs = type(tasker.site.modules.get("Jobs"))       # the class the site loaded
    monkeypatch.setattr(Jobs, "waiting", queue.Queue(), raising=False)
    monkeypatch.setattr(Jobs, "answers", queue.Queue(), raising=False)
    site = tasker.site
    task = make_task(tasker, "fetch_and_store")
    page = site.pages.add("basic-page", 1, "edited", title="Edited")
    ran = threading.Thread(target=lambda: run(tasker, task))
    ran.start()
    try:
        for round in (1, 2):          # before its first statement, then after its save
            assert Jobs.waiting.get(timeout=30) == round
            if site.db.engine == "sqlite":
                writer = sqlite3.connect(site.db.path, timeout=0, isolation_level=None)
                writer.execute("BEGIN IMMEDIATE")        # "database is locked" if the step held it
                writer.execute("ROLLBACK")
                writer.close()
            page.title = f"Edited {round}"
            page.save()
            Jobs.answers.put(round)
    finally:
        Jobs.answers.put(0)
        Jobs.answers.put(0)
        ran.join(30)
    assert tasker.get_state(task) == TaskState.FINISHED
    assert sorted(n for n in child_names(site, task.parent) if n.startswith("answer")) == \
        ["answer-1", "answer-2"]
    assert site.pages.get(page.id).title == "Edited 2"


def test_a_method_failing_before_its_first_statement_fails_its_task(tasker):
    """On SQLite the step's BEGIN waits for its first statement: a method that raises before
    one (at once, or after a save) has nothing to roll back, and the task fails with its
    traceback; the ROLLBACK of no transaction had escaped the step with the claim held."""
    for data in ({}, {"after_save": 1}):
        task = make_task(tasker, "raise_first", **data)
        assert not run(tasker, task)
        assert tasker.get_state(task) == TaskState.FAILED
        assert "ValueError: record 2 cannot be parsed" in "\n".join(tasker.get_log(task))
        assert runtime(tasker, task, "token", "running") == (None, 0)
        assert stored_data(tasker, task).get("records_processed", 0) == len(data)
    assert not tasker.site.db.in_transaction()


def test_a_step_whose_begin_found_the_lock_taken_still_runs_in_one_transaction(tasker,
                                                                             monkeypatch):
    """The step's first statement waited out the lock (DatabaseBusy) and the method went on:
    its next statements are in the step's transaction, BEGIN tried again, not autocommitted,
    so the failure after them leaves nothing."""
    storage = tasker.storage
    begin = storage.begin
    armed = []

    def busy_once(timeout=None):
        if armed:
            armed.clear()
            from cms.tasker.storage import WriteLockTimeout
            raise WriteLockTimeout("the SQLite database stayed locked (armed by the test)")
        return begin(timeout)

    monkeypatch.setattr(storage, "begin", busy_once)
    task = make_task(tasker, "busy_then_fail")
    if tasker.site.db.engine == "sqlite":
        monkeypatch.setattr(storage, "begin_step",
                            lambda: armed.append(1) or tasker.site.db.begin_on_first_statement(
                                storage.begin))
    assert not run(tasker, task)
    assert tasker.get_state(task) == TaskState.FAILED
    assert child_names(tasker.site, task.parent) == [task.name]       # no page stayed
    assert "RuntimeError: after the second page" in "\n".join(tasker.get_log(task))


def test_a_suspend_or_kill_stops_the_step_at_its_next_save(tasker):
    suspended = make_task(tasker, "count", total=500, every=10, act_at=25, act="suspend")
    assert run(tasker, suspended)
    assert tasker.get_state(suspended) == TaskState.WAITING
    assert records_match_pages(tasker, suspended, suspended.parent) == 30      # the next milestone
    killed = make_task(tasker, "count", total=500, every=10, act_at=25, act="kill")
    assert run(tasker, killed)
    assert tasker.get_state(killed) == TaskState.KILLED
    assert stored_data(tasker, killed)["records_processed"] == 0               # reset on stopping
    assert tasker.site.pages.get(killed.id).progress == 0


def test_an_interrupt_stops_at_the_next_save_and_leaves_the_task_active(tasker):
    task = make_task(tasker, "count", total=500, every=10, act_at=15, act="interrupt")
    assert run(tasker, task)
    assert tasker.is_active(task)
    assert records_match_pages(tasker, task, task.parent) == 20
    assert tasker.site.pages.get(task.id).task_running == 0


def test_a_runner_that_lost_its_claim_rolls_back_and_stops(tasker):
    task = make_task(tasker, "count", total=500, every=10, act_at=15, act="lose")
    assert not run(tasker, task)
    assert records_match_pages(tasker, task, task.parent) == 10
    assert "lost its claim" in tasker.get_log(task)[-1]


def test_retries_and_recurring_tasks_start_again(tasker):
    task = tasker.create_task("Jobs", "refuse", tasker.site.pages.add("basic-page", 1, title="t"),
                              "Flaky", retry={"attempts": 1, "backoff": 0})
    tasker.activate_task(task)
    run(tasker, task)
    assert tasker.is_active(task) and runtime(tasker, task, "failures") == (1,)
    assert "retry 1 of 1" in "\n".join(tasker.get_log(task))
    tasker.site.pages.delete(tasker.site.pages.get(task.parent_id).child("name=refused"))
    run(tasker, task)
    assert tasker.get_state(task) == TaskState.FAILED
    hourly = tasker.create_task("Jobs", "half", 1, "Hourly", every=3600)
    tasker.activate_task(hourly)
    run(tasker, hourly)
    run(tasker, hourly)
    assert tasker.is_active(hourly)
    assert stored_data(tasker, hourly)["records_processed"] == 0              # starts over
    assert runtime(tasker, hourly, "not_before")[0] > time.time() + 3500
    assert claim_next(tasker) is None                                        # not due yet
    # a recurring run that fails is one failed run: the next one comes at its time (one failed
    # night stopped a nightly task for good), the failure kept in the log and history
    nightly = tasker.create_task("Jobs", "refuse", tasker.site.pages.add("basic-page", 1, title="n"),
                                 "Nightly", every=3600)
    tasker.activate_task(nightly)
    assert run(tasker, nightly) is False
    assert tasker.is_active(nightly) and runtime(tasker, nightly, "failures") == (0,)
    assert runtime(tasker, nightly, "not_before")[0] > time.time() + 3500
    assert tasker.get_history(nightly)[-1]["note"].startswith("failed; runs again at")
    assert "error(s)" in tasker.get_log_summary(nightly) and "No error" not in tasker.get_log_summary(nightly)


def test_execute_task_refuses_what_it_cannot_run(tasker):
    waiting = make_task(tasker, "noop", activate=False)
    assert not run(tasker, waiting)
    assert "waiting, not active" in str(tasker.site.notices.warnings()[-1])
    with pytest.raises(TaskError, match="not a task"):
        run(tasker, 1)
    with pytest.raises(TaskError, match="inside a transaction"):
        with tasker.site.transaction():
            run(tasker, waiting)


# -- claims and leases ------------------------------------------------------------------------
def test_claims_carry_a_token_a_runner_and_a_lease_from_the_database_clock(tasker):
    task = make_task(tasker, "noop")
    claim = claim_task(tasker, task.id, invoker="web", admin_run=True)
    page = tasker.site.pages.get(task.id)
    assert page.task_running == 1 and page.task_admin_run == 1
    assert page.task_runner == claim.runner == f"{os.uname().nodename}:{os.getpid()}"
    now = tasker.site.db.db_time()
    assert now + 25 < page.task_lease <= now + 31
    assert claim_task(tasker, task.id) is None                 # no second claim
    assert not run(tasker, task)
    assert "already running" in str(tasker.site.notices.warnings()[-1])
    assert tasker.execute_task(task.id, {"claim": claim})      # the holder runs it
    assert tasker.get_state(task) == TaskState.FINISHED
    assert release(tasker, claim) is False                     # already given back


def test_claim_next_takes_priority_then_turns_then_age(tasker):
    old = make_task(tasker, "half", title="old")          # two steps each
    new = make_task(tasker, "half", title="new")
    urgent = make_task(tasker, "noop", title="urgent")
    tasker.site.db.execute("UPDATE tasker_tasks SET priority = 5 WHERE pages_id = ?", (urgent.id,))
    order = []
    while claim := claim_next(tasker, invoker="worker"):
        order.append(claim.task_id)
        tasker.execute_task(claim.task_id, {"claim": claim})
        time.sleep(0.01)          # turns are stamped by the database clock: no two alike
    # the long tasks take turns: `old` does not run its second step before `new` ran its first
    assert order == [urgent.id, old.id, new.id, old.id, new.id]


def test_max_running_limits_claims_across_runners(tasker):
    tasker.site.modules.save_config("Tasker", max_running=1)
    make_task(tasker, "noop")
    make_task(tasker, "noop")
    first = claim_next(tasker)
    assert first is not None and claim_next(tasker) is None
    release(tasker, first)
    assert claim_next(tasker) is not None


def test_an_expired_lease_is_reaped_and_fails_after_max_attempts(tasker):
    task = make_task(tasker, "noop")
    expire = "UPDATE tasker_tasks SET lease_until = lease_until - 1000 WHERE pages_id = ?"
    for attempt in (1, 2):
        claim = claim_task(tasker, task.id)
        assert reap_expired(tasker) == []
        tasker.site.db.execute(expire, (task.id,))
        assert reap_expired(tasker) == [task.id]
        assert tasker.is_active(task) and runtime(tasker, task, "attempts", "running") == (attempt, 0)
        assert f"attempt {attempt} of 3" in tasker.get_log(task)[-1]
        assert not tasker.execute_task(task.id, {"claim": claim})    # the old runner lost it
    claim_task(tasker, task.id)
    tasker.site.db.execute(expire, (task.id,))
    assert reap_expired(tasker) == [task.id]
    assert tasker.get_state(task) == TaskState.FAILED
    assert "died 3 time(s)" in "\n".join(tasker.get_log(task))


def test_a_reset_asked_while_the_runner_died_is_applied_when_its_lease_is_reaped(tasker):
    """The reset waits for the step to stop (reset_pending); a runner that never stops (killed)
    is reaped instead, and the reaper applies the reset: initial data, 0%, still waiting."""
    task = make_task(tasker, "noop", marker=1)
    claim_task(tasker, task.id)
    tasker.site.db.execute("UPDATE field_task_data SET data = ? WHERE pages_id = ?",
                           ('{"half": "done"}', task.id))
    tasker.site.db.execute("UPDATE tasker_tasks SET progress = 40 WHERE pages_id = ?", (task.id,))
    assert tasker.reset_progress(task)
    assert runtime(tasker, task, "reset_pending", "running") == (1, 1)
    tasker.site.db.execute("UPDATE tasker_tasks SET lease_until = lease_until - 1000 "
                           "WHERE pages_id = ?", (task.id,))
    assert reap_expired(tasker) == [task.id]
    assert runtime(tasker, task, "reset_pending", "running", "progress") == (0, 0, 0)
    assert stored_data(tasker, task)["marker"] == 1 and "half" not in stored_data(tasker, task)
    assert tasker.get_state(task) == TaskState.WAITING
    history = tasker.get_history(task)          # one entry for the one reset, its asker's
    assert [(h["who"], h["note"]) for h in history[2:]] == [
        ("api", "reset to 0% (applied when the running step stops)")]


def test_the_heartbeat_stays_awake_between_short_steps_and_parks_when_they_stop(tasker,
                                                                               monkeypatch):
    """Short steps come and go many times a tick: the heartbeat thread must not park and be
    woken for each (a thread switch per step), yet it parks once no step has run for a while,
    and a step added then still gets its ticks."""
    from cms.tasker import heartbeat as beat
    monkeypatch.setattr(beat, "PARK_AFTER", 0.4)
    heart = beat.Heartbeat(tasker)

    class Step:       # what the thread reads of a step; its last save long ago, so it is due
        def __init__(self):
            self.last_save, self.last_heartbeat = time.monotonic() - 60, time.monotonic()
            self.due = self.finished = False
            self.heartbeat_interval = float("inf")
            self.ahead = None                   # no claims queued behind it
            self.session = 0                    # no server session to ask about lock waits

    first = Step()
    heart.add(first)
    wait_for(lambda: first.due, 5)
    heart.remove(first)
    parked_between = 0
    deadline = time.monotonic() + 0.3           # short steps, back to back, for a while
    while time.monotonic() < deadline:
        short = Step()
        heart.add(short)
        heart.remove(short)
        parked_between += not heart.wake.is_set()
        time.sleep(0.002)
    assert parked_between == 0
    wait_for(lambda: not heart.wake.is_set(), 5)   # no step since: it parked
    late = Step()
    heart.add(late)
    wait_for(lambda: late.due, 5)
    heart.remove(late)


@pytest.mark.slow
def test_a_heartbeat_keeps_the_lease_of_a_step_that_does_not_save(tasker, worker_env):
    tasker.site.modules.save_config("Tasker", lease_seconds=1)
    task = make_task(tasker, "sleepy", seconds=2.5)
    worker = spawn_step(worker_env, task.id)
    wait_for(lambda: runtime(tasker, task, "running")[0], 15)
    reaped = []
    while worker.poll() is None:
        reaped += reap_expired(tasker)
        time.sleep(0.2)
    assert worker.returncode == 0, worker.stderr.read()
    assert reaped == []
    assert tasker.get_state(task) == TaskState.FINISHED


# -- real processes ---------------------------------------------------------------------------
@pytest.mark.slow
def test_a_worker_killed_between_milestones_leaves_pages_matching_the_saved_records(tasker, worker_env):
    tasker.site.modules.save_config("Tasker", max_attempts=10)
    total = 900
    task = make_task(tasker, "count", total=total, every=50, pause=0.001)
    target = task.parent
    for target_records in (100, 300, 550):
        worker = spawn_step(worker_env, task.id)
        wait_for(lambda: stored_data(tasker, task)["records_processed"] >= target_records, 60)
        time.sleep(random.uniform(0.01, 0.2))
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        done = records_match_pages(tasker, task, target)
        assert target_records <= done < total
        tasker.site.db.execute("UPDATE tasker_tasks SET lease_until = lease_until - 1000 "
                               "WHERE pages_id = ?", (task.id,))
        assert reap_expired(tasker) == [task.id]
    while tasker.is_active(task):
        run(tasker, task)
    assert records_match_pages(tasker, task, target) == total         # none missing, none twice
    assert tasker.get_state(task) == TaskState.FINISHED


@pytest.mark.slow
def test_a_suspend_from_another_process_lands_within_a_second(tasker, worker_env):
    # No milestones: the step commits on time alone, and holds the SQLite write lock between.
    task = make_task(tasker, "count", total=10**6, every=10**6)
    worker = spawn_step(worker_env, task.id, timeout=60)
    wait_for(lambda: stored_data(tasker, task)["records_processed"] > 0, 30)
    started = time.monotonic()
    tasker.stop_task(task, by="admin")
    landed = time.monotonic() - started
    worker.wait(timeout=10)
    stopped = time.monotonic() - started
    assert landed < 1.0, landed
    assert stopped < 2.0, stopped
    assert "ran True" in worker.stdout.read()
    assert tasker.get_state(task) == TaskState.WAITING
    assert runtime(tasker, task, "running") == (0,)
    records_match_pages(tasker, task, task.parent)


@pytest.mark.slow
@pytest.mark.skipif(ENGINE != "sqlite", reason="SQLite's one write lock (server engines lock rows)")
def test_a_waiting_writer_gets_in_and_the_step_then_sees_its_change(tasker, worker_env):
    # The worker's step would commit on time only once a minute: a suspend that lands at all
    # within its 10 s lock wait got in because the step yielded to a waiting writer, and a
    # step that stops within 10 s saved again soon after it, not a minute later.
    task = make_task(tasker, "count", total=10**7, every=10**7)
    worker = spawn_step(worker_env, task.id, timeout=120, commit_interval=60)
    try:
        wait_for(lambda: runtime(tasker, task, "running") == (1,), 30)
        time.sleep(0.3)                    # the step is under way, past its first save
        started = time.monotonic()
        tasker.stop_task(task, by="admin")
        assert time.monotonic() - started < 5.0
        assert tasker.get_state(task) == TaskState.WAITING
        wait_for(lambda: runtime(tasker, task, "running") == (0,), 10)
        assert worker.wait(timeout=10) == 0
        assert "ran True" in worker.stdout.read()
    finally:
        worker.kill()
        worker.wait()
    records_match_pages(tasker, task, task.parent)


def test_a_long_task_keeps_only_its_newest_steps(tasker):
    from cms.tasker.step import KEEP_STEPS, PRUNE_EVERY
    task = make_task(tasker, "stand_still", moves=KEEP_STEPS + PRUNE_EVERY + 10)
    for _ in range(KEEP_STEPS + PRUNE_EVERY + 10):
        assert run(tasker, task)
    rows = tasker.site.db.all("SELECT result FROM tasker_steps WHERE pages_id = ?", (task.id,))
    assert KEEP_STEPS <= len(rows) < KEEP_STEPS + PRUNE_EVERY
    assert runtime(tasker, task, "steps")[0] == KEEP_STEPS + PRUNE_EVERY + 10
    assert tasker.get_state(task) == TaskState.ACTIVE
