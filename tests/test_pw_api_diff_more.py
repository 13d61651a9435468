"""The Page and Pages API against ProcessWire 3.0.256, more of it: cases a randomized
differential run gave (a rig kept outside this repository builds the same random trees in
both: templates with sort settings, depths up to 4, hidden, unpublished, locked and trashed
pages, sort values with gaps, moved pages; the calls asked as the superuser, the guest and a
member), minimized, each stating ProcessWire's answer."""
from __future__ import annotations

import pytest


@pytest.fixture
def row(site):
    """/r/ with children a..e, by sort a, b, c, d, e."""
    site.templates.add("ta", fields=["title"])
    root = site.pages.add("ta", 1, "r", title="R")
    kids = {name: site.pages.add("ta", root, name, title=name.upper()) for name in "abcde"}
    return site, root, kids


def test_closest_ignores_limit_and_start(row):
    # ProcessWire 3.0.256's closest() asks matches() of the page, then of each parent
    # (PageComparison::matches skips limit, start, sort and include), so from /r/c/:
    # closest('limit=1') is c itself, closest('template=ta, limit=1') c, closest('name=r,
    # start=1') r. Here the selector sliced the list of home, r and c: home, r, and nothing.
    site, root, kids = row
    c = kids["c"]
    assert c.closest("limit=1") == c
    assert c.closest("template=ta, limit=1") == c
    assert c.closest("name=r, start=1") == root
    assert c.closest("name=r, start=1, limit=1") == root
