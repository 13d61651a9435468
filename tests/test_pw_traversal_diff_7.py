"""A page's traversal methods with selectors against ProcessWire 3.0.256: cases a randomized
differential run gave (a rig kept outside this repository builds the same random trees in
both: three templates with random sort settings for children, one of them viewable by
superusers only, depths up to 5, hidden, unpublished, locked and trashed pages, sort values
with and without ties; `children()`, `child()`, `siblings()`, the walks, `parents_until()`,
`closest()`, `index()`, `find()`, `matches()` and the child counts asked as the superuser and
the guest), minimized, each stating ProcessWire's answer."""
from __future__ import annotations

import pytest
from conftest import pages_in_a_row


@pytest.fixture
def row(site):
    """/r/ with children a, b, c."""
    return pages_in_a_row(site, "abc")


@pytest.mark.parametrize("selector", ["", "   ", None, "0"])
def test_an_empty_or_blank_selector_matches_no_page(row, selector):
    # ProcessWire 3.0.256's $page->matches('') is false (PageComparison::matches: "blank string
    # matches nothing"), and so are matches('   '), matches(null) and matches('0') (the id 0):
    # an empty selector finds nothing, as `find("")` here. Here the page was counted among
    # itself: True for all but "0".
    site, root, kids = row
    assert kids["b"].matches(selector) is False
    assert root.matches(selector) is False


def test_closest_of_a_blank_selector_is_none_and_of_an_empty_one_the_page(row):
    # ProcessWire 3.0.256's closest() returns the page for an empty selector (PHP's empty():
    # '', '0', null) and otherwise asks matches() of the page and then its parents: '   '
    # matches none of them, so closest('   ') is a NullPage. Here it was the page itself.
    site, root, kids = row
    b = kids["b"]
    assert not b.closest("   ")
    assert b.closest("") == b and b.closest("0") == b and b.closest(None) == b
