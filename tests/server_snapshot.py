"""A freshly booted site on a server engine, put back in one round trip instead of booted again.

Booting a new site on PostgreSQL or MariaDB creates some forty tables and indexes: 0.15-0.3 s
of DDL, paid by every test that takes the `site` fixture. The first such test boots a site on
an empty database and keeps its rows, sequences and a digest of its schema; every later one
deletes the rows of those tables, drops what tests added (tables, views), puts the rows and
sequences back, and boots on that: the boot finds an installed site and costs a few
milliseconds. Where a test changed a kept table's shape (a column, an index), the digest
differs and the database is emptied and booted anew, as it always was.

The restore runs on a driver connection of its own with several statements per call, so it
costs three round trips whatever the test left.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import cms

# Tables, views and sequences in the test database, with each sequence's or table's counter.
POSTGRESQL_OBJECTS = """
    SELECT c.relname, c.relkind, s.last_value
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_sequences s ON s.schemaname = n.nspname AND s.sequencename = c.relname
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v', 'S', 'm')"""
MARIADB_OBJECTS = """
    SELECT TABLE_NAME, TABLE_TYPE, AUTO_INCREMENT FROM information_schema.TABLES
    WHERE TABLE_SCHEMA = DATABASE()"""

# One digest of every column and index of the tables that are left.
POSTGRESQL_SHAPE = """
    SELECT md5(string_agg(part, ';' ORDER BY part)) FROM (
        SELECT table_name || '.' || column_name || ':' || data_type || ':' || is_nullable
               || ':' || coalesce(column_default, '') AS part
        FROM information_schema.columns WHERE table_schema = current_schema()
        UNION ALL
        SELECT tablename || '#' || indexdef FROM pg_indexes WHERE schemaname = current_schema()
    ) parts"""
MARIADB_SHAPE = """
    SELECT MD5(GROUP_CONCAT(part ORDER BY part SEPARATOR ';')) FROM (
        SELECT CONCAT_WS(':', TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE,
                         IFNULL(COLUMN_DEFAULT, ''), EXTRA) AS part
        FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()
        UNION ALL
        SELECT CONCAT_WS('#', TABLE_NAME, INDEX_NAME, COLUMN_NAME, SEQ_IN_INDEX, NON_UNIQUE)
        FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()
    ) parts"""


def driver_connection(engine: str, url: str):
    """A plain driver connection (autocommit) that takes several statements in one call."""
    parts = urlsplit(url)
    if engine == "postgresql":
        import psycopg2
        conn = psycopg2.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username,
                                password=parts.password or "", dbname=parts.path.lstrip("/"))
        conn.autocommit = True
        return conn
    import pymysql
    from pymysql.constants import CLIENT
    return pymysql.connect(host=parts.hostname, port=parts.port or 3306, user=parts.username,
                           password=parts.password or "", database=parts.path.lstrip("/"),
                           autocommit=True, client_flag=CLIENT.MULTI_STATEMENTS, charset="utf8mb4")


@dataclass
class Snapshot:
    """What a freshly booted site holds: its tables' rows, counters and schema digest."""
    tables: dict[str, int | None]      # table -> its counter (MariaDB's AUTO_INCREMENT) or None
    sequences: dict[str, int | None]   # PostgreSQL's sequences -> last value (None: never used)
    shape: str
    rows_sql: str                      # the INSERTs that put every row back


class ServerSites:
    """Gives each test a database holding a freshly booted site, restored where it can be."""

    def __init__(self, engine: str, url: str, empty_database) -> None:
        self.engine, self.url = engine, url
        self.empty_database = empty_database
        self.conn = driver_connection(engine, url)
        self.snapshot: Snapshot | None = None

    def fresh_site_url(self, site_dir: Path) -> str:
        """The URL of a database that holds a site as `cms.boot` makes it on an empty one."""
        if self.snapshot is None or not self.restored(self.snapshot):
            self.empty_database(self.url)
            cms.boot(self.url, site_dir=site_dir).close()
            self.snapshot = self.capture()
        return self.url

    def restored(self, snapshot: Snapshot) -> bool:
        """`restore`, on a new connection where a test restarted the server under the last."""
        try:
            return self.restore(snapshot)
        except Exception:
            self.conn.close()
            self.conn = driver_connection(self.engine, self.url)
            return self.restore(snapshot)

    def run(self, sql: str) -> list[tuple]:
        """Every statement in `sql`, in one call; the last result set's rows."""
        with self.conn.cursor() as cursor:
            cursor.execute(sql)
            rows = cursor.fetchall() if cursor.description else []
            if self.engine == "mariadb":
                while cursor.nextset():
                    rows = cursor.fetchall() if cursor.description else rows
            return list(rows)

    def objects(self) -> list[tuple]:
        return self.run(POSTGRESQL_OBJECTS if self.engine == "postgresql" else MARIADB_OBJECTS)

    def quote(self, name: str) -> str:
        return f"`{name}`" if self.engine == "mariadb" else f'"{name}"'

    def capture(self) -> Snapshot:
        tables: dict[str, int | None] = {}
        sequences: dict[str, int | None] = {}
        for name, kind, counter in self.objects():
            if kind == "S":
                sequences[name] = counter
            elif kind in ("r", "BASE TABLE"):
                tables[name] = counter
        inserts = []
        with self.conn.cursor() as cursor:
            for table in sorted(tables):
                cursor.execute(f"SELECT * FROM {self.quote(table)}")
                rows = cursor.fetchall()
                if not rows:
                    continue
                columns = ", ".join(self.quote(column[0]) for column in cursor.description)
                marks = "(" + ", ".join(["%s"] * len(cursor.description)) + ")"
                values = ", ".join(self.literal(cursor, marks, row) for row in rows)
                inserts.append(f"INSERT INTO {self.quote(table)} ({columns}) VALUES {values}")
        shape = self.run(POSTGRESQL_SHAPE if self.engine == "postgresql" else MARIADB_SHAPE)[0][0]
        return Snapshot(tables, sequences, shape, ";\n".join(inserts))

    def literal(self, cursor, marks: str, row: tuple) -> str:
        text = cursor.mogrify(marks, row)
        return text.decode() if isinstance(text, bytes) else text

    def restore(self, snapshot: Snapshot) -> bool:
        """Put the snapshot's rows back; False where a kept table changed shape."""
        drops, changed_counters, present = [], [], set()
        for name, kind, counter in self.objects():
            present.add(name)
            if kind in ("v", "m", "VIEW"):
                drops.append(f"DROP VIEW IF EXISTS {self.quote(name)}")
            elif kind in ("r", "BASE TABLE"):
                if name not in snapshot.tables:
                    drops.append(f"DROP TABLE IF EXISTS {self.quote(name)}")
                elif counter != snapshot.tables[name]:
                    changed_counters.append(name)
        if not present >= set(snapshot.tables):
            return False
        if self.engine == "postgresql":
            script = ["SET session_replication_role = replica"]
            script += [drop + " CASCADE" for drop in drops]
        else:
            script = ["SET FOREIGN_KEY_CHECKS = 0", *drops]
        script.append(POSTGRESQL_SHAPE if self.engine == "postgresql" else MARIADB_SHAPE)
        shape = self.run(";\n".join(script))[0][0]
        if shape != snapshot.shape:
            self.run("SET session_replication_role = DEFAULT" if self.engine == "postgresql"
                     else "SET FOREIGN_KEY_CHECKS = 1")
            return False
        script = [f"DELETE FROM {self.quote(table)}" for table in snapshot.tables]
        if snapshot.rows_sql:
            script.append(snapshot.rows_sql)
        if self.engine == "postgresql":
            script += [f"SELECT setval('{name}', {value or 1}, {'true' if value else 'false'})"
                       for name, value in snapshot.sequences.items()]
            script.append("SET session_replication_role = DEFAULT")
        else:
            script += [f"ALTER TABLE {self.quote(table)} AUTO_INCREMENT = {snapshot.tables[table]}"
                       for table in changed_counters if snapshot.tables[table] is not None]
            script.append("SET FOREIGN_KEY_CHECKS = 1")
        self.run(";\n".join(script))
        return True

    def close(self) -> None:
        self.conn.close()
