"""Hooks: before, after and replacing handlers on `Class::method` and on one object."""
from __future__ import annotations

import logging

import peewee
import pytest

from cms import HookEvent, hookable
from cms.hooks import Hookable


def test_before_and_after_hooks_see_the_object_arguments_and_return_value(site):
    seen = []
    site.add_hook_before("Pages::save", lambda e: seen.append(("before", e.object, e.arguments[0].name)))
    site.add_hook_after("Pages::save", lambda e: seen.append(("after", e.return_value)))

    site.pages.add("basic-page", 1, "about", title="About")

    assert seen == [("before", site.pages, "about"), ("after", True)]


def test_a_before_hook_can_change_what_is_saved(site):
    def shout(event: HookEvent) -> None:
        page = event.arguments[0]
        page.title = page.title.upper()

    site.add_hook_before("Pages::save", shout)
    site.pages.add("basic-page", 1, "about", title="About us")

    assert site.pages.get("/about/").title == "ABOUT US"


def test_a_before_hook_setting_replace_replaces_the_method(site):
    def refuse(event: HookEvent) -> None:
        event.replace = True
        event.return_value = False

    site.add_hook_before("Pages::save", refuse)
    page = site.pages.new("basic-page", 1, "draft", title="Draft")

    assert site.pages.save(page) is False
    assert not site.pages.get("/draft/")


def test_hooks_run_by_priority_then_in_the_order_added(site):
    order = []
    site.add_hook_after("Pages::saved", lambda e: order.append("late"), priority=200)
    site.add_hook_after("Pages::saved", lambda e: order.append("first"), priority=50)
    site.add_hook_after("Pages::saved", lambda e: order.append("default-1"))
    site.add_hook_after("Pages::saved", lambda e: order.append("default-2"))

    site.pages.add("basic-page", 1, "x", title="X")

    assert order == ["first", "default-1", "default-2", "late"]


def test_a_hook_is_removed_by_its_id(site):
    calls = []
    hook_id = site.add_hook_after("Pages::added", lambda e: calls.append(e.arguments[0].name))
    site.pages.add("basic-page", 1, "one", title="One")

    assert site.remove_hook(hook_id) is True
    site.pages.add("basic-page", 1, "two", title="Two")

    assert calls == ["one"]
    assert site.remove_hook(hook_id) is False
    site.add_hook_after("Pages::added", lambda e: calls.append("new hook"))
    site.pages.add("basic-page", 1, "three", title="Three")
    assert calls == ["one", "new hook"]


def test_object_hooks_apply_to_that_object(site):
    changes = []
    hook_id = site.pages.add_hook_after("saved", lambda e: changes.append(e.arguments[1]))
    page = site.pages.add("basic-page", 1, "about", title="About")
    page.title = "About us"
    page.save()

    assert changes == [["title"], ["title"]]
    assert site.pages.remove_hook(hook_id) is True


def test_class_hooks_on_the_tree_events(site):
    events = []
    for name in ("added", "moved", "trashed", "restored", "deleted"):
        site.add_hook_after(f"Pages::{name}", lambda e, name=name: events.append((name, e.arguments[0].id)))
    page = site.pages.add("basic-page", 1, "about", title="About")
    page.trash()
    page.restore()
    page_id = page.id
    site.pages.delete(page)

    # as ProcessWire 3.0.256 fires them: moved before trashed and before restored
    assert events == [("added", page_id), ("moved", page_id), ("trashed", page_id),
                      ("moved", page_id), ("restored", page_id), ("deleted", page_id)]


def test_trash_restore_delete_and_add_are_hookable_as_in_processwire(site):
    seen = []
    for name in ("add", "trash", "restore", "delete"):
        site.add_hook_before(f"Pages::{name}", lambda e, name=name: seen.append(name))
    page = site.pages.add("basic-page", 1, "about", title="About")
    page.trash()
    page.restore()
    site.pages.delete(page)
    assert seen == ["add", "trash", "restore", "delete"]

    def keep(event: HookEvent) -> None:          # a before hook may replace the method
        event.replace = True
        event.return_value = 0
    site.add_hook_before("Pages::delete", keep)
    kept = site.pages.add("basic-page", 1, "kept", title="Kept")
    assert site.pages.delete(kept) == 0 and site.pages.get("/kept/")


def test_a_hook_that_could_never_run_is_refused(site):
    """`Pages::trashh` (or a method that is not hookable) was accepted and never ran."""
    with pytest.raises(ValueError, match=r"Pages::trashh is not hookable; Pages has .*trash"):
        site.add_hook_after("Pages::trashh", lambda e: None)
    with pytest.raises(ValueError, match="Pages::find is not hookable"):
        site.pages.add_hook_before("find", lambda e: None)
    with pytest.raises(ValueError, match="Page::save is not hookable; Page has render"):
        site.add_hook_after("Page::save", lambda e: None)
    # a class not loaded yet (a module's, registered later) is taken on trust
    assert site.add_hook_after("NotLoadedYet::run", lambda e: None)


def test_a_hook_that_raises_leaves_no_half_saved_page_and_is_named_once(site, caplog):
    """The error names the hook (a note on it), and is not logged here as well as wherever it
    is caught: it showed twice."""
    def fail(event: HookEvent) -> None:
        raise RuntimeError("the search index is down")

    site.add_hook_after("Pages::saved", fail)
    page = site.pages.new("basic-page", 1, "about", title="About")

    with caplog.at_level(logging.DEBUG), pytest.raises(RuntimeError) as raised:
        page.save()

    assert page.id == 0 and not site.pages.get("/about/")
    assert site.db.scalar("SELECT COUNT(*) FROM field_title WHERE data = 'About'") == 0
    assert any("fail" in note and "'Pages::saved'" in note for note in raised.value.__notes__)
    assert not [r for r in caplog.records if r.exc_info]


def test_a_hook_that_raises_on_an_update_keeps_the_stored_values(site):
    page = site.pages.add("basic-page", 1, "about", title="About")
    site.add_hook_after("Pages::saved", lambda e: 1 / 0)
    page.title = "Changed"

    with pytest.raises(ZeroDivisionError):
        page.save()

    assert site.pages.get(page.id).title == "About"


def test_a_hook_that_raises_inside_a_callers_transaction_undoes_only_its_save(site):
    def fail_for_b(event: HookEvent) -> None:
        if event.arguments[0].name == "b":
            raise RuntimeError("refused")

    site.add_hook_after("Pages::saved", fail_for_b)
    with site.transaction():
        site.pages.add("basic-page", 1, "a", title="A")
        with pytest.raises(RuntimeError):
            site.pages.add("basic-page", 1, "b", title="B")
        site.pages.add("basic-page", 1, "c", title="C")
    assert [p.name for p in site.pages.find("name=a|b|c, sort=name")] == ["a", "c"]
    assert site.db.scalar("SELECT COUNT(*) FROM field_title WHERE data = 'B'") == 0


def test_hooks_that_run_before_a_save_writes_take_no_savepoint_and_a_refusal_writes_nothing(
        site, monkeypatch):
    """A bulk import with a `saveReady` hook (ProcessWire's usual way to set values on save)
    runs without a savepoint per page: such a hook runs before the first write, so one that
    refuses leaves nothing of its save behind. A hook after the writes takes the savepoint."""
    def stamp_or_refuse(event: HookEvent) -> None:
        page = event.arguments[0]
        if page.name == "b":
            raise RuntimeError("refused")
        page.title = page.title.upper()

    site.add_hook_after("Pages::saveReady", stamp_or_refuse)
    site.add_hook_before("Pages::save", lambda event: None)
    opened = []
    transaction = site.transaction
    monkeypatch.setattr(site, "transaction", lambda: opened.append(1) or transaction())
    with transaction():
        site.pages.add("basic-page", 1, "a", title="a")
        with pytest.raises(RuntimeError):
            site.pages.add("basic-page", 1, "b", title="b")
        site.pages.add("basic-page", 1, "c", title="c")
    assert opened == []
    assert [p.title for p in site.pages.find("name=a|b|c, sort=name")] == ["A", "C"]
    assert site.db.scalar("SELECT COUNT(*) FROM pages WHERE name = 'b'") == 0

    site.add_hook_after("Pages::saved", lambda event: None)
    taken = []
    savepoint = site.db.savepoint
    monkeypatch.setattr(site.db, "savepoint", lambda name: taken.append(name) or savepoint(name))
    with transaction():
        page = site.pages.add("basic-page", 1, "d", title="d")     # after its rows are written
        page.title = "D"
        page.save()                                                # before an update's writes
    assert taken == ["cms_add_1", "cms_level_2"] and opened == [1]


def test_a_failed_hooked_add_undoes_its_rows_and_what_its_hooks_wrote(site):
    """Inside a caller's transaction a hooked add takes its savepoint after its own writes:
    a hook that fails after writing (here a page of its own, and a failing statement) leaves
    neither behind, the added page's rows go, and the transaction goes on."""
    failing = [True]

    def log_then_fail(event: HookEvent) -> None:
        page = event.arguments[0]
        if page.template.name == "basic-page":
            site.pages.add("log-entry", 1, f"log-{page.name}", title=f"Log {page.name}")
        if page.name == "b" and failing[0]:
            site.db.execute(f"INSERT INTO pages ({COLUMNS}) SELECT {COLUMNS} FROM pages "
                            "WHERE id = 1")                   # fails: id 1 is taken

    COLUMNS = "id, parent_id, templates_id, name, status, sort, created, modified"
    site.templates.add("log-entry", fields=["title"])
    site.add_hook_after("Pages::added", log_then_fail)
    titles_before = site.db.scalar("SELECT COUNT(*) FROM field_title")
    with site.transaction():
        a = site.pages.add("basic-page", 1, "a", title="A")
        b = site.pages.new("basic-page", 1, "b", title="B")
        with pytest.raises(peewee.IntegrityError):
            b.save()
        c = site.pages.add("basic-page", 1, "c", title="C")
    assert b.id == 0 and b.is_new
    names = [p.name for p in site.pages.find("name=a|b|c|log-a|log-b|log-c, include=all, sort=name")]
    assert names == ["a", "c", "log-a", "log-c"]
    assert site.db.scalar("SELECT COUNT(*) FROM field_title") == titles_before + 4
    assert site.db.scalar("SELECT COUNT(*) FROM pages_paths WHERE path LIKE '/b/%' "
                          "OR path LIKE '/log-b/%'") == 0
    assert site.pages.find("title%=B, include=all").ids() == []       # the title index too
    assert [a.id, c.id] == [p.id for p in site.pages.find("id=" + f"{a.id}|{c.id}, sort=id")]
    failing[0] = False
    b.save()                                              # the page object is as before: new
    assert site.pages.get("/b/").id == b.id and site.pages.get("/log-b/").title == "Log b"


def test_module_code_can_offer_its_own_hook_points(site):
    class Mailer(Hookable):
        def __init__(self, site):
            self.site = site

        @hookable
        def send(self, to: str) -> str:
            return f"sent to {to}"

    mailer = Mailer(site)
    site.add_hook_before("Mailer::send", lambda e: e.arguments.__setitem__(0, "ops@example.com"))
    site.add_hook_after("Mailer::send", lambda e: setattr(e, "return_value", e.return_value + "!"))

    assert mailer.send("someone@example.com") == "sent to ops@example.com!"


def test_a_hook_name_without_a_class_is_refused(site):
    with pytest.raises(ValueError, match="Class::method"):
        site.add_hook_after("save", lambda e: None)
    with pytest.raises(TypeError):
        site.add_hook_after("Pages::save", "not callable")


def test_save_ready_moved_and_renamed_as_in_processwire_by_either_spelling(site):
    """A ProcessWire developer hooks `Pages::saveReady` to change a page before it is written,
    and `moved` / `renamed` after a save that moved or renamed it."""
    site.fields.add("summary", "Text")
    site.templates["basic-page"].add_field("summary")

    def stamp(event: HookEvent) -> None:
        page = event.arguments[0]
        page.summary = f"about {page.title}"
    site.add_hook_after("Pages::saveReady", stamp)        # ProcessWire's spelling: save_ready
    events: list[tuple[str, str]] = []
    for name in ("moved", "renamed", "trashed"):
        site.pages.add_hook_after(name, lambda e, name=name: events.append((name, e.arguments[0].path)))
    a = site.pages.add("basic-page", 1, "a", title="A")
    b = site.pages.add("basic-page", 1, "b", title="B")
    assert site.pages.get(a.id).summary == "about A"      # written with the page
    a.title = "A2"
    a.save()
    assert site.pages.get(a.id).summary == "about A2" and events == []
    a.parent = b
    a.save()
    a.name = "a2"
    a.save()
    a.parent = 1
    a.name = "a3"
    a.save()
    a.parent = 7                                          # a save into the trash trashes it
    a.save()
    # renamed before moved, and a save into the trash renames it too, as in ProcessWire 3.0.256
    assert events == [("moved", "/b/a/"), ("renamed", "/b/a2/"), ("renamed", "/a3/"),
                      ("moved", "/a3/"), ("renamed", a.path), ("moved", a.path), ("trashed", a.path)]
    assert site.pages.get(a.id).is_trash()


def test_processwire_spellings_name_our_hook_points_and_a_modules_own_names_stay(site):
    site.add_hook_after("LazyCron::every30Seconds", lambda e: None)
    assert "every_30_seconds" in site.hooks.hooked_methods
    with pytest.raises(ValueError, match="Pages::saveReadyy is not hookable"):
        site.add_hook_after("Pages::saveReadyy", lambda e: None)

    class Importer(Hookable):
        def __init__(self, site):
            self.site = site

        @hookable
        def importWords(self) -> str:              # noqa: N802 - a module's own spelling
            return "imported"

    importer = Importer(site)
    importer.add_hook_after("importWords", lambda e: setattr(e, "return_value", "hooked"))
    assert importer.importWords() == "hooked"


@pytest.mark.parametrize("priority", ["high", None, float("nan"), [1]])
def test_a_hook_priority_that_is_no_number_is_refused_and_leaves_the_hooks_working(site, priority):
    """A priority such as "high" was added to the list before its sort raised TypeError ('<'
    not supported between 'str' and 'int'): the hook stayed, with no id to remove it by, and
    every later save and hook add on Pages::save raised the same TypeError."""
    ran = []
    site.add_hook_before("Pages::save", lambda event: ran.append("kept"))
    with pytest.raises(ValueError, match="priority"):
        site.add_hook_before("Pages::save", lambda event: ran.append("bad"), priority=priority)
    site.add_hook_after("Pages::save", lambda event: ran.append("after"), priority=50)
    site.pages.get(1).save()
    assert ran == ["kept", "after"]
