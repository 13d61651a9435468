"""Setup > Fields over HTTP: list, add, edit, delete; refused input changes nothing."""
from __future__ import annotations

import re

import pytest
from webclient import PASSWORD, Client

from cms import ValidationError


def test_a_field_is_added_edited_and_shown_in_the_list(site, superuser):
    token = superuser.token()
    added = superuser.post("/admin/setup/fields/add", {
        "csrf_token": token, "name": "rank", "type": "Integer", "label": "Rank",
        "description": "Higher first", "setting_min": "0", "setting_max": "10"})
    assert added.status == 303 and added.location.endswith("/admin/setup/fields/rank/edit")
    site.fields.load()
    rank = site.fields["rank"]
    assert (rank.type.name, rank.label, rank.description) == ("Integer", "Rank", "Higher first")
    assert rank.settings == {"min": 0, "max": 10}
    listed = superuser.get("/admin/setup/fields/")
    assert listed.status == 200 and "/admin/setup/fields/rank/edit" in listed.text
    saved = superuser.post("/admin/setup/fields/rank/edit", {
        "csrf_token": token, "type": "Integer", "label": "Position", "description": "",
        "required": "1", "setting_min": "", "setting_max": "99"})
    assert saved.status == 303
    site.fields.load()
    rank = site.fields["rank"]
    assert (rank.label, rank.required, rank.settings) == ("Position", True,
                                                          {"min": None, "max": 99})
    form = superuser.get("/admin/setup/fields/rank/edit")
    assert 'value="Position"' in form.text and 'value="99"' in form.text


def test_a_limit_that_stored_values_break_is_saved_with_a_warning(site, superuser):
    token = superuser.token()
    site.fields.add("rank", "Integer", label="Rank")
    site.templates.add("item", fields=["title", "rank"])
    for n in (1, 5, 9, 12):
        site.pages.add("item", 1, title=f"Item {n}", rank=n)
    saved = superuser.post("/admin/setup/fields/rank/edit", {
        "csrf_token": token, "type": "Integer", "label": "Rank", "description": "",
        "setting_min": "2", "setting_max": "10"})
    assert saved.status == 303
    shown = superuser.get(saved.location).text
    assert "2 page(s) hold a rank outside the new limits" in shown
    widened = superuser.post("/admin/setup/fields/rank/edit", {
        "csrf_token": token, "type": "Integer", "label": "Rank", "description": "",
        "setting_min": "", "setting_max": "100"})
    assert "outside the new limits" not in superuser.get(widened.location).text


def test_bad_input_is_shown_beside_its_input_and_nothing_changes(site, superuser):
    token = superuser.token()
    names_before = site.fields.names()
    for values, input_name, words in (
            ({"name": "2bad", "type": "Text"}, "name", "not an identifier"),
            ({"name": "title", "type": "Integer"}, "name", "exists already"),
            ({"name": "title", "type": "PageTitle", "label": "Mine"}, "name", "exists already"),
            ({"name": "size", "type": "Integer", "setting_min": "5", "setting_max": "1"},
             "setting_min", "above max"),
            ({"name": "size", "type": "Integer", "setting_max": "lots"}, "setting_max",
             "not a whole number"),
            ({"name": "short", "type": "Text", "setting_maxlength": "9999"},
             "setting_maxlength", "maxlength"),
            ({"name": "odd", "type": "Nope"}, "type", "unknown fieldtype"),
            ({"name": "mirror", "type": "KeptInteger"}, "type", "is not made here"),
            ({"name": "secret", "type": "Password"}, "type", "is not made here")):
        answer = superuser.post("/admin/setup/fields/add", {"csrf_token": token, **values})
        assert answer.status == 400, values
        beside = answer.text.split(f'id="field-{input_name}"', 1)[1].split("</div>", 1)[0]
        assert "field-error" in beside and words in beside, (values, beside)
    site.fields.load()
    assert site.fields.names() == names_before
    refused = superuser.post("/admin/setup/fields/title/edit", {
        "csrf_token": token, "type": "Integer", "label": "Number"})
    assert refused.status == 400 and "is a system field" in refused.text
    site.fields.load()
    assert site.fields["title"].label == "Title" and site.fields["title"].type.name == "PageTitle"


def test_the_system_s_own_fields_and_templates_keep_what_users_and_roles_need(site, superuser):
    """A roles field made single, or the user template without roles, broke every user save."""
    token = superuser.token()
    refused = superuser.post("/admin/setup/fields/roles/edit", {
        "csrf_token": token, "type": "Page", "label": "r", "setting_template": "basic-page"})
    assert refused.status == 400 and "its type and settings stay as they are" in refused.text
    site.fields.load()
    assert site.fields["roles"].settings["multiple"] is True
    assert site.fields["roles"].settings["template"] == "role"
    relabelled = superuser.post("/admin/setup/fields/roles/edit", {
        "csrf_token": token, "type": "Page", "label": "Roles held", "setting_multiple": "1",
        "setting_template": "role"})
    assert relabelled.status == 303
    site.fields.load()
    assert site.fields["roles"].label == "Roles held"
    with pytest.raises(ValidationError, match="keeps roles"):
        site.templates["user"].set_fields(["email", "pass"])
    site.fields.add("bio", "Textarea")
    site.templates["user"].set_fields(["email", "pass", "roles", "bio"])   # a site's own field
    site.templates["user"].set_fields(["email", "pass", "roles"])          # comes and goes
    assert site.templates["user"].field_names == ["email", "pass", "roles"]
    site.users.add("ann", PASSWORD, roles=["superuser"])


def test_a_field_in_use_is_not_deleted(site, superuser):
    token = superuser.token()
    site.fields.add("body", "Textarea")
    site.templates["basic-page"].add_field("body")
    refused = superuser.post("/admin/setup/fields/body/delete", {"csrf_token": token, "confirmed": "1"})
    assert refused.status == 303
    shown = superuser.get(refused.location)
    assert "used by template(s) basic-page" in shown.text
    assert "body" in site.fields
    site.fields.add("spare", "Text")
    deleted = superuser.post("/admin/setup/fields/spare/delete", {"csrf_token": token, "confirmed": "1"})
    assert deleted.status == 303 and deleted.location == "/admin/setup/fields/"
    site.fields.load()
    assert site.fields.get("spare") is None
    assert superuser.get("/admin/setup/fields/spare/edit").status == 404
    title = superuser.get("/admin/setup/fields/title/edit")
    assert 'id="delete-refused"' in title.text and "/admin/setup/fields/title/delete" not in title.text
    refused = superuser.post("/admin/setup/fields/title/delete", {"csrf_token": token, "confirmed": "1"})
    assert "title" in site.fields and "is a system field" in superuser.get(refused.location).text


def test_setup_is_for_superusers_and_changes_need_the_csrf_token(site, superuser, admin_server):
    site.users.add_role("editor", ["page-edit"])
    site.users.add("ed", PASSWORD, roles=["editor"])
    editor = Client(admin_server)
    editor.login("ed")
    assert editor.get("/admin/setup/fields/").status == 403
    assert editor.post("/admin/setup/fields/add", {"csrf_token": editor.token(), "name": "x",
                                                   "type": "Text"}).status == 403
    assert "Setup" not in editor.get("/admin/").text
    no_token = superuser.post("/admin/setup/fields/add", {"name": "x", "type": "Text"})
    assert no_token.status == 403 and site.fields.get("x") is None
    editor.close()


def test_without_a_script_every_type_s_settings_can_be_filled_in(superuser):
    """The add form hid all but Text's settings, and only the script shows them when another
    type is chosen: without it an Integer's min and max could not be given when adding it."""
    form = superuser.get("/admin/setup/fields/add").text
    settings = re.findall(r'<div class="setting" data-types="[^"]*"[^>]*>', form)
    assert any("Integer" in tag for tag in settings)
    assert not [tag for tag in settings if "hidden" in tag]
