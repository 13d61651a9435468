"""The admin in a real browser: Playwright driving the system Chromium (`apt-get install
chromium`; no browser is downloaded). Run with `python -m pytest -m browser`.

Screenshots of each scenario land in tests/artifacts/.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from webclient import PASSWORD, make_task, prepare_site, running_server, state_of

from cms.tasker.runners import WorkerProcess

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--disable-gpu"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"the browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def web_site(site, tmp_path):
    prepare_site(site, tmp_path, ajax_timeout=2)
    return site


@pytest.fixture
def server(web_site, db_url, tmp_path):
    with running_server(db_url, tmp_path, threads=8) as running:
        yield running


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("dialog", lambda dialog: dialog.accept())
    tab.base = server.url.rstrip("/")
    yield tab
    context.close()
    assert not errors, errors          # no script error on any page the test opened


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(page) -> None:
    page.goto(page.base + "/admin/")
    assert "/admin/login" in page.url
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login-form button[type=submit]")
    page.wait_for_url(page.base + "/admin/")


def test_log_in_open_the_tree_and_expand_a_node(web_site, page):
    big = web_site.pages.add("basic-page", 1, "big", title="Big section")
    with web_site.transaction():
        for i in range(60):
            web_site.pages.add("basic-page", big, f"item-{i:02d}", title=f"Item {i:02d}")
    log_in(page)
    node = page.locator(f'.tree-node[data-id="{big.id}"]')
    assert "60" in node.locator(".count").first.inner_text()
    node.locator(".tree-toggle").first.click()
    children = page.locator(f'ul[data-parent="{big.id}"] > li.tree-node')
    children.nth(49).wait_for()
    assert children.count() == 50
    page.click(f'ul[data-parent="{big.id}"] .tree-more a.more')
    children.nth(59).wait_for()
    assert children.count() == 60
    shot(page, "tree-expanded")
    node.locator(".tree-toggle").first.click()                   # and closed again
    assert page.locator(f'ul[data-parent="{big.id}"]').is_hidden()


def test_run_now_runs_the_task_to_100_percent(web_site, page):
    task = make_task(web_site, title="Count in the browser", target=12, per_step=3, delay=0.05,
                     say="counting")
    log_in(page)
    page.goto(page.base + "/admin/tasks/")
    row = page.locator(f'tr[data-task-id="{task.id}"]')
    assert row.get_by_role("link", name="Details").is_visible()
    row.get_by_role("button", name="Run now").click()
    page.wait_for_url(f"{page.base}/admin/tasks/{task.id}/")
    status = page.locator(f'#task-detail .task-status[data-task-id="{task.id}"]')
    assert status.get_by_role("link", name="Details").is_hidden()    # the page it is on
    seen: set[str] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        percent = status.locator(".percent").inner_text()
        seen.add(percent)
        if percent == "100%":
            break
        time.sleep(0.05)
    assert status.locator(".percent").inner_text() == "100%"
    assert len(seen) >= 2                                  # the bar moved, step by step
    page.wait_for_function("() => document.querySelector('#run-note').textContent.includes('finished')")
    assert status.locator(".state").inner_text().lower() == "finished"
    page.locator("#task-log li", has_text="counting").first.wait_for()
    page.wait_for_function("() => document.querySelector('#task-records').textContent === '12'")
    shot(page, "run-now-finished")
    assert state_of(web_site, task) == 3


def test_the_list_counts_follow_a_row_that_changes_state(web_site, page):
    task = make_task(web_site, title="Finished elsewhere", target=2)
    tasker = web_site.modules.get("Tasker")
    tasker.activate_task(task)
    log_in(page)
    page.goto(page.base + "/admin/tasks/")
    active = page.locator('.filters [data-count-state="1"]')
    finished = page.locator('.filters [data-count-state="3"]')
    assert (active.inner_text(), finished.inner_text()) == ("1", "0")
    modified = page.locator(f'tr[data-task-id="{task.id}"] td[data-label="modified"]')
    before = modified.inner_text()
    time.sleep(1.1)                                        # `modified` counts whole seconds
    tasker.execute_task(task.id, {"invoker": "cron", "timeout": time.time() + 10})
    deadline = time.monotonic() + 15                       # the list polls every 2 s
    while finished.inner_text() != "1" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert (active.inner_text(), finished.inner_text()) == ("0", "1")
    now = web_site.pages.get(task.id).modified.strftime("%Y-%m-%d %H:%M:%S UTC")
    assert modified.inner_text() == now != before          # the column follows the task too
    row = page.locator(f'tr[data-task-id="{task.id}"] .task-status')
    assert row.get_attribute("data-state") == "3"
    row.locator('button[value="trash"]').click()                # a row dropped leaves its counts
    page.locator(f'tr[data-task-id="{task.id}"]').wait_for(state="detached")
    everything = page.locator(".filters a").first.locator(".count")
    assert (everything.inner_text(), finished.inner_text()) == ("0", "0")


def test_a_waiting_row_follows_a_task_activated_elsewhere_within_a_few_seconds(web_site, page):
    """A task waiting when the list was opened, then activated from another tab, the CLI or
    a schedule: its row polled only every eighth round (16 s), so it went on saying WAITING
    with a still bar, and the counts "active 0", while a worker ran it."""
    task = make_task(web_site, title="Started elsewhere", target=2)
    tasker = web_site.modules.get("Tasker")
    log_in(page)
    page.goto(page.base + "/admin/tasks/")
    row = page.locator(f'tr[data-task-id="{task.id}"] .task-status')
    assert row.get_attribute("data-state") == "2"
    time.sleep(0.5)
    tasker.activate_task(task)
    started = time.monotonic()
    page.wait_for_function(
        f"""() => {{
            const el = document.querySelector('tr[data-task-id="{task.id}"] .task-status');
            return el && el.getAttribute('data-state') === '1';
        }}""", timeout=20000)
    assert time.monotonic() - started < 6, "the row showed the change only after %.1f s" % (
        time.monotonic() - started)
    assert page.locator('.filters [data-count-state="1"]').inner_text() == "1"


def test_trash_on_a_task_s_page_goes_to_the_list_and_a_task_gone_stops_the_polls(web_site, page):
    """The page stayed, showing a task that was gone, and its poller asked for it (404) for
    ever; then the list opened without a word of what had happened."""
    task = make_task(web_site, title="Thrown away", target=2)
    other = make_task(web_site, title="Deleted elsewhere", target=2)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page)
    page.goto(f"{page.base}/admin/tasks/{task.id}/")
    page.locator('#task-detail .task-status button[value="trash"]').click()
    page.wait_for_url(f"{page.base}/admin/tasks/")
    assert web_site.pages.get(task.id).is_trash()
    page.locator(".notice", has_text="Thrown away").wait_for(timeout=3000)   # it says so
    page.goto(f"{page.base}/admin/tasks/{other.id}/")
    web_site.modules.get("Tasker").trash_task(other)
    page.locator("#task-error", has_text="no longer here").wait_for(timeout=10000)
    seen = len(errors)
    time.sleep(3.5)                                   # two more rounds, were it still asking
    assert len(errors) == seen


def test_suspend_a_task_a_worker_is_running(web_site, page, tmp_path, db_url):
    task = make_task(web_site, title="Long count", target=3000, delay=0.01)
    web_site.modules.get("Tasker").activate_task(task)
    worker = WorkerProcess(tmp_path, db_url, processes=1).start()
    try:
        tasker = web_site.modules.get("Tasker")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            fresh = tasker.get_task_by_id(task.id)
            if fresh.get("task_running") and (fresh.get("progress") or 0) > 0:
                break
            time.sleep(0.2)
        else:
            pytest.fail("the worker did not start the task: " +
                        (tmp_path / "worker.log").read_text()[-2000:])
        log_in(page)
        page.goto(page.base + "/admin/tasks/")
        status = page.locator(f'#task-list .task-status[data-task-id="{task.id}"]')
        assert status.locator(".state").inner_text().lower() == "running"
        first_progress = int(status.locator(".percent").inner_text().rstrip("%"))
        page.wait_for_function(
            f"""() => {{
                const el = document.querySelector(
                    '.task-status[data-task-id="{task.id}"] .percent');
                return el && parseInt(el.textContent) > {first_progress};
            }}""", timeout=30000)                          # the bar follows the worker live
        shot(page, "worker-running")
        status.get_by_role("button", name="Deactivate").click()
        page.wait_for_function(
            f"""() => {{
                const el = document.querySelector('.task-status[data-task-id="{task.id}"]');
                return el && el.getAttribute('data-state') === '2'
                    && el.getAttribute('data-running') === '0';
            }}""", timeout=30000)
        stopped_at = status.locator(".percent").inner_text()
        assert status.locator(".state").inner_text().lower() == "waiting"
        time.sleep(2.5)                                    # it stays stopped
        assert status.locator(".percent").inner_text() == stopped_at
        shot(page, "worker-suspended")
        fresh = tasker.get_task_by_id(task.id)
        assert int(fresh.get("task_state")) == 2 and not fresh.get("task_running")
        assert 0 < int(fresh.get("progress")) < 100
    finally:
        worker.stop()


def test_a_visitor_watches_a_task_on_its_public_page(web_site, page, db_url, tmp_path):
    import cms
    web_site.templates["tasker-task"].set_access(view=["guest"])    # the site opens them
    task = make_task(web_site, title="Public count", target=40, delay=0.05, per_step=8)
    tasker = web_site.modules.get("Tasker")
    tasker.activate_task(task)
    page.goto(page.base + task.path)
    assert page.locator("#task-title").inner_text() == "Public count"
    assert page.locator("#task-percent").inner_text() == "0"

    def runner() -> None:
        own = cms.boot(db_url, site_dir=tmp_path)
        try:
            runner_tasker = own.modules.get("Tasker")
            while runner_tasker.is_active(task.id):
                runner_tasker.execute_task(task.id, {"invoker": "test"})
        finally:
            own.close()

    thread = threading.Thread(target=runner)
    thread.start()
    page.wait_for_function("() => parseInt(document.querySelector('#task-percent').textContent) > 0",
                           timeout=30000)
    page.wait_for_function("() => document.querySelector('#task-state').textContent === 'finished'",
                           timeout=60000)
    thread.join(30)
    assert page.locator("#task-percent").inner_text() == "100"
    shot(page, "public-task-finished")


def test_create_a_field_add_it_to_a_template_and_edit_a_page_with_it(web_site, page):
    about = web_site.pages.add("basic-page", 1, "about", title="About")
    log_in(page)
    page.click("header.top nav >> text=Setup")
    page.click("text=Add a field")
    page.fill("#input-name", "rating")
    assert not page.locator("#input-setting_min").is_visible()   # Text's alone, by the script
    page.select_option("#input-type", "Integer")
    assert page.locator("#input-setting_min").is_visible()       # the type's own settings
    assert not page.locator("#input-setting_maxlength").is_visible()
    page.fill("#input-label", "Rating")
    page.fill("#input-setting_min", "1")
    page.fill("#input-setting_max", "5")
    page.click("#field-form button[type=submit]")
    page.wait_for_url("**/admin/setup/fields/rating/edit")
    page.goto(page.base + "/admin/setup/templates/basic-page/edit")
    page.check('#field-add_field input[value="rating"]')
    page.click("#template-form button[type=submit]")
    page.wait_for_url("**/admin/setup/templates/basic-page/edit")
    assert page.locator("#template-fields li", has_text="Rating").count() == 1
    page.locator('#template-fields li[data-field="rating"] button[data-move="up"]').click()
    assert page.locator("#template-fields li").first.get_attribute("data-field") == "rating"
    page.click("#template-form button[type=submit]")
    page.wait_for_url("**/admin/setup/templates/basic-page/edit")
    page.goto(f"{page.base}/admin/page/{about.id}/edit")
    page.fill("#input-rating", "9")
    page.click("text=Save + Exit")
    assert "above the maximum 5" in page.locator("#field-rating .field-error").inner_text()
    page.fill("#input-rating", "4")
    page.click("text=Save + Exit")
    page.wait_for_url(f"**/admin/?open={about.id}")
    shot(page, "setup-field-in-editor")
    web_site.load_schema()                      # the server changed it
    assert web_site.pages.get(about.id).rating == 4


def test_find_pages_with_a_typed_selector(web_site, page):
    for n in range(30):
        web_site.pages.add("basic-page", 1, f"word-{n:02d}", title=f"Word {n:02d}")
    log_in(page)
    page.click("header.top nav >> text=Find")
    page.fill("#input-selector", "title^=Word, sort=-title")
    page.click("#find-form button:text-is('Find')")
    page.locator("#find-results").wait_for()
    assert "30 page(s) found" in page.locator("#find-total").inner_text()
    assert page.locator("#find-results tbody tr").first.inner_text().startswith("Word 29")
    page.click("a[rel=next]")
    page.locator("#find-results tbody tr").first.wait_for()
    assert page.locator("#find-results tbody tr").count() == 5
    page.fill("#input-selector", "title^=Word, oops")
    page.click("#find-form button:text-is('Find')")
    assert "position" in page.locator("#field-selector .field-error").inner_text()
    shot(page, "find-error")
    page.fill("#input-selector", "title=Word 07")
    page.click("#find-form button:text-is('Find')")
    page.click("#find-results tbody a")
    assert "Edit: Word 07" in page.locator("h1").inner_text()


def test_trash_asks_in_a_dialog_and_then_not_again(web_site, page):
    """The script's dialog is the question: said yes there, the server asks no more (its own
    page asks only a browser without the script)."""
    about = web_site.pages.add("basic-page", 1, "about", title="About")
    web_site.pages.add("basic-page", about, "team", title="Team")
    alone = web_site.pages.add("basic-page", 1, "alone", title="Alone")
    asked: list[str] = []
    page.on("dialog", lambda dialog: asked.append(dialog.message))
    log_in(page)
    for trashed, title in ((about, "About"), (alone, "Alone")):
        page.locator(f"#page-{trashed.id}").hover()
        page.click(f"#page-{trashed.id} form[action$='/trash'] button")
        page.locator(".notice", has_text=f"Moved {title} to the trash").wait_for()
        assert web_site.pages.get(trashed.id).is_trash()
    # children are named only where there are some
    assert asked == ["Move About and its children to the trash?", "Move Alone to the trash?"]
    assert page.locator("#confirm-form").count() == 0


def test_empty_the_trash(web_site, page):
    kept = web_site.pages.add("basic-page", 1, "kept", title="Kept")
    for n in range(3):
        web_site.pages.add("basic-page", 1, f"old-{n}", title=f"Old {n}").trash()
    log_in(page)
    page.click("header.top nav >> text=Trash")
    assert page.locator("#trash-list tbody tr").count() == 3
    page.check("#empty-trash input[name=confirm]")
    page.click("#empty-trash button")                    # the confirm dialog is accepted
    page.locator(".notice", has_text="deleted for good").wait_for()
    shot(page, "trash-emptied")
    assert web_site.pages.count("parent=7, include=all") == 0
    assert web_site.pages.get(kept.id)


@pytest.fixture
def greeter(tmp_path):
    (tmp_path / "modules").mkdir(exist_ok=True)
    (tmp_path / "modules" / "greeter.py").write_text(
        "import cms\n\nclass Greeter(cms.Module):\n"
        "    info = {'title': 'Greeter', 'version': '1.0.0', 'summary': 'Says hello'}\n"
        "    config_defaults = {'greeting': 'hello', 'times': 1}\n"
        "    config_limits = {'times': (1, 10)}\n")


def test_install_configure_and_uninstall_a_module(greeter, web_site, page):
    log_in(page)
    page.click("header.top nav >> text=Modules")
    row = page.locator('tr[data-module="Greeter"]')
    row.get_by_role("button", name="Install").click()
    page.locator(".notice", has_text="Installed the module Greeter").wait_for()
    row.get_by_role("link", name="Settings").click()
    page.fill("#input-times", "20")
    page.click("#module-settings button[type=submit]")
    assert "from 1 to 10" in page.locator("#field-times .field-error").inner_text()
    page.fill("#input-times", "3")
    page.fill("#input-greeting", "hi")
    page.click("#module-settings button[type=submit]")
    page.locator(".notice", has_text="Saved the settings").wait_for()
    assert web_site.modules.get_config("Greeter") == {"greeting": "hi", "times": 3}
    shot(page, "module-settings")
    page.goto(page.base + "/admin/modules/")
    row.get_by_role("button", name="Uninstall").click()
    page.locator(".notice", has_text="Uninstalled the module Greeter").wait_for()
    assert not web_site.modules.is_installed("Greeter")


def test_reorder_children_by_drag_and_drop_and_by_buttons(web_site, page):
    parent = web_site.pages.add("basic-page", 1, "list", title="List")
    kids = [web_site.pages.add("basic-page", parent, f"kid-{n}", title=f"Kid {n}")
            for n in range(3)]
    log_in(page)
    node = page.locator(f'.tree-node[data-id="{parent.id}"]')
    node.locator(".tree-toggle").first.click()
    rows = page.locator(f'ul[data-parent="{parent.id}"] > li.tree-node')
    rows.nth(2).wait_for()
    page.locator(f"#page-{kids[2].id} .tree-title").drag_to(
        page.locator(f"#page-{kids[0].id} .tree-title"), target_position={"x": 5, "y": 2})
    page.wait_for_selector(f'ul[data-parent="{parent.id}"][data-saved-order]')
    expected = [kids[2].id, kids[0].id, kids[1].id]
    assert [int(rows.nth(i).get_attribute("data-id")) for i in range(3)] == expected
    assert [p.id for p in web_site.pages.get(parent.id).children()] == expected
    page.locator(f"#page-{kids[2].id}").hover()                 # now first: no ↑
    assert page.locator(f'#page-{kids[2].id} button[value="up"]').is_hidden()
    assert page.locator(f'#page-{kids[2].id} button[value="down"]').is_visible()
    assert page.locator(f'#page-{kids[0].id} button[value="up"]').get_attribute("hidden") is None
    assert page.locator(f'#page-{kids[1].id} button[value="down"]').get_attribute("hidden") == ""
    page.reload()                                  # the open branch is remembered
    rows.nth(2).wait_for()
    assert [int(rows.nth(i).get_attribute("data-id")) for i in range(3)] == expected
    page.locator(f"#page-{kids[2].id}").hover()
    page.get_by_role("button", name="Move Kid 2 down").click()      # the keyboard's way
    page.wait_for_url(f"**/admin/?open={kids[2].id}")
    rows.nth(2).wait_for()
    assert [p.id for p in web_site.pages.get(parent.id).children()] == [
        kids[0].id, kids[2].id, kids[1].id]
    shot(page, "tree-reordered")


def test_the_keyboard_reaches_the_actions_of_a_row_whose_title_is_no_link(web_site, page):
    """Actions are shown on hover or when focus is in the row, but hidden ones (visibility)
    took no focus: a row with no link before them (the empty Trash, the admin's pages, a
    page the user may not edit) kept its ↑ ↓ View New from the keyboard."""
    log_in(page)
    page.locator("#page-7").wait_for()              # the Trash, empty: a leaf, its title no link
    reached = []
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.getAttribute('aria-label')"))
        if reached[-1] == "Move Trash down":
            break
    assert "Move Trash down" in reached, [r for r in reached if r]
    assert page.locator('#page-7 button[value="down"]').is_visible()


def test_the_admin_fits_a_phone_and_the_404_page_leads_home(web_site, browser, server):
    about = web_site.pages.add("basic-page", 1, "about", title="About with a rather long title")
    task = make_task(web_site, title="A task with a long title to wrap on a phone", target=5)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    phone = context.new_page()
    phone.base = server.url.rstrip("/")
    log_in(phone)
    for path in ("/admin/", "/admin/tasks/", f"/admin/tasks/{task.id}/",
                 f"/admin/page/{about.id}/edit", "/admin/setup/fields/", "/admin/find/"):
        phone.goto(phone.base + path)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
        if path.startswith("/admin/tasks/"):            # the progress bar is drawn, not 0 wide
            bar = phone.locator("progress").first.bounding_box()
            assert bar and bar["width"] >= 80, (path, bar)
    shot(phone, "phone-edit-form")
    phone.goto(phone.base + "/no/such/page/")
    assert "There is no page at this address" in phone.content()
    phone.click("text=Go to the home page")
    phone.wait_for_url(phone.base + "/")
    icon = phone.request.get(phone.base + "/favicon.ico")
    assert icon.status == 200 and "svg" in icon.headers["content-type"]
    context.close()


def test_create_a_role_and_a_user_who_edits_pages_but_not_setup(web_site, browser, page):
    """A role made on the Access screen, given page-edit on one template in Setup: its user
    edits pages of that template and nothing else."""
    about = web_site.pages.add("basic-page", 1, "about", title="About")
    log_in(page)
    page.click("header.top nav >> text=Access")
    page.click("nav.subnav >> text=Roles")
    page.fill("#input-name", "writer")
    page.check('#field-permissions input[value="page-edit"]')
    page.click("#role-form button[type=submit]")
    page.locator(".notice", has_text="Added the role writer").wait_for()
    page.click("nav.subnav >> text=Users")
    page.click("text=Add a user")
    page.fill("#input-name", "wanda")
    page.fill("#input-password", "short")
    page.check('#field-roles input[value="writer"]')
    page.click("#user-form button[type=submit]")
    assert "too short" in page.locator("#field-password .field-error").inner_text()
    page.fill("#input-password", PASSWORD)
    page.click("#user-form button[type=submit]")
    page.locator("#user-list tr", has_text="wanda").wait_for()
    shot(page, "access-users")
    page.goto(page.base + "/admin/setup/templates/basic-page/edit")
    page.check("#field-use_roles input")
    page.check('#field-view_roles input[value="guest"]')
    page.check('#field-edit_roles input[value="writer"]')
    page.click("#template-form button[type=submit]")
    page.locator(".notice", has_text="Saved the template basic-page").wait_for()
    assert page.locator('#field-edit_roles input[value="writer"]').is_checked()
    shot(page, "setup-template-access")
    web_site.templates.load()
    assert web_site.templates["basic-page"].access_roles()["edit"] == ["writer"]
    page.click("form.logout button")
    page.goto(page.base + "/admin/login")
    page.fill("input[name=username]", "wanda")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login-form button[type=submit]")
    page.wait_for_url(page.base + "/admin/")
    assert page.locator("header.top nav >> text=Setup").count() == 0
    page.goto(f"{page.base}/admin/page/{about.id}/edit")
    page.fill("#input-title", "About us")
    page.click("text=Save + Exit")
    page.wait_for_url(f"**/admin/?open={about.id}")
    assert web_site.pages.get(about.id).title == "About us"
    answer = page.goto(f"{page.base}/admin/page/1/edit")        # home: not a writer's template
    assert answer.status == 403
    answer = page.goto(page.base + "/admin/setup/fields/")
    assert answer.status == 403


def test_password_inputs_are_as_wide_as_the_inputs_beside_them(web_site, page):
    """Add a user, a user's page and Profile drew their password inputs at the browser's
    default 20 characters under full-width name and email inputs."""
    log_in(page)
    for path, beside, password in (("/admin/access/users/add", "#input-email", "#input-password"),
                                   ("/admin/profile/", "#input-email", "#input-new_password")):
        page.goto(page.base + path)
        wide = page.locator(beside).bounding_box()["width"]
        narrow = page.locator(password).bounding_box()["width"]
        assert abs(wide - narrow) < 2, (path, wide, narrow)


def test_a_tasks_log_opens_on_its_newest_lines(web_site, page):
    """The log box opened on the oldest of up to 1,000 lines, the latest out of view."""
    task = make_task(web_site, title="Long log")
    tasker = web_site.modules.get("Tasker")
    with web_site.transaction():
        tasker.logs.append(task.id, [("info", f"line {n}") for n in range(300)], 1000)
    log_in(page)
    page.goto(f"{page.base}/admin/tasks/{task.id}/")
    log = page.locator("#task-log")
    page.wait_for_function("""() => {
        const log = document.getElementById('task-log');
        return log.scrollHeight > log.clientHeight
            && log.scrollHeight - log.scrollTop - log.clientHeight < 24;
    }""", timeout=5000)
    last = log.locator("li").last
    assert "line 299" in last.inner_text()


def test_run_now_on_a_recurring_task_runs_one_run_and_says_when_the_next_is_due(web_site, page):
    """Run now on a nightly task ran its whole run, then again and again back to back for as
    long as the page stayed open: each run left the task active (due at the next night), the
    page's loop called `run` again while the task was active, and a step the browser asks for
    does not wait for the schedule. A re-index every night became a re-index every second."""
    tasker = web_site.modules.get("Tasker")
    task = tasker.create_task("WebJobs", "count_to", web_site.pages.get(1), "Nightly count",
                              task_data={"target": 2}, every="0 3 * * *")
    log_in(page)
    page.goto(page.base + "/admin/tasks/")
    page.locator(f'tr[data-task-id="{task.id}"]').get_by_role("button", name="Run now").click()
    page.wait_for_url(f"{page.base}/admin/tasks/{task.id}/")

    def records_counted() -> int:      # one run counts 2, in one step or (on a loaded machine) more
        return sum(step["records"] for step in tasker.get_step_figures(task)["steps"])

    deadline = time.monotonic() + 15
    while records_counted() < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(3)                                  # time for more runs, were the loop going on
    assert records_counted() == 2
    page.locator("#run-note", has_text="next run").wait_for(timeout=5000)
    assert "03:00:00 UTC" in page.locator("#run-note").inner_text()
    assert state_of(web_site, task) == 1           # still scheduled: cron runs it at 03:00


def test_a_keyboard_user_keeps_the_focus_on_a_row_the_list_updates(web_site, page):
    """The list swaps in every row's status every 2 s (and the task page its own every 1.5 s),
    changed or not: a keyboard user who had tabbed to a row's Trash lost the focus to the
    top of the page within two seconds, before pressing Enter, and again at every round."""
    task = make_task(web_site, title="Keyboard", target=2)
    log_in(page)
    page.goto(page.base + "/admin/tasks/")
    trash = page.locator(f'tr[data-task-id="{task.id}"] button[value="trash"]')
    trash.focus()
    time.sleep(4.5)                                          # two rounds of the list's poll
    focused = 'document.activeElement && document.activeElement.value === "trash" && ' \
              f'document.activeElement.closest("[data-task-id]").dataset.taskId === "{task.id}"'
    assert page.evaluate(focused), page.evaluate("document.activeElement.outerHTML")
    web_site.modules.get("Tasker").activate_task(task)     # its row changes: other buttons
    page.wait_for_function(
        f"""() => document.querySelector('tr[data-task-id="{task.id}"] .task-status')
                   .getAttribute('data-state') === '1'""", timeout=15000)
    assert page.evaluate(focused)                            # the same action, in the new row


def test_text_selected_in_a_task_s_log_stays_selected_between_polls(web_site, page):
    """A failed task's page rebuilt its log from every status poll (1.5 s), the same lines or
    not: a developer selecting the traceback to copy it lost the selection before Ctrl-C."""
    tasker = web_site.modules.get("Tasker")
    task = make_task(web_site, title="Bad target", target="many")
    tasker.activate_task(task)
    tasker.execute_task(task, {"invoker": "cron"})
    log_in(page)
    page.goto(f"{page.base}/admin/tasks/{task.id}/")
    page.locator("#task-log li", has_text="ValueError").first.wait_for()
    page.evaluate("""() => { const range = document.createRange();
        range.selectNodeContents(document.getElementById('task-log'));
        getSelection().removeAllRanges(); getSelection().addRange(range); }""")
    time.sleep(4)                                            # two polls and more
    assert "ValueError" in page.evaluate("getSelection().toString()")


def test_a_line_selected_in_a_full_log_stays_selected_as_new_lines_come(web_site, page):
    """A log at its cap (log_max_lines) keeps its first lines, a "dropped" line and the
    latest: every new line changed that line and slid the tail, and the page rebuilt the whole
    log at each poll, so a selected line was lost before it could be copied."""
    tasker = web_site.modules.get("Tasker")
    web_site.modules.save_config("Tasker", log_max_lines=20)
    task = make_task(web_site, title="Chatty")
    tasker.append_log(task, [("message", f"line {n}") for n in range(40)])
    log_in(page)
    page.goto(f"{page.base}/admin/tasks/{task.id}/")
    page.locator("#task-log li", has_text="line 39").wait_for()
    page.evaluate("""() => { const item = [...document.querySelectorAll('#task-log li')]
        .find(li => li.textContent.endsWith('line 35'));
        const range = document.createRange(); range.selectNodeContents(item);
        getSelection().removeAllRanges(); getSelection().addRange(range); }""")
    tasker.append_log(task, [("message", f"line {n}") for n in range(40, 43)])
    page.locator("#task-log li", has_text="line 42").wait_for()
    assert page.evaluate("getSelection().toString()").endswith("line 35")
    shown = page.locator("#task-log li").all_inner_texts()
    assert shown == tasker.get_log(task), shown
