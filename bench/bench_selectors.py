"""Selector engine against hand-written SQL on a large SQLite site, measured in the same run.

    python bench/bench_selectors.py                 # 1,000,000 pages (builds in about a minute)
    python bench/bench_selectors.py --pages 100000  # a quicker run

The site is booted through the product (same schema and indexes), then filled with raw bulk
inserts: one parent with a tenth of the pages as children (100,000 of 1,000,000), two templates
among them, and a six-level tree holding the rest. Each query is timed as the engine runs it
(parse cache, plan, compiled-SQL cache, execute, fetch) and as hand-written SQL run straight on
the driver's connection; the figures are medians of many runs after a warm-up.
"""
from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import string
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cms  # noqa: E402
from cms.selectors.compiler import word_pattern  # noqa: E402
from cms.selectors.plan import Phrase  # noqa: E402

START_AB = Phrase("ab", "start").pattern()   # ^=ab: after any leading whitespace and tags

FANOUT_LEVELS = 6
HIDDEN_EVERY = 20      # one page in 20 is hidden, so the status filter has work to do


def build(site: cms.Site, pages: int, seed: int) -> dict[str, Any]:
    """Fill the site; return the ids and paths the queries use."""
    rng = random.Random(seed)
    db = site.db
    site.templates.add("item", fields=["title"])
    site.templates.add("post", fields=["title"])
    item, post = site.templates["item"].id, site.templates["post"].id
    conn = db.pw.connection()
    conn.execute("PRAGMA synchronous = OFF")
    next_id = db.scalar("SELECT MAX(id) FROM pages") + 1
    start = datetime(2025, 1, 1)
    rows: list[tuple] = []
    paths: list[tuple] = []
    titles: list[tuple] = []

    def add(parent_id: int, parent_path: str, name: str, template: int, sort: int) -> tuple[int, str]:
        nonlocal next_id
        page_id = next_id
        next_id += 1
        created = (start + timedelta(seconds=rng.randrange(365 * 86400))).isoformat(" ")
        status = 1 | 1024 if page_id % HIDDEN_EVERY == 0 else 1
        rows.append((page_id, parent_id, template, name, status, sort, created, created))
        path = f"{parent_path}{name}/"
        paths.append((page_id, path))
        title = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 10)))
        titles.append((page_id, title, title))
        return page_id, path

    def flush() -> None:
        with db.transaction():
            conn.executemany("INSERT INTO pages (id, parent_id, templates_id, name, status, sort, "
                             "created, modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            conn.executemany("INSERT INTO pages_paths (pages_id, path) VALUES (?, ?)", paths)
            conn.executemany("INSERT INTO field_title (pages_id, data, fold) VALUES (?, ?, ?)", titles)
        rows.clear(), paths.clear(), titles.clear()

    big_id, big_path = add(1, "/", "big", item, 100)
    children = max(pages // 10, 1)
    for n in range(children):
        add(big_id, big_path, f"c{n}", item if n % 2 else post, n)
        if len(rows) >= 50_000:
            flush()
    tree_id, tree_path = add(1, "/", "tree", item, 101)
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
        for index, (parent_id, parent_path) in enumerate(level):
            count = fanout if depth < FANOUT_LEVELS else \
                left // len(level) + (1 if index < left % len(level) else 0)
            for n in range(count):
                following.append(add(parent_id, parent_path, f"n{n}", post if n % 2 else item, n))
                made += 1
                if len(rows) >= 50_000:
                    flush()
        level = following
    flush()
    conn.execute("ANALYZE")
    # a node three levels down: its subtree is the has_parent query's answer
    sub_path = f"{tree_path}n1/n1/n1/"
    return {"big": big_id, "post": post, "sub_path": sub_path,
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=1_000_000, help="pages to create (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=300, help="timed runs per query")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--index", action="append", default=[], metavar="COLUMNS",
                        help='add an index on pages first, e.g. --index "parent_id, templates_id, '
                             'status", to see what it buys (repeatable)')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        site = cms.boot(site_dir=folder)
        began = time.perf_counter()
        for columns in args.index:
            site.db.create_index("pages", columns)
        info = build(site, args.pages, args.seed)
        print(f"built {info['total']:,} pages in {time.perf_counter() - began:.1f} s "
              f"(SQLite {sqlite3.sqlite_version}; extra indexes: {args.index or 'none'})")
        engine = site.selectors
        raw = site.db.pw.connection()
        big, post, sub_path = info["big"], info["post"], info["sub_path"]
        low, high = sub_path, sub_path[:-1] + "0"
        word = info["word"]
        cases = [
            ("find parent=X, template=T, sort=-created, limit=20",
             lambda: engine.select(f"parent={big}, template=post, sort=-created, limit=20").ids,
             lambda: [r[0] for r in raw.execute(
                 "SELECT id FROM pages WHERE parent_id = ? AND templates_id = ? AND status < 1024 "
                 "ORDER BY created DESC LIMIT 20", (big, post))]),
            ("count parent=X",
             lambda: engine.count(f"parent={big}"),
             lambda: raw.execute("SELECT COUNT(*) FROM pages WHERE parent_id = ? AND status < 1024",
                                 (big,)).fetchone()[0]),
            ("find title%^=ab (a literal prefix: an index range)",
             lambda: engine.select("title%^=ab").ids,
             lambda: [r[0] for r in raw.execute(
                 "SELECT p.id FROM pages p JOIN field_title t ON t.pages_id = p.id "
                 "WHERE t.fold >= ? AND t.fold < ? AND p.status < 1024 ORDER BY p.id", ("ab", "ac"))]),
            ("find title%^=ab, limit=20",
             lambda: engine.select("title%^=ab, limit=20").ids,
             lambda: [r[0] for r in raw.execute(
                 "SELECT p.id FROM pages p JOIN field_title t ON t.pages_id = p.id "
                 "WHERE t.fold >= ? AND t.fold < ? AND p.status < 1024 ORDER BY p.id LIMIT 20",
                 ("ab", "ac"))]),
            ("find title^=ab (ProcessWire's: ranges, then a regex)",
             lambda: engine.select("title^=ab").ids,
             lambda: [r[0] for r in raw.execute(
                 "SELECT p.id FROM pages p JOIN field_title t ON t.pages_id = p.id "
                 "WHERE ((t.fold >= ? AND t.fold < ?) OR (t.fold >= ? AND t.fold < ?) OR "
                 "(t.fold >= ? AND t.fold < ?)) AND t.fold REGEXP ? AND p.status < 1024 ORDER BY p.id",
                 ("ab", "ac", "", "!", "<", "=", START_AB))]),
            ("find title^=ab, limit=20",
             lambda: engine.select("title^=ab, limit=20").ids,
             lambda: [r[0] for r in raw.execute(
                 "SELECT p.id FROM pages p JOIN field_title t ON t.pages_id = p.id "
                 "WHERE ((t.fold >= ? AND t.fold < ?) OR (t.fold >= ? AND t.fold < ?) OR "
                 "(t.fold >= ? AND t.fold < ?)) AND t.fold REGEXP ? AND p.status < 1024 "
                 "ORDER BY p.id LIMIT 20",
                 ("ab", "ac", "", "!", "<", "=", START_AB))]),
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
        find, _ = medians_us(lambda: site.pages.find(
            f"parent={big}, template=post, sort=-created, limit=20"), lambda: None, args.runs // 10)
        print(f"(pages.find of the first query, with its total and 20 pages loaded: {find:.0f} µs)")
        site.close()


if __name__ == "__main__":
    main()
