"""`pages.find_raw()`: ProcessWire's `$pages->findRaw()`, stored values without Page objects.

An export, a JSON feed or a select list wants a few values of many pages. Loading each page
to read them costs a Page object and a statement per page and field read; here the pages are
found as `find_ids()` finds them (the selector, its sort and limit, the acting user's view
access) and each asked field is read for all of them in one statement per 500 pages.

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

NATIVE = ("id", "parent_id", "templates_id", "name", "status", "sort", "created", "modified",
          "created_users_id", "modified_users_id", "path", "url")
NATIVE_SQL = ("SELECT p.id, p.parent_id, p.templates_id, p.name, p.status, p.sort, p.created, "
              "p.modified, p.created_users_id, p.modified_users_id, pp.path FROM pages p "
              "JOIN pages_paths pp ON pp.pages_id = p.id WHERE p.id IN ({marks})")
TEMPLATE_PROPERTIES = ("name", "id", "label")
UNSUPPORTED = ("meta", "references", "children")

Asked = str | Sequence[str] | Mapping[str, Any] | None    # find_raw's `fields`, in any of its forms
RawAnswer = dict[int, Any] | list[Any]


class RawFinder:
    """Stored values of the pages a selector finds, read a field at a time for all of them."""

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
        natives = self.natives(ids)
        if names is None:
            return self.everything(natives, nulls)
        columns: dict[str, dict[int, Any]] = {}       # answer key -> {page id: value}
        heads: dict[str, list[str]] = {}
        for name in names:
            head, _, rest = name.partition(".")
            heads.setdefault(head, []).append(rest)
        for head, rests in heads.items():
            one = single and len(rests) == 1
            if head in NATIVE:
                if any(rests):
                    raise unknown(f"{head}.{next(r for r in rests if r)}")
                columns[head] = {i: row[head] for i, row in natives.items()}
            elif head == "parent":
                columns[head] = self.parents(natives, rests, one)
            elif head == "template":
                columns[head] = self.templates(natives, rests, one)
            else:
                columns[head] = self.field(self.known_field(head), list(natives), rests, one)
        answers: dict[int, Any] = {}
        for page_id in natives:
            if single:
                answers[page_id] = next(iter(columns.values())).get(page_id)
            elif nulls:
                answers[page_id] = {key: found.get(page_id) for key, found in columns.items()}
            else:
                answers[page_id] = {key: found[page_id] for key, found in columns.items() if page_id in found}
        return answers

    def natives(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        """`pages`' columns (and path, url) of the pages that exist among `ids`, in their order."""
        dt = self.db.dt_value
        found: dict[int, dict[str, Any]] = {}
        for chunk, marks in in_chunks(ids):
            for row in self.db.all(NATIVE_SQL.format(marks=marks), chunk):
                found[row[0]] = dict(zip(NATIVE, (*row[:6], dt(row[6]), dt(row[7]), *row[8:], row[10])))
        return {i: found[i] for i in ids if i in found}

    def everything(self, natives: dict[int, dict[str, Any]], nulls: bool) -> dict[int, Any]:
        """Every column and every field each page stores (its template's fields, in order)."""
        by_template: dict[int, list[int]] = {}
        for page_id, row in natives.items():
            by_template.setdefault(row["templates_id"], []).append(page_id)
        answers = {i: dict(row) for i, row in natives.items()}
        for template_id, ids in by_template.items():
            for field in self.site.templates[template_id].fields:
                stored = self.field(field, ids, [""], False)
                for page_id in ids:
                    if page_id in stored or nulls:
                        answers[page_id][field.name] = stored.get(page_id)
        return answers

    def field(self, field: Field, ids: list[int], rests: list[str], one: bool) -> dict[int, Any]:
        """{page id: the field's value} for the pages among `ids` storing one; for a Page field
        its ids, or (given subfields) the referenced pages' values by id."""
        table = field.table
        if field.type.kind != "page":
            extra = [rest for rest in rests if rest not in ("", "data")]
            if extra:
                raise unknown(f"{field.name}.{extra[0]}")
            read = field.type.from_db
            return {page_id: read(field, self.db, data)
                    for chunk, marks in in_chunks(ids)
                    for page_id, data in self.db.all(
                        f"SELECT pages_id, data FROM {table} WHERE pages_id IN ({marks})", chunk)}
        refs: dict[int, list[int]] = {}
        for chunk, marks in in_chunks(ids):
            for page_id, ref in self.db.all(f"SELECT pages_id, data FROM {table} WHERE pages_id "
                                            f"IN ({marks}) ORDER BY pages_id, sort", chunk):
                refs.setdefault(page_id, []).append(ref)
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

    def parents(self, natives: dict[int, dict[str, Any]], rests: list[str], one: bool) -> dict[int, Any]:
        """{page id: its parent's asked values} (`parent` alone: all the parent stores)."""
        parent_ids = list(dict.fromkeys(row["parent_id"] for row in natives.values() if row["parent_id"]))
        names = None if "" in rests else rests
        found = self.values(parent_ids, names, one and names is not None)
        return {i: found[row["parent_id"]] for i, row in natives.items() if row["parent_id"] in found}

    def templates(self, natives: dict[int, dict[str, Any]], rests: list[str], one: bool) -> dict[int, Any]:
        """{page id: its template's name (or id, label)}: one value, or a dict of those asked."""
        properties = [rest or "name" for rest in rests]
        for name in properties:
            if name not in TEMPLATE_PROPERTIES:
                raise unknown(f"template.{name}")
        values = {}
        for page_id, row in natives.items():
            template = self.site.templates[row["templates_id"]]
            asked = {name: getattr(template, name) for name in properties}
            values[page_id] = asked[properties[0]] if one else asked
        return values

    def known_field(self, name: str) -> Field:
        if name in UNSUPPORTED:
            raise ValidationError(f"find_raw: {name!r} is not offered here (ProcessWire's findRaw "
                                  "has it); see cms/raw.py", field=name, rule="supported")
        field = self.site.fields.get(name)
        if field is None:
            raise unknown(name)
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
        elif isinstance(value, Sequence):
            names += [f"{name}.{sub.strip()}" for sub in value]
        else:
            raise ValidationError(f"find_raw: {name!r} maps to {value!r}; give a new name or a list "
                                  "of subfields", field=name, rule="name")
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
