"""Login and sessions under misuse: where a login may send the browser, sessions that end on
every server, failed-login counting by account, and request bodies over the limit."""
from __future__ import annotations

import pytest
from webclient import PASSWORD, Client, running_server

from cms.web.app import Web
from cms.web.auth import safe_next
from cms.web.sessions import COOKIE_NAME


@pytest.fixture
def web_site(site, admin_server):
    """conftest's site with Tasker and `admin`, and an editor `ed` whose role has page-edit."""
    site.users.add_role("editor", ["page-edit"])
    site.users.add("ed", PASSWORD, roles=["editor"])
    return site


@pytest.fixture
def server(web_site, admin_server):
    return admin_server


@pytest.fixture
def second_server(web_site, db_url, tmp_path):
    """Another server process's worth of state (its own caches) on the same database."""
    with running_server(db_url, tmp_path) as running:
        yield running


def login_with_next(client: Client, next_url: str):
    form = client.get("/admin/login")
    return client.post("/admin/login", {"username": "admin", "password": PASSWORD,
                                        "csrf_token": form.csrf(), "next": next_url})


# -- where a login may lead -------------------------------------------------------------------
@pytest.mark.parametrize("target", [
    "/%09/evil.example/", "/\t/evil.example/", "//evil.example/", "/\\evil.example/",
    "https://evil.example/", "/%2F/evil.example/", "/%5Cevil.example", "/admin/\r\nSet-Cookie: x=1",
    "/admin/%0d%0aSet-Cookie:x=1", "javascript:alert(1)", "/%00", "",
])
def test_safe_next_keeps_the_browser_on_this_site(target):
    assert safe_next(target) == "/admin/"


def test_safe_next_keeps_a_plain_path_with_its_query():
    assert safe_next("/admin/tasks/?state=1&sort=-modified") == "/admin/tasks/?state=1&sort=-modified"
    assert safe_next("/admin/page/5/edit") == "/admin/page/5/edit"


@pytest.mark.parametrize("target", ["/%09/evil.example/", "/admin/\r\nX-Evil: 1", "//evil.example/"])
def test_a_hostile_next_after_a_good_password_goes_to_the_admin(server, target):
    client = Client(server)
    answer = login_with_next(client, target)
    assert answer.status == 303
    assert answer.location == "/admin/"
    assert "X-Evil" not in answer.headers
    assert client.get("/admin/").status == 200


# -- sessions end everywhere ------------------------------------------------------------------
def test_a_cookie_copied_before_logout_no_longer_works(server):
    client = Client(server)
    client.login()
    copied = client.cookies[COOKIE_NAME]
    assert client.post("/admin/logout", {"csrf_token": client.token()}).status == 303
    thief = Client(server)
    thief.cookies[COOKIE_NAME] = copied
    answer = thief.get("/admin/")
    assert answer.status == 303 and answer.location.startswith("/admin/login")


def test_logout_on_one_server_ends_the_session_on_another(web_site, server, second_server):
    client = Client(server)
    client.login()
    other = Client(second_server)
    other.cookies[COOKIE_NAME] = client.cookies[COOKIE_NAME]
    assert other.get("/admin/").status == 200          # the same session on the second server
    assert client.post("/admin/logout", {"csrf_token": client.token()}).status == 303
    second_server.web.access.ttl = 0                     # what a second or two later gives
    assert other.get("/admin/").status == 303


def test_a_new_password_ends_every_session_of_the_user(web_site, server):
    first, second = Client(server), Client(server)
    first.login("ed")
    second.login("ed")
    server.web.access.ttl = 0
    web_site.users.set_password("ed", "another-long-password")
    for client in (first, second):
        assert client.get("/admin/").status == 303
    fresh = Client(server)
    fresh.login("ed", "another-long-password")
    assert fresh.get("/admin/").status == 200


def test_a_role_change_ends_the_users_sessions(web_site, server):
    client = Client(server)
    client.login("ed")
    assert client.get("/admin/").status == 200
    server.web.access.ttl = 0
    ed = web_site.users.get("ed")
    ed.set("roles", [web_site.users.role("guest").id, web_site.users.role("editor").id,
                     web_site.users.add_role("reviewer", ["page-edit"]).id])
    ed.save()
    assert client.get("/admin/").status == 303


def test_end_sessions_logs_a_user_out_everywhere(web_site, server):
    clients = [Client(server) for _ in range(3)]
    for client in clients:
        client.login("ed")
    server.web.access.ttl = 0
    assert web_site.users.end_sessions("ed") == 3
    assert all(client.get("/admin/").status == 303 for client in clients)


# -- failed logins are counted per account ----------------------------------------------------
def test_spellings_of_one_name_share_one_failure_count(server):
    client = Client(server)
    for spelling in ("Admin", "admin-", "admin."):
        form = client.get("/admin/login")
        answer = client.post("/admin/login", {"username": spelling, "password": "wrong-password",
                                              "csrf_token": form.csrf()})
        assert answer.status == 403
    for spelling in ("admín", "admin\u200b", "admin"):
        form = client.get("/admin/login")
        answer = client.post("/admin/login", {"username": spelling, "password": PASSWORD,
                                              "csrf_token": form.csrf()})
        assert answer.status == 429, spelling      # the fourth try on one account waits


def test_failures_for_one_account_do_not_slow_another(server):
    client = Client(server)
    for _ in range(4):
        form = client.get("/admin/login")
        client.post("/admin/login", {"username": "Admin", "password": "wrong-password",
                                     "csrf_token": form.csrf()})
    form = client.get("/admin/login")
    answer = client.post("/admin/login", {"username": "ed", "password": PASSWORD,
                                          "csrf_token": form.csrf()})
    assert answer.status == 303


# -- request bodies -----------------------------------------------------------------------------
def test_a_large_form_is_read_whole(web_site, server):
    page = web_site.pages.add("basic-page", 1, "long", title="Long")
    web_site.fields.add("body", "Textarea", label="Body")
    web_site.templates["basic-page"].add_field("body")
    client = Client(server)
    client.login()
    form = client.get(f"/admin/page/{page.id}/edit")
    body = "word " * 60_000                           # 300 KB: over bottle's 100 KB default
    answer = client.post(f"/admin/page/{page.id}/edit", {
        "csrf_token": form.csrf(), "title": "Long", "name": "long", "body": body})
    assert answer.status == 303, answer.text[:300]
    assert web_site.pages.get(page.id).get("body") == body


def test_a_body_over_the_limit_answers_413_and_changes_nothing(web_site, db_url, tmp_path):
    page = web_site.pages.add("basic-page", 1, "small", title="Small")
    web = Web(lambda: __import__("cms").boot(db_url, site_dir=tmp_path), max_body=64 * 1024)
    with running_server(db_url, tmp_path, web=web) as server:
        client = Client(server)
        client.login()
        form = client.get(f"/admin/page/{page.id}/edit")
        answer = client.post(f"/admin/page/{page.id}/edit", {
            "csrf_token": form.csrf(), "title": "x" * 100_000, "name": "small"})
        assert answer.status == 413
        assert "at most 65,536" in answer.text and "CSRF" not in answer.text
    assert web_site.pages.get(page.id).title == "Small"


def test_the_body_limit_setting_is_checked(monkeypatch):
    from cms.errors import CmsError
    from cms.web.app import body_limit_setting
    monkeypatch.setenv("CMS_MAX_BODY_BYTES", "lots")
    with pytest.raises(CmsError, match="CMS_MAX_BODY_BYTES"):
        body_limit_setting()
    monkeypatch.setenv("CMS_MAX_BODY_BYTES", "2000000")
    assert body_limit_setting() == 2_000_000
