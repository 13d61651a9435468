"""The database seam: URLs, clear connection errors, transactions, schema upgrades."""
from __future__ import annotations

import ssl
import subprocess

import peewee
import pytest
from conftest import ENGINE, PYTHON, whole_table_reads

import cms
from cms import schema
from cms.db import connect, redact_url


def test_unknown_scheme_names_the_url_without_password():
    with pytest.raises(cms.DatabaseError) as err:
        connect("oracle://scott:tiger@db.example/prod")
    assert "oracle" in str(err.value)
    assert "tiger" not in str(err.value)
    assert "***" in str(err.value)


def test_unreachable_server_is_a_clear_error_without_password():
    with pytest.raises(cms.DatabaseError) as err:
        connect("postgresql://someone:secret@127.0.0.1:1/nowhere")
    assert "cannot connect to postgresql://someone:***@127.0.0.1:1/nowhere" in str(err.value)
    assert "secret" not in str(err.value)


def test_missing_sqlite_folder_is_reported(tmp_path):
    with pytest.raises(cms.DatabaseError, match="does not exist"):
        connect(f"sqlite:///{tmp_path}/no/such/dir/site.db")


def test_redact_url_keeps_urls_without_password():
    assert redact_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
    assert redact_url("mysql://root:pw@h/db") == "mysql://root:***@h/db"


def test_boot_creates_fixed_pages_and_title_field(site):
    assert [site.pages.get(i).path for i in (1, 2, 7, 27)] == ["/", "/admin/", "/trash/", "/http404/"]
    assert site.pages.get(1).title == "Home"
    assert site.fields.get("title").type.name == "PageTitle"
    assert schema.schema_version(site) == len(schema.MIGRATIONS)


def test_new_pages_get_ids_after_the_fixed_ones(site):
    page = site.pages.add("basic-page", 1, title="First")
    assert page.id > 27


def test_boot_twice_keeps_data(site, db_url, tmp_path):
    site.pages.add("basic-page", 1, title="Keep me")
    again = cms.boot(db_url, site_dir=tmp_path)
    assert again.pages.get("/keep-me/").title == "Keep me"
    again.close()


def test_wire_reads_the_last_booted_site(site):
    assert cms.wire("pages") is site.pages
    assert cms.wire() is site
    with pytest.raises(cms.CmsError, match="no API variable"):
        cms.wire("nonsense")


def test_transaction_rolls_back_on_error(site):
    with pytest.raises(RuntimeError):
        with site.transaction():
            site.pages.add("basic-page", 1, title="Ghost")
            raise RuntimeError("boom")
    assert not site.pages.get("/ghost/")


def test_nested_transaction_is_a_savepoint(site):
    with site.transaction():
        site.pages.add("basic-page", 1, title="Outer")
        with pytest.raises(RuntimeError):
            with site.transaction():
                site.pages.add("basic-page", 1, title="Inner")
                raise RuntimeError("inner fails")
    assert site.pages.get("/outer/")
    assert not site.pages.get("/inner/")


def test_savepoints_nest_and_roll_back_alone(site):
    with site.transaction():
        site.pages.add("basic-page", 1, title="Outer")
        with site.transaction():
            site.pages.add("basic-page", 1, title="Kept")
            with pytest.raises(RuntimeError):
                with site.transaction():
                    assert site.db.transaction_level() == 3
                    site.pages.add("basic-page", 1, title="Deep")
                    raise RuntimeError("the deepest level fails")
            with site.transaction() as inner:
                site.pages.add("basic-page", 1, title="Undone")
                inner.rollback()                     # the block goes on without its work
                site.pages.add("basic-page", 1, title="After")
        assert site.db.transaction_level() == 1
    assert site.db.transaction_level() == 0
    found = {p.name for p in site.pages.find("parent=1, template=basic-page, include=all")}
    assert {"outer", "kept", "after"} <= found and not {"deep", "undone"} & found


def deferred_sort(site, title: str):
    """A new page, its sort as stored now, and a setter that defers its write (a write nobody
    reads): what the tests of deferred writes watch."""
    db, page = site.db, site.pages.add("basic-page", 1, title=title)

    def sort() -> int:
        return db.scalar("SELECT sort FROM pages WHERE id = ?", (page.id,))

    def set_sort(value: int) -> None:
        db.defer("UPDATE pages SET sort = ? WHERE id = ?", (value, page.id))
    return page, sort, set_sort


def test_deferred_writes_keep_their_order_and_leave_with_a_rollback(site):
    """`defer` saves PostgreSQL a round trip per write; on every engine it means the same."""
    db = site.db
    page, sort, set_sort = deferred_sort(site, "Deferred")

    with site.transaction():
        set_sort(7)
        assert sort() == 7                   # the next statement carries it, before itself
        set_sort(8)                          # and the COMMIT carries this one
    assert sort() == 8
    with site.transaction():
        with site.transaction() as inner:
            set_sort(9)
            inner.rollback()                 # back to the savepoint: the write is undone
        set_sort(sort() + 2)
    assert sort() == 10
    with pytest.raises(RuntimeError):
        with site.transaction():
            set_sort(11)
            raise RuntimeError("rolled back")
    assert sort() == 10
    # A deferred write that fails fails its transaction, at the latest at the commit.
    with pytest.raises(peewee.IntegrityError):
        with site.transaction():
            set_sort(12)
            db.defer("INSERT INTO pages_paths (pages_id, path) VALUES (?, ?)", (page.id, "/x/"))
    assert sort() == 10
    set_sort(13)                             # outside a transaction it runs at once
    assert sort() == 13


def test_a_savepoint_waits_with_the_writes_and_means_the_same(site):
    """Where writes wait (PostgreSQL, MariaDB) a savepoint opened with none waiting waits for
    the block's first statement; rolled back before anything was sent, it undoes the block's
    waiting writes and nothing before it, and the block goes on inside it."""
    db = site.db
    page, sort, set_sort = deferred_sort(site, "Saved points")

    set_sort(0)                                    # outside a transaction: at once
    with site.transaction():
        assert sort() == 0
        with site.transaction() as inner:          # its SAVEPOINT may still wait here
            set_sort(1)
            inner.rollback()                       # nothing of it reached the server
            set_sort(2)                            # the block goes on inside the savepoint
            with site.transaction() as deeper:
                set_sort(3)
                deeper.rollback()
        assert sort() == 2
        set_sort(4)                                # waiting when the next block opens
        with site.transaction() as inner:
            set_sort(5)
            inner.rollback()                       # the write before the block stays
        assert sort() == 4
        with site.transaction() as inner:
            assert sort() == 4                     # the savepoint went with this read
            set_sort(6)
            inner.rollback()
        assert sort() == 4
    assert sort() == 4
    # A statement that fails inside a block whose savepoint waited undoes the block only.
    with site.transaction():
        set_sort(7)
        assert sort() == 7
        with pytest.raises(peewee.IntegrityError):
            with site.transaction():
                db.execute("INSERT INTO pages_paths (pages_id, path) VALUES (?, ?)",
                           (page.id, "/y/"))
        set_sort(sort() + 1)
    assert sort() == 8


def test_schema_change_inside_transaction_is_refused(site):
    with site.transaction():
        with pytest.raises(cms.SchemaError, match="not allowed inside a transaction"):
            site.fields.add("body", "Textarea")
    assert site.fields.get("body") is None


def test_template_field_and_access_changes_rolled_back_are_forgotten(site, tmp_path):
    """Rows roll back, and so must what this process believes of the schema: a template added
    in a transaction that failed stayed usable here, and its pages broke other processes'
    finds; an access change undone stayed in force here."""
    site.fields.add("body", "Textarea")
    site.users.add_role("member")
    members = site.templates.add("members", fields=["title"])
    members.set_access(view=["member"])
    site.pages.add("members", 1, "club", title="Club")
    site.templates.add("spare")
    label = site.fields["body"].label
    changes = {
        "templates.add": lambda: site.templates.add("tt", fields=["title"]),
        "add_field": lambda: members.add_field("body"),
        "set_fields": lambda: members.set_fields(["title", "body"]),
        "set_settings": lambda: members.set_settings(label="Members"),
        "set_access": lambda: members.set_access(view=["guest"]),
        "templates.delete": lambda: site.templates.delete("spare"),
        "fields.update": lambda: site.fields.update("body", label="Text"),
    }
    for name, change in changes.items():
        with pytest.raises(RuntimeError):
            with site.transaction():
                change()
                raise RuntimeError(name)
        with site.transaction():           # a savepoint rolled back, the transaction goes on
            with pytest.raises(RuntimeError):
                with site.transaction():
                    change()
                    raise RuntimeError(name)
            assert site.templates.get("tt") is None, name
        assert site.templates.get("spare") is not None, name
        current = site.templates["members"]
        assert current.field_names == ["title"] and current.label == "members", name
        assert site.fields["body"].label == label, name
        with site.as_user("guest"):
            assert site.pages.count("template=members") == 0, name
    with pytest.raises(cms.ValidationError):            # the rows are gone: so is the template
        site.pages.add("tt", 1, "x1", title="x")
    other = cms.boot(site.db.url, site_dir=tmp_path)
    try:
        assert other.pages.find("include=all, template=members").ids() == \
            site.pages.find("include=all, template=members").ids()
        assert other.templates["members"].access_roles()["view"] == ["member"]
    finally:
        other.close()
    with site.transaction():               # a change that commits is kept
        members.set_settings(label="Members")
    assert site.templates["members"].label == "Members"


def test_database_clock_is_close_to_ours(site):
    import time
    assert abs(site.db.db_time() - time.time()) < 5


def test_retry_runs_again_after_a_deadlock_like_error(site):
    import peewee
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise peewee.OperationalError("database is locked" if site.db.engine == "sqlite"
                                          else "simulated")
        return "done"

    if site.db.engine == "sqlite":
        assert site.db.retry(flaky) == "done"
        assert len(calls) == 3
    else:
        # Only a real deadlock code is retried on the server engines; anything else is raised.
        with pytest.raises(peewee.OperationalError):
            site.db.retry(flaky)


@pytest.mark.slow
def test_two_processes_booting_at_once_upgrade_once(run_env, tmp_path):
    """Both processes boot a brand-new database together: the schema lock lets one create it."""
    code = ("import cms; from cms import schema; s = cms.boot(); "
            "print(schema.schema_version(s), s.db.scalar('SELECT COUNT(*) FROM pages'))")
    procs = [subprocess.Popen([PYTHON, "-c", code], env=run_env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err
    versions = {out.split()[0] for out, _ in outputs}
    counts = {out.split()[1] for out, _ in outputs}
    assert versions == {str(len(schema.MIGRATIONS))}
    assert len(counts) == 1, "every process sees the same fixed pages, created once"


def test_boot_without_upgrade_refuses_an_old_schema(site, db_url, tmp_path, monkeypatch):
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS + [lambda s: None])
    with pytest.raises(cms.CmsError, match="migrate"):
        cms.boot(db_url, site_dir=tmp_path, upgrade=False)
    upgraded = cms.boot(db_url, site_dir=tmp_path)
    assert schema.schema_version(upgraded) == len(schema.MIGRATIONS)


def test_missing_site_directory_is_reported(tmp_path):
    with pytest.raises(cms.CmsError, match="does not exist"):
        cms.boot(site_dir=tmp_path / "nope")


def test_wire_in_a_thread_reads_the_site_that_thread_booted(site, db_url, tmp_path):
    import threading
    seen = {}

    def own_boot():
        own = cms.boot(db_url, site_dir=tmp_path)
        seen["thread"] = cms.wire() is own
        own.close()

    other = threading.Thread(target=own_boot)
    other.start()
    other.join()
    assert seen["thread"]
    assert cms.wire() is site        # this thread still reads the site it booted


def test_word_pattern_reads_separators_alike_on_every_engine(site):
    """The `~=` boundaries as the seam's regex sees them in a real column: each separator (all
    whitespace, ASCII punctuation) ends a word; any other character, of any script, does not."""
    from cms.selectors.compiler import word_pattern
    from cms.selectors.plan import WORD_SEPARATORS
    others = ("aZ09\x7f\u00df\u00e9\u00c9\u0301\u00b7\u00bf\u00d7\u2014\u2019\u00ab\u200b\ufeff"
              "\u4e2d\uff01\U0001F600")
    db = site.db
    db.create_table("regex_probe", "id {INT}, txt {TEXT}")
    texts = {}
    with site.transaction():
        for char in WORD_SEPARATORS + others:
            for text in (f"foo{char}x", f"x{char}foo"):
                texts[len(texts)] = text
                db.execute("INSERT INTO regex_probe (id, txt) VALUES (?, ?)", (len(texts) - 1, text))
    matched = {row[0] for row in db.all(f"SELECT id FROM regex_probe WHERE {db.regex_sql('txt')}",
                                        (word_pattern("foo"),))}
    assert {texts[i] for i in matched} == {text for text in texts.values()
                                           if any(c in WORD_SEPARATORS for c in text)}


def test_a_sqlite_url_may_ask_for_full_durability(tmp_path):
    db = connect(f"sqlite:///{tmp_path}/full.db?synchronous=full")
    assert db.path == f"{tmp_path}/full.db"
    assert db.scalar("PRAGMA synchronous") == 2            # FULL: an fsync per commit
    db.close()
    db = connect(f"sqlite:///{tmp_path}/normal.db")
    assert db.scalar("PRAGMA synchronous") == 1            # NORMAL, the default
    db.close()


@pytest.mark.parametrize("query, message", [("synchronous=off", "use normal"),
                                            ("journal=delete", "unknown SQLite URL option")])
def test_a_bad_sqlite_url_option_is_a_clear_error_and_creates_nothing(tmp_path, query, message):
    with pytest.raises(cms.DatabaseError, match=message):
        connect(f"sqlite:///{tmp_path}/site.db?{query}")
    assert not (tmp_path / "site.db").exists()


@pytest.mark.parametrize("url, message", [
    ("postgresql://u:secret@db.example/site?ssl=on", "unknown PostgreSQL URL option"),
    ("postgresql://u:secret@db.example/site?sslmode=requir", "use disable, allow, prefer"),
    ("mysql://u:secret@db.example/site?sslmode=require", "the options are ssl_mode, ssl_ca"),
    ("mysql://u:secret@db.example/site?ssl_mode=on", "use disabled, preferred, required"),
    ("mysql://u:secret@db.example/site?connect_timeout=0", "a whole number of seconds"),
])
def test_a_misspelt_server_url_option_is_refused_before_connecting(url, message):
    """An option the engine does not take (a typo of `sslmode` among them) is an error, not a
    connection made without what it asked for; the password stays out of the message."""
    with pytest.raises(cms.DatabaseError, match=message) as err:
        connect(url)
    assert "secret" not in str(err.value) and "cannot connect" not in str(err.value)


def test_mariadb_tls_follows_mysqls_ssl_modes_and_stays_off_on_loopback():
    from cms.db.url import mariadb_options
    assert mariadb_options("", "mysql://h/db", "127.0.0.1") == {"ssl_disabled": True}
    assert mariadb_options("", "mysql://h/db", "localhost") == {"ssl_disabled": True}
    assert mariadb_options("", "mysql://h/db", "db.example") == {}         # PyMySQL's preferred
    assert mariadb_options("ssl_mode=DISABLED", "mysql://h/db", "db.example") == {"ssl_disabled": True}
    required = mariadb_options("ssl_mode=required&connect_timeout=5", "mysql://h/db", "127.0.0.1")
    assert required["connect_timeout"] == 5
    assert (required["ssl"].verify_mode, required["ssl"].check_hostname) == (ssl.CERT_NONE, False)
    verify_ca = mariadb_options("ssl_mode=verify_ca", "mysql://h/db", "db.example")["ssl"]
    assert (verify_ca.verify_mode, verify_ca.check_hostname) == (ssl.CERT_REQUIRED, False)
    identity = mariadb_options("ssl_mode=verify_identity", "mysql://h/db", "db.example")["ssl"]
    assert (identity.verify_mode, identity.check_hostname) == (ssl.CERT_REQUIRED, True)


@pytest.mark.skipif(ENGINE == "sqlite", reason="a server engine's TLS")
def test_a_server_url_that_requires_tls_is_refused_by_a_server_without_it(db_url):
    """The test servers run without TLS: asking for it must fail, not fall back to plain."""
    option = "sslmode=require" if ENGINE == "postgresql" else "ssl_mode=required"
    with pytest.raises(cms.DatabaseError, match="cannot connect"):
        connect(f"{db_url}?{option}")
    option = "sslmode=prefer&application_name=cms-test" if ENGINE == "postgresql" else "ssl_mode=preferred"
    db = connect(f"{db_url}?{option}")
    try:
        assert db.scalar("SELECT 1") == 1
        if ENGINE == "postgresql":
            assert db.scalar("SELECT current_setting('application_name')") == "cms-test"
    finally:
        db.close()


def test_a_writer_waiting_for_sqlites_lock_is_seen_and_gets_in(tmp_path):
    """A transaction that finds the write lock taken polls for it and says so meanwhile
    (`LockWaiters`), so that a busy runner pauses for it; once the lock frees it commits."""
    import sqlite3
    import threading
    import time

    url = f"sqlite:///{tmp_path}/site.db"
    db = connect(url)
    db.execute("CREATE TABLE t (n INTEGER)")
    waiters = db.pw.waiters
    assert waiters.any() is False
    holder = sqlite3.connect(f"{tmp_path}/site.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")                 # another process's long transaction
    done = threading.Event()

    def write():
        other = connect(url)
        with other.transaction():
            other.execute("INSERT INTO t VALUES (1)")
        other.close()
        done.set()

    thread = threading.Thread(target=write)
    thread.start()
    deadline = time.monotonic() + 10
    while not waiters.any() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert waiters.any() is True and not done.is_set()
    holder.execute("COMMIT")
    thread.join(10)
    assert done.is_set() and db.scalar("SELECT COUNT(*) FROM t") == 1
    assert waiters.any() is False                      # the waiter let go
    holder.close()
    db.close()


def test_a_write_outside_a_transaction_waits_for_the_lock_as_a_transaction_does(tmp_path):
    """An autocommit write (LazyCron marking a run, a lease let go) polls for the lock and says
    so, so that a busy runner pauses for it; in SQLite's busy handler it was starved by a
    running step's short breaks and failed after 10 s. Its rowcount reads as usual."""
    import sqlite3
    import threading
    import time

    url = f"sqlite:///{tmp_path}/site.db"
    db = connect(url)
    db.execute("CREATE TABLE t (n INTEGER)")
    db.execute("INSERT INTO t VALUES (0)")
    holder = sqlite3.connect(f"{tmp_path}/site.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    changed: list[int] = []

    def write():
        other = connect(url)
        changed.append(other.execute("UPDATE t SET n = n + 1").rowcount)
        other.close()

    thread = threading.Thread(target=write)
    thread.start()
    deadline = time.monotonic() + 10
    while not db.pw.waiters.any() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert db.pw.waiters.any() is True and changed == []
    holder.execute("COMMIT")
    thread.join(10)
    assert changed == [1] and db.scalar("SELECT n FROM t") == 1
    assert db.pw.waiters.any() is False
    holder.close()
    db.close()


def test_upgrade_6_rebuilds_folds_so_accents_are_ignored(site):
    """A site made before folds ignored accents finds "Café" by "cafe" after the upgrade."""
    page = site.pages.add("basic-page", 1, "cafe", title="Café")
    site.db.execute("UPDATE field_title SET fold = ? WHERE pages_id = ?", ("café", page.id))
    schema.set_meta(site, "schema_version", 5)
    assert site.selectors.count("title=cafe") == 0
    assert schema.upgrade(site) == list(range(6, len(schema.MIGRATIONS) + 1))
    assert site.selectors.count("title=cafe") == 1
    assert site.db.scalar("SELECT fold FROM field_title WHERE pages_id = 1") == "HOME"


def test_upgrade_10_folds_in_upper_case_so_text_sorts_as_processwire_sorts_it(site):
    """A site folded in lower case sorted "Item_2" before "ItemB" (0x5F < 0x62); after the
    upgrade its folds are upper case and "_" comes after the letters, as in MySQL's
    utf8mb4_general_ci."""
    for title in ("Item_2", "ItemB", "Item 3"):
        site.pages.add("basic-page", 1, title=title)
    site.db.execute("UPDATE field_title SET fold = LOWER(data)")
    schema.set_meta(site, "schema_version", 9)
    assert schema.upgrade(site) == list(range(10, len(schema.MIGRATIONS) + 1))
    assert site.db.scalar("SELECT COUNT(*) FROM field_title WHERE fold <> UPPER(data)") == 0
    found = site.pages.find("title^=item, sort=title")
    assert [page.title for page in found] == ["Item 3", "ItemB", "Item_2"]
    assert [page.title for page in site.pages.find("title=item_2")] == ["Item_2"]


def test_upgrade_7_moves_the_three_kinds_of_lock_to_one_leases_table(site):
    """A site of version 6: LazyCron's lock columns, the lazy runner's table made at run time.
    After the upgrade both are gone, and leases work on the new table."""
    site.db.ddl("DROP TABLE leases")
    site.db.ddl("ALTER TABLE lazycron ADD COLUMN lock_until {FLOAT} NOT NULL DEFAULT 0")
    site.db.ddl("ALTER TABLE lazycron ADD COLUMN lock_owner {NAME} NOT NULL DEFAULT ''")
    site.db.ddl("CREATE TABLE tasker_runner_locks (name {NAME} NOT NULL PRIMARY KEY, "
                "owner {NAME} NOT NULL, until {FLOAT} NOT NULL)")
    site.db.execute("INSERT INTO lazycron (name, last_run) VALUES ('every_hour', 5)")
    schema.set_meta(site, "schema_version", 6)
    assert schema.upgrade(site) == list(range(7, len(schema.MIGRATIONS) + 1))
    columns = {column.name for column in site.db.pw.get_columns("lazycron")}
    assert columns == {"name", "last_run"}
    assert site.db.scalar("SELECT last_run FROM lazycron WHERE name = 'every_hour'") == 5
    assert not site.db.table_exists("tasker_runner_locks")
    assert site.leases.take("a-job", "me", 30) and not site.leases.take("a-job", "you", 30)
    assert site.leases.holder("a-job") == "me"
    assert site.leases.release("a-job", "me") and site.leases.take("a-job", "you", 30)


def newest_plan(site, parent_id: int) -> str:
    """How SQLite runs `parent=X, template=post, sort=-created, limit=20` on this connection
    (after running it: a connection reloads new statistics at its next statement)."""
    selector = f"parent={parent_id}, template=post, sort=-created, limit=20"
    site.selectors.select(selector)
    sql, params = site.selectors.compiler.select(site.selectors.plan(selector), 20, 0)
    return " ".join(row[-1] for row in site.db.all("EXPLAIN QUERY PLAN " + sql, params))


def test_sqlite_statistics_follow_a_large_import_to_every_connection(tmp_path):
    url = f"sqlite:///{tmp_path}/site.db"
    site = cms.boot(url, site_dir=tmp_path)
    site.templates.add("post", fields=["title"])
    server = cms.boot(url, site_dir=tmp_path)           # open before the import, kept open
    reading = site.db.execute("SELECT id FROM pages")   # a read still open during the commit
    reading.fetchone()
    with site.transaction():
        parent = site.pages.add("post", 1, "news", title="News")
        for i in range(2000):
            site.pages.add("post", parent, f"n{i}", title=f"News {i}")
        # no statistics yet: SQLite would read every child and sort them
        assert "TEMP B-TREE FOR ORDER BY" in newest_plan(site, parent.id)
    for connection in (site, server, cms.boot(url, site_dir=tmp_path)):
        plan = newest_plan(connection, parent.id)
        assert "pages_parent_id_templates_id_created" in plan and "TEMP B-TREE" not in plan
    analyzed = {row[0] for row in site.db.all("SELECT tbl FROM sqlite_stat1")}
    assert {"pages", "pages_paths", "field_title"} <= analyzed     # all tables, not pages alone
    assert site.db.all("SELECT name FROM sqlite_master WHERE name LIKE 'cms_reload%'") == []
    site.close()
    server.close()


def sorts_read_in_index_order(site, selector: str) -> bool:
    """Does the engine read `selector`'s pages in its order from an index (no sort of every
    match), as its plan says?"""
    site.selectors.select(selector)
    sql, params = site.selectors.compiler.select(site.selectors.plan(selector), 20, 0)
    if ENGINE == "sqlite":
        rows = site.db.all("EXPLAIN QUERY PLAN " + sql, params)
        return not any("TEMP B-TREE" in row[-1] for row in rows)
    rows = site.db.all("EXPLAIN " + sql, params)
    if ENGINE == "postgresql":
        return not any("Sort" in row[0] for row in rows)
    return not any("filesort" in str(row[-1] or "") for row in rows)


def test_a_young_parent_is_read_in_order_from_an_index_on_every_engine(site):
    """A parent with thousands of children added in one transaction, before the engine's
    statistics know of them (PostgreSQL's autovacuum has not analyzed the table): its newest of
    one template are read from an index, 20 entries, not every child sorted; once analyzed,
    its children in their order and a template's newest too. PostgreSQL needs the id (every
    sort's tie-breaker) in those indexes: without it, it sorted every child for the first
    find, and for the others took another index with a sort after each ANALYZE. SQLite and
    InnoDB have the id there already."""
    site.templates.add("post", fields=["title"])
    with site.transaction():
        parent = site.pages.add("post", 1, "news", title="News")
        for i in range(1500):
            site.pages.add("post" if i % 3 else "basic-page", parent, f"n{i}", title=f"News {i}")
    newest = f"parent={parent.id}, template=post, sort=-created, limit=20"
    assert sorts_read_in_index_order(site, newest)
    if ENGINE != "sqlite":                  # (SQLite's statistics are kept at the commit)
        site.db.execute("ANALYZE pages" if ENGINE == "postgresql" else "ANALYZE TABLE pages")
    for selector in (newest, f"parent={parent.id}, sort=sort, limit=20",
                     "template=post, sort=-created, limit=20"):
        assert sorts_read_in_index_order(site, selector), selector
    found = site.pages.find(f"parent={parent.id}, template=post, sort=-created, limit=3")
    assert [p.name for p in found] == ["n1499", "n1498", "n1496"]      # ties broken by id


def test_pages_loaded_by_id_read_their_paths_and_titles_by_index_on_every_engine(site):
    """Twenty pages of a site of thousands, loaded as every find loads its pages: their paths
    and titles are looked up by index, not joined by reading whole tables (PostgreSQL hashed
    all of `pages_paths` and `field_title` for them, statistics current or not: 1.8 ms against
    0.07 ms for 20 of 6,000)."""
    from cms.pages import SELECT_PAGES
    site.templates.add("post", fields=["title"])
    with site.transaction():
        parent = site.pages.add("post", 1, "news", title="News")
        for i in range(3000):
            site.pages.add("post", parent, f"n{i}", title=f"News {i}")
    ids = site.pages.find_ids(f"parent={parent.id}, sort=-created, limit=20")
    sql = SELECT_PAGES + f" WHERE p.id IN ({', '.join('?' * len(ids))})"
    assert whole_table_reads(site, sql, ids, ("p", "pp", "ti")) == []
    pages = site.pages.get_many(ids)
    assert [(p.name, p.path, p.title) for p in pages[:2]] == [
        ("n2999", "/news/n2999/", "News 2999"), ("n2998", "/news/n2998/", "News 2998")]


def messages_sent(site, monkeypatch) -> list[str]:
    """The texts the site's connection sends the server from now on, one per message (until
    monkeypatch.undo())."""
    sent: list[str] = []
    cursor_of = site.db.pw.cursor

    def counting_cursor(*args, **kwargs):
        cursor = cursor_of(*args, **kwargs)

        class Counting:
            def __getattr__(self, name):
                return getattr(cursor, name)

            def execute(self, text, params=None):
                sent.append(text)
                return cursor.execute(text, params)
        return Counting()

    monkeypatch.setattr(site.db.pw, "cursor", counting_cursor)
    return sent


@pytest.mark.skipif(ENGINE == "sqlite", reason="a server engine's round trips")
def test_a_page_add_sends_its_rows_in_one_message_on_a_server_engine(site, monkeypatch):
    """A page's path, title and other fields go to the server in one message: on loopback a
    round trip costs 0.1-0.5 ms, more than the insert itself."""
    site.fields.add("body", "Textarea", label="Body")
    site.fields.add("rank", "Integer")
    site.templates.add("post", fields=["title", "body", "rank"])
    parent = site.pages.add("post", 1, "news", title="News")
    sent = messages_sent(site, monkeypatch)
    with site.transaction():
        site.pages.add("post", parent, "zero", title="Zero", body="Text", rank=1)
        sent.clear()                     # (PostgreSQL has prepared the writes by now)
        page = site.pages.add("post", parent, "first", title="First", body="Text", rank=3)
        adding = list(sent)
    # the parent and name checked, the page, then its four rows (path, title, body, rank:
    # prepared writes on PostgreSQL, whose texts say only EXECUTE) in one message
    assert len(adding) == 3, adding
    assert adding[-1].count("; ") == 3 and "field_rank" in adding[-1], adding
    monkeypatch.undo()
    assert (page.path, page.title, page.body, page.rank) == ("/news/first/", "First", "Text", 3)
    assert site.pages.get("/news/first/").body == "Text"


@pytest.mark.skipif(ENGINE == "sqlite", reason="a server engine's messages")
def test_many_statements_go_in_messages_of_a_hundred(site, monkeypatch):
    """A reorder of thousands of children writes a row each: in one message those could pass
    MariaDB's max_allowed_packet (16 MB), so execute_each sends them a hundred at a time."""
    from cms.db.server import MESSAGE_STATEMENTS
    with site.transaction():
        sent = messages_sent(site, monkeypatch)
        site.db.execute_each([("INSERT INTO meta (name, value) VALUES (?, ?)", (f"k{i}", "1"))
                              for i in range(250)])
        monkeypatch.undo()
    assert MESSAGE_STATEMENTS == 100
    writes = [text for text in sent if not text.startswith("PREPARE ")]   # (PostgreSQL's, once)
    assert [text.count("; ") + 1 for text in writes] == [100, 100, 50]
    assert site.db.scalar("SELECT COUNT(*) FROM meta WHERE name LIKE 'k%'") == 250


def test_small_sqlite_commits_do_not_look_at_statistics(tmp_path, monkeypatch):
    from cms.db.sqlite import PlannerStatistics
    looked: list[object] = []
    monkeypatch.setattr(PlannerStatistics, "refresh", staticmethod(lambda conn: looked.append(conn)))
    site = cms.boot(f"sqlite:///{tmp_path}/site.db", site_dir=tmp_path)
    looked.clear()                                       # (booting a new site may add enough)
    for i in range(20):
        site.pages.add("basic-page", 1, f"p{i}", title=f"Page {i}")
    assert looked == []
    with site.transaction():
        for i in range(400):
            site.pages.add("basic-page", 1, f"q{i}", title=f"Page {i}")
    assert len(looked) == 1
    site.close()


def test_an_empty_table_a_runner_reads_does_not_make_every_check_analyze_again(tmp_path):
    """ANALYZE writes no statistics for an empty table, and `PRAGMA optimize` asks for one it
    read again and again (tasker_deps, read by every claim): the refresh gives it statistics
    of one row, so the next check finds nothing to do, until the table has grown."""
    from cms.db.sqlite import PlannerStatistics
    site = cms.boot(f"sqlite:///{tmp_path}/site.db", site_dir=tmp_path)
    site.modules.get("Tasker")
    conn = site.db.pw.connection()
    if conn.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
        conn.execute("DELETE FROM sqlite_stat1")             # as a site that never analyzed
        conn.execute("ANALYZE sqlite_schema")
    conn.execute("SELECT 1 FROM tasker_deps WHERE pages_id = 1").fetchall()
    assert PlannerStatistics.refresh(conn) is True
    assert ("tasker_deps", "sqlite_autoindex_tasker_deps_1", "1 1 1") in conn.execute(
        "SELECT tbl, idx, stat FROM sqlite_stat1").fetchall()
    conn.execute("SELECT 1 FROM tasker_deps WHERE pages_id = 1").fetchall()
    assert PlannerStatistics.refresh(conn) is False          # nothing stale: no second ANALYZE
    conn.execute("PRAGMA foreign_keys = OFF")                # rows of no real task will do
    conn.executemany("INSERT INTO tasker_deps (pages_id, depends_on) VALUES (?, ?)",
                     [(i, i + 1) for i in range(1, 100)])
    conn.execute("SELECT 1 FROM tasker_deps WHERE pages_id = 1").fetchall()
    assert PlannerStatistics.refresh(conn) is True           # grown 25-fold: analyzed again
    assert conn.execute("SELECT stat FROM sqlite_stat1 WHERE idx = 'sqlite_autoindex_tasker_deps_1'"
                        ).fetchone()[0].startswith("99 ")
    site.close()


def test_a_prepared_statement_answers_as_the_statement_does(site):
    """`one_prepared` on every engine; on PostgreSQL it is prepared once per connection, and
    stays prepared through a rollback (a session's prepared statements are not transactional)
    but not through a new connection."""
    db = site.db
    text = "SELECT id, name FROM pages WHERE id = ? AND status < ?"
    assert db.one_prepared("cms_test_page", text, (1, 10**6)) == db.one(text, (1, 10**6))
    with pytest.raises(RuntimeError), db.transaction():
        assert db.one_prepared("cms_test_page", text, (1, 10**6))[0] == 1
        raise RuntimeError("rolled back")
    assert db.one_prepared("cms_test_page", text, (99999, 10**6)) is None
    if ENGINE != "postgresql":
        return
    prepared = "SELECT COUNT(*) FROM pg_prepared_statements WHERE name = 'cms_test_page'"
    assert db.scalar(prepared) == 1
    db.reconnect()
    assert db.scalar(prepared) == 0
    assert db.one_prepared("cms_test_page", text, (1, 10**6))[0] == 1
    assert db.scalar(prepared) == 1
    db.prepare = False                     # CMS_PG_PREPARE=0: behind a transaction pooler
    db.reconnect()
    assert db.one_prepared("cms_test_page", text, (1, 10**6))[0] == 1
    assert db.scalar(prepared) == 0


def test_deferred_writes_are_prepared_once_per_connection_on_postgresql(site):
    """On PostgreSQL a deferred write is prepared at its first use on a connection and waits
    as an EXECUTE; a rollback keeps it prepared, a new connection prepares it again, and
    CMS_PG_PREPARE=0 sends the text as it is. Elsewhere `defer` means what it always did."""
    db = site.db
    _, sort, set_sort = deferred_sort(site, "Prepared writes")

    written = ("SELECT COUNT(*) FROM pg_prepared_statements WHERE statement LIKE "
               "'%UPDATE pages SET sort = $1 WHERE id = $2'")
    for attempt in range(2):
        with db.transaction():
            set_sort(3 + attempt)
            set_sort(5 + attempt)                # the same write: prepared once
        assert sort() == 5 + attempt
        if ENGINE == "postgresql":
            assert db.scalar(written) == 1
    with pytest.raises(RuntimeError), db.transaction():
        set_sort(9)
        raise RuntimeError("rolled back")
    assert sort() == 6
    if ENGINE != "postgresql":
        return
    assert db.scalar(written) == 1           # prepared statements outlive a rollback
    db.reconnect()
    assert db.scalar(written) == 0
    with db.transaction():
        set_sort(7)
    assert sort() == 7 and db.scalar(written) == 1
    db.prepare = False                       # CMS_PG_PREPARE=0
    db.reconnect()
    with db.transaction():
        set_sort(8)
    assert sort() == 8 and db.scalar(written) == 0


@pytest.mark.skipif(ENGINE != "postgresql", reason="PostgreSQL's session keepalives")
def test_postgresql_sessions_probe_a_dead_peer_within_a_minute_after_a_reconnect_too(site):
    """A machine that died mid-step (power, network) left its session holding the task's row
    lock, which the reaper and every claim pass by, for the OS's two hours of keepalive; a
    runner waited as long on a dead server. Both ends now probe after 30 s idle."""
    db = site.db
    for _ in range(2):
        assert (db.scalar("SHOW tcp_keepalives_idle"), db.scalar("SHOW tcp_keepalives_interval"),
                db.scalar("SHOW tcp_keepalives_count")) == ("30", "10", "3")
        info = db.pw.connection().info
        assert (info.dsn_parameters.get("keepalives_idle"), info.dsn_parameters.get("keepalives_count")) \
            == ("30", "3")
        assert db.scalar("SHOW timezone") == "UTC"
        db.reconnect()


@pytest.mark.skipif(ENGINE != "sqlite", reason="SQLite's one write lock")
def test_a_write_that_waits_out_the_lock_timeout_is_a_database_busy_cms_error(site, monkeypatch):
    """A page save while another process holds SQLite's write lock (a task step that does not
    save) raised the driver's own sqlite3.OperationalError, outside the CmsError family; it is a
    DatabaseBusy saying what happened, and nothing was written."""
    import sqlite3

    from cms.errors import CmsError, DatabaseBusy
    page = site.pages.add("basic-page", 1, "kept", title="Kept")
    monkeypatch.setattr(site.db.pw, "lock_timeout", 0.2)
    other = sqlite3.connect(site.db.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        page.title = "Changed"
        with pytest.raises(DatabaseBusy, match="held the SQLite database's write lock for more "
                                               "than 0.2 s.*nothing was written, try again"):
            page.save()
        with pytest.raises(DatabaseBusy):
            site.db.execute("UPDATE pages SET sort = 5 WHERE id = ?", (page.id,))
        assert issubclass(DatabaseBusy, CmsError)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert site.pages.get(page.id).title == "Kept"
    page.save()
    assert site.pages.get(page.id).title == "Changed"
