"""Install and uninstall Tasker's schema: the `tasker-task` template, its fields, its tables.

Where each value lives:

- `title`, `task_data` and `log_messages` are ordinary field tables (`field_<name>`).
- The runtime columns a runner changes on every claim and save live in ONE narrow table,
  `tasker_tasks`, keyed by the task page's id: state, running, progress, the claim (token,
  runner, lease), attempts, priority, schedule and the log counters. Keeping them in one row
  lets a claim pick, check and change a task with one indexed statement.
- The fields `task_state`, `task_running`, `progress`, `signature`, `task_priority`,
  `task_attempts`, `task_runner`, `task_lease`, `task_admin_run`, `task_not_before`,
  `task_module` and `task_method` are registered as ordinary Integer / Text / Float fields,
  but their `field_<name>` table is a VIEW over `tasker_tasks` (`SELECT pages_id, state AS
  data ...`). Selectors (`task_state=1, progress<100`, `task_method=import_rows`) and
  `page.task_state` read them like any field, with the base table's indexes, and there is
  one copy of each value, so nothing can drift. They are written only through the Tasker
  API: a generic page save that tries to change them fails and rolls back (task pages are
  locked against the page editor anyway).
- `tasker_deps` / `tasker_next`: dependencies and follow-up tasks. `tasker_history`: every state
  change, who made it and when. `tasker_steps`: per-step figures (duration, records, memory,
  invoker and runner), also of a step whose process died (recorded by the reaper, "lost", or
  by the runner that killed it, "killed").
  (A claim that counts `max_running` locks the site's lease "tasker:claims", cms.lease.)

The template's access: task pages are viewable by roles holding `tasker-admin` and are never
moved (only trashed and restored). Install runs under the schema lock, so two processes that
both install find the work done.
Uninstall removes all this only when no task page is left.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ModuleError
from ..fields import SYSTEM_FIELDS

if TYPE_CHECKING:
    from ..site import Site

TEMPLATE = "tasker-task"

# name, type, settings, label
REAL_FIELDS = (
    ("task_data", "Textarea", {}, "Task data (JSON)"),
    ("log_messages", "Textarea", {}, "Log"),
)
# name, type, settings, label, column of tasker_tasks
VIEW_FIELDS = (
    ("task_state", "KeptInteger", {"min": 0, "max": 10}, "State", "state"),
    ("task_running", "KeptInteger", {"min": 0, "max": 1}, "Running", "running"),
    ("progress", "KeptInteger", {"min": 0, "max": 100}, "Progress (%)", "progress"),
    ("signature", "KeptText", {}, "Signature", "signature"),
    ("task_priority", "KeptInteger", {}, "Priority", "priority"),
    ("task_attempts", "KeptInteger", {"min": 0}, "Attempts (runners lost)", "attempts"),
    ("task_runner", "KeptText", {}, "Runner (host:pid)", "runner"),
    ("task_lease", "KeptFloat", {}, "Lease ends (epoch seconds)", "lease_until"),
    ("task_admin_run", "KeptInteger", {"min": 0, "max": 1}, "Run from the admin", "admin_run"),
    ("task_not_before", "KeptFloat", {}, "Runs not before (epoch seconds)", "not_before"),
    ("task_module", "KeptText", {}, "Module", "module"),
    ("task_method", "KeptText", {}, "Method", "method"),
)
TEMPLATE_FIELDS = ("title", "task_data", "task_state", "task_running", "progress", "signature",
                   "log_messages", "task_priority", "task_attempts", "task_runner", "task_lease",
                   "task_admin_run", "task_not_before", "task_module", "task_method")
SYSTEM_FIELDS[TEMPLATE] = TEMPLATE_FIELDS

TABLES = {
    "tasker_tasks": """
        pages_id {INT} NOT NULL PRIMARY KEY, parent_id {INT} NOT NULL,
        module {NAME} NOT NULL, method {NAME} NOT NULL,
        state {INT} NOT NULL DEFAULT 2, running {INT} NOT NULL DEFAULT 0,
        progress {INT} NOT NULL DEFAULT 0, priority {INT} NOT NULL DEFAULT 0,
        turn {FLOAT} NOT NULL DEFAULT 0, not_before {FLOAT}, every {NAME}, retry {NAME},
        failures {INT} NOT NULL DEFAULT 0, attempts {INT} NOT NULL DEFAULT 0,
        token {NAME}, runner {NAME}, invoker {NAME}, admin_run {INT} NOT NULL DEFAULT 0,
        lease_until {FLOAT}, claimed_at {FLOAT}, beats {INT} NOT NULL DEFAULT 0,
        reset_pending {INT} NOT NULL DEFAULT 0,
        signature {NAME} NOT NULL, live_key {NAME}, initial_data {LONGTEXT} NOT NULL,
        next_count {INT} NOT NULL DEFAULT 0,
        log_lines {INT} NOT NULL DEFAULT 0, log_dropped {INT} NOT NULL DEFAULT 0,
        log_errors {INT} NOT NULL DEFAULT 0, log_warnings {INT} NOT NULL DEFAULT 0,
        steps {INT} NOT NULL DEFAULT 0, run_seconds {FLOAT} NOT NULL DEFAULT 0,
        FOREIGN KEY (pages_id) REFERENCES pages (id) ON DELETE CASCADE""",
    "tasker_deps": """
        pages_id {INT} NOT NULL, depends_on {INT} NOT NULL, PRIMARY KEY (pages_id, depends_on),
        FOREIGN KEY (pages_id) REFERENCES pages (id) ON DELETE CASCADE,
        FOREIGN KEY (depends_on) REFERENCES pages (id) ON DELETE CASCADE""",
    "tasker_next": """
        pages_id {INT} NOT NULL, next_id {INT} NOT NULL, PRIMARY KEY (pages_id, next_id),
        FOREIGN KEY (pages_id) REFERENCES pages (id) ON DELETE CASCADE,
        FOREIGN KEY (next_id) REFERENCES pages (id) ON DELETE CASCADE""",
    "tasker_history": """
        id {ID}, pages_id {INT} NOT NULL, at {FLOAT} NOT NULL, old_state {INT} NOT NULL,
        new_state {INT} NOT NULL, who {NAME} NOT NULL, note {TEXT} NOT NULL,
        FOREIGN KEY (pages_id) REFERENCES pages (id) ON DELETE CASCADE""",
    "tasker_steps": """
        id {ID}, pages_id {INT} NOT NULL, started {FLOAT} NOT NULL, seconds {FLOAT} NOT NULL,
        records {BIGINT} NOT NULL, peak_memory {BIGINT} NOT NULL, invoker {NAME} NOT NULL,
        result {NAME} NOT NULL, runner {NAME} NOT NULL DEFAULT '',
        FOREIGN KEY (pages_id) REFERENCES pages (id) ON DELETE CASCADE""",
}
# Columns added since a table was first made (1.5: when a claim was taken, and which runner
# ran each step, so a step that died is recorded like the others): added where missing.
ADDED_COLUMNS = (
    ("tasker_tasks", "claimed_at", "{FLOAT}"),
    ("tasker_steps", "runner", "{NAME} NOT NULL DEFAULT ''"),
)
# Few indexes on tasker_tasks: each one is another page written at every create and claim.
# `ready` serves the claim (running = 0, state = 1, in priority and turn order) and the reaper
# (running = 1); `live_key` refuses a second identical live task (see lifecycle.py).
INDEXES = (
    ("tasker_tasks", "running, state, priority DESC, turn", False, "tasker_tasks_ready"),
    ("tasker_tasks", "live_key", True, "tasker_tasks_live_key"),
    ("tasker_deps", "depends_on", False, "tasker_deps_depends_on"),
    ("tasker_next", "next_id", False, "tasker_next_next_id"),
    ("tasker_history", "pages_id, id", False, "tasker_history_page"),
    ("tasker_steps", "pages_id, id", False, "tasker_steps_page"),
)


def view_sql(name: str, column: str, fieldtype: str) -> str:
    """The view that stands in for `field_<name>`: one row per task that has a value."""
    if fieldtype == "KeptText":
        # Text fields have a `fold` column; these values are ASCII, so UPPER() is fold().
        return (f"CREATE VIEW field_{name} AS SELECT pages_id, {column} AS data, "
                f"UPPER({column}) AS fold FROM tasker_tasks WHERE {column} IS NOT NULL")
    where = f" WHERE {column} IS NOT NULL" if fieldtype == "KeptFloat" else ""
    return f"CREATE VIEW field_{name} AS SELECT pages_id, {column} AS data FROM tasker_tasks{where}"


def install(site: Site) -> None:
    """Create the tables, fields and template (idempotent; under the schema lock)."""
    from .storage import storage_for
    db = site.db
    storage = storage_for(db)
    with db.schema_lock():
        for table, body in TABLES.items():
            if not db.table_exists(table):
                db.create_table(table, body)
                for index_table, columns, unique, name in INDEXES:
                    if index_table == table:
                        db.create_index(table, columns, unique=unique, name=name)
        for table, column, kind in ADDED_COLUMNS:
            if column not in db.column_names(table):
                db.ddl(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        if db.table_exists("tasker_lock"):     # before 1.2: claims locked a row of their own
            db.ddl("DROP TABLE tasker_lock")
        for name, type_, settings, label in REAL_FIELDS:
            site.fields.add(name, type_, label=label, **settings)
        kept_since_1_2(site)
        for name, type_, settings, label, column in VIEW_FIELDS:
            table = f"field_{name}"
            if site.fields.get(name) is None:
                db.ddl(f"DROP VIEW IF EXISTS {table}")   # left behind by a dropped database
            site.fields.add(name, type_, label=label, **settings)
            is_view = storage.is_view(table)
            if is_view and type_ == "KeptText":
                db.ddl(f"DROP VIEW {table}")   # before 1.3 its fold was LOWER(): see fold()
                db.ddl(view_sql(name, column, type_))
            elif not is_view:
                if db.table_exists(table):               # a field of that name was there first
                    if db.scalar(f"SELECT COUNT(*) FROM {table}"):
                        raise ModuleError(f"field {name!r} already holds values in table {table}; "
                                          "Tasker keeps this field itself: move the values to "
                                          "another field and empty the table, then install "
                                          "Tasker again")
                    db.ddl(f"DROP TABLE {table}")
                db.ddl(view_sql(name, column, type_))
        template = site.templates.add(TEMPLATE, fields=TEMPLATE_FIELDS, no_children=True,
                                      locked=True, label="Task")
        if not template.settings.get("use_roles"):
            # Task pages stay where Tasker put them (tasker_tasks.parent_id names that page),
            # and only those who steer tasks see them, unless a site opens them on purpose
            # (`template.set_access(view=["guest"])`).
            template.set_access(view=[], edit=[])
            template.set_settings(view_permission="tasker-admin", no_move=True)


def kept_since_1_2(site: Site) -> None:
    """Before Tasker 1.2 its view-backed fields were stored as plain Integer, Text and Float
    fields: give them their Kept type (same values, same view; only the type's flags differ)."""
    kept = {name: type_ for name, type_, *_ in VIEW_FIELDS}
    changed = False
    for field in list(site.fields):
        if field.name in kept and field.type.name == kept[field.name].removeprefix("Kept"):
            site.db.execute("UPDATE fields SET type = ? WHERE id = ?", (kept[field.name], field.id))
            changed = True
    if changed:
        site.fields.load()
        site.schema_changed()


def task_page_count(site: Site) -> int:
    template = site.templates.get(TEMPLATE)
    if template is None:
        return 0
    return site.db.scalar("SELECT COUNT(*) FROM pages WHERE templates_id = ?", (template.id,)) or 0


def uninstall(site: Site) -> bool:
    """Remove the template, fields and tables, but only when no task page is left.

    Returns False (and changes nothing) while task pages remain, so their data survives a
    reinstall.
    """
    if task_page_count(site):
        return False
    db = site.db
    template = site.templates.get(TEMPLATE)
    own = [name for name, *_ in REAL_FIELDS + VIEW_FIELDS]
    used = db.all(
        "SELECT t.name, f.name FROM fieldgroups_fields ff JOIN templates t ON t.fieldgroups_id = "
        f"ff.fieldgroups_id JOIN fields f ON f.id = ff.fields_id WHERE t.name <> ? AND f.name IN "
        f"({', '.join('?' * len(own))})", (TEMPLATE, *own))
    if used:
        raise ModuleError(f"cannot remove Tasker's fields: template {used[0][0]!r} uses field "
                          f"{used[0][1]!r}; remove it from that template first")
    with db.schema_lock():
        if template is not None:
            with db.transaction():
                db.execute("DELETE FROM fieldgroups_fields WHERE fieldgroups_id = ?",
                           (template.fieldgroups_id,))
                db.execute("DELETE FROM templates WHERE id = ?", (template.id,))
                db.execute("DELETE FROM fieldgroups WHERE id = ?", (template.fieldgroups_id,))
            site.templates.load()
        for name, *_ in VIEW_FIELDS:
            db.ddl(f"DROP VIEW IF EXISTS field_{name}")
            if site.fields.get(name) is not None:
                site.fields.delete(name)           # a Kept field: no table of its own to drop
        for name, *_ in REAL_FIELDS:
            if site.fields.get(name) is not None:
                site.fields.delete(name)
        for table in reversed(list(TABLES)):
            if db.table_exists(table):
                db.ddl(f"DROP TABLE {table}")
    return True
