"""Fixtures of the Tasker tests, loaded by `pytest_plugins = ("tasker_fixtures",)`."""
from __future__ import annotations

import os

import pytest
from conftest import engine_url
from tasker_support import ROOT, install_jobs

import cms


@pytest.fixture(scope="module")
def shared_site(tmp_path_factory):
    """One booted site per test module (booting one costs seconds on the server engines).

    Each test gets it back clean (see `tasker`). A test that needs a brand-new site takes
    conftest's `site` fixture instead and must run before the first test that uses this one:
    on the server engines a new site empties the shared database.
    """
    folder = tmp_path_factory.mktemp("tasker-site")
    url = engine_url(folder)
    site = cms.boot(url, site_dir=folder)
    install_jobs(site)
    site.modules.get("Jobs")
    baseline = site.db.scalar("SELECT MAX(id) FROM pages")
    yield site, url, baseline
    site.close()


@pytest.fixture
def tasker(shared_site):
    """Tasker on the shared site; afterwards the pages, settings and hooks the test made go."""
    site, _, baseline = shared_site
    hooks = set(site.hooks._by_id)
    site.notices.clear()
    yield site.modules.get("Tasker")
    for hook_id in set(site.hooks._by_id) - hooks:
        site.hooks.remove(hook_id)
    site.act_as(None, 0)          # back to acting as code outside a request
    if site.db.in_transaction():
        site.db.pw.rollback()
    site.db.execute("DELETE FROM pages WHERE id > ?", (baseline,))
    site.db.execute("UPDATE modules SET data = '{}' WHERE class IN ('Tasker', 'Jobs')")


@pytest.fixture
def worker_env(shared_site):
    """Environment for a worker subprocess that boots the shared site."""
    site, url, _ = shared_site
    env = dict(os.environ)
    env["CMS_SITE_DIR"] = site.site_dir
    env["CMS_DATABASE_URL"] = url
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env
