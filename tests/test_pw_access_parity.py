"""Access control against ProcessWire 3.0.256: answers a randomized differential run gave
there (a rig kept outside this repository: the same roles, users, templates with and without
access and page trees in both, asked as the guest and as each user), each stated here as the
answer this product now gives."""
from __future__ import annotations

import pytest
from test_locks_and_visitor_references import holders_of_a_draft

from cms import Page

PASSWORD = "a long passphrase 123"


@pytest.fixture
def locked(site):
    """A template editors edit, one page of it locked; `locker`'s role also holds page-lock."""
    site.users.add_role("editor", permissions=["page-edit"])
    site.users.add_role("locker", permissions=["page-edit", "page-lock", "page-move", "page-sort"])
    site.users.add("ed", PASSWORD, roles=["editor"])
    site.users.add("lou", PASSWORD, roles=["locker"])
    site.users.add("boss", PASSWORD)                      # superuser
    site.templates.add("doc", fields=["title"]).set_access(
        view=["guest", "editor", "locker"], edit=["editor", "locker"], create=[], add=[])
    root = site.pages.add("doc", 1, "r", title="Root")
    page = site.pages.add("doc", root, "a", title="A")
    page.add_status(Page.STATUS_LOCKED)
    page.save()
    return site, root, site.pages.get(page.id)


def test_locked_page_is_editable_by_superuser_and_page_lock_holder(locked):
    # ProcessWire 3.0.256: $page->editable() of a locked page is true for the superuser (checked
    # first) and for a user holding page-lock on it (PagePermissions::___pageEditable: "If page
    # is locked and user doesn't have permission to unlock, don't let them edit"), false for an
    # editor without page-lock; and so an unpublished locked page is viewable() only by those
    # (viewable() asks $page->editable() of an unpublished page: README's table keeps that
    # one apart, as a find and viewable() agree here). Here editable() was false for everyone.
    site, root, page = locked
    with site.as_user("boss"):
        assert site.pages.get(page.id).editable()
    with site.as_user("lou"):
        assert site.pages.get(page.id).editable()
    with site.as_user("ed"):
        assert not site.pages.get(page.id).editable()
        assert not site.pages.get(root.id).has_status(Page.STATUS_LOCKED)
        assert site.pages.get(root.id).editable()


def test_locked_page_is_not_moveable(locked):
    # ProcessWire 3.0.256: $page->moveable() and $page->moveable($newParent) are false for a
    # locked page, for everyone, the superuser too (PagePermissions::moveable: `if($page->id == 1
    # || $page->isLocked()) $moveable = false`), as trashable() and deleteable() are here too.
    site, root, page = locked
    other = site.pages.add("doc", 1, "other", title="Other")
    with site.as_user("boss"):
        assert not site.pages.get(page.id).moveable()
        assert not site.pages.get(page.id).moveable(parent=other)
    with site.as_user("lou"):
        assert not site.pages.get(page.id).moveable()
        assert not site.pages.get(page.id).moveable(parent=other)


def test_page_field_value_leaves_out_unpublished_pages_for_a_visitor(site):
    # ProcessWire 3.0.256: $holder->refs read with output formatting on (as template files and
    # the front end read it, whoever the user) leaves out the unpublished pages it references
    # (FieldtypePage::___formatValue: "remove unpublished pages for front-end formatted
    # output"): the guest reading it gets [pub] alone. Here the guest gets the unpublished page
    # too, so a template listing page.refs shows the guest a page it may not view. (Here a
    # visitor gets the pages it may view; a logged-in user and code get every one.)
    pub, draft = holders_of_a_draft(site, count=1)
    holder = site.pages.get("name=h0")
    with site.as_user("guest"):
        assert not site.pages.get(draft.id).viewable()
        assert site.pages.get(holder.id).refs.ids() == [pub.id]
    with site.as_user("guest"):
        assert site.pages.find_one(f"id={holder.id}").refs.ids() == [pub.id]   # read for a find
    assert site.pages.get(holder.id).refs.ids() == [draft.id, pub.id]          # code: every one
