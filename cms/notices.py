"""Notices: messages, warnings and errors for the person at the screen, also sent to `logging`.

A module's `self.message()` lands here and in the log, so a worker's output and the admin's
notice list tell the same story. The list is bounded: a worker that runs for weeks keeps only
the latest notices in memory.
"""
from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Iterator

LEVELS = {"message": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


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
        logging.getLogger(f"cms.{source}" if source else "cms").log(
            logging.DEBUG if debug else LEVELS[kind], "%s", notice.text)
        if not debug or self.debug:
            self._items.append(notice)
        for listener in list(self._listeners):
            listener(notice)
        return notice

    def message(self, text: str, source: str = "", debug: bool = False) -> Notice:
        return self.add("message", text, source, debug)

    def warning(self, text: str, source: str = "", debug: bool = False) -> Notice:
        return self.add("warning", text, source, debug)

    def error(self, text: str, source: str = "", debug: bool = False) -> Notice:
        return self.add("error", text, source, debug)

    def listen(self, fn) -> None:
        """Call `fn(notice)` for every notice added (Tasker copies a running task's into its log)."""
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
