"""Two sessions at once on the same pages, as two processes of a site meet them (a worker and
the admin, two editors): each call stores what it says or raises a CmsError that says what
happened, never a driver's error, a TypeError, or a tree whose stored paths lie.

The sessions are real: each a site booted on its own connection. Where one must wait for
the other's row lock, the test waits until the server says it does (`waits_for_lock`), then
lets the first commit."""
from __future__ import annotations

import subprocess
import sys
import threading
import time
from typing import Any, Callable

import pytest
from conftest import ENGINE, site_env

import cms
from cms.integrity import check_site
from cms.tasker.storage import storage_for

server_only = pytest.mark.skipif(ENGINE == "sqlite", reason="SQLite has one writer: a second "
                                 "session waits for the whole transaction, not a row lock")


@pytest.fixture
def other(site, db_url, tmp_path):
    """A second session on the same site: another process's view of it."""
    booted = cms.boot(db_url, site_dir=tmp_path)
    yield booted
    booted.close()


class Second:
    """`call` run in a thread of its own on `session`; what it returned or raised."""

    def __init__(self, session: Any, call: Callable[[], Any]):
        self.session = session
        self.session_id: int | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self.thread.start()

    def _run(self, call: Callable[[], Any]) -> None:
        try:
            self.session_id = self.session.db.session_id()
            call()
        except BaseException as exc:            # noqa: BLE001 - the test reports it
            self.error = exc
        finally:
            self.done.set()

    def wait_blocked(self, observer: Any) -> None:
        """Until the server says this session waits for a row lock (it must come to one)."""
        storage = storage_for(observer.db)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not self.done.is_set():
            # first: MariaDB refreshes INNODB_TRX only when no one read it for 0.1 s, so a read
            # sooner after the last one tells what was
            time.sleep(0.2)
            if self.session_id is not None and storage.waits_for_lock(self.session_id):
                return
        raise AssertionError(f"the second session never waited for a lock (error: {self.error!r})")

    def result(self) -> None:
        """Join, raising what the call raised."""
        assert self.done.wait(30), "the second session did not finish"
        if self.error is not None:
            raise self.error


@server_only
def test_two_sessions_saving_the_same_field_of_one_page_both_save(site, other):
    """PostgreSQL: the second save, having waited for the first's field row, deleted nothing
    (the row it waited for was gone) and inserted the page's title again: a raw IntegrityError
    (`duplicate key value violates unique constraint "field_title_pkey"`)."""
    page = site.pages.add("basic-page", 1, title="Draft")
    theirs = other.pages.get(page.id)
    with site.transaction():
        page.title = "Mine"
        page.save()

        def save_theirs() -> None:
            theirs.title = "Theirs"
            theirs.save()
        second = Second(other, save_theirs)
        second.wait_blocked(site)
    second.result()
    assert site.pages.get(page.id).title == "Theirs"        # the last save wins, whole


@server_only
def test_a_rename_waiting_for_a_move_of_the_same_page_keeps_its_path_true(site, other):
    """The rename read the page's stored path before it waited for the move's row lock, then
    rewrote the path it had read, which the move had changed meanwhile: the page's row said
    /a/renamed/, its stored path /b/x/ (`run.py check` reported it; a get by either path
    failed one way or the other)."""
    a = site.pages.add("basic-page", 1, "a", title="A")
    b = site.pages.add("basic-page", 1, "b", title="B")
    page = site.pages.add("basic-page", a, "x", title="X")
    theirs = other.pages.get(page.id)
    with site.transaction():
        page.parent = b
        page.save()

        def rename() -> None:
            theirs.name = "renamed"
            theirs.save()
        second = Second(other, rename)
        second.wait_blocked(site)
    second.result()
    stored = site.pages.get(page.id)
    assert site.pages.get(stored.path).id == page.id
    assert [str(problem) for problem in check_site(site)] == []


@pytest.mark.parametrize("change", ["title", "name", "parent", "status", "sort", "trash"])
def test_saving_a_page_another_session_deleted_says_it_is_gone(site, other, change):
    """A page loaded here and deleted by another process: its save raised a driver's
    IntegrityError (a field), a TypeError (a name, a parent, a status, a trash), or returned
    True having stored nothing (a sort)."""
    page = site.pages.add("basic-page", 1, "doomed", title="Doomed")
    other.pages.delete(other.pages.get(page.id))
    with pytest.raises(cms.PageError, match=rf"page {page.id} .*deleted"):
        if change == "title":
            page.title = "Saved?"
        elif change == "name":
            page.name = "saved"
        elif change == "parent":
            page.parent = 2
        elif change == "status":
            page.add_status(cms.Page.STATUS_HIDDEN)
        elif change == "sort":
            page.sort = 5
        if change == "trash":
            page.trash()
        else:
            page.save()
    assert not site.pages.get(page.id)
    assert [str(problem) for problem in check_site(site)] == []


@server_only
def test_an_add_whose_free_name_another_session_takes_twice_still_adds(site, other, db_url, tmp_path):
    """Two sessions adding pages of one name under one parent at once each find the same free
    number. A top-level add ran once more after losing it, so one that lost twice (three
    sessions at it, or two adding in a loop: 17 of 80 adds on PostgreSQL) raised NameConflict,
    "run the transaction again", to a caller who had opened none."""
    parent = site.pages.add("basic-page", 1, "words", title="Words")
    site.pages.add("basic-page", parent, "same", title="Same")
    third = cms.boot(db_url, site_dir=tmp_path)
    ready = [threading.Event(), threading.Event()]
    go = [threading.Event(), threading.Event()]
    attempts: list[str] = []

    def before_write(event) -> None:         # a third session takes the name this add will pick
        turn = len(attempts)
        attempts.append(event.arguments[0].name)
        if turn < len(ready):
            ready[turn].set()
            go[turn].wait(30)
    other.add_hook_after("Pages::save_ready", before_write)
    try:
        second = Second(other, lambda: other.pages.add("basic-page", parent.id, "same", title="Mine"))
        for turn in range(len(ready)):
            assert ready[turn].wait(30)
            with third.transaction():
                third.pages.add("basic-page", parent.id, "same", title="Theirs")
                go[turn].set()
                second.wait_blocked(site)
        second.result()
    finally:
        third.close()
    names = sorted(site.pages.find(f"parent={parent.id}, include=all").explode("name"))
    assert names == ["same", "same-1", "same-2", "same-3"]
    assert site.pages.get("/words/same-3/").title == "Mine"


WATCHER = """
import subprocess, sys, time
import cms
site = cms.boot(sys.argv[1], site_dir=sys.argv[2])
site.db.change_stamp()                   # what the task status API reads at every poll
opener = subprocess.Popen([sys.executable, "-c", '''
import sqlite3, sys, time
end = time.monotonic() + 3
while time.monotonic() < end:            # another process opens the site, reads, closes
    conn = sqlite3.connect(sys.argv[1])
    conn.execute("SELECT COUNT(*) FROM pages").fetchall()
    conn.close()
''', sys.argv[3]])
while opener.poll() is None:
    site.db.change_stamp()
    site.pages.get(1)
print("served on")
"""


@pytest.mark.skipif(ENGINE != "sqlite", reason="the WAL index is SQLite's")
def test_a_server_reading_the_change_stamp_survives_another_process_opening_the_database(tmp_path):
    """The change stamp mapped the WAL index through a descriptor it then closed, and closing
    any descriptor of a file drops every POSIX lock the process holds on it: SQLite's own
    on the `-shm` file among them. The next process to open the database took itself for
    the first, emptied the index and built it again under the server's mapping, and the
    server died of a Bus error (within a second of a `run.py cron`, a `sqlite3 site.db`).
    (No connection of this process may hold the database: its locks would stand in.)"""
    path = tmp_path / "site.db"
    url = f"sqlite:///{path}"
    done = subprocess.run([sys.executable, "-c", WATCHER, url, str(tmp_path), str(path)],
                          capture_output=True, text=True, timeout=60, env=site_env(tmp_path, url))
    assert (done.returncode, done.stdout.strip()) == (0, "served on"), done.stderr[-2000:]


NOTES = '''
import cms

class Notes(cms.Module):
    """A module with nothing to create: its first use may come inside a transaction."""
    info = {"title": "Notes", "version": "1.0.0", "summary": ""}
'''


@server_only
def test_a_module_two_sessions_install_at_once_inside_transactions_leaves_both_usable(
        site, db_url, tmp_path):
    """Two sessions using a module first at once, each in a transaction of its own (a Tasker
    step's): the loser's INSERT of the module's row failed on the key and was ignored, but on
    PostgreSQL the failed statement had aborted the whole transaction, and everything after it
    raised 'current transaction is aborted' (a raw InternalError), the step's own writes lost."""
    (tmp_path / "modules").mkdir(exist_ok=True)
    (tmp_path / "modules" / "notes.py").write_text(NOTES)
    first, second_site = cms.boot(db_url, site_dir=tmp_path), cms.boot(db_url, site_dir=tmp_path)

    def use_notes() -> None:
        with second_site.transaction():
            second_site.modules.get("Notes")
            second_site.pages.add("basic-page", 1, "theirs", title="Theirs")
    try:
        with first.transaction():
            first.modules.get("Notes")
            second = Second(second_site, use_notes)
            second.wait_blocked(site)
        second.result()
    finally:
        first.close()
        second_site.close()
    assert site.pages.get("/theirs/").title == "Theirs"
    assert site.db.scalar("SELECT COUNT(*) FROM modules WHERE class = 'Notes'") == 1


@server_only
def test_a_branch_deleted_while_another_session_adds_a_page_in_it_takes_that_page_too(site, other):
    """The delete read the branch, then deleted what it had read: a page another session was
    adding under it at that moment was stored under a parent that no longer existed (`run.py
    check`: an orphan, its path under a page gone). The delete waits for that add now, as a
    foreign key would make it wait, and takes the new page with the branch."""
    branch = site.pages.add("basic-page", 1, "branch", title="Branch")
    site.pages.add("basic-page", branch, "old", title="Old")
    with other.transaction():
        other.pages.add("basic-page", branch.id, "new", title="New")
        deleting = Second(site, lambda: site.pages.delete(site.pages.get(branch.id), recursive=True))
        deleting.wait_blocked(other)
    deleting.result()
    assert site.pages.count("include=all, title=Branch|Old|New") == 0
    assert [str(problem) for problem in check_site(site)] == []


@server_only
def test_a_page_added_under_a_branch_being_deleted_says_its_parent_is_gone(site, other):
    """The add checked its parent before the delete committed and stored the page under it
    anyway: an orphan. It waits for the delete now, then says the parent does not exist."""
    branch = site.pages.add("basic-page", 1, "branch", title="Branch")
    with site.transaction():
        site.pages.delete(site.pages.get(branch.id))
        adding = Second(other, lambda: other.pages.add("basic-page", branch.id, "new", title="New"))
        adding.wait_blocked(site)
    with pytest.raises(cms.PageError, match=rf"parent {branch.id} does not exist"):
        adding.result()
    assert site.pages.count("include=all, title=New") == 0
    assert [str(problem) for problem in check_site(site)] == []


@server_only
def test_a_page_renamed_while_another_session_adds_under_it_keeps_the_new_page_s_path_true(site, other):
    """PostgreSQL: the add read its parent's path and stored the new page's path from it while
    another session renamed the parent, whose rewrite of its branch's paths missed the page not
    yet committed: the new page's row was under /renamed/, its stored path /parent/new/. The
    rename waits for the add now, since the add holds its parent's row (MariaDB's rewrite
    waited for the uncommitted path already)."""
    parent = site.pages.add("basic-page", 1, "parent", title="Parent")
    with other.transaction():
        other.pages.add("basic-page", parent.id, "new", title="New")

        def rename() -> None:
            parent.name = "renamed"
            parent.save()
        renaming = Second(site, rename)
        renaming.wait_blocked(other)
    renaming.result()
    assert site.pages.get("/renamed/new/").title == "New"
    assert [str(problem) for problem in check_site(site)] == []


@pytest.mark.skipif(ENGINE != "postgresql", reason="only PostgreSQL tells a key's lock from a "
                    "row's: MariaDB's shared lock, like its foreign keys', holds the parent whole")
def test_a_page_saved_while_another_session_adds_under_it_does_not_wait_for_that_add(site, other):
    """An add holds its parent's key (FOR KEY SHARE), not the rest of its row: the parent's
    own save took FOR UPDATE and waited for the add's commit, however long its step ran."""
    parent = site.pages.add("basic-page", 1, "parent", title="Parent")
    with other.transaction():
        other.pages.add("basic-page", parent.id, "new", title="New")

        def retitle() -> None:
            parent.title = "Retitled"
            parent.save()
        saving = Second(site, retitle)
        assert saving.done.wait(20), "the save waited for the add's transaction"
    saving.result()
    assert site.pages.get(parent.id).title == "Retitled"
