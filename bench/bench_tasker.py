"""Tasker against its baselines, measured in the same run (SQLite unless --db says otherwise).

    python bench/bench_tasker.py [--pages 100000] [--milestone 1000] [--db URL]

1. create_task, beside the page add it is built on (`site.pages.add` of a hidden page in its own
   transaction) and a raw sqlite3 insert + commit.
2. save_progress_at_milestone inside a running step when a milestone is due (a save and a
   commit), beside a raw sqlite3 UPDATE + commit; and the call when nothing is due. Then
   `execute_task()` of one-step tasks called from Python, beside a page add.
3. A task that adds N pages, one per record, with a milestone every 1,000 (`--milestone`;
   the step also commits every half second whatever the spacing) (allowed_to_execute
   and save_progress_at_milestone called for every record), beside the same page adds in one
   plain transaction, and beside the same adds committed every 1,000 as the milestones commit
   (what the commits alone cost), and beside the same task with its titles moved into the
   trigram index every 64 as outside a task (what `PendingList.widen` saves it: on SQLite an
   FTS5 segment per milestone). Each run gets a fresh site; the four alternate (three runs each
   by default) and the best time of each counts, as other load on the machine only adds time.
   Memory: growth of the resident size and of the Python heap (tracemalloc) over a second such
   task on one connection, after a first one filled SQLite's page cache.

Targets: create_task <= 0.25 ms median with the duplicate check on (issue 17; it runs on every
create); save_progress_at_milestone <= 0.3 ms median; execute_task of a one-step task <= 0.5
ms; the task <= 3% slower than the plain transaction; memory growth < 10 MB over a task of
1,000,000 records.
"""
from __future__ import annotations

import argparse
import gc
import os
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import header, median_us  # noqa: E402

import cms  # noqa: E402
from cms import textindex  # noqa: E402
from cms.tasker.step import current_rss  # noqa: E402

MILESTONE = 1000


class Bench(cms.Module):
    """The task methods measured."""

    info = {"title": "Bench", "version": "1.0.0", "summary": ""}
    timings: list[float] = []

    def add_pages(self, page, data, options):
        tasker, task = self.site.modules.get("Tasker"), options["task"]
        total = data["total"]
        data["max_records"] = total
        every = data.get("milestone_every", MILESTONE)
        data.setdefault("milestone", data["records_processed"] + every)
        add = self.site.pages.add
        while data["records_processed"] < total:
            if not tasker.allowed_to_execute(task, options):
                return True
            n = data["records_processed"]
            add("basic-page", page, f"p{n}", title=f"Page {n}")
            data["records_processed"] = n + 1
            if tasker.save_progress_at_milestone(task, data):
                data["milestone"] = data["records_processed"] + every
        data["task_done"] = 1
        return True

    def one_step(self, page, data, options):
        data["task_done"] = 1
        return True

    def milestones(self, page, data, options):
        """Times `count` saves at a milestone (each one saves and commits)."""
        tasker, task = self.site.modules.get("Tasker"), options["task"]
        timings = Bench.timings = []
        for n in range(data["count"]):
            data["records_processed"] = n + 1
            data["milestone"] = n + 1
            start = time.perf_counter()
            tasker.save_progress_at_milestone(task, data)
            timings.append(time.perf_counter() - start)
        data["milestone"] = 10**9
        fast = []
        for _ in range(data["count"]):
            start = time.perf_counter()
            tasker.save_progress_at_milestone(task, data)
            fast.append(time.perf_counter() - start)
        Bench.fast = fast
        data["task_done"] = 1
        return True


def new_site(url: str | None, folder: str) -> cms.Site:
    if url and not url.startswith("sqlite"):
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
        from conftest import drop_all_tables
        drop_all_tables(url)
    site = cms.boot(url or f"sqlite:///{folder}/site.db", site_dir=folder)
    site.modules.register(Bench)
    site.modules.get("Tasker")
    return site


def raw_sqlite(folder: str) -> tuple[float, float]:
    """Raw sqlite3 (WAL, synchronous=NORMAL): insert + commit, and update + commit, medians in us."""
    conn = sqlite3.connect(f"{folder}/raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = wal")
    conn.execute("PRAGMA synchronous = normal")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, data TEXT, progress INTEGER)")

    def insert():
        conn.execute("BEGIN")
        conn.execute("INSERT INTO t (data, progress) VALUES (?, ?)", ('{"records_processed":1}', 0))
        conn.execute("COMMIT")

    def update():
        conn.execute("BEGIN")
        conn.execute("UPDATE t SET data = ?, progress = ? WHERE id = 1", ('{"records_processed":2}', 5))
        conn.execute("COMMIT")
    return median_us(insert, 2000), median_us(update, 2000)


def bench_create(url: str | None, count: int) -> None:
    """create_task and its baseline, interleaved in batches so that both see the same load."""
    folder = tempfile.mkdtemp()
    site = new_site(url, folder)
    tasker = site.modules.get("Tasker")
    target = site.pages.add("basic-page", 1, "target", title="Target")
    n = iter(range(10**9))
    creates, adds = [], []
    for _ in range(10):
        creates.append(median_us(lambda: tasker.create_task(
            Bench, "add_pages", target, "Add pages", {"total": next(n)}), count // 10))
        adds.append(median_us(lambda: site.pages.add(
            "basic-page", target, title=f"Page {next(n)}", status=1025), count // 10))
    create, page_add = statistics.median(creates), statistics.median(adds)
    raw_insert, raw_update = raw_sqlite(folder) if not url or url.startswith("sqlite") else (0, 0)
    print(f"create_task:               {create / 1000:7.3f} ms median  (target <= 0.25 ms)")
    print(f"  baseline pages.add of a hidden page: {page_add / 1000:.3f} ms median "
          f"(ratio {create / page_add:.2f}x)")
    if raw_insert:
        print(f"  baseline raw sqlite3 insert+commit: {raw_insert / 1000:.3f} ms "
              f"(ratio {create / raw_insert:.1f}x)")
    bench_milestones(site, tasker, target, count, raw_update)
    bench_execute(site, tasker, target, count, page_add)
    site.close()


def bench_execute(site, tasker, target, count: int, page_add: float) -> None:
    """`execute_task()` of a one-step task called from Python (as scripts and Run now do):
    the claim, the step and its end, each committed."""
    tasks = [tasker.create_task(Bench, "one_step", target, "One step", {"n": n}).id
             for n in range(count)]
    for task_id in tasks:
        tasker.activate_task(task_id)
    timings = []
    for task_id in tasks:
        start = time.perf_counter()
        ran = tasker.execute_task(task_id, {"timeout": 0, "invoker": "bench"})
        timings.append(time.perf_counter() - start)
        assert ran
    run = statistics.median(timings) * 1e6
    print(f"execute_task, a one-step task: {run / 1000:7.3f} ms median  (target <= 0.5 ms)")
    print(f"  baseline pages.add of a hidden page: {page_add / 1000:.3f} ms (ratio {run / page_add:.2f}x)")


def bench_milestones(site, tasker, target, count: int, raw_update: float) -> None:
    task = tasker.create_task(Bench, "milestones", target, "Milestones", {"count": count})
    tasker.activate_task(task)
    tasker.execute_task(task, {"timeout": 0, "invoker": "bench"})
    save = statistics.median(Bench.timings) * 1e6
    fast = statistics.median(Bench.fast) * 1e6
    print(f"save_progress_at_milestone (saves, commits): {save / 1000:7.3f} ms median  "
          f"(target <= 0.3 ms)")
    if raw_update:
        print(f"  baseline raw sqlite3 update+commit: {raw_update / 1000:.3f} ms "
              f"(ratio {save / raw_update:.1f}x)")
    print(f"  when nothing is due:     {fast:7.3f} us median")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def plain(url: str | None, pages: int, every: int = 0) -> tuple[float, float]:
    """Wall and CPU seconds of `pages` adds in one transaction (or in one per `every` adds)."""
    folder = tempfile.mkdtemp()
    site = new_site(url, folder)
    target = site.pages.add("basic-page", 1, "target", title="Target")
    gc.collect()
    start, cpu = time.perf_counter(), cpu_seconds()
    every = every or pages
    for first in range(0, pages, every):
        with site.transaction():
            for n in range(first, min(pages, first + every)):
                site.pages.add("basic-page", target, f"p{n}", title=f"Page {n}")
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    site.close()
    return seconds, cpu


def as_task(url: str | None, pages: int, every: int = MILESTONE) -> tuple[float, float]:
    """Wall and CPU seconds of a task step that makes the same `pages` adds, with a milestone
    every `every` records."""
    folder = tempfile.mkdtemp()
    site = new_site(url, folder)
    tasker = site.modules.get("Tasker")
    target = site.pages.add("basic-page", 1, "target", title="Target")
    task = tasker.create_task(Bench, "add_pages", target, "Add pages",
                              {"total": pages, "milestone_every": every})
    tasker.activate_task(task)
    gc.collect()
    start, cpu = time.perf_counter(), cpu_seconds()
    assert tasker.execute_task(task, {"timeout": 0, "invoker": "bench"})
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    assert tasker.get_state(task) == cms.tasker.TaskState.FINISHED
    assert site.db.scalar("SELECT COUNT(*) FROM pages WHERE parent_id = ?", (target.id,)) == pages + 1
    site.close()
    return seconds, cpu


def as_task_narrow(url: str | None, pages: int, every: int = MILESTONE) -> tuple[float, float]:
    """`as_task` with the title index's pending list kept at FLUSH_EVERY through the step."""
    widened = textindex.BULK_FLUSH_EVERY
    textindex.BULK_FLUSH_EVERY = textindex.FLUSH_EVERY
    try:
        return as_task(url, pages, every)
    finally:
        textindex.BULK_FLUSH_EVERY = widened


def memory(url: str | None, pages: int) -> tuple[int, int, int]:
    """Growth over a task of `pages` adds on a connection whose page cache a first task filled.

    (resident bytes, Python heap bytes under tracemalloc, resident bytes of the first task,
    which includes SQLite filling its page cache, capped by the core at 32 MB).
    """
    folder = tempfile.mkdtemp()
    site = new_site(url, folder)
    tasker = site.modules.get("Tasker")
    grown = []
    for round_ in range(2):
        target = site.pages.add("basic-page", 1, f"target-{round_}", title="Target")
        task = tasker.create_task(Bench, "add_pages", target, "Add pages", {"total": pages})
        tasker.activate_task(task)
        gc.collect()
        if round_:
            tracemalloc.start()
        rss, heap = current_rss(), tracemalloc.get_traced_memory()[0]
        assert tasker.execute_task(task, {"timeout": 0, "invoker": "bench"})
        gc.collect()
        grown.append((current_rss() - rss, tracemalloc.get_traced_memory()[0] - heap))
    tracemalloc.stop()
    site.close()
    return grown[1][0], grown[1][1], grown[0][0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3, help="plain/task runs each (1-3)")
    parser.add_argument("--memory-pages", type=int, default=None,
                        help="records of the memory tasks (default: --pages; the aim is set at 1,000,000)")
    parser.add_argument("--milestone", type=int, default=MILESTONE,
                        help="records between the import task's milestones (default 1,000)")
    parser.add_argument("--db", default=None, help="database URL (default: a new SQLite file)")
    args = parser.parse_args()
    header("Tasker" + (f" on {args.db.split(':')[0]}" if args.db else " on SQLite"))
    bench_create(args.db, args.calls)
    plains, tasks, chunked, narrow = [], [], [], []
    orders = ("plain", "task", "chunked", "narrow", "narrow", "chunked", "task", "plain",
              "task", "plain", "narrow", "chunked")
    for order in orders[:4 * args.rounds]:
        if order == "plain":
            plains.append(plain(args.db, args.pages))
        elif order == "chunked":
            chunked.append(plain(args.db, args.pages, args.milestone))
        elif order == "narrow":
            narrow.append(as_task_narrow(args.db, args.pages, args.milestone))
        else:
            tasks.append(as_task(args.db, args.pages, args.milestone))
    memory_pages = args.memory_pages or args.pages
    rss, heap, first_rss = memory(args.db, memory_pages)
    best_plain, best_task = min(w for w, _ in plains), min(w for w, _ in tasks)
    cpu_plain, cpu_task = min(c for _, c in plains), min(c for _, c in tasks)
    best_chunked, cpu_chunked = min(w for w, _ in chunked), min(c for _, c in chunked)
    best_narrow, cpu_narrow = min(w for w, _ in narrow), min(c for _, c in narrow)
    print(f"{args.pages:,} page adds as a task (milestone every {args.milestone:,}): {best_task:6.2f} s "
          f"({args.pages / best_task:,.0f} pages/s), CPU {cpu_task:.2f} s")
    print(f"  baseline, one plain transaction:        {best_plain:6.2f} s "
          f"({args.pages / best_plain:,.0f} pages/s), CPU {cpu_plain:.2f} s")
    print(f"  task / plain: {best_task / best_plain:.3f} wall, {cpu_task / cpu_plain:.3f} CPU "
          f"(target <= 1.03; best of {len(tasks)} alternating runs each; wall: plain "
          f"{', '.join(f'{w:.2f}' for w, _ in plains)}; task {', '.join(f'{w:.2f}' for w, _ in tasks)})")
    print(f"  baseline, the same adds committed every {args.milestone:,} (as the milestones commit): "
          f"{best_chunked:6.2f} s, CPU {cpu_chunked:.2f} s; / plain: {best_chunked / best_plain:.3f} "
          f"wall, {cpu_chunked / cpu_plain:.3f} CPU; task / it: {best_task / best_chunked:.3f} wall, "
          f"{cpu_task / cpu_chunked:.3f} CPU (wall: {', '.join(f'{w:.2f}' for w, _ in chunked)})")
    print(f"  beside it, the task moving titles into the index every {textindex.FLUSH_EVERY} (not "
          f"widened): {best_narrow:6.2f} s, CPU {cpu_narrow:.2f} s; the task / it: "
          f"{best_task / best_narrow:.3f} wall, {cpu_task / cpu_narrow:.3f} CPU "
          f"(wall: {', '.join(f'{w:.2f}' for w, _ in narrow)})")
    print(f"  memory growth over a second task of {memory_pages:,} records: resident "
          f"{rss / 2**20:.1f} MB, Python heap "
          f"{heap / 2**20:.2f} MB (target < 10 MB); the first task on a fresh connection: "
          f"{first_rss / 2**20:.1f} MB resident, SQLite's page cache filling up (32 MB cap)")


if __name__ == "__main__":
    os.environ.setdefault("CMS_PASSWORD_ITERATIONS", "1000")
    main()
