"""Plans -> one SQL statement with `?` parameters, built once per selector shape.

The SQL text depends only on a plan's shape (its structure with the values taken out), so it is
cached under that shape; a repeated query only walks its plan for the parameters, in the same
order the text was written in. Values are always parameters; identifiers come from this module
or from field names the planner checked against the site (`field_<name>` tables).

Joins: each single-valued field a scope uses is joined once, INNER when the selector cannot
match a page without a row for it, else LEFT (then every condition on it is written so that a
missing row gives TRUE or FALSE, never NULL, and NOT works). Page fields, which have several
rows per page, are tested with EXISTS, so no join multiplies rows and COUNT(*) needs no DISTINCT.
Text is compared on `fold` (folded in Python on save: fieldtypes.fold) with the binary collation
every engine is given, so `=`, `<` and prefix ranges use the index and agree across engines.
A word of a word operator (`~=`, `~|=`, ...) is `LIKE '%word%'` (cheap, and it rejects most rows)
and then a regular expression for its boundaries; `*=`, `^=` and `$=` are a LIKE (or, for `^=`,
index ranges) and then the phrase's expression (plan.Phrase). Each engine's database seam
writes the regular expression test (`Database.regex_sql`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from .. import textindex
from ..errors import SelectorError
from ..page import Page
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
    Sort,
    StatusColumn,
    TemplatesWith,
    Words,
    is_partial_date,
    literal_pattern,
    prefix_upper,
)

if TYPE_CHECKING:
    from ..db import Database

# Used when `start` is given without `limit`: MariaDB and SQLite need a LIMIT before OFFSET.
NO_LIMIT = 2 ** 62
LIKE_ESCAPE = "!"   # not backslash: MariaDB treats backslashes in string literals differently
FALSE, TRUE = "1 = 0", "1 = 1"
CACHE_SIZE = 4096     # statements kept; a program making endless new shapes starts over
# A longer statement (an OR list of thousands of values, whose shape names each one) is written
# anew each time: kept, with its shape, each took half a megabyte, and OR lists of as many
# lengths as CACHE_SIZE grew a server thread by gigabytes.
KEPT_SQL = 20_000
MAX_PARAMS = 10_000   # SQLite takes 32,766 parameters; leave room for the keyset and paging


RANDOM_PRIME = 2147483647   # sort=random: ids shuffled by a keyed square modulo this prime


def word_pattern(word: str) -> str:
    """A regular expression matching text that has `word` as a whole word (plan.py's rule;
    the benchmark's hand-written SQL uses it)."""
    pattern = Words((word,)).terms()[0][1]
    assert pattern is not None
    return pattern


def random_key(alias_id: str, seed: int) -> str:
    """SQL (and, with an int, Python) for sort=random's key of a page id: a keyed square, the
    same on every engine, in 64-bit integers (the multiplier is above 2^31 so PostgreSQL
    computes in bigint)."""
    mixed = f"(({alias_id} * 2147483659 + {seed}) % {RANDOM_PRIME})"
    return f"(({mixed} * {mixed} + {seed}) % {RANDOM_PRIME})"


ORDER_OPS = ("<", ">", "<=", ">=")


def name_order_sql(expr: str) -> str:
    """SQL for the sort key of a page or template name. ProcessWire keeps names in ASCII
    columns, ordered by `ascii_general_ci`, which weighs a character by its upper case: "_"
    comes after every letter ("item-b", "itemb", "item_2"), where code point order puts it
    before the lower-case letters. Names hold no "~", which sorts after them all."""
    return f"REPLACE(LOWER({expr}), '_', '~')"


def column_sort_key(expr: str, column: str) -> str:
    """SQL for the sort key of a `pages` column that `expr` reads: a name by its order
    (name_order_sql), any other column as it is."""
    return name_order_sql(expr) if column == "name" else expr


def field_sort_key(alias: str, target: FieldColumn) -> str:
    """SQL for the sort key of a field's row `alias`: text by its fold (or exactly, for
    `f.data`); a whole number's or checkbox's 0 as NULL, since ProcessWire stores no 0 and
    sorts such a page with those storing nothing, below the negatives."""
    if target.kind == "int":
        return f"NULLIF({alias}.data, 0)"
    return f"{alias}.{'fold' if target.folded else 'data'}"


def name_order(name: str) -> str:
    """The same key in Python (the reference finder's)."""
    return name.lower().replace("_", "~")


def like_escape(text: str) -> str:
    """`text` with LIKE's wildcards made literal (ESCAPE '!')."""
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")


def _governed(exclude: bool, templates: tuple[int, ...], alias: str, inline: bool = False,
              fence: str = "") -> str:
    """Pages governed by none of `templates` (`exclude`) or by one of them: pages_access holds
    each page's governing template, but for the home template's (no row, cms.access).
    `inline`: the template ids written into the text (whole numbers), not bound: for a sort
    key, whose text comes before and after the WHERE clause's parameters. `fence`: ends the
    test's subquery (_Writer.fence)."""
    if not templates:
        return TRUE if exclude else FALSE
    marks = (", ".join(str(int(t)) for t in templates) if inline
             else ", ".join("?" * len(templates)))
    test = (f"SELECT 1 FROM pages_access pa WHERE pa.pages_id = {alias}.id "
            f"AND pa.templates_id IN ({marks}){fence}")
    return f"NOT EXISTS ({test})" if exclude else f"EXISTS ({test})"


def _join(parts: list[str], operator: str) -> str:
    """`parts` joined by AND or OR, nested as a balanced tree: SQLite refuses expressions more
    than 1,000 deep, and a flat chain of N terms is N deep."""
    if len(parts) == 1:
        return parts[0]
    if len(parts) <= 8:
        return f" {operator} ".join(f"({part})" for part in parts)
    middle = len(parts) // 2
    return f"({_join(parts[:middle], operator)}) {operator} ({_join(parts[middle:], operator)})"


class _Scope:
    """One FROM clause: the pages alias, and the tables joined to it."""

    def __init__(self, alias: str, inner_fields: set[str]):
        self.alias = alias
        self.inner_fields = inner_fields
        self.fields: dict[str, tuple[str, str]] = {}     # field -> (table, alias)
        self.sort_refs: dict[str, tuple[str, str]] = {}  # Page field sorted by -> (table, alias)
        self.path = False

    def field(self, target: FieldColumn) -> str:
        alias = f"{self.alias}_f_{target.field}"
        self.fields[target.field] = (target.table, alias)
        return alias

    def path_alias(self) -> str:
        self.path = True
        return f"{self.alias}_pp"

    def from_clause(self) -> str:
        a = self.alias
        parts = [f"pages {a}"]
        if self.path:
            parts.append(f"JOIN pages_paths {a}_pp ON {a}_pp.pages_id = {a}.id")
        for name, (table, alias) in self.fields.items():
            join = "JOIN" if name in self.inner_fields else "LEFT JOIN"
            parts.append(f"{join} {table} {alias} ON {alias}.pages_id = {a}.id")
        for table, alias in self.sort_refs.values():
            parts.append(f"LEFT JOIN {table} {alias} ON {alias}.pages_id = {a}.id AND {alias}.sort = 0")
        return " ".join(parts)


def inner_fields(node: Node) -> set[str]:
    """Fields a page must store a row for to match: positive leaves directly under the top AND."""
    items = node.items if isinstance(node, AllOf) else (node,)
    return {item.target.field for item in items
            if isinstance(item, Leaf) and isinstance(item.target, FieldColumn) and not item.blank}


class _Writer:
    """Writes the SQL text of one statement. A new one per statement: the aliases it numbers
    (q1 for a sub-selector, c1 for a child count, r1 for a Page field) are its own, so
    threads compiling at once never share a counter."""

    def __init__(self, db: Database, matchable: frozenset[str]):
        self.db = db
        self.matchable = matchable      # fields whose `%=` a trigram index answers
        self._counter = 0
        # PostgreSQL makes a sub-selector's access check (NOT EXISTS) an anti-join and plans
        # the levels of nested sub-selectors as one flat join, where on a small or unanalysed
        # table it picks nested loops that run each inner level again for every outer row:
        # eight levels of `children=[...]` as a guest took 9 s, ten more than 15, 13 times
        # longer a level. `OFFSET 0` keeps a nested level's check a subplan of its own (one
        # probe of pages_access's key a row, as SQLite and MariaDB run it).
        self.fence = " OFFSET 0" if db.engine == "postgresql" else ""

    def count(self, query: Query, by_parent: bool = False) -> str:
        scope = _Scope("p", inner_fields(query.where))
        where = self._where(query, scope)
        if by_parent:
            return (f"SELECT p.parent_id, COUNT(*) FROM {scope.from_clause()} WHERE {where} "
                    "GROUP BY p.parent_id")
        return f"SELECT COUNT(*) FROM {scope.from_clause()} WHERE {where}"

    def select(self, query: Query, keyset: int, paged: bool,
               nulls: tuple[bool, ...] | None = None) -> str:
        """keyset: 0 = ids only; 1 = ids and sort keys; 2 = that, after a given row."""
        scope = _Scope("p", inner_fields(query.where))
        where = self._where(query, scope)
        keys = self._sort_keys(query, scope)
        order = []
        for expr, nullable, desc in keys:
            direction = "DESC" if desc else "ASC"
            if nullable:
                order.append(f"({expr} IS NOT NULL) {direction}")
            order.append(f"{expr} {direction}")
        columns = "p.id"
        if keyset:
            columns = ", ".join(["p.id"] + [expr for expr, _, _ in keys])
        if keyset == 2:
            assert nulls is not None
            where += f" AND ({self._keyset_sql(keys, nulls)})"
        sql = f"SELECT {columns} FROM {scope.from_clause()} WHERE {where} ORDER BY {', '.join(order)}"
        if paged:
            sql += " LIMIT ? OFFSET ?"
        return sql

    def _sort_keys(self, query: Query, scope: _Scope) -> list[tuple[str, bool, bool]]:
        """(expression, nullable, descending) per sort key, the id last as the tie-breaker."""
        keys = []
        # a sort key read from another page (the parent, a referenced page) reads only a page
        # the user may view, as a condition on it does: else the order tells its value
        view = query.access if query.access is not None and query.check_access else None
        for sort in query.sorts:
            expr, nullable = self._sort_expr(sort, scope, view)
            keys.append((expr, nullable, sort.desc))
        keys.append((f"{scope.alias}.id", False, query.sorts[-1].desc if query.sorts else False))
        return keys

    def _sort_expr(self, sort: Sort, scope: _Scope, view: Any = None) -> tuple[str, bool]:
        target, a = sort.target, scope.alias
        if isinstance(target, Column):
            return column_sort_key(f"{a}.{target.name}", target.name), False
        if isinstance(target, PathColumn):
            return f"{scope.path_alias()}.path", False
        if isinstance(target, ChildCount):
            return self._child_count(a), False
        if isinstance(target, FieldColumn):
            nullable = target.kind == "int" or target.field not in scope.inner_fields
            return field_sort_key(scope.field(target), target), nullable
        if isinstance(target, RefColumn):
            alias = f"{a}_s_{target.field}"
            scope.sort_refs[target.field] = (target.table, alias)
            return f"{alias}.data", True
        if isinstance(target, RefCount):
            return self._ref_count(target, a), False
        if isinstance(target, Random):
            return random_key(f"{a}.id", target.seed), False
        if isinstance(target, Related):
            return self._related(target, a, view), True
        raise AssertionError(target)

    def _related(self, target: Related, alias: str, view: Any = None) -> str:
        """The sort value of the parent, or of the first page a Page field references; with
        the user's `view` filter, none (NULL) for a page the user may not view."""
        self._counter += 1
        s = f"s{self._counter}"
        inner = target.target
        if target.via == "template":
            return name_order_sql(f"(SELECT {s}.name FROM templates {s} WHERE {s}.id = "
                                  f"{alias}.templates_id)")
        if isinstance(target.via, RefColumn):
            source = f"(SELECT {s}r.data FROM {target.via.table} {s}r WHERE {s}r.pages_id = {alias}.id " \
                     f"AND {s}r.sort = 0)"
        else:
            source = f"{alias}.parent_id"
        if view is not None:
            source = (f"(SELECT {s}v.id FROM pages {s}v WHERE {s}v.id = {source} AND "
                      f"{self._access(view, f'{s}v', inline=True)})")
        if isinstance(inner, Column):
            return column_sort_key(f"(SELECT {s}.{inner.name} FROM pages {s} WHERE {s}.id = {source})",
                                   inner.name)
        return f"(SELECT {field_sort_key(s, inner)} FROM {inner.table} {s} WHERE {s}.pages_id = {source})"

    def _ref_count(self, target: RefCount, alias: str) -> str:
        self._counter += 1
        r = f"r{self._counter}"
        return f"(SELECT COUNT(*) FROM {target.table} {r} WHERE {r}.pages_id = {alias}.id)"

    @staticmethod
    def _keyset_sql(keys: list[tuple[str, bool, bool]], nulls: tuple[bool, ...]) -> str:
        """Rows after the given one in ORDER BY order; a NULL sorts below every value."""
        terms, equal = [], []
        for (expr, _, desc), is_null in zip(keys, nulls):
            if is_null:
                after = FALSE if desc else f"{expr} IS NOT NULL"
                same = f"{expr} IS NULL"
            else:
                after = f"({expr} < ? OR {expr} IS NULL)" if desc else f"{expr} > ?"
                same = f"{expr} = ?"
            terms.append(" AND ".join(equal + [after]))
            equal.append(same)
        return " OR ".join(f"({term})" for term in terms)

    def _where(self, query: Query, scope: _Scope) -> str:
        where = self._node(query.where, scope)
        if query.access is not None and query.check_access:
            fence = self.fence if scope.alias != "p" else ""     # "p": the statement's own
            where = f"{self._access(query.access, scope.alias, fence=fence)} AND ({where})"
        if query.threshold is not None:
            return f"{scope.alias}.status < ? AND ({where})"
        return f"({where})"

    @staticmethod
    def _access(view: Any, alias: str, inline: bool = False, fence: str = "") -> str:
        """Only pages the user may view: by the template governing each (cms.access); a
        trashed page only where that template lets the user edit it."""
        viewed = _governed(view.exclude, view.templates, alias, inline, fence)
        if view.trash_exclude and not view.trash_templates:
            return viewed
        untrashed = f"({alias}.status & {Page.STATUS_TRASH}) = 0"
        if not view.trash_exclude and not view.trash_templates:     # edits nothing: no trash
            return f"{viewed} AND {untrashed}"
        edited = _governed(view.trash_exclude, view.trash_templates, alias, inline, fence)
        return f"{viewed} AND ({untrashed} OR {edited})"

    def _subquery(self, query: Query, column: str = "id") -> str:
        self._counter += 1
        scope = _Scope(f"q{self._counter}", inner_fields(query.where))
        where = self._where(query, scope)
        return f"SELECT {scope.alias}.{column} FROM {scope.from_clause()} WHERE {where}"

    def _node(self, node: Node, scope: _Scope) -> str:
        if isinstance(node, Leaf):
            return self._leaf(node, scope)
        if isinstance(node, AllOf):
            return _join([self._node(i, scope) for i in node.items], "AND") if node.items else TRUE
        if isinstance(node, AnyOf):
            return _join([self._node(i, scope) for i in node.items], "OR") if node.items else FALSE
        if isinstance(node, Not):
            return f"NOT ({self._node(node.item, scope)})"
        raise AssertionError(node)

    def _leaf(self, leaf: Leaf, scope: _Scope) -> str:
        target, a = leaf.target, scope.alias
        if isinstance(target, Column):
            expr = f"{a}.{target.name}"
            if target.name == "templates_id" and leaf.op == "=" and (
                    len(leaf.values) > 1 or not all(isinstance(v, int) for v in leaf.values)):
                expr = self.db.in_list_operand(expr)       # several templates: an IN
            if target.kind == "id":
                return self._ids(expr, leaf.op, leaf.values)
            if target.kind == "name" and leaf.op in ORDER_OPS:
                expr = name_order_sql(expr)       # `name<x` in the order `sort=name` gives
            return self._compare(expr, leaf.op, leaf.values)
        if isinstance(target, FieldColumn):
            alias = scope.field(target)
            if leaf.op == "?":
                return TRUE if target.field in scope.inner_fields else f"{alias}.pages_id IS NOT NULL"
            expr = f"{alias}.{'fold' if target.folded else 'data'}"
            if is_partial_date(leaf):
                cond = self._any([f"{self.db.date_text_sql(expr)} LIKE ?"] * len(leaf.values))
            else:
                cond = self._compare(expr, leaf.op, [v for v in leaf.values if v is not None],
                                     exact=not target.folded,
                                     trigram=target.field
                                     if target.folded and target.field in self.matchable else "")
            if target.field in scope.inner_fields:
                return cond
            if leaf.blank:
                return f"{alias}.pages_id IS NULL OR ({cond})"
            return f"{alias}.pages_id IS NOT NULL AND ({cond})"
        if isinstance(target, PathColumn):
            return self._compare(f"{scope.path_alias()}.path", leaf.op, leaf.values)
        if isinstance(target, StatusColumn):
            if leaf.op == "&":
                return self._any([f"({a}.status & ?) <> 0" for _ in leaf.values])
            return self._compare(f"{a}.status", leaf.op, leaf.values)
        if isinstance(target, ChildCount):
            return self._compare(self._child_count(a), leaf.op, leaf.values)
        if isinstance(target, RefCount):
            return self._compare(self._ref_count(target, a), leaf.op, leaf.values)
        if isinstance(target, Ancestors):
            return self._ancestors(scope, leaf.values)
        if isinstance(target, RefColumn):
            return self._refs(target, a, leaf)
        raise AssertionError(target)

    @staticmethod
    def _any(parts: list[str]) -> str:
        return _join(parts, "OR") if parts else FALSE

    def _child_count(self, alias: str) -> str:
        self._counter += 1
        c = f"c{self._counter}"
        return f"(SELECT COUNT(*) FROM pages {c} WHERE {c}.parent_id = {alias}.id)"

    def _compare(self, expr: str, op: str, values: Any, exact: bool = False,
                 trigram: str = "") -> str:
        """`exact`: stored text as it is (`title.data`), where a LIKE (which ignores ASCII case
        on SQLite) is followed by a regular expression, case-sensitive on every engine.
        `trigram`: the field whose trigram index answers `%=` first, with the rows still
        pending for it (words of three characters or more; the LIKE then keeps the answer the
        scan's)."""
        if op == "=" and all(not isinstance(v, Words) for v in values):
            if len(values) == 1:
                return f"{expr} = ?"
            return f"{expr} IN ({', '.join('?' * len(values))})" if values else FALSE
        parts = []
        like = f"{expr} LIKE ? ESCAPE '{LIKE_ESCAPE}'"
        exact_like = f"{like} AND {self.db.regex_sql(expr)}" if exact else like
        for value in values:
            if op in ("<", ">", "<=", ">="):
                parts.append(f"{expr} {op} ?")
            elif op == "%=" and trigram and len(value) >= textindex.MIN_LENGTH:
                owner, index = expr.rsplit(".", 1)[0], textindex.table(trigram)
                parts.append(f"{owner}.pages_id IN (SELECT rowid FROM {index} WHERE {index} "
                             f"MATCH ? UNION ALL SELECT pages_id FROM "
                             f"{textindex.pending_table(trigram)}) AND {exact_like}")
            elif op in ("%=", "%$="):
                parts.append(exact_like)
            elif op == "%^=":
                parts.append(self._prefix(expr, value))
            elif isinstance(value, Phrase):
                parts.append(self._phrase(expr, value, like))
            elif op == "~=":
                stored = expr.rsplit(".", 1)[0] + ".data"      # Words.written: accents count
                words = [f"{like} AND {self.db.regex_sql(stored if raw else expr)}" if pattern else exact_like
                         for (_, pattern), raw in zip(value.terms(), value.on_stored())]
                parts.append(_join(words, "OR" if value.any else "AND") if words else FALSE)
            else:
                raise AssertionError(op)
        return self._any(parts)

    @staticmethod
    def _prefix(expr: str, prefix: str) -> str:
        return f"{expr} >= ? AND {expr} < ?" if prefix_upper(prefix) is not None else f"{expr} >= ?"

    def _phrase(self, expr: str, value: Phrase, like: str) -> str:
        """The phrase's regular expression, after a test an index or LIKE answers cheaply on
        the folded column; where accents count (Phrase.accents), on the stored text."""
        regex = self.db.regex_sql(expr.rsplit(".", 1)[0] + ".data" if value.accents else expr)
        lead = value.lead()
        if lead and value.junk is not None:
            # one flat OR of a few index ranges: SQLite reads each by the index and unites them
            ranges = [self._prefix(expr, lead)] + [f"{expr} >= ? AND {expr} < ?" for _ in value.junk]
            return f"({_join(ranges, 'OR')}) AND {regex}"
        if value.literal():
            return f"{like} AND {regex}"
        return regex

    def _ids(self, expr: str, op: str, values: Any) -> str:
        """Page ids given as numbers, paths or sub-selectors."""
        if op != "=":
            return self._any([f"{expr} {op} ?" for _ in values])
        parts = []
        numbers = [v for v in values if isinstance(v, int)]
        if numbers:
            parts.append(f"{expr} = ?" if len(numbers) == 1 else
                         f"{expr} IN ({', '.join('?' * len(numbers))})")
        paths = [v for v in values if isinstance(v, PathRef)]
        if paths:
            marks = ", ".join("?" * len(paths))
            parts.append(f"{expr} IN (SELECT pages_id FROM pages_paths WHERE path IN ({marks}))")
        for value in values:
            if isinstance(value, Query):
                parts.append(f"{expr} IN ({self._subquery(value)})")
            elif isinstance(value, ParentsOf):
                parts.append(f"{expr} IN ({self._subquery(value.query, 'parent_id')})")
            elif isinstance(value, ReferencedBy):
                self._counter += 1
                o = f"o{self._counter}"
                parts.append(f"{expr} IN (SELECT {o}.data FROM {value.table} {o} WHERE {o}.pages_id "
                             f"IN ({self._subquery(value.query)}))")
            elif isinstance(value, TemplatesWith):
                parts.append(f"{expr} IN (SELECT t.id FROM templates t JOIN fieldgroups_fields ff "
                             "ON ff.fieldgroups_id = t.fieldgroups_id WHERE ff.fields_id = ?)")
        return self._any(parts)

    def _refs(self, target: RefColumn, alias: str, leaf: Leaf) -> str:
        parts = []
        given = [v for v in leaf.values if v is not None]
        if given:
            # `id IN (the holders of the values)`, not a correlated EXISTS per page: SQLite then
            # reads the few holders through the field's `data` index, where EXISTS scanned every
            # page and probed each (a tag's page of 20 on 200,000 pages: 250 ms, now 2 ms)
            self._counter += 1
            r = f"r{self._counter}"
            parts.append(f"{alias}.id IN (SELECT {r}.pages_id FROM {target.table} {r} "
                         f"WHERE {self._ids(f'{r}.data', leaf.op, given)})")
        if len(given) < len(leaf.values):
            self._counter += 1
            r = f"r{self._counter}"
            parts.append(f"NOT EXISTS (SELECT 1 FROM {target.table} {r} WHERE {r}.pages_id = {alias}.id)")
        return self._any(parts)

    def _ancestors(self, scope: _Scope, values: Any) -> str:
        """has_parent as an index range on pages_paths.path: descendants of P lie strictly
        between P and P with its last "/" replaced by "0" (the next character)."""
        path = f"{scope.path_alias()}.path"
        upper = self._path_upper("path")
        parts = []
        for value in values:
            if isinstance(value, str):
                parts.append(f"{path} > ? AND {path} < ?")
            elif isinstance(value, Query):
                self._counter += 1
                a = f"a{self._counter}"
                parts.append(f"EXISTS (SELECT 1 FROM pages_paths {a} WHERE {a}.pages_id IN "
                             f"({self._subquery(value)}) AND {path} > {a}.path AND "
                             f"{path} < {self._path_upper(f'{a}.path')})")
            else:
                # COALESCE: an unknown id gives an empty range (FALSE, not NULL, so NOT works).
                parts.append(f"{path} > COALESCE((SELECT path FROM pages_paths WHERE pages_id = ?), '0') "
                             f"AND {path} < COALESCE((SELECT {upper} FROM pages_paths "
                             "WHERE pages_id = ?), '0')")
        return self._any(parts)

    def _path_upper(self, path: str) -> str:
        """The least path above every descendant of the page at `path`: its last "/" made "0"."""
        return self.db.concat_sql(f"SUBSTR({path}, 1, LENGTH({path}) - 1)", "'0'")


class Compiler:
    """Writes and caches the SQL of plans for one database."""

    def __init__(self, db: Database):
        self.db = db
        self._cache: dict[tuple, str] = {}
        self._matchable: frozenset[str] | None = None

    @property
    def matchable(self) -> frozenset[str]:
        """The fields whose substring finds a trigram index answers (cms.textindex; read once)."""
        if self._matchable is None:
            self._matchable = textindex.matchable(self.db)
        return self._matchable

    def _sql(self, key: tuple, write: Callable[[_Writer], str]) -> str:
        """The statement cached under `key`, written by `write` on first use (kept up to
        KEPT_SQL characters)."""
        sql = self._cache.get(key)
        if sql is None:
            sql = write(_Writer(self.db, self.matchable))
            if len(sql) > KEPT_SQL:
                return sql
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = sql
        return sql

    # -- public: statements and their parameters ---------------------------------------------
    def select(self, query: Query, limit: int | None, start: int) -> tuple[str, list[Any]]:
        """SELECT the ids of a page of matches, in order."""
        paged = limit is not None or start > 0
        sql = self._sql(("select", query.shape(), paged),
                        lambda writer: writer.select(query, keyset=0, paged=paged))
        params = self.params(query)
        if paged:
            params += [NO_LIMIT if limit is None else limit, start]
        return sql, params

    def count(self, query: Query) -> tuple[str, list[Any]]:
        """SELECT COUNT(*) of all matches (sort, limit and start do not apply)."""
        sql = self._sql(("count", query.shape()), lambda writer: writer.count(query))
        return sql, self.params(query)

    def count_by_parent(self, query: Query) -> tuple[str, list[Any]]:
        """SELECT each parent's id and its COUNT(*) of matches."""
        sql = self._sql(("count_by_parent", query.shape()),
                        lambda writer: writer.count(query, by_parent=True))
        return sql, self.params(query)

    def chunk(self, query: Query, after: tuple | None, offset: int, size: int) -> tuple[str, list[Any]]:
        """SELECT id and sort keys of the next `size` matches after the row whose keys are
        `after` (keyset pagination: each chunk costs the same however far the walk has come)."""
        nulls = None if after is None else tuple(v is None for v in after)
        sql = self._sql(("chunk", query.shape(), nulls),
                        lambda writer: writer.select(query, keyset=1 if after is None else 2,
                                                     paged=True, nulls=nulls))
        params = self.params(query)
        if after is not None:
            params += self._keyset_params(after)
        return sql, params + [size, offset]

    @staticmethod
    def _keyset_params(after: tuple) -> list[Any]:
        params: list[Any] = []
        equal: list[Any] = []
        for value in after:
            if value is not None:
                params += equal + [value]
                equal = equal + [value]
            else:
                params += equal
        return params

    # -- parameters, in the order _Writer's text consumes them ------------------------------
    def params(self, query: Query) -> list[Any]:
        out: list[Any] = []
        self._query_params(query, out)
        if len(out) > MAX_PARAMS:
            raise SelectorError(f"the selector has {len(out)} values; at most {MAX_PARAMS} fit "
                                "in one query", hint="find in several steps")
        return out

    def _query_params(self, query: Query, out: list[Any]) -> None:
        if query.threshold is not None:
            out.append(query.threshold)
        if query.access is not None and query.check_access:
            out.extend(query.access.templates)
            out.extend(query.access.trash_templates)
        self._node_params(query.where, out)

    def _node_params(self, node: Node, out: list[Any]) -> None:
        if isinstance(node, Leaf):
            self._leaf_params(node, out)
        elif isinstance(node, (AllOf, AnyOf)):
            for item in node.items:
                self._node_params(item, out)
        elif isinstance(node, Not):
            self._node_params(node.item, out)

    def _leaf_params(self, leaf: Leaf, out: list[Any]) -> None:
        target = leaf.target
        if isinstance(target, (RefColumn, Column)) and target.kind == "id":
            self._id_params(leaf.op, [v for v in leaf.values if v is not None], out)
        elif isinstance(target, Ancestors):
            for value in leaf.values:
                if isinstance(value, Query):
                    self._query_params(value, out)
                else:
                    out.extend((value, value[:-1] + "0") if isinstance(value, str) else (value, value))
        elif is_partial_date(leaf):
            out.extend(f"%{v}%" if leaf.op == "%=" else f"{v}%" for v in leaf.values)
        elif isinstance(target, Column) and target.kind == "name" and leaf.op in ORDER_OPS:
            out.extend(name_order(value) for value in leaf.values)
        else:
            exact = isinstance(target, FieldColumn) and not target.folded
            trigram = (isinstance(target, FieldColumn) and target.folded
                       and target.field in self.matchable)
            self._compare_params(leaf.op, [v for v in leaf.values if v is not None],
                                 target.kind == "datetime", out, exact, trigram)

    def _id_params(self, op: str, values: list[Any], out: list[Any]) -> None:
        if op != "=":
            out.extend(values)
            return
        out.extend(v for v in values if isinstance(v, int))
        out.extend(v.path for v in values if isinstance(v, PathRef))
        for value in values:
            if isinstance(value, Query):
                self._query_params(value, out)
            elif isinstance(value, (ParentsOf, ReferencedBy)):
                self._query_params(value.query, out)
            elif isinstance(value, TemplatesWith):
                out.append(value.field_id)

    def _compare_params(self, op: str, values: list[Any], dates: bool, out: list[Any],
                        exact: bool = False, trigram: bool = False) -> None:
        if dates:
            out.extend(self.db.dt_param(v) for v in values)
            return
        for value in values:
            if op == "%=":
                if trigram and len(value) >= textindex.MIN_LENGTH:
                    out.append(textindex.phrase(value))
                out.append(f"%{like_escape(value)}%")
                if exact:
                    out.append(literal_pattern(value))
            elif op == "%$=":
                out.append(f"%{like_escape(value)}")
                if exact:
                    out.append(literal_pattern(value) + "$")
            elif op == "%^=":
                self._prefix_params(value, out)
            elif isinstance(value, Phrase):
                lead = value.lead()
                if lead and value.junk is not None:
                    self._prefix_params(lead, out)
                    for low, high in value.junk:
                        out += (low, high)
                elif value.literal():
                    out.append(f"%{like_escape(value.literal())}%")
                out.append(value.accent_pattern() if value.accents else value.pattern())
            elif op == "~=":
                for word, pattern in value.terms():
                    out.append(f"%{like_escape(word)}%")
                    if pattern or exact:
                        out.append(pattern or literal_pattern(word))
            else:
                out.append(value)

    @staticmethod
    def _prefix_params(prefix: str, out: list[Any]) -> None:
        out.append(prefix)
        upper = prefix_upper(prefix)
        if upper is not None:
            out.append(upper)
