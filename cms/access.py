"""Who may do what to which page, decided as ProcessWire decides it.

A user holds permissions through roles (every user has `guest`; `superuser` may do everything).
A permission on a page counts only through roles that the page's *access template* lists:

- A template that defines access (`template.set_access(view=..., edit=..., create=..., add=...)`,
  ProcessWire's "useRoles") is the access template of its own pages. Pages whose template does
  not define access inherit it from the nearest ancestor whose template does; the home template
  always does (guests view by default).
- `page-view` counts through the view roles; `page-edit`, `page-delete`, `page-move`,
  `page-sort` and `page-lock` through the edit roles (the last four only on a page the user may
  edit, as ProcessWire's deleteable() and sortable() ask); `page-add` (children under a page)
  through the add roles of the parent's access template; `page-create` (a page of a template)
  through the create roles of that template (for a template that does not define access, those
  of the parent's access template, or any role holding page-create). As in ProcessWire, where
  page-add and page-create are no stored permissions, a role those lists name adds with
  `page-edit`, and creates with it when the edit roles name it too; one holding `page-add` or
  `page-create` itself does too. `addable()` also wants some child template the user may
  create there (ProcessWire's addableTemplate).
- A template may also name a `view_permission`: its pages are viewable by every role holding
  that permission (Tasker's task pages use `tasker-admin`). ProcessWire has no such setting.
- Unpublished and trashed pages, and the admin branch, are viewable only by those who may edit
  them.

Which template governs each page is kept in `pages_access(pages_id, templates_id)`, as in
ProcessWire, with one difference: pages governed by the home template have no row. A find
filtered for a user then adds one indexed NOT EXISTS (or EXISTS) on that table, and a site that
sets no access beyond the home template writes nothing more per page added.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from .db.base import in_chunks
from .errors import PermissionDenied
from .page import HOME_ID, TRASH_ID, Page

if TYPE_CHECKING:
    from .site import Site
    from .templates import Template

PRIVATE_PATHS = ("/admin/", "/trash/")
VIEW = "page-view"
EDIT_ROLES_DECIDE = frozenset({"page-edit", "page-delete", "page-move", "page-sort", "page-lock"})
RUNTIME = frozenset({"page-add", "page-create"})    # granted by page-edit and a template's lists
ACCESS_LISTS = {"view": "view_roles", "edit": "edit_roles", "create": "create_roles", "add": "add_roles"}
# Status bits a private page has (unpublished, trash): viewable only by those who may edit it.
PRIVATE_STATUS = Page.STATUS_UNPUBLISHED | Page.STATUS_TRASH
INSERT_ACCESS = "INSERT INTO pages_access (pages_id, templates_id) VALUES (?, ?)"


class Grants(NamedTuple):
    """What a user holds: superuser or not, each role's permissions (role id -> names), and
    the role names."""

    superuser: bool
    roles: dict[int, frozenset[str]]
    names: frozenset[str]

    def holds(self, permission: str) -> bool:
        return self.superuser or any(permission in perms for perms in self.roles.values())

    def through(self, permission: str, role_ids: Any) -> bool:
        """Whether a role in `role_ids` holds `permission`."""
        return any(permission in self.roles.get(rid, ()) for rid in role_ids)


class ViewFilter(NamedTuple):
    """How a find is narrowed to what a user may view: pages governed by `templates` are
    excluded (`exclude=True`) or are the only ones admitted (`exclude=False`). A trashed page
    must also be one the user may edit, as it is to view it: pages governed by
    `trash_templates` are excluded from the trash (`trash_exclude=True`) or are the only ones
    admitted (`trash_exclude=False`; none listed: no trashed page)."""

    exclude: bool
    templates: tuple[int, ...]
    trash_exclude: bool = True
    trash_templates: tuple[int, ...] = ()


class AccessRules:
    """`site.users`' partner that decides access and keeps `pages_access` current."""

    def __init__(self, site: Site):
        self.site = site
        self.db = site.db
        self._home_template_id: int | None = None
        # bumped whenever this process rewrites pages_access: a governing id kept on a page
        # object (access_template) counts only while it is the same
        self.generation = 0

    def schema_reloaded(self) -> None:
        """The schema was read again (another process changed it): the access change it made
        may have rewritten pages_access, so the governing templates kept on page objects are
        read again."""
        self.generation += 1

    # -- what governs a page ------------------------------------------------------------------
    @property
    def home_template_id(self) -> int:
        if self._home_template_id is None:
            self._home_template_id = int(self.db.scalar("SELECT templates_id FROM pages WHERE id = ?",
                                                        (HOME_ID,)))
        return self._home_template_id

    def access_template(self, page: Page) -> Template:
        """The template whose roles decide access to `page` (its own, an ancestor's or home's),
        as the site holds it now: a page loaded before a schema reload holds the Template
        object of its time, whose access another process may have changed since."""
        own = self.site.templates.current(page.template)
        if own.settings.get("use_roles"):
            return own
        if not page.id:      # an unsaved page would be governed as its parent is
            return self.site.templates[self.governing_id(page.parent_id)]
        kept = page.__dict__.get("_governing")
        if kept is None or kept[0] != self.generation:
            self._load_governing(page)
            kept = page.__dict__["_governing"]
        return self.site.templates[kept[1]]

    def _load_governing(self, page: Page) -> None:
        """Read the governing template of `page` and of the other pages its find loaded, in
        one statement per 500, and keep each on its page object: a tree row asks it for View,
        Edit, Move, Trash ... and a list of 50 rows asked 350 times."""
        pages = [held for held in map(lambda ref: ref(), page._batch)
                 if held is not None and held.id and held.__dict__.get("_governing") is None]
        if not any(held is page for held in pages):
            pages.append(page)
        ids = list({held.id for held in pages})
        found: dict[int, int] = {}
        for chunk, marks in in_chunks(ids):
            found.update(self.db.all(f"SELECT pages_id, templates_id FROM pages_access "
                                     f"WHERE pages_id IN ({marks})", chunk))
        home, generation = self.home_template_id, self.generation
        for held in pages:
            held.__dict__["_governing"] = (generation, int(found.get(held.id) or home))

    def governing_id(self, page_id: int) -> int:
        """The id of the template whose access governs a saved page (no row: home's)."""
        found = self.db.scalar("SELECT templates_id FROM pages_access WHERE pages_id = ?", (page_id,))
        return int(found) if found else self.home_template_id

    # -- decisions ----------------------------------------------------------------------------
    def allows(self, grants: Grants, permission: str, page: Page | None) -> bool:
        """The decision for a user's grants (see the module docstring)."""
        if grants.superuser:
            return True
        if not grants.holds(permission) and not (permission in RUNTIME and grants.holds("page-edit")):
            return False
        if page is None:
            return True
        if not page:
            return False
        self.site.refresh_schema()      # another process's access change counts within a second
        if permission == "page-create":
            return self.may_create(grants, self.site.templates.current(page.template))
        template = self.access_template(page)
        settings = template.settings
        if permission == VIEW:
            private = (page.status & PRIVATE_STATUS or page.id == TRASH_ID
                       or page.path.startswith(PRIVATE_PATHS))
            if private:
                return self.edits_template(grants, template)
            return self.views_template(grants, template)
        if permission in EDIT_ROLES_DECIDE:
            return self.edit_roles_allow(grants, permission, template)
        if permission == "page-add":
            return self.through_runtime(grants, permission, settings.get("add_roles", ()))
        return True      # a permission templates do not list (tasker-admin ...): held is enough

    @staticmethod
    def views_template(grants: Grants, template: Template) -> bool:
        """Whether published pages governed by `template` are viewable with these grants: a
        view role, an edit role, or the template's `view_permission`. `allows` and
        `view_filter` both decide by this, so a page and a find never disagree."""
        settings = template.settings
        return (grants.through(VIEW, settings.get("view_roles", ()))
                or AccessRules.edits_template(grants, template)
                or bool(settings.get("view_permission")) and grants.holds(settings["view_permission"]))

    @classmethod
    def edit_roles_allow(cls, grants: Grants, permission: str, template: Template) -> bool:
        """A permission the template's edit roles decide (page-edit, page-delete, page-move
        ...) on pages governed by `template`: deleting, moving, sorting and locking a page also
        need it editable, as ProcessWire's deleteable() and sortable() ask `$page->editable()`
        first."""
        return (grants.through(permission, template.settings.get("edit_roles", ()))
                and (permission == "page-edit" or cls.edits_template(grants, template)))

    @staticmethod
    def edits_template(grants: Grants, template: Template) -> bool:
        """Whether pages governed by `template` are editable with these grants (an edit role
        holding page-edit): what a private page (unpublished, trashed) asks of a viewer, in
        `allows` and in `view_filter` alike."""
        return grants.through("page-edit", template.settings.get("edit_roles", ()))

    @staticmethod
    def through_runtime(grants: Grants, permission: str, role_ids: Any, edit_ids: Any = None) -> bool:
        """`page-add` or `page-create` through a template's add or create roles: ProcessWire
        has no such stored permission and asks `page-edit` of a role those lists name
        (User::hasPagePermission; for page-create, of one its edit roles name too, as
        hasTemplatePermission asks); a role holding the named permission itself counts too."""
        editing = role_ids if edit_ids is None else set(role_ids) & set(edit_ids)
        return grants.through(permission, role_ids) or grants.through("page-edit", editing)

    def may_create(self, grants: Grants, template: Template, parent: Page | None = None) -> bool:
        """Whether pages of `template` may be created (under `parent`, when given): through the
        template's create roles when it defines access; else, as ProcessWire's ProcessPageAdd
        asks page-create of the parent, through the create roles of the parent's access
        template, or by holding page-create."""
        if grants.superuser:
            return True
        own = template.settings.get("use_roles")
        if not own and (parent is None or not parent):
            return grants.holds("page-create")
        settings = template.settings if own else self.access_template(parent).settings
        return (self.through_runtime(grants, "page-create", settings.get("create_roles", ()),
                                     settings.get("edit_roles", ()))
                or not own and grants.holds("page-create"))

    def view_filter(self, grants: Grants) -> ViewFilter | None:
        """How finds are narrowed for these grants (None: they see every page). A trashed page
        needs `page-edit` too, as `allows` asks of a private page: without it, `status=trash`
        or `include=trash` finds none (ProcessWire gives trashed pages the trash's access, so
        its guest finds none either)."""
        if grants.superuser:
            return None
        allowed, denied, edited, not_edited = [], [], [], []
        for template in self.site.templates:
            if template.settings.get("use_roles"):
                (allowed if self.views_template(grants, template) else denied).append(template.id)
                (edited if self.edits_template(grants, template) else not_edited).append(template.id)
        home = self.home_template_id
        view = (True, tuple(sorted(denied))) if home in allowed else (False, tuple(sorted(allowed)))
        trash = (True, tuple(sorted(not_edited))) if home in edited else (False, tuple(sorted(edited)))
        if view == trash == (True, ()):
            return None
        return ViewFilter(*view, *trash)

    @staticmethod
    def denied(user: Any, permission: str, page: Page | None, what: str) -> PermissionDenied:
        name = getattr(user, "name", "") or "guest"
        where = ""
        if page is not None and page:      # a page the user may not view is named by its id
            where = f" {page.path}" if page.viewable(user) else f" page {page.id}"
        return PermissionDenied(f"user {name!r} may not {what}{where}: it needs the {permission!r} "
                                "permission through a role that the page's template access lists")

    # -- pages_access -------------------------------------------------------------------------
    def refresh_subtree(self, page: Page) -> None:
        """Work out again which template governs a page and everything below it (after a move)."""
        from .pages import subtree_range
        low, high = subtree_range(page.path)
        rows = self.db.all("SELECT p.id, p.parent_id, p.templates_id FROM pages p "
                           "JOIN pages_paths pp ON pp.pages_id = p.id "
                           "WHERE pp.path = ? OR (pp.path > ? AND pp.path < ?) ORDER BY pp.path",
                           (page.path, low, high))
        # only the rows that change are written: a move that keeps the governing template of
        # the pages below (most moves) writes nothing here, where every row of a 100,000-page
        # subtree was deleted and inserted again (2 s holding the write lock)
        stored = dict(self.db.all("SELECT pa.pages_id, pa.templates_id FROM pages_access pa "
                                  "JOIN pages_paths pp ON pp.pages_id = pa.pages_id "
                                  "WHERE pp.path = ? OR (pp.path > ? AND pp.path < ?)",
                                  (page.path, low, high)))
        uses_roles = {t.id for t in self.site.templates if t.settings.get("use_roles")}
        governing = {page.parent_id: self.governing_id(page.parent_id)}
        self.generation += 1
        with self.site.transaction():
            self._write_changes(self._governed_rows(rows, governing, uses_roles), stored)
        self.generation += 1        # and what another thread read meanwhile

    def rebuild(self) -> None:
        """Work out the governing template of every page (after a template starts or stops
        defining access). Reads the whole tree once, in path order, and which templates define
        access as stored (another process's change included), and writes, in one transaction,
        only the rows that change: a template that starts
        defining access on a 1,000,000-page site changes the rows of its own pages, not all."""
        db = self.db
        self.generation += 1
        with self.site.transaction():
            uses_roles = {template_id for template_id, data in db.all("SELECT id, data FROM templates")
                          if json.loads(data or "{}").get("use_roles")}
            rows = db.all("SELECT p.id, p.parent_id, p.templates_id FROM pages p "
                          "JOIN pages_paths pp ON pp.pages_id = p.id ORDER BY pp.path")
            stored = dict(db.all("SELECT pages_id, templates_id FROM pages_access"))
            self._write_changes(self._governed_rows(rows, {0: self.home_template_id}, uses_roles),
                                stored)
        self.generation += 1

    def _write_changes(self, governed: Iterator[tuple[int, int | None]], stored: dict[int, int]) -> None:
        """Write the `pages_access` rows of `governed` that differ from `stored`, the rows as
        they are (a page's row goes with the page, by its foreign key). Inside the caller's
        transaction, which moves the generation on before it and after its commit, so a
        governing template read meanwhile (by another thread) is read again."""
        drop, add = [], []
        for page_id, wanted in governed:
            held = stored.get(page_id)
            if held != wanted:
                if held is not None:
                    drop.append(page_id)
                if wanted is not None:
                    add.append((INSERT_ACCESS, (page_id, wanted)))
        for chunk, marks in in_chunks(drop):
            self.db.execute(f"DELETE FROM pages_access WHERE pages_id IN ({marks})", chunk)
        self.db.execute_each(add)

    def _governed_rows(self, rows: list[tuple], governing: dict[int, int],
                       uses_roles: set[int]) -> Iterator[tuple[int, int | None]]:
        """Each page's governing template for `pages_access` (None: home's, which has no row),
        from (id, parent id, template id) rows read parents first; `governing` holds the
        governing template of the first rows' parents and gets each page's."""
        home = self.home_template_id
        for page_id, parent_id, template_id in rows:
            found = template_id if template_id in uses_roles else governing.get(parent_id, home)
            governing[page_id] = found
            yield page_id, (None if found == home else found)


def install(site: Site) -> None:
    """Schema upgrade 5: the permissions ProcessWire has, template access and `pages_access`.

    The home template lets guests view; the admin template (the admin branch, the trash)
    lets nobody but superusers view or edit; user, role and permission pages are neither moved
    nor trashed. Every page's governing template is worked out once.
    """
    from .users import PERMISSIONS, PERMISSIONS_PATH
    db = site.db
    site.templates.load()
    system = 1 | 8 | 16
    parent_id = db.scalar("SELECT pages_id FROM pages_paths WHERE path = ?", (PERMISSIONS_PATH,))
    with site.transaction():
        for name, title in PERMISSIONS.items():
            if not db.scalar("SELECT id FROM pages WHERE parent_id = ? AND name = ?", (parent_id, name)):
                site.pages.add("permission", parent_id, name, status=system, title=title)
    guest_role = site.users.role("guest")
    home = site.templates[db.scalar("SELECT templates_id FROM pages WHERE id = ?", (HOME_ID,))]
    if not home.settings.get("use_roles"):
        editors = keep_editors(site)
        home.set_access(view=[guest_role], edit=editors, create=editors, add=editors)
    site.templates["admin"].set_access(view=[], edit=[])
    for name in ("user", "role", "permission"):
        site.templates[name].set_settings(no_move=True, no_trash=True)
    site.users.access.rebuild()


# What page-edit let a role do before upgrade 5, now permissions of their own.
EDIT_SPLIT_OFF = ("page-delete", "page-move", "page-sort")


def keep_editors(site: Site) -> list[Page]:
    """The roles holding page-edit on a site from before template access, given the
    permissions page-edit then included (trash, move, sort), so that the home template can
    name them: before upgrade 5 they edited, added, moved and trashed every page, and a home
    template with no edit roles would leave them, after an upgrade, editing nothing. (The
    guest role is left out: it may not edit, as in ProcessWire.)"""
    from .users import PERMISSIONS_PATH
    editors = []
    for role in site.users.roles():
        held = list(role.get("permissions") or [])
        have = {permission.name for permission in held}
        if role.name in ("superuser", "guest") or "page-edit" not in have:
            continue
        added = [site.pages.get(f"{PERMISSIONS_PATH}{name}/") for name in EDIT_SPLIT_OFF
                 if name not in have]
        if added:
            role.permissions = held + added
            site.pages.save(role)
        editors.append(role)
    return editors
