"""Templates: fields in order, family settings, and deletion refused while pages use them."""
from __future__ import annotations

import pytest

import cms


@pytest.fixture
def docs(site):
    site.fields.add("body", "Textarea")
    site.fields.add("rank", "Integer")
    site.templates.add("doc", fields=["title", "body", "rank"])
    return site


def test_fields_are_set_in_order_and_a_removed_field_loses_its_values(docs):
    page = docs.pages.add("doc", 1, title="Doc", body="text", rank=3)
    doc = docs.templates["doc"]
    doc.set_fields(["title", "rank"])
    doc.set_fields(["rank", "title", "body"])
    docs.templates.load()
    assert docs.templates["doc"].field_names == ["rank", "title", "body"]
    again = docs.pages.get(page.id)
    assert again.rank == 3 and again.body == ""
    with pytest.raises(cms.ValidationError, match="unknown field"):
        docs.templates["doc"].set_fields(["title", "nope"])
    assert docs.templates["doc"].field_names == ["rank", "title", "body"]


def test_family_settings_say_which_children_a_page_may_have(docs):
    docs.templates.add("folder", fields=["title"])
    folder, doc = docs.templates["folder"], docs.templates["doc"]
    folder.set_settings(child_templates=["doc"], label="Folder")
    assert folder.allows_child(doc) and not folder.allows_child(folder)
    doc.set_settings(parent_templates=["basic-page"])
    assert not folder.allows_child(doc)
    doc.set_settings(no_children=True, parent_templates=[])
    assert not doc.allows_child(folder) and folder.allows_child(doc)
    with pytest.raises(cms.ValidationError, match="no template 'nope'"):
        folder.set_settings(child_templates=["nope"], label="Changed")
    with pytest.raises(cms.ValidationError, match="unknown template setting"):
        folder.set_settings(colour="red")
    docs.templates.load()
    assert docs.templates["folder"].settings["label"] == "Folder"
    assert docs.templates["folder"].settings["child_templates"] == ["doc"]


def test_a_template_is_deleted_only_when_nothing_uses_it(docs):
    page = docs.pages.add("doc", 1, title="Doc")
    with pytest.raises(cms.ValidationError, match="used by 1 page"):
        docs.templates.delete("doc")
    docs.templates.add("machinery", locked=True)
    with pytest.raises(cms.ValidationError, match="system template"):
        docs.templates.delete("machinery")
    docs.templates.add("folder", child_templates=["doc"])
    docs.pages.delete(page)
    with pytest.raises(cms.ValidationError, match="names 'doc'"):
        docs.templates.delete("doc")
    docs.templates["folder"].set_settings(child_templates=[])
    docs.templates.delete("doc")
    assert docs.templates.get("doc") is None
    docs.fields.delete("body")      # no template uses it any more


def test_pages_using_a_template_are_counted_up_to_a_cap(docs):
    for n in range(5):
        docs.pages.add("doc", 1, title=f"Doc {n}")
    assert docs.templates.pages_using("doc") == 5
    assert docs.templates.pages_using("doc", up_to=3) == 3


def test_family_settings_are_kept_by_every_add_and_move(docs):
    docs.templates.add("folder", child_templates=["doc"])
    folder = docs.pages.add("folder", 1, title="Folder")
    doc = docs.pages.add("doc", folder, title="In the folder")
    with pytest.raises(cms.PageError, match="may not be placed under"):
        docs.pages.add("basic-page", folder, title="Not allowed")
    docs.templates["doc"].set_settings(parent_templates=["folder"])
    with pytest.raises(cms.PageError, match="may not be placed under"):
        docs.pages.add("doc", 1, title="Loose doc")
    doc.parent = docs.pages.get(1)
    with pytest.raises(cms.PageError, match="may not be placed under"):
        doc.save()
    again = docs.pages.get(doc.id)
    assert again.parent_id == folder.id
    again.trash()                              # the trash takes any page
    again.restore()
    assert docs.pages.get(doc.id).parent_id == folder.id


def test_a_templates_sortfield_orders_its_pages_children(docs):
    # ProcessWire's sort settings for children: where a find names one parent and no sort=,
    # its template's sortfield orders the children (PageFinder takes the parent's sortfield)
    site = docs
    blog = site.templates.add("blog", fields=["title"])
    site.templates.add("post", fields=["title", "rank"])
    shelf = site.pages.add("blog", 1, "blog", title="Blog")
    for name, rank in (("c", 2), ("a", 3), ("b", 1)):
        site.pages.add("post", shelf, name, title=name.upper(), rank=rank)
    assert site.pages.find("parent=/blog/").explode("name") == ["c", "a", "b"]    # by hand
    blog.set_settings(sortfield="-rank")
    assert shelf.children().explode("name") == ["a", "c", "b"]
    assert site.pages.find("parent=/blog/").explode("name") == ["a", "c", "b"]
    assert shelf.child().name == "a" and site.pages.get("/blog/b/").prev().name == "c"
    assert shelf.children("sort=name").explode("name") == ["a", "b", "c"]     # sort= wins
    assert site.pages.find("has_parent=/blog/, sort=id").explode("name") == ["c", "a", "b"]
    blog.set_settings(sortfield="title")
    assert shelf.children().explode("name") == ["a", "b", "c"]
    blog.set_settings(sortfield="")
    assert shelf.children().explode("name") == ["c", "a", "b"]
    for bad in ("nope", "title, -rank", "rank|title"):
        with pytest.raises(cms.ValidationError, match="sortfield"):
            blog.set_settings(sortfield=bad)
    assert site.templates.get("blog").settings["sortfield"] == ""           # nothing stored


def test_a_template_held_across_other_changes_still_changes_the_registry(docs):
    site = docs
    # adding a template reloads them all: a Template object from before is a copy, and its
    # set_settings must still reach what this process reads
    early = site.templates.add("early", fields=["title"])
    site.templates.add("later", fields=["title"])
    early.set_settings(no_children=True)
    assert site.templates.get("early").settings["no_children"] is True
    early.set_fields(["title", "rank"])
    assert site.templates.get("early").field_names == ["title", "rank"]
    early.add_field("body")
    assert site.templates.get("early").has_field("body") and early.has_field("body")


def test_a_template_equals_its_name_as_processwires_does(site):
    """`$page->template == 'basic-page'` is how ProcessWire code asks a page's template."""
    page = site.pages.add("basic-page", 1, "about", title="About")
    assert page.template == "basic-page" and page.template != "home"
    assert page.template == site.templates["basic-page"] and page.template != site.templates["home"]
    assert "basic-page" == page.template and str(page.template) == "basic-page"
    assert len({site.templates["home"], site.templates["basic-page"], site.templates["home"]}) == 2
