"""Modules: the installed and available modules, install, uninstall, and their settings.

- `/admin/modules/` lists every module this site can find (its `modules/` folder, entry
  points, the built-in ones, and any registered by code) with its title, version, summary,
  where it came from and whether it is installed; modules that failed to load are named with
  the reason, and installed modules that can no longer be found are listed too.
- POST `/admin/modules/<name>/install` and `/uninstall` (confirmed in the browser).
- `/admin/modules/<name>/settings`: a form built from the module's `config_defaults`; the
  module's `check_config` refuses a bad value (shown beside it) and nothing is saved. Saved
  after another save of them (another tab), the form keeps that save's changes to the
  settings it left alone and refuses one it changed too (`form_merge`).

Superusers only, as in ProcessWire. The routes call `site.modules`.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, NamedTuple

import bottle

from ..errors import CmsError
from .app import SUPERUSER
from .form_merge import digests, kept_notice, merge_inputs, refused_status
from .forms import checked, place_error

log = logging.getLogger("cms.web")

if TYPE_CHECKING:
    from .app import Context, Web


class Row(NamedTuple):
    """One module in the list."""
    name: str
    title: str
    version: str
    summary: str
    source: str
    installed: bool
    has_settings: bool
    problem: str


class Setting(NamedTuple):
    """One input of a settings form."""
    key: str
    kind: str           # checkbox, number, text
    value: Any
    default: Any
    label: str = ""
    help: str = ""


def register(web: Web) -> None:
    app = web.app

    @app.get("/admin/modules/", permission=SUPERUSER)
    def module_list(ctx: Context) -> str:
        modules = ctx.site.modules
        installed = set(modules.installed())
        rows = [row_for(ctx, name, name in installed)
                for name in sorted(set(modules.known()) | installed)]
        return ctx.render("modules.html", rows=rows, load_errors=modules.load_errors)

    @app.post("/admin/modules/<name>/install", permission=SUPERUSER)
    def install(ctx: Context, name: str) -> None:
        ctx.check_csrf()
        try:
            ctx.site.modules.install(name)
        except CmsError as exc:
            ctx.notice("error", str(exc))
        except Exception as exc:  # noqa: BLE001 - the module's own code: said, and logged
            # its install() ran (a failing one is a ModuleError, undone), then its init()
            # raised: the module stays installed, and is started again at its next use
            log.exception("module %s: init() failed after its install", name)
            where = "is installed, but its init() failed" if ctx.site.modules.is_installed(name) \
                else "failed to install"
            ctx.notice("error", f"The module {name} {where}: {type(exc).__name__}: {exc} (the "
                                "traceback is in the server's log)")
        else:
            ctx.notice("message", f"Installed the module {name}")
        ctx.redirect("/admin/modules/")

    @app.post("/admin/modules/<name>/uninstall", permission=SUPERUSER)
    def uninstall(ctx: Context, name: str) -> None:
        ctx.check_csrf()
        ctx.confirm(f"Uninstall {name}? What it installed may be removed.", "Uninstall",
                    "/admin/modules/")
        said: list[Any] = []          # what the module warns about while it goes
        ctx.site.notices.listen(said.append)
        try:
            ctx.site.modules.uninstall(name)
        except CmsError as exc:
            ctx.notice("error", str(exc))
        else:
            ctx.notice("message", f"Uninstalled the module {name}")
        finally:
            ctx.site.notices.unlisten(said.append)
        for notice in said:
            if notice.kind in ("warning", "error"):
                ctx.notice(notice.kind, notice.text)
        ctx.redirect("/admin/modules/")

    @app.get("/admin/modules/<name>/settings", permission=SUPERUSER)
    def settings_form(ctx: Context, name: str) -> str:
        cls = get_class(ctx, name)
        stored = ctx.site.modules.get_config(name) if ctx.site.modules.is_installed(name) else {}
        return ctx.render("module_settings.html", name=name, info=cls.info,
                          settings=settings_of(cls, {**cls.config_defaults, **stored}),
                          installed=ctx.site.modules.is_installed(name), errors={},
                          was=digests(shown_settings(cls, stored)) if stored else {})

    @app.post("/admin/modules/<name>/settings", permission=SUPERUSER)
    def save_settings(ctx: Context, name: str) -> str:
        ctx.check_csrf()
        cls = get_class(ctx, name)
        submitted = read_settings(ctx, cls)
        errors: dict[str, str] = {}
        kept: list[str] = []
        installed = ctx.site.modules.is_installed(name)
        if not installed:
            errors["_"] = f"the module {name} is not installed: install it first"
        else:         # a setting changed here and in another tab since the form was opened: refused
            submitted, kept, errors = merge_inputs(
                ctx.request.forms, shown_settings(cls, ctx.site.modules.get_config(name)), submitted,
                {s.key: s.label for s in settings_of(cls, {})})
        if not errors:
            try:
                ctx.site.modules.save_config(name, **submitted)
            except CmsError as exc:
                inputs = {key: key for key in cls.config_defaults}
                place_error(exc, inputs, errors)
                for key, value in submitted.items():     # mark every bad value, not the first
                    if key not in errors:
                        try:
                            cls.check_config({key: value})
                        except CmsError as each:
                            place_error(each, inputs, errors)
            else:
                ctx.notice("message", f"Saved the settings of {name}")
                if kept:
                    ctx.notice("warning", kept_notice(kept))
                ctx.redirect(f"/admin/modules/{name}/settings")
        bottle.response.status = refused_status(errors)
        was = digests(shown_settings(cls, ctx.site.modules.get_config(name))) if installed else {}
        return ctx.render("module_settings.html", name=name, info=cls.info,
                          settings=settings_of(cls, submitted), installed=True, errors=errors, was=was)


def get_class(ctx: Context, name: str) -> Any:
    try:
        return ctx.site.modules.get_class(name)
    except CmsError as exc:
        raise bottle.HTTPResponse(ctx.render("error.html", status=404, message=str(exc)),
                                  status=404) from None


def row_for(ctx: Context, name: str, installed: bool) -> Row:
    """A module's row; one that cannot be loaded says why."""
    try:
        cls = ctx.site.modules.get_class(name)
        source = ctx.site.modules.source(name)
    except Exception as exc:  # noqa: BLE001 - a broken module is shown, not a broken page
        return Row(name, name, "", "", "", installed, False,
                   f"cannot be loaded: {type(exc).__name__}: {exc}")
    info = cls.info
    return Row(name, info.get("title") or name, str(info.get("version", "")),
               info.get("summary", ""), source, installed, bool(cls.config_defaults), "")


def is_switch(cls: Any, key: str) -> bool:
    """A setting shown as a checkbox: a bool, or a whole number limited to 0 and 1."""
    default = cls.config_defaults[key]
    return isinstance(default, bool) or (isinstance(default, int)
                                         and tuple(cls.config_limits.get(key, ())) == (0, 1))


def settings_of(cls: Any, values: dict[str, Any]) -> list[Setting]:
    """The form's inputs: the module's label for each (else its key as words), and a help
    line with the key, the default and the bounds."""
    result = []
    for key, default in cls.config_defaults.items():
        switch = is_switch(cls, key)
        kind = "checkbox" if switch else "number" if isinstance(default, (int, float)) else "text"
        label = cls.config_labels.get(key) or key.replace("_", " ").capitalize()
        shown = ("on" if default else "off") if switch else default
        low, high = cls.config_limits.get(key, (None, None))
        bounds = "" if switch or (low is None and high is None) else (
            f"; {low} to {high}" if low is not None and high is not None
            else f"; at least {low}" if low is not None else f"; at most {high}")
        result.append(Setting(key, kind, values.get(key, default), default, label,
                              f"{key}, default {shown}{bounds}"))
    return result


def shown_settings(cls: Any, stored: dict[str, Any]) -> dict[str, Any]:
    """Settings as stored, as the form's inputs show them (`read_settings` reads them back):
    a switch "1" or "0", any other value its text."""
    values = {**cls.config_defaults, **stored}
    return {key: ("0" if values[key] in (0, "0", False, "", None) else "1") if is_switch(cls, key)
            else "" if values[key] is None else str(values[key]) for key in cls.config_defaults}


def read_settings(ctx: Context, cls: Any) -> dict[str, Any]:
    """The form's settings as text (switches as 1 or 0); the module converts and checks them."""
    form = ctx.request.forms
    return {key: ("1" if checked(form, key) else "0") if is_switch(cls, key) else ctx.form(key)
            for key in cls.config_defaults}

