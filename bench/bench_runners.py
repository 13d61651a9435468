"""Runner throughput beside Huey, measured in the same run.

    python bench/bench_runners.py [--tasks 10000] [--breakdown] [--pg URL] [--mariadb URL]
                                  [--server-tasks 2000] [--io-tasks 400] [--servers-only]
                                  [--saves-tasks N] [--saves-processes N] [--saves-only]
                                  [--step-seconds S] [--long-step-only]

1. SQLite: N one-step tasks (a method that sets task_done and returns) drained by one worker
   (`python run.py worker --processes 1 --until-idle`), beside Huey's SqliteHuey draining N
   no-op tasks with one worker loop (dequeue + execute), each at two durabilities:
   synchronous=NORMAL (the site's default: a commit survives a crash of the program) and
   synchronous=FULL (Huey's default: an fsync per commit, it survives a power cut; the site
   with `?synchronous=full` in its URL). Rates are taken while busy: the worker's own figure
   (first step to last), Huey's drain loop; process start-up is shown apart.
2. `--breakdown`: the same drain in this process with every statement timed, to show where a
   step's time goes (claim, step, finish, commits); with `--pg` also on PostgreSQL.
3. `--pg URL` and/or `--mariadb URL` (empty databases: their tables are dropped): one worker
   draining one-step tasks beside a hand-written `SELECT ... FOR UPDATE SKIP LOCKED` loop over
   a minimal jobs table (aim >= 1.0x); then tasks whose steps wait 20 ms on I/O drained by 1
   worker process and by 8 (aim >= 6x), each task run exactly once (asserted from a ledger
   the step itself appends to). `--servers-only` runs this part alone.
4. Page saves by another process while a worker drains 2N tasks on SQLite: how long a save
   waits for the write lock that the worker holds most of the time, beside the same saves
   with no worker. `--saves-tasks 60000 --saves-processes 2` (issue 13: median and max, no
   save may fail); `--saves-only` runs this part alone.
5. Page saves by another process during one step that runs `--step-seconds` (8) with no
   milestone, committing on time alone: beside the same saves with no worker and with the step
   yielding only at its half-second commits (as before e23a4e5). `--long-step-only` runs it
   alone.

Huey is needed for part 1 (`pip install huey`); without it that comparison is skipped with a
message.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import header, raw_connection  # noqa: E402

import cms  # noqa: E402

MODULE = '''
import time
import cms


class Bench(cms.Module):
    def noop(self, page, task_data, options):
        task_data["task_done"] = 1
        return True

    def wait(self, page, task_data, options):
        time.sleep(task_data.get("seconds", 0.02))
        if "ledger" in task_data:       # one line per run: a task run twice shows twice
            with open(task_data["ledger"], "a") as ledger:
                ledger.write(f"{task_data['n']}\\n")
        task_data["task_done"] = 1
        return True

    def long(self, page, task_data, options):
        # An import's tight loop with no milestone in sight: it commits on time alone.
        tasker, task = self.site.modules.get("Tasker"), options["task"]
        end = time.monotonic() + task_data["seconds"]
        while time.monotonic() < end and tasker.allowed_to_execute(task, options):
            task_data["records_processed"] += 1
            tasker.save_progress_at_milestone(task, task_data)
        task_data["task_done"] = 1
        return True
'''

# One step of a task run as a worker runs it, in a process of its own; argv: task id, and the
# heartbeat's YIELD_AFTER (0.5 = the step yields only at its half-second commits, as before
# e23a4e5).
LONG_STEP = """
import sys, time, cms
from cms.tasker import heartbeat
heartbeat.YIELD_AFTER = float(sys.argv[2])
site = cms.boot()
site.modules.get("Tasker").execute_task(int(sys.argv[1]), {"invoker": "worker"})
"""


def make_site(folder: str, url: str | None = None) -> cms.Site:
    (Path(folder) / "modules").mkdir(exist_ok=True)
    (Path(folder) / "modules" / "bench.py").write_text(MODULE)
    site = cms.boot(url, site_dir=folder)
    site.modules.get("Tasker")
    return site


def create_tasks(site: cms.Site, count: int, method: str = "noop", data: dict | None = None) -> float:
    """N active tasks on the home page (created in batches of 500 per transaction)."""
    tasker = site.modules.get("Tasker")
    start = time.perf_counter()
    for first in range(0, count, 500):
        with site.transaction():
            for i in range(first, min(count, first + 500)):
                task = tasker.create_task("Bench", method, 1, f"Task {i}", {"n": i, **(data or {})})
                tasker.activate_task(task)
    return time.perf_counter() - start


def run_worker(folder: str, url: str, processes: int = 1) -> tuple[float, float, int]:
    """(steps per second while busy, wall seconds, steps) of `worker --until-idle`."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "run.py", "--site", folder, "--db", url, "worker",
                           "--processes", str(processes), "--until-idle", "--max-steps", "0",
                           "-q"], cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"the worker failed: {done.stderr.strip()}")
    last = done.stdout.strip().splitlines()[-1]
    steps = int(re.search(r"worker: (\d+) step", last).group(1))
    rate = re.search(r"(\d+) steps/s while busy", last)
    return (float(rate.group(1)) if rate else 0.0), wall, steps


def huey_drain(count: int, synchronous: str) -> float | None:
    """Tasks per second of one Huey worker loop draining `count` no-op tasks (None: no huey)."""
    try:
        from huey import SqliteHuey
        from huey.storage import SqliteStorage
    except ImportError:
        return None

    class Storage(SqliteStorage):
        def _create_connection(self):
            conn = super()._create_connection()
            conn.execute(f"pragma synchronous={synchronous}")      # FULL is Huey's default
            return conn

    with tempfile.TemporaryDirectory() as folder:
        huey = SqliteHuey("bench", filename=str(Path(folder) / "huey.db"), storage_class=Storage)

        @huey.task()
        def noop(i):
            return None

        for i in range(count):
            noop(i)
        start = time.perf_counter()
        drained = 0
        while True:
            task = huey.dequeue()
            if task is None:
                break
            huey.execute(task)
            drained += 1
        elapsed = time.perf_counter() - start
        assert drained == count, (drained, count)
        huey.storage.close()
    return count / elapsed


def drain_sqlite(count: int, synchronous: str) -> tuple[float, float, float]:
    """(tasks/s while busy, wall seconds, seconds to create) of one worker draining `count`
    one-step tasks on a fresh SQLite site opened with `synchronous`."""
    with tempfile.TemporaryDirectory() as folder:
        site = make_site(folder)
        made = create_tasks(site, count)
        url = site.db.url + ("?synchronous=full" if synchronous == "FULL" else "")
        site.close()
        rate, wall, steps = run_worker(folder, url)
        assert steps == count, (steps, count)
    return rate, wall, made


def sqlite_vs_huey(count: int) -> None:
    print(f"\n## {count} one-step tasks, one worker, SQLite, at two durabilities")
    ours = {sync: drain_sqlite(count, sync) for sync in ("NORMAL", "FULL")}
    print(f"created in {ours['NORMAL'][2]:.1f} s ({count / ours['NORMAL'][2]:,.0f} tasks/s, "
          "in batches of 500)")
    for sync, (rate, wall, _) in ours.items():
        print(f"cms worker {sync:6} {rate:8,.0f} tasks/s while busy  ({wall:.1f} s wall with "
              f"start-up, {count / wall:,.0f}/s overall)")
    huey = {sync: huey_drain(count, sync) for sync in ("NORMAL", "FULL")}
    if huey["FULL"] is None:
        print("Huey is not installed: `pip install huey` to compare (skipped)")
        return
    for sync, rate in huey.items():
        print(f"huey {sync:6}       {rate:8,.0f} tasks/s" + ("   (SqliteHuey as shipped)"
                                                             if sync == "FULL" else ""))
    print("ratios (bar 0.5x, aim 1.0x):")
    print(f"  both synchronous=NORMAL (the site's default) {ours['NORMAL'][0] / huey['NORMAL']:.2f}x")
    print(f"  both synchronous=FULL (an fsync per commit)  {ours['FULL'][0] / huey['FULL']:.2f}x")
    print(f"  each as shipped (ours NORMAL, Huey FULL)     {ours['NORMAL'][0] / huey['FULL']:.2f}x")


def home_saver(site: cms.Site, failures: list[str]) -> Callable[[], float]:
    """A function that saves the home page with a new title and returns the seconds it took;
    a save that fails is counted in `failures`, never hidden."""
    home = site.pages.get(1)

    def timed_save() -> float:
        start = time.perf_counter()
        home.title = f"Home {time.perf_counter()}"
        try:
            site.pages.save(home)
        except Exception as exc:
            failures.append(f"{type(exc).__name__}: {exc}")
        return time.perf_counter() - start
    return timed_save


def saves_during_drain(count: int, processes: int = 1) -> None:
    """Page saves by another process (the admin, say) while a worker of `processes` drains
    `count` one-step tasks: how long each waits for SQLite's write lock, and how many fail
    (none may). Baseline: the same saves with no worker, in the same run."""
    print(f"\n## page saves from another process while a worker ({processes} process(es)) "
          f"drains {count} tasks, SQLite")
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        site = make_site(folder)
        timed_save = home_saver(site, failures)

        alone = sorted(timed_save() for _ in range(50))
        created = create_tasks(site, count)
        print(f"created {count} tasks in {created:.1f} s")
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        started = time.perf_counter()
        worker = subprocess.Popen([sys.executable, "run.py", "--site", folder, "--db", site.db.url,
                                   "worker", "--processes", str(processes), "--until-idle",
                                   "--max-steps", "0", "-q"], cwd=ROOT, env=env,
                                  stdout=subprocess.PIPE, text=True)
        time.sleep(1.0)                         # the worker's start-up
        during = []
        while worker.poll() is None:
            during.append(timed_save())
            time.sleep(0.02)
        out, _ = worker.communicate()
        drained = time.perf_counter() - started
        left = site.db.scalar("SELECT COUNT(*) FROM tasker_tasks WHERE state <> 3")
        site.close()
    during.sort()
    if not during:
        print(f"the drain ended within the worker's start-up ({drained:.1f} s): no save was timed "
              "during it; give more --saves-tasks")
        return
    for label, times in (("no worker", alone), ("during the drain", during)):
        print(f"{label:17} {len(times):4} saves: median {times[len(times) // 2] * 1e3:6.2f} ms, "
              f"p90 {times[int(len(times) * 0.9)] * 1e3:6.1f} ms, max {times[-1] * 1e3:6.1f} ms")
    print(f"ratio (during / no worker): median {during[len(during) // 2] / alone[len(alone) // 2]:.0f}x, "
          f"max {during[-1] / alone[-1]:.0f}x")
    print(f"drain: {drained:.1f} s ({out.strip().splitlines()[-1] if out.strip() else ''}); "
          f"tasks not finished: {left}")
    print(f"failed saves: {len(failures)}" + (f" (first: {failures[0]})" if failures else ""))


def saves_during_long_step(seconds: float) -> None:
    """Page saves by another process while one step of a worker runs for `seconds` with no
    milestone (it commits on time alone and holds SQLite's write lock in between): how long
    each save waits. Beside, in the same run: the same saves with no worker, and with the step
    yielding only at its half-second commits (the heartbeat as it was before e23a4e5)."""
    print(f"\n## page saves from another process during one {seconds:.0f} s step that commits "
          "on time alone, SQLite")
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        site = make_site(folder)
        timed_save = home_saver(site, failures)
        tasker = site.modules.get("Tasker")

        def during_step(yield_after: float) -> list[float]:
            task = tasker.create_task("Bench", "long", 1, f"Long {yield_after}",
                                      {"seconds": seconds})
            tasker.activate_task(task)
            env = dict(os.environ, PYTHONPATH=str(ROOT), CMS_SITE_DIR=folder,
                       CMS_DATABASE_URL=site.db.url)
            step = subprocess.Popen([sys.executable, "-c", LONG_STEP, str(task.id),
                                     str(yield_after)], cwd=ROOT, env=env)
            while not site.db.scalar("SELECT running FROM tasker_tasks WHERE pages_id = ?",
                                     (task.id,)):
                time.sleep(0.01)
            time.sleep(0.2)                      # past the step's start
            times = []
            while step.poll() is None:
                times.append(timed_save())
                time.sleep(0.02)
            if step.returncode != 0:
                raise SystemExit(f"the step's process failed ({step.returncode})")
            return sorted(times[:-1] or times)   # the last save may come after the step

        alone = sorted(timed_save() for _ in range(50))
        now = during_step(0.05)
        before = during_step(0.5)
        site.close()
    for label, times in (("no worker", alone), ("during the step", now),
                         ("as before e23a4e5", before)):
        print(f"{label:18} {len(times):4} saves: median {times[len(times) // 2] * 1e3:7.2f} ms, "
              f"p90 {times[int(len(times) * 0.9)] * 1e3:6.1f} ms, max {times[-1] * 1e3:6.1f} ms")
    print(f"ratio (during / as before): median {now[len(now) // 2] / before[len(before) // 2]:.2f}x, "
          f"max {now[-1] / before[-1]:.2f}x")
    print(f"failed saves: {len(failures)}" + (f" (first: {failures[0]})" if failures else ""))


class StatementTimes:
    """Time every statement and commit at the driver, whichever code path issues it."""

    def __init__(self) -> None:
        self.stats: dict[str, list] = collections.defaultdict(lambda: [0, 0.0])

    def add(self, key: str, seconds: float) -> None:
        entry = self.stats[" ".join(key.split())[:110]]
        entry[0] += 1
        entry[1] += seconds

    def sqlite_factory(self) -> type:
        import sqlite3
        times = self

        class Cursor(sqlite3.Cursor):
            def execute(self, sql, params=()):
                start = time.perf_counter()
                try:
                    return super().execute(sql, params)
                finally:
                    times.add(sql, time.perf_counter() - start)

        class Connection(sqlite3.Connection):
            def cursor(self, factory=Cursor):
                return super().cursor(factory)

            def execute(self, sql, params=()):
                return self.cursor().execute(sql, params)

            def commit(self):
                start = time.perf_counter()
                try:
                    return super().commit()
                finally:
                    times.add("<COMMIT>", time.perf_counter() - start)

        return Connection

    def psycopg_factory(self) -> type:
        import psycopg2.extensions
        times = self

        class Cursor(psycopg2.extensions.cursor):
            def execute(self, sql, params=None):
                start = time.perf_counter()
                try:
                    return super().execute(sql, params)
                finally:
                    times.add(sql, time.perf_counter() - start)

        class Connection(psycopg2.extensions.connection):
            def cursor(self, *args, **kwargs):
                kwargs.setdefault("cursor_factory", Cursor)
                return super().cursor(*args, **kwargs)

            def commit(self):
                start = time.perf_counter()
                try:
                    return super().commit()
                finally:
                    times.add("<COMMIT>", time.perf_counter() - start)

        return Connection


def breakdown(count: int, url: str | None = None) -> None:
    """Time every statement of an in-process drain: where a step's time goes."""
    from cms.tasker.runners.executor import Executor, RunnerConfig

    engine = "PostgreSQL" if url else "SQLite"
    print(f"\n## where a step's time goes: {count} steps in this process, {engine}")
    with tempfile.TemporaryDirectory() as folder:
        if url:
            sys.path.insert(0, str(ROOT / "tests"))
            from conftest import drop_all_tables
            drop_all_tables(url)
        site = make_site(folder, url)
        create_tasks(site, count)
        tasker = site.modules.get("Tasker")
        times = StatementTimes()
        site.db.close()
        if url:
            site.db.pw.connect_params["connection_factory"] = times.psycopg_factory()
        else:
            site.db.pw.connect_params["factory"] = times.sqlite_factory()
        executor = Executor(RunnerConfig(url=site.db.url, site_dir=folder, invoker="worker",
                                         until_idle=True, quiet=True))
        executor.tasker = tasker
        tasker.storage.tune_runner()       # as Executor.boot does in a worker
        start = time.perf_counter()
        executor.run()
        elapsed = time.perf_counter() - start
        steps = executor.steps
        print(f"{steps} steps in {elapsed:.2f} s: {elapsed / steps * 1e6:.0f} us per step "
              f"({steps / elapsed:,.0f}/s with timing on)")
        print(f"{'us/step':>8} {'calls':>6}  statement")
        total = 0.0
        for key, (calls, seconds) in sorted(times.stats.items(), key=lambda kv: -kv[1][1]):
            total += seconds
            if seconds / steps >= 0.2e-6:
                print(f"{seconds / steps * 1e6:8.1f} {calls / steps:6.2f}  {key}")
        print(f"{total / steps * 1e6:8.1f}         in the database driver (statements and "
              f"commits); the other {(elapsed - total) / steps * 1e6:.0f} us are Python")
        site.close()
        if url:
            drop_all_tables(url)


def skip_locked_drain(url: str, count: int) -> float:
    """Jobs per second of a hand-written queue loop: a minimal jobs table, and per job one
    transaction that takes the oldest pending row with `SELECT ... FOR UPDATE SKIP LOCKED`,
    runs the job (its JSON arguments decoded, a no-op called, its result encoded) and marks
    the row done. The loop a team writes instead of using a task library."""
    conn = raw_connection(url)
    cur = conn.cursor()
    key = "SERIAL PRIMARY KEY" if url.startswith("postgres") else "INT AUTO_INCREMENT PRIMARY KEY"
    cur.execute("DROP TABLE IF EXISTS bench_jobs")
    cur.execute(f"CREATE TABLE bench_jobs (id {key}, state INT NOT NULL DEFAULT 0, "
                "args TEXT NOT NULL, result TEXT)")
    cur.execute("CREATE INDEX bench_jobs_state ON bench_jobs (state, id)")
    cur.executemany("INSERT INTO bench_jobs (args) VALUES (%s)",
                    [(json.dumps({"n": i}),) for i in range(count)])
    conn.commit()

    def noop(args: dict) -> dict:
        args["task_done"] = 1
        return args

    start = time.perf_counter()
    drained = 0
    while True:
        cur.execute("SELECT id, args FROM bench_jobs WHERE state = 0 ORDER BY id LIMIT 1 "
                    "FOR UPDATE SKIP LOCKED")
        row = cur.fetchone()
        if row is None:
            conn.commit()
            break
        result = noop(json.loads(row[1]))
        cur.execute("UPDATE bench_jobs SET state = 2, result = %s WHERE id = %s",
                    (json.dumps(result), row[0]))
        conn.commit()
        drained += 1
    elapsed = time.perf_counter() - start
    cur.execute("SELECT COUNT(*) FROM bench_jobs WHERE state = 2")
    assert drained == count == cur.fetchone()[0], (drained, count)
    cur.execute("DROP TABLE bench_jobs")
    conn.commit()
    conn.close()
    return count / elapsed


def server_drain(url: str, count: int, io_tasks: int) -> None:
    """On a server engine: one worker against the hand-written SKIP LOCKED loop (one-step
    no-op tasks), then 8 workers against 1 on steps that wait 20 ms on I/O."""
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import drop_all_tables
    engine = "PostgreSQL" if url.startswith("postgres") else "MariaDB"
    print(f"\n## {engine}: {count} one-step tasks, one worker, beside a SKIP LOCKED loop")
    with tempfile.TemporaryDirectory() as folder:
        drop_all_tables(url)
        site = make_site(folder, url)
        create_tasks(site, count)
        ours, wall, steps = run_worker(folder, url)
        assert steps == count, (steps, count)
        baseline = skip_locked_drain(url, count)
        print(f"cms worker            {ours:8,.0f} tasks/s while busy ({wall:.1f} s wall)")
        print(f"SKIP LOCKED loop      {baseline:8,.0f} jobs/s (one transaction per job)")
        print(f"ratio {ours / baseline:.2f}x (aim >= 1.0x)")
        print(f"\n## {engine}: {io_tasks} tasks whose steps wait 20 ms on I/O, 1 worker vs 8")
        rates = {}
        for processes in (1, 8):
            ledger = Path(folder) / f"ledger-{processes}"
            ledger.touch()
            create_tasks(site, io_tasks, "wait", {"seconds": 0.02, "ledger": str(ledger)})
            rate, wall, steps = run_worker(folder, url, processes)
            ran = sorted(int(line) for line in ledger.read_text().split())
            assert steps == io_tasks and ran == list(range(io_tasks)), (steps, len(ran))
            rates[processes] = rate
            print(f"{processes} worker process(es)  {rate:6,.0f} tasks/s while busy "
                  f"({wall:.1f} s wall), each task exactly once")
        site.close()
        drop_all_tables(url)
    print(f"speed-up       {rates[8] / rates[1]:6.2f}x (aim >= 6x; one step alone is >= 20 ms)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--breakdown", action="store_true", help="time every statement of a step")
    parser.add_argument("--breakdown-tasks", type=int, default=2000)
    parser.add_argument("--pg", metavar="URL", help="a PostgreSQL database to drain on (its "
                                                    "tables are dropped)")
    parser.add_argument("--mariadb", metavar="URL", help="a MariaDB database to drain on (its "
                                                         "tables are dropped)")
    parser.add_argument("--server-tasks", type=int, default=2000,
                        help="one-step tasks drained on each server engine (default 2,000)")
    parser.add_argument("--io-tasks", type=int, default=400,
                        help="20 ms I/O tasks drained by 1 and by 8 workers (default 400)")
    parser.add_argument("--servers-only", action="store_true",
                        help="run only the server-engine part (3)")
    parser.add_argument("--saves-tasks", type=int, help="tasks drained in part 4 (default 2N)")
    parser.add_argument("--saves-processes", type=int, default=1, help="worker processes in part 4")
    parser.add_argument("--saves-only", action="store_true", help="run part 4 alone")
    parser.add_argument("--step-seconds", type=float, default=8.0,
                        help="how long part 5's one step runs (default 8)")
    parser.add_argument("--long-step-only", action="store_true", help="run part 5 alone")
    args = parser.parse_args()
    header("bench_runners: draining tasks with the runners, beside Huey")
    if args.long_step_only:
        saves_during_long_step(args.step_seconds)
        return
    if args.saves_only:
        saves_during_drain(args.saves_tasks or 2 * args.tasks, args.saves_processes)
        return
    servers = [url for url in (args.pg, args.mariadb) if url]
    if args.servers_only:
        for url in servers:
            server_drain(url, args.server_tasks, args.io_tasks)
        return
    sqlite_vs_huey(args.tasks)
    saves_during_drain(args.saves_tasks or 2 * args.tasks, args.saves_processes)
    saves_during_long_step(args.step_seconds)
    if args.breakdown:
        breakdown(args.breakdown_tasks)
    if args.pg and args.breakdown:
        breakdown(min(args.breakdown_tasks, 500), args.pg)
    for url in servers:
        server_drain(url, args.server_tasks, args.io_tasks)


if __name__ == "__main__":
    main()
