"""The child process that runs steps for cron and the worker: claim, run, report, repeat.

It boots the site itself (a fresh process, never a fork of one holding connections), then
loops: claim the next ready task, write the step into its shared `Slot` (so the supervisor can
heartbeat it and kill it past its deadline), run one step through `Tasker.execute_task`, print
one summary line. The next claims are taken with the commit that ends a step (`ClaimAhead`);
on SQLite, after a short step, several at once, whose steps then share one transaction (a
batch, see step.py). It ignores SIGINT, SIGTERM and SIGHUP (the supervisor decides); SIGUSR1 from the
supervisor asks the running step to stop at its next save (`Tasker.interrupt`), leaving the
task active, and ends the loop after that step. It dies with its supervisor (PR_SET_PDEATHSIG).

Exit codes tell the supervisor why it ended: 0 done (cron: nothing left or time up; worker:
asked to stop), 3 recycle after `max_steps`, 4 recycle past `max_memory`, 1 could not start,
5 the reader of the run's output went away (`cron | head -1`): a step line could not be
written, so the loop ended as SIGUSR1 ends it, and the supervisor stops the whole run.
"""
from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...errors import DatabaseBusy
from ...notices import drop_stdout, log_to_stderr, log_verbosity, print_or_drop
from ...stop_signals import ignore_stop_signals
from .. import sql
from ..claim import ClaimAhead, claim_next, claim_several, release
from ..state import TaskState, as_state
from ..status import counts_of, summary_text
from .slots import Slot, monotonic_of

if TYPE_CHECKING:
    from ..claim import Claim
    from ..tasker import Tasker

EXIT_DONE, EXIT_ERROR, EXIT_RECYCLE_STEPS, EXIT_RECYCLE_MEMORY, EXIT_READER_GONE = 0, 1, 3, 4, 5
SETTINGS_EVERY = 2.0        # seconds between two reads of the Tasker settings in the loop
MEMORY_EVERY = 0.2          # seconds between two reads of this process's memory
ERROR_BACKOFF_START = 0.5   # seconds before the first retry while the database is unreachable,
ERROR_BACKOFF_MAX = 30.0    # doubling up to this


@dataclass
class RunnerConfig:
    """What a runner's child needs to know (picklable: it crosses to the spawned process)."""

    url: str
    site_dir: str
    invoker: str = "worker"          # "cron" or "worker": recorded with each step
    until_idle: bool = False         # stop when no task is ready (cron), else poll
    end: float = 0.0                 # epoch seconds: claim nothing after this (0 = never)
    step_seconds: float = 55.0       # the time box of one step
    max_steps: int = 0               # recycle the process after this many steps (0 = never)
    max_memory: int = 0              # bytes: recycle past this; steps stop near it (0 = none)
    poll: float = 1.0                # seconds between claims while nothing is ready
    quiet: bool = False              # no line per step
    name: str = "worker"             # how lines start
    verbosity: int = field(default_factory=log_verbosity)   # -v of the process that made it


def die_with_parent() -> None:
    """Linux: be killed when the supervisor dies, so no orphan keeps running a step."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)          # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Executor:
    """The loop of one child process (also usable in-process by tests and `tasks run`)."""

    def __init__(self, config: RunnerConfig, slot: Slot | None = None):
        self.config = config
        self.slot = slot
        self.stopping = False
        self.reader_gone = False           # a step line met a closed pipe: stop, say nothing more
        self.tasker: Tasker | None = None
        self.steps = 0
        self.failed = 0
        self.cut = 0                       # steps cut off by a database outage
        self.pending: list[Claim] = []     # claims to give back once the database answers
        self.settings: dict[str, Any] = {}
        self._settings_at = float("-inf")
        self._next_memory_check = 0.0
        self.ahead = ClaimAhead(self._claim_ahead)
        self._thread = threading.get_ident()

    # -- signals ------------------------------------------------------------------------------
    def on_stop_signal(self, signum: int, frame: Any) -> None:
        """SIGUSR1: finish the running step at its next save, then leave the loop."""
        self.stopping = True
        if self.tasker is not None:
            self.tasker.interrupt("the runner is shutting down; the task stays active for "
                                  "another runner")

    def install_signals(self) -> None:
        ignore_stop_signals()
        signal.signal(signal.SIGUSR1, self.on_stop_signal)

    # -- the loop -----------------------------------------------------------------------------
    def boot(self) -> Tasker:
        from ...site import boot
        site = boot(self.config.url, site_dir=self.config.site_dir)
        self.tasker = site.modules.get("Tasker")   # type: ignore[assignment]
        self.tasker.storage.tune_runner()           # type: ignore[union-attr]
        if self.slot is not None:
            self.tasker.storage.on_wait = self._on_wait      # type: ignore[union-attr]
            self.tasker.storage.on_row_wait = self.slot.waiting   # type: ignore[union-attr]
        return self.tasker                          # type: ignore[return-value]

    def _on_wait(self, since: float) -> None:
        """Tell the supervisor when this loop's thread (not a heartbeat's) waits for the lock."""
        if threading.get_ident() == self._thread and self.slot is not None:
            self.slot.waiting(since)

    def refresh_settings(self) -> dict[str, Any]:
        now = time.monotonic()
        if now - self._settings_at >= SETTINGS_EVERY:
            assert self.tasker is not None
            self.settings = self.tasker.settings()
            self._settings_at = now
        return self.settings

    def run(self) -> int:
        """Claim and run steps until done, asked to stop, or due for recycling; the exit code."""
        tasker = self.tasker or self.boot()
        try:
            return self._loop(tasker)
        finally:
            self._end_batch(tasker)
            for claim in self.ahead.close():       # claimed with the last steps, not run
                if not self._release(tasker, claim, note=""):
                    self.pending.append(claim)
            self._release_pending(tasker)          # a last try; else the reaper's, at lease end

    def _loop(self, tasker: Tasker) -> int:
        config = self.config
        backoff = 0.0
        reopened = False     # the last pass met a connection the server had closed, and reopened it
        while not self.stopping:
            if config.end and time.time() >= config.end - 0.5:
                return EXIT_DONE
            claim = None
            try:
                settings = self.refresh_settings()
                mark = self.ahead.hand_backs()
                claim = self.ahead.pop()
                if claim is None or self.stopping:      # no next step in the open batch
                    tasker.runner.end_batch()
                self._release_pending(tasker)
                if claim is None:
                    asked = time.monotonic()
                    claim = self._claim(tasker, settings)
            except Exception as exc:
                self._end_batch(tasker, commit=False)
                if claim is not None:
                    self.pending.append(claim)
                if not backoff and not reopened and tasker.site.db.reopened(exc):
                    reopened = True      # closed while this loop polled: again at once, quietly
                    continue
                trouble = self._database_trouble(tasker, exc)
                if not trouble:
                    raise
                if config.end and time.time() >= config.end - 0.5 and isinstance(exc, DatabaseBusy):
                    print_or_drop(f"{config.name}: time is up while another process held the "
                                  "database's write lock; no more steps were claimed",
                                  file=sys.stderr, flush=True)
                    return EXIT_DONE
                backoff = min(ERROR_BACKOFF_MAX, backoff * 2 or ERROR_BACKOFF_START)
                print_or_drop(f"{config.name}: {trouble}, retrying in {backoff:g} s",
                              file=sys.stderr, flush=True)
                self._sleep(backoff)
                continue
            if backoff:
                print_or_drop(f"{config.name}: the database answers again", file=sys.stderr,
                              flush=True)
            backoff, reopened = 0.0, False
            if claim is not None and self.stopping:     # asked to stop while claiming
                self._release(tasker, claim, note="")
                break
            if claim is None:
                if config.until_idle:
                    if self.ahead.giving_back(mark):     # their tasks come back: claim again
                        self._sleep(0.02)
                        continue
                    wait = self._due_within_time(tasker, asked)
                    if wait is None:
                        return EXIT_DONE
                    self._sleep(wait)
                    continue
                self._sleep(config.poll)
                continue
            self.run_claimed(tasker, claim, settings)
            if config.max_steps and self.steps >= config.max_steps:
                return EXIT_RECYCLE_STEPS
            if config.max_memory and self._memory_due() and self._resident() >= config.max_memory:
                return EXIT_RECYCLE_MEMORY
        return EXIT_DONE

    def _due_within_time(self, tasker: Tasker, asked: float) -> float | None:
        """For cron (a run with an end): seconds to sleep before a task waiting for its
        `not_before` falls due, when that is before the end; None otherwise (the run ends).
        A retry due in ten seconds, or a task recurring every few seconds, runs in this
        minute's run instead of the next one's. `asked`: when (monotonic) the claim that found
        nothing began. A task that fell due since then is tried again at once; it was left
        out as not due yet, and the run ended without it until the next one."""
        config = self.config
        if not config.end:
            return None
        since = time.monotonic() - asked + 0.05
        try:
            due = tasker.site.db.scalar(tasker.storage.sql(sql.NEXT_DUE), (since,))
        except Exception:
            return None
        if due is None or time.time() + float(due) >= config.end - 0.5:
            return None
        return min(max(float(due), 0.01), config.poll)

    @staticmethod
    def _resident() -> int:
        from ..step import current_rss
        return current_rss()

    def _memory_due(self) -> bool:
        """True at most every MEMORY_EVERY seconds: reading /proc costs more than a short step."""
        now = time.monotonic()
        if now < self._next_memory_check:
            return False
        self._next_memory_check = now + MEMORY_EVERY
        return True

    def _claim(self, tasker: Tasker, settings: dict[str, Any]) -> Claim | None:
        """The next claim; on SQLite its wait for the write lock ends with the run (cron's
        time limit), so another process holding the lock does not keep the run past it."""
        storage = tasker.storage
        storage.lock_deadline = monotonic_of(self.config.end - 0.5) if self.config.end else 0.0
        try:
            return claim_next(tasker, invoker=self.config.invoker,
                              lease_seconds=float(settings["lease_seconds"]),
                              max_running=int(settings["max_running"]))
        finally:
            storage.lock_deadline = 0.0

    def _claim_ahead(self, count: int) -> list[Claim]:
        """The next claims, taken at the end of a step, but none this loop will not run."""
        config = self.config
        if config.max_steps:
            count = min(count, config.max_steps - self.steps - 1 - self.ahead.held())
        if (count <= 0 or self.stopping or self.pending or self.tasker is None
                or (config.end and time.time() >= config.end - 0.5)):
            return []
        settings = self.settings
        return claim_several(self.tasker, count, invoker=self.config.invoker,
                             lease_seconds=float(settings["lease_seconds"]),
                             max_running=int(settings["max_running"]))

    def run_claimed(self, tasker: Tasker, claim: Claim, settings: dict[str, Any]) -> bool:
        """Run one step of a claimed task, with the slot written around it; print its line."""
        config = self.config
        started = time.monotonic()
        deadline = time.time() + config.step_seconds
        if config.end:
            deadline = min(deadline, config.end)
        slot = self.slot
        if slot is not None:
            slot.start(claim.task_id, claim.token, deadline, claim.lease_seconds)
        ok = cut = False
        tasker.runner.outage = tasker.runner.gone = tasker.runner.not_run = False
        try:
            ok = tasker.execute_task(claim.task_id, {
                "claim": claim, "invoker": config.invoker, "timeout": deadline,
                "memory_limit": config.max_memory, "settings": settings, "ahead": self.ahead})
        except Exception as exc:
            # execute_task fails the task itself; what reaches here is the database going away
            # at the end of a step. The claim expires and a reaper hands the task on.
            self._end_batch(tasker, commit=False)
            trouble = self._database_trouble(tasker, exc)
            if not trouble:
                raise
            print_or_drop(f"{config.name}: task {claim.task_id}: {trouble}; the step was cut off",
                          file=sys.stderr, flush=True)
            cut = True
        finally:
            # the step ended on a lost connection itself, or on SQLite's write lock held by
            # another process past the lock timeout (given back: the task did nothing wrong)
            cut = cut or tasker.runner.outage or bool(tasker.runner.given_back)
            self.steps += 1
            # not failed: a task deleted meanwhile, or one whose step never began
            failed = not ok and not cut and not tasker.runner.gone and not tasker.runner.not_run
            self.failed += failed
            self.cut += cut
            if slot is not None:
                slot.end(failed, cut=cut)
        given_back = tasker.runner.given_back
        # a no-op when the step gave its task back itself; not when the lock it waited for
        # was still held then
        note = (f"{given_back}; the step was rolled back to its last save and the task stays "
                "active") if given_back else None
        if not ok and not self._release(tasker, claim, note=note):
            self.pending.append(claim)
        if not config.quiet and not tasker.runner.not_run:   # its warning said why, not a step line
            self._report(tasker, claim.task_id, time.monotonic() - started)
        return ok

    @staticmethod
    def _end_batch(tasker: Tasker, commit: bool = True) -> None:
        """Close a batch the last step left open (see step.py); quietly, on the way out."""
        try:
            tasker.runner.end_batch(commit=commit)
        except Exception:
            pass           # rolled back: its tasks' claims run out and a reaper hands them on

    def _release(self, tasker: Tasker, claim: Claim, note: str | None = None) -> bool:
        """After a step that did not end normally, make sure the claim is not left held.

        A no-op (one UPDATE matching nothing) when the step released it, as it does unless the
        database went away mid-step; then the claim is given back once the database answers
        again (or a reaper hands the task on when its lease ends). False if it could not try.
        """
        try:
            release(tasker, claim, note=("the step ended on a database error and was rolled "
                                         "back to its last save; the task stays active")
                    if note is None else note)
            return True
        except Exception:
            return False

    def _release_pending(self, tasker: Tasker) -> None:
        """Give back the claims left held by steps the database cut off, with those a batch's
        rollback undid (StepRunner.end_batch): no attempt counted, as for any transient
        database error, where the reaper counts one at their lease's end."""
        if tasker.runner.rolled_back:           # (checked first: this runs at every step)
            self.pending += tasker.runner.take_rolled_back()
        while self.pending and self._release(tasker, self.pending[0]):
            self.pending.pop(0)

    def _report(self, tasker: Tasker, task_id: int, seconds: float) -> None:
        try:
            row = tasker.site.db.one(sql.RUN_SUMMARY, (task_id,))
        except Exception:
            self._say(f"{self.config.name}: task {task_id}: step ran {seconds:.2f} s; its state "
                      "could not be read (a database error)")
            return
        if row is None:
            line = f"{self.config.name}: task {task_id}: step ran {seconds:.2f} s; the task is gone"
        else:
            state, progress, steps, title, not_before, errors, warnings = row
            word = as_state(state).label
            line = (f"{self.config.name}: task {task_id} {title or ''!r} step {steps}: "
                    f"{seconds:.2f} s -> {word} {progress}%")
            if state == TaskState.FAILED:
                line += " (see its log)"
            elif state == TaskState.ACTIVE and not_before and float(not_before) > time.time():
                # a recurring task's next run, or a retry's: not "active 0%" and nothing more
                line += time.strftime(" (runs again at %H:%M:%S UTC)", time.gmtime(float(not_before)))
            if errors or warnings:
                # what the module said is in the task's log (this process logs it at DEBUG)
                line += f"; its log: {counts_of(summary_text(0, errors, warnings))}"
        self._say(line)

    def _say(self, line: str) -> None:
        """Print a step's line; if nobody reads them any more, end the loop (the step is over:
        its work is saved and its claim released) and say nothing more."""
        try:
            print_or_drop(line, flush=True)
        except BrokenPipeError:
            drop_stdout()
            self.reader_gone = self.stopping = True

    def _database_trouble(self, tasker: Tasker, exc: BaseException) -> str:
        """What is wrong when `exc` says the database is unreachable or busy, in words (after
        trying to reconnect), else "". The driver's own text is left out: pymysql says
        "(0, '')" for a server that went away."""
        import peewee

        from ...errors import DatabaseError
        db = tasker.site.db
        if isinstance(exc, DatabaseBusy) or (
                isinstance(exc, (peewee.OperationalError, peewee.InternalError))
                and db.is_retryable(exc)):
            return "the database is busy (a lock wait ran out)"
        if isinstance(exc, DatabaseError) or (
                isinstance(exc, (peewee.OperationalError, peewee.InterfaceError, peewee.InternalError))
                and db.is_disconnect(exc)):
            try:
                db.reconnect()
            except Exception:
                pass
            return "lost the connection to the database"
        return ""

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self.stopping:
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, 0.05))


def child_main(config: RunnerConfig, slot: Slot, parent_pid: int) -> None:
    """Entry point of a spawned child process."""
    die_with_parent()
    if os.getppid() != parent_pid:       # the supervisor died before prctl took effect
        os._exit(EXIT_ERROR)
    if not logging.getLogger().handlers:   # a fresh interpreter: log as the supervisor does
        log_to_stderr(config.verbosity)
    executor = Executor(config, slot)
    executor.install_signals()
    try:
        executor.boot()
    except Exception as exc:
        print_or_drop(f"{config.name}: cannot start: {exc}", file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(EXIT_ERROR)
    try:
        code = executor.run()
    except Exception as exc:
        print_or_drop(f"{config.name}: stopped on an unexpected error: {type(exc).__name__}: {exc}",
                      file=sys.stderr, flush=True)
        code = EXIT_ERROR
    if executor.reader_gone:
        code = EXIT_READER_GONE
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        executor.tasker.site.close()     # type: ignore[union-attr]
    except Exception:
        pass
    os._exit(code)
