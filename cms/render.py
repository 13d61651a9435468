"""Render a page with its template file: `templates/<template name>.html`, Jinja2, autoescaped.

Template files are looked up in `site.config.templates_dirs`: the site directory's `templates/`
first, then the copy the package carries, so a site overrides a file by dropping one of the
same name into its own folder. Rendering is hookable as `Page::render`, as in ProcessWire:

    site.add_hook_after("Page::render", lambda event: ...)   # event.object is the page,
                                                             # event.return_value the HTML

A before hook that sets `event.replace = True` supplies the whole output itself.
"""
from __future__ import annotations

import os
import posixpath
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any

import jinja2

from . import pagination
from .errors import CmsError

if TYPE_CHECKING:
    from .page import Page
    from .site import Site


class TemplateFileMissing(CmsError):
    """A page's template has no file in any template folder (the page cannot be viewed)."""


FILE_CHECK_SECONDS = 1.0
_files: dict[tuple[int, str], tuple[float, bool]] = {}    # (environment, file) -> (when, found)
_envs: weakref.WeakKeyDictionary[Any, jinja2.Environment] = weakref.WeakKeyDictionary()
_envs_lock = threading.Lock()


class SiteFirstLoader(jinja2.FileSystemLoader):
    """Jinja's FileSystemLoader, whose kept copy of a file also goes stale once a folder
    searched before the one it came from holds a file of that name: one dropped into the
    site's templates/ while a server runs replaces the package's copy at its next use, as
    ProcessWire reads site/templates/ at each request. (Jinja asks only whether the file it
    read has changed, so the packaged copy stayed until a restart.) One stat per earlier
    folder per use, beside Jinja's own of the file."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        source, filename, uptodate = super().get_source(environment, template)
        pieces = jinja2.loaders.split_template_path(template)
        earlier = []
        for folder in self.searchpath:
            path = posixpath.join(folder, *pieces)
            if os.path.normpath(path) == filename:
                break
            earlier.append(path)
        if not earlier:
            return source, filename, uptodate

        def still_first() -> bool:
            return uptodate() and not any(os.path.isfile(path) for path in earlier)
        return source, filename, still_first


def environment(site: Site) -> jinja2.Environment:
    """The site's Jinja2 environment (one per site, autoescape on for every file)."""
    env = _envs.get(site)
    if env is None:
        with _envs_lock:
            env = _envs.get(site)
            if env is None:
                env = jinja2.Environment(
                    loader=SiteFirstLoader(list(site.config.templates_dirs)),
                    autoescape=True,
                    undefined=jinja2.ChainableUndefined,
                    trim_blocks=True,
                    lstrip_blocks=True,
                    # an empty number or date prints nothing, as PHP's echo of null does in a
                    # ProcessWire template (Jinja would print "None")
                    finalize=lambda value: "" if value is None else value,
                )
                env.globals.update(task_status=task_status, not_found=not_found)
                _envs[site] = env
    return env


def template_file(page: Page) -> str:
    return f"{page.template.name}.html"


def has_template_file(site: Site, page: Page) -> bool:
    """True when the page's template has a file to render it with. The admin's tree asks it of
    every row (its View link), and a missing file costs a failed lookup in every template
    folder (15 µs): an answer is kept for `FILE_CHECK_SECONDS` per site and file name, so a
    file added or removed counts within a second."""
    env, name = environment(site), template_file(page)
    key, now = (id(env), name), time.monotonic()
    kept = _files.get(key)
    if kept is not None and now - kept[0] < FILE_CHECK_SECONDS:
        return kept[1]
    try:
        env.get_template(name)
        found = True
    except jinja2.TemplateNotFound:
        found = False
    if len(_files) >= 4096:
        _files.clear()
    _files[key] = (now, found)
    return found


def render_page(site: Site, page: Page, **extra: Any) -> str:
    """The page as HTML (hookable as `Page::render`). Raises TemplateFileMissing without a file."""
    hooks = site.hooks
    if "render" in hooks.hooked_methods:
        return hooks.call(page, "render", lambda p, **kw: _render(site, p, **kw), (), extra)
    return _render(site, page, **extra)


def _render(site: Site, page: Page, **extra: Any) -> str:
    name = template_file(page)
    try:
        template = environment(site).get_template(name)
    except jinja2.TemplateNotFound:
        raise TemplateFileMissing(
            f"template {page.template.name!r} has no file {name} in "
            f"{' or '.join(site.config.templates_dirs)}") from None
    context = {"page": page, "site": site, "pages": site.pages, "config": site.config,
               "user": getattr(site, "user", None), "input": Input(), **extra}
    request = context["input"]
    base_url = page.url + "".join(segment + "/" for segment in request.url_segments)
    with pagination.rendering(base_url, request.params(), request.page_num,
                              numbered=bool(page.template.settings.get("page_numbers"))):
        return template.render(context)


class PageNotFound(CmsError):
    """Raised by a template file (`not_found()`) for a URL it does not serve, as ProcessWire's
    `throw new Wire404Exception()`: the visitor gets the 404 page."""


def not_found(message: str = "") -> None:
    """A template's way to answer 404: `{% if input.url_segment(2) %}{{ not_found() }}{% endif %}`."""
    raise PageNotFound(message or "not found")


class Input:
    """The request as templates see it, as ProcessWire's `$input`: the query's parameters
    (`input.get("q")`), the URL segments after the page's path (`input.url_segment(1)`,
    `input.url_segment1`, `input.url_segments`, `input.url_segment_str`) and the page number
    (`input.page_num`). Empty outside a web request."""

    def __init__(self, params: dict[str, str] | None = None, url_segments: tuple[str, ...] = (),
                 page_num: int | None = None):
        self._params = dict(params or {})
        self.url_segments = list(url_segments)
        self._page_num = page_num

    def get(self, name: str, default: str = "") -> str:
        return self._params.get(name, default)

    def params(self) -> dict[str, str]:
        """Every parameter of the query, in its order."""
        return dict(self._params)

    @property
    def page_num(self) -> int:
        """The page of a paginated find (cms.pagination): the URL's `page2` on a template with
        `page_numbers`, else `?page=N` as a whole number from 1 (anything else reads as 1)."""
        if self._page_num is not None:
            return self._page_num
        text = self._params.get("page", "")
        return int(text) if text.isdecimal() and 0 < len(text) < 7 and int(text) > 0 else 1

    def url_segment(self, number: int = 1) -> str:
        """The URL segment at `number` (1 the first, -1 the last), or "" when there is none."""
        index = number - 1 if number > 0 else number
        if number == 0 or not -len(self.url_segments) <= index < len(self.url_segments):
            return ""
        return self.url_segments[index]

    @property
    def url_segment_str(self) -> str:
        """The segments as written: "tag/news"."""
        return "/".join(self.url_segments)

    @property
    def url_segment1(self) -> str:
        return self.url_segment(1)

    @property
    def url_segment2(self) -> str:
        return self.url_segment(2)

    @property
    def url_segment3(self) -> str:
        return self.url_segment(3)


def task_status(page: Page) -> dict[str, Any]:
    """What a visitor may see of a task: its title, state (a word) and progress, nothing else."""
    from .web.task_view import public_status
    return public_status(page)
