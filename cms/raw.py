"""`pages.find_raw()`: ProcessWire's `$pages->findRaw()`, stored values without Page objects.

An export, a JSON feed or a select list wants a few values of many pages. Loading the pages
to read them costs a Page object each and a statement per field read; here the pages are
found as `find_ids()` finds them (the selector, its sort and limit, the acting user's view
access) and the asked fields are read with their rows of `pages`, one statement per 500 pages
(bench/bench_pages.py times both).

The answer has findRaw's shapes:

    find_raw(sel, "title")                      {id: "Title", ...}
    find_raw(sel, ["title", "when"])            {id: {"title": ..., "when": ...}, ...}
    find_raw(sel, "title, when")                the same (a comma-separated string)
    find_raw(sel, {"title": "headline"})        {id: {"headline": ...}}: renamed
    find_raw(sel, "tags")                       {id: [ref id, ...]}: a Page field's ids, in order
    find_raw(sel, "tags.title")                 {id: {ref id: "Title", ...}}
    find_raw(sel, ["title", "tags.title"])      {id: {"title": ..., "tags": {ref id: {"title": ...}}}}
    find_raw(sel, {"tags": ["id", "title"]})    tags: {ref id: {"id": ..., "title": ...}}
    find_raw(sel, "parent.title")               {id: "Parent's title"}; in a list: "parent": {"title": ...}
    find_raw(sel, "template")                   the template's name ("template.id", "template.label")
    find_raw(sel)                               every column of `pages`, path, url and every field stored

Names are `pages`' columns (id, parent_id, templates_id, name, status, sort, created, modified,
created_users_id, modified_users_id), `path` and `url` (ProcessWire's with its PagePaths module,
always known here), fields, `field.subfield` for a Page field (any of these names, for the
referenced pages, dots again allowed: `tags.parent.title`), `parent.name`, `template.name`.
An unknown name is a ValidationError naming it, as findRaw's "Unknown name(s)".

As in ProcessWire (compared with 3.0.256's answers on the same pages): every page found has
an answer; a field a page does not store is left out of its dict (None for one name asked
alone, where ProcessWire says false); referenced pages and parents are read by id, whatever
their status or the user's access (raw values, like a Page field's value). `indexed=False`
gives a list in the find's order; `flat=True` (or a delimiter) gives `{"tags.title": {ref id:
...}}` instead of nesting.

Where it differs (ProcessWire's raw values are the database's text): values are what the
field reads (int, float, datetime in UTC, True for a checked Checkbox; a Password is masked);
`nulls=True` gives None for an asked field a page does not store; `template` alone is the
template's name (ProcessWire answers null, reading a property named ""); the `entities`, `objects`, `meta`,
`references` and `children` options and names, and fields named inside the selector
(`field=title`), are not offered: Jinja escapes on output, and `find()` gives objects.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .db.base import in_chunks
from .errors import ValidationError

if TYPE_CHECKING:
    from .fields import Field
    from .pages import Pages

# the names of `pages`' columns (and the path, url) and the SQL that reads each
NATIVE = {"id": "p.id", "parent_id": "p.parent_id", "templates_id": "p.templates_id", "name": "p.name",
          "status": "p.status", "sort": "p.sort", "created": "p.created", "modified": "p.modified",
          "created_users_id": "p.created_users_id", "modified_users_id": "p.modified_users_id",
          "path": "pp.path", "url": "pp.path"}
DATES = ("created", "modified")
JOINED_AT_ONCE = 30        # fields read beside `pages` in one statement (SQLite joins 64 tables)
Row = tuple                # the page's id, the columns asked of `pages`, then the fields' values
TEMPLATE_PROPERTIES = ("name", "id", "label")
UNSUPPORTED = ("meta", "references", "children")

Asked = str | Sequence[str] | Mapping[str, Any] | None    # find_raw's `fields`, in any of its forms
RawAnswer = dict[int, Any] | list[Any]


class RawFinder:
    """Stored values of the pages a selector finds, read with their rows of `pages`: one
    statement per 500 pages (and per Page field, holding several rows a page)."""

    def __init__(self, pages: Pages):
        self.pages = pages
        self.site = pages.site
        self.db = pages.db

    def find(self, selector: str, fields: Asked, *, indexed: bool = True, flat: bool | str = False,
             nulls: bool = False) -> RawAnswer:
        names, renames, single = requested(fields)
        values = self.values(self.pages.find_ids(selector), names, single, nulls)
        if renames:
            values = {i: {renames.get(k, k): v for k, v in row.items()} for i, row in values.items()}
        if flat and not single:
            sep = flat if isinstance(flat, str) else "."
            values = {i: flattened(row, sep) for i, row in values.items()}
        return values if indexed else list(values.values())

    def values(self, ids: list[int], names: list[str] | None, single: bool,
               nulls: bool = False) -> dict[int, Any]:
        """{id: answer} for `ids` in their order: each page's asked values, or all it stores
        (`names` None), or the one value when `single`."""
        if names is None:
            return self.everything(ids, nulls)
        heads: dict[str, list[str]] = {}
        for name in names:
            head, _, rest = name.partition(".")
            heads.setdefault(head, []).append(rest)
        # only the columns asked are read (each costs a Python object a page), and a field
        # holding one value a page is read with them, in the same statement
        natives = [head for head in heads if head in NATIVE]
        natives += [column for head, column in (("parent", "parent_id"), ("template", "templates_id"))
                    if head in heads and column not in natives]
        fields = {head: self.known_field(head, rests) for head, rests in heads.items()
                  if head not in NATIVE and head not in ("parent", "template")}
        rows, at = self.rows(ids, natives, [f for f in fields.values() if f.type.kind != "page"])
        columns: dict[str, dict[int, Any]] = {}       # answer key -> {page id: value}
        for head, rests in heads.items():
            one = single and len(rests) == 1
            if head in NATIVE:
                if any(rests):
                    raise unknown(f"{head}.{next(r for r in rests if r)}")
                columns[head] = self.column(rows, head, at[head])
            elif head == "parent":
                columns[head] = self.parents(rows, at["parent_id"], rests, one)
            elif head == "template":
                columns[head] = self.templates(rows, at["templates_id"], rests, one)
            elif fields[head].type.kind != "page":
                columns[head] = self.stored(rows, fields[head], at[head])
            else:
                columns[head] = self.references(fields[head], list(rows), rests, one)
        answers: dict[int, Any] = {}
        for page_id in rows:
            if single:
                answers[page_id] = next(iter(columns.values())).get(page_id)
            elif nulls:
                answers[page_id] = {key: found.get(page_id) for key, found in columns.items()}
            else:
                answers[page_id] = {key: found[page_id] for key, found in columns.items() if page_id in found}
        return answers

    def rows(self, ids: list[int], natives: list[str],
             fields: list[Field]) -> tuple[dict[int, Row], dict[str, int]]:
        """The pages among `ids` that exist, in their order, each a row of its id, the columns
        `natives` names and the fields' stored values (None for none); and where each name is
        in a row. One statement per 500 pages and 30 fields: a field table's row is found by
        the page, not by a list of its own."""
        at = {name: 1 + n for n, name in enumerate(natives)}
        at.update((field.name, 1 + len(natives) + n) for n, field in enumerate(fields))
        selected = "".join(", " + NATIVE[name] for name in natives)
        paths = " JOIN pages_paths pp ON pp.pages_id = p.id" if "pp." in selected else ""
        found: dict[int, Row] = {}
        for chunk, marks in in_chunks(ids):
            for first in range(0, max(len(fields), 1), JOINED_AT_ONCE):
                some = fields[first:first + JOINED_AT_ONCE]
                joins = "".join(f" LEFT JOIN {field.table} f{k} ON f{k}.pages_id = p.id"
                                for k, field in enumerate(some))
                values = "".join(f", f{k}.data" for k in range(len(some)))
                sql = f"SELECT p.id{selected}{values} FROM pages p{paths}{joins} WHERE p.id IN ({marks})"
                for row in self.db.all(sql, chunk):
                    found[row[0]] = found[row[0]] + row[1 + len(natives):] if first else row
        return {i: found[i] for i in ids if i in found}, at

    def column(self, rows: dict[int, Row], name: str, at: int) -> dict[int, Any]:
        """{page id: a column of `pages`} as the page reads it (dates as datetimes, in UTC)."""
        if name in DATES:
            dt = self.db.dt_value
            return {i: dt(row[at]) for i, row in rows.items()}
        return {i: row[at] for i, row in rows.items()}

    def stored(self, rows: dict[int, Row], field: Field, at: int) -> dict[int, Any]:
        """{page id: the value of `field`, read at column `at` of the rows} where one is stored."""
        read, db = field.type.from_db, self.db
        return {i: read(field, db, row[at]) for i, row in rows.items() if row[at] is not None}

    def everything(self, ids: list[int], nulls: bool) -> dict[int, Any]:
        """Every column and every field each page stores (its template's fields, in order)."""
        rows, at = self.rows(ids, list(NATIVE), [])
        by_template: dict[int, list[int]] = {}
        for page_id, row in rows.items():
            by_template.setdefault(row[at["templates_id"]], []).append(page_id)
        columns = {name: self.column(rows, name, at[name]) for name in NATIVE}
        answers = {i: {name: columns[name][i] for name in NATIVE} for i in rows}
        for template_id, some in by_template.items():
            fields = self.site.templates[template_id].fields
            stored_rows, stored_at = self.rows(some, [], [f for f in fields if f.type.kind != "page"])
            for field in fields:
                stored = (self.stored(stored_rows, field, stored_at[field.name]) if field.name in stored_at
                          else self.references(field, some, [""], False))
                for page_id in some:
                    if page_id in stored or nulls:
                        answers[page_id][field.name] = stored.get(page_id)
        return answers

    def references(self, field: Field, ids: list[int], rests: list[str], one: bool) -> dict[int, Any]:
        """{page id: the ids a Page field holds} for the pages among `ids` holding any, or
        (given subfields) the referenced pages' values by their ids."""
        refs: dict[int, list[int]] = self.pages.stored_values(field, ids)
        subfields = [rest for rest in rests if rest]
        if not subfields:
            return refs
        referenced = self.values(list(dict.fromkeys(r for ids_ in refs.values() for r in ids_)),
                                 subfields, one)
        values: dict[int, Any] = {}
        for page_id, ref_ids in refs.items():
            by_ref = {ref: referenced[ref] for ref in ref_ids if ref in referenced}
            # a single Page field asked for one subfield alone gives that value, as findRaw
            values[page_id] = (next(iter(by_ref.values()), None)
                               if one and not field.settings.get("multiple") else by_ref)
        return values

    def parents(self, rows: dict[int, Row], at: int, rests: list[str], one: bool) -> dict[int, Any]:
        """{page id: its parent's asked values} (`parent` alone: all the parent stores)."""
        parent_ids = list(dict.fromkeys(row[at] for row in rows.values() if row[at]))
        names = None if "" in rests else rests
        found = self.values(parent_ids, names, one and names is not None)
        return {i: found[row[at]] for i, row in rows.items() if row[at] in found}

    def templates(self, rows: dict[int, Row], at: int, rests: list[str], one: bool) -> dict[int, Any]:
        """{page id: its template's name (or id, label)}: one value, or a dict of those asked."""
        properties = [rest or "name" for rest in rests]
        for name in properties:
            if name not in TEMPLATE_PROPERTIES:
                raise unknown(f"template.{name}")
        values = {}
        for page_id, row in rows.items():
            template = self.site.templates[row[at]]
            asked = {name: getattr(template, name) for name in properties}
            values[page_id] = asked[properties[0]] if one else asked
        return values

    def known_field(self, name: str, rests: list[str]) -> Field:
        """The field `name` names, its subfields checked: only a Page field's name a page's
        fields (a value's own `data` is the value)."""
        if name in UNSUPPORTED:
            raise ValidationError(f"find_raw: {name!r} is not offered here (ProcessWire's findRaw "
                                  "has it); see cms/raw.py", field=name, rule="supported")
        field = self.site.fields.get(name)
        if field is None:
            raise unknown(name)
        extra = [rest for rest in rests if rest not in ("", "data")]
        if extra and field.type.kind != "page":
            raise unknown(f"{name}.{extra[0]}")
        return field


def requested(fields: Asked) -> tuple[list[str] | None, dict[str, str], bool]:
    """(the names asked, None for all; their new names; whether one value per page is asked)
    from find_raw's `fields` argument in any of its forms."""
    if fields is None or fields == "" or (not isinstance(fields, str) and not fields):
        return None, {}, False
    if isinstance(fields, str):
        names = [name.strip() for name in fields.split(",") if name.strip()]
        return names, {}, "," not in fields
    renames: dict[str, str] = {}
    names = []
    items = fields.items() if isinstance(fields, Mapping) else ((name, None) for name in fields)
    for name, value in items:
        if not isinstance(name, str) or not name.strip():
            raise ValidationError(f"find_raw: a field name must be text, not {name!r}",
                                  field=str(name), rule="name")
        name = name.strip()
        if value is None:
            names.append(name)
        elif isinstance(value, str):
            if "." in name:
                raise ValidationError(f"find_raw: rename a whole name, not {name!r} (the answer "
                                      "nests it under its first part)", field=name, rule="rename")
            names.append(name)
            renames[name] = value
        elif isinstance(value, Sequence) and all(isinstance(sub, str) and sub.strip() for sub in value):
            names += [f"{name}.{sub.strip()}" for sub in value]
        else:
            raise ValidationError(f"find_raw: {name!r} maps to {value!r}; give a new name or a list "
                                  "of subfield names", field=name, rule="name")
    return names, renames, False


def flattened(row: dict[Any, Any], sep: str, prefix: str = "") -> dict[str, Any]:
    """`{"tags": {12: {"title": t}}, "parent": {"name": n}}` as `{"tags.title": {12: t},
    "parent.name": n}`: findRaw's `flat` option."""
    flat: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, dict) and value and all(isinstance(k, str) for k in value):
            flat.update(flattened(value, sep, f"{prefix}{key}{sep}"))
        elif (isinstance(value, dict) and value and all(isinstance(k, int) for k in value)
              and all(isinstance(v, dict) for v in value.values())):
            for ref, sub in value.items():
                for sub_key, sub_value in flattened(sub, sep).items():
                    flat.setdefault(f"{prefix}{key}{sep}{sub_key}", {})[ref] = sub_value
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def unknown(name: str) -> ValidationError:
    return ValidationError(f"find_raw: unknown field or property {name!r}", field=name, rule="exists")
