"""`python run.py worker [--processes N]`: a pool of step processes that keeps polling for work.

Each of the N processes claims a ready task, runs one step (time-boxed by `--step-time`, the
`cron_timeout` setting by default), and claims again; with nothing ready it waits `--poll`
seconds. A process recycles itself (a fresh one takes its place) after `--max-steps` steps or
once its memory passes `--max-memory`, so a leak in module code cannot grow for ever; steps
are told the same memory limit, so `allowed_to_execute` turns False before it is reached.

SIGTERM (or Ctrl-C, or SIGHUP: the terminal closed) finishes each running step at its next save
and leaves the task active for another runner; a second SIGTERM stops at once (the tasks go
back to active, their work since the last save rolled back). `python run.py worker` stopped so
exits 0: a signal is its one way to end. With `--until-idle` it ends by itself once no task is
ready, and a signal before then makes it exit 128 + the signal's number (143, 130, 129), as
cron does. A supervisor process watches the pool: see supervisor.py.

`WorkerProcess` starts a worker in the background and stops it (what `python run.py` uses to
serve the demo with one worker).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Callable

from ...notices import say_line
from .executor import RunnerConfig
from .supervisor import DEFAULT_GRACE, Outcome, Supervisor, summary

DEFAULT_MAX_STEPS = 10000
DEFAULT_MAX_MEMORY_MB = 512
DEFAULT_POLL = 1.0
PROCESSES_PER_CORE = 4      # steps mostly wait on the database or I/O: a few per core pay off
MB_PER_PROCESS = 100        # a step process holds ~50 MB before its task's own data


def max_processes() -> int:
    """The most step processes `worker --processes` accepts on this machine: 4 per core and
    one per 100 MB of available memory (a pool of 99999 forked until the machine stalled)."""
    by_cores = PROCESSES_PER_CORE * (os.cpu_count() or 1)
    available = 0
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    by_memory = available // (MB_PER_PROCESS * 2**20) if available else by_cores
    return max(1, min(by_cores, by_memory))


def check_memory_limit(max_memory: int) -> None:
    """Refuse a `max_memory` (bytes) that this process, booted as each step process boots,
    already nearly fills: each step would stop at once (at 90% of it), its process recycle,
    and the next do the same, for ever. CmsError: the CLI's one line and exit 1."""
    from ...errors import CmsError
    from ..progress import MEMORY_SHARE
    from ..step import current_rss
    held = current_rss()
    if max_memory and held >= MEMORY_SHARE * max_memory:
        raise CmsError(f"--max-memory {max_memory / 2**20:g} MB is less than a step process needs: "
                       f"it holds {held / 2**20:.0f} MB once booted and its steps stop at "
                       f"{MEMORY_SHARE:.0%} of the limit, so no step could do its work; give "
                       f"more than {held / MEMORY_SHARE / 2**20:.0f} MB, or 0 for no limit")


def run_worker(url: str, site_dir: str, *, processes: int = 1, max_steps: int = DEFAULT_MAX_STEPS,
               max_memory: int = DEFAULT_MAX_MEMORY_MB * 2**20, poll: float = DEFAULT_POLL,
               step_seconds: float | None = None, grace: float = DEFAULT_GRACE,
               until_idle: bool = False, quiet: bool = False,
               out: Callable[[str], None] | None = None) -> Outcome:
    """Run the pool until stopped by a signal (or, `until_idle`, until no task is ready)."""
    from ...db.url import redact_url
    from ...site import boot
    out = out or say_line
    site = boot(url, site_dir=site_dir)
    try:
        settings = site.modules.get("Tasker").settings()   # type: ignore[attr-defined]
        url = site.db.url
        check_memory_limit(max_memory)
    finally:
        site.close()
    step = float(settings["cron_timeout"] if step_seconds is None else step_seconds)
    config = RunnerConfig(url=url, site_dir=site_dir, invoker="worker", until_idle=until_idle,
                          step_seconds=step, max_steps=max_steps, max_memory=max_memory,
                          poll=poll, quiet=quiet, name="worker")
    if not quiet:
        out(f"worker: {processes} process(es) on {site_dir} ({redact_url(url)}); steps of up "
            f"to {step:g} s; SIGTERM finishes the running steps, a second one stops at once")
    outcome = Supervisor(config, processes=processes, grace=grace, out=out).run()
    out(summary("worker", outcome, outcome.stopped() or ("no task is ready" if until_idle else
                                                          "stopped")))
    return outcome


class WorkerProcess:
    """A `worker` running in the background, as its own process group.

        worker = WorkerProcess(site_dir, url, processes=1).start()
        ...
        worker.stop()          # SIGTERM: the running step ends at its next save

    Its output goes to `log_path` (default: `<site_dir>/worker.log`).
    """

    def __init__(self, site_dir: str | os.PathLike, url: str | None = None, *, processes: int = 1,
                 log_path: str | os.PathLike | None = None, extra_args: tuple[str, ...] = ()):
        self.site_dir = str(site_dir)
        self.url = url
        self.processes = processes
        self.log_path = str(log_path or Path(self.site_dir) / "worker.log")
        self.extra_args = extra_args
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        args = [sys.executable, "-c", "import sys; from cms.cli import main; sys.exit(main())",
                "--site", self.site_dir]
        if self.url:
            args += ["--db", self.url]
        return args + ["worker", "--processes", str(self.processes), *self.extra_args]

    def start(self) -> WorkerProcess:
        env = dict(os.environ)
        package_root = str(Path(__file__).resolve().parents[3])   # the folder holding `cms/`
        env["PYTHONPATH"] = package_root + (os.pathsep + env["PYTHONPATH"]
                                            if env.get("PYTHONPATH") else "")
        log = open(self.log_path, "ab")
        try:
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, env=env,
                                            start_new_session=True)
        finally:
            log.close()
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM and wait; after `timeout` a second SIGTERM (stop at once), then SIGKILL."""
        process = self.process
        if process is None:
            return None
        for signum, wait in ((signal.SIGTERM, timeout), (signal.SIGTERM, 10.0),
                             (signal.SIGKILL, 10.0)):
            if process.poll() is not None:
                break
            try:
                process.send_signal(signum)
            except ProcessLookupError:
                break
            try:
                process.wait(wait)
            except subprocess.TimeoutExpired:
                continue
        return process.poll()
