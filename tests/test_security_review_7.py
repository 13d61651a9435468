"""A seventh hostile review, over HTTP as a visitor, an editor and a user who only steers tasks
(after test_security_review_6.py): each test failed before its fix."""
from __future__ import annotations

from webclient import PASSWORD, Client, make_task, state_of

from cms.errors import PageError
from cms.tasker import TaskState


def editor(site, server) -> Client:
    """A client logged in as `ed`, whose role edits, adds, sorts and moves pages under home."""
    site.users.add_role("editor", ["page-edit", "page-add", "page-create", "page-sort", "page-move"])
    site.templates["home"].set_access(view=["guest"], edit=["editor"], add=["editor"],
                                      create=["editor"])
    site.users.add("ed", PASSWORD, roles=["editor"])
    client = Client(server)
    client.login("ed")
    return client


# -- where an action without a script goes back to ---------------------------------------------
def test_an_action_whose_back_url_holds_a_control_character_is_done_and_goes_to_the_list(
        site, superuser):
    """An action without the admin's script goes back to its form's `back` (a task list's
    URL). One holding a NUL (`/admin/tasks/%00`, or any control character) made bottle refuse
    the Location header: the action was done, but the answer was a 500 with a traceback in
    the server's log. Such a URL is no page of the list: the browser goes to the task list,
    as the login's `next=` is refused for a control character."""
    task = make_task(site, "Suspended with a NUL")
    site.modules.get("Tasker").activate_task(task)
    for back in ("/admin/tasks/\x00", "/admin/tasks/?q=a\x01b", "/admin/tasks/\x7f"):
        answer = superuser.post(f"/admin/tasks/{task.id}/action",
                                {"cmd": "suspend", "csrf_token": superuser.token(), "back": back})
        assert answer.status == 303, answer
        assert answer.location == "/admin/tasks/"
        assert state_of(site, task) == int(TaskState.WAITING)
        site.modules.get("Tasker").activate_task(task)


# -- the tree's drag and drop --------------------------------------------------------------------
def test_a_reorder_naming_more_ids_than_sqlite_binds_is_refused_as_naming_no_child(
        site, admin_server):
    """The tree's drag and drop posts the ids of the children in their new order, and
    Pages.reorder read their sort values in one statement binding every id. An editor's
    form of 300,000 ids (2.4 MB, under the 8 MiB a body may be) passed the 250,000 values a
    SQLite statement binds ("too many SQL variables"): a 500 and a traceback, for anyone who
    may sort a page's children. Such a list names pages that are no children of the page,
    and is refused so, as a short one is; the API refuses it alike."""
    ed = editor(site, admin_server)
    child = site.pages.add("basic-page", 1, "child", title="Child")
    many = [child.id, *range(10 ** 6, 10 ** 6 + 300_000)]
    try:
        site.pages.reorder(1, many)
        raise AssertionError("a reorder naming pages that are no children was taken")
    except PageError as exc:
        assert "is not a child of page 1" in str(exc)
    answer = ed.post("/admin/page/1/sort", {"csrf_token": ed.token(), "order": ",".join(map(str, many))},
                     headers={"X-Requested-With": "fetch"})
    assert answer.status == 400, answer
    assert answer.json() == {"status": False,
                             "message": f"page {10 ** 6} is not a child of page 1; only siblings "
                                        "can be reordered"}
    ed.close()
