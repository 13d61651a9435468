"""A fourth hostile review, over HTTP and the server's threads (after test_security_findings.py,
test_security_findings2.py and test_security_review_3.py): each test failed before its fix."""
from __future__ import annotations

import html
import io
import re
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

from test_security_findings2 import news_with_a_private_page
from webclient import PASSWORD, Client, prepare_site

import cms
from cms.web.app import Web
from cms.web.sessions import COOKIE_NAME


class Answer:
    """What the application answered one WSGI call: status, headers, text, cookies set."""

    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes):
        self.status = int(status.split()[0])
        self.headers = dict(headers)
        self.text = body.decode()
        self.cookies = dict(value.split(";", 1)[0].split("=", 1)
                            for name, value in headers if name == "Set-Cookie")


def call(web: Web, method: str, path: str, cookie: str = "", form: dict | None = None) -> Answer:
    """One request handed to the application in the calling thread, as a server thread hands
    it: the thread's own site answers (SitePool keeps one per thread)."""
    body = urlencode(form or {}).encode()
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "HTTP_COOKIE": cookie,
               "CONTENT_TYPE": "application/x-www-form-urlencoded",
               "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body),
               "REMOTE_ADDR": "127.0.0.1"}
    setup_testing_defaults(environ)
    started = {}

    def start_response(status, headers, exc_info=None):
        started.update(status=status, headers=headers)

    chunks = b"".join(web(environ, start_response))
    return Answer(started["status"], started["headers"], chunks)


def token_in(answer: Answer) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', answer.text).group(1)


# -- sessions -----------------------------------------------------------------------------------
def test_a_logout_is_refused_at_once_by_every_thread_of_the_server_that_served_it(site, db_url,
                                                                                   tmp_path):
    """A logout ends the session's row, and the server that served it was to refuse the
    session at once (README, Security notes), other servers within two seconds. But each
    server thread keeps its own site, and the logout forgot the session only in the cache of
    the thread that served it: for two seconds every other thread of the same server still
    let a copy of the cookie in, to read and to save (a stolen cookie outlived the logout
    its owner made to end it). Every thread refuses it once the logout has answered."""
    prepare_site(site, tmp_path)
    web = Web(lambda: cms.boot(db_url, site_dir=tmp_path))
    other_thread = ThreadPoolExecutor(max_workers=1)
    try:
        form = call(web, "GET", "/admin/login")
        guest = f"{COOKIE_NAME}={form.cookies[COOKIE_NAME]}"
        logged_in = call(web, "POST", "/admin/login", guest,
                         {"username": "admin", "password": PASSWORD,
                          "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"',
                                                  form.text).group(1)})
        assert logged_in.status == 303
        copied = f"{COOKIE_NAME}={logged_in.cookies[COOKIE_NAME]}"
        assert other_thread.submit(call, web, "GET", "/admin/", copied).result().status == 200
        token = token_in(call(web, "GET", "/admin/", copied))
        assert call(web, "POST", "/admin/logout", copied, {"csrf_token": token}).status == 303
        assert call(web, "GET", "/admin/", copied).status == 303        # this thread: refused
        elsewhere = other_thread.submit(call, web, "GET", "/admin/", copied).result()
        assert elsewhere.status == 303 and elsewhere.headers["Location"].startswith("/admin/login")
        saved = other_thread.submit(call, web, "POST", "/admin/page/27/edit", copied,
                                    {"csrf_token": token, "title": "Taken over"}).result()
        assert saved.status == 403 and 'class="login-form"' in saved.text     # log in first
        assert site.pages.get(27).title != "Taken over"
    finally:
        other_thread.shutdown()
        web.pool.close_all()


# -- the page tree ------------------------------------------------------------------------------
def test_the_tree_does_not_tell_where_a_page_the_user_may_not_view_is(site, admin_server):
    """`/admin/?open=<id>` opens the tree at a page: it listed the ids of the page's parents
    in `data-open`, for any id, so an editor who named the id of a private page read which
    page it sits under (`open=<a user's id>` gave 2,28,29: the admin's users), as the move
    picker's `pick=` did before. Trash redirected to `?open=<parent id>` of a page the user
    may not trash or view, telling its parent in the Location. A page the user may not view
    is opened nowhere, and its refused trash goes back to the tree's top. (ProcessWire's
    ProcessPageList opens `open=` at any page id, its parents too, as its source reads: a
    difference kept, as for `pick=`.)"""
    news, secret = news_with_a_private_page(site)
    admin = site.users.get("admin")
    editor = Client(admin_server)
    editor.login("ed")
    for page in (secret, admin):
        tree = editor.get(f"/admin/?open={page.id}")
        assert tree.status == 200
        assert 'data-open=""' in tree.text, re.findall(r'data-open="[^"]*"', tree.text)
    refused = editor.post(f"/admin/page/{secret.id}/trash", {"csrf_token": editor.token()})
    assert refused.status == 303 and refused.location == "/admin/", refused.location
    assert site.pages.get(secret.id).parent_id == news.id
    kept = editor.get(f"/admin/?open={news.id}")                     # a page ed may view opens
    assert f'data-open="{news.id}"' in kept.text
    editor.close()


# -- the page editor ----------------------------------------------------------------------------
def test_a_page_field_takes_no_more_pages_from_the_form_than_a_form_has_fields(site, admin_server):
    """A Page field's input holds ids and paths separated by commas. The editor looked each
    one up on its own, three times over (is it a page the user may view, what does it name,
    is it of the field's template): 80 µs apiece, so one request of 8 MiB of `1,` (the body
    limit), from anyone who may edit one page, held a server thread for minutes, where a form
    of more than 10,000 fields is refused before it is read. The input names at most as many
    pages as a form may send fields, and says so beside the field; nothing is saved."""
    role = site.users.add_role("editor", ["page-edit"])
    site.users.add("ed", PASSWORD, roles=["editor"])
    site.templates.add("section", fields=["title"])
    site.templates["section"].set_access(view=["guest"], edit=[role])
    site.fields.add("related", "Page", label="Related", multiple=True)
    site.templates["section"].add_field("related")
    news = site.pages.add("section", 1, "news", title="News")
    editor = Client(admin_server)
    editor.login("ed")
    token = editor.token()
    for separator in (",", "|"):
        answer = editor.post(f"/admin/page/{news.id}/edit", {
            "csrf_token": token, "title": "News", "related": separator.join(["/news/"] * 10_001)})
        assert answer.status == 400, answer
        told = html.unescape(answer.text.split('id="field-related"', 1)[1].split("</div>", 1)[0])
        assert "names more than 10,000 pages; the editor takes at most 10,000" in told, told
    assert not site.pages.get(news.id).get("related")
    saved = editor.post(f"/admin/page/{news.id}/edit", {"csrf_token": token, "title": "News",
                                                         "related": "/news/, 1"})
    assert saved.status == 303, saved
    assert site.pages.get(news.id).get("related").ids() == [news.id, 1]
    editor.close()


# -- numbers in the query -----------------------------------------------------------------------
def test_a_number_parameter_of_two_minus_signs_is_no_number(site, admin_server):
    """`start=`, `open=`, `pick=`, `page=` and `per=` are read as whole numbers, and anything
    else gives the default; `--1` passed the check (the minus signs stripped, then digits)
    and int() raised on it: the tree, its children, Find, the trash, the task list and the
    user list answered 500 and wrote a traceback to the server's log, for every request any
    logged-in user sent (someone who only steers tasks too), as fast as they could send them.
    Such a value is no number, and the default is taken."""
    site.users.add_role("steerer", ["tasker-admin"])
    site.users.add("tk", PASSWORD, roles=["steerer"])
    admin, steerer = Client(admin_server), Client(admin_server)
    admin.login()
    steerer.login("tk")
    for path in ("/admin/?open=--5", "/admin/page/1/children?start=--5",
                 "/admin/page/1/children?page=--1", "/admin/page/1/children?pick=--5",
                 "/admin/find/?selector=id%3E0&per=--5&start=--1", "/admin/trash/?start=--1",
                 "/admin/tasks/?start=--1", "/admin/access/users/?start=--1"):
        answer = admin.get(path)
        assert answer.status == 200, (path, answer.status)
    assert steerer.get("/admin/tasks/?start=--1").status == 200
    tree = admin.get("/admin/?open=-5")                 # one sign, below the bounds: none
    assert tree.status == 200 and 'data-open=""' in tree.text
    admin.close()
    steerer.close()
