"""The title's trigram index (cms/textindex.py): `title%=word` answers exactly as the scan does,
on every engine, and on SQLite (and PostgreSQL with pg_trgm) reads the index instead of every
title."""
from __future__ import annotations

import pytest
from conftest import ENGINE
from tasker_support import install_jobs, make_task

from cms import schema, textindex
from cms.fieldtypes import fold

TITLES = ["Café au lait", "CAFE NOIR", "Crème brûlée", "100% sure", "under_score", 'say "hi"',
          "it's", "Straße", "a", "ab", "abc", "xabcx", "Hello World", "hello   world", "ÅNGSTRÖM",
          "emoji 😀 smile", "tab\there", "C:\\path\\x", "percent%sign", "naïve café"]
NEEDLES = ["cafe", "café", "CAFÉ", "caf", "ca", "c", "%", "_", "100%", "r_s", '"hi"', "'s", "ss",
           "strasse", "abc", "ab", "lo wo", "o   w", "angst", "😀", "\\path", "ent%s", "e b",
           "zzz", "aïve", "ve ca", "tab\th"]


@pytest.fixture
def titled(site):
    site.templates.add("note", fields=["title"])
    pages = {site.pages.add("note", 1, title=title).id: title for title in TITLES}
    return site, pages


def expected(pages: dict[int, str], needle: str) -> list[int]:
    return sorted(pid for pid, title in pages.items() if fold(needle) in fold(title))


def found(site, needle: str) -> list[int]:
    quoted = '"' + needle.replace('"', '\\"') + '"'
    return sorted(page.id for page in site.pages.find(f"template=note, title%={quoted}"))


def test_a_substring_find_answers_as_the_scan_on_awkward_titles(titled):
    site, pages = titled
    for needle in NEEDLES:
        assert found(site, needle) == expected(pages, needle), needle


def test_the_index_follows_renames_and_deletes(titled):
    site, pages = titled
    page = site.pages.get(next(pid for pid, title in pages.items() if title == "Hello World"))
    page.title = "Goodbye Moon"
    page.save()
    assert found(site, "hello") == [pid for pid, t in sorted(pages.items()) if t == "hello   world"]
    assert found(site, "goodbye") == [page.id]
    site.pages.delete(page)
    assert found(site, "goodbye") == [] and found(site, "moon") == []
    with site.transaction():
        added = site.pages.add("note", 1, title="Added in a transaction: gizmo")
        assert found(site, "gizmo") == [added.id]       # seen inside it already
    assert found(site, "gizmo") == [added.id]


@pytest.mark.skipif(ENGINE != "sqlite", reason="SQLite's FTS5 trigram table")
def test_sqlite_reads_the_trigram_table_for_three_characters_or_more(titled):
    site, _ = titled

    def plan(needle: str) -> str:
        query = site.selectors.plan(f"template=note, title%={needle}")
        sql, params = site.selectors.compiler.select(query, 25, 0)
        return " ".join(row[-1] for row in site.db.all("EXPLAIN QUERY PLAN " + sql, params))

    assert "VIRTUAL TABLE" in plan("cafe")
    assert "VIRTUAL TABLE" not in plan("ca")          # no trigram in two characters: the scan


@pytest.mark.skipif(ENGINE != "sqlite", reason="the SQLite upgrade builds the FTS5 table")
def test_upgrade_8_builds_the_index_over_the_titles_already_there(titled):
    site, pages = titled
    name = textindex.table("title")
    for trigger in ("drop", "change"):
        site.db.ddl(f"DROP TRIGGER {name}_{trigger}")
    site.db.ddl(f"DROP TABLE {name}")
    site.db.ddl(f"DROP TABLE {textindex.pending_table('title')}")
    schema.set_meta(site, "schema_version", 7)
    assert schema.upgrade(site) == list(range(8, len(schema.MIGRATIONS) + 1))
    assert site.db.scalar(f"SELECT COUNT(*) FROM {name} WHERE {name} MATCH ?",
                          (textindex.phrase("cafe"),)) == len(expected(pages, "cafe"))
    assert found(site, "café") == expected(pages, "café")


def fts_intact(site) -> bool:
    """FTS5's own check of the index against field_title (external content: rank 1), once the
    pending rows are in it (the check counts a row not yet in the index as damage). A delete
    of an entry the index does not hold fails it ("database disk image is malformed")."""
    name = textindex.table("title")
    with site.transaction():
        textindex.flush(site.db, "title")
    site.db.execute(f"INSERT INTO {name} ({name}, rank) VALUES ('integrity-check', 1)")
    return True


def pending_count(site) -> int:
    return site.db.scalar(f"SELECT COUNT(*) FROM {textindex.pending_table('title')}")


@pytest.mark.skipif(ENGINE != "sqlite", reason="SQLite's FTS5 pending list")
def test_titles_wait_in_the_pending_list_are_found_and_move_into_the_index_in_batches(titled):
    site, pages = titled
    assert 0 < pending_count(site) < textindex.FLUSH_EVERY     # the 20 titles, queued
    assert found(site, "cafe") == expected(pages, "cafe")      # found while pending
    # renames and deletes of pending rows leave FTS5 nothing it does not hold
    renamed = site.pages.get(next(iter(pages)))
    renamed.title = "Renamed while pending: wombat"
    renamed.save()
    pages[renamed.id] = renamed.title
    deleted = next(pid for pid in pages if pid != renamed.id)
    site.pages.delete(site.pages.get(deleted))
    del pages[deleted]
    for n in range(textindex.FLUSH_EVERY):
        added = site.pages.add("note", 1, title=f"Batch title {n} wombat")
        pages[added.id] = added.title
    assert pending_count(site) < textindex.FLUSH_EVERY           # moved in one batch
    indexed = site.db.scalar(f"SELECT COUNT(*) FROM {textindex.table('title')}_docsize")
    assert indexed >= textindex.FLUSH_EVERY
    assert fts_intact(site)
    # and the rows indexed now change and leave through the triggers
    renamed = site.pages.get(renamed.id)
    renamed.title = "Renamed after the move: quokka"
    renamed.save()
    pages[renamed.id] = renamed.title
    del pages[added.id]
    site.pages.delete(site.pages.get(added.id))
    assert fts_intact(site)
    for needle in ("wombat", "quokka", "batch title 1", "cafe", "pending"):
        assert found(site, needle) == expected(pages, needle), needle
    from cms.integrity import check_site
    assert check_site(site) == []


@pytest.mark.skipif(ENGINE != "sqlite", reason="SQLite's FTS5 pending list")
def test_a_step_that_commits_at_milestones_lets_titles_wait_then_moves_them_at_its_end(titled):
    # each commit that moved titles writes an FTS5 segment: a step committing every 50
    # records keeps them pending until its end (up to BULK_FLUSH_EVERY), then moves them all
    site, pages = titled
    tasker = install_jobs(site)
    task = make_task(tasker, total=300, every=50)
    seen: list[int] = []
    site.pages.add_hook_after("added", lambda event: seen.append(pending_count(site)))
    assert tasker.execute_task(task, {"timeout": 0, "invoker": "test"})
    assert len(seen) == 300 and max(seen) >= 300 - textindex.FLUSH_EVERY    # never moved at 64
    assert pending_count(site) == 0                                         # moved at the end
    assert site.pages.text_index.flush_every == textindex.FLUSH_EVERY
    assert fts_intact(site)
    assert len(site.pages.find("title%=record 29")) == 11                  # 29, 290-299
    assert found(site, "cafe") == expected(pages, "cafe")


@pytest.mark.skipif(ENGINE != "sqlite", reason="SQLite's FTS5 pending list")
def test_a_failed_save_leaves_the_pending_list_as_it_was(titled):
    site, pages = titled
    before = pending_count(site)
    with pytest.raises(RuntimeError), site.transaction():
        for n in range(textindex.FLUSH_EVERY + 5):      # a move happens inside, then undone
            site.pages.add("note", 1, title=f"Rolled back {n}")
        raise RuntimeError("the caller gives up")
    assert pending_count(site) == before
    assert found(site, "rolled back") == []
    assert fts_intact(site)


@pytest.mark.skipif(ENGINE != "sqlite", reason="SQLite's FTS5 pending list")
def test_the_move_reads_the_list_and_looks_each_title_up(titled):
    """Driven by the field's table instead, a move in a bulk import costs more at every row."""
    site, _ = titled
    plan = [row[-1] for row in site.db.all("EXPLAIN QUERY PLAN " + textindex.flush_sql("title"))]
    assert any(step.startswith("SCAN p") for step in plan), plan
    assert any(step.startswith("SEARCH t USING INTEGER PRIMARY KEY") for step in plan), plan


@pytest.mark.skipif(ENGINE != "sqlite", reason="the SQLite upgrade adds the pending list")
def test_upgrade_9_gives_an_index_of_upgrade_8_its_pending_list(titled):
    site, pages = titled
    name, pending = textindex.table("title"), textindex.pending_table("title")
    textindex.flush(site.db, "title")
    for trigger in ("drop", "change"):               # the triggers of upgrade 8
        site.db.ddl(f"DROP TRIGGER {name}_{trigger}")
    site.db.ddl(f"DROP TABLE {pending}")
    site.db.ddl(f"CREATE TRIGGER {name}_drop AFTER DELETE ON field_title BEGIN INSERT INTO "
                f"{name} ({name}, rowid, fold) VALUES ('delete', old.pages_id, old.fold); END")
    schema.set_meta(site, "schema_version", 8)
    assert schema.upgrade(site) == list(range(9, len(schema.MIGRATIONS) + 1))
    assert pending_count(site) == 0
    added = site.pages.add("note", 1, title="After the upgrade: cafe")
    pages[added.id] = added.title
    assert pending_count(site) == 1
    del pages[added.id]
    site.pages.delete(added)
    assert found(site, "cafe") == expected(pages, "cafe")
    assert fts_intact(site)


@pytest.mark.skipif(ENGINE != "postgresql", reason="PostgreSQL's pg_trgm index")
def test_postgresql_has_a_trigram_index_on_the_title(titled):
    site, _ = titled
    indexes = {row[0] for row in site.db.all(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'field_title'")}
    assert textindex.table("title") in indexes


@pytest.mark.skipif(ENGINE != "sqlite", reason="SQLite's FTS5 table")
def test_the_check_finds_titles_written_around_the_index_and_repair_rebuilds_it(titled):
    site, pages = titled
    from cms.integrity import check_site
    assert check_site(site) == []
    bare = site.pages.add("basic-page", 1, "bare", title="Bare")
    site.db.execute("DELETE FROM field_title WHERE pages_id = ?", (bare.id,))   # via trigger
    site.db.execute("INSERT INTO field_title (pages_id, data, fold) VALUES (?, ?, ?)",
                    (bare.id, "Wombat", "wombat"))                             # around Pages
    assert [p.kind for p in check_site(site)] == ["index"]
    assert [p.repaired for p in check_site(site, repair=True)] == [True]
    assert check_site(site) == []
    assert [page.id for page in site.pages.find("title%=wombat")] == [bare.id]
