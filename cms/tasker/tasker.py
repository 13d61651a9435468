"""The Tasker module: tasks as hidden child pages, created here and run in resumable steps.

    tasker = site.modules.get("Tasker")
    task = tasker.create_task(Dictionary, "purge_dictionary", dict_page, "Purge the dictionary")
    tasker.activate_task(task)
    tasker.execute_task(task, {"timeout": time.time() + 10, "invoker": "cron"})

`Tasker` is a facade: it checks and creates tasks itself and hands every other call of the
contract to a service that owns its part, each in a file beside this one: `lifecycle`
(Lifecycle: activate, stop, reset, trash, dependencies), `step` (StepRunner: execute_task,
batches, the end of a step), `progress` (Progress: save_progress, allowed_to_execute), `log`
(TaskLog: log, summary, history, figures), `status` (TaskStatuses: a task's status in one read),
`storage` (TaskStorage: what differs per engine). Beside them: `state` (TaskState), `install`
(template, fields, tables), `claim` (the claim every runner uses), `heartbeat` (the heartbeat
thread), `schedule` (retry / recurring options), `refs` (how a task and its actor are named).
Runners reach the services as attributes (`tasker.runner.end_batch()`,
`tasker.lifecycle.release_reaped(...)`); the facade's own methods are the contract's.
"""
from __future__ import annotations

import hashlib
import inspect
import secrets
import time
from collections.abc import Callable, Iterable
from functools import cached_property
from typing import Any, ClassVar

from ..errors import ModuleError, PageError, ValidationError
from ..fieldtypes import has_lone_surrogate
from ..hooks import Hookable, hookable
from ..module import Module
from ..page import MAX_ID, NullPage, Page, PageArray
from . import install as schema
from . import sql
from .errors import TaskError
from .lifecycle import Lifecycle
from .log import TaskLog
from .progress import Progress
from .refs import given_id, task_id_of
from .schedule import SCHEDULED, check_every, check_not_before, check_retry, scheduled_selector
from .state import TaskState
from .status import TaskStatus, TaskStatuses
from .step import StepRunner, dumps, transient
from .storage import TaskStorage, storage_for

RESERVED_KEYS = ("module", "method", "pageid", "records_processed", "max_records", "task_done")


def check_priority(priority: Any) -> int:
    """`priority` as create_task takes it: a whole number the integer column holds; TaskError
    otherwise (the command line reports it as bad usage)."""
    if isinstance(priority, bool) or not isinstance(priority, int) \
            or not -2**31 <= priority <= 2**31 - 1:
        raise TaskError(f"priority must be a whole number from {-2**31} to {2**31 - 1}, "
                        f"not {priority!r}")
    return priority


class Tasker(Module, Hookable):
    """Long jobs as tasks: create, steer, run in steps, watch. See the package docstring.

    Hookable (`site.add_hook_before("Tasker::create_task", fn)`): create_task, activate_task,
    stop_task, reset_progress, trash_task, execute_task.
    """

    info: ClassVar[dict[str, Any]] = {
        "title": "Tasker", "version": "1.5.0",
        "summary": "Runs long jobs as tasks: hidden pages executed in time-boxed, resumable steps."}
    config_defaults: ClassVar[dict[str, Any]] = {
        "enable_cron": 1, "enable_lazy_cron": 1, "ajax_timeout": 15, "lazy_cron_timeout": 15,
        "cron_timeout": 55, "lease_seconds": 30, "max_running": 0, "max_attempts": 3,
        "max_idle_steps": 100, "log_max_lines": 1000, "retention_days": 30, "debug": 0, "profiling": 0,
    }
    config_limits: ClassVar[dict[str, tuple[float | None, float | None]]] = {
        "enable_cron": (0, 1), "enable_lazy_cron": (0, 1), "debug": (0, 1), "profiling": (0, 1),
        "ajax_timeout": (1, 3600), "lazy_cron_timeout": (1, 3600), "cron_timeout": (1, 86400),
        "lease_seconds": (1, 86400), "max_running": (0, None), "max_attempts": (1, None),
        "log_max_lines": (1, None), "retention_days": (0, None), "max_idle_steps": (0, 100),
    }
    config_labels: ClassVar[dict[str, str]] = {
        "enable_cron": "Run tasks from `python run.py cron`",
        "enable_lazy_cron": "Run tasks from lazy cron (in the background of web traffic)",
        "ajax_timeout": "Run now: seconds per step", "lazy_cron_timeout": "Lazy cron: seconds per step",
        "cron_timeout": "Cron and worker: seconds per step",
        "lease_seconds": "Seconds a runner's claim lasts without a heartbeat",
        "max_running": "Tasks running at once (0: no limit)",
        "max_attempts": "Attempts before a task whose runner is lost fails",
        "max_idle_steps": "Steps in a row that change nothing before a task fails (0: no cap)",
        "log_max_lines": "Log lines kept per task",
        "retention_days": "Days a finished task is kept before cron deletes it (0: for ever)",
        "debug": "Debug notices in task logs",
        "profiling": "Profiling (the original Tasker's switch; every step's figures are kept anyway)",
    }
    TEMPLATE = schema.TEMPLATE

    def __init__(self, site: Any):
        super().__init__(site)
        self._checked: set[tuple[str, str]] = set()     # (module, method) known to exist
        self._slugs: dict[str, str] = {}

    # -- module -------------------------------------------------------------------------------
    def install(self) -> None:
        schema.install(self.site)

    def init(self) -> None:
        # every save, a whole one or of task_data alone (`page.save("task_data")`)
        self.site.add_hook_before("Pages::savePageOrFieldReady", self._running_data_is_the_steps)
        self.site.add_hook_after("Pages::trashed", lambda event: self.lifecycle.kill_trashed(
            event.argument(0)))

    def _running_data_is_the_steps(self, event: Any) -> None:
        """A page save that changes the task_data of a task a step is running is refused: the
        step writes its own task_data at its saves and its end, so the edit would be lost
        without a word (save_progress refuses so too). Suspend the task first."""
        page, field = event.argument(0), event.argument(1, "")
        if not (page.id and page.is_changed("task_data") and field in ("", "task_data")
                and page.template.name == self.TEMPLATE):
            return
        # Under the row's lock until the save commits: a claim meanwhile passes the task by
        # (server engines) or waits (SQLite), so no step starts from the data being replaced.
        if (self.site.db.one(sql.LOCK_RUNNING + self.storage.for_update, (page.id,)) or (0,))[0]:
            raise TaskError(f"task {page.id} is running in a step, which writes its task_data: "
                            "suspend it (and wait for the step to stop) before changing its data")

    def close(self) -> None:
        """The site closes: the heartbeat thread of this process's steps ends (once no step
        runs), so a process that boots and closes many sites keeps no idle thread of theirs."""
        runner = self.__dict__.get("runner")
        if runner is not None and "heartbeat" in runner.__dict__:
            runner.heartbeat.stop()

    def uninstall(self) -> None:
        """Removes the template, fields and tables, unless task pages remain (then all stay)."""
        left = schema.task_page_count(self.site)
        if not schema.uninstall(self.site):
            self.warning(f"Tasker was uninstalled but its template {self.TEMPLATE!r}, fields and "
                         f"tables were kept: {left} task page(s) remain")

    def upgrade(self, from_version: str, to_version: str) -> None:
        schema.install(self.site)    # idempotent: adds what a newer version needs

    # -- the services (made on first use) ---------------------------------------------------
    @cached_property
    def storage(self) -> TaskStorage:
        """What differs per database engine (claims, write locks)."""
        return storage_for(self.site.db)

    @cached_property
    def logs(self) -> TaskLog:
        return TaskLog(self.site.db)

    @cached_property
    def lifecycle(self) -> Lifecycle:
        return Lifecycle(self)

    @cached_property
    def runner(self) -> StepRunner:
        return StepRunner(self)

    @cached_property
    def progress(self) -> Progress:
        return Progress(self, self.runner.steps)

    @cached_property
    def statuses(self) -> TaskStatuses:
        return TaskStatuses(self.site.db)

    def settings(self) -> dict[str, Any]:
        """The Tasker settings as stored now (every process reads the same)."""
        return self.site.modules.get_config(self.name)

    # -- creating -----------------------------------------------------------------------------
    @hookable
    def create_task(self, cls: Any, method: str, page: Page | int, title: str,
                    task_data: dict | None = None, *, unique: bool = False, priority: int = 0,
                    not_before: Any = None, retry: dict | None = None,
                    every: float | str | None = None) -> Page:
        """Create a task: a hidden child page of `page`, WAITING, that will call
        `module.method(page, task_data, options)` in steps once activated.

        `cls` is a module class, instance or registered name; `method` any public method of
        it that takes (page, task_data, options); `page` a Page, its id, or its path or id as
        text (as `python run.py tasks create` takes it; never a name or a selector).
        `task_data` (a dict JSON can hold) is merged over `module`, `method`, `pageid`,
        `records_processed=0`, `max_records=0` and `task_done=0`, which it may not set.
        `signature` hashes that initial data. An identical live task (waiting or active, same
        page and signature) gets a warning; `unique=True` makes the database refuse it
        (TaskError). `priority` (higher first), `not_before` (datetime or epoch seconds: no
        runner starts it earlier), `retry` ({"attempts": n, "backoff": seconds}: a failed
        step is retried n times, backoff doubling), `every` (seconds or a cron expression:
        a finished task starts over then). Invalid input raises TaskError and creates nothing;
        so does a module that is not installed and whose install() fails (one that installs
        is installed here, as its first step would install it).
        """
        module_name = self._method_of(cls, method)
        target = self._target(page)
        if not isinstance(title, str) or not title.strip():
            raise TaskError(f"a task needs a title (text), not {title!r}")
        if task_data is None:
            task_data = {}
        if not isinstance(task_data, dict):
            raise TaskError(f"task_data must be a dict, not {type(task_data).__name__}")
        depends_on = self._dependencies_given(task_data.get("dep"))
        if depends_on:
            task_data = {**task_data, "dep": depends_on}
        try:
            check_json_data(task_data)
        except RecursionError:      # a dict or list that holds itself recurses until here
            raise TaskError("task_data holds a value JSON cannot hold: it nests too deeply "
                            "or holds itself") from None
        taken = [key for key in RESERVED_KEYS if key in task_data]
        if taken:
            raise TaskError(f"task_data may not set {', '.join(map(repr, taken))}: Tasker sets "
                            f"{', '.join(RESERVED_KEYS)}")
        check_priority(priority)
        data = {"module": module_name, "method": method, "pageid": target.id,
                "records_processed": 0, "max_records": 0, "task_done": 0, **task_data}
        text = dumps(data)
        signature = hashlib.sha1(text.encode()).hexdigest()
        values = (target.id, module_name, method, priority, check_not_before(not_before),
                  check_every(every), check_retry(retry), signature)

        def new_page() -> Page:
            try:
                return self.site.pages.new(self.TEMPLATE, target, name=self._page_name(title),
                                           title=title, task_data=text,
                                           status=Page.STATUS_ON | Page.STATUS_HIDDEN)
            except ValidationError as exc:
                raise TaskError(f"task {title[:60]!r} cannot be created: {exc}") from exc

        first = [new_page()]      # the values are checked before anything is written
        self._install_module(module_name)
        task, duplicate = self.site.db.retry(lambda: self._insert_task(
            first.pop() if first else new_page(), values, text, unique, depends_on))
        task.stored(task_state=int(TaskState.WAITING), task_running=0, progress=0,
                            signature=signature)
        if duplicate:
            self.warning(f"an identical task (task {duplicate}) is already waiting or active for "
                         f"{target.path}; task {task.id} '{title}' was created anyway "
                         "(create it with unique=True to refuse duplicates)")
        return task

    def _dependencies_given(self, dep: Any) -> list[int]:
        """The tasks task_data's `dep` names, as the original Tasker reads it (a task, its id,
        or a list of them): the new task runs only after they finished. A value naming no
        task, a task in the trash or a recurring task (which never finishes) is a TaskError
        (the original dropped a bad one with a warning, and the task ran at once)."""
        if dep is None or dep == []:
            return []
        ids = []
        for item in dep if isinstance(dep, (list, tuple)) else [dep]:
            task_id = task_id_of(item)
            if self.site.db.scalar(sql.READ_STATE, (task_id,)) is None:   # as get_state asks
                raise TaskError(f"task_data's dep names page {task_id}, which is not a task")
            self.lifecycle.refuse_trashed(task_id, "depended on")
            self.lifecycle.refuse_recurring(task_id, "waited for")
            ids.append(task_id)
        return list(dict.fromkeys(ids))

    def _insert_task(self, task: Page, values: tuple, text: str, unique: bool,
                     depends_on: list[int]) -> tuple[Page, int]:
        """Save the page, its runtime row and its dependencies in one transaction; also the id
        of a live duplicate."""
        db = self.site.db
        parent_id, signature = values[0], values[-1]
        key = f"{parent_id}:{signature}"
        with self.storage.write_transaction():
            try:
                with self.site.trusted():      # the task page is Tasker's own bookkeeping
                    self.site.pages.save(task)
            except PageError as exc:         # the page it works on went away, or takes no children
                raise TaskError(f"task {task.title[:60]!r} cannot be created: {exc}") from exc
            insert, insert_ignore = self._insert_sql
            params = (task.id, *values, key, text)
            duplicate = 0
            if not db.execute(insert_ignore, params).rowcount:
                duplicate = db.scalar(sql.LIVE_HOLDER, (key,)) or -1
                if unique:
                    raise TaskError(f"an identical task (task {duplicate}: same module, method, page "
                                    "and data) is already waiting or active; nothing was created")
                db.execute(insert, params[:-2] + (f"{key}:{task.id}", text))
            for other in depends_on:
                db.execute(sql.ADD_DEPENDENCY, (task.id, other))
                self.lifecycle.tell_waiting([task.id], other, db.scalar(sql.READ_STATE, (other,)))
        return task, duplicate

    @cached_property
    def _insert_sql(self) -> tuple[str, str]:
        insert = self.storage.sql(sql.INSERT_TASK)
        return insert, self.storage.insert_ignore(insert)

    def _method_of(self, cls: Any, method: str) -> str:
        """The registered name of the module, after checking it has the public `method`."""
        try:
            name = self.site.modules.name_of(cls)
            if (name, method) in self._checked:
                return name
            module_class = self.site.modules.get_class(name)
        except ModuleError as exc:
            raise TaskError(f"cannot create a task for module {cls!r}: {exc}") from exc
        if not isinstance(method, str) or not method or method.startswith("_"):
            raise TaskError(f"method must be the name of a public method of {name}, "
                            f"not {method!r}")
        found = inspect.getattr_static(module_class, method, None)
        if not callable(found):
            # the list a misspelling is picked from, as the web API's refusal gives it
            offered = ", ".join(getattr(module_class, "task_methods", ()))
            raise TaskError(f"module {name} has no method {method!r}"
                            + (f" (its task_methods: {offered})" if offered else ""))
        # a helper of the module (`def helper(self)`) failed only at its first step
        arguments = (None,) * (4 if inspect.isfunction(found) else 3)    # self, unless bound
        try:
            inspect.signature(getattr(module_class, method)).bind(*arguments)
        except TypeError:
            raise TaskError(f"{name}.{method} cannot be a task's method: a task calls it as "
                            f"{method}(page, task_data, options)") from None
        except ValueError:        # no signature to read (a builtin): its step will say
            pass
        self._checked.add((name, method))
        return name

    def _install_module(self, name: str) -> None:
        """Install the task's module now if it is not installed, as its first step would:
        one whose install() fails is refused here, before anything of the task is written,
        instead of a task created to fail at its first step. One installed already is left
        for the step's process to load; one that creates a task from its own install() is
        installing already. One that installs but whose init() raises is refused too, in the
        words its step would fail with (it stays installed, as after that step)."""
        modules = self.site.modules
        if (modules.loaded(name) is not None or name in modules.installing
                or modules.is_installed(name)):
            return
        try:
            modules.install(name)
        except ModuleError as exc:
            raise TaskError(f"cannot create a task for module {name!r}: {exc}") from exc
        except Exception as exc:        # its init() raised, once installed
            if transient(self.site.db, exc):     # the database's passing trouble: the caller retries
                raise
            raise TaskError(f"cannot create a task for module {name!r}: it was installed but could "
                            f"not be loaded: {type(exc).__name__}: {exc}") from exc

    def _target(self, page: Any) -> Page:
        if isinstance(page, Page) and not isinstance(page, NullPage) and page.id:
            found = page      # gone meanwhile? then saving the task under it fails (TaskError)
        elif isinstance(page, int) and not isinstance(page, bool) and page > 0:
            found = self.site.pages.get(page)
        elif isinstance(page, str):
            found = self.site.pages.get_typed(page)     # "/path/" or "1042", as `tasks create`
        else:
            found = NullPage(self.site)
        if not found:
            raise TaskError(f"the page a task works on must exist; {page!r} does not")
        if found.template.settings.get("no_children"):
            raise TaskError(f"page {found.path} (template {found.template.name}) may not have "
                            "children, so it cannot hold a task")
        return found

    def _page_name(self, title: str) -> str:
        """The title as a page name, with a random suffix so that names never clash."""
        slug = self._slugs.get(title)
        if slug is None:
            if len(self._slugs) > 256:
                self._slugs.clear()
            slug = self._slugs[title] = self.site.sanitizer.page_name(title)[:60].strip("-_.") or "task"
        return f"{slug}-{secrets.token_hex(6)}"

    # -- finding ------------------------------------------------------------------------------
    def get_tasks(self, selector_or_state: str | int | None = None) -> PageArray:
        """Task pages matching a selector, or in a state (an int, a TaskState, or its name as
        `tasks list --state` takes it: "active", "waiting" ..., or "scheduled": the active
        tasks no runner holds whose time is still ahead); hidden included."""
        return self.site.pages.find(self._tasks_selector(selector_or_state))

    def get_task_ids(self, selector_or_state: str | int | None = None) -> list[int]:
        """The ids of the tasks get_tasks finds, in its order, with no page loaded (one query:
        the task list's poll asks every 2 s which tasks its page holds)."""
        return self.site.pages.find_ids(self._tasks_selector(selector_or_state))

    def _tasks_selector(self, selector_or_state: str | int | None) -> str:
        """The selector of get_tasks: the one given, or the state's, among the task pages."""
        states = {state.name.lower(): int(state) for state in TaskState}
        if selector_or_state is None or selector_or_state == "":
            selector = ""
        elif isinstance(selector_or_state, str) and selector_or_state.strip().lower() == SCHEDULED:
            selector = scheduled_selector()
        elif isinstance(selector_or_state, int) and not isinstance(selector_or_state, bool):
            selector = f"task_state={int(selector_or_state)}"
        elif isinstance(selector_or_state, str) and selector_or_state.strip().lower() in states:
            selector = f"task_state={states[selector_or_state.strip().lower()]}"
        elif isinstance(selector_or_state, str):
            selector = selector_or_state
        else:
            raise TaskError(f"get_tasks takes a selector or a state, not {selector_or_state!r}")
        parts = [selector] if selector else []
        parts.append(f"template={self.TEMPLATE}")
        if "include=" not in selector:
            parts.append("include=hidden")
        return ", ".join(parts)

    def get_task_by_id(self, task_id: int | str | Page) -> Page:
        """The task page with this id (an int, an id as text, or a page), or a NullPage when
        there is none (or it is no task); TaskError for a value that is no id (None, "abc")."""
        found = given_id(task_id)
        page = self.site.pages.get(found) if 0 < found <= MAX_ID else NullPage(self.site)
        if not page or page.template.name != self.TEMPLATE:
            return NullPage(self.site)
        return page

    # -- lifecycle (Lifecycle) ----------------------------------------------------------------
    @hookable
    def activate_task(self, task: Page | int, activate_anyway: bool = True, *,
                      by: str | None = None, for_browser: bool = False) -> bool:
        """Make a task ready to run (ACTIVE); see Lifecycle.activate_task. False for a finished
        task (`restart_task` runs it again); TaskError for one in the trash."""
        return self.lifecycle.activate_task(task, activate_anyway, by=by, for_browser=for_browser)

    def activate_task_set(self, tasks: Page | int | Iterable[Page | int], *,
                          by: str | None = None) -> bool:
        """Activate several tasks (a page, an id, or an iterable of them); True if all were
        (one waiting for a dependency is not, and the others are activated still).

        In one transaction: a task that is refused (no task, in the trash) raises TaskError
        and none of them is activated, as nothing is stored when an error is raised."""
        if isinstance(tasks, (Page, int, str)):
            return self.activate_task(tasks, by=by)
        tasks = list(tasks)

        def activate_all() -> bool:
            with self.storage.write_transaction():
                results = [self.activate_task(task, by=by) for task in tasks]
            return all(results)
        return self.site.db.retry(activate_all)

    @hookable
    def stop_task(self, task: Page | int, kill: bool = False, reset: bool = False, *,
                  by: str | None = None) -> bool:
        """Suspend (back to WAITING) or kill (KILLED, reset to 0%); see Lifecycle.stop_task."""
        return self.lifecycle.stop_task(task, kill, reset, by=by)

    @hookable
    def reset_progress(self, task: Page | int, *, by: str | None = None) -> bool:
        """Back to WAITING at 0% with its initial task_data; see Lifecycle.reset_progress."""
        return self.lifecycle.reset_progress(task, by=by)

    def restart_task(self, task: Page | int, *, by: str | None = None) -> bool:
        """Reset the task and activate it (False when a dependency has not finished; a task
        in the trash is refused with TaskError before anything changes)."""
        self.lifecycle.refuse_trashed(task_id_of(task), "restarted")
        self.reset_progress(task, by=by)
        return self.activate_task(task, by=by)

    @hookable
    def trash_task(self, task: Page | int, *, by: str | None = None) -> bool:
        """Kill the task (its data is kept) and move its page to the trash."""
        return self.lifecycle.trash_task(task, by=by)

    def add_dependency(self, task: Page | int, other: Page | int) -> bool:
        """`task` runs only after `other` finished (its claim and activation wait for it)."""
        return self.lifecycle.add_dependency(task, other)

    def add_next_task(self, task: Page | int, nxt: Page | int) -> bool:
        """Activate `nxt` (if it is waiting) when `task` finishes; at once if it has finished."""
        return self.lifecycle.add_next_task(task, nxt)

    def get_dependencies(self, task: Page | int) -> list[int]:
        """Ids of the tasks `task` waits for."""
        return self.lifecycle.get_dependencies(task)

    def get_unfinished_dependencies(self, task: Page | int) -> list[int]:
        """Ids of the tasks `task` waits for that have not finished (it cannot run before)."""
        return self.lifecycle.get_unfinished_dependencies(task)

    def get_next_tasks(self, task: Page | int) -> list[int]:
        """Ids of the tasks activated when `task` finishes."""
        return self.lifecycle.get_next_tasks(task)

    def is_active(self, task: Page | int) -> bool:
        """True when the task's stored state is ACTIVE (read now)."""
        return self.lifecycle.get_state(task) == TaskState.ACTIVE

    def get_state(self, task: Page | int) -> TaskState:
        """The task's stored state, read now."""
        return self.lifecycle.get_state(task)

    def get_page(self, task: Page | int) -> Page:
        """The page the task works on (still named once the task is in the trash)."""
        return self.lifecycle.get_page(task)

    # -- running (StepRunner, Progress) ---------------------------------------------------------
    @hookable
    def execute_task(self, task: Page | int, params: dict[str, Any] | None = None) -> bool:
        """Claim the task and run one step now; see StepRunner.execute_task."""
        return self.runner.execute_task(task, params)

    def save_progress(self, task: Page | int, task_data: dict, update_state: bool = True,
                      check_events: bool = True) -> bool:
        """Store progress, task_data and log lines; see Progress.save_progress."""
        return self.progress.save_progress(task, task_data, update_state, check_events)

    # The two calls a task's loop makes per record are Progress's own bound methods, not
    # wrappers around them: a wrapper's call cost a 100,000-page import 1-3% (probes in
    # bench/RESULTS.md, thirteenth session).
    @cached_property
    def save_progress_at_milestone(self) -> Callable[..., bool]:
        """`save_progress_at_milestone(task, task_data, update_state=True, check_events=True)`:
        save at `task_data["milestone"]` or every half second; see Progress."""
        return self.progress.save_progress_at_milestone

    @cached_property
    def allowed_to_execute(self) -> Callable[[Page | int, dict[str, Any]], bool]:
        """`allowed_to_execute(task, options)`: False once the task may not go on; no query.
        See Progress.allowed_to_execute."""
        return self.progress.allowed_to_execute

    def interrupt(self, reason: str = "the runner is shutting down", *,
                  next_steps: bool = False) -> None:
        """Ask every step running in this process to stop at its next save (signal-safe).

        `next_steps`: every step this process starts from now on too, at its first save: for
        a command that runs steps one after another and stops (`tasks run`), whose Ctrl-C
        may land while it claims the next step; that step then ran its whole time box."""
        if next_steps:
            self.runner.interrupt_next = reason
        self.progress.interrupt(reason)

    # -- logs and status (TaskLog, TaskStatuses) ---------------------------------------------
    def append_log(self, task: Page | int, entries: list) -> None:
        """Add entries `(kind, text)` or `(kind, text, epoch)` to a task's log (kind: message,
        warning or error), in a transaction of their own (or the caller's). TaskError for a
        page that is no task: its `log_messages` row would be written all the same."""
        task_id = task_id_of(task)
        cap = int(self.settings()["log_max_lines"])
        with self.storage.write_transaction():
            self.lifecycle.get_state(task_id)
            self.logs.append(task_id, entries, cap)

    def get_log(self, task: Page | int) -> list[str]:
        """The task's log lines, oldest first (capped at `log_max_lines`)."""
        return self.logs.get_log(task)

    def get_log_summary(self, task: Page | int) -> str:
        """Progress and counts, as the original Tasker: "35% 1 error(s) 2 warning(s)"."""
        return self.logs.get_log_summary(task)

    def get_history(self, task: Page | int) -> list[dict[str, Any]]:
        """Every state change of the task, oldest first; see TaskLog.get_history."""
        return self.logs.get_history(task)

    def get_step_figures(self, task: Page | int, limit: int = 20) -> dict[str, Any]:
        """Per-step figures, totals, rate and ETA; see TaskLog.get_step_figures."""
        return self.logs.get_step_figures(task, limit)

    def get_activity(self, minutes: int = 60, newest: int = 5000,
                     now: float | None = None) -> list[dict[str, Any]]:
        """Tasks finished, failed and waited per minute; see TaskLog.get_activity."""
        return self.logs.get_activity(minutes, newest, now)

    def get_status(self, task: Page | int | str, log: bool = True) -> TaskStatus | None:
        """The task's status as stored now, in one read (None: no such task, or trashed).
        Takes the task as every other method does (a page, its id, or its id as text), and
        refuses what is no id (46.0, True, "abc") with the same TaskError."""
        return self.statuses.get_status(given_id(task), log)

    def get_statuses(self, task_ids: Iterable[int | str | Page]) -> dict[int, TaskStatus]:
        """The statuses of many tasks (without their logs), by id, in one query; each id
        taken as get_status takes it."""
        return self.statuses.get_statuses([given_id(task_id) for task_id in task_ids])

    def get_details(self, task: Page | int) -> dict[str, Any]:
        """The task's runtime figures (module, method, priority, attempts, failures, running, runner,
        invoker, lease_until, not_before, every, retry, steps, run_seconds) for a detail view."""
        task_id = task_id_of(task)
        details = self.statuses.get_details(task_id)
        if details is None:
            raise TaskError(f"page {task_id} is not a task")
        return details

    def due_at(self, task: Page | int) -> float | None:
        """When the task waits for its `not_before` (a recurring task's next run, a failed
        step's retry, a start given at creation), in epoch seconds; None when it is due now.

        A step asked for by hand (Run now, `tasks run`) does not wait for it, so those ask
        before and after their step: a time the step changed means it ended a run (or failed
        with a retry left) and the next is for a runner, later; one it kept means go on."""
        not_before = self.get_details(task)["not_before"]
        if not_before is None or float(not_before) <= time.time():
            return None
        return float(not_before)

    def count_by_state(self, include_hidden: bool = True) -> dict[int, int]:
        """How many tasks are in each state (trashed ones left out)."""
        return self.statuses.count_by_state(include_hidden)


def check_json_data(value: Any, where: str = "task_data") -> None:
    """Refuse keys JSON would turn into text: the method would get `"1"` back for `1`, so
    a task created with them would not run on the data it was given. Refuse text holding an
    unpaired surrogate (JSON's `\\udcff` escape reads as one, as the task API's `create`
    takes it): no page can show it in UTF-8, and the task's page answered 500 for everyone;
    a Text field refuses such text alike, and PHP's json_decode such JSON."""
    if isinstance(value, str):
        if has_lone_surrogate(value):
            raise TaskError(f"{where} holds an unpaired surrogate (not valid Unicode text)")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TaskError(f"{where} has the key {key!r}: JSON keeps only text keys (it "
                                f"would come back as {str(key)!r}); use str keys")
            if has_lone_surrogate(key):
                raise TaskError(f"{where} has the key {key!r}, which holds an unpaired surrogate "
                                "(not valid Unicode text)")
            check_json_data(item, f"{where}[{key!r}]")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            check_json_data(item, f"{where}[{index}]")
