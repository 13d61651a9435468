"""Kept fieldtypes: values a module keeps in its own table, read by pages through a view.

Tasker's runtime fields (task_state, progress ...) are KeptInteger / KeptText / KeptFloat: read,
searched and sorted as their base type, never written by a page save, and their view is the
module's (Fields neither creates nor drops a table for them). The flags on the fieldtype say so,
where code used to special-case names.
"""
from __future__ import annotations

import pytest

import cms
from cms.errors import SelectorError, ValidationError
from cms.fieldtypes import Fieldtype, get_fieldtype, register_fieldtype
from cms.integrity import check_site
from cms.tasker import TaskState


def tasker_of(site):
    return site.modules.get("Tasker")


def test_tasker_fields_are_kept_types_that_read_and_search_as_their_base(site):
    tasker = tasker_of(site)
    types = {name: site.fields[name].type for name in ("task_state", "signature", "task_lease")}
    assert {name: t.name for name, t in types.items()} == {
        "task_state": "KeptInteger", "signature": "KeptText", "task_lease": "KeptFloat"}
    assert all(not t.writable and not t.owns_table and t.searchable for t in types.values())
    task = tasker.create_task("Dictionary", "purge_dictionary", site.pages.get(1), "A task")
    tasker.activate_task(task)
    found = site.pages.find("template=tasker-task, task_state>=1, sort=-progress, include=all")
    assert [page.id for page in found] == [task.id]
    assert site.pages.get(task.id).task_state == TaskState.ACTIVE
    assert check_site(site) == []                       # the views are no missing tables


def test_a_page_save_cannot_write_a_kept_field(site):
    tasker = tasker_of(site)
    task = tasker.create_task("Dictionary", "purge_dictionary", site.pages.get(1), "A task")
    page = site.pages.get(task.id)
    with pytest.raises(cms.PageError, match="progress.*kept by its module"):
        page.progress = 50
    assert tasker.get_state(task) == TaskState.WAITING and page.progress == 0


def test_fields_make_and_drop_no_table_for_a_kept_field(site):
    site.fields.add("mirror", "KeptInteger")
    assert not site.db.table_exists("field_mirror")       # the module's view goes there
    site.db.ddl("CREATE VIEW field_mirror AS SELECT id AS pages_id, sort AS data FROM pages")
    site.templates.add("mirrored", fields=["title", "mirror"])
    page = site.pages.add("mirrored", 1, "m", title="M")
    site.db.execute("UPDATE pages SET sort = 7 WHERE id = ?", (page.id,))
    assert site.pages.get(page.id).mirror == 7
    site.pages.delete(page)
    site.templates.delete("mirrored")
    site.fields.delete("mirror")                          # leaves the module's view alone
    assert site.fields.get("mirror") is None
    assert "field_mirror" in {view.name for view in site.db.pw.get_views()}
    site.db.ddl("DROP VIEW field_mirror")


def test_a_field_cannot_switch_between_a_table_of_its_own_and_a_kept_view(site):
    tasker_of(site)
    site.fields.add("count", "Integer")
    with pytest.raises(ValidationError, match="cannot become KeptInteger"):
        site.fields.update("count", type="KeptInteger")
    with pytest.raises(ValidationError, match="cannot become Integer"):
        site.fields.update("task_state", type="Integer")
    assert site.fields["count"].type.name == "Integer" and site.db.table_exists("field_count")
    assert site.fields["task_state"].type.name == "KeptInteger"


def test_an_unsearchable_fieldtype_is_refused_by_selectors_by_its_flag(site):
    class Secret(Fieldtype):
        name = "TestSecret"
        searchable = False

    register_fieldtype(Secret())
    try:
        site.fields.add("secret", "TestSecret")
        with pytest.raises(SelectorError, match="never searchable"):
            site.pages.find("secret=x")
        with pytest.raises(SelectorError, match="never searchable"):
            site.pages.find("pass=x")                     # Password: the same flag
    finally:
        from cms.fieldtypes import FIELDTYPES
        FIELDTYPES.pop("TestSecret", None)
    assert get_fieldtype("Password").searchable is False


def test_a_site_from_before_tasker_1_2_gets_kept_types_and_keeps_its_tasks(site):
    tasker = tasker_of(site)
    task = tasker.create_task("Dictionary", "purge_dictionary", site.pages.get(1), "An old task")
    tasker.activate_task(task)
    for name, old in (("task_state", "Integer"), ("signature", "Text"), ("task_lease", "Float")):
        site.db.execute("UPDATE fields SET type = ? WHERE name = ?", (old, name))
    site.fields.load()
    assert site.fields["task_state"].type.name == "Integer"
    tasker.upgrade("1.1.0", "1.2.0")
    assert {site.fields[n].type.name for n in ("task_state", "signature", "task_lease")} == {
        "KeptInteger", "KeptText", "KeptFloat"}
    assert site.pages.get(task.id).task_state == TaskState.ACTIVE
    assert check_site(site) == []


def test_a_site_from_before_tasker_1_3_finds_its_runners_again(site):
    """Tasker 1.2 folded its kept text in lower case; fold() is upper case since 1.3, so the
    upgrade makes the views again (a LOWER() view would find nothing)."""
    tasker = tasker_of(site)
    task = tasker.create_task("Dictionary", "purge_dictionary", site.pages.get(1), "An old task")
    site.db.execute("UPDATE tasker_tasks SET runner = 'host-a:12' WHERE pages_id = ?", (task.id,))
    site.db.ddl("DROP VIEW field_task_runner")
    site.db.ddl("CREATE VIEW field_task_runner AS SELECT pages_id, runner AS data, LOWER(runner) "
                "AS fold FROM tasker_tasks WHERE runner IS NOT NULL")
    selector = "template=tasker-task, task_runner=HOST-A:12, include=all"
    assert site.pages.count(selector) == 0
    tasker.upgrade("1.2.0", "1.3.0")
    assert site.pages.count(selector) == 1
    assert [p.id for p in site.pages.find("task_runner^=host, include=all")] == [task.id]
    assert check_site(site) == []


def test_uninstall_drops_the_views_and_fields_without_a_stand_in_table(site):
    tasker_of(site)
    site.modules.uninstall("Tasker")
    assert site.fields.get("task_state") is None and site.fields.get("task_data") is None
    views = {view.name for view in site.db.pw.get_views()}
    assert not {"field_task_state", "field_progress"} & views
    assert not site.db.table_exists("field_task_state")


def test_the_check_reports_a_kept_field_whose_view_is_gone(site):
    tasker_of(site)
    site.db.ddl("DROP VIEW field_progress")
    assert [str(problem) for problem in check_site(site)] == [
        "field: field 'progress' (KeptInteger) has no view field_progress: reinstall its module"]
