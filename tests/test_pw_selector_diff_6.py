"""Selectors against ProcessWire 3.0.256 on unusual data: accents and case, empty and long
text, quotes and separators inside values, numbers as text, zero and negative numbers, dates at
day and month edges, names with dots and digits, pages hidden, unpublished, locked and in the
trash, deep trees, ties and empty values in sorts, and paging past the end (a rig kept outside
this repository builds the same random site in both and compares find(), count(), find_one(),
get(), a PageArray's find/filter/not/has and matches(); each case below is minimized and
states ProcessWire's answer)."""
from __future__ import annotations

import pytest


@pytest.fixture
def kids(site):
    """/t6/ with r0 (Red one, qty 1), r1 (blue two, 2), r2 (Café three, 3), r3 (Zed, 0)."""
    site.fields.add("qty", "Integer")
    site.templates.add("item", fields=["title", "qty"])
    folder = site.pages.add("item", 1, "t6", title="T6")
    for name, title, qty in (("r0", "Red one", 1), ("r1", "blue two", 2), ("r2", "Café three", 3),
                             ("r3", "Zed", 0)):
        site.pages.add("item", folder, name, title=title, qty=qty)
    return folder


def test_an_arrays_limit_of_zero_after_a_start_keeps_nothing(kids):
    # WireArray::filterData slices with array_slice($data, $start, $limit) whenever `$start ||
    # $limit`: a `limit=0` beside a `start=` above 0 is a length of 0, so nothing is kept, where
    # `limit=0` alone slices nothing. Here `start=1, limit=0` kept every match from the second on.
    # ProcessWire 3.0.256 answers: find("start=1, limit=0") [], find("qty>0, start=1, limit=0")
    # [], filter("start=2, limit=0") [], not("qty=2, start=1, limit=0") [],
    # find("sort=-qty, start=1, limit=0") [], find("start=9, limit=0") [],
    # find("limit=2, limit=0, start=1") [] (the last limit counts), findOne("start=1,
    # limit=0") none, has("start=1, limit=0") false; and find("limit=0") [r0, r1, r2, r3],
    # find("qty>0, limit=0") [r0, r1, r2], find("sort=-qty, limit=0") [r2, r1, r0, r3].
    children = kids.children
    assert children().find("start=1, limit=0").explode("name") == []
    assert children().find("qty>0, start=1, limit=0").explode("name") == []
    assert children().filter("start=2, limit=0").explode("name") == []
    assert children().not_("qty=2, start=1, limit=0").explode("name") == []
    assert children().find("sort=-qty, start=1, limit=0").explode("name") == []
    assert children().find("start=9, limit=0").explode("name") == []
    assert children().find("limit=2, limit=0, start=1").explode("name") == []
    assert children().find_one("start=1, limit=0").id == 0
    assert not children().has("start=1, limit=0")
    assert children().find("limit=0").explode("name") == ["r0", "r1", "r2", "r3"]
    assert children().find("qty>0, limit=0").explode("name") == ["r0", "r1", "r2"]
    assert children().find("sort=-qty, limit=0").explode("name") == ["r2", "r1", "r0", "r3"]
