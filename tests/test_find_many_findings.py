"""`find_many()` as ProcessWire's findMany() is used: its answer is a PageArray whose pages
load in chunks as they are iterated, so `count($items)` and `if(count($items))` work. Here it
was a bare generator: `len()` raised TypeError, `if site.pages.find_many("template=none"):`
was always true, and a malformed selector raised only at the first page iterated, far from
the call that had it."""
from __future__ import annotations

import pytest

from cms.errors import SelectorError


@pytest.fixture
def five(site):
    with site.transaction():
        for i in range(5):
            site.pages.add("basic-page", 1, f"item-{i}", title=f"Item {i}")
    return site


def test_find_many_counts_and_tests_true_as_a_page_array_would(five):
    pages = five.pages
    many = pages.find_many("template=basic-page, sort=name", chunk=2)
    assert len(many) == 5 and many.total == 5 and many
    assert [p.name for p in many] == [f"item-{i}" for i in range(5)]
    assert [p.name for p in many] == [f"item-{i}" for i in range(5)]      # iterated again
    assert not pages.find_many("template=basic-page, title=Nothing")
    assert len(pages.find_many("template=basic-page, title=Nothing")) == 0


def test_find_many_len_keeps_to_start_and_limit_where_total_counts_all(five):
    many = five.pages.find_many("template=basic-page, sort=name, start=1, limit=3", chunk=2)
    assert len(many) == 3 and many.total == 5
    assert [p.name for p in many] == ["item-1", "item-2", "item-3"]
    tail = five.pages.find_many("template=basic-page, sort=name, start=4, limit=3")
    assert len(tail) == 1 and [p.name for p in tail] == ["item-4"]


def test_find_many_counts_only_what_the_user_may_view(five):
    five.users.add_role("member", ["page-view"])
    five.templates.add("members", fields=["title"])
    five.templates["members"].set_access(view=["member"])
    for i in range(3):
        five.pages.add("members", 1, f"member-{i}", title="For members")
    assert len(five.pages.find_many("title=For members|Item 1")) == 4
    with five.as_user(five.users.get("guest")):
        many = five.pages.find_many("title=For members|Item 1")
        assert len(many) == 1 == len(list(many)) and many.total == 1


def test_a_malformed_selector_raises_at_the_call(five):
    with pytest.raises(SelectorError):
        five.pages.find_many("template=basic-page, title=[")
