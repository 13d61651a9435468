"""The supervisor: the process `cron` and `worker` run in, keeping watch over step processes.

Steps run in child processes (`executor.py`), never in the supervisor, because a step that
ignores its timeout cannot be stopped from inside its own process: a signal cannot interrupt C
code and a broad `except` swallows the exception it raises. The supervisor reads each child's
shared `Slot` ten times a second and:

- kills (SIGKILL) a child whose step runs past its deadline plus `grace` seconds (not counting
  a wait for SQLite's write lock, or for a row lock on the server engines, that another process
  held), or whose memory (its resident size, read from /proc ten times a second) grows past
  `max_memory` during a step, then fails the task with a log line that says why (its work
  since the last save was never committed);
- renews the lease of every running step (besides the step's own heartbeat), so only the
  death of the whole runner, or of its machine, lets a lease expire;
- hands on the task of a child that died (killed, out of memory) at once: the task goes back to
  ACTIVE with its last saved data and one more attempt counted, as the reaper would do when
  the lease ran out; the tasks it had claimed ahead of its steps (step.py, "Batches") go back
  too, with no attempt counted, as they never ran;
- starts a new child when one recycles itself (after `max_steps` steps or past `max_memory`);
- runs the reaper and the scheduler's maintenance (`schedule.tick`) every `poll` seconds.

Database work happens on a thread of its own, so a slow or locked database never delays a kill.
The first children are forked (no thread and no connection exist yet in this process, and a
fork costs milliseconds where a fresh interpreter costs a second of imports); children started
later, when the database thread holds a connection, are fresh interpreters ("spawn").

Signals: the first SIGTERM (or SIGINT, or SIGHUP: the terminal closed) asks every child to
finish its step at the next save and leave the task active (`Tasker.interrupt`), then waits for
them; a second one kills them at once and gives their tasks back (active, no attempt counted;
each such step is in its task's steps as "killed"). `Outcome.stopped_by` keeps the first one's
number, which the CLI turns into the exit code 128 + N (cli/runners.py). A reader of the output
that goes away (`cron | head -1`: a child's step line or the supervisor's own
meets a closed pipe) stops the run as the first signal does, and says nothing more.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import signal
import socket
import threading
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable

from ...notices import drop_stdout, say_line
from ...stop_signals import STOP_SIGNALS
from .. import sql
from .executor import (
    EXIT_DONE,
    EXIT_ERROR,
    EXIT_READER_GONE,
    EXIT_RECYCLE_MEMORY,
    EXIT_RECYCLE_STEPS,
    RunnerConfig,
    child_main,
)
from .slots import Busy, Slot, epoch_of

if TYPE_CHECKING:
    from ..tasker import Tasker

log = logging.getLogger("cms.tasker.runners")

WATCH_EVERY = 0.1            # seconds between two looks at the children
FROZEN_AFTER = 2.0           # a gap this long between two looks: this process was frozen
DEFAULT_GRACE = 5.0          # seconds a step may overrun its deadline before it is killed
MEMORY_SLACK = 16 * 2**20    # bytes a step must have grown its process by to be killed for memory
RESPAWN_BACKOFF_MAX = 30.0   # seconds between restarts of a child that cannot start
DB_BACKOFF_START, DB_BACKOFF_MAX = 0.5, 30.0   # the database thread's retries while it is down
# A killed step's task, said before the database thread writes what it becomes (release_reaped)
FAILED_UNLESS = "the task failed, unless its retry policy or schedule runs it again (see its log)"


@dataclass
class Child:
    """One step process and what the supervisor knows about it."""

    number: int
    slot: Slot
    process: Any = None
    spawned: float = 0.0
    failures: int = 0          # starts in a row that ended in EXIT_ERROR
    retired: bool = False      # will not be started again
    killed_for: Busy | None = None
    beats: dict[int, float] = field(default_factory=dict)
    base: tuple[int, int] = (0, 0)   # (step seq, resident bytes when the supervisor first saw it)
    rss: int = 0                     # resident bytes at the last look
    respawn_at: float | None = None  # its death is handled: start another then (monotonic)


@dataclass
class Outcome:
    """What a supervised run did, for the closing summary line."""

    steps: int = 0
    failed: int = 0
    cut: int = 0               # steps cut off by a database outage (no task's fault)
    killed: int = 0            # steps killed past their deadline
    killed_memory: int = 0     # steps killed past --max-memory
    lost: int = 0              # children that died in a step
    seconds: float = 0.0
    busy_seconds: float = 0.0  # from the first step's start to the last step's end (any child)
    errors: list[str] = field(default_factory=list)
    stopped_by: int = 0        # the signal (SIGTERM, SIGINT) that stopped the run, if one did
    reader_gone: bool = False  # the reader of its output went away (`cron | head -1`): it stopped

    def stopped(self) -> str:
        """"stopped by SIGTERM" (SIGINT ...) for the closing line of a run a signal ended, else ""."""
        return f"stopped by {signal.Signals(self.stopped_by).name}" if self.stopped_by else ""


class Supervisor:
    """Run `processes` step processes with `config`, watch them, return when they are done.

    `until_idle` children (cron) end when no task is ready; others poll until asked to stop.
    """

    def __init__(self, config: RunnerConfig, *, processes: int = 1, grace: float = DEFAULT_GRACE,
                 tick: float | None = None, out: Callable[[str], None] | None = None,
                 fork: bool = True):
        self.config = config
        self.processes = max(1, int(processes))
        self.grace = float(grace)
        self.tick = float(config.poll if tick is None else tick)
        self.out = out or say_line
        self.ctx = multiprocessing.get_context("spawn")
        self.fork = fork
        self.children = [Child(n, Slot(self.ctx)) for n in range(self.processes)]
        self.stop_level = 0                 # 0 running, 1 finish steps, 2 stop at once
        self.outcome = Outcome()
        self.jobs: queue.Queue = queue.Queue()
        self._db_thread: threading.Thread | None = None
        self._tasker: Tasker | None = None
        self._done = threading.Event()
        self.backoff = 0.0                  # seconds: the database thread's wait after a failure
        # When the runner last woke from a freeze (SIGSTOP, a paused VM: a gap between two
        # looks at the children). Its steps were frozen with it: time frozen is not a step
        # overrunning, so a step whose deadline passed meanwhile gets the grace from the wake
        # to notice (its claim may be lost: its next save stops it) before it is killed.
        self.last_watch = 0.0
        self.woke_at = 0.0

    # -- signals ------------------------------------------------------------------------------
    def request_stop(self, at_once: bool = False) -> None:
        """Ask the run to end: children finish their step (or, `at_once`, are killed)."""
        self.stop_level = 2 if at_once or self.stop_level >= 1 else 1
        if self.stop_level == 1:
            for child in self.children:
                self._signal(child, signal.SIGUSR1)

    def _on_signal(self, signum: int, frame: Any) -> None:
        first = self.stop_level == 0
        self.outcome.stopped_by = self.outcome.stopped_by or signum
        self.request_stop()
        name = signal.Signals(signum).name
        if first:
            self._say(f"{self.config.name}: {name}: finishing the running step(s); send it again "
                     "to stop at once")

    def install_signals(self) -> list[tuple[int, Any]]:
        if threading.current_thread() is not threading.main_thread():
            return []
        old = []
        for signum in STOP_SIGNALS:
            old.append((signum, signal.signal(signum, self._on_signal)))
        return old

    def _say(self, line: str) -> None:
        try:
            self.out(line)
        except BrokenPipeError:
            self._reader_gone()

    def _reader_gone(self) -> None:
        """Nobody reads the run's lines any more: stop as a first SIGTERM does, quietly."""
        if not self.outcome.reader_gone:
            self.outcome.reader_gone = True
            drop_stdout()
            if self.stop_level == 0:
                self.request_stop()

    # -- running ------------------------------------------------------------------------------
    def run(self) -> Outcome:
        started = time.monotonic()
        old_handlers = self.install_signals()
        self._db_thread = threading.Thread(target=self._db_loop, name="runner-db", daemon=True)
        try:
            for child in self.children:
                if self.stop_level:          # a SIGTERM while the pool starts: start no more
                    child.retired = True
                    continue
                self._spawn(child)
            self._db_thread.start()          # after the first children: see _context()
            while True:
                self._watch()
                if self.stop_level >= 2:
                    self._stop_at_once()
                    break
                if all(child.retired and not self._alive(child) for child in self.children):
                    break
                time.sleep(WATCH_EVERY)
        finally:
            for signum, handler in old_handlers:
                signal.signal(signum, handler)
            for child in self.children:
                if self._alive(child):
                    self._signal(child, signal.SIGKILL)
                    child.process.join(5)
            self.jobs.put(None)
            if self._db_thread.is_alive():
                self._db_thread.join(30)
        outcome = self.outcome
        outcome.seconds = time.monotonic() - started
        firsts, lasts = [], []
        for child in self.children:
            outcome.steps += child.slot.steps
            outcome.failed += child.slot.failed
            outcome.cut += child.slot.cut
            if child.slot.first and child.slot.last:
                firsts.append(child.slot.first)
                lasts.append(child.slot.last)
        if firsts:
            outcome.busy_seconds = max(lasts) - min(firsts)
        return outcome

    def _spawn(self, child: Child) -> None:
        child.slot.clear()
        child.killed_for = None
        child.process = self._context().Process(
            target=child_main, name=f"{self.config.name}-{child.number}",
            args=(replace(self.config, name=self._child_name(child)), child.slot, os.getpid()))
        child.process.start()
        child.spawned = time.monotonic()
        child.respawn_at = None
        if self.stop_level:      # a SIGTERM came while it started: it missed request_stop's
            self._signal(child, signal.SIGUSR1)

    def _context(self) -> Any:
        """How to start a child: forked while this process has no other thread and no open
        database connection (the first children: a fork costs milliseconds where a fresh
        interpreter costs a second of imports), else a fresh interpreter ("spawn"): forking
        a process whose other threads hold connections or locks is not safe.
        """
        if (self.fork and "fork" in multiprocessing.get_all_start_methods()
                and threading.active_count() == 1 and not self._db_thread.is_alive()):
            return multiprocessing.get_context("fork")
        return self.ctx

    def _child_name(self, child: Child) -> str:
        return self.config.name if self.processes == 1 else f"{self.config.name}[{child.number}]"

    @staticmethod
    def _alive(child: Child) -> bool:
        return child.process is not None and child.process.is_alive()

    @staticmethod
    def _signal(child: Child, signum: int) -> None:
        if child.process is not None and child.process.pid and child.process.is_alive():
            try:
                os.kill(child.process.pid, signum)
            except ProcessLookupError:
                pass

    def _watch(self) -> None:
        now = time.monotonic()             # the slots' clock: a wall clock set forward kills nothing
        if self.last_watch and now - self.last_watch >= FROZEN_AFTER:
            self.woke_at = now
        self.last_watch = now
        for child in self.children:
            if child.retired and not self._alive(child):
                continue
            if not self._alive(child):
                if child.respawn_at is None:           # seen dead for the first time
                    self._ended(child)
                elif self.stop_level or time.monotonic() >= child.respawn_at:
                    self._respawn(child)              # (which retires it when stopping)
                continue
            busy = child.slot.busy()
            if busy is None:
                continue
            if busy.deadline and child.killed_for is None and self._overran(child.slot, busy, now):
                self._kill_overrun(child, busy, now)
            elif child.killed_for is None and self._over_memory(child, busy):
                self._kill_for_memory(child, busy, now)
            elif now - child.beats.get(busy.seq, busy.started) >= max(busy.lease_seconds / 3, 0.5):
                child.beats = {busy.seq: now}
                self.jobs.put(("beat", busy))

    def _overran(self, slot: Slot, busy: Busy, now: float) -> bool:
        return overran(slot, max(busy.deadline, self.woke_at), self.grace, now)

    @staticmethod
    def _runner_of(child: Child) -> str:
        """The child as its claims name it ("host:pid", as `claim.runner_id`)."""
        return f"{socket.gethostname()}:{child.process.pid}"

    def _over_memory(self, child: Child, busy: Busy) -> bool:
        """The step's process is past `max_memory`, and grew by more than MEMORY_SLACK since the
        step began (a step that starts in a process just over the limit, before the process
        recycles itself, is not the one at fault)."""
        limit = self.config.max_memory
        if not limit:
            return False
        from ..step import process_rss
        rss = process_rss(child.process.pid)
        if child.base[0] != busy.seq:
            child.base = (busy.seq, rss)
        child.rss = rss
        return rss > limit and rss - child.base[1] > MEMORY_SLACK

    def _kill_overrun(self, child: Child, busy: Busy, now: float) -> None:
        text = overrun_text(epoch_of(busy.deadline), self.grace, now - busy.started)
        self._kill(child, busy, text, f"step killed after {now - busy.started:.1f} s (past its "
                                      f"timeout + {self.grace:g} s grace); {FAILED_UNLESS}")
        self.outcome.killed += 1

    def _kill_for_memory(self, child: Child, busy: Busy, now: float) -> None:
        used, limit = child.rss / 2**20, self.config.max_memory / 2**20
        text = (f"the step's process used {used:.0f} MB, over the runner's --max-memory of "
                f"{limit:.0f} MB, so the runner killed it after {now - busy.started:.1f} s; what "
                "it did since its last save was rolled back. A step must return when "
                "allowed_to_execute() turns False (at 90% of options['memory_limit'])")
        self._kill(child, busy, text, f"step killed at {used:.0f} MB (past --max-memory "
                                      f"{limit:.0f} MB); {FAILED_UNLESS}")
        self.outcome.killed_memory += 1

    def _kill(self, child: Child, busy: Busy, text: str, line: str) -> None:
        """SIGKILL a child's step and fail its task with `text`; say `line`."""
        child.killed_for = busy
        self._signal(child, signal.SIGKILL)
        child.process.join(5)
        child.slot.clear()
        self._say(f"{self.config.name}: task {busy.task_id}: {line}")
        self.jobs.put(("fail", busy, text, self._runner_of(child)))
        self.jobs.put(("orphans", self._runner_of(child), busy.task_id))

    def _ended(self, child: Child) -> None:
        """A child process is gone: see why, hand on its task, start another when due."""
        process = child.process
        process.join(0)
        code = process.exitcode
        busy = child.slot.busy()
        if busy is not None and child.killed_for is None:
            self.outcome.lost += 1
            how = died_how(code)
            self._say(f"{self.config.name}: task {busy.task_id}: the step's process {how}; "
                     "the task goes back to active for another runner, unless that was its "
                     "last attempt (max_attempts: then it fails; see its log)")
            self.jobs.put(("lost", busy, f"the step's process {how} ({self._runner_of(child)})"))
            child.slot.clear()
        if child.killed_for is None and (busy is not None or code not in (
                EXIT_DONE, EXIT_RECYCLE_STEPS, EXIT_RECYCLE_MEMORY, EXIT_READER_GONE)):
            # It died: claims it took ahead of its steps never ran; give them back now.
            self.jobs.put(("orphans", self._runner_of(child), busy.task_id if busy else 0))
        child.killed_for = None
        if busy is None and code == EXIT_READER_GONE:
            self._reader_gone()
        if self.stop_level:
            child.retired = True
            return
        # A child that ended mid-step died with its step (os._exit in module code): its exit
        # code is the step's, not the runner's word, and another child takes its place at
        # once. Read as the runner's, 0 retired the child (a worker of one process stopped)
        # and 1 made cron give up, saying the child could not start.
        if busy is None and code == EXIT_DONE:   # nothing left (cron), time up, or asked to stop
            child.retired = True
            return
        if busy is None and code == EXIT_ERROR:
            child.failures += 1
            if self.config.until_idle and child.failures >= 3:
                child.retired = True
                self.outcome.errors.append(f"{self.config.name}: the step process could not start")
                return
            delay = min(RESPAWN_BACKOFF_MAX, 0.5 * 2 ** (child.failures - 1))
            if time.monotonic() - child.spawned < delay:
                child.respawn_at = child.spawned + delay   # once: not a failure per watch
                return
        else:
            child.failures = 0
        self._respawn(child)

    def _respawn(self, child: Child) -> None:
        """Start the child again, unless the run is stopping or its time is up."""
        if self.stop_level or (self.config.end and time.time() >= self.config.end - 0.5):
            child.retired = True
            return
        self._spawn(child)

    def _stop_at_once(self) -> None:
        """Second signal: kill the children and give their tasks back (no attempt counted)."""
        for child in self.children:
            busy = child.slot.busy()
            self._signal(child, signal.SIGKILL)
            if child.process is not None:
                child.process.join(5)
            child.retired = True
            if busy is not None:
                self.jobs.put(("release", busy))
                self._say(f"{self.config.name}: task {busy.task_id}: stopped at once; the task "
                         "goes back to active")
            if child.process is not None:
                self.jobs.put(("orphans", self._runner_of(child), busy.task_id if busy else 0))
            child.slot.clear()

    # -- the database thread ------------------------------------------------------------------
    def tasker(self) -> Tasker:
        if self._tasker is None:
            from ...site import boot
            site = boot(self.config.url, site_dir=self.config.site_dir)
            self._tasker = site.modules.get("Tasker")   # type: ignore[assignment]
        return self._tasker                               # type: ignore[return-value]

    def _db_loop(self) -> None:
        from .schedule import tick
        next_tick = 0.0
        while True:
            timeout = max(0.0, next_tick - time.monotonic())
            try:
                job = self.jobs.get(timeout=timeout)
            except queue.Empty:
                job = ()
            if job is None:
                break
            try:
                tasker = self.tasker()
                try:
                    self._do(tasker, job, tick)
                except Exception as exc:
                    if self.backoff or not tasker.site.db.reopened(exc):
                        raise
                    self._do(tasker, job, tick)   # its idle connection was closed: once more
            except Exception as exc:
                self.backoff = min(DB_BACKOFF_MAX, self.backoff * 2 or DB_BACKOFF_START)
                log.warning("%s: %s, retrying in %g s", self.config.name, self._trouble(exc),
                            self.backoff)
                if job and job[0] in ("fail", "lost", "release", "orphans"):
                    self._retry_later(job)
                self._reconnect()
                next_tick = time.monotonic() + self.backoff
                continue
            if self.backoff and (job or self.stop_level == 0):
                log.warning("%s: the database answers again", self.config.name)
                self.backoff = 0.0
            if not job:
                next_tick = time.monotonic() + self.tick
        self._close()

    def _do(self, tasker: Tasker, job: tuple, tick: Callable[[Tasker], Any]) -> None:
        """Run a job, or with none the reaper and the scheduler's maintenance (`tick`)."""
        if job:
            self._run_job(tasker, job)
        elif self.stop_level == 0:
            tick(tasker)

    def _trouble(self, exc: Exception) -> str:
        """A failed database job in words; the driver's text only when it says something
        (pymysql says "(0, '')" for a server that went away)."""
        from ...errors import DatabaseBusy, DatabaseError
        db = self._tasker.site.db if self._tasker is not None else None
        if isinstance(exc, DatabaseBusy) or (db is not None and db.is_retryable(exc)):
            return "the database is busy (a lock wait ran out)"
        if db is None or isinstance(exc, DatabaseError) or db.is_disconnect(exc):
            return "lost the connection to the database"
        return f"database work failed ({type(exc).__name__}: {exc})"

    def _retry_later(self, job: tuple) -> None:
        delay = max(1.0, self.backoff)

        def put_back() -> None:
            time.sleep(delay)
            self.jobs.put(job)
        if self.stop_level < 2:
            threading.Thread(target=put_back, daemon=True).start()

    def _reconnect(self) -> None:
        if self._tasker is not None:
            try:
                self._tasker.site.db.reconnect()
            except Exception:
                pass

    def _close(self) -> None:
        if self._tasker is not None:
            try:
                self._tasker.site.close()
            except Exception:
                pass

    def _run_job(self, tasker: Tasker, job: tuple) -> None:
        from ..claim import Claim, heartbeat, release, release_runner
        kind, busy = job[0], job[1]
        if kind == "orphans":
            release_runner(tasker, job[1], keep=job[2])
            return
        claim = Claim(busy.task_id, busy.token, "", self.config.invoker, busy.lease_seconds, 0)
        if kind == "beat":
            heartbeat(tasker, claim)
        elif kind == "fail":
            fail_claimed(tasker, claim, job[2], runner=job[3])
        elif kind == "lost":
            reap_now(tasker, claim, job[2])
        elif kind == "release":
            release(tasker, claim, killed=True, note="the runner was stopped at once (second "
                    "SIGTERM); what the step did since its last save was rolled back")


def overrun_text(deadline: float, grace: float, seconds: float) -> str:
    """The log line of a task whose step was killed past its deadline plus `grace`."""
    at = time.strftime("%H:%M:%S", time.gmtime(deadline))
    return (f"the step ran past its timeout ({at} UTC) and did not stop within the grace of "
            f"{grace:g} s, so the runner killed its process after {seconds:.1f} s; what it did "
            "since its last save was rolled back. A step must return when options['timeout'] "
            "has passed (check allowed_to_execute() between records)")


def fail_claimed(tasker: Tasker, claim: Any, text: str, runner: str = "") -> bool:
    """Fail a task whose step process was killed, if the claim still holds it.

    Also when a reaper freed it in the meantime (its lease ran out while the killed step held
    SQLite's write lock, so no heartbeat could land) and no other runner has claimed it since:
    `runner` is the killed process's "host:pid", which a claim by anyone else replaces.
    A task suspended or killed meanwhile keeps that state; the log line is written either way.
    An active one keeps to its retry policy and schedule (Lifecycle.release_reaped).
    """
    from ..state import TaskState
    db = tasker.site.db
    storage = tasker.storage

    def fail() -> bool:
        with storage.write_transaction():
            row = db.one(sql.CLAIM_ROW + storage.for_update, (claim.task_id,))
            if row is None:
                return False
            token, attempts, state, running, last_runner = row
            if token != claim.token and (running or not runner or last_runner != runner):
                return False
            new = TaskState.FAILED if state == TaskState.ACTIVE else None
            if token == claim.token:      # else the reaper recorded the step ("lost")
                tasker.lifecycle.record_dead_step(claim.task_id, "killed")
            tasker.lifecycle.release_reaped(claim.task_id, attempts, new, "error", text)
            return True
    return db.retry(fail)


def reap_now(tasker: Tasker, claim: Any, cause: str = "") -> list[int]:
    """The step's process died: end its lease now and reap the task (one more attempt counted,
    unless it saved progress in that step); `cause` says how it died, for the log."""
    from ..claim import reap_expired
    db = tasker.site.db
    db.retry(lambda: db.execute(tasker.storage.sql(sql.EXPIRE_NOW), (claim.task_id, claim.token)))
    return reap_expired(tasker, task_id=claim.task_id, cause=cause)


def overran(slot: Slot, deadline: float, grace: float, now: float) -> bool:
    """Past its deadline plus the grace, not counting a wait for SQLite's write lock: a
    step that waits while another holds the lock is not at fault (its wait is bounded by
    the lock timeout, then the task is given back), and after the wait it gets the grace
    again to notice that its time is over."""
    if now <= deadline + grace or slot.waiting_since:
        return False
    return now > max(deadline, slot.waited_until) + grace


def died_how(code: int | None) -> str:
    """How a child process ended, from its exit code: "exited with code 3", "was killed by
    signal SIGKILL"."""
    if code is not None and code < 0:
        try:
            return f"was killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


def summary(name: str, outcome: Outcome, tail: str = "") -> str:
    """The closing line of a cron or worker run."""
    parts = [f"{name}: {outcome.steps} step(s) in {outcome.seconds:.1f} s"]
    if outcome.steps >= 20 and outcome.busy_seconds > 0:
        parts.append(f"{outcome.steps / outcome.busy_seconds:.0f} steps/s while busy")
    if outcome.failed:
        parts.append(f"{outcome.failed} failed")
    if outcome.cut:
        parts.append(f"{outcome.cut} step(s) cut off by a database outage")
    if outcome.killed:
        parts.append(f"{outcome.killed} killed past their timeout")
    if outcome.killed_memory:
        parts.append(f"{outcome.killed_memory} killed past --max-memory")
    if outcome.lost:
        parts.append(f"{outcome.lost} lost with their process")
    return "; ".join(parts) + (f"; {tail}" if tail else "")
