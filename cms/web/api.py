"""The task API: `/admin/tasks/api?id=ID&cmd=CMD`, the original TaskerAdmin's commands as JSON.

`status` is a GET (a POST works too); every other command changes something, so it is a POST
with the session's CSRF token (form field `csrf_token` or header `X-CSRF-Token`). Parameters
come from the query string or the form. Every answer has the same fields:

    taskid int, taskinfo str (the title), task_state int, task_state_info str (`running`,
    `suspending` ... while a step runs), status bool, status_html str (the task's status row,
    rendered with escaping), result str, progress int, task_running 0/1, log list of str

Errors answer `status: false` with a message in `result` (and `message`) and a 4xx code: 400
for a bad request (unknown command, bad id, a state change the task cannot make), 403 without
the `tasker-admin` permission or a valid CSRF token, 404 for a task that does not exist.
`log=N` limits `log` to the last N lines (`log=0`: none; the task list's pollers use that).

Commands: status; activate (ready to run by cron, worker or lazy cron; a finished task is
refused, 400: restart runs it again); start (activate, then
the page calls `run`); run (one step now, as the logged-in user, for at most `ajax_timeout`
seconds: the request waits for it, and a step that overruns it by the grace is killed, see
`cms/tasker/runners/browser.py`; its `result` starts `busy: ` when the page should ask again
in a moment, `later: ` when the step ended a recurring task's run or failed with a retry left,
which a runner takes at the time it names, so the page stops); suspend; kill; reset (back to
waiting with the initial data); restart (reset, then activate); trash; create (`module`,
`method` - one of the module's `task_methods` -, `pageid`, `title`, `task_data` JSON text).
"""
from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from ..errors import CmsError, DatabaseBusy, ModuleError
from ..tasker.runners.browser import run_supervised_step
from ..tasker.state import state_info
from .answers import HttpError, error_json
from .app import BUSY_MESSAGE
from .task_view import ACTIVE, FINISHED, WAITING, Due, due_of, status_row, task_row, when

if TYPE_CHECKING:
    from .app import Context, Web

BUSY = "busy: "      # a `run` answer that tells the page to wait a moment before the next call
LATER = "later: "    # a `run` answer that ends the page's loop: the task's next run is a runner's
COMMANDS = ("status", "activate", "start", "run", "suspend", "kill", "reset", "restart",
            "trash", "create")
MAX_TASK_DATA = 1_000_000
MAX_POLLED = 200          # ids in one `statuses` poll: the task list shows 50 a page


def tasker_of(ctx: Context) -> Any:
    """Tasker as installed; a 404 when it is not. The admin does not install it (a thread
    that had not loaded it installed it again, unasked, after an uninstall on the Modules
    screen), and a thread that loaded it before that uninstall finds its template gone
    (every Tasks screen failed on it)."""
    try:
        tasker = ctx.site.modules.get_module("Tasker", install=False)
    except ModuleError:
        tasker = None
    if tasker is None or tasker.TEMPLATE not in ctx.site.templates:
        raise HttpError("Tasker is not installed: a superuser installs it on the Modules screen", 404)
    return tasker


def check_token(ctx: Context) -> None:
    """The session's CSRF check, refused in words a script can act on: the API is called by
    scripts too, which "reload the page" tells nothing, and a login gives the session a new
    token, so the login form's one, kept by a script, is refused after it."""
    try:
        ctx.check_csrf()
    except HttpError as exc:
        raise HttpError(f"{exc} (a script sends the session's token as X-CSRF-Token: after "
                        "logging in, read it from an admin page's <meta name=\"csrf-token\">)",
                        exc.status) from None


def task_id_param(text: str) -> int:
    """The task id `text` holds; HttpError 400 when it is not a whole number."""
    text = text.strip()
    if not text.isdecimal() or len(text) > 12:
        raise HttpError(f"id must be a task's page id (a whole number), not {text[:40]!r}")
    return int(text)


def find_task(ctx: Context, tasker: Any, text: str) -> Any:
    """The task page whose id `text` holds; HttpError 400 for a malformed id, 404 for no such
    task."""
    task_id = task_id_param(text)
    task = tasker.get_task_by_id(task_id)
    if not task:
        raise HttpError(f"there is no task {task_id}", 404)
    if task.is_trash():
        raise HttpError(f"task {task_id} is in the trash (restore it to steer it)", 404)
    return task


def last_lines(lines: list[str], limit: int | None = None) -> list[str]:
    """The last `limit` log lines when given (none for 0), else all of them."""
    if limit == 0:
        return []
    return lines[-limit:] if limit else lines


def require_installed(ctx: Context, name: str) -> None:
    """Refuse to set going a task of a module that is not installed: its step would install
    it (modules.get installs on first use), which is a superuser's choice, not that of whoever
    steers tasks; a task made before its module was uninstalled was run so, and installed it."""
    if not ctx.site.modules.is_installed(name):
        raise HttpError(f"module {name!r} is not installed (a superuser installs it on the "
                        "Modules screen)")


def run_command(ctx: Context, tasker: Any, task: Any, cmd: str) -> str:
    """Do `cmd` to `task` through the Tasker API; returns the result text, raises HttpError."""
    if cmd in ("activate", "start", "run", "restart"):
        require_installed(ctx, tasker.get_details(task)["module"])
    if cmd in ("activate", "start"):
        row = task_row(tasker, task)
        if cmd == "start" and row.running:
            raise HttpError("the task is running already (a runner has claimed it); watch it or "
                           "suspend it first")
        if cmd == "start" and row.state not in (ACTIVE, WAITING):
            # Run now is offered to a waiting or active task (task_view.actions): a finished one
            # would run its work again, a failed or killed one is tried again by Activate
            raise HttpError(f"the task is {state_info(row.state, False)}: Run now runs a waiting "
                           "or active task; reset it (or activate it) first")
        if row.state == FINISHED:            # activated, it would run its work again
            raise HttpError("the task has finished: activating it would run its work again; "
                           "restart it to run it again")
        if (cmd == "start" or row.state != ACTIVE) and \
                not tasker.activate_task(task, for_browser=cmd == "start"):
            raise HttpError("the task cannot be activated yet: it waits for "
                           f"{tasker.lifecycle.waits_for_text(task.id) or 'another task'} to finish")
        return "run" if cmd == "start" else "activated"
    if cmd == "run":
        return run_step(ctx, tasker, task)
    if cmd == "suspend":
        if not tasker.stop_task(task):
            raise HttpError(f"the task has ended ({tasker.get_state(task).label}): there is "
                            "nothing to suspend")
        return "suspended"
    if cmd == "kill":
        tasker.stop_task(task, kill=True)
        if task_row(tasker, task).running:       # the step stops at its next save, then resets
            return "killing: reset to 0% when its running step stops"
        return "killed and reset to 0%"
    if cmd == "reset":
        tasker.reset_progress(task)
        return "reset"
    if cmd == "restart":
        if not tasker.restart_task(task):
            raise HttpError("the task was reset but cannot be activated yet: it waits for "
                           f"{tasker.lifecycle.waits_for_text(task.id) or 'another task'} to finish")
        return "restarted"
    if cmd == "trash":
        tasker.trash_task(task)
        return "trashed"
    raise HttpError(f"unknown command {cmd!r}; commands: {', '.join(COMMANDS)}")


def run_step(ctx: Context, tasker: Any, task: Any) -> str:
    """One step of the task now, in this request, for at most `ajax_timeout` seconds."""
    row = task_row(tasker, task)
    if row.state == FINISHED:
        # Another runner took its last step (or an earlier call of this page did): the page's
        # loop ends here, saying so; nothing was refused.
        return ended_by(tasker, task.id, row.word)
    if row.state != ACTIVE:
        raise HttpError(f"the task is {row.word}, not active: activate it first (cmd=activate, "
                       "or cmd=start to activate it and run it from here)")
    timeout = float(ctx.site.modules.get_config("Tasker").get("ajax_timeout") or 15)
    params = {"timeout": time.time() + timeout, "invoker": ctx.user.name, "admin_run": True}
    if row.running:
        return BUSY + "another runner is executing a step of this task"
    # A step run by hand does not wait for the task's schedule: the page must stop once the
    # step set a later time, or it ran a recurring task's runs, or spent its retries, at once.
    due_before = tasker.due_at(task.id)
    ran = run_supervised_step(tasker, task.id, params)
    if ran:
        due = tasker.due_at(task.id)
        if due is not None and due != due_before:
            return (f"{LATER}this run is done; its next run is due at {when(due)} (cron or a "
                    "worker runs it then)")
        return "step done"
    after = task_row(tasker, tasker.get_task_by_id(task.id))
    due = tasker.due_at(task.id)
    if after.state == ACTIVE and due is not None and due != due_before:
        if ran is None:      # not claimed: a runner that held it ended a run or set a retry
            return (f"{LATER}another runner ran it just now; it is due again at {when(due)} "
                    "(cron or a worker runs it then)")
        return f"{LATER}the step failed; it is retried at {when(due)} (see the log)"
    if after.state == ACTIVE:
        # Not claimed (a worker took it a moment ago, or max_running tasks run): the page
        # waits a little before it asks again.
        return BUSY + "the task could not be claimed just now; trying again shortly"
    if after.state == FINISHED:
        return ended_by(tasker, task.id, after.word)
    return f"the step ended with the task {after.word}; see the log"


def ended_by(tasker: Any, task_id: int, word: str) -> str:
    """"finished by <who>": the runner (or user) that made the task's last state change."""
    history = tasker.get_history(task_id)
    who = history[-1]["who"] if history else ""
    return f"{word} by {who}" if who else word


def create(ctx: Context, tasker: Any) -> Any:
    """`create`: a new task for a registered module's task method, from the request's fields."""
    name = ctx.param("module").strip()
    method = ctx.param("method").strip()
    if not name or not method:
        raise HttpError("create needs `module` and `method` (one of the module's task_methods)")
    try:
        cls = ctx.site.modules.get_class(name)
    except CmsError:
        # ModuleError's words are for the site's owner: they name the folders looked in
        raise HttpError(f"there is no module {name[:80]!r} (see the Modules screen)") from None
    require_installed(ctx, name)
    allowed = tuple(getattr(cls, "task_methods", ()))
    if method not in allowed:
        raise HttpError(f"module {name!r} offers no task method {method!r}; task methods: "
                       f"{', '.join(allowed) or 'none'}")
    page_text = ctx.param("pageid").strip()
    if not page_text.isdecimal() or len(page_text) > 12:
        raise HttpError("pageid must be the id of the page the task works on")
    page = ctx.site.pages.get(int(page_text))
    if not page or not page.viewable():     # a page the user may not view is not theirs to name
        raise HttpError(f"there is no page {int(page_text)}", 404)
    if not page.editable():
        # The method works on that page as the runner (every right): it may add, change or
        # delete pages under it. Starting one asks for the right to edit the page.
        raise HttpError(f"you may not edit {page.path}, so you may not start a task on it", 403)
    title = ctx.param("title").strip()
    if not title:
        raise HttpError("a new task needs a title")
    data_text = ctx.param("task_data").strip()
    task_data = None
    if data_text:
        if len(data_text) > MAX_TASK_DATA:
            raise HttpError(f"task_data is longer than {MAX_TASK_DATA} characters")
        try:
            task_data = json.loads(data_text)
        except ValueError as exc:
            raise HttpError(f"task_data is not valid JSON: {exc}") from None
        except RecursionError:
            raise HttpError("task_data nests too deeply") from None
        if not isinstance(task_data, dict):
            raise HttpError("task_data must be a JSON object ({...})")
    return tasker.create_task(name, method, page, title, task_data=task_data)


_shapes: dict[tuple, str] = {}
SHAPES_MAX = 2048
# Stand-ins rendered in place of what differs between tasks of one shape. Jinja's escaping
# leaves them as they are; the title goes in last, so nothing in it is ever replaced.
ID_MARK, TOKEN_MARK, TITLE_MARK = "\x00id\x00", "\x00token\x00", "\x00title\x00"
DUE_MARKS = Due("\x00at\x00", "\x00within\x00", "\x00iso\x00")     # a scheduled task's run time


def render_status(ctx: Context, status: Any) -> Markup:
    """A task's status row as HTML (autoescaped, the `status` macro of task_macros.html): what
    the API's status_html, the task list and the task page show.

    `status` is a TaskStatus or a TaskRow. Tasks in the same state, running flag, progress,
    summary, whether they are scheduled and what they wait for render alike but for their id,
    title, run time and the form's CSRF token, so the macro is rendered once per such shape,
    with stand-ins that are then replaced by the task's escaped values: a poller asking for
    thousands of different tasks does not render each one.
    """
    due = due_of(status.state, status.running, status.not_before)
    key = (status.state, status.running, status.progress, status.summary, due is not None,
           status.waits_for)
    shape = _shapes.get(key)
    if shape is None:
        macros = ctx.web.views.get_template("task_macros.html").module
        stand_in = status_row(status)._replace(id=ID_MARK, title=TITLE_MARK, due=due and DUE_MARKS)
        shape = str(macros.status(stand_in, TOKEN_MARK))
        if len(_shapes) >= SHAPES_MAX:
            _shapes.clear()
        _shapes[key] = shape
    if due:
        for mark, text in zip(DUE_MARKS, due):
            shape = shape.replace(mark, escape(text))
    return Markup(shape.replace(ID_MARK, str(int(status.id)))
                  .replace(TOKEN_MARK, escape(ctx.session.csrf_token))
                  .replace(TITLE_MARK, escape(status.title)))


def answer(ctx: Context, tasker: Any, task_id: int, status: bool, result: str,
           log_limit: int | None = None) -> dict[str, Any]:
    """The API's answer for a task as stored now (one query: Tasker.get_status)."""
    found = tasker.get_status(task_id, log=log_limit != 0)
    if found is None:           # none, or trashed: find_task says which
        find_task(ctx, tasker, str(task_id))
        raise HttpError(f"there is no task {task_id}", 404)
    return status_fields(ctx, found, status, result, last_lines(found.log, log_limit))


def status_fields(ctx: Context, found: Any, status: bool, result: str,
                  log: list[str]) -> dict[str, Any]:
    """The answer's fields for a task's status as stored (a TaskStatus)."""
    return {"taskid": found.id, "taskinfo": found.title, "task_state": found.state,
            "task_state_info": state_info(found.state, found.running), "status": status,
            "status_html": str(render_status(ctx, found)), "result": result,
            "progress": found.progress, "task_running": 1 if found.running else 0, "log": log}


def stored_status(ctx: Context, task: Any) -> Any:
    """The refused task's status as stored now (None without a task, or when it cannot be
    read: a refusal is answered whatever)."""
    if task is None:
        return None
    try:
        return tasker_of(ctx).get_status(task.id, log=False)
    except Exception:
        return None


def gone_answer(tasker: Any, task: Any, result: str) -> dict[str, Any]:
    """The answer for a task just trashed: its state is the one trash_task left (killed,
    or finished and failed as they were), `task_state_info` says it is in the trash."""
    state = tasker.get_state(task)
    return {"taskid": task.id, "taskinfo": task.get("title") or "", "task_state": int(state),
            "task_state_info": "trashed", "status": True, "status_html": "",
            "result": result, "progress": 0, "task_running": 0, "log": []}


def task_ids_param(text: str) -> list[int]:
    """The task ids of `ids=12,13,...` (at most MAX_POLLED); HttpError 400 otherwise."""
    ids = [part.strip() for part in text.split(",") if part.strip()]
    if not ids or len(ids) > MAX_POLLED:
        raise HttpError(f"ids must list 1 to {MAX_POLLED} task ids, separated by commas")
    return [task_id_param(part) for part in ids]


def statuses_answer(ctx: Context, tasker: Any, ids: list[int]) -> dict[str, Any]:
    """The status of every task a list shows, in one read (Tasker.get_statuses): each as the
    `status` command answers it without its log, and its page's `modified` as the list shows
    it (a task's activity moves it on), by id; the ids of tasks gone (deleted or trashed) in
    `gone`, so the list drops their rows."""
    found = tasker.get_statuses(ids)
    tasks = {str(status.id): {**status_fields(ctx, status, True, status.title, []),
                              "modified": when(status.modified)}
             for status in found.values()}
    return {"status": True, "tasks": tasks, "gone": [i for i in dict.fromkeys(ids) if i not in found]}


def register(web: Web) -> None:
    app = web.app

    # Every method reaches it, so that one it does not take is answered in JSON as well.
    methods = ["GET", "POST", "PUT", "DELETE", "PATCH"]

    @app.route("/admin/tasks/api", methods, permission="tasker-admin", json=True)
    @app.route("/admin/tasks/api/", methods, permission="tasker-admin", json=True)
    def api(ctx: Context) -> Any:
        cmd = ctx.param("cmd").strip()
        task = None
        try:
            if ctx.method not in ("GET", "POST"):
                raise HttpError(f"{ctx.method} is not taken here: status by GET, the other "
                                "commands by POST", 405)
            if cmd not in COMMANDS:
                raise HttpError(f"unknown command {cmd[:40]!r}; commands: {', '.join(COMMANDS)}")
            if ctx.method != "POST" and cmd != "status":
                raise HttpError(f"{cmd} changes the task: send it by POST with the CSRF token")
            if ctx.method == "POST":
                check_token(ctx)
            tasker = tasker_of(ctx)
            log_param = ctx.param("log").strip()
            log_limit = int(log_param) if log_param.isdecimal() and len(log_param) < 7 else None
            if cmd == "status":
                # The hot path of every progress bar: one query, no page loaded. The result
                # is the title, as the original's.
                found = answer(ctx, tasker, task_id_param(ctx.param("id")), True, "", log_limit)
                found["result"] = found["taskinfo"]
                return found
            if cmd == "create":
                task = create(ctx, tasker)
                return answer(ctx, tasker, task.id, True, "created", log_limit)
            task = find_task(ctx, tasker, ctx.param("id"))
            result = run_command(ctx, tasker, task, cmd)
            if cmd == "trash":
                return gone_answer(tasker, task, result)
            return answer(ctx, tasker, task.id, True, result, log_limit)
        except HttpError as exc:      # a refused command, no valid CSRF token ...
            refused = error_json(str(exc), exc.status, task, stored_status(ctx, task))
            if exc.status == 405:
                refused.set_header("Allow", "GET, POST")
            return refused
        except DatabaseBusy:          # SQLite's lock held elsewhere: send it again
            return error_json(BUSY_MESSAGE, 503, task, None)
        except CmsError as exc:       # TaskError, ValidationError ...: the caller's mistake
            return error_json(str(exc), 400, task, stored_status(ctx, task))
