"""Nested sub-selectors under the acting user's view access, on every engine: on PostgreSQL
each level's access check became an anti-join of one flat plan, which on a small site took
nested loops that ran every inner level again for every outer row. Eight levels of
`children=[...]` as a guest took 9 s on a fresh site, ten levels more than 15 s, each level
about 13 times the one before; as code (no access check) the same took a millisecond."""
from __future__ import annotations

import pytest

from cms.errors import QueryTimeout, SelectorError


@pytest.fixture
def chain(site):
    """home > l1 > l2 > ... > l12 > leaf, and a page only members may view."""
    site.users.add_role("member", ["page-view"])
    site.templates.add("members", fields=["title"])
    site.templates["members"].set_access(view=["member"])
    site.pages.add("members", 1, "members", title="Members")
    parent, pages = 1, []
    for level in range(1, 13):
        parent = site.pages.add("basic-page", parent, f"l{level}", title=f"Level {level}")
        pages.append(parent)
    site.pages.add("basic-page", parent, "leaf", title="Leaf")
    return site, pages


@pytest.mark.parametrize("depth", [3, 8, 12])
def test_a_guest_s_nested_sub_selectors_are_answered_at_any_depth(chain, depth):
    site, pages = chain
    selector = "children=[" * depth + "name=leaf" + "]" * depth
    with site.as_user("guest"):
        try:
            with site.db.time_limit(20):          # hours before the fix, milliseconds now
                found = site.pages.find_ids(selector)
        except SelectorError as error:            # SQLite's parser stack: said, not a hang
            assert site.db.engine == "sqlite" and "nests too deeply" in str(error)
            return
        except QueryTimeout:
            pytest.fail(f"{depth} levels of sub-selectors as a guest ran past 20 s")
    assert found == [pages[-depth].id]
