"""An empty selector, as ProcessWire 3.0.256 reads one: its find, findOne, get and count ask
PHP's empty() of the selector first (PagesLoader::findShortcut, findOne, get, count), so None,
"", "0", 0 and an empty list all mean no selector at all: find() gives an empty PageArray,
findOne() and get() the NullPage, count() every page of the site. Here only "" was read so:
`find(None)` gave every public page, `count(None)` the public pages (not every page, as
`count("")`), and `find([])` raised a TypeError about hashing from the selector cache."""
from __future__ import annotations

import pytest

from cms.errors import SelectorError

EMPTY = [None, "", "0", 0, []]


@pytest.fixture
def pages(site):
    site.pages.add("basic-page", 1, title="Public")
    site.pages.add("basic-page", 1, title="Hidden", status=site.pages.get(1).STATUS_HIDDEN)
    return site.pages


@pytest.mark.parametrize("selector", EMPTY, ids=repr)
def test_an_empty_selector_finds_nothing_and_counts_every_page(pages, selector):
    every = pages.count("")
    assert every == pages.count("include=all")
    found = pages.find(selector)
    assert list(found) == [] and found.total == 0
    assert not pages.find_one(selector)
    assert not pages.get(selector)
    assert pages.count(selector) == every


@pytest.mark.parametrize("selector", [[1], {"id": 1}, 1.5], ids=repr)
def test_a_selector_that_is_no_string_is_a_selector_error(pages, selector):
    for call in (pages.find, pages.find_one, pages.count, pages.find_ids):
        with pytest.raises(SelectorError, match="a selector is a string"):
            call(selector)


@pytest.mark.parametrize("selector", [5, [1], 1.5], ids=repr)
def test_matches_and_closest_given_no_string_say_so(pages, selector):
    page = pages.get("name=public")
    for call in (page.matches, page.closest):
        with pytest.raises(SelectorError, match="a selector is a string"):
            call(selector)
