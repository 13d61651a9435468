"""The change stamp (cms/db/walstamp.py): it differs after every commit by anyone, and only
then; where it cannot know, there is none."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest
from conftest import ENGINE

from cms.db import connect

sqlite_only = pytest.mark.skipif(ENGINE != "sqlite", reason="SQLite's WAL index")


def commit_elsewhere(path: str) -> None:
    """A commit on a connection of its own, as another thread or process makes one."""
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("CREATE TABLE IF NOT EXISTS probe (n INTEGER)")
        conn.execute("INSERT INTO probe VALUES (1)")
    conn.close()


def test_no_stamp_where_the_engine_has_none(site, tmp_path):
    if ENGINE == "sqlite":
        memory = connect("sqlite:///:memory:")
        assert memory.change_stamp() is None
        memory.close()
    else:
        assert site.db.change_stamp() is None


@sqlite_only
def test_a_commit_by_another_connection_changes_it_and_nothing_else_does(site):
    before = site.db.change_stamp()
    assert isinstance(before, bytes) and before.startswith(os.fsencode(site.db.path))
    site.pages.get(1)
    assert site.db.change_stamp() == before             # a read commits nothing
    commit_elsewhere(site.db.path)
    after = site.db.change_stamp()
    assert after is not None and after != before
    assert site.db.change_stamp() == after


@sqlite_only
def test_it_holds_no_read_that_would_stop_a_checkpoint(site):
    assert site.db.change_stamp() is not None
    commit_elsewhere(site.db.path)
    busy, _, _ = site.db.one("PRAGMA wal_checkpoint(TRUNCATE)")
    assert busy == 0 and os.path.getsize(site.db.path + "-wal") == 0
    assert site.db.change_stamp() is not None


@sqlite_only
def test_a_transaction_changes_it_at_its_commit_and_not_before(site):
    before = site.db.change_stamp()
    with site.transaction():
        site.pages.add("basic-page", 1, "inside", title="Inside")
        assert site.db.change_stamp() == before
    assert site.db.change_stamp() != before


@sqlite_only
def test_a_commit_in_another_process_changes_it(site):
    before = site.db.change_stamp()
    subprocess.run([sys.executable, "-c", "import sqlite3, sys\n"
                    "c = sqlite3.connect(sys.argv[1])\n"
                    "c.execute('CREATE TABLE probe (n INTEGER)'); c.commit()", site.db.path],
                   check=True)
    assert site.db.change_stamp() != before


@sqlite_only
def test_it_outlives_every_other_connection(site):
    """The last connection to close deletes the index file and the next one makes another:
    a stamp that mapped the deleted one would never change again."""
    before = site.db.change_stamp()
    site.db.close()                  # the site's own connection: the stamp's is the last
    commit_elsewhere(site.db.path)
    assert os.path.exists(site.db.path + "-shm")
    assert site.db.change_stamp() != before


@sqlite_only
def test_a_forked_process_reads_its_own(site):
    before = site.db.change_stamp()
    child = os.fork()
    if child == 0:                   # the child: its own stamp, which sees its own commit
        try:
            mine = site.db.change_stamp()
            commit_elsewhere(site.db.path)
            os._exit(0 if mine == before and site.db.change_stamp() not in (None, mine) else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert site.db.change_stamp() not in (None, before)     # the parent sees it too


@sqlite_only
def test_two_databases_never_share_a_stamp(site, tmp_path):
    other_folder = tmp_path / "other"
    other_folder.mkdir()
    other = connect(f"sqlite:///{other_folder}/site.db")
    other.execute("CREATE TABLE t (n INTEGER)")
    assert other.change_stamp() not in (None, site.db.change_stamp())
    other.close()
