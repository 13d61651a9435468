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
