"""A sixth hostile review, of the task list's poll, Find, the login and the task API over HTTP
(after test_security_review_5.py): each test failed before its fix."""
from __future__ import annotations

from urllib.parse import quote

from webclient import make_task, state_of

from cms.tasker import TaskState


# -- URLs a client sends that urlsplit refuses ----------------------------------------------------
def test_a_list_url_the_poll_cannot_split_is_refused_as_a_bad_request(site, superuser):
    """The task list's poll reads the list's URL the page sends (`list=`). urlsplit raises
    ValueError for a host holding a `[` it cannot read as an IPv6 address (`http://[x/`), and
    the poll answered 500 ("the server failed"), with a traceback in the server's log, for
    anyone who sends it. It is the client's mistake: a 400 saying what `list` must be."""
    task = make_task(site, "Listed")
    for listed in ("http://[x/", "//[/admin/tasks/"):
        answer = superuser.get(f"/admin/tasks/statuses?ids={task.id}&counts=1&list={quote(listed, safe='')}")
        assert answer.status == 400, answer
        assert answer.json()["status"] is False
        assert "list" in answer.json()["result"] and "task list's URL" in answer.json()["result"]


def test_an_action_sent_from_a_page_whose_address_cannot_be_split_is_done(site, superuser):
    """An action without the admin's script goes back to the page it came from (its `back`
    field, else the Referer). A Referer (or `back`) urlsplit cannot read (`http://[x/`)
    answered 500 and the action was not done; it is done, and the browser goes to the task
    list."""
    task = make_task(site, "Suspended from nowhere")
    site.modules.get("Tasker").activate_task(task)
    for sent in ({"headers": {"Referer": "http://[x/admin/tasks/"}}, {"back": "http://[x/"}):
        form = {"cmd": "suspend", "csrf_token": superuser.token(), **{k: v for k, v in sent.items()
                                                                     if k == "back"}}
        answer = superuser.post(f"/admin/tasks/{task.id}/action", form, headers=sent.get("headers"))
        assert answer.status == 303, answer
        assert answer.location == "/admin/tasks/"
        assert state_of(site, task) == int(TaskState.WAITING)
        site.modules.get("Tasker").activate_task(task)
