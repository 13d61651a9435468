"""Selectors against ProcessWire 3.0.256 from a randomized differential run (a rig kept outside
this repository builds one random site in both, with created and modified times, statuses,
sorts, trash and Page fields set alike, and compares find(), count() and get() of thousands of
generated selectors) and from the selector syntax its documentation names; each case is
minimized and states ProcessWire's answer (blank profile, MariaDB 10.11, PHP 8.2, superuser)."""
from __future__ import annotations

import pytest

from cms import Page, SelectorError


def names(site, selector):
    return sorted(page.name for page in site.pages.find(selector + ", parent=/m/"))


def items_folder(site):
    """Fields qty and refs (a Page field of several pages), templates folder and item, and
    the folder /m/ the fixtures' items go in."""
    site.fields.add("qty", "Integer")
    site.fields.add("refs", "Page", multiple=True)
    site.templates.add("folder", fields=["title"])
    site.templates.add("item", fields=["title", "qty", "refs"])
    return site.pages.add("folder", 1, "m", title="M")


@pytest.fixture
def shelf(site):
    """/m/ with a (Apple, qty 3), b (Apple, qty 5, hidden), c (Kiwi, qty 3), and x, y, z
    whose Page field refs holds [a], [b, c] and [c]."""
    m = items_folder(site)
    a = site.pages.add("item", m, "a", title="Apple", qty=3)
    b = site.pages.add("item", m, "b", title="Apple", qty=5, status=Page.STATUS_HIDDEN)
    c = site.pages.add("item", m, "c", title="Kiwi", qty=3)
    site.pages.add("item", m, "x", title="X", refs=[a])
    site.pages.add("item", m, "y", title="Y", refs=[b, c])
    site.pages.add("item", m, "z", title="Z", refs=[c])
    return site


@pytest.mark.parametrize("selector, expected", [
    # ProcessWire's documented "@" before a Page field's subfields: one referenced page must
    # match them all, where without it each may be met by another referenced page
    ("refs.title=Apple, refs.qty=3", ["x", "y"]),
    ("@refs.title=Apple, @refs.qty=3", ["x"]),
    # a find looks at the referenced pages whatever their status (b is hidden)
    ("@refs.title=Apple, @refs.qty=5", ["y"]),
    # a name before the @ names the group; conditions of two groups may meet two pages
    ("a@refs.title=Apple, a@refs.qty=3", ["x"]),
    ("a@refs.title=Apple, b@refs.qty=3", ["x", "y"]),
    # a column of the referenced page (its name) is asked of that page too
    ("@refs.qty=3, @refs.name=c", ["y", "z"]),
    # `!=`: the pages referencing no page that is Apple and meets the others, and some page
    # that meets the others and is not; a leading ! negates the referenced page's match
    ("@refs.title=Apple, @refs.qty!=3", ["y"]),
    ("@refs.title!=Apple, @refs.qty=3", ["y", "z"]),
    ("!@refs.title=Apple, @refs.qty=3", ["y", "z"]),
    # inside an OR-group and a sub-selector alike
    ("(@refs.title=Apple, @refs.qty=3), (title=Z)", ["x", "z"]),
    ("id=[@refs.title=Apple, @refs.qty=3]", ["x"]),
    # on a field that is no Page field the @ changes nothing
    ("@title=Apple", ["a"]),
])
def test_an_at_sign_asks_one_referenced_page_for_every_grouped_subfield(shelf, selector, expected):
    # ProcessWire 3.0.256 (FieldtypePage::getMatchQueryCustom adds the other conditions of
    # the group to its find of the referenced pages) answered each as `expected` says
    assert names(shelf, selector) == expected
    assert shelf.pages.count(selector + ", parent=/m/") == len(expected)


def test_a_get_asks_the_grouped_subfields_of_the_pages_its_include_admits(shelf):
    # ProcessWire 3.0.256: $pages->get() finds the referenced pages with include=hidden
    # when it names none, so b (hidden) counts there too
    assert shelf.pages.get("parent=/m/, @refs.title=Apple, @refs.qty=5").name == "y"


@pytest.mark.parametrize("selector", ["@refs.title=Apple, @refs.count=2",
                                      "@refs.title|refs.name=Apple, @refs.qty=3"])
def test_a_group_refuses_a_count_or_several_fields(shelf, selector):
    # ProcessWire 3.0.256: "Modifier 'count' is not allowed here" (PageFinderSyntaxException)
    # and "Selector not supported" (WireException)
    with pytest.raises(SelectorError):
        shelf.pages.find(selector)


@pytest.fixture
def trashed_ref(site):
    """/m/ with b (Kiwi, qty 1), x referencing a (Apple, qty 5, since trashed), y referencing b."""
    m = items_folder(site)
    a = site.pages.add("item", m, "a", title="Apple", qty=5)
    b = site.pages.add("item", m, "b", title="Kiwi", qty=1)
    site.pages.add("item", m, "x", title="X", refs=[a])
    site.pages.add("item", m, "y", title="Y", refs=[b])
    a.trash()
    return site


@pytest.mark.parametrize("condition", ["!refs.qty<2", "!refs.title=Kiwi", "refs.title!%=Kiwi",
                                       "!refs.qty<2, check_access=1"])
def test_get_negates_a_referenced_pages_match_among_the_pages_its_include_admits(trashed_ref, condition):
    # ProcessWire 3.0.256: $pages->get("parent=/m/, name=x, !refs.qty<2") is x, as find()
    # is: FieldtypePage::getMatchQueryCustom finds the referenced pages with qty<2 that
    # get()'s include=hidden admits, and x references a page outside them (a, in the trash).
    # Here get() looked only at the referenced pages it admits, so x referenced none not
    # matching and was not found.
    selector = f"parent=/m/, name=x, {condition}"
    assert [page.name for page in trashed_ref.pages.find(selector)] == ["x"]
    assert trashed_ref.pages.get(selector).name == "x"
    assert trashed_ref.pages.get(selector.replace("name=x", "name=y")).id == 0
