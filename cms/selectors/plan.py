"""Selector trees -> plans: every name and value resolved against the site, ready to compile.

A plan says *what* matches in terms both the SQL compiler and the plain-Python reference
evaluator read, so the two can be compared on random trees. Its nodes are small frozen
dataclasses; `shape()` gives the structure without the values, the key under which the compiled
SQL is cached.

Meaning (ProcessWire's, with the choices it leaves open written down here):

- Every page has a value for every field: the stored one, or the blank one when no row is
  stored. Blank is "" for text, 0 for numbers (so `qty=`, `qty=0` and `qty<5` match pages with
  no row, as ProcessWire's zero-is-empty rule does) and "no date" for dates (a missing date
  matches `date=` and `date!=x`, never `<` or `>`).
- `a!=x` is `!a=x`: true when no field matches any value. `a|b*=x|y`: any field, any value.
- Text compares `casefold(stored) op casefold(value)`, by code point, on every engine.
  `*=` and `%=` are substrings (LIKE wildcards in the value are literal characters), `^=`
  and `$=` prefix and suffix. `~=` ("contains all the words") matches when every word of the
  value is a whole word of the text, in any order.
- Words (`~=`): a word is a maximal run of characters that are neither whitespace (the 29
  characters Python's `str.isspace()` names, such as space, tab, newline and no-break space)
  nor ASCII punctuation (`string.punctuation`: the 32 printable ASCII characters other than
  letters, digits and space, "_" and "'" included). Text and value are split by
  this one rule after casefolding: "foo" is a word of "a foo, b" and of "foo-bar" but not of
  "foobar"; "c++" is the word "c". Every other character, letters of any script included,
  is part of a word (so "l’été" with a typographic apostrophe is one word). A value with no
  word (`~=--`) matches nothing.
- `status=x` tests the bit(s) x (names such as hidden allowed); `<`, `>` compare the number.
  Without `include=`, the highest status named in a non-negated top-level status condition
  raises the status filter as ProcessWire's does (`status=hidden` finds hidden pages).
- `parent.f op v`: the parent matches `f op v`. `ref.f op v`: some referenced page does.
  `ref=[...]`, `parent=[...]`, `id=[...]`: sub-selectors, with their own status filter.
- OR-groups `(a), (b)` (and each named set `n=(a), n=(b)`): at least one group matches. They
  are filtered only by the status filter of the selector around them, as in ProcessWire.
"""
from __future__ import annotations

import difflib
import re
import string
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Union

from ..errors import SelectorError
from .dates import DateValueError, is_relative, parse_date
from .parser import Condition, Group, Selector, Value

if TYPE_CHECKING:
    from ..site import Site

STATUS_NAMES = {"on": 1, "locked": 4, "system_id": 8, "systemid": 8, "system": 16, "unique": 32,
                "draft": 64, "hidden": 1024, "unpublished": 2048, "trash": 8192, "deleted": 16384}
STATUS_HIDDEN, STATUS_UNPUBLISHED, STATUS_TRASH = 1024, 2048, 8192
# include= -> pages admitted have status below this (None: every page).
INCLUDE = {"hidden": 2048, "unpublished": 8192, "trash": 16384, "all": None}
DEFAULT_THRESHOLD = STATUS_HIDDEN
INT_LIMIT = 2 ** 63 - 1
TEXT_OPERATORS = frozenset(("=", "<", ">", "<=", ">=", "*=", "%=", "^=", "$=", "~="))
ORDER_OPERATORS = frozenset(("=", "<", ">", "<=", ">="))
META_KEYS = ("sort", "limit", "start", "include", "check_access")
KEYS = ("id", "parent", "parent_id", "has_parent", "template", "templates_id", "name", "path",
        "status", "created", "modified", "created_users_id", "modified_users_id", "num_children",
        *META_KEYS)
# The word rule of `~=` (see the module docstring); the SQL compiler builds its patterns from it.
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
              "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
WORD_SEPARATORS = WHITESPACE + string.punctuation
WORD_SPLIT = re.compile("[" + re.escape(WORD_SEPARATORS) + "]+")
MAX_SORTS = 10


# -- targets: what a condition compares --------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Column:
    """A column of `pages`. kind: "int", "id" (a page id: values may be paths or sub-selectors),
    "datetime" or "name"."""

    name: str
    kind: str


@dataclass(frozen=True, slots=True)
class PathColumn:
    """The page's path ("/a/b/") from pages_paths."""

    kind: str = "path"


@dataclass(frozen=True, slots=True)
class FieldColumn:
    """A single-valued field (one row or none per page). kind: text, int, float, datetime."""

    field: str
    table: str
    kind: str
    folded: bool


@dataclass(frozen=True, slots=True)
class RefColumn:
    """A Page field: zero or more rows (pages_id, data=referenced id, sort) per page."""

    field: str
    table: str
    kind: str = "id"


@dataclass(frozen=True, slots=True)
class StatusColumn:
    kind: str = "int"


@dataclass(frozen=True, slots=True)
class ChildCount:
    """How many children a page has, whatever their status (num_children)."""

    kind: str = "int"


@dataclass(frozen=True, slots=True)
class Ancestors:
    """has_parent: a page is below the page given (at any depth, never itself)."""

    kind: str = "id"


Target = Union[Column, PathColumn, FieldColumn, RefColumn, StatusColumn, ChildCount, Ancestors]


# -- values -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PathRef:
    """The id of the page at this path, looked up by the database inside the same query."""

    path: str


@dataclass(frozen=True, slots=True)
class Words:
    """The words of a `~=` value, each of which must be a word of the text."""

    words: tuple[str, ...]


# -- nodes ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Leaf:
    """`target op value` for any of `values`. `blank`: a page storing no value matches too."""

    target: Target
    op: str
    values: tuple[Any, ...]
    blank: bool = False

    def shape(self) -> tuple:
        return ("L", self.target, self.op, tuple(value_shape(self.op, v) for v in self.values),
                self.blank)


@dataclass(frozen=True, slots=True)
class AllOf:
    items: tuple[Node, ...]

    def shape(self) -> tuple:
        return ("A", *(item.shape() for item in self.items))


@dataclass(frozen=True, slots=True)
class AnyOf:
    items: tuple[Node, ...]

    def shape(self) -> tuple:
        return ("O", *(item.shape() for item in self.items))


@dataclass(frozen=True, slots=True)
class Not:
    item: Node

    def shape(self) -> tuple:
        return ("N", self.item.shape())


Node = Union[Leaf, AllOf, AnyOf, Not]


@dataclass(frozen=True, slots=True)
class Sort:
    target: Target
    desc: bool


@dataclass(frozen=True, slots=True)
class Query:
    """What to find: pages matching `where` with status below `threshold` (None: any), ordered
    by `sorts` then id (in the direction of the last sort), `start` and `limit` applied.

    `check_access` is False for `check_access=0` and `include=all` (as ProcessWire); `access`
    is the acting user's view filter (cms.access.ViewFilter), put in by the engine per call.
    """

    where: Node
    threshold: int | None
    sorts: tuple[Sort, ...] = ()
    limit: int | None = None
    start: int = 0
    check_access: bool = True
    access: Any = None

    def shape(self) -> tuple:
        access = None if self.access is None else (self.access.exclude, len(self.access.templates))
        return (self.where.shape(), self.threshold is not None, self.sorts, access)


def words(text: str) -> tuple[str, ...]:
    """The words of `text` by the `~=` rule, in order ("a foo, b-c" -> a, foo, b, c)."""
    return tuple(word for word in WORD_SPLIT.split(text) if word)


def value_shape(op: str, value: Any) -> Any:
    if isinstance(value, Query):
        return ("Q", value.shape())
    if isinstance(value, Words):
        return ("W", len(value.words))
    if op == "^=" and isinstance(value, str):
        return ("^", prefix_upper(value) is not None)
    if value is None:
        return None
    return type(value).__name__


def prefix_upper(prefix: str) -> str | None:
    """The least string above every string that starts with `prefix` (None: no such bound).

    Strings starting with P are exactly those in [P, upper) in code point order, which is the
    byte order of UTF-8 that every engine's binary collation uses: a prefix match is an index
    range instead of a LIKE scan.
    """
    text = prefix
    while text:
        code = ord(text[-1]) + 1
        if code == 0xD800:
            code = 0xE000
        if code <= 0x10FFFF:
            return text[:-1] + chr(code)
        text = text[:-1]
    return None


def compare(op: str, stored: Any, value: Any) -> bool:
    """Whether a page's (effective) value satisfies `op value`: the meaning of each operator."""
    if op == "=":
        return stored == value
    if op == "&":
        return stored is not None and (stored & value) != 0
    if stored is None or value is None:
        return False
    if op == "<":
        return stored < value
    if op == ">":
        return stored > value
    if op == "<=":
        return stored <= value
    if op == ">=":
        return stored >= value
    if op in ("*=", "%="):
        return value in stored
    if op == "^=":
        return stored.startswith(value)
    if op == "$=":
        return stored.endswith(value)
    if op == "~=":
        return bool(value.words) and set(value.words) <= set(words(stored))
    raise AssertionError(op)


BLANK = {"text": "", "int": 0, "float": 0.0, "datetime": None}
SORT_KEYS: dict[str, Target] = {
    "id": Column("id", "id"), "name": Column("name", "name"), "status": Column("status", "int"),
    "sort": Column("sort", "int"), "created": Column("created", "datetime"),
    "modified": Column("modified", "datetime"), "template": Column("templates_id", "id"),
    "templates_id": Column("templates_id", "id"), "parent": Column("parent_id", "id"),
    "parent_id": Column("parent_id", "id"), "created_users_id": Column("created_users_id", "int"),
    "modified_users_id": Column("modified_users_id", "int"), "path": PathColumn(),
    "num_children": ChildCount(),
}


# -- the planner ----------------------------------------------------------------------------------
class Planner:
    """Resolves parsed selectors against the site's fields and templates.

    One Planner serves one call: `now` is fixed for it, so "today" means one moment throughout.
    """

    def __init__(self, site: Site, now: datetime | None = None):
        self.site = site
        self.now = now or datetime.now(timezone.utc)
        self._operator_at = 0    # where the operator of the condition being planned stands
        # What the plan was resolved against, so a cached plan can be checked cheaply: a field
        # or template re-created since is another object. `volatile`: it uses "now".
        self.depends: list[tuple[str, str | int, Any]] = []
        self.volatile = False

    # -- errors ------------------------------------------------------------------------------
    @staticmethod
    def error(tree: Selector, message: str, position: int, token: str = "", hint: str = "") -> SelectorError:
        return SelectorError(message, selector=tree.text, position=position, token=token, hint=hint)

    # -- top level ---------------------------------------------------------------------------
    def query(self, trees: list[Selector]) -> Query:
        """The plan for selectors given together (a base such as "parent_id=5", then the caller's)."""
        return self._query(trees, top=True)

    def _query(self, trees: list[Selector], top: bool) -> Query:
        nodes: list[Node] = []
        groups: dict[str, list[Node]] = {}
        sorts: list[Sort] = []
        limit: int | None = None
        start = 0
        include: str | None = None
        check_access = True
        max_status: int | None = None
        has_parent_key = False
        for tree in trees:
            for item in tree.items:
                if isinstance(item, Group):
                    groups.setdefault(item.name, []).append(self.group(tree, item))
                    continue
                key = item.fields[0]
                if key in META_KEYS:
                    self.check_meta(tree, item, top)
                    if key == "sort":
                        sorts += [self.sort(tree, value) for value in item.values]
                        if len(sorts) > MAX_SORTS:
                            raise self.error(tree, f"more than {MAX_SORTS} sort keys",
                                             item.position, "sort")
                    elif key == "limit":
                        limit = self.count_value(tree, item) or None
                    elif key == "start":
                        start = self.count_value(tree, item)
                    elif key == "include":
                        include = self.include_value(tree, item)
                    else:
                        check_access = self.count_value(tree, item) != 0   # check_access=0|1
                    continue
                node = self.condition(tree, item)
                nodes.append(node)
                if key == "status" and len(item.fields) == 1:
                    max_status = self.status_ceiling(item, node, max_status)
                if key in ("parent", "parent_id") and not item.negated and item.operator == "=":
                    has_parent_key = True
        for members in groups.values():
            nodes.append(members[0] if len(members) == 1 else AnyOf(tuple(members)))
        where: Node = nodes[0] if len(nodes) == 1 else AllOf(tuple(nodes))
        if not top:
            return Query(where, self.threshold(include, max_status))
        if not sorts and has_parent_key:
            sorts = [Sort(Column("sort", "int"), False)]
        return Query(where, self.threshold(include, max_status), tuple(sorts), limit, start,
                     check_access=check_access and include != "all")

    @staticmethod
    def threshold(include: str | None, max_status: int | None) -> int | None:
        if include is not None:
            return INCLUDE[include]
        if max_status is None or max_status < STATUS_HIDDEN:
            return DEFAULT_THRESHOLD
        if max_status < STATUS_UNPUBLISHED:
            return STATUS_UNPUBLISHED
        if max_status < STATUS_TRASH:
            return STATUS_TRASH
        return None

    @staticmethod
    def status_ceiling(item: Condition, node: Node, current: int | None) -> int | None:
        """ProcessWire raises the status filter to admit the statuses a selector asks for."""
        if item.negated or item.operator == "!=" or not isinstance(node, Leaf):
            return current
        for value in node.values:
            if current is None or value > current:
                current = value
        return current

    def group(self, tree: Selector, group: Group) -> Node:
        for item in group.selector.items:
            if isinstance(item, Condition) and item.fields[0] in META_KEYS:
                raise self.error(tree, f"{item.fields[0]}= is not allowed inside an OR-group",
                                 item.position, item.fields[0],
                                 "put sort, limit, start and include outside the parentheses")
        return self._query([group.selector], top=False).where

    def check_meta(self, tree: Selector, item: Condition, top: bool) -> None:
        key = item.fields[0]
        if len(item.fields) > 1:
            raise self.error(tree, f"{key} cannot be combined with other fields", item.position, key)
        if item.operator != "=" or item.negated:
            raise self.error(tree, f"{key} takes '=' only", item.position, key,
                             f"write {key}=value")
        if not top and key != "include" and key != "check_access":
            raise self.error(tree, f"{key}= is not allowed in a sub-selector", item.position, key,
                             "sort, limit and start apply to the outer selector only")
        if key != "sort" and len(item.values) > 1:
            raise self.error(tree, f"{key} takes one value", item.values[1].position, key)
        for value in item.values:
            if value.sub is not None:
                raise self.error(tree, f"{key} does not take a sub-selector", value.position, value.text)

    def count_value(self, tree: Selector, item: Condition) -> int:
        value = item.values[0]
        text = value.text.strip()
        if not text.isdigit() or not text.isascii() or len(text) > 12:
            raise self.error(tree, f"{item.fields[0]} must be a whole number of 0 or more",
                             value.position, text)
        return int(text)

    def include_value(self, tree: Selector, item: Condition) -> str:
        value = item.values[0]
        text = value.text.strip().lower()
        if text not in INCLUDE:
            raise self.error(tree, f"unknown include={value.text!r}", value.position, value.text,
                             "use include=hidden, unpublished, trash or all")
        return text

    def sort(self, tree: Selector, value: Value) -> Sort:
        text = value.text.strip()
        desc = text.startswith("-")
        name = text[1:].strip() if desc else text
        target: Target | None = SORT_KEYS.get(name)
        if target is None:
            if name == "random":
                raise self.error(tree, "sort=random is not supported", value.position, text,
                                 "sort by a field, or shuffle the ids in Python")
            field = self.field(tree, name, value.position, what="sort field")
            target = self.field_target(tree, field, value.position)
        return Sort(target, desc)

    # -- conditions --------------------------------------------------------------------------
    def condition(self, tree: Selector, item: Condition) -> Node:
        op = {"%^=": "^=", "%$=": "$="}.get(item.operator, item.operator)
        negate = item.negated
        self._operator_at = item.operator_position
        if op == "!=":
            op, negate = "=", not negate
        leaves = [self.leaf(tree, name, op, item.values, position)
                  for name, position in zip(item.fields, item.field_positions)]
        node: Node = leaves[0] if len(leaves) == 1 else AnyOf(tuple(leaves))
        return Not(node) if negate else node

    def leaf(self, tree: Selector, name: str, op: str, values: tuple[Value, ...], position: int) -> Node:
        if "." in name:
            return self.related(tree, name, op, values, position)
        if name in META_KEYS:
            raise self.error(tree, f"{name} cannot be combined with other fields", position, name)
        if name == "id":
            return self.id_leaf(tree, Column("id", "id"), name, op, values)
        if name in ("parent", "parent_id"):
            return self.id_leaf(tree, Column("parent_id", "id"), name, op, values)
        if name in ("template", "templates_id"):
            return self.template_leaf(tree, op, values)
        if name == "has_parent":
            return self.has_parent_leaf(tree, op, values)
        if name == "status":
            return self.status_leaf(tree, op, values)
        if name in ("name", "path"):
            target: Target = Column("name", "name") if name == "name" else PathColumn()
            return self.text_leaf(tree, target, name, op, values)
        if name in ("created", "modified"):
            return self.ordered_leaf(tree, Column(name, "datetime"), name, op, values)
        if name in ("created_users_id", "modified_users_id"):
            return self.ordered_leaf(tree, Column(name, "int"), name, op, values)
        if name == "num_children":
            return self.ordered_leaf(tree, ChildCount(), name, op, values)
        field = self.field(tree, name, position)
        target = self.field_target(tree, field, position)
        if isinstance(target, RefColumn):
            return self.id_leaf(tree, target, name, op, values)
        if target.kind == "text":
            return self.text_leaf(tree, target, name, op, values)
        return self.ordered_leaf(tree, target, name, op, values)

    def related(self, tree: Selector, name: str, op: str, values: tuple[Value, ...], position: int) -> Node:
        """`parent.f` and `ref.f`: a sub-plan run on the parent or on the referenced pages."""
        head, rest = name.split(".", 1)
        inner = self.leaf(tree, rest, op, values, position + len(head) + 1)
        sub = Query(inner, None)
        if head == "parent":
            return Leaf(Column("parent_id", "id"), "=", (sub,))
        field = self.field(tree, head, position)
        target = self.field_target(tree, field, position)
        if not isinstance(target, RefColumn):
            raise self.error(tree, f"field {head!r} has no subfields", position, name,
                             "subfields work on parent (parent.title) and on Page fields "
                             "(ref.title)")
        return Leaf(target, "=", (sub,))

    def field(self, tree: Selector, name: str, position: int, what: str = "field") -> Any:
        field = self.site.fields.get(name)
        if field is None:
            candidates = list(KEYS) + ["parent.<field>"] + [f.name for f in self.site.fields]
            close = difflib.get_close_matches(name, candidates, n=1)
            hint = f"did you mean {close[0]!r}?" if close else \
                "known: " + ", ".join(sorted(f.name for f in self.site.fields) + list(KEYS[:14]))
            raise self.error(tree, f"unknown {what} {name!r}", position, name, hint)
        self.depends.append(("fields", name, field))
        if field.type.name == "Password":
            raise self.error(tree, f"field {name!r} cannot be used in selectors", position, name,
                             "password hashes are never searchable")
        return field

    def field_target(self, tree: Selector, field: Any, position: int) -> FieldColumn | RefColumn:
        kind = field.type.kind
        if kind == "page":
            return RefColumn(field.name, field.table)
        if kind not in BLANK:
            raise self.error(tree, f"field {field.name!r} ({field.type.name}) cannot be used in "
                             "selectors", position, field.name)
        return FieldColumn(field.name, field.table, kind, bool(field.type.folded))

    # -- kinds of leaves ---------------------------------------------------------------------
    def wrong_operator(self, tree: Selector, name: str, op: str, allowed: str) -> SelectorError:
        return self.error(tree, f"operator {op} does not apply to {name}", self._operator_at,
                          op, f"{name} takes {allowed}")

    def id_leaf(self, tree: Selector, target: Column | RefColumn, name: str, op: str,
                values: tuple[Value, ...]) -> Leaf:
        """Page ids: numbers, paths ("/a/b/") and sub-selectors ([...])."""
        is_ref = isinstance(target, RefColumn)
        if op not in ORDER_OPERATORS:
            raise self.wrong_operator(tree, name, op, "= != < > <= >=")
        out: list[Any] = []
        for value in values:
            text = value.text.strip()
            if value.sub is not None:
                if op != "=":
                    raise self.error(tree, f"a sub-selector needs = or != on {name}", value.position, text)
                out.append(self._query([value.sub], top=False))
            elif text.startswith("/"):
                if op != "=":
                    raise self.error(tree, f"a path needs = or != on {name}", value.position, text)
                out.append(PathRef(normal_path(text)))
            elif is_ref and text in ("", "0") and op == "=":
                out.append(None)      # no page referenced
            else:
                out.append(self.integer(tree, name, value))
        return Leaf(target, op, tuple(out))

    def template_leaf(self, tree: Selector, op: str, values: tuple[Value, ...]) -> Leaf:
        if op != "=":
            raise self.wrong_operator(tree, "template", op, "= and != only")
        ids = []
        for value in values:
            text = value.text.strip()
            if value.sub is not None:
                raise self.error(tree, "template does not take a sub-selector", value.position, text)
            key: str | int = int(text) if text.isdigit() and text.isascii() and len(text) < 12 else text
            template = self.site.templates.get(key) if text else None
            if template is None:
                names = [t.name for t in self.site.templates]
                close = difflib.get_close_matches(text, names, n=1)
                raise self.error(tree, f"unknown template {text!r}", value.position, text,
                                 f"did you mean {close[0]!r}?" if close else
                                 "known: " + ", ".join(sorted(names)))
            self.depends.append(("templates", key, template))
            ids.append(template.id)
        return Leaf(Column("templates_id", "id"), "=", tuple(ids))

    def has_parent_leaf(self, tree: Selector, op: str, values: tuple[Value, ...]) -> Leaf:
        if op != "=":
            raise self.wrong_operator(tree, "has_parent", op, "= and != only")
        out: list[Any] = []
        for value in values:
            text = value.text.strip()
            if value.sub is not None:
                raise self.error(tree, "has_parent takes page ids or paths", value.position, text,
                                 "write has_parent=/a/b/ or has_parent=123")
            out.append(normal_path(text) if text.startswith("/") else self.integer(tree, "has_parent", value))
        return Leaf(Ancestors(), "=", tuple(out))

    def status_leaf(self, tree: Selector, op: str, values: tuple[Value, ...]) -> Leaf:
        if op not in ORDER_OPERATORS:
            raise self.wrong_operator(tree, "status", op, "= != < > <= >=")
        out = []
        for value in values:
            text = value.text.strip().lower()
            if text in STATUS_NAMES:
                out.append(STATUS_NAMES[text])
            elif value.sub is None and text.isdigit() and text.isascii() and len(text) < 12:
                out.append(int(text))
            else:
                raise self.error(tree, f"unknown status {value.text!r}", value.position, value.text,
                                 "use a number or one of " + ", ".join(STATUS_NAMES))
        # '=' tests bits, as ProcessWire's status selector does.
        return Leaf(StatusColumn(), "&" if op == "=" else op, tuple(out))

    def text_leaf(self, tree: Selector, target: Target, name: str, op: str,
                  values: tuple[Value, ...]) -> Leaf:
        if op not in TEXT_OPERATORS:
            raise self.wrong_operator(tree, name, op, "= != < > <= >= *= ~= ^= $= %=")
        folded = not isinstance(target, FieldColumn) or target.folded
        out: list[Any] = []
        for value in values:
            if value.sub is not None:
                raise self.error(tree, f"{name} does not take a sub-selector", value.position, value.text,
                                 "sub-selectors [...] work on Page fields, parent and id")
            text = value.text.casefold() if folded else value.text
            if isinstance(target, PathColumn) and op == "=" and text:
                text = normal_path(text)
            out.append(Words(words(text)) if op == "~=" else text)
        leaf_values = tuple(out)
        blank = isinstance(target, FieldColumn) and any(compare(op, "", v) for v in leaf_values)
        return Leaf(target, op, leaf_values, blank)

    def ordered_leaf(self, tree: Selector, target: Target, name: str, op: str,
                     values: tuple[Value, ...]) -> Leaf:
        """Numbers and dates: = != < > <= >=."""
        if op not in ORDER_OPERATORS:
            raise self.wrong_operator(tree, name, op, "= != < > <= >= (it is not text)")
        kind = target.kind
        out: list[Any] = []
        for value in values:
            text = value.text.strip()
            if value.sub is not None:
                raise self.error(tree, f"{name} does not take a sub-selector", value.position, text)
            if kind == "datetime":
                if not text and isinstance(target, FieldColumn):
                    out.append(None)
                    continue
                self.volatile = self.volatile or is_relative(text)
                try:
                    out.append(parse_date(text, self.now))
                except DateValueError as exc:
                    raise self.error(tree, str(exc), value.position, text) from None
            elif not text and isinstance(target, FieldColumn):
                out.append(BLANK[kind])
            elif kind == "float":
                out.append(self.number(tree, name, value, floats=True))
            else:
                out.append(self.number(tree, name, value, floats=isinstance(target, FieldColumn)))
        leaf_values = tuple(out)
        blank = False
        if isinstance(target, FieldColumn):
            blank = any(compare(op, BLANK[kind], v) for v in leaf_values)
        return Leaf(target, op, leaf_values, blank)

    # -- values ------------------------------------------------------------------------------
    def integer(self, tree: Selector, name: str, value: Value) -> int:
        number = self.number(tree, name, value, floats=False)
        assert isinstance(number, int)
        return number

    def number(self, tree: Selector, name: str, value: Value, floats: bool) -> int | float:
        text = value.text.strip()
        try:
            number: int | float = int(text)
        except ValueError:
            number = self._float(text) if floats else None   # type: ignore[assignment]
        if number is None:
            raise self.error(tree, f"{name} needs a {'number' if floats else 'whole number'}, "
                             f"not {value.text!r}", value.position, value.text)
        if abs(number) > INT_LIMIT:
            raise self.error(tree, f"{name}: {value.text!r} is out of range", value.position, value.text)
        return number

    @staticmethod
    def _float(text: str) -> float | None:
        try:
            number = float(text)
        except ValueError:
            return None
        return number if number == number and abs(number) != float("inf") else None


def normal_path(text: str) -> str:
    """ "/a/b", "/a/b/" -> "/a/b/" (paths are lowercase, as page names are)."""
    path = text.strip().casefold()
    if not path.startswith("/"):
        path = "/" + path
    if not path.endswith("/"):
        path += "/"
    return path
