"""MariaDB 10.6+: READ COMMITTED, utf8mb4 with a binary no-pad collation, deadlocks retried.

`utf8mb4_nopad_bin` compares byte for byte like SQLite and PostgreSQL's "C" collation;
`utf8mb4_bin` would ignore trailing spaces ("pie " = "pie").

Writes whose outcome nobody reads (`defer`) wait for the next statement and go with it in one
message (cms/db/server.py): the connection takes several statements at once (PyMySQL's
MULTI_STATEMENTS flag), and a message's results are read to its last, which the cursor then
holds. The server stops a message at its first error, which arrives as that statement's.
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator, Sequence

import peewee
from pymysql.constants import CLIENT

from ..errors import DatabaseError
from .server import DeferringPeewee, ServerDatabase

DEADLOCK = 1213
LOCK_WAIT_TIMEOUT = 1205
REGEXP_ERROR = 1139                            # ER_REGEXP_ERROR
RETRYABLE = {DEADLOCK, LOCK_WAIT_TIMEOUT}
DISCONNECTED = {2006, 2013, 2003, 2055, 0}


class _Peewee(DeferringPeewee, peewee.MySQLDatabase):
    """peewee's MariaDB database, with the writes that wait (cms/db/server.py)."""

    def last_result(self, cursor: Any) -> None:
        while cursor.nextset():       # an error in a later statement is raised here
            pass


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
        pw = _Peewee(
            params.pop("database"),
            charset="utf8mb4",
            client_flag=CLIENT.MULTI_STATEMENTS,
            init_command=("SET SESSION tx_isolation = 'READ-COMMITTED', time_zone = '+00:00', "
                          "sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION', "
                          "collation_connection = 'utf8mb4_nopad_bin'"),
            **params,
        )
        super().__init__(url, pw)

    def session_id(self) -> int:
        return int(self.pw.connection().thread_id())

    def _errno(self, exc: BaseException) -> int | None:
        err = self.driver_error(exc)
        if err.args and isinstance(err.args[0], int):
            return err.args[0]
        return None

    for_key_share = " LOCK IN SHARE MODE"
    idle_limit_sql = "SET SESSION idle_transaction_timeout = {s}"
    idle_limit_max = 31536000         # a year, the variable's largest value
    limit_sql = ("SET SESSION max_statement_time = {ms} / 1000", "SET SESSION max_statement_time = 0")

    def stopped_by_limit(self, exc: BaseException) -> bool:
        return self._errno(exc) == 1969          # ER_STATEMENT_TIMEOUT

    def is_retryable(self, exc: BaseException) -> bool:
        return self._errno(exc) in RETRYABLE

    def ends_transaction(self, exc: BaseException) -> bool:
        # InnoDB rolls back the whole transaction of a deadlock's victim (a lock wait that ran
        # out, only its statement, unless innodb_rollback_on_timeout says otherwise)
        return self._errno(exc) == DEADLOCK

    def is_lock_timeout(self, exc: BaseException) -> bool:
        return self._errno(exc) == LOCK_WAIT_TIMEOUT

    def is_pattern_too_large(self, exc: BaseException) -> bool:
        # PCRE2's "regular expression is too large" (and its match limits)
        return self._errno(exc) == REGEXP_ERROR

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
