"""Work that web traffic wakes, done on a background thread: never in a visitor's request.

LazyCron's timed events and Tasker's lazy steps both follow this pattern: each response calls
`signal()` (cheap, rate-limited), and a daemon thread with its own database connection takes a
turn, unless `busy_check()` says the server is busy, in which case it skips the turn. A turn
whose write waited out SQLite's lock timeout, another process holding the write lock, is the
database's passing trouble, not a bug: one warning line says so, and the next turn tries again
(a turn that fails otherwise logs its traceback).
"""
from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any, Callable

from .errors import DatabaseBusy

if TYPE_CHECKING:
    from .site import Site

log = logging.getLogger("cms.background")


class TrafficThread:
    """A daemon thread woken by `signal()`; subclasses say what a turn does in `turn()`."""

    thread_name = "cms-background"
    site_key = ""             # where `for_site` keeps the site's one instance

    def __init__(self, site: Site, *, busy_check: Callable[[], bool] | None = None,
                 signal_interval: float = 1.0):
        self.site = site
        self.busy_check = busy_check
        self.signal_interval = signal_interval
        self.turns = 0            # turns the thread took
        self.skipped = 0          # turns skipped because the server was busy
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._last_signal = float("-inf")

    @classmethod
    def for_site(cls, site: Site, **kwargs: Any) -> Any:
        """The site's one instance of this class (created on first use)."""
        found = site.__dict__.get(cls.site_key)
        if found is None:
            found = site.__dict__[cls.site_key] = cls(site, **kwargs)
        return found

    def signal(self) -> None:
        """Traffic happened: wake the thread (starting it if needed). Costs a clock read."""
        now = time.monotonic()
        if now - self._last_signal < self.signal_interval:
            return
        self._last_signal = now
        if self._thread is None or not self._thread.is_alive():
            self.start()
        self._wake.set()

    def start(self) -> None:
        """Start the thread (a daemon: it never keeps the process alive)."""
        with self._start_lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping.clear()
            self._thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread, letting a running turn finish (up to `timeout`)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None and self._thread.is_alive():
            self.before_stop()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def turn(self) -> None:
        """One turn of work."""
        raise NotImplementedError

    def before_stop(self) -> None:
        """Ask a running turn to end soon (called by `stop()` while the thread runs)."""

    def after_error(self) -> None:
        """Called after a turn raised (the traceback is logged)."""

    def _loop(self) -> None:
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stopping.is_set():
                    return
                self.turns += 1
                if self.busy_check is not None and self.busy_check():
                    self.skipped += 1
                    continue
                try:
                    self.turn()
                except DatabaseBusy as exc:
                    log.warning("%s: this turn was skipped, the next one tries again: %s",
                                self.thread_name, exc)
                    self.after_error()
                except Exception:
                    log.exception("%s: a turn failed", self.thread_name)
                    self.after_error()
        finally:
            self.site.db.close()      # this thread's own connection
