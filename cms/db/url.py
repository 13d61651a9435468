"""Turn a database URL into a connected `Database` of the right engine."""
from __future__ import annotations

import os
import re
import ssl
from typing import Any
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
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:           # not a URL urllib can read: hide whatever follows a colon
        return re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", url)
    if password is None:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def sqlite_options(query: str, url: str) -> dict[str, str]:
    """A SQLite URL's options: only `synchronous` (normal, the default, or full)."""
    options = url_options(query, url, "SQLite", ("synchronous",))
    return {"synchronous": chosen(options, "synchronous", ("normal", "full"), "normal", url)}


# Hosts where TLS protects nothing: the connection never leaves the machine.
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
PG_SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
MARIADB_SSL_MODES = ("disabled", "preferred", "required", "verify_ca", "verify_identity")


def url_options(query: str, url: str, engine: str, known: tuple[str, ...]) -> dict[str, str]:
    """A URL's query as options, refusing any the engine does not take: a misspelt
    `sslmode` must not silently connect without TLS."""
    options = dict(parse_qsl(query, keep_blank_values=True))
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise DatabaseError(f"unknown {engine} URL option(s) {', '.join(unknown)} in "
                            f"{redact_url(url)!r}; the options are {', '.join(known)}")
    return options


def chosen(options: dict[str, str], name: str, allowed: tuple[str, ...], default: str,
           url: str) -> str:
    value = options.get(name, default).lower()
    if value not in allowed:
        raise DatabaseError(f"{name}={options[name]!r} in {redact_url(url)!r}: use "
                            f"{', '.join(allowed[:-1])} or {allowed[-1]}")
    return value


def timeout_option(options: dict[str, str], url: str) -> dict[str, int]:
    if "connect_timeout" not in options:
        return {}
    value = options["connect_timeout"]
    if not value.isdecimal() or int(value) < 1:
        raise DatabaseError(f"connect_timeout={value!r} in {redact_url(url)!r}: a whole "
                            "number of seconds, 1 or more")
    return {"connect_timeout": int(value)}


def postgresql_options(query: str, url: str) -> dict[str, Any]:
    """libpq's own names, passed on: `sslmode` (libpq's default `prefer`), `sslrootcert`,
    `connect_timeout`, `application_name`."""
    options = url_options(query, url, "PostgreSQL",
                          ("sslmode", "sslrootcert", "connect_timeout", "application_name"))
    params: dict[str, Any] = {k: v for k, v in options.items()
                              if k in ("sslrootcert", "application_name")}
    if "sslmode" in options:
        params["sslmode"] = chosen(options, "sslmode", PG_SSLMODES, "prefer", url)
    return params | timeout_option(options, url)


def mariadb_options(query: str, url: str, host: str) -> dict[str, Any]:
    """MySQL's `ssl-mode` values as `ssl_mode`, `ssl_ca` (a CA file for the verify modes) and
    `connect_timeout`. The default is `preferred` (TLS when the server offers it, unverified,
    as the mysql client does), but `disabled` on a loopback host: there TLS protects nothing,
    and PyMySQL's preferred mode loads the system's CA store for every connection (20 ms),
    which a worker, a step process and a test pay at each connect."""
    options = url_options(query, url, "MariaDB", ("ssl_mode", "ssl_ca", "connect_timeout"))
    mode = chosen(options, "ssl_mode", MARIADB_SSL_MODES,
                  "disabled" if host in LOOPBACK else "preferred", url)
    params: dict[str, Any] = timeout_option(options, url)
    if mode == "disabled":
        return params | {"ssl_disabled": True}
    if mode == "preferred":
        return params
    if mode == "required":                  # encrypted, the server's certificate unchecked
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        context = ssl.create_default_context(cafile=options.get("ssl_ca"))
        context.check_hostname = mode == "verify_identity"
    return params | {"ssl": context}


def sqlite_parts(url: str) -> tuple[str, str]:
    """The file an sqlite:/// URL names (absolute, or ":memory:") and its query string."""
    path = url.split(":", 1)[1]
    if not path.startswith("///"):
        raise DatabaseError(f"SQLite URLs look like sqlite:///relative.db or "
                            f"sqlite:////absolute/path.db, not {url!r}")
    path, _, query = path[3:].partition("?")
    path = unquote(path)
    return (path if path == ":memory:" else os.path.abspath(path)), query


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
        path, query = sqlite_parts(url)
        options = sqlite_options(query, url)
        if path != ":memory:":
            folder = os.path.dirname(path)
            if not os.path.isdir(folder):
                raise DatabaseError(f"cannot open {redact_url(url)!r}: folder {folder!r} does not exist")
        db: Database = SqliteDatabase(url, path, **options)
    else:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:        # "Port out of range 0-65535", "Invalid IPv6 URL"
            raise DatabaseError(f"cannot read the database URL {redact_url(url)!r}: "
                                f"{str(exc)[:1].lower() + str(exc)[1:]}") from None
        params = {
            "host": parts.hostname or "127.0.0.1",
            "user": unquote(parts.username) if parts.username else None,
            "password": unquote(parts.password) if parts.password else None,
            "database": parts.path.lstrip("/") or "test",
        }
        if port:
            params["port"] = port
        params = {k: v for k, v in params.items() if v is not None}
        if engine == "postgresql":
            from .postgresql import PostgresqlDatabase as cls
            params |= postgresql_options(parts.query, url)
        else:
            from .mariadb import MariaDatabase as cls
            params |= mariadb_options(parts.query, url, params["host"])
        db = cls(url, **params)
    db.check_connection()
    return db
