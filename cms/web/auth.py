"""Login and logout, and the slow-down after failed logins.

`/admin/login` (GET: the form; POST: fields `username`, `password`, `csrf_token`) and
`/admin/logout` (POST with the token). A form sent to the admin after its login ended (a
logout in another tab, a new password, the session's age) is answered with the login form,
which says nothing was saved and carries the form's values (`kept-name`, `kept-value`), so
that once logged in the person may send them again (`login_to_send_again`).

After a few failed logins for one name, or from one address, each further attempt must
wait longer (1 s, 2 s, 4 s ... up to a minute); while it waits the password is not even
checked, so guessing gains nothing by hurrying. The counts live in this process's memory: a
restart forgets them, and each server process counts its own. The address is the
connection's (REMOTE_ADDR); X-Forwarded-For is not trusted, since anyone can send it.
"""
from __future__ import annotations

import math
import threading
import time
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import unquote, urlsplit

import bottle

from .. import passwords
from . import csrf, sessions
from .answers import HttpError
from .forms import all_items, as_text

if TYPE_CHECKING:
    from .app import Context, Web


ACCOUNT_PREFIX = "user:"        # a throttle_key naming a user (others name a mere name)
# What the login form does not keep of a form sent after the login ended: its token, stale,
# and the passwords of Profile and Access, which no form of the admin writes into a page.
NOT_KEPT = frozenset({csrf.FIELD, "password", "new_password", "again", "current_password"})


class LoginThrottle:
    """Counts login attempts per name at an address, per name and per address, and says how
    long the next must wait.

    An attempt is counted when it is let through (`attempt`), before its password is checked,
    so sixteen sent at once do not all get checked while the first failures are being
    recorded; a success takes its own attempt back (`succeeded`). The name's own counter at
    one address is strict (3 free); the name's counter from every address together is loose
    (20 free), so failures sent from elsewhere slow a guesser down without locking the real
    user out at once; the address's counter (10 free) slows one address trying many names,
    and an attacker's own successful logins do not clear it. Behind a reverse proxy every
    client has the proxy's address: see README, Security notes.

    The counters live in this process's memory. Those of names at addresses, of addresses and
    of names that are no user are kept up to `max_entries`; when full, the stale ones and then
    the oldest are forgotten. A user's count from every address (a `throttle_key` starting
    "user:") is kept apart and never forgotten that way (there are only as many as users):
    else one guess each for thousands of made-up names, from as many addresses, pushed it
    out and gave the guesser the account's free tries again.
    """

    def __init__(self, free_per_name: int = 3, free_per_address: int = 10, base_delay: float = 1.0,
                 max_delay: float = 60.0, clock: Callable[[], float] = time.monotonic,
                 max_entries: int = 10000, free_per_name_anywhere: int = 20):
        self.free = {"pair": free_per_name, "name": free_per_name_anywhere,
                     "addr": free_per_address}
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.clock = clock
        self.max_entries = max_entries
        self._attempts: dict[tuple[str, str], tuple[int, float]] = {}
        self._accounts: dict[tuple[str, str], tuple[int, float]] = {}    # users' counts
        self._lock = threading.Lock()

    def _keys(self, name: str, address: str, own: bool = False,
              device: str = "") -> list[tuple[str, str]]:
        name = name.strip().lower()[:128]
        if device:         # a browser that logged in to this account before: its own count
            return [("pair", f"{name}\ndevice:{device}")]
        keys = [("pair", f"{name}\n{address}"), ("name", name)]
        return keys if own else [*keys, ("addr", address)]

    def _table(self, key: tuple[str, str]) -> dict[tuple[str, str], tuple[int, float]]:
        """Where a counter lives: a user's count from every address apart, beyond eviction."""
        return (self._accounts if key[0] == "name" and key[1].startswith(ACCOUNT_PREFIX)
                else self._attempts)

    def _delay(self, kind: str, count: int) -> float:
        over = count - self.free[kind]
        if over < 0:
            return 0.0
        return min(self.max_delay, self.base_delay * 2 ** min(over, 30))

    def _wait(self, keys: list[tuple[str, str]], now: float) -> float:
        wait = 0.0
        for key in keys:
            count, last = self._table(key).get(key, (0, 0.0))
            if count:
                wait = max(wait, last + self._delay(key[0], count) - now)
        return max(0.0, wait)

    def wait_time(self, name: str, address: str) -> float:
        """Seconds before another attempt for this name from this address is heard (0 = now)."""
        with self._lock:
            return self._wait(self._keys(name, address), self.clock())

    def attempt(self, name: str, address: str, *, own: bool = False, device: str = "") -> float:
        """0 and the attempt counted (as failed until `succeeded` says otherwise), or the
        seconds to wait, nothing counted.

        `own`: a logged-in user checking their own password (Profile), counted for their
        account only: the address's count guards against one address trying many names,
        which such a check cannot do, and counting it let an editor behind the superuser's
        address (one office, one proxy) keep the superuser's logins waiting.
        `device`: the id of a browser that logged in to the account before (its signed
        cookie): counted for that browser alone, as strictly as a name at an address, and
        never slowed by failures from elsewhere, so that nobody can keep the account's owner
        out by failing for the name from other addresses or from the owner's own."""
        now = self.clock()
        keys = self._keys(name, address, own, device)
        with self._lock:
            wait = self._wait(keys, now)
            if wait > 0:
                return wait
            if len(self._attempts) >= self.max_entries:
                self._forget_old(now)
            for key in keys:
                table = self._table(key)
                count, _ = table.get(key, (0, 0.0))
                table[key] = (count + 1, now)
        return 0.0

    def succeeded(self, name: str, address: str, *, own: bool = False, device: str = "") -> None:
        """The attempt was right: the name starts afresh; the address only takes this attempt
        back (logins of one's own between guesses must not clear it). `own` and `device` as
        `attempt`'s."""
        with self._lock:
            for key in self._keys(name, address, own, device):
                if key[0] != "addr":
                    self._table(key).pop(key, None)
                elif key in self._attempts:
                    count, last = self._attempts[key]
                    if count <= 1:
                        del self._attempts[key]
                    else:
                        self._attempts[key] = (count - 1, last)

    def _forget_old(self, now: float) -> None:
        stale = [k for k, (_, last) in self._attempts.items() if now - last > self.max_delay]
        for key in stale:
            del self._attempts[key]
        while len(self._attempts) >= self.max_entries:      # still full: drop the oldest
            del self._attempts[min(self._attempts, key=lambda k: self._attempts[k][1])]


def holds_control_character(text: str) -> bool:
    """Whether `text` holds a control character (C0 or DEL): no URL to send a browser to.
    Browsers drop some of them from a URL, and bottle refuses a NUL in a header."""
    return any(ord(char) < 32 or ord(char) == 127 for char in text)


def safe_next(url: str | None) -> str:
    """Where to go after login: a path on this site only (never another host).

    Browsers drop tabs and newlines from URLs and read a backslash as a slash, so
    `/\t/evil.example/` would lead off the site: any control character, backslash, scheme or
    authority (also once percent-decoded) sends the user to the admin instead.
    """
    fallback = "/admin/"
    if not url or not isinstance(url, str) or len(url) > 2048:
        return fallback
    decoded = unquote(url)
    for text in (url, decoded):
        if (not text.startswith("/") or text.startswith("//") or "\\" in text
                or holds_control_character(text)):
            return fallback
        parts = urlsplit(text)
        if parts.scheme or parts.netloc:
            return fallback
    return url


def throttle_key(site: Any, name: str) -> str:
    """The account a login name means, for counting failures: `Admin`, `admin.` and `admín`
    all log in as `admin` (names are sanitized as page names), so they share one counter.
    A name that is no user counts under its sanitized spelling. A name of digits is the
    user of that name, as the login checks it, never the user whose id it is."""
    clean = site.sanitizer.page_name(name) if name else ""
    user = site.users.named(clean) if clean else None
    if user:
        return f"{ACCOUNT_PREFIX}{user.id}"
    return "name:" + (clean or name.strip().lower()[:128])


def known_device(ctx: Context, account: str) -> str:
    """The id of this browser when it logged in to `account` (a `throttle_key`) before, by
    its signed cookie; "" otherwise, and for a name that is no user."""
    if not account.startswith(ACCOUNT_PREFIX):
        return ""
    value = sessions.cookie_value(ctx.request.environ.get("HTTP_COOKIE", ""), sessions.DEVICE_COOKIE)
    return ctx.web.codec(ctx.site).device_of(value, int(account[len(ACCOUNT_PREFIX):]))


def end_login(ctx: Context) -> None:
    """End the session's login on every server: its row goes (the others refuse it within
    seconds), and this process forgets it at once, on every thread."""
    ctx.site.users.end_session(ctx.session.session_id)
    ctx.web.access.forget(ctx.session.session_id)


def start_screen(can: Callable[[str], bool], logged_in: bool) -> str:
    """The admin screen a user starts from, after login too: the page tree, the task monitor
    for someone who may only steer tasks (a tasker-admin without page-edit), or Profile for a
    logged-in user who may use neither (as ProcessWire's login offers "Edit Profile")."""
    if can("page-edit"):
        return "/admin/"
    if can("tasker-admin"):
        return "/admin/tasks/"
    return "/admin/profile/" if logged_in else "/admin/"


def login_to_send_again(ctx: Context) -> bottle.HTTPResponse:
    """The login form, answering a form sent by a browser whose login had ended: it says that
    nothing was saved, and carries the form's values, so that after the login the person
    may send them again, not type them anew (the redirect to the login page dropped them
    without a word). A form the browser does not say came from this site is not kept, as
    the page editor drops one: kept, it would be one click from being saved as the user's.
    Nor is one sent to an address the login's `next` may not hold (`safe_next` gives the
    admin's start instead): it would be sent again there."""
    target = ctx.request.fullpath
    if ctx.request.query_string:
        target += "?" + ctx.request.query_string
    goto = safe_next(target)
    kept = ([(name, value) for name, value in all_items(ctx.request.forms) if name not in NOT_KEPT]
            if ctx.from_this_site() and goto == target else [])
    error = ("You are not logged in (you logged out, maybe in another tab, or your login ended), "
             "so what you sent was not saved. " + ("Log in to send it again." if kept else
                                                   "Log in to go on."))
    body = ctx.render("login.html", next=goto, username="", error=error, kept=kept)
    return bottle.HTTPResponse(body, status=403, headers={"Content-Type": "text/html; charset=utf-8"})


def kept_form(ctx: Context) -> list[tuple[str, str]]:
    """The values of a form the login form carries (`login_to_send_again`), in their order."""
    forms = ctx.request.forms
    return [(as_text(name), as_text(value))
            for name, value in zip(forms.getall("kept-name"), forms.getall("kept-value"))]


def register(web: Web) -> None:
    app = web.app

    @app.get("/admin/login", permission=None)
    def login_form(ctx: Context) -> str:
        if ctx.user_id:
            ctx.redirect(safe_next(ctx.query("next")))
        return ctx.render("login.html", next=safe_next(ctx.query("next")), username="", kept=[])

    @app.post("/admin/login", permission=None)
    def login(ctx: Context) -> str:
        name = ctx.form("username")[:128]
        password = ctx.form("password")[:passwords.MAX_LENGTH]
        goto = safe_next(ctx.form("next"))
        kept = kept_form(ctx) if goto == ctx.form("next") else []     # sent only where it was going
        try:
            ctx.check_csrf()
        except HttpError:
            if not (kept and ctx.from_this_site()):
                raise
            # A login or logout in another tab gave the session a new token: the form that
            # keeps what was sent comes back with it and a token that holds, not lost behind
            # "reload the page" (whose reload sends the stale token again). No one is logged in.
            bottle.response.status = 403
            return ctx.render("login.html", next=goto, username=name, kept=kept,
                              error="This login form had expired (you logged in or out in another "
                                    "tab), so you were not logged in, and what you sent before "
                                    "was not saved. Log in to send it again.")
        address = ctx.request.environ.get("REMOTE_ADDR", "")
        account = throttle_key(ctx.site, name)
        device = known_device(ctx, account)
        wait = web.throttle.attempt(account, address, device=device)
        if wait > 0:
            bottle.response.status = 429
            bottle.response.set_header("Retry-After", str(math.ceil(wait)))
            return ctx.render("login.html", next=goto, username=name, kept=kept,
                              error=f"Too many failed logins. Try again in {math.ceil(wait)} "
                                    "second(s).")
        user = ctx.site.users.authenticate(name, password) if name and password else None
        if user is None:            # counted as failed already (`attempt`)
            bottle.response.status = 403
            return ctx.render("login.html", next=goto, username=name, kept=kept,
                              error="Unknown user name or wrong password.")
        web.throttle.succeeded(account, address, device=device)
        if ctx.session.session_id:     # a login over a login ends it, as a logout would
            end_login(ctx)
        ctx.session.login(user.id, ctx.site.users.start_session(user, web.max_age),
                          ctx.site.users.credentials_stamp(user))
        goto_home = start_screen(lambda permission: ctx.site.users.has_permission(user, permission),
                                 logged_in=True)
        if goto == "/admin/":
            goto = goto_home
        if kept:        # what was sent before: the person sends it, now logged in, or leaves it
            answer = bottle.HTTPResponse(ctx.render(
                "confirm.html", question=f"You are logged in. What you sent to {goto} before was "
                                         "not saved: send it again now?",
                action="Send it again", cancel=goto_home, fields=kept, target=goto))
        else:
            answer = bottle.HTTPResponse(status=303, headers={"Location": goto})
        # this browser is known to the account from now on, for 180 days after its latest
        # login (set at the first login only, the cookie lapsed for a user logging in daily)
        answer.add_header("Set-Cookie", sessions.device_header(
            web.codec(ctx.site).device_value(user.id), ctx.request.environ))
        raise answer

    @app.post("/admin/logout", permission=None)
    def logout(ctx: Context) -> None:
        ctx.check_csrf()
        if ctx.session.session_id:
            end_login(ctx)
        ctx.session.logout()
        ctx.session.notice("message", "You have logged out.")
        ctx.redirect("/admin/login")

    @app.get("/admin/logout", permission=None)
    def logout_get(ctx: Context) -> str:
        # Logging out changes state, so it is a POST; a plain link shows the button instead.
        return ctx.render("logout.html")
