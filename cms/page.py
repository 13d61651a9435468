"""Page, NullPage and PageArray: one node of the tree, the missing page, and a found set."""
from __future__ import annotations

import random
from contextlib import nullcontext
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from markupsafe import Markup

from .digits import INT64_MAX, int_of_digits
from .errors import PageError, SelectorError
from .fieldtypes import php_float_text
from .pagination import render_pager
from .render import has_template_file
from .traversal import (
    conditions_of,
    in_parent_order,
    limit_of,
    sibling_order,
    sorts_of,
    unlimited_ids,
    walk_limit,
    walk_plan,
)

if TYPE_CHECKING:
    from .site import Site
    from .templates import Template

# The tree's fixed pages: every site is made with them at these ids (schema.py).
HOME_ID = 1
ADMIN_ID = 2
TRASH_ID = 7
NOT_FOUND_ID = 27           # the 404 page
MAX_ID = INT64_MAX          # the largest id a page may have (a 64-bit integer, as SQLite binds)
# the sort values a page may have: its column is a 32-bit INT on PostgreSQL and MariaDB, as
# ProcessWire's is
MIN_SORT, MAX_SORT = -2**31, 2**31 - 1


def id_of_digits(text: str) -> int:
    """The page id decimal digits give, 0 (no page's) past MAX_ID, however many digits:
    ProcessWire's get("999...") is a NullPage."""
    number = int_of_digits(text)
    return number if number <= MAX_ID else 0

# Attributes kept on the object itself; everything else is a field value.
_OWN = frozenset("""site _template _parent_id _parent_before id name status sort created modified
    created_users_id modified_users_id _path _values _changed _name_before _batch""".split())


class Page:
    """A page: core columns as attributes, field values by name (`page.title`).

    Field values load on first access, one query per field, and stay on this object; to see
    what another process saved since, get the page again (`site.pages.get(id)` always reads the
    database). Setting a field checks the value at once (`ValidationError`) and saves on `save()`.
    """

    STATUS_ON = 1
    STATUS_LOCKED = 4
    STATUS_SYSTEM_ID = 8
    STATUS_SYSTEM = 16
    STATUS_UNIQUE = 32
    STATUS_DRAFT = 64
    STATUS_HIDDEN = 1024
    STATUS_UNPUBLISHED = 2048
    STATUS_TRASH = 8192
    STATUS_DELETED = 16384
    STATUS_NAMES = {"on": STATUS_ON, "locked": STATUS_LOCKED, "system_id": STATUS_SYSTEM_ID,
                    "system": STATUS_SYSTEM, "unique": STATUS_UNIQUE, "draft": STATUS_DRAFT,
                    "hidden": STATUS_HIDDEN, "unpublished": STATUS_UNPUBLISHED,
                    "trash": STATUS_TRASH, "deleted": STATUS_DELETED}

    def __init__(self, site: Site, template: Template, *, id: int = 0, parent_id: int = 0,
                 name: str = "", status: int = 1, sort: int = -1, created: datetime | None = None,
                 modified: datetime | None = None, created_users_id: int = 0,
                 modified_users_id: int = 0, path: str = ""):
        # Item by item: a page is built per row read and per page added, and this is cheaper
        # than sixteen keyword pairs for dict.update().
        own = self.__dict__
        own["site"] = site
        own["_template"] = template
        own["id"] = id
        own["_parent_id"] = own["_parent_before"] = parent_id
        own["name"] = own["_name_before"] = name
        own["status"] = status
        own["sort"] = sort
        own["created"] = created
        own["modified"] = modified
        own["created_users_id"] = created_users_id
        own["modified_users_id"] = modified_users_id
        own["_path"] = path
        own["_values"] = {}
        own["_changed"] = set()
        own["_batch"] = ()          # weak references to the pages one find loaded with it

    # -- field values -------------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        template = object.__getattribute__(self, "_template")
        if template is not None and not template.has_field(name):
            # hasattr() and templates' optional fields come here too: not asked every time
            template = self._current_template(force=False)
        if template is None or not template.has_field(name):
            raise AttributeError(f"{type(self).__name__} has no attribute or field {name!r}"
                                 + (f" (template {template.name} has fields: "
                                    f"{', '.join(template.field_names)})" if template else ""))
        return self.get(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("parent", "template"):
            object.__setattr__(self, name, value)   # property setters
        elif name in _OWN:
            if name == "name":
                value = self.site.sanitizer.page_name(value)
            elif name in ("status", "sort") and not isinstance(value, int):
                raise PageError(f"page {name} must be an integer, not {value!r}")
            elif name == "sort" and not MIN_SORT <= value <= MAX_SORT:
                # ProcessWire's MySQL would store its nearest end without a word
                raise PageError(f"page sort must be from {MIN_SORT} to {MAX_SORT} (what the "
                                f"column holds), not {value}")
            if (self.id and name in ("name", "status", "sort") and name not in self._changed
                    and value == self.__dict__.get(name)):
                return      # what it has: no change, as ProcessWire tracks one only when it differs
            object.__setattr__(self, name, value)
            self._changed.add(name)
        else:
            self.set(name, value)

    def get(self, name: str, default: Any = None) -> Any:
        """A field's value (its blank value when none is stored), as ProcessWire's
        `$page->get()`: also a property of the page (`id`, `name`, `path`, `parent`,
        `created` ...), the first of several that is not empty (`get("headline|title")`), or
        a field of a page it holds (`get("parent.title")`, `get("ref.name")`) or how many a Page
        field holds (`get("tags.count")`); `default` for anything else."""
        if not self._template.has_field(name):
            return self._get_other(name, default)
        field = self.site.fields[name]
        value = self._stored(name)
        if field.type.kind == "page":
            ready = self.__dict__.get("_ready")
            if (ready is None or name not in ready) and self._batch and value:
                # the pages it holds are read for every page of its find at once, as the ids
                # were: a list showing each row's tags or author asked once per row
                ready = self.site.pages.load_references_of_batch(self, field)
            taken = ready.get(name) if ready else None
            if taken is not None:
                ready[name] = None            # taken once: a later read reads the database
            pages = self.site.pages
            visitor = pages.shows_visitor()
            found = (pages.referenced_pages(field, taken[1])
                     if taken is not None and taken[0] == tuple(value or ())
                     and taken[2] == pages.deletions and taken[3] == visitor
                     else pages.referenced(field, value or []))
            if not isinstance(found, PageArray):
                return found
            # read for a visitor and short of what is stored: changed, it would drop them
            return found.held_by(self, name, partial=visitor and len(found) < len(value or ()))
        return field.type.blank(field) if value is None else value

    def _current_template(self, force: bool = True) -> Template:
        """The page's template as stored now (unforced: as known within the site's schema
        check, a second), for a field it lacks: another process may have added the field
        since this page was loaded, with the template object of then (a worker's step)."""
        if force:
            self.site.refresh_schema(0)
        else:
            self.site.refresh_schema()
        object.__setattr__(self, "_template", self.site.templates.current(self._template))
        return self._template

    def _stored(self, name: str) -> Any:
        """A field's value as this object holds it (ids for a Page field), read on first use."""
        values = self._values
        if name not in values:
            if self._batch:           # read for every page of its find at once, not one by one
                self.site.pages.load_field_of_batch(self._batch, name)
            if name not in values:
                values[name] = self.site.pages.load_field(self, name) if self.id else None
        return values[name]

    def _get_other(self, name: str, default: Any) -> Any:
        if "|" in name:
            for part in name.split("|"):
                value = self.get(part.strip())
                if value not in (None, "", 0) and not (isinstance(value, PageArray) and not value):
                    return value
            return default
        if "." in name:
            head, _, rest = name.partition(".")
            holder = self.get(head)
            if isinstance(holder, PageArray):
                if rest == "count":     # ProcessWire's `tags.count`: how many pages it holds
                    return len(holder)
                holder = holder.first()
            return holder.get(rest, default) if isinstance(holder, Page) and holder else default
        if name in PAGE_PROPERTIES:
            return getattr(self, name)
        return default

    def set(self, name: str, value: Any) -> Page:
        """Check and set a field's value (saved by `save()`); raises ValidationError when invalid."""
        if not self._template.has_field(name) and not self._current_template().has_field(name):
            raise PageError(f"template {self._template.name!r} has no field {name!r}; fields: "
                            f"{', '.join(self._template.field_names)}")
        field = self.site.fields[name]
        if not field.type.writable:
            raise PageError(f"field {name!r} ({field.type.name}) is kept by its module and read "
                            "here only; change it through that module (Tasker: activate_task, "
                            "stop_task ...)")
        clean = (field.sanitize(value, self.site.pages) if field.type.kind == "page"
                 else field.type.sanitize(field, value))
        if (self.id and name not in self._changed and name not in self.__dict__.get("_written", ())
                and self._stored(name) == clean):
            # the value it holds: no change, so no write (ProcessWire tracks a change only when
            # the value differs); an admin form sets every field it shows, and a page holding
            # 5,000 references rewrote them all at each save. Not a value this object saved
            # itself: the caller's transaction may have rolled that save back, and its retry
            # sets the same value again
            return self
        self._values[name] = clean
        self._changed.add(name)
        return self

    def stored(self, **values: Any) -> Page:
        """Take field values as the database holds them now, without marking them changed.

        For code that wrote them with its own SQL (Tasker's steps write progress and
        task_data), so the page in hand shows what is stored and a later save() writes nothing
        of them again.
        """
        self._values.update(values)
        return self

    def save(self, field: str | None = None) -> Page:
        """Save the page (or only one field of it). A new page is added to the tree."""
        self.site.pages.save(self, field)
        return self

    def set_and_save(self, name: str, value: Any) -> Page:
        self.set(name, value)
        return self.save(name)

    def is_changed(self, name: str | None = None) -> bool:
        return bool(self._changed) if name is None else name in self._changed

    # -- tree ---------------------------------------------------------------------------------
    @property
    def template(self) -> Template:
        return self._template

    @template.setter
    def template(self, value: Template | str) -> None:
        if self.id:
            raise PageError(f"page {self.id}: changing the template of a saved page is not supported")
        template = self.site.templates[value] if isinstance(value, (str, int)) else value
        object.__setattr__(self, "_template", template)

    @property
    def parent_id(self) -> int:
        return self._parent_id

    @property
    def parent(self) -> Page:
        """The parent page, read now (a NullPage for home)."""
        return self.site.pages.get(self._parent_id) if self._parent_id else NullPage(self.site)

    @parent.setter
    def parent(self, value: Page | int | str) -> None:
        """A move, saved by `save()`: to a Page, an id or a path (PageError for no page)."""
        object.__setattr__(self, "_parent_id", self.site.pages.parent_id_of(value))
        self._changed.add("parent")

    @property
    def name_previous(self) -> str | None:
        """The name this page had before a change not saved yet, and, in the hooks of the
        save, trash or restore that changed it, the name it had before (ProcessWire's
        `$page->namePrevious`: a `renamed` hook may keep a redirect from it); None when the
        name did not change."""
        kept = self.__dict__.get("_previous")
        before = kept[0] if kept is not None else self._name_before
        return before if self.id and before != self.name else None

    @property
    def parent_previous(self) -> Page | None:
        """The parent this page had before a move not saved yet, and in the hooks of the save,
        trash or restore that moved it (ProcessWire's `$page->parentPrevious`); None when it
        did not move."""
        kept = self.__dict__.get("_previous")
        before = kept[1] if kept is not None else self._parent_before
        return self.site.pages.get(before) if self.id and before != self._parent_id else None

    @property
    def status_previous(self) -> int | None:
        """The status this page had, in the hooks of the save that changed it
        (`status_change_ready` ... `status_changed`: ProcessWire's `$page->statusPrevious`);
        None elsewhere."""
        kept = self.__dict__.get("_status_previous")
        return kept if kept is not None and kept != self.status else None

    @property
    def parents(self) -> PageArray:
        """The ancestors, home first."""
        return self.site.pages.parents_of(self)

    @property
    def path(self) -> str:
        return self._path

    @property
    def url(self) -> str:
        return self._path

    @property
    def edit_url(self) -> str:
        """The admin's editor of this page (ProcessWire's `$page->editUrl`): a template shows it
        to those for whom `page.editable()` is true."""
        return f"/admin/page/{self.id}/edit"

    @property
    def is_new(self) -> bool:
        return not self.id

    def children(self, selector: str = "") -> PageArray:
        """Children matching `selector`, in their sort order unless the selector sorts."""
        return self.site.pages.find(in_parent_order(selector, self), base=f"parent_id={self.id}")

    def child(self, selector: str = "") -> Page:
        """The first child matching `selector` (ProcessWire's `$page->child()`: unlike
        `get()`, it honours a `start=`, so `child("start=1")` is the second child)."""
        selector = f"{selector}, limit=1" if selector.strip() else "limit=1"
        if "start=" not in selector:
            selector += ", start=0"
        found = self.site.pages.find(in_parent_order(selector, self), base=f"parent_id={self.id}")
        return found[0] if found else NullPage(self.site)

    def find(self, selector: str = "") -> PageArray:
        """The pages below this one, at any depth, matching `selector` (ProcessWire's
        `$page->find()`)."""
        return self.site.pages.find(selector, base=f"has_parent={self.id}")

    def siblings(self, selector: str = "") -> PageArray:
        """The parent's children matching `selector`, this page among them (ProcessWire's
        `$page->siblings()`); home, which has no parent, is its own only sibling."""
        if not self._parent_id:
            return self.site.pages.find(selector, base=f"id={self.id}")
        return self.site.pages.find(in_parent_order(selector, self.parent),
                                    base=f"parent_id={self._parent_id}")

    def next(self, selector: str = "") -> Page:
        """The sibling after this one in the parent's sort order (or the selector's `sort=`),
        among those matching `selector`; NullPage after the last (ProcessWire's
        `$page->next()`; see cms/traversal.py for hidden pages)."""
        ids, index = self._nearest(selector)
        return self._page_of(ids[index + 1] if 0 <= index < len(ids) - 1 else 0)

    def prev(self, selector: str = "") -> Page:
        """The sibling before this one, as `next()` finds the one after it."""
        ids, index = self._nearest(selector)
        return self._page_of(ids[index - 1] if 0 < index < len(ids) else 0)

    def _nearest(self, selector: str) -> tuple[list[int], int]:
        """The siblings `next()` and `prev()` look among, and this page's index there (past
        their end when it is not among them). As ProcessWire's findOne with startAfterID or
        stopBeforeID, a `limit=N` keeps the first N siblings, this page counted among them,
        and `start=` is dropped: `next("limit=2")` is the second sibling from the first, and
        none from the second or later."""
        ids, index = sibling_order(self, selector, walk=True)
        limit = walk_limit(self, selector)
        return (ids, index) if limit is None else (ids[:limit], index)

    def next_all(self, selector: str = "") -> PageArray:
        """Every sibling after this one matching `selector`, in order (`$page->nextAll()`)."""
        ids, index = sibling_order(self, selector, walk=True)
        return self._walk(ids[index + 1:] if index >= 0 else [], set(), walk_limit(self, selector))

    def prev_all(self, selector: str = "") -> PageArray:
        """Every sibling before this one matching `selector`, the nearest first, as
        ProcessWire's `$page->prevAll()` gives them."""
        ids, index = sibling_order(self, selector, walk=True)
        return self._walk(ids[:index][::-1] if index > 0 else [], set(), walk_limit(self, selector))

    def next_until(self, until: Page | int | str, selector: str = "") -> PageArray:
        """The siblings after this one matching `selector`, up to (not including) the page
        `until` names: a page, an id, a path, or a selector (then the first sibling after this
        one matching `selector` and it, in the order that find gives, as ProcessWire finds it:
        by the walk's order unless `until` sorts or compares `sort`, and among the first
        `limit=` siblings when `selector` says one); every one after when there is none. As
        ProcessWire's `$page->nextUntil()` (and jQuery's), the stop counts whatever its status
        and whether or not `selector` matches it."""
        if isinstance(until, str) and until.strip() and not until.strip().isdecimal() \
                and not until.strip().startswith("/"):
            # ProcessWire finds the stop with "$selector, limit=1, $until" after the page: the
            # first match after it in that find's order (`until` may sort, or compare the sort
            # column, which orders by id), not the nearest match in the walk
            order, at = sibling_order(self, f"{selector}, {until.strip()}".strip(", "), walk=True)
            # the appended limit=1 is that find's softLimit, while the selector's own `limit=`
            # (and its `start=`) stay its window of rows, counted from the first sibling: a
            # stop outside it is none, as a page outside it has no next()
            window = walk_plan(self, selector)
            if window.limit is not None:
                order = order[window.start or 0:(window.start or 0) + window.limit]
                at = order.index(self.id) if self.id in order else -1
            stops = set(order[at + 1:at + 2]) if at >= 0 else set()
        else:
            stops = self._stops(until, f"parent_id={self._parent_id}", selector)
        ids, index = sibling_order(self, selector, also=stops, walk=True)
        return self._walk(ids[index + 1:] if index >= 0 else [], stops, walk_limit(self, selector))

    def prev_until(self, until: Page | int | str, selector: str = "") -> PageArray:
        """The siblings before this one matching `selector`, the nearest first, up to (not
        including) the nearest that `until` names (see `next_until`)."""
        stops = self._stops(until, f"parent_id={self._parent_id}", selector)
        ids, index = sibling_order(self, selector, also=stops, walk=True)
        return self._walk(ids[:index][::-1] if index > 0 else [], stops, walk_limit(self, selector))

    def parents_until(self, until: Page | int | str, selector: str = "") -> PageArray:
        """The ancestors from the nearest up to (not including) the first that `until` names
        (a page, an id, a path or a selector it matches, whatever its status), home first, then
        narrowed to those matching `selector`: ProcessWire's `$page->parentsUntil()`."""
        lineage = self.parents.ids()[::-1]                          # the nearest first
        stops = self._stops(until, f"id={'|'.join(map(str, lineage)) or 0}, include=all")
        kept = PageArray(reversed(self._walk(lineage, stops)))
        return kept.find(selector) if selector.strip() else kept

    def _stops(self, until: Page | int | str, among: str, selector: str = "") -> set[int]:
        """The pages `until` names: one page (by page, id or path), or those `among` selects (a
        find's base: the siblings, or the ancestors whatever their status) that match
        `selector` and `until` together, whatever its `limit=` (ProcessWire's
        `"$selector, limit=1, $until"`, the first of them after the page)."""
        if isinstance(until, Page):
            return {until.id} if until.id else set()
        if isinstance(until, int) and not isinstance(until, bool):
            return {until}
        if not isinstance(until, str) or not until.strip():
            return set()
        text = until.strip()
        if text.isdecimal():
            return {id_of_digits(text)}
        if text.startswith("/"):
            return {self.site.pages.get(text).id} - {0}
        return set(unlimited_ids(self.site, f"{selector}, {text}".strip(", "), among))

    def _walk(self, ids: list[int], stops: set[int], limit: int | None = None) -> PageArray:
        """The pages of `ids` (in walking order) before the first of `stops`, the first `limit`
        of them (a walk's `limit=`, cms/traversal.py)."""
        cut = next((i for i, page_id in enumerate(ids) if page_id in stops), len(ids))
        return PageArray(self.site.pages.get_many(ids[:cut][:limit]))

    def index(self, selector: str = "") -> int:
        """How many siblings come before this one among those matching `selector` (0 for the
        first and for home): ProcessWire's `$page->index()`, by the parent's sort order. As
        there, a `limit=N` counts at most N of them (a walk back to the page, PageFinder's
        softLimit) and `start=` is not counted."""
        index = sibling_order(self, selector, walk=True)[1]
        limit = walk_limit(self, selector)
        return max(index if limit is None else min(index, limit), 0)

    def num_parents(self, selector: str = "") -> int:
        """How many ancestors this page has (0 for home, 1 below it), or of them how many
        match `selector`: ProcessWire's `$page->numParents()`."""
        parents = self.parents
        return len(parents.find(selector) if selector.strip() else parents)

    def references(self, selector: str = "", field: str | None = None) -> PageArray:
        """The pages whose Page fields (or the Page field `field`) hold this page, narrowed by
        `selector`: ProcessWire's `$page->references()`, a find, so hidden and unpublished
        pages only with include= and only those the user may view."""
        names = self._reference_fields(field)
        if not names or not self.id:
            return PageArray([])
        return self.site.pages.find(f"{'|'.join(names)}={self.id}, {selector}".rstrip(", "))

    def num_references(self, selector: str = "", field: str | None = None) -> int:
        """How many pages `references()` finds, counting hidden and unpublished pages unless
        `selector` says include= (ProcessWire's `$page->numReferences()`)."""
        names = self._reference_fields(field)
        if not names or not self.id:
            return 0
        include = "" if "include=" in selector else "include=all, "
        return self.site.pages.count(f"{include}{'|'.join(names)}={self.id}, {selector}".rstrip(", "))

    def _reference_fields(self, field: str | None) -> list[str]:
        if field is None:
            return [each.name for each in self.site.fields if each.type.kind == "page"]
        found = self.site.fields.get(field)
        if found is None or found.type.kind != "page":
            raise PageError(f"references(field={field!r}): name a Page field")
        return [found.name]

    @property
    def root_parent(self) -> Page:
        """The ancestor just below home, or the page itself at the top level (and home):
        the site's section, as ProcessWire's `$page->rootParent`."""
        if not self._parent_id or self._parent_id == 1:
            return self
        parents = self.parents
        return parents[1] if len(parents) > 1 else self

    def matches(self, selector: str) -> bool:
        """Whether this page matches `selector`, whatever its status (ProcessWire's
        `$page->matches()`), answered by the database as a find is. An empty or blank selector
        matches nothing, as there ("blank string matches nothing") and as `find("")` finds
        nothing: a count of it would count every page."""
        from .pages import empty_selector  # here: cms.pages imports cms.page
        if not self.id or empty_selector(selector) or isinstance(selector, str) and not selector.strip():
            return False
        return bool(self.site.pages.count(selector, base=f"id={self.id}, include=all"))

    def closest(self, selector: str) -> Page:
        """This page if it matches `selector`, else its nearest ancestor that does (NullPage
        when none does), as ProcessWire's `$page->closest()`: the page itself for an empty
        selector (PHP's empty(): "", "0", None), which a blank one is not (no page matches it)."""
        from .pages import empty_selector  # here: cms.pages imports cms.page
        if empty_selector(selector):
            return self
        if isinstance(selector, str) and not selector.strip():
            return NullPage(self.site)
        lineage = [*self.parents, self]                # home first: the nearest is the last
        # one query for them all, asking of each page what matches() asks: ProcessWire's
        # closest() calls matches() page by page, which skips `limit=` and `start=`, where an
        # array's find() would slice the lineage by them
        ids = "|".join(str(page.id) for page in lineage)
        found = set(unlimited_ids(self.site, selector, f"id={ids}, include=all"))
        return next((page for page in reversed(lineage) if page.id in found), NullPage(self.site))

    def _page_of(self, page_id: int) -> Page:
        return self.site.pages.get(page_id) if page_id else NullPage(self.site)

    @property
    def num_children(self) -> int:
        """All children, hidden and unpublished included (as ProcessWire's numChildren)."""
        return self.site.pages.num_children(self.id)

    def has_children(self, selector: str | bool = True) -> int:
        """How many children a visitor would see (ProcessWire's `$page->hasChildren()`): not
        hidden, unpublished or out of the current user's view access; truthy when there are
        any. `False` counts every child (`num_children`), and so does an empty selector, as
        ProcessWire's `numChildren("")` reads it as none; a selector counts the children
        matching it (ProcessWire's `numChildren($selector)`), hidden ones only when it says
        `include=`."""
        if selector is False or (isinstance(selector, str) and not selector.strip()):
            return self.num_children
        if not self.id or not self.num_children:
            return 0
        return self.site.pages.count("" if selector is True else selector, base=f"parent_id={self.id}")

    # -- status -------------------------------------------------------------------------------
    def has_status(self, status: int | str) -> bool:
        return bool(self.status & self._status_bit(status))

    def add_status(self, status: int | str) -> Page:
        self.status = self.status | self._status_bit(status)
        return self

    def remove_status(self, status: int | str) -> Page:
        self.status = self.status & ~self._status_bit(status)
        return self

    def _status_bit(self, status: int | str) -> int:
        if isinstance(status, str):
            try:
                return self.STATUS_NAMES[status]
            except KeyError:
                raise PageError(f"unknown status {status!r}; known: {', '.join(self.STATUS_NAMES)}") from None
        if isinstance(status, bool) or not isinstance(status, int):
            raise PageError(f"a status is a bit (Page.STATUS_HIDDEN ...) or its name, not {status!r}")
        return status

    def is_hidden(self) -> bool:
        return self.has_status(self.STATUS_HIDDEN)

    def is_unpublished(self) -> bool:
        return self.has_status(self.STATUS_UNPUBLISHED)

    def is_trash(self) -> bool:
        return self.has_status(self.STATUS_TRASH)

    def is_locked(self) -> bool:
        return self.has_status(self.STATUS_LOCKED)

    # -- access (the rules are in cms.access) -------------------------------------------------
    def viewable(self, user: Any = None, template_file: bool = False) -> bool:
        """May `user` (default: the acting user, `site.user`) view this page? Access alone;
        with `template_file=True` also whether its template has a file to render it with, as
        ProcessWire's `viewable()` asks by default (without one the public site answers 404):
        `{% if item.viewable(template_file=True) %}` links only to pages that render."""
        if not self.site.users.may(user, "page-view", self):
            return False
        return not template_file or has_template_file(self.site, self)

    def editable(self, user: Any = None) -> bool:
        """May `user` edit this page's fields? A locked page only for a superuser or a user
        holding page-lock on it, as ProcessWire's pageEditable() (who may unlock it; the
        admin's editor still shows a locked page locked); a locked template's pages (tasks,
        users) are kept by their module, editable by nobody through the page editor."""
        if self._template.settings.get("locked"):
            return False
        may = self.site.users.may
        if self.has_status(self.STATUS_LOCKED) and not may(user, "page-lock", self):
            return False
        return may(user, "page-edit", self)

    def addable(self, user: Any = None, template: Any = None) -> bool:
        """May `user` add children here: page-add here, and page-create for `template` (when
        given) or for some template a child here may have?"""
        if self._template.settings.get("no_children") or self.is_trash() or self.id == TRASH_ID:
            return False        # pages go to the trash with trash(), never added or moved there
        if not self.site.users.may(user, "page-add", self):
            return False
        if template is None:
            # as ProcessWire's addable() (addableTemplate): some template a child here may have
            # is one the user may create
            return any(self._template.allows_child(each) and self.site.users.may_create(user, each, self)
                       for each in self.site.templates)
        if isinstance(template, str):
            template = self.site.templates[template]
        return self.site.users.may_create(user, template, self)

    def trashable(self, user: Any = None) -> bool:
        """May `user` move this page to the trash?"""
        if (self.status & (self.STATUS_SYSTEM | self.STATUS_SYSTEM_ID | self.STATUS_LOCKED)
                or self.is_trash() or self._template.settings.get("no_trash") or not self.id):
            return False
        return self.site.users.may(user, "page-delete", self)

    def moveable(self, user: Any = None, parent: Any = None) -> bool:
        """May `user` move this page (under `parent`, when given: page-add there, as for a move
        the page's template need not be creatable by the user, and a parent whose template
        takes this page's, as ProcessWire's `$parent->addable($page)` asks)? Without `parent`,
        a page whose template names its parent templates is moveable only while some other
        page of them, one the user may view, could take it, as ProcessWire's moveable() counts
        them. A page in the trash may be moved out of it: that is how one whose old parent is
        gone comes back."""
        return self._moveable(user, parent, {})

    def _moveable(self, user: Any, parent: Any, others_found: dict[tuple[int, int], bool]) -> bool:
        """moveable(), keeping in `others_found` whether other parents exist for a template
        under a parent, which every sibling of that template shares (Pages.moveable_ids)."""
        # a locked page moves for nobody, as ProcessWire's moveable() says
        if (self.id in (0, 1)
                or self.status & (self.STATUS_SYSTEM | self.STATUS_SYSTEM_ID | self.STATUS_LOCKED)
                or self._template.settings.get("no_move")):
            return False
        if not (self.site.users.may(user, "page-edit", self)
                and self.site.users.may(user, "page-move", self)):
            return False
        if parent is None:
            named = self._template.settings.get("parent_templates")
            if not named:
                return True
            key = (self._template.id, self.parent_id)
            if key not in others_found:
                others = f"template={'|'.join(named)}, id!={self.parent_id}, include=unpublished"
                with nullcontext() if user is None else self.site.as_user(user):
                    others_found[key] = self.site.pages.count(others) > 0
            return others_found[key]
        if not isinstance(parent, Page):
            parent = self.site.pages.get(parent)
        return bool(parent) and parent.template.allows_child(self._template) and parent.addable(user)

    def trash(self) -> Page:
        self.site.pages.trash(self)
        return self

    def restore(self) -> Page:
        self.site.pages.restore(self)
        return self

    def render(self) -> str:
        """The page rendered with its template file (see cms.render)."""
        return self.site.render_page(self)

    # -- identity -----------------------------------------------------------------------------
    def __bool__(self) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Page):
            return NotImplemented
        return self.id == other.id and bool(self.id) and self.site is other.site

    def __hash__(self) -> int:
        return hash(("page", self.id))

    def __repr__(self) -> str:
        return f"<Page {self.id} {self._path or self.name!r}>"


# A PageArray key holding one of these is a selector, not a name (ProcessWire's
# Selectors::stringHasSelector; a page name has none of them)
SELECTOR_MARKS = ("=", "<", ">", "&")
# What `page.get()` answers besides fields (ProcessWire's get() reads its properties too)
PAGE_PROPERTIES = frozenset({"id", "name", "path", "url", "status", "sort", "created", "modified",
                             "created_users_id", "modified_users_id", "template", "parent",
                             "parent_id", "num_children", "root_parent"})


class NullPage(Page):
    """The page that was not found: falsy, id 0, every field blank."""

    def __init__(self, site: Site | None = None):
        super().__init__(site, None)  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return None

    def get(self, name: str, default: Any = None) -> Any:
        return default

    def set(self, name: str, value: Any) -> Page:
        raise PageError("cannot set a field on a NullPage (the page was not found)")

    def save(self, field: str | None = None) -> Page:
        raise PageError("cannot save a NullPage (the page was not found)")

    @property
    def parent(self) -> Page:
        return self

    @property
    def num_children(self) -> int:
        return 0

    def children(self, selector: str = "") -> PageArray:
        return PageArray([])

    def child(self, selector: str = "") -> Page:
        return self

    def find(self, selector: str = "") -> PageArray:
        return PageArray([])

    def siblings(self, selector: str = "") -> PageArray:
        return PageArray([])

    def __bool__(self) -> bool:
        return False

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NullPage)

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "<NullPage>"


def _implode_text(value: Any) -> str:
    """`value` as ProcessWire's implode() casts it to a string: a page is its id, pages their
    ids joined by "|", a checkbox 1 or 0, a float as PHP writes one ("2", "1.5E+14"), a date
    its timestamp (ProcessWire's value of a Datetime field); "" for no value, which
    implode() leaves out."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return php_float_text(value)
    if isinstance(value, datetime):
        return str(int(value.timestamp()))
    if isinstance(value, Page):
        return str(value.id) if value.id else ""
    if isinstance(value, PageArray):
        return "|".join(map(str, value.ids()))
    return str(value)


class PageArray:
    """Pages found by a selector, with `total` (all matches), `start` and `limit` for paging.

    `total` may be given as a function that counts: it runs once, on the first read of
    `total`, so a find whose caller never asks how many match beyond its `limit` pays no COUNT
    (on a parent with 100,000 children that count costs more than the find). The count then
    sees the database as it is at that read, like any other query.
    """

    def __init__(self, pages: Iterable[Page], total: int | Callable[[], int] | None = None,
                 start: int = 0, limit: int | None = None):
        self._pages = list(pages)
        self._total = len(self._pages) if total is None else total
        self.start = start
        self.limit = limit
        self._holder: tuple[Page, str, bool] | None = None    # the page and Page field it is the value of

    def held_by(self, page: Page, field: str, partial: bool = False) -> PageArray:
        """This array as the value of `page`'s Page field: `add()`, `prepend()`, `remove()`,
        `filter()`, `not_()` and `sort()` then set the field, saved with the page
        (ProcessWire's `$page->tags->add($p); $page->save()`). A `partial` array (read for a
        visitor, who is not shown every page it holds) refuses to set the field, as it would
        drop those pages: ProcessWire refuses to save a page read with output formatting on."""
        self._holder = (page, field, partial)
        return self

    def add(self, *items: Page | int | Iterable[Page | int]) -> PageArray:
        """Append pages (a page, a page id, a PageArray or a list of them), as ProcessWire's
        `add()`: a page the array holds moves to the end (WireArray::add re-adds it there, so
        no page is held twice); this array, changed."""
        added = self._unique_pages_of(items)
        self._pages = [page for page in self._pages if page.id not in added] + list(added.values())
        return self._changed()

    append = add

    def prepend(self, *items: Page | int | Iterable[Page | int]) -> PageArray:
        """Put pages first (a page already here moves), as ProcessWire's `prepend()`."""
        first = self._unique_pages_of(items)
        self._pages = list(first.values()) + [page for page in self._pages if page.id not in first]
        return self._changed()

    def remove(self, key: int | str | Page) -> PageArray:
        """Drop a page: by position, the page itself, its name or the pages a selector matches;
        this array, changed. ProcessWire's `remove()` takes no name (README: a key is read
        here as `get()` reads it)."""
        if isinstance(key, str) and any(mark in key for mark in SELECTOR_MARKS):
            found = set(self.find(key).ids())        # ProcessWire removes what find() gives
            self._pages = [page for page in self._pages if page.id not in found]
            return self._changed()
        gone = self.get(key)
        self._pages = [page for page in self._pages if page.id != gone.id]
        return self._changed()

    def remove_all(self) -> PageArray:
        """Empty this array (ProcessWire's `removeAll()`: on a Page field, no page referenced)."""
        self._pages = []
        return self._changed()

    def push(self, *items: Page | int | Iterable[Page | int]) -> PageArray:
        """`add()`, under the name ProcessWire gives it beside `pop()`."""
        return self.add(*items)

    def unshift(self, *items: Page | int | Iterable[Page | int]) -> PageArray:
        """`prepend()`, under the name ProcessWire gives it beside `shift()`."""
        return self.prepend(*items)

    def pop(self) -> Page:
        """Take the last page off this array and return it (NullPage when it is empty), as
        ProcessWire's `pop()`."""
        return self._take(-1)

    def shift(self) -> Page:
        """Take the first page off this array and return it (NullPage when it is empty), as
        ProcessWire's `shift()`."""
        return self._take(0)

    def _take(self, index: int) -> Page:
        if not self._pages:
            return NullPage()
        page = self._pages.pop(index)
        self._changed()
        return page

    def insert_before(self, item: Page | int, existing: Page) -> PageArray:
        """Put `item` (a page or page id, moved if here already) just before `existing`, as
        ProcessWire's `insertBefore()`; PageError when `existing` is not in this array
        (ProcessWire drops the item then)."""
        return self._insert(item, existing, 0)

    def insert_after(self, item: Page | int, existing: Page) -> PageArray:
        """Put `item` just after `existing` (ProcessWire's `insertAfter()`; see `insert_before`)."""
        return self._insert(item, existing, 1)

    def _insert(self, item: Page | int, existing: Page, after: int) -> PageArray:
        if not isinstance(existing, Page) or existing.id not in self.ids():
            raise PageError(f"cannot insert next to {existing!r}: it is not in this array")
        page = self._pages_of((item,))[0]
        if page.id == existing.id:
            return self                      # next to itself: where it is
        pages = [each for each in self._pages if each.id != page.id]
        at = next(i for i, each in enumerate(pages) if each.id == existing.id) + after
        self._pages = pages[:at] + [page] + pages[at:]
        return self._changed()

    def shuffle(self) -> PageArray:
        """Put this array's pages in a random order and return it (ProcessWire's `shuffle()`)."""
        random.shuffle(self._pages)
        return self._changed(recount=False)

    def _pages_of(self, items: tuple[Any, ...]) -> list[Page]:
        out: list[Page] = []
        for item in items:
            if isinstance(item, (PageArray, list, tuple)):
                out += self._pages_of(tuple(item))
            elif isinstance(item, Page) and item.id:
                out.append(item)
            elif isinstance(item, int) and not isinstance(item, bool):
                known = self._holder[0] if self._holder else self._pages[0] if self._pages else None
                page = known.site.pages.get(item) if known is not None and item > 0 else None
                if not page:
                    raise PageError(f"there is no page {item} to add")
                out.append(page)
            else:
                raise PageError(f"cannot add {item!r} to a PageArray: give a saved page or a page id")
        return out

    def _unique_pages_of(self, items: tuple[Any, ...]) -> dict[int, Page]:
        """The pages given, by id, each once: where it was given last, as a ProcessWire
        PageArray given them holds them (its add() re-adds a page at the end)."""
        pages: dict[int, Page] = {}
        for page in self._pages_of(items):
            pages.pop(page.id, None)
            pages[page.id] = page
        return pages

    def _changed(self, recount: bool = True) -> PageArray:
        """After a change of this array's pages: its total is what it holds (unless only the
        order changed), and a Page field's array sets the field (see `held_by`)."""
        if recount:
            self._total = len(self._pages)
        if self._holder is not None:
            page, field, partial = self._holder
            if partial:
                raise PageError(f"{page.path}'s {field} was read for a visitor and leaves out "
                                "pages it may not view: changed, it would drop them. Change it "
                                "as code or a logged-in user, or set it whole with page.set()")
            page.set(field, self._pages)
        return self

    @property
    def total(self) -> int:
        """How many pages match beyond `start` and `limit` (counted on first read if needed)."""
        if callable(self._total):
            self._total = self._total()
        return self._total

    def __iter__(self) -> Iterator[Page]:
        return iter(self._pages)

    def __len__(self) -> int:
        return len(self._pages)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return PageArray(self._pages[index])
        return self._pages[index]

    def __bool__(self) -> bool:
        return bool(self._pages)

    def __contains__(self, page: object) -> bool:
        return page in self._pages

    def count(self) -> int:
        return len(self._pages)

    def first(self) -> Page:
        return self._pages[0] if self._pages else NullPage()

    def last(self) -> Page:
        return self._pages[-1] if self._pages else NullPage()

    def eq(self, index: int) -> Page:
        """The page at `index` (negative counts from the end), or NullPage past either end
        (ProcessWire's `eq()`; `array[index]` raises there instead)."""
        return self._pages[index] if -len(self._pages) <= index < len(self._pages) else NullPage()

    def get(self, key: int | str | Page) -> Page:
        """One page of this array, as ProcessWire 3's `PageArray::get()` finds it: by position
        (its keys are 0, 1, 2 ...: `get(0)` is the first page, `get("2")` the third), this very
        page when given one (found by its id), by a selector (the first match, as `find_one`),
        by name, or by the first of names "a|b" present. NullPage when none is (ProcessWire
        answers null); a page by its id is `find_one(f"id={id}")`."""
        if isinstance(key, Page):
            return next((page for page in self._pages if page.id == key.id), NullPage())
        if isinstance(key, str) and key.isdecimal() and key.isascii():
            key = int(key)                  # "2" is a key as 2 is (PHP's array keys)
        if isinstance(key, int) and not isinstance(key, bool):
            return self._pages[key] if 0 <= key < len(self._pages) else NullPage()
        if not isinstance(key, str):
            raise TypeError(f"a PageArray's key is a position, a page, a name or a selector, not "
                            f"{type(key).__name__}")
        if any(mark in key for mark in SELECTOR_MARKS):
            return self.find_one(key)
        for name in key.split("|"):
            found = next((page for page in self._pages if page.name == name.strip()), None)
            if found is not None:
                return found
        return NullPage()

    def has(self, key: int | str | Page) -> bool:
        """Whether `get(key)` finds a page here: a position, a page, a selector, a name."""
        return bool(self.get(key))

    def get_next(self, page: Page) -> Page:
        """The page after `page` in this array, NullPage after the last or for a page not here
        (ProcessWire's `getNext()`; `page.next()` is the next sibling in the tree)."""
        return self._neighbour(page, 1)

    def get_prev(self, page: Page) -> Page:
        """The page before `page` in this array (ProcessWire's `getPrev()`; see `get_next`)."""
        return self._neighbour(page, -1)

    def _neighbour(self, page: Page, step: int) -> Page:
        ids = self.ids()
        if not isinstance(page, Page) or page.id not in ids:
            return NullPage()
        at = ids.index(page.id) + step
        return self._pages[at] if 0 <= at < len(self._pages) else NullPage()

    def slice(self, start: int, limit: int = 0) -> PageArray:
        """A new array of `limit` pages from position `start` (all the rest for 0), as
        ProcessWire's `slice()`: PHP's array_slice, so a negative start counts from the end and
        a negative limit leaves that many off the end."""
        rest = self._pages[start:] if start >= -len(self._pages) else self._pages
        return PageArray(rest[:limit] if limit else rest)

    def reverse(self) -> PageArray:
        """A new array of these pages, last first (ProcessWire's `reverse()`)."""
        return PageArray(reversed(self._pages))

    def get_random(self, count: int = 1, always_array: bool = False) -> Page | PageArray:
        """One page of this array at random (NullPage when it is empty), or for `count` above 1
        or `always_array` a new array of that many different pages, in this array's order, as
        ProcessWire's `getRandom()` picks them."""
        if count == 1 and not always_array:
            return random.choice(self._pages) if self._pages else NullPage()
        return self.find_random(count)

    def find_random(self, count: int) -> PageArray:
        """`count` different pages of this array at random, as a new array in this array's
        order (ProcessWire's `findRandom()`, which is `getRandom(count, true)`)."""
        chosen = set(random.sample(range(len(self._pages)), min(max(count, 0), len(self._pages))))
        return PageArray(page for i, page in enumerate(self._pages) if i in chosen)

    def find_one(self, selector: str) -> Page:
        """The first page of this array (in its order, or the selector's `sort=`) matching
        `selector`, or NullPage (ProcessWire's `findOne()`)."""
        return self.find(selector).first()

    def ids(self) -> list[int]:
        return [page.id for page in self._pages]

    def render_pager(self, **options: Any) -> Markup:
        """Links to the other pages of this find, as ProcessWire's `$items->renderPager()`
        (MarkupPagerNav's markup): `{{ words.render_pager() }}` in a template whose find has a
        `limit`. Options: `base_url`, `links` (10), `previous_label`, `next_label`,
        `list_class`, `list_aria_label`, `list_markup` (ProcessWire's `listMarkup`); see
        cms.pagination."""
        return render_pager(self.total, self.start, self.limit, **options)

    def explode(self, field: str) -> list[Any]:
        """Each page's `get(field)` (a field, or `id`, `name`, `path` ...), in order
        (ProcessWire's `$pages->explode('title')`)."""
        return [page.get(field) for page in self._pages]

    def implode(self, delimiter: str, field: str) -> str:
        """The pages' values of `field` joined by `delimiter`, pages storing none left out
        (ProcessWire's `implode(', ', 'title')`); in a template the result is escaped as any
        other text."""
        texts = (_implode_text(value) for value in self.explode(field))
        return delimiter.join(text for text in texts if text)

    def find(self, selector: str) -> PageArray:
        """The pages of this array that match `selector` as a new array (ProcessWire's
        `PageArray::find()`), in this array's order unless it says `sort=`; whatever their
        status, as `matches()`. The database answers, as for any find; `start=` and `limit=`
        then count this array's matches in that order, as WireArray::filterData slices them
        (so `start=` counts without a `limit=` too, where a find of the database ignores it)."""
        if not self._pages:
            return PageArray([])
        by_id = {page.id: page for page in self._pages}
        selectors = self._pages[0].site.selectors
        # the ids themselves, or for a long array (past the engines' limits on bound values)
        # their range, whose other pages are dropped below
        ids = f"id={'|'.join(map(str, by_id))}" if len(by_id) <= 1000 else \
            f"id>={min(by_id)}, id<={max(by_id)}"
        base = f"{ids}, include=all"
        query = selectors.plan(selector, base=base)
        start = query.start or 0
        paged = query.limit is not None or start
        found = [i for i in (selectors.select_query(replace(query, limit=None, start=0)) if paged
                             else selectors.select(selector, base=base)).ids if i in by_id]
        if sorts_of(selector):              # "sort=title, limit=3": the find's order
            pages = [by_id[page_id] for page_id in found]
        else:
            kept = set(found)
            pages = [page for page in self._pages if page.id in kept]
        limit = limit_of(selector)
        stop = None if limit is None or not (start or limit) else start + limit
        return PageArray(pages[start:stop])

    def filter(self, selector: str) -> PageArray:
        """Keep only the pages that match `selector` and return this array (ProcessWire's
        `filter()` changes the array it is called on; `find()` leaves it)."""
        self._pages = self.find(selector)._pages
        return self._changed()

    def not_(self, selector: str) -> PageArray:
        """Drop the pages that match any condition of `selector` and return this array, as
        ProcessWire's `not()` (a Python keyword, hence the underscore): its filterData drops a
        page as soon as one condition matches it (`not_("template=post, featured=1")` drops
        the posts and the featured pages; `filter()` keeps the pages matching all), then orders
        and slices what is left by the selector's `sort=`, `start=` and `limit=`."""
        conditions, options, paging = conditions_of(selector)
        matching: set[int] = set()
        for condition in conditions:
            matching.update(self.find(", ".join([condition, *options])).ids())
        self._pages = [page for page in self._pages if page.id not in matching]
        if paging:
            self._pages = self.find(", ".join(paging))._pages
        return self._changed()

    def sort(self, keys: str) -> PageArray:
        """Order this array by `keys` ("title", "-created, name") and return it: ProcessWire's
        `sort()` changes the array it is called on. The database compares the values, as for
        `find("sort=...")`, so the order is the one a find with those sort keys gives."""
        sorts = ", ".join(f"sort={key.strip()}" for key in keys.split(",") if key.strip())
        if not sorts:
            raise SelectorError(f"sort({keys!r}) names no field to sort by")
        self._pages = self.find(sorts)._pages
        return self._changed(recount=False)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PageArray):
            return self.ids() == other.ids()
        return NotImplemented

    def __repr__(self) -> str:
        return f"<PageArray {len(self)} of {self.total}: {self.ids()[:10]}>"
