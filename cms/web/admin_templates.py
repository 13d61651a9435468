"""Setup > Templates: the site's templates, and the form that adds, edits and deletes one.

- `/admin/setup/templates/` lists every template with its fields and how many pages use it.
- `/admin/setup/templates/add` (a name and first fields) and `/admin/setup/templates/<name>/edit`:
  the fields in their order (the form sends `fields` once per field, in order; each ticked
  `add_field` is appended), the label, whether its pages may have children, how their children
  are ordered (`sortfield`), which templates their parents and children may have, whether URL
  segments (all, or those listed) and page numbers may follow its pages' URLs, and its
  access (`template.set_access`: the roles that view, edit, create and add, or none:
  inherited). A refused value shows its message beside the input.
- POST `/admin/setup/templates/<name>/delete`: refused while pages use the template.

A save from a form opened before another save of the template (another tab) keeps that save's
changes to the inputs it left alone (the list of fields as one, each box of a group as one),
and refuses one it changed too (`form_merge`).

Superusers only. The routes call `site.templates`; the checks live there.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import bottle

from ..errors import CmsError
from .admin_fields import offered
from .app import SUPERUSER
from .form_merge import boxes, digests, kept_notice, merge_inputs, not_found, refused_status, ticked
from .forms import checked, names_list, place_error

if TYPE_CHECKING:
    from ..templates import Template
    from .app import Context, Web

TEMPLATE_INPUTS = {"name": "name", "template": "name", "exists": "fields",
                   "parent_templates": "parent_templates", "child_templates": "child_templates",
                   "access": "access", "home": "access", "sortfield": "sortfield",
                   "url_segments": "url_segment_rules"}
ACCESS_LISTS = ("view_roles", "edit_roles", "create_roles", "add_roles")
GROUPS = ("parent_templates", "child_templates", *ACCESS_LISTS)
TEMPLATE_LABELS = {"fields": "Fields", "label": "Label", "no_children": "No children",
                   "sortfield": "Children sorted by", "parent_templates": "Allowed parent templates",
                   "child_templates": "Allowed child templates", "url_segments_on": "URL segments",
                   "url_segment_rules": "Only these URL segments", "page_numbers": "Page numbers",
                   "use_roles": "Defines access", "view_roles": "View roles",
                   "edit_roles": "Edit roles", "create_roles": "Create roles", "add_roles": "Add roles"}


def segments_of(values: dict[str, Any]) -> bool | list[str]:
    """The URL segments setting from its box and its rules: the rules listed (one a line), else
    whether the box is ticked (any segment)."""
    rules = [line.strip() for line in values["url_segment_rules"].splitlines() if line.strip()]
    return rules or values["url_segments_on"]


def segment_inputs(settings: dict[str, Any]) -> dict[str, Any]:
    """The form's inputs for the URL segments setting (True, False or a list of rules)."""
    rules = settings.get("url_segments")
    return {"url_segments_on": bool(rules),
            "url_segment_rules": "\n".join(rules) if isinstance(rules, list) else ""}


def register(web: Web) -> None:
    app = web.app

    @app.get("/admin/setup/templates/", permission=SUPERUSER)
    def template_list(ctx: Context) -> str:
        rows = [(t, ctx.site.templates.pages_using(t.name))
                for t in sorted(ctx.site.templates, key=lambda t: t.name)]
        return ctx.render("setup_templates.html", rows=rows)

    @app.get("/admin/setup/templates/add", permission=SUPERUSER)
    def add_form(ctx: Context) -> str:
        return render_form(ctx, None, {"name": "", "fields": ["title"]}, {})

    @app.post("/admin/setup/templates/add", permission=SUPERUSER)
    def add(ctx: Context) -> str:
        ctx.check_csrf()
        fields, refused = submitted_fields(ctx)
        values = {"name": ctx.form("name").strip(), "fields": fields}
        errors: dict[str, str] = {}
        if refused:
            errors["fields"] = refused
        elif values["name"] in ctx.site.templates:
            errors["name"] = f"there is a template {values['name']!r} already"
        else:
            try:
                template = ctx.site.templates.add(values["name"], fields=values["fields"])
            except CmsError as exc:
                place_error(exc, TEMPLATE_INPUTS, errors)
            else:
                ctx.notice("message", f"Added the template {template.name}")
                ctx.redirect(f"/admin/setup/templates/{template.name}/edit")
        bottle.response.status = 400
        return render_form(ctx, None, values, errors)

    @app.get("/admin/setup/templates/<name>/edit", permission=SUPERUSER)
    def edit_form(ctx: Context, name: str) -> str:
        template = get_template(ctx, name)
        return render_form(ctx, template, shown_values(template), {})

    @app.post("/admin/setup/templates/<name>/edit", permission=SUPERUSER)
    def edit(ctx: Context, name: str) -> str:
        ctx.check_csrf()
        template = get_template(ctx, name)
        form = ctx.request.forms
        fields, refused = submitted_fields(ctx)
        sent = {"fields": fields, "label": ctx.form("label").strip(),
                "no_children": checked(form, "no_children"), "sortfield": ctx.form("sortfield").strip(),
                "url_segments_on": checked(form, "url_segments_on"),
                "url_segment_rules": ctx.form("url_segment_rules"),
                "page_numbers": checked(form, "page_numbers"), "use_roles": checked(form, "use_roles")}
        options = group_options(ctx)
        stored = inputs_of(shown_values(template), options)
        for group, offered_here in options.items():
            sent.update(boxes(group, offered_here, names_list(form, group)))
        merged = merge_inputs(form, stored, sent, TEMPLATE_LABELS)
        values = {"name": template.name, **merged.values,
                  **{group: ticked(group, merged.values) for group in GROUPS}}
        settings = {"label": values["label"], "no_children": values["no_children"],
                    "sortfield": values["sortfield"], "parent_templates": values["parent_templates"],
                    "child_templates": values["child_templates"],
                    "url_segments": segments_of(values), "page_numbers": values["page_numbers"]}
        fields = values["fields"]
        access = {key: values[key] for key in ACCESS_LISTS}
        defines = values["use_roles"]
        errors = merged.errors
        if refused and "fields" not in errors:
            errors["fields"] = refused
        if errors:
            bottle.response.status = refused_status(errors)
            return render_form(ctx, template, values, errors)
        if not defines and any(access.values()):
            # ticked roles with the box that makes them count unticked were dropped unsaid
            errors["access"] = ("Roles are ticked but “This template defines who may view, "
                                "edit, create and add pages” is not: tick it to save them, or "
                                "untick the roles.")
            bottle.response.status = 400
            return render_form(ctx, template, values, errors)
        losing = values_lost(ctx, template, fields)
        if losing and ctx.form("confirm_remove") != "1":
            errors["fields"] = ("Taking away " + "; ".join(losing) + " deletes those values for "
                                "good. Tick the box below and save again to go on.")
            bottle.response.status = 400
            return render_form(ctx, template, values, errors, confirm_remove=True)
        try:
            with ctx.site.transaction():
                template.set_settings(**settings)
                template.set_fields(fields)
                if defines:
                    template.set_access(view=access["view_roles"], edit=access["edit_roles"],
                                        create=access["create_roles"], add=access["add_roles"])
                elif template.settings.get("use_roles"):
                    template.set_access()
        except CmsError as exc:
            ctx.site.templates.load()        # what the rolled back transaction left stored
            place_error(exc, TEMPLATE_INPUTS, errors)
        else:
            ctx.notice("message", f"Saved the template {template.name}")
            if merged.kept:
                ctx.notice("warning", kept_notice(merged.kept))
            ctx.redirect(f"/admin/setup/templates/{template.name}/edit")
        bottle.response.status = 400
        return render_form(ctx, ctx.site.templates[template.name], values, errors)

    @app.post("/admin/setup/templates/<name>/delete", permission=SUPERUSER)
    def delete(ctx: Context, name: str) -> None:
        ctx.check_csrf()
        template = get_template(ctx, name)
        ctx.confirm(f"Delete the template {template.name}?", "Delete the template",
                    f"/admin/setup/templates/{template.name}/edit")
        try:
            ctx.site.templates.delete(template.name)
        except CmsError as exc:
            ctx.notice("error", str(exc))
            ctx.redirect(f"/admin/setup/templates/{template.name}/edit")
        ctx.notice("message", f"Deleted the template {template.name}")
        ctx.redirect("/admin/setup/templates/")


def values_lost(ctx: Context, template: Template, fields: list[str]) -> list[str]:
    """For each field the form takes away that pages of the template hold values in: its
    label and how many pages ("Title (12 pages)"); a save would delete those values."""
    lost = []
    for name in template.field_names:
        field = ctx.site.fields.get(name)
        if name in fields or field is None:
            continue
        held = ctx.site.db.scalar(f"SELECT COUNT(*) FROM {field.table} WHERE pages_id IN "
                                  "(SELECT id FROM pages WHERE templates_id = ?)", (template.id,))
        if held:
            lost.append(f"{field.label} ({held} page{'s' if held != 1 else ''})")
    return lost


def submitted_fields(ctx: Context) -> tuple[list[str], str]:
    """The fields the form lists in their order, then those ticked under "Add fields"; and why
    not, when one ticked is the system's own (a template's own fields may stay, whatever)."""
    form = ctx.request.forms
    fields = names_list(form, "fields")
    adding = [name for name in dict.fromkeys(names_list(form, "add_field")) if name not in fields]
    refused = [name for name in adding
               if (field := ctx.site.fields.get(name)) is not None and not offered_to_add(ctx, field)]
    if refused:
        return fields + adding, (", ".join(refused) + " belong(s) to the system's own pages "
                                 "(users, roles, tasks) and is not added to other templates here")
    return fields + adding, ""


def offered_to_add(ctx: Context, field: Any) -> bool:
    """Fields "Add a field" lists: not a password or a module's kept column, nor one only
    the system's own templates use (users' roles, tasks' task_data ...)."""
    if not offered(field.type.name):
        return False
    using = [ctx.site.templates.get(name) for name in ctx.site.fields.templates_using(field.name)]
    return not using or not all(t is not None and t.settings.get("locked") for t in using)


def get_template(ctx: Context, name: str) -> Template:
    template = ctx.site.templates.get(name)
    if template is None:
        raise not_found(ctx, f"template {name!r}")
    return template


def shown_values(template: Template) -> dict[str, Any]:
    """The template as its form shows it: the fields in order, each setting, the URL segments'
    box and rules, and the groups' ticked names (lists)."""
    settings = template.settings
    return {"name": template.name, "fields": template.field_names,
            "label": settings.get("label") or "", "no_children": bool(settings.get("no_children")),
            "sortfield": settings.get("sortfield") or "",
            "parent_templates": list(settings.get("parent_templates") or []),
            "child_templates": list(settings.get("child_templates") or []),
            **segment_inputs(settings), "page_numbers": bool(settings.get("page_numbers")),
            "use_roles": bool(settings.get("use_roles")),
            **{key: [] for key in ACCESS_LISTS},      # none ticked while access is inherited
            **{f"{key}_roles": list(names) for key, names in template.access_roles().items()}}


def inputs_of(values: dict[str, Any], options: dict[str, list[str]]) -> dict[str, Any]:
    """`shown_values` as the form's inputs: each group one box per option (`form_merge.boxes`),
    those offered and those ticked."""
    inputs = {key: value for key, value in values.items() if key not in options and key != "name"}
    for group, offered_here in options.items():
        inputs.update(boxes(group, offered_here, values[group]))
    return inputs


def group_options(ctx: Context) -> dict[str, list[str]]:
    """The names each group of boxes offers: templates (allowed parents and children), roles
    (access)."""
    templates = sorted(t.name for t in ctx.site.templates)
    roles = [role.name for role in ctx.site.users.roles()]
    return {"parent_templates": templates, "child_templates": templates,
            **{key: roles for key in ACCESS_LISTS}}


def render_form(ctx: Context, template: Template | None, values: dict[str, Any],
                errors: dict[str, str], confirm_remove: bool = False) -> str:
    """The template's form; `confirm_remove` adds the box that confirms deleting the values of
    fields taken away."""
    chosen = [ctx.site.fields.get(name) for name in values["fields"]]
    fields = [(name, field.label if field else name) for name, field in zip(values["fields"], chosen)]
    others = [(f.name, f"{f.name} ({f.type.name})") for f in sorted(ctx.site.fields,
                                                                    key=lambda f: f.name)
              if f.name not in values["fields"] and offered_to_add(ctx, f)]
    template_names = [(t.name, t.label) for t in sorted(ctx.site.templates, key=lambda t: t.name)]
    used = ctx.site.templates.pages_using(template.name) if template else 0
    refused = ctx.site.templates.delete_refused(template.name) if template else None
    role_names = [(role.name, role.name) for role in ctx.site.users.roles()]
    # what the template holds as stored now: a save merges with what was saved since
    was = digests(inputs_of(shown_values(ctx.site.templates[template.name]), group_options(ctx))) \
        if template else {}
    return ctx.render("setup_template_edit.html", template=template, values=values,
                      fields=fields, others=others, template_names=template_names,
                      role_names=role_names, pages_using=used, errors=errors,
                      confirm_remove=confirm_remove, delete_refused=refused and str(refused),
                      was=was)
