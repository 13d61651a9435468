"""`tasks`: list, inspect, steer and run tasks from a terminal.

    python run.py tasks list [--state active|scheduled|...] [--json]
    python run.py tasks show ID [--json]
    python run.py tasks create MODULE METHOD PAGE TITLE [--data JSON] [--activate]
                              [--not-before TIME] [--retry ATTEMPTS[:BACKOFF]] ...
    python run.py tasks activate|suspend|kill|reset|trash ID
    python run.py tasks run ID          # every step here, with a progress bar, to the end

A "scheduled" task is an active one whose time (`not_before`) is ahead: `list` and `show` say
so and when it runs, where they said "active" as if a runner would take it now.

Exit codes: 0 done; 1 an error, with one line on stderr (no such task, a task that cannot run,
and for `tasks run` a task that ended failed or killed); 130 a `tasks run` stopped by Ctrl-C,
143 by SIGTERM, 129 by SIGHUP (its terminal closed) (the task stays active; a second one stops
its step at once, giving the task back); 2 bad usage (a `--data`, `--every`,
`--not-before`, `--priority` or `--retry` that cannot be read or that create_task would refuse included:
then nothing is created).
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import re
import signal
import sys
import time
import unicodedata
from datetime import datetime, timezone
from typing import Any

from ..digits import int_of_digits, shown_number
from ..errors import CmsError
from ..notices import print_or_drop, printable
from ..selectors.plan import COUNT_MAX
from ..stop_signals import STOP_SIGNALS
from ..tasker.errors import HOW_TO_RESTORE, TaskError
from ..tasker.schedule import (
    SCHEDULED,
    check_every,
    check_not_before,
    check_retry,
    scheduled_for,
    scheduled_selector,
)
from ..tasker.state import TaskState
from ..tasker.status import counts_of
from ..tasker.tasker import check_priority
from . import Parser, Stopped, UsageError, boot_existing, check_step_time, finite

KILLED = "killed and reset to 0%"      # DESIGN.md: a kill is a stop plus a reset; said plainly
ACTIONS = ("activate", "suspend", "kill", "reset", "trash")
STATE_NAMES = tuple(state.label for state in TaskState)
BAR_WIDTH = 30
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
FROM_NOW = re.compile(r"\+(\d{1,12}(?:\.\d+)?)([smhd])")


def register(sub: argparse._SubParsersAction) -> None:
    from ..tasker.step import MIN_STEP_SECONDS
    tasks = sub.add_parser("tasks", help="list, show, steer and run tasks",
                           description="List, show, steer and run Tasker tasks.")
    tsub = tasks.add_subparsers(dest="tasks_command", metavar="ACTION", parser_class=Parser)
    tasks.set_defaults(func=lambda args: _usage(tasks))

    listing = tsub.add_parser("list", help="list tasks (newest first)")
    listing.add_argument("--state", metavar="S",
                         help="only tasks in this state: " + ", ".join(STATE_NAMES[1:]) + " or 0-5; "
                              "or scheduled (active, their time ahead)")
    listing.add_argument("--limit", type=int, default=200, metavar="N",
                         help="at most N tasks (default 200)")
    listing.add_argument("--json", action="store_true", help="JSON instead of a table")
    listing.set_defaults(func=cmd_list)

    show = tsub.add_parser("show", help="one task: state, progress, data, log")
    show.add_argument("id", metavar="ID", type=task_id)
    show.add_argument("--json", action="store_true", help="JSON instead of text")
    show.set_defaults(func=cmd_show)

    for action, text in (("activate", "make a task ready to run"),
                         ("suspend", "send a task back to waiting (a running step stops at its "
                                     "next save)"),
                         ("kill", "kill a task and reset its progress"),
                         ("reset", "send a task back to waiting at 0%% with its initial data"),
                         ("trash", "kill a task and move its page to the trash")):
        parser = tsub.add_parser(action, help=text)
        parser.add_argument("id", metavar="ID", type=task_id)
        parser.set_defaults(func=cmd_action, action=action)

    create = tsub.add_parser("create", help="create a task (waiting; --activate makes it ready)",
                             description="Create a task for a module's method on a page, as "
                                         "Tasker.create_task does from Python.")
    create.add_argument("module", metavar="MODULE", help="the module's registered name")
    create.add_argument("method", metavar="METHOD", help="a public method of it")
    create.add_argument("page", metavar="PAGE", help="the page it works on: an id or a path")
    create.add_argument("title", metavar="TITLE")
    create.add_argument("--data", metavar="JSON", type=data_arg, help="task_data: a JSON object")
    create.add_argument("--activate", action="store_true", help="make it ready to run at once")
    create.add_argument("--priority", type=priority_arg, default=0, metavar="N",
                        help="higher runs first (default 0)")
    create.add_argument("--every", metavar="E", type=every_arg,
                        help="recurring: whole seconds, or a cron expression read in UTC "
                             "(\"*/5 * * * *\", \"0 3 * * *\" is 03:00 UTC)")
    create.add_argument("--unique", action="store_true",
                        help="refuse it when an identical task is waiting or active")
    create.add_argument("--not-before", type=not_before_arg, metavar="TIME",
                        help="no runner starts it earlier: an ISO 8601 time (2026-12-06T18:00, "
                             "UTC unless it gives an offset: +01:00, Z) or a time from now "
                             "(+90s, +10m, +2h, +1d)")
    create.add_argument("--retry", type=retry_arg, metavar="ATTEMPTS[:BACKOFF]",
                        help="retry a failed step ATTEMPTS times, the first after BACKOFF "
                             "seconds (default 0), doubling each time: 3:60")
    create.set_defaults(func=cmd_create)

    run = tsub.add_parser("run", help="run a task here, step after step, to its end")
    run.add_argument("id", metavar="ID", type=task_id)
    run.add_argument("--step-time", type=finite, metavar="S",
                     help="the time box of each step (default: the setting cron_timeout, 55; "
                          f"at least {MIN_STEP_SECONDS:g})")
    run.set_defaults(func=cmd_run)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_usage(sys.stderr)
    print("cms tasks: error: name an action: list, show, create, " + ", ".join(ACTIONS) + " or run",
          file=sys.stderr)
    return 2


class TaskNotFound(CmsError):
    """A task id that names no task: `main()` prints it as one line and exits 1."""


def _fail(text: str) -> int:
    print_or_drop(f"cms: error: {text}", file=sys.stderr)
    return 1


def _tasker(args: argparse.Namespace) -> Any:
    """Tasker of the existing site the global options name (a folder without one is refused,
    not given a new empty site)."""
    return boot_existing(args).modules.get("Tasker")


def task_id(text: str) -> str:
    """An ID argument, its digits without leading zeros (every Tasker method takes an id as
    text, and a message shows it as typed, however long); a malformed one is bad usage
    (exit 2), as argparse reports it."""
    value = str(text).strip()
    if not value.isdecimal() or int_of_digits(value) <= 0:
        raise argparse.ArgumentTypeError(f"a task id is a positive whole number, not "
                                         f"{shown_number(value) if value.isdecimal() else repr(text)}")
    return value.lstrip("0")


def _task(tasker: Any, value: str) -> Any:
    """The task page of that id, or TaskNotFound with a line that says what is wrong."""
    task = tasker.get_task_by_id(value)
    if not task:
        page = tasker.site.pages.get(value)
        if page:
            raise TaskNotFound(f"page {page.id} ({page.path}) is not a task")
        raise TaskNotFound(f"there is no task with id {shown_number(value)}; `python run.py "
                           "tasks list` shows the tasks")
    return task


def not_before_arg(text: str) -> float:
    """`--not-before` as epoch seconds: an ISO 8601 time, read as UTC without an offset (as
    create_task reads a naive datetime), or `+N` and a unit (s, m, h, d) from now. Anything
    else is bad usage (exit 2), as argparse reports it, and nothing is created."""
    value = text.strip()
    if value.startswith("+"):
        found = FROM_NOW.fullmatch(value)
        if not found:
            raise argparse.ArgumentTypeError(f"{text!r}: a time from now is + a number and s, m, h "
                                             "or d, as +90s, +10m, +2h, +1d")
        at: Any = time.time() + float(found.group(1)) * UNITS[found.group(2)]
    else:
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is neither an ISO 8601 time (2026-12-06T18:00, 2026-12-06 18:00+01:00; "
                "UTC when no offset is given) nor a time from now (+10m, +2h, +1d)") from None
    try:
        return float(check_not_before(at))
    except (TaskError, OverflowError):
        raise argparse.ArgumentTypeError(f"{text!r} falls outside the years 1 to 9999, the times "
                                         "a task can be given") from None


def retry_arg(text: str) -> dict[str, Any]:
    """`--retry ATTEMPTS[:BACKOFF]` as create_task's `retry` ({"attempts": 3, "backoff": 60}),
    checked as create_task checks it; bad usage (exit 2) otherwise."""
    attempts, _, backoff_text = text.strip().partition(":")
    try:
        backoff = float(backoff_text) if backoff_text else 0
    except ValueError:
        backoff = None
    if not attempts.isdecimal() or backoff is None or ":" in backoff_text:
        raise argparse.ArgumentTypeError(f"{text!r}: give ATTEMPTS[:BACKOFF], a whole number of "
                                         "retries and the seconds before the first, as 3:60")
    if math.isfinite(backoff) and backoff == int(backoff):
        backoff = int(backoff)
    retry = {"attempts": int(attempts), "backoff": backoff}
    try:
        check_retry(retry)
    except TaskError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return retry


def priority_arg(text: str) -> int:
    """`--priority` as create_task's `priority`, checked as create_task checks it: bad usage
    (exit 2) otherwise, as `--every` and `--retry` are."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    try:
        return check_priority(value)
    except TaskError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def data_arg(text: str) -> dict[str, Any] | None:
    """`--data` as create_task's `task_data` (empty: none). Text that is no JSON object is
    bad usage (exit 2), as argparse reports it, as a `--priority` or `--not-before` that
    cannot be read is; what create_task then refuses of an object (a key it sets) is exit 1."""
    if not text.strip():
        return None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON: {exc}") from None
    except RecursionError:
        raise argparse.ArgumentTypeError("the JSON nests too deeply") from None
    if not isinstance(data, dict):
        raise argparse.ArgumentTypeError("task_data must be a JSON object ({...})")
    return data


def every_arg(text: str) -> int | str:
    """`--every` as create_task's `every`: whole seconds, or a cron expression read in UTC;
    checked as create_task checks it (bad usage, exit 2, otherwise), as `--retry` is. Any other
    number (1.5, 1e3, nan) is bad usage too, said as such, where create_task from Python takes
    fractions of a second: read as text, 1.5 was taken and 1e3 called a short cron expression."""
    value: int | str = text.strip()
    if value.isdecimal():
        value = int(value)
    elif _is_number(value) and not value.lstrip("+-").isdecimal():   # -5: "must be positive"
        raise argparse.ArgumentTypeError(f"give a whole number of seconds (1 or more) or a cron "
                                         f"expression (\"*/5 * * * *\"), not {text!r}")
    try:
        check_every(value)
    except TaskError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def _is_number(text: str) -> bool:
    """Text Python reads as a number (1.5, -2, 1e3, nan): no cron expression is one."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def _state(text: str) -> int:
    value = text.strip().lower()
    if value.isdecimal() and int_of_digits(value) < len(STATE_NAMES):
        return int_of_digits(value)
    if value in STATE_NAMES:
        return STATE_NAMES.index(value)
    raise UsageError(f"unknown state {text!r}; use one of {', '.join(STATE_NAMES[1:])} or 0-5; "
                     f"or {SCHEDULED} (active, their time ahead)")


shown = printable       # titles and log lines as the terminal may show them


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(float(epoch), timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


class _TaskFailures(logging.Filter):
    """Leaves out the error notices of Tasker and the task's module (`cms.<name>`) while `tasks
    run` runs: the task's log keeps them, the command's last line on stderr says the last of
    them, and a command gives one line on an error. So is Tasker's warning that the task "was
    not run" (another runner holds it, it was stopped): the last line gives that reason."""

    def __init__(self, task_id: int) -> None:
        super().__init__()
        self.not_run = f"task {task_id} was not run: "

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("cms."):
            return True
        if record.levelno >= logging.ERROR:
            return False
        return not (record.levelno == logging.WARNING and record.getMessage().startswith(self.not_run))


def _summary(tasker: Any, task: Any, not_before: float | None) -> dict[str, Any]:
    """What `list` and `show` say of a task; `not_before` as stored (when it may run)."""
    from ..tasker import state_info
    state = int(task.get("task_state") or 0)
    running = int(task.get("task_running") or 0)
    parent = tasker.get_page(task)          # not the trash, for a trashed task
    return {"id": task.id, "title": task.title, "state": state,
            "state_info": state_info(state, running), "running": running,
            "scheduled": scheduled_for(state, bool(running), not_before) is not None,
            "not_before": _iso(not_before),
            "progress": int(task.get("progress") or 0), "page": parent.id,
            "page_path": parent.path, "log_summary": tasker.get_log_summary(task),
            "created": task.created.isoformat() if task.created else None}


def _state_word(info: dict[str, Any]) -> str:
    """"scheduled" for an active task whose time is ahead, else the state's word."""
    return SCHEDULED if info["scheduled"] else info["state_info"]


def cmd_list(args: argparse.Namespace) -> int:
    if not 1 <= args.limit <= COUNT_MAX:      # past it the selector refused, exit 1
        raise UsageError(f"--limit must be from 1 to {COUNT_MAX}")
    selector = f"sort=-id, limit={args.limit}"
    scheduled = args.state is not None and args.state.strip().lower() == SCHEDULED
    if scheduled:
        selector = f"{scheduled_selector()}, " + selector
    elif args.state is not None:
        selector = f"task_state={_state(args.state)}, " + selector
    tasker = _tasker(args)
    tasks = tasker.get_tasks(selector)
    statuses = tasker.get_statuses(task.id for task in tasks)     # their times, in one query
    rows = [_summary(tasker, task, statuses[task.id].not_before if task.id in statuses else None)
            for task in tasks]
    if args.json:
        print(json.dumps({"total": tasks.total, "tasks": rows}, indent=2))
        return 0
    if not rows:
        named = SCHEDULED if scheduled else STATE_NAMES[_state(args.state)] if args.state else ""
        print("no tasks" + (f" in state {named}" if named else ""))
        return 0
    print(f"{'ID':>6}  {'STATE':<10} {'DONE':>4}  {'TITLE':<40} PAGE")
    for row in rows:
        title = _fit(shown(row["title"]), 40)
        print(f"{row['id']:>6}  {_state_word(row):<10} {row['progress']:>3}%  {title} "
              f"{row['page_path']}" + (f"  runs {row['not_before']}" if row["scheduled"] else ""))
    if tasks.total > len(rows):
        print(f"... {tasks.total - len(rows)} more (use --limit)")
    return 0


def _columns(char: str) -> int:
    """The terminal columns a character takes: two for East Asian wide ones (CJK, most
    emoji), none for a combining mark."""
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def _fit(text: str, width: int) -> str:
    """`text` cut (with "…") or padded to `width` terminal columns, so the column after it
    starts at the same place whatever script the text is in."""
    used = sum(map(_columns, text))
    if used <= width:
        return text + " " * (width - used)
    kept, used = [], 0
    for char in text:
        if used + _columns(char) > width - 1:
            break
        kept.append(char)
        used += _columns(char)
    return "".join(kept) + "…" + " " * (width - 1 - used)


def cmd_show(args: argparse.Namespace) -> int:
    tasker = _tasker(args)
    task = _task(tasker, args.id)
    details = tasker.get_details(task)
    info = _summary(tasker, task, details["not_before"])
    module, method, priority, attempts, failures, runner, invoker, lease, not_before, every, \
        retry, steps, run_seconds = (details[key] for key in (
            "module", "method", "priority", "attempts", "failures", "runner", "invoker",
            "lease_until", "not_before", "every", "retry", "steps", "run_seconds"))
    try:
        data = json.loads(task.get("task_data") or "{}")
    except ValueError:
        data = task.get("task_data")
    info.update({"trashed": task.is_trash(), "module": module, "method": method, "priority": priority,
                 "attempts": attempts, "failures": failures, "runner": runner if info["running"] else None,
                 "invoker": invoker, "lease_until": _iso(lease) if info["running"] else None,
                 "not_before": _iso(not_before), "every": every,
                 "retry": json.loads(retry) if retry else None, "steps": steps,
                 "run_seconds": round(run_seconds or 0, 3), "task_data": data,
                 "waits_for": _waits_for(tasker, task.id), "log": tasker.get_log(task)})
    if args.json:
        print(json.dumps(info, indent=2, default=str))
        return 0
    print(f"task {info['id']}: {shown(info['title'])}")
    print(f"  state      {_state_word(info)} ({info['state']}), {info['progress']}% done, "
          f"{counts_of(info['log_summary'])}"
          + (f"; in the trash (restore its page to run it: {HOW_TO_RESTORE})" if info["trashed"] else ""))
    print(f"  runs       {module}.{method} on page {info['page']} ({info['page_path']})")
    print(f"  steps      {steps} in {info['run_seconds']:.1f} s; runner deaths in a row {attempts}; "
          f"failures retried {failures}")
    if info["waits_for"] and info["state"] in (TaskState.ACTIVE, TaskState.WAITING):
        # a failed or killed one finishes only if it is tried again: the words say which
        print(f"  waits for  {info['waits_for']}")
    for label, key in (("runner", "runner"), ("lease ends", "lease_until"),
                       ("not before", "not_before"), ("every", "every"), ("retry", "retry")):
        if key == "not_before" and info["state"] not in (TaskState.ACTIVE, TaskState.WAITING):
            continue          # a retry time a failed task gave up on means nothing now; a
            # waiting task keeps its time for when it is activated
        if info[key]:
            print(f"  {label:<10} {info[key]}")
    if priority:
        print(f"  priority   {priority}")
    print("  task_data  " + json.dumps(data, default=str)[:2000])
    log = info["log"]
    print(f"  log        {len(log)} line(s)" + (", the latest:" if log else ""))
    for line in log[-20:]:
        print("    " + shown(line))
    return 0


def cmd_create(args: argparse.Namespace) -> int:
    tasker = _tasker(args)
    site = tasker.site
    target = args.page.strip()
    page = site.pages.get_typed(target)
    if not page:
        return _fail(f"there is no page {target!r} (give its id or its path, /like/this/)")
    try:
        # one transaction: a command that fails leaves nothing, an activation refused
        # (a hook, a database gone away) included
        with site.transaction():
            task = tasker.create_task(args.module, args.method, page, args.title, args.data,
                                      unique=args.unique, priority=args.priority,
                                      every=args.every, not_before=args.not_before,
                                      retry=args.retry)
            activated = tasker.activate_task(task, by="cli") if args.activate else False
    except TaskError as exc:
        return _fail(str(exc))
    if args.activate and not activated:
        print(f"task {task.id} created on {page.path}, but not activated: it waits for another "
              "task")
        return 0
    state = tasker.get_state(task)
    due = tasker.due_at(task)
    if due is not None and state == TaskState.ACTIVE:
        print(f"task {task.id} created on {page.path}: now scheduled, runs at {_iso(due)}")
    elif due is not None:
        print(f"task {task.id} created on {page.path}: now {state.label}; once activated it runs "
              f"not before {_iso(due)}")
    else:
        print(f"task {task.id} created on {page.path}: now {state.label}")
    return 0


def cmd_action(args: argparse.Namespace) -> int:
    tasker = _tasker(args)
    task = _task(tasker, args.id)
    action, by = args.action, "cli"
    if action == "activate":
        if tasker.get_state(task) == TaskState.FINISHED:
            return _fail(f"task {task.id} has finished: activating it would run its work again; "
                         f"`tasks reset {task.id}` sends it back to waiting at 0%, then "
                         f"`tasks activate {task.id}` runs it again")
        waiting = _waits_for(tasker, task.id)
        if waiting or not tasker.activate_task(task, by=by):
            return _fail(f"task {task.id} was not activated: it waits for "
                         f"{waiting or _waits_for(tasker, task.id) or 'another task'} "
                         "to finish; activate it again then (it does not start by itself)")
    elif action == "suspend":
        if not tasker.stop_task(task, by=by):
            return _fail(f"task {task.id} has ended ({tasker.get_state(task).label}): there is "
                         "nothing to suspend")
    elif action == "kill":
        tasker.stop_task(task, kill=True, by=by)
    elif action == "reset":
        tasker.reset_progress(task, by=by)
    elif action == "trash":
        tasker.trash_task(task, by=by)
    state = tasker.get_state(task)
    details = tasker.get_details(task)
    running = bool(details["running"])
    from ..tasker import state_info
    done = {"activate": "activated", "suspend": "suspended", "kill": KILLED, "reset": "reset",
            "trash": "trashed"}[action]
    note = ""
    if running and (state != TaskState.ACTIVE or action in ("kill", "reset")):
        # the runner may be gone (killed, its machine down): then the lease's end applies it
        note = (f" (the running step, on {details['runner'] or 'a runner'}, stops at its next save"
                + ("; the reset is applied then" if action in ("kill", "reset") else "")
                + (f"; if that runner is gone, at its lease's end, {_iso(details['lease_until'])}"
                   if details["lease_until"] else "") + ")")
    print(f"task {task.id} {done}: now {state_info(state, running)}{note}")
    return 0


def _waits_for(tasker: Any, task_id: int) -> str:
    """The unfinished tasks this one depends on, with their states ("task 12 (failed)"; ""
    for none): asked first, so Tasker logs no warning."""
    return tasker.lifecycle.waits_for_text(task_id)


def _bar(progress: int, title: str, state: str) -> str:
    filled = int(BAR_WIDTH * progress / 100)
    return f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {progress:>3}% {state:<9} {shown(title)[:40]}"


def cmd_run(args: argparse.Namespace) -> int:
    from ..tasker.claim import why_not_claimable
    check_step_time(args.step_time)
    tasker = _tasker(args)
    task = _task(tasker, args.id)
    if task.is_trash():
        return _fail(f"task {task.id} is in the trash: restore its page to run it ({HOW_TO_RESTORE})")
    state = tasker.get_state(task)
    if state == TaskState.FINISHED:
        print_or_drop(f"task {task.id} has finished already; `tasks reset {task.id}` sends it back "
                      "to waiting at 0%, then `tasks run` runs it again")
        return 0
    waiting = _waits_for(tasker, task.id)
    if waiting:
        return _fail(f"task {task.id} cannot run: it waits for {waiting} to finish")
    if state == TaskState.WAITING and not tasker.activate_task(task, by="cli"):
        return _fail(f"task {task.id} cannot run: {why_not_claimable(tasker, task.id)}")
    if state in (TaskState.KILLED, TaskState.FAILED, TaskState.UNKNOWN):
        return _fail(f"task {task.id} is {state.label}; `tasks activate {task.id}` (or reset) "
                     "it first")
    step_seconds = float(args.step_time or tasker.settings()["cron_timeout"])
    tty = sys.stdout.isatty()
    interrupts = []

    def on_stop(signum: int, frame: Any) -> None:
        # SIGTERM (systemd, `timeout`, `kill`) and SIGHUP (the terminal closed) stop as Ctrl-C
        # does; left to their default they killed the step, and the task stayed claimed by a
        # dead runner until its lease ran out
        interrupts.append(signum)
        if len(interrupts) == 1:
            how = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
            tasker.interrupt(f"stopped from the terminal ({how}); the task stays active",
                             next_steps=True)
            return
        raise Stopped(signum)

    old = {signum: signal.signal(signum, on_stop) for signum in STOP_SIGNALS}
    last = None
    said_at_the_end = _TaskFailures(task.id)   # the last line says why, once
    for handler in logging.getLogger().handlers:
        handler.addFilter(said_at_the_end)
    try:
        while True:
            before = tasker.get_details(task.id)
            ran = tasker.execute_task(task.id, {"invoker": "cli",
                                                "timeout": time.time() + step_seconds})
            state = tasker.get_state(task.id)
            status = tasker.get_status(task.id, log=False)      # None once it is trashed
            progress, running = (status.progress, status.running) if status else (0, False)
            line = _bar(progress, task.title, state.label)
            if tty:
                print_or_drop("\r" + line, end="", flush=True)
            elif line != last:
                print_or_drop(line, flush=True)
            last = line
            if interrupts or state != TaskState.ACTIVE:
                break
            after = tasker.get_details(task.id)
            due = after["not_before"]
            # The run's end, or a failed step's retry: a new time, even one due at once (a
            # retry with no back-off), which is the retry's and not this command's to run.
            if due is not None and due != before["not_before"] and \
                    (ran or after["failures"] != before["failures"]):
                if tty:
                    print_or_drop()
                if ran:
                    print_or_drop(f"task {task.id} ran to the end of this run; its next run is due "
                                  f"at {_iso(due)} (cron or a worker runs it then)")
                    return 0
                return _fail(f"task {task.id}'s step failed; it is retried at {_iso(due)} "
                             f"(see `python run.py tasks show {task.id}`)")
            if not ran:
                if tty:
                    print_or_drop()
                cut = tasker.runner.given_back
                if cut:      # the step ran: no claim was refused, and its saves are kept
                    return _fail(f"task {task.id} stopped at {progress}%: {cut}; what it did since "
                                 "its last save was rolled back, and the task stays active (run "
                                 "it again, or a runner continues it)")
                return _fail(f"task {task.id} stopped: {why_not_claimable(tasker, task.id)}")
    finally:
        for signum, handler in old.items():
            signal.signal(signum, handler)
        for handler in logging.getLogger().handlers:
            handler.removeFilter(said_at_the_end)
    if tty:
        print_or_drop()
    if interrupts:
        # 130 (128 + SIGINT; 143 for SIGTERM), as the shell gives an interrupted command: the
        # task did not run to its end, so `tasks run 5 && publish` must not go on
        print_or_drop(f"task {task.id} stopped at {progress}%; it stays active (a runner continues it)")
        return 128 + interrupts[0]
    if state == TaskState.FINISHED:
        print_or_drop(f"task {task.id} finished")
        return 0
    errors = [line.split(" ERROR ", 1)[1] for line in tasker.get_log(task) if " ERROR " in line]
    said = [text for text in errors if "method returned False" not in text] or errors
    why = said[-1] if said else f"see `python run.py tasks show {task.id}`"
    return _fail(f"task {task.id} ended {state.label}: {why} (`python run.py tasks activate "
                 f"{task.id}` tries it again)")
