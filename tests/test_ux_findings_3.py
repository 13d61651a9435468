"""A third walk through the admin as a new user would take it, in a real browser (the demo,
every screen as an editor and as the superuser, at 375 px and wide, by mouse and by the
keyboard): what was broken or confusing. The tests that need a browser are marked `browser`
and share test_browser.py's fixtures (Playwright and the system Chromium; no script error
allowed on any page they open); run them with `python -m pytest -m browser`. The others talk
HTTP to a real server, as tests/test_admin_*.py do."""
from __future__ import annotations

import re
from html import unescape

import pytest
import test_browser as shared
from webclient import PASSWORD, Client, make_task, schema_seen_now

# test_browser.py's fixtures (a logged-out tab on a running server), found here by their names
browser, web_site, server, page = shared.browser, shared.web_site, shared.server, shared.page
log_in = shared.log_in


@pytest.mark.browser
def test_enter_in_find_s_selector_box_finds_what_was_typed(web_site, page):
    """Enter in the Selector box submits the form by its first button, "Build and find", and
    the server then built the selector from the rows above and dropped the one typed: with
    the rows empty the box came back empty and nothing was found, and after a "Build and
    find" (the rows still filled) a selector refined by hand ran as the rows built it, while
    the help under the box says "Typed by hand, it wins over the rows above"."""
    for n in range(3):
        web_site.pages.add("basic-page", 1, f"apple-{n}", title=f"Apple {n}")
    web_site.pages.add("basic-page", 1, "pear", title="Pear")
    log_in(page)
    page.goto(page.base + "/admin/find/")
    page.fill("#input-selector", "title^=Apple")
    page.press("#input-selector", "Enter")
    page.wait_for_load_state()
    assert page.input_value("#input-selector") == "title^=Apple"
    assert "3 page(s) found" in page.locator("#find-total").inner_text()
    # built from the rows, then narrowed by hand and Enter again
    page.select_option("select[name=template]", "basic-page")
    page.click("button[name=build]")
    page.wait_for_load_state()
    assert page.input_value("#input-selector") == "template=basic-page"
    page.fill("#input-selector", "template=basic-page, title=Pear")
    page.press("#input-selector", "Enter")
    page.wait_for_load_state()
    assert page.input_value("#input-selector") == "template=basic-page, title=Pear"
    assert "1 page(s) found" in page.locator("#find-total").inner_text()
    # a row changed and Enter in its value still builds, as "Build and find" does
    page.select_option("select[name=field]", "title")
    page.fill("input[name=value]", "Apple 1")
    page.press("input[name=value]", "Enter")
    page.wait_for_load_state()
    assert page.input_value("#input-selector") == 'template=basic-page, title="Apple 1"'
    assert "1 page(s) found" in page.locator("#find-total").inner_text()


@pytest.mark.browser
def test_a_reset_clears_the_log_the_task_s_page_shows(web_site, page):
    """Reset throws the task's log away, but its page kept showing the old lines (a finished
    import's "imported 20000 words") while the task ran again from 0%, until reloaded: the
    script's log kept what it showed whenever a poll brought no line, so an emptied log was
    never drawn. An action's answer asks for no log (`log=0`); the polls bring all of it."""
    tasker = web_site.modules.get("Tasker")
    task = make_task(web_site, target=2, say="counted the apples")
    tasker.activate_task(task)
    while tasker.is_active(task):
        tasker.execute_task(task, {"invoker": "cron"})
    log_in(page)
    page.goto(f"{page.base}/admin/tasks/{task.id}/")
    lines = page.locator("#task-log li")
    assert "counted the apples" in lines.first.inner_text()
    page.click("#task-detail button[value=reset]")        # the dialog is answered yes
    page.locator("#task-detail .task-status[data-state='2']").wait_for()
    assert tasker.get_task_by_id(task.id).get("log_messages") == ""
    page.wait_for_timeout(3500)                           # two polls of the task's status
    assert lines.count() == 0, lines.all_inner_texts()


def summary_texts(html: str) -> list[str]:
    """The links of a refused form's error summary, as read."""
    summary = html.split('class="notice notice-error error-summary"', 1)[1].split("</div>", 1)[0]
    return [unescape(text) for text in re.findall(r'<li><a href="#[^"]+">(.*?)</a></li>', summary)]


def test_the_page_editor_s_error_summary_names_each_refused_field(site, superuser):
    """Beside its input a refused value's message leaves out the field, whose label is right
    above it ("the value is above the maximum 10"); the summary at the top of the form
    repeated those messages as they were, so it said twice "the value names a page that does
    not exist" and never which of the editor's fields held it."""
    site.fields.add("qty", "Integer", label="Quantity", min=0, max=10)
    site.fields.add("author", "Page", label="Author")
    site.fields.add("tags", "Page", label="Tags", multiple=True)
    for name in ("qty", "author", "tags"):
        site.templates.get("basic-page").add_field(name)
    edited = site.pages.add("basic-page", 1, "stock", title="Stock")
    answer = superuser.post(f"/admin/page/{edited.id}/edit", {
        "csrf_token": superuser.token(), "title": "", "qty": "11", "author": "/nope/",
        "tags": "/gone/", "name": "stock", "editor-after": "stay"})
    assert answer.status == 400
    assert summary_texts(answer.text) == [
        "Title is required: it may not be empty",           # names its field already
        "Quantity: the value is above the maximum 10",
        "Author: the value names a page that does not exist: /nope/",
        "Tags: the value names a page that does not exist: /gone/"]
    assert '<p class="field-error" id="error-qty" role="alert">the value is above the maximum 10' \
        in answer.text                                      # beside its label: as it was


@pytest.mark.browser
def test_a_link_of_the_error_summary_takes_the_keyboard_to_the_refused_input(web_site, page):
    """The summary's links lead to the message under each refused input, which takes no
    focus: Enter on "Quantity: the value is above the maximum 10" scrolled there and left
    the focus on the page, and Tab then went to the input after the message, the next field
    (Website), not the one to correct. A link now hands the focus to its field's input."""
    web_site.fields.add("qty", "Integer", label="Quantity", min=0, max=10)
    web_site.fields.add("site_url", "URL", label="Website")
    for name in ("qty", "site_url"):
        web_site.templates.get("basic-page").add_field(name)
    edited = web_site.pages.add("basic-page", 1, "stock", title="Stock")
    log_in(page)
    page.goto(f"{page.base}/admin/page/{edited.id}/edit")
    page.fill("#input-title", "")
    page.fill("#input-qty", "11")
    page.click("button[value=stay]")
    links = page.locator(".error-summary a")
    assert links.count() == 2
    links.nth(1).focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "input-qty"
    page.keyboard.press("Control+A")
    page.keyboard.type("7")
    assert page.input_value("#input-qty") == "7"
    links.nth(0).click()
    assert page.evaluate("document.activeElement.id") == "input-title"


def test_a_title_that_gives_no_name_says_why_the_page_is_named_untitled(site, superuser):
    """A page added with a title of emoji only ("😀😀", which no page name can spell) is named
    `untitled`, and the notice said "Another page here is named '', so this one was saved as
    'untitled'": there was no such page, and nothing said why the name was not the title's."""
    for saved in ("untitled", "untitled-1"):
        added = superuser.post("/admin/page/add?parent=1", {
            "csrf_token": superuser.token(), "parent": "1", "template": "basic-page",
            "title": "😀😀", "name": ""})
        assert added.status == 303
        editor = unescape(superuser.get(added.location).text)
        assert f"Added /{saved}/" in editor
        assert "named ''" not in editor
        assert f"'😀😀' gives no letters or digits for a page name, so it was named '{saved}'" \
            in editor


def test_a_profile_saved_without_the_current_password_asks_for_it_and_counts_no_failure(superuser):
    """The current password sits under the inputs it guards: a user who changed their email
    and pressed Save without it was told "That is not your current password" (nothing was
    typed), and each such try counted as a failed login of their account, so the fourth
    made them wait before the right password was even checked."""
    for _ in range(4):
        refused = superuser.post("/admin/profile/", {
            "csrf_token": superuser.token(), "email": "admin@example.com", "current_password": ""})
        assert refused.status == 400
        assert "not your current password" not in refused.text
        assert "Type your current password to save a change" in refused.text
        assert 'value="admin@example.com"' in refused.text          # what was typed stays
    saved = superuser.post("/admin/profile/", {
        "csrf_token": superuser.token(), "email": "admin@example.com",
        "current_password": PASSWORD})
    assert saved.status == 303, saved.text[:300]
    assert "Saved your profile." in superuser.get(saved.location).text


@pytest.mark.parametrize(("typed", "goes_to"), [
    ("/admin/trash", "/admin/trash/"),
    ("/admin/find?selector=title%3Da", "/admin/find/?selector=title%3Da"),
    ("/admin/modules", "/admin/modules/"), ("/admin/profile", "/admin/profile/"),
    ("/admin/setup/fields", "/admin/setup/fields/"), ("/admin/access/roles", "/admin/access/roles/"),
    # the menu's sections, as ProcessWire's Setup and Access pages list theirs
    ("/admin/setup/", "/admin/setup/fields/"), ("/admin/setup", "/admin/setup/"),
    ("/admin/access/", "/admin/access/users/"), ("/admin/access", "/admin/access/")])
def test_an_admin_url_typed_without_its_slash_leads_to_its_screen(superuser, typed, goes_to):
    """/admin and /admin/tasks led to their screens, but /admin/trash, /admin/modules,
    /admin/setup/fields ... (each screen's URL as one types or shortens it) answered "there
    is no such admin page", and so did /admin/setup/ and /admin/access/, the menu's Setup and
    Access. ProcessWire redirects a page's URL without its slash, and its Setup and Access
    pages list what they hold."""
    answer = superuser.get(typed)
    assert answer.status == 303 and answer.location.endswith(goes_to), answer


def test_an_admin_url_that_is_no_screen_with_or_without_a_slash_is_still_not_found(superuser):
    for missing in ("/admin/nothing", "/admin/nothing/", "/admin/setup/nothing"):
        answer = superuser.get(missing)
        assert answer.status == 404 and "there is no such admin page" in answer.text
    posted = superuser.post("/admin/trash", {"csrf_token": superuser.token()})
    assert posted.status == 404                     # a form's body is not sent on by a redirect


@pytest.mark.browser
def test_find_s_builder_stays_inside_its_form_on_a_375_pixel_phone(web_site, browser, server):
    """At 375 px (an iPhone's width) the Operator menu, as wide as its longest choice ("~~=
    live search: all words, the last a prefix"), ran past the right edge of the form's box
    to the screen's edge, and at 320 px past the screen, which then scrolled sideways."""
    for width in (375, 320):
        context = browser.new_context(viewport={"width": width, "height": 800})
        phone = context.new_page()
        phone.base = server.url.rstrip("/")
        log_in(phone)
        phone.goto(phone.base + "/admin/find/")
        form = phone.locator("#find-form").bounding_box()
        for control in ("select[name=template]", "select[name=field]", "select[name=op]",
                        "input[name=value]", "#input-selector"):
            box = phone.locator(control).bounding_box()
            assert box["x"] + box["width"] <= form["x"] + form["width"], (width, control, box, form)
        assert phone.evaluate("document.documentElement.scrollWidth") <= width
        context.close()


@pytest.mark.browser
def test_the_modules_actions_are_in_view_on_a_375_pixel_phone(web_site, browser, server):
    """On a phone the Modules table kept its five columns in a box that scrolls sideways, and
    its last, Settings and Uninstall (or Install), lay past the screen's edge, with nothing in
    view to say they were there: a superuser saw the modules and no way to act on them."""
    context = browser.new_context(viewport={"width": 375, "height": 800})
    phone = context.new_page()
    phone.base = server.url.rstrip("/")
    log_in(phone)
    phone.goto(phone.base + "/admin/modules/")
    actions = phone.locator("#module-list .actions a, #module-list .actions button")
    assert actions.count() >= 4                     # Settings and Uninstall of Tasker and WebJobs
    for index in range(actions.count()):
        box = actions.nth(index).bounding_box()
        assert 0 <= box["x"] and box["x"] + box["width"] <= 375, (actions.nth(index).inner_text(), box)
    tasker = phone.locator("#module-list tr[data-module=Tasker]").inner_text()
    assert "1." in tasker and "built-in" in tasker and "installed" in tasker.lower()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    context.close()


def error_beside(html: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="error-{name}" role="alert">(.*?)</p>', html)
    assert found, f"no error beside {name}"
    return unescape(found.group(1))


def test_an_email_refused_on_access_and_profile_reads_without_the_api_s_field_name(superuser):
    """The Email input of Add a user, a user's page and Profile said "field 'email': 'nope' is
    not an email address" under its label: the words of the API (the user template's field
    `email`), which the page editor leaves out beside its inputs."""
    token = superuser.token()
    added = superuser.post("/admin/access/users/add", {
        "csrf_token": token, "name": "ed", "email": "nope", "password": "a long passphrase"})
    assert added.status == 400
    assert error_beside(added.text, "email") == "'nope' is not an email address"
    profile = superuser.post("/admin/profile/", {
        "csrf_token": token, "email": "nope", "current_password": PASSWORD})
    assert profile.status == 400
    assert error_beside(profile.text, "email") == "'nope' is not an email address"


def test_a_page_field_in_the_editor_names_the_pages_it_holds(site, superuser, admin_server):
    """Paths typed into a Page field ("/dictionary/apple/, /dictionary/pear/") came back from
    the save as "49, 52": the input holds ids, and nothing on the screen said which pages
    they were. The hint under it now names them by title and path, those the user may view
    (an id the input holds stays a number to whoever may not view its page)."""
    site.fields.add("tags", "Page", label="Tags", multiple=True)
    site.templates.get("basic-page").add_field("tags")
    site.templates.add("members", fields=["title"]).set_access(view=["superuser"])
    apple = site.pages.add("basic-page", 1, "apple", title="Apple")
    secret = site.pages.add("members", 1, "club", title="Members' club")
    post = site.pages.add("basic-page", 1, "post", title="Post")
    saved = superuser.post(f"/admin/page/{post.id}/edit", {
        "csrf_token": superuser.token(), "title": "Post", "name": "post", "editor-after": "stay",
        "tags": f"/apple/, {secret.id}"})
    assert saved.status == 303
    editor = unescape(superuser.get(f"/admin/page/{post.id}/edit").text)
    assert f'value="{apple.id}, {secret.id}"' in editor
    hint = re.search(r'<small id="hint-tags">(.*?)</small>', editor, re.S).group(1)
    assert "holds: Apple (/apple/), Members' club (/club/)" in hint
    site.users.add_role("editor", permissions=["page-edit"])
    site.users.add("ed", PASSWORD, roles=["editor"])
    site.templates.get("home").set_access(view=["guest"], edit=["editor"])
    schema_seen_now(admin_server)
    ed = Client(admin_server)
    ed.login("ed")
    seen_by_ed = unescape(ed.get(f"/admin/page/{post.id}/edit").text)
    assert f'value="{apple.id}, {secret.id}"' in seen_by_ed
    hint = re.search(r'<small id="hint-tags">(.*?)</small>', seen_by_ed, re.S).group(1)
    assert "holds: Apple (/apple/)" in hint and "club" not in hint
    ed.close()


def dialogs_seen(page) -> list[str]:
    """The types of the dialogs the tab shows from now on (the fixture answers each yes)."""
    seen: list[str] = []
    page.on("dialog", lambda dialog: seen.append(dialog.type))
    return seen


@pytest.mark.browser
def test_leaving_an_editor_with_changes_not_saved_asks_first(web_site, page):
    """An hour's typing in the page editor was gone at one click on "Back to the tree", the
    menu or a crumb, without a word. ProcessWire's page editor and profile ask first: their
    forms have the class InputfieldFormConfirm (ProcessPageEdit.module, `'confirm' => true`;
    ProcessProfile.module), and wire/templates-admin/scripts/inputfields.js asks on
    `beforeunload` while a field of such a form changed and it was not submitted."""
    edited = web_site.pages.add("basic-page", 1, "notes", title="Notes")
    log_in(page)
    seen = dialogs_seen(page)
    page.goto(f"{page.base}/admin/page/{edited.id}/edit")
    page.click("text=Back to the tree")                  # nothing changed: no question
    page.wait_for_url(f"{page.base}/admin/?open={edited.id}")
    assert seen == []
    page.goto(f"{page.base}/admin/page/{edited.id}/edit")
    page.fill("#input-title", "Notes, an hour of them")
    page.click("text=Back to the tree")                  # the question is answered yes
    page.wait_for_url(f"{page.base}/admin/?open={edited.id}")
    assert seen == ["beforeunload"]
    page.goto(f"{page.base}/admin/page/{edited.id}/edit")
    page.fill("#input-title", "Notes, saved")
    page.click("button[value=exit]")
    page.wait_for_url(f"{page.base}/admin/?open={edited.id}")
    assert seen == ["beforeunload"] and web_site.pages.get(edited.id).title == "Notes, saved"
    page.goto(f"{page.base}/admin/profile/")
    page.fill("input[name=email]", "admin@example.com")
    page.click("header.top nav >> text=Pages")
    page.wait_for_url(f"{page.base}/admin/")
    assert seen == ["beforeunload", "beforeunload"]


@pytest.mark.browser
def test_the_tree_opens_on_the_page_of_children_that_holds_the_page_asked_for(web_site, server, page):
    """/admin/?open=ID (Save + Exit, Back to the tree, a move's or a restore's answer, a
    task's "Works on") opened the branches down to the page but always on their first 50
    children: a page further down (a word of 20,000, a page just moved to the end of a big
    parent) was not on the screen, and nothing said where it was. Each branch now opens on
    the page of children holding the next one, and the row is marked and scrolled to."""
    big = web_site.pages.add("basic-page", 1, "big", title="Big")
    with web_site.transaction():
        kids = [web_site.pages.add("basic-page", big, f"item-{i:02d}", title=f"Item {i:02d}")
                for i in range(120)]
        for i in range(55):                            # home's own children past one page
            web_site.pages.add("basic-page", 1, f"home-{i:02d}", title=f"Home {i:02d}")
    deep = web_site.pages.add("basic-page", kids[107], "deep", title="Deep")
    log_in(page)
    page.goto(f"{page.base}/admin/?open={deep.id}")
    row = page.locator(f"#page-{deep.id}")
    row.wait_for(timeout=5000)
    assert "target" in row.get_attribute("class")
    assert page.locator(f"#page-{kids[107].id}").is_visible()
    listed = page.locator(f"ul.tree-children[data-parent='{big.id}'] > li.tree-node")
    assert listed.first.get_attribute("data-id") == str(kids[100].id)    # its third page
    tools = page.locator(f"ul.tree-children[data-parent='{big.id}'] input[name=page]")
    assert tools.input_value() == "3"
    # its branch was opened here before (remembered): it opens on the right page all the same
    page.goto(f"{page.base}/admin/?open={kids[60].id}")
    page.locator(f"#page-{kids[60].id}.target").wait_for(timeout=5000)
    last_home = web_site.pages.get("/home-54/")
    page.goto(f"{page.base}/admin/?open={last_home.id}")
    page.locator(f"#page-{last_home.id}.target").wait_for(timeout=5000)
    # children in the order of a template's sortfield: by -title, Item 10 is the 110th
    web_site.templates.get("basic-page").set_settings(sortfield="-title")
    schema_seen_now(server)
    page.goto(f"{page.base}/admin/?open={kids[10].id}")
    page.locator(f"#page-{kids[10].id}.target").wait_for(timeout=5000)
    assert tools.input_value() == "3"


def test_a_user_who_may_use_no_admin_screen_but_profile_starts_there(site, superuser, admin_server):
    """A member (a role with page-view only), or an editor whose role was deleted, logged in
    and landed on "Not allowed: you need the 'page-edit' permission", whose one link, "Back
    to the pages", led to the same refusal: nothing said where they could go, though every
    user has Profile (their password and email). ProcessWire's login offers such a user
    "Edit Profile" (ProcessLogin::afterLoginOutput)."""
    site.users.add_role("member", permissions=["page-view"])
    site.users.add("mia", PASSWORD, roles=["member"])
    mia = Client(admin_server)
    assert mia.login("mia").location.endswith("/admin/profile/")
    assert "Your profile: mia" in mia.get("/admin/profile/").text
    refused = mia.get("/admin/")
    assert refused.status == 403
    assert '<a href="/admin/profile/">Your profile</a>' in refused.text
    assert 'href="/admin/">Back to the pages' not in refused.text
    assert 'class="brand" href="/admin/profile/"' in refused.text
    mia.close()
