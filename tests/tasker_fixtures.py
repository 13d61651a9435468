"""Fixtures of the Tasker tests, loaded by `pytest_plugins = ("tasker_fixtures",)`.

A test module may set `prepare_shared_site(folder, url) -> site` (how its shared site is built;
default: a booted site with the Jobs test module) and `TASKER_SETTINGS` (Tasker settings every
test starts with).
"""
from __future__ import annotations

import logging

import pytest
from conftest import engine_url, site_env
from tasker_support import install_jobs

import cms
from cms.cli import main


def boot_with_jobs(folder, url):
    site = cms.boot(url, site_dir=folder)
    install_jobs(site)
    site.modules.get("Jobs")
    return site


@pytest.fixture(scope="module")
def shared_site(request, tmp_path_factory):
    """One booted site per test module (booting one costs seconds on the server engines):
    (site, url, the highest page id before any test).

    Each test gets it back clean (see `tasker`). A test that needs a brand-new site takes
    conftest's `site` fixture instead and must run before the first test that uses this one:
    on the server engines a new site empties the shared database.
    """
    folder = tmp_path_factory.mktemp(request.module.__name__)
    url = engine_url(folder)
    site = getattr(request.module, "prepare_shared_site", boot_with_jobs)(folder, url)
    baseline = site.db.scalar("SELECT MAX(id) FROM pages")
    yield site, url, baseline
    site.close()


@pytest.fixture
def tasker(request, shared_site):
    """Tasker on the shared site, on a fresh connection (a test may have killed the last one's
    server), with the module's TASKER_SETTINGS; afterwards the pages, settings, hooks and
    leases the test made go."""
    site, _, baseline = shared_site
    site.db.reconnect()
    settings = getattr(request.module, "TASKER_SETTINGS", {})
    if settings:
        site.modules.save_config("Tasker", **settings)
    hooks = set(site.hooks._by_id)
    site.notices.clear()
    yield site.modules.get("Tasker")
    for hook_id in set(site.hooks._by_id) - hooks:
        site.hooks.remove(hook_id)
    site.act_as(None, 0)          # back to acting as code outside a request
    site.db.reconnect()           # rolls back whatever the test left open
    site.db.execute("DELETE FROM pages WHERE id > ?", (baseline,))
    site.db.execute("UPDATE modules SET data = '{}' WHERE class IN ('Tasker', 'Jobs')")
    site.db.execute("DELETE FROM leases")


@pytest.fixture
def cli(shared_site, capsys):
    """Run `cms ARGS` on the shared site in this process: (exit code, stdout, stderr)."""
    site, url, _ = shared_site

    def run(*args):
        logging.getLogger().handlers.clear()    # main() binds logging to this test's stderr
        try:
            code = main(["--site", site.site_dir, "--db", url, *map(str, args)])
        except SystemExit as exc:           # argparse's own usage errors
            code = exc.code
        out = capsys.readouterr()
        return code, out.out, out.err
    return run


@pytest.fixture
def worker_env(shared_site):
    """Environment for a `python run.py ...` subprocess that boots the shared site."""
    site, url, _ = shared_site
    return site_env(site.site_dir, url)
