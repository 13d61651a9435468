"""HTTP test helpers: a real waitress server in a thread, and a small cookie-keeping client.

The web tests talk HTTP to the same server `python run.py serve` runs, on a free port of the
loopback interface, with one site booted per server thread as in production.
"""
from __future__ import annotations

import contextlib
import http.client
import json
import re
import socket
import textwrap
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlencode

import cms
from cms.web.server import Server


def free_port() -> int:
    """A port of the loopback interface no one listens on now (the OS picks it): a test's own
    server, where a fixed number collided with another suite's running beside it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]

PASSWORD = "correct-horse-battery"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')

JOBS = textwrap.dedent('''
    import time
    import cms

    class WebJobs(cms.Module):
        """Task methods for the web tests: count to a target, saying what task_data asks."""
        info = {"title": "Web test jobs", "version": "1.0.0", "summary": ""}
        task_methods = ("count_to",)

        def count_to(self, page, task_data, options):
            tasker = self.site.modules.get("Tasker")
            task = options["task"]
            if task_data.get("say"):
                self.message(task_data["say"])
            target = int(task_data.get("target", 10))
            task_data["max_records"] = target
            per_step = int(task_data.get("per_step", target))
            done_now = 0
            while task_data["records_processed"] < target:
                if done_now >= per_step or not tasker.allowed_to_execute(task, options):
                    return True
                time.sleep(float(task_data.get("delay", 0)))
                task_data["records_processed"] += 1
                done_now += 1
                tasker.save_progress(task, task_data)
            task_data["task_done"] = 1
            return True

        def not_offered(self, page, task_data, options):
            return True
''')


def prepare_site(site, folder: Path, ajax_timeout: int = 5) -> None:
    """Tasker, the WebJobs module in the site's modules/ folder (so every server thread and
    worker process finds it), and an `admin` superuser."""
    (folder / "modules").mkdir(exist_ok=True)
    (folder / "modules" / "webjobs.py").write_text(JOBS)
    site.modules.get("Tasker")
    site.modules.get("WebJobs")      # installed: the task API starts installed modules only
    site.users.add("admin", PASSWORD)
    site.modules.save_config("Tasker", ajax_timeout=ajax_timeout)


def make_task(site, title="Count", **data):
    """A WebJobs.count_to task on the home page; `data` is its task_data."""
    tasker = site.modules.get("Tasker")
    return tasker.create_task("WebJobs", "count_to", site.pages.get(1), title,
                              task_data=data or None)


def state_of(site, task):
    """The task's state as stored now (None when it is gone)."""
    tasker = site.modules.get("Tasker")
    fresh = tasker.get_task_by_id(task.id)
    return int(fresh.get("task_state") or 0) if fresh else None


@contextlib.contextmanager
def running_server(url: str, site_dir: Path, threads: int = 6, **options: Any) -> Iterator[Server]:
    """A server for the site at `url`, on a free port, stopped (and joined) afterwards."""
    server = Server(lambda: cms.boot(url, site_dir=site_dir), "127.0.0.1", 0, threads,
                    lazy_cron=options.pop("lazy_cron", False), **options)
    thread = server.start_in_thread()
    try:
        yield server
    finally:
        server.stop()
        thread.join(15)


def schema_seen_now(server: Server) -> None:
    """Let the server's sites see a schema or access change at their next request, as they
    would a second later (`Site.refresh_schema` asks the database once a second)."""
    for served in server.web.pool.sites:
        served._schema_seen = (0.0, served._schema_seen[1])


class Response:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body
        self.text = body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.text)

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")

    def csrf(self) -> str:
        found = CSRF_INPUT.search(self.text)
        assert found, f"no csrf_token in the page: {self.text[:300]}"
        return found.group(1)

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.text[:80]!r}>"


class Client:
    """A browser-like client: keeps the session cookie, follows no redirect by itself."""

    def __init__(self, server: Server):
        self.port = server.port
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Response:
        headers = dict(headers or {})
        if self.cookies:
            headers.setdefault("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                raw = self.conn.getresponse()
                data = raw.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        for header in raw.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in header or not value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return Response(raw.status, raw.headers, data)

    def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, data: dict[str, Any] | list[tuple[str, str]] | None = None,
             headers: dict[str, str] | None = None) -> Response:
        headers = dict(headers or {})
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        return self.request("POST", path, urlencode(data or {}, doseq=True).encode(), headers)

    def token(self) -> str:
        """This session's CSRF token, read from the login form or an admin page."""
        page = self.get("/admin/login")
        if page.status == 303:
            page = self.get("/admin/")
        return page.csrf()

    def login(self, name: str = "admin", password: str = PASSWORD) -> Response:
        form = self.get("/admin/login")
        answer = self.post("/admin/login", {"username": name, "password": password,
                                            "csrf_token": form.csrf()})
        assert answer.status == 303, answer
        return answer

    def api(self, cmd: str, task_id: int | str = "", http: str | None = None,
            csrf: bool = True, **fields: Any) -> Response:
        """Call /admin/tasks/api: status by GET, everything else by POST with the token."""
        http = http or ("GET" if cmd == "status" else "POST")
        query = urlencode({"id": task_id, "cmd": cmd})
        if http == "GET":
            return self.get(f"/admin/tasks/api?{query}")
        headers = {"X-CSRF-Token": self.token()} if csrf else {}
        return self.post(f"/admin/tasks/api?{query}", fields, headers)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


class FormValues(HTMLParser):
    """What a browser would send for the form whose tag holds `marker`, nothing touched:
    `.pairs` in document order (checkboxes only when checked, a select's selected options,
    a textarea's text), for `Client.post`."""

    def __init__(self, text: str, marker: str):
        super().__init__()
        self.pairs: list[tuple[str, str]] = []
        self._area: str | None = None
        self._select: str | None = None
        before, found, after = text.partition(marker)
        assert found, f"no form with {marker!r} in the page"
        self.feed("<form " + after.split("</form>", 1)[0])

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        name = found.get("name")
        if tag == "input" and name and found.get("type") not in ("submit", "button"):
            if found.get("type") not in ("checkbox", "radio") or "checked" in found:
                self.pairs.append((name, found.get("value") or ""))
        elif tag == "textarea" and name:
            self._area = name
            self.pairs.append((name, ""))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in found:
            self.pairs.append((self._select, found.get("value") or ""))

    def handle_data(self, data):
        if self._area:
            name, text = self.pairs[-1]
            self.pairs[-1] = (name, text + data)

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._area = None
        elif tag == "select":
            self._select = None
