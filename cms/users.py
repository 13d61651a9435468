"""Users, roles and permissions, as pages under /admin/access/ the way ProcessWire keeps them.

    /admin/access/users/        template `user`: pass (Password), email (Email), roles (Page, multiple)
    /admin/access/roles/        template `role`: title, permissions (Page, multiple): guest, superuser
    /admin/access/permissions/  template `permission`: title: page-view, page-edit, tasker-admin

Every user also has the guest role. `superuser` has every permission. Every permission check in
the product goes through `site.users.has_permission(user, permission, page=None)`.
"""
from __future__ import annotations

import hashlib
import secrets
import time
import weakref
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from . import passwords
from .access import VIEW, AccessRules, Grants
from .db.base import in_chunks
from .errors import NameConflict, ValidationError
from .fields import SYSTEM_FIELDS
from .page import NullPage, Page, id_of_digits

if TYPE_CHECKING:
    from .site import Site

ACCESS_PATH = "/admin/access/"
USERS_PATH = "/admin/access/users/"
ROLES_PATH = "/admin/access/roles/"
PERMISSIONS_PATH = "/admin/access/permissions/"
PERMISSIONS = {
    "page-view": "View pages",
    "page-edit": "Edit pages",
    "page-add": "Add children to pages (as page-edit does where a template's add roles name the role)",
    "page-create": "Create pages of a template (as page-edit does where its create roles name the role)",
    "page-delete": "Trash and delete pages",
    "page-move": "Move pages to another parent",
    "page-sort": "Change the order of children",
    "page-lock": "Lock and unlock pages",
    "tasker-admin": "Watch and steer tasks in the admin",
}
ROLES = {"guest": ("page-view",), "superuser": ()}   # superuser holds every permission implicitly
SYSTEM_FIELDS.update({"user": ("email", "pass", "roles"), "role": ("title", "permissions"),
                      "permission": ("title",)})


def names_given(names: Any, keyword: str, noun: str) -> Iterable[Any]:
    """`names` when it is a list (tuple, set ...) of names; else a ValidationError. One string
    would be read letter by letter ("unknown role 's'"), as set_access refuses it too."""
    if isinstance(names, (str, bytes)) or not isinstance(names, Iterable):
        hint = f" ({keyword}=[{names!r}])" if isinstance(names, str) else ""
        raise ValidationError(f"{keyword}= takes a list of {noun} names, not {names!r}{hint}",
                              field=keyword, value=names, rule="list")
    return names


def with_view_permission(names: Iterable[str]) -> list[str]:
    """A role's permission names as stored and shown: page-view first. Every role holds it, as
    in ProcessWire (Roles::loaded adds it to each role it loads, and its role editor shows it
    ticked for good): a role named in a template's view roles views its pages."""
    return list(dict.fromkeys((VIEW, *names)))


class User(Page):
    """A user page (template `user`) with access helpers. `user.get("pass")` is always masked."""

    @classmethod
    def of(cls, page: Page) -> User:
        user = object.__new__(cls)
        user.__dict__.update(page.__dict__)
        if user._batch:                   # the user page takes its page's place in its find
            user._batch.append(weakref.ref(user))
        return user

    def role_names(self) -> list[str]:
        """The names of the user's roles, `guest` included."""
        return self.site.users.role_names(self)

    def has_role(self, role: str) -> bool:
        return role in self.role_names()

    def has_permission(self, permission: str, page: Page | None = None) -> bool:
        return self.site.users.has_permission(self, permission, page)

    def is_superuser(self) -> bool:
        return self.has_role("superuser")

    def is_guest(self) -> bool:
        return self.name == "guest" and self.path == USERS_PATH + "guest/"

    def is_logged_in(self) -> bool:
        """True for any user but the guest (ProcessWire's `$user->isLoggedin()`)."""
        return not self.is_guest()

    def __repr__(self) -> str:
        return f"<User {self.id} {self.name!r}>"


class Users:
    """`site.users`: add, get, authenticate users and check their permissions."""

    def __init__(self, site: Site):
        self.site = site
        self.db = site.db
        self.access = AccessRules(site)
        self._parents: dict[str, int] = {}
        self._permission_names: set[str] = set()
        self._system_user: User | NullPage | None = None

    # -- where things live --------------------------------------------------------------------
    def _parent_id(self, path: str) -> int:
        parent_id = self._parents.get(path)
        if parent_id is None:
            parent_id = self.db.scalar("SELECT pages_id FROM pages_paths WHERE path = ?", (path,))
            if parent_id is None:
                raise ValidationError(f"the site has no {path} page: run `python run.py migrate`",
                                      field="path", value=path, rule="exists")
            self._parents[path] = parent_id
        return parent_id

    def _child_id(self, parent_path: str, name: str) -> int | None:
        if isinstance(name, str) and "\x00" in name:    # no page's name; PostgreSQL refuses it
            return None
        return self.db.scalar("SELECT id FROM pages WHERE parent_id = ? AND name = ?",
                              (self._parent_id(parent_path), name))

    def _children(self, parent_path: str) -> list[Page]:
        ids = [r[0] for r in self.db.all("SELECT id FROM pages WHERE parent_id = ? ORDER BY sort, id",
                                         (self._parent_id(parent_path),))]
        return self.site.pages.get_many(ids)

    # -- reading ------------------------------------------------------------------------------
    def get(self, key: int | str | Page) -> User | NullPage:
        """A user by id, by name (sanitized as a page name) or as a page; NullPage when none."""
        if isinstance(key, User):
            return key
        if isinstance(key, Page):
            key = key.id
        if isinstance(key, str) and key.strip().isdecimal():
            key = id_of_digits(key)
        if isinstance(key, int) and not isinstance(key, bool):
            page = self.site.pages.get(key) if key > 0 else NullPage(self.site)
        elif isinstance(key, str):
            return self.named(key)
        else:
            raise TypeError(f"users.get() takes a name, an id or a page, not {type(key).__name__}")
        if not page or page.template.name != "user":
            return NullPage(self.site)
        return User.of(page)

    def named(self, name: str) -> User | NullPage:
        """The user of this name (sanitized as a page name), NullPage when none. A name of
        digits is a name here, where `get` reads it as an id (as ProcessWire's get does): a
        login checks the user of the name typed, and so must what counts its failures."""
        clean = self.site.sanitizer.page_name(name)
        page_id = self._child_id(USERS_PATH, clean) if clean else None
        page = self.site.pages.get(page_id) if page_id else NullPage(self.site)
        if not page or page.template.name != "user":
            return NullPage(self.site)
        return User.of(page)

    def __getitem__(self, key: int | str) -> User:
        user = self.get(key)
        if not user:
            raise ValidationError(f"no user {key!r}", field="name", value=key, rule="exists")
        return user  # type: ignore[return-value]

    def __iter__(self) -> Iterator[User]:
        return iter(self.all())

    def all(self) -> list[User]:
        """Every user, the guest included, in tree order."""
        return [User.of(page) for page in self._children(USERS_PATH)]

    def guest(self) -> User:
        """The guest user: whoever is not logged in."""
        return self["guest"]

    def current(self) -> User | NullPage:
        """The user the site acts for now: `site.user`."""
        return self.site.user

    def system_user(self) -> User | NullPage:
        """Who `site.user` is outside a web request: the first superuser, or the guest before
        one exists (as ProcessWire's `$user` in a script; a NullPage answered no `is_guest()`
        or `is_superuser()`). Such code has every right, whoever that is."""
        if not self._system_user:
            page_id = self.db.scalar(
                "SELECT p.id FROM pages p JOIN field_roles r ON r.pages_id = p.id "
                "JOIN pages role ON role.id = r.data WHERE p.parent_id = ? AND role.parent_id = ? "
                "AND role.name = 'superuser' ORDER BY p.id", (self._parent_id(USERS_PATH),
                                                             self._parent_id(ROLES_PATH)))
            if not page_id:
                return self.get("guest")      # not kept: the first superuser takes its place
            self._system_user = self.get(int(page_id))
        return self._system_user

    def login_as(self, user: User | int | str | None, grants: Grants | None = None) -> User:
        """Act as `user` from now on: `site.user`, its rights, and `site.user_id` (stamped on
        saved pages). A web request acts as its session's user or the guest this way, with the
        `grants` it keeps for a second or two (else they are read when first needed).

        `None` acts as the guest (`site.user_id` 0). Use `site.as_user(None)` to act with the
        rights of code outside a request instead.
        """
        found = self.guest() if user is None else self[user] if not isinstance(user, User) else user
        self.site.act_as(found, 0 if found.is_guest() else found.id, grants)
        return found

    # -- writing ------------------------------------------------------------------------------
    def add(self, name: str, password: str, roles: Iterable[str | Page] = ("superuser",),
            email: str = "") -> User:
        """Create a user. The name is sanitized as a page name; a name in use is refused.

        Raises ValidationError (and stores nothing) for a short password, an unusable or taken
        name, an unknown role or a bad email address.
        """
        clean = self.site.sanitizer.page_name(name) if isinstance(name, str) else ""
        if not clean:
            raise ValidationError(f"user name {name!r} has no usable characters "
                                  "(letters, digits, - _ .)", field="name", value=name, rule="name")
        passwords.check_rules(password)
        role_ids = self._role_ids(["guest", *names_given(roles, "roles", "role")])
        parent_id = self._parent_id(USERS_PATH)
        if self._child_id(USERS_PATH, clean):
            raise ValidationError(f"a user named {clean!r} exists already", field="name",
                                  value=clean, rule="unique")
        try:
            with self.site.transaction():
                page = self.site.pages.add("user", parent_id, clean, email=email,
                                           roles=role_ids, **{"pass": password})
                if page.name != clean:    # another process took the name a moment ago
                    raise ValidationError(f"a user named {clean!r} exists already", field="name",
                                          value=clean, rule="unique")
        except NameConflict:
            raise ValidationError(f"a user named {clean!r} exists already", field="name",
                                  value=clean, rule="unique") from None
        return User.of(page)

    def set_password(self, user: User | int | str, password: str) -> None:
        """Give a user a new password (checked against the rules, then hashed)."""
        found = self[user] if not isinstance(user, User) else user
        if found.is_guest():
            raise ValidationError("the guest is everyone not logged in: it has no password and "
                                  "no login (as in ProcessWire)", field="pass", value="guest",
                                  rule="guest")
        passwords.check_rules(password)
        with self.site.transaction():
            found.set("pass", password)
            found.save("pass")
            self.end_sessions(found)

    def exact_name(self, typed: str, what: str = "user") -> str:
        """`typed` if it is a page name as it stands, else a ValidationError saying what it
        would become: a login or role name changed without a word (`x y` saved as `x-y`,
        `<b>` as `b`) is found by nobody. The API's add() sanitizes, as ProcessWire's does;
        the admin and the command line, where a person types the name, ask this first."""
        clean = self.site.sanitizer.page_name(typed)
        if typed and clean != typed:
            # by name among its kind's pages: `get("46")` would read an id
            branch = {"user": USERS_PATH, "role": ROLES_PATH, "permission": PERMISSIONS_PATH}[what]
            taken = clean and self._child_id(branch, clean)
            raise ValidationError(
                f"{what} names are lowercase letters, digits and - _ . (at most 128): {typed!r} "
                + (f"would be {clean!r}, which is taken; type another name" if taken else
                   f"would be saved as {clean!r}; type that or another name" if clean
                   else "has no usable characters"), field="name", value=typed, rule="name")
        return typed

    def check_keeps_a_superuser(self, user: Page, deleting: bool = False) -> None:
        """Refuse a save of `user` (its roles, status, password or place), or its deletion,
        after which no user could log in as a superuser: nobody could then manage users, roles
        or modules again. One can while published, out of the trash, under the users, with a
        password and the superuser role (a superuser unpublished, or without a password, held
        the role but no login). ProcessWire keeps its installer's user a superuser whatever its
        roles, and refuses the role to the one saving; here the outcome is checked, for every
        caller. Pages.save and Pages.delete call this for a user page."""
        role = self.role("superuser")
        users = self._parent_id(USERS_PATH)
        able = {row[0] for row in self.db.all(
            "SELECT p.id FROM pages p JOIN field_roles r ON r.pages_id = p.id AND r.data = ? "
            "JOIN field_pass f ON f.pages_id = p.id WHERE p.parent_id = ? AND f.data IS NOT NULL "
            f"AND f.data <> '' AND (p.status & {Page.STATUS_UNPUBLISHED | Page.STATUS_TRASH}) = 0",
            (role.id, users))}
        if user.id not in able or able - {user.id}:
            return
        field, reason = next(((f, why) for f, why, lost in (
            ("id", "it cannot be deleted", deleting),
            ("roles", "the superuser role cannot be taken away",
             all(getattr(r, "id", r) != role.id for r in (user.get("roles") or []))),
            ("status", "it cannot be unpublished", user.status & Page.STATUS_UNPUBLISHED),
            ("parent", "it cannot be trashed or moved", user.parent_id != users),
            ("pass", "its password cannot be removed", not user.get("pass"))) if lost),
            (None, ""))
        if field:
            raise ValidationError(f"{user.name!r} is the last superuser who can log in: {reason}; "
                                  "make another user a superuser (published, with a password) first",
                                  field=field, value=user.name, rule="last-superuser")

    def check_guest_rights(self, page: Page) -> None:
        """Refuse a save giving the guest user a role but guest, or the guest role a right of the
        admin (editing, adding, moving ... pages, steering tasks): every visitor who is not
        logged in is the guest, so ticking superuser there made the whole web a superuser. A
        permission a module adds for visitors may still be given to the guest role."""
        if page.template.name == "user" and page.id == self.guest().id:
            extra = [getattr(r, "name", r) for r in (page.get("roles") or [])
                     if getattr(r, "name", r) != "guest"]
            if extra:
                raise ValidationError(f"the guest user is everyone who is not logged in: it holds "
                                      f"the guest role only, not {', '.join(map(str, extra))}",
                                      field="roles", value=extra, rule="guest")
        elif page.template.name == "role" and page.name == "guest" \
                and page.parent_id == self._parent_id(ROLES_PATH):
            admin = [p.name for p in (page.get("permissions") or [])
                     if getattr(p, "name", "") in PERMISSIONS and p.name != VIEW]
            if admin:
                raise ValidationError(f"the guest role is everyone who is not logged in: it cannot "
                                      f"hold {', '.join(admin)}", field="permissions",
                                      value=admin, rule="guest")

    def delete(self, user: User | int | str) -> None:
        """Delete a user for good (and end their sessions). The guest cannot be deleted."""
        found = self[user] if not isinstance(user, User) else user
        with self.site.transaction():
            self.end_sessions(found)
            self.site.pages.delete(found)

    # -- logged-in sessions -------------------------------------------------------------------
    def start_session(self, user: User, max_age: float) -> str:
        """Record a login and return its session id (kept in the browser's signed cookie).

        Sessions live in the database so that every server process sharing it sees a logout
        or a new password. Expired rows are swept here, at the rate logins happen.
        """
        session_id = secrets.token_urlsafe(32)
        now = time.time()

        def insert() -> None:
            with self.site.transaction():
                self.db.execute("DELETE FROM sessions WHERE expires < ?", (now,))
                self.db.execute("INSERT INTO sessions (id, users_id, expires) VALUES (?, ?, ?)",
                                (session_id, user.id, now + max_age))

        self.db.retry(insert)
        return session_id

    def session_user(self, session_id: str) -> User | None:
        """The user a session was started for, while it has not ended or expired and the user
        may still log in; else None."""
        row = self.db.one("SELECT users_id, expires FROM sessions WHERE id = ?", (session_id,))
        if row is None or row[1] < time.time():
            return None
        user = self.get(int(row[0]))
        if not user or user.status & (Page.STATUS_UNPUBLISHED | Page.STATUS_TRASH):
            return None
        return user   # type: ignore[return-value]

    def end_session(self, session_id: str) -> None:
        """Log one session out, on every server at once."""
        self.db.retry(lambda: self.db.execute("DELETE FROM sessions WHERE id = ?", (session_id,)))

    def end_sessions(self, user: User | int | str) -> int:
        """Log a user out everywhere (a new password does this); returns how many ended."""
        found = self[user] if not isinstance(user, User) else user
        count = self.db.scalar("SELECT COUNT(*) FROM sessions WHERE users_id = ?", (found.id,)) or 0
        self.db.retry(lambda: self.db.execute("DELETE FROM sessions WHERE users_id = ?", (found.id,)))
        return int(count)

    def credentials_stamp(self, user: User | Page) -> str:
        """A digest of what a session was granted on: the password hash and the roles.

        A session remembers it at login and is refused once it differs, so a new password or
        a role change ends every session of the user, however the change was made (this API,
        the page editor, a script); the digest reveals nothing of the hash.
        """
        password = self.db.scalar("SELECT data FROM field_pass WHERE pages_id = ?", (user.id,)) or ""
        roles = [r[0] for r in self.db.all("SELECT data FROM field_roles WHERE pages_id = ? "
                                           "ORDER BY data", (user.id,))]
        material = f"{password}|{','.join(map(str, roles))}".encode()
        return hashlib.sha256(b"cms-credentials:" + material).hexdigest()[:24]

    def authenticate(self, name: str, password: str) -> User | None:
        """The user whose name and password match, else None; the time taken does not tell which
        part was wrong. A hash made with an older work factor is re-made on success."""
        clean = self.site.sanitizer.page_name(name) if isinstance(name, str) else ""
        row = None
        if clean:
            row = self.db.one(
                "SELECT p.id, p.status, f.data FROM pages p LEFT JOIN field_pass f ON f.pages_id = p.id "
                "WHERE p.parent_id = ? AND p.name = ?", (self._parent_id(USERS_PATH), clean))
        if (row is None or row[2] is None or row[1] & (Page.STATUS_UNPUBLISHED | Page.STATUS_TRASH)
                or clean == "guest"):         # the guest never logs in, whatever is stored
            passwords.spend_time(password if isinstance(password, str) else "")
            return None
        if not passwords.verify(password, row[2]):
            return None
        user = self[row[0]]
        if passwords.needs_rehash(row[2]):
            self._rehash(user, password)
        return user

    def _rehash(self, user: User, password: str) -> None:
        """Hash a password again with today's work factor, at a login that proved it. A web
        login asks as the guest (nobody is logged in yet), who may not edit a user page: the
        save refused it, and every login of a user whose hash was older failed. A password
        that today's rules refuse keeps its old hash, and the login goes on."""
        try:
            with self.site.trusted():
                self.set_password(user, password)
        except ValidationError:
            pass

    # -- roles and permissions ----------------------------------------------------------------
    def role(self, name: str) -> Page:
        """A role page by name (NullPage when there is none)."""
        page_id = self._child_id(ROLES_PATH, name)
        return self.site.pages.get(page_id) if page_id else NullPage(self.site)

    def roles(self) -> list[Page]:
        return self._children(ROLES_PATH)

    def permissions(self) -> list[Page]:
        return self._children(PERMISSIONS_PATH)

    def add_role(self, name: str, permissions: Iterable[str] = ()) -> Page:
        """Create a role holding the named permissions (or return the existing one); page-view
        too, which every role holds (see with_view_permission)."""
        clean = self.site.sanitizer.page_name(name)
        if not clean:
            raise ValidationError(f"role name {name!r} has no usable characters", field="name",
                                  value=name, rule="name")
        ids = [self._permission_id(p) for p in
               with_view_permission(names_given(permissions, "permissions", "permission"))]
        existing = self.role(clean)
        if existing:
            return existing
        return self.site.pages.add("role", self._parent_id(ROLES_PATH), clean, title=clean,
                                   permissions=ids)

    def add_permission(self, name: str, title: str = "") -> Page:
        """Create a permission (or return the existing one); modules add their own this way."""
        clean = self.site.sanitizer.page_name(name)
        if not clean:
            raise ValidationError(f"permission name {name!r} has no usable characters",
                                  field="name", value=name, rule="name")
        page_id = self._child_id(PERMISSIONS_PATH, clean)
        if page_id:
            return self.site.pages.get(page_id)
        page = self.site.pages.add("permission", self._parent_id(PERMISSIONS_PATH), clean,
                                   title=title or clean)
        self._permission_names.add(clean)
        return page

    def role_ids(self, roles: Iterable[str | int | Page]) -> list[int]:
        """The ids of roles given by name, id or page; ValidationError names an unknown one."""
        return self._role_ids(roles)

    def _role_ids(self, roles: Iterable[str | int | Page]) -> list[int]:
        ids: list[int] = []
        for role in roles:
            if isinstance(role, int) and not isinstance(role, bool):
                page_id = role if self.db.scalar("SELECT id FROM pages WHERE id = ? AND parent_id = ?",
                                                 (role, self._parent_id(ROLES_PATH))) else None
            elif isinstance(role, Page):
                page_id = role.id if role and role.parent_id == self._parent_id(ROLES_PATH) else None
            else:
                page_id = self._child_id(ROLES_PATH, str(role))
            if not page_id:
                known = ", ".join(r.name for r in self.roles())
                raise ValidationError(f"unknown role {getattr(role, 'name', role)!r}; known roles: "
                                      f"{known}", field="roles", value=role, rule="exists")
            if page_id not in ids:
                ids.append(page_id)
        return ids

    def _permission_id(self, name: str) -> int:
        page_id = self._child_id(PERMISSIONS_PATH, name)
        if not page_id:
            raise ValidationError(f"unknown permission {name!r}; known: "
                                  f"{', '.join(sorted(self.permission_names(refresh=True)))}",
                                  field="permissions", value=name, rule="exists")
        return page_id

    def permission_names(self, refresh: bool = False) -> set[str]:
        """The names of every permission (read again when one is asked for that is not known)."""
        if refresh or not self._permission_names:
            self._permission_names = {r[0] for r in self.db.all(
                "SELECT name FROM pages WHERE parent_id = ?", (self._parent_id(PERMISSIONS_PATH),))}
        return self._permission_names

    def grants(self, user_id: int) -> Grants:
        """A user's roles and their permissions (guest role included): one query."""
        rows = self.db.all(
            "SELECT r.id, r.name, perm.name FROM pages r "
            "LEFT JOIN field_permissions fp ON fp.pages_id = r.id "
            "LEFT JOIN pages perm ON perm.id = fp.data AND perm.parent_id = ? "
            "WHERE r.parent_id = ? AND (r.name = 'guest' OR r.id IN "
            "(SELECT data FROM field_roles WHERE pages_id = ?))",
            (self._parent_id(PERMISSIONS_PATH), self._parent_id(ROLES_PATH), user_id))
        roles: dict[int, set[str]] = {}
        names = set()
        for role_id, role_name, permission in rows:
            roles.setdefault(role_id, {VIEW})    # every role holds it: with_view_permission
            names.add(role_name)
            if permission:
                roles[role_id].add(permission)
        return Grants("superuser" in names, {rid: frozenset(perms) for rid, perms in roles.items()},
                      frozenset(names))

    def role_names(self, user: User | int | str | None) -> list[str]:
        found = self._resolve(user)
        return sorted(self.grants(found.id if found else 0).names)

    def role_names_of(self, user_ids: Iterable[int]) -> dict[int, list[str]]:
        """`role_names` of many users at once (the guest role included, as there): one query
        per 500 users, where a list of users asking `role_names` of each asked once per user."""
        ids = list(dict.fromkeys(int(i) for i in user_ids))
        roles_id = self._parent_id(ROLES_PATH)
        guest = ["guest"] if self._child_id(ROLES_PATH, "guest") else []
        names: dict[int, set[str]] = {user_id: set(guest) for user_id in ids}
        for chunk, marks in in_chunks(ids):
            for user_id, role in self.db.all(
                    f"SELECT fr.pages_id, r.name FROM field_roles fr JOIN pages r ON r.id = fr.data "
                    f"AND r.parent_id = ? WHERE fr.pages_id IN ({marks})", (roles_id, *chunk)):
                names[user_id].add(role)
        return {user_id: sorted(found) for user_id, found in names.items()}

    @staticmethod
    def _is_nobody(user: object) -> bool:
        """None, 0 and NullPage stand for whoever is not logged in: the guest."""
        return user is None or (isinstance(user, int) and user == 0) or (
            isinstance(user, Page) and not user)

    def _resolve(self, user: User | Page | int | str | None) -> User | None:
        if self._is_nobody(user):
            return None
        if isinstance(user, User):
            return user
        found = self.get(user)
        return found if found else None   # type: ignore[return-value]

    def has_permission(self, user: User | int | str | None, permission: str,
                       page: Page | None = None, grants: Grants | None = None) -> bool:
        """May `user` (None, 0 or a NullPage = the guest) do `permission`, on `page` when given?

        The one place access is decided (the rules are in cms.access): superuser may do
        everything; others hold the permissions of their roles (guest included), and on a page
        only through the roles its access template lists. An unknown permission name raises
        ValidationError, so a typo never passes silently. `grants`: the user's, when the caller
        has read them already (a web request's).
        """
        if not isinstance(permission, str) or (
                permission not in self.permission_names()
                and permission not in self.permission_names(refresh=True)):
            raise ValidationError(f"unknown permission {permission!r}; known: "
                                  f"{', '.join(sorted(self.permission_names()))}",
                                  field="permission", value=permission, rule="exists")
        found = self._resolve(user)
        if found is None and not self._is_nobody(user):
            return False      # a user that does not exist (any more) may do nothing
        if found is not None and found.status & (Page.STATUS_UNPUBLISHED | Page.STATUS_TRASH):
            return False
        if grants is None:
            grants = self.grants(found.id if found else 0)
        return self.access.allows(grants, permission, page)

    def may(self, user: User | int | str | None, permission: str, page: Page | None = None) -> bool:
        """`has_permission` for `user`, or, when None, for the acting user (`site.user`; code
        outside a web request may do everything)."""
        if user is None:
            grants = self.site.acting_grants()
            return grants is None or self.access.allows(grants, permission, page)
        return self.has_permission(user, permission, page)

    def may_create(self, user: User | int | str | None, template: Any, parent: Page | None = None) -> bool:
        """May `user` (None: the acting user) create pages of `template` (under `parent`)?"""
        if user is None:
            grants = self.site.acting_grants()
        else:
            found = self._resolve(user)
            grants = self.grants(found.id if found else 0)
        return grants is None or self.access.may_create(grants, template, parent)


def install_access(site: Site) -> None:
    """Create the access fields, templates and pages (schema upgrade 2; safe to run again)."""
    from .schema import SYSTEM_PAGE
    system = Page.STATUS_ON | Page.STATUS_SYSTEM_ID | Page.STATUS_SYSTEM
    site.fields.add("pass", "Password", label="Password")
    site.fields.add("email", "Email", label="Email")
    site.fields.add("roles", "Page", label="Roles", multiple=True, template="role")
    site.fields.add("permissions", "Page", label="Permissions", multiple=True, template="permission")
    for name, label in (("user", "User"), ("role", "Role"), ("permission", "Permission")):
        site.templates.add(name, fields=SYSTEM_FIELDS[name], locked=True, no_children=True,
                           label=label)

    def ensure(template: str, parent_path: str, name: str, status: int, **values: Any) -> int:
        found = site.db.scalar("SELECT pages_id FROM pages_paths WHERE path = ?",
                               (f"{parent_path}{name}/",))
        if found:
            return found
        return site.pages.add(template, parent_path, name, status=status, **values).id

    with site.transaction():
        ensure("admin", "/admin/", "access", SYSTEM_PAGE, title="Access")
        ensure("admin", ACCESS_PATH, "users", SYSTEM_PAGE, title="Users")
        ensure("admin", ACCESS_PATH, "roles", SYSTEM_PAGE, title="Roles")
        ensure("admin", ACCESS_PATH, "permissions", SYSTEM_PAGE, title="Permissions")
        permission_ids = {name: ensure("permission", PERMISSIONS_PATH, name, system, title=title)
                          for name, title in PERMISSIONS.items()}
        role_ids = {name: ensure("role", ROLES_PATH, name, system, title=name,
                                 permissions=[permission_ids[p] for p in granted])
                    for name, granted in ROLES.items()}
        ensure("user", USERS_PATH, "guest", system | Page.STATUS_LOCKED, roles=[role_ids["guest"]])
