"""An accessibility review of the admin and the public site's default templates, as a WCAG 2.2
AA reviewer does it (axe-core in Chromium, then the keyboard and the markup by hand): each test
states in the HTML or the stylesheet what a finding was, and failed before its fix. What needs a
browser to show (focus, keys, live announcements) is in test_browser_a11y.py."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

from webclient import PASSWORD, Client, schema_seen_now

import cms

STATIC = Path(cms.__file__).resolve().parent / "web" / "static"
SITE_TEMPLATES = Path(cms.__file__).resolve().parent / "site_templates"


# -- colour contrast (WCAG 1.4.3 text 4.5:1, 1.4.11 parts of a control 3:1) ---------------------
def luminance(colour: str) -> float:
    """WCAG's relative luminance of #rgb or #rrggbb."""
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    channels = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def css_rules(text: str) -> list[tuple[str, dict[str, str]]]:
    """(selector, declarations) of every innermost rule, `var(--x)` replaced by its value."""
    variables = dict(re.findall(r"(--[\w-]+):\s*([^;]+);", text.split("}", 1)[0]))
    rules = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", re.sub(r"/\*.*?\*/", "", text, flags=re.S)):
        body = re.sub(r"var\((--[\w-]+)\)", lambda m: variables[m.group(1)], body)
        declarations = dict((name.strip(), value.strip()) for name, value in
                            (part.split(":", 1) for part in body.split(";") if ":" in part))
        rules.append((" ".join(selector.split()), declarations))
    return rules


def declared(rules, selector: str, prop: str) -> str:
    found = [d[prop] for s, d in rules if selector in [x.strip() for x in s.split(",")] and prop in d]
    assert found, f"no {prop} for {selector}"
    return found[-1]


def test_admin_links_and_status_badges_have_a_contrast_of_4_5_to_1():
    """axe-core: the admin's blue (#2f6fd6) links and link buttons on the page's grey (#f6f7f9)
    came to 4.48:1, and to 4.27:1 on a tree row under the pointer (57 nodes over the screens);
    a task's WAITING badge was 3.38:1 and FINISHED 3.65:1 (12 px text, which needs 4.5:1)."""
    rules = css_rules((STATIC / "admin.css").read_text())
    accent = declared(rules, "a", "color")
    backgrounds = {"page": declared(rules, "body", "background"),
                   "card": declared(rules, "form.editor", "background"),
                   "row under the pointer": declared(rules, ".tree-row:hover", "background"),
                   "row led to": declared(rules, ".tree-row.target", "background")}
    for where, background in backgrounds.items():
        assert contrast(accent, background) >= 4.5, (where, accent, background)
    assert contrast("#fff", declared(rules, "button", "background")) >= 4.5
    badges = [(s, d) for s, d in rules if s.endswith(" .state") and "color" in d and "background" in d]
    assert len(badges) >= 4
    for selector, d in badges:
        assert contrast(d["color"], d["background"]) >= 4.5, (selector, d)
    track = declared(rules, "progress::-webkit-progress-bar", "background")     # the bar's fill: 3:1
    for selector in ("progress::-webkit-progress-value", ".state-finished progress::-webkit-progress-value"):
        assert contrast(declared(rules, selector, "background"), track) >= 3, selector


def test_the_public_layout_s_links_and_footer_have_a_contrast_of_4_5_to_1():
    """The default site templates' pager links (#3a7bd5 on white) were 4.22:1, and the footer's
    grey on the page 4.29:1."""
    style = (SITE_TEMPLATES / "_layout.html").read_text().split("<style>", 1)[1].split("</style>", 1)[0]
    rules = css_rules(style)
    page = declared(rules, "body", "background")
    assert contrast(declared(rules, ".MarkupPagerNav a", "color"),
                    declared(rules, ".MarkupPagerNav a", "background")) >= 4.5
    assert contrast(declared(rules, "header a.edit", "color"), page) >= 4.5
    assert contrast(declared(rules, "footer", "color"), page) >= 4.5
    current = declared(rules, ".MarkupPagerNav .MarkupPagerNavOn a", "background")
    assert contrast("#fff", current) >= 4.5


# -- the markup: a small reader of elements by id -----------------------------------------------
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Element:
    def __init__(self, tag: str, attrs: dict[str, str | None]):
        self.tag, self.attrs, self.children, self.text_parts = tag, attrs, [], []

    @property
    def text(self) -> str:
        return " ".join("".join(self.text_parts).split())

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


class Markup(HTMLParser):
    """The page as a tree of elements: `by_id`, `select(tag, **attrs)`, an element's `text`."""

    def __init__(self, html: str):
        super().__init__()
        self.root = Element("#document", {})
        self.stack = [self.root]
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs))
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        for element in self.stack:
            element.text_parts.append(data)

    def select(self, tag: str, **attrs: str) -> list[Element]:
        return [e for e in self.root.walk() if e.tag == tag
                and all(e.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())]

    def by_id(self, element_id: str) -> Element:
        found = [e for e in self.root.walk() if e.attrs.get("id") == element_id]
        assert len(found) == 1, f"{len(found)} elements with id {element_id!r}"
        return found[0]

    def described(self, element: Element) -> str:
        """What a screen reader reads after the name: the texts aria-describedby points to."""
        ids = (element.attrs.get("aria-describedby") or "").split()
        return " | ".join(self.by_id(i).text for i in ids)


# -- form errors and hints tied to their fields (WCAG 1.3.1, 3.3.1, 4.1.2) ----------------------
def test_a_refused_profile_ties_each_error_and_hint_to_its_input(superuser):
    """The message beside a refused field, and the hint under it, were paragraphs next to the
    input: a screen reader moving to the input heard its label only, nothing said it was
    invalid, and the error was heard (role=alert) once, when the page loaded."""
    answer = superuser.post("/admin/profile/", {"csrf_token": superuser.token(), "email": "nope",
                                                "current_password": PASSWORD})
    assert answer.status == 400
    page = Markup(answer.text)
    email = page.by_id("input-email")
    assert email.attrs.get("aria-invalid") == "true"
    assert "email" in page.described(email).lower() and "nope" in page.described(email)
    new_password = page.by_id("input-new_password")
    assert new_password.attrs.get("aria-invalid") is None
    assert "leave empty to keep your password" in page.described(new_password)
    assert email.attrs.get("autocomplete") == "email"     # WCAG 1.3.5: the user's own address


def test_a_refused_field_of_setup_ties_its_error_to_the_input_and_a_checkbox_to_its_hint(superuser):
    answer = superuser.post("/admin/setup/fields/add", {"csrf_token": superuser.token(),
                                                        "name": "title", "type": "Text"})
    assert answer.status == 400
    page = Markup(answer.text)
    name = page.by_id("input-name")
    assert name.attrs.get("aria-invalid") == "true"
    assert "exists already" in page.described(name) and "letters, digits" in page.described(name)
    maxlength = page.by_id("input-setting_maxlength")
    assert "for Text" in page.described(maxlength) and maxlength.attrs.get("aria-invalid") is None


def test_the_page_editor_ties_errors_hints_and_required_to_each_input(site, superuser):
    """The page editor's inputs had neither: a required title said so by a red asterisk only,
    and a number's range, a date's UTC and a Page field's "a page id or path" were text
    beside the input that a screen reader did not read with it."""
    site.fields.add("size", "Integer", label="Size", min=1, max=9, description="in metres")
    site.templates.get("basic-page").add_field("size")
    page_ = site.pages.add("basic-page", 1, "sized", title="Sized")
    answer = superuser.post(f"/admin/page/{page_.id}/edit", {
        "csrf_token": superuser.token(), "title": "", "size": "99", "name": "sized", "editor-after": "stay"})
    assert answer.status == 400
    page = Markup(answer.text)
    title = page.by_id("input-title")
    assert title.attrs.get("aria-invalid") == "true" and title.attrs.get("aria-required") == "true"
    assert "required" in page.described(title)
    size = page.by_id("input-size")
    assert size.attrs.get("aria-invalid") == "true"
    said = page.described(size)
    assert "1 to 9" in said and "in metres" in said and "maximum" in said.lower()
    name = page.by_id("input-name")
    assert name.attrs.get("aria-invalid") is None and name.attrs.get("aria-describedby") is None


def test_a_bad_selector_s_error_is_read_with_the_selector_and_its_caret_is_not(superuser):
    """The caret under a bad selector is a picture made of spaces: read aloud it was a run of
    blanks and "^" (and its aria-label on a <pre> is not allowed, axe's aria-prohibited-attr);
    the message, which says the position in words, was not tied to the input."""
    page = Markup(superuser.get("/admin/find/?selector=" + quote("title=x, ((")).text)
    selector = page.by_id("input-selector")
    assert selector.attrs.get("aria-invalid") == "true"
    assert "unclosed '('" in page.described(selector)
    caret = page.select("pre", class_="selector-error")[0]
    assert caret.attrs.get("aria-hidden") == "true" and "aria-label" not in caret.attrs


# -- finding one's way (WCAG 2.4.1 bypass blocks, 2.4.2 page titled, 1.3.1, 4.1.2) -------------
def test_a_skip_link_leads_past_the_admin_s_menu_and_each_menu_says_where_you_are(superuser):
    """Eleven links and buttons (the menu, the user, Log out) came before every screen's
    content, with no way past them; the Setup and Access sub-menus marked the current one by
    a bold class only, where the main menu said aria-current."""
    for path, current in (("/admin/setup/templates/", "Templates"), ("/admin/access/roles/", "Roles")):
        page = Markup(superuser.get(path).text)
        body = page.select("body")[0]
        first = next(e for e in body.walk() if e.tag in ("a", "button", "input"))
        assert first.attrs["href"].startswith("#") and "skip" in first.text.lower()
        assert page.by_id(first.attrs["href"][1:]).tag == "main"
        navs = page.select("nav")
        assert all(nav.attrs.get("aria-label") for nav in navs), [n.attrs for n in navs]
        sub = [nav for nav in navs if "subnav" in (nav.attrs.get("class") or "")][0]
        marked = [a.text for a in sub.walk() if a.tag == "a" and a.attrs.get("aria-current") == "page"]
        assert marked == [current]


def test_tables_name_every_column_and_an_error_page_s_title_says_what_happened(site, superuser):
    """The Modules and Trash tables' last column, their buttons, had an empty header (axe:
    empty-table-header), and a missing admin page was titled "404 · cms"."""
    trashed = site.pages.add("basic-page", 1, "old", title="Old")
    trashed.trash()
    for path in ("/admin/modules/", "/admin/trash/"):
        headers = Markup(superuser.get(path).text).select("th")
        assert headers and all(th.text for th in headers), path
    missing = superuser.get("/admin/no/such/screen")
    assert missing.status == 404
    title = Markup(missing.text).select("title")[0].text
    assert title.startswith("Not found"), title


# -- the page tree -----------------------------------------------------------------------------
def test_a_tree_row_s_toggle_is_a_button_named_by_its_page_and_its_count_says_children(site, superuser):
    """The toggle was a link named "▸" (its title "Show children" is not read when the link
    has text), the same for every row, and announced as a link though it opens and closes a
    branch in place (aria-expanded); the count beside a title was a bare number."""
    section = site.pages.add("basic-page", 1, "section", title="Section")
    site.pages.add("basic-page", section, "inner", title="Inner")
    for path in ("/admin/", "/admin/page/1/children"):
        page = Markup(superuser.get(path).text)
        row = page.by_id(f"page-{section.id}")
        toggle = [e for e in row.walk() if "tree-toggle" in (e.attrs.get("class") or "")][0]
        assert toggle.attrs.get("role") == "button" and toggle.attrs.get("aria-expanded") == "false"
        assert toggle.attrs.get("aria-label") == "Children of Section"
        count = [e for e in row.walk() if e.attrs.get("class") == "count"][0]
        assert count.text == "1"                              # as drawn
        assert re.search(r"Section 1 child\b", row.text), row.text          # as read


# -- a task's page -----------------------------------------------------------------------------
def test_a_task_s_page_has_a_polite_live_region_named_bars_and_focusable_log_and_data(site, superuser):
    """Nothing on the task page was a live region: a screen reader heard no state change nor
    progress while the page polled. Its progress bars had no name ("progress bar, 40" on the
    list, one per row), and the log and the data scroll inside boxes that took no focus, so
    a keyboard could not scroll them (a browser that does not focus scrollers itself)."""
    tasker = site.modules.get("Tasker")
    task = tasker.create_task("WebJobs", "count_to", site.pages.get(1), "Count slowly",
                              task_data={"target": 5, "say": "counting"})
    tasker.execute_task(task, {"invoker": "cron"})
    page = Markup(superuser.get(f"/admin/tasks/{task.id}/").text)
    live = page.select("p", id="task-announce")[0]
    assert live.attrs.get("role") == "status" and live.text == ""   # polite; said by admin.js
    for box_id, heading in (("task-log", "Log"), ("task-data", "Data")):
        box = page.by_id(box_id)
        assert box.attrs.get("tabindex") == "0"
        assert page.by_id(box.attrs["aria-labelledby"]).text == heading
    for path in (f"/admin/tasks/{task.id}/", "/admin/tasks/"):
        bars = Markup(superuser.get(path).text).select("progress")
        assert bars and all(bar.attrs.get("aria-label") == "Progress of Count slowly" for bar in bars)


def test_the_public_task_page_names_its_bar_and_says_a_new_state_politely(site, superuser, admin_server):
    """The public task template's bar (role=progressbar) had no name (axe:
    aria-progressbar-name), and its state changed in silence."""
    tasker = site.modules.get("Tasker")
    task = tasker.create_task("WebJobs", "count_to", site.pages.get(1), "Count in public",
                              task_data={"target": 5})
    site.templates["tasker-task"].set_access(view=["guest"])
    schema_seen_now(admin_server)
    answer = Client(admin_server).get(site.pages.get(task.id).url)
    assert answer.status == 200, answer.status
    page = Markup(answer.text)
    bar = page.by_id("task-progress")
    assert page.by_id(bar.attrs["aria-labelledby"]).text == "Count in public"
    polite = [e for e in page.root.walk() if e.attrs.get("aria-live") == "polite"]
    assert any(page.by_id("task-state") in list(e.walk()) for e in polite)
    assert not any(page.by_id("task-percent") in list(e.walk()) for e in polite)   # every 2 s: no


def test_the_task_list_says_which_filter_and_sort_are_chosen_and_names_its_pager(site, superuser):
    """The list's chosen state filter and sort were shown by a class (bold, a CSS arrow) only,
    and its pager was a bare paragraph: a screen reader heard neither what was chosen nor
    where the list's pages are."""
    tasker = site.modules.get("Tasker")
    for n in range(2):
        tasker.create_task("WebJobs", "count_to", site.pages.get(1), f"Task {n}", {"target": 1})
    page = superuser.get("/admin/tasks/?state=2&sort=progress&dir=asc").text
    current = re.findall(r'<a [^>]*aria-current="true"[^>]*>(.*?)</a>', page, re.S)
    assert len(current) == 2, current
    assert current[0].startswith("waiting")
    assert current[1].startswith("progress") and "(ascending)" in current[1]
    assert '<nav class="pager" aria-label="Pages of the list">' in page
    whole = superuser.get("/admin/tasks/").text
    assert re.search(r'<a [^>]*aria-current="true"[^>]*>all ', whole)
    assert re.search(r'aria-current="true"[^>]*>created<span class="visually-hidden"> \(descending\)', whole)


def summary_links(page: Markup) -> list[tuple[str, str]]:
    """(target id, text) of each link in a refused form's error summary; each target exists."""
    summary = [e for e in page.root.walk() if "error-summary" in e.attrs.get("class", "")]
    assert len(summary) == 1 and summary[0].attrs.get("role") == "alert"
    links = [(e.attrs["href"][1:], e.text) for e in summary[0].walk() if e.tag == "a"]
    for target, _ in links:
        page.by_id(target)            # raises when the link leads nowhere
    return links


def test_a_refused_form_lists_its_errors_at_the_top_each_a_link_to_its_field(site, superuser):
    """"Nothing was saved: correct the field(s) marked below" said neither which fields nor
    where: on a long form (a template's, a page with many fields) the marks could be screens
    below. The summary now lists each refused field's message, in the form's order, each a
    link to the message beside its field."""
    site.fields.add("size", "Integer", label="Size", min=1, max=9)
    site.templates.get("basic-page").add_field("size")
    edited = site.pages.add("basic-page", 1, "sized", title="Sized")
    answer = superuser.post(f"/admin/page/{edited.id}/edit", {
        "csrf_token": superuser.token(), "title": "", "size": "99", "name": "sized", "editor-after": "stay"})
    assert answer.status == 400
    links = summary_links(Markup(answer.text))
    assert [target for target, _ in links] == ["error-title", "error-size"]
    assert "required" in links[0][1] and "9" in links[1][1]
    refused = superuser.post("/admin/setup/templates/basic-page/edit", [
        ("csrf_token", superuser.token()), ("fields", "title"), ("view_roles", "guest")])
    assert refused.status == 400                     # roles ticked, "defines access" not
    assert [target for target, _ in summary_links(Markup(refused.text))] == ["error-access"]
    site.fields.add("body", "Textarea", label="Body")
    site.templates.add("article", fields=["title", "body"])
    site.pages.add("article", 1, "one", title="One", body="Text")
    asked = superuser.post("/admin/setup/templates/article/edit", [
        ("csrf_token", superuser.token()), ("fields", "title")])
    assert asked.status == 400 and 'name="confirm_remove"' in asked.text
    assert [target for target, _ in summary_links(Markup(asked.text))] == ["error-fields"]
    profile = superuser.post("/admin/profile/", {"csrf_token": superuser.token(), "email": "nope",
                                                 "current_password": "wrong password"})
    assert profile.status == 400
    assert {target for target, _ in summary_links(Markup(profile.text))} >= {"error-current_password"}
