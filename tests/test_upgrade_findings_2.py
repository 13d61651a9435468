"""A site an older release made and used, upgraded by today's commands (`migrate`, `check`).

Each test takes today's schema apart to the shape an older release left (as
test_upgrade_findings.py does), then runs the command a site owner runs after installing the
new release, in its own process.
"""
from __future__ import annotations

import subprocess

import pytest
from conftest import PYTHON, ROOT

from cms.db import connect
from cms.site import Site
from cms.tasker.install import ADDED_COLUMNS
from cms.tasker.tasker import Tasker


def run(env, *args):
    return subprocess.run([PYTHON, str(ROOT / "run.py"), *args], env=env, capture_output=True,
                          text=True, timeout=120)


def as_tasker_1_4(site) -> None:
    """Tasker 1.4's tables and stored version: without the columns 1.5 added."""
    site.modules.get("Tasker")
    for table, column, _ in ADDED_COLUMNS:
        site.db.ddl(f"ALTER TABLE {table} DROP COLUMN {column}")
    site.db.execute("UPDATE modules SET version = '1.4.0' WHERE class = 'Tasker'")


def tasker_as_stored(db_url, site_dir) -> tuple[str, set[tuple[str, str]]]:
    """Tasker's stored version and which of its added columns exist, read without a boot
    (a boot would upgrade the module)."""
    site = Site(connect(db_url), site_dir)
    try:
        version = site.db.scalar("SELECT version FROM modules WHERE class = 'Tasker'")
        present = {(table, column) for table, column, _ in ADDED_COLUMNS
                   if column in site.db.column_names(table)}
        return version, present
    finally:
        site.close()


@pytest.mark.slow
def test_migrate_runs_the_installed_modules_upgrades_too(site, db_url, tmp_path, run_env):
    """A site of the release before this one (schema 12, Tasker 1.4.0): `migrate` said
    "schema is up to date (version 12)" and left Tasker's tables in 1.4's shape, at 1.4.0;
    the upgrade then ran in whichever process booted next, `check` (which changes nothing
    without --repair) or the first server or worker. `migrate` runs it and says so."""
    as_tasker_1_4(site)
    site.close()
    version = Tasker.info["version"]

    result = run(run_env, "migrate")

    assert result.returncode == 0, result.stderr
    assert f"module Tasker upgraded from 1.4.0 to {version}" in result.stdout
    assert tasker_as_stored(db_url, tmp_path) == (version, {(t, c) for t, c, _ in ADDED_COLUMNS})
    again = run(run_env, "migrate")
    assert again.returncode == 0 and "up to date" in again.stdout
    assert "module" not in again.stdout


@pytest.mark.slow
def test_check_leaves_a_module_upgrade_to_migrate(site, db_url, tmp_path, run_env):
    """`check` without --repair changes nothing: on a schema that is behind it says to run
    `migrate`. On a site whose schema was current and whose Tasker was 1.4.0 it ran Tasker's
    upgrade (ALTER TABLE on its tables) and said "no problems". It now says to run `migrate`,
    as for the schema, and after `migrate` it checks the site."""
    as_tasker_1_4(site)
    site.close()

    refused = run(run_env, "check")

    assert refused.returncode == 1, refused.stdout
    line = refused.stderr.strip()
    assert len(line.splitlines()) == 1 and "Tasker" in line and "1.4.0" in line, line
    assert "run `python run.py migrate`" in line, line
    assert tasker_as_stored(db_url, tmp_path) == ("1.4.0", set())
    assert run(run_env, "migrate").returncode == 0
    checked = run(run_env, "check")
    assert checked.returncode == 0 and "no problems" in checked.stdout, checked.stderr


@pytest.mark.slow
def test_a_module_a_later_release_upgraded_is_not_downgraded(site, db_url, tmp_path, run_env):
    """A process of an older release booting a site a newer release had upgraded (a worker
    not yet redeployed) ran Tasker's "upgrade from 1.5.0 to 1.4.0": its install() on tables of
    a newer shape, and the stored version set back, so the next process of the newer release
    upgraded it again (seen with this release and 7bb0b5c on one site). As for a newer
    schema, the module is refused, naming both versions, and nothing is changed."""
    site.modules.get("Tasker")
    site.db.execute("UPDATE modules SET version = '9.0.0' WHERE class = 'Tasker'")
    site.close()

    for command in (["tasks", "list"], ["check"], ["migrate"]):
        result = run(run_env, *command)

        assert result.returncode == 1, (command, result.stdout)
        line = result.stderr.strip().splitlines()[-1]
        assert "9.0.0" in line and Tasker.info["version"] in line and "newer" in line, line
    assert tasker_as_stored(db_url, tmp_path)[0] == "9.0.0"
