"""The accessibility review's findings that need a browser: the keyboard (Tab, Enter, Space),
where the focus goes when part of a screen is replaced, what is announced, and the size of
what is clicked. Playwright and the system Chromium, as test_browser.py (whose fixtures these
tests share); run with `python -m pytest -m browser`. The markup's findings are in
test_a11y_findings.py."""
from __future__ import annotations

import time

import pytest
import test_browser as shared
from webclient import make_task

pytestmark = pytest.mark.browser

# test_browser.py's fixtures (a logged-out tab on a running server; no script error allowed on
# any page a test opens), found here by their names
browser, web_site, server, page = shared.browser, shared.web_site, shared.server, shared.page
log_in = shared.log_in

FOCUSED = "document.activeElement"


def focused(page, expression: str = ""):
    """What the focused element says: its attribute or property named by `expression`."""
    return page.evaluate(f"{FOCUSED}{expression}")


def record_what_is_said(page, region_id: str) -> None:
    """Keep every text the live region `region_id` is given in the page's `said` list."""
    page.evaluate("""(regionId) => {
        const live = document.getElementById(regionId);
        window.said = [];
        new MutationObserver(() => said.push(live.textContent))
            .observe(live, {childList: true, characterData: true, subtree: true});
    }""", region_id)


def test_space_and_enter_open_and_close_a_branch_from_the_keyboard(web_site, page):
    """The toggle was a link: Enter opened the branch, Space scrolled the page instead (a
    button's key), while a screen reader announced it as collapsed or expanded."""
    section = web_site.pages.add("basic-page", 1, "section", title="Section")
    inner = web_site.pages.add("basic-page", section, "inner", title="Inner")
    log_in(page)
    toggle = page.get_by_role("button", name="Children of Section")
    toggle.focus()
    page.keyboard.press("Space")
    page.locator(f"#page-{inner.id}").wait_for()
    assert toggle.get_attribute("aria-expanded") == "true"
    page.keyboard.press("Space")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert page.locator(f"#page-{inner.id}").is_hidden()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert focused(page, ".getAttribute('aria-label')") == "Children of Section"


def open_branch_of(web_site, page, count: int, title: str = "Big"):
    """A page with `count` children Item 00 ..., its branch opened in the tree."""
    big = web_site.pages.add("basic-page", 1, "big", title=title)
    with web_site.transaction():
        kids = [web_site.pages.add("basic-page", big, f"item-{i:02d}", title=f"Item {i:02d}")
                for i in range(count)]
    log_in(page)
    page.get_by_role("button", name=f"Children of {title}").click()
    page.locator(f"#page-{kids[0].id}").wait_for()
    return big, kids


def test_more_children_loaded_from_the_keyboard_take_the_focus_to_the_first_of_them(web_site, page):
    """"more (50 of 60 shown)" removed itself when pressed: the focus fell to the document,
    and the next Tab started from the top of the screen, eleven stops away."""
    big, kids = open_branch_of(web_site, page, 60)
    page.locator(f'ul[data-parent="{big.id}"] .tree-more a.more').focus()
    page.keyboard.press("Enter")
    page.locator(f"#page-{kids[59].id}").wait_for()
    page.wait_for_function(f"() => {FOCUSED}.closest('#page-{kids[50].id}') !== null", timeout=5000)
    assert focused(page, ".textContent") == "Item 50"


def test_a_long_list_s_filter_keeps_the_focus_in_its_input(web_site, page):
    """The filter replaced the list it sits in, itself included: after Enter in "Name or
    title contains" the focus was nowhere."""
    big, kids = open_branch_of(web_site, page, 60)
    search = page.locator(f'form.tree-filter[data-parent="{big.id}"] input[name=q]')
    search.fill("Item 07")
    page.keyboard.press("Enter")
    page.locator(f"#page-{kids[8].id}").wait_for(state="detached")
    page.wait_for_function(f"() => {FOCUSED}.name === 'q'", timeout=5000)
    assert focused(page, ".value") == "Item 07"
    assert focused(page, ".closest('ul').getAttribute('data-parent')") == str(big.id)


def test_a_row_moved_with_its_button_keeps_the_focus_on_that_button(web_site, page):
    """↑ and ↓ post a form and the tree comes back: the focus was at the top of the screen,
    so moving a row three places down took three trips through the menu and the tree."""
    parent = web_site.pages.add("basic-page", 1, "list", title="List")
    kids = [web_site.pages.add("basic-page", parent, f"kid-{n}", title=f"Kid {n}") for n in range(4)]
    log_in(page)
    page.get_by_role("button", name="Children of List").click()
    page.get_by_role("button", name="Move Kid 1 down").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/admin/?open={kids[1].id}")
    page.wait_for_function(f"() => {FOCUSED}.getAttribute('aria-label') === 'Move Kid 1 down'", timeout=5000)
    page.keyboard.press("Enter")                                  # again: now the last
    page.wait_for_url(f"**/admin/?open={kids[1].id}")
    page.wait_for_function(f"() => {FOCUSED}.getAttribute('aria-label') === 'Move Kid 1 up'", timeout=5000)
    assert [p.id for p in web_site.pages.get(parent.id).children()] == [
        kids[0].id, kids[2].id, kids[3].id, kids[1].id]


def test_a_field_removed_from_a_template_hands_the_focus_to_the_next(web_site, page):
    """"remove" took its row away, and the focus with it."""
    for name in ("summary", "note"):
        web_site.fields.add(name, "Text", label=name.title())
        web_site.templates.get("basic-page").add_field(name)
    log_in(page)
    page.goto(page.base + "/admin/setup/templates/basic-page/edit")
    names = page.locator("#template-fields li").evaluate_all("items => items.map(i => i.dataset.field)")
    assert len(names) >= 3
    page.get_by_role("button", name=f"Remove {names[0]}").focus()
    page.keyboard.press("Enter")
    assert focused(page, ".getAttribute('aria-label')") == f"Remove {names[1]}"
    page.get_by_role("button", name=f"Remove {names[-1]}").focus()        # the last: none after it
    page.keyboard.press("Space")
    assert focused(page, ".getAttribute('aria-label')") == f"Remove {names[-2]}"


def test_the_up_and_down_buttons_are_24_pixels_square_at_least(web_site, page):
    """WCAG 2.2's target size (2.5.8): ↑ and ↓ were 11 by 20 pixels, a space apart, in the
    tree and in a template's field order (axe: target-size)."""
    parent = web_site.pages.add("basic-page", 1, "list", title="List")
    for n in range(3):
        web_site.pages.add("basic-page", parent, f"kid-{n}", title=f"Kid {n}")
    log_in(page)
    page.get_by_role("button", name="Children of List").click()
    for name in ("Move Kid 1 up", "Move Kid 1 down"):
        box = page.get_by_role("button", name=name).bounding_box()
        assert box["width"] >= 24 and box["height"] >= 24, (name, box)
    page.goto(page.base + "/admin/setup/templates/basic-page/edit")
    for name in ("Move title up", "Move title down"):
        box = page.get_by_role("button", name=name).bounding_box()
        assert box["width"] >= 24 and box["height"] >= 24, (name, box)


def test_the_filter_on_a_page_of_children_of_its_own_finds_them(web_site, page):
    """The children's page (the tree's link without a script, the crumbs of a long list) has
    the same filter, outside any branch: the script took its Enter, found no branch to load
    into and failed (a script error), so the filter did nothing."""
    big = web_site.pages.add("basic-page", 1, "big", title="Big")
    with web_site.transaction():
        kids = [web_site.pages.add("basic-page", big, f"item-{i:02d}", title=f"Item {i:02d}")
                for i in range(60)]
    log_in(page)
    page.goto(page.base + f"/admin/page/{big.id}/children")
    page.fill("form.tree-filter input[name=q]", "Item 07")
    page.keyboard.press("Enter")
    page.locator(f"#page-{kids[8].id}").wait_for(state="detached", timeout=5000)
    assert page.locator("li.tree-node").count() == 1
    assert page.locator(f"#page-{kids[7].id}").is_visible()


def test_a_running_task_is_announced_politely_and_the_focus_stays_put(web_site, page):
    """While Run now took the steps, the page re-drew the task's status and its facts every
    step: nothing told a screen reader (no live region), and the facts' box was replaced
    whole, so a link focused in it (the page the task works on) went, and the focus with it.
    Now the state and every tenth of the progress are said in a polite live region, and the
    facts wait for the focus to leave them before they are re-drawn."""
    # 12 one-record steps (Run now forks a step process each, about 0.3 s: the test takes
    # 4 to 5 s): their figures 8, 17, 25 ... 92%, of which 58% starts no new tenth
    task = make_task(web_site, title="Count aloud", target=12, per_step=1)
    log_in(page)
    page.goto(f"{page.base}/admin/tasks/{task.id}/")
    page.get_by_role("button", name="Run now").click()
    page.wait_for_url(f"{page.base}/admin/tasks/{task.id}/")
    record_what_is_said(page, "task-announce")
    works_on = page.locator("#task-panel dd a").first
    works_on.focus()
    page.wait_for_function("() => document.getElementById('task-announce').textContent.includes('finished')",
                           timeout=30000)
    said = page.evaluate("said")
    assert any(text.endswith("% done") for text in said), said           # progress, by tenths
    assert len(said) < 12, said                                    # not each step's figure
    assert said[-1] == "Count aloud: finished, 100%", said
    assert focused(page, ".getAttribute('href')") == works_on.get_attribute("href")
    assert page.locator("#task-records").inner_text() != "12"           # kept while focused
    page.locator("#task-log").focus()                                   # the focus leaves the facts
    page.wait_for_function("() => document.getElementById('task-records').textContent === '12'",
                           timeout=5000)


def test_the_task_list_says_which_rows_changed_state_and_not_their_progress(web_site, page):
    """The list re-drew a row whose task finished elsewhere (its counts too) and said nothing
    to a screen reader: the task page had a live region, the list none. Now a poll's state
    changes are said in one polite message; a step's progress alone is not."""
    tasker = web_site.modules.get("Tasker")
    quiet = make_task(web_site, title="Counting quietly", target=4, per_step=1)
    done = make_task(web_site, title="Done elsewhere", target=1)
    tasker.activate_task(quiet)
    tasker.activate_task(done)
    log_in(page)
    page.goto(page.base + "/admin/tasks/")
    record_what_is_said(page, "tasks-announce")
    tasker.execute_task(quiet.id, {"invoker": "cron", "timeout": time.time() + 10})  # 25%: same state
    tasker.execute_task(done.id, {"invoker": "cron", "timeout": time.time() + 10})
    page.wait_for_function("() => said.length > 0", timeout=15000)    # the list polls every 2 s
    page.wait_for_timeout(2500)                                         # a round more: nothing else said
    assert page.evaluate("said") == ["Done elsewhere: finished"]
    assert page.get_attribute("#tasks-announce", "role") == "status"
