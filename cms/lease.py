"""Named leases: one row per name in `leases`, held by one owner until a time.

Several processes, on several machines, share work that only one of them may do at a time:
LazyCron's events, the lazy Tasker step, the claims that count `max_running`. Each takes a
lease by name. `take` is one compare-and-set UPDATE whose expiry comes from the DATABASE's
clock (machines with skewed clocks agree), so a process that died holding a lease blocks the
others only until it ends; the holder may take it again to renew it. `lock` is the other kind
of hold: the name's row locked for the rest of the caller's transaction (a server engine's
row lock; SQLite's one writer serialises writers already).

The table is created by schema upgrade 7 (cms/schema.py); a name's row is added on first use.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import peewee

if TYPE_CHECKING:
    from .db import Database

TAKE = ("UPDATE leases SET owner = ?, until = {now} + ? "
        "WHERE name = ? AND (until < {now} OR owner = ?)")
ADD = "INSERT INTO leases (name, owner, until) VALUES (?, '', 0)"
RELEASE = "UPDATE leases SET owner = '', until = 0 WHERE name = ? AND owner = ?"
HOLDER = "SELECT owner FROM leases WHERE name = ? AND owner <> '' AND until >= {now}"
LOCK = "SELECT name FROM leases WHERE name = ?"


class Leases:
    """The site's named leases (`site.leases`)."""

    def __init__(self, db: Database):
        self.db = db
        now = db.now_sql()
        self._take = TAKE.replace("{now}", now)
        self._holder = HOLDER.replace("{now}", now)
        self._lock = LOCK + (" FOR UPDATE" if db.engine != "sqlite" else "")

    def take(self, name: str, owner: str, seconds: float) -> bool:
        """Hold `name` for `seconds` from now, or extend the hold if `owner` has it already;
        False while another owner holds it. One statement (two the first time a name is used)."""
        params = (owner, float(seconds), name, owner)
        if self.db.execute(self._take, params).rowcount == 1:
            return True
        if self._add(name):
            return self.db.execute(self._take, params).rowcount == 1
        return False

    def release(self, name: str, owner: str) -> bool:
        """Give the lease back (False when `owner` did not hold it: it ran out, another took it)."""
        return self.db.execute(RELEASE, (name, owner)).rowcount == 1

    def holder(self, name: str) -> str | None:
        """Who holds `name` now, or None."""
        return self.db.scalar(self._holder, (name,))

    def lock(self, name: str) -> None:
        """Lock `name`'s row until the caller's transaction ends (call it inside one)."""
        if self.db.one(self._lock, (name,)) is None:
            self._add(name)
            self.db.one(self._lock, (name,))

    def _add(self, name: str) -> bool:
        """Add `name`'s row if it is missing; True if this call added it or it was missing."""
        if self.db.one(LOCK, (name,)) is not None:
            return False
        try:
            with self.db.transaction():     # a savepoint inside a caller's transaction
                self.db.execute(ADD, (name,))
        except peewee.IntegrityError:
            pass                            # another process added it at the same moment
        return True
