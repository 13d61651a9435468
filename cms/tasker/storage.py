"""What Tasker does differently per engine: write locks, claims, "is this a view".

One small class per engine, as huey's storages: the SQL that differs lives here and nowhere
else, and everything above calls the same few methods.

- SQLite has one writer. A writer that waits in SQLite's own busy handler sleeps up to 100 ms
  between tries, so a runner that commits and at once begins again would starve it (another
  process's one-row update timed out after 5 s). Every transaction of the site therefore takes
  the write lock when it begins, polling every millisecond (`cms.db.sqlite.poll_for_lock`), as
  do Tasker's claims; a polling writer says so (`LockWaiters`), and a runner that sees one
  after a commit sleeps 2 ms (`give_way`): a page save or a suspend from another process gets
  in at the runner's next commit, and nobody pays for the pause when nobody waits.
  A step's transaction is IMMEDIATE from its first statement (`begin_step`: the BEGIN waits
  for it, so a method that works without the database holds no lock), so it never fails
  half-way on a stale snapshot; between commits other writers wait, which is why a step should
  save at least every half second. While a step commits part way, its connection checkpoints
  the WAL less often (two fsyncs per checkpoint). A write outside a transaction (one
  autocommit statement) polls for the lock the same way (`SqliteDatabase.execute`).
- PostgreSQL and MariaDB lock rows: claims pick a row with `FOR UPDATE SKIP LOCKED`, so many
  runners claim in parallel without waiting on each other.
"""
from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, Any, Callable, Iterator, TypeVar

from ..db.sqlite import LockWaiters, poll_for_lock
from ..errors import DatabaseBusy, DatabaseError
from ..lease import Leases
from . import sql

if TYPE_CHECKING:
    from ..db import Database

T = TypeVar("T")


CLAIMS_LEASE = "tasker:claims"      # locked while a claim counts max_running (server engines)


class WriteLockTimeout(DatabaseBusy):
    """SQLite's write lock did not come free in time for one of Tasker's own writes."""


class TaskStorage:
    """The engine-neutral part; subclasses override the few statements that differ."""

    for_update = " FOR UPDATE"
    skip_locked = " FOR UPDATE SKIP LOCKED"
    # Batches (step.py): how many short steps a runner may run in one transaction, and for how
    # long. On the server engines a one-step task's COMMIT (a WAL flush) and its claim were
    # half its time (PostgreSQL, 4 ms a step, 11 round trips). A batch is taken only after a
    # step shorter than batch_seconds / 4, so the claims held ahead keep tasks from the other
    # machines' runners for at most batch_seconds, as do the row locks its steps take.
    batch_steps = 16
    batch_seconds = 0.02
    # Told when this process starts and stops waiting for SQLite's write lock (epoch seconds,
    # then 0): a runner's child tells its supervisor, which does not blame a step for the time
    # another step held the lock (runners/slots.py).
    on_wait: Callable[[float], None] | None = None
    # Told, from the heartbeat's thread, when a step past its deadline starts and stops waiting
    # for a row lock another session holds (server engines; time.monotonic(), then 0): a
    # runner's child tells its supervisor, which blames the step for that wait no more than
    # for one on SQLite's write lock. `lock_wait_sql` asks it of a session (its id as ?).
    on_row_wait: Callable[[float], None] | None = None
    lock_wait_sql = ""
    # A time.monotonic() reading no wait for SQLite's write lock goes past (0 = none): a cron
    # run's claim, whose wait of the whole lock timeout (10 s) ran the run past its time limit
    # while another process held the lock (`Executor._claim`).
    lock_deadline = 0.0

    def __init__(self, db: Database):
        self.db = db
        self.leases = Leases(db)
        self.now = db.now_sql()
        self._sql: dict[str, str] = {}
        # Other connections see the same data (not so for SQLite's :memory:): heartbeats,
        # which run on a connection of their own, make sense.
        self.shared = getattr(db, "path", "") != ":memory:"

    def sql(self, text: str) -> str:
        """A statement with the database clock filled in for {now} (cached)."""
        found = self._sql.get(text)
        if found is None:
            found = self._sql[text] = text.replace("{now}", self.now)
        return found

    # -- transactions -------------------------------------------------------------------------
    def begin(self, timeout: float | None = None) -> None:
        """BEGIN a transaction that will write (`timeout` matters only where writers queue)."""
        self.db.pw.begin()

    def begin_step(self) -> None:
        """BEGIN a step's transaction, as late as the database allows: on SQLite right before
        the step's first statement (Database.begin_on_first_statement), so a step that works
        without the database for a while keeps nobody waiting for the write lock."""
        self.db.begin_on_first_statement(self.begin)

    @contextlib.contextmanager
    def write_transaction(self, timeout: float | None = None) -> Iterator[None]:
        """A short transaction for Tasker's own writes (a savepoint inside a caller's one)."""
        if self.db.in_transaction():
            with self.db.pw.atomic():
                yield
            return
        held = self.db.hold_transaction(lambda: self.begin(timeout))
        try:
            yield
        except BaseException:
            held.detach()
            held.rollback()
            raise
        held.detach()
        try:
            held.commit()
        except BaseException:
            held.rollback()
            raise

    def give_way(self) -> None:
        """After a runner's commit: let other writers in now and then (SQLite)."""

    def waits_for_lock(self, session: int) -> bool:
        """Whether the session `session` (Database.session_id) waits for a lock now."""
        return bool(self.lock_wait_sql and self.db.scalar(self.lock_wait_sql, (session,)))

    def waiters_probe(self) -> Callable[[], bool] | None:
        """A check "does another writer wait for the write lock?" for the heartbeat's own
        thread (SQLite; None where writers lock rows, not the database)."""
        return None

    def writer_waits(self) -> bool:
        """Another writer waits for the write lock this runner holds (SQLite): a batch ends at
        once, so a page save waits one short step, not a whole batch."""
        return False

    def step_started(self) -> object:
        """Tune this connection for a step that commits often (SQLite: fewer checkpoints);
        returns what `step_ended` needs to undo it."""
        return None

    def step_ended(self, saved: object) -> None:
        """Undo `step_started` (before the step's last commit)."""

    def tune_runner(self) -> None:
        """Tune this process's connections for a runner that does little but run steps
        (SQLite: fewer WAL checkpoints)."""

    # -- schema -------------------------------------------------------------------------------
    def is_view(self, name: str) -> bool:
        return bool(self.db.scalar(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = "
            f"{self.schema_sql} AND table_name = ? AND table_type = 'VIEW'", (name,)))

    schema_sql = "current_schema()"

    def insert_ignore(self, insert_sql: str) -> str:
        """An INSERT that adds nothing (rowcount 0) when a unique key is taken."""
        return insert_sql + " ON CONFLICT DO NOTHING"

    # -- claims -------------------------------------------------------------------------------
    def claim_next(self, values: tuple, max_running: int) -> tuple[int, int] | None:
        """Claim the next ready task: (task id, attempts) or None. `values` fill CLAIM_SET."""
        raise NotImplementedError

    def claim_id(self, task_id: int, values: tuple, max_running: int) -> tuple[int, int] | None:
        """Claim one task if it is ready (not_before is not checked: someone asked for it now)."""
        raise NotImplementedError

    def claim_several(self, values: tuple, count: int) -> list[tuple[int, int]]:
        """Claim up to `count` ready tasks with one token, in the order they are picked (no
        `max_running`: the caller claims one at a time under a limit)."""
        if count <= 1:
            one = self.claim_next(values, 0) if count == 1 else None
            return [one] if one else []
        return self._claim_many(values, count)

    def _claim_many(self, values: tuple, count: int) -> list[tuple[int, int]]:
        """`claim_several` for two or more, in as few statements as the engine allows."""
        raise NotImplementedError

    def pass_live_key(self, base: str) -> None:
        """The holder of the live key `base` left it: the next identical live task takes it
        (one deferred statement; MariaDB, which cannot read its target table in a subquery
        but through a derived table that it then scans whole, reads and writes apart)."""
        self.db.defer(sql.PASS_LIVE_KEY, (base, base + ":", base + ";"))

    def lock_claims(self) -> None:
        """Serialise claims while `max_running` is counted (servers: the lease row's lock)."""
        self.leases.lock(CLAIMS_LEASE)

    def heartbeat(self, task_id: int, token: str, lease: float) -> str:
        """Extend a claim's lease: "ok", "lost" (another token holds it) or "busy" (try later).

        A row locked by the claim's own running step counts as "ok": while a transaction holds
        the row, the reaper (which skips locked rows) cannot take the task away either.
        """
        db = self.db
        with self.write_transaction():
            row = db.one(sql.READ_TOKEN + self.skip_locked, (task_id,))
            if row is not None:
                if row[0] != token:
                    return "lost"
                db.execute(self.sql(sql.EXTEND_LEASE), (lease, task_id))
                return "ok"
        committed = db.scalar(sql.READ_TOKEN, (task_id,))
        return "ok" if committed == token else "lost"


class SqliteStorage(TaskStorage):
    """SQLite: claims and Tasker's writes poll for the write lock; a step yields it briefly."""

    for_update = ""
    skip_locked = ""
    # A runner that commits and at once begins again would keep other writers out: after a
    # commit it sleeps `pause_seconds` when a writer polls for the lock (poll_for_lock: the
    # site's transactions and Tasker's own, which poll every millisecond, so they get in), and
    # every `pause_every` seconds in any case, for writers waiting in SQLite's busy handler.
    pause_seconds = 0.002
    pause_every = 0.45
    # A step commits at every milestone; checkpointing the WAL after each (two fsyncs) would
    # cost more than the step's own work, so while it runs the WAL may grow to ~40 MB.
    step_checkpoint_pages = 10000
    # A one-step task's commit writes ~15 WAL frames, over a third of its time; short steps in
    # one commit share most of those pages (16 a commit drained 7-10% fewer tasks per second
    # than 32, and 32 5-20% fewer than 128: bench/RESULTS.md). 20 ms bounds how long a batch
    # keeps the write lock from other writers without a break, and a batch ends early when
    # one waits (writer_waits).
    batch_steps = 128
    batch_seconds = 0.02

    def __init__(self, db: Database):
        super().__init__(db)
        self._last_pause = 0.0
        self._claims: dict[tuple[str, bool], str] = {}

    def begin(self, timeout: float | None = None) -> None:
        self._polling(lambda cursor: cursor.execute("BEGIN IMMEDIATE"), timeout)

    def _polling(self, write: Callable[[Any], T], timeout: float | None = None) -> T:
        """Run `write(cursor)` (one statement that takes the write lock), polling for the lock
        every millisecond instead of sleeping in SQLite's busy handler (`poll_for_lock`)."""
        wait = self.db.pw.lock_timeout if timeout is None else timeout
        if self.lock_deadline:
            wait = max(0.0, min(wait, self.lock_deadline - time.monotonic()))
        on_wait = self.on_wait
        if on_wait is not None:
            on_wait(time.monotonic())
        try:
            return poll_for_lock(self.db.pw, write, wait)
        except DatabaseBusy as exc:
            raise WriteLockTimeout(f"the SQLite database stayed locked by another writer for "
                                   f"{wait:.1f} s; try again") from exc
        finally:
            if on_wait is not None:
                on_wait(0.0)

    def heartbeat(self, task_id: int, token: str, lease: float) -> str:
        try:
            with self.write_transaction(timeout=0.3):
                changed = self.db.execute(
                    self.sql(sql.EXTEND_OWN_LEASE), (lease, task_id, token)).rowcount
        except WriteLockTimeout:
            return "busy"       # the step holds the lock; its saves extend the lease themselves
        return "ok" if changed else "lost"

    def step_started(self) -> object:
        cursor = self.db.pw.cursor()
        saved = cursor.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        cursor.execute(f"PRAGMA wal_autocheckpoint = {self.step_checkpoint_pages}")
        return saved

    def tune_runner(self) -> None:
        # Checkpointing the WAL every 1000 pages (two fsyncs each) cost a one-step task 100-200
        # us, about as much as all its other statements; a runner's connection checkpoints every
        # `step_checkpoint_pages` instead (kept on reconnect). Other processes are unchanged.
        self.db.pw.pragma("wal_autocheckpoint", self.step_checkpoint_pages, permanent=True)

    def step_ended(self, saved: object) -> None:
        self.db.pw.cursor().execute(f"PRAGMA wal_autocheckpoint = {int(saved)}")  # type: ignore[call-overload]

    def waiters_probe(self) -> Callable[[], bool] | None:
        # A LockWaiters of the thread's own: its probe file is not shared with the runner's.
        return LockWaiters(self.db.path).any

    def writer_waits(self) -> bool:
        return self.db.pw.waiters.any()

    def give_way(self) -> None:
        now = time.monotonic()
        if self.writer_waits() or now - self._last_pause >= self.pause_every:
            time.sleep(self.pause_seconds)
            self._last_pause = time.monotonic()

    def is_view(self, name: str) -> bool:
        return self.db.scalar("SELECT type FROM sqlite_master WHERE name = ?", (name,)) == "view"

    def insert_ignore(self, insert_sql: str) -> str:
        return insert_sql.replace("INSERT INTO", "INSERT OR IGNORE INTO", 1)

    def _returning(self, statement: str, params: tuple) -> list[tuple]:
        """One UPDATE ... RETURNING, a transaction of its own (or part of the caller's)."""
        if self.db.in_transaction():
            return self.db.execute(statement, params).fetchall()
        return self._polling(lambda cursor: cursor.execute(statement, params).fetchall())

    def _claim(self, pick: str, params: tuple, max_running: int) -> tuple[int, int] | None:
        """Claim the row the subquery `pick` names, under `max_running` when it is set (the
        statement is built once per pick and limit)."""
        limited = max_running > 0
        statement = self._claims.get((pick, limited))
        if statement is None:
            statement = self._claims[pick, limited] = self.sql(
                f"{sql.CLAIM_UPDATE} WHERE pages_id = (SELECT t.pages_id {pick})"
                + (f" AND {sql.UNDER_LIMIT}" if limited else "") + " RETURNING pages_id, attempts")
        rows = self._returning(statement, params + ((max_running,) if limited else ()))
        return (rows[0][0], rows[0][1]) if rows else None

    def claim_next(self, values: tuple, max_running: int) -> tuple[int, int] | None:
        return self._claim(sql.PICK_NEXT, values, max_running)

    def claim_id(self, task_id: int, values: tuple, max_running: int) -> tuple[int, int] | None:
        return self._claim(sql.PICK_ID, values + (task_id, task_id), max_running)

    def _claim_many(self, values: tuple, count: int) -> list[tuple[int, int]]:
        statement = self._claims.get((sql.PICK_SEVERAL, False))
        if statement is None:
            statement = self._claims[sql.PICK_SEVERAL, False] = self.sql(
                f"{sql.CLAIM_UPDATE} WHERE pages_id IN (SELECT t.pages_id "
                f"{sql.PICK_SEVERAL}) RETURNING pages_id, attempts, priority, turn")
        return in_claim_order(self._returning(statement, values + (count,)))


class PostgresqlStorage(TaskStorage):
    """PostgreSQL: one UPDATE ... RETURNING picks and claims a row, skipping locked ones."""

    lock_wait_sql = "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = ?"
    # Seconds a runner's statement waits for a lock another session holds before it fails as
    # a lock timeout (a transient error: the task is given back), as MariaDB's default
    # innodb_lock_wait_timeout ends it: PostgreSQL's lock_timeout is none by default, and a
    # step past its deadline that waits is not killed (heartbeat.py), so a lock held for good
    # (a psql session left in a transaction) kept the worker's process in that step for good.
    lock_wait_seconds = 50.0

    def __init__(self, db: Database):
        super().__init__(db)
        self._claim_next, self._claim_id = (self.sql(
            f"{sql.CLAIM_UPDATE} WHERE pages_id = (SELECT t.pages_id {pick} "
            "FOR UPDATE OF t SKIP LOCKED) AND running = 0 RETURNING pages_id, attempts")
            for pick in (sql.PICK_NEXT, sql.PICK_ID))
        # ARRAY(...) runs the pick once (an InitPlan). As `IN (SELECT ... LIMIT n ...)` the
        # planner may make it the inner side of a nested-loop semi join, run again for every
        # row, each run skipping the rows this statement has just updated: every ready task
        # was claimed, not n.
        self._claim_several = self.sql(
            f"{sql.CLAIM_UPDATE} WHERE pages_id = ANY (ARRAY(SELECT t.pages_id {sql.PICK_SEVERAL} "
            "FOR UPDATE OF t SKIP LOCKED)) AND running = 0 RETURNING pages_id, attempts, priority, turn")

    def tune_runner(self) -> None:
        # set at connect, so the heartbeat's connections and a reconnect get it too
        setting = f"-c lock_timeout={int(self.lock_wait_seconds * 1000)}"
        params = self.db.pw.connect_params
        params["options"] = f"{params.get('options', '')} {setting}".strip()
        if not self.db.pw.is_closed():
            self.db.execute(f"SET lock_timeout = {int(self.lock_wait_seconds * 1000)}")

    def _claim(self, statement: str, params: tuple, max_running: int) -> tuple[int, int] | None:
        if max_running <= 0:
            row = self.db.one(statement, params)     # one statement: its own transaction
            return (row[0], row[1]) if row else None
        with self.write_transaction():
            self.lock_claims()
            if self.db.scalar(sql.COUNT_RUNNING) >= max_running:
                return None
            row = self.db.one(statement, params)
        return (row[0], row[1]) if row else None

    def claim_next(self, values: tuple, max_running: int) -> tuple[int, int] | None:
        return self._claim(self._claim_next, values, max_running)

    def claim_id(self, task_id: int, values: tuple, max_running: int) -> tuple[int, int] | None:
        return self._claim(self._claim_id, values + (task_id, task_id), max_running)

    def _claim_many(self, values: tuple, count: int) -> list[tuple[int, int]]:
        return in_claim_order(self.db.all(self._claim_several, values + (count,)))


class MariaStorage(TaskStorage):
    """MariaDB (10.6+): SELECT ... FOR UPDATE SKIP LOCKED, then UPDATE, in one transaction."""

    schema_sql = "DATABASE()"
    # (INNODB_TRX needs the PROCESS privilege; without it a waiting step is blamed as before)
    lock_wait_sql = ("SELECT trx_state = 'LOCK WAIT' FROM information_schema.INNODB_TRX "
                     "WHERE trx_mysql_thread_id = ?")

    def __init__(self, db: Database):
        super().__init__(db)
        self._pick_next, self._pick_id, self._pick_several = (
            self.sql(f"SELECT t.pages_id, t.attempts {pick} FOR UPDATE SKIP LOCKED")
            for pick in (sql.PICK_NEXT, sql.PICK_ID, sql.PICK_SEVERAL))
        self._set = self.sql(sql.CLAIM_BY_ID)

    def insert_ignore(self, insert_sql: str) -> str:
        return insert_sql.replace("INSERT INTO", "INSERT IGNORE INTO", 1)

    def pass_live_key(self, base: str) -> None:
        heir = self.db.scalar(sql.LIVE_HEIR, (base + ":", base + ";"))
        if heir:
            self.db.execute(sql.SET_LIVE_KEY, (base, heir))

    def _claim(self, pick: str, pick_params: tuple, values: tuple,
               max_running: int) -> tuple[int, int] | None:
        with self.write_transaction():
            if max_running > 0:
                self.lock_claims()
                if self.db.scalar(sql.COUNT_RUNNING) >= max_running:
                    return None
            row = self.db.one(pick, pick_params)
            if row is None:
                return None
            self.db.execute(self._set, values + (row[0],))
        return (row[0], row[1])

    def claim_next(self, values: tuple, max_running: int) -> tuple[int, int] | None:
        return self._claim(self._pick_next, (), values, max_running)

    def claim_id(self, task_id: int, values: tuple, max_running: int) -> tuple[int, int] | None:
        return self._claim(self._pick_id, (task_id, task_id), values, max_running)

    def _claim_many(self, values: tuple, count: int) -> list[tuple[int, int]]:
        # Two statements: MariaDB takes no LIMIT in an IN subquery.
        with self.write_transaction():
            rows = self.db.all(self._pick_several, (count,))
            if rows:
                marks = ", ".join("?" * len(rows))
                self.db.execute(self.sql(f"{sql.CLAIM_UPDATE} WHERE pages_id IN ({marks})"),
                                values + tuple(row[0] for row in rows))
        return [(row[0], row[1]) for row in rows]


def in_claim_order(rows: list[tuple]) -> list[tuple[int, int]]:
    """(task id, attempts) of claimed rows (id, attempts, priority, turn) in the order a claim
    picks them: an UPDATE's RETURNING has no order of its own."""
    rows.sort(key=lambda row: (-row[2], row[3], row[0]))
    return [(row[0], row[1]) for row in rows]


def storage_for(db: Database) -> TaskStorage:
    """The storage class for a database's engine."""
    classes: dict[str, type[TaskStorage]] = {
        "sqlite": SqliteStorage, "postgresql": PostgresqlStorage, "mariadb": MariaStorage}
    try:
        return classes[db.engine](db)
    except KeyError:
        raise DatabaseError(f"Tasker does not support the {db.engine!r} engine") from None

