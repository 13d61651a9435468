"""The admin's pages on a large site: each screen's answer time over HTTP, with the admin's
own stylesheet (a static file through the same server) measured in the same run for scale.

    python bench/bench_admin.py                  # 1,000,000 pages (builds in about a minute)
    python bench/bench_admin.py --pages 100000   # a quicker run

The site is the selectors benchmark's (bench_selectors.build: one parent with a tenth of the
pages as children, two templates, a six-level tree with the rest) in SQLite, served by the
product's waitress server in this process; a logged-in superuser asks for each admin screen
`--runs` times, and an editor (page-edit, no superuser) for the tree's screens, whose counts of
children are of the pages the editor may see. Target (issue 16): every admin page under
100 ms at 1,000,000 pages. A Find with `title%=` reads the title's trigram index
(cms/textindex.py); `*=` and `~=` still scan.
"""
from __future__ import annotations

import argparse
import http.client
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import header  # noqa: E402
from bench_selectors import build  # noqa: E402

import cms  # noqa: E402
from cms.web.server import Server  # noqa: E402

PASSWORD = "bench-password-1"
TARGET_MS = 100.0


class Browser:
    """One keep-alive connection with the session cookie."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = ""

    def request(self, method: str, path: str, body: str = "") -> tuple[int, str]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body or None, headers=headers)
        answer = self.conn.getresponse()
        text = answer.read().decode("utf-8", "replace")
        for value in answer.headers.get_all("Set-Cookie") or []:
            self.cookie = value.split(";", 1)[0]
        return answer.status, text

    def login(self, name: str = "admin") -> None:
        _, form = self.request("GET", "/admin/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        status, _ = self.request("POST", "/admin/login", urlencode(
            {"username": name, "password": PASSWORD, "csrf_token": token}))
        assert status == 303, status


def median_ms(browser: Browser, path: str, runs: int) -> float:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        status, _ = browser.request("GET", path)
        samples.append(time.perf_counter() - began)
        assert status == 200, (path, status)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30, help="timed requests per screen")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    header(f"admin screens, {args.pages:,} pages (SQLite)")
    with tempfile.TemporaryDirectory() as folder:
        site = cms.boot(site_dir=folder)
        began = time.perf_counter()
        info = build(site, args.pages, args.seed)
        site.users.add("admin", PASSWORD)
        site.users.add_role("editor", ["page-edit"])
        site.users.add("editor", PASSWORD, roles=["editor"])      # the tree as a non-superuser
        site.modules.get("Tasker")
        for n in range(30):
            site.pages.add("basic-page", 1, f"old-{n}", title=f"Old {n}").trash()
        print(f"built {info['total']:,} pages in {time.perf_counter() - began:.1f} s")
        big, total = info["big"], info["total"]
        last_page = (args.pages // 10 - 1) // 50 + 1
        screens = [
            ("tree", "/admin/"),
            ("children of the big parent", f"/admin/page/{big}/children"),
            ("its last page of children", f"/admin/page/{big}/children?page={last_page}"),
            ("its children filtered by name", f"/admin/page/{big}/children?q=c9999"),
            ("page edit", f"/admin/page/{big + 5}/edit"),
            ("move (the tree to pick from)", f"/admin/page/{big + 5}/move"),
            ("find: a template, 25 rows",
             "/admin/find/?selector=" + quote("template=post, sort=-created")),
            ("find: a title prefix", "/admin/find/?selector=" + quote(f"title^={info['word']}")),
            ("find: a title substring (trigram index)",
             "/admin/find/?selector=" + quote(f"title%={info['word']}")),
            ("trash", "/admin/trash/"),
            ("setup: fields", "/admin/setup/fields/"),
            ("setup: templates", "/admin/setup/templates/"),
            ("setup: a template", "/admin/setup/templates/post/edit"),
            ("modules", "/admin/modules/"),
            ("modules: Tasker settings", "/admin/modules/Tasker/settings"),
            ("access: users", "/admin/access/users/"),
            ("access: roles", "/admin/access/roles/"),
            ("tasks", "/admin/tasks/"),
        ]
        # An editor's tree counts each row's children as the editor sees them (access applied):
        # rows that have children, a level of the six-level tree, and the big parent's page.
        parent_of_sub = site.pages.get(info["sub_id"]).parent_id
        editor_screens = [
            ("editor: tree", "/admin/"),
            ("editor: rows with children", f"/admin/page/{parent_of_sub}/children"),
            ("editor: children of the big parent", f"/admin/page/{big}/children"),
        ]
        server = Server(lambda: cms.boot(site_dir=folder), "127.0.0.1", 0, 4, lazy_cron=False)
        thread = server.start_in_thread()
        try:
            browser = Browser(server.port)
            browser.login()
            static = median_ms(browser, "/admin/static/admin.css", args.runs)
            print(f"# baseline: the stylesheet (a static file) {static:.2f} ms; {total:,} pages; "
                  f"median of {args.runs} requests each")
            print(f"{'screen':40} {'ms':>8} {'x static':>9}  under {TARGET_MS:.0f} ms")
            editor = Browser(server.port)
            editor.login("editor")
            for who, label, path in [(browser, *screen) for screen in screens] + [
                    (editor, *screen) for screen in editor_screens]:
                median_ms(who, path, 3)                     # warm the caches
                ms = median_ms(who, path, args.runs)
                print(f"{label:40} {ms:8.1f} {ms / static:9.1f}  "
                      f"{'yes' if ms < TARGET_MS else 'NO'}")
            for who in (browser, editor):       # before the server stops: no channel left open
                who.conn.close()
        finally:
            server.stop()
            thread.join(15)
            site.close()


if __name__ == "__main__":
    main()
