"""A lock wait that ran out is not waited out again: `Database.retry` ran the whole
transaction again after a lock timeout as after a deadlock, six times, so a runner's step
end and its giving back of the task each waited six lock timeouts for a row another session
held for long (PostgreSQL's lock_timeout and MariaDB's innodb_lock_wait_timeout, 50 s each by
default: ten minutes before the worker ran another task, not one wait of each)."""
from __future__ import annotations

import threading

import peewee
import pytest
from conftest import ENGINE

from cms.db import connect

pytestmark = pytest.mark.skipif(ENGINE == "sqlite", reason="SQLite's busy wait is its own path "
                                "(DatabaseBusy); these are the server engines' row lock timeouts")


def short_lock_wait(db) -> None:
    if db.engine == "postgresql":
        db.execute("SET lock_timeout = 300")
    else:
        db.execute("SET SESSION innodb_lock_wait_timeout = 1")


def test_a_lock_timeout_is_raised_after_one_wait_where_a_deadlock_is_retried(site):
    page = site.pages.add("basic-page", 1, title="Held")
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:                    # another session holds the page's row for long
        other = connect(site.db.url)
        try:
            with other.transaction():
                other.execute("SELECT id FROM pages WHERE id = ? FOR UPDATE", (page.id,))
                holding.set()
                release.wait(60)
        finally:
            other.close()

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    try:
        assert holding.wait(10)
        short_lock_wait(site.db)
        tries = []

        def write() -> None:
            tries.append(1)
            with site.db.transaction():
                site.db.execute("UPDATE pages SET sort = sort + 1 WHERE id = ?", (page.id,))

        with pytest.raises((peewee.OperationalError, peewee.InternalError)) as raised:
            site.db.retry(write)
        assert site.db.is_retryable(raised.value)     # still a transient error to its callers
        assert len(tries) == 1
    finally:
        release.set()
        holder.join(10)
    site.db.retry(write)                             # the row free, the same write goes through
    assert site.db.scalar("SELECT sort FROM pages WHERE id = ?", (page.id,)) == page.sort + 1


def test_a_real_deadlock_is_retried_on_every_server_engine(site):
    """PostgreSQL's error codes were read from where peewee 4 no longer keeps the driver's
    error, so `is_retryable` said False for every error there: the loser of a deadlock raised
    to its caller (a claim, a task's stop from the admin) instead of running again."""
    first = site.pages.add("basic-page", 1, title="First")
    second = site.pages.add("basic-page", 1, title="Second")
    both_hold = threading.Barrier(2, timeout=10)
    tries: dict[str, int] = {"a": 0, "b": 0}
    errors: list[BaseException] = []

    def bump(name: str, ids: tuple[int, int]) -> None:
        db = connect(site.db.url)

        def write() -> None:
            tries[name] += 1
            with db.transaction():
                db.execute("UPDATE pages SET sort = sort + 1 WHERE id = ?", (ids[0],))
                if tries[name] == 1:
                    both_hold.wait()            # each holds one row, then asks for the other's
                db.execute("UPDATE pages SET sort = sort + 1 WHERE id = ?", (ids[1],))
        try:
            db.retry(write)
        except BaseException as exc:            # noqa: BLE001 - the test reports it
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=bump, args=("a", (first.id, second.id))),
               threading.Thread(target=bump, args=("b", (second.id, first.id)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert sorted(tries.values()) == [1, 2]          # the deadlock's loser ran once more
    for page in (first, second):
        assert site.db.scalar("SELECT sort FROM pages WHERE id = ?", (page.id,)) == page.sort + 2
