"""A public URL that names no page may still render one: ProcessWire's URL segments and page
numbers (its PagesPathFinder), and its redirects to a page's own spelling.

`/blog/tag/news/` renders /blog/ with `input.url_segments == ["tag", "news"]` when the blog's
template allows URL segments (`url_segments=True`, or a list of the segment strings it allows);
`/blog/page2` renders page 2 of the blog's paginated finds when its template allows page
numbers (`page_numbers=True`); `/blog/tag/news/page2` both. Otherwise such a URL is not found,
as there. As ProcessWire 3.0.256 answers over HTTP (compared URL by URL):
- at most 20 parts after the page's path, a page number counted, of at most 128 characters
  each: letters, digits, `-`, `_` and `.` (a blank part, `//`, is not found); page numbers up
  to 999, `page` in lower case (`Page2` is a segment);
- a trailing slash is optional after a segment or a page number (its default "either");
- `/blog/page1` and `/blog/page02` are redirected to `/blog/` and `/blog/page2`; a page's path
  typed in another case (`/Blog/Tag/`) to the page's own (`/blog/tag/`); `index.php` or
  `index.html` after a page whose template takes no such segment to the page.
Where this differs (README, Deliberate differences): a redirect keeps the query string; a
segment mixing upper case with `-`, `_` or `.` is taken as written (ProcessWire redirects to it
in lower case); a `%2F` in a segment is a `/`, as the server decodes it before routing.
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
PAGE_NUM = re.compile(PAGE_NUM_PREFIX + r"(\d+)")
SEGMENT = re.compile(r"[A-Za-z0-9._-]+")
INDEX_FILE = re.compile(r"index\.(php\d?|s?html?)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Resolved:
    """The page a URL renders, the segments after its path and the page number; `redirect` is
    the URL to send the visitor to instead, when the request spelled the page's path or the
    page number otherwise."""

    page: Page
    segments: tuple[str, ...] = ()
    page_num: int = 1
    redirect: str = ""


def resolve(site: Site, url_path: str) -> Resolved | None:
    """What `url_path` (a path that is no page's as typed) renders or is sent to, or None:
    not found."""
    parts = url_path.strip("/").split("/")
    if "" in parts or "//" in url_path:              # a blank part; "/" itself is home's path
        return None
    page, rest = site.pages.nearest_by_path(url_path.lower(), MAX_SEGMENTS + 1)
    if not page:
        return None
    rest = parts[len(parts) - len(rest):]            # the segments as typed
    misspelled = "/" + "".join(part + "/" for part in parts[:len(parts) - len(rest)]) != page.path
    template = page.template
    if not rest:
        return Resolved(page, redirect=page.url) if misspelled else None
    if len(rest) > MAX_SEGMENTS:
        return None
    if len(rest) == 1 and INDEX_FILE.fullmatch(rest[0]) and not template.allows_url_segments(rest[0]):
        return Resolved(page, redirect=page.url)     # an old /about/index.php link
    page_num, asked_num = 1, ""
    number = PAGE_NUM.fullmatch(rest[-1])
    if number:                                  # a page number, whether the template allows one
        asked_num, rest = rest[-1], rest[:-1]
        digits = number.group(1)
        page_num = max(1, int(digits)) if len(digits) < 7 else MAX_PAGE_NUM + 1
        if page_num > MAX_PAGE_NUM or page_num > 1 and not template.settings.get("page_numbers"):
            return None
    if rest and (any(len(part) > MAX_SEGMENT_LENGTH or not SEGMENT.fullmatch(part) for part in rest)
                 or not template.allows_url_segments("/".join(rest))):
        return None
    canonical = f"{PAGE_NUM_PREFIX}{page_num}" if page_num > 1 else ""
    redirect = ""
    if asked_num != canonical or misspelled:
        tail = "/".join([*rest, canonical] if canonical else rest)
        redirect = page.url + tail + ("/" if tail and url_path.endswith("/") else "")
    return Resolved(page, tuple(rest), page_num, redirect)
