"""Substring search by index: the title's trigram index, where the engine has one.

A `title%=word` find (ProcessWire's "contains", LIKE '%word%') reads every title without an
index: 180 ms on a million pages. With a trigram index it reads the pages that hold the
word's three-letter pieces: under a millisecond.

- SQLite (3.34 and later): an FTS5 table `field_title_trigram` with the trigram tokenizer over
  the `fold` column of `field_title` (external content: it stores the index, not the text).
  Pages adds a row's entry beside the row (`insert_sql`); triggers drop and change entries when
  rows are deleted (also by a page's cascade) or updated. A row inserted into `field_title`
  by other SQL is not indexed: go through `site.pages`, or run `python run.py check --repair`
  after. The selector compiler asks the index for candidates, `MATCH '"word"'`, and keeps the
  LIKE on them, so answers are the scan's, by construction. Words under three characters have
  no trigram: for them the scan stays.
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


def table(field: str) -> str:
    return f"field_{field}_trigram"


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
    db.ddl(f"CREATE TRIGGER {name}_drop AFTER DELETE ON {source} BEGIN "
           f"INSERT INTO {name} ({name}, rowid, fold) VALUES ('delete', old.pages_id, old.fold); END")
    db.ddl(f"CREATE TRIGGER {name}_change AFTER UPDATE OF fold ON {source} BEGIN "
           f"INSERT INTO {name} ({name}, rowid, fold) VALUES ('delete', old.pages_id, old.fold); "
           f"INSERT INTO {name} (rowid, fold) VALUES (new.pages_id, new.fold); END")
    rebuild(db, field)


def rebuild(db: Database, field: str) -> None:
    """Index every row of the field again (SQLite)."""
    name = table(field)
    db.execute(f"INSERT INTO {name} ({name}) VALUES ('rebuild')")


def missing(db: Database, field: str) -> int:
    """How many of the field's rows its index lacks (SQLite: FTS5 keeps one size row each)."""
    return (db.scalar(f"SELECT COUNT(*) FROM field_{field}")
            - db.scalar(f"SELECT COUNT(*) FROM {table(field)}_docsize"))


def insert_sql(db: Database, field: str) -> str:
    """The statement that adds a row (pages_id, fold) to the field's index, or "" when it has
    none. Pages runs it beside the row's own insert: an AFTER INSERT trigger would do the same
    for 20 us more per row (SQLite opens a statement savepoint, and FTS5 flushes at each)."""
    return f"INSERT INTO {table(field)} (rowid, fold) VALUES (?, ?)" \
        if field in matchable(db) else ""


def matchable(db: Database) -> frozenset[str]:
    """The fields whose substring finds the compiler may answer with MATCH (SQLite's FTS5)."""
    if db.engine != "sqlite":
        return frozenset()
    return frozenset(field for field in FIELDS if db.table_exists(table(field)))


def phrase(needle: str) -> str:
    """An FTS5 query for the needle as one phrase: its trigrams, next to each other."""
    return '"' + needle.replace('"', '""') + '"'
