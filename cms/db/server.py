"""What the two server engines share: `%s` placeholders, driver error codes, and writes that
wait for the next statement.

Writes whose outcome nobody reads (`defer`) wait for this thread's next statement and go to the
server with it in one message, as do the writes before a COMMIT: a Tasker step's end was six
round trips of 0.1-0.2 ms each on loopback, more than all its Python. Both drivers take several
statements in one message (psycopg2 always; PyMySQL with the MULTI_STATEMENTS flag, which
`cms/db/mariadb.py` sets). Every value in such a message is bound by the driver, as in any other
statement.
"""
from __future__ import annotations

import contextlib
import math
import threading
from typing import Any, Iterable, Iterator, Sequence

from .base import Database, wrap_driver_error

MESSAGE_STATEMENTS = 100      # statements execute_each sends in one message


class _Waiting(threading.local):
    """This thread's deferred writes: statement texts (in `%s` style) and their parameters."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.params: list[Any] = []

    def add(self, text: str, params: Sequence[Any]) -> None:
        self.texts.append(text)
        self.params.extend(params)

    def take(self, text: str | None = None, params: Sequence[Any] = ()) -> tuple[str, list[Any]]:
        """The waiting writes (and then `text`) as one message; none wait after it."""
        if text is not None:
            self.add(text, params)
        joined, values = "; ".join(self.texts), self.params
        self.texts, self.params = [], []
        return joined, values

    def clear(self) -> None:
        self.texts, self.params = [], []

    def starts_with(self, text: str) -> bool:
        return bool(self.texts) and self.texts[0] == text


class DeferringPeewee:
    """Mixed into a peewee database class: the writes that wait (see the module docstring) go
    with the COMMIT and before any statement peewee runs itself, and are dropped by a ROLLBACK
    or a closed connection."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.waiting = _Waiting()

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        if self.waiting.texts:
            self._send(*self.waiting.take())
        return super().execute_sql(sql, params)      # type: ignore[misc]

    def commit(self) -> None:
        if self.waiting.texts and not self.is_closed():  # type: ignore[attr-defined]
            self._send(*self.waiting.take("COMMIT"))
        else:
            super().commit()                           # type: ignore[misc]

    def rollback(self) -> None:
        self.waiting.clear()
        super().rollback()                             # type: ignore[misc]

    def close(self) -> bool:
        self.waiting.clear()
        return super().close()                         # type: ignore[misc]

    def _send(self, text: str, params: list[Any]) -> Any:
        """Run a message of one or more statements; the cursor holds the last one's result."""
        try:
            cursor = self.cursor()                     # type: ignore[attr-defined]
            cursor.execute(text, params)
            self.last_result(cursor)
        except Exception as exc:
            wrap_driver_error(exc)
            raise
        return cursor

    def last_result(self, cursor: Any) -> None:
        """Move `cursor` on to the message's last result, where the driver does not."""


class _IdleLimit(threading.local):
    """The idle-in-transaction bound set on this thread's connection (whole seconds, 0 = none)."""

    def __init__(self) -> None:
        self.conn: Any = None
        self.seconds = 0


class ServerDatabase(Database):
    """PostgreSQL and MariaDB: statements are rewritten from `?` to `%s` once and cached, and
    writes may wait for the next statement (`defer`). `pw` mixes in DeferringPeewee."""

    supports_skip_locked = True

    def __init__(self, url: str, pw: Any):
        super().__init__(url, pw)
        self._waiting: _Waiting = pw.waiting
        self._idle_limit = _IdleLimit()

    def sql(self, text: str) -> str:
        converted = self._sql_cache.get(text)
        if converted is None:
            converted = text.replace("%", "%%").replace("?", "%s")
            self._sql_cache[text] = converted
        return converted

    def execute(self, text: str, params: Sequence[Any] = ()) -> Any:
        if self._waiting.texts:
            return self.pw._send(*self._waiting.take(self.sql(text), params))
        return super().execute(text, params)

    def execute_each(self, statements: Iterable[tuple[str, Sequence[Any]]]) -> None:
        """One message for up to MESSAGE_STATEMENTS of them: each but the last waits for the
        last (`defer`), so a page's rows (its path, title and other fields) cost one round
        trip, not one each, and an error in any of them is raised here. (A reorder of many
        children sends many messages, none near MariaDB's max_allowed_packet.)"""
        pending = list(statements)
        for at in range(0, len(pending), MESSAGE_STATEMENTS):
            part = pending[at:at + MESSAGE_STATEMENTS]
            for text, params in part[:-1]:
                self.defer(text, params)
            self.execute(*part[-1])

    def defer(self, text: str, params: Sequence[Any] = ()) -> None:
        if not self.pw.in_transaction():       # nothing would come to carry it
            self.execute(text, params)
            return
        self._waiting.add(self.sql(text), params)

    def discard_deferred(self) -> None:
        self._waiting.clear()

    def savepoint(self, name: str) -> None:
        if self._waiting.texts or not self.pw.in_transaction():
            super().savepoint(name)
        else:
            self._waiting.add(f"SAVEPOINT {name}", ())

    def rollback_to(self, name: str) -> None:
        text = f"SAVEPOINT {name}"
        if self._waiting.starts_with(text):    # never sent: what waits after it goes
            self._waiting.clear()
            self._waiting.add(text, ())
            return
        super().rollback_to(name)

    # the statement that ends a session idle in its transaction after {s} seconds (or {ms}
    # milliseconds; 0 = never): each engine's own
    idle_limit_sql = ""
    # the longest bound the engine takes, in seconds: a step's time box may be longer (a
    # `cron --time-limit` of weeks), and then the session is ended at the longest
    idle_limit_max = 0

    def limit_idle_transaction(self, seconds: float) -> None:
        """A session setting, sent only when it loosens: a bound as loose or looser set on
        this connection already is kept (a runner's steps ask about the same one each time),
        so a step pays no round trip for it, and the session keeps the loosest bound a step
        of its asked for: never tighter than what any step on it needs."""
        whole = max(1, math.ceil(seconds)) if seconds > 0 else 0
        if self.idle_limit_max:
            whole = min(whole, self.idle_limit_max)
        held = self._idle_limit
        conn = self.pw.connection()
        if held.conn is conn and (whole == held.seconds or 0 < whole <= held.seconds):
            return
        self.execute(self.idle_limit_sql.format(s=whole, ms=whole * 1000))
        held.conn, held.seconds = conn, whole

    # (the statement that sets a time limit in ms, the one that lifts it, whether an error is
    # a statement stopped by it): each engine's own
    limit_sql: tuple[str, str] = ("", "")

    def stopped_by_limit(self, exc: BaseException) -> bool:
        return False

    @contextlib.contextmanager
    def time_limit(self, seconds: float) -> Iterator[None]:
        """The session's statement timeout for the block, lifted after it."""
        from ..errors import QueryTimeout
        set_limit, lift = self.limit_sql
        self.execute(set_limit.format(ms=max(1, int(seconds * 1000))))
        try:
            yield
        except Exception as exc:
            if self.stopped_by_limit(exc):
                raise QueryTimeout(f"the query ran past {seconds:g} s and was stopped") from None
            raise
        finally:
            with contextlib.suppress(Exception):     # a lost connection has no limit left
                self.execute(lift)

    @staticmethod
    def driver_error(exc: BaseException) -> BaseException:
        """The driver's own exception behind peewee's wrapper (peewee 4 keeps it as `orig`
        and drops it from `args`: read from `args`, PostgreSQL's error codes were never seen,
        and no deadlock there was retried)."""
        orig = getattr(exc, "orig", None)
        if isinstance(orig, BaseException):
            return orig
        if exc.args and isinstance(exc.args[0], BaseException):
            return exc.args[0]
        return exc.__cause__ or exc
