"""The page tree under several processes at once, as a fuzz of 3-6 processes adding, renaming,
moving, reordering, trashing, restoring and deleting pages of one tree found it wanting: each
defect it found, reduced to two sessions (a site booted twice on one database), in the style
of test_concurrency_findings.py. Afterwards the tree is sound (`run.py check` finds nothing:
every stored path follows the parents and names) and each call stored what it said or raised a
CmsError saying what happened."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from test_concurrency_findings import Second, other, server_only  # noqa: F401 (other: its fixture)

import cms
from cms.integrity import check_site


def test_deleting_a_page_another_session_moved_deletes_its_own_branch(site, other):  # noqa: F811
    """The delete read the branch below the path the page had when it was loaded. Another
    process had moved it meanwhile and added a page of the same name at its old path: the
    delete took that page and its child, and left the moved page's own child under a parent
    gone (`run.py check`: an orphan). A fuzz of four processes left orphans so on every engine."""
    a = site.pages.add("basic-page", 1, "a", title="A")
    site.pages.add("basic-page", a, "x", title="X")
    b = site.pages.add("basic-page", 1, "b", title="B")
    loaded = site.pages.get(a.id)
    moved = other.pages.get(a.id)
    moved.parent = b.id
    moved.save()
    newcomer = other.pages.add("basic-page", 1, "a", title="Newcomer")
    other.pages.add("basic-page", newcomer, "y", title="Y")

    assert site.pages.delete(loaded, recursive=True) == 2
    assert not site.pages.get("/b/a/") and not site.pages.get("/b/a/x/")
    assert site.pages.get("/a/y/").title == "Y"
    assert [str(problem) for problem in check_site(site)] == []


def test_deleting_a_page_another_session_deleted_deletes_nothing(site, other):  # noqa: F811
    """The delete of a page object whose page another process had deleted said it deleted one
    page, and its `deleted` hook heard of it, where nothing was left to delete."""
    page = site.pages.add("basic-page", 1, "doomed", title="Doomed")
    loaded = site.pages.get(page.id)
    other.pages.delete(other.pages.get(page.id))
    heard: list[int] = []
    site.add_hook_after("Pages::deleted", lambda event: heard.append(event.arguments[0].id))

    assert site.pages.delete(loaded) == 0
    assert heard == [] and loaded.id == 0


@server_only
def test_a_page_renamed_while_another_session_adds_below_its_child_keeps_the_new_page_s_path_true(
        site, other):  # noqa: F811
    """The rename rewrote the stored paths of its branch without waiting for an add below a
    child of the page (the add holds its own parent's row, not the renamed page's): on
    PostgreSQL the new page's row was under /renamed/child/, its stored path /top/child/new/."""
    top = site.pages.add("basic-page", 1, "top", title="Top")
    child = site.pages.add("basic-page", top, "child", title="Child")
    with other.transaction():
        other.pages.add("basic-page", child.id, "new", title="New")

        def rename() -> None:
            top.name = "renamed"
            top.save()
        renaming = Second(site, rename)
        renaming.wait_blocked(other)
    renaming.result()
    assert site.pages.get("/renamed/child/new/").title == "New"
    assert [str(problem) for problem in check_site(site)] == []


@server_only
def test_a_page_moved_while_another_session_renames_a_page_above_it_keeps_its_path_true(
        site, other):  # noqa: F811
    """The move read its page's stored path, then waited for the rename of a page above it,
    whose rewrite of the branch's paths had changed that path: the move's own rewrite matched
    nothing, and the moved page kept its path under the renamed page (row under /b/, stored
    path /renamed/x/), with the page below it."""
    a = site.pages.add("basic-page", 1, "a", title="A")
    x = site.pages.add("basic-page", a, "x", title="X")
    site.pages.add("basic-page", x, "deep", title="Deep")
    b = site.pages.add("basic-page", 1, "b", title="B")
    with site.transaction():
        a.name = "renamed"
        a.save()

        def move() -> None:
            moved = other.pages.get(x.id)
            moved.parent = b.id
            moved.save()
        moving = Second(other, move)
        moving.wait_blocked(site)
    moving.result()
    assert site.pages.get("/b/x/deep/").title == "Deep"
    assert [str(problem) for problem in check_site(site)] == []


@server_only
@pytest.mark.parametrize("call", ["delete", "reorder"])
def test_a_delete_or_reorder_that_deadlocks_runs_again(site, other, call):  # noqa: F811
    """A delete or a reorder called outside any transaction took its own but, unlike a save,
    never ran it again after a deadlock: the driver's OperationalError ("deadlock detected")
    reached the caller, who had opened no transaction to run again (the fuzz: a top-level
    delete in some hundreds on PostgreSQL). Here it locks child a and waits for b, which this
    session holds and which then asks for a: the server stops one of the two, and it must be
    the delete or reorder (its only rows locked, none written)."""
    parent = site.pages.add("basic-page", 1, "parent", title="Parent")
    a, b, c = (site.pages.add("basic-page", parent, name, title=name) for name in "abc")
    with site.transaction():
        for n in range(20):          # weight: MariaDB stops the transaction that wrote least
            site.pages.add("basic-page", 1, f"ballast-{n}", title="Ballast")
        held = site.pages.get(b.id)
        held.title = "Held"
        held.save()
        if call == "delete":      # locks the branch's rows by id: parent, a, then b
            racing = Second(other, lambda: other.pages.delete(other.pages.get(parent.id), recursive=True))
        else:                     # reads the sorts under their locks: a, then b
            racing = Second(other, lambda: other.pages.reorder(parent.id, [c.id, a.id, b.id]))
        racing.wait_blocked(site)
        asked = site.pages.get(a.id)
        asked.title = "Asked"
        asked.save()
    racing.result()
    if call == "delete":
        assert not site.pages.get(parent.id) and not site.pages.get(a.id)
    else:
        assert site.pages.get(parent.id).children().explode("name") == ["c", "a", "b"]


def test_restoring_a_page_another_session_restored_meanwhile_says_so_and_keeps_its_name(
        site, other):  # noqa: F811
    """Two editors restoring one page from the trash: the second restore, its page loaded while
    in the trash, moved the page already back home under its trash name, /parent/45.44.0_p/,
    and the pages below it with it."""
    parent = site.pages.add("basic-page", 1, "parent", title="Parent")
    page = site.pages.add("basic-page", parent, "p", title="P")
    site.pages.add("basic-page", page, "below", title="Below")
    page.trash()
    loaded = site.pages.get(page.id)
    other.pages.get(page.id).restore()

    with pytest.raises(cms.PageError, match=rf"page {page.id} .*is not in the trash"):
        loaded.restore()
    assert site.pages.get(page.id).path == "/parent/p/"
    assert site.pages.get("/parent/p/below/").title == "Below"
    assert [str(problem) for problem in check_site(site)] == []


def test_trashing_a_page_another_session_trashed_meanwhile_leaves_it_restorable(site, other):  # noqa: F811
    """Two editors trashing one page: the second trash, its page loaded before the first,
    renamed the page in the trash to its own name again (/trash/p/), which no longer says
    where it came from: restore() refused it for good."""
    parent = site.pages.add("basic-page", 1, "parent", title="Parent")
    page = site.pages.add("basic-page", parent, "p", title="P")
    loaded = site.pages.get(page.id)
    other.pages.get(page.id).trash()

    with pytest.raises(cms.PageError, match=rf"page {page.id} .*is in the trash already"):
        loaded.trash()
    site.pages.get(page.id).restore()
    assert site.pages.get(page.id).path == "/parent/p/"
    assert [str(problem) for problem in check_site(site)] == []


@server_only
def test_moving_a_page_under_a_page_another_session_is_moving_under_it_makes_no_cycle(
        site, other):  # noqa: F811
    """Move A under C, a child of B, while another session (which added a page under A, so
    holds A's row) moves B under A: on PostgreSQL the move of A checked C's path, /b/c/, then
    waited for that session's hold of A; meanwhile B went under A, rewriting C's path without
    waiting for the move (which held C only as a parent), and A went under C: A, B and C each
    other's ancestors, the three out of the tree (`run.py check`: a cycle). The rewrite of B's
    branch now waits for the hold of C; the server stops one of the two, and the move of A,
    run again, sees C below A."""
    a = site.pages.add("basic-page", 1, "a", title="A")
    b = site.pages.add("basic-page", 1, "b", title="B")
    c = site.pages.add("basic-page", b, "c", title="C")
    with other.transaction():
        other.pages.add("basic-page", a.id, "new", title="New")

        def move_a() -> None:
            moving = site.pages.get(a.id)
            moving.parent = c.id
            moving.save()
        first = Second(site, move_a)
        first.wait_blocked(other)
        moved = other.pages.get(b.id)
        moved.parent = a.id
        moved.save()
    with pytest.raises(cms.PageError, match="under itself or one of its descendants"):
        first.result()
    assert site.pages.get(c.id).path == "/a/b/c/"
    assert [str(problem) for problem in check_site(site)] == []


def test_a_sort_saved_from_a_page_another_session_trashed_keeps_it_in_the_trash(site, other):  # noqa: F811
    """A save that changed a page's sort wrote its status too, as the page object held it:
    from an object loaded before another process trashed the page, the page lay in the trash
    without its trash status (`run.py check`: "trash status does not match its place"), found
    by a find of published pages and no longer restorable by the admin's trash."""
    parent = site.pages.add("basic-page", 1, "parent", title="Parent")
    page = site.pages.add("basic-page", parent, "x", title="X")
    loaded = site.pages.get(page.id)
    other.pages.get(page.id).trash()

    loaded.sort = 5
    loaded.save()
    stored = site.pages.get(page.id)
    assert stored.is_trash() and stored.sort == 5
    assert [str(problem) for problem in check_site(site)] == []


def test_a_status_saved_from_a_page_loaded_before_a_reorder_keeps_the_new_order(site, other):  # noqa: F811
    """A save that changed a page's status wrote its sort too, as the page object held it: from
    an object loaded before another process reordered its siblings, hiding the page put back
    its old place, the reorder lost (and both pages at sort 0)."""
    parent = site.pages.add("basic-page", 1, "parent", title="Parent")
    a, b = (site.pages.add("basic-page", parent, name, title=name) for name in "ab")
    loaded = site.pages.get(a.id)
    other.pages.reorder(parent.id, [b.id, a.id])

    loaded.add_status(cms.Page.STATUS_HIDDEN)
    loaded.save()
    assert site.pages.get(parent.id).children("include=hidden").explode("name") == ["b", "a"]
    assert site.pages.get(a.id).is_hidden()


@server_only
def test_two_reorders_of_one_parent_at_once_leave_the_order_of_the_later(site, other):  # noqa: F811
    """Two editors reordering one parent's children at once: the second read the sorts before
    the first committed, then wrote its order over the first's where the values differed from
    what it had read: the children stood b, c, a (b and c both at sort 0), an order neither
    asked for (both server engines)."""
    parent = site.pages.add("basic-page", 1, "parent", title="Parent")
    a, b, c = (site.pages.add("basic-page", parent, name, title=name) for name in "abc")
    with site.transaction():
        site.pages.reorder(parent.id, [c.id, b.id, a.id])
        later = Second(other, lambda: other.pages.reorder(parent.id, [b.id, a.id, c.id]))
        later.wait_blocked(site)
    later.result()
    children = site.pages.get(parent.id).children()
    assert children.explode("name") == ["b", "a", "c"]
    assert len({child.sort for child in children}) == 3


def test_a_status_saved_from_a_page_another_session_trashed_says_why_it_is_refused(site, other):  # noqa: F811
    """Hiding a page from an object loaded before another process trashed it is refused, as
    its status lacks the trash bit the stored one has; the refusal said only "the trash status
    is set and cleared by page.trash() and page.restore(), not by a status change", blaming a
    change of the trash bit the caller never made (the fuzz's most frequent refusal)."""
    page = site.pages.add("basic-page", 1, "x", title="X")
    loaded = site.pages.get(page.id)
    other.pages.get(page.id).trash()

    loaded.add_status(cms.Page.STATUS_HIDDEN)
    with pytest.raises(cms.ValidationError, match=r"another process trashed or restored .*get it again"):
        loaded.save()
    assert site.pages.get(page.id).is_trash() and not site.pages.get(page.id).is_hidden()


@server_only
def test_emptying_the_trash_leaves_a_page_another_session_restored_meanwhile(site, other):  # noqa: F811
    """Emptying the trash deleted each page of the batch it had found there, wherever the page
    was by then: a page another process restored meanwhile (an editor taking it back while
    the admin's Empty trash ran) was deleted from its place with the pages below it. Here
    the restore holds the page's row when the emptying comes to it."""
    parent = site.pages.add("basic-page", 1, "parent", title="Parent")
    keep = site.pages.add("basic-page", parent, "keep", title="Keep")
    site.pages.add("basic-page", keep, "below", title="Below")
    keep.trash()
    site.pages.add("basic-page", 1, "junk", title="Junk").trash()
    emptied: list[int] = []
    with other.transaction():
        other.pages.get(keep.id).restore()
        emptying = Second(site, lambda: emptied.append(site.pages.empty_trash()))
        emptying.wait_blocked(other)
    emptying.result()
    assert emptied == [1]
    assert site.pages.get("/parent/keep/below/").title == "Below"
    assert site.pages.count("parent=7, include=all") == 0


@server_only
def test_a_status_saved_while_another_session_restores_the_page_keeps_the_trash_bit_true(
        site, other):  # noqa: F811
    """Locking a page loaded in the trash while another process restored it: the save read the
    stored status (in the trash) before it waited for the restore's row lock, checked the
    status it held against that, and after the wait wrote it, trash bit and all, on the page
    now restored (`run.py check`: "trash status does not match its place", MariaDB's fuzz).
    The status is read under the lock now, and the save is refused as from a stale object."""
    parent = site.pages.add("basic-page", 1, "parent", title="Parent")
    page = site.pages.add("basic-page", parent, "p", title="P")
    page.trash()
    loaded = site.pages.get(page.id)
    with other.transaction():
        other.pages.get(page.id).restore()

        def lock() -> None:
            loaded.add_status(cms.Page.STATUS_LOCKED)
            loaded.save()
        locking = Second(site, lock)
        locking.wait_blocked(other)
    with pytest.raises(cms.ValidationError, match="another process trashed or restored"):
        locking.result()
    assert not site.pages.get(page.id).is_trash()
    assert [str(problem) for problem in check_site(site)] == []


@server_only
def test_a_delete_in_a_callers_transaction_that_deadlocks_says_it_deadlocked(site, other):  # noqa: F811
    """Inside a caller's transaction a delete runs in a nested level, a savepoint. On MariaDB a
    deadlock ends the whole transaction, savepoints and all, and the level's ROLLBACK TO
    SAVEPOINT then failed: the caller got "SAVEPOINT cms_level_2 does not exist" in the
    deadlock's place, an error neither its code nor the web (503, "try again") reads as one
    to run again (MariaDB's fuzz, through a nested level in empty_trash). Here the delete
    locks child a and waits for b, which this session holds and then asks for a."""
    parent = site.pages.add("basic-page", 1, "parent", title="Parent")
    a, b = (site.pages.add("basic-page", parent, name, title=name) for name in "ab")

    def ask_for_a() -> None:
        asked = site.pages.get(a.id)
        asked.title = "Asked"
        asked.save()
    deadlock_in_a_callers_transaction(
        site, other, lambda: other.pages.delete(other.pages.get(parent.id), recursive=True),
        held_id=b.id, then=ask_for_a)
    assert site.pages.get(parent.id).title == "Parent"


@server_only
def test_a_page_moved_under_a_page_another_session_restores_keeps_its_name(site, other):  # noqa: F811
    """Moving a page under a page another process was restoring from the trash: the move read
    the new parent's status (in the trash) before it waited for the restore's hold of that
    page, so made the page ready for the trash, and stored it under the restored parent
    named for the trash (/parent/45.1.4_x/)."""
    parent = site.pages.add("basic-page", 1, "parent", title="Parent")
    parent.trash()
    page = site.pages.add("basic-page", 1, "x", title="X")
    with other.transaction():
        other.pages.get(parent.id).restore()

        def move() -> None:
            moving = site.pages.get(page.id)
            moving.parent = parent.id
            moving.save()
        mover = Second(site, move)
        mover.wait_blocked(other)
    mover.result()
    assert site.pages.get(page.id).path == "/parent/x/"
    assert [str(problem) for problem in check_site(site)] == []


@server_only
def test_a_hooked_add_in_a_callers_transaction_that_deadlocks_says_it_deadlocked(site, other):  # noqa: F811
    """A hooked add inside a caller's transaction takes a savepoint after its rows and, when a
    hook after them fails, rolls back to it and deletes the page. On MariaDB a deadlock in
    such a hook ends the whole transaction, savepoint and all: the roll back failed with
    "SAVEPOINT cms_add_1 does not exist" in the deadlock's place (as a nested level did).
    Here the hook saves page a, which this session holds and, then renaming the parent,
    waits for the add's hold of it."""
    parent = site.pages.add("basic-page", 1, "parent", title="Parent")
    a = site.pages.add("basic-page", 1, "a", title="A")

    def save_a(event) -> None:
        held_by_site = other.pages.get(a.id)
        held_by_site.title = "From the hook"
        held_by_site.save()
    other.add_hook_after("Pages::added", save_a)

    def rename_the_parent() -> None:
        renamed = site.pages.get(parent.id)
        renamed.name = "renamed"
        renamed.save()
    deadlock_in_a_callers_transaction(
        site, other, lambda: other.pages.add("basic-page", parent.id, "new", title="New"),
        held_id=a.id, then=rename_the_parent)
    assert not site.pages.get("/renamed/new/")


def deadlock_in_a_callers_transaction(site, other, work: Callable[[], object], held_id: int,  # noqa: F811
                                      then: Callable[[], object]) -> None:
    """Run `work` in a transaction of `other`'s own while this session, inside its transaction,
    holds page `held_id` (which `work` waits for) and then does `then` (which waits for what
    `work` holds): a deadlock, whose victim is `other` (MariaDB stops the transaction that
    wrote least, so this one writes ballast first). The caller gets the engine's deadlock
    error, one that says to run the transaction again, not another in its place."""
    raised: list[BaseException] = []

    def in_a_transaction() -> None:
        try:
            with other.transaction():
                work()
        except Exception as exc:        # noqa: BLE001 - what the caller would catch
            raised.append(exc)
    with site.transaction():
        for n in range(20):
            site.pages.add("basic-page", 1, f"ballast-{n}", title="Ballast")
        held = site.pages.get(held_id)
        held.title = "Held"
        held.save()
        working = Second(other, in_a_transaction)
        working.wait_blocked(site)
        then()
    working.result()
    assert len(raised) == 1 and other.db.is_retryable(raised[0]), raised
