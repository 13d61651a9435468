"""Defects found by a third fresh-eyes review of the session's changes (the save path's trash
and restore, the status hooks, create_task's install, the page editor's cross-site form),
each stated with what a user would see."""
from __future__ import annotations

import pytest

import cms
from cms import Page, ValidationError

UNKNOWN_BIT = 1 << 20       # no status bit of ProcessWire's: a save refuses it


def stored(site, page_id: int) -> tuple[int, str]:
    """The page's status and path as the database holds them."""
    return site.db.one("SELECT p.status, pp.path FROM pages p JOIN pages_paths pp "
                       "ON pp.pages_id = p.id WHERE p.id = ?", (page_id,))


def test_trash_and_restore_store_the_status_the_page_holds(site):
    """ProcessWire 3.0.256: trash() of a page holding an unsaved addStatus(hidden) saves it
    in the trash and hidden (PagesTrash::trash saves the page as it is), restore() of one
    holding removeStatus(hidden) brings it back visible, and a save that moves a page into
    the trash with a status set stores both. Here each raised ValidationError ("the trash
    status is set and cleared by page.trash() and page.restore()"): the save compared the
    status with the one read before its move into or out of the trash."""
    site.templates.add("item", fields=["title"])
    page = site.pages.add("item", 1, "a", title="A")
    page.add_status(Page.STATUS_HIDDEN)
    site.pages.trash(page)
    status, path = stored(site, page.id)
    assert path.startswith("/trash/") and status & Page.STATUS_TRASH and status & Page.STATUS_HIDDEN

    page.remove_status(Page.STATUS_HIDDEN)
    site.pages.restore(page)
    assert stored(site, page.id) == (Page.STATUS_ON, "/a/")

    other = site.pages.add("item", 1, "b", title="B")
    other.parent = site.pages.get(7)
    other.add_status(Page.STATUS_UNPUBLISHED)
    other.save()
    status, path = stored(site, other.id)
    assert path.startswith("/trash/") and status & Page.STATUS_UNPUBLISHED and status & Page.STATUS_TRASH


def test_a_save_refused_for_its_status_writes_nothing_in_a_callers_transaction(site):
    """Inside a caller's transaction a save with no hook after its first write takes no
    savepoint, on the promise that what it writes is checked first. A save that renamed or
    trashed a page and gave it a status of no known bit moved the page, then refused the
    status: the caller, catching the ValidationError, committed the move the save said it
    had not made."""
    site.templates.add("item", fields=["title"])
    page = site.pages.add("item", 1, "a", title="A")
    with site.transaction():
        page.name = "renamed"
        page.status = Page.STATUS_ON | UNKNOWN_BIT
        with pytest.raises(ValidationError, match="status"):
            page.save()
    assert stored(site, page.id) == (Page.STATUS_ON, "/a/")

    page = site.pages.get(page.id)
    with site.transaction():
        page.status = Page.STATUS_ON | UNKNOWN_BIT
        with pytest.raises(ValidationError, match="status"):
            site.pages.trash(page)
    assert stored(site, page.id) == (Page.STATUS_ON, "/a/")
    assert page.parent_id == 1 and page.name == "a"


def test_trash_keeps_a_rename_the_page_holds_for_restore_to_give_back(site):
    """ProcessWire 3.0.256: trash() of a page holding an unsaved rename ($page->name = "new")
    names it ID.PARENT.SORT_new (PagesTrash::trash prefixes the name the page has), and
    restore() gives back "new"; the rename is saved with the trash, as every other unsaved
    change. Here the trash name was made from the stored name: the rename was lost without a
    word, though the save's `saved` listed "name" among its changes."""
    site.templates.add("item", fields=["title"])
    page = site.pages.add("item", 1, "old", title="A")
    sort = page.sort
    page.name = "new"
    site.pages.trash(page)
    assert page.name == f"{page.id}.1.{sort}_new"
    assert stored(site, page.id)[1] == f"/trash/{page.id}.1.{sort}_new/"
    site.pages.restore(page)
    assert stored(site, page.id)[1] == "/new/" and page.name == "new"


def test_saving_the_name_alone_leaves_a_new_parent_for_the_next_save(site):
    """README: `page.save("name")` saves that property alone, other changes waiting for the
    next save. With a new parent set as well it moved the page there, unchecked: a user
    without page-move (or page-add on the new parent) moved a page so, and a page moved into
    the trash so went without the trash name that restore() reads."""
    site.users.add_role("editor", ["page-edit"])
    site.templates.add("item", fields=["title"])
    site.templates.get("item").set_access(view=["guest"], edit=["editor"])
    site.users.add("ed", "secret-pass-123", roles=["editor"])
    a = site.pages.add("item", 1, "a", title="A")
    b = site.pages.add("item", 1, "b", title="B")
    a.parent = b
    a.name = "renamed"
    a.save("name")
    assert stored(site, a.id)[1] == "/renamed/" and a.is_changed("parent")
    a.save()
    assert stored(site, a.id)[1] == "/b/renamed/"

    c = site.pages.add("item", 1, "c", title="C")
    c.parent = site.pages.get(7)
    c.name = "cc"
    c.save("name")
    assert stored(site, c.id) == (Page.STATUS_ON, "/cc/")

    x = site.pages.add("item", 1, "x", title="X")
    with site.as_user("ed"):
        mine = site.pages.get(x.id)
        mine.parent = site.pages.get(b.id)
        mine.name = "xx"
        mine.save("name")
        assert stored(site, x.id)[1] == "/xx/"
        with pytest.raises(cms.PermissionDenied):
            mine.save()
    assert stored(site, x.id)[1] == "/xx/"


class Unstartable(cms.Module):
    """A module that installs but whose init() raises in this process."""
    info = {"title": "Unstartable", "version": "1"}

    def init(self):
        raise RuntimeError("the settings file is gone")

    def work(self, page, data, options):
        data["task_done"] = 1
        return True


def test_a_task_of_a_module_whose_init_raises_is_refused_with_task_error(site):
    """create_task installs a module not installed yet (it loads it, running its init()): one
    whose init() raised let that RuntimeError out of create_task, where every other reason a
    task cannot be created is TaskError (`tasks create` printed a traceback, the task API
    answered 500). Before create_task installed modules, the task was created and its first
    step failed saying "module 'Unstartable' could not be loaded: RuntimeError: ..."."""
    from cms.tasker import TaskError
    tasker = site.modules.get("Tasker")
    site.modules.register(Unstartable)
    before = len(tasker.get_tasks("include=all"))
    with pytest.raises(TaskError, match="Unstartable.*could not be loaded: RuntimeError: the "
                                        "settings file is gone"):
        tasker.create_task("Unstartable", "work", 1, "Never")
    assert len(tasker.get_tasks("include=all")) == before


def test_a_form_posted_from_another_site_shows_the_stored_name_and_status(site, superuser):
    """A cross-site POST to the editor (no token of this session) is shown with the page as
    stored, not with what it sent (a fresh token beside those values is one click on Save from
    storing them as the user's own); the fields were, but the name and the hidden and
    unpublished boxes still showed the sender's values."""
    page = site.pages.add("basic-page", 1, "about", title="About")
    posted = [("csrf_token", "forged"), ("title", "About"), ("name", "planted-name"),
              ("editor-shown", "editor-hidden"), ("editor-shown", "editor-unpublished"),
              ("editor-hidden", "1"), ("editor-unpublished", "1")]
    answer = superuser.post(f"/admin/page/{page.id}/edit", posted,
                            headers={"Origin": "https://elsewhere.example", "Sec-Fetch-Site": "cross-site"})
    assert answer.status == 403 and "did not come from this site" in answer.text
    assert "planted-name" not in answer.text
    assert 'name="name" value="about"' in answer.text
    assert 'name="editor-hidden" value="1" checked' not in answer.text
    assert 'name="editor-unpublished" value="1" checked' not in answer.text
    own = superuser.post(f"/admin/page/{page.id}/edit", posted, headers={"Sec-Fetch-Site": "same-origin"})
    assert own.status == 403 and 'name="name" value="planted-name"' in own.text    # kept, as typed
    assert 'name="editor-unpublished" value="1" checked' in own.text
    assert stored(site, page.id) == (Page.STATUS_ON, "/about/")


def test_a_number_padded_with_zeros_is_shown_short_in_a_message(site):
    """cms.digits.shown_number shows a number of more than 20 digits by its first 20 and its
    count; one of thousands of zeros before a few digits was shown whole: a Page field given
    "000...0999" (5,000 zeros) for a page that does not exist said so in a message of 5,000
    characters (the message cut such a value at 80 before shown_number)."""
    from cms.digits import shown_number
    site.fields.add("ref", "Page")
    site.templates.add("item", fields=["title", "ref"])
    page = site.pages.new("item", 1, "a", title="A")
    with pytest.raises(ValidationError) as raised:
        page.ref = "0" * 5000 + "999"
    assert len(str(raised.value)) < 120 and "999" in str(raised.value)
    assert shown_number("0" * 5000 + "999") == "999"
    assert shown_number("-" + "0" * 5000 + "5") == "-5"
    assert shown_number("0" * 5000) == "0"
    assert shown_number("0" * 30 + "9" * 25) == "9" * 20 + "... (25 digits)"
    assert shown_number("007") == "007"         # 20 digits or fewer: as typed
