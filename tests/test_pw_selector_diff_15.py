"""Selectors against ProcessWire 3.0.256, a randomized differential run combining field
conditions of every type, OR-groups, sub-selectors, counts, include=, status<, sorts on one to
three keys, start=/limit= and the Page traversal methods in one selector, as the superuser and
as the guest. A rig kept outside this repository built the same random site in both and
compared find(), count(), get() and the walks. Each test states ProcessWire's answer."""
from __future__ import annotations

import pytest

from cms import Page


@pytest.fixture
def apples(site):
    """/r/ holding a (hidden), b (unpublished) and c, titled "apple" with qty 2, and d
    (hidden), titled "pear" with qty -3, added in that order."""
    site.fields.add("qty", "Integer")
    site.templates.add("folder", fields=["title"])
    site.templates.add("item", fields=["title", "qty"])
    root = site.pages.add("folder", 1, "r", title="Root")
    for name, status in (("a", Page.STATUS_HIDDEN), ("b", Page.STATUS_UNPUBLISHED), ("c", 0),
                         ("d", Page.STATUS_HIDDEN)):
        values = {"title": "pear", "qty": -3} if name == "d" else {"title": "apple", "qty": 2}
        if status:
            values["status"] = status
        site.pages.add("item", root, name, **values)
    return site


def test_get_matches_a_field_beside_a_column_inside_an_or_group_as_outside_it(apples):
    # `pages.get()` is ProcessWire's findAll, and so is the find PageFinder runs for each
    # OR-group (postProcessQuery); `name|title%=app` there matches the title among the pages
    # a get() naming no include= admits, as it does outside a group (getQueryNativeField).
    # ProcessWire 3.0.256 answers, as the superuser and as the guest:
    # get('(name|title%=app), (qty=-3), parent=/r/, sort=name') /r/c/,
    # get('(name|title%=app), parent=/r/, sort=name') /r/c/ and
    # get('name|title%=app, parent=/r/, sort=name') /r/c/. Here the groups gave the hidden
    # /r/a/: the group was planned as a find, not as the get() around it.
    site = apples
    for user in (None, "guest"):
        with site.as_user(user):
            assert site.pages.get("(name|title%=app), (qty=-3), parent=/r/, sort=name").path == "/r/c/"
            assert site.pages.get("(name|title%=app), parent=/r/, sort=name").path == "/r/c/"
            assert site.pages.get("name|title%=app, parent=/r/, sort=name").path == "/r/c/"
            # the group's other condition still finds the hidden pear, as get() finds any status
            assert site.pages.get("(name|title%=app), (qty=-3), parent=/r/, sort=-name").path == "/r/d/"
            # a find is unchanged: the published apple
            assert [p.name for p in site.pages.find("(name|title%=app), (qty=-3), parent=/r/")] == ["c"]
