"""The task list kept current without a reload: its filter counts and the rows that leave its
filter, as an admin watching tasks run elsewhere (a worker, another tab, the command line)
meets them. The tests that need a browser are marked `browser` and share test_browser.py's
fixtures (no script error allowed on any page they open); run them with
`python -m pytest -m browser`. The others ask the list's poll over HTTP."""
from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
import test_browser as shared
from webclient import make_task

# test_browser.py's fixtures (a logged-out tab on a running server), found here by their names
browser, web_site, server, page = shared.browser, shared.web_site, shared.server, shared.page
log_in = shared.log_in


def counts_shown(html: str) -> dict[str, int]:
    """The filter links' counts as a page of the list renders them, by `data-count-state`."""
    return {key: int(count) for key, count in re.findall(r'data-count-state="([^"]+)">(\d+)<', html)}


def poll(client, ids, listed: str) -> dict:
    """The list's poll as its script sends it in a round that asks for the counts: the ids
    of its rows and its own URL."""
    answer = client.get(f"/admin/tasks/statuses?ids={','.join(str(i) for i in ids)}"
                        f"&list={quote(listed, safe='')}&counts=1")
    assert answer.status == 200, answer.text
    return answer.json()


def scheduled_task(site, title: str):
    """An active task whose time is two hours ahead (counted as active and as scheduled)."""
    tasker = site.modules.get("Tasker")
    task = tasker.create_task("WebJobs", "count_to", site.pages.get(1), title, task_data={"target": 2},
                              not_before=datetime.now(UTC) + timedelta(hours=2))
    tasker.activate_task(task)
    return task


def finish(site, task) -> None:
    """Run the task's one step, as a runner elsewhere would (its target fits in one step)."""
    site.modules.get("Tasker").execute_task(task.id, {"invoker": "cron", "timeout": time.time() + 10})


def test_the_list_s_poll_brings_the_counts_its_filter_links_show(site, superuser):
    """The filter links' counts ("active 3", "finished 12") changed only with the rows the
    page showed: a task not shown that changed state (on another page of the list, under
    another filter, finished by a worker) left them wrong until a reload. The poll now brings
    the counts the page would render for its URL, the search's matches with a search."""
    tasker = site.modules.get("Tasker")
    shown = make_task(site, "Import the dictionary", target=2)
    elsewhere = make_task(site, "Import the thesaurus", target=2)
    make_task(site, "Purge the cache", target=2)
    scheduled_task(site, "Import at night")
    listed = "/admin/tasks/?state=waiting&q=Import"
    opened = counts_shown(superuser.get(listed).text)
    assert opened == {"all": 3, "1": 1, "scheduled": 1, "2": 2, "3": 0, "4": 0, "5": 0}
    tasker.activate_task(elsewhere)
    finish(site, elsewhere)
    counts = poll(superuser, [shown.id], listed)["counts"]
    assert counts == counts_shown(superuser.get(listed).text)            # as a reload shows them
    assert counts == {"all": 3, "1": 1, "scheduled": 1, "2": 1, "3": 1, "4": 0, "5": 0}
    every = poll(superuser, [shown.id], "/admin/tasks/?start=50")["counts"]   # no search: all tasks
    assert every == counts_shown(superuser.get("/admin/tasks/").text)
    assert every["all"] == 4 and every["2"] == 2


def test_the_list_s_poll_names_the_rows_that_left_its_filter(site, superuser):
    """With a state filter, a row whose task left that state stayed, looking like the rows
    that still matched, until a reload. The poll names them (`left`): rows shown whose task
    no longer matches the list's filter, not rows merely pushed to the next page by newer
    tasks, and none in a list of every task."""
    tasker = site.modules.get("Tasker")
    oldest = make_task(site, "Import the dictionary", target=2)
    leaving = make_task(site, "Import the thesaurus", target=2)
    newest = make_task(site, "Import the atlas", target=2)
    tasker.activate_task(leaving)
    answer = poll(superuser, [oldest.id, leaving.id, newest.id], "/admin/tasks/?state=waiting&start=1")
    assert answer["order"] == [oldest.id]                 # `newest` is on the page before now
    assert answer["left"] == [leaving.id]
    assert poll(superuser, [leaving.id], "/admin/tasks/?state=active&q=Import")["left"] == []
    assert poll(superuser, [leaving.id, oldest.id], "/admin/tasks/?q=Import")["left"] == []
    assert poll(superuser, [leaving.id, oldest.id], "/admin/tasks/")["left"] == []
    later = scheduled_task(site, "Import at night")
    assert poll(superuser, [later.id, leaving.id], "/admin/tasks/?state=scheduled")["left"] == [leaving.id]


def row_ids(page) -> list[str]:
    """The task ids of the list's rows, top to bottom."""
    return page.locator("#task-list tbody tr").evaluate_all("rows => rows.map(r => r.dataset.taskId)")


def count_of(page, key: str) -> str:
    return page.locator(f'.filters [data-count-state="{key}"]').inner_text()


def wait_for_counts(page, expected: dict[str, str], seconds: float = 15) -> dict[str, str]:
    """The filter counts once they are `expected` (the list polls every 2 s), or as they are
    when `seconds` have passed."""
    deadline = time.monotonic() + seconds
    while True:
        now = {key: count_of(page, key) for key in expected}
        if now == expected or time.monotonic() > deadline:
            return now
        time.sleep(0.1)


@pytest.mark.browser
def test_the_counts_follow_tasks_the_list_does_not_show_on_page_2_of_a_search(web_site, page):
    """Page 2 of the waiting tasks whose title holds "Import": a task that page does not show
    finishes elsewhere, and the counts said "active 1, finished 0" until a reload; a task
    outside the search that changes moves no count."""
    tasker = web_site.modules.get("Tasker")
    with web_site.transaction():
        waiting = [make_task(web_site, f"Import part {n}", target=n + 2) for n in range(51)]
    running = make_task(web_site, "Import the rest", target=2)
    other = make_task(web_site, "Purge the cache", target=2)
    tasker.activate_task(running)
    log_in(page)
    listed = "/admin/tasks/?state=waiting&q=Import&start=50"
    page.goto(page.base + listed)
    assert page.locator("#task-list tbody tr").count() == 1              # the oldest: Import part 0
    assert {key: count_of(page, key) for key in ("all", "1", "2", "3")} == {
        "all": "52", "1": "1", "2": "51", "3": "0"}
    finish(web_site, running)
    tasker.activate_task(other)
    tasker.activate_task(waiting[30])                                     # on page 1: not shown
    expected = {"all": "52", "1": "1", "2": "50", "3": "1"}
    assert wait_for_counts(page, expected, seconds=30) == expected   # a search: every third round
    time.sleep(2.5)                                                       # a round more: they hold
    assert {key: count_of(page, key) for key in expected} == expected
    live = {key: count_of(page, key) for key in ("all", "1", "scheduled", "2", "3", "4", "5")}
    page.reload()
    assert live == {key: count_of(page, key) for key in live}            # what a reload shows


@pytest.mark.browser
def test_a_row_that_leaves_the_list_s_filter_says_so_and_stays_until_a_reload(web_site, page):
    """The active tasks' list: a task finished elsewhere, and its row went on among the
    active ones, looking like them, until a reload. It now stays where it is (not moved from
    under the pointer) and says, to the eye and to a screen reader, that it is no longer
    active and leaves the list at the next reload; back in the filter, it says so no more."""
    tasker = web_site.modules.get("Tasker")
    done = make_task(web_site, "Import the dictionary", target=2)
    still = make_task(web_site, "Import the thesaurus", target=2)
    tasker.activate_task(done)
    tasker.activate_task(still)
    log_in(page)
    page.goto(page.base + "/admin/tasks/?state=active")
    page.evaluate("""() => {
        const live = document.getElementById('tasks-announce');
        window.said = [];
        new MutationObserver(() => said.push(live.textContent))
            .observe(live, {childList: true, characterData: true, subtree: true});
    }""")
    row = page.locator(f'#task-list tr[data-task-id="{done.id}"]')
    note = row.locator(".left-note")
    order = row_ids(page)
    finish(web_site, done)
    note.wait_for(timeout=15000)
    assert note.inner_text() == "No longer active: it leaves this list at the next reload."
    assert "left-filter" in row.get_attribute("class")
    assert row_ids(page) == order
    assert page.locator(f'#task-list tr[data-task-id="{still.id}"] .left-note').count() == 0
    trash = row.get_by_role("button", name="Trash Import the dictionary")
    assert trash.get_attribute("aria-describedby") == note.get_attribute("id")
    page.wait_for_function("() => said.length > 0")
    assert page.evaluate("said") == ["Import the dictionary: finished, no longer active"]
    tasker.restart_task(done)             # active again (a finished task is not activated)
    note.wait_for(state="detached", timeout=15000)
    assert "left-filter" not in (row.get_attribute("class") or "")
    assert trash.get_attribute("aria-describedby") is None
    finish(web_site, done)
    note.wait_for(timeout=15000)
    page.reload()
    assert row_ids(page) == [str(still.id)]


@pytest.mark.browser
def test_a_keyboard_user_keeps_the_focus_on_a_row_that_leaves_the_filter(web_site, page):
    """Tabbed to Trash on a waiting task's row of page 2 of a search, then the task is
    activated elsewhere: the row is marked as no longer waiting and the focus stays on its
    Trash, which a screen reader now reads with the note."""
    with web_site.transaction():
        first = [make_task(web_site, f"Import part {n}", target=n + 2) for n in range(50)][0]
    log_in(page)
    page.goto(page.base + "/admin/tasks/?state=waiting&q=part&start=50")
    assert page.locator("#task-list tbody tr").count() == 0           # 50 a page: none on page 2
    late = make_task(web_site, "Import part 50", target=2)             # page 1 pushes part 0 here
    row = page.locator(f'#task-list tr[data-task-id="{first.id}"]')
    row.wait_for(timeout=15000)
    trash = row.locator('button[value="trash"]')
    trash.focus()
    web_site.modules.get("Tasker").activate_task(first)
    row.locator(".left-note").wait_for(timeout=15000)
    assert row.locator(".task-status").get_attribute("data-state") == "1"
    described = page.evaluate("""() => {
        const id = document.activeElement.getAttribute('aria-describedby');
        return [document.activeElement.value, document.activeElement.closest('tr').dataset.taskId,
                id && document.getElementById(id).textContent];
    }""")
    assert described == ["trash", str(first.id), "No longer waiting: it leaves this list at the next reload."]
    assert page.locator(f'#task-list tr[data-task-id="{late.id}"]').count() == 0
