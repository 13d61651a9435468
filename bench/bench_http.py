"""HTTP: the task status API under concurrent pollers, the task list's first page and the page
tree's children, with a bare bottle endpoint on the same waitress setup measured in the same
run for scale.

    python bench/bench_http.py [--tasks 10000] [--pollers 50] [--rate 1000] [--seconds 5]
                               [--children 100000] [--threads 16] [--db URL]

The site (10,000 tasks by default) is served by `python run.py serve` as in production (16
threads), first as one process, then as two (`--processes 2`: one per core of this machine);
the bare endpoint is a one-route bottle app on waitress with the same thread count, in a
process of its own, also asked for the same answer after one indexed read of the site's
database (its SQLite file, or the `--db` server on a connection per thread): the most an
answer that reads the database once can reach. The pollers are threads of this process, each with
its own keep-alive connection (asyncio streams in this process), asking `cmd=status` as a
logged-in admin: first flat out (the most the server answers), then together at `--rate`
requests per second (1,000), where the latencies are taken. Two patterns: random tasks of all
of them (each answer read from the database), and the tasks the pollers watch (one each, as
a progress bar asks for its task every second: an answer may be given again while nothing
was committed). Targets (issue 17): the
status API flat out at least 0.6x the bare endpoint's answers per second, and at the paced
1,000/s a p99 within 1.2x of the bare endpoint's p99 in the same run; the task list's
first page under 30 ms; a parent with 100,000 children opens as fast as one with ten.
The server's CPU time per answer is printed too: a machine busy with other work disturbs it
far less than the latencies.
"""
from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import header  # noqa: E402

import cms  # noqa: E402
from cms.web.sessions import COOKIE_NAME  # noqa: E402

PASSWORD = "bench-password-1"
JOBS = '''
import cms

class BenchJobs(cms.Module):
    info = {"title": "Bench jobs", "version": "1.0.0", "summary": ""}
    task_methods = ("noop",)

    def noop(self, page, task_data, options):
        task_data["task_done"] = 1
        return True
'''
BARE_APP = '''
import logging, sys, bottle, waitress
logging.getLogger("waitress.queue").setLevel(logging.ERROR)     # as the site's server does
app = bottle.Bottle()

@app.get("/status")
def status():
    bottle.response.set_header("Cache-Control", "no-store")
    return {"taskid": 1, "taskinfo": "Task", "task_state": 2, "task_state_info": "waiting",
            "status": True, "status_html": "", "result": "Task", "progress": 0,
            "task_running": 0, "log": []}

import random, sqlite3, threading
from _common import raw_connection      # the bench folder is on this process's path
local = threading.local()

def connect(target):
    """A connection of this thread's own: the site's SQLite file, or its server by URL."""
    if "://" in target:
        return raw_connection(target, autocommit=True), "%s"
    return sqlite3.connect(target), "?"

@app.get("/status-read")
def status_read():
    """The same answer after one indexed read of the site's database (a thread's own
    connection): what any answer that reads the database once pays in this server."""
    found = getattr(local, "conn", None)
    if found is None:
        found = local.conn = connect(sys.argv[3])
    conn, mark = found
    cursor = conn.cursor()
    cursor.execute(f"SELECT data FROM field_title WHERE pages_id = {mark}",
                   (random.randrange(1, 10000),))
    cursor.fetchall()
    return status()

waitress.serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads=int(sys.argv[2]),
               connection_limit=400, _quiet=True)
'''
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server process exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port} after {seconds} s")


def build_tree(folder: Path, url: str, children: int) -> tuple[int, int]:
    """Two parents for the page tree: one with `children` children, one with ten."""
    site = cms.boot(url, site_dir=folder)
    started = time.perf_counter()
    big = site.pages.add("basic-page", 1, "big", title="Big")
    small = site.pages.add("basic-page", 1, "small", title="Small")
    with site.transaction():
        for i in range(children):
            site.pages.add("basic-page", big, f"p{i}", title=f"Page {i}")
        for i in range(10):
            site.pages.add("basic-page", small, f"p{i}", title=f"Page {i}")
    print(f"# built a parent with {children} children in {time.perf_counter() - started:.1f} s")
    site.close()
    return big.id, small.id


def build_site(folder: Path, url: str, count: int) -> list[int]:
    """A site with `count` tasks in a mix of states; returns their ids."""
    (folder / "modules").mkdir(exist_ok=True)
    (folder / "modules" / "benchjobs.py").write_text(JOBS)
    site = cms.boot(url, site_dir=folder)
    tasker = site.modules.get("Tasker")
    if not site.users.get("admin"):
        site.users.add("admin", PASSWORD)
    # Tasks work on a page of their own, as a module's tasks would (10,000 hidden children of
    # home would make every listing of home's children step over them).
    jobs = site.pages.get("/jobs/") or site.pages.add("basic-page", 1, "jobs", title="Jobs")
    ids: list[int] = []
    started = time.perf_counter()
    for offset in range(0, count, 500):
        with site.transaction():
            for i in range(offset, min(count, offset + 500)):
                task = tasker.create_task("BenchJobs", "noop", jobs, f"Task {i}",
                                          task_data={"n": i})
                ids.append(task.id)
    for task_id in ids[::5]:
        tasker.activate_task(task_id)
    print(f"# built {count} tasks in {time.perf_counter() - started:.1f} s")
    site.close()
    return ids


async def poller(port: int, path_for: Callable[[], str], cookie: str, stop_at: float,
                 interval: float, latencies: list[float], errors: list[int]) -> None:
    """One keep-alive connection: a request as soon as the answer came (interval 0), or one
    every `interval` seconds. Latency counts from when the request was due, so a server that
    falls behind its callers is charged for the wait (no coordinated omission)."""
    loop = asyncio.get_running_loop()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    extra = f"Cookie: {cookie}\r\n" if cookie else ""
    due = loop.time() + random.uniform(0, interval)
    while loop.time() < stop_at:
        if interval:
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            began = time.perf_counter() - max(0.0, loop.time() - due)
            due += interval
        else:
            began = time.perf_counter()
        writer.write(f"GET {path_for()} HTTP/1.1\r\nHost: bench\r\n{extra}\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - began)
        if not head.startswith(b"HTTP/1.1 200"):
            errors.append(1)
    writer.close()


def load(port: int, path_for: Callable[[], str], cookie: str, pollers: int, seconds: float,
         rate: float = 0.0) -> dict[str, float]:
    """Answers per second and latency percentiles of `pollers` keep-alive clients, each asking
    as fast as it is answered (rate 0) or all together `rate` requests per second."""
    async def run(duration: float) -> tuple[list[float], list[int], float]:
        latencies: list[float] = []
        errors: list[int] = []
        interval = pollers / rate if rate else 0.0
        stop_at = asyncio.get_running_loop().time() + duration
        began = time.perf_counter()
        await asyncio.gather(*(poller(port, path_for, cookie, stop_at, interval, latencies, errors)
                               for _ in range(pollers)))
        return latencies, errors, time.perf_counter() - began

    asyncio.run(run(0.5))                       # warm every server thread's site and caches
    latencies, errors, elapsed = asyncio.run(run(seconds))
    latencies.sort()
    return {"rps": len(latencies) / elapsed, "n": len(latencies), "errors": len(errors),
            "p50": latencies[len(latencies) // 2] * 1000,
            "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000}


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process and its child processes have used so far (/proc)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            children = [int(child) for child in handle.read().split()]
    except OSError:
        children = []
    return total + sum(cpu_seconds(child) for child in children)


def measured(pid: int, run: Callable[[], dict[str, float]]) -> dict[str, float]:
    """`run()`'s figures plus the server's CPU time per answer (steady on a busy machine)."""
    before = cpu_seconds(pid)
    figures = run()
    figures["cpu_us"] = (cpu_seconds(pid) - before) / max(1, figures["n"]) * 1e6
    return figures


def log_in(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/admin/login")
    page = conn.getresponse()
    body = page.read().decode()
    cookie = page.getheader("Set-Cookie").split(";", 1)[0]
    token = CSRF.search(body).group(1)
    conn.request("POST", "/admin/login",
                 urlencode({"username": "admin", "password": PASSWORD, "csrf_token": token}),
                 {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    answer = conn.getresponse()
    answer.read()
    if answer.status != 303:
        raise SystemExit(f"login failed: {answer.status}")
    conn.close()
    # the session's cookie: a login sets the known-device cookie (cms_device) beside it
    return next(value.split(";", 1)[0] for value in answer.msg.get_all("Set-Cookie")
                if value.startswith(COOKIE_NAME + "="))


def page_times(port: int, path: str, cookie: str, repeat: int = 40, warm: int = 100,
               headers: dict[str, str] | None = None) -> dict[str, float]:
    """Median and p95 of one client asking for a page again and again (ms), after `warm`
    requests: each server thread boots its own site and fills its caches on its first ones."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    samples = []
    for i in range(repeat + warm):
        began = time.perf_counter()
        conn.request("GET", path, headers={"Cookie": cookie, **(headers or {})})
        answer = conn.getresponse()
        answer.read()
        assert answer.status == 200, answer.status
        if i >= warm:
            samples.append((time.perf_counter() - began) * 1000)
    conn.close()
    samples.sort()
    return {"median": statistics.median(samples), "p95": samples[int(len(samples) * 0.95) - 1]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=10000)
    parser.add_argument("--pollers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--children", type=int, default=100000,
                        help="children of the big parent in the page tree (default 100,000)")
    parser.add_argument("--rate", type=float, default=1000.0,
                        help="requests per second all pollers ask together (default 1000)")
    parser.add_argument("--db", help="database URL (default: SQLite in a temporary folder); "
                                     "its tables are used as they are")
    args = parser.parse_args()
    header(f"HTTP: status API with {args.pollers} pollers, {args.tasks} tasks")
    folder = Path(tempfile.mkdtemp(prefix="bench-http-"))
    url = args.db or f"sqlite:///{folder / 'site.db'}"
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    processes: list[subprocess.Popen] = []
    try:
        ids = build_site(folder, url, args.tasks)
        big, small = build_tree(folder, url, args.children)
        bare_port = free_port()
        read_target = url[len("sqlite:///"):] if url.startswith("sqlite:///") else url
        bare_process = subprocess.Popen(
            [sys.executable, "-c", BARE_APP, str(bare_port), str(args.threads), read_target],
            env={**env, "PYTHONPATH": str(Path(__file__).resolve().parent) + os.pathsep + env["PYTHONPATH"]})
        processes.append(bare_process)
        wait_for(bare_port, bare_process)
        rate = args.rate
        results: list[tuple[str, dict[str, float]]] = [
            (f"bare bottle, {args.pollers} pollers flat out",
             measured(bare_process.pid, lambda: load(bare_port, lambda: "/status", "",
                                                     args.pollers, args.seconds))),
            (f"bare bottle, {args.pollers} pollers at {rate:.0f}/s",
             measured(bare_process.pid, lambda: load(bare_port, lambda: "/status", "",
                                                     args.pollers, args.seconds, rate)))]
        engine = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MariaDB"}[url.split(":", 1)[0]]
        results.append((f"bare bottle + one {engine} read, flat out",
                        measured(bare_process.pid, lambda: load(
                            bare_port, lambda: "/status-read", "", args.pollers, args.seconds))))
        paced: dict[tuple[int, str], dict[str, float]] = {}
        flat_out: dict[tuple[int, str], dict[str, float]] = {}
        pages: dict[str, dict[str, float]] = {}
        watched = ids[:args.pollers]
        patterns = {"random tasks": lambda: f"/admin/tasks/api?id={random.choice(ids)}&cmd=status",
                    "watched tasks": lambda: f"/admin/tasks/api?id={random.choice(watched)}"
                                             "&cmd=status"}

        for count in (1, 2):
            port = free_port()
            server = subprocess.Popen(
                [sys.executable, str(ROOT / "run.py"), "--site", str(folder), "--db", url,
                 "serve", "--port", str(port), "--threads", str(args.threads),
                 "--processes", str(count), "--no-lazy-cron"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            processes.append(server)
            wait_for(port, server)
            cookie = log_in(port)
            label = f"{count} process{'es' if count > 1 else ''}"
            if count == 1:
                # Pages first, on an idle server (a load run that outpaces the server leaves
                # it a backlog).
                fetched = {"X-Requested-With": "fetch"}
                warm = args.threads * 6
                pages["list"] = page_times(port, "/admin/tasks/", cookie, warm=warm)
                pages["big"] = page_times(port, f"/admin/page/{big}/children", cookie,
                                          warm=warm, headers=fetched)
                pages["small"] = page_times(port, f"/admin/page/{small}/children", cookie,
                                            warm=warm, headers=fetched)
            for pattern, status_path in patterns.items():
                flat_out[count, pattern] = measured(server.pid, lambda: load(
                    port, status_path, cookie, args.pollers, args.seconds))
                results.append((f"status, {label}, {pattern}, flat out",
                                flat_out[count, pattern]))
                paced[count, pattern] = measured(server.pid, lambda: load(
                    port, status_path, cookie, args.pollers, args.seconds, rate))
                results.append((f"status, {label}, {pattern}, at {rate:.0f}/s",
                                paced[count, pattern]))
            if count == 1:
                results.append((f"public home page, {label}, flat out",
                                measured(server.pid, lambda: load(port, lambda: "/", "",
                                                                  args.pollers,
                                                                  min(args.seconds, 3)))))
            server.terminate()
            server.wait(30)

        print(f"{args.pollers} pollers, each on its own keep-alive connection")
        print(f"{'endpoint, load':<52}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
              f"{'CPU us':>8}")
        for name, figures in results:
            print(f"{name:<52}{figures['rps']:>8.0f}{figures['p50']:>9.2f}{figures['p99']:>9.2f}"
                  f"{figures['errors']:>8}{figures['cpu_us']:>8.0f}")
        print("CPU us: the server's CPU time per answer (all its processes), which a busy "
              "machine disturbs less than the latencies")
        bare_max = results[0][1]
        read = results[2][1]
        print(f"bare endpoint with one {engine} read / without: "
              f"{read['rps'] / bare_max['rps']:.2f} of the most it serves, "
              f"{read['cpu_us'] / bare_max['cpu_us']:.1f}x the CPU per answer (the most an "
              "answer that reads the database once can reach in this server)")
        for pattern in patterns:
            one_max = flat_out[1, pattern]
            print(f"status API (1 process, {pattern}) / bare endpoint: "
                  f"{one_max['rps'] / bare_max['rps']:.2f} of the most it serves, "
                  f"{one_max['cpu_us'] / bare_max['cpu_us']:.1f}x the CPU per answer")
        print(f"task list first page (50 of {args.tasks}): median {pages['list']['median']:.1f} "
              f"ms, p95 {pages['list']['p95']:.1f} ms")
        print(f"page tree, first 50 children: of {args.children:,}: median "
              f"{pages['big']['median']:.1f} ms; of 10: median {pages['small']['median']:.1f} ms")
        bare_paced = results[1][1]
        for (count, pattern), figures in paced.items():
            share = flat_out[count, pattern]["rps"] / bare_max["rps"]
            tail = figures["p99"] / bare_paced["p99"]
            print(f"target (issue 17), status API {count} process(es), {pattern}: flat out "
                  f"{share:.2f}x the bare endpoint (aim >= 0.6): "
                  f"{'met' if share >= 0.6 else 'MISSED'}; p99 at {rate:.0f}/s "
                  f"{tail:.2f}x the bare endpoint's (aim <= 1.2): "
                  f"{'met' if tail <= 1.2 and not figures['errors'] else 'MISSED'}")
        print(f"target, task list < 30 ms: {'met' if pages['list']['median'] < 30 else 'MISSED'}")
        return 0
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
