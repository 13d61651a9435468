"""Access: users (add, roles, password, delete), roles with their permissions, permissions.

- `/admin/access/users/` (by name, 50 a page, `?q=` finds names and emails containing the
  text), `/admin/access/users/add`, `/admin/access/users/<id>/edit` (roles,
  email, a new password when one is typed), POST `/admin/access/users/<id>/delete`.
- `/admin/access/roles/` (add a role with permissions), `/admin/access/roles/<id>/edit`,
  POST `/admin/access/roles/<id>/delete` (the guest and superuser roles stay).
- `/admin/access/permissions/` lists the permissions and adds one (modules add theirs too).
- `/admin/access/`, the menu's Access, leads to the users.

Superusers only. The routes call `site.users` (add, set_password, delete, add_role,
add_permission); a user's roles and a role's permissions are their page fields, saved
through the page API. Every user keeps the guest role, as in ProcessWire.

A user's or a role's form saved after another save of it (another tab) keeps that save's
changes to the inputs it left alone (each box of roles or permissions one input), and refuses
an email changed in both (`form_merge`); a new password typed is always set.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import bottle

from ..access import VIEW
from ..errors import CmsError, ValidationError
from ..users import USERS_PATH, User, with_view_permission
from .app import SUPERUSER
from .form_merge import boxes, digests, kept_notice, merge_inputs, not_found, refused_status, ticked
from .forms import names_list, place_error, selector_quoted

if TYPE_CHECKING:
    from ..page import Page
    from .app import Context, Web

USER_INPUTS = {"name": "name", "unique": "name", "pass": "password", "min_length": "password",
               "roles": "roles", "email": "email"}
ROLE_INPUTS = {"name": "name", "permissions": "permissions"}
KEPT_ROLES = ("guest", "superuser")
USERS_PAGE_SIZE = 50


def register(web: Web) -> None:
    app = web.app

    @app.get("/admin/access/", permission=SUPERUSER)
    def access_section(ctx: Context) -> None:
        """The menu's Access, whose first screen is Users."""
        ctx.redirect(USERS_PATH)

    # -- users ----------------------------------------------------------------------------------
    @app.get("/admin/access/users/", permission=SUPERUSER)
    def users(ctx: Context) -> str:
        """A page of the users by name: a membership site has thousands, which one list of all
        would render in full at every visit."""
        start = ctx.int_param("start", 0, 0, 10 ** 9)
        q = ctx.site.sanitizer.text(ctx.query("q"), 100, strip_tags=False)    # searched as typed
        # A name is matched as a page name, which a text like `"` or `@` sanitizes away to
        # nothing, and `name%=` of nothing matched every user: such a text is looked for in
        # the emails alone.
        fields = "name|email" if ctx.site.sanitizer.page_name(q) else "email"
        found = ctx.site.pages.find(", ".join(
            [f"parent={USERS_PATH}", "include=all", "sort=name", f"start={start}",
             f"limit={USERS_PAGE_SIZE}"] + ([f"{fields}%={selector_quoted(q)}"] if q else [])))
        users = [User.of(page) for page in found]
        names = ctx.site.users.role_names_of(user.id for user in users)     # one query, not one a user
        rows = [(user, names[user.id]) for user in users]

        def list_url(**changes: Any) -> str:
            kept = {k: v for k, v in {"q": q, "start": start, **changes}.items() if v}
            return USERS_PATH + ("?" + urlencode(kept) if kept else "")

        return ctx.render("access_users.html", rows=rows, total=found.total, start=start,
                          page_size=USERS_PAGE_SIZE, q=q, list_url=list_url, current="users")

    @app.get("/admin/access/users/add", permission=SUPERUSER)
    def add_user_form(ctx: Context) -> str:
        return render_user(ctx, None, {"name": "", "email": "", "roles": []}, {})

    @app.post("/admin/access/users/add", permission=SUPERUSER)
    def add_user(ctx: Context) -> str:
        ctx.check_csrf()
        values = {"name": ctx.form("name").strip(), "email": ctx.form("email").strip(),
                  "roles": names_list(ctx.request.forms, "roles")}
        errors: dict[str, str] = {}
        try:
            ctx.site.users.exact_name(values["name"])
            user = ctx.site.users.add(values["name"], ctx.form("password"), roles=values["roles"],
                                      email=values["email"])
        except CmsError as exc:
            place_error(exc, USER_INPUTS, errors)
        else:
            ctx.notice("message", f"Added the user {user.name}")
            ctx.redirect("/admin/access/users/")
        bottle.response.status = 400
        return render_user(ctx, None, values, errors)

    @app.get("/admin/access/users/<user_id:int>/edit", permission=SUPERUSER)
    def edit_user_form(ctx: Context, user_id: int) -> str:
        user = get_user(ctx, user_id)
        return render_user(ctx, user, {"name": user.name, "email": user.get("email") or "",
                                       "roles": user.role_names()}, {})

    @app.post("/admin/access/users/<user_id:int>/edit", permission=SUPERUSER)
    def edit_user(ctx: Context, user_id: int) -> str:
        ctx.check_csrf()
        user = get_user(ctx, user_id)
        form = ctx.request.forms
        merged = merge_inputs(form, user_inputs(ctx, user.get("email") or "", user.role_names()),
                              user_inputs(ctx, ctx.form("email").strip(), names_list(form, "roles")),
                              {"email": "Email", "roles": "Roles"})
        values = {"name": user.name, "email": merged.values["email"],
                  "roles": ticked("roles", merged.values)}
        errors = merged.errors
        if errors:
            bottle.response.status = refused_status(errors)
            return render_user(ctx, user, values, errors)
        if user.id == ctx.user_id and user.is_superuser() and "superuser" not in values["roles"]:
            # the browser would be logged out of every screen it came from; another
            # superuser can do it, knowingly
            errors["roles"] = ("You cannot take the superuser role from yourself; "
                               "another superuser can.")
            bottle.response.status = 400
            return render_user(ctx, user, values, errors)
        try:
            with ctx.site.transaction():
                user.set("email", values["email"])
                user.set("roles", role_pages(ctx, ["guest", *values["roles"]]))
                user.save()
                if ctx.form("password"):
                    ctx.site.users.set_password(user, ctx.form("password"))
        except CmsError as exc:
            place_error(exc, USER_INPUTS, errors)
        else:
            ctx.notice("message", f"Saved the user {user.name}")
            if merged.kept:
                ctx.notice("warning", kept_notice(merged.kept))
            ctx.redirect("/admin/access/users/")
        bottle.response.status = 400
        return render_user(ctx, get_user(ctx, user_id), values, errors)

    @app.post("/admin/access/users/<user_id:int>/delete", permission=SUPERUSER)
    def delete_user(ctx: Context, user_id: int) -> None:
        ctx.check_csrf()
        user = get_user(ctx, user_id)
        if user.id == ctx.user_id:
            ctx.notice("error", "You cannot delete the user you are logged in as.")
        else:
            ctx.confirm(f"Delete the user {user.name}?", "Delete the user",
                        f"/admin/access/users/{user.id}/edit")
            try:
                ctx.site.users.delete(user)
            except CmsError as exc:
                ctx.notice("error", str(exc))
            else:
                ctx.notice("message", f"Deleted the user {user.name}")
        ctx.redirect("/admin/access/users/")

    # -- roles ----------------------------------------------------------------------------------
    @app.get("/admin/access/roles/", permission=SUPERUSER)
    def roles(ctx: Context) -> str:
        return render_roles(ctx, {"name": "", "permissions": []}, {})

    @app.post("/admin/access/roles/", permission=SUPERUSER)
    def add_role(ctx: Context) -> str:
        ctx.check_csrf()
        values = {"name": ctx.form("name").strip(),
                  "permissions": names_list(ctx.request.forms, "permissions")}
        errors: dict[str, str] = {}
        if ctx.site.users.role(ctx.site.sanitizer.page_name(values["name"])):
            errors["name"] = f"there is a role {values['name']!r} already"
        else:
            try:
                ctx.site.users.exact_name(values["name"], "role")
                role = ctx.site.users.add_role(values["name"], values["permissions"])
            except CmsError as exc:
                place_error(exc, ROLE_INPUTS, errors)
            else:
                ctx.notice("message", f"Added the role {role.name}")
                ctx.redirect("/admin/access/roles/")
        bottle.response.status = 400
        return render_roles(ctx, values, errors)

    @app.get("/admin/access/roles/<role_id:int>/edit", permission=SUPERUSER)
    def edit_role_form(ctx: Context, role_id: int) -> str:
        role = get_role(ctx, role_id)
        return render_role(ctx, role, [p.name for p in role.get("permissions")], {})

    @app.post("/admin/access/roles/<role_id:int>/edit", permission=SUPERUSER)
    def edit_role(ctx: Context, role_id: int) -> str:
        ctx.check_csrf()
        role = get_role(ctx, role_id)
        offered = [name for name, _ in permission_options(ctx)]
        merged = merge_inputs(ctx.request.forms,
                              boxes("permissions", offered, [p.name for p in role.get("permissions")]),
                              boxes("permissions", offered, names_list(ctx.request.forms, "permissions")),
                              {"permissions": "Permissions"})
        chosen = ticked("permissions", merged.values)      # boxes only: no conflict, each is
        errors: dict[str, str] = {}                          # on or off
        known = {p.name: p for p in ctx.site.users.permissions()}
        unknown = [name for name in chosen if name not in known]
        if unknown:
            errors["permissions"] = f"there is no permission {unknown[0]!r}"
        else:
            try:
                role.set("permissions", [known[name] for name in with_view_permission(chosen)])
                role.save("permissions")
            except CmsError as exc:
                place_error(exc, ROLE_INPUTS, errors)
            else:
                ctx.notice("message", f"Saved the role {role.name}")
                if merged.kept:
                    ctx.notice("warning", kept_notice(merged.kept))
                ctx.redirect("/admin/access/roles/")
        bottle.response.status = 400
        return render_role(ctx, role, chosen, errors)

    @app.post("/admin/access/roles/<role_id:int>/delete", permission=SUPERUSER)
    def delete_role(ctx: Context, role_id: int) -> None:
        ctx.check_csrf()
        role = get_role(ctx, role_id)
        if role.name in KEPT_ROLES:
            ctx.notice("error", f"The {role.name} role is part of the system and stays.")
        else:
            ctx.confirm(f"Delete the role {role.name}? Users lose it.", "Delete the role",
                        f"/admin/access/roles/{role.id}/edit")
            try:
                ctx.site.pages.delete(role)
            except CmsError as exc:
                ctx.notice("error", str(exc))
            else:
                ctx.notice("message", f"Deleted the role {role.name}")
        ctx.redirect("/admin/access/roles/")

    # -- permissions ----------------------------------------------------------------------------
    @app.get("/admin/access/permissions/", permission=SUPERUSER)
    def permissions(ctx: Context) -> str:
        return render_permissions(ctx, {"name": "", "title": ""}, {})

    @app.post("/admin/access/permissions/", permission=SUPERUSER)
    def add_permission(ctx: Context) -> str:
        ctx.check_csrf()
        values = {"name": ctx.form("name").strip(), "title": ctx.form("title").strip()}
        errors: dict[str, str] = {}
        if values["name"] in ctx.site.users.permission_names(refresh=True):
            errors["name"] = f"there is a permission {values['name']!r} already"
        else:
            try:
                ctx.site.users.exact_name(values["name"], "permission")
                added = ctx.site.users.add_permission(values["name"], values["title"])
            except CmsError as exc:
                place_error(exc, {"name": "name"}, errors)
            else:
                ctx.notice("message", f"Added the permission {added.name}")
                ctx.redirect("/admin/access/permissions/")
        bottle.response.status = 400
        return render_permissions(ctx, values, errors)


def get_user(ctx: Context, user_id: int) -> Any:
    user = ctx.site.users.get(user_id)
    if not user:
        raise not_found(ctx, f"user {user_id}")
    return user


def get_role(ctx: Context, role_id: int) -> Page:
    role = next((r for r in ctx.site.users.roles() if r.id == role_id), None)
    if role is None:
        raise not_found(ctx, f"role {role_id}")
    return role


def role_pages(ctx: Context, names: list[str]) -> list[Page]:
    """The role pages named (ValidationError on field "roles" for an unknown one)."""
    known = {role.name: role for role in ctx.site.users.roles()}
    for name in names:
        if name not in known:
            raise ValidationError(f"there is no role {name!r}", field="roles", value=name,
                                  rule="exists")
    return [known[name] for name in dict.fromkeys(names)]


def permission_options(ctx: Context) -> list[tuple[str, str]]:
    """The permissions a role may be given; not page-view, which every role holds."""
    return [(p.name, f"{p.name} ({p.get('title')})" if p.get("title") not in ("", p.name)
             else p.name) for p in ctx.site.users.permissions() if p.name != VIEW]


def user_inputs(ctx: Context, email: str, roles: list[str]) -> dict[str, Any]:
    """A user's form as inputs to merge (`form_merge`): the email, a box per role."""
    offered = [r.name for r in ctx.site.users.roles() if r.name != "guest"]
    return {"email": email, **boxes("roles", offered, roles)}


def render_user(ctx: Context, user: Any, values: dict[str, Any], errors: dict[str, str]) -> str:
    """The add form, or `user`'s form with the digests of the user as stored now."""
    roles = [(r.name, r.name) for r in ctx.site.users.roles() if r.name != "guest"]
    stored = ctx.site.users.get(user.id) if user else None
    was = digests(user_inputs(ctx, stored.get("email") or "", stored.role_names())) if stored else {}
    return ctx.render("access_user_edit.html", edited=user, values=values, errors=errors,
                      roles=roles, current="users", was=was)


def render_role(ctx: Context, role: Page, chosen: list[str], errors: dict[str, str]) -> str:
    """A role's form, with the digests of its permissions as stored now."""
    permissions = permission_options(ctx)
    stored = ctx.site.users.role(role.name)
    was = digests(boxes("permissions", [name for name, _ in permissions],
                        [p.name for p in stored.get("permissions")])) if stored else {}
    return ctx.render("access_role_edit.html", role=role, errors=errors, current="roles",
                      chosen=chosen, permissions=permissions, was=was)


def render_roles(ctx: Context, values: dict[str, Any], errors: dict[str, str]) -> str:
    rows = [(role, with_view_permission(p.name for p in role.get("permissions")))
            for role in ctx.site.users.roles()]
    return ctx.render("access_roles.html", rows=rows, values=values, errors=errors,
                      permissions=permission_options(ctx), current="roles")


def render_permissions(ctx: Context, values: dict[str, str], errors: dict[str, str]) -> str:
    return ctx.render("access_permissions.html", rows=ctx.site.users.permissions(),
                      values=values, errors=errors, current="permissions")
