"""A site made and used by an older release, opened by today's code.

Each test rebuilds the old state directly (the stored schema version, the rows and settings an
older release left, without what later upgrades add), as test_db.py's upgrade tests do; none
needs an old checkout.
"""
from __future__ import annotations

import json

import cms
from cms import schema
from cms.db import connect
from cms.site import Site
from cms.tasker.install import view_sql


def test_upgrade_5_keeps_the_editing_rights_a_role_with_page_edit_had(site):
    """Before upgrade 5 a role holding page-edit edited, added, moved and trashed every page:
    there was no template access. Upgrade 5 gave the home template ProcessWire's access, with
    no edit roles, so after it the editors of an upgraded site could edit nothing (the admin
    answered 403 for every page they had edited the day before)."""
    users = site.users
    users.add_role("editor", ["page-edit"])
    users.add("edith", "Secret-pass-123", roles=["editor"])
    about = site.pages.add("basic-page", 1, "about", title="About")
    # A site of version 4: the home template defines no access.
    home = site.templates["home"]
    old = {key: value for key, value in home.settings.items()
           if key not in ("use_roles", "view_roles", "edit_roles", "create_roles", "add_roles")}
    site.db.execute("UPDATE templates SET data = ? WHERE id = ?", (json.dumps(old), home.id))
    schema.set_meta(site, "schema_version", 4)
    site.load_schema()

    assert schema.upgrade(site) == list(range(5, len(schema.MIGRATIONS) + 1))
    site.load_schema()

    edith = users.get("edith")
    for permission in ("page-edit", "page-add", "page-delete", "page-move"):
        assert users.has_permission(edith, permission, about), permission
    assert users.has_permission(edith, "page-view", about)
    assert not users.has_permission(edith, "page-edit", site.pages.get("/admin/"))
    guest = users.guest()
    assert users.has_permission(guest, "page-view", about)
    assert not users.has_permission(guest, "page-edit", about)


def test_two_processes_upgrading_tasker_at_once_both_load_it(site, db_url, tmp_path):
    """Two processes boot an upgraded release together and both read Tasker's stored version
    as older. The second ran Tasker's upgrade after the first had finished it, on the fields and
    templates it had read at boot, so it added the template's new fields again: a duplicate key,
    and "installed module 'Tasker' could not be loaded" in that server or worker until it was
    restarted (seen on MariaDB with sites of Tasker 1.0.0 and 1.3.0). The test lets the first
    process upgrade in the window where the second has read the version and not yet upgraded."""
    site.modules.get("Tasker")
    template = site.templates["tasker-task"]
    added_later = [site.fields[name].id for name in ("task_not_before", "task_module", "task_method")]
    # Tasker 1.0.0: its template without the fields later releases added.
    site.db.execute(f"DELETE FROM fieldgroups_fields WHERE fieldgroups_id = ? AND fields_id IN "
                    f"({', '.join('?' * len(added_later))})", (template.fieldgroups_id, *added_later))
    site.db.execute("UPDATE modules SET version = '1.0.0' WHERE class = 'Tasker'")
    first, second = (Site(connect(db_url), tmp_path) for _ in range(2))
    try:
        for booting in (first, second):        # what boot() does before it loads the modules
            booting.load_schema()
        read_row = second.modules._row
        first_loaded = []

        def row_then_first_boots(name):
            row = read_row(name)
            if not first_loaded:
                first_loaded.append(first.modules.load_installed())
            return row

        second.modules._row = row_then_first_boots
        loaded = second.modules.load_installed()

        assert first_loaded == [["Tasker"]] and loaded == ["Tasker"]
        assert second.modules.loaded("Tasker") is not None
        rows = site.db.all("SELECT fields_id, COUNT(*) FROM fieldgroups_fields WHERE "
                           "fieldgroups_id = ? GROUP BY fields_id", (template.fieldgroups_id,))
        assert {count for _, count in rows} == {1}
        assert set(added_later) <= {field_id for field_id, _ in rows}
        assert second.templates["tasker-task"].has_field("task_method")
    finally:
        first.close()
        second.close()


def test_the_refold_upgrades_refold_every_text_field_not_only_the_ones_already_read(site, db_url,
                                                                                   tmp_path):
    """Upgrades 6 and 10 recompute the `fold` of every folded field, but they ran before the
    booting site had read its fields: they refolded only `title` (read by upgrade 5), so on
    a site older than version 6 `summary^=s` and `body*=café` found nothing after `migrate`
    where the old code found the pages."""
    site.fields.add("summary", "Text", label="Summary")
    site.fields.add("body", "Textarea", label="Body")
    site.templates.add("basic-page", fields=["title", "summary", "body"])
    page = site.pages.add("basic-page", 1, "cafe", title="Café", summary="Small café",
                          body="The café's menu")
    # Version 5 folded by str.casefold() alone: lower case, accents kept.
    for table, text in (("field_title", "café"), ("field_summary", "small café"),
                        ("field_body", "the café's menu")):
        site.db.execute(f"UPDATE {table} SET fold = ? WHERE pages_id = ?", (text, page.id))
    schema.set_meta(site, "schema_version", 5)
    site.close()

    upgraded = cms.boot(db_url, site_dir=tmp_path)     # as the next release's first process does
    try:
        assert schema.schema_version(upgraded) == len(schema.MIGRATIONS)
        for table in ("field_title", "field_summary", "field_body"):
            assert upgraded.db.scalar(f"SELECT COUNT(*) FROM {table} WHERE pages_id = ? AND "
                                      "fold = UPPER(fold)", (page.id,)) == 1, table
        for selector in ("summary^=small", "summary=small cafe", "body*=café", "body*=CAFE",
                         "title=cafe"):
            assert [found.id for found in upgraded.pages.find(selector)] == [page.id], selector
    finally:
        upgraded.close()


def test_a_site_upgraded_before_the_refold_fix_gets_its_other_fields_refolded(site, db_url,
                                                                            tmp_path):
    """A site that went through upgrades 6 and 10 while they refolded only `title` is at the
    current version with old folds in its other text fields: the next upgrade refolds them."""
    site.fields.add("summary", "Text", label="Summary")
    site.templates.add("basic-page", fields=["title", "summary"])
    page = site.pages.add("basic-page", 1, "cafe", title="Café", summary="Small café")
    site.db.execute("UPDATE field_summary SET fold = ? WHERE pages_id = ?", ("small café", page.id))
    schema.set_meta(site, "schema_version", 11)
    site.close()

    upgraded = cms.boot(db_url, site_dir=tmp_path)
    try:
        assert upgraded.db.scalar("SELECT fold FROM field_summary WHERE pages_id = ?",
                                  (page.id,)) == "SMALL CAFE"
        assert [found.id for found in upgraded.pages.find("summary=small cafe")] == [page.id]
    finally:
        upgraded.close()


def test_the_refold_upgrades_leave_tasker_view_backed_fields_alone(site, db_url, tmp_path):
    """Before Tasker 1.2 its view-backed fields had the plain Text type (`signature`,
    `task_runner` ...) and before 1.3 their views folded with LOWER(): once the refold
    upgrades read every field, they tried to UPDATE those views, and the upgrade of a Tasker
    1.0 site stopped at version 5 ("cannot modify field_signature because it is a view").
    The views fold by themselves (Tasker's own upgrade redefines them)."""
    site.modules.register(Noop)
    tasker = site.modules.get("Tasker")
    task = tasker.create_task(Noop, "run", 1, "Made before the upgrade")
    for name, column in (("signature", "signature"), ("task_module", "module")):
        site.db.execute("UPDATE fields SET type = 'Text' WHERE name = ?", (name,))
        site.db.ddl(f"DROP VIEW field_{name}")
        site.db.ddl(view_sql(name, column, "KeptText").replace("UPPER(", "LOWER("))
    site.db.execute("UPDATE modules SET version = '1.0.0' WHERE class = 'Tasker'")
    schema.set_meta(site, "schema_version", 5)
    site.close()

    upgraded = cms.boot(db_url, site_dir=tmp_path)
    try:
        upgraded.modules.register(Noop)
        assert schema.schema_version(upgraded) == len(schema.MIGRATIONS)
        assert upgraded.modules.loaded("Tasker") is not None
        assert upgraded.fields["signature"].type.name == "KeptText"
        assert [found.id for found in upgraded.pages.find("task_module=noop, include=all")] == [task.id]
    finally:
        upgraded.close()


class Noop(cms.Module):
    def run(self, page, task_data, options):
        task_data["task_done"] = 1
        return True
