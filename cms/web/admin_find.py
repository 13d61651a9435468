"""Find (ProcessWire's Lister): pages by a selector, in a paginated table of chosen columns.

`/admin/find/` takes a selector typed by hand (`selector`), or builds one from the form's
template, field, operator and value when none is typed (and shows it, so the user learns the
language). The "Build and find" button (`build`) uses the rows even when a selector was
typed, unless that selector was changed since the page showed it (`shown`): Enter anywhere in
the form presses that first button, and Enter in the Selector box means the selector typed
there, as the help under it says. The results are a table with the chosen columns (`column`
ticked, or `columns` in links), `per` rows a page, each row linking to the page's editor; a
`limit=N` in the selector is the page size instead, as in ProcessWire's Lister (up to
MAX_LIMIT rows). A column's header sorts by it, as the Lister's do: its link is the selector
with its own `sort=` conditions replaced by `sort=column` (`sort=-column` when already sorted
so), so the box shows the selector that sorted. A selector that cannot be read shows its
error and points at the position. Finding goes through `site.pages.find` with the user's view
access enforced, so `include=all` or `check_access=0` typed in the selector does not lift it.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlencode

import bottle

from ..digits import int_of_digits
from ..errors import QueryTimeout, SelectorError
from ..page import Page, PageArray
from ..selectors.parser import OPERATORS, Condition, parse
from .forms import names_list, selector_quoted

if TYPE_CHECKING:
    from .app import Context, Web

PAGE_SIZES = (25, 50, 100)
MAX_LIMIT = 1000           # rows a page may show when the selector's own limit= asks for more
# Results are counted up to this many: an exact count of half a million pages costs a second
# on a 1,000,000-page site, counting ids up to the cap tens of milliseconds.
COUNT_CAP = 10_000
# Seconds a Find's statements may take together: a selector a user types (an OR list of two
# thousand %= values took 16 s) must not hold a server thread, and on SQLite its read snapshot,
# for minutes. A find that fits an index takes milliseconds even on a million pages.
FIND_SECONDS = 5.0
# The builder's operators, the common ones first, each with what it means (the selector
# language's full list, in words: README, "Selectors").
OPERATOR_CHOICES = (
    ("=", "equals"), ("!=", "does not equal"), ("*=", "contains the phrase"),
    ("%=", "contains the text"), ("^=", "starts with"), ("$=", "ends with"),
    ("~=", "contains all the words"), ("~|=", "contains any of the words"),
    ("~*=", "has words starting with all of"), ("~|*=", "has words starting with any of"),
    ("~~=", "live search: all words, the last a prefix"), ("~%=", "all the words, anywhere"),
    ("~|%=", "any of the words, anywhere"), ("<", "less than"), ("<=", "at most"), (">", "more than"),
    (">=", "at least"), ("%^=", "starts with the text"), ("%$=", "ends with the text"),
    # ProcessWire's fulltext operators, by its labels (Selector.php): relevance and query
    # expansion need MySQL's fulltext index, so here each matches as ~|= (README, Selectors)
    ("**=", "contains match (here: any of the words, as ~|=)"),
    ("**+=", "contains match expand (here: any of the words, as ~|=)"),
    ("*+=", "contains phrase expand (here: any of the words, as ~|=)"),
    ("~+=", "contains all words expand (here: any of the words, as ~|=)"),
    ("~|+=", "contains any words expand (here: any of the words, as ~|=)"),
    ("&", "has the status bits"))
BUILT_IN_COLUMNS = ("title", "name", "template", "parent", "modified", "created", "id", "status")
DEFAULT_COLUMNS = ("title", "template", "parent", "modified")
PROPERTY_KEYS = ("name", "id", "created", "modified", "parent", "status", "sort")


class Found(NamedTuple):
    """One page of results and how many there are (`capped`: at least `total`)."""
    pages: list[Any]
    total: int
    capped: bool


class Header(NamedTuple):
    """A column's header: its link sorting by it (None: not sortable) and the way the results
    are sorted by it now ("asc", "desc" or "")."""
    column: str
    link: str | None
    sorted: str


class Failure(NamedTuple):
    """A selector's error and where it points."""
    message: str
    selector: str
    position: int | None


def register(web: Web) -> None:
    @web.app.get("/admin/find/")
    def find(ctx: Context) -> str:
        form = {"template": ctx.query("template"), "field": ctx.query("field"),
                "op": ctx.query("op") if ctx.query("op") in OPERATORS else "=",
                "value": ctx.query("value")}
        typed = ctx.query("selector").strip()
        if ctx.query("build") and typed == ctx.query("shown", typed).strip():
            typed = ""                     # not changed by hand: the rows say what to find
        selector = typed or built_selector(form)
        known = column_names(ctx)
        ticked = names_list(ctx.request.query, "column") or ctx.query("columns").split(",")
        columns = [c for c in ticked if c in known] or list(DEFAULT_COLUMNS)
        limited = selector_limit(selector)
        per = limited or ctx.int_param("per", PAGE_SIZES[0], 1, PAGE_SIZES[-1])
        start = ctx.int_param("start", 0, 0, 10 ** 9)
        found, failure = None, None
        if selector:
            try:
                with ctx.site.db.time_limit(FIND_SECONDS):
                    found = find_page(ctx, selector, start, per)
            except SelectorError as exc:
                failure = explain(ctx, selector, exc)
                bottle.response.status = 400
            except QueryTimeout:
                failure = Failure(f"this selector took more than {FIND_SECONDS:g} s and was "
                                  "stopped: narrow it (a template, a parent, fewer values in "
                                  "an OR list)", selector, None)
                bottle.response.status = 400

        def page_url(**changes: Any) -> str:
            values = {"selector": selector, "columns": ",".join(columns), "per": per,
                      "start": start, **changes}
            return "/admin/find/?" + urlencode(values)

        headers = column_headers(ctx, selector, columns, page_url) if found else []
        return ctx.render("find.html", form=form, selector=selector, found=found,
                          failure=failure, columns=columns, all_columns=known, headers=headers,
                          per=per, limited=bool(limited), page_sizes=PAGE_SIZES, start=start,
                          page_url=page_url,
                          operators=OPERATOR_CHOICES, cell=cell,
                          templates=sorted(t.name for t in ctx.site.templates),
                          fields=list(PROPERTY_KEYS) + [f.name for f in ctx.site.fields
                                                        if f.type.searchable])


def find_page(ctx: Context, selector: str, start: int, per: int) -> Found:
    """The pages from `start`, and their number counted up to COUNT_CAP."""
    # what the user typed never lifts their own view access (check_access=0, include=all)
    ids = ctx.site.pages.find_ids(f"{selector}, start={start}, limit={per}", enforce_access=True)
    pages = ctx.site.pages.get_many(ids)
    if ids and len(ids) < per:                   # the last page: the end is known exactly
        return Found(pages, start + len(ids), False)
    counted = len(ctx.site.pages.find_ids(f"{selector}, start=0, limit={COUNT_CAP + 1}",
                                          enforce_access=True))
    if counted > COUNT_CAP:                      # past the end (no ids), the cap is all we know
        return Found(pages, max(COUNT_CAP, start + len(ids)) if ids else COUNT_CAP, True)
    return Found(pages, counted, False)


def selector_limit(selector: str) -> int | None:
    """The page size a top-level `limit=N` of the selector asks for (None: no such limit, or
    a selector that does not parse, whose error the find shows)."""
    try:
        items = parse(selector).items
    except SelectorError:
        return None
    for item in items:
        if (isinstance(item, Condition) and item.fields == ("limit",) and item.operator == "="
                and not item.negated and len(item.values) == 1
                and item.values[0].text.isdecimal() and int_of_digits(item.values[0].text) > 0):
            return min(int_of_digits(item.values[0].text), MAX_LIMIT)
    return None


def split_sorts(selector: str) -> tuple[str, str]:
    """The selector without its top-level `sort=` conditions, and the first one's value (""
    when none). A selector that does not parse is kept whole: its error is shown anyway."""
    try:
        items = parse(selector).items
    except SelectorError:
        return selector, ""
    first = ""
    for index in reversed(range(len(items))):
        item = items[index]
        if isinstance(item, Condition) and item.fields == ("sort",) and not item.negated:
            # the condition and the separator after it, up to the next item
            end = items[index + 1].position if index + 1 < len(items) else len(selector)
            selector = selector[:item.position] + selector[end:]
            first = item.values[0].text if item.values else first
    return selector.strip().rstrip(",").strip(), first


def with_sort(unsorted: str, key: str) -> str:
    """A selector without sorts (`split_sorts`) sorting by `key`."""
    return f"{unsorted}, sort={key}" if unsorted else f"sort={key}"


def column_headers(ctx: Context, selector: str, columns: list[str],
                   page_url: Any) -> list[Header]:
    """Each column's header; a Page field's column has no sort (its values are page ids)."""
    unsorted, current = split_sorts(selector)       # parsed once for every header
    headers = []
    for column in columns:
        field = ctx.site.fields.get(column) if column not in BUILT_IN_COLUMNS else None
        if field is not None and field.type.name == "Page":
            headers.append(Header(column, None, ""))
            continue
        way = "asc" if current == column else "desc" if current == f"-{column}" else ""
        key = f"-{column}" if way == "asc" else column
        headers.append(Header(column, page_url(selector=with_sort(unsorted, key), start=0), way))
    return headers


def built_selector(form: dict[str, str]) -> str:
    """The selector the form's rows describe ("" when they describe nothing)."""
    parts = []
    if form["template"]:
        parts.append(f"template={form['template']}")
    if form["field"]:
        parts.append(f"{form['field']}{form['op']}{selector_quoted(form['value'])}")
    return ", ".join(parts)


def explain(ctx: Context, selector: str, exc: SelectorError) -> Failure:
    """The error of the user's own selector (without the paging the route added)."""
    try:
        ctx.site.selectors.plan(selector)
    except SelectorError as own:
        exc = own
    position = exc.position if exc.position is not None and exc.position <= len(selector) else None
    return Failure(str(exc), selector, position)


def column_names(ctx: Context) -> list[str]:
    return list(BUILT_IN_COLUMNS) + [n for n in ctx.site.fields.names()
                                     if n not in BUILT_IN_COLUMNS and n != "pass"]


def cell(page: Page, column: str) -> Any:
    """What a column shows for a page."""
    if column == "template":
        return page.template.name
    if column == "parent":     # the page's own path less its name: no parent loaded per row
        return page.path.rstrip("/").rpartition("/")[0] + "/" if page.parent_id else ""
    value = getattr(page, column) if column in ("id", "name", "created", "modified",
                                                "status") else page.get(column)
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, (Page, PageArray)):        # a Page field: what a person reads
        # the pages the user may view, as ProcessWire's formatted value of a Page field keeps
        pages = [value] if isinstance(value, Page) else list(value)
        return ", ".join(p.get("title") or p.name for p in pages if p and p.viewable())
    return "" if value is None else value
