"""A third hostile review, over HTTP and the command line (after test_security_findings.py and
test_security_findings2.py): each test failed before its fix."""
from __future__ import annotations

import html
import subprocess

from conftest import PYTHON, ROOT
from webclient import PASSWORD, Client, prepare_site, running_server

import cms
from cms.web.app import Web
from cms.web.auth import LoginThrottle


# -- the known-device cookie --------------------------------------------------------------------
def test_a_device_cookie_that_is_no_signature_of_ours_is_ignored(site, admin_server):
    """Every login for an account reads the browser's `cms_device` cookie. One whose value is
    not ASCII (`x.\\xe9`: a byte any client may send in a Cookie header) raised from the
    signature check, before the throttle counted the attempt: the login answered 500 and the
    server logged a traceback, so anyone, with no login, could fill the server's log as fast
    as they could send requests, never slowed down. A cookie that is no signature of this
    site's is ignored, as a forged session cookie is: the attempt is an ordinary failed
    login, and the right password logs in."""
    client = Client(admin_server)
    token = client.token()
    for value in ("x.\xe9", "\xe9.x"):          # two failures: a third would be throttled
        client.cookies["cms_device"] = value
        answer = client.post("/admin/login", {"username": "admin", "password": "a wrong guess",
                                              "csrf_token": token})
        assert answer.status == 403, (value, answer.status)
        assert "Unknown user name or wrong password" in answer.text
    client.cookies["cms_device"] = "x.\xe9"
    assert client.post("/admin/login", {"username": "admin", "password": PASSWORD,
                                        "csrf_token": token}).status == 303
    client.cookies["cms_device"] = "x.\xe9"       # Profile reads it too, for its own count
    answer = client.post("/admin/profile/", {"csrf_token": client.token(), "email": "",
                                             "current_password": "not mine"})
    assert answer.status == 400 and "not your current password" in answer.text
    client.close()


def test_a_user_named_by_another_user_s_id_does_not_take_back_that_user_s_failures(site, db_url,
                                                                                  tmp_path):
    """Failed logins are counted per account, and a login takes back its account's count. The
    account a typed name meant was found by `users.get(name)`, which reads a name of digits as
    a page id (as ProcessWire's `$users->get("46")` does), while the login checks the user of
    that name: the user named "46" shared the count of the user whose id is 46. Logging in as
    "46" took back the other user's failures at that address, so whoever holds such an account
    guessed the other's password without ever being slowed down (three guesses, a login of
    their own, three guesses ...). ProcessWire's SessionLoginThrottle counts the name as
    typed: the count is of the account that name logs in to."""
    prepare_site(site, tmp_path)
    site.users.add_role("editor", ["page-edit"])
    victim = site.users.add("ed", PASSWORD, roles=["editor"])
    site.users.add(str(victim.id), "the guesser's own password", roles=["editor"])
    now = [1000.0]                          # the throttle's clock: no time passes between tries
    web = Web(lambda: cms.boot(db_url, site_dir=tmp_path),
              throttle=LoginThrottle(clock=lambda: now[0]))
    with running_server(db_url, tmp_path, web=web) as server:
        guesser = Client(server)
        token = guesser.token()

        def guess() -> int:
            return guesser.post("/admin/login", {"username": "ed", "password": "a guess",
                                                 "csrf_token": token}).status

        assert [guess() for _ in range(4)] == [403, 403, 403, 429]
        now[0] += 2                         # the wait for a fourth try (1 s) is over
        own = Client(server)                # the guesser's own login, from the same address
        own.login(str(victim.id), "the guesser's own password")
        assert [guess(), guess()] == [403, 429]     # ed's fourth try, then a wait of 2 s
        own.close()
        guesser.close()


# -- the page tree ------------------------------------------------------------------------------
def test_the_tree_s_sort_takes_an_id_no_page_can_have_as_no_child(site, superuser):
    """The tree's drag and drop posts the children's ids in their new order; an id past the
    largest a page may have (30 digits, or thousands: int() reads at most 4,300) answered 500
    (SQLite cannot bind it, PostgreSQL and MariaDB refuse it, Python's int() raised), where an
    id that is no child of the page is refused with 400, saying so, and nothing moves."""
    site.templates.add("item", fields=["title"])
    first = site.pages.add("item", 1, "first", title="First")
    second = site.pages.add("item", 1, "second", title="Second")
    token = superuser.token()
    for stranger in ("9" * 19, "9" * 30, "9" * 5000):
        answer = superuser.post("/admin/page/1/sort",
                                {"csrf_token": token, "order": f"{second.id},{stranger},{first.id}"},
                                headers={"X-Requested-With": "fetch"})
        assert answer.status == 400, (len(stranger), answer.status)
        assert "is not a child of page 1" in answer.json()["message"]
    assert site.pages.get(first.id).sort < site.pages.get(second.id).sort


# -- text that is not Unicode: a lone surrogate -------------------------------------------------
def test_task_data_holding_a_lone_surrogate_is_refused_where_the_task_is_created(site, admin_server):
    """Whoever may start a task on a page sends its task_data as JSON text. JSON's `\\udcff`
    escape reads as a lone surrogate, which UTF-8 cannot hold: `create` took it, stored as
    JSON keeps it, and the task page printed it: the task page and its panel answered 500
    ("Critical error while processing request") for everyone, the superuser too, for as long
    as the task was kept. Such data is refused where the task is created (400, naming where
    it is, nothing created), as a Text field refuses such text and as PHP's json_decode
    refuses such JSON (the original Tasker's language); a character JSON writes as a pair of
    surrogates (an emoji) is text like any other."""
    site.users.add_role("starter", ["tasker-admin", "page-edit"])
    site.users.add("st", PASSWORD, roles=["starter"])
    site.templates.add("section", fields=["title"])
    site.templates["section"].set_access(view=["guest"], edit=["starter"])
    news = site.pages.add("section", 1, "news", title="News")
    starter = Client(admin_server)
    starter.login("st")
    for data, where in (('{"note": "bad \\udcff end"}', "task_data['note']"),
                        ('{"list": ["ok", "\\ud800"]}', "task_data['list'][1]"),
                        ('{"bad \\udcff key": 1}', "key")):
        refused = starter.api("create", module="WebJobs", method="count_to", pageid=str(news.id),
                              title="Odd data", task_data=data)
        assert refused.status == 400, (data, refused.text)
        assert where in refused.json()["result"] and "unpaired surrogate" in refused.json()["result"]
    assert not site.modules.get("Tasker").get_tasks(f"parent={news.id}")
    created = starter.api("create", module="WebJobs", method="count_to", pageid=str(news.id),
                          title="Emoji", task_data='{"note": "\\ud83d\\ude00"}')
    assert created.status == 200, created.text
    answer = starter.get(f"/admin/tasks/{created.json()['taskid']}/")
    assert answer.status == 200 and "\U0001F600" in answer.text
    starter.close()


ODD_NAMES = '''
import cms

class OddNames(cms.Module):
    """Says a file name that is not UTF-8, as os.fsdecode and os.listdir give it."""
    info = {"title": "Odd names", "version": "1.0.0", "summary": ""}
    task_methods = ("list_files",)

    def list_files(self, page, task_data, options):
        self.message("found " + b"caf\\xe9.txt".decode("utf-8", "surrogateescape"))
        task_data["task_done"] = 1
        return True
'''


def test_a_log_line_holding_a_lone_surrogate_is_written_and_the_step_ends(site, superuser, tmp_path):
    """What a module says in a step goes to the task's log. A text holding a lone surrogate
    (a file name that is not UTF-8, as Python's os functions decode it) made the log's write
    raise at the step's end, and the writes that record a failure raised on the same lines:
    Run now answered that the task could not be claimed, the task stayed claimed as running
    until its lease ran out, then ran again to the same end, and its log never said why
    (`execute_task` from Python raised UnicodeEncodeError instead of answering). The line is
    written with the surrogate as Python writes it, `\\udce9`, and the step ends as it would
    without it."""
    from cms.tasker import TaskState
    (tmp_path / "modules" / "oddnames.py").write_text(ODD_NAMES)
    site.modules.get("OddNames")
    created = superuser.api("create", module="OddNames", method="list_files", pageid="1",
                            title="List the files")
    assert created.status == 200, created.text
    task_id = created.json()["taskid"]
    assert superuser.api("start", task_id).status == 200
    ran = superuser.api("run", task_id).json()
    assert ran["result"] == "step done", ran
    status = superuser.api("status", task_id).json()
    assert status["task_state"] == TaskState.FINISHED and status["task_running"] == 0, status
    assert any(line.endswith(" INFO found caf\\udce9.txt") for line in status["log"]), status["log"]
    assert superuser.get(f"/admin/tasks/{task_id}/").status == 200


def test_a_task_whose_step_kept_such_text_in_its_data_still_opens(site, superuser, tmp_path):
    """A step may keep what it works on in task_data, as JSON keeps it (`\\udce9`); the task
    page printed that data with the character itself, which UTF-8 cannot hold: the task page
    and its panel answered 500 ("Critical error while processing request") for everyone, for
    as long as the task was kept. The data is shown as JSON writes it."""
    (tmp_path / "modules" / "oddnames.py").write_text(ODD_NAMES.replace(
        'task_data["task_done"] = 1', 'task_data["last_file"] = "caf\\udce9.txt"\n'
                                      '        task_data["task_done"] = 1'))
    site.modules.get("OddNames")
    task = site.modules.get("Tasker").create_task("OddNames", "list_files", 1, "List the files")
    assert superuser.api("start", task.id).status == 200
    assert superuser.api("run", task.id).json()["result"] == "step done"
    for path in (f"/admin/tasks/{task.id}/", f"/admin/tasks/{task.id}/panel"):
        answer = superuser.get(path)
        assert answer.status == 200, (path, answer.text[:200])
        assert '"last_file": "caf\\udce9.txt"' in html.unescape(answer.text)


# -- the command line ---------------------------------------------------------------------------
def test_user_passwd_sets_the_password_of_the_user_of_that_name(site, run_env):
    """`user passwd NAME` looked the user up with `users.get(NAME)`, which reads a name of
    digits as a page id: `user passwd 41`, for the user named "41", gave the new password to
    the user whose id is 41, the superuser say, and the user "41", told their new password,
    logged in as the superuser. NAME is the user's name, as `user add NAME` made it."""
    admin = site.users.add("admin", PASSWORD)
    site.users.add(str(admin.id), "the intern's password", roles=[])
    done = subprocess.run([PYTHON, str(ROOT / "run.py"), "user", "passwd", str(admin.id)],
                          input="told to the intern\n", env=run_env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"password of {str(admin.id)!r} changed" in done.stdout
    assert site.users.authenticate("admin", PASSWORD)
    assert site.users.authenticate(str(admin.id), "told to the intern")
    assert not site.users.authenticate("admin", "told to the intern")
