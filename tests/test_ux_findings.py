"""What a module developer new to Tasker meets: the task API's answers, the task page, the
admin's confirmations, create_task's errors and the charts, found by following the README."""
from __future__ import annotations

import pytest
from webclient import Client, prepare_site, running_server


@pytest.fixture
def web_site(site, tmp_path):
    prepare_site(site, tmp_path)
    return site


@pytest.fixture
def server(web_site, db_url, tmp_path):
    with running_server(db_url, tmp_path) as running:
        yield running


@pytest.fixture
def admin(server):
    client = Client(server)
    client.login()
    yield client
    client.close()


def test_run_now_on_a_failing_task_with_retries_says_when_it_is_retried(web_site, admin):
    """Run now on a task whose step failed with retries left answered "busy: the task could not
    be claimed just now; trying again shortly": the step had been claimed and had failed, and
    the page then called `run` again at once, so every retry ran within a second, none after
    its back-off, and the task failed for good before anyone read why."""
    tasker = web_site.modules.get("Tasker")
    task = tasker.create_task("WebJobs", "count_to", web_site.pages.get(1), "Bad target",
                              task_data={"target": "many"}, retry={"attempts": 3, "backoff": 60})
    assert admin.api("start", task.id).json()["status"] is True
    step = admin.api("run", task.id).json()
    assert step["task_state"] == 1                      # active: retried later
    assert not step["result"].startswith("busy")
    assert "retried at" in step["result"] and "UTC" in step["result"]
