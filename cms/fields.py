"""Fields: named, typed values that templates group, each stored in its own table.

Besides its type settings (an Integer's min and max, a Text's maxlength) every field has a
`description` (help shown under it in the editor) and `required` (the page editor refuses an
empty value, as ProcessWire's admin does; the global title field is always required).
"""
from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Iterator

from .errors import ValidationError
from .fieldtypes import Fieldtype, get_fieldtype, has_lone_surrogate, kept_as
from .page import Page

if TYPE_CHECKING:
    from .site import Site

FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,57}$")
# Names a selector gives a meaning to, and every public attribute of a Page (a field of the same
# name could never be read as `page.<name>`).
SELECTOR_KEYS = frozenset("""
    id name parent parent_id template templates_id status sort created modified created_users_id
    modified_users_id path url has_parent num_children include limit start check_access
    pages_id data fold
""".split())
# The token every admin form carries: a field's input of that name in the page editor stood
# for it, and every save of the field's pages was refused as expired.
FORM_INPUTS = frozenset({"csrf_token"})
RESERVED = (SELECTOR_KEYS | frozenset(n for n in dir(Page) if not n.startswith("_")) | {"site"}
            | FORM_INPUTS)
TITLE = "title"             # the global title field: a system field, joined into every page load
MAX_LABEL = 768             # the fields table's label column: VARCHAR(768) on every engine
# The fields a system template (locked) cannot lose, by template name: users.py and Tasker's
# install register theirs. Users without `roles`, or roles whose `permissions` changed type,
# would lock everyone out; the Setup screens offered both.
SYSTEM_FIELDS: dict[str, tuple[str, ...]] = {}


def system_field_names() -> set[str]:
    """Fields some system template needs as they are (their type and settings stay)."""
    return {name for names in SYSTEM_FIELDS.values() for name in names}


class Field:
    """One field's definition: its name, type, label, type settings (min, max, ...),
    description and whether the editor requires a value."""

    def __init__(self, id: int, name: str, type: Fieldtype, label: str, flags: int,
                 settings: dict[str, Any], description: str = "", required: bool = False):
        self.id = id
        self.name = name
        self.type = type
        self.label = label or name
        self.flags = flags
        self.settings = settings
        self.description = description
        self.required = required or type.name == "PageTitle"
        self.table = "field_" + name

    def sanitize(self, value: Any, pages: Any = None) -> Any:
        """The value checked as a page stores it; with the site's `pages`, a Page field also
        reads page paths (`"/colors/red/|/colors/blue/"`) and refuses ids and paths of no page
        (see `PageRef.read_pages`)."""
        if pages is not None and self.type.kind == "page":
            value = self.type.read_pages(self, value, pages)
        return self.type.sanitize(self, value)

    def is_missing(self, value: Any) -> bool:
        """True when the field is required and `value` is empty."""
        return self.required and self.type.is_empty(value)

    def __repr__(self) -> str:
        return f"<Field {self.name} {self.type.name}>"


class Fields:
    """The site's fields: `add`, `get`, `delete`, iteration. Read from the database at boot."""

    def __init__(self, site: Site):
        self.site = site
        self._by_name: dict[str, Field] = {}

    def load(self) -> None:
        rows = self.site.db.all("SELECT id, name, type, label, flags, data FROM fields")
        self._by_name = {row[1]: self._from_row(row) for row in rows}

    @staticmethod
    def _from_row(row: tuple) -> Field:
        id, name, type_name, label, flags, data = row
        settings = json.loads(data) if data else {}
        description = settings.pop("description", "")
        required = bool(settings.pop("required", False))
        return Field(id, name, get_fieldtype(type_name), label or "", flags or 0, settings,
                     description, required)

    @staticmethod
    def _data(settings: dict[str, Any], description: str, required: bool) -> str:
        """The `data` column: type settings, with description and required when set."""
        extra = {k: v for k, v in (("description", description), ("required", required)) if v}
        return json.dumps({**settings, **extra})

    def get(self, name: str) -> Field | None:
        """The field named so, or None. A field added by another process is found too."""
        field = self._by_name.get(name)
        if field is None and FIELD_NAME.match(name or ""):
            row = self.site.db.one("SELECT id, name, type, label, flags, data FROM fields WHERE name = ?",
                                   (name,))
            if row:
                field = self._by_name[name] = self._from_row(row)
        return field

    def __getitem__(self, name: str) -> Field:
        field = self._by_name.get(name) or self.get(name)
        if field is None:
            raise ValidationError(f"unknown field {name!r}", field=name, rule="exists")
        return field

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[Field]:
        return iter(list(self._by_name.values()))

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def add(self, name: str, type: str, label: str = "", *, description: str = "",
            required: bool = False, **settings: Any) -> Field:
        """Create a field and its table (a Kept type's module makes its view). Adding an existing
        field of the same type returns it as it is (with a warning when other settings were
        given: a site's own field is not changed behind its back; `update` changes it)."""
        if not isinstance(name, str) or not FIELD_NAME.match(name):
            raise ValidationError(
                f"field name {name!r} is not an identifier (letters, digits and _, "
                "starting with a letter or _, at most 58 characters)", field=str(name), value=name,
                rule="name")
        if name.lower() in RESERVED:
            users = "the admin's forms" if name.lower() in FORM_INPUTS else "pages and selectors"
            raise ValidationError(f"field name {name!r} is reserved: {users} use it",
                                  field=name, value=name, rule="reserved")
        fieldtype = get_fieldtype(type)
        given = settings
        settings = fieldtype.check_settings(name, settings)
        checked_label(name, label)
        existing = self.get(name)
        if existing is not None:
            # a module's kept field (Tasker's task_state, a KeptInteger) is one of its base type
            if existing.type is not fieldtype and not kept_as(existing.type, fieldtype):
                raise ValidationError(f"field {name!r} exists already as {existing.type.name}, "
                                      f"not {type}", field=name, value=type, rule="exists")
            kept = {key: existing.settings.get(key) for key in given
                    if settings[key] != existing.settings.get(key)}
            if kept:
                # an install run on a site whose field a person made or changed: theirs stays
                self.site.notices.warning(
                    f"field {name!r} exists already: its settings stay as they are ("
                    + ", ".join(f"{key}={value!r}" for key, value in kept.items())
                    + f"), not the ones given; fields.update({name!r}, ...) changes them",
                    source="fields")
            return existing
        db = self.site.db
        db.schema_change()
        table = "field_" + name
        fieldtype.create_table(db, table)
        try:
            field_id = db.insert("INSERT INTO fields (type, name, label, flags, data) VALUES (?, ?, ?, ?, ?)",
                                 (fieldtype.name, name, label or name, 0,
                                  self._data(settings, description, required)))
        except Exception:
            if fieldtype.owns_table:
                db.ddl(f"DROP TABLE {table}")
            raise
        field = self._by_name[name] = Field(field_id, name, fieldtype, label, 0, settings,
                                            description, bool(required))
        self.site.schema_changed()
        return field

    def update(self, name: str, *, type: str | None = None, label: str | None = None,
               description: str | None = None, required: bool | None = None,
               **settings: Any) -> Field:
        """Change a field's label, description, required flag, type settings or type.

        Settings merge over the stored ones (all of them start from the new type's defaults
        when the type changes). A type that stores its values alike (Text, PageTitle, Email,
        URL) can replace another at any time; a type stored differently only while the field
        holds no values, since they could not be converted safely. Values already stored are
        checked against new limits when their page is next saved. Nothing changes on an error.
        """
        field = self[name]
        self.site.db.schema_change()
        fieldtype = get_fieldtype(type) if type else field.type
        base = field.settings if fieldtype is field.type else {}
        merged = fieldtype.check_settings(name, {**base, **settings})
        db = self.site.db
        if fieldtype.owns_table != field.type.owns_table:
            raise ValidationError(
                f"field {name!r} cannot become {fieldtype.name}: a field keeps its values in a "
                "table of its own or in its module's view (a Kept type), and cannot change "
                "between the two", field=name, value=fieldtype.name, rule="type")
        if name != TITLE and name in system_field_names() and (
                fieldtype is not field.type or merged != field.settings):
            raise ValidationError(f"field {name!r} belongs to the system's own pages (users, "
                                  "roles, tasks): its type and settings stay as they are; its "
                                  "label and description may change", field=name, rule="system")
        if fieldtype is not field.type and not same_storage(db, field.type, fieldtype):
            if name == TITLE:
                raise ValidationError(
                    f"field {TITLE!r} is a system field, loaded with every page: it can become "
                    "another type stored as text (Text, PageTitle ...), not "
                    f"{fieldtype.name}", field=name, value=fieldtype.name, rule="system")
            held = db.scalar(f"SELECT COUNT(*) FROM {field.table}")
            if held:
                raise ValidationError(
                    f"field {name!r} holds {held} value(s) stored as {field.type.name}; it can "
                    f"become {fieldtype.name} only while it is empty", field=name,
                    value=fieldtype.name, rule="type")
            db.ddl(f"DROP TABLE {field.table}")
            fieldtype.create_table(db, field.table)
        label = field.label if label is None else (checked_label(name, label).strip() or name)
        description = field.description if description is None else description.strip()
        required = field.required if required is None else bool(required)
        db.execute("UPDATE fields SET type = ?, label = ?, data = ? WHERE id = ?",
                   (fieldtype.name, label, self._data(merged, description, required), field.id))
        updated = self._by_name[name] = Field(field.id, name, fieldtype, label, field.flags,
                                              merged, description, required)
        self.site.schema_changed()
        return updated

    def templates_using(self, name: str) -> list[str]:
        """The names of the templates that have this field."""
        return [row[0] for row in self.site.db.all(
            "SELECT t.name FROM fieldgroups_fields ff JOIN templates t "
            "ON t.fieldgroups_id = ff.fieldgroups_id WHERE ff.fields_id = ? ORDER BY t.name",
            (self[name].id,))]

    def delete_refused(self, name: str) -> ValidationError | None:
        """The error `delete(name)` raises, or None when the field may be deleted: Setup says
        why in place of a Delete button, as ProcessWire's field editor does."""
        if name == TITLE:
            return ValidationError(f"field {TITLE!r} is a system field: every page is labelled by "
                                   "it and loaded with it, as in ProcessWire; it cannot be deleted "
                                   "(a template may leave it out)", field=name, rule="system")
        used = self.templates_using(name)
        if used:
            return ValidationError(f"field {name!r} is used by template(s) "
                                   f"{', '.join(used)}; remove it from them first",
                                   field=name, rule="in-use")
        return None

    def delete(self, name: str) -> None:
        """Remove a field that no template uses, with its table and values."""
        field = self[name]
        self.site.db.schema_change()
        refused = self.delete_refused(name)
        if refused is not None:
            raise refused
        if field.type.owns_table:        # a Kept field's view is its module's to drop
            self.site.db.ddl(f"DROP TABLE {field.table}")
        self.site.db.execute("DELETE FROM fields WHERE id = ?", (field.id,))
        self._by_name.pop(name, None)
        self.site.schema_changed()


def same_storage(db: Any, one: Fieldtype, other: Fieldtype) -> bool:
    """Do two fieldtypes keep their values in the same table shape and index?"""
    return (one.table_body(db) == other.table_body(db) and one.indexed == other.indexed
            and one.folded == other.folded)


def checked_label(name: str, label: str) -> str:
    """`label` if the fields table can hold it: PostgreSQL refused a NUL and one longer than
    its column (a 500 in Setup > Fields) where SQLite stored either."""
    if isinstance(label, str) and ("\x00" in label or has_lone_surrogate(label)
                                   or len(label) > MAX_LABEL):
        raise ValidationError(f"field {name!r}: the label must be text of at most {MAX_LABEL} "
                              "characters, without NUL characters or broken Unicode",
                              field=name, value=label, rule="label")
    return label
