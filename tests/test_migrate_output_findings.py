"""What `migrate` says about a module it upgraded: once, on stdout, where a script reading the
command's result looks (it printed the line there and logged it again on stderr)."""
from __future__ import annotations

import pytest
from test_upgrade_findings_2 import as_tasker_1_4, run

from cms.tasker.tasker import Tasker


@pytest.mark.slow
def test_migrate_says_a_module_upgrade_once_on_stdout(site, run_env):
    as_tasker_1_4(site)
    site.close()
    said = f"module Tasker upgraded from 1.4.0 to {Tasker.info['version']}"

    result = run(run_env, "migrate")

    assert result.returncode == 0, result.stderr
    assert result.stdout.count(said) == 1, result.stdout
    assert said not in result.stderr, result.stderr
