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
