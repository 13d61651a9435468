"""MariaDB 10.6+: READ COMMITTED, utf8mb4 with a binary no-pad collation, deadlocks retried.

`utf8mb4_nopad_bin` compares byte for byte like SQLite and PostgreSQL's "C" collation;
`utf8mb4_bin` would ignore trailing spaces ("pie " = "pie").
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator, Sequence

import peewee

from ..errors import DatabaseError
from .server import ServerDatabase

RETRYABLE = {1213, 1205}          # deadlock, lock wait timeout
DISCONNECTED = {2006, 2013, 2003, 2055, 0}


class MariaDatabase(ServerDatabase):
    engine = "mariadb"
    types = {
        "ID": "INT AUTO_INCREMENT PRIMARY KEY",
        "INT": "INT",
        "BIGINT": "BIGINT",
        "FLOAT": "DOUBLE",
        "NAME": "VARCHAR(128)",
        "TEXT": "VARCHAR(768)",
        "LONGTEXT": "LONGTEXT",
        "DATETIME": "DATETIME",
    }
    table_options = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin"

    def __init__(self, url: str, **params: Any):
        pw = peewee.MySQLDatabase(
            params.pop("database"),
            charset="utf8mb4",
            init_command=("SET SESSION tx_isolation = 'READ-COMMITTED', time_zone = '+00:00', "
                          "sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION', "
                          "collation_connection = 'utf8mb4_nopad_bin'"),
            **params,
        )
        super().__init__(url, pw)

    def _errno(self, exc: BaseException) -> int | None:
        err = self.driver_error(exc)
        if err.args and isinstance(err.args[0], int):
            return err.args[0]
        return None

    def is_retryable(self, exc: BaseException) -> bool:
        return self._errno(exc) in RETRYABLE

    def is_disconnect(self, exc: BaseException) -> bool:
        return self._errno(exc) in DISCONNECTED or isinstance(exc, peewee.InterfaceError)

    @contextlib.contextmanager
    def schema_lock(self) -> Iterator[None]:
        if self.scalar("SELECT GET_LOCK('cms-schema', 120)") != 1:
            raise DatabaseError("could not take the schema lock within 120 s: "
                                "another process is upgrading the schema")
        try:
            yield
        finally:
            self.execute("SELECT RELEASE_LOCK('cms-schema')")

    def concat_sql(self, left: str, right: str) -> str:
        return f"CONCAT({left}, {right})"

    def now_sql(self) -> str:
        return "UNIX_TIMESTAMP(NOW(6))"

    def upsert_sql(self, table: str, key_cols: Sequence[str], cols: Sequence[str]) -> str:
        names = list(key_cols) + list(cols)
        updates = ", ".join(f"{c} = VALUES({c})" for c in cols)
        return (f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
                f"ON DUPLICATE KEY UPDATE {updates}")
