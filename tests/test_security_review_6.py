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


# -- find_many ------------------------------------------------------------------------------------
def members_only(site) -> None:
    """Three pages only members may view, and one everybody may."""
    site.users.add_role("member", ["page-view"])
    site.templates.add("members", fields=["title"])
    site.templates["members"].set_access(view=["member"])
    for i in range(3):
        site.pages.add("members", 1, f"member-{i}", title="For members")
    site.pages.add("basic-page", 1, "open", title="Open")


def test_find_many_finds_for_the_user_it_was_called_for_whoever_iterates_it(site):
    """find_many() gives a PageStream that reads its pages as it is iterated, and its count
    when asked. The user's view access was applied then, for whoever acted at that moment: a
    stream asked for as the guest (in a `with site.as_user("guest")` block a module uses to
    list what visitors may see) and iterated, or counted, after the block listed the members'
    pages too. As a PageArray's total, and as ProcessWire's findMany (which finds its ids at
    the call), it finds for the user it was called for; `iter_ids` alike."""
    members_only(site)
    with site.as_user("guest"):
        stream = site.pages.find_many("title=For members|Open, sort=name")
        ids = site.selectors.iter_ids("title=For members|Open, sort=name")
    assert [p.name for p in stream] == ["open"]
    assert len(stream) == 1 and stream.total == 1
    assert len(list(ids)) == 1
    # and the other way: found with every right, it is not narrowed by a later user
    everything = site.pages.find_many("title=For members|Open")
    with site.as_user("guest"):
        assert everything.total == 4 and len(list(everything)) == 4


# -- what a typed selector leaves behind ------------------------------------------------------------
def test_long_selectors_typed_in_find_are_not_kept_by_the_server(site, admin_server):
    """The selector engine keeps each selector text it has read (its syntax tree, its plan and
    SQL) for the next find of the same text, up to 4,096 of them per server thread. Find
    takes whatever selector an editor types, up to the size of a URL (256 KB): each distinct
    long OR list (`title=a|b|...`, refused or not) stayed in memory, some 20 MB each, so an
    editor's script grew the server by hundreds of MB a minute until it was killed. A long
    selector (and a statement of more than 20,000 characters) is read anew each time, and the
    server keeps nothing of it."""
    import tracemalloc
    import urllib.parse

    from webclient import PASSWORD, Client

    site.users.add_role("editor", ["page-edit"])
    site.users.add("ed", PASSWORD, roles=["editor"])
    editor = Client(admin_server)
    editor.login("ed")
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        # found (each of its own length: its own SQL), then refused
        for attempt, count in enumerate((8_000, 8_001, 8_002, 12_000, 12_000)):
            values = "|".join(f"word{i % 10}" for i in range(count))
            answer = editor.get(f"/admin/find/?selector={quote(f'title={values}, name=n{attempt}')}")
            assert answer.status == (200 if count < 10_000 else 400), answer
        urllib.parse.clear_cache()        # urlsplit keeps the last 128 URLs it split (bounded)
        # what stays is each server thread's last request (bounded by the threads)
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
        editor.close()
    assert kept < 5_000_000, f"the server kept {kept:,} bytes for five selectors"
