"""Which Pages hooks fire, and in what order, compared with ProcessWire 3.0.256.

Each expected sequence was recorded in ProcessWire with `$wire->addHookAfter('Pages::...')` on
every event of these names (PagesEditor::savePageFinish, PagesTrash, PagesEditor::delete).
"""
from __future__ import annotations

EVENTS = ("added", "saved", "moved", "renamed", "trashed", "restored", "deleted")


def record(site) -> list[tuple[str, str]]:
    events: list[tuple[str, str]] = []
    for name in EVENTS:
        site.add_hook_after(f"Pages::{name}", lambda e, name=name: events.append((name, e.arguments[0].name)))
    return events


def test_saved_comes_before_added_renamed_moved_and_trashed_as_in_processwire(site):
    # ProcessWire (PagesEditor::savePageFinish): saved, added, renamed, moved; a save into or
    # out of the trash then trashed or restored (its save's callback)
    root = site.pages.add("basic-page", 1, "hk", title="HK")
    other = site.pages.add("basic-page", root, "other", title="Other")
    events = record(site)
    a = site.pages.add("basic-page", root, "a", title="A")
    assert events == [("saved", "a"), ("added", "a")]
    events.clear()
    a.parent = other
    a.name = "a2"
    a.save()
    assert events == [("saved", "a2"), ("renamed", "a2"), ("moved", "a2")]
    events.clear()
    a.parent = 7                                        # a save into the trash
    a.save()
    trashed = a.name
    assert trashed.endswith("_a2")
    assert events == [("saved", trashed), ("renamed", trashed), ("moved", trashed), ("trashed", trashed)]
    events.clear()
    a.parent = other                                    # and out of it
    a.save()
    assert events == [("saved", "a2"), ("renamed", "a2"), ("moved", "a2"), ("restored", "a2")]


def test_trash_and_restore_fire_renamed_before_moved_as_in_processwire(site):
    # ProcessWire's trash() and restore() save the page under its new name and parent:
    # renamed, moved, then trashed / restored (among the save's own events)
    a = site.pages.add("basic-page", 1, "a", title="A")
    events = record(site)
    a.trash()
    trashed = a.name
    a.restore()
    assert [e for e in events if e[0] != "saved"] == [
        ("renamed", trashed), ("moved", trashed), ("trashed", trashed),
        ("renamed", "a"), ("moved", "a"), ("restored", "a")]


def test_a_recursive_delete_fires_deleted_for_every_page_children_first(site):
    # ProcessWire's delete($page, true) deletes each child through Pages::delete first, in
    # the children's order, depth first: deleted c11, c1, c2, then c
    c = site.pages.add("basic-page", 1, "c", title="C")
    c1 = site.pages.add("basic-page", c, "c1", title="C1")
    site.pages.add("basic-page", c1, "c11", title="C11")
    site.pages.add("basic-page", c, "c2", title="C2")
    events = record(site)
    assert site.pages.delete(c, recursive=True) == 4
    assert events == [("deleted", "c11"), ("deleted", "c1"), ("deleted", "c2"), ("deleted", "c")]


def test_saved_names_the_trash_name_and_status_a_save_into_or_out_of_the_trash_changed(site):
    # ProcessWire's saved($page, $changes): ["name", "parent", "status"] both ways (sorted here)
    a = site.pages.add("basic-page", 1, "a", title="A")
    changes: list[list[str]] = []
    site.add_hook_after("Pages::saved", lambda e: changes.append(sorted(e.arguments[1])))
    a.parent = 7
    a.save()
    a.parent = 1
    a.save()
    assert changes == [["name", "parent", "status"], ["name", "parent", "status"]]


def test_renamed_and_moved_hooks_see_the_previous_name_and_parent(site):
    # ProcessWire: $page->namePrevious and $page->parentPrevious, set when the name or parent
    # changes and kept through the save's hooks (a redirects module's `renamed` hook reads
    # them); trash() and restore() set them too. Here the hooks saw only the new values.
    root = site.pages.add("basic-page", 1, "hp", title="HP")
    other = site.pages.add("basic-page", root, "other", title="Other")
    page = site.pages.add("basic-page", root, "old", title="Old")
    seen = []
    for event in ("renamed", "moved", "saved"):
        site.add_hook_after(f"Pages::{event}", lambda e, event=event: seen.append(
            (event, e.arguments[0].name_previous, e.arguments[0].parent_previous.path
             if e.arguments[0].parent_previous else None)))
    assert page.name_previous is None and page.parent_previous is None
    page.name = "new"
    page.parent = other
    assert page.name_previous == "old" and page.parent_previous.path == "/hp/"     # not saved yet
    page.save()
    assert seen == [("saved", "old", "/hp/"), ("renamed", "old", "/hp/"), ("moved", "old", "/hp/")]
    assert page.name_previous is None and page.parent_previous is None           # saved
    seen.clear()
    page.trash()                    # a save too, as there (tests/test_pw_left_diff.py)
    assert seen == [("saved", "new", "/hp/other/"), ("renamed", "new", "/hp/other/"),
                    ("moved", "new", "/hp/other/")]
    trash_name = page.name
    seen.clear()
    page.restore()
    assert seen == [("saved", trash_name, "/trash/"), ("renamed", trash_name, "/trash/"),
                    ("moved", trash_name, "/trash/")]
    assert page.name_previous is None and page.parent_previous is None
    seen.clear()
    page.title = "Only the title"
    page.save()
    assert seen == [("saved", None, None)]


STATUS_EVENTS = ("status_change_ready", "publish_ready", "unpublish_ready", "save_ready", "saved",
                 "status_changed", "published", "unpublished")


def test_a_status_change_fires_processwire_s_status_hooks(site):
    # ProcessWire 3.0.256 (PagesEditor::savePageQuery and savePageFinish, Pages::statusChanged):
    # a save whose status changed fires statusChangeReady (which calls publishReady or
    # unpublishReady) before saveReady, and statusChanged (which calls published or
    # unpublished) after saved; `$page->statusPrevious` is the status before. After-hooks,
    # so an event called inside another is heard first. Here none of them existed.
    page = site.pages.add("basic-page", 1, "st", title="St")
    seen = []
    for event in STATUS_EVENTS:
        site.add_hook_after(f"Pages::{event}", lambda e, event=event: seen.append(
            (event, e.arguments[0].status_previous)))
    published = page.status
    page.add_status("unpublished")
    page.save()
    assert seen == [("unpublish_ready", published), ("status_change_ready", published),
                    ("save_ready", published), ("saved", published), ("unpublished", published),
                    ("status_changed", published)]
    seen.clear()
    unpublished = page.status
    page.remove_status("unpublished")
    page.save()
    assert seen == [("publish_ready", unpublished), ("status_change_ready", unpublished),
                    ("save_ready", unpublished), ("saved", unpublished), ("published", unpublished),
                    ("status_changed", unpublished)]
    seen.clear()
    page.add_status("hidden")
    page.save()
    assert seen == [("status_change_ready", published), ("save_ready", published), ("saved", published),
                    ("status_changed", published)]
    seen.clear()
    page.title = "Only the title"
    page.save()
    assert seen == [("save_ready", None), ("saved", None)]
    assert page.status_previous is None
    # ProcessWire's spelling names the same events
    heard = []
    site.add_hook_after("Pages::statusChanged", lambda e: heard.append(e.arguments[0].name))
    page.remove_status("hidden")
    page.save()
    assert heard == ["st"]
