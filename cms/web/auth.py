"""Login and logout, and the slow-down after failed logins.

`/admin/login` (GET: the form; POST: fields `username`, `password`, `csrf_token`) and
`/admin/logout` (POST with the token). After a few failed logins for one name, or from one
address, each further attempt must wait longer (1 s, 2 s, 4 s ... up to a minute); while it
waits the password is not even checked, so guessing gains nothing by hurrying. The counts live
in this process's memory: a restart forgets them, and each server process counts its own.
The address is the connection's (REMOTE_ADDR); X-Forwarded-For is not trusted, since anyone
can send it.
"""
from __future__ import annotations

import math
import threading
import time
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import unquote, urlsplit

import bottle

if TYPE_CHECKING:
    from .app import Context, Web


class LoginThrottle:
    """Counts failed logins per name and per address and says how long the next must wait."""

    def __init__(self, free_per_name: int = 3, free_per_address: int = 10, base_delay: float = 1.0,
                 max_delay: float = 60.0, clock: Callable[[], float] = time.monotonic,
                 max_entries: int = 10000):
        self.free = {"name": free_per_name, "addr": free_per_address}
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.clock = clock
        self.max_entries = max_entries
        self._failures: dict[tuple[str, str], tuple[int, float]] = {}
        self._lock = threading.Lock()

    def _keys(self, name: str, address: str) -> list[tuple[str, str]]:
        return [("name", name.strip().lower()[:128]), ("addr", address)]

    def _delay(self, kind: str, count: int) -> float:
        over = count - self.free[kind]
        if over < 0:
            return 0.0
        return min(self.max_delay, self.base_delay * 2 ** min(over, 30))

    def wait_time(self, name: str, address: str) -> float:
        """Seconds before another attempt for this name or from this address is heard (0 = now)."""
        now = self.clock()
        wait = 0.0
        with self._lock:
            for key in self._keys(name, address):
                count, last = self._failures.get(key, (0, 0.0))
                if count:
                    wait = max(wait, last + self._delay(key[0], count) - now)
        return max(0.0, wait)

    def failed(self, name: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            if len(self._failures) >= self.max_entries:
                self._forget_old(now)
            for key in self._keys(name, address):
                count, _ = self._failures.get(key, (0, 0.0))
                self._failures[key] = (count + 1, now)

    def succeeded(self, name: str, address: str) -> None:
        with self._lock:
            for key in self._keys(name, address):
                self._failures.pop(key, None)

    def _forget_old(self, now: float) -> None:
        stale = [k for k, (_, last) in self._failures.items() if now - last > self.max_delay]
        for key in stale:
            del self._failures[key]
        while len(self._failures) >= self.max_entries:      # still full: drop the oldest
            del self._failures[min(self._failures, key=lambda k: self._failures[k][1])]


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
                or any(ord(ch) < 32 or ord(ch) == 127 for ch in text)):
            return fallback
        parts = urlsplit(text)
        if parts.scheme or parts.netloc:
            return fallback
    return url


def throttle_key(site: Any, name: str) -> str:
    """The account a login name means, for counting failures: `Admin`, `admin.` and `admín`
    all log in as `admin` (names are sanitized as page names), so they share one counter.
    A name that is no user counts under its sanitized spelling."""
    clean = site.sanitizer.page_name(name) if name else ""
    user = site.users.get(clean) if clean else None
    if user:
        return f"user:{user.id}"
    return "name:" + (clean or name.strip().lower()[:128])


def register(web: Web) -> None:
    app = web.app

    @app.get("/admin/login", permission=None)
    def login_form(ctx: Context) -> str:
        if ctx.user_id:
            ctx.redirect(safe_next(ctx.query("next")))
        return ctx.render("login.html", next=safe_next(ctx.query("next")), username="")

    @app.post("/admin/login", permission=None)
    def login(ctx: Context) -> str:
        ctx.check_csrf()
        name = ctx.form("username")[:128]
        password = ctx.form("password")[:1024]
        goto = safe_next(ctx.form("next"))
        address = ctx.request.environ.get("REMOTE_ADDR", "")
        account = throttle_key(ctx.site, name)
        wait = web.throttle.wait_time(account, address)
        if wait > 0:
            bottle.response.status = 429
            bottle.response.set_header("Retry-After", str(math.ceil(wait)))
            return ctx.render("login.html", next=goto, username=name,
                              error=f"Too many failed logins. Try again in {math.ceil(wait)} "
                                    "second(s).")
        user = ctx.site.users.authenticate(name, password) if name and password else None
        if user is None:
            web.throttle.failed(account, address)
            bottle.response.status = 403
            return ctx.render("login.html", next=goto, username=name,
                              error="Unknown user name or wrong password.")
        web.throttle.succeeded(account, address)
        ctx.session.login(user.id, ctx.site.users.start_session(user, web.max_age),
                          ctx.site.users.credentials_stamp(user))
        if goto == "/admin/" and not ctx.site.users.has_permission(user, "page-edit") \
                and ctx.site.users.has_permission(user, "tasker-admin"):
            goto = "/admin/tasks/"       # someone who only steers tasks starts there
        ctx.redirect(goto)

    @app.post("/admin/logout", permission=None)
    def logout(ctx: Context) -> None:
        ctx.check_csrf()
        if ctx.session.session_id:
            ctx.site.users.end_session(ctx.session.session_id)
            web.access.forget(ctx.site, ctx.session.session_id)
        ctx.session.logout()
        ctx.session.notice("message", "You have logged out.")
        ctx.redirect("/admin/login")

    @app.get("/admin/logout", permission=None)
    def logout_get(ctx: Context) -> str:
        # Logging out changes state, so it is a POST; a plain link shows the button instead.
        return ctx.render("logout.html")
