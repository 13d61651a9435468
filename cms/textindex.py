"""Substring search by index: the title's trigram index, where the engine has one.

A `title%=word` find (ProcessWire's "contains", LIKE '%word%') reads every title without an
index: 180 ms on a million pages. With a trigram index it reads the pages that hold the
word's three-letter pieces: under a millisecond.

- SQLite (3.34 and later): an FTS5 table `field_title_trigram` with the trigram tokenizer over
  the `fold` column of `field_title` (external content: it stores the index, not the text).
  New rows wait in a pending list (`field_title_trigram_pending`, their ids) and go into the
  index 64 at a time (`PendingList`), as PostgreSQL's GIN indexes do with `fastupdate`: FTS5
  writes a new segment at every commit that touched it, so an entry added alone cost a page
  add 40-80 us (a third of its time), and one of 64 costs it 1 us (a Tasker step that
  commits at its milestones queues up to 4,096 and moves them at its end: `PendingList.widen`).
  The selector compiler asks the index for candidates, `MATCH '"word"'`, adds the pending rows,
  and keeps the LIKE on them, so answers are the scan's, by construction. Triggers drop and
  change entries when rows are deleted (also by a page's cascade) or updated, and drop a
  pending row instead where the row is still pending. A row inserted into `field_title` by
  other SQL is not indexed: go through `site.pages`, or run `python run.py check --repair`
  after. Words under three characters have no trigram: for them the scan stays.
- PostgreSQL: a `pg_trgm` GIN index on `field_title.fold`, used by the planner for the same
  LIKE, when the extension can be created (it needs the right to; else the scan stays).
- MariaDB has no trigram index: the scan stays.

Only the title is indexed: every page has one and Find searches it most; the index costs
a few us per title written (bench/RESULTS.md). Made by schema upgrade 8 (cms/schema.py).
"""
from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .db import Database

FIELDS = ("title",)
MIN_LENGTH = 3          # a trigram index holds nothing shorter
FLUSH_EVERY = 64        # pending rows a connection queues before it moves the list into the index
BULK_FLUSH_EVERY = 4096  # the same while a Tasker step commits at its milestones (PendingList.widen)


def table(field: str) -> str:
    return f"field_{field}_trigram"


def pending_table(field: str) -> str:
    """The ids of the field's rows that wait to go into its index (SQLite)."""
    return f"field_{field}_trigram_pending"


def create(db: Database) -> None:
    """Make the indexes this engine can have (idempotent); outside a transaction."""
    if db.engine == "sqlite":
        if sqlite3.sqlite_version_info < (3, 34):
            return
        for field in FIELDS:
            _create_fts(db, field)
    elif db.engine == "postgresql":
        try:
            db.ddl("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception:      # no right to create it: the scan stays
            return
        for field in FIELDS:
            db.ddl(f"CREATE INDEX IF NOT EXISTS {table(field)} ON field_{field} "
                   "USING gin (fold gin_trgm_ops)")


def _create_fts(db: Database, field: str) -> None:
    name, source = table(field), f"field_{field}"
    if db.table_exists(name):
        return
    db.ddl(f"CREATE VIRTUAL TABLE {name} USING fts5(fold, content='{source}', "
           "content_rowid='pages_id', tokenize='trigram')")
    create_pending_list(db, field)
    rebuild(db, field)


def create_pending_list(db: Database, field: str) -> None:
    """The pending list and the triggers that know it (idempotent; schema upgrade 9 gives a
    site of upgrade 8 its list). An entry is only ever in one of the two: FTS5 must be told
    to delete exactly what it holds, or its index is corrupt."""
    name, source, pending = table(field), f"field_{field}", pending_table(field)
    db.ddl(f"CREATE TABLE IF NOT EXISTS {pending} (pages_id INTEGER PRIMARY KEY)")
    indexed = f"WHERE NOT EXISTS (SELECT 1 FROM {pending} WHERE pages_id = old.pages_id)"
    db.ddl(f"DROP TRIGGER IF EXISTS {name}_drop")
    db.ddl(f"CREATE TRIGGER {name}_drop AFTER DELETE ON {source} BEGIN "
           f"INSERT INTO {name} ({name}, rowid, fold) SELECT 'delete', old.pages_id, old.fold "
           f"{indexed}; DELETE FROM {pending} WHERE pages_id = old.pages_id; END")
    db.ddl(f"DROP TRIGGER IF EXISTS {name}_change")
    db.ddl(f"CREATE TRIGGER {name}_change AFTER UPDATE OF fold ON {source} BEGIN "
           f"INSERT INTO {name} ({name}, rowid, fold) SELECT 'delete', old.pages_id, old.fold "
           f"{indexed}; INSERT INTO {name} (rowid, fold) SELECT new.pages_id, new.fold "
           f"{indexed}; END")


def rebuild(db: Database, field: str) -> None:
    """Index every row of the field again, the pending ones with them (SQLite)."""
    name = table(field)
    with db.transaction():
        db.execute(f"INSERT INTO {name} ({name}) VALUES ('rebuild')")
        db.execute(f"DELETE FROM {pending_table(field)}")


def flush(db: Database, field: str) -> None:
    """Move the pending rows into the index, inside the caller's transaction (one FTS5 segment
    for all of them at its commit)."""
    db.execute(flush_sql(field))
    db.execute(f"DELETE FROM {pending_table(field)}")


def flush_sql(field: str) -> str:
    """The pending rows' entries into the index. CROSS JOIN keeps the list the outer loop:
    without statistics SQLite chose to scan the field's table and probe the list, so a bulk
    import in one transaction slowed with every row it had added (2.3x over 50,000 adds)."""
    return (f"INSERT INTO {table(field)} (rowid, fold) SELECT t.pages_id, t.fold FROM "
            f"{pending_table(field)} p CROSS JOIN field_{field} t ON t.pages_id = p.pages_id")


def missing(db: Database, field: str) -> int:
    """How many of the field's rows neither its index (FTS5 keeps one size row for each entry)
    nor its pending list holds."""
    return (db.scalar(f"SELECT COUNT(*) FROM field_{field}")
            - db.scalar(f"SELECT COUNT(*) FROM {table(field)}_docsize")
            - db.scalar(f"SELECT COUNT(*) FROM {pending_table(field)}"))


def insert_sql(db: Database, field: str) -> str:
    """The statement that queues a page's row of the field for its index (parameter: the
    page's id), or "" when it has none. Pages runs it beside the row's own insert and tells
    its PendingList: an AFTER INSERT trigger would cost SQLite 20 us more per row (it opens a
    statement savepoint for a statement with triggers)."""
    return f"INSERT OR IGNORE INTO {pending_table(field)} (pages_id) VALUES (?)" \
        if field in matchable(db) else ""


class PendingList:
    """What one connection queued for the indexes since it last moved the lists into them.

    Counted per connection, not per site: the list itself is shared, so whichever connection
    reaches FLUSH_EVERY moves every queued row, its own and other processes' (SQLite has one
    writer at a time, so the move sees a whole list). Rows queued by a process that stops
    before its count is reached wait for the next one, and are found meanwhile.
    """

    def __init__(self, db: Database):
        self.db = db
        self.queued = 0
        self.flush_every = FLUSH_EVERY
        self.fields: frozenset[str] | None = None    # read once: a query of the schema

    def added(self) -> None:
        """One more row queued in the open transaction: move the lists when they are long."""
        self.queued += 1
        if self.queued >= self.flush_every:
            self.move()

    def move(self) -> None:
        """Move every pending row into the index now, in the open transaction."""
        self.queued = 0
        if self.fields is None:
            self.fields = matchable(self.db)
        for field in self.fields:
            flush(self.db, field)

    def widen(self) -> None:
        """Queue up to BULK_FLUSH_EVERY rows before moving them, for a writer that commits
        every few hundred rows (a Tasker step at its milestones): every commit whose
        transaction moved rows writes an FTS5 segment, which FTS5 then merges, and one per
        milestone cost a 100,000-page import task 4-5% of its time (bench/bench_tasker.py).
        Finds meanwhile read up to that many pending rows by LIKE (about 0.4 ms per
        thousand)."""
        self.flush_every = BULK_FLUSH_EVERY

    def narrow(self, move: bool) -> None:
        """Back to FLUSH_EVERY after `widen`; with `move`, what waits goes into the index in
        the open transaction (before a step's last commit), so no long list is left behind."""
        self.flush_every = FLUSH_EVERY
        if move and self.queued:
            self.move()


def matchable(db: Database) -> frozenset[str]:
    """The fields whose substring finds the compiler may answer with MATCH (SQLite's FTS5)."""
    if db.engine != "sqlite":
        return frozenset()
    return frozenset(field for field in FIELDS if db.table_exists(table(field)))


def phrase(needle: str) -> str:
    """An FTS5 query for the needle as one phrase: its trigrams, next to each other."""
    return '"' + needle.replace('"', '""') + '"'
