"""Setup > Templates over HTTP: add, fields in order, family settings, delete refused in use."""
from __future__ import annotations

from webclient import FormValues


def test_a_template_is_added_and_its_fields_ordered(site, superuser):
    token = superuser.token()
    site.fields.add("body", "Textarea", label="Body")
    site.fields.add("rank", "Integer")
    added = superuser.post("/admin/setup/templates/add",
                       [("csrf_token", token), ("name", "article"), ("fields", "title")])
    assert added.status == 303 and added.location.endswith("/admin/setup/templates/article/edit")
    saved = superuser.post("/admin/setup/templates/article/edit", [
        ("csrf_token", token), ("fields", "title"), ("add_field", "body"), ("label", "Article"),
        ("no_children", "1"), ("parent_templates", "basic-page"), ("parent_templates", "home")])
    assert saved.status == 303
    site.templates.load()
    article = site.templates["article"]
    assert article.field_names == ["title", "body"]
    assert article.settings["label"] == "Article" and article.settings["no_children"]
    assert article.settings["parent_templates"] == ["basic-page", "home"]
    reordered = superuser.post("/admin/setup/templates/article/edit", [
        ("csrf_token", token), ("fields", "body"), ("fields", "title"), ("add_field", "rank"),
        ("label", "Article")])
    assert reordered.status == 303
    site.templates.load()
    assert site.templates["article"].field_names == ["body", "title", "rank"]
    assert not site.templates["article"].settings["no_children"]
    page = site.pages.add("article", 1, title="First")
    form = superuser.get(f"/admin/page/{page.id}/edit")
    assert form.text.index('id="field-body"') < form.text.index('id="field-title"')
    listed = superuser.get("/admin/setup/templates/")
    assert "body, title, rank" in listed.text


def test_taking_away_a_field_that_holds_values_asks_first(site, superuser):
    """One "remove" and Save deleted the titles of every page of the template for good."""
    token = superuser.token()
    site.fields.add("body", "Textarea", label="Body")
    site.templates.add("article", fields=["title", "body"])
    site.pages.add("article", 1, "one", title="One", body="Text")
    site.pages.add("article", 1, "two", title="Two")
    asked = superuser.post("/admin/setup/templates/article/edit", [
        ("csrf_token", token), ("fields", "body")])
    assert asked.status == 400
    assert "Taking away Title (2 pages) deletes those values" in asked.text
    assert 'name="confirm_remove"' in asked.text
    site.templates.load()
    assert site.templates["article"].field_names == ["title", "body"]
    assert site.pages.get("/one/").title == "One"
    emptied = superuser.post("/admin/setup/templates/article/edit", [
        ("csrf_token", token), ("fields", "title"), ("add_field", "")])   # body held one value
    assert emptied.status == 400 and "Body (1 page)" in emptied.text
    confirmed = superuser.post("/admin/setup/templates/article/edit", [
        ("csrf_token", token), ("fields", "title"), ("confirm_remove", "1")])
    assert confirmed.status == 303
    site.templates.load()
    assert site.templates["article"].field_names == ["title"]
    assert site.pages.get("/one/").title == "One"
    site.templates["article"].add_field("body")
    nothing_held = superuser.post("/admin/setup/templates/article/edit", [
        ("csrf_token", token), ("fields", "title")])                      # body holds nothing now
    assert nothing_held.status == 303


def test_add_a_field_offers_no_system_field(site, superuser):
    """`pass` (users' password hashes) could be added to the home template."""
    site.fields.add("summary", "Text")
    form = superuser.get("/admin/setup/templates/basic-page/edit").text
    offered = form.split('id="field-add_field"', 1)[1].split("</fieldset>", 1)[0]
    assert 'value="summary"' in offered and 'value="title"' not in offered    # title is there
    for hidden in ("pass", "roles", "permissions"):
        assert f'value="{hidden}"' not in offered, hidden
    refused = superuser.post("/admin/setup/templates/basic-page/edit", [
        ("csrf_token", superuser.token()), ("fields", "title"), ("add_field", "pass")])
    assert refused.status == 400 and "system" in refused.text
    site.templates.load()
    assert site.templates["basic-page"].field_names == ["title"]
    refused = superuser.post("/admin/setup/templates/add", [
        ("csrf_token", superuser.token()), ("name", "sneaky"), ("fields", "title"),
        ("add_field", "pass")])
    assert refused.status == 400 and "system" in refused.text and "sneaky" not in site.templates


def test_several_fields_are_added_at_once_on_the_add_and_the_edit_form(site, superuser):
    """"Add a field" took one field per save, and the add form dropped the one chosen."""
    token = superuser.token()
    for name in ("body", "rank", "when"):
        site.fields.add(name, "Datetime" if name == "when" else "Text")
    added = superuser.post("/admin/setup/templates/add", [
        ("csrf_token", token), ("name", "article"), ("fields", "title"),
        ("add_field", "body"), ("add_field", "rank")])
    assert added.status == 303
    site.templates.load()
    assert site.templates["article"].field_names == ["title", "body", "rank"]
    form = superuser.get("/admin/setup/templates/article/edit").text
    offered = form.split('id="field-add_field"', 1)[1].split("</fieldset>", 1)[0]
    assert 'value="when"' in offered and 'value="body"' not in offered
    saved = superuser.post("/admin/setup/templates/article/edit", [
        ("csrf_token", token), ("fields", "rank"), ("fields", "title"), ("fields", "body"),
        ("add_field", "when"), ("add_field", "body"), ("add_field", "when")])
    assert saved.status == 303
    site.templates.load()
    assert site.templates["article"].field_names == ["rank", "title", "body", "when"]


def test_the_add_page_form_offers_the_templates_the_family_settings_allow(site, superuser):
    site.templates.add("folder", child_templates=["basic-page"])
    folder = site.pages.add("folder", 1, title="Folder")
    form = superuser.get(f"/admin/page/add?parent={folder.id}")
    assert 'value="basic-page"' in form.text and 'value="folder"' not in form.text
    refused = superuser.post(f"/admin/page/add?parent={folder.id}", {
        "csrf_token": superuser.token(), "template": "folder", "title": "Inner"})
    assert refused.status == 400 and folder.num_children == 0


def test_bad_input_is_refused_beside_its_input_and_nothing_changes(site, superuser):
    token = superuser.token()
    for pairs, input_name, words in (
            ([("name", "bad name!"), ("fields", "title")], "name", "letters, digits"),
            ([("name", "basic-page"), ("fields", "title")], "name", "already"),
            ([("name", "odd"), ("fields", "title"), ("fields", "nope")], "fields",
             "unknown field")):
        answer = superuser.post("/admin/setup/templates/add", [("csrf_token", token)] + pairs)
        assert answer.status == 400, pairs
        beside = answer.text.split(f'id="field-{input_name}"', 1)[1].split("</fieldset>", 1)[0]
        assert words in beside.split("field-error", 1)[1], (pairs, beside)
    assert site.templates.get("odd") is None
    refused = superuser.post("/admin/setup/templates/basic-page/edit", [
        ("csrf_token", token), ("fields", "title"), ("fields", "nope"), ("label", "Changed")])
    assert refused.status == 400 and "unknown field" in refused.text
    site.templates.load()
    assert site.templates["basic-page"].label == "basic-page"


def test_a_template_that_pages_use_is_not_deleted(site, superuser):
    token = superuser.token()
    site.templates.add("article")
    page = site.pages.add("article", 1, title="First")
    refused = superuser.post("/admin/setup/templates/article/delete", {"csrf_token": token, "confirmed": "1"})
    assert "used by 1 page" in superuser.get(refused.location).text
    assert "article" in site.templates
    site.pages.delete(page)
    deleted = superuser.post("/admin/setup/templates/article/delete", {"csrf_token": token, "confirmed": "1"})
    assert deleted.location == "/admin/setup/templates/"
    site.templates.load()
    assert site.templates.get("article") is None


def test_a_templates_access_is_set_and_refused_input_changes_nothing(site, superuser):
    token = superuser.token()
    site.users.add_role("writer", ["page-edit"])
    form = superuser.get("/admin/setup/templates/basic-page/edit")
    assert 'id="template-access-section"' in form.text and 'value="writer"' in form.text
    saved = superuser.post("/admin/setup/templates/basic-page/edit", [
        ("csrf_token", token), ("fields", "title"), ("label", ""), ("use_roles", "1"),
        ("view_roles", "guest"), ("edit_roles", "writer")])
    assert saved.status == 303
    site.templates.load()
    assert site.templates["basic-page"].access_roles() == {
        "view": ["guest"], "edit": ["writer"], "create": [], "add": []}
    shown = superuser.get("/admin/setup/templates/basic-page/edit").text
    assert 'name="edit_roles" value="writer" checked' in shown
    refused = superuser.post("/admin/setup/templates/home/edit", [
        ("csrf_token", token), ("fields", "title"), ("label", "Home page")])   # access unchecked
    assert refused.status == 400
    beside = refused.text.split('id="template-access-section"', 1)[1].split('type="submit"', 1)[0]
    assert "home template must define access" in beside
    site.templates.load()
    assert site.templates["home"].settings["use_roles"]
    assert site.templates["home"].settings["label"] == ""           # nothing was saved
    inherited = superuser.post("/admin/setup/templates/basic-page/edit", [
        ("csrf_token", token), ("fields", "title"), ("label", "")])
    assert inherited.status == 303
    site.templates.load()
    assert site.templates["basic-page"].access_roles() == {}
    # roles ticked without the box that makes the template define access: said, not dropped
    unticked = superuser.post("/admin/setup/templates/basic-page/edit", [
        ("csrf_token", token), ("fields", "title"), ("label", ""), ("create_roles", "guest")])
    assert unticked.status == 400 and "Roles are ticked but" in unticked.text
    site.templates.load()
    assert site.templates["basic-page"].access_roles() == {}


def test_saving_setup_forms_untouched_changes_nothing(site, superuser):
    site.fields.add("rank", "Integer", label="Rank", min=-5, max=50, required=True,
                    description="Higher first")
    site.fields.add("related", "Page", label="Related", multiple=True, template="basic-page")
    site.fields.add("note", "Text", label="Note")
    site.fields.add("price", "Float", label="Price")
    site.users.add_role("editor", ["page-edit"])
    site.templates.add("article", fields=["title", "rank", "related", "note"], label="Article",
                       no_children=True, parent_templates=["home", "basic-page"],
                       url_segments=["feed", "regex:^tag/[a-z]+$"], page_numbers=True)
    site.templates["article"].set_access(view=["guest"], edit=["editor"])
    for name in ("rank", "related", "note", "price"):
        before = site.fields.get(name)
        form = FormValues(superuser.get(f"/admin/setup/fields/{name}/edit").text, 'id="field-form"')
        saved = superuser.post(f"/admin/setup/fields/{name}/edit", form.pairs)
        assert saved.status == 303, (name, saved.text[:1500])
        site.fields.load()
        after = site.fields.get(name)
        assert (after.type.name, after.label, after.description, after.required, after.settings) \
            == (before.type.name, before.label, before.description, before.required,
                before.settings), name

    def described(template):       # the family lists are sets: the form lists them by name
        settings = {key: sorted(value) if key.endswith("_templates") else value
                    for key, value in template.settings.items()}
        return template.field_names, settings, template.access_roles()

    before = described(site.templates["article"])
    form = FormValues(superuser.get("/admin/setup/templates/article/edit").text,
                      'id="template-form"')
    assert superuser.post("/admin/setup/templates/article/edit", form.pairs).status == 303
    site.templates.load()
    assert described(site.templates["article"]) == before


def test_the_order_of_a_templates_children_is_set_and_refused_beside_its_input(site, superuser):
    token = superuser.token()
    site.pages.add("basic-page", 1, "shelf", title="Shelf")
    for name in ("b", "c", "a"):
        site.pages.add("basic-page", "/shelf/", name, title=name.upper())
    saved = superuser.post("/admin/setup/templates/basic-page/edit", [
        ("csrf_token", token), ("fields", "title"), ("sortfield", "-title")])
    assert saved.status in (302, 303)
    site.templates.load()
    assert site.pages.get("/shelf/").children().explode("name") == ["c", "b", "a"]
    refused = superuser.post("/admin/setup/templates/basic-page/edit", [
        ("csrf_token", token), ("fields", "title"), ("sortfield", "nope")])
    assert refused.status == 400
    beside = refused.text.split('id="field-sortfield"', 1)[1].split("</fieldset>", 1)[0]
    assert "not a sort key" in beside
    site.templates.load()
    assert site.templates["basic-page"].settings["sortfield"] == "-title"


def test_url_segments_and_page_numbers_are_set_and_a_bad_rule_refused_beside_its_input(site, superuser):
    token = superuser.token()
    form = [("csrf_token", token), ("fields", "title")]
    assert superuser.post("/admin/setup/templates/basic-page/edit",
                          form + [("url_segments_on", "1"), ("page_numbers", "1")]).status == 303
    site.templates.load()
    settings = site.templates["basic-page"].settings
    assert settings["url_segments"] is True and settings["page_numbers"] is True
    assert superuser.post("/admin/setup/templates/basic-page/edit", form + [
        ("url_segment_rules", "feed\r\n\r\n regex:^tag/ ")]).status == 303
    site.templates.load()
    settings = site.templates["basic-page"].settings
    assert settings["url_segments"] == ["feed", "regex:^tag/"] and settings["page_numbers"] is False
    shown = superuser.get("/admin/setup/templates/basic-page/edit").text
    assert "feed\nregex:^tag/</textarea>" in shown
    refused = superuser.post("/admin/setup/templates/basic-page/edit", form + [
        ("url_segment_rules", "regex:(")])
    assert refused.status == 400
    beside = refused.text.split('id="field-url_segment_rules"', 1)[1].split("</div>", 1)[0]
    assert "no regular expression" in beside and "regex:(" in beside
    site.templates.load()
    assert site.templates["basic-page"].settings["url_segments"] == ["feed", "regex:^tag/"]
