"""`python run.py cron [--time-limit S]`: run steps of ready tasks until none is left or time is up.

Meant for a crontab line such as

    * * * * *  cd /srv/site && /srv/venv/bin/python run.py cron >> cron.log 2>&1

Each step runs in a supervised child process (see supervisor.py) with a timeout of what is left
of the time limit (the `cron_timeout` setting, 55 s, by default), prints one summary line, and
the run ends with one closing line. A task that falls due before the time is up (its
`not_before`: a retry, a recurring run) is waited for (executor.py). Several cron runs at once
are safe: claims are atomic, so each step goes to exactly one of them. With `enable_cron` set to
0 the run does nothing. SIGTERM, Ctrl-C or SIGHUP (the terminal closed) finishes the running step
at its next save (the task stays active) and ends the run; `python run.py cron` then exits 143,
130 or 129 (128 + the signal).
"""
from __future__ import annotations

import time
from typing import Callable

from ...notices import say_line
from ..claim import reap_expired
from .executor import RunnerConfig
from .supervisor import DEFAULT_GRACE, Outcome, Supervisor, summary


def run_cron(url: str, site_dir: str, *, time_limit: float | None = None,
             grace: float = DEFAULT_GRACE, quiet: bool = False,
             out: Callable[[str], None] | None = None) -> Outcome | None:
    """Run steps until no task is ready or `time_limit` seconds have passed.

    Returns what was done, or None when cron is disabled (`enable_cron` = 0).
    """
    from ...site import boot
    out = out or say_line
    start = time.time()
    site = boot(url, site_dir=site_dir)
    try:
        tasker = site.modules.get("Tasker")
        settings = tasker.settings()       # type: ignore[attr-defined]
        if not int(settings.get("enable_cron", 1)):
            out("cron: disabled (the Tasker setting enable_cron is 0)")
            return None
        limit = float(settings["cron_timeout"] if time_limit is None else time_limit)
        reap_expired(tasker)               # type: ignore[arg-type]
        url = site.db.url
    finally:
        site.close()
    config = RunnerConfig(url=url, site_dir=site_dir, invoker="cron", until_idle=True,
                          end=start + limit, step_seconds=limit, quiet=quiet, name="cron")
    supervisor = Supervisor(config, processes=1, grace=grace, out=out)
    outcome = supervisor.run()
    ended = outcome.stopped() or ("time is up" if time.time() >= config.end - 0.5 else
                                  "no task is ready")
    out(summary("cron", outcome, ended))
    return outcome
