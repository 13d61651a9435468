"""Access screens over HTTP: users, roles with permissions, permissions; bad input refused."""
from __future__ import annotations

import pytest
from webclient import PASSWORD, Client, FormValues

from cms import ValidationError


def beside(answer, name):
    """The markup of one input's row (its error included), up to the next input's."""
    return answer.text.split(f'id="field-{name}"', 1)[1].split('id="field-', 1)[0]


def test_a_role_with_page_edit_lets_its_user_into_the_admin(site, superuser, admin_server):
    token = superuser.token()
    added_role = superuser.post("/admin/access/roles/", [
        ("csrf_token", token), ("name", "writer"), ("permissions", "page-edit")])
    assert added_role.status == 303
    assert "page-edit" in [p.name for p in site.users.role("writer").get("permissions")]
    added = superuser.post("/admin/access/users/add", [
        ("csrf_token", token), ("name", "wanda"), ("password", PASSWORD),
        ("email", "wanda@example.org"), ("roles", "writer")])
    assert added.status == 303
    assert site.users.get("wanda").role_names() == ["guest", "writer"]
    writer = Client(admin_server)
    writer.login("wanda")
    assert writer.get("/admin/").status == 200
    assert writer.get("/admin/access/users/").status == 403
    listed = superuser.get("/admin/access/users/")
    assert "wanda@example.org" in listed.text and "guest, writer" in listed.text
    role = site.users.role("writer")
    superuser.post(f"/admin/access/roles/{role.id}/edit", [("csrf_token", token)])
    assert [p.name for p in site.users.role("writer").get("permissions")] == ["page-view"]  # every role's
    writer.close()


def test_a_user_gets_roles_a_new_password_and_is_deleted(site, superuser, admin_server):
    token = superuser.token()
    site.users.add_role("writer", ["page-edit"])
    user = site.users.add("wanda", PASSWORD, roles=[])
    saved = superuser.post(f"/admin/access/users/{user.id}/edit", [
        ("csrf_token", token), ("email", ""), ("roles", "writer"), ("password", "another-secret-1")])
    assert saved.status == 303
    assert site.users.get(user.id).role_names() == ["guest", "writer"]
    assert site.users.authenticate("wanda", "another-secret-1")
    short = superuser.post(f"/admin/access/users/{user.id}/edit", [
        ("csrf_token", token), ("email", ""), ("password", "x")])
    assert short.status == 400 and "too short" in beside(short, "password")
    assert site.users.get(user.id).role_names() == ["guest", "writer"]     # nothing changed
    me = site.users.get("admin")
    refused = superuser.post(f"/admin/access/users/{me.id}/delete", {"csrf_token": token})
    assert "cannot delete the user you are logged in as" in superuser.get(refused.location).text
    asked = superuser.post(f"/admin/access/users/{user.id}/delete", {"csrf_token": token})
    assert asked.status == 200 and "Delete the user wanda?" in asked.text     # no script: asked
    assert site.users.get("wanda")
    deleted = superuser.post(f"/admin/access/users/{user.id}/delete",
                             {"csrf_token": token, "confirmed": "1"})
    assert deleted.status == 303 and not site.users.get("wanda")


def test_the_last_superuser_keeps_the_role_and_nobody_drops_their_own(site, superuser,
                                                                     admin_server):
    """Unticking superuser on yourself logged the browser out of the admin for good when no
    other superuser existed; the site must always keep one."""
    token = superuser.token()
    me = site.users.get("admin")
    own = superuser.post(f"/admin/access/users/{me.id}/edit", [
        ("csrf_token", token), ("email", "")])
    assert own.status == 400 and "from yourself" in beside(own, "roles")
    assert site.users.get("admin").is_superuser()
    second = site.users.add("root2", PASSWORD)                  # a superuser
    other = Client(admin_server)
    other.login("root2")
    demoted = other.post(f"/admin/access/users/{me.id}/edit", [
        ("csrf_token", other.token()), ("email", "")])
    assert demoted.status == 303 and not site.users.get("admin").is_superuser()
    # admin is no superuser now: refused for that (403), sent to the login page once the
    # server looks at admin's session again (a change of roles ends it), or refused as the
    # last superuser's demotion while the server still holds admin's rights of a second ago
    # (400); which one depends on the machine's speed, root2 stays a superuser in each
    last = superuser.post(f"/admin/access/users/{second.id}/edit", [
        ("csrf_token", token), ("email", "")])
    refused = last.status in (400, 403) or last.location.startswith("/admin/login?next=")
    assert refused and site.users.get("root2").is_superuser()
    # the same rule in Python, whoever asks: the last superuser is neither demoted nor deleted
    site.users.delete("admin")
    with pytest.raises(ValidationError, match="last superuser"):
        site.users.delete("root2")
    user = site.users.get("root2")
    user.roles = [site.users.role("guest")]
    with pytest.raises(ValidationError, match="last superuser"):
        user.save()
    assert site.users.get("root2").is_superuser()
    other.close()


def test_bad_input_is_refused_beside_the_field(site, superuser):
    token = superuser.token()
    for pairs, name, words in (
            ([("name", "admin"), ("password", PASSWORD)], "name", "exists already"),
            ([("name", "!!!"), ("password", PASSWORD)], "name", "no usable characters"),
            ([("name", "<b>x</b>"), ("password", PASSWORD)], "name",
             "would be saved as &#39;b-x-b&#39;"),
            ([("name", "Admin"), ("password", PASSWORD)], "name",      # not offered: it is taken
             "would be &#39;admin&#39;, which is taken; type another name"),
            ([("name", "newbie"), ("password", "short")], "password", "too short"),
            ([("name", "newbie"), ("password", PASSWORD), ("roles", "nope")], "roles",
             "unknown role")):
        answer = superuser.post("/admin/access/users/add", [("csrf_token", token)] + pairs)
        assert answer.status == 400 and words in beside(answer, name), (pairs, name)
    assert not site.users.get("newbie")
    taken = superuser.post("/admin/access/roles/", [("csrf_token", token),
                                                           ("name", "guest")])
    assert taken.status == 400 and "already" in beside(taken, "name")
    bad_perm = superuser.post("/admin/access/roles/", [
        ("csrf_token", token), ("name", "odd"), ("permissions", "fly")])
    assert bad_perm.status == 400 and "unknown permission" in beside(bad_perm, "permissions")
    assert not site.users.role("odd")
    again = superuser.post("/admin/access/permissions/", {"csrf_token": token,
                                                          "name": "page-edit"})
    assert again.status == 400 and "already" in beside(again, "name")
    added = superuser.post("/admin/access/permissions/", {"csrf_token": token,
                                                          "name": "report-view",
                                                          "title": "See reports"})
    assert added.status == 303 and "report-view" in site.users.permission_names(refresh=True)


def test_the_guest_gets_no_right_of_the_admin(site, superuser, admin_server):
    """Ticking superuser on the guest user made every anonymous visitor a superuser."""
    token = superuser.token()
    guest = site.users.guest()
    answer = superuser.post(f"/admin/access/users/{guest.id}/edit", [
        ("csrf_token", token), ("email", ""), ("roles", "superuser")])
    assert answer.status == 400
    assert "holds the guest role only" in beside(answer, "roles")
    assert site.users.guest().role_names() == ["guest"]
    role = site.users.role("guest")
    answer = superuser.post(f"/admin/access/roles/{role.id}/edit", [
        ("csrf_token", token), ("permissions", "page-view"), ("permissions", "tasker-admin")])
    assert answer.status == 400 and "cannot hold tasker-admin" in answer.text
    assert [p.name for p in site.users.role("guest").get("permissions")] == ["page-view"]
    anonymous = Client(admin_server)
    assert anonymous.get("/admin/access/users/").status == 303       # to the login
    anonymous.close()
    with pytest.raises(ValidationError, match="guest role only"):     # the API refuses it too
        guest = site.users.guest()
        guest.set("roles", [site.users.role("guest"), site.users.role("superuser")])
        guest.save()
    comment = site.users.add_permission("comment-post", "Post comments")
    role = site.users.role("guest")
    role.set("permissions", [*role.get("permissions"), comment])
    role.save()                                      # a visitors' permission may be given
    assert [p.name for p in site.users.role("guest").get("permissions")] == ["page-view",
                                                                             "comment-post"]


def test_the_system_roles_stay(site, superuser):
    token = superuser.token()
    guest = site.users.role("guest")
    kept = superuser.post(f"/admin/access/roles/{guest.id}/delete", {"csrf_token": token})
    assert "part of the system" in superuser.get(kept.location).text
    assert site.users.role("guest")
    spare = site.users.add_role("spare")
    superuser.post(f"/admin/access/roles/{spare.id}/delete", {"csrf_token": token, "confirmed": "1"})
    assert not site.users.role("spare")


def test_user_and_role_forms_saved_untouched_change_nothing(site, superuser):
    site.users.add_role("editor", ["page-edit", "page-delete"])
    user = site.users.add("ed", PASSWORD, roles=["editor"], email="ed@example.com")
    role = site.users.role("editor")
    before = (user.role_names(), user.email, role.permissions.ids())
    form = FormValues(superuser.get(f"/admin/access/users/{user.id}/edit").text, 'id="user-form"')
    assert superuser.post(f"/admin/access/users/{user.id}/edit", form.pairs).status == 303
    form = FormValues(superuser.get(f"/admin/access/roles/{role.id}/edit").text, 'id="role-form"')
    assert superuser.post(f"/admin/access/roles/{role.id}/edit", form.pairs).status == 303
    user, role = site.users.get("ed"), site.users.role("editor")
    assert (user.role_names(), user.email, role.permissions.ids()) == before
    assert site.users.authenticate("ed", PASSWORD)           # the password kept, not blanked


def test_every_user_changes_their_own_email_and_password(site, admin_server):
    """Only a superuser could change a password: an editor had no way to change their own."""
    site.users.add_role("editor", ["page-edit"])
    site.users.add("ed", PASSWORD, roles=["editor"], email="ed@example.com")
    ed, elsewhere = Client(admin_server), Client(admin_server)
    ed.login("ed")
    elsewhere.login("ed")
    form = ed.get("/admin/profile/")
    assert form.status == 200 and 'value="ed@example.com"' in form.text
    assert 'href="/admin/profile/"' in ed.get("/admin/").text
    token = ed.token()
    wrong = ed.post("/admin/profile/", {"csrf_token": token, "email": "new@example.com",
                                        "current_password": "not it"})
    assert wrong.status == 400 and "not your current password" in beside(wrong, "current_password")
    differ = ed.post("/admin/profile/", {"csrf_token": token, "email": "ed@example.com",
                                         "new_password": "another long one", "again": "another",
                                         "current_password": PASSWORD})
    assert differ.status == 400 and "differ" in beside(differ, "again")
    short = ed.post("/admin/profile/", {"csrf_token": token, "email": "ed@example.com",
                                        "new_password": "short", "again": "short",
                                        "current_password": PASSWORD})
    assert short.status == 400 and "too short" in beside(short, "new_password")
    assert site.users.get("ed").get("email") == "ed@example.com"
    saved = ed.post("/admin/profile/", {"csrf_token": token, "email": "new@example.com",
                                        "new_password": "another long one",
                                        "again": "another long one", "current_password": PASSWORD})
    assert saved.status == 303
    assert "other sessions were logged out" in ed.get("/admin/profile/").text
    assert site.users.get("ed").get("email") == "new@example.com"
    assert site.users.authenticate("ed", "another long one")
    assert ed.get("/admin/").status == 200                   # this browser stays logged in
    assert elsewhere.get("/admin/").status == 303            # the other one is logged out
    assert Client(admin_server).get("/admin/profile/").status == 303   # a guest has none
    ed.close()
    elsewhere.close()


def test_the_user_list_pages_by_name_and_finds_names_and_emails(site, superuser, admin_server):
    with site.transaction():
        for n in range(55):
            site.users.add(f"member{n:02d}", PASSWORD, roles=[],
                           email=f"m{n}@{'club' if n % 10 == 0 else 'example'}.org")
    first = superuser.get("/admin/access/users/")
    names = first.text.split('id="user-list"', 1)[1].split('data-user="')[1:]
    listed = [row.split('"', 1)[0] for row in names]
    assert listed == sorted(["admin", "guest"] + [f"member{n:02d}" for n in range(55)])[:50]
    assert "1–50 of 57" in first.text and 'href="/admin/access/users/?start=50"' in first.text
    second = superuser.get("/admin/access/users/?start=50")
    assert "51–57 of 57" in second.text and 'data-user="member54"' in second.text
    assert 'data-user="member00"' not in second.text
    club = superuser.get("/admin/access/users/?q=club")
    assert club.text.count('data-user="member') == 6 and 'data-user="member10"' in club.text
    by_name = superuser.get("/admin/access/users/?q=ber4")
    assert by_name.text.count('data-user="member') == 10
    quoted = superuser.get('/admin/access/users/?q=%22%2C+id%3E0')      # '", id>0' is looked for
    assert quoted.status == 200 and "No users whose name or email contains" in quoted.text
    for nothing_of_a_name in ("%22", "%40%40", "%27"):       # '"', '@@', "'": no name is made of them
        answer = superuser.get(f"/admin/access/users/?q={nothing_of_a_name}")
        assert "No users whose name or email contains" in answer.text, nothing_of_a_name
    at = superuser.get("/admin/access/users/?q=%40club")        # '@club': in the emails
    assert at.text.count('data-user="member') == 6
    past = superuser.get("/admin/access/users/?start=500")
    assert "the list has 57" in past.text and 'href="/admin/access/users/"' in past.text


def test_the_password_inputs_say_the_least_length_before_a_save_is_refused(site, superuser):
    form = superuser.get("/admin/access/users/add")
    row = beside(form, "password")
    assert "at least 8 characters" in row and 'minlength="8"' in row
    profile = superuser.get("/admin/profile/")
    assert "at least 8 characters" in beside(profile, "new_password")
    assert 'minlength="8"' in beside(profile, "new_password")
