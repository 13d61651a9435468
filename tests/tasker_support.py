"""Helpers the Tasker tests share (their fixtures are in tasker_fixtures.py)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import cms

ROOT = Path(__file__).resolve().parent.parent
JOBS = Path(__file__).with_name("tasker_jobs.py")
COUNTER_JOBS = Path(__file__).with_name("runner_jobs.py")

# A worker process: boots the site from the environment and runs one step of a task.
STEP_SCRIPT = """
import sys, time, cms
from cms.tasker import heartbeat
heartbeat.COMMIT_INTERVAL = float(sys.argv[3])
site = cms.boot()
tasker = site.modules.get("Tasker")
timeout = float(sys.argv[2])
print("ran", tasker.execute_task(int(sys.argv[1]), {"invoker": "worker",
      "timeout": time.time() + timeout if timeout else 0}), flush=True)
"""


def prepare_counter_site(folder, url):
    """Boot a site with the runner tests' Counter module in modules/ and its templates (the
    runner and `tasks` CLI tests start real processes that find the module by name)."""
    (Path(folder) / "modules").mkdir(exist_ok=True)
    shutil.copy(COUNTER_JOBS, Path(folder) / "modules" / "counter.py")
    site = cms.boot(url, site_dir=folder)
    site.fields.add("hits", "Integer")
    site.templates.add("counter", fields=["title", "hits"])
    site.templates.add("row", fields=["title"])
    site.modules.get("Tasker")
    return site


def install_jobs(site):
    """Put the test module into the site's modules/ folder and return Tasker."""
    folder = Path(site.site_dir) / "modules"
    folder.mkdir(exist_ok=True)
    shutil.copy(JOBS, folder / "jobs.py")
    return site.modules.get("Tasker")


def make_task(tasker, method="count", page=None, title="A job", activate=True, **data):
    site = tasker.site
    if page is None:
        page = site.pages.add("basic-page", 1, title=f"target {time.monotonic_ns()}")
    task = tasker.create_task("Jobs", method, page, title, data)
    if activate:
        assert tasker.activate_task(task)
    return task


def run(tasker, task, seconds=30.0, **params):
    """One step with a timeout `seconds` from now."""
    return tasker.execute_task(task, {"timeout": time.time() + seconds, **params})


def stored_data(tasker, task) -> dict:
    task_id = task if isinstance(task, int) else task.id
    return json.loads(tasker.site.db.scalar("SELECT data FROM field_task_data WHERE pages_id = ?",
                                            (task_id,)))


def runtime(tasker, task, *columns: str) -> tuple:
    task_id = task if isinstance(task, int) else task.id
    return tasker.site.db.one(f"SELECT {', '.join(columns)} FROM tasker_tasks WHERE pages_id = ?",
                              (task_id,))


def child_names(site, page) -> list[str]:
    return [r[0] for r in site.db.all("SELECT name FROM pages WHERE parent_id = ?", (page.id,))]


def spawn_step(env, task_id: int, timeout: float = 0,
               commit_interval: float = 0.5) -> subprocess.Popen:
    """Run one step of a task in a worker subprocess (which commits on time every
    `commit_interval` seconds)."""
    return subprocess.Popen([sys.executable, "-c", STEP_SCRIPT, str(task_id), str(timeout),
                             str(commit_interval)],
                            env=env, cwd=str(ROOT), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def stubborn_under_cron(site, env, folder: Path):
    """(task, cron process): a Counter task whose step runs until it is stopped, active and
    running in a real `run.py cron` process, returned once its step has begun. The caller
    stops the process (two SIGTERMs stop the stubborn step at once) and kills it if need be."""
    tasker = site.modules.get("Tasker")
    page = site.pages.add("counter", 1, "c", title="C")
    started = Path(folder) / "started"
    task = tasker.create_task("Counter", "stubborn", page, "Stubborn",
                              {"seconds": 600, "started": str(started)})
    tasker.activate_task(task)
    cron = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "cron", "--time-limit", "50"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(started.exists, 30)
    except BaseException:
        cron.kill()
        cron.wait()
        raise
    return task, cron


def wait_for(condition, seconds: float = 20.0, every: float = 0.02):
    """Poll until `condition()` is truthy; return its value (fail after `seconds`)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met within {seconds} s")
