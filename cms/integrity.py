"""Tree and schema integrity: what `python run.py check` finds and, with `--repair`, mends.

The tree's invariants: every page but home has an existing parent and no cycle leads back to
it; every page's stored path is its parent's path plus its name; a page is in the trash exactly
when it lies below the trash page; every page's template exists (a page without one cannot
be loaded, and a find that meets it fails: repair cannot guess which template it had, so it
is reported only); every field has its table, or, for a Kept type (Tasker's
runtime fields, see cms/tasker/install.py), its module's view. (A schema that is behind is
refused at boot with a pointer to `migrate`.) A crash cannot break these (every
write is transactional), but hand edits in SQL and restores of partial backups can.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import textindex
from .page import TRASH_ID, Page
from .pages import TRASH_PATH

if TYPE_CHECKING:
    from .site import Site


@dataclass
class Problem:
    kind: str
    page_id: int
    detail: str
    repaired: bool = False

    def __str__(self) -> str:
        mark = " (repaired)" if self.repaired else ""
        return f"{self.kind}: page {self.page_id}: {self.detail}{mark}" if self.page_id else \
            f"{self.kind}: {self.detail}{mark}"


def check_site(site: Site, repair: bool = False) -> list[Problem]:
    """Every integrity problem found; with `repair=True` each is mended in one transaction."""
    problems: list[Problem] = []
    db = site.db
    views: set[str] | None = None
    for field in site.fields:
        if field.type.owns_table:
            if not db.table_exists(field.table):
                problems.append(Problem("field", 0,
                                        f"field {field.name!r} has no table {field.table}"))
            continue
        if views is None:         # a Kept field reads through its module's view
            views = db.view_names()
        if field.table not in views:
            problems.append(Problem("field", 0, f"field {field.name!r} ({field.type.name}) has "
                                                f"no view {field.table}: reinstall its module"))
    for field_name in textindex.matchable(db):
        missing = textindex.missing(db, field_name)
        if missing:
            problems.append(Problem("index", 0, f"the trigram index of {field_name!r} lacks "
                                                f"{missing} row(s); repair rebuilds it"))
            if repair:
                textindex.rebuild(db, field_name)
                problems[-1].repaired = True
    for page_id, template_id in db.all("SELECT p.id, p.templates_id FROM pages p LEFT JOIN "
                                       "templates t ON t.id = p.templates_id WHERE t.id IS NULL "
                                       "ORDER BY p.id"):
        problems.append(Problem("template", page_id, f"template {template_id} does not exist; "
                                "give the page an existing template (in SQL) or delete it"))
    with site.transaction():
        rows = {r[0]: [r[1], r[2], r[3]] for r in db.all("SELECT id, parent_id, name, status FROM pages")}
        stored = dict(db.all("SELECT pages_id, path FROM pages_paths"))
        for page_id, (parent_id, _, _) in sorted(rows.items()):
            if page_id != 1 and parent_id not in rows:
                problems.append(Problem("orphan", page_id, f"parent {parent_id} does not exist; "
                                        "repair moves it to the trash"))
                if repair:
                    db.execute("UPDATE pages SET parent_id = ? WHERE id = ?", (TRASH_ID, page_id))
                    rows[page_id][0] = TRASH_ID
                    problems[-1].repaired = True
        paths = _expected_paths(rows, problems)
        for page_id, path in sorted(paths.items()):
            if stored.get(page_id) != path:
                problems.append(Problem("path", page_id, f"stored path {stored.get(page_id)!r} "
                                        f"should be {path!r}"))
                if repair:
                    # Rows are rewritten through a temporary value so the unique index on
                    # `path` never sees two rows with one path half-way through.
                    db.execute("DELETE FROM pages_paths WHERE pages_id = ?", (page_id,))
                    problems[-1].repaired = True
        if repair:
            for page_id, path in paths.items():
                if stored.get(page_id) != path:
                    db.execute("INSERT INTO pages_paths (pages_id, path) VALUES (?, ?)", (page_id, path))
        for page_id, path in sorted(paths.items()):
            status = rows[page_id][2]
            in_trash = path.startswith(TRASH_PATH) and path != TRASH_PATH
            if bool(status & Page.STATUS_TRASH) != in_trash:
                problems.append(Problem("trash", page_id, "trash status does not match its place "
                                        f"({'below' if in_trash else 'outside'} the trash)"))
                if repair:
                    new = status | Page.STATUS_TRASH if in_trash else status & ~Page.STATUS_TRASH
                    db.execute("UPDATE pages SET status = ? WHERE id = ?", (new, page_id))
                    problems[-1].repaired = True
        if not repair:
            return problems
    return problems


def _expected_paths(rows: dict[int, list], problems: list[Problem]) -> dict[int, str]:
    """Each page's path from its parent chain; pages in a cycle are reported and left out."""
    paths: dict[int, str] = {1: "/"}

    def path_of(page_id: int) -> str | None:
        chain: list[int] = []
        current = page_id
        while current not in paths:
            if current in chain or current not in rows:
                problems.append(Problem("cycle" if current in chain else "orphan", page_id,
                                        "its parent chain does not reach home"))
                return None
            chain.append(current)
            current = rows[current][0]
        for node in reversed(chain):
            paths[node] = paths[rows[node][0]] + rows[node][1] + "/"
        return paths[page_id]

    for page_id in rows:
        path_of(page_id)
    return paths
