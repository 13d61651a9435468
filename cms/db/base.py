"""What every engine offers: a few query helpers over a peewee database, and the hooks it overrides.

Hot paths (page loads, inserts, task claims) call `execute`/`one`/`insert` with prebuilt SQL: the
SQL text is converted to the engine's placeholder style once and cached, so a repeated statement
costs what the driver costs. peewee's query builder stays for code that runs rarely.
"""
from __future__ import annotations

import contextlib
import functools
import json
import random
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator, Sequence, TypeVar

import peewee

from ..errors import DatabaseError, SchemaError

T = TypeVar("T")
BOUND_AT_ONCE = 500     # values bound in one `IN (...)`: well under every engine's limit


@functools.cache
def placeholders(count: int) -> str:
    """"?, ?, ?" for `count` bound values (kept: lists of the same length recur)."""
    return ", ".join("?" * count)


def in_chunks(values: Sequence[T], size: int = BOUND_AT_ONCE) -> Iterator[tuple[Sequence[T], str]]:
    """`values` a slice at a time, each with its placeholders, for a statement that binds a
    list (`WHERE id IN (...)`): the engines limit how many values one statement binds."""
    for at in range(0, len(values), size):
        chunk = values[at:at + size]
        yield chunk, placeholders(len(chunk))


def wrap_driver_error(exc: Exception) -> None:
    """Re-raise a driver exception as peewee's class of the same name (IntegrityError ...).

    A try/except costs nothing when no error happens, unlike entering peewee's wrapper on
    every statement.
    """
    peewee.__exception_wrapper__.__exit__(type(exc), exc, exc.__traceback__)


class _CountedTransaction:
    """A transaction, or a savepoint inside one, that counts open levels (`transaction_level`).

    The outermost level is peewee's atomic(). A nested level is a savepoint of our own, named
    by its depth: peewee names each savepoint by a fresh uuid, which SQLite must parse and
    plan anew every time, and with its bookkeeping that tripled the cost of a page add inside
    a caller's transaction when a hook made the save take one (bench/bench_hooks.py). Names
    differ by depth because MariaDB drops an older savepoint of the same name.
    """

    __slots__ = ("db", "atomic", "name")

    def __init__(self, db: Database):
        self.db = db
        self.atomic: Any = None
        self.name = ""

    def __enter__(self) -> Any:
        db = self.db
        levels = db._levels
        depth = getattr(levels, "open", 0) + 1
        if db.pw.in_transaction():
            self.name = f"cms_level_{depth}"
            db.savepoint(self.name)
            entered: Any = self
        else:
            self.atomic = db.pw.atomic()
            entered = self.atomic.__enter__()
        levels.open = depth
        return entered

    def rollback(self) -> None:
        """Undo what the block did so far; the block goes on (as peewee's savepoints)."""
        self.db.rollback_to(self.name)

    def __exit__(self, exc_type: Any, *exc_info: Any) -> Any:
        db = self.db
        db._levels.open -= 1
        if self.atomic is not None:
            committed = False
            try:
                result = self.atomic.__exit__(exc_type, *exc_info)
                committed = exc_type is None
                return result
            finally:
                if committed:
                    db._levels.schema_touched = False
                else:
                    db.rolled_back()
        if exc_type is not None:
            if db.ends_transaction(exc_info[0]):
                # the savepoint went with the transaction: rolling back to it would fail, and
                # that error would hide this one, which the outermost level and retry act on
                return None
            self.rollback()
        self.db.execute(f"RELEASE SAVEPOINT {self.name}")
        return None


class HeldTransaction:
    """A transaction, or a savepoint in one, that its owner opens, commits and ends at points of
    its own choosing instead of in a `with` block.

    A Tasker step commits part way and goes on in a new transaction, and a runner leaves one
    open across several short steps (a batch). While attached it sits on peewee's transaction
    stack like any transaction, so `in_transaction()` is true and a nested `transaction()` block
    is a savepoint inside it. Only this class touches that stack outside peewee.
    """

    __slots__ = ("_pw", "_txn", "depth", "_rolled_back")

    def __init__(self, pw: peewee.Database, txn: Any, rolled_back: Callable[[], None]):
        self._pw = pw
        self._txn = txn
        self._rolled_back = rolled_back     # Database.rolled_back
        self.depth = 0            # peewee's stack depth with this one on top, once attached

    def attach(self) -> None:
        """Put it on top of the stack (again, after `detach`)."""
        self._pw.push_transaction(self._txn)
        self.depth = self._pw.transaction_depth()

    def detach(self) -> None:
        """Take it off the stack, with whatever a caller left open above it."""
        pw = self._pw
        while pw.transaction_depth() >= self.depth and pw.transaction_depth() > 0:
            if pw.pop_transaction() is self._txn:
                return

    def on_top(self) -> bool:
        """Attached, with no transaction of anyone else's open above it."""
        return self._pw.transaction_depth() == self.depth

    def commit(self) -> None:
        """COMMIT (or RELEASE the savepoint); its place on the stack is unchanged."""
        self._txn.commit(False)

    def rollback(self) -> None:
        """ROLLBACK (or back to the savepoint, which stays until `commit`)."""
        self._txn.rollback(False)
        if not isinstance(self._txn, _NamedSavepoint):    # its rollback_to says it itself
            self._rolled_back()


class _NamedSavepoint:
    """A savepoint with a fixed name: peewee's costs a uuid and three calls more, and a holder
    needs one at a time. Its statements go through `Database.execute`, after deferred writes."""

    __slots__ = ("db", "name")

    def __init__(self, db: Database, name: str):
        self.db, self.name = db, name
        db.savepoint(name)

    def commit(self, begin: bool = False) -> None:
        self.db.execute(f"RELEASE SAVEPOINT {self.name}")

    def rollback(self, begin: bool = False) -> None:
        self.db.rollback_to(self.name)


def utcnow() -> datetime:
    """Now in UTC, to the second: what the tables store."""
    return datetime.now(timezone.utc).replace(microsecond=0)


class Database:
    """A connected site database. Subclasses hold what one engine does differently."""

    engine = "base"
    # Column types, used through `ddl()` placeholders such as {ID} and {TEXT}.
    types: dict[str, str] = {}
    table_options = ""
    # Folded text is compared byte for byte on every engine so results match everywhere.
    supports_skip_locked = False
    # Appended to a read of a row a transaction is about to change from what it read (SQLite's
    # write transaction holds the whole database already).
    for_update = " FOR UPDATE"
    # The same for a row whose key the transaction leaves as it is (a page it saves): where
    # the engine tells the two apart (PostgreSQL), it does not wait for `for_key_share` holders.
    for_no_key_update = " FOR UPDATE"
    # Appended to a read of a row that must stay while the transaction adds rows that refer
    # to it (a page's parent), as a foreign key's check holds it: a delete of it waits, its
    # other changes need not. Each server engine has its own; SQLite, as above, needs none.
    for_key_share = ""

    def __init__(self, url: str, pw: peewee.Database):
        self.url = url
        self.pw = pw
        self._levels = threading.local()
        self._sql_cache: dict[str, str] = {}
        self.on_schema_rollback: Callable[[], None] | None = None    # see schema_change

    # -- connection ---------------------------------------------------------------------------
    def check_connection(self) -> None:
        """Connect now, so a wrong URL fails at boot with a clear message."""
        from .url import redact_url
        try:
            self.pw.connect(reuse_if_open=True)
        except Exception as exc:  # the drivers raise their own classes
            reason = " ".join(str(exc).split())     # drivers' messages span several lines
            raise DatabaseError(f"cannot connect to {redact_url(self.url)}: {reason}") from exc

    def close(self) -> None:
        """Close this thread's connection (another one is opened on next use)."""
        if not self.pw.is_closed():
            self.pw.close()

    def reconnect(self) -> None:
        """Drop a broken connection and open a fresh one (after a server restart)."""
        try:
            self.pw.close()
        except Exception:
            pass
        self.check_connection()

    def session_id(self) -> int:
        """This thread's session as the server numbers it, read from the driver (no round
        trip); 0 where there is no server."""
        return 0

    def reopened(self, exc: BaseException) -> bool:
        """True when `exc` says the server closed this thread's connection under it and a new
        one opened now: what an idle connection meets after the server's idle limit (MariaDB's
        `wait_timeout`, PostgreSQL's `idle_session_timeout`, a firewall's). The work it cut
        off may simply run again, and nothing need be said: the database never went away."""
        if not isinstance(exc, (peewee.OperationalError, peewee.InterfaceError)) \
                or not self.is_disconnect(exc):
            return False
        try:
            self.reconnect()
        except DatabaseError:
            return False
        return True

    # -- statements ---------------------------------------------------------------------------
    def sql(self, text: str) -> str:
        """The engine's form of a `?`-placeholder statement (cached)."""
        return text

    def execute(self, text: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement; driver errors arrive as peewee's classes (IntegrityError ...)."""
        try:
            cursor = self.pw.cursor()
            cursor.execute(self.sql(text), params)
        except Exception as exc:
            wrap_driver_error(exc)
            raise
        return cursor

    @contextlib.contextmanager
    def time_limit(self, seconds: float) -> Iterator[None]:
        """Stop the block's statements once `seconds` have passed (read-only work a person
        typed, such as the admin's Find: one selector must not hold a server thread for
        minutes); a stopped one raises `QueryTimeout`. Each engine stops them its own way."""
        yield

    def limit_idle_transaction(self, seconds: float) -> None:
        """Have the server end this thread's session, rolling back its transaction and freeing
        its row locks, once it has sat idle inside a transaction for `seconds` (0 = never):
        for a Tasker step, whose runner may freeze (SIGSTOP, a paused VM) holding its task's
        row. Call it outside a transaction. Where one writer locks the whole database (SQLite)
        there is no such bound."""

    def change_stamp(self) -> bytes | None:
        """Something that differs after every commit to the database, by anyone, read without
        a statement; None where the engine has no such thing (then nothing may be kept on the
        strength of it). SQLite in WAL mode has one (cms/db/walstamp.py)."""
        return None

    def defer(self, text: str, params: Sequence[Any] = ()) -> None:
        """Run a write whose outcome nobody reads (no rows, no rowcount) in the open transaction.

        Where the engine takes several statements in one message (PostgreSQL) it waits for
        this thread's next statement or COMMIT and goes with it, saving a round trip; its
        errors then arrive with that statement. Elsewhere it runs now.
        """
        self.execute(text, params)

    def discard_deferred(self) -> None:
        """Forget the deferred writes: a ROLLBACK TO SAVEPOINT is about to undo them."""

    def savepoint(self, name: str) -> None:
        """SAVEPOINT `name` in the open transaction. Where writes wait (`defer`) and none wait
        now, it waits too, for the block's first statement: a round trip fewer per savepoint.
        A savepoint never goes after writes that were waiting before it, so whatever fails in
        the message that carries it failed inside it."""
        self.execute(f"SAVEPOINT {name}")

    def rollback_to(self, name: str) -> None:
        """ROLLBACK TO SAVEPOINT `name`: the deferred writes since it are dropped, and a
        savepoint that is still waiting, never sent, has nothing to undo on the server."""
        self.discard_deferred()
        self.execute(f"ROLLBACK TO SAVEPOINT {name}")
        self.rolled_back()

    def execute_each(self, statements: Iterable[tuple[str, Sequence[Any]]]) -> None:
        """Run statements in order, each with its own parameters (a page's rows in one call)."""
        for text, params in statements:
            self.execute(text, params)

    def one(self, text: str, params: Sequence[Any] = ()) -> tuple | None:
        return self.execute(text, params).fetchone()

    def one_prepared(self, name: str, text: str, params: Sequence[Any] = ()) -> tuple | None:
        """`one()` for a statement run again and again (a Tasker step's load): where the engine
        plans a statement each time it is sent, it is prepared once per connection as `name`
        (PostgreSQL); elsewhere the same as `one()`."""
        return self.one(text, params)

    def all(self, text: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self.execute(text, params).fetchall()

    def scalar(self, text: str, params: Sequence[Any] = ()) -> Any:
        row = self.execute(text, params).fetchone()
        return row[0] if row else None

    def insert(self, text: str, params: Sequence[Any] = ()) -> int:
        """Run an INSERT into a table with an `id` key and return the new id."""
        return self.execute(text, params).lastrowid

    def ddl(self, text: str) -> None:
        """Run a schema statement, with {TYPE} placeholders filled for this engine.

        Refused inside a transaction: MariaDB would commit the open transaction silently, and a
        rollback would not undo it, so no engine allows it.
        """
        if self.pw.in_transaction():
            raise SchemaError("schema changes are not allowed inside a transaction; "
                              "add fields and templates before `with site.transaction():`")
        self.pw.execute_sql(text.format(**self.types))

    def schema_change(self) -> None:
        """Note that fields, templates or access are about to change in rows (not DDL).

        Every process keeps them in memory. Inside a transaction, a rollback would undo the rows
        but not what this process already believes (a template added in a block that failed
        stayed usable, and its pages broke every other process's finds), so the rollback of
        that transaction or of a savepoint in it calls `on_schema_rollback` (the site reloads
        them from what is stored).
        """
        if self.pw.in_transaction():
            self._levels.schema_touched = True

    def rolled_back(self) -> None:
        """After a ROLLBACK or a ROLLBACK TO SAVEPOINT: reload the schema if it changed inside."""
        levels = self._levels
        if getattr(levels, "schema_touched", False):
            levels.schema_touched = self.pw.in_transaction()   # an outer level may roll back too
            if self.on_schema_rollback is not None:
                self.on_schema_rollback()

    def create_table(self, name: str, body: str) -> None:
        """CREATE TABLE with the engine's table options (MariaDB: InnoDB, utf8mb4, binary collation)."""
        self.ddl(f"CREATE TABLE {name} ({body}){self.table_options}")

    # -- transactions -------------------------------------------------------------------------
    def transaction(self) -> Any:
        """A transaction; nested calls are savepoints (counted by `transaction_level`)."""
        return _CountedTransaction(self)

    def hold_transaction(self, begin: Callable[[], None] | None = None) -> HeldTransaction:
        """Open a transaction that the caller commits and ends itself (see HeldTransaction);
        `begin` issues the BEGIN where the engine needs a special one (SQLite's IMMEDIATE)."""
        held = HeldTransaction(self.pw, self.pw.transaction(), self.rolled_back)
        (begin or self.pw.begin)()
        held.attach()
        return held

    def begin_on_first_statement(self, begin: Callable[[], None]) -> None:
        """BEGIN with `begin` before this thread's next statement; here, at once (SQLite
        defers it: a writer waits for its one lock, where the server engines lock rows)."""
        begin()

    def hold_savepoint(self, name: str) -> HeldTransaction:
        """A savepoint `name` in the open transaction, held as `hold_transaction` holds one."""
        held = HeldTransaction(self.pw, _NamedSavepoint(self, name), self.rolled_back)
        held.attach()
        return held

    def transaction_level(self) -> int:
        """How many `transaction()` blocks this thread has open (0 outside any).

        peewee counts only the outermost transaction, not savepoints; code that commits part
        way through (a running Tasker step) must know whether a caller's nested block is open.
        """
        return getattr(self._levels, "open", 0)

    def in_transaction(self) -> bool:
        return self.pw.in_transaction()

    def is_retryable(self, exc: BaseException) -> bool:
        """True for errors where running the whole transaction again is safe (deadlocks)."""
        return False

    def ends_transaction(self, exc: BaseException) -> bool:
        """True when the engine rolled back the whole transaction for `exc`, its savepoints with
        it (MariaDB's deadlock), where other engines undo the statement and leave the rest for
        a ROLLBACK TO SAVEPOINT."""
        return False

    def is_lock_timeout(self, exc: BaseException) -> bool:
        """True for a wait for another session's lock that ran out (PostgreSQL's lock_timeout,
        MariaDB's innodb_lock_wait_timeout): transient, so `is_retryable`, but `retry` does not
        run it again, as another attempt would wait as long for a lock held as long."""
        return False

    def is_pattern_too_large(self, exc: BaseException) -> bool:
        """True when the engine refused a text match's pattern (a LIKE, a regular expression)
        as longer or more complex than it takes: the value's fault, not the server's."""
        return False

    def is_disconnect(self, exc: BaseException) -> bool:
        """True when the connection itself is gone (server restarted)."""
        return (isinstance(exc, (peewee.InterfaceError, peewee.OperationalError))
                and not self.is_retryable(exc))

    def retry(self, fn: Callable[[], T], attempts: int = 6) -> T:
        """Run `fn` (which opens its own transaction), again after a deadlock or lost connection.

        Only at the top level: inside an outer transaction the work already done would be lost,
        so there the error is raised for the outermost caller to retry. A lock wait that ran
        out is raised at once (`is_lock_timeout`): run again, a step's end waited six times
        the lock timeout for a row another session held for long.
        """
        for attempt in range(attempts):
            try:
                return fn()
            except (peewee.OperationalError, peewee.InterfaceError, peewee.InternalError) as exc:
                last = attempt == attempts - 1
                if self.pw.in_transaction() or last or self.is_lock_timeout(exc):
                    raise
                if self.is_retryable(exc):
                    time.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
                elif self.is_disconnect(exc):
                    time.sleep(0.2 * (attempt + 1))
                    with contextlib.suppress(DatabaseError):
                        self.reconnect()
                else:
                    raise
        raise AssertionError("unreachable")

    # -- schema -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def schema_lock(self) -> Iterator[None]:
        """Held while the schema is created or upgraded, so two processes never both do it."""
        yield

    def table_exists(self, name: str) -> bool:
        return name in self.pw.get_tables()

    def column_names(self, table: str) -> set[str]:
        """The names of a table's columns (an upgrade adds or drops the ones that changed)."""
        return {column.name for column in self.pw.get_columns(table)}

    def view_names(self) -> set[str]:
        """The names of the database's views (a module's view stands in for a field's table)."""
        return {view.name for view in self.pw.get_views()}

    def create_index(self, table: str, columns: str, unique: bool = False, name: str = "") -> None:
        plain = columns.replace(",", "_").replace(" ", "").replace("(", "").replace(")", "")
        name = name or f"{table}_{plain}"
        kind = "UNIQUE INDEX" if unique else "INDEX"
        self.ddl(f"CREATE {kind} {name} ON {table} ({columns})")

    # -- values -------------------------------------------------------------------------------
    def dt_param(self, value: datetime | None) -> Any:
        """A timezone-aware datetime as the engine stores it (UTC, to the second)."""
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None, microsecond=0)

    def dt_value(self, value: Any) -> datetime | None:
        """A stored datetime back as an aware UTC datetime."""
        if value is None:
            return None
        if isinstance(value, str):
            if len(value) == 19:        # "YYYY-MM-DD HH:MM:SS", as SQLite keeps them: one parse
                return datetime.fromisoformat(value + "+00:00")
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=timezone.utc)

    def packed_sql(self, columns: str) -> str:
        """A select list of many columns, for a read asked again and again (a task's status),
        as the fewest columns this engine's driver reads cheaply; `unpacked` gives the row
        back as if each column had been selected.

        Where a driver pays for each column of a row, the columns are read as ONE: a JSON array
        (`json_array`, which SQLite and MariaDB both have). Python 3.11's sqlite3 hands the GIL
        to another thread for each column it reads, and in a server with many request threads
        each hand-over may be a thread switch: counted in a busy server, a status answer's
        eleven columns made 22 hand-overs per answer, 13 once packed (a one-column read
        alone: about 9); PyMySQL parses each column's description in Python. A JSON number
        keeps 15 significant digits (a timestamp to 10 microseconds), so a column that needs
        more is not for this; a BLOB cannot be put in one (SQLite refuses the statement).
        PostgreSQL's driver (C) reads columns as cheaply as one, so its select list stays as
        written."""
        return f"json_array({columns})"

    def unpacked(self, row: tuple | None) -> tuple | None:
        """A row read with `packed_sql` first in its select list, as the columns it packed
        followed by the rest of the row."""
        if row is None:
            return None
        return (*json.loads(row[0]), *row[1:])

    def concat_sql(self, left: str, right: str) -> str:
        """SQL joining two text expressions."""
        return f"{left} || {right}"

    def in_list_operand(self, expr: str) -> str:
        """A column as the left side of `IN (...)` (`templates_id IN (7, 9)`); see SQLite's."""
        return expr

    def date_text_sql(self, expr: str) -> str:
        """A datetime column as the text `YYYY-MM-DD HH:MM:SS` (for ProcessWire's partial date
        match, `when^=2024-01`): SQLite stores that text, and MariaDB's DATETIME reads so in a
        LIKE."""
        return expr

    def regex_sql(self, expr: str) -> str:
        """SQL that is true when the text `expr` matches the regular expression given as the
        next `?` parameter, case-sensitively. Patterns must keep to what PCRE2 (MariaDB),
        Python's re (SQLite) and PostgreSQL's advanced REs read alike: literal characters,
        `^`, `$`, `|`, groups, lookaheads (`(?=...)`, `(?!...)`) and bracket classes with
        `\\`-escaped specials."""
        return f"{expr} REGEXP ?"

    def now_sql(self) -> str:
        """SQL for the database clock's current UTC time as epoch seconds (float)."""
        raise NotImplementedError

    def db_time(self) -> float:
        """The database server's clock in epoch seconds: lease times come from one clock."""
        return float(self.scalar("SELECT " + self.now_sql()))

    def upsert_sql(self, table: str, key_cols: Sequence[str], cols: Sequence[str]) -> str:
        """INSERT ... or update the non-key columns when the key exists."""
        raise NotImplementedError

    def __repr__(self) -> str:
        from .url import redact_url
        return f"<{type(self).__name__} {redact_url(self.url)}>"
