"""A plain-Python evaluator of selector plans, the yardstick the SQL is tested against.

It reads every page and field row into memory and applies the meaning written in plan.py one
page at a time, with no SQL beyond plain table reads: paths are rebuilt from names, ancestors
from parent ids and folded text from `data`, so a mistake in the compiler, in the way it joins
and treats NULLs, or in the tables the page API keeps (paths, folds) shows up as a difference.
It is slow by design; use it on small sites (the tests' random trees).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..fieldtypes import fold
from .compiler import ORDER_OPS, RANDOM_PRIME, name_order
from .plan import (
    AllOf,
    Ancestors,
    AnyOf,
    ChildCount,
    Column,
    FieldColumn,
    Leaf,
    Node,
    Not,
    ParentsOf,
    PathColumn,
    PathRef,
    Phrase,
    Query,
    Random,
    RefColumn,
    RefCount,
    ReferencedBy,
    Related,
    StatusColumn,
    TemplatesWith,
    Words,
    compare,
    is_partial_date,
)

if TYPE_CHECKING:
    from ..site import Site

PAGE_COLUMNS = ("id", "parent_id", "templates_id", "name", "status", "sort", "created", "modified",
                "created_users_id", "modified_users_id")


class Snapshot:
    """Every page, its path and children count, and every field's values, read once."""

    def __init__(self, site: Site):
        db = site.db
        self.pages: dict[int, dict[str, Any]] = {}
        for row in db.all(f"SELECT {', '.join(PAGE_COLUMNS)} FROM pages"):
            page = dict(zip(PAGE_COLUMNS, row))
            page["created"] = db.dt_value(page["created"])
            page["modified"] = db.dt_value(page["modified"])
            self.pages[page["id"]] = page
        self.children: dict[int, int] = {}
        for page in self.pages.values():
            self.children[page["parent_id"]] = self.children.get(page["parent_id"], 0) + 1
        self.paths = {pid: self._path(pid) for pid in self.pages}
        self.by_path = {path: pid for pid, path in self.paths.items() if path is not None}
        self.values: dict[str, dict[int, Any]] = {}
        self.raw: dict[str, dict[int, Any]] = {}      # text as stored, for `title.data`
        self.templates_with: dict[int, set[int]] = {}  # field id -> ids of templates having it
        self.template_names = {template.id: template.name for template in site.templates}
        for template in site.templates:
            for field in template.fields:
                self.templates_with.setdefault(field.id, set()).add(template.id)
        self.refs: dict[str, dict[int, list[tuple[int, int]]]] = {}
        for field in site.fields:
            kind = field.type.kind
            if field.type.name == "Password":
                continue
            if kind == "page":
                refs: dict[int, list[tuple[int, int]]] = {}
                for pages_id, data, sort in db.all(f"SELECT pages_id, data, sort FROM {field.table}"):
                    refs.setdefault(pages_id, []).append((sort, data))
                self.refs[field.name] = refs
                continue
            values, raw = {}, {}
            for pages_id, data in db.all(f"SELECT pages_id, data FROM {field.table}"):
                raw[pages_id] = data
                if kind == "text" and field.type.folded:
                    data = fold(data)
                elif kind == "datetime":
                    data = db.dt_value(data)
                values[pages_id] = data
            self.values[field.name] = values
            self.raw[field.name] = raw

    def _path(self, page_id: int) -> str | None:
        names = []
        seen = set()
        current = page_id
        while current != 1:
            page = self.pages.get(current)
            if page is None or current in seen:
                return None
            seen.add(current)
            names.append(page["name"])
            current = page["parent_id"]
        return "/" + "".join(name + "/" for name in reversed(names))

    def ancestors(self, page_id: int) -> list[int]:
        found = []
        current = self.pages[page_id]["parent_id"]
        while current in self.pages and current not in found:
            found.append(current)
            current = self.pages[current]["parent_id"]
        return found


class Reference:
    """Evaluates plans over a Snapshot."""

    def __init__(self, snapshot: Snapshot):
        self.snap = snapshot
        # by id(), holding the query too so its id cannot be reused while cached
        self._sets: dict[int, tuple[Query, set[int]]] = {}

    def find(self, query: Query, limit: int | None = None) -> list[int]:
        """The ids `SelectorEngine.select` must return, in its order."""
        matched = sorted(self.matching(query))
        order_desc = query.sorts[-1].desc if query.sorts else False
        matched.sort(reverse=order_desc)
        for sort in reversed(query.sorts):
            matched.sort(key=lambda pid, s=sort: self._sort_key(s.target, pid), reverse=sort.desc)
        start = query.offset
        limit = query.limit if query.limit is not None else limit
        end = None if limit is None else start + limit
        return matched[start:end]

    def matching(self, query: Query) -> set[int]:
        """Every page the query matches, unordered, no limit."""
        cached = self._sets.get(id(query))
        if cached is None:
            found = {pid for pid, page in self.snap.pages.items()
                     if (query.threshold is None or page["status"] < query.threshold)
                     and self.node(query.where, pid)}
            cached = self._sets[id(query)] = (query, found)
        return cached[1]

    def _sort_key(self, target: Any, pid: int) -> tuple:
        value = self._sort_value(target, pid)
        return (value is not None, value if value is not None else 0)

    def _sort_value(self, target: Any, pid: int) -> Any:
        if isinstance(target, Column):
            value = self.snap.pages[pid][target.name]
            return name_order(value) if target.name == "name" else value
        if isinstance(target, PathColumn):
            return self.snap.paths[pid]
        if isinstance(target, ChildCount):
            return self.snap.children.get(pid, 0)
        if isinstance(target, FieldColumn):
            value = self.field_values(target).get(pid)
            return None if target.kind == "int" and value == 0 else value
        if isinstance(target, RefColumn):
            first = [data for sort, data in self.snap.refs[target.field].get(pid, []) if sort == 0]
            return first[0] if first else None
        if isinstance(target, RefCount):
            return len(self.snap.refs[target.field].get(pid, []))
        if isinstance(target, Random):
            mixed = (pid * 2147483659 + target.seed) % RANDOM_PRIME
            return (mixed * mixed + target.seed) % RANDOM_PRIME
        if isinstance(target, Related):
            if target.via == "template":
                name = self.snap.template_names.get(self.snap.pages[pid]["templates_id"])
                return None if name is None else name_order(name)
            if target.via == "parent":
                other = self.snap.pages[pid]["parent_id"]
            else:
                other = self._sort_value(target.via, pid)
            if other not in self.snap.pages:
                return None
            return self._sort_value(target.target, other)
        raise AssertionError(target)

    def field_values(self, target: FieldColumn) -> dict[int, Any]:
        """A field's values by page: folded text, or as stored for `title.data`."""
        if target.kind == "text" and not target.folded and target.field in self.snap.raw:
            return self.snap.raw[target.field]
        return self.snap.values[target.field]

    def phrase(self, target: FieldColumn, pid: int, value: Phrase) -> bool:
        """A phrase where accents count, matched on the stored text (Phrase.accents)."""
        return re.search(value.accent_pattern(), self.snap.raw[target.field][pid]) is not None

    def words(self, target: FieldColumn, pid: int, stored: str, value: Words) -> bool:
        """Word terms on the folded text, joined words where accents count on the stored text
        (Words.written)."""
        raw = self.snap.raw[target.field][pid]
        found = [re.search(pattern, raw if on_stored else stored) is not None if pattern else like in stored
                 for (like, pattern), on_stored in zip(value.terms(), value.on_stored())]
        return bool(found) and (any(found) if value.any else all(found))

    # -- matching ----------------------------------------------------------------------------
    def node(self, node: Node, pid: int) -> bool:
        if isinstance(node, Leaf):
            return self.leaf(node, pid)
        if isinstance(node, AllOf):
            return all(self.node(item, pid) for item in node.items)
        if isinstance(node, AnyOf):
            return any(self.node(item, pid) for item in node.items)
        if isinstance(node, Not):
            return not self.node(node.item, pid)
        raise AssertionError(node)

    def leaf(self, leaf: Leaf, pid: int) -> bool:
        target, op, values = leaf.target, leaf.op, leaf.values
        page = self.snap.pages[pid]
        if isinstance(target, Column) and target.kind == "id":
            return any(self.is_page(op, page[target.name], v) for v in values)
        if isinstance(target, Column) and target.kind == "name" and op in ORDER_OPS:
            return any(compare(op, name_order(page[target.name]), name_order(v)) for v in values)
        if isinstance(target, Column):
            return any(compare(op, page[target.name], v) for v in values)
        if isinstance(target, FieldColumn):
            stored = self.field_values(target).get(pid)
            if stored is None:
                return leaf.blank       # no row: the planner worked out what blank matches
            if op == "?":
                return True
            if is_partial_date(leaf):
                text = stored.strftime("%Y-%m-%d %H:%M:%S")
                return any(v in text if op == "%=" else text.startswith(v) for v in values)
            return any(self.phrase(target, pid, v) if isinstance(v, Phrase) and v.accents
                       else self.words(target, pid, stored, v) if isinstance(v, Words) and v.written
                       else compare(op, stored, v) for v in values)
        if isinstance(target, PathColumn):
            return any(compare(op, self.snap.paths[pid], v) for v in values)
        if isinstance(target, StatusColumn):
            return any(compare(op, page["status"], v) for v in values)
        if isinstance(target, ChildCount):
            return any(compare(op, self.snap.children.get(pid, 0), v) for v in values)
        if isinstance(target, RefCount):
            return any(compare(op, len(self.snap.refs[target.field].get(pid, [])), v) for v in values)
        if isinstance(target, Ancestors):
            ancestors = self.snap.ancestors(pid)
            return any(any(self.snap.paths.get(a) == v for a in ancestors) if isinstance(v, str)
                       else any(self.is_page("=", a, v) for a in ancestors)
                       if isinstance(v, Query) else v in ancestors for v in values)
        if isinstance(target, RefColumn):
            refs = [data for _, data in self.snap.refs[target.field].get(pid, [])]
            return any(not refs if v is None else any(self.is_page(op, r, v) for r in refs)
                       for v in values)
        raise AssertionError(target)

    def is_page(self, op: str, page_id: int, value: Any) -> bool:
        """Whether `page_id op value`, the value being an id, a path or a sub-selector."""
        if isinstance(value, PathRef):
            return self.snap.by_path.get(value.path) == page_id
        if isinstance(value, Query):
            return page_id in self.matching(value)
        if isinstance(value, TemplatesWith):
            return page_id in self.snap.templates_with.get(value.field_id, set())
        if isinstance(value, ParentsOf):
            return page_id in {self.snap.pages[c]["parent_id"] for c in self.matching(value.query)}
        if isinstance(value, ReferencedBy):
            refs = self.snap.refs[value.field]
            return any(page_id == data for owner in self.matching(value.query)
                       for _, data in refs.get(owner, []))
        return compare(op, page_id, value)


def find(site: Site, query: Query, limit: int | None = None) -> list[int]:
    """The ids a query should find, computed in Python from a fresh snapshot of the site."""
    return Reference(Snapshot(site)).find(query, limit)


def count(site: Site, query: Query) -> int:
    return len(Reference(Snapshot(site)).matching(query))

