"""Turn a database URL into a connected `Database` of the right engine."""
from __future__ import annotations

import os
from urllib.parse import parse_qsl, unquote, urlsplit

from ..errors import DatabaseError
from .base import Database

SCHEMES = {
    "sqlite": "sqlite",
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "mysql": "mariadb",
    "mariadb": "mariadb",
}


def redact_url(url: str) -> str:
    """The URL with its password replaced, fit for error messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def sqlite_options(query: str, url: str) -> dict[str, str]:
    """A SQLite URL's options: only `synchronous` (normal, the default, or full)."""
    options = dict(parse_qsl(query, keep_blank_values=True))
    unknown = sorted(set(options) - {"synchronous"})
    if unknown:
        raise DatabaseError(f"unknown SQLite URL option(s) {', '.join(unknown)} in "
                            f"{redact_url(url)!r}; the one option is synchronous=normal|full")
    value = options.get("synchronous", "normal").lower()
    if value not in ("normal", "full"):
        raise DatabaseError(f"synchronous={options['synchronous']!r} in {redact_url(url)!r}: use "
                            "normal (survives a crash of the program) or full (also a power cut)")
    return {"synchronous": value}


def connect(url: str) -> Database:
    """Open the database a URL names; raise `DatabaseError` naming the URL (no password) if not."""
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    engine = SCHEMES.get(scheme)
    if engine is None:
        raise DatabaseError(
            f"unknown database URL scheme {scheme!r} in {redact_url(url)!r}; use sqlite:///path, "
            "postgresql://user@host/db or mysql://user@host/db")
    if engine == "sqlite":
        from .sqlite import SqliteDatabase
        path = url.split(":", 1)[1]
        if not path.startswith("///"):
            raise DatabaseError(f"SQLite URLs look like sqlite:///relative.db or "
                                f"sqlite:////absolute/path.db, not {url!r}")
        path, _, query = path[3:].partition("?")
        path = unquote(path)
        options = sqlite_options(query, url)
        if path != ":memory:":
            path = os.path.abspath(path)
            folder = os.path.dirname(path)
            if not os.path.isdir(folder):
                raise DatabaseError(f"cannot open {redact_url(url)!r}: folder {folder!r} does not exist")
        db: Database = SqliteDatabase(url, path, **options)
    else:
        parts = urlsplit(url)
        params = {
            "host": parts.hostname or "127.0.0.1",
            "user": unquote(parts.username) if parts.username else None,
            "password": unquote(parts.password) if parts.password else None,
            "database": parts.path.lstrip("/") or "test",
        }
        if parts.port:
            params["port"] = parts.port
        if engine == "postgresql":
            from .postgresql import PostgresqlDatabase as cls
        else:
            from .mariadb import MariaDatabase as cls
        db = cls(url, **{k: v for k, v in params.items() if v is not None})
    db.check_connection()
    return db
