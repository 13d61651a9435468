"""Page writes compared with ProcessWire 3.0.256: random sequences of adds, renames, moves,
trashes, restores, deletes and status changes applied to the same tree in both (blank profile,
MariaDB, PHP 8.2, as a superuser), the whole tree compared after each step. Each test states
ProcessWire's answer where ours differed."""
from __future__ import annotations

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
