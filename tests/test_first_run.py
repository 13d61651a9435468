"""The newcomer's first run: `python run.py` in an empty directory builds the demo, prints a
login, and the dictionary import's bar moves while they watch in a browser; set to full speed
on the Modules screen, as the README says, it runs to 100%. Run again, it reuses the site.
(Marked browser: `python -m pytest -m browser`.)"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import PYTHON, ROOT
from test_browser import CHROMIUM, CHROMIUM_ARGS, shot
from webclient import free_port

pytestmark = pytest.mark.browser


def start_demo(folder: Path, port: int) -> tuple[subprocess.Popen, str]:
    """Start the demo in `folder`; return the process and what it printed up to the banner."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMS_")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen([PYTHON, str(ROOT / "run.py"), "demo", "--port", str(port)], cwd=folder,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    printed = ""
    deadline = time.monotonic() + 120
    while "Ctrl-C stops" not in printed:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the demo did not start:\n{printed}")
        printed += line
    return proc, printed


def stop_demo(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(60)


def worker_processes(folder: Path) -> list[str]:
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if f"--site {folder}" in line and "worker" in line]


def test_first_run_shows_the_import_reaching_100_percent(tmp_path):
    playwright_api = pytest.importorskip("playwright.sync_api")
    port = free_port()
    proc, printed = start_demo(tmp_path, port)
    try:
        match = re.search(r"user: (\S+)\s+password: (\S+)", printed)
        assert match, printed
        user, password = match.groups()
        assert (tmp_path / "site.db").exists()
        base = f"http://127.0.0.1:{port}"
        with playwright_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(base + "/admin/login")
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", password)
            page.click("form.login-form button[type=submit]")
            page.wait_for_url(base + "/admin/")
            page.goto(base + "/admin/tasks/")
            row = page.locator("tr", has_text="Import the dictionary")
            percent = row.locator(".percent").first
            seen = {percent.inner_text()}
            deadline = time.monotonic() + 120
            while len(seen - {"0%", "100%"}) < 2 and time.monotonic() < deadline:
                seen.add(percent.inner_text())       # the bar moves while it is watched
                time.sleep(0.3)
            assert len(seen - {"0%", "100%"}) >= 2, seen
            # the paced import takes 80 s; the README's way to full speed, from its next step
            page.goto(base + "/admin/modules/Dictionary/settings")
            page.fill("input[name=words_per_second]", "0")
            page.click("#module-settings button[type=submit]")
            page.wait_for_load_state()
            page.goto(base + "/admin/modules/Dictionary/settings")
            assert page.input_value("input[name=words_per_second]") == "0"
            page.goto(base + "/admin/tasks/")
            deadline = time.monotonic() + 120
            while percent.inner_text() != "100%" and time.monotonic() < deadline:
                time.sleep(0.3)
            shot(page, "first-run-import-finished")
            assert percent.inner_text() == "100%", (tmp_path / "worker.log").read_text()[-2000:]
            assert row.locator(".state").first.inner_text().lower() == "finished"
            page.goto(base + "/dictionary/")
            assert "Dictionary" in page.title()
            browser.close()
    finally:
        stop_demo(proc)
    assert proc.returncode == 0
    assert worker_processes(tmp_path) == [], "the worker stops with the demo"

    again, printed_again = start_demo(tmp_path, free_port())
    try:
        assert "password: as printed on the first run" in printed_again
    finally:
        stop_demo(again)
