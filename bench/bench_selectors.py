"""Selector engine against hand-written SQL on a large SQLite site, measured in the same run.

    python bench/bench_selectors.py                 # 1,000,000 pages (builds in one to two minutes)
    python bench/bench_selectors.py --pages 100000  # a quicker run

The site is built as a user builds one, through `site.pages.add` in transactions of up to
100,000 adds (an import), and nothing else: no ANALYZE, no index of the bench's own. One parent
gets a tenth of the pages as children (100,000 of 1,000,000, all in one transaction), two
templates among them; a six-level tree holds the rest. The figures are then taken on a fresh
boot (as a process started after the import sees the site) and on a connection opened before
the import began and kept open (as a running web server sees it).

Each query is timed as the engine runs it (parse cache, plan, compiled-SQL cache, execute,
fetch) and as hand-written SQL run straight on the driver's connection; the figures are
medians of many runs after a warm-up. Then `pages.find` of the first query, its 20 pages
loaded, beside the same find with its total read (one COUNT of the 100,000 children, which
every find paid before the total was counted on first read); then the first query once more
with the planner's statistics removed, as the site had them before they were kept current.

    python bench/bench_selectors.py --young postgresql://...   # a server engine's young parent

`--young URL` (its tables are dropped) measures the first query on PostgreSQL or MariaDB right
after a parent got `--young-children` children through `site.pages.add` in one transaction,
before the server's statistics know of them (PostgreSQL's autovacuum analyzes a table within
a minute or so), against the same query once the table is analyzed, in the same run.
"""
from __future__ import annotations

import argparse
import contextlib
import random
import sqlite3
import statistics
import string
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cms  # noqa: E402
from cms.selectors.compiler import word_pattern  # noqa: E402
from cms.selectors.plan import Phrase  # noqa: E402

# ^=ab: after any leading whitespace and tags, in either case, accents as written (on `data`)
START_AB = Phrase("ab", "start", accents="ab").accent_pattern()

FANOUT_LEVELS = 6
HIDDEN_EVERY = 20      # one page in 20 is hidden, so the status filter has work to do
IMPORT_BATCH = 100_000
FIRST = "parent={big}, template=post, sort=-created, limit=20"


class Import:
    """Adds pages through `site.pages.add` in transactions of `IMPORT_BATCH` adds."""

    def __init__(self, site: cms.Site, seed: int):
        self.site = site
        self.rng = random.Random(seed)
        self.added = 0
        self.open = contextlib.ExitStack()
        self.in_batch = 0

    def add(self, parent: int, name: str, template: str) -> tuple[int, str]:
        if not self.in_batch:
            self.open.enter_context(self.site.transaction())
        self.added += 1
        self.in_batch += 1
        title = "".join(self.rng.choice(string.ascii_lowercase) for _ in range(self.rng.randint(4, 10)))
        status = cms.Page.STATUS_ON | (cms.Page.STATUS_HIDDEN if self.added % HIDDEN_EVERY == 0 else 0)
        page = self.site.pages.add(template, parent, name, title=title, status=status)
        if self.in_batch == IMPORT_BATCH:
            self.commit()
        return page.id, page.path

    def commit(self) -> None:
        self.open.close()
        self.in_batch = 0


def build(site: cms.Site, pages: int, seed: int) -> dict[str, Any]:
    """Fill the site through the page API; return the ids and paths the queries use."""
    site.templates.add("item", fields=["title"])
    site.templates.add("post", fields=["title"])
    adds = Import(site, seed)
    big_id, _ = adds.add(1, "big", "item")
    children = max(pages // 10, 1)
    for n in range(children):
        adds.add(big_id, f"c{n}", "item" if n % 2 else "post")
    adds.commit()              # the big parent's children: one import of their own
    tree_id, tree_path = adds.add(1, "tree", "item")
    # Levels 1-5 branch `fanout` ways and hold at most half the tree; level 6 takes the rest.
    remaining = max(pages - children - 2, FANOUT_LEVELS)
    fanout = 2
    while sum((fanout + 1) ** k for k in range(1, FANOUT_LEVELS)) * 2 <= remaining:
        fanout += 1
    level = [(tree_id, tree_path)]
    made = 0
    for depth in range(1, FANOUT_LEVELS + 1):
        following = []
        left = remaining - made
        for index, (parent_id, _) in enumerate(level):
            count = fanout if depth < FANOUT_LEVELS else \
                left // len(level) + (1 if index < left % len(level) else 0)
            for n in range(count):
                following.append(adds.add(parent_id, f"n{n}", "post" if n % 2 else "item"))
                made += 1
        level = following
    adds.commit()
    db = site.db
    # a node three levels down: its subtree is the has_parent query's answer
    sub_path = f"{tree_path}n1/n1/n1/"
    return {"big": big_id, "post": site.templates["post"].id, "sub_path": sub_path,
            "word": db.scalar("SELECT fold FROM field_title WHERE pages_id = ?", (big_id + 1000,)),
            "sub_id": db.scalar("SELECT pages_id FROM pages_paths WHERE path = ?", (sub_path,)),
            "total": db.scalar("SELECT COUNT(*) FROM pages")}


def medians_us(first: Callable[[], Any], second: Callable[[], Any], runs: int) -> tuple[float, float]:
    """Median times of two callables, run alternately so a busy machine slows both alike."""
    for _ in range(max(runs // 10, 3)):
        first(), second()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for fn, into in ((first, times[0]), (second, times[1])):
            began = time.perf_counter()
            fn()
            into.append(time.perf_counter() - began)
    return statistics.median(times[0]) * 1e6, statistics.median(times[1]) * 1e6


def first_query_plan(site: cms.Site, selector: str) -> str:
    """How SQLite runs the first query on this site's connection (after a statement, so a
    connection that must reload its statistics has done so)."""
    engine = site.selectors
    engine.select(selector)
    sql, params = engine.compiler.select(engine.plan(selector), 20, 0)
    rows = site.db.all("EXPLAIN QUERY PLAN " + sql, params)
    return "; ".join(row[-1] for row in rows)


def access_filtered(site: cms.Site, first: str, big: int, post: int, runs: int) -> None:
    """The first query as a guest sees it, beside the same query unfiltered: members-only
    `club` pages (a twentieth as many as the big parent's children) join them, so the guest's
    find checks `pages_access` for the candidate rows (cms.access)."""
    site.users.add_role("member", ["page-view"])
    site.templates.add("club", fields=["title"])
    began = time.perf_counter()
    site.templates["club"].set_access(view=["member"])
    rebuilt = time.perf_counter() - began
    clubs = max(site.pages.count(f"parent={big}, include=all") // 20, 1)
    with site.transaction():
        for n in range(clubs):
            site.pages.add("club", big, f"club{n}", title=f"Club {n}")
    print(f"{clubs:,} members-only pages added under the big parent (pages_access rebuilt in "
          f"{rebuilt:.1f} s when the template began to define access)")
    denied = site.users.access.view_filter(site.users.grants(0)).templates   # what a guest may not view
    raw = site.db.pw.connection()
    marks = ", ".join("?" * len(denied))
    filtered_sql = ("SELECT id FROM pages p WHERE parent_id = ? AND templates_id = ? AND status < 1024 "
                    "AND NOT EXISTS (SELECT 1 FROM pages_access pa WHERE pa.pages_id = p.id "
                    f"AND pa.templates_id IN ({marks})) ORDER BY created DESC, id DESC LIMIT 20")
    site.users.login_as(None)                     # the guest, as a visitor's request
    guest_ids = site.selectors.select(first).ids
    if guest_ids != [r[0] for r in raw.execute(filtered_sql, (big, post, *denied))]:
        raise SystemExit("the access-filtered find and its hand-written SQL disagree")
    unfiltered = first + ", check_access=0"
    if site.selectors.select(unfiltered).ids != guest_ids:
        raise SystemExit("post pages are public: filtered and unfiltered should agree")
    if site.pages.count(f"parent={big}, template=club") or not site.pages.count(
            f"parent={big}, template=club, check_access=0"):
        raise SystemExit("the guest should see no club page, and there should be some")
    guest, raw_us = medians_us(lambda: site.selectors.select(first),
                               lambda: raw.execute(filtered_sql, (big, post, *denied)).fetchall(), runs)
    open_us, _ = medians_us(lambda: site.selectors.select(unfiltered), lambda: None, runs)
    print(f"first query as a guest (view access checked): {guest:.0f} µs; unfiltered "
          f"(check_access=0): {open_us:.0f} µs, ratio {guest / open_us:.2f}; hand-written filtered SQL "
          f"{raw_us:.0f} µs, ratio {guest / raw_us:.2f}")


def young_parent(url: str, children: int, runs: int) -> None:
    """The first query on a server engine at once after an import, and after ANALYZE."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from conftest import drop_all_tables
    drop_all_tables(url)
    with tempfile.TemporaryDirectory() as folder:
        site = cms.boot(url, site_dir=folder)
        site.templates.add("post", fields=["title"])
        began = time.perf_counter()
        with site.transaction():
            big = site.pages.add("basic-page", 1, "big", title="Big")
            for i in range(children):
                site.pages.add("post" if i % 4 else "basic-page", big, f"p{i}", title=f"Post {i}")
        print(f"{site.db.engine}: {children:,} children added through site.pages.add in one "
              f"transaction in {time.perf_counter() - began:.1f} s")
        first = FIRST.format(big=big.id)
        engine = site.selectors
        sql, params = engine.compiler.select(engine.plan(first), 20, 0)

        def plan() -> str:
            rows = site.db.all("EXPLAIN " + sql, params)
            if site.db.engine == "postgresql":
                return " | ".join(row[0].strip() for row in rows[:3])
            # MariaDB: each table's access type, its index and the Extra column
            return " | ".join(f"{row[2]}: {row[3]} on {row[5]}, {row[9]}" for row in rows)

        young_plan = plan()
        young, young_find = medians_us(lambda: engine.select(first).ids,
                                       lambda: len(site.pages.find(first)), runs)
        site.db.execute("ANALYZE pages" if site.db.engine == "postgresql" else "ANALYZE TABLE pages")
        analyzed, analyzed_find = medians_us(lambda: engine.select(first).ids,
                                             lambda: len(site.pages.find(first)), runs)
        print(f"plan before the server analyzed the table: {young_plan}")
        print(f"plan after ANALYZE: {plan()}")
        print(f"first query, engine: {young:.0f} µs at once, {analyzed:.0f} µs analyzed; "
              f"ratio {young / analyzed:.2f} (aim: no worse for being young)")
        print(f"pages.find of it, 20 pages loaded: {young_find:.0f} µs at once, {analyzed_find:.0f} µs "
              f"analyzed (aim: <= 1,000 µs)")
        site.close()
    drop_all_tables(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=1_000_000, help="pages to create (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=300, help="timed runs per query")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--young", metavar="URL", help="a PostgreSQL or MariaDB database: the "
                        "first query on a young parent there, and nothing else (its tables are dropped)")
    parser.add_argument("--young-children", type=int, default=10_000)
    args = parser.parse_args()
    if args.young:
        young_parent(args.young, args.young_children, max(args.runs // 3, 10))
        return
    with tempfile.TemporaryDirectory() as folder:
        builder = cms.boot(site_dir=folder)
        running = cms.boot(site_dir=folder)        # a server's connection, open all along
        running.pages.get(1)
        began = time.perf_counter()
        info = build(builder, args.pages, args.seed)
        builder.close()
        print(f"built {info['total']:,} pages through site.pages.add in "
              f"{time.perf_counter() - began:.1f} s (SQLite {sqlite3.sqlite_version})")
        site = cms.boot(site_dir=folder)
        engine = site.selectors
        raw = site.db.pw.connection()
        big, post, sub_path = info["big"], info["post"], info["sub_path"]
        low, high = sub_path, sub_path[:-1] + "0"
        word = info["word"]
        first = FIRST.format(big=big)
        first_sql = ("SELECT id FROM pages WHERE parent_id = ? AND templates_id = ? AND status < 1024 "
                     "ORDER BY created DESC, id DESC LIMIT 20")
        for label, on in (("a fresh boot", site), ("the connection open since before the import", running)):
            print(f"plan of the first query on {label}: {first_query_plan(on, first)}")
        running_raw = running.db.pw.connection()
        cases = [
            ("find parent=X, template=T, sort=-created, limit=20",
             lambda: engine.select(first).ids,
             lambda: [r[0] for r in raw.execute(first_sql, (big, post))]),
            ("  same, on the connection open since before the import",
             lambda: running.selectors.select(first).ids,
             lambda: [r[0] for r in running_raw.execute(first_sql, (big, post))]),
            ("count parent=X",
             lambda: engine.count(f"parent={big}"),
             lambda: raw.execute("SELECT COUNT(*) FROM pages WHERE parent_id = ? AND status < 1024",
                                 (big,)).fetchone()[0]),
            ("find title%^=ab (a literal prefix: an index range)",
             lambda: engine.select("title%^=ab").ids,
             lambda: [r[0] for r in raw.execute(
                 "SELECT p.id FROM pages p JOIN field_title t ON t.pages_id = p.id "
                 "WHERE t.fold >= ? AND t.fold < ? AND p.status < 1024 ORDER BY p.id", ("AB", "AC"))]),
            ("find title%^=ab, limit=20",
             lambda: engine.select("title%^=ab, limit=20").ids,
             lambda: [r[0] for r in raw.execute(
                 "SELECT p.id FROM pages p JOIN field_title t ON t.pages_id = p.id "
                 "WHERE t.fold >= ? AND t.fold < ? AND p.status < 1024 ORDER BY p.id LIMIT 20",
                 ("AB", "AC"))]),
            ("find title^=ab (ProcessWire's: ranges, then a regex)",
             lambda: engine.select("title^=ab").ids,
             lambda: [r[0] for r in raw.execute(
                 "SELECT p.id FROM pages p JOIN field_title t ON t.pages_id = p.id "
                 "WHERE ((t.fold >= ? AND t.fold < ?) OR (t.fold >= ? AND t.fold < ?) OR "
                 "(t.fold >= ? AND t.fold < ?)) AND t.data REGEXP ? AND p.status < 1024 ORDER BY p.id",
                 ("AB", "AC", "", "!", "<", "=", START_AB))]),
            ("find title^=ab, limit=20",
             lambda: engine.select("title^=ab, limit=20").ids,
             lambda: [r[0] for r in raw.execute(
                 "SELECT p.id FROM pages p JOIN field_title t ON t.pages_id = p.id "
                 "WHERE ((t.fold >= ? AND t.fold < ?) OR (t.fold >= ? AND t.fold < ?) OR "
                 "(t.fold >= ? AND t.fold < ?)) AND t.data REGEXP ? AND p.status < 1024 "
                 "ORDER BY p.id LIMIT 20",
                 ("AB", "AC", "", "!", "<", "=", START_AB))]),
            (f"find title~={word} (a scan: LIKE, then a regex)",
             lambda: engine.select(f"title~={word}").ids,
             lambda: [r[0] for r in raw.execute(
                 "SELECT p.id FROM pages p JOIN field_title t ON t.pages_id = p.id "
                 "WHERE t.fold LIKE ? AND t.fold REGEXP ? AND p.status < 1024 ORDER BY p.id",
                 (f"%{word}%", word_pattern(word)))]),
            (f"find has_parent={sub_path} (six-level tree)",
             lambda: engine.select(f"has_parent={sub_path}").ids,
             lambda: [r[0] for r in raw.execute(
                 "SELECT p.id FROM pages p JOIN pages_paths pp ON pp.pages_id = p.id "
                 "WHERE pp.path > ? AND pp.path < ? AND p.status < 1024 ORDER BY p.id", (low, high))]),
            (f"find has_parent=<id of {sub_path}>",
             lambda: engine.select(f"has_parent={info['sub_id']}").ids,
             lambda: [r[0] for r in raw.execute(
                 "SELECT p.id FROM pages p JOIN pages_paths pp ON pp.pages_id = p.id "
                 "WHERE pp.path > ? AND pp.path < ? AND p.status < 1024 ORDER BY p.id", (low, high))]),
        ]
        print(f"{'query':<58} {'rows':>6} {'engine µs':>10} {'raw µs':>9} {'ratio':>6}")
        for label, ours, theirs in cases:
            got, expected = ours(), theirs()
            if got != expected:
                raise SystemExit(f"{label}: the engine and the hand-written SQL disagree")
            # ~= scans every title (no index serves LIKE '%word%'): fewer runs keep it short
            runs = max(args.runs // 30, 5) if "~=" in label else args.runs
            engine_us, raw_us = medians_us(ours, theirs, runs)
            rows = len(got) if isinstance(got, list) else 1
            print(f"{label:<58} {rows:>6} {engine_us:>10.0f} {raw_us:>9.0f} {engine_us / raw_us:>6.2f}")

        def find_with_total() -> int:
            return site.pages.find(first).total

        find, counted = medians_us(lambda: site.pages.find(first), find_with_total, args.runs // 10)
        print(f"pages.find of the first query, 20 pages loaded: {find:.0f} µs; with its total read "
              f"(as every find paid before): {counted:.0f} µs; ratio {find / counted:.3f} "
              f"(aim: find <= 1,000 µs)")
        kept, _ = medians_us(lambda: engine.select(first), lambda: None, args.runs)
        raw.execute("DELETE FROM sqlite_stat1")
        raw.execute("ANALYZE sqlite_master")        # this connection forgets them now
        print(f"without the planner's statistics (as before they were kept): "
              f"{first_query_plan(site, first)}")
        bare, _ = medians_us(lambda: engine.select(first), lambda: None, max(args.runs // 10, 5))
        print(f"first query, engine: {kept:.0f} µs with statistics, {bare:.0f} µs without; "
              f"ratio {kept / bare:.4f}")
        site.db.execute("ANALYZE")
        access_filtered(site, first, big, post, args.runs)
        site.close()
        running.close()


if __name__ == "__main__":
    main()
