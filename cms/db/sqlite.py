"""SQLite: the embedded default. WAL, synchronous=NORMAL, a busy timeout, foreign keys on."""
from __future__ import annotations

import contextlib
import fcntl
import functools
import re
from typing import Any, Iterable, Iterator, Sequence

import peewee

from .base import Database, _wrap_driver_error


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def regexp(pattern: str | None, text: str | None) -> bool | None:
    """SQLite's `text REGEXP pattern` (it calls regexp(pattern, text)); NULL in, NULL out."""
    if pattern is None or text is None:
        return None
    return _compiled(pattern).search(text) is not None


class SqliteDatabase(Database):
    engine = "sqlite"
    types = {
        "ID": "INTEGER PRIMARY KEY AUTOINCREMENT",
        "INT": "INTEGER",
        "BIGINT": "INTEGER",
        "FLOAT": "REAL",
        "NAME": "VARCHAR(128)",
        "TEXT": "VARCHAR(768)",
        "LONGTEXT": "TEXT",
        "DATETIME": "DATETIME",
    }

    def __init__(self, url: str, path: str):
        self.path = path
        pw = peewee.SqliteDatabase(
            path,
            timeout=10,
            pragmas={
                "journal_mode": "wal",
                "synchronous": "normal",
                "foreign_keys": 1,
                "cache_size": -32000,
            },
        )
        # SQLite has the REGEXP operator but no function behind it: every connection gets one.
        pw.register_function(regexp, "regexp", 2, deterministic=True)
        super().__init__(url, pw)

    def execute(self, text: str, params: Sequence[Any] = ()) -> Any:
        """As the base, minus peewee's cursor bookkeeping: the connection runs it (hot path)."""
        conn = self.pw._state.conn
        try:
            if conn is None:
                conn = self.pw.connection()
            return conn.execute(text, params)
        except Exception as exc:
            _wrap_driver_error(exc)
            raise

    def execute_each(self, statements: Iterable[tuple[str, Sequence[Any]]]) -> None:
        """As the base, on one cursor and with one error handler for them all (hot path)."""
        conn = self.pw._state.conn
        try:
            if conn is None:
                conn = self.pw.connection()
            cursor = conn.cursor()
            for text, params in statements:
                cursor.execute(text, params)
        except Exception as exc:
            _wrap_driver_error(exc)
            raise

    def transaction_immediate(self) -> Any:
        """A transaction that takes the write lock at once (claims must not upgrade a read lock)."""
        return self.pw.atomic(lock_type="IMMEDIATE")

    def is_retryable(self, exc: BaseException) -> bool:
        return "locked" in str(exc) or "busy" in str(exc)

    def is_disconnect(self, exc: BaseException) -> bool:
        return False

    @contextlib.contextmanager
    def schema_lock(self) -> Iterator[None]:
        if self.path == ":memory:":
            yield
            return
        with open(self.path + ".schema-lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def dt_param(self, value: Any) -> Any:
        value = super().dt_param(value)
        return None if value is None else value.isoformat(" ")

    def now_sql(self) -> str:
        return "((julianday('now') - 2440587.5) * 86400.0)"

    def upsert_sql(self, table: str, key_cols: Sequence[str], cols: Sequence[str]) -> str:
        names = list(key_cols) + list(cols)
        updates = ", ".join(f"{c} = excluded.{c}" for c in cols)
        return (f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
                f"ON CONFLICT ({', '.join(key_cols)}) DO UPDATE SET {updates}")
