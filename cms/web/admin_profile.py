"""Profile: every logged-in user's own email address and password (ProcessWire's ProcessProfile).

- `/admin/profile/`: the form; POST saves it. Any change asks for the current password (a
  browser left logged in does not hand over the account), and a wrong one counts as a failed
  login of the account for the throttle (not of the address, which others share); one left
  empty is asked for, and counts as no guess. A new
  password ends the user's other sessions, as everywhere, and this browser is logged in
  again with it.

Users may not edit user pages (Access is for superusers), but `Pages` lets every user save
their own email and password, so the route, a script acting as the user and the API answer
alike.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import bottle

from .. import passwords
from ..errors import CmsError
from .answers import HttpError
from .auth import known_device, throttle_key
from .forms import place_error

if TYPE_CHECKING:
    from .app import Context, Web

PROFILE_INPUTS = {"email": "email", "pass": "new_password", "min_length": "new_password"}


def register(web: Web) -> None:
    app = web.app

    @app.get("/admin/profile/", permission=None)
    def profile_form(ctx: Context) -> str:
        require_login(ctx)
        return render(ctx, {"email": ctx.user.get("email") or ""}, {})

    @app.post("/admin/profile/", permission=None)
    def save_profile(ctx: Context) -> str:
        require_login(ctx)
        ctx.check_csrf()
        site, user = ctx.site, ctx.user
        values = {"email": ctx.form("email").strip()}
        new, again = ctx.form("new_password"), ctx.form("again")
        errors: dict[str, str] = {}
        current = ctx.form("current_password")[:passwords.MAX_LENGTH]
        if not current:      # forgotten, not wrong: no guess to count against the account
            errors["current_password"] = "Type your current password to save a change."
            bottle.response.status = 400
            return render(ctx, values, errors)
        account = throttle_key(site, user.name)
        address = ctx.request.environ.get("REMOTE_ADDR", "")
        device = known_device(ctx, account)
        wait = web.throttle.attempt(account, address, own=True, device=device)
        if wait > 0:
            bottle.response.status = 429
            errors["current_password"] = (f"Too many wrong passwords. Try again in "
                                          f"{math.ceil(wait)} second(s).")
            return render(ctx, values, errors)
        if not site.users.authenticate(user.name, current):
            errors["current_password"] = "That is not your current password; nothing was saved."
        else:
            web.throttle.succeeded(account, address, own=True, device=device)
            if new != again:
                errors["again"] = "The two new passwords differ."
        if errors:
            bottle.response.status = 400
            return render(ctx, values, errors)
        try:
            with site.transaction():
                own = site.users[user.id]
                if values["email"] != (own.get("email") or ""):
                    own.set("email", values["email"])
                    own.save("email")
                if new:
                    site.users.set_password(own, new)
        except CmsError as exc:
            place_error(exc, PROFILE_INPUTS, errors)
            bottle.response.status = 400
            return render(ctx, values, errors)
        if new:          # every session of the user ended: this browser starts a new one
            fresh = site.users[user.id]
            ctx.session.login(fresh.id, site.users.start_session(fresh, web.max_age),
                              site.users.credentials_stamp(fresh))
            ctx.notice("message", "Saved your profile. Your new password holds from now on; "
                                  "your other sessions were logged out.")
        else:
            ctx.notice("message", "Saved your profile.")
        ctx.redirect("/admin/profile/")
        return ""


def require_login(ctx: Context) -> None:
    """A guest is sent to log in, as from any admin screen (a form sent after the login ended
    meets the login form that keeps it: `auth.login_to_send_again`)."""
    if not ctx.user_id:
        raise HttpError("you are not logged in: log in to see your profile", 403, login=True)


def render(ctx: Context, values: dict[str, Any], errors: dict[str, str]) -> str:
    return ctx.render("profile.html", values=values, errors=errors)
