"""Defects the twenty-seventh session's own review found in what the helpers reported and left,
each stated with what a user would see."""
from __future__ import annotations

from webclient import make_task


def test_the_task_list_filters_by_a_state_word_and_refuses_an_unknown_state(site, superuser):
    # /admin/tasks/?state=failed listed every task, as though filtered: only numbers (and
    # "scheduled") were read, while `tasks list --state failed` takes the word. A word is now
    # read as the command line reads it; text that is no state answers 400 saying so, above
    # the list of every task.
    tasker = site.modules.get("Tasker")
    make_task(site, title="Waits here")
    killed = make_task(site, title="Killed here")
    tasker.stop_task(killed, kill=True)
    for query in ("killed", "KILLED", "4"):
        answer = superuser.get(f"/admin/tasks/?state={query}")
        assert answer.status == 200
        assert "Killed here" in answer.text and "Waits here" not in answer.text
    unknown = superuser.get("/admin/tasks/?state=broken")
    assert unknown.status == 400
    assert "There is no task state &#39;broken&#39;" in unknown.text
    assert "Killed here" in unknown.text and "Waits here" in unknown.text    # every task


def test_the_question_before_kill_and_reset_says_what_they_throw_away(site, superuser):
    # "Kill this task?" did not say that a kill resets the task (DESIGN.md: KILLED, reset to
    # 0%; its data, log and steps go too), so Kill read as a harder Deactivate. The script's
    # question and the page asked without a script both say so now.
    import re
    tasker = site.modules.get("Tasker")
    task = make_task(site, title="Halfway")
    tasker.activate_task(task)
    listed = superuser.get("/admin/tasks/").text
    kill = re.search(rf'data-task-id="{task.id}".*?(<button[^>]*value="kill"[^>]*>)', listed, re.S)
    assert kill and ('data-confirm="Kill this task? It stops (a running step at its next save) and '
                     'goes back to its start: progress 0%, its data as created, its log and steps '
                     'cleared."') in kill.group(1)
    asked = superuser.post(f"/admin/tasks/{task.id}/action",
                           {"cmd": "kill", "csrf_token": superuser.token()})
    assert asked.status == 200
    assert "Kill the task Halfway? It stops" in asked.text and "its log and steps cleared" in asked.text
    assert tasker.get_state(task) == 1                      # asked, nothing done yet
