"""Selectors against ProcessWire 3.0.256 from a randomized differential run over paging, sorts on
several keys with ties and missing values, OR-groups and fields, sub-selectors, include= and
status, dates, empty values, negations, columns of pages, Page field subfields and quoted values
(a rig kept outside this repository builds the same random site in both and compares find(),
count(), find_one() and the in-memory PageArray's find() and matches()); each case is
minimized and states ProcessWire's answer."""
from __future__ import annotations

import pytest

from cms import SelectorError


def names(site, selector):
    return sorted(page.name for page in site.pages.find(selector + ", parent=/m/"))


@pytest.fixture
def fruit(site):
    """/m/ with apple (title Apple, qty 3, price 2.5, flag on), kiwi (title Kiwi, qty 5,
    summary Apple), p12 (title Twelve) and none (storing nothing)."""
    site.fields.add("summary", "Text")
    site.fields.add("qty", "Integer")
    site.fields.add("price", "Float")
    site.fields.add("flag", "Checkbox")
    site.templates.add("folder", fields=["title"])
    site.templates.add("item", fields=["title", "summary", "qty", "price", "flag"])
    m = site.pages.add("folder", 1, "m", title="M")
    site.pages.add("item", m, "apple", title="Apple", qty=3, price=2.5, flag=1)
    site.pages.add("item", m, "kiwi", title="Kiwi", qty=5, summary="Apple")
    site.pages.add("item", m, "p12", title="Twelve")
    site.pages.add("item", m, "none")
    return site


def test_text_among_several_fields_leaves_the_number_fields_unmatched(fruit):
    # `id|name=kiwi`, a page asked for by its id or its name, and `title|qty=Apple`, a search
    # over several fields: a value that is no number can equal no id and no Integer, Float or
    # Checkbox value, so those fields' part matches nothing (`!=`: every page) and the other
    # fields answer. Here each was a SelectorError ("id needs a whole number, not 'kiwi'").
    # ProcessWire 3.0.256 answers (", parent=/m/" added): 'id|name=kiwi' [kiwi],
    # 'id|name=<apple's id>|kiwi' [apple, kiwi], 'name|id=p12' [p12], 'id|name!=kiwi' every
    # page (either field's own != there), 'title|qty=Apple' [apple], 'qty|title=Apple' [apple],
    # 'title|qty!=Apple' [kiwi, p12] (pages storing a title other than Apple),
    # 'title|summary|qty=Apple' [apple, kiwi], 'title|flag=Apple' [apple],
    # 'title|qty=Apple|Kiwi' [apple, kiwi], 'title|qty=Apple|3' [apple],
    # 'title|id=Twelve|<apple's id>' [apple, p12], '(id|name=kiwi), (title=Apple)'
    # [apple, kiwi], 'title|qty=Apple, qty>0' [apple].
    site = fruit
    apple = site.pages.get("/m/apple/").id
    assert names(site, "id|name=kiwi") == ["kiwi"]
    assert names(site, f"id|name={apple}|kiwi") == ["apple", "kiwi"]
    assert names(site, "name|id=p12") == ["p12"]
    assert names(site, "id|name!=kiwi") == ["apple", "kiwi", "none", "p12"]
    assert names(site, "title|qty=Apple") == ["apple"]
    assert names(site, "qty|title=Apple") == ["apple"]
    assert names(site, "title|qty!=Apple") == ["kiwi", "p12"]
    assert names(site, "title|summary|qty=Apple") == ["apple", "kiwi"]
    assert names(site, "title|flag=Apple") == ["apple"]
    assert names(site, "title|qty=Apple|Kiwi") == ["apple", "kiwi"]
    assert names(site, "title|qty=Apple|3") == ["apple"]
    assert names(site, f"title|id=Twelve|{apple}") == ["apple", "p12"]
    assert names(site, "(id|name=kiwi), (title=Apple)") == ["apple", "kiwi"]
    assert names(site, "title|qty=Apple, qty>0") == ["apple"]
    assert site.pages.count("id|name=kiwi") == 1
    assert site.pages.get("id|name=kiwi").name == "kiwi"
    m = site.pages.get("/m/")
    assert m.children().find("id|name=kiwi|p12").explode("name") == ["kiwi", "p12"]
    assert [page.name for page in m.children() if page.matches("title|qty=Apple")] == ["apple"]
    # where no field takes the value, it is the mistake it is alone (README: `qty=3abc`);
    # ProcessWire answers 'qty|price=Apple' [] and 'qty=Apple' []
    with pytest.raises(SelectorError, match="needs a number"):
        site.pages.find("qty|price=Apple")
    with pytest.raises(SelectorError, match="needs a whole number"):
        site.pages.find("id=kiwi")


@pytest.fixture
def shelves(site):
    """/m/tags/red/ and /m/colors/blue/ (the folder colors hidden); x references red (its
    author blue), y blue and red (its author red), z blue, w nothing."""
    site.fields.add("refs", "Page", multiple=True)
    site.fields.add("author", "Page")
    site.templates.add("folder", fields=["title"])
    site.templates.add("tag", fields=["title"])
    site.templates.add("item", fields=["title", "refs", "author"])
    m = site.pages.add("folder", 1, "m", title="M")
    tags = site.pages.add("folder", m, "tags", title="Tags")
    colors = site.pages.add("folder", m, "colors", title="Colors")
    colors.add_status("hidden")
    colors.save()
    red = site.pages.add("tag", tags, "red", title="Red")
    blue = site.pages.add("tag", colors, "blue", title="Blue")
    site.pages.add("item", m, "x", title="X", refs=[red], author=blue)
    site.pages.add("item", m, "y", title="Y", refs=[blue, red], author=red)
    site.pages.add("item", m, "z", title="Z", refs=[blue])
    site.pages.add("item", m, "w", title="W")
    return site


def test_a_referenced_pages_parent_given_a_name_is_the_page_so_named(shelves):
    # FieldtypePage::getMatchQueryNative reads `refs.parent=tags` through $pages->get('tags'):
    # the page named tags, of any status, wherever it is; only parent= and has_parent= of the
    # page itself read a name as a path from home. Here `refs.parent=tags` looked for /tags/
    # and found nothing. ProcessWire 3.0.256 answers (", parent=/m/" added):
    # 'refs.parent=tags' [x, y], 'refs.parent=colors' [y, z] (a hidden parent),
    # 'refs.parent_id=colors' [y, z], 'refs.parent!=tags' [y, z], 'refs.parent!=colors'
    # [x, y], 'author.parent=tags' [y], 'author.parent=colors' [x], 'author.parent!=colors'
    # [y], 'refs.parent=nope' [], 'refs.parent!=nope' [x, y, z], 'refs.parent=tags,
    # refs.parent=colors' [y], '(refs.parent=colors), (title=W)' [w, y, z]; a path or an id
    # as before: 'refs.parent=/m/tags/' [x, y].
    site = shelves
    assert names(site, "refs.parent=tags") == ["x", "y"]
    assert names(site, "refs.parent=colors") == ["y", "z"]
    assert names(site, "refs.parent_id=colors") == ["y", "z"]
    assert names(site, "refs.parent!=tags") == ["y", "z"]
    assert names(site, "refs.parent!=colors") == ["x", "y"]
    assert names(site, "author.parent=tags") == ["y"]
    assert names(site, "author.parent=colors") == ["x"]
    assert names(site, "author.parent!=colors") == ["y"]
    assert names(site, "refs.parent=nope") == []
    assert names(site, "refs.parent!=nope") == ["x", "y", "z"]
    assert names(site, "refs.parent=tags, refs.parent=colors") == ["y"]
    assert names(site, "(refs.parent=colors), (title=W)") == ["w", "y", "z"]
    assert names(site, "refs.parent=/m/tags/") == ["x", "y"]
    assert names(site, f"refs.parent={site.pages.get('/m/tags/').id}") == ["x", "y"]
    x = site.pages.get("/m/x/")
    assert x.matches("author.parent=colors") and not x.matches("refs.parent!=tags")


def test_several_names_or_paths_for_a_referenced_pages_parent_are_each_tried(shelves):
    # README: ProcessWire 3.0.256 checks OR values of refs.parent and refs.template against
    # the id column as text, and answers 'refs.parent=tags|colors' and
    # 'refs.parent=/m/tags/|/m/colors/' with every page (w, referencing nothing, and /m/
    # itself too), while ids answer as here: 'refs.parent=<tags>|<colors>' [x, y, z].
    site = shelves
    tags, colors = (site.pages.get(path).id for path in ("/m/tags/", "/m/colors/"))
    assert names(site, "refs.parent=tags|colors") == ["x", "y", "z"]
    assert names(site, "refs.parent=/m/tags/|/m/colors/") == ["x", "y", "z"]
    assert names(site, f"refs.parent={tags}|{colors}") == ["x", "y", "z"]
    assert names(site, "refs.template=tag|folder") == ["x", "y", "z"]


def test_a_value_beside_a_column_of_pages_is_matched_as_written(site):
    # README: ProcessWire 3.0.256 finds the other fields beside `name` by a find of their own,
    # given the value through Sanitizer::selectorValue, which drops | [ ] = and more:
    # 'name|title="[z]"' finds the page titled z, 'name|title="x|y"' and
    # 'name|summary="a|b"' nothing, where 'title|summary="a|b"' finds a.
    site.fields.add("summary", "Text")
    site.templates.add("folder", fields=["title"])
    site.templates.add("item", fields=["title", "summary"])
    m = site.pages.add("folder", 1, "m", title="M")
    for name, title, summary in (("a", "x|y", "a|b"), ("b", "xy", "ab"), ("c", "[z]", "x=y"),
                                 ("d", "z", "xy")):
        site.pages.add("item", m, name, title=title, summary=summary)
    assert names(site, 'name|title="[z]"') == ["c"]
    assert names(site, 'name|title="x|y"') == ["a"]
    assert names(site, 'name|summary="a|b"') == ["a"]
    assert names(site, 'name|summary="x=y"') == ["c"]
    assert names(site, 'title|summary="a|b"') == ["a"]
