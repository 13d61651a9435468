"""The task list in a real browser (see test_browser.py): a scheduled task falling due while
the list is open."""
from __future__ import annotations

import time

import pytest
from test_browser import browser, log_in, page, server, shot, web_site  # noqa: F401 (its fixtures)

pytestmark = pytest.mark.browser


def test_a_task_falling_due_turns_ready_and_leaves_the_count(web_site, page):  # noqa: F811
    """The row's label and the filter counts follow the poll, no reload. (About 3 s: the task
    must fall due while the list is open, between two of its polls.)"""
    tasker = web_site.modules.get("Tasker")
    log_in(page)
    task = tasker.create_task("WebJobs", "count_to", web_site.pages.get(1), "Soon",
                              not_before=time.time() + 2.5)
    tasker.activate_task(task)
    page.goto(page.base + "/admin/tasks/")
    label = page.locator(f'tr[data-task-id="{task.id}"] .task-status .state')
    scheduled = page.locator('.filters [data-count-state="scheduled"]')
    active = page.locator('.filters [data-count-state="1"]')
    assert label.text_content() == "scheduled"
    shot(page, "task-list-scheduled")
    assert (scheduled.text_content(), active.text_content()) == ("1", "1")
    page.wait_for_function(
        f"""() => {{
            const el = document.querySelector('tr[data-task-id="{task.id}"] .task-status .state');
            return el && el.textContent === 'ready to run';
        }}""", timeout=15000)
    assert (scheduled.text_content(), active.text_content()) == ("0", "1")
