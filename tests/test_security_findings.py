"""A hostile review's findings over HTTP: each test failed before its fix."""
from __future__ import annotations

import html

import pytest
from webclient import PASSWORD, Client

from cms.page import Page


@pytest.fixture
def editor(site, admin_server):
    """A client logged in as `ed`, whose role edits the pages of template `section` only
    (the rest of the site is the home template's, which gives editors nothing)."""
    role = site.users.add_role("editor", ["page-edit", "page-delete", "page-add", "page-create"])
    site.users.add("ed", PASSWORD, roles=["editor"])
    site.templates.add("section", fields=["title"])
    site.templates["section"].set_access(view=["guest"], edit=[role], add=[role], create=[role])
    client = Client(admin_server)
    client.login("ed")
    yield client
    client.close()


def shown(answer, client):
    """What a refusal tells the user: the answer's text, or the page its redirect shows."""
    text = client.get(answer.location).text if answer.status == 303 else answer.text
    return html.unescape(text)


def test_refusals_do_not_name_pages_the_user_may_not_view(site, editor):
    """The admin's refusals named a page by its path or title whatever the user might see:
    an editor read every login name by asking to move or add under page ids 1, 2, 3 ...
    (`you may not move /admin/access/users/admin/`), and the paths and titles of unpublished
    and trashed pages the same way. Such a page is named by its id, as everywhere else."""
    news = site.pages.add("section", 1, "news", title="News")
    site.fields.add("related", "Page", label="Related", multiple=True, template="section")
    site.templates["section"].add_field("related")
    draft = site.pages.add("basic-page", 1, "layoffs-plan", title="Layoffs plan",
                           status=Page.STATUS_ON | Page.STATUS_UNPUBLISHED)
    trashed = site.pages.add("basic-page", 1, "old-secrets", title="Old secrets")
    below = site.pages.add("basic-page", trashed, "names-list", title="Names list")
    site.pages.trash(trashed)
    admin = site.users.get("admin")
    token = editor.token()
    answers = [
        editor.get(f"/admin/page/{admin.id}/move"),
        editor.post(f"/admin/page/{admin.id}/move", {"csrf_token": token, "parent": "1"}),
        editor.get(f"/admin/page/add?parent={draft.id}"),
        editor.post(f"/admin/page/add?parent={draft.id}", {"csrf_token": token,
                                                            "template": "section", "title": "X"}),
        editor.post(f"/admin/page/{news.id}/edit", {"csrf_token": token, "title": "News",
                                                     "related": str(draft.id)}),
        editor.post(f"/admin/page/{below.id}/trash", {"csrf_token": token, "confirmed": "1"}),
        editor.post(f"/admin/page/{below.id}/restore", {"csrf_token": token}),
    ]
    for answer in answers:
        told = shown(answer, editor)
        assert answer.status in (303, 400, 403), answer
        for secret in ("/admin/access/users/admin/", "layoffs-plan", "Layoffs plan",
                       "old-secrets", "names-list", "Names list"):
            assert secret not in told, (secret, told[told.find(secret) - 200:][:400])
    assert "Moved" not in shown(answers[5], editor)         # nothing was moved: it said so
    assert site.pages.get(below.id).parent_id == trashed.id


def field_error(answer, name):
    """The error shown beside one input of the page editor."""
    return html.unescape(answer.text.split(f'id="field-{name}"', 1)[1].split("</div>", 1)[0])


def test_a_page_field_does_not_tell_which_private_paths_exist(site, editor):
    """A path typed into a Page field that named a page the user may not view was refused
    naming its id (`names a page that does not exist: 48`), one that named nothing as typed:
    typing `/admin/access/users/<guess>/` told whether the user exists, and its id. Both are
    refused alike now."""
    news = site.pages.add("section", 1, "news", title="News")
    site.fields.add("related", "Page", label="Related", multiple=True)
    site.templates["section"].add_field("related")
    token = editor.token()
    said = {}
    for guess in ("admin", "nobody-here"):
        typed = f"/admin/access/users/{guess}/"
        answer = editor.post(f"/admin/page/{news.id}/edit", {"csrf_token": token, "title": "News",
                                                             "related": typed})
        assert answer.status == 400
        said[guess] = field_error(answer, "related").replace(typed, "TYPED")
    assert said["admin"] == said["nobody-here"]
    assert str(site.users.get("admin").id) not in said["admin"]
    assert not site.pages.get(news.id).get("related")


def test_a_task_page_does_not_show_the_path_of_a_page_its_user_may_not_view(site, admin_server):
    """The task page hides the page a task works on from a user who may not view it ("Works
    on: –"), but showed the task's public URL, which is that page's path and more: someone who
    only steers tasks read `/secret-project/` there."""
    site.users.add_role("steerer", ["tasker-admin"])
    site.users.add("tk", PASSWORD, roles=["steerer"])
    site.templates.add("private", fields=["title"])
    site.templates["private"].set_access(view=[], edit=[])        # superusers only
    secret = site.pages.add("private", 1, "secret-project", title="Secret project")
    task = site.modules.get("Tasker").create_task("WebJobs", "count_to", secret, "Reindex")
    steerer = Client(admin_server)
    steerer.login("tk")
    for path in (f"/admin/tasks/{task.id}/", f"/admin/tasks/{task.id}/panel",
                 "/admin/tasks/", f"/admin/tasks/api?id={task.id}&cmd=status"):
        answer = steerer.get(path)
        assert answer.status == 200, path
        assert "secret-project" not in answer.text, (path, answer.text)
    steerer.close()


def test_the_task_monitor_does_not_name_a_draft_its_user_may_not_view(site, admin_server):
    """An unpublished page is viewable only by those who may edit it, but the task monitor
    named the page a task works on to whoever may view its template (a find's include=
    unpublished): someone who only steers tasks read a draft's title and path there."""
    site.users.add_role("steerer", ["tasker-admin"])
    site.users.add("tk", PASSWORD, roles=["steerer"])
    draft = site.pages.add("basic-page", 1, "secret-project", title="Secret project",
                           status=Page.STATUS_ON | Page.STATUS_UNPUBLISHED)
    task = site.modules.get("Tasker").create_task("WebJobs", "count_to", draft, "Reindex")
    steerer = Client(admin_server)
    steerer.login("tk")
    for path in (f"/admin/tasks/{task.id}/", f"/admin/tasks/{task.id}/panel", "/admin/tasks/"):
        answer = steerer.get(path)
        assert answer.status == 200, path
        assert "secret-project" not in answer.text and "Secret project" not in answer.text, path
    steerer.close()


def test_the_task_api_does_not_tell_the_server_s_folders(site, admin_server, tmp_path):
    """`create` with an unknown module answered ModuleError's words for the site's owner
    ("looked in: /srv/site/modules; entry points ..."): anyone who steers tasks read where the
    site lives on the server."""
    site.users.add_role("steerer", ["tasker-admin"])
    site.users.add("tk", PASSWORD, roles=["steerer"])
    steerer = Client(admin_server)
    steerer.login("tk")
    answer = steerer.api("create", module="NoSuchModule", method="run", pageid="1", title="x")
    assert answer.status == 400 and "NoSuchModule" in answer.json()["result"]
    assert str(tmp_path) not in answer.text
    steerer.close()
