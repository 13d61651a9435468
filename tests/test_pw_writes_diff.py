"""Page writes compared with ProcessWire 3.0.256: random sequences of adds, renames, moves,
trashes, restores, deletes and status changes applied to the same tree in both (blank profile,
MariaDB, PHP 8.2, as a superuser), the whole tree compared after each step. Each test states
ProcessWire's answer where ours differed."""
from __future__ import annotations

import pytest

import cms
from cms.pages import MAX_NAME


def test_trashing_a_page_with_a_long_name_cuts_its_trash_name_to_the_limit(site):
    # ProcessWire's trash() gives the page the name `ID.PARENT.SORT_name` through the name
    # setter, which cuts it to 128 characters (`2964.2962.1_` and 116 of a 128-character
    # name's); restore() gives back the cut name (116 characters), under the old parent, with
    # its sort. Here the trash name was longer than the column: stored so on SQLite, a
    # DataError on MariaDB and PostgreSQL.
    site.templates.add("basic-page", fields=["title"])
    folder = site.pages.add("basic-page", 1, "folder", title="Folder")
    page = site.pages.add("basic-page", folder, "x" * MAX_NAME, title="X")
    page.trash()
    trashed = site.pages.get(page.id)
    prefix = f"{page.id}.{folder.id}.{page.sort}_"
    assert trashed.name == (prefix + "x" * MAX_NAME)[:MAX_NAME]
    assert trashed.is_trash()
    trashed.restore()
    restored = site.pages.get(page.id)
    assert restored.parent_id == folder.id
    assert restored.name == "x" * (MAX_NAME - len(prefix))


def test_a_save_that_moves_a_page_into_the_trash_keeps_the_name_it_sets(site):
    # ProcessWire: `$p->parent = $trash; $p->name = 'b'; $pages->save($p)` gives the page
    # `ID.PARENT.1_b` (trash() prefixes the name being saved), and restore() puts it back
    # under its parent as `b`. Here the stored name `a` was prefixed and `b` was lost.
    site.templates.add("basic-page", fields=["title"])
    folder = site.pages.add("basic-page", 1, "folder", title="Folder")
    site.pages.add("basic-page", folder, "x", title="X")
    page = site.pages.add("basic-page", folder, "a", title="A")
    page.parent = site.pages.get(7)
    page.name = "b"
    page.save()
    trashed = site.pages.get(page.id)
    assert trashed.name == f"{page.id}.{folder.id}.1_b"
    assert trashed.is_trash()
    trashed.restore()
    restored = site.pages.get(page.id)
    assert (restored.name, restored.parent_id, restored.sort) == ("b", folder.id, 1)


# The kept differences README's table lists for page writes: ProcessWire's answer in each comment.

def test_a_recursive_delete_of_a_branch_holding_a_locked_page_deletes_nothing(site):
    # ProcessWire deletes the children it reaches before the locked one, then throws
    # "cannot be deleted: it has “locked” status": the branch is left part deleted.
    site.templates.add("basic-page", fields=["title"])
    branch = site.pages.add("basic-page", 1, "branch", title="Branch")
    first = site.pages.add("basic-page", branch, "first", title="First")
    locked = site.pages.add("basic-page", branch, "locked", title="Locked")
    locked.add_status(cms.Page.STATUS_LOCKED)
    locked.save()
    with pytest.raises(cms.errors.PageLocked):
        site.pages.delete(site.pages.get(branch.id), recursive=True)
    assert [p.id for p in site.pages.get(branch.id).children("include=all")] == [first.id, locked.id]


def test_the_trash_bit_is_not_set_or_cleared_by_a_status_change(site):
    # ProcessWire stores it as given: `$p->status = 1` of a trashed page leaves it under the
    # trash, not trashed; `$p->status = 8193` marks a page trashed where it is.
    site.templates.add("basic-page", fields=["title"])
    page = site.pages.add("basic-page", 1, "a", title="A")
    page.status = cms.Page.STATUS_ON | cms.Page.STATUS_TRASH
    with pytest.raises(cms.ValidationError):
        page.save()
    trashed = site.pages.get(page.id)
    trashed.trash()
    trashed.status = cms.Page.STATUS_ON
    with pytest.raises(cms.ValidationError):
        trashed.save()
    assert site.pages.get(page.id).is_trash()


def test_names_given_are_spelled_as_a_titles_and_untitled_is_kept(site):
    # ProcessWire keeps `a--b` and `-a-` as written, and names a page given `untitled` from
    # its title (`some-title`).
    site.templates.add("basic-page", fields=["title"])
    names = [site.pages.add("basic-page", 1, name, title="Some Title").name
             for name in ("a--b", "-a-", "untitled")]
    assert names == ["a-b", "a", "untitled"]


def test_trashing_a_page_in_the_trash_writes_nothing(site):
    # ProcessWire's trash() saves it again: its modified user becomes the caller.
    site.templates.add("basic-page", fields=["title"])
    site.users.add("ed", "Secret-pass-123")
    page = site.pages.add("basic-page", 1, "a", title="A")
    page.trash()
    with site.as_user("ed"):
        site.pages.get(page.id).trash()
    assert site.pages.get(page.id).modified_users_id == page.modified_users_id
