"""The Tasker module: tasks as hidden child pages, created here and run in resumable steps.

    tasker = site.modules.get("Tasker")
    task = tasker.create_task(Dictionary, "purge_dictionary", dict_page, "Purge the dictionary")
    tasker.activate_task(task)
    tasker.execute_task(task, {"timeout": time.time() + 10, "invoker": "cron"})

The parts live beside this file, one concern each: `state` (TaskState), `install` (template,
fields, tables), `lifecycle` (activate, stop, reset, trash, dependencies), `step`
(execute_task), `progress` (save_progress, allowed_to_execute), `log` (log, summary, history,
figures), `status` (a task's status in one read), `claim` (the claim every runner uses),
`storage` (what differs per engine), `pulse` (heartbeat thread), `schedule` (retry / recurring
options).
"""
from __future__ import annotations

import hashlib
import inspect
import secrets
import threading
from functools import cached_property
from typing import Any, ClassVar

from ..errors import ModuleError, PageError, ValidationError
from ..hooks import Hookable, hookable
from ..module import Module
from ..page import NullPage, Page, PageArray
from . import install as schema
from .errors import TaskError
from .lifecycle import LifecycleMixin
from .log import LogMixin, LogStore
from .progress import SAVE_ANY_STATE, SAVE_CHECKED, ProgressMixin
from .schedule import check_every, check_not_before, check_retry
from .state import TaskState
from .status import StatusMixin
from .step import Step, StepMixin, dumps
from .storage import TaskStorage, storage_for

RESERVED_KEYS = ("module", "method", "pageid", "records_processed", "max_records", "task_done")
INSERT_TASK = ("INSERT INTO tasker_tasks (pages_id, parent_id, module, method, state, priority, "
               "turn, not_before, every, retry, signature, live_key, initial_data) "
               "VALUES (?, ?, ?, ?, 2, ?, {now}, ?, ?, ?, ?, ?, ?)")


class Tasker(LifecycleMixin, ProgressMixin, StepMixin, LogMixin, StatusMixin, Module, Hookable):
    """Long jobs as tasks: create, steer, run in steps, watch. See the package docstring.

    Hookable (`site.add_hook_before("Tasker::create_task", fn)`): create_task, activate_task,
    stop_task, reset_progress, trash_task, execute_task.
    """

    info: ClassVar[dict[str, Any]] = {
        "title": "Tasker", "version": "1.1.0",
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
    TEMPLATE = schema.TEMPLATE

    def __init__(self, site: Any):
        super().__init__(site)
        self._steps: dict[int, Step] = {}
        self.outage = False        # the last step in this process was cut off by a lost connection
        self._batches = threading.local()                 # each thread's open batch (step.py)
        self._checked: set[tuple[str, str]] = set()     # (module, method) known to exist
        self._slugs: dict[str, str] = {}

    # -- module -------------------------------------------------------------------------------
    def install(self) -> None:
        schema.install(self.site)

    def uninstall(self) -> None:
        """Removes the template, fields and tables, unless task pages remain (then all stay)."""
        left = schema.task_page_count(self.site)
        if not schema.uninstall(self.site):
            self.warning(f"Tasker was uninstalled but its template {self.TEMPLATE!r}, fields and "
                         f"tables were kept: {left} task page(s) remain")

    def upgrade(self, from_version: str, to_version: str) -> None:
        schema.install(self.site)    # idempotent: adds what a newer version needs

    @cached_property
    def storage(self) -> TaskStorage:
        """What differs per database engine (claims, write locks)."""
        return storage_for(self.site.db)

    @cached_property
    def logs(self) -> LogStore:
        return LogStore(self.site.db)

    @cached_property
    def pulse(self) -> Any:
        from .pulse import Pulse
        return Pulse(self)

    @cached_property
    def _save_checked(self) -> str:
        return self.storage.sql(SAVE_CHECKED)

    @cached_property
    def _save_any(self) -> str:
        return self.storage.sql(SAVE_ANY_STATE)

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
        it. `task_data` (a dict JSON can hold) is merged over `module`, `method`, `pageid`,
        `records_processed=0`, `max_records=0` and `task_done=0`, which it may not set.
        `signature` hashes that initial data. An identical live task (waiting or active, same
        page and signature) gets a warning; `unique=True` makes the database refuse it
        (TaskError). `priority` (higher first), `not_before` (datetime or epoch seconds: no
        runner starts it earlier), `retry` ({"attempts": n, "backoff": seconds}: a failed
        step is retried n times, backoff doubling), `every` (seconds or a cron expression:
        a finished task starts over then). Invalid input raises TaskError and creates nothing.
        """
        module_name = self._method_of(cls, method)
        target = self._target(page)
        if not isinstance(title, str) or not title.strip():
            raise TaskError(f"a task needs a title (text), not {title!r}")
        if task_data is None:
            task_data = {}
        if not isinstance(task_data, dict):
            raise TaskError(f"task_data must be a dict, not {type(task_data).__name__}")
        taken = [key for key in RESERVED_KEYS if key in task_data]
        if taken:
            raise TaskError(f"task_data may not set {', '.join(map(repr, taken))}: Tasker sets "
                            f"{', '.join(RESERVED_KEYS)}")
        if isinstance(priority, bool) or not isinstance(priority, int) or abs(priority) > 2**31 - 1:
            raise TaskError(f"priority must be a whole number, not {priority!r}")
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
        task, duplicate = self.site.db.retry(lambda: self._insert_task(
            first.pop() if first else new_page(), values, text, unique))
        task._values.update(task_state=int(TaskState.WAITING), task_running=0, progress=0,
                            signature=signature)
        if duplicate:
            self.warning(f"an identical task (task {duplicate}) is already waiting or active for "
                         f"{target.path}; task {task.id} '{title}' was created anyway "
                         "(create it with unique=True to refuse duplicates)")
        return task

    def _insert_task(self, task: Page, values: tuple, text: str,
                     unique: bool) -> tuple[Page, int]:
        """Save the page and its runtime row in one transaction; also the id of a live duplicate."""
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
                duplicate = db.scalar("SELECT pages_id FROM tasker_tasks WHERE live_key = ?", (key,)) or -1
                if unique:
                    raise TaskError(f"an identical task (task {duplicate}: same module, method, page "
                                    "and data) is already waiting or active; nothing was created")
                db.execute(insert, params[:-2] + (f"{key}:{task.id}", text))
        return task, duplicate

    @cached_property
    def _insert_sql(self) -> tuple[str, str]:
        insert = self.storage.sql(INSERT_TASK)
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
        if not callable(inspect.getattr_static(module_class, method, None)):
            raise TaskError(f"module {name} has no method {method!r}")
        self._checked.add((name, method))
        return name

    def _target(self, page: Any) -> Page:
        if isinstance(page, Page) and not isinstance(page, NullPage) and page.id:
            found = page      # gone meanwhile? then saving the task under it fails (TaskError)
        elif isinstance(page, int) and not isinstance(page, bool) and page > 0:
            found = self.site.pages.get(page)
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

    def _who(self, by: str | None = None) -> str:
        """Who acts: `by` if given, else the current user's name, else "api"."""
        if by:
            return str(by)[:128]
        user = self.site.acting_user()
        name = getattr(user, "name", "") if user else ""
        return name or "api"

    # -- finding ------------------------------------------------------------------------------
    def get_tasks(self, selector_or_state: str | int | None = None) -> PageArray:
        """Task pages matching a selector, or in a state (an int or TaskState); hidden included."""
        if selector_or_state is None or selector_or_state == "":
            selector = ""
        elif isinstance(selector_or_state, int) and not isinstance(selector_or_state, bool):
            selector = f"task_state={int(selector_or_state)}"
        elif isinstance(selector_or_state, str):
            selector = selector_or_state
        else:
            raise TaskError(f"get_tasks takes a selector or a state, not {selector_or_state!r}")
        parts = [selector] if selector else []
        parts.append(f"template={self.TEMPLATE}")
        if "include=" not in selector:
            parts.append("include=hidden")
        return self.site.pages.find(", ".join(parts))

    def get_task_by_id(self, task_id: int) -> Page:
        """The task page with this id, or a NullPage when there is none (or it is no task)."""
        page = self.site.pages.get(int(task_id))
        if not page or page.template.name != self.TEMPLATE:
            return NullPage(self.site)
        return page

