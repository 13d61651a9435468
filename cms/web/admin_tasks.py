"""The task monitor: `/admin/tasks/` (the list) and `/admin/tasks/<id>/` (one task).

The list is flat and paginated (50 a page), sorted by state, created, modified or progress,
filtered by state with a count per state (and "scheduled": the active tasks whose time is
ahead, counted among the active ones too), and searched (`q`: the tasks whose title, module
or method contains the text, as Find's `title|task_module|task_method%=`, the text bound as
a parameter; the state counts are then those of the matches).
It reads each task's title, state, progress and log counters (one query for the page's rows:
Tasker.get_statuses), never its task_data or log. Progress bars and states update live
through the list's poll (`/admin/tasks/statuses`, every row in one query), whoever runs the
tasks, the tasks that come into the list's page after it was opened are added by it (a row
whose task leaves its filter stays, marked, until a reload), and the filter counts follow
every task, shown or not.

Actions are POSTs with the CSRF token: the admin's script sends them to the API and swaps in
the new status; without a script the form posts to `/admin/tasks/<id>/action` and comes back.
"Run now" posts to `/admin/tasks/<id>/run`, which activates the task and opens its page in run
mode: the page's script then calls the API's `run` again and again, one step of
`ajax_timeout` seconds each, until the task is done or the page is closed.

The task page shows the log (updating), the data, the state changes with who made them, the
per-step figures, the rate and an ETA.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlencode

import bottle

from ..digits import int_of_digits
from ..errors import CmsError, DatabaseBusy
from ..fieldtypes import surrogates_escaped
from ..tasker.schedule import SCHEDULED, scheduled_selector
from ..tasker.state import state_info
from . import charts
from .answers import HttpError, error_json
from .api import find_task, render_status, run_command, statuses_answer, task_ids_param, tasker_of
from .app import BUSY_MESSAGE, clamped_int, parse_query, url_parts
from .auth import holds_control_character
from .forms import selector_quoted
from .task_view import (
    ACTIVE,
    STATE_FILTERS,
    TaskRow,
    as_int,
    asks_first,
    question,
    status_row,
    task_row,
    task_state,
    when,
)

if TYPE_CHECKING:
    from .app import Context, Web

PAGE_SIZE = 50
SORTS = {"state": "task_state", "created": "created", "modified": "modified",
         "progress": "progress"}
SORT_LABELS = [("state", "state"), ("created", "created"), ("modified", "modified"),
               ("progress", "progress")]
# The filter links: (the `state` parameter, label); "scheduled" beside the active tasks it is part of
FILTERS = [(int(state), state.label) for state in STATE_FILTERS]
FILTERS.insert(1, (SCHEDULED, SCHEDULED))
# The list's poll asks for the state counts every round, with a search every third (state_counts)
COUNTS_EVERY_SEARCHED = 3


class Figures(NamedTuple):
    rate: str
    eta: str


def search_match(q: str) -> str:
    """The selector part of a search (empty for none), the text quoted as it is: the title,
    and the module's and method's names, which the task page shows and a user types to find
    a kind of task."""
    return f"title|task_module|task_method%={selector_quoted(q)}" if q else ""


def filter_selector(state: int | str | None, q: str = "") -> str:
    """The selector part of the list's search and state filter ("" for every task); every
    part comes from a fixed set, an int, the time now or the quoted search. `state` is a
    state's number or SCHEDULED."""
    parts = [search_match(q)] if q else []
    if state == SCHEDULED:
        parts.append(scheduled_selector())
    elif state is not None:
        parts.append(f"task_state={state}")
    return ", ".join(parts)


def list_selector(state: int | str | None, sort: str, direction: str, start: int,
                  q: str = "") -> str:
    """The selector of one page of the list: its filter, its order and its page."""
    order = ("-" if direction == "desc" else "") + SORTS[sort]
    parts = [filter_selector(state, q), f"sort={order}", f"sort={'-' if direction == 'desc' else ''}id",
             f"limit={PAGE_SIZE}", f"start={start}"]
    return ", ".join(filter(None, parts))


def state_filter(text: str) -> tuple[int | str | None, str]:
    """The list's `state` parameter: a state's number or its word (`failed`, as the command
    line's `tasks list --state` takes it), or "scheduled"; and, for text that is none of
    those, the error to show above the list of all tasks (it listed them all without a word,
    as though the filter had been applied)."""
    value = text.strip().lower()
    if not value:
        return None, ""
    if value == SCHEDULED:
        return SCHEDULED, ""
    words = {label: number for number, label in FILTERS if label != SCHEDULED}
    if value in words:
        return words[value], ""
    if value.isdecimal() and int_of_digits(value) in words.values():
        return int_of_digits(value), ""
    return None, (f"There is no task state {text.strip()[:40]!r}: the list shows every task. "
                  f"The states are {', '.join(label for _, label in FILTERS)}.")


class ListView(NamedTuple):
    """What the task list shows: its query string's `state` (a state's number, SCHEDULED or
    None), `q`, `sort`, `dir` and `start`; `unknown` is the error for a state that is none."""
    state: int | str | None
    q: str
    sort: str
    direction: str
    start: int
    unknown: str

    @property
    def filter(self) -> str:
        return filter_selector(self.state, self.q)

    @property
    def selector(self) -> str:
        return list_selector(self.state, self.sort, self.direction, self.start, self.q)

    @property
    def left_words(self) -> str:
        """What a row says once its task no longer matches the filter ("no longer active")
        or, without one, the search; "" for the list of every task, which none leaves."""
        if self.state is not None:
            return f"no longer {dict(FILTERS)[self.state]}"
        return "no longer matching the search" if self.q else ""

    def url(self, **changes: Any) -> str:
        """The list's URL with some parameters changed (`state=""` for all, `start=0` ...),
        the defaults left out."""
        params = {"q": self.q, "state": "" if self.state is None else self.state,
                  "sort": self.sort, "dir": self.direction, "start": self.start, **changes}
        kept = {k: v for k, v in params.items()
                if v not in ("", None) and not (k == "start" and not v)
                and not (k == "sort" and v == "created") and not (k == "dir" and v == "desc")}
        return "/admin/tasks/" + ("?" + urlencode(kept) if kept else "")


def list_view(ctx: Context, param: Callable[[str], str]) -> ListView:
    """The list's view from its parameters (`param(name)`): the page's own query, or the
    list's URL its poll sends back, read alike."""
    state, unknown = state_filter(param("state"))
    sort = param("sort") if param("sort") in SORTS else "created"
    # any text: the search is quoted (selector_quoted), so "%" and "<b>" are looked for
    q = ctx.site.sanitizer.text(param("q"), 100, strip_tags=False)   # searched as typed
    return ListView(state, q, sort, "asc" if param("dir") == "asc" else "desc",
                    clamped_int(param("start"), 0, 0, 10 ** 9), unknown)


def list_rows(ctx: Context, tasker: Any, tasks: Iterable[Any]) -> list[TaskRow]:
    """The list's rows of these task pages: their statuses in one query, the pages they work
    on in one find."""
    tasks = list(tasks)
    parents = viewable_pages(ctx, {t.parent_id for t in tasks})
    statuses = tasker.get_statuses(task.id for task in tasks)
    return [status_row(statuses[task.id], task, parents.get(task.parent_id))
            if task.id in statuses else task_row(tasker, task, parents.get(task.parent_id))
            for task in tasks]


def rows_coming(ctx: Context, tasker: Any, view: ListView, shown: list[int]) -> dict[str, Any]:
    """For the list's poll: the ids of the list's page in its order (`order`: one query, no
    page loaded) and the table rows of those it does not show (`rows`, HTML as the list
    renders them, "" for none): tasks created, or come into its filter, since it was opened.
    Rows it shows that left the filter stay, updated, until a reload, and are named in
    `left` (rows_left) for the page to mark."""
    order = tasker.get_task_ids(view.selector)
    known = set(shown)
    missing = [task_id for task_id in order if task_id not in known]
    rows = list_rows(ctx, tasker, ctx.site.pages.get_many(missing)) if missing else []
    html = ctx.render("task_rows.html", rows=rows, notices=[],
                      status_html=lambda row: render_status(ctx, row)) if rows else ""
    return {"order": order, "rows": html, "left": rows_left(tasker, view, shown)}


def rows_left(tasker: Any, view: ListView, shown: list[int]) -> list[int]:
    """The rows shown whose task no longer matches the list's filter or search (one query on
    their ids): a row under the user's pointer is not taken away, but it no longer looks like
    the rows that match. A row on the next page now (newer tasks pushed it) still matches."""
    where = view.filter
    if not where or not shown:
        return []
    matching = set(tasker.get_task_ids(f"id={'|'.join(str(task_id) for task_id in shown)}, {where}"))
    return [task_id for task_id in dict.fromkeys(shown) if task_id not in matching]


def state_counts(ctx: Context, total: int | None, q: str = "") -> dict[Any, int]:
    """Tasks per state for the filter links; `total` is the count of all when known already.

    With a search, each is a count of the matching tasks in that state (a COUNT per state).

    Read at every render and by the list's poll, never kept: counts kept for a few seconds
    disagreed with the rows beside them (a task just run counted as "active 0" beside its
    running row). The poll brings them in the answer that brings the rows' statuses, so a
    task the page does not show (another page, another filter, a worker's) moves them too:
    every round without a search (one GROUP BY over the tasks' runtime rows and the scheduled
    tasks' count: 4-10 ms at 10,000 tasks on SQLite), every COUNTS_EVERY_SEARCHED rounds with
    one (its six COUNTs each scan the titles: 40-70 ms at 10,000 tasks). Between those, the
    page's script keeps them in step with the rows it updates (admin.js, `countChange` and
    `scheduledChange`).
    """
    tasker = tasker_of(ctx)
    if q:
        by_state = {int(state): tasker.get_tasks(f"{search_match(q)}, task_state={int(state)}, "
                                                 "limit=1").total
                    for state in STATE_FILTERS}
    else:
        by_state = tasker.count_by_state()
    counts: dict[Any, int] = {int(state): by_state.get(int(state), 0) for state in STATE_FILTERS}
    counts["all"] = sum(by_state.values()) if total is None else total
    counts[SCHEDULED] = tasker.get_tasks(", ".join(filter(None, (
        search_match(q), scheduled_selector(), "limit=1")))).total
    return counts


def back_url(ctx: Context, task_id: int) -> str:
    """Where an action without a script returns: the task list or task page it came from
    (after a confirmation page, the one that page carries on in `back`). One holding a
    control character is none of them: a NUL in the Location header answered 500, after the
    action was done."""
    sent = ctx.form("back") or ctx.request.headers.get("Referer", "")
    came_from = None if holds_control_character(sent) else url_parts(sent)
    if came_from is None:
        return "/admin/tasks/"
    if came_from.netloc and came_from.netloc != ctx.request.headers.get("Host", ""):
        return "/admin/tasks/"
    if came_from.path.startswith("/admin/tasks/") and "\\" not in came_from.path:
        return came_from.path + ("?" + came_from.query if came_from.query else "")
    return "/admin/tasks/"


def register(web: Web) -> None:
    app = web.app
    web.views.filters["when"] = when
    web.views.globals["question"] = question          # the task actions' "are you sure?"

    @app.get("/admin/tasks", permission="tasker-admin")
    def tasks_slash(ctx: Context) -> None:
        ctx.redirect("/admin/tasks/")

    @app.get("/admin/tasks/", permission="tasker-admin")
    def task_list(ctx: Context) -> str:
        tasker = tasker_of(ctx)
        view = list_view(ctx, ctx.query)
        if view.unknown:
            bottle.response.status = 400
        found = tasker.get_tasks(view.selector)
        return ctx.render("tasks.html", rows=list_rows(ctx, tasker, found), total=found.total,
                          start=view.start, page_size=PAGE_SIZE, state=view.state, sort=view.sort,
                          direction=view.direction, q=view.q,
                          counts=state_counts(ctx, found.total if view.state is None else None, view.q),
                          counts_every=COUNTS_EVERY_SEARCHED if view.q else 1, left=view.left_words,
                          notices=ctx.session.pop_notices()
                          + ([["error", view.unknown]] if view.unknown else []),
                          state_filters=FILTERS, sorts=SORT_LABELS, list_url=view.url,
                          status_html=lambda row: render_status(ctx, row),
                          activity=charts.activity_chart(tasker.get_activity()),
                          size={"width": charts.WIDTH, "height": charts.HEIGHT})

    @app.route("/admin/tasks/statuses", ["GET"], permission="tasker-admin", json=True)
    def statuses(ctx: Context) -> Any:
        """The task list's poll: every row's status in one request and one query, where the
        list asked for each row apart (and for rows not running only every 16 s, so a task
        started elsewhere showed as waiting that long). With `list=` (the list's own URL,
        which may show no row yet) also the rows its page lacks (rows_coming), and with
        `counts=1` the counts of its filter links (state_counts); `left` names the rows
        shown whose task no longer matches its filter (rows_left)."""
        try:
            tasker = tasker_of(ctx)
            listed = ctx.query("list")
            ids_text = ctx.query("ids")
            ids = task_ids_param(ids_text) if ids_text.strip() or not listed else []
            answer = statuses_answer(ctx, tasker, ids)
            if listed:
                parts = url_parts(listed)
                if parts is None:
                    raise HttpError(f"list must be the task list's URL (/admin/tasks/?...), not "
                                    f"{listed[:80]!r}")
                query = parse_query(parts.query)
                view = list_view(ctx, lambda name: query.get(name, ""))
                shown = [task_id for task_id in ids if str(task_id) in answer["tasks"]]   # not gone
                answer.update(rows_coming(ctx, tasker, view, shown))
                if ctx.query("counts"):
                    answer["counts"] = state_counts(ctx, None, view.q)
            return answer
        except HttpError as exc:
            return error_json(str(exc), exc.status)
        except DatabaseBusy:
            return error_json(BUSY_MESSAGE, 503)

    @app.get("/admin/tasks/<task_id:int>", permission="tasker-admin")
    def detail_slash(ctx: Context, task_id: int) -> None:
        ctx.redirect(f"/admin/tasks/{task_id}/")

    @app.get("/admin/tasks/<task_id:int>/", permission="tasker-admin")
    def detail(ctx: Context, task_id: int) -> str:
        return render_detail(ctx, task_id, run=ctx.session.take_run_request(task_id))

    @app.get("/admin/tasks/<task_id:int>/panel", permission="tasker-admin")
    def panel(ctx: Context, task_id: int) -> str:
        """The task page's lower part, fetched again by its script while the task is live."""
        tasker = tasker_of(ctx)
        task = task_or_404(ctx, tasker, task_id, trashed=True)
        return ctx.render("task_panel.html", notices=[], **panel_values(ctx, tasker, task))

    @app.post("/admin/tasks/<task_id:int>/run", permission="tasker-admin")
    def run_now(ctx: Context, task_id: int) -> None:
        """Run now: activate, then open the task's page, which runs it step by step.

        The page learns it should run from the session (set here, by a POST with the CSRF
        token), so a link from elsewhere cannot start it, and reloading it does not re-post.
        """
        ctx.check_csrf()
        tasker = tasker_of(ctx)
        task = task_or_404(ctx, tasker, task_id)
        try:
            run_command(ctx, tasker, task, "start")
            ctx.session.ask_to_run(task_id)
        except (HttpError, CmsError) as exc:
            ctx.notice("error", str(exc))
        ctx.redirect(f"/admin/tasks/{task_id}/")

    @app.post("/admin/tasks/<task_id:int>/action", permission="tasker-admin")
    def action(ctx: Context, task_id: int) -> None:
        """An action without the admin's script: do it, say what happened, go back."""
        ctx.check_csrf()
        tasker = tasker_of(ctx)
        task = task_or_404(ctx, tasker, task_id)
        cmd = ctx.form("cmd")
        back = back_url(ctx, task_id)
        if cmd in ("run", "start", "create"):
            ctx.notice("error", f"{cmd} is not an action of this form; use Run now")
        else:
            state, _, progress = task_state(task)
            if asks_first(cmd, state, progress):
                ctx.confirm(question(cmd, cmd.capitalize(), task.get("title")), cmd.capitalize(), back)
            try:
                result = run_command(ctx, tasker, task, cmd)
                ctx.notice("message", f"{task.get('title')}: {result}")
            except (HttpError, CmsError) as exc:
                ctx.notice("error", str(exc))
            if cmd == "trash" and back.startswith(f"/admin/tasks/{task_id}/"):
                back = "/admin/tasks/"
        ctx.redirect(back)


def task_or_404(ctx: Context, tasker: Any, task_id: int, *, trashed: bool = False) -> Any:
    """The task, or a 404 page. `trashed`: a task in the trash too (its page is read-only,
    so it still says what it did and on which page; its actions answer that it is gone)."""
    if trashed:
        task = tasker.get_task_by_id(task_id)
        if task and task.is_trash():
            return task
    try:
        return find_task(ctx, tasker, str(task_id))
    except HttpError as exc:
        raise bottle.HTTPResponse(ctx.render("error.html", status=exc.status, message=str(exc)),
                                  status=exc.status) from None


def render_detail(ctx: Context, task_id: int, run: bool) -> str:
    tasker = tasker_of(ctx)
    task = task_or_404(ctx, tasker, task_id, trashed=True)
    timeout = ctx.site.modules.get_config("Tasker").get("ajax_timeout", 15)
    return ctx.render("task_detail.html", log=tasker.get_log(task), run=run,
                      ajax_timeout=timeout, **panel_values(ctx, tasker, task))


def viewable_pages(ctx: Context, ids: set[int]) -> dict[int, Any]:
    """The pages among `ids` the user may view, by id (one find): a task names the page it
    works on only to whoever may view that page, so a user who only steers tasks does not read
    the titles of private pages beside them. The find admits an unpublished page to whoever
    may view its template (`viewable_ids`); `viewable()` then keeps it only for those who may
    edit it, as it does on the public site."""
    found = ctx.site.pages.get_many(sorted(ctx.site.pages.viewable_ids(ids)))
    return {page.id: page for page in found if not page.is_unpublished() or page.viewable()}


def panel_values(ctx: Context, tasker: Any, task: Any) -> dict[str, Any]:
    """What the task page shows below its status: facts, data, steps, state changes."""
    worked_on = tasker.get_page(task)                        # not the trash, once trashed
    details = tasker.get_details(task)
    row = task_row(tasker, task, worked_on if worked_on and worked_on.id in
                   viewable_pages(ctx, {worked_on.id}) else None, details["not_before"])
    if task.is_trash():                 # every action answers that it is gone: none is offered
        row = row._replace(actions=[])
    data_text = task.get("task_data") or "{}"
    try:
        data = json.loads(data_text)
        # a lone surrogate a step kept, as JSON writes it: the page's UTF-8 cannot hold the
        # character, and the page answered 500
        data_text = surrogates_escaped(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True))
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    # the creation has no state before it: "—", not the enum's "unknown"
    history = [{"at": h["at"], "old": state_info(int(h["old"]), False) if h["old"] else "—",
                "new": state_info(int(h["new"]), False), "who": h["who"], "note": h["note"]}
               for h in tasker.get_history(task)]
    found = tasker.get_step_figures(task)
    steps = [dict(s, rate=rate_text(s["records"], s["seconds"])) for s in found["steps"]]
    many = tasker.get_step_figures(task, limit=charts.CHART_STEPS)["steps"]
    # a counter may be any JSON (text read from a CSV: the step's log warns): 0 is no count
    drawn = {"progress": charts.progress_chart(many, as_int(data.get("records_processed")),
                                               as_int(data.get("max_records"))),
             "rate": charts.rate_chart(many)}
    # each with its state: "Waits for" a task that had finished, on a finished task, misled
    depends = [(page, state_info(*task_state(page)[:2]))
               for page in ctx.site.pages.get_many(tasker.get_dependencies(task))]
    return {"t": row, "data": data, "data_text": data_text, "history": history, "steps": steps,
            "figures": figures(found, row.state == ACTIVE), "depends": depends,
            "waits": any(state != "finished" for _, state in depends),
            "then_starts": ctx.site.pages.get_many(tasker.get_next_tasks(task)),
            "schedule": schedule(details, row.state == ACTIVE),
            # task pages are the tasker-admin's until a site opens them (README): the link
            # says whether a visitor would see the page or the 404
            "public": row.page.viewable(ctx.site.users.get("guest")),
            "charts": drawn, "size": {"width": charts.WIDTH, "height": charts.HEIGHT},
            "limit": charts.CHART_STEPS}


class Schedule(NamedTuple):
    next_run: str     # when an active task waits for its time ("" when it is due now)
    repeats: str      # a recurring task's `every` ("" when it runs once)
    retries: str      # its retry policy and the retries used ("" without one)


def schedule(details: dict[str, Any], active: bool) -> Schedule:
    """When the task runs, as the task page says it: an active task due later showed as
    "ready to run" with nothing to say it would wait until the night (`tasks show` said)."""
    not_before = details.get("not_before")
    next_run = ""
    if active and not_before is not None and float(not_before) > time.time():
        next_run = f"{when(not_before)} (in {format_seconds(float(not_before) - time.time())})"
    retries = ""
    if details.get("retry"):
        policy = json.loads(details["retry"])
        retries = (f"{policy.get('attempts', 0)}, after {policy.get('backoff', 0):g} s, doubling "
                   f"({details.get('failures') or 0} used)")
    return Schedule(next_run, repeats_text(str(details.get("every") or "")), retries)


def repeats_text(every: str) -> str:
    """`every` as stored: seconds ("every 20 s", "every 1 h 0 min") or a cron expression."""
    if not every:
        return ""
    try:
        seconds = float(every)
    except ValueError:
        return f"{every} (cron, UTC)"
    return "every " + (format_seconds(seconds) if seconds >= 60 else f"{every} s")


def rate_text(records: float, seconds: float) -> str:
    if not records or not seconds or seconds <= 0:
        return "–"
    return f"{records / seconds:,.0f}/s"


def figures(found: dict[str, Any], active: bool) -> Figures:
    """The rate over the latest steps and the time left at it, as Tasker reckons them."""
    rate, eta = found.get("rate"), found.get("eta_seconds")
    rate_shown = f"{rate:,.0f} records/s" if rate else "–"
    if eta is None or not active:
        return Figures(rate_shown, "–")
    return Figures(rate_shown, f"{format_seconds(eta)} (about {when(time.time() + eta)})")


def format_seconds(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"
