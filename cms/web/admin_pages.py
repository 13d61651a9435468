"""The page tree and the page editor under `/admin/`.

- `/admin/` shows the tree as ProcessWire's page list: home's children first; a node's children
  load on demand (`/admin/page/<id>/children?start=N`, an HTML fragment), 50 at a time with a
  "more" button, so a parent with 100,000 children opens as fast as one with ten. Each node
  shows its number of children and marks hidden, unpublished, locked and trashed pages.
- `/admin/page/<id>/edit` edits a page: each field by its type with its description,
  validation errors beside the field (a required field left empty too: the title always is),
  nothing stored while any value is invalid. "Save" stays on the form, "Save + Exit"
  (`editor-after=exit`) goes back to the tree; a name changed on save (sanitized, or `-1` added
  because a sibling has it) is said in a notice. Locked pages (task pages, users, the
  admin's own pages) are refused: tasks are steered from the task monitor.
- A long list of children offers a filter by name or title (`q`) and a jump to any of its
  pages (`start`), so the end of 20,000 children is one step away.
- Children are reordered by POST `/admin/page/<parent>/sort` (`order`: the ids of the loaded
  children in their new order; the tree's drag and drop) or `/admin/page/<id>/shift`
  (`direction` up or down; the keyboard's and a script-less browser's way).
- `/admin/page/add?parent=ID`, `/admin/page/<id>/move` (the new parent picked from the tree,
  or typed), and POST `/admin/page/<id>/trash` and `/restore`. Every change is a POST with
  the CSRF token.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, NamedTuple

import bottle

from ..errors import CmsError, PageError, PermissionDenied, ValidationError
from ..fieldtypes import split_page_list
from ..page import HOME_ID, TRASH_ID, Page, id_of_digits
from ..selectors.plan import name_value
from ..tasker.install import TEMPLATE as TASK_TEMPLATE
from .answers import HttpError, json_response
from .app import MAX_FORM_FIELDS, SUPERUSER
from .form_merge import CHANGED_ELSEWHERE, digest, kept_notice, merge, not_found, refused_status, was_shown
from .forms import names_list, page_ids_text, selector_quoted, without_field_name

if TYPE_CHECKING:
    from .app import Context, Web

PAGE_SIZE = 50
# Templates whose pages are made by their own API (users, roles, tasks ...), not "add child".
INTERNAL_TEMPLATES = {"admin", "user", "role", "permission", TASK_TEMPLATE}
# The page editor's own inputs (Save + Exit, the status boxes, the checkboxes shown) are named
# with this prefix: a hyphen, which no field name holds (fields.FIELD_NAME), so a field named
# `after` or `hidden` is never read as one of them, as ProcessWire's editor names its own
# `_pw_page_name`, `status[]` and `submit_save`. Each field's input is named as the field.
EDITOR = "editor-"
INPUT_KINDS = {"PageTitle": "text", "Text": "text", "Email": "email", "URL": "url",
               "Textarea": "textarea", "Integer": "number", "Float": "number",
               "Checkbox": "checkbox", "Datetime": "datetime", "Page": "pages"}


class Node(NamedTuple):
    """One row of the page tree."""
    page: Page
    title: str
    num_children: int
    flags: list[str]
    viewable: bool
    addable: bool
    movable: bool
    trashable: bool
    editable: bool = False
    restorable: bool = False
    sortable: bool = False
    unlockable: bool = False


class Input(NamedTuple):
    """One field of the editor: what to show and the error beside it."""
    name: str
    label: str
    kind: str
    value: Any
    settings: dict
    error: str
    description: str = ""
    required: bool = False
    held: tuple[list[Page], int] = ([], 0)     # a Page field's: the pages named, how many more


def get_page(ctx: Context, page_id: int) -> Page:
    page = ctx.site.pages.get(page_id)
    if not page:
        raise not_found(ctx, f"page {page_id}")
    return page


def is_locked(page: Page) -> bool:
    """Pages the generic editor refuses: locked templates (tasks, users ...) and locked pages."""
    return (page.template.name == TASK_TEMPLATE or bool(page.template.settings.get("locked"))
            or page.has_status(Page.STATUS_LOCKED))


def named(page: Page) -> str:
    """A page as a message names it: its path for a user who may view it, else its id (as
    `AccessRules.denied` names it), so a refusal tells nobody the path or title of a page
    they may not see; asking to move page 2, 3 ... read every login name otherwise."""
    return page.path if page.viewable() else f"page {page.id}"


def below_or_itself(target: Page, page: Page) -> bool:
    """Whether `target` is `page` or one of its descendants (no parent for `page`)."""
    return target.id == page.id or target.path.startswith(page.path)


def takes_moved(target: Page, page: Page) -> bool:
    """Whether the move picker offers `target` as `page`'s new parent (a typed path or id is
    held to the same rule: no admin, user or task branch, only where the user may add)."""
    return (not below_or_itself(target, page) and target.template.name not in INTERNAL_TEMPLATES
            and target.addable() and target.template.allows_child(page.template))


def node(page: Page, num_children: int | None = None, sortable: bool = False,
         movable: bool | None = None) -> Node:
    """A tree row; what it offers follows what the acting user (the request's) may do.
    `num_children`, `movable`: the page's, when worked out with its siblings'; `sortable`: the
    user may sort its parent's children (page-sort there), worked out once for the siblings."""
    flags = [name for name, bit in (("hidden", Page.STATUS_HIDDEN),
                                    ("unpublished", Page.STATUS_UNPUBLISHED),
                                    ("locked", Page.STATUS_LOCKED), ("trash", Page.STATUS_TRASH))
             if page.status & bit]
    if page.template.name == TASK_TEMPLATE:
        flags.append("task")
    count = page.num_children if num_children is None else num_children
    return Node(page, page.get("title") or page.name, count, flags,
                viewable=(not page.is_trash() and page.template.name != "admin"
                          and page.viewable(template_file=True)),       # View: a page that renders
                addable=page.template.name not in INTERNAL_TEMPLATES and page.addable(),
                movable=page.moveable() if movable is None else movable, trashable=page.trashable(),
                editable=not is_locked(page) and page.editable(),
                restorable=may_restore(page), sortable=sortable and may_shift(page),
                unlockable=unlockable(page))


def may_shift(page: Page) -> bool:
    """Whether the row offers ↑ ↓ (its parent's page-sort asked already): the user may edit
    the page, and a locked one only with page-lock, as Pages.shift asks (ProcessWire's
    sortable() asks editable()); the admin's own pages, which no editor opens, count too."""
    may = page.site.users.may
    return (not page.is_trash() and may(None, "page-edit", page)
            and (not page.has_status(Page.STATUS_LOCKED) or may(None, "page-lock", page)))


def may_restore(page: Page) -> bool:
    """Whether the row offers Restore: a page right in the trash, not locked, that the user
    may edit and that its old parent takes from them, as Pages.restore asks (ProcessWire's
    restorable()); where that parent is gone or trashed, Restore says so itself."""
    if (page.parent_id != TRASH_ID or page.id == TRASH_ID or page.is_locked()
            or not page.site.users.may(None, "page-edit", page)):
        return False
    parent = page.site.pages.restore_parent(page)
    return (not parent or parent.is_trash()
            or parent.addable() and parent.template.allows_child(page.template))


def children_of(parent: Page, start: int, q: str = "") -> tuple[list[Node], int]:
    """One page of a parent's children, those whose name or title contains `q` when given
    (bound quoted, as typed: "O'Brien", "50%"). A name is matched as the selector reads a
    name value (`name_value`), which a text like `"` or "Москва" leaves empty (what is outside
    ASCII is dropped, not spelled out as `sanitizer.page_name` does), and `name%=` of nothing
    matches every page: such a text is looked for in the titles alone, as the users' search
    does in the emails.

    As ProcessWire's page list (`Page::listable`), a user sees only the pages they may view:
    the template access narrows the query (so pages and totals agree), and the status rules
    (an unpublished page, the trash and the admin branch only for who may edit them) drop rows
    of the page shown. A row's count of children is of those the user would see there."""
    pages = parent.site.pages
    fields = "name|title" if name_value(q) else "title"
    match = f", {fields}%={selector_quoted(q)}" if q else ""
    found = pages.find(f"{tree_include(parent.site)}, limit={PAGE_SIZE}, start={start}{match}",
                       base=f"parent_id={parent.id}", enforce_access=True)
    counts = visible_children_of(parent.site, found.ids())
    sortable = parent.site.users.may(None, "page-sort", parent)
    rows = [child for child in found if listable(child)]
    movable = pages.moveable_ids(rows)
    return [node(child, counts[child.id], sortable, child.id in movable) for child in rows], found.total


def page_number(page: Page) -> int:
    """Which page of its parent's children, as the tree lists them (PAGE_SIZE a page, in the
    parent's order), holds `page`: 1 for the first, and for home. In the order of `sort` (no
    sortfield) the siblings before it are counted (ties by id, as the tree orders them): a
    tenth of the time of `index()`, which reads every sibling's id in order."""
    if page.id == HOME_ID:
        return 1
    include = tree_include(page.site)
    if page.parent.template.settings.get("sortfield"):
        before = page.index(include)
    else:
        before = page.site.pages.count(f"parent_id={page.parent_id}, {include}, "
                                       f"(sort<{page.sort}), (page.sort={page.sort}, id<{page.id})")
    return before // PAGE_SIZE + 1


def visible_children_of(site: Any, ids: list[int]) -> dict[int, int]:
    """How many children of each page the acting user would see in the tree (the statuses
    `tree_include` lists, narrowed to what the user may view): one grouped count."""
    if not ids or site.acting_grants() is None:
        return site.pages.num_children_of(ids)
    counted = site.selectors.count_by_parent(tree_include(site), enforce_access=True,
                                             base="parent_id=" + "|".join(map(str, ids)))
    return {page_id: counted.get(page_id, 0) for page_id in ids}


def tree_include(site: Any) -> str:
    """The statuses the tree lists and counts for the acting user. As ProcessWire's page list
    (`PageTraversal::numChildren($page, 1)`), a user holding page-edit sees every status (an
    unpublished page they may edit is listed); one who does not sees no unpublished page, so
    their counts and totals leave those out too."""
    return "include=all" if site.users.may(None, "page-edit") else "include=hidden"


def home_node(ctx: Context) -> Node:
    """The tree's top row, its count of children as every other row's: those the user would
    see (not the admin branch, the trash or pages they may not view)."""
    home = ctx.site.pages.get(HOME_ID)
    return node(home, visible_children_of(ctx.site, [HOME_ID])[HOME_ID])


def listable(page: Page) -> bool:
    """May the acting user see this page in the tree and list its children?"""
    return page.site.acting_grants() is None or page.viewable()


def register(web: Web) -> None:
    app = web.app
    web.views.globals["takes_moved"] = takes_moved       # the tree's move picker

    @app.get("/admin/")
    def tree(ctx: Context) -> str:
        home = ctx.site.pages.get(HOME_ID)
        # only a page the user may list is opened: the parents of any id told where a page
        # they may not view sits, as the move picker's `pick=` did
        opened = ctx.site.pages.get(ctx.int_param("open")) if ctx.int_param("open") else None
        chain = ([p for p in opened.parents if p.id != HOME_ID] + [opened]
                 if opened and listable(opened) else [])
        # each branch opens on the page of its children that holds the next page down (the
        # script's part below home): a page past the first PAGE_SIZE children is in view
        numbers = [page_number(p) for p in chain]
        start = (numbers[0] - 1) * PAGE_SIZE if numbers else 0
        nodes, total = children_of(home, start)
        return ctx.render("tree.html", home=home_node(ctx), nodes=nodes, total=total,
                          start=start, parent=home, page_size=PAGE_SIZE,
                          open_ids=[p.id for p in chain], open_pages=numbers[1:] + [1],
                          pick=None, q="", tools=True)

    @app.get("/admin")
    def tree_slash(ctx: Context) -> None:
        ctx.redirect("/admin/")

    @app.get("/admin/page/<page_id:int>/children")
    def children(ctx: Context, page_id: int) -> str:
        parent = get_page(ctx, page_id)
        if not listable(parent):
            raise HttpError(f"you may not list the children of page {page_id}", 403)
        start = ctx.int_param("start", 0, 0, 10 ** 9)
        if ctx.query("page"):                      # the jump box counts pages from 1
            start = (ctx.int_param("page", 1, 1, 10 ** 7) - 1) * PAGE_SIZE
        q = ctx.site.sanitizer.text(ctx.query("q"), 100, strip_tags=False)    # looked for as typed
        nodes, total = children_of(parent, start, q)
        if start >= total > 0:                     # a jump past the end shows the last page
            start = (total - 1) // PAGE_SIZE * PAGE_SIZE
            nodes, total = children_of(parent, start, q)
        # the page being moved, which the rows place (its parent's row, Move here outside
        # it): one the user may move, else any page id told where it sits
        pick = ctx.site.pages.get(ctx.int_param("pick")) if ctx.int_param("pick") else None
        values = {"nodes": nodes, "total": total, "start": start, "parent": parent,
                  "page_size": PAGE_SIZE, "pick": pick if pick and pick.moveable() else None,
                  "q": q,
                  "tools": start == 0 or bool(ctx.query("page"))}
        if ctx.request.headers.get("X-Requested-With") == "fetch":     # the tree's script
            return ctx.render("tree_children.html", notices=[], **values)
        return ctx.render("children_page.html", **values)              # a link, without it

    # -- edit ---------------------------------------------------------------------------------
    @app.get("/admin/page/<page_id:int>/edit")
    def edit_form(ctx: Context, page_id: int) -> str:
        page = get_page(ctx, page_id)
        ctx.require("page-edit", page)
        if is_locked(page):
            return locked(ctx, page)
        return ctx.render("page_edit.html", page=page, inputs=inputs_for(page, {}, None),
                          name=page.name, status=status_flags(page), errors={}, error="",
                          people=people(ctx, page), n=node(page), was=shown_digests(page))

    @app.post("/admin/page/<page_id:int>/unlock")
    def unlock(ctx: Context, page_id: int) -> None:
        ctx.check_csrf()
        page = get_page(ctx, page_id)
        ctx.require("page-lock", page)
        if not unlockable(page):            # what the editor offers no Unlock for
            raise PermissionDenied(f"{page.path} has no lock that can be taken off here")
        page.remove_status(Page.STATUS_LOCKED)
        page.save()
        ctx.notice("message", f"Unlocked {page.get('title') or page.name}: it can be edited again")
        ctx.redirect(f"/admin/page/{page.id}/edit")

    @app.post("/admin/page/<page_id:int>/edit")
    def edit(ctx: Context, page_id: int) -> str:
        try:
            ctx.check_csrf()
            expired = False
        except HttpError:
            expired = True
        page = get_page(ctx, page_id)
        ctx.require("page-edit", page)
        if is_locked(page):
            return locked(ctx, page)
        # An expired form of this site's own is shown again with what was typed, not lost.
        # One posted from elsewhere is not: shown with a fresh token, its values would be one
        # click on Save from being stored as the user's own (ProcessWire drops such a form).
        keep_typed = not expired or ctx.from_this_site()
        shown = node(page)          # the page as stored: heading and actions, whatever was typed
        applied = (apply_form(ctx, page) if keep_typed else
                   Applied({}, page.name, status_flags(page), {}, [], shown_digests(page)))
        errors = applied.errors
        wanted_name = page.name
        error = ""
        if expired:
            bottle.response.status = 403
            error = ("This form had expired (the session changed since it was opened, for "
                     "instance by a login in another tab), so nothing was saved. What you "
                     "typed is below: save again to keep it." if keep_typed else
                     "This form did not come from this site, so nothing was saved and what it "
                     "sent is not shown: the page is as stored.")
        elif not errors:
            try:
                page.save()
            except ValidationError as exc:
                errors[exc.field or "_"] = str(exc)
            except PermissionDenied:
                raise
            except CmsError as exc:
                error = str(exc)
            else:
                ctx.notice("message", f"Saved {page.path}")
                if applied.kept:
                    ctx.notice("warning", kept_notice(applied.kept))
                typed = applied.name.strip()
                if page.id != HOME_ID and page.name != typed:
                    ctx.notice("warning", name_change_note(typed, wanted_name, page.name))
                ctx.redirect(f"/admin/?open={page.id}" if ctx.form(EDITOR + "after") == "exit"
                             else f"/admin/page/{page.id}/edit")
        if not expired:
            bottle.response.status = refused_status(errors)
        return ctx.render("page_edit.html", page=page, inputs=inputs_for(page, applied.values, errors),
                          name=applied.name, status=applied.status, errors=errors,
                          error=error or errors.get("_", ""), people=people(ctx, page), n=shown,
                          was=applied.digests, unsaved=keep_typed)

    # -- add ----------------------------------------------------------------------------------
    def parent_of_new_page(ctx: Context) -> Page:
        """The page `parent=` names (home when not given); a value that is no id is refused,
        where a fallback to home added the page somewhere the person did not ask for."""
        text = ctx.param("parent").strip()
        if not text:
            return get_page(ctx, HOME_ID)
        if not text.isdecimal() or not text.isascii() or len(text) > 18:
            raise HttpError(f"parent must be a page id, not {text[:40]!r}")
        return get_page(ctx, int(text))

    @app.get("/admin/page/add")
    def add_form(ctx: Context) -> str:
        parent = parent_of_new_page(ctx)
        if not parent.addable():
            raise PermissionDenied(f"you may not add pages under {named(parent)}")
        return ctx.render("page_add.html", parent=parent, templates=addable_templates(ctx, parent),
                          values={}, error="")

    @app.post("/admin/page/add")
    def add(ctx: Context) -> str:
        ctx.check_csrf()
        parent = parent_of_new_page(ctx)
        if not parent.addable():
            raise PermissionDenied(f"you may not add pages under {named(parent)}")
        values = {"template": ctx.form("template"), "title": ctx.form("title").strip(),
                  "name": ctx.form("name").strip()}
        templates = addable_templates(ctx, parent)
        error = ""
        titled = values["template"] in ctx.site.templates and \
            ctx.site.templates[values["template"]].has_field("title")
        if values["template"] not in {t.name for t in templates}:
            error = f"choose a template for the new page ({', '.join(t.name for t in templates)})"
        elif titled and not values["title"]:
            error = "a new page needs a title"
        elif not titled and not values["name"]:
            error = f"pages of template {values['template']!r} have no title: give the new page a name"
        else:
            try:
                page = ctx.site.pages.add(values["template"], parent, values["name"] or None,
                                          **({"title": values["title"]} if titled else {}))
            except PermissionDenied:
                raise
            except CmsError as exc:
                error = str(exc)
            else:
                ctx.notice("message", f"Added {page.path}")
                typed = values["name"] or values["title"]
                sanitizer = ctx.site.sanitizer
                wanted = (sanitizer.page_name(typed) if values["name"]
                          else sanitizer.page_name_from_title(typed))
                if page.name != wanted or (values["name"] and wanted != values["name"]):
                    ctx.notice("warning", name_change_note(typed, wanted, page.name))
                ctx.redirect(f"/admin/page/{page.id}/edit")
        bottle.response.status = 400
        return ctx.render("page_add.html", parent=parent, templates=templates, values=values,
                          error=error)

    # -- order --------------------------------------------------------------------------------
    @app.post("/admin/page/<page_id:int>/sort")
    def sort(ctx: Context, page_id: int) -> Any:
        ctx.check_csrf()
        parent = get_page(ctx, page_id)
        # (id_of_digits: int() reads at most 4,300 digits; more name no page)
        ids = [id_of_digits(i) for i in ctx.form("order").split(",") if i.strip().isdecimal()]
        try:
            ctx.site.pages.reorder(parent, ids)
        except CmsError as exc:
            if wants_json(ctx):
                return json_response({"status": False, "message": str(exc)}, 400)
            ctx.notice("error", str(exc))
        if wants_json(ctx):
            return json_response({"status": True, "order": ids})
        ctx.redirect(f"/admin/?open={parent.id}")

    @app.post("/admin/page/<page_id:int>/shift")
    def shift(ctx: Context, page_id: int) -> None:
        ctx.check_csrf()
        page = get_page(ctx, page_id)
        up = ctx.form("direction") == "up"
        if not ctx.site.pages.shift(page, up=up):
            ctx.notice("message", f"{page.get('title') or page.name} is already the "
                                  f"{'first' if up else 'last'} of its siblings")
        ctx.redirect(f"/admin/?open={page.id}")

    # -- move, trash, restore -----------------------------------------------------------------
    @app.get("/admin/page/<page_id:int>/move")
    def move_form(ctx: Context, page_id: int) -> str:
        page = get_page(ctx, page_id)
        if not page.moveable():
            raise PermissionDenied(f"you may not move {named(page)}")
        return render_move(ctx, page, page.parent.path, "")

    @app.post("/admin/page/<page_id:int>/move")
    def move(ctx: Context, page_id: int) -> str:
        ctx.check_csrf()
        page = get_page(ctx, page_id)
        if not page.moveable():     # as the form: a locked page's save would still move it
            raise PermissionDenied(f"you may not move {named(page)}")
        target_text = ctx.form("parent").strip()
        target = ctx.site.pages.get_typed(target_text)
        error = ""
        if not target or not target.viewable():     # the same words: no page's existence told
            error = f"there is no page {target_text!r} to move to (give its path or id)"
        elif target.is_trash() or target.id == TRASH_ID:
            error = "pages go to the trash with Trash, not with Move"
        elif target.id == page.parent_id:
            error = f"{page.path} is under {target.path} already: pick another parent"
        elif below_or_itself(target, page):
            error = (f"cannot move {page.path} under itself or one of its descendants "
                     f"({target.path})")
        elif not takes_moved(target, page):
            error = (f"{target.path} does not take a {page.template.name} page here: pick a "
                     "page that offers “Move here”")
        else:
            try:
                page.parent = target
                page.save()
            except PermissionDenied:
                raise
            except CmsError as exc:
                error = str(exc)
            else:
                ctx.notice("message", f"Moved to {page.path}")
                ctx.redirect(f"/admin/?open={page.id}")
        bottle.response.status = 400
        return render_move(ctx, get_page(ctx, page_id), target_text, error)

    @app.post("/admin/page/<page_id:int>/trash")
    def trash(ctx: Context, page_id: int) -> None:
        ctx.check_csrf()
        page = get_page(ctx, page_id)
        # back to where the page was, for a user who may view it (else the redirect told its
        # parent)
        back = f"/admin/?open={page.parent_id}" if listable(page) else "/admin/"
        if page.template.name == TASK_TEMPLATE:
            ctx.notice("error", "Tasks are trashed from the task monitor.")
        elif page.is_trash():         # trash() leaves it be: nothing moved, its title not told
            ctx.notice("error", f"{named(page)} is in the trash already")
        else:
            if page.trashable():
                below = " and the pages below it" if page.num_children else ""
                ctx.confirm(f"Move {page.get('title') or page.name} ({page.path}){below} to the "
                            "trash?", "Move to the trash", back)
            try:
                page.trash()
                ctx.notice("message", f"Moved {page.get('title') or page.name} to the trash")
            except CmsError as exc:
                ctx.notice("error", str(exc))
        ctx.redirect(back)

    @app.post("/admin/page/<page_id:int>/restore")
    def restore(ctx: Context, page_id: int) -> None:
        ctx.check_csrf()
        page = get_page(ctx, page_id)
        try:
            page.restore()
            ctx.notice("message", f"Restored {page.path}")
        except CmsError as exc:
            ctx.notice("error", str(exc))
        ctx.redirect("/admin/trash/" if ctx.form("back") == "trash" else f"/admin/?open={page.id}")

    # Every other admin URL: not found (after the login check, like the rest of the admin),
    # or, where the URL answers the other method only (a link followed to a POST-only action),
    # 405 with Allow, as bottle answers outside this catch-all; a screen's URL without its
    # slash (/admin/trash) is sent on to the screen, as ProcessWire redirects a page's URL.
    @app.route(NOT_FOUND_RULE, ["GET", "POST"])
    def admin_not_found(ctx: Context, rest: str) -> str:
        slashed = slashed_url(app.router, ctx.request.environ)
        if slashed:
            ctx.redirect(slashed)
        allowed = other_methods(app.router, ctx.request.environ)
        if allowed:
            bottle.response.status = 405
            bottle.response.set_header("Allow", ", ".join(allowed))
            return ctx.render("error.html", status=405,
                              message=f"this admin URL takes {' or '.join(allowed)} only")
        bottle.response.status = 404
        return ctx.render("error.html", status=404, message="there is no such admin page")


NOT_FOUND_RULE = "/admin/<rest:path>"


def other_methods(router: bottle.Router, environ: dict) -> list[str]:
    """The methods, other than the request's, that a route of the admin's own (not its
    catch-all) answers for this URL."""
    asked = environ.get("REQUEST_METHOD", "GET").upper()
    found = []
    for method in ("GET", "POST"):
        if method == asked:
            continue
        try:
            route, _ = router.match({**environ, "REQUEST_METHOD": method})
        except bottle.HTTPError:
            continue
        if route.rule != NOT_FOUND_RULE:
            found.append(method)
    return found


def slashed_url(router: bottle.Router, environ: dict) -> str:
    """The URL of a GET with a slash after its path, when that is a route of the admin's own
    (not its catch-all); "" otherwise. A POST is not sent on: its form would be lost."""
    path = environ.get("PATH_INFO", "")
    if environ.get("REQUEST_METHOD", "GET").upper() != "GET" or path.endswith("/"):
        return ""
    try:
        route, _ = router.match({**environ, "PATH_INFO": path + "/"})
    except bottle.HTTPError:
        return ""
    if route.rule == NOT_FOUND_RULE:
        return ""
    query = environ.get("QUERY_STRING", "")
    return path + "/" + (f"?{query}" if query else "")


def render_move(ctx: Context, page: Page, target: str, error: str) -> str:
    """The move form: the tree with "Move here" on each row, and a box for a path or id."""
    home = ctx.site.pages.get(HOME_ID)
    nodes, total = children_of(home, 0)
    return ctx.render("page_move.html", page=page, target=target, error=error, home=home_node(ctx),
                      nodes=nodes, total=total, start=0, parent=home, page_size=PAGE_SIZE,
                      pick=page, q="", tools=True)


def wants_json(ctx: Context) -> bool:
    return ctx.request.headers.get("X-Requested-With") == "fetch"


# The Access screens that edit the system's own pages (the page editor does not)
ACCESS_SCREENS = {"user": "/admin/access/users/{id}/edit", "role": "/admin/access/roles/{id}/edit",
                  "permission": "/admin/access/permissions/"}


def locked(ctx: Context, page: Page) -> str:
    """The page the editor shows for a page it does not change; a locked page offers Unlock
    to whoever holds page-lock on it (the only way to edit it again, as in ProcessWire). A
    user, role or permission (Find links them here) sends a superuser to the Access screen
    that edits it, as ProcessWire's page editor sends a user to the user editor."""
    screen = ACCESS_SCREENS.get(page.template.name)
    if screen and ctx.can(SUPERUSER):
        ctx.redirect(screen.format(id=page.id))
    bottle.response.status = 403
    return ctx.render("locked.html", page=page, is_task=page.template.name == TASK_TEMPLATE,
                      unlockable=unlockable(page))


def unlockable(page: Page) -> bool:
    """A locked page whose lock the acting user may take off here: not one of a locked
    template's (users, tasks, the admin's pages), which their module keeps, locked or not."""
    return (page.has_status(Page.STATUS_LOCKED) and not page.template.settings.get("locked")
            and page.template.name != TASK_TEMPLATE
            and page.site.users.may(None, "page-lock", page))


def addable_templates(ctx: Context, parent: Page) -> list[Any]:
    """The templates a new child of `parent` may have: its template's family settings, and
    those the user may create pages of there (a template without access of its own through
    the parent's, as Pages.add asks and ProcessWire's ProcessPageAdd offers)."""
    return sorted((t for t in ctx.site.templates
                   if t.name not in INTERNAL_TEMPLATES and not t.settings.get("locked")
                   and parent.template.allows_child(t)
                   and ctx.site.users.may_create(None, t, parent)),
                  key=lambda t: t.name)


# -- the editor's fields ---------------------------------------------------------------------
def shown_value(field: Any, value: Any) -> Any:
    """A stored value as the form shows it."""
    kind = INPUT_KINDS.get(field.type.name, "text")
    if value is None:
        return "" if kind != "checkbox" else False
    if kind == "datetime" and isinstance(value, datetime):
        # seconds too when there are any: a form saved untouched must not drop them
        shown = value.astimezone(timezone.utc)
        return shown.strftime("%Y-%m-%dT%H:%M:%S" if shown.second else "%Y-%m-%dT%H:%M")
    if kind == "pages":
        return page_ids_text(value)
    if kind == "checkbox":
        return bool(value)
    if kind == "number" and isinstance(value, float) and value.is_integer():
        return repr(value)
    return value if kind in ("text", "email", "url", "textarea", "number") else str(value)


def inputs_for(page: Page, submitted: dict[str, Any], errors: dict[str, str] | None) -> list[Input]:
    result = []
    for field in page.template.fields:
        kind = INPUT_KINDS.get(field.type.name, "readonly")
        if field.name in submitted:
            value = submitted[field.name]
        else:
            value = shown_value(field, page.get(field.name))
        result.append(Input(field.name, field.label, kind, value, field.settings,
                            (errors or {}).get(field.name, ""), field.description,
                            field.required, held_pages(page, field) if kind == "pages" else ([], 0)))
    return result


HELD_NAMED = 10        # the pages a Page field's hint names; "and N more" says the rest


def held_pages(page: Page, field: Any) -> tuple[list[Page], int]:
    """The pages a Page field stores for `page` that the acting user may view (its input shows
    ids, which say nothing to an editor), at most HELD_NAMED, and how many more it holds."""
    pages = page.site.pages
    ids = pages.stored_values(field, [page.id]).get(page.id, []) if page.id else []
    shown = pages.viewable_ids(ids)
    viewable = [i for i in ids if i in shown]
    return pages.get_many(viewable[:HELD_NAMED]), max(len(viewable) - HELD_NAMED, 0)


def form_value(ctx: Context, field: Any) -> Any:
    """The value a form sends for a field, shaped for `page.set`."""
    kind = INPUT_KINDS.get(field.type.name)
    raw = ctx.form(field.name)
    if kind == "checkbox":
        return "1" if raw else ""
    if kind == "pages":
        parts = [p.strip() for p in raw.replace(";", ",").split(",") if p.strip()]
        return parts
    if kind == "datetime":
        return raw.strip()
    return raw


def beside_field(field: Any, exc: CmsError) -> str:
    """A value's error as shown beside its input, which names the field already: without the
    API's "field 'n_int':" and its hints for code ("set multiple=True")."""
    text = without_field_name(str(exc), field.name)
    if text != str(exc):
        shown = repr(getattr(exc, "value", None))     # the value as Python shows it: the input
        if not isinstance(getattr(exc, "value", None), str) and text.startswith(shown + " "):
            text = "the value " + text[len(shown) + 1:]       # holds it already, as typed
    return text.replace(" (set multiple=True)", "")


def refuse_long_page_lists(field: Any, parts: list[str]) -> None:
    """Refuse a Page field's input naming more pages than a form may send fields: each id or
    path is looked up on its own (in `refuse_hidden_references`, the save's `read_pages` and
    `check_references`), so one field of 8 MiB of `1,` held a server thread for minutes,
    where a form of more than MAX_FORM_FIELDS fields is refused unread."""
    count = 0
    for part in parts:
        count += len(split_page_list(part))
        if count > MAX_FORM_FIELDS:
            raise field.type.invalid(field, parts, "page", f"names more than {MAX_FORM_FIELDS:,} "
                                     f"pages; the editor takes at most {MAX_FORM_FIELDS:,} at once")


def refuse_hidden_references(ctx: Context, field: Any, page: Page, parts: list[str]) -> None:
    """Refuse a page typed into a Page field that the user may not view (and the field does not
    hold already) in the words `PageRef.read_pages` refuses one that does not exist, naming it
    as typed. The save refuses it too, but by its id: a path typed (`/admin/access/users/bob/`)
    told whether such a page exists, and its id."""
    pages = ctx.site.pages
    held = set(pages.stored_values(field, [page.id]).get(page.id, ())) if page.id else set()
    for part in parts:
        for item in split_page_list(part):
            found = pages.get_typed(item)    # an id or a path; anything else is for page.set
            if found and found.id not in held and not pages.viewable_ids([found.id]):
                raise field.type.invalid(field, parts, "page",
                                         f"names a page that does not exist: {item}")


def check_references(ctx: Context, field: Any, ids: list[int]) -> None:
    """The pages typed into a Page field are of its template, if it names one (the API, which
    already refuses a page that does not exist, takes a page of any template)."""
    template = field.settings.get("template")
    if not template:
        return
    for page in ctx.site.pages.get_many(ids):
        if page.template.name != template:
            what = f"{page.path} is a {page.template.name} page" if page.viewable() else \
                f"page {page.id} is not a {template} page"
            raise ValidationError(f"{field.label}: {what}; this field takes {template} pages",
                                  field=field.name, value=page.id, rule="template")


class Applied(NamedTuple):
    """What the editor's form did to the page: the values its inputs show again (each field's
    by name), the name and status boxes to show, the errors by input, the labels of inputs
    kept as another save left them, and the digests of the page as it was stored before
    (`shown_digests`), which the form shown again carries."""
    values: dict[str, Any]
    name: str
    status: dict[str, bool]
    errors: dict[str, str]
    kept: list[str]
    digests: dict[str, str]


STATUS_BOXES = (("hidden", "Hidden", Page.STATUS_HIDDEN),
                ("unpublished", "Unpublished", Page.STATUS_UNPUBLISHED))


def shown_digests(page: Page) -> dict[str, str]:
    """The digests of what each input of the editor shows of the page as stored (a field's
    value, the name, a status box), by input name. The form carries them (`editor-was`), so a
    save applies what the person changed from what their form showed, and keeps what another
    save changed since in the inputs they left alone, as two tabs on one page need."""
    digests = {field.name: digest(shown_value(field, page.get(field.name)))
               for field in page.template.fields if field.type.name in INPUT_KINDS}
    digests["name"] = digest(page.name)
    digests.update((EDITOR + flag, digest(on)) for flag, on in status_flags(page).items())
    return digests


def apply_form(ctx: Context, page: Page) -> Applied:
    """Set the form's values on `page` (as stored until now).

    Only what the form sends is applied, as ProcessWire processes only the inputs present: a
    field left out of a POST (a form from before the field was added, a script sending one
    value) keeps its value. A checkbox sends nothing when unticked, so the form says which
    checkboxes it showed (`editor-shown`); one not shown keeps its state too. An input that
    another save changed since the form was opened keeps that change where the person left
    it as shown, and is refused beside it where they changed it too (`merge`)."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    kept: list[str] = []
    form = ctx.request.forms
    shown = set(names_list(form, EDITOR + "shown"))
    stored = shown_digests(page)
    was = was_shown(form)
    for field in page.template.fields:
        if field.type.name not in INPUT_KINDS:
            continue      # shown read-only (a module's own fieldtype)
        if field.name not in form and field.name not in shown:
            continue
        value = form_value(ctx, field)
        kind = INPUT_KINDS[field.type.name]
        values[field.name] = (", ".join(value) if kind == "pages" else bool(value)
                              if kind == "checkbox" else value)
        before = page.get(field.name)
        try:
            if kind == "pages":
                refuse_long_page_lists(field, value)
                refuse_hidden_references(ctx, field, page, value)
            page.set(field.name, value)
            ctx.site.pages.check_limits(page, [field.name])     # beside its input, not at the save
            if kind == "pages":
                check_references(ctx, field, field.sanitize(value, ctx.site.pages))
        except (ValidationError, PageError) as exc:
            errors[field.name] = beside_field(field, exc)
            continue
        merged = merge(field.name, was, stored, digest(shown_value(field, page.get(field.name))))
        if merged == "keep":
            page.set(field.name, before)
            del values[field.name]              # shown as stored
            kept.append(field.label)
        elif merged == "conflict":
            errors[field.name] = CHANGED_ELSEWHERE
        elif field.is_missing(page.get(field.name)):
            errors[field.name] = f"{field.label} is required: it may not be empty"
    typed = ctx.form("name", page.name)
    name = typed.strip()
    if page.id != HOME_ID and name != page.name:
        clean = ctx.site.sanitizer.page_name(name)
        merged = merge("name", was, stored, digest(clean))
        if not clean:
            errors["name"] = f"page name {name!r} has no usable characters (letters, digits, - _ .)"
        elif merged == "keep":
            typed = page.name
            kept.append("Name")
        elif merged == "conflict":
            errors["name"] = CHANGED_ELSEWHERE
        else:
            page.name = clean
    status = page.status
    boxes = {}
    for flag, label, bit in STATUS_BOXES:
        box = EDITOR + flag
        boxes[flag] = on = bool(ctx.form(box)) if box in shown or box in form else bool(status & bit)
        if page.id == HOME_ID or on == bool(status & bit):
            continue
        if merge(box, was, stored, digest(on)) == "keep":
            boxes[flag] = not on
            kept.append(label)
        else:
            status = status | bit if on else status & ~bit
    if status != page.status:
        page.status = status
    return Applied(values, typed, boxes, errors, kept, stored)


def name_change_note(typed: str, sanitized: str, saved: str) -> str:
    """Why the saved name is not the one typed: sanitized, a sibling had it, or the title gave
    no name at all (emoji only: the page is `untitled`, as `Pages.add` names it)."""
    if not sanitized:
        return f"{typed!r} gives no letters or digits for a page name, so it was named {saved!r}"
    if saved != sanitized:
        return (f"Another page here is named {sanitized!r}, so this one was saved as "
                f"{saved!r}")
    return (f"The name {typed!r} was saved as {saved!r} (letters, digits, - _ . only, at most "
            "128 characters)")


def people(ctx: Context, page: Page) -> dict[str, str]:
    """Who created and last modified the page (their user names; "" when unknown)."""
    names = {}
    for key in ("created_users_id", "modified_users_id"):
        user_id = getattr(page, key)
        user = ctx.site.users.get(user_id) if user_id else None
        names[key] = user.name if user else ""
    return names


def status_flags(page: Page) -> dict[str, bool]:
    """The editor's status boxes as the page's stored status ticks them, by flag."""
    return {flag: bool(page.status & bit) for flag, _, bit in STATUS_BOXES}

