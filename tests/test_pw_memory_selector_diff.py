"""A PageArray's in-memory selectors, as ProcessWire 3.0.256 answers them (a randomized run of
`$page->matches()` and WireArray's find/filter/not/sort/findOne/get/has/eq/slice against this
product; the cases below are the differences it found, each checked by hand in both)."""
from __future__ import annotations

import pytest


@pytest.fixture
def refs(site):
    site.fields.add("qty", "Integer")
    site.templates.add("memb", fields=["title", "qty"])
    folder = site.pages.add("memb", 1, "refs", title="Refs")
    for name, title, qty in (("r0", "Red one", 1), ("r1", "blue two", 2), ("r2", "Café three", 3),
                             ("r3", "Zed", 0)):
        site.pages.add("memb", folder, name, title=title, qty=qty)
    return folder


def test_not_drops_a_page_matching_any_condition(refs):
    # ProcessWire's not() is WireArray::filterData($selector, true): it drops a page as soon as
    # one condition of the selector matches it (notAll() is the "all of them" form), then sorts
    # and slices what is left by its sort=, start= and limit=. ProcessWire answers:
    #   not("title%=two, qty>2") -> r0, r3      not("qty>1, limit=1") -> r0
    #   not("qty=2, sort=-qty") -> r2, r0, r3   not("qty>1, start=1") -> r3     not("") -> all
    assert refs.children().not_("title%=two, qty>2").explode("name") == ["r0", "r3"]
    assert refs.children().not_("qty>1, limit=1").explode("name") == ["r0"]
    assert refs.children().not_("qty=2, sort=-qty").explode("name") == ["r2", "r0", "r3"]
    assert refs.children().not_("qty>1, start=1").explode("name") == ["r3"]
    assert refs.children().not_("").explode("name") == ["r0", "r1", "r2", "r3"]
    # an OR-group is one condition (ProcessWire's in-memory Selectors have no OR-groups; here
    # they mean what a find means): the pages matching either group go
    assert refs.children().not_("(qty=1), (qty=3)").explode("name") == ["r1", "r3"]


def test_remove_by_selector_drops_the_matches_of_all_conditions(refs):
    # ProcessWire's remove($selector) removes each page its find($selector) gives:
    #   remove("title%=two, qty>2") -> r0, r1, r2, r3     remove("qty>1, limit=1") -> r0, r2, r3
    #   remove("qty>1, start=1") -> r0, r1, r3
    assert refs.children().remove("title%=two, qty>2").explode("name") == ["r0", "r1", "r2", "r3"]
    assert refs.children().remove("qty>1, limit=1").explode("name") == ["r0", "r2", "r3"]
    assert refs.children().remove("qty>1, start=1").explode("name") == ["r0", "r1", "r3"]


def test_implode_writes_pages_checkboxes_and_floats_as_processwire(site):
    # ProcessWire's implode() casts each value to a string: a Page is its id, a PageArray its
    # ids joined by "|", a checkbox 0 or 1 and a float without a ".0" it does not need. With
    # pages as below it answers: implode(", ", "refs") -> "R1|R0", "<none>" left out;
    # implode(", ", "parent") -> "F, F"; implode(", ", "flag") -> "1, 0";
    # implode(", ", "price") -> "2, 1.5"
    site.fields.add("price", "Float")
    site.fields.add("flag", "Checkbox")
    site.fields.add("refs", "Page", multiple=True)
    site.templates.add("mema", fields=["title", "price", "flag", "refs"])
    folder = site.pages.add("mema", 1, "f", title="F")
    r0 = site.pages.add("mema", folder, "r0", title="R0")
    r1 = site.pages.add("mema", folder, "r1", title="R1")
    site.pages.add("mema", folder, "a", title="A", price=2.0, flag=True, refs=[r1, r0])
    site.pages.add("mema", folder, "b", title="B", price=1.5, flag=False)
    pages = site.pages.find("name=a|b, include=all, sort=name")
    assert pages.implode(", ", "refs") == f"{r1.id}|{r0.id}"
    assert pages.implode(", ", "parent") == f"{folder.id}, {folder.id}"
    assert pages.implode(", ", "flag") == "1, 0"
    assert pages.implode(", ", "price") == "2, 1.5"
