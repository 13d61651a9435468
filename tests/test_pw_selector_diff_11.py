"""Selectors against ProcessWire 3.0.256, a second randomized differential run (a rig kept
outside this repository builds the same random site in both): `[...]` sub-selectors two deep
(`author=[parent=[...]]`, `has_parent=[...]`, `id=[...]`), sorts by a parent's or a referenced
page's field, paging totals (`start=`, `limit=`, `get_total=0`), `include=`, `check_access=0`
and `status` conditions as the superuser and the guest, named OR-groups, relative dates, and a
found PageArray's first/last/slice/count. Every difference it found was one README's table
of differences already holds but this one, which extends a row; the test holds our answer."""
from __future__ import annotations


def names(found):
    return sorted(page.name for page in found)


def test_an_outer_status_filters_the_outer_pages_of_a_two_dot_condition(site):
    # ProcessWire 3.0.256 turns `parent.parent.name=top` into the sub-selector
    # `parent=[parent.name=top]` (PageFinder::preProcessSelector, its "a.b.c" branch), and
    # PageFinder::preProcessSubSelector copies the outer `status<2048` into it, so the page in
    # the middle may then be hidden: `parent.parent.name=top, status<2048` finds low and deep.
    # Here the status condition filters the pages found, as for any sub-selector (README:
    # deliberate differences), so a hidden page in the middle is left out as without it.
    site.templates.add("item", fields=["title"])
    top = site.pages.add("item", 1, "top", title="Top")
    shown = site.pages.add("item", top, "shown", title="Shown")
    veiled = site.pages.add("item", top, "veiled", title="Veiled")
    veiled.add_status("hidden")
    site.pages.save(veiled)
    site.pages.add("item", shown, "low", title="Low")
    site.pages.add("item", veiled, "deep", title="Deep")
    assert names(site.pages.find("parent.parent.name=top")) == ["low"]
    assert names(site.pages.find("parent.parent.name=top, status<2048")) == ["low"]
    assert names(site.pages.find("parent.parent.name=top, include=hidden")) == ["deep", "low"]
