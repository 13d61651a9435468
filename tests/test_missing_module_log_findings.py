"""A site whose installed module's file is gone: cron said so three times in its log, once for
each boot of the site (cron's own, its supervisor's database thread's and its step process's),
each a full paragraph of where it looked. A process says it once; a step still fails on it, and the
admin's Modules screen still lists it (`load_errors`)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import PYTHON, ROOT

import cms


@pytest.mark.slow
def test_cron_logs_a_missing_module_once(counter_site, run_env):
    tasker = counter_site.modules.get("Tasker")
    counter_site.modules.get("Counter")
    task = tasker.create_task("Counter", "bump", counter_site.pages.get(1), "Bump")
    tasker.activate_task(task)
    (Path(counter_site.site_dir) / "modules" / "counter.py").unlink()

    cron = subprocess.run([PYTHON, str(ROOT / "run.py"), "cron"], env=run_env, capture_output=True,
                          text=True, timeout=120)

    assert cron.returncode == 0, cron.stderr
    assert cron.stderr.count("installed module 'Counter' could not be loaded") == 1, cron.stderr
    assert "1 failed" in cron.stdout, cron.stdout
    assert any("module 'Counter' is missing" in line for line in tasker.get_log(task))


def test_each_boot_still_knows_the_module_it_could_not_load(counter_site):
    """Said once in the log, but every boot's `load_errors` (the Modules screen) has it."""
    counter_site.modules.get("Counter")
    (Path(counter_site.site_dir) / "modules" / "counter.py").unlink()
    for _ in range(2):
        again = cms.boot(counter_site.db.url, site_dir=counter_site.site_dir)
        try:
            assert any("'Counter' could not be loaded" in text for text in again.modules.load_errors)
        finally:
            again.close()
