"""SQLite: the embedded default. WAL, synchronous=NORMAL, a busy timeout, foreign keys on;
transactions take the write lock when they begin, by polling."""
from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import re
import sqlite3
import threading
import time
from typing import Any, Callable, Iterable, Iterator, Sequence, TypeVar

import peewee

from ..errors import DatabaseBusy
from .base import Database, wrap_driver_error
from .walstamp import WalStamp, stamp_for

T = TypeVar("T")


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def regexp(pattern: str | None, text: str | None) -> bool | None:
    """SQLite's `text REGEXP pattern` (it calls regexp(pattern, text)); NULL in, NULL out."""
    if pattern is None or text is None:
        return None
    return _compiled(pattern).search(text) is not None


POLL_SECONDS = 0.001


class LockWaiters:
    """Who waits for a database's write lock, across processes: a writer that polls for it
    holds a shared flock on `<database>-waiting` meanwhile, and a runner, which holds the lock
    most of the time, asks `any()` after each commit and pauses only when someone waits.

    Each wait opens the file anew: flock belongs to an open file, so a waiter and a runner in
    one process do not share (and convert) one lock. Nothing happens for ":memory:".
    """

    def __init__(self, database: str):
        self.path = "" if database == ":memory:" else database + "-waiting"
        self._probe: tuple[int, int] | None = None       # (pid, fd) of `any`'s own open file

    def _open(self) -> int:
        return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)

    @contextlib.contextmanager
    def waiting(self) -> Iterator[None]:
        if not self.path:
            yield
            return
        try:
            fd = self._open()
        except OSError:            # a read-only folder: wait unannounced
            yield
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)           # and with it the lock

    def any(self) -> bool:
        """True while some process polls for the write lock."""
        if not self.path:
            return False
        pid = os.getpid()
        try:
            if self._probe is None or self._probe[0] != pid:     # (again) after a fork
                self._probe = (pid, self._open())
            fd = self._probe[1]
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError:
            return False
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False


def poll_for_lock(pw: PollingSqliteDatabase, write: Callable[[sqlite3.Cursor], T],
                  timeout: float) -> T:
    """Run `write(cursor)`, one statement that takes the write lock, trying again every
    millisecond until `timeout` seconds have passed (then DatabaseBusy is raised).

    SQLite's own busy handler sleeps up to 100 ms between tries, so a writer waiting in it
    rarely catches the short breaks between a busy runner's commits; polling catches every
    break of a millisecond or more, and while it polls it says so (`LockWaiters`).
    """
    conn = pw.connection()
    conn.execute("PRAGMA busy_timeout = 0")
    cursor = conn.cursor()           # the write's own: its rowcount and rows stay readable
    try:
        try:
            return write(cursor)
        except sqlite3.OperationalError as exc:
            if not is_busy(exc):
                raise
        deadline = time.monotonic() + timeout
        with pw.waiters.waiting():
            while True:
                time.sleep(POLL_SECONDS)
                try:
                    return write(cursor)
                except sqlite3.OperationalError as exc:
                    if not is_busy(exc):
                        raise
                    if time.monotonic() > deadline:
                        raise lock_timeout(exc, timeout) from exc
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(pw._timeout * 1000)}")


WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def is_write(text: str) -> bool:
    """A statement that takes the write lock (as our statements are written: verb first)."""
    return text[:7].upper().startswith(WRITES)


def lock_timeout(exc: sqlite3.OperationalError, waited: float) -> DatabaseBusy:
    """The error for a write that polled for the lock `waited` seconds in vain."""
    return DatabaseBusy(f"another process held the SQLite database's write lock for more than "
                        f"{waited:.1f} s (a task step holds it until its next save); nothing was "
                        f"written, try again ({exc})")


def is_busy(exc: Exception) -> bool:
    """The error SQLite gives when another connection holds the lock."""
    text = str(exc)
    return "locked" in text or "busy" in text


class PlannerStatistics:
    """Keeps SQLite's planner statistics (`sqlite_stat1`) current as a site grows.

    SQLite gathers them only when told (ANALYZE). Without them it guesses, and on a parent
    with 100,000 children it reads them all through `(parent_id, templates_id, status)` and
    sorts them for `parent=X, template=T, sort=-created, limit=20` (16-36 ms) instead of
    reading 20 entries of `(parent_id, templates_id, created)` (0.07 ms).

    Before a commit, once the connection has changed `CHANGES_BETWEEN_CHECKS` rows since its
    last check, `PRAGMA optimize` in its listing mode says whether a table this connection
    queried has no statistics or has grown or shrunk 25-fold since (a few µs when not). If
    so every table is analyzed, not only those named: statistics for `pages` beside none for
    `field_title` make the planner walk all pages for `title^=ab` (21 ms on 100,000 pages,
    0.2 ms with both or neither). The work runs in the committing transaction, which holds the
    write lock already, by sampling (`ANALYSIS_LIMIT` rows per index: about a millisecond on a
    million pages, where a full ANALYZE takes a second). Other connections load statistics
    only with the schema, so a schema change (a view created and dropped) makes them reload
    at their next statement.
    """

    CHANGES_BETWEEN_CHECKS = 1000
    ANALYSIS_LIMIT = 1000

    def __init__(self) -> None:
        self._checked = threading.local()     # per thread: the connection and its count then

    def before_commit(self, conn: sqlite3.Connection) -> None:
        """Refresh the statistics if enough has changed since the last check (cheap if not)."""
        checked = self._checked
        if getattr(checked, "conn", None) is not conn:
            checked.conn, checked.changes = conn, 0
        changes = conn.total_changes
        if changes - checked.changes >= self.CHANGES_BETWEEN_CHECKS:
            checked.changes = changes
            self.refresh(conn)

    @staticmethod
    def refresh(conn: sqlite3.Connection) -> bool:
        """Analyze the database if SQLite finds a table's statistics stale; True if it did.

        Best effort: statistics only steer the planner, so an error here (an interrupt, a
        full disk) leaves them as they were rather than failing the caller's commit.
        """
        try:
            if not conn.execute("PRAGMA optimize(3)").fetchall():    # 1: only list, 2: ANALYZE
                return False
            conn.execute("ANALYZE")
            PlannerStatistics._mark_empty_tables(conn)
            # a view: dropping a table would fail while a read is open on the connection
            conn.execute("CREATE VIEW cms_reload_statistics AS SELECT 1")
            conn.execute("DROP VIEW cms_reload_statistics")
            return True
        except sqlite3.Error:
            return False

    @staticmethod
    def _mark_empty_tables(conn: sqlite3.Connection) -> None:
        """Give the tables ANALYZE left without statistics (it writes none for an empty table)
        statistics of one row, so that `PRAGMA optimize` stops asking for them until they grow
        25-fold. Without this, one empty table that a runner's every claim reads (tasker_deps)
        made each check analyze the whole database again: 3-4% of a long import run as a task.
        """
        for (statement,) in conn.execute("PRAGMA optimize(3)").fetchall():
            table = statement.rsplit(".", 1)[-1].strip('"')
            quoted = '"' + table.replace('"', '""') + '"'
            if conn.execute(f"SELECT 1 FROM {quoted} LIMIT 1").fetchone() is not None:
                continue
            indexes = [(row[1], len(conn.execute(f"PRAGMA index_info(\"{row[1]}\")").fetchall()))
                       for row in conn.execute(f"PRAGMA index_list({quoted})").fetchall()]
            rows = [(table, name, " ".join(["1"] * (columns + 1))) for name, columns in indexes]
            conn.executemany("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)",
                             rows or [(table, None, "1")])
            conn.execute("ANALYZE sqlite_schema")      # this connection reloads them now


class DeferredBegin(threading.local):
    """This thread's BEGIN that waits for its transaction's first statement (None: none)."""

    begin: Callable[[], None] | None = None


class PollingSqliteDatabase(peewee.SqliteDatabase):
    """peewee's SqliteDatabase whose transactions take the write lock when they begin
    (BEGIN IMMEDIATE), by polling (`poll_for_lock`).

    IMMEDIATE: in WAL mode a deferred transaction that reads and then writes fails at once
    (SQLITE_BUSY_SNAPSHOT, no busy handler) when another process committed in between.
    """

    def __init__(self, database: str, **kwargs: Any):
        super().__init__(database, **kwargs)
        self.waiters = LockWaiters(database)
        self.lock_timeout = max(float(self._timeout), 1.0)    # seconds a writer polls for it
        self.statistics = PlannerStatistics()
        self.pending_begin = DeferredBegin()       # see SqliteDatabase.begin_on_first_statement

    def _connect(self) -> sqlite3.Connection:
        """Open a connection and set its pragmas, trying again while another process holds
        the lock. `journal_mode = wal` needs the database to itself; where SQLite sees that
        waiting could deadlock (another process is creating a new site's schema) it answers
        "database is locked" without the busy timeout. Three processes booting a new site
        together failed so once in CI (tests/test_db.py); not reproduced since."""
        deadline = time.monotonic() + self.lock_timeout
        while True:
            try:
                return super()._connect()
            except sqlite3.OperationalError as exc:
                if not is_busy(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(POLL_SECONDS * 5)

    def commit(self) -> None:
        if self._drop_pending():
            return                  # its BEGIN never went: nothing to commit
        conn = self._state.conn
        if conn is not None and conn.in_transaction:
            self.statistics.before_commit(conn)
        super().commit()

    def rollback(self) -> None:
        """ROLLBACK, unless there is nothing to roll back: a BEGIN that never went, or a
        transaction SQLite rolled back by itself (a full disk, an I/O error). A ROLLBACK then
        raised "cannot rollback - no transaction is active" in place of the error that ended
        the transaction, out of a Tasker step's failure path (the runner's process stopped
        and no log said the disk was full)."""
        if self._drop_pending():
            return                  # its BEGIN never went: nothing to roll back
        conn = self._state.conn
        if conn is not None and not conn.in_transaction:
            return
        super().rollback()

    def _drop_pending(self) -> bool:
        """Forget this thread's BEGIN that waits for a statement; True when there was one."""
        if self.pending_begin.begin is None:
            return False
        self.pending_begin.begin = None
        return True

    def begin_pending(self) -> None:
        """Send this thread's BEGIN that waited for a statement (begin_on_first_statement).
        One that fails (the lock stayed with another process: DatabaseBusy) waits on for the
        next statement, so nothing ever runs outside the transaction the caller holds."""
        begin = self.pending_begin.begin
        if begin is not None:
            begin()
            self.pending_begin.begin = None

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        """peewee's own statements (its savepoints, a model's query) begin a waiting BEGIN
        first too: a SAVEPOINT alone would open a deferred transaction."""
        if self.pending_begin.begin is not None:
            self.begin_pending()
        return super().execute_sql(sql, params)

    def close(self) -> bool:
        closed = super().close()      # refused while a transaction is held, pending or not
        self.pending_begin.begin = None
        return closed

    def begin(self, lock_type: str | None = None) -> None:
        if lock_type not in (None, "IMMEDIATE", "immediate"):
            super().begin(lock_type)
            return
        poll_for_lock(self, lambda cursor: cursor.execute("BEGIN IMMEDIATE"), self.lock_timeout)


class SqliteDatabase(Database):
    engine = "sqlite"
    for_update = for_no_key_update = ""
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

    def __init__(self, url: str, path: str, synchronous: str = "normal"):
        """`synchronous`: "normal" (WAL: a commit survives a crash of the program, and may be
        lost with the last moments before a power cut) or "full" (an fsync per commit: it
        survives a power cut too, at a few milliseconds per commit)."""
        self.path = path
        self._stamp: WalStamp | None = None
        pw = PollingSqliteDatabase(
            path,
            timeout=10,
            pragmas={
                "journal_mode": "wal",
                "synchronous": synchronous,
                "foreign_keys": 1,
                "cache_size": -32000,
                # Savepoints (a hooked page save, each step of a runner's batch) copy every
                # page they change to a statement journal: in a temporary file that costs
                # 30-45 µs per savepoint, in memory 7-10 µs.
                "temp_store": "memory",
                "analysis_limit": PlannerStatistics.ANALYSIS_LIMIT,
            },
        )
        # SQLite has the REGEXP operator but no function behind it: every connection gets one.
        pw.register_function(regexp, "regexp", 2, deterministic=True)
        super().__init__(url, pw)

    def in_list_operand(self, expr: str) -> str:
        """`+templates_id`: no index for the IN. SQLite 3.40.1 (Debian 12's, which Python links
        there) answers `parent_id = ? AND templates_id IN (7, 9) AND status < 1024` from the
        index on (parent_id, templates_id, status) of NOT NULL columns with a row whose status
        is out of range, once statistics call the index selective: an unpublished page in
        `parent=X, template=a|b` (found comparing with ProcessWire; 3.51 answers right). With
        the IN kept out of the index the status range stays an index range (a count of a
        parent's visible children keeps its speed) and the template is tested on each row.
        `templates_id` is the one column an IN reaches behind an equality in the schema's
        indexes ((parent_id, templates_id, status) and (parent_id, templates_id, created)); an
        IN on an index's first column (parent_id, data) answers right on 3.40.1."""
        return f"+{expr}"

    @contextlib.contextmanager
    def time_limit(self, seconds: float) -> Iterator[None]:
        """SQLite: a progress handler, asked every few thousand virtual machine steps, stops
        the statement running once the time is over."""
        from ..errors import QueryTimeout
        conn = self.pw.connection()
        deadline = time.monotonic() + seconds
        stopped: list[bool] = []

        def over() -> int:
            if time.monotonic() > deadline:
                stopped.append(True)
                return 1
            return 0

        conn.set_progress_handler(over, 20000)
        try:
            yield
        except (sqlite3.OperationalError, peewee.OperationalError) as exc:
            if stopped and "interrupted" in str(exc):
                raise QueryTimeout(f"the query ran past {seconds:g} s and was stopped") from None
            raise
        finally:
            conn.set_progress_handler(None, 0)

    def change_stamp(self) -> bytes | None:
        """The WAL index's header (cms/db/walstamp.py); None for a database in memory."""
        stamp = self._stamp
        if stamp is None or stamp.pid != os.getpid():
            if self.path == ":memory:":
                return None
            stamp = self._stamp = stamp_for(self.path)
        return stamp.read()

    def execute(self, text: str, params: Sequence[Any] = ()) -> Any:
        """As the base, minus peewee's cursor bookkeeping: the connection runs it (hot path).

        A write outside a transaction takes the lock as a transaction does, by polling and
        saying so: in SQLite's own busy handler it rarely caught the breaks between a running
        step's commits, and gave up after 10 s with "database is locked" (LazyCron's turns
        failed so while the demo's import ran)."""
        conn = self.pw._state.conn
        try:
            if conn is None:
                conn = self.pw.connection()
            if conn.in_transaction:
                return conn.execute(text, params)
            if self.pw.pending_begin.begin is not None:
                self.pw.begin_pending()
                return conn.execute(text, params)
            if not is_write(text):
                return conn.execute(text, params)
            return poll_for_lock(self.pw, lambda cursor: cursor.execute(text, params),
                                 self.pw.lock_timeout)
        except DatabaseBusy:
            raise
        except Exception as exc:
            wrap_driver_error(exc)
            raise

    def execute_each(self, statements: Iterable[tuple[str, Sequence[Any]]]) -> None:
        """As the base, on one cursor and with one error handler for them all (hot path)."""
        conn = self.pw._state.conn
        try:
            if conn is None:
                conn = self.pw.connection()
            if self.pw.pending_begin.begin is not None and not conn.in_transaction:
                self.pw.begin_pending()
            cursor = conn.cursor()
            for text, params in statements:
                cursor.execute(text, params)
        except DatabaseBusy:
            raise
        except Exception as exc:
            wrap_driver_error(exc)
            raise

    def begin_on_first_statement(self, begin: Callable[[], None]) -> None:
        """Run `begin` (a BEGIN IMMEDIATE that polls for the lock) right before this thread's
        next statement instead of now: a Tasker step whose method works without the database
        for a while (waits for an HTTP answer, computes) holds no write lock meanwhile, so
        other writers (a suspend, a page save) get in. From its first statement on, the
        step's transaction is IMMEDIATE as before: what it reads, nobody changes under it."""
        self.pw.pending_begin.begin = begin

    def is_retryable(self, exc: BaseException) -> bool:
        return is_busy(exc)

    def is_pattern_too_large(self, exc: BaseException) -> bool:
        return "pattern too complex" in str(exc)      # LIKE's limit: 50,000 bytes

    def is_disconnect(self, exc: BaseException) -> bool:
        return False

    @contextlib.contextmanager
    def schema_lock(self) -> Iterator[None]:
        """Re-entrant in a thread, as PostgreSQL's advisory lock and MariaDB's GET_LOCK are (a
        module's upgrade runs under it and calls code that takes it): a second flock on a new
        file handle would wait for this thread's own lock for ever."""
        held = getattr(self._levels, "schema_locks", 0)
        if self.path == ":memory:" or held:
            self._levels.schema_locks = held + 1
            try:
                yield
            finally:
                self._levels.schema_locks = held
            return
        with open(self.path + ".schema-lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            self._levels.schema_locks = 1
            try:
                yield
            finally:
                self._levels.schema_locks = 0
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
