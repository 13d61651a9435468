"""A sixth walk through the admin as its users take it, in the system Chromium and over HTTP
(the superuser and an editor, two tabs on one page, a session ended in another tab): where
bad input did not get a clear error, or lost what was typed, or a screen misled. The tests
that need a browser are marked `browser` and share test_browser.py's fixtures (no script
error allowed on any page they open); run them with `python -m pytest -m browser`. The
others talk HTTP to a real server, as tests/test_admin_*.py do."""
from __future__ import annotations

import re
from html import escape
from urllib.parse import quote

import pytest
import test_browser as shared
from markupsafe import escape as as_shown
from test_browser_a11y import record_what_is_said
from webclient import PASSWORD, Client, FormValues, make_task

import cms
from cms.tasker.claim import claim_task, release

# test_browser.py's fixtures (a logged-out tab on a running server), found here by their names
browser, web_site, server, page = shared.browser, shared.web_site, shared.server, shared.page
log_in = shared.log_in


def typed(form_page, **values: str) -> str:
    """The editor's page with `values` typed into the inputs of those fields (a checkbox
    ticked for a true value), as a person types into what they see: the input in the box
    of its field (`id="field-<name>"`), whatever other inputs of the form are named."""
    text = form_page.text
    for name, value in values.items():
        start = text.index(f'id="field-{name}"')
        end = text.index("</div>", start)
        box = text[start:end]
        if 'type="checkbox"' in box:
            box = box.replace(" checked", "")
            box = box.replace('value="1"', 'value="1" checked', 1) if value else box
        elif "<textarea" in box:
            box = re.sub(r"(<textarea[^>]*>)[^<]*", lambda m: m.group(1) + escape(value), box, count=1)
        else:
            box = re.sub(r'(<input id="input-[^"]+"[^>]*? value=")[^"]*',
                         lambda m: m.group(1) + escape(value), box, count=1)
        text = text[:start] + box + text[end:]
    return text


def ticked(text: str, label: str) -> str:
    """The editor's page with the status box labelled `label` ("Hidden") ticked."""
    box = re.compile(rf'(<label><input type="checkbox" name="[^"]+" value="1")(> {label} \()')
    assert box.search(text), f"no status box {label}"
    return box.sub(lambda m: m.group(1) + " checked" + m.group(2), text, count=1)


def as_sent(text: str, button: str = "Save") -> list[tuple[str, str]]:
    """What a browser sends for the page editor's form in `text`, saved with `button`: its
    inputs in order, then the submit button pressed (its name and value, whatever they are)."""
    pairs = FormValues(text, 'class="editor"').pairs
    pressed = re.search(rf'<button type="submit" name="([^"]+)" value="([^"]+)">{button}</button>', text)
    assert pressed, f"no {button} button in the editor"
    return [*pairs, (pressed.group(1), pressed.group(2))]


def test_a_field_named_as_one_of_the_editor_s_own_inputs_keeps_what_was_typed(site, superuser):
    """A Text field named `after` saved "stay" whatever was typed in it (the Save button's
    own name and value), one named `shown` saved "unpublished" (the editor's list of the
    checkboxes it shows), and ticking a Checkbox field named `hidden` hid the page (the
    status box's name) and left the field unticked when the status box was. Setup takes
    such names, as ProcessWire does, whose editor names its own inputs apart
    (`_pw_page_name`, `status[]`, `submit_save`)."""
    site.fields.add("after", "Text", label="Shown after the article")
    site.fields.add("shown", "Text", label="Where it is shown")
    site.fields.add("hidden", "Checkbox", label="Hidden from the menu")
    site.templates.add("article", fields=["title", "after", "shown", "hidden"])
    article = site.pages.add("article", 1, "news", title="News")
    edit = f"/admin/page/{article.id}/edit"
    form = typed(superuser.get(edit), after="A footnote", shown="On the front page", hidden="1")
    saved = superuser.post(edit, as_sent(form))
    assert saved.status == 303, saved.text
    stored = site.pages.get(article.id)
    assert (stored.after, stored.shown, stored.hidden) == ("A footnote", "On the front page", True)
    assert not stored.is_hidden()


def test_a_field_cannot_take_the_name_of_the_token_every_admin_form_carries(site, superuser):
    """A field named `csrf_token` was made (in Setup and from code), and every save of a page
    holding it then said the form had expired: its input came after the form's token, and
    the token read was the field's. The name is refused as the other reserved ones are."""
    with pytest.raises(cms.ValidationError, match="reserved"):
        site.fields.add("csrf_token", "Text")
    added = superuser.post("/admin/setup/fields/add", {
        "csrf_token": superuser.token(), "name": "csrf_token", "type": "Text", "label": "Token"})
    assert added.status == 400 and "reserved" in added.text
    assert site.fields.get("csrf_token") is None


def test_a_save_from_a_second_tab_keeps_what_the_first_changed_and_it_left_alone(site, superuser):
    """The editor open in two tabs: the first renamed the page, gave it a new title and hid
    it; the second, opened before that, added a line to the body and was saved after it.
    Every input of the second went in as it had been shown, and the title, name and status
    came back as they were, with "Saved" and no word of it. ProcessWire locks neither, and
    applies an input that differs from the page as stored; here the editor applies what
    the person changed from what their form showed, and keeps the rest as stored."""
    site.fields.add("body", "Textarea")
    site.templates.add("article", fields=["title", "body"])
    about = site.pages.add("article", 1, "about", title="About", body="First line")
    edit = f"/admin/page/{about.id}/edit"
    first, second = superuser.get(edit), superuser.get(edit)
    renamed = ticked(typed(first, title="About us", name="about-us"), "Hidden")
    assert superuser.post(edit, as_sent(renamed)).status == 303
    answer = superuser.post(edit, as_sent(typed(second, body="First line\r\nA second line")))
    assert answer.status == 303, answer.text
    stored = site.pages.get(about.id)
    assert (stored.title, stored.name, stored.body) == ("About us", "about-us", "First line\nA second line")
    assert stored.is_hidden()
    notes = superuser.get(edit).text
    assert "Kept Title, Name and Hidden as saved elsewhere" in notes


def test_a_field_changed_in_both_tabs_is_refused_with_what_was_typed_kept(site, superuser):
    """Both tabs changed the title: the second's save replaced the first's without a word.
    It is refused beside the title, what was typed there kept in the input and nothing
    stored; saved again from that form, it replaces the other, as the person then chose."""
    about = site.pages.add("basic-page", 1, "about", title="About")
    edit = f"/admin/page/{about.id}/edit"
    first, second = superuser.get(edit), superuser.get(edit)
    assert superuser.post(edit, as_sent(typed(first, title="About the shop"))).status == 303
    refused = superuser.post(edit, as_sent(typed(second, title="About the team")))
    assert refused.status == 409
    assert 'value="About the team"' in refused.text
    assert "changed" in re.search(r'id="error-title"[^>]*>([^<]*)<', refused.text).group(1)
    assert site.pages.get(about.id).title == "About the shop"
    again = superuser.post(edit, as_sent(refused.text))
    assert again.status == 303, again.text
    assert site.pages.get(about.id).title == "About the team"


def test_a_save_sent_after_the_login_ended_is_kept_through_the_login_and_sent_again(site, superuser):
    """Saved after a logout in another tab (or a new password given elsewhere, or the
    session's twelve hours): the browser went to the login page, which said nothing of a
    save, and once logged in again to the editor as stored: what was typed was gone, with
    no word that it had not been saved. The login page now says so and keeps the form, and
    after the login offers to send it again."""
    about = site.pages.add("basic-page", 1, "about", title="About")
    edit = f"/admin/page/{about.id}/edit"
    form = as_sent(typed(superuser.get(edit), title="Typed with care"))
    assert superuser.post("/admin/logout", {"csrf_token": superuser.token()}).status == 303
    login = superuser.post(edit, form, headers={"Sec-Fetch-Site": "same-origin"})
    assert login.status == 403 and 'class="login-form"' in login.text
    assert "not saved" in login.text and 'value="Typed with care"' in login.text
    assert site.pages.get(about.id).title == "About"
    kept = [(name, value) for name, value in FormValues(login.text, 'class="login-form"').pairs
            if name not in ("username", "password")]
    offered = superuser.post("/admin/login", [*kept, ("username", "admin"), ("password", PASSWORD)])
    assert offered.status == 200 and f'action="{edit}"' in offered.text
    assert "not saved" in offered.text and 'value="Typed with care"' in offered.text
    sent = superuser.post(edit, FormValues(offered.text, f'action="{edit}"').pairs)
    assert sent.status == 303, sent.text
    assert site.pages.get(about.id).title == "Typed with care"


def test_a_form_another_site_sends_after_the_login_ended_is_not_kept(site, superuser):
    """The login page keeps a form only where the browser says it came from this site, as
    the page editor shows an expired form's values again: another site's form, kept, would be
    one click from being saved as the user's own once they log in."""
    about = site.pages.add("basic-page", 1, "about", title="About")
    assert superuser.post("/admin/logout", {"csrf_token": superuser.token()}).status == 303
    login = superuser.post(f"/admin/page/{about.id}/edit", {"title": "Planted", "name": "about"},
                           headers={"Sec-Fetch-Site": "cross-site"})
    assert login.status == 403 and 'class="login-form"' in login.text
    assert "not saved" in login.text and "Planted" not in login.text


def test_the_tree_s_filter_finds_a_title_as_typed(site, superuser):
    """A long list's filter looked for "O Brien" when "O'Brien" was typed (quotes, commas,
    brackets and % were taken out, as for a value put into a selector unquoted), and said
    "0 matching children" beside the page so titled; it is put in the selector quoted, as
    the task list's and the users' searches are, and looked for as typed."""
    people = site.pages.add("basic-page", 1, "people", title="People")
    with site.transaction():
        for n in range(60):
            site.pages.add("basic-page", people, f"person-{n:02d}", title=f"Person {n:02d}")
    site.pages.add("basic-page", people, "obrien", title="O'Brien's notes")
    site.pages.add("basic-page", people, "sale", title="50% off, (2024)")
    for typed_text, title in (("O'Brien", "O'Brien's notes"), ("50%", "50% off, (2024)"),
                              ("off, (2024)", "50% off, (2024)")):
        found = superuser.get(f"/admin/page/{people.id}/children?q={quote(typed_text)}",
                              headers={"X-Requested-With": "fetch"})
        assert "1 matching children" in found.text and as_shown(title) in found.text, typed_text
        assert f'value="{as_shown(typed_text)}"' in found.text
    everything = superuser.get(f"/admin/page/{people.id}/children?q={quote(chr(34))}",
                               headers={"X-Requested-With": "fetch"})
    assert "0 matching children" in everything.text          # a quote that no name holds


def test_a_password_sent_after_the_login_ended_is_not_written_into_the_login_page(superuser):
    """The login page that keeps a form sent after the login ended wrote every value of it
    into its page, the passwords of Profile and Access too, which no form of the admin ever
    shows again: they are left out (Profile then asks for the current one, as it would)."""
    form = superuser.get("/admin/profile/")
    assert superuser.post("/admin/logout", {"csrf_token": superuser.token()}).status == 303
    login = superuser.post("/admin/profile/", {
        "csrf_token": form.csrf(), "email": "me@example.com", "new_password": "a new secret 1",
        "again": "a new secret 1", "current_password": PASSWORD}, headers={"Sec-Fetch-Site": "same-origin"})
    assert login.status == 403 and 'value="me@example.com"' in login.text
    assert "a new secret 1" not in login.text and PASSWORD not in login.text


def log_out_in_another_tab(page, then_log_in: bool = False) -> None:
    """Log out in a second tab of the same browser (and in again): the session, and the
    token every form opened before carries, change."""
    other = page.context.new_page()
    other.base = page.base
    other.goto(page.base + "/admin/")
    if "/admin/login" not in other.url:
        other.click("form.logout button")
        other.wait_for_url(page.base + "/admin/login")
    if then_log_in:
        log_in(other)
    other.close()


@pytest.mark.browser
def test_leaving_an_expired_form_that_came_back_with_what_was_typed_asks_first(web_site, page):
    """Saved after a login in another tab, the editor came back "nothing was saved. What you
    typed is below: save again to keep it", and "Back to the tree" then left it without the
    question the editor asks before changes not saved are lost (it asked after a refused
    field only): the typing was gone at one click."""
    notes = web_site.pages.add("basic-page", 1, "notes", title="Notes")
    log_in(page)
    page.goto(f"{page.base}/admin/page/{notes.id}/edit")
    log_out_in_another_tab(page, then_log_in=True)
    page.fill("#input-title", "Notes, an hour of them")
    page.click("button[value=stay]")
    page.wait_for_load_state()
    assert "nothing was saved" in page.inner_text("main")
    assert page.input_value("#input-title") == "Notes, an hour of them"
    seen: list[str] = []
    page.on("dialog", lambda dialog: seen.append(dialog.type))
    page.click("text=Back to the tree")                  # the question is answered yes
    page.wait_for_url(f"{page.base}/admin/?open={notes.id}")
    assert seen == ["beforeunload"]


@pytest.mark.browser
def test_a_stop_asked_elsewhere_is_said_again_when_the_running_step_ends(web_site, page):
    """A running task suspended from another tab (or the command line): the task's page and
    the list said "Long count: suspending" in their live regions, and then nothing when the
    step ended and the task stood waiting, its badge saying so: a screen reader's last word
    was that it was still stopping. They said only changes of the state's number, and
    suspending and waiting share one (as killing and killed, failing and failed)."""
    tasker = web_site.modules.get("Tasker")
    task = make_task(web_site, title="Long count", target=3000)
    tasker.activate_task(task)
    step = claim_task(tasker, task.id, invoker="worker")      # a runner holds it: running
    assert step is not None
    log_in(page)
    listing = page.context.new_page()
    listing.goto(f"{page.base}/admin/tasks/")
    record_what_is_said(listing, "tasks-announce")
    page.goto(f"{page.base}/admin/tasks/{task.id}/")
    record_what_is_said(page, "task-announce")
    tasker.stop_task(task)                                      # suspended elsewhere
    page.wait_for_function("() => said.length === 1", timeout=15000)
    listing.wait_for_function("() => said.length === 1", timeout=15000)
    assert page.evaluate("said") == ["Long count: suspending, 0%"]
    release(tasker, step)                                       # the step ends
    page.wait_for_function("() => said.length === 2", timeout=15000)
    listing.wait_for_function("() => said.length === 2", timeout=15000)
    assert page.evaluate("said")[-1] == "Long count: waiting, 0%"
    assert listing.evaluate("said") == ["Long count: suspending", "Long count: waiting"]


def test_the_tree_s_script_asking_after_the_login_ended_is_told_so(site, admin_server):
    """The tree's script asks for a branch's children (and sends a new order) with
    `X-Requested-With: fetch`; after the login ended it was sent to the login page, which
    fetch follows: the script got a whole page to put in the tree. It gets the refusal, as
    the task screens' JSON requests do."""
    guest = Client(admin_server)
    for method, path in (("GET", "/admin/page/1/children"), ("POST", "/admin/page/1/sort")):
        answer = guest.request(method, path, b"" if method == "POST" else None,
                               {"X-Requested-With": "fetch"})
        assert answer.status == 403 and answer.headers["Content-Type"] == "application/json", path
        assert answer.json()["status"] is False and "not logged in" in answer.json()["message"]
    guest.close()


@pytest.mark.browser
def test_opening_a_branch_after_the_login_ended_says_so_in_place_of_a_login_page(web_site, page):
    """Logged out in another tab, a branch of the tree opened on the whole login page
    (header, "Log in" and its form) as the branch's children. It says that the login ended."""
    big = web_site.pages.add("basic-page", 1, "big", title="Big section")
    web_site.pages.add("basic-page", big, "item", title="Item")
    log_in(page)
    log_out_in_another_tab(page)
    page.locator(f'.tree-node[data-id="{big.id}"] .tree-toggle').first.click()
    alert = page.get_by_role("alert")
    alert.wait_for(timeout=5000)
    assert "not logged in" in alert.inner_text()
    assert page.locator("#page-tree form.login-form").count() == 0
    assert page.locator("main h1").count() == 1               # no second page inside the tree


@pytest.mark.browser
def test_the_task_screens_say_when_their_polls_are_refused(web_site, page):
    """Logged out in another tab (or the user's roles changed, which ends their logins), the
    task list and a task's page went on as if live, every poll refused in silence: the
    states and bars stood still while the tasks moved on. Each says its updates stopped,
    and why, until a poll is answered again."""
    task = make_task(web_site, title="Count")
    log_in(page)
    listing = page.context.new_page()
    listing.goto(f"{page.base}/admin/tasks/")
    page.goto(f"{page.base}/admin/tasks/{task.id}/")
    log_out_in_another_tab(page)
    for tab in (page, listing):
        alert = tab.get_by_role("alert")
        alert.wait_for(timeout=10000)
        assert "not logged in" in alert.inner_text()
    log_out_in_another_tab(page, then_log_in=True)          # logged in again: the polls go on
    for tab in (page, listing):
        tab.get_by_role("alert").wait_for(state="detached", timeout=10000)
