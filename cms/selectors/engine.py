"""The selector engine the page API calls: parse (cached), plan, compile (cached), run.

`select` answers find/find_one/find_ids/children, `count` answers count, and `iter_ids` walks
any number of matches for find_many in keyset-paginated chunks, so memory stays flat. Nothing
here writes to the database.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any, Callable, Iterator

import peewee

from ..errors import SelectorError
from .compiler import Compiler
from .parser import Selector, parse
from .plan import Planner, Query, has_user_access, with_view

if TYPE_CHECKING:
    from ..site import Site

CACHE_SIZE = 4096
STATEMENTS_PER_PLAN = 64
# Characters of a selector (and its base) whose tree and plan are kept: a longer one (an OR
# list of thousands of values, which Find takes as typed) is read anew each time. Each such
# text kept its tree, plan and SQL, megabytes apiece, so distinct ones grew a server thread by
# gigabytes before CACHE_SIZE was reached.
KEPT_TEXT = 4000


@dataclass(frozen=True, slots=True)
class SelectResult:
    """The ids of one page of matches.

    `total` counts every match: given when asked for (`want_total`) or when the page of ids
    tells it for free (fewer ids than the limit), else None. `count_all` runs the COUNT that
    gives it, for a caller that wants the total later or never (`PageArray.total`).
    """

    ids: list[int]
    total: int | None
    start: int
    limit: int | None
    count_all: Callable[[], int] = field(compare=False, repr=False)


class _Planned:
    """A plan with what it was resolved against and its statements, compiled on first use."""

    __slots__ = ("query", "depends", "statements")

    def __init__(self, query: Query, depends: tuple[tuple[str, Any, Any], ...]):
        self.query = query
        self.depends = depends
        self.statements: dict[tuple, tuple[str, list[Any]]] = {}

    def statement(self, key: tuple, compile: Callable[[], tuple[str, list[Any]]]) -> tuple[str, list[Any]]:
        """The statement for `key` (its limit, start and the user's access), compiled once. At
        most STATEMENTS_PER_PLAN are kept: a paginated list gives one plan a start per page
        number a visitor (or a crawler) asks for."""
        found = self.statements.get(key)
        if found is None:
            if len(self.statements) >= STATEMENTS_PER_PLAN:
                self.statements.clear()
            found = self.statements[key] = compile()
        return found

    def current(self, site: Site) -> bool:
        """Whether every field and template the plan used is still the same object."""
        return all(getattr(site, registry).get(key) is found for registry, key, found in self.depends)


def shorthand(text: str, page_name: Callable[[str], str]) -> str:
    """ProcessWire's shorthands for a whole selector (PagesLoader::normalizeSelectorString):
    a number is an id (`"27"`), a path `path=` (`"/about/"`, `"/about/, include=all"`) and a
    page name `name=` (`find("about")`); any other text is a selector as it is."""
    stripped = text.strip(", ")
    if stripped.isdecimal() and stripped.isascii():
        return f"id={stripped}"
    if stripped.startswith("/"):
        return f"path={stripped}"
    if stripped and "," not in stripped and page_name(stripped) == stripped:
        return f"name={stripped}"
    return text


class SelectorEngine:
    """Finds page ids by ProcessWire selector; one per site (`site.selectors`).

    A selector string seen before is not parsed or planned again: its plan and SQL are kept
    (unless it names a moment relative to now, such as "today") and reused while the fields
    and templates it names are unchanged, so a repeated find costs little more than its query.
    """

    def __init__(self, site: Site):
        self.site = site
        self.db = site.db
        self.compiler = Compiler(site.db)
        self._trees: dict[str, Selector] = {}
        self._plans: dict[tuple[str | None, str | None, bool], _Planned] = {}

    def parse(self, text: str) -> Selector:
        """The syntax tree of a selector string (cached up to KEPT_TEXT characters: the tree
        depends on the text alone)."""
        tree = self._trees.get(text)
        if tree is None:
            tree = parse(text)
            if len(text) > KEPT_TEXT:
                return tree
            if len(self._trees) >= CACHE_SIZE:
                self._trees.clear()
            self._trees[text] = tree
        return tree

    def plan(self, selector: str | None, base: str | None = None) -> Query:
        """What `selector` (after `base`) asks for, resolved against this site's fields."""
        return self._planned(selector, base).query

    def forget_plans(self) -> None:
        """Plan every selector anew: what a plan cannot check cheaply changed (a template's
        `sortfield`, which orders a parent's children)."""
        self._plans.clear()

    def _planned(self, selector: str | None, base: str | None, find_all: bool = False) -> _Planned:
        # Fields, templates and access another process changed count within a second here,
        # in a worker or a script as in a web request (Site.refresh_schema asks at most that often).
        self.site.refresh_schema()
        if selector is not None and not isinstance(selector, str):
            raise SelectorError(f"a selector is a string, not {type(selector).__name__}")
        planned = self._plans.get((selector, base, find_all))
        if planned is not None and planned.current(self.site):
            return planned
        text = selector or ""
        expanded = shorthand(text, self.site.sanitizer.page_name)
        planner = Planner(self.site)
        try:
            trees = [self.parse(base)] if base else []
            trees.append(self.parse(expanded))
            planned = _Planned(planner.query(trees, find_all), tuple(planner.depends))
        except SelectorError as error:
            if expanded == text or error.selector != expanded:
                raise
            # an error in "path=/a/,]" is shown in the caller's "/a/,]", where it stands there
            lead = len(text) - len(text.lstrip(", "))
            raise error.within(text, len(expanded) - len(text.strip(", ")) - lead) from None
        if not planner.volatile and len(text) + len(base or "") <= KEPT_TEXT:
            if len(self._plans) >= CACHE_SIZE:
                self._plans.clear()
            self._plans[(selector, base, find_all)] = planned
        return planned

    def select(self, selector: str | None, *, base: str | None = None, want_total: bool = False,
               default_limit: int | None = None, find_all: bool = False,
               enforce_access: bool = False, one: bool = False, page_num: int = 1) -> SelectResult:
        """Ids of the matching pages, in order, `start` and `limit` applied.

        `default_limit` applies when the selector sets no limit. The total
        costs a COUNT query only when asked for and the page of ids cannot tell it.
        `find_all` is ProcessWire's option of that name, which `pages.get()` sets: no status
        excludes a page, whatever include= says (Planner.query). `enforce_access`: the acting
        user's view access holds even where the selector says check_access=0 or include=all
        (a selector a user typed must not lift that user's own limits: the admin's Find).
        `one`: ProcessWire's findOne, which `get()` and `find_one()` use: the first match,
        whatever limit= and start= the selector gives. `page_num`: the page of a paginated
        request (cms.pagination), which moves the start of a find with a `limit` and no `start=`.
        """
        return self._select(self._planned(selector, base, find_all), want_total, default_limit,
                            enforce_access, one, page_num)

    def select_query(self, query: Query, *, want_total: bool = False,
                     default_limit: int | None = None) -> SelectResult:
        """`select` for a plan made already (the tests run one plan here and in the reference)."""
        return self._select(_Planned(query, ()), want_total, default_limit)

    def _for_user(self, query: Query, enforce_access: bool = False) -> Query:
        """The query narrowed to the pages the acting user may view (cms.access), unless it
        says `check_access=0` or `include=all` (and access is not enforced), or the user may
        view every page; its sub-queries that are finds of the user's own are narrowed so too,
        whatever the outer selector says (`Query.user_access`)."""
        if enforce_access and not query.check_access:
            query = replace(query, check_access=True)
        if not query.check_access and not has_user_access(query.where):
            return query
        grants = self.site.acting_grants()
        if grants is None:
            return query
        view = self.site.users.access.view_filter(grants)
        return query if view is None else with_view(query, view, every=enforce_access)

    def _select(self, planned: _Planned, want_total: bool, default_limit: int | None,
                enforce_access: bool = False, one: bool = False, page_num: int = 1) -> SelectResult:
        query = self._for_user(planned.query, enforce_access)
        limit = query.limit if query.limit is not None else default_limit
        start = query.paged(page_num)
        if one:
            limit, start = 1, 0
        key = ("select", limit, start, query.access, query.check_access, enforce_access)
        statement = planned.statement(key, lambda: self.compiler.select(query, limit, start))
        ids = [row[0] for row in self._run(self.db.all, statement)]
        total = None
        if not query.get_total:
            total = len(ids)                 # get_total=0: the number found, as ProcessWire's
        elif (limit is None or len(ids) < limit) and (ids or not start):
            total = start + len(ids)
        elif want_total:
            total = self._count(planned, query, enforce_access)
        # A total read later counts for the user this find was made for, whoever acts then.
        return SelectResult(ids, total, start, limit,
                            partial(self._count, planned, query, enforce_access))

    def count(self, selector: str | None, base: str | None = None) -> int:
        """How many pages match, whatever limit and start say: one COUNT query."""
        return self._count(self._planned(selector, base))

    def count_by_parent(self, selector: str | None, base: str | None = None, *,
                        enforce_access: bool = False) -> dict[int, int]:
        """How many pages match below each parent (parents with none left out): one grouped
        COUNT, where a list showing each row's count of children asked once per row."""
        planned = self._planned(selector, base)
        query = self._for_user(planned.query, enforce_access)
        key = ("count_by_parent", query.access, query.check_access, enforce_access)
        statement = planned.statement(key, lambda: self.compiler.count_by_parent(query))
        return {int(parent): int(n) for parent, n in self._run(self.db.all, statement)}

    def count_query(self, query: Query) -> int:
        """`count` for a plan made already, as `for_user` narrowed it (a plan not narrowed
        counts every page it matches)."""
        return self._count(_Planned(query, ()), query)

    def _run(self, read: Callable[..., Any], statement: tuple[str, Any]) -> Any:
        """Run a find's statement; a value longer than the engine's text matches take
        (SQLite's LIKE, PostgreSQL's and MariaDB's regular expressions), or a selector nested
        deeper than its parser takes (SQLite's stack of about 100 levels: some twenty
        sub-selectors deep with access checks) is the selector's error, not the server's."""
        try:
            return read(*statement)
        except peewee.DatabaseError as exc:
            if self.db.is_pattern_too_large(exc):
                raise SelectorError("a value is too long for a text match") from None
            if "parser stack overflow" not in str(exc):
                raise
            raise SelectorError("the selector nests too deeply for the database: use fewer "
                                "levels of [...] sub-selectors and children.") from None

    def _count(self, planned: _Planned, query: Query | None = None, enforced: bool = False) -> int:
        """COUNT the plan's matches; `query` is the plan already narrowed for a user (with
        `enforced`, as `select(enforce_access=True)` narrows it)."""
        query = query or self._for_user(planned.query)
        key = ("count", query.access, query.check_access, enforced)
        statement = planned.statement(key, lambda: self.compiler.count(query))
        return int(self._run(self.db.scalar, statement))

    def iter_ids(self, selector: str | None, base: str | None = None, chunk: int = 1000,
                 page_num: int = 1) -> Iterator[int]:
        """Every matching id in order, fetched `chunk` at a time after the last row seen
        (`page_num` as for `select`), among those the user acting now may view (for_user).

        The selector is checked now (errors raise here, not on the first `next`).
        """
        if chunk < 1:
            raise ValueError("chunk must be 1 or more")
        return self.iter_query(self.for_user(self.plan(selector, base)), chunk, page_num)

    def for_user(self, query: Query) -> Query:
        """The plan narrowed now to the pages the acting user may view, for `iter_query` and
        `count_query`: a find read later (an id iterator consumed, a PageStream iterated or
        counted) finds for the user it was asked for, as a PageArray's total counts and as
        ProcessWire's findMany finds its ids at the call, not for whoever acts by then (a
        stream asked for as the guest listed the members' pages once read outside that
        `as_user` block)."""
        return self._for_user(query)

    def iter_query(self, query: Query, chunk: int = 1000, page_num: int = 1) -> Iterator[int]:
        """`iter_ids` for a plan made already, as `for_user` narrowed it (a plan not narrowed
        walks every page it matches)."""
        remaining = query.limit
        offset = query.paged(page_num)
        after: tuple | None = None
        while remaining is None or remaining > 0:
            size = chunk if remaining is None else min(chunk, remaining)
            rows = self._run(self.db.all, self.compiler.chunk(query, after, offset, size))
            for row in rows:
                yield row[0]
            if remaining is not None:
                remaining -= len(rows)
            if len(rows) < size:
                return
            after, offset = tuple(rows[-1][1:]), 0
