"""PostgreSQL: a shared engine for several machines. Text compared in the "C" collation.

Writes whose outcome nobody reads (`defer`) wait for the next statement (cms/db/server.py).

A statement run at every step (`one_prepared`), and every deferred write, is prepared once per
connection: psycopg2 sends text, which PostgreSQL parses and plans each time. Planning a step's
six-table load took 0.25-0.33 ms of its 0.5, and a step's six deferred writes took 680-800 us
as text against 510-590 prepared (bench_runners.breakdown). A proxy that hands one client's
transactions to different server connections (PgBouncer in transaction mode) does not keep
prepared statements: behind one, set CMS_PG_PREPARE=0.
"""
from __future__ import annotations

import contextlib
import itertools
import os
import re
import threading
import zlib
from typing import Any, Iterator, Sequence

import peewee

from .server import DeferringPeewee, ServerDatabase

MAX_PREPARED_WRITES = 64     # distinct deferred writes prepared per connection
INVALID_REGULAR_EXPRESSION = "2201B"
LOCK_NOT_AVAILABLE = "55P03"  # lock_timeout ran out (or NOWAIT found the row locked)


class _Prepared(threading.local):
    """The statements prepared on this thread's connection (a new connection has none)."""

    def __init__(self) -> None:
        self.conn: Any = None
        self.names: dict[str, str] = {}      # a statement's text -> its prepared name
        self.writes = 0                      # deferred writes among them

    def on(self, conn: Any) -> None:
        """Forget what was prepared on another connection (this one has none of them)."""
        if self.conn is not conn:
            self.conn, self.names, self.writes = conn, {}, 0


def numbered(text: str) -> str:
    """A `?`-placeholder statement with PREPARE's `$1, $2 ...` instead."""
    count = itertools.count(1)
    return re.sub(r"\?", lambda _: f"${next(count)}", text)


# TCP keepalives both ways, probed after 30 s idle, every 10 s, given up after 3 misses: a
# machine that dies mid-step (power, network) leaves a session holding its task's row lock
# (a save inside the module's own transaction), which the reaper and every claim pass by;
# the server keeps such a session for the OS's two hours of keepalive, and a runner waits as
# long on a server that died. Set at connect, so a reconnect gets them too; on a Unix socket
# the server ignores them.
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}
# random_page_cost: the server's default of 4 prices an index lookup as a disk seek, so for
# the rows of 50 tasks or 20 pages of a site of some thousands it hashed whole tables instead
# (the task list's statuses of 50 of 3,000 tasks: 1.27 ms against 0.21 ms); a CMS's tables are
# read from memory or SSD, where 1.1 is the usual setting.
SESSION_OPTIONS = ("-c timezone=UTC -c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 "
                   "-c tcp_keepalives_count=3 -c random_page_cost=1.1")


class _Peewee(DeferringPeewee, peewee.PostgresqlDatabase):
    """peewee's PostgreSQL database, with the writes that wait (cms/db/server.py)."""


class PostgresqlDatabase(ServerDatabase):
    engine = "postgresql"
    types = {
        "ID": "SERIAL PRIMARY KEY",
        "INT": "INTEGER",
        "BIGINT": "BIGINT",
        "FLOAT": "DOUBLE PRECISION",
        "NAME": 'VARCHAR(128) COLLATE "C"',
        "TEXT": 'VARCHAR(768) COLLATE "C"',
        "LONGTEXT": 'TEXT COLLATE "C"',
        "DATETIME": "TIMESTAMP(0)",
    }

    def __init__(self, url: str, **params: Any):
        pw = _Peewee(params.pop("database"), options=SESSION_OPTIONS, **KEEPALIVES, **params)
        super().__init__(url, pw)
        self._prepared = _Prepared()
        self.prepare = os.environ.get("CMS_PG_PREPARE", "1") != "0"

    def one_prepared(self, name: str, text: str, params: Sequence[Any] = ()) -> tuple | None:
        call = self._prepared_call(text, params, name) if self.prepare else None
        return self.one(call or text, params)

    def defer(self, text: str, params: Sequence[Any] = ()) -> None:
        """A deferred write is prepared once per connection and waits as an EXECUTE: the
        server neither parses nor plans it again (a step's writes are the same few
        statements every time)."""
        call = (self._prepared_call(text, params)
                if self.prepare and self.pw.in_transaction() else None)
        super().defer(call or text, params)

    def _prepared_call(self, text: str, params: Sequence[Any], name: str = "") -> str | None:
        """The EXECUTE that runs `text`, PREPAREd on this thread's connection at its first use
        (as `name`, or as a numbered write); None once MAX_PREPARED_WRITES writes are."""
        prepared = self._prepared
        prepared.on(self.pw.connection())
        known = prepared.names.get(text)
        if known is None:
            if not name:
                if prepared.writes >= MAX_PREPARED_WRITES:
                    return None
                prepared.writes += 1
                name = f"cms_write_{prepared.writes}"
            # not undone by a rollback: a prepared statement lasts as long as its session
            self.execute(f"PREPARE {name} AS {numbered(text)}")
            prepared.names[text] = known = name
        return f"EXECUTE {known} ({', '.join('?' * len(params))})"

    def session_id(self) -> int:
        return int(self.pw.connection().get_backend_pid())

    def insert(self, text: str, params: Sequence[Any] = ()) -> int:
        return self.execute(text + " RETURNING id", params).fetchone()[0]

    def fix_sequence(self, table: str) -> None:
        """After rows were inserted with explicit ids, move the id sequence past them."""
        self.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                     f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")

    for_key_share = " FOR KEY SHARE"
    for_no_key_update = " FOR NO KEY UPDATE"
    idle_limit_sql = "SET idle_in_transaction_session_timeout = {ms}"
    idle_limit_max = 2147483          # its milliseconds are a 32-bit integer (24.8 days)
    limit_sql = ("SET statement_timeout = {ms}", "SET statement_timeout = 0")

    def stopped_by_limit(self, exc: BaseException) -> bool:
        """query_canceled (57014), on the driver's error wherever peewee put it."""
        seen: BaseException | None = exc
        for _ in range(4):
            if seen is None:
                return False
            if getattr(seen, "pgcode", None) == "57014":
                return True
            seen = (seen.args[0] if seen.args and isinstance(seen.args[0], BaseException)
                    else seen.__cause__ or seen.__context__)
        return False

    def is_retryable(self, exc: BaseException) -> bool:
        code = getattr(self.driver_error(exc), "pgcode", None)
        return code in ("40001", "40P01", LOCK_NOT_AVAILABLE)

    def is_lock_timeout(self, exc: BaseException) -> bool:
        return getattr(self.driver_error(exc), "pgcode", None) == LOCK_NOT_AVAILABLE

    def is_pattern_too_large(self, exc: BaseException) -> bool:
        # invalid_regular_expression: "too complex" (every character is escaped, so size is
        # all that makes one invalid)
        return getattr(self.driver_error(exc), "pgcode", None) == INVALID_REGULAR_EXPRESSION

    def is_disconnect(self, exc: BaseException) -> bool:
        if self.is_retryable(exc):
            return False
        text = str(exc).lower()
        return any(s in text for s in ("closed", "terminat", "connection", "could not connect"))

    @contextlib.contextmanager
    def schema_lock(self) -> Iterator[None]:
        key = zlib.crc32(b"cms-schema")
        self.execute("SELECT pg_advisory_lock(?)", (key,))
        try:
            yield
        finally:
            self.execute("SELECT pg_advisory_unlock(?)", (key,))

    def packed_sql(self, columns: str) -> str:
        """The columns as written: psycopg2 reads a row's columns in C (see Database's)."""
        return columns

    def unpacked(self, row: tuple | None) -> tuple | None:
        return row

    def regex_sql(self, expr: str) -> str:
        return f"{expr} ~ ?"

    def date_text_sql(self, expr: str) -> str:
        return f"to_char({expr}, 'YYYY-MM-DD HH24:MI:SS')"

    def now_sql(self) -> str:
        return "EXTRACT(EPOCH FROM clock_timestamp())::float8"

    def upsert_sql(self, table: str, key_cols: Sequence[str], cols: Sequence[str]) -> str:
        names = list(key_cols) + list(cols)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in cols)
        return (f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
                f"ON CONFLICT ({', '.join(key_cols)}) DO UPDATE SET {updates}")
