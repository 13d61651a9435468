"""A public URL that names no page may still render one: ProcessWire's URL segments and page
numbers (its PagesPathFinder).

`/blog/tag/news/` renders /blog/ with `input.url_segments == ["tag", "news"]` when the blog's
template allows URL segments (`url_segments=True`, or a list of the segment strings it allows);
`/blog/page2` renders page 2 of the blog's paginated finds when its template allows page
numbers (`page_numbers=True`); `/blog/tag/news/page2` both. Otherwise such a URL is not found,
as there. Limits as ProcessWire's defaults: at most 20 segments of at most 128 characters, page
numbers up to 999. A trailing slash is optional after a segment or a page number, as its
default "either"; `/blog/page1` and `/blog/page02` are redirected to `/blog/` and `/blog/page2`.

A segment is a page name's characters (`[a-z0-9._-]`, or letters and digits alone in any case);
ProcessWire answers 400 for any other, here it is not found (404), like every URL naming nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..page import Page
    from ..site import Site

MAX_SEGMENTS = 20
MAX_SEGMENT_LENGTH = 128
MAX_PAGE_NUM = 999
PAGE_NUM_PREFIX = "page"
PAGE_NUM = re.compile(PAGE_NUM_PREFIX + r"(\d+)", re.IGNORECASE)
SEGMENT = re.compile(r"[A-Za-z0-9]+|[a-z0-9]+(?:[._-]+[a-z0-9]+)*")


@dataclass(frozen=True, slots=True)
class Resolved:
    """The page a URL renders, the segments after its path and the page number; `redirect` is
    the URL to send the visitor to instead, when the request spelled a page number otherwise."""

    page: Page
    segments: tuple[str, ...] = ()
    page_num: int = 1
    redirect: str = ""


def resolve(site: Site, url_path: str) -> Resolved | None:
    """What `url_path` (a path that is no page's) renders, or None: not found."""
    page, rest = site.pages.nearest_by_path(url_path, MAX_SEGMENTS + 1)
    if not page or not rest:
        return None
    template = page.template
    page_num, asked_num = 1, ""
    number = PAGE_NUM.fullmatch(rest[-1])
    if number:                                  # a page number, whether the template allows one
        asked_num, rest = rest[-1], rest[:-1]
        digits = number.group(1)
        page_num = max(1, int(digits)) if len(digits) < 7 else MAX_PAGE_NUM + 1
        if page_num > MAX_PAGE_NUM or page_num > 1 and not template.settings.get("page_numbers"):
            return None
    if rest:
        if (len(rest) > MAX_SEGMENTS
                or any(len(part) > MAX_SEGMENT_LENGTH or not SEGMENT.fullmatch(part) for part in rest)
                or not template.allows_url_segments("/".join(rest))):
            return None
    canonical = f"{PAGE_NUM_PREFIX}{page_num}" if page_num > 1 else ""
    redirect = ""
    if asked_num != canonical:
        tail = "/".join([*rest, canonical] if canonical else rest)
        redirect = page.url + tail + ("/" if tail and url_path.endswith("/") else "")
    return Resolved(page, tuple(rest), page_num, redirect)

