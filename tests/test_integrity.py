"""`check`: tree and schema integrity found, and mended on request."""
from __future__ import annotations

import subprocess

import pytest
from conftest import PYTHON, ROOT

from cms.integrity import check_site


def broken_site(site):
    a = site.pages.add("basic-page", 1, "a", title="A")
    b = site.pages.add("basic-page", a, "b", title="B")
    site.db.execute("UPDATE pages_paths SET path = ? WHERE pages_id = ?", ("/wrong/", b.id))
    site.db.execute("UPDATE pages SET status = status + 8192 WHERE id = ?", (a.id,))
    return a, b


def test_a_sound_site_has_no_problems(site):
    site.pages.add("basic-page", 1, title="Fine").trash()
    assert check_site(site) == []


@pytest.mark.slow
def test_a_fresh_site_with_tasker_checks_clean(site, run_env):
    """Tasker's runtime fields read through views over tasker_tasks: not missing tables."""
    tasker = site.modules.get("Tasker")
    task = tasker.create_task("Dictionary", "purge_dictionary", site.pages.get(1), "A task")
    assert check_site(site) == []
    assert check_site(site, repair=True) == []
    done = subprocess.run([PYTHON, str(ROOT / "run.py"), "check"], env=run_env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert site.pages.get(task.id).id == task.id
    site.db.ddl("DROP VIEW field_task_state")        # a view that is really gone is reported
    assert [p.detail for p in check_site(site)] == [
        "field 'task_state' (KeptInteger) has no view field_task_state: reinstall its module"]


def test_problems_are_found_and_repaired(site):
    a, b = broken_site(site)
    problems = check_site(site)
    assert {(p.kind, p.page_id) for p in problems} == {("path", b.id), ("trash", a.id)}
    assert not any(p.repaired for p in problems)
    repaired = check_site(site, repair=True)
    assert all(p.repaired for p in repaired)
    assert check_site(site) == []
    assert site.pages.get(b.id).path == "/a/b/"
    assert not site.pages.get(a.id).is_trash()


def test_orphans_move_to_the_trash(site):
    a = site.pages.add("basic-page", 1, "a", title="A")
    site.db.execute("UPDATE pages SET parent_id = 99999 WHERE id = ?", (a.id,))
    assert [p.kind for p in check_site(site)][0] == "orphan"
    check_site(site, repair=True)
    assert check_site(site) == []
    assert site.pages.get(a.id).is_trash()


@pytest.mark.slow
def test_a_page_whose_template_is_gone_is_reported(site):
    """Such a page breaks every find that meets it; repair cannot tell its template."""
    page = site.pages.add("basic-page", 1, "lost", title="Lost")
    site.db.execute("UPDATE pages SET templates_id = 999 WHERE id = ?", (page.id,))
    found = check_site(site, repair=True)
    assert [(p.kind, p.page_id, p.repaired) for p in found] == [("template", page.id, False)]
    assert "template 999 does not exist" in found[0].detail


def test_check_command_exit_codes(site, run_env):
    broken_site(site)

    def run(*args):
        return subprocess.run([PYTHON, str(ROOT / "run.py"), *args], env=run_env,
                              capture_output=True, text=True, timeout=120)

    found = run("check")
    assert found.returncode == 1 and "2 problem(s)" in found.stdout
    repaired = run("check", "--repair")
    assert repaired.returncode == 0 and "all repaired" in repaired.stdout
    clean = run("check", "--json")
    assert clean.returncode == 0 and clean.stdout.strip() == "[]"
