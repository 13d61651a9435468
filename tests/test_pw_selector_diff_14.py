"""Selectors on Page fields and dates against ProcessWire 3.0.256, from a randomized
differential run (a rig kept outside this repository builds one random tree in both, with a
multiple and a single Page field referencing hidden, unpublished and trashed pages, and a
Datetime field holding dates around one "now" captured once, then compares `$pages->find()`,
`count()` and `get()` as the superuser and the guest). Each case is minimized and states
ProcessWire's answer."""

from __future__ import annotations

import pytest

from cms import Page


@pytest.fixture
def refsite(site):
    """/a/ (published) references the unpublished /u/ and the hidden /h/; /b/ references /h/;
    /c/ (single field `ref`) references /u/."""
    site.fields.add("refs", "Page", multiple=True)
    site.fields.add("ref", "Page")
    site.templates.add("item", fields=["title", "refs", "ref"])
    u = site.pages.add("item", 1, "u", title="Umber", status=Page.STATUS_UNPUBLISHED)
    h = site.pages.add("item", 1, "h", title="Hazel", status=Page.STATUS_HIDDEN)
    site.pages.add("item", 1, "a", title="Alder", refs=[u, h])
    site.pages.add("item", 1, "b", title="Birch", refs=[h])
    site.pages.add("item", 1, "c", title="Cedar", ref=u)
    return site


def names(found):
    return sorted(page.name for page in found)


@pytest.mark.parametrize(
    "selector, expected",
    [
        ("refs.path=/u/", "a"),
        ("refs.url=/u/", "a"),
        ("refs.path=/u/|/nope/", "a"),
        ("ref.path=/u/", "c"),
        ("refs.path=/u/, check_access=1", "a"),
        # `!=` is the pages holding no reference to /u/: /a/ holds one
        ("refs.path!=/u/, name=a", ""),
    ],
)
def test_get_compares_a_page_fields_path_as_its_reference_whatever_the_pages_status(
    refsite, selector, expected
):
    # ProcessWire 3.0.256: FieldtypePage::getMatchQuery reads the subfields path and url as
    # the reference itself (the `data` column, the path turned into an id by $pages->get()),
    # as it reads `refs.id` and `refs=/u/`: `$pages->get("refs.path=/u/")` gives /a/, the
    # unpublished /u/ counting as any referenced page, where a subfield such as title is
    # looked for among the referenced pages get()'s include= admits
    for user in (None, "guest"):
        with refsite.as_user(user):
            assert refsite.pages.get(selector).name == expected
            assert refsite.pages.get(selector.replace(".path", "").replace(".url", "")).name == expected
    assert names(refsite.pages.find(selector + ", include=all")) == ([expected] if expected else [])
