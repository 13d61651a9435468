"""LazyCron: timed hooks (`LazyCron::every_hour` ...) driven by web traffic, in the background.

    site.add_hook_after("LazyCron::every_hour", lambda event: purge_old_things())

After each response the web layer calls `lazycron.signal()`: it costs a clock read and, at most
once per `signal_interval` seconds, setting a `threading.Event`. A daemon thread wakes, skips
its turn when `busy_check()` says the server is busy, and otherwise fires the events that are
due. Nothing runs in a visitor's request (waitress sends the last bytes of a response after the
app returns, so work in `close()` would still delay keep-alive clients).

Several server processes share one schedule: each event's row in the `lazycron` table holds
when it last fired, and the process that fires it holds the lease "lazycron:<event>" (cms.lease)
while its handlers run. Under the lease, one compare-and-set UPDATE (`... WHERE last_run <=
due`) moves the event's clock on; the process whose UPDATE changed the row fires it, every
other process sees the lease taken or 0 rows, and does not.
"""
from __future__ import annotations

import logging
import os
import socket
from typing import TYPE_CHECKING, Callable

import peewee

from .background import TrafficThread
from .hooks import Hookable, hookable

if TYPE_CHECKING:
    from .site import Site

log = logging.getLogger("cms.lazycron")

MINUTE, HOUR, DAY, WEEK = 60, 3600, 86400, 7 * 86400
# ProcessWire's LazyCron's events (its $timeFuncs), in its order.
EVENTS: dict[str, int] = {
    "every_30_seconds": 30, "every_minute": MINUTE, "every_2_minutes": 2 * MINUTE,
    "every_3_minutes": 3 * MINUTE, "every_4_minutes": 4 * MINUTE,
    "every_5_minutes": 5 * MINUTE, "every_10_minutes": 10 * MINUTE,
    "every_15_minutes": 15 * MINUTE, "every_30_minutes": 30 * MINUTE,
    "every_45_minutes": 45 * MINUTE, "every_hour": HOUR,
    "every_2_hours": 2 * HOUR, "every_4_hours": 4 * HOUR, "every_6_hours": 6 * HOUR,
    "every_12_hours": 12 * HOUR, "every_day": DAY, "every_2_days": 2 * DAY,
    "every_4_days": 4 * DAY, "every_week": WEEK, "every_2_weeks": 2 * WEEK,
    "every_4_weeks": 4 * WEEK,
}
# Compare-and-set, under the event's lease: only the process whose UPDATE changes the row fires.
MARK_RUN = "UPDATE lazycron SET last_run = ? WHERE name = ? AND last_run <= ?"


class LazyCron(Hookable, TrafficThread):
    """The site's LazyCron. Get the shared one with `LazyCron.for_site(site)`.

    Hookable methods, one per event: `every_30_seconds(seconds)` ... `every_4_weeks(seconds)`,
    where `seconds` is the time since the event last fired. `busy_check` is a callable the web
    layer sets (True = skip this turn); `lock_seconds` (the event's lease) bounds how long a
    crashed process keeps an event from firing elsewhere.
    """

    thread_name = "cms-lazycron"
    site_key = "lazycron"

    def __init__(self, site: Site, *, signal_interval: float = 5.0, lock_seconds: float = 300.0,
                 busy_check: Callable[[], bool] | None = None):
        super().__init__(site, busy_check=busy_check, signal_interval=signal_interval)
        self.lock_seconds = lock_seconds
        self.owner = f"{socket.gethostname()[:80]}:{os.getpid()}:{id(self) % 100000}"

    def turn(self) -> None:
        self.run_due()

    # -- firing -------------------------------------------------------------------------------
    def run_due(self, now: float | None = None) -> list[str]:
        """Fire every event that is due and return their names. `now`: epoch seconds (tests).

        The first time an event is seen its clock starts: it fires one interval later.
        """
        db = self.site.db
        leases = self.site.leases
        now = db.db_time() if now is None else float(now)
        rows = dict(db.all("SELECT name, last_run FROM lazycron"))
        for name in EVENTS.keys() - rows.keys():
            self._add_row(name, now)
        fired = []
        for name, seconds in EVENTS.items():
            last_run = rows.get(name, now)
            if now - last_run < seconds:
                continue
            lease = f"lazycron:{name}"
            if not leases.take(lease, self.owner, self.lock_seconds):
                continue              # another process fires it now
            try:
                if db.execute(MARK_RUN, (now, name, now - seconds)).rowcount != 1:
                    continue          # another process fired it since we read the schedule
                fired.append(name)
                try:
                    getattr(self, name)(now - last_run)
                except Exception as exc:   # the hook registry logged the traceback
                    log.error("LazyCron::%s: a handler raised %s: %s", name, type(exc).__name__, exc)
            finally:
                leases.release(lease, self.owner)
        return fired

    def _add_row(self, name: str, now: float) -> None:
        try:
            with self.site.transaction():
                self.site.db.execute("INSERT INTO lazycron (name, last_run) VALUES (?, ?)",
                                     (name, now))
        except peewee.IntegrityError:
            pass      # another process added it first

    # -- the events (hook them: `site.add_hook_after("LazyCron::every_hour", fn)`) ------------
    @hookable
    def every_30_seconds(self, seconds: float) -> None:
        """Fired about every 30 seconds while the site has traffic."""

    @hookable
    def every_minute(self, seconds: float) -> None:
        """Fired about every minute."""

    @hookable
    def every_2_minutes(self, seconds: float) -> None:
        """Fired about every 2 minutes."""

    @hookable
    def every_3_minutes(self, seconds: float) -> None:
        """Fired about every 3 minutes."""

    @hookable
    def every_4_minutes(self, seconds: float) -> None:
        """Fired about every 4 minutes."""

    @hookable
    def every_5_minutes(self, seconds: float) -> None:
        """Fired about every 5 minutes."""

    @hookable
    def every_10_minutes(self, seconds: float) -> None:
        """Fired about every 10 minutes."""

    @hookable
    def every_15_minutes(self, seconds: float) -> None:
        """Fired about every 15 minutes."""

    @hookable
    def every_30_minutes(self, seconds: float) -> None:
        """Fired about every 30 minutes."""

    @hookable
    def every_45_minutes(self, seconds: float) -> None:
        """Fired about every 45 minutes."""

    @hookable
    def every_hour(self, seconds: float) -> None:
        """Fired about every hour."""

    @hookable
    def every_2_hours(self, seconds: float) -> None:
        """Fired about every 2 hours."""

    @hookable
    def every_4_hours(self, seconds: float) -> None:
        """Fired about every 4 hours."""

    @hookable
    def every_6_hours(self, seconds: float) -> None:
        """Fired about every 6 hours."""

    @hookable
    def every_12_hours(self, seconds: float) -> None:
        """Fired about every 12 hours."""

    @hookable
    def every_day(self, seconds: float) -> None:
        """Fired about every day."""

    @hookable
    def every_2_days(self, seconds: float) -> None:
        """Fired about every 2 days."""

    @hookable
    def every_4_days(self, seconds: float) -> None:
        """Fired about every 4 days."""

    @hookable
    def every_week(self, seconds: float) -> None:
        """Fired about every week."""

    @hookable
    def every_2_weeks(self, seconds: float) -> None:
        """Fired about every 2 weeks."""

    @hookable
    def every_4_weeks(self, seconds: float) -> None:
        """Fired about every 4 weeks."""
