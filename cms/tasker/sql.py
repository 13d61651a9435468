"""Every statement on Tasker's tables, in one place (the tables themselves: install.py).

`tasker_tasks` holds a task's runtime row (state, claim, lease, counters); `tasker_deps` and
`tasker_next` its dependencies and follow-ups; `tasker_history` its state changes;
`tasker_steps` the figures of its latest steps (a claim that counts `max_running` locks the
lease "tasker:claims" instead, cms.lease). State numbers come from TaskState, never typed by hand.
`{now}` is the database's clock (`TaskStorage.sql` fills it in). Statements that differ per
engine are assembled in storage.py from the parts here.
"""
from __future__ import annotations

from ..pages import COLUMNS as PAGE_COLUMNS
from .state import TaskState

ACTIVE, WAITING, FINISHED = int(TaskState.ACTIVE), int(TaskState.WAITING), int(TaskState.FINISHED)

# -- which tasks are ready (claims) -------------------------------------------------------------
# Tasks it waits for that have not finished; `{task}` is the column or `?` naming the task.
_UNFINISHED = ("SELECT {cols} FROM tasker_deps d JOIN tasker_tasks o ON o.pages_id = d.depends_on "
               f"WHERE d.pages_id = {{task}} AND o.state <> {FINISHED}")
UNFINISHED_DEPS = _UNFINISHED.format(cols="d.depends_on", task="?") + " ORDER BY d.depends_on"
# ... with their state and running flag, for words that say why a task waits
UNFINISHED_DEP_STATES = (_UNFINISHED.format(cols="d.depends_on, o.state, o.running", task="?")
                         + " ORDER BY d.depends_on")
# The live tasks waiting for a task (by the depends_on index): told when it ends unfinished.
LIVE_DEPENDENTS = ("SELECT d.pages_id FROM tasker_deps d JOIN tasker_tasks t ON t.pages_id = "
                   f"d.pages_id WHERE d.depends_on = ? AND t.state IN ({ACTIVE}, {WAITING}) "
                   "ORDER BY d.pages_id")
# A task whose page is in the trash is never claimed (activation refuses it too, but its page
# may be trashed by page code while the task is active).
_NOT_TRASHED = "NOT EXISTS (SELECT 1 FROM pages tp WHERE tp.id = t.pages_id AND tp.status >= 8192)"
# A task is ready when it is active, not running, due, not kept for the browser's next "Run now"
# step (see STEP_END), every task it depends on finished, and its page is not in the trash.
READY = (f"t.state = {ACTIVE} AND t.running = 0 AND (t.not_before IS NULL OR t.not_before <= {{now}}) "
         "AND (t.admin_run = 0 OR t.lease_until IS NULL OR t.lease_until < {now}) "
         f"AND NOT EXISTS ({_UNFINISHED.format(cols='1', task='t.pages_id')}) AND {_NOT_TRASHED}")
# A long task takes turns with short ones: `turn` is when its last step ended.
ORDER = "ORDER BY t.priority DESC, t.turn, t.pages_id"
CLAIM_SET = ("running = 1, token = ?, runner = ?, invoker = ?, admin_run = ?, "
             "lease_until = {now} + ?, claimed_at = {now}, beats = 0")
BY_ID = (f"t.pages_id = ? AND t.state = {ACTIVE} AND t.running = 0 "
         f"AND NOT EXISTS ({_UNFINISHED.format(cols='1', task='?')}) AND {_NOT_TRASHED}")
UNDER_LIMIT = "(SELECT COUNT(*) FROM tasker_tasks r WHERE r.running = 1) < ?"
COUNT_RUNNING = "SELECT COUNT(*) FROM tasker_tasks WHERE running = 1"
# Seconds until the next active task waiting for its not_before (a retry, a recurring run) is
# due, by the database's clock; NULL when none waits.
# (? = how many seconds ago the claim that found nothing began: a task due since then counts)
NEXT_DUE = (f"SELECT MIN(t.not_before) - {{now}} FROM tasker_tasks t WHERE t.state = {ACTIVE} "
            "AND t.running = 0 AND t.not_before > {now} - ?")
# The row a claim takes (`FROM tasker_tasks t` ...): the next ready task, or one given task if it
# is ready. Each engine adds its columns and locking clause.
PICK_NEXT = f"FROM tasker_tasks t WHERE {READY} {ORDER} LIMIT 1"
PICK_SEVERAL = f"FROM tasker_tasks t WHERE {READY} {ORDER} LIMIT ?"
PICK_ID = f"FROM tasker_tasks t WHERE {BY_ID}"
CLAIM_UPDATE = f"UPDATE tasker_tasks SET {CLAIM_SET}"      # + the engine's choice of row
CLAIM_BY_ID = CLAIM_UPDATE + " WHERE pages_id = ?"
WHY_NOT_CLAIMED = ("SELECT t.state, t.running, t.runner, p.status FROM tasker_tasks t "
                   "JOIN pages p ON p.id = t.pages_id WHERE t.pages_id = ?")
PAGE_STATUS = "SELECT status FROM pages WHERE id = ?"
EVERY = "SELECT every FROM tasker_tasks WHERE pages_id = ?"

# -- leases ------------------------------------------------------------------------------------
READ_TOKEN = "SELECT token FROM tasker_tasks WHERE pages_id = ?"
EXTEND_LEASE = "UPDATE tasker_tasks SET lease_until = {now} + ?, beats = beats + 1 WHERE pages_id = ?"
EXTEND_OWN_LEASE = EXTEND_LEASE + " AND token = ?"
# A claim given back unused: its state and data stay, its turn is now.
RELEASE = ("UPDATE tasker_tasks SET running = 0, token = NULL, lease_until = NULL, "
             "admin_run = 0, turn = {now} WHERE pages_id = ? AND token = ?")
# Claims a runner process took ahead of its steps, given back by its supervisor: never run, so
# no attempt is counted and their turn is kept.
_RUNNERS_CLAIMS = "WHERE running = 1 AND runner = ? AND pages_id <> ?"
RELEASE_RUNNER = ("UPDATE tasker_tasks SET running = 0, token = NULL, lease_until = NULL, "
                  f"admin_run = 0 {_RUNNERS_CLAIMS}")
# ... and those of them a reset (or kill) was asked for meanwhile: it is applied on their release.
RUNNER_RESETS = f"SELECT pages_id FROM tasker_tasks {_RUNNERS_CLAIMS} AND reset_pending = 1"
EXPIRED = "SELECT pages_id FROM tasker_tasks WHERE running = 1 AND lease_until < {now}"
# ... and what the row of the step that died needs (DEAD_STEP_READ's columns), in the same read
EXPIRED_ROWS = ("SELECT pages_id, attempts, state, claimed_at, invoker, runner, lease_until, {now} "
                "FROM tasker_tasks WHERE running = 1 AND lease_until < {now}")
EXPIRED_ORDER = " ORDER BY lease_until LIMIT {limit}"
# A task whose runner died (or whose step hit a transient database error) back to the queue.
RELEASE_REAPED = ("UPDATE tasker_tasks SET running = 0, token = NULL, lease_until = NULL, "
                  "admin_run = 0, attempts = ?, state = ?, turn = {now} WHERE pages_id = ?")
RELEASE_COUNTED = ("UPDATE tasker_tasks SET running = 0, token = NULL, lease_until = NULL, "
                   "admin_run = 0, attempts = ?, turn = {now} WHERE pages_id = ?")
# A step the database's passing trouble cut off, given back: it ran, and counts as a step.
RELEASE_TRANSIENT = ("UPDATE tasker_tasks SET running = 0, token = NULL, lease_until = NULL, "
                     "admin_run = 0, attempts = ?, turn = {now}, steps = steps + 1, "
                     "run_seconds = run_seconds + ? WHERE pages_id = ?")
# A task whose runner died or was killed keeps to its retry policy and schedule (after_step):
# what decides, and the release of one that goes on, active, not before its retry or next run.
FAILURE_POLICY = ("SELECT every, retry, failures, not_before, initial_data, {now} FROM tasker_tasks "
                  "WHERE pages_id = ?")
RELEASE_TO_RUN_AGAIN = ("UPDATE tasker_tasks SET running = 0, token = NULL, lease_until = NULL, "
                        "admin_run = 0, attempts = 0, failures = ?, not_before = ?, turn = {now} "
                        "WHERE pages_id = ?")
EXPIRE_NOW = ("UPDATE tasker_tasks SET lease_until = {now} - 1 WHERE pages_id = ? AND token = ? "
              "AND running = 1")
CLAIM_ROW = "SELECT token, attempts, state, running, runner FROM tasker_tasks WHERE pages_id = ?"

# -- creating ----------------------------------------------------------------------------------
INSERT_TASK = ("INSERT INTO tasker_tasks (pages_id, parent_id, module, method, state, priority, "
               "turn, not_before, every, retry, signature, live_key, initial_data) "
               f"VALUES (?, ?, ?, ?, {WAITING}, ?, {{now}}, ?, ?, ?, ?, ?, ?)")
LIVE_HOLDER = "SELECT pages_id FROM tasker_tasks WHERE live_key = ?"

# -- lifecycle ---------------------------------------------------------------------------------
LOCK_STATE = "SELECT state, running FROM tasker_tasks WHERE pages_id = ?"
READ_STATE = "SELECT state FROM tasker_tasks WHERE pages_id = ?"
READ_PARENT = "SELECT parent_id FROM tasker_tasks WHERE pages_id = ?"
SET_STATE = "UPDATE tasker_tasks SET state = ?{extra} WHERE pages_id = ?"
SET_COLUMNS = "UPDATE tasker_tasks SET {columns} WHERE pages_id = ?"
HISTORY = ("INSERT INTO tasker_history (pages_id, at, old_state, new_state, who, note) "
           "VALUES (?, ?, ?, ?, ?, ?)")
LIVE_ROW = "SELECT live_key, parent_id, signature FROM tasker_tasks WHERE pages_id = ?"
SET_LIVE_KEY = "UPDATE tasker_tasks SET live_key = ? WHERE pages_id = ?"
CLEAR_LIVE_KEY = "UPDATE tasker_tasks SET live_key = NULL WHERE pages_id = ?"
# The next identical live task takes the key (found by a range scan of the key's unique index):
# read and written apart, or in one statement (storage.pass_live_key).
LIVE_HEIR = ("SELECT pages_id FROM tasker_tasks WHERE live_key > ? AND live_key < ? "
             "ORDER BY live_key LIMIT 1")
PASS_LIVE_KEY = f"UPDATE tasker_tasks SET live_key = ? WHERE pages_id = ({LIVE_HEIR})"
MARK_RESET = "UPDATE tasker_tasks SET reset_pending = 1 WHERE pages_id = ?"
INITIAL_DATA = "SELECT initial_data FROM tasker_tasks WHERE pages_id = ?"
# A reset forgets the run it undoes: progress, counts and the step totals `tasks show` prints,
# as the steps table is emptied with it.
RESET_FIGURES = ("UPDATE tasker_tasks SET progress = 0, failures = 0, attempts = 0, steps = 0, "
                 "run_seconds = 0, reset_pending = 0 WHERE pages_id = ?")
REAP_READ = "SELECT state, reset_pending FROM tasker_tasks WHERE pages_id = ?"
RESET_PENDING = "SELECT reset_pending FROM tasker_tasks WHERE pages_id = ?"
DEPENDENCIES = "SELECT depends_on FROM tasker_deps WHERE pages_id = ? ORDER BY depends_on"
DEPENDENCIES_OF_MANY = "SELECT depends_on FROM tasker_deps WHERE pages_id IN ({marks})"
HAS_DEPENDENCY = "SELECT 1 FROM tasker_deps WHERE pages_id = ? AND depends_on = ?"
ADD_DEPENDENCY = "INSERT INTO tasker_deps (pages_id, depends_on) VALUES (?, ?)"
FORGET_DEPENDENTS = "DELETE FROM tasker_deps WHERE depends_on = ?"
FOLLOWUPS = "SELECT next_id FROM tasker_next WHERE pages_id = ? ORDER BY next_id"
HAS_FOLLOWUP = "SELECT 1 FROM tasker_next WHERE pages_id = ? AND next_id = ?"
ADD_FOLLOWUP = "INSERT INTO tasker_next (pages_id, next_id) VALUES (?, ?)"
COUNT_FOLLOWUP = "UPDATE tasker_tasks SET next_count = next_count + 1 WHERE pages_id = ?"

# -- a step ------------------------------------------------------------------------------------
# What a step needs, in one round trip: the task's row and data (and whether it was stopped since
# its claim), the task page from STEP_LOAD_PAGE_AT, and the page it works on when that is its
# parent (as create_task makes it; task_data's pageid decides).
_STEP_LOAD = ("SELECT t.module, t.method, t.progress, d.data, t.token, t.state, t.reset_pending, "
              f"{PAGE_COLUMNS}, {PAGE_COLUMNS.replace('pp.', 'qq.').replace('p.', 'q.')} "
              "FROM tasker_tasks t LEFT JOIN field_task_data d ON d.pages_id = t.pages_id "
              "JOIN pages p ON p.id = t.pages_id JOIN pages_paths pp ON pp.pages_id = p.id "
              "LEFT JOIN pages q ON q.id = p.parent_id LEFT JOIN pages_paths qq ON qq.pages_id = q.id "
              "WHERE t.pages_id ")
STEP_LOAD = _STEP_LOAD + "= ?"
# The same for the tasks a runner claimed ahead, at once (their task id is the row's p.id).
STEP_LOAD_MANY = _STEP_LOAD + "IN ({marks})"
STEP_LOAD_PAGE_AT = 7
STEP_LOAD_PAGE_WIDTH = PAGE_COLUMNS.count(",") + 1
# `{now}` last: a retry's back-off and a recurring task's next run are timed by the
# database's clock, as leases are, so a runner whose own clock is off schedules them right.
STEP_END_READ = ("SELECT token, state, reset_pending, every, retry, failures, next_count, "
                 "not_before, initial_data, live_key, parent_id, signature, steps, {now} "
                 "FROM tasker_tasks WHERE pages_id = ?")
# A step run from the browser that leaves its task active keeps the task for the browser's
# next call (admin_run = 1 with a lease, but not running): a claim leaves it alone until that
# lease ends, so a worker does not take over a task someone is watching run (READY).
STEP_END = ("UPDATE tasker_tasks SET state = ?, running = 0, token = NULL, "
            "lease_until = CASE WHEN ? = 1 THEN {now} + ? END, admin_run = ?, "
            "progress = ?, turn = {now}, attempts = 0, steps = steps + 1, "
            "run_seconds = run_seconds + ?, failures = ?, not_before = ?, reset_pending = 0, "
            "live_key = ? WHERE pages_id = ?")
TRANSIENT_READ = "SELECT token, attempts, state, reset_pending FROM tasker_tasks WHERE pages_id = ?"
SAVE_DATA = "UPDATE field_task_data SET data = ?, fold = ? WHERE pages_id = ?"
# A save that changed task_data is progress: the runner deaths counted so far ("in a row",
# max_attempts) start again from 0, so a long import whose runner is killed now and then, but
# advances each time, is not taken for a poison pill.
SAVE_CHECKED = ("UPDATE tasker_tasks SET progress = ?, lease_until = {now} + ?, beats = beats + 1, "
                f"attempts = attempts * ? WHERE pages_id = ? AND token = ? AND state = {ACTIVE} "
                "AND reset_pending = 0")
SAVE_ANY_STATE = ("UPDATE tasker_tasks SET progress = ?, lease_until = {now} + ?, "
                  "beats = beats + 1, attempts = attempts * ? WHERE pages_id = ? AND token = ?")
SAVE_CHECK = "SELECT token, state, reset_pending FROM tasker_tasks WHERE pages_id = ?"
LOCK_RUNNING = "SELECT running, progress FROM tasker_tasks WHERE pages_id = ?"
READ_DATA = "SELECT data FROM field_task_data WHERE pages_id = ?"
SET_PROGRESS = "UPDATE tasker_tasks SET progress = ? WHERE pages_id = ?"

# -- step figures ------------------------------------------------------------------------------
ADD_STEP = ("INSERT INTO tasker_steps (pages_id, started, seconds, records, peak_memory, "
            "invoker, result, runner) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
# A step whose process died (reaped, or killed by its runner), from its claim to now: its
# row, and its count in the task's totals, as a step that ended has them.
DEAD_STEP_READ = ("SELECT claimed_at, invoker, runner, lease_until, {now} FROM tasker_tasks "
                  "WHERE pages_id = ?")
COUNT_DEAD_STEP = ("UPDATE tasker_tasks SET steps = steps + 1, run_seconds = run_seconds + ? "
                   "WHERE pages_id = ?")
LAST_STEP_RESULT = "SELECT result FROM tasker_steps WHERE pages_id = ? ORDER BY id DESC LIMIT 1"
LATEST_RESULTS = "SELECT result FROM tasker_steps WHERE pages_id = ? ORDER BY id DESC LIMIT {n}"
# A task's steps but the newest {n}, in one statement that needs no answer (MariaDB reads its
# target table in a subquery only through a derived table).
DROP_OLD_STEPS = ("DELETE FROM tasker_steps WHERE pages_id = ? AND id < (SELECT id FROM (SELECT id "
                  "FROM tasker_steps WHERE pages_id = ? ORDER BY id DESC LIMIT 1 OFFSET {n}) nth)")
DROP_STEPS = "DELETE FROM tasker_steps WHERE pages_id = ?"
STEP_TOTALS = "SELECT steps, run_seconds, progress FROM tasker_tasks WHERE pages_id = ?"
LATEST_STEPS = ("SELECT started, seconds, records, peak_memory, invoker, result, runner FROM "
                "tasker_steps WHERE pages_id = ? ORDER BY id DESC LIMIT ?")

# -- the log's counters, the history ------------------------------------------------------------
COUNT_LOG = ("UPDATE tasker_tasks SET log_lines = log_lines + ?, log_errors = "
             "log_errors + ?, log_warnings = log_warnings + ? WHERE pages_id = ?")
LOG_SIZE = "SELECT log_lines, log_dropped FROM tasker_tasks WHERE pages_id = ?"
SET_LOG_SIZE = "UPDATE tasker_tasks SET log_lines = ?, log_dropped = ? WHERE pages_id = ?"
CLEAR_LOG_COUNTS = ("UPDATE tasker_tasks SET log_lines = 0, log_dropped = 0, log_errors = 0, "
                    "log_warnings = 0 WHERE pages_id = ?")
LOG_COUNTS = "SELECT progress, log_errors, log_warnings FROM tasker_tasks WHERE pages_id = ?"
# The task page's creation, the first entry of its history; no row for a page that is no task.
TASK_CREATED = ("SELECT p.created, u.name FROM tasker_tasks t JOIN pages p ON p.id = t.pages_id "
                "LEFT JOIN pages u ON u.id = p.created_users_id WHERE t.pages_id = ?")
HISTORY_OF = ("SELECT at, old_state, new_state, who, note FROM tasker_history "
              "WHERE pages_id = ? ORDER BY id")
NEWEST_CHANGES = "SELECT at, new_state, note FROM tasker_history ORDER BY id DESC LIMIT ?"

# -- status (one read per answer) ------------------------------------------------------------
# A task's status: these columns (Database.packed_sql reads them as one where that pays),
# then the log where it is asked for.
# The last: the first task an active one waits for that has not finished (NULL for others: the
# CASE asks no more of a task in another state).
STATUS_COLUMNS = ("t.state, t.running, t.progress, t.log_errors, t.log_warnings, p.status, ti.data, "
                  "t.pages_id, p.modified, t.not_before, "
                  f"CASE WHEN t.state = {ACTIVE} THEN "
                  f"({_UNFINISHED.format(cols='MIN(d.depends_on)', task='t.pages_id')}) END")
_STATUS = ("SELECT {columns}{log} FROM tasker_tasks t JOIN pages p ON p.id = t.pages_id "
           "LEFT JOIN field_title ti ON ti.pages_id = t.pages_id{join} WHERE t.pages_id")
STATUS = _STATUS.format(columns="{columns}", log="", join="") + " = ?"
STATUS_WITH_LOG = _STATUS.format(
    columns="{columns}", log=", l.data",
    join=" LEFT JOIN field_log_messages l ON l.pages_id = t.pages_id") + " = ?"
STATUS_OF_MANY = _STATUS.format(columns="{columns}", log="", join="") + " IN ({marks})"
# CROSS JOIN: SQLite reads the tasks and looks their pages up (without statistics for an
# empty or young tasker_tasks it would read a million pages' status index instead: 50 ms).
COUNT_BY_STATE = ("SELECT t.state, COUNT(*) FROM tasker_tasks t CROSS JOIN pages p "
                  "WHERE p.id = t.pages_id AND p.status < ? GROUP BY t.state")
DETAILS = ("SELECT module, method, parent_id, priority, attempts, failures, running, runner, invoker, "
           "lease_until, not_before, every, retry, steps, run_seconds FROM tasker_tasks "
           "WHERE pages_id = ?")
RUN_SUMMARY = ("SELECT t.state, t.progress, t.steps, ti.data, t.not_before, t.log_errors, "
               "t.log_warnings FROM tasker_tasks t "
               "LEFT JOIN field_title ti ON ti.pages_id = t.pages_id WHERE t.pages_id = ?")

# -- retention ---------------------------------------------------------------------------------
OLD_FINISHED = (f"SELECT pages_id FROM tasker_tasks WHERE state = {FINISHED} AND running = 0 "
                "AND turn < {now} - ? ORDER BY turn LIMIT ?")
