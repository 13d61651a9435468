"""A fifth hostile review, of the API's access rules and the admin over HTTP (after
test_security_review_4.py): each test failed before its fix."""
from __future__ import annotations

import pytest
from webclient import PASSWORD, Client

import cms
from cms import Page
from cms.errors import PermissionDenied, ValidationError


def an_editor(site) -> None:
    """`ed`, who edits, adds and deletes every page under home (no page-lock)."""
    site.users.add_role("editor", ["page-edit", "page-add", "page-create", "page-delete"])
    site.users.add("ed", PASSWORD, roles=["editor"])
    site.templates["home"].set_access(view=["guest"], edit=["editor"], create=["editor"],
                                      add=["editor"])


# -- status bits a superuser's ------------------------------------------------------------------
@pytest.mark.parametrize("bit", ["system", "system_id", "unique", "draft"])
def test_an_editor_gives_no_page_a_status_the_editor_form_keeps_for_superusers(site, bit):
    """The page editor lets an editor set hidden and unpublished, and a page-lock holder the
    lock; ProcessWire's offers system, systemId, unique and draft to superusers alone
    (ProcessPageEdit::getAllowedStatuses). The API saved them for anyone who may edit the
    page: an editor's script made a page a system page (never deleted, moved or trashed
    again, by anyone: the page would stay for good), or took that status from one. Such a
    status is refused to a user who is not a superuser, saying which and whose it is."""
    an_editor(site)
    about = site.pages.add("basic-page", 1, "about", title="About")
    with site.as_user("ed"):
        page = site.pages.get(about.id)
        page.add_status(bit)
        with pytest.raises(PermissionDenied, match=rf"may not set or clear the {bit} status "
                                                   r"of /about/.*only a superuser"):
            page.save()
        with pytest.raises(PermissionDenied, match=f"{bit} status"):
            site.pages.add("basic-page", 1, "new", title="New",
                           status=Page.STATUS_ON | Page.STATUS_NAMES[bit])
        assert not site.pages.get("/new/")
    assert site.pages.get(about.id).status == Page.STATUS_ON
    # one the page has already is taken from it by nobody but a superuser either
    site.pages.get(about.id).add_status(bit).save()
    with site.as_user("ed"):
        page = site.pages.get(about.id)
        page.remove_status(bit)
        with pytest.raises(PermissionDenied, match=f"{bit} status"):
            page.save()
        page = site.pages.get(about.id)      # what the form offers still saves, the bit kept
        page.add_status("hidden").add_status("unpublished").save()
        site.pages.add("basic-page", 1, "draft", title="Draft", status=Page.STATUS_ON
                       | Page.STATUS_HIDDEN | Page.STATUS_UNPUBLISHED)
    bits = Page.STATUS_NAMES[bit] | Page.STATUS_HIDDEN | Page.STATUS_UNPUBLISHED
    assert site.pages.get(about.id).status == Page.STATUS_ON | bits


def test_an_editor_gives_a_page_the_statuses_the_form_offers_with_or_without_the_on_bit(site):
    """`on` means nothing here (ProcessWire's pages carry it; its advanced mode offers it to
    superusers): an editor's `status=Page.STATUS_HIDDEN`, without it, is the hidden page asked
    for, not a refusal naming a bit the editor never meant to touch."""
    an_editor(site)
    with site.as_user("ed"):
        hidden = site.pages.add("basic-page", 1, "hidden", title="Hidden", status=Page.STATUS_HIDDEN)
        page = site.pages.get("/hidden/")
        page.status = Page.STATUS_UNPUBLISHED
        page.save()
    assert hidden.status == Page.STATUS_HIDDEN
    assert site.pages.get(hidden.id).status == Page.STATUS_UNPUBLISHED


def test_an_editor_locks_a_new_page_only_with_page_lock(site):
    """A lock is set by whoever holds page-lock, on a saved page; a page added locked by an
    editor without it was one its own author could no longer edit, move or trash."""
    an_editor(site)
    with site.as_user("ed"):
        with pytest.raises(PermissionDenied, match="page-lock"):
            site.pages.add("basic-page", 1, "locked", title="Locked",
                           status=Page.STATUS_ON | Page.STATUS_LOCKED)
    assert not site.pages.get("/locked/")
    site.users.add_role("locker", ["page-edit", "page-lock"])
    site.templates["home"].set_access(view=["guest"], edit=["editor", "locker"],
                                      create=["editor"], add=["editor"])
    site.users.add("lou", PASSWORD, roles=["editor", "locker"])
    with site.as_user("lou"):
        page = site.pages.add("basic-page", 1, "locked", title="Locked",
                              status=Page.STATUS_ON | Page.STATUS_LOCKED)
    assert page.is_locked()


# -- the last superuser -------------------------------------------------------------------------
def test_no_code_leaves_the_site_without_a_superuser_who_can_log_in(site):
    """The last superuser kept the role and was never deleted, but code running with every
    right (a script, a module's hook) could still lock everyone out: unpublish that user (an
    unpublished user never logs in, as in ProcessWire), remove their password, or demote or
    delete them while the only other superuser was unpublished (counted as a holder of the
    role, though it could not log in either). ProcessWire keeps its installer's superuser a
    superuser whatever its roles, and refuses to take the role from the one saving. Here the
    rule is the outcome: no save or delete leaves no published user holding superuser and a
    password, whoever asks; the error says why and what to do first."""
    admin = site.users.add("admin", PASSWORD)
    with pytest.raises(ValidationError, match="'admin' is the last superuser who can log in: "
                                              "it cannot be unpublished"):
        admin.add_status("unpublished").save()
    admin = site.users.get("admin")
    with pytest.raises(ValidationError, match="its password cannot be removed"):
        admin.set_and_save("pass", None)
    other = site.users.add("other", PASSWORD)
    site.users.get("other").add_status("unpublished").save()   # admin still logs in
    with pytest.raises(ValidationError, match="the superuser role cannot be taken away"):
        site.users.get("admin").set_and_save("roles", [site.users.role("guest")])
    with pytest.raises(ValidationError, match="it cannot be deleted"):
        site.users.delete("admin")
    assert site.users.authenticate("admin", PASSWORD).is_superuser()
    # once another superuser can log in, admin may go
    site.users.get("other").remove_status("unpublished").save()
    site.users.get("admin").add_status("unpublished").save()
    with pytest.raises(ValidationError, match="'other' is the last superuser who can log in"):
        site.users.get("other").set_and_save("roles", [site.users.role("guest")])
    assert site.users.authenticate("other", PASSWORD).id == other.id
    assert site.users.authenticate("admin", PASSWORD) is None


@pytest.mark.parametrize("bit", ["system", "system_id"])
def test_no_code_takes_the_system_status_from_the_guest_user_to_delete_it(site, bit):
    """The guest user (everyone not logged in) is a system page, never deleted, renamed or
    moved. But code running with every right could take that status off and then delete it:
    every request after that, the login form's too, answered 500 (there was no guest to act
    as), and nobody could log in to put it back. ProcessWire keeps a page's system and systemId
    statuses through any status set (`Page::setStatus`) and refuses `removeStatus()` of them
    without its systemOverride status, which is not offered here: a save that clears either
    is refused, whoever asks, so the guest, the superuser role and the admin's own pages stay."""
    site.users.add("admin", PASSWORD)
    guest = site.users.guest()
    guest.remove_status(bit)
    with pytest.raises(ValidationError, match=rf"the {bit} status of /admin/access/users/guest/ "
                                              r"is kept for good"):
        guest.save()
    guest = site.users.guest()
    guest.status = Page.STATUS_ON
    with pytest.raises(ValidationError, match="is kept for good"):
        guest.save()
    with pytest.raises(cms.PageError, match="system page"):
        site.pages.delete(site.users.guest())
    role = site.users.role("superuser")
    with pytest.raises(ValidationError, match="is kept for good"):
        role.remove_status(bit).save()
    assert site.users.guest().has_status(bit) and site.users.role("superuser").has_status(bit)


# -- sessions -----------------------------------------------------------------------------------
def test_a_login_over_a_logged_in_session_ends_that_session(site, admin_server):
    """Logging in ends the browser's previous login as a logout would: ProcessWire's login
    regenerates the session id and destroys the old session. Here a login posted from a
    browser already logged in (a second tab's form, a shared computer) replaced the cookie but
    left the previous login's row standing: a copy of the superuser's cookie kept every right
    for the rest of its twelve hours, and the logout that followed ended only the new login."""
    site.users.add_role("editor", ["page-edit"])
    site.users.add("ed", PASSWORD, roles=["editor"])
    browser = Client(admin_server)
    browser.login("admin")
    copy = Client(admin_server)
    copy.cookies = dict(browser.cookies)
    assert copy.get("/admin/access/users/").status == 200
    answer = browser.post("/admin/login", {"username": "ed", "password": PASSWORD,
                                           "csrf_token": browser.token()})    # another tab's form
    assert answer.status == 303 and browser.get("/admin/").status == 200     # ed's login holds
    refused = copy.get("/admin/access/users/")
    assert refused.status == 303 and refused.location.startswith("/admin/login"), refused
    browser.close()
    copy.close()
