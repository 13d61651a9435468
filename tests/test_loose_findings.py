"""Findings of a review: what runner processes log, heartbeat threads of closed sites, the
login device cookie, the size of the session cookie and the login throttle's table."""
from __future__ import annotations

import logging
import re
import subprocess
import threading
from pathlib import Path

import pytest
from conftest import PYTHON, ROOT, site_env
from webclient import Client, make_task

import cms
from cms.web.auth import LoginThrottle, throttle_key
from cms.web.sessions import DEVICE_COOKIE, DEVICE_MAX_AGE, Session, SessionCodec, cookie_header

CHATTY = '''
import cms


class Chatty(cms.Module):
    """Says something for every record, as an importer might."""
    info = {"title": "Chatty", "version": "1.0.0", "summary": "talks a lot"}
    task_methods = ("talk",)

    def talk(self, page, data, options):
        for n in range(5):
            self.message(f"record {n} imported")
        self.warning("record 3 had no title")
        data["task_done"] = 1
        return True
'''


def chatty_site(folder: Path, url: str) -> cms.Site:
    (folder / "modules").mkdir(exist_ok=True)
    (folder / "modules" / "chatty.py").write_text(CHATTY)
    return cms.boot(url, site_dir=folder)


def chatty_task(site: cms.Site, title: str = "Chat"):
    tasker = site.modules.get("Tasker")
    task = tasker.create_task("Chatty", "talk", site.pages.get(1), title)
    assert tasker.activate_task(task)
    return tasker, task


# -- 1. what runner processes log -------------------------------------------------------------
def test_what_a_module_says_in_a_step_goes_to_the_tasks_log_and_to_logging_at_debug(
        tmp_path, db_url, caplog):
    """Every `self.message()` of a step was logged at INFO too: a module that says a line per
    record flooded the log of the process running it (cron.log, the worker's journal)."""
    site = chatty_site(tmp_path, db_url)
    try:
        tasker, task = chatty_task(site)
        with caplog.at_level(logging.DEBUG, logger="cms"):
            assert tasker.execute_task(task, {"invoker": "cron"})
        said = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "cms.Chatty"]
        assert said == [(logging.DEBUG, f"record {n} imported") for n in range(5)] + [
            (logging.DEBUG, "record 3 had no title")]
        log = tasker.get_log(task)
        assert any(line.endswith("INFO record 4 imported") for line in log)
        assert any(line.endswith("WARNING record 3 had no title") for line in log)
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="cms"):     # outside a step: as before
            site.modules.get("Chatty").warning("the feed is slow")
        assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
            (logging.WARNING, "the feed is slow")]
    finally:
        site.close()


@pytest.mark.slow
def test_runners_print_one_line_per_step_and_the_tasks_lines_only_with_verbose(tmp_path, db_url):
    """Runs `cron`, then `-v worker` whose second step process is a fresh interpreter (about
    two seconds in all): a spawned process did not log as its supervisor did, so -v showed
    what tasks said in the first step process only."""
    site = chatty_site(tmp_path, db_url)
    try:
        chatty_task(site, "Quiet")
        env = site_env(tmp_path, db_url)
        done = subprocess.run([PYTHON, "run.py", "cron"], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        output = done.stdout + done.stderr
        assert "record 0 imported" not in output and "had no title" not in output
        assert re.search(r"step 1: [\d.]+ s -> finished 100%; its log: No error\(s\) "
                         r"1 warning\(s\)", done.stdout), done.stdout
        for title in ("Verbose", "Spawned"):
            chatty_task(site, title)
        done = subprocess.run([PYTHON, "run.py", "-v", "worker", "--until-idle", "--max-steps", "1"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stderr.count("DEBUG cms.Chatty: record 0 imported") == 2, done.stderr
        assert "DEBUG peewee" not in done.stderr         # every SQL statement: -vv
    finally:
        site.close()


# -- 2. heartbeat threads of closed sites -----------------------------------------------------
def heartbeats() -> int:
    return sum(thread.name == "tasker-heartbeat" for thread in threading.enumerate())


def test_closing_a_site_stops_its_heartbeat_thread(tmp_path, db_url):
    """Each site's first step starts a heartbeat thread; closing the site left it parked for
    ever, so a process that boots and closes sites (a script per job, a test run) gathered
    one idle thread (and its database connection) per site."""
    before = heartbeats()
    first = chatty_site(tmp_path, db_url)
    first.close()
    for n in range(5):
        site = cms.boot(db_url, site_dir=tmp_path)
        tasker, task = chatty_task(site, f"Chat {n}")
        assert tasker.execute_task(task)
        assert heartbeats() == before + 1
        site.close()
    assert heartbeats() == before
    site = cms.boot(db_url, site_dir=tmp_path)      # a closed site that runs again starts one
    tasker, task = chatty_task(site, "Again")
    site.close()
    assert tasker.execute_task(task) and heartbeats() == before + 1
    site.close()
    assert heartbeats() == before


# -- 3. the login device cookie ---------------------------------------------------------------
def set_cookies(answer) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in answer.headers.get_all("Set-Cookie") or []}


def test_every_login_renews_the_device_cookie(site, admin_server):
    """The cookie was set at a browser's first login only: 180 days later it lapsed, even for
    someone who logged in every day, and their browser waited with everyone else again."""
    browser = Client(admin_server)
    first = set_cookies(browser.login())[DEVICE_COOKIE]
    browser.post("/admin/logout", {"csrf_token": browser.token()})
    again = set_cookies(browser.login())
    assert DEVICE_COOKIE in again, "a later login must renew the device cookie"
    assert f"Max-Age={DEVICE_MAX_AGE};" in again[DEVICE_COOKIE]
    assert "HttpOnly" in again[DEVICE_COOKIE] and "Path=/admin/" in first
    value = again[DEVICE_COOKIE].split(";", 1)[0].split("=", 1)[1]
    admin = site.users.get("admin")
    web = admin_server.web
    assert web.codec(site).device_of(value, admin.id)
    browser.close()


# -- 4. the size of the session cookie --------------------------------------------------------
def test_notices_never_make_the_session_cookie_too_big_for_a_browser():
    """A notice is cut at 300 characters and five are kept, but JSON wrote each non-ASCII
    character as a six-byte escape: five notices of accented or CJK text made a cookie of
    10,000 bytes, which browsers drop (and this server refused past 4,096): the user was
    logged out, the notices lost."""
    codec = SessionCodec(b"secret")
    for text in ("é" * 3000, "漢" * 3000, "🙂" * 3000):
        session = Session(7, "token", session_id="sid", stamp="stamp")
        for n in range(6):
            session.notice("message", f"{n}: {text}")
        header = cookie_header(codec, session, {})
        assert len(header.encode()) < 4096, (text[0], len(header))
        back = codec.loads(header.split(";", 1)[0].split("=", 1)[1])
        assert back is not None and (back.user_id, back.session_id) == (7, "sid")
        assert back.notices and back.notices[-1][1].startswith("5: " + text[0])


def test_many_long_notices_keep_the_login(site, superuser):
    """Six task actions, each saying the task's title, before a page shows them: the cookie
    went past 4,096 bytes, and the next page found no login."""
    title = "漢字" * 125                       # 250 characters: the longest title there is
    task = make_task(site, title=title)
    token = superuser.token()                   # (read from a page, which shows the notices)
    for cmd in ("activate", "suspend") * 3:     # six notices, none shown yet
        answer = superuser.post(f"/admin/tasks/{task.id}/action", {"cmd": cmd, "csrf_token": token})
        assert answer.status == 303, answer
        header = (answer.headers.get_all("Set-Cookie") or [""])[-1]
        assert len(header.encode()) < 4096, len(header)
    page = superuser.get("/admin/tasks/")
    assert page.status == 200, page                 # still logged in
    assert title[:20] in page.text


# -- 5. the login throttle's table ------------------------------------------------------------
def test_a_flood_of_addresses_and_names_does_not_reset_an_accounts_count(site):
    """A full table forgot its oldest entries: an attacker who spent the account's 20 free
    guesses, then sent one guess each for thousands of made-up names from as many addresses,
    pushed the account's count out and had 20 free guesses again."""
    site.users.add("owner", "a long passphrase")
    account = throttle_key(site, "owner")
    now = [1000.0]
    throttle = LoginThrottle(clock=lambda: now[0], max_entries=200)
    for n in range(20):                                      # the 20 free guesses ...
        assert throttle.attempt(account, f"10.0.0.{n}") == 0
    assert throttle.wait_time(account, "10.0.9.9") == 1.0   # ... then it waits everywhere
    now[0] += 61                                             # quiet a while: not forgotten
    for n in range(1000):
        throttle.attempt(throttle_key(site, f"nobody{n}"), f"10.2.{n // 250}.{n % 250}")
        now[0] += 0.01
    assert throttle.attempt(account, "10.0.2.1") == 0
    assert throttle.wait_time(account, "10.0.9.9") == 2.0, "the account's count was reset"
