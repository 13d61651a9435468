"""Run now: a browser's step, run in a supervised child process so it ends by its deadline.

The task API's `run` (the admin's Run now) answers within a web request, and on SQLite a step
holds the write lock while it runs: a step that ignores its timeout kept the request (and every
other admin's save) waiting for as long as it liked. It cannot be stopped from inside its own
process (see supervisor.py), so the request claims the task, runs the step in a child and
watches it as the supervisor watches a worker's children: past `timeout` plus `GRACE` seconds
(not counting a wait for a lock that another process holds) it kills the child and fails the
task with the supervisor's log line; a child that dies mid-step hands the task on (one attempt
counted, as for a worker's step), and its exit code or signal goes into the task's log.

Children are forked from a "forkserver" process (started once per server process, with the
runner's modules imported): the server's own threads and connections are never forked, and a
step costs a fork and a site boot (milliseconds), not a fresh interpreter. A SQLite database
in memory cannot be shared with another process; there the step runs in the request, as
before. The child boots the site as a worker's step process does, so the task's module must
be one that a booted site finds (in the site's `modules/` folder or installed), and hooks on
`execute_task` are those the site's modules add when they load.
"""
from __future__ import annotations

import multiprocessing
import os
import select
import signal
import sys
import threading
import time
import traceback
from typing import TYPE_CHECKING, Any

from ...stop_signals import ignore_stop_signals
from ..claim import Claim, claim_task, release, why_not_claimable
from ..refs import acting_name
from .executor import die_with_parent
from .slots import Slot, monotonic_of
from .supervisor import DEFAULT_GRACE, WATCH_EVERY, died_how, fail_claimed, overran, overrun_text, reap_now

if TYPE_CHECKING:
    from ..tasker import Tasker

GRACE = DEFAULT_GRACE        # seconds a browser step may overrun its timeout before it is killed
EXIT_OK, EXIT_START, EXIT_FAILED = 0, 1, 2
_running: set[int] = set()   # pids of this process's step children (see interrupt_running)


def interrupt_running() -> None:
    """Ask the steps this process runs in children (Run now, lazy cron) to stop at their next
    save, as `tasker.interrupt()` asks the steps running in the process itself: for a server
    that is shutting down."""
    for pid in list(_running):
        try:
            os.kill(pid, signal.SIGUSR1)
        except ProcessLookupError:
            pass


def _context() -> Any:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])
    return ctx


def run_supervised_step(tasker: Tasker, task_id: int, params: dict[str, Any]) -> bool | None:
    """One step of `task_id` now, in a watched child; True when it ran and did not fail,
    False when it ran and failed.

    `params` as for `execute_task` (its `timeout` is the step's deadline: epoch seconds).
    None, with a warning notice, when the task cannot be claimed now: no step ran here, so
    whatever changed meanwhile (a run ended, a retry set) was another runner's doing.
    """
    if not tasker.storage.shared:       # a database in memory: execute_task claims it here
        return tasker.execute_task(task_id, params)
    settings = tasker.settings()
    invoker = str(params.get("invoker") or acting_name(tasker.site))
    claim = claim_task(tasker, task_id, invoker=invoker, admin_run=bool(params.get("admin_run")),
                       lease_seconds=settings["lease_seconds"], max_running=settings["max_running"])
    if claim is None:
        tasker.warning(f"task {task_id} was not run: {why_not_claimable(tasker, task_id)}")
        return None
    params = {**params, "invoker": invoker}
    params["timeout"] = float(params.get("timeout") or time.time() + float(settings["ajax_timeout"]))
    return run_claimed_supervised(tasker, claim, params)


def run_claimed_supervised(tasker: Tasker, claim: Claim, params: dict[str, Any]) -> bool:
    """The step of a task claimed already, in a watched child (lazy cron's steps run so too:
    in the server's own process a step that ignored its timeout held SQLite's write lock, and
    every writer of the site, for as long as it liked). A database in memory cannot be shared
    with another process: there the step runs here."""
    if not tasker.storage.shared:
        return tasker.execute_task(claim.task_id, {**params, "claim": claim})
    site = tasker.site
    deadline = float(params["timeout"])
    ctx = _context()
    slot = Slot(ctx)
    try:
        process = ctx.Process(target=child_main, name=f"step-{claim.task_id}", daemon=True,
                              args=(site.db.url, str(site.site_dir), claim, params, slot,
                                    os.getpid()))
        process.start()
    except Exception:
        release(tasker, claim, note="the step's process could not be started")
        raise
    _running.add(process.pid)
    try:
        return watch(tasker, claim, process, slot, deadline)
    finally:
        _running.discard(process.pid)


def watch(tasker: Tasker, claim: Claim, process: Any, slot: Slot, deadline: float) -> bool:
    """Wait for the child; kill it past `deadline` + GRACE, not counting a wait for SQLite's
    write lock (the task fails), hand the task on when it died mid-step. True when the step
    ran and did not fail. Timed by the monotonic clock, as the slot (see slots.py)."""
    started = time.monotonic()
    due = monotonic_of(deadline)
    while True:
        process.join(WATCH_EVERY)
        if process.exitcode is not None:
            break
        now = time.monotonic()
        if overran(slot, due, GRACE, now):
            os.kill(process.pid, signal.SIGKILL)
            process.join(5)
            fail_claimed(tasker, claim, overrun_text(deadline, GRACE, now - started),
                         runner=claim.runner)
            tasker.error(f"task {claim.task_id}: the step ran past its timeout and was killed")
            return False
    code = process.exitcode
    # A child that ended mid-step died with its step (os._exit in module code): its exit code
    # is the step's, not child_main's word. Read as child_main's, 0 passed for a step that
    # ran, its claim left held; 2 gave the task back with no attempt counted, to run again.
    died = slot.busy() is not None
    if code == EXIT_OK and not died:
        return True
    if code == EXIT_FAILED and not died:
        release(tasker, claim)               # a no-op unless the step could not give it back
        return False
    how = died_how(code)
    if died:        # one line, as a worker's supervisor says it: not a runner that went silent
        reap_now(tasker, claim, f"the step's process {how} ({claim.runner})")
    else:
        release(tasker, claim, note=f"the step's process {how} before the step began")
    tasker.error(f"task {claim.task_id}: the step's process {how}")
    return False


def die_with(watcher: int) -> None:
    """Be killed when the process watching this step ends, as a worker's step process is at
    its supervisor's death. PR_SET_PDEATHSIG alone is not enough here: this process's parent is
    the forkserver, which outlives the server as long as a step does (multiprocessing hands
    each child the pipe whose end the forkserver waits for), so a killed server left its step
    running unwatched past its timeout. Without pidfds (not Linux, or before 5.3) as before."""
    try:
        handle = os.pidfd_open(watcher)
    except ProcessLookupError:              # it ended already
        os.kill(os.getpid(), signal.SIGKILL)
    except (AttributeError, OSError):
        return

    def wait() -> None:
        select.select([handle], [], [])     # readable once the watcher has ended
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=wait, name="die-with-watcher", daemon=True).start()


def child_main(url: str, site_dir: str, claim: Claim, params: dict[str, Any], slot: Slot,
               watcher: int) -> None:
    """The child: boot the site, run the claimed step, exit with how it went."""
    die_with_parent()
    die_with(watcher)
    from ...site import boot
    try:
        site = boot(url, site_dir=site_dir)
        tasker: Any = site.modules.get("Tasker")
    except Exception as exc:
        print(f"run now: cannot start: {exc}", file=sys.stderr, flush=True)
        os._exit(EXIT_START)
    signal.signal(signal.SIGUSR1, lambda signum, frame: tasker.interrupt(
        "the server is shutting down"))
    # as a runner's step process: the server stops it by SIGUSR1 (and SIGKILL at its death),
    # so a KeyboardInterrupt or sys.exit() in the step is the method's own (StepRunner)
    ignore_stop_signals()
    stepping = threading.get_ident()
    tasker.storage.on_wait = lambda since: (slot.waiting(since)      # not the heartbeat's waits
                                            if threading.get_ident() == stepping else None)
    # As a worker's step process (executor.py): a step waiting for a row lock that another
    # session holds is not killed as overrunning, and its wait ends as a lock timeout (the
    # task given back) rather than never.
    tasker.storage.tune_runner()
    tasker.storage.on_row_wait = slot.waiting
    slot.start(claim.task_id, claim.token, float(params["timeout"]), claim.lease_seconds)
    code = EXIT_FAILED
    try:
        code = EXIT_OK if tasker.execute_task(claim.task_id, {**params, "claim": claim}) \
            else EXIT_FAILED
    except Exception:
        traceback.print_exc()
    slot.end(code != EXIT_OK)
    sys.stderr.flush()
    try:
        site.close()
    except Exception:
        pass
    os._exit(code)
