"""`pages.find_raw()`: ProcessWire's findRaw shapes, the find's order and access, and clear
errors for names it does not know.

The `blog` fixture (built once; the tests only read it):

    /tags/               tag   "Tags"
        a/               tag   "Tag A"
        b/ (unpublished) tag   "Tag B"
    /blog/               tag   "Blog"
        p1/              post  "One"    qty 3, when 2024-01-05 10:00, tags [b, a], author a, ok
        p2/              post  "Two"    (nothing else stored)
        p3/ (hidden)     post  "Three"  qty 0, tags [a]
"""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import engine_url

import cms
from cms import ValidationError


@pytest.fixture(scope="module")
def blog(tmp_path_factory):
    folder = tmp_path_factory.mktemp("find-raw")
    site = cms.boot(engine_url(folder), site_dir=folder)
    site.fields.add("qty", "Integer")
    site.fields.add("when", "Datetime")
    site.fields.add("tags", "Page", multiple=True)
    site.fields.add("author", "Page")
    site.fields.add("ok", "Checkbox")
    site.templates.add("tag", fields=["title"])
    site.templates.add("post", fields=["title", "qty", "when", "tags", "author", "ok"])
    add, home = site.pages.add, site.pages.get(1)
    tags = add("tag", home, "tags", title="Tags")
    a = add("tag", tags, "a", title="Tag A")
    b = add("tag", tags, "b", title="Tag B", status=1 | 2048)
    blog = add("tag", home, "blog", title="Blog")
    p1 = add("post", blog, "p1", title="One", qty=3, when="2024-01-05 10:00", tags=[b, a],
             author=a, ok=True)
    p2 = add("post", blog, "p2", title="Two")
    p3 = add("post", blog, "p3", title="Three", qty=0, tags=[a], status=1 | 1024)
    ids = {page.name: page.id for page in (tags, a, b, blog, p1, p2, p3)}
    yield site, ids
    site.close()


POSTS = "template=post, include=hidden, sort=name"


def test_one_name_gives_one_value_per_page_in_the_finds_order(blog):
    site, ids = blog
    titles = site.pages.find_raw("template=post, include=hidden, sort=-name", "title")
    assert list(titles.items()) == [(ids["p3"], "Three"), (ids["p2"], "Two"), (ids["p1"], "One")]
    assert site.pages.find_raw(POSTS, "title", indexed=False) == ["One", "Two", "Three"]


def test_every_page_found_has_an_answer_without_the_fields_it_does_not_store(blog):
    """As ProcessWire 3.0.256 answers (false there for one name asked alone)."""
    site, ids = blog
    assert site.pages.find_raw(POSTS, "qty") == {ids["p1"]: 3, ids["p2"]: None, ids["p3"]: 0}
    assert site.pages.find_raw(POSTS, ["qty", "ok"]) == {
        ids["p1"]: {"qty": 3, "ok": True}, ids["p2"]: {}, ids["p3"]: {"qty": 0}}
    assert site.pages.find_raw(POSTS, ["qty", "ok"], nulls=True) == {
        ids["p1"]: {"qty": 3, "ok": True}, ids["p2"]: {"qty": None, "ok": None},
        ids["p3"]: {"qty": 0, "ok": None}}
    assert list(site.pages.find_raw(POSTS, ["name", "qty"]).values()) == [
        {"name": "p1", "qty": 3}, {"name": "p2"}, {"name": "p3", "qty": 0}]


def test_several_names_in_a_list_a_comma_separated_text_or_renamed(blog):
    site, ids = blog
    expected = {ids["p1"]: {"title": "One", "when": datetime(2024, 1, 5, 10, 0, tzinfo=UTC)},
                ids["p2"]: {"title": "Two"}, ids["p3"]: {"title": "Three"}}
    assert site.pages.find_raw(POSTS, ["title", "when"]) == expected
    assert site.pages.find_raw(POSTS, " title , when ") == expected
    assert site.pages.find_raw(POSTS, {"title": "headline", "id": "key"}) == {
        i: {"headline": title, "key": i} for i, title in
        ((ids["p1"], "One"), (ids["p2"], "Two"), (ids["p3"], "Three"))}


def test_a_page_field_gives_its_ids_in_order_and_its_pages_values_by_id(blog):
    site, ids = blog
    a, b, p1, p3 = ids["a"], ids["b"], ids["p1"], ids["p3"]
    assert site.pages.find_raw(POSTS, "tags") == {p1: [b, a], ids["p2"]: None, p3: [a]}
    by_tag = site.pages.find_raw(POSTS, "tags.title")
    assert by_tag == {p1: {b: "Tag B", a: "Tag A"}, ids["p2"]: None, p3: {a: "Tag A"}}
    assert list(by_tag[p1]) == [b, a]        # the field's order; an unpublished page is read too
    assert site.pages.find_raw(POSTS, ["title", "tags.title"])[p1] == {
        "title": "One", "tags": {b: {"title": "Tag B"}, a: {"title": "Tag A"}}}
    assert site.pages.find_raw(POSTS, {"tags": ["id", "name"]})[p1] == {
        "tags": {b: {"id": b, "name": "b"}, a: {"id": a, "name": "a"}}}
    assert site.pages.find_raw(POSTS, "tags.parent.title") == {p1: {b: "Tags", a: "Tags"},
                                                              ids["p2"]: None, p3: {a: "Tags"}}


def test_a_single_page_field_asked_alone_for_one_subfield_gives_the_value(blog):
    site, ids = blog
    assert site.pages.find_raw(POSTS, "author.title")[ids["p1"]] == "Tag A"
    assert site.pages.find_raw(POSTS, ["author.title"])[ids["p1"]] == {
        "author": {ids["a"]: {"title": "Tag A"}}}


def test_parent_and_template(blog):
    site, ids = blog
    assert set(site.pages.find_raw(POSTS, "parent.title").values()) == {"Blog"}
    assert site.pages.find_raw(POSTS, ["id", "parent.name"])[ids["p2"]] == {
        "id": ids["p2"], "parent": {"name": "blog"}}
    assert site.pages.find_raw(POSTS, "parent.parent.id")[ids["p1"]] == 1
    assert set(site.pages.find_raw(POSTS, "template").values()) == {"post"}
    post = site.templates["post"]
    assert site.pages.find_raw(POSTS, ["template", "template.id"])[ids["p1"]] == {
        "template": {"name": "post", "id": post.id}}
    # home has no parent: no "parent" in its answer
    assert site.pages.find_raw("id=1", ["id", "parent.title"]) == {1: {"id": 1}}


def test_flat_names_the_nested_values_by_their_path(blog):
    site, ids = blog
    a, b = ids["a"], ids["b"]
    flat = site.pages.find_raw(POSTS, ["title", "tags.title", "parent.name"], flat=True)
    assert flat[ids["p1"]] == {"title": "One", "tags.title": {b: "Tag B", a: "Tag A"},
                               "parent.name": "blog"}
    assert site.pages.find_raw(POSTS, ["parent.name"], flat="__")[ids["p1"]] == {"parent__name": "blog"}


def test_no_names_gives_every_column_and_every_field_stored(blog):
    site, ids = blog
    page = site.pages.get(ids["p1"])
    everything = site.pages.find_raw(f"id={page.id}")[page.id]
    assert everything == {
        "id": page.id, "parent_id": ids["blog"], "templates_id": page.template.id, "name": "p1",
        "status": 1, "sort": page.sort, "created": page.created, "modified": page.modified,
        "created_users_id": page.created_users_id, "modified_users_id": page.modified_users_id,
        "path": "/blog/p1/", "url": "/blog/p1/", "title": "One", "qty": 3,
        "when": datetime(2024, 1, 5, 10, 0, tzinfo=UTC), "tags": [ids["b"], ids["a"]],
        "author": [ids["a"]], "ok": True}
    assert "qty" not in site.pages.find_raw(f"id={ids['p2']}")[ids["p2"]]
    assert site.pages.find_raw(f"id={ids['p2']}", nulls=True)[ids["p2"]]["qty"] is None


def test_the_find_decides_the_pages_with_its_limit_status_and_access(blog):
    site, ids = blog
    assert list(site.pages.find_raw("template=post, sort=name", "name").values()) == ["p1", "p2"]
    assert site.pages.find_raw(POSTS + ", limit=1, start=1", "name") == {ids["p2"]: "p2"}
    site.templates["post"].set_access(view=[], edit=[])
    try:
        with site.as_user("guest"):
            assert site.pages.find_raw("template=tag", "name") == {      # home's view: not b,
                ids["tags"]: "tags", ids["a"]: "a", ids["blog"]: "blog"}   # unpublished
            assert site.pages.find_raw("template=post", "name") == {}
    finally:
        site.templates["post"].set_access(view=None, edit=None)


def test_a_password_is_never_read(blog):
    site, _ = blog
    user = site.users.add("ann", "correct-horse-battery", roles=())
    try:
        stored = site.pages.find_raw(f"id={user.id}, include=all", "pass")[user.id]
        digest = site.db.scalar("SELECT data FROM field_pass WHERE pages_id = ?", (user.id,))
        assert len(digest) > 20 and digest not in repr(stored) and str(stored) == "********"
    finally:
        site.pages.delete(site.users.get("ann"))


@pytest.mark.parametrize("fields, named", [
    ("nope", "'nope'"), ("title.x", "'title.x'"), ("id.x", "'id.x'"),
    ("template.fields", "'template.fields'"), (["title", "parent.nope"], "'nope'"), ("tags.nope", "'nope'"),
])
def test_an_unknown_name_is_an_error_naming_it(blog, fields, named):
    site, _ = blog
    with pytest.raises(ValidationError, match=f"unknown field or property {named}"):
        site.pages.find_raw(POSTS, fields)


@pytest.mark.parametrize("fields, message", [
    ("meta", "'meta' is not offered here"),
    ({"tags.title": "labels"}, "rename a whole name"),
    ({"title": 3}, "give a new name or a list"), ({"tags": ["id", 3]}, "a list of subfield names"),
    ([3], "a field name must be text"),
])
def test_what_is_not_offered_says_so(blog, fields, message):
    site, _ = blog
    with pytest.raises(ValidationError, match=message):
        site.pages.find_raw(POSTS, fields)


def test_find_join_reads_the_named_fields_of_every_page_found_at_once(blog, monkeypatch):
    """ProcessWire's findJoin: the pages of find(), their named fields read with them."""
    site, ids = blog
    found = site.pages.find_join(POSTS, "qty|when, tags")
    assert found.ids() == [ids["p1"], ids["p2"], ids["p3"]]
    statements: list[str] = []
    run = site.db.all
    monkeypatch.setattr(site.db, "all", lambda text, params=(): statements.append(text) or run(text, params))
    assert [page.qty for page in found] == [3, None, 0]
    assert found.first().get("when") == datetime(2024, 1, 5, 10, 0, tzinfo=UTC)
    assert statements == []                      # read with the find
    assert [page.tags.ids() for page in found] == [[ids["b"], ids["a"]], [], [ids["a"]]]
    assert not any("field_tags" in text for text in statements)   # only the tags' pages read
    with pytest.raises(ValidationError, match="unknown field 'nope'"):
        site.pages.find_join(POSTS, ["qty", "nope"])
