"""The trash screen over HTTP: list, restore, and Empty trash only when confirmed."""
from __future__ import annotations

import re

from webclient import PASSWORD, Client, schema_seen_now


def test_the_trash_lists_restores_and_empties_when_confirmed(site, superuser):
    token = superuser.token()
    kept = site.pages.add("basic-page", 1, title="Kept")
    back = site.pages.add("basic-page", 1, title="Comes back")
    gone = site.pages.add("basic-page", 1, title="Goes for good")
    site.pages.add("basic-page", gone, title="Goes with it")
    back.trash()
    gone.trash()
    listed = superuser.get("/admin/trash/")
    assert "2 page(s) in the trash" in listed.text
    assert "Comes back" in listed.text and "Goes for good" in listed.text
    assert "Goes with it" not in listed.text and "Kept" not in listed.text
    assert re.search(rf'data-page-id="{gone.id}">.*?</td>\s*<td>basic-page</td>\s*<td>1</td>',
                     listed.text, re.S)                                # its child goes with it
    assert re.search(rf'data-page-id="{back.id}">.*?</td>\s*<td>basic-page</td>\s*<td>0</td>',
                     listed.text, re.S)
    restored = superuser.post(f"/admin/page/{back.id}/restore", {"csrf_token": token,
                                                                 "back": "trash"})
    assert restored.location == "/admin/trash/"
    assert site.pages.get(back.id).path == "/comes-back/"
    unconfirmed = superuser.post("/admin/trash/empty", {"csrf_token": token})
    assert "Nothing was deleted" in superuser.get(unconfirmed.location).text
    assert site.pages.get(gone.id)
    emptied = superuser.post("/admin/trash/empty", {"csrf_token": token, "confirm": "1"})
    assert "2 page(s) deleted for good" in superuser.get(emptied.location).text
    assert not site.pages.get(gone.id) and site.pages.get(kept.id) and site.pages.get(back.id)
    assert "The trash is empty." in superuser.get("/admin/trash/").text


def test_only_a_superuser_empties_the_trash(site, admin_server):
    site.users.add_role("editor", ["page-edit"])
    site.users.add("ed", PASSWORD, roles=["editor"])
    site.pages.add("basic-page", 1, title="Trashed").trash()
    editor = Client(admin_server)
    editor.login("ed")
    # a trashed page is listed only for who may edit it (page-edit through its template's
    # edit roles), as it is viewable only by them
    assert "Trashed" not in editor.get("/admin/trash/").text
    site.templates["home"].set_access(view=["guest"], edit=["editor"])
    schema_seen_now(admin_server)
    listed = editor.get("/admin/trash/")
    assert "Trashed" in listed.text and "Empty trash" not in listed.text
    refused = editor.post("/admin/trash/empty", {"csrf_token": editor.token(), "confirm": "1"})
    assert refused.status == 403 and site.pages.count("parent=7, include=all") == 1
    editor.close()


def test_one_trashed_page_is_deleted_for_good_by_whoever_may_delete_it(site, superuser,
                                                                      admin_server):
    token = superuser.token()
    gone = site.pages.add("basic-page", 1, title="Goes")
    inner = site.pages.add("basic-page", gone, title="Inner")
    kept = site.pages.add("basic-page", 1, title="Kept in the trash")
    gone.trash()
    kept.trash()
    listed = superuser.get("/admin/trash/").text
    assert f'action="/admin/trash/{gone.id}/delete"' in listed
    assert "Delete Goes and everything below it for good?" in listed
    deleted = superuser.post(f"/admin/trash/{gone.id}/delete", {"csrf_token": token, "confirmed": "1"})
    assert "Deleted Goes for good (2 page(s))" in superuser.get(deleted.location).text
    assert not site.pages.get(gone.id) and not site.pages.get(inner.id)
    assert site.pages.get(kept.id).is_trash()
    live = site.pages.add("basic-page", 1, title="Live")
    refused = superuser.post(f"/admin/trash/{live.id}/delete", {"csrf_token": token, "confirmed": "1"})
    assert "is not in the trash" in superuser.get(refused.location).text
    assert site.pages.get(live.id)
    site.users.add_role("editor", ["page-edit"])                    # no page-delete
    site.users.add("ed", PASSWORD, roles=["editor"])
    site.templates["home"].set_access(view=["guest"], edit=["editor"])
    editor = Client(admin_server)
    editor.login("ed")
    assert f"/admin/trash/{kept.id}/delete" not in editor.get("/admin/trash/").text
    tried = editor.post(f"/admin/trash/{kept.id}/delete", {"csrf_token": editor.token(), "confirmed": "1"})
    assert tried.status in (303, 403) and site.pages.get(kept.id)
    editor.close()


def test_a_page_whose_way_back_is_gone_is_moved_out_of_the_trash(site, superuser):
    """Restore said "move it somewhere instead", and the move form answered 403."""
    token = superuser.token()
    parent = site.pages.add("basic-page", 1, "parent", title="Parent")
    kid = site.pages.add("basic-page", parent, "kid", title="Kid")
    site.pages.trash(parent)
    refused = superuser.post(f"/admin/page/{kid.id}/restore", {"csrf_token": token})
    assert "went to the trash with a page above it: restore /trash/" in \
        superuser.get(refused.location).text
    home_of = site.pages.add("basic-page", 1, "home-of", title="Home of")
    lost = site.pages.add("basic-page", home_of, "lost", title="Lost")
    site.pages.trash(lost)
    site.pages.delete(site.pages.get(home_of.id))             # its old parent is gone
    refused = superuser.post(f"/admin/page/{lost.id}/restore", {"csrf_token": token})
    assert "is gone; move this page out of the trash" in superuser.get(refused.location).text
    assert superuser.get(f"/admin/page/{lost.id}/move").status == 200
    moved = superuser.post(f"/admin/page/{lost.id}/move", {"csrf_token": token, "parent": "1"})
    assert moved.status == 303
    back = site.pages.get(lost.id)
    assert not back.is_trash() and back.path == "/lost/"


def test_deleting_for_good_spares_pages_below_that_the_user_may_not_delete(site, admin_server):
    """An editor who may delete `/open/` trashed it and deleted it for good, and a
    members-only page below it went too: a page the editor could not view, edit or delete,
    gone without a trace (the trash keeps a trashed page's access, so the superuser would
    have found it there). Pages.delete asks page-delete of every page it deletes; without
    it nothing is deleted."""
    site.users.add_role("editor", ["page-edit", "page-delete"])
    site.users.add("ed", PASSWORD, roles=["editor"])
    site.templates["home"].set_access(view=["guest"], edit=["editor"])
    site.templates.add("members", fields=["title"]).set_access(view=[], edit=[])
    open_page = site.pages.add("basic-page", 1, "open", title="Open")
    mine = site.pages.add("basic-page", open_page, "mine", title="Mine")
    kept = site.pages.add("members", open_page, "minutes", title="Board minutes")
    editor = Client(admin_server)
    editor.login("ed")
    token = editor.token()
    editor.post(f"/admin/page/{open_page.id}/trash", {"csrf_token": token, "confirmed": "1"})
    assert site.pages.get(open_page.id).is_trash()
    editor.post(f"/admin/trash/{open_page.id}/delete", {"csrf_token": token, "confirmed": "1"})
    assert site.pages.get(kept.id), "a page the editor may not delete was deleted for good"
    assert site.pages.get(mine.id) and site.pages.get(open_page.id)      # nothing deleted
    editor.close()


def test_empty_trash_stops_at_its_time_limit_says_how_many_remain_and_goes_on(site, superuser,
                                                                               monkeypatch):
    from cms.web import admin_trash
    monkeypatch.setattr(admin_trash, "EMPTY_SECONDS", 0)      # each press: one branch, then time
    token = superuser.token()
    for n in range(3):
        site.pages.add("basic-page", 1, f"t{n}", title=f"T{n}").trash()
    first = superuser.post("/admin/trash/empty", {"csrf_token": token, "confirm": "1"})
    text = superuser.get(first.location).text
    assert "1 page(s) deleted for good in 0 s; 2 page(s) are still in the trash" in text
    assert "press Empty trash again to go on" in text
    superuser.post("/admin/trash/empty", {"csrf_token": token, "confirm": "1"})
    last = superuser.post("/admin/trash/empty", {"csrf_token": token, "confirm": "1"})
    assert "Emptied the trash: 1 page(s) deleted for good" in superuser.get(last.location).text
    assert site.pages.count("parent=7, include=all") == 0


def test_empty_trash_says_which_pages_stay_because_they_are_locked(site, superuser):
    from cms import Page
    token = superuser.token()
    site.pages.add("basic-page", 1, "goes", title="Goes").trash()
    held = site.pages.add("basic-page", 1, "held", title="Held").trash()
    held.add_status(Page.STATUS_LOCKED)
    held.save()
    emptied = superuser.post("/admin/trash/empty", {"csrf_token": token, "confirm": "1"})
    text = superuser.get(emptied.location).text
    assert "1 page(s) deleted for good; 1 page(s) stay in the trash" in text and "locked" in text
    assert site.pages.get(held.id)
