"""The admin over HTTP: login and sessions, CSRF, escaping, hostile query parameters, the page
tree and editor, the task monitor, and the task API's contract."""
from __future__ import annotations

import os
import re
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from webclient import (
    PASSWORD,
    Client,
    free_port,
    make_task,
    prepare_site,
    running_server,
    schema_seen_now,
    state_of,
)

from cms.page import Page
from cms.web.auth import LoginThrottle
from cms.web.sessions import COOKIE_NAME

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
API_FIELDS = {"taskid": int, "taskinfo": str, "task_state": int, "task_state_info": str,
              "status": bool, "status_html": str, "result": str, "progress": int,
              "task_running": int, "log": list}


@pytest.fixture
def web_site(site, tmp_path):
    """The site with Tasker, the test jobs module, an admin and an editor without tasker-admin."""
    prepare_site(site, tmp_path)
    site.users.add_role("editor", ["page-edit"])
    site.users.add("ed", PASSWORD, roles=["editor"])
    return site


@pytest.fixture
def server(web_site, db_url, tmp_path):
    with running_server(db_url, tmp_path) as running:
        yield running


@pytest.fixture
def guest(server):
    client = Client(server)
    yield client
    client.close()


@pytest.fixture
def admin(server):
    client = Client(server)
    client.login()
    yield client
    client.close()


# -- login, sessions -----------------------------------------------------------------------
ADMIN_GETS = ["/admin/", "/admin/page/1/edit", "/admin/page/1/children", "/admin/page/add?parent=1",
              "/admin/page/1/move", "/admin/tasks/", "/admin/tasks/{task}/",
              "/admin/tasks/{task}/panel", "/admin/nowhere"]


def test_no_admin_url_answers_without_login(web_site, guest):
    task = make_task(web_site)
    for path in ADMIN_GETS:
        answer = guest.get(path.format(task=task.id))
        assert answer.status == 303, path
        assert answer.location.startswith("/admin/login?next="), path
        assert "Count" not in answer.text and "Home" not in answer.text
    status = guest.get(f"/admin/tasks/api?id={task.id}&cmd=status")
    assert status.status == 403
    assert status.json()["status"] is False and status.json()["message"]
    token = guest.token()      # a guest's own valid token does not help either
    for cmd in ("activate", "kill", "trash", "run"):
        answer = guest.post(f"/admin/tasks/api?id={task.id}&cmd={cmd}", {"csrf_token": token})
        assert answer.status == 403 and answer.json()["status"] is False
    assert state_of(web_site, task) == 2


def test_users_need_the_right_permission(web_site, server):
    task = make_task(web_site)
    editor = Client(server)
    editor.login("ed")
    assert editor.get("/admin/").status == 200                 # page-edit: the tree
    assert editor.get("/admin/tasks/").status == 403           # not tasker-admin
    answer = editor.get(f"/admin/tasks/api?id={task.id}&cmd=status")
    assert answer.status == 403 and answer.json()["status"] is False
    answer = editor.api("activate", task.id)
    assert answer.status == 403
    assert state_of(web_site, task) == 2


def test_login_sets_a_signed_httponly_samesite_cookie(guest):
    answer = guest.login()
    cookies = {c.partition("=")[0]: c for c in answer.headers.get_all("Set-Cookie")}
    assert set(cookies) == {COOKIE_NAME, "cms_device"}      # the session, and a known device
    for cookie in cookies.values():
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert answer.location == "/admin/"
    tree = guest.get("/admin/")
    assert tree.status == 200 and "admin" in tree.text
    assert tree.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in tree.headers["Content-Security-Policy"]


def test_the_cookie_is_secure_behind_https(guest):
    answer = guest.get("/admin/login", headers={"X-Forwarded-Proto": "https"})
    assert "; Secure" in answer.headers["Set-Cookie"]


def test_a_wrong_password_or_unknown_user_is_refused(guest):
    for name, password in (("admin", "wrong-password"), ("nobody", PASSWORD), ("", "")):
        form = guest.get("/admin/login")
        answer = guest.post("/admin/login", {"username": name, "password": password,
                                             "csrf_token": form.csrf()})
        assert answer.status in (403, 429)
        assert guest.get("/admin/").status == 303


def test_a_forged_or_altered_cookie_is_a_guest(guest):
    guest.login()
    value = guest.cookies[COOKIE_NAME]
    payload, signature = value.split(".")
    guest.cookies[COOKIE_NAME] = payload + "." + signature[::-1]
    assert guest.get("/admin/").status == 303
    guest.cookies[COOKIE_NAME] = "eyJ1IjozOH0.x"
    assert guest.get("/admin/").status == 303


def test_logout_is_a_post_and_ends_the_session(admin):
    assert admin.get("/admin/logout").status == 200        # a page with a button, not a logout
    assert admin.get("/admin/").status == 200
    assert admin.post("/admin/logout", {}).status == 403   # no token: still logged in
    assert admin.get("/admin/").status == 200
    answer = admin.post("/admin/logout", {"csrf_token": admin.token()})
    assert answer.status == 303 and answer.location == "/admin/login"
    assert admin.get("/admin/").status == 303


def test_login_redirects_only_within_the_site(guest):
    form = guest.get("/admin/login")
    answer = guest.post("/admin/login", {"username": "admin", "password": PASSWORD,
                                         "csrf_token": form.csrf(), "next": "//evil.example/"})
    assert answer.location == "/admin/"


def test_failed_logins_slow_down_further_attempts(guest):
    for _ in range(3):
        form = guest.get("/admin/login")
        assert guest.post("/admin/login", {"username": "admin", "password": "wrong-password",
                                           "csrf_token": form.csrf()}).status == 403
    form = guest.get("/admin/login")
    answer = guest.post("/admin/login", {"username": "admin", "password": PASSWORD,
                                         "csrf_token": form.csrf()})
    assert answer.status == 429                  # even the right password waits its turn
    assert int(answer.headers["Retry-After"]) >= 1
    assert "Too many failed logins" in answer.text
    assert guest.get("/admin/").status == 303


def test_the_slow_down_grows_per_name_and_per_address_and_resets_on_success():
    now = [1000.0]
    throttle = LoginThrottle(free_per_name=3, free_per_address=10, free_per_name_anywhere=20,
                             clock=lambda: now[0])
    for _ in range(3):
        assert throttle.attempt("admin", "10.0.0.1") == 0
    assert throttle.attempt("admin", "10.0.0.1") == 1.0       # the fourth waits, uncounted
    assert throttle.wait_time("admin", "10.0.0.1") == 1.0
    # failures sent from elsewhere do not lock the real user out at their own address ...
    assert throttle.attempt("admin", "10.0.0.2") == 0
    assert throttle.attempt("other", "10.0.0.1") == 0
    now[0] += 1
    assert throttle.attempt("admin", "10.0.0.1") == 0
    assert throttle.wait_time("admin", "10.0.0.1") == 2.0
    now[0] += 2
    for _ in range(20):
        throttle.attempt("admin", "10.0.0.1")
        now[0] += 61
    assert throttle.wait_time("admin", "10.0.0.1") == 0        # each waited its turn
    assert throttle.attempt("admin", "10.0.0.1") == 0
    assert throttle.wait_time("admin", "10.0.0.1") == 60.0     # capped
    # ... but many from everywhere slow the name down everywhere
    for i in range(20):
        throttle.attempt("target", f"10.1.0.{i}")
    assert throttle.wait_time("target", "10.9.9.9") == 1.0
    now[0] += 61
    throttle.succeeded("admin", "10.0.0.1")
    assert throttle.attempt("admin", "10.0.0.1") == 0


def test_the_slow_down_holds_against_a_burst_and_an_attacker_s_own_logins():
    """Sixteen attempts sent at once were all checked (each counted after its check), and a
    login of one's own between guesses cleared the address's count."""
    now = [1000.0]
    throttle = LoginThrottle(free_per_name=3, free_per_address=10, clock=lambda: now[0])
    let_through = [throttle.attempt("mem", "10.0.0.5") == 0 for _ in range(16)]
    assert let_through.count(True) == 3
    for round_ in range(3):
        for i in range(3):
            assert throttle.attempt(f"victim{round_}{i}", "10.0.0.7") == 0
        assert throttle.attempt("mine", "10.0.0.7") == 0       # the attacker's own account
        throttle.succeeded("mine", "10.0.0.7")
    assert throttle.attempt("victim-last", "10.0.0.7") == 0    # the tenth failure ...
    assert throttle.wait_time("someone-new", "10.0.0.7") > 0    # ... slows the address still


# -- CSRF --------------------------------------------------------------------------------------
def test_posts_without_a_valid_csrf_token_change_nothing(web_site, admin):
    task = make_task(web_site)
    about = web_site.pages.add("basic-page", 1, "about", title="About")
    posts = [
        (f"/admin/tasks/api?id={task.id}&cmd=activate", {}),
        (f"/admin/tasks/api?id={task.id}&cmd=kill", {}),
        (f"/admin/tasks/api?id={task.id}&cmd=trash", {}),
        ("/admin/tasks/api?cmd=create", {"module": "WebJobs", "method": "count_to",
                                         "pageid": "1", "title": "Forged"}),
        (f"/admin/tasks/{task.id}/action", {"cmd": "activate"}),
        (f"/admin/tasks/{task.id}/run", {}),
        (f"/admin/page/{about.id}/edit", {"title": "Hacked", "name": "about"}),
        (f"/admin/page/{about.id}/trash", {}),
        (f"/admin/page/{about.id}/move", {"parent": "/trash/"}),
        ("/admin/page/add?parent=1", {"template": "basic-page", "title": "Forged"}),
    ]
    for path, fields in posts:
        for token in (None, "", "not-the-token", admin.token() + "x"):
            data = dict(fields)
            if token is not None:
                data["csrf_token"] = token
            answer = admin.post(path, data)
            assert answer.status == 403, (path, token, answer)
        answer = admin.post(path, fields, headers={"X-CSRF-Token": "wrong"})
        assert answer.status == 403, path
    assert state_of(web_site, task) == 2
    assert web_site.pages.get(about.id).title == "About"
    assert not web_site.pages.get(about.id).is_trash()
    assert web_site.pages.count("title=Forged, include=all") == 0
    assert admin.get("/admin/").status == 200


def test_a_login_without_the_token_logs_nobody_in(guest):
    guest.get("/admin/login")
    for token in (None, "forged"):
        fields = {"username": "admin", "password": PASSWORD}
        if token:
            fields["csrf_token"] = token
        assert guest.post("/admin/login", fields).status == 403
    assert guest.get("/admin/").status == 303


def test_the_token_may_come_as_a_header_or_a_form_field(web_site, admin):
    task = make_task(web_site)
    token = admin.token()
    answer = admin.post(f"/admin/tasks/api?id={task.id}&cmd=activate", {},
                        headers={"X-CSRF-Token": token})
    assert answer.status == 200 and answer.json()["task_state"] == 1
    answer = admin.post(f"/admin/tasks/api?id={task.id}&cmd=suspend", {"csrf_token": token})
    assert answer.status == 200 and answer.json()["task_state"] == 2


# -- escaping ----------------------------------------------------------------------------------
def test_script_in_titles_logs_and_task_data_is_escaped_everywhere(web_site, admin, server):
    web_site.templates["tasker-task"].set_access(view=["guest"])
    schema_seen_now(server)
    page = web_site.pages.add("basic-page", 1, "xss", title=SCRIPT)
    task = make_task(web_site, title=SCRIPT, say=SCRIPT, note=SCRIPT)
    tasker = web_site.modules.get("Tasker")
    tasker.activate_task(task)
    tasker.execute_task(task, {"invoker": "test"})
    assert any(SCRIPT in line for line in tasker.get_log(task))
    html_pages = [
        "/admin/", "/admin/page/1/children", f"/admin/page/{page.id}/edit",
        f"/admin/page/{page.id}/move", f"/admin/page/add?parent={page.id}", "/admin/tasks/",
        f"/admin/tasks/{task.id}/", f"/admin/tasks/{task.id}/panel", f"/admin/page/{task.id}/edit",
        "/xss/",
    ]
    for path in html_pages:
        answer = admin.get(path)
        assert answer.status in (200, 403), path
        assert SCRIPT not in answer.text, path
        assert ESCAPED in answer.text, path
    status = admin.api("status", task.id).json()
    assert SCRIPT not in status["status_html"] and ESCAPED in status["status_html"]
    assert status["taskinfo"] == SCRIPT                    # JSON data is data; pages escape it
    assert any(SCRIPT in line for line in status["log"])
    public = Client(server).get(task.path)
    assert SCRIPT not in public.text and ESCAPED in public.text
    assert Client(server).get(task.path + "?format=json").json()["title"] == SCRIPT


def test_json_answers_are_not_html(web_site, admin):
    task = make_task(web_site, title=SCRIPT)
    answer = admin.api("status", task.id)
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


# -- hostile query parameters --------------------------------------------------------------
def test_sql_and_selector_syntax_in_parameters_is_harmless(web_site, admin, guest):
    task = make_task(web_site)
    pages_before = web_site.pages.count("include=all")
    hostile = ["1 OR 1=1", "1; DROP TABLE pages", "1, include=all", "' OR ''='", "1)--",
               "-1", "99999999999999999999", "0x10", "1e3", "[1]", "template=user"]
    for value in hostile:
        q = quote(value)
        answer = admin.get(f"/admin/tasks/api?id={q}&cmd=status")
        assert answer.status in (400, 404), value
        assert answer.json()["status"] is False
        for param in ("sort", "dir", "start"):
            assert admin.get(f"/admin/tasks/?{param}={q}").status == 200, (param, value)
        refused = admin.get(f"/admin/tasks/?state={q}")          # no such state: said so
        assert refused.status == 400 and "There is no task state" in refused.text, value
        assert admin.get(f"/admin/page/1/children?start={q}").status == 200
        assert admin.get(f"/admin/?open={q}").status == 200
        assert admin.get(f"/admin/page/add?parent={q}").status in (400, 404)   # never a page under home
        assert guest.get(f"/?format={q}").status == 200
        assert guest.get(f"/{q}/").status in (404, 301)
    answer = admin.api("create", module="WebJobs", method="count_to", pageid="1, include=all",
                       title="x")
    assert answer.status == 400
    answer = admin.api(quote("status; DROP TABLE pages"), task.id, http="GET")
    assert answer.status == 400
    assert web_site.pages.count("include=all") == pages_before
    assert web_site.users.get("admin")
    assert admin.api("status", task.id).json()["status"] is True


# -- the task API ------------------------------------------------------------------------------
def test_status_answers_the_original_fields(web_site, admin):
    task = make_task(web_site, title="Counting")
    answer = admin.api("status", task.id)
    assert answer.status == 200
    data = answer.json()
    for name, kind in API_FIELDS.items():
        assert isinstance(data[name], kind), name
    assert data["taskid"] == task.id and data["taskinfo"] == "Counting"
    assert data["task_state"] == 2 and data["task_state_info"] == "waiting"
    assert data["status"] is True and data["result"] == "Counting"
    assert data["progress"] == 0 and data["task_running"] == 0 and data["log"] == []
    assert f'data-task-id="{task.id}"' in data["status_html"]


def test_the_lists_poll_answers_every_row_in_one_request(web_site, server, admin):
    """`/admin/tasks/statuses?ids=...`: each task as `status` answers it (without its log),
    the ids of tasks gone apart; a malformed list is a 400 and a guest gets nothing."""
    waiting, other = make_task(web_site, title="Waiting"), make_task(web_site, title="Other")
    gone = make_task(web_site, title="Gone")
    admin.api("activate", other.id)
    admin.api("trash", gone.id)
    answer = admin.get(f"/admin/tasks/statuses?ids={waiting.id},{other.id},{gone.id},999999")
    assert answer.status == 200 and answer.headers["Content-Type"].startswith("application/json")
    data = answer.json()
    assert data["status"] is True and sorted(data["gone"]) == [gone.id, 999999]
    one = admin.api("status", other.id).json()
    modified = web_site.pages.get(other.id).modified.strftime("%Y-%m-%d %H:%M:%S UTC")
    assert data["tasks"][str(other.id)] == {**one, "log": [], "modified": modified}  # the list's column
    assert data["tasks"][str(waiting.id)]["task_state"] == 2
    assert data["tasks"][str(other.id)]["task_state"] == 1
    for bad in ("", "1,x", "1;2", "%C2%B2", ",".join(["1"] * 201)):
        refused = admin.get(f"/admin/tasks/statuses?ids={bad}")
        assert refused.status == 400 and refused.json()["status"] is False, bad
    assert Client(server).get(f"/admin/tasks/statuses?ids={waiting.id}").status == 403


def test_commands_change_the_state_as_the_original(web_site, admin):
    task = make_task(web_site, target=4, per_step=2)
    assert admin.api("activate", task.id).json()["task_state"] == 1
    assert admin.api("suspend", task.id).json()["task_state"] == 2
    assert admin.api("start", task.id).json()["task_state"] == 1
    step = admin.api("run", task.id).json()
    assert step["status"] is True and step["progress"] == 50 and step["task_state"] == 1
    step = admin.api("run", task.id).json()
    assert step["progress"] == 100 and step["task_state"] == 3
    assert step["task_state_info"] == "finished"
    reset = admin.api("reset", task.id).json()
    assert reset["task_state"] == 2 and reset["progress"] == 0
    assert admin.api("restart", task.id).json()["task_state"] == 1
    killed = admin.api("kill", task.id).json()
    assert killed["task_state"] == 4
    trashed = admin.api("trash", task.id).json()
    assert trashed["status"] is True and trashed["status_html"] == ""
    assert (trashed["task_state"], trashed["task_state_info"]) == (4, "trashed")   # killed
    assert admin.api("status", task.id).status == 404


def test_run_refuses_a_task_that_is_not_active(web_site, admin):
    task = make_task(web_site)
    answer = admin.api("run", task.id)
    assert answer.status == 400 and answer.json()["status"] is False
    assert "not active" in answer.json()["result"]


def test_api_errors_are_json_with_status_false(web_site, admin):
    task = make_task(web_site)
    cases = [
        (admin.api("status", "abc"), 400),
        (admin.api("status", ""), 400),
        (admin.api("status", 999999), 404),
        (admin.api("status", 1), 404),                   # home is a page, not a task
        (admin.api("explode", task.id), 400),
        (admin.api("kill", task.id, http="GET"), 400),  # state changes are POSTs
        (admin.api("kill", task.id, csrf=False), 403),
    ]
    for answer, code in cases:
        assert answer.status == code, answer
        data = answer.json()
        assert data["status"] is False and data["message"] and data["result"]
        assert set(API_FIELDS) <= set(data)
    assert state_of(web_site, task) == 2


def test_api_refusals_say_a_trashed_task_is_in_the_trash_and_a_guest_is_not_logged_in(
        web_site, admin, guest):
    task = make_task(web_site)
    web_site.pages.get(task.id).trash()
    trashed = admin.api("status", task.id)
    assert trashed.status == 404
    assert trashed.json()["result"] == f"task {task.id} is in the trash (restore it to steer it)"
    refused = guest.api("status", task.id)
    assert refused.status == 403 and "you are not logged in" in refused.json()["result"]


def test_create_takes_only_registered_task_methods(web_site, admin):
    made = admin.api("create", module="WebJobs", method="count_to", pageid="1",
                     title="From the API", task_data='{"target": 3}')
    assert made.status == 200, made.json()["message"]
    data = made.json()
    assert data["status"] is True and data["taskinfo"] == "From the API"
    assert data["task_state"] == 2
    task = web_site.modules.get("Tasker").get_task_by_id(data["taskid"])
    assert task.parent_id == 1
    refused = [
        ({"module": "WebJobs", "method": "not_offered"}, 400),
        ({"module": "WebJobs", "method": "__init__"}, 400),
        ({"module": "NoSuchModule", "method": "count_to"}, 400),
        ({"module": "WebJobs", "method": "count_to", "pageid": "424242"}, 404),
        ({"module": "WebJobs", "method": "count_to", "task_data": "{not json"}, 400),
        ({"module": "WebJobs", "method": "count_to", "task_data": "[1, 2]"}, 400),
        ({"module": "WebJobs", "method": "count_to", "title": ""}, 400),
        ({"module": "WebJobs", "method": "count_to", "task_data": '{"task_done": 1}'}, 400),
    ]
    before = web_site.pages.count("template=tasker-task, include=all")
    for fields, code in refused:
        sent = {"pageid": "1", "title": "Nope", **fields}
        answer = admin.api("create", **sent)
        assert answer.status == code, (fields, answer)
        assert answer.json()["status"] is False
    assert web_site.pages.count("template=tasker-task, include=all") == before


def test_create_names_only_a_page_the_user_may_view(web_site, server):
    """A tasks-only user could start a task on a members-only page they may not see."""
    web_site.users.add_role("steerer", ["tasker-admin"])
    web_site.users.add_role("editor", ["page-edit"])
    web_site.users.add("tess", PASSWORD, roles=["steerer", "editor"])
    web_site.templates.add("members", fields=["title"]).set_access(view=[], edit=[])
    club = web_site.pages.add("members", 1, "club", title="Club")
    web_site.templates.add("notes", fields=["title"]).set_access(view=["guest"], edit=["editor"])
    notes = web_site.pages.add("notes", 1, "notes", title="Notes")
    steerer = Client(server)
    steerer.login("tess")
    refused = steerer.api("create", module="WebJobs", method="count_to", pageid=str(club.id),
                          title="Into the club")
    assert refused.status == 404 and refused.json()["result"] == f"there is no page {club.id}"
    assert web_site.pages.count("template=tasker-task, include=all") == 0
    # Nor on a page they may view but not edit: the method may add or delete pages under it
    # (a tasks-only user imported 603 pages under /about/ so, and could purge a dictionary).
    refused = steerer.api("create", module="WebJobs", method="count_to", pageid="1", title="Home")
    assert refused.status == 403 and "you may not edit /" in refused.json()["result"]
    assert web_site.pages.count("template=tasker-task, include=all") == 0
    made = steerer.api("create", module="WebJobs", method="count_to", pageid=str(notes.id),
                       title="Notes")
    assert made.status == 200 and made.json()["status"] is True


def test_log_limit_parameter(web_site, admin):
    task = make_task(web_site, say="hello")
    tasker = web_site.modules.get("Tasker")
    tasker.activate_task(task)
    tasker.execute_task(task, {"invoker": "test"})
    full = admin.get(f"/admin/tasks/api?id={task.id}&cmd=status").json()["log"]
    assert any("hello" in line for line in full)
    assert admin.get(f"/admin/tasks/api?id={task.id}&cmd=status&log=0").json()["log"] == []
    assert admin.get(f"/admin/tasks/api?id={task.id}&cmd=status&log=1").json()["log"] == full[-1:]


def test_status_shows_each_change_in_the_next_answer(web_site, admin):
    """Pollers ask again and again: nothing the server keeps between answers (rendered status
    rows, the user's rights) may hold back a change made elsewhere (a runner, another admin)."""
    task = make_task(web_site, title="Watched", target=4, per_step=2)
    tasker = web_site.modules.get("Tasker")
    first = admin.api("status", task.id).json()
    assert first["task_state"] == 2 and 'data-state="2"' in first["status_html"]
    tasker.activate_task(task)                              # elsewhere: not through this server
    active = admin.api("status", task.id).json()
    assert active["task_state"] == 1 and active["task_state_info"] == "active"
    assert 'data-state="1"' in active["status_html"] and "Deactivate" in active["status_html"]
    tasker.execute_task(task, {"invoker": "test"})
    stepped = admin.api("status", task.id).json()
    assert stepped["progress"] == 50 and "50%" in stepped["status_html"]
    web_site.pages.get(task.id).set_and_save("title", "Renamed")
    assert admin.api("status", task.id).json()["taskinfo"] == "Renamed"
    tasker.stop_task(task, kill=True)
    killed = admin.api("status", task.id).json()
    assert killed["task_state"] == 4 and "state-killed" in killed["status_html"]
    tasker.trash_task(task)
    assert admin.api("status", task.id).status == 404


def test_status_rows_alike_keep_their_own_id_title_and_token(web_site, server, admin):
    """Rows in the same state render from one shape; each still shows its own task and the
    asking session's CSRF token."""
    first = make_task(web_site, title="First <b>")
    second = make_task(web_site, title="Second")
    one = admin.api("status", first.id).json()["status_html"]
    two = admin.api("status", second.id).json()["status_html"]
    assert f'data-task-id="{first.id}"' in one and "First &lt;b&gt;" in one
    assert f'data-task-id="{second.id}"' in two and "Second" in two and "First" not in two
    assert f'value="{admin.token()}"' in one and f'value="{admin.token()}"' in two
    other = Client(server)
    try:
        other.login()
        theirs = other.api("status", first.id).json()["status_html"]
        assert f'value="{other.token()}"' in theirs and admin.token() not in theirs
    finally:
        other.close()


def test_status_refuses_a_client_that_logged_out(web_site, admin):
    task = make_task(web_site)
    assert admin.api("status", task.id).status == 200
    assert admin.post("/admin/logout", {"csrf_token": admin.token()}).status == 303
    answer = admin.api("status", task.id)
    assert answer.status == 403 and answer.json()["status"] is False
    assert answer.json()["taskinfo"] == "" and answer.json()["log"] == []


def test_status_refuses_a_user_who_was_removed(web_site, server):
    """Who is asking is remembered for a moment (AccessCache, 2 s), not longer."""
    task = make_task(web_site)
    web_site.users.add_role("watcher", ["page-edit", "tasker-admin"])
    web_site.users.add("watcher", PASSWORD, roles=["watcher"])
    watcher = Client(server)
    try:
        watcher.login("watcher")
        assert watcher.api("status", task.id).status == 200
        web_site.users.delete("watcher")
        deadline = time.monotonic() + server.web.access.ttl + 3
        while watcher.api("status", task.id).status == 200:
            assert time.monotonic() < deadline, "still answered after the cache's time"
            time.sleep(0.2)
        assert watcher.api("status", task.id).json()["status"] is False
    finally:
        watcher.close()


# -- the task monitor --------------------------------------------------------------------------
def test_the_task_list_pages_filters_and_sorts(web_site, admin):
    tasks = [make_task(web_site, title=f"Task {i:02d}", target=i + 1) for i in range(55)]
    tasker = web_site.modules.get("Tasker")
    for task in tasks[:5]:
        tasker.activate_task(task)
    first = admin.get("/admin/tasks/")
    assert first.status == 200
    assert first.text.count('class="task-status') == 50
    assert "1–50 of 55" in first.text and "start=50" in first.text
    second = admin.get("/admin/tasks/?start=50")
    assert second.text.count('class="task-status') == 5
    active = admin.get("/admin/tasks/?state=1")
    assert active.text.count('class="task-status') == 5
    assert re.search(r"active <span class=\"count\" data-count-state=\"1\">5</span>", active.text)
    assert re.search(r"waiting <span class=\"count\" data-count-state=\"2\">50</span>", active.text)
    by_state = admin.get("/admin/tasks/?sort=state&dir=asc")       # active ones first
    assert by_state.text.index("Task 00") < by_state.text.index("Task 10")
    assert "Task 00" not in admin.get("/admin/tasks/?sort=state&dir=desc").text
    assert "Activate" in first.text and "Run now" in first.text
    assert "Deactivate" in active.text and "Kill" in active.text


def test_the_task_list_searches_titles_and_counts_the_matches_by_state(web_site, admin):
    tasker = web_site.modules.get("Tasker")
    apples = make_task(web_site, title="Import Äpples from the orchard")
    make_task(web_site, title="Purge apples")
    make_task(web_site, title="Import pears")
    tasker.activate_task(apples)
    found = admin.get("/admin/tasks/?q=apples")
    assert found.status == 200
    assert found.text.count('class="task-status') == 2
    assert "Import Äpples" in found.text and "Purge apples" in found.text     # accents ignored
    assert "Import pears" not in found.text
    assert 'data-count-state="all">2</span>' in found.text                     # all: the matches
    assert re.search(r'data-count-state="1">1</span>', found.text)
    assert re.search(r'data-count-state="2">1</span>', found.text)
    assert 'href="/admin/tasks/?q=apples&amp;state=1"' in found.text           # filters keep it
    assert 'value="apples"' in found.text
    both = admin.get("/admin/tasks/?q=apples&state=1")
    assert both.text.count('class="task-status') == 1 and "Import Äpples" in both.text
    # Operators, quotes and separators cannot reach the selector: the text is searched as typed.
    hostile = admin.get("/admin/tasks/?" + urlencode({"q": '", include=all, title!=x'}))
    assert hostile.status == 200
    assert "No tasks whose title contains" in hostile.text
    assert admin.get("/admin/tasks/?q=").text.count('class="task-status') == 3
    make_task(web_site, title="Sale: 50% <b>off</b>")
    for typed in ("%", "50%", "<b>"):
        found = admin.get("/admin/tasks/?" + urlencode({"q": typed}))
        assert found.text.count('class="task-status') == 1, typed
        assert 'value="' + typed.replace("<", "&lt;").replace(">", "&gt;") + '"' in found.text


def test_the_task_list_sorts_by_progress(web_site, admin):
    slow = make_task(web_site, title="Barely started", target=10, per_step=1)
    fast = make_task(web_site, title="Half done", target=10, per_step=5)
    make_task(web_site, title="Not started", target=10, per_step=5)
    tasker = web_site.modules.get("Tasker")
    for task in (slow, fast):
        tasker.activate_task(task)
        tasker.execute_task(task, {"invoker": "test"})
    text = admin.get("/admin/tasks/?sort=progress").text
    assert text.index("Half done") < text.index("Barely started") < text.index("Not started")
    text = admin.get("/admin/tasks/?sort=progress&dir=asc").text
    assert text.index("Not started") < text.index("Barely started") < text.index("Half done")


def test_the_actions_each_state_offers():
    from cms.web.task_view import actions, state_label

    def offered(state, running=False, progress=0):
        return [action.label for action in actions(state, running, progress)]
    assert offered(2) == ["Activate", "Run now", "Trash"]
    assert offered(2, progress=40) == ["Activate", "Run now", "Reset", "Trash"]
    assert offered(1) == ["Deactivate", "Run now", "Kill", "Trash"]
    assert offered(1, running=True, progress=40) == ["Deactivate", "Kill"]
    assert offered(2, running=True, progress=40) == ["Kill"]          # suspending
    assert offered(3, progress=100) == ["Reset", "Trash"]
    assert offered(4) == ["Reset", "Trash"]
    assert offered(5, progress=35) == ["Try again", "Reset", "Trash"]
    assert state_label(1, False) == "ready to run" and state_label(1, True) == "running"
    assert state_label(2, True) == "suspending"
    assert state_label(4, True) == "killing: reset to 0% when its step stops"
    assert state_label(4, False, True) == "killed, reset to 0%"
    assert state_label(4, False, False) == "killed"            # restored from the trash


def test_actions_without_the_script_post_and_come_back(web_site, admin):
    task = make_task(web_site)
    answer = admin.post(f"/admin/tasks/{task.id}/action",
                        {"cmd": "activate", "csrf_token": admin.token()},
                        headers={"Referer": "/admin/tasks/?state=2"})
    assert answer.status == 303 and answer.location == "/admin/tasks/?state=2"
    assert state_of(web_site, task) == 1
    assert "activated" in admin.get("/admin/tasks/").text        # the notice, shown once


def confirmation_form(answer) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of the "Are you sure?" page a browser without script gets."""
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*id="confirm-form">(.*?)</form>',
                     answer.text, re.S)
    assert form, answer.text
    return form.group(1), dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">',
                                          form.group(2)))


def test_trashing_a_page_without_the_script_names_the_pages_below_only_when_there_are(
        web_site, admin):
    parent = web_site.pages.add("basic-page", 1, "parent", title="Parent")
    web_site.pages.add("basic-page", parent, "child", title="Child")
    alone = web_site.pages.add("basic-page", 1, "alone", title="Alone")
    asked = admin.post(f"/admin/page/{parent.id}/trash", {"csrf_token": admin.token()})
    assert "Move Parent (/parent/) and the pages below it to the trash?" in asked.text
    asked = admin.post(f"/admin/page/{alone.id}/trash", {"csrf_token": admin.token()})
    assert "Move Alone (/alone/) to the trash?" in asked.text
    assert not web_site.pages.get(alone.id).is_trash()            # asked, nothing done yet


def test_kill_and_trash_without_the_script_ask_first_then_come_back(web_site, admin):
    task = make_task(web_site)
    admin.post(f"/admin/tasks/{task.id}/action", {"cmd": "activate", "csrf_token": admin.token()})
    asked = admin.post(f"/admin/tasks/{task.id}/action", {"cmd": "kill", "csrf_token": admin.token()},
                       headers={"Referer": "/admin/tasks/?state=1"})
    assert asked.status == 200 and f"Kill the task {task.get('title')}?" in asked.text
    assert 'href="/admin/tasks/?state=1">Cancel' in asked.text
    assert state_of(web_site, task) == 1                          # asked, nothing done yet
    action, fields = confirmation_form(asked)
    assert action == f"/admin/tasks/{task.id}/action"
    assert fields == {"csrf_token": admin.token(), "cmd": "kill", "back": "/admin/tasks/?state=1",
                      "confirmed": "1"}
    done = admin.post(action, fields)                 # the page's button: no Referer of use now
    assert done.status == 303 and done.location == "/admin/tasks/?state=1"
    assert state_of(web_site, task) == 4
    assert admin.post(f"/admin/tasks/{task.id}/action", {"cmd": "reset", "csrf_token": admin.token()}
                      ).status == 303                 # not a dangerous one: done at once
    asked = admin.post(f"/admin/tasks/{task.id}/action", {"cmd": "trash", "csrf_token": admin.token()})
    assert asked.status == 200 and not web_site.pages.get(task.id).is_trash()


def test_deleting_for_good_without_the_script_asks_first(web_site, admin):
    gone = web_site.pages.add("basic-page", 1, "gone", title="Gone <b>soon</b>")
    asked = admin.post(f"/admin/page/{gone.id}/trash", {"csrf_token": admin.token()})
    assert asked.status == 200 and "Move Gone &lt;b&gt;soon&lt;/b&gt; (/gone/)" in asked.text
    assert not web_site.pages.get(gone.id).is_trash()
    action, fields = confirmation_form(asked)
    assert admin.post(action, fields).status == 303 and web_site.pages.get(gone.id).is_trash()
    asked = admin.post(f"/admin/trash/{gone.id}/delete", {"csrf_token": admin.token()})
    assert "for good? This cannot be undone." in asked.text and web_site.pages.get(gone.id)
    action, fields = confirmation_form(asked)
    assert admin.post(action, fields).location == "/admin/trash/"
    assert not web_site.pages.get(gone.id)
    # expired between the question and the answer: refused like any other forged post
    other = web_site.pages.add("basic-page", 1, "other", title="Other")
    action, fields = confirmation_form(admin.post(f"/admin/page/{other.id}/trash",
                                                  {"csrf_token": admin.token()}))
    assert admin.post(action, dict(fields, csrf_token="stale")).status == 403
    assert not web_site.pages.get(other.id).is_trash()


def test_run_now_opens_the_task_page_in_run_mode(web_site, admin):
    task = make_task(web_site)
    answer = admin.post(f"/admin/tasks/{task.id}/run", {"csrf_token": admin.token()})
    assert answer.status == 303 and answer.location == f"/admin/tasks/{task.id}/"
    assert state_of(web_site, task) == 1
    assert 'data-run="1"' in admin.get(answer.location).text
    assert 'data-run="1"' not in admin.get(answer.location).text      # once: a reload watches


def test_ids_too_long_and_bytes_that_are_no_utf8_are_no_500(web_site, admin):
    huge = "9" * 23
    for path in (f"/admin/page/{huge}/edit", f"/admin/page/{huge}/children",
                 f"/admin/tasks/{huge}/", "/admin/page/-5/edit"):
        assert admin.get(path).status == 404, path
    found = admin.get("/admin/find/?selector=%ff%fe")
    assert found.status in (200, 400), found.text[:300]
    assert admin.get("/admin/find/?selector=id%3D1&column=%ff&column=title").status == 200
    role = web_site.users.add_role("writer")
    answer = admin.request("POST", f"/admin/access/roles/{role.id}/edit",
                           f"csrf_token={admin.token()}&permissions=%ff%fe".encode(),
                           {"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status == 400 and "there is no permission" in answer.text


def test_the_api_answers_a_method_it_does_not_take_in_json(web_site, admin):
    task = make_task(web_site)
    for method in ("PUT", "DELETE", "PATCH"):
        answer = admin.request(method, f"/admin/tasks/api?id={task.id}&cmd=status")
        assert answer.status == 405 and answer.json()["status"] is False, method
        assert answer.headers["Allow"] == "GET, POST"
    assert admin.api("status", task.id).status == 200


def test_a_post_only_admin_url_followed_as_a_link_is_405_not_404(web_site, admin, guest):
    task = make_task(web_site)
    before = state_of(web_site, task)
    for path in (f"/admin/tasks/{task.id}/run", f"/admin/page/{task.id}/trash"):
        answer = admin.get(path)
        assert answer.status == 405 and answer.headers["Allow"] == "POST", path
        assert "Method not allowed" in answer.text and "takes POST only" in answer.text
    assert state_of(web_site, task) == before and not web_site.pages.get(task.id).is_trash()
    missing = admin.get("/admin/no/such/screen")
    assert missing.status == 404 and "Allow" not in missing.headers
    assert guest.get(f"/admin/tasks/{task.id}/run").status == 303      # the login comes first


def test_a_kill_of_a_running_task_says_it_applies_when_the_step_stops(web_site, admin):
    task = make_task(web_site, target=4)
    tasker = web_site.modules.get("Tasker")
    tasker.activate_task(task)
    web_site.db.execute("UPDATE tasker_tasks SET running = 1 WHERE pages_id = ?", (task.id,))
    answer = admin.api("kill", task.id).json()
    assert answer["result"] == "killing: reset to 0% when its running step stops"
    web_site.db.execute("UPDATE tasker_tasks SET running = 0 WHERE pages_id = ?", (task.id,))
    assert admin.api("kill", task.id).json()["result"] == "killed and reset to 0%"


def test_run_now_refuses_a_finished_task(web_site, admin):
    """Not offered there, but a hand-made POST ran a finished import's work a second time."""
    task = make_task(web_site, target=2)
    tasker = web_site.modules.get("Tasker")
    tasker.activate_task(task)
    assert tasker.execute_task(task) and state_of(web_site, task) == 3
    answer = admin.post(f"/admin/tasks/{task.id}/run", {"csrf_token": admin.token()})
    assert answer.status == 303
    assert "Run now runs a waiting or active task" in admin.get(answer.location).text
    assert state_of(web_site, task) == 3
    refused = admin.api("start", task.id)
    assert refused.status == 400 and "Run now runs a waiting" in refused.json()["result"]
    assert refused.json()["task_state"] == 3 and refused.json()["progress"] == 100
    assert state_of(web_site, task) == 3


def test_the_task_page_shows_log_data_history_and_figures(web_site, admin):
    task = make_task(web_site, target=6, per_step=3, say="counting now")
    admin.api("start", task.id)
    admin.api("run", task.id)
    page = admin.get(f"/admin/tasks/{task.id}/")
    assert page.status == 200
    assert "counting now" in page.text                        # the log
    assert "&#34;target&#34;: 6" in page.text or '"target": 6' in page.text   # the data
    assert "admin" in page.text and "waiting" in page.text    # who changed the state
    # the creation's row: no state before it (not the enum's "unknown")
    assert re.search(r"<td>—</td><td>waiting</td><td>[^<]*</td><td>created</td>", page.text)
    assert "unknown" not in page.text
    assert "Rate" in page.text and "ETA" in page.text
    assert admin.get("/admin/tasks/424242/").status == 404


def test_task_pages_are_refused_by_the_page_editor(web_site, admin):
    task = make_task(web_site)
    answer = admin.get(f"/admin/page/{task.id}/edit")
    assert answer.status == 403 and f"/admin/tasks/{task.id}/" in answer.text
    answer = admin.post(f"/admin/page/{task.id}/edit", {"title": "Changed",
                                                        "csrf_token": admin.token()})
    assert answer.status == 403
    assert web_site.modules.get("Tasker").get_task_by_id(task.id).title == "Count"


# -- the page tree and editor -----------------------------------------------------------------
def test_the_tree_loads_children_fifty_at_a_time(web_site, admin):
    parent = web_site.pages.add("basic-page", 1, "big", title="Big")
    with web_site.transaction():
        for i in range(120):
            web_site.pages.add("basic-page", parent, f"child-{i:03d}", title=f"Child {i:03d}")
    web_site.pages.add("basic-page", 1, "quiet", title="Quiet",
                       status=Page.STATUS_ON | Page.STATUS_HIDDEN)
    web_site.pages.add("basic-page", 1, "draft", title="Draft",
                       status=Page.STATUS_ON | Page.STATUS_UNPUBLISHED)
    tree = admin.get("/admin/")
    assert tree.status == 200 and "Big" in tree.text
    assert re.search(r'Big</a>\s*<span class="count" title="children">120</span>', tree.text)
    assert "badge-hidden" in tree.text and "badge-unpublished" in tree.text
    fetched = {"X-Requested-With": "fetch"}
    first = admin.get(f"/admin/page/{parent.id}/children", headers=fetched)
    assert first.text.count('class="tree-node"') == 50 and "<html" not in first.text
    assert "Child 000" in first.text and "Child 050" not in first.text
    assert f"/admin/page/{parent.id}/children?start=50" in first.text
    assert "50 of 120 shown" in first.text
    last = admin.get(f"/admin/page/{parent.id}/children?start=100", headers=fetched)
    assert last.text.count('class="tree-node"') == 20 and "tree-more" not in last.text
    plain = admin.get(f"/admin/page/{parent.id}/children")        # a link followed without JS
    assert "<html" in plain.text and plain.text.count('class="tree-node"') == 50


def test_the_editor_saves_and_shows_errors_beside_the_field(web_site, admin):
    web_site.fields.add("rating", "Integer", label="Rating", min=1, max=5)
    web_site.fields.add("body", "Textarea", label="Body")
    web_site.templates.add("review", fields=["title", "rating", "body"])
    page = web_site.pages.add("review", 1, "review", title="Review", rating=3)
    form = admin.get(f"/admin/page/{page.id}/edit")
    assert form.status == 200 and 'name="rating"' in form.text and "<textarea" in form.text
    saved = admin.post(f"/admin/page/{page.id}/edit", {
        "csrf_token": form.csrf(), "title": "Better review", "rating": "4", "body": "Fine",
        "name": "review"})
    assert saved.status == 303
    stored = web_site.pages.get(page.id)
    assert (stored.title, stored.rating, stored.body) == ("Better review", 4, "Fine")
    bad = admin.post(f"/admin/page/{page.id}/edit", {
        "csrf_token": form.csrf(), "title": "Not stored", "rating": "9", "body": "x",
        "name": "review"})
    assert bad.status == 400
    error = re.search(r'id="field-rating">(.*?)</div>', bad.text, re.DOTALL).group(1)
    assert "maximum 5" in error and "field-error" in error
    assert "field &#39;rating&#39;" not in error                # the input names it already
    assert 'value="Not stored"' in bad.text                    # what was typed stays
    assert web_site.pages.get(page.id).title == "Better review"


def test_add_move_trash_and_restore(web_site, admin):
    token = admin.token()
    added = admin.post("/admin/page/add?parent=1", {"csrf_token": token, "parent": "1",
                                                   "template": "basic-page", "title": "News"})
    assert added.status == 303
    news = web_site.pages.get("/news/")
    assert news and added.location == f"/admin/page/{news.id}/edit"
    refused = admin.post("/admin/page/add?parent=1", {"csrf_token": token, "parent": "1",
                                                     "template": "user", "title": "Sneaky"})
    assert refused.status == 400
    archive = web_site.pages.add("basic-page", 1, "archive", title="Archive")
    moved = admin.post(f"/admin/page/{news.id}/move", {"csrf_token": token, "parent": "/archive/"})
    assert moved.status == 303 and web_site.pages.get(news.id).path == "/archive/news/"
    loop = admin.post(f"/admin/page/{archive.id}/move", {"csrf_token": token,
                                                         "parent": "/archive/news/"})
    assert loop.status == 400 and "under itself" in loop.text
    assert admin.post(f"/admin/page/{news.id}/trash", {"csrf_token": token, "confirmed": "1"}).status == 303
    assert web_site.pages.get(news.id).is_trash()
    assert admin.post(f"/admin/page/{news.id}/restore", {"csrf_token": token}).status == 303
    assert web_site.pages.get(news.id).path == "/archive/news/"
    assert admin.post("/admin/page/7/trash", {"csrf_token": token, "confirmed": "1"}).status == 303
    assert not web_site.pages.get(7).is_trash()                  # system pages stay


def test_task_pages_are_private_until_a_site_opens_them(web_site, server):
    task = make_task(web_site, title="Private progress")
    visitor = Client(server)
    assert visitor.get(task.path).status == 404
    assert visitor.get(task.path + "?format=json").status == 404
    web_site.users.add_role("steerer", ["tasker-admin"])
    web_site.users.add("steve", PASSWORD, roles=["steerer"])
    steerer = Client(server)
    steerer.login("steve")
    assert steerer.get(task.path).status == 200          # tasker-admin sees every task page
    assert Client(server).get(task.path).status == 404


def test_public_task_page_and_its_json(web_site, server):
    web_site.templates["tasker-task"].set_access(view=["guest"])    # a site opens them on purpose
    schema_seen_now(server)
    task = make_task(web_site, title="Public progress")
    visitor = Client(server)
    page = visitor.get(task.path)
    assert page.status == 200
    assert "Public progress" in page.text and "waiting" in page.text
    data = visitor.get(task.path + "?format=json")
    assert data.status == 200 and data.headers["Content-Type"].startswith("application/json")
    assert data.headers["X-Content-Type-Options"] == "nosniff"      # never sniffed as HTML
    assert data.json() == {"title": "Public progress", "state": "waiting", "progress": 0}
    assert visitor.get("/?format=json").headers["Content-Type"].startswith("text/html")


@pytest.mark.slow
def test_run_now_step_takes_under_the_ajax_timeout(web_site, admin):
    task = make_task(web_site, target=1000, delay=0.01)
    web_site.modules.save_config("Tasker", ajax_timeout=1)
    admin.api("start", task.id)
    # each Run now answers within its second (and a margin), the task still active; on a loaded
    # machine a step's start can eat its whole second, so a few steps, not one, must progress
    for _ in range(3):
        began = time.monotonic()
        step = admin.api("run", task.id).json()
        assert time.monotonic() - began < 4
        assert step["task_state"] == 1 and step["progress"] < 100
        if step["progress"] > 0:
            break
    assert 0 < step["progress"] < 100


# -- the server --------------------------------------------------------------------------------
def test_traffic_lets_lazy_cron_run_ready_tasks_in_the_background(web_site, db_url, tmp_path):
    task = make_task(web_site, target=3)
    web_site.modules.get("Tasker").activate_task(task)
    with running_server(db_url, tmp_path, lazy_cron=True) as server:
        visitor = Client(server)
        assert visitor.get("/").status == 200          # a response, then the background turn
        deadline = time.monotonic() + 20
        while state_of(web_site, task) != 3 and time.monotonic() < deadline:
            time.sleep(0.2)
            visitor.get("/")
        visitor.close()
    assert state_of(web_site, task) == 3


def test_an_idle_connection_is_closed_before_the_next_request(web_site, db_url, tmp_path):
    with running_server(db_url, tmp_path, threads=1) as server:
        server.web.pool.idle_seconds = 0               # every request finds it idle
        visitor = Client(server)
        for _ in range(3):
            assert visitor.get("/").status == 200
        visitor.close()


def stopped_output(process, timeout: float = 30) -> str:
    """The server's stderr once it has stopped; one that did not stop in `timeout` seconds is
    killed with its process group (a failed run must not leave a server serving) and fails,
    saying what was left: communicate() waits for every holder of the pipe, not the server."""
    import signal
    import subprocess
    try:
        return process.communicate(timeout=timeout)[1]
    except subprocess.TimeoutExpired:
        left = left_running(process)
        os.killpg(process.pid, signal.SIGKILL)
        try:
            stderr = process.communicate(timeout=10)[1]
        except subprocess.TimeoutExpired:          # a holder outside the group: see `left`
            stderr = "(the pipe is still held)"
        raise AssertionError(f"the server did not stop within {timeout} s; left:\n{left}"
                             f"its stderr:\n{stderr}") from None


def left_running(process) -> str:
    """One line per process of the server's process group or holding its stderr pipe: its
    state, what it waits in, and how it takes SIGINT and SIGTERM (a handler that was never
    installed, a signal blocked or pending, names the missed stop)."""
    pipe = f"pipe:[{os.fstat(process.stderr.fileno()).st_ino}]" if process.stderr else None
    lines = []
    for folder in Path("/proc").iterdir():
        if not folder.name.isdigit() or int(folder.name) == os.getpid():
            continue
        try:
            fields = (folder / "stat").read_text().rsplit(")", 1)[1].split()
            holds = pipe is not None and any(os.readlink(fd) == pipe
                                             for fd in (folder / "fd").iterdir())
            if int(fields[2]) != process.pid and not holds:
                continue
            status = dict(line.split(":\t", 1) for line in
                          (folder / "status").read_text().splitlines() if ":\t" in line)
            waits = (folder / "wchan").read_text()
            command = (folder / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:90]
        except OSError:                             # it ended meanwhile
            continue
        stops = ", ".join(f"{name} " + ("+".join(dict.fromkeys(
            word for key, word in (("SigCgt", "caught"), ("SigIgn", "ignored"), ("SigBlk", "blocked"),
                                   ("SigPnd", "pending"), ("ShdPnd", "pending"))
            if int(status[key], 16) >> (number - 1) & 1)) or "default")
            for name, number in (("SIGINT", 2), ("SIGTERM", 15)))
        lines.append(f"pid {folder.name} ppid {fields[1]} pgid {fields[2]} {status['State']}, "
                     f"waits in {waits or '-'}, {stops}{', holds the pipe' if holds else ''}: "
                     f"{command}\n")
    return "".join(sorted(lines)) or "nothing\n"


def wait_for_port(port: int, process, seconds: float = 60) -> None:
    """Wait until `process` answers on `port`; fail saying why it did not, its process group
    killed. A stop signal sent to a server still booting is lost where SIGINT came ignored (as
    .ci/run's background suites start it): a failure here reported as "did not stop" 30 s later
    would hide that the server never answered."""
    import signal
    import socket
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            if process.poll() is not None:
                raise AssertionError(f"the server ended (exit {process.returncode}) before port "
                                     f"{port} answered; its stderr:\n{stopped_output(process)}")
            if time.monotonic() > deadline:
                left = left_running(process)
                os.killpg(process.pid, signal.SIGKILL)
                raise AssertionError(f"port {port} did not answer within {seconds:g} s; left:\n"
                                     f"{left}its stderr:\n{stopped_output(process)}")
            time.sleep(0.1)


def signal_server(process, number: int, group: bool = True) -> None:
    """Send a stop to the server's process group (or the server alone), unless a failed
    `wait_for_port` ended it."""
    if process.poll() is None:
        (os.killpg if group else os.kill)(process.pid, number)


@pytest.mark.slow
@pytest.mark.parametrize("processes", [1, 2])
def test_serve_command_serves_until_interrupted(web_site, run_env, processes):
    import http.client
    import signal
    import subprocess
    import sys
    port = free_port()
    process = subprocess.Popen([sys.executable, "run.py", "serve", "--port", str(port),
                                "--threads", "2", "--processes", str(processes)],
                               cwd=str(ROOT), env=run_env, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        wait_for_port(port, process)
        for _ in range(6):                       # new connections: any process may answer
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/")
            assert conn.getresponse().status == 200
            conn.close()
    finally:
        signal_server(process, signal.SIGINT)    # Ctrl-C reaches the whole process group
        stderr = stopped_output(process)
    assert process.returncode == 0, stderr
    assert f"http://127.0.0.1:{port}/" in stderr


@pytest.mark.slow
@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM"])
def test_one_server_process_stops_even_when_started_with_sigint_ignored(web_site, run_env, stop):
    """A script that starts the server in the background hands it SIGINT ignored (and
    Python then raises no KeyboardInterrupt): it must stop on SIGINT and on SIGTERM all the
    same, shutting down as on Ctrl-C (exit 0), where it used to serve on."""
    import signal
    import subprocess
    import sys
    port = free_port()
    process = subprocess.Popen([sys.executable, "run.py", "serve", "--port", str(port),
                                "--threads", "2"],
                               cwd=str(ROOT), env=run_env, stderr=subprocess.PIPE, text=True,
                               start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        wait_for_port(port, process)
    finally:
        signal_server(process, getattr(signal, stop), group=False)
        stderr = stopped_output(process)
    assert process.returncode == 0, stderr


@pytest.mark.slow
def test_serve_command_refuses_bad_usage(run_env):
    import subprocess
    import sys
    answer = subprocess.run([sys.executable, "run.py", "serve", "--port", "99999"], cwd=str(ROOT),
                            env=run_env, capture_output=True, text=True, timeout=60,
                            check=False)
    assert answer.returncode == 2 and "--port" in answer.stderr


@pytest.mark.slow
def test_serve_processes_die_with_their_parent_and_free_the_port(web_site, run_env):
    import contextlib
    import signal
    import subprocess
    import sys
    port = free_port()
    command = [sys.executable, "run.py", "serve", "--port", str(port), "--threads", "2",
               "--processes", "2"]
    process = subprocess.Popen(command, cwd=str(ROOT), env=run_env, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        wait_for_port(port, process)
        listing = Path(f"/proc/{process.pid}/task/{process.pid}/children")
        deadline = time.monotonic() + 10
        while len(listing.read_text().split()) < 2:       # the socket is bound before the forks
            assert time.monotonic() < deadline
            time.sleep(0.05)
        children = listing.read_text().split()
        process.kill()                                 # SIGKILL: the parent cannot clean up
        process.wait(10)
        deadline = time.monotonic() + 10
        while any(Path(f"/proc/{pid}").exists() and "Z" not in
                  Path(f"/proc/{pid}/stat").read_text().split()[2] for pid in children):
            assert time.monotonic() < deadline, "a server process outlived its parent"
            time.sleep(0.1)
        again = subprocess.Popen(command, cwd=str(ROOT), env=run_env, stderr=subprocess.PIPE,
                                 text=True, start_new_session=True)
        try:
            wait_for_port(port, again)                 # no "Address already in use"
        finally:
            signal_server(again, signal.SIGINT)
            stopped_output(again)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


@pytest.mark.slow
def test_a_killed_server_leaves_no_lazy_step_running(web_site, run_env):
    """A lazy step runs in a child of multiprocessing's forkserver, so PR_SET_PDEATHSIG tied it
    to the forkserver, not to the server that watches it; and the forkserver outlives the
    server as long as a step does (each child holds the pipe whose end it waits for). A
    SIGKILLed server left its step running unwatched past its timeout, writing to the site,
    with the forkserver and the server's stderr (a terminal, the journal) held open."""
    import http.client
    import subprocess
    import sys
    task = make_task(web_site, target=10, delay=3600)        # its step sleeps before each save
    web_site.modules.get("Tasker").activate_task(task)
    port = free_port()
    process = subprocess.Popen([sys.executable, "run.py", "serve", "--port", str(port),
                                "--threads", "2"],
                               cwd=str(ROOT), env=run_env, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        wait_for_port(port, process)
        deadline = time.monotonic() + 30
        while not [step for helper in children_of(process.pid) for step in children_of(helper)]:
            assert time.monotonic() < deadline, "no lazy step began"
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/")                 # a response signals the lazy runner
            connection.getresponse().read()
            connection.close()
            time.sleep(0.5)
    finally:
        process.kill()                  # SIGKILL: the server cannot stop its step itself
        stopped_output(process, timeout=15)     # nothing it started holds its stderr any more


def children_of(pid: int) -> list[int]:
    """The processes `pid` started, from any of its threads."""
    children = []
    for thread in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(child) for child in (thread / "children").read_text().split()]
        except OSError:                 # the thread ended
            pass
    return children


def test_a_stop_that_comes_as_soon_as_the_port_answers_is_not_lost(web_site, db_url, tmp_path):
    """A server group handles SIGINT from the moment its port is bound, even where SIGINT came
    ignored (a script's background command): a stop before run() forks no process, and run()
    returns at once. (Before, a SIGINT between the bind and run() was dropped and the group
    served on.)"""
    import signal

    import cms
    from cms.web.server import ServerGroup
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        group = ServerGroup(lambda: cms.boot(db_url, site_dir=tmp_path), "127.0.0.1", 0,
                            threads=2, processes=2)
        os.kill(os.getpid(), signal.SIGINT)
        started = time.monotonic()
        group.run()
        assert time.monotonic() - started < 5 and not group.children
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN      # put back as it was
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_stop_handled_as_a_process_is_forked_forks_none(web_site, db_url, tmp_path, monkeypatch):
    """Python runs a signal's handler at the next bytecode, which can come after run() saw no
    stop and before _fork blocks the signals: the group forked that process all the same. It
    had missed the Ctrl-C (it was not yet in the process group) and the stop's SIGTERM (it was
    not yet recorded), and served on until the parent killed it STOP_GRACE (20 s) later."""
    import signal

    import cms
    from cms.web import server
    group = server.ServerGroup(lambda: cms.boot(db_url, site_dir=tmp_path), "127.0.0.1", 0,
                               threads=2, processes=1)
    block = signal.pthread_sigmask

    def handled_at_the_block(how, mask):
        if how == signal.SIG_BLOCK:
            group.stop()                # what the SIGINT handler does when it runs here
        return block(how, mask)

    forked = []
    fork = os.fork

    def recorded_fork():
        pid = fork()
        forked.append(pid)
        return pid

    monkeypatch.setattr(signal, "pthread_sigmask", handled_at_the_block)
    monkeypatch.setattr(os, "fork", recorded_fork)
    monkeypatch.setattr(server, "STOP_GRACE", 0.5)     # a process forked all the same goes soon
    group.run()
    assert forked == []


def test_a_second_stop_signal_while_a_server_process_stops_is_not_reported(monkeypatch):
    """Ctrl-C reaches every process of a group, and the parent then sends each its SIGTERM:
    where both came before a process handled the first, Python printed a traceback ending in
    "OSError: Signal 15 ignored due to race condition" on the terminal, one per process."""
    import signal
    import sys
    import threading

    from cms.web.server import STOP_SIGNALS, _interrupt_once
    reported = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)
    previous = {number: signal.signal(number, _interrupt_once) for number in STOP_SIGNALS}
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        # sent to this thread: a signal sent to the process goes to any thread that does not
        # block it (the test run has others), and its handler would run here at once
        signal.pthread_kill(threading.get_ident(), signal.SIGINT)
        signal.pthread_kill(threading.get_ident(), signal.SIGTERM)
        with pytest.raises(KeyboardInterrupt):
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)      # both come through
        time.sleep(0.01)                # the second one's turn
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        for number, handler in previous.items():
            signal.signal(number, handler)
    assert [str(report.exc_value) for report in reported] == []


def test_a_task_row_names_its_problems_only(web_site, admin):
    """Every row said "(100% No error(s))" beside a bar showing the 100%."""
    from cms.web.task_view import TaskRow
    row = TaskRow(1, None, "t", 1, False, 35, "active", "active", "", [], None, None, None)
    for summary, shown in (("35% No error(s)", ""), ("No error(s)", ""),
                           ("35% 2 error(s)", "2 error(s)"),
                           ("35% No error(s) 1 warning(s)", "1 warning(s)"),
                           ("1 error(s) 3 warning(s)", "1 error(s) 3 warning(s)")):
        assert row._replace(summary=summary).problems == shown, summary
    task = make_task(web_site, say="hello")
    listed = admin.get("/admin/tasks/").text
    assert f'data-task-id="{task.id}"' in listed and "No error(s)" not in listed


def test_create_refuses_a_module_not_installed_and_task_data_nested_too_deep(web_site, admin):
    """A step of a module the superuser had uninstalled installed it again; a task_data a
    thousand levels deep was a 500."""
    if web_site.modules.is_installed("WebJobs"):
        web_site.modules.uninstall("WebJobs")
    refused = admin.api("create", module="WebJobs", method="count_to", pageid="1", title="x")
    assert refused.status == 400 and "is not installed" in refused.json()["result"]
    assert not web_site.modules.is_installed("WebJobs")
    web_site.modules.install("WebJobs")
    deep = "[" * 5000 + "]" * 5000
    refused = admin.api("create", module="WebJobs", method="count_to", pageid="1", title="x",
                        task_data='{"a": ' + deep + "}")
    assert refused.status == 400 and "nests too deeply" in refused.json()["result"]


def test_a_text_match_too_long_for_sqlite_is_a_selector_error(web_site, admin):
    answer = admin.get("/admin/find/?" + urlencode({"selector": "title%=" + "x" * 100_000}))
    assert answer.status in (200, 400), answer.text[:500]


def test_a_task_names_the_page_it_works_on_only_to_whoever_may_view_it(web_site, server):
    """A user who only steers tasks read the titles of private pages beside their tasks."""
    web_site.users.add_role("steerer", ["tasker-admin"])
    web_site.users.add("tess", PASSWORD, roles=["steerer"])
    web_site.templates.add("private", fields=["title"]).set_access(view=[], edit=[])
    secret = web_site.pages.add("private", 1, "priv", title="Top secret plans")
    tasker = web_site.modules.get("Tasker")
    hidden = tasker.create_task("WebJobs", "count_to", secret, "Behind the curtain")
    shown = make_task(web_site, title="On the home page")
    steerer = Client(server)
    steerer.login("tess")
    listed = steerer.get("/admin/tasks/").text
    assert "Behind the curtain" in listed and "On the home page" in listed
    assert "Top secret plans" not in listed and "Home" in listed
    detail = steerer.get(f"/admin/tasks/{hidden.id}/").text
    assert "Behind the curtain" in detail and "Top secret plans" not in detail
    assert steerer.get(f"/admin/tasks/{shown.id}/").status == 200
    steerer.close()


@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM"])
def test_one_server_stopped_before_its_loop_runs_stops_cleanly(web_site, db_url, tmp_path, stop):
    """A stop that reached a one-process server after its port was bound but before waitress's
    loop ran (a script that stops the server as soon as the port answers) escaped `serve` as a
    KeyboardInterrupt: the command said "cms: interrupted" and exited 130, not 0, and the
    background runners were left running. Now it shuts down as a stop in the loop does."""
    import signal
    import socket

    import cms
    from cms.web.server import serve
    seen = []

    def stop_now(server) -> None:
        seen.append(server)
        os.kill(os.getpid(), getattr(signal, stop))

    previous = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        serve(lambda: cms.boot(db_url, site_dir=tmp_path), "127.0.0.1", 0, threads=2,
              on_started=stop_now)
    except KeyboardInterrupt:
        pytest.fail("the stop escaped serve() as a KeyboardInterrupt")
    server = seen[0]
    assert not any(runner.running for runner in server.background)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), 0.5).close()
    assert {number: signal.getsignal(number) for number in previous} == previous
