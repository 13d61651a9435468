"""Turn a database URL into a connected `Database` of the right engine."""
from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

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
        path = unquote(path[3:])
        if path != ":memory:":
            path = os.path.abspath(path)
            folder = os.path.dirname(path)
            if not os.path.isdir(folder):
                raise DatabaseError(f"cannot open {redact_url(url)!r}: folder {folder!r} does not exist")
        db: Database = SqliteDatabase(url, path)
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
