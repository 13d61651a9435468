"""Page methods that read through selectors, against ProcessWire 3.0.256: a randomized
differential run (a rig kept outside this repository builds the same random site in both:
every field type, trees of varied depth, hidden, unpublished and trashed pages, template sort
fields, a template only the superuser views; then some 100,000 finds, counts, find_one/get,
children, siblings, child, next/prev, next_all/prev_all, index and closest, as the superuser
and the guest). Where the two differ on purpose README's table of differences says so; these
tests hold the two rows that run added, each stating ProcessWire's answer."""
from __future__ import annotations

import pytest


def names(found):
    return [page.name for page in found]


@pytest.fixture
def row(site):
    """Three siblings under home titled alike, so an empty-value condition is all that differs."""
    site.templates.add("item", fields=["title"])
    return [site.pages.add("item", 1, name, title="the end.") for name in ("a", "b", "c")]


@pytest.mark.parametrize("selector", ['title*=""', 'title^=""', 'title<""', 'title%=""', 'title=" "'])
def test_a_walk_reads_an_empty_text_value_as_find_does(site, row, selector):
    # ProcessWire 3.0.256 answers b.next(SELECTOR) c, b.prev(SELECTOR) a, b.nextAll() [c],
    # b.prevAll() [a], a.nextUntil(c) [b] and b.index(SELECTOR) 1 (as index()), while $pages->find(SELECTOR),
    # children() and siblings() find nothing: PageFinder::getQuery turns each field's join into
    # a LEFT JOIN when given startAfterID or stopBeforeID, as PageTraversal::_next's finds are,
    # and the empty value then leaves no sibling out. Here a walk answers what find() answers
    # (README: deliberate differences).
    a, b, c = row
    assert names(site.pages.find(f"parent=1, {selector}")) == []
    assert names(b.siblings(selector)) == []
    assert not b.next(selector).id
    assert not b.prev(selector).id
    assert names(b.next_all(selector)) == []
    assert names(b.prev_all(selector)) == []
    assert names(a.next_until(c, selector)) == []
    assert b.index(selector) == 0
    assert b.index() == 1


def test_closest_asks_the_database_as_find_does(site):
    # ProcessWire 3.0.256's closest() and parent($selector) call matches(), which compares the
    # loaded values in PHP (Page::closest, Page::parent): for a page storing a.b@x.com,
    # closest("email<=B@Y.org") skips the page ("a" sorts after "B" as bytes) and gives home,
    # which stores no email ("" <= "B@Y.org"; home's own closest() is home too), while
    # find("email<=B@Y.org") finds the page and not home. Here closest() gives the page find()
    # finds.
    site.fields.add("email", "Email")
    site.templates.add("person", fields=["title", "email"])
    ann = site.pages.add("person", 1, "ann", title="Ann", email="a.b@x.com")
    assert names(site.pages.find("email<=B@Y.org")) == ["ann"]
    assert ann.closest("email<=B@Y.org").name == "ann"
    assert not site.pages.get(1).closest("email<=B@Y.org").id
