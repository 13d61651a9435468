"""A first-time user's walk through the README: Quick start, a task module, the command line and
the admin's task screens, done for real in a scratch site. Each test holds a place where the
product left that user stuck, or where README's way of doing a thing is checked as written."""

from __future__ import annotations

import logging
import re
import subprocess
from pathlib import Path
from urllib.parse import urlencode

import pytest
from conftest import PYTHON, ROOT
from tasker_support import make_task
from webclient import PASSWORD, Client, running_server

from cms.cli import main
from cms.tasker import TaskError

pytest_plugins = ("tasker_fixtures",)  # fixtures: shared_site, tasker, cli, worker_env

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def run_cms(capsys, *args: str) -> tuple[int, str, str]:
    """`cms ARGS` in this process: (exit code, stdout, stderr)."""
    logging.getLogger().handlers.clear()  # main() binds logging to this test's stderr
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_tasks_commands_in_a_folder_without_a_site_refuse_and_make_nothing(tmp_path, monkeypatch, capsys):
    """`tasks list` run outside the site's folder (a typo in --site, a terminal in the home
    folder) built an empty site there and answered "no tasks", and `tasks show 5` "there is no
    task with id 5", as if the user's tasks were gone; cron, the worker and check refuse such a
    folder. The `tasks` commands work on an existing site too: they say the database is missing
    and leave the folder as it was."""
    monkeypatch.delenv("CMS_DATABASE_URL", raising=False)
    empty = tmp_path / "not-a-site"
    empty.mkdir()
    for args in (
        ["list"],
        ["list", "--json"],
        ["show", "5"],
        ["activate", "5"],
        ["run", "5"],
        ["create", "Jobs", "count", "/", "A job"],
    ):
        code, out, err = run_cms(capsys, "--site", str(empty), "tasks", *args)
        assert code == 1, (args, out, err)
        assert out == "", args
        assert err.strip() == (
            f"cms: error: there is no site database at {empty / 'site.db'}: "
            "tasks works on an existing site; run it in the site's folder "
            "or give --site or --db"
        ), args
        assert list(empty.iterdir()) == [], args


def test_a_trashed_task_s_refusals_say_where_to_restore_it(tasker, cli):
    """A trashed task's refusals said "restore its page first", and nothing in the command line
    or README said where: there is no `tasks restore`. They name the admin's Trash screen and
    `page.restore()`, and what they name works."""
    task = make_task(tasker, activate=False, total=1)
    assert cli("tasks", "trash", task.id)[0] == 0
    how = "Restore on the admin's Trash screen (/admin/trash/), or page.restore() in Python"
    for action in ("activate", "run", "reset"):
        code, out, err = cli("tasks", action, task.id)
        assert code == 1 and how in err, (action, out, err)
    code, out, err = cli("tasks", "show", task.id)
    assert code == 0 and how in out.splitlines()[1], out
    with pytest.raises(TaskError, match=re.escape(how)):
        tasker.activate_task(task)
    tasker.site.pages.get(task.id).restore()  # as the refusal says
    code, out, err = cli("tasks", "activate", task.id)
    assert code == 0 and "now active" in out, err


def test_create_of_a_method_the_module_lacks_names_its_task_methods(tasker, cli):
    """`tasks create Jobs cuont ...` said "module Jobs has no method 'cuont'", where the web API
    names the module's task_methods; a misspelt method now gets the list to pick from."""
    code, out, err = cli("tasks", "create", "Jobs", "cuont", "/", "A job")
    assert code == 1, out
    assert err.strip() == ("cms: error: module Jobs has no method 'cuont' (its task_methods: count, noop)")
    assert len(tasker.get_tasks()) == 0  # nothing created
    with pytest.raises(TaskError, match=r"no method 'cuont' \(its task_methods: count, noop\)"):
        tasker.create_task("Jobs", "cuont", tasker.site.pages.get(1), "A job")


@pytest.fixture
def server(tasker, shared_site):
    """A server on the shared site, with a superuser `walker` to log in as."""
    site, url, _ = shared_site
    tasker.site.users.add("walker", PASSWORD)
    with running_server(url, site.site_dir) as running:
        yield running


def test_the_admin_page_of_a_trashed_task_links_to_the_trash(tasker, server):
    """The page of a trashed task said "This task is in the trash" and offered no action and no
    way on: it now links to the Trash screen, where Restore is."""
    task = make_task(tasker, activate=False, total=1)
    tasker.trash_task(task)
    admin = Client(server)
    admin.login("walker")
    page = admin.get(f"/admin/tasks/{task.id}/")
    assert page.status == 200
    notice = re.search(r'<p class="notice notice-warning">(.*?)</p>', page.text, re.S).group(1)
    assert "This task is in the trash" in notice
    assert '<a href="/admin/trash/">Trash</a>' in notice and "Restore" in notice, notice


def test_readme_s_way_of_calling_the_task_api_from_a_script(tasker, server):
    """README: post the login form with its `csrf_token`, then read the session's token from an
    admin page's `<meta name="csrf-token">` (a login gives the session a new one: the login
    form's is refused after it) and send it as `X-CSRF-Token`."""
    script = Client(server)
    form_token = CSRF_META.search(script.get("/admin/login").text).group(1)
    logged_in = script.post(
        "/admin/login", {"username": "walker", "password": PASSWORD, "csrf_token": form_token}
    )
    assert logged_in.status == 303
    create = "/admin/tasks/api?" + urlencode({"cmd": "create"})
    fields = {
        "module": "Jobs",
        "method": "count",
        "pageid": 1,
        "title": "From a script",
        "task_data": '{"total": 2}',
    }
    stale = script.post(create, fields, {"X-CSRF-Token": form_token})
    assert stale.status == 403 and "csrf-token" in stale.json()["result"]
    token = CSRF_META.search(script.get("/admin/tasks/").text).group(1)
    created = script.post(create, fields, {"X-CSRF-Token": token})
    assert created.status == 200, created.text
    answer = created.json()
    assert answer["status"] is True and answer["task_state_info"] == "waiting"
    assert tasker.get_task_by_id(answer["taskid"]).title == "From a script"


WALK_JOBS = """
import cms


class WalkJobs(cms.Module):
    def finish(self, page, task_data, options):
        task_data["task_done"] = 1
        return True
"""


def test_a_task_whose_module_file_is_gone_says_so_once_and_how_to_try_again(tasker, worker_env):
    """README's module file moved away (renamed, not deployed): `tasks run` failed the task
    with "module 'WalkJobs' is missing (module 'WalkJobs' not found; looked in: ...; modules
    found: ...; installed module 'WalkJobs' could not be loaded: module 'WalkJobs' not found;
    looked in: ...)", the same reason twice, and no word of what then. It says the reason once
    and that `tasks activate` tries the task again, which, the file back, runs it."""
    folder = Path(tasker.site.site_dir) / "modules"
    (folder / "walkjobs.py").write_text(WALK_JOBS)
    task = tasker.create_task("WalkJobs", "finish", tasker.site.pages.get(1), "Walk")
    tasker.activate_task(task)
    (folder / "walkjobs.py").unlink()
    try:
        failed = cms_process(worker_env, "tasks", "run", str(task.id))
        assert failed.returncode == 1, failed.stderr
        said = failed.stderr.strip().splitlines()[-1]
        assert said.startswith(
            f"cms: error: task {task.id} ended failed: the task cannot run: module "
            "'WalkJobs' is missing (module 'WalkJobs' not found; looked in: "
        ), said
        assert said.count("not found") == 1, said
        assert said.endswith(f"(`python run.py tasks activate {task.id}` tries it again)"), said
    finally:
        (folder / "walkjobs.py").write_text(WALK_JOBS)
    assert cms_process(worker_env, "tasks", "activate", str(task.id)).returncode == 0
    finished = cms_process(worker_env, "tasks", "run", str(task.id))
    assert finished.returncode == 0 and f"task {task.id} finished" in finished.stdout, finished.stderr


def cms_process(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """The real `python run.py ARGS`, as a terminal runs it."""
    return subprocess.run(
        [PYTHON, str(ROOT / "run.py"), *args], env=env, capture_output=True, text=True, timeout=120
    )
