"""Page adds and lookups against raw sqlite3 on the same tables, in the same run.

    python bench/bench_pages.py [--pages 100000]

Adds N pages (a template with title and two more fields) in one transaction through
`site.pages.add`, then inserts the same rows into the same tables of a second site with raw
`sqlite3`; then times get by id and by path beside a raw indexed lookup, and an export of
three values of 1,000 pages: pages loaded, `find_raw`, and one raw join.
"""
from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import header, median_us  # noqa: E402

import cms  # noqa: E402


def make_site(folder: str) -> cms.Site:
    site = cms.boot(site_dir=folder)
    site.fields.add("body", "Textarea")
    site.fields.add("rank", "Integer")
    site.templates.add("word", fields=["title", "body", "rank"])
    return site


def cms_adds(site: cms.Site, count: int) -> float:
    home = site.pages.get(1)
    start = time.perf_counter()
    with site.transaction():
        for i in range(count):
            site.pages.add("word", home, title=f"Word {i}", body="A definition.", rank=i)
    return time.perf_counter() - start


def raw_adds(path: str, templates_id: int, count: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = NORMAL")
    now = "2026-11-27 12:00:00"
    start = time.perf_counter()
    conn.execute("BEGIN")
    for i in range(count):
        name = f"word-{i}"
        page_id = conn.execute(
            "INSERT INTO pages (parent_id, templates_id, name, status, sort, created, modified, "
            "created_users_id, modified_users_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (1, templates_id, name, 1, i + 4, now, now, 0, 0)).lastrowid
        conn.execute("INSERT INTO pages_paths (pages_id, path) VALUES (?, ?)", (page_id, f"/{name}/"))
        title = f"Word {i}"
        conn.execute("INSERT INTO field_title (pages_id, data, fold) VALUES (?, ?, ?)",
                     (page_id, title, title.casefold()))
        conn.execute("INSERT INTO field_body (pages_id, data, fold) VALUES (?, ?, ?)",
                     (page_id, "A definition.", "a definition."))
        conn.execute("INSERT INTO field_rank (pages_id, data) VALUES (?, ?)", (page_id, i))
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=100_000)
    args = parser.parse_args()
    header(f"bench_pages: {args.pages} page adds in one transaction, SQLite")
    with tempfile.TemporaryDirectory() as ours, tempfile.TemporaryDirectory() as theirs:
        site = make_site(ours)
        raw_site = make_site(theirs)
        templates_id = raw_site.templates["word"].id
        raw_site.close()
        cms_time = cms_adds(site, args.pages)
        raw_time = raw_adds(str(Path(theirs) / "site.db"), templates_id, args.pages)
        cms_rate, raw_rate = args.pages / cms_time, args.pages / raw_time
        print(f"add       cms {cms_rate:10,.0f} pages/s   raw sqlite3 {raw_rate:10,.0f} pages/s   "
              f"ratio {cms_rate / raw_rate:.2f} of raw (aim >= 10,000/s and >= 0.30)")

        ids = [random.randint(28, 27 + args.pages) for _ in range(2000)]
        paths = [f"/word-{i - 28}/" for i in ids]
        it_id, it_path = iter(ids * 10), iter(paths * 10)
        conn = sqlite3.connect(str(Path(ours) / "site.db"))
        raw_sql = ("SELECT p.id, p.parent_id, p.templates_id, p.name, p.status, p.sort, p.created, "
                   "p.modified, p.created_users_id, p.modified_users_id, pp.path FROM pages p "
                   "JOIN pages_paths pp ON pp.pages_id = p.id WHERE ")
        by_id = median_us(lambda: site.pages.get(next(it_id)))
        by_path = median_us(lambda: site.pages.get(next(it_path)))
        it_id, it_path = iter(ids * 10), iter(paths * 10)
        raw_id = median_us(lambda: conn.execute(raw_sql + "p.id = ?", (next(it_id),)).fetchone())
        raw_path = median_us(lambda: conn.execute(raw_sql + "pp.path = ?", (next(it_path),)).fetchone())
        print(f"get(id)   cms {by_id:8.1f} us   raw {raw_id:8.1f} us   "
              f"ratio {by_id / raw_id:.2f}x (aim <= 3x)")
        print(f"get(path) cms {by_path:8.1f} us   raw {raw_path:8.1f} us   "
              f"ratio {by_path / raw_path:.2f}x (aim <= 3x)")
        export_times(site, conn)
        conn.close()
        site.close()


def export_times(site: cms.Site, conn: sqlite3.Connection, count: int = 1000) -> None:
    """Three values of 1,000 pages, as an export reads them: pages loaded and read, find_raw
    (ProcessWire's findRaw), and one hand-written join of the three tables."""
    first = site.pages.find_one("template=word, sort=id").id
    selector = f"id>={first}, id<{first + count}"        # by id, as the join

    def loaded() -> list:
        return [(p.title, p.body, p.rank) for p in site.pages.find(selector)]

    def raw() -> dict:
        return site.pages.find_raw(selector, ["title", "body", "rank"])

    join = ("SELECT p.id, t.data, b.data, r.data FROM pages p LEFT JOIN field_title t ON t.pages_id = p.id "
            "LEFT JOIN field_body b ON b.pages_id = p.id LEFT JOIN field_rank r ON r.pages_id = p.id "
            "WHERE p.id >= ? AND p.id < ? ORDER BY p.id")
    assert len(raw()) == len(loaded()) == count
    times = {name: median_us(fn, repeat=30) / 1000 for name, fn in (
        ("loaded", loaded), ("find_raw", raw),
        ("sql", lambda: conn.execute(join, (first, first + count)).fetchall()))}
    print(f"export {count} pages' title, body, rank: pages loaded {times['loaded']:.1f} ms, "
          f"find_raw {times['find_raw']:.1f} ms, one raw join {times['sql']:.1f} ms: find_raw "
          f"{times['loaded'] / times['find_raw']:.1f}x faster than loading, "
          f"{times['find_raw'] / times['sql']:.2f}x the raw join")


if __name__ == "__main__":
    main()
