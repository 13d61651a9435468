"""The page editor's Save and Save + Exit, required fields, who changed a page, name changes."""
from __future__ import annotations

import re
from datetime import UTC, datetime

from webclient import PASSWORD, Client, FormValues

from cms.page import Page, PageArray


def test_save_stays_and_save_and_exit_goes_back_to_the_tree(site, superuser):
    page = site.pages.add("basic-page", 1, "about", title="About")
    token = superuser.token()
    stay = superuser.post(f"/admin/page/{page.id}/edit", {
        "csrf_token": token, "title": "About us", "name": "about", "editor-after": "stay"})
    assert stay.location == f"/admin/page/{page.id}/edit"
    leave = superuser.post(f"/admin/page/{page.id}/edit", {
        "csrf_token": token, "title": "About", "name": "about", "editor-after": "exit"})
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
    # the add form marks its title required as the editor does
    assert 'Title <span class="required" title="required">*</span>' in \
        superuser.get("/admin/page/add?parent=1").text


def test_the_editor_names_who_created_and_modified_the_page(site, superuser, admin_server):
    site.users.add_role("editor", ["page-edit"])
    site.users.add("ed", PASSWORD, roles=["editor"])
    site.templates["home"].set_access(view=["guest"], edit=["editor"])   # editors edit pages
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


def child_ids(site, parent):
    return [p.id for p in site.pages.get(parent.id).children("include=all")]


def test_children_are_reordered_by_drag_order_and_by_shifting(site, superuser):
    parent = site.pages.add("basic-page", 1, title="Parent")
    kids = [site.pages.add("basic-page", parent, title=f"Kid {n}") for n in range(4)]
    token = superuser.token()
    dragged = superuser.post(f"/admin/page/{parent.id}/sort", {
        "order": f"{kids[2].id},{kids[0].id},{kids[1].id},{kids[3].id}"},
        headers={"X-CSRF-Token": token, "X-Requested-With": "fetch"})
    assert dragged.status == 200 and dragged.json()["status"] is True
    assert child_ids(site, parent) == [kids[i].id for i in (2, 0, 1, 3)]
    up = superuser.post(f"/admin/page/{kids[3].id}/shift", {"csrf_token": token,
                                                             "direction": "up"})
    assert up.location == f"/admin/?open={kids[3].id}"
    assert child_ids(site, parent) == [kids[i].id for i in (2, 0, 3, 1)]
    superuser.post(f"/admin/page/{kids[2].id}/shift", {"csrf_token": token, "direction": "up"})
    superuser.post(f"/admin/page/{kids[2].id}/shift", {"csrf_token": token, "direction": "down"})
    assert child_ids(site, parent) == [kids[i].id for i in (0, 2, 3, 1)]
    listed = superuser.get(f"/admin/page/{parent.id}/children").text     # ↑ and ↓ but at the ends
    assert 'aria-label="Move Kid 0 up" hidden>' in listed
    assert 'aria-label="Move Kid 0 down">' in listed
    assert 'aria-label="Move Kid 1 up">' in listed
    assert 'aria-label="Move Kid 1 down" hidden>' in listed
    superuser.post(f"/admin/page/{kids[0].id}/shift", {"csrf_token": token, "direction": "up"})
    assert "Kid 0 is already the first of its siblings" in superuser.get("/admin/").text
    assert child_ids(site, parent) == [kids[i].id for i in (0, 2, 3, 1)]
    stranger = superuser.post(f"/admin/page/{parent.id}/sort", {"order": "1"},
                              headers={"X-CSRF-Token": token, "X-Requested-With": "fetch"})
    assert stranger.status == 400 and "not a child" in stranger.json()["message"]
    no_token = superuser.post(f"/admin/page/{parent.id}/sort",
                              {"order": f"{kids[1].id},{kids[0].id}"})
    assert no_token.status == 403
    assert child_ids(site, parent) == [kids[i].id for i in (0, 2, 3, 1)]


def test_a_long_list_is_filtered_by_name_and_jumped_through(site, superuser):
    parent = site.pages.add("basic-page", 1, title="Words")
    with site.transaction():
        for n in range(240):
            site.pages.add("basic-page", parent, f"word-{n:03d}", title=f"Word {n:03d}")
    first = superuser.get(f"/admin/page/{parent.id}/children",
                          headers={"X-Requested-With": "fetch"})
    assert 'class="tree-filter"' in first.text and "of 5" in first.text
    last = superuser.get(f"/admin/page/{parent.id}/children?page=5",
                         headers={"X-Requested-With": "fetch"})
    assert "Word 239" in last.text and "Word 199" not in last.text and "Word 200" in last.text
    past = superuser.get(f"/admin/page/{parent.id}/children?page=99",
                         headers={"X-Requested-With": "fetch"})
    assert "Word 239" in past.text
    found = superuser.get(f"/admin/page/{parent.id}/children?q=word-13",
                          headers={"X-Requested-With": "fetch"})
    assert "10 matching children" in found.text
    assert "Word 130" in found.text and "Word 139" in found.text and "Word 140" not in found.text


def test_the_move_form_offers_the_tree_to_pick_the_new_parent(site, superuser):
    target = site.pages.add("basic-page", 1, title="Target")
    page = site.pages.add("basic-page", 1, title="Mover")
    form = superuser.get(f"/admin/page/{page.id}/move")
    assert f'data-pick="{page.id}"' in form.text
    row = form.text.split(f'id="page-{target.id}"', 1)[1].split("</div>", 1)[0]
    assert "Move here" in row and f'name="parent" value="{target.id}"' in row
    own_row = form.text.split(f'id="page-{page.id}"', 1)[1].split("</div>", 1)[0]
    assert "Move here" not in own_row
    site.templates.add("folder", child_templates=["folder"])
    folder = site.pages.add("folder", 1, title="Folders only")
    form = superuser.get(f"/admin/page/{page.id}/move")          # a basic-page may not go there
    assert "Move here" not in form.text.split(f'id="page-{folder.id}"', 1)[1].split("</div>", 1)[0]
    inner = superuser.get(f"/admin/page/{target.id}/children?pick={page.id}",
                          headers={"X-Requested-With": "fetch"})
    assert inner.status == 200
    moved = superuser.post(f"/admin/page/{page.id}/move", {"csrf_token": form.csrf(),
                                                           "parent": str(target.id)})
    assert moved.status == 303 and site.pages.get(page.id).path == "/target/mover/"


def test_a_typed_move_target_follows_the_pickers_rules(site, superuser):
    """Typing 7 moved a page into the trash where Restore could not find it, and typing 2 put
    it under /admin/; a typed parent is held to what the picker offers."""
    page = site.pages.add("basic-page", 1, "mover", title="Mover")
    token = superuser.token()
    for target, words in (("7", "with Trash, not with Move"), ("/trash/", "with Trash, not with Move"),
                          ("2", "does not take"), ("/admin/access/", "does not take")):
        refused = superuser.post(f"/admin/page/{page.id}/move", {"csrf_token": token,
                                                                 "parent": target})
        assert refused.status == 400 and words in refused.text, target
        assert site.pages.get(page.id).path == "/mover/"
    assert superuser.get("/admin/page/add?parent=7").status == 403


def test_the_move_picker_offers_no_page_below_the_one_moved(site, superuser):
    """The picker offered "Move here" on the moved page's own children and grandchildren,
    and the move then failed ("cannot move ... under itself or one of its descendants");
    typing the page's own path said it "does not take a basic-page page here"."""
    page = site.pages.add("basic-page", 1, "section", title="Section")
    child = site.pages.add("basic-page", page, "child", title="Child")
    grandchild = site.pages.add("basic-page", child, "grandchild", title="Grandchild")
    for parent, row in ((page, child), (child, grandchild)):
        inner = superuser.get(f"/admin/page/{parent.id}/children?pick={page.id}",
                              headers={"X-Requested-With": "fetch"})
        assert inner.status == 200
        offered = inner.text.split(f'id="page-{row.id}"', 1)[1].split("</div>", 1)[0]
        assert "Move here" not in offered, row.path
    token = superuser.token()
    for typed in (str(child.id), "/section/", "/section/child/grandchild/"):
        refused = superuser.post(f"/admin/page/{page.id}/move", {"csrf_token": token,
                                                                 "parent": typed})
        assert refused.status == 400
        assert "under itself or" in refused.text, typed
    assert site.pages.get(page.id).path == "/section/"
    # the parent it has is no choice either: said in the picker and to a typed path
    picker = superuser.get(f"/admin/page/{child.id}/move").text
    assert "its parent now" in picker.split(f'id="page-{page.id}"', 1)[1].split("</div>", 1)[0]
    refused = superuser.post(f"/admin/page/{child.id}/move", {"csrf_token": token,
                                                              "parent": "/section/"})
    assert refused.status == 400 and "is under /section/ already" in refused.text


def page_actions(html: str) -> str:
    return html.split('class="page-actions"', 1)[1].split("</div>", 1)[0]


def test_the_editor_offers_the_tree_rows_actions_as_the_user_may(site, superuser, admin_server):
    page = site.pages.add("basic-page", 1, "news", title="News")
    site.pages.add("basic-page", page, "first", title="First")
    actions = page_actions(superuser.get(f"/admin/page/{page.id}/edit").text)
    for shown in ('href="/news/"', f'href="/admin/?open={page.id}">Children (1)',
                  f'href="/admin/page/add?parent={page.id}">New child',
                  f'href="/admin/page/{page.id}/move">Move', f'action="/admin/page/{page.id}/trash"'):
        assert shown in actions
    trashed = superuser.post(f"/admin/page/{page.id}/trash",
                             {"csrf_token": superuser.token(), "confirmed": "1"})
    assert trashed.status == 303 and site.pages.get(page.id).is_trash()
    actions = page_actions(superuser.get(f"/admin/page/{page.id}/edit").text)
    assert f'action="/admin/page/{page.id}/restore"' in actions
    assert f'action="/admin/page/{page.id}/trash"' not in actions and 'href="/news/"' not in actions
    assert f'href="/admin/page/{page.id}/move">Move' in actions     # out of the trash, anywhere

    site.users.add_role("editor", ["page-edit"])             # no page-move, page-delete, page-add
    site.users.add("ed", PASSWORD, roles=["editor"])
    site.templates["home"].set_access(view=["guest"], edit=["editor"])
    other = site.pages.add("basic-page", 1, "other", title="Other")
    editor = Client(admin_server)
    editor.login("ed")
    actions = page_actions(editor.get(f"/admin/page/{other.id}/edit").text)
    assert 'href="/other/"' in actions
    assert "New child" not in actions and "Move" not in actions and "/trash" not in actions
    editor.close()


def test_a_locked_page_offers_no_move_or_trash_that_would_be_refused(site, superuser):
    parent = site.pages.add("basic-page", 1, "parent", title="Parent")
    locked = site.pages.add("basic-page", parent, "kept", title="Kept")
    locked.add_status(locked.STATUS_LOCKED)
    locked.save()
    row = superuser.get(f"/admin/page/{parent.id}/children").text.split(f'id="page-{locked.id}"')[1]
    row = row.split('class="tree-row', 1)[0]
    assert f'href="/admin/page/{locked.id}/move"' not in row        # as ProcessWire's moveable()
    assert f"/admin/page/{locked.id}/trash" not in row


def test_siblings_whose_template_names_its_parents_share_one_count_of_the_other_parents(
        site, superuser, monkeypatch):
    """Move shows where moveable() says so; the rows of one template under one parent ask
    whether another parent could take them once for the listing, not once per row."""
    from cms.pages import Pages
    site.templates.add("book", fields=["title"])
    site.templates.add("chapter", fields=["title"], parent_templates=["book"])
    site.templates["book"].set_settings(child_templates=["chapter"])
    book = site.pages.add("book", 1, "book", title="Book")
    with site.transaction():
        chapters = [site.pages.add("chapter", book, f"chapter-{n}", title=f"Chapter {n}") for n in range(12)]
    counted: list[str] = []
    count = Pages.count

    def counting(self, selector, *args, **kwargs):
        counted.append(str(selector))
        return count(self, selector, *args, **kwargs)
    monkeypatch.setattr(Pages, "count", counting)

    def moves_offered() -> int:
        listing = superuser.get(f"/admin/page/{book.id}/children").text
        return sum(f'href="/admin/page/{chapter.id}/move"' in listing for chapter in chapters)
    assert moves_offered() == 0                           # no other book could take a chapter
    assert sum("template=book" in each for each in counted) == 1
    site.pages.add("book", 1, "other-book", title="Other book")
    counted.clear()
    assert moves_offered() == 12
    assert sum("template=book" in each for each in counted) == 1
    assert chapters[3].moveable() and site.pages.moveable_ids(chapters[:2]) == {c.id for c in chapters[:2]}


def test_a_locked_page_is_unlocked_by_a_page_lock_holder_and_then_edited(site, superuser,
                                                                        admin_server):
    """The editor refused a locked page and offered no way to unlock it; who holds page-lock
    on it (a superuser here) gets Unlock, an editor without page-lock does not."""
    from webclient import PASSWORD, Client
    site.users.add_role("editor", ["page-edit"])
    site.users.add("ed", PASSWORD, roles=["editor"])
    site.templates["basic-page"].set_access(view=["guest"], edit=["editor"])
    locked = site.pages.add("basic-page", 1, "kept", title="Kept")
    locked.add_status(locked.STATUS_LOCKED)
    locked.save()
    editor = Client(admin_server)
    editor.login("ed")
    refused = editor.get(f"/admin/page/{locked.id}/edit")
    assert refused.status == 403 and "This page is locked" in refused.text
    assert f"/admin/page/{locked.id}/unlock" not in refused.text
    assert editor.post(f"/admin/page/{locked.id}/unlock", {"csrf_token": editor.token()}).status == 403
    assert site.pages.get(locked.id).has_status(locked.STATUS_LOCKED)
    offered = superuser.get(f"/admin/page/{locked.id}/edit")
    assert f'action="/admin/page/{locked.id}/unlock"' in offered.text
    done = superuser.post(f"/admin/page/{locked.id}/unlock", {"csrf_token": superuser.token()})
    assert done.status == 303 and done.location.endswith(f"/admin/page/{locked.id}/edit")
    assert not site.pages.get(locked.id).has_status(locked.STATUS_LOCKED)
    assert superuser.get(f"/admin/page/{locked.id}/edit").status == 200
    editor.close()


def test_page_fields_are_edited_as_ids_whether_empty_or_holding_pages(site, superuser):
    site.fields.add("related", "Page", label="Related")
    site.fields.add("tags", "Page", label="Tags", multiple=True)
    site.templates.add("item", fields=["title", "related", "tags"])
    about = site.pages.add("basic-page", 1, "about", title="About")
    news = site.pages.add("basic-page", 1, "news", title="News")
    page = site.pages.add("item", 1, "item", title="Item")          # both fields empty
    form = superuser.get(f"/admin/page/{page.id}/edit")
    assert form.status == 200
    assert 'id="input-related" name="related" type="text" value=""' in form.text
    saved = superuser.post(f"/admin/page/{page.id}/edit", {
        "csrf_token": form.csrf(), "title": "Item", "name": "item", "related": str(about.id),
        "tags": f"{news.id}, {about.id}"})
    assert saved.status == 303
    again = site.pages.get(page.id)
    assert again.related.id == about.id and again.tags.ids() == [news.id, about.id]
    shown = superuser.get(f"/admin/page/{page.id}/edit").text
    assert f'name="related" type="text" value="{about.id}"' in shown
    assert f'name="tags" type="text" value="{news.id}, {about.id}"' in shown
    cleared = superuser.post(f"/admin/page/{page.id}/edit", {
        "csrf_token": form.csrf(), "title": "Item", "name": "item", "related": "", "tags": ""})
    assert cleared.status == 303
    again = site.pages.get(page.id)
    assert not again.related and again.tags.ids() == []


def test_a_page_fields_hint_says_how_many_pages_it_takes_and_of_which_template(site, superuser):
    """Every Page input said "page ids or paths (/about/), comma separated", a single page's
    too, which then refused two ("this field takes one"), and none named its template."""
    site.fields.add("related", "Page", label="Related", template="basic-page")
    site.fields.add("tags", "Page", label="Tags", multiple=True)
    site.templates.add("item", fields=["title", "related", "tags"])
    page = site.pages.add("item", 1, "item", title="Item")
    form = superuser.get(f"/admin/page/{page.id}/edit").text
    related = form[form.index('id="field-related"'):form.index('id="field-tags"')]
    tags = form[form.index('id="field-tags"'):]
    assert "comma separated" not in related and "a page id or path" in related
    assert "basic-page" in related
    assert "page ids or paths (/about/), comma separated" in tags


def test_a_page_field_refuses_a_missing_page_or_one_of_another_template(site, superuser):
    """999999 saved as an empty field with no word, and the field's template was not held."""
    site.fields.add("related", "Page", label="Related", template="basic-page")
    site.fields.add("tags", "Page", label="Tags", multiple=True)
    site.templates.add("item", fields=["title", "related", "tags"])
    about = site.pages.add("basic-page", 1, "about", title="About")
    page = site.pages.add("item", 1, "item", title="Item", related=about)
    token = superuser.token()
    missing = "names a page that does not exist: 999999"
    for related, tags, words in ((str(about.id), f"{about.id}, 999999", missing),
                                 (str(page.id), "", "/item/ is a item page; this field takes basic-page")):
        refused = superuser.post(f"/admin/page/{page.id}/edit", {
            "csrf_token": token, "title": "Item", "name": "item", "related": related, "tags": tags})
        assert refused.status == 400 and words in refused.text
        assert "[&#39;" not in refused.text and "[4" not in refused.text   # no Python list shown
        again = site.pages.get(page.id)
        assert again.related.id == about.id and again.tags.ids() == []   # nothing saved
    added = superuser.post("/admin/setup/fields/add", {
        "csrf_token": token, "name": "p_bad", "type": "Page", "label": "Bad",
        "setting_template": "nonexistent"})
    assert added.status == 400 and "there is no template &#39;nonexistent&#39;" in added.text
    assert site.fields.get("p_bad") is None


def test_the_editor_takes_page_paths_in_a_page_field(site, superuser):
    """Typed paths are stored as the pages' ids; a path of no page is said beside the field."""
    site.fields.add("tags", "Page", label="Tags", multiple=True)
    site.templates.add("item", fields=["title", "tags"])
    about = site.pages.add("basic-page", 1, "about", title="About")
    news = site.pages.add("basic-page", 1, "news", title="News")
    page = site.pages.add("item", 1, "item", title="Item")
    token = superuser.token()
    saved = superuser.post(f"/admin/page/{page.id}/edit", {
        "csrf_token": token, "title": "Item", "name": "item", "tags": f"/news/, {about.id}"})
    assert saved.status == 303
    assert site.pages.get(page.id).tags.ids() == [news.id, about.id]
    refused = superuser.post(f"/admin/page/{page.id}/edit", {
        "csrf_token": token, "title": "Item", "name": "item", "tags": "/about/, /gone/"})
    assert refused.status == 400 and "names a page that does not exist: /gone/" in refused.text
    assert 'value="/about/, /gone/"' in refused.text                # what was typed comes back
    assert site.pages.get(page.id).tags.ids() == [news.id, about.id]


def test_a_null_page_or_a_page_array_sets_a_page_field(site):
    site.fields.add("related", "Page")
    site.fields.add("tags", "Page", multiple=True)
    site.templates.add("item", fields=["title", "related", "tags"])
    first = site.pages.add("item", 1, "first", title="First")
    second = site.pages.add("item", 1, "second", title="Second", related=first, tags=[first])
    second.related = first.related               # a NullPage: empties the field
    second.tags = site.pages.find("template=item, sort=-id")
    second.save()
    again = site.pages.get(second.id)
    assert not again.related and again.tags.ids() == [second.id, first.id]


def test_saving_the_editor_untouched_changes_no_value_of_any_type(site, superuser):
    types = {"line": "Text", "notes": "Textarea", "qty": "Integer", "price": "Float",
             "done": "Checkbox", "due": "Datetime", "mail": "Email", "link": "URL",
             "related": "Page"}
    for name, kind in types.items():
        site.fields.add(name, kind)
    site.fields.add("tags", "Page", multiple=True)
    site.templates.add("every", fields=["title", *types, "tags"])
    other = site.pages.add("basic-page", 1, "other", title="Other")
    full = site.pages.add("every", 1, "full", title="Full <b>&amp;</b> \"quoted\"",
                          line="  one line  ", notes="two\nlines & <tags>\n", qty=-3,
                          price=2.5, done=True, due=datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
                          mail="a@example.com", link="https://example.com/?a=1&b=2",
                          related=other, tags=[other, 1])
    full.add_status(Page.STATUS_HIDDEN)
    full.save()
    empty = site.pages.add("every", 1, "empty", title="Empty")
    for page in (full, empty):
        stored = site.pages.get(page.id)
        before = {name: stored.get(name) for name in [*types, "tags", "title"]}
        before.update(status=stored.status, name=stored.name, path=stored.path)
        form = FormValues(superuser.get(f"/admin/page/{page.id}/edit").text, 'class="editor"')
        saved = superuser.post(f"/admin/page/{page.id}/edit", [*form.pairs, ("editor-after", "stay")])
        assert saved.status == 303, saved.text[:2000]
        stored = site.pages.get(page.id)
        after = {name: stored.get(name) for name in [*types, "tags", "title"]}
        after.update(status=stored.status, name=stored.name, path=stored.path)
        for name in before:
            old, new = before[name], after[name]
            if name in ("related", "tags"):
                old, new = (old.ids() if isinstance(old, PageArray) else old.id,
                            new.ids() if isinstance(new, PageArray) else new.id)
            assert new == old, (page.name, name, old, new)


def test_a_post_that_leaves_fields_out_keeps_their_values(site, superuser):
    """A stale form or a script sending the title alone emptied every other field, and took
    a checkbox or the hidden status off; ProcessWire processes only the inputs present."""
    for name, kind in {"line": "Text", "notes": "Textarea", "done": "Checkbox"}.items():
        site.fields.add(name, kind)
    site.templates.add("every", fields=["title", "line", "notes", "done"])
    page = site.pages.add("every", 1, "full", title="Full", line="one", notes="two", done=True)
    page.add_status(Page.STATUS_HIDDEN)
    page.save()
    saved = superuser.post(f"/admin/page/{page.id}/edit", {"csrf_token": superuser.token(),
                                                          "title": "Renamed"})
    assert saved.status == 303, saved.text[:2000]
    stored = site.pages.get(page.id)
    assert (stored.title, stored.line, stored.notes, stored.done, stored.name) == \
        ("Renamed", "one", "two", True, "full")
    assert stored.is_hidden()
    form = FormValues(superuser.get(f"/admin/page/{page.id}/edit").text, 'class="editor"')
    pairs = [(k, v) for k, v in form.pairs if k not in ("done", "editor-hidden")]   # both unticked
    assert superuser.post(f"/admin/page/{page.id}/edit", pairs).status == 303
    stored = site.pages.get(page.id)
    assert stored.done is False and not stored.is_hidden() and stored.line == "one"


def test_a_new_page_goes_under_the_parent_asked_for_or_nowhere(site, superuser):
    """parent=abc added the page under home; a template without a title could add nothing."""
    token = superuser.token()
    refused = superuser.post("/admin/page/add", {"csrf_token": token, "parent": "abc",
                                                 "template": "basic-page", "title": "Evil"})
    assert refused.status == 400 and "parent must be a page id" in refused.text
    assert not site.pages.get("/evil/")
    site.templates.add("plain", fields=[])
    asked = superuser.post("/admin/page/add", {"csrf_token": token, "parent": "1",
                                               "template": "plain", "title": "", "name": ""})
    assert asked.status == 400 and "give the new page a name" in asked.text
    added = superuser.post("/admin/page/add", {"csrf_token": token, "parent": "1",
                                               "template": "plain", "name": "bare"})
    assert added.status == 303 and site.pages.get("/bare/").template.name == "plain"


def test_the_open_home_row_says_so_and_the_tree_needs_no_inline_style(site, superuser):
    """Assistive tech heard "collapsed" on the open home row; an inline style broke the
    admin's own Content-Security-Policy (style-src 'self')."""
    for n in range(3):
        site.pages.add("basic-page", 1, title=f"P{n}")
    tree = superuser.get("/admin/")
    home_row = tree.text.split('id="page-1"', 1)[1].split("</div>", 1)[0]
    assert 'aria-expanded="true"' in home_row
    assert "style-src 'self'" in tree.headers.get("Content-Security-Policy", "")
    for page in ("/admin/", "/admin/page/1/children"):
        assert 'style="' not in superuser.get(page).text, page


def test_adding_a_page_says_when_its_name_is_not_the_one_asked_for(site, superuser):
    site.pages.add("basic-page", 1, "about", title="About")
    token = superuser.token()
    for name, title, says in (
            ("about", "Second",
             "Another page here is named &#39;about&#39;, so this one was saved as &#39;about-1&#39;"),
            ("", "About", "so this one was saved as &#39;about-2&#39;"),
            ("x y?", "Third", "The name &#39;x y?&#39; was saved as &#39;x-y&#39;")):
        added = superuser.post("/admin/page/add?parent=1", {
            "csrf_token": token, "parent": "1", "template": "basic-page", "title": title,
            "name": name})
        assert added.status == 303
        assert says in superuser.get(added.location).text, name
    plain = superuser.post("/admin/page/add?parent=1", {
        "csrf_token": token, "parent": "1", "template": "basic-page", "title": "Fresh Page"})
    assert "was saved as" not in superuser.get(plain.location).text


def row_of(html: str, page_id: int) -> str:
    return html.split(f'id="page-{page_id}"', 1)[1].split('class="tree-row', 1)[0]


def test_the_tree_lists_only_what_the_user_may_view(site, superuser, admin_server):
    """An editor's tree listed every page, titles included: a members-only page, what is below
    it and the users' branch. ProcessWire's page list skips what is not listable to the user."""
    site.users.add_role("editor", ["page-view", "page-edit", "page-add", "page-create"])
    site.users.add("ed", PASSWORD, roles=["editor"])
    site.templates["home"].set_access(view=["guest"], edit=["editor"], add=["editor"],
                                      create=["editor"])
    site.templates.add("members", fields=["title"]).set_access(view=[], edit=[])
    club = site.pages.add("members", 1, "club", title="Club")
    site.pages.add("basic-page", club, "minutes", title="Secret minutes")
    open_page = site.pages.add("basic-page", 1, "open", title="Open")
    site.pages.add("members", open_page, "vault", title="Vault")
    site.pages.add("basic-page", open_page, "note", title="Note")
    site.templates.add("notice", fields=["title"]).set_access(view=["editor"], edit=[])
    site.pages.add("notice", 1, "posted", title="Posted notice")
    draft = site.pages.add("notice", 1, "draft", title="Draft notice")
    draft.status |= Page.STATUS_UNPUBLISHED
    draft.save()
    editor = Client(admin_server)
    editor.login("ed")
    tree = editor.get("/admin/").text
    assert f'id="page-{open_page.id}"' in tree and "Club" not in tree
    assert 'id="page-2"' not in tree                       # the admin branch: superusers'
    assert "Posted notice" in tree and "Draft notice" not in tree     # unpublished: editors'
    assert editor.get(f"/admin/page/{club.id}/children").status == 403
    assert editor.get("/admin/page/2/children").status == 403
    below = editor.get(f"/admin/page/{open_page.id}/children").text
    assert "Note" in below and "Vault" not in below
    # the count beside a row is of the children the user would see: 1 (Note), not 2
    assert '<span class="count" title="children">1</span>' in row_of(tree, open_page.id)
    assert '<span class="count" title="children">2</span>' in row_of(superuser.get("/admin/").text,
                                                                      open_page.id)
    assert superuser.get(f"/admin/page/{club.id}/children").status == 200
    assert "Club" in superuser.get("/admin/").text
    editor.close()


def test_a_limited_user_is_offered_only_what_they_may_do(site, superuser, admin_server):
    """An editor saw Edit on Admin, Trash and 404 (each a 403), Restore on every trashed page
    and no ↑/↓ though page-sort was theirs; a tasks-only user landed on a 403."""
    site.users.add_role("editor", ["page-edit", "page-sort"])        # no page-move, page-delete
    site.users.add("ed", PASSWORD, roles=["editor"])
    site.templates["home"].set_access(view=["guest"], edit=["editor"])
    first = site.pages.add("basic-page", 1, "first", title="First")
    site.pages.add("basic-page", 1, "second", title="Second")
    gone = site.pages.add("basic-page", 1, "gone", title="Gone")
    gone.trash()
    editor = Client(admin_server)
    editor.login("ed")
    tree = editor.get("/admin/")
    assert "/admin/page/2/edit" not in tree.text and "/admin/page/7/edit" not in tree.text
    assert f'href="/admin/page/{first.id}/edit"' in row_of(tree.text, first.id)
    assert f"/admin/page/{first.id}/shift" in row_of(tree.text, first.id)   # ↑ ↓: page-sort
    assert f"/admin/page/{first.id}/move" not in row_of(tree.text, first.id)
    trash = editor.get("/admin/trash/")
    assert "Gone" in trash.text and f"/admin/page/{gone.id}/restore" not in trash.text
    assert f"/admin/page/{gone.id}/restore" in superuser.get("/admin/trash/").text
    # page-edit is theirs, but not on Admin: the refusal says so, where it said "you need
    # the 'page-edit' permission", sending them to look for a permission they hold
    refused = editor.get("/admin/page/2/edit")
    assert refused.status == 403
    assert "you have the &#39;page-edit&#39; permission, but not for page 2:" in refused.text
    editor.close()

    site.users.add_role("watcher", ["tasker-admin"])
    site.users.add("wat", PASSWORD, roles=["watcher"])
    watcher = Client(admin_server)
    landed = watcher.login("wat")
    assert landed.location.endswith("/admin/tasks/")
    tasks = watcher.get("/admin/tasks/")
    assert tasks.status == 200 and 'href="/admin/find/"' not in tasks.text
    refused = watcher.get("/admin/")
    assert refused.status == 403 and 'href="/admin/tasks/">Back to the tasks' in refused.text
    watcher.close()


def test_an_expired_form_shows_what_was_typed_and_saves_nothing(site, superuser):
    """Saving after a login in another tab (a new session, a new token) lost the input."""
    page = site.pages.add("basic-page", 1, "about", title="About")
    form = superuser.get(f"/admin/page/{page.id}/edit")
    answer = superuser.post(f"/admin/page/{page.id}/edit", {
        "csrf_token": "stale-" + form.csrf(), "title": "Typed with care", "name": "about"},
        headers={"Origin": f"http://127.0.0.1:{superuser.port}"})      # as a browser sends it
    assert answer.status == 403 and "nothing was saved" in answer.text
    assert 'value="Typed with care"' in answer.text
    assert site.pages.get(page.id).title == "About"
    again = superuser.post(f"/admin/page/{page.id}/edit", {
        "csrf_token": answer.csrf(), "title": "Typed with care", "name": "about"})
    assert again.status == 303 and site.pages.get(page.id).title == "Typed with care"


def test_a_form_posted_from_another_site_is_not_shown_again_with_its_values(site, superuser):
    """A cross-site POST to the editor (no token of this session) answered 403 but showed the
    sender's values in the form with a fresh token and "save again to keep it": one click on
    Save from storing them as the user's own. ProcessWire drops such a form; a form of this
    site's own (Sec-Fetch-Site same-origin, or an Origin naming this host) keeps its input."""
    page = site.pages.add("basic-page", 1, "about", title="About")
    edit = f"/admin/page/{page.id}/edit"
    posted = {"csrf_token": "forged", "title": "Planted by another site", "name": "about"}
    for headers in ({"Origin": "https://elsewhere.example", "Sec-Fetch-Site": "cross-site"},
                    {"Origin": "https://elsewhere.example"}, {"Origin": "null"}, {}):
        answer = superuser.post(edit, posted, headers=headers)
        assert answer.status == 403 and "did not come from this site" in answer.text, headers
        assert "Planted" not in answer.text and 'value="About"' in answer.text, headers
    own = superuser.post(edit, posted, headers={"Sec-Fetch-Site": "same-origin"})
    assert own.status == 403 and 'value="Planted by another site"' in own.text
    assert site.pages.get(page.id).title == "About"


def test_the_menu_marks_the_section_the_page_belongs_to(site, superuser):
    def current(path: str) -> list[str]:
        menu = superuser.get(path).text.split('<nav aria-label="Admin">', 1)[1].split("</nav>", 1)[0]
        return re.findall(r'aria-current="page">([^<]+)<', menu)
    page = site.pages.add("basic-page", 1, "about", title="About")
    assert current("/admin/") == ["Pages"]
    assert current(f"/admin/page/{page.id}/edit") == ["Pages"]
    assert current("/admin/find/") == ["Find"]
    assert current("/admin/setup/templates/") == ["Setup"]
    assert current("/admin/access/roles/") == ["Access"]
    assert current("/admin/tasks/") == ["Tasks"]


def test_sorting_children_moves_only_pages_the_user_may_view(site, superuser, admin_server):
    """An editor holding page-sort on home posted `order=<club>,7,2` and home's children were
    renumbered: a members-only page the editor may not even view, the trash and the admin
    branch moved in the order, and "is not a child" told which ids were children they could
    not see. A page the user may not view is refused as one that is not a child."""
    site.users.add_role("editor", ["page-edit", "page-sort"])
    site.users.add("ed", PASSWORD, roles=["editor"])
    site.templates["home"].set_access(view=["guest"], edit=["editor"])
    site.templates.add("members", fields=["title"]).set_access(view=[], edit=[])
    club = site.pages.add("members", 1, "club", title="Club")
    mine = site.pages.add("basic-page", 1, "mine", title="Mine")
    before = {p.id: p.sort for p in site.pages.find("parent=1, include=all")}
    editor = Client(admin_server)
    editor.login("ed")
    token = editor.token()
    for order in (f"{club.id},{mine.id}", f"{mine.id},7,2"):
        answer = editor.post("/admin/page/1/sort", {"csrf_token": token, "order": order},
                             headers={"X-Requested-With": "fetch"})
        assert answer.status == 400 and answer.json()["status"] is False, order
        assert {p.id: p.sort for p in site.pages.find("parent=1, include=all")} == before
    # no page's existence is told: a hidden child answers as an id that is no child
    hidden = editor.post("/admin/page/1/sort", {"csrf_token": token, "order": f"{club.id}"},
                         headers={"X-Requested-With": "fetch"}).json()["message"]
    stranger = editor.post("/admin/page/1/sort", {"csrf_token": token, "order": "999999"},
                           headers={"X-Requested-With": "fetch"}).json()["message"]
    assert hidden.replace(str(club.id), "N") == stranger.replace("999999", "N")
    editor.close()


def test_the_home_rows_count_is_of_the_children_the_user_would_see(site, superuser,
                                                                   admin_server):
    """Every row's count of children is of those the user would see there, but home's: an
    editor's tree said home has 6 children beside the 3 it listed (the admin branch, the
    trash and a members-only page counted), telling how many pages are kept from them."""
    site.users.add_role("editor", ["page-edit"])
    site.users.add("ed", PASSWORD, roles=["editor"])
    site.templates["home"].set_access(view=["guest"], edit=["editor"])
    site.templates.add("members", fields=["title"]).set_access(view=[], edit=[])
    site.pages.add("members", 1, "club", title="Club")
    site.pages.add("members", 1, "board", title="Board")
    site.pages.add("basic-page", 1, "open", title="Open")
    editor = Client(admin_server)
    editor.login("ed")
    tree = editor.get("/admin/").text
    below = tree.split('data-parent="1"', 1)[1]
    listed = len(re.findall(r'<li class="tree-node[^"]*" data-id="\d+"', below))
    assert listed == 2          # 404 and Open
    home_count = re.search(r'<span class="count" title="children">(\d+)</span>', row_of(tree, 1))
    assert home_count and int(home_count.group(1)) == listed
    editor.close()


def test_a_locked_pages_row_leads_to_its_unlock(site, superuser):
    """A locked page's row offered no Edit and its title no link: the editor's Unlock was
    reached only by typing /admin/page/<id>/edit or through Find."""
    fixed = site.pages.add("basic-page", 1, "fixed", title="Fixed")
    fixed.add_status(Page.STATUS_LOCKED)
    fixed.save()
    rows = superuser.get("/admin/page/1/children").text
    row = rows[rows.index(f'id="page-{fixed.id}"'):]
    row = row[:row.index("</div>")]
    assert f'href="/admin/page/{fixed.id}/edit"' in row
    assert ">Unlock</button>" in superuser.get(f"/admin/page/{fixed.id}/edit").text


def test_a_tree_count_for_a_user_without_page_edit_leaves_out_unpublished_children(site):
    """A user who may view but not edit saw a count of 3 beside a list of 2 (and the list's
    total said 3): both took in an unpublished child, listed only to those who may edit it. ProcessWire's
    page list counts such a user's children with include=hidden (PageTraversal::numChildren
    with 1); a user holding page-edit counts unpublished ones too, as before."""
    from cms.web.admin_pages import children_of, visible_children_of
    site.users.add_role("viewer", permissions=["page-view"])
    site.users.add("vi", PASSWORD, roles=["viewer"])
    site.users.add_role("editor", permissions=["page-edit"])
    site.users.add("ed", PASSWORD, roles=["editor"])
    site.templates["home"].set_access(view=["guest", "viewer", "editor"], edit=["editor"])
    section = site.pages.add("basic-page", 1, "section", title="Section")
    site.pages.add("basic-page", section, "shown", title="Shown")
    site.pages.add("basic-page", section, "tucked", title="Tucked").add_status(Page.STATUS_HIDDEN).save()
    draft = site.pages.add("basic-page", section, "draft", title="Draft")
    draft.add_status(Page.STATUS_UNPUBLISHED)
    draft.save()
    with site.as_user("vi"):
        rows, total = children_of(site.pages.get(section.id), 0)
        assert sorted(row.page.name for row in rows) == ["shown", "tucked"]
        assert visible_children_of(site, [section.id])[section.id] == len(rows) == total == 2
    with site.as_user("ed"):
        rows, _ = children_of(site.pages.get(section.id), 0)
        assert len(rows) == visible_children_of(site, [section.id])[section.id] == 3
