"""Two tabs on one admin form: Setup > Fields and Templates, Access > Users and Roles, a
module's settings.

Each test opens the form twice (one session, two GETs, as two tabs of one browser), saves a
change from the first, then saves the second, which still shows the values from before. The
page editor already merges such a save (test_ux_findings_6); these forms sent every input as
they had shown it, so the second tab's save put back what the first had changed, with
"Saved". Now they merge as the page editor does: a change to another setting stays, a setting
both tabs changed is refused beside its input with what was typed kept, and a form whose
item was deleted meanwhile says so.
"""
from __future__ import annotations

import re

from webclient import FormValues


def sent(page, marker: str, **changes: str | bool | list[str]) -> list[tuple[str, str]]:
    """What a browser sends for the form with `marker` in `page`, with `changes` made as a
    person makes them: a text typed over, a box ticked (True) or unticked (False), a group
    of boxes given the values ticked (a list)."""
    pairs = FormValues(page.text, marker).pairs
    for name, value in changes.items():
        at = next((i for i, (key, _) in enumerate(pairs) if key == name), len(pairs))
        pairs = [(key, v) for key, v in pairs if key != name]
        values = value if isinstance(value, list) else ["1"] if value is True else \
            [] if value is False else [value]
        pairs[at:at] = [(name, v) for v in values]
    return pairs


def two_tabs(client, edit: str, marker: str, first: dict, second: dict):
    """The form at `edit` opened twice; the first tab saves `first` (as `sent` takes changes),
    then the second, still showing the values from before, saves `second`: its answer."""
    opened_first, opened_second = client.get(edit), client.get(edit)
    assert client.post(edit, sent(opened_first, marker, **first)).status == 303
    return client.post(edit, sent(opened_second, marker, **second))


def schema_of(site):
    """`site`, its fields and templates read again: the server's saves changed them."""
    site.refresh_schema(0)
    return site


def error_beside(page, name: str) -> str:
    """The message shown beside the input `name` ("" when none is)."""
    found = re.search(rf'id="error-{name}"[^>]*>([^<]*)<', page.text)
    return found.group(1) if found else ""


def notices_after(client, path: str) -> str:
    """The page at `path`, which shows the notices the last save left."""
    return client.get(path).text


# -- Setup > Fields ------------------------------------------------------------------------------
FIELD = 'id="field-form"'


def test_a_field_saved_from_a_second_tab_keeps_what_the_first_changed(site, superuser):
    """The first tab gave the field a label and made it required; the second, opened before,
    gave it a description: its save put the old label back and made it optional again."""
    site.fields.add("summary", "Text", label="Summary")
    edit = "/admin/setup/fields/summary/edit"
    answer = two_tabs(superuser, edit, FIELD, dict(label="Short summary", required=True),
                      dict(description="One line under the title"))
    assert answer.status == 303, answer.text
    stored = schema_of(site).fields.get("summary")
    assert (stored.label, stored.required, stored.description) == (
        "Short summary", True, "One line under the title")
    assert "Kept Label and Required as saved elsewhere" in notices_after(superuser, edit)


def test_a_field_setting_changed_in_both_tabs_is_refused_with_what_was_typed_kept(site, superuser):
    """Both tabs changed an Integer field's max: the second's replaced the first's unsaid.
    It is refused beside the input (409), its value kept there, nothing stored; saved again
    from that form, it goes in, as the person then chose."""
    site.fields.add("qty", "Integer", label="Quantity", max=10)
    edit = "/admin/setup/fields/qty/edit"
    refused = two_tabs(superuser, edit, FIELD, dict(setting_max="20"),
                       dict(setting_max="50", label="How many"))
    assert refused.status == 409, refused.text
    assert "saved elsewhere" in error_beside(refused, "setting_max")
    assert 'value="50"' in refused.text and 'value="How many"' in refused.text
    stored = schema_of(site).fields.get("qty")
    assert (stored.settings["max"], stored.label) == (20, "Quantity")
    again = superuser.post(edit, FormValues(refused.text, FIELD).pairs)
    assert again.status == 303, again.text
    stored = schema_of(site).fields.get("qty")
    assert (stored.settings["max"], stored.label) == (50, "How many")


def test_a_field_deleted_in_another_tab_is_said_when_its_form_is_saved(site, superuser):
    site.fields.add("summary", "Text", label="Summary")
    edit = "/admin/setup/fields/summary/edit"
    second = superuser.get(edit)
    site.fields.delete("summary")
    answer = superuser.post(edit, sent(second, FIELD, label="Short summary"))
    assert answer.status == 404
    assert "deleted" in answer.text and "nothing was saved" in answer.text
    assert site.fields.get("summary") is None


# -- Setup > Templates ---------------------------------------------------------------------------
TEMPLATE = 'id="template-form"'


def test_a_template_saved_from_a_second_tab_keeps_the_field_the_first_added(site, superuser):
    """The first tab added a field to the template; the second, opened before, changed the
    label: its save took the new field away again (its list of fields was the old one), which
    deletes what pages held in it, with no word when none held any yet."""
    site.fields.add("body", "Textarea", label="Body")
    site.templates.add("article", fields=["title"])
    edit = "/admin/setup/templates/article/edit"
    answer = two_tabs(superuser, edit, TEMPLATE, dict(add_field=["body"]),
                      dict(label="Article", sortfield="-created"))
    assert answer.status == 303, answer.text
    stored = schema_of(site).templates.get("article")
    assert stored.field_names == ["title", "body"]
    assert (stored.label, stored.settings["sortfield"]) == ("Article", "-created")


def test_template_boxes_ticked_in_two_tabs_both_stay(site, superuser):
    """Each box of a group (allowed parent templates, the roles of its access) is a setting
    of its own: one tab ticking one and the other another keeps both."""
    site.templates.add("article", fields=["title"])
    site.templates.add("section", fields=["title"])
    edit = "/admin/setup/templates/article/edit"
    answer = two_tabs(superuser, edit, TEMPLATE, dict(parent_templates=["section"]),
                      dict(parent_templates=["home"]))
    assert answer.status == 303, answer.text
    stored = schema_of(site).templates.get("article")
    assert sorted(stored.settings["parent_templates"]) == ["home", "section"]


def test_a_template_label_changed_in_both_tabs_is_refused(site, superuser):
    site.templates.add("article", fields=["title"])
    edit = "/admin/setup/templates/article/edit"
    refused = two_tabs(superuser, edit, TEMPLATE, dict(label="News item"), dict(label="Blog post"))
    assert refused.status == 409, refused.text
    assert "saved elsewhere" in error_beside(refused, "label")
    assert 'value="Blog post"' in refused.text
    assert schema_of(site).templates.get("article").label == "News item"


def test_a_template_deleted_in_another_tab_is_said_when_its_form_is_saved(site, superuser):
    site.templates.add("article", fields=["title"])
    edit = "/admin/setup/templates/article/edit"
    second = superuser.get(edit)
    site.templates.delete("article")
    answer = superuser.post(edit, sent(second, TEMPLATE, label="Blog post"))
    assert answer.status == 404
    assert "deleted" in answer.text and "nothing was saved" in answer.text


# -- Access > Users and Roles ----------------------------------------------------------------------
USER = 'id="user-form"'
ROLE = 'id="role-form"'


def test_a_user_saved_from_a_second_tab_keeps_the_role_the_first_gave(site, superuser):
    """The first tab gave the user the editor role; the second changed the email: its save
    took the role away again."""
    site.users.add_role("editor", permissions=["page-edit"])
    site.users.add_role("author", permissions=["page-edit"])
    bob = site.users.add("bob", "a-long-password-1", roles=(), email="bob@example.com")
    edit = f"/admin/access/users/{bob.id}/edit"
    answer = two_tabs(superuser, edit, USER, dict(roles=["editor"]),
                      dict(email="robert@example.com", roles=["author"]))
    assert answer.status == 303, answer.text
    stored = site.users.get(bob.id)
    assert stored.get("email") == "robert@example.com"
    assert sorted(stored.role_names()) == ["author", "editor", "guest"]


def test_a_user_s_email_changed_in_both_tabs_is_refused(site, superuser):
    bob = site.users.add("bob", "a-long-password-1", roles=(), email="bob@example.com")
    edit = f"/admin/access/users/{bob.id}/edit"
    refused = two_tabs(superuser, edit, USER, dict(email="robert@example.com"),
                       dict(email="bobby@example.com"))
    assert refused.status == 409, refused.text
    assert "saved elsewhere" in error_beside(refused, "email")
    assert 'value="bobby@example.com"' in refused.text
    assert site.users.get(bob.id).get("email") == "robert@example.com"


def test_a_role_deleted_in_another_tab_does_not_refuse_a_user_s_save(site, superuser):
    """The user's form showed the editor role ticked; another tab deleted that role. The
    save of a new email was refused ("there is no role 'editor'") for a box the person left
    as it was; the role is gone, and the email is saved."""
    site.users.add_role("editor", permissions=["page-edit"])
    bob = site.users.add("bob", "a-long-password-1", roles=("editor",))
    edit = f"/admin/access/users/{bob.id}/edit"
    second = superuser.get(edit)
    site.pages.delete(site.users.role("editor"))
    answer = superuser.post(edit, sent(second, USER, email="bob@example.com"))
    assert answer.status == 303, answer.text
    stored = site.users.get(bob.id)
    assert (stored.get("email"), stored.role_names()) == ("bob@example.com", ["guest"])

def test_a_user_deleted_in_another_tab_is_said_when_its_form_is_saved(site, superuser):
    bob = site.users.add("bob", "a-long-password-1", roles=())
    edit = f"/admin/access/users/{bob.id}/edit"
    second = superuser.get(edit)
    site.users.delete(site.users.get(bob.id))
    answer = superuser.post(edit, sent(second, USER, email="bob@example.com"))
    assert answer.status == 404
    assert "deleted" in answer.text and "nothing was saved" in answer.text


def test_a_role_saved_from_a_second_tab_keeps_the_permission_the_first_gave(site, superuser):
    """The first tab gave the role page-edit, the second page-delete: its save took
    page-edit away again."""
    role = site.users.add_role("editor", permissions=[])
    edit = f"/admin/access/roles/{role.id}/edit"
    answer = two_tabs(superuser, edit, ROLE, dict(permissions=["page-edit"]),
                      dict(permissions=["page-delete"]))
    assert answer.status == 303, answer.text
    held = {p.name for p in site.users.role("editor").get("permissions")}
    assert {"page-edit", "page-delete"} <= held


def test_a_role_deleted_in_another_tab_is_said_when_its_form_is_saved(site, superuser):
    role = site.users.add_role("editor", permissions=[])
    edit = f"/admin/access/roles/{role.id}/edit"
    second = superuser.get(edit)
    site.pages.delete(site.users.role("editor"))
    answer = superuser.post(edit, sent(second, ROLE, permissions=["page-edit"]))
    assert answer.status == 404
    assert "deleted" in answer.text and "nothing was saved" in answer.text


# -- Modules' settings ---------------------------------------------------------------------------
SETTINGS = 'id="module-settings"'


def test_module_settings_saved_from_a_second_tab_keep_what_the_first_changed(site, superuser):
    """The first tab set Tasker's lease, the second its log length: its save put the lease
    back to what it had shown."""
    edit = "/admin/modules/Tasker/settings"
    answer = two_tabs(superuser, edit, SETTINGS, dict(lease_seconds="45"), dict(log_max_lines="500"))
    assert answer.status == 303, answer.text
    config = site.modules.get_config("Tasker")
    assert (config["lease_seconds"], config["log_max_lines"]) == (45, 500)


def test_a_module_setting_changed_in_both_tabs_is_refused(site, superuser):
    edit = "/admin/modules/Tasker/settings"
    refused = two_tabs(superuser, edit, SETTINGS, dict(lease_seconds="45"), dict(lease_seconds="60"))
    assert refused.status == 409, refused.text
    assert "saved elsewhere" in error_beside(refused, "lease_seconds")
    assert 'value="60"' in refused.text
    assert site.modules.get_config("Tasker")["lease_seconds"] == 45



def test_the_kept_notice_speaks_of_one_setting_as_it():
    """"Kept Label ...: you left them as the form showed them" spoke of one setting as many."""
    from cms.web.form_merge import kept_notice
    assert kept_notice(["Label"]).endswith("you left it as the form showed it")
    assert kept_notice(["Label", "Required"]).endswith("you left them as the form showed them")
