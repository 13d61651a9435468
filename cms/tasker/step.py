"""`execute_task`: one crash-consistent step of a task.

A step, in order:

1. Claim the task (`claim.claim_task`), unless the runner passes the claim it already holds
   (`params["claim"]`). A task that is not active, already running, or waiting for a
   dependency is not run (False, with a notice that says why).
2. Check that the module, its method and the page the task works on still exist; if one is
   missing the task fails with a log line naming it.
3. Open the step's transaction (on SQLite an immediate one, so it never fails half-way for a
   lock) and call `module.method(page, task_data, options)`.
4. While the method runs, `save_progress` writes task_data, progress and log lines, checks the
   claim's token and re-reads the state; at the top level it commits and begins again, so what
   the task wrote and its progress always commit together. Inside the module's own nested
   transaction the commit waits for the next save at the top level (or the step's end).
5. At the end, in the same transaction as the last work: the final task_data and progress, the
   new state (FINISHED when `task_done` is 1, FAILED when the method returned anything but
   True, or when this step and the `max_idle_steps` - 1 before it changed nothing in task_data;
   unchanged otherwise, or whatever a suspend/kill made elsewhere set), follow-up tasks activated, the
   claim released and the step's figures stored; then one commit.

On an exception the transaction rolls back to the last commit (task_data on disk matches the
pages on disk), and the task fails in a new short transaction with the traceback in its log;
log lines said before the failure are kept. The database's passing trouble is not the task's
fault (`transient`: SQLite's write lock held by another process past the lock timeout, a
deadlock or serialization failure, a lost connection, also when module code wrapped it): the
step rolls back and the task is given back, still active, with a log line saying why, for the
next claim to run again. One such step counts no attempt; only repeated ones (no step ended
normally in between) count, and at `max_attempts` in a row the task fails. A runner whose claim was lost
rolls back and leaves the task alone. A process killed outright leaves its claim to expire;
`claim.reap_expired` then hands the task on with its last committed data.

Batches (cron and worker): a commit costs a short step more than all its statements (on SQLite
each changed page is a WAL frame; on the server engines the COMMIT flushes the WAL and the
claim is a round trip of its own), so after a short step a runner claims up to
`storage.batch_steps` tasks at once (`ClaimAhead`: as many as steps that long fit in
`batch_seconds`) and runs their steps in one transaction, each step inside a savepoint of its
own. The transaction commits when the claimed steps are done (with the next claims), once it is
`storage.batch_seconds` old, as soon as another writer waits for SQLite's write lock, or when a
step commits part way (a long step: the claims still queued are released in that commit, for
other runners). What their steps read first (the task's row and data, its page and the page it
works on) is read for all of them in one statement with the claims; a step whose claim waited
longer than `RELOAD_AFTER` reads again, so a claim lost, or a suspend, kill or reset asked,
meanwhile stops it before its method runs. A step that fails rolls back to its savepoint
only; the steps before it commit. Every claim is committed before its step runs, so a process
killed mid-batch loses only uncommitted work, as a killed step always did; its supervisor
releases the queued claims. The transaction and the batch are `step_transaction.py`'s; what
the end of a step decides is `after_step.py`'s; this file runs the step and writes what was
decided.
"""
from __future__ import annotations

import contextlib
import json
import math
import resource
import sqlite3
import threading
import time
import traceback
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ..db.sqlite import is_busy
from ..errors import DatabaseBusy
from ..fieldtypes import fold
from ..page import Page
from ..stop_signals import stop_signals_ignored
from . import sql
from .after_step import after_step
from .claim import Claim, ClaimAhead, claim_task, release, why_not_claimable
from .errors import ClaimLost, TaskError
from .heartbeat import HAND_BACK_AFTER, Heartbeat
from .lifecycle import StepFigures
from .refs import acting_name, task_id_of
from .state import LIVE_STATES, TaskState, as_state
from .step_transaction import Batch, StepTransaction
from .storage import TaskStorage

if TYPE_CHECKING:
    from ..notices import Notice
    from .tasker import Tasker

KEEP_STEPS = 100       # a task's newest steps kept in tasker_steps (its figures and chart)
PRUNE_EVERY = 50
MIN_MARGIN = 0.05      # seconds: a step stops at least this long before its time is up, so
MIN_STEP_SECONDS = 0.1  # a time box shorter than twice it leaves the step next to no time
# seconds: a claim that waited longer in a runner's queue (the steps ahead ran longer than its
# batch was sized for) reads its task again before its step, so a claim lost or a stop asked
# meanwhile is seen before its method runs (it read it with the claim; see _load_ahead)
RELOAD_AFTER = 0.05


_PAGE_SIZE = resource.getpagesize()


def process_rss(pid: int | str = "self") -> int:
    """Resident memory of process `pid` in bytes (0 when it cannot be read: not Linux, gone)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as handle:
            return int(handle.read().split()[1]) * _PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def current_rss() -> int:
    """This process's resident memory in bytes (the peak so far where /proc is missing)."""
    return process_rss() or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def default_memory_limit() -> int:
    """The address-space limit of this process (bytes), or 0 when there is none."""
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return 0 if soft == resource.RLIM_INFINITY else int(soft)


def progress_of(task_data: dict, stored: int) -> int:
    """The task's own `progress`, else records_processed / max_records; never below `stored`.

    The seed README's prose names the two counters `recordsProcessed` and `maxRecordNumber`
    (its code, and Tasker's task_data, `records_processed` and `max_records`): a method ported
    word for word from it counts too."""
    value: Any = task_data.get("progress")
    try:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            done = task_data.get("records_processed") or task_data.get("recordsProcessed") or 0
            total = task_data.get("max_records") or task_data.get("maxRecordNumber") or 0
            value = 100.0 * done / total if total > 0 else 0
        value = int(min(100.0, max(0.0, float(value))))
    except (TypeError, ValueError, ZeroDivisionError):
        value = 0
    return value if value > stored else stored


_ENCODE = json.JSONEncoder(allow_nan=False, separators=(",", ":")).encode


IDENTITY_KEYS = ("module", "method", "pageid")     # what task_data says the task runs on
COUNTER_KEYS = ("records_processed", "max_records")  # what the bar, rate and ETA count


def dumps(task_data: dict) -> str:
    """task_data as stored: compact JSON (TaskError for what JSON cannot hold, naming where:
    json's own words did not say which of a hundred keys held the datetime)."""
    try:
        return _ENCODE(task_data)
    except (TypeError, ValueError) as exc:
        try:
            found = not_json(task_data, "task_data")
        except RecursionError:          # a dict or list that holds itself (json: "Circular")
            found = None
        if found is None:
            raise TaskError(f"task_data holds a value JSON cannot hold: {exc}") from exc
        where, value = found
        raise TaskError(f"{where} holds a {type(value).__name__} ({str(value)[:60]}), which JSON "
                        "cannot hold: store text, numbers, lists or dicts") from exc
    except RecursionError as exc:                                # nested too deeply
        raise TaskError(f"task_data holds a value JSON cannot hold: {exc}") from exc


def records_of(task_data: dict | None) -> int:
    """task_data's `records_processed` as a step's figures count it (0 when it is no integer)."""
    value = (task_data or {}).get("records_processed") or 0
    return value if isinstance(value, int) else 0


def is_number(value: Any) -> bool:
    """Whether a task_data counter is a number the progress bar can count (True is not one)."""
    return not isinstance(value, bool) and isinstance(value, (int, float))


def not_json(value: Any, where: str) -> tuple[str, Any] | None:
    """The first value JSON cannot hold in `value`, and where it is ("task_data['a'][2]")."""
    if isinstance(value, dict):
        items: Any = ((f"{where}[{key!r}]", item) for key, item in value.items())
    elif isinstance(value, (list, tuple)):
        items = ((f"{where}[{index}]", item) for index, item in enumerate(value))
    elif isinstance(value, float):
        return None if math.isfinite(value) else (where, value)
    else:
        return None if value is None or isinstance(value, (str, int)) else (where, value)
    for place, item in items:
        found = not_json(item, place)
        if found is not None:
            return found
    return None


class Step:
    """One running step of one task in this process: its claim, transaction and flags."""

    def __init__(self, runner: StepRunner, claim: Claim, task: Page, data_text: str, progress: int,
                 options: dict[str, Any], settings: dict[str, Any],
                 ahead: ClaimAhead | None = None):
        now = time.monotonic()
        self.runner = runner
        self.task_id = claim.task_id
        self.claim = claim
        self.task = task
        self.options = options
        self.thread = threading.get_ident()
        self.data_text = data_text
        self.progress = progress
        self.lines: list[tuple] = []       # log entries not yet written
        self.flushed: list[tuple] = []     # written in the open transaction, not committed yet
        self.stopped = ""                  # why the task must stop ("" = it may go on)
        self.interrupted = ""              # a stop asked by the runner, applied at the next save
        self.lost = False
        self.due = False
        self.finished = False
        self.started = time.time()         # epoch, as the steps table shows it; durations: `began`
        self.last_save = now
        self.last_heartbeat = now
        self.began = now                   # monotonic: how long it ran, the claims queued behind it
        self.ahead = ahead                 # those claims (a runner's batch of short steps)
        self.heartbeat_interval = (max(claim.lease_seconds / 3.0, 0.5) if runner.storage.shared
                                   else float("inf"))
        self.debug = bool(settings.get("debug"))
        self.log_cap = int(settings["log_max_lines"])
        # How many steps in a row may change nothing (0 = no cap); at most the figures kept.
        self.idle_cap = min(int(settings.get("max_idle_steps") or 0), KEEP_STEPS)
        self.records_start = 0
        self.identity: dict[str, Any] = {}  # task_data's IDENTITY_KEYS when the step began
        self.no_numbers: set[str] = set()   # COUNTER_KEYS that were no number then (said already)
        self.trashed = False                # the method trashed the task (Lifecycle.kill_trashed)
        self.start_text = data_text         # task_data when the step began (idle steps)
        self.peak_rss = 0
        self.next_memory_check = 0.0
        timeout = float(options.get("timeout") or 0)
        span = timeout - self.started if timeout else 0
        # options["timeout"] is epoch seconds; the step keeps it as a monotonic reading, as the
        # runner watching it does (slots.py), so a wall clock set back does not run the step
        # past the runner's kill, nor one set forward end it at once.
        self.deadline = now + span if timeout else 0.0
        self.memory_limit = int(options.get("memory_limit") or 0)
        self.margin = min(2.0, max(MIN_MARGIN, 0.1 * span))
        # The step's session, for the heartbeat to ask past the deadline whether it waits for
        # a row lock (only in a runner's child, whose supervisor is told: heartbeat.py).
        storage = runner.storage
        self.session = (runner.site.db.session_id()
                        if storage.on_row_wait is not None and storage.lock_wait_sql else 0)
        self.next_lock_probe = 0.0
        # a session idle in its transaction past the time box plus the lease is a frozen
        # runner's: the server ends it (step_transaction.py)
        self.tx = StepTransaction(runner, claim, self._unflush, ahead,
                                  max(span, 0.0) + claim.lease_seconds if timeout else 0.0)

    # -- flags --------------------------------------------------------------------------------
    def stop(self, reason: str) -> None:
        """Ask the method to return soon: `allowed_to_execute` turns False, and the time by
        which it should return, its options' `timeout`, becomes now, so a method that watches
        only its time, as the seed's example does, returns at its next look at the clock
        instead of working on, after a suspend or kill, to the end of its time box."""
        if not self.stopped:
            self.stopped = reason
            self.options["timeout"] = time.time()

    def log(self, kind: str, text: str) -> None:
        self.lines.append((kind, text, time.time()))

    def on_notice(self, notice: Notice) -> bool:
        """Copy what is said in the step's thread into the task's log; True when it did (the
        process log then gets it at DEBUG only: see notices.py)."""
        if threading.get_ident() != self.thread or (notice.debug and not self.debug):
            return False
        lines = self.lines
        lines.append((notice.kind, notice.text, notice.time))
        if len(lines) > 2 * self.log_cap + 100:      # a chatty step that never saves
            dropped = len(lines) - 2 * self.log_cap
            del lines[self.log_cap:self.log_cap + dropped]
            lines.insert(self.log_cap, ("warning", f"{dropped} line(s) dropped before they "
                                                   "could be saved (the step did not save)"))
        return True

    def progress_of(self, task_data: dict) -> int:
        return progress_of(task_data, self.progress)

    def keep_identity(self, task_data: dict) -> None:
        """What names the work stays as the step found it, put back with a warning where the
        method changed it: a changed `pageid` was saved, and the next step failed ("page None
        ... is missing") or worked on another page. A save outside a step refuses the change."""
        for key, value in self.identity.items():
            if task_data.get(key) != value:
                self.log("warning", f"the step changed task_data's {key!r} (to "
                                    f"{task_data.get(key)!r}); Tasker keeps it as created, {value!r}")
                task_data[key] = value

    def check_counters(self, task_data: dict) -> None:
        """Say in the log when a counter is no number (text read from a CSV): the bar stood at
        0%, and the task failed as idle later, saying only that its counters had not changed.
        Said by the step that made it so, not by every step after it (a long task's log was
        that one line, over and over)."""
        for key in COUNTER_KEYS:
            value = task_data.get(key)
            if not is_number(value) and key not in self.no_numbers:
                self.log("warning", f"task_data's {key!r} is {value!r:.40} (a {type(value).__name__}), "
                                    "not a number: the progress bar, rate and ETA cannot count it")

    def sample_memory(self) -> int:
        """The resident size now (a read of /proc: only where memory is watched)."""
        rss = current_rss()
        if rss > self.peak_rss:
            self.peak_rss = rss
        return rss

    def peak_memory(self) -> int:
        """The step's figure: the largest resident size of this process so far (getrusage,
        cheap), or a larger one sampled during the step."""
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        if peak > self.peak_rss:
            self.peak_rss = peak
        return self.peak_rss

    # -- the step's transaction (StepTransaction) -------------------------------------------
    def at_top(self) -> bool:
        """No `site.transaction()` of the module's is open (so a commit may happen now)."""
        return self.tx.at_top()

    def commit(self) -> None:
        """Commit what the step did so far and begin again (top level only)."""
        self.tx.commit()
        self.flushed.clear()
        self.due = False

    def end(self, commit: bool, keep_open: bool = False) -> None:
        """Leave the step's transaction (see StepTransaction.end)."""
        if self.tx.end(commit, keep_open):
            self.flushed.clear()

    def saved_data(self) -> dict | None:
        """task_data as this step's last save stored it (None when it saved none): what a
        rollback to the last commit keeps."""
        return None if self.data_text == self.start_text else json.loads(self.data_text)

    def figures(self) -> StepFigures:
        """The step's row so far, for a step that ends without `_finish` (given back after the
        database's trouble, stopped at once): from its start to now, with the records its
        saves committed, which a rollback to its last save keeps."""
        saved = self.saved_data()
        records = max(0, records_of(saved) - self.records_start) if saved is not None else 0
        return StepFigures(self.started, max(0.0, time.monotonic() - self.began), records,
                           self.peak_memory(), self.claim.invoker, self.claim.runner)

    def _unflush(self) -> None:
        """The log lines written since the last commit were rolled back: write them again."""
        self.lines[:0] = self.flushed
        self.flushed = []


class StepRunner:
    """Runs steps in this process: `execute_task`, the batches of short steps, and what a step
    writes when it ends. Owns the steps running now (`steps`, read by Progress), each thread's
    open batch, and the heartbeat thread that keeps their leases alive."""

    def __init__(self, tasker: Tasker):
        self.tasker = tasker
        self.site = tasker.site
        self.steps: dict[int, Step] = {}       # task id -> its step running in this process
        self.outage = False      # the last step in this process was cut off by a lost connection
        self.gone = False        # the last step's task was deleted (with its page) while it ran
        # the last claim's step never began: its task was stopped, deleted, or the claim lost,
        # while the claim waited (a runner counts no failed step, and prints no step line)
        self.not_run = False
        # why the last step in this process was rolled back and its task given back, for
        # whoever runs it to say ("" = it was not): the database's passing trouble (TRANSIENT)
        self.given_back = ""
        # why every step this process starts stops at its first save ("" = none do): see
        # Tasker.interrupt(next_steps=True)
        self.interrupt_next = ""
        self.batches = threading.local()     # each thread's open batch
        self.rolled_back: list[Claim] = []   # claims of steps a batch's rollback undid

    @property
    def storage(self) -> TaskStorage:
        return self.tasker.storage

    @cached_property
    def heartbeat(self) -> Heartbeat:
        return Heartbeat(self.tasker)

    def execute_task(self, task: Page | int, params: dict[str, Any] | None = None) -> bool:
        """Claim the task and run one step now; True when the step ran and did not fail.

        An explicit run, as the admin's Run now: a `not_before` still ahead (a retry's wait, a
        recurring task's next run) is not waited for; runners wait for it.

        `params`: `timeout` (epoch seconds by which the method should return; 0 = none;
        default now + `ajax_timeout`), `memory_limit` (bytes; default the process's address
        space limit, 0 = none), `invoker` ("cron", "worker", "lazycron", "web" or a user
        name; default the current user), `claim` (a `Claim` the runner already holds),
        `admin_run` (True when the browser runs it), `settings` (the Tasker settings, when
        the runner read them already: saves a query) and `ahead` (a `ClaimAhead`: the runner's
        next claim is taken in the transaction that ends this step, when it ends normally).
        The method gets the rest as `options`, plus `task` (the task page).
        """
        task_id = task_id_of(task)
        db = self.site.db
        batch = self.batch
        self.given_back = ""
        if db.in_transaction() and not (batch and batch.txn.on_top()):
            raise TaskError("execute_task cannot run inside a transaction: a step commits its "
                            "progress as it goes; call it outside `with site.transaction()`")
        params = checked_params(params)
        claim = params.pop("claim", None)
        settings = params.pop("settings", None) or self.tasker.settings()
        ahead = params.pop("ahead", None)
        invoker = str(params.get("invoker") or (claim.invoker if claim else acting_name(self.site)))
        if claim is None:
            claim = claim_task(self.tasker, task_id, invoker=invoker, admin_run=bool(params.get("admin_run")),
                               lease_seconds=settings["lease_seconds"],
                               max_running=settings["max_running"])
            if claim is None:
                reason = why_not_claimable(self.tasker, task_id)
                if reason.endswith("is not a task"):
                    raise TaskError(reason)
                self.tasker.warning(f"task {task_id} was not run: {reason}")
                return False
        elif claim.task_id != task_id:
            raise TaskError(f"the claim given is for task {claim.task_id}, not {task_id}")
        if "timeout" not in params:
            params["timeout"] = time.time() + float(settings["ajax_timeout"])
        if "memory_limit" not in params:
            params["memory_limit"] = default_memory_limit()
        params["invoker"] = invoker
        return self._run_step(claim, params, settings, ahead)

    def _run_step(self, claim: Claim, options: dict[str, Any],
                  settings: dict[str, Any], ahead: ClaimAhead | None = None) -> bool:
        db = self.site.db
        task_id = claim.task_id
        row = claim.loaded
        if row is None or time.monotonic() - claim.loaded_at > RELOAD_AFTER:
            row = db.one_prepared("cms_step_load", sql.STEP_LOAD, (task_id,))
        claim.loaded = None
        if row is None or row[4] != claim.token:
            self.not_run = True
            self.tasker.warning(f"task {task_id} was not run: it was deleted, or this runner's claim "
                         "expired before the step began")
            return False
        if row[5] != TaskState.ACTIVE or row[6]:
            # Suspended, killed or reset while its claim waited in the runner's queue: the step
            # has not begun, so it does not (a reset is applied as the claim goes back).
            release(self.tasker, claim)
            self.not_run = True
            self.tasker.warning(f"task {task_id} was not run: it was stopped before its step began")
            return False
        missing = ""
        try:
            task_data: Any = json.loads(row[3] or "{}")
            missing = "" if isinstance(task_data, dict) else "task_data is not a JSON object"
        except ValueError as exc:
            task_data, missing = {}, f"task_data is not valid JSON ({exc})"
        if missing:
            task_data = {}
        pages = self.site.pages
        at, width = sql.STEP_LOAD_PAGE_AT, sql.STEP_LOAD_PAGE_WIDTH
        task = pages.from_row(row[at:at + width])
        page_id = task_data.get("pageid")
        page: Page | None = None
        if type(page_id) is int and page_id == task_id:
            page = task
        elif type(page_id) is int and page_id == task.parent_id and row[at + width] is not None:
            page = pages.from_row(row[at + width:])
        module_name, method_name, progress, data_text = row[:4]
        options["task"] = task
        step = Step(self, claim, task, data_text or "{}", progress, options, settings, ahead)
        step.records_start = records_of(task_data)
        step.identity = {key: task_data[key] for key in IDENTITY_KEYS if key in task_data}
        step.no_numbers = {key for key in COUNTER_KEYS if not is_number(task_data.get(key))}
        if not missing:
            missing, method, page = self._requirements(module_name, method_name, task_data, page)
        if missing:
            step.log("error", f"the task cannot run: {missing}")
            self._finish_apart(step, task_data, "failed", save_data=False)
            self.tasker.error(f"task '{task.title}' failed: {missing}")
            return False
        if step.debug:
            step.log("message", f"step started by {claim.invoker} on {claim.runner}")
        self.steps[task_id] = step
        if self.interrupt_next:        # after registering: an interrupt between finds the step
            step.interrupted = self.interrupt_next
        self.site.notices.listen(step.on_notice)
        self.heartbeat.add(step)
        error: BaseException | None = None
        result: Any = None
        try:
            step.tx.begin()
            result = method(page, task_data, options)
        except BaseException as exc:
            error = exc
        finally:
            self.site.notices.unlisten(step.on_notice)
            self.heartbeat.remove(step)
            self.steps.pop(task_id, None)
        try:
            return self._end_step(step, task_data, result, error, ahead)
        finally:
            step.finished = True
            self.heartbeat.done(step)

    def _requirements(self, module_name: str, method_name: str, task_data: dict,
                      page: Page | None = None) -> tuple[str, Any, Any]:
        """(what is missing, the bound method, the page) before a step runs."""
        from ..errors import ModuleError
        try:
            module = self.site.modules.get(module_name)
        except ModuleError as exc:
            return f"module {module_name!r} is missing ({exc})", None, None
        except Exception as exc:       # its init() or upgrade() raised: every step would
            if transient(self.site.db, exc):   # (the database's trouble is the runner's)
                raise
            return (f"module {module_name!r} could not be loaded: {type(exc).__name__}: {exc}",
                    None, None)
        method = getattr(module, method_name, None)
        if method_name.startswith("_") or not callable(method):
            return f"method {method_name!r} of module {module_name!r} is missing", None, None
        page_id = task_data.get("pageid")
        if page is None and isinstance(page_id, int):
            page = self.site.pages.get(int(page_id))
        if not page:
            return f"page {page_id} (the page the task works on) is missing", None, None
        return "", method, page

    def _end_step(self, step: Step, task_data: dict, result: Any,
                  error: BaseException | None, ahead: ClaimAhead | None = None) -> bool:
        db = self.site.db
        if error is None and not step.lost:
            outcome = "failed" if result is not True else ("done" if task_data.get("task_done") == 1
                                                          else "continue")
            if result is False:
                step.log("error", "the task's method returned False: the task failed")
            elif result is not True:
                step.log("error", f"the task's method returned {returned(result)}, not True or "
                                  "False: the task failed (return True to go on or finish, "
                                  "False to fail)")
            handed_back: list[Claim] = []
            try:
                outcome = self._finish(step, task_data, outcome, save_data=True)
                keep_open = ahead is not None and self._batch_goes_on(step, ahead)
                if ahead is not None and not keep_open:
                    handed_back = self._hand_back_queued(step, ahead)
                    ahead.take(self._claims_ahead(step, ahead))
                    self._load_ahead(ahead.taken())
                step.end(commit=True, keep_open=keep_open)
                if ahead is not None and not keep_open:
                    ahead.keep()
                return outcome != "failed"
            except BaseException as exc:     # the claim was lost, or the final commit failed
                if ahead is not None:
                    ahead.drop()
                self.rolled_back.extend(handed_back)     # still held: given back later
                error = exc
        step.end(commit=False)
        if step.lost or isinstance(error, ClaimLost):
            step.log("warning", "this runner lost its claim on the task (its lease ran out); "
                                "what the step did since its last save was rolled back")
            self._write_lines_apart(step)
            return False
        assert error is not None
        why = transient(db, error)
        if why:
            self.outage = why == "lost"          # for the runner's summary: not the task's fault
            if why == "lost":
                try:
                    db.reconnect()
                except Exception:
                    return False                 # the lease will expire; a reaper hands it on
            said = (str(error).strip().splitlines() or [type(error).__name__])[0]
            self._release_transient(step, f"{TRANSIENT[why]}: {said}")
            self.given_back = TRANSIENT[why]
            return False
        # Ctrl-C, or a stop signal's handler calling sys.exit(), in a script that runs steps:
        # give the task back and stop. A runner's step process ignores the stop signals, so
        # there a SystemExit or KeyboardInterrupt is the method's own, and fails the task as an
        # exception does: raised on, it ended the process with the method's code (0 read as
        # "nothing left to do"), and given back the task came back to raise it again, for ever.
        if not isinstance(error, Exception) and not stop_signals_ignored():
            step.log("warning", f"the step was interrupted ({type(error).__name__}); what it did "
                                "since its last save was rolled back")
            self._release_apart(step)
            raise error
        if self._deleted(step):
            self.gone = True                     # nothing to fail: the runner says it is gone
            return False
        text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        step.log("error", f"the task failed with {type(error).__name__}: {error}\n{text}")
        self._finish_apart(step, task_data, "failed", save_data=False)
        self.tasker.error(f"task '{step.task.title}' failed: {type(error).__name__}: {error}")
        return False

    def _deleted(self, step: Step) -> bool:
        """Was the step's task deleted meanwhile (its page, or a page above it, by an editor)?
        Then the error that ended the step is most likely that delete's doing (an import's
        next add found its parent gone), not the task's: failed, it was an ERROR "task ''
        failed" in the runner's log and a failed step in its summary, for a task nobody
        could find any more. (A read that fails leaves the step failed, as before.)"""
        try:
            return self.site.db.scalar("SELECT id FROM pages WHERE id = ?", (step.task_id,)) is None
        except Exception:
            return False

    # -- batches (see the module docstring) -------------------------------------------------
    @property
    def batch(self) -> Batch | None:
        """This thread's open batch (a batch lives on one thread's connection)."""
        return getattr(self.batches, "open", None)

    @batch.setter
    def batch(self, batch: Batch | None) -> None:
        self.batches.open = batch

    def _batch_goes_on(self, step: Step, ahead: ClaimAhead) -> bool:
        """Leave the step's transaction open for the next queued claim's step?"""
        storage = self.storage
        return (ahead.queued() > 0 and storage.batch_steps > 1 and not step.tx.committed
                and not step.options.get("admin_run")
                and (step.tx.batch is None or step.tx.batch.steps + 1 < storage.batch_steps)
                and time.monotonic() - step.tx.began < storage.batch_seconds
                and not storage.writer_waits())

    def _hand_back_queued(self, step: Step, ahead: ClaimAhead) -> list[Claim]:
        """Claims that have waited `HAND_BACK_AFTER` in the queue (behind one long step that
        never committed part way, or behind several that each ended soon): give them back with
        this step's last commit (the heartbeat gives them back while a step runs, but not while
        SQLite's write lock is held by the step's batch); run later, they would have outlived
        their lease unrenewed and been reaped as a dead runner's."""
        if ahead.waited() < HAND_BACK_AFTER and not ahead.out():
            return []
        return ahead.give_back(self.tasker)

    def _claims_ahead(self, step: Step, ahead: ClaimAhead) -> int:
        """How many tasks to claim with this commit: after a short step, as many as steps that
        long fit in one batch's time (at most `batch_steps`), else one. Claims held ahead keep
        their tasks from this machine's other runners too, so a runner of 4 ms steps holds 5,
        not a queue that would keep the others idle while it works through it."""
        if ahead.queued():
            return 0
        storage = self.storage
        took = time.monotonic() - step.began
        if took >= storage.batch_seconds / 4 or step.tx.committed:
            return 1
        return min(storage.batch_steps, int(storage.batch_seconds / max(took, 1e-6)))

    def _load_ahead(self, claims: list[Claim]) -> None:
        """Read what the steps of several claims taken ahead need, in one statement with the
        claims (a round trip per step fewer on the server engines). A step whose claim waited
        longer than `RELOAD_AFTER` reads again, so a claim lost or a stop asked meanwhile is
        seen before its method runs, as a step's own read would see it."""
        if len(claims) < 2:
            return
        ids = [claim.task_id for claim in claims]
        statement = sql.STEP_LOAD_MANY.format(marks=", ".join("?" * len(ids)))
        rows = {row[sql.STEP_LOAD_PAGE_AT]: row for row in self.site.db.all(statement, ids)}
        now = time.monotonic()
        for claim in claims:
            claim.loaded, claim.loaded_at = rows.get(claim.task_id), now

    def end_batch(self, batch: Batch | None = None, commit: bool = True) -> None:
        """Commit (or roll back) the transaction a step left open for the next one, if any.

        A runner calls it before it claims, gives back or stops outside a step; a failed
        commit is rolled back and raised. The steps a rollback undid (a commit or connection
        lost, a later step's savepoint that could not be rolled back) still hold their claims,
        committed before the batch began: they wait in `rolled_back` for the runner to give
        them back once the database answers, with no attempt counted, where a reaper would
        have handed them on only at their lease's end, counting one.
        """
        batch = batch or self.batch
        self.batch = None
        if batch is None:
            return
        batch.txn.detach()
        if commit:
            try:
                batch.txn.commit()
                return
            except BaseException:
                self.rolled_back.extend(batch.claims)
                with contextlib.suppress(Exception):
                    batch.txn.rollback()
                raise
        self.rolled_back.extend(batch.claims)
        with contextlib.suppress(Exception):     # a lost connection rolled it back already
            batch.txn.rollback()

    def take_rolled_back(self) -> list[Claim]:
        """The claims a batch's rollback left held (see end_batch), for the runner to give
        back; each once."""
        claims, self.rolled_back = self.rolled_back, []
        return claims

    # -- the end of a step ------------------------------------------------------------------
    def _finish_apart(self, step: Step, task_data: dict, outcome: str,
                      save_data: bool) -> None:
        """Finish a step in a transaction of its own (after a rollback, or before it began)."""
        def finish() -> None:
            with self.storage.write_transaction():
                self._finish(step, task_data, outcome, save_data)
        try:
            self.site.db.retry(finish)
        except ClaimLost:
            self._write_lines_apart(step)

    def _release_apart(self, step: Step) -> None:
        """Give the claim back, state unchanged, with the step's log lines: a step stopped at
        once (Ctrl-C in the process running it), recorded in its task's steps as "killed", as
        a worker's step stopped at a second SIGTERM is."""
        try:
            lines, step.lines = step.lines, []
            if release(self.tasker, step.claim, killed=True, figures=step.figures()):
                self._write_entries(step.task_id, lines)
        except Exception:
            pass                                 # the lease expires; a reaper hands it on

    def _release_transient(self, step: Step, why: str) -> None:
        """After the database's passing trouble: give the claim back with the step's log lines
        and a figure row "transient". One such step counts no attempt; one that follows another
        (no step ended normally in between) counts one, so at `max_attempts` in a row the task
        fails (a database that keeps failing this task's steps). The step counts in the task's
        `steps` and `run_seconds`, and its row holds the records its saves committed: it ran,
        and what it saved stays (`tasks show` said "steps 0" beside the 70% it had saved)."""
        db, storage = self.site.db, self.storage
        max_attempts = max(1, int(self.tasker.settings()["max_attempts"]))
        figures = step.figures()        # what its saves committed stays, and counts

        def release_now() -> None:
            with storage.write_transaction():
                row = db.one(sql.TRANSIENT_READ + storage.for_update, (step.task_id,))
                if row is None or row[0] != step.claim.token:
                    return
                if row[3]:        # a reset asked meanwhile undoes the run: applied, nothing counted
                    db.execute(storage.sql(sql.RELEASE_COUNTED), (0, step.task_id))
                    self.tasker.lifecycle.apply_pending_reset(step.task_id)
                    return
                last = db.scalar(sql.LAST_STEP_RESULT, (step.task_id,))
                attempts = row[1] + (last == "transient")
                if row[2] == TaskState.ACTIVE and attempts >= max_attempts:
                    text = (f"{why}; the step was rolled back. The task failed: its steps hit "
                            f"database errors {attempts + 1} times in a row "
                            f"(max_attempts={max_attempts})")
                    lines, step.lines = step.lines, []
                    self.tasker.logs.append(step.task_id, lines, step.log_cap)
                    self.tasker.lifecycle.release_reaped(step.task_id, attempts, TaskState.FAILED,
                                                         "error", text)
                else:
                    counted = "one more attempt counted" if attempts > row[1] else \
                        "no attempt counted"
                    step.log("warning", f"{why}; the step was rolled back and the task given "
                                        f"back for another try ({counted})")
                    db.execute(storage.sql(sql.RELEASE_TRANSIENT),
                               (attempts, figures.seconds, step.task_id))
                    self.tasker.logs.append(step.task_id, step.lines, step.log_cap)
                    step.lines = []
                db.insert(sql.ADD_STEP, figures.row(step.task_id, "transient"))
        try:
            db.retry(release_now)
        except Exception:
            pass                                 # the lease expires; a reaper hands it on

    def _write_lines_apart(self, step: Step) -> None:
        lines, step.lines = step.lines, []
        try:
            self._write_entries(step.task_id, lines)
        except Exception:
            pass

    def _write_entries(self, task_id: int, lines: list) -> None:
        if lines:
            self.site.db.retry(lambda: self.tasker.append_log(task_id, lines))

    def _finish(self, step: Step, task_data: dict, outcome: str, save_data: bool) -> str:
        """The last writes of a step, inside the current transaction (see the module docstring);
        the outcome ("failed" for a step that went on without progress for too long)."""
        db = self.site.db
        row = db.one(self.storage.sql(sql.STEP_END_READ) + self.storage.for_update,
                     (step.task_id,))
        if row is None or row[0] != step.claim.token:
            step.lost = True
            raise ClaimLost(f"task {step.task_id}: this runner's claim was lost")
        (_, state, reset_pending, every, retry, failures, next_count, not_before, initial,
         live_key, parent_id, signature, steps, db_now) = row
        old = as_state(state)
        progress = step.progress_of(task_data) if save_data else step.progress
        if save_data:
            step.keep_identity(task_data)
            step.check_counters(task_data)
        data_text = dumps(task_data) if save_data else None
        idle = outcome == "continue" and save_data and data_text == step.start_text
        if idle and old == TaskState.ACTIVE and self._idle_too_long(step, step.idle_cap):
            outcome, idle = "failed", False
        end = after_step(old, outcome, every=every, retry=json.loads(retry) if retry else None,
                         failures=failures, not_before=not_before, reset_pending=bool(reset_pending),
                         admin_run=bool(step.options.get("admin_run")), now=float(db_now))
        if step.trashed and end.state in LIVE_STATES:
            # The method trashed its own task (or the page it works on) and the task goes on:
            # killed as any trashed task, where a step that finished it stays finished.
            end = replace(end, state=TaskState.KILLED, note="trashed", restart=False, hold=False,
                          followups=False)
            db.execute(sql.FORGET_DEPENDENTS, (step.task_id,))
        new = end.state
        if end.restart:         # recurring, or a reset asked while the step ran
            data_text, progress = initial, 0
        elif outcome == "done":
            progress = 100
        if end.forget_run:
            self.tasker.logs.clear(step.task_id)
            db.execute(sql.DROP_STEPS, (step.task_id,))
            step.lines = []
        step.lines += [(kind, text, time.time()) for kind, text in end.log]
        if data_text is not None and data_text != step.data_text:
            db.defer(sql.SAVE_DATA, (data_text, fold(data_text), step.task_id))
            step.data_text = data_text
        step.peak_memory()
        seconds = max(0.0, time.monotonic() - step.began)
        keep_key = live_key if new in LIVE_STATES else None
        hold = int(end.hold)
        db.defer(self.storage.sql(sql.STEP_END), (int(new), hold, step.claim.lease_seconds, hold,
                                             progress, seconds, end.failures, end.not_before,
                                             keep_key, step.task_id))
        note = end.history_note(old, outcome)
        if note:
            self.tasker.lifecycle.state_changed(step.task_id, old, new, step.claim.invoker, note,
                                                live=(live_key, parent_id, signature))
        else:
            self.site.pages.touch(step.task_id)
        if end.followups and next_count:
            self.tasker.lifecycle.activate_followups(step.task_id, step.claim.invoker)
        if step.lines:
            self.tasker.logs.append(step.task_id, step.lines, step.log_cap)
            step.flushed += step.lines
            step.lines = []
        if end.forget_run:      # the step's run was undone: no figures of it are kept
            db.execute(sql.RESET_FIGURES, (step.task_id,))
        else:
            self._store_figures(step, task_data if save_data else None, seconds,
                                "idle" if idle else outcome, steps + 1)
        step.progress = progress
        step.task.stored(task_state=int(new), task_running=0, progress=progress)
        if data_text is not None:
            step.task.stored(task_data=data_text)
        return outcome

    def _store_figures(self, step: Step, task_data: dict | None, seconds: float,
                       outcome: str, steps: int) -> None:
        """The step's row in tasker_steps; every PRUNE_EVERY steps of a task its rows but the
        newest KEEP_STEPS go (`steps`: the task's count with this one). `task_data` None: the
        step's end stores no data (it failed and rolled back), and the records are those its
        saves committed."""
        db = self.site.db
        kept = task_data if task_data is not None else step.saved_data()
        records = records_of(kept) - step.records_start if kept is not None else 0
        db.defer(sql.ADD_STEP, (step.task_id, step.started, seconds, max(records, 0),
                                step.peak_rss, step.claim.invoker[:128], outcome,
                                step.claim.runner[:128]))
        if steps % PRUNE_EVERY == 0:
            db.defer(sql.DROP_OLD_STEPS.format(n=KEEP_STEPS - 1), (step.task_id, step.task_id))

    def _idle_too_long(self, step: Step, cap: int) -> bool:
        """This step changed nothing in task_data, nor did the `cap` - 1 steps before it
        (their figures say "idle"): the task is stuck, and fails with a log line saying so."""
        if cap <= 0:
            return False
        results = self.site.db.all(sql.LATEST_RESULTS.format(n=cap - 1), (step.task_id,))
        if len(results) < cap - 1 or any(result != "idle" for result, in results):
            return False
        step.log("error", f"the task made no progress in {cap} steps in a row (its task_data, "
                          "records_processed and progress did not change): the task failed "
                          "(Tasker setting max_idle_steps)")
        return True


TRANSIENT = {
    "lock": "the step could not get the database: another process held SQLite's write lock "
            "for longer than the lock timeout",
    "retry": "the step hit a transient database error (a deadlock, a serialization failure or "
             "a lock wait that ran out)",
    "lost": "the step lost its database connection",
}


DRIVER_ERRORS = {"OperationalError", "InterfaceError", "InternalError"}


def transient(db: Any, error: BaseException) -> str:
    """Why `error` is the database's passing trouble, not the task's fault ("lock", "retry",
    "lost"), or "". Looks through the exceptions it was raised from, as module code may wrap
    them."""
    seen = 0
    exc: BaseException | None = error
    while exc is not None and seen < 4:
        if isinstance(exc, DatabaseBusy):        # WriteLockTimeout is one too
            return "lock"
        if isinstance(exc, sqlite3.OperationalError) and is_busy(exc):
            return "lock"
        # peewee's wrappers, or the driver's own errors where code used the connection itself
        if {kind.__name__ for kind in type(exc).__mro__} & DRIVER_ERRORS:
            if db.is_retryable(exc):
                return "lock" if db.engine == "sqlite" else "retry"
            if db.is_disconnect(exc):
                return "lost"
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return ""


def checked_params(params: Any) -> dict[str, Any]:
    """execute_task's params, refused (TaskError, nothing claimed) where a value could not be
    used: a bad one found after the claim would leave the task held until its lease ran out.
    Other keys go to the method's options as given."""
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise TaskError(f"execute_task's params must be a dict, not {type(params).__name__}")
    params = dict(params)
    number = (int, float)
    for key, kinds, what in (("timeout", number, "epoch seconds (a number, 0 = none)"),
                             ("memory_limit", (int,), "bytes (an integer, 0 = none)"),
                             ("invoker", (str,), "a name (text)")):
        value = params.get(key)
        if value is None:
            continue
        if (isinstance(value, bool) or not isinstance(value, kinds)
                or (key != "invoker" and not 0 <= value < float("inf"))):
            raise TaskError(f"execute_task's {key} must be {what}, not {value!r}")
    return params


def returned(result: Any) -> str:
    """What a method returned, for its log line: the type and a short repr."""
    text = repr(result)
    if len(text) > 80:
        text = text[:77] + "..."
    return text if result is None else f"{type(result).__name__} {text}"
