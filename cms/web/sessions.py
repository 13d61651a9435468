"""Sessions: a signed cookie holding who is logged in, the CSRF token and one-shot notices.

The cookie is `payload.signature`: the payload is base64 JSON, the signature an HMAC-SHA256 of
it under a secret generated once per site and kept in the database (`meta` table), so every
server process of a site accepts the same cookies and a restart logs nobody out. Nothing secret
is in the payload (it is signed, not encrypted): a user id, the CSRF token, when it was issued,
the id of the login's row in the `sessions` table and a digest of the credentials it was granted
on. A login is valid while its row exists (logout deletes it, on every server at once) and the
user's password and roles are those it was granted on (a change ends all of the user's
sessions); see `Users.start_session` and `Users.credentials_stamp`.

The cookie stays under the 4,096 bytes browsers keep (`MAX_VALUE`): notices give way to the
login, see `SessionCodec.dumps`. It is HttpOnly, SameSite=Lax, and Secure when the request
came over HTTPS (directly, or through a proxy that says so in X-Forwarded-Proto). A session
lasts `max_age` seconds after the login; logout clears the cookie.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from typing import TYPE_CHECKING, Any

import peewee

if TYPE_CHECKING:
    from ..site import Site

COOKIE_NAME = "cms_session"
DEVICE_COOKIE = "cms_device"      # a browser that logged in before (see SessionCodec.device_value)
DEVICE_MAX_AGE = 180 * 24 * 3600
SECRET_META = "session_secret"
MAX_AGE = 12 * 3600
MAX_NOTICE_CHARS = 300
# Bytes of a session cookie's value: with its name and attributes (about 70 bytes) the header
# stays under the 4,096 browsers keep; a larger cookie is dropped, and its login with it.
MAX_VALUE = 3900


def site_secret(site: Site) -> bytes:
    """The site's session secret: read from the database, created there on first use.

    Two processes creating it at once both insert; the loser's insert fails and it reads the
    winner's, so every process signs with the same key.
    """
    from .. import schema
    stored = schema.get_meta(site, SECRET_META)
    if stored is None:
        candidate = json.dumps(secrets.token_hex(32))

        def insert() -> None:
            try:
                with site.transaction():
                    site.db.execute("INSERT INTO meta (name, value) VALUES (?, ?)",
                                    (SECRET_META, candidate))
            except peewee.IntegrityError:
                pass

        site.db.retry(insert)     # a busy SQLite writer (a running step) makes it wait its turn
        stored = schema.get_meta(site, SECRET_META)
    return str(stored).encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Session:
    """One browser's session: `user_id` (0 = guest), `csrf_token`, and notices to show once."""

    def __init__(self, user_id: int = 0, csrf_token: str = "", issued: float = 0.0,
                 notices: list[list[str]] | None = None, fresh: bool = True, run_task: int = 0,
                 session_id: str = "", stamp: str = ""):
        self.user_id = user_id
        self.session_id = session_id   # the row in the `sessions` table (logged-in users only)
        self.stamp = stamp             # Users.credentials_stamp at login
        self._csrf_token = csrf_token or secrets.token_urlsafe(32)
        self.issued = issued or time.time()
        self.notices: list[list[str]] = notices or []
        self.run_task = run_task   # "Run now" asked for this task: its page runs it once opened
        self.fresh = fresh
        self.changed = False       # a changed session is sent back as a cookie
        self.cleared = False

    @property
    def csrf_token(self) -> str:
        """The token forms must send back; a new session is stored once its token is handed out
        (so a visitor who never sees a form gets no cookie)."""
        if self.fresh:
            self.changed = True
        return self._csrf_token

    def login(self, user_id: int, session_id: str, stamp: str) -> None:
        """Start a fresh session for `user_id`, with a new CSRF token (no fixation)."""
        self.user_id = user_id
        self.session_id = session_id
        self.stamp = stamp
        self._csrf_token = secrets.token_urlsafe(32)
        self.issued = time.time()
        self.changed = True

    def logout(self) -> None:
        self.user_id = 0
        self.session_id = self.stamp = ""
        self._csrf_token = secrets.token_urlsafe(32)
        self.notices = []
        self.changed = True
        self.cleared = True

    def notice(self, kind: str, text: str) -> None:
        """Remember a notice to show on the next page this browser renders."""
        self.notices.append([kind, str(text)[:MAX_NOTICE_CHARS]])
        del self.notices[:-5]
        self.changed = True

    def pop_notices(self) -> list[list[str]]:
        notices, self.notices = self.notices, []
        if notices:
            self.changed = True
        return notices

    def ask_to_run(self, task_id: int) -> None:
        """Remember that this browser asked (by POST) to run a task from its page."""
        self.run_task = task_id
        self.changed = True

    def take_run_request(self, task_id: int) -> bool:
        """True once after `ask_to_run(task_id)`: the task page opens in run mode."""
        if self.run_task != task_id:
            return False
        self.run_task = 0
        self.changed = True
        return True

    def payload(self) -> dict[str, Any]:
        data = {"u": self.user_id, "c": self._csrf_token, "t": int(self.issued), "n": self.notices}
        if self.session_id:
            data["s"], data["v"] = self.session_id, self.stamp
        if self.run_task:
            data["r"] = self.run_task
        return data


def cookie_value(header: str, name: str = COOKIE_NAME) -> str | None:
    """The value of one cookie in a Cookie header (a plain split: faster than SimpleCookie)."""
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


class SessionCodec:
    """Signs and checks session cookies with one secret.

    A cookie checked once is remembered (up to `cache_size` of them), so a browser polling
    every second costs one dictionary lookup instead of an HMAC and a JSON parse.
    """

    def __init__(self, secret: bytes, max_age: int = MAX_AGE, cache_size: int = 4096):
        self.key = hashlib.sha256(b"cms-session:" + secret).digest()
        self.max_age = max_age
        self.cache_size = cache_size
        self._checked: dict[str, tuple] = {}

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self.key, payload.encode("ascii"), hashlib.sha256).digest())

    def device_value(self, user_id: int, now: float | None = None) -> str:
        """A known-device cookie for a browser that just logged in as `user_id`: a random id
        for the browser, signed for that user (under its own prefix: never read as a session).
        Its failed logins for the account are counted apart from everyone else's
        (`LoginThrottle.attempt(device=...)`), so a guesser elsewhere cannot keep the owner out.
        It holds its issue time: a copy kept past DEVICE_MAX_AGE is refused here too."""
        issued = int(time.time() if now is None else now)
        payload = _b64(json.dumps({"u": user_id, "d": secrets.token_urlsafe(16), "t": issued},
                                  separators=(",", ":")).encode())
        return f"{payload}.{self._sign('device.' + payload)}"

    def device_of(self, value: str | None, user_id: int, now: float | None = None) -> str:
        """The browser's device id when its cookie is good, was set for `user_id` and is under
        DEVICE_MAX_AGE old, else "" (a cookie from before issue times were kept included).
        A value that is not ASCII is none of ours: the signature check raised on it, and the
        login that read it answered 500, before the throttle counted it."""
        if not value or not value.isascii() or value.count(".") != 1 or len(value) > 512:
            return ""
        payload, signature = value.split(".")
        if not hmac.compare_digest(self._sign("device." + payload), signature):
            return ""
        try:
            data = json.loads(_unb64(payload))
            age = (time.time() if now is None else now) - int(data["t"])
            return str(data["d"]) if int(data["u"]) == user_id and age <= DEVICE_MAX_AGE else ""
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError):
            return ""

    def _signed(self, data: dict[str, Any]) -> str:
        # UTF-8, not JSON's \u escapes: six bytes for an "é" or a "漢", twelve for an emoji
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        payload = _b64(text.encode("utf-8", "replace"))
        return f"{payload}.{self._sign(payload)}"

    def dumps(self, session: Session) -> str:
        """The cookie's value, never over MAX_VALUE bytes: notices that would pass it give way,
        the oldest first, then the newest is cut (ending in "…"). The login and the CSRF token
        always stay: a cookie too big for the browser lost them, and the notices too."""
        data = session.payload()
        value = self._signed(data)
        notices = [list(notice) for notice in data["n"]]
        while len(value) > MAX_VALUE and len(notices) > 1:
            notices.pop(0)
            data["n"] = notices
            value = self._signed(data)
        if len(value) > MAX_VALUE and notices:
            kind, text = notices[0]
            fits, short = 0, len(text)          # characters kept: the most that fit
            while fits < short:
                middle = (fits + short + 1) // 2
                data["n"] = [[kind, text[:middle] + "…"]]
                if len(self._signed(data)) <= MAX_VALUE:
                    fits = middle
                else:
                    short = middle - 1
            data["n"] = [[kind, text[:fits] + "…"]] if fits else []
            value = self._signed(data)
        return value

    def loads(self, value: str | None, now: float | None = None) -> Session | None:
        """The session a cookie holds, or None when it is missing, forged, malformed or expired."""
        if not value:
            return None
        known = self._checked.get(value)
        if known is not None:
            user_id, token, issued, notices, run_task, session_id, stamp = known
            if (now or time.time()) - issued > self.max_age:
                return None
            return Session(user_id, token, issued, [list(n) for n in notices], fresh=False,
                           run_task=run_task, session_id=session_id, stamp=stamp)
        if value.count(".") != 1 or len(value) > 4096:
            return None
        payload, signature = value.split(".")
        try:
            if not hmac.compare_digest(self._sign(payload), signature):
                return None
            data = json.loads(_unb64(payload))
            user_id, token, issued = int(data["u"]), str(data["c"]), float(data["t"])
            notices = [[str(k), str(t)] for k, t in data.get("n", [])][:5]
            run_task = int(data.get("r", 0))
            session_id, stamp = str(data.get("s", "")), str(data.get("v", ""))
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError):
            return None
        if (now or time.time()) - issued > self.max_age or not token:
            return None
        if len(self._checked) >= self.cache_size:
            self._checked.clear()
        self._checked[value] = (user_id, token, issued, tuple(tuple(n) for n in notices), run_task,
                                session_id, stamp)
        return Session(user_id, token, issued, notices, fresh=False, run_task=run_task,
                       session_id=session_id, stamp=stamp)


def device_header(value: str, environ: dict[str, Any]) -> str:
    """The Set-Cookie header value of a known-device cookie (sent to the login form only)."""
    secure = "; Secure" if is_https(environ) else ""
    return (f"{DEVICE_COOKIE}={value}; Path=/admin/; Max-Age={DEVICE_MAX_AGE}; HttpOnly; "
            f"SameSite=Lax{secure}")


def is_https(environ: dict[str, Any]) -> bool:
    """True when the browser talks HTTPS to us or to the proxy in front of us."""
    forwarded = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[0].strip().lower()
    return forwarded == "https" or environ.get("wsgi.url_scheme") == "https"


def cookie_header(codec: SessionCodec, session: Session, environ: dict[str, Any]) -> str:
    """The Set-Cookie header value that stores (or, after a logout, clears) the session."""
    secure = "; Secure" if is_https(environ) else ""
    if session.cleared and not session.notices:
        value, age = "", 0
    else:
        value, age = codec.dumps(session), codec.max_age
    return f"{COOKIE_NAME}={value}; Path=/; Max-Age={age}; HttpOnly; SameSite=Lax{secure}"
