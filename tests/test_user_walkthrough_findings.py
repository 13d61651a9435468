"""Defects found by walking through the README as a new user and a module developer would:
its commands and samples run as written, then given odd input (numbers past what a column
holds, NUL characters, a retry with no back-off). Each test says what the user saw."""
from __future__ import annotations

import time

import pytest
from tasker_support import prepare_counter_site

from cms import ValidationError
from cms.tasker import TaskError, TaskState

pytest_plugins = ("tasker_fixtures",)      # fixtures: shared_site, tasker, cli


def prepare_shared_site(folder, url):
    return prepare_counter_site(folder, url)


def add_task(tasker, method, title, data=None, **options):
    page = tasker.site.pages.add("counter", 1, title=title)
    return tasker.create_task("Counter", method, page, title, data, **options)


# -- `tasks run` --------------------------------------------------------------------------------
def test_run_of_a_step_that_fails_with_its_retry_due_at_once_says_the_step_failed(tasker, cli):
    """`tasks create ... --retry 3` (BACKOFF defaults to 0) then `tasks run`: the step failed
    and its retry was due at once, and `tasks run` ended "task N stopped: task N could not be
    claimed; try again", as if another runner held it. The README: "a failed step with a
    retry left: stops, saying when it is retried", as it does with a back-off."""
    task = add_task(tasker, "fail", "Flaky", retry={"attempts": 3, "backoff": 0})
    code, _, err = cli("tasks", "run", task.id)
    assert code == 1
    assert "could not be claimed" not in err, err
    assert "step failed; it is retried at" in err, err
    assert tasker.get_state(task) == TaskState.ACTIVE           # the retry is left to runners
    assert tasker.get_details(task)["failures"] == 1


# -- Tasker settings ----------------------------------------------------------------------------
def test_max_running_is_refused_beyond_what_the_database_compares(tasker):
    """`save_config("Tasker", max_running=10**30)` (or the same typed on the Modules screen)
    was stored, and every runner then stopped on "OverflowError: Python int too large to
    convert to SQLite INTEGER" before claiming anything: `cron` printed it for each process
    and ran no step. A setting no runner can use is refused, as `lease_seconds` past its
    bound is, naming the bound."""
    with pytest.raises(ValidationError, match="max_running.*at most 9223372036854775807"):
        tasker.site.modules.save_config("Tasker", max_running=10**30)
    assert tasker.settings()["max_running"] == 0


def test_a_setting_typed_with_thousands_of_digits_is_refused_naming_it(tasker):
    """5,000 nines typed into a number on the Modules screen answered 500 (Python's "Exceeds
    the limit (4300 digits) for integer string conversion"), where "two" is refused beside
    its input."""
    with pytest.raises(ValidationError, match="max_running"):
        tasker.site.modules.save_config("Tasker", max_running="9" * 5000)


# -- create_task --------------------------------------------------------------------------------
def test_a_priority_out_of_range_is_called_so_not_a_number_that_is_no_whole_number(tasker):
    """`tasks create ... --priority 2147483648` said "priority must be a whole number, not
    2147483648", which is one; and -2147483648, which the column holds, was refused too."""
    with pytest.raises(TaskError) as raised:
        add_task(tasker, "bump", "Too high", priority=2**31)
    assert "-2147483648 to 2147483647" in str(raised.value), raised.value
    task = add_task(tasker, "bump", "Lowest", priority=-2**31)
    assert tasker.get_details(task)["priority"] == -2**31


def test_a_negative_interval_typed_as_text_is_called_so(tasker, cli):
    """`tasks create ... --every -5` (or every="-5") said "cron expression '-5' must have 5
    fields", where every=-5 says the interval must be positive."""
    with pytest.raises(TaskError, match="must be positive, not '-5'"):
        add_task(tasker, "bump", "Backwards", every="-5")
    code, _, err = cli("tasks", "create", "Counter", "bump", "1", "Backwards", "--every=-5")
    assert code == 2 and "must be positive" in err, err


# -- the `tasks` command line ----------------------------------------------------------------------
def test_an_unknown_state_lists_scheduled_among_the_states_it_takes(tasker, cli):
    """`tasks list --state running` answered "use one of active, waiting, finished, killed,
    failed or 0-5", leaving out `scheduled`, which --help and the README offer."""
    code, _, err = cli("tasks", "list", "--state", "running")
    assert code == 2 and "scheduled" in err, err


# -- users, roles and permissions ------------------------------------------------------------------
def test_a_role_or_permission_name_holding_nul_is_unknown_not_a_database_error(tasker):
    """On PostgreSQL a NUL in a role or permission name (a form field `roles=%00` on Access >
    Users > Add, `permissions=%00` on Roles) raised psycopg2's "A string literal cannot contain
    NUL (0x00) characters" and the admin answered 500. No role or permission is so named:
    they are unknown, as any other name no role has."""
    users = tasker.site.users
    assert not users.role("editor\x00")
    with pytest.raises(ValidationError, match="unknown permission"):
        users.add_role("proofreader", ["page-edit\x00"])
    with pytest.raises(ValidationError, match="unknown role"):
        users.add("nul-roles", "long-enough-password", roles=["superuser\x00"])


# -- Tasker's Python API ----------------------------------------------------------------------------
def test_get_status_takes_the_task_page_as_every_other_tasker_method_does(tasker):
    """`tasker.get_status(task)`, the page `create_task` returned, raised "TypeError: int()
    argument must be ... not 'Page'", where `get_state(task)`, `is_active(task)` and
    `get_log_summary(task)` take it."""
    task = add_task(tasker, "bump", "Count the words")
    status = tasker.get_status(task, log=False)
    assert status is not None and status.state == TaskState.WAITING
    assert tasker.get_status(task.id, log=False) == status



# -- runners on the server engines ------------------------------------------------------------------
def test_a_step_given_more_than_a_server_s_idle_bound_holds_runs(tasker):
    """`python run.py cron --time-limit 3000000` (35 days) on PostgreSQL: every step process
    stopped on "AttributeError: 'NoneType' object has no attribute 'detach'" and cron said
    "the step process could not start". The step's idle-in-transaction bound (its time box
    plus the lease) was set past what PostgreSQL takes (2,147,483,647 ms, 24.8 days; MariaDB
    takes a year), and the error of that SET was then hidden by one of the step's clean-up.
    A step may be given longer than the server bounds a session: the bound is the server's
    longest."""
    task = add_task(tasker, "bump", "Long time box")
    tasker.activate_task(task)
    assert tasker.execute_task(task, {"timeout": time.time() + 400 * 86400, "invoker": "cron"})
    assert tasker.get_state(task) == TaskState.FINISHED


def test_a_step_whose_transaction_cannot_begin_reports_that_error(tasker, monkeypatch):
    """What hid the error above: when the statement before a step's transaction failed (that
    SET, or a connection lost just then), the step's clean-up raised "AttributeError:
    'NoneType' object has no attribute 'detach'" in its place, the runner stopped, and the
    task stayed claimed until its lease ran out."""
    from cms.errors import DatabaseError

    def refused(seconds):
        raise DatabaseError("invalid value for parameter idle_in_transaction_session_timeout")

    task = add_task(tasker, "bump", "No transaction")
    tasker.activate_task(task)
    monkeypatch.setattr(tasker.site.db, "limit_idle_transaction", refused)
    assert tasker.execute_task(task, {"timeout": time.time() + 30, "invoker": "cron"}) is False
    assert not tasker.get_details(task)["running"]
    assert any("idle_in_transaction_session_timeout" in line for line in tasker.get_log(task))


def test_a_poll_longer_than_a_thread_can_wait_is_bad_usage(tasker, cli):
    """`worker --poll 99999999999999999` printed a traceback, "OverflowError: timestamp out of
    range for platform time_t" from its database thread, which then was gone; bad usage, as
    `--poll 0` is."""
    code, _, err = cli("worker", "--poll", "99999999999999999", "--until-idle")
    assert code == 2 and "--poll" in err, err
    assert "Traceback" not in err


def test_log_lines_on_the_terminal_escape_control_characters_as_tasks_list_does(tasker, cli):
    """A task titled with an escape sequence ("\\x1b[2J" clears the screen): `tasks list`,
    `tasks show` and cron's step lines print it as `\\x1b[2J`, but the log lines of the same
    commands printed it raw ("WARNING cms.Tasker: an identical task ... task 12 '<ESC>[2J'
    was created anyway", "ERROR cms.Tasker: task '<ESC>[2J' failed", a module's messages
    under -v), so a title or a module's message could clear the screen or retitle the window
    of whoever read cron.log."""
    title = "Import\x1b[2J\x1b]0;owned\x07"
    for _ in range(2):               # the second is a duplicate: a warning naming the title
        code, _, err = cli("tasks", "create", "Counter", "bump", "1", title)
        assert code == 0, err
    assert "identical task" in err, err
    assert "\x1b" not in err and "\x07" not in err, repr(err)
    assert "Import\\x1b[2J" in err


def test_tasks_list_keeps_its_columns_for_titles_in_wide_characters(tasker, cli):
    """`tasks list` padded titles by characters, not by the columns a terminal gives them: a
    title in Japanese or with an emoji (two columns a character) pushed its PAGE column to
    the right, as far as the title's length again."""
    import unicodedata

    def columns(text):
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)

    pages = []
    for title in ("Import the dictionary", "日本語の辞書を取り込む 🎉",
                  "とても長い日本語のタイトルで四十桁の列に収まらないもの、まだ続く"):
        task = add_task(tasker, "bump", title)
        pages.append(task.parent.path)
    code, out, err = cli("tasks", "list")
    assert code == 0, err
    lines = out.splitlines()[1:4]
    starts = {columns(line[:line.rindex(path)]) for line, path in zip(lines, reversed(pages))}
    assert len(starts) == 1, out
    assert "…" in lines[0]                  # the long one is cut, to the same columns


# -- field values -----------------------------------------------------------------------------------
@pytest.mark.parametrize("field, value", [
    ("hits", "9" * 5000),                   # an Integer typed with 5,000 digits
    ("walk_refs", "99999999999999999999"),  # a page id past 64 bits
    ("walk_refs", [10**20]),
    ("walk_refs", "9" * 5000),
    ("walk_price", 10**400),                # a Float given an int no float holds
    ("hits", 10**5000),                     # more digits than Python writes out
    ("walk_refs", 10**5000),
], ids=["int-5000-digits", "page-id-20-digits", "page-id-list", "page-id-5000-digits",
        "float-from-int", "int-10**5000", "page-10**5000"])
def test_numbers_past_what_a_field_holds_are_refused_naming_the_field(tasker, field, value):
    """The page editor answered 500 for an Integer or a Page field typed with thousands of
    digits ("Exceeds the limit (4300 digits) for integer string conversion") or a page id
    past 64 bits ("OverflowError: Python int too large to convert to SQLite INTEGER"), and
    `pages.add` raised those, where 99999999999999999999 in an Integer and an id no page has
    are refused as ValidationError naming the field."""
    site = tasker.site
    if not site.templates.get("walk"):
        site.fields.add("walk_refs", "Page")
        site.fields.add("walk_price", "Float")
        site.templates.add("walk", fields=["title", "hits", "walk_refs", "walk_price"])
    with pytest.raises(ValidationError, match=field):
        site.pages.add("walk", 1, title="Odd number", **{field: value})
    assert not site.pages.find("template=walk, include=all")


@pytest.mark.parametrize("kind, settings", [
    ("Integer", {"min": 10**20}),               # past what an Integer holds
    ("Integer", {"max": "-" + "9" * 30}),
    ("Integer", {"min": "9" * 5000}),           # more digits than Python reads
    ("Float", {"max": 10**400}),                # an int no float holds
    ("Text", {"maxlength": "9" * 5000}),
], ids=["int-min-20-digits", "int-max-30-digits", "int-min-5000-digits", "float-max-int",
        "text-maxlength-5000-digits"])
def test_field_settings_past_what_a_number_holds_are_refused_naming_the_setting(
        tasker, kind, settings):
    """Setup > Fields answered 500 when an Integer's min or max was set past 64 bits (its
    count of stored values outside the new limits bound it into SQL: "OverflowError: Python
    int too large to convert to SQLite INTEGER") or typed with thousands of digits ("Exceeds
    the limit (4300 digits)"); `fields.add` raised those. An Integer never holds such a
    number, so such a limit is refused, as "1e400" is."""
    name = f"walk_{kind.lower()}_{abs(hash(str(settings))) % 10**6}"
    with pytest.raises(ValidationError, match=next(iter(settings))):
        tasker.site.fields.add(name, kind, **settings)
    assert not tasker.site.fields.get(name)


@pytest.mark.parametrize("label", ["Body\x00", "L" * 769],
                         ids=["nul", "longer-than-its-column"])
def test_a_field_label_the_fields_table_cannot_hold_is_refused(tasker, label):
    """Setup > Fields > Edit answered 500 on PostgreSQL for a label holding NUL ("A string
    literal cannot contain NUL") or longer than its column ("value too long for type
    character varying(768)"); SQLite stored either. Refused beside the label, as a title is."""
    fields = tasker.site.fields
    if not fields.get("walk_label"):
        fields.add("walk_label", "Text")
    with pytest.raises(ValidationError, match="label"):
        fields.update("walk_label", label=label)
    with pytest.raises(ValidationError, match="label"):
        fields.add("walk_label_new", "Text", label=label)
    assert fields.get("walk_label").label == "walk_label"
    assert not fields.get("walk_label_new")


# -- the demo -------------------------------------------------------------------------------------
def test_the_demo_without_a_worker_does_not_say_ctrl_c_stops_one(tmp_path):
    """`python run.py demo --no-worker` printed "Ctrl-C stops the server and the worker."
    (and started no worker, as asked)."""
    import os
    import signal
    import socket
    import subprocess

    from conftest import PYTHON, ROOT
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMS_")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen([PYTHON, str(ROOT / "run.py"), "demo", "--no-worker", "--port",
                             str(port)], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    printed = ""
    try:
        deadline = time.monotonic() + 120
        while "Ctrl-C stops" not in printed and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            printed += line
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    stops = [line for line in printed.splitlines() if "Ctrl-C stops" in line]
    assert stops and "worker" not in stops[0], printed
