"""A third hostile review over HTTP (after test_security_findings.py and
test_security_findings2.py): each test failed before its fix."""
from __future__ import annotations

from webclient import PASSWORD, Client

from cms.tasker import TaskState


# -- the known-device cookie --------------------------------------------------------------------
def test_a_device_cookie_that_is_no_signature_of_ours_is_ignored(site, admin_server):
    """Every login for an account reads the browser's `cms_device` cookie. One whose value is
    not ASCII (`x.\\xe9`: a byte any client may send in a Cookie header) raised from the
    signature check, before the throttle counted the attempt: the login answered 500 and the
    server logged a traceback, so anyone, with no login, could fill the server's log as fast
    as they could send requests, never slowed down. A cookie that is no signature of this
    site's is ignored, as a forged session cookie is: the attempt is an ordinary failed
    login, and the right password logs in."""
    client = Client(admin_server)
    token = client.token()
    for value in ("x.\xe9", "\xe9.x"):          # two failures: a third would be throttled
        client.cookies["cms_device"] = value
        answer = client.post("/admin/login", {"username": "admin", "password": "a wrong guess",
                                              "csrf_token": token})
        assert answer.status == 403, (value, answer.status)
        assert "Unknown user name or wrong password" in answer.text
    client.cookies["cms_device"] = "x.\xe9"
    assert client.post("/admin/login", {"username": "admin", "password": PASSWORD,
                                        "csrf_token": token}).status == 303
    client.cookies["cms_device"] = "x.\xe9"       # Profile reads it too, for its own count
    answer = client.post("/admin/profile/", {"csrf_token": client.token(), "email": "",
                                             "current_password": "not mine"})
    assert answer.status == 400 and "not your current password" in answer.text
    client.close()


# -- the page tree ------------------------------------------------------------------------------
def test_the_tree_s_sort_takes_an_id_no_page_can_have_as_no_child(site, superuser):
    """The tree's drag and drop posts the children's ids in their new order; an id past the
    largest a page may have (30 digits, or thousands: int() reads at most 4,300) answered 500
    (SQLite cannot bind it, PostgreSQL and MariaDB refuse it, Python's int() raised), where an
    id that is no child of the page is refused with 400, saying so, and nothing moves."""
    site.templates.add("item", fields=["title"])
    first = site.pages.add("item", 1, "first", title="First")
    second = site.pages.add("item", 1, "second", title="Second")
    token = superuser.token()
    for stranger in ("9" * 19, "9" * 30, "9" * 5000):
        answer = superuser.post("/admin/page/1/sort",
                                {"csrf_token": token, "order": f"{second.id},{stranger},{first.id}"},
                                headers={"X-Requested-With": "fetch"})
        assert answer.status == 400, (len(stranger), answer.status)
        assert "is not a child of page 1" in answer.json()["message"]
    assert site.pages.get(first.id).sort < site.pages.get(second.id).sort
