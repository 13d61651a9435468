"""Runner commands: `cron` (steps until none is ready or time is up) and `worker` (a polling pool).

    python run.py cron [--time-limit S]
    python run.py worker [--processes N] [--max-steps N] [--max-memory MB] [--poll S]

Exit codes: 0 when the run did its work (tasks that failed are the tasks' business: see their
logs), 1 on an error (one line on stderr), 2 on bad usage. A run with an end of its own (cron,
`worker --until-idle`) stopped by a signal first finishes its running steps at their next save
(the tasks stay active), then exits 128 + the signal's number, as `tasks run` and the shell do:
143 for SIGTERM, 130 for Ctrl-C, 129 for SIGHUP (the terminal that started it closed), so `cron
&& publish` does not go on after a run cut short. A plain worker has no other end: SIGTERM is
how it is stopped, and it exits 0 then (systemd, supervisord and Docker count any other code a
failure), as it does after SIGHUP.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any, Callable

from . import UsageError, check_step_time, existing_site, finite

MAX_POLL = 86400        # seconds: a worker that looks for work less than daily is not polling
MIN_POLL = 0.1          # seconds: as often as the supervisor looks at its step processes
MIN_TIME_LIMIT = 1.0    # seconds: the least cron_timeout (no claim is taken in a run's last 0.5 s)
MAX_MEMORY_MB = 2**44    # a 64-bit address space: past it the limit in bytes overflowed


def register(sub: argparse._SubParsersAction) -> None:
    from ..tasker.runners.supervisor import DEFAULT_GRACE
    from ..tasker.runners.worker import (
        DEFAULT_MAX_MEMORY_MB,
        DEFAULT_MAX_STEPS,
        DEFAULT_POLL,
        MB_PER_PROCESS,
        PROCESSES_PER_CORE,
        max_processes,
    )
    from ..tasker.step import MIN_STEP_SECONDS

    cron = sub.add_parser(
        "cron", help="run steps of ready tasks until none is left or the time limit is up",
        description="Run steps of ready tasks, each in a supervised child process, until none "
                    "is ready or the time limit is up; one line per step. Crontab: "
                    "`* * * * * cd SITE && python run.py cron`. SIGTERM, Ctrl-C or SIGHUP (the "
                    "terminal closed) finishes the running step at its next save (the task stays "
                    "active), then exits 143, 130 or 129.")
    cron.add_argument("--time-limit", type=finite, metavar="S",
                      help="seconds to run (default: the Tasker setting cron_timeout, 55; at "
                           f"least {MIN_TIME_LIMIT:g}, as that setting)")
    cron.add_argument("--grace", type=finite, default=DEFAULT_GRACE, metavar="S",
                      help=f"seconds a step may overrun its timeout before its process is "
                           f"killed and the task fails (default {DEFAULT_GRACE:g})")
    cron.add_argument("-q", "--quiet", action="store_true", help="no line per step")
    cron.set_defaults(func=cmd_cron)

    worker = sub.add_parser(
        "worker", help="run a pool of processes that poll for tasks and run their steps",
        description="Run N step processes that claim ready tasks and run their steps until "
                    "stopped. SIGTERM (or SIGHUP: the terminal closed) finishes the running steps "
                    "at their next save (the tasks stay active) and exits 0 (with --until-idle: "
                    "143, 130 for Ctrl-C, 129 for SIGHUP); a second SIGTERM stops at once.")
    worker.add_argument("--processes", type=int, default=1, metavar="N",
                        help=f"step processes (default 1; at most {PROCESSES_PER_CORE} per core "
                             f"and one per {MB_PER_PROCESS} MB of available memory: here "
                             f"{max_processes()})")
    worker.add_argument("--max-steps", type=int, default=DEFAULT_MAX_STEPS, metavar="N",
                        help=f"a process is replaced after N steps (default {DEFAULT_MAX_STEPS}; "
                             "0 = never)")
    worker.add_argument("--max-memory", type=finite, default=DEFAULT_MAX_MEMORY_MB, metavar="MB",
                        help=f"a process is replaced once its memory passes MB; steps stop near "
                             "it, and a step that grows its process past it is killed and its "
                             f"task fails (default {DEFAULT_MAX_MEMORY_MB}; 0 = no limit). A "
                             "limit that a step process nearly fills once booted (about 50 MB) "
                             "is an error: no step could do its work")
    worker.add_argument("--poll", type=finite, default=DEFAULT_POLL, metavar="S",
                        help=f"seconds between looks for work while none is ready "
                             f"(default {DEFAULT_POLL:g}; {MIN_POLL:g} to {MAX_POLL})")
    worker.add_argument("--step-time", type=finite, metavar="S",
                        help="the time box of one step (default: the setting cron_timeout, 55; "
                             f"at least {MIN_STEP_SECONDS:g})")
    worker.add_argument("--grace", type=finite, default=DEFAULT_GRACE, metavar="S",
                        help=f"seconds a step may overrun its time box before its process is "
                             f"killed and the task fails (default {DEFAULT_GRACE:g})")
    worker.add_argument("--until-idle", action="store_true",
                        help="stop once no task is ready (for scripts and benchmarks); stopped "
                             "earlier by a signal, it exits 128 + its number, as cron does")
    worker.add_argument("-q", "--quiet", action="store_true", help="no line per step")
    worker.set_defaults(func=cmd_worker)


def _error(exc: BaseException) -> int:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    print(f"cms: error: {text}", file=sys.stderr)
    return 1


def _run(start: Callable[[], Any], *, has_an_end: bool) -> int:
    """Run cron or the worker: 0 when it did its work (even if tasks failed), else 1 and a line;
    128 + N when signal N stopped a run that `has_an_end` (cron, `worker --until-idle`); 141
    when the reader of its lines went away, and the run stopped."""
    from ..errors import CmsError
    from . import READER_GONE
    try:
        outcome = start()
    except (CmsError, BrokenPipeError):
        raise                         # main() prints the one, ends quietly on the other
    except Exception as exc:          # a database that cannot be reached, and the like
        return _error(exc)
    if outcome is not None and outcome.errors:
        print(f"cms: error: {outcome.errors[0]}", file=sys.stderr)
        return 1
    if outcome is not None and outcome.reader_gone:
        return READER_GONE
    if outcome is not None and outcome.stopped_by and has_an_end:
        return 128 + outcome.stopped_by
    return 0


def cmd_cron(args: argparse.Namespace) -> int:
    from ..tasker.runners.cron import run_cron
    if args.time_limit is not None and args.time_limit < MIN_TIME_LIMIT:
        raise UsageError(f"--time-limit must be at least {MIN_TIME_LIMIT:g} second (a run "
                         "claims nothing in its last half second)")
    if args.grace < 0:
        raise UsageError("--grace must be 0 seconds or more")
    url, folder = existing_site(args)
    return _run(lambda: run_cron(url, folder, time_limit=args.time_limit, grace=args.grace,
                                 quiet=args.quiet), has_an_end=True)


def cmd_worker(args: argparse.Namespace) -> int:
    from ..tasker.runners.worker import MB_PER_PROCESS, PROCESSES_PER_CORE, max_processes, run_worker
    if args.processes < 1:
        raise UsageError("--processes must be 1 or more")
    bound = max_processes()
    if args.processes > bound:
        raise UsageError(f"--processes {args.processes} is more than this machine can run: at "
                         f"most {bound} ({PROCESSES_PER_CORE} per core, one per "
                         f"{MB_PER_PROCESS} MB of available memory)")
    if args.max_steps < 0 or args.max_memory < 0:
        raise UsageError("--max-steps and --max-memory must be 0 (no limit) or more")
    if args.max_memory > MAX_MEMORY_MB:
        raise UsageError(f"--max-memory must be at most {MAX_MEMORY_MB} MB (all a 64-bit machine "
                         "can address); 0 means no limit")
    if not MIN_POLL <= args.poll <= MAX_POLL:     # past ~292 years a thread's wait overflows
        raise UsageError(f"--poll must be at least {MIN_POLL:g} seconds and at most {MAX_POLL} "
                         "(a day)")
    check_step_time(args.step_time)
    if args.grace < 0:
        raise UsageError("--grace must be 0 seconds or more")
    url, folder = existing_site(args)
    return _run(lambda: run_worker(url, folder, processes=args.processes,
                                   max_steps=args.max_steps,
                                   max_memory=int(args.max_memory * 2**20), poll=args.poll,
                                   step_seconds=args.step_time, grace=args.grace,
                                   until_idle=args.until_idle, quiet=args.quiet),
                has_an_end=args.until_idle)
