"""The core tables, the fixed pages, and numbered upgrades run under a lock.

`schema_version` in the `meta` table says which upgrades have run. Each upgrade is a function
in MIGRATIONS; a later release appends one (ALTER TABLE, copy data) instead of editing the past,
so an existing site keeps its data. Two processes booting at once take the engine's lock
(SQLite: a file lock; PostgreSQL: an advisory lock; MariaDB: GET_LOCK) and the second finds
the work done.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Callable

from .db.base import utcnow
from .errors import CmsError
from .fieldtypes import fold

if TYPE_CHECKING:
    from .site import Site

STATUS_ON, STATUS_LOCKED, STATUS_SYSTEM_ID, STATUS_SYSTEM = 1, 4, 8, 16
STATUS_HIDDEN = 1024
SYSTEM_PAGE = STATUS_ON | STATUS_LOCKED | STATUS_SYSTEM_ID | STATUS_SYSTEM | STATUS_HIDDEN

# (id, parent_id, template, name, status, sort, title)
FIXED_PAGES = [
    (1, 0, "home", "home", STATUS_ON | STATUS_SYSTEM_ID, 0, "Home"),
    (2, 1, "admin", "admin", SYSTEM_PAGE, 1, "Admin"),
    (7, 1, "admin", "trash", SYSTEM_PAGE, 2, "Trash"),
    (27, 1, "basic-page", "http404", SYSTEM_PAGE, 3, "404 Not Found"),
]


def create_core(site: Site) -> None:
    """Version 1: pages, paths, the schema tables, the title field and the fixed pages."""
    db = site.db
    db.create_table("meta", "name {NAME} NOT NULL PRIMARY KEY, value {LONGTEXT} NOT NULL")
    db.create_table("pages", """
        id {ID}, parent_id {INT} NOT NULL, templates_id {INT} NOT NULL, name {NAME} NOT NULL,
        status {INT} NOT NULL DEFAULT 1, sort {INT} NOT NULL DEFAULT 0,
        created {DATETIME} NOT NULL, modified {DATETIME} NOT NULL,
        created_users_id {INT} NOT NULL DEFAULT 0, modified_users_id {INT} NOT NULL DEFAULT 0""")
    db.create_index("pages", "parent_id, name", unique=True)
    db.create_index("pages", "parent_id, sort")
    db.create_index("pages", "parent_id, templates_id, created")
    db.create_index("pages", "templates_id, created")
    db.create_index("pages", "created")
    db.create_index("pages", "modified")
    db.create_index("pages", "status")
    # The path of every page, kept up to date on add, rename, move and trash: get by path is one
    # indexed lookup and has_parent is a range scan over a path prefix, however deep the tree.
    db.create_table("pages_paths", "pages_id {INT} NOT NULL PRIMARY KEY, path {TEXT} NOT NULL, "
                                   "FOREIGN KEY (pages_id) REFERENCES pages (id) ON DELETE CASCADE")
    db.create_index("pages_paths", "path", unique=True)
    create_access_table(site)   # every page add writes here (cms.access); upgrade 5 for old sites
    db.create_table("fields", "id {ID}, type {NAME} NOT NULL, name {NAME} NOT NULL, "
                              "label {TEXT} NOT NULL, flags {INT} NOT NULL DEFAULT 0, data {LONGTEXT}")
    db.create_index("fields", "name", unique=True)
    db.create_table("fieldgroups", "id {ID}, name {NAME} NOT NULL")
    db.create_index("fieldgroups", "name", unique=True)
    db.create_table("fieldgroups_fields", "fieldgroups_id {INT} NOT NULL, fields_id {INT} NOT NULL, "
                                          "sort {INT} NOT NULL DEFAULT 0, "
                                          "PRIMARY KEY (fieldgroups_id, fields_id)")
    db.create_table("templates", "id {ID}, name {NAME} NOT NULL, fieldgroups_id {INT} NOT NULL, "
                                 "flags {INT} NOT NULL DEFAULT 0, data {LONGTEXT}")
    db.create_index("templates", "name", unique=True)
    db.create_table("modules", "id {ID}, class {NAME} NOT NULL, flags {INT} NOT NULL DEFAULT 0, "
                               "version {NAME} NOT NULL DEFAULT '', data {LONGTEXT}, "
                               "created {DATETIME} NOT NULL")
    db.create_index("modules", "class", unique=True)

    site.fields.add("title", "PageTitle", label="Title")
    site.templates.add("home", fields=["title"])
    site.templates.add("basic-page", fields=["title"])
    site.templates.add("admin", fields=["title"], locked=True)
    now = db.dt_param(utcnow())
    with db.transaction():
        for id, parent_id, template, name, status, sort, title in FIXED_PAGES:
            db.execute("INSERT INTO pages (id, parent_id, templates_id, name, status, sort, created, "
                       "modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (id, parent_id, site.templates[template].id, name, status, sort, now, now))
            db.execute("INSERT INTO pages_paths (pages_id, path) VALUES (?, ?)",
                       (id, "/" if id == 1 else f"/{name}/"))
            db.execute("INSERT INTO field_title (pages_id, data, fold) VALUES (?, ?, ?)",
                       (id, title, fold(title)))
    if hasattr(db, "fix_sequence"):
        db.fix_sequence("pages")


def create_access(site: Site) -> None:
    """Version 2: users, roles and permissions as pages under /admin/access/, and LazyCron's table.

    `lazycron` holds one row per event: when it last fired, and who holds it while its handlers
    run (see cms.lazycron). Times are epoch seconds (UTC) from the database's clock.
    """
    from .users import install_access
    db = site.db
    if not db.table_exists("lazycron"):
        db.create_table("lazycron", "name {NAME} NOT NULL PRIMARY KEY, "
                                    "last_run {FLOAT} NOT NULL DEFAULT 0, "
                                    "lock_until {FLOAT} NOT NULL DEFAULT 0, "
                                    "lock_owner {NAME} NOT NULL DEFAULT ''")
    install_access(site)


def add_status_indexes(site: Site) -> None:
    """Version 3: totals and counts under one parent check status from the index alone.

    Measured on a million pages: count(parent=X) over 100,000 children went from 453 ms to
    35 ms, and a find with its total from 187 ms to 11 ms (bench/bench_selectors.py).
    """
    site.db.create_index("pages", "parent_id, templates_id, status")
    site.db.create_index("pages", "parent_id, status")


def create_sessions(site: Site) -> None:
    """Version 4: logged-in sessions, so that logging out, a new password or new roles end them
    on every server process sharing the database (cms.web.sessions). `expires` is epoch seconds.
    """
    db = site.db
    if not db.table_exists("sessions"):
        db.create_table("sessions", "id {NAME} NOT NULL PRIMARY KEY, users_id INTEGER NOT NULL, "
                                    "expires {FLOAT} NOT NULL")
        db.create_index("sessions", "users_id")


def create_access_table(site: Site) -> None:
    """`pages_access`: which template's access governs a page, where it is not home's."""
    db = site.db
    if not db.table_exists("pages_access"):
        db.create_table("pages_access", "pages_id {INT} NOT NULL PRIMARY KEY, "
                                        "templates_id {INT} NOT NULL, FOREIGN KEY (pages_id) "
                                        "REFERENCES pages (id) ON DELETE CASCADE")
        db.create_index("pages_access", "templates_id")


def create_page_access(site: Site) -> None:
    """Version 5: the rest of ProcessWire's page permissions, template access, `pages_access`."""
    from . import access
    create_access_table(site)
    access.install(site)


def refold_text(site: Site) -> None:
    """Version 6: `fold` ignores accents as well as case (fieldtypes.fold), so "cafe" finds
    "Café" as on ProcessWire; every stored fold is recomputed from `data`, a batch of rows per
    transaction, writing only the rows whose fold changed (ASCII text keeps its fold)."""
    refold(site)


def refold_upper(site: Site) -> None:
    """Version 10: `fold` is in upper case (fieldtypes.fold), so text sorts as ProcessWire's
    collation sorts it ("_" after the letters); every stored fold is recomputed."""
    refold(site)


def refold(site: Site) -> None:
    """Recompute every stored fold from `data` by `fieldtypes.fold` as it is now, a batch of
    rows per transaction, writing only the rows whose fold changed. The fields are read from
    the database first: upgrades run before a booting site has read them (only a field an
    earlier upgrade happened to ask for would be known, and refolded)."""
    db = site.db
    site.fields.load()
    # A module's view stands in for some fields' tables (Tasker's runtime fields, typed plain
    # Text before Tasker 1.2): it folds by itself and cannot be written.
    views = db.view_names()
    for field in site.fields:
        if not field.type.folded or field.table in views:
            continue
        after = 0
        while True:
            rows = db.all(f"SELECT pages_id, data, fold FROM {field.table} WHERE pages_id > ? "
                          "ORDER BY pages_id LIMIT 1000", (after,))
            if not rows:
                break
            changed = [(fold(data), pages_id) for pages_id, data, old in rows if fold(data) != old]
            if changed:
                with db.transaction():
                    for new, pages_id in changed:
                        db.execute(f"UPDATE {field.table} SET fold = ? WHERE pages_id = ?",
                                   (new, pages_id))
            after = rows[-1][0]


def create_leases(site: Site) -> None:
    """Version 7: one table of named leases (cms.lease) for every "only one process at a time"
    on the site: LazyCron's events, the lazy Tasker step, Tasker's counted claims. It replaces
    LazyCron's own lock columns, dropped here, and the table the lazy runner made at run time.
    """
    db = site.db
    if not db.table_exists("leases"):
        db.create_table("leases", "name {NAME} NOT NULL PRIMARY KEY, owner {NAME} NOT NULL DEFAULT '', "
                                  "until {FLOAT} NOT NULL DEFAULT 0")
    columns = db.column_names("lazycron")
    for column in ("lock_until", "lock_owner"):
        if column in columns:
            db.ddl(f"ALTER TABLE lazycron DROP COLUMN {column}")
    if db.table_exists("tasker_runner_locks"):
        db.ddl("DROP TABLE tasker_runner_locks")


def create_text_index(site: Site) -> None:
    """Version 8: the title's trigram index, where the engine has one (cms.textindex), so a
    `title%=word` find reads the matching pages instead of every title."""
    from . import textindex
    textindex.create(site.db)


def create_text_index_pending(site: Site) -> None:
    """Version 9: new titles wait in a pending list and go into the trigram index 64 at a time
    (cms.textindex): an entry added alone wrote an FTS5 segment at its commit, 40-80 us of
    every page added in its own transaction. Titles the index already has stay in it."""
    from . import textindex
    for field in textindex.matchable(site.db):
        textindex.create_pending_list(site.db, field)


def refold_all_fields(site: Site) -> None:
    """Version 12: upgrades 6 and 10 refolded only the fields the booting site had read by
    then (usually `title` alone), so a site upgraded through them still has folds in an old
    rule in its other text fields; refold every field (rows already right are not written)."""
    refold(site)


# The `pages` indexes a sort reads in order; every sort ends in the id, its tie-breaker.
SORTED_INDEXES = ("parent_id, sort", "parent_id, templates_id, created", "templates_id, created",
                  "created", "modified")


def sorted_indexes_end_in_id(site: Site) -> None:
    """Version 11: on PostgreSQL the indexes a sort reads end in `id`, so `parent=X,
    template=T, sort=-created, limit=20` reads 20 index entries however young the table.
    Without it PostgreSQL read every child of the template to sort ties by id until
    autovacuum had analyzed the table (1.3 ms for 6,000 children against 0.04 ms), and then
    took another index with an incremental sort. SQLite and InnoDB keep the row id in every
    index already; there nothing changes."""
    db = site.db
    if db.engine != "postgresql":
        return
    for columns in SORTED_INDEXES:
        name = f"pages_{columns.replace(', ', '_')}"
        db.ddl(f"DROP INDEX IF EXISTS {name}")
        db.ddl(f"CREATE INDEX IF NOT EXISTS {name}_id ON pages ({columns}, id)")


MIGRATIONS: list[Callable[[Site], None]] = [create_core, create_access, add_status_indexes,
                                            create_sessions, create_page_access, refold_text,
                                            create_leases, create_text_index,
                                            create_text_index_pending, refold_upper,
                                            sorted_indexes_end_in_id, refold_all_fields]


def schema_version(site: Site) -> int:
    if not site.db.table_exists("meta"):
        return 0
    value = site.db.scalar("SELECT value FROM meta WHERE name = 'schema_version'")
    return int(value) if value is not None else 0


def set_meta(site: Site, name: str, value: object) -> None:
    db = site.db
    db.execute(db.upsert_sql("meta", ["name"], ["value"]), (name, json.dumps(value)))


def get_meta(site: Site, name: str, default: object = None) -> object:
    value = site.db.scalar("SELECT value FROM meta WHERE name = ?", (name,))
    return default if value is None else json.loads(value)


def pending_upgrades(site: Site) -> list[int]:
    """The upgrades this database has not had; a CmsError when a later release upgraded it
    further than this one knows (its tables may have a shape this code would corrupt)."""
    version = schema_version(site)
    if version > len(MIGRATIONS):
        raise CmsError(f"the database schema is at version {version}, newer than this "
                       f"release's {len(MIGRATIONS)}: a later release upgraded it; run that "
                       "release (nothing was changed)")
    return list(range(version + 1, len(MIGRATIONS) + 1))


def upgrade(site: Site) -> list[int]:
    """Run the upgrades this database has not had, under the schema lock; return their numbers."""
    if not pending_upgrades(site):
        return []
    done = []
    with site.db.schema_lock():
        for version in pending_upgrades(site):   # re-read under the lock: another process may have run them
            MIGRATIONS[version - 1](site)
            set_meta(site, "schema_version", version)
            done.append(version)
    return done
