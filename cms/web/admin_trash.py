"""The trash: what was trashed, each with Restore, and "Empty trash" (for good, confirmed).

`/admin/trash/` lists the pages directly in the trash (their children go with them), newest
first, 50 a page. Restore posts to the page's own `/admin/page/<id>/restore`; POST
`/admin/trash/empty` deletes everything in the trash (superusers only, as in ProcessWire;
the form asks for confirmation, and without the `confirm` field nothing is deleted), for at
most EMPTY_SECONDS a request: a trash that takes longer is emptied by pressing again.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ..errors import CmsError
from ..page import TRASH_ID
from .admin_pages import may_restore
from .app import SUPERUSER

if TYPE_CHECKING:
    from .app import Context, Web

PAGE_SIZE = 50
EMPTY_SECONDS = 30          # a request's share of a huge trash, as ProcessPageTrash's time limit


def register(web: Web) -> None:
    app = web.app

    @app.get("/admin/trash/")
    def trash(ctx: Context) -> str:
        start = ctx.int_param("start", 0, 0, 10 ** 9)
        # include=all admits every status; the user still sees only what they may view
        found = ctx.site.pages.find(f"parent={TRASH_ID}, include=all, sort=-modified, "
                                    f"start={start}, limit={PAGE_SIZE}", enforce_access=True)
        restorable = {page.id for page in found if may_restore(page)}
        # Delete asks page-delete, Restore page-edit: an editor may restore what they may not delete
        deletable = {page.id for page in found if ctx.site.users.may(None, "page-delete", page)}
        return ctx.render("trash.html", found=found, start=start, page_size=PAGE_SIZE,
                          restorable=restorable, deletable=deletable,
                          counts=ctx.site.pages.num_children_of(found.ids()),
                          may_empty=ctx.can(SUPERUSER))

    @app.post("/admin/trash/<page_id:int>/delete")
    def delete_one(ctx: Context, page_id: int) -> None:
        """One trashed page (and what is below it) deleted for good: Pages.delete checks the
        user's page-delete; only a page right in the trash is taken here."""
        ctx.check_csrf()
        page = ctx.site.pages.get(page_id)
        if not page or page.parent_id != TRASH_ID:
            ctx.notice("error", f"page {page_id} is not in the trash: nothing was deleted")
        else:
            title = page.get("title") or page.name
            if ctx.site.users.may(None, "page-delete", page):
                ctx.confirm(f"Delete {title} and everything below it for good? This cannot be "
                            "undone.", "Delete for good", "/admin/trash/")
            try:
                count = ctx.site.pages.delete(page, recursive=True)
            except CmsError as exc:
                ctx.notice("error", f"Nothing was deleted: {exc}")
            else:
                ctx.notice("message", f"Deleted {title} for good ({count} page(s))")
        ctx.redirect("/admin/trash/")

    @app.post("/admin/trash/empty", permission=SUPERUSER)
    def empty(ctx: Context) -> None:
        ctx.check_csrf()
        if ctx.form("confirm") != "1":
            ctx.notice("error", "Nothing was deleted: tick the box to confirm that the trash "
                                "is to be emptied for good.")
        else:
            started = time.monotonic()
            try:
                count = ctx.site.pages.empty_trash(time_limit=EMPTY_SECONDS)
            except CmsError as exc:      # each trashed page goes in its own transaction
                ctx.notice("error", f"The trash was not emptied: {exc} (pages deleted before "
                                    "this one are gone for good)")
            else:
                ctx.notice("message", emptied_message(ctx, count, time.monotonic() - started))
        ctx.redirect("/admin/trash/")


def emptied_message(ctx: Context, count: int, seconds: float) -> str:
    """What Empty trash did, and why pages are left if some are: the time was up (pressing
    again goes on), or they hold a locked page (ProcessWire's emptyTrash leaves those too)."""
    left = ctx.site.pages.count(f"parent={TRASH_ID}, include=all")
    if not left:
        return f"Emptied the trash: {count} page(s) deleted for good"
    if seconds >= EMPTY_SECONDS:
        return (f"{count} page(s) deleted for good in {EMPTY_SECONDS} s; {left} page(s) are still "
                "in the trash, with what is below them: press Empty trash again to go on")
    return (f"{count} page(s) deleted for good; {left} page(s) stay in the trash: they, or pages "
            "below them, are locked (unlock them to delete them)")
