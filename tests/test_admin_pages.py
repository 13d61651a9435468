"""The page editor's Save and Save + Exit, required fields, who changed a page, name changes."""
from __future__ import annotations

from webclient import PASSWORD, Client


def test_save_stays_and_save_and_exit_goes_back_to_the_tree(site, superuser):
    page = site.pages.add("basic-page", 1, "about", title="About")
    token = superuser.token()
    stay = superuser.post(f"/admin/page/{page.id}/edit", {
        "csrf_token": token, "title": "About us", "name": "about", "after": "stay"})
    assert stay.location == f"/admin/page/{page.id}/edit"
    leave = superuser.post(f"/admin/page/{page.id}/edit", {
        "csrf_token": token, "title": "About", "name": "about", "after": "exit"})
    assert leave.location == f"/admin/?open={page.id}"
    assert site.pages.get(page.id).title == "About"


def test_an_empty_title_or_required_field_is_refused_beside_it(site, superuser):
    site.fields.add("summary", "Text", label="Summary", required=True,
                    description="One line for lists")
    site.templates["basic-page"].add_field("summary")
    page = site.pages.add("basic-page", 1, "about", title="About", summary="Short")
    form = superuser.get(f"/admin/page/{page.id}/edit")
    assert "One line for lists" in form.text
    refused = superuser.post(f"/admin/page/{page.id}/edit", {
        "csrf_token": form.csrf(), "title": "  ", "summary": "", "name": "about"})
    assert refused.status == 400
    for name, label in (("title", "Title"), ("summary", "Summary")):
        beside = refused.text.split(f'id="field-{name}"', 1)[1].split("</div>", 1)[0]
        assert f"{label} is required" in beside
    again = site.pages.get(page.id)
    assert (again.title, again.summary) == ("About", "Short")


def test_the_editor_names_who_created_and_modified_the_page(site, superuser, admin_server):
    site.users.add_role("editor", ["page-edit"])
    site.users.add("ed", PASSWORD, roles=["editor"])
    editor = Client(admin_server)
    editor.login("ed")
    added = superuser.post("/admin/page/add?parent=1", {
        "csrf_token": superuser.token(), "parent": "1", "template": "basic-page",
        "title": "News"})
    page_id = int(added.location.split("/")[3])
    editor.post(f"/admin/page/{page_id}/edit", {"csrf_token": editor.token(), "title": "News!",
                                                 "name": "news"})
    people = superuser.get(f"/admin/page/{page_id}/edit").text.split('id="page-people"')[1]
    people = people.split("</p>", 1)[0]
    assert "by admin" in people and "modified" in people.split("by admin")[1]
    assert people.rstrip().endswith("by ed")
    editor.close()


def test_a_name_changed_on_save_is_said(site, superuser):
    site.pages.add("basic-page", 1, "taken", title="Taken")
    page = site.pages.add("basic-page", 1, "mine", title="Mine")
    token = superuser.token()
    clash = superuser.post(f"/admin/page/{page.id}/edit", {
        "csrf_token": token, "title": "Mine", "name": "taken"})
    shown = superuser.get(clash.location).text
    assert site.pages.get(page.id).name == "taken-1"
    assert "Another page here is named &#39;taken&#39;, so this one was saved as &#39;taken-1&#39;" in shown
    cleaned = superuser.post(f"/admin/page/{page.id}/edit", {
        "csrf_token": token, "title": "Mine", "name": "My Page"})
    assert site.pages.get(page.id).name == "my-page"
    assert "The name &#39;My Page&#39; was saved as &#39;my-page&#39;" in superuser.get(
        cleaned.location).text
    same = superuser.post(f"/admin/page/{page.id}/edit", {
        "csrf_token": token, "title": "Mine", "name": "my-page"})
    assert "was saved as" not in superuser.get(same.location).text
