"""The public site: `/path/` renders the page at that path with its template file.

As in ProcessWire: a path without its trailing slash is redirected to the page's URL; hidden
pages are viewable by URL (they are only left out of lists); unpublished and trashed pages,
and the admin branch, are viewable only by users who may edit pages; a page whose template has
no file cannot be viewed. Everything else that is not found gets the 404 page (id 27) rendered
with its template, and status 404. A URL below a page's own renders that page where its
template allows URL segments or page numbers (cms.web.paths); a template file calls
`not_found()` to answer 404 for a URL it does not serve.

A task page (template `tasker-task`) with `?format=json` answers `{"title", "state",
"progress"}` and nothing else, for the page's own script to update its progress bar.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import bottle

from ..page import NOT_FOUND_ID
from ..render import Input, PageNotFound, TemplateFileMissing, has_template_file, render_page
from ..tasker.install import TEMPLATE as TASK_TEMPLATE
from .answers import json_response
from .paths import Resolved, resolve
from .task_view import public_status

if TYPE_CHECKING:
    from .app import Context, Web

MAX_PATH = 2048


def register(web: Web) -> None:
    app = web.app

    @app.get("/", permission=None)
    @app.get("/<path:path>", permission=None)
    def view(ctx: Context, path: str = "") -> Any:
        url_path = "/" + path
        if len(url_path) > MAX_PATH or "\x00" in url_path:
            return not_found(ctx)
        exact = ctx.site.pages.get_by_path(url_path)
        found = Resolved(exact) if exact else resolve(ctx.site, url_path)
        if found is None:
            return not_found(ctx)
        page = found.page
        if (page.id == NOT_FOUND_ID or not ctx.can("page-view", page)
                or not has_template_file(ctx.site, page)):
            return not_found(ctx)                   # the 404 page answers 404 at its own URL too
        # a page's own URL ends in a slash; after segments or a page number either will do
        redirect = found.redirect or (page.url if exact and not url_path.endswith("/") else "")
        if redirect:
            query = bottle.request.query_string
            raise bottle.HTTPResponse(status=301, headers={
                "Location": redirect + ("?" + query if query else "")})
        if page.template.name == TASK_TEMPLATE and ctx.query("format") == "json" and not found.segments:
            return json_response(public_status(page))
        try:
            return render(ctx, page, found=found)
        except PageNotFound:
            return not_found(ctx)


def render(ctx: Context, page: Any, status: int = 200, found: Resolved | None = None) -> str:
    bottle.response.status = status
    bottle.response.set_header("Content-Type", "text/html; charset=utf-8")
    bottle.response.set_header("X-Content-Type-Options", "nosniff")
    bottle.response.set_header("Referrer-Policy", "strict-origin-when-cross-origin")
    if page.template.name == TASK_TEMPLATE or page.is_unpublished() or page.is_trash():
        bottle.response.set_header("Cache-Control", "no-store")
    elif ctx.user_id:
        # a page rendered for a logged-in user may hold what a visitor must not get from a
        # shared cache (the layout's "Edit this page" link, a member's view)
        bottle.response.set_header("Cache-Control", "private, no-cache")
    query = ctx.request.query
    params = {name: query.getunicode(name) or "" for name in list(query.keys())[:50]}
    numbered = found is not None and page.template.settings.get("page_numbers")
    return render_page(ctx.site, page, input=Input(params, found.segments if found else (),
                                                   found.page_num if numbered else None))


def not_found(ctx: Context) -> str:
    """The 404 page (id 27) rendered with its template, or a plain line if it cannot be."""
    page = ctx.site.pages.get(NOT_FOUND_ID)
    if page:
        try:
            return render(ctx, page, 404)
        except (TemplateFileMissing, PageNotFound):
            pass
    bottle.response.status = 404
    bottle.response.set_header("Content-Type", "text/plain; charset=utf-8")
    return "404 Not Found\n"
