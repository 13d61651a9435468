"""PostgreSQL: a shared engine for several machines. Text compared in the "C" collation."""
from __future__ import annotations

import contextlib
import zlib
from typing import Any, Iterator, Sequence

import peewee

from .server import ServerDatabase


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
        pw = peewee.PostgresqlDatabase(params.pop("database"), options="-c timezone=UTC", **params)
        super().__init__(url, pw)

    def insert(self, text: str, params: Sequence[Any] = ()) -> int:
        return self.execute(text + " RETURNING id", params).fetchone()[0]

    def fix_sequence(self, table: str) -> None:
        """After rows were inserted with explicit ids, move the id sequence past them."""
        self.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                     f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")

    def is_retryable(self, exc: BaseException) -> bool:
        code = getattr(self.driver_error(exc), "pgcode", None)
        return code in ("40001", "40P01", "55P03")

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

    def regex_sql(self, expr: str) -> str:
        return f"{expr} ~ ?"

    def now_sql(self) -> str:
        return "EXTRACT(EPOCH FROM clock_timestamp())::float8"

    def upsert_sql(self, table: str, key_cols: Sequence[str], cols: Sequence[str]) -> str:
        names = list(key_cols) + list(cols)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in cols)
        return (f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
                f"ON CONFLICT ({', '.join(key_cols)}) DO UPDATE SET {updates}")
