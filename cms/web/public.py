"""The public site: `/path/` renders the page at that path with its template file.

As in ProcessWire: a path without its trailing slash is redirected to the page's URL; hidden
pages are viewable by URL (they are only left out of lists); unpublished and trashed pages,
and the admin branch, are viewable only by users who may edit pages; a page whose template has
no file cannot be viewed. Everything else that is not found gets the 404 page (id 27) rendered
with its template, and status 404.

A task page (template `tasker-task`) with `?format=json` answers `{"title", "state",
"progress"}` and nothing else, for the page's own script to update its progress bar.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import bottle

from ..render import Input, TemplateFileMissing, has_template_file, render_page
from ..tasker.install import TEMPLATE as TASK_TEMPLATE
from .answers import json_response
from .task_view import public_status

if TYPE_CHECKING:
    from .app import Context, Web

NOT_FOUND_ID = 27
MAX_PATH = 2048


def register(web: Web) -> None:
    app = web.app

    @app.get("/", permission=None)
    @app.get("/<path:path>", permission=None)
    def view(ctx: Context, path: str = "") -> Any:
        url_path = "/" + path
        if len(url_path) > MAX_PATH or "\x00" in url_path:
            return not_found(ctx)
        page = ctx.site.pages.get_by_path(url_path)
        if not page or not ctx.can("page-view", page) or not has_template_file(ctx.site, page):
            return not_found(ctx)
        if not url_path.endswith("/"):
            query = bottle.request.query_string
            raise bottle.HTTPResponse(status=301, headers={
                "Location": page.url + ("?" + query if query else "")})
        if page.template.name == TASK_TEMPLATE and ctx.query("format") == "json":
            return json_response(public_status(page))
        return render(ctx, page)


def render(ctx: Context, page: Any, status: int = 200) -> str:
    bottle.response.status = status
    bottle.response.set_header("Content-Type", "text/html; charset=utf-8")
    if page.template.name == TASK_TEMPLATE or page.is_unpublished() or page.is_trash():
        bottle.response.set_header("Cache-Control", "no-store")
    query = ctx.request.query
    params = {name: query.getunicode(name) or "" for name in list(query.keys())[:50]}
    return render_page(ctx.site, page, input=Input(params))


def not_found(ctx: Context) -> str:
    """The 404 page (id 27) rendered with its template, or a plain line if it cannot be."""
    page = ctx.site.pages.get(NOT_FOUND_ID)
    if page:
        try:
            return render(ctx, page, 404)
        except TemplateFileMissing:
            pass
    bottle.response.status = 404
    bottle.response.set_header("Content-Type", "text/plain; charset=utf-8")
    return "404 Not Found\n"
