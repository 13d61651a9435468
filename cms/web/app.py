"""The web application: a thin bottle layer over the Python API, with Jinja2 views.

Every route gets a `Context` first: the thread's own booted site (sites are not shared between
server threads, so `site.user` and the database connection belong to one request at a time),
the browser's session, and the user acting. Routes read the request, call the same API that
Python callers use, and render a view; they hold no business logic.

Access is checked before a route runs: a route under `/admin` needs `page-edit` unless it
names another permission (`@app.get(path, permission="tasker-admin")`), `"superuser"` (Setup,
Modules and Access, as in ProcessWire) or none (`permission=None`, the login form). A guest
who lacks it is sent to the login page (or gets a 403 JSON answer on JSON routes); a logged-in
user who lacks it gets 403.

    from cms.web import make_app
    app = make_app(lambda: cms.boot(url, site_dir=folder))   # a WSGI application
"""
from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union
from urllib.parse import SplitResult, parse_qsl, quote, urlsplit

import bottle
import jinja2

from .. import __version__, passwords
from ..errors import CmsError, DatabaseBusy, PermissionDenied, SelectorError, ValidationError
from ..site import SCHEMA_CHECK_SECONDS
from . import csrf, sessions
from .answers import HttpError, error_json
from .auth import LoginThrottle, login_to_send_again, start_screen
from .forms import all_items

if TYPE_CHECKING:
    from ..access import Grants
    from ..site import Site

log = logging.getLogger("cms.web")

HERE = Path(__file__).resolve().parent
VIEWS_DIR = HERE / "views"
STATIC_DIR = HERE / "static"
ADMIN_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                               "script-src 'self'; object-src 'none'; base-uri 'none'; "
                               "frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
ADMIN_HEADER_LIST = list(ADMIN_HEADERS.items())
DEFAULT_MAX_BODY = 8 * 1024 * 1024
MAX_FORM_FIELDS = 10_000        # the admin's largest forms send a few hundred
SUPERUSER = "superuser"      # a route only superusers may use (not a permission name)
SiteFactory = Union[Callable[[], "Site"], "Site"]


# A write that waited its bound (SQLite's lock_timeout, 10 s) for a lock another process held.
BUSY_MESSAGE = ("the database is busy: another process held its write lock for too long; "
                "nothing was saved, try again in a moment")


def database_busy(db: Any, exc: BaseException) -> bool:
    """True when `exc` is a lock wait that ran out or a deadlock: the request may simply be
    sent again (503), not a fault of the server (500) nor of the input (400)."""
    import sqlite3

    import peewee

    if isinstance(exc, DatabaseBusy):
        return True
    return (isinstance(exc, (sqlite3.OperationalError, peewee.OperationalError,
                             peewee.InternalError)) and db.is_retryable(exc))


class SitePool:
    """One booted site per server thread, made by the factory on the thread's first request.

    Given a `Site` instead of a factory, every thread shares that one site (fine for tests and
    scripts that serve one request at a time). A thread's connection that has been idle for
    `idle_seconds` is closed before its next request, so a server that dropped it is no
    trouble and a quiet server holds few connections.
    """

    def __init__(self, factory: SiteFactory, idle_seconds: float = 60.0):
        from ..site import Site
        self.shared: Site | None = factory if isinstance(factory, Site) else None
        self.factory = factory
        self.idle_seconds = idle_seconds
        self._local = threading.local()
        self._lock = threading.Lock()
        self.sites: list[Site] = []

    def get(self) -> Site:
        local = self._local
        site = getattr(local, "site", None)
        now = time.monotonic()
        if site is None:
            site = self.shared or self.make()
            local.site = site
        elif now - local.used > self.idle_seconds:
            site.db.close()
        local.used = now
        return site

    def make(self) -> Site:
        """A new site from the factory (boot loads the installed modules: their hooks apply)."""
        site = self.factory()   # type: ignore[operator]
        with self._lock:
            self.sites.append(site)
        return site

    def close_all(self) -> None:
        """Close this thread's connection of every site (others close with their threads)."""
        with self._lock:
            for site in self.sites:
                with contextlib.suppress(Exception):     # a connection gone already
                    site.close()


class AccessCache:
    """Who a session's user is and what they may do (their roles and permissions too),
    remembered for `ttl` seconds per site.

    A poller asking for a task's status every second would otherwise read the user and their
    roles on every request, and a public page its visitor's roles twice. A session that was
    logged out (here or on another server), a user who is removed or unpublished, or whose
    password or roles change, is refused at most `ttl` seconds later; a logout is refused at
    once by the process that served it.
    """

    def __init__(self, ttl: float = 2.0, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.clock = clock
        self._users: dict[tuple[int, int], tuple[float, Any]] = {}
        self._grants: dict[tuple[int, int, str], tuple[float, bool]] = {}
        self._roles: dict[tuple[int, int], tuple[float, Grants]] = {}

    def _kept(self, store: dict[Any, tuple[float, Any]], key: Any, read: Callable[[], Any]) -> Any:
        """`store`'s answer for `key` while it is younger than `ttl`, else `read()` kept anew."""
        now = self.clock()
        found = store.get(key)
        if found is not None and now - found[0] < self.ttl:
            return found[1]
        answer = read()
        if len(store) > 10000:
            store.clear()
        store[key] = (now, answer)
        return answer

    def user(self, site: Site, session: sessions.Session) -> Any:
        """The user a logged-in session acts for, while the session stands (else None): not
        ended by a logout, and granted on the user's present password and roles."""
        def read() -> Any:
            user = site.users.session_user(session.session_id) if session.session_id else None
            if user is not None and site.users.credentials_stamp(user) != session.stamp:
                return None
            return user

        user = self._kept(self._users, (id(site), session.session_id), read)
        return user if user is not None and user.id == session.user_id else None

    def forget(self, session_id: str) -> None:
        """Drop what is known of a session that just ended, so this process refuses it at once:
        on every thread's site, not only the one that served the logout (each server thread
        keeps a site of its own, and the others let a copied cookie in for `ttl` seconds)."""
        for key in list(self._users):        # a copy: other threads add keys meanwhile
            if key[1] == session_id:
                self._users.pop(key, None)

    def grants(self, site: Site, user: Any) -> Grants:
        """The user's roles and permissions (`Users.grants`): a public page checks them against
        the page and its finds filter by them, two reads of the same rows per request."""
        user_id = getattr(user, "id", 0) or 0
        return self._kept(self._roles, (id(site), user_id), lambda: site.users.grants(user_id))

    def can(self, site: Site, user: Any, permission: str, grants: Grants | None = None) -> bool:
        """May `user` do `permission` (no page)? `grants`: the user's, when the request holds
        them already (`grants()`), so an answer not kept yet reads no roles again."""
        key = (id(site), getattr(user, "id", 0) or 0, permission)
        return self._kept(self._grants, key,
                          lambda: site.users.has_permission(user, permission, grants=grants))


class Context:
    """What a route works with: `site`, `session`, `user`, the request (`method` read once),
    and helpers."""

    def __init__(self, web: Web, site: Site, request: bottle.BaseRequest, session: sessions.Session,
                 user: Any, grants: Grants):
        self.web = web
        self.site = site
        self.request = request
        self.session = session
        self.user = user
        self.grants = grants        # the user's, as AccessCache keeps them
        self.method = request.environ.get("REQUEST_METHOD", "GET").upper()

    @property
    def user_id(self) -> int:
        return self.session.user_id if self.user is not None and not self.user.is_guest() else 0

    # -- reading the request ------------------------------------------------------------------
    @property
    def _query(self) -> dict[str, str]:
        """The query string's parameters, parsed once (the last of repeated names wins)."""
        parsed = self.__dict__.get("_parsed_query")
        if parsed is None:
            parsed = self.__dict__["_parsed_query"] = parse_query(
                self.request.environ.get("QUERY_STRING", ""))
        return parsed

    def query(self, name: str, default: str = "") -> str:
        return self._query.get(name, default)

    def form(self, name: str, default: str = "") -> str:
        value = self.request.forms.getunicode(name)
        return default if value is None else value

    def param(self, name: str, default: str = "") -> str:
        """A form field (POST), else a query parameter of that name."""
        value = None
        if self.method == "POST":
            value = self.request.forms.getunicode(name)
        if value is None:
            value = self._query.get(name)
        return default if value is None else value

    def int_param(self, name: str, default: int = 0, low: int = 0, high: int = 2 ** 31) -> int:
        """A whole-number parameter clamped to [low, high]; anything else gives `default`."""
        return clamped_int(self.param(name), default, low, high)

    # -- access -------------------------------------------------------------------------------
    def can(self, permission: str, page: Any = None) -> bool:
        """May the user do this? Page-less answers are kept for a second or two (AccessCache)."""
        if permission == SUPERUSER:
            return self.user is not None and self.grants.superuser
        if page is None:
            return self.web.access.can(self.site, self.user, permission, self.grants)
        return self.site.users.has_permission(self.user, permission, page, self.grants)

    def admin_home(self) -> str:
        """The admin screen this request's user starts from (`start_screen`)."""
        return start_screen(self.can, bool(self.user_id))

    def require(self, permission: str, page: Any = None) -> None:
        if not self.can(permission, page):
            # superuser is a role, not one of the permissions Access › Roles lists
            wanted = ("the superuser role" if permission == SUPERUSER
                      else f"the {permission!r} permission")
            if not self.session.user_id:    # a guest (no login, or its session ended)
                raise HttpError(f"you are not logged in: log in as a user with {wanted}", 403,
                                login=True)
            if page is not None and page and self.can(permission):
                # held, but not on this page: say so, where "you need it" sent people to
                # look for a permission they have
                where = page.path if page.viewable() else f"page {page.id}"
                raise HttpError(f"you have the {permission!r} permission, but not for {where}: "
                                "its template's access (or the access its nearest parent "
                                "defines) does not give it to your roles", 403, login=True)
            if permission == SUPERUSER:
                raise HttpError("this screen is for superusers (users with the superuser role)",
                                403, login=True)
            raise HttpError(f"you need {wanted} for this: a superuser gives it to one of your "
                            "roles (Access › Roles)", 403, login=True)

    def check_csrf(self) -> None:
        """Refuse (403) a POST whose CSRF token is missing or not this session's."""
        if not csrf.token_is_valid(self.session.csrf_token, csrf.submitted_token(self.request)):
            raise HttpError("the form has expired or did not come from this site (CSRF token "
                          "missing or wrong); reload the page and try again", 403)

    def from_this_site(self) -> bool:
        """Whether the browser says this request came from a page of this site: its
        `Sec-Fetch-Site` says same-origin, or its `Origin` names this host. Browsers send one
        or both with every form POST; a request with neither is not taken as this site's."""
        fetch_site = self.request.headers.get("Sec-Fetch-Site", "")
        if fetch_site:
            return fetch_site == "same-origin"
        origin = self.request.headers.get("Origin", "")
        host = self.request.headers.get("Host", "")
        return bool(origin and host) and origin.partition("://")[2].lower() == host.lower()

    def confirm(self, question: str, action: str, cancel: str) -> None:
        """Go on only once the person has said yes. The admin's script asks in a dialog and adds
        `confirmed=1` to the form; a browser without it gets a page asking the question, whose
        button posts the same form again, confirmed. Nothing has changed when that page shows.
        Call it after the access checks, so that a refusal is not preceded by a question.
        `cancel`, the page asked from, goes on in the form as `back` unless the form has one."""
        if self.form("confirmed") == "1":
            return
        fields = [(name, value) for name, value in all_items(self.request.forms)
                  if name not in ("confirmed", "csrf_token")]
        if not any(name == "back" for name, _ in fields):
            fields.append(("back", cancel))
        fields.append(("confirmed", "1"))       # the answer this page gives (confirm.html)
        query = self.request.environ.get("QUERY_STRING", "")
        target = self.request.path + ("?" + query if query else "")
        raise bottle.HTTPResponse(self.render("confirm.html", question=question, action=action,
                                              cancel=cancel, fields=fields, target=target))

    # -- answering ----------------------------------------------------------------------------
    def notice(self, kind: str, text: str) -> None:
        """A notice shown on the next admin page this browser renders."""
        self.session.notice(kind, text)

    def render(self, view: str, **values: Any) -> str:
        """A view rendered; notices waiting in the session are shown (fragments pass notices=[])."""
        if "notices" not in values:
            values["notices"] = self.session.pop_notices()
        return self.web.views.get_template(view).render(
            ctx=self, user=self.user, csrf_token=self.session.csrf_token, **values)

    def redirect(self, url: str) -> None:
        raise bottle.HTTPResponse(status=303, headers={"Location": url})


class CmsPlugin:
    """Wraps every route: context, access check, CSRF errors, headers, session cookie."""

    name = "cms"
    api = 2

    def __init__(self, web: Web):
        self.web = web

    def apply(self, callback: Callable, route: bottle.Route) -> Callable:
        web = self.web
        default = "page-edit" if route.rule.startswith("/admin") else None
        permission = route.config.get("permission", default)
        wants_json = route.config.get("json", False)

        def wrapper(**kwargs: Any) -> Any:
            ctx = web.begin()
            response = bottle.response
            try:
                web.check_body(ctx.request)
                if permission:
                    ctx.require(permission)
                result = callback(ctx, **kwargs)
            except bottle.HTTPResponse as answer:
                web.finish(ctx, answer)
                raise
            except Exception as exc:  # noqa: BLE001 - any failure is answered (500s are logged)
                answer = web.error_response(ctx, exc, wants_json)
                web.finish(ctx, answer)
                raise answer from None
            finally:
                if ctx.user_id:       # the thread's site acts for the guest between requests
                    ctx.site.users.login_as(web.guest(ctx.site))
            web.finish(ctx, response)
            return result

        return wrapper


class Web:
    """The application: the bottle app, the site pool, sessions, views and the login throttle."""

    def __init__(self, site_factory: SiteFactory, *, throttle: LoginThrottle | None = None,
                 max_age: int = sessions.MAX_AGE, max_body: int | None = None):
        self.pool = SitePool(site_factory)
        self.max_body = max_body or body_limit_setting()
        # bottle reads at most MEMFILE_MAX bytes of a form (100 KB by default): raised for the
        # process, so a chunked body without a Content-Length is taken up to the limit too.
        bottle.BaseRequest.MEMFILE_MAX = max(bottle.BaseRequest.MEMFILE_MAX, self.max_body)
        self.throttle = throttle or LoginThrottle()
        self.max_age = max_age
        self._codec: sessions.SessionCodec | None = None
        self._codec_lock = threading.Lock()
        self._guests: dict[int, tuple[float, Any]] = {}
        self.access = AccessCache()
        self.views = jinja2.Environment(loader=jinja2.FileSystemLoader(str(VIEWS_DIR)),
                                        autoescape=True, trim_blocks=True, lstrip_blocks=True,
                                        auto_reload=False,
                                        undefined=jinja2.Undefined)
        # password_min: the password forms say it before a save is refused for it
        self.views.globals.update(static=static_url, version=__version__,
                                  password_min=passwords.MIN_LENGTH)
        self.app = bottle.Bottle()
        # An id in a URL (<id:int>) is 1 to 18 digits: a longer one is no page (404), where
        # bottle's own filter handed the database a number no integer column holds (a 500).
        self.app.router.add_filter("int", lambda conf: (r"\d{1,18}", int, lambda x: str(int(x))))
        self.app.install(CmsPlugin(self))
        self.app.error_handler.update({code: self.plain_error
                                       for code in (400, 404, 405, 413, 500)})
        self.background: list[Any] = []     # LazyCron, Tasker's lazy runner: signalled per response
        self.in_flight = 0
        self._flight_lock = threading.Lock()
        self._register_routes()

    def _register_routes(self) -> None:
        from . import (
            admin_access,
            admin_fields,
            admin_find,
            admin_modules,
            admin_pages,
            admin_profile,
            admin_tasks,
            admin_templates,
            admin_trash,
            api,
            auth,
            public,
        )
        self.app.route("/admin/static/<filename:path>", "GET", serve_static, skip=[CmsPlugin])
        self.app.route("/favicon.ico", "GET", serve_favicon, skip=[CmsPlugin])
        auth.register(self)
        api.register(self)
        admin_tasks.register(self)
        admin_fields.register(self)
        admin_templates.register(self)
        admin_find.register(self)
        admin_trash.register(self)
        admin_modules.register(self)
        admin_access.register(self)
        admin_profile.register(self)
        admin_pages.register(self)      # last of the admin: it ends with the admin's 404
        public.register(self)

    # -- WSGI ---------------------------------------------------------------------------------
    def __call__(self, environ: dict, start_response: Callable) -> Any:
        with self._flight_lock:
            self.in_flight += 1
        if environ.get("PATH_INFO", "").startswith("/admin"):
            start_response = with_admin_headers(start_response)
        try:
            return self.app(environ, start_response)
        finally:
            with self._flight_lock:
                self.in_flight -= 1
            for runner in self.background:
                runner.signal()

    # -- per request --------------------------------------------------------------------------
    def check_body(self, request: bottle.BaseRequest) -> None:
        """Refuse (413) a body over `max_body` before any of it is read (a chunked one once
        the limit is passed), with a message that says the limit, instead of a form that seems
        to lack its fields; and a form of more than MAX_FORM_FIELDS fields before bottle
        parses it into a dict entry each: 8 MiB of `a=&` sent to the login form, with no
        login, was 2.8 million of them, 15 s of CPU and 700 MB of memory."""
        if request.content_length > self.max_body:
            raise HttpError(f"the request is {request.content_length:,} bytes; this server takes "
                          f"at most {self.max_body:,} (set CMS_MAX_BODY_BYTES to change it)", 413)
        if request.method not in ("POST", "PUT", "PATCH"):
            return
        body = request.body.read(self.max_body + 1)
        if len(body) > self.max_body:
            raise HttpError(f"the request is over {self.max_body:,} bytes, the most this server "
                          "takes (set CMS_MAX_BODY_BYTES to change it)", 413)
        if form_fields(body, request.environ.get("CONTENT_TYPE", "")) > MAX_FORM_FIELDS:
            raise HttpError(f"the form sends more than {MAX_FORM_FIELDS:,} fields, the most this "
                          "server takes", 413)

    def codec(self, site: Site) -> sessions.SessionCodec:
        if self._codec is None:
            with self._codec_lock:
                if self._codec is None:
                    self._codec = sessions.SessionCodec(sessions.site_secret(site), self.max_age)
        return self._codec

    def begin(self) -> Context:
        """The request's context: this thread's site, the session, the user acting."""
        site = self.pool.get()
        request = bottle.request
        try:
            # Fields, templates or access changed by another thread or process: the admin's
            # screens look every time; the public site and the task API's polls at most once a
            # second.
            path = request.environ.get("PATH_INFO", "")
            site.refresh_schema(0.0 if path.startswith("/admin") and
                                not path.startswith("/admin/tasks/api") else SCHEMA_CHECK_SECONDS)
            cookie = sessions.cookie_value(request.environ.get("HTTP_COOKIE", ""))
            session = self.codec(site).loads(cookie) or sessions.Session()
            user = None
            if session.user_id:
                user = self.access.user(site, session)
                if user is None:
                    session.logout()
            if user is None:
                user = self.guest(site)
            grants = self.access.grants(site, user)
            site.users.login_as(user, grants)   # the guest too: a request never acts with every right
        except Exception as exc:
            if site.db.is_disconnect(exc):
                site.db.close()          # the database went away: the next request reconnects
            raise
        return Context(self, site, request, session, user, grants)

    def guest(self, site: Site) -> Any:
        """The guest user of this site, read again once a minute."""
        cached = self._guests.get(id(site))
        now = time.monotonic()
        if cached is None or now - cached[0] > 60:
            cached = self._guests[id(site)] = (now, site.users.guest())
        return cached[1]

    def finish(self, ctx: Context, response: bottle.BaseResponse) -> None:
        if ctx.session.changed:
            response.add_header("Set-Cookie", sessions.cookie_header(
                self.codec(ctx.site), ctx.session, ctx.request.environ))

    def error_response(self, ctx: Context, exc: BaseException,
                       wants_json: bool) -> bottle.HTTPResponse:
        """An exception as an answer: 403 for access, 4xx for bad input, 500 (logged) otherwise.
        A request of the admin's script (`X-Requested-With: fetch`: the tree's children and
        order) is answered in JSON too: sent to the login page, fetch followed the redirect
        and the tree showed the whole login page as a branch's children."""
        wants_json = wants_json or ctx.request.headers.get("X-Requested-With") == "fetch"
        if isinstance(exc, PermissionDenied) or isinstance(exc, HttpError) and exc.login:
            if ctx.user_id == 0 and not wants_json and ctx.method == "POST":
                return login_to_send_again(ctx)         # a redirect would drop the form
            if ctx.user_id == 0 and not wants_json:
                target = ctx.request.fullpath
                if ctx.request.query_string and ctx.request.method == "GET":
                    target += "?" + ctx.request.query_string
                return bottle.HTTPResponse(status=303, headers={
                    "Location": "/admin/login?next=" + quote(target, safe="/")})
            status, message = 403, str(exc)
        elif isinstance(exc, HttpError):
            status, message = exc.status, str(exc)
        elif database_busy(ctx.site.db, exc):
            status, message = 503, BUSY_MESSAGE
        elif isinstance(exc, (ValidationError, SelectorError, CmsError)):
            status, message = 400, str(exc)
        else:
            log.error("%s %s failed:\n%s", ctx.request.method, ctx.request.path,
                      "".join(traceback.format_exception(exc)))
            status, message = 500, "the server failed to answer this request; see its log"
            if ctx.site.db.is_disconnect(exc):
                ctx.site.db.close()      # the database went away: the next request reconnects
        if wants_json:
            return error_json(message, status)
        headers = {"Retry-After": "2"} if status == 503 else {}
        body = ctx.render("error.html", status=status, message=message)
        return bottle.HTTPResponse(body, status=status,
                                   headers={"Content-Type": "text/html; charset=utf-8", **headers})

    @staticmethod
    def plain_error(error: bottle.HTTPError) -> str:
        bottle.response.set_header("Content-Type", "text/plain; charset=utf-8")
        return f"{error.status_line}\n"


def body_limit_setting() -> int:
    """The largest request body taken: $CMS_MAX_BODY_BYTES, else 8 MiB (a long page body with
    room to spare; uploads are not taken through forms)."""
    text = os.environ.get("CMS_MAX_BODY_BYTES", "").strip()
    if not text:
        return DEFAULT_MAX_BODY
    if not text.isdecimal() or int(text) < 1024:
        raise CmsError(f"CMS_MAX_BODY_BYTES must be a whole number of bytes, 1024 or more, "
                       f"not {text!r}")
    return int(text)


def form_fields(body: bytes, content_type: str) -> int:
    """At most how many fields bottle parses `body` into, counted in the raw bytes: the parts
    of a multipart body, else the `&`-separated pairs (bottle reads any other body so). The
    Content-Type is read by bottle's own parser: read otherwise (`Multipart/` in another case,
    two `boundary=`), a body bottle parses as countless fields was counted as none."""
    try:
        kind, options = bottle._parse_http_header(content_type)[0]
    except (ValueError, IndexError):      # bottle cannot read it either: it parses no form
        return 0
    if not kind.startswith("multipart/"):
        return body.count(b"&") + 1
    boundary = options.get("boundary")
    return body.count(b"--" + boundary.encode()) if boundary else 0     # none: bottle refuses it


def clamped_int(text: str, default: int = 0, low: int = 0, high: int = 2 ** 31) -> int:
    """A whole number typed in a parameter, clamped to [low, high]; anything else gives
    `default` (`--1` too: one minus sign at most, else int() raised and the request answered
    500)."""
    text = text.strip()
    if not text.removeprefix("-").isdecimal() or len(text) > 12:
        return default
    return max(low, min(high, int(text)))


def parse_query(text: str) -> dict[str, str]:
    """A query string's parameters (the last of repeated names wins), as parse_qsl reads them;
    one without escapes (`id=12&cmd=status`, every poll) is split without it."""
    if "%" in text or "+" in text:
        return dict(parse_qsl(text, keep_blank_values=True))
    found = {}
    for part in text.split("&"):
        if part:
            name, _, value = part.partition("=")
            found[name] = value
    return found


def url_parts(text: str) -> SplitResult | None:
    """A URL a client sent (a Referer, a form's `back`, the task list's own URL) split, or None
    for one urlsplit refuses: a `[` in its host that is no IPv6 address (`http://[x/`) raised
    ValueError, and the request answered 500."""
    try:
        return urlsplit(text)
    except ValueError:
        return None


def with_admin_headers(start_response: Callable) -> Callable:
    """`start_response` that adds the admin's security headers (those the answer lacks)."""
    def start(status: str, headers: list, exc_info: Any = None) -> Any:
        present = {name.lower() for name, _ in headers}
        headers.extend(item for item in ADMIN_HEADER_LIST if item[0].lower() not in present)
        if exc_info:
            return start_response(status, headers, exc_info)
        return start_response(status, headers)
    return start


def static_url(name: str) -> str:
    return f"/admin/static/{name}?v={__version__}"


def serve_static(filename: str) -> Any:
    answer = bottle.static_file(filename, root=str(STATIC_DIR))
    answer.set_header("Cache-Control", "public, max-age=3600")
    answer.set_header("X-Content-Type-Options", "nosniff")
    return answer


def serve_favicon() -> Any:
    """The site's icon (an SVG) where browsers look for it without being told."""
    answer = bottle.static_file("favicon.svg", root=str(STATIC_DIR), mimetype="image/svg+xml")
    answer.set_header("Cache-Control", "public, max-age=86400")
    return answer


def make_app(site_factory: SiteFactory, **options: Any) -> Web:
    """The WSGI application for a site: `site_factory()` boots a site (called once per thread)."""
    return Web(site_factory, **options)
