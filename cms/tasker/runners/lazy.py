"""Lazy cron for tasks: one short step after a web response, in the background.

The web layer calls `LazyRunner.for_site(site).signal()` after it has sent a response (cheap:
a clock read, and at most once per `min_interval` an Event set). A daemon thread wakes, skips
its turn when `busy_check()` says the server is busy, and otherwise runs `run_lazy_step`:
one step of the next ready task, time-boxed by the `lazy_cron_timeout` setting (15 s).

At most one lazy step runs at a time per SITE, not just per process: the step holds the site's
lease "tasker:lazy-step" (cms.lease: one compare-and-set UPDATE whose expiry comes from the
database's clock), so several server processes (or machines) never run two lazy steps at once,
and a process that died holding it blocks lazy steps only until the lease ends. The step runs
in a child process watched as the admin's Run now watches its own (browser.py): past
`lazy_cron_timeout` plus a grace it is killed and its task fails, so a step that ignores its
time cannot hold SQLite's write lock, and every writer of the site, as long as it likes (a
database in memory, which no other process can share, runs it here). `enable_lazy_cron` = 0
turns it off.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import TYPE_CHECKING, Callable

from ...background import TrafficThread

if TYPE_CHECKING:
    from ...site import Site
    from ..tasker import Tasker

log = logging.getLogger("cms.tasker.runners")

LEASE = "tasker:lazy-step"


def _owner() -> str:
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{threading.get_ident() % 100000}"


def run_lazy_step(site: Site, *, busy: Callable[[], bool] | None = None) -> int | None:
    """Run one step of the next ready task now, if lazy cron may; the task id, or None.

    None when `enable_lazy_cron` is 0, `busy()` is true, another lazy step runs anywhere on
    the site, or no task is ready. Must be called outside a transaction.
    """
    from ..claim import claim_next, reap_expired
    from .browser import run_claimed_supervised
    if busy is not None and busy():
        return None
    tasker: Tasker = site.modules.get("Tasker")     # type: ignore[assignment]
    settings = tasker.settings()
    if not int(settings.get("enable_lazy_cron", 1)):
        return None
    timeout = float(settings["lazy_cron_timeout"])
    owner = _owner()
    seconds = timeout + float(settings["lease_seconds"])
    if not site.db.retry(lambda: site.leases.take(LEASE, owner, seconds)):
        return None
    try:
        reap_expired(tasker)
        claim = claim_next(tasker, invoker="lazycron", lease_seconds=settings["lease_seconds"],
                           max_running=settings["max_running"])
        if claim is None:
            return None
        run_claimed_supervised(tasker, claim, {"invoker": "lazycron",
                                               "timeout": time.time() + timeout})
        return claim.task_id
    finally:
        try:
            site.db.retry(lambda: site.leases.release(LEASE, owner))
        except Exception as exc:     # the lease ends by itself
            log.warning("lazy cron could not release its lease: %s", exc)


class LazyRunner(TrafficThread):
    """The background thread that runs lazy steps for one site (`LazyRunner.for_site(site)`).

    `busy_check`: a callable the web layer sets (True = skip this turn). `min_interval`:
    seconds between two signals that count (others cost a clock read).
    """

    thread_name = "tasker-lazy"
    site_key = "tasker_lazy_runner"

    def __init__(self, site: Site, *, busy_check: Callable[[], bool] | None = None,
                 min_interval: float = 1.0):
        super().__init__(site, busy_check=busy_check, signal_interval=min_interval)
        self.steps = 0             # lazy steps this process ran

    def turn(self) -> None:
        if run_lazy_step(self.site) is not None:
            self.steps += 1

    def after_error(self) -> None:
        try:
            self.site.db.reconnect()
        except Exception:
            pass

    def before_stop(self) -> None:
        """A running step stops at its next save: in its child (see browser.py), or here for
        a database in memory."""
        from .browser import interrupt_running
        interrupt_running()
        tasker = self.site.modules.loaded("Tasker")
        if tasker is not None:
            tasker.interrupt("the server is shutting down")     # type: ignore[attr-defined]

    def stop(self, timeout: float = 20.0) -> None:
        super().stop(timeout)


def after_response(site: Site) -> None:
    """What the web layer calls once a response has been sent (see `LazyRunner.signal`)."""
    LazyRunner.for_site(site).signal()
