"""A page's place among its siblings: what `page.next()`, `prev()`, `next_all()` and
`prev_all()` read, as ProcessWire's PageTraversal answers them.

ProcessWire finds the parent's children matching the selector, in the parent's sort order (or
the selector's `sort=`), with the page itself always among them (PageFinder's `startAfterID`
adds `pages.id=X OR` to the query): whatever its status, and whether or not the selector
matches it. So `next("flag=1")` is the nearest sibling after the page with flag 1, and a
hidden page still has a next one.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Collection

if TYPE_CHECKING:
    from .page import Page


def sorts_of(selector: str) -> str:
    """Only the `sort=` conditions of a selector ("sort=-qty, sort=title"), or ""."""
    if "sort" not in selector:
        return ""
    from .selectors.parser import Condition, parse  # here: cms.selectors imports cms.page
    return ", ".join(f"sort={value.text}" for item in parse(selector).items
                     if isinstance(item, Condition) and item.fields == ("sort",)
                     for value in item.values)


def sibling_order(page: Page, selector: str = "", also: Collection[int] = ()) -> tuple[list[int], int]:
    """(the ids of the siblings matching `selector`, of the page itself and of the siblings
    among `also`, in their order; the page's index in that list), or ([], -1) for home and a
    page not saved. `also` places the stop of `next_until()` whatever its status, as
    ProcessWire's `stopBeforeID` adds `pages.id=X OR` to the query as `startAfterID` does."""
    if not page.id or not page.parent_id:
        return [], -1
    pages = page.site.pages
    base = f"parent_id={page.parent_id}"
    ids = pages.find_ids(selector, base=base)
    found = set(ids)
    if page.id not in found or not found.issuperset(also):
        # where the pages stand: every sibling in the same order, kept to those found and them
        keep = found | {page.id} | set(also)
        ids = [i for i in pages.find_ids(sorts_of(selector), base=f"{base}, include=all") if i in keep]
    return ids, ids.index(page.id)
