"""Setup > Fields: the site's fields, and the form that adds, edits and deletes one.

- `/admin/setup/fields/` lists every field with its type and the templates that use it
  (`/admin/setup/`, the menu's Setup, leads there).
- `/admin/setup/fields/add` and `/admin/setup/fields/<name>/edit`: name (on add), type, label,
  description, required, and the type's own settings (an Integer's min and max, a Text's
  maxlength ...). A refused value shows its message beside the input; nothing is stored.
- POST `/admin/setup/fields/<name>/delete`: refused while a template uses the field.

A save from a form opened before another save of the field (another tab) keeps that save's
changes to the inputs it left alone, and refuses one it changed too (`form_merge`).

Superusers only, as ProcessWire's Setup. The routes call `site.fields`; the checks live there.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import bottle

from ..errors import CmsError, ValidationError
from ..fieldtypes import FIELDTYPES
from .app import SUPERUSER
from .form_merge import digests, kept_notice, merge_inputs, not_found, refused_status
from .forms import checked, place_error

if TYPE_CHECKING:
    from ..fields import Field
    from .app import Context, Web

# Which input a refused rule belongs to (settings are "setting_<name>").
FIELD_INPUTS = {"name": "name", "reserved": "name", "exists": "name", "fieldtype": "type",
                "type": "type", "label": "label"}
FIELD_LABELS = {"type": "Type", "label": "Label", "description": "Description", "required": "Required"}
HIDDEN_TYPES = {"Password"}        # kept by the users' own screens


def offered(name: str) -> bool:
    """Types a user may pick: not Password (the users' screens keep it) nor a module's Kept
    types (their values live in the module's own tables)."""
    return name not in HIDDEN_TYPES and FIELDTYPES[name].owns_table


def register(web: Web) -> None:
    app = web.app

    @app.get("/admin/setup/", permission=SUPERUSER)
    def setup_section(ctx: Context) -> None:
        """The menu's Setup, whose first screen is Fields."""
        ctx.redirect("/admin/setup/fields/")

    @app.get("/admin/setup/fields/", permission=SUPERUSER)
    def field_list(ctx: Context) -> str:
        rows = [(field, ctx.site.fields.templates_using(field.name))
                for field in sorted(ctx.site.fields, key=lambda f: f.name)]
        return ctx.render("setup_fields.html", rows=rows)

    @app.get("/admin/setup/fields/add", permission=SUPERUSER)
    def add_form(ctx: Context) -> str:
        return render_form(ctx, None, {"type": "Text", "label": "", "description": "",
                                       "required": False, "name": ""}, {}, {})

    @app.post("/admin/setup/fields/add", permission=SUPERUSER)
    def add(ctx: Context) -> str:
        ctx.check_csrf()
        values, settings = read_form(ctx)
        errors: dict[str, str] = {}
        try:
            if values["type"] in FIELDTYPES and not offered(values["type"]):
                raise ValidationError(f"a {values['type']} field is not made here (its users' "
                                      "screens or its module make it)", field=values["name"],
                                      value=values["type"], rule="type")
            if values["name"] in ctx.site.fields:      # the API gives it back; a person asked
                raise ValidationError(                  # for a new one
                    f"field {values['name']!r} exists already (its own screen edits it)",
                    field=values["name"], value=values["name"], rule="exists")
            check_page_template(ctx, values["name"], settings)
            field = ctx.site.fields.add(values["name"], values["type"], values["label"],
                                        description=values["description"],
                                        required=values["required"], **settings)
        except CmsError as exc:
            place_error(exc, inputs_for_errors(values["type"]), errors)
        else:
            ctx.notice("message", f"Added the field {field.name}")
            ctx.redirect(f"/admin/setup/fields/{field.name}/edit")
        bottle.response.status = 400
        return render_form(ctx, None, values, settings, errors)

    @app.get("/admin/setup/fields/<name>/edit", permission=SUPERUSER)
    def edit_form(ctx: Context, name: str) -> str:
        field = get_field(ctx, name)
        values = {"name": field.name, "type": field.type.name, "label": field.label,
                  "description": field.description, "required": field.required}
        return render_form(ctx, field, values, field.settings, {})

    @app.post("/admin/setup/fields/<name>/edit", permission=SUPERUSER)
    def edit(ctx: Context, name: str) -> str:
        ctx.check_csrf()
        field = get_field(ctx, name)
        merged = merge_inputs(ctx.request.forms, stored_inputs(field), form_inputs(ctx),
                              {**FIELD_LABELS, **{f"setting_{key}": key for key, *_ in setting_inputs()}})
        values, settings = values_of(merged.values)
        values["name"] = field.name
        errors = merged.errors          # inputs changed here and in another tab: none is saved
        try:
            if not errors:
                check_page_template(ctx, field.name, settings)
                ctx.site.fields.update(field.name, type=values["type"], label=values["label"],
                                       description=values["description"],
                                       required=values["required"], **settings)
        except CmsError as exc:
            place_error(exc, inputs_for_errors(values["type"]), errors)
        if not errors:
            ctx.notice("message", f"Saved the field {field.name}")
            if merged.kept:
                ctx.notice("warning", kept_notice(merged.kept))
            outside = values_outside_limits(ctx, ctx.site.fields[field.name])
            if outside:
                ctx.notice("warning", f"{outside} page(s) hold a {field.name} outside the new "
                                      "limits: they keep it, and a save of each is refused until "
                                      "it is changed (Find: the field's column shows them)")
            ctx.redirect(f"/admin/setup/fields/{field.name}/edit")
        bottle.response.status = refused_status(errors)
        return render_form(ctx, field, values, settings, errors)

    @app.post("/admin/setup/fields/<name>/delete", permission=SUPERUSER)
    def delete(ctx: Context, name: str) -> None:
        ctx.check_csrf()
        field = get_field(ctx, name)
        ctx.confirm(f"Delete the field {field.name} and every value it holds?", "Delete the field",
                    f"/admin/setup/fields/{field.name}/edit")
        try:
            ctx.site.fields.delete(field.name)
        except CmsError as exc:
            ctx.notice("error", str(exc))
            ctx.redirect(f"/admin/setup/fields/{field.name}/edit")
        ctx.notice("message", f"Deleted the field {field.name}")
        ctx.redirect("/admin/setup/fields/")


def get_field(ctx: Context, name: str) -> Field:
    field = ctx.site.fields.get(name)
    if field is None:
        raise not_found(ctx, f"field {name!r}")
    return field


def form_inputs(ctx: Context) -> dict[str, Any]:
    """What the form sends, by input (its name aside, which only the add form has): type,
    label, description, required and every type setting's (`setting_<key>`: a box's True or
    False, else its text)."""
    form = ctx.request.forms
    inputs = {"type": ctx.form("type").strip(),
              "label": ctx.form("label"), "description": ctx.form("description"),
              "required": checked(form, "required")}
    for key, kind, _ in setting_inputs():
        inputs[f"setting_{key}"] = (checked(form, f"setting_{key}") if kind == "checkbox"
                                    else ctx.form(f"setting_{key}").strip())
    return inputs


def stored_inputs(field: Field) -> dict[str, Any]:
    """The field as its edit form's inputs show it (`form_inputs`), to merge a save with."""
    inputs = {"type": field.type.name, "label": field.label, "description": field.description,
              "required": field.required}
    for key, kind, _ in setting_inputs():
        value = field.settings.get(key)
        inputs[f"setting_{key}"] = (bool(value) if kind == "checkbox"
                                    else "" if value is None else str(value))
    return inputs


def values_of(inputs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The form's values, and the settings of the chosen type that were filled in (an empty
    input keeps a setting's default, except min and max, where empty means no limit)."""
    values = {key: inputs.get(key, "") for key in ("name", "type", "label", "description")}
    values["required"] = bool(inputs.get("required"))
    settings: dict[str, Any] = {}
    fieldtype = FIELDTYPES.get(values["type"])
    for key, default in (fieldtype.settings.items() if fieldtype else ()):
        raw = inputs.get(f"setting_{key}", "")
        if isinstance(default, bool):
            settings[key] = bool(raw)
        elif raw or default is None:
            settings[key] = raw
    return values, settings


def read_form(ctx: Context) -> tuple[dict[str, Any], dict[str, Any]]:
    """The add form's values and the chosen type's settings (`values_of`)."""
    return values_of({"name": ctx.form("name").strip(), **form_inputs(ctx)})


def values_outside_limits(ctx: Context, field: Field) -> int:
    """How many stored values of a number field a new min or max leaves outside (they are
    checked when their page is next saved, so the person changing the limit should know)."""
    low, high = field.settings.get("min"), field.settings.get("max")
    if field.type.kind not in ("int", "float") or not field.type.owns_table or (
            low is None and high is None):
        return 0
    bounds = [("data < ?", low), ("data > ?", high)]
    checks = [(text, value) for text, value in bounds if value is not None]
    return ctx.site.db.scalar(f"SELECT COUNT(*) FROM {field.table} WHERE "
                              + " OR ".join(text for text, _ in checks), [v for _, v in checks])


def check_page_template(ctx: Context, name: str, settings: dict[str, Any]) -> None:
    """A Page field's template, typed here, must name a template there is (the API lets a
    schema name one it creates next, as the users' own fields do)."""
    template = settings.get("template")
    if template and ctx.site.templates.get(template) is None:
        raise ValidationError(f"there is no template {template!r}; the field's pages would "
                              f"have none", field=name, value=template, rule="template")


def inputs_for_errors(type_name: str) -> dict[str, str]:
    fieldtype = FIELDTYPES.get(type_name)
    settings = {key: f"setting_{key}" for key in (fieldtype.settings if fieldtype else ())}
    return {**FIELD_INPUTS, **settings}


def setting_inputs() -> list[tuple[str, str, list[str]]]:
    """Every type setting once: (name, kind, the types that have it)."""
    found: dict[str, tuple[str, list[str]]] = {}
    for type_name, fieldtype in FIELDTYPES.items():
        for key, default in fieldtype.settings.items():
            kind = "checkbox" if isinstance(default, bool) else (
                "text" if key == "template" else "number")
            found.setdefault(key, (kind, []))[1].append(type_name)
    return [(key, kind, types) for key, (kind, types) in found.items()]


def render_form(ctx: Context, field: Field | None, values: dict[str, Any],
                settings: dict[str, Any], errors: dict[str, str]) -> str:
    """The add form, or `field`'s form with the digests of what it holds as stored now (a save
    merges with what was saved since, `form_merge`)."""
    types = [(name, name) for name in sorted(FIELDTYPES) if offered(name)
             or (field is not None and field.type.name == name)]
    used_by = ctx.site.fields.templates_using(field.name) if field else []
    refused = ctx.site.fields.delete_refused(field.name) if field else None
    return ctx.render("setup_field_edit.html", field=field, values=values, settings=settings,
                      errors=errors, types=types, setting_inputs=setting_inputs(),
                      used_by=used_by, delete_refused=refused and str(refused),
                      was=digests(stored_inputs(field)) if field else {})
