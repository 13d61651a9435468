"""Notices: messages, warnings and errors for the person at the screen, also sent to `logging`.

A module's `self.message()` lands here and in the log, so a script's output and the admin's
notice list tell the same story. What a module says while a task's step runs is the task's
business: Tasker keeps it in the task's log (a listener that returns True), and the process
log gets it at DEBUG only, so a module that says a line per record does not flood cron.log or
a worker's journal (`-v` shows it there too). The list is bounded: a worker that runs for
weeks keeps only the latest notices in memory.
"""
from __future__ import annotations

import errno
import logging
import os
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Iterator, TextIO

LEVELS = {"message": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_CONTROLS = {c: f"\\x{c:02x}" for c in [*range(0x00, 0x20), *range(0x7f, 0xa0)]
             if chr(c) not in "\n\t"}


def printable(text: object) -> str:
    """Text for the terminal: control characters (ESC, BEL, CSI ...) as `\\x1b` escapes, so a
    title or a log line someone else wrote cannot move the cursor, clear the screen or
    retitle the window. Line breaks and tabs stay."""
    return str(text).translate(_CONTROLS)


class PrintableFormatter(logging.Formatter):
    """The command line's log lines, printable: they name task titles and carry what modules
    say, which `tasks list` escapes on the same terminal."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record))


def log_to_stderr(verbosity: int = 0) -> None:
    """The command line's logging: INFO and up; `-v` (1) adds the product's DEBUG lines (what
    tasks say in their steps), `-vv` (2) every library's too (peewee's SQL statements, which
    would bury the rest)."""
    handler = logging.StreamHandler()
    handler.setFormatter(PrintableFormatter(LOG_FORMAT))
    logging.basicConfig(level=logging.DEBUG if verbosity >= 2 else logging.INFO, handlers=[handler])
    if verbosity == 1:
        logging.getLogger("cms").setLevel(logging.DEBUG)


def drop_stdout() -> None:
    """Send the rest of this process's output nowhere: its reader went away (`tasks list |
    head -1`). Python would otherwise fail again, with a traceback, as it flushes stdout at exit;
    and what is left to say has nobody to read it."""
    _send_nowhere(sys.stdout)


def print_or_drop(*args: object, **kwargs: object) -> None:
    """print(), for what a run says as it goes: where its terminal hung up (the window closed:
    every write fails with EIO) the rest of this process's output, stdout and stderr, goes
    nowhere instead. The hang-up's SIGHUP, not a failed write, decides whether the command
    goes on: a run that was stopping to finish its step fell over at its next line, the step
    killed with it and the task left claimed."""
    try:
        print(*args, **kwargs)
    except OSError as exc:
        if exc.errno != errno.EIO:
            raise
        _send_nowhere(sys.stdout, sys.stderr)


def say_line(line: str) -> None:
    """A runner's line, printed at once (print_or_drop): cron's and the worker's default `out`."""
    print_or_drop(line, flush=True)


def _send_nowhere(*streams: TextIO) -> None:
    nowhere = os.open(os.devnull, os.O_WRONLY)
    for stream in streams:
        os.dup2(nowhere, stream.fileno())
    os.close(nowhere)


def log_verbosity() -> int:
    """This process's `log_to_stderr` verbosity, read back from its loggers (a runner hands it
    to the step processes it starts as fresh interpreters)."""
    if logging.getLogger().getEffectiveLevel() <= logging.DEBUG:
        return 2
    return 1 if logging.getLogger("cms").getEffectiveLevel() <= logging.DEBUG else 0


@dataclass
class Notice:
    kind: str          # message, warning or error
    text: str
    source: str = ""
    debug: bool = False
    time: float = field(default_factory=time.time)

    def __str__(self) -> str:
        return self.text


class Notices:
    """The site's notices. `debug=True` notices are kept only when the site is in debug mode."""

    def __init__(self, debug: bool = False, keep: int = 1000):
        self.debug = debug
        self._items: deque[Notice] = deque(maxlen=keep)
        self._listeners: list = []

    def add(self, kind: str, text: str, source: str = "", debug: bool = False) -> Notice:
        notice = Notice(kind, str(text), source, debug)
        if not debug or self.debug:
            self._items.append(notice)
        kept = False
        for listener in list(self._listeners):
            kept = bool(listener(notice)) or kept
        logging.getLogger(f"cms.{source}" if source else "cms").log(
            logging.DEBUG if debug or kept else LEVELS[kind], "%s", notice.text)
        return notice

    def message(self, text: str, source: str = "", debug: bool = False) -> Notice:
        return self.add("message", text, source, debug)

    def warning(self, text: str, source: str = "", debug: bool = False) -> Notice:
        return self.add("warning", text, source, debug)

    def error(self, text: str, source: str = "", debug: bool = False) -> Notice:
        return self.add("error", text, source, debug)

    def listen(self, fn) -> None:
        """Call `fn(notice)` for every notice added (Tasker copies a running task's into its log).

        A listener returns True when it kept the notice where its reader will look (the task's
        log): the notice is then logged at DEBUG, not at its own level."""
        self._listeners.append(fn)

    def unlisten(self, fn) -> None:
        if fn in self._listeners:
            self._listeners.remove(fn)

    def warnings(self) -> list[Notice]:
        return [n for n in self._items if n.kind == "warning"]

    def errors(self) -> list[Notice]:
        return [n for n in self._items if n.kind == "error"]

    def clear(self) -> None:
        self._items.clear()

    def __iter__(self) -> Iterator[Notice]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)
