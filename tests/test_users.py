"""Users, roles and permissions: pages under /admin/access/, hashed passwords, one access check."""
from __future__ import annotations

import json
import subprocess

import pytest
from conftest import PYTHON, ROOT

import cms
from cms import Page, ValidationError, passwords
from cms.users import User


def stored_hash(site, user) -> str:
    return site.db.scalar("SELECT data FROM field_pass WHERE pages_id = ?", (user.id,))


def test_a_new_site_has_the_access_pages_roles_and_permissions(site):
    users = site.pages.get("/admin/access/users/")
    assert users.template.name == "admin"
    assert users.is_hidden() and users.is_locked() and users.has_status("system")
    assert [r.name for r in site.users.roles()] == ["guest", "superuser"]
    assert [p.name for p in site.users.permissions()] == [
        "page-view", "page-edit", "page-add", "page-create", "page-delete", "page-move",
        "page-sort", "page-lock", "tasker-admin"]
    assert [u.name for u in site.users.all()] == ["guest"]
    page_view = site.pages.get("/admin/access/permissions/page-view/")
    assert site.users.role("guest").permissions.ids() == [page_view.id]


def test_add_creates_a_user_page_with_roles_and_email(site):
    user = site.users.add("admin", "correct horse", email="admin@example.com")

    assert isinstance(user, User) and user.path == "/admin/access/users/admin/"
    assert user.template.name == "user"
    assert user.role_names() == ["guest", "superuser"]
    assert user.is_superuser() and not user.is_guest()
    assert site.users.get("admin") == user == site.users.get(user.id)
    assert site.users.get("admin").email == "admin@example.com"


def test_the_password_hash_is_never_readable_through_the_page(site):
    user = site.users.add("admin", "correct horse")
    again = site.users.get("admin")

    for value in (user.get("pass"), getattr(again, "pass"), again.get("pass")):
        assert str(value) == "********"
        assert "pbkdf2" not in repr(value) and "pbkdf2" not in str(value)
    assert "pbkdf2" not in repr(vars(again))
    assert stored_hash(site, user).startswith("pbkdf2_sha256$1000$")


def test_hashes_are_salted_per_user(site):
    a = site.users.add("alice", "same password")
    b = site.users.add("bob", "same password")

    hash_a, hash_b = stored_hash(site, a), stored_hash(site, b)
    assert hash_a.split("$")[2] != hash_b.split("$")[2]
    assert hash_a.split("$")[3] != hash_b.split("$")[3]


def test_authenticate_accepts_the_right_password_only(site):
    site.users.add("admin", "correct horse")

    assert site.users.authenticate("admin", "correct horse") == site.users.get("admin")
    assert site.users.authenticate("Admin", "correct horse") == site.users.get("admin")
    assert site.users.authenticate("admin", "wrong horse") is None
    assert site.users.authenticate("admin", "") is None
    assert site.users.authenticate("guest", "") is None
    assert site.users.authenticate("nobody", "correct horse") is None


def test_a_missing_user_costs_a_hash_as_a_wrong_password_does(site, monkeypatch):
    site.users.add("admin", "correct horse")
    calls = []
    real = passwords._derive
    monkeypatch.setattr(passwords, "_derive", lambda *a: calls.append(a[2]) or real(*a))

    site.users.authenticate("nobody", "correct horse")
    site.users.authenticate("admin", "wrong horse")

    assert calls == [1000, 1000]


def test_login_rehashes_when_the_work_factor_changed(site, monkeypatch):
    user = site.users.add("admin", "correct horse")
    monkeypatch.setenv("CMS_PASSWORD_ITERATIONS", "2000")

    assert site.users.authenticate("admin", "correct horse") == user
    assert stored_hash(site, user).startswith("pbkdf2_sha256$2000$")
    assert site.users.authenticate("admin", "correct horse") == user


def test_a_short_password_is_refused_and_nothing_is_stored(site):
    with pytest.raises(ValidationError, match="at least 8"):
        site.users.add("admin", "short")
    assert not site.users.get("admin")

    user = site.users.add("admin", "correct horse")
    with pytest.raises(ValidationError, match="too short"):
        site.users.set_password(user, "1234567")
    assert site.users.authenticate("admin", "correct horse") == user


def test_set_password_replaces_the_old_one(site):
    user = site.users.add("admin", "correct horse")
    site.users.set_password("admin", "battery staple")

    assert site.users.authenticate("admin", "correct horse") is None
    assert site.users.authenticate("admin", "battery staple") == user


def test_user_names_are_sanitized_and_unique(site):
    assert site.users.add("Jane Doe", "correct horse", roles=()).name == "jane-doe"

    with pytest.raises(ValidationError, match="exists already"):
        site.users.add("jane-doe", "correct horse")
    with pytest.raises(ValidationError, match="exists already"):
        site.users.add("guest", "correct horse")
    with pytest.raises(ValidationError, match="no usable characters"):
        site.users.add("!!!", "correct horse")
    assert [u.name for u in site.users.all()] == ["guest", "jane-doe"]


def test_bad_roles_or_email_create_nothing(site):
    with pytest.raises(ValidationError, match="unknown role 'editor'"):
        site.users.add("ed", "correct horse", roles=("editor",))
    with pytest.raises(ValidationError, match="email"):
        site.users.add("ed", "correct horse", email="not-an-address")
    assert not site.users.get("ed")


def test_roles_or_permissions_given_as_one_string_are_refused_by_name(site):
    """`roles="superuser"` was read letter by letter ("unknown role 's'"), and `roles=None`
    raised TypeError; set_access says "view= takes a list of roles, not a string"."""
    site.users.add_role("editor", permissions=["page-edit"])
    for roles in ("superuser", "editor", None):
        with pytest.raises(ValidationError, match="roles= takes a list of role names"):
            site.users.add("ed", "correct horse", roles=roles)
    assert not site.users.get("ed")
    for permissions in ("page-edit", None):
        with pytest.raises(ValidationError, match="permissions= takes a list of permission names"):
            site.users.add_role("writer", permissions=permissions)
    assert not site.users.role("writer")


def test_the_superuser_may_do_everything(site):
    admin = site.users.add("admin", "correct horse")
    draft = site.pages.add("basic-page", 1, "draft", title="Draft",
                           status=Page.STATUS_ON | Page.STATUS_UNPUBLISHED)

    for permission in ("page-view", "page-edit", "tasker-admin"):
        assert site.users.has_permission(admin, permission)
    assert admin.has_permission("page-view", draft)


def test_the_guest_may_view_published_pages_only(site):
    about = site.pages.add("basic-page", 1, "about", title="About")
    draft = site.pages.add("basic-page", 1, "draft", title="Draft",
                           status=Page.STATUS_ON | Page.STATUS_UNPUBLISHED)
    old = site.pages.add("basic-page", 1, "old", title="Old").trash()
    guest = site.users.guest()

    assert site.users.has_permission(None, "page-view", about)
    assert site.users.has_permission(site.users.get("nobody"), "page-view", about)
    assert not site.users.has_permission("nobody", "page-view", about)
    assert guest.has_permission("page-view", about)
    assert not guest.has_permission("page-view", draft)
    assert not guest.has_permission("page-view", old)
    assert not guest.has_permission("page-view", site.pages.get("/admin/access/users/"))
    assert not guest.has_permission("page-edit", about)
    assert not guest.has_permission("tasker-admin")


def test_roles_grant_their_permissions(site):
    site.users.add_role("editor", permissions=["page-edit"])
    editor = site.users.add("ed", "correct horse", roles=["editor"])
    draft = site.pages.add("basic-page", 1, "draft", title="Draft",
                           status=Page.STATUS_ON | Page.STATUS_UNPUBLISHED)

    assert editor.role_names() == ["editor", "guest"]
    assert editor.has_permission("page-edit")
    assert not editor.has_permission("tasker-admin")
    # As in ProcessWire, a permission counts on a page only through a role its template lists.
    assert not editor.has_permission("page-view", draft)
    assert not editor.has_permission("page-edit", draft)
    site.templates["home"].set_access(view=["guest"], edit=["editor"])
    assert editor.has_permission("page-view", draft)      # unpublished: those who may edit it
    assert editor.has_permission("page-edit", draft)


def test_an_unknown_permission_is_an_error_not_a_silent_no(site):
    admin = site.users.add("admin", "correct horse")
    with pytest.raises(ValidationError, match="unknown permission 'page-edti'"):
        site.users.has_permission(admin, "page-edti")

    site.users.add_permission("newsletter-send", "Send the newsletter")
    assert site.users.has_permission(admin, "newsletter-send")
    assert not site.users.has_permission(None, "newsletter-send")


def test_an_unpublished_user_may_neither_log_in_nor_act(site):
    site.users.add("root", "correct horse")     # the last superuser who can log in stays so
    admin = site.users.add("admin", "correct horse")
    admin.add_status(Page.STATUS_UNPUBLISHED).save()

    assert site.users.authenticate("admin", "correct horse") is None
    assert not site.users.has_permission(admin.id, "page-view")


def test_site_user_before_any_superuser_is_the_guest_and_code_keeps_every_right(site):
    """Before the first superuser, `site.user` outside a request was a NullPage:
    `site.user.is_superuser()` raised TypeError (a NullPage's methods are None). As
    ProcessWire's `$user` in a script, it is the guest; code outside a request still has every
    right, and the first superuser takes the guest's place at once."""
    assert site.user.is_guest() and not site.user.is_superuser()
    page = site.pages.add("basic-page", 1, "about", title="About")     # every right still
    assert site.pages.get(page.id).viewable()
    admin = site.users.add("admin", "correct horse")
    assert site.user == admin and site.user.is_superuser()


def test_login_as_sets_who_saves_pages(site):
    admin = site.users.add("admin", "correct horse")
    assert site.users.current() == admin == site.user     # outside a request: the superuser
    assert site.user_id == 0

    site.users.login_as(admin)
    page = site.pages.add("basic-page", 1, "about", title="About")
    assert site.user == admin and site.user_id == admin.id
    assert site.pages.get(page.id).created_users_id == admin.id

    site.users.login_as(None)
    assert site.users.current().is_guest() and site.user_id == 0


def test_selectors_refuse_password_fields(site):
    site.users.add("admin", "correct horse")
    with pytest.raises(cms.SelectorError):
        site.pages.find("template=user, pass^=pbkdf2, include=all")


# -- the `user` command ------------------------------------------------------------------------
def cli(run_env, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, str(ROOT / "run.py"), *args], input=stdin, env=run_env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_user_add_reads_the_password_from_stdin(site, run_env):
    done = cli(run_env, "user", "add", "admin", "--superuser", "--email", "a@example.com",
               stdin="correct horse\n")

    assert done.returncode == 0, done.stderr
    assert "admin" in done.stdout
    assert site.users.authenticate("admin", "correct horse").is_superuser()
    assert site.users.get("admin").email == "a@example.com"


@pytest.mark.slow
def test_user_passwd_and_list(site, run_env):
    site.users.add("admin", "correct horse")

    assert cli(run_env, "user", "passwd", "admin", stdin="battery staple\n").returncode == 0
    assert site.users.authenticate("admin", "battery staple")
    listed = json.loads(cli(run_env, "user", "list", "--json").stdout)
    assert [(u["name"], u["roles"]) for u in listed] == [("guest", ["guest"]),
                                                         ("admin", ["guest", "superuser"])]
    assert "pbkdf2" not in cli(run_env, "user", "list").stdout
    # the guest takes no password and never logs in (ProcessWire's login refuses it), even
    # with one written into its row by hand
    refused = cli(run_env, "user", "passwd", "guest", stdin="battery staple\n")
    assert refused.returncode == 1 and "no password and no login" in refused.stderr
    guest = site.users.get("guest")
    guest.set("pass", "battery staple")
    guest.save("pass")
    assert site.users.authenticate("guest", "battery staple") is None


@pytest.mark.slow
def test_role_list_says_what_each_role_may_do(site, run_env):
    site.users.add_role("viewer")
    lines = cli(run_env, "role", "list").stdout.splitlines()
    assert [line.split(None, 2)[1:] for line in lines] == [
        ["guest", "[page-view]"], ["superuser", "[every permission]"],
        ["viewer", "[page-view]"]]                     # every role holds it, as in ProcessWire
    listed = json.loads(cli(run_env, "role", "list", "--json").stdout)
    roles = {r["name"]: r for r in listed}
    assert roles["superuser"]["every_permission"] and not roles["viewer"]["every_permission"]
    assert "tasker-admin" in roles["superuser"]["permissions"]    # what it may do, not what is stored
    assert roles["viewer"]["permissions"] == ["page-view"]


@pytest.mark.slow
def test_user_command_errors_are_one_line_with_exit_codes(site, run_env):
    short = cli(run_env, "user", "add", "admin", stdin="short\n")
    missing = cli(run_env, "user", "passwd", "nobody", stdin="correct horse\n")
    usage = cli(run_env, "user", "frobnicate")
    renamed = cli(run_env, "user", "add", "Ann Lee", stdin="correct horse\n")
    role = cli(run_env, "role", "add", "Bad Role!")

    assert short.returncode == 1 and short.stderr.strip().count("\n") == 0
    assert "at least 8" in short.stderr and "Traceback" not in short.stderr
    assert missing.returncode == 1 and "nobody" in missing.stderr
    assert usage.returncode == 2
    assert not site.users.get("admin")
    # a name typed that would be saved as another is refused, saying which
    assert renamed.returncode == 1 and "would be saved as 'ann-lee'" in renamed.stderr
    assert role.returncode == 1 and "would be saved as 'bad-role'" in role.stderr
    assert not site.users.get("ann-lee") and not site.users.role("bad-role")
