"""Has anything been committed to a SQLite database since I last looked? Asked without a statement.

A reader that answers the same question again and again (the task status API, polled every
second by every open progress bar) may keep its answer while nothing was committed. SQLite
tells a connection with `PRAGMA data_version`, but that is a statement, and in a server with
many request threads every statement hands the GIL to another thread and waits to get it back:
a status answer's one read cost it more than half its CPU time in the server (bench/RESULTS.md).

In WAL mode every commit, by any connection of any process, rewrites the header of the WAL
index: the `-shm` file that each connection maps into memory (https://www.sqlite.org/walformat.html,
"The WAL-Index Header": a change counter, the last valid frame, the salts). Reading those bytes
from a mapping of our own is a memory read. The stamp is the database file's path and the
header's first copy: two databases never share one, even where their URLs read alike.

It never claims "unchanged" when it cannot know:
- the caller reads the stamp before the answer it guards, so a commit that lands between
  the two makes the next stamp differ, and the answer is read again;
- SQLite writes the header twice (the second copy, then the first); two copies that differ,
  an unknown version, an index not initialised, a database not in WAL mode or in memory give
  no stamp (None), and the caller reads;
- the file must stay the one SQLite uses: the last connection to close deletes it and the next
  one makes another. A stamp keeps a connection of its own open, which SQLite counts, so the
  file it maps outlives every other connection for as long as the process lives. A process
  forked from one that had a stamp opens its own (a SQLite connection must not cross a fork).
"""
from __future__ import annotations

import mmap
import os
import sqlite3
import sys
import threading
from typing import BinaryIO

HEADER_BYTES = 48            # one copy of the WAL-index header; the second follows it
VERSION = 3007000            # iVersion, the header's first field, in native byte order
INIT_OFFSET = 12             # isInit: 1 once a connection has built the index

_stamps: dict[str, WalStamp] = {}
_inherited: list[WalStamp] = []     # a parent's stamps, never closed here (see stamp_for)
_lock = threading.Lock()


def stamp_for(path: str) -> WalStamp:
    """The process's stamp of a database file (one per file, shared by every connection)."""
    key = os.path.realpath(path)
    found = _stamps.get(key)
    if found is None or found.pid != os.getpid():
        with _lock:
            found = _stamps.get(key)
            if found is None or found.pid != os.getpid():
                if found is not None:        # closing the parent's connection here could
                    _inherited.append(found)  # end its locks or delete its files: keep it
                found = _stamps[key] = WalStamp(key)
    return found


class WalStamp:
    """A database file's WAL-index header, read from a shared mapping; see the module."""

    def __init__(self, path: str):
        self.path = path
        self.pid = os.getpid()
        self._prefix = os.fsencode(path) + b"\0"
        self._view: mmap.mmap | None = None
        self._keeper: sqlite3.Connection | None = None
        self._shm: BinaryIO | None = None
        self._opened = False
        self._lock = threading.Lock()

    def read(self) -> bytes | None:
        """The header as it stands, or None when it cannot be trusted (see the module)."""
        view = self._view if self._opened else self._open()
        if view is None:
            return None
        first, second = view[:HEADER_BYTES], view[HEADER_BYTES:2 * HEADER_BYTES]
        if (first != second or first[INIT_OFFSET] != 1
                or int.from_bytes(first[:4], sys.byteorder) != VERSION):
            return None
        return self._prefix + first

    def _open(self) -> mmap.mmap | None:
        with self._lock:
            if not self._opened:
                try:
                    self._view = self._map()
                except (OSError, ValueError, sqlite3.Error):
                    self._view = None        # no stamp: every caller reads
                self._opened = True
        return self._view

    def _map(self) -> mmap.mmap | None:
        keeper = sqlite3.connect(self.path, check_same_thread=False)
        # fetchall: a statement left unfinished would hold a read open, and no checkpoint
        # could then empty the WAL
        mode = keeper.execute("PRAGMA journal_mode").fetchall()[0][0]
        keeper.execute("SELECT COUNT(*) FROM sqlite_master").fetchall()   # maps the index
        if str(mode).lower() != "wal":
            keeper.close()
            return None
        self._keeper = keeper
        # never closed, as the keeper is not: closing any descriptor of a file drops every
        # POSIX lock the process holds on it, SQLite's own on the -shm file among them. Closed,
        # it let the next process to open the database take itself for the first and empty
        # the index under this mapping and SQLite's (a Bus error killed the server).
        self._shm = open(self.path + "-shm", "rb")
        return mmap.mmap(self._shm.fileno(), 2 * HEADER_BYTES, flags=mmap.MAP_SHARED,
                         prot=mmap.PROT_READ)
