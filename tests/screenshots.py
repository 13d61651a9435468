"""Take the README's screenshots from the real demo: `python tests/screenshots.py`.

Starts `python run.py demo` in an empty temporary directory (as a newcomer would), logs in
with the password it prints, and photographs the page tree, the dictionary import while it
runs, Find, and Setup with Chromium (Playwright, the system browser at /usr/bin/chromium).
The pictures land in tests/screenshots/, which the README shows.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright
from webclient import free_port

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1280, "height": 760}


def start_demo(folder: str, port: int) -> tuple[subprocess.Popen, str, str]:
    """The demo's process, and the user and password its banner printed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMS_")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "demo", "--port", str(port)],
                            cwd=folder, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    printed = ""
    while "Ctrl-C stops" not in printed:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            raise SystemExit(f"the demo did not start:\n{printed}")
        printed += line
    found = re.search(r"user: (\S+)\s+password: (\S+)", printed)
    if not found:
        raise SystemExit(f"the demo printed no login:\n{printed}")
    return proc, found.group(1), found.group(2)


def main() -> int:
    OUT.mkdir(exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as folder:
        proc, user, password = start_demo(folder, port)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport=VIEWPORT)
                page.goto(base + "/admin/login")
                page.fill("input[name=username]", user)
                page.fill("input[name=password]", password)
                page.click("form.login-form button[type=submit]")
                page.wait_for_url(base + "/admin/")
                page.goto(base + "/admin/tasks/")
                page.click("text=Import the dictionary")
                percent = page.locator("#task-detail .percent")
                deadline = time.monotonic() + 120
                # polled from here: a predicate string for wait_for_function is compiled in the
                # page, which the admin's Content-Security-Policy (no unsafe-eval) refuses
                while int((percent.text_content() or "0").strip(" %") or 0) < 5:
                    if time.monotonic() > deadline:
                        raise SystemExit("the import showed no progress in 120 s")
                    time.sleep(0.5)
                time.sleep(2)                 # the rate and ETA settle
                page.screenshot(path=str(OUT / "task-running.png"))
                page.goto(base + "/admin/")
                row = page.locator(".tree-row", has=page.locator(".tree-title",
                                                                  has_text="Dictionary"))
                row.locator(".tree-toggle").click()
                page.locator(".tree-filter").first.wait_for()
                page.screenshot(path=str(OUT / "tree.png"))
                page.goto(base + "/admin/find/?" + "selector=template%3Dword%2C+title%5E%3Dab"
                          "&columns=title,parent,created,modified")
                page.screenshot(path=str(OUT / "find.png"))
                page.goto(base + "/admin/setup/fields/")
                page.click("text=Add a field")
                page.fill("#input-name", "rating")
                page.select_option("#input-type", "Integer")
                page.fill("#input-label", "Rating")
                page.fill("#input-setting_min", "5")
                page.fill("#input-setting_max", "1")
                page.click("#field-form button[type=submit]")
                page.screenshot(path=str(OUT / "setup-field.png"))
                browser.close()
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
    print("screenshots written to", OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
