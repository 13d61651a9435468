"""A seventh hostile review, over HTTP as a visitor, an editor and a user who only steers tasks
(after test_security_review_6.py): each test failed before its fix."""
from __future__ import annotations

from webclient import make_task, state_of

from cms.tasker import TaskState


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

