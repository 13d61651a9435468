"""The Site: one booted site, holding the API objects (`site.pages`, `site.fields` ...), and `boot`."""
from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

from . import schema
from .db import Database, connect, redact_url
from .errors import CmsError
from .fields import Fields
from .hooks import Hooks, SiteHooks
from .module import FALSE_TEXT
from .modules import Modules
from .notices import Notices
from .pages import Pages
from .sanitizer import Sanitizer
from .templates import Templates

SCHEMA_STAMP = "schema_stamp"
SCHEMA_CHECK_SECONDS = 1.0
PACKAGE_TEMPLATES = Path(__file__).resolve().parent / "site_templates"

_current: Site | None = None
# A server thread boots a site of its own: `wire()` in that thread reads that site.
_thread_current = threading.local()


class Config(dict):
    """Site settings, readable as attributes (`site.config.debug`)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"no site setting {name!r}") from None


class Site(SiteHooks):
    """A booted site. The API objects are attributes, as ProcessWire's `$pages`, `$fields` ..."""

    def __init__(self, db: Database, site_dir: str | os.PathLike, debug: bool = False):
        self.db = db
        self.site_dir = str(Path(site_dir).resolve())
        self.config = Config(
            site_dir=self.site_dir,
            database=redact_url(db.url),
            debug=debug,
            templates_dirs=[str(Path(self.site_dir) / "templates"), str(PACKAGE_TEMPLATES)],
        )
        self.hooks = Hooks()
        self.notices = Notices(debug=debug)
        self.sanitizer = Sanitizer()
        self.fields = Fields(self)
        self.templates = Templates(self)
        self.pages = Pages(self)
        self.modules = Modules(self)
        self.user_id = 0   # who is acting: stored as created/modified user of saved pages
        self._acting: Any = None     # None: code outside a web request, with every right
        self._acting_grants: Any = None
        self._trusted = 0
        self._schema_seen: tuple[float, Any] = (0.0, None)
        db.on_schema_rollback = self._schema_rolled_back

    # -- who is acting ------------------------------------------------------------------------
    @property
    def user(self) -> Any:
        """The user the site acts for: a web request's user (or the guest); outside a request,
        the first superuser (code there has every right, as ProcessWire's command line)."""
        return self._acting if self._acting is not None else self.users.system_user()

    def acting_user(self) -> Any:
        """The user set by a web request or `as_user`; None for code outside a request."""
        return self._acting

    def act_as(self, user: Any, user_id: int, grants: Any = None) -> None:
        """Act as `user` (None: with every right, as code outside a request) from now on;
        `grants` are the user's when the caller has read them already (else read when needed)."""
        self._acting = user
        self._acting_grants = grants
        self.user_id = user_id

    def acting_grants(self) -> Any:
        """The acting user's `cms.access.Grants`, or None when every right is held."""
        if self._acting is None or self._trusted:
            return None
        grants = self._acting_grants
        if grants is None:
            grants = self._acting_grants = self.users.grants(self._acting.id)
        return None if grants.superuser else grants

    @contextlib.contextmanager
    def trusted(self) -> Iterator[None]:
        """`with site.trusted():` page writes a module makes for its own bookkeeping (Tasker's
        task pages) skip the acting user's page rights; the user is still stamped on them. The
        caller has checked what the user may ask for (the task API needs tasker-admin)."""
        self._trusted += 1
        try:
            yield
        finally:
            self._trusted -= 1

    @contextlib.contextmanager
    def as_user(self, user: Any) -> Iterator[Any]:
        """`with site.as_user("ed"):` act as a user (by name, id or page) for a block; `None`
        acts with every right, as code outside a request does. The previous user comes back."""
        before = (self._acting, self._acting_grants, self.user_id)
        try:
            if user is None:
                self.act_as(None, 0)
                yield self.user
            else:
                yield self.users.login_as(user)
        finally:
            self._acting, self._acting_grants, self.user_id = before

    @cached_property
    def selectors(self) -> Any:
        """The selector engine behind every find (compiled SQL is cached on it)."""
        from .selectors import SelectorEngine
        return SelectorEngine(self)

    @cached_property
    def leases(self) -> Any:
        """Named leases shared by every process of the site (cms.lease)."""
        from .lease import Leases
        return Leases(self.db)

    @cached_property
    def users(self) -> Any:
        from .users import Users
        return Users(self)

    def transaction(self) -> Any:
        """`with site.transaction():` commits at the end or rolls back on error; nested = savepoint."""
        return self.db.transaction()

    def load_schema(self) -> None:
        self.fields.load()
        self.templates.load()
        if "users" in self.__dict__:      # made on first use: no page held a governing template before
            self.users.access.schema_reloaded()
        self._schema_seen = (time.monotonic(), schema.get_meta(self, SCHEMA_STAMP))

    def _schema_rolled_back(self) -> None:
        """A transaction that changed fields, templates or access rolled back: believe what is
        stored again (or, if it cannot be read now, at the next `refresh_schema`)."""
        try:
            self.load_schema()
        except Exception:
            self._schema_seen = (float("-inf"), object())

    def schema_changed(self) -> None:
        """Tell every process that fields, templates or access changed (they reload within
        `SCHEMA_CHECK_SECONDS`, see `refresh_schema`)."""
        stamp = f"{time.time_ns()}-{os.getpid()}"
        self.db.retry(lambda: schema.set_meta(self, SCHEMA_STAMP, stamp))
        self._schema_seen = (time.monotonic(), stamp)

    def refresh_schema(self, max_age: float = SCHEMA_CHECK_SECONDS) -> bool:
        """Reload fields and templates if another process changed them; asks the database at
        most once per `max_age` seconds. Each web request calls this, and so do finds, page adds
        and saves in any process: a worker or a script sees another process's schema and access
        changes within a second, as DESIGN.md promises. True when it reloaded."""
        checked, seen = self._schema_seen
        now = time.monotonic()
        if max_age and now - checked < max_age:
            return False
        stamp = schema.get_meta(self, SCHEMA_STAMP)
        if stamp == seen:
            self._schema_seen = (now, seen)
            return False
        self.load_schema()
        return True

    def render_page(self, page: Any) -> str:
        from .render import render_page
        return render_page(self, page)

    def close(self) -> None:
        """End this thread's database connection and what modules started here (Tasker's
        heartbeat thread). The site may be used again: it reconnects on its next query."""
        self.modules.close()
        self.db.close()

    def __repr__(self) -> str:
        return f"<Site {self.site_dir} on {self.config.database}>"


def resolve_site_dir(site_dir: str | os.PathLike | None) -> Path:
    return Path(site_dir or os.environ.get("CMS_SITE_DIR") or os.getcwd()).resolve()


def existing_site_dir(site_dir: str | os.PathLike | None) -> Path:
    """The site directory (as resolve_site_dir finds it), or a CmsError saying why there is
    none: every command reports a missing one alike (exit 1), a crontab typo included."""
    folder = resolve_site_dir(site_dir)
    if not folder.is_dir():
        raise CmsError(f"site directory {str(folder)!r} " + (
            "is a file, not a directory" if folder.exists() else "does not exist"))
    return folder


def resolve_url(url: str | None, site_dir: Path) -> str:
    return url or os.environ.get("CMS_DATABASE_URL") or f"sqlite:///{site_dir / 'site.db'}"


def boot(url: str | None = None, *, site_dir: str | os.PathLike | None = None,
         debug: bool = False, upgrade: bool = True) -> Site:
    """Connect, create or upgrade the schema (under a lock), and return the site.

    Site directory: `site_dir`, else $CMS_SITE_DIR, else the working directory. Database: `url`,
    else $CMS_DATABASE_URL, else `sqlite:///<site_dir>/site.db`. With `upgrade=False` a database
    whose schema, or an installed module's stored version, is behind raises instead of changing
    (the `migrate` command upgrades).
    """
    global _current
    folder = existing_site_dir(site_dir)
    db = connect(resolve_url(url, folder))
    site = Site(db, folder, debug=debug or os.environ.get("CMS_DEBUG", "").strip().lower()
                not in FALSE_TEXT)
    pending = schema.pending_upgrades(site)
    if pending and not upgrade:
        raise CmsError(f"the database schema is at version {pending[0] - 1}, this release needs "
                       f"{pending[-1]}: run `python run.py migrate`")
    schema.upgrade(site)
    site.load_schema()
    modules = [] if upgrade else site.modules.pending_upgrades()
    if modules:
        raise CmsError(f"installed modules need their upgrade: {', '.join(modules)}: run "
                       "`python run.py migrate`")
    _current = _thread_current.site = site
    site.modules.load_installed()
    return site


def wire(name: str | None = None) -> Any:
    """An API object of the last booted site (`wire("pages") is site.pages`), or the site.

    "Last booted" is per thread where a thread booted its own (each server thread does),
    else the last one booted by any thread.
    """
    current = getattr(_thread_current, "site", None) or _current
    if current is None:
        raise CmsError("no site has been booted yet: call cms.boot() first")
    if name is None:
        return current
    try:
        return getattr(current, name)
    except AttributeError:
        raise CmsError(f"the site has no API variable {name!r}") from None

