"""A fourth walk through the admin as its users meet it in a real Chromium (an editor and a
superuser; pages, Setup, Access, the task screens; at 375 px and by the keyboard alone): what
was broken or confusing. The tests that need a browser are marked `browser` and share
test_browser.py's fixtures (no script error allowed on any page they open); run them with
`python -m pytest -m browser`. The others talk HTTP to a real server, as tests/test_admin_*.py do."""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote, urlencode

import pytest
import test_browser as shared
from webclient import PASSWORD, Client, make_task

# test_browser.py's fixtures (a logged-out tab on a running server), found here by their names
browser, web_site, server, page = shared.browser, shared.web_site, shared.server, shared.page
log_in = shared.log_in


def delete_section(html: str) -> str:
    """What the Setup editor shows under its "Delete" heading, tags dropped."""
    part = html.split("<h2>Delete</h2>", 1)[1].split("</main>", 1)[0]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", part)).split())


@pytest.mark.parametrize("kind, name, reason", [
    ("fields", "body", "used by template(s) basic-page; remove it from them first"),
    ("fields", "title", "is a system field"),
    ("fields", "email", "used by template(s) user"),
    ("templates", "basic-page", "used by 2 page(s); delete or change them first"),
    ("templates", "user", "is a system template"),
    ("templates", "tasker-task", "is a system template"),
    ("templates", "chapter", "template 'book' names 'chapter' in its family settings"),
])
def test_setup_offers_no_delete_that_the_server_refuses_and_says_why(site, superuser, kind, name, reason):
    """A field a template uses, the system's own fields and templates, a template pages use
    or another template names as allowed child: each editor showed "Delete the field body"
    (with a note beside it for two of them), and the press only brought the refusal back.
    As ProcessWire's field and template editors, it now says why it may not be deleted and
    offers no button; one that may be deleted keeps it."""
    site.fields.add("body", "Textarea")
    site.templates["basic-page"].add_field("body")
    site.pages.add("basic-page", 1, "about", title="About")
    site.templates.add("chapter")
    site.templates.add("book").set_settings(child_templates=["chapter"])
    shown = superuser.get(f"/admin/setup/{kind}/{name}/edit")
    assert shown.status == 200
    assert f"/admin/setup/{kind}/{name}/delete" not in shown.text
    assert reason in delete_section(shown.text)


def test_setup_still_offers_delete_for_a_field_or_template_nothing_holds(site, superuser):
    site.fields.add("spare", "Text")
    site.templates.add("unused")
    for kind, name in (("fields", "spare"), ("templates", "unused")):
        shown = superuser.get(f"/admin/setup/{kind}/{name}/edit")
        assert f'action="/admin/setup/{kind}/{name}/delete"' in shown.text


@pytest.mark.browser
def test_the_task_list_shows_the_tasks_that_come_into_it_after_it_was_opened(web_site, page):
    """The rows' bars and states were live, but a task created (or one entering the list's
    filter: activated elsewhere on "active") after the list was opened never showed until a
    reload, and a list that opened empty ("No tasks in this state") did not poll at all. The
    list's poll now asks for the tasks of its page in the list's own order, and the rows it
    lacks come in at their place, counted in their state."""
    tasker = web_site.modules.get("Tasker")
    make_task(web_site, "Old count", target=1)
    log_in(page)
    page.goto(page.base + "/admin/tasks/")
    titles = page.locator("#task-list .task-title")
    assert titles.all_inner_texts() == ["Old count"]
    first = make_task(web_site, "First new", target=2)
    second = make_task(web_site, "Second new", target=3)
    page.locator(f'#task-list tr[data-task-id="{second.id}"]').wait_for(timeout=5000)
    assert titles.all_inner_texts() == ["Second new", "First new", "Old count"]   # newest first
    count = page.locator('.filters [data-count-state="all"]')
    assert count.inner_text() == "3"
    assert page.locator(".pager .range").inner_text() == "1–3 of 3"
    assert "Second new" in page.locator("#tasks-announce").inner_text()
    # a filtered list that opened empty: the task activated elsewhere comes in, a new
    # waiting one does not
    page.goto(page.base + "/admin/tasks/?state=active")
    none = page.locator("#tasks-none")
    assert none.is_visible()
    tasker.activate_task(first)
    make_task(web_site, "Third, waiting", target=4)
    page.locator(f'#task-list tr[data-task-id="{first.id}"]').wait_for(timeout=5000)
    assert titles.all_inner_texts() == ["First new"]
    assert not none.is_visible()
    assert page.locator('.filters [data-count-state="1"]').inner_text() == "1"


def test_the_task_list_s_poll_names_the_rows_its_page_lacks(site, superuser):
    """`/admin/tasks/statuses` with the list's URL (`list=`) answers the ids of that page of
    the list in its order and the table rows of those not among `ids`, rendered as the list
    renders them; none when the list shows them all."""
    tasker = site.modules.get("Tasker")
    shown = make_task(site, "Shown", target=1)
    waiting = make_task(site, "Waiting", target=2)
    active = make_task(site, "Active", target=3)
    tasker.activate_task(active)
    waiting_list = quote("/admin/tasks/?state=waiting", safe="")
    answer = superuser.get(f"/admin/tasks/statuses?ids={shown.id}&list={waiting_list}").json()
    assert answer["order"] == [waiting.id, shown.id]                 # newest first, waiting only
    assert re.findall(r'<tr data-task-id="(\d+)"', answer["rows"]) == [str(waiting.id)]
    assert f'href="/admin/tasks/{waiting.id}/">Waiting</a>' in answer["rows"]
    assert list(answer["tasks"]) == [str(shown.id)]
    empty = superuser.get("/admin/tasks/statuses?ids=&list=%2Fadmin%2Ftasks%2F%3Fstate%3Dfailed").json()
    assert empty["order"] == [] and empty["rows"] == "" and empty["tasks"] == {}
    both = superuser.get(f"/admin/tasks/statuses?ids={shown.id},{waiting.id},{active.id}"
                         "&list=%2Fadmin%2Ftasks%2F").json()
    assert both["rows"] == "" and both["order"] == [active.id, waiting.id, shown.id]
    assert superuser.get("/admin/tasks/statuses?ids=").status == 400   # no list: ids are needed


def control_names(snapshot: str) -> list[str]:
    """The accessible names of the links and buttons in a Playwright ARIA snapshot."""
    return re.findall(r'^\s*- (?:link|button) "(.*?)"', snapshot, re.MULTILINE)


def names_read_alike(snapshot: str) -> list[str]:
    """The names a screen reader's list of links and buttons reads for different things: a
    button's name met twice, or a link's leading to two places (two "Home" links to the same
    page are one thing)."""
    targets: dict[str, set[str]] = {}
    for n, (kind, name, url) in enumerate(re.findall(
            r'^\s*- (link|button) "(.*?)"(?:.*\n\s*- /url: (.*))?', snapshot, re.MULTILINE)):
        targets.setdefault(name, set()).add(url if kind == "link" else f"button {n}")
    return sorted(name for name, where in targets.items() if len(where) > 1)


@pytest.mark.browser
def test_each_tree_row_s_actions_name_their_page_to_a_screen_reader(web_site, page):
    """Every row's actions were read as "View", "Edit", "New", "Move", "Trash" (and
    "Restore", "Unlock", "Task"), the same on every row: a screen reader's list of links
    held a dozen "Edit" with nothing to tell them apart. Each now names its page, as the
    ↑ ↓ buttons and the branch toggles did ("Edit About", "Trash About")."""
    about = web_site.pages.add("basic-page", 1, "about", title="About")
    web_site.pages.add("basic-page", about, "team", title="Team")
    web_site.pages.add("basic-page", 1, "contact", title="Contact")
    old = web_site.pages.add("basic-page", 1, "old", title="Old news")
    old.trash()
    log_in(page)
    page.goto(page.base + "/admin/")
    page.get_by_role("button", name="Children of About").click()
    page.get_by_role("link", name="Team", exact=True).wait_for()
    page.get_by_role("button", name="Children of Trash").click()
    page.get_by_role("link", name="Old news", exact=True).wait_for()
    names = control_names(page.locator("#page-tree").aria_snapshot())
    repeated = sorted({name for name in names if names.count(name) > 1})
    assert not repeated, repeated
    for name in ("View About", "Edit About", "New page under About", "Move About", "Trash About",
                 "Edit Team", "Unlock 404 Not Found", "Restore Old news"):
        assert page.get_by_role("link", name=name, exact=True).or_(
            page.get_by_role("button", name=name, exact=True)).count() == 1, name
    # the page that picks a new parent names the parent each "Move here" moves it under
    page.goto(f"{page.base}/admin/page/{about.id}/move")
    names = control_names(page.locator("#page-tree").aria_snapshot())
    assert "Move here (under Contact)" in names         # the visible words first (label in name)
    assert not sorted({name for name in names if names.count(name) > 1})


def operator_choices(html: str) -> dict[str, str]:
    """Find's Operator menu: each operator and its label."""
    menu = html.split('<select name="op">', 1)[1].split("</select>", 1)[0]
    return {unescape(op): unescape(text).removeprefix(unescape(op) + " ")
            for op, text in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', menu)}


# ProcessWire's labels of its fulltext operators (Selector.php's getLabel(), 3.0.256); each
# matches here as ~|= does (README, Selectors: no engine-neutral fulltext index)
FULLTEXT_LABELS = {"**=": "contains match", "**+=": "contains match expand",
                   "*+=": "contains phrase expand", "~+=": "contains all words expand",
                   "~|+=": "contains any words expand"}


def found_count(client, op: str, value: str) -> int:
    answer = client.get("/admin/find/?" + urlencode({"template": "basic-page", "field": "title",
                                                     "op": op, "value": value, "build": "1"}))
    return int(re.search(r"(\d+) page\(s\) found", answer.text).group(1))


def test_find_s_operators_each_say_what_they_do(site, superuser):
    """Find's Operator menu offered five operators all labelled "any of the words"
    (**=, **+=, *+=, ~+=, ~|=+), beside ~|= "contains any of the words": a user could not
    tell them apart, nor find what ProcessWire's Lister calls them. Each is now labelled by
    ProcessWire's name for it and says that it matches here as ~|= does, which it does; the
    word operators find what their labels say."""
    for name, title in (("apple-pie", "Apple pie"), ("apple", "Apple"), ("pie-crust", "Pie crust"),
                        ("pineapple", "Pineapple"), ("pear", "Pear")):
        site.pages.add("basic-page", 1, name, title=title)
    labels = operator_choices(superuser.get("/admin/find/").text)
    assert len(set(labels.values())) == len(labels), labels
    for op, label in FULLTEXT_LABELS.items():
        assert labels[op].startswith(label) and "as ~|=" in labels[op], (op, labels[op])
        assert found_count(superuser, op, "apple pie") == found_count(superuser, "~|=", "apple pie") == 3
    # what the other word operators' labels say, on the same pages
    assert found_count(superuser, "~=", "pie apple") == 1               # all the words
    assert found_count(superuser, "*=", "apple pie") == 1               # the phrase
    assert found_count(superuser, "~*=", "app pi") == 1                 # words starting with all of
    assert found_count(superuser, "~|*=", "pin pea") == 2               # ... with any of
    assert found_count(superuser, "~~=", "pie cr") == 1                 # all words, the last a prefix
    assert found_count(superuser, "~%=", "ppl") == 3                    # anywhere in a word
    assert found_count(superuser, "~|%=", "crus ineap") == 2


def tree_row(html: str, page_id: int) -> str:
    return html.split(f'id="page-{page_id}"', 1)[1].split('class="tree-row', 1)[0]


def test_an_editor_is_offered_no_sort_of_a_page_they_may_not_edit(site, admin_server):
    """An editor holding page-sort on home saw ↑ ↓ on the locked 404 page (and on a page whose
    template lets them view it, not edit it), and ↓ moved the locked page: ProcessWire's
    sortable() asks editable(), which a lock refuses without page-lock, as here. The rows
    offer ↑ ↓ only on pages the user may edit, and a shift of a locked page is refused."""
    site.users.add_role("editor", ["page-edit", "page-sort"])
    site.users.add("ed", PASSWORD, roles=["editor"])
    site.templates["home"].set_access(view=["guest"], edit=["editor"])
    site.templates.add("notice", fields=["title"]).set_access(view=["guest", "editor"], edit=[])
    mine = site.pages.add("basic-page", 1, "mine", title="Mine")
    kept = site.pages.add("basic-page", 1, "kept", title="Kept")
    kept.add_status(kept.STATUS_LOCKED)
    kept.save()
    notice = site.pages.add("notice", 1, "notice", title="Notice")
    site.pages.add("basic-page", 1, "last", title="Last")
    editor = Client(admin_server)
    editor.login("ed")
    tree = editor.get("/admin/").text
    assert f"/admin/page/{mine.id}/shift" in tree_row(tree, mine.id)
    for refused in (kept, notice):
        row = tree_row(tree, refused.id)
        assert "/shift" not in row and 'draggable="true"' not in tree.split(
            f'id="page-{refused.id}"')[0].rsplit("<li", 1)[1], refused.name
    before = {p.id: p.sort for p in site.pages.find("parent=1, include=all")}
    answer = editor.post(f"/admin/page/{kept.id}/shift", {"csrf_token": editor.token(),
                                                          "direction": "down"})
    assert answer.status == 403
    assert {p.id: p.sort for p in site.pages.find("parent=1, include=all")} == before
    editor.close()


def test_a_refused_save_keeps_naming_the_page_as_stored(site, superuser):
    """A save refused for an empty title came back headed "Edit: about" (the name typed
    below, as the page's title was now empty), in the tab's title too, as though the page
    were another; what was typed stays in the inputs, the heading names the page as stored."""
    edited = site.pages.add("basic-page", 1, "news", title="Ed's News")
    answer = superuser.post(f"/admin/page/{edited.id}/edit", {
        "csrf_token": superuser.token(), "title": "", "name": "renamed", "editor-after": "stay"})
    assert answer.status == 400
    assert "<h1>Edit: Ed&#39;s News</h1>" in answer.text
    assert "<title>Edit Ed&#39;s News" in answer.text
    assert 'name="name" value="renamed"' in answer.text                 # what was typed stays


@pytest.mark.browser
def test_the_task_list_s_and_the_trash_s_actions_name_their_row(web_site, page):
    """As the tree's rows did: each task row's Activate, Run now, Trash, Details ... and
    each trashed page's Restore and Delete read the same on every row, so a screen reader's
    list of buttons held "Trash" once per task with nothing to tell them apart."""
    make_task(web_site, "Import words", target=1)
    make_task(web_site, "Purge words", target=2)
    for name in ("old", "older"):
        web_site.pages.add("basic-page", 1, name, title=name.capitalize()).trash()
    log_in(page)
    for url, box, expected in (("/admin/tasks/", "#task-list", "Run now Purge words"),
                               ("/admin/trash/", "#trash-list", "Restore Older")):
        page.goto(page.base + url)
        snapshot = page.locator(box).aria_snapshot()
        assert expected in control_names(snapshot), snapshot
        assert not names_read_alike(snapshot), (url, names_read_alike(snapshot))


@pytest.mark.browser
def test_a_task_s_steps_and_state_changes_scroll_from_the_keyboard_on_a_phone(web_site, browser, server):
    """At 375 px a task page's Steps and State changes tables are wider than the screen and
    scroll sideways in their own box, but nothing in them takes the focus: a keyboard user
    could not read their last columns (a step's result, a change's note: "killed, reset to
    0% ..."), and axe reports scrollable-region-focusable. Each is now a named region that
    takes the focus, so the arrow keys scroll it, as the task's Data box does."""
    tasker = web_site.modules.get("Tasker")
    task = make_task(web_site, "Count the words of a long title", target=2)
    tasker.activate_task(task)
    tasker.execute_task(task, {"invoker": "cron"})
    context = browser.new_context(viewport={"width": 375, "height": 800})
    phone = context.new_page()
    phone.base = server.url.rstrip("/")
    log_in(phone)
    phone.goto(f"{phone.base}/admin/tasks/{task.id}/")
    for name in ("Steps", "State changes"):
        box = phone.get_by_role("region", name=name)
        assert box.evaluate("e => e.scrollWidth > e.clientWidth"), name       # it does scroll
        box.focus()
        phone.keyboard.press("ArrowRight")
        phone.wait_for_function("e => e.scrollLeft > 0", arg=box.element_handle(), timeout=3000)
    context.close()


def test_a_user_role_or_permission_opened_in_the_page_editor_leads_to_its_access_screen(site, superuser):
    """Find lists users, roles and permissions (template=user ...) with links to the page
    editor, which answered "This page is locked: the page editor does not change it (User)"
    and no word of where they are edited. As ProcessWire's page editor sends a user to the
    user editor, a superuser is sent to the Access screen that edits it."""
    site.users.add_role("editor", ["page-edit"])
    ed = site.users.add("ed", PASSWORD, roles=["editor"])
    role = next(r for r in site.users.roles() if r.name == "editor")
    permission = site.pages.get("template=permission, name=page-edit")
    for page_id, goes_to in ((ed.id, f"/admin/access/users/{ed.id}/edit"),
                             (role.id, f"/admin/access/roles/{role.id}/edit"),
                             (permission.id, "/admin/access/permissions/")):
        answer = superuser.get(f"/admin/page/{page_id}/edit")
        assert (answer.status, answer.location) == (303, goes_to)
        assert superuser.get(goes_to).status == 200


def test_a_locked_page_says_who_may_unlock_it(site, admin_server):
    """An editor opening a locked page read "This page is locked: the page editor does not
    change it (basic-page)" and nothing about how it could change: it now says that whoever
    holds page-lock on it (a superuser) may unlock it."""
    site.users.add_role("editor", ["page-edit"])
    site.users.add("ed", PASSWORD, roles=["editor"])
    site.templates["basic-page"].set_access(view=["guest"], edit=["editor"])
    kept = site.pages.add("basic-page", 1, "kept", title="Kept")
    kept.add_status(kept.STATUS_LOCKED)
    kept.save()
    editor = Client(admin_server)
    editor.login("ed")
    answer = editor.get(f"/admin/page/{kept.id}/edit")
    assert answer.status == 403
    assert "holds page-lock on it (a superuser does) may unlock it" in unescape(answer.text)
    editor.close()


def test_a_screen_refused_says_what_it_needs_in_the_words_of_the_access_screens(site, admin_server):
    """An editor typing /admin/setup/ read "you need the 'superuser' permission for this":
    superuser is a role (Access › Roles lists no such permission), and neither that nor
    "you need the 'tasker-admin' permission" said who could give it."""
    site.users.add_role("editor", ["page-edit"])
    site.users.add("ed", PASSWORD, roles=["editor"])
    editor = Client(admin_server)
    editor.login("ed")
    setup = unescape(editor.get("/admin/setup/fields/").text)
    assert "'superuser' permission" not in setup
    assert "for superusers (users with the superuser role)" in setup
    tasks = unescape(editor.get("/admin/tasks/").text)
    assert "you need the 'tasker-admin' permission for this: a superuser gives it to one of " \
           "your roles (Access › Roles)" in tasks
    editor.close()


def test_a_restore_refused_for_its_parent_names_the_pages_by_title(site, superuser):
    """Restore of a page whose old parent went to the trash after it said "page 20055 cannot
    be restored: its old parent 20054 is in the trash": two numbers, where the trash lists
    titles. It names both by title too (and a page trashed with the one above it names that
    one so), so the user knows which to restore first."""
    parent = site.pages.add("basic-page", 1, "parent-p", title="Parent P")
    child = site.pages.add("basic-page", parent, "child-c", title="Child C")
    site.pages.trash(child)
    site.pages.trash(parent)
    token = superuser.token()
    refused = superuser.post(f"/admin/page/{child.id}/restore", {"csrf_token": token, "back": "trash"})
    said = unescape(superuser.get(refused.location).text)
    assert f"page {child.id} (“Child C”) cannot be restored: its old parent {parent.id} " \
           "(“Parent P”) is in the trash: restore that page first" in said
    below = site.pages.add("basic-page", 1, "above", title="Above")
    kid = site.pages.add("basic-page", below, "kid", title="Kid")
    site.pages.trash(below)
    refused = superuser.post(f"/admin/page/{kid.id}/restore", {"csrf_token": token, "back": "trash"})
    said = unescape(superuser.get(refused.location).text)
    assert f"went to the trash with a page above it: restore {site.pages.get(below.id).path} " \
           "(“Above”), which brings it back" in said
