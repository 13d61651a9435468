"""The `cms` command (also `python run.py`): one sub-module per area registers its commands.

Exit codes: 0 when the command did its work, 1 on an error (one line on stderr, never a
traceback), 2 on bad usage; 128 + N when signal N stopped it before it did its work (130 Ctrl-C,
143 SIGTERM, 129 SIGHUP: the terminal closed); 141 (128 + SIGPIPE) when the reader of its output
went away (`tasks list | head -1`), quietly, as the shell reports `cat` or `grep` cut off the
same way. Not Python's advice of 1: here 1 means an error with a line on stderr, and the reader
leaving is no error of the command's; 141 is what `set -o pipefail` scripts already allow for.
Python dies by SIGPIPE only if asked to, and then mid-write, perhaps mid-step: the handler lets
a step end at its save.
"""
from __future__ import annotations

import argparse
import importlib
import math
import os
import signal
import sys
from typing import Callable, Sequence

from ..errors import CmsError
from ..notices import drop_stdout, log_to_stderr

# Each names a module with `register(subparsers)`; its parsers set `func(args) -> int`.
COMMAND_MODULES = ("cms.cli.site", "cms.cli.users", "cms.cli.tasks", "cms.cli.runners", "cms.cli.web")
READER_GONE = 128 + signal.SIGPIPE      # 141: the reader of stdout went away


class UsageError(Exception):
    """Bad arguments found after parsing (exit code 2)."""


class Stopped(KeyboardInterrupt):
    """Stop now: a second SIGTERM, SIGHUP or Ctrl-C while a command winds down (`tasks run`'s step).
    A KeyboardInterrupt, so a step gives its task back as at Ctrl-C; main() exits 128 +
    `signum`, 143 for SIGTERM (129 for SIGHUP), where every KeyboardInterrupt exited 130."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:   # argparse prints usage and exits 2: keep that
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def finite(text: str) -> float:
    """A number of seconds or megabytes: `nan` and `inf` are bad usage (exit 2), as argparse
    reports text that is no number (float() reads both, and `nan <= 0` is False)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"a finite number is needed, not {text!r}")
    return value


def check_step_time(seconds: float | None) -> None:
    """`--step-time` (worker, `tasks run`): a step stops at least MIN_MARGIN before its time is
    up, so a time box shorter than MIN_STEP_SECONDS runs steps that do next to nothing."""
    from ..tasker.step import MIN_MARGIN, MIN_STEP_SECONDS
    if seconds is not None and seconds < MIN_STEP_SECONDS:
        raise UsageError(f"--step-time must be at least {MIN_STEP_SECONDS:g} seconds (a step "
                         f"stops {MIN_MARGIN:g} s or more before its time is up)")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="cms", description="A page-tree CMS with Tasker. With no command: "
                    "the demo site, served with a worker, at http://127.0.0.1:8080/.")
    parser.add_argument("--site", metavar="DIR", help="site directory (default: $CMS_SITE_DIR or .)")
    parser.add_argument("--db", metavar="URL", help="database URL (default: $CMS_DATABASE_URL or "
                        "sqlite:///<site>/site.db)")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log debug messages, what tasks say in their steps included; -vv "
                             "also the libraries' (every SQL statement)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


def boot_from(args: argparse.Namespace, **kwargs):
    """Boot the site the global options name."""
    from ..site import boot
    return boot(args.db, site_dir=args.site, **kwargs)


def boot_existing(args: argparse.Namespace, **kwargs):
    """Boot the site the global options name, which must exist (existing_site)."""
    from ..site import boot
    url, folder = existing_site(args)
    return boot(url, site_dir=folder, **kwargs)


def existing_site(args: argparse.Namespace) -> tuple[str, str]:
    """The database URL and folder of the site the global options name, which must exist, for
    the commands that look at or run an existing site (cron, worker, check, tasks, user passwd,
    user list, role list): a crontab line without `cd SITE` made an empty database in the home
    folder and said "no task is ready" every minute, for ever; `check` there made one and
    advised `migrate`; `tasks list` in the wrong folder made one and said "no tasks", as if the
    site's tasks were gone; `user list` there said the site had only a guest. The commands
    that add (`user add`, `role add`, `migrate`) still make a new site's database."""
    from ..db.url import sqlite_parts
    from ..site import existing_site_dir, resolve_url
    folder = existing_site_dir(args.site)
    url = resolve_url(args.db, folder)
    if url.lower().startswith("sqlite:"):
        path, _ = sqlite_parts(url)
        if path != ":memory:" and not os.path.exists(path):
            crontab = (" (crontab: `cd SITE && python run.py cron`)"
                       if args.command in ("cron", "worker") else "")
            command = " ".join(filter(None, (args.command, getattr(args, "user_command", None),
                                             getattr(args, "role_command", None))))
            raise CmsError(f"there is no site database at {path}: {command} works on an "
                           f"existing site; run it in the site's folder{crontab} or give --site "
                           "or --db")
    return url, str(folder)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        try:
            return dispatch(argv)
        finally:
            # The last of stdout, written now and not as Python exits: a reader gone by then
            # (`tasks show 5 | head -0`, `--help | head -0`) gave "Exception ignored ...
            # BrokenPipeError" and exit 120.
            sys.stdout.flush()
    except KeyboardInterrupt as exc:   # from the start on: building the parser imports them all
        signum = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
        print("cms: interrupted" if signum == signal.SIGINT else
              f"cms: stopped by {signal.Signals(signum).name}", file=sys.stderr)
        return 128 + signum
    except BrokenPipeError:
        # The reader went away (`tasks list | head -1`): nothing is wrong with the command.
        drop_stdout()
        return READER_GONE


def dispatch(argv: Sequence[str] | None) -> int:
    """The command `argv` names, run, as its exit status (Ctrl-C and a reader gone are main's)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    log_to_stderr(args.verbose)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        if args.command is not None:
            parser.print_help()
            return 2
        from .site import cmd_demo
        func = cmd_demo
    try:
        return int(func(args) or 0)
    except UsageError as exc:
        print(f"cms: error: {exc}", file=sys.stderr)
        return 2
    except CmsError as exc:
        print(f"cms: error: {exc}", file=sys.stderr)
        return 1
