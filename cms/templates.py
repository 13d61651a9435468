"""Templates: a page's type, naming the fields (through its fieldgroup) a page of it has.

Settings: `label`, `no_children` (its pages may not have children), `locked` (the generic page
editor refuses its pages), `sortfield` (how its pages' children are ordered when nothing else
says: "-created", "title"; ProcessWire's sort settings for children), and as ProcessWire's
family settings `parent_templates` (the templates a parent of its pages may have) and
`child_templates` (the templates its pages' children may have); an empty list allows any.
`site.pages` refuses an add or a move that breaks them (the trash takes any page).
`url_segments` and `page_numbers` let URLs below a page's own render it (ProcessWire's
urlSegments and allowPageNum; cms.web.paths reads them).
"""
from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from .errors import SelectorError, ValidationError
from .fields import SYSTEM_FIELDS, Field
from .users import names_given

if TYPE_CHECKING:
    from .site import Site

TEMPLATE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,127}$", re.IGNORECASE)
TEMPLATE_SETTINGS: dict[str, Any] = {
    "no_children": False, "label": "", "locked": False,
    # Family: the templates a page's parent and children may have (empty: any).
    "parent_templates": [], "child_templates": [],
    # Access (see cms.access): set through `set_access`, role ids as ProcessWire stores them.
    "use_roles": False, "view_roles": [], "edit_roles": [], "create_roles": [], "add_roles": [],
    "view_permission": "",
    # Family rules that hold for everyone, superusers and scripts too (ProcessWire's noMove,
    # noTrash): such pages stay where they were put.
    "no_move": False, "no_trash": False,
    # The order of its pages' children where a find names one parent and no sort= (children(),
    # the admin's tree, next()): ProcessWire's "Sort settings for children", a sort value such
    # as "-created" or "title"; empty: the order they were put in (`sort`).
    "sortfield": "",
    # URLs below a page's own (ProcessWire's urlSegments and allowPageNum): `url_segments` True
    # lets `/blog/tag/news/` render /blog/ with `input.url_segments == ["tag", "news"]`; a list
    # allows only the segment strings it names ("feed", "tag/news", or "regex:^tag/[a-z]+$");
    # `page_numbers` lets `/blog/page2` render page 2 of its paginated finds (cms.web.paths).
    "url_segments": False, "page_numbers": False,
}
FAMILY_SETTINGS = ("parent_templates", "child_templates")
ACCESS_KEYS = ("view_roles", "edit_roles", "create_roles", "add_roles")
ADD_FIELD = "INSERT INTO fieldgroups_fields (fieldgroups_id, fields_id, sort) VALUES (?, ?, ?)"


class Template:
    """A template and its ordered fields. `locked` pages are refused by the generic page editor."""

    def __init__(self, site: Site, id: int, name: str, fieldgroups_id: int, settings: dict[str, Any],
                 field_names: list[str]):
        self.site = site
        self.id = id
        self.name = name
        self.fieldgroups_id = fieldgroups_id
        self.settings = {**TEMPLATE_SETTINGS, **settings}
        self.field_names = field_names
        self._field_set = frozenset(field_names)

    @property
    def fields(self) -> list[Field]:
        return [self.site.fields[name] for name in self.field_names]

    @property
    def label(self) -> str:
        return self.settings.get("label") or self.name

    def has_field(self, name: str) -> bool:
        return name in self._field_set

    def allows_url_segments(self, segments: str) -> bool:
        """Whether `segments` ("tag/news") may follow its pages' URLs: ProcessWire's
        `isValidUrlSegmentStr()`, a rule being the whole string or a `regex:` searched in it."""
        rules = self.settings.get("url_segments")
        if not isinstance(rules, list):
            return bool(rules)
        return any(re.search(rule[6:].strip(), segments) if rule.lower().startswith("regex:")
                   else rule == segments for rule in rules)

    def _registry_copy(self) -> Template | None:
        """The registry's object for this template when it is not this one: adding a template
        reloads them all, so an object held from before is a copy. A change starts from the
        registry's state (`_take`) and ends in both (`_give`), so this process sees it."""
        current = self.site.templates.get(self.id)
        if current is None or current is self:
            return None
        self._take(current)
        return current

    def _take(self, other: Template) -> None:
        self.field_names = list(other.field_names)
        self._field_set = frozenset(self.field_names)
        self.settings = dict(other.settings)

    def _give(self, current: Template | None) -> None:
        if current is not None:
            current._take(self)

    def add_field(self, name: str) -> None:
        """Append a field to this template's fieldgroup (existing pages simply have no value)."""
        field = self.site.fields[name]
        current = self._registry_copy()
        if name in self.field_names:
            return
        self.site.db.schema_change()
        self.site.db.execute(ADD_FIELD, (self.fieldgroups_id, field.id, len(self.field_names)))
        self.field_names.append(name)
        self._field_set = frozenset(self.field_names)
        self._give(current)
        self.site.schema_changed()

    def set_fields(self, names: Iterable[str]) -> None:
        """Make `names`, in this order, the template's fields. A field taken away loses the
        values its pages of this template held (as in ProcessWire). Unknown names are refused
        before anything changes."""
        self.site.db.schema_change()
        wanted = list(dict.fromkeys(names))
        needed = [name for name in SYSTEM_FIELDS.get(self.name, ()) if name not in wanted]
        if needed and self.settings.get("locked"):
            raise ValidationError(f"template {self.name!r} is a system template: it keeps "
                                  f"{', '.join(needed)}", field="fields", value=needed,
                                  rule="system")
        current = self._registry_copy()
        fields = [self.site.fields[name] for name in wanted]
        removed = [self.site.fields[name] for name in self.field_names if name not in wanted]
        db = self.site.db
        with self.site.transaction():
            for field in removed:
                db.execute(f"DELETE FROM {field.table} WHERE pages_id IN "
                           "(SELECT id FROM pages WHERE templates_id = ?)", (self.id,))
            db.execute("DELETE FROM fieldgroups_fields WHERE fieldgroups_id = ?",
                       (self.fieldgroups_id,))
            for sort, field in enumerate(fields):
                db.execute(ADD_FIELD, (self.fieldgroups_id, field.id, sort))
        self.field_names = wanted
        self._field_set = frozenset(wanted)
        self._give(current)
        self.site.schema_changed()

    def set_settings(self, **settings: Any) -> Template:
        """Change settings (label, no_children, parent_templates, no_move ...) and store them
        at once; unknown settings, values of the wrong kind and unknown template names are
        refused and nothing changes."""
        self._store_settings(settings)
        return self

    def _store_settings(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Merge `settings` into the stored ones, read under a row lock: this process's copy
        may be a second old, and written back whole it would undo another process's change
        (an admin's access, reverted by a worker's unrelated setting). The settings as they
        were stored before."""
        db = self.site.db
        templates = self.site.templates
        db.schema_change()
        current = self._registry_copy()

        def store() -> tuple[dict[str, Any], dict[str, Any]]:
            with self.site.transaction():
                row = db.one("SELECT data FROM templates WHERE id = ?" + db.for_update, (self.id,))
                before = {**TEMPLATE_SETTINGS, **json.loads(row[0] if row and row[0] else "{}")}
                merged = templates.checked_settings({**before, **settings}, self.name)
                stored = {key: value for key, value in merged.items()
                          if value != TEMPLATE_SETTINGS.get(key)}
                db.execute("UPDATE templates SET data = ? WHERE id = ?",
                           (json.dumps(stored), self.id))
                return before, merged

        before, merged = db.retry(store)
        sorted_before = templates.sortfields()
        self.settings = {**TEMPLATE_SETTINGS, **merged}
        self._give(current)
        if sorted_before != templates.sortfields():
            self.site.selectors.forget_plans()     # plans made while no template had one
        self.site.schema_changed()
        return before

    def allows_child(self, child: Template) -> bool:
        """May a page of this template have a child of template `child`? (no_children and
        both templates' family settings)."""
        if self.settings.get("no_children"):
            return False
        allowed_children = self.settings.get("child_templates") or []
        allowed_parents = child.settings.get("parent_templates") or []
        return ((not allowed_children or child.name in allowed_children)
                and (not allowed_parents or self.name in allowed_parents))

    def set_access(self, view: Iterable[Any] | None = None, edit: Iterable[Any] | None = None,
                   create: Iterable[Any] | None = None, add: Iterable[Any] | None = None) -> Template:
        """Say which roles view, edit, create pages of this template and add children to them.

        Roles are given by name, id or page. With every list None the template stops defining
        access and its pages inherit it from the nearest ancestor whose template defines it (the
        home template always does, so it cannot stop). A list left None while others are given
        is empty: only superusers then have that right.
        """
        self.site.db.schema_change()
        lists = {"view_roles": view, "edit_roles": edit, "create_roles": create, "add_roles": add}
        users = self.site.users
        if all(value is None for value in lists.values()):
            values: dict[str, Any] = {"use_roles": False, **{key: [] for key in ACCESS_KEYS}}
        else:
            values = {"use_roles": True}
            for key, roles in lists.items():
                given = () if roles is None else names_given(roles, key.split("_")[0], "role")
                values[key] = users.role_ids(given)
        if self.id == users.access.home_template_id:
            self._check_home_access(values)
        # One commit: no reader sees pages_access half rebuilt, or the template's new access
        # with the pages' old governing templates.
        with self.site.transaction():
            before = self._store_settings(values)
            if bool(before.get("use_roles")) != values["use_roles"]:
                users.access.rebuild()
        return self

    def _check_home_access(self, values: dict[str, Any]) -> None:
        """The home template's access as ProcessWire's Templates::save() requires it: defined,
        with the guest among its view roles; else no visitor would view the site."""
        if not values["use_roles"]:
            raise ValidationError("the home template must define access (give at least view=)",
                                  field="access", value=self.name, rule="home")
        if self.site.users.role_ids(["guest"])[0] not in values["view_roles"]:
            raise ValidationError("the home template must let the guest view (view=[\"guest\", ...]): "
                                  "without it no visitor views the site", field="access",
                                  value=self.name, rule="home")

    def access_roles(self) -> dict[str, list[str]]:
        """The role names per right (view, edit, create, add); empty when access is inherited."""
        if not self.settings.get("use_roles"):
            return {}
        names = {role.id: role.name for role in self.site.users.roles()}
        return {key.split("_")[0]: [names[rid] for rid in self.settings.get(key, []) if rid in names]
                for key in ACCESS_KEYS}

    def __repr__(self) -> str:
        return f"<Template {self.name}>"

    def __str__(self) -> str:
        return self.name

    def __eq__(self, other: object) -> bool:
        """`page.template == "basic-page"` compares the name, as ProcessWire's
        `$page->template == 'basic-page'` does (its Template is its name as text); two
        templates are equal only as the same object."""
        if isinstance(other, str):
            return self.name == other
        return self is other

    __hash__ = object.__hash__


class Templates:
    """The site's templates: `add`, `get` by name or id, iteration."""

    def __init__(self, site: Site):
        self.site = site
        self._by_name: dict[str, Template] = {}
        self._by_id: dict[int, Template] = {}

    def load(self) -> None:
        db = self.site.db
        members: dict[int, list[str]] = {}
        for fg_id, field_name in db.all(
                "SELECT ff.fieldgroups_id, f.name FROM fieldgroups_fields ff "
                "JOIN fields f ON f.id = ff.fields_id ORDER BY ff.fieldgroups_id, ff.sort"):
            members.setdefault(fg_id, []).append(field_name)
        sorted_before = self.sortfields()
        self._by_name, self._by_id = {}, {}
        for id, name, fg_id, data in db.all("SELECT id, name, fieldgroups_id, data FROM templates"):
            self._remember(Template(self.site, id, name, fg_id, json.loads(data or "{}"),
                                    members.get(fg_id, [])))
        engine = getattr(self.site, "selectors", None)
        if engine is not None and sorted_before != self.sortfields():
            engine.forget_plans()       # another process set the first sortfield, or the last

    def _remember(self, template: Template) -> Template:
        self._by_name[template.name] = template
        self._by_id[template.id] = template
        return template

    def get(self, key: str | int) -> Template | None:
        """A template by name or id; one added by another process is found after a reload."""
        found = self._by_id.get(key) if isinstance(key, int) else self._by_name.get(key)
        if found is None:
            self.load()
            found = self._by_id.get(key) if isinstance(key, int) else self._by_name.get(key)
        return found

    def current(self, template: Template) -> Template:
        """`template` as the site holds it now (itself if the site knows it no more): a page
        loaded before a schema reload keeps the Template object of its time, whose fields or
        access another process may have changed since."""
        return self.get(template.id) or template

    def __getitem__(self, key: str | int) -> Template:
        found = (self._by_id if isinstance(key, int) else self._by_name).get(key) or self.get(key)
        if found is None:
            raise ValidationError(f"unknown template {key!r}; known: {', '.join(sorted(self._by_name))}",
                                  field="template", value=key, rule="exists")
        return found

    def __iter__(self) -> Iterator[Template]:
        return iter(list(self._by_name.values()))

    def __contains__(self, key: object) -> bool:
        return isinstance(key, (str, int)) and self.get(key) is not None

    def checked_settings(self, settings: dict[str, Any], own_name: str = "") -> dict[str, Any]:
        """Settings with unknown keys and unknown family template names refused (a template
        may name itself: folders within folders)."""
        unknown = set(settings) - set(TEMPLATE_SETTINGS)
        if unknown:
            raise ValidationError(f"unknown template setting {sorted(unknown)[0]!r}; known: "
                                  f"{', '.join(sorted(TEMPLATE_SETTINGS))}", field="template",
                                  value=sorted(unknown)[0], rule="setting")
        for key, value in settings.items():
            if key == "url_segments" and isinstance(value, list):
                continue                          # a list of rules: checked below
            kind = type(TEMPLATE_SETTINGS[key])
            if not isinstance(value, kind) or kind is not bool and isinstance(value, bool):
                raise ValidationError(f"template {own_name!r}: setting {key!r} takes a "
                                      f"{kind.__name__}, not {value!r}", field=key, value=value,
                                      rule="type")
        checked = dict(settings)
        if isinstance(checked.get("url_segments"), list):
            checked["url_segments"] = self.checked_segment_rules(checked["url_segments"], own_name)
        if checked.get("sortfield"):
            checked["sortfield"] = self.checked_sortfield(checked["sortfield"])
        for key in FAMILY_SETTINGS:
            if key not in checked:
                continue
            names = list(dict.fromkeys(checked[key] or []))
            for family_name in names:
                if family_name != own_name and family_name not in self:
                    raise ValidationError(f"{key}: there is no template {family_name!r}",
                                          field=key, value=family_name, rule="exists")
            checked[key] = names
        return checked

    @staticmethod
    def checked_segment_rules(rules: list[Any], own_name: str) -> list[str]:
        """`url_segments` as a list: segment strings ("tag/news") or `regex:` rules, each one
        that compiles; an empty list allows none, as False does."""
        checked = []
        for rule in rules:
            text = rule.strip() if isinstance(rule, str) else None
            if text and not text.lower().startswith("regex:"):
                text = text.strip("/")                  # "/tag/news/" names "tag/news"
            if not text:
                raise ValidationError(f"template {own_name!r}: url_segments takes segment strings "
                                      f"or regex: rules, not {rule!r}", field="url_segments",
                                      value=rule, rule="type")
            if text.lower().startswith("regex:"):
                try:
                    re.compile(text[6:].strip())
                except re.error as exc:
                    raise ValidationError(f"template {own_name!r}: url_segments rule {text!r} is "
                                          f"no regular expression: {exc}", field="url_segments",
                                          value=rule, rule="regex") from None
            checked.append(text)
        return checked

    def checked_sortfield(self, value: str) -> str:
        """One sort key, as `sort=` takes it ("-created", "title"); a ValidationError names a
        field or column that is not one."""
        text = value.strip()
        try:
            if not text or "," in text or "|" in text:
                raise SelectorError("one field or column, as sort= takes it")
            self.site.selectors.plan(f"sort={text}")
        except SelectorError as exc:
            raise ValidationError(f"sortfield {value!r} is not a sort key: {exc}", field="sortfield",
                                  value=value, rule="sort") from None
        return text

    def sortfields(self) -> bool:
        """Whether any template sorts its pages' children otherwise than by hand."""
        return any(template.settings.get("sortfield") for template in self._by_name.values())

    def add(self, name: str, fields: Iterable[str] = ("title",), **settings: Any) -> Template:
        """Create a template and its fieldgroup. Adding an existing one adds missing fields to it."""
        if not isinstance(name, str) or not TEMPLATE_NAME.match(name):
            raise ValidationError(f"template name {name!r} must be letters, digits, - and _",
                                  field="template", value=name, rule="name")
        settings = self.checked_settings(settings, own_name=name)
        field_names = list(dict.fromkeys(fields))
        for field_name in field_names:
            self.site.fields[field_name]   # raises for an unknown field before anything is written
        existing = self._by_name.get(name) or self.get(name)
        if existing is not None:
            for field_name in field_names:
                existing.add_field(field_name)
            return existing
        db = self.site.db
        db.schema_change()
        with self.site.transaction():
            fg_id = db.insert("INSERT INTO fieldgroups (name) VALUES (?)", (name,))
            template_id = db.insert("INSERT INTO templates (name, fieldgroups_id, flags, data) "
                                    "VALUES (?, ?, ?, ?)", (name, fg_id, 0, json.dumps(settings)))
            for sort, field_name in enumerate(field_names):
                db.execute(ADD_FIELD, (fg_id, self.site.fields[field_name].id, sort))
        template = self._remember(Template(self.site, template_id, name, fg_id, settings, field_names))
        self.site.schema_changed()
        return template

    def pages_using(self, key: str | int, up_to: int = 1000) -> int:
        """How many pages (trashed ones too) have this template, counted up to `up_to` (an
        exact count of half a million pages costs tens of milliseconds; this, next to none)."""
        return int(self.site.db.scalar(
            "SELECT COUNT(*) FROM (SELECT 1 FROM pages WHERE templates_id = ? LIMIT ?) used",
            (self[key].id, up_to)) or 0)

    def delete_refused(self, key: str | int) -> ValidationError | None:
        """The error `delete(key)` raises, or None when the template may be deleted: Setup says
        why in place of a Delete button, as ProcessWire's template editor does."""
        template = self[key]
        if template.settings.get("locked"):
            return ValidationError(f"template {template.name!r} is a system template: the "
                                   "system's own pages have it, and it stays", field="template",
                                   value=template.name, rule="system")
        used = self.pages_using(template.name)
        if used:
            return ValidationError(f"template {template.name!r} is used by {used}"
                                   f"{'+' if used >= 1000 else ''} page(s); "
                                   "delete or change them first", field="template",
                                   value=template.name, rule="in-use")
        for other in self:
            if other is not template and any(template.name in (other.settings.get(k) or [])
                                             for k in FAMILY_SETTINGS):
                return ValidationError(f"template {other.name!r} names {template.name!r} in its "
                                       "family settings; change it first", field="template",
                                       value=template.name, rule="in-use")
        return None

    def delete(self, key: str | int) -> None:
        """Remove a template and its fieldgroup; refused while pages use it, for a locked
        (system) template, and while another template names it as allowed parent or child."""
        template = self[key]
        self.site.db.schema_change()
        refused = self.delete_refused(template.name)
        if refused is not None:
            raise refused
        db = self.site.db
        with self.site.transaction():
            db.execute("DELETE FROM templates WHERE id = ?", (template.id,))
            db.execute("DELETE FROM fieldgroups_fields WHERE fieldgroups_id = ?",
                       (template.fieldgroups_id,))
            db.execute("DELETE FROM fieldgroups WHERE id = ?", (template.fieldgroups_id,))
        self._by_name.pop(template.name, None)
        self._by_id.pop(template.id, None)
        self.site.schema_changed()
