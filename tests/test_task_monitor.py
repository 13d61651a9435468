"""The task monitor tells the truth: Run now owns its task while lazy cron runs, and a task
another runner finished is reported as finished, by whom."""
from __future__ import annotations

import re
import time

import pytest
from webclient import Client, make_task, prepare_site, running_server, state_of


@pytest.fixture
def web_site(site, tmp_path):
    prepare_site(site, tmp_path)
    return site


def step_invokers(site, task) -> list[str]:
    return [row[0] for row in site.db.all(
        "SELECT invoker FROM tasker_steps WHERE pages_id = ? ORDER BY id", (task.id,))]


def test_run_now_gets_every_step_while_lazy_cron_runs(web_site, db_url, tmp_path):
    task = make_task(web_site, target=6, per_step=1)
    with running_server(db_url, tmp_path, lazy_cron=True) as server:
        admin, other_tab = Client(server), Client(server)
        admin.login()
        other_tab.login()
        answer = admin.post(f"/admin/tasks/{task.id}/run", {"csrf_token": admin.token()})
        assert answer.status == 303
        # The task list polls in another tab: each answer wakes lazy cron, which would take
        # the task if Run now did not hold it before the page's first `run` call.
        for _ in range(4):
            assert other_tab.get("/admin/tasks/").status == 200
            time.sleep(0.4)
        results = []
        while True:
            step = admin.api("run", task.id)
            assert step.status == 200, step.json()
            results.append(step.json()["result"])
            other_tab.get("/admin/tasks/")
            if step.json()["task_state"] != 1:
                break
            time.sleep(0.3)           # lazy cron's turn, if it could take one
        admin.close()
        other_tab.close()
    assert state_of(web_site, task) == 3
    assert not any(r.startswith("busy") for r in results), results
    assert step_invokers(web_site, task) == ["admin"] * 6


def test_run_on_a_task_another_runner_finished_says_finished_and_by_whom(web_site, db_url,
                                                                         tmp_path):
    task = make_task(web_site, target=2)
    tasker = web_site.modules.get("Tasker")
    tasker.activate_task(task)
    tasker.execute_task(task.id, {"invoker": "lazycron", "timeout": time.time() + 10})
    with running_server(db_url, tmp_path) as server:
        admin = Client(server)
        admin.login()
        answer = admin.api("run", task.id)
        admin.close()
    assert answer.status == 200
    assert answer.json()["status"] is True and answer.json()["task_state"] == 3
    assert answer.json()["result"] == "finished by lazycron"


def test_run_now_holds_a_waiting_task_from_other_runners(web_site):
    from cms.tasker import claim_next, claim_task
    tasker = web_site.modules.get("Tasker")
    task = make_task(web_site, target=2)
    assert tasker.activate_task(task, for_browser=True)
    assert claim_next(tasker, invoker="worker") is None          # cron, worker, lazy cron
    claim = claim_task(tasker, task.id, invoker="admin", admin_run=True)
    assert claim is not None and claim.task_id == task.id


def test_api_reset_of_a_finished_task_is_one_reset_to_waiting(web_site, db_url, tmp_path):
    task = make_task(web_site, target=2)
    tasker = web_site.modules.get("Tasker")
    tasker.activate_task(task)
    tasker.execute_task(task.id, {"invoker": "cron", "timeout": time.time() + 10})
    with running_server(db_url, tmp_path) as server:
        admin = Client(server)
        admin.login()
        reset = admin.api("reset", task.id).json()
        admin.close()
    assert (reset["task_state"], reset["progress"], reset["result"]) == (2, 0, "reset")
    history = tasker.get_history(task)
    assert [(h["new"], h["note"]) for h in history[-2:]] == [(3, "finished"), (2, "reset to 0%")]


def filter_count(html: str, state: int) -> int:
    found = re.search(rf'data-count-state="{state}">(\d+)<', html)
    assert found, html[:2000]
    return int(found.group(1))


def test_the_filter_counts_match_the_rows_at_once(web_site, db_url, tmp_path):
    task = make_task(web_site, target=2, per_step=1)
    with running_server(db_url, tmp_path) as server:
        admin = Client(server)
        admin.login()
        listed = admin.get("/admin/tasks/").text
        assert (filter_count(listed, 1), filter_count(listed, 2)) == (0, 1)
        admin.api("start", task.id)
        listed = admin.get("/admin/tasks/").text                  # a moment later
        assert (filter_count(listed, 1), filter_count(listed, 2)) == (1, 0)
        assert 'data-state="1"' in listed
        admin.close()


def test_kill_says_plainly_that_the_task_was_reset(web_site, db_url, tmp_path):
    task = make_task(web_site, target=4, per_step=2)
    tasker = web_site.modules.get("Tasker")
    tasker.activate_task(task)
    tasker.execute_task(task.id, {"invoker": "cron", "timeout": time.time() + 10})
    with running_server(db_url, tmp_path) as server:
        admin = Client(server)
        admin.login()
        killed = admin.api("kill", task.id).json()
        page = admin.get(f"/admin/tasks/{task.id}/").text
        listed = admin.get("/admin/tasks/").text
        admin.close()
    assert (killed["result"], killed["progress"], killed["task_state"]) == (
        "killed and reset to 0%", 0, 4)
    assert "killed, reset to 0%" in killed["status_html"]
    assert "killed, reset to 0%" in page and "killed and reset to 0%" in page     # + history
    assert "killed, reset to 0%" in listed


def test_a_trashed_task_still_names_the_page_it_worked_on(web_site, db_url, tmp_path):
    tasker = web_site.modules.get("Tasker")
    target = web_site.pages.add("basic-page", 1, title="Dictionary")
    task = tasker.create_task("WebJobs", "count_to", target, "Import")
    tasker.trash_task(task)
    assert web_site.pages.get(task.id).is_trash()
    assert tasker.get_page(task).id == target.id
    with running_server(db_url, tmp_path) as server:
        admin = Client(server)
        admin.login()
        shown = admin.get(f"/admin/tasks/{task.id}/")
        panel = admin.get(f"/admin/tasks/{task.id}/panel")
        refused = admin.api("reset", task.id)
        admin.close()
    assert shown.status == 200 and "This task is in the trash" in shown.text
    assert f'<a href="/admin/?open={target.id}">Dictionary</a>' in shown.text
    assert f'<a href="/admin/?open={target.id}">Dictionary</a>' in panel.text
    assert refused.status == 404                  # its actions answer that it is gone


def test_a_trashed_tasks_page_offers_no_action_that_is_refused(web_site, db_url, tmp_path):
    """Its page showed Reset and Trash, each answered "task N is in the trash (restore it to
    steer it)", and a Public page link to its /trash/... address, a 404 for visitors."""
    task = make_task(web_site)
    web_site.modules.get("Tasker").trash_task(task)
    with running_server(db_url, tmp_path) as server:
        admin = Client(server)
        admin.login()
        shown = admin.get(f"/admin/tasks/{task.id}/").text
        panel = admin.get(f"/admin/tasks/{task.id}/panel").text
        admin.close()
    assert "This task is in the trash" in shown
    assert 'name="cmd"' not in shown
    assert 'href="/trash/' not in shown and 'href="/trash/' not in panel


def test_a_user_who_only_steers_tasks_gets_no_link_to_the_tree_they_may_not_open(
        web_site, db_url, tmp_path):
    """The task list's Page column and the task page's "Works on" linked /admin/?open=N,
    a 403 "you need the 'page-edit' permission" for the tasker-admin the list is made for."""
    from webclient import PASSWORD
    task = make_task(web_site, title="Count")
    web_site.users.add_role("watcher", ["tasker-admin"])
    web_site.users.add("wat", PASSWORD, roles=["watcher"])
    with running_server(db_url, tmp_path) as server:
        watcher = Client(server)
        watcher.login("wat")
        listed = watcher.get("/admin/tasks/").text
        shown = watcher.get(f"/admin/tasks/{task.id}/").text
        tree = watcher.get("/admin/?open=1").status
        admin = Client(server)
        admin.login()
        linked = admin.get("/admin/tasks/").text
        watcher.close()
        admin.close()
    assert tree == 403
    assert "Home" in listed.split('class="page-cell"', 1)[1][:200]
    assert 'href="/admin/?open=' not in listed and 'href="/admin/?open=' not in shown
    assert 'href="/admin/?open=1">Home</a>' in linked           # who may open the tree has it


def test_a_missing_task_and_a_page_past_the_list_lead_back_to_the_tasks(web_site, db_url,
                                                                        tmp_path):
    """The 404 of a task offered "Back to the pages"; a list page past the end said "No
    tasks." beside "all 3" with no way back."""
    for _ in range(3):
        make_task(web_site)
    with running_server(db_url, tmp_path) as server:
        admin = Client(server)
        admin.login()
        missing = admin.get("/admin/tasks/999999/")
        assert missing.status == 404 and 'href="/admin/tasks/">Back to the tasks' in missing.text
        assert 'href="/admin/">Back to the pages' in admin.get("/admin/page/999999/edit").text
        past = admin.get("/admin/tasks/?start=99950")
        assert past.status == 200 and "the list has 3" in past.text
        assert 'href="/admin/tasks/">Back to the first page' in past.text
        assert "No tasks in this state." in admin.get("/admin/tasks/?state=5").text
