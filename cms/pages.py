"""Pages: find, load, add, save, move, trash, restore and delete pages of the tree.

Every change checks what the acting user (`site.user`) may do here, so the admin, the API and
scripts run `as_user` get the same answer (cms.access has the rules); code outside a web request
acts with every right. Family rules hold for everyone: the home page and system pages stay put,
and pages of a `no_move` or `no_trash` template (users, roles, permissions, tasks) are neither
moved elsewhere nor (for `no_trash`) trashed.

Hot paths (get by id or path, add, save) run prebuilt SQL through `db.execute`; the statement
text for each field is built once per process. Every write runs in a transaction, so a failing
hook or value leaves nothing half-saved.
"""
from __future__ import annotations

import contextlib
import random
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Iterable

import peewee

from . import pagination, textindex
from .access import INSERT_ACCESS
from .db.base import in_chunks, placeholders
from .errors import NameConflict, PageError, PageLocked, PermissionDenied, ValidationError
from .fields import TITLE, Field
from .fieldtypes import has_lone_surrogate
from .hooks import Hookable, hookable
from .page import MAX_ID, MAX_SORT, MIN_SORT, TRASH_ID, NullPage, Page, PageArray, id_of_digits
from .pagestream import PageStream
from .raw import Asked, RawAnswer, RawFinder
from .sanitizer import numbered_name
from .templates import Template

if TYPE_CHECKING:
    from .site import Site

COLUMNS = ("p.id, p.parent_id, p.templates_id, p.name, p.status, p.sort, p.created, p.modified, "
           "p.created_users_id, p.modified_users_id, pp.path")
# A page comes with its title, as ProcessWire autojoins it: every list of pages shows titles,
# and reading them one page at a time cost a statement per page (a nav of ten children: ten).
# `title` is a system field, kept in one row per page (cms/fields.py refuses to delete it or
# change how it is stored). It is read by a subquery, as is the path of pages asked for by id:
# an index lookup per page on every engine, where PostgreSQL joined them by hashing the whole
# `field_title` and `pages_paths` tables for 20 pages of a site of some thousands (1.8 ms
# against 0.07 ms for 20 of 6,000, statistics current or not).
TITLE_OF_P = "(SELECT ti.data FROM field_title ti WHERE ti.pages_id = p.id)"
SELECT_PAGE = f"SELECT {COLUMNS}, {TITLE_OF_P} FROM pages p JOIN pages_paths pp ON pp.pages_id = p.id"
PATH_OF_P = "(SELECT pp.path FROM pages_paths pp WHERE pp.pages_id = p.id)"
SELECT_PAGES = f"SELECT {COLUMNS.replace('pp.path', PATH_OF_P)}, {TITLE_OF_P} FROM pages p"
TITLE_AT = COLUMNS.count(",") + 1
PATH_AT = TITLE_AT - 1
BY_ID = SELECT_PAGE + " WHERE p.id = ?"
BY_PATH = SELECT_PAGE + " WHERE pp.path = ?"
# Everything an insert needs to know about the parent and the name, in one round trip.
INSERT_CHECK = ("SELECT (SELECT path FROM pages_paths WHERE pages_id = ?), "
                "(SELECT templates_id FROM pages WHERE id = ?), "
                "(SELECT COUNT(*) FROM pages WHERE parent_id = ? AND name = ?), "
                "(SELECT MAX(sort) FROM pages WHERE parent_id = ?), "
                "(SELECT templates_id FROM pages_access WHERE pages_id = ?)")
DELETE_PAGE = "DELETE FROM pages WHERE id = ?"
IDS_AT_ONCE = 5000        # ids one find of `_found_among` asks for (a selector takes 10,000 values)
INSERT_PAGE = ("INSERT INTO pages (parent_id, templates_id, name, status, sort, created, modified, "
               "created_users_id, modified_users_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
INSERT_PATH = "INSERT INTO pages_paths (pages_id, path) VALUES (?, ?)"
TRASH_PATH = "/trash/"
# The hooks that run in a save once it has written (method, timing): one of them that fails
# must take the save's writes back with it. Hooks on `save_ready`, `save_field_ready`,
# `save_page_or_field_ready`, and before `save` and `save_field`, run before the first write.
AFTER_WRITE_HOOKS = {("save", "after"), ("save_field", "after")} | {
    (method, when) for when in ("before", "after")
    for method in ("added", "saved", "saved_field", "saved_page_or_field", "moved", "renamed",
                   "status_changed", "published", "unpublished", "trashed", "restored")}
RESTORED_ON_FAILURE = ("id", "name", "_path", "_parent_id", "_parent_before", "_name_before", "sort",
                       "status", "created", "modified")
TRASH_NAME = re.compile(r"^(\d+)\.(\d+)\.(-?\d+)_(.+)$")
MAX_NAME = 128          # the sanitizer's limit and the column's
NAME_ATTEMPTS = 10      # runs of a top-level save whose name other sessions take meanwhile


def empty_selector(selector: Any) -> bool:
    """PHP's empty() of a selector, which ProcessWire's find, findOne, get and count ask
    before anything else: None, "", "0", 0 and an empty list are no selector at all."""
    return selector is None or selector == [] or (
        not isinstance(selector, bool) and isinstance(selector, (str, int)) and selector in ("", "0", 0))


def titled(page: Page) -> str:
    """` (“Title”)` after a page's number or trash path in a refusal, for a page the acting
    user may view: the trash lists pages by title, and "its old parent 20054" named none."""
    title = page.get("title") if page and page.viewable() else ""
    return f" (“{title}”)" if title else ""


@contextlib.contextmanager
def kept_on(page: Page, key: str, value: Any) -> Iterator[None]:
    """`page.__dict__[key]` is `value` meanwhile, then what it was (a hook's own save of the
    page nests): what `name_previous`, `parent_previous` and `status_previous` read."""
    held = page.__dict__.get(key)
    page.__dict__[key] = value
    try:
        yield
    finally:
        if held is None:
            page.__dict__.pop(key, None)
        else:
            page.__dict__[key] = held


def previous(page: Page, name: str, parent_id: int) -> contextlib.AbstractContextManager[None]:
    """While a save, trash or restore runs its hooks, `page.name_previous` and
    `page.parent_previous` say what it changed from (None for what it did not change)."""
    return kept_on(page, "_previous", (name, parent_id))


def publishing_changed(page: Page) -> bool:
    """Whether the save under way sets or clears the page's unpublished flag (False when a hook
    set the status back: `status_previous` is None then)."""
    previous = page.status_previous
    return previous is not None and page.is_unpublished() != bool(previous & Page.STATUS_UNPUBLISHED)


def is_storable(text: str) -> bool:
    """False for text no engine can hold (NUL, unpaired surrogates): PostgreSQL and the UTF-8
    encoders raise on it, so a lookup by it can only find nothing."""
    return "\x00" not in text and not has_lone_surrogate(text)


def published(page: Page) -> Page:
    """A copy of `page` as it would be without its unpublished status (for an access check)."""
    copy = Page.__new__(type(page))
    copy.__dict__.update(page.__dict__)
    object.__setattr__(copy, "status", page.status & ~Page.STATUS_UNPUBLISHED)
    return copy


def subtree_range(path: str) -> tuple[str, str]:
    """Bounds of the paths strictly below `path` ("/a/" -> "/a/" < p < "/a0"): an index range."""
    return path, path[:-1] + "0"


PROFILE_FIELDS = frozenset({"email", "pass"})      # what a user may change of their own page
LOGIN_PROPERTIES = frozenset({"roles", "status", "pass", "parent"})   # whether a user logs in, and as whom
KNOWN_STATUS = sum(Page.STATUS_NAMES.values())
PLACE_STATUS = {Page.STATUS_TRASH: "page.trash() and page.restore()",
                Page.STATUS_DELETED: "site.pages.delete()"}
# What the page editor offers superusers alone (ProcessWire's getAllowedStatuses: unique, and in
# advanced mode system, systemId and draft): no other user sets or clears them, in the API too.
# Not `on`, which it offers there too: it means nothing here, and `status=Page.STATUS_HIDDEN`
# without it is how code asks for a hidden page.
SUPERUSER_STATUS = Page.STATUS_SYSTEM_ID | Page.STATUS_SYSTEM | Page.STATUS_UNIQUE | Page.STATUS_DRAFT


def checked_status(page: Page, stored: int) -> None:
    """A page's status as it may be saved: ProcessWire's bits only, none negative; the trash
    and deleted bits only as trash(), restore() and delete() set them (a page is in the trash
    exactly when it lies below the trash page); the system bits never cleared (code that did
    could then delete the guest user, and every request failed). ValidationError otherwise,
    nothing saved."""
    status = page.status
    if not isinstance(status, int) or isinstance(status, bool) or status < 0 or status & ~KNOWN_STATUS:
        raise ValidationError(f"page status {status!r} is not a sum of the status bits "
                              f"({', '.join(f'{k} {v}' for k, v in Page.STATUS_NAMES.items())})",
                              field="status", value=status, rule="bits")
    for bit, how in PLACE_STATUS.items():
        if (status ^ stored) & bit:
            # the trash bit is most often not set by hand: the object was loaded before another
            # process trashed or restored the page, and its status holds the bit as it was then
            stale = (f"; if another process trashed or restored page {page.id} since this object "
                     "was loaded, get it again and change that one" if bit == Page.STATUS_TRASH else "")
            raise ValidationError(f"the {'trash' if bit == Page.STATUS_TRASH else 'deleted'} "
                                  f"status is set and cleared by {how}, not by a status change{stale}",
                                  field="status", value=status, rule="place")
    kept = stored & ~status & (Page.STATUS_SYSTEM | Page.STATUS_SYSTEM_ID)
    if kept:
        name = "system" if kept & Page.STATUS_SYSTEM else "system_id"
        raise ValidationError(f"the {name} status of {page.path} is kept for good: a system page "
                              "is never deleted, renamed or moved, and nothing takes that off "
                              "(ProcessWire removes it only with its systemOverride status, "
                              "not offered here)", field="status", value=status, rule="system")


def name_conflict(name: str, parent_path: str, exc: Exception) -> NameConflict:
    """The unique (parent, name) index refused a write whose check found the name free."""
    said = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return NameConflict(f"another process saved a page named {name!r} under {parent_path} at "
                        f"the same moment ({said}); run the transaction again")


def writes(page_id: int, rows: list[tuple], insert: str, index: str) -> list[tuple[str, tuple]]:
    """The statements that store a field's rows for a page, and queue them for the field's
    trigram index (`index`, cms.textindex.insert_sql) when it has one."""
    statements = [(insert, (page_id, *row)) for row in rows]
    if index and rows:
        statements.append((index, (page_id,)))
    return statements


class Pages(Hookable):
    """The `site.pages` API. Hookable: add, save, save_field, trash, restore, delete, and the
    events under "hook points" below (save_ready ... deleted), as README lists them."""

    def __init__(self, site: Site):
        self.site = site
        self.db = site.db
        self._field_sql: dict[str, tuple[Field, str, str, str]] = {}
        self._writes: dict[int, tuple[Template, tuple[tuple[str, Field, str], ...]]] = {}
        self._many_sql: dict[int, str] = {}
        # pages this process deleted so far: references read ahead for a find (Page.get) are
        # given only while no page was deleted since, so a deleted page drops out as it did
        self.deletions = 0
        self._clock: tuple[int, datetime, Any] = (0, datetime.fromtimestamp(0, UTC), None)
        self._text_index = textindex.PendingList(self.db)
        self._undo = threading.local()       # this thread's hooked adds in progress (_add_undoable)

    # -- reading ------------------------------------------------------------------------------
    def from_row(self, row: tuple) -> Page:
        """A page from a row of `COLUMNS` (for code that joins pages into its own query, as a
        Tasker step loads its task and page in one round trip), or of `SELECT_PAGE` (its title
        too)."""
        db = self.db
        template = self.site.templates[row[2]]
        page = Page(self.site, template, id=row[0], parent_id=row[1], name=row[3],
                    status=row[4], sort=row[5], created=db.dt_value(row[6]),
                    modified=db.dt_value(row[7]), created_users_id=row[8],
                    modified_users_id=row[9], path=row[10])
        if len(row) > TITLE_AT and template.has_field(TITLE):
            title, field = row[TITLE_AT], self.site.fields[TITLE]
            page._values[TITLE] = None if title is None else field.type.from_db(field, db, title)
        return page

    def get(self, key: int | str) -> Page:
        """A page by id, by path ("/about/", in any case: "/About/" too), by name ("about":
        ProcessWire reads a selector that is only a page name as `name=`) or by selector; a
        NullPage when there is none.

        Like ProcessWire's get(), hidden, unpublished and trashed pages are found too, and an
        include= in the selector does not narrow that (`get("name=x, include=hidden")` finds an
        unpublished x, as there); use `find_one()` for the status filtering of `find()`. A path
        may be followed by options (`"/about/, include=all"`). An empty key (None, "", "0", 0,
        []) is no page, as there (PHP's empty()), not the first page of an empty selector.
        """
        if isinstance(key, bool):
            raise TypeError("pages.get() takes an id, a path or a selector, not a bool")
        if empty_selector(key):
            return NullPage(self.site)
        if isinstance(key, int):
            if not 0 < key <= MAX_ID:        # no page has it: SQLite cannot even bind it
                return NullPage(self.site)
            row = self.db.one(BY_ID, (key,))
        elif isinstance(key, str) and key.startswith("/") and "," not in key:   # a path alone
            # as ProcessWire's path=: slashes at either end trimmed (`//a//` is /a/), and
            # names, lower case ASCII, compared in any case (MySQL's ascii_general_ci)
            inner = key.strip("/")
            path = f"/{inner}/" if inner else "/"
            page = self.get_by_path(path)
            if not page and path != path.lower():
                page = self.get_by_path(path.lower())
            return page
        elif isinstance(key, str) and key.strip().isdecimal():
            return self.get(id_of_digits(key))
        elif isinstance(key, str):
            # As ProcessWire's get() (its findAll option): no status excludes a page, whatever
            # include= says; `status=` still filters ("/about/, include=all" is path= too).
            result = self.site.selectors.select(key, find_all=True, one=True)
            pages = self.get_many(result.ids[:1])
            return pages[0] if pages else NullPage(self.site)
        else:
            raise TypeError(f"pages.get() takes an id, a path or a selector, not {type(key).__name__}")
        return self.from_row(row) if row else NullPage(self.site)

    def has(self, key: int | str) -> int:
        """The id of the page `get(key)` gives, or 0: ProcessWire's `$pages->has()`, a test of
        existence that loads no page for a selector (hidden, unpublished and trashed pages
        count, as for `get()`)."""
        if isinstance(key, str) and key.strip() and not key.startswith("/") and not key.strip().isdecimal():
            return next(iter(self.site.selectors.select(key, find_all=True, one=True).ids), 0)
        return self.get(key).id

    def get_by_path(self, path: str) -> Page:
        """The page at a path ("/about/team/", the last slash optional), of any status; a
        NullPage for any other text. Unlike get(), never a selector: for a path that comes
        from outside, such as a URL (ProcessWire's getByPath)."""
        if not path.startswith("/") or not is_storable(path):
            return NullPage(self.site)     # no page has such a path, on any engine
        row = self.db.one(BY_PATH, (path if path.endswith("/") else path + "/",))
        return self.from_row(row) if row else NullPage(self.site)

    def get_typed(self, text: str) -> Page:
        """The page a person typed: an id (ASCII digits) or a path; a NullPage for anything
        else. Unlike get(), never a name or a selector: "about" names no page here."""
        text = text.strip()
        if text.isascii() and text.isdecimal():
            return self.get(id_of_digits(text))
        return self.get_by_path(text)

    def nearest_by_path(self, path: str, below: int) -> tuple[Page, list[str]]:
        """The page at the longest path that starts `path` and leaves at most `below` of its
        parts after it, and those parts: what a URL with URL segments or a page number
        (`/blog/tag/news/page2`) names, in one statement. (NullPage, []) when none does."""
        parts = [part for part in path.strip("/").split("/") if part]
        if not is_storable(path) or len(parts) > 256:
            return NullPage(self.site), []
        paths = ["/" + "".join(part + "/" for part in parts[:n])
                 for n in range(max(0, len(parts) - below), len(parts) + 1)]
        rows = self.db.all(SELECT_PAGE + f" WHERE pp.path IN ({placeholders(len(paths))})", paths)
        if not rows:
            return NullPage(self.site), []
        page = self.from_row(max(rows, key=lambda row: len(row[PATH_AT])))
        return page, parts[page.path.count("/") - 1:]

    def existing(self, ids: list[int]) -> set[int]:
        """Which of these ids are pages (one query per 500). An id past MAX_ID is none: SQLite
        could not even bind it."""
        found: set[int] = set()
        for chunk, marks in in_chunks([i for i in dict.fromkeys(ids) if i <= MAX_ID]):
            found.update(row[0] for row in self.db.all(f"SELECT id FROM pages WHERE id IN ({marks})", chunk))
        return found

    def viewable_ids(self, ids: Iterable[int]) -> set[int]:
        """Which of these ids are pages the acting user may view, of any status but trashed:
        what a user may be shown of, or point a Page field at."""
        return self._found_among(ids, "include=unpublished")

    def _found_among(self, ids: Iterable[int], options: str) -> set[int]:
        """Which of these ids a find with `options` gives the acting user: one find per
        IDS_AT_ONCE ids, as a selector takes at most 10,000 values."""
        unique, found = sorted(set(ids)), set()
        for at in range(0, len(unique), IDS_AT_ONCE):
            found.update(self.find_ids(f"id={'|'.join(map(str, unique[at:at + IDS_AT_ONCE]))}, {options}"))
        return found

    def get_many(self, ids: list[int]) -> list[Page]:
        """Pages by id, in the order given (missing ids skipped), in one query per 500."""
        rows = self._rows_by_id(ids)
        pages = [self.from_row(rows[i]) for i in ids if i in rows]
        if len(pages) > 1:
            # a field one of them reads is read for all (Page.get); weakly held, so a page kept
            # from a large find does not keep the others alive
            batch = list(map(weakref.ref, pages))
            for page in pages:
                page.__dict__["_batch"] = batch
        return pages

    def _rows_by_id(self, ids: Iterable[int]) -> dict[int, tuple]:
        """The rows of pages by id (missing ones left out), one query per 500."""
        rows: dict[int, tuple] = {}
        for chunk, marks in in_chunks(list(ids)):
            sql = self._many_sql.get(len(chunk))
            if sql is None:
                sql = self._many_sql[len(chunk)] = SELECT_PAGES + f" WHERE p.id IN ({marks})"
            # (a page without its path row, which `run.py check` repairs, is left out as the
            # join with pages_paths leaves it out of every other read)
            rows.update((row[0], row) for row in self.db.all(sql, chunk) if row[PATH_AT] is not None)
        return rows

    def find(self, selector: str = "", *, base: str | None = None,
             enforce_access: bool = False) -> PageArray:
        """Pages matching a selector, with `.total` counting all matches beyond `limit`; on page
        N of a rendered request, one with a `limit` and no `start=` starts on that page
        (cms.pagination).

        The total is counted when first read (one COUNT), unless the page of matches tells it.
        With `enforce_access` the acting user's view access holds even where the selector says
        `check_access=0` or `include=all`: for a selector a user typed (the admin's Find).
        """
        if base is None and empty_selector(selector):
            # ProcessWire's PagesLoader::findShortcut: an empty selector finds nothing
            return PageArray([], 0, 0, None)
        result = self.site.selectors.select(selector, base=base, enforce_access=enforce_access,
                                            page_num=pagination.page_num())
        total = result.count_all if result.total is None else result.total
        return PageArray(self.get_many(result.ids), total, result.start, result.limit)

    def find_one(self, selector: str = "", *, base: str | None = None) -> Page:
        """The first page matching `selector`, or NullPage. As ProcessWire's findOne, a page
        the acting user may not view (unpublished and not theirs to edit, or of a template they
        may not view, found under include=all or check_access=0) or a trashed page (whoever
        asks, unless it is unpublished too and theirs to edit) is given only where the first
        include= the selector names is all, or its first check_access= is 0, or its first
        include= is unpublished for a page they could view were it published."""
        if base is None and empty_selector(selector):
            return NullPage(self.site)      # ProcessWire's findOne(""): nothing to find
        engine = self.site.selectors
        pages = self.get_many(engine.select(selector, base=base, one=True).ids[:1])
        if not pages:
            return NullPage(self.site)
        page = pages[0]
        # ProcessWire's viewable(false) refuses a trashed page to all (the superuser too),
        # unless it is unpublished as well and the user, logged in, may edit it (code outside
        # a request acts with every right, as a superuser)
        unpublished = page.status & Page.STATUS_UNPUBLISHED
        acting = self.site.acting_user()
        editor = page.editable() and (acting is None or not acting.is_guest())
        if page.is_trash() and not (unpublished and editor) or not page.is_trash() and not page.viewable():
            query = engine.plan(selector, base)
            if query.check_access_given is not False and query.include != "all" and not (
                    query.include == "unpublished" and not page.is_trash()
                    and self.site.users.may(None, "page-view", published(page))):
                return NullPage(self.site)
        return page

    def find_ids(self, selector: str = "", *, base: str | None = None,
                 enforce_access: bool = False) -> list[int]:
        return self.site.selectors.select(selector, base=base, enforce_access=enforce_access,
                                          page_num=pagination.page_num()).ids

    def find_join(self, selector: str, fields: str | Sequence[str]) -> PageArray:
        """`find()` with these fields read for all the pages at once (ProcessWire's
        `$pages->findJoin()`; a CSV or `|`-separated string, or a list of names). A field read
        on one page of any find is read so for all its pages anyway; this reads them now, so
        nothing is read while the pages are shown. An unknown field is a ValidationError."""
        names = fields.replace("|", ",").split(",") if isinstance(fields, str) else list(fields)
        names = [name.strip() for name in names if name.strip()]
        for name in names:
            self.site.fields[name]                     # a ValidationError names an unknown one
        found = self.find(selector)
        batch = [weakref.ref(page) for page in found]
        for name in names:
            self.load_field_of_batch(batch, name)
        return found

    def find_raw(self, selector: str = "", fields: Asked = None, *,
                 indexed: bool = True, flat: bool | str = False, nulls: bool = False) -> RawAnswer:
        """Stored values of the pages `selector` finds, by page id, without loading pages:
        ProcessWire's `$pages->findRaw()`. `fields`: one name (one value per page), several
        (a dict per page), a dict renaming them, or None for everything. cms/raw.py says the
        shapes and where they differ from ProcessWire's."""
        return RawFinder(self).find(selector, fields, indexed=indexed, flat=flat, nulls=nulls)

    def count(self, selector: str = "", *, base: str | None = None) -> int:
        if base is None and empty_selector(selector):
            # ProcessWire's count(""): every page, of any status; but only those the acting
            # user may view (DESIGN: count honours view access), so a guest learns no more
            selector = "include=all, check_access=1"
        return self.site.selectors.count(selector, base=base)

    def find_many(self, selector: str = "", *, base: str | None = None, chunk: int = 500) -> PageStream:
        """The matching pages read in chunks as they are iterated, as ProcessWire's findMany():
        memory stays flat however many there are; len() and `.total` count them (PageStream).
        They are those the acting user may view now, whoever acts when they are read."""
        if chunk < 1:
            raise ValueError("chunk must be 1 or more")
        selectors = self.site.selectors
        return PageStream(self, selectors.for_user(selectors.plan(selector, base)), chunk,
                          pagination.page_num())

    def num_children(self, page_id: int) -> int:
        return self.db.scalar("SELECT COUNT(*) FROM pages WHERE parent_id = ?", (page_id,)) or 0

    def num_children_of(self, ids: list[int]) -> dict[int, int]:
        """Each page's number of children (0 included), in one statement per 500 pages: a list
        that shows every row's count (the admin's tree) would otherwise ask once per row."""
        counts = dict.fromkeys(ids, 0)
        for chunk, marks in in_chunks(ids):
            counts.update(self.db.all("SELECT parent_id, COUNT(*) FROM pages WHERE parent_id IN "
                                      f"({marks}) GROUP BY parent_id", chunk))
        return counts

    def parents_of(self, page: Page) -> PageArray:
        parts = page.path.strip("/").split("/") if page.path not in ("", "/") else []
        paths = ["/"] + ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts))]
        if not page.path or page.id == 1:
            return PageArray([])
        rows = self.db.all(SELECT_PAGE + f" WHERE pp.path IN ({', '.join('?' * len(paths))})", paths)
        return PageArray(sorted((self.from_row(r) for r in rows), key=lambda p: len(p.path)))

    def load_field(self, page: Page, name: str) -> Any:
        """A field's stored value for a page (None when nothing is stored)."""
        field = self.site.fields[name]
        select = self._sql_for(field)[1]
        if field.type.kind == "page":
            return [row[0] for row in self.db.all(select, (page.id,))]
        row = self.db.one(select, (page.id,))
        return None if row is None else field.type.from_db(field, self.db, row[0])

    def load_field_of_batch(self, batch: list[weakref.ref[Page]], name: str) -> None:
        """Read a field for every page of `batch` (pages one find loaded) whose template has it
        and that has not read it yet, one statement per 500 pages: a template listing its
        pages' summaries reads them in one go, not once per page (ProcessWire's autojoin,
        chosen by use rather than by a field setting)."""
        field = self.site.fields[name]
        waiting = {page.id: page for page in map(lambda ref: ref(), batch)
                   if page is not None and page.id and name not in page._values
                   and page.template.has_field(name)}
        values = self.stored_values(field, list(waiting))
        blank = [] if field.type.kind == "page" else None       # as load_field reads none
        for page_id, page in waiting.items():
            page._values[name] = values.get(page_id, blank)

    def stored_values(self, field: Field, ids: list[int]) -> dict[int, Any]:
        """{page id: what `field` stores} for the pages among `ids` storing a value, one
        statement per 500: a value as the field reads it, or for a Page field its page ids in
        the field's order."""
        many = field.type.kind == "page"
        values: dict[int, Any] = {}
        for chunk, marks in in_chunks(ids):
            for page_id, data in self.db.all(f"SELECT pages_id, data FROM {field.table} WHERE pages_id "
                                             f"IN ({marks}){' ORDER BY sort' if many else ''}", chunk):
                if many:
                    values.setdefault(page_id, []).append(data)
                else:
                    values[page_id] = field.type.from_db(field, self.db, data)
        return values

    def referenced(self, field: Field, ids: list[int]) -> Any:
        """The pages a Page field refers to, read now (a deleted page simply drops out; a
        visitor gets only those it may view, `shown_ids`)."""
        return self.referenced_pages(field, self.get_many(self.shown_ids(ids)))

    def shown_ids(self, ids: Iterable[int]) -> list[int]:
        """The ids of referenced pages a Page field's value gives: to a visitor (the guest),
        only those it may view. ProcessWire's formatted value, which templates and the front
        end read, leaves out unpublished and trashed pages; a template listing `page.refs`
        here showed a visitor drafts and pages its access hides. Code and logged-in users get
        every one (an editor's form must not drop a reference it does not show)."""
        ids = list(ids or ())
        if not ids or not self.shows_visitor():
            return ids
        seen = self._found_among(ids, "include=hidden")   # published, hidden ones too, as there
        return [i for i in ids if i in seen]

    def shows_visitor(self) -> bool:
        """Whether a Page field read now gives only what the guest may view (`shown_ids`):
        also the key of the pages `load_references_of_batch` keeps, so a read by code never
        takes what was read for the guest, nor the guest what was read for code."""
        return self.site.acting_grants() is not None and self.site.user.is_guest()

    def referenced_pages(self, field: Field, pages: list[Page]) -> Any:
        """A Page field's value from the pages it holds: a PageArray, or one page (NullPage)."""
        if field.settings.get("multiple"):
            return PageArray(pages)
        return pages[0] if pages else NullPage(self.site)

    def load_references_of_batch(self, page: Page, field: Field) -> dict[str, tuple] | None:
        """The pages a Page field holds, read for every page of `page`'s find (its batch)
        that has read the field's ids, in one statement per 500 pages held; each holder gets
        objects of its own (a page held twice is two objects, as two reads give), kept for its
        next read of the field only, with the ids they were read for, `deletions` then and
        whether they were read for the guest (`Page.get` takes them once, and only while the
        field holds those ids, this process deleted no page since and the reader is filtered
        as the first was, `shows_visitor`: so a later read, a changed value, a delete or
        another reader reads the database again; a page another process deletes meanwhile
        may still be given, as every value a find's pages read together is as of that read).
        Returns `page`'s own ready values."""
        name = field.name
        holders = [held for held in map(lambda ref: ref(), page._batch)
                   if held is not None and held.id and held._values.get(name)
                   and name not in held.__dict__.get("_ready", ())]
        if not any(held is page for held in holders):
            holders.append(page)
        visitor = self.shows_visitor()
        rows = self._rows_by_id(self.shown_ids(dict.fromkeys(
            i for page in holders for i in page._values[name])))
        made: list[Page] = []
        for holder in holders:
            pages = [self.from_row(rows[i]) for i in holder._values[name] if i in rows]
            made += pages
            holder.__dict__.setdefault("_ready", {})[name] = (
                tuple(holder._values[name]), pages, self.deletions, visitor)
        if len(made) > 1:
            refs = list(map(weakref.ref, made))      # their own fields are read together too
            for held in made:
                held.__dict__["_batch"] = refs
        return page.__dict__.get("_ready")

    # -- writing ------------------------------------------------------------------------------
    def new(self, template: Template | str, parent: Page | int | str, name: str | None = None,
            **values: Any) -> Page:
        """An unsaved page: `save()` adds it. Values are checked now."""
        self.site.refresh_schema()          # a field another process added a second ago counts
        if isinstance(template, str):
            template = self.site.templates[template]
        elif not isinstance(template, Template):
            raise PageError(f"a page's template is a Template or its name, not {template!r}")
        # The parent is given to the constructor rather than through the `parent` setter (a
        # third of the cost of a bare page); a new page's _parent_before is never read.
        page = Page(self.site, template, parent_id=self.parent_id_of(parent))
        page._changed.add("parent")
        if name is not None:
            page.name = name                         # the setter sanitizes it
            if not page.name:
                raise ValidationError(f"page name {name!r} has no usable characters "
                                      "(letters, digits, - _ .)", field="name", value=name, rule="name")
        for key, value in values.items():
            if key == "status":
                page.status = value
            else:
                page.set(key, value)
        self.check_limits(page, [key for key in values if key != "status"])
        return page

    def check_limits(self, page: Page, names: Iterable[str]) -> None:
        """Refuse the values of the named fields of `page` that pass their field's limits (an
        Integer's min and max, a text's maxlength): every save asks before its first write, so
        `page.qty = 11` is taken and `page.save()` refuses it (ValidationError), as DESIGN.md
        says; `new()` and `add()` ask at once, for the values they are given."""
        fields, values = self.site.fields, page._values
        for name in names:
            field = fields[name]
            field.type.check_limits(field, values.get(name))

    @hookable
    def add(self, template: Template | str, parent: Page | int | str, name: str | None = None,
            **values: Any) -> Page:
        """Create and save a page under `parent`; its name comes from the title when not given."""
        page = self.new(template, parent, name, **values)
        self.save(page)
        return page

    def parent_id_of(self, parent: Page | int | str) -> int:
        """The id of the page `parent` names (a saved Page, an id, or a path or id as text, as
        `add()` and `page.parent = ...` take it); a PageError for anything else or no page."""
        if isinstance(parent, Page):
            if not parent.id:
                raise PageError("the parent page does not exist (NullPage or not saved yet)")
            return parent.id
        if isinstance(parent, (int, str)) and not isinstance(parent, bool):
            found = self.get(parent)
            if not found:
                raise PageError(f"parent {parent!r} does not exist")
            return found.id
        raise PageError(f"parent must be a Page, an id or a path, not {type(parent).__name__}")

    @property
    def text_index(self) -> textindex.PendingList:
        """This process's queue of titles waiting for the title's trigram index (a Tasker step
        that commits part way widens it: `PendingList.widen`)."""
        return self._text_index

    def save(self, page: Page, field: str | None = None) -> bool:
        """Save a page (or one field of it) in one transaction, hooks included.

        A hook or value that fails rolls everything back, and a page that was new stays new.
        At the top level a deadlock or serialization failure runs the save again (the whole
        transaction is ours, so that is safe); inside a caller's transaction it is raised for
        the caller, who owns the transaction, to retry.
        """
        if not isinstance(page, Page) or isinstance(page, NullPage):
            raise PageError(f"cannot save {page!r}: not a page")
        self.site.refresh_schema()
        if page.id and "roles" in page._changed and page.template.name == "user":
            self.site.users.check_guest_rights(page)
        elif page.id and "permissions" in page._changed and page.template.name == "role":
            self.site.users.check_guest_rights(page)
        if not self.db.in_transaction():
            return self.db.retry(self._save_top(page, field))
        # Inside a caller's transaction, with no hook that could fail half-way, the writes are
        # one fixed sequence validated beforehand: a savepoint would only cost two statements
        # per page and SQLite's copy of every page they change (a third of a bulk import's
        # time). A hook that runs before the first write and fails leaves nothing of the save
        # written; what that hook wrote itself stays in the caller's transaction, as the writes
        # of any code before an exception do.
        hooked = not self.site.hooks.hooked_timings.isdisjoint(AFTER_WRITE_HOOKS)
        if hooked and not page.id:
            return self._add_undoable(page, field)
        return self._save_restoring(page, field, savepoint=hooked)

    def _save_top(self, page: Page, field: str | None) -> Callable[[], bool]:
        """A save in a transaction of its own, to run (and run again after a deadlock): again
        when another process took the name a moment ago (the next run sees it taken and frees
        one, as for any name), up to NAME_ATTEMPTS runs: sessions adding one name at once all
        pick the same free number, and each loss means another session's page was stored.
        Each run starts from the values the page had when saved, so a hook that changed them
        runs on what it saw the first time."""
        values, changed = dict(page._values), set(page._changed)

        def attempt() -> bool:
            page.__dict__.update(_values=dict(values), _changed=set(changed))
            return self._save_restoring(page, field, savepoint=True)

        def run() -> bool:
            for lost in range(1, NAME_ATTEMPTS):
                try:
                    return attempt()
                except NameConflict:
                    # the sessions that lost would pick the next free number together again:
                    # apart, each finds the one before it stored
                    time.sleep(random.uniform(0.005, 0.05) * lost)
            return attempt()
        return run

    def _save_restoring(self, page: Page, field: str | None, savepoint: bool) -> bool:
        """Run the save; on failure put the page object back as it was before."""
        before = page.__dict__.copy()
        # one field of a saved page is ProcessWire's saveField, with events of its own
        save = self._save_field if field and page.id and page.template.has_field(field) else self._save
        try:
            if not savepoint:
                return save(page, field)
            with self.site.transaction():
                return save(page, field)
        except BaseException:
            page.__dict__.update({attr: before[attr] for attr in RESTORED_ON_FAILURE})
            raise

    def _add_undoable(self, page: Page, field: str | None) -> bool:
        """A hooked add inside a caller's transaction, undone alone if a hook after its writes
        fails, as a savepoint around the whole save would undo it, at a fraction of the cost.

        The savepoint is taken after the page's own rows are written (`_hooks_after_writes`),
        so SQLite copies to its statement journal only what the hooks change, not the 15 or
        so database pages an add touches (a savepoint before the writes cost a hooked add a
        third more, bench/bench_hooks.py). On a failure the hooks' writes go back to the
        savepoint and the page's rows are deleted (its field, path and access rows with it,
        by their foreign keys). A failure before that savepoint is a failure of the writes
        themselves, which leave the caller's transaction as an unhooked add does.
        """
        stack = self._undo.__dict__.setdefault("adds", [])
        stack.append([page, "", 0])          # the page, then its savepoint and id once written
        try:
            result = self._save_restoring(page, field, savepoint=False)
        except BaseException as exc:
            _, savepoint, added = stack.pop()
            # (nothing to undo where the error ended the whole transaction, savepoint and all)
            if savepoint and not self.db.ends_transaction(exc):
                self.db.rollback_to(savepoint)
                self.db.execute(f"RELEASE SAVEPOINT {savepoint}")
                self.db.execute(DELETE_PAGE, (added,))
            raise
        _, savepoint, _ = stack.pop()
        if savepoint:
            self.db.execute(f"RELEASE SAVEPOINT {savepoint}")
        return result

    def _saved_moved(self, page: Page, changes: list[str], name_before: str, parent_before: int,
                     status_changed: bool) -> None:
        """The events of a save that renamed or moved the page, in ProcessWire's order
        (PagesEditor::savePageFinish, then the save's callback): saved, renamed, moved,
        status_changed, and for a save into or out of the trash (trash() and restore() are
        such saves) trashed or restored; `name_previous` and `parent_previous` say what it
        was. Such a save changed the name and the status too (`saved` lists them, as
        ProcessWire's), though only the parent was set."""
        previous_status = page.status_previous if status_changed else None
        placed = previous_status is not None and (previous_status ^ page.status) & Page.STATUS_TRASH
        also = {"name"} if page._name_before != name_before else set()
        if placed:
            also.add("status")
        if not also <= set(changes):
            changes = sorted({*changes, *also})
        with previous(page, name_before, parent_before):
            self.saved(page, changes)
            self.saved_page_or_field(page, changes)
            if page._name_before != name_before:
                self.renamed(page)
            if page._parent_before != parent_before:      # (a save of the name alone moves not)
                self.moved(page)
            if status_changed:
                self.status_changed(page)
            if placed:
                (self.trashed if page.is_trash() else self.restored)(page)

    def _hooks_after_writes(self, page: Page) -> None:
        """Where an add's rows are written and its hooks are next: take the savepoint that
        `_add_undoable` waits for (named by its depth: a hook may add pages too)."""
        stack = getattr(self._undo, "adds", None)
        if stack and stack[-1][0] is page:
            stack[-1][1:] = [f"cms_add_{len(stack)}", page.id]
            self.db.savepoint(stack[-1][1])

    @hookable
    def _save_field(self, page: Page, field: str) -> bool:
        """Save one field of a saved page (`page.save("title")`), as ProcessWire's saveField:
        its events are `save_field_ready` and `saved_field` (given the Field), not the whole
        save's `save_ready` and `saved`; `save_page_or_field_ready` and `saved_page_or_field`
        come with either. Other changes wait for the next save()."""
        definition = self.site.fields[field]
        self.save_field_ready(page, definition)
        self.save_page_or_field_ready(page, field)
        changes = self._update(page, field)
        self.saved_field(page, definition)
        self.saved_page_or_field(page, [field])
        page.__dict__.setdefault("_written", set()).update(changes)    # as _save_page keeps it
        page._changed.discard(field)
        return True

    @hookable
    def _save(self, page: Page, field: str | None = None) -> bool:
        """The save hooked as `save` (ProcessWire's Pages::save): a whole one, or of a property
        (`page.save("status")`); the status events around it when it changes the status."""
        stored, placed = self._stored_status(page, field)
        if stored is None or stored == page.status:
            return self._save_page(page, field, placed)
        # a status change, as ProcessWire's: statusChangeReady before saveReady, statusChanged
        # after the save's other events; `page.status_previous` says what it was meanwhile
        with kept_on(page, "_status_previous", stored):
            self.status_change_ready(page)
            return self._save_page(page, field, placed, status_changed=True)

    def _stored_status(self, page: Page, field: str | None) -> tuple[int | None, int | None]:
        """The stored status of a page whose save may give it another one, and that status
        with the trash bit where the save puts the page; (None, None) for other saves. A save
        may give another status by setting one (add_status, remove_status, `status =`), or by
        a new parent in or out of the trash, which sets or clears the trash bit: such a page is
        made ready here, before the save's hooks (`_place`). Read once, under the page's row
        lock, for the status hooks and `_update`'s check of the trash bits, only for a save
        that set either."""
        if not page.id or field not in (None, "status", "parent"):
            return None, None
        sets_status = "status" in page._changed and field != "parent"
        moves = ("parent" in page._changed and field != "status"
                 and page.parent_id != page._parent_before)
        if not sets_status and not moves:
            return None, None
        if self.db.for_no_key_update:
            # read under the page's row lock, as `_update` writes: read before a wait for a
            # trash or restore another process was committing, a status was checked against
            # the trash bit of before and written over the new one
            self.db.defer("SELECT id FROM pages WHERE id = ?" + self.db.for_no_key_update, (page.id,))
        if moves:
            # and the new parent's status after its hold (`_move` takes it anyway): read before,
            # a page moved under a parent being restored was named for the trash
            self._hold_parent(page.parent_id)
        stored, *place, parent_status = self.db.one(
            "SELECT status, parent_id, sort, (SELECT status FROM pages WHERE id = ?) "
            "FROM pages WHERE id = ?", (page.parent_id, page.id)) or (None, None, None, None)
        if stored is None:
            return None, None
        placing = page.__dict__.get("_placing")      # trash() or restore()
        if placing and bool(stored & Page.STATUS_TRASH) == (placing == "trash"):
            # another process trashed or restored it since it was loaded: saved as this object
            # holds it, the page took the name it had then (its trash name out of the trash)
            raise PageError(f"page {page.id}{titled(page)} is "
                            + ("in the trash already: another process put it there"
                               if placing == "trash" else "not in the trash: another process took it out")
                            + " since it was loaded; nothing was saved")
        if moves and parent_status is not None:
            into_trash = page.parent_id == TRASH_ID or bool(parent_status & Page.STATUS_TRASH)
            if into_trash != bool(stored & Page.STATUS_TRASH):
                self._place(page, into_trash, *place)
                return stored, stored ^ Page.STATUS_TRASH
        return stored, stored

    @staticmethod
    def _place(page: Page, into_trash: bool, parent_id: int, sort: int) -> None:
        """A page a save takes into the trash or out of it, made ready before the save's hooks
        (which see it as it will be stored), as ProcessWire's save calls trash() or restore()
        first: into it, the name restore() reads back (`ID.PARENT.SORT_name`, of the stored
        parent and sort and the name the page has, a rename it holds included, as
        ProcessWire's trash() names it) and the trash bit; out of it, the trash bit cleared
        and, unless the save names it otherwise, its own name and sort back (a name taken
        meanwhile is made unique when it is written). The trash name is cut to the column's
        128 characters, as ProcessWire's name setter cuts it, so a long name comes back from
        the trash shortened by its prefix."""
        if into_trash:
            object.__setattr__(page, "name", f"{page.id}.{parent_id}.{sort}_{page.name}"[:MAX_NAME])
            object.__setattr__(page, "status", page.status | Page.STATUS_TRASH)
            return
        if page.name == page._name_before and (trashed := TRASH_NAME.match(page.name)):
            object.__setattr__(page, "name", trashed.group(4))
            # a sort the column cannot hold (a name edited in the trash) is its nearest end,
            # as ProcessWire's MySQL stores 99999999999999999999 as 2147483647
            object.__setattr__(page, "sort", min(max(int(trashed.group(3)), MIN_SORT), MAX_SORT))
        object.__setattr__(page, "status", page.status & ~Page.STATUS_TRASH)

    def _save_page(self, page: Page, field: str | None, placed_status: int | None = None,
                   status_changed: bool = False) -> bool:
        self.save_ready(page)
        self.save_page_or_field_ready(page)
        if page.id:
            stored = None if status_changed else self._status_set_ready(page, field, placed_status)
            if stored is None:
                changes = self._write_update(page, field, placed_status, status_changed)
            else:
                # a status a save_ready hook set: ProcessWire's statusChanged follows any save
                # whose changes list the status (its statusChangeReady ran before the hook)
                with kept_on(page, "_status_previous", stored):
                    changes = self._write_update(page, field, stored, True)
        else:
            changes = self._insert(page)
            self._hooks_after_writes(page)
            self.saved(page, changes)
            self.saved_page_or_field(page, changes)
            self.added(page)
        # what this save wrote is not known to be stored until the outermost commit (Page.set)
        page.__dict__.setdefault("_written", set()).update(changes)
        if field is None:
            page._changed.clear()
        else:
            page._changed.discard(field)   # other changes wait for the next save()
        return True

    def _status_set_ready(self, page: Page, field: str | None, placed_status: int | None) -> int | None:
        """The stored status of a saved page whose status a save_ready hook changed (None for
        any other save): `placed_status` if `_save` read it already, else read now."""
        if "status" not in page._changed or field not in (None, "status"):
            return None
        stored = placed_status if placed_status is not None else self.db.scalar(
            "SELECT status FROM pages WHERE id = ?", (page.id,))
        return stored if stored is not None and stored != page.status else None

    def _write_update(self, page: Page, field: str | None, placed_status: int | None,
                      status_changed: bool) -> list[str]:
        """Write a saved page's changes and fire the events that follow, in ProcessWire's
        order; the names of what changed."""
        parent_before, name_before = page._parent_before, page._name_before
        changes = self._update(page, field, placed_status)
        if page._name_before == name_before and page._parent_before == parent_before:
            self.saved(page, changes)            # most saves: a field changed
            self.saved_page_or_field(page, changes)
            if status_changed:
                self.status_changed(page)
        else:
            self._saved_moved(page, changes, name_before, parent_before, status_changed)
        return changes

    def _now(self) -> tuple[datetime, Any]:
        """Now in UTC to the second, and the engine's parameter for it; worked out once a second.

        Building an aware datetime and converting it costs about 4 µs, a twentieth of a page
        add in a bulk import; within one second the answer is the same.
        """
        second = int(time.time())
        clock = self._clock
        if clock[0] != second:
            now = datetime.fromtimestamp(second, UTC)
            clock = self._clock = (second, now, self.db.dt_param(now))
        return clock[1], clock[2]

    def _insert(self, page: Page) -> list[str]:
        db = self.db
        parent_id = page.parent_id
        if not parent_id:
            raise PageError("a new page needs a parent (home is the top of the tree)")
        name = page.name or self.site.sanitizer.page_name_from_title(page._values.get("title")) or "untitled"
        self._hold_parent(parent_id)
        parent_path, parent_template, taken, max_sort, parent_governing = db.one(
            INSERT_CHECK, (parent_id, parent_id, parent_id, name, parent_id, parent_id))
        if parent_path is None:
            raise PageError(f"parent {parent_id} does not exist")
        if parent_path.startswith(TRASH_PATH):
            raise PageError(f"a new page cannot be added in the trash ({parent_path})")
        checked_status(page, 0)
        self.check_limits(page, [name for name in page._changed if page.template.has_field(name)])
        self._check_children_allowed(parent_template, parent_id, page.template)
        grants = self.site.acting_grants()
        if grants is not None:
            self._check_add(grants, page.template, parent_id)
            self._check_status(grants, page, None)
            self._check_references(page, [n for n in page._values if page.template.has_field(n)])
        access = self.site.users.access
        governing = (page.template.id if page.template.settings.get("use_roles")
                     else parent_governing or access.home_template_id)
        if taken:
            name = self._free_name(parent_id, name, parent_path)
        now, stamp = self._now()
        user_id = self.site.user_id
        sort = page.sort if page.sort >= 0 else (max_sort + 1 if max_sort is not None else 0)
        try:
            page_id = db.insert(INSERT_PAGE, (parent_id, page.template.id, name, page.status, sort,
                                              stamp, stamp, user_id, user_id))
        except peewee.IntegrityError as exc:
            raise name_conflict(name, parent_path, exc) from exc
        path = f"{parent_path}{name}/"
        page.__dict__.update(id=page_id, name=name, _name_before=name, _parent_before=parent_id,
                             sort=sort, created=now, modified=now, created_users_id=user_id,
                             modified_users_id=user_id, _path=path)
        pending, values = page._changed, page._values
        changed = []
        queued = False
        statements = [(INSERT_PATH, (page_id, path))]
        if governing != access.home_template_id:
            statements.append((INSERT_ACCESS, (page_id, governing)))
        for field_name, field, insert, index in self._field_writes(page.template):
            if field_name in pending:
                changed.append(field_name)
                statements += writes(page_id, field.type.rows(field, db, values.get(field_name)),
                                     insert, index)
                if index:
                    queued = True
        db.execute_each(statements)
        if queued:
            self._text_index.added()
        return changed

    # -- who may: checked here, so every caller (admin, API, script) gets the same answer ---------
    def _require(self, grants: Any, permission: str, page: Page, what: str) -> None:
        if not self.site.users.access.allows(grants, permission, page):
            raise self.site.users.access.denied(self.site.user, permission, page, what)

    def _check_add(self, grants: Any, template: Template, parent: Page | int) -> None:
        """May the acting user add a page of `template` under `parent`? (page-add on the parent,
        page-create for the template)."""
        parent_page = parent if isinstance(parent, Page) else self.get(parent)
        self._require(grants, "page-add", parent_page, "add pages under")
        if not self.site.users.access.may_create(grants, template, parent_page):
            raise self.site.users.access.denied(
                self.site.user, "page-create", None, f"create pages of template {template.name!r}")

    def _check_children_allowed(self, templates_id: int, parent_id: int, child: Template) -> None:
        """Refuse a child the parent's template forbids: no children at all, or the family
        settings (`child_templates` of the parent, `parent_templates` of the child). The
        trash takes any page."""
        template = self.site.templates.get(templates_id)
        if template is None or parent_id == TRASH_ID or template.allows_child(child):
            return
        if template.settings.get("no_children"):
            raise PageError(f"pages of template {template.name!r} may not have children "
                            f"(parent {parent_id})")
        raise PageError(f"a page of template {child.name!r} may not be placed under a page of "
                        f"template {template.name!r} (parent {parent_id}): see the templates' "
                        "allowed parents and children")

    def _free_name(self, parent_id: int, name: str, parent_path: str, exclude: int = 0) -> str:
        """`name-N` with the first free N from 1, as ProcessWire's uniquePageName tries
        `name-1`, `name-2` ... (a name taken since deleted is free again), from one query over
        the names sharing its first 64 characters (half the longest name, which every cut below
        keeps). ProcessWire gives up after five and takes a random name ("fpn7shakw2"), and
        raises a number the name ends in (`x-5` taken: `x-6`); here the numbers go on, and
        `x-5` becomes `x-5-1`, as DESIGN.md's `name-1` says.

        A name too long for its number is cut first, as ProcessWire's adjustNameLength cuts it:
        at its last "-", "_" or "." near the end, so no word is split and no "--1" is left.
        """
        stem = name[:MAX_NAME // 2]      # shorter than any cut adjustNameLength makes
        rows = self.db.all("SELECT name FROM pages WHERE parent_id = ? AND id != ? "
                           "AND name >= ? AND name < ?", (parent_id, exclude, stem, stem + "~"))
        taken = {row[0] for row in rows}
        number = 1
        while (free := numbered_name(name, number)) in taken:
            number += 1
        self.site.notices.warning(f"the name {name!r} is taken under {parent_path}; "
                                  f"the page was saved as {free!r}", source="pages")
        return free

    def _update(self, page: Page, only_field: str | None, placed_status: int | None = None) -> list[str]:
        """Write a saved page's changes, each checked before the first write (inside a caller's
        transaction a save takes no savepoint unless a hook may fail after it): `placed_status`
        is its stored status as `_save` read it, the trash bit where the save puts the page
        (None: read here, for a status a save_ready hook set)."""
        db = self.db
        changed = set(page._changed)
        if only_field is not None:
            if (not page.template.has_field(only_field)
                    and only_field not in ("name", "status", "sort", "parent")):
                raise PageError(f"page {page.id} has no field {only_field!r} to save")
            changed &= {only_field}
        self._lock_stored(page)
        now, stamp = self._now()
        core = changed & {"name", "status", "sort", "parent"}
        placing = page.__dict__.get("_placing")      # trash() or restore(), which checked their rights
        checked = changed - {"parent"} if placing else changed
        grants = self.site.acting_grants()
        if grants is not None and checked and not self._own_profile(page, checked):
            self._check_update(grants, page, core & checked)
            self._check_references(page, [n for n in checked if page.template.has_field(n)])
        self.check_limits(page, [name for name in changed if page.template.has_field(name)])
        if "status" in core:
            checked_status(page, placed_status if placed_status is not None
                           else db.scalar("SELECT status FROM pages WHERE id = ?", (page.id,)))
        if page.template.name == "user" and not LOGIN_PROPERTIES.isdisjoint(changed):
            self.site.users.check_keeps_a_superuser(page)     # after the rights: it names the user
        if {"name", "parent"} & core:
            self._move(page, page.parent_id if "parent" in core else page._parent_before,
                       placing or "move", rename=only_field != "parent")
        # only the one this save changed: the other, as the object holds it, may be what
        # another process changed since it was loaded (a trash's status, a reorder's sort)
        for column in sorted(core & {"status", "sort"}):
            db.execute(f"UPDATE pages SET {column} = ? WHERE id = ?", (getattr(page, column), page.id))
        field_changes = [n for n in changed if page.template.has_field(n)]
        for name in field_changes:
            field = self.site.fields[name]
            _, _, insert, delete, index = self._sql_for(field)
            db.execute(delete, (page.id,))
            db.execute_each(writes(page.id, field.type.rows(field, db, page._values.get(name)),
                                   insert, index))
            if index:
                self._text_index.added()
        db.execute("UPDATE pages SET modified = ?, modified_users_id = ? WHERE id = ?",
                   (stamp, self.site.user_id, page.id))
        object.__setattr__(page, "modified", now)
        return sorted(changed)

    def _lock_stored(self, page: Page) -> None:
        """Lock the saved page's row before anything of it is read or written, or raise that it
        is gone. A save of the same page in another session waits here for this one's commit,
        then reads what that stored: it read before its wait, PostgreSQL's second save of a
        field inserted the row the first had written (a duplicate key), and a rename rewrote
        the path it had read, which a move had changed meanwhile. Adds under the page, which
        hold its row (`_hold_parent`), need not commit first where the engine can tell."""
        if self.db.one("SELECT id FROM pages WHERE id = ?" + self.db.for_no_key_update,
                       (page.id,)) is None:
            raise PageError(f"page {page.id} ({page.path}) was deleted by another process; "
                            "nothing was saved")

    def _check_references(self, page: Page, names: list[str]) -> None:
        """Pages a Page field newly refers to must be pages the acting user may view: else a
        reference to a user page, and a find on `field.email^=a`, read another user's address a
        letter at a time (a subfield of a Page field is a plain join, as in ProcessWire).
        References already stored stay, whoever set them."""
        for name in names:
            field = self.site.fields[name]
            if field.type.kind != "page":
                continue
            wanted = set(page._values.get(name) or ())
            if page.id:
                wanted -= set(self.stored_values(field, [page.id]).get(page.id, ()))
            if not wanted:
                continue
            hidden = sorted(wanted - self.viewable_ids(wanted))
            if hidden:
                raise ValidationError(f"field {name!r} names a page that does not exist: "
                                      f"{hidden[0]}", field=name, value=hidden, rule="page")

    def _own_profile(self, page: Page, changed: set[str]) -> bool:
        """The acting user saving their own email or password (the admin's Profile): theirs to
        change, as ProcessWire's profile lets every user, though user pages are otherwise
        edited only by superusers."""
        acting = self.site.acting_user()
        return (acting is not None and page.id == acting.id and page.template.name == "user"
                and changed <= PROFILE_FIELDS)

    def _check_update(self, grants: Any, page: Page, core: set[str]) -> None:
        """May the acting user save these changes? Edit for anything; lock for the locked bit;
        sort (on the parent) for a new sort value; move, and add on the new parent, for a move."""
        stored = self.get(page.id)
        self._require(grants, "page-edit", stored, "edit")
        if "status" in core:
            self._check_status(grants, page, stored)
        if "sort" in core and page.sort != stored.sort:
            self._require(grants, "page-sort", stored.parent, "sort the children of")
        if "parent" in core and page.parent_id != stored.parent_id:
            self._require(grants, "page-move", stored, "move")
            self._require(grants, "page-add", self.get(page.parent_id), "move pages under")

    def _check_status(self, grants: Any, page: Page, stored: Page | None) -> None:
        """May the acting user give `page` its status? `stored` is the page as saved (None for
        a new page, whose status starts as `on`). A superuser's bits (SUPERUSER_STATUS) for
        nobody else: an editor's script made a page a system page, which nobody could delete,
        move or trash again; the lock with page-lock, as its Lock and Unlock ask."""
        changed = page.status ^ (stored.status if stored is not None else Page.STATUS_ON)
        reserved = changed & SUPERUSER_STATUS
        if reserved:
            names = " and ".join(name for name, bit in Page.STATUS_NAMES.items() if bit & reserved)
            where = stored.path if stored is not None else f"a new page under {page.parent.path}"
            raise PermissionDenied(f"user {self.site.user.name!r} may not set or clear the {names} "
                                   f"status of {where}: only a superuser may (the page editor "
                                   "offers it to superusers alone)")
        if changed & Page.STATUS_LOCKED:
            self._require(grants, "page-lock", stored or page, "lock or unlock" if stored else
                          f"add a locked page under {page.parent.path}")

    def _move(self, page: Page, parent_id: int, reason: str = "move", rename: bool = True) -> None:
        """Apply a new name or parent: check the target, free the name, rewrite subtree paths.

        `parent_id` is where the page goes: its new parent, or the stored one for a save of its
        name alone (a new parent set waits for the next save, unchecked until then). `reason`
        is "move", or "trash"/"restore" (those keep the governing template: a trashed page
        stays visible to, and restorable by, whoever could edit it where it was). `rename`
        False is a save of the parent alone: the stored name goes with it and a rename the
        page holds waits for the next save, as other changes do, unless the move takes the
        page into or out of the trash, which names it anew (`_place`).
        """
        db = self.db
        old_path = db.scalar("SELECT path FROM pages_paths WHERE pages_id = ?", (page.id,))
        if page.id == 1:
            raise PageError("the home page cannot be renamed or moved")
        if page.status & (Page.STATUS_SYSTEM | Page.STATUS_SYSTEM_ID):
            raise PageError(f"page {page.path} is a system page and cannot be moved or renamed")
        moving = parent_id != page._parent_before
        if moving and reason == "move":
            if page.template.settings.get("no_move"):
                raise PageError(f"pages of template {page.template.name!r} stay where they were "
                                f"put: {old_path} cannot be moved")
            if page.status & Page.STATUS_LOCKED:    # as moveable() says, for every caller
                raise PageError(f"page {old_path} is locked and cannot be moved: unlock it first")
        if moving:
            self._hold_parent(parent_id)
        self._hold_branch(old_path)
        parent_path, parent_template = db.one(
            "SELECT pp.path, p.templates_id FROM pages p JOIN pages_paths pp ON pp.pages_id = p.id "
            "WHERE p.id = ?", (parent_id,)) or (None, None)
        if parent_path is None:
            raise PageError(f"parent {parent_id} does not exist")
        if parent_path.startswith(old_path):
            raise PageError(f"cannot move {old_path} under itself or one of its descendants ({parent_path})")
        if moving:
            self._check_children_allowed(parent_template, parent_id, page.template)
        sort = page.sort     # a page taken into or out of the trash has its name and sort (_place)
        crossing = old_path.startswith(TRASH_PATH) != parent_path.startswith(TRASH_PATH)
        held = None if rename or crossing or page.name == page._name_before else page.name
        name = page._name_before if held else page.name
        if not name:
            raise ValidationError("a page name cannot be empty", field="name", value=name, rule="name")
        if db.scalar("SELECT id FROM pages WHERE parent_id = ? AND name = ? AND id != ?",
                     (parent_id, name, page.id)):
            name = self._free_name(parent_id, name, parent_path, exclude=page.id)
        # a moved page keeps its sort, as in ProcessWire (PagesEditor::savePageQuery): among its
        # new siblings it sorts by that number, as after a change of parent in its editor there
        try:
            db.execute("UPDATE pages SET parent_id = ?, name = ?, sort = ? WHERE id = ?",
                       (parent_id, name, sort, page.id))
        except peewee.IntegrityError as exc:
            raise name_conflict(name, parent_path, exc) from exc
        new_path = f"{parent_path}{name}/"
        self._rewrite_paths(old_path, new_path)
        for attr, value in (("name", held or name), ("_name_before", name), ("_parent_before", parent_id),
                            ("sort", sort), ("_path", new_path)):
            object.__setattr__(page, attr, value)
        if moving and reason == "move":
            self.site.users.access.refresh_subtree(page)
        # A page is in the trash exactly when it lies below the trash page, however it got there.
        status = db.scalar("SELECT status FROM pages WHERE id = ?", (page.id,))
        if bool(status & Page.STATUS_TRASH) != new_path.startswith(TRASH_PATH):
            self._set_subtree_status(page, Page.STATUS_TRASH, on=new_path.startswith(TRASH_PATH))

    def _rewrite_paths(self, old_path: str, new_path: str) -> None:
        low, high = subtree_range(old_path)
        db = self.db
        db.execute(f"UPDATE pages_paths SET path = {db.concat_sql('?', 'SUBSTR(path, ?)')} "
                   "WHERE path >= ? AND path < ?", (new_path, len(old_path) + 1, low, high))

    def _sql_for(self, field: Field) -> tuple[Field, str, str, str, str]:
        """(field, select, insert, delete, index) for a field's table, built once per field
        definition; `index` adds a row's fold to the field's trigram index (cms.textindex: done
        here rather than by a trigger, which costs SQLite 20 us more per row), or is ""."""
        sql = self._field_sql.get(field.name)
        if sql is None or sql[0] is not field:   # a field deleted and added again may change type
            table = field.table
            if field.type.kind == "page":
                sql = (field, f"SELECT data FROM {table} WHERE pages_id = ? ORDER BY sort",
                       f"INSERT INTO {table} (pages_id, data, sort) VALUES (?, ?, ?)",
                       f"DELETE FROM {table} WHERE pages_id = ?")
            else:
                cols = "pages_id, data, fold" if field.type.folded else "pages_id, data"
                marks = "?, ?, ?" if field.type.folded else "?, ?"
                sql = (field, f"SELECT data FROM {table} WHERE pages_id = ?",
                       f"INSERT INTO {table} ({cols}) VALUES ({marks})",
                       f"DELETE FROM {table} WHERE pages_id = ?")
            # and the statement that adds a row's fold to the field's trigram index, if any
            sql = (*sql, textindex.insert_sql(self.db, field.name) if field.type.folded else "")
            self._field_sql[field.name] = sql
        return sql

    def _field_writes(self, template: Template) -> tuple[tuple[str, Field, str, str], ...]:
        """(name, field, insert, index statements) for each field of a template, worked out once
        per template (again when it gains a field): an add then looks nothing up per field."""
        known = self._writes.get(template.id)
        if known is None or known[0] is not template or len(known[1]) != len(template.field_names):
            fields = [self.site.fields[name] for name in template.field_names]
            known = self._writes[template.id] = (
                template, tuple((field.name, field, *self._sql_for(field)[2:5:2]) for field in fields))
        return known[1]

    def touch(self, page_id: int) -> None:
        """Set a page's `modified` to now without saving anything else (ProcessWire's
        `$pages->touch()`): Tasker marks a task page's activity this way at every step."""
        self.db.defer("UPDATE pages SET modified = ? WHERE id = ?", (self._now()[1], page_id))

    # -- trash, restore, delete ---------------------------------------------------------------
    @hookable
    def trash(self, page: Page) -> Page:
        """Move a page and its subtree to the trash, remembering where it came from."""
        if not page.id or page.is_trash():
            return page
        grants = self.site.acting_grants()
        if grants is not None:       # first: the reasons below name the page to whoever asks
            self._require(grants, "page-delete", self.get(page.id), "trash")
        if page.status & (Page.STATUS_SYSTEM | Page.STATUS_SYSTEM_ID | Page.STATUS_LOCKED):
            raise PageError(f"page {page.path} is a system or locked page and cannot be trashed")
        if page.template.settings.get("no_trash"):
            raise PageError(f"pages of template {page.template.name!r} cannot be trashed: "
                            f"{page.path} stays where it is")
        # a trash is a save of the page under the trash (ProcessWire's trash() saves it so): its
        # events, its `modified`, and whatever else the page holds unsaved
        return self._save_placed(page, TRASH_ID, "trash")

    @hookable
    def restore(self, page: Page) -> Page:
        """Put a trashed page back under its old parent with its old name. The acting user
        needs to edit the page (where it was) and that parent to be addable() by them (page-add
        there, and some template they may create there), as ProcessWire's restorable() asks
        editable() and the parent's addable(): not page-delete, and not page-create for the
        page's own template, as restoring creates nothing."""
        match = TRASH_NAME.match(page.name)
        if not page.is_trash():
            raise PageError(f"page {page.id} is not in the trash")
        grants = self.site.acting_grants()
        if grants is not None:       # first: the reasons below name the page to whoever asks
            self._require(grants, "page-edit", self.get(page.id), "restore")
        if page.status & Page.STATUS_LOCKED:     # as a move, for every caller (restorable())
            raise PageError(f"page {page.path} is locked and cannot be restored: unlock it first")
        if not match:
            if page.parent_id != TRASH_ID:
                raise PageError(f"page {page.path} went to the trash with a page above it: "
                                f"restore {page.parent.path}{titled(page.parent)}, which brings "
                                "it back, or move it out of the trash")
            raise PageError(f"page {page.id} cannot be restored: its name {page.name!r} no longer "
                            "says where it came from; move it out of the trash instead")
        parent = self.restore_parent(page)
        if not parent or parent.is_trash():
            raise PageError(f"page {page.id}{titled(page)} cannot be restored: its old parent "
                            f"{match.group(2)}{titled(parent)} is "
                            + ("in the trash: restore that page first, or move this one out of "
                               "the trash" if parent else "gone; move this page out of the trash"))
        if grants is not None and not parent.addable():
            raise self.site.users.access.denied(self.site.user, "page-add", parent,
                                                "restore pages under")
        return self._save_placed(page, parent.id, "restore")

    def moveable_ids(self, pages: Iterable[Page], user: Any = None) -> set[int]:
        """The ids of `pages` that `user` may move (each page's moveable()), for a list that
        shows a Move per row: siblings whose template names its parent templates share one
        count of the other parents that could take them, where each row counted them again."""
        others_found: dict[tuple[int, int], bool] = {}
        return {page.id for page in pages if page._moveable(user, None, others_found)}

    def restore_parent(self, page: Page) -> Page:
        """The parent a trashed page's name records, where restore() puts it back (NullPage
        when the name records none or that page is gone)."""
        match = TRASH_NAME.match(page.name)
        return self.get(int(match.group(2))) if match else NullPage(self.site)

    def _save_placed(self, page: Page, parent_id: int, reason: str) -> Page:
        """Save `page` under `parent_id` for trash() or restore() (`reason`), which checked the
        user's rights to it: the save gives it its trash name, or its name and sort back
        (`_place`), and fires the save's events; on failure the page object is as it was."""
        held_parent, held_changes = page._parent_id, set(page._changed)
        page.parent = parent_id
        try:
            with kept_on(page, "_placing", reason):
                self.save(page)
        except BaseException:
            object.__setattr__(page, "_parent_id", held_parent)
            page.__dict__["_changed"] = held_changes
            raise
        return page

    def _set_subtree_status(self, page: Page, bit: int, on: bool) -> None:
        low, high = subtree_range(page.path)
        change = f"status + {bit}" if on else f"status - {bit}"
        condition = "= 0" if on else f"= {bit}"
        ids = [page.id] + [r[0] for r in self.db.all(
            "SELECT pages_id FROM pages_paths WHERE path > ? AND path < ?", (low, high))]
        for chunk, marks in in_chunks(ids):
            self.db.execute(f"UPDATE pages SET status = {change} WHERE (status & {bit}) {condition} "
                            f"AND id IN ({marks})", chunk)
        object.__setattr__(page, "status", page.status | bit if on else page.status & ~bit)

    @hookable
    def delete(self, page: Page, recursive: bool = False) -> int:
        """Delete a page for good (and with `recursive=True` its subtree); returns how many: 0
        for a page another process deleted since it was loaded (nothing is left to delete).
        The subtree is the one below the page now, wherever another process moved it."""
        if not isinstance(page, Page):
            raise PageError(f"delete takes a page (site.pages.get({page!r}) gives it), "
                            f"not {type(page).__name__}")
        if not page.id:
            raise PageError("cannot delete a page that does not exist")
        if page.status & (Page.STATUS_SYSTEM | Page.STATUS_SYSTEM_ID):
            raise PageError(f"page {page.path} is a system page and cannot be deleted")
        grants = self.site.acting_grants()
        if grants is not None:
            self._require(grants, "page-delete", self.get(page.id), "delete")
        if page.template.name == "user":
            self.site.users.check_keeps_a_superuser(page, deleting=True)
        # at the top level a deadlock runs it again, as a save does (the transaction is ours)
        count = self.db.retry(lambda: self._delete_branch(page, recursive, grants))
        if count is None:
            return 0
        self.deletions += 1
        object.__setattr__(page, "id", 0)
        return count

    def _delete_branch(self, page: Page, recursive: bool, grants: Any) -> int | None:
        """The transaction of `delete`: the page and what is below it now, checked and
        deleted; how many (0 for a page another process deleted). None for a page that
        `empty_trash` found in the trash and another process has restored or moved out since:
        left where it is, with what is below it (deleted, it was taken from its place)."""
        with self.site.transaction():
            rows = self._branch_rows(page)
            if not rows:
                return 0
            if page.__dict__.get("_emptying") and not next(
                    row[2] for row in rows if row[0] == page.id).startswith(TRASH_PATH):
                return None
            below = [row for row in rows if row[0] != page.id]
            if below and not recursive:
                raise PageError(f"page {page.path} has {len(below)} descendant(s); "
                                "use delete(page, recursive=True) or trash it")
            if grants is not None:
                self._check_subtree_deletable(grants, page, {row[3] for row in below})
            # a locked page is not deleted, nor a branch holding one (ProcessWire's isDeleteable)
            locked = next((row[2] for row in rows if row[1] & Page.STATUS_LOCKED), None)
            if locked:
                raise PageLocked(f"page {locked} is locked and cannot be deleted: unlock it first")
            ids = [row[0] for row in below] + [page.id]
            gone = self._children_first(page, [row[0] for row in below]) if (
                below and "deleted" in self.site.hooks.hooked_methods) else []
            refs = [f for f in self.site.fields if f.type.kind == "page"]
            for chunk, marks in in_chunks(ids):
                for field in refs:
                    self.db.execute(f"DELETE FROM {field.table} WHERE data IN ({marks})", chunk)
                self.db.execute(f"DELETE FROM pages WHERE id IN ({marks})", chunk)
            for child in gone:
                self.deleted(child)
            self.deleted(page)
        return len(ids)

    def _branch_rows(self, page: Page) -> list[tuple]:
        """The page and its subtree in one read, deepest first (what goes, whether a page is
        locked, and the templates governing the pages below), every row of it locked: an add
        or a move under one of them holds that row (`_hold_parent`), so the lock waits for it
        to commit, and the branch is read again until no page came into it meanwhile. Read
        once and deleted, a page another session was adding was left under a parent gone.
        The branch is the one below the page's stored path, not the path the page object
        holds: another process may have moved it since, and a page now at its old path is
        not to be deleted. None (an empty list) for a page another process deleted."""
        db = self.db

        def read() -> list[tuple]:
            while path := db.scalar("SELECT path FROM pages_paths WHERE pages_id = ?", (page.id,)):
                low, high = subtree_range(path)
                rows = db.all(
                    "SELECT pp.pages_id, p.status, pp.path, pa.templates_id FROM pages_paths pp "
                    "JOIN pages p ON p.id = pp.pages_id LEFT JOIN pages_access pa "
                    "ON pa.pages_id = pp.pages_id WHERE pp.path = ? OR (pp.path > ? AND pp.path < ?) "
                    "ORDER BY pp.path DESC", (path, low, high))
                if any(row[0] == page.id for row in rows):
                    return rows
                # renamed or moved (a page above it, by another process) between the two reads
            return []
        rows = read()
        locked: set[int] = set()
        while db.for_update and (ids := [row[0] for row in rows if row[0] not in locked]):
            for chunk, marks in in_chunks(ids):
                db.all(f"SELECT id FROM pages WHERE id IN ({marks})" + db.for_update, chunk)
            locked.update(ids)
            rows = read()
        return rows

    def _hold_parent(self, parent_id: int) -> None:
        """Hold the row of the page a page is added or moved under until the transaction
        ends, as a foreign key's check holds it: a delete of that page's branch waits for
        this, then takes the new page with it (`_branch_rows`); an add that waited for such a
        delete finds no parent. Nothing reads its row, so it goes with the read of the parent
        that follows it (`defer`), in one round trip. (Where one writer holds the whole
        database, nothing to hold.)"""
        if self.db.for_key_share:
            self.db.defer("SELECT id FROM pages WHERE id = ?" + self.db.for_key_share, (parent_id,))

    def _hold_branch(self, path: str) -> None:
        """Lock the rows of the pages below `path`, a page being renamed or moved, before
        their stored paths are rewritten: a save, move or delete of one of them, and an add or
        a move under one of them (which holds its row, `_hold_parent`), waits for this
        transaction, or this for it, so the rewrite meets every path other sessions changed
        or added in the branch, and they read the paths it wrote. Without it a page added
        below a child of a page being renamed kept its old path, and a page moved while a page
        above it was renamed kept the renamed one (its own rewrite matched nothing). Deferred,
        as `_hold_parent`; where one writer holds the whole database, nothing to hold."""
        db = self.db
        if db.for_update:
            low, high = subtree_range(path)
            db.defer("SELECT p.id FROM pages_paths pp JOIN pages p ON p.id = pp.pages_id "
                     "WHERE pp.path > ? AND pp.path < ?" + db.for_update, (low, high))

    def _children_first(self, page: Page, ids: list[int]) -> list[Page]:
        """The pages below `page` (`ids`) in the order ProcessWire's recursive delete fires their
        `deleted`: each child's subtree, then the child, children by their sort. Read only when
        `deleted` is hooked, so a hook hears of every page a branch's delete took."""
        kids: dict[int, list[Page]] = {}
        for child in self.get_many(ids):
            kids.setdefault(child.parent_id, []).append(child)
        for siblings in kids.values():
            siblings.sort(key=lambda child: (child.sort, child.id))
        order: list[Page] = []
        stack = [(page, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            stack.append((node, True))
            stack += [(child, False) for child in reversed(kids.get(node.id, []))]
        return order[:-1]                   # the page itself is last; its own call follows

    def _check_subtree_deletable(self, grants: Any, page: Page, governing: set[int | None]) -> None:
        """Refuse a recursive delete reaching a page the acting user may not delete: one below
        governed by a template (`governing`, None: home's) whose edit roles do not give them
        page-delete, which the governing template alone decides."""
        access = self.site.users.access
        for template_id in governing:
            template = self.site.templates.get(int(template_id or access.home_template_id))
            if template is None or not access.edit_roles_allow(grants, "page-delete", template):
                raise access.denied(self.site.user, "page-delete", page,
                                    "delete every page below")

    def reorder(self, parent: Page | int, ids: list[int]) -> None:
        """Put these children of `parent` in this order (as ProcessWire's page list sorting).

        They take the sort values they occupied between them, so siblings not named keep
        their places: a window of a long list can be reordered on its own. A page that is not
        a child of `parent` is refused and nothing changes, as is a user without page-sort on
        the parent.
        """
        parent_id = parent.id if isinstance(parent, Page) else int(parent)
        ids = list(dict.fromkeys(int(i) for i in ids))
        if not ids:
            return
        grants = self.site.acting_grants()
        if grants is not None:
            self._require(grants, "page-sort", self.get(parent_id), "sort the children of")
        # at the top level a deadlock runs it again, as a save does (the transaction is ours)
        self.db.retry(lambda: self._write_order(grants, parent_id, ids))

    def _write_order(self, grants: Any, parent_id: int, ids: list[int]) -> None:
        """The transaction of `reorder`: the children's sorts read, checked and rewritten."""
        with self.site.transaction():
            current: dict[int, int] = {}
            # a chunk at a time, as the engines bind only so many values in one statement; a
            # list naming a page that is no child is refused at the first chunk holding one
            for chunk, _ in in_chunks(ids):
                found = self._child_sorts(grants, parent_id, chunk)
                strangers = [i for i in chunk if i not in found]
                if strangers:
                    raise PageError(f"page {strangers[0]} is not a child of page {parent_id}; "
                                    "only siblings can be reordered")
                current.update(found)
            slots = sorted(current.values())
            for n in range(1, len(slots)):         # equal sort values become distinct
                slots[n] = max(slots[n], slots[n - 1] + 1)
            self.db.execute_each([("UPDATE pages SET sort = ? WHERE id = ?", (slot, page_id))
                                  for slot, page_id in zip(slots, ids)
                                  if current[page_id] != slot])

    def _child_sorts(self, grants: Any, parent_id: int, ids: Sequence[int]) -> dict[int, int]:
        """The sort values of those of `ids` that are children of `parent_id` the acting user
        may view, by id. A page the user may not view is not theirs to move in the order, and
        is answered as a page that is no child: its existence is not told. Read under the
        rows' locks: a reorder of the same pages in another session commits first, and this
        one rewrites the sorts it stored (read before, they were rewritten only where they
        differed from what was read, and the two orders mixed)."""
        bound = [i for i in ids if 0 < i <= MAX_ID]    # no page has a larger id: none binds it
        if not bound:
            return {}
        found = dict(self.db.all(f"SELECT id, sort FROM pages WHERE parent_id = ? AND id IN "
                                 f"({placeholders(len(bound))})" + self.db.for_no_key_update,
                                 (parent_id, *bound)))
        if grants is None:
            return found
        seen = self.viewable_ids(found)
        return {i: sort for i, sort in found.items() if i in seen}

    def shift(self, page: Page, up: bool) -> bool:
        """Swap a page with the sibling before (`up`) or after it; False at either end. The
        acting user needs page-sort on the parent and may edit the page moved (as ProcessWire's
        sortable() asks editable(): page-lock too for a locked page; the sibling it passes
        moves by implication)."""
        grants = self.site.acting_grants()
        if grants is not None:
            stored = self.get(page.id)
            self._require(grants, "page-edit", stored, "move in the order")
            if stored.has_status(Page.STATUS_LOCKED):
                self._require(grants, "page-lock", stored, "move in the order")
        sql = ("SELECT id FROM pages WHERE parent_id = ? AND id <> ? AND "
               + ("(sort < ? OR (sort = ? AND id < ?)) ORDER BY sort DESC, id DESC" if up else
                  "(sort > ? OR (sort = ? AND id > ?)) ORDER BY sort, id") + " LIMIT 50 OFFSET ?")
        offset = 0
        while True:
            rows = [r[0] for r in self.db.all(sql, (page.parent_id, page.id, page.sort, page.sort,
                                                    page.id, offset))]
            if not rows:
                return False
            # the nearest sibling the user may view (the row above or below in their tree)
            seen = self.viewable_ids(rows) if grants is not None else set(rows)
            other = next((i for i in rows if i in seen), None)
            if other is not None:
                break
            offset += len(rows)
        self.reorder(page.parent_id, [page.id, other] if up else [other, page.id])
        return True

    def empty_trash(self, *, time_limit: float | None = None, page_limit: int = 0) -> int:
        """Delete every page in the trash for good; returns how many. A branch holding a
        locked page stays, as ProcessWire's emptyTrash leaves it.

        `time_limit` (seconds) and `page_limit` (pages) stop it between two trashed branches
        once reached, as ProcessWire's `timeLimit` and `pageLimit` options: the admin's Empty
        trash stops after 30 s, as ProcessPageTrash does, and says how many remain, and a
        second call goes on where the first stopped. At least one branch goes in each call.
        The count is never negative (ProcessWire's is when pages remain): count the trash's
        children for what is left.

        Inside a caller's transaction, in that transaction. Otherwise each page in the trash
        goes (with what is below it) in a transaction of its own, a hundred loaded at a time:
        one transaction around them all held the write lock for the whole of it (other
        writers gave up after 10 s) and nested a savepoint per page, whose journal SQLite
        keeps in memory (temp_store=memory): 800 MB to empty a trash of 57,000 pages."""
        deleted, after = 0, 0
        stop_at = None if time_limit is None else time.monotonic() + time_limit
        with self.site.transaction() if self.db.in_transaction() else nullcontext():
            while True:
                batch = self.find(f"parent={TRASH_ID}, id>{after}, include=all, sort=id, start=0, limit=100")
                if not batch:
                    return deleted
                for page in batch:
                    after = page.id
                    try:
                        with kept_on(page, "_emptying", True):
                            deleted += self.delete(page, recursive=True)
                    except PageLocked:
                        continue            # left in the trash, with what is below it
                    if ((stop_at is not None and time.monotonic() >= stop_at)
                            or (page_limit and deleted >= page_limit)):
                        return deleted

    # -- hook points (no-ops that exist to be hooked, as ProcessWire's) -----------------------
    @hookable
    def save_ready(self, page: Page) -> None:
        """Called when a page is about to be written, new or not (ProcessWire's saveReady): a
        hook may still change its values, and they are saved (checked as any value is)."""

    @hookable
    def save_field_ready(self, page: Page, field: Field) -> None:
        """Called before one field of a page is written (`page.save("title")`), as
        ProcessWire's saveFieldReady; a whole save calls `save_ready` instead."""

    @hookable
    def save_page_or_field_ready(self, page: Page, field: str = "") -> None:
        """Called before any save writes, after `save_ready` (`field` is "") or
        `save_field_ready` (`field` names the one saved), as ProcessWire's
        savePageOrFieldReady: the hook for code that must see every save."""

    @hookable
    def status_change_ready(self, page: Page) -> None:
        """Called before a save that changes the page's status writes, before `save_ready`
        (`page.status_previous` is the status it had); it calls `publish_ready` or
        `unpublish_ready` when the unpublished flag goes or comes, as ProcessWire's
        statusChangeReady does."""
        if publishing_changed(page):
            (self.unpublish_ready if page.is_unpublished() else self.publish_ready)(page)

    @hookable
    def publish_ready(self, page: Page) -> None:
        """Called before a save publishes an unpublished page (ProcessWire's publishReady)."""

    @hookable
    def unpublish_ready(self, page: Page) -> None:
        """Called before a save unpublishes a published page (ProcessWire's unpublishReady)."""

    @hookable
    def status_changed(self, page: Page) -> None:
        """Called after a save changed the page's status, after `saved` and the save's other
        events; it calls `published` or `unpublished` when the unpublished flag went or came,
        as ProcessWire's statusChanged does."""
        if publishing_changed(page):
            (self.unpublished if page.is_unpublished() else self.published)(page)

    @hookable
    def published(self, page: Page) -> None:
        """Called after a save published an unpublished page (ProcessWire's published)."""

    @hookable
    def unpublished(self, page: Page) -> None:
        """Called after a save unpublished a published page (ProcessWire's unpublished)."""

    @hookable
    def moved(self, page: Page) -> None:
        """Called after a page got another parent: by a save, and into or out of the trash
        (then before `trashed` or `restored`), as ProcessWire's Pages::moved."""

    @hookable
    def renamed(self, page: Page) -> None:
        """Called after a page got another name: by a save, and by trash() and restore() (then
        before `moved`), as ProcessWire's Pages::renamed."""

    @hookable
    def added(self, page: Page) -> None:
        """Called after a new page was inserted (inside the save's transaction)."""

    @hookable
    def saved(self, page: Page, changes: list[str]) -> None:
        """Called after a page was saved, with the names of what changed: before `added`,
        `renamed`, `moved`, `trashed` and `restored`, as ProcessWire's Pages::saved."""

    @hookable
    def saved_field(self, page: Page, field: Field) -> None:
        """Called after one field of a page was written, as ProcessWire's savedField; a whole
        save calls `saved` instead."""

    @hookable
    def saved_page_or_field(self, page: Page, changes: list[str]) -> None:
        """Called after any save wrote, after `saved` or `saved_field`, with the names of what
        changed (the one field of a field's save), as ProcessWire's savedPageOrField."""

    @hookable
    def trashed(self, page: Page) -> None:
        """Called after a page went to the trash."""

    @hookable
    def restored(self, page: Page) -> None:
        """Called after a page came back from the trash."""

    @hookable
    def deleted(self, page: Page) -> None:
        """Called after a page was deleted; a recursive delete calls it for each page of the
        subtree, children first (ProcessWire deletes each child through Pages::delete)."""
