"""What runners do besides running steps, at every tick: reap lost claims, clean up old tasks.

Retries and recurring tasks need no tick of their own: the end of a step applies them
(`step._finish`): a failed task with a retry policy `{"attempts": n, "backoff": s}` goes back to
ACTIVE with `not_before` set `s * 2**(k-1)` seconds ahead for its k-th retry, and a finished
task with `every` (seconds or a cron expression, `cronexpr.py`) starts over from its initial
data with `not_before` at its next run. Claims skip tasks whose `not_before` is ahead.

Here: `tick()` runs the reaper (tasks whose runner stopped answering go back to active) and,
at most once per `CLEANUP_EVERY` seconds per process, `cleanup_finished()`: finished tasks
older than `retention_days` (a Tasker setting; 0 keeps them for ever) are deleted in small
batches, so a cleanup never holds a long transaction or a big lock.
"""
from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from .. import sql
from ..state import TaskState

if TYPE_CHECKING:
    from ..tasker import Tasker

log = logging.getLogger("cms.tasker.runners")

CLEANUP_EVERY = 600.0     # seconds between two retention cleanups in one process
BATCH = 50                # task pages deleted per transaction
MAX_PER_CLEANUP = 1000    # task pages deleted per cleanup (the rest waits for the next one)

_last_cleanup: dict[int, float] = {}


def tick(tasker: Tasker, *, now: float | None = None) -> dict[str, int]:
    """One maintenance round: reap expired claims; clean up old finished tasks when due."""
    from ..claim import reap_expired
    reaped = reap_expired(tasker)
    if reaped:
        log.info("reaped task(s) %s: their runners stopped answering", reaped)
    cleaned = 0
    now = time.monotonic() if now is None else now
    key = id(tasker)
    if now - _last_cleanup.get(key, float("-inf")) >= CLEANUP_EVERY:
        _last_cleanup[key] = now
        days = float(tasker.settings().get("retention_days") or 0)
        if days > 0:
            cleaned = cleanup_finished(tasker, days)
    return {"reaped": len(reaped), "cleaned": cleaned}


def cleanup_finished(tasker: Tasker, retention_days: float, *, batch: int = BATCH,
                     limit: int = MAX_PER_CLEANUP) -> int:
    """Delete finished tasks whose last step ended more than `retention_days` ago.

    Batches of `batch` pages, each in its own short transaction; at most `limit` per call.
    Returns how many were deleted. Failed and killed tasks are kept: someone should look at them.
    """
    site = tasker.site
    db = site.db
    old_finished = tasker.storage.sql(sql.OLD_FINISHED)
    deleted = 0
    while deleted < limit:
        ids = [row[0] for row in db.all(old_finished, (retention_days * 86400.0,
                                                       min(batch, limit - deleted)))]
        if not ids:
            break

        def delete(ids: list[int] = ids) -> int:
            count = 0
            with site.transaction():
                for page in site.pages.get_many(ids):
                    row = db.one(sql.LOCK_STATE + tasker.storage.for_update, (page.id,))
                    if row and row[0] == TaskState.FINISHED and not row[1]:   # not re-activated
                        site.pages.delete(page, recursive=True)
                        count += 1
            return count

        deleted += db.retry(delete)
        if len(ids) < batch:
            break
    if deleted:
        log.info("deleted %d finished task(s) older than %g day(s) (retention_days)",
                 deleted, retention_days)
    return deleted
