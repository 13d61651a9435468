"""Pages::save with five hooks attached beside the same saves with none, in the same run.

    python bench/bench_hooks.py [--saves 2000] [--db URL]

Two workloads, each alternating blocks without and with hooks so drift (caches, WAL growth)
hits both sides alike:
- update: change one field of a page and save it (each save its own transaction);
- bulk add: add pages inside one open transaction (where a hooked add takes a savepoint).
The five hooks do trivial work: two before and one after `Pages::save`, one class hook and
one object hook after `saved`. Aims: at most 10% more time with the hooks for an update, 30%
for an add inside a caller's transaction (issue 17).

A third line adds pages in one open transaction with five hooks that all run before the
save's first write (`save_ready`, before `save`), which need no savepoint.

The bulk-add line measures the savepoint as much as the hooks: inside a caller's transaction
an unhooked save runs without one (nothing can fail half-way), while a hooked add takes one
after its rows are written, so a failing hook rolls back only that add (its rows are then
deleted). Taken before the writes, as until the fifteenth session, SQLite copied every page
the add changes (15 or so: the pages row, its indexes, the path and field rows) to a
statement journal, 7-10 µs in memory where a page add costs 25-35 µs.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import header  # noqa: E402

import cms  # noqa: E402

BLOCKS = 20


# (when, hook name, priority): two class hooks before, two after and one object hook after
# (`site.pages`, named by method alone)
FIVE = [("before", "Pages::save", 100), ("before", "Pages::save", 50), ("after", "Pages::save", 100),
        ("after", "Pages::saved", 100), ("after", "saved", 100)]
# Five that all run before a save's first write (`save_ready`, before `save`): the usual way to
# set values on save; inside a caller's transaction they need no savepoint.
FIVE_BEFORE_WRITES = [("before", "Pages::save", 100), ("before", "Pages::save", 50),
                      ("before", "Pages::saveReady", 100), ("after", "Pages::saveReady", 100),
                      ("after", "save_ready", 100)]


def attach(site: cms.Site, counter: list[int], hooks: list[tuple[str, str, int]]) -> list[tuple[object, int]]:
    def bump(event: cms.HookEvent) -> None:
        counter[0] += 1

    attached = []
    for when, name, priority in hooks:
        owner = site if "::" in name else site.pages
        add = owner.add_hook_before if when == "before" else owner.add_hook_after
        attached.append((owner, add(name, bump, priority=priority)))
    return attached


def detach(hooks: list[tuple[object, int]]) -> None:
    for owner, hook_id in hooks:
        owner.remove_hook(hook_id)


def update_samples(site: cms.Site, page: cms.Page, count: int) -> list[float]:
    samples = []
    for i in range(count):
        start = time.perf_counter()
        page.rank = i
        page.save()
        samples.append(time.perf_counter() - start)
    return samples


def bulk_add_samples(site: cms.Site, parent: cms.Page, count: int, tag: str) -> list[float]:
    samples = []
    with site.transaction():
        for i in range(count):
            start = time.perf_counter()
            site.pages.add("item", parent, f"{tag}-{i}", title=f"Item {i}", rank=i)
            samples.append(time.perf_counter() - start)
    return samples


def compare(label: str, run, site: cms.Site, per_block: int, aim: float,
            hooks: list[tuple[str, str, int]] = FIVE) -> None:
    plain: list[float] = []
    hooked: list[float] = []
    counter = [0]
    for block in range(BLOCKS):
        plain += run(f"p{block}", per_block)
        attached = attach(site, counter, hooks)
        hooked += run(f"h{block}", per_block)
        detach(attached)
    assert counter[0] == 5 * per_block * BLOCKS, counter
    base, with_hooks = statistics.median(plain) * 1e6, statistics.median(hooked) * 1e6
    print(f"{label:<32} no hooks {base:8.1f} us   five hooks {with_hooks:8.1f} us   "
          f"ratio {with_hooks / base:.3f} (aim <= {aim:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--saves", type=int, default=2000, help="saves per side and workload")
    parser.add_argument("--db", help="database URL (default: SQLite in a temporary folder)")
    args = parser.parse_args()
    per_block = max(1, args.saves // BLOCKS)
    with tempfile.TemporaryDirectory() as folder:
        site = cms.boot(args.db, site_dir=folder)
        header(f"bench_hooks: Pages::save with five hooks vs none, {per_block * BLOCKS} saves per side, "
               f"{site.db.engine}")
        site.fields.add("rank", "Integer")
        site.templates.add("item", fields=["title", "rank"])
        home = site.pages.get(1)
        page = site.pages.add("item", home, "target", title="Target")
        bin_page = site.pages.add("basic-page", home, "bin", title="Bin")
        compare("update, one transaction each", lambda tag, n: update_samples(site, page, n),
                site, per_block, 1.10)
        compare("add, in one open transaction", lambda tag, n: bulk_add_samples(site, bin_page, n, tag),
                site, per_block, 1.30)
        compare("add, hooks before the writes", lambda tag, n: bulk_add_samples(site, bin_page, n, "b" + tag),
                site, per_block, 1.30, FIVE_BEFORE_WRITES)
        site.close()


if __name__ == "__main__":
    main()
