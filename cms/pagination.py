"""Pagination as ProcessWire does it: finds that page themselves, and MarkupPagerNav's links.

While a page is rendered for `/blog/page2` where its template allows page numbers
(`page_numbers`, cms.web.paths), or for `?page=N` (N > 1) on any other template, a find with a
`limit` and no `start=` starts at `(N - 1) * limit`, as ProcessWire's PageFinder reads
`$input->pageNum` (getQueryStartLimit): `page.children("limit=10")` in a template shows the
11th to 20th child on page 2. A find that says `start=` keeps it, and a find of one page (`get`,
`find_one`, `child`) is never paged, as ProcessWire's findOne. Like ProcessWire, this holds for
every such find the template makes, a sidebar's "latest five" too: give that one `start=0`.

`PageArray.render_pager()` writes the links to the other pages of a find: ProcessWire's
MarkupPagerNav, with its default markup, classes and choice of numbers (PagerNav, the version
3.0.256 ships), linking `?page=N` of the page being rendered, as ProcessWire links a template
without page numbers in its URLs (ProcessWire itself reads no `?page=N`; here it pages), and
`/blog/page2` where the template allows them (after the request's URL segments, as there).
The request's other query parameters are kept in the links
(a search's `?q=`), where ProcessWire keeps only those its `$input->whitelist` holds.
"""
from __future__ import annotations

import contextlib
import math
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Iterator
from urllib.parse import urlencode

from markupsafe import Markup, escape

PAGE_PARAM = "page"


@dataclass(frozen=True, slots=True)
class Request:
    """The request a page is being rendered for: the page's URL, the query's other
    parameters and the page number `?page=N` asks for."""

    url: str
    params: tuple[tuple[str, str], ...]
    page_num: int
    numbered: bool = False      # the template allows page numbers: links are `url` + "page2"


_current: ContextVar[Request | None] = ContextVar("cms_paginated_request", default=None)


@contextlib.contextmanager
def rendering(url: str, params: dict[str, str], page_num: int, numbered: bool = False) -> Iterator[None]:
    """Finds and pagers inside are those of this request. A page rendered inside another
    (`child.render()` in a template) keeps the outer request, as ProcessWire's `$input` and
    `$page` stay the requested page's."""
    if _current.get() is not None:
        yield
        return
    kept = tuple((name, value) for name, value in params.items() if name != PAGE_PARAM)
    token = _current.set(Request(url, kept, page_num, numbered))
    try:
        yield
    finally:
        _current.reset(token)


def page_num() -> int:
    """The page number of the request being rendered; 1 outside a render."""
    request = _current.get()
    return request.page_num if request is not None else 1


@dataclass(slots=True)
class PagerItem:
    """One entry of a pager: a number, Prev / Next, or a separator (number 0)."""

    label: str
    number: int
    kind: str = ""          # current, first, last, previous, next, separator or "" (a number)


def pager_items(total: int, per_page: int, page: int, links: int = 10,
                previous: str = "Prev", next_: str = "Next") -> list[PagerItem]:
    """The entries of a pager for `total` items, `per_page` a page, on page `page` (from 1),
    as ProcessWire's PagerNav::getPager (its "MP" version) chooses them: at most `links`
    numbers around the current one, the first and last page, separators where numbers are left
    out, Prev and Next. Empty when everything fits on one page."""
    if per_page < 1:
        raise ValueError("a pager needs at least one item per page")
    if total <= per_page:
        return []
    current = page - 1                                   # PagerNav counts from 0
    last = math.ceil(total / per_page) - 1
    if links:
        span = links - 1
        half = span // 2
        first_shown = max(current - half, 0)
        if half >= current - 1:
            first_shown = 0
        if current + links - half >= last:
            first_shown += 1
        if current == last - span:
            first_shown -= 1              # so that 31 is not missing from "32 33 34 ..."
        first_shown = max(first_shown, 0)
        last_shown = first_shown + span
        if current == last_shown:
            last_shown += 1               # so that 4 is not missing from "1 2 3 ..."
        if last_shown > last:
            last_shown = last
            first_shown = max(last_shown - span, 0)
    else:
        first_shown, last_shown = 0, last
    items = [PagerItem(str(n + 1), n, "current" if n == current else "")
             for n in range(first_shown, last_shown + 1)]
    if current < last:
        use_last = all(item.number != last for item in items)
        if items and items[-1].number == last - 1:
            items.append(PagerItem(str(last + 1), last))
            use_last = False
        if use_last:
            items += [PagerItem("", 0, "separator"), PagerItem(str(last + 1), last, "last")]
        if next_:
            items.append(PagerItem(next_, current + 1, "next"))
    if len(items) <= 1:
        return []
    for item in items:
        if item.kind != "separator":
            item.number += 1                               # now counted from 1
    if all(item.number != 1 for item in items):
        if items[0].number != 2:
            items.insert(0, PagerItem("", 0, "separator"))
        items.insert(0, PagerItem("1", 1, "first"))
    if current > 0 and previous:
        items.insert(0, PagerItem(previous, current, "previous"))
    return items


# MarkupPagerNav's default listMarkup
LIST_MARKUP = "\n<ul class='{class}' role='navigation' aria-label='{aria-label}'>{out}\n</ul>"
ITEM_CLASSES = {"current": "MarkupPagerNavOn", "previous": "MarkupPagerNavPrevious",
                "next": "MarkupPagerNavNext"}
ARIA_LABELS = {"current": "Page {n}, current page", "previous": "Previous page",
               "next": "Next page", "last": "Page {n}, last page"}


def render_pager(total: int, start: int, limit: int | None, *, base_url: str | None = None,
                 links: int = 10, previous_label: str = "Prev", next_label: str = "Next",
                 list_class: str = "MarkupPagerNav", list_aria_label: str = "Pagination links",
                 list_markup: str = LIST_MARKUP) -> Markup:
    """The pager of a find (see the module's docstring), as MarkupPagerNav renders it with its
    defaults; empty when one page holds every match or the find has no `limit`. Links go to
    `base_url` (default: the page being rendered); the labels are text, escaped.

    `list_markup` is MarkupPagerNav's `listMarkup`: the template's own markup (not escaped)
    around the items, with `{class}`, `{aria-label}` and `{out}` put in. Its default is
    ProcessWire's `<ul role='navigation'>`, kept so a site's styles and scripts find what they
    found there; ARIA does not let a list take that role (axe reports it), so a template that
    wants the pager accessible gives a `<nav>` around the list, as the demo's do
    (`templates/_pager.html`)."""
    if not total or not limit:
        return Markup("")
    request = _current.get()
    if base_url is None:
        if request is None:
            raise ValueError("render_pager() outside a rendered page needs base_url= (the URL "
                             "its links go to)")
        base_url = request.url
    params = request.params if request is not None else ()
    in_path = request is not None and request.numbered      # /blog/page2 rather than ?page=2
    page = 1 if start < limit else math.ceil(start / limit) + 1
    items = pager_items(total, limit, page, links, previous_label, next_label)
    numbered = [i for i, item in enumerate(items) if item.label.isdecimal()]
    out = []
    for index, item in enumerate(items):
        if item.kind == "separator":
            out.append("\n\t<li aria-label='' class='MarkupPagerNavSeparator'>&hellip;</li>")
            continue
        classes = [ITEM_CLASSES[item.kind]] if item.kind in ITEM_CLASSES else []
        if index == 0:
            classes.append("MarkupPagerNavFirst")
        elif index == len(items) - 1:
            classes.append("MarkupPagerNavLast")
        if numbered and index == numbered[0]:
            classes.append("MarkupPagerNavFirstNum")
        elif numbered and index == numbered[-1]:
            classes.append("MarkupPagerNavLastNum")
        if in_path:
            # as MarkupPagerNav on a template allowing page numbers: /blog/page2, a slash between
            url = base_url.rstrip("/") + "/" + f"page{item.number}" if item.number > 1 else base_url
            query = list(params)
        else:
            url = base_url
            query = list(params) + ([(PAGE_PARAM, str(item.number))] if item.number > 1 else [])
        url += "?" + urlencode(query) if query else ""
        aria = ARIA_LABELS.get(item.kind, "Page {n}").replace("{n}", str(item.number))
        current = " aria-current='true'" if item.kind == "current" else ""
        class_attr = f" class='{escape(' '.join(classes))}'" if classes else ""
        out.append(f"\n\t<li aria-label='{escape(aria)}'{class_attr}{current}>"
                   f"<a href='{escape(url)}'><span>{escape(item.label)}</span></a></li>")
    if not out:
        return Markup("")
    markup = str(list_markup).replace("{class}", escape(list_class)).replace(
        "{aria-label}", escape(list_aria_label)).replace(" class=''", "").replace(' class=""', "")
    return Markup(markup.replace("{out}", "".join(out)))
