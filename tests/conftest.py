"""Shared fixtures: a freshly booted site per test on the engine named by $CMS_TEST_DB.

CMS_TEST_DB=sqlite (default), postgresql or mariadb. The server engines use the database in
$CMS_TEST_PG_URL / $CMS_TEST_MARIADB_URL (defaults: the local test servers; under `-n`, one
database per worker beside it: worker_database); each test starts
from an empty database, or, when it takes `site`, from one holding a freshly booted site's
rows (put back in one round trip: server_snapshot.py). An engine that was asked for and
cannot connect fails the run: it is never skipped.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from hypothesis import HealthCheck, settings
from server_snapshot import ServerSites
from tasker_support import prepare_counter_site

import cms
from cms.db import connect

ROOT = Path(__file__).resolve().parent.parent
ENGINE = os.environ.get("CMS_TEST_DB", "sqlite")


def worker_database(url: str) -> str:
    """The database of this pytest-xdist worker (`-n 2`: gw0, gw1 ...) on a server engine,
    beside the one named (`test` -> `test_gw0`), made when missing: each test empties its
    database, so two workers on one would empty each other's. Without xdist, `url` itself."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker:
        return url
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/')}_{worker}"
    if parts.scheme.startswith("postgres"):
        import psycopg2
        conn = psycopg2.connect(url)
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
        conn.close()
    else:
        import pymysql
        conn = pymysql.connect(host=parts.hostname, port=parts.port or 3306, user=parts.username,
                               password=parts.password or "")
        with conn.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE IF NOT EXISTS `{name}`")
        conn.close()
    return urlunsplit(parts._replace(path="/" + name))


SERVER_URLS = {
    "postgresql": os.environ.get("CMS_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    "mariadb": os.environ.get("CMS_TEST_MARIADB_URL", "mysql://root@127.0.0.1:3306/test"),
}
if ENGINE in SERVER_URLS:
    SERVER_URLS[ENGINE] = worker_database(SERVER_URLS[ENGINE])

settings.register_profile("ci", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("thorough", max_examples=500, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Password hashing is deliberately slow; tests use the cheapest setting the code allows.
os.environ.setdefault("CMS_PASSWORD_ITERATIONS", "1000")


def statements_of(site, call):
    """The SQL statements a call runs on the site's connection (SQLite's trace)."""
    seen: list[str] = []
    conn = site.db.pw.connection()
    conn.set_trace_callback(seen.append)
    try:
        result = call()
    finally:
        conn.set_trace_callback(None)
    return result, seen


def pages_in_a_row(site, names: str):
    """/r/ (template ta) with a child per letter of `names`, in that order: (site, /r/, the
    children by name). The ProcessWire differentials' smallest tree."""
    site.templates.add("ta", fields=["title"])
    root = site.pages.add("ta", 1, "r", title="R")
    return site, root, {name: site.pages.add("ta", root, name, title=name.upper()) for name in names}


def whole_table_reads(site, sql: str, params, aliases: tuple[str, ...]) -> list:
    """The steps of the engine's plan for `sql`, its statistics brought up to date, that read
    one of the tables named by `aliases` (as the statement names them) whole: a scan, as a
    hash join reads one side. None where each of their rows is looked up by index."""
    if site.db.engine == "sqlite":
        site.db.execute("ANALYZE")
        return [row[-1] for row in site.db.all("EXPLAIN QUERY PLAN " + sql, params)
                if any(row[-1] == f"SCAN {alias}" or row[-1].startswith(f"SCAN {alias} ")
                       for alias in aliases)]
    if site.db.engine == "postgresql":
        site.db.execute("ANALYZE")
        return [row[0] for row in site.db.all("EXPLAIN " + sql, params)
                if any(re.search(rf"Seq Scan on \w+ {alias}\b", row[0]) for alias in aliases)]
    tables = [row[0] for row in site.db.all("SHOW TABLES")]
    site.db.execute(f"ANALYZE TABLE {', '.join(tables)}")
    return [row for row in site.db.all("EXPLAIN " + sql, params)
            if row[2] in aliases and row[3] == "ALL"]          # (table, type: a full scan)


def drop_all_tables(url: str) -> None:
    """Empty a server database so each test boots a brand-new site."""
    db = connect(url)
    try:
        views = [view.name for view in db.pw.get_views()]
        tables = db.pw.get_tables()
        if db.engine == "mariadb":
            for view in views:
                db.execute(f"DROP VIEW IF EXISTS `{view}`")
            db.execute("SET FOREIGN_KEY_CHECKS = 0")
            for table in tables:
                db.execute(f"DROP TABLE IF EXISTS `{table}`")
            db.execute("SET FOREIGN_KEY_CHECKS = 1")
        else:
            for view in views:
                db.execute(f'DROP VIEW IF EXISTS "{view}" CASCADE')
            if tables:
                db.execute("DROP TABLE IF EXISTS " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
    finally:
        db.close()


def engine_url(tmp_path: Path) -> str:
    if ENGINE == "sqlite":
        return f"sqlite:///{tmp_path / 'site.db'}"
    if ENGINE not in SERVER_URLS:
        raise pytest.UsageError(f"CMS_TEST_DB must be sqlite, postgresql or mariadb, not {ENGINE!r}")
    drop_all_tables(SERVER_URLS[ENGINE])
    return SERVER_URLS[ENGINE]


_server_sites: ServerSites | None = None


def fresh_site_url(tmp_path: Path) -> str:
    """A URL to a database holding a freshly booted site (see server_snapshot)."""
    global _server_sites
    if _server_sites is None:
        _server_sites = ServerSites(ENGINE, SERVER_URLS[ENGINE], drop_all_tables)
    return _server_sites.fresh_site_url(tmp_path)


@pytest.fixture
def db_url(request, tmp_path: Path) -> str:
    """A URL to an empty database on the engine under test; for a test that takes `site`, on
    a server engine, one that holds the freshly booted site already (the same, sooner)."""
    if ENGINE in SERVER_URLS and "site" in request.fixturenames:
        return fresh_site_url(tmp_path)
    return engine_url(tmp_path)


@pytest.fixture
def site(tmp_path: Path, db_url: str):
    """A freshly booted, empty site (home, admin, trash, 404 and the title field)."""
    booted = cms.boot(db_url, site_dir=tmp_path)
    yield booted
    booted.close()


def site_env(site_dir: str | Path, url: str) -> dict[str, str]:
    """Environment for a subprocess that boots the site in `site_dir` (`python run.py ...`)."""
    env = dict(os.environ)
    env["CMS_SITE_DIR"] = str(site_dir)
    env["CMS_DATABASE_URL"] = url
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.fixture
def run_env(tmp_path: Path, db_url: str) -> dict[str, str]:
    """Environment for a subprocess that boots the test's own site."""
    return site_env(tmp_path, db_url)


PYTHON = sys.executable


@pytest.fixture
def admin_server(site, db_url, tmp_path):
    """A running server for `site` with Tasker, the web test jobs and an `admin` superuser."""
    from webclient import prepare_site, running_server
    prepare_site(site, tmp_path)
    with running_server(db_url, tmp_path) as running:
        yield running


@pytest.fixture
def superuser(admin_server):
    """A client logged in as the superuser `admin`."""
    from webclient import Client
    client = Client(admin_server)
    client.login()
    yield client
    client.close()


@pytest.fixture
def counter_site(tmp_path, db_url):
    """A site with the runner tests' Counter module in its modules/ folder (prepare_counter_site),
    for tests that start real `run.py` processes on it."""
    site = prepare_counter_site(tmp_path, db_url)
    yield site
    site.close()
