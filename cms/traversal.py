"""A page's place among its siblings: what `page.next()`, `prev()`, `next_all()` and
`prev_all()` read, as ProcessWire's PageTraversal answers them.

ProcessWire finds the parent's children matching the selector, in the parent's sort order (or
the selector's `sort=`), with the page itself always among them (PageFinder's `startAfterID`
adds `pages.id=X OR` to the query): whatever its status, and whether or not the selector
matches it. So `next("flag=1")` is the nearest sibling after the page with flag 1, and a
hidden page still has a next one.

A walk (`next_all()`, `prev_all()`, `next_until()`, `prev_until()`) takes the selector's
`limit=` as how many of the nearest siblings to give, and ignores its `start=`: PageFinder's
`softLimit`, counted from the page, where a find would cut the whole list of siblings first.
`next()` and `prev()` (a findOne there, whose LIMIT stays in the query) look among the first
`limit=` siblings, the page counted among them, and `index()` counts at most `limit=` of the
siblings before the page; none of them counts `start=`.
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Collection

if TYPE_CHECKING:
    from .page import Page
    from .selectors.plan import Query
    from .site import Site


def sorts_of(selector: str) -> str:
    """Only the `sort=` conditions of a selector ("sort=-qty, sort=title"), or "": not a
    comparison of the sort column (`sort>2`, is_sort_comparison), which orders nothing."""
    if "sort" not in selector:
        return ""
    from .selectors.parser import Condition, parse  # here: cms.selectors imports cms.page
    from .selectors.plan import is_sort_comparison
    return ", ".join(f"sort={value.text}" for item in parse(selector).items
                     if isinstance(item, Condition) and item.fields == ("sort",)
                     and not is_sort_comparison(item) for value in item.values)


def limit_of(selector: str) -> int | None:
    """The last `limit=` of a selector as written, 0 included, or None: a PageArray slices its
    matches by it as WireArray::filterData does (`start=2, limit=0` is a length of 0), where a
    find of the database, as PageFinder, reads `limit=0` as no limit."""
    if "limit" not in selector:
        return None
    from .selectors.parser import Condition, parse  # here: cms.selectors imports cms.page
    limits = [item.values[0].text for item in parse(selector).items
              if isinstance(item, Condition) and item.fields == ("limit",)]
    return int(limits[-1]) if limits else None


def conditions_of(selector: str) -> tuple[list[str], list[str], list[str]]:
    """A selector's text split as ProcessWire's `not()` reads it: each condition on its own
    (an OR-group with the groups sharing its name), the options every one of them keeps
    (`include=`, `check_access=`, `get_total=`), and the `sort=`, `start=` and `limit=` that
    order and slice what is left (WireArray::filterData takes those out before it matches)."""
    from .selectors.parser import Condition, Group, parse  # here: cms.selectors imports cms.page
    from .selectors.plan import KEY_ALIASES, is_sort_comparison
    items = parse(selector).items
    ends = [item.position for item in items[1:]] + [len(selector)]
    conditions: list[str] = []
    options: list[str] = []
    paging: list[str] = []
    groups: dict[str, int] = {}             # an OR-group's name -> its place in conditions
    for item, end in zip(items, ends):
        text = selector[item.position:end].rstrip(" \t\r\n,")
        if isinstance(item, Group):
            if item.name in groups:
                conditions[groups[item.name]] += f", {text}"
            else:
                groups[item.name] = len(conditions)
                conditions.append(text)
            continue
        key = KEY_ALIASES.get(item.fields[0], item.fields[0]) if isinstance(item, Condition) else ""
        if key in ("limit", "start") or (key == "sort" and not is_sort_comparison(item)):
            paging.append(text)
        elif key in ("include", "check_access", "get_total"):
            options.append(text)
        else:
            conditions.append(text)
    return conditions, options, paging


def in_parent_order(selector: str, parent: Page) -> str:
    """`selector` for `parent`'s children or a page's siblings (`children()`, `child()`,
    `siblings()`), with `sort=<the parent's sortfield>` appended where it says no `sort=`, as
    ProcessWire's PageTraversal appends it: so a comparison of the sort column (`sort>2`) or
    a parent condition of its own (`parent!=5`), which make a find drop the parent's order
    (cms/selectors/plan.py), keep it here."""
    if sorts_of(selector):
        return selector
    order = f"sort={parent.template.settings.get('sortfield') or 'sort'}"
    return f"{selector}, {order}" if selector.strip() else order


def unlimited_ids(site: Site, selector: str, base: str) -> list[int]:
    """The ids `selector` finds after `base`, in order, its `limit=` and `start=` not applied."""
    engine = site.selectors
    return engine.select_query(replace(engine.plan(selector, base), limit=None, start=None)).ids


def walk_plan(page: Page, selector: str) -> Query:
    """The selector planned among `page`'s siblings: its `limit=` and `start=` are what the
    walks read of it."""
    return page.site.selectors.plan(selector, f"parent_id={page.parent_id}")


def walk_limit(page: Page, selector: str) -> int | None:
    """How many siblings a walk from `page` gives at most: the selector's `limit=`, or None."""
    return walk_plan(page, selector).limit


def sibling_order(page: Page, selector: str = "", also: Collection[int] = (),
                  walk: bool = False) -> tuple[list[int], int]:
    """(the ids of the siblings matching `selector`, of the page itself and of the siblings
    among `also`, in their order; the page's index in that list), or ([], -1) for home and a
    page not saved. `also` places the stop of `next_until()` whatever its status, as
    ProcessWire's `stopBeforeID` adds `pages.id=X OR` to the query as `startAfterID` does.
    For a `walk` the selector's `limit=` and `start=` are left to the caller (`walk_limit`)."""
    if not page.id or not page.parent_id:
        return [], -1
    pages = page.site.pages
    base = f"parent_id={page.parent_id}"
    ids = unlimited_ids(page.site, selector, base) if walk else pages.find_ids(selector, base=base)
    found = set(ids)
    if page.id not in found or not found.issuperset(also):
        # where the pages stand: every sibling in the same order, kept to those found and them
        keep = found | {page.id} | set(also)
        # the order the find gave: its sort=, else the parent's unless the selector dropped it
        # (a sort comparison or a parent condition of its own: by id)
        order = sorts_of(selector) or ("" if page.site.selectors.plan(selector, base).sorts else "sort=id")
        ids = [i for i in pages.find_ids(order, base=f"{base}, include=all") if i in keep]
    return ids, ids.index(page.id)
