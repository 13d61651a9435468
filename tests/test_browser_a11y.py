"""The accessibility review's findings that need a browser: the keyboard (Tab, Enter, Space),
where the focus goes when part of a screen is replaced, what is announced, and the size of
what is clicked. Playwright and the system Chromium, as test_browser.py (whose fixtures these
tests share); run with `python -m pytest -m browser`. The markup's findings are in
test_a11y_findings.py."""
from __future__ import annotations

import pytest
import test_browser as shared

pytestmark = pytest.mark.browser

# test_browser.py's fixtures (a logged-out tab on a running server; no script error allowed on
# any page a test opens), found here by their names
browser, web_site, server, page = shared.browser, shared.web_site, shared.server, shared.page
log_in = shared.log_in

FOCUSED = "document.activeElement"


def focused(page, expression: str = ""):
    """What the focused element says: its attribute or property named by `expression`."""
    return page.evaluate(f"{FOCUSED}{expression}")


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
