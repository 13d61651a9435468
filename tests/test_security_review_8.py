"""An eighth hostile review, of what landed on 2026-12-07: the login form that keeps a form
sent after the login ended, the page editor's merge of two tabs' saves, the tree's filter as
typed, and the rewritten relative dates. Each test failed before its fix."""
from __future__ import annotations

import textwrap
from pathlib import Path
from urllib.parse import quote

import pytest
import test_browser as shared
from test_ux_findings_6 import log_out_in_another_tab
from webclient import PASSWORD, FormValues, Response, make_task, state_of

from cms.errors import ModuleError, SelectorError, ValidationError
from cms.tasker import TaskState

# test_browser.py's fixtures (a logged-out tab on a running server), found here by their names
browser, web_site, server, page = shared.browser, shared.web_site, shared.server, shared.page
log_in = shared.log_in


def test_a_relative_date_in_the_year_0000_is_refused_as_a_date_it_cannot_read(site):
    """"first day of january 0000" reached datetime.replace(year=0), whose ValueError no caller
    catches: a selector holding it (Find, the API) answered 500, and the page editor's
    Datetime input too, where every other year out of range is refused with a message."""
    site.fields.add("when", "Datetime", label="When")
    site.templates.add("event", fields=["title", "when"])
    event = site.pages.add("event", 1, "meetup", title="Meetup")
    with pytest.raises(SelectorError, match="outside the years 1000..9999"):
        site.pages.find('when<"first day of january 0000"')
    with pytest.raises(ValidationError):
        event.set("when", "last day of february 0000")


def test_a_date_whose_zone_puts_it_past_the_years_taken_is_refused_as_outside_them(site):
    """A date with a zone's offset is turned to UTC after its year was checked, or not at all:
    "9999-12-31T23:59:59-01:00" (the year 10000 in UTC) raised OverflowError out of the
    selector and the Datetime field (a 500 in Find and the page editor), and the field
    stored "1000-01-01T00:30+01:00" as 0999-12-31, outside the years 1000..9999 it takes."""
    site.fields.add("when", "Datetime", label="When")
    site.templates.add("event", fields=["title", "when"])
    event = site.pages.add("event", 1, "meetup", title="Meetup")
    with pytest.raises(SelectorError, match="outside the years 1000..9999"):
        site.pages.find('when<"9999-12-31T23:59:59-01:00"')
    for value in ("9999-12-31T23:59:59-01:00", "1000-01-01T00:30+01:00"):
        with pytest.raises(ValidationError, match="outside the years 1000..9999"):
            event.set("when", value)


def test_the_tree_s_filter_of_a_title_in_another_script_finds_that_title_alone(site, superuser):
    """The filter looks in the names too only when the text gives a page name, as `name%=`
    of nothing matches every page. It asked `sanitizer.page_name`, which spells "Москва" out
    as "moskva", where the selector reads a name value without what is outside ASCII
    (`name_value`: nothing at all): every child was listed as matching a Russian or Greek
    title typed into the filter."""
    cities = site.pages.add("basic-page", 1, "cities", title="Cities")
    with site.transaction():
        for n in range(60):
            site.pages.add("basic-page", cities, f"city-{n:02d}", title=f"City {n:02d}")
    site.pages.add("basic-page", cities, "moscow", title="Москва")
    found = superuser.get(f"/admin/page/{cities.id}/children?q={quote('Москва')}",
                          headers={"X-Requested-With": "fetch"})
    assert found.status == 200
    assert "1 matching children" in found.text and "City 00" not in found.text


def sent_again_after_the_login(client, path: str, form: list[tuple[str, str]]) -> Response:
    """`form` sent to `path` after the login ended (from a page of this site), then the login
    form that keeps it sent with the password: the page that offers to send it again."""
    login = client.post(path, form, headers={"Sec-Fetch-Site": "same-origin"})
    assert login.status == 403 and 'class="login-form"' in login.text, login
    kept = [(name, value) for name, value in FormValues(login.text, 'class="login-form"').pairs
            if name not in ("username", "password")]
    return client.post("/admin/login", [*kept, ("username", "admin"), ("password", PASSWORD)])


def test_a_form_sent_again_after_the_login_is_asked_the_question_its_screen_asks(site, superuser):
    """The page offering to send again a form kept through the login is confirm.html, which
    adds `confirmed=1` to what it sends: a task's Kill clicked without the admin's script
    (no `confirmed` in it: the screen asks "Kill the task ...?" before it kills) was done at
    once by "Send it again", the screen's own question never asked. The form goes again as
    it was sent, and meets the question."""
    task = make_task(site, title="Nightly import")
    before = state_of(site, task)
    action = f"/admin/tasks/{task.id}/action"
    form = FormValues(superuser.get("/admin/tasks/").text, f'action="{action}"').pairs
    assert superuser.post("/admin/logout", {"csrf_token": superuser.token()}).status == 303
    offered = sent_again_after_the_login(superuser, action, [*form, ("cmd", "kill")])
    assert offered.status == 200 and f'action="{action}"' in offered.text
    sent = superuser.post(action, FormValues(offered.text, f'action="{action}"').pairs)
    assert sent.status == 200 and "Kill the task Nightly import?" in sent.text, sent
    assert state_of(site, task) == before != TaskState.KILLED


def test_a_kept_form_is_offered_only_to_the_address_it_was_sent_to(site, superuser):
    """A form sent to an address the login's `next` may not hold (a backslash or a control
    character in it, or over 2,048 characters: `safe_next` gives /admin/ instead) was kept
    all the same, beside next=/admin/: once logged in, "Send it again" posted the page
    editor's values to the start screen, said as where they had been sent."""
    about = site.pages.add("basic-page", 1, "about", title="About")
    edit = f"/admin/page/{about.id}/edit"
    form = FormValues(superuser.get(edit).text, 'class="editor"').pairs
    assert superuser.post("/admin/logout", {"csrf_token": superuser.token()}).status == 303
    for address in (f"{edit}?from=%5C", f"{edit}?from={'x' * 2100}"):
        answer = sent_again_after_the_login(superuser, address, form)
        assert answer.status == 303 and 'action="/admin/"' not in answer.text, answer
        assert superuser.post("/admin/logout", {"csrf_token": superuser.token()}).status == 303


QUITS_AS_IT_STARTS = textwrap.dedent('''
    import sys
    import cms


    class Quitter(cms.Module):
        info = {"title": "Quitter", "version": "1.0.0", "summary": "exits as it starts"}

        def init(self):
            sys.exit(0)
''')


def test_a_module_that_exits_as_it_is_installed_fails_to_install(site):
    """A module whose init() calls sys.exit() is reported as failing to load at boot and at
    get(), but `Modules.install` let the SystemExit through: the admin's Install of it
    ended in the server thread that served it, whose request was never answered (the
    browser waited until its own timeout), and a script installing it ended, saying
    nothing, exit 0."""
    folder = Path(site.site_dir) / "modules"
    folder.mkdir(exist_ok=True)
    (folder / "quitter.py").write_text(QUITS_AS_IT_STARTS)
    with pytest.raises(ModuleError, match=r"sys\.exit\(0\)"):
        site.modules.install("Quitter")


@pytest.mark.browser
def test_a_task_run_from_its_page_after_the_login_ended_shows_no_login_page_in_its_panel(
        web_site, page):
    """Run now on a task's page asks for one step at a time and re-draws the task's panel after
    each, refused ones too. The panel's fetch did not say it was the admin's script
    (X-Requested-With), so once the login ended (a logout in another tab) the refusal was a
    redirect to the login page, which fetch followed: the whole login page was drawn inside
    the task's page, as the tree drew it in a branch before its own fetches said so."""
    task = make_task(web_site, title="Long count", target=200, per_step=1, delay=0.2)
    log_in(page)
    page.goto(f"{page.base}/admin/tasks/{task.id}/")
    page.click(f'button[formaction="/admin/tasks/{task.id}/run"]')
    page.locator("#run-note", has_text="Running:").wait_for(timeout=10000)
    log_out_in_another_tab(page)
    page.locator("#run-note", has_text="Stopped").wait_for(timeout=15000)
    page.wait_for_timeout(1500)          # the panel's own fetch, sent after the refusal
    assert page.locator("#task-panel form.login-form").count() == 0
    assert page.locator("main h1").count() == 1


def test_a_kept_form_outlives_a_login_in_another_tab(site, superuser):
    """Two tabs saved after the login ended each meet the login form keeping what they sent.
    A login through the first gives the session a new token, so the second's login form
    was refused as expired (403, "reload the page and try again", whose reload sends the
    same stale token): what it kept was lost, though the page had said "Log in to send it
    again". Its form comes back with what it keeps and a token that holds."""
    first = site.pages.add("basic-page", 1, "first", title="First")
    second = site.pages.add("basic-page", 1, "second", title="Second")
    forms = {page.id: as_typed(superuser, page, f"Typed for {page.name}") for page in (first, second)}
    assert superuser.post("/admin/logout", {"csrf_token": superuser.token()}).status == 303
    login_forms = {}
    for page_id, form in forms.items():
        login = superuser.post(f"/admin/page/{page_id}/edit", form,
                               headers={"Sec-Fetch-Site": "same-origin"})
        login_forms[page_id] = [(name, value) for name, value
                                in FormValues(login.text, 'class="login-form"').pairs
                                if name not in ("username", "password")]
    credentials = [("username", "admin"), ("password", PASSWORD)]
    assert superuser.post("/admin/login", [*login_forms[first.id], *credentials]).status == 200
    again = superuser.post("/admin/login", [*login_forms[second.id], *credentials],
                           headers={"Sec-Fetch-Site": "same-origin"})
    assert 'value="Typed for second"' in again.text, again
    form = FormValues(again.text, 'class="login-form"').pairs
    offered = superuser.post("/admin/login", [*(p for p in form if p[0] not in ("username", "password")),
                                              *credentials])
    assert offered.status == 200 and 'value="Typed for second"' in offered.text


def as_typed(client, page, title: str) -> list[tuple[str, str]]:
    """The page editor's form of `page` as a browser sends it with `title` typed."""
    return [(name, title if name == "title" else value)
            for name, value in FormValues(client.get(f"/admin/page/{page.id}/edit").text,
                                          'class="editor"').pairs]
