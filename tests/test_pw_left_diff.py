"""Points left open by the earlier comparisons, settled against ProcessWire 3.0.256.

Each expected answer was recorded in ProcessWire 3.0.256 (blank profile, MariaDB, PHP 8.2,
as the superuser) with `$wire->addHookBefore('Pages::<event>', ...)` on every Pages event, or
by printing what its API returned; each test's comment says what it answered.
"""
from __future__ import annotations

# Our names of the Pages events of a save (ProcessWire's in snake_case: saveReady is save_ready)
SAVE_EVENTS = ("add", "trash", "restore", "save", "status_change_ready", "save_ready", "saved",
               "renamed", "moved", "status_changed", "trashed", "restored", "added")


def record_before(site, names=SAVE_EVENTS) -> list[str]:
    """The events as each starts (a before hook), so an event called inside another, as
    `saved` inside `save`, is heard in the order it is called."""
    events: list[str] = []
    for name in names:
        site.add_hook_before(f"Pages::{name}", lambda e, name=name: events.append(name))
    return events


def test_trash_and_restore_fire_the_events_of_the_save_they_are(site):
    # ProcessWire's trash() and restore() save the page ($pages->save() with the caller
    # pages.trash / pages.restore): trash, [trashReady], save, [moveReady, renameReady],
    # statusChangeReady, saveReady, [savePageOrFieldReady], saved, [savedPageOrField],
    # renamed, moved, statusChanged, trashed (restore ... restored); `saved` lists status,
    # parent and name. Here trash() and restore() fired renamed, moved, trashed alone.
    page = site.pages.add("basic-page", 1, "a", title="A")
    events = record_before(site)
    changes: list[list[str]] = []
    site.add_hook_after("Pages::saved", lambda e: changes.append(sorted(e.arguments[1])))
    page.trash()
    assert events == ["trash", "save", "status_change_ready", "save_ready", "saved", "renamed",
                      "moved", "status_changed", "trashed"]
    events.clear()
    page.restore()
    assert events == ["restore", "save", "status_change_ready", "save_ready", "saved", "renamed",
                      "moved", "status_changed", "restored"]
    assert changes == [["name", "parent", "status"], ["name", "parent", "status"]]


def test_trash_and_restore_hooks_see_the_page_as_it_is_saved(site):
    # ProcessWire, in statusChangeReady, saveReady and trashed of trash(): the trash name,
    # parent 7 and status 8193 (the trash bit), namePrevious "a", parentPrevious home and
    # statusPrevious 1; restore() the other way round (statusPrevious 8193)
    page = site.pages.add("basic-page", 1, "a", title="A")
    seen: list[tuple] = []
    for name in ("status_change_ready", "save_ready", "trashed", "restored"):
        site.add_hook_before(f"Pages::{name}", lambda e, name=name: seen.append((
            name, e.arguments[0].name, e.arguments[0].parent_id, e.arguments[0].status,
            e.arguments[0].name_previous, e.arguments[0].status_previous)))
    page.trash()
    trash_name = page.name
    assert trash_name.endswith("_a")
    assert seen == [(name, trash_name, 7, 8193, "a", 1)
                    for name in ("status_change_ready", "save_ready", "trashed")]
    seen.clear()
    page.restore()
    assert seen == [(name, "a", 1, 1, trash_name, 8193)
                    for name in ("status_change_ready", "save_ready", "restored")]


def test_trash_and_restore_save_what_the_page_holds_unsaved(site):
    # ProcessWire: $page->title = 'Changed'; $pages->trash($page) stores the title too
    # (trash() is a save of the page); so does restore(). Here the change was dropped unsaved.
    page = site.pages.add("basic-page", 1, "a", title="A")
    page.title = "Changed before trash"
    page.trash()
    assert site.pages.get(page.id).title == "Changed before trash"
    page.title = "Changed before restore"
    page.restore()
    assert site.pages.get(page.id).title == "Changed before restore"
    assert not page.is_changed()


def test_a_save_into_or_out_of_the_trash_fires_the_status_events(site):
    # ProcessWire: $page->parent = $trash; $page->save(): save, [moveReady, trash, trashReady,
    # renameReady], statusChangeReady, saveReady, saved, renamed, moved, statusChanged,
    # trashed (its trash() prepares the page); a save out of it, restored. Here no
    # status_change_ready nor status_changed: the trash bit was set as the page moved.
    page = site.pages.add("basic-page", 1, "a", title="A")
    events = record_before(site)
    page.parent = 7
    page.save()
    assert events == ["save", "status_change_ready", "save_ready", "saved", "renamed", "moved",
                      "status_changed", "trashed"]
    assert page.is_trash() and page.name.endswith("_a")
    events.clear()
    page.parent = 1
    page.save()
    assert events == ["save", "status_change_ready", "save_ready", "saved", "renamed", "moved",
                      "status_changed", "restored"]
    assert page.path == "/a/" and not page.is_trash()


def test_a_trash_by_a_user_who_may_not_move_pages_is_still_allowed(site):
    # trash() asks for page-delete (on a page the user may edit), restore() that and page-add
    # on the old parent (README's Access control); being saves of a new parent now, they
    # must not ask for page-move as well, as a save that moves a page does
    site.templates.add("note", fields=["title"])
    site.users.add_role("trasher", permissions=["page-edit", "page-delete", "page-view"])
    site.templates["note"].set_access(view=["trasher"], edit=["trasher"], create=["trasher"],
                                      add=["trasher"])
    site.users.add("tina", "secret-password-1", roles=("trasher",))
    folder = site.pages.add("note", 1, "f", title="F")
    note = site.pages.add("note", folder, "n", title="N")
    with site.as_user("tina"):
        note.trash()
        assert note.is_trash()
        note.restore()
    assert site.pages.get(note.id).path == "/f/n/"
